//! `kddstat compare TRAIN TEST`: drift between a training and a test file.

use crate::error::Result;
use crate::load::{self, Input, LoadOptions};
use crate::render::{self, Format};
use crate::stats::drift;

/// Arguments of `kddstat compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The training file.
    #[arg(value_name = "TRAIN")]
    pub train: String,
    /// The test file.
    #[arg(value_name = "TEST")]
    pub test: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Do not print warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `kddstat compare`.
pub fn run(args: Args) -> Result<()> {
    let options = LoadOptions::default();
    let (train, test) = (
        load::load(&Input::from_arg(&args.train), &options)?,
        load::load(&Input::from_arg(&args.test), &options)?,
    );
    if !args.quiet {
        for w in train.warnings().iter().chain(&test.warnings()) {
            super::warn(w);
        }
    }
    let report = drift::compare(&train, &test)?;
    render::print(&render::compare::render(&report, args.format)?)
}
