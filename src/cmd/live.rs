//! `kddstat live`: connection records of live traffic (an interface, a pcap stream on standard
//! input, or a replayed capture) as connections end, scored and explained.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::args::{FlowArgs, ForceArg, QuietArg, SummaryArgs, Ui};
use crate::classify::Saved;
use crate::error::{Error, Result};
use crate::live::score::Scorer;
use crate::live::{self, LiveOptions, LiveSource, Outputs, RecordsFormat};
use crate::output::{self, Destination};
use crate::render;

/// Arguments of `kddstat live`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["interface", "replay", "stream"]))]
pub struct Args {
    /// Capture on this network interface (Linux; root or CAP_NET_RAW).
    #[arg(short, long, value_name = "IFACE")]
    pub interface: Option<String>,
    /// Read a pcap or pcapng stream: `-` for standard input (`tcpdump -U -w - | kddstat live -`),
    /// or a FIFO.
    #[arg(value_name = "STREAM")]
    pub stream: Option<String>,
    /// Replay a capture file at its recorded pace (times --speed).
    #[arg(long, value_name = "CAPTURE")]
    pub replay: Option<String>,
    /// Replay speed: 2 twice as fast, 0 as fast as possible (then the records are those of
    /// `kddstat pcap`).
    #[arg(long, value_name = "X", default_value_t = 1.0, requires = "replay", value_parser = super::finite_number)]
    pub speed: f64,
    /// Score the records with this model (`kddstat fit` or `fit --classifier`); give a
    /// classifier and a detector for a hybrid.
    #[arg(long, value_name = "MODEL.json", num_args = 1, action = clap::ArgAction::Append)]
    pub model: Vec<PathBuf>,
    /// Flag records scoring above this instead of the model's own threshold (a classifier's
    /// attack probability).
    #[arg(long, value_name = "SCORE", allow_negative_numbers = true, value_parser = super::finite_number, requires = "model")]
    pub threshold: Option<f64>,
    /// Write an alert per flagged record and per scan, as JSON lines; `-` for standard output.
    #[arg(long, value_name = "alerts.jsonl")]
    pub alerts: Option<PathBuf>,
    /// Write every record as it is made (CSV as `kddstat pcap -o` writes it, or JSON lines with
    /// the score for a name ending in .jsonl or .json); `-` for standard output.
    #[arg(long, value_name = "records.csv")]
    pub records: Option<PathBuf>,
    /// Add a header and the start time, addresses and ports to CSV records.
    #[arg(long, requires = "records")]
    pub endpoints: bool,
    /// Reasons per alert: the features that drive the score most.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=41))]
    pub explain: u64,
    /// Stop after this many seconds.
    #[arg(long, value_name = "S", value_parser = super::finite_number)]
    pub duration: Option<f64>,
    /// Stop after this many packets.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Seconds between status lines on standard error.
    #[arg(long, value_name = "S", default_value_t = 5.0, value_parser = super::finite_number)]
    pub status_every: f64,
    /// Write the capture report folder (HTML and SVG) at exit (the records are then held in
    /// memory).
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// The summary at exit.
    #[command(flatten)]
    pub summary: SummaryArgs,
    /// Timeouts and limits.
    #[command(flatten)]
    pub flows: FlowArgs,
    /// Replace.
    #[command(flatten)]
    pub force: ForceArg,
    /// Quiet.
    #[command(flatten)]
    pub quiet: QuietArg,
}

/// Reads the models: at most one detector and one classifier.
fn scorer(args: &Args) -> Result<Option<Scorer>> {
    let (mut detector, mut classifier) = (None, None);
    for path in &args.model {
        match Saved::read(path)? {
            Saved::Detector(m) if detector.is_none() => detector = Some(*m),
            Saved::Classifier(c) if classifier.is_none() => classifier = Some(*c),
            _ => {
                return Err(Error::Usage(
                    "--model takes one detector, one classifier, or one of each (a hybrid)".into(),
                ));
            }
        }
    }
    if detector.is_none() && classifier.is_none() {
        return Ok(None);
    }
    let explain = usize::try_from(args.explain).unwrap_or(41);
    Scorer::new(detector, classifier, args.threshold, explain).map(Some)
}

fn seconds(name: &str, s: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|_| s > 0.0)
        .ok_or_else(|| Error::Usage(format!("--{name} {s} is not a number of seconds above 0")))
}

/// The source named by the arguments.
fn source(args: &Args) -> Result<LiveSource> {
    if args.speed < 0.0 {
        return Err(Error::Usage(format!(
            "--speed {} is below 0 (0 replays as fast as possible)",
            args.speed
        )));
    }
    if let Some(s) = &args.stream
        && s != "-"
        && !Path::new(s).exists()
    {
        return Err(Error::Io {
            path: s.clone(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    match (&args.interface, &args.replay, &args.stream) {
        (Some(i), _, _) => Ok(LiveSource::Interface(i.clone())),
        (_, Some(r), _) => Ok(LiveSource::Replay(r.clone())),
        (_, _, Some(s)) => Ok(LiveSource::Stream(s.clone())),
        _ => Err(Error::Usage("give -i IFACE, --replay CAPTURE or -".into())),
    }
}

/// Checks the outputs before anything is read: none is an input or replaces a file without
/// --force, no two are the same, at most one goes to standard output. Returns (alerts, records).
fn destinations(args: &Args) -> Result<(Option<Destination>, Option<Destination>)> {
    let mut inputs: Vec<&Path> = args.model.iter().map(PathBuf::as_path).collect();
    for s in [&args.replay, &args.stream].into_iter().flatten() {
        if s != "-" {
            inputs.push(Path::new(s));
        }
    }
    let alerts = args.alerts.as_deref().map(Destination::from_arg);
    let records = args.records.as_deref().map(Destination::from_arg);
    let mut files = Vec::new();
    for d in [&alerts, &records].into_iter().flatten() {
        output::check_destination(d, &inputs, args.force.force)?;
        if let Destination::File(p) = d {
            files.push(p.as_path());
        }
    }
    if alerts == Some(Destination::Stdout) && records == Some(Destination::Stdout) {
        return Err(Error::Usage(
            "--alerts and --records cannot both go to standard output".into(),
        ));
    }
    if let Some(dir) = &args.report {
        output::check_folder(dir, &inputs, args.force.force)?;
        files.push(dir.as_path());
    }
    output::check_distinct(&files)?;
    Ok((alerts, records))
}

/// The run's options.
fn options(args: &Args) -> Result<LiveOptions> {
    let jsonl = args.records.as_ref().is_some_and(|p| {
        let s = p.to_string_lossy();
        s.ends_with(".jsonl") || s.ends_with(".json")
    });
    Ok(LiveOptions {
        limits: args.flows.limits(),
        port_scan_threshold: args.summary.threshold(),
        top: args.summary.top(),
        speed: args.speed,
        duration: args.duration.map(|d| seconds("duration", d)).transpose()?,
        count: args.count,
        status: if args.quiet.quiet {
            None
        } else {
            Some(seconds("status-every", args.status_every)?)
        },
        records_format: if jsonl {
            RecordsFormat::Jsonl
        } else {
            RecordsFormat::Csv
        },
        endpoints: args.endpoints,
        keep_records: args.report.is_some(),
        timelines: args.report.is_some(),
    })
}

/// Opens the outputs (appended as records come), the CSV header first when asked for.
fn open_outputs(
    args: &Args,
    alerts: Option<&Destination>,
    records: Option<&Destination>,
    format: RecordsFormat,
) -> Result<Outputs> {
    let open =
        |d: Option<&Destination>| d.map(|d| output::appender(d, args.force.force)).transpose();
    let mut outputs = Outputs {
        records: open(records)?,
        alerts: open(alerts)?,
    };
    if let (Some(w), RecordsFormat::Csv, true) = (&mut outputs.records, format, args.endpoints) {
        let mut head = String::new();
        crate::connection::records::csv_header(&mut head);
        w.write_all(head.as_bytes()).map_err(Error::Output)?;
    }
    Ok(outputs)
}

/// Runs `kddstat live`.
pub fn run(args: Args) -> Result<()> {
    let ui = Ui::new(args.quiet.quiet);
    let source = source(&args)?;
    let (alerts, records) = destinations(&args)?;
    let scorer = scorer(&args)?;
    if scorer.is_some() && alerts.is_none() && records.is_none() {
        ui.warn("a model is given but neither --alerts nor --records: the scores are not written");
    }
    let options = options(&args)?;
    let outputs = open_outputs(
        &args,
        alerts.as_ref(),
        records.as_ref(),
        options.records_format,
    )?;
    output::stop_gracefully();
    let result = match live::run(&source, &options, scorer.as_ref(), outputs) {
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        r => r?,
    };
    result.warnings.iter().for_each(|w| ui.warn(w));
    if let Some(dir) = &args.report {
        let analysis = crate::capture::Analysis {
            summary: result.summary.clone(),
            records: result.records,
            timelines: result.timelines,
            warnings: result.warnings.clone(),
        };
        let detector = scorer.as_ref().and_then(|s| s.detector.as_ref());
        let files = crate::report::capture::build(&analysis, detector)?;
        output::write_folder(dir, &files)?;
    }
    let text = render::capture::render(&result.summary, args.summary.format.into())?;
    let to_stdout = [&alerts, &records]
        .into_iter()
        .any(|d| d == &Some(Destination::Stdout));
    if to_stdout {
        if !args.quiet.quiet {
            output::stderr_write(&text);
        }
        Ok(())
    } else {
        render::print(&text)
    }
}

use std::io::Write as _;
