//! `kddstat clean IN -o OUT`: finds duplicates, conflicting labels, constant columns and invalid
//! lines, and writes a cleaned copy atomically.

use std::path::{Path, PathBuf};

use crate::clean::{self, Plan, Summary, write};
use crate::error::{Error, Result};
use crate::load::{self, Input, LoadOptions};
use crate::render::{self, Format};
use crate::stats::OrderedMap;

/// Arguments of `kddstat clean`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data file (NSL-KDD or KDD Cup 99, plain, .gz or .zip; `-` for standard input).
    #[arg(value_name = "IN")]
    pub input: String,
    /// Where to write the cleaned data: CSV in the input's layout, or Parquet for a `.parquet` name.
    #[arg(short, long, value_name = "OUT")]
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
    /// Replace OUT (and the quarantine file) if they exist.
    #[arg(long)]
    pub force: bool,
    /// Summary format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The member of a .zip archive to read.
    #[arg(long, value_name = "NAME")]
    pub entry: Option<String>,
    /// Do not print warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `kddstat clean`.
pub fn run(args: Args) -> Result<()> {
    if matches!(args.format, Format::Csv | Format::Markdown) {
        return Err(Error::Usage(
            "clean prints its summary as --format table or json".to_string(),
        ));
    }
    let input = Input::from_arg(&args.input);
    let inputs: Vec<&Path> = match &input {
        Input::Path(p) => vec![Path::new(p)],
        Input::Stdin => vec![],
    };
    write::check_destination(&args.output, &inputs, args.force)?;
    if let Some(q) = &args.quarantine {
        if q == &args.output {
            return Err(Error::Usage(
                "the quarantine file must not be the output file".to_string(),
            ));
        }
        write::check_destination(q, &inputs, args.force)?;
    }
    let options = LoadOptions {
        entry: args.entry.clone(),
        set_aside_invalid: args.quarantine.is_some(),
    };
    let (ds, raw) = load::load_with_source(&input, &options)?;
    if !args.quiet {
        ds.warnings().iter().for_each(|w| super::warn(w));
    }
    let findings = clean::inspect(&ds)?;
    let plan = Plan::new(
        &ds,
        &findings,
        args.drop_duplicates,
        args.drop_conflicts,
        args.drop_constant,
    );
    let format = write::OutputFormat::for_path(&args.output);
    if let Some(q) = &args.quarantine {
        write::atomically(q, |w| write::write_quarantine(w, &ds.rejected))?;
    }
    write::atomically(&args.output, |w| match format {
        write::OutputFormat::Csv => write::write_csv(w, &ds, &raw.bytes, &plan),
        write::OutputFormat::Parquet => write::write_parquet(w, &ds, &plan),
    })?;
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
        output: args.output.display().to_string(),
        output_format: format.as_str(),
        findings,
    };
    render::print(&render::clean::render(&summary, args.format)?)
}
