//! `kddstat fit --detector NAME TRAIN -o MODEL.json`: fits a detector and saves it.

use std::path::{Path, PathBuf};

use crate::clean::write;
use crate::detect::{self, DetectorName, FitOptions, gmm, kmeans, zscore};
use crate::error::{Error, Result};
use crate::load::{self, Input, LoadOptions};
use crate::render::{self, thousands};

/// Detector parameters shared by `fit` and `evaluate`.
#[derive(Debug, Clone, clap::Args)]
pub struct DetectorArgs {
    /// Fit on the normal rows of the training file (default) or on all of them.
    #[arg(long, value_enum, default_value_t = FitOn::Normal)]
    pub fit_on: FitOn,
    /// False-alarm rate the threshold is calibrated to on the fitting rows.
    #[arg(long, default_value_t = 0.01)]
    pub far: f64,
    /// Seed of every random choice (same seed, same bytes).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// zscore: combine |z| by their mean or their maximum.
    #[arg(long, value_enum, default_value_t = zscore::Aggregate::Mean)]
    pub agg: zscore::Aggregate,
    /// zscore: median and MAD (scaled by 1.4826) instead of mean and standard deviation.
    #[arg(long)]
    pub robust: bool,
    /// kmeans: number of clusters.
    #[arg(long, default_value_t = 8)]
    pub k: usize,
    /// kmeans: independent initialisations (the lowest inertia is kept).
    #[arg(long, default_value_t = 1)]
    pub n_init: usize,
    /// kmeans: implementation (native is the fast one; linfa is linfa-clustering's).
    #[arg(long, value_enum, default_value_t = kmeans::Engine::Native)]
    pub kmeans_engine: kmeans::Engine,
    /// gmm: number of components.
    #[arg(long, default_value_t = 8)]
    pub components: usize,
    /// gmm: covariance structure.
    #[arg(long, value_enum, default_value_t = gmm::Covariance::Diag)]
    pub covariance: gmm::Covariance,
    /// iforest: number of trees.
    #[arg(long, default_value_t = 100)]
    pub trees: usize,
    /// iforest: rows per tree.
    #[arg(long, default_value_t = 256)]
    pub sample: usize,
    /// ensemble: its members, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "zscore,kmeans,gmm,iforest"
    )]
    pub members: Vec<DetectorName>,
}

/// Which rows a detector is fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FitOn {
    /// The rows labelled normal.
    Normal,
    /// Every row.
    All,
}

impl DetectorArgs {
    /// The fit options for one detector.
    pub fn options(&self, detector: DetectorName) -> FitOptions {
        FitOptions {
            detector,
            fit_on_all: self.fit_on == FitOn::All,
            far: self.far,
            seed: self.seed,
            aggregate: self.agg,
            robust: self.robust,
            k: self.k,
            n_init: self.n_init,
            kmeans_engine: self.kmeans_engine,
            components: self.components,
            covariance: self.covariance,
            trees: self.trees,
            sample: self.sample,
            members: self.members.clone(),
        }
    }
}

/// Arguments of `kddstat fit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The training file.
    #[arg(value_name = "TRAIN")]
    pub train: String,
    /// The detector.
    #[arg(long, value_enum)]
    pub detector: DetectorName,
    /// Where to write the model (JSON).
    #[arg(short, long, value_name = "MODEL.json")]
    pub output: PathBuf,
    /// Replace the model file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Detector parameters.
    #[command(flatten)]
    pub params: DetectorArgs,
    /// The member of a .zip archive to read.
    #[arg(long, value_name = "NAME")]
    pub entry: Option<String>,
    /// Do not print warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `kddstat fit`.
pub fn run(args: Args) -> Result<()> {
    let input = Input::from_arg(&args.train);
    let inputs: Vec<&Path> = match &input {
        Input::Path(p) => vec![Path::new(p)],
        Input::Stdin => vec![],
    };
    write::check_destination(&args.output, &inputs, args.force)?;
    let options = LoadOptions {
        entry: args.entry.clone(),
        set_aside_invalid: false,
    };
    let (ds, raw) = load::load_with_source(&input, &options)?;
    if !args.quiet {
        ds.warnings().iter().for_each(|w| super::warn(w));
    }
    let model = detect::fit(
        &ds,
        detect::sha256_hex(&raw.bytes),
        &args.params.options(args.detector),
    )?;
    let json = serde_json::to_vec(&model)
        .map_err(|e| Error::Internal(format!("serialising the model: {e}")))?;
    write::atomically(&args.output, |w| w.write_all(&json).map_err(Error::Output))?;
    render::print(&format!(
        "wrote {}: {}, fitted on {} {} rows of {}; threshold {} ({}% false alarms on them)\n",
        args.output.display(),
        model.label(),
        thousands(model.training.fit_rows as u64),
        if args.params.fit_on == FitOn::All {
            "(all)"
        } else {
            "normal"
        },
        ds.name,
        model.threshold,
        100.0 * args.params.far
    ))
}
