//! `kddstat report`: the offline HTML/SVG report folder of a training file and test files (the
//! NSL-KDD files by default, downloaded when missing).

use std::path::{Path, PathBuf};

use super::args::{DataArgs, ForceArg, InputArgs, QuietArg, Ui};
use super::models::DEFAULT_DETECTORS;
use super::models::{DEFAULT_SAMPLE, DetectorArgs};
use crate::detect::{self, DetectorName};
use crate::error::Error;
use crate::error::Result;
use crate::load::rows::{HeldInput, Rows};
use crate::load::{Input, LoadOptions, sample};
use crate::output;
use crate::render;
use crate::report::read;
use crate::report::{self, Inputs, ReportOptions, Stage};

/// Arguments of `kddstat report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The files.
    #[command(flatten)]
    pub data: DataArgs,
    /// The report folder (written whole, or not at all; missing parent folders are created).
    #[arg(
        short,
        long,
        alias = "out",
        value_name = "DIR",
        default_value = "reports/nsl-kdd"
    )]
    pub output: PathBuf,
    /// Detectors to fit and compare, comma-separated.
    #[arg(
        long,
        alias = "detector",
        value_enum,
        value_delimiter = ',',
        value_name = "NAMES",
        default_value = DEFAULT_DETECTORS
    )]
    pub detectors: Vec<DetectorName>,
    /// No detector section.
    #[arg(long, conflicts_with = "detectors")]
    pub no_detectors: bool,
    /// Supervised classifiers to fit and compare with the NSL-KDD paper, comma-separated.
    #[arg(
        long,
        alias = "classifier",
        value_enum,
        value_delimiter = ',',
        value_name = "NAMES",
        default_value = "tree",
        help_heading = "Classifiers"
    )]
    pub classifiers: Vec<crate::classify::ClassifierName>,
    /// Hybrids CLASSIFIER+DETECTOR (at --far on the normal training rows).
    #[arg(long, value_name = "CLASSIFIER+DETECTOR", value_parser = super::models::hybrid_name, default_value = "tree+gmm", help_heading = "Classifiers")]
    pub hybrid: Vec<(crate::classify::ClassifierName, DetectorName)>,
    /// No classifier section.
    #[arg(long, conflicts_with_all = ["classifiers", "hybrid"], help_heading = "Classifiers")]
    pub no_classifiers: bool,
    /// Services shown in the service bars.
    #[arg(long, value_name = "N", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    pub top_services: u64,
    /// Detector parameters.
    #[command(flatten)]
    pub params: DetectorArgs,
    /// How inputs are read.
    #[command(flatten)]
    pub input: InputArgs,
    /// Replace.
    #[command(flatten)]
    pub force: ForceArg,
    /// Quiet.
    #[command(flatten)]
    pub quiet: QuietArg,
}

/// Runs `kddstat report`.
pub fn run(args: Args) -> Result<()> {
    let detectors: &[DetectorName] = if args.no_detectors {
        &[]
    } else {
        &args.detectors
    };
    let hybrids: &[(crate::classify::ClassifierName, DetectorName)] = if args.no_classifiers {
        &[]
    } else {
        &args.hybrid
    };
    let mut checked = detectors.to_vec();
    checked.extend(hybrids.iter().map(|h| h.1));
    args.params.check(&checked)?;
    let ui = Ui::new(args.quiet.quiet);
    // The destination is checked before anything is downloaded or read.
    let given: Vec<Input> = args
        .data
        .train
        .iter()
        .chain(&args.data.tests)
        .map(|a| Input::from_arg(a))
        .collect();
    let given_files: Vec<&Path> = given.iter().filter_map(Input::file).collect();
    output::check_folder(&args.output, &given_files, args.force.force)?;
    let (train_path, test_paths) = args.data.resolve(&ui, true)?;
    let inputs: Vec<Input> = std::iter::once(&train_path)
        .chain(&test_paths)
        .map(|a| Input::from_arg(a))
        .collect();
    let input_files: Vec<&Path> = inputs.iter().filter_map(Input::file).collect();
    output::check_folder(&args.output, &input_files, args.force.force)?;
    let bar = ui.spinner(0);
    bar.set_message("reading the files");
    let models = !detectors.is_empty()
        || (!args.no_classifiers && (!args.classifiers.is_empty() || !hybrids.is_empty()));
    let built = (|| {
        let load_options = args.input.options(false);
        let seed = args.params.seed();
        let mut inputs = read_inputs(&inputs, &load_options, models, seed, &ui, &bar)?;
        let report_options = ReportOptions {
            detectors: detectors
                .iter()
                .map(|&d| args.params.options(d))
                .collect::<Result<_>>()?,
            top_services: usize::try_from(args.top_services).unwrap_or(usize::MAX),
            classifiers: report::classifiers::ClassifierOptions {
                classifiers: if args.no_classifiers {
                    Vec::new()
                } else {
                    args.classifiers.clone()
                },
                hybrids: hybrids
                    .iter()
                    .map(|&(c, d)| Ok((c, args.params.options(d)?)))
                    .collect::<Result<_>>()?,
                target: crate::classify::Target::Binary,
                seed: args.params.seed(),
                test_sha256: std::mem::take(&mut inputs.test_sha256),
            },
            ..ReportOptions::default()
        };
        let on_stage = |s: Stage| bar.set_message(s.describe());
        let built = report::build(&inputs, &report_options, &on_stage)?;
        bar.set_message("writing the folder");
        let files = built.files()?;
        output::write_folder(&args.output, &files)
    })();
    bar.finish_and_clear();
    built?;
    render::print(&format!("{}\n", args.output.join("index.html").display()))
}

/// Reads the training file (then each test file): whole when it fits one block or cannot be
/// read twice (standard input, an archive member), else in chunks, each pass in bounded memory;
/// with `models`, the rows to fit on (a seeded sample of a training file of more than
/// `fit --sample`'s default rows) and the test files' rows (held, or read in chunks again).
fn read_inputs(
    inputs: &[Input],
    options: &LoadOptions,
    models: bool,
    seed: u64,
    ui: &Ui,
    bar: &indicatif::ProgressBar,
) -> Result<Inputs> {
    let chunked = |input: &Input, what: &str| {
        bar.set_message(format!("reading {} in chunks ({what})", input.name()));
    };
    let (train_input, test_inputs) = inputs
        .split_first()
        .ok_or_else(|| Error::Internal("no training file".into()))?;
    let (train, stats, fit, sampled, sha256) = match HeldInput::read(train_input, options)? {
        HeldInput::Whole(ds, sha) => {
            ui.warnings(&ds);
            let (p, stats) = read::read_train(Rows::Frame(&ds))?;
            (p, stats, models.then_some(ds), None, sha)
        }
        HeldInput::File(..) => {
            chunked(train_input, "profile and statistics");
            let (p, stats) = read::read_train(Rows::File(train_input, options))?;
            for w in &p.warnings {
                ui.warn(w);
            }
            if models {
                chunked(train_input, "a sample to fit on");
                let size = usize::try_from(DEFAULT_SAMPLE).unwrap_or(usize::MAX);
                let s = sample::reservoir(train_input, options, size, seed)?;
                let sampled = s.sampled().then_some(detect::Sampled {
                    file_rows: s.rows,
                    seed,
                });
                (p, stats, Some(s.ds), sampled, s.sha256)
            } else {
                (p, stats, None, None, String::new())
            }
        }
    };
    let mut tests = Vec::new();
    let mut test_rows = Vec::new();
    let mut test_sha256 = Vec::new();
    for input in test_inputs {
        let held = HeldInput::read(input, options)?;
        match held.whole() {
            Some(ds) => ui.warnings(ds),
            None => chunked(input, "profile"),
        }
        let p = read::profile(held.rows())?;
        if held.whole().is_none() {
            for w in &p.warnings {
                ui.warn(w);
            }
        }
        tests.push(p);
        if models {
            // The models score it (held, or in chunks); its SHA-256 recognises the paper's files.
            test_sha256.push(held.sha256()?);
            test_rows.push(held);
        } else {
            test_sha256.push(String::new());
        }
    }
    Ok(Inputs {
        train,
        stats,
        fit,
        sampled,
        sha256,
        tests,
        test_rows,
        test_sha256,
    })
}
