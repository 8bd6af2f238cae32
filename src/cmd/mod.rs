//! The subcommands, one module each. Each has an `Args` struct (clap derive) and a small
//! `run(args) -> Result<()>`.

pub mod args;
pub mod clean;
pub mod compare;
pub mod describe;
pub mod evaluate;
pub mod fetch;
pub mod fit;
pub mod live;
pub mod models;
pub mod pcap;
pub mod report;
pub mod score;
pub mod stats;
pub mod tune;
pub mod zeek;

use clap::{CommandFactory, Parser, Subcommand};

use crate::error::{Error, Result};

/// Fast, exact statistics, drift and anomaly detection for the NSL-KDD / KDD Cup 99 data.
#[derive(Debug, Parser)]
#[command(name = "kddstat", version, about, max_term_width = 100)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Exact feature statistics of one or more data files (as pandas describe + value_counts).
    Describe(describe::Args),
    /// Find duplicates, conflicting labels, constant columns and invalid lines; write a cleaned copy.
    Clean(clean::Args),
    /// Per-class profiles, correlations, feature relevance, skewness and data-quality alerts.
    Stats(stats::Args),
    /// Drift between a training and a test file: KS, PSI, TVD, novel labels.
    Compare(compare::Args),
    /// Fit an anomaly detector on normal traffic and save it as a JSON model.
    Fit(fit::Args),
    /// Score records with a saved model: one CSV line (or JSON object) per record.
    Score(score::Args),
    /// Fit (or read) detectors and measure them on test files: ROC AUC, AP, detection rates, score
    /// distributions per attack class.
    Evaluate(evaluate::Args),
    /// Choose a detector's parameters on the training file alone (attack labels held out) and
    /// save the chosen model.
    Tune(tune::Args),
    /// Write the offline HTML/SVG report of a training file and test files: distributions, drift,
    /// detectors and their scores per attack class.
    Report(report::Args),
    /// Traffic summary, scans and KDD connection records of a packet capture (pcap, pcapng).
    Pcap(pcap::Args),
    /// Connection records of live traffic (an interface, a pcap stream, a replayed capture) as
    /// connections end, scored and explained, with alerts.
    Live(live::Args),
    /// The KDD connection records of a Zeek conn.log (TSV or JSON lines), built by the same
    /// connection engine as for captures.
    Zeek(zeek::Args),
    /// Download the NSL-KDD text files from a public mirror, verified by SHA-256.
    Fetch(fetch::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the man page (roff) of kddstat.
    Man,
}

/// Arguments of `kddstat completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    dispatch(cli).map_err(Error::for_command_line)
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Describe(args) => describe::run(args),
        Command::Clean(args) => clean::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Fit(args) => fit::run(args),
        Command::Score(args) => score::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Tune(args) => tune::run(args),
        Command::Report(args) => report::run(args),
        Command::Fetch(args) => fetch::run(args),
        Command::Pcap(args) => pcap::run(args),
        Command::Live(args) => live::run(args),
        Command::Zeek(args) => zeek::run(args),
        Command::Completions(args) => {
            let mut out = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "kddstat", &mut out);
            crate::render::print(&String::from_utf8_lossy(&out))
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(Error::Output)?;
            crate::render::print(&String::from_utf8_lossy(&out))
        }
    }
}

/// Parses a number flag that must be finite (`NaN` and `inf` are refused as the command line is
/// read, before any model or file sees them).
pub fn finite_number(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("'{s}' is not a finite number")),
        Err(_) => Err(format!("'{s}' is not a number")),
    }
}

/// Prints a warning line to standard error.
pub fn warn(message: &str) {
    crate::output::stderr_write(&format!(
        "kddstat: warning: {}\n",
        crate::error::one_line(message)
    ));
}
