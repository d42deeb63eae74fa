//! Named, typed parameters of a study: their declarations, the check of a sweep's values against
//! them, and typed access inside a task.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The default value of a parameter, which also fixes its type.
#[derive(Clone, Copy, Debug)]
pub enum Default {
    Int(i64),
    Float(f64),
    Str(&'static str),
    Bool(bool),
}

/// One parameter a study accepts.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub default: Default,
    /// Closed range of allowed values (numbers only).
    pub range: Option<(f64, f64)>,
    /// Allowed values (strings only); empty: any string.
    pub choices: &'static [&'static str],
    pub help: &'static str,
}

impl Param {
    pub const fn int(name: &'static str, default: i64, min: i64, max: i64, help: &'static str) -> Self {
        Self { name, default: Default::Int(default), range: Some((min as f64, max as f64)), choices: &[], help }
    }

    pub const fn float(name: &'static str, default: f64, min: f64, max: f64, help: &'static str) -> Self {
        Self { name, default: Default::Float(default), range: Some((min, max)), choices: &[], help }
    }

    pub const fn choice(
        name: &'static str,
        default: &'static str,
        choices: &'static [&'static str],
        help: &'static str,
    ) -> Self {
        Self { name, default: Default::Str(default), range: None, choices, help }
    }

    pub const fn string(name: &'static str, default: &'static str, help: &'static str) -> Self {
        Self { name, default: Default::Str(default), range: None, choices: &[], help }
    }

    pub const fn flag(name: &'static str, default: bool, help: &'static str) -> Self {
        Self { name, default: Default::Bool(default), range: None, choices: &[], help }
    }

    /// The type as a word for messages and listings.
    pub fn kind(&self) -> &'static str {
        match self.default {
            Default::Int(_) => "integer",
            Default::Float(_) => "number",
            Default::Str(_) => "string",
            Default::Bool(_) => "boolean",
        }
    }

    /// The default as JSON.
    pub fn default_value(&self) -> Value {
        match self.default {
            Default::Int(v) => Value::from(v),
            Default::Float(v) => Value::from(v),
            Default::Str(v) => Value::from(v),
            Default::Bool(v) => Value::from(v),
        }
    }

    /// `value` as this parameter's type (an integer is accepted where a number is expected and
    /// stored as a float), or a message saying what is wrong with it.
    pub fn check(&self, value: &Value) -> std::result::Result<Value, String> {
        let in_range = |x: f64| match self.range {
            Some((lo, hi)) if !(lo..=hi).contains(&x) => Err(format!("{x} is outside [{lo}, {hi}]")),
            _ => Ok(()),
        };
        match (self.default, value) {
            (Default::Int(_), Value::Number(n)) if n.is_i64() => {
                let v = n.as_i64().expect("checked");
                in_range(v as f64)?;
                Ok(Value::from(v))
            }
            (Default::Float(_), Value::Number(n)) => {
                let v = n.as_f64().ok_or_else(|| format!("{n} is not a number"))?;
                if !v.is_finite() {
                    return Err(format!("{v} is not finite"));
                }
                in_range(v)?;
                Ok(Value::from(v))
            }
            (Default::Str(_), Value::String(s)) => {
                if !self.choices.is_empty() && !self.choices.contains(&s.as_str()) {
                    return Err(format!("`{s}` is not one of {}", self.choices.join(", ")));
                }
                Ok(value.clone())
            }
            (Default::Bool(_), Value::Bool(_)) => Ok(value.clone()),
            _ => Err(format!("expected {}, got {value}", self.kind_with_article())),
        }
    }

    fn kind_with_article(&self) -> &'static str {
        match self.default {
            Default::Int(_) => "an integer",
            Default::Float(_) => "a number",
            Default::Str(_) => "a string",
            Default::Bool(_) => "a boolean",
        }
    }
}

/// Checks `given` against `declared`: every name known, every value of the right type and in
/// range. Returns every declared parameter with its value (the default where none is given),
/// in declaration order. `owner` names the study in messages.
pub fn resolve(
    declared: &[Param],
    given: &Map<String, Value>,
    owner: &str,
) -> std::result::Result<Map<String, Value>, String> {
    for name in given.keys() {
        if !declared.iter().any(|p| p.name == name) {
            let known: Vec<&str> = declared.iter().map(|p| p.name).collect();
            return Err(format!(
                "unknown parameter `{name}` of {owner}; its parameters are {}",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ));
        }
    }
    declared
        .iter()
        .map(|p| {
            let v = match given.get(p.name) {
                Some(v) => p.check(v).map_err(|e| format!("parameter `{}` of {owner}: {e}", p.name))?,
                None => p.default_value(),
            };
            Ok((p.name.to_string(), v))
        })
        .collect()
}

/// The resolved parameters of one task, read by type.
pub struct Params<'a>(pub &'a Map<String, Value>);

impl Params<'_> {
    fn get(&self, name: &str) -> Result<&Value> {
        self.0.get(name).ok_or_else(|| Error::Invalid(format!("parameter `{name}` was not resolved")))
    }

    pub fn usize(&self, name: &str) -> Result<usize> {
        let v = self.get(name)?;
        v.as_u64()
            .and_then(|x| usize::try_from(x).ok())
            .ok_or_else(|| Error::Invalid(format!("parameter `{name}`: {v} is not a non-negative integer")))
    }

    pub fn f64(&self, name: &str) -> Result<f64> {
        let v = self.get(name)?;
        v.as_f64().ok_or_else(|| Error::Invalid(format!("parameter `{name}`: {v} is not a number")))
    }

    pub fn str(&self, name: &str) -> Result<&str> {
        let v = self.get(name)?;
        v.as_str().ok_or_else(|| Error::Invalid(format!("parameter `{name}`: {v} is not a string")))
    }

    pub fn bool(&self, name: &str) -> Result<bool> {
        let v = self.get(name)?;
        v.as_bool().ok_or_else(|| Error::Invalid(format!("parameter `{name}`: {v} is not a boolean")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DECLARED: &[Param] = &[
        Param::int("neurons", 100, 1, 1000, ""),
        Param::float("flip", 0.1, 0.0, 0.5, ""),
        Param::choice("rule", "hebb", &["hebb", "storkey"], ""),
        Param::flag("quick", false, ""),
    ];

    fn given(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn defaults_fill_in_and_integers_become_floats_where_numbers_are_expected() {
        let r = resolve(DECLARED, &given(json!({"flip": 0, "rule": "storkey"})), "s").unwrap();
        assert_eq!(Value::Object(r), json!({"neurons": 100, "flip": 0.0, "rule": "storkey", "quick": false}));
    }

    #[test]
    fn unknown_names_wrong_types_and_values_out_of_range_are_named() {
        let err = |v: Value| resolve(DECLARED, &given(v), "study `s`").unwrap_err();
        let e = err(json!({"neuron": 3}));
        assert!(
            e.contains("unknown parameter `neuron` of study `s`") && e.contains("neurons, flip, rule, quick"),
            "{e}"
        );
        let e = err(json!({"neurons": 2.5}));
        assert!(e.contains("`neurons`") && e.contains("expected an integer"), "{e}");
        let e = err(json!({"neurons": 0}));
        assert!(e.contains("outside [1, 1000]"), "{e}");
        let e = err(json!({"rule": "pinv"}));
        assert!(e.contains("`pinv` is not one of hebb, storkey"), "{e}");
        let e = err(json!({"quick": 1}));
        assert!(e.contains("expected a boolean"), "{e}");
    }
}
