//! Evaluation stage: how well detectors separate attacks (positives) from normal traffic, overall,
//! per category and per label, and how their scores spread across attack classes.

pub mod classifiers;
pub mod counts;
/// The ranking metrics live with the statistics; their old path stays.
pub use crate::stats::metrics;
pub mod truth;

use serde::Serialize;

use crate::detect::Model;
use crate::error::Result;
use crate::load::Dataset;
use crate::load::rows::Rows;
use crate::schema::{self, Category};
use crate::stats::{Distribution, OrderedMap, value_counts};
pub use truth::Truth;

/// Quantiles of the scores of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    /// Rows in the group.
    pub rows: usize,
    /// Smallest score.
    pub min: f64,
    /// 5th percentile.
    pub p5: f64,
    /// First quartile.
    pub q25: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q75: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest score.
    pub max: f64,
    /// The scores themselves when there are fewer than [`Spread::FEW`] (a chart draws them as
    /// points; not written to JSON).
    #[serde(skip)]
    pub values: Vec<f64>,
}

impl Spread {
    /// Groups smaller than this keep their values.
    pub const FEW: usize = 5;

    /// The spread of these scores (quantiles as pandas' default, linear interpolation).
    pub fn of(scores: &[f64]) -> Spread {
        let d = Distribution::from_f64(&[scores]);
        Spread {
            rows: scores.len(),
            min: d.min(),
            p5: d.quantile(0.05),
            q25: d.quantile(0.25),
            median: d.quantile(0.5),
            q75: d.quantile(0.75),
            p95: d.quantile(0.95),
            max: d.max(),
            values: if scores.len() < Self::FEW {
                scores.to_vec()
            } else {
                Vec::new()
            },
        }
    }
}

/// Figures of one category against the normal rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryFigures {
    /// Rows of the category.
    pub rows: usize,
    /// ROC AUC of the category against all normal rows of the file.
    pub roc_auc: f64,
    /// Share of its rows flagged.
    pub detection_rate: f64,
}

/// Figures of one label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelFigures {
    /// Its category.
    pub category: String,
    /// Rows.
    pub count: usize,
    /// Share flagged.
    pub detection_rate: f64,
}

/// One detector on one test file. `roc_auc` holds `overall` and one entry per attack category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestFigures {
    /// The test file.
    pub file: String,
    /// Its rows.
    pub rows: usize,
    /// ROC AUC overall (`overall`) and per category (each against all normal rows).
    pub roc_auc: OrderedMap<f64>,
    /// Average precision (attacks positive).
    pub average_precision: f64,
    /// Share of attacks flagged at the threshold.
    pub detection_rate: f64,
    /// Share of normal rows flagged.
    pub false_alarm_rate: f64,
    /// Share of flagged rows that are attacks.
    pub precision: f64,
    /// Harmonic mean of precision and detection rate.
    pub f1: f64,
    /// Per attack category.
    pub per_category: OrderedMap<CategoryFigures>,
    /// Per label, most frequent first.
    pub per_label: OrderedMap<LabelFigures>,
    /// Score quantiles per category.
    pub scores_by_category: OrderedMap<Spread>,
    /// Score quantiles per label.
    pub scores_by_label: OrderedMap<Spread>,
}

/// One detector on every test file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectorFigures {
    /// The detector's stable id (`zscore`, `kmeans`, `gmm`, `iforest`, `ensemble`).
    pub id: String,
    /// For people: the detector and its main parameter.
    pub label: String,
    /// The parameters that apply to it, as in the model file.
    pub parameters: serde_json::Map<String, serde_json::Value>,
    /// Its threshold.
    pub threshold: f64,
    /// Rows it was fitted on.
    pub fit_rows: usize,
    /// Per test file.
    pub tests: Vec<TestFigures>,
}

/// The evaluation of every detector. Its JSON form is documented in the README ("evaluate").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The training file.
    pub train: String,
    /// Per detector.
    pub detectors: Vec<DetectorFigures>,
    /// Per classifier and hybrid (`evaluate --classifiers`, `--hybrid`; absent without them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub classifiers: Vec<crate::evaluate::classifiers::ClassifierFigures>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

/// Figures of scores on a test file.
pub fn figures(t: &Truth, scores: &[f64], threshold: f64) -> Result<TestFigures> {
    let categories: Vec<&str> = t.categories().collect();
    let labels: Vec<&str> = t.labels().collect();
    let normal = Category::Normal.as_str();
    let attack: Vec<bool> = categories.iter().map(|c| *c != normal).collect();
    let flagged: Vec<bool> = scores.iter().map(|s| *s > threshold).collect();
    let count = |pred: &dyn Fn(usize) -> bool| (0..scores.len()).filter(|&i| pred(i)).count();
    let positives = count(&|i| attack[i]);
    let negatives = scores.len() - positives;
    let tp = count(&|i| attack[i] && flagged[i]);
    let fp = count(&|i| !attack[i] && flagged[i]);
    let detection_rate = ratio(tp, positives);
    let precision = ratio(tp, tp + fp);
    let f1 = if precision + detection_rate > 0.0 {
        2.0 * precision * detection_rate / (precision + detection_rate)
    } else {
        f64::NAN
    };
    let mut roc = vec![("overall".to_string(), metrics::roc_auc(scores, &attack))];
    let mut per_category = Vec::new();
    let mut by_category = Vec::new();
    for c in Category::ALL {
        let name = c.as_str();
        let members: Vec<usize> = (0..scores.len())
            .filter(|&i| categories[i] == name)
            .collect();
        if members.is_empty() {
            continue;
        }
        let group: Vec<f64> = members.iter().map(|&i| scores[i]).collect();
        by_category.push((name.to_string(), Spread::of(&group)));
        if c == Category::Normal {
            continue;
        }
        // This category against every normal row.
        let (mut s, mut y) = (Vec::new(), Vec::new());
        for i in 0..scores.len() {
            if categories[i] == name || categories[i] == normal {
                s.push(scores[i]);
                y.push(categories[i] == name);
            }
        }
        let auc = metrics::roc_auc(&s, &y);
        roc.push((name.to_string(), auc));
        per_category.push((
            name.to_string(),
            CategoryFigures {
                rows: members.len(),
                roc_auc: auc,
                detection_rate: ratio(
                    members.iter().filter(|&&i| flagged[i]).count(),
                    members.len(),
                ),
            },
        ));
    }
    let mut per_label = Vec::new();
    let mut by_label = Vec::new();
    for (label, n) in value_counts(labels.iter().copied()) {
        let members: Vec<usize> = (0..scores.len()).filter(|&i| labels[i] == label).collect();
        let group: Vec<f64> = members.iter().map(|&i| scores[i]).collect();
        by_label.push((label.clone(), Spread::of(&group)));
        per_label.push((
            label.clone(),
            LabelFigures {
                category: schema::category_of(&label).as_str().to_string(),
                count: n as usize,
                detection_rate: ratio(
                    members.iter().filter(|&&i| flagged[i]).count(),
                    members.len(),
                ),
            },
        ));
    }
    Ok(TestFigures {
        file: t.name().to_string(),
        rows: t.rows(),
        roc_auc: OrderedMap(roc),
        average_precision: metrics::average_precision(scores, &attack),
        detection_rate,
        false_alarm_rate: ratio(fp, negatives),
        precision,
        f1,
        per_category: OrderedMap(per_category),
        per_label: OrderedMap(per_label),
        scores_by_category: OrderedMap(by_category),
        scores_by_label: OrderedMap(by_label),
    })
}

/// The encodings of test files by the models' encoders: each test file is encoded once per
/// distinct encoder.
#[derive(Debug, Default)]
pub struct Encodings {
    /// `(test index, index of the first model with this encoder, matrix)`.
    entries: Vec<(usize, usize, ndarray::Array2<f64>)>,
}

impl Encodings {
    /// Encodes every test file with every distinct encoder of `models`.
    pub fn new(models: &[Model], tests: &[Dataset]) -> Result<Encodings> {
        let mut entries: Vec<(usize, usize, ndarray::Array2<f64>)> = Vec::new();
        for (t, test) in tests.iter().enumerate() {
            for (i, m) in models.iter().enumerate() {
                let Some(e) = &m.encoder else { continue };
                let seen = entries
                    .iter()
                    .any(|(tt, j, _)| *tt == t && models[*j].encoder.as_ref() == Some(e));
                if !seen {
                    entries.push((t, i, e.transform(test)?));
                }
            }
        }
        Ok(Encodings { entries })
    }

    /// Test file `test` as encoded by model `model`'s encoder (`None` if it has none).
    pub fn get(
        &self,
        models: &[Model],
        model: usize,
        test: usize,
    ) -> Option<&ndarray::Array2<f64>> {
        let e = models[model].encoder.as_ref()?;
        self.entries
            .iter()
            .find(|(t, j, _)| *t == test && models[*j].encoder.as_ref() == Some(e))
            .map(|(_, _, x)| x)
    }
}

/// Scores of every model on every test file: `scores[model][test][row]`.
pub fn score_all(
    models: &[Model],
    tests: &[Dataset],
    encodings: &Encodings,
) -> Result<Vec<Vec<Vec<f64>>>> {
    models
        .iter()
        .enumerate()
        .map(|(i, m)| {
            tests
                .iter()
                .enumerate()
                .map(|(t, test)| m.score_encoded(test, encodings.get(models, i, t)))
                .collect()
        })
        .collect()
}

/// The evaluation of scores computed beforehand (`scores[model][test][row]`, as [`score_all`]).
pub fn evaluate_scores(
    train: &str,
    models: &[Model],
    tests: &[Truth],
    scores: &[Vec<Vec<f64>>],
) -> Result<Evaluation> {
    let mut detectors = Vec::new();
    for (m, per_model) in models.iter().zip(scores) {
        let per_test = tests
            .iter()
            .zip(per_model)
            .map(|(test, s)| figures(test, s, m.threshold))
            .collect::<Result<Vec<_>>>()?;
        detectors.push(detector_figures(m, per_test));
    }
    Ok(Evaluation {
        train: train.to_string(),
        detectors,
        classifiers: Vec::new(),
    })
}

fn detector_figures(m: &Model, tests: Vec<TestFigures>) -> DetectorFigures {
    DetectorFigures {
        id: m.id().to_string(),
        label: m.label(),
        parameters: m.parameters(),
        threshold: m.threshold,
        fit_rows: m.training.fit_rows,
        tests,
    }
}

/// What the evaluate state knows of a model: the first 32 hex digits of the SHA-256 of its JSON,
/// and its threshold.
pub fn model_key(m: &Model) -> Result<counts::ModelKey> {
    let json = serde_json::to_vec(m)
        .map_err(|e| crate::error::Error::Internal(format!("serialising a model: {e}")))?;
    let digest = crate::output::sha256_hex(&json)[..32].to_string();
    Ok(counts::ModelKey {
        digest,
        threshold: m.threshold,
    })
}

/// The scores of every model on the rows of one test file, counted (the mergeable state).
pub fn count_scores(models: &[Model], rows: Rows) -> Result<counts::ScoreCounts> {
    use crate::stats::Accumulator;
    let keys = models.iter().map(model_key).collect::<Result<Vec<_>>>()?;
    let (truth, scores) = score_rows(models, rows)?;
    let mut state = counts::ScoreCounts::new(truth.name(), keys);
    state.update(&counts::Scored { truth, scores })?;
    Ok(state)
}

/// The evaluation of the models from the counts of their scores on one test file (the states of
/// its parts merged).
pub fn evaluate_counts(
    train: &str,
    models: &[Model],
    state: &counts::ScoreCounts,
) -> Result<Evaluation> {
    use crate::stats::Accumulator;
    let detectors = models
        .iter()
        .zip(state.finish()?)
        .map(|(m, f)| detector_figures(m, vec![f]))
        .collect();
    Ok(Evaluation {
        train: train.to_string(),
        detectors,
        classifiers: Vec::new(),
    })
}

/// Scores every model on the rows of one test file, read in chunks (each chunk encoded once per
/// distinct encoder): the file's truth and `scores[model][row]`.
pub fn score_rows(models: &[Model], rows: Rows) -> Result<(Truth, Vec<Vec<f64>>)> {
    let mut scores = vec![Vec::new(); models.len()];
    let truth = truth::pass(rows, "evaluate", |ds| {
        let chunk = std::slice::from_ref(ds);
        let encodings = Encodings::new(models, chunk)?;
        for (s, per_test) in scores.iter_mut().zip(score_all(models, chunk, &encodings)?) {
            s.extend_from_slice(&per_test[0]);
        }
        Ok(())
    })?;
    Ok((truth, scores))
}

/// Evaluates fitted models on test files, each read in chunks.
pub fn evaluate(train: &str, models: &[Model], tests: &[Rows]) -> Result<Evaluation> {
    let mut truths = Vec::new();
    let mut scores: Vec<Vec<Vec<f64>>> = vec![Vec::new(); models.len()];
    for rows in tests {
        let (truth, per_model) = score_rows(models, *rows)?;
        truths.push(truth);
        for (s, p) in scores.iter_mut().zip(per_model) {
            s.push(p);
        }
    }
    evaluate_scores(train, models, &truths, &scores)
}
