//! `kddstat stats` and `kddstat compare` on fixtures: output pinned, JSON shape, usage errors.
//! (Figures are checked by hand in the unit tests of `src/stats/` and against pandas and scipy in
//! `real_data.rs`.)

mod common;

use common::{fixture, kddstat};

fn stdout(args: &[&str]) -> String {
    String::from_utf8(common::stdout_of(kddstat().args(args))).unwrap()
}

#[test]
fn stats_table() {
    insta::assert_snapshot!(stdout(&["stats", &fixture("tiny.txt")]));
}

#[test]
fn compare_table() {
    insta::assert_snapshot!(stdout(&[
        "compare",
        &fixture("tiny.txt"),
        &fixture("dups_conflicts.txt")
    ]));
}

#[test]
fn stats_json_shape() {
    let v: serde_json::Value = serde_json::from_str(&stdout(&[
        "stats",
        "--format",
        "json",
        "--by",
        "label",
        &fixture("dups_conflicts.txt"),
    ]))
    .unwrap();
    // Objects of objects, one entry per numeric feature; null where undefined.
    assert_eq!(v["pearson"].as_object().unwrap().len(), 38);
    assert_eq!(v["pearson"]["src_bytes"]["src_bytes"], 1.0);
    assert!(v["pearson"]["land"]["src_bytes"].is_null());
    assert!(v["spearman"]["src_bytes"]["dst_bytes"].is_number());
    assert_eq!(v["skewness"].as_object().unwrap().len(), 38);
    assert_eq!(v["profile_by"], "label");
    assert_eq!(v["profile"]["normal"]["rows"], 5);
    assert!(v["profile"]["teardrop"]["mean"]["src_bytes"].is_number());
    let kinds: Vec<&str> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"constant") && kinds.contains(&"duplicates"));
    assert!(kinds.contains(&"conflicts"));
}

#[test]
fn stats_csv_and_markdown() {
    let csv = stdout(&["stats", "--format", "csv", &fixture("tiny.txt")]);
    assert!(csv.starts_with("statistic,group,feature,other,value\n"));
    assert!(csv.contains("\npearson,,src_bytes,src_bytes,1\n"));
    let md = stdout(&["stats", "--format", "markdown", &fixture("tiny.txt")]);
    assert!(md.contains("### Relevance to the category"));
    assert!(md.contains("| feature | mutual info | gain ratio | bins |"));
}

#[test]
fn compare_json_shape() {
    let v: serde_json::Value = serde_json::from_str(&stdout(&[
        "compare",
        "--format",
        "json",
        &fixture("tiny.txt"),
        &fixture("dups_conflicts.txt"),
    ]))
    .unwrap();
    assert!(v["numeric"]["duration"]["ks"].is_number());
    assert!(v["numeric"]["duration"]["psi"].is_number());
    assert!(v["categorical"]["service"]["tvd"].is_number());
    assert_eq!(v["novel_labels"]["teardrop"], 1);
    assert_eq!(v["novel_rows"], 1);
}

#[test]
fn usage_and_input_errors() {
    let out = kddstat()
        .args(["stats", "--min-r", "2", &fixture("tiny.txt")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "kddstat: error: --min-r 2 is not in [0, 1]\n"
    );
    let out = kddstat()
        .args(["compare", &fixture("tiny.txt"), &fixture("bad_rate.txt")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "kddstat: error: {}:4: column 'same_srv_rate': '1.50' is not a rate in [0, 1]\n",
            fixture("bad_rate.txt")
        )
    );
}
