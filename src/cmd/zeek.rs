//! `kddstat zeek CONN.LOG`: the KDD connection records of a Zeek `conn.log` (TSV or JSON lines,
//! plain or gzip), built by the connection engine the capture path uses, and a summary of them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::args::{ForceArg, QuietArg, Ui};
use crate::connection::{records, zeek};
use crate::error::{Error, Result};
use crate::load::source::{self, Input};
use crate::output::{self, Destination};
use crate::render::{self, TextFormat};

/// Arguments of `kddstat zeek`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Zeek's conn.log (TSV or JSON lines, plain, .gz or ARCHIVE.zip:MEMBER), or a folder of
    /// rotated logs read as one; `-` reads standard input.
    #[arg(value_name = "CONN.LOG")]
    pub log: String,
    /// Write the KDD records (41 features and the label `unknown`, as `kddstat pcap -o`) to this
    /// CSV file; `-` for standard output.
    #[arg(short, long, alias = "out", value_name = "records.csv")]
    pub output: Option<PathBuf>,
    /// With -o: a header row and the start time, addresses and ports of each record.
    #[arg(long, requires = "output")]
    pub endpoints: bool,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = TextFormat::Table)]
    pub format: TextFormat,
    /// Replace.
    #[command(flatten)]
    pub force: ForceArg,
    /// Quiet.
    #[command(flatten)]
    pub quiet: QuietArg,
}

/// The summary of a converted log.
#[derive(Debug, serde::Serialize)]
struct Summary {
    path: String,
    #[serde(flatten)]
    counts: zeek::ZeekCounts,
    records: usize,
    flags: BTreeMap<&'static str, u64>,
    protocols: BTreeMap<&'static str, u64>,
    services: BTreeMap<&'static str, u64>,
    /// Features a conn.log cannot give, 0 in every record.
    zero_features: Vec<&'static str>,
}

/// Runs `kddstat zeek`.
pub fn run(args: Args) -> Result<()> {
    let ui = Ui::new(args.quiet.quiet);
    let force = args.force.force;
    let input = Input::from_arg(&args.log);
    let inputs: Vec<&std::path::Path> = input.file().into_iter().collect();
    let out = args.output.as_deref().map(Destination::from_arg);
    if let Some(out) = &out {
        output::check_destination(out, &inputs, force)?;
    }
    let (name, mut log) = if std::path::Path::new(&args.log).is_dir() {
        // Rotated logs: one log, its connections in start order across the files.
        let mut reader = crate::load::stream::logs_of_folder(&args.log)?;
        let log = zeek::RecordsText::new(&args.log, &mut reader)?;
        (args.log.clone(), log)
    } else {
        let raw = source::read_input_with(&input, None, source::Limits::default())?;
        if !zeek::is_zeek(&raw.bytes) {
            return Err(Error::Archive {
                path: raw.name,
                message: "not a Zeek conn.log (no '#' header line or JSON object at its start)"
                    .into(),
            });
        }
        let log = zeek::RecordsText::new(&raw.name, &mut &raw.bytes[..])?;
        (raw.name, log)
    };
    let counts = log.counts().clone();
    counts.warnings(&name).iter().for_each(|w| ui.warn(w));
    let mut recs = Vec::new();
    while let Some(r) = log.next_record()? {
        recs.push(r);
    }
    if let Some(out) = &out {
        let text = records::csv(&recs, args.endpoints);
        output::write(out, force, |w| {
            w.write_all(text.as_bytes()).map_err(Error::Output)
        })?;
    }
    let mut summary = Summary {
        path: name,
        counts,
        records: recs.len(),
        flags: BTreeMap::new(),
        protocols: BTreeMap::new(),
        services: BTreeMap::new(),
        zero_features: zero_features(),
    };
    for r in &recs {
        *summary.flags.entry(r.flag).or_default() += 1;
        *summary.protocols.entry(r.protocol).or_default() += 1;
        *summary.services.entry(r.service).or_default() += 1;
    }
    let text = match args.format {
        TextFormat::Json => {
            let mut s = serde_json::to_string_pretty(&summary)
                .map_err(|e| Error::Internal(e.to_string()))?;
            s.push('\n');
            s
        }
        _ => table(&summary),
    };
    if out == Some(Destination::Stdout) {
        if !args.quiet.quiet {
            crate::output::stderr_write(&text);
        }
        return Ok(());
    }
    render::print(&text)
}

/// The KDD features a conn.log does not carry.
fn zero_features() -> Vec<&'static str> {
    // wrong_fragment, urgent and the content features 10-22.
    crate::schema::FEATURES[7..22]
        .iter()
        .map(|f| f.name)
        .collect()
}

fn table(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} connections, {} KDD records",
        crate::error::one_line(&s.path),
        s.counts.lines,
        s.records
    );
    let _ = writeln!(
        out,
        "  other protocols (no record) {}\n  unset byte counts (taken as 0) {}\n  unknown conn_state (flag OTH) {}",
        s.counts.other_protocols, s.counts.unset_bytes, s.counts.unknown_states
    );
    for (title, map) in [
        ("protocols", &s.protocols),
        ("flags", &s.flags),
        ("services", &s.services),
    ] {
        let mut items: Vec<(&&str, &u64)> = map.iter().collect();
        items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let shown: Vec<String> = items.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(out, "  {title}: {}", shown.join(", "));
    }
    let _ = writeln!(
        out,
        "  a conn.log does not carry wrong_fragment, urgent or the content features: they are 0"
    );
    out
}
