//! `clean` of a file of any size in bounded memory: two passes over the input read in chunks.
//!
//! The first pass keys every row by a 128-bit hash of its values as read (two independently
//! seeded 64-bit lanes over the features, then the label and difficulty), and keeps per distinct
//! row its count and per distinct feature vector its first label and whether another label
//! occurs: 36 bytes per distinct row and 40 per distinct vector (hash maps at most 7/8 full), one
//! bit per row for "equal to an earlier row", and per feature its first value overall and among
//! the normal rows. Two different rows share a key with probability about n² / 2¹²⁹ (10⁻²³ for
//! 10⁸ rows). The second pass copies the kept lines verbatim, as [`super::write::write_csv`]
//! does for a file read whole. `tests/stream.rs` checks both give the same bytes.

use std::io::Write;

use foldhash::HashMap;

use super::Findings;
use crate::error::{Error, Result};
use crate::load::stream::Stream;
use crate::load::{self, Dataset, Input, LoadOptions, RejectedLine};
use crate::schema::{self, Category, FEATURES, Kind};
use crate::stats::duplicates::row_keys;

/// What the first pass found.
#[derive(Debug, Default)]
pub struct Inspected {
    /// The findings (counts; the row indices are not kept).
    pub findings: Findings,
    /// Whether each row (in file order) equals an earlier one.
    duplicate: Vec<u64>,
    /// Feature-vector keys whose vector occurs with more than one label.
    conflicting: foldhash::HashSet<u128>,
    /// Valid rows read.
    pub rows: usize,
    /// The input's name and layout.
    pub name: String,
    /// The layout as described.
    pub layout: String,
    /// Whether the input has a header line, and the label and difficulty columns.
    pub header: bool,
    label: bool,
    difficulty: bool,
    /// Lines set aside as invalid.
    pub rejected: usize,
    /// Labels of unknown category, with their rows.
    pub unknown: Vec<(String, usize)>,
}

/// A feature's value as a comparable key (exact: numbers by their bits, text itself).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Number(u64),
    Text(String),
}

/// Whether a feature is constant: its first value and whether another one occurred.
#[derive(Debug, Default, Clone)]
struct Constancy {
    first: Option<Value>,
    varies: bool,
}

impl Constancy {
    fn see(&mut self, v: Value) {
        match &self.first {
            None => self.first = Some(v),
            Some(f) if !self.varies && *f != v => self.varies = true,
            _ => {}
        }
    }
}

/// Adds a chunk's values of one feature to its constancy overall and among the normal rows,
/// comparing values in place (a value is copied only when it is the first seen).
fn scan<T: PartialEq>(
    values: &[T],
    is_normal: &[bool],
    overall: &mut Constancy,
    normal: &mut Constancy,
    value: impl Fn(&T) -> Value,
) {
    let Some(first) = values.first() else {
        return;
    };
    if values.iter().any(|v| v != first) {
        overall.varies = true;
    }
    overall.see(value(first));
    let mut normal_rows = values
        .iter()
        .zip(is_normal)
        .filter(|(_, n)| **n)
        .map(|(v, _)| v);
    if let Some(first_normal) = normal_rows.next() {
        if normal_rows.any(|v| v != first_normal) {
            normal.varies = true;
        }
        normal.see(value(first_normal));
    }
}

/// Opens the input; `None` when it cannot be read twice as a stream (standard input, or an
/// input read whole).
pub fn open(input: &Input, options: &LoadOptions) -> Result<Option<Stream>> {
    if matches!(input, Input::Stdin) {
        return Ok(None);
    }
    let s = Stream::open(input, options)?;
    Ok((!s.is_whole()).then_some(s))
}

/// The first pass: duplicates, conflicting vectors and constant columns; invalid lines go to
/// `quarantine` (CSV: line, reason, record) as they come.
pub fn inspect(
    chunks: impl IntoIterator<Item = Result<Dataset>>,
    mut quarantine: Option<&mut dyn Write>,
) -> Result<Inspected> {
    let mut out = Inspected::default();
    let mut records: HashMap<u128, u32> = HashMap::default();
    let mut vectors: HashMap<u128, (u32, bool, u32)> = HashMap::default();
    let mut label_ids: HashMap<String, u32> = HashMap::default();
    let mut overall: Vec<Constancy> = vec![Constancy::default(); FEATURES.len()];
    let mut normal: Vec<Constancy> = vec![Constancy::default(); FEATURES.len()];
    let mut csv = quarantine
        .as_mut()
        .map(|w| ::csv::Writer::from_writer(&mut **w));
    if let Some(c) = csv.as_mut() {
        c.write_record(["line", "reason", "record"])
            .map_err(Error::from)?;
    }
    let mut unknown = Vec::new();
    for chunk in chunks {
        let ds = chunk?;
        if out.rows == 0 {
            ds.require_all_features("clean")?;
            out.name = ds.name.clone();
            out.layout = ds.layout.describe();
            out.header = ds.layout.header;
            out.label = ds.layout.label;
            out.difficulty = ds.layout.difficulty;
        }
        load::add_unknown_labels(&mut unknown, &ds.unknown_labels);
        if let Some(c) = csv.as_mut() {
            write_rejected(c, &ds.rejected)?;
        }
        out.rejected += ds.rejected.len();
        let (vkeys, rkeys) = row_keys(&ds)?;
        let labels: Vec<&str> = ds.str_values(schema::LABEL)?.collect();
        for (i, (v, r)) in vkeys.iter().zip(&rkeys).enumerate() {
            let row = out.rows + i;
            if row / 64 >= out.duplicate.len() {
                out.duplicate.push(0);
            }
            let count = records.entry(*r).or_insert(0);
            if *count > 0 {
                out.duplicate[row / 64] |= 1 << (row % 64);
            }
            *count += 1;
            let label = match label_ids.get(labels[i]) {
                Some(id) => *id,
                None => {
                    let id = label_ids.len() as u32;
                    label_ids.insert(labels[i].to_string(), id);
                    id
                }
            };
            let e = vectors.entry(*v).or_insert((label, false, 0));
            e.1 |= e.0 != label;
            e.2 += 1;
        }
        let is_normal: Vec<bool> = ds
            .str_values(schema::CATEGORY)?
            .map(|c| c == Category::Normal.as_str())
            .collect();
        for (f, feature) in FEATURES.iter().enumerate() {
            match feature.kind {
                Kind::Categorical => {
                    let v: Vec<&str> = ds.str_values(feature.name)?.collect();
                    let text = |s: &&str| Value::Text(s.to_string());
                    scan(&v, &is_normal, &mut overall[f], &mut normal[f], text);
                }
                Kind::Rate => {
                    let v = ds.f64_values(feature.name)?;
                    let bits = |x: &f64| Value::Number(x.to_bits());
                    scan(&v, &is_normal, &mut overall[f], &mut normal[f], bits);
                }
                _ => {
                    let chunks = ds.i64_chunks(feature.name)?;
                    let v: Vec<i64> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
                    let number = |x: &i64| Value::Number(*x as u64);
                    scan(&v, &is_normal, &mut overall[f], &mut normal[f], number);
                }
            }
        }
        out.rows += ds.rows();
    }
    if let Some(mut c) = csv {
        c.flush().map_err(Error::Output)?;
    }
    out.unknown = unknown;
    let f = &mut out.findings;
    f.duplicate_groups = records.values().filter(|c| **c > 1).count();
    f.duplicate_rows = records
        .values()
        .map(|c| (*c as usize).saturating_sub(1))
        .sum();
    for (k, (_, conflict, rows)) in &vectors {
        if *conflict {
            f.conflicting_vectors += 1;
            f.conflicting_rows += *rows as usize;
            out.conflicting.insert(*k);
        }
    }
    for (i, feature) in FEATURES.iter().enumerate() {
        if !overall[i].varies {
            f.constant_columns.push(feature.name.to_string());
        } else if normal[i].first.is_some() && !normal[i].varies {
            f.constant_in_normal.push(feature.name.to_string());
        }
    }
    Ok(out)
}

fn write_rejected<W: Write>(csv: &mut ::csv::Writer<W>, rejected: &[RejectedLine]) -> Result<()> {
    for r in rejected {
        csv.write_record([r.line.to_string().as_str(), &r.reason, &r.text])
            .map_err(Error::from)?;
    }
    Ok(())
}

/// What to drop in the second pass.
#[derive(Debug, Clone)]
pub struct Drop {
    /// Rows equal to an earlier one.
    pub duplicates: bool,
    /// Rows whose vector occurs with another label.
    pub conflicts: bool,
    /// Features left out.
    pub columns: Vec<String>,
}

/// The second pass: writes the kept lines verbatim (the header line kept if the input had one;
/// with dropped columns, a header naming the columns kept and each line without them); returns
/// the rows written per category, most frequent first.
pub fn write_csv(
    mut stream: Stream,
    inspected: &Inspected,
    drop: &Drop,
    w: &mut dyn Write,
) -> Result<(usize, Vec<(String, u64)>)> {
    let out = Error::Output;
    let kept_fields = super::write::KeptFields::new(&drop.columns);
    if !drop.columns.is_empty() {
        kept_fields
            .header(inspected.label, inspected.difficulty, w)
            .map_err(out)?;
    }
    let mut row = 0usize;
    let mut kept = 0usize;
    let mut categories: HashMap<String, u64> = HashMap::default();
    let mut first_chunk = true;
    while let Some(chunk) = stream.next() {
        let ds = chunk?;
        let (text, before) = stream
            .last_text()
            .ok_or_else(|| Error::Internal("a streamed chunk without its text".into()))?;
        let text = text.as_bytes();
        let starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text).map(|i| i + 1))
            .collect();
        let line = |n: usize| -> &[u8] {
            let i = n - 1 - before;
            let start = starts[i];
            let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |e| start + e);
            let l = &text[start..end];
            l.strip_suffix(b"\r").unwrap_or(l)
        };
        if first_chunk && drop.columns.is_empty() && inspected.header {
            let first_data = ds.lines.first().copied().unwrap_or(1) as usize;
            let header = (before + 1..first_data)
                .map(line)
                .rfind(|l| !l.iter().all(u8::is_ascii_whitespace));
            if let Some(h) = header {
                w.write_all(h).map_err(out)?;
                w.write_all(b"\n").map_err(out)?;
            }
        }
        first_chunk = false;
        let conflicting = if drop.conflicts {
            row_keys(&ds)?.0
        } else {
            Vec::new()
        };
        let category: Vec<&str> = ds.str_values(schema::CATEGORY)?.collect();
        if row + ds.rows() > inspected.rows {
            return Err(crate::load::rows::changed(&inspected.name));
        }
        for (i, &n) in ds.lines.iter().enumerate() {
            let g = row + i;
            let duplicate = inspected.duplicate[g / 64] >> (g % 64) & 1 == 1;
            let drop_it = (drop.duplicates && duplicate)
                || (drop.conflicts && inspected.conflicting.contains(&conflicting[i]));
            if drop_it {
                continue;
            }
            if drop.columns.is_empty() {
                w.write_all(line(n as usize)).map_err(out)?;
                w.write_all(b"\n").map_err(out)?;
            } else {
                kept_fields.line(line(n as usize), w).map_err(out)?;
            }
            kept += 1;
            *categories.entry(category[i].to_string()).or_insert(0) += 1;
        }
        row += ds.rows();
    }
    if row != inspected.rows {
        return Err(crate::load::rows::changed(&inspected.name));
    }
    let mut categories: Vec<(String, u64)> = categories.into_iter().collect();
    categories.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok((kept, categories))
}
