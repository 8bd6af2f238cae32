//! The z-score detector: how far a record's numeric features lie from the normal traffic's, in
//! standard deviations.
//!
//! Fitted on raw values (not the encoding): per numeric feature the mean and the standard deviation
//! (ddof = 0) of the fitting rows, or with `robust` the median and the median absolute deviation
//! scaled by 1.4826 (so that it estimates the standard deviation of normal data). Features whose
//! deviation is 0 are skipped (on the normal rows of KDDTrain+: `wrong_fragment` and
//! `num_outbound_cmds`). The score is the mean of |z| over the kept features, or their maximum.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::load::Dataset;
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
