//! The interface scripts rely on: every value `--help` lists is accepted, contradictory flags are
//! usage errors, tables fit 100 columns, `-o -` writes to standard output, archive members and
//! `NSL-KDD.zip` work everywhere, kddstat reads what it writes, completions and a man page.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::{data_dir, fixture, fixture_path, kddstat, stdout_of};
use serde_json::Value;

const SUBCOMMANDS: [&str; 10] = [
    "describe", "clean", "stats", "compare", "fit", "score", "evaluate", "report", "pcap", "fetch",
];

/// The values `-h` lists for a flag (`[possible values: a, b]`, possibly wrapped).
fn possible_values(help: &str, flag: &str) -> Vec<String> {
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let pattern = format!("{flag} <");
    for (at, _) in flat.match_indices(&pattern) {
        let rest = &flat[at..];
        let next_flag = rest[2..].find(" --").map_or(rest.len(), |i| i + 2);
        let Some(open) = rest[..next_flag].find("[possible values: ") else {
            continue;
        };
        let list = &rest[open + "[possible values: ".len()..];
        let close = list.find(']').unwrap();
        return list[..close].split(", ").map(str::to_string).collect();
    }
    Vec::new()
}

fn help_of(sub: &str) -> String {
    String::from_utf8(stdout_of(kddstat().args([sub, "-h"]))).unwrap()
}

/// A one-packet pcap (Ethernet, IPv4, UDP to port 53).
fn tiny_pcap(path: &Path) {
    fs::write(path, common::pcap_file(&[common::udp_frame(1234)])).unwrap();
}

/// A minimal successful command line of each subcommand on the fixtures, ending where a
/// `--format` value can be appended.
fn base_args(sub: &str, tmp: &Path, n: usize) -> Vec<String> {
    let train = fixture("report_train.txt");
    let test = fixture("report_test.txt");
    let out = |name: &str| tmp.join(format!("{n}-{name}")).display().to_string();
    let model = tmp.join("model.json").display().to_string();
    let pcap = tmp.join("one.pcap").display().to_string();
    let v: Vec<String> = match sub {
        "describe" | "stats" => vec![sub.into(), train],
        "clean" => vec![sub.into(), train, "-o".into(), out("clean.csv")],
        "compare" => vec![sub.into(), "--train".into(), train, "--test".into(), test],
        "fit" => vec![
            sub.into(),
            "--detectors".into(),
            "zscore".into(),
            "--train".into(),
            train,
            "-o".into(),
            out("model.json"),
        ],
        "score" => vec![sub.into(), "--model".into(), model, test],
        "evaluate" => vec![
            sub.into(),
            "--detectors".into(),
            "zscore".into(),
            "--train".into(),
            train,
            "--test".into(),
            test,
        ],
        "pcap" => vec![sub.into(), pcap],
        _ => Vec::new(),
    };
    v
}

#[test]
fn every_listed_format_and_detector_is_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    tiny_pcap(&tmp.path().join("one.pcap"));
    kddstat()
        .args(["fit", "-q", "--detectors", "zscore", "--train"])
        .arg(fixture("report_train.txt"))
        .arg("-o")
        .arg(tmp.path().join("model.json"))
        .assert()
        .success();
    let mut checked = 0;
    for (n, sub) in SUBCOMMANDS.iter().enumerate() {
        let help = help_of(sub);
        for value in possible_values(&help, "--format") {
            let mut args = base_args(sub, tmp.path(), n * 10 + checked);
            assert!(
                !args.is_empty(),
                "{sub} lists --format but has no test line"
            );
            args.extend(["--format".to_string(), value.clone(), "-q".to_string()]);
            let out = kddstat().args(&args).output().unwrap();
            assert!(
                out.status.success(),
                "{sub} --format {value}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 20,
        "only {checked} formats found in the help texts"
    );
    // Every detector `fit` and `evaluate` list is fitted and evaluated.
    for sub in ["fit", "evaluate", "report"] {
        let names = possible_values(&help_of(sub), "--detectors");
        assert!(names.contains(&"ensemble".to_string()), "{sub}: {names:?}");
        for name in names {
            let args: Vec<String> = match sub {
                "fit" => vec![
                    "fit".into(),
                    "--detectors".into(),
                    name.clone(),
                    "--train".into(),
                    fixture("report_train.txt"),
                    "-o".into(),
                    tmp.path()
                        .join(format!("{name}.json"))
                        .display()
                        .to_string(),
                    "--force".into(),
                ],
                "evaluate" => vec![
                    "evaluate".into(),
                    "--detectors".into(),
                    name.clone(),
                    "--train".into(),
                    fixture("report_train.txt"),
                    "--test".into(),
                    fixture("report_test.txt"),
                    "--format".into(),
                    "json".into(),
                ],
                _ => vec![
                    "report".into(),
                    "--detectors".into(),
                    name.clone(),
                    "--train".into(),
                    fixture("report_train.txt"),
                    "--test".into(),
                    fixture("report_test.txt"),
                    "-o".into(),
                    tmp.path()
                        .join(format!("report-{name}"))
                        .display()
                        .to_string(),
                ],
            };
            let out = kddstat().args(&args).arg("-q").output().unwrap();
            assert!(
                out.status.success(),
                "{sub} --detectors {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            if sub == "evaluate" {
                let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(v["detectors"][0]["id"], name.as_str());
                assert!(v["detectors"][0]["label"].is_string());
                assert!(v["detectors"][0]["parameters"]["seed"].is_u64());
            }
        }
    }
}

#[test]
fn contradictory_or_ignored_flags_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let train = fixture("report_train.txt");
    let test = fixture("report_test.txt");
    let model = tmp.path().join("m.json");
    kddstat()
        .args([
            "fit",
            "-q",
            "--detectors",
            "kmeans",
            "--k",
            "2",
            "--train",
            &train,
            "-o",
        ])
        .arg(&model)
        .assert()
        .success();
    let m = model.display().to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "evaluate",
            "--model",
            &m,
            "--detectors",
            "kmeans",
            "--test",
            &test,
        ],
        vec!["evaluate", "--model", &m, "--k", "3", "--test", &test],
        vec!["report", "--no-detectors", "--k", "12", "--train", &train],
        vec![
            "fit",
            "--detectors",
            "zscore",
            "--k",
            "3",
            "--train",
            &train,
            "-o",
            "x.json",
        ],
        vec![
            "fit",
            "--detectors",
            "ensemble",
            "--members",
            "ensemble",
            "--train",
            &train,
            "-o",
            "x.json",
        ],
        vec!["pcap", "--port-scan-threshold", "0", "x.pcap"],
        vec!["describe", "--top", "0", &train],
        vec!["describe", "--format", "xml", &train],
        vec!["clean", &train, "-o", "x.csv", "--format", "csv"],
        vec!["compare", &train, &test, "--train", &train],
    ];
    for args in cases {
        let out = kddstat().args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
    assert!(
        !Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("x.json")
            .exists()
    );
}

#[test]
fn aliases_keep_old_spellings() {
    let tmp = tempfile::tempdir().unwrap();
    let train = fixture("report_train.txt");
    kddstat()
        .args(["fit", "-q", "--detector", "zscore", &train, "--out"])
        .arg(tmp.path().join("m.json"))
        .assert()
        .success();
    kddstat()
        .args([
            "compare",
            &train,
            &fixture("report_test.txt"),
            "--format",
            "json",
        ])
        .assert()
        .success();
}

#[test]
fn dash_writes_to_standard_output() {
    let tmp = tempfile::tempdir().unwrap();
    let train = fixture("report_train.txt");
    let file = tmp.path().join("c.csv");
    kddstat()
        .args(["clean", "-q", &train, "-o"])
        .arg(&file)
        .assert()
        .success();
    let piped = stdout_of(kddstat().args(["clean", "-q", &train, "-o", "-"]));
    assert_eq!(piped, fs::read(&file).unwrap());
    assert!(!Path::new(env!("CARGO_MANIFEST_DIR")).join("-").exists());
    // score: standard output by default and with -o -.
    let model = tmp.path().join("m.json");
    kddstat()
        .args([
            "fit",
            "-q",
            "--detectors",
            "zscore",
            "--train",
            &train,
            "-o",
        ])
        .arg(&model)
        .assert()
        .success();
    let a = stdout_of(
        kddstat()
            .arg("score")
            .arg("--model")
            .arg(&model)
            .arg(&train),
    );
    let b = stdout_of(
        kddstat()
            .arg("score")
            .arg("--model")
            .arg(&model)
            .arg(&train)
            .args(["-o", "-"]),
    );
    assert_eq!(a, b);
    assert!(String::from_utf8_lossy(&a).starts_with("line,label,category,score,anomalous\n"));
    // score --threshold and --format json.
    let j: Value = serde_json::from_slice(&stdout_of(
        kddstat()
            .arg("score")
            .arg("--model")
            .arg(&model)
            .arg(&train)
            .args(["--format", "json", "--threshold", "-1"]),
    ))
    .unwrap();
    assert_eq!(j["id"], "zscore");
    assert_eq!(j["threshold"], -1.0);
    assert_eq!(j["anomalous"], j["rows"]);
    assert_eq!(j["records"].as_array().unwrap().len(), 43);
    // pcap records.
    let pcap = tmp.path().join("one.pcap");
    tiny_pcap(&pcap);
    let records = stdout_of(kddstat().arg("pcap").arg(&pcap).args(["-q", "-o", "-"]));
    let text = String::from_utf8(records).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.ends_with(",unknown\n"), "{text}");
    // fit -o -: the model is the output, the summary goes to standard error.
    let m: Value = serde_json::from_slice(&stdout_of(kddstat().args([
        "fit",
        "-q",
        "--detectors",
        "zscore",
        "--train",
        &train,
        "-o",
        "-",
    ])))
    .unwrap();
    assert_eq!(m["format"], "kddstat-model");
}

#[test]
fn archive_members_are_named_the_same_way_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let zip_path = tmp.path().join("two.zip");
    let train = fs::read(fixture_path("report_train.txt")).unwrap();
    let test = fs::read(fixture_path("report_test.txt")).unwrap();
    fs::write(
        &zip_path,
        common::zip_of(&[("train.txt", &train), ("test.txt", &test)]),
    )
    .unwrap();
    let zp = zip_path.display().to_string();
    let member = |m: &str| format!("{zp}:{m}");
    let direct =
        stdout_of(kddstat().args(["describe", "--format", "json", &fixture("report_test.txt")]));
    let from_zip = stdout_of(kddstat().args(["describe", "--format", "json", &member("test.txt")]));
    let (a, b): (Value, Value) = (
        serde_json::from_slice(&direct).unwrap(),
        serde_json::from_slice(&from_zip).unwrap(),
    );
    assert_eq!(a["files"][0]["numeric"], b["files"][0]["numeric"]);
    for args in [
        vec![
            "compare".to_string(),
            "--train".into(),
            member("train.txt"),
            "--test".into(),
            member("test.txt"),
        ],
        vec!["stats".into(), member("train.txt")],
        vec![
            "evaluate".into(),
            "--detectors".into(),
            "zscore".into(),
            "--train".into(),
            member("train.txt"),
            "--test".into(),
            member("test.txt"),
        ],
        vec![
            "describe".into(),
            "--entry".into(),
            "test.txt".into(),
            zp.clone(),
        ],
    ] {
        let out = kddstat().args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = kddstat()
        .args(["describe", &member("nope.txt")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no entry 'nope.txt'"), "{err}");
}

/// `describe --format json` of a file, its numeric and categorical figures.
fn figures(path: &str) -> (Value, Value) {
    let v: Value = serde_json::from_slice(&stdout_of(
        kddstat().args(["describe", "-q", "--format", "json", path]),
    ))
    .unwrap();
    (
        v["files"][0]["numeric"].clone(),
        v["files"][0]["categorical"].clone(),
    )
}

/// Checks that `out`'s figures equal `input`'s, minus `dropped` columns.
fn same_figures_minus(input: &str, out: &str, dropped: &[String]) {
    let (ni, ci) = figures(input);
    let (no, co) = figures(out);
    let ni = ni.as_object().unwrap();
    let no = no.as_object().unwrap();
    for (k, v) in ni {
        if dropped.contains(k) {
            assert!(!no.contains_key(k), "{k} was dropped");
        } else {
            assert_eq!(Some(v), no.get(k), "{k}");
        }
    }
    assert_eq!(ni.len(), no.len() + dropped.len());
    assert_eq!(ci, co);
}

fn clean_to(input: &str, out: &Path, extra: &[&str]) -> Vec<String> {
    let v: Value = serde_json::from_slice(&stdout_of(
        kddstat()
            .args(["clean", "-q", "--format", "json", input, "-o"])
            .arg(out)
            .args(extra),
    ))
    .unwrap();
    v["dropped_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn kddstat_reads_what_it_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let input = fixture("report_train.txt");
    for (name, extra) in [
        ("plain.csv", vec![]),
        ("dropped.csv", vec!["--drop-constant"]),
        ("plain.parquet", vec![]),
        ("dropped.parquet", vec!["--drop-constant"]),
    ] {
        let out = tmp.path().join(name);
        let dropped = clean_to(&input, &out, &extra);
        assert_eq!(dropped.is_empty(), extra.is_empty(), "{name}");
        same_figures_minus(&input, &out.display().to_string(), &dropped);
    }
    // A command that needs every feature says which are absent.
    let out = kddstat()
        .arg("stats")
        .arg(tmp.path().join("dropped.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stats needs all of them"), "{err}");
    assert_eq!(err.lines().count(), 1);
    // Parquet without drops serves every command.
    kddstat()
        .args(["stats", "-q"])
        .arg(tmp.path().join("plain.parquet"))
        .assert()
        .success();
}

#[test]
fn a_capture_given_as_data_points_at_pcap() {
    let tmp = tempfile::tempdir().unwrap();
    let pcap = tmp.path().join("one.pcap");
    tiny_pcap(&pcap);
    let out = kddstat().arg("describe").arg(&pcap).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("packet capture") && err.contains("kddstat pcap"),
        "{err}"
    );
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let text = String::from_utf8(stdout_of(kddstat().args(["completions", shell]))).unwrap();
        assert!(text.contains("kddstat"), "{shell}");
        for sub in SUBCOMMANDS {
            assert!(text.contains(sub), "{shell} completion lacks {sub}");
        }
        assert!(text.contains("detectors"), "{shell}");
    }
    let out = kddstat().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let man = String::from_utf8(stdout_of(kddstat().arg("man"))).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH kddstat"),
        "{}",
        &man[..200]
    );
    assert!(man.contains(".SH SUBCOMMANDS") || man.contains("describe"));
}

/// Every line of a command's standard output is at most 100 columns.
fn assert_fits(args: &[String]) {
    let text = String::from_utf8(stdout_of(kddstat().args(args).arg("-q"))).unwrap();
    for line in text.lines() {
        assert!(
            line.chars().count() <= 100,
            "{args:?}: a line of {} columns: {line}",
            line.chars().count()
        );
    }
}

#[test]
fn tables_fit_100_columns_on_the_real_data() {
    let Some(dir) = data_dir(&["KDDTrain+.txt", "KDDTest+.txt", "KDDTest-21.txt"]) else {
        return;
    };
    let f = |n: &str| dir.join(n).display().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let cases: Vec<Vec<String>> = vec![
        s(&["describe", &f("KDDTrain+.txt"), &f("KDDTest+.txt")]),
        s(&["describe", "--by", "label", &f("KDDTest+.txt")]),
        s(&["describe", "--by", "category", &f("KDDTest-21.txt")]),
        s(&["stats", &f("KDDTest+.txt")]),
        s(&["stats", "--by", "label", &f("KDDTest+.txt")]),
        s(&[
            "compare",
            "--train",
            &f("KDDTrain+.txt"),
            "--test",
            &f("KDDTest-21.txt"),
        ]),
        s(&[
            "evaluate",
            "--detectors",
            "zscore,ensemble",
            "--train",
            &f("KDDTrain+.txt"),
            "--test",
            &f("KDDTest+.txt"),
            "--test",
            &f("KDDTest-21.txt"),
        ]),
        vec![
            "clean".into(),
            f("KDDTest+.txt"),
            "-o".into(),
            tmp.path().join("c.csv").display().to_string(),
            "--drop-constant".into(),
        ],
    ];
    for args in &cases {
        assert_fits(args);
    }
}

#[test]
fn nsl_kdd_zip_alone_serves_the_defaults() {
    let Some(dir) = data_dir(&["KDDTrain+.txt"]) else {
        return;
    };
    let zip = dir.parent().unwrap().join("NSL-KDD.zip");
    if !zip.is_file() {
        common::missing(&zip.display().to_string(), "it sits in ../shared/datasets");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(&zip, tmp.path().join("NSL-KDD.zip")).unwrap();
    // A data folder holding only the archive, and KDDSTAT_DATA naming the archive itself.
    for data in [tmp.path().to_path_buf(), tmp.path().join("NSL-KDD.zip")] {
        let v: Value = serde_json::from_slice(&stdout_of(
            kddstat()
                .env("KDDSTAT_DATA", &data)
                .args(["compare", "-q", "--format", "json"]),
        ))
        .unwrap();
        assert_eq!(v["train_rows"], 125_973, "{}", data.display());
        assert_eq!(v["test_rows"], 22_544);
    }
    let names: BTreeSet<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "nothing is downloaded or unpacked: {names:?}"
    );
}

#[test]
fn evaluate_csv_is_tidy() {
    let text = String::from_utf8(stdout_of(kddstat().args([
        "evaluate",
        "-q",
        "--format",
        "csv",
        "--detectors",
        "zscore,kmeans",
        "--k",
        "2",
        "--train",
        &fixture("report_train.txt"),
        "--test",
        &fixture("report_test.txt"),
    ])))
    .unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id,label,test,by,group,statistic,value"));
    let mut keys = BTreeSet::new();
    let mut bys = BTreeSet::new();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 7, "{line}");
        bys.insert(fields[3].to_string());
        let key = (fields[0], fields[2], fields[3], fields[4], fields[5]);
        assert!(keys.insert(key), "a duplicate key: {line}");
        if fields[3] == "overall" {
            assert_eq!(fields[4], "", "{line}");
        }
    }
    assert_eq!(
        bys.into_iter().collect::<Vec<_>>(),
        ["category", "label", "overall"]
    );
}
