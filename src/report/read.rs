//! What the report reads of its files, in chunks, so a training file of any size is read in
//! memory bounded by its distinct values: per file one pass ([`profile`]: the duplicates and
//! conflicts of `clean`, a describe state of every column grouped by category, the rows per
//! categorical value and category, the difficulty levels), and for the training file one more
//! (the products of `stats`). Detectors and classifiers are fitted on the training rows held in
//! memory: the file when it fits one block, else a seeded sample of it ([`Inputs::fit`]).

use foldhash::HashMap;

use super::FileOverview;
use crate::clean;
use crate::detect::Sampled;
use crate::error::{Error, Result};
use crate::load::rows::{HeldInput, Rows};
use crate::load::{self, Dataset};
use crate::schema::{self, Category};
use crate::stats::OrderedMap;
use crate::stats::analysis::{StatsOptions, StatsReport};
use crate::stats::describe::{DescribeOptions, DescribeState, GroupBy};
use crate::stats::state;

/// One file as the report keeps it.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Rows, duplicates, conflicts, categories, labels, difficulty levels.
    pub overview: FileOverview,
    /// Value counts of the features, the category and the label, grouped by category.
    pub state: DescribeState,
    /// Per categorical feature (schema order): rows per value and category (in
    /// [`Category::ALL`] order).
    pub by_category: Vec<HashMap<String, [u64; 6]>>,
    /// Warnings of the read (labels outside the schema).
    pub warnings: Vec<String>,
}

impl Profile {
    /// The rows per (value, category) of a categorical feature.
    pub fn categorical(&self, name: &str) -> Option<&HashMap<String, [u64; 6]>> {
        schema::categorical_features()
            .position(|f| f.name == name)
            .and_then(|i| self.by_category.get(i))
    }
}

/// Everything the report is built from.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The training file.
    pub train: Profile,
    /// `kddstat stats` of the training file.
    pub stats: StatsReport,
    /// The rows detectors and classifiers are fitted on: the training file, or a sample of it
    /// (`None` when the report fits no model).
    pub fit: Option<Dataset>,
    /// How `fit` was sampled, when it was.
    pub sampled: Option<Sampled>,
    /// SHA-256 of the training file's text (recorded in the models).
    pub sha256: String,
    /// The test files.
    pub tests: Vec<Profile>,
    /// The test files' rows, for the detectors and classifiers (empty without them).
    pub test_rows: Vec<HeldInput>,
    /// SHA-256 of each test file's text (to recognise the paper's files).
    pub test_sha256: Vec<String>,
}

impl Inputs {
    /// The inputs of files already in memory.
    pub fn from_frames(train: &Dataset, sha256: &str, tests: &[Dataset]) -> Result<Inputs> {
        let (train_profile, stats) = read_train(Rows::Frame(train))?;
        let profiles = tests
            .iter()
            .map(|t| profile(Rows::Frame(t)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Inputs {
            train: train_profile,
            stats,
            fit: Some(train.clone()),
            sampled: None,
            sha256: sha256.to_string(),
            tests: profiles,
            test_rows: tests
                .iter()
                .map(|t| HeldInput::Whole(t.clone(), String::new()))
                .collect(),
            test_sha256: Vec::new(),
        })
    }

    /// Labels of the training file.
    pub fn known_labels(&self) -> std::collections::BTreeSet<String> {
        self.train
            .overview
            .labels
            .iter()
            .map(|(l, _)| l.to_string())
            .collect()
    }
}

/// The training file's profile and statistics (two passes).
pub fn read_train(rows: Rows) -> Result<(Profile, StatsReport)> {
    let p = profile(rows)?;
    let findings = &p.overview.findings;
    let stats = state::analyse_described(
        &p.state,
        &|| rows.open(),
        &StatsOptions::default(),
        findings.duplicate_rows,
        findings.conflicting_rows,
    )?;
    Ok((p, stats))
}

/// What one chunk adds besides the cleaning stage's findings.
struct ProfileState {
    state: DescribeState,
    by_category: Vec<HashMap<String, [u64; 6]>>,
    difficulty: Option<Vec<u64>>,
}

impl ProfileState {
    fn new(first: &Dataset) -> Result<ProfileState> {
        if !first.layout.label {
            return Err(Error::Usage(format!(
                "{}: has no labels, and a report needs them",
                first.name
            )));
        }
        first.require_all_features("report")?;
        let mut columns = state::described_columns();
        columns.push(schema::LABEL.to_string());
        let state = DescribeState::new(
            first,
            &DescribeOptions {
                columns: Some(columns),
                by: Some(GroupBy::Category),
                max_distinct: None,
            },
        )?;
        Ok(ProfileState {
            state,
            by_category: schema::categorical_features()
                .map(|_| HashMap::default())
                .collect(),
            difficulty: first
                .layout
                .difficulty
                .then(|| vec![0; schema::MAX_DIFFICULTY as usize + 1]),
        })
    }

    fn update(&mut self, ds: &Dataset) -> Result<()> {
        self.state.update(ds)?;
        let categories: Vec<usize> = ds
            .str_values(schema::CATEGORY)?
            .map(|c| {
                Category::ALL
                    .iter()
                    .position(|x| x.as_str() == c)
                    .unwrap_or(Category::ALL.len() - 1)
            })
            .collect();
        for (f, counts) in schema::categorical_features().zip(&mut self.by_category) {
            for (v, &k) in ds.str_values(f.name)?.zip(&categories) {
                match counts.get_mut(v) {
                    Some(n) => n[k] += 1,
                    None => {
                        let mut n = [0; 6];
                        n[k] = 1;
                        counts.insert(v.to_string(), n);
                    }
                }
            }
        }
        if let Some(levels) = self.difficulty.as_mut() {
            for chunk in ds.i64_chunks(schema::DIFFICULTY)? {
                for &d in chunk {
                    if let Some(slot) = usize::try_from(d).ok().and_then(|i| levels.get_mut(i)) {
                        *slot += 1;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Reads a file once: its overview figures and its describe state.
pub fn profile(rows: Rows) -> Result<Profile> {
    let mut acc: Option<ProfileState> = None;
    let mut failed: Option<Error> = None;
    let chunks = rows.open()?.inspect(|chunk| {
        if let (Ok(ds), None) = (&chunk, &failed) {
            let step = match acc.as_mut() {
                Some(a) => a.update(ds),
                None => ProfileState::new(ds).and_then(|mut a| {
                    let r = a.update(ds);
                    acc = Some(a);
                    r
                }),
            };
            if let Err(e) = step {
                failed = Some(e);
            }
        }
    });
    let inspected = clean::stream::inspect(chunks, None);
    if let Some(e) = failed {
        return Err(e);
    }
    let inspected = inspected?;
    let acc = acc.ok_or_else(|| Error::Internal("no rows were read".into()))?;
    let state = acc.state;
    let categories = Category::ALL
        .iter()
        .filter_map(|c| {
            state
                .value_counts(schema::CATEGORY)
                .ok()?
                .into_iter()
                .find(|(n, _)| n == c.as_str())
        })
        .collect();
    let labels = state.value_counts(schema::LABEL)?;
    let difficulty = acc.difficulty.map(|levels| {
        OrderedMap(
            levels
                .into_iter()
                .enumerate()
                .map(|(i, n)| (i.to_string(), n))
                .collect(),
        )
    });
    Ok(Profile {
        overview: FileOverview {
            file: state.path().to_string(),
            rows: inspected.rows,
            findings: inspected.findings,
            categories: OrderedMap(categories),
            labels: OrderedMap(labels),
            difficulty,
        },
        warnings: load::unknown_label_warnings(state.path(), &inspected.unknown),
        state,
        by_category: acc.by_category,
    })
}
