//! A mutation fuzzer per reader, on the stable toolchain: data files, archives, model files and
//! captures. Each target starts from seeds (the fixtures, the head of the real NSL-KDD files, the
//! shared captures, a fitted model), mutates them with a seeded generator (bit flips, interesting
//! bytes, insertions, deletions, duplicated and spliced chunks, truncation) and runs the library's
//! reader on each input: it must return a value or an error, never panic.
//!
//! Each target runs for `KDDSTAT_FUZZ_SECONDS` (5 by default; CI uses the default) from the seed
//! `KDDSTAT_FUZZ_SEED` (a fixed one by default, so a failure reproduces). For hours:
//! `KDDSTAT_FUZZ_SECONDS=3600 KDDSTAT_FUZZ_SEED=$RANDOM cargo test --release --test fuzz -- --nocapture`.
//! An input that panics is saved under `target/fuzz-failures/` and named in the failure.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kddstat::capture::{self, CaptureOptions};
use kddstat::detect::{self, FitOptions, Model};
use kddstat::load::{self, source};

/// xorshift64*: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INTERESTING: [u8; 10] = [0, 0xff, 0x7f, 0x80, b',', b'\n', b'\r', b'-', b'9', b'.'];

/// One to four mutations of `input` (with `seeds` to splice from).
fn mutate(rng: &mut Rng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = v.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                v[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let i = rng.below(len + 1);
                v.insert(i, rng.next() as u8);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                v.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(256));
                let chunk = v[i..i + n].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, chunk);
            }
            5 if len > 0 => v.truncate(rng.below(len)),
            6 if !seeds.is_empty() => {
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let i = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - i).min(512));
                    let at = rng.below(v.len() + 1);
                    v.splice(at..at, other[i..i + n].iter().copied());
                }
            }
            _ if len >= 4 => {
                // A 32-bit length or count field set to an extreme.
                let i = rng.below(len - 3);
                let value: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, 65_536][rng.below(5)];
                v[i..i + 4].copy_from_slice(&value.to_le_bytes());
            }
            _ => {}
        }
    }
    v.truncate(1 << 20);
    v
}

fn seconds() -> Duration {
    Duration::from_secs_f64(
        std::env::var("KDDSTAT_FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5.0),
    )
}

fn seed() -> u64 {
    std::env::var("KDDSTAT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x006b_6464_7374_6174)
        | 1
}

/// Runs `target` on mutations of `seeds` for the time budget; a panic fails with the input saved.
fn fuzz(name: &str, seeds: &[Vec<u8>], target: impl Fn(&[u8])) -> u64 {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let mut rng = Rng(seed());
    let deadline = Instant::now() + seconds();
    let mut runs = 0u64;
    // The seeds themselves first.
    let mut queue: Vec<Vec<u8>> = seeds.to_vec();
    std::panic::set_hook(Box::new(|_| {}));
    while Instant::now() < deadline || runs < seeds.len() as u64 {
        let input = if let Some(s) = queue.pop() {
            s
        } else {
            let base = &seeds[rng.below(seeds.len())];
            mutate(&mut rng, base, seeds)
        };
        runs += 1;
        if catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
            let _ = std::panic::take_hook();
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!(
                "{name}-{}.bin",
                kddstat::output::sha256_hex(&input)
            ));
            std::fs::write(&path, &input).unwrap();
            panic!(
                "{name}: the input {} makes the reader panic",
                path.display()
            );
        }
    }
    let _ = std::panic::take_hook();
    eprintln!("fuzz {name}: {runs} inputs");
    runs
}

fn fixtures() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, b)| b).collect()
}

/// The first 64 KB of each real NSL-KDD file (cut at a line end), when the data is there.
fn real_heads() -> Vec<Vec<u8>> {
    let Some(dir) = common::data_dir(&["KDDTrain+.txt", "KDDTest+.txt"]) else {
        return Vec::new();
    };
    ["KDDTrain+.txt", "KDDTest+.txt"]
        .iter()
        .map(|n| {
            let b = std::fs::read(dir.join(n)).unwrap();
            let head = &b[..b.len().min(64 << 10)];
            let end = head.iter().rposition(|c| *c == b'\n').unwrap_or(head.len());
            head[..end + 1].to_vec()
        })
        .collect()
}

#[test]
fn fuzz_data_files() {
    let mut seeds = fixtures();
    seeds.extend(real_heads());
    let runs = fuzz("data", &seeds, |b| {
        let _ = load::parse_bytes("fuzz".into(), b);
    });
    assert!(runs > 100);
}

/// The chunked reader against the whole one: on every mutated input, both give the same
/// `describe` figures or both an error (which error may differ: the whole read checks all the
/// text's encoding before any line, the chunked one block by block), never a panic.
#[test]
fn fuzz_chunked_reads() {
    use kddstat::stats::describe::{DescribeOptions, DescribeState, describe};
    let mut seeds = fixtures();
    seeds.extend(real_heads());
    let options = DescribeOptions::default();
    let runs = fuzz("chunked", &seeds, |b| {
        let whole = load::parse_bytes("fuzz".into(), b)
            .and_then(|ds| describe(&ds, &options))
            .map(|s| serde_json::to_string(&s).unwrap());
        // Block sizes from 1 to 300 bytes, varying with the input.
        let size = 1 + (b.len() * 7 + b.first().map_or(0, |&x| x as usize)) % 300;
        let reader: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(b.to_vec()));
        let chunked = (|| -> kddstat::Result<String> {
            let mut state: Option<DescribeState> = None;
            let stream = load::stream::Stream::from_reader(
                "fuzz",
                reader,
                &load::LoadOptions::default(),
                size,
            )?;
            for chunk in stream {
                let chunk = chunk?;
                let st = match &mut state {
                    Some(s) => s,
                    None => state.insert(DescribeState::new(&chunk, &options)?),
                };
                st.update(&chunk)?;
            }
            let summary = state.map(|s| s.finish());
            Ok(serde_json::to_string(&summary.unwrap()).unwrap())
        })();
        match (&whole, &chunked) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "blocks of {size}"),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "whole: {:?}; in blocks of {size}: {:?}",
                whole.as_ref().map(|_| "ok").map_err(|e| e.to_string()),
                chunked.as_ref().map(|_| "ok").map_err(|e| e.to_string())
            ),
        }
    });
    assert!(runs > 100);
}

fn gzip(b: &[u8]) -> Vec<u8> {
    common::gzip(b)
}

#[test]
fn fuzz_archives() {
    let tiny = std::fs::read(common::fixture_path("tiny.txt")).unwrap();
    let seeds = vec![
        gzip(&tiny),
        common::zip_of(&[("a.txt", &tiny)]),
        common::zip_of(&[("a/b.txt", &tiny), ("c.txt", &tiny)]),
        common::zip_of(&[("x.gz", &gzip(&tiny))]),
        gzip(&common::zip_of(&[("a.txt", &tiny)])),
    ];
    let limits = source::Limits {
        max_decompressed: 64 << 20,
    };
    let runs = fuzz("archive", &seeds, |b| {
        if let Ok(raw) = source::read_bytes("fuzz", b.to_vec(), None, limits) {
            let _ = load::parse_bytes(raw.name, &raw.bytes);
        }
        let _ = source::read_bytes("fuzz", b.to_vec(), Some("a.txt"), limits);
    });
    assert!(runs > 100);
}

#[test]
fn fuzz_models() {
    let train = load::load_path(common::fixture_path("report_train.txt")).unwrap();
    let test = load::load_path(common::fixture_path("report_test.txt")).unwrap();
    let seeds: Vec<Vec<u8>> = ["zscore", "kmeans", "gmm", "iforest", "ensemble"]
        .iter()
        .map(|d| {
            // Small models: k, components and trees set wherever they apply (members too).
            fn small(v: &mut serde_json::Value) {
                if let Some(o) = v.as_object_mut() {
                    for (key, n) in [("k", 2), ("components", 2), ("trees", 5)] {
                        if let Some(x) = o.get_mut(key) {
                            *x = n.into();
                        }
                    }
                    if let Some(serde_json::Value::Array(ms)) = o.get_mut("members") {
                        ms.iter_mut().for_each(small);
                    }
                }
            }
            let name: detect::DetectorName = serde_json::from_value(serde_json::json!(d)).unwrap();
            let mut v = serde_json::to_value(FitOptions::from(name)).unwrap();
            small(&mut v);
            let o: FitOptions = serde_json::from_value(v).unwrap();
            serde_json::to_vec(&detect::fit(&train, "x".into(), &o).unwrap()).unwrap()
        })
        .collect();
    let runs = fuzz("model", &seeds, |b| {
        if let Ok(m) = Model::parse("fuzz.json", b) {
            let _ = m.score(&test);
        }
    });
    assert!(runs > 20);
}

#[test]
fn fuzz_classifiers() {
    use kddstat::classify::{Classifier, ClassifierName, Params, Target};
    let train = load::load_path(common::fixture_path("report_train.txt")).unwrap();
    let test = load::load_path(common::fixture_path("report_test.txt")).unwrap();
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    for name in [
        ClassifierName::Tree,
        ClassifierName::Forest,
        ClassifierName::Bayes,
        ClassifierName::Logistic,
    ] {
        let mut p = Params::default_for(name, 1);
        if let Params::Forest(f) = &mut p {
            f.trees = 3;
        }
        for target in [Target::Binary, Target::Category] {
            let c = Classifier::fit(&train, "x".into(), &p, target).unwrap();
            seeds.push(serde_json::to_vec(&c).unwrap());
        }
    }
    let runs = fuzz("classifier", &seeds, |b| {
        if let Ok(c) = Classifier::parse("fuzz.json", b) {
            let _ = c.proba(&test);
        }
    });
    assert!(runs > 20);
}

#[test]
fn fuzz_captures() {
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let dir = std::env::var_os("KDDSTAT_PCAPS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("KDDSTAT_DATA").map(|d| PathBuf::from(d).join("../../pcaps")));
    if let Some(dir) = dir.filter(|d| d.is_dir()) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension().is_some_and(|e| e == "pcap" || e == "pcapng")
                    && p.metadata().is_ok_and(|m| m.len() < 256 << 10)
            })
            .collect();
        files.sort();
        seeds.extend(files.iter().map(|p| std::fs::read(p).unwrap()));
    } else {
        common::missing(
            "the folder of public captures",
            "set KDDSTAT_PCAPS to ../shared/pcaps",
        );
    }
    // A hand-built pcap of one UDP packet, so there is always a seed.
    seeds.push(common::pcap_file(&[common::udp_frame(1234)]));
    let options = CaptureOptions {
        port_scan_threshold: 10,
        top: 5,
        timelines: true,
        // Small tables, so that fuzzed captures end connections early too.
        limits: capture::Limits {
            max_flows: 16,
            max_held: 8,
            ..Default::default()
        },
    };
    let runs = fuzz("capture", &seeds, |b| {
        if let Ok(a) = capture::analyse("fuzz.pcap", b, &options) {
            let _ = kddstat::report::capture::build(&a, None);
        }
    });
    assert!(runs > 20);
}

#[test]
fn fuzz_saved_states() {
    use kddstat::stats::describe::{self, DescribeOptions, DescribeState, GroupBy};
    let ds = load::load_path(common::fixture_path("report_test.txt")).unwrap();
    let seeds: Vec<Vec<u8>> = [None, Some(GroupBy::Category), Some(GroupBy::Label)]
        .into_iter()
        .map(|by| {
            let options = DescribeOptions {
                columns: None,
                by,
                max_distinct: None,
            };
            let mut state = DescribeState::new(&ds, &options).unwrap();
            state.update(&ds).unwrap();
            serde_json::to_vec(&state.save()).unwrap()
        })
        .collect();
    let runs = fuzz("state", &seeds, |b| {
        let Ok(saved) = describe::budget_parse(100_000, b) else {
            return;
        };
        if let Ok(mut state) = DescribeState::from_saved("fuzz.json", saved, 100_000) {
            let _ = state.finish();
            let again = state.clone();
            if state.merge(again).is_ok() {
                let _ = state.finish();
            }
        }
    });
    assert!(runs > 20);
}

#[test]
fn fuzz_parquet_files() {
    use polars::prelude::*;
    let ds = load::load_path(common::fixture_path("report_test.txt")).unwrap();
    let seeds: Vec<Vec<u8>> = [4usize, 64]
        .into_iter()
        .map(|group| {
            let mut frame = ds.frame.clone();
            let mut out = Vec::new();
            ParquetWriter::new(&mut out)
                .with_row_group_size(Some(group))
                .finish(&mut frame)
                .unwrap();
            out
        })
        .collect();
    let options = load::LoadOptions::default();
    let runs = fuzz("parquet", &seeds, |b| {
        let _ = load::parquet::read("fuzz.parquet".into(), b, &options);
    });
    assert!(runs > 20);
}
