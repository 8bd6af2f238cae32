//! Relevance of each feature to the attack category: mutual information and information-gain ratio.
//!
//! Numeric features are discretised into equal-frequency bins first: the edges are the distinct
//! quantiles at 1/B, 2/B, ..., (B−1)/B (numpy's linear method), and the bins are
//! (−∞, e₁], (e₁, e₂], ..., (e_k, ∞). Heavily tied columns get fewer than B bins. This differs from
//! pandas' `qcut(x, B, duplicates="drop")`, which also makes the minimum and maximum edges and so
//! puts all of a 60/40 binary column such as `logged_in` into one bin, hiding its relevance.
//! Categorical features use their values.
//!
//! - mutual information `I(X; Y) = Σ p(x,y) ln(p(x,y) / (p(x) p(y)))`, in nats (natural logarithm,
//!   as `sklearn.metrics.mutual_info_score`);
//! - gain ratio `I(X; Y) / H(X)`, with `H(X)` the entropy of the binned feature (C4.5's split
//!   information); 0 when `H(X)` is 0.

use foldhash::HashMap;
use serde::Serialize;

use super::Distribution;

/// Relevance of one feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relevance {
    /// The feature.
    pub feature: String,
    /// Mutual information with the category, in nats.
    pub mutual_information: f64,
    /// Information-gain ratio.
    pub gain_ratio: f64,
    /// Number of distinct bins (or values) the feature was split into.
    pub bins: usize,
}

/// The inner edges of `bins` equal-frequency bins of a distribution, deduplicated.
pub fn bin_edges(d: &Distribution, bins: usize) -> Vec<f64> {
    let mut edges: Vec<f64> = (1..bins)
        .map(|k| d.quantile(k as f64 / bins as f64))
        .collect();
    edges.dedup();
    edges
}

/// The bin of `v`: the number of edges strictly below it.
pub fn bin_of(edges: &[f64], v: f64) -> usize {
    edges.partition_point(|&e| e < v)
}

/// Mutual information and gain ratio of a discrete feature (codes) and a discrete target (codes).
pub fn mutual_information(x: &[u32], y: &[u32]) -> (f64, f64) {
    let mut t = Contingency::default();
    for (&a, &b) in x.iter().zip(y) {
        t.add(a, b);
    }
    t.finish()
}

/// The counts of (feature code, target code) pairs, added row by row or chunk by chunk: the
/// figures depend only on the counts.
#[derive(Debug, Clone, Default)]
pub struct Contingency {
    joint: HashMap<(u32, u32), u64>,
    px: HashMap<u32, u64>,
    py: HashMap<u32, u64>,
    n: u64,
}

impl Contingency {
    /// Counts one row.
    pub fn add(&mut self, a: u32, b: u32) {
        *self.joint.entry((a, b)).or_insert(0) += 1;
        *self.px.entry(a).or_insert(0) += 1;
        *self.py.entry(b).or_insert(0) += 1;
        self.n += 1;
    }

    /// Distinct feature codes seen.
    pub fn distinct(&self) -> usize {
        self.px.len()
    }

    /// Mutual information and gain ratio.
    pub fn finish(&self) -> (f64, f64) {
        if self.n == 0 {
            return (0.0, 0.0);
        }
        let n = self.n as f64;
        // Sum in a fixed order so that the result does not depend on hash-map order.
        let mut cells: Vec<((u32, u32), u64)> = self.joint.iter().map(|(k, c)| (*k, *c)).collect();
        cells.sort_unstable();
        let mut mi = 0.0;
        for ((a, b), c) in cells {
            let pxy = c as f64 / n;
            let (ca, cb) = (self.px[&a] as f64, self.py[&b] as f64);
            mi += pxy * ((c as f64 * n) / (ca * cb)).ln();
        }
        let mut margins: Vec<(u32, u64)> = self.px.iter().map(|(k, c)| (*k, *c)).collect();
        margins.sort_unstable();
        let hx: f64 = margins
            .iter()
            .map(|&(_, c)| {
                let p = c as f64 / n;
                -p * p.ln()
            })
            .sum();
        let mi = mi.max(0.0);
        let ratio = if hx > 0.0 { mi / hx } else { 0.0 };
        (mi, ratio)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independent_and_identical_variables() {
        // x independent of y: I = 0.
        let (mi, gr) = mutual_information(&[0, 0, 1, 1], &[0, 1, 0, 1]);
        assert!(mi.abs() < 1e-15 && gr.abs() < 1e-15);
        // y = x, two equally likely values: I = H(X) = ln 2, ratio 1.
        let (mi, gr) = mutual_information(&[0, 0, 1, 1], &[5, 5, 7, 7]);
        assert!((mi - 2f64.ln()).abs() < 1e-15 && (gr - 1.0).abs() < 1e-15);
    }

    #[test]
    fn worked_example() {
        // x: 0 0 0 1; y: 0 0 1 1. p(0,0) = 1/2, p(0,1) = 1/4, p(1,1) = 1/4; p(x=0) = 3/4,
        // p(y=0) = p(y=1) = 1/2. I = 1/2 ln(4/3) + 1/4 ln(2/3) + 1/4 ln 2;
        // H(X) = -(3/4 ln 3/4 + 1/4 ln 1/4).
        let (mi, gr) = mutual_information(&[0, 0, 0, 1], &[0, 0, 1, 1]);
        let expected = 0.5 * (4.0f64 / 3.0).ln() + 0.25 * (2.0f64 / 3.0).ln() + 0.25 * 2f64.ln();
        let hx = -(0.75 * 0.75f64.ln() + 0.25 * 0.25f64.ln());
        assert!((mi - expected).abs() < 1e-15);
        assert!((gr - expected / hx).abs() < 1e-15);
    }

    #[test]
    fn equal_frequency_edges() {
        // 0 x 6, 1 2 3 4: deciles 0 .. 0, then 1.4, 2.3 ... dedup keeps one 0.
        let v: Vec<i64> = vec![0, 0, 0, 0, 0, 0, 1, 2, 3, 4];
        let d = Distribution::from_i64(&[&v]);
        let e = bin_edges(&d, 10);
        assert_eq!(e[0], 0.0);
        assert_eq!(e.iter().filter(|x| **x == 0.0).count(), 1);
        assert_eq!(bin_of(&e, 0.0), 0);
        assert_eq!(bin_of(&e, 4.0), e.len());
    }
}
