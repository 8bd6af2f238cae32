//! Capture stage: packet captures (pcap, pcapng, plain or gzip) read into a traffic summary, scans
//! and KDD-style connection records, so that the statistics, detectors and report built for NSL-KDD
//! run on the user's own traffic.
//!
//! The pipeline, one module each:
//! - [`read`]: the container formats (pcap-parser), frame by frame;
//! - [`decode`]: link, IP and transport headers (etherparse), IP fragments reassembled;
//! - [`track`]: connections, TCP states and the KDD flag, bytes, retransmissions, round-trip times,
//!   jitter, FTP and Telnet logins;
//! - [`flows`]: the flow table, when connections end (timeouts, limits);
//! - [`engine`]: frames to records as connections end, shared by `pcap` and `live`;
//! - [`records`]: the 41 KDD features of each connection (time- and host-based windows included);
//! - [`summary`]: totals, protocols, pairs, hosts, error rates, scans;
//! - the report folder of a capture is built by `report::capture`, a higher layer.
//!
//! Each module's documentation states the definitions it chose and why.

pub mod decode;
pub mod engine;
pub mod flows;
pub mod interface;
pub mod read;
pub mod summary;
pub mod timeline;
pub mod track;

/// The records are built by the connection engine, shared with Zeek logs.
pub use crate::connection::records;

use std::fs::File;
use std::io::{BufRead, Read};

use crate::error::{Error, Result};
use crate::load::source::{Input, read_input};
use decode::{Decoded, Decoder};
pub use engine::Engine;
pub use flows::Limits;
use records::Record;
use summary::TrafficSummary;

/// Fragments older than this are dropped (the usual reassembly timeout), ns.
const FRAGMENT_TIMEOUT_NS: i64 = 60_000_000_000;

/// Options of an analysis.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// Distinct ports (or hosts) that make a scan.
    pub port_scan_threshold: usize,
    /// Rows of the top lists (pairs, hosts, services).
    pub top: usize,
    /// Keep bytes per second overall and per address (for the report).
    pub timelines: bool,
    /// Timeouts and the limits of the flow table.
    pub limits: Limits,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            port_scan_threshold: 100,
            top: 10,
            timelines: false,
            limits: Limits::default(),
        }
    }
}

pub use timeline::Timelines;

/// Everything read from a capture.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The summary.
    pub summary: TrafficSummary,
    /// The connection records, by start.
    pub records: Vec<Record>,
    /// Timelines (empty unless asked for).
    pub timelines: Timelines,
    /// Warnings (a truncated last record).
    pub warnings: Vec<String>,
}

/// Where a capture's bytes come from: a file read as it comes (a gzip stream undone as it is
/// read), or bytes in memory (standard input and zip members, read whole within the input
/// limits).
#[derive(Debug)]
pub enum Source<'a> {
    /// A file on disk, as named.
    File(String),
    /// Bytes in memory.
    Bytes(std::borrow::Cow<'a, [u8]>),
}

impl Source<'_> {
    /// Opens the capture for one pass over its frames.
    pub fn open(&self) -> Result<Box<dyn Read + '_>> {
        match self {
            Source::Bytes(b) => Ok(Box::new(&b[..])),
            Source::File(path) => {
                let io = |source| Error::Io {
                    path: path.clone(),
                    source,
                };
                let mut file =
                    std::io::BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
                let gzip = file.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
                Ok(if gzip {
                    Box::new(flate2::bufread::MultiGzDecoder::new(file))
                } else {
                    Box::new(file)
                })
            }
        }
    }
}

/// A capture file (or `-`) and its name: a plain or gzip file is read as it comes, in bounded
/// memory; standard input and archive members are read whole.
pub fn read_capture(path: &str) -> Result<(String, Source<'static>)> {
    let input = Input::from_arg(path);
    if let Input::Path(p) = &input {
        let meta = std::fs::metadata(p).map_err(|source| Error::Io {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            return Err(Error::IsDirectory { path: p.clone() });
        }
        let mut head = [0u8; 4];
        let n = File::open(p)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|source| Error::Io {
                path: p.clone(),
                source,
            })?;
        let zip = head[..n].starts_with(b"PK");
        if !zip {
            return Ok((p.clone(), Source::File(p.clone())));
        }
    }
    let raw = read_input(&input, None)?;
    Ok((raw.name, Source::Bytes(raw.bytes.into())))
}

/// Analyses a capture held in memory.
pub fn analyse(name: &str, bytes: &[u8], options: &CaptureOptions) -> Result<Analysis> {
    analyse_source(name, &Source::Bytes(bytes.into()), options)
}

/// Analyses a capture read from `source` (twice with timelines: the second pass follows the
/// busiest addresses).
pub fn analyse_source(
    name: &str,
    source: &Source<'_>,
    options: &CaptureOptions,
) -> Result<Analysis> {
    let mut engine = Engine::new(options.limits, options.timelines);
    let mut records = Vec::new();
    let info = read::frames_until(name, source.open()?, |f| {
        engine.frame(&f, &mut |r| records.push(r));
        engine.unsupported().0.is_empty()
    })?;
    if let Some(&link) = engine.unsupported().0.first() {
        return Err(unsupported_link(name, link));
    }
    engine.finish(&mut |r| records.push(r));
    let mut warnings = engine.warnings(name);
    if info.truncated {
        warnings.push(format!(
            "{name}: the last packet record is truncated; it was skipped and the rest analysed"
        ));
    }
    let summary = engine.summary(name, &info, options.port_scan_threshold, options.top);
    let mut timelines = engine.timelines.take().unwrap_or_default();
    if options.timelines {
        // A second pass for the busiest addresses only, so that the timelines stay bounded
        // whatever the number of addresses.
        let wanted: Vec<std::net::IpAddr> = summary
            .hosts
            .iter()
            .take(timeline::HOSTS)
            .filter_map(|h| h.ip.parse().ok())
            .collect();
        if !wanted.is_empty() {
            host_timelines(name, source, &wanted, &mut timelines)?;
        }
    }
    Ok(Analysis {
        summary,
        records,
        timelines,
        warnings,
    })
}

/// The error for a link type kddstat cannot decode.
pub fn unsupported_link(name: &str, link: i32) -> Error {
    Error::Capture {
        path: name.to_string(),
        message: format!(
            "unsupported link type {link} ({}); kddstat reads Ethernet, Linux cooked (v1, v2), raw IP and BSD loopback captures",
            read::link_name(link)
        ),
    }
}

/// Adds the traffic of `wanted` addresses to the timelines (a second pass over the frames).
fn host_timelines(
    name: &str,
    source: &Source<'_>,
    wanted: &[std::net::IpAddr],
    timelines: &mut Timelines,
) -> Result<()> {
    let mut decoder = Decoder::new();
    let mut last_expiry = i64::MIN;
    read::frames_from(name, source.open()?, |f| {
        if !decode::supported(f.link) {
            return;
        }
        if f.ts.saturating_sub(last_expiry) > FRAGMENT_TIMEOUT_NS {
            decoder.expire(f.ts.saturating_sub(FRAGMENT_TIMEOUT_NS));
            last_expiry = f.ts;
        }
        if let Decoded::Ip { ip, .. } = decoder.decode(f.link, f.data, f.ts) {
            let w = u64::from(f.wire_len);
            if wanted.contains(&ip.src) {
                timelines.add_host(f.ts, ip.src, w, 0);
            }
            if wanted.contains(&ip.dst) {
                timelines.add_host(f.ts, ip.dst, 0, w);
            }
        }
    })?;
    Ok(())
}
