//! # kddstat
//!
//! Fast, exact network-traffic analytics for the NSL-KDD intrusion-detection dataset and its KDD Cup
//! 99 family (the same 41 connection features).
//!
//! The library owns the pipeline; the `kddstat` binary only parses arguments and maps errors to exit
//! codes. Stages, one module each:
//!
//! - [`schema`]: the one encoding of the record layout: the 41 features with their types, the label
//!   and difficulty columns, and the attack-to-category map;
//! - [`load`]: reads NSL-KDD and KDD Cup 99 files (plain, gzip, zip, standard input) into a typed
//!   Polars [`DataFrame`](polars::prelude::DataFrame) with a parser specialised to the layout,
//!   validating every field and reporting the file, line and column of the first bad one;
//! - [`clean`]: duplicates, conflicting labels, constant columns, and cleaned copies written
//!   atomically;
//! - [`stats`]: exact statistics defined as their pandas / numpy counterparts (`describe`);
//! - [`detect`] and [`evaluate`]: anomaly detectors fitted on normal traffic, and how well they
//!   separate attacks (ROC AUC, average precision, curves, rates per category and label);
//! - [`model`]: the one model abstraction: each detector and classifier is a parameter struct
//!   validated in one place and a fitted state behind one trait;
//! - [`render`]: tables, Markdown, CSV and JSON output;
//! - [`report`]: the offline HTML/SVG report folder built from all the stages above;
//! - [`capture`]: packet captures read into traffic statistics, scans and KDD connection records;
//! - [`live`]: the same records from an interface, a pipe or a replayed capture as connections
//!   end, scored and explained, alerts as JSON lines;
//! - [`fetch`]: downloads the NSL-KDD files from a mirror, verified by SHA-256; [`data`]: where
//!   the NSL-KDD files are found when a command is not told;
//! - [`output`]: the one output module: destination checks, atomic files and folders, checksums;
//! - [`cmd`]: one module per subcommand, each a small `run(args)`.
//!
//! ```no_run
//! use kddstat::load::load_path;
//! use kddstat::stats::{describe, DescribeOptions};
//!
//! let ds = load_path("KDDTrain+.txt")?;
//! let summary = describe(&ds, &DescribeOptions::default())?;
//! println!("{} rows, mean src_bytes {}", summary.rows, summary.numeric.get("src_bytes").unwrap().mean);
//! # Ok::<(), kddstat::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod capture;
pub mod classify;
pub mod clean;
pub mod cmd;
pub mod connection;
pub mod data;
pub mod detect;
pub mod error;
pub mod evaluate;
pub mod fetch;
pub mod format;
pub mod live;
pub mod load;
pub mod model;
pub mod output;
pub mod render;
pub mod report;
pub mod schema;
pub mod stats;
pub mod table;

pub use error::{Error, Result};
