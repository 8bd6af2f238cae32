//! Supervised classifiers and hybrids: metrics against hand-worked figures, the NSL-KDD figures
//! against scikit-learn's (tests/reference/sklearn_classifiers.py, output committed as
//! tests/reference/classifiers.json), the JSON contract, model files, reproducibility.

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::{data_dir, fixture, kddstat};
use kddstat::evaluate::classifiers::{TestFile, figures};
use kddstat::schema::Category;
use serde_json::Value;

#[test]
fn metrics_by_hand() {
    let ds = kddstat::load::parse_bytes(
        "report_test.txt".into(),
        &fs::read(fixture("report_test.txt")).unwrap(),
    )
    .unwrap();
    let labels: Vec<String> = ds
        .str_values("label")
        .unwrap()
        .map(str::to_string)
        .collect();
    // Predictions: every neptune and the first two smurf rows are attacks (DoS), the mscan rows
    // and the other smurf rows normal, the first normal row an attack (Probe).
    let (mut smurf, mut first_normal) = (0, true);
    let mut attack = Vec::new();
    let mut category = Vec::new();
    for l in &labels {
        let (a, c) = match l.as_str() {
            "neptune" => (true, Category::DoS),
            "smurf" => {
                smurf += 1;
                if smurf <= 2 {
                    (true, Category::DoS)
                } else {
                    (false, Category::Normal)
                }
            }
            "normal" if first_normal => {
                first_normal = false;
                (true, Category::Probe)
            }
            _ => (false, Category::Normal),
        };
        attack.push(a);
        category.push(c);
    }
    let p: Vec<f64> = attack.iter().map(|a| f64::from(u8::from(*a))).collect();
    let known: BTreeSet<String> = [
        "normal",
        "neptune",
        "satan",
        "guess_passwd",
        "buffer_overflow",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let t = TestFile {
        rows: kddstat::load::rows::Rows::Frame(&ds),
        sha256: String::new(),
        known: &known,
    };
    let truth = kddstat::evaluate::Truth::of(&ds).unwrap();
    let f = figures(&t, &truth, &(attack.clone(), p.clone(), Some(category))).unwrap();
    let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} != {b}");
    // TP 5, FN 4, FP 1, TN 9.
    close(f.accuracy, 14.0 / 19.0);
    close(f.detection_rate, 5.0 / 9.0);
    close(f.false_alarm_rate, 0.1);
    close(f.precision, 5.0 / 6.0);
    close(f.f1, 2.0 / 3.0);
    // Ties count half: (45 + 5/2 + 36/2) / 90.
    close(f.roc_auc, 65.5 / 90.0);
    close(f.per_category.get("normal").copied().unwrap(), 0.9);
    close(f.per_category.get("DoS").copied().unwrap(), 5.0 / 7.0);
    close(f.per_category.get("Probe").copied().unwrap(), 0.0);
    close(f.known_accuracy.unwrap(), 12.0 / 13.0);
    close(f.novel_accuracy.unwrap(), 2.0 / 6.0);
    close(f.accuracy_5class.unwrap(), 14.0 / 19.0);
    // F1: normal 18/23, DoS 5/6, Probe 0 (R2L and U2R absent from truth and predictions).
    close(f.macro_f1.unwrap(), (18.0 / 23.0 + 5.0 / 6.0) / 3.0);
    let c = f.confusion.unwrap();
    assert_eq!(c.get("normal").unwrap().get("normal"), Some(&9));
    assert_eq!(c.get("normal").unwrap().get("Probe"), Some(&1));
    assert_eq!(c.get("DoS").unwrap().get("DoS"), Some(&5));
    assert_eq!(c.get("DoS").unwrap().get("normal"), Some(&2));
    assert_eq!(c.get("Probe").unwrap().get("normal"), Some(&2));
    assert!(f.paper.is_none());
    // A binary target: the 2 x 2 matrix.
    let b = figures(&t, &truth, &(attack, p, None)).unwrap();
    let c = b.confusion.unwrap();
    assert_eq!(c.get("normal").unwrap().get("normal"), Some(&9));
    assert_eq!(c.get("normal").unwrap().get("attack"), Some(&1));
    assert_eq!(c.get("attack").unwrap().get("normal"), Some(&4));
    assert_eq!(c.get("attack").unwrap().get("attack"), Some(&5));
    assert!(b.accuracy_5class.is_none() && b.macro_f1.is_none());
}

fn reference() -> Value {
    serde_json::from_str(&fs::read_to_string("tests/reference/classifiers.json").unwrap()).unwrap()
}

fn evaluate(dir: &std::path::Path, extra: &[&str]) -> Value {
    let out = kddstat()
        .env("KDDSTAT_DATA", dir)
        .args([
            "evaluate",
            "-q",
            "--detectors",
            "zscore",
            "--format",
            "json",
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn nsl_kdd_against_scikit_learn_and_the_paper() {
    let Some(dir) = data_dir(&["KDDTrain+.txt", "KDDTest+.txt", "KDDTest-21.txt"]) else {
        return;
    };
    let r = reference();
    let e = evaluate(
        &dir,
        &[
            "--classifiers",
            "tree,forest,bayes,logistic",
            "--hybrid",
            "tree+gmm",
            "--far",
            "0.02",
            "--seed",
            "42",
        ],
    );
    let by_id = |id: &str| -> Value {
        e["classifiers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no classifier {id}"))
    };
    for (id, tolerance) in [
        ("tree", 0.035),
        ("forest", 0.02),
        ("bayes", 0.02),
        ("logistic", 0.02),
    ] {
        let c = by_id(id);
        assert_eq!(c["target"], "binary");
        for t in c["tests"].as_array().unwrap() {
            let file = t["file"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            let ours = t["accuracy"].as_f64().unwrap();
            // The nearest of scikit-learn's seeds.
            let gap = r["binary"][id][&file]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| (v.as_f64().unwrap() - ours).abs())
                .fold(f64::INFINITY, f64::min);
            assert!(
                gap <= tolerance,
                "{id} on {file}: {ours} is {gap} from scikit-learn"
            );
            for key in [
                "detection_rate",
                "false_alarm_rate",
                "precision",
                "f1",
                "roc_auc",
                "per_category",
                "novel_accuracy",
                "known_accuracy",
            ] {
                assert!(!t[key].is_null(), "{id}: no {key}");
            }
            // The paper's table beside ours, for the files it measured.
            assert!(t["paper"]["source"].as_str().unwrap().contains("Tavallaee"));
            let j48 = t["paper"]["accuracy"]["J48"].as_f64().unwrap();
            assert_eq!(j48, if file == "KDDTest+.txt" { 81.05 } else { 63.97 });
        }
    }
    let h = by_id("tree+gmm");
    let acc: Vec<f64> = h["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["accuracy"].as_f64().unwrap())
        .collect();
    assert!(
        acc[0] >= 0.85 && acc[1] >= 0.72,
        "hybrid at far 0.02: {acc:?}"
    );
    // Five classes: the confusion matrix's rows sum to each category's rows.
    let e = evaluate(&dir, &["--classifiers", "tree", "--target", "category"]);
    let t = &e["classifiers"][0]["tests"];
    for (j, total) in [(0, 22_544u64), (1, 11_850)] {
        let m = t[j]["confusion"].as_object().unwrap();
        let mut sum = 0;
        for (truth, row) in m {
            let n: u64 = row
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum();
            let rows = e["detectors"][0]["tests"][j]["per_category"][truth]["rows"]
                .as_u64()
                .unwrap_or_else(|| {
                    e["detectors"][0]["tests"][j]["scores_by_category"][truth]["rows"]
                        .as_u64()
                        .unwrap()
                });
            assert_eq!(n, rows, "{truth}");
            sum += n;
        }
        assert_eq!(sum, total);
        let five = t[j]["accuracy_5class"].as_f64().unwrap();
        let file = if j == 0 {
            "KDDTest+.txt"
        } else {
            "KDDTest-21.txt"
        };
        let sk = r["category"]["tree"][file].as_f64().unwrap();
        assert!(
            (five - sk).abs() <= 0.04,
            "5-class tree on {file}: {five} vs {sk}"
        );
    }
}

#[test]
fn fit_score_and_the_same_bytes_on_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for threads in ["1", "2", "4"] {
        let out = tmp.path().join(format!("forest-{threads}.json"));
        kddstat()
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "fit",
                "-q",
                "--classifier",
                "forest",
                "--seed",
                "7",
                "--train",
            ])
            .arg(fixture("report_train.txt"))
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        files.push(fs::read(&out).unwrap());
    }
    assert!(
        files.windows(2).all(|w| w[0] == w[1]),
        "a forest differs between thread counts"
    );
    let model = tmp.path().join("forest-1.json");
    let out = kddstat()
        .args(["score", "--model"])
        .arg(&model)
        .arg(fixture("report_test.txt"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("line,label,category,predicted,attack_probability,attack\n"));
    assert_eq!(text.lines().count(), 20);
    // A damaged classifier file is refused with its name.
    let mut doc: Value = serde_json::from_slice(&files[0]).unwrap();
    doc["fitted"]["forest"]["trees"][0]["nodes"][0] =
        serde_json::json!({"feature": 100000, "threshold": 1.0, "left": 1, "right": 2});
    let bad = tmp.path().join("bad.json");
    fs::write(&bad, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = kddstat()
        .args(["score", "--model"])
        .arg(&bad)
        .arg(fixture("report_test.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json") && err.contains("damaged"), "{err}");
}

#[test]
fn more_classes_than_the_limit_is_an_error() {
    let line = fs::read_to_string(fixture("report_train.txt"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let mut text = String::new();
    for i in 0..=kddstat::classify::MAX_CLASSES {
        let fields: Vec<&str> = line.split(',').collect();
        let label = format!("x{i}");
        let mut f: Vec<&str> = fields.clone();
        f[41] = &label;
        text.push_str(&f.join(","));
        text.push('\n');
    }
    let tmp = tempfile::tempdir().unwrap();
    let train = tmp.path().join("many.txt");
    fs::write(&train, text).unwrap();
    let out = kddstat()
        .args([
            "fit",
            "-q",
            "--classifier",
            "tree",
            "--target",
            "label",
            "--train",
        ])
        .arg(&train)
        .arg("-o")
        .arg(tmp.path().join("m.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("many.txt") && err.contains("1025"), "{err}");
    assert!(!tmp.path().join("m.json").exists());
}
