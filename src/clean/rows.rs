//! Groups of equal rows over a set of columns, exactly: rows are hashed column by column, sorted by
//! hash, and rows with equal hashes are compared value by value, so a hash collision can never
//! merge two different rows. The comparison reads each column once in row order against the
//! values of each run's first row, gathered first: linear in the rows, no random access into the
//! frame's chunks (which made it super-linear before: 85% of `clean` at 10x). Memory: 4 bytes
//! (the row order) + 4 bytes (the run of each row) + 1 byte per row, and 8 bytes per run.

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
    // Runs of rows with one hash: the first row of each run represents it.
    const NONE: u32 = u32::MAX;
    let mut slot_of = vec![NONE; n];
    let mut reps: Vec<u32> = Vec::new();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let h = hashes[order[start] as usize];
        let mut end = start + 1;
        while end < order.len() && hashes[order[end] as usize] == h {
            end += 1;
        }
        if end - start > 1 {
            let slot = reps.len() as u32;
            reps.push(order[start]);
            for &row in &order[start..end] {
                slot_of[row as usize] = slot;
            }
            runs.push((start, end));
        }
        start = end;
    }
    drop(hashes);
    // Verification, one column at a time in row order (no random access into the frame): each
    // row of a run is compared with its representative's value, gathered first.
    let mut differs = vec![false; n];
    let mut rep_values = vec![0u64; reps.len()];
    for k in &keys {
        for (row, v) in k.iter().enumerate() {
            let slot = slot_of[row];
            if slot != NONE && reps[slot as usize] == row as u32 {
                rep_values[slot as usize] = v;
            }
        }
        for (row, v) in k.iter().enumerate() {
            let slot = slot_of[row];
            if slot != NONE && rep_values[slot as usize] != v {
                differs[row] = true;
            }
        }
    }
    let same = |a: u32, b: u32| keys.iter().all(|k| k.get(a as usize) == k.get(b as usize));
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for (start, end) in runs {
        let run = &order[start..end];
        let group: Vec<u32> = run
            .iter()
            .copied()
            .filter(|&r| !differs[r as usize])
            .collect();
        let others: Vec<u32> = run
            .iter()
            .copied()
            .filter(|&r| differs[r as usize])
            .collect();
        if group.len() > 1 {
            groups.push(group);
        }
        if others.len() > 1 {
            // A hash collision (rare): split the rest into classes of truly equal rows.
            let mut classes: Vec<Vec<u32>> = Vec::new();
            for &row in &others {
                match classes.iter_mut().find(|c| same(c[0], row)) {
                    Some(c) => c.push(row),
                    None => classes.push(vec![row]),
                }
            }
            groups.extend(classes.into_iter().filter(|c| c.len() > 1));
        }
    }
    groups.sort_unstable_by_key(|g| g[0]);
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_of_a_file_group_by_row() {
        let one = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/report_train.txt"
        ))
        .unwrap();
        let n = one.lines().count();
        let ds = crate::load::parse_bytes("x".into(), one.repeat(3).as_bytes()).unwrap();
        let columns: Vec<&str> = crate::schema::FEATURES.iter().map(|f| f.name).collect();
        let groups = equal_row_groups(&ds, &columns).unwrap();
        // Rows equal within the fixture join one group with all their copies.
        let within = equal_row_groups(
            &crate::load::parse_bytes("y".into(), one.as_bytes()).unwrap(),
            &columns,
        )
        .unwrap();
        let distinct = n - within.iter().map(|g| g.len() - 1).sum::<usize>();
        assert_eq!(groups.len(), distinct);
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), 3 * n);
        for g in &groups {
            assert!(g.windows(2).all(|w| w[0] < w[1]));
            let first = g[0] as usize;
            assert!(g.contains(&((first + n) as u32)) && g.contains(&((first + 2 * n) as u32)));
        }
    }

    #[test]
    fn fold_multiply_mixes() {
        assert_ne!(fold_multiply(1, 3), fold_multiply(2, 3));
        assert_eq!(fold_multiply(0, 12345), 0);
    }
}
