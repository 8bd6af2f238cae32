//! `kddstat stats FILE`: per-class profiles, correlations, relevance, skewness and alerts.

use super::args::By;
use super::args::{InputArgs, QuietArg, Ui};
use crate::clean;
use crate::error::{Error, Result};
use crate::load::{self, Input, rows::Rows, stream};
use crate::render::{self, Format};
use crate::stats::analysis::{StatsOptions, analyse};
use crate::stats::streamed;

/// Arguments of `kddstat stats`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data file (NSL-KDD or KDD Cup 99, CSV or Parquet, plain, .gz or .zip; `-` for standard
    /// input).
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Profile per category (default) or per label.
    #[arg(long, value_enum, value_name = "GROUP", default_value_t = By::Category)]
    pub by: By,
    /// List pairs with |Pearson r| or |Spearman rho| at least this.
    #[arg(long, value_name = "R", default_value_t = 0.9, value_parser = super::finite_number)]
    pub min_r: f64,
    /// Equal-frequency bins for the relevance of numeric features.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub bins: usize,
    /// How inputs are read.
    #[command(flatten)]
    pub input: InputArgs,
    /// Quiet.
    #[command(flatten)]
    pub quiet: QuietArg,
}

/// Runs `kddstat stats`.
pub fn run(args: Args) -> Result<()> {
    if !(0.0..=1.0).contains(&args.min_r) {
        return Err(Error::Usage(format!(
            "--min-r {} is not in [0, 1]",
            args.min_r
        )));
    }
    if args.bins < 2 {
        return Err(Error::Usage("--bins must be at least 2".to_string()));
    }
    let ui = Ui::new(args.quiet.quiet);
    let stats_options = StatsOptions {
        by: args.by.into(),
        min_r: args.min_r,
        bins: args.bins,
        ..StatsOptions::default()
    };
    // A file is read in chunks, three times (duplicates, value counts, products): memory does
    // not grow with the rows; standard input and inputs read whole go the whole-file way.
    let input = Input::from_arg(&args.file);
    let load_options = args.input.options(false);
    if !stream::fits_one_block(&input)
        && let Some(first) = clean::stream::open(&input, &load_options)?
    {
        let inspected = clean::stream::inspect(first, None)?;
        for w in load::unknown_label_warnings(&inspected.name, &inspected.unknown) {
            ui.warn(&w);
        }
        let rows = Rows::File(&input, &load_options);
        let open = || rows.open();
        let report = streamed::analyse(
            &open,
            &stats_options,
            inspected.findings.duplicate_rows,
            inspected.findings.conflicting_rows,
        )?;
        return render::print(&render::stats::render(&report, args.format)?);
    }
    let ds = args.input.load(&args.file, &ui)?;
    ds.require_all_features("stats")?;
    let findings = clean::inspect(&ds)?;
    let report = analyse(
        &ds,
        &stats_options,
        findings.duplicate_rows,
        findings.conflicting_rows,
    )?;
    render::print(&render::stats::render(&report, args.format)?)
}
