//! `kddstat report`: the offline HTML/SVG report folder of a training file and test files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::fit::DetectorArgs;
use crate::detect::{self, DetectorName};
use crate::error::{Error, Result};
use crate::load::{self, Dataset, Input, LoadOptions};
use crate::render;
use crate::report::{self, ReportOptions, Stage, output};

/// The training file read when none is named.
pub const DEFAULT_TRAIN: &str = "KDDTrain+.txt";
/// The test files read when no file is named.
pub const DEFAULT_TESTS: [&str; 2] = ["KDDTest+.txt", "KDDTest-21.txt"];

/// Arguments of `kddstat report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The training file [default: KDDTrain+.txt in $KDDSTAT_DATA, else in datasets/].
    #[arg(long, value_name = "TRAIN")]
    pub train: Option<String>,
    /// A test file (repeat for several) [default, without --train: KDDTest+.txt and
    /// KDDTest-21.txt beside the default training file].
    #[arg(long = "test", value_name = "TEST")]
    pub tests: Vec<String>,
    /// The report folder (written whole, or not at all).
    #[arg(long, short, value_name = "DIR", default_value = "reports/nsl-kdd")]
    pub out: PathBuf,
    /// Replace DIR if it exists and is not empty.
    #[arg(long)]
    pub force: bool,
    /// Detectors to fit and compare, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "zscore,kmeans,gmm,iforest"
    )]
    pub detectors: Vec<DetectorName>,
    /// No detector section.
    #[arg(long, conflicts_with = "detectors")]
    pub no_detectors: bool,
    /// Services shown in the service bars.
    #[arg(long, default_value_t = 15)]
    pub top_services: usize,
    /// Detector parameters.
    #[command(flatten)]
    pub params: DetectorArgs,
    /// No progress bar and no warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The folder of the default files: `$KDDSTAT_DATA`, else `datasets`.
pub fn data_dir() -> PathBuf {
    std::env::var_os("KDDSTAT_DATA")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("datasets"), PathBuf::from)
}

/// The input files: as given, or the defaults (which must exist).
fn inputs(args: &Args) -> Result<(String, Vec<String>)> {
    if let Some(train) = &args.train {
        return Ok((train.clone(), args.tests.clone()));
    }
    let dir = data_dir();
    let default = |name: &str| -> Result<String> {
        let p = dir.join(name);
        if !p.exists() {
            return Err(Error::Missing {
                path: p.display().to_string(),
                hint: format!(
                    "run `kddstat fetch --dir {}` to download the NSL-KDD files, or set \
                     KDDSTAT_DATA to the folder that holds them",
                    dir.display()
                ),
            });
        }
        Ok(p.display().to_string())
    };
    let train = default(DEFAULT_TRAIN)?;
    let tests = if args.tests.is_empty() {
        DEFAULT_TESTS
            .iter()
            .map(|t| default(t))
            .collect::<Result<Vec<_>>>()?
    } else {
        args.tests.clone()
    };
    Ok((train, tests))
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    // Hidden by itself when standard error is not a terminal.
    let bar = ProgressBar::new(Stage::ALL.len() as u64 + 2);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Runs `kddstat report`.
pub fn run(args: Args) -> Result<()> {
    let (train_path, test_paths) = inputs(&args)?;
    let input_paths: Vec<&Path> = std::iter::once(&train_path)
        .chain(&test_paths)
        .filter(|p| p.as_str() != "-")
        .map(Path::new)
        .collect();
    output::check_folder(&args.out, &input_paths, args.force)?;
    let bar = progress_bar(args.quiet);
    bar.set_message("reading the files");
    let options = LoadOptions::default();
    let warn = |ds: &Dataset| {
        if !args.quiet {
            ds.warnings()
                .iter()
                .for_each(|w| bar.suspend(|| super::warn(w)));
        }
    };
    let (train, raw) = load::load_with_source(&Input::from_arg(&train_path), &options)?;
    warn(&train);
    let sha = detect::sha256_hex(&raw.bytes);
    drop(raw);
    let tests = test_paths
        .iter()
        .map(|t| {
            let ds = load::load(&Input::from_arg(t), &options)?;
            warn(&ds);
            Ok(ds)
        })
        .collect::<Result<Vec<_>>>()?;
    bar.inc(1);
    let detectors = if args.no_detectors {
        Vec::new()
    } else {
        args.detectors
            .iter()
            .map(|&d| args.params.options(d))
            .collect()
    };
    let report_options = ReportOptions {
        detectors,
        top_services: args.top_services,
        ..ReportOptions::default()
    };
    let on_stage = |s: Stage| {
        bar.set_message(s.describe());
        bar.inc(1);
    };
    let built = report::build(&train, &sha, &tests, &report_options, &on_stage)?;
    bar.set_message("writing the folder");
    bar.inc(1);
    let files = built.files()?;
    output::write_folder(&args.out, &files)?;
    bar.finish_and_clear();
    render::print(&format!("{}\n", args.out.join("index.html").display()))
}
