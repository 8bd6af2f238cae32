//! `kddstat score --model MODEL.json FILE`: one line per record with its anomaly score.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::clean::write;
use crate::detect::Model;
use crate::error::{Error, Result};
use crate::load::{self, Input, LoadOptions};
use crate::schema;

/// Arguments of `kddstat score`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model written by `kddstat fit`.
    #[arg(long, value_name = "MODEL.json")]
    pub model: PathBuf,
    /// The records to score.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Write the scores here (CSV) instead of standard output.
    #[arg(short, long, value_name = "scores.csv")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// The member of a .zip archive to read.
    #[arg(long, value_name = "NAME")]
    pub entry: Option<String>,
    /// Do not print warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

fn write_scores(
    w: &mut dyn Write,
    ds: &load::Dataset,
    scores: &[f64],
    threshold: f64,
) -> Result<()> {
    let mut csv = ::csv::Writer::from_writer(w);
    let err = Error::from;
    csv.write_record(["line", "label", "category", "score", "anomalous"])
        .map_err(err)?;
    let labels = ds.str_values(schema::LABEL)?;
    let categories = ds.str_values(schema::CATEGORY)?;
    for (((line, label), category), score) in
        ds.lines.iter().zip(labels).zip(categories).zip(scores)
    {
        let flag = if *score > threshold { "1" } else { "0" };
        csv.write_record([
            &line.to_string(),
            label,
            category,
            &format!("{score}"),
            flag,
        ])
        .map_err(err)?;
    }
    csv.flush().map_err(Error::Output)
}

/// Runs `kddstat score`.
pub fn run(args: Args) -> Result<()> {
    let model = Model::read(&args.model)?;
    let input = Input::from_arg(&args.file);
    if let Some(out) = &args.output {
        let mut inputs: Vec<&Path> = vec![args.model.as_path()];
        if let Input::Path(p) = &input {
            inputs.push(Path::new(p));
        }
        write::check_destination(out, &inputs, args.force)?;
    }
    let options = LoadOptions {
        entry: args.entry.clone(),
        set_aside_invalid: false,
    };
    let ds = load::load(&input, &options)?;
    if !args.quiet {
        ds.warnings().iter().for_each(|w| super::warn(w));
    }
    let scores = model.score(&ds)?;
    match &args.output {
        Some(out) => write::atomically(out, |w| write_scores(w, &ds, &scores, model.threshold)),
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            write_scores(&mut stdout, &ds, &scores, model.threshold)?;
            stdout.flush().map_err(Error::Output)
        }
    }
}
