//! The mergeable state of `evaluate` on one test file: [`ScoreCounts`].
//!
//! Every figure of [`super::figures`] depends only on the multiset of (label, score) pairs of the
//! test file's rows (the ranking metrics group tied scores; the spreads are quantiles of value
//! counts), so the state keeps, per label and per model, each distinct score with its rows. States
//! of parts of a test file (several machines, Spark's partitions) merge by adding the counts and
//! finish into the figures of the whole file, to the bit. Memory: about 24 bytes per distinct
//! (label, score) and model, at most the rows' scores.

use std::collections::BTreeMap;

use foldhash::HashMap;
use serde::{Deserialize, Serialize};

use super::{TestFigures, Truth, figures};
use crate::error::{Error, Result};
use crate::stats::Accumulator;

/// The format name of a saved evaluate state.
pub const STATE_FORMAT: &str = "kddstat-evaluate-state";
/// Its version.
pub const STATE_VERSION: u32 = 1;

/// The most rows a state may count: its figures are computed over the rows laid out again (12
/// bytes a row and model: 12 GB at the limit), so a state claiming more is refused.
pub const MAX_ROWS: u64 = 1_000_000_000;

/// A model as the state knows it: its digest and threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelKey {
    /// The first 32 hex digits of the SHA-256 of the model's JSON.
    pub digest: String,
    /// Scores above it are flagged.
    pub threshold: f64,
}

/// A chunk of scored rows: their truth and each model's scores of them.
#[derive(Debug, Clone)]
pub struct Scored {
    /// Labels and categories of the rows.
    pub truth: Truth,
    /// `scores[model][row]`.
    pub scores: Vec<Vec<f64>>,
}

#[derive(Debug, Clone, Default)]
struct LabelCounts {
    category: String,
    /// Per model: rows per score (by its bits, -0 counted as 0).
    scores: Vec<HashMap<u64, u64>>,
}

/// The scores of a test file's rows counted per label and model.
#[derive(Debug, Clone)]
pub struct ScoreCounts {
    test: String,
    models: Vec<ModelKey>,
    labels: BTreeMap<String, LabelCounts>,
}

/// One label's scores as saved: the label, its category, and per model `[score bits, rows]`
/// sorted by bits.
pub type SavedLabel = (String, String, Vec<Vec<(u64, u64)>>);

/// [`ScoreCounts`] as saved (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedScores {
    /// Always [`STATE_FORMAT`].
    pub format: String,
    /// [`STATE_VERSION`].
    pub format_version: u32,
    /// The test file's name.
    pub test: String,
    /// The models, in order.
    pub models: Vec<ModelKey>,
    /// Per label (sorted): its category and, per model, `[score bits, rows]` sorted by bits.
    pub labels: Vec<SavedLabel>,
}

impl ScoreCounts {
    /// An empty state of these models on the test file `test`.
    pub fn new(test: &str, models: Vec<ModelKey>) -> ScoreCounts {
        ScoreCounts {
            test: test.to_string(),
            models,
            labels: BTreeMap::new(),
        }
    }

    /// The models.
    pub fn models(&self) -> &[ModelKey] {
        &self.models
    }

    /// Rows counted (a checked state's rows add up within [`MAX_ROWS`]).
    pub fn rows(&self) -> u64 {
        self.labels
            .values()
            .flat_map(|l| l.scores.first().into_iter().flat_map(|s| s.values()))
            .fold(0u64, |t, n| t.saturating_add(*n))
    }

    /// Refuses a state of more than [`MAX_ROWS`] rows.
    fn check_rows(&self, extra: u64) -> Result<()> {
        let rows = self.rows().saturating_add(extra);
        if rows > MAX_ROWS {
            return Err(Error::Limit {
                path: self.test.clone(),
                message: format!(
                    "the scores of {rows} rows are past the {MAX_ROWS} an evaluate state may \
                     hold (its figures lay them out again in memory)"
                ),
            });
        }
        Ok(())
    }

    /// A saved state read back (`shown` names it), checked.
    pub fn from_saved(shown: &str, s: SavedScores) -> Result<ScoreCounts> {
        let bad = |message: String| Error::Model {
            path: shown.to_string(),
            message,
        };
        if s.format != STATE_FORMAT || s.format_version != STATE_VERSION {
            return Err(bad(format!(
                "not an evaluate state of version {STATE_VERSION} (format '{}', version {})",
                s.format, s.format_version
            )));
        }
        let mut state = ScoreCounts::new(&s.test, s.models);
        let mut last: Option<&str> = None;
        let mut total: u64 = 0;
        for (label, category, per_model) in &s.labels {
            if last.is_some_and(|l| l >= label.as_str()) {
                return Err(bad("labels are not sorted, or one is listed twice".into()));
            }
            last = Some(label);
            if crate::schema::category_of(label).as_str() != category {
                return Err(bad(format!(
                    "the label '{label}' is not of category '{category}'"
                )));
            }
            if per_model.len() != state.models.len() {
                return Err(bad(format!(
                    "the label '{label}' has scores of other models"
                )));
            }
            let mut rows = None;
            let mut scores = Vec::with_capacity(per_model.len());
            for counts in per_model {
                let sorted = counts.windows(2).all(|w| w[0].0 < w[1].0);
                let n = counts.iter().try_fold(0u64, |a, (_, c)| {
                    (*c > 0).then(|| a.checked_add(*c)).flatten()
                });
                match (sorted, n) {
                    (true, Some(n)) if rows.is_none_or(|r| r == n) && n > 0 => rows = Some(n),
                    _ => {
                        return Err(bad(format!(
                            "the scores of '{label}' are not sorted, hold a count of 0, or count \
                             other rows for another model"
                        )));
                    }
                }
                scores.push(counts.iter().copied().collect());
            }
            total = total.saturating_add(rows.unwrap_or(0));
            if total > MAX_ROWS {
                return Err(Error::Limit {
                    path: shown.to_string(),
                    message: format!(
                        "the state counts more than the {MAX_ROWS} rows an evaluate state may \
                         hold (its figures lay them out again in memory)"
                    ),
                });
            }
            state.labels.insert(
                label.clone(),
                LabelCounts {
                    category: category.clone(),
                    scores,
                },
            );
        }
        Ok(state)
    }
}

impl Accumulator for ScoreCounts {
    type Batch = Scored;
    type Figures = Vec<TestFigures>;
    type Saved = SavedScores;

    fn update(&mut self, batch: &Scored) -> Result<()> {
        if batch.scores.len() != self.models.len() {
            return Err(Error::Internal("scores of another number of models".into()));
        }
        self.check_rows(batch.truth.rows() as u64)?;
        let n = self.models.len();
        let rows: Vec<(&str, &str)> = batch.truth.labels().zip(batch.truth.categories()).collect();
        for (m, scores) in batch.scores.iter().enumerate() {
            for ((label, category), &s) in rows.iter().zip(scores) {
                let entry = match self.labels.get_mut(*label) {
                    Some(e) => e,
                    None => self.labels.entry(label.to_string()).or_insert(LabelCounts {
                        category: category.to_string(),
                        scores: vec![HashMap::default(); n],
                    }),
                };
                *entry.scores[m].entry((s + 0.0).to_bits()).or_insert(0) += 1;
            }
        }
        Ok(())
    }

    fn merge(&mut self, other: ScoreCounts) -> Result<()> {
        if other.models != self.models {
            return Err(Error::Model {
                path: other.test.clone(),
                message: format!("its scores are of other models than those of {}", self.test),
            });
        }
        // Both within MAX_ROWS: their sum, and every count's, stays far within 64 bits.
        self.check_rows(other.rows())?;
        for (label, counts) in other.labels {
            match self.labels.get_mut(&label) {
                Some(e) => {
                    for (a, b) in e.scores.iter_mut().zip(counts.scores) {
                        for (k, c) in b {
                            *a.entry(k).or_insert(0) += c;
                        }
                    }
                }
                None => {
                    self.labels.insert(label, counts);
                }
            }
        }
        Ok(())
    }

    /// The figures of each model, as [`figures`] of the rows in one canonical order (by label,
    /// then score).
    fn finish(&self) -> Result<Vec<TestFigures>> {
        let labels: Vec<(String, String)> = self
            .labels
            .iter()
            .map(|(l, c)| (l.clone(), c.category.clone()))
            .collect();
        (0..self.models.len())
            .map(|m| {
                let (mut codes, mut scores) = (Vec::new(), Vec::new());
                for (code, counts) in self.labels.values().enumerate() {
                    let mut pairs: Vec<(f64, u64)> = counts.scores[m]
                        .iter()
                        .map(|(bits, c)| (f64::from_bits(*bits), *c))
                        .collect();
                    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                    for (s, c) in pairs {
                        for _ in 0..c {
                            codes.push(code as u32);
                            scores.push(s);
                        }
                    }
                }
                let truth = Truth::from_rows(&self.test, labels.clone(), codes);
                figures(&truth, &scores, self.models[m].threshold)
            })
            .collect()
    }

    fn save(&self) -> SavedScores {
        SavedScores {
            format: STATE_FORMAT.into(),
            format_version: STATE_VERSION,
            test: self.test.clone(),
            models: self.models.clone(),
            labels: self
                .labels
                .iter()
                .map(|(l, c)| {
                    let per_model = c
                        .scores
                        .iter()
                        .map(|s| {
                            let mut v: Vec<(u64, u64)> = s.iter().map(|(k, n)| (*k, *n)).collect();
                            v.sort_unstable();
                            v
                        })
                        .collect();
                    (l.clone(), c.category.clone(), per_model)
                })
                .collect(),
        }
    }

    fn memory(&self) -> usize {
        self.labels
            .values()
            .flat_map(|l| l.scores.iter().map(|s| s.capacity() * 16 * 8 / 7))
            .sum()
    }
}
