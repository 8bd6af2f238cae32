//! Mergeable states of `stats` (`--state-out / --state-in / --first-pass`) and `evaluate`: a dataset in parts gives the figures of the
//! whole, to the bit, on one thread and on all; states are checked when read.

mod common;

use std::path::Path;

use common::{fixture_path, kddstat, stdout_of};

/// The figures' JSON with the input's name blanked (a merged state is named after its first part).
fn figures(dir: &Path, args: &[&str], threads: Option<&str>) -> serde_json::Value {
    let mut c = kddstat();
    c.args(args).current_dir(dir);
    if let Some(t) = threads {
        c.env("RAYON_NUM_THREADS", t);
    }
    let out = stdout_of(&mut c);
    let mut v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    v["path"] = "".into();
    v
}

fn run(dir: &Path, args: &[&str], threads: Option<&str>) {
    let mut c = kddstat();
    c.args(args).current_dir(dir);
    if let Some(t) = threads {
        c.env("RAYON_NUM_THREADS", t);
    }
    stdout_of(&mut c);
}

/// The two passes over the parts, their states merged: the figures of the whole.
fn merged_figures(
    dir: &Path,
    parts: &[String],
    extra: &[&str],
    threads: Option<&str>,
) -> serde_json::Value {
    let mut merge = vec!["stats".to_string()];
    for (i, p) in parts.iter().enumerate() {
        let state = format!("first{i}.json");
        let mut args = vec![
            "stats",
            p.as_str(),
            "--state-out",
            state.as_str(),
            "--force",
            "-q",
        ];
        args.extend(extra);
        run(dir, &args, threads);
        merge.extend(["--state-in".to_string(), state]);
    }
    // Merged in another order than the parts'.
    merge[1..].reverse();
    for pair in merge[1..].chunks_mut(2) {
        pair.swap(0, 1);
    }
    merge.extend(["--state-out", "first.json", "--force", "-q"].map(String::from));
    let merge: Vec<&str> = merge.iter().map(String::as_str).collect();
    run(dir, &merge, threads);
    let mut last = vec!["stats", "--first-pass", "first.json", "--format", "json"];
    let seconds: Vec<String> = (0..parts.len())
        .map(|i| format!("second{i}.json"))
        .collect();
    for (p, second) in parts.iter().zip(&seconds) {
        let mut args = vec![
            "stats",
            p.as_str(),
            "--first-pass",
            "first.json",
            "--state-out",
            second.as_str(),
            "--force",
            "-q",
        ];
        args.extend(extra);
        run(dir, &args, threads);
    }
    for s in seconds.iter().rev() {
        last.extend(["--state-in", s.as_str()]);
    }
    // The grouping comes from the first pass: no --by needed to finish.
    figures(dir, &last, threads)
}

/// KDDTrain+ in 7 parts of unequal sizes (one of a single row): the merged states give the JSON
/// of the whole file to the bit, on one thread and on all, for both profiles.
#[test]
fn seven_parts_give_the_stats_of_the_whole() {
    let Some(data) = common::data_dir(&["KDDTrain+.txt"]) else {
        return;
    };
    let train = data.join("KDDTrain+.txt");
    let text = std::fs::read_to_string(&train).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let cuts = [0, 1, 9_000, 30_000, 30_001, 77_777, 100_000, lines.len()];
    let mut parts = Vec::new();
    for (i, w) in cuts.windows(2).enumerate() {
        let p = dir.path().join(format!("part{i}.txt"));
        let mut body = lines[w[0]..w[1]].join("\n");
        body.push('\n');
        std::fs::write(&p, body).unwrap();
        parts.push(p.display().to_string());
    }
    let train = train.display().to_string();
    for (extra, threads) in [
        (vec![], Some("1")),
        (vec![], None),
        (vec!["--by", "label"], None),
    ] {
        let mut args = vec!["stats", train.as_str(), "--format", "json"];
        args.extend(&extra);
        let whole = figures(dir.path(), &args, threads);
        let whole_one = figures(dir.path(), &args, Some("1"));
        assert_eq!(whole, whole_one, "the whole file on one thread and on all");
        let merged = merged_figures(dir.path(), &parts, &extra, threads);
        assert!(
            merged == whole,
            "7 parts merged differ from the whole ({extra:?}, {threads:?})"
        );
    }
}

/// Hand-made states: a second pass without its first, a first pass given twice, a damaged state,
/// another grouping, missing parts: one line each, exit 1 (2 for a command line that cannot work).
#[test]
fn stats_states_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = fixture_path("report_train.txt").display().to_string();
    let b = fixture_path("tiny.txt").display().to_string();
    run(d, &["stats", &a, "--state-out", "a1.json", "-q"], None);
    run(d, &["stats", &b, "--state-out", "b1.json", "-q"], None);
    run(
        d,
        &[
            "stats",
            "--state-in",
            "a1.json",
            "--state-in",
            "b1.json",
            "--state-out",
            "f.json",
        ],
        None,
    );
    run(
        d,
        &[
            "stats",
            &a,
            "--first-pass",
            "f.json",
            "--state-out",
            "a2.json",
        ],
        None,
    );
    run(
        d,
        &[
            "stats",
            &b,
            "--first-pass",
            "f.json",
            "--state-out",
            "b2.json",
        ],
        None,
    );
    let fail = |args: &[&str], code: i32, needle: &str| {
        let out = kddstat().args(args).current_dir(d).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    };
    // The figures of the two files as one, from the states and from the files.
    let both = d.join("both.txt");
    let mut text = std::fs::read(&a).unwrap();
    text.extend(std::fs::read(&b).unwrap());
    std::fs::write(&both, text).unwrap();
    let whole = figures(
        d,
        &["stats", both.to_str().unwrap(), "--format", "json"],
        None,
    );
    let merged = figures(
        d,
        &[
            "stats",
            "--first-pass",
            "f.json",
            "--state-in",
            "a2.json",
            "--state-in",
            "b2.json",
            "--format",
            "json",
        ],
        None,
    );
    assert!(whole == merged);
    // A part missing; a part twice; a second pass without its first; another first pass.
    fail(
        &["stats", "--first-pass", "f.json", "--state-in", "a2.json"],
        2,
        "add the other parts",
    );
    fail(
        &[
            "stats",
            "--first-pass",
            "f.json",
            "--state-in",
            "a2.json",
            "--state-in",
            "a2.json",
            "--state-in",
            "b2.json",
        ],
        1,
        "counted twice",
    );
    fail(&["stats", "--state-in", "a2.json"], 1, "--first-pass");
    fail(
        &[
            "stats",
            "--first-pass",
            "a1.json",
            "--state-in",
            "a2.json",
            "--state-in",
            "b2.json",
        ],
        1,
        "another first pass",
    );
    // First passes only: the figures need the second pass.
    fail(
        &["stats", "--state-in", "a1.json", "--state-in", "b1.json"],
        2,
        "second pass",
    );
    // Damaged: a count changed, a digest changed, not JSON, another format.
    let s = std::fs::read_to_string(d.join("a1.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&s).unwrap();
    v["duplicates"]["records"][0][1] = 7.into();
    std::fs::write(d.join("bad1.json"), v.to_string()).unwrap();
    fail(
        &["stats", "--state-in", "bad1.json", "--state-out", "x.json"],
        1,
        "bad1.json",
    );
    let mut v: serde_json::Value = serde_json::from_str(&s).unwrap();
    v["first"] = "00".into();
    std::fs::write(d.join("bad2.json"), v.to_string()).unwrap();
    fail(
        &["stats", "--state-in", "bad2.json", "--state-out", "x.json"],
        1,
        "digest",
    );
    std::fs::write(d.join("junk.json"), "{").unwrap();
    fail(
        &["stats", "--state-in", "junk.json", "--state-out", "x.json"],
        1,
        "not a stats state",
    );
    run(d, &["describe", &a, "--state-out", "desc.json"], None);
    fail(
        &["stats", "--state-in", "desc.json", "--state-out", "x.json"],
        1,
        "not a stats state",
    );
    let s2 = std::fs::read_to_string(d.join("a2.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&s2).unwrap();
    v["pairs"]["products"]["pairs"][0][3] = "12x".into();
    std::fs::write(d.join("bad3.json"), v.to_string()).unwrap();
    fail(
        &[
            "stats",
            "--first-pass",
            "f.json",
            "--state-in",
            "bad3.json",
            "--state-in",
            "b2.json",
        ],
        1,
        "bad3.json",
    );
    // Rows of another dataset in a second pass: refused, not ranked wrongly.
    let other = d.join("other.txt");
    let changed = std::fs::read_to_string(&a)
        .unwrap()
        .replacen(",SF,290,", ",SF,2901234,", 1);
    std::fs::write(&other, changed).unwrap();
    fail(
        &[
            "stats",
            other.to_str().unwrap(),
            "--first-pass",
            "f.json",
            "--state-out",
            "o2.json",
        ],
        1,
        "never counted",
    );
    // Another grouping cannot merge, nor be regrouped.
    run(
        d,
        &["stats", &b, "--by", "label", "--state-out", "l1.json", "-q"],
        None,
    );
    fail(
        &[
            "stats",
            "--state-in",
            "a1.json",
            "--state-in",
            "l1.json",
            "--state-out",
            "x.json",
        ],
        1,
        "l1.json",
    );
    fail(
        &["stats", &a, "--first-pass", "f.json", "--by", "label"],
        1,
        "regrouped",
    );
    fail(
        &["stats", &a, "--bins", "100000000000"],
        2,
        "--bins must be between 2 and 10000",
    );
    // Nothing is overwritten without --force; the state alone on standard output.
    fail(&["stats", &a, "--state-out", "a1.json"], 2, "a1.json");
    let out = stdout_of(
        kddstat()
            .args(["stats", &a, "--state-out", "-", "-q"])
            .current_dir(d),
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["format"], "kddstat-stats-state");
    assert_eq!(v["pass"], 1);
}

/// `evaluate --model`: KDDTest+ in 3 interleaved parts, each part's score counts saved and merged in
/// another order: the JSON of the whole file (two models at once); states of other models refused.
#[test]
fn evaluate_states_of_parts_give_the_figures_of_the_whole() {
    let Some(data) = common::data_dir(&["KDDTrain+.txt", "KDDTest+.txt"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let train = data.join("KDDTrain+.txt").display().to_string();
    let test = data.join("KDDTest+.txt").display().to_string();
    for det in ["gmm", "zscore"] {
        let out = format!("{det}.json");
        run(
            d,
            &[
                "fit",
                "--train",
                &train,
                "--detectors",
                det,
                "-o",
                &out,
                "-q",
            ],
            None,
        );
    }
    let lines: Vec<String> = std::fs::read_to_string(&test)
        .unwrap()
        .lines()
        .map(|l| format!("{l}\n"))
        .collect();
    for i in 0..3 {
        let part: String = lines.iter().skip(i).step_by(3).cloned().collect();
        std::fs::write(d.join(format!("p{i}.txt")), part).unwrap();
        let (p, s) = (format!("p{i}.txt"), format!("s{i}.json"));
        run(
            d,
            &[
                "evaluate",
                "--model",
                "gmm.json",
                "--model",
                "zscore.json",
                "--test",
                &p,
                "--state-out",
                &s,
                "-q",
            ],
            None,
        );
    }
    let blank = |mut v: serde_json::Value| {
        for det in v["detectors"].as_array_mut().unwrap() {
            for t in det["tests"].as_array_mut().unwrap() {
                t["file"] = "".into();
            }
        }
        v
    };
    let whole = blank(figures(
        d,
        &[
            "evaluate",
            "--model",
            "gmm.json",
            "--model",
            "zscore.json",
            "--test",
            &test,
            "--format",
            "json",
        ],
        None,
    ));
    let merged = blank(figures(
        d,
        &[
            "evaluate",
            "--model",
            "gmm.json",
            "--model",
            "zscore.json",
            "--state-in",
            "s2.json",
            "--state-in",
            "s0.json",
            "--state-in",
            "s1.json",
            "--format",
            "json",
        ],
        None,
    ));
    assert!(
        whole == merged,
        "merged evaluate states differ from the whole file"
    );
    let out = kddstat()
        .args(["evaluate", "--model", "gmm.json", "--state-in", "s0.json"])
        .current_dir(d)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("s0.json") && err.contains("other models"),
        "{err}"
    );
    // A state claiming more rows than the limit is refused before its rows are laid out.
    let s0 = std::fs::read_to_string(d.join("s0.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&s0).unwrap();
    for per_model in v["labels"][0][2].as_array_mut().unwrap() {
        per_model[0][1] = serde_json::json!(1u64 << 60);
    }
    std::fs::write(d.join("huge.json"), v.to_string()).unwrap();
    let out = kddstat()
        .args(["evaluate", "--model", "gmm.json", "--model", "zscore.json"])
        .args(["--state-in", "huge.json"])
        .current_dir(d)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("1000000000"), "{err}");
}

/// Values off the integer grid (a rate of 0.333) take the exact sums of centred products: the
/// states of two parts still give the figures of the whole to the bit.
#[test]
fn off_grid_values_merge_exactly_too() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = std::fs::read_to_string(fixture_path("report_train.txt")).unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut f: Vec<&str> = l.split(',').collect();
            if i % 3 == 0 {
                f[24] = "0.333";
                f[0] = "7";
            }
            f.join(",") + "\n"
        })
        .collect();
    let half = lines.len() / 2;
    std::fs::write(d.join("all.txt"), lines.concat()).unwrap();
    std::fs::write(d.join("a.txt"), lines[..half].concat()).unwrap();
    std::fs::write(d.join("b.txt"), lines[half..].concat()).unwrap();
    let whole = figures(d, &["stats", "all.txt", "--format", "json"], None);
    let merged = merged_figures(d, &["a.txt".into(), "b.txt".into()], &[], None);
    assert!(whole == merged);
    let out = stdout_of(
        kddstat()
            .args([
                "stats",
                "a.txt",
                "--first-pass",
                "first.json",
                "--state-out",
                "-",
                "-q",
            ])
            .current_dir(d),
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["pairs"]["products"]["way"], "exact");
}
