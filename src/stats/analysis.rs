//! `stats`: per-class profiles, correlations, feature relevance, skewness and data-quality alerts.

use serde::Serialize;

use super::accumulate::Accumulator;
use super::correlation::Matrix;
use super::describe::GroupBy;
use super::pairs::PairSums;
use super::relevance::Relevance;
use super::state::FirstPass;
use super::{Distribution, OrderedMap};
use crate::error::Result;
use crate::load::Dataset;
use crate::schema;

/// Options of [`analyse`].
#[derive(Debug, Clone)]
pub struct StatsOptions {
    /// Profile per category or per label.
    pub by: GroupBy,
    /// Pairs with |Pearson r| (or |Spearman ρ|) at least this are listed as strongly correlated.
    pub min_r: f64,
    /// Equal-frequency bins for the relevance of numeric features.
    pub bins: usize,
    /// Alert thresholds.
    pub thresholds: Thresholds,
}

impl Default for StatsOptions {
    fn default() -> Self {
        StatsOptions {
            by: GroupBy::Category,
            min_r: 0.9,
            bins: 10,
            thresholds: Thresholds::default(),
        }
    }
}

/// When an alert is raised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Share of zeros for "mostly zeros".
    pub zeros: f64,
    /// |skewness| for "highly skewed".
    pub skewness: f64,
    /// Distinct values of a categorical column for "high cardinality".
    pub cardinality: usize,
    /// Share of the smallest category for "class imbalance".
    pub minority_share: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            zeros: 0.95,
            skewness: 20.0,
            cardinality: 50,
            minority_share: 0.01,
        }
    }
}

/// Mean and median of each numeric feature in one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupProfile {
    /// Rows in the group.
    pub rows: usize,
    /// Mean per feature.
    pub mean: OrderedMap<f64>,
    /// Median per feature.
    pub median: OrderedMap<f64>,
}

/// A strongly correlated pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    /// First feature (in file order).
    pub a: String,
    /// Second feature.
    pub b: String,
    /// Pearson's r.
    pub pearson: f64,
    /// Spearman's ρ.
    pub spearman: f64,
}

/// A data-quality alert, with the figure that raised it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// `constant`, `zeros`, `skewed`, `cardinality`, `duplicates`, `conflicts`, `imbalance`.
    pub kind: &'static str,
    /// The column concerned (`null` for whole-file alerts).
    pub column: Option<String>,
    /// The figure.
    pub value: f64,
    /// One line for people.
    pub message: String,
}

/// Everything `stats` reports about a file. Its JSON form is documented in the README ("stats").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsReport {
    /// The input's name.
    pub path: String,
    /// Number of records.
    pub rows: usize,
    /// What the profile groups by.
    pub profile_by: &'static str,
    /// Mean and median per group.
    pub profile: OrderedMap<GroupProfile>,
    /// Numeric features with zero variance (no correlation defined).
    pub constant_columns: Vec<String>,
    /// Pearson's r, feature by feature (`null` where undefined).
    pub pearson: OrderedMap<OrderedMap<f64>>,
    /// Spearman's ρ, feature by feature.
    pub spearman: OrderedMap<OrderedMap<f64>>,
    /// Pairs with |r| or |ρ| at least `min_r`, strongest first.
    pub strong_pairs: Vec<Pair>,
    /// The threshold used for `strong_pairs`.
    pub min_r: f64,
    /// Relevance to the category, most relevant first.
    pub relevance: Vec<Relevance>,
    /// Skewness per numeric feature (pandas' bias-corrected `skew`).
    pub skewness: OrderedMap<f64>,
    /// Data-quality alerts.
    pub alerts: Vec<Alert>,
}

fn to_nested(m: &Matrix) -> OrderedMap<OrderedMap<f64>> {
    OrderedMap(
        m.names
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let row = m
                    .names
                    .iter()
                    .enumerate()
                    .map(|(j, b)| (b.clone(), m.get(i, j)))
                    .collect();
                (a.clone(), OrderedMap(row))
            })
            .collect(),
    )
}

/// The figures `stats` is built from, however the file was read (whole: [`analyse`]; in
/// chunks: [`super::state`]).
pub(crate) struct ReportParts {
    /// The input's name.
    pub path: String,
    /// Its rows.
    pub rows: usize,
    /// The numeric features.
    pub names: Vec<String>,
    /// Their distributions.
    pub dists: Vec<Distribution>,
    /// Their statistics per group (`--by`).
    pub groups: OrderedMap<super::describe::GroupSummary>,
    /// Pearson's and Spearman's matrices.
    pub pearson: Matrix,
    /// Spearman's.
    pub spearman: Matrix,
    /// Relevance of every feature, in any order.
    pub relevance: Vec<Relevance>,
    /// Distinct values of each categorical feature.
    pub categorical_distinct: Vec<(&'static str, usize)>,
    /// Rows per category, most frequent first.
    pub categories: Vec<(String, u64)>,
}

/// Analyses a dataset in memory: the two passes of [`super::state`] over its one chunk.
pub fn analyse(ds: &Dataset, options: &StatsOptions) -> Result<StatsReport> {
    let mut first = FirstPass::new(ds, options.by)?;
    first.update(ds)?;
    let plan = std::sync::Arc::new(first.plan(options.bins, String::new())?);
    let mut second = PairSums::new(plan);
    second.update(ds)?;
    super::state::report(&first, &second, options)
}

/// The report from its parts.
pub(crate) fn report_of_parts(
    parts: ReportParts,
    options: &StatsOptions,
    duplicates: usize,
    conflicts: usize,
) -> StatsReport {
    let ReportParts {
        path,
        rows,
        names,
        dists,
        groups,
        pearson,
        spearman,
        mut relevance,
        categorical_distinct,
        categories,
    } = parts;
    let profile = OrderedMap(
        groups
            .0
            .into_iter()
            .map(|(g, s)| {
                let mean = s.numeric.iter().map(|(c, v)| (c.to_string(), v.mean));
                let median = s.numeric.iter().map(|(c, v)| (c.to_string(), v.q50));
                let p = GroupProfile {
                    rows: s.rows,
                    mean: OrderedMap(mean.collect()),
                    median: OrderedMap(median.collect()),
                };
                (g, p)
            })
            .collect(),
    );
    let constant_columns: Vec<String> = names
        .iter()
        .zip(&dists)
        .filter(|(_, d)| d.distinct() <= 1)
        .map(|(n, _)| n.clone())
        .collect();
    let mut strong_pairs = Vec::new();
    for i in 0..names.len() {
        for j in i + 1..names.len() {
            let (r, rho) = (pearson.get(i, j), spearman.get(i, j));
            if r.abs() >= options.min_r || rho.abs() >= options.min_r {
                strong_pairs.push(Pair {
                    a: names[i].clone(),
                    b: names[j].clone(),
                    pearson: r,
                    spearman: rho,
                });
            }
        }
    }
    strong_pairs.sort_by(|x, y| {
        let key = |p: &Pair| p.pearson.abs().max(p.spearman.abs());
        key(y).total_cmp(&key(x))
    });
    relevance.sort_by(|a, b| {
        b.mutual_information
            .total_cmp(&a.mutual_information)
            .then_with(|| a.feature.cmp(&b.feature))
    });
    let skewness: Vec<(String, f64)> = names
        .iter()
        .zip(&dists)
        .map(|(n, d)| (n.clone(), d.skewness()))
        .collect();
    let alerts = alerts(
        options,
        &names,
        &dists,
        &skewness,
        &Whole {
            rows,
            categorical_distinct: &categorical_distinct,
            categories: &categories,
            duplicates,
            conflicts,
        },
    );
    StatsReport {
        path,
        rows,
        profile_by: options.by.column(),
        profile,
        constant_columns,
        pearson: to_nested(&pearson),
        spearman: to_nested(&spearman),
        strong_pairs,
        min_r: options.min_r,
        relevance,
        skewness: OrderedMap(skewness),
        alerts,
    }
}

/// A share as a percentage with two decimals, more where two would round a share below 1 up to
/// 100% (or one above 0 down to 0%).
fn percent(x: f64) -> String {
    let s = format!("{:.2}%", 100.0 * x);
    if (s == "100.00%" && x < 1.0) || (s == "0.00%" && x > 0.0) {
        format!("{:.4}%", 100.0 * x)
    } else {
        s
    }
}

/// Whole-file figures the alerts read.
struct Whole<'a> {
    rows: usize,
    categorical_distinct: &'a [(&'static str, usize)],
    categories: &'a [(String, u64)],
    duplicates: usize,
    conflicts: usize,
}

fn alerts(
    options: &StatsOptions,
    names: &[String],
    dists: &[Distribution],
    skewness: &[(String, f64)],
    whole: &Whole<'_>,
) -> Vec<Alert> {
    let (duplicates, conflicts) = (whole.duplicates, whole.conflicts);
    let t = options.thresholds;
    let mut out = Vec::new();
    let alert = |kind, column: Option<&str>, value: f64, message: String| Alert {
        kind,
        column: column.map(str::to_string),
        value,
        message,
    };
    for ((name, d), (_, skew)) in names.iter().zip(dists).zip(skewness) {
        let n = d.count().max(1) as f64;
        if d.distinct() <= 1 {
            let v = d.min();
            out.push(alert(
                "constant",
                Some(name),
                v,
                format!("{name} is {v} in every row"),
            ));
            continue;
        }
        let zeros = d.zeros() as f64 / n;
        if zeros >= t.zeros {
            let msg = format!("{name} is 0 in {} of the rows", percent(zeros));
            out.push(alert("zeros", Some(name), zeros, msg));
        }
        if skew.abs() >= t.skewness {
            let msg = format!("{name} is highly skewed (skewness {skew:.1})");
            out.push(alert("skewed", Some(name), *skew, msg));
        }
    }
    for &(name, distinct) in whole.categorical_distinct {
        if distinct > t.cardinality {
            let msg = format!("{name} has {distinct} distinct values");
            out.push(alert("cardinality", Some(name), distinct as f64, msg));
        }
    }
    let rows = whole.rows.max(1) as f64;
    if duplicates > 0 {
        let share = duplicates as f64 / rows;
        let msg = format!(
            "{duplicates} rows ({}) duplicate earlier rows",
            percent(share)
        );
        out.push(alert("duplicates", None, duplicates as f64, msg));
    }
    if conflicts > 0 {
        let msg = format!("{conflicts} rows share their features with rows of another label");
        out.push(alert("conflicts", None, conflicts as f64, msg));
    }
    let cats = whole.categories;
    if let (Some(big), Some(small)) = (cats.first(), cats.last()) {
        let share = small.1 as f64 / rows;
        if cats.len() > 1 && share < t.minority_share {
            let msg = format!(
                "class imbalance: {} is {} of the rows ({} {}, {} {}: ratio {:.0})",
                small.0,
                percent(share),
                big.0,
                big.1,
                small.0,
                small.1,
                big.1 as f64 / small.1 as f64
            );
            out.push(alert("imbalance", Some(schema::CATEGORY), share, msg));
        }
    }
    out
}
