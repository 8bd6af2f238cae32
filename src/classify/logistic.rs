//! Logistic regression (as scikit-learn's `LogisticRegression(C=1.0)` with the lbfgs solver):
//! minimises `C * sum_i -log p(y_i | x_i) + ||W||^2 / 2` (intercepts not penalised), where
//! `p(k | x)` is the softmax of `W_k . x + b_k`; with two classes the first class's weights are
//! held at zero, which is the binary logistic model scikit-learn fits. Minimised by L-BFGS
//! (memory 10) with a backtracking line search, until the largest gradient component is below
//! `tol` (1e-4, as scikit-learn) or after `max_iter` iterations.
//!
//! Our own code rather than linfa-logistic: the same objective in eighty lines, no new dependency
//! (argmin), and gradients summed over fixed chunks in a fixed order, so the model is the same
//! bytes on any number of threads.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{self, Classify, Hyperparams, Labelled};

/// scikit-learn's default inverse regularisation strength.
pub const C: f64 = 1.0;
/// Iterations at most (scikit-learn: 100).
pub const MAX_ITER: usize = 200;
/// Rows per gradient chunk.
const CHUNK: usize = 4096;

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    /// Weights, `classes x width`, row-major.
    pub weights: Vec<f64>,
    /// Intercepts, one per class.
    pub intercepts: Vec<f64>,
}

/// Softmax probabilities of one row into `out`.
fn softmax(w: &[f64], b: &[f64], row: &[f64], out: &mut [f64]) {
    let width = row.len();
    let mut top = f64::NEG_INFINITY;
    for (k, o) in out.iter_mut().enumerate() {
        let z: f64 = w[k * width..(k + 1) * width]
            .iter()
            .zip(row)
            .map(|(a, x)| a * x)
            .sum::<f64>()
            + b[k];
        *o = z;
        top = top.max(z);
    }
    let mut s = 0.0;
    for o in out.iter_mut() {
        *o = (*o - top).exp();
        s += *o;
    }
    out.iter_mut().for_each(|o| *o /= s);
}

/// The objective and its gradient at `theta` (weights then intercepts).
fn objective(
    x: &ndarray::Array2<f64>,
    y: &[u16],
    k: usize,
    c: f64,
    theta: &[f64],
    free: &[bool],
) -> (f64, Vec<f64>) {
    let (n, width) = x.dim();
    let (w, b) = theta.split_at(k * width);
    let chunks: Vec<(f64, Vec<f64>)> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|ci| {
            let mut loss = 0.0;
            let mut g = vec![0.0; theta.len()];
            let mut p = vec![0.0; k];
            let rows = ci * CHUNK..((ci + 1) * CHUNK).min(n);
            for (i, &yi) in rows.clone().zip(&y[rows]) {
                let row = x.row(i);
                let row = row
                    .as_slice()
                    .map(<[f64]>::to_vec)
                    .unwrap_or_else(|| row.to_vec());
                softmax(w, b, &row, &mut p);
                let yi = yi as usize;
                loss -= p[yi].max(1e-300).ln();
                for (cls, &pk) in p.iter().enumerate() {
                    let d = pk - f64::from(u8::from(cls == yi));
                    let gw = &mut g[cls * width..(cls + 1) * width];
                    for (gj, xj) in gw.iter_mut().zip(&row) {
                        *gj += d * xj;
                    }
                    g[k * width + cls] += d;
                }
            }
            (loss, g)
        })
        .collect();
    let mut loss = 0.0;
    let mut g = vec![0.0; theta.len()];
    for (l, gc) in chunks {
        loss += l;
        for (a, b) in g.iter_mut().zip(gc) {
            *a += b;
        }
    }
    let mut f = c * loss;
    for (j, gj) in g.iter_mut().enumerate() {
        *gj *= c;
        if j < k * width {
            f += 0.5 * theta[j] * theta[j];
            *gj += theta[j];
        }
        if !free[j] {
            *gj = 0.0;
        }
    }
    (f, g)
}

impl Logistic {
    /// Fits on `x` (`rows x width`) with classes `y`.
    pub fn fit(x: &ndarray::Array2<f64>, y: &[u16], classes: usize, c: f64, tol: f64) -> Logistic {
        let width = x.ncols();
        let dim = classes * width + classes;
        // With two classes the first class is the reference: its weights and intercept stay 0.
        let free: Vec<bool> = (0..dim)
            .map(|j| classes > 2 || !(j < width || j == classes * width))
            .collect();
        let mut theta = vec![0.0; dim];
        let (mut f, mut g) = objective(x, y, classes, c, &theta, &free);
        let mut s_hist: Vec<Vec<f64>> = Vec::new();
        let mut y_hist: Vec<Vec<f64>> = Vec::new();
        for _ in 0..MAX_ITER {
            if g.iter().fold(0.0f64, |a, v| a.max(v.abs())) < tol {
                break;
            }
            // Two-loop recursion: d = -H g.
            let mut q = g.clone();
            let mut alphas = Vec::with_capacity(s_hist.len());
            for (s, yv) in s_hist.iter().zip(&y_hist).rev() {
                let rho = 1.0 / dot(yv, s);
                let a = rho * dot(s, &q);
                axpy(-a, yv, &mut q);
                alphas.push((a, rho));
            }
            if let (Some(s), Some(yv)) = (s_hist.last(), y_hist.last()) {
                let gamma = dot(s, yv) / dot(yv, yv);
                q.iter_mut().for_each(|v| *v *= gamma);
            } else {
                let norm = dot(&g, &g).sqrt().max(1.0);
                q.iter_mut().for_each(|v| *v /= norm);
            }
            for ((s, yv), (a, rho)) in s_hist.iter().zip(&y_hist).zip(alphas.into_iter().rev()) {
                let beta = rho * dot(yv, &q);
                axpy(a - beta, s, &mut q);
            }
            let d: Vec<f64> = q.iter().map(|v| -v).collect();
            let slope = dot(&g, &d);
            if slope >= 0.0 {
                s_hist.clear();
                y_hist.clear();
                continue;
            }
            // Backtracking (Armijo) line search.
            let mut step = 1.0;
            let mut accepted = None;
            for _ in 0..40 {
                let t: Vec<f64> = theta.iter().zip(&d).map(|(a, b)| a + step * b).collect();
                let (ft, gt) = objective(x, y, classes, c, &t, &free);
                if ft <= f + 1e-4 * step * slope {
                    accepted = Some((t, ft, gt));
                    break;
                }
                step *= 0.5;
            }
            let Some((t, ft, gt)) = accepted else {
                break;
            };
            let s: Vec<f64> = t.iter().zip(&theta).map(|(a, b)| a - b).collect();
            let yv: Vec<f64> = gt.iter().zip(&g).map(|(a, b)| a - b).collect();
            if dot(&s, &yv) > 1e-12 {
                s_hist.push(s);
                y_hist.push(yv);
                if s_hist.len() > 10 {
                    s_hist.remove(0);
                    y_hist.remove(0);
                }
            }
            let converged = (f - ft).abs() <= 1e-12 * f.abs().max(1.0);
            theta = t;
            f = ft;
            g = gt;
            if converged {
                break;
            }
        }
        let (w, b) = theta.split_at(classes * width);
        Logistic {
            weights: w.to_vec(),
            intercepts: b.to_vec(),
        }
    }

    /// Class probabilities of one row.
    pub fn proba(&self, row: &[f64], out: &mut [f64]) {
        softmax(&self.weights, &self.intercepts, row, out);
    }

    /// Checks a model read from a file.
    pub fn check(&self, width: usize, classes: usize) -> std::result::Result<(), String> {
        if self.weights.len() == classes * width
            && self.intercepts.len() == classes
            && self
                .weights
                .iter()
                .chain(&self.intercepts)
                .all(|v| v.is_finite())
        {
            Ok(())
        } else {
            Err("its logistic weights do not fit its encoder".into())
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Logistic regression's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Inverse strength of the L2 penalty.
    pub c: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params { c: C }
    }
}

impl Hyperparams for Params {
    fn check(&self) -> crate::Result<()> {
        model::positive("c", self.c)
    }

    fn label(&self) -> String {
        "logistic regression".into()
    }
}

impl Classify for Logistic {
    type Params = Params;

    fn fit(p: &Params, data: &Labelled<'_>) -> crate::Result<Logistic> {
        Ok(Logistic::fit(data.x, data.y, data.classes, p.c, 1e-4))
    }

    /// Each column's part is its term of the predicted class's logit, `w_cj x_j`.
    fn explain(&self, row: &[f64], class: usize, out: &mut [f64]) {
        let width = row.len();
        if let Some(w) = self.weights.get(class * width..(class + 1) * width) {
            for ((o, x), w) in out.iter_mut().zip(row).zip(w) {
                *o = w * x;
            }
        }
    }

    fn proba(&self, row: &[f64], out: &mut [f64]) {
        Logistic::proba(self, row, out);
    }

    fn check(&self, width: usize, classes: usize) -> std::result::Result<(), String> {
        Logistic::check(self, width, classes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_feature_by_hand() {
        // x = -1, 1 with classes 0, 1 and no penalty beyond C = 1: the optimum of
        // 2 log(1 + e^-w) + w^2 / 2 (intercept 0 by symmetry) solves w = 2 / (1 + e^w).
        let x = ndarray::Array2::from_shape_vec((2, 1), vec![-1.0, 1.0]).unwrap();
        let m = Logistic::fit(&x, &[0, 1], 2, 1.0, 1e-10);
        let w = m.weights[1];
        assert!((w - 2.0 / (1.0 + w.exp())).abs() < 1e-8, "{w}");
        assert!(m.intercepts[1].abs() < 1e-8);
        assert_eq!((m.weights[0], m.intercepts[0]), (0.0, 0.0));
    }
}
