//! Text forms of `compare` results.

use std::fmt::Write as _;

use super::{Align, Format, Table, compact, exact, thousands};
use crate::error::{Error, Result};
use crate::stats::OrderedMap;
use crate::stats::drift::DriftReport;

/// Renders a drift report.
pub fn render(r: &DriftReport, format: Format) -> Result<String> {
    match format {
        Format::Json => super::json(r),
        Format::Csv => csv(r),
        Format::Table => Ok(super::wrap(&text(r, false))),
        Format::Markdown => Ok(text(r, true)),
    }
}

fn csv(r: &DriftReport) -> Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let err = Error::from;
    w.write_record(["statistic", "column", "key", "value"])
        .map_err(err)?;
    let mut rec = |a: &str, b: &str, c: &str, v: String| w.write_record([a, b, c, &v]).map_err(err);
    for (c, d) in r.numeric.iter() {
        rec("ks", c, "", exact(d.ks))?;
        rec("psi", c, "", exact(d.psi))?;
    }
    for (c, d) in r.categorical.iter() {
        rec("tvd", c, "", exact(d.tvd))?;
        for (v, n) in d.only_train.iter() {
            rec("only_train", c, v, n.to_string())?;
        }
        for (v, n) in d.only_test.iter() {
            rec("only_test", c, v, n.to_string())?;
        }
    }
    for (v, n) in r.novel_labels.iter() {
        rec("novel_label", "label", v, n.to_string())?;
    }
    for (v, n) in r.train_only_labels.iter() {
        rec("train_only_label", "label", v, n.to_string())?;
    }
    for (c, s) in r.categories.iter() {
        rec("train_share", "category", c, exact(s.train_share))?;
        rec("test_share", "category", c, exact(s.test_share))?;
    }
    super::csv_text(w)
}

/// `1 row`, `3,750 rows`.
fn plural(n: u64, word: &str) -> String {
    format!("{} {word}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// Values with their counts, at most four of them, for a table cell.
fn listing(m: &OrderedMap<u64>) -> String {
    const SHOWN: usize = 4;
    if m.is_empty() {
        return "-".to_string();
    }
    let mut s = m
        .iter()
        .take(SHOWN)
        .map(|(v, n)| format!("{} ({n})", crate::error::show_value(v.as_bytes())))
        .collect::<Vec<_>>()
        .join(", ");
    if m.len() > SHOWN {
        s.push_str(&format!(" +{} more", m.len() - SHOWN));
    }
    s
}

fn text(r: &DriftReport, markdown: bool) -> String {
    let mut out = String::new();
    let section = |out: &mut String, title: &str, note: &str, table: Option<&Table>| {
        if markdown {
            let _ = writeln!(out, "### {title}\n");
            if !note.is_empty() {
                let _ = writeln!(out, "{note}\n");
            }
        } else {
            let _ = writeln!(out, "{title}");
            if !note.is_empty() {
                let _ = writeln!(out, "  {note}");
            }
        }
        if let Some(t) = table {
            out.push_str(&if markdown {
                t.to_markdown()
            } else {
                t.to_text(2)
            });
        }
        out.push('\n');
    };
    let title = format!(
        "{} ({}) vs {} ({})",
        r.train,
        super::rows(r.train_rows),
        r.test,
        super::rows(r.test_rows)
    );
    if markdown {
        let _ = writeln!(out, "## {title}\n");
    } else {
        let _ = writeln!(out, "{title}\n");
    }
    let mut cats = Table::new(&[
        ("category", Align::Left),
        ("train", Align::Right),
        ("share", Align::Right),
        ("test", Align::Right),
        ("share", Align::Right),
    ]);
    for (c, s) in r.categories.iter() {
        cats.push(vec![
            c.to_string(),
            thousands(s.train),
            format!("{:.2}%", 100.0 * s.train_share),
            thousands(s.test),
            format!("{:.2}%", 100.0 * s.test_share),
        ]);
    }
    section(&mut out, "Categories", "", Some(&cats));
    let mut novel = Table::new(&[("label", Align::Left), ("test rows", Align::Right)]);
    for (v, n) in r.novel_labels.iter() {
        novel.push(vec![crate::error::show_value(v.as_bytes()), thousands(*n)]);
    }
    section(
        &mut out,
        &format!(
            "Labels only in the test file: {}, {}",
            plural(r.novel_labels.len() as u64, "label"),
            plural(r.novel_rows, "row")
        ),
        &format!(
            "only in the training file: {}",
            listing(&r.train_only_labels)
        ),
        (!r.novel_labels.is_empty()).then_some(&novel),
    );
    let mut num = Table::new(&[
        ("feature", Align::Left),
        ("KS", Align::Right),
        ("PSI", Align::Right),
        ("bins", Align::Right),
    ]);
    for (c, d) in r.numeric.iter() {
        num.push(vec![
            c.to_string(),
            compact(d.ks),
            compact(d.psi),
            d.bins.to_string(),
        ]);
    }
    section(
        &mut out,
        "Numeric features, most drifted first",
        "Kolmogorov-Smirnov statistic; Population Stability Index over deciles of the training file",
        Some(&num),
    );
    let mut cat = Table::new(&[
        ("feature", Align::Left),
        ("TVD", Align::Right),
        ("only in train", Align::Left),
        ("only in test", Align::Left),
    ]);
    for (c, d) in r.categorical.iter() {
        cat.push(vec![
            c.to_string(),
            compact(d.tvd),
            listing(&d.only_train),
            listing(&d.only_test),
        ]);
    }
    section(
        &mut out,
        "Categorical features, most drifted first",
        "total variation distance",
        Some(&cat),
    );
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
