//! Bad input of every kind: one line on stderr naming the file, the line and the column, exit
//! status 1 (2 for usage), nothing on stdout, never a panic.

mod common;

use common::{fixture, kddstat};

/// Runs `kddstat describe` on a fixture and checks the status and the whole of stderr.
fn fails(args: &[&str], status: i32, stderr: &str) {
    let out = kddstat().arg("describe").args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(status), "stderr: {err}");
    assert_eq!(err, format!("{stderr}\n"));
    assert!(out.stdout.is_empty());
}

fn fails_on(name: &str, message: &str) {
    fails(
        &[&fixture(name)],
        1,
        &format!("kddstat: error: {}{message}", fixture(name)),
    );
}

#[test]
fn not_a_number() {
    fails_on(
        "bad_number.txt",
        ":3: column 'src_bytes': 'abc' is not a number",
    );
}

#[test]
fn not_a_whole_number() {
    fails_on(
        "bad_whole.txt",
        ":3: column 'count': '2.5' is not a whole number",
    );
}

#[test]
fn negative_count() {
    fails_on(
        "bad_negative.txt",
        ":2: column 'duration': '-5' is negative; counts cannot be",
    );
}

#[test]
fn rate_outside_unit_interval() {
    fails_on(
        "bad_rate.txt",
        ":4: column 'same_srv_rate': '1.50' is not a rate in [0, 1]",
    );
}

#[test]
fn indicator_other_than_zero_or_one() {
    fails_on(
        "bad_binary.txt",
        ":4: column 'logged_in': '2' is not 0 or 1",
    );
}

#[test]
fn difficulty_outside_0_21() {
    fails_on(
        "bad_difficulty.txt",
        ":3: column 'difficulty': '25' is not a difficulty level (0-21)",
    );
}

#[test]
fn missing_value() {
    fails_on("bad_missing.txt", ":2: column 'service': missing value");
}

#[test]
fn too_few_fields() {
    fails_on("bad_fields.txt", ":3: expected 43 fields, found 40");
}

#[test]
fn too_many_fields() {
    fails_on("bad_extra_field.txt", ":2: expected 43 fields, found 44");
}

#[test]
fn first_line_of_another_layout() {
    fails_on(
        "bad_first_line.txt",
        ":1: expected 41, 42 or 43 fields, found 3",
    );
}

#[test]
fn truncated_last_line() {
    fails_on(
        "truncated.txt",
        ":4: expected 43 fields, found 24 (the last line is cut short: is the file truncated?)",
    );
}

#[test]
fn header_of_another_layout() {
    fails_on(
        "bad_header.csv",
        ":1: the header does not follow the KDD layout: 41 of the 41 feature names differ \
         (field 1: 'a' where 'duration' was expected)",
    );
}

#[test]
fn header_without_rows() {
    fails_on("kdd99_header_only.csv", ": no data rows after the header");
}

#[test]
fn empty_file() {
    fails_on("empty.txt", ": the file is empty");
    fails_on("whitespace_only.txt", ": the file holds only blank lines");
}

#[test]
fn binary_file() {
    fails_on(
        "binary.bin",
        ": binary data (a NUL byte at offset 0); expected comma-separated text",
    );
}

#[test]
fn invalid_utf8() {
    fails_on(
        "invalid_utf8.txt",
        ":3: column 'label': invalid UTF-8 (byte 0xff at offset 445); expected UTF-8 or ASCII text",
    );
}

#[test]
fn missing_file() {
    fails(
        &["no/such/file.txt"],
        1,
        "kddstat: error: no/such/file.txt: no such file",
    );
}

/// `describe` reads a folder as one dataset (its files in name order), so a bad file in it is
/// named with its line; commands that read one file refuse a folder.
#[test]
fn directory() {
    fails(
        &["tests/fixtures"],
        1,
        "kddstat: error: tests/fixtures/bad_binary.txt:4: column 'logged_in': '2' is not 0 or 1",
    );
    let out = kddstat()
        .args(["fit", "tests/fixtures", "--detectors", "zscore", "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "kddstat: error: tests/fixtures: is a directory, not a data file\n"
    );
    let empty = tempfile::tempdir().unwrap();
    let shown = empty.path().display().to_string();
    fails(
        &[&shown],
        1,
        &format!("kddstat: error: {shown}: the folder holds no file"),
    );
}

#[test]
fn unknown_column_is_a_usage_error() {
    let out = kddstat()
        .args([
            "describe",
            "--columns",
            "src_bytes,nope",
            &fixture("tiny.txt"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("kddstat: error: unknown column 'nope'; the names are those of"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    // A near miss names the nearest column, not all 44.
    let out = kddstat()
        .args(["describe", "--columns", "src_byte", &fixture("tiny.txt")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "kddstat: error: unknown column 'src_byte'; did you mean 'src_bytes'?\n"
    );
}

#[test]
fn difficulty_of_a_file_without_it() {
    fails(
        &["--columns", "difficulty", &fixture("nsl_no_difficulty.txt")],
        2,
        &format!(
            "kddstat: error: unknown column 'difficulty' ({} has no difficulty column)",
            fixture("nsl_no_difficulty.txt")
        ),
    );
}

#[test]
fn entry_on_a_plain_file() {
    fails(
        &["--entry", "x.txt", &fixture("tiny.txt")],
        2,
        &format!(
            "kddstat: error: {}: --entry applies to .zip archives only, and this is not one",
            fixture("tiny.txt")
        ),
    );
}

#[test]
fn bad_option_is_status_2() {
    let out = kddstat().args(["describe", "--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = kddstat().arg("describe").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = kddstat()
        .args(["describe", "--format", "xml", &fixture("tiny.txt")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_and_version_succeed() {
    kddstat().arg("--help").assert().success();
    kddstat().args(["describe", "--help"]).assert().success();
    kddstat()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("kddstat {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn first_bad_file_stops_the_run() {
    fails(
        &[&fixture("tiny.txt"), &fixture("bad_number.txt")],
        1,
        &format!(
            "kddstat: error: {}:3: column 'src_bytes': 'abc' is not a number",
            fixture("bad_number.txt")
        ),
    );
}

#[test]
fn bad_value_on_the_first_line_is_not_taken_for_a_header() {
    fails_on(
        "bad_first_duration.txt",
        ":1: column 'duration': '1x' is not a number",
    );
}
