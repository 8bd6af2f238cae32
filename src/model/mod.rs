//! The one model abstraction, after linfa's pattern: every model (anomaly detector or classifier)
//! is one file holding a parameter struct and a fitted state.
//!
//! - The parameter struct implements [`Hyperparams`]: its defaults, its validation in one place
//!   ([`Hyperparams::check`], like linfa's `ParamGuard`) and a short label. It is saved in the
//!   model file as it is, so a model file holds only the parameters that apply to its model.
//! - The fitted state implements [`Detect`] (fit on rows, score rows, check a state read from a
//!   file) or [`Classify`] (fit on encoded rows and classes, class probabilities of a row, check).
//!
//! The family's enums ([`crate::detect::DetectorName`], [`crate::detect::Params`],
//! [`crate::detect::Fitted`] and their classifier counterparts) and every dispatch over them are
//! generated from one list, so adding a model is one file plus one arm of that list.

use std::fmt::Debug;

use ndarray::Array2;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub mod encode;
pub mod explain;

use encode::Transform;

use crate::error::{Error, Result};
use crate::load::Dataset;

/// The largest vocabulary of one categorical feature in an encoder (NSL-KDD has 70 services);
/// fitting keeps the most frequent values up to it and encodes the others as none of them.
pub const MAX_VOCABULARY: usize = 1024;

/// A model's parameters: defaults, one validation, a label.
pub trait Hyperparams:
    Debug + Clone + Default + PartialEq + Serialize + DeserializeOwned + Send + Sync
{
    /// Checks every parameter (the one place they are validated); an
    /// [`Error::InvalidParameter`] names the first bad one.
    fn check(&self) -> Result<()>;

    /// A short label for people (`kmeans (k=8)`).
    fn label(&self) -> String;

    /// Sets the seed of the model's random choices, for a model that keeps it among its
    /// parameters (a detector's seed is shared by all detectors instead: [`FitData::seed`]).
    fn set_seed(&mut self, _seed: u64) {}
}

/// The rows an anomaly detector is fitted on.
#[derive(Debug, Clone, Copy)]
pub struct FitData<'a> {
    /// The training file.
    pub ds: &'a Dataset,
    /// `rows[i]`: row `i` is a fitting row.
    pub rows: &'a [bool],
    /// The fitting rows encoded (when the detector reads the encoding).
    pub fit: Option<&'a Array2<f64>>,
    /// Every row encoded (when the detector reads the encoding).
    pub all: Option<&'a Array2<f64>>,
    /// The seed of every random choice.
    pub seed: u64,
}

impl<'a> FitData<'a> {
    /// The encoded fitting rows (an internal error when the detector was given none).
    pub fn encoded(&self) -> Result<&'a Array2<f64>> {
        self.fit
            .ok_or_else(|| Error::Internal("the encoding is missing".into()))
    }

    /// The rows the detector is scored on (every row, for [`FitData::fit_scores`]).
    pub fn scoring(&self) -> ScoreData<'a> {
        ScoreData {
            ds: self.ds,
            encoded: self.all,
        }
    }

    /// The scores of the fitting rows among scores of every row.
    pub fn fit_scores(&self, scores: Vec<f64>) -> Vec<f64> {
        scores
            .into_iter()
            .zip(self.rows)
            .filter(|(_, k)| **k)
            .map(|(s, _)| s)
            .collect()
    }
}

/// The rows a detector scores.
#[derive(Debug, Clone, Copy)]
pub struct ScoreData<'a> {
    /// The file.
    pub ds: &'a Dataset,
    /// Its rows encoded by the model's encoder (when the detector reads the encoding).
    pub encoded: Option<&'a Array2<f64>>,
}

impl<'a> ScoreData<'a> {
    /// The encoded rows (a model without an encoder cannot score them).
    pub fn encoded(&self) -> Result<&'a Array2<f64>> {
        self.encoded
            .ok_or_else(|| Error::Usage("the model has no encoder (was the file edited?)".into()))
    }
}

/// An anomaly detector: higher scores are more anomalous.
pub trait Detect: Sized {
    /// Its parameters.
    type Params: Hyperparams;

    /// The transform of the encoding it reads, or `None` when it reads raw values.
    fn encoding(params: &Self::Params) -> Option<Transform>;

    /// How many copies are fitted with seeds `seed`, `seed + 1`, ... and averaged as a seed
    /// ensemble (rank-normalised on the fitting rows); 1 for one model.
    fn seeds(_params: &Self::Params) -> usize {
        1
    }

    /// Fits on the fitting rows of `data`.
    fn fit(params: &Self::Params, data: &FitData<'_>) -> Result<Self>;

    /// Scores every row.
    fn score(&self, data: &ScoreData<'_>) -> Result<Vec<f64>>;

    /// Checks a state read from a file against the encoding width (`None` without an encoder);
    /// the error says what is wrong.
    fn check(&self, width: Option<usize>) -> std::result::Result<(), String>;

    /// Each input column's part in the score of each of `rows` (the encoded columns, or the raw
    /// features a detector reads without an encoder), by the definition in the detector's module
    /// documentation; [`explain::Contributions::None`] when it has none.
    fn explain(
        &self,
        _data: &ScoreData<'_>,
        rows: &[usize],
    ) -> Result<Vec<explain::Contributions>> {
        Ok(vec![explain::Contributions::None; rows.len()])
    }
}

/// The rows and classes a classifier is fitted on.
#[derive(Debug, Clone, Copy)]
pub struct Labelled<'a> {
    /// Every training row encoded.
    pub x: &'a Array2<f64>,
    /// Each row's class (an index into the sorted classes).
    pub y: &'a [u16],
    /// The number of classes.
    pub classes: usize,
}

/// A supervised classifier giving each row a probability per class.
pub trait Classify: Sized {
    /// Its parameters.
    type Params: Hyperparams;

    /// Fits on every row of `data`.
    fn fit(params: &Self::Params, data: &Labelled<'_>) -> Result<Self>;

    /// Writes the class probabilities of one encoded row into `out` (one per class).
    fn proba(&self, row: &[f64], out: &mut [f64]);

    /// Checks a state read from a file against the encoding width and the number of classes.
    fn check(&self, width: usize, classes: usize) -> std::result::Result<(), String>;

    /// Each encoded column's part in the probability of `class` for one encoded row, written into
    /// `out` (by the definition in the classifier's module documentation; zeros when it has
    /// none).
    fn explain(&self, _row: &[f64], _class: usize, _out: &mut [f64]) {}
}

/// An [`Error::InvalidParameter`] for `name` with `value`, which should be `expected`.
pub fn invalid<T>(name: &'static str, value: impl ToString, expected: &str) -> Result<T> {
    Err(Error::InvalidParameter {
        name,
        value: value.to_string(),
        expected: expected.into(),
    })
}

/// Checks that `value` is a finite number above 0.
pub fn positive(name: &'static str, value: f64) -> Result<()> {
    if value > 0.0 && value.is_finite() {
        Ok(())
    } else {
        invalid(name, value, "a finite number > 0")
    }
}

/// Checks that `value` is finite and lies in `lo..=hi`.
pub fn within_f64(name: &'static str, value: f64, lo: f64, hi: f64) -> Result<()> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        invalid(name, value, &format!("a number between {lo:e} and {hi:e}"))
    }
}

/// Checks that `value` lies in `lo..=hi`.
pub fn within(name: &'static str, value: usize, lo: usize, hi: usize) -> Result<()> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        invalid(name, value, &format!("between {lo} and {hi}"))
    }
}

/// Generates a family's name enum from its list (`Name = "id"`): the command line's value
/// (clap), the files' id (serde, lowercase), every name in order, and the id as a string.
macro_rules! name_enum {
    ($(#[$meta:meta])* $enum:ident { $($(#[$doc:meta])* $name:ident = $id:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
        #[serde(rename_all = "lowercase")]
        pub enum $enum {
            $($(#[$doc])* $name,)+
        }

        impl $enum {
            /// Every one, in the list's order.
            pub const ALL: &[$enum] = &[$($enum::$name,)+];

            /// The stable id (the command line's value and the files').
            pub fn as_str(self) -> &'static str {
                match self {
                    $($enum::$name => $id,)+
                }
            }
        }
    };
}
pub(crate) use name_enum;
