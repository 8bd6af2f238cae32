//! The one encoding of records as numbers, saved with every model that uses it.
//!
//! Columns: the 38 numeric features in file order (`log1p` applied to `duration`, `src_bytes` and
//! `dst_bytes`, whose values span nine orders of magnitude), then one 0/1 column per value of
//! `protocol_type`, `service` and `flag` (values in sorted order). The vocabulary is that of the
//! whole training file (on KDDTrain+: 3 + 70 + 11 values, 122 columns in all), so that a service that
//! never occurs in normal traffic still has a column; a value the training file lacks encodes as
//! all zeros. A feature with more than [`MAX_VOCABULARY`](super::MAX_VOCABULARY) distinct values
//! (1,024; NSL-KDD has 70 services) keeps the most frequent ones, the rest encoding as all zeros, so
//! the encoding's width, and its memory, stay bounded whatever the file. Every column is then
//! standardised with the mean and the standard deviation (ddof = 0)
//! of the fitting rows, a zero deviation replaced by 1.

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::load::Dataset;
use crate::schema;

/// Features that are log-transformed before scaling.
pub const LOG1P: [&str; 3] = ["duration", "src_bytes", "dst_bytes"];

/// How the numeric features are transformed before standardising.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// `log1p` of the byte counts and the duration, the other features as they are.
    #[default]
    Log1p,
    /// Each numeric feature replaced by its rank among the fitting rows: the interpolated
    /// position in [0, 1] of the value among [`QUANTILES`] quantiles of the fitting rows, as
    /// scikit-learn's `QuantileTransformer(output_distribution="uniform")` (ties at the middle of
    /// their run; all fitting rows used, no subsample).
    Quantile,
}

/// Quantiles kept per numeric feature by the quantile transform (scikit-learn's default).
pub const QUANTILES: usize = 1000;

/// The position in [0, 1] of `x` among sorted `q` (references spaced evenly), as scikit-learn's
/// `QuantileTransformer`: the mean of the forward and backward interpolations, so a value equal to
/// a run of quantiles lands at the middle of the run; at or past the first (last) quantile, 0 (1).
pub fn quantile_position(q: &[f64], x: f64) -> f64 {
    let n = q.len();
    if n < 2 {
        return 0.5;
    }
    let reference = |i: usize| i as f64 / (n - 1) as f64;
    // The bounds map to the bounds, as scikit-learn clips them.
    if x <= q[0] {
        return 0.0;
    }
    if x >= q[n - 1] {
        return 1.0;
    }
    let lo = q.partition_point(|v| *v < x);
    let hi = q.partition_point(|v| *v <= x);
    if lo < hi {
        // Equal to q[lo..hi]: the middle of their references.
        (reference(lo) + reference(hi - 1)) / 2.0
    } else {
        // Strictly between q[lo - 1] and q[lo].
        let (a, b) = (q[lo - 1], q[lo]);
        reference(lo - 1) + (x - a) / (b - a) * (reference(lo) - reference(lo - 1))
    }
}

/// A fitted encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    /// Numeric features, in column order.
    pub numeric: Vec<String>,
    /// Numeric features transformed with `log1p`.
    pub log1p: Vec<String>,
    /// Each categorical feature with its vocabulary (sorted).
    pub vocabulary: Vec<(String, Vec<String>)>,
    /// Mean of each output column over the fitting rows.
    pub mean: Vec<f64>,
    /// Standard deviation (ddof = 0) of each output column over the fitting rows, 0 replaced by 1.
    pub scale: Vec<f64>,
    /// With the quantile transform, per numeric feature the quantiles of the fitting rows
    /// (empty: the `log1p` transform).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quantiles: Vec<Vec<f64>>,
}

/// The raw inputs of the encoding: each numeric feature as a column of `f64` (after `log1p` where
/// it applies), each categorical feature as the vocabulary index of every row (`None` when absent).
struct Inputs {
    numeric: Vec<Vec<f64>>,
    codes: Vec<Vec<Option<u32>>>,
}

impl Encoder {
    /// Fits the encoder: vocabulary from all rows of `ds`, scaling from the rows where `fit_rows`
    /// is true.
    pub fn fit(ds: &Dataset, fit_rows: &[bool]) -> Result<Encoder> {
        Ok(Self::fit_inputs(ds, fit_rows, Transform::Log1p)?.0)
    }

    /// Fits the encoder and encodes every row of `ds`, reading the columns once.
    pub fn fit_transform(ds: &Dataset, fit_rows: &[bool]) -> Result<(Encoder, Array2<f64>)> {
        Self::fit_transform_with(ds, fit_rows, Transform::Log1p)
    }

    /// As [`Encoder::fit_transform`], with a choice of transform of the numeric features.
    pub fn fit_transform_with(
        ds: &Dataset,
        fit_rows: &[bool],
        transform: Transform,
    ) -> Result<(Encoder, Array2<f64>)> {
        let (encoder, inputs) = Self::fit_inputs(ds, fit_rows, transform)?;
        let x = encoder.encode(&inputs, ds.rows())?;
        Ok((encoder, x))
    }

    /// The transform of the numeric features.
    pub fn transform_kind(&self) -> Transform {
        if self.quantiles.is_empty() {
            Transform::Log1p
        } else {
            Transform::Quantile
        }
    }

    fn fit_inputs(
        ds: &Dataset,
        fit_rows: &[bool],
        transform: Transform,
    ) -> Result<(Encoder, Inputs)> {
        let numeric: Vec<String> = schema::numeric_features()
            .map(|f| f.name.to_string())
            .collect();
        let vocabulary = schema::categorical_features()
            .map(|f| {
                // Most frequent first: a file with more distinct values than the cap keeps the
                // commonest, so memory stays proportional to the rows.
                let mut values: Vec<String> = crate::stats::value_counts(ds.str_values(f.name)?)
                    .into_iter()
                    .take(super::MAX_VOCABULARY)
                    .map(|(v, _)| v)
                    .collect();
                values.sort();
                Ok((f.name.to_string(), values))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut enc = Encoder {
            numeric,
            log1p: LOG1P.iter().map(|s| s.to_string()).collect(),
            vocabulary,
            mean: Vec::new(),
            scale: Vec::new(),
            quantiles: Vec::new(),
        };
        let n = fit_rows.iter().filter(|f| **f).count();
        if n == 0 {
            return Err(Error::Usage(format!("{}: no rows to fit on", ds.name)));
        }
        if transform == Transform::Quantile {
            // Quantiles of the raw values on the fitting rows (ranks do not depend on log1p).
            enc.log1p.clear();
            enc.quantiles = enc
                .numeric
                .par_iter()
                .map(|name| {
                    let v: Vec<f64> = ds
                        .f64_values(name)?
                        .into_iter()
                        .zip(fit_rows)
                        .filter(|(_, k)| **k)
                        .map(|(v, _)| v)
                        .collect();
                    let d = crate::stats::Distribution::from_f64(&[&v]);
                    let points = QUANTILES.min(n);
                    Ok((0..points)
                        .map(|i| d.quantile(i as f64 / (points - 1).max(1) as f64))
                        .collect())
                })
                .collect::<Result<Vec<_>>>()?;
        }
        let inputs = enc.inputs(ds)?;
        let nf = n as f64;
        let moments = |values: &mut dyn Iterator<Item = f64>| -> (f64, f64) {
            let v: Vec<f64> = values.collect();
            let mean = v.iter().sum::<f64>() / nf;
            let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / nf;
            (mean, var.sqrt())
        };
        let mut stats: Vec<(f64, f64)> = inputs
            .numeric
            .par_iter()
            .map(|col| {
                let mut it = col
                    .iter()
                    .zip(fit_rows)
                    .filter(|(_, k)| **k)
                    .map(|(v, _)| *v);
                moments(&mut it)
            })
            .collect();
        for (codes, (_, vocab)) in inputs.codes.iter().zip(&enc.vocabulary) {
            let mut counts = vec![0u64; vocab.len()];
            for (c, _) in codes.iter().zip(fit_rows).filter(|(_, k)| **k) {
                if let Some(c) = c {
                    counts[*c as usize] += 1;
                }
            }
            // A 0/1 column with share p: mean p, standard deviation √(p (1 − p)).
            stats.extend(counts.iter().map(|&c| {
                let p = c as f64 / nf;
                (p, (p * (1.0 - p)).max(0.0).sqrt())
            }));
        }
        enc.mean = stats.iter().map(|s| s.0).collect();
        enc.scale = stats
            .iter()
            .map(|s| if s.1 > 0.0 { s.1 } else { 1.0 })
            .collect();
        Ok((enc, inputs))
    }

    /// Checks an encoder read from a file against what fitting can produce: known numeric and
    /// categorical features, at most `max_vocabulary` values each, finite means and positive
    /// finite scales of the right count. Returns what is wrong.
    pub fn check(&self, max_vocabulary: usize) -> std::result::Result<(), String> {
        let kind = |n: &str| crate::schema::feature(n).map(|f| f.kind);
        if self
            .numeric
            .iter()
            .any(|n| kind(n).is_none_or(|k| k == crate::schema::Kind::Categorical))
        {
            return Err("names an unknown numeric feature".into());
        }
        if self.log1p.iter().any(|n| !self.numeric.contains(n)) {
            return Err("transforms a feature it does not encode".into());
        }
        if !self.quantiles.is_empty()
            && (self.quantiles.len() != self.numeric.len()
                || self.quantiles.iter().any(|q| {
                    q.len() > QUANTILES
                        || q.iter().any(|v| !v.is_finite())
                        || q.windows(2).any(|p| p[0] > p[1])
                }))
        {
            return Err("has quantiles that are not sorted numbers, one list per feature".into());
        }
        for (name, values) in &self.vocabulary {
            if kind(name) != Some(crate::schema::Kind::Categorical) {
                return Err(format!("names '{name}' as a categorical feature"));
            }
            if values.len() > max_vocabulary {
                return Err(format!(
                    "has {} values of {name}, more than the {max_vocabulary} allowed",
                    values.len()
                ));
            }
        }
        let w = self.width();
        if self.mean.len() != w || self.scale.len() != w {
            return Err("is inconsistent (its means or scales do not match its width)".into());
        }
        if self.mean.iter().any(|v| !v.is_finite())
            || self.scale.iter().any(|v| !v.is_finite() || *v <= 0.0)
        {
            return Err("has a mean that is not finite or a scale that is not positive".into());
        }
        Ok(())
    }

    /// Number of output columns.
    pub fn width(&self) -> usize {
        self.numeric.len() + self.vocabulary.iter().map(|(_, v)| v.len()).sum::<usize>()
    }

    /// The names of the output columns (`service=http` for one-hot columns).
    pub fn column_names(&self) -> Vec<String> {
        let mut names = self.numeric.clone();
        for (f, values) in &self.vocabulary {
            names.extend(values.iter().map(|v| format!("{f}={v}")));
        }
        names
    }

    fn inputs(&self, ds: &Dataset) -> Result<Inputs> {
        let numeric = self
            .numeric
            .iter()
            .map(|name| {
                let mut v = ds.f64_values(name)?;
                if let Some(q) = self
                    .numeric
                    .iter()
                    .position(|n| n == name)
                    .and_then(|j| self.quantiles.get(j))
                {
                    v.iter_mut().for_each(|x| *x = quantile_position(q, *x));
                } else if self.log1p.contains(name) {
                    v.iter_mut().for_each(|x| *x = x.ln_1p());
                }
                Ok(v)
            })
            .collect::<Result<Vec<_>>>()?;
        let codes = self
            .vocabulary
            .iter()
            .map(|(f, vocab)| {
                Ok(ds
                    .str_values(f)?
                    .map(|v| {
                        vocab
                            .binary_search_by(|x| x.as_str().cmp(v))
                            .ok()
                            .map(|i| i as u32)
                    })
                    .collect())
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Inputs { numeric, codes })
    }

    /// Encodes and standardises every row of `ds` into a row-major matrix.
    pub fn transform(&self, ds: &Dataset) -> Result<Array2<f64>> {
        self.encode(&self.inputs(ds)?, ds.rows())
    }

    fn encode(&self, inputs: &Inputs, rows: usize) -> Result<Array2<f64>> {
        let width = self.width();
        if self.mean.len() != width || self.scale.len() != width {
            return Err(Error::Usage(
                "the model's encoder is inconsistent (was the file edited?)".to_string(),
            ));
        }
        // The value of a one-hot column where the value is absent.
        let zero: Vec<f64> = (0..width).map(|j| -self.mean[j] / self.scale[j]).collect();
        let mut data = vec![0.0f64; rows * width];
        let p = self.numeric.len();
        data.par_chunks_mut(width.max(1))
            .enumerate()
            .for_each(|(i, row)| {
                for (j, col) in inputs.numeric.iter().enumerate() {
                    row[j] = (col[i] - self.mean[j]) / self.scale[j];
                }
                row[p..].copy_from_slice(&zero[p..]);
                let mut offset = p;
                for (codes, (_, vocab)) in inputs.codes.iter().zip(&self.vocabulary) {
                    if let Some(c) = codes[i] {
                        let j = offset + c as usize;
                        row[j] = (1.0 - self.mean[j]) / self.scale[j];
                    }
                    offset += vocab.len();
                }
            });
        Array2::from_shape_vec((rows, width), data)
            .map_err(|e| Error::Internal(format!("encoding: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scikit-learn 1.x: `QuantileTransformer(n_quantiles=20, subsample=10**9)` fitted on the 20
    /// values below, then `transform` of the probes (figures printed by scikit-learn, rounded to
    /// 1e-12).
    #[test]
    fn quantile_positions_equal_scikit_learn() {
        let x = [
            0., 0., 0., 1., 2., 2., 3., 5., 8., 13., 21., 34., 55., 89., 144., 0., 0., 1., 1., 2.,
        ];
        let d = crate::stats::Distribution::from_f64(&[&x]);
        let q: Vec<f64> = (0..20).map(|i| d.quantile(i as f64 / 19.0)).collect();
        let probes = [
            (-1.0, 0.0),
            (0.0, 0.0),
            (0.5, 0.236842105263),
            (1.0, 0.315789473684),
            (2.0, 0.473684210526),
            (2.5, 0.552631578947),
            (3.0, 0.578947368421),
            (4.0, 0.605263157895),
            (5.0, 0.631578947368),
            (8.0, 0.684210526316),
            (10.0, 0.705263157895),
            (13.0, 0.736842105263),
            (21.0, 0.789473684211),
            (34.0, 0.842105263158),
            (55.0, 0.894736842105),
            (89.0, 0.947368421053),
            (100.0, 0.957894736842),
            (144.0, 1.0),
            (200.0, 1.0),
        ];
        for (v, want) in probes {
            let got = quantile_position(&q, v);
            assert!((got - want).abs() < 1e-9, "{v}: {got} vs {want}");
        }
    }
}
