//! `kddstat fit`, `score` and `evaluate` on fixtures: model files, their errors, score files,
//! reproducibility. (The detectors' figures on the real data are in `real_data.rs`; the metrics are
//! checked by hand in `src/evaluate/metrics.rs`.)

mod common;

use std::path::Path;

use common::{fixture, fixture_path, kddstat, stdout_of};

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    kddstat().args(args).current_dir(dir).output().unwrap()
}

/// Runs kddstat in `dir`, requires success, returns stdout.
fn succeed(dir: &Path, args: &[&str]) -> String {
    String::from_utf8(stdout_of(kddstat().args(args).current_dir(dir))).unwrap()
}

fn fit(dir: &Path, detector: &str, out: &str, extra: &[&str]) {
    let input = fixture_path("dups_conflicts.txt");
    let mut args = vec![
        "fit",
        "--detector",
        detector,
        input.to_str().unwrap(),
        "-o",
        out,
    ];
    args.extend_from_slice(extra);
    succeed(dir, &args);
}

#[test]
fn every_detector_fits_scores_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    for (d, extra) in [
        ("zscore", vec![]),
        ("kmeans", vec!["--k", "2"]),
        ("gmm", vec!["--components", "2"]),
        ("iforest", vec!["--trees", "10", "--max-samples", "4"]),
        (
            "ensemble",
            vec![
                "--members",
                "zscore,iforest",
                "--trees",
                "5",
                "--max-samples",
                "4",
            ],
        ),
    ] {
        let model = format!("{d}.json");
        fit(dir.path(), d, &model, &extra);
        let m = kddstat::detect::Model::read(&dir.path().join(&model)).unwrap();
        assert_eq!(m.format_version, kddstat::detect::FORMAT_VERSION);
        assert_eq!(m.training.rows, 8);
        assert_eq!(m.training.fit_rows, 5); // the normal rows
        assert_eq!(m.training.sha256.len(), 64);
        let tiny = fixture_path("tiny.txt");
        let text = succeed(
            dir.path(),
            &["score", "--model", &model, tiny.to_str().unwrap()],
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "line,label,category,score,anomalous");
        assert_eq!(lines.len(), 5);
        assert!(lines[1].starts_with("1,normal,normal,"));
        assert!(lines[3].starts_with("3,neptune,DoS,"));
        for l in &lines[1..] {
            let f: Vec<&str> = l.split(',').collect();
            let score: f64 = f[3].parse().unwrap();
            assert_eq!(f[4] == "1", score > m.threshold, "{d}: {l}");
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes_on_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture_path("dups_conflicts.txt");
    let fit_with = |threads: &str, out: &str| {
        let o = kddstat()
            .args([
                "fit",
                "--detector",
                "ensemble",
                "--k",
                "2",
                "--components",
                "2",
            ])
            .args(["--max-samples", "4", "--seed", "7"])
            .arg(&input)
            .args(["-o", out])
            .current_dir(dir.path())
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(dir.path().join(out)).unwrap()
    };
    let a = fit_with("1", "a.json");
    let b = fit_with("2", "b.json");
    assert_eq!(a, b);
    let c = fit_with("2", "c.json");
    assert_eq!(a, c);
}

fn model_error(dir: &Path, content: &str) -> String {
    std::fs::write(dir.join("m.json"), content).unwrap();
    let o = run(
        dir,
        &[
            "score",
            "--model",
            "m.json",
            fixture_path("tiny.txt").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let e = String::from_utf8(o.stderr).unwrap();
    assert_eq!(e.lines().count(), 1, "{e}");
    e
}

#[test]
fn damaged_edited_or_foreign_models_are_refused_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    fit(dir.path(), "kmeans", "good.json", &["--k", "2"]);
    let good = std::fs::read_to_string(dir.path().join("good.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();

    assert_eq!(
        model_error(dir.path(), "{not json"),
        "kddstat: error: m.json: not a JSON file (key must be a string at line 1 column 2)\n"
    );
    assert_eq!(
        model_error(dir.path(), "{\"some\": \"json\"}"),
        "kddstat: error: m.json: not a kddstat model file\n"
    );
    v["format_version"] = 99.into();
    assert_eq!(
        model_error(dir.path(), &v.to_string()),
        "kddstat: error: m.json: model format version 99; this kddstat reads versions 1 to 2: fit it again\n"
    );
    v["format_version"] = 2.into();
    v["features"][4] = "bytes_out".into();
    assert_eq!(
        model_error(dir.path(), &v.to_string()),
        "kddstat: error: m.json: fitted on another schema (its feature names differ)\n"
    );
    v["features"][4] = "src_bytes".into();
    v["threshold"] = "high".into();
    assert!(
        model_error(dir.path(), &v.to_string())
            .starts_with("kddstat: error: m.json: damaged or edited")
    );
    v["threshold"] = 1.0.into();
    v["detector"]["centroids"][0] = serde_json::json!([1.0, 2.0]);
    assert_eq!(
        model_error(dir.path(), &v.to_string()),
        "kddstat: error: m.json: damaged or edited (its centroids do not match its encoder)\n"
    );
    // A variance of 0 in a mixture.
    fit(dir.path(), "gmm", "g.json", &["--components", "2"]);
    let mut g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("g.json")).unwrap()).unwrap();
    g["detector"]["spread"][0][3] = 0.0.into();
    assert_eq!(
        model_error(dir.path(), &g.to_string()),
        "kddstat: error: m.json: damaged or edited (its mixture does not match its encoder)\n"
    );
    // Cut short.
    assert!(
        model_error(dir.path(), &good[..good.len() / 2])
            .starts_with("kddstat: error: m.json: not a JSON file")
    );
}

#[test]
fn score_writes_a_file_atomically_and_protects_existing_ones() {
    let dir = tempfile::tempdir().unwrap();
    fit(dir.path(), "zscore", "z.json", &[]);
    let tiny = fixture_path("tiny.txt");
    let args = ["score", "--model", "z.json", tiny.to_str().unwrap()];
    succeed(dir.path(), &[&args[..], &["-o", "s.csv"]].concat());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("s.csv"))
            .unwrap()
            .lines()
            .count(),
        5
    );
    let o = run(
        dir.path(),
        &[
            "score",
            "--model",
            "z.json",
            tiny.to_str().unwrap(),
            "-o",
            "s.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let o = run(
        dir.path(),
        &[
            "score",
            "--model",
            "z.json",
            tiny.to_str().unwrap(),
            "-o",
            "z.json",
            "--force",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "kddstat: error: z.json: is an input; kddstat never writes over its input\n"
    );
}

#[test]
fn evaluate_reports_every_detector_and_test_file() {
    let o = kddstat()
        .args(["evaluate", "--train", &fixture("dups_conflicts.txt")])
        .args([
            "--test",
            &fixture("tiny.txt"),
            "--test",
            &fixture("dups_conflicts.txt"),
        ])
        .args([
            "--detector",
            "zscore,iforest",
            "--max-samples",
            "4",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = v["detectors"].as_array().unwrap();
    assert_eq!(d.len(), 2);
    let t = &d[0]["tests"][0];
    assert_eq!(t["file"], fixture("tiny.txt"));
    assert!(t["roc_auc"]["overall"].is_number());
    assert!(t["roc_auc"]["DoS"].is_number());
    assert_eq!(t["per_label"]["neptune"]["count"], 1);
    assert_eq!(t["scores_by_category"]["normal"]["rows"], 2);
    assert!(t["scores_by_label"]["ipsweep"]["median"].is_number());
    // Training on a file without normal rows is a clear error.
    let o = kddstat()
        .args([
            "fit",
            "--detector",
            "zscore",
            &fixture("kdd99_header.csv"),
            "-o",
        ])
        .arg(tempfile::tempdir().unwrap().path().join("m.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("too few rows to fit on (1); at least 2 are needed")
    );
}

#[test]
fn unlabelled_records_are_scored_but_not_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    fit(dir.path(), "zscore", "z.json", &[]);
    let unlabelled = fixture_path("unlabelled.txt");
    let o = run(
        dir.path(),
        &["score", "--model", "z.json", unlabelled.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stderr.is_empty()); // no warning for the unknown label
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with("1,unknown,unknown,")
    );
    let o = kddstat()
        .args(["evaluate", "--train", &fixture("dups_conflicts.txt")])
        .args(["--test", &fixture("unlabelled.txt"), "--detector", "zscore"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "kddstat: error: {}: has no labels, and evaluate needs them (kddstat score scores unlabelled records)\n",
            fixture("unlabelled.txt")
        )
    );
}

/// A model file holds only the parameters of its detector (an ensemble's members each their own),
/// and the flags that apply to a detector follow from them.
#[test]
fn model_files_hold_only_the_parameters_that_apply() {
    let dir = tempfile::tempdir().unwrap();
    let keys = |file: &str| -> Vec<String> {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(file)).unwrap()).unwrap();
        let mut k: Vec<String> = v["parameters"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    };
    // (With --robust these 5 rows give a zero MAD everywhere: a degenerate model, refused.)
    fit(dir.path(), "zscore", "z.json", &["--agg", "max"]);
    assert_eq!(
        keys("z.json"),
        [
            "aggregate",
            "detector",
            "far",
            "fit_on_all",
            "robust",
            "seed"
        ]
    );
    fit(dir.path(), "gmm", "g.json", &["--components", "2"]);
    assert_eq!(
        keys("g.json"),
        [
            "components",
            "covariance",
            "detector",
            "far",
            "fit_on_all",
            "n_init",
            "reg_covar",
            "seed",
            "seeds",
            "transform"
        ]
    );
    fit(
        dir.path(),
        "ensemble",
        "e.json",
        &["--members", "zscore,kmeans", "--k", "3"],
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("e.json")).unwrap()).unwrap();
    assert_eq!(
        v["parameters"]["members"],
        serde_json::json!([
            {"detector": "zscore", "aggregate": "mean", "robust": false},
            {"detector": "kmeans", "k": 3, "n_init": 1, "kmeans_engine": "native", "transform": "log1p"}
        ])
    );
    // Which detectors a flag applies to is read from their parameters.
    let o = run(
        dir.path(),
        &[
            "fit",
            "--detectors",
            "zscore",
            "--n-init",
            "2",
            fixture_path("dups_conflicts.txt").to_str().unwrap(),
            "-o",
            "x.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        "kddstat: error: --n-init applies to kmeans, gmm only, which is not fitted here\n"
    );
    // Parameters are validated in one place, whatever the command.
    for (d, flag, value) in [
        ("gmm", "--n-init", "0"),
        ("kmeans", "--k", "0"),
        ("iforest", "--max-samples", "1"),
        ("ensemble", "--seeds", "2"),
    ] {
        let o = run(
            dir.path(),
            &[
                "fit",
                "--detectors",
                d,
                flag,
                value,
                fixture_path("dups_conflicts.txt").to_str().unwrap(),
                "-o",
                "x.json",
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{d} {flag} {value}");
        let e = String::from_utf8(o.stderr).unwrap();
        assert!(
            e.starts_with(&format!("kddstat: error: {flag} {value}: ")),
            "{e}"
        );
    }
}

/// Models written before each detector kept only its own parameters (format version 1: one flat
/// object of every parameter, an ensemble's members as names) are still read, with the same
/// scores, their members' parameters taken from the flat object.
#[test]
fn version_1_model_files_are_still_read() {
    let dir = tempfile::tempdir().unwrap();
    fit(
        dir.path(),
        "ensemble",
        "e.json",
        &[
            "--members",
            "zscore,kmeans,gmm",
            "--k",
            "3",
            "--components",
            "2",
        ],
    );
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("e.json")).unwrap()).unwrap();
    // The flat object of version 1, as it wrote it: every parameter of every detector.
    v["format_version"] = 1.into();
    v["parameters"] = serde_json::json!({
        "detector": "ensemble", "fit_on_all": false, "far": 0.01, "seed": 42,
        "aggregate": "mean", "robust": false, "k": 3, "n_init": 1, "kmeans_engine": "native",
        "components": 2, "transform": "log1p", "reg_covar": 0.001, "seeds": 1,
        "covariance": "diag", "trees": 100, "sample": 256,
        "members": ["zscore", "kmeans", "gmm"]
    });
    std::fs::write(dir.path().join("v1.json"), v.to_string()).unwrap();
    let new = kddstat::detect::Model::read(&dir.path().join("e.json")).unwrap();
    let old = kddstat::detect::Model::read(&dir.path().join("v1.json")).unwrap();
    assert_eq!(old.parameters, new.parameters);
    assert_eq!(old.parameters(), new.parameters());
    let score = |m: &str| {
        succeed(
            dir.path(),
            &[
                "score",
                "--model",
                m,
                fixture_path("dups_conflicts.txt").to_str().unwrap(),
                "--format",
                "csv",
            ],
        )
    };
    assert_eq!(score("v1.json"), score("e.json"));
}

/// `--param KEY=VALUE` sets any field of a detector's parameter struct by its name: the same
/// model as the dedicated flag; unknown names, wrong types, bad values and a key set twice are one
/// line each, exit 2.
#[test]
fn any_parameter_is_settable_by_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let train = common::fixture_path("report_train.txt");
    let fit = |extra: &[&str], out: &str| {
        common::kddstat()
            .args(["fit", "--train"])
            .arg(&train)
            .args(extra)
            .args(["-o", out, "-q"])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    assert!(
        fit(&["--detectors", "kmeans", "--k", "3"], "a.json")
            .status
            .success()
    );
    assert!(
        fit(&["--detectors", "kmeans", "--param", "k=3"], "b.json")
            .status
            .success()
    );
    let read = |f: &str| std::fs::read(dir.path().join(f)).unwrap();
    assert_eq!(read("a.json"), read("b.json"));
    assert!(
        fit(
            &[
                "--detectors",
                "gmm",
                "--param",
                "covariance=full",
                "--param",
                "components=2"
            ],
            "c.json"
        )
        .status
        .success()
    );
    let model: serde_json::Value = serde_json::from_slice(&read("c.json")).unwrap();
    assert_eq!(model["parameters"]["covariance"], "full");
    for (extra, needle) in [
        (
            &["--detectors", "kmeans", "--param", "depth=3"][..],
            "no detector has a parameter 'depth'",
        ),
        (
            &["--detectors", "kmeans", "--param", "k=zero"][..],
            "does not fit kmeans's parameters",
        ),
        (
            &["--detectors", "kmeans", "--param", "k=0"][..],
            "between 1 and",
        ),
        (
            &["--detectors", "kmeans", "--k", "3", "--param", "k=4"][..],
            "sets already",
        ),
        (
            &["--detectors", "kmeans", "--param", "components=4"][..],
            "applies to gmm only",
        ),
        (
            &["--detectors", "kmeans", "--param", "detector=gmm"][..],
            "no detector has a parameter",
        ),
        (&["--detectors", "kmeans", "--param", "k"][..], "KEY=VALUE"),
    ] {
        let out = fit(extra, "x.json");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        // clap's own parse errors add its usual hint line.
        assert!(
            err.lines().count() == 1 || needle == "KEY=VALUE",
            "{extra:?}: {err}"
        );
        assert!(err.contains(needle), "{extra:?}: {err}");
    }
}
