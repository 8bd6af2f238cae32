//! `kddstat pcap`: figures compared with capinfos and tshark on the public captures of
//! `../shared/pcaps`, Zeek's published connection states, hand-built captures for every link type
//! and error, the records read by the other commands, the report folder, and a real scan captured
//! on the loopback interface.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command as Process;

use common::{fixture, kddstat, pcaps, stdout_of};
use serde_json::Value;

/// A tool on the PATH, or a skip (a failure under CI).
fn tool(name: &str) -> bool {
    let found = Process::new(name).arg("--version").output().is_ok();
    if !found {
        common::missing(
            name,
            "install it (.ci/run does: apt-get install tshark tcpdump nmap)",
        );
    }
    found
}

fn summary(path: &Path) -> Value {
    let out = stdout_of(
        kddstat()
            .args(["pcap", "--format", "json", "--quiet"])
            .arg(path),
    );
    serde_json::from_slice(&out).unwrap()
}

const CAPTURES: [&str; 21] = [
    "pcap-parser-ntp.pcap",
    "pcap-parser-test001-be.pcapng",
    "pcap-parser-test001-le.pcapng",
    "pcap-parser-wireshark_samples-test.pcapng",
    "tcpdump-tcp-handshake-nano.pcap",
    "zeek-echo-connections.pcap.gz",
    "zeek-ftp-bruteforce.pcap",
    "zeek-http-get.pcap",
    "zeek-icmp-5-pings.pcap",
    "zeek-ipv4-fragmented-3.pcap",
    "zeek-ipv6-fragmented-dns.pcap",
    "zeek-linux_dlt_sll2.pcap",
    "zeek-tcp-no-handshake.pcap",
    "zeek-tcp-retransmit-fast009.pcap",
    "zeek-tcp-single-rst.pcap",
    "zeek-tcp-ssh-dups.pcap",
    "zeek-tcp-syn-then-ack-then-rst.pcap",
    "zeek-tcp-syn-then-rst.pcap",
    "zeek-tcp-syn-then-stuff-then-rst.pcap",
    "zeek-tcp-syn.pcap",
    "zeek-wikipedia.pcap",
];

#[test]
fn totals_equal_capinfos() {
    let Some(dir) = pcaps() else { return };
    if !tool("capinfos") {
        return;
    }
    for name in CAPTURES {
        let path = dir.join(name);
        // capinfos -T -r: tab-separated, no header; -c packets, -d bytes, -u duration.
        let out = Process::new("capinfos")
            .args(["-T", "-r", "-M", "-c", "-d", "-u"])
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = text.trim().split('\t').collect();
        let (packets, bytes, duration): (u64, u64, f64) = (
            fields[1].trim().parse().unwrap(),
            fields[2].trim().parse().unwrap(),
            fields[3].trim().parse().unwrap(),
        );
        let s = summary(&path);
        assert_eq!(s["packets"], packets, "{name}");
        assert_eq!(s["bytes"], bytes, "{name}");
        let d = s["duration_s"].as_f64().unwrap();
        assert!((d - duration).abs() < 1e-6, "{name}: {d} vs {duration}");
    }
}

/// tshark's figures: frames and bytes per IP pair, retransmissions, initial RTTs.
#[test]
fn pairs_retransmissions_and_rtt_equal_tshark() {
    let Some(dir) = pcaps() else { return };
    if !tool("tshark") {
        return;
    }
    let tshark = |path: &Path, args: &[&str]| -> String {
        let out = Process::new("tshark")
            .arg("-r")
            .arg(path)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for name in CAPTURES {
        let path = dir.join(name);
        let s = summary(&path);
        // Pairs: frames and bytes per unordered address pair, from tshark's dissection of every
        // frame's IP addresses and length (`-z conv,ip` prints rounded kB).
        let mut pairs: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
        for line in tshark(
            &path,
            &[
                "-T",
                "fields",
                "-e",
                "ip.src",
                "-e",
                "ip.dst",
                "-e",
                "ipv6.src",
                "-e",
                "ipv6.dst",
                "-e",
                "frame.len",
            ],
        )
        .lines()
        {
            let f: Vec<&str> = line.split('\t').collect();
            let (a, b) = if !f[0].is_empty() {
                (f[0], f[1])
            } else {
                (f[2], f[3])
            };
            if a.is_empty() || a.contains(',') || f[4].contains(',') {
                continue; // not IP, or tunnelled (two IP layers)
            }
            let key = if a <= b {
                (a.to_string(), b.to_string())
            } else {
                (b.to_string(), a.to_string())
            };
            let e = pairs.entry(key).or_default();
            e.0 += 1;
            e.1 += f[4].parse::<u64>().unwrap();
        }
        for p in s["ip_pairs"].as_array().unwrap() {
            let (a, b) = (p["a"].as_str().unwrap(), p["b"].as_str().unwrap());
            // kddstat orders addresses as values, tshark's text as strings: look up both ways.
            let found = pairs
                .get(&(a.to_string(), b.to_string()))
                .or_else(|| pairs.get(&(b.to_string(), a.to_string())))
                .unwrap_or_else(|| panic!("{name}: pair {a} {b} not in tshark's"));
            assert_eq!(
                (p["packets"].as_u64().unwrap(), p["bytes"].as_u64().unwrap()),
                *found,
                "{name} {a} {b}"
            );
        }
        let retrans = tshark(&path, &["-Y", "tcp.analysis.retransmission"])
            .lines()
            .count();
        assert_eq!(s["tcp"]["retransmissions"], retrans as u64, "{name}");
        // Initial RTT of each TCP stream, in ms.
        let mut rtts: BTreeMap<u64, f64> = BTreeMap::new();
        for line in tshark(
            &path,
            &[
                "-Y",
                "tcp.analysis.initial_rtt",
                "-T",
                "fields",
                "-e",
                "tcp.stream",
                "-e",
                "tcp.analysis.initial_rtt",
            ],
        )
        .lines()
        {
            let (stream, rtt) = line.split_once('\t').unwrap();
            rtts.insert(stream.parse().unwrap(), rtt.parse::<f64>().unwrap() * 1e3);
        }
        let q = &s["tcp"]["initial_rtt_ms"];
        if rtts.is_empty() {
            assert!(q.is_null(), "{name}");
            continue;
        }
        let v: Vec<f64> = rtts.values().copied().collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(0.0, f64::max);
        assert_eq!(q["count"], v.len() as u64, "{name}");
        for (ours, theirs) in [
            (q["min"].as_f64().unwrap(), min),
            (q["max"].as_f64().unwrap(), max),
            (q["mean"].as_f64().unwrap(), mean),
        ] {
            assert!(
                (ours - theirs).abs() < 1e-6,
                "{name}: RTT {ours} vs tshark {theirs}"
            );
        }
    }
}

#[test]
fn flags_equal_zeeks_published_states() {
    let Some(dir) = pcaps() else { return };
    for (name, flag) in [
        ("zeek-tcp-single-rst.pcap", "OTH"),
        ("zeek-tcp-syn-then-rst.pcap", "RSTOS0"),
        ("zeek-tcp-syn-then-ack-then-rst.pcap", "RSTOS0"),
        ("zeek-tcp-syn-then-stuff-then-rst.pcap", "OTH"),
        ("zeek-tcp-syn.pcap", "S0"),
    ] {
        let s = summary(&dir.join(name));
        assert_eq!(s["flags"], serde_json::json!({ flag: 1 }), "{name}");
    }
    // The FTP brute force: 30 sessions, each one failed login, none logged in.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c.csv");
    kddstat()
        .args(["pcap", "--quiet"])
        .arg(dir.join("zeek-ftp-bruteforce.pcap"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let text = fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 30);
    assert!(
        rows.iter()
            .all(|r| r[2] == "ftp" && r[10] == "1" && r[11] == "0" && r[41] == "unknown")
    );
    // Reassembled IPv6 fragments: the 3,230-byte DNS answer.
    let s = summary(&dir.join("zeek-ipv6-fragmented-dns.pcap"));
    assert_eq!(s["reassembled_datagrams"], 1);
    assert_eq!(s["connections"], 2);
}

#[test]
fn records_are_read_by_the_other_commands() {
    let Some(dir) = pcaps() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("conns.csv");
    kddstat()
        .args(["pcap", "--quiet"])
        .arg(dir.join("zeek-echo-connections.pcap.gz"))
        .arg("-o")
        .arg(&csv)
        .assert()
        .success();
    let d: Value = serde_json::from_slice(&stdout_of(
        kddstat().args(["describe", "--format", "json"]).arg(&csv),
    ))
    .unwrap();
    assert_eq!(d["files"][0]["rows"], 500);
    // A model fitted on the hand-written fixture scores the rebuilt records.
    let model = tmp.path().join("m.json");
    kddstat()
        .args(["fit", "--quiet", "--detector", "zscore"])
        .arg(fixture("report_train.txt"))
        .arg("-o")
        .arg(&model)
        .assert()
        .success();
    let scores = stdout_of(kddstat().args(["score", "--model"]).arg(&model).arg(&csv));
    assert_eq!(String::from_utf8_lossy(&scores).lines().count(), 501);
    // --endpoints: a header and five more columns, in record order.
    let wide = tmp.path().join("wide.csv");
    kddstat()
        .args(["pcap", "--quiet", "--endpoints"])
        .arg(dir.join("zeek-http-get.pcap"))
        .arg("-o")
        .arg(&wide)
        .assert()
        .success();
    let text = fs::read_to_string(&wide).unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with(",label,start_time,src_ip,src_port,dst_ip,dst_port")
    );
    assert_eq!(lines.next().unwrap().split(',').count(), 47);
    // An existing output is not replaced without --force.
    kddstat()
        .args(["pcap", "--quiet"])
        .arg(dir.join("zeek-http-get.pcap"))
        .arg("-o")
        .arg(&wide)
        .assert()
        .code(2);
}

#[test]
fn report_folder_with_scores() {
    let Some(dir) = pcaps() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("m.json");
    kddstat()
        .args(["fit", "--quiet", "--detector", "iforest"])
        .arg(fixture("report_train.txt"))
        .arg("-o")
        .arg(&model)
        .assert()
        .success();
    let out = tmp.path().join("r");
    kddstat()
        .args(["pcap", "--quiet", "--port-scan-threshold", "2", "--report"])
        .arg(&out)
        .arg("--model")
        .arg(&model)
        .arg(dir.join("zeek-wikipedia.pcap"))
        .assert()
        .success();
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    for part in [
        "traffic.svg",
        "protocols.svg",
        "talkers.svg",
        "talkers-over-time.svg",
        "flags.svg",
        "services.svg",
        "scores.svg",
    ] {
        assert!(html.contains(&format!("plots/{part}")), "{part}");
        assert!(out.join("plots").join(part).is_file(), "{part}");
    }
    let s: Value = serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["traffic"]["packets"], 136);
    assert_eq!(s["scores"]["records"], s["traffic"]["connections"]);
    let total: u64 = s["bytes_per_second"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_u64().unwrap())
        .sum();
    assert_eq!(total, 25_260);
}

/// A pcap file (microseconds, little-endian) of link type `link` holding `frames`.
fn pcap_file(link: u32, frames: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&link.to_le_bytes());
    for (i, (usec, data)) in frames.iter().enumerate() {
        v.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        v.extend_from_slice(&usec.to_le_bytes());
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
    }
    v
}

/// An IPv4 header (checksum filled in unless `bad_checksum`) and a TCP header with `flags`.
fn ipv4_tcp(
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    flags: u8,
    payload: &[u8],
    bad_checksum: bool,
) -> Vec<u8> {
    let total = 20 + 20 + payload.len();
    let mut ip = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        1,
        0,
        0,
        64,
        6,
        0,
        0,
    ];
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let mut sum: u32 = ip
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let ck = !(sum as u16) ^ u16::from(bad_checksum);
    ip[10..12].copy_from_slice(&ck.to_be_bytes());
    let mut tcp = Vec::new();
    tcp.extend_from_slice(&sport.to_be_bytes());
    tcp.extend_from_slice(&dport.to_be_bytes());
    tcp.extend_from_slice(&1000u32.to_be_bytes());
    tcp.extend_from_slice(&0u32.to_be_bytes());
    tcp.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    ip.extend_from_slice(&tcp);
    ip.extend_from_slice(payload);
    ip
}

fn run_on(bytes: &[u8], extra: &[&str]) -> (i32, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("c.pcap");
    fs::write(&p, bytes).unwrap();
    let out = kddstat().arg("pcap").arg(&p).args(extra).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).replace(&p.display().to_string(), "c.pcap"),
        String::from_utf8_lossy(&out.stderr).replace(&p.display().to_string(), "c.pcap"),
    )
}

#[test]
fn every_link_type_land_urgent_and_bad_checksums() {
    // A land SYN with URG, then a packet with a bad IPv4 checksum: not a wrong fragment (the KDD
    // data counts fragments; checksum offload leaves 0x0000 checksums on ordinary traffic).
    let land = ipv4_tcp([10, 0, 0, 1], [10, 0, 0, 1], 139, 139, 0x22, &[], false);
    let bad = ipv4_tcp([10, 0, 0, 2], [10, 0, 0, 3], 5000, 80, 0x02, &[], true);
    let eth = |payload: &[u8], vlan: bool| {
        let mut f = vec![0u8; 12];
        if vlan {
            f.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
        }
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(payload);
        f
    };
    let sll = |payload: &[u8]| {
        let mut f = vec![0u8; 14];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(payload);
        f
    };
    let null = |payload: &[u8]| {
        let mut f = 2u32.to_le_bytes().to_vec();
        f.extend_from_slice(payload);
        f
    };
    for (link, frames) in [
        (1u32, vec![eth(&land, false), eth(&bad, true)]),
        (113, vec![sll(&land), sll(&bad)]),
        (101, vec![land.clone(), bad.clone()]),
        (0, vec![null(&land), null(&bad)]),
    ] {
        let file = pcap_file(
            link,
            &frames.into_iter().map(|f| (0, f)).collect::<Vec<_>>(),
        );
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("c.pcap");
        let csv = tmp.path().join("c.csv");
        fs::write(&p, &file).unwrap();
        let s: Value = serde_json::from_slice(&stdout_of(
            kddstat()
                .args(["pcap", "--format", "json", "-o"])
                .arg(&csv)
                .arg(&p),
        ))
        .unwrap();
        assert_eq!(s["packets"], 2, "link {link}");
        assert_eq!(s["wrong_fragments"], 0, "link {link}");
        let text = fs::read_to_string(&csv).unwrap();
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 2, "link {link}");
        // duration,protocol_type,service,flag,src_bytes,dst_bytes,land,wrong_fragment,urgent
        assert_eq!(
            rows[0][..9],
            ["0", "tcp", "netbios_ssn", "S0", "0", "0", "1", "0", "1"],
            "link {link}"
        );
        assert_eq!(
            rows[1][..9],
            ["0", "tcp", "http", "S0", "0", "0", "0", "0", "0"],
            "link {link}"
        );
    }
}

#[test]
fn bad_captures_fail_in_one_line_and_truncation_warns() {
    let (code, _, err) = run_on(b"0,tcp,http,SF\n", &[]);
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "kddstat: error: c.pcap: not a pcap or pcapng capture (unknown magic number)\n"
        )
    );
    let (code, _, err) = run_on(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0], &[]);
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "kddstat: error: c.pcap: a corrupt pcap file header at byte 0\n"
        )
    );
    let frame = ipv4_tcp([1, 1, 1, 1], [2, 2, 2, 2], 1, 2, 2, &[], false);
    let (code, _, err) = run_on(&pcap_file(147, &[(0, frame.clone())]), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "kddstat: error: c.pcap: unsupported link type 147 (LINKTYPE 147); kddstat reads Ethernet, Linux cooked (v1, v2), raw IP and BSD loopback captures\n"
    );
    // A truncated last record: the rest is processed and a warning says so.
    let mut file = pcap_file(101, &[(0, frame.clone()), (0, frame.clone())]);
    file.truncate(file.len() - 7);
    let (code, out, err) = run_on(&file, &["--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        "kddstat: warning: c.pcap: the last packet record is truncated; it was skipped and the rest analysed\n"
    );
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (s["packets"].as_u64(), s["truncated"].as_bool()),
        (Some(1), Some(true))
    );
    // Garbage after valid headers never panics: exit 0 or 1, one line on error.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for magic in [
        &[0xd4u8, 0xc3, 0xb2, 0xa1][..],
        &[0x0a, 0x0d, 0x0d, 0x0a][..],
    ] {
        for len in [8usize, 24, 40, 100, 400] {
            let mut v = magic.to_vec();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                v.push(seed as u8);
            }
            let (code, _, err) = run_on(&v, &[]);
            assert!(
                code == 0 || (code == 1 && err.lines().count() == 1),
                "{code}: {err}"
            );
        }
    }
}

#[test]
fn json_contract_of_the_summary() {
    let frame = |sport: u16, dport: u16| {
        ipv4_tcp([10, 0, 0, 9], [10, 0, 0, 7], sport, dport, 0x02, &[], false)
    };
    let frames: Vec<(u32, Vec<u8>)> = (1..=5u16).map(|p| (0, frame(40000, p))).collect();
    let (code, out, err) = run_on(
        &pcap_file(101, &frames),
        &["--format", "json", "--port-scan-threshold", "5"],
    );
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(&out).unwrap();
    for key in [
        "packets",
        "bytes",
        "duration_s",
        "scans",
        "protocols",
        "ip_pairs",
        "hosts",
        "tcp",
        "flags",
    ] {
        assert!(s.get(key).is_some(), "{key}");
    }
    assert_eq!(s["packets"], 5);
    assert_eq!(s["bytes"], 200);
    assert_eq!(s["duration_s"], 4.0);
    assert_eq!(
        s["scans"],
        serde_json::json!([{
            "kind": "vertical", "src": "10.0.0.9", "dst": "10.0.0.7", "distinct_ports": 5,
            "first": 1_700_000_000.0, "last": 1_700_000_004.0
        }])
    );
    // One port on many hosts: a horizontal scan.
    let frames: Vec<(u32, Vec<u8>)> = (1..=5u8)
        .map(|h| {
            (
                0,
                ipv4_tcp([10, 0, 0, 9], [10, 0, 1, h], 40000, 22, 0x02, &[], false),
            )
        })
        .collect();
    let (_, out, _) = run_on(
        &pcap_file(101, &frames),
        &["--format", "json", "--port-scan-threshold", "5"],
    );
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["scans"][0]["kind"], "horizontal");
    assert_eq!(s["scans"][0]["port"], 22);
    assert_eq!(s["scans"][0]["distinct_hosts"], 5);
    let (code, out, _) = run_on(&pcap_file(101, &frames), &["--port-scan-threshold", "5"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("pcap_table", out);
}

/// Captures a real nmap scan of 127.0.0.1 with tcpdump on the loopback interface.
#[test]
fn a_real_loopback_scan_is_found() {
    let root = std::env::var("USER").map(|u| u == "root").unwrap_or(false)
        || Process::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0"))
            .unwrap_or(false);
    if !root {
        common::missing("root", "capturing on the loopback interface needs root");
        return;
    }
    if !tool("tcpdump") || !tool("nmap") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let capture = tmp.path().join("scan.pcap");
    // Only traffic of 127.0.0.1 on the loopback interface is captured and made.
    let mut dump = Process::new("tcpdump")
        .args(["-i", "lo", "-U", "-n", "-B", "32768", "-w"])
        .arg(&capture)
        .args(["host", "127.0.0.1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until tcpdump listens (it writes the file header first).
    for _ in 0..100 {
        if fs::metadata(&capture)
            .map(|m| m.len() >= 24)
            .unwrap_or(false)
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let scan = Process::new("nmap")
        .args([
            "-n",
            "-Pn",
            "-sS",
            "-p",
            "1-1000",
            "--max-retries",
            "0",
            "127.0.0.1",
        ])
        .output()
        .unwrap();
    assert!(
        scan.status.success(),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _ = Process::new("kill")
        .args(["-INT", &dump.id().to_string()])
        .status();
    let _ = dump.wait();
    let csv = tmp.path().join("scan.csv");
    let s: Value = serde_json::from_slice(&stdout_of(
        kddstat()
            .args(["pcap", "--format", "json", "--quiet", "-o"])
            .arg(&csv)
            .arg(&capture),
    ))
    .unwrap();
    let scan = s["scans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "vertical" && x["src"] == "127.0.0.1" && x["dst"] == "127.0.0.1")
        .unwrap_or_else(|| panic!("no vertical scan found: {}", s["scans"]));
    // nmap probes the 1,000 ports once each; a few probes may be lost by the capture buffer.
    let ports = scan["distinct_ports"].as_u64().unwrap();
    assert!(ports >= 500, "{scan}");
    // Closed ports answer the SYN with a RST (REJ); ports nobody answers stay S0; open ports
    // (SYN, SYN-ACK, RST from the scanner) are RSTO.
    let flags = s["flags"].as_object().unwrap();
    let rej = flags.get("REJ").and_then(Value::as_u64).unwrap_or(0);
    let s0 = flags.get("S0").and_then(Value::as_u64).unwrap_or(0);
    assert!(rej + s0 >= ports * 9 / 10, "{flags:?}");
    assert!(
        flags
            .keys()
            .all(|f| ["REJ", "S0", "RSTO", "RSTOS0", "SF", "OTH"].contains(&f.as_str())),
        "{flags:?}"
    );
    // The records carry the same flags and high REJ rates.
    let text = fs::read_to_string(&csv).unwrap();
    let rej_rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r[3] == "REJ")
        .collect();
    assert_eq!(rej_rows.len() as u64, rej);
    // At the end of the scan, the last 100 connections to the host are nearly all rejections.
    let last = rej_rows.last().unwrap();
    assert!(
        last[39].parse::<f64>().unwrap() >= 0.9,
        "dst_host_rerror_rate {}",
        last[39]
    );
}

#[test]
fn the_capture_report_starts_with_findings_drawn_from_its_figures() {
    let Some(dir) = pcaps() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("m.json");
    kddstat()
        .args(["fit", "-q", "--detectors", "zscore", "--train"])
        .arg(fixture("report_train.txt"))
        .arg("-o")
        .arg(&model)
        .assert()
        .success();
    for capture in ["zeek-ftp-bruteforce.pcap", "zeek-wikipedia.pcap"] {
        let out = tmp.path().join(capture);
        kddstat()
            .args(["pcap", "-q"])
            .arg(dir.join(capture))
            .arg("--report")
            .arg(&out)
            .arg("--model")
            .arg(&model)
            .assert()
            .success();
        common::check_svg_text(&out);
        common::browser::check_widths(&out, None);
        let page = std::fs::read_to_string(out.join("index.html")).unwrap();
        let first = page.find("<section id=").unwrap();
        assert!(page[first..].starts_with("<section id=\"findings\">"));
        assert!(
            !page.contains(dir.to_str().unwrap()),
            "an absolute path on the page"
        );
        let s: Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        let of = |id: &str| {
            s["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == id)
                .cloned()
                .unwrap_or_else(|| panic!("no finding {id}"))
        };
        assert_eq!(
            of("scans")["figures"]["scans"].as_u64().unwrap() as usize,
            s["traffic"]["scans"].as_array().unwrap().len()
        );
        assert_eq!(
            of("top_talker")["figures"]["ip"],
            s["traffic"]["hosts"][0]["ip"]
        );
        assert_eq!(
            of("flagged_connections")["figures"]["flagged"],
            s["scores"]["flagged"]
        );
        assert!(
            of("content_features")["text"]
                .as_str()
                .unwrap()
                .contains("always 0")
        );
    }
}

/// The points of every coloured `<polyline>` of an SVG (black ones are axes and ticks).
fn polylines(svg: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline")
        .skip(1)
        .filter(|p| {
            !p.split('>')
                .next()
                .unwrap_or("")
                .contains("stroke=\"#000000\"")
        })
        .filter_map(|p| {
            let pts = p.split("points=\"").nth(1)?.split('"').next()?;
            Some(
                pts.split_whitespace()
                    .filter_map(|xy| {
                        let (x, y) = xy.split_once(',')?;
                        Some((x.parse().ok()?, y.parse().ok()?))
                    })
                    .collect(),
            )
        })
        .collect()
}

/// A capture of frames at `(seconds, microseconds)` (raw IP link), each a TCP segment.
fn timed_capture(times: &[(u32, u32)]) -> Vec<u8> {
    let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&101u32.to_le_bytes());
    for (i, &(sec, usec)) in times.iter().enumerate() {
        let data = ipv4_tcp(
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            40000 + i as u16,
            80,
            0x02,
            b"",
            false,
        );
        v.extend_from_slice(&sec.to_le_bytes());
        v.extend_from_slice(&usec.to_le_bytes());
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(&data);
    }
    v
}

#[test]
fn short_and_single_packet_captures_draw_their_time_charts() {
    // 0.28 s starting mid-second (so that epoch-second buckets would split it), and one packet.
    let short: Vec<(u32, u32)> = (0..29)
        .map(|i| {
            let us = 700_000 + i * 10_000;
            (1_700_000_000 + us / 1_000_000, us % 1_000_000)
        })
        .collect();
    for (name, times) in [("short", short), ("single", vec![(1_700_000_000, 5)])] {
        let tmp = tempfile::tempdir().unwrap();
        let cap = tmp.path().join(format!("{name}.pcap"));
        fs::write(&cap, timed_capture(&times)).unwrap();
        let out = tmp.path().join("r");
        kddstat()
            .args(["pcap", "-q"])
            .arg(&cap)
            .arg("--report")
            .arg(&out)
            .assert()
            .success();
        common::check_svg_text(&out);
        for chart in ["traffic.svg", "talkers-over-time.svg"] {
            let svg = fs::read_to_string(out.join("plots").join(chart)).unwrap();
            // A drawn series: a line with two or more points spanning some width, above the axis.
            let lines = polylines(&svg);
            let drawn = lines.iter().any(|l| {
                let xs = l.iter().map(|p| p.0);
                let span =
                    xs.clone().fold(f64::NEG_INFINITY, f64::max) - xs.fold(f64::INFINITY, f64::min);
                l.len() >= 2 && span > 100.0 && l.iter().any(|p| p.1 < 300.0)
            });
            assert!(drawn, "{name}: {chart} draws no series: {lines:?}");
        }
        let s: Value =
            serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
        let total: u64 = s["bytes_per_second"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[1].as_u64().unwrap())
            .sum();
        assert_eq!(total, s["traffic"]["bytes"].as_u64().unwrap(), "{name}");
    }
}

/// A capture is read as it comes: 25 time-shifted copies of the Zeek echo capture (171 MB, 2 M
/// packets) take less memory than the file, and their totals are 25 times one copy's.
#[test]
fn large_captures_are_read_in_bounded_memory() {
    let Some(dir) = pcaps() else {
        return;
    };
    use std::io::Read;
    let mut one = Vec::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(dir.join("zeek-echo-connections.pcap.gz")).unwrap(),
    )
    .read_to_end(&mut one)
    .unwrap();
    // Little-endian microsecond pcap: records after the 24-byte header, each copy shifted past
    // the one before so that its connections are new ones.
    assert_eq!(&one[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    let mut records = Vec::new();
    let mut pos = 24;
    while pos + 16 <= one.len() {
        let caplen = u32::from_le_bytes(one[pos + 8..pos + 12].try_into().unwrap()) as usize;
        records.push(pos..pos + 16 + caplen);
        pos += 16 + caplen;
    }
    let sec = |r: &std::ops::Range<usize>| {
        u32::from_le_bytes(one[r.start..r.start + 4].try_into().unwrap())
    };
    let span = sec(records.last().unwrap()) - sec(&records[0]) + 60;
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.pcap");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        f.write_all(&one[..24]).unwrap();
        for copy in 0..25u32 {
            for r in &records {
                let mut rec = one[r.clone()].to_vec();
                let s = sec(r) + copy * span;
                rec[..4].copy_from_slice(&s.to_le_bytes());
                f.write_all(&rec).unwrap();
            }
        }
    }
    let size = std::fs::metadata(&big).unwrap().len();
    let peak = common::peak_rss(
        Process::new(env!("CARGO_BIN_EXE_kddstat"))
            .args(["pcap", "--format", "json"])
            .arg(&big),
    );
    assert!(
        peak < size / 2,
        "peak RSS {peak} bytes for a {size}-byte capture"
    );
    let all = summary(&big);
    let single = tmp.path().join("one.pcap");
    std::fs::write(&single, &one).unwrap();
    let first = summary(&single);
    assert_eq!(all["packets"], 25 * first["packets"].as_u64().unwrap());
    assert_eq!(all["bytes"], 25 * first["bytes"].as_u64().unwrap());
}
