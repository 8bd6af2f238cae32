//! `kddstat describe FILE...`: row counts, numeric statistics and value counts.

use crate::error::Result;
use crate::load::{self, Input, LoadOptions};
use crate::render::{self, Format, describe::RenderOptions};
use crate::stats::describe::{self, DescribeOptions, GroupBy};

/// Arguments of `kddstat describe`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Data files: NSL-KDD or KDD Cup 99, plain, .gz or .zip; `-` reads standard input.
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
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// The member of a .zip archive to read (default: its only data file).
    #[arg(long, value_name = "NAME")]
    pub entry: Option<String>,
    /// Do not print warnings (such as labels of unknown category).
    #[arg(long, short)]
    pub quiet: bool,
}

/// The groups `--by` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// Attack category: normal, DoS, Probe, R2L, U2R, unknown.
    Category,
    /// Label: normal or the attack name.
    Label,
}

/// Runs `kddstat describe`.
pub fn run(args: Args) -> Result<()> {
    if let Some(columns) = &args.columns {
        describe::check_columns(columns)?;
    }
    let options = DescribeOptions {
        columns: args.columns.clone(),
        by: args.by.map(|b| match b {
            By::Category => GroupBy::Category,
            By::Label => GroupBy::Label,
        }),
    };
    let load_options = LoadOptions {
        entry: args.entry.clone(),
        set_aside_invalid: false,
    };
    let mut summaries = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let ds = load::load(&Input::from_arg(file), &load_options)?;
        if !args.quiet {
            ds.warnings().iter().for_each(|w| super::warn(w));
        }
        summaries.push(describe::describe(&ds, &options)?);
    }
    let text = render::describe::render(
        &summaries,
        RenderOptions {
            format: args.format,
            top: args.top,
        },
    )?;
    render::print(&text)
}
