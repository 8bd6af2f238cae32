//! `kddstat tune`: leave-attack-labels-out validation on the training file alone, the chosen
//! model written and usable, the same bytes for the same seed.

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::{fixture, kddstat};
use serde_json::Value;

fn tune(out: &std::path::Path, seed: &str) -> Value {
    // No data folder at all: tune must not need (or read) any test file.
    let empty = tempfile::tempdir().unwrap();
    let run = kddstat()
        .env("KDDSTAT_DATA", empty.path())
        .args([
            "tune",
            "-q",
            "--detector",
            "gmm",
            "--format",
            "json",
            "--seed",
            seed,
        ])
        .arg("--train")
        .arg(fixture("report_train.txt"))
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&run.stdout).unwrap()
}

#[test]
fn folds_hold_out_training_labels_only_and_the_model_is_usable() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("m.json");
    let t = tune(&model, "3");
    // The folds partition the training file's attack labels: nothing else can be a positive.
    let train: BTreeSet<String> = fs::read_to_string(fixture("report_train.txt"))
        .unwrap()
        .lines()
        .map(|l| l.split(',').nth(41).unwrap().to_string())
        .filter(|l| l != "normal")
        .collect();
    let mut seen = BTreeSet::new();
    for fold in t["folds"].as_array().unwrap() {
        for l in fold.as_array().unwrap() {
            assert!(
                seen.insert(l.as_str().unwrap().to_string()),
                "{l} in two folds"
            );
        }
    }
    assert_eq!(seen, train);
    assert_eq!(
        t["fit_rows"].as_u64().unwrap() + t["holdout_rows"].as_u64().unwrap(),
        24
    );
    let candidates = t["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 8);
    let chosen = t["chosen"].as_u64().unwrap() as usize;
    let best = candidates
        .iter()
        .map(|c| c["validation_auc"].as_f64().unwrap())
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(candidates[chosen]["validation_auc"].as_f64().unwrap(), best);
    for c in candidates {
        let folds: Vec<f64> = c["folds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let mean = folds.iter().sum::<f64>() / folds.len() as f64;
        assert!((mean - c["validation_auc"].as_f64().unwrap()).abs() < 1e-12);
    }
    // The chosen parameters are the model's; evaluate and score read it.
    let m: Value = serde_json::from_slice(&fs::read(&model).unwrap()).unwrap();
    for key in ["components", "reg_covar", "transform", "seeds"] {
        assert_eq!(
            m["parameters"][key], candidates[chosen]["parameters"][key],
            "{key}"
        );
    }
    kddstat()
        .args(["evaluate", "-q", "--model"])
        .arg(&model)
        .arg("--test")
        .arg(fixture("report_test.txt"))
        .assert()
        .success();
    // Same seed, same bytes.
    let again = tmp.path().join("m2.json");
    let t2 = tune(&again, "3");
    assert_eq!(t, t2);
    assert_eq!(fs::read(&model).unwrap(), fs::read(&again).unwrap());
}

#[test]
fn tune_takes_no_test_file() {
    let tmp = tempfile::tempdir().unwrap();
    kddstat()
        .args(["tune", "--train"])
        .arg(fixture("report_train.txt"))
        .args(["--test"])
        .arg(fixture("report_test.txt"))
        .arg("-o")
        .arg(tmp.path().join("m.json"))
        .assert()
        .code(2);
}
