//! Reading in chunks: the same records, figures and errors as reading whole, whatever the block
//! size; one file equal to the same rows in parts (read as one, or their saved states merged); the
//! same bytes on any number of threads; memory bounded by the block, not the file.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture_path, kddstat, stdout_of};
use kddstat::load::stream::Stream;
use kddstat::load::{self, Input, LoadOptions};
use kddstat::stats::describe::{self, DescribeOptions, DescribeState, GroupBy, describe};

/// `describe` of a file read in chunks of `block` bytes, or the error's message: its records
/// counted as they are parsed (no frame), as the command does.
fn chunked(path: &Path, block: usize, by: Option<GroupBy>) -> Result<String, String> {
    let options = DescribeOptions {
        columns: None,
        by,
        max_distinct: None,
    };
    let input = Input::Path(path.display().to_string());
    let mut stream =
        Stream::open_with(&input, &LoadOptions::default(), block).map_err(|e| e.to_string())?;
    let mut state: Option<DescribeState> = None;
    describe::add_stream(&mut state, &mut stream, &options).map_err(|e| e.to_string())?;
    let summary = state.expect("a stream without error has records").finish();
    Ok(serde_json::to_string(&summary).unwrap())
}

/// `describe` of a file read whole, or the error's message: counted off the loaded frame.
fn whole(path: &Path, by: Option<GroupBy>) -> Result<String, String> {
    let ds = load::load_path(path).map_err(|e| e.to_string())?;
    let s = describe(
        &ds,
        &DescribeOptions {
            columns: None,
            by,
            max_distinct: None,
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(serde_json::to_string(&s).unwrap())
}

#[test]
fn every_fixture_reads_the_same_in_chunks_of_any_size() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_path(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() > 20);
    for f in &files {
        for by in [None, Some(GroupBy::Category), Some(GroupBy::Label)] {
            let expected = whole(f, by);
            for block in [1, 2, 7, 64, 500, 4096, 1 << 20] {
                let got = chunked(f, block, by);
                assert_eq!(
                    got,
                    expected,
                    "{} in blocks of {block} bytes, by {by:?}",
                    f.display()
                );
            }
        }
    }
}

/// Hand-made edge cases of block boundaries: blank lines around a header, a header alone, a
/// byte order mark, CRLF, no final newline, a bad line in a later block.
#[test]
fn block_boundaries_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = std::fs::read_to_string(fixture_path("tiny.txt")).unwrap();
    let header = std::fs::read_to_string(fixture_path("kdd99_header.csv")).unwrap();
    let first_line = header.lines().next().unwrap().to_string();
    let cases: Vec<(&str, String)> = vec![
        ("blank_first.txt", format!("\n\n  \n{tiny}")),
        ("bom.txt", format!("\u{feff}{tiny}")),
        ("crlf.txt", tiny.replace('\n', "\r\n")),
        ("no_newline.txt", tiny.trim_end().to_string()),
        ("header_only.csv", format!("\n{first_line}\n\n")),
        ("blank_only.txt", "\n \n\t\n".repeat(50)),
        ("empty.txt", String::new()),
        (
            "bad_late.txt",
            format!(
                "{}{}",
                tiny.repeat(40),
                tiny.replacen(",tcp,", ",tcp,x,", 1)
            ),
        ),
        (
            "blank_between.txt",
            format!("{tiny}{}{tiny}", "\n".repeat(3000)),
        ),
    ];
    for (name, content) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let expected = whole(&path, None);
        for block in [1, 3, 100, 4096, 1 << 20] {
            assert_eq!(
                chunked(&path, block, None),
                expected,
                "{name}, blocks of {block}"
            );
        }
    }
}

/// A gzip stream is read as it comes, with the same figures as the plain file.
#[test]
fn gzip_streams_read_in_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read(fixture_path("report_train.txt")).unwrap();
    let gz = dir.path().join("t.txt.gz");
    std::fs::write(&gz, common::gzip(&text)).unwrap();
    let plain = whole(&fixture_path("report_train.txt"), None).unwrap();
    let from_gz = chunked(&gz, 100, None).unwrap();
    let strip = |s: &str| {
        let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
        v["path"] = "".into();
        v
    };
    assert_eq!(strip(&from_gz), strip(&plain));
}

/// The real training file in 7 parts: read as one (`--combine`, a folder) and merged from saved
/// states, the figures are those of the file, to the bit; and the same on one thread and on all.
#[test]
fn seven_parts_give_the_figures_of_the_whole() {
    let Some(data) = common::data_dir(&["KDDTrain+.txt"]) else {
        return;
    };
    let train = data.join("KDDTrain+.txt");
    let text = std::fs::read_to_string(&train).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let parts_dir = dir.path().join("parts");
    std::fs::create_dir(&parts_dir).unwrap();
    // Parts of unequal sizes.
    let cuts = [0, 1, 9_000, 30_000, 30_001, 77_777, 100_000, lines.len()];
    let mut parts = Vec::new();
    for (i, w) in cuts.windows(2).enumerate() {
        let p = parts_dir.join(format!("part{i}.txt"));
        let mut body = lines[w[0]..w[1]].join("\n");
        body.push('\n');
        std::fs::write(&p, body).unwrap();
        parts.push(p.display().to_string());
    }
    assert_eq!(parts.len(), 7);
    let json = |args: &[&str]| -> serde_json::Value {
        let out = stdout_of(kddstat().args(args).current_dir(dir.path()));
        let mut v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        v["files"][0]["path"] = "".into();
        v
    };
    let train_s = train.display().to_string();
    for by in [None, Some("category"), Some("label")] {
        let mut extra: Vec<&str> = vec!["--format", "json"];
        if let Some(b) = by {
            extra.extend(["--by", b]);
        }
        let mut args = vec!["describe", train_s.as_str()];
        args.extend(&extra);
        let expected = json(&args);
        let mut args = vec!["describe", "--combine"];
        args.extend(parts.iter().map(String::as_str));
        args.extend(&extra);
        assert_eq!(json(&args), expected, "--combine, --by {by:?}");
        let mut args = vec!["describe", "parts"];
        args.extend(&extra);
        assert_eq!(json(&args), expected, "a folder, --by {by:?}");
        // Each part's state saved, then merged.
        let mut merge = vec!["describe".to_string()];
        for (i, p) in parts.iter().enumerate() {
            let state = format!("s{i}.json");
            let mut args = vec![
                "describe",
                p.as_str(),
                "--state-out",
                state.as_str(),
                "--force",
                "-q",
            ];
            args.extend(&extra);
            stdout_of(kddstat().args(&args).current_dir(dir.path()));
            merge.extend(["--state-in".to_string(), state]);
        }
        merge.extend(extra.iter().map(|s| s.to_string()));
        let merge: Vec<&str> = merge.iter().map(String::as_str).collect();
        assert_eq!(json(&merge), expected, "merged states, --by {by:?}");
    }
    // compare reads a folder as one training file too.
    let test_file = data.join("KDDTest+.txt");
    if test_file.is_file() {
        let compare = |train: &str| -> serde_json::Value {
            let out = stdout_of(
                kddstat()
                    .args(["compare", "--train", train, "--test"])
                    .arg(&test_file)
                    .args(["--format", "json"])
                    .current_dir(dir.path()),
            );
            let mut v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            v["train"] = "".into();
            v
        };
        assert_eq!(compare("parts"), compare(&train_s));
    }
    common::same_on_one_thread_and_on_all(|| {
        let mut c = kddstat();
        c.args(["describe", "--combine", "--by", "label", "--format", "json"])
            .args(&parts)
            .current_dir(dir.path());
        c
    });
}

#[test]
fn states_are_checked_when_read() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = fixture_path("tiny.txt").display().to_string();
    stdout_of(
        kddstat()
            .args(["describe", &tiny, "--state-out", "s.json"])
            .current_dir(dir.path()),
    );
    // Never overwritten without --force.
    let out = kddstat()
        .args(["describe", &tiny, "--state-out", "s.json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = std::fs::read_to_string(dir.path().join("s.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&s).unwrap();
    v["numeric"][0]["values"] = serde_json::json!([3.0, 1.0]);
    std::fs::write(dir.path().join("bad.json"), v.to_string()).unwrap();
    std::fs::write(dir.path().join("junk.json"), "{").unwrap();
    for (f, needle) in [
        ("bad.json", "not a usable describe state"),
        ("junk.json", "not a describe state"),
    ] {
        let out = kddstat()
            .args(["describe", "--state-in", f])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
    // States of other columns do not merge.
    stdout_of(
        kddstat()
            .args(["describe", &tiny, "--by", "label", "--state-out", "l.json"])
            .current_dir(dir.path()),
    );
    let out = kddstat()
        .args(["describe", "--state-in", "s.json", "--state-in", "l.json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    // A problem of the states (the data), not of the command line: exit 1, naming the state.
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("l.json"));
    // Several summaries cannot be one state.
    let out = kddstat()
        .args(["describe", &tiny, &tiny, "--state-out", "x.json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Memory depends on the block, not on the rows: `describe` of 20 copies of the training file
/// (2.5 M rows, 380 MB; about 1.4 GB in memory read whole) stays under 400 MB.
#[test]
fn describe_memory_does_not_grow_with_the_file() {
    let Some(data) = common::data_dir(&["KDDTrain+.txt"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("x20.txt");
    common::copies(&data.join("KDDTrain+.txt"), 20, &big);
    let peak = common::peak_rss(
        Command::new(env!("CARGO_BIN_EXE_kddstat"))
            .args(["describe", "--by", "category", "--format", "json"])
            .arg(&big),
    );
    assert!(peak > 0 && peak < 400 << 20, "peak RSS {peak} bytes");
}

/// A line longer than 32 MiB is no record: one error naming it, memory bounded; blanks of any
/// length are skipped.
#[test]
fn a_line_past_the_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = std::fs::read_to_string(fixture_path("tiny.txt")).unwrap();
    let long = format!("{tiny}{}\n{tiny}", "9".repeat(40 << 20));
    std::fs::write(dir.path().join("long.txt"), long).unwrap();
    let out = kddstat()
        .args(["describe", "long.txt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = tiny.lines().count() + 1;
    assert_eq!(
        err,
        format!(
            "kddstat: error: long.txt: line {line} is longer than 33554432 bytes: not a \
             connection record (a KDD record is under 1 KB)\n"
        )
    );
    let blank = format!("{tiny}{}\n{tiny}", " ".repeat(40 << 20));
    std::fs::write(dir.path().join("blank.txt"), blank).unwrap();
    let out = stdout_of(
        kddstat()
            .args(["describe", "blank.txt", "--format", "json"])
            .current_dir(dir.path()),
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["files"][0]["rows"], 2 * tiny.lines().count());
}

/// `fit --sample N` on a file of more rows fits on a seeded uniform sample, recorded in the model;
/// the same seed gives the same bytes on any number of threads; a file of at most N rows is
/// fitted whole, with no record of sampling.
#[test]
fn fit_samples_large_files_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture_path("report_train.txt")).unwrap();
    let rows = text.lines().count();
    std::fs::write(dir.path().join("big.txt"), text.repeat(40)).unwrap();
    const FIT: [&str; 6] = ["fit", "big.txt", "--detectors", "kmeans", "--k", "2"];
    let fit = |args: &[&str], out: &str| -> serde_json::Value {
        stdout_of(
            kddstat()
                .args(FIT)
                .args(["-o", out, "-q"])
                .args(args)
                .current_dir(dir.path()),
        );
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(out)).unwrap()).unwrap()
    };
    let m = fit(&["--sample", "50", "--seed", "3"], "a.json");
    assert_eq!(m["training"]["rows"], 40 * rows);
    assert_eq!(
        m["training"]["sampled"],
        serde_json::json!({"file_rows": 40 * rows, "seed": 3})
    );
    assert!(m["training"]["fit_rows"].as_u64().unwrap() <= 50);
    let one = stdout_of(
        kddstat()
            .env("RAYON_NUM_THREADS", "1")
            .args(FIT)
            .args(["-o", "-", "--sample", "50", "--seed", "3", "-q"])
            .current_dir(dir.path()),
    );
    assert_eq!(one, std::fs::read(dir.path().join("a.json")).unwrap());
    let other = fit(&["--sample", "50", "--seed", "4"], "b.json");
    assert_ne!(other["detector"], m["detector"]);
    let whole = fit(&["--sample", &(40 * rows).to_string()], "c.json");
    assert!(whole["training"].get("sampled").is_none());
    assert_eq!(whole, fit(&[], "d.json"));
}

/// `score` writes records as chunks come: the same bytes whatever the block (CSV and JSON, a
/// detector and a classifier), and the JSON document whole.
#[test]
fn score_is_the_same_in_chunks_of_any_size() {
    let dir = tempfile::tempdir().unwrap();
    let train = fixture_path("report_train.txt").display().to_string();
    let test = fixture_path("report_test.txt").display().to_string();
    for (kind, name) in [("--detectors", "gmm"), ("--classifier", "tree")] {
        let model = format!("{name}.json");
        let mut fit = kddstat();
        fit.args(["fit", &train, kind, name, "-o", &model, "-q"]);
        if name == "gmm" {
            fit.args(["--components", "2"]);
        }
        stdout_of(fit.current_dir(dir.path()));
        for format in ["csv", "json"] {
            let run = |block: Option<&str>| {
                let mut c = kddstat();
                c.args(["score", "--model", &model, &test, "--format", format])
                    .current_dir(dir.path());
                if let Some(b) = block {
                    c.env("KDDSTAT_BLOCK_BYTES", b);
                }
                stdout_of(&mut c)
            };
            let whole = run(None);
            for block in ["1", "300", "5000"] {
                assert_eq!(
                    run(Some(block)),
                    whole,
                    "{name} {format} in blocks of {block}"
                );
            }
            if format == "json" {
                let v: serde_json::Value = serde_json::from_slice(&whole).unwrap();
                let rows = std::fs::read_to_string(fixture_path("report_test.txt"))
                    .unwrap()
                    .lines()
                    .count();
                assert_eq!(v["rows"], rows);
                assert_eq!(v["records"].as_array().unwrap().len(), rows);
            }
        }
    }
}

/// `clean` of a file (two passes over chunks) writes the same bytes and reports the same findings
/// as `clean` of the same text on standard input (read whole), whatever the block and the flags.
#[test]
fn clean_in_chunks_equals_clean_of_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs: Vec<(String, Vec<u8>)> = [
        "dups_conflicts.txt",
        "kdd99_header.csv",
        "tiny_crlf.txt",
        "report_train.txt",
        "no_final_newline.txt",
    ]
    .iter()
    .map(|f| (f.to_string(), std::fs::read(fixture_path(f)).unwrap()))
    .collect();
    let mut bad = std::fs::read(fixture_path("dups_conflicts.txt")).unwrap();
    bad.extend_from_slice(b"not,a,record\n");
    bad.extend(std::fs::read(fixture_path("dups_conflicts.txt")).unwrap());
    inputs.push(("with_bad_line.txt".into(), bad));
    if let Some(data) = common::data_dir(&["KDDTrain+.txt"]) {
        inputs.push((
            "train.txt".into(),
            std::fs::read(data.join("KDDTrain+.txt")).unwrap(),
        ));
    }
    let flags: [&[&str]; 4] = [
        &[],
        &["--drop-duplicates"],
        &["--drop-conflicts", "--drop-constant"],
        &[
            "--drop-duplicates",
            "--drop-conflicts",
            "--drop-constant",
            "--quarantine",
            "q.csv",
        ],
    ];
    for (name, bytes) in &inputs {
        std::fs::write(dir.path().join(name), bytes).unwrap();
        for f in flags {
            let quarantine = f.contains(&"--quarantine");
            if name == "with_bad_line.txt" && !quarantine {
                continue;
            }
            let run = |input: &str, block: Option<&str>| -> (Vec<u8>, serde_json::Value, Vec<u8>) {
                let mut c = kddstat();
                c.args([
                    "clean", input, "-o", "out.csv", "--force", "--format", "json", "-q",
                ])
                .args(f)
                .current_dir(dir.path());
                if let Some(b) = block {
                    c.env("KDDSTAT_BLOCK_BYTES", b);
                }
                if input == "-" {
                    c.pipe_stdin(dir.path().join(name)).unwrap();
                }
                let summary = stdout_of(&mut c);
                let mut v: serde_json::Value = serde_json::from_slice(&summary).unwrap();
                v["input"] = "".into();
                let q = if quarantine {
                    std::fs::read(dir.path().join("q.csv")).unwrap()
                } else {
                    Vec::new()
                };
                (std::fs::read(dir.path().join("out.csv")).unwrap(), v, q)
            };
            let whole = run("-", None);
            for block in [None, Some("7"), Some("1000")] {
                assert!(
                    run(name, block) == whole,
                    "{name} {f:?} in blocks of {block:?}"
                );
            }
        }
    }
}

/// `stats` of a file (read in chunks, three passes) gives the same JSON to the bit as `stats` of
/// the same text on standard input (read whole), whatever the block and the grouping.
#[test]
fn stats_in_chunks_equals_stats_of_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs: Vec<(String, Vec<u8>)> = ["dups_conflicts.txt", "report_train.txt"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(fixture_path(f)).unwrap()))
        .collect();
    if let Some(data) = common::data_dir(&["KDDTrain+.txt"]) {
        inputs.push((
            "train.txt".into(),
            std::fs::read(data.join("KDDTrain+.txt")).unwrap(),
        ));
    }
    for (name, bytes) in &inputs {
        std::fs::write(dir.path().join(name), bytes).unwrap();
        for by in ["category", "label"] {
            let run = |input: &str, block: Option<&str>| -> serde_json::Value {
                let mut c = kddstat();
                c.args(["stats", input, "--by", by, "--format", "json"])
                    .current_dir(dir.path());
                if let Some(b) = block {
                    c.env("KDDSTAT_BLOCK_BYTES", b);
                }
                if input == "-" {
                    c.pipe_stdin(dir.path().join(name)).unwrap();
                }
                let mut v: serde_json::Value = serde_json::from_slice(&stdout_of(&mut c)).unwrap();
                v["path"] = "".into();
                v
            };
            let whole = run("-", None);
            let blocks: &[Option<&str>] = if name == "train.txt" {
                &[None, Some("1000000")]
            } else {
                &[None, Some("7"), Some("2000")]
            };
            for block in blocks {
                assert!(
                    run(name, *block) == whole,
                    "{name} --by {by} in blocks of {block:?}"
                );
            }
        }
    }
}

/// Exact value counts take memory with the distinct values, so they stop at a limit the user
/// can raise: a generated file whose `src_bytes` (and `dst_bytes`) are all distinct is refused
/// past `--max-distinct`, naming the column and the flag, and described in full under it. The
/// limit holds for the values of every group, and for states merged from parts.
#[test]
fn distinct_values_stop_at_the_limit_the_user_sets() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = std::fs::read_to_string(fixture_path("tiny.txt")).unwrap();
    let fields: Vec<String> = tiny
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(String::from)
        .collect();
    // 3,000 rows whose byte counts are all distinct, from `first` on.
    let generate = |name: &str, first: u64| {
        let mut text = String::new();
        for i in first..first + 3000 {
            let mut f = fields.clone();
            f[4] = (1_000_000 + i * 7).to_string();
            f[5] = (2_000_000 + i * 11).to_string();
            text.push_str(&f.join(","));
            text.push('\n');
        }
        let path = dir.path().join(name);
        std::fs::write(&path, &text).unwrap();
        path.display().to_string()
    };
    let p = generate("a.txt", 0);
    let q = generate("b.txt", 3000);
    for args in [
        vec!["describe", "--max-distinct", "5000", p.as_str()],
        vec![
            "describe",
            "--max-distinct",
            "7000",
            "--by",
            "label",
            p.as_str(),
        ],
        vec!["compare", "--max-distinct", "5000", p.as_str(), q.as_str()],
        vec![
            "describe",
            "--max-distinct",
            "9000",
            "--combine",
            p.as_str(),
            q.as_str(),
        ],
    ] {
        let out = kddstat().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--max-distinct")
                && (err.contains("'src_bytes'") || err.contains("'dst_bytes'"))
                && err.contains(&p),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    // Under the limit (and by default) the figures are exact.
    for limit in [Some("7000"), None] {
        let mut cmd = kddstat();
        cmd.args(["describe", "--format", "json", &p]);
        if let Some(l) = limit {
            cmd.args(["--max-distinct", l]);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let src = &v["files"][0]["numeric"]["src_bytes"];
        assert_eq!(src["count"], 3000, "{src}");
        assert_eq!(src["distinct"], 3000, "{src}");
        assert_eq!(src["max"], 1_000_000.0 + 2999.0 * 7.0, "{src}");
    }
    // Two parts under the limit each merge past it.
    let part = dir.path().join("a.state");
    let out = kddstat()
        .args(["describe", "-q", "--max-distinct", "9000", "--state-out"])
        .arg(&part)
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kddstat()
        .args(["describe", "--max-distinct", "9000", "--state-in"])
        .arg(&part)
        .arg(&q)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-distinct"));
}
