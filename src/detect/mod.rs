//! Detection stage: anomaly detectors fitted on normal traffic, saved as versioned JSON models.
//!
//! Every detector gives each record a score, higher meaning more anomalous, and carries a threshold
//! calibrated on its fitting rows at a false-alarm rate (`far`, 1% by default: the 99th percentile of
//! the fitting scores, numpy's linear method); a record is anomalous when its score exceeds it.
//! Detectors are fitted on the `normal` rows of the training file unless asked to use all rows.

pub mod encode;
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
use crate::schema::{self, Category};
use crate::stats::Distribution;
use encode::Encoder;

/// The model file format's name.
pub const FORMAT: &str = "kddstat-model";
/// The model file format's version; a file of another version is refused.
pub const FORMAT_VERSION: u32 = 1;
/// The largest model file read, in bytes (a fitted model of the default detectors is under 5 MB;
/// a forest of 10,000 trees about 300 MB would be refused).
pub const MAX_MODEL_BYTES: u64 = 256 << 20;
/// The largest vocabulary of one categorical feature in an encoder (NSL-KDD has 70 services);
/// fitting keeps the most frequent values up to it and encodes the others as none of them.
pub const MAX_VOCABULARY: usize = 1024;
/// The smallest variance a diagonal mixture component may have (fitting adds `reg_covar`, 1e-6).
const MIN_VARIANCE: f64 = 1e-9;

/// Points of a member's score distribution kept for rank normalisation in an ensemble.
const ECDF_POINTS: usize = 1001;

/// The detectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DetectorName {
    /// Mean (or maximum) absolute z-score of the raw numeric features.
    Zscore,
    /// Distance to the nearest k-means centroid.
    Kmeans,
    /// Negative log-likelihood under a Gaussian mixture.
    Gmm,
    /// Isolation Forest.
    Iforest,
    /// Mean of the members' rank-normalised scores.
    Ensemble,
}

impl DetectorName {
    /// The name as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            DetectorName::Zscore => "zscore",
            DetectorName::Kmeans => "kmeans",
            DetectorName::Gmm => "gmm",
            DetectorName::Iforest => "iforest",
            DetectorName::Ensemble => "ensemble",
        }
    }
}

/// Parameters of a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// Which detector.
    pub detector: DetectorName,
    /// Fit on every row instead of the normal ones.
    pub fit_on_all: bool,
    /// False-alarm rate the threshold is calibrated to.
    pub far: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// z-score: how |z| are combined.
    pub aggregate: zscore::Aggregate,
    /// z-score: median and MAD.
    pub robust: bool,
    /// k-means: clusters.
    pub k: usize,
    /// k-means: initialisations.
    pub n_init: usize,
    /// k-means: which implementation.
    pub kmeans_engine: kmeans::Engine,
    /// GMM: components.
    pub components: usize,
    /// How the numeric features are transformed in the encoding (`log1p` in models saved before
    /// it was recorded).
    #[serde(default)]
    pub transform: encode::Transform,
    /// Variance floor of the GMM (1e-6 in models saved before it was recorded).
    #[serde(default = "old_reg_covar")]
    pub reg_covar: f64,
    /// GMMs fitted with seeds `seed`, `seed + 1`, ... whose rank-normalised scores are averaged.
    #[serde(default = "one")]
    pub seeds: usize,
    /// GMM: covariance structure.
    pub covariance: gmm::Covariance,
    /// Isolation Forest: trees.
    pub trees: usize,
    /// Isolation Forest: rows per tree.
    pub sample: usize,
    /// Ensemble: its members.
    pub members: Vec<DetectorName>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            detector: DetectorName::Zscore,
            fit_on_all: false,
            far: 0.01,
            seed: 42,
            aggregate: zscore::Aggregate::Mean,
            robust: false,
            k: 8,
            n_init: 1,
            kmeans_engine: kmeans::Engine::Native,
            components: 8,
            reg_covar: gmm::REG_COVAR,
            seeds: 1,
            transform: encode::Transform::Log1p,
            covariance: gmm::Covariance::Diag,
            trees: 100,
            sample: 256,
            members: vec![
                DetectorName::Zscore,
                DetectorName::Kmeans,
                DetectorName::Gmm,
                DetectorName::Iforest,
            ],
        }
    }
}

fn old_reg_covar() -> f64 {
    gmm::OLD_REG_COVAR
}

fn one() -> usize {
    1
}

/// A fitted detector's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Fitted {
    /// z-score.
    Zscore(zscore::ZScore),
    /// k-means.
    Kmeans(kmeans::KMeansDetector),
    /// Gaussian mixture.
    Gmm(gmm::Gmm),
    /// Isolation Forest.
    Iforest(iforest::IsolationForest),
    /// Ensemble of members, each with points of its fitting-score distribution.
    Ensemble {
        /// The members.
        members: Vec<Member>,
    },
}

/// A member of an ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// Its state.
    pub detector: Box<Fitted>,
    /// Quantiles 0, 0.001, ..., 1 of its scores on the fitting rows.
    pub quantiles: Vec<f64>,
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
    let shown = path.display().to_string();
    let io = |source| Error::Io {
        path: shown.clone(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_MODEL_BYTES {
        return Err(Error::Model {
            path: shown,
            message: format!(
                "{size} bytes: larger than the {MAX_MODEL_BYTES} bytes a model file may have"
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    Ok((shown, bytes))
}

/// Whether a detector needs the encoding.
pub fn needs_encoding(d: DetectorName, members: &[DetectorName]) -> bool {
    match d {
        DetectorName::Zscore => false,
        DetectorName::Ensemble => members.iter().any(|m| needs_encoding(*m, &[])),
        _ => true,
    }
}

/// Rows of `x` where `keep` is true.
fn select_rows(x: &Array2<f64>, keep: &[bool]) -> Array2<f64> {
    let rows: Vec<usize> = (0..x.nrows()).filter(|&i| keep[i]).collect();
    x.select(ndarray::Axis(0), &rows)
}

fn fit_one(
    name: DetectorName,
    ds: &Dataset,
    fit_rows: &[bool],
    encoded_fit: Option<&Array2<f64>>,
    o: &FitOptions,
) -> Result<Fitted> {
    let x = || encoded_fit.ok_or_else(|| Error::Internal("the encoding is missing".to_string()));
    Ok(match name {
        DetectorName::Zscore => {
            Fitted::Zscore(zscore::ZScore::fit(ds, fit_rows, o.aggregate, o.robust)?)
        }
        DetectorName::Kmeans => Fitted::Kmeans(kmeans::KMeansDetector::fit_with(
            x()?,
            o.k,
            o.seed,
            o.n_init,
            o.kmeans_engine,
        )?),
        DetectorName::Gmm => Fitted::Gmm(gmm::Gmm::fit_best(
            x()?,
            o.components,
            o.seed,
            o.covariance,
            o.reg_covar,
            o.n_init,
        )?),
        DetectorName::Iforest => Fitted::Iforest(iforest::IsolationForest::fit(
            x()?,
            o.trees,
            o.sample,
            o.seed,
        )?),
        DetectorName::Ensemble => {
            return Err(Error::Usage(
                "an ensemble cannot be a member of an ensemble".into(),
            ));
        }
    })
}

impl Fitted {
    /// Checks the state's dimensions against the encoding width (`None` without an encoder).
    fn check(&self, width: Option<usize>) -> std::result::Result<(), String> {
        let need = |w: Option<usize>| w.ok_or_else(|| "it has no encoder".to_string());
        match self {
            Fitted::Zscore(z) => {
                let bad = |c: f64, s: f64| !c.is_finite() || !s.is_finite() || s <= 0.0;
                if z.features.is_empty() {
                    return Err("its z-score detector has no feature".into());
                }
                if z.features.iter().any(|(n, c, s)| {
                    schema::feature(n).is_none_or(|f| f.kind == schema::Kind::Categorical)
                        || bad(*c, *s)
                }) {
                    return Err("a z-score feature is unknown or has no positive scale".into());
                }
            }
            Fitted::Kmeans(k) => {
                let w = need(width)?;
                if k.centroids.is_empty() || k.centroids.iter().any(|c| c.len() != w) {
                    return Err("its centroids do not match its encoder".into());
                }
                if k.centroids.iter().flatten().any(|v| !v.is_finite()) {
                    return Err("a centroid is not finite".into());
                }
            }
            Fitted::Gmm(g) => {
                let w = need(width)?;
                let per = match g.covariance {
                    gmm::Covariance::Diag => w,
                    gmm::Covariance::Full => w * w,
                };
                let ok = g.components > 0
                    && [
                        g.weights.len(),
                        g.means.len(),
                        g.spread.len(),
                        g.log_norm.len(),
                    ]
                    .iter()
                    .all(|&n| n == g.components)
                    && g.means.iter().all(|m| m.len() == w)
                    && g.spread.iter().all(|s| s.len() == per)
                    && (g.covariance == gmm::Covariance::Full
                        || g.spread.iter().flatten().all(|v| *v >= MIN_VARIANCE))
                    && g.spread.iter().flatten().all(|v| v.is_finite())
                    && g.means.iter().flatten().all(|v| v.is_finite())
                    && g.log_norm.iter().all(|v| v.is_finite())
                    && g.weights.iter().all(|x| x.is_finite() && *x > 0.0)
                    && (g.weights.iter().sum::<f64>() - 1.0).abs() < 1e-6;
                if !ok {
                    return Err("its mixture does not match its encoder".into());
                }
            }
            Fitted::Iforest(f) => {
                let w = need(width)?;
                // Children come after their parent, so no tree has a cycle.
                let ok = f.width == w
                    && f.sample >= 2
                    && f.trees == f.forest.len()
                    && !f.forest.is_empty()
                    && f.forest.iter().all(|t| {
                        !t.is_empty()
                            && t.iter().enumerate().all(|(i, n)| {
                                n.feature == u32::MAX
                                    || ((n.feature as usize) < w
                                        && n.threshold.is_finite()
                                        && (n.left as usize) > i
                                        && (n.right as usize) > i
                                        && (n.left as usize) < t.len()
                                        && (n.right as usize) < t.len())
                            })
                    });
                if !ok {
                    return Err("its forest does not match its encoder".into());
                }
            }
            Fitted::Ensemble { members } => {
                if members.is_empty() {
                    return Err("its ensemble has no members".into());
                }
                for m in members {
                    if matches!(*m.detector, Fitted::Ensemble { .. }) {
                        return Err("an ensemble holds another ensemble".into());
                    }
                    let q = &m.quantiles;
                    if q.len() < 2
                        || q.iter().any(|v| !v.is_finite())
                        || q.windows(2).any(|p| p[0] > p[1])
                    {
                        return Err("an ensemble member's quantiles are not sorted numbers".into());
                    }
                    m.detector.check(width)?;
                }
            }
        }
        Ok(())
    }

    /// Scores every row (`encoded`: the rows' encoding, when the detector needs one).
    fn score(&self, ds: &Dataset, encoded: Option<&Array2<f64>>) -> Result<Vec<f64>> {
        let x = || {
            encoded.ok_or_else(|| {
                Error::Usage("the model has no encoder (was the file edited?)".into())
            })
        };
        match self {
            Fitted::Zscore(z) => z.score(ds),
            Fitted::Kmeans(k) => k.score(x()?),
            Fitted::Gmm(g) => g.score(x()?),
            Fitted::Iforest(f) => f.score(x()?),
            Fitted::Ensemble { members } => {
                let mut total = vec![0.0; ds.rows()];
                for m in members {
                    let scores = m.detector.score(ds, encoded)?;
                    for (t, s) in total.iter_mut().zip(scores) {
                        *t += ecdf(&m.quantiles, s);
                    }
                }
                let k = members.len().max(1) as f64;
                total.iter_mut().for_each(|t| *t /= k);
                Ok(total)
            }
        }
    }
}

/// The share of the fitting scores at or below `s`, interpolated between stored quantiles.
fn ecdf(quantiles: &[f64], s: f64) -> f64 {
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

fn quantiles_of(scores: &[f64], points: usize) -> Vec<f64> {
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
    let prepared = if needs_encoding(o.detector, &o.members) {
        Some(Prepared::new(ds, o.fit_on_all, o.transform)?)
    } else {
        None
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
    // At most two encodings: fitted on the normal rows, or on all of them.
    // At most four encodings: fitted on the normal rows or all of them, log1p or quantiles.
    let mut prepared: [Option<Prepared>; 4] = [None, None, None, None];
    let mut models = Vec::with_capacity(options.len());
    for (i, o) in options.iter().enumerate() {
        on_fit(i, o);
        let slot =
            usize::from(o.fit_on_all) + 2 * usize::from(o.transform == encode::Transform::Quantile);
        if needs_encoding(o.detector, &o.members) && prepared[slot].is_none() {
            prepared[slot] = Some(Prepared::new(ds, o.fit_on_all, o.transform)?);
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

/// Fits a model with an encoding prepared beforehand (it must use the same `fit_on` choice).
pub fn fit_prepared(
    ds: &Dataset,
    sha256: String,
    o: &FitOptions,
    prepared: Option<&Prepared>,
) -> Result<Model> {
    if !(o.far > 0.0 && o.far < 1.0) {
        return Err(Error::InvalidParameter {
            name: "far",
            value: o.far.to_string(),
            expected: "must be in (0, 1)".into(),
        });
    }
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
    let prepared = if needs_encoding(o.detector, &o.members) {
        match prepared {
            Some(p) if p.rows == rows => Some(p),
            _ => return Err(Error::Internal("the prepared encoding does not fit".into())),
        }
    } else {
        None
    };
    let encoded_all = prepared.map(|p| &p.all);
    let encoded_fit = prepared.map(|p| &p.fit);
    let fit_scores = |scores: Vec<f64>| -> Vec<f64> {
        scores
            .into_iter()
            .zip(&rows)
            .filter(|(_, k)| **k)
            .map(|(s, _)| s)
            .collect()
    };
    let detector = if o.detector == DetectorName::Ensemble {
        if o.members.is_empty() {
            return Err(Error::Usage("an ensemble needs members".into()));
        }
        let mut members = Vec::new();
        for &m in &o.members {
            let fitted = fit_one(m, ds, &rows, encoded_fit, o)?;
            let scores = fit_scores(fitted.score(ds, encoded_all)?);
            members.push(Member {
                detector: Box::new(fitted),
                quantiles: quantiles_of(&scores, ECDF_POINTS),
            });
        }
        Fitted::Ensemble { members }
    } else if o.detector == DetectorName::Gmm && o.seeds > 1 {
        // A seed ensemble: mixtures from seeds seed, seed + 1, ..., their scores rank-normalised
        // on the fitting rows and averaged, so one seed's luck cannot move the result much.
        let mut members = Vec::new();
        for i in 0..o.seeds {
            let mut one = o.clone();
            one.seed = o.seed.wrapping_add(i as u64);
            one.seeds = 1;
            let fitted = fit_one(DetectorName::Gmm, ds, &rows, encoded_fit, &one)?;
            let scores = fit_scores(fitted.score(ds, encoded_all)?);
            members.push(Member {
                detector: Box::new(fitted),
                quantiles: quantiles_of(&scores, ECDF_POINTS),
            });
        }
        Fitted::Ensemble { members }
    } else {
        fit_one(o.detector, ds, &rows, encoded_fit, o)?
    };
    let scores = fit_scores(detector.score(ds, encoded_all)?);
    let threshold = Distribution::from_f64(&[&scores]).quantile(1.0 - o.far);
    Ok(Model {
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
        },
        source: None,
    })
}

impl Model {
    /// The percentile (0 to 100) of `score` among the scores of the fitting rows, interpolated
    /// between stored quantiles; `None` for a model saved without them.
    pub fn percentile(&self, score: f64) -> Option<f64> {
        (self.training.quantiles.len() >= 2).then(|| 100.0 * ecdf(&self.training.quantiles, score))
    }

    /// The detector's stable machine id (`zscore`, `kmeans`, `gmm`, `iforest`, `ensemble`).
    pub fn id(&self) -> &'static str {
        self.parameters.detector.as_str()
    }

    /// The parameters that apply to this detector, named as in the model file (for machine
    /// output: `evaluate --format json`, `summary.json`).
    pub fn parameters(&self) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::json;
        let p = &self.parameters;
        let mut m = serde_json::Map::new();
        m.insert("fit_on_all".into(), json!(p.fit_on_all));
        m.insert("far".into(), json!(p.far));
        m.insert("seed".into(), json!(p.seed));
        if needs_encoding(p.detector, &p.members) {
            m.insert("transform".into(), json!(p.transform));
        }
        let add = |d: DetectorName, m: &mut serde_json::Map<String, serde_json::Value>| match d {
            DetectorName::Zscore => {
                m.insert("aggregate".into(), json!(p.aggregate));
                m.insert("robust".into(), json!(p.robust));
            }
            DetectorName::Kmeans => {
                m.insert("k".into(), json!(p.k));
                m.insert("n_init".into(), json!(p.n_init));
                m.insert("kmeans_engine".into(), json!(p.kmeans_engine));
            }
            DetectorName::Gmm => {
                m.insert("components".into(), json!(p.components));
                m.insert("covariance".into(), json!(p.covariance));
                m.insert("reg_covar".into(), json!(p.reg_covar));
                m.insert("n_init".into(), json!(p.n_init));
                m.insert("seeds".into(), json!(p.seeds));
            }
            DetectorName::Iforest => {
                m.insert("trees".into(), json!(p.trees));
                m.insert("sample".into(), json!(p.sample));
            }
            DetectorName::Ensemble => {
                m.insert("members".into(), json!(p.members));
            }
        };
        add(p.detector, &mut m);
        if p.detector == DetectorName::Ensemble {
            for &member in &p.members {
                add(member, &mut m);
            }
        }
        m
    }

    /// A short name for people: the detector and its main parameter.
    pub fn label(&self) -> String {
        let p = &self.parameters;
        match p.detector {
            DetectorName::Zscore => format!(
                "zscore ({}{})",
                match p.aggregate {
                    zscore::Aggregate::Mean => "mean",
                    zscore::Aggregate::Max => "max",
                },
                if p.robust { ", robust" } else { "" }
            ),
            DetectorName::Kmeans => format!("kmeans (k={})", p.k),
            DetectorName::Gmm => format!(
                "gmm ({} component{}{})",
                p.components,
                if p.components == 1 { "" } else { "s" },
                if p.covariance == gmm::Covariance::Full {
                    ", full"
                } else {
                    ""
                }
            ),
            DetectorName::Iforest => format!("iforest ({} trees)", p.trees),
            DetectorName::Ensemble => format!(
                "ensemble ({})",
                p.members
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            ),
        }
    }

    /// Scores every row of `ds`. A score that is not a finite number is an error, never a
    /// result.
    pub fn score(&self, ds: &Dataset) -> Result<Vec<f64>> {
        let encoded = match &self.encoder {
            Some(e) => Some(e.transform(ds)?),
            None => None,
        };
        let scores = self.detector.score(ds, encoded.as_ref())?;
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

    /// Scores every row of `ds` given its encoding by this model's encoder.
    pub fn score_encoded(&self, ds: &Dataset, encoded: Option<&Array2<f64>>) -> Result<Vec<f64>> {
        self.detector.score(ds, encoded)
    }

    /// Whether the model needs the encoding.
    pub fn needs_encoding(&self) -> bool {
        needs_encoding(self.parameters.detector, &self.parameters.members)
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
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(Error::Model {
                    path: shown,
                    message: format!(
                        "model format version {v}; this kddstat reads version {FORMAT_VERSION}: fit it again"
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
        let width = match &model.encoder {
            Some(e) => match e.check(MAX_VOCABULARY) {
                Ok(()) => Some(e.width()),
                Err(why) => {
                    return Err(Error::Model {
                        path: shown,
                        message: format!("damaged or edited (its encoder {why})"),
                    });
                }
            },
            None => None,
        };
        if let Err(why) = model.detector.check(width) {
            return Err(Error::Model {
                path: shown,
                message: format!("damaged or edited ({why})"),
            });
        }
        let q = &model.training.quantiles;
        if q.iter().any(|v| !v.is_finite()) || q.windows(2).any(|p| p[0] > p[1]) {
            return Err(Error::Model {
                path: shown,
                message: "damaged or edited (its training quantiles are not sorted numbers)"
                    .to_string(),
            });
        }
        if !model.threshold.is_finite() {
            return Err(Error::Model {
                path: shown,
                message: "damaged or edited (its threshold is not a number)".to_string(),
            });
        }
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
