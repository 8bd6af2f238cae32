//! Capture file formats: pcap (microsecond and nanosecond timestamps, either byte order) and pcapng
//! (several sections and interfaces, each with its link type, timestamp resolution and offset), read
//! with the `pcap-parser` crate through a window of about 4 MiB moved along the file as it is
//! read ([`frames_from`]), so a capture of any size is read in bounded memory (a window plus one
//! record, at most 16 MiB), as `capinfos` does.
//!
//! A truncated last record is reported (the rest is processed); anything else that does not parse
//! is an error naming the file and the byte offset.

use std::io::Read;

use pcap_parser::PcapError;
use pcap_parser::nom;
use pcap_parser::pcapng::Block;

use crate::error::{Error, Result};

/// One captured frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts: i64,
    /// The link type of its interface (`LINKTYPE_*` number).
    pub link: i32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// Its length on the wire (may exceed the captured bytes).
    pub wire_len: u32,
}

/// What reading found besides the frames.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadInfo {
    /// `pcap` or `pcapng`.
    pub format: &'static str,
    /// The last record was cut short (and skipped).
    pub truncated: bool,
    /// Where reading stopped: the end of the last whole record, bytes from the start.
    pub offset: u64,
}

/// The longest packet record accepted, whatever a file's snapshot length (Wireshark's limit for
/// most link types).
const MAX_RECORD: u32 = 262_144;

/// The longest pcapng block accepted (a packet of [`MAX_RECORD`] bytes with its options fits).
const MAX_BLOCK: u32 = 16 << 20;

fn corrupt(name: &str, offset: usize, what: &str) -> Error {
    Error::Capture {
        path: name.to_string(),
        message: format!("{what} at byte {offset}"),
    }
}

/// Whether bytes start like a capture file (pcap or pcapng, either byte order).
pub fn looks_like_capture(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some(
            [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xc3, 0xd4]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
                | [0x0a, 0x0d, 0x0d, 0x0a]
        )
    )
}

/// Bytes read at a time.
const WINDOW: usize = 4 << 20;

/// A window over a capture read as it comes: the unread bytes, and how far into the file they
/// start.
struct Window<'n, R> {
    name: &'n str,
    reader: R,
    buf: Vec<u8>,
    pos: usize,
    /// The end of the bytes read in `buf`.
    end: usize,
    base: usize,
    eof: bool,
}

impl<R: Read> Window<'_, R> {
    /// The bytes not yet consumed.
    fn rest(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// The file offset of [`Window::rest`].
    fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }

    /// Reads until at least `n` bytes are unread; false when the file ends before. Each read
    /// takes what the reader has (a pipe's bytes as they come), at most [`WINDOW`] at a time.
    fn want(&mut self, n: usize) -> Result<bool> {
        while self.end - self.pos < n {
            if self.eof {
                return Ok(false);
            }
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.base += self.pos;
                self.end -= self.pos;
                self.pos = 0;
            }
            let room = n.max(WINDOW);
            if self.buf.len() < room {
                self.buf.resize(room, 0);
            }
            let got = loop {
                match self.reader.read(&mut self.buf[self.end..]) {
                    Ok(got) => break got,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(source) => {
                        return Err(Error::Io {
                            path: self.name.to_string(),
                            source,
                        });
                    }
                }
            };
            self.end += got;
            if got == 0 {
                self.eof = true;
            }
        }
        Ok(true)
    }
}

/// Calls `each` for every frame of a capture held in `bytes`.
pub fn frames(name: &str, bytes: &[u8], each: impl FnMut(Frame<'_>)) -> Result<ReadInfo> {
    frames_from(name, bytes, each)
}

/// Calls `each` for every frame of a capture read from `reader` as it comes.
pub fn frames_from(
    name: &str,
    reader: impl Read,
    mut each: impl FnMut(Frame<'_>),
) -> Result<ReadInfo> {
    frames_until(name, reader, |f| {
        each(f);
        true
    })
}

/// Calls `each` for every frame of a capture read from `reader` as it comes, until it returns
/// false.
pub fn frames_until(
    name: &str,
    reader: impl Read,
    mut each: impl FnMut(Frame<'_>) -> bool,
) -> Result<ReadInfo> {
    let mut w = Window {
        name,
        reader,
        buf: Vec::new(),
        pos: 0,
        end: 0,
        base: 0,
        eof: false,
    };
    w.want(4)?;
    if w.rest().is_empty() {
        return Err(Error::Empty {
            path: name.to_string(),
            what: "the file is empty",
        });
    }
    if !looks_like_capture(w.rest()) {
        return Err(Error::Capture {
            path: name.to_string(),
            message: "not a pcap or pcapng capture (unknown magic number)".into(),
        });
    }
    if w.rest().starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        pcapng(&mut w, &mut each)
    } else {
        pcap(&mut w, &mut each)
    }
}

fn pcap<R: Read>(
    w: &mut Window<'_, R>,
    each: &mut impl FnMut(Frame<'_>) -> bool,
) -> Result<ReadInfo> {
    let name = w.name;
    w.want(24)?;
    let (header, used) = match pcap_parser::parse_pcap_header(w.rest()) {
        Ok((next, header)) => (header, w.rest().len() - next.len()),
        Err(_) => return Err(corrupt(name, 0, "a corrupt pcap file header")),
    };
    w.consume(used);
    let nanos = header.is_nanosecond_precision();
    let big = header.is_bigendian();
    let link = header.network.0;
    // No record is longer than the snapshot length (nor than the largest any tool writes).
    let max_caplen = if header.snaplen > 0 {
        header.snaplen.max(MAX_RECORD)
    } else {
        MAX_RECORD
    };
    let mut record = 0usize;
    let mut info = ReadInfo {
        format: "pcap",
        truncated: false,
        offset: 0,
    };
    loop {
        if !w.want(16)? {
            info.truncated = !w.rest().is_empty();
            break;
        }
        let offset = w.offset();
        record += 1;
        // The captured length, read as the format says, decides between damage and truncation:
        // only a record that runs past the end of the file with a plausible length is a cut-short
        // last record.
        let b = &w.rest()[8..12];
        let b = [b[0], b[1], b[2], b[3]];
        let caplen = if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        };
        if caplen > max_caplen {
            return Err(corrupt(
                name,
                offset,
                &format!("packet record {record} has a bad captured length ({caplen} bytes)"),
            ));
        }
        if !w.want(16 + caplen as usize)? {
            info.truncated = true;
            break;
        }
        let rest = w.rest();
        let parsed = if big {
            pcap_parser::parse_pcap_frame_be(rest)
        } else {
            pcap_parser::parse_pcap_frame(rest)
        };
        let used = match parsed {
            Ok((next, block)) => {
                let frac = i64::from(block.ts_usec) * if nanos { 1 } else { 1000 };
                let go = each(Frame {
                    ts: i64::from(block.ts_sec) * 1_000_000_000 + frac,
                    link,
                    data: block.data,
                    wire_len: block.origlen.max(block.caplen),
                });
                if !go {
                    info.offset = (w.offset() + rest.len() - next.len()) as u64;
                    return Ok(info);
                }
                rest.len() - next.len()
            }
            Err(nom::Err::Incomplete(_)) => {
                info.truncated = true;
                break;
            }
            Err(_) => {
                return Err(corrupt(
                    name,
                    offset,
                    &format!("packet record {record} is corrupt"),
                ));
            }
        };
        w.consume(used);
    }
    info.offset = w.offset() as u64;
    Ok(info)
}

/// An interface of a pcapng section: link type, units per second, offset in seconds.
#[derive(Debug, Clone, Copy)]
struct Interface {
    link: i32,
    per_second: u64,
    offset: i64,
}

fn nanos_of(ts: u64, iface: &Interface) -> i64 {
    let whole = (ts / iface.per_second) as i128;
    let frac = (ts % iface.per_second) as i128 * 1_000_000_000 / iface.per_second as i128;
    let ns = (whole + iface.offset as i128) * 1_000_000_000 + frac;
    ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

fn pcapng<R: Read>(
    w: &mut Window<'_, R>,
    each: &mut impl FnMut(Frame<'_>) -> bool,
) -> Result<ReadInfo> {
    let name = w.name;
    let mut info = ReadInfo {
        format: "pcapng",
        truncated: false,
        offset: 0,
    };
    let mut big = false;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut last_ts = 0i64;
    while w.want(1)? {
        let offset = w.offset();
        w.want(12)?;
        let rest = w.rest();
        // A section header says its own byte order.
        if rest.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
            big = rest.get(8..12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d]);
        }
        // Every block starts with its type and total length: blocks kddstat does not read are
        // skipped by that length, as the format says; a length that cannot be is damage, and only
        // a block running past the end of the file with a plausible length is truncation.
        if rest.len() < 8 {
            info.truncated = true;
            break;
        }
        let word = |b: &[u8]| {
            let b = [b[0], b[1], b[2], b[3]];
            if big {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let (kind, length) = (word(&rest[0..4]), word(&rest[4..8]));
        if length < 12 || length % 4 != 0 || length > MAX_BLOCK {
            return Err(corrupt(
                name,
                offset,
                &format!("a block with an impossible length ({length} bytes)"),
            ));
        }
        if !w.want(length as usize)? {
            info.truncated = true;
            break;
        }
        const READ: [u32; 4] = [0x0a0d_0d0a, 1, 3, 6];
        if !READ.contains(&kind) {
            w.consume(length as usize);
            continue;
        }
        let rest = w.rest();
        let parsed = if big {
            pcap_parser::pcapng::parse_block_be(rest)
        } else {
            pcap_parser::pcapng::parse_block_le(rest)
        };
        let (block, used) = match parsed {
            Ok((next, block)) => (block, rest.len() - next.len()),
            Err(nom::Err::Incomplete(_)) => {
                info.truncated = true;
                break;
            }
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
                let what = match e {
                    PcapError::HeaderNotRecognized => "an unrecognised block header",
                    _ => "a corrupt block",
                };
                return Err(corrupt(name, offset, what));
            }
        };
        let mut go = true;
        match block {
            Block::SectionHeader(_) => interfaces.clear(),
            Block::InterfaceDescription(idb) => {
                let per_second = idb.ts_resolution().filter(|&r| r > 0).ok_or_else(|| {
                    corrupt(
                        name,
                        offset,
                        "an interface with an invalid timestamp resolution",
                    )
                })?;
                interfaces.push(Interface {
                    link: idb.linktype.0,
                    per_second,
                    offset: idb.ts_offset(),
                });
            }
            Block::EnhancedPacket(epb) => {
                let iface = *interfaces
                    .get(epb.if_id as usize)
                    .ok_or_else(|| corrupt(name, offset, "a packet of an undeclared interface"))?;
                let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                last_ts = nanos_of(ts, &iface);
                let caplen = (epb.caplen as usize).min(epb.data.len());
                go = each(Frame {
                    ts: last_ts,
                    link: iface.link,
                    data: &epb.data[..caplen],
                    wire_len: epb.origlen.max(epb.caplen),
                });
            }
            Block::SimplePacket(spb) => {
                // No timestamp: the previous packet's time.
                let iface = *interfaces
                    .first()
                    .ok_or_else(|| corrupt(name, offset, "a packet before any interface"))?;
                let caplen = (spb.origlen as usize).min(spb.data.len());
                go = each(Frame {
                    ts: last_ts,
                    link: iface.link,
                    data: &spb.data[..caplen],
                    wire_len: spb.origlen,
                });
            }
            _ => {}
        }
        if !go {
            info.offset = (w.offset() + used) as u64;
            return Ok(info);
        }
        w.consume(used);
    }
    info.offset = w.offset() as u64;
    Ok(info)
}

/// The name of a link type, for messages.
pub fn link_name(link: i32) -> String {
    match link {
        0 => "NULL".into(),
        1 => "ETHERNET".into(),
        12 | 14 | 101 => "RAW".into(),
        108 => "LOOP".into(),
        113 => "LINUX_SLL".into(),
        228 => "IPV4".into(),
        229 => "IPV6".into(),
        276 => "LINUX_SLL2".into(),
        n => format!("LINKTYPE {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcap_header(magic: [u8; 4], link: u32) -> Vec<u8> {
        let mut v = magic.to_vec();
        v.extend_from_slice(&[2, 0, 4, 0]);
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&link.to_le_bytes());
        v
    }

    #[test]
    fn microseconds_nanoseconds_and_a_truncated_record() {
        let mut f = pcap_header([0xd4, 0xc3, 0xb2, 0xa1], 101);
        for (sec, frac) in [(10u32, 5u32), (11, 6)] {
            f.extend_from_slice(&sec.to_le_bytes());
            f.extend_from_slice(&frac.to_le_bytes());
            f.extend_from_slice(&3u32.to_le_bytes());
            f.extend_from_slice(&60u32.to_le_bytes());
            f.extend_from_slice(&[1, 2, 3]);
        }
        let mut seen = Vec::new();
        let info = frames("f", &f, |fr| seen.push((fr.ts, fr.link, fr.wire_len))).unwrap();
        assert_eq!(
            seen,
            vec![(10_000_005_000, 101, 60), (11_000_006_000, 101, 60)]
        );
        assert!(!info.truncated);
        f.truncate(f.len() - 2);
        let mut n = 0;
        let info = frames("f", &f, |_| n += 1).unwrap();
        assert!(info.truncated);
        assert_eq!(n, 1);
        // Big-endian microsecond pcap.
        let mut be = vec![
            0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0,
            1,
        ];
        for x in [20u32, 3, 2, 2] {
            be.extend_from_slice(&x.to_be_bytes());
        }
        be.extend_from_slice(&[9, 9]);
        let mut got = Vec::new();
        frames("be", &be, |fr| got.push((fr.ts, fr.link, fr.data.len()))).unwrap();
        assert_eq!(got, vec![(20_000_003_000, 1, 2)]);
        // Nanosecond magic.
        let mut g = pcap_header([0x4d, 0x3c, 0xb2, 0xa1], 1);
        g.extend_from_slice(&1u32.to_le_bytes());
        g.extend_from_slice(&7u32.to_le_bytes());
        g.extend_from_slice(&0u32.to_le_bytes());
        g.extend_from_slice(&0u32.to_le_bytes());
        let mut ts = 0;
        frames("g", &g, |fr| ts = fr.ts).unwrap();
        assert_eq!(ts, 1_000_000_007);
    }

    #[test]
    fn not_a_capture() {
        let e = frames("x.txt", b"hello world", |_| {}).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.txt: not a pcap or pcapng capture (unknown magic number)"
        );
        assert_eq!(
            frames("e", b"", |_| {}).unwrap_err().to_string(),
            "e: the file is empty"
        );
    }

    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len()) as u32;
        let mut v = kind.to_le_bytes().to_vec();
        v.extend_from_slice(&len.to_le_bytes());
        v.extend_from_slice(body);
        v.extend_from_slice(&len.to_le_bytes());
        v
    }

    #[test]
    fn pcapng_with_two_interfaces() {
        let mut f = block(
            0x0A0D_0D0A,
            &[
                0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ],
        );
        // Interface 0: Ethernet, microseconds (the default).
        f.extend(block(1, &[1, 0, 0, 0, 0xff, 0xff, 0, 0]));
        // Interface 1: raw IP, nanoseconds (if_tsresol = 9).
        f.extend(block(
            1,
            &[
                101, 0, 0, 0, 0xff, 0xff, 0, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0,
            ],
        ));
        for (iface, ts) in [(0u32, 2_000_000u64), (1, 3_000_000_005)] {
            let mut body = iface.to_le_bytes().to_vec();
            body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
            body.extend_from_slice(&(ts as u32).to_le_bytes());
            body.extend_from_slice(&4u32.to_le_bytes());
            body.extend_from_slice(&60u32.to_le_bytes());
            body.extend_from_slice(&[1, 2, 3, 4]);
            f.extend(block(6, &body));
        }
        let mut seen = Vec::new();
        let info = frames("n", &f, |fr| {
            seen.push((fr.ts, fr.link, fr.data.len(), fr.wire_len))
        })
        .unwrap();
        assert_eq!(info.format, "pcapng");
        assert_eq!(
            seen,
            vec![(2_000_000_000, 1, 4, 60), (3_000_000_005, 101, 4, 60)]
        );
        // A packet of an interface never declared is an error, not a panic.
        let mut bad = f.clone();
        bad.extend(block(
            6,
            &[7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ));
        let e = frames("n", &bad, |_| {}).unwrap_err().to_string();
        assert!(
            e.starts_with("n: a packet of an undeclared interface at byte"),
            "{e}"
        );
    }

    #[test]
    fn resolution_and_offset() {
        let iface = Interface {
            link: 1,
            per_second: 1_000_000,
            offset: 10,
        };
        assert_eq!(nanos_of(1_500_000, &iface), 11_500_000_000);
    }
}
