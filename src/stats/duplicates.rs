//! Duplicate records and conflicting feature vectors, counted in a mergeable state.
//!
//! Every row is keyed by a 128-bit hash of its values as read (two independently seeded 64-bit
//! lanes over the 41 features: the vector key; continued over the label and difficulty: the
//! record key). [`Duplicates`] keeps per distinct record its count and per distinct vector the
//! labels it occurs with (one, or "several"), so states of parts merge into the counts of the
//! whole: 36 bytes per distinct record and 40 per distinct vector in memory. Two different rows
//! share a key with probability about n² / 2¹²⁹ (10⁻²³ for 10⁸ rows). The cleaning stage keys
//! rows by the same functions.

use foldhash::HashMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::accumulate::Accumulator;
use crate::error::Result;
use crate::load::Dataset;
use crate::schema::{self, FEATURES, Kind};

const LANES: [u64; 2] = [0x9e37_79b9_7f4a_7c15, 0xc2b2_ae3d_27d4_eb4f];

fn mix(h: u64, k: u64) -> u64 {
    let mut z = (h ^ k).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn text_key(s: &str, lane: usize) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(LANES[lane]).hash_one(s)
}

/// Each row's key over `columns` (two lanes), continuing from `start` when given.
pub fn keys(ds: &Dataset, columns: &[&str], start: Option<&[u128]>) -> Result<Vec<u128>> {
    let n = ds.rows();
    let mut lanes: Vec<[u64; 2]> = match start {
        Some(s) => s.iter().map(|k| [(*k >> 64) as u64, *k as u64]).collect(),
        None => vec![LANES; n],
    };
    for (c, name) in columns.iter().enumerate() {
        let kind = schema::feature(name).map(|f| f.kind);
        let salt = c as u64 + 1;
        match kind {
            Some(Kind::Rate) => {
                let v = ds.f64_values(name)?;
                lanes.par_iter_mut().zip(&v).for_each(|(l, x)| {
                    let k = (x + 0.0).to_bits() ^ salt;
                    *l = [mix(l[0], k), mix(l[1], k.rotate_left(17))];
                });
            }
            Some(Kind::Categorical) | None if *name != schema::DIFFICULTY => {
                let v: Vec<&str> = ds.str_values(name)?.collect();
                lanes.par_iter_mut().zip(&v).for_each(|(l, s)| {
                    *l = [
                        mix(l[0], text_key(s, 0) ^ salt),
                        mix(l[1], text_key(s, 1) ^ salt),
                    ];
                });
            }
            _ => {
                let chunks = ds.i64_chunks(name)?;
                let v: Vec<i64> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
                lanes.par_iter_mut().zip(&v).for_each(|(l, x)| {
                    let k = (*x as u64) ^ salt;
                    *l = [mix(l[0], k), mix(l[1], k.rotate_left(17))];
                });
            }
        }
    }
    Ok(lanes
        .into_iter()
        .map(|[a, b]| (u128::from(a) << 64) | u128::from(b))
        .collect())
}

/// The keys of each row's feature vector and of its whole record.
pub fn row_keys(ds: &Dataset) -> Result<(Vec<u128>, Vec<u128>)> {
    let features: Vec<&str> = FEATURES.iter().map(|f| f.name).collect();
    let vectors = keys(ds, &features, None)?;
    let mut rest = vec![schema::LABEL];
    if ds.layout.difficulty {
        rest.push(schema::DIFFICULTY);
    }
    let records = keys(ds, &rest, Some(&vectors))?;
    Ok((vectors, records))
}

/// A vector seen with more than one label.
const SEVERAL: u32 = u32::MAX;

/// The mergeable counts behind the `duplicates` and `conflicts` alerts.
#[derive(Debug, Clone, Default)]
pub struct Duplicates {
    /// Rows per distinct record key.
    records: HashMap<u128, u64>,
    /// Per distinct vector key: its label (an index into `labels`, or [`SEVERAL`]) and rows.
    vectors: HashMap<u128, (u32, u64)>,
    /// The labels seen, in order of first appearance in this state.
    labels: Vec<String>,
    label_ids: HashMap<String, u32>,
}

/// What [`Duplicates`] finishes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DuplicateCounts {
    /// Rows equal to an earlier row (labels and difficulty included).
    pub duplicate_rows: u64,
    /// Distinct records occurring more than once.
    pub duplicate_groups: u64,
    /// Rows whose features occur with more than one label.
    pub conflicting_rows: u64,
    /// Distinct feature vectors occurring with more than one label.
    pub conflicting_vectors: u64,
}

/// [`Duplicates`] as saved: keys as 32 hex digits, sorted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedDuplicates {
    /// Labels, indexed by `vectors`.
    pub labels: Vec<String>,
    /// (record key, rows).
    pub records: Vec<(String, u64)>,
    /// (vector key, label index or 4294967295 for several, rows).
    pub vectors: Vec<(String, u32, u64)>,
}

impl Duplicates {
    fn label_id(&mut self, label: &str) -> u32 {
        if let Some(id) = self.label_ids.get(label) {
            return *id;
        }
        let id = self.labels.len() as u32;
        self.labels.push(label.to_string());
        self.label_ids.insert(label.to_string(), id);
        id
    }

    fn add_vector(&mut self, key: u128, label: u32, rows: u64) {
        let e = self.vectors.entry(key).or_insert((label, 0));
        if e.0 != label {
            e.0 = SEVERAL;
        }
        e.1 += rows;
    }

    /// A state read back, checked.
    pub fn from_saved(s: SavedDuplicates) -> std::result::Result<Duplicates, String> {
        let mut d = Duplicates::default();
        for l in &s.labels {
            if d.label_ids.contains_key(l) {
                return Err(format!("the label '{l}' is listed twice"));
            }
            d.label_id(l);
        }
        let key =
            |h: &str| u128::from_str_radix(h, 16).map_err(|_| format!("'{h}' is not a row key"));
        for (k, n) in &s.records {
            if *n == 0 || d.records.insert(key(k)?, *n).is_some() {
                return Err(format!(
                    "the record key {k} is listed twice or with no rows"
                ));
            }
        }
        for (k, label, n) in &s.vectors {
            if *label != SEVERAL && *label as usize >= d.labels.len() {
                return Err(format!("the vector key {k} names no label"));
            }
            if *n == 0 || d.vectors.insert(key(k)?, (*label, *n)).is_some() {
                return Err(format!(
                    "the vector key {k} is listed twice or with no rows"
                ));
            }
        }
        let total = |mut counts: Box<dyn Iterator<Item = u64> + '_>| {
            counts.try_fold(0u64, |t, n| t.checked_add(n))
        };
        let a = total(Box::new(d.records.values().copied()));
        let b = total(Box::new(d.vectors.values().map(|v| v.1)));
        if a.is_none() || a != b {
            return Err(format!(
                "the records count {a:?} rows and the vectors {b:?}"
            ));
        }
        Ok(d)
    }

    /// Rows counted.
    pub fn rows(&self) -> u64 {
        // A checked state's counts add up within 64 bits (and merged ones stay within the
        // describe state's rows, whose sum is checked first).
        self.records
            .values()
            .fold(0u64, |t, n| t.saturating_add(*n))
    }
}

impl Accumulator for Duplicates {
    type Batch = Dataset;
    type Figures = DuplicateCounts;
    type Saved = SavedDuplicates;

    fn update(&mut self, ds: &Dataset) -> Result<()> {
        let (vkeys, rkeys) = row_keys(ds)?;
        for (i, label) in ds.str_values(schema::LABEL)?.enumerate() {
            let id = self.label_id(label);
            *self.records.entry(rkeys[i]).or_insert(0) += 1;
            self.add_vector(vkeys[i], id, 1);
        }
        Ok(())
    }

    fn merge(&mut self, other: Duplicates) -> Result<()> {
        for (k, n) in other.records {
            *self.records.entry(k).or_insert(0) += n;
        }
        let ids: Vec<u32> = other.labels.iter().map(|l| self.label_id(l)).collect();
        for (k, (label, n)) in other.vectors {
            let label = if label == SEVERAL {
                SEVERAL
            } else {
                ids[label as usize]
            };
            self.add_vector(k, label, n);
        }
        Ok(())
    }

    fn finish(&self) -> Result<DuplicateCounts> {
        let mut c = DuplicateCounts::default();
        for &n in self.records.values() {
            c.duplicate_rows += n - 1;
            c.duplicate_groups += u64::from(n > 1);
        }
        for &(label, n) in self.vectors.values() {
            if label == SEVERAL {
                c.conflicting_vectors += 1;
                c.conflicting_rows += n;
            }
        }
        Ok(c)
    }

    fn save(&self) -> SavedDuplicates {
        let mut records: Vec<(u128, u64)> = self.records.iter().map(|(k, n)| (*k, *n)).collect();
        records.sort_unstable();
        let mut vectors: Vec<(u128, (u32, u64))> =
            self.vectors.iter().map(|(k, v)| (*k, *v)).collect();
        vectors.sort_unstable();
        // Labels sorted, so that equal counts save to equal bytes whatever the merge order.
        let mut labels = self.labels.clone();
        labels.sort_unstable();
        let new_id: Vec<u32> = self
            .labels
            .iter()
            .map(|l| labels.binary_search(l).unwrap_or_default() as u32)
            .collect();
        let relabel = |l: u32| {
            if l == SEVERAL {
                SEVERAL
            } else {
                new_id[l as usize]
            }
        };
        SavedDuplicates {
            labels,
            records: records
                .into_iter()
                .map(|(k, n)| (format!("{k:032x}"), n))
                .collect(),
            vectors: vectors
                .into_iter()
                .map(|(k, (l, n))| (format!("{k:032x}"), relabel(l), n))
                .collect(),
        }
    }

    fn memory(&self) -> usize {
        // Hash maps at most 7/8 full: 16 + 8 bytes a record, 16 + 12 a vector.
        (self.records.capacity() * 24 + self.vectors.capacity() * 28) * 8 / 7
            + self.labels.iter().map(|l| 2 * l.len() + 56).sum::<usize>()
    }
}
