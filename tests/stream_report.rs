//! `kddstat report` and `evaluate` of files read in chunks: the same folder and figures as of the
//! files read whole, and a training file of millions of rows in bounded memory, its models
//! fitted on a seeded sample.

mod common;

use std::path::Path;
use std::process::Command;

use common::{fixture_path, kddstat};

/// Runs `report` of `train` and `tests` into `out` (blocks of `block` bytes when given) and
/// returns `summary.json` and `index.html`.
fn report(
    train: &Path,
    tests: &[&Path],
    flags: &[&str],
    block: Option<&str>,
    out: &Path,
) -> (serde_json::Value, String) {
    let mut c = kddstat();
    c.args(["report", "-q", "--train"]).arg(train);
    for t in tests {
        c.arg("--test").arg(t);
    }
    c.args(flags).arg("-o").arg(out);
    if let Some(b) = block {
        c.env("KDDSTAT_BLOCK_BYTES", b);
    }
    c.assert().success();
    let summary =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    (summary, page)
}

/// Every figure and every chart of the report is the same whether its files are read whole or
/// in chunks of any size (training and test files streamed without models; the training file
/// streamed with them).
#[test]
fn report_in_chunks_is_the_report_of_the_whole_files() {
    let dir = tempfile::tempdir().unwrap();
    let train = fixture_path("report_train.txt");
    let test = fixture_path("report_test.txt");
    let with_models = [
        "--detectors",
        "zscore,kmeans",
        "--classifiers",
        "tree",
        "--hybrid",
        "tree+zscore",
    ];
    let without = ["--no-detectors", "--no-classifiers"];
    for (i, flags) in [&with_models[..], &without[..]].iter().enumerate() {
        let whole = report(
            &train,
            &[&test],
            flags,
            None,
            &dir.path().join(format!("w{i}")),
        );
        for block in ["7", "300", "5000"] {
            let out = dir.path().join(format!("b{block}-{i}"));
            let chunked = report(&train, &[&test], flags, Some(block), &out);
            assert!(
                chunked.0 == whole.0,
                "summary.json, blocks of {block}, {flags:?}"
            );
            assert!(
                chunked.1 == whole.1,
                "index.html, blocks of {block}, {flags:?}"
            );
        }
    }
    let Some(data) = common::data_dir(&["KDDTrain+.txt", "KDDTest-21.txt"]) else {
        return;
    };
    let (train, test) = (data.join("KDDTrain+.txt"), data.join("KDDTest-21.txt"));
    let flags = ["--detectors", "zscore", "--hybrid", "tree+zscore"];
    let whole = report(&train, &[&test], &flags, None, &dir.path().join("w"));
    let chunked = report(
        &train,
        &[&test],
        &flags,
        Some("3000000"),
        &dir.path().join("c"),
    );
    assert!(chunked.0 == whole.0, "summary.json of KDDTrain+ in blocks");
    assert!(chunked.1 == whole.1, "index.html of KDDTrain+ in blocks");
    assert!(whole.0["fit_sample"].is_null());
}

/// `report --no-detectors` of 20 copies of the training file (2.5 M rows, 380 MB; about 1.4 GB
/// read whole) stays under 1 GiB: the file is read in chunks and the classifiers are fitted on a
/// seeded sample of 200,000 rows, which the summary and the page state.
#[test]
fn report_memory_does_not_grow_with_the_training_file() {
    let Some(data) = common::data_dir(&["KDDTrain+.txt", "KDDTest+.txt"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("x20.txt");
    common::copies(&data.join("KDDTrain+.txt"), 20, &big);
    let out = dir.path().join("report");
    let peak = common::peak_rss(
        Command::new(env!("CARGO_BIN_EXE_kddstat"))
            .args(["report", "-q", "--no-detectors", "--train"])
            .arg(&big)
            .arg("--test")
            .arg(data.join("KDDTest+.txt"))
            .arg("-o")
            .arg(&out),
    );
    assert!(peak > 0 && peak < 1 << 30, "peak RSS {peak} bytes");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["files"][0]["rows"], 20 * 125_973);
    // Every copy but the first is a duplicate of it.
    assert_eq!(
        summary["files"][0]["findings"]["duplicate_rows"],
        19 * 125_973
    );
    assert_eq!(summary["fit_sample"]["file_rows"], 20 * 125_973);
    assert_eq!(summary["fit_sample"]["seed"], 42);
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("seeded uniform sample of 200,000 of the 2,519,460 rows"));
}

/// `evaluate` scores a test file larger than a block in chunks, keeping 4 bytes of truth per row:
/// the same JSON as of the file held whole, the NSL-KDD paper's figures included (the file's
/// SHA-256 is read through).
#[test]
fn evaluate_in_chunks_is_the_evaluation_of_the_whole_file() {
    let run = |train: &Path, test: &Path, block: Option<&str>| -> Vec<u8> {
        let mut c = kddstat();
        c.args([
            "evaluate",
            "-q",
            "--detectors",
            "zscore,kmeans",
            "--classifiers",
            "tree,bayes",
            "--hybrid",
            "tree+zscore",
            "--format",
            "json",
            "--train",
        ])
        .arg(train)
        .arg("--test")
        .arg(test);
        if let Some(b) = block {
            c.env("KDDSTAT_BLOCK_BYTES", b);
        }
        common::stdout_of(&mut c)
    };
    let (train, test) = (
        fixture_path("report_train.txt"),
        fixture_path("report_test.txt"),
    );
    let whole = run(&train, &test, None);
    for block in ["7", "300"] {
        assert!(
            run(&train, &test, Some(block)) == whole,
            "blocks of {block}"
        );
    }
    let Some(data) = common::data_dir(&["KDDTrain+.txt", "KDDTest+.txt"]) else {
        return;
    };
    let (train, test) = (data.join("KDDTrain+.txt"), data.join("KDDTest+.txt"));
    let whole = run(&train, &test, None);
    assert!(
        run(&train, &test, Some("1000000")) == whole,
        "KDDTest+ in blocks"
    );
    let v: serde_json::Value = serde_json::from_slice(&whole).unwrap();
    assert!(v["classifiers"][0]["tests"][0]["paper"].is_object());
}
