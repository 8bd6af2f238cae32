//! The second pass of `stats`: what needs the first pass's figures (means, ranks, bin edges).
//!
//! [`PairSums`] adds, for every pair of numeric features, the products of their centred values
//! (Pearson) and of their centred average ranks (Spearman), the products and their sum exact
//! ([`ExactSum`]), and counts the rows of each (bin, category) and
//! (categorical value, category) pair for the mutual information ([`Table`]). So the state of a
//! file's parts, merged in any order, finishes into the figures of the whole file to the bit, and
//! the figures are the correctly rounded sums of their definitions. Memory: 2 × 741 sums of
//! 1.1 KB, and the tables (the distinct categorical values and bins).

use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Distribution;
use super::accumulate::Accumulator;
use super::correlation::{self, Matrix};
use super::describe::DescribeState;
use super::exact::{ExactSum, SavedSum};
use super::relevance::{self, CLASSES, Relevance, Table};
use crate::error::{Error, Result};
use crate::load::Dataset;
use crate::schema::{self, Category};

/// What the second pass takes from the first: the numeric features' distributions (their means,
/// average ranks and bin edges) and the categorical features.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The numeric features, in file order.
    pub names: Vec<String>,
    /// Their distributions over the whole dataset.
    pub dists: Vec<Distribution>,
    means: Vec<f64>,
    ranks: Vec<Vec<f64>>,
    rank_means: Vec<f64>,
    edges: Vec<Vec<f64>>,
    /// The categorical features.
    pub categorical: Vec<&'static str>,
    /// Equal-frequency bins asked for.
    pub bins: usize,
    /// Rows of the first pass.
    pub rows: u64,
    /// Identifies the first pass the plan was made from (its digest, [`super::state`]).
    pub first: String,
    /// The dataset's name, for messages.
    pub path: String,
}

impl Plan {
    /// The plan of a first pass that described (at least) the numeric features.
    pub fn of(state: &DescribeState, bins: usize, first: String) -> Result<Plan> {
        let names: Vec<String> = schema::numeric_features()
            .map(|f| f.name.to_string())
            .collect();
        let dists: Vec<Distribution> = names
            .iter()
            .map(|n| state.distribution(n).cloned())
            .collect::<Result<_>>()?;
        Ok(Plan {
            means: dists.iter().map(Distribution::mean).collect(),
            ranks: dists.iter().map(Distribution::average_ranks).collect(),
            // The mean rank of n values is (n + 1) / 2 exactly.
            rank_means: dists
                .iter()
                .map(|d| (d.count() as f64 + 1.0) / 2.0)
                .collect(),
            edges: dists
                .iter()
                .map(|d| relevance::bin_edges(d, bins))
                .collect(),
            names,
            dists,
            categorical: schema::categorical_features().map(|f| f.name).collect(),
            bins,
            rows: state.rows(),
            first,
            path: state.path().to_string(),
        })
    }

    fn pairs(&self) -> usize {
        let k = self.names.len();
        k * (k + 1) / 2
    }
}

/// The index of pair (i, j), i ≤ j, among the pairs of k features listed row by row.
fn pair_index(k: usize, i: usize, j: usize) -> usize {
    let (i, j) = (i.min(j), i.max(j));
    i * k - i * (i + 1) / 2 + j
}

/// The second-pass state of `stats`.
#[derive(Debug, Clone)]
pub struct PairSums {
    plan: Arc<Plan>,
    rows: u64,
    pearson: Vec<ExactSum>,
    spearman: Vec<ExactSum>,
    numeric: Vec<Table<u32>>,
    text: Vec<Table<String>>,
}

/// The figures of the second pass.
#[derive(Debug, Clone)]
pub struct PairFigures {
    /// Pearson's r of every pair.
    pub pearson: Matrix,
    /// Spearman's ρ of every pair.
    pub spearman: Matrix,
    /// Relevance of every feature (numeric first, in file order).
    pub relevance: Vec<Relevance>,
}

/// [`PairSums`] as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPairs {
    /// Rows added.
    pub rows: u64,
    /// Exact sums of centred products, pair by pair (row by row of the upper triangle).
    pub pearson: Vec<SavedSum>,
    /// Exact sums of centred rank products.
    pub spearman: Vec<SavedSum>,
    /// Per numeric feature: (bin, rows per category), sorted by bin.
    pub numeric: Vec<Vec<(u32, [u64; CLASSES])>>,
    /// Per categorical feature: (value, rows per category), sorted by value.
    pub text: Vec<Vec<(String, [u64; CLASSES])>>,
}

fn class_of(category: &str) -> Result<usize> {
    Category::ALL
        .iter()
        .position(|c| c.as_str() == category)
        .ok_or_else(|| Error::Internal(format!("'{category}' is not a category")))
}

impl PairSums {
    /// An empty state for this plan.
    pub fn new(plan: Arc<Plan>) -> PairSums {
        PairSums {
            rows: 0,
            pearson: vec![ExactSum::default(); plan.pairs()],
            spearman: vec![ExactSum::default(); plan.pairs()],
            numeric: vec![Table::default(); plan.names.len()],
            text: vec![Table::default(); plan.categorical.len()],
            plan,
        }
    }

    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Rows added.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// A state read back for `plan`, checked.
    pub fn from_saved(plan: Arc<Plan>, s: SavedPairs) -> std::result::Result<PairSums, String> {
        let (k, t) = (plan.names.len(), plan.categorical.len());
        if s.pearson.len() != plan.pairs()
            || s.spearman.len() != plan.pairs()
            || s.numeric.len() != k
            || s.text.len() != t
        {
            return Err("the second pass holds other features than the first".into());
        }
        if s.rows > plan.rows {
            return Err(format!(
                "the second pass counts {} rows, more than the first pass's {}",
                s.rows, plan.rows
            ));
        }
        let sums = |v: &[SavedSum]| v.iter().map(ExactSum::from_saved).collect::<Vec<_>>();
        let pearson = sums(&s.pearson)
            .into_iter()
            .collect::<std::result::Result<_, _>>()?;
        let spearman = sums(&s.spearman)
            .into_iter()
            .collect::<std::result::Result<_, _>>()?;
        let mut numeric = Vec::with_capacity(k);
        for (i, cells) in s.numeric.into_iter().enumerate() {
            let most = plan.edges[i].len() as u32;
            numeric.push(checked_table(cells, s.rows, |b| *b <= most)?);
        }
        let mut text = Vec::with_capacity(t);
        for cells in s.text {
            text.push(checked_table(cells, s.rows, |_| true)?);
        }
        Ok(PairSums {
            plan,
            rows: s.rows,
            pearson,
            spearman,
            numeric,
            text,
        })
    }
}

/// A table read back: each value once, known, and its counts adding up to the rows.
fn checked_table<K: Eq + std::hash::Hash + Clone + std::fmt::Debug>(
    cells: Vec<(K, [u64; CLASSES])>,
    rows: u64,
    known: impl Fn(&K) -> bool,
) -> std::result::Result<Table<K>, String> {
    let mut total: u64 = 0;
    for (k, c) in &cells {
        if !known(k) {
            return Err(format!("the bin {k:?} is not one of the plan's"));
        }
        for v in c {
            total = total.checked_add(*v).ok_or("a table's counts overflow")?;
        }
    }
    if total != rows {
        return Err(format!("a table counts {total} rows of {rows}"));
    }
    let n = cells.len();
    let table = Table::from_cells(cells);
    if table.distinct() != n {
        return Err("a table lists a value twice".into());
    }
    Ok(table)
}

impl Accumulator for PairSums {
    type Batch = Dataset;
    type Figures = PairFigures;
    type Saved = SavedPairs;

    fn update(&mut self, ds: &Dataset) -> Result<()> {
        let plan = Arc::clone(&self.plan);
        let values: Vec<Vec<f64>> = plan
            .names
            .par_iter()
            .map(|n| ds.f64_values(n))
            .collect::<Result<_>>()?;
        let centred: Vec<Vec<f64>> = values
            .par_iter()
            .zip(plan.means.par_iter())
            .map(|(c, &m)| c.iter().map(|v| v - m).collect())
            .collect();
        let ranked: Vec<Vec<f64>> = (0..values.len())
            .into_par_iter()
            .map(|i| {
                let (d, r, m) = (&plan.dists[i], &plan.ranks[i], plan.rank_means[i]);
                values[i]
                    .iter()
                    .map(|&v| d.index_of(v).map_or(f64::NAN, |x| r[x]) - m)
                    .collect()
            })
            .collect();
        let k = plan.names.len();
        let pairs: Vec<(usize, usize)> = (0..k).flat_map(|i| (i..k).map(move |j| (i, j))).collect();
        self.pearson
            .par_iter_mut()
            .zip(self.spearman.par_iter_mut())
            .zip(pairs.par_iter())
            .for_each(|((p, s), &(i, j))| {
                for (&a, &b) in centred[i].iter().zip(&centred[j]) {
                    p.add_product(a, b);
                }
                for (&a, &b) in ranked[i].iter().zip(&ranked[j]) {
                    s.add_product(a, b);
                }
            });
        let classes: Vec<usize> = ds
            .str_values(schema::CATEGORY)?
            .map(class_of)
            .collect::<Result<_>>()?;
        self.numeric
            .par_iter_mut()
            .zip(values.par_iter().zip(plan.edges.par_iter()))
            .for_each(|(t, (c, e))| {
                for (&v, &y) in c.iter().zip(&classes) {
                    t.add(&(relevance::bin_of(e, v) as u32), y);
                }
            });
        for (t, name) in self.text.iter_mut().zip(&plan.categorical) {
            for (v, &y) in ds.str_values(name)?.zip(&classes) {
                t.add(v, y);
            }
        }
        self.rows += ds.rows() as u64;
        if self.rows > plan.rows {
            return Err(crate::load::rows::changed(&plan.path));
        }
        Ok(())
    }

    fn merge(&mut self, other: PairSums) -> Result<()> {
        if other.plan.first != self.plan.first || other.plan.bins != self.plan.bins {
            return Err(Error::Internal(
                "second passes of different first passes cannot merge".into(),
            ));
        }
        for (a, b) in self.pearson.iter_mut().zip(&other.pearson) {
            a.merge(b);
        }
        for (a, b) in self.spearman.iter_mut().zip(&other.spearman) {
            a.merge(b);
        }
        for (a, b) in self.numeric.iter_mut().zip(other.numeric) {
            a.merge(b);
        }
        for (a, b) in self.text.iter_mut().zip(other.text) {
            a.merge(b);
        }
        self.rows += other.rows;
        Ok(())
    }

    fn finish(&self) -> Result<PairFigures> {
        let plan = &self.plan;
        let k = plan.names.len();
        let total = |sums: &[ExactSum], i: usize, j: usize| sums[pair_index(k, i, j)].value();
        let squares: Vec<f64> = (0..k).map(|i| total(&self.pearson, i, i)).collect();
        let rank_squares: Vec<f64> = (0..k).map(|i| total(&self.spearman, i, i)).collect();
        let pearson =
            correlation::matrix_of(&plan.names, &squares, |i, j| total(&self.pearson, i, j));
        let spearman = correlation::matrix_of(&plan.names, &rank_squares, |i, j| {
            total(&self.spearman, i, j)
        });
        let mut relevance: Vec<Relevance> = plan
            .names
            .iter()
            .zip(&self.numeric)
            .map(|(n, t)| relevance_of(n, t))
            .collect();
        relevance.extend(
            plan.categorical
                .iter()
                .zip(&self.text)
                .map(|(n, t)| relevance_of(n, t)),
        );
        Ok(PairFigures {
            pearson,
            spearman,
            relevance,
        })
    }

    fn save(&self) -> SavedPairs {
        fn sorted<K: Ord + Clone + Eq + std::hash::Hash>(t: &Table<K>) -> Vec<(K, [u64; CLASSES])> {
            let mut cells: Vec<(K, [u64; CLASSES])> =
                t.cells().map(|(k, c)| (k.clone(), *c)).collect();
            cells.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            cells
        }
        SavedPairs {
            rows: self.rows,
            pearson: self.pearson.iter().map(ExactSum::to_saved).collect(),
            spearman: self.spearman.iter().map(ExactSum::to_saved).collect(),
            numeric: self.numeric.iter().map(sorted).collect(),
            text: self.text.iter().map(sorted).collect(),
        }
    }

    fn memory(&self) -> usize {
        let sums = (self.pearson.len() + self.spearman.len()) * std::mem::size_of::<ExactSum>();
        let cells = |n: usize, key: usize| n * (key + 8 * CLASSES) * 8 / 7;
        let numeric: usize = self.numeric.iter().map(|t| cells(t.distinct(), 4)).sum();
        let text: usize = self
            .text
            .iter()
            .map(|t| cells(t.distinct(), 24) + t.cells().map(|(k, _)| k.len()).sum::<usize>())
            .sum();
        sums + numeric + text
    }
}

fn relevance_of<K: Eq + std::hash::Hash>(name: &str, t: &Table<K>) -> Relevance {
    let (mi, gr) = t.figures();
    Relevance {
        feature: name.to_string(),
        mutual_information: mi,
        gain_ratio: gr,
        bins: t.distinct(),
    }
}

#[cfg(test)]
mod tests {
    use super::pair_index;

    #[test]
    fn pairs_are_indexed_row_by_row() {
        let k = 5;
        let listed: Vec<(usize, usize)> =
            (0..k).flat_map(|i| (i..k).map(move |j| (i, j))).collect();
        for (n, &(i, j)) in listed.iter().enumerate() {
            assert_eq!(pair_index(k, i, j), n);
            assert_eq!(pair_index(k, j, i), n);
        }
    }
}
