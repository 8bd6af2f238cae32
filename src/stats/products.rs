//! The sums behind Pearson's and Spearman's r of every pair of numeric features: exact, so that
//! they merge across parts to the bit, and fast on the values kddstat's files hold.
//!
//! Two ways, chosen once from the first pass (so every part of a dataset takes the same one):
//! - **integers** (every NSL-KDD, KDD Cup 99 and Zeek-made file): when every numeric value is an
//!   integer or a rate in hundredths and the sums cannot pass 2^124, each value is taken as the
//!   integer X (rates × 100) and each average rank as 2R; the state adds ΣX, and ΣXY of every
//!   pair in `i128`. The figures are `n ΣXY − ΣX ΣY` and `n ΣX² − (ΣX)²` computed exactly
//!   ([`ExactSum`]) and rounded once, so r = num / √(den_x den_y) is within a few ulps of the
//!   exact correlation of the values as written. About 1 ns a product.
//! - **exact sums** otherwise: each value is centred on the (double) mean, and the exact products
//!   of centred values summed exactly ([`ExactSum`]), rounded once. About 8 ns a product.
//!
//! Rows are taken 16,384 at a time, so the memory of a chunk's split values stays bounded.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Distribution;
use super::exact::{ExactSum, Factor, SavedSum};
use crate::error::Error;
use crate::load::HUNDREDTHS;
use crate::schema::{self, Kind};

/// Rows taken at once.
const BLOCK: usize = 16_384;

/// How the products are summed (chosen from the first pass).
#[derive(Debug, Clone, PartialEq)]
pub enum Way {
    /// Integers: each numeric column's scale (1 or 100).
    Integers(Vec<f64>),
    /// Exact sums of centred products.
    ExactSums,
}

impl Way {
    /// The way for these distributions (the numeric features, in order) of `rows` rows.
    pub fn of(dists: &[Distribution], rows: u64) -> Way {
        let mut scales = Vec::with_capacity(dists.len());
        let mut largest: f64 = 0.0;
        for (f, d) in schema::numeric_features().zip(dists) {
            let scale = if f.kind == Kind::Rate { 100.0 } else { 1.0 };
            let on_grid = d.values().iter().all(|&v| {
                let k = (v * scale).round();
                if scale == 1.0 {
                    k == v && k.abs() < 2f64.powi(53)
                } else {
                    (0.0..=100.0).contains(&k) && HUNDREDTHS[k as usize] == v
                }
            });
            if !on_grid {
                return Way::ExactSums;
            }
            largest = largest.max(d.min().abs().max(d.max().abs()) * scale);
            scales.push(scale);
        }
        let n = rows as f64;
        // ΣXY (and n ΣXY's factors) and Σ(2R)(2R') below 2^124 whatever the rows.
        if n * largest * largest >= 2f64.powi(124) || n * (2.0 * n) * (2.0 * n) >= 2f64.powi(124) {
            return Way::ExactSums;
        }
        Way::Integers(scales)
    }
}

/// The sums of one correlation (Pearson's of the values, or Spearman's of the ranks).
#[derive(Debug, Clone)]
enum Sums {
    /// ΣXY of every pair (i ≤ j, row by row) and ΣX of every column.
    Integers { pairs: Vec<i128>, sums: Vec<i128> },
    /// Σ(x − x̄)(y − ȳ) of every pair.
    Exact(Vec<ExactSum>),
}

/// The mergeable sums of both correlations.
#[derive(Debug, Clone)]
pub struct Products {
    pearson: Sums,
    spearman: Sums,
    k: usize,
}

/// [`Products`] as saved: integers as decimal strings (they pass 2^64), or exact sums.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedProducts {
    /// `"integers"` or `"exact"`.
    pub way: String,
    /// Per correlation (Pearson's, Spearman's): the pairs' sums.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<Vec<String>>,
    /// Per correlation: the columns' sums (integers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sums: Vec<Vec<String>>,
    /// Per correlation: the pairs' exact sums.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exact: Vec<Vec<SavedSum>>,
}

/// What a block of rows brings: per column the values (or ranks) as integers or centred factors.
enum Split {
    Integers(Vec<Vec<i64>>),
    Factors(Vec<Vec<Factor>>),
}

fn pairs_of(k: usize) -> Vec<(usize, usize)> {
    (0..k).flat_map(|i| (i..k).map(move |j| (i, j))).collect()
}

impl Sums {
    fn new(way: &Way, k: usize) -> Sums {
        let pairs = k * (k + 1) / 2;
        match way {
            Way::Integers(_) => Sums::Integers {
                pairs: vec![0; pairs],
                sums: vec![0; k],
            },
            Way::ExactSums => Sums::Exact(vec![ExactSum::default(); pairs]),
        }
    }

    fn add(&mut self, split: &Split, k: usize) {
        let pairs = pairs_of(k);
        match (self, split) {
            (Sums::Integers { pairs: p, sums }, Split::Integers(cols)) => {
                p.par_iter_mut()
                    .zip(pairs.par_iter())
                    .for_each(|(acc, &(i, j))| {
                        let mut s: i128 = 0;
                        for (&a, &b) in cols[i].iter().zip(&cols[j]) {
                            s += i128::from(a) * i128::from(b);
                        }
                        *acc += s;
                    });
                for (acc, c) in sums.iter_mut().zip(cols) {
                    *acc += c.iter().map(|&v| i128::from(v)).sum::<i128>();
                }
            }
            (Sums::Exact(p), Split::Factors(cols)) => {
                p.par_iter_mut()
                    .zip(pairs.par_iter())
                    .for_each(|(acc, &(i, j))| acc.add_factor_products(&cols[i], &cols[j]));
            }
            _ => {}
        }
    }

    /// Adds another state's sums; `false` when an integer sum would pass 128 bits (only states
    /// that were not made from data can: the sums of any data stay below 2^124).
    fn merge(&mut self, other: &Sums) -> bool {
        let add = |a: &mut [i128], b: &[i128]| {
            a.iter_mut().zip(b).all(|(x, y)| match x.checked_add(*y) {
                Some(v) => {
                    *x = v;
                    true
                }
                None => false,
            })
        };
        match (self, other) {
            (Sums::Integers { pairs, sums }, Sums::Integers { pairs: p, sums: s }) => {
                add(pairs, p) && add(sums, s)
            }
            (Sums::Exact(a), Sums::Exact(b)) => {
                a.iter_mut().zip(b).for_each(|(x, y)| x.merge(y));
                true
            }
            _ => false,
        }
    }

    /// The sums of squares of each column and the sum of products of pair (i, j), in one unit.
    fn figures(&self, k: usize, rows: u64) -> (Vec<f64>, Vec<f64>) {
        match self {
            Sums::Integers { pairs, sums } => {
                let n = i128::from(rows);
                let centred = |sxy: i128, sx: i128, sy: i128| {
                    let mut e = ExactSum::default();
                    e.add_integer_product(n, sxy);
                    e.sub_integer_product(sx, sy);
                    e.value()
                };
                let dots: Vec<f64> = pairs_of(k)
                    .iter()
                    .zip(pairs)
                    .map(|(&(i, j), &sxy)| centred(sxy, sums[i], sums[j]))
                    .collect();
                let squares = (0..k).map(|i| dots[pair_index(k, i, i)]).collect();
                (squares, dots)
            }
            Sums::Exact(p) => {
                let dots: Vec<f64> = p.iter().map(ExactSum::value).collect();
                let squares = (0..k).map(|i| dots[pair_index(k, i, i)]).collect();
                (squares, dots)
            }
        }
    }
}

/// The index of pair (i, j), i ≤ j, among the pairs of k features listed row by row.
pub fn pair_index(k: usize, i: usize, j: usize) -> usize {
    let (i, j) = (i.min(j), i.max(j));
    i * k - i * (i + 1) / 2 + j
}

/// What the second pass knows of a column to split its values.
pub struct Column<'a> {
    /// The distribution of the whole dataset.
    pub dist: &'a Distribution,
    /// Its mean.
    pub mean: f64,
    /// Average ranks of its distinct values.
    pub ranks: &'a [f64],
    /// The mean rank.
    pub rank_mean: f64,
}

impl Products {
    /// Empty sums of `k` columns.
    pub fn new(way: &Way, k: usize) -> Products {
        Products {
            pearson: Sums::new(way, k),
            spearman: Sums::new(way, k),
            k,
        }
    }

    /// Adds the rows of `values` (one slice per column, all of one length).
    pub fn add(&mut self, way: &Way, columns: &[Column<'_>], values: &[Vec<f64>]) {
        let rows = values.first().map_or(0, Vec::len);
        for start in (0..rows).step_by(BLOCK) {
            let end = (start + BLOCK).min(rows);
            let (plain, ranked) = split(way, columns, values, start..end);
            self.pearson.add(&plain, self.k);
            self.spearman.add(&ranked, self.k);
        }
    }

    /// Adds another state's sums.
    /// Adds another state's sums (`path` names the dataset in the error).
    pub fn merge(&mut self, other: &Products, path: &str) -> crate::error::Result<()> {
        if self.pearson.merge(&other.pearson) && self.spearman.merge(&other.spearman) {
            Ok(())
        } else {
            Err(mismatch(path))
        }
    }

    /// (squares, dots) of Pearson's and of Spearman's sums.
    pub fn figures(&self, rows: u64) -> [(Vec<f64>, Vec<f64>); 2] {
        [
            self.pearson.figures(self.k, rows),
            self.spearman.figures(self.k, rows),
        ]
    }

    /// The saved form.
    pub fn save(&self) -> SavedProducts {
        let mut s = SavedProducts {
            way: String::new(),
            pairs: Vec::new(),
            sums: Vec::new(),
            exact: Vec::new(),
        };
        for sums in [&self.pearson, &self.spearman] {
            match sums {
                Sums::Integers { pairs, sums } => {
                    s.way = "integers".into();
                    s.pairs.push(pairs.iter().map(i128::to_string).collect());
                    s.sums.push(sums.iter().map(i128::to_string).collect());
                }
                Sums::Exact(p) => {
                    s.way = "exact".into();
                    s.exact.push(p.iter().map(ExactSum::to_saved).collect());
                }
            }
        }
        s
    }

    /// A saved state read back, for `way` and `k` columns, checked.
    pub fn from_saved(
        way: &Way,
        k: usize,
        s: &SavedProducts,
    ) -> std::result::Result<Products, String> {
        let n_pairs = k * (k + 1) / 2;
        let mut out = Products::new(way, k);
        let int = |v: &String| {
            v.parse::<i128>()
                .map_err(|_| format!("'{v}' is not an integer sum"))
        };
        match way {
            Way::Integers(_) if s.way == "integers" => {
                if s.pairs.len() != 2 || s.sums.len() != 2 {
                    return Err("the integer sums are not those of both correlations".into());
                }
                for (t, (p, c)) in [&mut out.pearson, &mut out.spearman]
                    .into_iter()
                    .zip(s.pairs.iter().zip(&s.sums))
                {
                    if p.len() != n_pairs || c.len() != k {
                        return Err("the integer sums are not of the first pass's features".into());
                    }
                    *t = Sums::Integers {
                        pairs: p.iter().map(int).collect::<std::result::Result<_, _>>()?,
                        sums: c.iter().map(int).collect::<std::result::Result<_, _>>()?,
                    };
                }
            }
            Way::ExactSums if s.way == "exact" => {
                if s.exact.len() != 2 || s.exact.iter().any(|e| e.len() != n_pairs) {
                    return Err("the exact sums are not of the first pass's features".into());
                }
                for (t, e) in [&mut out.pearson, &mut out.spearman]
                    .into_iter()
                    .zip(&s.exact)
                {
                    *t = Sums::Exact(
                        e.iter()
                            .map(ExactSum::from_saved)
                            .collect::<std::result::Result<_, _>>()?,
                    );
                }
            }
            _ => {
                return Err(format!(
                    "its sums are '{}', not the first pass's way",
                    s.way
                ));
            }
        }
        Ok(out)
    }

    /// About how many bytes the sums hold.
    pub fn memory(&self) -> usize {
        [&self.pearson, &self.spearman]
            .iter()
            .map(|s| match s {
                Sums::Integers { pairs, sums } => (pairs.len() + sums.len()) * 16,
                Sums::Exact(p) => p.len() * std::mem::size_of::<ExactSum>(),
            })
            .sum()
    }
}

/// The values and ranks of rows `range`, split the way the sums take them.
fn split(
    way: &Way,
    columns: &[Column<'_>],
    values: &[Vec<f64>],
    range: std::ops::Range<usize>,
) -> (Split, Split) {
    let rank = |c: &Column<'_>, v: f64| c.dist.index_of(v).map_or(f64::NAN, |x| c.ranks[x]);
    match way {
        Way::Integers(scales) => {
            let plain = values
                .par_iter()
                .zip(scales.par_iter())
                .map(|(c, &s)| {
                    c[range.clone()]
                        .iter()
                        .map(|&v| (v * s).round() as i64)
                        .collect()
                })
                .collect();
            // Average ranks are halves: 2R is an integer.
            let ranked = values
                .par_iter()
                .zip(columns.par_iter())
                .map(|(c, col)| {
                    c[range.clone()]
                        .iter()
                        .map(|&v| (2.0 * rank(col, v)) as i64)
                        .collect()
                })
                .collect();
            (Split::Integers(plain), Split::Integers(ranked))
        }
        Way::ExactSums => {
            let plain = values
                .par_iter()
                .zip(columns.par_iter())
                .map(|(c, col)| {
                    c[range.clone()]
                        .iter()
                        .map(|&v| Factor::of(v - col.mean))
                        .collect()
                })
                .collect();
            let ranked = values
                .par_iter()
                .zip(columns.par_iter())
                .map(|(c, col)| {
                    c[range.clone()]
                        .iter()
                        .map(|&v| Factor::of(rank(col, v) - col.rank_mean))
                        .collect()
                })
                .collect();
            (Split::Factors(plain), Split::Factors(ranked))
        }
    }
}

/// The error for sums of another way, or integer sums past 128 bits: never from states made from
/// data with the same first pass.
pub fn mismatch(path: &str) -> Error {
    Error::Model {
        path: path.to_string(),
        message: "the second passes' sums do not merge (another way, or past 128 bits): they \
                  were not made from data with the same first pass"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::correlation::{Matrix, matrix_of};

    /// Pearson's and Spearman's matrices of whole columns, both ways.
    fn both_ways(columns: &[Vec<f64>]) -> Vec<[Matrix; 2]> {
        let k = columns.len();
        let names: Vec<String> = (0..k).map(|i| format!("c{i}")).collect();
        let dists: Vec<Distribution> = columns
            .iter()
            .map(|c| Distribution::from_f64(&[c.as_slice()]))
            .collect();
        let ranks: Vec<Vec<f64>> = dists.iter().map(Distribution::average_ranks).collect();
        let cols: Vec<Column<'_>> = (0..k)
            .map(|i| Column {
                dist: &dists[i],
                mean: dists[i].mean(),
                ranks: &ranks[i],
                rank_mean: (dists[i].count() as f64 + 1.0) / 2.0,
            })
            .collect();
        [Way::Integers(vec![1.0; k]), Way::ExactSums]
            .iter()
            .map(|way| {
                let mut p = Products::new(way, k);
                p.add(way, &cols, columns);
                p.figures(columns[0].len() as u64).map(|(squares, dots)| {
                    matrix_of(&names, &squares, |i, j| dots[pair_index(k, i, j)])
                })
            })
            .collect()
    }

    #[test]
    fn pearson_and_spearman_worked_out_by_hand() {
        // x = 1 2 3 4, y = 2 4 5 9: x̄ = 2.5, ȳ = 5; Σdxdy = (-1.5)(-3) + (-.5)(-1) + (.5)(0) +
        // (1.5)(4) = 11; Σdx² = 5; Σdy² = 9 + 1 + 0 + 16 = 26; r = 11 / √130.
        // Ranks of y are 1 2 3 4, so Spearman's ρ = 1.
        let x = vec![1.0, 2.0, 3.0, 4.0];
        let y = vec![2.0, 4.0, 5.0, 9.0];
        for [p, s] in both_ways(&[x, y]) {
            assert!((p.get(0, 1) - 11.0 / 130f64.sqrt()).abs() < 1e-15);
            assert_eq!(p.get(0, 0), 1.0);
            assert!((s.get(1, 0) - 1.0).abs() < 1e-15);
        }
    }

    #[test]
    fn ties_and_constant_columns() {
        // y has a tie: ranks 1.5 1.5 3 4; x ranks 1 2 3 4.
        // Centred: x -1.5 -.5 .5 1.5; y -1 -1 .5 1.5; Σ = 1.5 + .5 + .25 + 2.25 = 4.5;
        // Σx² = 5, Σy² = 1 + 1 + .25 + 2.25 = 4.5; ρ = 4.5 / √22.5.
        let x = vec![1.0, 2.0, 3.0, 4.0];
        let y = vec![7.0, 7.0, 8.0, 9.0];
        let c = vec![3.0; 4];
        for [p, s] in both_ways(&[x, y, c]) {
            assert!((s.get(0, 1) - 4.5 / 22.5f64.sqrt()).abs() < 1e-15);
            assert!(p.get(0, 2).is_nan() && p.get(2, 2).is_nan());
        }
    }

    #[test]
    fn hostile_integer_sums_do_not_merge_past_128_bits() {
        let way = Way::Integers(vec![1.0; 2]);
        let saved = SavedProducts {
            way: "integers".into(),
            pairs: vec![vec![i128::MAX.to_string(); 3]; 2],
            sums: vec![vec!["0".into(); 2]; 2],
            exact: Vec::new(),
        };
        let mut a = Products::from_saved(&way, 2, &saved).unwrap();
        let b = a.clone();
        assert!(a.merge(&b, "x").is_err());
        // Any sums finish without a panic (the negation is exact).
        let min = SavedProducts {
            sums: vec![vec![i128::MIN.to_string(); 2]; 2],
            ..saved
        };
        let p = Products::from_saved(&way, 2, &min).unwrap();
        let _ = p.figures(u64::MAX);
    }

    #[test]
    fn pairs_are_indexed_row_by_row() {
        let k = 5;
        let listed: Vec<(usize, usize)> =
            (0..k).flat_map(|i| (i..k).map(move |j| (i, j))).collect();
        for (n, &(i, j)) in listed.iter().enumerate() {
            assert_eq!(pair_index(k, i, j), n);
            assert_eq!(pair_index(k, j, i), n);
        }
    }
}
