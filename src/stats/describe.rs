//! `describe`: the statistics pandas users get from `describe()`, `nunique()` and `value_counts()`,
//! for every column of a [`Dataset`], optionally per group (category or label).

use rayon::prelude::*;
use serde::Serialize;

use super::distribution::{self, Distribution};
use super::{OrderedMap, value_counts};
use crate::error::{Error, Result};
use crate::load::Dataset;
use crate::schema::{self, Category, Kind};

/// What to group the numeric statistics by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// The attack category (`normal`, `DoS`, `Probe`, `R2L`, `U2R`, `unknown`).
    Category,
    /// The label (`normal` or the attack name).
    Label,
}

impl GroupBy {
    /// The column grouped by.
    pub fn column(self) -> &'static str {
        match self {
            GroupBy::Category => schema::CATEGORY,
            GroupBy::Label => schema::LABEL,
        }
    }
}

/// Options of [`describe`].
#[derive(Debug, Clone, Default)]
pub struct DescribeOptions {
    /// Only these columns (schema names), in this order; all when `None`.
    pub columns: Option<Vec<String>>,
    /// Numeric statistics per group as well.
    pub by: Option<GroupBy>,
}

/// Statistics of one numeric column. Definitions: see [`Distribution`]. Non-finite values (the `std`
/// of a single row) serialise as JSON `null`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumericSummary {
    /// Number of values.
    pub count: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (ddof = 1).
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// First quartile (linear interpolation, as pandas).
    pub q25: f64,
    /// Median.
    pub q50: f64,
    /// Third quartile.
    pub q75: f64,
    /// Largest value.
    pub max: f64,
    /// Fraction of values equal to zero.
    pub zeros: f64,
    /// Number of distinct values.
    pub distinct: usize,
}

impl NumericSummary {
    /// Reads the summary off a distribution.
    pub fn of(d: &Distribution) -> NumericSummary {
        let count = d.count();
        NumericSummary {
            count,
            mean: d.mean(),
            std: d.std(1),
            min: d.min(),
            q25: d.quantile(0.25),
            q50: d.quantile(0.5),
            q75: d.quantile(0.75),
            max: d.max(),
            zeros: if count == 0 {
                f64::NAN
            } else {
                d.zeros() as f64 / count as f64
            },
            distinct: d.distinct(),
        }
    }
}

/// Value counts of one categorical column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoricalSummary {
    /// Number of distinct values.
    pub distinct: usize,
    /// Count of each value, most frequent first (ties by name).
    pub counts: OrderedMap<u64>,
}

/// Numeric statistics of one group of rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSummary {
    /// Rows in the group.
    pub rows: usize,
    /// Statistics per numeric column.
    pub numeric: OrderedMap<NumericSummary>,
}

/// Everything `describe` reports about one file. Its JSON form is the documented contract of
/// `kddstat describe --format json` (README, "JSON output").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileSummary {
    /// The input's name.
    pub path: String,
    /// The layout detected.
    pub layout: String,
    /// Number of records.
    pub rows: usize,
    /// Statistics per numeric column, in schema order.
    pub numeric: OrderedMap<NumericSummary>,
    /// Value counts per categorical column.
    pub categorical: OrderedMap<CategoricalSummary>,
    /// What the groups are by (`category` or `label`), with `--by`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_by: Option<&'static str>,
    /// Per-group statistics, with `--by`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<OrderedMap<GroupSummary>>,
}

/// A column `describe` can report on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Numeric(&'static str, Kind),
    Categorical(&'static str),
}

/// Every column of a dataset, in frame order: numeric features, categorical features, label,
/// category, difficulty.
fn available(ds: &Dataset) -> Vec<Col> {
    let mut cols: Vec<Col> = schema::FEATURES
        .iter()
        .filter(|f| !ds.absent.contains(&f.name))
        .map(|f| match f.kind {
            Kind::Categorical => Col::Categorical(f.name),
            k => Col::Numeric(f.name, k),
        })
        .collect();
    cols.push(Col::Categorical(schema::LABEL));
    cols.push(Col::Categorical(schema::CATEGORY));
    if ds.layout.difficulty {
        cols.push(Col::Numeric(schema::DIFFICULTY, Kind::Count));
    }
    cols
}

fn name_of(c: &Col) -> &'static str {
    match c {
        Col::Numeric(n, _) | Col::Categorical(n) => n,
    }
}

fn select(ds: &Dataset, wanted: Option<&[String]>) -> Result<Vec<Col>> {
    let all = available(ds);
    let Some(wanted) = wanted else {
        return Ok(all);
    };
    wanted
        .iter()
        .map(|w| {
            all.iter()
                .find(|c| name_of(c) == w)
                .copied()
                .ok_or_else(|| {
                    let hint = if w == schema::DIFFICULTY {
                        format!("{} has no difficulty column", ds.name)
                    } else if ds.absent.contains(&w.as_str()) {
                        format!("{} does not have it: it was dropped", ds.name)
                    } else {
                        format!(
                            "known columns: {}",
                            all.iter().map(name_of).collect::<Vec<_>>().join(", ")
                        )
                    };
                    Error::Usage(format!("unknown column '{w}' ({hint})"))
                })
        })
        .collect()
}

/// Checks `--columns` names against the schema before any file is read; an unknown name gets
/// the nearest known one as a suggestion.
pub fn check_columns(columns: &[String]) -> Result<()> {
    let known: Vec<&str> = schema::FEATURES
        .iter()
        .map(|f| f.name)
        .chain([schema::LABEL, schema::CATEGORY, schema::DIFFICULTY])
        .collect();
    for c in columns {
        if !known.contains(&c.as_str()) {
            let hint = match schema::nearest(c, &known) {
                Some(n) => format!("did you mean '{n}'?"),
                None => "the names are those of the 41 features, label, category and difficulty \
                         (kddstat describe --help)"
                    .to_string(),
            };
            return Err(Error::Usage(format!(
                "unknown column '{}'; {hint}",
                crate::error::show_value(c.as_bytes())
            )));
        }
    }
    Ok(())
}

fn distribution(ds: &Dataset, name: &str, kind: Kind) -> Result<Distribution> {
    Ok(if kind.is_integer() {
        Distribution::from_i64(&ds.i64_chunks(name)?)
    } else {
        Distribution::from_f64(&ds.f64_chunks(name)?)
    })
}

/// Describes a dataset.
pub fn describe(ds: &Dataset, options: &DescribeOptions) -> Result<FileSummary> {
    let cols = select(ds, options.columns.as_deref())?;
    let numeric_cols: Vec<(&'static str, Kind)> = cols
        .iter()
        .filter_map(|c| match *c {
            Col::Numeric(n, k) => Some((n, k)),
            Col::Categorical(_) => None,
        })
        .collect();
    let numeric = numeric_cols
        .par_iter()
        .map(|&(name, kind)| {
            let d = distribution(ds, name, kind)?;
            Ok((name.to_string(), NumericSummary::of(&d)))
        })
        .collect::<Result<Vec<_>>>()?;
    let categorical = cols
        .par_iter()
        .filter_map(|c| match *c {
            Col::Categorical(name) => Some(name),
            Col::Numeric(..) => None,
        })
        .map(|name| {
            let counts = value_counts(ds.str_values(name)?);
            Ok((
                name.to_string(),
                CategoricalSummary {
                    distinct: counts.len(),
                    counts: OrderedMap(counts),
                },
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let groups = match options.by {
        Some(by) => Some(describe_groups(ds, by, &numeric_cols)?),
        None => None,
    };
    Ok(FileSummary {
        path: ds.name.clone(),
        layout: ds.layout.describe(),
        rows: ds.rows(),
        numeric: OrderedMap(numeric),
        categorical: OrderedMap(categorical),
        group_by: options.by.map(GroupBy::column),
        groups,
    })
}

fn describe_groups(
    ds: &Dataset,
    by: GroupBy,
    numeric_cols: &[(&'static str, Kind)],
) -> Result<OrderedMap<GroupSummary>> {
    let keys: Vec<&str> = ds.str_values(by.column())?.collect();
    // Group order: categories in their canonical order; labels most frequent first.
    let mut names: Vec<String> = value_counts(keys.iter().copied())
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    if by == GroupBy::Category {
        names.sort_by_key(|n| {
            Category::ALL
                .iter()
                .position(|c| c.as_str() == n)
                .unwrap_or(usize::MAX)
        });
    }
    let index: foldhash::HashMap<&str, u32> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect();
    let groups: Vec<u32> = keys.iter().map(|k| index[k]).collect();
    let n = names.len();
    let per_column = numeric_cols
        .par_iter()
        .map(|&(name, kind)| {
            Ok(if kind.is_integer() {
                distribution::grouped_i64(&ds.i64_chunks(name)?, &groups, n)
            } else {
                distribution::grouped_f64(&ds.f64_chunks(name)?, &groups, n)
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut rows = vec![0usize; n];
    for &g in &groups {
        rows[g as usize] += 1;
    }
    let out = names
        .into_iter()
        .enumerate()
        .map(|(g, name)| {
            let numeric = numeric_cols
                .iter()
                .zip(&per_column)
                .map(|((col, _), ds)| (col.to_string(), NumericSummary::of(&ds[g])))
                .collect();
            (
                name,
                GroupSummary {
                    rows: rows[g],
                    numeric: OrderedMap(numeric),
                },
            )
        })
        .collect();
    Ok(OrderedMap(out))
}
