//! `kddstat pcap CAPTURE`: traffic summary, scans and KDD connection records of a packet capture.

use std::path::{Path, PathBuf};

use crate::capture::{self, CaptureOptions};
use crate::clean::write;
use crate::detect::Model;
use crate::error::Result;
use crate::render::{self, Format};
use crate::report::output;

/// Arguments of `kddstat pcap`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture (pcap or pcapng, plain or .gz; `-` for standard input).
    #[arg(value_name = "CAPTURE")]
    pub capture: String,
    /// Distinct ports of one host (or hosts on one port) that one source must reach to be
    /// reported as a scan.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub port_scan_threshold: usize,
    /// Write the connection records (NSL-KDD layout, label `unknown`) to this CSV file.
    #[arg(short, long, value_name = "conns.csv")]
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
    /// Replace the output file or report folder if it exists.
    #[arg(long)]
    pub force: bool,
    /// Rows of the top lists (pairs, addresses, services).
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Format of the summary.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Do not print warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `kddstat pcap`.
pub fn run(args: Args) -> Result<()> {
    if args.format == Format::Csv {
        return Err(crate::Error::Usage(
            "--format csv: the summary has no CSV form; -o FILE writes the records as CSV".into(),
        ));
    }
    let inputs: Vec<&Path> = if args.capture == "-" {
        vec![]
    } else {
        vec![Path::new(&args.capture)]
    };
    if let Some(out) = &args.output {
        write::check_destination(out, &inputs, args.force)?;
    }
    if let Some(dir) = &args.report {
        output::check_folder(dir, &inputs, args.force)?;
    }
    let model = args.model.as_deref().map(Model::read).transpose()?;
    let (name, bytes) = capture::read_capture(&args.capture)?;
    let options = CaptureOptions {
        port_scan_threshold: args.port_scan_threshold,
        top: args.top,
        timelines: args.report.is_some(),
    };
    let analysis = capture::analyse(&name, &bytes, &options)?;
    drop(bytes);
    if !args.quiet {
        analysis.warnings.iter().for_each(|w| super::warn(w));
    }
    if let Some(out) = &args.output {
        let text = capture::records::csv(&analysis.records, args.endpoints);
        write::atomically(out, |w| {
            w.write_all(text.as_bytes()).map_err(crate::Error::Output)
        })?;
    }
    if let Some(dir) = &args.report {
        let files = capture::report::build(&analysis, model.as_ref())?;
        output::write_folder(dir, &files)?;
    }
    render::print(&render::capture::render(&analysis.summary, args.format)?)
}
