//! Pearson and Spearman correlation matrices, as pandas' `DataFrame.corr()` and
//! `DataFrame.corr(method="spearman")`.
//!
//! Pearson's r of two columns is `Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²)`, its sums exact
//! ([`super::products`]), so the result does not depend on the order or the split of the rows.
//! Spearman's ρ is Pearson's r of the average ranks (ties share the mean of their positions). A column with zero variance has no correlation with anything: its entries are `NaN`
//! (`null` in JSON), as in pandas, and it is listed among the constant columns.

use rayon::prelude::*;

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

#[cfg(test)]
mod tests {
    use super::*;

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
