//! `kddstat clean`: findings worked out by hand on a fixture, verbatim CSV copies, Parquet, the
//! quarantine, and the rules that protect the user's files.

mod common;

use std::path::Path;

use common::{fixture, fixture_path, kddstat};
use kddstat::clean::{Selection, inspect};
use kddstat::load::load_path;

// dups_conflicts.txt holds rows A B A C C' A D B, where C' has C's 41 features with another label:
// duplicates are rows 3, 6 (of A) and 8 (of B): 3 rows in 2 groups; one conflicting vector (C, C'),
// 2 rows.
#[test]
fn findings_worked_out_by_hand() {
    let ds = load_path(fixture_path("dups_conflicts.txt")).unwrap();
    let f = inspect(&ds).unwrap();
    assert_eq!((f.duplicate_rows, f.duplicate_groups), (3, 2));
    assert_eq!(f.duplicate_indices, [2, 5, 7]);
    assert_eq!((f.conflicting_vectors, f.conflicting_rows), (1, 2));
    assert_eq!(f.conflicting_indices, [3, 4]);
    assert!(
        f.constant_columns
            .contains(&"num_outbound_cmds".to_string())
    );
    assert!(!f.constant_columns.contains(&"src_bytes".to_string()));
    // The two normal rows differ in protocol, service, duration, bytes, count, rates ...
    assert!(f.constant_in_normal.contains(&"flag".to_string()));
    assert!(!f.constant_in_normal.contains(&"protocol_type".to_string()));
    let plan = Selection::new(&ds, &f, true, true, false);
    assert_eq!(plan.rows_kept(), 3); // A B D
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    kddstat()
        .arg("clean")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn csv_copies_kept_lines_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture_path("dups_conflicts.txt");
    let input = input.to_str().unwrap();
    let out = run(dir.path(), &[input, "-o", "all.csv"]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(dir.path().join("all.csv")).unwrap(),
        std::fs::read(input).unwrap()
    );
    let out = run(
        dir.path(),
        &[
            input,
            "-o",
            "clean.csv",
            "--drop-duplicates",
            "--drop-conflicts",
        ],
    );
    assert!(out.status.success());
    let original = lines(Path::new(input));
    assert_eq!(
        lines(&dir.path().join("clean.csv")),
        [
            original[0].clone(),
            original[1].clone(),
            original[6].clone()
        ]
    );
    insta::assert_snapshot!(
        String::from_utf8_lossy(&out.stdout).replace(input, "dups_conflicts.txt")
    );
}

#[test]
fn header_and_dots_survive_and_dropped_columns_get_a_header() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture_path("kdd99_header.csv");
    let input = input.to_str().unwrap();
    assert!(run(dir.path(), &[input, "-o", "same.csv"]).status.success());
    assert_eq!(
        std::fs::read(dir.path().join("same.csv")).unwrap(),
        std::fs::read(input).unwrap()
    );
    assert!(
        run(dir.path(), &[input, "-o", "narrow.csv", "--drop-constant"])
            .status
            .success()
    );
    let narrow = lines(&dir.path().join("narrow.csv"));
    let header: Vec<&str> = narrow[0].split(',').collect();
    assert!(!header.contains(&"num_outbound_cmds") && header.contains(&"src_bytes"));
    assert_eq!(*header.last().unwrap(), "label");
    assert!(narrow[1].ends_with(",normal."));
    assert!(
        narrow[1..]
            .iter()
            .all(|l| l.split(',').count() == header.len())
    );
}

#[test]
fn parquet_holds_the_kept_rows_and_columns() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let input = fixture_path("dups_conflicts.txt");
    let out = run(
        dir.path(),
        &[
            input.to_str().unwrap(),
            "-o",
            "c.parquet",
            "--drop-duplicates",
            "--drop-constant",
        ],
    );
    assert!(out.status.success());
    let file = std::fs::File::open(dir.path().join("c.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    assert_eq!(df.height(), 5);
    assert!(df.column("num_outbound_cmds").is_err());
    assert_eq!(df.column("src_bytes").unwrap().dtype(), &DataType::Int64);
    assert_eq!(
        df.column("serror_rate").unwrap().dtype(),
        &DataType::Float64
    );
    let labels: Vec<Option<&str>> = df.column("label").unwrap().str().unwrap().iter().collect();
    assert_eq!(
        labels,
        [
            Some("normal"),
            Some("normal"),
            Some("neptune"),
            Some("teardrop"),
            Some("ipsweep")
        ]
    );
    let cats: Vec<Option<&str>> = df
        .column("category")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(cats[3], Some("DoS"));
}

#[test]
fn quarantine_sets_invalid_lines_aside() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string(fixture_path("tiny.txt")).unwrap();
    text.push_str(&std::fs::read_to_string(fixture_path("bad_number.txt")).unwrap());
    let input = dir.path().join("mixed.txt");
    std::fs::write(&input, &text).unwrap();
    // Without --quarantine the first bad line stops the run, and nothing is written.
    let out = run(dir.path(), &["mixed.txt", "-o", "out.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "kddstat: error: mixed.txt:7: column 'src_bytes': 'abc' is not a number\n"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let out = run(
        dir.path(),
        &[
            "mixed.txt",
            "-o",
            "out.csv",
            "--quarantine",
            "bad.csv",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["invalid_lines"], 1);
    assert_eq!(v["rows_in"], 7);
    let q = lines(&dir.path().join("bad.csv"));
    assert_eq!(q[0], "line,reason,record");
    assert!(
        q[1].starts_with("7,column 'src_bytes': 'abc' is not a number,\"0,tcp,private,S0,abc,")
    );
    assert_eq!(lines(&dir.path().join("out.csv")).len(), 7);
}

#[test]
fn existing_files_and_inputs_are_protected() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::copy(fixture_path("tiny.txt"), &input).unwrap();
    std::fs::write(dir.path().join("out.csv"), "mine").unwrap();
    let out = run(dir.path(), &["in.txt", "-o", "out.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "kddstat: error: out.csv: exists; use --force to replace it\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.csv")).unwrap(),
        "mine"
    );
    let out = run(dir.path(), &["in.txt", "-o", "in.txt", "--force"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "kddstat: error: in.txt: is an input; kddstat never writes over its input\n"
    );
    assert!(
        run(dir.path(), &["in.txt", "-o", "out.csv", "--force"])
            .status
            .success()
    );
    assert_eq!(
        std::fs::read(dir.path().join("out.csv")).unwrap(),
        std::fs::read(&input).unwrap()
    );
    // Missing parent folders are created (as for a report folder).
    let out = run(dir.path(), &["in.txt", "-o", "no/such/dir/out.csv"]);
    assert!(out.status.success());
    assert!(dir.path().join("no/such/dir/out.csv").is_file());
    std::fs::remove_dir_all(dir.path().join("no")).unwrap();
    // No temporary file is left behind by any of these runs.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["in.txt", "out.csv"]);
}

#[test]
fn fixture_paths_print_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let out = kddstat()
        .args(["clean", &fixture("tiny.txt"), "-o"])
        .arg(dir.path().join("t.csv"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("tests/fixtures/tiny.txt: 4 rows"));
}
