//! Hostile input on the newer surfaces (issue 23): Parquet footers and types, saved describe
//! states, headered files read by name, model parameters, outputs that would replace an input,
//! standard output on failure, names with control characters. Every input is built here; each case
//! runs the binary under a 2 GiB address-space limit and checks exit 0, 1 or 2 with one line.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::fixture_path;
use polars::prelude::*;
use polars_parquet_format::FileMetaData;
use polars_parquet_format::thrift::protocol::{TCompactInputProtocol, TCompactOutputProtocol};
use serde_json::Value;

fn run(args: &[&str], cwd: &Path) -> Output {
    common::run_limited(args, cwd)
}

/// Exit `code` with one line on standard error containing `needle`, nothing on standard output.
fn fails(out: &Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("kddstat: error: "), "{err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn tiny() -> Vec<u8> {
    fs::read(fixture_path("tiny.txt")).unwrap()
}

/// A Parquet file of tiny.txt, as `kddstat clean` writes it.
fn tiny_parquet(dir: &Path) -> Vec<u8> {
    fs::write(dir.join("t.txt"), tiny()).unwrap();
    ok(&run(&["clean", "t.txt", "-o", "t.parquet"], dir));
    fs::read(dir.join("t.parquet")).unwrap()
}

/// Rewrites a Parquet file's footer.
fn with_footer(bytes: &[u8], edit: impl FnOnce(&mut FileMetaData)) -> Vec<u8> {
    let n = bytes.len();
    let len = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
    let start = n - 8 - len;
    let mut input = TCompactInputProtocol::new(&bytes[start..n - 8], usize::MAX);
    let mut meta = FileMetaData::read_from_in_protocol(&mut input).unwrap();
    edit(&mut meta);
    let mut footer = Vec::new();
    let mut output = TCompactOutputProtocol::new(&mut footer);
    meta.write_to_out_protocol(&mut output).unwrap();
    let mut out = bytes[..start].to_vec();
    out.extend_from_slice(&footer);
    out.extend_from_slice(&(footer.len() as u32).to_le_bytes());
    out.extend_from_slice(b"PAR1");
    out
}

#[test]
fn parquet_row_groups_past_the_limit_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    // 20 M constant rows of one column in one row group: a few hundred kilobytes on disk.
    let mut df = df!("duration" => vec![0i64; 20_000_000]).unwrap();
    let file = fs::File::create(tmp.path().join("big.parquet")).unwrap();
    ParquetWriter::new(file)
        .with_row_group_size(Some(20_000_000))
        .finish(&mut df)
        .unwrap();
    drop(df);
    fails(
        &run(&["describe", "big.parquet"], tmp.path()),
        1,
        "per row group",
    );
}

#[test]
fn parquet_footers_claiming_rows_their_chunks_lack_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tiny_parquet(tmp.path());
    for factor in [1000i64, 1 << 40] {
        let bad = with_footer(&good, |m| {
            m.num_rows *= factor;
            for g in &mut m.row_groups {
                g.num_rows *= factor;
            }
        });
        fs::write(tmp.path().join("lie.parquet"), &bad).unwrap();
        let out = run(&["describe", "lie.parquet"], tmp.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("row group 1"), "{err}");
        // Compressed, it is read from memory: the same checks.
        fs::write(tmp.path().join("lie.parquet.gz"), common::gzip(&bad)).unwrap();
        let out = run(&["describe", "lie.parquet.gz"], tmp.path());
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    }
}

#[test]
fn parquet_columns_of_unread_types_are_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tiny_parquet(tmp.path());
    // src_bytes (INT64) declared a Decimal(18, 0).
    let bad = with_footer(&good, |m| {
        // Without the Arrow schema Polars keeps in the footer, the types are read from Parquet's.
        m.key_value_metadata = None;
        let e = m.schema.iter_mut().find(|e| e.name == "src_bytes").unwrap();
        e.converted_type = Some(polars_parquet_format::ConvertedType::DECIMAL);
        e.scale = Some(0);
        e.precision = Some(18);
        e.logical_type = Some(polars_parquet_format::LogicalType::DECIMAL(
            polars_parquet_format::DecimalType {
                scale: 0,
                precision: 18,
            },
        ));
    });
    fs::write(tmp.path().join("dec.parquet"), &bad).unwrap();
    fs::write(tmp.path().join("train.txt"), tiny()).unwrap();
    ok(&run(
        &[
            "fit",
            "--train",
            "train.txt",
            "--detectors",
            "zscore",
            "-o",
            "m.json",
        ],
        tmp.path(),
    ));
    for args in [
        vec!["describe", "dec.parquet"],
        vec!["stats", "dec.parquet"],
        vec!["score", "--model", "m.json", "dec.parquet", "-o", "-"],
    ] {
        fails(&run(&args, tmp.path()), 1, "src_bytes");
    }
}

fn state_of(dir: &Path, extra: &[&str]) -> Value {
    fs::write(dir.join("t.txt"), tiny()).unwrap();
    let mut args = vec!["describe", "t.txt", "--state-out", "-", "-q"];
    args.extend_from_slice(extra);
    let out = run(&args, dir);
    serde_json::from_str(&ok(&out)).expect("--state-out - writes the state alone")
}

#[test]
fn state_out_on_standard_output_is_the_state_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let state = state_of(tmp.path(), &[]);
    assert_eq!(state["format"], "kddstat-describe-state");
    let out = run(
        &["describe", "t.txt", "--state-out", "/dev/stdout"],
        tmp.path(),
    );
    let text = ok(&out);
    assert!(serde_json::from_str::<Value>(&text).is_ok(), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("t.txt"));
}

/// Writes `state` edited by `edit` and describes it.
fn edited(dir: &Path, state: &Value, edit: impl FnOnce(&mut Value)) -> Output {
    let mut s = state.clone();
    edit(&mut s);
    fs::write(dir.join("e.json"), serde_json::to_vec(&s).unwrap()).unwrap();
    run(&["describe", "--state-in", "e.json"], dir)
}

#[test]
fn hand_edited_states_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let state = state_of(d, &[]);
    let cols: Vec<String> = state["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let numeric_index = |name: &str| {
        let cat = ["protocol_type", "service", "flag", "label", "category"];
        cols.iter()
            .filter(|c| !cat.contains(&c.as_str()))
            .position(|c| c == name)
            .unwrap()
    };
    let (land, rate, duration) = (
        numeric_index("land"),
        numeric_index("serror_rate"),
        numeric_index("duration"),
    );
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "add up",
            Box::new(|s: &mut Value| {
                // The label column (the fourth categorical one) claims 5 rows of its value.
                s["categorical"][3][0][1] = Value::from(5);
            }),
        ),
        (
            "outside its range",
            Box::new(move |s: &mut Value| s["numeric"][land]["values"][0] = Value::from(0.5)),
        ),
        (
            "describe state",
            Box::new(move |s: &mut Value| {
                let v = s["numeric"][rate]["values"].as_array_mut().unwrap();
                let last = v.len() - 1;
                v[last] = Value::from(7);
            }),
        ),
        (
            "outside its range",
            Box::new(move |s: &mut Value| s["numeric"][duration]["values"][0] = Value::from(-3)),
        ),
        (
            "count of 0",
            Box::new(|s: &mut Value| {
                let c = s["categorical"][0].as_array_mut().unwrap();
                c.push(serde_json::json!(["zzz", 0]));
            }),
        ),
        (
            "describe state",
            Box::new(|s: &mut Value| {
                let c = s["categorical"][0].as_array_mut().unwrap();
                c[0][1] = Value::from(u64::MAX);
            }),
        ),
        (
            "listed twice",
            Box::new(|s: &mut Value| {
                let c = s["categorical"][0].as_array_mut().unwrap();
                let first = c[0].clone();
                c.push(first);
            }),
        ),
    ];
    for (needle, edit) in cases {
        fails(&edited(d, &state, edit), 1, needle);
    }
    // Groups: rows that do not add up, and a group the grouping cannot have.
    let grouped = state_of(d, &["--by", "category"]);
    fails(
        &edited(d, &grouped, |s| s["groups"][0][1] = Value::from(999_999)),
        1,
        "rows",
    );
    fails(
        &edited(d, &grouped, |s| s["groups"][0][0] = Value::from("nosuch")),
        1,
        "nosuch",
    );
}

#[test]
fn states_whose_rows_overflow_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let state = state_of(d, &["--columns", "duration"]);
    let mut s = state.clone();
    let big = 1u64 << 63;
    s["rows"] = Value::from(big);
    s["dotted"] = Value::from(0);
    s["numeric"][0] = serde_json::json!({"values": [0.0], "counts": [big]});
    fs::write(d.join("a.json"), serde_json::to_vec(&s).unwrap()).unwrap();
    fs::write(d.join("b.json"), serde_json::to_vec(&s).unwrap()).unwrap();
    let out = run(
        &[
            "describe",
            "--state-in",
            "a.json",
            "--state-in",
            "b.json",
            "-q",
        ],
        d,
    );
    fails(&out, 1, "rows");
}

#[test]
fn large_states_stop_at_max_distinct_while_read() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let state = state_of(d, &["--columns", "src_bytes"]);
    let mut s = state.clone();
    let n = 200_000u64;
    s["rows"] = Value::from(n);
    s["numeric"][0] = serde_json::json!({
        "values": (0..n).map(|v| v as f64).collect::<Vec<_>>(),
        "counts": vec![1u64; n as usize],
    });
    fs::write(d.join("big.json"), serde_json::to_vec(&s).unwrap()).unwrap();
    fails(
        &run(
            &[
                "describe",
                "--state-in",
                "big.json",
                "--max-distinct",
                "1000",
            ],
            d,
        ),
        1,
        "1000",
    );
    assert!(
        run(&["describe", "--state-in", "big.json"], d)
            .status
            .success()
    );
}

#[test]
fn outputs_never_replace_an_input_archive_or_a_file_of_an_input_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let zip = common::zip_of(&[("a.txt", &tiny()), ("b.txt", &tiny())]);
    fs::write(d.join("in.zip"), &zip).unwrap();
    let out = run(
        &[
            "describe",
            "in.zip:a.txt",
            "--state-out",
            "in.zip",
            "--force",
        ],
        d,
    );
    fails(&out, 2, "input");
    assert_eq!(fs::read(d.join("in.zip")).unwrap(), zip);
    fs::create_dir(d.join("folder")).unwrap();
    fs::write(d.join("folder/a.txt"), tiny()).unwrap();
    let out = run(
        &[
            "describe",
            "folder",
            "--state-out",
            "folder/a.txt",
            "--force",
        ],
        d,
    );
    fails(&out, 2, "input folder");
    assert_eq!(fs::read(d.join("folder/a.txt")).unwrap(), tiny());
}

/// tiny.txt with a header naming its columns in `order` (indices of the 43 fields).
fn headered(order: &[usize], names: &[String]) -> String {
    let mut text = order
        .iter()
        .map(|&i| names[i].as_str())
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    for line in String::from_utf8(tiny()).unwrap().lines() {
        let f: Vec<&str> = line.split(',').collect();
        text.push_str(&order.iter().map(|&i| f[i]).collect::<Vec<_>>().join(","));
        text.push('\n');
    }
    text
}

fn kdd_names() -> Vec<String> {
    let header = fs::read_to_string(fixture_path("kdd99_header.csv")).unwrap();
    let mut names: Vec<String> = header
        .lines()
        .next()
        .unwrap()
        .split(',')
        .take(41)
        .map(|n| n.trim_start_matches('l').to_string())
        .collect();
    // The misspelled names of the Kaggle copy lose their 'l'; those that start with one keep it.
    for n in names.iter_mut() {
        if n == "and" {
            *n = "land".into();
        } else if n == "ogged_in" {
            *n = "logged_in".into();
        }
    }
    names.push("label".into());
    names.push("difficulty".into());
    names
}

fn describe_json(dir: &Path, file: &str) -> Value {
    serde_json::from_str(&ok(&run(&["describe", file, "--format", "json"], dir))).unwrap()
}

#[test]
fn headers_are_read_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let names = kdd_names();
    fs::write(d.join("t.txt"), tiny()).unwrap();
    let plain = describe_json(d, "t.txt");
    // src_bytes and dst_bytes swapped, names and data: read by name.
    let mut order: Vec<usize> = (0..43).collect();
    order.swap(4, 5);
    fs::write(d.join("swapped.csv"), headered(&order, &names)).unwrap();
    let swapped = describe_json(d, "swapped.csv");
    let stat = |v: &Value, c: &str| v["files"][0]["numeric"][c]["mean"].clone();
    assert!(stat(&plain, "src_bytes").is_number());
    assert_ne!(stat(&plain, "src_bytes"), stat(&plain, "dst_bytes"));
    assert_eq!(stat(&swapped, "src_bytes"), stat(&plain, "src_bytes"));
    assert_eq!(stat(&swapped, "dst_bytes"), stat(&plain, "dst_bytes"));
    // The 41 features and the difficulty but no label: unlabelled, never labels of difficulties.
    let order: Vec<usize> = (0..41).chain([42]).collect();
    fs::write(d.join("nolabel.csv"), headered(&order, &names)).unwrap();
    let v = describe_json(d, "nolabel.csv");
    let labels = &v["files"][0]["categorical"]["label"]["counts"];
    assert!(labels.get("21").is_none(), "{labels}");
    assert!(labels.get("unknown").is_some(), "{labels}");
}

#[test]
fn model_parameters_are_checked_when_read() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("t.txt"), tiny()).unwrap();
    for v in ["1e-320", "0", "1e9"] {
        let out = run(
            &[
                "fit",
                "--train",
                "t.txt",
                "--detectors",
                "gmm",
                "--fit-on",
                "all",
                "--reg-covar",
                v,
                "-o",
                "m.json",
            ],
            d,
        );
        fails(&out, 2, "reg-covar");
    }
    for v in ["NaN", "inf"] {
        let out = run(
            &[
                "fit",
                "--train",
                "t.txt",
                "--detectors",
                "gmm",
                "--reg-covar",
                v,
                "-o",
                "m.json",
            ],
            d,
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("finite"));
    }
    assert!(!d.join("m.json").exists());
    // Flags the search of tune would override.
    let out = run(
        &[
            "tune",
            "--train",
            "t.txt",
            "--detector",
            "kmeans",
            "--k",
            "5",
            "-o",
            "m.json",
        ],
        d,
    );
    fails(&out, 2, "--k");
}

#[test]
fn degenerate_models_are_never_written() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let line = String::from_utf8(tiny())
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    fs::write(d.join("same.txt"), format!("{line}\n{line}\n{line}\n")).unwrap();
    let out = run(
        &[
            "fit",
            "--train",
            "same.txt",
            "--detectors",
            "zscore",
            "-o",
            "m.json",
        ],
        d,
    );
    fails(&out, 1, "degenerate");
    assert!(!d.join("m.json").exists());
}

#[test]
fn small_files_are_read_bounded_from_any_source() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("t.txt"), tiny()).unwrap();
    let out = run(&["describe", "--state-in", "/dev/zero"], d);
    fails(&out, 1, "larger than");
    // A FIFO with no writer reads as empty instead of waiting forever.
    let fifo = d.join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let started = std::time::Instant::now();
    let out = run(&["score", "--model", "fifo", "t.txt", "-o", "-"], d);
    assert_eq!(out.status.code(), Some(1));
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn standard_output_gets_nothing_when_the_input_fails_half_way() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("t.txt"), tiny()).unwrap();
    ok(&run(
        &[
            "fit",
            "--train",
            "t.txt",
            "--detectors",
            "zscore",
            "--fit-on",
            "all",
            "-o",
            "m.json",
        ],
        d,
    ));
    let mut text = String::new();
    let good = String::from_utf8(tiny()).unwrap();
    while text.len() < 4 << 20 {
        text.push_str(&good);
    }
    text.push_str("x,tcp\n");
    fs::write(d.join("bad.txt"), &text).unwrap();
    let out = run(&["score", "--model", "m.json", "bad.txt", "-o", "-"], d);
    fails(&out, 1, "bad.txt");
}

#[test]
fn states_cannot_be_regrouped_or_narrowed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let state = state_of(d, &[]);
    fs::write(d.join("s.json"), serde_json::to_vec(&state).unwrap()).unwrap();
    for extra in [["--by", "category"], ["--columns", "duration"]] {
        let mut args = vec!["describe", "--state-in", "s.json"];
        args.extend_from_slice(&extra);
        fails(&run(&args, d), 1, "s.json");
    }
}

#[test]
fn names_with_control_characters_print_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut state = state_of(d, &[]);
    state["path"] = Value::from("x\nkddstat: error: fake\u{1b}[31m");
    fs::write(d.join("s.json"), serde_json::to_vec(&state).unwrap()).unwrap();
    let out = run(&["describe", "--state-in", "s.json"], d);
    let text = ok(&out);
    assert!(!text.contains('\u{1b}'));
    assert!(!text.contains("\nkddstat: error: fake"));
    let name = "bad\u{1b}[2Jname\n.txt";
    fs::write(d.join(name), b"0,tcp\n").unwrap();
    let out = run(&["describe", name], d);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains('\u{1b}'));
}

#[test]
fn inputs_counted_twice_are_warned_of() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let state = state_of(d, &[]);
    fs::write(d.join("s.json"), serde_json::to_vec(&state).unwrap()).unwrap();
    for args in [
        vec!["describe", "--state-in", "s.json", "--state-in", "s.json"],
        vec!["describe", "t.txt", "--state-in", "s.json"],
        vec!["describe", "--combine", "t.txt", "t.txt"],
    ] {
        let out = run(&args, d);
        assert!(out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("twice"), "{args:?}: {err}");
    }
}

#[test]
fn archives_with_two_members_of_one_name_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let other = String::from_utf8(tiny())
        .unwrap()
        .replace("normal", "neptune");
    let zip = common::zip_of(&[("a.txt", &tiny()), ("b.txt", other.as_bytes())]);
    // The second member renamed to the first's name, in its local header and the directory.
    let mut twice = zip.clone();
    for i in 0..twice.len().saturating_sub(5) {
        if &twice[i..i + 5] == b"b.txt" {
            twice[i..i + 5].copy_from_slice(b"a.txt");
        }
    }
    fs::write(d.join("two.zip"), &twice).unwrap();
    for arg in ["two.zip:a.txt", "two.zip"] {
        fails(&run(&["describe", arg], d), 1, "share a name");
    }
    fs::write(d.join("two.zip.gz"), common::gzip(&twice)).unwrap();
    fails(&run(&["describe", "two.zip.gz"], d), 1, "share a name");
}

#[test]
fn a_data_folder_that_is_a_device_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::kddstat()
        .current_dir(tmp.path())
        .env("KDDSTAT_DATA", "/dev/null")
        .env("KDDSTAT_MIRROR", "http://127.0.0.1:9/")
        .args(["compare"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("File exists"), "{err}");
    assert!(err.contains("/dev/null"), "{err}");
}

#[test]
fn a_file_named_like_an_archive_member_is_never_chosen_silently() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("x.zip"), common::zip_of(&[("y", &tiny())])).unwrap();
    fs::write(d.join("x.zip:y"), tiny()).unwrap();
    fails(
        &run(&["describe", "x.zip:y"], d),
        2,
        "names both a file and the member",
    );
}
