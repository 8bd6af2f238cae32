//! Supervised classifiers fitted on every training row: a decision tree, a random forest,
//! Gaussian naive Bayes and logistic regression, on the detectors' encoding (one-hot symbolic features, `log1p` of the
//! byte counts, columns standardised with the normal rows' mean and deviation), for a target of two classes (attack or normal), the five
//! categories or the labels. Saved in a versioned JSON format (`kddstat-classifier`), validated on
//! read like the detector models.
//!
//! One file per algorithm ([`tree`], [`forest`], [`bayes`], [`logistic`]); each has its own parameters
//! ([`Params`]) validated in one place ([`Params::check`]); adding one is a file plus an arm of
//! [`ClassifierName`], [`Params`] and [`Fitted`].

pub mod bayes;
pub mod evaluate;
pub mod forest;
pub mod logistic;
pub mod tree;

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::detect::encode::Encoder;
use crate::error::{Error, Result};
use crate::load::Dataset;
use crate::schema::{self, Category};
use tree::Criterion;

/// Format name of a classifier file.
pub const FORMAT: &str = "kddstat-classifier";
/// Version of the format written.
pub const FORMAT_VERSION: u32 = 1;
/// Classes a classifier takes at most (the tree's histograms and every model grow with them).
pub const MAX_CLASSES: usize = 1024;

/// The classifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ClassifierName {
    /// A CART decision tree (entropy by default).
    Tree,
    /// A random forest of CART trees (Gini, square root of the columns per split).
    Forest,
    /// Gaussian naive Bayes.
    Bayes,
    /// Logistic regression (multinomial past two classes).
    Logistic,
}

impl ClassifierName {
    /// The stable id.
    pub fn as_str(self) -> &'static str {
        match self {
            ClassifierName::Tree => "tree",
            ClassifierName::Forest => "forest",
            ClassifierName::Bayes => "bayes",
            ClassifierName::Logistic => "logistic",
        }
    }
}

/// What a classifier predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Attack or normal.
    Binary,
    /// The five categories (normal, DoS, Probe, R2L, U2R).
    Category,
    /// The attack labels.
    Label,
}

impl Target {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Binary => "binary",
            Target::Category => "category",
            Target::Label => "label",
        }
    }

    /// The class of a row from its label.
    fn class_of(self, label: &str) -> String {
        match self {
            Target::Binary => {
                if schema::category_of(label) == Category::Normal {
                    "normal".into()
                } else {
                    "attack".into()
                }
            }
            Target::Category => schema::category_of(label).as_str().into(),
            Target::Label => label.into(),
        }
    }
}

/// The parameters of each classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "classifier", rename_all = "lowercase")]
pub enum Params {
    /// Decision tree.
    Tree {
        /// Split criterion.
        criterion: Criterion,
    },
    /// Random forest.
    Forest {
        /// Trees.
        trees: usize,
        /// Split criterion.
        criterion: Criterion,
        /// Features tried per split (the square root of the columns when absent).
        max_features: Option<usize>,
        /// Seed of the bootstrap and feature draws.
        seed: u64,
    },
    /// Gaussian naive Bayes.
    Bayes {
        /// Share of the largest variance added to every variance.
        var_smoothing: f64,
    },
    /// Logistic regression.
    Logistic {
        /// Inverse strength of the L2 penalty.
        c: f64,
    },
}

impl Params {
    /// The defaults of a classifier (scikit-learn's, the tree with entropy as in the issue's
    /// reference figures).
    pub fn default_for(name: ClassifierName, seed: u64) -> Params {
        match name {
            ClassifierName::Tree => Params::Tree {
                criterion: Criterion::Entropy,
            },
            ClassifierName::Forest => Params::Forest {
                trees: 100,
                criterion: Criterion::Gini,
                max_features: None,
                seed,
            },
            ClassifierName::Bayes => Params::Bayes {
                var_smoothing: bayes::VAR_SMOOTHING,
            },
            ClassifierName::Logistic => Params::Logistic { c: logistic::C },
        }
    }

    /// The classifier.
    pub fn name(&self) -> ClassifierName {
        match self {
            Params::Tree { .. } => ClassifierName::Tree,
            Params::Forest { .. } => ClassifierName::Forest,
            Params::Bayes { .. } => ClassifierName::Bayes,
            Params::Logistic { .. } => ClassifierName::Logistic,
        }
    }

    /// Checks the parameters (the one place they are validated).
    pub fn check(&self) -> Result<()> {
        let bad = |name: &'static str, value: String, expected: &str| {
            Err(Error::InvalidParameter {
                name,
                value,
                expected: expected.into(),
            })
        };
        match self {
            Params::Forest { trees, .. } if !(1..=10_000).contains(trees) => {
                bad("trees", trees.to_string(), "between 1 and 10000")
            }
            Params::Forest {
                max_features: Some(0),
                ..
            } => bad("max_features", "0".into(), "at least 1"),
            Params::Bayes { var_smoothing }
                if !(*var_smoothing > 0.0 && var_smoothing.is_finite()) =>
            {
                bad(
                    "var_smoothing",
                    var_smoothing.to_string(),
                    "a finite number > 0",
                )
            }
            Params::Logistic { c } if !(*c > 0.0 && c.is_finite()) => {
                bad("c", c.to_string(), "a finite number > 0")
            }
            _ => Ok(()),
        }
    }

    /// A short human label (`tree (entropy)`, `forest (100 trees)`).
    pub fn label(&self) -> String {
        match self {
            Params::Tree { criterion } => format!("tree ({})", criterion_name(*criterion)),
            Params::Forest { trees, .. } => format!("forest ({trees} trees)"),
            Params::Bayes { .. } => "naive Bayes".into(),
            Params::Logistic { .. } => "logistic regression".into(),
        }
    }
}

fn criterion_name(c: Criterion) -> &'static str {
    match c {
        Criterion::Gini => "gini",
        Criterion::Entropy => "entropy",
    }
}

/// A fitted classifier's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fitted {
    /// Decision tree.
    Tree(tree::Tree),
    /// Random forest.
    Forest(forest::Forest),
    /// Gaussian naive Bayes.
    Bayes(bayes::Bayes),
    /// Logistic regression.
    Logistic(logistic::Logistic),
}

/// A fitted classifier, as saved by `kddstat fit --classifier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classifier {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The parameters.
    pub parameters: Params,
    /// The target.
    pub target: Target,
    /// The classes, in the order of the probabilities (sorted).
    pub classes: Vec<String>,
    /// The encoder (vocabulary from all training rows, scaling from the normal ones).
    pub encoder: Encoder,
    /// The fitted state.
    pub fitted: Fitted,
    /// The training file.
    pub training: crate::detect::Training,
}

impl Classifier {
    /// Fits a classifier on every row of `ds`.
    pub fn fit(
        ds: &Dataset,
        sha256: String,
        params: &Params,
        target: Target,
    ) -> Result<Classifier> {
        params.check()?;
        ds.require_all_features("fitting a classifier")?;
        if !ds.layout.label {
            return Err(Error::Usage(format!(
                "{}: has no labels, and a classifier learns from them",
                ds.name
            )));
        }
        // The detectors' encoding exactly: vocabulary from every row, scaling from the normal
        // rows (a file without normal rows scales on all of them).
        let mut scale_rows = crate::detect::fit_rows(ds, false)?;
        if !scale_rows.iter().any(|r| *r) {
            scale_rows = vec![true; ds.rows()];
        }
        let (encoder, x) = Encoder::fit_transform(ds, &scale_rows)?;
        let labels: Vec<String> = ds
            .str_values(schema::LABEL)?
            .map(|l| target.class_of(l))
            .collect();
        let mut classes: Vec<String> = labels.clone();
        classes.sort_unstable();
        classes.dedup();
        if classes.len() < 2 {
            return Err(Error::Usage(format!(
                "{}: one class only ({}); a classifier needs two",
                ds.name,
                classes.first().map_or("none", |c| c.as_str())
            )));
        }
        if classes.len() > MAX_CLASSES {
            return Err(Error::Limit {
                path: ds.name.clone(),
                message: format!(
                    "{} distinct classes for the {} target, more than the {MAX_CLASSES} a \
                     classifier takes (NSL-KDD has 40 labels)",
                    classes.len(),
                    target.as_str()
                ),
            });
        }
        let y: Vec<u16> = labels
            .iter()
            .map(|l| classes.binary_search(l).unwrap_or(0) as u16)
            .collect();
        let k = classes.len();
        let fitted = match params {
            Params::Tree { criterion } => {
                let data = tree::Binned::new(&x);
                Fitted::Tree(tree::Tree::grow(
                    &data,
                    &y,
                    k,
                    &vec![1.0; y.len()],
                    &tree::Growth {
                        criterion: *criterion,
                        max_features: None,
                        min_samples_split: 2.0,
                        seed: 0,
                    },
                ))
            }
            Params::Forest {
                trees,
                criterion,
                max_features,
                seed,
            } => {
                let data = tree::Binned::new(&x);
                let m = max_features.unwrap_or(((x.ncols() as f64).sqrt() as usize).max(1));
                Fitted::Forest(forest::Forest::grow(
                    &data, &y, k, *trees, *criterion, m, *seed,
                ))
            }
            Params::Bayes { var_smoothing } => {
                Fitted::Bayes(bayes::Bayes::fit(&x, &y, k, *var_smoothing))
            }
            Params::Logistic { c } => {
                Fitted::Logistic(logistic::Logistic::fit(&x, &y, k, *c, 1e-4))
            }
        };
        Ok(Classifier {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            parameters: params.clone(),
            target,
            classes,
            encoder,
            fitted,
            training: crate::detect::Training {
                file: ds.name.clone(),
                sha256,
                rows: ds.rows(),
                fit_rows: ds.rows(),
                quantiles: Vec::new(),
            },
        })
    }

    /// The stable id (`tree`, `forest`, `bayes`).
    pub fn id(&self) -> &'static str {
        self.parameters.name().as_str()
    }

    /// The class probabilities of every row of `ds` (`rows x classes`).
    pub fn proba(&self, ds: &Dataset) -> Result<Array2<f64>> {
        let x = self.encoder.transform(ds)?;
        Ok(self.proba_encoded(&x))
    }

    /// The class probabilities of encoded rows.
    pub fn proba_encoded(&self, x: &Array2<f64>) -> Array2<f64> {
        let k = self.classes.len();
        let n = x.nrows();
        let mut out = vec![0.0f64; n * k];
        out.par_chunks_mut(k)
            .zip(x.axis_iter(ndarray::Axis(0)).into_par_iter())
            .for_each(|(o, row)| {
                let row = row
                    .as_slice()
                    .map(<[f64]>::to_vec)
                    .unwrap_or_else(|| row.to_vec());
                match &self.fitted {
                    Fitted::Tree(t) => {
                        for (a, b) in o.iter_mut().zip(t.leaf(&row)) {
                            *a = f64::from(*b);
                        }
                    }
                    Fitted::Forest(f) => f.proba(&row, k, o),
                    Fitted::Bayes(b) => b.proba(&row, o),
                    Fitted::Logistic(l) => l.proba(&row, o),
                }
            });
        Array2::from_shape_vec((n, k), out).unwrap_or_else(|_| Array2::zeros((n, k)))
    }

    /// The probability of "attack" per row: 1 minus the probability of the normal class.
    pub fn attack_probability(&self, proba: &Array2<f64>) -> Vec<f64> {
        match self.classes.iter().position(|c| c == "normal") {
            Some(j) => proba.column(j).iter().map(|p| 1.0 - p).collect(),
            None => vec![1.0; proba.nrows()],
        }
    }

    /// The most probable class per row (the first on ties, as scikit-learn's argmax).
    pub fn predict(&self, proba: &Array2<f64>) -> Vec<usize> {
        proba
            .rows()
            .into_iter()
            .map(|r| {
                let mut best = 0;
                for (j, v) in r.iter().enumerate() {
                    if *v > r[best] {
                        best = j;
                    }
                }
                best
            })
            .collect()
    }

    /// Checks a classifier read from a file.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.format != FORMAT || self.format_version != FORMAT_VERSION {
            return Err(format!("not a {FORMAT} file of version {FORMAT_VERSION}"));
        }
        self.parameters.check().map_err(|e| e.to_string())?;
        if self.parameters.name()
            != match self.fitted {
                Fitted::Tree(_) => ClassifierName::Tree,
                Fitted::Forest(_) => ClassifierName::Forest,
                Fitted::Bayes(_) => ClassifierName::Bayes,
                Fitted::Logistic(_) => ClassifierName::Logistic,
            }
        {
            return Err("its parameters and its fitted state are of different classifiers".into());
        }
        self.encoder.check(crate::detect::MAX_VOCABULARY)?;
        let (w, k) = (self.encoder.width(), self.classes.len());
        if !(2..=MAX_CLASSES).contains(&k) || self.classes.windows(2).any(|p| p[0] >= p[1]) {
            return Err("its classes are not sorted and distinct".into());
        }
        match &self.fitted {
            Fitted::Tree(t) => t.check(w, k),
            Fitted::Forest(f) => {
                if f.trees.is_empty() {
                    return Err("its forest has no tree".into());
                }
                f.trees.iter().try_for_each(|t| t.check(w, k))
            }
            Fitted::Bayes(b) => b.check(w, k),
            Fitted::Logistic(l) => l.check(w, k),
        }
    }

    /// Reads and checks a classifier file.
    pub fn parse(shown: &str, bytes: &[u8]) -> Result<Classifier> {
        let c: Classifier = serde_json::from_slice(bytes).map_err(|e| Error::Model {
            path: shown.to_string(),
            message: format!("not a kddstat classifier ({e})"),
        })?;
        c.check().map_err(|why| Error::Model {
            path: shown.to_string(),
            message: format!("damaged or edited ({why})"),
        })?;
        Ok(c)
    }
}

/// A saved model of either kind.
#[derive(Debug, Clone)]
pub enum Saved {
    /// An anomaly detector (`kddstat-model`).
    Detector(Box<crate::detect::Model>),
    /// A classifier (`kddstat-classifier`).
    Classifier(Box<Classifier>),
}

impl Saved {
    /// Reads a model file of either kind (told apart by its `format` field) and checks it.
    pub fn read(path: &std::path::Path) -> Result<Saved> {
        let (shown, bytes) = crate::detect::read_model_file(path)?;
        #[derive(Deserialize)]
        struct Header {
            format: Option<serde_json::Value>,
        }
        let classifier = serde_json::from_slice::<Header>(&bytes)
            .ok()
            .and_then(|h| h.format)
            .is_some_and(|f| f == FORMAT);
        Ok(if classifier {
            Saved::Classifier(Box::new(Classifier::parse(&shown, &bytes)?))
        } else {
            Saved::Detector(Box::new(crate::detect::Model::parse(&shown, &bytes)?))
        })
    }
}
