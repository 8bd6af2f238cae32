//! gzip and zip inputs, recognised by their content: the same figures as the plain text, and clear
//! errors for corrupt, truncated or ambiguous archives. The archives are made here, from fixtures.

mod common;

use std::io::Write;
use std::path::Path;

use common::{fixture_path, gzip, kddstat, stdout_of};

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        if name.ends_with('/') {
            w.add_directory(name.trim_end_matches('/'), options)
                .unwrap();
        } else {
            w.start_file(*name, options).unwrap();
            w.write_all(data).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

fn tiny() -> Vec<u8> {
    std::fs::read(fixture_path("tiny.txt")).unwrap()
}

/// `describe --format json` of a file, with its path left out.
fn summary(path: &Path, extra: &[&str]) -> serde_json::Value {
    let out = stdout_of(
        kddstat()
            .arg("describe")
            .args(extra)
            .args(["--format", "json"])
            .arg(path),
    );
    let mut v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    v["files"][0]["path"] = serde_json::Value::Null;
    v
}

fn error(path: &Path, extra: &[&str]) -> String {
    let out = kddstat()
        .arg("describe")
        .args(extra)
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn gzip_zip_and_gzip_inside_zip_equal_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let plain = summary(&fixture_path("tiny.txt"), &[]);
    let gz = dir.path().join("tiny.txt.gz");
    std::fs::write(&gz, gzip(&tiny())).unwrap();
    assert_eq!(summary(&gz, &[]), plain);
    // Content decides, not the name.
    let disguised = dir.path().join("tiny.data");
    std::fs::write(&disguised, gzip(&tiny())).unwrap();
    assert_eq!(summary(&disguised, &[]), plain);
    let z = dir.path().join("one.zip");
    let data = tiny();
    std::fs::write(
        &z,
        zip(&[
            ("data/", b""),
            ("data/tiny.txt", &data),
            ("README.md", b"about"),
            ("__MACOSX/._tiny.txt", b"x"),
        ]),
    )
    .unwrap();
    assert_eq!(summary(&z, &[]), plain);
    let zgz = dir.path().join("gz-in-zip.zip");
    std::fs::write(&zgz, zip(&[("tiny.txt.gz", &gzip(&data))])).unwrap();
    assert_eq!(summary(&zgz, &[]), plain);
}

#[test]
fn archive_member_names_show_in_messages() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("bad.zip");
    let bad = std::fs::read(fixture_path("bad_number.txt")).unwrap();
    std::fs::write(&z, zip(&[("inner/bad.txt", &bad)])).unwrap();
    assert_eq!(
        error(&z, &[]),
        format!(
            "kddstat: error: {}!inner/bad.txt:3: column 'src_bytes': 'abc' is not a number\n",
            z.display()
        )
    );
}

#[test]
fn several_members_need_an_entry() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("two.zip");
    let data = tiny();
    let k99 = std::fs::read(fixture_path("kdd99_header.csv")).unwrap();
    std::fs::write(&z, zip(&[("a/tiny.txt", &data), ("b/k99.csv", &k99)])).unwrap();
    assert_eq!(
        error(&z, &[]),
        format!(
            "kddstat: error: {}: the archive holds several data files: a/tiny.txt, b/k99.csv; \
             choose one as ARCHIVE.zip:MEMBER (or --entry MEMBER)\n",
            z.display()
        )
    );
    // By full name or by base name.
    let plain = summary(&fixture_path("tiny.txt"), &[]);
    assert_eq!(summary(&z, &["--entry", "a/tiny.txt"]), plain);
    assert_eq!(summary(&z, &["--entry", "tiny.txt"]), plain);
    assert_eq!(
        error(&z, &["--entry", "nope.txt"]),
        format!(
            "kddstat: error: {}: no entry 'nope.txt' in the archive; it holds: a/tiny.txt, b/k99.csv\n",
            z.display()
        )
    );
}

#[test]
fn empty_zip() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("empty.zip");
    std::fs::write(&z, zip(&[("docs/README.md", b"hi")])).unwrap();
    assert_eq!(
        error(&z, &[]),
        format!(
            "kddstat: error: {}: the archive holds no data file\n",
            z.display()
        )
    );
}

#[test]
fn truncated_and_corrupt_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = Vec::new();
    for _ in 0..2000 {
        big.extend_from_slice(&tiny());
    }
    let gz = gzip(&big);
    let cut = dir.path().join("cut.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    assert_eq!(
        error(&cut, &[]),
        format!(
            "kddstat: error: {}: the gzip stream ends early: the file is truncated\n",
            cut.display()
        )
    );
    let mut bad = gz.clone();
    for b in &mut bad[20..40] {
        *b ^= 0x5a;
    }
    let corrupt = dir.path().join("corrupt.gz");
    std::fs::write(&corrupt, &bad).unwrap();
    let msg = error(&corrupt, &[]);
    assert!(
        msg.starts_with(&format!(
            "kddstat: error: {}: not a valid gzip stream",
            corrupt.display()
        )),
        "{msg}"
    );
    assert_eq!(msg.lines().count(), 1);
}

#[test]
fn corrupt_zip() {
    let dir = tempfile::tempdir().unwrap();
    let mut z = zip(&[("tiny.txt", &tiny())]);
    let n = z.len();
    z.truncate(n - 30); // cut into the central directory
    let path = dir.path().join("cut.zip");
    std::fs::write(&path, &z).unwrap();
    let msg = error(&path, &[]);
    assert!(
        msg.starts_with(&format!(
            "kddstat: error: {}: not a readable zip archive",
            path.display()
        )),
        "{msg}"
    );
    assert_eq!(msg.lines().count(), 1);
}
