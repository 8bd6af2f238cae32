//! The mergeable state of `stats`: two passes over the records, each a state that merges.
//!
//! - The first pass ([`FirstPass`]) is a [`DescribeState`] of the numeric and categorical
//!   features and the category, grouped as the profile, and a [`Duplicates`] state: the
//!   distributions, means, medians, skewness, average ranks and bin edges, and the duplicate and
//!   conflict counts.
//! - The second pass ([`PairSums`]) needs the first pass's means, ranks and edges, so it runs
//!   once the first pass of the whole dataset is known: exact sums of centred products and the
//!   contingency tables.
//!
//! A file is analysed by the two passes over its chunks. A dataset in parts (on several machines,
//! or on Spark's executors) is analysed by the same passes run per part, each pass's states
//! merged: the first passes of the parts merged, the second pass of each part run with that
//! merged first pass, the second passes merged. Both are saved in one versioned format
//! ([`SavedStats`], `stats --state-out`), the second naming the first it was made with (a digest
//! of its content), and the figures are those of the whole to the bit, whatever the split.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::OrderedMap;
use super::accumulate::Accumulator;
use super::analysis::{ReportParts, StatsOptions, StatsReport, report_of_parts};
use super::describe::{DescribeOptions, DescribeState, GroupBy, SavedState};
use super::duplicates::{DuplicateCounts, Duplicates, SavedDuplicates};
use super::pairs::{FirstPassFigures, PairSums, SavedPairs};
use crate::error::{Error, Result};
use crate::load::Dataset;
use crate::load::rows::Chunks;
use crate::schema;

/// The format name of a saved stats state.
pub const STATE_FORMAT: &str = "kddstat-stats-state";
/// Its version.
pub const STATE_VERSION: u32 = 1;

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

/// The first pass of `stats`.
#[derive(Debug, Clone)]
pub struct FirstPass {
    /// The described columns, grouped as the profile.
    pub describe: DescribeState,
    /// Duplicate records and conflicting vectors.
    pub duplicates: Duplicates,
}

impl FirstPass {
    /// An empty first pass for records laid out as `first`, the profile grouped by `by`.
    pub fn new(first: &Dataset, by: GroupBy) -> Result<FirstPass> {
        first.require_all_features("stats")?;
        let options = DescribeOptions {
            columns: Some(described_columns()),
            by: Some(by),
            max_distinct: None,
        };
        Ok(FirstPass {
            describe: DescribeState::new(first, &options)?,
            duplicates: Duplicates::default(),
        })
    }

    /// What the profile groups by.
    pub fn by(&self) -> Option<GroupBy> {
        self.describe.group_by()
    }

    /// A digest of the content (not the name) of the state: second passes name the first pass
    /// they were made with by it.
    pub fn digest(&self) -> String {
        let saved = self.save_parts();
        let bytes = serde_json::to_vec(&saved).unwrap_or_default();
        use sha2::Digest;
        let h = sha2::Sha256::digest(&bytes);
        h[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    fn save_parts(&self) -> (SavedState, SavedDuplicates) {
        let mut d = self.describe.save();
        d.path = String::new();
        (d, self.duplicates.save())
    }

    /// What the second pass needs of this first pass; `digest` names it in the second passes'
    /// states (empty when none is saved: the digest is computed only for states).
    pub fn plan(&self, bins: usize, digest: String) -> Result<FirstPassFigures> {
        FirstPassFigures::of(&self.describe, bins, digest)
    }
}

impl Accumulator for FirstPass {
    type Batch = Dataset;
    type Figures = DuplicateCounts;
    type Saved = (SavedState, SavedDuplicates);

    fn update(&mut self, ds: &Dataset) -> Result<()> {
        self.describe.update(ds)?;
        self.duplicates.update(ds)
    }

    fn merge(&mut self, other: FirstPass) -> Result<()> {
        if other.describe.group_by() != self.describe.group_by() {
            return Err(Error::Model {
                path: other.describe.path().to_string(),
                message: format!(
                    "the state's profile is grouped otherwise than {}'s; states merge only when \
                     made with the same --by",
                    self.describe.path()
                ),
            });
        }
        self.describe.merge(other.describe)?;
        self.duplicates.merge(other.duplicates)
    }

    fn finish(&self) -> Result<DuplicateCounts> {
        self.duplicates.finish()
    }

    fn save(&self) -> (SavedState, SavedDuplicates) {
        (self.describe.save(), self.duplicates.save())
    }

    fn memory(&self) -> usize {
        Accumulator::memory(&self.describe) + self.duplicates.memory()
    }
}

/// A saved stats state: a first pass, or a second pass made with the first pass `first`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedStats {
    /// Always [`STATE_FORMAT`].
    pub format: String,
    /// [`STATE_VERSION`].
    pub format_version: u32,
    /// 1 or 2.
    pub pass: u8,
    /// The digest of the first pass (its own, or the one the second pass was made with).
    pub first: String,
    /// Pass 2: equal-frequency bins of the relevance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bins: Option<usize>,
    /// Pass 1: the describe state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub describe: Option<SavedState>,
    /// Pass 1: the duplicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<SavedDuplicates>,
    /// Pass 2: the sums and tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairs: Option<SavedPairs>,
}

impl SavedStats {
    /// A first pass saved.
    pub fn first(state: &FirstPass) -> SavedStats {
        let (describe, duplicates) = state.save();
        SavedStats {
            format: STATE_FORMAT.into(),
            format_version: STATE_VERSION,
            pass: 1,
            first: state.digest(),
            bins: None,
            describe: Some(describe),
            duplicates: Some(duplicates),
            pairs: None,
        }
    }

    /// A second pass saved.
    pub fn second(state: &PairSums) -> SavedStats {
        SavedStats {
            format: STATE_FORMAT.into(),
            format_version: STATE_VERSION,
            pass: 2,
            first: state.plan().first.clone(),
            bins: Some(state.plan().bins),
            describe: None,
            duplicates: None,
            pairs: Some(state.save()),
        }
    }

    /// Reads a saved state's bytes (`shown` names it in messages), at most `max_distinct`
    /// distinct values in its describe part.
    pub fn parse(shown: &str, bytes: &[u8], max_distinct: u64) -> Result<SavedStats> {
        let bad = |message: String| Error::Model {
            path: shown.to_string(),
            message,
        };
        let s: SavedStats =
            super::distribution::budget::with(max_distinct, || serde_json::from_slice(bytes))
                .map_err(|e| bad(format!("not a stats state ({e})")))?;
        if s.format != STATE_FORMAT {
            return Err(bad(format!(
                "not a stats state (its format is '{}', not '{STATE_FORMAT}')",
                s.format
            )));
        }
        if s.format_version != STATE_VERSION {
            return Err(bad(format!(
                "a stats state of format version {}, which this kddstat does not read (it reads \
                 version {STATE_VERSION})",
                s.format_version
            )));
        }
        let complete = match s.pass {
            1 => s.describe.is_some() && s.duplicates.is_some() && s.pairs.is_none(),
            2 => s.describe.is_none() && s.pairs.is_some() && s.bins.is_some(),
            _ => false,
        };
        if !complete {
            return Err(bad(
                "not a usable stats state (its pass and its parts disagree)".into(),
            ));
        }
        Ok(s)
    }

    /// The first pass this state holds.
    pub fn into_first(self, shown: &str, max_distinct: u64) -> Result<FirstPass> {
        let bad = |message: String| Error::Model {
            path: shown.to_string(),
            message: format!("not a usable stats state ({message})"),
        };
        let (Some(d), Some(dup)) = (self.describe, self.duplicates) else {
            return Err(bad("it is a second pass, not a first".into()));
        };
        let describe = DescribeState::from_saved(shown, d, max_distinct)?;
        let duplicates = Duplicates::from_saved(dup).map_err(bad)?;
        if duplicates.rows() != describe.rows() {
            return Err(bad(format!(
                "its duplicates count {} rows and its description {}",
                duplicates.rows(),
                describe.rows()
            )));
        }
        let columns: Vec<&str> = describe.columns().collect();
        let wanted = described_columns();
        if columns != wanted.iter().map(String::as_str).collect::<Vec<_>>()
            || describe.group_by().is_none()
        {
            return Err(bad("its describe part is not the one stats makes".into()));
        }
        let state = FirstPass {
            describe,
            duplicates,
        };
        if state.digest() != self.first {
            return Err(bad("its digest does not match its content".into()));
        }
        Ok(state)
    }

    /// The second pass this state holds, made with the first pass `plan` was made of.
    pub fn into_second(self, shown: &str, plan: &Arc<FirstPassFigures>) -> Result<PairSums> {
        let bad = |message: String| Error::Model {
            path: shown.to_string(),
            message,
        };
        if self.first != plan.first || self.bins != Some(plan.bins) {
            return Err(bad(format!(
                "this second pass was made with another first pass (or other --bins) than {}: \
                 run the second pass of every part with the same --first-pass",
                plan.path
            )));
        }
        let Some(pairs) = self.pairs else {
            return Err(bad("it is a first pass, not a second".into()));
        };
        PairSums::from_saved(Arc::clone(plan), pairs)
            .map_err(|m| bad(format!("not a usable stats state ({m})")))
    }
}

/// The report of a first pass and the complete second pass made with it.
pub fn report(first: &FirstPass, second: &PairSums, options: &StatsOptions) -> Result<StatsReport> {
    if second.rows() != first.describe.rows() {
        return Err(Error::Model {
            path: first.describe.path().to_string(),
            message: format!(
                "the second passes count {} rows and the first pass {}: a part is missing or \
                 counted twice",
                second.rows(),
                first.describe.rows()
            ),
        });
    }
    let counts = first.finish()?;
    figures_of(
        &first.describe,
        second,
        options,
        counts.duplicate_rows as usize,
        counts.conflicting_rows as usize,
    )
}

fn figures_of(
    state: &DescribeState,
    second: &PairSums,
    options: &StatsOptions,
    duplicates: usize,
    conflicts: usize,
) -> Result<StatsReport> {
    let pairs = second.finish()?;
    let plan = second.plan();
    let categorical_distinct = plan
        .categorical
        .iter()
        .map(|c| Ok((*c, state.value_counts(c)?.len())))
        .collect::<Result<Vec<_>>>()?;
    let summary = state.finish();
    let parts = ReportParts {
        path: summary.path.clone(),
        rows: summary.rows,
        names: plan.names.clone(),
        dists: plan.dists.clone(),
        groups: summary.groups.unwrap_or(OrderedMap(Vec::new())),
        pearson: pairs.pearson,
        spearman: pairs.spearman,
        relevance: pairs.relevance,
        categorical_distinct,
        categories: state.value_counts(schema::CATEGORY)?,
    };
    Ok(report_of_parts(parts, options, duplicates, conflicts))
}

/// The first pass over the chunks `open` opens, with the labels of unknown category met.
pub fn first_pass(
    open: &dyn Fn() -> Result<Chunks>,
    by: GroupBy,
) -> Result<(FirstPass, Vec<(String, usize)>)> {
    let mut state: Option<FirstPass> = None;
    let mut unknown = Vec::new();
    for chunk in open()? {
        let ds = chunk?;
        crate::load::add_unknown_labels(&mut unknown, &ds.unknown_labels);
        super::accumulate::update_or_create(&mut state, &ds, |ds| FirstPass::new(ds, by))?;
    }
    let state = state.ok_or_else(|| Error::Internal("no rows were read".into()))?;
    crate::load::require_all_features(state.describe.path(), state.describe.absent(), "stats")?;
    Ok((state, unknown))
}

/// The second pass over the chunks `open` opens, with `plan`.
pub fn second_pass(
    open: &dyn Fn() -> Result<Chunks>,
    plan: Arc<FirstPassFigures>,
) -> Result<PairSums> {
    let mut sums = PairSums::new(plan);
    for chunk in open()? {
        sums.update(&chunk?)?;
    }
    Ok(sums)
}

/// A dataset analysed: its first pass, the labels of unknown category met, and its report
/// (none when only the first pass was asked for).
pub struct Analysed {
    /// The first pass.
    pub first: FirstPass,
    /// Labels of unknown category, with their rows.
    pub unknown: Vec<(String, usize)>,
    /// The figures.
    pub report: Option<StatsReport>,
}

/// `stats` of the rows `open` opens (twice: in chunks, memory bounded by their distinct values),
/// or its first pass only.
pub fn analyse(
    open: &dyn Fn() -> Result<Chunks>,
    options: &StatsOptions,
    first_only: bool,
) -> Result<Analysed> {
    let (first, unknown) = first_pass(open, options.by)?;
    if first_only {
        return Ok(Analysed {
            first,
            unknown,
            report: None,
        });
    }
    let plan = Arc::new(first.plan(options.bins, String::new())?);
    let second = second_pass(open, plan)?;
    if second.rows() != first.describe.rows() {
        return Err(crate::load::rows::changed(first.describe.path()));
    }
    let report = Some(report(&first, &second, options)?);
    Ok(Analysed {
        first,
        unknown,
        report,
    })
}

/// `stats` of the rows `open` opens, whose first pass gave the describe state `state` (of at
/// least [`described_columns`], grouped by `options.by`); `duplicates` and `conflicts` (rows)
/// come from the cleaning stage.
pub fn analyse_described(
    state: &DescribeState,
    open: &dyn Fn() -> Result<Chunks>,
    options: &StatsOptions,
    duplicates: usize,
    conflicts: usize,
) -> Result<StatsReport> {
    if state.group_by() != Some(options.by) {
        return Err(Error::Internal(
            "the first pass did not describe the features grouped as the profile".into(),
        ));
    }
    let plan = FirstPassFigures::of(state, options.bins, String::new())?;
    let second = second_pass(open, Arc::new(plan))?;
    if second.rows() != state.rows() {
        return Err(crate::load::rows::changed(state.path()));
    }
    figures_of(state, &second, options, duplicates, conflicts)
}
