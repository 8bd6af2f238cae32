//! Where live frames come from, and the clock.
//!
//! - An interface ([`crate::capture::interface`]): each frame is stamped with the wall clock when
//!   it is read; reads wait at most [`TICK`], so idle connections end on time while the line is
//!   quiet.
//! - A pcap or pcapng stream (standard input, a FIFO): read on a thread of its own, frame by frame
//!   as the writer flushes them (`tcpdump -U -w -`); while none comes, the stream's time moves on
//!   from its last frame's stamp by the wall clock.
//! - A replay of a capture file: frames at their recorded pace divided by `--speed` (time moves
//!   on between them the same way), or, at speed 0, as fast as they are read, with no clock but
//!   the capture's: the records are then those of `kddstat pcap` on the same file.

use std::io::Read;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Driver, LiveOptions, Stop};
use crate::capture::interface::{Interface, Next};
use crate::capture::read::{self, Frame, ReadInfo};
use crate::error::{Error, Result};

/// The longest wait for a frame before time moves on without one.
pub const TICK: Duration = Duration::from_millis(200);

/// Frames read in a row between two looks at the clock and the status line (replays).
const FRAMES_PER_TICK: u64 = 4096;

/// A live source.
#[derive(Debug, Clone)]
pub enum LiveSource {
    /// A network interface.
    Interface(String),
    /// A pcap or pcapng stream (`-`: standard input; or a FIFO).
    Stream(String),
    /// A capture file replayed.
    Replay(String),
}

/// Reads `source` into `driver` until it ends or a stop condition holds; returns the source's
/// name and what reading found.
pub fn drive(
    source: &LiveSource,
    options: &LiveOptions,
    driver: &mut Driver<'_>,
) -> Result<(String, ReadInfo)> {
    match source {
        LiveSource::Interface(name) => interface(name, driver),
        LiveSource::Stream(path) => stream(path, driver),
        LiveSource::Replay(path) => replay(path, options.speed, driver),
    }
}

fn wall_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Ticks the driver when a tick is due or the loop stops (so the last records are flushed);
/// stops when either says so.
fn tick_when_due(driver: &mut Driver<'_>, last_tick: &mut Instant, stop: Stop) -> Result<Stop> {
    if last_tick.elapsed() < TICK && stop == Stop::No {
        return Ok(stop);
    }
    *last_tick = Instant::now();
    let s = driver.tick(true)?;
    Ok(if stop == Stop::Yes { Stop::Yes } else { s })
}

fn interface(name: &str, driver: &mut Driver<'_>) -> Result<(String, ReadInfo)> {
    let mut iface = Interface::open(name, TICK)?;
    let mut last_tick = Instant::now();
    let mut last_counters = Instant::now();
    loop {
        let stop = match iface.read_frame()? {
            Next::Frame(link, data, wire_len) => {
                let f = Frame {
                    ts: wall_ns(),
                    link,
                    data,
                    wire_len,
                };
                driver.frame(&f)?
            }
            Next::Nothing => Stop::No,
        };
        if last_counters.elapsed() >= Duration::from_secs(1) || stop == Stop::Yes {
            let (p, d) = iface.read_counters();
            driver.kernel(iface.received, p, d);
            last_counters = Instant::now();
        }
        let stop = tick_when_due(driver, &mut last_tick, stop)?;
        if stop == Stop::Yes {
            let (p, d) = iface.read_counters();
            driver.kernel(iface.received, p, d);
            return Ok((
                name.to_string(),
                ReadInfo {
                    format: "live",
                    truncated: false,
                    offset: 0,
                },
            ));
        }
    }
}

/// A frame read on the reader thread.
struct Owned {
    ts: i64,
    link: i32,
    data: Vec<u8>,
    wire_len: u32,
}

enum Message {
    Frame(Owned),
    Done(Result<ReadInfo>),
}

fn stream(path: &str, driver: &mut Driver<'_>) -> Result<(String, ReadInfo)> {
    let name = if path == "-" {
        "<stdin>".to_string()
    } else {
        path.to_string()
    };
    let reader: Box<dyn Read + Send> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.to_string(),
            source,
        })?)
    };
    let (tx, rx) = mpsc::sync_channel::<Message>(4096);
    // Buffers come back to be refilled, so that a steady stream allocates nothing.
    let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
    let thread_name = name.clone();
    std::thread::spawn(move || {
        let result = read::frames_until(&thread_name, reader, |f| {
            let mut data = back_rx.try_recv().unwrap_or_default();
            data.clear();
            data.extend_from_slice(f.data);
            tx.send(Message::Frame(Owned {
                ts: f.ts,
                link: f.link,
                data,
                wire_len: f.wire_len,
            }))
            .is_ok()
        });
        let _ = tx.send(Message::Done(result));
    });
    let mut last_tick = Instant::now();
    loop {
        let stop = match rx.recv_timeout(TICK) {
            Ok(Message::Frame(o)) => {
                let stop = driver.frame(&Frame {
                    ts: o.ts,
                    link: o.link,
                    data: &o.data,
                    wire_len: o.wire_len,
                })?;
                let _ = back_tx.send(o.data);
                stop
            }
            Ok(Message::Done(result)) => {
                let info = result?;
                if info.truncated {
                    return Err(Error::Capture {
                        path: name,
                        message: format!(
                            "the stream ended inside a packet record at byte {}; the records and \
                             alerts of the packets before it were written",
                            info.offset
                        ),
                    });
                }
                return Ok((name, info));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Stop::No,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(Error::Internal("the capture reader stopped".into()));
            }
        };
        let stop = tick_when_due(driver, &mut last_tick, stop)?;
        if stop == Stop::Yes {
            // The reader thread may be blocked on the pipe: it ends with the process.
            return Ok((
                name,
                ReadInfo {
                    format: "pcap",
                    truncated: false,
                    offset: 0,
                },
            ));
        }
    }
}

fn replay(path: &str, speed: f64, driver: &mut Driver<'_>) -> Result<(String, ReadInfo)> {
    let (name, source) = crate::capture::read_capture(path)?;
    let reader = source.open()?;
    let mut first: Option<(i64, Instant)> = None;
    let mut frames = 0u64;
    let mut failed: Option<Error> = None;
    let info = read::frames_until(&name, reader, |f| {
        let step = (|| -> Result<Stop> {
            if speed > 0.0 {
                let (ts0, t0) = *first.get_or_insert((f.ts, Instant::now()));
                let due = f.ts.saturating_sub(ts0).max(0) as f64 / 1e9 / speed;
                loop {
                    let elapsed = t0.elapsed().as_secs_f64();
                    if elapsed >= due {
                        break;
                    }
                    std::thread::sleep(Duration::from_secs_f64((due - elapsed).min(0.2)));
                    let now = ts0.saturating_add((t0.elapsed().as_secs_f64() * speed * 1e9) as i64);
                    driver.advance_to(now.min(f.ts))?;
                    if driver.tick(false)? == Stop::Yes {
                        return Ok(Stop::Yes);
                    }
                }
            }
            let stop = driver.frame(&f)?;
            frames += 1;
            if frames % FRAMES_PER_TICK == 0 && stop == Stop::No {
                return driver.tick(false);
            }
            Ok(stop)
        })();
        match step {
            Ok(Stop::No) => true,
            Ok(Stop::Yes) => false,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    Ok((name, info))
}
