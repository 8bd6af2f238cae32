//! Live stage: packets as they arrive (an interface, a pcap stream on standard input, or a capture
//! replayed at its pace) through the capture engine, records written and scored as their
//! connections end, alerts with the reasons of their scores.
//!
//! - [`source`]: where frames come from, and the clock that ends idle connections while no packet
//!   comes;
//! - [`score`]: the model (detector, classifier, or both as a hybrid) applied to records in
//!   batches, and the alerts;
//! - this module: the loop, its outputs, its status line and its stop conditions.
//!
//! The records are the engine's, so `live --replay X --speed 0` writes what `pcap X -o` writes.

pub mod score;
pub mod source;

use std::io::Write;
use std::time::{Duration, Instant};

use crate::capture::engine::Engine;
use crate::capture::read::{Frame, ReadInfo};
use crate::capture::summary::{Scan, TrafficSummary};
use crate::capture::{Limits, Timelines};
use crate::connection::records::Record;
use crate::error::{Error, Result};
use score::{Alert, Scorer};
pub use source::LiveSource;

/// Records scored at once (the status interval flushes smaller batches).
pub const BATCH: usize = 4096;

/// How records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordsFormat {
    /// CSV as `kddstat pcap -o` writes it.
    Csv,
    /// One JSON object per line, with the score when a model is given.
    Jsonl,
}

/// Options of a live run.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// The flow table's limits and timeouts.
    pub limits: Limits,
    /// Distinct ports or hosts that make a scan.
    pub port_scan_threshold: usize,
    /// Rows of the summary's top lists.
    pub top: usize,
    /// Replay speed (0: as fast as possible).
    pub speed: f64,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after this many packets.
    pub count: Option<u64>,
    /// Seconds between status lines (`None`: quiet).
    pub status: Option<Duration>,
    /// Records format.
    pub records_format: RecordsFormat,
    /// Endpoints in the CSV records.
    pub endpoints: bool,
    /// Keep every record (for the report at exit).
    pub keep_records: bool,
    /// Keep timelines (for the report at exit).
    pub timelines: bool,
}

/// Where the outputs go.
pub struct Outputs {
    /// Every record.
    pub records: Option<Box<dyn Write + Send>>,
    /// The alerts.
    pub alerts: Option<Box<dyn Write + Send>>,
}

/// What a run did.
#[derive(Debug)]
pub struct LiveResult {
    /// The capture summary (as `kddstat pcap` prints it).
    pub summary: TrafficSummary,
    /// Every record, when kept.
    pub records: Vec<Record>,
    /// Timelines, when kept.
    pub timelines: Timelines,
    /// Warnings.
    pub warnings: Vec<String>,
    /// The live figures.
    pub figures: Figures,
}

/// The live figures of a run.
pub use crate::capture::summary::LiveFigures as Figures;

/// Why the loop stopped reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Keep going.
    No,
    /// Stop now.
    Yes,
}

/// The loop's state: the engine, the records waiting to be scored, the outputs.
pub struct Driver<'a> {
    engine: Engine,
    options: &'a LiveOptions,
    scorer: Option<&'a Scorer>,
    outputs: Outputs,
    pending: Vec<Record>,
    kept: Vec<Record>,
    alerted_scans: foldhash::HashSet<(String, String, Option<String>, Option<u16>)>,
    figures: Figures,
    started: Instant,
    last_status: Instant,
    last_flush: Instant,
    status_base: (u64, u64, Instant),
    /// Stream time of the last frame, and when it came.
    last_frame: Option<(i64, Instant)>,
    line: String,
}

impl<'a> Driver<'a> {
    /// A driver writing to `outputs`.
    pub fn new(options: &'a LiveOptions, scorer: Option<&'a Scorer>, outputs: Outputs) -> Self {
        let now = Instant::now();
        Driver {
            engine: Engine::new(options.limits, options.timelines),
            options,
            scorer,
            outputs,
            pending: Vec::new(),
            kept: Vec::new(),
            alerted_scans: Default::default(),
            figures: Figures::default(),
            started: now,
            last_status: now,
            last_flush: now,
            status_base: (0, 0, now),
            last_frame: None,
            line: String::with_capacity(1024),
        }
    }

    /// Reads one frame; Stop::Yes once a stop condition holds.
    pub fn frame(&mut self, f: &Frame<'_>) -> Result<Stop> {
        let pending = &mut self.pending;
        self.engine.frame(f, &mut |r| pending.push(r));
        self.figures.packets += 1;
        self.last_frame = Some((f.ts, Instant::now()));
        if self.pending.len() >= BATCH {
            self.flush()?;
        }
        self.check_stop()
    }

    /// Called while no frame comes (and every few thousand frames): moves the stream's time on
    /// by the wall clock when `live` (an interface or a pipe), flushes what waits, prints the
    /// status line.
    pub fn tick(&mut self, live: bool) -> Result<Stop> {
        if live && let Some((ts, at)) = self.last_frame {
            let now = ts.saturating_add(i64::try_from(at.elapsed().as_nanos()).unwrap_or(i64::MAX));
            let pending = &mut self.pending;
            self.engine.advance(now, &mut |r| pending.push(r));
        }
        if !self.pending.is_empty()
            && (live || self.last_flush.elapsed() > Duration::from_millis(200))
        {
            self.flush()?;
        }
        self.status(None);
        self.check_stop()
    }

    /// Moves the stream's time to `now` (a replay between two packets).
    pub fn advance_to(&mut self, now: i64) -> Result<()> {
        let pending = &mut self.pending;
        self.engine.advance(now, &mut |r| pending.push(r));
        if !self.pending.is_empty() {
            self.flush()?;
        }
        self.status(None);
        Ok(())
    }

    fn check_stop(&self) -> Result<Stop> {
        let o = self.options;
        let done = crate::output::stop_requested()
            || o.count.is_some_and(|c| self.figures.packets >= c)
            || o.duration.is_some_and(|d| self.started.elapsed() >= d);
        Ok(if done { Stop::Yes } else { Stop::No })
    }

    /// Counters of an interface capture: frames the socket received (loopback copies
    /// included), and the kernel's frames passed and dropped.
    pub fn kernel(&mut self, received: u64, packets: u64, drops: u64) {
        self.figures.frames_received = received;
        self.figures.kernel_packets = packets;
        self.figures.kernel_drops = drops;
    }

    /// Scores and writes the records waiting, then the new scans.
    pub fn flush(&mut self) -> Result<()> {
        self.last_flush = Instant::now();
        let records = std::mem::take(&mut self.pending);
        if !records.is_empty() {
            let verdicts = match self.scorer {
                Some(s) => Some(s.judge(&records)?),
                None => None,
            };
            for (i, r) in records.iter().enumerate() {
                let v = verdicts.as_ref().map(|v| &v[i]);
                if let Some(w) = &mut self.outputs.records {
                    self.line.clear();
                    match self.options.records_format {
                        RecordsFormat::Csv => crate::connection::records::write_csv_line(
                            r,
                            self.options.endpoints,
                            &mut self.line,
                        ),
                        RecordsFormat::Jsonl => score::record_json(r, v, &mut self.line),
                    }
                    w.write_all(self.line.as_bytes()).map_err(Error::Output)?;
                }
                if let (Some(v), Some(w)) = (v, &mut self.outputs.alerts)
                    && v.flagged
                {
                    let a = Alert::of_record(r, v);
                    write_json_line(w, &a)?;
                    self.figures.alerts += 1;
                }
            }
            self.figures.records += records.len() as u64;
            if self.options.keep_records {
                self.kept.extend(records);
            }
        }
        self.scans()?;
        for w in [&mut self.outputs.records, &mut self.outputs.alerts]
            .into_iter()
            .flatten()
        {
            w.flush().map_err(Error::Output)?;
        }
        Ok(())
    }

    fn scans(&mut self) -> Result<()> {
        let Some(w) = &mut self.outputs.alerts else {
            return Ok(());
        };
        for s in self.engine.scans(self.options.port_scan_threshold) {
            let key = (s.kind.to_string(), s.src.clone(), s.dst.clone(), s.port);
            if self.alerted_scans.insert(key) {
                write_json_line(w, &Alert::of_scan(&s))?;
                self.figures.alerts += 1;
                self.figures.scans += 1;
            }
        }
        Ok(())
    }

    /// Prints the status line when it is due (or now, with `force`).
    fn status(&mut self, force: Option<()>) {
        let Some(every) = self.options.status else {
            return;
        };
        if force.is_none() && self.last_status.elapsed() < every {
            return;
        }
        self.last_status = Instant::now();
        let (p0, r0, t0) = self.status_base;
        let secs = t0.elapsed().as_secs_f64().max(1e-9);
        let f = &self.figures;
        let line = format!(
            "live: {} packets ({:.0}/s), {} records ({:.0}/s), {} flows open, {} alerts, {} drops",
            f.packets,
            (f.packets - p0) as f64 / secs,
            f.records,
            (f.records - r0) as f64 / secs,
            self.engine.open(),
            f.alerts,
            f.kernel_drops
        );
        self.status_base = (f.packets, f.records, Instant::now());
        crate::output::stderr_write(&format!("{line}\n"));
    }

    /// Ends every connection, scores and writes the rest, and returns the run's results.
    pub fn finish(mut self, name: &str, info: &ReadInfo) -> Result<LiveResult> {
        let pending = &mut self.pending;
        self.engine.finish(&mut |r| pending.push(r));
        self.flush()?;
        let (_, unsupported) = self.engine.unsupported();
        self.figures.unsupported_frames = unsupported;
        self.figures.evicted = self.engine.ends().evicted;
        self.figures.ended = self.engine.ends();
        self.figures.seconds = self.started.elapsed().as_secs_f64();
        self.status(Some(()));
        let mut warnings = self.engine.warnings(name);
        let (links, frames) = self.engine.unsupported();
        if frames > 0 {
            warnings.push(format!(
                "{name}: {frames} frames of link types kddstat cannot decode were skipped ({})",
                links
                    .iter()
                    .map(|&l| format!("{l} {}", crate::capture::read::link_name(l)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if self.figures.kernel_drops > 0 {
            warnings.push(format!(
                "{name}: the kernel dropped {} frames kddstat did not read in time",
                self.figures.kernel_drops
            ));
        }
        let mut summary = self.engine.summary(
            name,
            info,
            self.options.port_scan_threshold,
            self.options.top,
        );
        summary.live = Some(self.figures.clone());
        Ok(LiveResult {
            summary,
            records: self.kept,
            timelines: self.engine.timelines.take().unwrap_or_default(),
            warnings,
            figures: self.figures,
        })
    }
}

fn write_json_line(w: &mut Box<dyn Write + Send>, value: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer(&mut *w, value).map_err(|e| Error::Output(e.into()))?;
    w.write_all(b"\n").map_err(Error::Output)
}

/// Runs a live capture to its end (the source ends, a stop condition holds, or SIGINT/SIGTERM).
pub fn run(
    source: &LiveSource,
    options: &LiveOptions,
    scorer: Option<&Scorer>,
    outputs: Outputs,
) -> Result<LiveResult> {
    let mut driver = Driver::new(options, scorer, outputs);
    match source::drive(source, options, &mut driver) {
        Ok((name, info)) => driver.finish(&name, &info),
        Err(e) => {
            // The connections seen so far still end, are scored and written; then the error.
            let name = match source {
                LiveSource::Interface(n) | LiveSource::Stream(n) | LiveSource::Replay(n) => n,
            };
            if !matches!(e, Error::Output(_)) {
                let _ = driver.finish(name, &ReadInfo::default());
            }
            Err(e)
        }
    }
}

/// The scans as alerts are written; re-exported for the command's summary.
pub type ScanFigures = Scan;
