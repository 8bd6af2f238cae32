//! Section 4, detectors: fitted on the normal rows of the training file, scored on each test file;
//! ROC and precision-recall curves, box plots of the scores per attack category and label,
//! detection rates per label at the threshold, k-means cluster compositions and the AUC table.

use ndarray::Axis;
use plotters::style::RGBColor;
use rayon::prelude::*;

use super::html::{Block, Cell, Figure, Section, Table};
use super::plot::{
    BarChart, Bars, BoxChart, BoxFigures, DetectionGrid, GridRow, LineChart, Scale, Series, WIDTH,
};
use super::{ClusterComposition, Curves, palette, short, slug, slugs};
use crate::detect::{self, FitOptions, Fitted};
use crate::error::Result;
use crate::evaluate::{self, Encodings, Evaluation, Spread, TestFigures, metrics};
use crate::load::Dataset;
use crate::load::rows::Rows;
use crate::schema::{self, Category};
use crate::stats::OrderedMap;

/// The index of a category name in [`Category::ALL`] (`unknown` for any other).
fn category_index(name: &str) -> usize {
    Category::ALL
        .iter()
        .position(|x| x.as_str() == name)
        .unwrap_or(Category::ALL.len() - 1)
}

/// Curves are thinned to points at least this far apart (in rate units) before drawing.
const CURVE_STEP: f64 = 0.004;

/// What the detector stage computed.
#[derive(Debug, Clone)]
pub struct Detected {
    /// The evaluation (as `kddstat evaluate`).
    pub evaluation: Evaluation,
    /// Thinned curves per detector and test file.
    pub curves: Vec<Curves>,
    /// k-means cluster compositions per test file.
    pub clusters: Vec<ClusterComposition>,
    /// Per detector and test file, the spread per category of the scores' percentiles among the
    /// detector's scores on its fitting rows (one scale for every detector; empty when a model
    /// lacks the quantiles).
    pub percentiles: Vec<Vec<OrderedMap<Spread>>>,
}

/// Fits the detectors on `train` and scores the test files, each read in chunks.
pub fn run(
    train: &Dataset,
    sha256: &str,
    tests: &[Rows<'_>],
    options: &[FitOptions],
    progress: &(dyn Fn(super::Stage) + Sync),
) -> Result<Detected> {
    let on_fit = |n: usize, o: &FitOptions| {
        progress(super::Stage::Fitting {
            n,
            of: options.len(),
            detector: o.detector(),
        })
    };
    let models = detect::fit_many(train, sha256, options, &on_fit)?;
    progress(super::Stage::Scoring);
    // Per test file: the truth, each model's scores, each k-means model's rows per (cluster,
    // category).
    let mut truths = Vec::new();
    let mut scores: Vec<Vec<Vec<f64>>> = vec![Vec::new(); models.len()];
    let mut compositions: Vec<Vec<Option<Vec<[u64; 6]>>>> = Vec::new();
    for rows in tests {
        let mut per_model: Vec<Vec<f64>> = vec![Vec::new(); models.len()];
        let mut counts: Vec<Option<Vec<[u64; 6]>>> = models
            .iter()
            .map(|m| match &m.detector {
                Fitted::Kmeans(km) => Some(vec![[0u64; 6]; km.centroids.len()]),
                _ => None,
            })
            .collect();
        let truth = evaluate::truth::pass(*rows, "report", |ds| {
            let chunk = std::slice::from_ref(ds);
            let encodings = Encodings::new(&models, chunk)?;
            for (s, per_test) in per_model
                .iter_mut()
                .zip(evaluate::score_all(&models, chunk, &encodings)?)
            {
                s.extend_from_slice(&per_test[0]);
            }
            for (i, m) in models.iter().enumerate() {
                let (Fitted::Kmeans(km), Some(n)) = (&m.detector, counts[i].as_mut()) else {
                    continue;
                };
                let Some(x) = encodings.get(&models, i, 0) else {
                    continue;
                };
                let rows: Vec<_> = x.axis_iter(Axis(0)).collect();
                let assigned: Vec<usize> =
                    rows.par_iter().map(|r| km.nearest(r.view()).0).collect();
                for (c, cat) in assigned.iter().zip(ds.str_values(schema::CATEGORY)?) {
                    n[*c][category_index(cat)] += 1;
                }
            }
            Ok(())
        })?;
        truths.push(truth);
        for (s, p) in scores.iter_mut().zip(per_model) {
            s.push(p);
        }
        compositions.push(counts);
    }
    let evaluation = evaluate::evaluate_scores(&train.name, &models, &truths, &scores)?;
    Ok(Detected {
        evaluation,
        curves: curves_of(&models, &truths, &scores),
        clusters: clusters_of(&models, &truths, &compositions),
        percentiles: percentiles_of(&models, &truths, &scores),
    })
}

/// Per model and test file, the spread of each category's scores as percentiles of the model's
/// scores on the normal training rows.
fn percentiles_of(
    models: &[detect::Model],
    truths: &[evaluate::Truth],
    scores: &[Vec<Vec<f64>>],
) -> Vec<Vec<OrderedMap<Spread>>> {
    let mut percentiles = Vec::new();
    for (m, per_test) in models.iter().zip(scores.iter()) {
        let mut per_file = Vec::new();
        for (t, s) in truths.iter().zip(per_test) {
            let mut groups: Vec<Vec<f64>> = vec![Vec::new(); Category::ALL.len()];
            for (score, cat) in s.iter().zip(t.categories()) {
                let Some(p) = m.percentile(*score) else {
                    break;
                };
                groups[category_index(cat)].push(p);
            }
            per_file.push(OrderedMap(
                Category::ALL
                    .iter()
                    .zip(&groups)
                    .filter(|(_, g)| !g.is_empty())
                    .map(|(c, g)| (c.as_str().to_string(), Spread::of(g)))
                    .collect(),
            ));
        }
        percentiles.push(per_file);
    }
    percentiles
}

/// Every model's ROC and precision-recall curves on every test file, thinned.
fn curves_of(
    models: &[detect::Model],
    truths: &[evaluate::Truth],
    scores: &[Vec<Vec<f64>>],
) -> Vec<Curves> {
    let attack: Vec<Vec<bool>> = truths
        .iter()
        .map(|t| {
            t.categories()
                .map(|c| c != Category::Normal.as_str())
                .collect()
        })
        .collect();
    let mut curves = Vec::new();
    for (m, per_test) in models.iter().zip(scores.iter()) {
        for ((t, s), y) in truths.iter().zip(per_test).zip(&attack) {
            curves.push(Curves {
                id: m.id().to_string(),
                label: m.label(),
                test: t.name().to_string(),
                roc: metrics::thin(&metrics::roc_curve(s, y), CURVE_STEP),
                precision_recall: metrics::thin(&metrics::pr_curve(s, y), CURVE_STEP),
            });
        }
    }
    curves
}

/// Each k-means model's rows per (cluster, category) on every test file.
fn clusters_of(
    models: &[detect::Model],
    truths: &[evaluate::Truth],
    compositions: &[Vec<Option<Vec<[u64; 6]>>>],
) -> Vec<ClusterComposition> {
    let mut clusters = Vec::new();
    for (i, m) in models.iter().enumerate() {
        for (t, per_test) in truths.iter().zip(compositions.iter()) {
            let Some(counts) = &per_test[i] else {
                continue;
            };
            clusters.push(ClusterComposition {
                id: m.id().to_string(),
                label: m.label(),
                test: t.name().to_string(),
                clusters: counts
                    .iter()
                    .map(|n| {
                        OrderedMap(
                            Category::ALL
                                .iter()
                                .zip(n)
                                .filter(|(_, k)| **k > 0)
                                .map(|(c, k)| (c.as_str().to_string(), *k))
                                .collect(),
                        )
                    })
                    .collect(),
            });
        }
    }
    clusters
}

fn box_of(s: &Spread) -> BoxFigures {
    BoxFigures {
        low: s.p5,
        q1: s.q25,
        median: s.median,
        q3: s.q75,
        high: s.p95,
        points: s.values.clone(),
    }
}

/// A scale that shows every box: log where the figures span more than three decades.
fn scale_for(rows: &[(String, BoxFigures, RGBColor)], threshold: f64) -> Scale {
    let values: Vec<f64> = rows
        .iter()
        .flat_map(|(_, b, _)| [b.low, b.q1, b.median, b.q3, b.high])
        .chain([threshold])
        .filter(|v| v.is_finite())
        .collect();
    let max = values.iter().map(|v| v.abs()).fold(0.0, f64::max);
    let positive_min = values
        .iter()
        .filter(|v| v.abs() > 0.0)
        .map(|v| v.abs())
        .fold(f64::INFINITY, f64::min);
    if max < 1000.0 * positive_min.max(1.0) {
        Scale::Linear
    } else if values.iter().all(|v| *v >= 0.0) {
        Scale::Log1p
    } else {
        Scale::SymLog
    }
}

fn category_legend() -> Vec<(String, RGBColor)> {
    Category::ALL[..5]
        .iter()
        .map(|&c| (c.as_str().to_string(), palette::category(c)))
        .collect()
}

fn boxes(detector: &str, threshold: f64, t: &TestFigures, by_label: bool) -> Result<String> {
    let rows: Vec<(String, BoxFigures, RGBColor)> = if by_label {
        let mut labels: Vec<(&str, &Spread)> = t.scores_by_label.iter().collect();
        labels.sort_by_key(|(l, s)| (schema::category_of(l), std::cmp::Reverse(s.rows)));
        labels
            .into_iter()
            .map(|(l, s)| {
                (
                    format!("{l} ({})", s.rows),
                    box_of(s),
                    palette::category(schema::category_of(l)),
                )
            })
            .collect()
    } else {
        t.scores_by_category
            .iter()
            .map(|(c, s)| {
                (
                    format!("{c} ({})", s.rows),
                    box_of(s),
                    palette::category_named(c),
                )
            })
            .collect()
    };
    let scale = scale_for(&rows, threshold);
    BoxChart {
        title: format!(
            "{detector} on {}: scores per {}",
            short(&t.file),
            if by_label { "label" } else { "category" }
        ),
        value_desc: "anomaly score".into(),
        rows,
        marks: vec![(threshold, "the detector's threshold".into())],
        scale,
        range: None,
        legend: if by_label {
            category_legend()
        } else {
            Vec::new()
        },
    }
    .draw()
}

/// The ROC or precision-recall chart of one test file: every detector's curve with its operating
/// point at the threshold; ROC on a log false-positive axis (the low-false-alarm region analysts
/// work in), precision-recall with the prevalence of attacks as its baseline.
fn curve_chart(
    title: String,
    roc: bool,
    series: Vec<Series>,
    markers: Vec<Option<(f64, f64)>>,
    normal_rows: usize,
    prevalence: f64,
) -> Result<String> {
    // The floor of the log axis: the decade at or below one normal row.
    let floor = 10f64.powf((1.0 / normal_rows.max(1) as f64).log10().floor().min(-1.0));
    LineChart {
        title,
        x_desc: if roc {
            "false-positive rate (normal rows flagged)".into()
        } else {
            "recall (attacks flagged)".into()
        },
        y_desc: if roc {
            "true-positive rate (attacks flagged)".into()
        } else {
            "precision (flagged rows that are attacks)".into()
        },
        series,
        markers,
        baselines: if roc {
            Vec::new()
        } else {
            vec![(
                prevalence,
                format!("attack share {:.1}% (a random ranking)", 100.0 * prevalence),
            )]
        },
        x_range: (if roc { floor } else { 0.0 }, 1.0),
        y_range: (0.0, 1.0),
        x_scale: if roc {
            Scale::Log { floor }
        } else {
            Scale::Linear
        },
        diagonal: roc,
        width: WIDTH,
    }
    .draw()
}

/// Every detector's percentile scores per category on one test file: one scale for all.
fn percentile_chart(d: &Detected, ti: usize, test: &str) -> Result<Option<String>> {
    let e = &d.evaluation;
    let mut rows = Vec::new();
    for cat in Category::ALL {
        for (i, det) in e.detectors.iter().enumerate() {
            let Some(s) = d
                .percentiles
                .get(i)
                .and_then(|p| p.get(ti))
                .and_then(|m| m.get(cat.as_str()))
            else {
                continue;
            };
            rows.push((
                format!(
                    "{} · {} ({})",
                    cat.as_str(),
                    det.id,
                    crate::render::thousands(s.rows as u64)
                ),
                box_of(s),
                palette::detector(i),
            ));
        }
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let fars: Vec<f64> = e
        .detectors
        .iter()
        .filter_map(|x| x.parameters.get("far").and_then(|v| v.as_f64()))
        .collect();
    let marks = match fars.first() {
        Some(&f) if fars.iter().all(|x| *x == f) && fars.len() == e.detectors.len() => vec![(
            100.0 * (1.0 - f),
            format!(
                "threshold of every detector ({} percentile)",
                ordinal(100.0 * (1.0 - f))
            ),
        )],
        _ => Vec::new(),
    };
    BoxChart {
        title: format!("Scores on one scale, {test}"),
        value_desc: "percentile among the normal training rows' scores".into(),
        rows,
        marks,
        scale: Scale::Linear,
        range: Some((0.0, 100.0)),
        legend: e
            .detectors
            .iter()
            .enumerate()
            .map(|(i, x)| (x.label.clone(), palette::detector(i)))
            .collect(),
    }
    .draw()
    .map(Some)
}

/// "99th", "99.5th".
fn ordinal(p: f64) -> String {
    let n = crate::render::compact(p);
    let suffix = match (p.round() as i64 % 100, p.fract() == 0.0) {
        (11..=13, true) => "th",
        (x, true) if x % 10 == 1 => "st",
        (x, true) if x % 10 == 2 => "nd",
        (x, true) if x % 10 == 3 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn auc_table(e: &Evaluation) -> Table {
    let mut t = Table::named(
        "detectors",
        &[
            "id",
            "detector",
            "test file",
            "ROC AUC",
            "DoS",
            "Probe",
            "R2L",
            "U2R",
            "average precision",
            "detection rate",
            "false-alarm rate",
            "precision",
            "F1",
            "threshold",
        ],
    );
    for d in &e.detectors {
        for x in &d.tests {
            let auc = |k: &str| Cell::Number(x.roc_auc.get(k).copied().unwrap_or(f64::NAN));
            t.rows.push(vec![
                Cell::Text(d.id.clone()),
                Cell::Text(d.label.clone()),
                Cell::Text(short(&x.file).to_string()),
                auc("overall"),
                auc("DoS"),
                auc("Probe"),
                auc("R2L"),
                auc("U2R"),
                Cell::Number(x.average_precision),
                Cell::Share(x.detection_rate),
                Cell::Share(x.false_alarm_rate),
                Cell::Number(x.precision),
                Cell::Number(x.f1),
                Cell::Number(d.threshold),
            ]);
        }
    }
    t
}

/// The detectors section.
/// The test files of an evaluation: their names, short names and ids.
struct TestFiles {
    files: Vec<String>,
    names: Vec<String>,
    ids: Vec<String>,
}

pub fn section(d: &Detected, drift: &[crate::stats::drift::DriftReport]) -> Result<Section> {
    let e = &d.evaluation;
    let files: Vec<String> = e.detectors[0]
        .tests
        .iter()
        .map(|t| t.file.clone())
        .collect();
    let t = TestFiles {
        ids: slugs(&files),
        names: files.iter().map(|f| short(f).to_string()).collect(),
        files,
    };
    let mut blocks = vec![
        Block::Text(format!(
            "Each detector is fitted on the normal rows of {} and its threshold set so that 1% of \
             them score above it (unless --far says otherwise). ROC AUC per category: that \
             category's rows against all normal rows.",
            short(&e.train)
        )),
        Block::Table(auc_table(e)),
    ];
    label_grids(d, drift, &t, &mut blocks)?;
    curve_figures(d, &t, &mut blocks)?;
    score_boxes(d, &t, &mut blocks)?;
    cluster_blocks(d, &mut blocks)?;
    Ok(Section {
        id: "detectors".into(),
        title: "Detectors".into(),
        intro: "Anomaly detectors fitted on normal traffic only, and how well their scores \
                separate each attack category and label from normal rows in the test files."
            .into(),
        blocks,
    })
}

/// Which detector catches which attack: one grid per test file.
fn label_grids(
    d: &Detected,
    drift: &[crate::stats::drift::DriftReport],
    t: &TestFiles,
    blocks: &mut Vec<Block>,
) -> Result<()> {
    let (e, files, tests, test_ids) = (&d.evaluation, &t.files, &t.names, &t.ids);
    blocks.push(Block::Heading("Detection per label".into()));
    let mut grids = Vec::new();
    for (ti, (test, id)) in tests.iter().zip(test_ids.iter()).enumerate() {
        let novel = drift
            .iter()
            .find(|x| x.test == files[ti])
            .map(|x| &x.novel_labels);
        let mut rows: Vec<GridRow> = e.detectors[0].tests[ti]
            .per_label
            .iter()
            .filter(|(_, l)| l.category != Category::Normal.as_str())
            .map(|(label, l)| GridRow {
                label: label.to_string(),
                category: l.category.clone(),
                rows: l.count,
                novel: novel.is_some_and(|n| n.get(label).is_some()),
                rates: e
                    .detectors
                    .iter()
                    .map(|det| {
                        det.tests[ti]
                            .per_label
                            .get(label)
                            .map_or(f64::NAN, |x| x.detection_rate)
                    })
                    .collect(),
            })
            .collect();
        GridRow::sort(&mut rows);
        grids.push(Figure {
            name: format!("detection-by-label-{id}"),
            caption: format!(
                "Share of each attack label's rows flagged at the threshold by each detector on \
                 {test}, labels grouped by category (the mark on the left), novel labels starred."
            ),
            svg: DetectionGrid {
                title: format!("Detection per label on {test}"),
                detectors: e.detectors.iter().map(|x| x.id.clone()).collect(),
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

/// ROC and precision-recall curves, one chart per test file and kind.
fn curve_figures(d: &Detected, t: &TestFiles, blocks: &mut Vec<Block>) -> Result<()> {
    let (e, files, tests, test_ids) = (&d.evaluation, &t.files, &t.names, &t.ids);
    blocks.push(Block::Heading("ROC and precision-recall curves".into()));
    let mut figs = Vec::new();
    for (ti, (test, id)) in tests.iter().zip(test_ids.iter()).enumerate() {
        let t0 = &e.detectors[0].tests[ti];
        let normal_rows = t0
            .scores_by_category
            .get(Category::Normal.as_str())
            .map_or(0, |s| s.rows);
        let prevalence = if t0.rows > 0 {
            (t0.rows - normal_rows.min(t0.rows)) as f64 / t0.rows as f64
        } else {
            0.0
        };
        for roc in [true, false] {
            let mut markers = Vec::new();
            let series = d
                .curves
                .iter()
                .filter(|c| c.test == files[ti])
                .enumerate()
                .map(|(i, c)| {
                    let x = &e.detectors[i].tests[ti];
                    markers.push(Some(if roc {
                        (x.false_alarm_rate, x.detection_rate)
                    } else {
                        (x.detection_rate, x.precision)
                    }));
                    let (name, points) = if roc {
                        (
                            format!(
                                "{} (AUC {:.3})",
                                c.label,
                                x.roc_auc.get("overall").copied().unwrap_or(f64::NAN)
                            ),
                            c.roc.clone(),
                        )
                    } else {
                        (
                            format!("{} (AP {:.3})", c.label, x.average_precision),
                            c.precision_recall.clone(),
                        )
                    };
                    (name, palette::detector(i), points)
                })
                .collect();
            let kind = if roc { "ROC" } else { "Precision-recall" };
            figs.push(Figure {
                name: format!("{}-{id}", if roc { "roc" } else { "pr" }),
                caption: if roc {
                    format!(
                        "ROC curves of every detector on {test} (attacks are the positives), on a \
                         log false-positive axis; the dots are the operating points at the \
                         thresholds."
                    )
                } else {
                    format!(
                        "Precision-recall curves of every detector on {test}; the dashed line is \
                         the share of attacks (what a random ranking reaches); the dots are the \
                         operating points at the thresholds."
                    )
                },
                svg: curve_chart(
                    format!("{kind} curves, {test}"),
                    roc,
                    series,
                    markers,
                    normal_rows,
                    prevalence,
                )?,
                wide: false,
            });
        }
    }
    blocks.push(Block::Figures(figs));

    Ok(())
}

/// Box plots of the scores per category and label: on one percentile scale, then per detector.
fn score_boxes(d: &Detected, t: &TestFiles, blocks: &mut Vec<Block>) -> Result<()> {
    let (e, tests, test_ids) = (&d.evaluation, &t.names, &t.ids);
    let detector_names: Vec<String> = e.detectors.iter().map(|x| x.label.clone()).collect();
    let detector_ids = slugs(&detector_names);
    blocks.push(Block::Heading(
        "Scores per attack category and label".into(),
    ));
    blocks.push(Block::Text(
        "Boxes from the first to the third quartile with the median; whiskers from the 5th to the \
         95th percentile; the dashed line is the threshold. Rows are labelled with their counts. \
         First all detectors on one scale: the percentile of a score among the detector's scores \
         on the normal training rows."
            .into(),
    ));
    let mut comparable = Vec::new();
    for (ti, (test, id)) in tests.iter().zip(test_ids.iter()).enumerate() {
        if let Some(svg) = percentile_chart(d, ti, test)? {
            comparable.push(Figure {
                name: format!("scores-percentile-{id}"),
                caption: format!(
                    "Every detector's scores on {test} per category, as percentiles of its scores \
                     on the normal training rows: one scale for all detectors."
                ),
                svg,
                wide: false,
            });
        }
    }
    if !comparable.is_empty() {
        blocks.push(Block::Figures(comparable));
        blocks.push(Block::Text(
            "Per detector, on its own raw scale (groups of fewer than 5 rows are drawn as points):"
                .into(),
        ));
    }
    let jobs: Vec<(usize, usize, bool)> = (0..e.detectors.len())
        .flat_map(|i| (0..tests.len()).flat_map(move |t| [(i, t, false), (i, t, true)]))
        .collect();
    let box_figures: Vec<Figure> = jobs
        .par_iter()
        .map(|&(i, t, by_label)| {
            let det = &e.detectors[i];
            let x = &det.tests[t];
            Ok(Figure {
                name: format!(
                    "scores-{}-{}-{}",
                    if by_label { "label" } else { "category" },
                    detector_ids[i],
                    test_ids[t]
                ),
                caption: format!(
                    "{} scores on {} per {}.",
                    det.label,
                    short(&x.file),
                    if by_label { "label" } else { "attack category" }
                ),
                svg: boxes(&det.label, det.threshold, x, by_label)?,
                wide: false,
            })
        })
        .collect::<Result<_>>()?;
    for chunk in box_figures.chunks(2) {
        blocks.push(Block::Figures(chunk.to_vec()));
    }

    Ok(())
}

/// The rows of each test file per k-means cluster, by category.
fn cluster_blocks(d: &Detected, blocks: &mut Vec<Block>) -> Result<()> {
    if !d.clusters.is_empty() {
        blocks.push(Block::Heading("k-means clusters".into()));
        blocks.push(Block::Text(
            "Rows of each test file assigned to each k-means cluster (the nearest centroid), \
             stacked by attack category: clusters that attract attacks show where the normal \
             profile of the training file is close to them."
                .into(),
        ));
        let mut figs = Vec::new();
        let mut tables = Vec::new();
        let ids = slugs(
            &d.clusters
                .iter()
                .map(|c| format!("{}-{}", slug(&c.label), slug(&c.test)))
                .collect::<Vec<_>>(),
        );
        for (c, id) in d.clusters.iter().zip(&ids) {
            let rows = c
                .clusters
                .iter()
                .enumerate()
                .map(|(k, m)| {
                    let segs = Category::ALL
                        .iter()
                        .map(|&cat| {
                            let n = m.get(cat.as_str()).copied().unwrap_or(0);
                            (n as f64, palette::category(cat))
                        })
                        .collect();
                    (format!("cluster {k}"), segs)
                })
                .collect();
            let chart = BarChart {
                title: format!("{} clusters, {}", c.label, short(&c.test)),
                value_desc: "rows".into(),
                rows,
                mode: Bars::Stacked,
                scale: Scale::Linear,
                max: None,
                legend: category_legend(),
                marks: Vec::new(),
            };
            figs.push(Figure {
                name: format!("clusters-{id}"),
                caption: format!(
                    "Rows of {} per {} cluster, by category.",
                    short(&c.test),
                    c.label
                ),
                svg: chart.draw()?,
                wide: false,
            });
            // Categories no row has (usually `unknown`) get no column.
            let present: Vec<Category> = Category::ALL
                .iter()
                .copied()
                .filter(|cat| c.clusters.iter().any(|m| m.get(cat.as_str()).is_some()))
                .collect();
            let mut t = Table::named(format!("clusters-{id}"), &["cluster"]);
            for cat in &present {
                t.header.push(cat.as_str().into());
            }
            for (k, m) in c.clusters.iter().enumerate() {
                let mut row = vec![Cell::Count(k as u64)];
                row.extend(
                    present
                        .iter()
                        .map(|cat| Cell::Count(m.get(cat.as_str()).copied().unwrap_or(0))),
                );
                t.rows.push(row);
            }
            tables.push(t);
        }
        blocks.push(Block::Figures(figs));
        blocks.extend(tables.into_iter().map(Block::Table));
    }
    Ok(())
}
