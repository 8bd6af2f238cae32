//! Pearson and Spearman correlation matrices, as pandas' `DataFrame.corr()` and
//! `DataFrame.corr(method="spearman")`.
//!
//! Pearson's r of two columns is `Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²)`: the exact mean, each
//! centred value rounded once, the products and their sum exact ([`ExactSum`]: the sum is
//! rounded once), so the result does not depend on the order or the split of the rows. Spearman's ρ is Pearson's r of the average ranks (ties share the mean of their
//! positions). A column with zero variance has no correlation with anything: its entries are `NaN`
//! (`null` in JSON), as in pandas, and it is listed among the constant columns.

use rayon::prelude::*;

use super::Distribution;
use super::exact::ExactSum;

/// A square matrix of correlations between named columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Column names, in order.
    pub names: Vec<String>,
    /// Row-major values, `names.len()²` of them.
    pub values: Vec<f64>,
}

impl Matrix {
    /// The correlation of columns `i` and `j`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.names.len() + j]
    }
}

/// An accurate dot product: blocks of 1024 terms summed in four lanes, the block sums added with
/// Neumaier compensation.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for (ca, cb) in a.chunks(1024).zip(b.chunks(1024)) {
        let mut lanes = [0.0f64; 4];
        let mut qa = ca.chunks_exact(4);
        let mut qb = cb.chunks_exact(4);
        for (x, y) in (&mut qa).zip(&mut qb) {
            for k in 0..4 {
                lanes[k] += x[k] * y[k];
            }
        }
        let mut block = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        for (x, y) in qa.remainder().iter().zip(qb.remainder()) {
            block += x * y;
        }
        let t = sum + block;
        if sum.abs() >= block.abs() {
            comp += (sum - t) + block;
        } else {
            comp += (block - t) + sum;
        }
        sum = t;
    }
    sum + comp
}

/// A correlation matrix from the sums of squares of centred columns and their dot products
/// (`dot(i, j)` for `i < j`).
pub fn matrix_of(
    names: &[String],
    squares: &[f64],
    dot: impl Fn(usize, usize) -> f64 + Sync,
) -> Matrix {
    let n = names.len();
    let pairs: Vec<(usize, usize)> = (0..n).flat_map(|i| (i..n).map(move |j| (i, j))).collect();
    let rs: Vec<f64> = pairs
        .par_iter()
        .map(|&(i, j)| {
            let denominator = (squares[i] * squares[j]).sqrt();
            if denominator == 0.0 {
                f64::NAN
            } else if i == j {
                1.0
            } else {
                (dot(i, j) / denominator).clamp(-1.0, 1.0)
            }
        })
        .collect();
    let mut values = vec![f64::NAN; n * n];
    for (&(i, j), r) in pairs.iter().zip(rs) {
        values[i * n + j] = r;
        values[j * n + i] = r;
    }
    Matrix {
        names: names.to_vec(),
        values,
    }
}

/// The matrix of the exact sums of products of centred columns.
fn matrix(names: &[String], columns: &[Vec<f64>], means: &[f64]) -> Matrix {
    let centred: Vec<Vec<f64>> = columns
        .par_iter()
        .zip(means.par_iter())
        .map(|(c, &m)| c.iter().map(|v| v - m).collect())
        .collect();
    let sum = |i: usize, j: usize| {
        let mut s = ExactSum::default();
        for (&a, &b) in centred[i].iter().zip(&centred[j]) {
            s.add_product(a, b);
        }
        s.value()
    };
    let squares: Vec<f64> = (0..centred.len()).map(|i| sum(i, i)).collect();
    matrix_of(names, &squares, sum)
}

/// Pearson's matrix of the columns (each given whole, as `f64`) with their distributions.
pub fn pearson(names: &[String], columns: &[Vec<f64>], dists: &[Distribution]) -> Matrix {
    let means: Vec<f64> = dists.iter().map(Distribution::mean).collect();
    matrix(names, columns, &means)
}

/// Spearman's matrix: Pearson's on the average ranks.
pub fn spearman(names: &[String], columns: &[Vec<f64>], dists: &[Distribution]) -> Matrix {
    let ranked: Vec<Vec<f64>> = columns
        .par_iter()
        .zip(dists.par_iter())
        .map(|(c, d)| {
            let ranks = d.average_ranks();
            c.iter()
                .map(|&v| d.index_of(v).map_or(f64::NAN, |i| ranks[i]))
                .collect()
        })
        .collect();
    // The mean rank of n values is (n + 1) / 2 exactly.
    let means: Vec<f64> = dists
        .iter()
        .map(|d| (d.count() as f64 + 1.0) / 2.0)
        .collect();
    matrix(names, &ranked, &means)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(v: &[f64]) -> Distribution {
        Distribution::from_f64(&[v])
    }

    #[test]
    fn pearson_and_spearman_worked_out_by_hand() {
        // x = 1 2 3 4, y = 2 4 5 9: x̄ = 2.5, ȳ = 5; Σdxdy = (-1.5)(-3) + (-.5)(-1) + (.5)(0) +
        // (1.5)(4) = 11; Σdx² = 5; Σdy² = 9 + 1 + 0 + 16 = 26; r = 11 / √130.
        // Ranks of y are 1 2 3 4, so Spearman's ρ = 1.
        let x = vec![1.0, 2.0, 3.0, 4.0];
        let y = vec![2.0, 4.0, 5.0, 9.0];
        let names = vec!["x".to_string(), "y".to_string()];
        let dists = [dist(&x), dist(&y)];
        let p = pearson(&names, &[x.clone(), y.clone()], &dists);
        assert!((p.get(0, 1) - 11.0 / 130f64.sqrt()).abs() < 1e-15);
        assert_eq!(p.get(0, 0), 1.0);
        let s = spearman(&names, &[x, y], &dists);
        assert!((s.get(1, 0) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn ties_and_constant_columns() {
        // y has a tie: ranks 1.5 1.5 3 4; x ranks 1 2 3 4.
        // Centred: x -1.5 -.5 .5 1.5; y -1 -1 .5 1.5; Σ = 1.5 + .5 + .25 + 2.25 = 4.5;
        // Σx² = 5, Σy² = 1 + 1 + .25 + 2.25 = 4.5; ρ = 4.5 / √22.5.
        let x = vec![1.0, 2.0, 3.0, 4.0];
        let y = vec![7.0, 7.0, 8.0, 9.0];
        let c = vec![3.0; 4];
        let names: Vec<String> = ["x", "y", "c"].iter().map(|s| s.to_string()).collect();
        let dists = [dist(&x), dist(&y), dist(&c)];
        let s = spearman(&names, &[x.clone(), y.clone(), c.clone()], &dists);
        assert!((s.get(0, 1) - 4.5 / 22.5f64.sqrt()).abs() < 1e-15);
        let p = pearson(&names, &[x, y, c], &dists);
        assert!(p.get(0, 2).is_nan() && p.get(2, 2).is_nan());
    }

    #[test]
    fn dot_is_accurate() {
        // Integer-valued terms: the exact dot product is an integer computed in i128.
        let a: Vec<i64> = (0..10_000).map(|i| (i * 7919) % 10_007 - 5_000).collect();
        let b: Vec<i64> = (0..10_000).map(|i| (i * 104_729) % 1_009 - 504).collect();
        let exact: i128 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| i128::from(*x) * i128::from(*y))
            .sum();
        let (fa, fb): (Vec<f64>, Vec<f64>) = (
            a.iter().map(|&x| x as f64).collect(),
            b.iter().map(|&x| x as f64).collect(),
        );
        assert_eq!(dot(&fa, &fb), exact as f64);
        assert_eq!(
            dot(&fa[..3], &fb[..3]),
            (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) as f64
        );
    }
}
