//! Explanations on hand-worked values: each model's parts of a score (the definitions in the
//! models' module documentation) computed here by hand for small states, and the reasons built
//! from them.

mod common;

use kddstat::classify::bayes::Bayes;
use kddstat::classify::logistic::Logistic;
use kddstat::classify::tree::{Node as TreeNode, Tree};
use kddstat::detect::Fitted;
use kddstat::detect::ensemble::{Ensemble, Member};
use kddstat::detect::gmm::{Covariance, Gmm};
use kddstat::detect::iforest::{IsolationForest, LEAF, Node};
use kddstat::detect::kmeans::KMeansDetector;
use kddstat::detect::zscore::{Aggregate, ZScore};
use kddstat::load::{Dataset, parse_bytes};
use kddstat::model::explain::Contributions;
use kddstat::model::{Classify, Detect, ScoreData};
use ndarray::Array2;

/// One record written by hand: duration 2, src_bytes 300, dst_bytes 0, count 5.
fn one_record() -> Dataset {
    let line = "2,tcp,http,SF,300,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,5,5,0.00,0.00,0.00,0.00,\
                1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal\n";
    parse_bytes("hand".into(), line.as_bytes()).unwrap()
}

fn columns(c: Contributions) -> Vec<f64> {
    match c {
        Contributions::Columns(v) => v,
        other => panic!("expected columns, got {other:?}"),
    }
}

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
    }
}

#[test]
fn zscore_parts_are_absolute_z_scores() {
    let ds = one_record();
    let z = ZScore {
        aggregate: Aggregate::Mean,
        robust: false,
        // |2 - 1| / 2 = 0.5; |300 - 100| / 50 = 4; |5 - 5| / 1 = 0.
        features: vec![
            ("duration".into(), 1.0, 2.0),
            ("src_bytes".into(), 100.0, 50.0),
            ("count".into(), 5.0, 1.0),
        ],
        skipped: vec![],
    };
    let data = ScoreData {
        ds: &ds,
        encoded: None,
    };
    let Contributions::Features(f) = z.explain(&data, &[0]).unwrap().remove(0) else {
        panic!("features expected")
    };
    let parts: Vec<f64> = f.iter().map(|(_, p, _)| *p).collect();
    close(&parts, &[0.5, 4.0, 0.0]);
    // Reasons: 4 / 4.5 and 0.5 / 4.5, the typical value the centre.
    let r = kddstat::model::explain::reasons(&Contributions::Features(f), None, &ds, 0, 3).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].feature, "src_bytes");
    assert_eq!(r[0].value, serde_json::json!(300.0));
    assert_eq!(r[0].typical, serde_json::json!(100.0));
    assert!((r[0].share - 0.888889).abs() < 1e-6);
    assert!((r[1].share - 0.111111).abs() < 1e-6);
}

#[test]
fn kmeans_parts_are_squared_differences_to_the_nearest_centroid() {
    let ds = one_record();
    let k = KMeansDetector {
        k: 2,
        seed: 0,
        n_init: 1,
        centroids: vec![vec![0.0, 0.0], vec![10.0, 10.0]],
    };
    let x = Array2::from_shape_vec((1, 2), vec![1.0, 3.0]).unwrap();
    let data = ScoreData {
        ds: &ds,
        encoded: Some(&x),
    };
    // Nearest centroid (0, 0): parts 1 and 9 (distance^2 10).
    close(
        &columns(k.explain(&data, &[0]).unwrap().remove(0)),
        &[1.0, 9.0],
    );
}

#[test]
fn gmm_parts_are_terms_of_the_most_responsible_component() {
    let ds = one_record();
    let g = Gmm {
        components: 2,
        seed: 0,
        covariance: Covariance::Diag,
        weights: vec![0.5, 0.5],
        means: vec![vec![0.0, 0.0], vec![5.0, 5.0]],
        spread: vec![vec![1.0, 4.0], vec![1.0, 1.0]],
        log_norm: vec![-0.5 * 4f64.ln(), 0.0],
    };
    let x = Array2::from_shape_vec((1, 2), vec![1.0, 2.0]).unwrap();
    let data = ScoreData {
        ds: &ds,
        encoded: Some(&x),
    };
    // Component 0: q = 1/1 + 4/4 = 2; component 1: q = 16 + 9 = 25: component 0 is responsible.
    // Parts (x - m)^2 / (2 v): 1/2 and 4/8.
    close(
        &columns(g.explain(&data, &[0]).unwrap().remove(0)),
        &[0.5, 0.5],
    );
}

#[test]
fn isolation_parts_are_splits_on_the_path_weighted_by_depth() {
    let ds = one_record();
    let node = |feature: u32, threshold: f64, left: u32, right: u32| Node {
        feature,
        threshold,
        left,
        right,
        size: 0,
    };
    let leaf = |size: u32| Node {
        feature: LEAF,
        threshold: 0.0,
        left: 0,
        right: 0,
        size,
    };
    // Tree 1: column 1 at the root, then column 0: the row (1, 3) goes right then left.
    let t1 = vec![
        node(1, 2.0, 1, 2),
        leaf(5),
        node(0, 2.0, 3, 4),
        leaf(1),
        leaf(1),
    ];
    // Tree 2: column 0 at the root, the row goes left to a leaf.
    let t2 = vec![node(0, 2.0, 1, 2), leaf(1), leaf(5)];
    let f = IsolationForest {
        trees: 2,
        sample: 8,
        seed: 0,
        width: 2,
        forest: vec![t1, t2],
    };
    let x = Array2::from_shape_vec((1, 2), vec![1.0, 3.0]).unwrap();
    let data = ScoreData {
        ds: &ds,
        encoded: Some(&x),
    };
    // Column 0: 1/2 (tree 1, depth 2) + 1 (tree 2, depth 1) = 1.5, over 2 trees 0.75;
    // column 1: 1 (tree 1, depth 1), over 2 trees 0.5.
    close(
        &columns(f.explain(&data, &[0]).unwrap().remove(0)),
        &[0.75, 0.5],
    );
}

#[test]
fn an_ensemble_gives_the_reasons_of_its_most_surprised_member() {
    let ds = one_record();
    let near = KMeansDetector {
        k: 1,
        seed: 0,
        n_init: 1,
        centroids: vec![vec![1.0, 2.0]],
    };
    let far = KMeansDetector {
        k: 1,
        seed: 0,
        n_init: 1,
        centroids: vec![vec![4.0, 2.0]],
    };
    // The same score scale for both: the member farther from the row ranks it higher.
    let quantiles: Vec<f64> = (0..=10).map(|i| i as f64 / 2.0).collect();
    let e = Ensemble {
        members: vec![
            Member {
                detector: Box::new(Fitted::Kmeans(near)),
                quantiles: quantiles.clone(),
            },
            Member {
                detector: Box::new(Fitted::Kmeans(far)),
                quantiles,
            },
        ],
    };
    let x = Array2::from_shape_vec((1, 2), vec![1.0, 3.0]).unwrap();
    let data = ScoreData {
        ds: &ds,
        encoded: Some(&x),
    };
    // Far member: parts (1 - 4)^2 = 9 and (3 - 2)^2 = 1.
    close(
        &columns(e.explain(&data, &[0]).unwrap().remove(0)),
        &[9.0, 1.0],
    );
}

#[test]
fn classifier_parts_by_hand() {
    // A tree testing column 1, then column 0 on the right: the row (1, 3) tests both once.
    let split = |feature: u32, threshold: f64, left: u32, right: u32| TreeNode::Split {
        feature,
        threshold,
        left,
        right,
    };
    let leaf = |p: [f32; 2]| TreeNode::Leaf { p: p.to_vec() };
    let tree = Tree {
        nodes: vec![
            split(1, 2.0, 1, 2),
            leaf([1.0, 0.0]),
            split(0, 2.0, 3, 4),
            leaf([0.0, 1.0]),
            leaf([1.0, 0.0]),
        ],
    };
    let row = [1.0, 3.0];
    let mut out = [0.0; 2];
    tree.explain(&row, 1, &mut out);
    close(&out, &[1.0, 1.0]);

    // Logistic: class 1's weights (2, -1): parts 2 * 1 and -1 * 3.
    let l = Logistic {
        weights: vec![0.0, 0.0, 2.0, -1.0],
        intercepts: vec![0.0, 0.0],
    };
    let mut out = [0.0; 2];
    l.explain(&row, 1, &mut out);
    close(&out, &[2.0, -3.0]);

    // Bayes: class 0 N(0, 1) and N(3, 1); class 1 N(1, 1) and N(0, 1); equal priors. For (1, 3)
    // the log-likelihoods (constants aside) are class 0: -0.5 (1 + 0) = -0.5, class 1:
    // -0.5 (0 + 9) = -4.5, so class 0 is predicted, class 1 the runner-up. Parts:
    // column 0: -0.5 * 1 - (-0.5 * 0) = -0.5; column 1: -0.5 * 0 - (-0.5 * 9) = 4.5.
    let b = Bayes {
        log_prior: vec![0.5f64.ln(), 0.5f64.ln()],
        mean: vec![0.0, 3.0, 1.0, 0.0],
        var: vec![1.0, 1.0, 1.0, 1.0],
    };
    let mut out = [0.0; 2];
    b.explain(&row, 0, &mut out);
    close(&out, &[-0.5, 4.5]);
}

/// `score --explain` on KDDTest+ with each detector (fitted on a seeded sample of KDDTrain+): the
/// same bytes on one thread and on all, and from a second fit with the same seed.
#[test]
fn score_explain_is_reproducible_for_each_detector() {
    let Some(data) = common::data_dir(&["KDDTrain+.txt", "KDDTest+.txt"]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let train = data.join("KDDTrain+.txt");
    let test = data.join("KDDTest+.txt");
    for detector in ["zscore", "kmeans", "gmm", "iforest", "ensemble"] {
        let fit = |name: &str| {
            let m = tmp.path().join(name);
            let out = common::kddstat()
                .args([
                    "fit",
                    "--detectors",
                    detector,
                    "--sample",
                    "4000",
                    "--seed",
                    "7",
                    "-q",
                ])
                .arg(&train)
                .arg("-o")
                .arg(&m)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            m
        };
        let (m1, m2) = (
            fit(&format!("{detector}1.json")),
            fit(&format!("{detector}2.json")),
        );
        let score = |m: &std::path::Path, threads: &str| {
            let out = common::kddstat()
                .env("RAYON_NUM_THREADS", threads)
                .args(["score", "--explain", "--model"])
                .arg(m)
                .arg(&test)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        let a = score(&m1, "1");
        assert!(a == score(&m1, "2"), "{detector}: thread counts differ");
        assert!(a == score(&m2, "2"), "{detector}: a second fit differs");
        let text = String::from_utf8(a).unwrap();
        assert!(text.starts_with("line,label,category,score,anomalous,why_1,why_2,why_3\n"));
        assert_eq!(text.lines().count(), 22_545);
        // Every row has a first reason (a record is never exactly typical in every feature).
        let empty = text.lines().skip(1).filter(|l| l.contains(",,,")).count();
        assert!(empty < 100, "{detector}: {empty} rows without reasons");
    }
}
