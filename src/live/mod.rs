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
pub mod writer;

use std::time::{Duration, Instant};

use crate::capture::engine::Engine;
use crate::capture::read::{Frame, ReadInfo};
use crate::capture::summary::TrafficSummary;
use crate::capture::{Limits, Timelines};
use crate::connection::records::Record;
use crate::error::{Error, Result};
use score::Scorer;
pub use source::LiveSource;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::SyncSender;
pub use writer::Outputs;
use writer::{Message, Shared};

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
    tx: Option<SyncSender<Message>>,
    shared: Arc<Shared>,
    pending: Vec<Record>,
    alerted_scans: foldhash::HashSet<(String, String, Option<String>, Option<u16>)>,
    figures: Figures,
    started: Instant,
    last_status: Instant,
    last_flush: Instant,
    status_base: (u64, u64, Instant),
    /// Stream time of the last frame, and when it came.
    last_frame: Option<(i64, Instant)>,
}

impl<'a> Driver<'a> {
    /// A driver handing its records to the writer behind `tx`.
    fn new(options: &'a LiveOptions, tx: SyncSender<Message>, shared: Arc<Shared>) -> Self {
        let now = Instant::now();
        let mut engine = Engine::new(options.limits, options.timelines);
        engine.set_release_max(BATCH);
        Driver {
            engine,
            options,
            tx: Some(tx),
            shared,
            pending: Vec::new(),
            alerted_scans: Default::default(),
            figures: Figures::default(),
            started: now,
            last_status: now,
            last_flush: now,
            status_base: (0, 0, now),
            last_frame: None,
        }
    }

    /// Reads one frame; Stop::Yes once a stop condition holds.
    pub fn frame(&mut self, f: &Frame<'_>) -> Result<Stop> {
        let pending = &mut self.pending;
        self.engine.frame(f, &mut |r| pending.push(r));
        self.figures.packets += 1;
        self.last_frame = Some((f.ts, Instant::now()));
        self.pump()?;
        self.check_stop()
    }

    /// While a whole batch waits: scores and writes it, and takes the next records that are
    /// final (so at most one batch of records is held here, however many a connection's end
    /// releases).
    fn pump(&mut self) -> Result<()> {
        while self.pending.len() >= BATCH {
            self.flush()?;
            let pending = &mut self.pending;
            self.engine.release(&mut |r| pending.push(r));
        }
        Ok(())
    }

    /// Called while no frame comes (and every few thousand frames): moves the stream's time on
    /// by the wall clock when `live` (an interface or a pipe), flushes what waits, prints the
    /// status line.
    pub fn tick(&mut self, live: bool) -> Result<Stop> {
        if live && let Some((ts, at)) = self.last_frame {
            let now = ts.saturating_add(i64::try_from(at.elapsed().as_nanos()).unwrap_or(i64::MAX));
            let pending = &mut self.pending;
            self.engine.advance(now, &mut |r| pending.push(r));
            self.pump()?;
        }
        if !self.pending.is_empty()
            && (live || self.last_flush.elapsed() > Duration::from_millis(200))
        {
            self.drain_all()?;
        }
        self.status(None);
        self.check_stop()
    }

    /// Scores and writes every record that is final, a batch at a time.
    fn drain_all(&mut self) -> Result<()> {
        loop {
            self.flush()?;
            let pending = &mut self.pending;
            if self.engine.release(&mut |r| pending.push(r)) == 0 {
                return Ok(());
            }
        }
    }

    /// Moves the stream's time to `now` (a replay between two packets).
    pub fn advance_to(&mut self, now: i64) -> Result<()> {
        let pending = &mut self.pending;
        self.engine.advance(now, &mut |r| pending.push(r));
        self.pump()?;
        if !self.pending.is_empty() {
            self.drain_all()?;
        }
        self.status(None);
        Ok(())
    }

    fn check_stop(&self) -> Result<Stop> {
        let o = self.options;
        let done = crate::output::stop_requested()
            || self.shared.failed.load(Ordering::SeqCst)
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

    /// Hands the records waiting, then the new scans, to the writer.
    pub fn flush(&mut self) -> Result<()> {
        self.last_flush = Instant::now();
        let records = std::mem::take(&mut self.pending);
        if !records.is_empty() {
            self.send(Message::Records(records))?;
        }
        let mut new = Vec::new();
        for s in self.engine.scans(self.options.port_scan_threshold) {
            let key = (s.kind.to_string(), s.src.clone(), s.dst.clone(), s.port);
            if self.alerted_scans.insert(key) {
                new.push(s);
            }
        }
        if !new.is_empty() {
            self.send(Message::Scans(new))?;
        }
        Ok(())
    }

    fn send(&mut self, m: Message) -> Result<()> {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(m).is_ok());
        if sent && !self.shared.failed.load(Ordering::SeqCst) {
            Ok(())
        } else {
            // The writer failed: its own error is returned when it is joined.
            Err(Error::Internal("the writer stopped".into()))
        }
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
        self.sync_figures();
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

    fn sync_figures(&mut self) {
        let s = &self.shared;
        self.figures.records = s.records.load(Ordering::Relaxed);
        self.figures.alerts = s.alerts.load(Ordering::Relaxed);
        self.figures.scans = s.scans.load(Ordering::Relaxed);
    }

    /// Ends every connection and hands the rest to the writer, then waits for it (`join`) and
    /// returns the run's results.
    fn finish(
        mut self,
        name: &str,
        info: &ReadInfo,
        join: impl FnOnce() -> Result<Vec<Record>>,
    ) -> Result<LiveResult> {
        let pending = &mut self.pending;
        self.engine.finish(&mut |r| pending.push(r));
        let drained = self.drain_all();
        self.tx = None;
        let kept = join()?;
        drained?;
        self.sync_figures();
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
            records: kept,
            timelines: self.engine.timelines.take().unwrap_or_default(),
            warnings,
            figures: self.figures,
        })
    }
}

/// Runs a live capture to its end (the source ends, a stop condition holds, or SIGINT/SIGTERM).
pub fn run(
    source: &LiveSource,
    options: &LiveOptions,
    scorer: Option<&Scorer>,
    outputs: Outputs,
) -> Result<LiveResult> {
    let shared = Arc::new(Shared::default());
    let (tx, rx) = std::sync::mpsc::sync_channel(writer::QUEUE);
    std::thread::scope(|scope| {
        let writer = writer::Writer::new(options, scorer, outputs, shared.clone());
        let handle = scope.spawn(move || writer.run(rx));
        let join = move || {
            handle
                .join()
                .unwrap_or_else(|_| Err(Error::Internal("the writer panicked".into())))
        };
        let mut driver = Driver::new(options, tx, shared.clone());
        let name = match source {
            LiveSource::Interface(n) | LiveSource::Stream(n) | LiveSource::Replay(n) => n.clone(),
        };
        match source::drive(source, options, &mut driver) {
            Ok((name, info)) => driver.finish(&name, &info, join),
            // The writer's own error first (a closed output), else the source's: the
            // connections seen so far still end and are written, then the error.
            Err(e) => match driver.finish(&name, &ReadInfo::default(), join) {
                Err(w) if shared.failed.load(Ordering::SeqCst) => Err(w),
                _ => Err(e),
            },
        }
    })
}
