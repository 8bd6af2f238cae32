//! The capture path's rules where the KDD Cup 99 data decides (issue 25): each rule checked
//! against the evidence of the 10% file itself (`kddcup99-10percent.zip` beside the NSL-KDD
//! folder) and, in `tests/capture.rs`, on a capture.

mod common;

use std::path::PathBuf;

use kddstat::capture::records::rate;
use kddstat::load::{Dataset, load_path};
use kddstat::schema;

fn ten_percent() -> Option<Dataset> {
    let dir = common::data_dir(&[])?;
    let path: PathBuf = dir.parent()?.join("kddcup99-10percent.zip");
    if !path.is_file() {
        common::missing(
            &path.display().to_string(),
            "it sits beside the NSL-KDD folder in ../shared/datasets",
        );
        return None;
    }
    Some(load_path(&path).unwrap())
}

fn ints(ds: &Dataset, c: &str) -> Vec<i64> {
    ds.i64_chunks(c).unwrap().concat()
}

fn floats(ds: &Dataset, c: &str) -> Vec<f64> {
    ds.f64_chunks(c).unwrap().concat()
}

#[test]
fn the_ten_percent_file_decides_the_rules() {
    let Some(ds) = ten_percent() else {
        return;
    };
    let count = ints(&ds, "count");
    let flags: Vec<&str> = ds.str_values("flag").unwrap().collect();
    let serror = floats(&ds, "serror_rate");
    let rerror = floats(&ds, "rerror_rate");
    let same_srv = floats(&ds, "same_srv_rate");
    // Error flags: in windows of one connection, the connection's own flag decides the rate.
    let mut seen = std::collections::BTreeMap::<&str, (u64, u64)>::new();
    for i in 0..ds.rows() {
        if count[i] != 1 {
            continue;
        }
        let e = seen.entry(flags[i]).or_default();
        e.0 += 1;
        let want_s = schema::SYN_ERROR_FLAGS.contains(&flags[i]);
        let want_r = schema::REJECT_FLAGS.contains(&flags[i]);
        if (serror[i] == 1.0) == want_s && (rerror[i] == 1.0) == want_r {
            e.1 += 1;
        }
    }
    for flag in ["SH", "RSTO", "RSTR", "RSTOS0", "S0", "REJ"] {
        let (n, agree) = seen[flag];
        assert!(n > 0, "{flag}");
        assert_eq!(
            agree, n,
            "{flag}: {agree} of {n} single-connection windows agree"
        );
    }
    // Rates: every value over a denominator below 255 is a single-precision quotient rounded.
    let mut checked = 0u64;
    for i in 0..ds.rows() {
        let n = count[i] as u64;
        if n == 0 || n >= 255 {
            continue;
        }
        for v in [serror[i], rerror[i], same_srv[i]] {
            assert!(
                (0..=n).any(|k| rate(k, n) == v),
                "row {}: {v} is no k/{n} rounded as the rule says",
                i + 2
            );
            checked += 1;
        }
    }
    assert!(checked > 100_000, "{checked}");
    // wrong_fragment counts fragments: 0, 1 or 3 in the data, never a checksum tally.
    let wrong: std::collections::BTreeSet<i64> = ints(&ds, "wrong_fragment").into_iter().collect();
    assert_eq!(wrong.into_iter().collect::<Vec<_>>(), [0, 1, 3]);
    // ICMP src_bytes hold the 8-byte ICMP header: the smallest is 8.
    let protocol: Vec<&str> = ds.str_values("protocol_type").unwrap().collect();
    let src = ints(&ds, "src_bytes");
    let smallest = (0..ds.rows())
        .filter(|&i| protocol[i] == "icmp")
        .map(|i| src[i])
        .min();
    assert_eq!(smallest, Some(8));
}

/// The records `kddstat pcap` rebuilds from a shared capture, as rows of fields.
fn capture_records(name: &str) -> Option<Vec<Vec<String>>> {
    let dir = std::env::var_os("KDDSTAT_PCAPS")
        .map(PathBuf::from)
        .or_else(|| Some(common::data_dir(&[])?.parent()?.parent()?.join("pcaps")))?;
    let path = dir.join(name);
    if !path.is_file() {
        common::missing(
            &path.display().to_string(),
            "set KDDSTAT_PCAPS to ../shared/pcaps",
        );
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("r.csv");
    common::stdout_of(
        common::kddstat()
            .args(["pcap", "-q", "-o"])
            .arg(&csv)
            .arg(&path),
    );
    Some(
        std::fs::read_to_string(&csv)
            .unwrap()
            .lines()
            .map(|l| l.split(',').map(String::from).collect())
            .collect(),
    )
}

fn col(name: &str) -> usize {
    schema::FEATURES
        .iter()
        .position(|f| f.name == name)
        .unwrap()
}

#[test]
fn captures_follow_the_same_rules() {
    let captures = [
        "zeek-wikipedia.pcap",
        "zeek-tcp-single-rst.pcap",
        "zeek-tcp-syn-then-rst.pcap",
        "zeek-tcp-syn-then-ack-then-rst.pcap",
        "zeek-tcp-syn-then-stuff-then-rst.pcap",
        "zeek-tcp-retransmit-fast009.pcap",
        "zeek-icmp-5-pings.pcap",
        "zeek-ftp-bruteforce.pcap",
        "zeek-echo-connections.pcap.gz",
    ];
    let mut checked = 0;
    for name in captures {
        let Some(records) = capture_records(name) else {
            return;
        };
        for r in &records {
            let count: u64 = r[col("count")].parse().unwrap();
            let flag = r[col("flag")].as_str();
            // Error flags: a window of one connection is that connection's flag.
            if count == 1 {
                let s = r[col("serror_rate")] == "1.00";
                let e = r[col("rerror_rate")] == "1.00";
                assert_eq!(s, schema::SYN_ERROR_FLAGS.contains(&flag), "{name}: {flag}");
                assert_eq!(e, schema::REJECT_FLAGS.contains(&flag), "{name}: {flag}");
            }
            // Rates over count: single-precision quotients, rounded.
            if count < 255 {
                for c in [
                    "serror_rate",
                    "rerror_rate",
                    "same_srv_rate",
                    "diff_srv_rate",
                ] {
                    let v: f64 = r[col(c)].parse().unwrap();
                    assert!(
                        (0..=count).any(|k| rate(k, count) == v),
                        "{name}: {c} {v} of {count}"
                    );
                    checked += 1;
                }
            }
            // ICMP messages count their 8-byte header; no checksum makes a wrong fragment.
            if r[col("protocol_type")] == "icmp" {
                assert!(r[col("src_bytes")].parse::<u64>().unwrap() >= 8, "{name}");
            }
            if name == "zeek-tcp-retransmit-fast009.pcap" {
                assert_eq!(
                    r[col("wrong_fragment")],
                    "0",
                    "{name}: checksums are not fragments"
                );
            }
        }
        if name == "zeek-icmp-5-pings.pcap" {
            // 64-byte echoes and their replies: 56 bytes of data and the 8-byte header.
            assert!(
                records.iter().all(|r| r[col("src_bytes")] == "64"),
                "{records:?}"
            );
        }
    }
    assert!(checked > 100);
}
