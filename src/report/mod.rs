//! Report stage: turns a training file and test files into an offline report folder:
//! `index.html` (no script, no external resource), `plots/*.svg`, `tables/*.csv` and
//! `summary.json` (every figure shown, in the JSON conventions of the other commands).
//!
//! It reuses the other stages: [`clean::inspect`](crate::clean::inspect) for duplicates and
//! conflicts, [`stats::analysis::analyse`](crate::stats::analysis::analyse) for profiles, correlations, relevance and
//! alerts, [`stats::drift::compare`](crate::stats::drift::compare) for drift, [`detect`](crate::detect) and
//! [`evaluate`](crate::evaluate) for the detectors. Sections, in order: overview, features, train vs
//! test, detectors. The same inputs and options (seed included) give the same bytes.

pub mod capture;
pub mod classifiers;
mod detectors;
mod drift;
mod features;
pub mod findings;
pub mod html;
mod overview;
pub mod palette;
pub mod plot;
pub mod read;

use serde::Serialize;

use crate::clean::Findings;
use crate::detect::FitOptions;
use crate::error::Result;
use crate::evaluate::Evaluation;
use crate::evaluate::metrics::Point;
use crate::stats::OrderedMap;
use crate::stats::analysis::StatsReport;
use crate::stats::drift::{self as drift_stats, DriftReport};
use html::Section;
pub use read::Inputs;

/// Name of the report format in `summary.json`.
pub const FORMAT: &str = "kddstat-report";
/// Version of the `summary.json` layout.
pub const FORMAT_VERSION: u32 = 1;

/// What a report is made with.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The detectors to fit (none: no detector section).
    pub detectors: Vec<FitOptions>,
    /// The classifiers and hybrids to fit (none: no classifier section).
    pub classifiers: classifiers::ClassifierOptions,
    /// Services shown in the service bars.
    pub top_services: usize,
    /// Most relevant numeric features overlaid per category.
    pub overlays: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            detectors: Vec::new(),
            classifiers: classifiers::ClassifierOptions {
                classifiers: Vec::new(),
                hybrids: Vec::new(),
                target: crate::classify::Target::Binary,
                seed: 42,
                test_sha256: Vec::new(),
            },
            top_services: 15,
            overlays: 6,
        }
    }
}

/// The stages, as reported to a progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Duplicates, conflicts, statistics and drift.
    Statistics,
    /// Fitting detector `n` (0-based) of `of`.
    Fitting {
        /// Which one.
        n: usize,
        /// How many.
        of: usize,
        /// Its kind.
        detector: crate::detect::DetectorName,
    },
    /// Scoring the test files with the fitted detectors.
    Scoring,
    /// Drawing the plots and the page.
    Plots,
}

impl Stage {
    /// Words for a progress display.
    pub fn describe(self) -> String {
        match self {
            Stage::Statistics => "statistics and drift".to_string(),
            Stage::Fitting { n, of, detector } => {
                format!("fitting detector {}/{of}: {}", n + 1, detector.as_str())
            }
            Stage::Scoring => "scoring the test files".to_string(),
            Stage::Plots => "drawing plots".to_string(),
        }
    }
}

/// Rows of one file, its findings and its distributions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileOverview {
    /// The file as named.
    pub file: String,
    /// Its rows.
    pub rows: usize,
    /// Duplicates, conflicts and constant columns (as `kddstat clean`).
    pub findings: Findings,
    /// Rows per category.
    pub categories: OrderedMap<u64>,
    /// Rows per label, most frequent first.
    pub labels: OrderedMap<u64>,
    /// Rows per difficulty level (`null` without the column).
    pub difficulty: Option<OrderedMap<u64>>,
}

/// The bins of a histogram as drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramFigures {
    /// `linear` or `log` (bins equally wide in log10(1 + value)).
    pub scale: &'static str,
    /// `[from, to, rows]` per bin; a bin holds the values `from <= v < to` (the last one also `to`).
    pub bins: Vec<[f64; 3]>,
}

/// The curves of one detector on one test file, thinned for drawing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Curves {
    /// The detector's stable id.
    pub id: String,
    /// The detector, for people.
    pub label: String,
    /// The test file.
    pub test: String,
    /// `[false-positive rate, true-positive rate]` points.
    pub roc: Vec<Point>,
    /// `[recall, precision]` points.
    pub precision_recall: Vec<Point>,
}

/// How the rows of a test file fall into the k-means clusters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterComposition {
    /// The detector's stable id.
    pub id: String,
    /// The detector, for people.
    pub label: String,
    /// The test file.
    pub test: String,
    /// Per cluster, rows per category.
    pub clusters: Vec<OrderedMap<u64>>,
}

/// Every figure of a report; written as `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The training file.
    pub train: String,
    /// The test files.
    pub tests: Vec<String>,
    /// The training file, then each test file.
    pub files: Vec<FileOverview>,
    /// `kddstat stats` of the training file.
    pub stats: StatsReport,
    /// Histograms of the numeric features of the training file.
    pub histograms: OrderedMap<HistogramFigures>,
    /// `kddstat compare` of the training file with each test file.
    pub drift: Vec<DriftReport>,
    /// When the training file had more rows than `kddstat fit --sample`'s default, the detectors
    /// and classifiers were fitted on a seeded sample of them: the file's rows and the seed
    /// (`null`: fitted on every row).
    pub fit_sample: Option<crate::detect::Sampled>,
    /// `kddstat evaluate` of the detectors (`null` without detectors).
    pub evaluation: Option<Evaluation>,
    /// ROC and precision-recall curves.
    pub curves: Vec<Curves>,
    /// k-means cluster compositions.
    pub clusters: Vec<ClusterComposition>,
    /// The classifiers and hybrids (as `kddstat evaluate --classifiers`; empty without them).
    pub classifiers: Vec<crate::evaluate::classifiers::ClassifierFigures>,
    /// The findings: what the figures say, each with the numbers it states.
    pub findings: Vec<findings::Finding>,
}

/// A built report: the figures and the page's sections.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every figure.
    pub summary: Summary,
    /// The page's sections, with their plots and tables.
    pub sections: Vec<Section>,
}

/// Builds a report from its inputs ([`read::Inputs`]); `progress` hears of each stage as it
/// starts.
pub fn build(
    inputs: &Inputs,
    options: &ReportOptions,
    progress: &(dyn Fn(Stage) + Sync),
) -> Result<Report> {
    let train = &inputs.train;
    let test_rows: Vec<crate::load::rows::Rows<'_>> = inputs
        .test_rows
        .iter()
        .map(crate::load::rows::HeldInput::rows)
        .collect();
    let tests = &test_rows;
    let fit = inputs
        .fit
        .as_ref()
        .filter(|_| !tests.is_empty() && tests.len() == inputs.tests.len());
    progress(Stage::Statistics);
    let drift = inputs
        .tests
        .iter()
        .map(|t| drift_stats::compare_states(&train.state, &t.state))
        .collect::<Result<Vec<_>>>()?;
    let files: Vec<FileOverview> = std::iter::once(train)
        .chain(&inputs.tests)
        .map(|p| p.overview.clone())
        .collect();
    let stats_report = &inputs.stats;
    let known = inputs.known_labels();
    let (detected, classified) = rayon::join(
        || {
            let Some(fit) = fit.filter(|_| !options.detectors.is_empty()) else {
                return Ok(None);
            };
            detectors::run(fit, &inputs.sha256, tests, &options.detectors, progress).map(Some)
        },
        || {
            let Some(fit) = fit.filter(|_| options.classifiers.any()) else {
                return Ok(Vec::new());
            };
            classifiers::run(fit, &inputs.sha256, &known, tests, &options.classifiers)
        },
    );
    let detected = detected?;
    let classified = classified?;
    progress(Stage::Plots);

    let ((overview, features), (drift_section, detector_section)) = rayon::join(
        || {
            rayon::join(
                || overview::section(&files, stats_report),
                || features::section(train, stats_report, options),
            )
        },
        || {
            rayon::join(
                || drift::section(&drift),
                || {
                    detected
                        .as_ref()
                        .map(|d| detectors::section(d, &drift))
                        .transpose()
                },
            )
        },
    );
    let (features_section, histograms) = features?;
    // The answer first: the findings, the files, the detectors, the drift, then the features.
    let found = all_findings(inputs, &drift, detected.as_ref(), &classified);
    let sample_note = sample_note(inputs, fit);
    let mut sections = vec![findings::section(&found), overview?];
    if let Some(mut s) = detector_section? {
        s.blocks.splice(0..0, sample_note.clone());
        sections.push(s);
    }
    if !classified.is_empty() {
        let mut s = classifiers::section(&classified, &drift, &files)?;
        s.blocks.splice(0..0, sample_note);
        sections.push(s);
    }
    if !drift.is_empty() {
        sections.push(drift_section?);
    }
    sections.push(features_section);
    let (evaluation, curves, clusters) = match detected {
        Some(d) => (Some(d.evaluation), d.curves, d.clusters),
        None => (None, Vec::new(), Vec::new()),
    };
    let summary = Summary {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        train: train.overview.file.clone(),
        tests: inputs
            .tests
            .iter()
            .map(|t| t.overview.file.clone())
            .collect(),
        files,
        stats: stats_report.clone(),
        histograms,
        drift,
        fit_sample: inputs.sampled.clone(),
        evaluation,
        curves,
        clusters,
        classifiers: classified,
        findings: found,
    };
    Ok(Report { summary, sections })
}

/// The findings of every stage: the detectors', then the classifiers' (before the data-quality
/// count).
fn all_findings(
    inputs: &Inputs,
    drift: &[drift_stats::DriftReport],
    detected: Option<&detectors::Detected>,
    classified: &[crate::evaluate::classifiers::ClassifierFigures],
) -> Vec<findings::Finding> {
    let mut found = findings::of(
        &inputs.train.overview.file,
        &inputs.stats,
        drift,
        detected.map(|d| &d.evaluation),
    );
    let at = found
        .iter()
        .position(|f| f.id == "novel_labels")
        .unwrap_or(found.len());
    for (i, f) in classifiers::findings(classified).into_iter().enumerate() {
        found.insert(at + i, f);
    }
    found
}

/// The note that the models were fitted on a sample, when they were.
fn sample_note(inputs: &Inputs, fit: Option<&crate::load::Dataset>) -> Option<html::Block> {
    inputs.sampled.as_ref().map(|s| {
        html::Block::Text(format!(
            "The models were fitted on a seeded uniform sample of {} of the {} rows of {} \
             (seed {}; `kddstat fit --sample`).",
            crate::render::thousands(fit.map_or(0, |f| f.rows() as u64)),
            crate::render::thousands(s.file_rows),
            short(&inputs.train.overview.file),
            s.seed
        ))
    })
}

impl Report {
    /// The files of the report folder: relative path and bytes.
    pub fn files(&self) -> Result<Vec<(String, Vec<u8>)>> {
        // Files by their last path component only: a shared report does not reveal where the
        // files sit (summary.json keeps the names as given).
        let title = format!("kddstat report: {}", short(&self.summary.train));
        let mut meta = vec![format!(
            "Training file {} ({} rows); test files: {}.",
            short(&self.summary.train),
            crate::render::thousands(self.summary.files[0].rows as u64),
            if self.summary.tests.is_empty() {
                "none".to_string()
            } else {
                self.summary
                    .tests
                    .iter()
                    .map(|t| short(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )];
        meta.push(format!(
            "Made by kddstat {}. Every figure is in summary.json; every table in tables/.",
            env!("CARGO_PKG_VERSION")
        ));
        html::folder_files(&title, &meta, &self.sections, &self.summary)
    }
}

/// The last component of a path, as files are named on the page (the full names are in
/// `summary.json` and the page's header).
pub fn short(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// A file-name-safe form of a name: lowercase letters and digits, other runs as one `-`.
pub fn slug(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut out = String::new();
    for c in base.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() { "file".into() } else { out }
}

/// Slugs of several names, made unique by a numeric suffix.
pub fn slugs(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let base = slug(n);
        let mut s = base.clone();
        let mut k = 2;
        while out.contains(&s) {
            s = format!("{base}-{k}");
            k += 1;
        }
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_and_unique() {
        assert_eq!(slug("data/KDDTest-21.txt"), "kddtest-21-txt");
        assert_eq!(slug("KDDTrain+.txt"), "kddtrain-txt");
        assert_eq!(slug("<script>"), "script");
        assert_eq!(slug("+++"), "file");
        assert_eq!(
            slugs(&["a/x.txt".into(), "b/x.txt".into()]),
            vec!["x-txt", "x-txt-2"]
        );
    }
}
