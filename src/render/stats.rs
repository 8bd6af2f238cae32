//! Text forms of `stats` results.

use std::fmt::Write as _;

use super::{Align, Format, Table, compact, exact};
use crate::error::{Error, Result};
use crate::stats::OrderedMap;
use crate::stats::analysis::{GroupProfile, StatsReport};

/// Groups per profile table, so that a table fits 100 columns.
const GROUPS_PER_TABLE: usize = 7;

/// Renders a stats report.
pub fn render(r: &StatsReport, format: Format) -> Result<String> {
    match format {
        Format::Json => super::json(r),
        Format::Csv => csv(r),
        Format::Table => Ok(super::wrap(&text(r, false))),
        Format::Markdown => Ok(text(r, true)),
    }
}

fn csv(r: &StatsReport) -> Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let err = Error::from;
    w.write_record(["statistic", "group", "feature", "other", "value"])
        .map_err(err)?;
    let mut rec = |a: &str, b: &str, c: &str, d: &str, v: f64| {
        w.write_record([a, b, c, d, &exact(v)]).map_err(err)
    };
    for (g, p) in r.profile.iter() {
        for (f, v) in p.mean.iter() {
            rec("mean", g, f, "", *v)?;
        }
        for (f, v) in p.median.iter() {
            rec("median", g, f, "", *v)?;
        }
    }
    for (name, m) in [("pearson", &r.pearson), ("spearman", &r.spearman)] {
        for (a, row) in m.iter() {
            for (b, v) in row.iter() {
                rec(name, "", a, b, *v)?;
            }
        }
    }
    for x in &r.relevance {
        rec(
            "mutual_information",
            "",
            &x.feature,
            "",
            x.mutual_information,
        )?;
        rec("gain_ratio", "", &x.feature, "", x.gain_ratio)?;
    }
    for (f, v) in r.skewness.iter() {
        rec("skewness", "", f, "", *v)?;
    }
    for a in &r.alerts {
        rec(
            &format!("alert:{}", a.kind),
            "",
            a.column.as_deref().unwrap_or(""),
            &a.message,
            a.value,
        )?;
    }
    super::csv_text(w)
}

fn profile_tables(
    profile: &OrderedMap<GroupProfile>,
    pick: fn(&GroupProfile) -> &OrderedMap<f64>,
) -> Vec<Table> {
    let groups: Vec<(&str, &GroupProfile)> = profile.iter().collect();
    groups
        .chunks(GROUPS_PER_TABLE)
        .map(|chunk| {
            let mut cols = vec![("feature", Align::Left)];
            cols.extend(chunk.iter().map(|(g, _)| (*g, Align::Right)));
            let mut t = Table::new(&cols);
            if let Some((_, first)) = chunk.first() {
                for (i, (feature, _)) in pick(first).iter().enumerate() {
                    let mut row = vec![feature.to_string()];
                    row.extend(chunk.iter().map(|(_, p)| compact(pick(p).0[i].1)));
                    t.push(row);
                }
            }
            t
        })
        .collect()
}

fn text(r: &StatsReport, markdown: bool) -> String {
    let mut out = String::new();
    let section = |out: &mut String, title: &str, note: &str, tables: &[Table]| {
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
        for t in tables {
            out.push_str(&if markdown {
                t.to_markdown()
            } else {
                t.to_text(2)
            });
            out.push('\n');
        }
    };
    let title = format!(
        "{}: {}",
        crate::error::one_line(&r.path),
        super::rows(r.rows)
    );
    if markdown {
        let _ = writeln!(out, "## {title}\n");
    } else {
        let _ = writeln!(out, "{title}\n");
    }

    let mut alerts = Table::new(&[("alert", Align::Left), ("what", Align::Left)]);
    for a in &r.alerts {
        alerts.push(vec![a.kind.to_string(), a.message.clone()]);
    }
    section(
        &mut out,
        &format!("Alerts ({})", r.alerts.len()),
        "",
        &[alerts],
    );

    let mut rel = Table::new(&[
        ("feature", Align::Left),
        ("mutual info", Align::Right),
        ("gain ratio", Align::Right),
        ("bins", Align::Right),
    ]);
    for x in &r.relevance {
        rel.push(vec![
            x.feature.clone(),
            compact(x.mutual_information),
            compact(x.gain_ratio),
            x.bins.to_string(),
        ]);
    }
    section(
        &mut out,
        "Relevance to the category",
        "mutual information in nats; numeric features in equal-frequency bins",
        &[rel],
    );

    let mut pairs = Table::new(&[
        ("feature", Align::Left),
        ("feature", Align::Left),
        ("pearson", Align::Right),
        ("spearman", Align::Right),
    ]);
    for p in &r.strong_pairs {
        pairs.push(vec![
            p.a.clone(),
            p.b.clone(),
            compact(p.pearson),
            compact(p.spearman),
        ]);
    }
    let note = if r.constant_columns.is_empty() {
        String::new()
    } else {
        format!(
            "no correlation is defined for the constant {}",
            r.constant_columns.join(", ")
        )
    };
    section(
        &mut out,
        &format!("Strongly correlated pairs (|r| or |rho| >= {})", r.min_r),
        &note,
        &[pairs],
    );

    let by = r.profile_by;
    section(
        &mut out,
        &format!("Mean per {by}"),
        "",
        &profile_tables(&r.profile, |p| &p.mean),
    );
    section(
        &mut out,
        &format!("Median per {by}"),
        "",
        &profile_tables(&r.profile, |p| &p.median),
    );
    let mut skew = Table::new(&[("feature", Align::Left), ("skewness", Align::Right)]);
    for (f, v) in r.skewness.iter() {
        skew.push(vec![f.to_string(), compact(*v)]);
    }
    section(&mut out, "Skewness", "", &[skew]);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
