//! Isolation Forest (Liu, Ting and Zhou, "Isolation Forest", ICDM 2008), on the encoding.
//!
//! Each of `trees` trees is grown on `sample` rows drawn without replacement from the fitting rows,
//! splitting on a feature chosen at random among those not constant in the node, at a threshold
//! drawn uniformly between the node's minimum and maximum, down to one row or a depth of
//! ⌈log₂ sample⌉. A record's path length is the number of edges to its leaf plus `c(size)` for a
//! leaf holding `size` rows, with `c(n) = 2 H(n−1) − 2 (n−1) / n` the average path length of an
//! unsuccessful binary-search-tree search and `H(i) ≈ ln i + 0.5772156649`. The score is the paper's
//! `s(x, n) = 2^(−E[h(x)] / c(n))`: close to 1 for anomalies, below 0.5 for normal records. Tree `t`
//! draws from its own generator seeded with `seed + t`, so the forest does not depend on the number
//! of threads.

use ndarray::{Array2, ArrayView1, Axis};
use rand::Rng;
use rand::seq::index::sample as sample_indices;
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::encode::Transform;
use crate::error::{Error, Result};
use crate::model::explain::Contributions;
use crate::model::{self, Detect, FitData, Hyperparams, ScoreData};

/// A node: internal (feature, threshold, children) or a leaf (`feature` = `u32::MAX`, `size` rows).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Split feature, `u32::MAX` for a leaf.
    pub feature: u32,
    /// Split threshold: `x < threshold` goes left.
    pub threshold: f64,
    /// Left child index.
    pub left: u32,
    /// Right child index.
    pub right: u32,
    /// Rows that reached this leaf.
    pub size: u32,
}

/// A fitted Isolation Forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IsolationForest {
    /// Number of trees.
    pub trees: usize,
    /// Rows per tree.
    pub sample: usize,
    /// Seed.
    pub seed: u64,
    /// Width of the encoding the trees split on.
    pub width: usize,
    /// The trees, each a list of nodes with the root first.
    pub forest: Vec<Vec<Node>>,
}

/// The `feature` of a leaf node.
pub const LEAF: u32 = u32::MAX;
const EULER_GAMMA: f64 = 0.577_215_664_9;

/// Average path length of an unsuccessful search in a binary search tree of `n` nodes.
pub fn c(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + EULER_GAMMA) - 2.0 * (n - 1.0) / n
        }
    }
}

fn grow(
    x: &Array2<f64>,
    rows: &mut [usize],
    depth: usize,
    limit: usize,
    rng: &mut Xoshiro256Plus,
    nodes: &mut Vec<Node>,
) -> u32 {
    let index = nodes.len() as u32;
    let leaf = Node {
        feature: LEAF,
        threshold: 0.0,
        left: 0,
        right: 0,
        size: rows.len() as u32,
    };
    nodes.push(leaf);
    if rows.len() <= 1 || depth >= limit {
        return index;
    }
    // Features that vary among the node's rows, with their ranges.
    let candidates: Vec<(usize, f64, f64)> = (0..x.ncols())
        .filter_map(|j| {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for &r in rows.iter() {
                let v = x[[r, j]];
                lo = lo.min(v);
                hi = hi.max(v);
            }
            (hi > lo).then_some((j, lo, hi))
        })
        .collect();
    if candidates.is_empty() {
        return index;
    }
    let (feature, lo, hi) = candidates[rng.gen_range(0..candidates.len())];
    let threshold = rng.gen_range(lo..hi);
    let mut split = 0;
    for i in 0..rows.len() {
        if x[[rows[i], feature]] < threshold {
            rows.swap(i, split);
            split += 1;
        }
    }
    let (left_rows, right_rows) = rows.split_at_mut(split);
    let left = grow(x, left_rows, depth + 1, limit, rng, nodes);
    let right = grow(x, right_rows, depth + 1, limit, rng, nodes);
    nodes[index as usize] = Node {
        feature: feature as u32,
        threshold,
        left,
        right,
        size: 0,
    };
    index
}

impl IsolationForest {
    /// Grows the forest on the encoded fitting rows.
    pub fn fit(x: &Array2<f64>, trees: usize, sample: usize, seed: u64) -> Result<IsolationForest> {
        if trees == 0 {
            return Err(Error::InvalidParameter {
                name: "trees",
                value: trees.to_string(),
                expected: "must be at least 1".into(),
            });
        }
        if sample < 2 {
            return Err(Error::InvalidParameter {
                name: "max_samples",
                value: sample.to_string(),
                expected: "must be at least 2".into(),
            });
        }
        let n = x.nrows();
        let sample = sample.min(n);
        let limit = (sample as f64).log2().ceil() as usize;
        let forest = (0..trees)
            .into_par_iter()
            .map(|t| {
                let mut rng = Xoshiro256Plus::seed_from_u64(seed.wrapping_add(t as u64));
                let mut rows = sample_indices(&mut rng, n, sample).into_vec();
                let mut nodes = Vec::with_capacity(2 * sample);
                grow(x, &mut rows, 0, limit, &mut rng, &mut nodes);
                nodes
            })
            .collect();
        Ok(IsolationForest {
            trees,
            sample,
            seed,
            width: x.ncols(),
            forest,
        })
    }

    fn path_length(tree: &[Node], row: ArrayView1<'_, f64>) -> Option<f64> {
        let mut i = 0usize;
        let mut depth = 0.0;
        loop {
            let node = tree.get(i)?;
            if node.feature == LEAF {
                return Some(depth + c(node.size as usize));
            }
            let v = *row.get(node.feature as usize)?;
            i = if v < node.threshold {
                node.left
            } else {
                node.right
            } as usize;
            depth += 1.0;
            if depth > tree.len() as f64 {
                return None; // a cycle: only an edited file can hold one
            }
        }
    }

    /// The anomaly score `s(x, n)` of each row.
    pub fn score(&self, x: &Array2<f64>) -> Result<Vec<f64>> {
        if x.ncols() != self.width {
            return Err(Error::Usage(
                "the forest does not match its encoder (was the model file edited?)".into(),
            ));
        }
        let norm = c(self.sample);
        let rows: Vec<ArrayView1<'_, f64>> = x.axis_iter(Axis(0)).collect();
        rows.par_iter()
            .map(|r| {
                let mut total = 0.0;
                for tree in &self.forest {
                    total += Self::path_length(tree, r.view()).ok_or_else(|| {
                        Error::Usage(
                            "a tree of the model is malformed (was the file edited?)".into(),
                        )
                    })?;
                }
                let mean = total / self.forest.len().max(1) as f64;
                Ok(2f64.powf(-mean / norm))
            })
            .collect()
    }
}

/// The Isolation Forest's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Trees.
    pub trees: usize,
    /// Rows drawn for each tree (at most the fitting rows; `sample` in models saved before
    /// it took scikit-learn's name).
    #[serde(alias = "sample")]
    pub max_samples: usize,
    /// The transform of the numeric features in the encoding.
    #[serde(default)]
    pub transform: Transform,
}

/// The most trees.
pub const MAX_TREES: usize = 10_000;

impl Default for Params {
    fn default() -> Self {
        Params {
            trees: 100,
            max_samples: 256,
            transform: Transform::Log1p,
        }
    }
}

impl Hyperparams for Params {
    fn check(&self) -> Result<()> {
        model::within("trees", self.trees, 1, MAX_TREES)?;
        model::within("max_samples", self.max_samples, 2, 1 << 24)
    }

    fn label(&self) -> String {
        format!("iforest ({} trees)", self.trees)
    }
}

impl Detect for IsolationForest {
    type Params = Params;

    fn encoding(p: &Params) -> Option<Transform> {
        Some(p.transform)
    }

    fn fit(p: &Params, data: &FitData<'_>) -> Result<Self> {
        IsolationForest::fit(data.encoded()?, p.trees, p.max_samples, data.seed)
    }

    fn score(&self, data: &ScoreData<'_>) -> Result<Vec<f64>> {
        IsolationForest::score(self, data.encoded()?)
    }

    /// Path-length attribution (a simplified DIFFI, Carletti et al. 2020, "Interpretable
    /// Anomaly Detection with DIFFI"): each column's part is the number of splits on it along
    /// the record's path in every tree, each split weighted by 1 / its depth (the first splits
    /// isolate the most), averaged over the trees.
    fn explain(&self, data: &ScoreData<'_>, rows: &[usize]) -> Result<Vec<Contributions>> {
        let x = data.encoded()?;
        Ok(rows
            .iter()
            .map(|&row| self.explain_row(x.row(row)))
            .collect())
    }

    fn check(&self, width: Option<usize>) -> std::result::Result<(), String> {
        self.check_width(width)
    }
}

impl IsolationForest {
    /// The parts of one row (see [`Detect::explain`]).
    fn explain_row(&self, r: ArrayView1<'_, f64>) -> Contributions {
        let mut parts = vec![0.0; self.width];
        for tree in &self.forest {
            let mut i = 0usize;
            let mut depth = 1.0;
            while let Some(node) = tree.get(i) {
                if node.feature == LEAF || depth > tree.len() as f64 {
                    break;
                }
                let f = node.feature as usize;
                if let (Some(p), Some(&v)) = (parts.get_mut(f), r.get(f)) {
                    *p += 1.0 / depth;
                    i = if v < node.threshold {
                        node.left
                    } else {
                        node.right
                    } as usize;
                } else {
                    break;
                }
                depth += 1.0;
            }
        }
        let n = self.forest.len().max(1) as f64;
        parts.iter_mut().for_each(|p| *p /= n);
        Contributions::Columns(parts)
    }

    fn check_width(&self, width: Option<usize>) -> std::result::Result<(), String> {
        let w = width.ok_or("it has no encoder")?;
        // Children come after their parent, so no tree has a cycle.
        let ok = self.width == w
            && self.sample >= 2
            && self.trees == self.forest.len()
            && !self.forest.is_empty()
            && self.forest.iter().all(|t| {
                !t.is_empty()
                    && t.iter().enumerate().all(|(i, n)| {
                        n.feature == u32::MAX
                            || ((n.feature as usize) < w
                                && n.threshold.is_finite()
                                && (n.left as usize) > i
                                && (n.right as usize) > i
                                && (n.left as usize) < t.len()
                                && (n.right as usize) < t.len())
                    })
            });
        if ok {
            Ok(())
        } else {
            Err("its forest does not match its encoder".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_path_length() {
        assert_eq!(c(1), 0.0);
        assert_eq!(c(2), 1.0);
        // c(256) = 2 (ln 255 + γ) − 2 · 255 / 256 ≈ 10.2448
        assert!((c(256) - 10.2448).abs() < 1e-3);
    }

    #[test]
    fn an_outlier_scores_higher_and_scores_are_reproducible() {
        let mut x = Array2::<f64>::zeros((500, 2));
        for i in 0..500 {
            x[[i, 0]] = (i % 25) as f64 / 25.0;
            x[[i, 1]] = (i / 25) as f64 / 20.0;
        }
        x[[499, 0]] = 10.0;
        x[[499, 1]] = 10.0;
        let f = IsolationForest::fit(&x, 100, 256, 7).unwrap();
        let s = f.score(&x).unwrap();
        let inlier_max = s[..499].iter().cloned().fold(0.0, f64::max);
        assert!(
            s[499] > 0.6 && s[499] > inlier_max,
            "{} {}",
            s[499],
            inlier_max
        );
        let g = IsolationForest::fit(&x, 100, 256, 7).unwrap();
        assert_eq!(g.score(&x).unwrap(), s);
        // A malformed tree is an error, not a panic.
        let mut bad = f.clone();
        bad.forest[0][0].left = 9999;
        bad.forest[0][0].feature = 0;
        assert!(bad.score(&x).is_err());
    }
}
