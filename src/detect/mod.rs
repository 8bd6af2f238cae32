//! Detection stage: anomaly detectors fitted on normal traffic, saved as versioned JSON models.
//!
//! Every detector gives each record a score, higher meaning more anomalous, and carries a threshold
//! calibrated on its fitting rows at a false-alarm rate (`far`, 1% by default: the 99th percentile of
//! the fitting scores, numpy's linear method); a record is anomalous when its score exceeds it.
//! Detectors are fitted on the `normal` rows of the training file unless asked to use all rows.

/// The encoding lives in the model layer; its old path stays.
pub use crate::model::encode;
pub mod ensemble;
pub mod gmm;
pub mod iforest;
pub mod kmeans;
pub mod tune;
pub mod zscore;

use std::path::Path;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::load::Dataset;
use crate::model::{self, Detect, FitData, Hyperparams, ScoreData};
use crate::schema::{self, Category};
use crate::stats::Distribution;
use encode::Encoder;

/// The model file format's name.
pub const FORMAT: &str = "kddstat-model";
/// The model file format's version written. Version 1 held every detector's parameters in one
/// flat object; version 2 holds only those of its detector (an ensemble's members each their
/// own). Both are read; a later version is refused.
pub const FORMAT_VERSION: u32 = 2;
/// The largest model file read, in bytes (a fitted model of the default detectors is under 5 MB;
/// a forest of 10,000 trees about 300 MB would be refused).
pub const MAX_MODEL_BYTES: u64 = 256 << 20;
pub use crate::model::MAX_VOCABULARY;

/// Points of a member's score distribution kept for rank normalisation in an ensemble.
pub(crate) const ECDF_POINTS: usize = 1001;

/// Generates the detector family from one list: the name enum (the command line's and the model
/// file's ids), the parameter enum (each model's own struct, tagged by `detector`), the fitted-state
/// enum (tagged by `kind`) and their dispatch. Adding a detector is a file implementing
/// [`Detect`] plus one line here.
macro_rules! detectors {
    ($($(#[$doc:meta])* $name:ident = $id:literal : $state:ty,)+) => {
        model::name_enum! {
            /// The detectors.
            DetectorName { $($(#[$doc])* $name = $id,)+ }
        }

        impl DetectorName {
            /// The detector's default parameters.
            pub fn defaults(self) -> Params {
                match self {
                    $(DetectorName::$name => Params::$name(Default::default()),)+
                }
            }
        }

        /// A detector's parameters (only those that apply to it).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "detector", rename_all = "lowercase")]
        pub enum Params {
            $($(#[$doc])* $name(<$state as Detect>::Params),)+
        }

        impl Params {
            /// Which detector.
            pub fn name(&self) -> DetectorName {
                match self {
                    $(Params::$name(_) => DetectorName::$name,)+
                }
            }

            /// Checks every parameter.
            pub fn check(&self) -> Result<()> {
                match self {
                    $(Params::$name(p) => p.check(),)+
                }
            }

            /// A short label for people.
            pub fn label(&self) -> String {
                match self {
                    $(Params::$name(p) => p.label(),)+
                }
            }

            /// The transform of the encoding the detector reads (`None`: raw values).
            pub fn encoding(&self) -> Option<encode::Transform> {
                match self {
                    $(Params::$name(p) => <$state as Detect>::encoding(p),)+
                }
            }

            /// Mixtures (or models) in a seed ensemble; 1 for one model.
            pub fn seeds(&self) -> usize {
                match self {
                    $(Params::$name(p) => <$state as Detect>::seeds(p),)+
                }
            }

            /// Checks the parameters and fits the detector on `data`.
            pub fn fit(&self, data: &FitData<'_>) -> Result<Fitted> {
                self.check()?;
                match self {
                    $(Params::$name(p) => fit_seeded::<$state>(p, data, Fitted::$name),)+
                }
            }
        }

        /// A fitted detector's state.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "lowercase")]
        pub enum Fitted {
            $($(#[$doc])* $name($state),)+
        }

        impl Fitted {
            /// Scores every row.
            pub fn score(&self, data: &ScoreData<'_>) -> Result<Vec<f64>> {
                match self {
                    $(Fitted::$name(d) => Detect::score(d, data),)+
                }
            }

            /// Checks a state read from a file against the encoding width.
            pub fn check(&self, width: Option<usize>) -> std::result::Result<(), String> {
                match self {
                    $(Fitted::$name(d) => Detect::check(d, width),)+
                }
            }

            /// Each input column's part in the score of each of `rows`.
            pub fn explain(
                &self,
                data: &ScoreData<'_>,
                rows: &[usize],
            ) -> Result<Vec<model::explain::Contributions>> {
                match self {
                    $(Fitted::$name(d) => Detect::explain(d, data, rows),)+
                }
            }
        }
    };
}

detectors! {
    /// Mean (or maximum) absolute z-score of the raw numeric features.
    Zscore = "zscore": zscore::ZScore,
    /// Distance to the nearest k-means centroid.
    Kmeans = "kmeans": kmeans::KMeansDetector,
    /// Negative log-likelihood under a Gaussian mixture.
    Gmm = "gmm": gmm::Gmm,
    /// Isolation Forest.
    Iforest = "iforest": iforest::IsolationForest,
    /// Mean of the members' rank-normalised scores.
    Ensemble = "ensemble": ensemble::Ensemble,
}

/// The reasons of the scores of `rows` of `ds` (the `n` features with the largest parts), by
/// the detector's definition ([`Detect::explain`]).
pub fn explain(
    model: &Model,
    ds: &Dataset,
    rows: &[usize],
    n: usize,
) -> Result<Vec<Vec<model::explain::Reason>>> {
    let encoded = model.encode(ds)?;
    explain_encoded(model, ds, encoded.as_ref(), rows, n)
}

/// [`explain`] given the rows of `ds` encoded by the model's encoder (`None` without one).
pub fn explain_encoded(
    model: &Model,
    ds: &Dataset,
    encoded: Option<&Array2<f64>>,
    rows: &[usize],
    n: usize,
) -> Result<Vec<Vec<model::explain::Reason>>> {
    let data = ScoreData { ds, encoded };
    let parts = model.detector.explain(&data, rows)?;
    let mut explainer = model::explain::Explainer::new(model.encoder.as_ref(), ds);
    rows.iter()
        .zip(&parts)
        .map(|(&r, c)| explainer.reasons(c, r, n))
        .collect()
}

/// Fits one detector, or a seed ensemble of it when its parameters ask for several seeds.
fn fit_seeded<D: Detect>(
    p: &D::Params,
    data: &FitData<'_>,
    wrap: fn(D) -> Fitted,
) -> Result<Fitted> {
    let n = D::seeds(p);
    if n <= 1 {
        return Ok(wrap(D::fit(p, data)?));
    }
    // Fitted with seeds seed, seed + 1, ..., their scores rank-normalised on the fitting rows and
    // averaged, so one seed's luck cannot move the result much.
    let members = (0..n)
        .map(|i| {
            let one = FitData {
                seed: data.seed.wrapping_add(i as u64),
                ..*data
            };
            ensemble::Member::of(wrap(D::fit(p, &one)?), data)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Fitted::Ensemble(ensemble::Ensemble { members }))
}

/// The parameters of a fit: those every detector shares, and the detector's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// Fit on every row instead of the normal ones.
    pub fit_on_all: bool,
    /// False-alarm rate the threshold is calibrated to.
    pub far: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// The detector and its parameters.
    #[serde(flatten)]
    pub params: Params,
}

impl FitOptions {
    /// The defaults for a detector (false-alarm rate 1%, seed 42, the normal rows).
    pub fn new(params: Params) -> FitOptions {
        FitOptions {
            fit_on_all: false,
            far: 0.01,
            seed: 42,
            params,
        }
    }

    /// Which detector.
    pub fn detector(&self) -> DetectorName {
        self.params.name()
    }

    /// Checks the shared parameters and the detector's.
    pub fn check(&self) -> Result<()> {
        if !(self.far > 0.0 && self.far < 1.0) {
            return model::invalid("far", self.far, "must be in (0, 1)");
        }
        self.params.check()
    }
}

impl From<DetectorName> for FitOptions {
    fn from(d: DetectorName) -> FitOptions {
        FitOptions::new(d.defaults())
    }
}

/// Where a model was fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// The training file as named.
    pub file: String,
    /// SHA-256 of its (decompressed) bytes.
    pub sha256: String,
    /// Its rows.
    pub rows: usize,
    /// Rows the detector was fitted on.
    pub fit_rows: usize,
    /// Quantiles 0, 0.001, ..., 1 of the scores on the fitting rows: a score's percentile among
    /// them puts every detector on one scale (empty in models written before they were kept).
    #[serde(default)]
    pub quantiles: Vec<f64>,
    /// How the training file was sampled, when the model was fitted on a sample of it
    /// (`fit --sample`); absent when fitted on the whole file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampled: Option<Sampled>,
}

impl Training {
    /// Records that the fit was on a sample of the training file (`None`: on all of it): `rows`
    /// becomes the file's.
    pub fn record_sample(&mut self, sampled: Option<Sampled>) {
        if let Some(s) = &sampled {
            self.rows = usize::try_from(s.file_rows).unwrap_or(usize::MAX);
        }
        self.sampled = sampled;
    }
}

/// A training file sampled for a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sampled {
    /// The rows the file has (`rows` of [`Training`] is this too; `fit_rows` are of the sample).
    pub file_rows: u64,
    /// The seed of the reservoir's draws.
    pub seed: u64,
}

/// A fitted model, as saved by `kddstat fit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`FORMAT_VERSION`] when written by this kddstat.
    pub format_version: u32,
    /// The 41 feature names of the schema the model was fitted with.
    pub features: Vec<String>,
    /// The parameters.
    pub parameters: FitOptions,
    /// The encoder (absent for the z-score detector, which uses raw values).
    pub encoder: Option<Encoder>,
    /// The fitted state.
    pub detector: Fitted,
    /// Scores above this are anomalous.
    pub threshold: f64,
    /// The training data.
    pub training: Training,
    /// The file the model was read from (not saved).
    #[serde(skip)]
    pub source: Option<String>,
}

pub use crate::output::sha256_hex;

/// The bytes of a model file (detector or classifier) and its name as shown, refusing a file
/// larger than [`MAX_MODEL_BYTES`] before reading it.
pub fn read_model_file(path: &Path) -> Result<(String, Vec<u8>)> {
    crate::load::source::read_small(path, MAX_MODEL_BYTES, "model or state file")
}

/// Rows of `x` where `keep` is true.
fn select_rows(x: &Array2<f64>, keep: &[bool]) -> Array2<f64> {
    let rows: Vec<usize> = (0..x.nrows()).filter(|&i| keep[i]).collect();
    x.select(ndarray::Axis(0), &rows)
}

/// The share of the fitting scores at or below `s`, interpolated between stored quantiles.
pub(crate) fn ecdf(quantiles: &[f64], s: f64) -> f64 {
    let n = quantiles.len();
    if n < 2 {
        return 0.5;
    }
    let i = quantiles.partition_point(|q| *q <= s);
    if i == 0 {
        return 0.0;
    }
    if i == n {
        return 1.0;
    }
    let (lo, hi) = (quantiles[i - 1], quantiles[i]);
    let frac = if hi > lo { (s - lo) / (hi - lo) } else { 0.0 };
    ((i - 1) as f64 + frac) / (n - 1) as f64
}

pub(crate) fn quantiles_of(scores: &[f64], points: usize) -> Vec<f64> {
    let d = Distribution::from_f64(&[scores]);
    (0..points)
        .map(|i| d.quantile(i as f64 / (points - 1) as f64))
        .collect()
}

/// Which rows a detector is fitted on.
pub fn fit_rows(ds: &Dataset, all: bool) -> Result<Vec<bool>> {
    Ok(ds
        .str_values(schema::CATEGORY)?
        .map(|c| all || c == Category::Normal.as_str())
        .collect())
}

/// The encoding of a training file, shared by the detectors fitted on it.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Which rows are fitted on.
    pub rows: Vec<bool>,
    /// The encoder fitted on those rows.
    pub encoder: Encoder,
    /// Every row encoded.
    pub all: Array2<f64>,
    /// The fitting rows encoded.
    pub fit: Array2<f64>,
}

impl Prepared {
    /// Fits the encoder on the rows `fit_on_all` selects and encodes the file.
    pub fn new(ds: &Dataset, fit_on_all: bool, transform: encode::Transform) -> Result<Prepared> {
        Self::on_rows(ds, fit_rows(ds, fit_on_all)?, transform)
    }

    /// Fits the encoder on the given rows (`rows[i]`: row i is fitted on) and encodes the file.
    pub fn on_rows(
        ds: &Dataset,
        rows: Vec<bool>,
        transform: encode::Transform,
    ) -> Result<Prepared> {
        let (encoder, all) = Encoder::fit_transform_with(ds, &rows, transform)?;
        let fit = select_rows(&all, &rows);
        Ok(Prepared {
            rows,
            encoder,
            all,
            fit,
        })
    }
}

/// Fits a model on `ds`, whose decompressed bytes hash to `sha256`.
pub fn fit(ds: &Dataset, sha256: String, o: &FitOptions) -> Result<Model> {
    o.check()?;
    let prepared = match o.params.encoding() {
        Some(t) => Some(Prepared::new(ds, o.fit_on_all, t)?),
        None => None,
    };
    fit_prepared(ds, sha256, o, prepared.as_ref())
}

/// Fits several detectors on `ds` (whose decompressed bytes hash to `sha256`), encoding the file
/// once for all those that need it. `on_fit` hears of each fit as it starts (its index and
/// options), for a progress display.
pub fn fit_many(
    ds: &Dataset,
    sha256: &str,
    options: &[FitOptions],
    on_fit: &(dyn Fn(usize, &FitOptions) + Sync),
) -> Result<Vec<Model>> {
    // At most four encodings: fitted on the normal rows or all of them, log1p or quantiles.
    let mut prepared: [Option<Prepared>; 4] = [None, None, None, None];
    let mut models = Vec::with_capacity(options.len());
    for (i, o) in options.iter().enumerate() {
        on_fit(i, o);
        o.check()?;
        let transform = o.params.encoding();
        let slot = usize::from(o.fit_on_all)
            + 2 * usize::from(transform == Some(encode::Transform::Quantile));
        if let Some(t) = transform
            && prepared[slot].is_none()
        {
            prepared[slot] = Some(Prepared::new(ds, o.fit_on_all, t)?);
        }
        models.push(fit_prepared(
            ds,
            sha256.to_string(),
            o,
            prepared[slot].as_ref(),
        )?);
    }
    Ok(models)
}

/// Fits a model with an encoding prepared beforehand (it must use the same `fit_on` choice; a
/// detector of raw values takes its fitting rows from it when given one).
pub fn fit_prepared(
    ds: &Dataset,
    sha256: String,
    o: &FitOptions,
    prepared: Option<&Prepared>,
) -> Result<Model> {
    o.check()?;
    let rows = match prepared {
        // The rows a prepared encoding was fitted on (all normal rows, or a subset of them).
        Some(p) => p.rows.clone(),
        _ => fit_rows(ds, o.fit_on_all)?,
    };
    let fit_count = rows.iter().filter(|r| **r).count();
    if fit_count < 2 {
        return Err(Error::Usage(format!(
            "{}: too few rows to fit on ({fit_count}); at least 2 are needed{}",
            ds.name,
            if o.fit_on_all {
                ""
            } else {
                " (few normal rows? try --fit-on all)"
            }
        )));
    }
    let prepared = match (o.params.encoding(), prepared) {
        (None, _) => None,
        (Some(t), Some(p)) if p.rows == rows && p.encoder.transform_kind() == t => Some(p),
        _ => return Err(Error::Internal("the prepared encoding does not fit".into())),
    };
    let data = FitData {
        ds,
        rows: &rows,
        fit: prepared.map(|p| &p.fit),
        all: prepared.map(|p| &p.all),
        seed: o.seed,
    };
    let detector = o.params.fit(&data)?;
    let scores = data.fit_scores(detector.score(&data.scoring())?);
    let threshold = Distribution::from_f64(&[&scores]).quantile(1.0 - o.far);
    let model = Model {
        format: FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        features: schema::FEATURES
            .iter()
            .map(|f| f.name.to_string())
            .collect(),
        parameters: o.clone(),
        encoder: prepared.map(|p| p.encoder.clone()),
        detector,
        threshold,
        training: Training {
            file: ds.name.clone(),
            sha256,
            rows: ds.rows(),
            fit_rows: fit_count,
            quantiles: quantiles_of(&scores, ECDF_POINTS),
            sampled: None,
        },
        source: None,
    };
    // A model that could not be read back is never written: refused here with the data named.
    model.validate().map_err(|why| Error::Limit {
        path: ds.name.clone(),
        message: format!(
            "the {} fitted on its {fit_count} rows is degenerate ({why}): the rows are too few \
             or too alike to fit it; fit on more varied rows",
            o.params.label()
        ),
    })?;
    Ok(model)
}

impl Model {
    /// Checks a model's fields, as read from a file or as just fitted: its encoder, parameters,
    /// fitted state, training quantiles and threshold.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let width = match &self.encoder {
            Some(e) => {
                e.check(MAX_VOCABULARY)
                    .map_err(|why| format!("its encoder {why}"))?;
                Some(e.width())
            }
            None => None,
        };
        self.parameters
            .check()
            .map_err(|e| format!("its parameters: {e}"))?;
        self.detector.check(width)?;
        let q = &self.training.quantiles;
        if q.iter().any(|v| !v.is_finite()) || q.windows(2).any(|p| p[0] > p[1]) {
            return Err("its training quantiles are not sorted numbers".to_string());
        }
        if !self.threshold.is_finite() {
            return Err("its threshold is not a number".to_string());
        }
        Ok(())
    }

    /// The percentile (0 to 100) of `score` among the scores of the fitting rows, interpolated
    /// between stored quantiles; `None` for a model saved without them.
    pub fn percentile(&self, score: f64) -> Option<f64> {
        (self.training.quantiles.len() >= 2).then(|| 100.0 * ecdf(&self.training.quantiles, score))
    }

    /// The detector's stable machine id (`zscore`, `kmeans`, `gmm`, `iforest`, `ensemble`).
    pub fn id(&self) -> &'static str {
        self.parameters.detector().as_str()
    }

    /// The parameters that apply to this detector, named as in the model file (for machine
    /// output: `evaluate --format json`, `summary.json`); an ensemble's members as a list of
    /// objects, each naming its `detector`.
    pub fn parameters(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(&self.parameters) {
            Ok(serde_json::Value::Object(mut m)) => {
                m.remove("detector");
                m
            }
            _ => serde_json::Map::new(),
        }
    }

    /// A short name for people: the detector and its main parameter.
    pub fn label(&self) -> String {
        self.parameters.params.label()
    }

    /// Scores every row of `ds`. A score that is not a finite number is an error, never a
    /// result.
    pub fn score(&self, ds: &Dataset) -> Result<Vec<f64>> {
        let encoded = match &self.encoder {
            Some(e) => Some(e.transform(ds)?),
            None => None,
        };
        let scores = self.detector.score(&ScoreData {
            ds,
            encoded: encoded.as_ref(),
        })?;
        if let Some(row) = scores.iter().position(|s| !s.is_finite()) {
            return Err(Error::Model {
                path: self
                    .source
                    .clone()
                    .unwrap_or_else(|| "the model".to_string()),
                message: format!(
                    "the score of {} line {} is not a finite number: the model cannot be used \
                     (damaged or edited?)",
                    ds.name,
                    ds.lines.get(row).copied().unwrap_or(0)
                ),
            });
        }
        Ok(scores)
    }

    /// The rows of `ds` encoded by the model's encoder (`None` for a detector without one).
    pub fn encode(&self, ds: &Dataset) -> Result<Option<Array2<f64>>> {
        self.encoder.as_ref().map(|e| e.transform(ds)).transpose()
    }

    /// Scores every row of `ds` given its encoding by this model's encoder.
    pub fn score_encoded(&self, ds: &Dataset, encoded: Option<&Array2<f64>>) -> Result<Vec<f64>> {
        self.detector.score(&ScoreData { ds, encoded })
    }

    /// Whether the model needs the encoding.
    pub fn needs_encoding(&self) -> bool {
        self.parameters.params.encoding().is_some()
    }

    /// Reads and checks a model file.
    pub fn read(path: &Path) -> Result<Model> {
        let (shown, bytes) = read_model_file(path)?;
        Self::parse(&shown, &bytes)
    }

    /// Reads a model from the bytes of a model file named `shown` and validates every field (see
    /// [`Model::read`]).
    pub fn parse(shown: &str, bytes: &[u8]) -> Result<Model> {
        let shown = shown.to_string();
        // The header first, without building the rest (serde skips what it does not name).
        #[derive(Deserialize)]
        struct Header {
            format: Option<serde_json::Value>,
            format_version: Option<serde_json::Value>,
        }
        let header: Header = serde_json::from_slice(bytes).map_err(|e| Error::Model {
            path: shown.clone(),
            message: format!("not a JSON file ({e})"),
        })?;
        if header.format.as_ref().and_then(|v| v.as_str()) != Some(FORMAT) {
            return Err(Error::Model {
                path: shown,
                message: "not a kddstat model file".to_string(),
            });
        }
        match header.format_version.as_ref().and_then(|v| v.as_u64()) {
            Some(v) if (1..=u64::from(FORMAT_VERSION)).contains(&v) => {}
            Some(v) => {
                return Err(Error::Model {
                    path: shown,
                    message: format!(
                        "model format version {v}; this kddstat reads versions 1 to {FORMAT_VERSION}: fit it again"
                    ),
                });
            }
            None => {
                return Err(Error::Model {
                    path: shown,
                    message: "no format version".to_string(),
                });
            }
        }
        let mut model: Model = serde_json::from_slice(bytes).map_err(|e| Error::Model {
            path: shown.clone(),
            message: format!("damaged or edited ({e})"),
        })?;
        model.source = Some(shown.clone());
        let ours: Vec<&str> = schema::FEATURES.iter().map(|f| f.name).collect();
        if model.features.iter().map(String::as_str).ne(ours) {
            return Err(Error::Model {
                path: shown,
                message: "fitted on another schema (its feature names differ)".to_string(),
            });
        }
        model.validate().map_err(|why| Error::Model {
            path: shown,
            message: format!("damaged or edited ({why})"),
        })?;
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdf_interpolates() {
        let q = [0.0, 1.0, 2.0];
        assert_eq!(ecdf(&q, -1.0), 0.0);
        assert_eq!(ecdf(&q, 0.5), 0.25);
        assert_eq!(ecdf(&q, 2.0), 1.0);
        assert_eq!(ecdf(&q, 3.0), 1.0);
    }

    #[test]
    fn sha256_of_abc() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
