//! Gaussian naive Bayes (as scikit-learn's `GaussianNB`): per class, the prior (its share of the
//! training rows) and each column's mean and variance (ddof = 0), plus `var_smoothing` (1e-9)
//! times the largest column variance added to every variance; a row's class probabilities are the
//! softmax of `log prior + sum of log normal densities`.
//!
//! Our own code rather than linfa-bayes: fifty lines, and it keeps the model in our versioned JSON
//! format with the other classifiers.

use serde::{Deserialize, Serialize};

use crate::model::{self, Classify, Hyperparams, Labelled};

/// scikit-learn's default `var_smoothing`.
pub const VAR_SMOOTHING: f64 = 1e-9;

/// A fitted Gaussian naive Bayes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bayes {
    /// Log prior per class.
    pub log_prior: Vec<f64>,
    /// Mean per class and column (`classes x width`, row-major).
    pub mean: Vec<f64>,
    /// Variance per class and column, smoothed.
    pub var: Vec<f64>,
}

impl Bayes {
    /// Fits on `x` (row-major `rows x width`) with classes `y`; `smoothing` times the largest
    /// column variance is added to every variance.
    pub fn fit(x: &ndarray::Array2<f64>, y: &[u16], classes: usize, smoothing: f64) -> Bayes {
        let (rows, width) = x.dim();
        let mut n = vec![0.0f64; classes];
        let mut sum = vec![0.0f64; classes * width];
        for (row, &c) in x.rows().into_iter().zip(y) {
            let c = c as usize;
            n[c] += 1.0;
            for (s, v) in sum[c * width..(c + 1) * width].iter_mut().zip(row) {
                *s += v;
            }
        }
        let mean: Vec<f64> = sum
            .iter()
            .enumerate()
            .map(|(i, s)| s / n[i / width].max(1.0))
            .collect();
        let mut sq = vec![0.0f64; classes * width];
        for (row, &c) in x.rows().into_iter().zip(y) {
            let c = c as usize;
            for ((s, v), m) in sq[c * width..(c + 1) * width]
                .iter_mut()
                .zip(row)
                .zip(&mean[c * width..(c + 1) * width])
            {
                *s += (v - m) * (v - m);
            }
        }
        // The largest variance of a column over all rows (ddof = 0), as scikit-learn's epsilon.
        let mut largest = 0.0f64;
        for j in 0..width {
            let col = x.column(j);
            let m = col.sum() / rows.max(1) as f64;
            let v = col.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / rows.max(1) as f64;
            largest = largest.max(v);
        }
        let eps = smoothing * largest;
        let var = sq
            .iter()
            .enumerate()
            .map(|(i, s)| s / n[i / width].max(1.0) + eps)
            .collect();
        let total: f64 = n.iter().sum();
        Bayes {
            log_prior: n
                .iter()
                .map(|k| {
                    if *k > 0.0 {
                        (k / total).ln()
                    } else {
                        f64::NEG_INFINITY
                    }
                })
                .collect(),
            mean,
            var,
        }
    }

    /// Class probabilities of one row.
    pub fn proba(&self, row: &[f64], out: &mut [f64]) {
        let width = row.len();
        let classes = self.log_prior.len();
        for (c, o) in out[..classes].iter_mut().enumerate() {
            let means = &self.mean[c * width..(c + 1) * width];
            let vars = &self.var[c * width..(c + 1) * width];
            let mut l = self.log_prior[c];
            for ((x, m), v) in row.iter().zip(means).zip(vars) {
                let d = x - m;
                l -= 0.5 * ((2.0 * std::f64::consts::PI * v).ln() + d * d / v);
            }
            *o = l;
        }
        let top = out[..classes]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let mut s = 0.0;
        for o in out[..classes].iter_mut() {
            *o = if top.is_finite() {
                (*o - top).exp()
            } else {
                0.0
            };
            s += *o;
        }
        if s > 0.0 {
            out[..classes].iter_mut().for_each(|o| *o /= s);
        }
    }

    /// Checks a model read from a file.
    pub fn check(&self, width: usize, classes: usize) -> std::result::Result<(), String> {
        let ok = self.log_prior.len() == classes
            && self.mean.len() == classes * width
            && self.var.len() == classes * width
            && self.mean.iter().all(|v| v.is_finite())
            && self.var.iter().all(|v| v.is_finite() && *v > 0.0)
            && self.log_prior.iter().all(|v| !v.is_nan() && *v <= 0.0);
        if ok {
            Ok(())
        } else {
            Err("its naive Bayes figures do not fit its encoder".into())
        }
    }
}

/// Gaussian naive Bayes' parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Share of the largest variance added to every variance.
    pub var_smoothing: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            var_smoothing: VAR_SMOOTHING,
        }
    }
}

impl Hyperparams for Params {
    fn check(&self) -> crate::Result<()> {
        model::positive("var_smoothing", self.var_smoothing)
    }

    fn label(&self) -> String {
        "naive Bayes".into()
    }
}

impl Classify for Bayes {
    type Params = Params;

    fn fit(p: &Params, data: &Labelled<'_>) -> crate::Result<Bayes> {
        Ok(Bayes::fit(data.x, data.y, data.classes, p.var_smoothing))
    }

    /// Each column's part is its term of the log-likelihood ratio of the predicted class c over
    /// the runner-up r: `ln N(x_j | m_cj, v_cj) - ln N(x_j | m_rj, v_rj)` (positive: the column
    /// speaks for c).
    fn explain(&self, row: &[f64], class: usize, out: &mut [f64]) {
        let classes = self.log_prior.len();
        let width = row.len();
        let mut p = vec![0.0; classes];
        Bayes::proba(self, row, &mut p);
        let runner = (0..classes)
            .filter(|&c| c != class)
            .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)));
        let Some(r) = runner else { return };
        let term = |c: usize, j: usize| {
            let (m, v) = (self.mean[c * width + j], self.var[c * width + j]);
            let d = row[j] - m;
            -0.5 * ((2.0 * std::f64::consts::PI * v).ln() + d * d / v)
        };
        for (j, o) in out.iter_mut().enumerate().take(width) {
            *o = term(class, j) - term(r, j);
        }
    }

    fn proba(&self, row: &[f64], out: &mut [f64]) {
        Bayes::proba(self, row, out);
    }

    fn check(&self, width: usize, classes: usize) -> std::result::Result<(), String> {
        Bayes::check(self, width, classes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        // One column; class 0: 0, 2 (mean 1, var 1); class 1: 10 (mean 10, var 0 + eps).
        let x = ndarray::Array2::from_shape_vec((3, 1), vec![0.0, 2.0, 10.0]).unwrap();
        let b = Bayes::fit(&x, &[0, 0, 1], 2, VAR_SMOOTHING);
        assert_eq!(b.mean, vec![1.0, 10.0]);
        // Variance over all rows: mean 4, (16 + 4 + 36) / 3.
        let eps = VAR_SMOOTHING * 56.0 / 3.0;
        assert!((b.var[0] - (1.0 + eps)).abs() < 1e-15 && (b.var[1] - eps).abs() < 1e-20);
        assert!((b.log_prior[0] - (2.0f64 / 3.0).ln()).abs() < 1e-15);
        let mut p = [0.0; 2];
        b.proba(&[1.0], &mut p);
        assert!((p[0] - 1.0).abs() < 1e-12 && p[1] < 1e-12);
    }
}
