//! `kddstat fetch`: downloads the NSL-KDD text files, verified by SHA-256.

use std::path::PathBuf;

use super::args::{ForceArg, QuietArg, Ui};
use crate::data::{self, Location};
use crate::error::{Error, Result};
use crate::fetch::Outcome;
use crate::render::{self, thousands};

/// Arguments of `kddstat fetch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to write the files to [default: $KDDSTAT_DATA, else datasets].
    #[arg(short, long, alias = "dir", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Base URL of the mirror (the file names are appended) [default: $KDDSTAT_MIRROR, else the
    /// GitHub mirror defcom17/NSL_KDD].
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Replace.
    #[command(flatten)]
    pub force: ForceArg,
    /// Quiet.
    #[command(flatten)]
    pub quiet: QuietArg,
}

/// Runs `kddstat fetch`.
pub fn run(args: Args) -> Result<()> {
    let ui = Ui::new(args.quiet.quiet);
    let dir = match &args.output {
        Some(d) => d.clone(),
        None => match Location::from_env() {
            Location::Folder(d) => d,
            Location::Archive(a) => {
                return Err(Error::Usage(format!(
                    "{} names {}, a file: the data is already there (name a folder with -o DIR \
                     to download the text files)",
                    data::DATA_ENV,
                    a.display()
                )));
            }
        },
    };
    let url = args.url.clone().unwrap_or_else(data::mirror);
    let done = super::args::download(&url, &dir, args.force.force, &ui)?;
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
