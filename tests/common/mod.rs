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

/// Whether the tests run under CI (`CI` set and not `false`).
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// Something a test needs is missing: a failure that says what and how to get it, unless
/// `KDDSTAT_ALLOW_SKIP` is set outside CI, when the test says plainly that it was skipped and
/// passes. `cargo test` hides the output of passing tests, so a silent skip would read as green.
pub fn missing(what: &str, how: &str) {
    let allow = std::env::var_os("KDDSTAT_ALLOW_SKIP").is_some_and(|v| !v.is_empty());
    if in_ci() || !allow {
        panic!(
            "{what} is missing, so this test cannot run: {how}; or set KDDSTAT_ALLOW_SKIP=1 to \
             skip the tests that need it{}",
            if in_ci() { " (not under CI)" } else { "" }
        );
    }
    eprintln!("SKIPPED: {what} is missing ({how})");
}

/// The folder of the real NSL-KDD files: `KDDSTAT_DATA`, else `datasets/` of the repository
/// (where the README and `kddstat fetch` put them). With a file missing the test fails, naming
/// it, unless skipping is allowed ([`missing`]).
pub fn data_dir(files: &[&str]) -> Option<PathBuf> {
    let dir = std::env::var_os("KDDSTAT_DATA")
        .filter(|v| !v.is_empty())
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets"),
            PathBuf::from,
        );
    for f in files {
        let path = dir.join(f);
        if !path.is_file() {
            missing(
                &format!("the NSL-KDD file {}", path.display()),
                "run `cargo run --release -- fetch` (it downloads them into datasets/) or set \
                 KDDSTAT_DATA to the folder that holds them",
            );
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
