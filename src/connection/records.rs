//! KDD connection records rebuilt from tracked connections, in the NSL-KDD layout (41 features and
//! the label `unknown`), so that every other command reads them.
//!
//! Definitions (each with its reason):
//! - Records are ordered by the start of their connection; each record's windows look back from
//!   that start: the time-based features over the connections that started in the previous two
//!   seconds, the host-based ones over the previous 100 connections, the current connection
//!   counted in its own windows (so `count` is at least 1, as in the data).
//! - "Same host" is the same responder address; "same service" the same KDD service. SYN errors
//!   are the flags of [`schema::SYN_ERROR_FLAGS`] (S0-S3 and SH), REJ errors those of
//!   [`schema::REJECT_FLAGS`] (REJ, RSTO, RSTR, RSTOS0), as the KDD Cup 99 data counts them.
//! - `dst_host_count` and `dst_host_srv_count` are capped at 255, as in the data; a rate is the
//!   quotient computed in single precision, rounded to two decimals (ties to even), as the data
//!   was written: every one of the 997,756 rates of the 10% file with a denominator below 255
//!   follows this rule (double precision leaves 105 unexplained): 1/8 is 0.12, 5/8 0.62, 39/40
//!   0.98, 13/40 0.32.
//! - `duration` is whole seconds (rounded down); `land` is 1 when both addresses and ports are equal.
//! - Content features: `num_failed_logins`, `logged_in` and `is_guest_login` are read from FTP
//!   (replies 530 and 230, `USER anonymous`/`ftp`) and Telnet (`Login incorrect`, `Last login:`)
//!   sessions; `hot`, `num_compromised`, `root_shell`, `su_attempted`, `num_root`,
//!   `num_file_creations`, `num_shells`, `num_access_files`, `num_outbound_cmds` and
//!   `is_host_login` need host audit data the packets do not carry and are 0.
//! - Connections of protocols other than TCP, UDP, ICMP and ICMPv6 have no KDD
//!   `protocol_type` and get no record (they are in the traffic summary).

use std::fmt::Write as _;
use std::net::IpAddr;

use foldhash::HashMap;

use crate::schema::{self, FEATURES};

/// Host-based window: connections.
pub const HOST_WINDOW: usize = 100;
/// Time-based window: nanoseconds.
pub const TIME_WINDOW_NS: i64 = 2_000_000_000;
/// Cap of the host-based counts.
pub const HOST_COUNT_CAP: u64 = 255;

/// One rebuilt record, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Start, seconds since the Unix epoch.
    pub start: f64,
    /// Last packet, seconds since the Unix epoch.
    pub end: f64,
    /// Originator address.
    pub src: IpAddr,
    /// Originator port (ICMP: code).
    pub sport: u16,
    /// Responder address.
    pub dst: IpAddr,
    /// Responder port (ICMP: type).
    pub dport: u16,
    /// `tcp`, `udp` or `icmp`.
    pub protocol: &'static str,
    /// KDD service.
    pub service: &'static str,
    /// KDD flag.
    pub flag: &'static str,
    /// The basic and content features.
    basic: Basic,
    /// The time- and host-based features.
    traffic: Traffic,
}

/// The basic and content features of a connection.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Basic {
    duration: i64,
    src_bytes: u64,
    dst_bytes: u64,
    land: bool,
    wrong_fragment: u32,
    urgent: u32,
    failed_logins: u32,
    logged_in: bool,
    guest: bool,
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    n: u64,
    serror: u64,
    rerror: u64,
}

impl Tally {
    fn add(&mut self, c: &Meta, sign: i64) {
        let d = |x: &mut u64, on: bool| {
            if on {
                *x = (*x as i64 + sign) as u64;
            }
        };
        d(&mut self.n, true);
        d(&mut self.serror, c.serror);
        d(&mut self.rerror, c.rerror);
    }
}

/// What the windows need of a connection.
#[derive(Debug, Clone, Copy)]
struct Meta {
    start: i64,
    dst: IpAddr,
    sport: u16,
    /// The service, interned by [`Windows`] (a number compares and hashes faster than a name).
    service: u32,
    serror: bool,
    rerror: bool,
}

/// Counts of the connections in a window (an entry leaves its map when its count falls to 0, so
/// a window holds the hosts and services of the connections in it, whatever went before).
#[derive(Debug, Default)]
struct Window {
    host: HashMap<IpAddr, Tally>,
    /// Per interned service (a handful: a vector, not a map).
    service: Vec<Tally>,
    host_service: HashMap<(IpAddr, u32), u64>,
    host_port: HashMap<(IpAddr, u16), u64>,
}

fn step<K: std::hash::Hash + Eq>(map: &mut HashMap<K, u64>, k: K, sign: i64) {
    let v = map.entry(k).or_default();
    *v = (*v as i64 + sign) as u64;
}

impl Window {
    fn add(&mut self, m: &Meta, sign: i64) {
        let host = self.host.entry(m.dst).or_default();
        host.add(m, sign);
        if host.n == 0 {
            self.host.remove(&m.dst);
        }
        let at = m.service as usize;
        if at >= self.service.len() {
            self.service.resize(at + 1, Tally::default());
        }
        self.service[at].add(m, sign);
        step(&mut self.host_service, (m.dst, m.service), sign);
        if self.host_service.get(&(m.dst, m.service)) == Some(&0) {
            self.host_service.remove(&(m.dst, m.service));
        }
        step(&mut self.host_port, (m.dst, m.sport), sign);
        if self.host_port.get(&(m.dst, m.sport)) == Some(&0) {
            self.host_port.remove(&(m.dst, m.sport));
        }
    }
}

/// A window rate of `a` among `b` connections, as the KDD data writes it (see the module doc).
pub fn rate(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        // The single-precision quotient times 100 is exact in double precision (24 + 7 bits).
        let q = a as f32 / b as f32;
        (f64::from(q) * 100.0).round_ties_even() / 100.0
    }
}

/// The traffic features of one record.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Traffic {
    count: u64,
    srv_count: u64,
    serror_rate: f64,
    srv_serror_rate: f64,
    rerror_rate: f64,
    srv_rerror_rate: f64,
    same_srv_rate: f64,
    diff_srv_rate: f64,
    srv_diff_host_rate: f64,
    dst_host_count: u64,
    dst_host_srv_count: u64,
    dst_host_same_srv_rate: f64,
    dst_host_diff_srv_rate: f64,
    dst_host_same_src_port_rate: f64,
    dst_host_srv_diff_host_rate: f64,
    dst_host_serror_rate: f64,
    dst_host_srv_serror_rate: f64,
    dst_host_rerror_rate: f64,
    dst_host_srv_rerror_rate: f64,
}

#[cfg(test)]
fn traffic(metas: &[Meta]) -> Vec<Traffic> {
    let mut windows = Windows::default();
    metas.iter().map(|m| windows.push(*m)).collect()
}

/// The 2-second and 100-connection windows, maintained incrementally over connections taken in
/// start order: memory is that of the connections in the windows, whatever the stream's length.
#[derive(Debug, Default)]
pub struct Windows {
    time: Window,
    hosts: Window,
    in_time: std::collections::VecDeque<Meta>,
    in_hosts: std::collections::VecDeque<Meta>,
    /// Services by name, numbered as first seen.
    services: HashMap<&'static str, u32>,
}

impl Windows {
    /// Adds the next connection (its start not before the previous one's) and returns its
    /// window features.
    fn push(&mut self, m: Meta) -> Traffic {
        self.time.add(&m, 1);
        self.in_time.push_back(m);
        while let Some(old) = self.in_time.front().copied() {
            if old.start >= m.start.saturating_sub(TIME_WINDOW_NS) {
                break;
            }
            self.time.add(&old, -1);
            self.in_time.pop_front();
        }
        self.hosts.add(&m, 1);
        self.in_hosts.push_back(m);
        if self.in_hosts.len() > HOST_WINDOW
            && let Some(old) = self.in_hosts.pop_front()
        {
            self.hosts.add(&old, -1);
        }
        let (time, hosts) = (&self.time, &self.hosts);
        let h = time.host[&m.dst];
        let s = time.service[m.service as usize];
        let hs = time.host_service[&(m.dst, m.service)];
        let hh = hosts.host[&m.dst];
        let hsrv = hosts.service[m.service as usize];
        let hhs = hosts.host_service[&(m.dst, m.service)];
        let hhp = hosts.host_port[&(m.dst, m.sport)];
        Traffic {
            count: h.n,
            srv_count: s.n,
            serror_rate: rate(h.serror, h.n),
            srv_serror_rate: rate(s.serror, s.n),
            rerror_rate: rate(h.rerror, h.n),
            srv_rerror_rate: rate(s.rerror, s.n),
            same_srv_rate: rate(hs, h.n),
            diff_srv_rate: rate(h.n - hs, h.n),
            srv_diff_host_rate: rate(s.n - hs, s.n),
            dst_host_count: hh.n.min(HOST_COUNT_CAP),
            dst_host_srv_count: hsrv.n.min(HOST_COUNT_CAP),
            dst_host_same_srv_rate: rate(hhs, hh.n),
            dst_host_diff_srv_rate: rate(hh.n - hhs, hh.n),
            dst_host_same_src_port_rate: rate(hhp, hh.n),
            dst_host_srv_diff_host_rate: rate(hsrv.n - hhs, hsrv.n),
            dst_host_serror_rate: rate(hh.serror, hh.n),
            dst_host_srv_serror_rate: rate(hsrv.serror, hsrv.n),
            dst_host_rerror_rate: rate(hh.rerror, hh.n),
            dst_host_srv_rerror_rate: rate(hsrv.rerror, hsrv.n),
        }
    }

    /// The record of the next finished connection in start order.
    pub fn record(&mut self, c: Finished) -> Record {
        let meta = self.meta_of(&c);
        let t = self.push(meta);
        record_of(c, t)
    }

    fn meta_of(&mut self, c: &Finished) -> Meta {
        let next = self.services.len() as u32;
        let service = *self.services.entry(c.service).or_insert(next);
        Meta {
            start: c.start,
            dst: c.resp.0,
            sport: c.orig.1,
            service,
            serror: schema::SYN_ERROR_FLAGS.contains(&c.flag),
            rerror: schema::REJECT_FLAGS.contains(&c.flag),
        }
    }
}

fn record_of(c: Finished, t: Traffic) -> Record {
    Record {
        start: c.start as f64 / 1e9,
        end: c.start.saturating_add(c.duration) as f64 / 1e9,
        src: c.orig.0,
        sport: c.orig.1,
        dst: c.resp.0,
        dport: c.resp.1,
        protocol: c.protocol,
        service: c.service,
        flag: c.flag,
        basic: Basic {
            duration: c.duration / 1_000_000_000,
            src_bytes: c.bytes[0],
            dst_bytes: c.bytes[1],
            land: c.orig == c.resp,
            wrong_fragment: c.wrong_fragment,
            urgent: c.urgent,
            failed_logins: c.logins.0,
            logged_in: c.logins.1,
            guest: c.logins.2,
        },
        traffic: t,
    }
}

/// A feature, resolved once from its schema name.
#[derive(Debug, Clone, Copy)]
enum Field {
    Duration,
    Protocol,
    Service,
    Flag,
    SrcBytes,
    DstBytes,
    Land,
    WrongFragment,
    Urgent,
    FailedLogins,
    LoggedIn,
    GuestLogin,
    Count(fn(&Traffic) -> u64),
    Rate(fn(&Traffic) -> f64),
    /// Content features the packets cannot tell.
    Zero,
}

fn field_of(name: &str) -> Field {
    use Field::*;
    match name {
        "duration" => Duration,
        "protocol_type" => Protocol,
        "service" => Service,
        "flag" => Flag,
        "src_bytes" => SrcBytes,
        "dst_bytes" => DstBytes,
        "land" => Land,
        "wrong_fragment" => WrongFragment,
        "urgent" => Urgent,
        "num_failed_logins" => FailedLogins,
        "logged_in" => LoggedIn,
        "is_guest_login" => GuestLogin,
        "count" => Count(|t| t.count),
        "srv_count" => Count(|t| t.srv_count),
        "serror_rate" => Rate(|t| t.serror_rate),
        "srv_serror_rate" => Rate(|t| t.srv_serror_rate),
        "rerror_rate" => Rate(|t| t.rerror_rate),
        "srv_rerror_rate" => Rate(|t| t.srv_rerror_rate),
        "same_srv_rate" => Rate(|t| t.same_srv_rate),
        "diff_srv_rate" => Rate(|t| t.diff_srv_rate),
        "srv_diff_host_rate" => Rate(|t| t.srv_diff_host_rate),
        "dst_host_count" => Count(|t| t.dst_host_count),
        "dst_host_srv_count" => Count(|t| t.dst_host_srv_count),
        "dst_host_same_srv_rate" => Rate(|t| t.dst_host_same_srv_rate),
        "dst_host_diff_srv_rate" => Rate(|t| t.dst_host_diff_srv_rate),
        "dst_host_same_src_port_rate" => Rate(|t| t.dst_host_same_src_port_rate),
        "dst_host_srv_diff_host_rate" => Rate(|t| t.dst_host_srv_diff_host_rate),
        "dst_host_serror_rate" => Rate(|t| t.dst_host_serror_rate),
        "dst_host_srv_serror_rate" => Rate(|t| t.dst_host_srv_serror_rate),
        "dst_host_rerror_rate" => Rate(|t| t.dst_host_rerror_rate),
        "dst_host_srv_rerror_rate" => Rate(|t| t.dst_host_srv_rerror_rate),
        _ => Zero,
    }
}

/// Writes a rate of [0, 1] rounded to hundredths with two decimals, as the data writes them.
fn write_rate(out: &mut String, v: f64) {
    let h = (v * 100.0).round() as u32;
    push_int(out, u64::from(h / 100));
    out.push('.');
    out.push(char::from(b'0' + (h % 100 / 10) as u8));
    out.push(char::from(b'0' + (h % 10) as u8));
}

/// Appends a whole number in decimal (without the formatting machinery: records are written by
/// the million).
fn push_int(out: &mut String, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

impl Record {
    fn write(&self, f: Field, out: &mut String) {
        let b = &self.basic;
        let bit = |on: bool| if on { "1" } else { "0" };
        match f {
            Field::Duration => push_int(out, b.duration.max(0) as u64),
            Field::Protocol => out.push_str(self.protocol),
            Field::Service => out.push_str(self.service),
            Field::Flag => out.push_str(self.flag),
            Field::SrcBytes => push_int(out, b.src_bytes),
            Field::DstBytes => push_int(out, b.dst_bytes),
            Field::Land => out.push_str(bit(b.land)),
            Field::WrongFragment => push_int(out, u64::from(b.wrong_fragment)),
            Field::Urgent => push_int(out, u64::from(b.urgent)),
            Field::FailedLogins => push_int(out, u64::from(b.failed_logins)),
            Field::LoggedIn => out.push_str(bit(b.logged_in)),
            Field::GuestLogin => out.push_str(bit(b.guest)),
            Field::Count(get) => push_int(out, get(&self.traffic)),
            Field::Rate(get) => write_rate(out, get(&self.traffic)),
            Field::Zero => out.push('0'),
        }
    }

    /// Appends the record as a CSV line (41 features and the label `unknown`, as `pcap -o`
    /// writes it without `--endpoints`).
    pub fn write_csv(&self, out: &mut String) {
        static COLUMNS: std::sync::LazyLock<Vec<Field>> =
            std::sync::LazyLock::new(|| FEATURES.iter().map(|f| field_of(f.name)).collect());
        for &f in COLUMNS.iter() {
            self.write(f, out);
            out.push(',');
        }
        out.push_str(schema::UNKNOWN_LABEL);
        out.push('\n');
    }

    /// The 41 features as text, in schema order.
    pub fn fields(&self) -> Vec<String> {
        FEATURES
            .iter()
            .map(|f| {
                let mut s = String::new();
                self.write(field_of(f.name), &mut s);
                s
            })
            .collect()
    }
}

/// A finished connection as the record builder needs it, whichever engine saw it: the packet
/// tracker (`capture::track`) or a Zeek `conn.log` line ([`super::zeek`]). The window features
/// of both are computed by [`records_of`], one implementation.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// Start, ns since the Unix epoch.
    pub start: i64,
    /// Duration, ns.
    pub duration: i64,
    /// Originator address and port (ICMP: the code).
    pub orig: (IpAddr, u16),
    /// Responder address and port (ICMP: the type).
    pub resp: (IpAddr, u16),
    /// `tcp`, `udp` or `icmp`.
    pub protocol: &'static str,
    /// KDD service.
    pub service: &'static str,
    /// KDD flag.
    pub flag: &'static str,
    /// Bytes from the originator, from the responder.
    pub bytes: [u64; 2],
    /// Packets with the URG flag.
    pub urgent: u32,
    /// Wrong fragments.
    pub wrong_fragment: u32,
    /// Failed logins, logged in, guest login.
    pub logins: (u32, bool, bool),
}

/// The records of finished connections, ordered by start (equal starts in the order given), with
/// the 2-second and 100-connection window features.
pub fn records_of(conns: Vec<Finished>) -> Vec<Record> {
    let mut order = super::ordered::InOrder::new();
    let n = conns.len();
    for (seq, c) in conns.into_iter().enumerate() {
        order.push(seq as u64, c);
    }
    let mut out = Vec::with_capacity(n);
    order.release(None, usize::MAX, &mut |r| out.push(r));
    out
}

/// The records as CSV text in the NSL-KDD layout without difficulty (41 features, the label
/// `unknown`); with `endpoints`, a header row and five more columns (start time, source address
/// and port, destination address and port) for people and spreadsheets.
pub fn csv(records: &[Record], endpoints: bool) -> String {
    let mut out = String::with_capacity(records.len() * 160);
    if endpoints {
        csv_header(&mut out);
    }
    for r in records {
        write_csv_line(r, endpoints, &mut out);
    }
    out
}

/// The header line of the CSV form with endpoints.
pub fn csv_header(out: &mut String) {
    for f in FEATURES.iter() {
        out.push_str(f.name);
        out.push(',');
    }
    out.push_str(schema::LABEL);
    out.push_str(",start_time,src_ip,src_port,dst_ip,dst_port\n");
}

/// Appends one record's line of [`csv()`].
pub fn write_csv_line(r: &Record, endpoints: bool, out: &mut String) {
    r.write_csv(out);
    out.pop();
    if endpoints {
        let _ = write!(
            out,
            ",{:.6},{},{},{},{}",
            r.start, r.src, r.sport, r.dst, r.dport
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn meta(start_ms: i64, host: u8, service: &'static str, serror: bool) -> Meta {
        Meta {
            start: start_ms * 1_000_000,
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, host)),
            sport: 1000,
            service: ["http", "smtp", "ftp", "ssh"]
                .iter()
                .position(|s| *s == service)
                .unwrap() as u32,
            serror,
            rerror: false,
        }
    }

    #[test]
    fn windows_by_hand() {
        // Three connections to host 1 (http, http, smtp) within 2 s, a fourth 3 s later.
        let m = [
            meta(0, 1, "http", true),
            meta(500, 1, "http", false),
            meta(1000, 1, "smtp", false),
            meta(4000, 2, "http", false),
        ];
        let t = traffic(&m);
        assert_eq!(t[2].count, 3);
        assert_eq!(t[2].srv_count, 1);
        assert_eq!(t[2].same_srv_rate, 0.33);
        assert_eq!(t[2].diff_srv_rate, 0.67);
        assert_eq!(t[2].serror_rate, 0.33);
        assert_eq!(t[1].srv_count, 2);
        assert_eq!(t[1].srv_serror_rate, 0.5);
        // 3 s later the window holds only itself; the host window still holds all four.
        assert_eq!(t[3].count, 1);
        assert_eq!(t[3].dst_host_count, 1);
        assert_eq!(t[3].dst_host_srv_count, 3);
        assert_eq!(t[3].dst_host_srv_diff_host_rate, 0.67);
        assert_eq!(t[2].dst_host_same_src_port_rate, 1.0);
    }

    #[test]
    fn rates_are_single_precision_quotients_rounded_as_the_data_has_them() {
        // Hand-worked: 1/8 = 0.125 exactly (a tie, to even: 0.12); 5/8 = 0.625 (0.62); 39/40 in
        // single precision is 0.97500002... (0.98); 13/40 is 0.32499998... (0.32); 1/3 0.33.
        for (a, b, want) in [
            (1, 8, 0.12),
            (5, 8, 0.62),
            (3, 8, 0.38),
            (39, 40, 0.98),
            (13, 40, 0.32),
            (1, 3, 0.33),
            (2, 3, 0.67),
            (0, 5, 0.0),
            (5, 5, 1.0),
        ] {
            assert_eq!(rate(a, b), want, "{a}/{b}");
        }
    }

    #[test]
    fn rates_print_as_the_data_prints_them() {
        let mut s = String::new();
        for v in [0.0, 0.05, 0.5, 1.0, 0.33] {
            write_rate(&mut s, v);
            s.push(' ');
        }
        assert_eq!(s, "0.00 0.05 0.50 1.00 0.33 ");
    }

    #[test]
    fn the_host_window_is_100_connections() {
        let m: Vec<Meta> = (0..150)
            .map(|i| meta(i * 10_000, 1, "http", false))
            .collect();
        let t = traffic(&m);
        assert_eq!(t[149].dst_host_count, 100);
        assert_eq!(t[49].dst_host_count, 50);
        assert_eq!(t[149].count, 1);
    }
}
