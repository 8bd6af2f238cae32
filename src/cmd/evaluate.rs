//! `kddstat evaluate --train TRAIN --test TEST... --detector a,b,c`: fits (or reads) detectors and
//! measures them on test files.

use std::path::PathBuf;

use super::fit::DetectorArgs;
use crate::detect::{self, DetectorName, Model};
use crate::error::{Error, Result};
use crate::evaluate;
use crate::load::{self, Input, LoadOptions};
use crate::render::{self, Format};

/// Arguments of `kddstat evaluate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The training file (detectors are fitted on its normal rows).
    #[arg(long, value_name = "TRAIN", required_unless_present = "model")]
    pub train: Option<String>,
    /// A test file (repeat for several).
    #[arg(long = "test", value_name = "TEST", required = true)]
    pub tests: Vec<String>,
    /// Detectors to fit and evaluate, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "zscore,kmeans,gmm,iforest"
    )]
    pub detector: Vec<DetectorName>,
    /// Evaluate saved models instead of fitting (repeat for several).
    #[arg(long, value_name = "MODEL.json", conflicts_with = "train")]
    pub model: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Detector parameters.
    #[command(flatten)]
    pub params: DetectorArgs,
    /// Do not print warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `kddstat evaluate`.
pub fn run(args: Args) -> Result<()> {
    let options = LoadOptions::default();
    let warn = |ds: &load::Dataset| {
        if !args.quiet {
            ds.warnings().iter().for_each(|w| super::warn(w));
        }
    };
    let (train_name, models) = if args.model.is_empty() {
        let train = args
            .train
            .as_deref()
            .ok_or_else(|| Error::Usage("--train or --model is needed".into()))?;
        let (ds, raw) = load::load_with_source(&Input::from_arg(train), &options)?;
        warn(&ds);
        let sha = detect::sha256_hex(&raw.bytes);
        drop(raw);
        let options: Vec<_> = args
            .detector
            .iter()
            .map(|&d| args.params.options(d))
            .collect();
        let models = detect::fit_many(&ds, &sha, &options)?;
        (ds.name.clone(), models)
    } else {
        let models = args
            .model
            .iter()
            .map(|p| Model::read(p))
            .collect::<Result<Vec<Model>>>()?;
        (models[0].training.file.clone(), models)
    };
    let tests = args
        .tests
        .iter()
        .map(|t| {
            let ds = load::load(&Input::from_arg(t), &options)?;
            warn(&ds);
            if !ds.layout.label {
                return Err(Error::Usage(format!(
                    "{}: has no labels, and evaluate needs them (kddstat score scores unlabelled records)",
                    ds.name
                )));
            }
            Ok(ds)
        })
        .collect::<Result<Vec<_>>>()?;
    let report = evaluate::evaluate(&train_name, &models, &tests)?;
    render::print(&render::evaluate::render(&report, args.format)?)
}
