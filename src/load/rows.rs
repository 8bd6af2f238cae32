//! Rows that a stage reads once or several times, in chunks, whatever holds them: a file read as
//! a [`Stream`] (bounded memory, read again for each pass), or a [`Dataset`] already in memory
//! (one chunk). A stage written over [`Rows`] has one code path for a small file loaded whole and
//! a file of any size.

use super::stream::Stream;
use super::{Dataset, Input, LoadOptions};
use crate::error::Result;

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
