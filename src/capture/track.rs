//! Connection tracking: packets grouped into connections, with the TCP state of both sides, the
//! KDD flag, byte counts, retransmissions, the initial round-trip time, jitter and the login
//! outcomes of cleartext FTP and Telnet sessions.
//!
//! Definitions (each with its reason):
//! - A TCP connection is the packets of one address/port pair in both directions, from its first
//!   packet until it ends by the flow table's rules ([`super::flows`]: a new SYN after a close,
//!   5 s after a close, 300 s idle, 1,800 s long; port reuse starts a new connection, as in Zeek).
//!   The originator is the sender of the first packet, or the receiver when that packet is a
//!   SYN-ACK.
//! - A UDP "connection" is the packets of one address/port pair until 10 s of silence (a DNS
//!   query and its answer are one record, as in the KDD data).
//! - Each ICMP message is one record (the KDD data has separate `eco_i` and `ecr_i` records).
//! - The flag follows Zeek's `conn_state` (from which the KDD flags come): each side's state
//!   (inactive, SYN sent, SYN-ACK sent, partial, established, closed, reset) and the order of first
//!   events (Zeek's history letters `S H A D F R`, upper case for the originator). `RSTRH` and
//!   `SHR`, absent from the KDD data, are reported as `OTH`. UDP and ICMP records are `SF`.
//! - `src_bytes` / `dst_bytes` are transport payload bytes from the originator / responder;
//!   retransmitted TCP segments are not counted twice (as Zeek counts by sequence numbers).
//! - A retransmission is a TCP segment carrying data, SYN or FIN whose sequence number is below
//!   the highest one already seen from that side plus its length (Wireshark's basic rule), except
//!   keep-alives (at most one byte at the next sequence number minus one).
//! - The initial round-trip time is Wireshark's `tcp.analysis.initial_rtt`: from the most recent
//!   SYN without ACK (a retransmitted SYN restarts the clock) to the first ACK without SYN after it,
//!   normally the originator's ACK that completes the handshake.
//! - Jitter is the mean absolute difference between consecutive inter-arrival times of a
//!   connection's packets (both directions), for connections of at least three packets.

use std::net::IpAddr;

use super::decode::{Ip, Transport, flags, proto};
use crate::schema;

/// Payload bytes of a session kept for reading FTP and Telnet logins.
const CONTENT_LIMIT: usize = 64 * 1024;

const NS: i64 = 1_000_000_000;

/// The TCP state of one side (as Zeek's `TCP_*` endpoint states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Side {
    /// Nothing sent.
    #[default]
    Inactive,
    /// Sent a SYN.
    SynSent,
    /// Sent a SYN-ACK.
    SynAckSent,
    /// Sent packets without having been seen to open the connection.
    Partial,
    /// The handshake completed.
    Established,
    /// Sent a FIN.
    Closed,
    /// Sent a RST.
    Reset,
}

/// Logins read from a cleartext session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logins {
    /// `ftp` or `telnet`.
    pub kind: &'static str,
    /// Failed login attempts.
    pub failed: u32,
    /// A login succeeded.
    pub logged_in: bool,
    /// The login was anonymous (`USER anonymous` or `USER ftp`, FTP only).
    pub guest: bool,
    /// Bytes of each direction kept so far.
    seen: [usize; 2],
    /// The unfinished last line of each direction.
    carry: [Vec<u8>; 2],
    /// The client named an anonymous user.
    anonymous_user: bool,
}

impl Logins {
    fn new(kind: &'static str) -> Logins {
        Logins {
            kind,
            ..Logins::default()
        }
    }

    /// Reads payload from one side (0: client, 1: server), line by line.
    fn feed(&mut self, dir: usize, data: &[u8]) {
        if self.seen[dir] >= CONTENT_LIMIT || data.is_empty() {
            return;
        }
        let take = data.len().min(CONTENT_LIMIT - self.seen[dir]);
        self.seen[dir] += take;
        let mut buf = std::mem::take(&mut self.carry[dir]);
        buf.extend_from_slice(&data[..take]);
        let mut start = 0;
        while let Some(end) = memchr::memchr(b'\n', &buf[start..]) {
            let line = &buf[start..start + end];
            self.line(dir, line);
            start += end + 1;
        }
        let rest = &buf[start..];
        // Telnet prompts do not end lines: look at the unfinished part too.
        if self.kind == "telnet" && dir == 1 {
            self.telnet_server(rest, true);
        }
        self.carry[dir] = rest[rest.len().saturating_sub(512)..].to_vec();
    }

    fn line(&mut self, dir: usize, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match (self.kind, dir) {
            ("ftp", 0) if line.len() >= 5 && line[..5].eq_ignore_ascii_case(b"USER ") => {
                let user = String::from_utf8_lossy(&line[5..])
                    .trim()
                    .to_ascii_lowercase();
                self.anonymous_user = user == "anonymous" || user == "ftp";
            }
            ("ftp", 0) => {}
            ("ftp", _) => {
                if line.starts_with(b"530") {
                    self.failed += 1;
                } else if line.starts_with(b"230") {
                    self.logged_in = true;
                    self.guest |= self.anonymous_user;
                }
            }
            ("telnet", 1) => self.telnet_server(line, false),
            _ => {}
        }
    }

    fn telnet_server(&mut self, text: &[u8], partial: bool) {
        let t = String::from_utf8_lossy(text).to_ascii_lowercase();
        if !partial && (t.contains("login incorrect") || t.contains("login failed")) {
            self.failed += 1;
        }
        if t.contains("last login:") {
            self.logged_in = true;
        }
    }
}

/// Running jitter of a connection.
#[derive(Debug, Clone, Copy, Default)]
struct Jitter {
    last_ts: Option<i64>,
    last_gap: Option<i64>,
    sum: f64,
    n: u32,
}

impl Jitter {
    fn add(&mut self, ts: i64) {
        if let Some(prev) = self.last_ts {
            let gap = ts.saturating_sub(prev);
            if let Some(g) = self.last_gap {
                self.sum += gap.saturating_sub(g).unsigned_abs() as f64 / NS as f64;
                self.n += 1;
            }
            self.last_gap = Some(gap);
        }
        self.last_ts = Some(ts);
    }
}

/// One connection.
#[derive(Debug, Clone)]
pub struct Conn {
    /// First packet, ns.
    pub start: i64,
    /// Last packet, ns.
    pub last: i64,
    /// Originator address and port.
    pub orig: (IpAddr, u16),
    /// Responder address and port (ICMP: type and code).
    pub resp: (IpAddr, u16),
    /// IP protocol.
    pub proto: u8,
    /// TCP states of the originator and the responder.
    pub sides: [Side; 2],
    /// Zeek-style history: first occurrences, in order.
    pub history: String,
    /// Payload bytes, originator then responder (retransmissions once).
    pub bytes: [u64; 2],
    /// Packets each way.
    pub packets: [u64; 2],
    /// Bytes on the wire each way.
    pub wire: [u64; 2],
    /// TCP: retransmitted segments.
    pub retransmissions: u32,
    /// TCP: segments carrying data, SYN or FIN.
    pub segments: u32,
    /// TCP: initial round-trip time, ns.
    pub rtt: Option<i64>,
    /// Packets with the URG flag.
    pub urgent: u32,
    /// Wrong fragments.
    pub wrong_fragment: u32,
    /// FTP or Telnet logins.
    pub logins: Option<Box<Logins>>,
    /// When the connection closed (both FINs, or a RST), ns.
    pub closed_at: Option<i64>,
    next_seq: [Option<u32>; 2],
    syn_ts: Option<i64>,
    jitter: Jitter,
}

fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

impl Conn {
    pub(super) fn new(ts: i64, orig: (IpAddr, u16), resp: (IpAddr, u16), proto: u8) -> Conn {
        let logins = match (proto, resp.1) {
            (proto::TCP, 21) => Some(Box::new(Logins::new("ftp"))),
            (proto::TCP, 23) => Some(Box::new(Logins::new("telnet"))),
            _ => None,
        };
        Conn {
            start: ts,
            last: ts,
            orig,
            resp,
            proto,
            sides: [Side::Inactive; 2],
            history: String::new(),
            bytes: [0; 2],
            packets: [0; 2],
            wire: [0; 2],
            retransmissions: 0,
            segments: 0,
            rtt: None,
            urgent: 0,
            wrong_fragment: 0,
            logins,
            closed_at: None,
            next_seq: [None; 2],
            syn_ts: None,
            jitter: Jitter::default(),
        }
    }

    /// Mean jitter in seconds (`None` under three packets).
    pub fn jitter(&self) -> Option<f64> {
        (self.jitter.n > 0).then(|| self.jitter.sum / f64::from(self.jitter.n))
    }

    /// Both sides closed, or one reset.
    pub fn finished(&self) -> bool {
        self.sides.contains(&Side::Reset)
            || (self.sides[0] == Side::Closed && self.sides[1] == Side::Closed)
    }

    fn note(&mut self, dir: usize, letter: char) {
        let l = if dir == 0 {
            letter
        } else {
            letter.to_ascii_lowercase()
        };
        if !self.history.contains(l) {
            self.history.push(l);
        }
    }

    fn tcp(&mut self, dir: usize, ts: i64, seq: u32, f: u8, t: &Transport<'_>) {
        let (syn, ack, fin, rst) = (
            f & flags::SYN != 0,
            f & flags::ACK != 0,
            f & flags::FIN != 0,
            f & flags::RST != 0,
        );
        let len = t.payload_len;
        if syn {
            self.note(dir, if ack { 'H' } else { 'S' });
        }
        if len > 0 {
            self.note(dir, 'D');
        } else if ack && !syn && !fin && !rst {
            self.note(dir, 'A');
        }
        if fin {
            self.note(dir, 'F');
        }
        if rst {
            self.note(dir, 'R');
        }
        if f & flags::URG != 0 {
            self.urgent += 1;
        }

        // Sequence space: retransmissions and bytes.
        let seg_len = len + u32::from(syn) + u32::from(fin);
        let mut fresh = true;
        if seg_len > 0 {
            self.segments += 1;
            if let Some(next) = self.next_seq[dir] {
                let keepalive = len <= 1 && !syn && !fin && seq == next.wrapping_sub(1);
                if seq_lt(seq, next) && !keepalive {
                    self.retransmissions += 1;
                    fresh = false;
                }
                let end = seq.wrapping_add(seg_len);
                if seq_lt(next, end) {
                    self.next_seq[dir] = Some(end);
                }
            } else {
                self.next_seq[dir] = Some(seq.wrapping_add(seg_len));
            }
        }
        if fresh {
            self.bytes[dir] += u64::from(len);
            if let Some(l) = &mut self.logins {
                l.feed(dir, t.payload);
            }
        }

        // Initial RTT, by Wireshark's rule: the most recent SYN (without ACK) to the first ACK
        // without SYN after it.
        if syn && !ack {
            self.syn_ts = Some(ts);
        } else if ack && !syn && self.rtt.is_none() {
            if let Some(s) = self.syn_ts {
                self.rtt = Some(ts.saturating_sub(s));
            }
        }

        // States.
        let other = 1 - dir;
        let side = &mut self.sides[dir];
        if rst {
            *side = Side::Reset;
        } else if syn && !ack {
            if *side == Side::Inactive {
                *side = Side::SynSent;
            }
        } else if syn && ack {
            if *side == Side::Inactive {
                *side = Side::SynAckSent;
            }
        } else if fin {
            if *side != Side::Reset {
                *side = Side::Closed;
            }
        } else if *side == Side::Inactive {
            *side = Side::Partial;
        } else if dir == 0 && *side == Side::SynSent && self.sides[other] == Side::SynAckSent {
            self.sides = [Side::Established, Side::Established];
        }
    }

    /// The KDD flag (Zeek's `conn_state`, restricted to the flags of the KDD data).
    pub fn flag(&self) -> &'static str {
        if self.proto != proto::TCP {
            return "SF";
        }
        let [os, rs] = self.sides;
        let inactive = |s: Side| matches!(s, Side::Inactive | Side::Partial);
        let state = if rs == Side::Reset {
            if matches!(os, Side::SynSent | Side::SynAckSent)
                || (os == Side::Reset && self.bytes == [0, 0])
            {
                "REJ"
            } else if inactive(os) {
                "RSTRH"
            } else {
                "RSTR"
            }
        } else if os == Side::Reset {
            if inactive(rs) {
                if self.rst_after_bare_syn() {
                    "RSTOS0"
                } else {
                    "OTH"
                }
            } else {
                "RSTO"
            }
        } else if rs == Side::Closed && os == Side::Closed {
            "SF"
        } else if os == Side::Closed {
            if inactive(rs) { "SH" } else { "S2" }
        } else if rs == Side::Closed {
            if inactive(os) { "SHR" } else { "S3" }
        } else if os == Side::SynSent && rs == Side::Inactive {
            "S0"
        } else if os == Side::Established && rs == Side::Established {
            "S1"
        } else {
            "OTH"
        };
        match state {
            "RSTRH" | "SHR" => "OTH",
            s => s,
        }
    }

    /// Zeek's test for RSTOS0: the history is `S`, then no originator SYN-ACK, ACK, FIN (or
    /// gaps and inconsistencies, not tracked here), then `R`.
    fn rst_after_bare_syn(&self) -> bool {
        let h = self.history.as_bytes();
        if h.first() != Some(&b'S') {
            return false;
        }
        match h.iter().position(|&c| c == b'R') {
            Some(r) => !h[1..r].iter().any(|c| b"HAF".contains(c)),
            None => false,
        }
    }

    /// The KDD service of the connection.
    pub fn service(&self) -> &'static str {
        match self.proto {
            proto::ICMP | proto::ICMPV6 => schema::icmp_service(
                self.proto == proto::ICMPV6,
                self.resp.1 as u8,
                self.icmp_code(),
            ),
            proto::TCP => schema::service_of(true, self.resp.1),
            proto::UDP => schema::service_of(false, self.resp.1),
            _ => "other",
        }
    }

    fn icmp_code(&self) -> u8 {
        self.orig.1 as u8
    }
}

/// Key of a pair in either direction.
pub(super) type Key = (IpAddr, u16, IpAddr, u16, u8);

/// The key of the pair `a`, `b` (the same both ways).
pub(super) fn key(a: (IpAddr, u16), b: (IpAddr, u16), proto: u8) -> Key {
    if a <= b {
        (a.0, a.1, b.0, b.1, proto)
    } else {
        (b.0, b.1, a.0, a.1, proto)
    }
}

impl Conn {
    /// An ICMP message as a one-packet connection: the type as the responder "port", the code as
    /// the originator's; its bytes are the message with its 8-byte header, as the KDD data counts
    /// them (its smallest ICMP `src_bytes` is 8; `ecr_i` 1032 = 1024 + 8).
    pub(super) fn icmp(
        ts: i64,
        ip: &Ip,
        ty: u8,
        code: u8,
        payload: u32,
        wire: u32,
        wrong: bool,
    ) -> Conn {
        let mut c = Conn::new(
            ts,
            (ip.src, u16::from(code)),
            (ip.dst, u16::from(ty)),
            ip.proto,
        );
        c.bytes[0] = u64::from(payload) + 8;
        c.packets[0] = 1;
        c.wire[0] = u64::from(wire);
        c.wrong_fragment = u32::from(wrong);
        c
    }

    /// Adds a TCP or UDP datagram sent by `from`.
    pub(super) fn add(
        &mut self,
        ts: i64,
        from: (IpAddr, u16),
        t: &Transport<'_>,
        wire: u32,
        wrong: bool,
    ) {
        let dir = usize::from(from != self.orig);
        self.last = self.last.max(ts);
        self.packets[dir] += 1;
        self.wire[dir] += u64::from(wire);
        self.wrong_fragment += u32::from(wrong);
        self.jitter.add(ts);
        match t.tcp {
            Some((seq, _ack, f)) => self.tcp(dir, ts, seq, f, t),
            None => self.bytes[dir] += u64::from(t.payload_len),
        }
    }
}

impl Conn {
    /// The connection as the record builder takes it, or `None` for protocols without a KDD
    /// `protocol_type`.
    pub fn to_finished(&self) -> Option<crate::connection::records::Finished> {
        let protocol = match self.proto {
            proto::TCP => "tcp",
            proto::UDP => "udp",
            proto::ICMP | proto::ICMPV6 => "icmp",
            _ => return None,
        };
        let logins = self.logins.as_deref();
        Some(crate::connection::records::Finished {
            start: self.start,
            duration: self.last.saturating_sub(self.start).max(0),
            orig: self.orig,
            resp: self.resp,
            protocol,
            service: self.service(),
            flag: self.flag(),
            bytes: self.bytes,
            urgent: self.urgent,
            wrong_fragment: self.wrong_fragment,
            logins: (
                logins.map_or(0, |l| l.failed),
                logins.is_some_and(|l| l.logged_in),
                logins.is_some_and(|l| l.guest),
            ),
        })
    }
}

/// The records of tracked connections (any order), ordered by start.
pub fn records(conns: &[Conn]) -> Vec<crate::connection::records::Record> {
    crate::connection::records::records_of(conns.iter().filter_map(Conn::to_finished).collect())
}

#[cfg(test)]
mod tests {
    use super::super::flows::FlowTable;
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(a: u8, b: u8) -> Ip {
        Ip {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, a)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, b)),
            proto: proto::TCP,
        }
    }

    fn seg(sport: u16, dport: u16, seq: u32, f: u8, len: u32) -> Transport<'static> {
        Transport {
            sport,
            dport,
            tcp: Some((seq, 0, f)),
            payload_len: len,
            payload: &[],
        }
    }

    use flags::{ACK, FIN, RST, SYN};

    /// Flags of a sequence of segments: (from the client?, flags, payload length).
    fn conns(t: &mut FlowTable) -> Vec<Conn> {
        t.finish();
        let mut ended: Vec<_> = t.take_ended().collect();
        ended.sort_by_key(|e| e.seq);
        ended.into_iter().map(|e| e.conn).collect()
    }

    fn flag_of(steps: &[(bool, u8, u32)]) -> (&'static str, String) {
        let mut t = FlowTable::new(Default::default());
        let (mut cs, mut ss) = (100u32, 900u32);
        for (i, &(client, f, len)) in steps.iter().enumerate() {
            let ts = i as i64 * 1_000_000;
            if client {
                t.packet(ts, &ip(1, 2), &seg(4000, 80, cs, f, len), 60, false);
                cs += len + u32::from(f & (SYN | FIN) != 0);
            } else {
                t.packet(ts, &ip(2, 1), &seg(80, 4000, ss, f, len), 60, false);
                ss += len + u32::from(f & (SYN | FIN) != 0);
            }
        }
        let c = conns(&mut t);
        assert_eq!(c.len(), 1);
        (c[0].flag(), c[0].history.clone())
    }

    #[test]
    fn flags_as_zeek_names_them() {
        // Zeek's published results for its test traces.
        assert_eq!(flag_of(&[(true, RST, 0)]).0, "OTH");
        assert_eq!(
            flag_of(&[(true, SYN, 0), (true, RST, 0)]),
            ("RSTOS0", "SR".into())
        );
        assert_eq!(
            flag_of(&[(true, SYN, 0), (false, ACK, 0), (true, RST, 0)]).0,
            "RSTOS0"
        );
        assert_eq!(
            flag_of(&[
                (true, SYN, 0),
                (false, ACK, 0),
                (true, FIN | ACK, 0),
                (true, RST, 0)
            ])
            .0,
            "OTH"
        );
        // The KDD flags of ordinary connections.
        assert_eq!(flag_of(&[(true, SYN, 0)]).0, "S0");
        assert_eq!(flag_of(&[(true, SYN, 0), (false, RST | ACK, 0)]).0, "REJ");
        let open = [(true, SYN, 0), (false, SYN | ACK, 0), (true, ACK, 0)];
        assert_eq!(flag_of(&open).0, "S1");
        let mut sf = open.to_vec();
        sf.extend([
            (true, ACK, 10),
            (false, ACK, 20),
            (true, FIN | ACK, 0),
            (false, FIN | ACK, 0),
        ]);
        assert_eq!(flag_of(&sf), ("SF", "ShADdFf".into()));
        let mut s2 = open.to_vec();
        s2.push((true, FIN | ACK, 0));
        assert_eq!(flag_of(&s2).0, "S2");
        let mut s3 = open.to_vec();
        s3.push((false, FIN | ACK, 0));
        assert_eq!(flag_of(&s3).0, "S3");
        let mut rsto = open.to_vec();
        rsto.push((true, RST, 0));
        assert_eq!(flag_of(&rsto).0, "RSTO");
        let mut rstr = open.to_vec();
        rstr.push((false, RST, 0));
        assert_eq!(flag_of(&rstr).0, "RSTR");
        assert_eq!(flag_of(&[(true, SYN, 0), (true, FIN, 0)]).0, "SH");
    }

    #[test]
    fn bytes_rtt_retransmissions_and_reuse() {
        let mut t = FlowTable::new(Default::default());
        let (c, s) = (ip(1, 2), ip(2, 1));
        t.packet(0, &c, &seg(4000, 80, 100, SYN, 0), 60, false);
        t.packet(5_000_000, &s, &seg(80, 4000, 900, SYN | ACK, 0), 60, false);
        t.packet(7_000_000, &c, &seg(4000, 80, 101, ACK, 0), 60, false);
        t.packet(8_000_000, &c, &seg(4000, 80, 101, ACK, 50), 110, false);
        t.packet(9_000_000, &c, &seg(4000, 80, 101, ACK, 50), 110, false);
        t.packet(10_000_000, &c, &seg(4000, 80, 151, FIN | ACK, 0), 60, false);
        t.packet(11_000_000, &s, &seg(80, 4000, 901, FIN | ACK, 0), 60, false);
        // The same ports again: a new connection.
        t.packet(20_000_000, &c, &seg(4000, 80, 5000, SYN, 0), 60, false);
        let all = conns(&mut t);
        assert_eq!(all.len(), 2);
        let k = &all[0];
        assert_eq!(k.rtt, Some(7_000_000));
        assert_eq!(k.bytes, [50, 0]);
        assert_eq!(k.retransmissions, 1);
        assert_eq!(k.flag(), "SF");
        assert_eq!(k.packets, [5, 2]);
        assert_eq!(all[1].flag(), "S0");
    }

    #[test]
    fn ftp_logins() {
        let mut l = Logins::new("ftp");
        l.feed(0, b"USER anonymous\r\n");
        l.feed(1, b"331 Please specify the password.\r\n530 Login ");
        l.feed(
            1,
            b"incorrect.\r\n530 Login incorrect.\r\n230 Login successful.\r\n",
        );
        assert_eq!((l.failed, l.logged_in, l.guest), (2, true, true));
        let mut t = Logins::new("telnet");
        t.feed(1, b"login: ");
        t.feed(1, b"\r\nLogin incorrect\r\nlogin: ");
        t.feed(1, b"Last login: Mon Jan 1 from x\r\n$ ");
        assert_eq!((t.failed, t.logged_in), (1, true));
    }
}
