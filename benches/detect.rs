//! Speed of fitting the detectors on the 67,343 normal rows of KDDTrain+ (found through
//! `KDDSTAT_DATA`), to compare with scikit-learn's `KMeans(8, n_init=1)` (0.47 s here),
//! `GaussianMixture(8, covariance_type="diag")` (4.4 s) and `IsolationForest(100)` (0.27 s).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use kddstat::detect::encode::Encoder;
use kddstat::detect::gmm::{Covariance, Gmm};
use kddstat::detect::iforest::IsolationForest;
use kddstat::detect::kmeans::KMeansDetector;
use kddstat::detect::{fit_rows, zscore};
use kddstat::load::load_path;

fn benches(c: &mut Criterion) {
    let Some(train) = std::env::var_os("KDDSTAT_DATA")
        .map(|d| PathBuf::from(d).join("KDDTrain+.txt"))
        .filter(|p| p.is_file())
    else {
        eprintln!("SKIPPED: set KDDSTAT_DATA to the NSL-KDD folder to run the benches");
        return;
    };
    let ds = load_path(&train).expect("load KDDTrain+");
    let rows = fit_rows(&ds, false).expect("normal rows");
    let enc = Encoder::fit(&ds, &rows).expect("encoder");
    let all = enc.transform(&ds).expect("encode");
    let keep: Vec<usize> = (0..rows.len()).filter(|&i| rows[i]).collect();
    let x = all.select(ndarray::Axis(0), &keep);
    let mut g = c.benchmark_group("fit on KDDTrain+ normal rows");
    g.sample_size(10);
    g.bench_function("encode (fit + transform)", |b| {
        b.iter(|| Encoder::fit_transform(black_box(&ds), &rows))
    });
    g.bench_function("zscore", |b| {
        b.iter(|| zscore::ZScore::fit(black_box(&ds), &rows, zscore::Aggregate::Mean, false))
    });
    g.bench_function("kmeans k=8", |b| {
        b.iter(|| KMeansDetector::fit(black_box(&x), 8, 42, 1).expect("kmeans"))
    });
    g.bench_function("iforest 100 trees", |b| {
        b.iter(|| IsolationForest::fit(black_box(&x), 100, 256, 42).expect("iforest"))
    });
    g.bench_function("gmm 8 diagonal", |b| {
        b.iter(|| {
            Gmm::fit(
                black_box(&x),
                8,
                42,
                Covariance::Diag,
                kddstat::detect::gmm::REG_COVAR,
            )
            .expect("gmm")
        })
    });
    g.finish();
}

criterion_group!(detect, benches);
criterion_main!(detect);
