//! The ensemble: several detectors fitted on the same rows, each member's score turned into its
//! share of the fitting scores at or below it (an empirical CDF kept as 1,001 quantiles), and the
//! shares averaged. Rank normalisation puts members of different scales on one: a record is as
//! anomalous as its average percentile among normal traffic.
//!
//! A GMM fitted with `seeds > 1` is an ensemble of mixtures of consecutive seeds, built the same
//! way ([`Member::of`]).

use serde::{Deserialize, Serialize};

use super::{DetectorName, ECDF_POINTS, Fitted, Params as AnyParams, ecdf, quantiles_of};
use crate::detect::encode::Transform;
use crate::error::Result;
use crate::model::explain::Contributions;
use crate::model::{self, Detect, FitData, Hyperparams, ScoreData};

/// The ensemble's parameters: its members' own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Params {
    /// The members, each with its parameters.
    pub members: Vec<AnyParams>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            members: [
                DetectorName::Zscore,
                DetectorName::Kmeans,
                DetectorName::Gmm,
                DetectorName::Iforest,
            ]
            .iter()
            .map(|d| d.defaults())
            .collect(),
        }
    }
}

/// Reads the members as parameter objects or, in models saved before each member kept its own,
/// as names whose parameters are the model's flat ones beside them.
impl<'de> Deserialize<'de> for Params {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let whole = serde_json::Value::deserialize(d)?;
        let list = whole
            .get("members")
            .and_then(|m| m.as_array())
            .ok_or_else(|| D::Error::missing_field("members"))?;
        let mut members = Vec::with_capacity(list.len());
        for m in list {
            let member = match m {
                serde_json::Value::String(name) => {
                    let mut flat = whole.clone();
                    if let Some(o) = flat.as_object_mut() {
                        o.remove("members");
                        o.insert("detector".into(), name.clone().into());
                        // Such members were never seed ensembles.
                        o.insert("seeds".into(), 1.into());
                    }
                    serde_json::from_value::<AnyParams>(flat).map_err(D::Error::custom)?
                }
                other => {
                    serde_json::from_value::<AnyParams>(other.clone()).map_err(D::Error::custom)?
                }
            };
            members.push(member);
        }
        Ok(Params { members })
    }
}

impl Hyperparams for Params {
    fn check(&self) -> Result<()> {
        if self.members.is_empty() {
            return model::invalid("members", "(none)", "at least one detector");
        }
        let mut transform: Option<Transform> = None;
        for m in &self.members {
            if m.name() == DetectorName::Ensemble {
                return model::invalid("members", "ensemble", "detectors other than ensemble");
            }
            if m.seeds() > 1 {
                return model::invalid(
                    "seeds",
                    m.seeds(),
                    "1 for an ensemble member (fit a seed ensemble on its own)",
                );
            }
            m.check()?;
            match (transform, m.encoding()) {
                (Some(t), Some(u)) if t != u => {
                    return model::invalid(
                        "transform",
                        format!("{t:?} and {u:?}").to_lowercase(),
                        "one transform for every member (they share one encoding)",
                    );
                }
                (None, u) => transform = u,
                _ => {}
            }
        }
        Ok(())
    }

    fn label(&self) -> String {
        let names: Vec<&str> = self.members.iter().map(|m| m.name().as_str()).collect();
        format!("ensemble ({})", names.join("+"))
    }
}

/// A fitted ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ensemble {
    /// The members.
    pub members: Vec<Member>,
}

/// A member of an ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// Its state.
    pub detector: Box<Fitted>,
    /// Quantiles 0, 0.001, ..., 1 of its scores on the fitting rows.
    pub quantiles: Vec<f64>,
}

impl Member {
    /// A fitted detector as a member: its scores on the fitting rows give its quantiles.
    pub fn of(detector: Fitted, data: &FitData<'_>) -> Result<Member> {
        let scores = data.fit_scores(detector.score(&data.scoring())?);
        Ok(Member {
            detector: Box::new(detector),
            quantiles: quantiles_of(&scores, ECDF_POINTS),
        })
    }
}

impl Detect for Ensemble {
    type Params = Params;

    fn encoding(p: &Params) -> Option<Transform> {
        p.members.iter().find_map(AnyParams::encoding)
    }

    fn fit(p: &Params, data: &FitData<'_>) -> Result<Ensemble> {
        let members = p
            .members
            .iter()
            .map(|m| Member::of(m.fit(data)?, data))
            .collect::<Result<Vec<_>>>()?;
        Ok(Ensemble { members })
    }

    fn score(&self, data: &ScoreData<'_>) -> Result<Vec<f64>> {
        let mut total = vec![0.0; data.ds.rows()];
        for m in &self.members {
            let scores = m.detector.score(data)?;
            for (t, s) in total.iter_mut().zip(scores) {
                *t += ecdf(&m.quantiles, s);
            }
        }
        let k = self.members.len().max(1) as f64;
        total.iter_mut().for_each(|t| *t /= k);
        Ok(total)
    }

    /// The reasons of the member whose rank-normalised score of the row is the highest (the
    /// member that finds it most unusual); the parts are that member's.
    fn explain(&self, data: &ScoreData<'_>, rows: &[usize]) -> Result<Vec<Contributions>> {
        // Every member scores and explains the rows once; each row takes its most surprised
        // member's parts.
        let mut best: Vec<(f64, usize)> = vec![(f64::NEG_INFINITY, usize::MAX); rows.len()];
        let mut parts = Vec::with_capacity(self.members.len());
        for (i, m) in self.members.iter().enumerate() {
            let scores = m.detector.score(data)?;
            for (b, &row) in best.iter_mut().zip(rows) {
                let rank = ecdf(&m.quantiles, scores.get(row).copied().unwrap_or(0.0));
                if b.1 == usize::MAX || rank > b.0 {
                    *b = (rank, i);
                }
            }
            parts.push(m.detector.explain(data, rows)?);
        }
        Ok(best
            .iter()
            .enumerate()
            .map(|(k, &(_, i))| {
                parts
                    .get(i)
                    .and_then(|p| p.get(k))
                    .cloned()
                    .unwrap_or(Contributions::None)
            })
            .collect())
    }

    fn check(&self, width: Option<usize>) -> std::result::Result<(), String> {
        if self.members.is_empty() {
            return Err("its ensemble has no members".into());
        }
        for m in &self.members {
            if matches!(*m.detector, Fitted::Ensemble(_)) {
                return Err("an ensemble holds another ensemble".into());
            }
            let q = &m.quantiles;
            if q.len() < 2 || q.iter().any(|v| !v.is_finite()) || q.windows(2).any(|p| p[0] > p[1])
            {
                return Err("an ensemble member's quantiles are not sorted numbers".into());
            }
            m.detector.check(width)?;
        }
        Ok(())
    }
}
