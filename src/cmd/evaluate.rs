//! `kddstat evaluate --train TRAIN --test TEST... --detectors a,b,c`: fits (or reads) detectors
//! and measures them on test files (the NSL-KDD files by default).

use std::path::PathBuf;

use super::args::{DataArgs, InputArgs, QuietArg, Ui};
use super::models::{DEFAULT_DETECTORS, DetectorArgs, hybrid_name};
use crate::classify::tree::Criterion;
use crate::classify::{Classifier, ClassifierName, Params, Target};
use crate::detect::{self, DetectorName, FitOptions, Model};
use crate::error::{Error, Result};
use crate::evaluate::{self, Truth};
use crate::load::rows::{HeldInput, Rows};
use crate::load::stream::Stream;
use crate::load::{Input, LoadOptions};
use crate::render::{self, Format};

/// Arguments of `kddstat evaluate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The files (detectors are fitted on the training file's normal rows).
    #[command(flatten)]
    pub data: DataArgs,
    /// Detectors to fit and evaluate, comma-separated.
    #[arg(
        long,
        alias = "detector",
        value_enum,
        value_delimiter = ',',
        value_name = "NAMES",
        default_value = DEFAULT_DETECTORS
    )]
    pub detectors: Vec<DetectorName>,
    /// Supervised classifiers to fit on every training row and evaluate, comma-separated.
    #[arg(
        long,
        alias = "classifier",
        value_enum,
        value_delimiter = ',',
        value_name = "NAMES",
        help_heading = "Classifiers"
    )]
    pub classifiers: Vec<ClassifierName>,
    /// Hybrids CLASSIFIER+DETECTOR (e.g. tree+gmm): a row is an attack when the classifier says so
    /// or the detector's score passes its threshold (set at --far on the normal training rows).
    #[arg(long, value_name = "CLASSIFIER+DETECTOR", value_parser = hybrid_name, help_heading = "Classifiers")]
    pub hybrid: Vec<(ClassifierName, DetectorName)>,
    /// What the classifiers predict.
    #[arg(long, value_enum, default_value_t = Target::Binary, help_heading = "Classifiers")]
    pub target: Target,
    /// Split criterion of the decision tree.
    #[arg(long, value_enum, help_heading = "Classifiers")]
    pub criterion: Option<Criterion>,
    /// Evaluate saved models instead of fitting (repeat for several).
    #[arg(long, value_name = "MODEL.json", conflicts_with_all = ["train", "detectors"])]
    pub model: Vec<PathBuf>,
    /// With --model and one --test: write the exact state of the test file's scores (per label,
    /// each distinct score with its rows) to FILE; the states of the parts of a test file merge
    /// (--state-in) into the figures of the whole.
    #[arg(long, value_name = "FILE", requires = "model")]
    pub state_out: Option<PathBuf>,
    /// Add a state written by --state-out with the same --model files (repeatable).
    #[arg(long, value_name = "FILE", requires = "model")]
    pub state_in: Vec<PathBuf>,
    /// Write the --state-out state only, without the figures: for engines that merge the states
    /// of many parts.
    #[arg(long, requires = "state_out")]
    pub state_only: bool,
    /// Replace an existing --state-out file.
    #[arg(long, requires = "state_out")]
    pub force: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Detector parameters.
    #[command(flatten)]
    pub params: DetectorArgs,
    /// How inputs are read.
    #[command(flatten)]
    pub input: InputArgs,
    /// Quiet.
    #[command(flatten)]
    pub quiet: QuietArg,
}

/// The parameters of a classifier from the command line.
fn classifier_params(name: ClassifierName, args: &Args) -> Params {
    super::models::classifier_params(name, args.params.seed(), args.criterion)
}

/// Runs `kddstat evaluate`.
pub fn run(args: Args) -> Result<()> {
    let ui = Ui::new(args.quiet.quiet);
    if !args.model.is_empty() && args.params.any() {
        return Err(Error::Usage(
            "detector parameters apply when fitting; a saved model (--model) keeps its own".into(),
        ));
    }
    let mut all_detectors = args.detectors.clone();
    all_detectors.extend(args.hybrid.iter().map(|h| h.1));
    args.params.check(&all_detectors)?;
    let classifying = !args.classifiers.is_empty() || !args.hybrid.is_empty();
    if args.criterion.is_some()
        && !args.classifiers.contains(&ClassifierName::Tree)
        && !args.hybrid.iter().any(|h| h.0 == ClassifierName::Tree)
    {
        return Err(Error::Usage(
            "--criterion applies to the tree classifier only".into(),
        ));
    }
    if classifying && !args.model.is_empty() {
        return Err(Error::Usage(
            "classifiers are fitted on --train; they do not combine with --model".into(),
        ));
    }
    if args.state_out.is_some() || !args.state_in.is_empty() {
        return run_states(&args, &ui);
    }
    let fitting = args.model.is_empty();
    let (train, test_args) = if fitting {
        args.data.resolve(&ui, true)?
    } else if args.data.tests.is_empty() {
        let names: Vec<&str> = crate::data::TESTS.to_vec();
        (String::new(), super::args::default_files(&names, &ui)?)
    } else {
        (String::new(), args.data.tests.clone())
    };
    if test_args.is_empty() {
        return Err(Error::Usage(
            "evaluate needs a test file: --test TEST".into(),
        ));
    }
    let bar = ui.spinner(0);
    bar.set_message("reading the files");
    let loaded = (|| -> Result<_> {
        // A test file larger than a block is scored in chunks (read once per model family);
        // smaller ones, standard input and archive members are held whole.
        let load_options = args.input.options(false);
        let (held, test_shas): (Vec<HeldInput>, Vec<String>) = test_args
            .iter()
            .map(|t| test_input(t, &load_options, &ui))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .unzip();
        let tests: Vec<Rows<'_>> = held.iter().map(HeldInput::rows).collect();
        let mut classifiers = Vec::new();
        let (train_name, models) = if fitting {
            let (name, models, fitted) = fit_all(&args, &train, &test_shas, &tests, &ui, &bar)?;
            classifiers = fitted;
            (name, models)
        } else {
            let models = args
                .model
                .iter()
                .map(|p| Model::read(p))
                .collect::<Result<Vec<Model>>>()?;
            (models[0].training.file.clone(), models)
        };
        bar.set_message("scoring the test files");
        let mut e = evaluate::evaluate(&train_name, &models, &tests)?;
        e.classifiers = classifiers;
        Ok(e)
    })();
    bar.finish_and_clear();
    render::print(&render::evaluate::render(&loaded?, args.format)?)
}

/// Fits the detectors (and the classifiers and hybrids asked for) on a seeded sample of the
/// training file, as `fit` does, and measures the classifiers on the test files.
fn fit_all(
    args: &Args,
    train: &str,
    test_shas: &[String],
    tests: &[Rows<'_>],
    ui: &Ui,
    bar: &indicatif::ProgressBar,
) -> Result<(
    String,
    Vec<Model>,
    Vec<evaluate::classifiers::ClassifierFigures>,
)> {
    let classifying = !args.classifiers.is_empty() || !args.hybrid.is_empty();
    let mut classifiers = Vec::new();
    // A training file of more than `fit --sample`'s default rows is read in chunks and
    // the models fitted on a seeded sample of it, as `fit` does.
    let seed = args.params.seed();
    bar.set_message(format!("reading {train}"));
    let s = crate::load::sample::reservoir(
        &crate::load::Input::from_arg(train),
        &args.input.options(false),
        usize::try_from(super::models::DEFAULT_SAMPLE).unwrap_or(usize::MAX),
        seed,
    )?;
    ui.warnings(&s.ds);
    s.ds.require_all_features("evaluate")?;
    let sampled = s.sampled().then_some(detect::Sampled {
        file_rows: s.rows,
        seed,
    });
    if s.sampled() {
        ui.note(&format!(
            "{}: {} rows; fitting on a seeded sample of {}",
            s.ds.name,
            crate::render::thousands(s.rows),
            crate::render::thousands(s.ds.rows() as u64)
        ));
    }
    let (ds, sha, known) = (s.ds, s.sha256, s.labels);
    let options: Vec<FitOptions> = args
        .detectors
        .iter()
        .map(|&d| args.params.options(d))
        .collect::<Result<_>>()?;
    let on_fit = |i: usize, o: &FitOptions| {
        bar.set_message(format!(
            "fitting detector {}/{}: {}",
            i + 1,
            options.len(),
            o.detector().as_str()
        ));
    };
    let mut models = detect::fit_many(&ds, &sha, &options, &on_fit)?;
    for m in &mut models {
        m.training.record_sample(sampled.clone());
    }
    if classifying {
        let train = TrainRows {
            ds: &ds,
            sha: &sha,
            known: &known,
            sampled: &sampled,
        };
        classifiers = classify_all(args, &train, test_shas, tests, bar)?;
    }
    Ok((ds.name.clone(), models, classifiers))
}

/// The rows models are fitted on: the training file or a sample of it.
struct TrainRows<'a> {
    ds: &'a crate::load::Dataset,
    /// SHA-256 of the file's text.
    sha: &'a str,
    /// Labels of every row of the file.
    known: &'a std::collections::BTreeSet<String>,
    sampled: &'a Option<detect::Sampled>,
}

/// Fits the classifiers and hybrids on `train` and measures them on the test files.
fn classify_all(
    args: &Args,
    train: &TrainRows<'_>,
    test_shas: &[String],
    tests: &[Rows<'_>],
    bar: &indicatif::ProgressBar,
) -> Result<Vec<evaluate::classifiers::ClassifierFigures>> {
    let known = train.known;

    let files: Vec<evaluate::classifiers::TestFile<'_>> = tests
        .iter()
        .zip(test_shas)
        .map(|(rows, sha256)| evaluate::classifiers::TestFile {
            rows: *rows,
            sha256: sha256.clone(),
            known,
        })
        .collect();
    let mut wanted: Vec<ClassifierName> = args.classifiers.clone();
    for h in &args.hybrid {
        if !wanted.contains(&h.0) {
            wanted.push(h.0);
        }
    }
    let mut fitted: Vec<Classifier> = Vec::new();
    for (i, &name) in wanted.iter().enumerate() {
        bar.set_message(format!(
            "fitting classifier {}/{}: {}",
            i + 1,
            wanted.len(),
            name.as_str()
        ));
        let mut c = Classifier::fit(
            train.ds,
            train.sha.to_string(),
            &classifier_params(name, args),
            args.target,
        )?;
        c.training.record_sample(train.sampled.clone());
        fitted.push(c);
    }
    let mut out = Vec::new();
    for c in fitted
        .iter()
        .filter(|c| args.classifiers.contains(&c.parameters.name()))
    {
        bar.set_message(format!("testing classifier {}", c.id()));
        out.push(evaluate::classifiers::classifier(c, &files)?);
    }
    for &(cn, dn) in &args.hybrid {
        bar.set_message(format!("testing hybrid {}+{}", cn.as_str(), dn.as_str()));
        let c = fitted
            .iter()
            .find(|c| c.parameters.name() == cn)
            .ok_or_else(|| Error::Internal("a hybrid's classifier was not fitted".into()))?;
        let mut d = detect::fit(train.ds, train.sha.to_string(), &args.params.options(dn)?)?;
        d.training.record_sample(train.sampled.clone());
        out.push(evaluate::classifiers::hybrid(c, &d, &files)?);
    }
    Ok(out)
}

/// A test file of `evaluate`, held (whole when it fits one block) and checked before anything is
/// fitted (its first chunk when it is read in chunks), with the SHA-256 of its text.
fn test_input(arg: &str, options: &LoadOptions, ui: &Ui) -> Result<(HeldInput, String)> {
    let input = Input::from_arg(arg);
    let held = HeldInput::read(&input, options)?;
    match held.whole() {
        Some(ds) => {
            ui.warnings(ds);
            Truth::check(ds, "evaluate")?;
        }
        None => {
            if let Some(first) = Stream::open(&input, options)?.next() {
                Truth::check(&first?, "evaluate")?;
            }
        }
    }
    let sha = held.sha256()?;
    Ok((held, sha))
}

/// `evaluate --model M... [--test PART] [--state-in S...] [--state-out S]`: the counts of the
/// models' scores on a test file in parts, merged, and their figures.
fn run_states(args: &Args, ui: &Ui) -> Result<()> {
    use crate::stats::Accumulator;
    if args.data.tests.len() > 1 {
        return Err(Error::Usage(
            "--state-out and --state-in hold the scores of one test file: give one --test".into(),
        ));
    }
    let inputs: Vec<PathBuf> = args
        .data
        .tests
        .iter()
        .map(PathBuf::from)
        .chain(args.state_in.iter().cloned())
        .chain(args.model.iter().cloned())
        .collect();
    let state_out = super::args::StateOut::checked(args.state_out.as_ref(), &inputs, args.force)?;
    let models = args
        .model
        .iter()
        .map(|p| Model::read(p))
        .collect::<Result<Vec<Model>>>()?;
    let mut state = match args.data.tests.first() {
        Some(t) => {
            let (held, _) = test_input(t, &args.input.options(false), ui)?;
            Some(evaluate::count_scores(&models, held.rows())?)
        }
        None => None,
    };
    for path in &args.state_in {
        let (shown, bytes) = crate::detect::read_model_file(path)?;
        let saved = serde_json::from_slice(&bytes).map_err(|e| Error::Model {
            path: shown.clone(),
            message: format!("not an evaluate state ({e})"),
        })?;
        let other = evaluate::counts::ScoreCounts::from_saved(&shown, saved)?;
        let keys = models
            .iter()
            .map(evaluate::model_key)
            .collect::<Result<Vec<_>>>()?;
        if other.models() != keys.as_slice() {
            return Err(Error::Model {
                path: shown,
                message: "the state holds the scores of other models than --model (the same \
                          model files, in the same order, are needed)"
                    .into(),
            });
        }
        match &mut state {
            Some(s) => s.merge(other)?,
            None => state = Some(other),
        }
    }
    let state = state.ok_or_else(|| Error::Usage("give --test or --state-in".into()))?;
    state_out.write(&state.save())?;
    if args.state_only {
        return Ok(());
    }
    let e = evaluate::evaluate_counts(&models[0].training.file, &models, &state)?;
    state_out.print_figures(&render::evaluate::render(&e, args.format)?)
}
