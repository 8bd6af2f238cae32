//! Text forms of the `clean` summary.

use std::fmt::Write as _;

use super::{Format, thousands};
use crate::clean::Summary;
use crate::error::Result;

/// Renders a clean summary as a table (lines for people) or JSON.
pub fn render(s: &Summary, format: Format) -> Result<String> {
    match format {
        Format::Json => super::json(s),
        _ => Ok(super::wrap(&text(s))),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

fn text(s: &Summary) -> String {
    let f = &s.findings;
    let dropped = |yes: bool| if yes { "  (dropped)" } else { "" };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} ({})",
        s.input,
        super::rows(s.rows_in),
        s.layout
    );
    let rows = [
        (
            "invalid lines",
            match &s.quarantine {
                Some(q) => format!("{}  (set aside in {q})", thousands(s.invalid_lines as u64)),
                None => thousands(s.invalid_lines as u64),
            },
        ),
        (
            "duplicate rows",
            format!(
                "{} in {} groups{}",
                thousands(f.duplicate_rows as u64),
                thousands(f.duplicate_groups as u64),
                dropped(s.dropped_duplicates && f.duplicate_rows > 0)
            ),
        ),
        (
            "conflicting vectors",
            format!(
                "{} ({}){}",
                thousands(f.conflicting_vectors as u64),
                super::rows(f.conflicting_rows),
                dropped(s.dropped_conflicts && f.conflicting_rows > 0)
            ),
        ),
        (
            "constant columns",
            format!(
                "{}{}",
                list(&f.constant_columns),
                dropped(!s.dropped_columns.is_empty())
            ),
        ),
        ("constant within normal", list(&f.constant_in_normal)),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "  {k:<23} {v}");
    }
    let cats: Vec<String> = s
        .categories_out
        .iter()
        .map(|(c, n)| format!("{c} {}", thousands(*n)))
        .collect();
    let _ = writeln!(
        out,
        "wrote {} ({}): {}; {}",
        s.output,
        s.output_format,
        super::rows(s.rows_out),
        cats.join(", ")
    );
    out
}
