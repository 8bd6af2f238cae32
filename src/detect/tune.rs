//! `kddstat tune`: chooses a detector's parameters on the training file alone, by validation with
//! attack labels held out.
//!
//! The normal rows are split (seeded) into fitting rows (80%) and validation negatives (20%). The
//! training file's attack labels are shuffled (seeded) and dealt into [`FOLDS`] folds; fold `f`'s
//! positives are the rows of its labels only. Every candidate is fitted once on the fitting rows
//! and scored; its validation figure is the mean over folds of the ROC AUC of the fold's positives
//! against the held-out normal rows. Each fold weighs the same whatever its rows, so the training
//! file's most frequent attacks (neptune is 41,214 of its 58,630 attack rows) do not decide alone,
//! and the figure rewards a detector that separates attacks it was not chosen on: the test files'
//! novel attacks are exactly that. The naive figure (every training attack as a positive) is
//! reported beside it to show how it differs. The chosen parameters are then fitted on every
//! normal row and written as an ordinary model. No test file is read.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;

use super::encode::Transform;
use super::{FitOptions, Model, Params, Prepared, gmm, iforest, kmeans, zscore};
use crate::error::{Error, Result};
use crate::load::Dataset;
use crate::schema::{self, Category};
use crate::stats::metrics;

/// Folds of attack labels.
pub const FOLDS: usize = 4;
/// Mixtures averaged per GMM candidate (a seed ensemble: one seed's luck moved the test AUC by
/// up to 0.06 on KDDTest+ and 0.25 on KDDTest-21).
pub const SEEDS: usize = 2;
/// Share of the normal rows held out as validation negatives.
pub const HOLDOUT: f64 = 0.2;

/// One candidate's validation figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Its parameters (those that apply).
    pub parameters: serde_json::Map<String, serde_json::Value>,
    /// ROC AUC per fold (its labels against the held-out normal rows).
    pub folds: Vec<f64>,
    /// The mean over folds: the figure candidates are ranked by.
    pub validation_auc: f64,
    /// ROC AUC of every training attack against the held-out normal rows (the naive figure).
    pub all_attacks_auc: f64,
}

/// What `tune` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tuning {
    /// The training file.
    pub train: String,
    /// The detector tuned.
    pub detector: &'static str,
    /// The attack labels of each fold.
    pub folds: Vec<Vec<String>>,
    /// Normal rows fitted on, and held out.
    pub fit_rows: usize,
    /// Held-out normal rows (the validation negatives).
    pub holdout_rows: usize,
    /// Every candidate, in the order tried.
    pub candidates: Vec<Candidate>,
    /// The index of the chosen one.
    pub chosen: usize,
}

/// The parameters (as named in model files) that [`grid`] varies for a detector: the search sets
/// them, so a value given for one would be silently overridden.
pub fn varied(detector: super::DetectorName) -> &'static [&'static str] {
    use super::DetectorName as D;
    match detector {
        D::Gmm => &["transform", "components", "reg_covar", "seeds"],
        D::Kmeans => &["transform", "k"],
        D::Iforest => &["transform", "max_samples"],
        D::Zscore => &["robust"],
        D::Ensemble => &[],
    }
}

/// The candidates tried for a detector (the parameters of `o` for what is not varied).
pub fn grid(o: &FitOptions) -> Vec<FitOptions> {
    let with = |params: Params| FitOptions {
        params,
        ..o.clone()
    };
    let mut out = Vec::new();
    let transforms = [Transform::Log1p, Transform::Quantile];
    match &o.params {
        Params::Gmm(p) => {
            for transform in transforms {
                for components in [4, 8] {
                    for reg_covar in [1e-3, 1e-2] {
                        out.push(with(Params::Gmm(gmm::Params {
                            transform,
                            components,
                            reg_covar,
                            seeds: SEEDS,
                            ..p.clone()
                        })));
                    }
                }
            }
        }
        Params::Kmeans(p) => {
            for transform in transforms {
                for k in [4, 8, 16, 32] {
                    out.push(with(Params::Kmeans(kmeans::Params {
                        transform,
                        k,
                        ..p.clone()
                    })));
                }
            }
        }
        Params::Iforest(p) => {
            for transform in transforms {
                for max_samples in [256, 1024] {
                    out.push(with(Params::Iforest(iforest::Params {
                        transform,
                        max_samples,
                        ..p.clone()
                    })));
                }
            }
        }
        Params::Zscore(p) => {
            for robust in [false, true] {
                out.push(with(Params::Zscore(zscore::Params {
                    robust,
                    ..p.clone()
                })));
            }
        }
        Params::Ensemble(_) => out.push(o.clone()),
    }
    out
}

/// Tunes `o.detector` on `train` and returns the validation and the model fitted with the chosen
/// parameters on every normal row. `on_candidate` hears of each candidate as it starts.
pub fn tune(
    train: &Dataset,
    sha256: &str,
    o: &FitOptions,
    on_candidate: &dyn Fn(usize, usize),
) -> Result<(Tuning, Model)> {
    let labels: Vec<&str> = train.str_values(schema::LABEL)?.collect();
    let normal: Vec<bool> = labels
        .iter()
        .map(|l| schema::category_of(l) == Category::Normal)
        .collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(o.seed);
    // Held-out normal rows: a seeded sample of HOLDOUT of them.
    let mut normal_rows: Vec<usize> = (0..labels.len()).filter(|&i| normal[i]).collect();
    normal_rows.shuffle(&mut rng);
    let held = ((normal_rows.len() as f64) * HOLDOUT).round() as usize;
    let mut holdout = vec![false; labels.len()];
    for &i in &normal_rows[..held] {
        holdout[i] = true;
    }
    let fit: Vec<bool> = (0..labels.len())
        .map(|i| normal[i] && !holdout[i])
        .collect();
    // Attack labels dealt into folds.
    let mut attack_labels: Vec<&str> = labels
        .iter()
        .copied()
        .filter(|l| schema::category_of(l) != Category::Normal)
        .collect();
    attack_labels.sort_unstable();
    attack_labels.dedup();
    if attack_labels.len() < FOLDS {
        return Err(Error::Limit {
            path: train.name.clone(),
            message: format!(
                "tune needs at least {FOLDS} attack labels to hold out (it has {})",
                attack_labels.len()
            ),
        });
    }
    let fitting = fit.iter().filter(|f| **f).count();
    if held < 2 || fitting < 2 {
        return Err(Error::Limit {
            path: train.name.clone(),
            message: format!(
                "tune needs enough normal rows to fit on and to validate with (it has {}: {fitting} \
                 to fit on, {held} held out; at least 2 of each)",
                normal_rows.len()
            ),
        });
    }
    attack_labels.shuffle(&mut rng);
    let mut folds: Vec<Vec<String>> = vec![Vec::new(); FOLDS];
    for (i, l) in attack_labels.iter().enumerate() {
        folds[i % FOLDS].push(l.to_string());
    }
    folds.iter_mut().for_each(|f| f.sort_unstable());
    let fold_of: std::collections::HashMap<&str, usize> = folds
        .iter()
        .enumerate()
        .flat_map(|(f, ls)| ls.iter().map(move |l| (l.as_str(), f)))
        .collect();
    let candidates_options = grid(o);
    // One encoding per transform, fitted on the fitting rows.
    let mut prepared: [Option<Prepared>; 2] = [None, None];
    let mut candidates = Vec::new();
    for (i, c) in candidates_options.iter().enumerate() {
        on_candidate(i, candidates_options.len());
        let transform = c.params.encoding();
        let slot = usize::from(transform == Some(Transform::Quantile));
        if let Some(t) = transform
            && prepared[slot].is_none()
        {
            prepared[slot] = Some(Prepared::on_rows(train, fit.clone(), t)?);
        }
        let prepared = prepared[slot].as_ref();
        let model = fit_on(train, sha256, c, &fit, prepared)?;
        let scores = model.score_encoded(train, prepared.map(|p| &p.all))?;
        let auc_of = |positive: &dyn Fn(usize) -> bool| {
            let (mut s, mut y) = (Vec::new(), Vec::new());
            for (j, &score) in scores.iter().enumerate() {
                if holdout[j] {
                    s.push(score);
                    y.push(false);
                } else if positive(j) {
                    s.push(score);
                    y.push(true);
                }
            }
            metrics::roc_auc(&s, &y)
        };
        let fold_aucs: Vec<f64> = (0..FOLDS)
            .map(|f| auc_of(&|j| fold_of.get(labels[j]) == Some(&f)))
            .collect();
        candidates.push(Candidate {
            parameters: model.parameters(),
            validation_auc: fold_aucs.iter().sum::<f64>() / FOLDS as f64,
            folds: fold_aucs,
            all_attacks_auc: auc_of(&|j| !normal[j]),
        });
    }
    // The best mean; ties to the earlier (simpler) candidate.
    let mut chosen = 0;
    for (i, c) in candidates.iter().enumerate() {
        if c.validation_auc > candidates[chosen].validation_auc {
            chosen = i;
        }
    }
    let model = super::fit(train, sha256.to_string(), &candidates_options[chosen])?;
    Ok((
        Tuning {
            train: train.name.clone(),
            detector: o.detector().as_str(),
            folds,
            fit_rows: fit.iter().filter(|f| **f).count(),
            holdout_rows: held,
            candidates,
            chosen,
        },
        model,
    ))
}

/// Fits `o` on the rows `fit` (the encoding, when needed, already fitted on them).
fn fit_on(
    train: &Dataset,
    sha256: &str,
    o: &FitOptions,
    fit: &[bool],
    prepared: Option<&Prepared>,
) -> Result<Model> {
    match prepared {
        Some(p) => super::fit_prepared(train, sha256.to_string(), o, Some(p)),
        // The z-score detector reads raw values; the prepared rows still name its fitting rows.
        None => {
            let p = Prepared::on_rows(train, fit.to_vec(), Transform::Log1p)?;
            super::fit_prepared(train, sha256.to_string(), o, Some(&p))
        }
    }
}
