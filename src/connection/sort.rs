//! Finished connections put in start order within bounded memory: an external merge sort.
//!
//! Zeek writes a connection when it ends, so a log is ordered by end, not by start, and a long
//! connection appears long after connections that started later. The window features need start
//! order, exactly as if the whole log were sorted: connections are gathered in runs of
//! [`RUN_CONNECTIONS`] (about 40 MB), each sorted and, when there is more than one, written to an
//! unnamed temporary file (about 64 bytes a connection); the runs are then merged. Equal starts
//! keep their order in the input, as a stable sort of the whole would.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::records::Finished;
use crate::error::{Error, Result};

/// Connections held in memory before a run is written out.
pub const RUN_CONNECTIONS: usize = 1 << 18;

/// Gathers connections, then yields them in start order ([`Sorter::finish`]).
pub struct Sorter {
    /// (start, input order, name indices, connection).
    run: Vec<(i64, u64, [u16; 3], Finished)>,
    spilled: Vec<std::fs::File>,
    /// The run being sorted and written on a thread of its own while the next one fills (at most
    /// one: two runs in memory at once).
    writing: Option<std::thread::JoinHandle<std::io::Result<std::fs::File>>>,
    seq: u64,
    /// The `&'static str` names (protocols, services, flags), by index in the files.
    names: Vec<&'static str>,
    run_size: usize,
}

fn io(e: std::io::Error) -> Error {
    Error::Output(e)
}

impl Default for Sorter {
    fn default() -> Self {
        Sorter::with_run_size(RUN_CONNECTIONS)
    }
}

impl Sorter {
    /// A sorter holding at most `run_size` connections in memory (tests use small runs).
    pub fn with_run_size(run_size: usize) -> Sorter {
        Sorter {
            run: Vec::new(),
            spilled: Vec::new(),
            writing: None,
            seq: 0,
            names: Vec::new(),
            run_size: run_size.max(1),
        }
    }

    /// Adds a connection.
    pub fn push(&mut self, c: Finished) -> Result<()> {
        let idx = [
            self.name_index(c.protocol),
            self.name_index(c.service),
            self.name_index(c.flag),
        ];
        self.run.push((c.start, self.seq, idx, c));
        self.seq += 1;
        if self.run.len() >= self.run_size {
            self.spill()?;
        }
        Ok(())
    }

    fn name_index(&mut self, name: &'static str) -> u16 {
        match self.names.iter().position(|n| *n == name) {
            Some(i) => i as u16,
            None => {
                self.names.push(name);
                (self.names.len() - 1) as u16
            }
        }
    }

    /// Waits for the run being written, if any.
    fn written(&mut self) -> Result<()> {
        if let Some(h) = self.writing.take() {
            let file = h
                .join()
                .map_err(|_| Error::Internal("writing a sorted run failed".into()))?
                .map_err(io)?;
            self.spilled.push(file);
        }
        Ok(())
    }

    /// Sorts the run and writes it to an unnamed temporary file, on a thread, while the next run
    /// fills.
    fn spill(&mut self) -> Result<()> {
        self.written()?;
        let run = std::mem::take(&mut self.run);
        self.writing = Some(std::thread::spawn(move || {
            let file = tempfile::tempfile()?;
            let mut w = BufWriter::with_capacity(1 << 16, file);
            for (_, seq, idx, c) in order(&run).iter().map(|&i| &run[i as usize]) {
                write_one(&mut w, *seq, c, *idx)?;
            }
            let mut file = w.into_inner().map_err(|e| e.into_error())?;
            file.seek(SeekFrom::Start(0))?;
            Ok(file)
        }));
        Ok(())
    }

    /// The connections in start order.
    pub fn finish(mut self) -> Result<Sorted> {
        if self.spilled.is_empty() && self.writing.is_none() {
            let order = order(&self.run);
            let mut run: Vec<Option<Finished>> =
                self.run.into_iter().map(|(_, _, _, c)| Some(c)).collect();
            let sorted: Vec<Finished> = order
                .iter()
                .filter_map(|&i| run[i as usize].take())
                .collect();
            return Ok(Sorted(Inner::Memory(sorted.into_iter())));
        }
        if !self.run.is_empty() {
            self.spill()?;
        }
        self.written()?;
        let mut runs: Vec<BufReader<std::fs::File>> = self
            .spilled
            .into_iter()
            .map(|f| BufReader::with_capacity(1 << 16, f))
            .collect();
        let mut heap = BinaryHeap::new();
        let mut heads = Vec::with_capacity(runs.len());
        for (i, r) in runs.iter_mut().enumerate() {
            let head = read_one(r, &self.names)?;
            if let Some((seq, c)) = &head {
                heap.push(Reverse((c.start, *seq, i)));
            }
            heads.push(head.map(|(_, c)| c));
        }
        Ok(Sorted(Inner::Merge {
            runs,
            heads,
            heap,
            names: self.names,
        }))
    }
}

/// A run's positions in (start, input order): the keys are sorted, not the connections.
fn order(run: &[(i64, u64, [u16; 3], Finished)]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..run.len() as u32).collect();
    order.sort_unstable_by_key(|&i| {
        let (start, seq, _, _) = &run[i as usize];
        (*start, *seq)
    });
    order
}

/// Connections in start order: from memory, or merged from runs on disk.
pub struct Sorted(Inner);

enum Inner {
    /// One run, held in memory.
    Memory(std::vec::IntoIter<Finished>),
    /// Runs on disk, merged.
    Merge {
        runs: Vec<BufReader<std::fs::File>>,
        heads: Vec<Option<Finished>>,
        heap: BinaryHeap<Reverse<(i64, u64, usize)>>,
        names: Vec<&'static str>,
    },
}

impl Sorted {
    /// The next connection in start order.
    pub fn next_conn(&mut self) -> Result<Option<Finished>> {
        match &mut self.0 {
            Inner::Memory(it) => Ok(it.next()),
            Inner::Merge {
                runs,
                heads,
                heap,
                names,
            } => {
                let Some(Reverse((_, _, i))) = heap.pop() else {
                    return Ok(None);
                };
                let out = heads[i].take();
                if let Some((seq, c)) = read_one(&mut runs[i], names)? {
                    heap.push(Reverse((c.start, seq, i)));
                    heads[i] = Some(c);
                }
                Ok(out)
            }
        }
    }
}

fn write_ip(w: &mut impl Write, ip: IpAddr) -> std::io::Result<()> {
    match ip {
        IpAddr::V4(a) => {
            w.write_all(&[4])?;
            w.write_all(&a.octets())
        }
        IpAddr::V6(a) => {
            w.write_all(&[6])?;
            w.write_all(&a.octets())
        }
    }
}

fn write_one(w: &mut impl Write, seq: u64, c: &Finished, idx: [u16; 3]) -> std::io::Result<()> {
    w.write_all(&seq.to_le_bytes())?;
    w.write_all(&c.start.to_le_bytes())?;
    w.write_all(&c.duration.to_le_bytes())?;
    write_ip(w, c.orig.0)?;
    w.write_all(&c.orig.1.to_le_bytes())?;
    write_ip(w, c.resp.0)?;
    w.write_all(&c.resp.1.to_le_bytes())?;
    for i in idx {
        w.write_all(&i.to_le_bytes())?;
    }
    w.write_all(&c.bytes[0].to_le_bytes())?;
    w.write_all(&c.bytes[1].to_le_bytes())?;
    w.write_all(&c.urgent.to_le_bytes())?;
    w.write_all(&c.wrong_fragment.to_le_bytes())?;
    w.write_all(&c.logins.0.to_le_bytes())?;
    w.write_all(&[u8::from(c.logins.1), u8::from(c.logins.2)])
}

fn array<const N: usize>(r: &mut impl Read) -> std::io::Result<[u8; N]> {
    let mut b = [0u8; N];
    r.read_exact(&mut b)?;
    Ok(b)
}

fn read_ip(r: &mut impl Read) -> std::io::Result<IpAddr> {
    Ok(match array::<1>(r)?[0] {
        4 => IpAddr::V4(Ipv4Addr::from(array::<4>(r)?)),
        _ => IpAddr::V6(Ipv6Addr::from(array::<16>(r)?)),
    })
}

/// The next connection of a run, `None` at its end.
fn read_one(r: &mut impl Read, names: &[&'static str]) -> Result<Option<(u64, Finished)>> {
    let seq = match array::<8>(r) {
        Ok(b) => u64::from_le_bytes(b),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let mut body = || -> std::io::Result<Finished> {
        let start = i64::from_le_bytes(array(r)?);
        let duration = i64::from_le_bytes(array(r)?);
        let orig = (read_ip(r)?, u16::from_le_bytes(array(r)?));
        let resp = (read_ip(r)?, u16::from_le_bytes(array(r)?));
        let mut idx = [0usize; 3];
        for i in &mut idx {
            *i = usize::from(u16::from_le_bytes(array(r)?));
        }
        let name = |i: usize| names.get(i).copied().unwrap_or("other");
        Ok(Finished {
            start,
            duration,
            orig,
            resp,
            protocol: name(idx[0]),
            service: name(idx[1]),
            flag: name(idx[2]),
            bytes: [u64::from_le_bytes(array(r)?), u64::from_le_bytes(array(r)?)],
            urgent: u32::from_le_bytes(array(r)?),
            wrong_fragment: u32::from_le_bytes(array(r)?),
            logins: {
                let failed = u32::from_le_bytes(array(r)?);
                let [a, b] = array::<2>(r)?;
                (failed, a == 1, b == 1)
            },
        })
    };
    Ok(Some((seq, body().map_err(io)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(start: i64, port: u16) -> Finished {
        Finished {
            start,
            duration: 5,
            orig: ("10.0.0.1".parse().unwrap(), port),
            resp: ("fe80::1".parse().unwrap(), 80),
            protocol: "tcp",
            service: "http",
            flag: "SF",
            bytes: [1, 2],
            urgent: 0,
            wrong_fragment: 0,
            logins: (1, true, false),
        }
    }

    #[test]
    fn runs_on_disk_merge_as_one_stable_sort() {
        let input: Vec<Finished> = (0..1000)
            .map(|i| conn((i * 7919 % 211) as i64, i as u16))
            .collect();
        let mut want = input.clone();
        want.sort_by_key(|c| c.start);
        for run in [1, 7, 100, 5000] {
            let mut s = Sorter::with_run_size(run);
            for c in &input {
                s.push(c.clone()).unwrap();
            }
            let mut sorted = s.finish().unwrap();
            let mut got = Vec::new();
            while let Some(c) = sorted.next_conn().unwrap() {
                got.push(c);
            }
            assert_eq!(got, want, "runs of {run}");
        }
    }
}
