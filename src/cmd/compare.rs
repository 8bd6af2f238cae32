//! `kddstat compare [--train TRAIN --test TEST | TRAIN TEST]`: drift between a training and a test
//! file (the NSL-KDD training and test files by default).

use super::args::{DataArgs, DistinctArg, InputArgs, QuietArg, Ui};
use crate::error::{Error, Result};
use crate::render::{self, Format};
use crate::stats::describe::DescribeOptions;
use crate::stats::drift;

/// Arguments of `kddstat compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The training file (the same as --train).
    #[arg(value_name = "TRAIN", conflicts_with = "train")]
    pub train_file: Option<String>,
    /// The test file (the same as --test).
    #[arg(value_name = "TEST", requires = "train_file", conflicts_with = "tests")]
    pub test_file: Option<String>,
    /// The files.
    #[command(flatten)]
    pub data: DataArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
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

/// Runs `kddstat compare`.
pub fn run(args: Args) -> Result<()> {
    let ui = Ui::new(args.quiet.quiet);
    let mut data = args.data.clone();
    if let Some(t) = &args.train_file {
        data.train = Some(t.clone());
        data.tests = args.test_file.iter().cloned().collect();
    }
    let (train, tests) = data.resolve(&ui, true)?;
    let test = match tests.as_slice() {
        [t, ..] if data.train.is_none() && data.tests.is_empty() => t.clone(),
        [t] => t.clone(),
        [] => {
            return Err(Error::Usage(
                "compare needs a test file: --test TEST".into(),
            ));
        }
        _ => {
            return Err(Error::Usage(
                "compare takes one test file; give --test once".into(),
            ));
        }
    };
    // Both files read in chunks into the value counts of every column: memory does not grow
    // with the rows.
    let all = DescribeOptions {
        max_distinct: Some(args.distinct.max_distinct),
        ..DescribeOptions::default()
    };
    let train = super::args::state_of(std::slice::from_ref(&train), &args.input, &all, &ui)?;
    let test = super::args::state_of(std::slice::from_ref(&test), &args.input, &all, &ui)?;
    let report = drift::compare_states(&train, &test)?;
    render::print(&render::compare::render(&report, args.format)?)
}
