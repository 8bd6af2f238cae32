//! The classifiers section: supervised classifiers and hybrids fitted on the training file, their
//! binary accuracy beside the NSL-KDD paper's table, their figures per test file, the confusion
//! matrices (category and label targets), and the label x model detection grid with the novel
//! labels marked.

use plotters::style::RGBColor;

use super::html::{Block, Cell, Figure, Section, Table};
use super::plot::{BarChart, Bars, CountMatrix, DetectionGrid, GridRow, Scale};
use super::{palette, short, slugs};
use crate::classify::{Classifier, ClassifierName, Params, Target};
use crate::detect::{self, FitOptions};
use crate::error::Result;
use crate::evaluate::classifiers::{self as ce, ClassifierFigures, TestFile};
use crate::load::Dataset;
use crate::load::rows::Rows;
use crate::schema;
use crate::stats::drift::DriftReport;

/// What the report fits.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierOptions {
    /// Classifiers evaluated on their own.
    pub classifiers: Vec<ClassifierName>,
    /// Hybrids: a classifier and a detector's parameters.
    pub hybrids: Vec<(ClassifierName, FitOptions)>,
    /// The target.
    pub target: Target,
    /// Seed of the forest.
    pub seed: u64,
    /// SHA-256 of each test file (to recognise the paper's files).
    pub test_sha256: Vec<String>,
}

impl ClassifierOptions {
    /// Whether anything is to be fitted.
    pub fn any(&self) -> bool {
        !self.classifiers.is_empty() || !self.hybrids.is_empty()
    }
}

/// Fits the classifiers and hybrids on `train` (the training file or a sample of it, whose
/// labels are `known`) and measures them on `tests`.
pub fn run(
    train: &Dataset,
    sha256: &str,
    known: &std::collections::BTreeSet<String>,
    tests: &[Rows<'_>],
    o: &ClassifierOptions,
) -> Result<Vec<ClassifierFigures>> {
    let files: Vec<TestFile<'_>> = tests
        .iter()
        .enumerate()
        .map(|(i, rows)| TestFile {
            rows: *rows,
            sha256: o.test_sha256.get(i).cloned().unwrap_or_default(),
            known,
        })
        .collect();
    let mut names = o.classifiers.clone();
    for h in &o.hybrids {
        if !names.contains(&h.0) {
            names.push(h.0);
        }
    }
    let fitted = names
        .iter()
        .map(|&n| {
            Classifier::fit(
                train,
                sha256.to_string(),
                &Params::default_for(n, o.seed),
                o.target,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for c in fitted
        .iter()
        .filter(|c| o.classifiers.contains(&c.parameters.name()))
    {
        out.push(ce::classifier(c, &files)?);
    }
    for (name, fit) in &o.hybrids {
        if let Some(c) = fitted.iter().find(|c| c.parameters.name() == *name) {
            let d = detect::fit(train, sha256.to_string(), fit)?;
            out.push(ce::hybrid(c, &d, &files)?);
        }
    }
    Ok(out)
}

/// The classifiers section.
pub fn section(
    figures: &[ClassifierFigures],
    drift: &[DriftReport],
    overviews: &[super::FileOverview],
) -> Result<Section> {
    let mut blocks = vec![Block::Text(
        "Supervised classifiers learn from every row of the training file; a hybrid also flags \
         the rows an anomaly detector (fitted on the normal training rows, its threshold at the \
         false-alarm rate) scores above its threshold. Accuracy: attack vs normal."
            .into(),
    )];
    let files: Vec<String> = figures
        .first()
        .map(|c| c.tests.iter().map(|t| t.file.clone()).collect())
        .unwrap_or_default();
    let file_ids = slugs(&files);
    accuracy_blocks(figures, &files, &mut blocks)?;
    label_grids(figures, drift, overviews, &files, &file_ids, &mut blocks)?;
    confusion_blocks(figures, &file_ids, &mut blocks)?;
    Ok(Section {
        id: "classifiers".into(),
        title: "Classifiers".into(),
        intro: "Which supervised model catches which attacks, beside the NSL-KDD paper's table; \
                hybrids add an anomaly detector for the attacks the training file lacks."
            .into(),
        blocks,
    })
}

/// Accuracy beside the paper's, one bar per test file, and the table of every figure.
fn accuracy_blocks(
    figures: &[ClassifierFigures],
    files: &[String],
    blocks: &mut Vec<Block>,
) -> Result<()> {
    let paper: Vec<Option<ce::Paper>> = figures
        .first()
        .map(|c| c.tests.iter().map(|t| t.paper.clone()).collect())
        .unwrap_or_default();
    let colours: Vec<RGBColor> = (0..files.len()).map(palette::file).collect();
    let mut rows = Vec::new();
    for c in figures {
        rows.push((
            format!("{} (kddstat)", c.id),
            c.tests
                .iter()
                .zip(&colours)
                .map(|(t, &col)| (100.0 * t.accuracy, col))
                .collect(),
        ));
    }
    if paper.iter().any(Option::is_some) {
        for (name, _, _) in ce::PAPER {
            rows.push((
                format!("{name} (paper)"),
                paper
                    .iter()
                    .zip(&colours)
                    .map(|(p, &col)| {
                        (
                            p.as_ref()
                                .and_then(|p| p.accuracy.get(name).copied())
                                .unwrap_or(f64::NAN),
                            col,
                        )
                    })
                    .collect(),
            ));
        }
    }
    let chart = BarChart {
        title: "Binary accuracy: kddstat beside the NSL-KDD paper".into(),
        value_desc: "accuracy (%)".into(),
        rows,
        mode: Bars::Grouped,
        scale: Scale::Linear,
        max: Some(100.0),
        legend: files
            .iter()
            .zip(&colours)
            .map(|(f, c)| (short(f).to_string(), *c))
            .collect(),
        marks: Vec::new(),
    };
    blocks.push(Block::Figures(vec![Figure {
        name: "classifiers-accuracy".into(),
        caption: format!(
            "Binary accuracy of kddstat's classifiers and hybrids on each test file, beside the \
             paper's ({}) where the file is KDDTest+ or KDDTest-21.",
            ce::PAPER_SOURCE
        ),
        svg: chart.draw()?,
        wide: false,
    }]));
    let mut t = Table::named(
        "classifiers",
        &[
            "id",
            "model",
            "target",
            "test file",
            "accuracy",
            "detection rate",
            "false-alarm rate",
            "precision",
            "F1",
            "ROC AUC",
            "novel-label accuracy",
            "known-label accuracy",
            "5-class accuracy",
        ],
    );
    let opt = |v: Option<f64>| v.map_or(Cell::Number(f64::NAN), Cell::Share);
    for c in figures {
        for x in &c.tests {
            t.rows.push(vec![
                Cell::Text(c.id.clone()),
                Cell::Text(c.label.clone()),
                Cell::Text(c.target.clone()),
                Cell::Text(short(&x.file).to_string()),
                Cell::Share(x.accuracy),
                Cell::Share(x.detection_rate),
                Cell::Share(x.false_alarm_rate),
                Cell::Number(x.precision),
                Cell::Number(x.f1),
                Cell::Number(x.roc_auc),
                opt(x.novel_accuracy),
                opt(x.known_accuracy),
                opt(x.accuracy_5class),
            ]);
        }
    }
    blocks.push(Block::Table(t));
    Ok(())
}

/// Detection per label: which model catches which attack, novel labels starred.
fn label_grids(
    figures: &[ClassifierFigures],
    drift: &[DriftReport],
    overviews: &[super::FileOverview],
    files: &[String],
    file_ids: &[String],
    blocks: &mut Vec<Block>,
) -> Result<()> {
    let mut grids = Vec::new();
    for (ti, (file, id)) in files.iter().zip(file_ids.iter()).enumerate() {
        let novel = drift
            .iter()
            .find(|d| d.test == *file)
            .map(|d| &d.novel_labels);
        let Some(first) = figures.first().and_then(|c| c.tests.get(ti)) else {
            continue;
        };
        let labels: Vec<&str> = first.per_label.iter().map(|(l, _)| l).collect();
        let counts: std::collections::HashMap<&str, usize> = labels
            .iter()
            .map(|l| {
                let n = overviews
                    .iter()
                    .find(|o| o.file == *file)
                    .and_then(|o| o.labels.get(l).copied())
                    .unwrap_or(0);
                (*l, n as usize)
            })
            .collect();
        let mut rows: Vec<GridRow> = labels
            .iter()
            .map(|&l| GridRow {
                label: l.to_string(),
                category: schema::category_of(l).as_str().to_string(),
                rows: counts.get(l).copied().unwrap_or(0),
                novel: novel.is_some_and(|n| n.get(l).is_some()),
                rates: figures
                    .iter()
                    .map(|c| {
                        c.tests
                            .get(ti)
                            .and_then(|x| x.per_label.get(l).copied())
                            .unwrap_or(f64::NAN)
                    })
                    .collect(),
            })
            .collect();
        GridRow::sort(&mut rows);
        grids.push(Figure {
            name: format!("classifiers-by-label-{id}"),
            caption: format!(
                "Share of each attack label's rows each classifier and hybrid calls an attack on \
                 {}, novel labels starred.",
                short(file)
            ),
            svg: DetectionGrid {
                title: format!("Classifiers per label on {}", short(file)),
                detectors: figures.iter().map(|c| c.id.clone()).collect(),
                rows,
                missed_below: super::findings::MISSED_BELOW,
            }
            .draw()?,
            wide: true,
        });
    }
    blocks.push(Block::Figures(grids));
    Ok(())
}

/// Confusion matrices (category and label targets): a heat map and its table.
fn confusion_blocks(
    figures: &[ClassifierFigures],
    file_ids: &[String],
    blocks: &mut Vec<Block>,
) -> Result<()> {
    for c in figures {
        for (x, id) in c.tests.iter().zip(file_ids.iter()) {
            let Some(m) = &x.confusion else {
                continue;
            };
            let cols: Vec<String> = m
                .iter()
                .next()
                .map(|(_, r)| r.iter().map(|(k, _)| k.to_string()).collect())
                .unwrap_or_default();
            let mut header = vec!["true category"];
            header.extend(cols.iter().map(String::as_str));
            let mut t = Table::named(format!("confusion-{}-{id}", super::slug(&c.id)), &header);
            for (truth, row) in m.iter() {
                let mut r = vec![Cell::Text(truth.to_string())];
                r.extend(row.iter().map(|(_, n)| Cell::Count(*n)));
                t.rows.push(r);
            }
            let counts: Vec<u64> = m
                .iter()
                .flat_map(|(_, row)| row.iter().map(|(_, n)| *n).collect::<Vec<_>>())
                .collect();
            let heat = CountMatrix {
                title: format!("{} on {}", c.id, short(&x.file)),
                rows: m.iter().map(|(k, _)| k.to_string()).collect(),
                cols: cols.clone(),
                counts,
            };
            blocks.push(Block::Heading(format!(
                "{} on {}: confusion matrix (rows: true category, columns: predicted)",
                c.label,
                short(&x.file)
            )));
            blocks.push(Block::Figures(vec![Figure {
                name: format!("confusion-{}-{id}", super::slug(&c.id)),
                caption: format!(
                    "Confusion matrix of {} on {}: rows of each true category by the category \
                     predicted.",
                    c.label,
                    short(&x.file)
                ),
                svg: heat.draw()?,
                wide: false,
            }]));
            blocks.push(Block::Table(t));
        }
    }
    Ok(())
}

/// The classifiers' finding per test file: the most accurate model, and the paper's best beside
/// it when the file is one the paper measured.
pub fn findings(figures: &[ClassifierFigures]) -> Vec<super::findings::Finding> {
    let Some(first) = figures.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for ti in 0..first.tests.len() {
        let Some((best, x)) = figures
            .iter()
            .filter_map(|c| Some((c, c.tests.get(ti)?)))
            .max_by(|a, b| a.1.accuracy.total_cmp(&b.1.accuracy))
        else {
            continue;
        };
        let file = short(&x.file).to_string();
        let paper = x.paper.as_ref().and_then(|p| {
            p.accuracy
                .iter()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(n, v)| (n.to_string(), *v))
        });
        let text = match &paper {
            Some((name, acc)) => format!(
                "On {file}, {} is the most accurate model: {:.2}% of the rows right (attack vs \
                 normal), against {acc:.2}% for the paper's best ({name}).",
                best.label,
                100.0 * x.accuracy
            ),
            None => format!(
                "On {file}, {} is the most accurate model: {:.2}% of the rows right (attack vs \
                 normal).",
                best.label,
                100.0 * x.accuracy
            ),
        };
        out.push(super::findings::finding(
            "best_classifier_accuracy",
            "classifiers",
            text,
            serde_json::json!({
                "test": file,
                "classifier": best.id,
                "label": best.label,
                "accuracy": x.accuracy,
                "novel_accuracy": x.novel_accuracy,
                "paper_best": paper.as_ref().map(|p| p.1),
                "paper_best_model": paper.as_ref().map(|p| p.0.clone()),
            }),
        ));
    }
    out
}
