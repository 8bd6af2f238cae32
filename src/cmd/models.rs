//! The model flags every command that fits models shares (`fit`, `tune`, `evaluate`, `report`):
//! detector parameters, classifier parameters, hybrids, and the seeded training sample. Commands
//! take them from here, never from each other.

use super::args::{DataArgs, InputArgs, Ui};
use crate::classify::{ClassifierName, Params};
use crate::detect::{self, DetectorName, FitOptions, ensemble, gmm, kmeans, zscore};
use crate::error::{Error, Result};
use crate::output::{self, Destination};
use crate::render::thousands;

/// The detectors fitted when none is named.
pub const DEFAULT_DETECTORS: &str = "zscore,kmeans,gmm,iforest";

/// Detector parameters shared by `fit`, `evaluate` and `report`. Each is optional so that one
/// given for a detector that is not fitted is refused instead of silently ignored.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DetectorArgs {
    /// Fit on the normal rows of the training file \[default\] or on all of them.
    #[arg(long, value_enum, help_heading = "Detector parameters")]
    pub fit_on: Option<FitOn>,
    /// False-alarm rate the threshold is calibrated to on the fitting rows [default: 0.01].
    #[arg(long, value_name = "RATE", value_parser = super::finite_number, help_heading = "Detector parameters")]
    pub far: Option<f64>,
    /// Seed of every random choice (same seed, same bytes) [default: 42].
    #[arg(long, value_name = "N", help_heading = "Detector parameters")]
    pub seed: Option<u64>,
    /// zscore: combine |z| by their mean \[default\] or their maximum.
    #[arg(long, value_enum, help_heading = "Detector parameters")]
    pub agg: Option<zscore::Aggregate>,
    /// zscore: median and MAD (scaled by 1.4826) instead of mean and standard deviation.
    #[arg(long, help_heading = "Detector parameters")]
    pub robust: bool,
    /// kmeans: number of clusters [default: 8].
    #[arg(long, value_name = "K", help_heading = "Detector parameters")]
    pub k: Option<usize>,
    /// kmeans, gmm: independent initialisations (seeds seed, seed + 1, ...), the lowest inertia
    /// (kmeans) or the highest training likelihood (gmm) kept [default: 1].
    #[arg(long, value_name = "N", help_heading = "Detector parameters")]
    pub n_init: Option<usize>,
    /// kmeans: implementation (native \[default\] is the fast one; linfa is linfa-clustering's).
    #[arg(long, value_enum, help_heading = "Detector parameters")]
    pub kmeans_engine: Option<kmeans::Engine>,
    /// gmm: number of components [default: 8].
    #[arg(long, value_name = "N", help_heading = "Detector parameters")]
    pub components: Option<usize>,
    /// gmm: covariance structure [default: diag].
    #[arg(long, value_enum, help_heading = "Detector parameters")]
    pub covariance: Option<gmm::Covariance>,
    /// kmeans, gmm, iforest: transform of the numeric features in the encoding [default: log1p].
    #[arg(long, value_enum, help_heading = "Detector parameters")]
    pub transform: Option<crate::detect::encode::Transform>,
    /// gmm: variance added to every component's variances (default 1e-3).
    #[arg(long, value_name = "VAR", value_parser = super::finite_number, help_heading = "Detector parameters")]
    pub reg_covar: Option<f64>,
    /// gmm: mixtures fitted with consecutive seeds, their rank-normalised scores averaged
    /// (default 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64), help_heading = "Detector parameters")]
    pub seeds: Option<u64>,
    /// iforest: number of trees [default: 100].
    #[arg(long, value_name = "N", help_heading = "Detector parameters")]
    pub trees: Option<usize>,
    /// iforest: rows drawn for each tree (scikit-learn's max_samples) [default: 256].
    #[arg(long, value_name = "N", help_heading = "Detector parameters")]
    pub max_samples: Option<usize>,
    /// ensemble: its members, comma-separated, any of zscore, kmeans, gmm, iforest [default: all
    /// four].
    #[arg(long, value_enum, value_delimiter = ',', value_parser = member_name, help_heading = "Detector parameters")]
    pub members: Option<Vec<DetectorName>>,
    /// Any parameter of the fitted detectors by its name in the model file, KEY=VALUE
    /// (repeatable; the value read as JSON, else as text): every field of a detector's parameter
    /// struct is settable this way, a new detector's included, with no code in the command layer.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = key_value, help_heading = "Detector parameters")]
    pub param: Vec<(String, serde_json::Value)>,
}

/// `KEY=VALUE` of `--param`: the value as JSON (`8`, `true`, `1e-3`), else as text (`full`).
fn key_value(s: &str) -> std::result::Result<(String, serde_json::Value), String> {
    let (key, value) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not KEY=VALUE"))?;
    let key = key.trim();
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
    {
        return Err(format!(
            "'{key}' is not a parameter name (lowercase, digits and _)"
        ));
    }
    let value = serde_json::from_str(value.trim())
        .unwrap_or_else(|_| serde_json::Value::String(value.trim().to_string()));
    Ok((key.to_string(), value))
}

/// An ensemble member: any detector but the ensemble itself.
fn member_name(s: &str) -> std::result::Result<DetectorName, String> {
    use clap::ValueEnum;
    match DetectorName::from_str(s, false)? {
        DetectorName::Ensemble => Err("an ensemble cannot be a member of an ensemble".into()),
        d => Ok(d),
    }
}

/// Which rows a detector is fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FitOn {
    /// The rows labelled normal.
    Normal,
    /// Every row.
    All,
}

impl DetectorArgs {
    /// The detector parameters given, as (flag, key in the parameter structs, value). Which
    /// detectors a flag applies to follows from the keys of their parameter structs.
    pub(crate) fn given(&self) -> Vec<(String, String, serde_json::Value)> {
        use serde_json::json;
        let mut out = Vec::new();
        let mut add = |flag: &str, key: &str, value: Option<serde_json::Value>| {
            if let Some(v) = value {
                out.push((flag.to_string(), key.to_string(), v));
            }
        };
        add("--agg", "aggregate", self.agg.map(|v| json!(v)));
        add("--robust", "robust", self.robust.then_some(json!(true)));
        add("--k", "k", self.k.map(|v| json!(v)));
        add("--n-init", "n_init", self.n_init.map(|v| json!(v)));
        add(
            "--kmeans-engine",
            "kmeans_engine",
            self.kmeans_engine.map(|v| json!(v)),
        );
        add(
            "--components",
            "components",
            self.components.map(|v| json!(v)),
        );
        add(
            "--covariance",
            "covariance",
            self.covariance.map(|v| json!(v)),
        );
        add("--reg-covar", "reg_covar", self.reg_covar.map(|v| json!(v)));
        add("--transform", "transform", self.transform.map(|v| json!(v)));
        add("--seeds", "seeds", self.seeds.map(|v| json!(v)));
        add("--trees", "trees", self.trees.map(|v| json!(v)));
        add(
            "--max-samples",
            "max_samples",
            self.max_samples.map(|v| json!(v)),
        );
        add(
            "--members",
            "members",
            self.members.as_ref().map(|_| json!([])),
        );
        for (key, value) in &self.param {
            out.push((format!("--param {key}"), key.clone(), value.clone()));
        }
        out
    }

    /// The ensemble's members: those given, else its default ones.
    fn members(&self) -> Vec<DetectorName> {
        match &self.members {
            Some(m) => m.clone(),
            None => ensemble::Params::default()
                .members
                .iter()
                .map(detect::Params::name)
                .collect(),
        }
    }

    /// Refuses parameters that none of `detectors` uses (or any, without detectors): a flag is
    /// never silently ignored.
    pub fn check(&self, detectors: &[DetectorName]) -> Result<()> {
        let mut fitted: Vec<DetectorName> = detectors.to_vec();
        if detectors.contains(&DetectorName::Ensemble) {
            fitted.extend(self.members());
        }
        let given = self.given();
        for (i, (flag, key, _)) in given.iter().enumerate() {
            if let Some((other, _, _)) = given[..i].iter().find(|(_, k, _)| k == key) {
                return Err(Error::Usage(format!(
                    "{flag} sets '{key}', which {other} sets already"
                )));
            }
            if !fitted.iter().any(|d| has_key(*d, key)) {
                let to: Vec<&str> = DetectorName::ALL
                    .iter()
                    .filter(|d| has_key(**d, key))
                    .map(|d| d.as_str())
                    .collect();
                if to.is_empty() {
                    let known: Vec<String> = fitted.iter().flat_map(|d| keys_of(*d)).collect();
                    return Err(Error::Usage(format!(
                        "{flag}: no detector has a parameter '{key}' (the fitted ones have: {})",
                        known.join(", ")
                    )));
                }
                return Err(Error::Usage(format!(
                    "{flag} applies to {} only, which is not fitted here",
                    to.join(", ")
                )));
            }
        }
        if detectors.is_empty() {
            let common = [
                ("--fit-on", self.fit_on.is_some()),
                ("--far", self.far.is_some()),
                ("--seed", self.seed.is_some()),
            ];
            if let Some((flag, _)) = common.iter().find(|(_, set)| *set) {
                return Err(Error::Usage(format!(
                    "{flag} sets a detector parameter, and no detector is fitted here"
                )));
            }
        }
        Ok(())
    }

    /// Whether any parameter was given.
    pub fn any(&self) -> bool {
        !self.given().is_empty()
            || self.fit_on.is_some()
            || self.far.is_some()
            || self.seed.is_some()
    }

    /// The seed given, else the default.
    pub fn seed(&self) -> u64 {
        self.seed.unwrap_or(42)
    }

    /// The parameters of one detector: its defaults with the flags given that apply to it.
    pub fn params(&self, detector: DetectorName) -> Result<detect::Params> {
        if detector == DetectorName::Ensemble {
            let members = self
                .members()
                .into_iter()
                .map(|m| self.params(m))
                .collect::<Result<Vec<_>>>()?;
            return Ok(detect::Params::Ensemble(ensemble::Params { members }));
        }
        let mut value = serde_json::to_value(detector.defaults())
            .map_err(|e| Error::Internal(format!("detector parameters: {e}")))?;
        if let Some(fields) = value.as_object_mut() {
            for (_, key, v) in self.given() {
                if fields.contains_key(&key) {
                    fields.insert(key, v);
                }
            }
        }
        // Only --param can give a value of the wrong type (the other flags are typed).
        serde_json::from_value(value).map_err(|e| {
            Error::Usage(format!(
                "--param: a value does not fit {}'s parameters ({e})",
                detector.as_str()
            ))
        })
    }

    /// The fit options for one detector (defaults where a flag was not given), checked.
    pub fn options(&self, detector: DetectorName) -> Result<FitOptions> {
        let d = FitOptions::from(detector);
        let o = FitOptions {
            fit_on_all: self.fit_on == Some(FitOn::All),
            far: self.far.unwrap_or(d.far),
            seed: self.seed.unwrap_or(d.seed),
            params: self.params(detector)?,
        };
        o.check()?;
        Ok(o)
    }
}

/// Whether a detector's parameter struct has the field `key`.
/// The parameter names of a detector: its parameter struct's fields.
fn keys_of(d: DetectorName) -> Vec<String> {
    serde_json::to_value(d.defaults())
        .ok()
        .and_then(|v| {
            v.as_object()
                .map(|o| o.keys().filter(|k| *k != "detector").cloned().collect())
        })
        .unwrap_or_default()
}

fn has_key(d: DetectorName, key: &str) -> bool {
    key != "detector"
        && serde_json::to_value(d.defaults())
            .ok()
            .and_then(|v| v.as_object().map(|o| o.contains_key(key)))
            .unwrap_or(false)
}

/// The rows a model is fitted on at most by default (`--sample`): 200,000 rows keep `fit` of any
/// detector under 1 GiB (KDDTrain+ has 125,973, so it is fitted whole).
pub const DEFAULT_SAMPLE: u64 = 200_000;
/// The largest `--sample`.
pub const MAX_SAMPLE: usize = 100_000_000;

/// The training file of a command that writes one model (the same defaults as every command that
/// reads the NSL-KDD training file), read in chunks into a seeded sample of at most `sample` rows
/// (the whole file when it has no more), with its SHA-256 and the destination, checked before
/// anything is read. Shared by `fit` and `tune`.
pub fn training(
    train: Option<String>,
    output_arg: &std::path::Path,
    input_args: &InputArgs,
    force: bool,
    ui: &Ui,
    command: &str,
    sample: (u64, u64),
) -> Result<(Training, Destination)> {
    let data = DataArgs {
        train,
        tests: Vec::new(),
    };
    let (train, _) = data.resolve(ui, false)?;
    let input = crate::load::Input::from_arg(&train);
    let out = Destination::from_arg(output_arg);
    output::check_destination(&out, &input.file().into_iter().collect::<Vec<_>>(), force)?;
    let (size, seed) = sample;
    let s = crate::load::sample::reservoir(
        &input,
        &input_args.options(false),
        usize::try_from(size).unwrap_or(usize::MAX),
        seed,
    )?;
    ui.warnings(&s.ds);
    s.ds.require_all_features(command)?;
    if s.sampled() {
        ui.note(&format!(
            "{}: {} rows; fitting on a seeded sample of {} (--sample)",
            s.ds.name,
            thousands(s.rows),
            thousands(s.ds.rows() as u64)
        ));
    }
    Ok((
        Training {
            sampled: s.sampled().then_some(detect::Sampled {
                file_rows: s.rows,
                seed,
            }),
            ds: s.ds,
            sha256: s.sha256,
        },
        out,
    ))
}

/// A training file as read by [`training`].
pub struct Training {
    /// Its rows (a sample of them when it has more than `--sample`).
    pub ds: crate::load::Dataset,
    /// SHA-256 of its decompressed text.
    pub sha256: String,
    /// How it was sampled, when it was.
    pub sampled: Option<detect::Sampled>,
}

/// Parses `tree+gmm`.
pub fn hybrid_name(s: &str) -> std::result::Result<(ClassifierName, DetectorName), String> {
    use clap::ValueEnum;
    let (c, d) = s
        .split_once('+')
        .ok_or_else(|| format!("`{s}` is not CLASSIFIER+DETECTOR (e.g. tree+gmm)"))?;
    let c = ClassifierName::from_str(c, true)
        .map_err(|_| format!("`{c}` is not a classifier (tree, forest, bayes, logistic)"))?;
    let d = DetectorName::from_str(d, true)
        .map_err(|_| format!("`{d}` is not a detector (zscore, kmeans, gmm, iforest)"))?;
    if d == DetectorName::Ensemble {
        return Err("a hybrid takes one detector, not the ensemble".into());
    }
    Ok((c, d))
}

/// A classifier's parameters from the command line: its defaults, seeded, with the tree's
/// criterion when given (`fit` and `evaluate` refuse it for other classifiers).
pub fn classifier_params(
    name: ClassifierName,
    seed: u64,
    criterion: Option<crate::classify::tree::Criterion>,
) -> Params {
    let mut p = Params::default_for(name, seed);
    if let (Params::Tree(t), Some(c)) = (&mut p, criterion) {
        t.criterion = c;
    }
    p
}
