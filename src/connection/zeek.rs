//! Zeek `conn.log` as a traffic source: each connection line becomes a [`Finished`] connection,
//! and the KDD records (window features included) are built by the same code as for packet
//! captures ([`records::records_of`]).
//!
//! Forms read, recognised by content: Zeek's TSV (`#separator`, `#fields`, `#types`,
//! `#unset_field`, `#empty_field` header lines, any field order, extra fields, `#close` footers and
//! several header blocks in one file, as rotated logs concatenated) and JSON lines
//! (`LogAscii::use_json`), with dotted (`"id.orig_h"`) or nested (`"id": {"orig_h": ...}`) keys.
//! Plain or gzip, like any input.
//!
//! Zeek connection → KDD record:
//!
//! | KDD | from Zeek | rule |
//! | --- | --- | --- |
//! | `duration` | `duration` | whole seconds, rounded down (unset: 0) |
//! | `protocol_type` | `proto` | `tcp`, `udp`, `icmp`; other protocols give no record (counted) |
//! | `service` | `service`, else `id.resp_p` | Zeek's detected service where it names a KDD service (`dns` is `domain_u` over UDP, `domain` over TCP; `ssl` is `http_443`; ...), else the responder port as the capture path maps it; ICMP from its type and code (in Zeek's port fields) |
//! | `flag` | `conn_state` | TCP: S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, SH, OTH as named; `RSTRH` and `SHR` (the responder's SYN-ACK or FIN seen without the originator's SYN: no KDD state covers a connection whose opening was not seen) are `OTH`, as the capture path reports them; an unknown state is `OTH`, counted and warned of once. UDP and ICMP: `SF`, as the capture path and the KDD data have them |
//! | `src_bytes`, `dst_bytes` | `orig_bytes`, `resp_bytes` | payload bytes (unset: 0, counted); ICMP adds the 8-byte ICMP header per packet (`orig_pkts`, `resp_pkts`), as the KDD data counts ICMP messages |
//! | `land` | the 5-tuple | 1 when both addresses and ports are equal |
//! | `wrong_fragment`, `urgent`, content features 10-22 | — | 0: a conn.log does not carry them |
//! | window features 23-41 | `ts` and the above | the capture path's code, in start-time order |
//! | label | — | `unknown` |
//!
//! Zeek writes a connection when it ends, so its connections are put in start order by an
//! external merge sort ([`super::sort`]): memory stays bounded (about 40 MB of connections, the
//! rest in temporary files of about 64 bytes a connection) whatever the log's length, and the
//! records are the same as if the whole log were sorted at once.

use std::net::IpAddr;

use super::records::{self, Finished, Record, Windows};
use super::sort::{Sorted, Sorter};
use crate::error::{Error, Problem, Result};
use crate::schema;

/// Whether decompressed text is a Zeek log: it starts with a `#` header line (TSV) or a JSON
/// object (JSON lines). No KDD text starts with either.
pub fn is_zeek(start: &[u8]) -> bool {
    let trimmed = start.trim_ascii_start();
    trimmed.starts_with(b"#") || trimmed.starts_with(b"{")
}

/// What reading a log found beside its connections.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct ZeekCounts {
    /// Connection lines read.
    pub lines: u64,
    /// Connections of protocols with no KDD `protocol_type` (no record).
    pub other_protocols: u64,
    /// Connections whose `orig_bytes` or `resp_bytes` was unset (taken as 0).
    pub unset_bytes: u64,
    /// Connections with a `conn_state` Zeek does not define (flag `OTH`).
    pub unknown_states: u64,
    /// The first unknown state seen.
    pub first_unknown_state: Option<String>,
}

impl ZeekCounts {
    /// Adds the counts of the lines after these.
    fn merge(&mut self, later: ZeekCounts) {
        self.lines += later.lines;
        self.other_protocols += later.other_protocols;
        self.unset_bytes += later.unset_bytes;
        self.unknown_states += later.unknown_states;
        if self.first_unknown_state.is_none() {
            self.first_unknown_state = later.first_unknown_state;
        }
    }

    /// Warnings for people, one line each.
    pub fn warnings(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self.unknown_states > 0 {
            out.push(format!(
                "{name}: {} connection(s) with a conn_state Zeek does not define (first: '{}'): \
                 their flag is OTH",
                self.unknown_states,
                crate::error::show_value(
                    self.first_unknown_state
                        .as_deref()
                        .unwrap_or_default()
                        .as_bytes()
                )
            ));
        }
        out
    }
}

/// A log read: its connections (in file order) and the counts.
#[derive(Debug, Default)]
pub struct ZeekLog {
    /// The connections with a KDD protocol.
    pub conns: Vec<Finished>,
    /// What else was found.
    pub counts: ZeekCounts,
}

impl ZeekLog {
    /// The KDD records, ordered by start, with their window features.
    pub fn records(self) -> Vec<Record> {
        records::records_of(self.conns)
    }
}

/// The fields a connection needs, by name.
const TS: &str = "ts";
const ORIG_H: &str = "id.orig_h";
const ORIG_P: &str = "id.orig_p";
const RESP_H: &str = "id.resp_h";
const RESP_P: &str = "id.resp_p";
const PROTO: &str = "proto";
const STATE: &str = "conn_state";
const REQUIRED: [&str; 7] = [TS, ORIG_H, ORIG_P, RESP_H, RESP_P, PROTO, STATE];
const OPTIONAL: [&str; 6] = [
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "orig_pkts",
    "resp_pkts",
];

/// One line's fields, by the index of [`REQUIRED`] then [`OPTIONAL`]; `None` is unset.
type Fields<'a> = [Option<std::borrow::Cow<'a, str>>; 13];

/// The longest line of a log: as for every input read in chunks.
pub const MAX_LINE: usize = 32 << 20;

/// Reads a whole log held in memory (TSV or JSON lines); `name` names it in errors.
pub fn read(name: &str, text: &[u8]) -> Result<ZeekLog> {
    let mut log = ZeekLog::default();
    let counts = read_lines(name, &mut std::io::Cursor::new(text), |c| {
        log.conns.push(c);
        Ok(())
    })?;
    log.counts = counts;
    Ok(log)
}

/// The text read at a time: its lines are parsed in parallel.
const BLOCK: usize = 4 << 20;

/// Reads a log (TSV and JSON lines alike), handing each connection to `on` in line order;
/// returns the counts. The log is read a block at a time; header lines are applied in order and
/// the rows between them parsed in parallel.
pub fn read_lines(
    name: &str,
    reader: &mut dyn std::io::BufRead,
    mut on: impl FnMut(Finished) -> Result<()>,
) -> Result<ZeekCounts> {
    let mut counts = ZeekCounts::default();
    let mut tsv = Tsv::default();
    let mut buf: Vec<u8> = Vec::new();
    let mut number = 0usize;
    let mut eof = false;
    while !eof || !buf.is_empty() {
        if !eof {
            let got = std::io::Read::read_to_end(
                &mut std::io::Read::take(&mut *reader, BLOCK as u64),
                &mut buf,
            )
            .map_err(|source| Error::Io {
                path: name.to_string(),
                source,
            })?;
            eof = got == 0;
        }
        let end = match memchr::memrchr(b'\n', &buf) {
            Some(i) => i + 1,
            None if eof => buf.len(),
            None if buf.len() > MAX_LINE => {
                return Err(Error::Limit {
                    path: format!("{name}:{}", number + 1),
                    message: format!("a line longer than {MAX_LINE} bytes"),
                });
            }
            None => continue,
        };
        number = read_block(name, &buf[..end], number, &mut tsv, &mut counts, &mut on)?;
        buf.drain(..end);
    }
    Ok(counts)
}

/// Reads the whole lines of one block (the first is line `number + 1`); returns the number of
/// the last.
fn read_block(
    name: &str,
    block: &[u8],
    mut number: usize,
    tsv: &mut Tsv,
    counts: &mut ZeekCounts,
    on: &mut impl FnMut(Finished) -> Result<()>,
) -> Result<usize> {
    let mut rows: Vec<(usize, &[u8])> = Vec::new();
    let mut from = 0;
    while from < block.len() {
        let end = memchr::memchr(b'\n', &block[from..]).map_or(block.len(), |i| from + i);
        let line = &block[from..end];
        from = end + 1;
        number += 1;
        if line.len() > MAX_LINE {
            return Err(Error::Limit {
                path: format!("{name}:{number}"),
                message: format!("a line longer than {MAX_LINE} bytes"),
            });
        }
        if line.first() == Some(&b'#') {
            // The rows before a header line are read with the header before it.
            read_rows(name, &rows, tsv, counts, on)?;
            rows.clear();
            tsv.header(
                name,
                number,
                utf8(name, number, line)?.trim_end_matches('\r'),
            )?;
        } else if !line.trim_ascii().is_empty() {
            rows.push((number, line));
        }
    }
    read_rows(name, &rows, tsv, counts, on)?;
    Ok(number)
}

fn utf8<'a>(name: &str, number: usize, line: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(line).map_err(|e| Error::Archive {
        path: format!("{name}:{number}"),
        message: format!("not UTF-8 text (at byte {})", e.valid_up_to()),
    })
}

/// Parses rows (in parallel, in pieces of 4,096) and hands their connections to `on` in order;
/// the first error in line order wins.
fn read_rows(
    name: &str,
    rows: &[(usize, &[u8])],
    tsv: &Tsv,
    counts: &mut ZeekCounts,
    on: &mut impl FnMut(Finished) -> Result<()>,
) -> Result<()> {
    use rayon::prelude::*;
    let pieces: Vec<Result<(Vec<Finished>, ZeekCounts)>> = rows
        .par_chunks(4096)
        .map(|piece| {
            let mut t = tsv.clone();
            let mut c = ZeekCounts::default();
            let mut out = Vec::with_capacity(piece.len());
            for &(number, raw) in piece {
                let line = utf8(name, number, raw)?.trim_end_matches('\r');
                let fields = if line.trim_start().starts_with(['{', '[']) {
                    json_fields(name, number, line)?
                } else {
                    t.fields(name, number, line)?
                };
                if let Some(f) = add(name, number, &fields, &mut c)? {
                    out.push(f);
                }
            }
            Ok((out, c))
        })
        .collect();
    for piece in pieces {
        let (conns, c) = piece?;
        counts.merge(c);
        for f in conns {
            on(f)?;
        }
    }
    Ok(())
}

/// A log as the text of its KDD records (41 features and the label `unknown`, one line each, no
/// header), made as it is read: the log is read once into a [`Sorter`] (bounded memory), then
/// the records come in start order through the window features, a block at a time.
pub struct RecordsText {
    sorted: Sorted,
    windows: Windows,
    counts: ZeekCounts,
    text: String,
    at: usize,
}

impl RecordsText {
    /// Reads the log from `reader`; `name` names it in errors.
    pub fn new(name: &str, reader: &mut dyn std::io::Read) -> Result<RecordsText> {
        let mut sorter = Sorter::default();
        let mut buffered = std::io::BufReader::with_capacity(1 << 16, reader);
        let counts = read_lines(name, &mut buffered, |c| sorter.push(c))?;
        Ok(RecordsText {
            sorted: sorter.finish()?,
            windows: Windows::default(),
            counts,
            text: String::new(),
            at: 0,
        })
    }

    /// What was read beside the connections.
    pub fn counts(&self) -> &ZeekCounts {
        &self.counts
    }

    /// The next record in start order.
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        Ok(self.sorted.next_conn()?.map(|c| self.windows.record(c)))
    }
}

impl std::io::Read for RecordsText {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.text.len() {
            self.text.clear();
            self.at = 0;
            while self.text.len() < 1 << 16 {
                match self.next_record().map_err(std::io::Error::other)? {
                    Some(r) => r.write_csv(&mut self.text),
                    None => break,
                }
            }
        }
        let bytes = &self.text.as_bytes()[self.at..];
        let n = buf.len().min(bytes.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        self.at += n;
        Ok(n)
    }
}

/// The header state of a TSV log (a new block of header lines replaces it).
#[derive(Default, Clone)]
struct Tsv {
    separator: Option<char>,
    unset: String,
    empty: String,
    /// Per wanted field, its index in a line.
    index: [Option<usize>; 13],
    width: usize,
    /// The byte ranges of the current line's cells (reused from line to line).
    cells: Vec<(usize, usize)>,
}

impl Tsv {
    fn header(&mut self, name: &str, line: usize, text: &str) -> Result<()> {
        if let Some(sep) = text.strip_prefix("#separator ") {
            let sep = unescape(sep.trim());
            self.separator = sep.chars().next().filter(|_| sep.chars().count() == 1);
            if self.separator.is_none() {
                return Err(header_error(name, line, "a #separator of one character"));
            }
            self.unset = "-".into();
            self.empty = "(empty)".into();
            self.index = Default::default();
            self.width = 0;
            return Ok(());
        }
        let sep = self.separator.unwrap_or('\t');
        let mut parts = text.split(sep);
        let key = parts.next().unwrap_or_default();
        match key {
            "#unset_field" => self.unset = parts.next().unwrap_or("-").to_string(),
            "#empty_field" => self.empty = parts.next().unwrap_or("(empty)").to_string(),
            "#fields" => {
                let names: Vec<&str> = parts.collect();
                self.width = names.len();
                self.index = Default::default();
                for (slot, wanted) in REQUIRED.iter().chain(OPTIONAL.iter()).enumerate() {
                    self.index[slot] = names.iter().position(|n| n == wanted);
                }
                if let Some(missing) = REQUIRED
                    .iter()
                    .enumerate()
                    .find(|(slot, _)| self.index[*slot].is_none())
                {
                    return Err(Error::Value {
                        path: name.to_string(),
                        line,
                        column: missing.1,
                        value: String::new(),
                        problem: Problem::Missing,
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn fields<'a>(&mut self, name: &str, line: usize, text: &'a str) -> Result<Fields<'a>> {
        if self.width == 0 {
            return Err(header_error(
                name,
                line,
                "a #fields line before the first record",
            ));
        }
        let sep = self.separator.unwrap_or('\t');
        self.cells.clear();
        let mut from = 0;
        if sep.is_ascii() {
            for i in memchr::memchr_iter(sep as u8, text.as_bytes()) {
                self.cells.push((from, i));
                from = i + 1;
            }
        } else {
            for (i, _) in text.match_indices(sep) {
                self.cells.push((from, i));
                from = i + sep.len_utf8();
            }
        }
        self.cells.push((from, text.len()));
        if self.cells.len() != self.width {
            return Err(Error::FieldCount {
                path: name.to_string(),
                line,
                expected: self.width.to_string(),
                found: self.cells.len(),
                truncated: false,
            });
        }
        let mut out: Fields<'a> = Default::default();
        for (slot, index) in self.index.iter().enumerate() {
            out[slot] = index
                .map(|i| {
                    let (a, b) = self.cells[i];
                    &text[a..b]
                })
                .filter(|c| *c != self.unset && *c != self.empty)
                .map(std::borrow::Cow::Borrowed);
        }
        Ok(out)
    }
}

fn header_error(name: &str, line: usize, wanted: &str) -> Error {
    Error::Archive {
        path: format!("{name}:{line}"),
        message: format!("not a Zeek log this kddstat reads: expected {wanted}"),
    }
}

/// `\x09` → a tab (Zeek escapes its separator so).
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\\x") {
        out.push_str(&rest[..i]);
        match rest
            .get(i + 2..i + 4)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            Some(b) => {
                out.push(char::from(b));
                rest = &rest[i + 4..];
            }
            None => {
                out.push_str("\\x");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The fields of a JSON line, dotted or nested keys.
fn json_fields<'a>(name: &str, line: usize, text: &str) -> Result<Fields<'a>> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::Archive {
        path: format!("{name}:{line}"),
        message: format!("not a JSON object ({e})"),
    })?;
    let Some(object) = value.as_object() else {
        return Err(Error::Archive {
            path: format!("{name}:{line}"),
            message: "a JSON line that is not an object".into(),
        });
    };
    let mut out: Fields<'a> = Default::default();
    for (slot, key) in REQUIRED.iter().chain(OPTIONAL.iter()).enumerate() {
        let found = object.get(*key).or_else(|| {
            let (outer, inner) = key.split_once('.')?;
            object.get(outer)?.get(inner)
        });
        out[slot] = match found {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s.clone().into()),
            Some(serde_json::Value::Array(a)) => a
                .first()
                .and_then(|v| v.as_str())
                .map(|s| s.to_string().into()),
            Some(other) => Some(other.to_string().into()),
        };
        if slot < REQUIRED.len() && out[slot].is_none() {
            return Err(Error::Value {
                path: name.to_string(),
                line,
                column: key,
                value: String::new(),
                problem: Problem::Missing,
            });
        }
    }
    Ok(out)
}

/// Seconds with an optional fraction → nanoseconds, exactly for up to 9 decimals.
fn nanos(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        // Exponent forms of JSON numbers.
        let v: f64 = s.parse().ok()?;
        return (0.0..9e9).contains(&v).then(|| (v * 1e9).round() as i64);
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = whole.parse().ok()?;
    let mut ns = 0i64;
    for (i, d) in frac.bytes().take(9).enumerate() {
        ns += i64::from(d - b'0') * 10i64.pow(8 - i as u32);
    }
    secs.checked_mul(1_000_000_000)?.checked_add(ns)
}

fn value_error(name: &str, line: usize, column: &'static str, value: &str, p: Problem) -> Error {
    Error::Value {
        path: name.to_string(),
        line,
        column,
        value: crate::error::show_value(value.as_bytes()),
        problem: p,
    }
}

/// The connection of one line (`None` for a protocol without a KDD `protocol_type`).
fn add(
    name: &str,
    line: usize,
    f: &Fields<'_>,
    counts: &mut ZeekCounts,
) -> Result<Option<Finished>> {
    counts.lines += 1;
    let text = |slot: usize| f[slot].as_deref();
    let number = |slot: usize, column: &'static str| -> Result<Option<u64>> {
        match text(slot) {
            None => Ok(None),
            Some(v) => v
                .parse::<u64>()
                .map(Some)
                .map_err(|_| value_error(name, line, column, v, Problem::NotWhole)),
        }
    };
    let addr = |slot: usize, column: &'static str| -> Result<IpAddr> {
        let v = text(slot).unwrap_or_default();
        v.parse::<IpAddr>()
            .map_err(|_| value_error(name, line, column, v, Problem::NotANumber))
    };
    let port = |slot: usize, column: &'static str| -> Result<u16> {
        let v = text(slot).unwrap_or_default();
        v.parse::<u16>()
            .map_err(|_| value_error(name, line, column, v, Problem::NotWhole))
    };
    let ts = text(0).unwrap_or_default();
    let start = nanos(ts).ok_or_else(|| value_error(name, line, TS, ts, Problem::NotANumber))?;
    let (orig_h, orig_p) = (addr(1, ORIG_H)?, port(2, ORIG_P)?);
    let (resp_h, resp_p) = (addr(3, RESP_H)?, port(4, RESP_P)?);
    let protocol = match text(5).unwrap_or_default() {
        "tcp" => "tcp",
        "udp" => "udp",
        "icmp" => "icmp",
        _ => {
            counts.other_protocols += 1;
            return Ok(None);
        }
    };
    let duration = match text(8) {
        None => 0,
        Some(v) => {
            nanos(v).ok_or_else(|| value_error(name, line, "duration", v, Problem::NotANumber))?
        }
    };
    let orig_bytes = number(9, "orig_bytes")?;
    let resp_bytes = number(10, "resp_bytes")?;
    if orig_bytes.is_none() || resp_bytes.is_none() {
        counts.unset_bytes += 1;
    }
    let mut bytes = [orig_bytes.unwrap_or(0), resp_bytes.unwrap_or(0)];
    let (orig, resp) = if protocol == "icmp" {
        // Zeek keeps the ICMP type in orig_p and the code in resp_p; the capture path keeps the
        // type as the responder's "port" and the code as the originator's.
        let packets = [number(11, "orig_pkts")?, number(12, "resp_pkts")?];
        for (b, p) in bytes.iter_mut().zip(packets) {
            *b = b.saturating_add(8 * p.unwrap_or(0));
        }
        ((orig_h, resp_p), (resp_h, orig_p))
    } else {
        ((orig_h, orig_p), (resp_h, resp_p))
    };
    let service = match protocol {
        "icmp" => schema::icmp_service(resp_h.is_ipv6(), orig_p as u8, resp_p as u8),
        _ => text(7)
            .and_then(|s| s.split(',').find_map(|z| kdd_service(z, protocol == "tcp")))
            .unwrap_or_else(|| schema::service_of(protocol == "tcp", resp_p)),
    };
    let state = text(6).unwrap_or_default();
    let flag = if protocol != "tcp" {
        "SF"
    } else if let Some(f) = schema::FLAGS.iter().find(|f| **f == state).copied() {
        f
    } else {
        if !matches!(state, "RSTRH" | "SHR") {
            counts.unknown_states += 1;
            if counts.first_unknown_state.is_none() {
                counts.first_unknown_state = Some(state.to_string());
            }
        }
        "OTH"
    };
    Ok(Some(Finished {
        start,
        duration,
        orig,
        resp,
        protocol,
        service,
        flag,
        bytes,
        urgent: 0,
        wrong_fragment: 0,
        logins: (0, false, false),
    }))
}

/// The KDD service of one of Zeek's service names, where one names a KDD service.
fn kdd_service(zeek: &str, tcp: bool) -> Option<&'static str> {
    Some(match zeek.trim().to_ascii_lowercase().as_str() {
        "http" => "http",
        "ssl" | "https" => "http_443",
        "ftp" => "ftp",
        "ftp-data" => "ftp_data",
        "ssh" => "ssh",
        "smtp" => "smtp",
        "telnet" => "telnet",
        "dns" if tcp => "domain",
        "dns" => "domain_u",
        "irc" => "IRC",
        "pop3" => "pop_3",
        "imap" => "imap4",
        "finger" => "finger",
        "ntp" => "ntp_u",
        "nntp" => "nntp",
        "x11" => "X11",
        "sunrpc" | "portmapper" => "sunrpc",
        "whois" => "whois",
        "ldap" => "ldap",
        "netbios-ns" => "netbios_ns",
        "netbios-ssn" | "smb" => "netbios_ssn",
        "netbios-dgm" => "netbios_dgm",
        "gopher" => "gopher",
        "tftp" => "tftp_u",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n\
#unset_field\t-\n#path\tconn\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\torig_pkts\tresp_pkts\textra\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tcount\tcount\tstring\n\
100.500000\tC1\t10.0.0.1\t4000\t10.0.0.2\t80\ttcp\thttp\t2.900000\t100\t2000\tSF\t5\t4\tx\n\
101.000000\tC2\t10.0.0.1\t4001\t10.0.0.2\t81\ttcp\t-\t-\t-\t-\tS0\t1\t0\t(empty)\n\
99.000000\tC3\t10.0.0.3\t8\t10.0.0.2\t0\ticmp\t-\t0.001\t56\t56\tOTH\t1\t1\t-\n\
#close\t2024\n";

    #[test]
    fn a_tsv_log_maps_as_the_table_says() {
        let log = read("conn.log", TSV.as_bytes()).unwrap();
        assert_eq!(log.counts.lines, 3);
        assert_eq!(log.counts.unset_bytes, 1);
        let r = log.records();
        // Ordered by start: the ICMP echo first.
        let rows: Vec<Vec<String>> = r.iter().map(|r| r.fields()).collect();
        assert_eq!(rows[0][..6], ["0", "icmp", "eco_i", "SF", "64", "64"]);
        assert_eq!(rows[1][..6], ["2", "tcp", "http", "SF", "100", "2000"]);
        assert_eq!(rows[2][..6], ["0", "tcp", "private", "S0", "0", "0"]);
        // Windows: the S0 connection sees the echo and the http connection to the same host
        // within 2 s: count 3, one SYN error of 3.
        assert_eq!(rows[2][22], "3"); // count
        assert_eq!(rows[2][24], "0.33"); // serror_rate
    }

    #[test]
    fn json_lines_dotted_or_nested() {
        let dotted = r#"{"ts":100.5,"id.orig_h":"10.0.0.1","id.orig_p":4000,"id.resp_h":"10.0.0.2","id.resp_p":22,"proto":"tcp","service":"ssh","duration":1.5,"orig_bytes":10,"resp_bytes":20,"conn_state":"RSTO"}"#;
        let nested = r#"{"ts":100.5,"id":{"orig_h":"10.0.0.1","orig_p":4000,"resp_h":"10.0.0.2","resp_p":22},"proto":"tcp","service":"ssh","duration":1.5,"orig_bytes":10,"resp_bytes":20,"conn_state":"RSTO"}"#;
        for text in [dotted, nested] {
            let r = read("c.json", text.as_bytes()).unwrap().records();
            assert_eq!(r[0].fields()[..6], ["1", "tcp", "ssh", "RSTO", "10", "20"]);
            // RSTO is a REJ error (as the KDD data counts it).
            assert_eq!(r[0].fields()[26], "1.00");
        }
        let err = read("c.json", b"[1,2]\n").unwrap_err().to_string();
        assert!(
            err.contains("c.json:1") && err.contains("not an object"),
            "{err}"
        );
    }

    #[test]
    fn bad_logs_name_the_line_and_field() {
        let no_state = TSV.replace("\tconn_state", "\tstate");
        let e = read("c.log", no_state.as_bytes()).unwrap_err().to_string();
        assert!(e.starts_with("c.log:6: column 'conn_state'"), "{e}");
        let short = TSV.replace("\tC2\t", "\t");
        let e = read("c.log", short.as_bytes()).unwrap_err().to_string();
        assert!(
            e.starts_with("c.log:9: expected 15 fields, found 14"),
            "{e}"
        );
        let bad = TSV.replace("\t100\t2000", "\tmany\t2000");
        let e = read("c.log", bad.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("c.log:8: column 'orig_bytes'"), "{e}");
        let odd = TSV.replace("\tS0\t", "\tWEIRD\t");
        let log = read("c.log", odd.as_bytes()).unwrap();
        assert_eq!(log.counts.unknown_states, 1);
        assert_eq!(log.records()[2].flag, "OTH");
    }

    #[test]
    fn times_are_exact() {
        assert_eq!(nanos("1300475167.096535"), Some(1_300_475_167_096_535_000));
        assert_eq!(nanos("2"), Some(2_000_000_000));
        assert_eq!(nanos("XXXXXXXXXX.XXXXXX"), None);
        assert_eq!(nanos("-1"), None);
    }
}
