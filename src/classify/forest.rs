//! A random forest (as scikit-learn's `RandomForestClassifier`): trees grown on bootstrap samples
//! (a Poisson-free multinomial draw of as many rows as the data holds, kept as a weight per row),
//! each split choosing among a random subset of the features (`max_features`, the square root of
//! the columns by default), probabilities averaged over the trees.
//!
//! Tree `i` draws everything from its own generator seeded with `seed + i` (through SplitMix64), so
//! the forest is the same bytes whatever the number of threads that grow it.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::tree::{Binned, Criterion, Growth, Tree};
use crate::model::{self, Classify, Hyperparams, Labelled};

/// A fitted forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    /// The trees.
    pub trees: Vec<Tree>,
}

/// SplitMix64: independent seeds for the trees.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Forest {
    /// Grows `trees` trees.
    pub fn grow(
        data: &Binned,
        y: &[u16],
        classes: usize,
        trees: usize,
        criterion: Criterion,
        max_features: usize,
        seed: u64,
    ) -> Forest {
        let n = y.len();
        let trees = (0..trees)
            .into_par_iter()
            .map(|i| {
                let s = mix(seed.wrapping_add(i as u64));
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(s);
                let mut weight = vec![0.0f64; n];
                for _ in 0..n {
                    weight[rng.gen_range(0..n)] += 1.0;
                }
                Tree::grow(
                    data,
                    y,
                    classes,
                    &weight,
                    &Growth {
                        criterion,
                        max_features: Some(max_features),
                        min_samples_split: 2.0,
                        seed: mix(s),
                    },
                )
            })
            .collect();
        Forest { trees }
    }

    /// The mean of the trees' class probabilities for one row.
    pub fn proba(&self, row: &[f64], classes: usize, out: &mut [f64]) {
        out[..classes].iter_mut().for_each(|v| *v = 0.0);
        for t in &self.trees {
            for (o, p) in out.iter_mut().zip(t.leaf(row)) {
                *o += f64::from(*p);
            }
        }
        let k = self.trees.len().max(1) as f64;
        out[..classes].iter_mut().for_each(|v| *v /= k);
    }
}

/// The random forest's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Trees.
    pub trees: usize,
    /// Split criterion.
    pub criterion: Criterion,
    /// Features tried per split (the square root of the columns when absent).
    pub max_features: Option<usize>,
    /// Seed of the bootstrap and feature draws.
    pub seed: u64,
}

/// The most trees.
pub const MAX_TREES: usize = 10_000;

impl Default for Params {
    /// scikit-learn's defaults: 100 trees, Gini, the square root of the columns.
    fn default() -> Self {
        Params {
            trees: 100,
            criterion: Criterion::Gini,
            max_features: None,
            seed: 42,
        }
    }
}

impl Hyperparams for Params {
    fn check(&self) -> crate::Result<()> {
        model::within("trees", self.trees, 1, MAX_TREES)?;
        match self.max_features {
            Some(0) => model::invalid("max_features", 0, "at least 1"),
            _ => Ok(()),
        }
    }

    fn label(&self) -> String {
        format!("forest ({} trees)", self.trees)
    }

    fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }
}

impl Classify for Forest {
    type Params = Params;

    fn fit(p: &Params, data: &Labelled<'_>) -> crate::Result<Forest> {
        let binned = Binned::new(data.x);
        let m = p
            .max_features
            .unwrap_or(((data.x.ncols() as f64).sqrt() as usize).max(1));
        Ok(Forest::grow(
            &binned,
            data.y,
            data.classes,
            p.trees,
            p.criterion,
            m,
            p.seed,
        ))
    }

    fn proba(&self, row: &[f64], out: &mut [f64]) {
        Forest::proba(self, row, out.len(), out);
    }

    /// The mean over the trees of their decision paths' parts (tests of each column on the
    /// record's path).
    fn explain(&self, row: &[f64], _class: usize, out: &mut [f64]) {
        let w = 1.0 / self.trees.len().max(1) as f64;
        for t in &self.trees {
            t.path(row, w, out);
        }
    }

    fn check(&self, width: usize, classes: usize) -> std::result::Result<(), String> {
        if self.trees.is_empty() {
            return Err("its forest has no tree".into());
        }
        self.trees.iter().try_for_each(|t| t.check(width, classes))
    }
}
