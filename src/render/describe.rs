//! Text forms of `describe` results.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Align, Format, Table, compact, exact, thousands};
use crate::error::Result;
use crate::stats::OrderedMap;
use crate::stats::describe::{CategoricalSummary, FileSummary, NumericSummary};

/// Rendering options.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Output format.
    pub format: Format,
    /// Print at most this many values per categorical column (tables default to 10).
    pub top: Option<usize>,
}

/// Values listed per categorical column in a table when `--top` is not given.
const DEFAULT_TABLE_TOP: usize = 10;

/// Renders the summaries of all files.
pub fn render(files: &[FileSummary], options: RenderOptions) -> Result<String> {
    match options.format {
        Format::Json => json(files, options.top),
        Format::Csv => csv(files, options.top),
        Format::Table => Ok(super::wrap(&text(
            files,
            options.top.unwrap_or(DEFAULT_TABLE_TOP),
            false,
        ))),
        Format::Markdown => Ok(text(files, options.top.unwrap_or(usize::MAX), true)),
    }
}

#[derive(Serialize)]
struct JsonOut<'a> {
    files: &'a [FileSummary],
}

fn truncated(files: &[FileSummary], top: Option<usize>) -> Vec<FileSummary> {
    let mut files = files.to_vec();
    if let Some(top) = top {
        for f in &mut files {
            for (_, c) in f.categorical.0.iter_mut() {
                c.counts.0.truncate(top);
            }
        }
    }
    files
}

fn json(files: &[FileSummary], top: Option<usize>) -> Result<String> {
    let files = truncated(files, top);
    super::json(&JsonOut { files: &files })
}

fn csv(files: &[FileSummary], top: Option<usize>) -> Result<String> {
    let files = truncated(files, top);
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let io = crate::error::Error::from;
    w.write_record(["file", "group", "column", "statistic", "key", "value"])
        .map_err(io)?;
    for f in &files {
        let mut numeric = |group: &str, numeric: &OrderedMap<NumericSummary>| {
            for (col, s) in numeric.iter() {
                for (stat, value) in numeric_fields(s) {
                    w.write_record([f.path.as_str(), group, col, stat, "", &value])?;
                }
            }
            Ok::<(), ::csv::Error>(())
        };
        numeric("", &f.numeric).map_err(io)?;
        if let Some(groups) = &f.groups {
            for (g, summary) in groups.iter() {
                numeric(g, &summary.numeric).map_err(io)?;
            }
        }
        for (col, c) in f.categorical.iter() {
            let distinct = c.distinct.to_string();
            w.write_record([f.path.as_str(), "", col, "distinct", "", &distinct])
                .map_err(io)?;
            for (value, n) in c.counts.iter() {
                w.write_record([f.path.as_str(), "", col, "count", value, &n.to_string()])
                    .map_err(io)?;
            }
        }
    }
    super::csv_text(w)
}

fn numeric_fields(s: &NumericSummary) -> [(&'static str, String); 10] {
    [
        ("count", s.count.to_string()),
        ("mean", exact(s.mean)),
        ("std", exact(s.std)),
        ("min", exact(s.min)),
        ("q25", exact(s.q25)),
        ("q50", exact(s.q50)),
        ("q75", exact(s.q75)),
        ("max", exact(s.max)),
        ("zeros", exact(s.zeros)),
        ("distinct", s.distinct.to_string()),
    ]
}

fn numeric_table(numeric: &OrderedMap<NumericSummary>) -> Table {
    let mut t = Table::new(&[
        ("column", Align::Left),
        ("mean", Align::Right),
        ("std", Align::Right),
        ("min", Align::Right),
        ("25%", Align::Right),
        ("50%", Align::Right),
        ("75%", Align::Right),
        ("max", Align::Right),
        ("zeros", Align::Right),
        ("distinct", Align::Right),
    ]);
    for (name, s) in numeric.iter() {
        t.push(vec![
            name.to_string(),
            compact(s.mean),
            compact(s.std),
            compact(s.min),
            compact(s.q25),
            compact(s.q50),
            compact(s.q75),
            compact(s.max),
            compact(s.zeros),
            s.distinct.to_string(),
        ]);
    }
    t
}

fn counts_table(c: &CategoricalSummary, rows: usize, top: usize) -> Table {
    let mut t = Table::new(&[
        ("value", Align::Left),
        ("count", Align::Right),
        ("share", Align::Right),
    ]);
    for (value, n) in c.counts.iter().take(top) {
        let share = 100.0 * *n as f64 / rows.max(1) as f64;
        t.push(vec![
            crate::error::show_value(value.as_bytes()),
            thousands(*n),
            format!("{share:.2}%"),
        ]);
    }
    t
}

fn text(files: &[FileSummary], top: usize, markdown: bool) -> String {
    let mut out = String::new();
    let heading = |out: &mut String, level: usize, title: &str| {
        if markdown {
            let _ = writeln!(out, "{} {title}\n", "#".repeat(level));
        } else {
            let _ = writeln!(out, "{title}");
        }
    };
    let table = |out: &mut String, t: &Table| {
        if markdown {
            out.push_str(&t.to_markdown());
        } else {
            out.push_str(&t.to_text(2));
        }
        out.push('\n');
    };
    for (i, f) in files.iter().enumerate() {
        if i > 0 && !markdown {
            out.push('\n');
        }
        heading(
            &mut out,
            2,
            &format!(
                "{}: {} ({})",
                crate::error::one_line(&f.path),
                super::rows(f.rows),
                f.layout
            ),
        );
        if !markdown {
            out.push('\n');
        }
        if !f.numeric.is_empty() {
            heading(&mut out, 3, "Numeric columns");
            table(&mut out, &numeric_table(&f.numeric));
        }
        if let (Some(groups), Some(by)) = (&f.groups, f.group_by) {
            for (g, s) in groups.iter() {
                let title = format!(
                    "{by} = {} ({})",
                    crate::error::show_value(g.as_bytes()),
                    super::rows(s.rows)
                );
                heading(&mut out, 3, &title);
                if s.numeric.is_empty() {
                    out.push('\n');
                } else {
                    table(&mut out, &numeric_table(&s.numeric));
                }
            }
        }
        for (col, c) in f.categorical.iter() {
            let shown = c.counts.len().min(top);
            let more = if shown < c.distinct {
                format!(", top {shown} shown")
            } else {
                String::new()
            };
            heading(
                &mut out,
                3,
                &format!("{col}: {} distinct{more}", c.distinct),
            );
            table(&mut out, &counts_table(c, f.rows, top));
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
