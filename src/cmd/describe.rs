//! `kddstat describe FILE...`: row counts, numeric statistics and value counts.

use super::args::{By, DistinctArg, InputArgs, QuietArg, StateOut, Ui, state_of};
use crate::error::{Error, Result};

use crate::output;
use crate::render::{self, Format, describe::RenderOptions};
use crate::stats::describe::{self, DescribeOptions, DescribeState, GroupBy};

/// Arguments of `kddstat describe`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Data files: NSL-KDD or KDD Cup 99, CSV or Parquet, plain, .gz or .zip (ARCHIVE.zip:MEMBER
    /// for one member); `-` reads standard input; a folder is its files read as one dataset.
    #[arg(value_name = "FILE", required_unless_present = "state_in")]
    pub files: Vec<String>,
    /// Describe all the FILEs as one dataset (their records one after another) instead of one
    /// summary each.
    #[arg(long)]
    pub combine: bool,
    /// Write the exact state of the statistics (value counts of every column) to FILE: states of
    /// parts of a dataset merge into the figures of the whole (--state-in).
    #[arg(long, value_name = "FILE")]
    pub state_out: Option<std::path::PathBuf>,
    /// Add a state written by --state-out (repeatable): the summary is that of all the records
    /// of the states and FILEs together.
    #[arg(long, value_name = "FILE")]
    pub state_in: Vec<std::path::PathBuf>,
    /// Replace an existing --state-out file.
    #[arg(long)]
    pub force: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Numeric statistics per group as well.
    #[arg(long, value_enum, value_name = "GROUP")]
    pub by: Option<By>,
    /// Only these columns, comma-separated (feature names, label, category, difficulty).
    #[arg(long, value_delimiter = ',', value_name = "A,B,C")]
    pub columns: Option<Vec<String>>,
    /// List at most N values per categorical column (tables: 10 by default; other formats: all).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub top: Option<u64>,
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

/// Runs `kddstat describe`.
pub fn run(args: Args) -> Result<()> {
    if let Some(columns) = &args.columns {
        describe::check_columns(columns)?;
    }
    let ui = Ui::new(args.quiet.quiet);
    let options = DescribeOptions {
        columns: args.columns.clone(),
        by: args.by.map(GroupBy::from),
        max_distinct: Some(args.distinct.max_distinct),
    };
    // Each dataset: the inputs read as one (a folder's files; every FILE with --combine).
    let mut datasets: Vec<Vec<String>> = Vec::new();
    if args.combine || !args.state_in.is_empty() {
        if !args.files.is_empty() {
            datasets.push(args.files.clone());
        }
    } else {
        datasets.extend(args.files.iter().map(|f| vec![f.clone()]));
    }
    let one = datasets.len() + usize::from(!args.state_in.is_empty() && datasets.is_empty()) <= 1;
    if args.state_out.is_some() && !one {
        return Err(Error::Usage(
            "--state-out saves the state of one dataset: give one FILE (or folder), or --combine"
                .into(),
        ));
    }
    if args.force && args.state_out.is_none() {
        return Err(Error::Usage("--force applies to --state-out only".into()));
    }
    let inputs: Vec<std::path::PathBuf> = args
        .files
        .iter()
        .map(std::path::PathBuf::from)
        .chain(args.state_in.iter().cloned())
        .collect();
    let state_out = StateOut::checked(args.state_out.as_ref(), &inputs, args.force)?;
    let mut states = Vec::with_capacity(datasets.len().max(1));
    for args_of_one in &datasets {
        states.push(state_of(args_of_one, &args.input, &options, &ui)?);
    }
    if !args.state_in.is_empty() {
        let mut merged = states.pop();
        let mut seen: Vec<(std::path::PathBuf, String)> = Vec::new();
        for path in &args.state_in {
            let (shown, saved) = read_state(path, &options)?;
            let key = (output::resolve(path), saved.path().to_string());
            warn_counted_twice(&ui, &shown, &saved, &seen, &args.files);
            seen.push(key);
            match &mut merged {
                Some(m) if !m.same_shape(&saved) => {
                    return Err(Error::Model {
                        path: shown,
                        message: format!(
                            "the state describes other columns or groups than {}; states merge \
                             only when made with the same --columns and --by",
                            m.path()
                        ),
                    });
                }
                Some(m) => m.merge(saved)?,
                None => merged = Some(saved),
            }
        }
        states.extend(merged);
    }
    if let Some(state) = states.first() {
        state_out.write(&state.save())?;
    }
    let summaries: Vec<_> = states.iter().map(DescribeState::finish).collect();
    let text = render::describe::render(
        &summaries,
        RenderOptions {
            format: args.format,
            top: args.top.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        },
    )?;
    state_out.print_figures(&text)
}

/// Warns when a state counts records already counted: the same state file twice, a state with the
/// same content (the same source and rows) as one already added, or a state of a data file that is
/// also given.
fn warn_counted_twice(
    ui: &Ui,
    shown: &str,
    state: &DescribeState,
    seen: &[(std::path::PathBuf, String)],
    files: &[String],
) {
    let file = output::resolve(std::path::Path::new(shown));
    let twice = seen
        .iter()
        .any(|(f, source)| *f == file || (source == state.path() && !source.is_empty()));
    let of_a_file = files.iter().any(|f| {
        f == state.path()
            || output::resolve(std::path::Path::new(f))
                == output::resolve(std::path::Path::new(state.path()))
    });
    if twice {
        ui.warn(&format!(
            "{shown}: this state (of {}) is given twice: its records are counted twice",
            state.path()
        ));
    } else if of_a_file {
        ui.warn(&format!(
            "{shown}: this state is of {}, which is also read as a FILE: its records are counted \
             twice",
            state.path()
        ));
    }
}

/// Reads a state written by `--state-out`, checked against the limits and flags of this run.
fn read_state(
    path: &std::path::Path,
    options: &DescribeOptions,
) -> Result<(String, DescribeState)> {
    let (shown, bytes) = crate::detect::read_model_file(path)?;
    let max = options
        .max_distinct
        .unwrap_or(describe::DEFAULT_MAX_DISTINCT);
    let saved: describe::SavedState =
        describe::budget_parse(max, &bytes).map_err(|e| Error::Model {
            path: shown.clone(),
            message: format!("not a describe state ({e})"),
        })?;
    let state = DescribeState::from_saved(&shown, saved, max)?;
    state
        .check_options(options)
        .map_err(|message| Error::Model {
            path: shown.clone(),
            message,
        })?;
    Ok((shown, state))
}
