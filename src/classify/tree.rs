//! A CART decision tree (as scikit-learn's `DecisionTreeClassifier`): binary splits `x <= t` with
//! `t` midway between two neighbouring values, chosen by the largest decrease of Gini impurity or
//! entropy, grown until the leaves are pure or too small.
//!
//! Why our own code and not linfa-trees: we need per-row weights (a random forest's bootstrap is a
//! weight per row, not a copy of the rows), a random subset of features per split, and speed at
//! 125,973 rows x 122 columns. Each feature's values are binned once into at most
//! [`MAX_BINS`] ordered bins (every distinct value its own bin when there are that few, which holds
//! for 118 of the 122 columns of KDDTrain+; else bins of equal row counts, so a split can only fall
//! on a bin edge there), and a node finds its best split from class counts per bin: O(rows x
//! features) per level, no sorting after the first.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{Classify, Hyperparams, Labelled};

/// Bins per feature at most.
pub const MAX_BINS: usize = 256;
/// Histograms filled in turn by a node's scan of a feature.
const LANES: usize = 4;
/// Depth at most (a guard; NSL-KDD trees stop near 30).
pub const MAX_DEPTH: usize = 64;

/// How a split is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    /// Gini impurity `1 - sum p_k^2`.
    Gini,
    /// Entropy `-sum p_k log2 p_k` (information gain, as C4.5/J48).
    Entropy,
}

impl Criterion {
    /// Impurity of class counts summing to `n` (times `n`, to compare sums without dividing).
    fn weighted(self, counts: &[f64], n: f64) -> f64 {
        if n <= 0.0 {
            return 0.0;
        }
        match self {
            Criterion::Gini => n - counts.iter().map(|c| c * c).sum::<f64>() / n,
            Criterion::Entropy => -counts
                .iter()
                .filter(|c| **c > 0.0)
                .map(|c| c * (c / n).log2())
                .sum::<f64>(),
        }
    }
}

/// A node: a split, or a leaf with its class probabilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Node {
    /// Rows with `x[feature] <= threshold` go to `left`, the others to `right`.
    Split {
        /// Column of the encoding.
        feature: u32,
        /// The threshold.
        threshold: f64,
        /// Index of the left child.
        left: u32,
        /// Index of the right child.
        right: u32,
    },
    /// Class probabilities (weighted shares of the training rows that reached the leaf).
    Leaf {
        /// One per class.
        p: Vec<f32>,
    },
}

/// A fitted tree; node 0 is the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// The nodes.
    pub nodes: Vec<Node>,
}

/// The binned training matrix shared by the trees of a forest.
pub struct Binned {
    /// Column-major bins, `rows` per column.
    bins: Vec<u8>,
    /// Per column, the thresholds between bins (`thresholds[b]` separates bin `b` from `b + 1`).
    thresholds: Vec<Vec<f64>>,
    /// Rows.
    rows: usize,
}

impl Binned {
    /// Bins every column of `x` (row-major, `rows x cols`), columns in parallel.
    pub fn new(x: &ndarray::Array2<f64>) -> Binned {
        let (rows, cols) = x.dim();
        let per_column: Vec<(Vec<f64>, Vec<u8>)> = (0..cols)
            .into_par_iter()
            .map(|j| {
                let col = x.column(j);
                // Few distinct values (the one-hot and most count columns): no sort of the rows.
                let mut distinct: Vec<f64> = Vec::new();
                let mut seen = foldhash::HashSet::default();
                for v in col.iter() {
                    if seen.insert(v.to_bits()) {
                        distinct.push(*v);
                        if distinct.len() > MAX_BINS {
                            break;
                        }
                    }
                }
                let edges: Vec<f64> = if distinct.len() <= MAX_BINS {
                    distinct.sort_by(f64::total_cmp);
                    distinct
                        .windows(2)
                        .map(|w| w[0] + (w[1] - w[0]) / 2.0)
                        .collect()
                } else {
                    // Bins of about equal rows, edges midway between distinct neighbours.
                    let mut sorted: Vec<f64> = col.iter().copied().collect();
                    sorted.sort_by(f64::total_cmp);
                    let mut e = Vec::new();
                    for b in 1..MAX_BINS {
                        let i = b * rows / MAX_BINS;
                        let (lo, hi) = (sorted[i - 1], sorted[i]);
                        if hi > lo {
                            let t = lo + (hi - lo) / 2.0;
                            if e.last().is_none_or(|l| t > *l) {
                                e.push(t);
                            }
                        }
                    }
                    e
                };
                let bins = col
                    .iter()
                    .map(|v| edges.partition_point(|t| *t < *v) as u8)
                    .collect();
                (edges, bins)
            })
            .collect();
        let mut bins = Vec::with_capacity(rows * cols);
        let mut thresholds = Vec::with_capacity(cols);
        for (edges, b) in per_column {
            bins.extend_from_slice(&b);
            thresholds.push(edges);
        }
        Binned {
            bins,
            thresholds,
            rows,
        }
    }

    fn columns(&self) -> usize {
        self.thresholds.len()
    }

    fn bin(&self, col: usize, row: u32) -> usize {
        self.bins[col * self.rows + row as usize] as usize
    }
}

/// How a tree grows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Growth {
    /// Split criterion.
    pub criterion: Criterion,
    /// Features tried at each split (all when `None`).
    pub max_features: Option<usize>,
    /// A node with fewer (weighted) rows is a leaf.
    pub min_samples_split: f64,
    /// Seed of the feature choice.
    pub seed: u64,
}

impl Tree {
    /// Grows a tree on the rows with a positive `weight` (class `y[i]` of `classes`).
    pub fn grow(data: &Binned, y: &[u16], classes: usize, weight: &[f64], g: &Growth) -> Tree {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(g.seed);
        let cols = data.columns();
        let rows: Vec<u32> = (0..data.rows as u32)
            .filter(|&i| weight[i as usize] > 0.0)
            .collect();
        let mut nodes = vec![Node::Leaf { p: Vec::new() }];
        // (node index, rows, depth)
        let mut stack = vec![(0usize, rows, 0usize)];
        let mut hist = vec![0.0f64; LANES * MAX_BINS * classes];
        let mut features: Vec<usize> = (0..cols).collect();
        while let Some((at, rows, depth)) = stack.pop() {
            let mut counts = vec![0.0; classes];
            for &r in &rows {
                counts[y[r as usize] as usize] += weight[r as usize];
            }
            let n: f64 = counts.iter().sum();
            let pure = counts.iter().filter(|c| **c > 0.0).count() <= 1;
            let best = if pure || n < g.min_samples_split || depth >= MAX_DEPTH {
                None
            } else {
                let parent = g.criterion.weighted(&counts, n);
                let tried = match g.max_features {
                    Some(m) if m < cols => {
                        // A partial Fisher-Yates shuffle picks m features.
                        for i in 0..m {
                            let j = rng.gen_range(i..cols);
                            features.swap(i, j);
                        }
                        let mut f = features[..m].to_vec();
                        f.sort_unstable();
                        f
                    }
                    _ => (0..cols).collect(),
                };
                let mut best: Option<(f64, usize, usize)> = None;
                let (mut left, mut right) = (vec![0.0; classes], vec![0.0; classes]);
                // The node's classes and weights, gathered once: the scan of each feature then
                // reads only its bins.
                let node_y: Vec<usize> = rows.iter().map(|&r| y[r as usize] as usize).collect();
                let node_w: Vec<f64> = rows.iter().map(|&r| weight[r as usize]).collect();
                for &f in &tried {
                    let nb = data.thresholds[f].len() + 1;
                    if nb < 2 {
                        continue;
                    }
                    let width = nb * classes;
                    hist[..LANES * width].iter_mut().for_each(|h| *h = 0.0);
                    let column = &data.bins[f * data.rows..(f + 1) * data.rows];
                    // LANES histograms filled in turn, so that rows falling in the same bin do
                    // not wait on each other's additions; summed after (a fixed order).
                    for (i, ((&r, &c), &w)) in rows.iter().zip(&node_y).zip(&node_w).enumerate() {
                        let b = column[r as usize] as usize;
                        hist[(i % LANES) * width + b * classes + c] += w;
                    }
                    for lane in 1..LANES {
                        for j in 0..width {
                            hist[j] += hist[lane * width + j];
                        }
                    }
                    left.iter_mut().for_each(|v| *v = 0.0);
                    let mut nl = 0.0;
                    for b in 0..nb - 1 {
                        for k in 0..classes {
                            left[k] += hist[b * classes + k];
                        }
                        nl += hist[b * classes..(b + 1) * classes].iter().sum::<f64>();
                        let nr = n - nl;
                        if nl <= 0.0 || nr <= 0.0 {
                            continue;
                        }
                        for ((r, c), l) in right.iter_mut().zip(&counts).zip(&left) {
                            *r = c - l;
                        }
                        let child =
                            g.criterion.weighted(&left, nl) + g.criterion.weighted(&right, nr);
                        let gain = parent - child;
                        if gain > 1e-12 && best.is_none_or(|(bg, _, _)| gain > bg) {
                            best = Some((gain, f, b));
                        }
                    }
                }
                best
            };
            match best {
                None => {
                    nodes[at] = Node::Leaf {
                        p: counts
                            .iter()
                            .map(|c| (c / n.max(f64::MIN_POSITIVE)) as f32)
                            .collect(),
                    };
                }
                Some((_, f, b)) => {
                    let (l, r): (Vec<u32>, Vec<u32>) =
                        rows.iter().partition(|&&row| data.bin(f, row) <= b);
                    let (li, ri) = (nodes.len(), nodes.len() + 1);
                    nodes.push(Node::Leaf { p: Vec::new() });
                    nodes.push(Node::Leaf { p: Vec::new() });
                    nodes[at] = Node::Split {
                        feature: f as u32,
                        threshold: data.thresholds[f][b],
                        left: li as u32,
                        right: ri as u32,
                    };
                    stack.push((ri, r, depth + 1));
                    stack.push((li, l, depth + 1));
                }
            }
        }
        Tree { nodes }
    }

    /// Adds `weight` to the part of each column tested on the decision path of `row` (once per
    /// test).
    pub fn path(&self, row: &[f64], weight: f64, out: &mut [f64]) {
        let mut i = 0usize;
        for _ in 0..=self.nodes.len() {
            match self.nodes.get(i) {
                Some(Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                }) => {
                    let f = *feature as usize;
                    let (Some(&v), Some(o)) = (row.get(f), out.get_mut(f)) else {
                        return;
                    };
                    *o += weight;
                    i = if v <= *threshold { *left } else { *right } as usize;
                }
                _ => return,
            }
        }
    }

    /// The class probabilities of one row.
    pub fn leaf(&self, row: &[f64]) -> &[f32] {
        let mut i = 0usize;
        // Each step moves to a higher index, so a valid tree ends within `nodes.len()` steps.
        for _ in 0..=self.nodes.len() {
            match &self.nodes[i] {
                Node::Leaf { p } => return p,
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    i = if row[*feature as usize] <= *threshold {
                        *left as usize
                    } else {
                        *right as usize
                    };
                }
            }
        }
        &[]
    }

    /// Checks a tree read from a file: children after their parent and in range, features in
    /// range, finite thresholds, leaves of `classes` probabilities.
    pub fn check(&self, width: usize, classes: usize) -> std::result::Result<(), String> {
        if self.nodes.is_empty() {
            return Err("a tree has no node".into());
        }
        for (i, n) in self.nodes.iter().enumerate() {
            match n {
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    let ok = (*feature as usize) < width
                        && threshold.is_finite()
                        && (*left as usize) > i
                        && (*right as usize) > i
                        && (*left as usize) < self.nodes.len()
                        && (*right as usize) < self.nodes.len();
                    if !ok {
                        return Err(format!("tree node {i} is not a valid split"));
                    }
                }
                Node::Leaf { p } => {
                    if p.len() != classes || p.iter().any(|v| !v.is_finite() || *v < 0.0) {
                        return Err(format!(
                            "tree leaf {i} does not hold {classes} probabilities"
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The decision tree's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Split criterion.
    pub criterion: Criterion,
}

impl Default for Params {
    /// Entropy, as the J48 (C4.5) tree of the NSL-KDD paper and the reference figures.
    fn default() -> Self {
        Params {
            criterion: Criterion::Entropy,
        }
    }
}

impl Hyperparams for Params {
    fn check(&self) -> crate::Result<()> {
        Ok(())
    }

    fn label(&self) -> String {
        format!("tree ({})", self.criterion.as_str())
    }
}

impl Criterion {
    /// The name as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::Gini => "gini",
            Criterion::Entropy => "entropy",
        }
    }
}

impl Classify for Tree {
    type Params = Params;

    fn fit(p: &Params, data: &Labelled<'_>) -> crate::Result<Tree> {
        let binned = Binned::new(data.x);
        Ok(Tree::grow(
            &binned,
            data.y,
            data.classes,
            &vec![1.0; data.y.len()],
            &Growth {
                criterion: p.criterion,
                max_features: None,
                min_samples_split: 2.0,
                seed: 0,
            },
        ))
    }

    fn proba(&self, row: &[f64], out: &mut [f64]) {
        for (a, b) in out.iter_mut().zip(self.leaf(row)) {
            *a = f64::from(*b);
        }
    }

    /// The decision path: each column's part is the number of tests of it on the record's path
    /// from the root to its leaf (whatever the class).
    fn explain(&self, row: &[f64], _class: usize, out: &mut [f64]) {
        self.path(row, 1.0, out);
    }

    fn check(&self, width: usize, classes: usize) -> std::result::Result<(), String> {
        Tree::check(self, width, classes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_worked_split() {
        // x: 1 2 3 10 11 12; classes 0 0 0 1 1 1: one split at 6.5 separates them.
        let x = ndarray::Array2::from_shape_vec((6, 1), vec![1., 2., 3., 10., 11., 12.]).unwrap();
        let y = [0u16, 0, 0, 1, 1, 1];
        let data = Binned::new(&x);
        for criterion in [Criterion::Gini, Criterion::Entropy] {
            let t = Tree::grow(
                &data,
                &y,
                2,
                &[1.0; 6],
                &Growth {
                    criterion,
                    max_features: None,
                    min_samples_split: 2.0,
                    seed: 1,
                },
            );
            assert_eq!(t.nodes.len(), 3);
            assert!(matches!(t.nodes[0], Node::Split { threshold, .. } if threshold == 6.5));
            assert_eq!(t.leaf(&[2.5]), &[1.0, 0.0]);
            assert_eq!(t.leaf(&[7.0]), &[0.0, 1.0]);
            t.check(1, 2).unwrap();
        }
    }

    #[test]
    fn impurities_by_hand() {
        // Counts 3 and 1: Gini 1 - (9 + 1) / 16 = 0.375; entropy 0.811278...
        assert!((Criterion::Gini.weighted(&[3.0, 1.0], 4.0) / 4.0 - 0.375).abs() < 1e-12);
        let h = -(0.75f64 * 0.75f64.log2() + 0.25 * 0.25f64.log2());
        assert!((Criterion::Entropy.weighted(&[3.0, 1.0], 4.0) / 4.0 - h).abs() < 1e-12);
    }
}
