//! The argument groups every subcommand shares (`#[command(flatten)]`), so that a flag means the
//! same everywhere: how inputs are read (`--entry`, `--max-decompressed`), the training and test
//! files with their NSL-KDD defaults (`--train`, `--test`), `--quiet` and `--force`; and the
//! terminal side of a run ([`Ui`]: warnings and progress, silent when piped or with `--quiet`).

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::data::{self, Location};
use crate::error::{Error, Result};
use crate::fetch;
use crate::load::source::{DEFAULT_MAX_DECOMPRESSED, Limits};
use crate::load::{self, Dataset, Input, LoadOptions, source::SourceText, stream, stream::Stream};
use crate::output;
use crate::stats::describe::{self, DescribeOptions, DescribeState};

/// How data files are read.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// The member to read from .zip inputs not named as ARCHIVE.zip:MEMBER (default: the
    /// archive's only data file).
    #[arg(long, value_name = "NAME", help_heading = "Input")]
    pub entry: Option<String>,
    /// Stop with an error when an input decompresses to more than BYTES (4 GiB by default; no
    /// real KDD file comes near it).
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = DEFAULT_MAX_DECOMPRESSED,
        hide_default_value = true,
        help_heading = "Input"
    )]
    pub max_decompressed: u64,
}

impl InputArgs {
    /// The load options these flags give.
    pub fn options(&self, set_aside_invalid: bool) -> LoadOptions {
        LoadOptions {
            entry: self.entry.clone(),
            set_aside_invalid,
            limits: Limits {
                max_decompressed: self.max_decompressed,
            },
        }
    }

    /// Loads one data-file argument and shows its warnings.
    pub fn load(&self, arg: &str, ui: &Ui) -> Result<Dataset> {
        let ds = load::load(&Input::from_arg(arg), &self.options(false))?;
        ui.warnings(&ds);
        Ok(ds)
    }

    /// Loads one data-file argument, keeping its decompressed text, and shows its warnings.
    pub fn load_with_source(
        &self,
        arg: &str,
        set_aside_invalid: bool,
        ui: &Ui,
    ) -> Result<(Dataset, SourceText)> {
        let (ds, raw) =
            load::load_with_source(&Input::from_arg(arg), &self.options(set_aside_invalid))?;
        ui.warnings(&ds);
        Ok((ds, raw))
    }
}

/// `--max-distinct`: the memory of exact value counts.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct DistinctArg {
    /// Stop with an error when the exact value counts of every column (and group) hold more
    /// than N distinct values in all (16,000,000 by default, about 400 MB; KDDTrain+ holds
    /// about 19,000, 44,000 by category, and so do 100 copies of it).
    #[arg(
        long,
        value_name = "N",
        default_value_t = crate::stats::describe::DEFAULT_MAX_DISTINCT,
        hide_default_value = true,
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "Input"
    )]
    pub max_distinct: u64,
}

/// `-q/--quiet`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct QuietArg {
    /// No warnings and no progress display.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `--force`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ForceArg {
    /// Replace an existing output (a regular file, or a folder kddstat wrote).
    #[arg(long)]
    pub force: bool,
}

/// The training and test files, defaulting to the NSL-KDD files of the data folder.
#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// The training file [default: KDDTrain+.txt of the data folder ($KDDSTAT_DATA, else
    /// datasets/), downloaded there if missing].
    #[arg(long, value_name = "TRAIN", help_heading = "Data")]
    pub train: Option<String>,
    /// A test file; repeat for several [default without --train: KDDTest+.txt and
    /// KDDTest-21.txt of the data folder].
    #[arg(long = "test", value_name = "TEST", help_heading = "Data")]
    pub tests: Vec<String>,
}

impl DataArgs {
    /// The training file and the test files: as given, or the NSL-KDD defaults (downloaded into
    /// the data folder when missing). `default_tests`: whether test files default too.
    pub fn resolve(&self, ui: &Ui, default_tests: bool) -> Result<(String, Vec<String>)> {
        if let Some(train) = &self.train {
            return Ok((train.clone(), self.tests.clone()));
        }
        let mut names = vec![data::TRAIN];
        if default_tests && self.tests.is_empty() {
            names.extend(data::TESTS);
        }
        let found = default_files(&names, ui)?;
        let (train, defaults) = found.split_first().map_or_else(
            || (String::new(), Vec::new()),
            |(t, rest)| (t.clone(), rest.to_vec()),
        );
        let tests = if self.tests.is_empty() {
            defaults
        } else {
            self.tests.clone()
        };
        Ok((train, tests))
    }
}

/// Finds NSL-KDD files by name in the data location, downloading them (with a line saying what
/// and from where, a progress bar and SHA-256 verification) when they are missing, as
/// scikit-learn's `fetch_kddcup99` does.
pub fn default_files(names: &[&str], ui: &Ui) -> Result<Vec<String>> {
    let location = Location::from_env();
    let find_all = || {
        names
            .iter()
            .map(|n| location.find(n))
            .collect::<Option<Vec<_>>>()
    };
    if let Some(found) = find_all() {
        return Ok(found);
    }
    let Some(dir) = location.folder() else {
        // An archive named by KDDSTAT_DATA always "has" the members; reading says if not.
        return Err(Error::Internal(
            "an archive location finds every file".into(),
        ));
    };
    let url = data::mirror();
    ui.note(&format!(
        "the NSL-KDD files are not in {}: downloading them from {} (verified by SHA-256)",
        dir.display(),
        crate::fetch::redact(&url)
    ));
    download(&url, dir, false, ui).map_err(|e| match e {
        Error::Fetch { url, message } => Error::Fetch {
            url,
            message: format!(
                "{message}; put the NSL-KDD files (or {}) in {}, set {} to the folder that holds \
                 them, or {} to another mirror",
                data::ARCHIVE,
                dir.display(),
                data::DATA_ENV,
                data::MIRROR_ENV
            ),
        },
        other => other,
    })?;
    find_all().ok_or_else(|| Error::Missing {
        path: dir.display().to_string(),
        hint: "the download finished but the files are not there".to_string(),
    })
}

/// Downloads the NSL-KDD files into `dir` with a progress bar (hidden off a terminal or with
/// `--quiet`).
pub fn download(
    url: &str,
    dir: &std::path::Path,
    force: bool,
    ui: &Ui,
) -> Result<Vec<(std::path::PathBuf, fetch::Outcome)>> {
    let bar = ui.bar(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} {bytes}/{total_bytes} {wide_bar} {bytes_per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let current = Mutex::new(String::new());
    let progress = |name: &str, done: u64, total: Option<u64>| {
        if let Ok(mut c) = current.lock()
            && *c != name
        {
            *c = name.to_string();
            bar.set_message(name.to_string());
            bar.reset();
        }
        // A server may send a compressed body with its compressed length: never show a total
        // below what has arrived.
        bar.set_length(total.map_or(done, |t| t.max(done)));
        bar.set_position(done);
    };
    let done = fetch::fetch(url, dir, force, &progress);
    bar.finish_and_clear();
    done
}

/// The terminal side of a run: warnings on standard error, and progress shown only on a terminal
/// and without `--quiet`.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    quiet: bool,
}

impl Ui {
    /// A UI that is silent with `quiet`.
    pub fn new(quiet: bool) -> Ui {
        Ui { quiet }
    }

    /// Prints a dataset's warnings.
    pub fn warnings(&self, ds: &Dataset) {
        if !self.quiet {
            ds.warnings().iter().for_each(|w| super::warn(w));
        }
    }

    /// Prints a warning.
    pub fn warn(&self, message: &str) {
        if !self.quiet {
            super::warn(message);
        }
    }

    /// Prints a note (what kddstat is about to do that takes a while).
    pub fn note(&self, message: &str) {
        if !self.quiet {
            crate::output::stderr_write(&format!("kddstat: {message}\n"));
        }
    }

    /// A progress bar of `len` steps (hidden by itself when standard error is not a terminal).
    pub fn bar(&self, len: u64) -> ProgressBar {
        if self.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(len)
        }
    }

    /// A spinner with a message and the elapsed time, for work without steps.
    pub fn spinner(&self, len: u64) -> ProgressBar {
        let bar = self.bar(len);
        let template = if len > 0 {
            "{spinner} [{pos}/{len}] {wide_msg} {elapsed}"
        } else {
            "{spinner} {wide_msg} {elapsed}"
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}

/// The groups `--by` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// Attack category: normal, DoS, Probe, R2L, U2R, unknown.
    Category,
    /// Label: normal or the attack name.
    Label,
}

impl From<By> for crate::stats::GroupBy {
    fn from(b: By) -> crate::stats::GroupBy {
        match b {
            By::Category => crate::stats::GroupBy::Category,
            By::Label => crate::stats::GroupBy::Label,
        }
    }
}

/// Reads the data-file arguments `files` (folders expanded) in chunks into one state.
pub fn state_of(
    files: &[String],
    input_args: &InputArgs,
    options: &DescribeOptions,
    ui: &Ui,
) -> Result<DescribeState> {
    let mut state: Option<DescribeState> = None;
    let mut inputs = Vec::new();
    let mut seen = Vec::new();
    for f in files {
        let resolved = output::resolve(std::path::Path::new(f));
        if f != "-" && seen.contains(&resolved) {
            ui.warn(&format!("{f}: given twice: its records are counted twice"));
        }
        seen.push(resolved);
        inputs.extend(stream::expand(f)?);
    }
    let load_options = input_args.options(false);
    for input in &inputs {
        let mut s = Stream::open(input, &load_options)?;
        let unknown = describe::add_stream(&mut state, &mut s, options)?;
        for w in load::unknown_label_warnings(s.name(), &unknown) {
            ui.warn(&w);
        }
    }
    let mut state = state.ok_or_else(|| Error::Internal("no input was read".into()))?;
    if files.len() > 1 || inputs.len() > 1 {
        let shown = if files.len() == 1 {
            files[0].clone()
        } else {
            format!("{} and {} more", files[0], files.len() - 1)
        };
        state.set_path(shown);
    }
    Ok(state)
}

/// When connections end and how many are held (`pcap` and `live`, so that both write the same
/// records).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct FlowArgs {
    /// Seconds after which an idle TCP connection ends.
    #[arg(long, value_name = "S", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub tcp_idle: u64,
    /// Seconds after which an idle UDP connection ends.
    #[arg(long, value_name = "S", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub udp_idle: u64,
    /// Seconds after which a connection that lasts is cut (its further packets start a new one).
    #[arg(long, value_name = "S", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub active_timeout: u64,
    /// Open connections held at once; past this the one that started first is ended early
    /// (counted).
    #[arg(long, value_name = "N", default_value_t = crate::capture::flows::MAX_FLOWS as u64, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    pub max_flows: u64,
    /// Ended connections held until every older one ends; past this the oldest open one is ended
    /// early (counted).
    #[arg(long, value_name = "N", default_value_t = crate::capture::flows::MAX_HELD as u64, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    pub max_held: u64,
}

impl FlowArgs {
    /// The flow table's limits.
    pub fn limits(&self) -> crate::capture::Limits {
        let n = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        crate::capture::Limits {
            timeouts: crate::capture::flows::Timeouts {
                tcp_idle_s: self.tcp_idle,
                udp_idle_s: self.udp_idle,
                close_s: crate::capture::flows::Timeouts::default().close_s,
                active_s: self.active_timeout,
            },
            max_flows: n(self.max_flows),
            max_held: n(self.max_held),
        }
    }
}

/// The traffic summary of `pcap` and `live`: the scan rule, the top lists, the format.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct SummaryArgs {
    /// Distinct ports of one host (or hosts on one port) that one source must reach to be
    /// reported as a scan.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub port_scan_threshold: u64,
    /// Rows of the top lists (pairs, addresses, services).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub top: u64,
    /// Format of the summary.
    #[arg(long, value_enum, default_value_t = crate::render::TextFormat::Table)]
    pub format: crate::render::TextFormat,
}

impl SummaryArgs {
    /// The scan threshold.
    pub fn threshold(&self) -> usize {
        usize::try_from(self.port_scan_threshold).unwrap_or(usize::MAX)
    }

    /// Rows of the top lists.
    pub fn top(&self) -> usize {
        usize::try_from(self.top).unwrap_or(usize::MAX)
    }
}

/// A `--state-out` destination, checked once against a command's inputs (never one of them, no
/// file replaced without `--force`): the state is written as JSON, and the figures go beside it
/// (to standard error when standard output carries the state).
#[derive(Debug)]
pub struct StateOut {
    destination: Option<crate::output::Destination>,
    force: bool,
}

impl StateOut {
    /// The destination of `path` (none without `--state-out`), checked against `inputs`.
    pub fn checked(
        path: Option<&std::path::PathBuf>,
        inputs: &[std::path::PathBuf],
        force: bool,
    ) -> Result<StateOut> {
        let destination = path.map(|p| crate::output::Destination::from_arg(p));
        if let Some(out) = &destination {
            let inputs: Vec<&std::path::Path> = inputs.iter().map(|p| p.as_path()).collect();
            output::check_destination(out, &inputs, force)?;
        }
        Ok(StateOut { destination, force })
    }

    /// Whether a state is to be written.
    pub fn is_some(&self) -> bool {
        self.destination.is_some()
    }

    /// Writes `saved` as JSON, when a destination was given.
    pub fn write<T: serde::Serialize>(&self, saved: &T) -> Result<()> {
        let Some(out) = &self.destination else {
            return Ok(());
        };
        let json = serde_json::to_vec(saved)
            .map_err(|e| Error::Internal(format!("serialising the state: {e}")))?;
        output::write(out, self.force, |w| {
            w.write_all(&json).map_err(Error::Output)
        })
    }

    /// Prints the figures: on standard output, or on standard error when standard output carries
    /// the state alone (a valid JSON document).
    pub fn print_figures(&self, text: &str) -> Result<()> {
        if self.destination == Some(crate::output::Destination::Stdout) {
            crate::output::stderr_write(text);
            return Ok(());
        }
        crate::render::print(text)
    }
}
