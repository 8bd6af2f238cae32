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
    for c in &e.classifiers {
        for t in &c.tests {
            let mut rec = |by: &str, g: &str, s: &str, v: f64| {
                w.write_record([
                    c.id.as_str(),
                    c.label.as_str(),
                    t.file.as_str(),
                    by,
                    g,
                    s,
                    &exact(v),
                ])
                .map_err(err)
            };
            for (k, v) in [
                ("accuracy", Some(t.accuracy)),
                ("detection_rate", Some(t.detection_rate)),
                ("false_alarm_rate", Some(t.false_alarm_rate)),
                ("precision", Some(t.precision)),
                ("f1", Some(t.f1)),
                ("roc_auc", Some(t.roc_auc)),
                ("novel_accuracy", t.novel_accuracy),
                ("known_accuracy", t.known_accuracy),
                ("accuracy_5class", t.accuracy_5class),
                ("macro_f1", t.macro_f1),
            ] {
                if let Some(v) = v {
                    rec("overall", "", k, v)?;
                }
            }
            for (g, v) in t.per_category.iter() {
                rec("category", g, "detection_rate", *v)?;
            }
            for (g, v) in t.per_label.iter() {
                rec("label", g, "detection_rate", *v)?;
            }
            if let Some(m) = &t.confusion {
                for (truth, row) in m.iter() {
                    for (pred, n) in row.iter() {
                        rec("confusion", &format!("{truth}->{pred}"), "rows", *n as f64)?;
                    }
                }
            }
        }
    }
    super::csv_text(w)
}

/// The classifiers' tables: the figures per test file (with the paper's accuracies beside when
/// the file is KDDTest+ or KDDTest-21) and the confusion matrices.
fn classifier_text(e: &Evaluation, emit: &mut dyn FnMut(&str, &Table)) {
    if e.classifiers.is_empty() {
        return;
    }
    let mut t = Table::new(&[
        ("classifier", Align::Left),
        ("target", Align::Left),
        ("test", Align::Left),
        ("accuracy", Align::Right),
        ("DR", Align::Right),
        ("FAR", Align::Right),
        ("precision", Align::Right),
        ("F1", Align::Right),
        ("AUC", Align::Right),
        ("novel acc.", Align::Right),
        ("known acc.", Align::Right),
        ("5-class acc.", Align::Right),
    ]);
    let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.2}%", 100.0 * v));
    for c in &e.classifiers {
        for x in &c.tests {
            t.push(vec![
                c.label.clone(),
                c.target.clone(),
                x.file.rsplit('/').next().unwrap_or(&x.file).to_string(),
                format!("{:.2}%", 100.0 * x.accuracy),
                format!("{:.3}", x.detection_rate),
                format!("{:.3}", x.false_alarm_rate),
                format!("{:.3}", x.precision),
                format!("{:.3}", x.f1),
                format!("{:.4}", x.roc_auc),
                opt(x.novel_accuracy),
                opt(x.known_accuracy),
                opt(x.accuracy_5class),
            ]);
        }
    }
    emit(
        &format!(
            "Classifiers fitted on every row of {} (accuracy: attack vs normal; DR, FAR, precision, F1 at the prediction)",
            e.train
        ),
        &t,
    );
    let files: Vec<(String, crate::evaluate::classifiers::Paper)> = e
        .classifiers
        .first()
        .map(|c| {
            c.tests
                .iter()
                .filter_map(|x| Some((x.file.clone(), x.paper.clone()?)))
                .collect()
        })
        .unwrap_or_default();
    if !files.is_empty() {
        let mut header = vec![("classifier", Align::Left)];
        let names: Vec<String> = files.iter().map(|f| f.1.test.to_string()).collect();
        for n in &names {
            header.push((n.as_str(), Align::Right));
        }
        let mut p = Table::new(&header);
        for (name, _) in files[0].1.accuracy.iter() {
            let mut row = vec![format!("{name} (paper)")];
            for f in &files {
                row.push(format!(
                    "{:.2}%",
                    f.1.accuracy.get(name).copied().unwrap_or(f64::NAN)
                ));
            }
            p.push(row);
        }
        for c in &e.classifiers {
            let mut row = vec![format!("{} (kddstat)", c.label)];
            for f in &files {
                let acc = c.tests.iter().find(|x| x.file == f.0).map(|x| x.accuracy);
                row.push(acc.map_or("-".into(), |a| format!("{:.2}%", 100.0 * a)));
            }
            p.push(row);
        }
        emit(
            &format!(
                "Binary accuracy beside the paper's ({})",
                crate::evaluate::classifiers::PAPER_SOURCE
            ),
            &p,
        );
    }
    for c in &e.classifiers {
        for x in &c.tests {
            let Some(m) = &x.confusion else {
                continue;
            };
            let cols: Vec<String> = m
                .iter()
                .next()
                .map(|(_, r)| r.iter().map(|(k, _)| k.to_string()).collect())
                .unwrap_or_default();
            let mut header = vec![("true \\ predicted", Align::Left)];
            for k in &cols {
                header.push((k.as_str(), Align::Right));
            }
            header.push(("rows", Align::Right));
            let mut table = Table::new(&header);
            for (truth, row) in m.iter() {
                let mut r = vec![truth.to_string()];
                r.extend(row.iter().map(|(_, n)| thousands(*n)));
                r.push(thousands(row.iter().map(|(_, n)| *n).sum()));
                table.push(r);
            }
            emit(
                &format!("{} on {}: confusion matrix", c.label, x.file),
                &table,
            );
        }
    }
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
    classifier_text(e, &mut |title, t| emit(&mut out, title, t));
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
