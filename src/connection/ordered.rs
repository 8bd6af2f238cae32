//! Records in start order from connections that end in any order: an ended connection waits
//! until every connection that started before it has ended (the window features of a record look
//! back over the connections that started before it, with their final flags), then its record is
//! built by the incremental [`Windows`].
//!
//! The order is (start, sequence number), the sequence number being the order of the
//! connections' first packets, so equal starts keep the order in which their connections were
//! seen: the order of [`super::records::records_of`].

use std::collections::BTreeMap;

use super::records::{Finished, Record, Windows};

/// Ended connections waiting for older ones, and the windows of the records already built.
#[derive(Debug, Default)]
pub struct InOrder {
    held: BTreeMap<(i64, u64), Finished>,
    windows: Windows,
}

impl InOrder {
    /// Nothing held.
    pub fn new() -> InOrder {
        InOrder::default()
    }

    /// Holds an ended connection with its sequence number.
    pub fn push(&mut self, seq: u64, c: Finished) {
        self.held.insert((c.start, seq), c);
    }

    /// Connections held.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Builds the records of the held connections that are before `oldest_open` (the
    /// (start, sequence number) of the first open connection; `None`: none is open, every one is
    /// released), in order, at most `max` of them, and hands them to `out`; returns how many.
    pub fn release(
        &mut self,
        oldest_open: Option<(i64, u64)>,
        max: usize,
        out: &mut dyn FnMut(Record),
    ) -> usize {
        let mut n = 0;
        while n < max
            && let Some(entry) = self.held.first_entry()
        {
            if oldest_open.is_some_and(|o| *entry.key() > o) {
                break;
            }
            let c = entry.remove();
            out(self.windows.record(c));
            n += 1;
        }
        n
    }
}
