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

use super::{Dataset, LoadOptions, parse_with};
use crate::error::{Error, Result};
use crate::schema::{self, FEATURES};

/// The first bytes of a Parquet file.
pub const MAGIC: &[u8] = b"PAR1";

/// Reads a Parquet file held in memory.
pub fn read(name: String, bytes: &[u8], options: &LoadOptions) -> Result<Dataset> {
    let bad = |message: String| Error::Archive {
        path: name.clone(),
        message,
    };
    let frame = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    let known = |c: &str| {
        schema::feature(c).is_some()
            || [schema::LABEL, schema::DIFFICULTY, schema::CATEGORY].contains(&c)
    };
    // Columns in schema order; unknown ones are refused (they would be silently ignored otherwise).
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
    let mut text = String::with_capacity(frame.height() * 64 * columns.len() / 10 + 64);
    let header: Vec<&str> = columns.iter().map(|c| c.name().as_str()).collect();
    text.push_str(&header.join(","));
    text.push('\n');
    let cells: Vec<Cells> = columns
        .iter()
        .map(|c| Cells::of(c))
        .collect::<PolarsResult<_>>()
        .map_err(|e| bad(format!("unreadable column: {e}")))?;
    for row in 0..frame.height() {
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            c.write(row, &mut text);
        }
        text.push('\n');
    }
    parse_with(name, text.as_bytes(), options)
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
