//! The Gaussian-mixture detector: negative log-likelihood under a mixture fitted to normal traffic.
//!
//! Diagonal covariance by default, fitted by our own EM: initial responsibilities from a k-means
//! run (the k-means detector's, same seed), then E and M steps until the mean log-likelihood gains
//! less than 1e-3 or after 100 iterations, with `reg_covar` (1e-3 by default, `--reg-covar`) added
//! to every variance. Sums over rows are taken over fixed blocks of rows and the block results added in
//! order, so the fit does not depend on the number of threads. `full` covariance uses
//! linfa-clustering's `GaussianMixture` (slow on 122 columns: use it on small data).

use linfa::prelude::*;
use linfa_clustering::GaussianMixtureModel;
use ndarray::{Array2, ArrayView1, Axis};
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::encode::Transform;
use super::kmeans::KMeansDetector;
use crate::error::{Error, Result};
use crate::model::explain::Contributions;
use crate::model::{self, Detect, FitData, Hyperparams, ScoreData};

/// Rows per block of the parallel sums.
const BLOCK: usize = 2048;
/// Variance floor added in the M step by models saved before it was a parameter (scikit-learn's
/// default).
pub const OLD_REG_COVAR: f64 = 1e-6;
/// Variance floor added in the M step by default: 1e-3 keeps the one-hot columns of the
/// encoding, constant within a component, from collapsing to near-zero variance.
pub const REG_COVAR: f64 = 1e-3;
/// The smallest variance a diagonal component read from a file may have.
const MIN_VARIANCE: f64 = 1e-9;

/// Covariance structure of the mixture components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Covariance {
    /// One variance per feature and component (our EM).
    Diag,
    /// Full covariance matrices (linfa-clustering).
    Full,
}

/// A fitted mixture: weights, means and, per component, either variances (diagonal) or a lower
/// Cholesky factor of the precision matrix (full), flattened row-major.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gmm {
    /// Number of components.
    pub components: usize,
    /// Seed.
    pub seed: u64,
    /// Covariance structure.
    pub covariance: Covariance,
    /// Mixture weights.
    pub weights: Vec<f64>,
    /// Component means.
    pub means: Vec<Vec<f64>>,
    /// Diagonal: variances per component. Full: the precision matrix, row-major.
    pub spread: Vec<Vec<f64>>,
    /// Diagonal: log-determinant term per component; full: log-determinant of the precision.
    pub log_norm: Vec<f64>,
}

const LN_2PI: f64 = 1.837_877_066_409_345_5;

fn logsumexp(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

impl Gmm {
    /// The parts of one row (see [`Detect::explain`]).
    fn explain_row(
        &self,
        inv: &[Vec<f64>],
        r: ArrayView1<'_, f64>,
        lp: &mut [f64],
    ) -> Contributions {
        self.component_log_densities(inv, r, lp);
        let k = (0..self.components)
            .max_by(|&a, &b| lp[a].total_cmp(&lp[b]).then(b.cmp(&a)))
            .unwrap_or(0);
        let mean = &self.means[k];
        if self.covariance == Covariance::Diag {
            return Contributions::Columns(
                r.iter()
                    .zip(mean)
                    .zip(&inv[k])
                    .map(|((x, m), p)| 0.5 * (x - m) * (x - m) * p)
                    .collect(),
            );
        }
        let diff: Vec<f64> = r.iter().zip(mean).map(|(x, m)| x - m).collect();
        let parts = match self.covariance {
            Covariance::Diag => Vec::new(),
            Covariance::Full => {
                let p = &self.spread[k];
                let n = diff.len();
                (0..n)
                    .map(|i| 0.5 * diff[i] * (0..n).map(|j| p[i * n + j] * diff[j]).sum::<f64>())
                    .collect()
            }
        };
        Contributions::Columns(parts)
    }

    /// Inverse variances per component (diagonal), so that the densities multiply.
    fn inverse_variances(&self) -> Vec<Vec<f64>> {
        match self.covariance {
            Covariance::Diag => self
                .spread
                .iter()
                .map(|v| v.iter().map(|x| 1.0 / x).collect())
                .collect(),
            Covariance::Full => Vec::new(),
        }
    }

    /// log w_k + log N(x | k) for each component (`inv`: from [`Self::inverse_variances`]).
    fn component_log_densities(&self, inv: &[Vec<f64>], row: ArrayView1<'_, f64>, out: &mut [f64]) {
        let d = row.len() as f64;
        for (k, o) in out.iter_mut().enumerate().take(self.components) {
            let mean = &self.means[k];
            let q = match self.covariance {
                Covariance::Diag => row
                    .iter()
                    .zip(mean)
                    .zip(&inv[k])
                    .map(|((x, m), p)| (x - m) * (x - m) * p)
                    .sum::<f64>(),
                Covariance::Full => {
                    let p = &self.spread[k];
                    let n = mean.len();
                    let diff: Vec<f64> = row.iter().zip(mean).map(|(x, m)| x - m).collect();
                    let mut q = 0.0;
                    for i in 0..n {
                        let mut s = 0.0;
                        for j in 0..n {
                            s += p[i * n + j] * diff[j];
                        }
                        q += diff[i] * s;
                    }
                    q
                }
            };
            *o = self.weights[k].ln() - 0.5 * (d * LN_2PI + q) + self.log_norm[k];
        }
    }

    /// Fits `n_init` mixtures (seeds `seed`, `seed + 1`, ...) and keeps the one with the highest
    /// mean log-likelihood on the fitting rows (the first on ties), as scikit-learn's `n_init`.
    pub fn fit_best(
        x: &Array2<f64>,
        components: usize,
        seed: u64,
        covariance: Covariance,
        reg_covar: f64,
        n_init: usize,
    ) -> Result<Gmm> {
        let mut best: Option<(f64, Gmm)> = None;
        for i in 0..n_init.max(1) {
            let g = Self::fit(
                x,
                components,
                seed.wrapping_add(i as u64),
                covariance,
                reg_covar,
            )?;
            let ll = -g.score(x)?.iter().sum::<f64>() / x.nrows().max(1) as f64;
            if best.as_ref().is_none_or(|(b, _)| ll > *b) {
                best = Some((ll, g));
            }
        }
        best.map(|(_, g)| g)
            .ok_or_else(|| Error::Internal("no mixture was fitted".into()))
    }

    /// Fits on the encoded fitting rows.
    pub fn fit(
        x: &Array2<f64>,
        components: usize,
        seed: u64,
        covariance: Covariance,
        reg_covar: f64,
    ) -> Result<Gmm> {
        if !(reg_covar > 0.0 && reg_covar.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "reg_covar",
                value: reg_covar.to_string(),
                expected: "a finite number > 0".into(),
            });
        }
        if components == 0 || components > x.nrows() {
            return Err(Error::InvalidParameter {
                name: "components",
                value: components.to_string(),
                expected: format!(
                    "must be between 1 and the number of fitting rows ({})",
                    x.nrows()
                ),
            });
        }
        match covariance {
            Covariance::Diag => Self::fit_diag(x, components, seed, reg_covar),
            Covariance::Full => Self::fit_full(x, components, seed, reg_covar),
        }
    }

    fn fit_full(x: &Array2<f64>, components: usize, seed: u64, reg_covar: f64) -> Result<Gmm> {
        let rng = Xoshiro256Plus::seed_from_u64(seed);
        let data = DatasetBase::from(x.view());
        let model = GaussianMixtureModel::params_with_rng(components, rng)
            .reg_covariance(reg_covar)
            .fit(&data)
            .map_err(|e| Error::Usage(format!("full-covariance mixture: {e}")))?;
        let d = x.ncols();
        let mut spread = Vec::new();
        let mut log_norm = Vec::new();
        for p in model.precisions().axis_iter(Axis(0)) {
            spread.push(p.iter().cloned().collect::<Vec<f64>>());
            // log det(precision) via its Cholesky factor.
            let mut l = vec![0.0f64; d * d];
            let mut logdet = 0.0;
            for i in 0..d {
                for j in 0..=i {
                    let mut s = p[[i, j]];
                    for k in 0..j {
                        s -= l[i * d + k] * l[j * d + k];
                    }
                    if i == j {
                        if s <= 0.0 {
                            return Err(Error::Internal(
                                "a precision matrix is not positive definite".into(),
                            ));
                        }
                        l[i * d + i] = s.sqrt();
                        logdet += 2.0 * s.sqrt().ln();
                    } else {
                        l[i * d + j] = s / l[j * d + j];
                    }
                }
            }
            log_norm.push(0.5 * logdet);
        }
        Ok(Gmm {
            components,
            seed,
            covariance: Covariance::Full,
            weights: model.weights().to_vec(),
            means: model
                .means()
                .axis_iter(Axis(0))
                .map(|r| r.to_vec())
                .collect(),
            spread,
            log_norm,
        })
    }

    fn fit_diag(x: &Array2<f64>, components: usize, seed: u64, reg_covar: f64) -> Result<Gmm> {
        let n = x.nrows();
        let km = KMeansDetector::fit(x, components, seed, 1)?;
        // Responsibilities start as the k-means memberships.
        let mut resp = Array2::<f64>::zeros((n, components));
        for (i, row) in x.axis_iter(Axis(0)).enumerate() {
            resp[[i, km.nearest(row).0]] = 1.0;
        }
        Ok(Self::em_diag(x, resp, seed, reg_covar, 100, 1e-3).0)
    }

    /// EM for a diagonal mixture from initial responsibilities `resp` (`rows x components`):
    /// M step, then E step, until the mean log-likelihood gains less than `tol` or after
    /// `max_iter` rounds. Returns the mixture and the mean log-likelihood after each E step.
    pub fn em_diag(
        x: &Array2<f64>,
        mut resp: Array2<f64>,
        seed: u64,
        reg_covar: f64,
        max_iter: usize,
        tol: f64,
    ) -> (Gmm, Vec<f64>) {
        let (d, components) = (x.ncols(), resp.ncols());
        let mut gmm = Gmm {
            components,
            seed,
            covariance: Covariance::Diag,
            weights: vec![0.0; components],
            means: vec![vec![0.0; d]; components],
            spread: vec![vec![1.0; d]; components],
            log_norm: vec![0.0; components],
        };
        let mut trace = Vec::new();
        let mut previous = f64::NEG_INFINITY;
        for _ in 0..max_iter {
            gmm.m_step(x, &resp, reg_covar);
            let mean_ll = gmm.e_step(x, &mut resp);
            trace.push(mean_ll);
            if (mean_ll - previous).abs() < tol {
                break;
            }
            previous = mean_ll;
        }
        (gmm, trace)
    }

    /// Weighted sums per block, added in block order (deterministic whatever the threads).
    fn m_step(&mut self, x: &Array2<f64>, resp: &Array2<f64>, reg_covar: f64) {
        let (n, d, k) = (x.nrows(), x.ncols(), self.components);
        let blocks: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> = (0..n.div_ceil(BLOCK))
            .into_par_iter()
            .map(|b| {
                let (mut nk, mut sx, mut sxx) = (vec![0.0; k], vec![0.0; k * d], vec![0.0; k * d]);
                for i in b * BLOCK..((b + 1) * BLOCK).min(n) {
                    let row = x.row(i);
                    for c in 0..k {
                        let r = resp[[i, c]];
                        if r == 0.0 {
                            continue;
                        }
                        nk[c] += r;
                        let (a, b) = (&mut sx[c * d..(c + 1) * d], &mut sxx[c * d..(c + 1) * d]);
                        for ((a, b), v) in a.iter_mut().zip(b.iter_mut()).zip(row.iter()) {
                            let rv = r * v;
                            *a += rv;
                            *b += rv * v;
                        }
                    }
                }
                (nk, sx, sxx)
            })
            .collect();
        let (mut nk, mut sx, mut sxx) = (vec![0.0; k], vec![0.0; k * d], vec![0.0; k * d]);
        for (a, b, c) in blocks {
            nk.iter_mut().zip(a).for_each(|(t, v)| *t += v);
            sx.iter_mut().zip(b).for_each(|(t, v)| *t += v);
            sxx.iter_mut().zip(c).for_each(|(t, v)| *t += v);
        }
        for c in 0..k {
            let count = nk[c] + 10.0 * f64::EPSILON;
            self.weights[c] = count / n as f64;
            let mut log_det = 0.0;
            for j in 0..d {
                let mean = sx[c * d + j] / count;
                let var = (sxx[c * d + j] / count - mean * mean).max(0.0) + reg_covar;
                self.means[c][j] = mean;
                self.spread[c][j] = var;
                log_det += var.ln();
            }
            self.log_norm[c] = -0.5 * log_det;
        }
    }

    /// Updates the responsibilities; returns the mean log-likelihood.
    fn e_step(&self, x: &Array2<f64>, resp: &mut Array2<f64>) -> f64 {
        let n = x.nrows();
        let k = self.components;
        let Some(r) = resp.as_slice_mut() else {
            return f64::NAN;
        };
        let inv = self.inverse_variances();
        let sums: Vec<f64> = r
            .par_chunks_mut(BLOCK * k)
            .enumerate()
            .map(|(b, chunk)| {
                let mut total = 0.0;
                let mut lp = vec![0.0; k];
                for (o, out) in chunk.chunks_mut(k).enumerate() {
                    self.component_log_densities(&inv, x.row(b * BLOCK + o), &mut lp);
                    let l = logsumexp(&lp);
                    total += l;
                    for c in 0..k {
                        out[c] = (lp[c] - l).exp();
                    }
                }
                total
            })
            .collect();
        sums.iter().sum::<f64>() / n as f64
    }

    /// Negative log-likelihood of each row.
    pub fn score(&self, x: &Array2<f64>) -> Result<Vec<f64>> {
        let d = x.ncols();
        let consistent = self.weights.len() == self.components
            && self.means.len() == self.components
            && self.spread.len() == self.components
            && self.log_norm.len() == self.components
            && self.means.iter().all(|m| m.len() == d)
            && self.spread.iter().all(|s| match self.covariance {
                Covariance::Diag => s.len() == d && s.iter().all(|v| *v > 0.0),
                Covariance::Full => s.len() == d * d,
            });
        if !consistent {
            return Err(Error::Usage(
                "the mixture does not match its encoder (was the model file edited?)".into(),
            ));
        }
        let inv = self.inverse_variances();
        let rows: Vec<ArrayView1<'_, f64>> = x.axis_iter(Axis(0)).collect();
        Ok(rows
            .par_iter()
            .map(|r| {
                let mut lp = vec![0.0; self.components];
                self.component_log_densities(&inv, r.view(), &mut lp);
                -logsumexp(&lp)
            })
            .collect())
    }
}

/// The mixture's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Components.
    pub components: usize,
    /// Covariance structure.
    pub covariance: Covariance,
    /// Variance added to every component's variances (1e-6 in models saved before it was
    /// recorded).
    #[serde(default = "old_reg_covar")]
    pub reg_covar: f64,
    /// Initialisations (seeds `seed`, `seed + 1`, ...), the most likely kept.
    #[serde(default = "one_mixture")]
    pub n_init: usize,
    /// Mixtures fitted with seeds `seed`, `seed + 1`, ..., their rank-normalised scores
    /// averaged.
    #[serde(default = "one_mixture")]
    pub seeds: usize,
    /// The transform of the numeric features in the encoding.
    #[serde(default)]
    pub transform: Transform,
}

fn old_reg_covar() -> f64 {
    OLD_REG_COVAR
}

fn one_mixture() -> usize {
    1
}

/// The most mixtures in a seed ensemble.
pub const MAX_SEEDS: usize = 64;
/// The most components.
pub const MAX_COMPONENTS: usize = 1024;

impl Default for Params {
    fn default() -> Self {
        Params {
            components: 8,
            covariance: Covariance::Diag,
            reg_covar: REG_COVAR,
            n_init: 1,
            seeds: 1,
            transform: Transform::Log1p,
        }
    }
}

impl Hyperparams for Params {
    fn check(&self) -> Result<()> {
        model::within("components", self.components, 1, MAX_COMPONENTS)?;
        // Below the smallest variance a model file may hold, the mixture degenerates (a
        // subnormal reg_covar gave null weights); above 100 it says nothing of the data.
        model::within_f64("reg_covar", self.reg_covar, MIN_VARIANCE, 100.0)?;
        model::within("n_init", self.n_init, 1, super::kmeans::MAX_N_INIT)?;
        model::within("seeds", self.seeds, 1, MAX_SEEDS)
    }

    fn label(&self) -> String {
        format!(
            "gmm ({} component{}{})",
            self.components,
            if self.components == 1 { "" } else { "s" },
            if self.covariance == Covariance::Full {
                ", full"
            } else {
                ""
            }
        )
    }
}

impl Detect for Gmm {
    type Params = Params;

    fn encoding(p: &Params) -> Option<Transform> {
        Some(p.transform)
    }

    fn seeds(p: &Params) -> usize {
        p.seeds
    }

    fn fit(p: &Params, data: &FitData<'_>) -> Result<Gmm> {
        Gmm::fit_best(
            data.encoded()?,
            p.components,
            data.seed,
            p.covariance,
            p.reg_covar,
            p.n_init,
        )
    }

    fn score(&self, data: &ScoreData<'_>) -> Result<Vec<f64>> {
        Gmm::score(self, data.encoded()?)
    }

    /// Each column's part is its term of the negative log-likelihood under the most responsible
    /// component k (the largest `log w_k + log N(x | k)`), without the normalising constant
    /// (`ln(2 pi v_kj) / 2`, the same for every record, so it cannot tell why one is unusual):
    /// diagonal, `(x_j - m_kj)^2 / (2 v_kj)`; full, the column's share of the Mahalanobis term,
    /// `(x_j - m_kj) (P_k (x - m_k))_j / 2`.
    fn explain(&self, data: &ScoreData<'_>, rows: &[usize]) -> Result<Vec<Contributions>> {
        let x = data.encoded()?;
        let inv = self.inverse_variances();
        // Rows in parallel, collected in order: the same parts on any thread count.
        Ok(rows
            .par_iter()
            .map_init(
                || vec![0.0; self.components],
                |lp, &row| self.explain_row(&inv, x.row(row), lp),
            )
            .collect())
    }

    fn check(&self, width: Option<usize>) -> std::result::Result<(), String> {
        let w = width.ok_or("it has no encoder")?;
        let per = match self.covariance {
            Covariance::Diag => w,
            Covariance::Full => w * w,
        };
        let k = self.components;
        let ok = k > 0
            && [
                self.weights.len(),
                self.means.len(),
                self.spread.len(),
                self.log_norm.len(),
            ]
            .iter()
            .all(|&n| n == k)
            && self.means.iter().all(|m| m.len() == w)
            && self.spread.iter().all(|s| s.len() == per)
            && (self.covariance == Covariance::Full
                || self.spread.iter().flatten().all(|v| *v >= MIN_VARIANCE))
            && self.spread.iter().flatten().all(|v| v.is_finite())
            && self.means.iter().flatten().all(|v| v.is_finite())
            && self.log_norm.iter().all(|v| v.is_finite())
            && self.weights.iter().all(|x| x.is_finite() && *x > 0.0)
            && (self.weights.iter().sum::<f64>() - 1.0).abs() < 1e-6;
        if ok {
            Ok(())
        } else {
            Err("its mixture does not match its encoder".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The EM against an independent numpy computation (tests/reference/gmm_em.py, output
    /// committed): the mean log-likelihood after each round from the same initial
    /// responsibilities.
    #[test]
    fn em_equals_an_independent_computation() {
        let r: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/reference/gmm_em.json")).unwrap();
        let rows: Vec<f64> = r["x"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
            .collect();
        let x = Array2::from_shape_vec((rows.len() / 2, 2), rows).unwrap();
        let mut resp = Array2::<f64>::zeros((x.nrows(), 3));
        for (i, c) in r["init"].as_array().unwrap().iter().enumerate() {
            resp[[i, c.as_u64().unwrap() as usize]] = 1.0;
        }
        let reg = r["reg_covar"].as_f64().unwrap();
        let (_, trace) = Gmm::em_diag(&x, resp, 0, reg, 8, 0.0);
        let want: Vec<f64> = r["mean_log_likelihood"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(trace.len(), want.len());
        for (a, b) in trace.iter().zip(&want) {
            assert!((a - b).abs() < 1e-9, "{trace:?} vs {want:?}");
        }
    }

    #[test]
    fn n_init_keeps_the_most_likely_mixture() {
        let x = Array2::from_shape_vec(
            (10, 2),
            vec![
                0.0, 1.0, 0.5, 1.2, 1.0, 0.8, 0.2, 0.1, 4.0, 4.2, 4.5, 3.9, 5.0, 4.8, 3.8, 5.1,
                9.0, 0.5, 8.5, 1.5,
            ],
        )
        .unwrap();
        let ll = |g: &Gmm| -g.score(&x).unwrap().iter().sum::<f64>();
        let best = (0..4)
            .map(|s| ll(&Gmm::fit(&x, 3, 7 + s, Covariance::Diag, REG_COVAR).unwrap()))
            .fold(f64::NEG_INFINITY, f64::max);
        let chosen = Gmm::fit_best(&x, 3, 7, Covariance::Diag, REG_COVAR, 4).unwrap();
        assert_eq!(ll(&chosen), best);
    }
}
