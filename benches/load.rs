//! Speed of the loader and of `describe` on the real NSL-KDD files (found through `KDDSTAT_DATA`).
//!
//! `cargo bench --bench load`; the README's table records the medians measured on the project
//! machine. Whole-process times are measured with hyperfine (README, "Speed").

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use kddstat::load::{load_path, parse_bytes};
use kddstat::stats::{DescribeOptions, GroupBy, describe};

fn data(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os("KDDSTAT_DATA")?).join(name);
    path.is_file().then_some(path)
}

fn benches(c: &mut Criterion) {
    let Some(train) = data("KDDTrain+.txt") else {
        eprintln!("SKIPPED: set KDDSTAT_DATA to the NSL-KDD folder to run the benches");
        return;
    };
    let bytes = std::fs::read(&train).expect("read KDDTrain+.txt");
    let mut g = c.benchmark_group("KDDTrain+");
    g.sample_size(30);
    g.bench_function("parse (in memory)", |b| {
        b.iter(|| parse_bytes("KDDTrain+.txt".into(), black_box(&bytes)).expect("parse"))
    });
    g.bench_function("load (read + parse)", |b| {
        b.iter(|| load_path(black_box(&train)).expect("load"))
    });
    let ds = load_path(&train).expect("load");
    g.bench_function("describe", |b| {
        b.iter(|| describe(black_box(&ds), &DescribeOptions::default()).expect("describe"))
    });
    let by = DescribeOptions {
        columns: None,
        by: Some(GroupBy::Category),
        max_distinct: None,
    };
    g.bench_function("describe --by category", |b| {
        b.iter(|| describe(black_box(&ds), &by).expect("describe"))
    });
    g.finish();
    if let Some(k99) = std::env::var_os("KDDSTAT_DATA")
        .map(PathBuf::from)
        .and_then(|d| Some(d.parent()?.join("kddcup99-10percent.zip")))
        .filter(|p| p.is_file())
    {
        let mut g = c.benchmark_group("kddcup99-10percent.zip");
        g.sample_size(10);
        g.bench_function("load + describe", |b| {
            b.iter(|| {
                let ds = load_path(&k99).expect("load");
                describe(&ds, &DescribeOptions::default()).expect("describe")
            })
        });
        g.finish();
    }
}

criterion_group!(load, benches);
criterion_main!(load);
