//! Explanations: which features drive a record's score.
//!
//! A model gives each of its input columns a part of the score of one row ([`Contributions`],
//! defined in each model's module documentation); this module adds up the parts of the columns of
//! one feature (the one-hot columns of `service`, say), keeps the `n` features with the largest
//! absolute parts, and gives each its **share**: its part divided by the sum of the absolute parts
//! of all features (so the shares of all features add up to 1 in absolute value; a negative share
//! pulls the score down).
//!
//! Each reason also gives the record's value and the feature's **typical value** in the model's
//! training data: for a numeric feature the centre of its encoding, brought back to the feature's
//! scale (the inverse `log1p` of the fitting rows' mean of `log1p(x)`, or the median for the
//! quantile transform; the z-score detector's own centre); for a categorical one the value most
//! frequent among the fitting rows (the one-hot column with the largest mean).

use serde::Serialize;

use super::encode::Encoder;
use crate::error::Result;
use crate::load::Dataset;

/// A model's parts of one row's score.
#[derive(Debug, Clone, PartialEq)]
pub enum Contributions {
    /// The model has no explanation.
    None,
    /// One part per encoded column.
    Columns(Vec<f64>),
    /// Parts per raw feature, with the feature's typical value (detectors without an encoder).
    Features(Vec<(String, f64, f64)>),
}

/// One reason of a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// The feature.
    pub feature: String,
    /// The record's value.
    pub value: serde_json::Value,
    /// The typical value in the training data.
    pub typical: serde_json::Value,
    /// The feature's share of the score.
    pub share: f64,
    /// The member of an ensemble or hybrid it comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

/// The features of an encoding: each column's feature, each feature's name and typical value.
#[derive(Debug, Clone)]
struct Columns {
    of_column: Vec<usize>,
    names: Vec<String>,
    typical: Vec<serde_json::Value>,
}

/// The feature of each encoded column, and its typical value.
fn columns(e: &Encoder) -> Columns {
    let mut of_column = Vec::with_capacity(e.width());
    let mut names = Vec::new();
    let mut typical = Vec::new();
    for (j, name) in e.numeric.iter().enumerate() {
        of_column.push(names.len());
        let centre = e.mean.get(j).copied().unwrap_or(0.0);
        let t = if let Some(q) = e.quantiles.get(j).filter(|q| !q.is_empty()) {
            q[q.len() / 2]
        } else if e.log1p.contains(name) {
            centre.exp_m1()
        } else {
            centre
        };
        names.push(name.clone());
        typical.push(number(t));
    }
    let mut at = e.numeric.len();
    for (name, vocab) in &e.vocabulary {
        let mut best: Option<(f64, &str)> = None;
        for (k, v) in vocab.iter().enumerate() {
            of_column.push(names.len());
            let m = e.mean.get(at + k).copied().unwrap_or(0.0);
            if best.is_none_or(|(b, _)| m > b) {
                best = Some((m, v));
            }
        }
        at += vocab.len();
        names.push(name.clone());
        typical.push(best.map_or(serde_json::Value::Null, |(_, v)| v.into()));
    }
    Columns {
        of_column,
        names,
        typical,
    }
}

fn number(x: f64) -> serde_json::Value {
    let r = (x * 1e6).round() / 1e6;
    serde_json::Number::from_f64(r).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// Builds the reasons of many rows of one dataset: the encoder's columns are read once, and
/// each feature's values once, when a reason first names it.
pub struct Explainer<'a> {
    encoded: Option<Columns>,
    ds: &'a Dataset,
    values: std::collections::HashMap<String, Vec<serde_json::Value>>,
}

impl<'a> Explainer<'a> {
    /// An explainer of rows of `ds` for a model with this encoder.
    pub fn new(encoder: Option<&'a Encoder>, ds: &'a Dataset) -> Explainer<'a> {
        Explainer {
            encoded: encoder.map(columns),
            ds,
            values: Default::default(),
        }
    }

    fn value(&mut self, feature: &str, row: usize) -> Result<serde_json::Value> {
        if !self.values.contains_key(feature) {
            let categorical = crate::schema::FEATURES
                .iter()
                .any(|f| f.name == feature && f.kind == crate::schema::Kind::Categorical);
            let column: Vec<serde_json::Value> = if categorical {
                self.ds.str_values(feature)?.map(|v| v.into()).collect()
            } else {
                self.ds
                    .f64_values(feature)?
                    .into_iter()
                    .map(number)
                    .collect()
            };
            self.values.insert(feature.to_string(), column);
        }
        Ok(self.values[feature]
            .get(row)
            .cloned()
            .unwrap_or(serde_json::Value::Null))
    }

    /// The `n` features with the largest parts in `c` (see the module documentation) for row
    /// `row`.
    pub fn reasons(&mut self, c: &Contributions, row: usize, n: usize) -> Result<Vec<Reason>> {
        let picked: Vec<(String, serde_json::Value, f64)> = match (c, &self.encoded) {
            (Contributions::None, _) | (Contributions::Columns(_), None) => return Ok(Vec::new()),
            (Contributions::Features(f), _) => {
                let parts: Vec<f64> = f.iter().map(|(_, p, _)| *p).collect();
                top(&parts, n)
                    .into_iter()
                    .map(|(i, share)| (f[i].0.clone(), number(f[i].2), share))
                    .collect()
            }
            (Contributions::Columns(cols), Some(e)) => {
                let mut sums = vec![0.0; e.names.len()];
                for (j, &p) in cols.iter().enumerate() {
                    if let Some(&f) = e.of_column.get(j) {
                        sums[f] += p;
                    }
                }
                top(&sums, n)
                    .into_iter()
                    .map(|(i, share)| (e.names[i].clone(), e.typical[i].clone(), share))
                    .collect()
            }
        };
        picked
            .into_iter()
            .map(|(feature, typical, share)| {
                Ok(Reason {
                    value: self.value(&feature, row)?,
                    feature,
                    typical,
                    share: (share * 1e6).round() / 1e6,
                    member: None,
                })
            })
            .collect()
    }
}

/// The `n` features with the largest parts in `c` for row `row` of `ds` (one row; many rows:
/// [`Explainer`]).
pub fn reasons(
    c: &Contributions,
    encoder: Option<&Encoder>,
    ds: &Dataset,
    row: usize,
    n: usize,
) -> Result<Vec<Reason>> {
    Explainer::new(encoder, ds).reasons(c, row, n)
}

/// The indices of the `n` largest parts by absolute value (ties: the first), with their shares.
pub fn top(parts: &[f64], n: usize) -> Vec<(usize, f64)> {
    let total: f64 = parts.iter().map(|p| p.abs()).sum();
    if total <= 0.0 || !total.is_finite() {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..parts.len()).filter(|&i| parts[i] != 0.0).collect();
    let by = |a: &usize, b: &usize| parts[*b].abs().total_cmp(&parts[*a].abs()).then(a.cmp(b));
    if order.len() > n {
        order.select_nth_unstable_by(n, by);
        order.truncate(n);
    }
    order.sort_by(by);
    order.into_iter().map(|i| (i, parts[i] / total)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_parts_over_the_sum_of_absolute_parts() {
        // Hand-worked: parts 3, -1, 0, 6 -> total 10 -> 0.6, 0.3, -0.1.
        let parts = [3.0, -1.0, 0.0, 6.0];
        assert_eq!(top(&parts, 3), vec![(3, 0.6), (0, 0.3), (1, -0.1)]);
        assert_eq!(top(&parts, 2), vec![(3, 0.6), (0, 0.3)]);
        assert_eq!(top(&parts, 10).len(), 3, "a zero part is no reason");
        assert!(top(&[0.0], 3).is_empty());
    }
}
