//! The k-means detector: distance to the nearest centroid of normal traffic.
//!
//! linfa-clustering's k-means (k-means++ initialisation, Lloyd iterations until the centroids move
//! less than the tolerance) on the standardised encoding of the fitting rows, seeded with
//! `Xoshiro256Plus::seed_from_u64(seed)`; with `n_init` > 1 the run of lowest inertia is kept. The
//! score of a record is its Euclidean distance to the nearest centroid.

use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::{Array2, ArrayView1, Axis};
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A fitted k-means detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansDetector {
    /// Number of clusters.
    pub k: usize,
    /// Seed of the random generator.
    pub seed: u64,
    /// Independent initialisations tried.
    pub n_init: usize,
    /// Centroids, row-major, `k` rows of the encoding's width.
    pub centroids: Vec<Vec<f64>>,
}

impl KMeansDetector {
    /// Fits on the encoded fitting rows.
    pub fn fit(x: &Array2<f64>, k: usize, seed: u64, n_init: usize) -> Result<KMeansDetector> {
        if k == 0 || k > x.nrows() {
            return Err(Error::Usage(format!(
                "--k {k} must be between 1 and the number of fitting rows ({})",
                x.nrows()
            )));
        }
        let rng = Xoshiro256Plus::seed_from_u64(seed);
        let data = DatasetBase::from(x.view());
        let model = KMeans::params_with_rng(k, rng)
            .n_runs(n_init.max(1))
            .max_n_iterations(300)
            .tolerance(1e-4)
            .fit(&data)
            .map_err(|e| Error::Internal(format!("k-means: {e}")))?;
        let centroids = model
            .centroids()
            .axis_iter(Axis(0))
            .map(|r| r.to_vec())
            .collect();
        Ok(KMeansDetector {
            k,
            seed,
            n_init,
            centroids,
        })
    }

    /// The index of the nearest centroid and the squared distance to it.
    pub fn nearest(&self, row: ArrayView1<'_, f64>) -> (usize, f64) {
        let mut best = (0, f64::INFINITY);
        for (i, c) in self.centroids.iter().enumerate() {
            let d: f64 = row.iter().zip(c).map(|(a, b)| (a - b) * (a - b)).sum();
            if d < best.1 {
                best = (i, d);
            }
        }
        best
    }

    /// Distance of each row to its nearest centroid.
    pub fn score(&self, x: &Array2<f64>) -> Result<Vec<f64>> {
        if self.centroids.iter().any(|c| c.len() != x.ncols()) {
            return Err(Error::Usage(
                "the model's centroids do not match its encoder (was the file edited?)".into(),
            ));
        }
        let rows: Vec<ArrayView1<'_, f64>> = x.axis_iter(Axis(0)).collect();
        Ok(rows
            .par_iter()
            .map(|r| self.nearest(r.view()).1.sqrt())
            .collect())
    }
}
