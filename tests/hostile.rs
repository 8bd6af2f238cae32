//! Hostile inputs, built by the tests themselves: each runs the binary under an address-space limit
//! (`prlimit --as`), and checks exit 0 or 1 with one line naming the file, no abort, and no file of
//! the user's lost or changed.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{fixture, fixture_path, kddstat};
use serde_json::Value;

fn run_limited(args: &[&str], cwd: &Path) -> Output {
    common::run_limited(args, cwd)
}

/// Exit 1 with one line on standard error containing `needle`; nothing on standard output.
fn fails_with(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("kddstat: error: "), "{err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    assert!(out.stdout.is_empty());
}

fn gzip(data: &[u8]) -> Vec<u8> {
    common::gzip(data)
}

fn tiny() -> Vec<u8> {
    fs::read(fixture_path("tiny.txt")).unwrap()
}

#[test]
fn nested_archives_stop_at_three_layers() {
    let tmp = tempfile::tempdir().unwrap();
    // zip in zip ... 200 deep (a stack overflow before), and gzip in gzip 30 deep (each layer
    // of gzip over gzip grows the file a little, so deeper would test size, not depth).
    let mut z = tiny();
    let mut g = tiny();
    for i in 0..200 {
        z = common::zip_of(&[(&format!("l{i}.zip"), &z)]);
    }
    for _ in 0..30 {
        g = gzip(&g);
    }
    fs::write(tmp.path().join("deep.zip"), &z).unwrap();
    fs::write(tmp.path().join("deep.gz"), &g).unwrap();
    for f in ["deep.zip", "deep.gz"] {
        let out = run_limited(&["describe", f], tmp.path());
        fails_with(&out, "more than 3 layers of compression");
    }
    // Two layers are fine.
    fs::write(
        tmp.path().join("two.zip"),
        common::zip_of(&[("t.gz", &gzip(&tiny()))]),
    )
    .unwrap();
    assert!(
        run_limited(&["describe", "two.zip"], tmp.path())
            .status
            .success()
    );
}

#[test]
fn decompression_is_streamed_and_capped() {
    let tmp = tempfile::tempdir().unwrap();
    // 200 MB of zeros in a 200 KB gzip: refused as binary at the first chunk, not inflated whole.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..200 {
        enc.write_all(&zeros).unwrap();
    }
    fs::write(tmp.path().join("zeros.gz"), enc.finish().unwrap()).unwrap();
    let out = run_limited(&["describe", "zeros.gz"], tmp.path());
    fails_with(&out, "binary data");
    // Repeated rows past the limit the user sets.
    let rows = String::from_utf8(tiny()).unwrap().repeat(20_000);
    fs::write(tmp.path().join("rows.gz"), gzip(rows.as_bytes())).unwrap();
    let out = run_limited(
        &["describe", "--max-decompressed", "1000000", "rows.gz"],
        tmp.path(),
    );
    fails_with(&out, "decompresses to more than 1000000 bytes");
    assert!(
        run_limited(&["describe", "-q", "rows.gz"], tmp.path())
            .status
            .success()
    );
}

#[test]
fn archive_names_are_escaped_and_lists_capped() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tiny();
    let mut entries: Vec<(String, Vec<u8>)> = (0..2000)
        .map(|i| (format!("part{i:04}.txt"), t.clone()))
        .collect();
    entries.push(("evil\n\u{1b}[31mname.txt".to_string(), t.clone()));
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    fs::write(tmp.path().join("many.zip"), common::zip_of(&refs)).unwrap();
    let out = run_limited(&["describe", "many.zip"], tmp.path());
    fails_with(&out, "and 1991 more");
    assert!(out.stderr.len() < 2000);
    let out = run_limited(&["describe", "many.zip:nope"], tmp.path());
    fails_with(&out, "no entry 'nope'");
    assert!(!out.stderr.contains(&0x1b));
}

#[test]
fn a_huge_vocabulary_stays_small() {
    let tmp = tempfile::tempdir().unwrap();
    // 15,000 distinct services in 15,000 rows (3.7 GB before the cap).
    let mut text = String::new();
    for i in 0..15_000 {
        text.push_str(&format!(
            "0,tcp,svc{i},SF,{i},0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,1,0,0,0,0,1,0,0,1,1,1,0,0,0,0,0,0,0,normal,21\n"
        ));
    }
    fs::write(tmp.path().join("services.txt"), text).unwrap();
    let out = run_limited(
        &[
            "fit",
            "-q",
            "--detectors",
            "kmeans",
            "--train",
            "services.txt",
            "-o",
            "m.json",
        ],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: Value = serde_json::from_slice(&fs::read(tmp.path().join("m.json")).unwrap()).unwrap();
    let services = m["encoder"]["vocabulary"][1][1].as_array().unwrap().len();
    assert_eq!(services, 1024);
    let out = run_limited(
        &["score", "--model", "m.json", "services.txt", "-o", "s.csv"],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Fits a model on the fixture and returns its JSON.
fn fitted(dir: &Path, detector: &str) -> Value {
    let mut cmd = kddstat();
    cmd.args(["fit", "-q", "--force", "--detectors", detector, "--train"])
        .arg(fixture("report_train.txt"))
        .arg("-o")
        .arg(dir.join(format!("{detector}.json")));
    if detector == "kmeans" {
        cmd.args(["--k", "2"]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&fs::read(dir.join(format!("{detector}.json"))).unwrap()).unwrap()
}

#[test]
fn edited_models_are_refused_before_scoring() {
    let tmp = tempfile::tempdir().unwrap();
    let test = fixture_path("report_test.txt");
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "iforest",
            Box::new(|m: &mut Value| m["detector"]["sample"] = 1.into()),
        ),
        (
            "kmeans",
            Box::new(|m: &mut Value| m["encoder"]["scale"][0] = 0.0.into()),
        ),
        (
            "gmm",
            Box::new(|m: &mut Value| m["detector"]["spread"][0][0] = 1e-300.into()),
        ),
        (
            "zscore",
            Box::new(|m: &mut Value| m["detector"]["features"] = Value::Array(vec![])),
        ),
        (
            "zscore",
            Box::new(|m: &mut Value| m["detector"]["features"][0][0] = "nope".into()),
        ),
        (
            "ensemble",
            Box::new(|m: &mut Value| {
                m["detector"]["members"][0]["quantiles"] = Value::Array(vec![])
            }),
        ),
        (
            "ensemble",
            Box::new(|m: &mut Value| {
                let q = &mut m["detector"]["members"][1]["quantiles"];
                q[0] = 1e9.into();
            }),
        ),
        (
            "iforest",
            Box::new(|m: &mut Value| {
                // A cycle: a node pointing back at the root.
                let tree = &mut m["detector"]["forest"][0];
                tree[0]["left"] = 0.into();
            }),
        ),
        (
            "kmeans",
            Box::new(|m: &mut Value| m["threshold"] = Value::Null),
        ),
    ];
    for (i, (detector, edit)) in edits.iter().enumerate() {
        let mut m = fitted(tmp.path(), detector);
        edit(&mut m);
        let path = tmp.path().join(format!("edited-{i}.json"));
        fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
        let out = kddstat()
            .arg("score")
            .arg("--model")
            .arg(&path)
            .arg(&test)
            .output()
            .unwrap();
        fails_with(&out, &path.display().to_string());
    }
    // A model file larger than the limit is refused before it is read (a sparse file here).
    let big = tmp.path().join("big.json");
    fs::File::create(&big).unwrap().set_len(300 << 20).unwrap();
    let out = run_limited(
        &[
            "score",
            "--model",
            big.to_str().unwrap(),
            test.to_str().unwrap(),
        ],
        tmp.path(),
    );
    fails_with(&out, "larger than the 268435456 bytes");
}

#[test]
fn first_fragments_do_not_pile_up() {
    let tmp = tempfile::tempdir().unwrap();
    // 200,000 first fragments of distinct datagrams, never completed.
    let packets: Vec<Vec<u8>> = (0..200_000u32)
        .map(|i| {
            common::ipv4_frame(
                (i % 65_536) as u16,
                0x2000,
                17 + (i / 65_536) as u8,
                &[0u8; 64],
            )
        })
        .collect();
    fs::write(tmp.path().join("frags.pcap"), common::pcap_file(&packets)).unwrap();
    let out = run_limited(&["pcap", "--format", "json", "frags.pcap"], tmp.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("IP fragments were dropped"), "{err}");
}

#[test]
fn damage_inside_a_capture_is_an_error_not_truncation() {
    let tmp = tempfile::tempdir().unwrap();
    let packets: Vec<Vec<u8>> = (0..5).map(|i| common::udp_frame(1000 + i)).collect();
    let mut b = common::pcap_file(&packets);
    // The second record's captured length made absurd.
    let second = 24 + 16 + packets[0].len();
    b[second + 8..second + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    fs::write(tmp.path().join("bad.pcap"), &b).unwrap();
    let out = run_limited(&["pcap", "bad.pcap"], tmp.path());
    fails_with(
        &out,
        &format!("packet record 2 has a bad captured length (2147483647 bytes) at byte {second}"),
    );
    // A short last record is truncation: a warning, the rest analysed.
    let mut cut = common::pcap_file(&packets);
    cut.truncate(cut.len() - 3);
    fs::write(tmp.path().join("cut.pcap"), &cut).unwrap();
    let out = run_limited(&["pcap", "--format", "json", "cut.pcap"], tmp.path());
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["packets"], 4);
}

#[test]
fn unknown_pcapng_blocks_are_skipped_by_their_length() {
    let tmp = tempfile::tempdir().unwrap();
    let block = |kind: u32, body: &[u8]| {
        let len = (12 + body.len()) as u32;
        let mut b = Vec::new();
        b.extend(kind.to_le_bytes());
        b.extend(len.to_le_bytes());
        b.extend(body);
        b.extend(len.to_le_bytes());
        b
    };
    let mut shb = Vec::new();
    shb.extend(0x1a2b3c4du32.to_le_bytes());
    shb.extend(1u16.to_le_bytes());
    shb.extend(0u16.to_le_bytes());
    shb.extend((-1i64).to_le_bytes());
    let mut idb = Vec::new();
    idb.extend(1u16.to_le_bytes());
    idb.extend(0u16.to_le_bytes());
    idb.extend(65535u32.to_le_bytes());
    let epb = |frame: &[u8]| {
        let mut b = Vec::new();
        b.extend(0u32.to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        b.extend((frame.len() as u32).to_le_bytes());
        b.extend((frame.len() as u32).to_le_bytes());
        b.extend(frame);
        while b.len() % 4 != 0 {
            b.push(0);
        }
        b
    };
    let mut file = block(0x0a0d0d0a, &shb);
    file.extend(block(1, &idb));
    file.extend(block(6, &epb(&common::udp_frame(1))));
    file.extend(block(0x0000_0bad, &[])); // an empty custom block
    file.extend(block(0x4242_4242, &[1, 2, 3, 4])); // a type nobody knows
    file.extend(block(6, &epb(&common::udp_frame(2))));
    fs::write(tmp.path().join("x.pcapng"), &file).unwrap();
    let out = run_limited(&["pcap", "--format", "json", "x.pcapng"], tmp.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["packets"], 2);
    // An impossible block length is damage.
    let mut bad = file.clone();
    // The last block: its 12 bytes of framing and its body.
    let at = bad.len() - 12 - epb(&common::udp_frame(2)).len();
    bad[at + 4..at + 8].copy_from_slice(&7u32.to_le_bytes());
    fs::write(tmp.path().join("bad.pcapng"), &bad).unwrap();
    let out = run_limited(&["pcap", "bad.pcapng"], tmp.path());
    fails_with(&out, "impossible length");
}

#[test]
fn a_capture_without_records_has_nothing_to_score() {
    let tmp = tempfile::tempdir().unwrap();
    // Only an IP fragment: no connection record.
    let frame = common::ipv4_frame(7, 0x2000, 17, &[0u8; 16]);
    fs::write(tmp.path().join("f.pcap"), common::pcap_file(&[frame])).unwrap();
    fitted(tmp.path(), "zscore");
    let out = run_limited(
        &[
            "pcap",
            "-q",
            "f.pcap",
            "--report",
            "r",
            "--model",
            "zscore.json",
        ],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = fs::read_to_string(tmp.path().join("r/index.html")).unwrap();
    assert!(page.contains("nothing to score"));
}

#[test]
fn control_characters_never_break_the_svgs() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(fixture_path("report_test.txt")).unwrap();
    let evil = text.replacen(",normal,", ",nor\u{1b}[31mmal\u{7},", 3);
    fs::write(tmp.path().join("evil.txt"), evil).unwrap();
    let out = run_limited(
        &[
            "report",
            "-q",
            "--no-detectors",
            "--train",
            fixture_path("report_train.txt").to_str().unwrap(),
            "--test",
            "evil.txt",
            "-o",
            "r",
        ],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for e in fs::read_dir(tmp.path().join("r/plots")).unwrap() {
        let svg = fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(
            !svg.chars()
                .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')),
            "a control character in an SVG"
        );
    }
}

#[test]
fn blank_lines_of_any_length_are_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from_utf8(tiny()).unwrap();
    text.push_str(&" ".repeat(500));
    text.push('\n');
    text.push_str("\t \t\n");
    fs::write(tmp.path().join("b.txt"), text).unwrap();
    let out = run_limited(&["describe", "--format", "json", "b.txt"], tmp.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][0]["rows"], 4);
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(snapshot(&p));
        } else {
            out.push((p.clone(), fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn outputs_never_replace_inputs_devices_or_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let frame = common::udp_frame(9);
    fs::write(d.join("c.pcap"), common::pcap_file(&[frame])).unwrap();
    fitted(d, "zscore");
    fs::create_dir(d.join("dir")).unwrap();
    fs::copy(d.join("zscore.json"), d.join("dir/model.json")).unwrap();
    fs::write(d.join("dir/conns.csv"), "mine").unwrap();
    let before = snapshot(d);
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "pcap",
            "c.pcap",
            "--report",
            "dir",
            "--model",
            "dir/model.json",
            "--force",
        ],
        vec![
            "pcap",
            "c.pcap",
            "--report",
            "r2",
            "--model",
            "zscore.json",
            "-o",
            "zscore.json",
            "--force",
        ],
        vec![
            "pcap",
            "c.pcap",
            "-o",
            "dir/conns.csv",
            "--report",
            "dir",
            "--force",
        ],
        vec!["pcap", "c.pcap", "-o", "/dev/null", "--force"],
        vec![
            "clean",
            "c.csv",
            "-o",
            "out.csv",
            "--quarantine",
            "./out.csv",
        ],
        vec![
            "fit",
            "--detectors",
            "zscore",
            "--train",
            "zscore.json",
            "-o",
            "./zscore.json",
            "--force",
        ],
    ];
    fs::write(d.join("c.csv"), tiny()).unwrap();
    let before_csv = snapshot(d);
    for args in &cases {
        let out = run_limited(args, d);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(snapshot(d), before_csv);
    assert!(before.len() + 1 == before_csv.len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        assert!(
            fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }
}

#[test]
fn an_interrupted_clean_leaves_no_temporary_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // About 60 MB of records, so that the run is still writing when interrupted.
    let rows = String::from_utf8(tiny()).unwrap().repeat(120_000);
    fs::write(d.join("big.txt"), rows).unwrap();
    fs::write(d.join("out.csv"), "the previous output").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kddstat"))
        .args(["clean", "-q", "big.txt", "-o", "out.csv", "--force"])
        .current_dir(d)
        .spawn()
        .unwrap();
    // Interrupt it while it writes: as soon as its temporary file appears.
    let writing = || {
        fs::read_dir(d).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".kddstat-")
        })
    };
    while !writing() && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let names: Vec<String> = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".kddstat-")),
        "a temporary file was left: {names:?}"
    );
    let out = fs::read(d.join("out.csv")).unwrap();
    if status.success() {
        // It finished before the signal: the output is whole.
        assert_eq!(
            out.len(),
            fs::metadata(d.join("big.txt")).unwrap().len() as usize
        );
    } else {
        assert_eq!(status.code(), Some(130));
        assert_eq!(out, b"the previous output");
    }
}
