//! Parquet input, as `kddstat clean -o x.parquet` writes it (and pandas or Polars can): read with
//! Polars, then written out as headered CSV text and loaded through the same parser as every text
//! file, so a Parquet file gets exactly the validation, subset handling and derived columns a CSV
//! file gets. Errors name the row as a line of that text: row 1 is line 2 (line 1 is the header).
//!
//! A file is read one row group at a time, and its footer is checked before any row group is
//! decoded, as a decompressed input is (a footer is a claim, not a fact):
//! - every column has a type kddstat reads (integers, floats, booleans, strings); a Decimal, Map,
//!   List, dictionary or other column is refused in one line naming it;
//! - a row group holds at most [`MAX_GROUP_ROWS`] rows and [`MAX_GROUP_BYTES`] decoded bytes (its
//!   column chunks' uncompressed sizes), and the file at most `--max-decompressed` in all;
//! - every column chunk holds as many values as its row group claims rows (a footer claiming more
//!   rows than its chunks hold is refused, never indexed past);
//! - every page header of every column chunk is read before the row group is decoded: the pages
//!   lie inside their chunk, claim no more values than the chunk holds and no more than
//!   [`MAX_GROUP_BYTES`] decoded (Polars sizes its buffers by these claims: a page claiming 2^61
//!   values would abort the process, found by `tests/fuzz.rs`).
//!
//! The round trip through text costs about one row group's text once more in memory; the
//! exactness of one validated path is worth more here than the copy.

use std::fmt::Write as _;
use std::io::Cursor;
use std::sync::Arc;

use polars::prelude::*;
use rayon::prelude::*;

use super::{Dataset, LoadOptions, parse_with};
use crate::error::{Error, Result};
use crate::schema::{self, FEATURES};

/// The first bytes of a Parquet file.
pub const MAGIC: &[u8] = b"PAR1";

/// The most rows one row group may hold: pyarrow's default row group size (1,048,576 rows; Polars
/// writes 262,144). About 350 MB decoded for the 43 KDD columns.
pub const MAX_GROUP_ROWS: usize = 1 << 20;

/// The most decoded bytes (the uncompressed sizes of its column chunks) one row group may hold.
pub const MAX_GROUP_BYTES: u64 = 1 << 30;

/// Reads a Parquet file held in memory (compressed, or from standard input), a row group at a
/// time, with the checks of [`RowGroupText`].
pub fn read(name: String, bytes: &[u8], options: &LoadOptions) -> Result<Dataset> {
    let mut groups = RowGroupText::new(
        &name,
        Source::Bytes(Arc::from(bytes)),
        options.limits.max_decompressed,
    )?;
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut groups, &mut text).map_err(|e| unwrap_io(&name, e))?;
    parse_with(name, &text, options)
}

/// The error a [`RowGroupText`] reader carried through `std::io`.
fn unwrap_io(name: &str, e: std::io::Error) -> Error {
    match e.downcast::<Error>() {
        Ok(inner) => inner,
        Err(e) => Error::Io {
            path: name.to_string(),
            source: e,
        },
    }
}

/// Runs a call into Polars' Parquet reader, turning a panic of its decoder (a corrupted footer
/// trips assertions in its thrift parser: found by `tests/fuzz.rs`) into a one-line error; the
/// panic message is not printed meanwhile.
fn guarded<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    out.unwrap_or_else(|_| {
        Err(Error::Archive {
            path: name.to_string(),
            message: "a damaged Parquet file: its metadata or pages cannot be decoded".into(),
        })
    })
}

fn unreadable(name: &str, e: PolarsError) -> Error {
    Error::Archive {
        path: name.to_string(),
        message: format!("not a readable Parquet file: {e}"),
    }
}

/// The bytes `start..end` of a Parquet file (a column chunk), refused when they lie outside it.
fn read_range(name: &str, source: &Source, start: u64, end: u64) -> Result<Vec<u8>> {
    let outside = || Error::Archive {
        path: name.to_string(),
        message: "a damaged Parquet file: a column chunk lies outside the file".into(),
    };
    if end < start {
        return Err(outside());
    }
    match source {
        Source::Bytes(b) => {
            let (s, e) = (usize::try_from(start), usize::try_from(end));
            match (s, e) {
                (Ok(s), Ok(e)) if e <= b.len() => Ok(b[s..e].to_vec()),
                _ => Err(outside()),
            }
        }
        Source::Path(p) => {
            use std::io::{Read, Seek, SeekFrom};
            let io = |source| Error::Io {
                path: name.to_string(),
                source,
            };
            let mut f = std::fs::File::open(p).map_err(io)?;
            if end > f.metadata().map_err(io)?.len() {
                return Err(outside());
            }
            f.seek(SeekFrom::Start(start)).map_err(io)?;
            let mut out = Vec::with_capacity((end - start) as usize);
            f.take(end - start).read_to_end(&mut out).map_err(io)?;
            Ok(out)
        }
    }
}

/// Where a Parquet file's bytes are.
#[derive(Clone)]
enum Source {
    Path(std::path::PathBuf),
    Bytes(Arc<[u8]>),
}

/// The largest page header read (its statistics included).
const MAX_PAGE_HEADER: usize = 16 << 20;

/// Checks the page headers of one column chunk (`bytes`, the chunk's byte range of the file):
/// pages inside the chunk, values within the chunk's, decoded sizes within the limit.
fn check_pages(bytes: &[u8], values: usize) -> std::result::Result<(), String> {
    use polars_parquet_format::thrift::protocol::TCompactInputProtocol;
    let mut rest = bytes;
    let mut seen = 0usize;
    while seen < values {
        if rest.is_empty() {
            return Err(format!(
                "its pages hold {seen} of the {values} values it claims"
            ));
        }
        let mut cursor = rest;
        let header = {
            let mut prot = TCompactInputProtocol::new(&mut cursor, MAX_PAGE_HEADER);
            polars_parquet_format::PageHeader::read_from_in_protocol(&mut prot)
                .map_err(|e| format!("a page header cannot be read ({e})"))?
        };
        let size = usize::try_from(header.compressed_page_size)
            .ok()
            .filter(|s| *s <= cursor.len())
            .ok_or("a page reaches past its column chunk")?;
        if u64::try_from(header.uncompressed_page_size).map_or(true, |u| u > MAX_GROUP_BYTES) {
            return Err(format!(
                "a page claims {} decoded bytes",
                header.uncompressed_page_size
            ));
        }
        let claimed = if let Some(d) = &header.dictionary_page_header {
            let n = usize::try_from(d.num_values).map_err(|_| "a negative dictionary size")?;
            if n > values.max(1) {
                return Err(format!("a dictionary of {n} values for {values} values"));
            }
            0
        } else if let Some(d) = &header.data_page_header {
            usize::try_from(d.num_values).map_err(|_| "a negative value count")?
        } else if let Some(d) = &header.data_page_header_v2 {
            if d.num_nulls < 0 || d.num_nulls > d.num_values || d.num_rows < 0 {
                return Err("a page's null and row counts do not fit its values".into());
            }
            usize::try_from(d.num_values).map_err(|_| "a negative value count")?
        } else {
            0
        };
        seen = seen
            .checked_add(claimed)
            .filter(|s| *s <= values)
            .ok_or_else(|| format!("its pages claim more than the {values} values it holds"))?;
        rest = &cursor[size..];
    }
    Ok(())
}

/// Arrow types whose values kddstat reads: integers, floats, booleans, strings and null columns.
fn readable(dtype: &ArrowDataType) -> bool {
    use ArrowDataType as A;
    matches!(
        dtype,
        A::Null
            | A::Boolean
            | A::Int8
            | A::Int16
            | A::Int32
            | A::Int64
            | A::UInt8
            | A::UInt16
            | A::UInt32
            | A::UInt64
            | A::Float32
            | A::Float64
            | A::Utf8
            | A::LargeUtf8
            | A::Utf8View
    )
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
/// holds one row group (and its text) in memory, whatever the file's size. The footer is checked
/// when it is opened (see the module doc).
pub struct RowGroupText {
    name: String,
    source: Source,
    /// (first row, rows) of each row group.
    groups: std::collections::VecDeque<(usize, usize)>,
    /// The file's metadata, read once (not again for each row group).
    meta: Arc<polars::io::parquet::read::FileMetadata>,
    first: bool,
    text: Vec<u8>,
    at: usize,
}

impl RowGroupText {
    /// Opens a Parquet file and checks its footer.
    pub fn open(name: &str, path: &std::path::Path, max_decompressed: u64) -> Result<RowGroupText> {
        Self::new(name, Source::Path(path.to_path_buf()), max_decompressed)
    }

    fn reader(&self) -> Result<ParquetReader<Box<dyn polars::io::mmap::MmapBytesReader>>> {
        Self::reader_of(&self.name, &self.source)
    }

    fn reader_of(
        name: &str,
        source: &Source,
    ) -> Result<ParquetReader<Box<dyn polars::io::mmap::MmapBytesReader>>> {
        let inner: Box<dyn polars::io::mmap::MmapBytesReader> = match source {
            Source::Path(p) => Box::new(std::fs::File::open(p).map_err(|source| Error::Io {
                path: name.to_string(),
                source,
            })?),
            Source::Bytes(b) => Box::new(Cursor::new(b.to_vec())),
        };
        Ok(ParquetReader::new(inner))
    }

    fn new(name: &str, source: Source, max_decompressed: u64) -> Result<RowGroupText> {
        guarded(name, || Self::checked(name, source, max_decompressed))
    }

    fn checked(name: &str, source: Source, max_decompressed: u64) -> Result<RowGroupText> {
        let bad = |message: String| Error::Limit {
            path: name.to_string(),
            message,
        };
        let mut reader = Self::reader_of(name, &source)?;
        let schema = reader.schema().map_err(|e| unreadable(name, e))?;
        for field in schema.iter_values() {
            if !readable(field.dtype()) {
                return Err(Error::Archive {
                    path: name.to_string(),
                    message: format!(
                        "column '{}' is of the Parquet type {:?}, which kddstat does not read \
                         (integers, floats, booleans and strings only): cast or drop it",
                        crate::error::show_value(field.name.as_bytes()),
                        field.dtype()
                    ),
                });
            }
        }
        let meta = reader
            .get_metadata()
            .map_err(|e| unreadable(name, e))?
            .clone();
        let mut start = 0usize;
        let mut total = 0u64;
        let mut groups = std::collections::VecDeque::new();
        for (i, g) in meta.row_groups.iter().enumerate() {
            let rows = g.num_rows();
            if rows > MAX_GROUP_ROWS {
                return Err(bad(format!(
                    "row group {} claims {rows} rows, past the limit of {MAX_GROUP_ROWS} rows per \
                     row group: write the file with smaller row groups",
                    i + 1
                )));
            }
            let mut bytes = 0u64;
            for c in g.parquet_columns() {
                if usize::try_from(c.num_values()).ok() != Some(rows) {
                    return Err(Error::Archive {
                        path: name.to_string(),
                        message: format!(
                            "damaged Parquet footer: row group {} claims {rows} rows but its \
                             column '{}' holds {} values",
                            i + 1,
                            crate::error::show_value(
                                c.descriptor().path_in_schema.join(".").as_bytes()
                            ),
                            c.num_values()
                        ),
                    });
                }
                bytes =
                    bytes.saturating_add(u64::try_from(c.uncompressed_size()).unwrap_or(u64::MAX));
            }
            for c in g.parquet_columns() {
                let range = c.byte_range();
                if range.end.saturating_sub(range.start) > MAX_GROUP_BYTES {
                    return Err(bad(format!(
                        "row group {} has a column chunk of more than {MAX_GROUP_BYTES} bytes: \
                         write the file with smaller row groups",
                        i + 1
                    )));
                }
                let chunk = read_range(name, &source, range.start, range.end)?;
                check_pages(&chunk, rows).map_err(|why| Error::Archive {
                    path: name.to_string(),
                    message: format!(
                        "a damaged Parquet file: row group {}, column '{}': {why}",
                        i + 1,
                        crate::error::show_value(
                            c.descriptor().path_in_schema.join(".").as_bytes()
                        )
                    ),
                })?;
            }
            if bytes > MAX_GROUP_BYTES {
                return Err(bad(format!(
                    "row group {} decodes to {bytes} bytes, past the limit of {MAX_GROUP_BYTES} \
                     bytes per row group: write the file with smaller row groups",
                    i + 1
                )));
            }
            total = total.saturating_add(bytes);
            if total > max_decompressed {
                return Err(bad(format!(
                    "decodes to more than {max_decompressed} bytes (--max-decompressed)"
                )));
            }
            groups.push_back((start, rows));
            start += rows;
        }
        Ok(RowGroupText {
            name: name.to_string(),
            source,
            groups,
            meta,
            first: true,
            text: Vec::new(),
            at: 0,
        })
    }

    /// The text of the next row group (with the header first), or `false` after the last.
    fn next_group(&mut self) -> Result<bool> {
        let name = self.name.clone();
        guarded(&name, || self.decode_next())
    }

    fn decode_next(&mut self) -> Result<bool> {
        let Some((start, rows)) = self.groups.pop_front() else {
            if self.first {
                // No row group: the header alone, as the whole read gives it.
                self.first = false;
                let frame = self
                    .reader()?
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
        let mut reader = self.reader()?;
        reader.set_metadata(self.meta.clone());
        let frame = reader
            .with_slice(Some((start, rows)))
            .finish()
            .map_err(|e| unreadable(&self.name, e))?;
        if frame.height() != rows {
            return Err(Error::Archive {
                path: self.name.clone(),
                message: format!(
                    "damaged Parquet file: a row group of {rows} rows gave {}",
                    frame.height()
                ),
            });
        }
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
