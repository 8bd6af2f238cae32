//! Zeek `conn.log` as a traffic source (issue 25): logs written by the tests themselves (TSV and
//! JSON lines, plain and gzip) read by every command that takes records, and the capture path
//! cross-checked per connection against Zeek's own log of the same capture.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{kddstat, stdout_of};

/// A generated TSV conn.log of `n` connections (extra field, unset values, a second header block).
fn tsv_log(n: usize) -> String {
    let header = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n\
#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t\
orig_bytes\tresp_bytes\tconn_state\tlocal_orig\torig_pkts\tresp_pkts\tsite_tag\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tcount\tcount\tstring\n";
    let mut out = String::from(header);
    let states = ["SF", "S0", "REJ", "RSTO", "SH", "S1"];
    for i in 0..n {
        if i == n / 2 {
            out.push_str("#close\t2024-01-01-00-00-00\n");
            out.push_str(header);
        }
        let (proto, service, port) = match i % 3 {
            0 => ("tcp", "http", 80),
            1 => ("udp", "dns", 53),
            _ => ("tcp", "-", 4444),
        };
        out.push_str(&format!(
            "{}.{:06}\tC{i}\t10.0.0.{}\t{}\t10.0.1.{}\t{port}\t{proto}\t{service}\t{}\t{}\t{}\t{}\tT\t3\t2\t(empty)\n",
            1_700_000_000 + i / 10,
            (i % 10) * 100_000,
            i % 7 + 1,
            40000 + i % 1000,
            i % 5 + 1,
            if i % 4 == 0 { "-".to_string() } else { format!("{}.5", i % 3) },
            if i % 4 == 0 { "-".to_string() } else { (i * 7).to_string() },
            i * 3,
            if proto == "tcp" { states[i % states.len()] } else { "SF" },
        ));
    }
    out
}

/// The same connections as JSON lines (`LogAscii::use_json`), nested `id` keys.
fn json_log(tsv: &str) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut out = String::new();
    for line in tsv.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            names = f.split('\t').map(String::from).collect();
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let mut obj = serde_json::Map::new();
        let mut id = serde_json::Map::new();
        for (n, v) in names.iter().zip(line.split('\t')) {
            if v == "-" || v == "(empty)" {
                continue;
            }
            let value: serde_json::Value = match n.as_str() {
                "ts" | "duration" => v.parse::<f64>().unwrap().into(),
                "id.orig_p" | "id.resp_p" | "orig_bytes" | "resp_bytes" | "orig_pkts"
                | "resp_pkts" => v.parse::<u64>().unwrap().into(),
                _ => v.into(),
            };
            match n.strip_prefix("id.") {
                Some(k) => {
                    id.insert(k.to_string(), value);
                }
                None => {
                    obj.insert(n.clone(), value);
                }
            }
        }
        obj.insert("id".into(), id.into());
        out.push_str(&serde_json::Value::Object(obj).to_string());
        out.push('\n');
    }
    out
}

#[test]
fn every_command_that_takes_records_takes_a_conn_log() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let tsv = tsv_log(600);
    fs::write(d.join("conn.log"), &tsv).unwrap();
    fs::write(d.join("conn.json"), json_log(&tsv)).unwrap();
    fs::write(d.join("conn.log.gz"), common::gzip(tsv.as_bytes())).unwrap();
    let describe = |f: &str| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_slice(&stdout_of(
            kddstat()
                .current_dir(d)
                .args(["describe", f, "--format", "json"]),
        ))
        .unwrap();
        v["files"][0]["path"] = serde_json::Value::Null;
        v
    };
    let tsv_figures = describe("conn.log");
    assert_eq!(tsv_figures["files"][0]["rows"], 600);
    assert_eq!(describe("conn.json"), tsv_figures);
    assert_eq!(describe("conn.log.gz"), tsv_figures);
    // The rules of the table: REJ and RSTO kept as named.
    let flags = &tsv_figures["files"][0]["categorical"]["flag"]["counts"];
    assert!(flags["RSTO"].as_u64().unwrap() > 0 && flags["REJ"].as_u64().unwrap() > 0);
    // The records of `zeek -o` are those every command reads.
    stdout_of(
        kddstat()
            .current_dir(d)
            .args(["zeek", "conn.log", "-o", "records.csv", "-q"]),
    );
    let records = fs::read_to_string(d.join("records.csv")).unwrap();
    assert_eq!(records.lines().count(), 600);
    assert!(
        records
            .lines()
            .all(|l| l.split(',').count() == 42 && l.ends_with(",unknown"))
    );
    // stats and score on the log.
    stdout_of(kddstat().current_dir(d).args(["stats", "conn.log"]));
    fs::write(
        d.join("train.txt"),
        fs::read(common::fixture_path("report_train.txt")).unwrap(),
    )
    .unwrap();
    stdout_of(kddstat().current_dir(d).args([
        "fit",
        "--train",
        "train.txt",
        "--detectors",
        "zscore",
        "-o",
        "m.json",
    ]));
    let scores = stdout_of(kddstat().current_dir(d).args([
        "score",
        "--model",
        "m.json",
        "conn.json",
        "-o",
        "-",
    ]));
    assert_eq!(String::from_utf8(scores).unwrap().lines().count(), 601);
}

#[test]
fn bad_logs_are_one_line_naming_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let tsv = tsv_log(10);
    let cases = [
        (
            tsv.replace("\tconn_state", "\tstate"),
            "conn.log:6: column 'conn_state'",
        ),
        (tsv.replacen("\tC3\t", "\t", 1), "expected 16 fields"),
        (
            tsv.replacen("1700000000.300000", "soon", 1),
            "column 'ts': 'soon' is not a number",
        ),
        ("{\"ts\": 1}\n[1]\n".to_string(), "column 'id.orig_h'"),
    ];
    for (text, needle) in cases {
        fs::write(d.join("conn.log"), &text).unwrap();
        let out = kddstat()
            .current_dir(d)
            .args(["describe", "conn.log"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

/// Zeek's log of a capture, by 5-tuple.
fn zeek_connections(path: &Path) -> BTreeMap<[String; 5], BTreeMap<String, String>> {
    let text = fs::read_to_string(path).unwrap();
    let mut names: Vec<String> = Vec::new();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            names = f.split('\t').map(String::from).collect();
        }
        if line.starts_with('#') {
            continue;
        }
        let f: BTreeMap<String, String> = names
            .iter()
            .cloned()
            .zip(line.split('\t').map(String::from))
            .collect();
        let key =
            ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"].map(|k| f[k].clone());
        out.insert(key, f);
    }
    out
}

#[test]
fn the_capture_path_agrees_with_zeek_connection_by_connection() {
    let Some(dir) = common::data_dir(&[]) else {
        return;
    };
    let shared = dir.parent().and_then(Path::parent).unwrap().to_path_buf();
    let (pcap, log) = (
        shared.join("pcaps/zeek-wikipedia.pcap"),
        shared.join("zeek/zeek-wikipedia.conn.log"),
    );
    if !pcap.is_file() || !log.is_file() {
        common::missing(
            "../shared/pcaps and ../shared/zeek",
            "they sit beside the datasets",
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("p.csv");
    stdout_of(
        kddstat()
            .args(["pcap", "--endpoints", "-q", "-o"])
            .arg(&csv)
            .arg(&pcap),
    );
    let zeek = zeek_connections(&log);
    let text = fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let mut seen = 0;
    for line in lines {
        let r: Vec<&str> = line.split(',').collect();
        let key = [
            r[col("src_ip")],
            r[col("src_port")],
            r[col("dst_ip")],
            r[col("dst_port")],
            r[col("protocol_type")],
        ]
        .map(String::from);
        let z = zeek
            .get(&key)
            .unwrap_or_else(|| panic!("{key:?} is not in Zeek's log"));
        seen += 1;
        // Flags: the mapping of conn_state (UDP and ICMP records are SF).
        let want = if z["proto"] == "tcp" {
            z["conn_state"].as_str()
        } else {
            "SF"
        };
        assert_eq!(r[col("flag")], want, "{key:?}");
        // Durations in whole seconds (Zeek's floored).
        let zd: f64 = z["duration"].replace('-', "0").parse().unwrap();
        assert_eq!(
            r[col("duration")],
            (zd.floor() as i64).to_string(),
            "{key:?}"
        );
        // Payload bytes: equal, except where Zeek leaves them unset (a flow of one packet each
        // way at most, with no duration: the documented rule).
        let unset = z["orig_bytes"] == "-";
        if unset {
            assert_eq!(z["duration"], "-", "{key:?}");
        } else {
            assert_eq!(r[col("src_bytes")], z["orig_bytes"], "{key:?}");
            assert_eq!(r[col("dst_bytes")], z["resp_bytes"], "{key:?}");
        }
    }
    assert_eq!(seen, zeek.len(), "the same set of connections");
}

/// A TSV log of `n` connections with distinct starts, written in the order `order` gives.
fn big_log(n: usize, order: impl Fn(usize) -> usize) -> String {
    let mut out = String::from(
        "#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n",
    );
    for k in 0..n {
        let i = order(k);
        out.push_str(&format!(
            "{}.{:06}\t10.{}.{}.{}\t{}\t192.168.{}.{}\t{}\ttcp\t-\t0.5\t{}\t{}\t{}\n",
            1_700_000_000 + i / 1000,
            (i % 1000) * 1000,
            i % 4,
            i % 251,
            i % 13 + 1,
            1024 + i % 50_000,
            i % 3,
            i % 7 + 1,
            [80, 443, 22, 8080][i % 4],
            i % 997,
            i % 5003,
            ["SF", "S0", "REJ", "RSTO"][i % 4],
        ));
    }
    out
}

#[test]
fn logs_past_one_run_are_sorted_on_disk_and_stay_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // 600,000 connections: more than two runs of the external sort. Written in order, and in an
    // order Zeek could write them (by end, out of start order): the same records.
    let n = 600_000;
    fs::write(d.join("sorted.log"), big_log(n, |k| k)).unwrap();
    let stride = 7919; // coprime with n: a permutation
    fs::write(d.join("shuffled.log"), big_log(n, |k| (k * stride) % n)).unwrap();
    for f in ["sorted.log", "shuffled.log"] {
        stdout_of(
            kddstat()
                .current_dir(d)
                .args(["zeek", f, "-q", "-o"])
                .arg(format!("{f}.csv")),
        );
    }
    let a = fs::read(d.join("sorted.log.csv")).unwrap();
    let b = fs::read(d.join("shuffled.log.csv")).unwrap();
    assert_eq!(a.iter().filter(|c| **c == b'\n').count(), n);
    assert!(a == b, "the records depend on the order of the log's lines");
    // describe streams the log: memory stays far below the log's size (about 60 MB here).
    let peak = common::peak_rss(
        std::process::Command::new(env!("CARGO_BIN_EXE_kddstat"))
            .current_dir(d)
            .args(["describe", "shuffled.log", "--format", "json"]),
    );
    assert!(
        peak < 256 << 20,
        "describe of a 600,000-line log took {peak} bytes"
    );
}

#[test]
fn a_folder_of_rotated_logs_is_one_time_ordered_log() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let tsv = tsv_log(400);
    // Rotated: the first half of the lines in one file, the rest (gzip) in the next, each with
    // its own header block.
    let header: String = tsv.lines().take(7).map(|l| format!("{l}\n")).collect();
    let rows: Vec<&str> = tsv.lines().filter(|l| !l.starts_with('#')).collect();
    fs::create_dir(d.join("logs")).unwrap();
    let first: String = rows[..200].iter().map(|l| format!("{l}\n")).collect();
    let second: String = rows[200..].iter().map(|l| format!("{l}\n")).collect();
    fs::write(d.join("logs/conn.00.log"), format!("{header}{first}")).unwrap();
    fs::write(
        d.join("logs/conn.01.log.gz"),
        common::gzip(format!("{header}{second}").as_bytes()),
    )
    .unwrap();
    fs::write(d.join("whole.log"), format!("{header}{first}{second}")).unwrap();
    let figures = |f: &str| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_slice(&stdout_of(
            kddstat()
                .current_dir(d)
                .args(["describe", f, "--format", "json"]),
        ))
        .unwrap();
        v["files"][0]["path"] = serde_json::Value::Null;
        v
    };
    assert_eq!(figures("logs"), figures("whole.log"));
    // `zeek` converts the folder as one log too.
    for (input, out) in [("logs", "a.csv"), ("whole.log", "b.csv")] {
        stdout_of(
            kddstat()
                .current_dir(d)
                .args(["zeek", input, "-q", "-o", out]),
        );
    }
    assert_eq!(
        fs::read(d.join("a.csv")).unwrap(),
        fs::read(d.join("b.csv")).unwrap()
    );
}
