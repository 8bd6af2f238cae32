//! The writing side of a live run, on a thread of its own: batches of records scored, explained
//! and written while the engine reads the next packets (two cores: reading and scoring overlap).
//! At most [`QUEUE`] batches wait, so memory stays bounded whatever the scoring's speed.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::score::{Alert, Scorer};
use super::{LiveOptions, RecordsFormat};
use crate::capture::summary::Scan;
use crate::connection::records::Record;
use crate::error::{Error, Result};

/// Batches waiting for the writer at most.
pub const QUEUE: usize = 2;

/// What the writer is sent.
pub enum Message {
    /// Records to score and write.
    Records(Vec<Record>),
    /// New scans to alert.
    Scans(Vec<Scan>),
}

/// Counters the writer keeps and the driver reads (the status line, the summary).
#[derive(Debug, Default)]
pub struct Shared {
    /// Records written.
    pub records: AtomicU64,
    /// Alerts written (scans included).
    pub alerts: AtomicU64,
    /// Scans alerted.
    pub scans: AtomicU64,
    /// The writer failed (its error is returned when it ends).
    pub failed: AtomicBool,
}

/// Where the outputs go.
pub struct Outputs {
    /// Every record.
    pub records: Option<Box<dyn Write + Send>>,
    /// The alerts.
    pub alerts: Option<Box<dyn Write + Send>>,
}

/// The writer's state.
pub struct Writer<'a> {
    options: &'a LiveOptions,
    scorer: Option<&'a Scorer>,
    outputs: Outputs,
    shared: Arc<Shared>,
    /// Every record, when the report needs them.
    pub kept: Vec<Record>,
    line: String,
}

impl<'a> Writer<'a> {
    /// A writer of `outputs`.
    pub fn new(
        options: &'a LiveOptions,
        scorer: Option<&'a Scorer>,
        outputs: Outputs,
        shared: Arc<Shared>,
    ) -> Self {
        Writer {
            options,
            scorer,
            outputs,
            shared,
            kept: Vec::new(),
            line: String::with_capacity(1024),
        }
    }

    /// Handles messages until the sender is dropped; then returns the kept records, or the first
    /// error (after which it only drains the queue).
    pub fn run(mut self, rx: std::sync::mpsc::Receiver<Message>) -> Result<Vec<Record>> {
        let mut failed = None;
        for m in rx {
            if failed.is_some() {
                continue;
            }
            let r = match m {
                Message::Records(records) => self.records(records),
                Message::Scans(scans) => self.scans(&scans),
            }
            .and_then(|()| self.flush());
            if let Err(e) = r {
                self.shared.failed.store(true, Ordering::SeqCst);
                failed = Some(e);
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(self.kept),
        }
    }

    fn records(&mut self, records: Vec<Record>) -> Result<()> {
        let verdicts = match self.scorer {
            Some(s) => Some(s.judge(&records)?),
            None => None,
        };
        let mut alerts = 0;
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
                    RecordsFormat::Jsonl => super::score::record_json(r, v, &mut self.line),
                }
                w.write_all(self.line.as_bytes()).map_err(Error::Output)?;
            }
            if let (Some(v), Some(w)) = (v, &mut self.outputs.alerts)
                && v.flagged
            {
                write_json_line(w, &Alert::of_record(r, v))?;
                alerts += 1;
            }
        }
        self.shared
            .records
            .fetch_add(records.len() as u64, Ordering::Relaxed);
        self.shared.alerts.fetch_add(alerts, Ordering::Relaxed);
        if self.options.keep_records {
            self.kept.extend(records);
        }
        Ok(())
    }

    fn scans(&mut self, scans: &[Scan]) -> Result<()> {
        let Some(w) = &mut self.outputs.alerts else {
            return Ok(());
        };
        for s in scans {
            write_json_line(w, &Alert::of_scan(s))?;
        }
        let n = scans.len() as u64;
        self.shared.alerts.fetch_add(n, Ordering::Relaxed);
        self.shared.scans.fetch_add(n, Ordering::Relaxed);
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        for w in [&mut self.outputs.records, &mut self.outputs.alerts]
            .into_iter()
            .flatten()
        {
            w.flush().map_err(Error::Output)?;
        }
        Ok(())
    }
}

fn write_json_line(w: &mut Box<dyn Write + Send>, value: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer(&mut *w, value).map_err(|e| Error::Output(e.into()))?;
    w.write_all(b"\n").map_err(Error::Output)
}
