//! Formats shared by the text renderers and the page toolkit (numbers, CSV cells and keys, JSON):
//! below every stage, depending on the error type only.

use crate::error::{Error, Result};

/// A number in at most 7 characters for tables: whole numbers as they are, others with as many
/// decimals as fit, very large or small ones in scientific notation; `NaN` for a missing figure.
pub fn compact(v: f64) -> String {
    const WIDTH: usize = 7;
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if v == v.trunc() && v.abs() < 1e7 {
        return format!("{v:.0}");
    }
    if v.abs() >= 1e-3 && v.abs() < 1e7 {
        let int_digits = format!("{:.0}", v.abs().trunc()).len();
        let sign = usize::from(v < 0.0);
        let decimals = WIDTH.saturating_sub(int_digits + 1 + sign);
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if s.len() <= WIDTH && s != "0" && s != "-0" {
            return s;
        }
    }
    for precision in (0..=3).rev() {
        let s = format!("{v:.precision$e}");
        if s.len() <= WIDTH {
            return s;
        }
    }
    format!("{v:.0e}")
}

/// A count with thousands separators: `125,973`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A column name as a machine key: lower case, words joined by `_` ("test file" -> `test_file`,
/// "false-alarm rate" -> `false_alarm_rate`, "5%" -> `5pct`).
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.replace('%', "pct").chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// A text cell made safe for spreadsheets (OWASP's rule against CSV formula injection): a value
/// beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`. Numbers are
/// never passed through here.
pub fn csv_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Pretty JSON with a final line end.
pub fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    let mut s =
        serde_json::to_string_pretty(value).map_err(|e| Error::Output(std::io::Error::other(e)))?;
    s.push('\n');
    Ok(s)
}

/// The text a CSV writer over memory has produced.
pub fn csv_text(w: ::csv::Writer<Vec<u8>>) -> Result<String> {
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Output(std::io::Error::other(e.to_string())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A number with four significant digits: whole numbers with thousands separators, very large
/// and very small ones with an exponent.
pub fn significant(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() || v == 0.0 {
        return compact(v);
    }
    if v == v.trunc() && a < 1e9 {
        let s = thousands(a as u64);
        return if v < 0.0 { format!("-{s}") } else { s };
    }
    if !(1e-3..1e9).contains(&a) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    if decimals == 0 {
        let s = thousands(a.round() as u64);
        return if v < 0.0 { format!("-{s}") } else { s };
    }
    format!("{v:.decimals$}")
}
