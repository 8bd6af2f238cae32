//! Text forms of `evaluate` results.

use std::fmt::Write as _;

use super::{Align, Format, Table, compact, exact, thousands};
use crate::error::{Error, Result};
use crate::evaluate::{Evaluation, Spread};
use crate::stats::OrderedMap;

/// Renders an evaluation.
pub fn render(e: &Evaluation, format: Format) -> Result<String> {
    match format {
        Format::Json => super::json(e),
        Format::Csv => csv(e),
        Format::Table => Ok(super::wrap(&text(e, false))),
        Format::Markdown => Ok(text(e, true)),
    }
}

/// Tidy CSV: one record per figure, keyed by `id,label,test,by,group,statistic` (unique), so that
/// `pandas.pivot` works: `by` is `overall` (empty `group`), `category` or `label`.
fn csv(e: &Evaluation) -> Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let err = Error::from;
    w.write_record(["id", "label", "test", "by", "group", "statistic", "value"])
        .map_err(err)?;
    for d in &e.detectors {
        for t in &d.tests {
            let mut rec = |by: &str, g: &str, s: &str, v: f64| {
                w.write_record([
                    d.id.as_str(),
                    d.label.as_str(),
                    t.file.as_str(),
                    by,
                    g,
                    s,
                    &exact(v),
                ])
                .map_err(err)
            };
            rec("overall", "", "threshold", d.threshold)?;
            for (g, v) in t.roc_auc.iter() {
                if g == "overall" {
                    rec("overall", "", "roc_auc", *v)?;
                } else {
                    rec("category", g, "roc_auc", *v)?;
                }
            }
            rec("overall", "", "average_precision", t.average_precision)?;
            rec("overall", "", "detection_rate", t.detection_rate)?;
            rec("overall", "", "false_alarm_rate", t.false_alarm_rate)?;
            rec("overall", "", "precision", t.precision)?;
            rec("overall", "", "f1", t.f1)?;
            for (g, c) in t.per_category.iter() {
                rec("category", g, "rows", c.rows as f64)?;
                rec("category", g, "detection_rate", c.detection_rate)?;
            }
            for (g, l) in t.per_label.iter() {
                rec("label", g, "rows", l.count as f64)?;
                rec("label", g, "detection_rate", l.detection_rate)?;
            }
            for (by, spreads) in [
                ("category", &t.scores_by_category),
                ("label", &t.scores_by_label),
            ] {
                for (g, s) in spreads.iter() {
                    for (k, v) in spread_fields(s) {
                        rec(by, g, k, v)?;
                    }
                }
            }
        }
    }
    super::csv_text(w)
}

fn spread_fields(s: &Spread) -> [(&'static str, f64); 7] {
    [
        ("score_min", s.min),
        ("score_p5", s.p5),
        ("score_q25", s.q25),
        ("score_median", s.median),
        ("score_q75", s.q75),
        ("score_p95", s.p95),
        ("score_max", s.max),
    ]
}

fn spread_table(first: &str, spreads: &OrderedMap<Spread>, rates: &[Option<f64>]) -> Table {
    let mut t = Table::new(&[
        (first, Align::Left),
        ("rows", Align::Right),
        ("flagged", Align::Right),
        ("min", Align::Right),
        ("5%", Align::Right),
        ("25%", Align::Right),
        ("median", Align::Right),
        ("75%", Align::Right),
        ("95%", Align::Right),
        ("max", Align::Right),
    ]);
    for ((g, s), rate) in spreads.iter().zip(rates) {
        t.push(vec![
            crate::error::show_value(g.as_bytes()),
            thousands(s.rows as u64),
            rate.map_or("-".to_string(), |r| format!("{:.1}%", 100.0 * r)),
            compact(s.min),
            compact(s.p5),
            compact(s.q25),
            compact(s.median),
            compact(s.q75),
            compact(s.p95),
            compact(s.max),
        ]);
    }
    t
}

fn text(e: &Evaluation, markdown: bool) -> String {
    let mut out = String::new();
    let emit = |out: &mut String, title: &str, t: &Table| {
        if markdown {
            let _ = writeln!(out, "### {title}\n");
            out.push_str(&t.to_markdown());
        } else {
            let _ = writeln!(out, "{title}");
            out.push_str(&t.to_text(2));
        }
        out.push('\n');
    };
    let mut summary = Table::new(&[
        ("detector", Align::Left),
        ("test", Align::Left),
        ("AUC", Align::Right),
        ("DoS", Align::Right),
        ("Probe", Align::Right),
        ("R2L", Align::Right),
        ("U2R", Align::Right),
        ("AP", Align::Right),
        ("DR", Align::Right),
        ("FAR", Align::Right),
        ("F1", Align::Right),
    ]);
    let f4 = |v: Option<&f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
    for d in &e.detectors {
        for t in &d.tests {
            let file = t.file.rsplit('/').next().unwrap_or(&t.file).to_string();
            summary.push(vec![
                d.label.clone(),
                file,
                f4(t.roc_auc.get("overall")),
                f4(t.roc_auc.get("DoS")),
                f4(t.roc_auc.get("Probe")),
                f4(t.roc_auc.get("R2L")),
                f4(t.roc_auc.get("U2R")),
                format!("{:.4}", t.average_precision),
                format!("{:.3}", t.detection_rate),
                format!("{:.3}", t.false_alarm_rate),
                format!("{:.3}", t.f1),
            ]);
        }
    }
    let title = format!(
        "Detectors fitted on {} (ROC AUC overall and per category against normal; AP; at the \
         threshold: detection rate, false-alarm rate, F1)",
        e.train
    );
    emit(&mut out, &title, &summary);
    for d in &e.detectors {
        for t in &d.tests {
            let rates: Vec<Option<f64>> = t
                .scores_by_category
                .iter()
                .map(|(g, _)| match t.per_category.get(g) {
                    Some(c) => Some(c.detection_rate),
                    None => Some(t.false_alarm_rate),
                })
                .collect();
            let title = format!(
                "{} on {}: scores per category (threshold {})",
                d.label,
                t.file,
                compact(d.threshold)
            );
            emit(
                &mut out,
                &title,
                &spread_table("category", &t.scores_by_category, &rates),
            );
            let rates: Vec<Option<f64>> = t
                .per_label
                .iter()
                .map(|(_, l)| Some(l.detection_rate))
                .collect();
            let title = format!("{} on {}: scores per label", d.label, t.file);
            emit(
                &mut out,
                &title,
                &spread_table("label", &t.scores_by_label, &rates),
            );
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
