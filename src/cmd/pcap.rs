//! `kddstat pcap CAPTURE`: traffic summary, scans and KDD connection records of a packet capture.

use std::path::{Path, PathBuf};

use super::args::{FlowArgs, ForceArg, QuietArg, SummaryArgs, Ui};
use crate::capture::{self, CaptureOptions};
use crate::detect::Model;
use crate::error::{Error, Result};
use crate::load::Input;
use crate::output::{self, Destination};
use crate::render;

/// Arguments of `kddstat pcap`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture (pcap or pcapng, plain or .gz; `-` for standard input).
    #[arg(value_name = "CAPTURE")]
    pub capture: String,
    /// Write the connection records (NSL-KDD layout, label `unknown`) to this CSV file; `-` for
    /// standard output (the summary then goes to standard error).
    #[arg(short, long, alias = "out", value_name = "conns.csv")]
    pub output: Option<PathBuf>,
    /// Add a header and the start time, addresses and ports to the records (for people; the other
    /// commands read the file without them).
    #[arg(long, requires = "output")]
    pub endpoints: bool,
    /// Write a report folder (HTML and SVG) of the capture.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// With --report: score the records with this model and show the scores.
    #[arg(long, value_name = "MODEL.json", requires = "report")]
    pub model: Option<PathBuf>,
    /// The summary.
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

/// Runs `kddstat pcap`.
pub fn run(args: Args) -> Result<()> {
    let ui = Ui::new(args.quiet.quiet);
    let force = args.force.force;
    let capture_input = Input::from_arg(&args.capture);
    let mut inputs: Vec<&Path> = capture_input.file().into_iter().collect();
    inputs.extend(args.model.as_deref());
    let out = args.output.as_deref().map(Destination::from_arg);
    if let Some(out) = &out {
        output::check_destination(out, &inputs, force)?;
    }
    if let Some(dir) = &args.report {
        output::check_folder(dir, &inputs, force)?;
        if let Some(Destination::File(o)) = &out {
            output::check_distinct(&[o.as_path(), dir.as_path()])?;
        }
    }
    let model = args.model.as_deref().map(Model::read).transpose()?;
    let (name, source) = capture::read_capture(&args.capture)?;
    let options = CaptureOptions {
        port_scan_threshold: args.summary.threshold(),
        top: args.summary.top(),
        timelines: args.report.is_some(),
        limits: args.flows.limits(),
    };
    let analysis = capture::analyse_source(&name, &source, &options)?;
    drop(source);
    analysis.warnings.iter().for_each(|w| ui.warn(w));
    let files = match &args.report {
        Some(_) => Some(crate::report::capture::build(&analysis, model.as_ref())?),
        None => None,
    };
    if let Some(out) = &out {
        let text = capture::records::csv(&analysis.records, args.endpoints);
        output::write(out, force, |w| {
            w.write_all(text.as_bytes()).map_err(Error::Output)
        })?;
    }
    if let (Some(dir), Some(files)) = (&args.report, files) {
        output::write_folder(dir, &files)?;
    }
    let text = render::capture::render(&analysis.summary, args.summary.format.into())?;
    if out == Some(Destination::Stdout) {
        if !args.quiet.quiet {
            crate::output::stderr_write(&text);
        }
        Ok(())
    } else {
        render::print(&text)
    }
}
