//! The findings: short sentences computed from the report's figures (never written by hand), each
//! with the numbers it states (`summary.json`'s `findings`) and a link to the section that shows
//! the evidence. They are the report's first section.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::html::{Block, Section};
use super::short;
use crate::evaluate::{DetectorFigures, Evaluation};
use crate::stats::analysis::StatsReport;
use crate::stats::drift::DriftReport;

/// A label counts as missed by a detector when it flags less than this share of its rows.
pub const MISSED_BELOW: f64 = 0.01;

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What kind of finding (`best_detector_auc`, `missed_by_all`, ...).
    pub id: &'static str,
    /// The sentence.
    pub text: String,
    /// The numbers the sentence states.
    pub figures: Map<String, Value>,
    /// The section holding the evidence (an anchor of the page).
    #[serde(skip)]
    pub evidence: &'static str,
}

/// A finding with its sentence, the numbers it states and the anchor of its evidence.
pub fn finding(id: &'static str, evidence: &'static str, text: String, figures: Value) -> Finding {
    Finding {
        id,
        text,
        figures: match figures {
            Value::Object(m) => m,
            _ => Map::new(),
        },
        evidence,
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// The best detector on each test file, by ROC AUC and by F1 at its threshold, and the labels
/// every detector misses.
fn detector_findings(e: &Evaluation, out: &mut Vec<Finding>) {
    let Some(first) = e.detectors.first() else {
        return;
    };
    for j in 0..first.tests.len() {
        let test = short(&first.tests[j].file).to_string();
        let auc = |d: &DetectorFigures| {
            d.tests
                .get(j)
                .and_then(|t| t.roc_auc.get("overall").copied())
                .unwrap_or(f64::NAN)
        };
        let f1 = |d: &DetectorFigures| d.tests.get(j).map_or(f64::NAN, |t| t.f1);
        if let Some(best) = e.detectors.iter().max_by(|a, b| auc(a).total_cmp(&auc(b))) {
            out.push(finding(
                "best_detector_auc",
                "detectors",
                format!(
                    "On {test}, {} separates attacks from normal traffic best: ROC AUC {:.4}.",
                    best.label,
                    auc(best)
                ),
                json!({"test": test, "detector": best.id, "label": best.label, "roc_auc": auc(best)}),
            ));
        }
        if let Some(best) = e.detectors.iter().max_by(|a, b| f1(a).total_cmp(&f1(b))) {
            out.push(finding(
                "best_detector_f1",
                "detectors",
                format!(
                    "At its threshold, {} has the best F1 on {test}: {:.3} (detection rate {}, \
                     false alarms {}).",
                    best.label,
                    f1(best),
                    pct(best.tests.get(j).map_or(f64::NAN, |t| t.detection_rate)),
                    pct(best.tests.get(j).map_or(f64::NAN, |t| t.false_alarm_rate)),
                ),
                json!({"test": test, "detector": best.id, "label": best.label, "f1": f1(best)}),
            ));
        }
        // Labels (attacks only) that no detector flags.
        let mut missed: Vec<(String, usize)> = Vec::new();
        for (label, l) in first.tests[j].per_label.iter() {
            if l.category == "normal" {
                continue;
            }
            let all_miss = e.detectors.iter().all(|d| {
                d.tests
                    .get(j)
                    .and_then(|t| t.per_label.get(label))
                    .is_some_and(|x| x.detection_rate < MISSED_BELOW)
            });
            if all_miss {
                missed.push((label.to_string(), l.count));
            }
        }
        if !missed.is_empty() {
            let rows: usize = missed.iter().map(|(_, n)| n).sum();
            let names: Vec<String> = missed
                .iter()
                .map(|(l, n)| format!("{l} ({})", crate::render::thousands(*n as u64)))
                .collect();
            out.push(finding(
                "missed_by_all",
                "detectors",
                format!(
                    "On {test}, {} attack label{} ({} rows) {} missed by every detector (under {} \
                     of the rows flagged): {}.",
                    missed.len(),
                    if missed.len() == 1 { "" } else { "s" },
                    crate::render::thousands(rows as u64),
                    if missed.len() == 1 { "is" } else { "are" },
                    pct(MISSED_BELOW),
                    names.join(", ")
                ),
                json!({
                    "test": test,
                    "labels": missed.iter().map(|(l, _)| l).collect::<Vec<_>>(),
                    "rows": rows,
                }),
            ));
        }
    }
}

/// Novel labels, the category whose share moves most, and the most drifted features, per test
/// file.
fn drift_findings(drift: &[DriftReport], out: &mut Vec<Finding>) {
    for d in drift {
        let test = short(&d.test).to_string();
        let share = d.novel_rows as f64 / d.test_rows.max(1) as f64;
        out.push(finding(
            "novel_labels",
            "drift",
            format!(
                "{test} holds {} attack label{} the training file lacks: {} rows, {} of the file.",
                d.novel_labels.len(),
                if d.novel_labels.len() == 1 { "" } else { "s" },
                crate::render::thousands(d.novel_rows),
                pct(share)
            ),
            json!({"test": test, "labels": d.novel_labels.len(), "rows": d.novel_rows, "share": share}),
        ));
        let moved = d.categories.iter().max_by(|a, b| {
            (a.1.test_share - a.1.train_share)
                .abs()
                .total_cmp(&(b.1.test_share - b.1.train_share).abs())
        });
        if let Some((category, c)) = moved {
            out.push(finding(
                "category_shift",
                "drift",
                format!(
                    "The share of {category} moves most between the files: {} of the training \
                     rows, {} of {test}.",
                    pct(c.train_share),
                    pct(c.test_share)
                ),
                json!({
                    "test": test,
                    "category": category,
                    "train_share": c.train_share,
                    "test_share": c.test_share,
                }),
            ));
        }
        let top: Vec<(&str, f64)> = d.numeric.iter().take(3).map(|(f, n)| (f, n.ks)).collect();
        if !top.is_empty() {
            out.push(finding(
                "most_drifted_features",
                "drift",
                format!(
                    "The numeric features that drift most on {test} (Kolmogorov-Smirnov): {}.",
                    top.iter()
                        .map(|(f, ks)| format!("{f} ({ks:.3})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                json!({
                    "test": test,
                    "features": top.iter().map(|(f, _)| f).collect::<Vec<_>>(),
                    "ks": top.iter().map(|(_, k)| k).collect::<Vec<_>>(),
                }),
            ));
        }
    }
}

/// Every finding of a report, in the order the section shows them.
pub fn of(
    train: &str,
    stats: &StatsReport,
    drift: &[DriftReport],
    evaluation: Option<&Evaluation>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(e) = evaluation {
        detector_findings(e, &mut out);
    }
    drift_findings(drift, &mut out);
    out.push(finding(
        "data_quality_alerts",
        "overview",
        format!(
            "{} data-quality alert{} on {} (constant, mostly-zero or highly skewed columns, \
             duplicates, conflicting labels, class imbalance).",
            stats.alerts.len(),
            if stats.alerts.len() == 1 { "" } else { "s" },
            short(train)
        ),
        json!({"train": short(train), "alerts": stats.alerts.len()}),
    ));
    out
}

/// The findings section: one line each, with a link to its evidence.
pub fn section(findings: &[Finding]) -> Section {
    Section {
        id: "findings".into(),
        title: "Findings".into(),
        intro: "What the figures below say, computed from them (each figure is in summary.json \
                under findings)."
            .into(),
        blocks: vec![Block::Links(
            findings
                .iter()
                .map(|f| (f.text.clone(), f.evidence.to_string()))
                .collect(),
        )],
    }
}
