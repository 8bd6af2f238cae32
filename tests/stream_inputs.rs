//! Inputs that are not plain text, read as streams: a Parquet file by row groups (one in memory at
//! a time) and containers on standard input.

mod common;

use std::path::Path;

use common::{fixture_path, kddstat, stdout_of};

/// 301,000 records made of the fixture's lines, each with its own duration (so the columns have
/// many values), as text.
fn many_rows() -> Vec<u8> {
    let fixture = std::fs::read_to_string(fixture_path("report_train.txt")).unwrap();
    let lines: Vec<&str> = fixture.lines().collect();
    let mut out = String::new();
    for i in 0..301_000 {
        let line = lines[i % lines.len()];
        let (_, rest) = line.split_once(',').unwrap();
        out.push_str(&format!("{},{rest}\n", i % 5000));
    }
    out.into_bytes()
}

/// The figures of `describe --format json` (numeric and categorical columns, rows), without the
/// input's name and layout.
fn figures(run: &mut assert_cmd::Command) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(&stdout_of(run)).unwrap();
    let f = &v["files"][0];
    serde_json::json!([f["rows"], f["numeric"], f["categorical"]])
}

fn describe(input: &Path, block: Option<&str>) -> serde_json::Value {
    let mut c = kddstat();
    c.args(["describe", "--format", "json"]).arg(input);
    if let Some(b) = block {
        c.env("KDDSTAT_BLOCK_BYTES", b);
    }
    figures(&mut c)
}

/// A Parquet file of two row groups (as `clean` writes 301,000 rows) is read one row group at a
/// time with the figures of its text, whatever the block; on standard input it is read whole,
/// with the same figures.
#[test]
fn parquet_is_read_by_row_groups() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("many.txt");
    std::fs::write(&text, many_rows()).unwrap();
    let parquet = dir.path().join("many.parquet");
    kddstat()
        .args(["clean", "-q"])
        .arg(&text)
        .arg("-o")
        .arg(&parquet)
        .assert()
        .success();
    let expected = describe(&text, None);
    assert_eq!(expected[0], 301_000);
    assert!(describe(&parquet, None) == expected, "row groups");
    assert!(
        describe(&parquet, Some("1000000")) == expected,
        "row groups in blocks"
    );
    let mut stdin = kddstat();
    stdin
        .args(["describe", "--format", "json", "-"])
        .pipe_stdin(&parquet)
        .unwrap();
    assert!(figures(&mut stdin) == expected, "Parquet on standard input");
    // A model fitted on the Parquet file records the file's SHA-256, as for any input.
    let model = dir.path().join("m.json");
    kddstat()
        .args(["fit", "--detectors", "zscore", "-q", "--train"])
        .arg(&parquet)
        .arg("-o")
        .arg(&model)
        .assert()
        .success();
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    let bytes = std::fs::read(&parquet).unwrap();
    assert_eq!(
        m["training"]["sha256"],
        kddstat::output::sha256_hex(&bytes).as_str()
    );
}

/// A zip archive and a gzip stream of a zip archive on standard input are read whole (their
/// first bytes, read to recognise them, are not lost).
#[test]
fn containers_on_standard_input() {
    let text = std::fs::read(fixture_path("report_train.txt")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("train.txt");
    std::fs::write(&plain, &text).unwrap();
    let expected = describe(&plain, None);
    let zip = common::zip_of(&[("train.txt", &text)]);
    for (name, bytes) in [
        ("train.zip", zip.clone()),
        ("train.zip.gz", common::gzip(&zip)),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut c = kddstat();
        c.args(["describe", "--format", "json", "-"])
            .pipe_stdin(&path)
            .unwrap();
        assert!(figures(&mut c) == expected, "{name} on standard input");
    }
}

/// A zip member is read as it is decompressed, a block at a time: the same figures as the plain
/// text in blocks of any size, named or as the archive's only data file; memory bounded by the
/// block (160 MB of text in the archive, under 400 MB peak: read whole it held the text and a
/// frame of 1.2 M rows); a damaged member is an error naming it, never a short read.
#[test]
fn zip_members_are_read_as_streams() {
    let dir = tempfile::tempdir().unwrap();
    let text = many_rows();
    let plain = dir.path().join("rows.txt");
    std::fs::write(&plain, &text).unwrap();
    let zip = dir.path().join("rows.zip");
    std::fs::write(
        &zip,
        common::zip_of(&[("README.md", b"notes"), ("data/rows.txt", &text)]),
    )
    .unwrap();
    let whole = figures(
        kddstat()
            .args(["describe", "--format", "json", "--by", "label"])
            .arg(&plain),
    );
    let member = format!("{}:data/rows.txt", zip.display());
    for block in ["1000", "100000", "33554432"] {
        for arg in [zip.display().to_string(), member.clone()] {
            let got = figures(
                kddstat()
                    .env("KDDSTAT_BLOCK_BYTES", block)
                    .args(["describe", "--format", "json", "--by", "label", &arg]),
            );
            assert_eq!(got, whole, "{arg} in blocks of {block}");
        }
    }

    let big: Vec<u8> = text.repeat(4);
    let big_zip = dir.path().join("big.zip");
    std::fs::write(&big_zip, common::zip_of(&[("big.txt", &big)])).unwrap();
    let peak = common::peak_rss(
        std::process::Command::new(env!("CARGO_BIN_EXE_kddstat"))
            .args(["describe", "--format", "json"])
            .arg(&big_zip),
    );
    assert!(peak < 400 << 20, "peak RSS {} MB", peak >> 20);

    // Damage in the middle of the compressed member.
    let mut bytes = std::fs::read(&big_zip).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let damaged = dir.path().join("damaged.zip");
    std::fs::write(&damaged, &bytes).unwrap();
    let out = kddstat().args(["describe"]).arg(&damaged).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("damaged.zip!big.txt"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
