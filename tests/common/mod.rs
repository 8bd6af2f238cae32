//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `kddstat` binary, run from the crate root so that fixture paths print short.
pub fn kddstat() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kddstat"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// A fixture's path relative to the crate root (as the binary is run from there).
pub fn fixture(name: &str) -> String {
    format!("tests/fixtures/{name}")
}

/// The absolute path of a fixture.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture(name))
}

/// The folder of the real NSL-KDD files, from `KDDSTAT_DATA`.
///
/// Without it, a test that needs the real files says plainly that it was skipped and returns
/// `None`; under CI (`CI` set) a missing folder or file is a failure, never a silent skip.
pub fn data_dir(files: &[&str]) -> Option<PathBuf> {
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    let Some(dir) = std::env::var_os("KDDSTAT_DATA").map(PathBuf::from) else {
        assert!(!in_ci, "KDDSTAT_DATA must name the NSL-KDD folder under CI");
        eprintln!(
            "SKIPPED: KDDSTAT_DATA is not set, so the tests on the real NSL-KDD files did not run"
        );
        return None;
    };
    for f in files {
        let path = dir.join(f);
        if !path.is_file() {
            assert!(!in_ci, "{} is missing under CI", path.display());
            eprintln!("SKIPPED: {} is missing", path.display());
            return None;
        }
    }
    Some(dir)
}

/// Relative difference, 0 for equal values (NaN equal to NaN).
pub fn rel_diff(a: f64, b: f64) -> f64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

/// Runs a command, requires success (showing its stderr otherwise) and returns its stdout.
pub fn stdout_of(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Requires the same stdout, to the byte, on one thread and on all (`make` builds the command).
pub fn same_on_one_thread_and_on_all(make: impl Fn() -> Command) {
    let one = stdout_of(make().env("RAYON_NUM_THREADS", "1"));
    let all = stdout_of(&mut make());
    assert!(one == all, "output differs between one thread and all");
}

/// gzip-compressed bytes.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}
