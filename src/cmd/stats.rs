//! `kddstat stats FILE`: per-class profiles, correlations, relevance, skewness and alerts; with
//! `--state-out`, `--state-in` and `--first-pass`, the same figures of a dataset in parts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::args::By;
use super::args::{DistinctArg, InputArgs, QuietArg, StateOut, Ui};
use crate::error::{Error, Result};
use crate::load::{self, Dataset, Input, rows::Rows, stream};
use crate::render::{self, Format};
use crate::stats::Accumulator;
use crate::stats::analysis::StatsOptions;
use crate::stats::describe::GroupBy;
use crate::stats::pairs::{FirstPassFigures, PairSums};
use crate::stats::state::{self, FirstPass, SavedStats};

/// The most equal-frequency bins of `--bins` (each bin is a quantile of every numeric feature).
const MAX_BINS: usize = 10_000;

/// Arguments of `kddstat stats`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data file (NSL-KDD or KDD Cup 99, CSV or Parquet, plain, .gz or .zip; `-` for standard
    /// input).
    #[arg(value_name = "FILE", required_unless_present = "state_in")]
    pub file: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Profile per category (default) or per label.
    #[arg(long, value_enum, value_name = "GROUP")]
    pub by: Option<By>,
    /// List pairs with |Pearson r| or |Spearman rho| at least this.
    #[arg(long, value_name = "R", default_value_t = 0.9, value_parser = super::finite_number)]
    pub min_r: f64,
    /// Equal-frequency bins for the relevance of numeric features [default: 10].
    #[arg(long, value_name = "N")]
    pub bins: Option<usize>,
    /// Write the exact state of this run to FILE: the first pass of FILE (or of the --state-in
    /// first passes merged), or, with --first-pass, the second pass. States of the parts of a
    /// dataset merge into the figures of the whole (docs/formats.md, "Saved states").
    #[arg(long, value_name = "FILE")]
    pub state_out: Option<PathBuf>,
    /// Add a state written by --state-out (repeatable): first passes merge into a first pass;
    /// second passes, with --first-pass, into the figures.
    #[arg(long, value_name = "FILE")]
    pub state_in: Vec<PathBuf>,
    /// The first pass of the whole dataset (the parts' first passes merged): FILE is read for the
    /// second pass, which needs the whole dataset's means, ranks and bins.
    #[arg(long, value_name = "STATE")]
    pub first_pass: Option<PathBuf>,
    /// Write the --state-out state only, without the figures (and without the second pass of a
    /// FILE analysed whole): for engines that merge the states of many parts.
    #[arg(long, requires = "state_out")]
    pub state_only: bool,
    /// Replace an existing --state-out file.
    #[arg(long)]
    pub force: bool,
    /// How inputs are read.
    #[command(flatten)]
    pub input: InputArgs,
    /// The memory of the value counts.
    #[command(flatten)]
    pub distinct: DistinctArg,
    /// Quiet.
    #[command(flatten)]
    pub quiet: QuietArg,
}

/// The two kinds of state a run may hold.
enum StatsHeld {
    First(Box<FirstPass>),
    Second(PairSums),
}

/// Runs `kddstat stats`.
pub fn run(args: Args) -> Result<()> {
    check(&args)?;
    let ui = Ui::new(args.quiet.quiet);
    let inputs: Vec<PathBuf> = args
        .file
        .iter()
        .map(PathBuf::from)
        .chain(args.state_in.iter().cloned())
        .chain(args.first_pass.iter().cloned())
        .collect();
    let state_out = StateOut::checked(args.state_out.as_ref(), &inputs, args.force)?;
    let max = args.distinct.max_distinct;
    let first = match &args.first_pass {
        Some(p) => Some(read_first(p, max)?),
        None => None,
    };
    if let Some(f) = &first {
        check_by(&args, f)?;
    }
    let bins = match &args.bins {
        Some(b) => *b,
        None => 10,
    };
    let options = StatsOptions {
        // The profile's grouping: asked for, or the first pass's.
        by: args
            .by
            .map(GroupBy::from)
            .or_else(|| first.as_ref().and_then(|(_, f, _)| f.by()))
            .unwrap_or(GroupBy::Category),
        min_r: args.min_r,
        bins,
        ..StatsOptions::default()
    };
    let plan = match &first {
        Some((_, f, digest)) => Some(Arc::new(f.plan(bins, digest.clone())?)),
        None => None,
    };
    // Without --first-pass and without states, FILE is analysed whole (both passes).
    let mut report = None;
    let mut held = match (&args.file, &plan) {
        (Some(file), None) => {
            let (first, r) = analyse_file(file, &args, &options, &ui, args.state_only)?;
            report = r;
            Some(StatsHeld::First(Box::new(first)))
        }
        (Some(file), Some(plan)) => Some(StatsHeld::Second(second_of(file, &args, plan, &ui)?)),
        (None, _) => None,
    };
    for path in &args.state_in {
        held = Some(merge_in(held, path, plan.as_ref(), &args, max)?);
    }
    let Some(held) = held else {
        return Err(Error::Internal("no state was read".into()));
    };
    if state_out.is_some() {
        state_out.write(&match &held {
            StatsHeld::First(f) => SavedStats::first(f),
            StatsHeld::Second(s) => SavedStats::second(s),
        })?;
    }
    if args.state_only {
        return Ok(());
    }
    let report = match (&held, &first) {
        (StatsHeld::First(_), _) if report.is_some() => report,
        (StatsHeld::Second(s), Some((_, f, _))) if s.rows() == f.describe.rows() => {
            Some(state::report(f, s, &options)?)
        }
        _ => None,
    };
    let Some(report) = report else {
        return next_step(&held, state_out.is_some(), &ui);
    };
    state_out.print_figures(&render::stats::render(&report, args.format)?)
}

/// The flags that cannot go together.
fn check(args: &Args) -> Result<()> {
    if !(0.0..=1.0).contains(&args.min_r) {
        return Err(Error::Usage(format!(
            "--min-r {} is not in [0, 1]",
            args.min_r
        )));
    }
    if args.bins.is_some_and(|b| !(2..=MAX_BINS).contains(&b)) {
        return Err(Error::Usage(format!(
            "--bins must be between 2 and {MAX_BINS}"
        )));
    }
    if args.force && args.state_out.is_none() {
        return Err(Error::Usage("--force applies to --state-out only".into()));
    }
    if args.bins.is_some() && args.first_pass.is_none() && args.file.is_none() {
        return Err(Error::Usage(
            "--bins applies to the second pass: give it with --first-pass".into(),
        ));
    }
    Ok(())
}

/// The first pass of `--first-pass`, with its name.
fn read_first(path: &Path, max: u64) -> Result<(String, FirstPass, String)> {
    let (shown, bytes) = crate::detect::read_model_file(path)?;
    let saved = SavedStats::parse(&shown, &bytes, max)?;
    if saved.pass != 1 {
        return Err(Error::Model {
            path: shown,
            message: "--first-pass takes a first pass (a state written without --first-pass)"
                .into(),
        });
    }
    let digest = saved.first.clone();
    let first = saved.into_first(&shown, max)?;
    Ok((shown, first, digest))
}

/// Refuses a --by other than the first pass's grouping.
fn check_by(args: &Args, (shown, first, _): &(String, FirstPass, String)) -> Result<()> {
    match (args.by.map(GroupBy::from), first.by()) {
        (Some(by), Some(own)) if by != own => Err(Error::Model {
            path: shown.clone(),
            message: format!(
                "this first pass groups the profile by {}, not by {}: a state cannot be regrouped",
                own.column(),
                by.column()
            ),
        }),
        _ => Ok(()),
    }
}

/// Both passes over FILE: its first pass, and its report when it can be read twice (or is in
/// memory).
fn analyse_file(
    file: &str,
    args: &Args,
    options: &StatsOptions,
    ui: &Ui,
    first_only: bool,
) -> Result<(FirstPass, Option<crate::stats::analysis::StatsReport>)> {
    let with_rows = |rows: Rows, warn: bool| {
        let a = state::analyse(&|| rows.open(), options, first_only)?;
        if warn {
            for w in load::unknown_label_warnings(a.first.describe.path(), &a.unknown) {
                ui.warn(&w);
            }
        }
        Ok((a.first, a.report))
    };
    // A file is read in chunks, twice: memory does not grow with the rows; standard input and
    // inputs that fit one block are read whole.
    let input = Input::from_arg(file);
    let load_options = args.input.options(false);
    if !stream::fits_one_block(&input) && !matches!(input, Input::Stdin) {
        return with_rows(Rows::File(&input, &load_options), true);
    }
    let ds: Dataset = args.input.load(file, ui)?;
    ds.require_all_features("stats")?;
    with_rows(Rows::Frame(&ds), false)
}

/// The second pass of FILE with `plan`.
fn second_of(file: &str, args: &Args, plan: &Arc<FirstPassFigures>, ui: &Ui) -> Result<PairSums> {
    let input = Input::from_arg(file);
    let load_options = args.input.options(false);
    let ds;
    let rows = if !stream::fits_one_block(&input) && !matches!(input, Input::Stdin) {
        Rows::File(&input, &load_options)
    } else {
        ds = args.input.load(file, ui)?;
        ds.require_all_features("stats")?;
        Rows::Frame(&ds)
    };
    state::second_pass(&|| rows.open(), Arc::clone(plan))
}

/// Adds the state at `path` to what is held.
fn merge_in(
    held: Option<StatsHeld>,
    path: &Path,
    plan: Option<&Arc<FirstPassFigures>>,
    args: &Args,
    max: u64,
) -> Result<StatsHeld> {
    let (shown, bytes) = crate::detect::read_model_file(path)?;
    let saved = SavedStats::parse(&shown, &bytes, max)?;
    let wrong_pass = |message: &str| Error::Model {
        path: shown.clone(),
        message: message.to_string(),
    };
    match (saved.pass, plan, held) {
        (1, None, held) => {
            let first = saved.into_first(&shown, max)?;
            if let Some(by) = args.by.map(GroupBy::from)
                && first.by() != Some(by)
            {
                return Err(wrong_pass(
                    "this first pass groups the profile otherwise than --by: a state cannot be \
                     regrouped",
                ));
            }
            match held {
                Some(StatsHeld::First(mut f)) => {
                    f.merge(first).map_err(|e| name_state(e, &shown))?;
                    Ok(StatsHeld::First(f))
                }
                None => Ok(StatsHeld::First(Box::new(first))),
                Some(StatsHeld::Second(_)) => Err(wrong_pass("a first pass among second passes")),
            }
        }
        (1, Some(_), _) => Err(wrong_pass(
            "a first pass given with --state-in and --first-pass: --state-in then takes the \
             parts' second passes",
        )),
        (_, None, _) => Err(wrong_pass(
            "a second pass: give the first pass it was made with as --first-pass",
        )),
        (_, Some(plan), held) => {
            let second = saved.into_second(&shown, plan)?;
            match held {
                Some(StatsHeld::Second(mut s)) => {
                    s.merge(second)?;
                    if s.rows() > plan.rows {
                        return Err(wrong_pass(
                            "the second passes count more rows than the first pass: a part is \
                             counted twice",
                        ));
                    }
                    Ok(StatsHeld::Second(s))
                }
                None => Ok(StatsHeld::Second(second)),
                Some(StatsHeld::First(_)) => Err(wrong_pass("a second pass among first passes")),
            }
        }
    }
}

/// A merge error, naming the state file.
fn name_state(e: Error, shown: &str) -> Error {
    match e {
        Error::Usage(m) | Error::Internal(m) | Error::Model { message: m, .. } => Error::Model {
            path: shown.to_string(),
            message: m,
        },
        other => other,
    }
}

/// What to do next when the states held do not make the figures yet.
fn next_step(held: &StatsHeld, saved: bool, ui: &Ui) -> Result<()> {
    let message = match held {
        StatsHeld::First(f) => format!(
            "first passes of {} rows merged; the figures need the second pass: run `kddstat \
             stats PART --first-pass STATE --state-out PART2` on every part, then `kddstat stats \
             --first-pass STATE --state-in PART2 ...`",
            f.describe.rows()
        ),
        StatsHeld::Second(s) => format!(
            "second passes of {} of the first pass's {} rows: add the other parts' second passes \
             (--state-in) for the figures",
            s.rows(),
            s.plan().rows
        ),
    };
    if saved {
        ui.note(&message);
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{message} (or give --state-out to save this state)"
    )))
}
