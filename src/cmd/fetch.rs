//! `kddstat fetch`: downloads the NSL-KDD text files, verified by SHA-256.

use std::path::PathBuf;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::Result;
use crate::fetch::{self, Outcome};
use crate::render::{self, thousands};

/// Arguments of `kddstat fetch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to write the files to.
    #[arg(long, value_name = "DIR", default_value = "datasets")]
    pub dir: PathBuf,
    /// Base URL of the mirror (the file names are appended).
    #[arg(long, value_name = "URL", default_value = fetch::DEFAULT_URL)]
    pub url: String,
    /// Replace files that exist with another checksum.
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `kddstat fetch`.
pub fn run(args: Args) -> Result<()> {
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} {bytes}/{total_bytes} {wide_bar}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let current = Mutex::new(String::new());
    let progress = |name: &str, done: u64, total: Option<u64>| {
        if let Ok(mut c) = current.lock()
            && *c != name
        {
            *c = name.to_string();
            bar.set_message(name.to_string());
        }
        bar.set_length(total.unwrap_or(done));
        bar.set_position(done);
    };
    let done = fetch::fetch(&args.url, &args.dir, args.force, &progress)?;
    bar.finish_and_clear();
    let mut out = String::new();
    for (path, outcome) in done {
        let what = match outcome {
            Outcome::Downloaded(n) => {
                format!("downloaded, {} bytes, SHA-256 verified", thousands(n))
            }
            Outcome::Present => "already present, SHA-256 verified".to_string(),
        };
        out.push_str(&format!("{}: {what}\n", path.display()));
    }
    render::print(&out)
}
