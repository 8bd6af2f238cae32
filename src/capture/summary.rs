//! The traffic summary of a capture: totals, throughput, protocols, IP pairs, hosts, TCP timing and
//! loss, jitter, error rates, flags, services, and scans.
//!
//! Definitions:
//! - Bytes are bytes on the wire (a frame's original length, as `capinfos` and `tshark -z conv,ip`
//!   count them); the duration is from the first to the last frame; throughput is bytes over that
//!   duration (0 for a capture of one instant).
//! - Protocols: the IP protocol of IP frames (`tcp`, `udp`, `icmp`, `icmpv6`, `ip-N`); frames that
//!   are not IP by their EtherType (`arp`, `ipx`, `ether-0xNNNN`); `malformed` for unreadable ones.
//! - An IP pair is the two addresses in either direction (as `tshark -z conv,ip`); its protocol
//!   shares are shares of its packets.
//! - A vertical scan: one source reached at least N distinct TCP or UDP ports of one host as the
//!   originator of connections; a horizontal scan: one source reached at least N distinct hosts on
//!   one port. Times are the starts of the first and last of those connections.
//! - Error rates are over TCP connections: rejected (`REJ`) and reset (`RSTO`, `RSTR`, `RSTOS0`);
//!   ICMP destination-unreachable messages are counted apart.

use std::net::IpAddr;

use foldhash::{HashMap, HashSet};
use serde::Serialize;

use super::decode::proto;
use super::track::Conn;
use crate::stats::{Distribution, OrderedMap};

/// Packets and bytes of one protocol.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtocolFigures {
    /// The protocol.
    pub protocol: String,
    /// Frames.
    pub packets: u64,
    /// Bytes on the wire.
    pub bytes: u64,
    /// Share of all frames.
    pub share: f64,
}

/// One IP pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairFigures {
    /// The lower address.
    pub a: String,
    /// The higher address.
    pub b: String,
    /// Frames between them.
    pub packets: u64,
    /// Bytes on the wire.
    pub bytes: u64,
    /// Share of all frames.
    pub packet_share: f64,
    /// Share of all bytes.
    pub byte_share: f64,
    /// Share of the pair's frames per protocol.
    pub protocols: OrderedMap<f64>,
}

/// Traffic of one address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostFigures {
    /// The address.
    pub ip: String,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Frames sent.
    pub packets_sent: u64,
    /// Frames received.
    pub packets_received: u64,
}

/// A few quantiles of a distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantiles {
    /// Values.
    pub count: u64,
    /// Smallest.
    pub min: f64,
    /// Median.
    pub median: f64,
    /// Mean.
    pub mean: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest.
    pub max: f64,
}

impl Quantiles {
    /// The quantiles of values (`None` for none), as numpy's linear method.
    pub fn of(values: &[f64]) -> Option<Quantiles> {
        if values.is_empty() {
            return None;
        }
        let d = Distribution::from_f64(&[values]);
        Some(Quantiles {
            count: d.count(),
            min: d.min(),
            median: d.quantile(0.5),
            mean: d.mean(),
            p95: d.quantile(0.95),
            max: d.max(),
        })
    }
}

/// TCP timing, loss and errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TcpFigures {
    /// TCP connections.
    pub connections: u64,
    /// Connections with an initial round-trip time (a SYN, then an ACK).
    pub handshakes: u64,
    /// Initial round-trip time per connection, milliseconds.
    pub initial_rtt_ms: Option<Quantiles>,
    /// Retransmitted segments.
    pub retransmissions: u64,
    /// Segments carrying data, SYN or FIN.
    pub segments: u64,
    /// Retransmissions over segments: an estimate of the loss rate.
    pub loss_estimate: f64,
    /// Rejected connections (`REJ`).
    pub rejected: u64,
    /// Reset connections (`RSTO`, `RSTR`, `RSTOS0`).
    pub reset: u64,
    /// Rejected over connections.
    pub rejected_rate: f64,
    /// Reset over connections.
    pub reset_rate: f64,
}

/// A scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scan {
    /// `vertical` (many ports of one host) or `horizontal` (one port of many hosts).
    pub kind: &'static str,
    /// The scanning address.
    pub src: String,
    /// Vertical: the scanned host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst: Option<String>,
    /// Horizontal: the scanned port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Vertical: distinct ports reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinct_ports: Option<u64>,
    /// Horizontal: distinct hosts reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinct_hosts: Option<u64>,
    /// First connection, seconds since the Unix epoch.
    pub first: f64,
    /// Last connection, seconds since the Unix epoch.
    pub last: f64,
}

/// The summary. Its JSON form is documented in the README (`kddstat pcap`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrafficSummary {
    /// The capture.
    pub file: String,
    /// `pcap` or `pcapng`.
    pub format: &'static str,
    /// Link types met.
    pub link_types: Vec<String>,
    /// The last record was cut short.
    pub truncated: bool,
    /// Frames.
    pub packets: u64,
    /// Bytes on the wire.
    pub bytes: u64,
    /// First frame, seconds since the Unix epoch.
    pub first: f64,
    /// Last frame.
    pub last: f64,
    /// Seconds from the first frame to the last.
    pub duration_s: f64,
    /// Bytes per second.
    pub throughput_bytes_per_s: f64,
    /// Bits per second.
    pub throughput_bits_per_s: f64,
    /// Frames and bytes per protocol, most frames first.
    pub protocols: Vec<ProtocolFigures>,
    /// The busiest IP pairs by bytes.
    pub ip_pairs: Vec<PairFigures>,
    /// The busiest addresses by bytes sent and received.
    pub hosts: Vec<HostFigures>,
    /// Connection records rebuilt.
    pub connections: u64,
    /// TCP figures.
    pub tcp: TcpFigures,
    /// Jitter per connection (at least three packets), milliseconds.
    pub jitter_ms: Option<Quantiles>,
    /// ICMP destination-unreachable messages.
    pub icmp_unreachable: u64,
    /// IP fragments read.
    pub ip_fragments: u64,
    /// Datagrams reassembled from fragments.
    pub reassembled_datagrams: u64,
    /// Wrong fragments (overlapping, too large, misaligned).
    pub wrong_fragments: u64,
    /// Records per KDD flag.
    pub flags: OrderedMap<u64>,
    /// Records per KDD service, most frequent first (the first `top`).
    pub services: OrderedMap<u64>,
    /// The port-scan threshold used.
    pub port_scan_threshold: usize,
    /// Scans found, largest first.
    pub scans: Vec<Scan>,
    /// Live capture only (`kddstat live`): what the run read, wrote and lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveFigures>,
}

/// Per-frame counters, filled while reading.
#[derive(Debug, Default)]
pub struct Counters {
    /// Frames.
    pub packets: u64,
    /// Bytes on the wire.
    pub bytes: u64,
    /// First and last timestamps, ns.
    pub span: Option<(i64, i64)>,
    /// Frames and bytes per IP protocol.
    ip_protocols: Vec<(u64, u64)>,
    /// Frames and bytes per non-IP EtherType.
    other: HashMap<u16, (u64, u64)>,
    /// Malformed frames and bytes.
    malformed: (u64, u64),
    /// Per ordered address pair and protocol: frames, bytes.
    pairs: HashMap<(IpAddr, IpAddr, u8), (u64, u64)>,
    /// Per address: bytes sent, received, frames sent, received.
    hosts: HashMap<IpAddr, [u64; 4]>,
    /// Frames of pairs past [`MAX_TRACKED`].
    untracked: u64,
}

/// Address pairs, addresses, and scan candidates ((source, host) and (source, port)) each kept
/// at most (about 100 bytes each): past it the totals stay exact, the top lists and scans cover
/// those kept, and a warning says how much was left out.
pub const MAX_TRACKED: usize = 65_536;

impl Counters {
    /// Empty counters.
    pub fn new() -> Counters {
        Counters {
            ip_protocols: vec![(0, 0); 256],
            ..Counters::default()
        }
    }

    /// Counts a frame.
    pub fn frame(&mut self, ts: i64, wire: u32) {
        self.packets += 1;
        self.bytes += u64::from(wire);
        self.span = Some(match self.span {
            None => (ts, ts),
            Some((a, b)) => (a.min(ts), b.max(ts)),
        });
    }

    /// Counts an IP frame.
    pub fn ip(&mut self, src: IpAddr, dst: IpAddr, protocol: u8, wire: u32) {
        let w = u64::from(wire);
        let p = &mut self.ip_protocols[usize::from(protocol)];
        p.0 += 1;
        p.1 += w;
        let (a, b) = if src <= dst { (src, dst) } else { (dst, src) };
        let full = self.pairs.len() >= MAX_TRACKED;
        match self.pairs.get_mut(&(a, b, protocol)) {
            Some(e) => {
                e.0 += 1;
                e.1 += w;
            }
            None if !full => {
                self.pairs.insert((a, b, protocol), (1, w));
            }
            None => self.untracked += 1,
        }
        for (ip, bytes, packets) in [(src, 0, 2), (dst, 1, 3)] {
            let full = self.hosts.len() >= MAX_TRACKED;
            match self.hosts.get_mut(&ip) {
                Some(h) => {
                    h[bytes] += w;
                    h[packets] += 1;
                }
                None if !full => {
                    let mut h = [0; 4];
                    h[bytes] = w;
                    h[packets] = 1;
                    self.hosts.insert(ip, h);
                }
                None => {}
            }
        }
    }

    /// Frames whose address pair was not listed (past [`MAX_TRACKED`] pairs).
    pub fn untracked(&self) -> u64 {
        self.untracked
    }

    /// Counts a frame that is not IP.
    pub fn non_ip(&mut self, ether_type: u16, wire: u32) {
        let e = self.other.entry(ether_type).or_default();
        e.0 += 1;
        e.1 += u64::from(wire);
    }

    /// Counts a malformed frame.
    pub fn malformed(&mut self, wire: u32) {
        self.malformed.0 += 1;
        self.malformed.1 += u64::from(wire);
    }
}

fn ip_protocol_name(p: u8) -> String {
    match p {
        proto::TCP => "tcp".into(),
        proto::UDP => "udp".into(),
        proto::ICMP => "icmp".into(),
        proto::ICMPV6 => "icmpv6".into(),
        2 => "igmp".into(),
        47 => "gre".into(),
        50 => "esp".into(),
        51 => "ah".into(),
        89 => "ospf".into(),
        132 => "sctp".into(),
        n => format!("ip-{n}"),
    }
}

fn ether_name(t: u16) -> String {
    match t {
        0x0806 => "arp".into(),
        0x8035 => "rarp".into(),
        // Below 0x0600 the field is an IEEE 802.3 length: an LLC frame (STP, NetBIOS, ...).
        1..=0x05ff => "llc".into(),
        0x8137 => "ipx".into(),
        0x88cc => "lldp".into(),
        0 => "non-ip".into(),
        n => format!("ether-0x{n:04x}"),
    }
}

fn share(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

type Span = (i64, i64);

/// What the summary keeps of each ended connection: TCP timing and loss, flags and services of
/// the records, and the endpoints that scans are found from (so that connections need not be
/// held until the end).
#[derive(Debug, Default)]
pub struct ConnTally {
    /// Records (connections of TCP, UDP and ICMP).
    records: u64,
    flags: HashMap<&'static str, u64>,
    services: HashMap<&'static str, u64>,
    tcp: u64,
    rtts_ms: Vec<f64>,
    jitter_ms: Vec<f64>,
    retransmissions: u64,
    segments: u64,
    rejected: u64,
    reset: u64,
    vertical: HashMap<(IpAddr, IpAddr), (HashSet<u16>, Span)>,
    /// Per (source, port): the hosts reached, each as [`host_key`].
    horizontal: HashMap<(IpAddr, u16), (HashSet<u64>, Span)>,
    /// Connections not looked at for scans (past [`MAX_TRACKED`] candidates).
    untracked_scans: u64,
}

impl ConnTally {
    /// Nothing counted.
    pub fn new() -> ConnTally {
        ConnTally::default()
    }

    /// Records counted.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Connections not looked at for scans (past [`MAX_TRACKED`] candidates).
    pub fn untracked(&self) -> u64 {
        self.untracked_scans
    }

    /// Counts an ended connection.
    pub fn add(&mut self, c: &Conn) {
        if matches!(
            c.proto,
            proto::TCP | proto::UDP | proto::ICMP | proto::ICMPV6
        ) {
            self.records += 1;
            *self.flags.entry(c.flag()).or_default() += 1;
            *self.services.entry(c.service()).or_default() += 1;
        }
        if let Some(j) = c.jitter() {
            self.jitter_ms.push(j * 1e3);
        }
        if c.proto == proto::TCP {
            self.tcp += 1;
            if let Some(r) = c.rtt {
                self.rtts_ms.push(r as f64 / 1e6);
            }
            self.retransmissions += u64::from(c.retransmissions);
            self.segments += u64::from(c.segments);
            match c.flag() {
                "REJ" => self.rejected += 1,
                "RSTO" | "RSTR" | "RSTOS0" => self.reset += 1,
                _ => {}
            }
        }
        if matches!(c.proto, proto::TCP | proto::UDP) {
            let widen = |s: &mut Span| *s = (s.0.min(c.start), s.1.max(c.start));
            let vk = (c.orig.0, c.resp.0);
            if self.vertical.len() < MAX_TRACKED || self.vertical.contains_key(&vk) {
                let v = self
                    .vertical
                    .entry(vk)
                    .or_insert_with(|| (HashSet::default(), (c.start, c.start)));
                v.0.insert(c.resp.1);
                widen(&mut v.1);
            } else {
                self.untracked_scans += 1;
            }
            let hk = (c.orig.0, c.resp.1);
            if self.horizontal.len() < MAX_TRACKED || self.horizontal.contains_key(&hk) {
                let h = self
                    .horizontal
                    .entry(hk)
                    .or_insert_with(|| (HashSet::default(), (c.start, c.start)));
                // A horizontal scan needs only its count; the hosts of one are kept up to a cap.
                if h.0.len() < MAX_TRACKED {
                    h.0.insert(host_key(c.resp.0));
                }
                widen(&mut h.1);
            } else {
                self.untracked_scans += 1;
            }
        }
    }

    /// The scans found so far (sources that reached at least `threshold` ports or hosts),
    /// largest first.
    pub fn scans(&self, threshold: usize) -> Vec<Scan> {
        let secs = |ns: i64| ns as f64 / 1e9;
        let threshold = threshold.max(1);
        let mut out: Vec<Scan> = self
            .vertical
            .iter()
            .filter(|(_, (ports, _))| ports.len() >= threshold)
            .map(|(&(src, dst), (ports, span))| Scan {
                kind: "vertical",
                src: src.to_string(),
                dst: Some(dst.to_string()),
                port: None,
                distinct_ports: Some(ports.len() as u64),
                distinct_hosts: None,
                first: secs(span.0),
                last: secs(span.1),
            })
            .chain(
                self.horizontal
                    .iter()
                    .filter(|(_, (hosts, _))| hosts.len() >= threshold)
                    .map(|(&(src, port), (hosts, span))| Scan {
                        kind: "horizontal",
                        src: src.to_string(),
                        dst: None,
                        port: Some(port),
                        distinct_ports: None,
                        distinct_hosts: Some(hosts.len() as u64),
                        first: secs(span.0),
                        last: secs(span.1),
                    }),
            )
            .collect();
        let size = |s: &Scan| s.distinct_ports.or(s.distinct_hosts).unwrap_or(0);
        out.sort_by(|a, b| {
            size(b)
                .cmp(&size(a))
                .then_with(|| a.kind.cmp(b.kind))
                .then_with(|| a.src.cmp(&b.src))
                .then_with(|| a.dst.cmp(&b.dst))
                .then_with(|| a.port.cmp(&b.port))
        });
        out
    }
}

/// A host as 8 bytes in the scan search: an IPv4 address exactly; an IPv6 address by a 64-bit
/// hash of it (two of a scan's hosts collide with odds of about n^2 / 2^65: none in practice).
fn host_key(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(v4) => u64::from(u32::from(v4)),
        IpAddr::V6(v6) => {
            let x = u128::from(v6);
            // Never equal to an IPv4 key (those are below 2^32).
            (((x >> 64) as u64) ^ (x as u64).rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                | (1 << 63)
        }
    }
}

fn counts_of(map: &HashMap<&'static str, u64>) -> Vec<(String, u64)> {
    let mut counts: Vec<(String, u64)> = map.iter().map(|(k, &c)| (k.to_string(), c)).collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

/// The figures of a live run (`kddstat live`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LiveFigures {
    /// Frames read (on a loopback interface, each packet once).
    pub packets: u64,
    /// Frames the socket received (on a loopback interface each packet twice: sent and
    /// received); with the kernel's drops, the packets the interface carried while kddstat ran.
    pub frames_received: u64,
    /// Frames the kernel passed to kddstat's socket (its `PACKET_STATISTICS`).
    pub kernel_packets: u64,
    /// Frames the kernel dropped because kddstat read too slowly.
    pub kernel_drops: u64,
    /// Records written.
    pub records: u64,
    /// Alerts written (scans included).
    pub alerts: u64,
    /// Scans alerted.
    pub scans: u64,
    /// Frames of link types kddstat cannot decode.
    pub unsupported_frames: u64,
    /// Connections ended early (the flow table full, or too many records waiting).
    pub evicted: u64,
    /// How connections ended.
    pub ended: super::flows::EndCounts,
    /// Seconds the run lasted.
    pub seconds: f64,
}

/// What the summary is made of.
pub struct Parts<'a> {
    /// The capture's name.
    pub file: &'a str,
    /// Its format.
    pub format: &'static str,
    /// Link types met.
    pub link_types: Vec<String>,
    /// A truncated last record.
    pub truncated: bool,
    /// The frame counters.
    pub counters: &'a Counters,
    /// The ended connections.
    pub conns: &'a ConnTally,
    /// ICMP unreachable messages.
    pub icmp_unreachable: u64,
    /// Fragments, reassembled datagrams, wrong fragments.
    pub fragments: (u64, u64, u64),
    /// Scan threshold.
    pub threshold: usize,
    /// Rows of the top lists.
    pub top: usize,
}

/// Builds the summary.
pub fn summarise(p: &Parts<'_>) -> TrafficSummary {
    let c = p.counters;
    let (first, last) = c.span.unwrap_or((0, 0));
    let duration = last.saturating_sub(first) as f64 / 1e9;
    let per_s = |b: f64| if duration > 0.0 { b / duration } else { 0.0 };

    let mut protocols: Vec<ProtocolFigures> = c
        .ip_protocols
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| *n > 0)
        .map(|(i, &(n, b))| (ip_protocol_name(i as u8), n, b))
        .chain(c.other.iter().map(|(&t, &(n, b))| (ether_name(t), n, b)))
        .chain((c.malformed.0 > 0).then(|| ("malformed".to_string(), c.malformed.0, c.malformed.1)))
        .map(|(protocol, packets, bytes)| ProtocolFigures {
            protocol,
            packets,
            bytes,
            share: share(packets, c.packets),
        })
        .collect();
    protocols.sort_by(|a, b| {
        b.packets
            .cmp(&a.packets)
            .then_with(|| a.protocol.cmp(&b.protocol))
    });

    // Pairs: totals, then the protocol split of the busiest.
    let mut totals: HashMap<(IpAddr, IpAddr), (u64, u64)> = HashMap::default();
    for (&(a, b, _), &(n, w)) in &c.pairs {
        let t = totals.entry((a, b)).or_default();
        t.0 += n;
        t.1 += w;
    }
    let mut pairs: Vec<((IpAddr, IpAddr), (u64, u64))> = totals.into_iter().collect();
    pairs.sort_by(|x, y| y.1.1.cmp(&x.1.1).then_with(|| x.0.cmp(&y.0)));
    let ip_pairs = pairs
        .into_iter()
        .take(p.top)
        .map(|((a, b), (n, w))| {
            let mut split: Vec<(String, f64)> = c
                .pairs
                .iter()
                .filter(|((x, y, _), _)| *x == a && *y == b)
                .map(|((_, _, pr), (k, _))| (ip_protocol_name(*pr), share(*k, n)))
                .collect();
            split.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            PairFigures {
                a: a.to_string(),
                b: b.to_string(),
                packets: n,
                bytes: w,
                packet_share: share(n, c.packets),
                byte_share: share(w, c.bytes),
                protocols: OrderedMap(split),
            }
        })
        .collect();
    let mut hosts: Vec<(&IpAddr, &[u64; 4])> = c.hosts.iter().collect();
    hosts.sort_by(|x, y| {
        (y.1[0] + y.1[1])
            .cmp(&(x.1[0] + x.1[1]))
            .then_with(|| x.0.cmp(y.0))
    });
    let hosts = hosts
        .into_iter()
        .take(p.top)
        .map(|(ip, h)| HostFigures {
            ip: ip.to_string(),
            bytes_sent: h[0],
            bytes_received: h[1],
            packets_sent: h[2],
            packets_received: h[3],
        })
        .collect();

    let t = p.conns;
    let rejected = t.rejected;
    let reset = t.reset;
    let n_tcp = t.tcp;
    let services = counts_of(&t.services);
    TrafficSummary {
        file: p.file.to_string(),
        format: p.format,
        link_types: p.link_types.clone(),
        truncated: p.truncated,
        packets: c.packets,
        bytes: c.bytes,
        first: first as f64 / 1e9,
        last: last as f64 / 1e9,
        duration_s: duration,
        throughput_bytes_per_s: per_s(c.bytes as f64),
        throughput_bits_per_s: per_s(8.0 * c.bytes as f64),
        protocols,
        ip_pairs,
        hosts,
        connections: t.records,
        tcp: TcpFigures {
            connections: n_tcp,
            handshakes: t.rtts_ms.len() as u64,
            initial_rtt_ms: Quantiles::of(&t.rtts_ms),
            retransmissions: t.retransmissions,
            segments: t.segments,
            loss_estimate: share(t.retransmissions, t.segments),
            rejected,
            reset,
            rejected_rate: share(rejected, n_tcp),
            reset_rate: share(reset, n_tcp),
        },
        jitter_ms: Quantiles::of(&t.jitter_ms),
        icmp_unreachable: p.icmp_unreachable,
        ip_fragments: p.fragments.0,
        reassembled_datagrams: p.fragments.1,
        wrong_fragments: p.fragments.2,
        flags: OrderedMap(counts_of(&t.flags)),
        services: OrderedMap(services.into_iter().take(p.top).collect()),
        port_scan_threshold: p.threshold,
        scans: t.scans(p.threshold),
        live: None,
    }
}
