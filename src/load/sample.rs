//! A seeded uniform sample of an input's rows in bounded memory: the input is read in chunks
//! ([`Stream`]) and a reservoir keeps `size` rows (Vitter's algorithm R, one draw per row past
//! the first `size` from a xoshiro256++ generator seeded with `seed`).
//!
//! The draws depend only on the rows' order and the seed, never on the chunks or the threads, so
//! the sample is the same for the same file and seed. An input of at most `size` rows is kept
//! whole, in file order: fitting on it is fitting on the file.

use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::stream::Stream;
use super::{Dataset, Input, LoadOptions, add_unknown_labels};
use crate::error::{Error, Result};

/// What [`reservoir`] read.
#[derive(Debug)]
pub struct Sample {
    /// The sampled rows (every row when the input has at most the sample size), as one dataset.
    pub ds: Dataset,
    /// Rows the input has.
    pub rows: u64,
    /// SHA-256 of the input's decompressed text.
    pub sha256: String,
    /// The labels of every row (sampled or not; empty for unlabelled inputs).
    pub labels: std::collections::BTreeSet<String>,
}

impl Sample {
    /// Whether the input had more rows than were kept.
    pub fn sampled(&self) -> bool {
        self.rows > self.ds.rows() as u64
    }
}

fn polars(name: &str, e: PolarsError) -> Error {
    Error::Internal(format!("{name}: sampling rows: {e}"))
}

/// The rows at `rows` of a frame, in that order.
fn take(frame: &DataFrame, rows: &[IdxSize], name: &str) -> Result<DataFrame> {
    let idx = IdxCa::from_vec("idx".into(), rows.to_vec());
    frame.take(&idx).map_err(|e| polars(name, e))
}

/// Reads `input` in chunks and keeps a uniform sample of `size` of its rows (seeded).
pub fn reservoir(input: &Input, options: &LoadOptions, size: usize, seed: u64) -> Result<Sample> {
    let size = size.max(1);
    let mut stream = Stream::open(input, options)?.hashed();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut kept: Option<Dataset> = None;
    // slot -> row of the kept frame holding it (rows no slot points to are dead).
    let mut slot_row: Vec<usize> = Vec::new();
    let mut seen: u64 = 0;
    let mut unknown = Vec::new();
    let mut labels = std::collections::BTreeSet::new();
    for chunk in &mut stream {
        let chunk = chunk?;
        add_unknown_labels(&mut unknown, &chunk.unknown_labels);
        if chunk.layout.label {
            for l in chunk.str_values(crate::schema::LABEL)? {
                if !labels.contains(l) {
                    labels.insert(l.to_string());
                }
            }
        }
        let mut rows: Vec<IdxSize> = Vec::new();
        let mut slots: Vec<usize> = Vec::new();
        for i in 0..chunk.rows() {
            let slot = if seen < size as u64 {
                Some(seen as usize)
            } else {
                let j = rng.gen_range(0..=seen);
                (j < size as u64).then_some(j as usize)
            };
            if let Some(s) = slot {
                rows.push(i as IdxSize);
                slots.push(s);
            }
            seen += 1;
        }
        if rows.is_empty() {
            continue;
        }
        let whole = rows.len() == chunk.rows();
        let lines: Vec<u32> = rows.iter().map(|&i| chunk.lines[i as usize]).collect();
        let part = if whole {
            chunk.frame.clone()
        } else {
            take(&chunk.frame, &rows, &chunk.name)?
        };
        let k = match &mut kept {
            None => kept.insert(Dataset {
                frame: part,
                lines,
                unknown_labels: Vec::new(),
                rejected: Vec::new(),
                ..chunk
            }),
            Some(k) => {
                k.frame.vstack_mut(&part).map_err(|e| polars(&k.name, e))?;
                k.lines.extend(lines);
                k
            }
        };
        let base = k.frame.height() - rows.len();
        for (n, s) in slots.into_iter().enumerate() {
            if s == slot_row.len() {
                slot_row.push(base + n);
            } else {
                slot_row[s] = base + n;
            }
        }
        // Dead rows past the sample's size are dropped, so the frame never holds more than
        // 1.25 times the sample (plus one chunk).
        if k.frame.height() > size + size / 4 {
            compact(k, &mut slot_row)?;
        }
    }
    let mut ds = kept.ok_or_else(|| Error::Internal("a stream without rows".into()))?;
    if ds.frame.height() != slot_row.len() || slot_row.iter().enumerate().any(|(i, r)| i != *r) {
        compact(&mut ds, &mut slot_row)?;
    }
    ds.frame.rechunk_mut();
    ds.unknown_labels = unknown;
    Ok(Sample {
        ds,
        rows: seen,
        sha256: stream.sha256().unwrap_or_default(),
        labels,
    })
}

/// Keeps the rows slots point to, in slot order.
fn compact(ds: &mut Dataset, slot_row: &mut [usize]) -> Result<()> {
    let rows: Vec<IdxSize> = slot_row.iter().map(|&r| r as IdxSize).collect();
    ds.frame = take(&ds.frame, &rows, &ds.name)?;
    ds.lines = slot_row.iter().map(|&r| ds.lines[r]).collect();
    for (i, r) in slot_row.iter_mut().enumerate() {
        *r = i;
    }
    Ok(())
}
