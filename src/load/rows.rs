//! Rows that a stage reads once or several times, in chunks, whatever holds them: a file read as
//! a [`Stream`] (bounded memory, read again for each pass), or a [`Dataset`] already in memory
//! (one chunk). A stage written over [`Rows`] has one code path for a small file loaded whole and
//! a file of any size.

use super::stream::Stream;
use super::{Dataset, Input, LoadOptions};
use crate::error::{Error, Result};

/// Rows to read in chunks.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    /// A file, read from its start at each [`Rows::open`].
    File(&'a Input, &'a LoadOptions),
    /// A dataset in memory: one chunk.
    Frame(&'a Dataset),
}

impl Rows<'_> {
    /// The chunks, from the first row.
    pub fn open(&self) -> Result<Chunks> {
        Ok(match self {
            Rows::File(input, options) => Chunks::Stream(Box::new(Stream::open(input, options)?)),
            Rows::Frame(ds) => Chunks::Frame(Some((*ds).clone())),
        })
    }
}

/// The chunks of [`Rows`].
pub enum Chunks {
    /// Chunks of a file.
    Stream(Box<Stream>),
    /// The one chunk of a dataset in memory (a cheap clone: the columns are shared).
    Frame(Option<Dataset>),
}

impl Iterator for Chunks {
    type Item = Result<Dataset>;

    fn next(&mut self) -> Option<Result<Dataset>> {
        match self {
            Chunks::Stream(s) => s.next(),
            Chunks::Frame(ds) => ds.take().map(Ok),
        }
    }
}

/// An input held as a stage reads it several times: in memory when it fits one block (or cannot
/// be read twice: standard input), else its file, read in chunks each time.
#[derive(Debug, Clone)]
pub enum HeldInput {
    /// Loaded whole, with the SHA-256 of its text.
    Whole(Dataset, String),
    /// Read from its file in chunks at each pass.
    File(Input, LoadOptions),
}

impl HeldInput {
    /// Holds an input: loads it whole when it fits one block or cannot be read twice.
    pub fn read(input: &Input, options: &LoadOptions) -> Result<HeldInput> {
        if !super::stream::fits_one_block(input)
            && matches!(input, Input::Path(_) | Input::Member { .. })
        {
            return Ok(HeldInput::File(input.clone(), options.clone()));
        }
        let (ds, raw) = super::load_with_source(input, options)?;
        let sha = crate::output::sha256_hex(&raw.bytes);
        Ok(HeldInput::Whole(ds, sha))
    }

    /// Its rows.
    pub fn rows(&self) -> Rows<'_> {
        match self {
            HeldInput::Whole(ds, _) => Rows::Frame(ds),
            HeldInput::File(input, options) => Rows::File(input, options),
        }
    }

    /// The dataset, when held whole.
    pub fn whole(&self) -> Option<&Dataset> {
        match self {
            HeldInput::Whole(ds, _) => Some(ds),
            HeldInput::File(..) => None,
        }
    }

    /// The SHA-256 of its text (a file read in chunks is read through once more, unparsed).
    pub fn sha256(&self) -> Result<String> {
        match self {
            HeldInput::Whole(_, sha) => Ok(sha.clone()),
            HeldInput::File(input, options) => Stream::text_sha256(input, options),
        }
    }
}

/// The error for a file whose rows differ between two passes.
pub fn changed(name: &str) -> Error {
    Error::Io {
        path: name.to_string(),
        source: std::io::Error::other(
            "the file changed while it was read (its rows differ between two passes); run \
             again once it is complete",
        ),
    }
}
