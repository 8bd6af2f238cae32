//! `kddstat live`: replays equal to `kddstat pcap` (the shared captures and a generated capture of
//! a million packets), a pipe that gives records while it is open, the loopback interface under an
//! nmap scan against tcpdump, a veth pair in a network namespace fed by tcpreplay, alerts and their
//! reasons, and bad input.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{kddstat, missing, pcaps, traffic};
use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_kddstat")
}

fn run_ok(args: &[&str]) -> std::process::Output {
    let out = Command::new(bin()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "kddstat {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `live --replay X --speed 0 --records` and `pcap X -o` give the same bytes.
fn assert_replay_equals_batch(capture: &Path, dir: &Path, extra: &[&str]) {
    let c = capture.to_str().unwrap();
    let batch = dir.join("batch.csv");
    let live = dir.join("live.csv");
    let mut args = vec!["pcap", c, "-o", batch.to_str().unwrap(), "--force", "-q"];
    args.extend(extra);
    run_ok(&args);
    let mut args = vec![
        "live",
        "--replay",
        c,
        "--speed",
        "0",
        "--records",
        live.to_str().unwrap(),
        "--force",
        "-q",
        "--format",
        "json",
    ];
    args.extend(extra);
    run_ok(&args);
    let (a, b) = (
        std::fs::read(&batch).unwrap(),
        std::fs::read(&live).unwrap(),
    );
    assert!(
        a == b,
        "{}: live and batch records differ",
        capture.display()
    );
}

#[test]
fn replay_equals_pcap_on_every_shared_capture() {
    let Some(dir) = pcaps() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.contains(".pcap") {
            assert_replay_equals_batch(&p, tmp.path(), &[]);
            n += 1;
        }
    }
    assert!(n >= 20, "only {n} captures");
}

#[test]
fn replay_equals_pcap_on_a_generated_million_packets() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("gen.pcap");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let packets = traffic::write_capture(&mut w, 200_000, 2_000, 7);
    w.flush().unwrap();
    drop(w);
    assert!(packets >= 1_000_000, "{packets} packets");
    assert_replay_equals_batch(&path, tmp.path(), &[]);
    let records = std::fs::read_to_string(tmp.path().join("live.csv")).unwrap();
    let n = records.lines().count();
    // Every connection, plus the second halves of the resumed UDP flows, the retransmitted SYNs
    // beyond the close and the long sessions cut by their idle time.
    assert!(n >= 200_000, "{n} records");
    for flag in ["SF", "S0", "REJ", "RSTO"] {
        assert!(
            records.lines().any(|l| l.split(',').nth(3) == Some(flag)),
            "no {flag} record"
        );
    }
    // Small tables: connections are ended early by the same rule on both paths.
    assert_replay_equals_batch(
        &path,
        tmp.path(),
        &["--max-flows", "500", "--max-held", "300", "--udp-idle", "3"],
    );
}

/// Writes the pcap header of a stream (microseconds, Ethernet).
fn stream_header() -> Vec<u8> {
    let mut h = Vec::new();
    h.extend(0xa1b2c3d4u32.to_le_bytes());
    h.extend(2u16.to_le_bytes());
    h.extend(4u16.to_le_bytes());
    h.extend([0u8; 8]);
    h.extend(65535u32.to_le_bytes());
    h.extend(1u32.to_le_bytes());
    h
}

fn stream_record(frame: &[u8]) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let mut r = Vec::new();
    r.extend((now.as_secs() as u32).to_le_bytes());
    r.extend(now.subsec_micros().to_le_bytes());
    r.extend((frame.len() as u32).to_le_bytes());
    r.extend((frame.len() as u32).to_le_bytes());
    r.extend(frame);
    r
}

/// An Ethernet/IPv4/UDP frame from 10.0.0.`src` to 10.0.0.`dst` with 12 bytes of payload.
fn udp(sport: u16, dport: u16, src: u8, dst: u8) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend(sport.to_be_bytes());
    u.extend(dport.to_be_bytes());
    u.extend(20u16.to_be_bytes());
    u.extend([0, 0]);
    u.extend([7u8; 12]);
    common::ipv4_frame_between(src, dst, 0, 0, 17, &u)
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

#[test]
fn a_pipe_gives_each_record_while_it_is_open() {
    let tmp = tempfile::tempdir().unwrap();
    let records = tmp.path().join("r.csv");
    let mut child = Command::new(bin())
        .args(["live", "-", "--udp-idle", "2", "-q", "--records"])
        .arg(&records)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&stream_header()).unwrap();
    // A DNS query and its answer, then silence with the pipe open.
    stdin
        .write_all(&stream_record(&udp(5353, 53, 1, 2)))
        .unwrap();
    stdin
        .write_all(&stream_record(&udp(53, 5353, 2, 1)))
        .unwrap();
    stdin.flush().unwrap();
    let last = Instant::now();
    while lines(&records) < 1 && last.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let waited = last.elapsed();
    assert_eq!(lines(&records), 1, "no record while the pipe is open");
    // The idle timeout (2 s) and at most 1 s for the timer and the flush (loosely: CI is slow).
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(2 + 1 + 3),
        "the record came after {waited:?}"
    );
    let text = std::fs::read_to_string(&records).unwrap();
    assert!(text.starts_with("0,udp,domain_u,SF,12,12,"), "{text}");
    // A second flow, then the end of the stream: it ends at once.
    stdin
        .write_all(&stream_record(&udp(6000, 53, 3, 2)))
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&records), 2);
}

#[test]
fn a_stream_cut_inside_a_packet_names_the_byte_and_keeps_what_came_before() {
    let mut bytes = stream_header();
    bytes.extend(stream_record(&udp(5353, 53, 1, 2)));
    let whole = bytes.len();
    bytes.extend(&stream_record(&udp(53, 5353, 2, 1))[..20]);
    let tmp = tempfile::tempdir().unwrap();
    let records = tmp.path().join("r.csv");
    let out = kddstat()
        .args(["live", "-", "-q", "--records"])
        .arg(&records)
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("at byte {whole}")), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(
        lines(&records),
        1,
        "the record of the packet before the cut"
    );
}

#[test]
fn bad_sources_are_one_line_each() {
    let out = kddstat()
        .args(["live", "-i", "kddstat-no-such0", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no such network interface"), "{err}");
    // A damaged record in the middle of a stream: the batch path's message, with its offset.
    let mut bytes = stream_header();
    bytes.extend(stream_record(&udp(5353, 53, 1, 2)));
    let at = bytes.len();
    let mut bad = stream_record(&udp(53, 5353, 2, 1));
    bad[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend(bad);
    let out = kddstat()
        .args(["live", "-", "-q"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{at}")), "{err}");
    // Not a model file.
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("m.json");
    std::fs::write(&m, "{\"format\": \"something-else\"}").unwrap();
    let out = kddstat()
        .args(["live", "-", "-q", "--model"])
        .arg(&m)
        .write_stdin(stream_header())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("m.json"), "{err}");
}

#[test]
fn unknown_link_types_are_counted_and_a_flood_is_bounded() {
    // Link type 147 (user 0): counted, not an abort.
    let mut bytes = Vec::new();
    bytes.extend(0xa1b2c3d4u32.to_le_bytes());
    bytes.extend(2u16.to_le_bytes());
    bytes.extend(4u16.to_le_bytes());
    bytes.extend([0u8; 8]);
    bytes.extend(65535u32.to_le_bytes());
    bytes.extend(147u32.to_le_bytes());
    for _ in 0..3 {
        bytes.extend(stream_record(&[1, 2, 3, 4]));
    }
    let out = kddstat()
        .args(["live", "-", "--format", "json", "-q"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["live"]["unsupported_frames"], 3);
    // 5,000 one-packet UDP flows through a table of 100: every one a record, the early ends
    // counted and reported.
    let mut bytes = stream_header();
    for i in 0..5000u32 {
        bytes.extend(stream_record(&udp(
            1024 + (i % 60000) as u16,
            53,
            (i % 200) as u8 + 1,
            250,
        )));
    }
    let out = kddstat()
        .args(["live", "-", "--format", "json", "--max-flows", "100"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["connections"], 5000);
    assert_eq!(v["live"]["evicted"], 4900);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("4900 connections were ended early"), "{err}");
}

#[test]
fn closed_standard_output_ends_quietly() {
    let Some(dir) = pcaps() else { return };
    let mut child = Command::new(bin())
        .args(["live", "--speed", "0", "-q", "--records", "-", "--replay"])
        .arg(dir.join("zeek-echo-connections.pcap.gz"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A z-score model fitted on the real training file (fast), or None when the data is missing.
fn zscore_model(dir: &Path) -> Option<PathBuf> {
    let data = common::data_dir(&["KDDTrain+.txt"])?;
    let m = dir.join("z.json");
    run_ok(&[
        "fit",
        "--detectors",
        "zscore",
        data.join("KDDTrain+.txt").to_str().unwrap(),
        "-o",
        m.to_str().unwrap(),
        "-q",
    ]);
    Some(m)
}

#[test]
fn alerts_say_why() {
    let Some(pdir) = pcaps() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let Some(model) = zscore_model(tmp.path()) else {
        return;
    };
    let alerts = tmp.path().join("a.jsonl");
    let records = tmp.path().join("r.jsonl");
    run_ok(&[
        "live",
        "--replay",
        pdir.join("zeek-ftp-bruteforce.pcap").to_str().unwrap(),
        "--speed",
        "0",
        "-q",
        "--model",
        model.to_str().unwrap(),
        "--threshold",
        "0",
        "--alerts",
        alerts.to_str().unwrap(),
        "--records",
        records.to_str().unwrap(),
    ]);
    let alerts: Vec<Value> = std::fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let records: Vec<Value> = std::fs::read_to_string(&records)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 30);
    // Threshold 0: every record with a score above 0 is an alert.
    let above = records
        .iter()
        .filter(|r| r["score"].as_f64().unwrap() > 0.0)
        .count();
    assert_eq!(alerts.len(), above);
    assert!(above > 0);
    for a in &alerts {
        assert_eq!(a["kind"], "anomaly");
        assert_eq!(a["service"], "ftp");
        assert!(a["end"].as_f64().unwrap() >= a["start"].as_f64().unwrap());
        let p = a["percentile"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&p));
        let why = a["why"].as_array().unwrap();
        assert!(!why.is_empty() && why.len() <= 3, "{a}");
        // The shares are parts of the mean |z|: positive, at most 1 in total, largest first.
        let shares: Vec<f64> = why.iter().map(|w| w["share"].as_f64().unwrap()).collect();
        assert!(shares.windows(2).all(|p| p[0] >= p[1]), "{shares:?}");
        assert!(shares.iter().sum::<f64>() <= 1.0 + 1e-9);
        for w in why {
            assert!(w["feature"].is_string() && !w["value"].is_null() && !w["typical"].is_null());
        }
    }
}

fn root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn tool(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The records of `csv` (with endpoints) to 127.0.0.1 ports 1-300, as (port, flag) pairs.
fn scan_records(csv: &str) -> Vec<(u16, String)> {
    let mut v: Vec<(u16, String)> = csv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let port: u16 = f.get(46)?.parse().ok()?;
            (f.get(45) == Some(&"127.0.0.1") && (1..=300).contains(&port))
                .then(|| (port, f[3].to_string()))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn loopback_under_an_nmap_scan() {
    if !root() || !tool("nmap") || !tool("tcpdump") {
        missing(
            "root, nmap and tcpdump",
            "run the tests as root with nmap and tcpdump installed",
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(model) = zscore_model(tmp.path()) else {
        return;
    };
    let alerts = tmp.path().join("a.jsonl");
    let records = tmp.path().join("r.csv");
    let dump = tmp.path().join("t.pcap");
    let mut tcpdump = Command::new("tcpdump")
        .args(["-i", "lo", "-U", "-w"])
        .arg(&dump)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let live = Command::new(bin())
        .args([
            "live",
            "-i",
            "lo",
            "--duration",
            "14",
            "-q",
            "--format",
            "json",
        ])
        .args(["--udp-idle", "2", "--endpoints", "--model"])
        .arg(&model)
        .arg("--alerts")
        .arg(&alerts)
        .arg("--records")
        .arg(&records)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    // A few exchanges of our own: a TCP connection with data both ways, a UDP query and answer.
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        use std::io::Read;
        let (mut s, _) = server.accept().unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).unwrap();
        s.write_all(b"world!").unwrap();
    });
    {
        use std::io::Read;
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        c.write_all(b"hello").unwrap();
        let mut buf = Vec::new();
        c.read_to_end(&mut buf).unwrap();
    }
    t.join().unwrap();
    let u1 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let u2 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    u1.send_to(b"query", u2.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 16];
    let (_, from) = u2.recv_from(&mut buf).unwrap();
    u2.send_to(b"answer", from).unwrap();
    // A connect scan of 300 ports: closed ports answer RST (REJ records).
    let nmap = Command::new("nmap")
        .args(["-sT", "-Pn", "-n", "-T4", "-p", "1-300", "127.0.0.1"])
        .output()
        .unwrap();
    assert!(nmap.status.success());
    std::thread::sleep(Duration::from_secs(2));
    let _ = Command::new("kill")
        .args(["-INT", &tcpdump.id().to_string()])
        .status();
    tcpdump.wait().unwrap();
    let out = live.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let l = &summary["live"];
    // Every frame the kernel passed was read or counted as dropped (a loopback interface passes
    // each packet twice: sent and received).
    assert_eq!(
        l["frames_received"].as_u64().unwrap() + l["kernel_drops"].as_u64().unwrap(),
        l["kernel_packets"].as_u64().unwrap(),
        "{l}"
    );
    assert_eq!(l["kernel_drops"], 0, "{l}");
    // The scan is an alert (the 300 ports, and the ports of our own exchanges).
    let alerts = std::fs::read_to_string(&alerts).unwrap();
    let scan = alerts
        .lines()
        .map(|a| serde_json::from_str::<Value>(a).unwrap())
        .find(|a| a["kind"] == "scan")
        .expect("a scan alert");
    assert!(
        scan["scan"]["distinct_ports"].as_u64().unwrap() >= 300,
        "{scan}"
    );
    assert_eq!(scan["src"], "127.0.0.1");
    // The scan's connections, as tcpdump saw them on the same interface.
    let theirs = tmp.path().join("t.csv");
    run_ok(&[
        "pcap",
        dump.to_str().unwrap(),
        "-o",
        theirs.to_str().unwrap(),
        "--endpoints",
        "-q",
        "--udp-idle",
        "2",
    ]);
    let ours = scan_records(&std::fs::read_to_string(&records).unwrap());
    let seen = scan_records(&std::fs::read_to_string(&theirs).unwrap());
    assert!(ours.len() >= 300, "{} scan records", ours.len());
    assert_eq!(ours, seen);
    assert!(ours.iter().filter(|(_, f)| f == "REJ").count() >= 290);
    // Our own exchanges are records with their flags.
    let text = std::fs::read_to_string(&records).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains(",tcp,") && l.contains(",SF,") && l.ends_with(&format!(",{port}"))),
        "no SF record to port {port}"
    );
    assert!(text.lines().any(|l| l.contains(",udp,")));
}

/// Removes the namespace and veth pair a test made.
struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        let _ = Command::new("ip")
            .args(["link", "del", &format!("{}a", self.0)])
            .stderr(Stdio::null())
            .status();
    }
}

fn ip(args: &[&str]) {
    let s = Command::new("ip").args(args).status().unwrap();
    assert!(s.success(), "ip {args:?}");
}

#[test]
fn a_veth_pair_fed_by_tcpreplay() {
    let Some(pdir) = pcaps() else { return };
    if !root() || !tool("tcpreplay") || !tool("ip") {
        missing(
            "root, ip and tcpreplay",
            "run the tests as root with tcpreplay installed",
        );
        return;
    }
    let name = format!("kdd{}", std::process::id() % 100_000);
    let ns = Netns(name.clone());
    let (a, b) = (format!("{name}a"), format!("{name}b"));
    ip(&["netns", "add", &name]);
    ip(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
    ip(&["link", "set", &b, "netns", &name]);
    // No IPv6 on either end: the kernel's own router solicitations would add frames.
    let _ = Command::new("sysctl")
        .args(["-q", "-w", &format!("net.ipv6.conf.{a}.disable_ipv6=1")])
        .status();
    let _ = Command::new("ip")
        .args(["netns", "exec", &name, "sysctl", "-q", "-w"])
        .arg(format!("net.ipv6.conf.{b}.disable_ipv6=1"))
        .status();
    ip(&["link", "set", &a, "up"]);
    ip(&["netns", "exec", &name, "ip", "link", "set", &b, "up"]);
    let live = Command::new(bin())
        .args([
            "live",
            "-i",
            &a,
            "--duration",
            "8",
            "-q",
            "--format",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let replay = Command::new("ip")
        .args(["netns", "exec", &name, "tcpreplay", "-i", &b, "--topspeed"])
        .arg(pdir.join("zeek-wikipedia.pcap"))
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let text = String::from_utf8_lossy(&replay.stdout);
    let sent: u64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Successful packets:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("tcpreplay's count");
    let out = live.wait_with_output().unwrap();
    drop(ns);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let l = &v["live"];
    let seen = v["packets"].as_u64().unwrap();
    let drops = l["kernel_drops"].as_u64().unwrap();
    assert_eq!(seen + drops, sent, "{l}");
}

#[test]
fn sigint_ends_every_connection_and_writes_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let records = tmp.path().join("r.csv");
    let mut child = Command::new(bin())
        .args(["live", "-", "-q", "--format", "json", "--records"])
        .arg(&records)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&stream_header()).unwrap();
    stdin
        .write_all(&stream_record(&udp(5353, 53, 1, 2)))
        .unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(800));
    // The flow is still open (10 s idle): SIGINT ends it, writes it, prints the summary.
    assert_eq!(lines(&records), 0);
    let s = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(s.success());
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["connections"], 1);
    assert_eq!(v["live"]["ended"]["open_at_end"], 1);
    assert_eq!(lines(&records), 1);
}

#[test]
fn a_hybrid_names_its_members_and_the_report_is_written_at_exit() {
    let Some(pdir) = pcaps() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let Some(z) = zscore_model(tmp.path()) else {
        return;
    };
    let data = common::data_dir(&["KDDTrain+.txt"]).unwrap();
    let tree = tmp.path().join("tree.json");
    run_ok(&[
        "fit",
        "--classifier",
        "tree",
        data.join("KDDTrain+.txt").to_str().unwrap(),
        "-o",
        tree.to_str().unwrap(),
        "-q",
    ]);
    let alerts = tmp.path().join("a.jsonl");
    let report = tmp.path().join("report");
    run_ok(&[
        "live",
        "--replay",
        pdir.join("zeek-ftp-bruteforce.pcap").to_str().unwrap(),
        "--speed",
        "0",
        "-q",
        "--model",
        tree.to_str().unwrap(),
        "--model",
        z.to_str().unwrap(),
        // The detector's threshold (a hybrid's classifier flags what it predicts as an attack).
        "--threshold",
        "0",
        "--alerts",
        alerts.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(report.join("index.html").is_file());
    let alerts: Vec<Value> = std::fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!alerts.is_empty());
    for a in &alerts {
        // An attack when the tree says so, else an anomaly of the z-score detector.
        let kind = if a["predicted"] == "normal" {
            "anomaly"
        } else {
            "attack"
        };
        assert_eq!(a["kind"], kind, "{a}");
        // The score and percentile are the detector's.
        assert!(a["percentile"].is_number(), "{a}");
        for w in a["why"].as_array().unwrap() {
            let m = w["member"].as_str().unwrap();
            assert!(m == "tree" || m == "zscore", "{a}");
        }
    }
}
