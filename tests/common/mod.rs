//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod browser;
pub mod traffic;

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

/// The folder of the public captures: `KDDSTAT_PCAPS`, else `pcaps` two levels above
/// `KDDSTAT_DATA` (`../shared/pcaps` beside `../shared/datasets/nsl-kdd`); missing, the test
/// fails or is skipped as [`missing`] says.
pub fn pcaps() -> Option<PathBuf> {
    let dir = std::env::var_os("KDDSTAT_PCAPS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("KDDSTAT_DATA").map(|d| PathBuf::from(d).join("../../pcaps")));
    match dir {
        Some(d) if d.join("zeek-tcp-syn.pcap").is_file() => Some(d),
        _ => {
            missing(
                "the folder of public captures",
                "set KDDSTAT_PCAPS to ../shared/pcaps",
            );
            None
        }
    }
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

/// A zip archive of `entries` (name, bytes), deflated.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A pcap of `packets` (one Ethernet frame each), little-endian, microseconds.
pub fn pcap_file(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut b: Vec<u8> = Vec::new();
    b.extend(0xa1b2c3d4u32.to_le_bytes());
    b.extend(2u16.to_le_bytes());
    b.extend(4u16.to_le_bytes());
    b.extend([0u8; 8]);
    b.extend(65535u32.to_le_bytes());
    b.extend(1u32.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        b.extend((1_700_000_000u32 + (i / 1000) as u32).to_le_bytes());
        b.extend(((i % 1000) as u32).to_le_bytes());
        b.extend((p.len() as u32).to_le_bytes());
        b.extend((p.len() as u32).to_le_bytes());
        b.extend(p);
    }
    b
}

/// An Ethernet frame holding an IPv4 packet (`flags_offset`: the flags and fragment offset).
pub fn ipv4_frame(id: u16, flags_offset: u16, proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_frame_between(1, 2, id, flags_offset, proto, payload)
}

/// [`ipv4_frame`] from 10.0.0.`src` to 10.0.0.`dst`.
pub fn ipv4_frame_between(
    src: u8,
    dst: u8,
    id: u16,
    flags_offset: u16,
    proto: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend([0x08, 0x00]);
    let len = (20 + payload.len()) as u16;
    let mut ip = vec![
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, src, 10, 0, 0, dst,
    ];
    ip[2..4].copy_from_slice(&len.to_be_bytes());
    ip[4..6].copy_from_slice(&id.to_be_bytes());
    ip[6..8].copy_from_slice(&flags_offset.to_be_bytes());
    let sum: u32 = ip
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend(ip);
    f.extend(payload);
    f
}

pub fn udp_frame(sport: u16) -> Vec<u8> {
    let mut udp = Vec::new();
    udp.extend(sport.to_be_bytes());
    udp.extend(53u16.to_be_bytes());
    udp.extend(12u16.to_be_bytes());
    udp.extend([0, 0]);
    udp.extend(b"abcd");
    ipv4_frame(1, 0, 17, &udp)
}

/// The smallest `font-size` of an SVG (infinity when it has no text).
pub fn smallest_font(svg: &str) -> f64 {
    svg.split("font-size=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse::<f64>().ok())
        .fold(f64::INFINITY, f64::min)
}

/// Checks every SVG of a report folder: text at least 12 px at 100% zoom.
pub fn check_svg_text(dir: &Path) {
    for e in std::fs::read_dir(dir.join("plots")).unwrap() {
        let p = e.unwrap().path();
        let svg = std::fs::read_to_string(&p).unwrap();
        let small = smallest_font(&svg);
        assert!(small >= 12.0, "{}: text of {small} px", p.display());
    }
}

/// The peak resident memory of a command, in bytes, read from /proc while it runs (the high-water
/// mark only grows, so the last reading before it exits is the peak).
pub fn peak_rss(cmd: &mut std::process::Command) -> u64 {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status)
            && let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kb * 1024);
        }
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success(), "the command failed");
            return peak;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Writes `n` copies of the file `from` one after the other to `to` (a large input made from a
/// real file, never committed).
pub fn copies(from: &Path, n: usize, to: &Path) {
    use std::io::Write;
    let text = std::fs::read(from).unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(to).unwrap());
    for _ in 0..n {
        f.write_all(&text).unwrap();
    }
    f.flush().unwrap();
}

/// Runs kddstat in `cwd` under a 2 GiB address-space limit (prlimit, from util-linux; without
/// it, plainly, and the missing tool is reported), with standard input closed.
pub fn run_limited(args: &[&str], cwd: &Path) -> std::process::Output {
    const LIMIT: &str = "2147483648"; // 2 GiB
    let bin = env!("CARGO_BIN_EXE_kddstat");
    let mut cmd = if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_ok()
    {
        let mut c = std::process::Command::new("prlimit");
        c.arg(format!("--as={LIMIT}")).arg("--").arg(bin);
        c
    } else {
        missing("prlimit", "install util-linux");
        std::process::Command::new(bin)
    };
    cmd.args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}
