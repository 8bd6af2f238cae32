//! Groups of equal rows over a set of columns, exactly: rows are hashed column by column, sorted by
//! hash, and rows with equal hashes are compared value by value, so a hash collision can never
//! merge two different rows.

use crate::error::Result;
use crate::load::Dataset;
use crate::schema::{self, Kind};

/// One column's values as 64-bit keys, readable by row index across the frame's chunks.
pub(crate) enum Keys<'a> {
    /// Integer values.
    Int(Vec<&'a [i64]>, Vec<usize>),
    /// Float values, compared by bit pattern (the loader never produces NaN or -0).
    Float(Vec<&'a [f64]>, Vec<usize>),
    /// String values, as codes (equal strings, equal codes).
    Codes(Vec<u32>),
}

fn starts<T>(chunks: &[&[T]]) -> Vec<usize> {
    let mut out = Vec::with_capacity(chunks.len());
    let mut at = 0;
    for c in chunks {
        out.push(at);
        at += c.len();
    }
    out
}

impl<'a> Keys<'a> {
    /// The keys of a column of `ds`.
    pub(crate) fn of(ds: &'a Dataset, column: &str) -> Result<Keys<'a>> {
        let kind = schema::feature(column).map(|f| f.kind);
        Ok(match kind {
            Some(Kind::Rate) => {
                let c = ds.f64_chunks(column)?;
                let s = starts(&c);
                Keys::Float(c, s)
            }
            Some(Kind::Categorical) | None if column != schema::DIFFICULTY => {
                Keys::Codes(ds.str_codes(column)?)
            }
            _ => {
                let c = ds.i64_chunks(column)?;
                let s = starts(&c);
                Keys::Int(c, s)
            }
        })
    }

    /// The key of row `row`.
    pub(crate) fn get(&self, row: usize) -> u64 {
        fn find<T: Copy>(chunks: &[&[T]], starts: &[usize], row: usize) -> T {
            let i = starts.partition_point(|&s| s <= row) - 1;
            chunks[i][row - starts[i]]
        }
        match self {
            Keys::Int(c, s) => find(c, s, row) as u64,
            Keys::Float(c, s) => find(c, s, row).to_bits(),
            Keys::Codes(v) => u64::from(v[row]),
        }
    }

    /// Every row's key, in row order.
    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = u64> + '_> {
        match self {
            Keys::Int(chunks, _) => {
                Box::new(chunks.iter().flat_map(|c| c.iter().map(|&v| v as u64)))
            }
            Keys::Float(chunks, _) => {
                Box::new(chunks.iter().flat_map(|c| c.iter().map(|v| v.to_bits())))
            }
            Keys::Codes(v) => Box::new(v.iter().map(|&c| u64::from(c))),
        }
    }

    /// Mixes every row's key into `hashes`, in row order.
    fn mix_into(&self, hashes: &mut [u64]) {
        for (h, k) in hashes.iter_mut().zip(self.iter()) {
            *h = fold_multiply(*h ^ k, 0x9E37_79B9_7F4A_7C15);
        }
    }
}

/// A 64 x 64 -> 128-bit multiply folded to 64 bits: a fast, well-mixing step.
fn fold_multiply(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

/// The groups of two or more rows that are equal in every one of `columns`, each group in row order,
/// the groups ordered by their first row.
pub fn equal_row_groups(ds: &Dataset, columns: &[&str]) -> Result<Vec<Vec<u32>>> {
    let keys: Vec<Keys<'_>> = columns
        .iter()
        .map(|c| Keys::of(ds, c))
        .collect::<Result<_>>()?;
    let n = ds.rows();
    let mut hashes = vec![0x51_7C_C1_B7_27_22_0A_95u64; n];
    for k in &keys {
        k.mix_into(&mut hashes);
    }
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by_key(|&i| (hashes[i as usize], i));
    let same = |a: u32, b: u32| keys.iter().all(|k| k.get(a as usize) == k.get(b as usize));
    let mut groups: Vec<Vec<u32>> = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let h = hashes[order[start] as usize];
        let mut end = start + 1;
        while end < order.len() && hashes[order[end] as usize] == h {
            end += 1;
        }
        if end - start > 1 {
            // Rows with one hash: split into classes of truly equal rows.
            let mut classes: Vec<Vec<u32>> = Vec::new();
            for &row in &order[start..end] {
                match classes.iter_mut().find(|c| same(c[0], row)) {
                    Some(c) => c.push(row),
                    None => classes.push(vec![row]),
                }
            }
            groups.extend(classes.into_iter().filter(|c| c.len() > 1));
        }
        start = end;
    }
    groups.sort_unstable_by_key(|g| g[0]);
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_multiply_mixes() {
        assert_ne!(fold_multiply(1, 3), fold_multiply(2, 3));
        assert_eq!(fold_multiply(0, 12345), 0);
    }
}
