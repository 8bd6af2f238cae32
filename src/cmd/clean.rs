//! `kddstat clean IN -o OUT`: finds duplicates, conflicting labels, constant columns and invalid
//! lines, and writes a cleaned copy atomically.

use std::path::{Path, PathBuf};

use super::args::{ForceArg, InputArgs, QuietArg, Ui};
use crate::clean::{self, Selection, Summary, write};
use crate::error::{Error, Result};
use crate::load::Input;
use crate::output::{self, Destination};
use crate::render::{self, SummaryFormat};
use crate::stats::OrderedMap;

/// Arguments of `kddstat clean`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data file (NSL-KDD or KDD Cup 99, CSV or Parquet, plain, .gz or .zip; `-` for standard
    /// input).
    #[arg(value_name = "IN")]
    pub input_file: String,
    /// Where to write the cleaned data: CSV in the input's layout, or Parquet for a `.parquet`
    /// name; `-` writes CSV to standard output (the summary then goes to standard error).
    #[arg(short, long, alias = "out", value_name = "OUT")]
    pub output: PathBuf,
    /// Drop rows equal to an earlier row (the first of each group is kept).
    #[arg(long)]
    pub drop_duplicates: bool,
    /// Drop every row whose feature vector also occurs with another label.
    #[arg(long)]
    pub drop_conflicts: bool,
    /// Drop columns with a single value (the CSV then gets a header naming its columns).
    #[arg(long)]
    pub drop_constant: bool,
    /// Set lines that fail validation aside in FILE (CSV: line, reason, record) instead of
    /// stopping at the first one.
    #[arg(long, value_name = "FILE")]
    pub quarantine: Option<PathBuf>,
    /// Summary format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    pub format: SummaryFormat,
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

/// Runs `kddstat clean`.
pub fn run(args: Args) -> Result<()> {
    let ui = Ui::new(args.quiet.quiet);
    let force = args.force.force;
    let input = Input::from_arg(&args.input_file);
    let inputs: Vec<&Path> = input.file().into_iter().collect();
    let out = Destination::from_arg(&args.output);
    let format = match &out {
        Destination::File(p) => write::OutputFormat::for_path(p),
        Destination::Stdout => write::OutputFormat::Csv,
    };
    output::check_destination(&out, &inputs, force)?;
    if let Some(q) = &args.quarantine {
        if q.as_os_str() == "-" {
            return Err(Error::Usage(
                "--quarantine takes a file name; standard output is not one".into(),
            ));
        }
        output::check_file(q, &inputs, force)?;
        if let Some(o) = out.path() {
            output::check_distinct(&[o, q.as_path()])?;
        }
    }
    // CSV from a file: two passes over chunks, memory bounded by the distinct rows.
    let load_options = args.input.options(args.quarantine.is_some());
    if format == write::OutputFormat::Csv
        && let Some(first) = clean::stream::open(&input, &load_options)?
    {
        return run_streamed(&args, first, &input, &out, &ui);
    }
    let (ds, raw) =
        args.input
            .load_with_source(&args.input_file, args.quarantine.is_some(), &ui)?;
    ds.require_all_features("clean")?;
    let findings = clean::inspect(&ds)?;
    let plan = Selection::new(
        &ds,
        &findings,
        args.drop_duplicates,
        args.drop_conflicts,
        args.drop_constant,
    );
    let fill = |w: &mut dyn std::io::Write| match format {
        write::OutputFormat::Csv => write::write_csv(w, &ds, &raw.bytes, &plan),
        write::OutputFormat::Parquet => write::write_parquet(w, &ds, &plan),
    };
    // Both files are written in full before either is put in place.
    match &out {
        Destination::File(o) => {
            let quarantine = match &args.quarantine {
                Some(q) => Some(output::stage(q, force, |w| {
                    write::write_quarantine(w, &ds.rejected)
                })?),
                None => None,
            };
            let main = output::stage(o, force, fill)?;
            if let Some(q) = quarantine {
                q.commit()?;
            }
            main.commit()?;
        }
        Destination::Stdout => {
            if let Some(q) = &args.quarantine {
                output::write_file(q, force, |w| write::write_quarantine(w, &ds.rejected))?;
            }
            output::write(&out, force, fill)?;
        }
    }
    let summary = Summary {
        input: ds.name.clone(),
        layout: ds.layout.describe(),
        rows_in: ds.rows(),
        invalid_lines: ds.rejected.len(),
        quarantine: args.quarantine.as_ref().map(|q| q.display().to_string()),
        dropped_duplicates: args.drop_duplicates,
        dropped_conflicts: args.drop_conflicts,
        dropped_columns: plan.dropped_columns.clone(),
        rows_out: plan.rows_kept(),
        categories_out: OrderedMap(clean::kept_categories(&ds, &plan)?),
        output: out.display(),
        output_format: format.as_str(),
        findings,
    };
    print_summary(&args, &summary, &out)
}

/// Prints the summary (to standard error when the data went to standard output).
fn print_summary(args: &Args, summary: &Summary, out: &Destination) -> Result<()> {
    let text = render::clean::render(summary, args.format.into())?;
    if *out == Destination::Stdout {
        if !args.quiet.quiet {
            crate::output::stderr_write(&text);
        }
        Ok(())
    } else {
        render::print(&text)
    }
}

/// `clean` to CSV from a file read twice in chunks ([`clean::stream`]): the first pass finds
/// what to drop (and sets invalid lines aside in the quarantine file as they come), the second
/// copies the kept lines.
fn run_streamed(
    args: &Args,
    first: crate::load::stream::Stream,
    input: &Input,
    out: &Destination,
    ui: &Ui,
) -> Result<()> {
    let force = args.force.force;
    let load_options = args.input.options(args.quarantine.is_some());
    let mut inspected = None;
    let quarantine = match (&args.quarantine, out) {
        (Some(q), Destination::File(_)) => Some(output::stage(q, force, |w| {
            inspected = Some(clean::stream::inspect(first, Some(w))?);
            Ok(())
        })?),
        (Some(q), Destination::Stdout) => {
            output::write_file(q, force, |w| {
                inspected = Some(clean::stream::inspect(first, Some(w))?);
                Ok(())
            })?;
            None
        }
        (None, _) => {
            inspected = Some(clean::stream::inspect(first, None)?);
            None
        }
    };
    let inspected =
        inspected.ok_or_else(|| Error::Internal("the first pass did not run".into()))?;
    for w in crate::load::unknown_label_warnings(&inspected.name, &inspected.unknown) {
        ui.warn(&w);
    }
    let drop = clean::stream::Drop {
        duplicates: args.drop_duplicates,
        conflicts: args.drop_conflicts,
        columns: if args.drop_constant {
            inspected.findings.constant_columns.clone()
        } else {
            Vec::new()
        },
    };
    let mut written = (0, Vec::new());
    let fill = |w: &mut dyn std::io::Write| {
        let second = crate::load::stream::Stream::open(input, &load_options)?;
        written = clean::stream::write_csv(second, &inspected, &drop, w)?;
        Ok(())
    };
    match out {
        Destination::File(o) => {
            let main = output::stage(o, force, fill)?;
            if let Some(q) = quarantine {
                q.commit()?;
            }
            main.commit()?;
        }
        Destination::Stdout => output::write(out, force, fill)?,
    }
    let (rows_out, categories) = written;
    let summary = Summary {
        input: inspected.name.clone(),
        layout: inspected.layout.clone(),
        rows_in: inspected.rows,
        invalid_lines: inspected.rejected,
        quarantine: args.quarantine.as_ref().map(|q| q.display().to_string()),
        dropped_duplicates: args.drop_duplicates,
        dropped_conflicts: args.drop_conflicts,
        dropped_columns: drop.columns.clone(),
        rows_out,
        categories_out: OrderedMap(categories),
        output: out.display(),
        output_format: write::OutputFormat::Csv.as_str(),
        findings: inspected.findings.clone(),
    };
    print_summary(args, &summary, out)
}
