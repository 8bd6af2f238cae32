//! Speed of the cleaning and statistics stages on the real NSL-KDD files (found through
//! `KDDSTAT_DATA`): `inspect` (duplicates, conflicts), `stats` and `compare`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use kddstat::clean::inspect;
use kddstat::load::load_path;
use kddstat::stats::analysis::{StatsOptions, analyse};
use kddstat::stats::drift::compare;

fn data(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os("KDDSTAT_DATA")?).join(name);
    path.is_file().then_some(path)
}

fn benches(c: &mut Criterion) {
    let (Some(train), Some(test)) = (data("KDDTrain+.txt"), data("KDDTest+.txt")) else {
        eprintln!("SKIPPED: set KDDSTAT_DATA to the NSL-KDD folder to run the benches");
        return;
    };
    let train = load_path(&train).expect("load KDDTrain+");
    let test = load_path(&test).expect("load KDDTest+");
    let mut g = c.benchmark_group("KDDTrain+");
    g.sample_size(20);
    g.bench_function("inspect (duplicates, conflicts, constants)", |b| {
        b.iter(|| inspect(black_box(&train)).expect("inspect"))
    });
    g.bench_function("stats", |b| {
        b.iter(|| analyse(black_box(&train), &StatsOptions::default()).expect("stats"))
    });
    g.bench_function("compare with KDDTest+", |b| {
        b.iter(|| compare(black_box(&train), black_box(&test)).expect("compare"))
    });
    g.finish();
}

criterion_group!(analysis, benches);
criterion_main!(analysis);
