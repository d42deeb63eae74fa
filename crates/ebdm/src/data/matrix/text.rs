//! The text format: whitespace- or comma-separated numbers, or rows of `+`/`-` signs.

use super::*;

/// Parses the text format described in the [module docs](super). `path` is only used in error
/// messages.
pub fn parse_matrix_text(text: &str, path: &Path) -> Result<Matrix> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut data = Vec::new();
    let mut first: Option<(usize, usize)> = None; // (columns, line number) of the first data row
    let mut rows = 0;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let before = data.len();
        parse_row(raw, line_no, path, &mut data)?;
        let n = data.len() - before;
        match first {
            None => first = Some((n, line_no)),
            Some((cols, first_line)) if cols != n => {
                return Err(format_err(
                    path,
                    format!(
                        "line {line_no}: row has {n} values but the first data row (line {first_line}) has {cols}; \
                         all rows must have the same length"
                    ),
                ))
            }
            Some(_) => {}
        }
        rows += 1;
    }
    match first {
        Some((cols, _)) => Ok(Matrix { rows, cols, data }),
        None => Err(format_err(path, "no data rows (the file is empty or holds only comments)")),
    }
}

/// Parses one non-blank, non-comment line (`raw`, untrimmed, so columns are exact) and appends
/// its values to `out`.
fn parse_row(raw: &str, line_no: usize, path: &Path, out: &mut Vec<f64>) -> Result<()> {
    let at = |offset: usize| format!("line {line_no}, column {}", raw[..offset].chars().count() + 1);
    let tokens = tokenize(raw).map_err(|offset| format_err(path, format!("{}: empty value before ','", at(offset))))?;
    if is_sign_row(raw) {
        out.extend(tokens.iter().flat_map(|(_, t)| t.chars()).map(|c| if c == '+' { 1.0 } else { -1.0 }));
        return Ok(());
    }
    for (offset, token) in tokens {
        match token.parse::<f64>() {
            Ok(v) if v.is_finite() => out.push(v),
            Ok(_) => {
                return Err(format_err(path, format!("{}: non-finite value {token:?} is not allowed", at(offset))))
            }
            Err(_) => return Err(format_err(path, format!("{}: cannot parse {token:?} as a number", at(offset)))),
        }
    }
    Ok(())
}

/// Whether a line is a row of `+`/`-` signs (separators allowed between them).
fn is_sign_row(line: &str) -> bool {
    line.chars().all(|c| c == '+' || c == '-' || is_separator(c)) && line.contains(['+', '-'])
}

/// Whether `c` separates values.
fn is_separator(c: char) -> bool {
    c == ',' || c.is_whitespace()
}

/// Splits a line into `(byte offset, token)` pairs. Runs of whitespace and single commas separate
/// tokens; a comma with no value since the previous comma (or the line start) is an error, given
/// as its byte offset. One trailing comma is tolerated.
fn tokenize(line: &str) -> std::result::Result<Vec<(usize, &str)>, usize> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut field_has_value = false;
    for (i, c) in line.char_indices() {
        match (is_separator(c), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s, &line[s..i]));
                start = None;
                field_has_value = true;
            }
            _ => {}
        }
        if c == ',' {
            if !field_has_value {
                return Err(i);
            }
            field_has_value = false;
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    Ok(out)
}
