//! `kddstat tune --train TRAIN [--detector NAME] [--seed N] -o MODEL.json`: chooses a detector's
//! parameters by validation on the training file with attack labels held out (see
//! [`crate::detect::tune`]), prints the validation table and writes the chosen model.

use std::path::PathBuf;

use super::args::{ForceArg, InputArgs, QuietArg, Ui};
use super::models::DetectorArgs;
use crate::detect::{DetectorName, tune};
use crate::error::{Error, Result};
use crate::output::{self, Destination};
use crate::render::{self, Align, SummaryFormat, Table};

/// Arguments of `kddstat tune`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The training file [default: KDDTrain+.txt of the data folder].
    #[arg(long, value_name = "TRAIN", help_heading = "Data")]
    pub train: Option<String>,
    /// The detector to tune.
    #[arg(
        long,
        alias = "detectors",
        value_enum,
        value_name = "NAME",
        default_value = "gmm"
    )]
    pub detector: DetectorName,
    /// Where to write the chosen model (JSON); `-` for standard output.
    #[arg(short, long, alias = "out", value_name = "MODEL.json")]
    pub output: PathBuf,
    /// Format of the validation table.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    pub format: SummaryFormat,
    /// Detector parameters (those the search does not vary; --seed seeds the split too).
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

/// Runs `kddstat tune`.
pub fn run(args: Args) -> Result<()> {
    if args.detector == DetectorName::Ensemble {
        return Err(Error::Usage(
            "tune chooses one detector's parameters; tune the members one by one".into(),
        ));
    }
    args.params.check(&[args.detector])?;
    let varied = tune::varied(args.detector);
    if let Some((flag, _, _)) = args
        .params
        .given()
        .into_iter()
        .find(|(_, key, _)| varied.contains(&key.as_str()))
    {
        return Err(Error::Usage(format!(
            "{flag} is chosen by tune's search for {} (it varies {}); use fit to set it yourself",
            args.detector.as_str(),
            varied.join(", ")
        )));
    }
    let ui = Ui::new(args.quiet.quiet);
    let (t, out) = super::models::training(
        args.train.clone(),
        &args.output,
        &args.input,
        args.force.force,
        &ui,
        "tune",
        (super::models::DEFAULT_SAMPLE, args.params.seed()),
    )?;
    let (ds, sha, sampled) = (t.ds, t.sha256, t.sampled);
    let bar = ui.spinner(0);
    let on_candidate = |i: usize, n: usize| {
        bar.set_message(format!(
            "validating {} candidate {}/{n}",
            args.detector.as_str(),
            i + 1
        ))
    };
    let tuned = tune::tune(
        &ds,
        &sha,
        &args.params.options(args.detector)?,
        &on_candidate,
    );
    bar.finish_and_clear();
    let (tuning, mut model) = tuned?;
    model.training.record_sample(sampled);
    let json = serde_json::to_vec(&model)
        .map_err(|e| Error::Internal(format!("serialising the model: {e}")))?;
    output::write(&out, args.force.force, |w| {
        w.write_all(&json).map_err(Error::Output)
    })?;
    let text = match args.format {
        SummaryFormat::Json => render::json(&tuning)?,
        SummaryFormat::Table => table(&tuning, &out.display()),
    };
    if out == Destination::Stdout {
        ui.note(text.trim_end());
        Ok(())
    } else {
        render::print(&text)
    }
}

/// The validation table for people.
fn table(t: &tune::Tuning, output: &str) -> String {
    let mut header: Vec<(String, Align)> =
        vec![("".into(), Align::Left), ("parameters".into(), Align::Left)];
    for f in 0..t.folds.len() {
        header.push((format!("fold {}", f + 1), Align::Right));
    }
    header.push(("validation AUC".into(), Align::Right));
    header.push(("all attacks AUC".into(), Align::Right));
    let head: Vec<(&str, Align)> = header.iter().map(|(h, a)| (h.as_str(), *a)).collect();
    let mut table = Table::new(&head);
    for (i, c) in t.candidates.iter().enumerate() {
        let params = c
            .parameters
            .iter()
            .filter(|(k, _)| !["far", "seed", "fit_on"].contains(&k.as_str()))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        let mut row = vec![
            if i == t.chosen {
                "*".into()
            } else {
                String::new()
            },
            params,
        ];
        row.extend(c.folds.iter().map(|v| format!("{v:.4}")));
        row.push(format!("{:.4}", c.validation_auc));
        row.push(format!("{:.4}", c.all_attacks_auc));
        table.push(row);
    }
    let mut out = format!(
        "{} on {}: fitted on {} normal rows, validated on {} held-out normal rows against the \
         attack labels of each fold:\n",
        t.detector,
        t.train,
        render::thousands(t.fit_rows as u64),
        render::thousands(t.holdout_rows as u64)
    );
    for (i, f) in t.folds.iter().enumerate() {
        out.push_str(&format!("  fold {}: {}\n", i + 1, f.join(", ")));
    }
    out.push('\n');
    out.push_str(&table.to_text(2));
    out.push_str(&format!(
        "\n* chosen (best mean fold AUC), refitted on every normal row and written to {output}\n"
    ));
    out
}
