//! The subcommands, one module each. Each has an `Args` struct (clap derive) and a small
//! `run(args) -> Result<()>`.

pub mod clean;
pub mod compare;
pub mod describe;
pub mod evaluate;
pub mod fetch;
pub mod fit;
pub mod pcap;
pub mod report;
pub mod score;
pub mod stats;

use clap::{Parser, Subcommand};

use crate::error::Result;

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
    /// Score records with a saved model: one CSV line per record.
    Score(score::Args),
    /// Fit (or read) detectors and measure them on test files: ROC AUC, AP, detection rates, score
    /// distributions per attack class.
    Evaluate(evaluate::Args),
    /// Write the offline HTML/SVG report of a training file and test files: distributions, drift,
    /// detectors and their scores per attack class.
    Report(report::Args),
    /// Traffic summary, scans and KDD connection records of a packet capture (pcap, pcapng).
    Pcap(pcap::Args),
    /// Download the NSL-KDD text files from a public mirror, verified by SHA-256.
    Fetch(fetch::Args),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Describe(args) => describe::run(args),
        Command::Clean(args) => clean::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Fit(args) => fit::run(args),
        Command::Score(args) => score::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Report(args) => report::run(args),
        Command::Fetch(args) => fetch::run(args),
        Command::Pcap(args) => pcap::run(args),
    }
}

/// Prints a warning line to standard error.
pub fn warn(message: &str) {
    eprintln!("kddstat: warning: {message}");
}
