//! `kddstat fit --detectors NAME --train TRAIN -o MODEL.json`: fits a detector and saves it.

use std::path::PathBuf;

use super::args::{ForceArg, InputArgs, QuietArg, Ui};
use super::models::{DEFAULT_SAMPLE, DetectorArgs, FitOn, MAX_SAMPLE, classifier_params, training};
use crate::detect::{self, DetectorName};
use crate::error::{Error, Result};
use crate::output::{self, Destination};
use crate::render::{self, SummaryFormat, thousands};

/// Arguments of `kddstat fit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The training file (the same as --train).
    #[arg(value_name = "TRAIN", conflicts_with = "train")]
    pub train_file: Option<String>,
    /// The training file [default: KDDTrain+.txt of the data folder ($KDDSTAT_DATA, else
    /// datasets/), downloaded there if missing].
    #[arg(long, value_name = "TRAIN", help_heading = "Data")]
    pub train: Option<String>,
    /// The detector (one: fit writes one model).
    #[arg(
        long,
        alias = "detector",
        value_enum,
        value_name = "NAME",
        required_unless_present = "classifier"
    )]
    pub detectors: Option<DetectorName>,
    /// A supervised classifier instead, fitted on every training row.
    #[arg(
        long,
        value_enum,
        value_name = "NAME",
        conflicts_with = "detectors",
        help_heading = "Classifiers"
    )]
    pub classifier: Option<crate::classify::ClassifierName>,
    /// What the classifier predicts.
    #[arg(
        long,
        value_enum,
        requires = "classifier",
        help_heading = "Classifiers"
    )]
    pub target: Option<crate::classify::Target>,
    /// Split criterion of the decision tree.
    #[arg(
        long,
        value_enum,
        requires = "classifier",
        help_heading = "Classifiers"
    )]
    pub criterion: Option<crate::classify::tree::Criterion>,
    /// Fit on a seeded uniform sample of N training rows when the file has more (reservoir
    /// sampling while the file is read in chunks, so memory stays bounded; the seed is --seed).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SAMPLE, value_parser = clap::value_parser!(u64).range(2..=MAX_SAMPLE as u64))]
    pub sample: u64,
    /// Where to write the model (JSON); `-` for standard output.
    #[arg(short, long, alias = "out", value_name = "MODEL.json")]
    pub output: PathBuf,
    /// Format of the summary line.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    pub format: SummaryFormat,
    /// Detector parameters.
    #[command(flatten)]
    pub params: DetectorArgs,
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

/// What `fit` reports.
#[derive(Debug, serde::Serialize)]
struct Fitted<'a> {
    output: String,
    id: &'static str,
    label: String,
    parameters: serde_json::Map<String, serde_json::Value>,
    train: &'a str,
    fit_rows: usize,
    threshold: f64,
}

/// Runs `kddstat fit`.
pub fn run(args: Args) -> Result<()> {
    let Some(detector) = args.detectors else {
        return fit_classifier(args);
    };
    args.params.check(&[detector])?;
    let ui = Ui::new(args.quiet.quiet);
    let options = args.params.options(detector)?;
    let (t, out) = training(
        args.train.clone().or_else(|| args.train_file.clone()),
        &args.output,
        &args.input,
        args.force.force,
        &ui,
        "fit",
        (args.sample, options.seed),
    )?;
    let ds = &t.ds;
    let bar = ui.spinner(0);
    bar.set_message(format!("fitting {} on {}", detector.as_str(), ds.name));
    let model = detect::fit(ds, t.sha256.clone(), &options);
    bar.finish_and_clear();
    let mut model = model?;
    model.training.record_sample(t.sampled.clone());
    let json = serde_json::to_vec(&model)
        .map_err(|e| Error::Internal(format!("serialising the model: {e}")))?;
    output::write(&out, args.force.force, |w| {
        w.write_all(&json).map_err(Error::Output)
    })?;
    let far = options.far;
    let summary = Fitted {
        output: out.display(),
        id: model.id(),
        label: model.label(),
        parameters: model.parameters(),
        train: &ds.name,
        fit_rows: model.training.fit_rows,
        threshold: model.threshold,
    };
    // With the model on standard output, the summary goes to standard error.
    let text = match args.format {
        SummaryFormat::Json => render::json(&summary)?,
        SummaryFormat::Table => format!(
            "wrote {}: {}, fitted on {} {} rows of {}; threshold {} ({}% false alarms on them)\n",
            summary.output,
            summary.label,
            thousands(model.training.fit_rows as u64),
            if args.params.fit_on == Some(FitOn::All) {
                "(all)"
            } else {
                "normal"
            },
            ds.name,
            model.threshold,
            100.0 * far
        ),
    };
    if out == Destination::Stdout {
        ui.note(text.trim_end());
        Ok(())
    } else {
        render::print(&text)
    }
}

/// `kddstat fit --classifier NAME`: fits a classifier on every training row and writes it.
fn fit_classifier(args: Args) -> Result<()> {
    use crate::classify::{Classifier, ClassifierName, Target};
    let name = args
        .classifier
        .ok_or_else(|| Error::Usage("fit needs --detectors NAME or --classifier NAME".into()))?;
    if args.params.any() && args.params.seed.is_none() {
        return Err(Error::Usage(
            "detector parameters do not apply to a classifier (only --seed, for the forest)".into(),
        ));
    }
    if args.criterion.is_some() && name != ClassifierName::Tree {
        return Err(Error::Usage(
            "--criterion applies to the tree classifier only".into(),
        ));
    }
    let ui = Ui::new(args.quiet.quiet);
    let (t, out) = training(
        args.train.clone().or_else(|| args.train_file.clone()),
        &args.output,
        &args.input,
        args.force.force,
        &ui,
        "fit",
        (args.sample, args.params.seed()),
    )?;
    let ds = &t.ds;
    let params = classifier_params(name, args.params.seed(), args.criterion);
    let target = args.target.unwrap_or(Target::Binary);
    let bar = ui.spinner(0);
    bar.set_message(format!("fitting {} on {}", name.as_str(), ds.name));
    let model = Classifier::fit(ds, t.sha256.clone(), &params, target);
    bar.finish_and_clear();
    let mut model = model?;
    model.training.record_sample(t.sampled.clone());
    let json = serde_json::to_vec(&model)
        .map_err(|e| Error::Internal(format!("serialising the model: {e}")))?;
    output::write(&out, args.force.force, |w| {
        w.write_all(&json).map_err(Error::Output)
    })?;
    let text = match args.format {
        SummaryFormat::Json => render::json(&serde_json::json!({
            "output": out.display(),
            "id": model.id(),
            "label": model.parameters.label(),
            "parameters": model.parameters,
            "target": target.as_str(),
            "classes": model.classes,
            "train": ds.name,
            "fit_rows": model.training.fit_rows,
        }))?,
        SummaryFormat::Table => format!(
            "wrote {}: {}, target {} ({} classes), fitted on {} rows of {}\n",
            out.display(),
            model.parameters.label(),
            target.as_str(),
            model.classes.len(),
            thousands(model.training.fit_rows as u64),
            ds.name
        ),
    };
    if out == Destination::Stdout {
        ui.note(text.trim_end());
        Ok(())
    } else {
        render::print(&text)
    }
}
