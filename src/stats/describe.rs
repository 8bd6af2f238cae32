//! `describe`: the statistics pandas users get from `describe()`, `nunique()` and `value_counts()`,
//! for every column of a [`Dataset`], optionally per group (category or label).

use rayon::prelude::*;
use serde::Serialize;

use super::distribution::{self, Distribution};
use super::tally::{Tally, TallyConfig};
use super::{OrderedMap, value_counts};
use crate::error::{Error, Result};
use crate::load::stream::{Chunk, Stream};
use crate::load::{Dataset, Parsed};
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
    /// The most distinct values the state may hold in all its columns and groups
    /// ([`DEFAULT_MAX_DISTINCT`] when `None`).
    pub max_distinct: Option<u64>,
}

/// The default limit on the distinct values a describe state holds in all its columns and groups:
/// 16 million, about 400 MB of value counts (KDDTrain+ holds 18,944, 43,680 by category, and 100
/// copies of it too).
pub const DEFAULT_MAX_DISTINCT: u64 = 16_000_000;

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
enum DescribedColumn {
    Numeric(&'static str, Kind),
    Categorical(&'static str),
}

/// Every column of a dataset, in frame order: numeric features, categorical features, label,
/// category, difficulty.
fn available(absent: &[&str], difficulty: bool) -> Vec<DescribedColumn> {
    let mut cols: Vec<DescribedColumn> = schema::FEATURES
        .iter()
        .filter(|f| !absent.contains(&f.name))
        .map(|f| match f.kind {
            Kind::Categorical => DescribedColumn::Categorical(f.name),
            k => DescribedColumn::Numeric(f.name, k),
        })
        .collect();
    cols.push(DescribedColumn::Categorical(schema::LABEL));
    cols.push(DescribedColumn::Categorical(schema::CATEGORY));
    if difficulty {
        cols.push(DescribedColumn::Numeric(schema::DIFFICULTY, Kind::Count));
    }
    cols
}

fn name_of(c: &DescribedColumn) -> &'static str {
    match c {
        DescribedColumn::Numeric(n, _) | DescribedColumn::Categorical(n) => n,
    }
}

fn select(first: &FirstChunk<'_>, wanted: Option<&[String]>) -> Result<Vec<DescribedColumn>> {
    let all = available(first.absent, first.layout.difficulty);
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
                        format!("{} has no difficulty column", first.name)
                    } else if first.absent.contains(&w.as_str()) {
                        format!("{} does not have it: it was dropped", first.name)
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
    let mut state = DescribeState::new(ds, options)?;
    state.update(ds)?;
    Ok(state.finish())
}

/// Adds the records of `stream` to `state` (made from its first chunk when `None`): streamed
/// text is counted as it is parsed ([`Tally`], no frame is built), an input read whole as its
/// dataset. Returns the labels of unknown category with their rows.
pub fn add_stream(
    state: &mut Option<DescribeState>,
    stream: &mut Stream,
    options: &DescribeOptions,
) -> Result<Vec<(String, usize)>> {
    let mut unknown = Vec::new();
    let config = TallyConfig { by: options.by };
    while let Some(chunk) = stream.next_into::<Tally>(&config)? {
        match chunk {
            Chunk::Whole(ds) => {
                crate::load::add_unknown_labels(&mut unknown, &ds.unknown_labels);
                let st = match state {
                    Some(st) => st,
                    None => state.insert(DescribeState::new(&ds, options)?),
                };
                st.update(&ds)?;
            }
            Chunk::Parsed(parsed) => {
                crate::load::add_unknown_labels(&mut unknown, &parsed.unknown_labels);
                let st = match state {
                    Some(st) => st,
                    None => state.insert(DescribeState::new_for(
                        FirstChunk {
                            name: &parsed.name,
                            layout: parsed.layout,
                            absent: &parsed.absent,
                        },
                        options,
                    )?),
                };
                st.update_tallied(parsed)?;
            }
        }
    }
    Ok(unknown)
}

/// The mergeable state of `describe`: for every column the exact count of each distinct value
/// (numeric columns as a [`Distribution`], categorical ones as value counts), per group too with
/// `--by`. Every statistic of a [`FileSummary`] is read off it, so a file read in chunks, or in
/// parts on several machines whose states are merged, gives the same figures to the last bit as
/// the file read whole. Memory: about 50 bytes per distinct value of a numeric column and 100 plus
/// the text per categorical value, whatever the rows.
#[derive(Debug, Clone)]
pub struct DescribeState {
    path: String,
    layout: crate::load::Layout,
    /// Rows whose label had a trailing dot.
    dotted: u64,
    difficulty: bool,
    absent: Vec<&'static str>,
    cols: Vec<DescribedColumn>,
    by: Option<GroupBy>,
    rows: u64,
    numeric: Vec<Distribution>,
    categorical: Vec<foldhash::HashMap<String, u64>>,
    groups: std::collections::BTreeMap<String, (u64, Vec<Distribution>)>,
    /// The most distinct values the state may hold ([`DescribeOptions::max_distinct`]).
    max_distinct: u64,
}

/// The format name of a saved describe state.
pub const STATE_FORMAT: &str = "kddstat-describe-state";

/// A [`DescribeState`] as saved by `describe --state-out` (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SavedState {
    /// Always [`STATE_FORMAT`].
    pub format: String,
    /// Version 1.
    pub format_version: u32,
    /// The inputs' name.
    pub path: String,
    /// The layout, as described (for people; the flags below are read).
    pub layout: String,
    /// Whether the first input has a header line.
    pub header: bool,
    /// Whether the inputs have labels.
    pub label: bool,
    /// Rows whose label had a trailing dot.
    pub dotted: u64,
    /// Whether the inputs have the difficulty column.
    pub difficulty: bool,
    /// Feature columns the inputs do not have.
    pub absent: Vec<String>,
    /// The columns described, in order.
    pub columns: Vec<String>,
    /// `category` or `label` with `--by`.
    pub by: Option<String>,
    /// Records.
    pub rows: u64,
    /// The distribution of each numeric column, in column order.
    pub numeric: Vec<distribution::SavedDistribution>,
    /// The value counts of each categorical column, in column order (sorted by value).
    pub categorical: Vec<SavedCounts>,
    /// Per group: its name, rows and the distribution of each numeric column.
    #[serde(deserialize_with = "distribution::budget::counted")]
    pub groups: Vec<(String, u64, Vec<distribution::SavedDistribution>)>,
}

/// The value counts of one categorical column in a saved state (each value counts against
/// `--max-distinct` as it is read).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SavedCounts(
    #[serde(deserialize_with = "distribution::budget::counted")] pub Vec<(String, u64)>,
);

fn numeric_of(cols: &[DescribedColumn]) -> Vec<(&'static str, Kind)> {
    cols.iter()
        .filter_map(|c| match *c {
            DescribedColumn::Numeric(n, k) => Some((n, k)),
            DescribedColumn::Categorical(_) => None,
        })
        .collect()
}

fn categorical_of(cols: &[DescribedColumn]) -> Vec<&'static str> {
    cols.iter()
        .filter_map(|c| match *c {
            DescribedColumn::Categorical(n) => Some(n),
            DescribedColumn::Numeric(..) => None,
        })
        .collect()
}

/// What a state needs of the first chunk read.
struct FirstChunk<'a> {
    name: &'a str,
    layout: crate::load::Layout,
    absent: &'a [&'static str],
}

impl DescribeState {
    /// An empty state for inputs laid out as `first` (its columns chosen by `options`).
    pub fn new(first: &Dataset, options: &DescribeOptions) -> Result<DescribeState> {
        Self::new_for(
            FirstChunk {
                name: &first.name,
                layout: first.layout,
                absent: &first.absent,
            },
            options,
        )
    }

    fn new_for(first: FirstChunk<'_>, options: &DescribeOptions) -> Result<DescribeState> {
        let cols = select(&first, options.columns.as_deref())?;
        let n_numeric = numeric_of(&cols).len();
        let n_categorical = categorical_of(&cols).len();
        Ok(DescribeState {
            path: first.name.to_string(),
            layout: first.layout,
            dotted: 0,
            difficulty: first.layout.difficulty,
            absent: first.absent.to_vec(),
            cols,
            by: options.by,
            rows: 0,
            numeric: vec![Distribution::default(); n_numeric],
            categorical: vec![foldhash::HashMap::default(); n_categorical],
            groups: Default::default(),
            max_distinct: options.max_distinct.unwrap_or(DEFAULT_MAX_DISTINCT),
        })
    }

    /// Names the described inputs (several read as one).
    pub fn set_path(&mut self, path: String) {
        self.path = path;
    }

    /// The inputs' name.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Records added.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Feature columns the inputs do not have.
    pub fn absent(&self) -> &[&'static str] {
        &self.absent
    }

    /// The distribution of a numeric column described.
    pub fn distribution(&self, column: &str) -> Result<&Distribution> {
        numeric_of(&self.cols)
            .iter()
            .position(|(n, _)| *n == column)
            .map(|i| &self.numeric[i])
            .ok_or_else(|| {
                Error::Internal(format!("the numeric column {column} was not described"))
            })
    }

    /// How the rows are grouped.
    pub fn group_by(&self) -> Option<GroupBy> {
        self.by
    }

    /// Every column described, in order.
    pub fn columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.cols.iter().map(|c| match *c {
            DescribedColumn::Numeric(n, _) | DescribedColumn::Categorical(n) => n,
        })
    }

    /// The numeric columns described, in order.
    pub fn numeric_columns(&self) -> Vec<&'static str> {
        numeric_of(&self.cols).iter().map(|(n, _)| *n).collect()
    }

    /// The distribution of a numeric column among the rows of one group (`None` when no row is
    /// in the group, or the rows are not grouped).
    pub fn group_distribution(&self, group: &str, column: &str) -> Option<&Distribution> {
        let i = numeric_of(&self.cols)
            .iter()
            .position(|(n, _)| *n == column)?;
        self.groups.get(group).and_then(|(_, ds)| ds.get(i))
    }

    /// The value counts of a categorical column described, most frequent first (ties by value),
    /// as [`value_counts`].
    pub fn value_counts(&self, column: &str) -> Result<Vec<(String, u64)>> {
        let i = categorical_of(&self.cols)
            .iter()
            .position(|n| *n == column)
            .ok_or_else(|| {
                Error::Internal(format!("the categorical column {column} was not described"))
            })?;
        let mut counts: Vec<(String, u64)> = self.categorical[i]
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(counts)
    }

    /// Refuses a chunk named `name` whose columns differ from the first's.
    fn check_columns_of(&self, name: &str, difficulty: bool, absent: &[&str]) -> Result<()> {
        if difficulty != self.difficulty || absent != self.absent {
            return Err(Error::Usage(format!(
                "{name}: its columns differ from those of {} (described as one)",
                self.path
            )));
        }
        Ok(())
    }

    /// Adds a chunk of records counted as they were parsed (of any input laid out as the
    /// first; its tallies made with [`DescribeState::tally_config`]).
    fn update_tallied(&mut self, chunk: Parsed<Tally>) -> Result<()> {
        self.check_columns_of(&chunk.name, chunk.layout.difficulty, &chunk.absent)?;
        let Some(tally) = Tally::sum(chunk.sinks) else {
            return Ok(());
        };
        let numeric_cols: Vec<&str> = numeric_of(&self.cols).iter().map(|c| c.0).collect();
        let groups: Vec<(&str, u64, Vec<Option<Distribution>>)> =
            tally.groups(&numeric_cols).collect();
        for (i, acc) in self.numeric.iter_mut().enumerate() {
            // The groups' counts sorted once (merging them one by one is quadratic in the
            // groups: a label per row).
            let mut pairs = Vec::new();
            for (_, _, dists) in &groups {
                let d = dists[i].as_ref().ok_or_else(|| {
                    Error::Internal(format!("no count of column '{}'", numeric_cols[i]))
                })?;
                pairs.extend(d.values().iter().copied().zip(d.counts().iter().copied()));
            }
            *acc = acc.merge(&Distribution::from_pairs(pairs));
        }
        if self.by.is_some() {
            for (name, rows, dists) in groups {
                let entry = self
                    .groups
                    .entry(name.to_string())
                    .or_insert_with(|| (0, vec![Distribution::default(); numeric_cols.len()]));
                entry.0 += rows;
                for (acc, d) in entry.1.iter_mut().zip(dists) {
                    *acc = acc.merge(&d.unwrap_or_default());
                }
            }
        }
        for (acc, name) in self.categorical.iter_mut().zip(categorical_of(&self.cols)) {
            let counts = tally
                .value_counts(name)
                .ok_or_else(|| Error::Internal(format!("no count of column '{name}'")))?;
            for (v, n) in counts {
                *acc.entry(v).or_insert(0) += n;
            }
        }
        self.rows += chunk.rows as u64;
        self.dotted += chunk.dotted as u64;
        self.check_held()
    }

    /// Sets the most distinct values the state may hold (as [`DescribeOptions::max_distinct`]).
    pub fn set_max_distinct(&mut self, max: u64) {
        self.max_distinct = max;
    }

    /// Refuses a state holding more distinct values than its limit: exact value counts take
    /// memory in proportion to them (about 50 bytes each), so past the limit the user chooses.
    fn check_held(&self) -> Result<()> {
        let mut held = 0u64;
        let mut largest = (0u64, "");
        let mut add = |n: usize, column: &'static str| {
            let n = n as u64;
            held += n;
            if n > largest.0 {
                largest = (n, column);
            }
        };
        let numeric = numeric_of(&self.cols);
        for (d, (name, _)) in self.numeric.iter().zip(&numeric) {
            add(d.distinct(), name);
        }
        for (_, dists) in self.groups.values() {
            for (d, (name, _)) in dists.iter().zip(&numeric) {
                add(d.distinct(), name);
            }
        }
        for (c, name) in self.categorical.iter().zip(categorical_of(&self.cols)) {
            add(c.len(), name);
        }
        if held <= self.max_distinct {
            return Ok(());
        }
        Err(Error::Limit {
            path: self.path.clone(),
            message: format!(
                "the exact value counts hold {held} distinct values, past the limit of {} (the \
                 largest table, of '{}', holds {}); each takes about 50 bytes: raise \
                 --max-distinct to go on",
                self.max_distinct, largest.1, largest.0,
            ),
        })
    }

    /// Adds a chunk of records (of any input laid out as the first).
    pub fn update(&mut self, ds: &Dataset) -> Result<()> {
        self.check_columns_of(&ds.name, ds.layout.difficulty, &ds.absent)?;
        let numeric_cols = numeric_of(&self.cols);
        let chunk = numeric_cols
            .par_iter()
            .map(|&(name, kind)| distribution(ds, name, kind))
            .collect::<Result<Vec<_>>>()?;
        for (acc, d) in self.numeric.iter_mut().zip(&chunk) {
            *acc = acc.merge(d);
        }
        let counts = categorical_of(&self.cols)
            .par_iter()
            .map(|name| Ok(value_counts(ds.str_values(name)?)))
            .collect::<Result<Vec<_>>>()?;
        for (acc, c) in self.categorical.iter_mut().zip(counts) {
            for (v, n) in c {
                *acc.entry(v).or_insert(0) += n;
            }
        }
        if let Some(by) = self.by {
            for (name, rows, ds) in describe_groups(ds, by, &numeric_cols)? {
                let entry = self
                    .groups
                    .entry(name)
                    .or_insert_with(|| (0, vec![Distribution::default(); numeric_cols.len()]));
                entry.0 += rows;
                for (acc, d) in entry.1.iter_mut().zip(&ds) {
                    *acc = acc.merge(d);
                }
            }
        }
        self.rows += ds.rows() as u64;
        self.dotted += ds.dotted as u64;
        self.check_held()
    }

    /// The layout described, "dotted labels" when most labels had the trailing dot.
    fn layout_described(&self) -> String {
        crate::load::Layout {
            dotted_labels: self.dotted * 2 > self.rows,
            ..self.layout
        }
        .describe()
    }

    /// Adds another state of the same columns (of other records).
    pub fn merge(&mut self, other: DescribeState) -> Result<()> {
        if other.cols != self.cols || other.by != self.by || other.difficulty != self.difficulty {
            return Err(Error::Usage(format!(
                "{}: described with other columns or groups than {}; states merge only when made \
                 with the same --columns and --by",
                other.path, self.path
            )));
        }
        // Every count of a state is at most its rows: when the rows add up, so does every count.
        let Some(rows) = self.rows.checked_add(other.rows) else {
            return Err(Error::Limit {
                path: other.path.clone(),
                message: format!(
                    "the merged states would hold more than {} rows; a state that large is not \
                     one kddstat wrote",
                    u64::MAX
                ),
            });
        };
        for (acc, d) in self.numeric.iter_mut().zip(&other.numeric) {
            *acc = acc.merge(d);
        }
        for (acc, c) in self.categorical.iter_mut().zip(other.categorical) {
            for (v, n) in c {
                *acc.entry(v).or_insert(0) += n;
            }
        }
        for (name, (rows, ds)) in other.groups {
            let n = ds.len();
            let entry = self
                .groups
                .entry(name)
                .or_insert_with(|| (0, vec![Distribution::default(); n]));
            entry.0 += rows;
            for (acc, d) in entry.1.iter_mut().zip(&ds) {
                *acc = acc.merge(d);
            }
        }
        self.rows = rows;
        self.dotted += other.dotted;
        self.check_held()
    }

    /// The statistics of every record added.
    pub fn finish(&self) -> FileSummary {
        let numeric = numeric_of(&self.cols)
            .iter()
            .zip(&self.numeric)
            .map(|((name, _), d)| (name.to_string(), NumericSummary::of(d)))
            .collect();
        let categorical = categorical_of(&self.cols)
            .iter()
            .zip(&self.categorical)
            .map(|(name, counts)| {
                let mut counts: Vec<(String, u64)> =
                    counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
                counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                (
                    name.to_string(),
                    CategoricalSummary {
                        distinct: counts.len(),
                        counts: OrderedMap(counts),
                    },
                )
            })
            .collect();
        let groups = self.by.map(|by| {
            // Group order: categories in their canonical order; labels most frequent first.
            let mut names: Vec<(&String, u64)> = self
                .groups
                .iter()
                .map(|(k, (rows, _))| (k, *rows))
                .collect();
            names.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            if by == GroupBy::Category {
                names.sort_by_key(|(n, _)| {
                    Category::ALL
                        .iter()
                        .position(|c| c.as_str() == n.as_str())
                        .unwrap_or(usize::MAX)
                });
            }
            let numeric_cols = numeric_of(&self.cols);
            OrderedMap(
                names
                    .into_iter()
                    .map(|(name, rows)| {
                        let ds = &self.groups[name].1;
                        let numeric = numeric_cols
                            .iter()
                            .zip(ds)
                            .map(|((col, _), d)| (col.to_string(), NumericSummary::of(d)))
                            .collect();
                        (
                            name.clone(),
                            GroupSummary {
                                rows: rows as usize,
                                numeric: OrderedMap(numeric),
                            },
                        )
                    })
                    .collect(),
            )
        });
        FileSummary {
            path: self.path.clone(),
            layout: self.layout_described(),
            rows: self.rows as usize,
            numeric: OrderedMap(numeric),
            categorical: OrderedMap(categorical),
            group_by: self.by.map(GroupBy::column),
            groups,
        }
    }

    /// The state as saved by `describe --state-out`.
    pub fn save(&self) -> SavedState {
        let sorted = |m: &foldhash::HashMap<String, u64>| {
            let mut v: Vec<(String, u64)> = m.iter().map(|(k, c)| (k.clone(), *c)).collect();
            v.sort();
            v
        };
        SavedState {
            format: STATE_FORMAT.into(),
            format_version: 1,
            path: self.path.clone(),
            layout: self.layout_described(),
            header: self.layout.header,
            label: self.layout.label,
            dotted: self.dotted,
            difficulty: self.difficulty,
            absent: self.absent.iter().map(|a| a.to_string()).collect(),
            columns: self.cols.iter().map(|c| name_of(c).to_string()).collect(),
            by: self.by.map(|b| b.column().to_string()),
            rows: self.rows,
            numeric: self.numeric.iter().map(Distribution::to_saved).collect(),
            categorical: self
                .categorical
                .iter()
                .map(|c| SavedCounts(sorted(c)))
                .collect(),
            groups: self
                .groups
                .iter()
                .map(|(k, (rows, ds))| {
                    (
                        k.clone(),
                        *rows,
                        ds.iter().map(Distribution::to_saved).collect(),
                    )
                })
                .collect(),
        }
    }

    /// A state read back from a file (`shown` names it in errors), every part checked.
    pub fn from_saved(shown: &str, s: SavedState, max_distinct: u64) -> Result<DescribeState> {
        let bad = |why: String| Error::Model {
            path: shown.to_string(),
            message: format!("not a usable describe state ({why})"),
        };
        if s.format != STATE_FORMAT || s.format_version != 1 {
            return Err(bad(format!("not a {STATE_FORMAT} of version 1")));
        }
        let col = |n: &str| -> Option<DescribedColumn> {
            if let Some(f) = schema::feature(n) {
                return Some(match f.kind {
                    Kind::Categorical => DescribedColumn::Categorical(f.name),
                    k => DescribedColumn::Numeric(f.name, k),
                });
            }
            match n {
                schema::LABEL => Some(DescribedColumn::Categorical(schema::LABEL)),
                schema::CATEGORY => Some(DescribedColumn::Categorical(schema::CATEGORY)),
                schema::DIFFICULTY => {
                    Some(DescribedColumn::Numeric(schema::DIFFICULTY, Kind::Count))
                }
                _ => None,
            }
        };
        let cols = s
            .columns
            .iter()
            .map(|n| col(n).ok_or_else(|| bad(format!("unknown column '{n}'"))))
            .collect::<Result<Vec<_>>>()?;
        let absent = s
            .absent
            .iter()
            .map(|n| {
                schema::feature(n)
                    .map(|f| f.name)
                    .ok_or_else(|| bad(format!("unknown column '{n}'")))
            })
            .collect::<Result<Vec<_>>>()?;
        let by = match s.by.as_deref() {
            None => None,
            Some(schema::CATEGORY) => Some(GroupBy::Category),
            Some(schema::LABEL) => Some(GroupBy::Label),
            Some(other) => return Err(bad(format!("unknown grouping '{other}'"))),
        };
        let n_numeric = numeric_of(&cols).len();
        let dists = |v: Vec<distribution::SavedDistribution>| -> Result<Vec<Distribution>> {
            if v.len() != n_numeric {
                return Err(bad(
                    "its numeric columns do not match its column list".into()
                ));
            }
            v.into_iter()
                .map(|d| Distribution::from_saved(d).map_err(&bad))
                .collect()
        };
        let numeric = dists(s.numeric)?;
        if numeric.iter().any(|d| d.count() != s.rows) {
            return Err(bad("a column's counts do not add up to its rows".into()));
        }
        let numeric_cols = numeric_of(&cols);
        for (d, (name, kind)) in numeric.iter().zip(&numeric_cols) {
            check_range(d, name, *kind).map_err(&bad)?;
        }
        let categorical_cols = categorical_of(&cols);
        if s.categorical.len() != categorical_cols.len() {
            return Err(bad(
                "its categorical columns do not match its column list".into()
            ));
        }
        let mut categorical = Vec::with_capacity(s.categorical.len());
        for (SavedCounts(c), name) in s.categorical.into_iter().zip(&categorical_cols) {
            categorical.push(checked_counts(c, name, s.rows).map_err(&bad)?);
        }
        let mut groups = std::collections::BTreeMap::new();
        let mut grouped = 0u64;
        for (name, rows, ds) in s.groups {
            let known = match by {
                Some(GroupBy::Category) => Category::ALL.iter().any(|c| c.as_str() == name),
                Some(GroupBy::Label) => !name.is_empty(),
                None => false,
            };
            if !known {
                return Err(bad(format!(
                    "a group '{}' that its grouping cannot have",
                    crate::error::show_value(name.as_bytes())
                )));
            }
            let ds = dists(ds)?;
            if rows == 0 || ds.iter().any(|d| d.count() != rows) {
                return Err(bad(format!(
                    "group '{}': its counts do not add up to its {rows} rows",
                    crate::error::show_value(name.as_bytes())
                )));
            }
            grouped = grouped
                .checked_add(rows)
                .ok_or_else(|| bad("its group rows overflow".into()))?;
            if groups.insert(name, (rows, ds)).is_some() {
                return Err(bad("a group listed twice".into()));
            }
        }
        if by.is_some() && grouped != s.rows {
            return Err(bad(format!(
                "its groups hold {grouped} rows, not its {} rows",
                s.rows
            )));
        }
        if by.is_none() && !groups.is_empty() {
            return Err(bad("groups without a grouping".into()));
        }
        if s.dotted > s.rows {
            return Err(bad("more dotted labels than rows".into()));
        }
        let state = DescribeState {
            path: s.path,
            layout: crate::load::Layout {
                header: s.header,
                label: s.label,
                difficulty: s.difficulty,
                dotted_labels: false,
            },
            dotted: s.dotted,
            difficulty: s.difficulty,
            absent,
            cols,
            by,
            rows: s.rows,
            numeric,
            categorical,
            groups,
            max_distinct,
        };
        state.check_held()?;
        Ok(state)
    }

    /// Whether another state describes the same columns with the same grouping (so the two
    /// merge).
    pub fn same_shape(&self, other: &DescribeState) -> bool {
        other.cols == self.cols && other.by == self.by && other.difficulty == self.difficulty
    }

    /// Checks that a saved state was made with the columns and grouping `options` asks for:
    /// a state's figures cannot be regrouped or narrowed after the fact.
    pub fn check_options(&self, options: &DescribeOptions) -> std::result::Result<(), String> {
        if options.by.is_some() && options.by != self.by {
            return Err(format!(
                "it was made {}; a state cannot be regrouped: describe the data again with the \
                 grouping wanted",
                match self.by {
                    Some(by) => format!("grouped by {}", by.column()),
                    None => "without groups".to_string(),
                }
            ));
        }
        if let Some(wanted) = &options.columns {
            let have: Vec<&str> = self.cols.iter().map(name_of).collect();
            if wanted.len() != have.len() || wanted.iter().any(|w| !have.contains(&w.as_str())) {
                return Err(format!(
                    "it describes the columns {}, not those asked for; a state cannot be \
                     narrowed: describe the data again with the columns wanted",
                    have.join(",")
                ));
            }
        }
        Ok(())
    }
}

/// Checks a saved numeric column against the schema: counts whole and non-negative, indicators 0
/// or 1, rates in [0, 1], difficulties 0-21.
fn check_range(d: &Distribution, name: &str, kind: Kind) -> std::result::Result<(), String> {
    let ok = |v: f64| match kind {
        _ if name == schema::DIFFICULTY => v.fract() == 0.0 && (0.0..=21.0).contains(&v),
        Kind::Count => v.fract() == 0.0 && v >= 0.0,
        Kind::Binary => v == 0.0 || v == 1.0,
        Kind::Rate => (0.0..=1.0).contains(&v),
        Kind::Categorical => true,
    };
    match d.values().iter().find(|v| !ok(**v)) {
        Some(v) => Err(format!("column '{name}' holds {v}, outside its range")),
        None => Ok(()),
    }
}

/// A saved column's value counts, checked: values not empty, each once, counts positive and adding
/// up to the state's rows.
fn checked_counts(
    counts: Vec<(String, u64)>,
    name: &str,
    rows: u64,
) -> std::result::Result<foldhash::HashMap<String, u64>, String> {
    let mut total = 0u64;
    let mut map = foldhash::HashMap::default();
    map.reserve(counts.len());
    for (value, n) in counts {
        if value.is_empty() || n == 0 {
            return Err(format!("column '{name}': an empty value or a count of 0"));
        }
        total = total
            .checked_add(n)
            .ok_or_else(|| format!("column '{name}': its counts overflow"))?;
        if map.insert(value, n).is_some() {
            return Err(format!("column '{name}': a value listed twice"));
        }
    }
    if total != rows {
        return Err(format!(
            "column '{name}': its counts add up to {total}, not its {rows} rows"
        ));
    }
    Ok(map)
}

/// Per group of one chunk: its name, rows and the distribution of each numeric column.
fn describe_groups(
    ds: &Dataset,
    by: GroupBy,
    numeric_cols: &[(&'static str, Kind)],
) -> Result<Vec<(String, u64, Vec<Distribution>)>> {
    let keys: Vec<&str> = ds.str_values(by.column())?.collect();
    let names: Vec<String> = value_counts(keys.iter().copied())
        .into_iter()
        .map(|(k, _)| k)
        .collect();
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
    let mut rows = vec![0u64; n];
    for &g in &groups {
        rows[g as usize] += 1;
    }
    Ok(names
        .into_iter()
        .enumerate()
        .map(|(g, name)| {
            let ds = per_column.iter().map(|col| col[g].clone()).collect();
            (name, rows[g], ds)
        })
        .collect())
}

impl crate::stats::Accumulator for DescribeState {
    type Batch = Dataset;
    type Figures = FileSummary;
    type Saved = SavedState;

    fn update(&mut self, ds: &Dataset) -> Result<()> {
        DescribeState::update(self, ds)
    }

    fn merge(&mut self, other: DescribeState) -> Result<()> {
        DescribeState::merge(self, other)
    }

    fn finish(&self) -> Result<FileSummary> {
        Ok(DescribeState::finish(self))
    }

    fn save(&self) -> SavedState {
        DescribeState::save(self)
    }

    fn memory(&self) -> usize {
        // About 50 bytes a distinct numeric value, 100 plus the text a categorical one.
        let numeric: usize = self.numeric.iter().map(|d| d.distinct() * 50).sum();
        let groups: usize = self
            .groups
            .values()
            .flat_map(|(_, ds)| ds.iter().map(|d| d.distinct() * 50))
            .sum();
        let categorical: usize = self
            .categorical
            .iter()
            .flat_map(|c| c.keys().map(|k| 100 + k.len()))
            .sum();
        numeric + groups + categorical
    }
}

/// Parses a saved state, refusing it as soon as it brings more than `max` distinct values (numeric
/// values, categorical values and groups together), before its tables are built.
pub fn budget_parse(max: u64, bytes: &[u8]) -> serde_json::Result<SavedState> {
    distribution::budget::with(max, || serde_json::from_slice(bytes))
}
