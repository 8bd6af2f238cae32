//! Parquet input, as `kddstat clean -o x.parquet` writes it (and pandas or Polars can): read with
//! Polars, then written out as headered CSV text and loaded through the same parser as every text
//! file, so a Parquet file gets exactly the validation, subset handling and derived columns a CSV
//! file gets. Errors name the row as a line of that text: row 1 is line 2 (line 1 is the header).
//!
//! The round trip through text costs about the size of the data once more in memory; Parquet
//! inputs are the small, cleaned outputs of `clean`, and the exactness of one validated path is
//! worth more here than the copy.

use std::fmt::Write as _;
use std::io::Cursor;

use polars::prelude::*;
use rayon::prelude::*;

use super::{Dataset, LoadOptions, parse_with};
use crate::error::{Error, Result};
use crate::schema::{self, FEATURES};

/// The first bytes of a Parquet file.
pub const MAGIC: &[u8] = b"PAR1";

/// Reads a Parquet file held in memory.
pub fn read(name: String, bytes: &[u8], options: &LoadOptions) -> Result<Dataset> {
    let frame = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(|e| unreadable(&name, e))?;
    let mut text = String::with_capacity(frame.height() * 128 + 64);
    write_text(&name, &frame, true, &mut text)?;
    parse_with(name, text.as_bytes(), options)
}

fn unreadable(name: &str, e: PolarsError) -> Error {
    Error::Archive {
        path: name.to_string(),
        message: format!("not a readable Parquet file: {e}"),
    }
}

/// Appends the rows of a frame read from Parquet to `text` as CSV lines (after a header line
/// naming its KDD columns in schema order, with `header`); a column that is not a KDD column is
/// refused (it would be silently ignored otherwise).
fn write_text(name: &str, frame: &DataFrame, header: bool, text: &mut String) -> Result<()> {
    let bad = |message: String| Error::Archive {
        path: name.to_string(),
        message,
    };
    let known = |c: &str| {
        schema::feature(c).is_some()
            || [schema::LABEL, schema::DIFFICULTY, schema::CATEGORY].contains(&c)
    };
    let mut order: Vec<&str> = FEATURES.iter().map(|f| f.name).collect();
    order.extend([schema::LABEL, schema::DIFFICULTY]);
    if let Some(c) = frame
        .get_column_names()
        .into_iter()
        .find(|c| !known(c.as_str()))
    {
        return Err(bad(format!(
            "column '{}' is not a KDD column",
            crate::error::show_value(c.as_bytes())
        )));
    }
    let columns: Vec<&Column> = order.iter().filter_map(|n| frame.column(n).ok()).collect();
    if columns.is_empty() {
        return Err(bad("no KDD column in the file".to_string()));
    }
    if header {
        let names: Vec<&str> = columns.iter().map(|c| c.name().as_str()).collect();
        text.push_str(&names.join(","));
        text.push('\n');
    }
    let cells: Vec<Cells> = columns
        .iter()
        .map(|c| Cells::of(c))
        .collect::<PolarsResult<_>>()
        .map_err(|e| bad(format!("unreadable column: {e}")))?;
    // Rows are written in parallel, in pieces joined in row order.
    const PIECE: usize = 8192;
    let pieces: Vec<String> = (0..frame.height().div_ceil(PIECE))
        .into_par_iter()
        .map(|p| {
            let rows = p * PIECE..((p + 1) * PIECE).min(frame.height());
            let mut piece = String::with_capacity(rows.len() * 128);
            for row in rows {
                for (i, c) in cells.iter().enumerate() {
                    if i > 0 {
                        piece.push(',');
                    }
                    c.write(row, &mut piece);
                }
                piece.push('\n');
            }
            piece
        })
        .collect();
    for p in pieces {
        text.push_str(&p);
    }
    Ok(())
}

/// A Parquet file as the CSV text [`read`] makes of it, one row group at a time: a stream of it
/// holds one row group (and its text) in memory, whatever the file's size.
pub struct RowGroupText {
    name: String,
    path: std::path::PathBuf,
    /// (first row, rows) of each row group.
    groups: std::collections::VecDeque<(usize, usize)>,
    /// The file's metadata, read once (not again for each row group).
    meta: std::sync::Arc<polars::io::parquet::read::FileMetadata>,
    first: bool,
    text: Vec<u8>,
    at: usize,
}

impl RowGroupText {
    /// Opens a Parquet file and reads its row groups' sizes.
    pub fn open(name: &str, path: &std::path::Path) -> Result<RowGroupText> {
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: name.to_string(),
            source,
        })?;
        let mut reader = ParquetReader::new(file);
        let meta = reader
            .get_metadata()
            .map_err(|e| unreadable(name, e))?
            .clone();
        let mut start = 0;
        let mut groups = std::collections::VecDeque::new();
        for g in &meta.row_groups {
            groups.push_back((start, g.num_rows()));
            start += g.num_rows();
        }
        Ok(RowGroupText {
            name: name.to_string(),
            path: path.to_path_buf(),
            groups,
            meta,
            first: true,
            text: Vec::new(),
            at: 0,
        })
    }

    /// The text of the next row group (with the header first), or `false` after the last.
    fn next_group(&mut self) -> Result<bool> {
        let Some((start, rows)) = self.groups.pop_front() else {
            if self.first {
                // No row group: the header alone, as the whole read gives it.
                self.first = false;
                let file = std::fs::File::open(&self.path).map_err(|source| Error::Io {
                    path: self.name.clone(),
                    source,
                })?;
                let frame = ParquetReader::new(file)
                    .finish()
                    .map_err(|e| unreadable(&self.name, e))?;
                let mut text = String::new();
                write_text(&self.name, &frame, true, &mut text)?;
                self.text = text.into_bytes();
                self.at = 0;
                return Ok(true);
            }
            return Ok(false);
        };
        let file = std::fs::File::open(&self.path).map_err(|source| Error::Io {
            path: self.name.clone(),
            source,
        })?;
        let mut reader = ParquetReader::new(file);
        reader.set_metadata(self.meta.clone());
        let frame = reader
            .with_slice(Some((start, rows)))
            .finish()
            .map_err(|e| unreadable(&self.name, e))?;
        // Sized by the rows read, never by the count the file's metadata claims.
        let mut text = String::with_capacity(frame.height().min(1 << 20) * 128);
        write_text(&self.name, &frame, self.first, &mut text)?;
        self.first = false;
        self.text = text.into_bytes();
        self.at = 0;
        Ok(true)
    }
}

impl std::io::Read for RowGroupText {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.text.len() {
            if !self.next_group().map_err(std::io::Error::other)? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.text.len() - self.at);
        buf[..n].copy_from_slice(&self.text[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// One column's values, typed for writing as text.
enum Cells {
    Int(Int64Chunked),
    Float(Float64Chunked),
    Str(StringChunked),
}

impl Cells {
    fn of(c: &Column) -> PolarsResult<Cells> {
        Ok(match c.dtype() {
            DataType::String => Cells::Str(c.str()?.clone()),
            DataType::Float32 | DataType::Float64 => {
                Cells::Float(c.cast(&DataType::Float64)?.f64()?.clone())
            }
            dt if dt.is_integer() || dt.is_bool() => {
                Cells::Int(c.cast(&DataType::Int64)?.i64()?.clone())
            }
            _ => Cells::Str(c.cast(&DataType::String)?.str()?.clone()),
        })
    }

    /// Writes one value; a null becomes an empty field (which the parser reports as missing).
    fn write(&self, row: usize, out: &mut String) {
        match self {
            Cells::Int(ca) => {
                if let Some(v) = ca.get(row) {
                    let _ = write!(out, "{v}");
                }
            }
            Cells::Float(ca) => {
                if let Some(v) = ca.get(row) {
                    let _ = write!(out, "{v}");
                }
            }
            Cells::Str(ca) => {
                if let Some(v) = ca.get(row) {
                    out.push_str(v);
                }
            }
        }
    }
}
