//! `kddstat fetch` against a real HTTP server on 127.0.0.1, run inside the test: the good files,
//! a corrupted copy, an HTTP error and a connection cut in the middle of a body.

mod common;

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

use common::{data_dir, kddstat};

/// How the server answers a path.
#[derive(Clone)]
enum Answer {
    /// 200 with the body.
    Body(Vec<u8>),
    /// A status without body.
    Status(u16),
    /// 200 announcing `len` bytes, then only the first `sent` of them and a closed connection.
    Cut(Vec<u8>, usize),
}

/// Serves `answers` (by URL path) on 127.0.0.1 until the process ends; returns the base URL.
fn serve(answers: HashMap<String, Answer>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let answers = Arc::new(answers);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let answers = Arc::clone(&answers);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    return;
                }
                // Skip the headers.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
                // (status, body, bytes of it sent before closing)
                let (status, body, sent) = match answers.get(&path).cloned() {
                    Some(Answer::Body(b)) => {
                        let n = b.len();
                        (200, b, n)
                    }
                    Some(Answer::Cut(b, sent)) => (200, b, sent),
                    Some(Answer::Status(code)) => (code, Vec::new(), 0),
                    None => (404, Vec::new(), 0),
                };
                let head = format!(
                    "HTTP/1.1 {status} Answer\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream
                    .write_all(head.as_bytes())
                    .and_then(|_| stream.write_all(&body[..sent]));
                let _ = stream.flush();
            });
        }
    });
    base
}

/// `kddstat fetch --quiet --url BASE/mirror --dir DIR`.
fn fetch_cmd(base: &str, dir: &Path) -> assert_cmd::Command {
    let mut cmd = kddstat();
    cmd.args(["fetch", "--quiet", "--url"])
        .arg(format!("{base}/mirror"))
        .arg("--dir")
        .arg(dir);
    cmd
}

const NAMES: [&str; 4] = [
    "KDDTrain+.txt",
    "KDDTest+.txt",
    "KDDTest-21.txt",
    "KDDTrain+_20Percent.txt",
];

fn url_path(name: &str) -> String {
    format!("/mirror/{}", name.replace('+', "%2B"))
}

/// No file and no temporary file left in `dir`.
fn assert_empty(dir: &Path) {
    let left: Vec<_> = fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn http_errors_and_cut_connections_leave_nothing_behind() {
    let mut answers = HashMap::new();
    // KDDTest+.txt is the first file of datasets/SHA256SUMS, so the first one fetched.
    answers.insert(url_path("KDDTest+.txt"), Answer::Status(503));
    let base = serve(answers);
    let tmp = tempfile::tempdir().unwrap();
    let a = fetch_cmd(&base, tmp.path()).assert().code(1);
    assert_eq!(
        String::from_utf8_lossy(&a.get_output().stderr),
        format!("kddstat: error: {base}/mirror/KDDTest%2B.txt: the server answered HTTP 503\n")
    );
    assert_empty(tmp.path());

    let mut answers = HashMap::new();
    answers.insert(
        url_path("KDDTest+.txt"),
        Answer::Cut(b"0,tcp,http,SF,1,2\n".repeat(10_000), 50_000),
    );
    let base = serve(answers);
    let a = fetch_cmd(&base, tmp.path()).assert().code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        err.contains("KDDTest%2B.txt: the download was cut"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    assert_empty(tmp.path());
}

#[test]
fn downloads_verifies_and_refuses_a_corrupted_copy() {
    let Some(dir) = data_dir(&NAMES) else { return };
    let copies: HashMap<&str, Vec<u8>> = NAMES
        .iter()
        .map(|n| (*n, fs::read(dir.join(n)).unwrap()))
        .collect();
    let good: HashMap<String, Answer> = NAMES
        .iter()
        .map(|n| (url_path(n), Answer::Body(copies[n].clone())))
        .collect();
    let base = serve(good);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("datasets");
    let fetch = |base: &str| fetch_cmd(base, &out);
    let a = fetch(&base).assert().success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    assert!(stdout.contains("KDDTrain+.txt: downloaded, 19,109,424 bytes, SHA-256 verified"));
    for n in NAMES {
        assert!(fs::read(out.join(n)).unwrap() == copies[n], "{n} differs");
    }
    // The files are checked by the repository's checksums, independently of kddstat.
    let check = std::process::Command::new("sha256sum")
        .args(["--check", "--strict", "--quiet"])
        .current_dir(&out)
        .stdin(
            fs::File::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/SHA256SUMS"))
                .unwrap(),
        )
        .status();
    if let Ok(status) = check {
        assert!(status.success());
    }
    // A second run finds them in place.
    let a = fetch(&base).assert().success();
    assert!(
        String::from_utf8_lossy(&a.get_output().stdout)
            .lines()
            .all(|l| l.ends_with("already present, SHA-256 verified"))
    );

    // A mirror with one corrupted file: the others are written, that one is not.
    let mut bad: HashMap<String, Answer> = NAMES
        .iter()
        .map(|n| (url_path(n), Answer::Body(copies[n].clone())))
        .collect();
    let mut corrupted = copies["KDDTest-21.txt"].clone();
    corrupted[1000] ^= 1;
    bad.insert(url_path("KDDTest-21.txt"), Answer::Body(corrupted));
    let base = serve(bad);
    let fresh = tempfile::tempdir().unwrap();
    let a = fetch_cmd(&base, fresh.path()).assert().code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        err.starts_with(&format!(
            "kddstat: error: {base}/mirror/KDDTest-21.txt: SHA-256 mismatch: expected 746993ac"
        )),
        "{err}"
    );
    assert!(!fresh.path().join("KDDTest-21.txt").exists());
    let left: Vec<String> = fs::read_dir(fresh.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.iter().all(|n| NAMES.contains(&n.as_str())), "{left:?}");

    // A local file with another checksum is not replaced without --force.
    fs::write(out.join("KDDTest+.txt"), "mine").unwrap();
    let base = serve(
        NAMES
            .iter()
            .map(|n| (url_path(n), Answer::Body(copies[n].clone())))
            .collect(),
    );
    fetch(&base).assert().code(2);
    assert_eq!(fs::read(out.join("KDDTest+.txt")).unwrap(), b"mine");
    fetch(&base).arg("--force").assert().success();
    assert!(fs::read(out.join("KDDTest+.txt")).unwrap() == copies["KDDTest+.txt"]);
}

#[test]
fn the_main_job_downloads_missing_files_then_writes_the_report() {
    let Some(dir) = data_dir(&NAMES) else { return };
    let base = serve(
        NAMES
            .iter()
            .map(|n| (url_path(n), Answer::Body(fs::read(dir.join(n)).unwrap())))
            .collect(),
    );
    // A fresh folder as a fresh clone: no datasets/, no KDDSTAT_DATA; the README's main job.
    let tmp = tempfile::tempdir().unwrap();
    let a = kddstat()
        .current_dir(tmp.path())
        .env_remove("KDDSTAT_DATA")
        .env("KDDSTAT_MIRROR", format!("{base}/mirror"))
        .args(["report", "--force"])
        .assert()
        .success();
    let out = a.get_output();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "reports/nsl-kdd/index.html\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("downloading them from {base}/mirror")),
        "{err}"
    );
    for n in NAMES {
        assert!(tmp.path().join("datasets").join(n).is_file(), "{n}");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("reports/nsl-kdd/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["files"][0]["rows"], 125_973);
    assert_eq!(summary["evaluation"]["detectors"][0]["id"], "zscore");
}
