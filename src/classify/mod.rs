//! Supervised classifiers fitted on every training row: a decision tree, a random forest,
//! Gaussian naive Bayes and logistic regression, on the detectors' encoding (one-hot symbolic features, `log1p` of the
//! byte counts, columns standardised with the normal rows' mean and deviation), for a target of two classes (attack or normal), the five
//! categories or the labels. Saved in a versioned JSON format (`kddstat-classifier`), validated on
//! read like the detector models.
//!
//! One file per algorithm ([`tree`], [`forest`], [`bayes`], [`logistic`]), each a parameter struct
//! validated in one place and a state implementing [`Classify`] (see [`crate::model`]); adding one
//! is a file plus one line of the `classifiers!` list, which generates [`ClassifierName`],
//! [`Params`], [`Fitted`] and their dispatch.

pub mod bayes;
pub mod forest;
pub mod logistic;
pub mod tree;

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::detect::encode::Encoder;
use crate::error::{Error, Result};
use crate::load::Dataset;
use crate::model::{Classify, Hyperparams, Labelled};
use crate::schema::{self, Category};

/// The reasons of the predictions of `rows` of `ds` (the `n` features with the largest parts in
/// the probability of the predicted class), by the classifier's definition.
pub fn explain(
    c: &Classifier,
    ds: &Dataset,
    rows: &[usize],
    n: usize,
) -> Result<Vec<Vec<crate::model::explain::Reason>>> {
    let x = c.encoder.transform(ds)?;
    explain_encoded(c, ds, &x, rows, n)
}

/// [`explain`] given the rows of `ds` encoded by the classifier's encoder.
pub fn explain_encoded(
    c: &Classifier,
    ds: &Dataset,
    x: &ndarray::Array2<f64>,
    rows: &[usize],
    n: usize,
) -> Result<Vec<Vec<crate::model::explain::Reason>>> {
    let proba = c.proba_encoded(x);
    let best = c.predict(&proba);
    let mut out = vec![0.0; x.ncols()];
    let mut row = vec![0.0; x.ncols()];
    let mut explainer = crate::model::explain::Explainer::new(Some(&c.encoder), ds);
    rows.iter()
        .map(|&i| {
            out.iter_mut().for_each(|v| *v = 0.0);
            row.iter_mut().zip(x.row(i)).for_each(|(a, b)| *a = *b);
            c.fitted.explain(&row, best[i], &mut out);
            let contributions = crate::model::explain::Contributions::Columns(out.clone());
            explainer.reasons(&contributions, i, n)
        })
        .collect()
}

/// Format name of a classifier file.
pub const FORMAT: &str = "kddstat-classifier";
/// Version of the format written.
pub const FORMAT_VERSION: u32 = 1;
/// Classes a classifier takes at most (the tree's histograms and every model grow with them).
pub const MAX_CLASSES: usize = 1024;

/// Generates the classifier family from one list: the name enum (the command line's and the
/// files' ids), the parameter enum (each model's own struct, tagged by `classifier`), the
/// fitted-state enum and their dispatch. Adding a classifier is a file implementing [`Classify`]
/// plus one line here.
macro_rules! classifiers {
    ($($(#[$doc:meta])* $name:ident = $id:literal : $state:ty,)+) => {
        crate::model::name_enum! {
            /// The classifiers.
            ClassifierName { $($(#[$doc])* $name = $id,)+ }
        }

        /// A classifier's parameters (only those that apply to it).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "classifier", rename_all = "lowercase")]
        pub enum Params {
            $($(#[$doc])* $name(<$state as Classify>::Params),)+
        }

        impl Params {
            /// The defaults of a classifier, its random choices seeded with `seed`.
            pub fn default_for(name: ClassifierName, seed: u64) -> Params {
                let mut p = match name {
                    $(ClassifierName::$name => Params::$name(Default::default()),)+
                };
                p.set_seed(seed);
                p
            }

            /// Which classifier.
            pub fn name(&self) -> ClassifierName {
                match self {
                    $(Params::$name(_) => ClassifierName::$name,)+
                }
            }

            /// Checks the parameters (the one place they are validated).
            pub fn check(&self) -> Result<()> {
                match self {
                    $(Params::$name(p) => p.check(),)+
                }
            }

            /// A short human label (`tree (entropy)`, `forest (100 trees)`).
            pub fn label(&self) -> String {
                match self {
                    $(Params::$name(p) => p.label(),)+
                }
            }

            fn set_seed(&mut self, seed: u64) {
                match self {
                    $(Params::$name(p) => p.set_seed(seed),)+
                }
            }

            /// Fits the classifier on `data`.
            fn fit(&self, data: &Labelled<'_>) -> Result<Fitted> {
                Ok(match self {
                    $(Params::$name(p) => Fitted::$name(<$state as Classify>::fit(p, data)?),)+
                })
            }
        }

        /// A fitted classifier's state.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum Fitted {
            $($(#[$doc])* $name($state),)+
        }

        impl Fitted {
            /// Which classifier.
            pub fn name(&self) -> ClassifierName {
                match self {
                    $(Fitted::$name(_) => ClassifierName::$name,)+
                }
            }

            /// The class probabilities of one encoded row.
            fn proba(&self, row: &[f64], out: &mut [f64]) {
                match self {
                    $(Fitted::$name(m) => Classify::proba(m, row, out),)+
                }
            }

            /// Each encoded column's part in the probability of `class`.
            fn explain(&self, row: &[f64], class: usize, out: &mut [f64]) {
                match self {
                    $(Fitted::$name(m) => Classify::explain(m, row, class, out),)+
                }
            }

            /// Checks a state read from a file.
            fn check(&self, width: usize, classes: usize) -> std::result::Result<(), String> {
                match self {
                    $(Fitted::$name(m) => Classify::check(m, width, classes),)+
                }
            }
        }
    };
}

classifiers! {
    /// A CART decision tree (entropy by default).
    Tree = "tree": tree::Tree,
    /// A random forest of CART trees (Gini, square root of the columns per split).
    Forest = "forest": forest::Forest,
    /// Gaussian naive Bayes.
    Bayes = "bayes": bayes::Bayes,
    /// Logistic regression (multinomial past two classes).
    Logistic = "logistic": logistic::Logistic,
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
        let fitted = params.fit(&Labelled {
            x: &x,
            y: &y,
            classes: classes.len(),
        })?;
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
                sampled: None,
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
                self.fitted.proba(&row, o);
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
        if self.parameters.name() != self.fitted.name() {
            return Err("its parameters and its fitted state are of different classifiers".into());
        }
        self.encoder.check(crate::detect::MAX_VOCABULARY)?;
        let (w, k) = (self.encoder.width(), self.classes.len());
        if !(2..=MAX_CLASSES).contains(&k) || self.classes.windows(2).any(|p| p[0] >= p[1]) {
            return Err("its classes are not sorted and distinct".into());
        }
        self.fitted.check(w, k)
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
