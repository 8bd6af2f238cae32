//! The z-score detector: how far a record's numeric features lie from the normal traffic's, in
//! standard deviations.
//!
//! Fitted on raw values (not the encoding): per numeric feature the mean and the standard deviation
//! (ddof = 0) of the fitting rows, or with `robust` the median and the median absolute deviation
//! scaled by 1.4826 (so that it estimates the standard deviation of normal data). Features whose
//! deviation is 0 are skipped (on the normal rows of KDDTrain+: `wrong_fragment` and
//! `num_outbound_cmds`). The score is the mean of |z| over the kept features, or their maximum.

use serde::{Deserialize, Serialize};

use super::encode::Transform;
use crate::error::Result;
use crate::load::Dataset;
use crate::model::explain::Contributions;
use crate::model::{Detect, FitData, Hyperparams, ScoreData};
use crate::schema;
use crate::stats::Distribution;

/// How the per-feature |z| are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// Mean of |z|.
    Mean,
    /// Maximum of |z|.
    Max,
}

/// A fitted z-score detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZScore {
    /// How |z| are combined.
    pub aggregate: Aggregate,
    /// Median and MAD instead of mean and standard deviation.
    pub robust: bool,
    /// Kept features with their centre and scale.
    pub features: Vec<(String, f64, f64)>,
    /// Features skipped for a zero deviation.
    pub skipped: Vec<String>,
}

impl ZScore {
    /// Fits on the rows where `fit_rows` is true.
    pub fn fit(
        ds: &Dataset,
        fit_rows: &[bool],
        aggregate: Aggregate,
        robust: bool,
    ) -> Result<ZScore> {
        let mut features = Vec::new();
        let mut skipped = Vec::new();
        for f in schema::numeric_features() {
            let values: Vec<f64> = ds
                .f64_values(f.name)?
                .into_iter()
                .zip(fit_rows)
                .filter(|(_, k)| **k)
                .map(|(v, _)| v)
                .collect();
            let d = Distribution::from_f64(&[&values]);
            let (centre, scale) = if robust {
                let median = d.quantile(0.5);
                let deviations: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
                let mad = Distribution::from_f64(&[&deviations]).quantile(0.5);
                (median, 1.4826 * mad)
            } else {
                (d.mean(), d.std(0))
            };
            if scale > 0.0 && scale.is_finite() {
                features.push((f.name.to_string(), centre, scale));
            } else {
                skipped.push(f.name.to_string());
            }
        }
        Ok(ZScore {
            aggregate,
            robust,
            features,
            skipped,
        })
    }

    /// Scores every row of `ds`.
    pub fn score(&self, ds: &Dataset) -> Result<Vec<f64>> {
        let n = ds.rows();
        let mut acc = vec![0.0f64; n];
        for (name, centre, scale) in &self.features {
            let values = ds.f64_values(name)?;
            for (a, v) in acc.iter_mut().zip(values) {
                let z = ((v - centre) / scale).abs();
                match self.aggregate {
                    Aggregate::Mean => *a += z,
                    Aggregate::Max => *a = a.max(z),
                }
            }
        }
        if self.aggregate == Aggregate::Mean && !self.features.is_empty() {
            let k = self.features.len() as f64;
            acc.iter_mut().for_each(|a| *a /= k);
        }
        Ok(acc)
    }
}

/// The z-score detector's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// How |z| are combined.
    pub aggregate: Aggregate,
    /// Median and MAD instead of mean and standard deviation.
    pub robust: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            aggregate: Aggregate::Mean,
            robust: false,
        }
    }
}

impl Hyperparams for Params {
    fn check(&self) -> Result<()> {
        Ok(())
    }

    fn label(&self) -> String {
        format!(
            "zscore ({}{})",
            match self.aggregate {
                Aggregate::Mean => "mean",
                Aggregate::Max => "max",
            },
            if self.robust { ", robust" } else { "" }
        )
    }
}

impl Detect for ZScore {
    type Params = Params;

    fn encoding(_: &Params) -> Option<Transform> {
        None
    }

    fn fit(p: &Params, data: &FitData<'_>) -> Result<ZScore> {
        ZScore::fit(data.ds, data.rows, p.aggregate, p.robust)
    }

    fn score(&self, data: &ScoreData<'_>) -> Result<Vec<f64>> {
        ZScore::score(self, data.ds)
    }

    /// Each feature's part is its |z| = |x - centre| / scale (its term of the mean; with
    /// `--aggregate max` the largest is the score, the others show how close they came).
    fn explain(&self, data: &ScoreData<'_>, rows: &[usize]) -> Result<Vec<Contributions>> {
        let columns = self
            .features
            .iter()
            .map(|(name, _, _)| data.ds.f64_values(name))
            .collect::<Result<Vec<_>>>()?;
        Ok(rows
            .iter()
            .map(|&row| {
                let parts = self
                    .features
                    .iter()
                    .zip(&columns)
                    .map(|((name, centre, scale), v)| {
                        let v = v.get(row).copied().unwrap_or(0.0);
                        (name.clone(), ((v - centre) / scale).abs(), *centre)
                    })
                    .collect();
                Contributions::Features(parts)
            })
            .collect())
    }

    fn check(&self, _: Option<usize>) -> std::result::Result<(), String> {
        let bad = |c: f64, s: f64| !c.is_finite() || !s.is_finite() || s <= 0.0;
        if self.features.is_empty() {
            return Err("its z-score detector has no feature".into());
        }
        if self.features.iter().any(|(n, c, s)| {
            schema::feature(n).is_none_or(|f| f.kind == schema::Kind::Categorical) || bad(*c, *s)
        }) {
            return Err("a z-score feature is unknown or has no positive scale".into());
        }
        Ok(())
    }
}
