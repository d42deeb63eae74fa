//! The one result type of every acceptance experiment: checks, tables, figures' data, summary
//! values and report lines. The CLI renders it to files and a terminal; the Python package hands
//! it over as plain Python data. Nothing here draws or prints.

use serde::Serialize;
use serde_json::{Map, Value};

use super::Check;
use crate::error::{Error, Result};

/// What an experiment returns.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Outcome {
    /// Acceptance criteria with their measured values.
    pub checks: Vec<Check>,
    /// Lines of a short human report (shown before the checks).
    pub report: Vec<String>,
    /// Named scalar results and the configuration that produced them.
    pub values: Map<String, Value>,
    /// Long-format data (one row per trial, cell or curve point).
    pub tables: Vec<Table>,
    /// Data of the figures a person would look at.
    pub figures: Vec<Figure>,
    /// Further JSON documents (for example a trained model), each written as `name.json`.
    pub documents: Vec<(String, Value)>,
    /// Whether the run was stopped before it finished; what was finished is kept.
    pub interrupted: bool,
}

impl Outcome {
    /// An outcome with only checks.
    pub fn from_checks(checks: Vec<Check>, interrupted: bool) -> Self {
        Self { checks, interrupted, ..Self::default() }
    }

    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.pass)
    }

    /// Stores `value` under `key` in [`Outcome::values`].
    pub fn value(&mut self, key: &str, value: impl Serialize) -> Result<&mut Self> {
        self.values.insert(key.to_string(), to_value(&value)?);
        Ok(self)
    }

    /// Adds a table of records (flat structs), one row per element.
    pub fn table<T: Serialize>(&mut self, name: &str, records: &[T]) -> Result<&mut Self> {
        self.tables.push(Table::from_records(name, records)?);
        Ok(self)
    }

    /// Adds a figure.
    pub fn figure(&mut self, figure: impl Into<Figure>) -> &mut Self {
        self.figures.push(figure.into());
        self
    }

    /// Appends the checks, report, values, tables and figures of `other` (an experiment made of
    /// several parts); the outcome is interrupted if either part was.
    pub fn merge(&mut self, other: Outcome) {
        self.checks.extend(other.checks);
        self.report.extend(other.report);
        self.values.extend(other.values);
        self.tables.extend(other.tables);
        self.figures.extend(other.figures);
        self.documents.extend(other.documents);
        self.interrupted |= other.interrupted;
    }
}

fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::Numerical(format!("cannot represent a result as data: {e}")))
}

/// A table with named columns; cells are numbers, strings, booleans or null.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// A table from records: the columns are the first record's field names, in order.
    pub fn from_records<T: Serialize>(name: &str, records: &[T]) -> Result<Self> {
        let mut table = Table { name: name.to_string(), ..Table::default() };
        for record in records {
            let Value::Object(map) = to_value(record)? else {
                return Err(Error::Numerical(format!("table {name}: rows must be records")));
            };
            if table.columns.is_empty() {
                table.columns = map.keys().cloned().collect();
            }
            table.rows.push(table.columns.iter().map(|c| map.get(c).cloned().unwrap_or(Value::Null)).collect());
        }
        Ok(table)
    }

    /// The table as columns: column name → the list of its values, in column order.
    pub fn columns(&self) -> Map<String, Value> {
        self.columns
            .iter()
            .enumerate()
            .map(|(j, c)| (c.clone(), Value::Array(self.rows.iter().map(|r| r[j].clone()).collect())))
            .collect()
    }

    /// The table as records (column name → value).
    pub fn records(&self) -> Vec<Map<String, Value>> {
        self.rows.iter().map(|r| self.columns.iter().cloned().zip(r.iter().cloned()).collect()).collect()
    }
}

/// The data of one figure.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Figure {
    Chart(Chart),
    Phase(PhaseDiagram),
    Images(ImageGrid),
}

impl Figure {
    /// The file stem the figure is stored under.
    pub fn stem(&self) -> &str {
        match self {
            Figure::Chart(c) => &c.stem,
            Figure::Phase(p) => &p.stem,
            Figure::Images(g) => &g.stem,
        }
    }
}

/// Curves and markers against common axes, with optional vertical reference lines.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Chart {
    pub stem: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_y: bool,
    pub series: Vec<Series>,
    /// Vertical reference lines `(x, label)`.
    pub vlines: Vec<(f64, String)>,
}

impl Chart {
    pub fn new(stem: &str, title: impl Into<String>, x_label: &str, y_label: &str) -> Self {
        Self {
            stem: stem.into(),
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Self::default()
        }
    }

    /// A logarithmic y axis.
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    pub fn series(mut self, series: impl IntoIterator<Item = Series>) -> Self {
        self.series.extend(series);
        self
    }

    pub fn vline(mut self, x: f64, label: &str) -> Self {
        self.vlines.push((x, label.into()));
        self
    }
}

impl From<Chart> for Figure {
    fn from(c: Chart) -> Self {
        Figure::Chart(c)
    }
}

/// One curve of a chart.
#[derive(Clone, Debug, Serialize)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Markers only, no connecting line.
    pub markers_only: bool,
    /// Palette index shared by related series (a curve and its markers); `None`: position.
    pub color: Option<usize>,
}

impl Series {
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self { name: name.into(), points, markers_only: false, color: None }
    }
    pub fn points(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self { name: name.into(), points, markers_only: true, color: None }
    }
    pub fn colored(mut self, i: usize) -> Self {
        self.color = Some(i);
        self
    }
}

/// A phase diagram: points `(x, y, success fraction)` under a theoretical curve.
#[derive(Clone, Debug, Serialize)]
pub struct PhaseDiagram {
    pub stem: String,
    pub title: String,
    pub points: Vec<(f64, f64, f64)>,
    pub theory: Vec<(f64, f64)>,
}

impl From<PhaseDiagram> for Figure {
    fn from(p: PhaseDiagram) -> Self {
        Figure::Phase(p)
    }
}

/// How an image grid maps values to colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Palette {
    /// Black (0) to white (1).
    Grey,
    /// Blue (negative) through white to red (positive), one scale for every tile.
    Diverging,
}

/// Rows of `width × height` images (row-major), each row with a label.
#[derive(Clone, Debug, Serialize)]
pub struct ImageGrid {
    pub stem: String,
    pub width: usize,
    pub height: usize,
    pub palette: Palette,
    pub rows: Vec<(String, Vec<Vec<f64>>)>,
}

impl From<ImageGrid> for Figure {
    fn from(g: ImageGrid) -> Self {
        Figure::Images(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        b: u32,
        a: f64,
    }

    #[test]
    fn tables_keep_field_order_and_values() {
        let t = Table::from_records("t", &[Row { b: 1, a: 0.5 }, Row { b: 2, a: -1.0 }]).unwrap();
        assert_eq!(t.columns, vec!["b", "a"]);
        assert_eq!(t.rows[1], vec![Value::from(2), Value::from(-1.0)]);
        assert_eq!(t.records()[0]["a"], Value::from(0.5));
        assert_eq!(t.columns()["b"], Value::from(vec![1, 2]));
        assert!(Table::from_records("bad", &[1.0]).is_err());
    }

    #[test]
    fn merge_keeps_both_parts() {
        let mut a = Outcome::from_checks(vec![Check::new("x", "1", "1", true)], false);
        let b = Outcome::from_checks(vec![Check::new("y", "1", "2", false)], true);
        a.merge(b);
        assert_eq!(a.checks.len(), 2);
        assert!(a.interrupted && !a.passed());
    }
}
