//! `kddstat describe FILE...`: row counts, numeric statistics and value counts.

use super::args::{InputArgs, QuietArg, Ui};
use crate::error::Result;
use crate::render::{self, Format, describe::RenderOptions};
use crate::stats::describe::{self, DescribeOptions, GroupBy};

/// Arguments of `kddstat describe`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Data files: NSL-KDD or KDD Cup 99, CSV or Parquet, plain, .gz or .zip (ARCHIVE.zip:MEMBER
    /// for one member); `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
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
    /// Quiet.
    #[command(flatten)]
    pub quiet: QuietArg,
}

/// The groups `--by` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// Attack category: normal, DoS, Probe, R2L, U2R, unknown.
    Category,
    /// Label: normal or the attack name.
    Label,
}

impl From<By> for GroupBy {
    fn from(b: By) -> GroupBy {
        match b {
            By::Category => GroupBy::Category,
            By::Label => GroupBy::Label,
        }
    }
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
    };
    let mut summaries = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let ds = args.input.load(file, &ui)?;
        summaries.push(describe::describe(&ds, &options)?);
    }
    let text = render::describe::render(
        &summaries,
        RenderOptions {
            format: args.format,
            top: args.top.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        },
    )?;
    render::print(&text)
}
