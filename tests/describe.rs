//! `describe` on hand-written fixtures: figures worked out by hand, every output format pinned.

mod common;

use common::{fixture, fixture_path, kddstat};
use kddstat::load::load_path;
use kddstat::stats::{DescribeOptions, GroupBy, describe};

fn close(a: f64, b: f64) -> bool {
    common::rel_diff(a, b) < 1e-12
}

#[test]
fn figures_worked_out_by_hand() {
    let ds = load_path(fixture_path("tiny.txt")).unwrap();
    assert_eq!(ds.rows(), 4);
    let s = describe(&ds, &DescribeOptions::default()).unwrap();

    // src_bytes 100 200 300 1000: mean 400; squared deviations 90000 + 40000 + 10000 + 360000 =
    // 500000, / 3 -> std 408.2482904638630; quartiles at positions 0.75, 1.5, 2.25 of the sorted
    // values: 175, 250, 300 + 0.25 * 700 = 475.
    let b = s.numeric.get("src_bytes").unwrap();
    assert_eq!((b.count, b.min, b.max, b.distinct), (4, 100.0, 1000.0, 4));
    assert!(close(b.mean, 400.0));
    assert!(close(b.std, (500_000.0f64 / 3.0).sqrt()));
    assert!(close(b.q25, 175.0) && close(b.q50, 250.0) && close(b.q75, 475.0));
    assert_eq!(b.zeros, 0.0);

    // duration 0 2 0 10: mean 3; squares 9 + 1 + 9 + 49 = 68, / 3; sorted 0 0 2 10: quartiles 0,
    // 1, 2 + 0.25 * 8 = 4; half the values are zero; 3 distinct.
    let d = s.numeric.get("duration").unwrap();
    assert!(close(d.mean, 3.0) && close(d.std, (68.0f64 / 3.0).sqrt()));
    assert!(close(d.q25, 0.0) && close(d.q50, 1.0) && close(d.q75, 4.0));
    assert_eq!((d.zeros, d.distinct), (0.5, 3));

    // same_srv_rate 1.00 0.50 0.05 1.00: mean 2.55 / 4 = 0.6375; sorted .05 .5 1 1: quartiles
    // .05 + .75 * .45 = .3875, .75, 1.
    let r = s.numeric.get("same_srv_rate").unwrap();
    assert!(close(r.mean, 0.6375));
    assert!(close(r.q25, 0.3875) && close(r.q50, 0.75) && close(r.q75, 1.0));
    assert_eq!(r.distinct, 3);

    // difficulty 21 20 19 18: mean 19.5, variance (2.25 + .25 + .25 + 2.25) / 3 = 5/3.
    let l = s.numeric.get("difficulty").unwrap();
    assert!(close(l.mean, 19.5) && close(l.std, (5.0f64 / 3.0).sqrt()));

    // A constant column: std 0, one distinct value, all zeros.
    let c = s.numeric.get("num_outbound_cmds").unwrap();
    assert_eq!((c.std, c.distinct, c.zeros), (0.0, 1, 1.0));

    let proto = s.categorical.get("protocol_type").unwrap();
    assert_eq!(proto.distinct, 3);
    let counts: Vec<(&str, u64)> = proto.counts.iter().map(|(k, v)| (k, *v)).collect();
    assert_eq!(counts, [("tcp", 2), ("icmp", 1), ("udp", 1)]);
    let cat = s.categorical.get("category").unwrap();
    let counts: Vec<(&str, u64)> = cat.counts.iter().map(|(k, v)| (k, *v)).collect();
    assert_eq!(counts, [("normal", 2), ("DoS", 1), ("Probe", 1)]);
}

#[test]
fn groups_by_category() {
    let ds = load_path(fixture_path("tiny.txt")).unwrap();
    let options = DescribeOptions {
        columns: Some(vec!["src_bytes".into()]),
        by: Some(GroupBy::Category),
        max_distinct: None,
    };
    let s = describe(&ds, &options).unwrap();
    let groups = s.groups.unwrap();
    let names: Vec<&str> = groups.iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["normal", "DoS", "Probe"]);
    let normal = groups.get("normal").unwrap();
    assert_eq!(normal.rows, 2);
    let b = normal.numeric.get("src_bytes").unwrap();
    // 100 and 200: mean 150, std sqrt(2 * 50^2 / 1) = 70.71..., median 150.
    assert!(close(b.mean, 150.0) && close(b.std, 5000f64.sqrt()) && close(b.q50, 150.0));
    let dos = groups.get("DoS").unwrap().numeric.get("src_bytes").unwrap();
    assert!(dos.std.is_nan()); // one row: no sample standard deviation, as pandas
}

fn stdout(args: &[&str]) -> String {
    String::from_utf8(common::stdout_of(kddstat().arg("describe").args(args))).unwrap()
}

#[test]
fn table_output() {
    insta::assert_snapshot!(stdout(&[&fixture("tiny.txt")]));
}

#[test]
fn table_fits_100_columns_on_the_real_layout() {
    let out = stdout(&["--by", "label", &fixture("tiny.txt")]);
    assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
}

#[test]
fn markdown_output() {
    insta::assert_snapshot!(stdout(&[
        "--format",
        "markdown",
        "--columns",
        "src_bytes,same_srv_rate,flag",
        &fixture("tiny.txt")
    ]));
}

#[test]
fn csv_output() {
    insta::assert_snapshot!(stdout(&[
        "--format",
        "csv",
        "--columns",
        "duration,protocol_type",
        "--by",
        "category",
        &fixture("tiny.txt")
    ]));
}

#[test]
fn json_output() {
    insta::assert_snapshot!(stdout(&[
        "--format",
        "json",
        "--columns",
        "src_bytes,service",
        "--by",
        "category",
        &fixture("tiny.txt")
    ]));
}

#[test]
fn top_limits_the_lists() {
    let out = stdout(&[
        "--top",
        "1",
        "--columns",
        "service",
        "--format",
        "json",
        &fixture("tiny.txt"),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let service = &v["files"][0]["categorical"]["service"];
    assert_eq!(service["distinct"], 4);
    assert_eq!(service["counts"].as_object().unwrap().len(), 1);
}

/// The JSON of a file with its path left out, to compare layouts of the same records.
fn json_without_path(file: &str) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_str(&stdout(&["--format", "json", &fixture(file)])).unwrap();
    v["files"][0]["path"] = serde_json::Value::Null;
    v
}

#[test]
fn line_ends_blank_lines_and_a_missing_final_newline_change_nothing() {
    let tiny = json_without_path("tiny.txt");
    for other in ["tiny_crlf.txt", "blank_lines.txt", "no_final_newline.txt"] {
        assert_eq!(json_without_path(other), tiny, "{other}");
    }
}

#[test]
fn line_numbers_count_blank_lines() {
    let ds = load_path(fixture_path("blank_lines.txt")).unwrap();
    assert_eq!(ds.lines, [2, 4, 6, 7]);
}

#[test]
fn kdd_cup_99_with_a_misspelled_header_and_dotted_labels() {
    let ds = load_path(fixture_path("kdd99_header.csv")).unwrap();
    assert!(ds.layout.header && ds.layout.dotted_labels && !ds.layout.difficulty);
    assert_eq!(ds.rows(), 4);
    assert_eq!(ds.lines, [2, 3, 4, 5]);
    let labels: Vec<&str> = ds.str_values("label").unwrap().collect();
    assert_eq!(labels, ["normal", "smurf", "smurf", "back"]);
    let cats: Vec<&str> = ds.str_values("category").unwrap().collect();
    assert_eq!(cats, ["normal", "DoS", "DoS", "DoS"]);
    assert!(!ds.has_column("difficulty"));
    let plain = load_path(fixture_path("kdd99_noheader.txt")).unwrap();
    assert!(!plain.layout.header);
    assert!(plain.frame.equals(&ds.frame));
}

#[test]
fn frame_types_follow_the_schema() {
    use polars::prelude::DataType;
    let ds = load_path(fixture_path("tiny.txt")).unwrap();
    let dtype = |c: &str| ds.frame.column(c).unwrap().dtype().clone();
    assert_eq!(dtype("duration"), DataType::Int64);
    assert_eq!(dtype("land"), DataType::Int64);
    assert_eq!(dtype("serror_rate"), DataType::Float64);
    assert_eq!(dtype("service"), DataType::String);
    assert_eq!(dtype("difficulty"), DataType::Int64);
    assert_eq!(ds.frame.width(), 44);
    let names: Vec<String> = ds
        .frame
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let expected: Vec<&str> = kddstat::schema::FEATURES
        .iter()
        .map(|f| f.name)
        .chain(["label", "difficulty", "category"])
        .collect();
    assert_eq!(names, expected);
}

#[test]
fn unknown_labels_warn_and_count_as_unknown() {
    let out = kddstat()
        .args([
            "describe",
            "--columns",
            "category",
            "--format",
            "json",
            &fixture("unknown_label.txt"),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "kddstat: warning: {}: label 'zeroday' is not in the attack map (2 rows): its category is 'unknown'\n",
            fixture("unknown_label.txt")
        )
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["files"][0]["categorical"]["category"]["counts"]["unknown"],
        2
    );
    // --quiet silences the warning.
    kddstat()
        .args(["describe", "-q", &fixture("unknown_label.txt")])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn standard_input() {
    let out = kddstat()
        .args(["describe", "--format", "json", "-"])
        .pipe_stdin(fixture_path("tiny.txt"))
        .unwrap()
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][0]["path"], "<stdin>");
    v["files"][0]["path"] = serde_json::Value::Null;
    assert_eq!(v, json_without_path("tiny.txt"));
}

#[test]
fn several_files_in_order() {
    let out = stdout(&[
        "--format",
        "json",
        &fixture("tiny.txt"),
        &fixture("kdd99_header.csv"),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["files"][0]["rows"], 4);
    assert_eq!(v["files"][1]["path"], fixture("kdd99_header.csv"));
    assert!(v["files"][1]["numeric"].get("difficulty").is_none());
}

#[test]
fn unlabelled_records() {
    let ds = load_path(fixture_path("unlabelled.txt")).unwrap();
    assert!(!ds.layout.label && !ds.layout.difficulty);
    assert_eq!(ds.layout.describe(), "unlabelled layout, 41 fields");
    assert!(ds.unknown_labels.is_empty());
    let cats: Vec<&str> = ds.str_values("category").unwrap().collect();
    assert_eq!(cats, ["unknown"; 4]);
}

#[test]
fn column_accessors() {
    let ds = load_path(fixture_path("tiny.txt")).unwrap();
    // Codes follow first appearance: normal normal neptune ipsweep.
    assert_eq!(ds.str_codes("label").unwrap(), [0, 0, 1, 2]);
    assert_eq!(
        ds.f64_values("src_bytes").unwrap(),
        [100.0, 200.0, 300.0, 1000.0]
    );
    assert_eq!(
        ds.f64_values("same_srv_rate").unwrap(),
        [1.0, 0.5, 0.05, 1.0]
    );
}
