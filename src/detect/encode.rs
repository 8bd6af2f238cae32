//! The one encoding of records as numbers, saved with every model that uses it.
//!
//! Columns: the 38 numeric features in file order (`log1p` applied to `duration`, `src_bytes` and
//! `dst_bytes`, whose values span nine orders of magnitude), then one 0/1 column per value of
//! `protocol_type`, `service` and `flag` (values in sorted order). The vocabulary is that of the
//! whole training file (on KDDTrain+: 3 + 70 + 11 values, 122 columns in all), so that a service that
//! never occurs in normal traffic still has a column; a value the training file lacks encodes as
//! all zeros. Every column is then standardised with the mean and the standard deviation (ddof = 0)
//! of the fitting rows, a zero deviation replaced by 1.

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::load::Dataset;
use crate::schema::{self, Kind};

/// Features that are log-transformed before scaling.
pub const LOG1P: [&str; 3] = ["duration", "src_bytes", "dst_bytes"];

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
}

/// A numeric feature's values as `f64`, in row order.
pub fn numeric_column(ds: &Dataset, name: &str) -> Result<Vec<f64>> {
    let kind = schema::feature(name).map(|f| f.kind);
    Ok(if kind == Some(Kind::Rate) {
        ds.f64_chunks(name)?.concat()
    } else {
        ds.i64_chunks(name)?
            .iter()
            .flat_map(|c| c.iter().map(|&v| v as f64))
            .collect()
    })
}

impl Encoder {
    /// Fits the encoder: vocabulary from all rows of `ds`, scaling from the rows where `fit_rows`
    /// is true.
    pub fn fit(ds: &Dataset, fit_rows: &[bool]) -> Result<Encoder> {
        let numeric: Vec<String> = schema::numeric_features()
            .map(|f| f.name.to_string())
            .collect();
        let vocabulary = schema::categorical_features()
            .map(|f| {
                let mut values: Vec<String> = crate::stats::value_counts(ds.str_values(f.name)?)
                    .into_iter()
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
        };
        let raw = enc.raw(ds)?;
        let n = fit_rows.iter().filter(|f| **f).count();
        if n == 0 {
            return Err(Error::Usage(format!("{}: no rows to fit on", ds.name)));
        }
        let width = enc.width();
        let (mean, scale): (Vec<f64>, Vec<f64>) = (0..width)
            .into_par_iter()
            .map(|j| {
                let column = raw.column(j);
                let values = || {
                    column
                        .iter()
                        .zip(fit_rows)
                        .filter(|(_, f)| **f)
                        .map(|(v, _)| *v)
                };
                let mean = values().sum::<f64>() / n as f64;
                let var = values().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
                let sd = var.sqrt();
                (mean, if sd > 0.0 { sd } else { 1.0 })
            })
            .unzip();
        enc.mean = mean;
        enc.scale = scale;
        Ok(enc)
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

    /// The unscaled encoding (log1p and one-hot applied).
    fn raw(&self, ds: &Dataset) -> Result<Array2<f64>> {
        let rows = ds.rows();
        let mut m = Array2::<f64>::zeros((rows, self.width()));
        for (j, name) in self.numeric.iter().enumerate() {
            let values = numeric_column(ds, name)?;
            let log = self.log1p.contains(name);
            for (i, v) in values.into_iter().enumerate() {
                m[[i, j]] = if log { v.ln_1p() } else { v };
            }
        }
        let mut offset = self.numeric.len();
        for (f, vocab) in &self.vocabulary {
            for (i, v) in ds.str_values(f)?.enumerate() {
                if let Ok(k) = vocab.binary_search_by(|x| x.as_str().cmp(v)) {
                    m[[i, offset + k]] = 1.0;
                }
            }
            offset += vocab.len();
        }
        Ok(m)
    }

    /// Encodes and standardises every row of `ds`.
    pub fn transform(&self, ds: &Dataset) -> Result<Array2<f64>> {
        if self.mean.len() != self.width() || self.scale.len() != self.width() {
            return Err(Error::Usage(
                "the model's encoder is inconsistent (was the file edited?)".to_string(),
            ));
        }
        let mut m = self.raw(ds)?;
        let width = self.width().max(1);
        if let Some(data) = m.as_slice_mut() {
            data.par_chunks_mut(width).for_each(|row| {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = (*v - self.mean[j]) / self.scale[j];
                }
            });
        }
        Ok(m)
    }
}
