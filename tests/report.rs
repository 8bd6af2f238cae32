//! `kddstat report`: the folder's contents, escaping, reproducibility, refusals, atomic replacement,
//! the figures on the real data, and the page in a real (headless) browser.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{browser, data_dir, fixture, kddstat};
use serde_json::Value;

/// A report of the hand-written fixtures (with the markup label file as a second test file).
fn fixture_report(out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = kddstat();
    cmd.args(["report", "--train"])
        .arg(fixture("report_train.txt"))
        .arg("--test")
        .arg(fixture("report_test.txt"))
        .arg("--test")
        .arg(fixture("markup_label.txt"))
        .arg("--output")
        .arg(out)
        .args(extra);
    // Detector parameters only where detectors are fitted: elsewhere they are refused.
    if !extra.contains(&"--no-detectors") {
        cmd.args(["--k", "3", "--components", "2"]);
    }
    cmd.assert()
}

/// Every file of a folder, by relative path.
fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The `src`/`href` targets of a page that point into the folder.
fn links(html: &str, attr: &str) -> Vec<String> {
    let key = format!("{attr}=\"");
    html.match_indices(&key)
        .map(|(i, _)| {
            let rest = &html[i + key.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .filter(|l| !l.starts_with('#'))
        .collect()
}

/// The checks every report folder passes: links resolve, every plot is shown, nothing external.
fn check_folder(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let files = files_of(dir);
    let html = String::from_utf8(files["index.html"].clone()).unwrap();
    let images = links(&html, "src");
    assert!(images.len() > 10, "{} images", images.len());
    for l in images.iter().chain(&links(&html, "href")) {
        assert!(files.contains_key(l), "index.html links to a missing {l}");
        assert!(
            !l.contains("://") && !l.starts_with('/'),
            "non-relative link {l}"
        );
    }
    for name in files.keys().filter(|k| k.starts_with("plots/")) {
        assert!(images.contains(name), "{name} is not shown");
        let svg = std::str::from_utf8(&files[name]).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}"
        );
    }
    // Data strings are escaped in the page and the plots (the JSON and CSV files hold them as
    // they are).
    for (name, bytes) in files
        .iter()
        .filter(|(n, _)| n.ends_with(".html") || n.ends_with(".svg"))
    {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("<script"), "{name} holds a script tag");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page links out"
    );
    assert!(!html.contains("<link") && !html.contains("@import"));
    common::check_svg_text(dir);
    files
}

#[test]
fn fixture_report_is_complete_escaped_and_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let a = fixture_report(&out, &["--quiet"]).success();
    let stdout = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    assert_eq!(stdout, format!("{}\n", out.join("index.html").display()));
    assert!(a.get_output().stderr.is_empty(), "--quiet prints nothing");
    let files = check_folder(&out);
    // The label `<script>alert(1)</script>` shows as text, on the page and in the SVGs.
    let html = String::from_utf8_lossy(&files["index.html"]);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(files.iter().any(|(n, b)| n.ends_with(".svg")
        && String::from_utf8_lossy(b).contains("&lt;script&gt;alert(1)&lt;/script&gt;")));

    let s: Value = serde_json::from_slice(&files["summary.json"]).unwrap();
    assert_eq!(s["format"], "kddstat-report");
    // Counted by hand in the fixtures.
    let train = &s["files"][0];
    assert_eq!(train["rows"], 43);
    assert_eq!(train["categories"]["normal"], 24);
    assert_eq!(train["categories"]["DoS"], 8);
    assert_eq!(train["categories"]["Probe"], 5);
    assert_eq!(train["categories"]["R2L"], 4);
    assert_eq!(train["categories"]["U2R"], 2);
    assert_eq!(train["difficulty"]["21"], 8);
    let test = &s["drift"][0];
    assert_eq!(test["novel_labels"]["smurf"], 4);
    assert_eq!(test["novel_labels"]["mscan"], 2);
    assert_eq!(test["novel_rows"], 6);
    let detectors = s["evaluation"]["detectors"].as_array().unwrap();
    assert_eq!(detectors.len(), 4);
    assert_eq!(s["curves"].as_array().unwrap().len(), 4 * 2);
    // k-means: 3 clusters; every row of each test file is in one of them.
    let clusters = s["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2);
    let assigned: u64 = clusters[0]["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c.as_object().unwrap().values().map(|v| v.as_u64().unwrap()))
        .sum();
    assert_eq!(assigned, 19);
    // Every CSV table parses with its header's width.
    for (name, bytes) in files.iter().filter(|(n, _)| n.starts_with("tables/")) {
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        let width = r.headers().unwrap().len();
        for rec in r.records() {
            assert_eq!(rec.unwrap().len(), width, "{name}");
        }
    }
}

#[test]
fn same_seed_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    fixture_report(&a, &["--quiet", "--seed", "7"]).success();
    fixture_report(&b, &["--quiet", "--seed", "7"]).success();
    let (fa, fb) = (files_of(&a), files_of(&b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(
            v == &fb[k],
            "{k} differs between two runs with the same seed"
        );
    }
}

#[test]
fn refuses_a_non_empty_folder_without_force_and_never_replaces_an_input() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("mine.txt"), "keep me").unwrap();
    let a = fixture_report(&out, &["--quiet"]).code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert_eq!(
        err,
        format!(
            "kddstat: error: {}: exists and holds files kddstat did not write; kddstat replaces \
             only an empty folder or a report of its own, --force or not\n",
            out.display()
        )
    );
    // Not even with --force: the folder is not kddstat's.
    fixture_report(&out, &["--quiet", "--force"]).code(2);
    assert_eq!(fs::read_to_string(out.join("mine.txt")).unwrap(), "keep me");
    assert_eq!(fs::read_dir(&out).unwrap().count(), 1);
    // The current folder is never replaced.
    let a = kddstat()
        .current_dir(&out)
        .args(["report", "--quiet", "--force", "--no-detectors", "--train"])
        .arg(common::fixture_path("report_train.txt"))
        .args(["--output", "."])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("is the current folder"));
    assert_eq!(fs::read_to_string(out.join("mine.txt")).unwrap(), "keep me");

    // A folder holding an input is refused even with --force.
    let data = tmp.path().join("data");
    fs::create_dir(&data).unwrap();
    fs::copy(
        common::fixture_path("report_train.txt"),
        data.join("train.txt"),
    )
    .unwrap();
    let a = kddstat()
        .args(["report", "--quiet", "--force", "--no-detectors", "--train"])
        .arg(data.join("train.txt"))
        .arg("--out")
        .arg(&data)
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("holds the input"));
    assert!(data.join("train.txt").is_file());
}

#[test]
fn a_failed_run_leaves_the_old_report_and_no_debris() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    fixture_report(&out, &["--quiet", "--no-detectors"]).success();
    let before = files_of(&out);
    // A bad test file fails the run after the folder check.
    kddstat()
        .args(["report", "--quiet", "--force", "--train"])
        .arg(fixture("report_train.txt"))
        .arg("--test")
        .arg(fixture("bad_number.txt"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    assert!(files_of(&out) == before, "the old report changed");
    // --force replaces it whole.
    fixture_report(&out, &["--quiet", "--force"]).success();
    let after = files_of(&out);
    assert!(after.len() > before.len(), "the detector plots were added");
    let entries: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(
        entries.len(),
        1,
        "no temporary folder is left beside the report"
    );
}

#[test]
fn missing_default_files_are_downloaded_or_fail_fast_offline() {
    // An unreachable mirror (nothing listens on port 1 of the loopback address): one line naming
    // the mirror and how to point elsewhere, in seconds, and nothing written.
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let started = std::time::Instant::now();
    let a = kddstat()
        .env("KDDSTAT_DATA", &data)
        .env("KDDSTAT_MIRROR", "http://127.0.0.1:1/nsl-kdd")
        .args(["report", "--output"])
        .arg(tmp.path().join("r"))
        .assert()
        .code(1);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("kddstat: error: http://127.0.0.1:1/nsl-kdd/"),
        "{err}"
    );
    assert!(last.contains("KDDSTAT_MIRROR"), "{err}");
    assert!(last.contains("NSL-KDD.zip"), "{err}");
    assert!(!tmp.path().join("r").exists());
    let left: Vec<_> = fs::read_dir(&data)
        .map(|d| d.collect::<Vec<_>>())
        .unwrap_or_default();
    assert!(left.is_empty(), "files left in the data folder: {left:?}");
}

/// Every image loads, the page is not blank, the findings come first and nothing overflows at
/// 800 and 1400 px; a screenshot is saved.
fn check_in_browser(report: &Path) {
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let Some(results) = browser::check_widths(report, Some(&shot)) else {
        return;
    };
    for result in results {
        assert!(result["images"].as_u64().unwrap() > 10, "{result}");
        assert!(
            result["text"].as_u64().unwrap() > 2000,
            "a blank page: {result}"
        );
    }
}

#[test]
fn the_browser_check_sees_a_missing_image() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    fixture_report(&out, &["--quiet", "--no-detectors"]).success();
    fs::remove_file(out.join("plots/categories.svg")).unwrap();
    if let Some(result) = browser::open(&out, 1300, None) {
        assert_eq!(
            result["broken"],
            serde_json::json!(["plots/categories.svg"]),
            "{result}"
        );
    }
}

#[test]
fn nsl_kdd_report_figures_size_and_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let Some(dir) = data_dir(&["KDDTrain+.txt", "KDDTest+.txt", "KDDTest-21.txt"]) else {
        // Without the real files, the browser check runs on the fixture report.
        fixture_report(&out, &["--quiet"]).success();
        check_in_browser(&out);
        return;
    };
    // The main job: no arguments but the folder.
    kddstat()
        .env("KDDSTAT_DATA", &dir)
        .args(["report", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let files = check_folder(&out);
    let size: usize = files.values().map(Vec::len).sum();
    assert!(size < 5 << 20, "the folder is {size} bytes");
    let s: Value = serde_json::from_slice(&files["summary.json"]).unwrap();
    // Published facts of NSL-KDD.
    let rows: Vec<u64> = (0..3)
        .map(|i| s["files"][i]["rows"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [125_973, 22_544, 11_850]);
    assert_eq!(s["files"][0]["findings"]["conflicting_vectors"], 15);
    assert_eq!(s["files"][1]["findings"]["conflicting_vectors"], 57);
    assert_eq!(s["files"][0]["categories"]["normal"], 67_343);
    assert_eq!(s["files"][0]["labels"]["neptune"], 41_214);
    assert_eq!(s["drift"][0]["novel_labels"].as_object().unwrap().len(), 17);
    assert_eq!(s["drift"][0]["novel_rows"], 3_750);
    check_findings(&s, &files);
    // The z-score detector's AUC on KDDTest+, as computed independently for issue 4.
    let zscore = &s["evaluation"]["detectors"][0];
    assert_eq!(zscore["id"], "zscore");
    assert_eq!(zscore["label"], "zscore (mean)");
    assert_eq!(zscore["parameters"]["aggregate"], "mean");
    let auc = zscore["tests"][0]["roc_auc"]["overall"].as_f64().unwrap();
    assert!((auc - 0.9093).abs() < 5e-5, "{auc}");
    // The curves end where they must, and their area is the AUC.
    for c in s["curves"].as_array().unwrap() {
        let roc = c["roc"].as_array().unwrap();
        assert_eq!(roc.first().unwrap(), &serde_json::json!([0.0, 0.0]));
        assert_eq!(roc.last().unwrap(), &serde_json::json!([1.0, 1.0]));
    }
    assert!(s["histograms"]["src_bytes"]["scale"] == "log");
    check_in_browser(&out);
}

/// The findings against the figures of summary.json (not against the page's own text): the best
/// detector by ROC AUC and by F1 per test file, the labels every detector misses, novel labels.
fn check_findings(s: &Value, files: &BTreeMap<String, Vec<u8>>) {
    let page = String::from_utf8_lossy(&files["index.html"]).into_owned();
    let first = page.find("<section id=").unwrap();
    assert!(
        page[first..].starts_with("<section id=\"findings\">"),
        "the findings are not the first section"
    );
    let findings = s["findings"].as_array().unwrap();
    let of = |id: &str| -> Vec<&Value> { findings.iter().filter(|f| f["id"] == id).collect() };
    let detectors = s["evaluation"]["detectors"].as_array().unwrap();
    for (j, test) in s["tests"].as_array().unwrap().iter().enumerate() {
        let short = test.as_str().unwrap().rsplit('/').next().unwrap();
        let best = |key: &dyn Fn(&Value) -> f64| {
            detectors
                .iter()
                .max_by(|a, b| key(&a["tests"][j]).total_cmp(&key(&b["tests"][j])))
                .unwrap()
        };
        let auc = best(&|t| t["roc_auc"]["overall"].as_f64().unwrap());
        let f = of("best_detector_auc")
            .into_iter()
            .find(|f| f["figures"]["test"] == short)
            .unwrap();
        assert_eq!(f["figures"]["detector"], auc["id"]);
        assert_eq!(
            f["figures"]["roc_auc"],
            auc["tests"][j]["roc_auc"]["overall"]
        );
        let f1 = best(&|t| t["f1"].as_f64().unwrap());
        let f = of("best_detector_f1")
            .into_iter()
            .find(|f| f["figures"]["test"] == short)
            .unwrap();
        assert_eq!(f["figures"]["detector"], f1["id"]);
        // Missed by all: every attack label under 1% for every detector.
        let labels = detectors[0]["tests"][j]["per_label"].as_object().unwrap();
        let missed: Vec<&String> = labels
            .iter()
            .filter(|(_, l)| l["category"] != "normal")
            .filter(|(name, _)| {
                detectors.iter().all(|d| {
                    d["tests"][j]["per_label"][name.as_str()]["detection_rate"]
                        .as_f64()
                        .unwrap()
                        < 0.01
                })
            })
            .map(|(n, _)| n)
            .collect();
        let f = of("missed_by_all")
            .into_iter()
            .find(|f| f["figures"]["test"] == short)
            .unwrap();
        let named: Vec<&str> = f["figures"]["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let mut expected: Vec<&str> = missed.iter().map(|s| s.as_str()).collect();
        let mut got = named.clone();
        expected.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, expected);
        // The label x detector grid flags the same labels.
        let mut slug = String::new();
        for c in short.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let grid = String::from_utf8_lossy(
            &files[&format!("plots/detection-by-label-{}.svg", slug.trim_matches('-'))],
        )
        .into_owned();
        assert_eq!(grid.matches("missed by all").count(), named.len());
        let f = of("novel_labels")
            .into_iter()
            .find(|f| f["figures"]["test"] == short)
            .unwrap();
        assert_eq!(f["figures"]["rows"], s["drift"][j]["novel_rows"]);
        // The most accurate classifier or hybrid, against summary.json's classifiers.
        let best = s["classifiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["tests"][j]["accuracy"].as_f64().unwrap())
            .fold(f64::NEG_INFINITY, f64::max);
        let f = of("best_classifier_accuracy")
            .into_iter()
            .find(|f| f["figures"]["test"] == short)
            .unwrap();
        assert_eq!(f["figures"]["accuracy"].as_f64().unwrap(), best);
        assert_eq!(
            f["figures"]["paper_best"].as_f64().unwrap(),
            if j == 0 { 82.02 } else { 66.16 }
        );
        // Every sentence is on the page.
        for f in findings {
            let text = f["text"].as_str().unwrap();
            let escaped = text.replace('&', "&amp;").replace('\'', "&#39;");
            assert!(page.contains(&escaped), "{text}");
        }
    }
    // Seed 42 with the GMM's reg_covar at 1e-3: back, snmpguess, snmpgetattack, ipsweep and worm
    // (the issue's 945 rows were with 1e-6, when mailbomb was missed and back was not).
    let missed = of("missed_by_all");
    assert_eq!(missed[0]["figures"]["rows"], 1011);
}

#[test]
fn no_absolute_path_on_the_page_and_formula_cells_are_quoted() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(common::fixture_path("report_test.txt")).unwrap();
    let evil = text.replacen(",neptune,", ",=HYPERLINK(1),", 2);
    let test = tmp.path().join("formula.txt");
    fs::write(&test, evil).unwrap();
    let out = tmp.path().join("r");
    kddstat()
        .args([
            "report",
            "--quiet",
            "--k",
            "3",
            "--components",
            "2",
            "--train",
        ])
        .arg(common::fixture_path("report_train.txt"))
        .arg("--test")
        .arg(&test)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let files = files_of(&out);
    let root = env!("CARGO_MANIFEST_DIR");
    let tmp_root = tmp.path().display().to_string();
    for (name, bytes) in &files {
        if name.ends_with(".html") || name.ends_with(".svg") {
            let text = String::from_utf8_lossy(bytes);
            assert!(!text.contains(root), "{name} names {root}");
            assert!(!text.contains(&tmp_root), "{name} names {tmp_root}");
        }
    }
    let csv: String = files
        .iter()
        .filter(|(n, _)| n.starts_with("tables/"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(csv.contains("'=HYPERLINK(1)"), "no quoted formula cell");
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains("\n=HYPERLINK"));
}
