//! Cleaning stage: what is wrong with a dataset, and a cleaned copy of it.
//!
//! [`inspect`] finds exact duplicate rows, feature vectors that occur with different labels,
//! constant columns and columns constant within the normal class; [`write`](mod@write) writes the rows and
//! columns a [`Selection`] keeps, atomically, as CSV in the input's own layout or as Parquet.
//!
//! Definitions:
//! - a *duplicate* is a row equal to an earlier one in every field as read (the 41 features, the
//!   label without its dot, and the difficulty where present): pandas' `df.duplicated()`;
//! - a *conflicting vector* is a combination of the 41 feature values that occurs in two or more rows
//!   with two or more different labels: pandas'
//!   `df.groupby(features)["label"].nunique() > 1`;
//! - a *constant* column holds one value in every row; *constant within normal* means one value in
//!   every `normal` row while the column varies over the whole file.

mod rows;
pub mod stream;
pub mod write;

pub use rows::equal_row_groups;

use serde::Serialize;

use crate::error::Result;
use crate::load::Dataset;
use crate::schema::{self, Category, FEATURES};
use crate::stats::value_counts;

/// What [`inspect`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Findings {
    /// Rows equal to an earlier row (all but the first of each group).
    pub duplicate_rows: usize,
    /// Groups of equal rows.
    pub duplicate_groups: usize,
    /// Feature vectors that occur with more than one label.
    pub conflicting_vectors: usize,
    /// Rows carrying one of those vectors.
    pub conflicting_rows: usize,
    /// Features with a single value in every row.
    pub constant_columns: Vec<String>,
    /// Features with a single value in every `normal` row, not constant overall.
    pub constant_in_normal: Vec<String>,
    /// Row indices (0-based, frame order) of the duplicates.
    #[serde(skip)]
    pub duplicate_indices: Vec<u32>,
    /// Row indices of the rows with conflicting vectors.
    #[serde(skip)]
    pub conflicting_indices: Vec<u32>,
}

/// The columns that identify a record as read: the features, the label and the difficulty.
fn record_columns(ds: &Dataset) -> Vec<&'static str> {
    let mut cols: Vec<&'static str> = FEATURES.iter().map(|f| f.name).collect();
    cols.push(schema::LABEL);
    if ds.layout.difficulty {
        cols.push(schema::DIFFICULTY);
    }
    cols
}

/// Inspects a dataset.
pub fn inspect(ds: &Dataset) -> Result<Findings> {
    let (dups, vectors) = rayon::join(
        || equal_row_groups(ds, &record_columns(ds)),
        || {
            let features: Vec<&str> = FEATURES.iter().map(|f| f.name).collect();
            equal_row_groups(ds, &features)
        },
    );
    let dups = dups?;
    let vectors = vectors?;
    let duplicate_indices: Vec<u32> = dups.iter().flat_map(|g| g[1..].iter().copied()).collect();
    let labels = ds.str_codes(schema::LABEL)?;
    let mut conflicting_indices = Vec::new();
    let mut conflicting_vectors = 0;
    for group in &vectors {
        let first = labels[group[0] as usize];
        if group.iter().any(|&r| labels[r as usize] != first) {
            conflicting_vectors += 1;
            conflicting_indices.extend_from_slice(group);
        }
    }
    conflicting_indices.sort_unstable();
    let (constant_columns, constant_in_normal) = constant_columns(ds)?;
    Ok(Findings {
        duplicate_rows: duplicate_indices.len(),
        duplicate_groups: dups.len(),
        conflicting_vectors,
        conflicting_rows: conflicting_indices.len(),
        constant_columns,
        constant_in_normal,
        duplicate_indices,
        conflicting_indices,
    })
}

/// Features constant over all rows, and features constant over the normal rows only.
fn constant_columns(ds: &Dataset) -> Result<(Vec<String>, Vec<String>)> {
    let normal: Vec<bool> = ds
        .str_values(schema::CATEGORY)?
        .map(|c| c == Category::Normal.as_str())
        .collect();
    let mut everywhere = Vec::new();
    let mut in_normal = Vec::new();
    for f in &FEATURES {
        let keys = rows::Keys::of(ds, f.name)?;
        let first = keys.iter().next();
        if keys.iter().all(|k| Some(k) == first) {
            everywhere.push(f.name.to_string());
            continue;
        }
        let mut in_normal_rows = keys
            .iter()
            .zip(&normal)
            .filter(|(_, n)| **n)
            .map(|(k, _)| k);
        if let Some(v) = in_normal_rows.next() {
            if in_normal_rows.all(|k| k == v) {
                in_normal.push(f.name.to_string());
            }
        }
    }
    Ok((everywhere, in_normal))
}

/// Which rows and columns a cleaned copy keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Whether each row (frame order) is kept.
    pub keep_row: Vec<bool>,
    /// Features left out.
    pub dropped_columns: Vec<String>,
}

impl Selection {
    /// The plan for the options: drop duplicates (keeping the first of each group), rows with
    /// conflicting vectors, constant columns.
    pub fn new(
        ds: &Dataset,
        findings: &Findings,
        drop_duplicates: bool,
        drop_conflicts: bool,
        drop_constant: bool,
    ) -> Selection {
        let mut keep_row = vec![true; ds.rows()];
        if drop_duplicates {
            findings
                .duplicate_indices
                .iter()
                .for_each(|&r| keep_row[r as usize] = false);
        }
        if drop_conflicts {
            findings
                .conflicting_indices
                .iter()
                .for_each(|&r| keep_row[r as usize] = false);
        }
        let dropped_columns = if drop_constant {
            findings.constant_columns.clone()
        } else {
            Vec::new()
        };
        Selection {
            keep_row,
            dropped_columns,
        }
    }

    /// Rows kept.
    pub fn rows_kept(&self) -> usize {
        self.keep_row.iter().filter(|k| **k).count()
    }
}

/// Category shares of the kept rows, most frequent first (for the summary).
pub fn kept_categories(ds: &Dataset, plan: &Selection) -> Result<Vec<(String, u64)>> {
    Ok(value_counts(
        ds.str_values(schema::CATEGORY)?
            .zip(&plan.keep_row)
            .filter(|(_, k)| **k)
            .map(|(c, _)| c),
    ))
}

/// What `kddstat clean` reports. Its JSON form is documented in the README ("clean").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The input's name.
    pub input: String,
    /// The layout detected.
    pub layout: String,
    /// Valid records read.
    pub rows_in: usize,
    /// Lines set aside as invalid.
    pub invalid_lines: usize,
    /// Where they went.
    pub quarantine: Option<String>,
    /// What was found.
    pub findings: Findings,
    /// Whether duplicates were dropped.
    pub dropped_duplicates: bool,
    /// Whether rows with conflicting vectors were dropped.
    pub dropped_conflicts: bool,
    /// Columns dropped.
    pub dropped_columns: Vec<String>,
    /// Records written.
    pub rows_out: usize,
    /// Rows written per category, most frequent first.
    pub categories_out: crate::stats::OrderedMap<u64>,
    /// The output file.
    pub output: String,
    /// `csv` or `parquet`.
    pub output_format: &'static str,
}
