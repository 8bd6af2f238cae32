//! `kddstat evaluate --train TRAIN --test TEST... --detectors a,b,c`: fits (or reads) detectors
//! and measures them on test files (the NSL-KDD files by default).

use std::path::PathBuf;

use super::args::{DataArgs, InputArgs, QuietArg, Ui};
use super::fit::DetectorArgs;
use crate::detect::{self, DetectorName, FitOptions, Model};
use crate::error::{Error, Result};
use crate::evaluate;
use crate::render::{self, Format};

/// The detectors fitted when none is named.
pub const DEFAULT_DETECTORS: &str = "zscore,kmeans,gmm,iforest";

/// Arguments of `kddstat evaluate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The files (detectors are fitted on the training file's normal rows).
    #[command(flatten)]
    pub data: DataArgs,
    /// Detectors to fit and evaluate, comma-separated.
    #[arg(
        long,
        alias = "detector",
        value_enum,
        value_delimiter = ',',
        value_name = "NAMES",
        default_value = DEFAULT_DETECTORS
    )]
    pub detectors: Vec<DetectorName>,
    /// Evaluate saved models instead of fitting (repeat for several).
    #[arg(long, value_name = "MODEL.json", conflicts_with_all = ["train", "detectors"])]
    pub model: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Detector parameters.
    #[command(flatten)]
    pub params: DetectorArgs,
    /// How inputs are read.
    #[command(flatten)]
    pub input: InputArgs,
    /// Quiet.
    #[command(flatten)]
    pub quiet: QuietArg,
}

/// Runs `kddstat evaluate`.
pub fn run(args: Args) -> Result<()> {
    let ui = Ui::new(args.quiet.quiet);
    if !args.model.is_empty() && args.params.any() {
        return Err(Error::Usage(
            "detector parameters apply when fitting; a saved model (--model) keeps its own".into(),
        ));
    }
    args.params.check(&args.detectors)?;
    let fitting = args.model.is_empty();
    let (train, test_args) = if fitting {
        args.data.resolve(&ui, true)?
    } else if args.data.tests.is_empty() {
        let names: Vec<&str> = crate::data::TESTS.to_vec();
        (String::new(), super::args::default_files(&names, &ui)?)
    } else {
        (String::new(), args.data.tests.clone())
    };
    if test_args.is_empty() {
        return Err(Error::Usage(
            "evaluate needs a test file: --test TEST".into(),
        ));
    }
    let bar = ui.spinner(0);
    bar.set_message("reading the files");
    let loaded = (|| -> Result<_> {
        let tests = test_args
            .iter()
            .map(|t| {
                let ds = args.input.load(t, &ui)?;
                if !ds.layout.label {
                    return Err(Error::Usage(format!(
                        "{}: has no labels, and evaluate needs them (kddstat score scores unlabelled records)",
                        ds.name
                    )));
                }
                ds.require_all_features("evaluate")?;
                Ok(ds)
            })
            .collect::<Result<Vec<_>>>()?;
        let (train_name, models) = if fitting {
            let (ds, raw) = args.input.load_with_source(&train, false, &ui)?;
            ds.require_all_features("evaluate")?;
            let sha = detect::sha256_hex(&raw.bytes);
            drop(raw);
            let options: Vec<FitOptions> = args
                .detectors
                .iter()
                .map(|&d| args.params.options(d))
                .collect();
            let on_fit = |i: usize, o: &FitOptions| {
                bar.set_message(format!(
                    "fitting detector {}/{}: {}",
                    i + 1,
                    options.len(),
                    o.detector.as_str()
                ));
            };
            let models = detect::fit_many(&ds, &sha, &options, &on_fit)?;
            (ds.name.clone(), models)
        } else {
            let models = args
                .model
                .iter()
                .map(|p| Model::read(p))
                .collect::<Result<Vec<Model>>>()?;
            (models[0].training.file.clone(), models)
        };
        bar.set_message("scoring the test files");
        evaluate::evaluate(&train_name, &models, &tests)
    })();
    bar.finish_and_clear();
    render::print(&render::evaluate::render(&loaded?, args.format)?)
}
