//! The contributor example of `docs/models.md` ("Adding a detector"): a detector is a parameter
//! struct ([`Hyperparams`]: defaults, one check, a label) and a fitted state ([`Detect`]: fit,
//! score, check a state read from a file). This one scores a record by how far one feature lies
//! from its median on the normal rows. `cargo test` compiles it, so the example stays true.
//!
//!     cargo run --example custom_detector -- datasets/KDDTest+.txt
//!
//! Inside kddstat it would be `src/detect/distance.rs` (`pub mod distance;`) plus one line of the
//! `detectors!` list (`Distance = "distance": distance::Distance,`); its parameter is then set
//! with `--param feature=dst_bytes`, with no code in the command layer.

use kddstat::error::Result;
use kddstat::model::encode::Transform;
use kddstat::model::{self, Detect, FitData, Hyperparams, ScoreData};
use kddstat::schema;
use serde::{Deserialize, Serialize};

/// The detector's parameters, saved in its model files as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DistanceParams {
    /// The numeric feature to measure.
    pub feature: String,
}

impl Default for DistanceParams {
    fn default() -> Self {
        DistanceParams {
            feature: "src_bytes".into(),
        }
    }
}

impl Hyperparams for DistanceParams {
    fn check(&self) -> Result<()> {
        match schema::feature(&self.feature) {
            Some(f) if f.kind != schema::Kind::Categorical => Ok(()),
            _ => model::invalid("feature", &self.feature, "a numeric feature"),
        }
    }

    fn label(&self) -> String {
        format!("distance ({})", self.feature)
    }
}

/// The fitted state: the feature's median on the fitting rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distance {
    feature: String,
    median: f64,
}

impl Detect for Distance {
    type Params = DistanceParams;

    fn encoding(_params: &DistanceParams) -> Option<Transform> {
        None // it reads the raw values
    }

    fn fit(params: &DistanceParams, data: &FitData<'_>) -> Result<Distance> {
        params.check()?;
        let mut values: Vec<f64> = data
            .ds
            .f64_values(&params.feature)?
            .into_iter()
            .zip(data.rows)
            .filter(|(_, fit)| **fit)
            .map(|(v, _)| v)
            .collect();
        values.sort_by(f64::total_cmp);
        let median = values.get(values.len() / 2).copied().unwrap_or(0.0);
        Ok(Distance {
            feature: params.feature.clone(),
            median,
        })
    }

    fn score(&self, data: &ScoreData<'_>) -> Result<Vec<f64>> {
        let values = data.ds.f64_values(&self.feature)?;
        Ok(values.iter().map(|v| (v - self.median).abs()).collect())
    }

    fn check(&self, _width: Option<usize>) -> std::result::Result<(), String> {
        if self.median.is_finite() {
            Ok(())
        } else {
            Err("the median is not a finite number".into())
        }
    }
}

fn main() -> Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/fixtures/report_train.txt".into());
    let ds = kddstat::load::load_path(&path)?;
    let normal: Vec<bool> = ds
        .str_values(schema::CATEGORY)?
        .map(|c| c == schema::Category::Normal.as_str())
        .collect();
    let params = DistanceParams::default();
    let data = FitData {
        ds: &ds,
        rows: &normal,
        fit: None,
        all: None,
        seed: 42,
    };
    let fitted = Distance::fit(&params, &data)?;
    let scores = fitted.score(&data.scoring())?;
    let largest = scores.iter().copied().fold(0.0, f64::max);
    println!(
        "{}: {} rows scored, the largest distance {largest}",
        params.label(),
        scores.len()
    );
    Ok(())
}
