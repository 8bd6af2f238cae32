//! Synthetic traffic written as a pcap file, for the live tests and benches: connections of every
//! kind the engine tells apart, overlapping in time, ending in every way (FIN, RST, idle timeouts,
//! the end of the capture), with port reuse and a scan. Deterministic for a seed.
//!
//! Kinds (by a hash of the connection's number): a full TCP exchange closed by FINs (45%), an
//! unanswered SYN retransmitted after 1 s and 3 s (10%), a SYN rejected by RST-ACK (10%), a DNS
//! query and answer (15%), a UDP flow resumed after 12 s of silence (an idle timeout between its
//! two halves, 5%), an ICMP echo and reply (5%), a long TCP session with a packet every 30 s for
//! 2 minutes and no FIN (5%), a TCP connection reset by its originator after data (5%); one
//! source scans 200 ports of one host at the start.

use std::io::Write;

/// An event: time (ns), the connection, the step within it.
#[derive(Clone, Copy)]
struct Event {
    ts: i64,
    conn: u32,
    step: u8,
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Full,
    Syn,
    Rej,
    Dns,
    UdpGap,
    Icmp,
    Long,
    Reset,
    Scan,
}

fn kind(seed: u64, c: u32, scans: u32) -> Kind {
    if c < scans {
        return Kind::Scan;
    }
    match mix(seed ^ u64::from(c)) % 100 {
        0..45 => Kind::Full,
        45..55 => Kind::Syn,
        55..65 => Kind::Rej,
        65..80 => Kind::Dns,
        80..85 => Kind::UdpGap,
        85..90 => Kind::Icmp,
        90..95 => Kind::Long,
        _ => Kind::Reset,
    }
}

/// Offsets (ns from the connection's start) of each step of a kind.
fn steps(k: Kind, r: u64) -> Vec<i64> {
    let ms = 1_000_000i64;
    let gap = (r % 50) as i64 * ms + ms;
    match k {
        Kind::Full => (0..8).map(|i| i * gap).collect(),
        Kind::Syn => vec![0, 1000 * ms, 3000 * ms],
        Kind::Rej | Kind::Dns | Kind::Icmp | Kind::Scan => vec![0, gap],
        Kind::UdpGap => vec![0, gap, 12_000 * ms, 12_000 * ms + gap],
        Kind::Long => (0..5).map(|i| i * 30_000 * ms).collect(),
        Kind::Reset => (0..5).map(|i| i * gap).collect(),
    }
}

const ETH: [u8; 14] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];

fn checksum(b: &[u8]) -> u16 {
    let mut s: u32 = b
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// Writes one Ethernet/IPv4 frame into `out`.
fn frame(out: &mut Vec<u8>, src: [u8; 4], dst: [u8; 4], proto: u8, transport: &[u8]) {
    out.clear();
    out.extend(ETH);
    let len = (20 + transport.len()) as u16;
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&len.to_be_bytes());
    ip[8] = 64;
    ip[9] = proto;
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    out.extend(ip);
    out.extend(transport);
}

fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: usize) -> Vec<u8> {
    let mut t = vec![0u8; 20 + payload];
    t[0..2].copy_from_slice(&sport.to_be_bytes());
    t[2..4].copy_from_slice(&dport.to_be_bytes());
    t[4..8].copy_from_slice(&seq.to_be_bytes());
    t[8..12].copy_from_slice(&ack.to_be_bytes());
    t[12] = 5 << 4;
    t[13] = flags;
    t[14..16].copy_from_slice(&65535u16.to_be_bytes());
    t
}

fn udp(sport: u16, dport: u16, payload: usize) -> Vec<u8> {
    let mut t = vec![0u8; 8 + payload];
    t[0..2].copy_from_slice(&sport.to_be_bytes());
    t[2..4].copy_from_slice(&dport.to_be_bytes());
    t[4..6].copy_from_slice(&((8 + payload) as u16).to_be_bytes());
    t
}

const SERVICES: [u16; 8] = [80, 443, 22, 21, 25, 8080, 110, 23];
const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

/// The frame of step `step` of connection `c` (the transport header and payload, with the
/// addresses).
fn packet(seed: u64, c: u32, k: Kind, step: u8, out: &mut Vec<u8>) {
    let r = mix(seed.wrapping_add(u64::from(c)).wrapping_mul(31));
    let client = [10, 1, (r >> 8) as u8 % 16, (r >> 16) as u8];
    let server = [10, 2, 0, (r >> 24) as u8 % 64];
    // Client ports cycle, so that ports are reused by later connections.
    let cport = 20_000 + (c % 30_000) as u16;
    let sport = SERVICES[(r >> 32) as usize % SERVICES.len()];
    let (cs, ss) = (1000u32, 5000u32);
    let data = 100 + (r >> 40) as usize % 900;
    let s = step;
    let (from_client, t, proto) = match k {
        Kind::Full => match s {
            0 => (true, tcp(cport, sport, cs, 0, SYN, 0), 6),
            1 => (false, tcp(sport, cport, ss, cs + 1, SYN | ACK, 0), 6),
            2 => (true, tcp(cport, sport, cs + 1, ss + 1, ACK, 0), 6),
            3 => (true, tcp(cport, sport, cs + 1, ss + 1, PSH | ACK, data), 6),
            4 => (
                false,
                tcp(
                    sport,
                    cport,
                    ss + 1,
                    cs + 1 + data as u32,
                    PSH | ACK,
                    2 * data,
                ),
                6,
            ),
            5 => (
                true,
                tcp(
                    cport,
                    sport,
                    cs + 1 + data as u32,
                    ss + 1 + 2 * data as u32,
                    FIN | ACK,
                    0,
                ),
                6,
            ),
            6 => (
                false,
                tcp(
                    sport,
                    cport,
                    ss + 1 + 2 * data as u32,
                    cs + 2 + data as u32,
                    FIN | ACK,
                    0,
                ),
                6,
            ),
            _ => (
                true,
                tcp(
                    cport,
                    sport,
                    cs + 2 + data as u32,
                    ss + 2 + 2 * data as u32,
                    ACK,
                    0,
                ),
                6,
            ),
        },
        Kind::Syn => (true, tcp(cport, sport, cs, 0, SYN, 0), 6),
        Kind::Rej => match s {
            0 => (true, tcp(cport, sport, cs, 0, SYN, 0), 6),
            _ => (false, tcp(sport, cport, 0, cs + 1, RST | ACK, 0), 6),
        },
        Kind::Scan => {
            let port = 1 + (c % 200) as u16;
            let scanner = [10, 9, 9, 9];
            let target = [10, 2, 0, 1];
            let (from, t) = match s {
                0 => (true, tcp(40_000, port, cs, 0, SYN, 0)),
                _ => (false, tcp(port, 40_000, 0, cs + 1, RST | ACK, 0)),
            };
            let (a, b) = if from {
                (scanner, target)
            } else {
                (target, scanner)
            };
            frame(out, a, b, 6, &t);
            return;
        }
        Kind::Dns | Kind::UdpGap => {
            let from = s % 2 == 0;
            let t = if from {
                udp(cport, 53, 30)
            } else {
                udp(53, cport, 120)
            };
            (from, t, 17)
        }
        Kind::Icmp => {
            let mut t = vec![0u8; 8 + 56];
            t[0] = if s == 0 { 8 } else { 0 };
            (s == 0, t, 1)
        }
        Kind::Long => (
            s % 2 == 0,
            if s % 2 == 0 {
                tcp(cport, 22, cs + u32::from(s) * 50, ss, PSH | ACK, 48)
            } else {
                tcp(22, cport, ss + u32::from(s) * 50, cs, PSH | ACK, 48)
            },
            6,
        ),
        Kind::Reset => match s {
            0 => (true, tcp(cport, sport, cs, 0, SYN, 0), 6),
            1 => (false, tcp(sport, cport, ss, cs + 1, SYN | ACK, 0), 6),
            2 => (true, tcp(cport, sport, cs + 1, ss + 1, ACK, 0), 6),
            3 => (true, tcp(cport, sport, cs + 1, ss + 1, PSH | ACK, data), 6),
            _ => (true, tcp(cport, sport, cs + 1 + data as u32, 0, RST, 0), 6),
        },
    };
    let (a, b) = if from_client {
        (client, server)
    } else {
        (server, client)
    };
    frame(out, a, b, proto, &t);
}

/// Writes a capture of `connections` connections starting at `per_second` a second to `w`;
/// returns the number of packets.
pub fn write_capture(w: &mut impl Write, connections: u32, per_second: u32, seed: u64) -> u64 {
    let scans = 200.min(connections);
    let mut events: Vec<Event> = Vec::new();
    let t0: i64 = 1_700_000_000 * 1_000_000_000;
    let every = 1_000_000_000 / i64::from(per_second.max(1));
    for c in 0..connections {
        let k = kind(seed, c, scans);
        let r = mix(seed ^ u64::from(c) << 1);
        let start = t0 + i64::from(c) * every + (r % 1000) as i64;
        for (i, off) in steps(k, r).into_iter().enumerate() {
            events.push(Event {
                ts: start + off,
                conn: c,
                step: i as u8,
            });
        }
    }
    events.sort_by_key(|e| (e.ts, e.conn, e.step));
    let mut header = Vec::new();
    header.extend(0xa1b2_3c4du32.to_le_bytes());
    header.extend(2u16.to_le_bytes());
    header.extend(4u16.to_le_bytes());
    header.extend([0u8; 8]);
    header.extend(65535u32.to_le_bytes());
    header.extend(1u32.to_le_bytes());
    w.write_all(&header).unwrap();
    let mut buf = Vec::with_capacity(2048);
    for e in &events {
        packet(seed, e.conn, kind(seed, e.conn, scans), e.step, &mut buf);
        let mut rec = [0u8; 16];
        rec[0..4].copy_from_slice(&((e.ts / 1_000_000_000) as u32).to_le_bytes());
        rec[4..8].copy_from_slice(&((e.ts % 1_000_000_000) as u32).to_le_bytes());
        rec[8..12].copy_from_slice(&(buf.len() as u32).to_le_bytes());
        rec[12..16].copy_from_slice(&(buf.len() as u32).to_le_bytes());
        w.write_all(&rec).unwrap();
        w.write_all(&buf).unwrap();
    }
    events.len() as u64
}
