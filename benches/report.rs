//! Speed of the report stage on the real NSL-KDD files (found through `KDDSTAT_DATA`): building
//! the whole report of KDDTrain+ with KDDTest+ and KDDTest-21 (statistics, drift, the four default
//! detectors, every plot), with and without the detectors, and rendering the folder's files.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use kddstat::detect::{DetectorName, FitOptions};
use kddstat::load::load_path;
use kddstat::report::{self, Inputs, ReportOptions};

fn data(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os("KDDSTAT_DATA")?).join(name);
    path.is_file().then_some(path)
}

fn benches(c: &mut Criterion) {
    let names = ["KDDTrain+.txt", "KDDTest+.txt", "KDDTest-21.txt"];
    let Some(paths) = names.iter().map(|n| data(n)).collect::<Option<Vec<_>>>() else {
        eprintln!("SKIPPED: set KDDSTAT_DATA to the NSL-KDD folder to run the benches");
        return;
    };
    let train = load_path(&paths[0]).expect("load KDDTrain+");
    let tests = vec![
        load_path(&paths[1]).expect("load KDDTest+"),
        load_path(&paths[2]).expect("load KDDTest-21"),
    ];
    let detectors = [
        DetectorName::Zscore,
        DetectorName::Kmeans,
        DetectorName::Gmm,
        DetectorName::Iforest,
    ]
    .iter()
    .map(|&d| FitOptions::from(d))
    .collect();
    let full = ReportOptions {
        detectors,
        ..ReportOptions::default()
    };
    let no_progress = |_| {};
    let mut g = c.benchmark_group("report");
    g.sample_size(10);
    g.bench_function("without detectors", |b| {
        b.iter(|| {
            let inputs = Inputs::from_frames(black_box(&train), "", &tests).expect("read");
            report::build(&inputs, &ReportOptions::default(), &no_progress).expect("report")
        })
    });
    g.bench_function("with the four detectors", |b| {
        b.iter(|| {
            let inputs = Inputs::from_frames(black_box(&train), "", &tests).expect("read");
            report::build(&inputs, &full, &no_progress).expect("report")
        })
    });
    let inputs = Inputs::from_frames(&train, "", &tests).expect("read");
    let built = report::build(&inputs, &full, &no_progress).expect("report");
    g.bench_function("render the folder's files", |b| {
        b.iter(|| black_box(&built).files().expect("files"))
    });
    g.finish();
}

criterion_group!(report_benches, benches);
criterion_main!(report_benches);
