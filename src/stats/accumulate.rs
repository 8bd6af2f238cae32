//! The one accumulator trait: every mergeable state of kddstat, after DataFusion's `Accumulator`
//! and rust-stats' `Commute`.
//!
//! A state is updated from batches (records, or scores), merged with the state of other batches,
//! saved (serialised, for `--state-out`, Python and Spark), finished into its figures, and
//! reports its memory. Merging is exact: the states of the parts of a dataset, merged in any
//! order, finish into the figures of the whole, to the bit. Nothing else merges partial results.
//!
//! Implemented by: [`crate::stats::describe::DescribeState`] (describe, compare, and the first
//! pass of stats), [`crate::stats::duplicates::Duplicates`], [`crate::stats::state::FirstPass`]
//! (the first pass of stats), [`crate::stats::pairs::PairSums`] (its second pass),
//! [`crate::stats::exact::ExactSum`], [`crate::stats::Distribution`],
//! [`crate::stats::relevance::Table`] and the score counts that evaluate merges
//! (`evaluate::counts::ScoreCounts`, a higher layer). The parser's per-piece counters
//! (`stats::tally::Tally`) are a parse sink that the describe state absorbs, not a state of their
//! own.

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

impl Accumulator for super::exact::ExactSum {
    type Batch = [f64];
    type Figures = f64;
    type Saved = super::exact::SavedSum;

    fn update(&mut self, batch: &[f64]) -> Result<()> {
        self.add_all(batch.iter().copied());
        Ok(())
    }

    fn merge(&mut self, other: Self) -> Result<()> {
        super::exact::ExactSum::merge(self, &other);
        Ok(())
    }

    fn finish(&self) -> Result<f64> {
        Ok(self.value())
    }

    fn save(&self) -> Self::Saved {
        self.to_saved()
    }

    fn memory(&self) -> usize {
        std::mem::size_of::<Self>()
    }
}

impl Accumulator for super::Distribution {
    type Batch = [f64];
    type Figures = super::Distribution;
    type Saved = super::distribution::SavedDistribution;

    fn update(&mut self, batch: &[f64]) -> Result<()> {
        *self = super::Distribution::merge(self, &super::Distribution::from_f64(&[batch]));
        Ok(())
    }

    fn merge(&mut self, other: Self) -> Result<()> {
        *self = super::Distribution::merge(self, &other);
        Ok(())
    }

    fn finish(&self) -> Result<super::Distribution> {
        Ok(self.clone())
    }

    fn save(&self) -> Self::Saved {
        self.to_saved()
    }

    fn memory(&self) -> usize {
        self.distinct() * 16
    }
}

impl<K: Eq + std::hash::Hash + Clone + Ord> Accumulator for super::relevance::Table<K> {
    type Batch = [(K, usize)];
    type Figures = (f64, f64);
    type Saved = Vec<(K, [u64; super::relevance::CLASSES])>;

    fn update(&mut self, batch: &[(K, usize)]) -> Result<()> {
        for (k, class) in batch {
            if *class >= super::relevance::CLASSES {
                return Err(crate::error::Error::Internal(format!("no class {class}")));
            }
            self.add(k, *class);
        }
        Ok(())
    }

    fn merge(&mut self, other: Self) -> Result<()> {
        super::relevance::Table::merge(self, other);
        Ok(())
    }

    fn finish(&self) -> Result<(f64, f64)> {
        Ok(self.figures())
    }

    fn save(&self) -> Self::Saved {
        let mut cells: Vec<_> = self.cells().map(|(k, c)| (k.clone(), *c)).collect();
        cells.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        cells
    }

    fn memory(&self) -> usize {
        self.distinct() * (std::mem::size_of::<K>() + 8 * super::relevance::CLASSES) * 8 / 7
    }
}
