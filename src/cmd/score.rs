//! `kddstat score --model MODEL.json FILE`: each record's anomaly score, as CSV or JSON.

use std::io::Write;
use std::path::PathBuf;

use super::args::{ForceArg, InputArgs, QuietArg, Ui};
use crate::detect::Model;
use crate::error::{Error, Result};
use crate::load::{self, Input};
use crate::output::{self, Destination};
use crate::render::{RecordFormat, exact};
use crate::schema;

/// Arguments of `kddstat score`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model written by `kddstat fit`.
    #[arg(long, value_name = "MODEL.json")]
    pub model: PathBuf,
    /// The records to score (CSV or Parquet, plain, .gz or .zip; `-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Where to write the scores; `-` (the default) is standard output.
    #[arg(
        short,
        long,
        alias = "out",
        value_name = "scores.csv",
        default_value = "-"
    )]
    pub output: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RecordFormat::Csv)]
    pub format: RecordFormat,
    /// Flag records scoring above this instead of the model's own threshold.
    #[arg(long, value_name = "SCORE", allow_negative_numbers = true)]
    pub threshold: Option<f64>,
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

fn write_csv(w: &mut dyn Write, ds: &load::Dataset, scores: &[f64], threshold: f64) -> Result<()> {
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
            &crate::render::csv_safe(label),
            category,
            &exact(*score),
            flag,
        ])
        .map_err(err)?;
    }
    csv.flush().map_err(Error::Output)
}

/// One record in the JSON form.
#[derive(serde::Serialize)]
struct Scored<'a> {
    line: u32,
    label: &'a str,
    category: &'a str,
    score: f64,
    anomalous: bool,
}

/// The JSON form: the model, the threshold used, and every record.
#[derive(serde::Serialize)]
struct Scores<'a> {
    file: &'a str,
    model: String,
    id: &'static str,
    label: String,
    parameters: serde_json::Map<String, serde_json::Value>,
    threshold: f64,
    rows: usize,
    anomalous: usize,
    records: Vec<Scored<'a>>,
}

fn write_json(
    w: &mut dyn Write,
    ds: &load::Dataset,
    model: &Model,
    model_path: &str,
    scores: &[f64],
    threshold: f64,
) -> Result<()> {
    let records: Vec<Scored> = ds
        .lines
        .iter()
        .zip(ds.str_values(schema::LABEL)?)
        .zip(ds.str_values(schema::CATEGORY)?)
        .zip(scores)
        .map(|(((&line, label), category), &score)| Scored {
            line,
            label,
            category,
            score,
            anomalous: score > threshold,
        })
        .collect();
    let doc = Scores {
        file: &ds.name,
        model: model_path.to_string(),
        id: model.id(),
        label: model.label(),
        parameters: model.parameters(),
        threshold,
        rows: records.len(),
        anomalous: records.iter().filter(|r| r.anomalous).count(),
        records,
    };
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(|e| Error::Output(e.into()))?;
    w.write_all(b"\n").map_err(Error::Output)
}

/// Runs `kddstat score`.
pub fn run(args: Args) -> Result<()> {
    if let Some(t) = args.threshold
        && !t.is_finite()
    {
        return Err(Error::Usage(format!(
            "--threshold {t} is not a finite number"
        )));
    }
    let ui = Ui::new(args.quiet.quiet);
    let input = Input::from_arg(&args.file);
    let out = Destination::from_arg(&args.output);
    let mut inputs = vec![args.model.as_path()];
    inputs.extend(input.file());
    output::check_destination(&out, &inputs, args.force.force)?;
    let model = match crate::classify::Saved::read(&args.model)? {
        crate::classify::Saved::Detector(m) => *m,
        crate::classify::Saved::Classifier(c) => {
            let ds = args.input.load(&args.file, &ui)?;
            ds.require_all_features("score")?;
            return classify(&args, &out, &ds, &c);
        }
    };
    let ds = args.input.load(&args.file, &ui)?;
    ds.require_all_features("score")?;
    let scores = model.score(&ds)?;
    if let Some(bad) = scores.iter().position(|s| !s.is_finite()) {
        return Err(Error::Model {
            path: args.model.display().to_string(),
            message: format!(
                "the score of line {} is not a finite number: the model cannot be used",
                ds.lines.get(bad).copied().unwrap_or(0)
            ),
        });
    }
    let threshold = args.threshold.unwrap_or(model.threshold);
    let model_path = args.model.display().to_string();
    output::write(&out, args.force.force, |w| match args.format {
        RecordFormat::Csv => write_csv(w, &ds, &scores, threshold),
        RecordFormat::Json => write_json(w, &ds, &model, &model_path, &scores, threshold),
    })
}

/// One record predicted by a classifier, in the JSON form.
#[derive(serde::Serialize)]
struct Predicted<'a> {
    line: u32,
    label: &'a str,
    category: &'a str,
    predicted: &'a str,
    attack_probability: f64,
    attack: bool,
}

/// `score` with a classifier: each record's predicted class and attack probability; a record is
/// an attack when its predicted class is not `normal`, or with `--threshold P` when its attack
/// probability is above P.
fn classify(
    args: &Args,
    out: &Destination,
    ds: &load::Dataset,
    c: &crate::classify::Classifier,
) -> Result<()> {
    let proba = c.proba(ds)?;
    let p = c.attack_probability(&proba);
    let best = c.predict(&proba);
    let records: Vec<Predicted> = ds
        .lines
        .iter()
        .zip(ds.str_values(schema::LABEL)?)
        .zip(ds.str_values(schema::CATEGORY)?)
        .zip(best.iter().zip(&p))
        .map(|(((&line, label), category), (&k, &prob))| Predicted {
            line,
            label,
            category,
            predicted: &c.classes[k],
            attack_probability: prob,
            attack: match args.threshold {
                Some(t) => prob > t,
                None => c.classes[k] != "normal",
            },
        })
        .collect();
    output::write(out, args.force.force, |w| match args.format {
        RecordFormat::Csv => {
            let mut csv = ::csv::Writer::from_writer(w);
            let err = Error::from;
            csv.write_record([
                "line",
                "label",
                "category",
                "predicted",
                "attack_probability",
                "attack",
            ])
            .map_err(err)?;
            for r in &records {
                csv.write_record([
                    r.line.to_string(),
                    crate::render::csv_safe(r.label).to_string(),
                    r.category.to_string(),
                    crate::render::csv_safe(r.predicted).to_string(),
                    exact(r.attack_probability),
                    if r.attack { "1" } else { "0" }.to_string(),
                ])
                .map_err(err)?;
            }
            csv.flush().map_err(Error::Output)
        }
        RecordFormat::Json => {
            let doc = serde_json::json!({
                "file": ds.name,
                "model": args.model.display().to_string(),
                "id": c.id(),
                "label": c.parameters.label(),
                "parameters": c.parameters,
                "target": c.target.as_str(),
                "rows": records.len(),
                "attacks": records.iter().filter(|r| r.attack).count(),
                "records": records,
            });
            serde_json::to_writer_pretty(&mut *w, &doc).map_err(|e| Error::Output(e.into()))?;
            w.write_all(b"\n").map_err(Error::Output)
        }
    })
}
