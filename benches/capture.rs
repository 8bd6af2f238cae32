//! Speed of `kddstat pcap`: a generated capture of 1,040,000 packets (130,000 TCP connections of
//! eight packets each between 2,000 clients and 50 servers, Ethernet, IPv4), read and summarised
//! in process and as a whole process; and the connection records of the public capture
//! `zeek-echo-connections.pcap.gz` (82,582 packets, from `KDDSTAT_PCAPS`).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kddstat::capture::{CaptureOptions, analyse};

const CONNECTIONS: u32 = 130_000;
const PACKETS_PER_CONNECTION: u32 = 8;

fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Appends one Ethernet/IPv4/TCP frame record to a pcap in memory.
#[allow(clippy::too_many_arguments)]
fn frame(
    out: &mut Vec<u8>,
    ts_us: u64,
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: usize,
) {
    let ip_len = 20 + 20 + payload;
    let len = 14 + ip_len;
    out.extend_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]);
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
    ip[8] = 64;
    ip[9] = 6;
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let c = checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    out.extend_from_slice(&ip);
    out.extend_from_slice(&sport.to_be_bytes());
    out.extend_from_slice(&dport.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&ack.to_be_bytes());
    out.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    out.resize(out.len() + payload, b'x');
}

/// The generated capture: each connection a handshake, a request, a response, and a close.
fn generate() -> Vec<u8> {
    let mut out = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    let (syn, ack, fin, psh) = (0x02u8, 0x10u8, 0x01u8, 0x08u8);
    let mut ts = 1_700_000_000_000_000u64;
    for i in 0..CONNECTIONS {
        let client = [10, 1, (i % 2000 / 250) as u8, (i % 250) as u8 + 1];
        let server = [192, 168, 0, (i % 50) as u8 + 1];
        let (cp, sp) = (
            1024 + (i % 60000) as u16,
            [80u16, 443, 22, 25, 53][(i % 5) as usize],
        );
        let (c0, s0) = (i.wrapping_mul(2_654_435_761), i.wrapping_mul(40_503));
        let steps: [(bool, u8, usize); 8] = [
            (true, syn, 0),
            (false, syn | ack, 0),
            (true, ack, 0),
            (true, psh | ack, 120),
            (false, psh | ack, 900),
            (true, fin | ack, 0),
            (false, fin | ack, 0),
            (true, ack, 0),
        ];
        let (mut cs, mut ss) = (c0, s0);
        for (from_client, flags, payload) in steps {
            ts += 37;
            let seq = if from_client { &mut cs } else { &mut ss };
            let current = *seq;
            *seq = seq.wrapping_add(payload as u32 + u32::from(flags & (syn | fin) != 0));
            if from_client {
                frame(
                    &mut out, ts, client, server, cp, sp, current, ss, flags, payload,
                );
            } else {
                frame(
                    &mut out, ts, server, client, sp, cp, current, cs, flags, payload,
                );
            }
        }
    }
    out
}

fn capture_file() -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-1040000-packets.pcap");
    if !path.is_file() {
        std::fs::write(&path, generate()).expect("writing the generated capture");
    }
    path
}

fn benches(c: &mut Criterion) {
    let path = capture_file();
    let bytes = std::fs::read(&path).expect("reading the generated capture");
    let packets = u64::from(CONNECTIONS * PACKETS_PER_CONNECTION);
    let mut g = c.benchmark_group("pcap");
    g.sample_size(10);
    g.throughput(Throughput::Elements(packets));
    g.bench_function("summarise 1,040,000 packets in process", |b| {
        b.iter(|| analyse("bench", black_box(&bytes), &CaptureOptions::default()).expect("analyse"))
    });
    g.bench_function("kddstat pcap on 1,040,000 packets (whole process)", |b| {
        b.iter(|| {
            let out = Command::new(env!("CARGO_BIN_EXE_kddstat"))
                .args(["pcap", "--quiet", "--format", "json"])
                .arg(&path)
                .output()
                .expect("running kddstat");
            assert!(out.status.success());
        })
    });
    g.finish();

    let Some(dir) = std::env::var_os("KDDSTAT_PCAPS").map(PathBuf::from) else {
        eprintln!("SKIPPED: set KDDSTAT_PCAPS to ../shared/pcaps for the echo-connections bench");
        return;
    };
    let echo = dir.join("zeek-echo-connections.pcap.gz");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("echo-records.csv");
    let mut g = c.benchmark_group("records");
    g.sample_size(20);
    g.bench_function(
        "kddstat pcap zeek-echo-connections.pcap.gz -o records.csv (whole process)",
        |b| {
            b.iter(|| {
                let status = Command::new(env!("CARGO_BIN_EXE_kddstat"))
                    .args(["pcap", "--quiet", "--force", "-o"])
                    .arg(&out)
                    .arg(&echo)
                    .stdout(std::process::Stdio::null())
                    .status()
                    .expect("running kddstat");
                assert!(status.success());
            })
        },
    );
    g.finish();
}

criterion_group!(capture_benches, benches);
criterion_main!(capture_benches);
