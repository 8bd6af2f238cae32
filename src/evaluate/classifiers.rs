//! Classifiers and hybrids measured on test files, as the NSL-KDD literature reports them.
//!
//! Definitions (scikit-learn's, attacks positive): `accuracy` is the share of rows whose attack-or-
//! normal prediction is right; `detection_rate` (recall) the share of attack rows predicted
//! attack; `false_alarm_rate` the share of normal rows predicted attack; `precision` the share of
//! rows predicted attack that are attacks; `f1` their harmonic mean; `roc_auc` the area under the
//! ROC curve of the attack probability (1 minus the probability of the normal class; for a hybrid,
//! the larger of that probability and the detector's score as a share of its fitting scores
//! below it); `per_category` the detection rate per attack category and, for `normal`, the share
//! of normal rows kept normal; `novel_accuracy` and `known_accuracy` the accuracy on the rows whose
//! label the training file lacks and on the others; with a category or label target,
//! `accuracy_5class` (the share of rows whose predicted category is right), `macro_f1` (the
//! unweighted mean of the F1 of the categories present in the truth or the predictions, as
//! scikit-learn's `f1_score(average="macro")`); `confusion` (true category -> predicted category
//! -> rows; for a binary target `normal`/`attack` -> `normal`/`attack` -> rows).
//!
//! A hybrid flags a row when its classifier predicts an attack OR its detector's score passes the
//! detector's threshold (set on the normal training rows at `--far`): no test label chooses
//! anything.

use serde::Serialize;

use super::Truth;
use crate::classify::Classifier;
use crate::detect::Model;
use crate::error::Result;
use crate::load::Dataset;
use crate::load::rows::Rows;
use crate::schema::{self, Category};
use crate::stats::OrderedMap;
use crate::stats::metrics;

/// The accuracies (binary, KDDTest+ and KDDTest-21) of Tavallaee et al., "A Detailed Analysis of
/// the KDD CUP 99 Data Set", IEEE CISDA 2009, Table (classifiers trained on KDDTrain+).
pub const PAPER: [(&str, f64, f64); 7] = [
    ("J48", 81.05, 63.97),
    ("Naive Bayes", 76.56, 55.77),
    ("NB Tree", 82.02, 66.16),
    ("Random Forest", 80.67, 63.25),
    ("Random Tree", 81.59, 58.51),
    ("Multi-layer Perceptron", 77.41, 57.34),
    ("SVM", 69.52, 42.29),
];
/// The source of [`PAPER`].
pub const PAPER_SOURCE: &str = "Tavallaee, Bagheri, Lu and Ghorbani, \"A Detailed Analysis of the KDD CUP 99 Data Set\", IEEE CISDA 2009";
/// SHA-256 of KDDTest+.txt and KDDTest-21.txt as distributed.
pub const TEST_SHA256: [(&str, &str); 2] = [
    (
        "KDDTest+",
        "fa46b0935342616aa83b7c2578db355b6a7aaabbc492248172c7a1e8b7ab8f84",
    ),
    (
        "KDDTest-21",
        "746993ac9e25868827cacf09eab450050a2a1056e1ce48a1ad39f5dc801d531d",
    ),
];

/// The paper's accuracies for a test file recognised by its SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paper {
    /// The source.
    pub source: &'static str,
    /// Which test file of the paper.
    pub test: &'static str,
    /// Classifier -> binary accuracy (percent).
    pub accuracy: OrderedMap<f64>,
}

impl Paper {
    /// The paper's figures when `sha256` is KDDTest+ or KDDTest-21.
    pub fn of(sha256: &str) -> Option<Paper> {
        let at = TEST_SHA256.iter().position(|(_, s)| *s == sha256)?;
        Some(Paper {
            source: PAPER_SOURCE,
            test: TEST_SHA256[at].0,
            accuracy: OrderedMap(
                PAPER
                    .iter()
                    .map(|(n, a, b)| (n.to_string(), if at == 0 { *a } else { *b }))
                    .collect(),
            ),
        })
    }
}

/// One classifier (or hybrid) on one test file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassifierTest {
    /// The test file.
    pub file: String,
    /// Its rows.
    pub rows: usize,
    /// Binary accuracy.
    pub accuracy: f64,
    /// Share of attacks predicted attack.
    pub detection_rate: f64,
    /// Share of normal rows predicted attack.
    pub false_alarm_rate: f64,
    /// Share of predicted attacks that are attacks.
    pub precision: f64,
    /// Harmonic mean of precision and detection rate.
    pub f1: f64,
    /// ROC AUC of the attack probability.
    pub roc_auc: f64,
    /// Detection rate per attack category (`normal`: the share kept normal).
    pub per_category: OrderedMap<f64>,
    /// Detection rate per attack label.
    pub per_label: OrderedMap<f64>,
    /// Accuracy on the rows whose label the training file lacks (`null` when none).
    pub novel_accuracy: Option<f64>,
    /// Accuracy on the other rows.
    pub known_accuracy: Option<f64>,
    /// Share of rows whose predicted category is right (category and label targets).
    pub accuracy_5class: Option<f64>,
    /// Unweighted mean F1 of the categories present (category and label targets).
    pub macro_f1: Option<f64>,
    /// True class -> predicted class -> rows: the five categories (and `unknown`, a hybrid's
    /// attack of no known category) for category and label targets, `normal`/`attack` for binary.
    pub confusion: Option<OrderedMap<OrderedMap<u64>>>,
    /// The paper's accuracies when the file is KDDTest+ or KDDTest-21.
    pub paper: Option<Paper>,
}

/// One classifier or hybrid on every test file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassifierFigures {
    /// `tree`, `forest`, `bayes`, or a hybrid `tree+gmm`.
    pub id: String,
    /// For people.
    pub label: String,
    /// The classifier's parameters (and the detector's for a hybrid).
    pub parameters: serde_json::Value,
    /// `binary`, `category` or `label`.
    pub target: String,
    /// Per test file.
    pub tests: Vec<ClassifierTest>,
}

/// A test file with what the evaluation needs of it.
pub struct TestFile<'a> {
    /// The rows (read in chunks).
    pub rows: Rows<'a>,
    /// SHA-256 of its bytes (to recognise the paper's files).
    pub sha256: String,
    /// Labels the training file has.
    pub known: &'a std::collections::BTreeSet<String>,
}

fn share(a: usize, b: usize) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

/// The figures of predictions on one file: `attack[i]` the binary prediction, `p[i]` the attack
/// probability, `category[i]` the predicted category when the target has one.
pub fn figures(
    t: &TestFile<'_>,
    truth: &Truth,
    (attack, p, category): &Predictions,
) -> Result<ClassifierTest> {
    let (attack, p, category) = (attack.as_slice(), p.as_slice(), category.as_deref());
    let labels: Vec<&str> = truth.labels().collect();
    let file = truth.name().to_string();
    let truth: Vec<Category> = labels.iter().map(|l| schema::category_of(l)).collect();
    let positive: Vec<bool> = truth.iter().map(|c| *c != Category::Normal).collect();
    let n = labels.len();
    let (mut tp, mut fp, mut tn, mut fn_) = (0usize, 0usize, 0usize, 0usize);
    for (&y, &a) in positive.iter().zip(attack) {
        match (y, a) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fn_ += 1,
        }
    }
    let precision = share(tp, tp + fp);
    let recall = share(tp, tp + fn_);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    let mut per_category = Vec::new();
    for c in Category::ALL {
        let rows: Vec<usize> = (0..n).filter(|&i| truth[i] == c).collect();
        if rows.is_empty() {
            continue;
        }
        let right = rows
            .iter()
            .filter(|&&i| attack[i] == (c != Category::Normal))
            .count();
        per_category.push((c.as_str().to_string(), share(right, rows.len())));
    }
    let mut by_label: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for i in 0..n {
        if positive[i] {
            let e = by_label.entry(labels[i]).or_default();
            e.0 += 1;
            e.1 += usize::from(attack[i]);
        }
    }
    let mut per_label: Vec<(String, f64, usize)> = by_label
        .into_iter()
        .map(|(l, (rows, hit))| (l.to_string(), share(hit, rows), rows))
        .collect();
    per_label.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let accuracy_on = |novel: bool| {
        let rows: Vec<usize> = (0..n)
            .filter(|&i| t.known.contains(labels[i]) != novel)
            .collect();
        (!rows.is_empty()).then(|| {
            share(
                rows.iter().filter(|&&i| attack[i] == positive[i]).count(),
                rows.len(),
            )
        })
    };
    let (accuracy_5class, macro_f1, confusion) = match category {
        // A binary target: the 2 x 2 matrix of normal and attack.
        None => {
            let cell = |truth: bool, pred: bool| {
                (0..n)
                    .filter(|&i| positive[i] == truth && attack[i] == pred)
                    .count() as u64
            };
            let row = |truth: bool| {
                OrderedMap(vec![
                    ("normal".to_string(), cell(truth, false)),
                    ("attack".to_string(), cell(truth, true)),
                ])
            };
            (
                None,
                None,
                Some(OrderedMap(vec![
                    ("normal".to_string(), row(false)),
                    ("attack".to_string(), row(true)),
                ])),
            )
        }
        Some(pred) => {
            let right = (0..n).filter(|&i| pred[i] == truth[i]).count();
            let five = &Category::ALL[..5];
            let mut f1s = Vec::new();
            // As scikit-learn's f1_score(average="macro"): over the categories present in
            // the truth or the predictions.
            for &c in five
                .iter()
                .filter(|c| truth.contains(c) || pred.contains(c))
            {
                let tp = (0..n).filter(|&i| pred[i] == c && truth[i] == c).count();
                let fp = (0..n).filter(|&i| pred[i] == c && truth[i] != c).count();
                let fn_ = (0..n).filter(|&i| pred[i] != c && truth[i] == c).count();
                // scikit-learn's zero_division=0 for a class never predicted nor present.
                let d = 2 * tp + fp + fn_;
                f1s.push(if d == 0 {
                    0.0
                } else {
                    2.0 * tp as f64 / d as f64
                });
            }
            let mut confusion = Vec::new();
            for &c in five {
                if !truth.contains(&c) {
                    continue;
                }
                // Predicted columns: the five categories, and `unknown` (a hybrid's attack of no
                // known category) when some row has it, so that every row sums to its count.
                let row = Category::ALL
                    .iter()
                    .filter(|&&d| d != Category::Unknown || pred.contains(&Category::Unknown))
                    .map(|&d| {
                        let k = (0..n).filter(|&i| truth[i] == c && pred[i] == d).count();
                        (d.as_str().to_string(), k as u64)
                    })
                    .collect();
                confusion.push((c.as_str().to_string(), OrderedMap(row)));
            }
            (
                Some(share(right, n)),
                Some(f1s.iter().sum::<f64>() / f1s.len().max(1) as f64),
                Some(OrderedMap(confusion)),
            )
        }
    };
    Ok(ClassifierTest {
        file,
        rows: n,
        accuracy: share(tp + tn, n),
        detection_rate: recall,
        false_alarm_rate: share(fp, fp + tn),
        precision,
        f1,
        roc_auc: metrics::roc_auc(p, &positive),
        per_category: OrderedMap(per_category),
        per_label: OrderedMap(per_label.into_iter().map(|(l, r, _)| (l, r)).collect()),
        novel_accuracy: accuracy_on(true),
        known_accuracy: accuracy_on(false),
        accuracy_5class,
        macro_f1,
        confusion,
        paper: Paper::of(&t.sha256),
    })
}

/// Predictions on a file: attack or not, the attack probability, the predicted category (when the
/// target has categories).
pub type Predictions = (Vec<bool>, Vec<f64>, Option<Vec<Category>>);

/// A classifier's predictions on a file.
pub fn predictions(c: &Classifier, ds: &Dataset) -> Result<Predictions> {
    let proba = c.proba(ds)?;
    let p = c.attack_probability(&proba);
    let best = c.predict(&proba);
    let attack: Vec<bool> = best.iter().map(|&k| c.classes[k] != "normal").collect();
    let to_category = |name: &str| match c.target {
        crate::classify::Target::Category => Category::ALL
            .iter()
            .copied()
            .find(|x| x.as_str() == name)
            .unwrap_or(Category::Unknown),
        _ => schema::category_of(name),
    };
    let category = match c.target {
        crate::classify::Target::Binary => None,
        crate::classify::Target::Category | crate::classify::Target::Label => {
            Some(best.iter().map(|&k| to_category(&c.classes[k])).collect())
        }
    };
    Ok((attack, p, category))
}

/// Adds a chunk's predictions to a file's.
fn extend(all: &mut Predictions, chunk: Predictions) {
    all.0.extend(chunk.0);
    all.1.extend(chunk.1);
    if let Some(c) = chunk.2 {
        all.2.get_or_insert_with(Vec::new).extend(c);
    }
}

/// The predictions of `predict` on every chunk of a test file, with its truth.
fn predict_file(
    t: &TestFile<'_>,
    predict: impl Fn(&Dataset) -> Result<Predictions>,
) -> Result<ClassifierTest> {
    let mut all: Predictions = (Vec::new(), Vec::new(), None);
    let truth = super::truth::pass(t.rows, "evaluate", |ds| {
        extend(&mut all, predict(ds)?);
        Ok(())
    })?;
    figures(t, &truth, &all)
}

/// A classifier on every test file.
pub fn classifier(c: &Classifier, tests: &[TestFile<'_>]) -> Result<ClassifierFigures> {
    let out = tests
        .iter()
        .map(|t| predict_file(t, |ds| predictions(c, ds)))
        .collect::<Result<Vec<_>>>()?;
    Ok(ClassifierFigures {
        id: c.id().to_string(),
        label: c.parameters.label(),
        parameters: serde_json::to_value(&c.parameters).unwrap_or_default(),
        target: c.target.as_str().to_string(),
        tests: out,
    })
}

/// A hybrid's predictions on a chunk: the classifier's attacks, plus the rows the detector flags.
fn hybrid_predictions(c: &Classifier, d: &Model, ds: &Dataset) -> Result<Predictions> {
    let (mut attack, mut p, mut category) = predictions(c, ds)?;
    let scores = d.score(ds)?;
    for (i, s) in scores.iter().enumerate() {
        if *s > d.threshold {
            attack[i] = true;
            // A row the classifier called normal but the detector flags: an attack of an
            // unknown category; counted as wrong in the 5-class figures unless it is normal.
            if let Some(cat) = category.as_mut() {
                if cat[i] == Category::Normal {
                    cat[i] = Category::Unknown;
                }
            }
        }
        let q = d.percentile(*s).map_or(0.0, |v| v / 100.0);
        p[i] = p[i].max(q);
    }
    Ok((attack, p, category))
}

/// A hybrid on every test file: the classifier's attacks, plus the rows the detector flags.
pub fn hybrid(c: &Classifier, d: &Model, tests: &[TestFile<'_>]) -> Result<ClassifierFigures> {
    let out = tests
        .iter()
        .map(|t| predict_file(t, |ds| hybrid_predictions(c, d, ds)))
        .collect::<Result<Vec<_>>>()?;
    let mut parameters = serde_json::Map::new();
    parameters.insert(
        "classifier".into(),
        serde_json::to_value(&c.parameters).unwrap_or_default(),
    );
    parameters.insert("detector".into(), serde_json::Value::Object(d.parameters()));
    parameters.insert("far".into(), serde_json::json!(d.parameters.far));
    Ok(ClassifierFigures {
        id: format!("{}+{}", c.id(), d.id()),
        label: format!("{} or {}", c.parameters.label(), d.label()),
        parameters: serde_json::Value::Object(parameters),
        target: c.target.as_str().to_string(),
        tests: out,
    })
}
