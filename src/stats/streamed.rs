//! `stats` of a file read twice in chunks, in memory bounded by its distinct values.
//!
//! The first pass keeps a [`DescribeState`] (the value counts of every column, per group of the
//! profile), which gives the distributions, means, average ranks and the relevance bins. The
//! second pass centres each numeric value (and its rank) and adds the products of every pair of
//! columns to a [`DotAcc`], which sums them in the same blocks, lanes and order as the whole-file
//! [`correlation::dot`], and counts (bin, category) pairs for the mutual information, the codes of
//! text values given in order of first appearance as [`Dataset::str_codes`](crate::load::Dataset::str_codes) gives them. So every
//! figure equals the whole-file one to the bit (`tests/stream.rs` compares the JSON). Memory: the
//! describe state, 2 × 780 accumulators, and the contingency tables.

use rayon::prelude::*;

use super::analysis::{Parts, StatsOptions, StatsReport, assemble};
use super::correlation::{self, DotAcc};
use super::describe::{self, DescribeOptions, DescribeState};
use super::relevance::{self, Contingency, Relevance};
use super::{Distribution, OrderedMap};
use crate::error::{Error, Result};
use crate::load::rows::Chunks;
use crate::schema;

/// Text values coded in order of first appearance, across chunks.
#[derive(Debug, Default)]
struct Codes(foldhash::HashMap<String, u32>);

impl Codes {
    fn code(&mut self, v: &str) -> u32 {
        if let Some(c) = self.0.get(v) {
            return *c;
        }
        let c = self.0.len() as u32;
        self.0.insert(v.to_string(), c);
        c
    }
}

/// The columns the first pass describes: the numeric features, the categorical ones and the
/// category.
pub fn described_columns() -> Vec<String> {
    let mut columns: Vec<String> = schema::numeric_features()
        .map(|f| f.name.to_string())
        .collect();
    columns.extend(schema::categorical_features().map(|f| f.name.to_string()));
    columns.push(schema::CATEGORY.to_string());
    columns
}

/// Analyses the rows `open` opens (twice) in chunks. `duplicates` and `conflicts` (rows) come
/// from the cleaning stage.
pub fn analyse(
    open: &dyn Fn() -> Result<Chunks>,
    options: &StatsOptions,
    duplicates: usize,
    conflicts: usize,
) -> Result<StatsReport> {
    // First pass: every column's value counts, per group of the profile.
    let describe_options = DescribeOptions {
        columns: Some(described_columns()),
        by: Some(options.by),
        max_distinct: None,
    };
    let mut state: Option<DescribeState> = None;
    match open()? {
        // A file: its records counted as they are parsed (no frame).
        Chunks::Stream(mut stream) => {
            describe::add_stream(&mut state, &mut stream, &describe_options)?;
        }
        chunks => {
            for chunk in chunks {
                let ds = chunk?;
                let st = match &mut state {
                    Some(s) => s,
                    None => state.insert(DescribeState::new(&ds, &describe_options)?),
                };
                st.update(&ds)?;
            }
        }
    }
    let state = state.ok_or_else(|| Error::Internal("no rows were read".into()))?;
    crate::load::require_all_features(state.path(), state.absent(), "stats")?;
    analyse_described(&state, open, options, duplicates, conflicts)
}

/// Analyses the rows `open` opens (once more) in chunks, whose first pass gave `state`: a state
/// of at least [`described_columns`] (other categorical columns may be there too), grouped by
/// `options.by`.
pub fn analyse_described(
    state: &DescribeState,
    open: &dyn Fn() -> Result<Chunks>,
    options: &StatsOptions,
    duplicates: usize,
    conflicts: usize,
) -> Result<StatsReport> {
    let names: Vec<String> = schema::numeric_features()
        .map(|f| f.name.to_string())
        .collect();
    if state.group_by() != Some(options.by) || state.numeric_columns() != names {
        return Err(Error::Internal(
            "the first pass did not describe the numeric features grouped as the profile".into(),
        ));
    }
    let categorical: Vec<&'static str> = schema::categorical_features().map(|f| f.name).collect();
    let dists: Vec<Distribution> = names
        .iter()
        .map(|n| state.distribution(n).cloned())
        .collect::<Result<_>>()?;
    let means: Vec<f64> = dists.iter().map(Distribution::mean).collect();
    let ranks: Vec<Vec<f64>> = dists.iter().map(Distribution::average_ranks).collect();
    let rank_means: Vec<f64> = dists
        .iter()
        .map(|d| (d.count() as f64 + 1.0) / 2.0)
        .collect();
    let edges: Vec<Vec<f64>> = dists
        .iter()
        .map(|d| relevance::bin_edges(d, options.bins))
        .collect();

    // Second pass: products of centred values and ranks, and the contingency tables.
    let k = names.len();
    let pairs: Vec<(usize, usize)> = (0..k).flat_map(|i| (i..k).map(move |j| (i, j))).collect();
    let mut pearson = vec![DotAcc::default(); pairs.len()];
    let mut spearman = vec![DotAcc::default(); pairs.len()];
    let mut numeric_tables = vec![Contingency::default(); k];
    let mut text_tables = vec![Contingency::default(); categorical.len()];
    let mut text_codes: Vec<Codes> = (0..categorical.len()).map(|_| Codes::default()).collect();
    let mut target_codes = Codes::default();
    let mut rows = 0u64;
    for chunk in open()? {
        let ds = chunk?;
        rows += ds.rows() as u64;
        if rows > state.rows() {
            return Err(crate::load::rows::changed(state.path()));
        }
        let values: Vec<Vec<f64>> = names
            .par_iter()
            .map(|n| ds.f64_values(n))
            .collect::<Result<_>>()?;
        let centred: Vec<Vec<f64>> = values
            .par_iter()
            .zip(means.par_iter())
            .map(|(c, &m)| c.iter().map(|v| v - m).collect())
            .collect();
        let ranked: Vec<Vec<f64>> = values
            .par_iter()
            .zip(
                dists
                    .par_iter()
                    .zip(ranks.par_iter().zip(rank_means.par_iter())),
            )
            .map(|(c, (d, (r, &m)))| {
                c.iter()
                    .map(|&v| d.index_of(v).map_or(f64::NAN, |i| r[i]) - m)
                    .collect()
            })
            .collect();
        pearson
            .par_iter_mut()
            .zip(spearman.par_iter_mut())
            .zip(pairs.par_iter())
            .for_each(|((p, s), &(i, j))| {
                p.add(&centred[i], &centred[j]);
                s.add(&ranked[i], &ranked[j]);
            });
        let target: Vec<u32> = ds
            .str_values(schema::CATEGORY)?
            .map(|c| target_codes.code(c))
            .collect();
        numeric_tables
            .par_iter_mut()
            .zip(values.par_iter().zip(edges.par_iter()))
            .for_each(|(t, (c, e))| {
                for (&v, &y) in c.iter().zip(&target) {
                    t.add(relevance::bin_of(e, v) as u32, y);
                }
            });
        for ((t, codes), name) in text_tables
            .iter_mut()
            .zip(text_codes.iter_mut())
            .zip(&categorical)
        {
            for (v, &y) in ds.str_values(name)?.zip(&target) {
                t.add(codes.code(v), y);
            }
        }
    }
    if rows != state.rows() {
        return Err(crate::load::rows::changed(state.path()));
    }
    let at = |i: usize, j: usize| {
        pairs
            .binary_search(&(i.min(j), i.max(j)))
            .unwrap_or_default()
    };
    let squares: Vec<f64> = (0..k).map(|i| pearson[at(i, i)].total()).collect();
    let rank_squares: Vec<f64> = (0..k).map(|i| spearman[at(i, i)].total()).collect();
    let pearson_matrix = correlation::matrix_of(&names, &squares, |i, j| pearson[at(i, j)].total());
    let spearman_matrix =
        correlation::matrix_of(&names, &rank_squares, |i, j| spearman[at(i, j)].total());
    let mut relevance: Vec<Relevance> = names
        .iter()
        .zip(&numeric_tables)
        .map(|(n, t)| {
            let (mi, gr) = t.finish();
            Relevance {
                feature: n.clone(),
                mutual_information: mi,
                gain_ratio: gr,
                bins: t.distinct(),
            }
        })
        .collect();
    for (name, t) in categorical.iter().zip(&text_tables) {
        let (mi, gr) = t.finish();
        relevance.push(Relevance {
            feature: name.to_string(),
            mutual_information: mi,
            gain_ratio: gr,
            bins: t.distinct(),
        });
    }
    let categorical_distinct = categorical
        .iter()
        .map(|c| Ok((*c, state.value_counts(c)?.len())))
        .collect::<Result<Vec<_>>>()?;
    let summary = state.finish();
    let parts = Parts {
        path: summary.path.clone(),
        rows: summary.rows,
        names,
        dists,
        groups: summary.groups.unwrap_or(OrderedMap(Vec::new())),
        pearson: pearson_matrix,
        spearman: spearman_matrix,
        relevance,
        categorical_distinct,
        categories: state.value_counts(schema::CATEGORY)?,
    };
    Ok(assemble(parts, options, duplicates, conflicts))
}
