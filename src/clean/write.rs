//! The content of cleaned data and quarantined lines; [`crate::output`] writes it atomically.

use std::io::Write;
use std::path::Path;

use polars::prelude::*;

use super::Selection;
use crate::error::{Error, Result};
use crate::load::{Dataset, RejectedLine};
use crate::schema::{self, FEATURES};

/// How an output file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Comma-separated text in the input's layout.
    Csv,
    /// Apache Parquet (readable by pandas and Polars).
    Parquet,
}

impl OutputFormat {
    /// Parquet for a `.parquet` name, CSV otherwise.
    pub fn for_path(path: &Path) -> OutputFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("parquet") => OutputFormat::Parquet,
            _ => OutputFormat::Csv,
        }
    }

    /// The name used in summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Parquet => "parquet",
        }
    }
}

/// Writes the kept records as CSV in the input's layout: each kept line copied verbatim from the
/// input text (so numbers keep their spelling and labels their dots), the header line kept if the
/// input had one. With dropped columns the layout changes, so the output gets a header naming the
/// columns it keeps.
pub fn write_csv(w: &mut dyn Write, ds: &Dataset, text: &[u8], plan: &Selection) -> Result<()> {
    let out = |e: std::io::Error| Error::Output(e);
    let lines = line_starts(text);
    let line = |n: usize| -> &[u8] {
        let start = lines[n - 1];
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        let l = &text[start..end];
        l.strip_suffix(b"\r").unwrap_or(l)
    };
    let kept = KeptFields::new(&plan.dropped_columns);
    if plan.dropped_columns.is_empty() {
        if ds.layout.header {
            let first_data = ds.lines.first().copied().unwrap_or(1) as usize;
            let header = (1..first_data)
                .map(line)
                .rfind(|l| !l.iter().all(u8::is_ascii_whitespace));
            if let Some(h) = header {
                w.write_all(h).map_err(out)?;
                w.write_all(b"\n").map_err(out)?;
            }
        }
        for (row, &n) in ds.lines.iter().enumerate() {
            if plan.keep_row[row] {
                w.write_all(line(n as usize)).map_err(out)?;
                w.write_all(b"\n").map_err(out)?;
            }
        }
    } else {
        kept.header(ds.layout.label, ds.layout.difficulty, w)
            .map_err(out)?;
        for (row, &n) in ds.lines.iter().enumerate() {
            if plan.keep_row[row] {
                kept.line(line(n as usize), w).map_err(out)?;
            }
        }
    }
    Ok(())
}

/// The fields a cleaned copy keeps when it drops columns: each line written without them, under a
/// header naming the columns kept.
pub(crate) struct KeptFields {
    /// For each field of a line, whether it is dropped.
    dropped: Vec<bool>,
}

impl KeptFields {
    /// Drops the features named in `columns`.
    pub(crate) fn new(columns: &[String]) -> KeptFields {
        let dropped = (0..schema::FIELDS_WITH_DIFFICULTY)
            .map(|i| i < FEATURES.len() && columns.iter().any(|c| c == FEATURES[i].name))
            .collect();
        KeptFields { dropped }
    }

    /// Writes one line (without its line end) with the kept fields only.
    pub(crate) fn line(&self, l: &[u8], w: &mut dyn Write) -> std::io::Result<()> {
        let mut first = true;
        for (i, field) in l.split(|b| *b == b',').enumerate() {
            if self.dropped.get(i).copied().unwrap_or(false) {
                continue;
            }
            if !first {
                w.write_all(b",")?;
            }
            w.write_all(field)?;
            first = false;
        }
        w.write_all(b"\n")
    }

    /// Writes the header naming the kept columns of a layout with or without label and
    /// difficulty.
    pub(crate) fn header(
        &self,
        label: bool,
        difficulty: bool,
        w: &mut dyn Write,
    ) -> std::io::Result<()> {
        let mut names: Vec<&str> = FEATURES.iter().map(|f| f.name).collect();
        if label {
            names.push(schema::LABEL);
        }
        if difficulty {
            names.push(schema::DIFFICULTY);
        }
        self.line(names.join(",").as_bytes(), w)
    }
}

/// Byte offset of the start of each line (index 0 is line 1).
fn line_starts(text: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text).map(|i| i + 1))
        .collect()
}

/// Writes the kept rows and columns (the derived `category` included) as Parquet.
pub fn write_parquet(w: &mut dyn Write, ds: &Dataset, plan: &Selection) -> Result<()> {
    let internal = |e: PolarsError| Error::Internal(format!("writing Parquet: {e}"));
    let mask = BooleanChunked::from_slice(PlSmallStr::EMPTY, &plan.keep_row);
    let mut df = ds.frame.filter(&mask).map_err(internal)?;
    for c in &plan.dropped_columns {
        df = df.drop(c).map_err(internal)?;
    }
    ParquetWriter::new(w).finish(&mut df).map_err(internal)?;
    Ok(())
}

/// Writes quarantined lines as CSV: `line,reason,record`.
pub fn write_quarantine(w: &mut dyn Write, rejected: &[RejectedLine]) -> Result<()> {
    let mut csv = ::csv::Writer::from_writer(w);
    let err = Error::from;
    csv.write_record(["line", "reason", "record"])
        .map_err(err)?;
    for r in rejected {
        csv.write_record([r.line.to_string().as_str(), &r.reason, &r.text])
            .map_err(err)?;
    }
    csv.flush().map_err(Error::Output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_starts_index_every_line() {
        assert_eq!(line_starts(b"a\nbc\n\nd"), [0, 2, 5, 6]);
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(
            OutputFormat::for_path(Path::new("x.PARQUET")),
            OutputFormat::Parquet
        );
        assert_eq!(
            OutputFormat::for_path(Path::new("x.csv")),
            OutputFormat::Csv
        );
        assert_eq!(OutputFormat::for_path(Path::new("x")), OutputFormat::Csv);
    }
}
