//! `kddstat score --model MODEL.json FILE`: each record's anomaly score, as CSV or JSON.

use std::io::Write;
use std::path::PathBuf;

use super::args::{ForceArg, InputArgs, QuietArg, Ui};
use crate::error::{Error, Result};
use crate::load::{self, Input, stream::Stream};
use crate::model::explain::Reason;
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
    #[arg(long, value_name = "SCORE", allow_negative_numbers = true, value_parser = super::finite_number)]
    pub threshold: Option<f64>,
    /// Add each record's reasons: the N features that drive its score most (columns why_1 ..
    /// why_N: `feature=value (typical T, share S)`; a `why` list in JSON). 3 when no N is given.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "3", value_parser = clap::value_parser!(u64).range(1..=41))]
    pub explain: Option<u64>,
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

/// One record in the JSON form.
#[derive(serde::Serialize)]
struct Scored<'a> {
    line: u32,
    label: &'a str,
    category: &'a str,
    score: f64,
    anomalous: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<&'a [Reason]>,
}

/// The CSV header with `n` reason columns.
fn header_with(base: &[&'static str], n: usize) -> Vec<String> {
    let mut h: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    h.extend((1..=n).map(|i| format!("why_{i}")));
    h
}

/// A reason as one CSV field: `feature=value (typical T, share S)`.
fn reason_field(r: Option<&Reason>) -> String {
    let show = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => crate::render::csv_safe(s),
        other => other.to_string(),
    };
    r.map_or_else(String::new, |r| {
        format!(
            "{}={} (typical {}, share {})",
            r.feature,
            show(&r.value),
            show(&r.typical),
            r.share
        )
    })
}

/// The reasons of every row of `ds` (`n` = 0: none).
fn reasons_of(
    ds: &load::Dataset,
    n: usize,
    f: impl Fn(&load::Dataset, &[usize], usize) -> Result<Vec<Vec<Reason>>>,
) -> Result<Vec<Vec<Reason>>> {
    if n == 0 {
        return Ok(vec![Vec::new(); ds.rows()]);
    }
    let rows: Vec<usize> = (0..ds.rows()).collect();
    f(ds, &rows, n)
}

/// The JSON form's head: the model and the threshold used (the records, `rows` and `anomalous`
/// follow).
#[derive(serde::Serialize)]
struct Head<'a> {
    file: &'a str,
    model: String,
    id: &'static str,
    label: String,
    parameters: serde_json::Map<String, serde_json::Value>,
    threshold: f64,
}

/// Writes records as they come: CSV rows, or the items of a JSON document's `records` between
/// its head and its counts (so memory does not grow with the file).
struct Writer<'w> {
    sink: Sink<'w>,
    rows: usize,
    flagged: usize,
}

enum Sink<'w> {
    Csv(Box<::csv::Writer<&'w mut dyn Write>>),
    Json(&'w mut dyn Write),
}

impl<'w> Writer<'w> {
    /// Starts the output with the CSV header or the JSON head.
    fn start(
        w: &'w mut dyn Write,
        json: bool,
        csv_header: &[&str],
        head: &impl serde::Serialize,
    ) -> Result<Self> {
        let sink = if json {
            let text = serde_json::to_string_pretty(head).map_err(|e| Error::Output(e.into()))?;
            let text = text.strip_suffix("\n}").unwrap_or(&text);
            write!(w, "{text},\n  \"records\": [").map_err(Error::Output)?;
            Sink::Json(w)
        } else {
            let mut csv = ::csv::Writer::from_writer(w);
            csv.write_record(csv_header).map_err(Error::from)?;
            Sink::Csv(Box::new(csv))
        };
        Ok(Writer {
            sink,
            rows: 0,
            flagged: 0,
        })
    }

    /// Adds one record (`fields` for CSV, `item` for JSON).
    fn record(
        &mut self,
        fields: &[&str],
        item: &impl serde::Serialize,
        flagged: bool,
    ) -> Result<()> {
        match &mut self.sink {
            Sink::Json(w) => {
                let text =
                    serde_json::to_string_pretty(item).map_err(|e| Error::Output(e.into()))?;
                let sep = if self.rows == 0 { "\n" } else { ",\n" };
                w.write_all(sep.as_bytes()).map_err(Error::Output)?;
                for (i, line) in text.lines().enumerate() {
                    if i > 0 {
                        w.write_all(b"\n").map_err(Error::Output)?;
                    }
                    write!(w, "    {line}").map_err(Error::Output)?;
                }
            }
            Sink::Csv(csv) => csv.write_record(fields).map_err(Error::from)?,
        }
        self.rows += 1;
        self.flagged += usize::from(flagged);
        Ok(())
    }

    /// Ends the output (the JSON counts, named `flagged_key`).
    fn finish(self, flagged_key: &str) -> Result<()> {
        match self.sink {
            Sink::Json(w) => {
                let close = if self.rows == 0 { "]" } else { "\n  ]" };
                write!(
                    w,
                    "{close},\n  \"rows\": {},\n  \"{flagged_key}\": {}\n}}\n",
                    self.rows, self.flagged
                )
                .map_err(Error::Output)?;
                w.flush().map_err(Error::Output)
            }
            Sink::Csv(mut csv) => csv.flush().map_err(Error::Output),
        }
    }
}

/// Reads `file` in chunks, each checked to have every feature, and hands them to `each`; shows
/// the warnings about unknown labels once at the end.
fn for_each_chunk(
    mut stream: Stream,
    ui: &Ui,
    mut each: impl FnMut(&load::Dataset) -> Result<()>,
) -> Result<()> {
    let mut unknown = Vec::new();
    for chunk in &mut stream {
        let chunk = chunk?;
        chunk.require_all_features("score")?;
        load::add_unknown_labels(&mut unknown, &chunk.unknown_labels);
        each(&chunk)?;
    }
    for w in load::unknown_label_warnings(stream.name(), &unknown) {
        ui.warn(&w);
    }
    Ok(())
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
        crate::classify::Saved::Classifier(c) => return classify(&args, &out, &c, &ui),
    };
    let threshold = args.threshold.unwrap_or(model.threshold);
    let model_path = args.model.display().to_string();
    let json = args.format == RecordFormat::Json;
    output::write(&out, args.force.force, |w| {
        let stream = Stream::open(&input, &args.input.options(false))?;
        let head = Head {
            file: stream.name(),
            model: model_path.clone(),
            id: model.id(),
            label: model.label(),
            parameters: model.parameters(),
            threshold,
        };
        let n = explain_n(&args);
        let header = header_with(&["line", "label", "category", "score", "anomalous"], n);
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut out = Writer::start(w, json, &header, &head)?;
        for_each_chunk(stream, &ui, |ds| {
            let scores = model.score(ds)?;
            let why = reasons_of(ds, n, |ds, rows, n| {
                crate::detect::explain(&model, ds, rows, n)
            })?;
            let labels = ds.str_values(schema::LABEL)?;
            let categories = ds.str_values(schema::CATEGORY)?;
            for ((((&line, label), category), &score), why) in ds
                .lines
                .iter()
                .zip(labels)
                .zip(categories)
                .zip(&scores)
                .zip(&why)
            {
                let anomalous = score > threshold;
                let mut fields: Vec<String> = vec![
                    line.to_string(),
                    crate::render::csv_safe(label),
                    category.to_string(),
                    exact(score),
                    if anomalous { "1" } else { "0" }.to_string(),
                ];
                fields.extend((0..n).map(|i| reason_field(why.get(i))));
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                out.record(
                    &fields,
                    &Scored {
                        line,
                        label,
                        category,
                        score,
                        anomalous,
                        why: (n > 0).then_some(why.as_slice()),
                    },
                    anomalous,
                )?;
            }
            Ok(())
        })?;
        out.finish("anomalous")
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
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<&'a [Reason]>,
}

fn explain_n(args: &Args) -> usize {
    args.explain.map_or(0, |n| usize::try_from(n).unwrap_or(41))
}

/// `score` with a classifier: each record's predicted class and attack probability; a record is
/// an attack when its predicted class is not `normal`, or with `--threshold P` when its attack
/// probability is above P.
fn classify(
    args: &Args,
    out: &Destination,
    c: &crate::classify::Classifier,
    ui: &Ui,
) -> Result<()> {
    let json = args.format == RecordFormat::Json;
    output::write(out, args.force.force, |w| {
        let stream = Stream::open(&Input::from_arg(&args.file), &args.input.options(false))?;
        let head = serde_json::json!({
            "file": stream.name(),
            "model": args.model.display().to_string(),
            "id": c.id(),
            "label": c.parameters.label(),
            "parameters": c.parameters,
            "target": c.target.as_str(),
        });
        let n = explain_n(args);
        let header = header_with(
            &[
                "line",
                "label",
                "category",
                "predicted",
                "attack_probability",
                "attack",
            ],
            n,
        );
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut out = Writer::start(w, json, &header, &head)?;
        for_each_chunk(stream, ui, |ds| {
            let proba = c.proba(ds)?;
            let p = c.attack_probability(&proba);
            let best = c.predict(&proba);
            let why = reasons_of(ds, n, |ds, rows, n| {
                crate::classify::explain(c, ds, rows, n)
            })?;
            for ((((&line, label), category), (&k, &prob)), why) in ds
                .lines
                .iter()
                .zip(ds.str_values(schema::LABEL)?)
                .zip(ds.str_values(schema::CATEGORY)?)
                .zip(best.iter().zip(&p))
                .zip(&why)
            {
                let predicted = c.classes[k].as_str();
                let attack = match args.threshold {
                    Some(t) => prob > t,
                    None => predicted != "normal",
                };
                let mut fields: Vec<String> = vec![
                    line.to_string(),
                    crate::render::csv_safe(label),
                    category.to_string(),
                    crate::render::csv_safe(predicted),
                    exact(prob),
                    if attack { "1" } else { "0" }.to_string(),
                ];
                fields.extend((0..n).map(|i| reason_field(why.get(i))));
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                out.record(
                    &fields,
                    &Predicted {
                        line,
                        label,
                        category,
                        predicted,
                        attack_probability: prob,
                        attack,
                        why: (n > 0).then_some(why.as_slice()),
                    },
                    attack,
                )?;
            }
            Ok(())
        })?;
        out.finish("attacks")
    })
}
