//! The one accumulator trait: every mergeable state of kddstat, after DataFusion's `Accumulator`
//! and rust-stats' `Commute`.
//!
//! A state is updated from batches (records, or scores), merged with the state of other batches,
//! saved (serialised, for `--state-out`, Python and Spark), finished into its figures, and
//! reports its memory. Merging is exact: the states of the parts of a dataset, merged in any
//! order, finish into the figures of the whole, to the bit. Nothing else merges partial results.
//!
//! Implemented by: [`crate::stats::describe::DescribeState`] (describe, compare, and the first
//! pass of stats), [`crate::stats::duplicates::Duplicates`], [`crate::stats::pairs::PairSums`]
//! (the second pass of stats), [`crate::stats::state::StatsState`] (both passes),
//! [`crate::stats::exact::ExactSum`], [`crate::stats::Distribution`] and the score counts that
//! evaluate merges ([`crate::stats::metrics::ScoreCounts`]).

use crate::error::Result;

/// A mergeable state.
pub trait Accumulator: Sized {
    /// What one update takes: a chunk of records, or of scores.
    type Batch: ?Sized;
    /// What the state finishes into.
    type Figures;
    /// Its saved form (serialised as JSON; read back, checked, by the type's own `from_saved`,
    /// which knows the limits of its run).
    type Saved;

    /// Adds a batch.
    fn update(&mut self, batch: &Self::Batch) -> Result<()>;

    /// Adds the batches another state was updated with.
    fn merge(&mut self, other: Self) -> Result<()>;

    /// The figures of every batch added.
    fn finish(&self) -> Result<Self::Figures>;

    /// The state in its saved form.
    fn save(&self) -> Self::Saved;

    /// About how many bytes the state holds.
    fn memory(&self) -> usize;
}

/// Adds `batch` to the state in `slot`, creating the state from the batch first when there is
/// none yet (a state whose shape comes from the first batch read).
pub fn update_or_create<A: Accumulator>(
    slot: &mut Option<A>,
    batch: &A::Batch,
    create: impl FnOnce(&A::Batch) -> Result<A>,
) -> Result<()> {
    let state = match slot {
        Some(s) => s,
        None => slot.insert(create(batch)?),
    };
    state.update(batch)
}

/// Merges every state of `states` (in their order) into one; `None` when there is none.
pub fn merge_all<A: Accumulator>(states: impl IntoIterator<Item = A>) -> Result<Option<A>> {
    let mut merged: Option<A> = None;
    for s in states {
        match &mut merged {
            Some(m) => m.merge(s)?,
            None => merged = Some(s),
        }
    }
    Ok(merged)
}
