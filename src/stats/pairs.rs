//! The second pass of `stats`: what needs the first pass's figures (means, ranks, bin edges).
//!
//! [`PairSums`] adds, for every pair of numeric features, the sums behind Pearson's r of their
//! values and Spearman's ρ of their average ranks, exactly ([`Products`]: integer sums, or exact
//! sums of exact products of centred values), and counts the rows of each (bin, category) and
//! (categorical value, category) pair for the mutual information ([`Table`]). So the state of a
//! file's parts, merged in any order, finishes into the figures of the whole file to the bit.
//! Memory: 2 × 741 sums (16 bytes each as integers, 1.1 KB as exact sums) and the tables (the
//! distinct categorical values and bins).

use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Distribution;
use super::accumulate::Accumulator;
use super::correlation::{self, Matrix};
use super::describe::DescribeState;
use super::products::{Column, Products, SavedProducts, Way, pair_index};
use super::relevance::{self, CLASSES, Relevance, Table};
use crate::error::{Error, Result};
use crate::load::Dataset;
use crate::schema::{self, Category};

/// What the second pass takes from the first: the numeric features' distributions (their means,
/// average ranks and bin edges) and the categorical features.
#[derive(Debug, Clone)]
pub struct FirstPassFigures {
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
    /// How the products are summed.
    pub way: Way,
}

impl FirstPassFigures {
    /// The plan of a first pass that described (at least) the numeric features.
    pub fn of(state: &DescribeState, bins: usize, first: String) -> Result<FirstPassFigures> {
        let names: Vec<String> = schema::numeric_features()
            .map(|f| f.name.to_string())
            .collect();
        let dists: Vec<Distribution> = names
            .iter()
            .map(|n| state.distribution(n).cloned())
            .collect::<Result<_>>()?;
        Ok(FirstPassFigures {
            way: Way::of(&dists, state.rows()),
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

    fn columns(&self) -> Vec<Column<'_>> {
        (0..self.names.len())
            .map(|i| Column {
                dist: &self.dists[i],
                mean: self.means[i],
                ranks: &self.ranks[i],
                rank_mean: self.rank_means[i],
            })
            .collect()
    }
}

/// The second-pass state of `stats`.
#[derive(Debug, Clone)]
pub struct PairSums {
    plan: Arc<FirstPassFigures>,
    rows: u64,
    products: Products,
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
    /// The sums behind the correlations.
    pub products: SavedProducts,
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
    pub fn new(plan: Arc<FirstPassFigures>) -> PairSums {
        PairSums {
            rows: 0,
            products: Products::new(&plan.way, plan.names.len()),
            numeric: vec![Table::default(); plan.names.len()],
            text: vec![Table::default(); plan.categorical.len()],
            plan,
        }
    }

    /// The plan.
    pub fn plan(&self) -> &FirstPassFigures {
        &self.plan
    }

    /// Rows added.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// A state read back for `plan`, checked.
    pub fn from_saved(
        plan: Arc<FirstPassFigures>,
        s: SavedPairs,
    ) -> std::result::Result<PairSums, String> {
        let (k, t) = (plan.names.len(), plan.categorical.len());
        if s.numeric.len() != k || s.text.len() != t {
            return Err("the second pass holds other features than the first".into());
        }
        if s.rows > plan.rows {
            return Err(format!(
                "the second pass counts {} rows, more than the first pass's {}",
                s.rows, plan.rows
            ));
        }
        let products = Products::from_saved(&plan.way, k, &s.products)?;
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
            products,
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
        // Every value must be one the first pass counted (its rank is read off the first pass):
        // rows of another dataset are refused instead of ranked wrongly.
        let stranger = values
            .par_iter()
            .zip(plan.dists.par_iter())
            .enumerate()
            .find_map_any(|(i, (c, d))| {
                c.iter()
                    .find(|v| d.index_of(**v).is_none())
                    .map(|v| (i, *v))
            });
        if let Some((i, v)) = stranger {
            return Err(Error::Model {
                path: ds.name.clone(),
                message: format!(
                    "'{}' holds {v}, a value the first pass never counted: these rows are not all \
                     of the dataset the first pass ({}) describes",
                    plan.names[i], plan.path
                ),
            });
        }
        self.products.add(&plan.way, &plan.columns(), &values);
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
        if other.plan.way != self.plan.way {
            return Err(super::products::mismatch(&other.plan.path));
        }
        // Every table counts its rows: when the rows add up, so does every cell.
        let rows = self
            .rows
            .checked_add(other.rows)
            .ok_or_else(|| Error::Limit {
                path: self.plan.path.clone(),
                message: "the merged second passes would hold more than 2^64 rows".into(),
            })?;
        self.products.merge(&other.products, &other.plan.path)?;
        for (a, b) in self.numeric.iter_mut().zip(other.numeric) {
            a.merge(b);
        }
        for (a, b) in self.text.iter_mut().zip(other.text) {
            a.merge(b);
        }
        self.rows = rows;
        Ok(())
    }

    fn finish(&self) -> Result<PairFigures> {
        let plan = &self.plan;
        let k = plan.names.len();
        let [(squares, dots), (rank_squares, rank_dots)] = self.products.figures(self.rows);
        let pearson =
            correlation::matrix_of(&plan.names, &squares, |i, j| dots[pair_index(k, i, j)]);
        let spearman = correlation::matrix_of(&plan.names, &rank_squares, |i, j| {
            rank_dots[pair_index(k, i, j)]
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
            products: self.products.save(),
            numeric: self.numeric.iter().map(sorted).collect(),
            text: self.text.iter().map(sorted).collect(),
        }
    }

    fn memory(&self) -> usize {
        let sums = self.products.memory();
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
