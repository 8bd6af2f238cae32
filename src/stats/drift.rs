//! `compare`: how a test file differs from a training file.
//!
//! - numeric features: the two-sample Kolmogorov-Smirnov statistic `D = max |F_train(x) − F_test(x)|`
//!   over every value x of either sample, the empirical distribution functions computed as scipy's
//!   `ks_2samp` computes them (count ≤ x divided by the sample size); and the Population Stability
//!   Index `Σ (q − p) ln(q / p)` over 10 equal-frequency bins of the training values (edges as in
//!   [`relevance::bin_edges`]), `p` and `q` the training and test shares of each bin, each floored at
//!   1e-4 so that an empty bin gives a large but finite figure;
//! - categorical features: the total variation distance `½ Σ |p(v) − q(v)|` over the values of
//!   either file, and the values present in only one of them;
//! - labels present only in the test file (novel attacks) or only in the training file, and the
//!   category shares side by side.

use rayon::prelude::*;
use serde::Serialize;

use super::describe::{DescribeOptions, DescribeState};
use super::relevance;
use super::{Distribution, OrderedMap};
use crate::error::Result;
use crate::load::Dataset;
use crate::schema::{self, Category};

/// Bins of the PSI.
pub const PSI_BINS: usize = 10;
/// Smallest share used in the PSI.
pub const PSI_FLOOR: f64 = 1e-4;

/// Drift of one numeric feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumericDrift {
    /// Kolmogorov-Smirnov statistic.
    pub ks: f64,
    /// Population Stability Index.
    pub psi: f64,
    /// Bins holding training values (fewer than 10 for heavily tied columns).
    pub bins: usize,
}

/// Drift of one categorical feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoricalDrift {
    /// Total variation distance.
    pub tvd: f64,
    /// Values only in the training file, with their counts.
    pub only_train: OrderedMap<u64>,
    /// Values only in the test file, with their counts.
    pub only_test: OrderedMap<u64>,
}

/// Rows of one category in both files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryShares {
    /// Rows in the training file.
    pub train: u64,
    /// Their share of the training file.
    pub train_share: f64,
    /// Rows in the test file.
    pub test: u64,
    /// Their share of the test file.
    pub test_share: f64,
}

/// Everything `compare` reports. Its JSON form is documented in the README ("compare").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    /// The training file.
    pub train: String,
    /// The test file.
    pub test: String,
    /// Rows of the training file.
    pub train_rows: usize,
    /// Rows of the test file.
    pub test_rows: usize,
    /// Numeric features, most drifted (by KS) first.
    pub numeric: OrderedMap<NumericDrift>,
    /// Categorical features, most drifted (by TVD) first.
    pub categorical: OrderedMap<CategoricalDrift>,
    /// Labels only in the test file (novel attacks), with their counts.
    pub novel_labels: OrderedMap<u64>,
    /// Rows of the test file with a novel label.
    pub novel_rows: u64,
    /// Labels only in the training file, with their counts.
    pub train_only_labels: OrderedMap<u64>,
    /// Category counts and shares, side by side.
    pub categories: OrderedMap<CategoryShares>,
}

/// The two-sample Kolmogorov-Smirnov statistic.
pub fn ks_statistic(a: &Distribution, b: &Distribution) -> f64 {
    let (na, nb) = (a.count() as f64, b.count() as f64);
    if na == 0.0 || nb == 0.0 {
        return f64::NAN;
    }
    // Walk the union of distinct values with running counts.
    let (va, vb) = (a.values(), b.values());
    let (ca, cb) = (a.counts(), b.counts());
    let (mut i, mut j) = (0, 0);
    let (mut cum_a, mut cum_b) = (0u64, 0u64);
    let mut d: f64 = 0.0;
    while i < va.len() || j < vb.len() {
        let x = match (va.get(i), vb.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while i < va.len() && va[i] <= x {
            cum_a += ca[i];
            i += 1;
        }
        while j < vb.len() && vb[j] <= x {
            cum_b += cb[j];
            j += 1;
        }
        let diff = cum_a as f64 / na - cum_b as f64 / nb;
        d = d.max(diff.abs());
    }
    d
}

/// The Population Stability Index of `test` against `train`, and the number of bins used.
pub fn psi(train: &Distribution, test: &Distribution) -> (f64, usize) {
    let edges = relevance::bin_edges(train, PSI_BINS);
    let shares = |d: &Distribution| -> Vec<f64> {
        let n = d.count().max(1) as f64;
        let mut below = 0u64;
        let mut out: Vec<f64> = edges
            .iter()
            .map(|&e| {
                let c = d.count_at_most(e);
                let share = (c - below) as f64 / n;
                below = c;
                share
            })
            .collect();
        out.push((d.count() - below) as f64 / n);
        out
    };
    let (p, q) = (shares(train), shares(test));
    let psi = p
        .iter()
        .zip(&q)
        .map(|(&p, &q)| {
            let (p, q) = (p.max(PSI_FLOOR), q.max(PSI_FLOOR));
            (q - p) * (q / p).ln()
        })
        .sum();
    let used = p.iter().filter(|&&share| share > 0.0).count();
    (psi, used)
}

/// Total variation distance between two count tables, and the values only in each.
fn tvd(train: &[(String, u64)], test: &[(String, u64)]) -> CategoricalDrift {
    let (nt, ns) = (
        train.iter().map(|x| x.1).sum::<u64>().max(1) as f64,
        test.iter().map(|x| x.1).sum::<u64>().max(1) as f64,
    );
    let find = |list: &[(String, u64)], k: &str| list.iter().find(|(v, _)| v == k).map(|x| x.1);
    let mut total = 0.0;
    let mut only_train = Vec::new();
    for (v, c) in train {
        let other = find(test, v);
        total += (*c as f64 / nt - other.unwrap_or(0) as f64 / ns).abs();
        if other.is_none() {
            only_train.push((v.clone(), *c));
        }
    }
    let mut only_test = Vec::new();
    for (v, c) in test {
        if find(train, v).is_none() {
            total += *c as f64 / ns;
            only_test.push((v.clone(), *c));
        }
    }
    CategoricalDrift {
        tvd: total / 2.0,
        only_train: OrderedMap(only_train),
        only_test: OrderedMap(only_test),
    }
}

/// Compares a test file with a training file.
pub fn compare(train: &Dataset, test: &Dataset) -> Result<DriftReport> {
    let state = |ds: &Dataset| -> Result<DescribeState> {
        let mut s = DescribeState::new(ds, &DescribeOptions::default())?;
        s.update(ds)?;
        Ok(s)
    };
    compare_states(&state(train)?, &state(test)?)
}

/// Compares the test file described by `test` with the training file described by `train`
/// (states of every column, as `describe` keeps them while reading in chunks).
pub fn compare_states(train: &DescribeState, test: &DescribeState) -> Result<DriftReport> {
    for s in [train, test] {
        if !s.absent().is_empty() {
            return Err(crate::Error::Usage(format!(
                "{}: compare needs every feature, and it lacks {}",
                s.path(),
                s.absent().join(", ")
            )));
        }
    }
    let numeric_features: Vec<&'static str> = schema::numeric_features().map(|f| f.name).collect();
    let mut numeric = numeric_features
        .par_iter()
        .map(|&name| {
            let (a, b) = (train.distribution(name)?, test.distribution(name)?);
            let (psi, bins) = psi(a, b);
            let ks = ks_statistic(a, b);
            Ok((name.to_string(), NumericDrift { ks, psi, bins }))
        })
        .collect::<Result<Vec<_>>>()?;
    numeric.sort_by(|x, y| y.1.ks.total_cmp(&x.1.ks).then_with(|| x.0.cmp(&y.0)));
    let mut categorical = schema::categorical_features()
        .map(|f| {
            let a = train.value_counts(f.name)?;
            let b = test.value_counts(f.name)?;
            Ok((f.name.to_string(), tvd(&a, &b)))
        })
        .collect::<Result<Vec<_>>>()?;
    categorical.sort_by(|x, y| y.1.tvd.total_cmp(&x.1.tvd).then_with(|| x.0.cmp(&y.0)));
    let labels = tvd(
        &train.value_counts(schema::LABEL)?,
        &test.value_counts(schema::LABEL)?,
    );
    let (ca, cb) = (
        train.value_counts(schema::CATEGORY)?,
        test.value_counts(schema::CATEGORY)?,
    );
    let count =
        |list: &[(String, u64)], k: &str| list.iter().find(|(v, _)| v == k).map_or(0, |x| x.1);
    let categories = Category::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| count(&ca, c) + count(&cb, c) > 0)
        .map(|c| {
            let (a, b) = (count(&ca, c), count(&cb, c));
            let shares = CategoryShares {
                train: a,
                train_share: a as f64 / train.rows().max(1) as f64,
                test: b,
                test_share: b as f64 / test.rows().max(1) as f64,
            };
            (c.to_string(), shares)
        })
        .collect();
    Ok(DriftReport {
        train: train.path().to_string(),
        test: test.path().to_string(),
        train_rows: train.rows() as usize,
        test_rows: test.rows() as usize,
        numeric: OrderedMap(numeric),
        categorical: OrderedMap(categorical),
        novel_rows: labels.only_test.iter().map(|(_, c)| *c).sum(),
        novel_labels: labels.only_test,
        train_only_labels: labels.only_train,
        categories: OrderedMap(categories),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: &[i64]) -> Distribution {
        Distribution::from_i64(&[v])
    }

    #[test]
    fn ks_worked_out_by_hand() {
        // a = 1 2 3 4, b = 3 4 5 6: at x = 2, F_a = 2/4, F_b = 0 -> D = 0.5.
        assert_eq!(ks_statistic(&d(&[1, 2, 3, 4]), &d(&[3, 4, 5, 6])), 0.5);
        assert_eq!(ks_statistic(&d(&[1, 2]), &d(&[1, 2])), 0.0);
        assert_eq!(ks_statistic(&d(&[1]), &d(&[2])), 1.0);
        // Ties: a = 0 0 0 1, b = 0 1 1 1: at 0, 3/4 - 1/4 = 0.5.
        assert_eq!(ks_statistic(&d(&[0, 0, 0, 1]), &d(&[0, 1, 1, 1])), 0.5);
    }

    #[test]
    fn psi_of_identical_samples_is_zero() {
        let a: Vec<i64> = (0..1000).collect();
        let (p, bins) = psi(&d(&a), &d(&a));
        assert_eq!(p, 0.0);
        assert_eq!(bins, 10);
    }

    #[test]
    fn psi_worked_out_by_hand() {
        // train 1..=10 (deciles at 1.9, 2.8, ...: one value per bin); test all 1 -> bin 0.
        // p = 0.1 everywhere; q = 1 in bin 0, 0 (floored to 1e-4) elsewhere.
        let train: Vec<i64> = (1..=10).collect();
        let (p, _) = psi(&d(&train), &d(&[1, 1, 1, 1]));
        let expected =
            (1.0 - 0.1) * (1.0f64 / 0.1).ln() + 9.0 * (1e-4 - 0.1) * (1e-4f64 / 0.1).ln();
        assert!((p - expected).abs() < 1e-12);
    }

    #[test]
    fn tvd_worked_out_by_hand() {
        let a = vec![("x".to_string(), 3), ("y".to_string(), 1)];
        let b = vec![("x".to_string(), 1), ("z".to_string(), 1)];
        // p: x .75 y .25; q: x .5 z .5 -> ½(.25 + .25 + .5) = .5
        let r = tvd(&a, &b);
        assert_eq!(r.tvd, 0.5);
        assert_eq!(r.only_train.0, [("y".to_string(), 1)]);
        assert_eq!(r.only_test.0, [("z".to_string(), 1)]);
    }
}
