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

use std::borrow::Borrow;
use std::hash::Hash;

use foldhash::HashMap;
use serde::Serialize;

use super::Distribution;
use super::exact::ExactSum;

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

/// Mutual information and gain ratio of a discrete feature (codes) and a discrete target (codes
/// below [`CLASSES`]).
pub fn mutual_information(x: &[u32], y: &[u32]) -> (f64, f64) {
    let mut t = Table::default();
    for (&a, &b) in x.iter().zip(y) {
        t.add(&a, b as usize);
    }
    t.figures()
}

/// The target classes a [`Table`] counts: the attack categories.
pub const CLASSES: usize = crate::schema::Category::ALL.len();

/// The rows of each (feature value, target class) pair, added row by row or chunk by chunk and
/// merged from parts: the figures depend only on the counts, and their sums are exact
/// ([`ExactSum`]), so they do not depend on the order the values were met in either.
#[derive(Debug, Clone, PartialEq)]
pub struct Table<K: Eq + Hash> {
    cells: HashMap<K, [u64; CLASSES]>,
}

impl<K: Eq + Hash> Default for Table<K> {
    fn default() -> Self {
        Table {
            cells: HashMap::default(),
        }
    }
}

impl<K: Eq + Hash> Table<K> {
    /// Counts one row of value `x` and class `class` (below [`CLASSES`]).
    pub fn add<Q>(&mut self, x: &Q, class: usize)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        match self.cells.get_mut(x) {
            Some(c) => c[class] += 1,
            None => {
                let mut c = [0; CLASSES];
                c[class] = 1;
                self.cells.insert(x.to_owned(), c);
            }
        }
    }

    /// Adds the counts of another table.
    pub fn merge(&mut self, other: Table<K>) {
        for (k, c) in other.cells {
            let e = self.cells.entry(k).or_insert([0; CLASSES]);
            for (a, b) in e.iter_mut().zip(c) {
                *a += b;
            }
        }
    }

    /// Distinct feature values seen.
    pub fn distinct(&self) -> usize {
        self.cells.len()
    }

    /// The cells: each value with its rows per class.
    pub fn cells(&self) -> impl Iterator<Item = (&K, &[u64; CLASSES])> {
        self.cells.iter()
    }

    /// A table of these cells (each value once).
    pub fn from_cells(cells: impl IntoIterator<Item = (K, [u64; CLASSES])>) -> Self {
        Table {
            cells: cells.into_iter().collect(),
        }
    }

    /// Mutual information and gain ratio.
    pub fn figures(&self) -> (f64, f64) {
        let mut per_class = [0u64; CLASSES];
        for c in self.cells.values() {
            for (t, v) in per_class.iter_mut().zip(c) {
                *t += v;
            }
        }
        let n: u64 = per_class.iter().sum();
        if n == 0 {
            return (0.0, 0.0);
        }
        let n = n as f64;
        let (mut mi, mut hx) = (ExactSum::default(), ExactSum::default());
        for c in self.cells.values() {
            let ca = c.iter().sum::<u64>() as f64;
            for (&count, &cb) in c.iter().zip(&per_class) {
                if count > 0 {
                    let pxy = count as f64 / n;
                    mi.add(pxy * ((count as f64 * n) / (ca * cb as f64)).ln());
                }
            }
            let p = ca / n;
            hx.add(-p * p.ln());
        }
        let (mi, hx) = (mi.value().max(0.0), hx.value());
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
        let (mi, gr) = mutual_information(&[0, 0, 1, 1], &[2, 2, 4, 4]);
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
