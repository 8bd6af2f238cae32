//! The loader: any common form of the NSL-KDD / KDD Cup 99 data into one typed Polars frame.
//!
//! What it reads, recognised from the content alone:
//! - NSL-KDD text files: no header, 43 fields (41 features, label, difficulty) or 42 (no difficulty);
//! - KDD Cup 99 files: 42 fields, with or without a header row (recognised even with misspelled names;
//!   columns go by position), labels with or without the trailing dot;
//! - the same compressed with gzip, or inside a zip archive ([`source`]); `-` reads standard input.
//!
//! The frame has the 41 features in file order (`Int64` counts and indicators, `Float64` rates,
//! `String` symbols), then `label`, `difficulty` (`Int64`, NSL-KDD files only) and the derived
//! `category`. Every field is validated against the [`schema`](crate::schema::FEATURES); the first bad one stops
//! the load with its file, line and column ([`Error`]).

pub mod parquet;
pub mod rows;
pub mod sample;
pub mod source;
pub mod stream;

mod parse;

pub(crate) use parse::{HUNDREDTHS, N_INT, N_RATE, N_STR, Row, Sink, slot_names};

use polars::prelude::*;

use crate::error::{Error, Result};
use rayon::prelude::*;

use crate::schema::{self, FEATURES, Kind};

pub use source::Input;

/// How an input lays out its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The first line is a header row.
    pub header: bool,
    /// Each line has a label (41 fields without one).
    pub label: bool,
    /// Each line ends with the difficulty level (43 fields, NSL-KDD).
    pub difficulty: bool,
    /// Labels end with a dot (`normal.`), as in the original KDD Cup 99 files.
    pub dotted_labels: bool,
}

impl Layout {
    /// A short description for people: "NSL-KDD (43 fields)", "KDD Cup 99 with header (42 fields)".
    pub fn describe(&self) -> String {
        let (family, fields) = if !self.label {
            ("unlabelled", schema::FIELDS_WITHOUT_LABEL)
        } else if self.difficulty {
            ("NSL-KDD", schema::FIELDS_WITH_DIFFICULTY)
        } else {
            ("KDD Cup 99", schema::FIELDS_WITHOUT_DIFFICULTY)
        };
        let mut extras = Vec::new();
        if self.header {
            extras.push("header row");
        }
        if self.dotted_labels {
            extras.push("dotted labels");
        }
        let extras = if extras.is_empty() {
            String::new()
        } else {
            format!(", {}", extras.join(", "))
        };
        format!("{family} layout, {fields} fields{extras}")
    }
}

/// Options of a load.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The member of a zip archive to read; without it, the archive's only data file.
    pub entry: Option<String>,
    /// Set lines that fail validation aside in [`Dataset::rejected`] instead of stopping at the
    /// first one.
    pub set_aside_invalid: bool,
    /// Limits on decompression.
    pub limits: source::Limits,
}

/// A line set aside because it failed validation (with [`LoadOptions::set_aside_invalid`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedLine {
    /// 1-based line number.
    pub line: usize,
    /// The line's text.
    pub text: String,
    /// What is wrong, as the error message would say it after `file:line: `.
    pub reason: String,
}

/// A loaded data file.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The input's name as shown in messages and output (`archive.zip!entry` for archive members).
    pub name: String,
    /// How the input was laid out.
    pub layout: Layout,
    /// The typed records.
    pub frame: DataFrame,
    /// The 1-based line number of each row in the (decompressed) text.
    pub lines: Vec<u32>,
    /// Labels the category map does not know, with their row counts, most frequent first.
    pub unknown_labels: Vec<(String, usize)>,
    /// Lines set aside as invalid, in file order (empty unless asked for).
    pub rejected: Vec<RejectedLine>,
    /// Feature columns the input does not have (a headered CSV naming a subset of the columns,
    /// such as `kddstat clean --drop-constant` writes), in schema order.
    pub absent: Vec<&'static str>,
    /// Rows whose label had a trailing dot (KDD Cup 99's spelling); the layout says "dotted
    /// labels" when they are the majority.
    pub dotted: usize,
}

impl Dataset {
    /// Number of records.
    pub fn rows(&self) -> usize {
        self.frame.height()
    }

    /// The rows at `rows`, in that order, as a dataset of their own.
    pub fn take(&self, rows: &[usize]) -> Result<Dataset> {
        let idx: Vec<polars::prelude::IdxSize> = rows
            .iter()
            .map(|&r| {
                polars::prelude::IdxSize::try_from(r).unwrap_or(polars::prelude::IdxSize::MAX)
            })
            .collect();
        let idx = polars::prelude::IdxCa::from_vec("idx".into(), idx);
        let frame = self
            .frame
            .take(&idx)
            .map_err(|e| Error::Internal(format!("{}: taking rows: {e}", self.name)))?;
        Ok(Dataset {
            name: self.name.clone(),
            layout: self.layout,
            frame,
            lines: rows
                .iter()
                .map(|&r| self.lines.get(r).copied().unwrap_or(0))
                .collect(),
            unknown_labels: Vec::new(),
            rejected: Vec::new(),
            absent: self.absent.clone(),
            dotted: 0,
        })
    }

    /// Warnings a person should see (one line each), such as labels of unknown category.
    pub fn warnings(&self) -> Vec<String> {
        unknown_label_warnings(&self.name, &self.unknown_labels)
    }

    /// The contiguous pieces of an `Int64` column (the frame is built without nulls).
    pub fn i64_chunks(&self, column: &str) -> Result<Vec<&[i64]>> {
        let ca = self
            .column(column)?
            .i64()
            .map_err(|e| polars_error(column, e))?;
        Ok(ca.downcast_iter().map(|a| a.values().as_slice()).collect())
    }

    /// The contiguous pieces of a `Float64` column.
    pub fn f64_chunks(&self, column: &str) -> Result<Vec<&[f64]>> {
        let ca = self
            .column(column)?
            .f64()
            .map_err(|e| polars_error(column, e))?;
        Ok(ca.downcast_iter().map(|a| a.values().as_slice()).collect())
    }

    /// A numeric column's values as `f64`, in row order (integers converted, rates as they are).
    pub fn f64_values(&self, column: &str) -> Result<Vec<f64>> {
        let is_float = matches!(self.column(column)?.dtype(), DataType::Float64);
        Ok(if is_float {
            self.f64_chunks(column)?.concat()
        } else {
            self.i64_chunks(column)?
                .iter()
                .flat_map(|c| c.iter().map(|&v| v as f64))
                .collect()
        })
    }

    /// Codes for a `String` column's values: the first value seen is 0, the next new one 1, ...
    pub fn str_codes(&self, column: &str) -> Result<Vec<u32>> {
        let mut map: foldhash::HashMap<&str, u32> = foldhash::HashMap::default();
        Ok(self
            .str_values(column)?
            .map(|v| {
                let next = map.len() as u32;
                *map.entry(v).or_insert(next)
            })
            .collect())
    }

    /// The values of a `String` column, in row order.
    pub fn str_values(&self, column: &str) -> Result<impl Iterator<Item = &str> + '_> {
        let ca = self
            .column(column)?
            .str()
            .map_err(|e| polars_error(column, e))?;
        Ok(ca.iter().map(|v| v.unwrap_or("")))
    }

    /// Whether the frame has this column.
    pub fn has_column(&self, column: &str) -> bool {
        self.frame.column(column).is_ok()
    }

    /// Refuses a dataset without all 41 features, for the work that needs every one (`what`: the
    /// command or stage, for the message).
    pub fn require_all_features(&self, what: &str) -> Result<()> {
        require_all_features(&self.name, &self.absent, what)
    }

    fn column(&self, column: &str) -> Result<&Column> {
        self.frame
            .column(column)
            .map_err(|_| Error::Internal(format!("{}: no column '{column}'", self.name)))
    }
}

fn polars_error(column: &str, e: PolarsError) -> Error {
    Error::Internal(format!("column '{column}': {e}"))
}

/// Refuses an input named `name` that lacks the features `absent`, for the work that needs every
/// one (`what`: the command or stage, for the message).
pub fn require_all_features(name: &str, absent: &[&str], what: &str) -> Result<()> {
    if absent.is_empty() {
        return Ok(());
    }
    Err(Error::Header {
        path: name.to_string(),
        message: format!(
            "the file lacks {} of the 41 features ({}); {what} needs all of them (a file \
             written by `kddstat clean --drop-constant` serves describe only)",
            absent.len(),
            absent.join(", ")
        ),
    })
}

/// The warnings about labels of unknown category in `name` (label, rows).
pub fn unknown_label_warnings(name: &str, unknown: &[(String, usize)]) -> Vec<String> {
    unknown
        .iter()
        .map(|(label, n)| {
            format!(
                "{name}: label '{}' is not in the attack map ({n} row{}): its category is 'unknown'",
                crate::error::show_value(label.as_bytes()),
                if *n == 1 { "" } else { "s" }
            )
        })
        .collect()
}

/// Adds a chunk's labels of unknown category to those of the chunks before (most frequent
/// first, as [`Dataset::unknown_labels`]).
pub fn add_unknown_labels(total: &mut Vec<(String, usize)>, chunk: &[(String, usize)]) {
    for (label, n) in chunk {
        match total.iter_mut().find(|(l, _)| l == label) {
            Some((_, t)) => *t += n,
            None => total.push((label.clone(), *n)),
        }
    }
    total.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
}

/// Loads one input.
pub fn load(input: &Input, options: &LoadOptions) -> Result<Dataset> {
    Ok(load_with_source(input, options)?.0)
}

/// Loads one input and keeps its decompressed text too (to copy records verbatim).
pub fn load_with_source(
    input: &Input,
    options: &LoadOptions,
) -> Result<(Dataset, source::SourceText)> {
    let raw = source::read_input_with(input, options.entry.as_deref(), options.limits)?;
    let ds = parse_any(&raw, options)?;
    Ok((ds, raw))
}

/// Parses decompressed bytes of any layout: Parquet, a Zeek `conn.log` (its connections become
/// records through the connection engine) or KDD text.
pub fn parse_any(raw: &source::SourceText, options: &LoadOptions) -> Result<Dataset> {
    if raw.bytes.starts_with(parquet::MAGIC) {
        return parquet::read(raw.name.clone(), &raw.bytes, options);
    }
    if crate::connection::zeek::is_zeek(&raw.bytes) {
        let mut records =
            crate::connection::zeek::RecordsText::new(&raw.name, &mut &raw.bytes[..])?;
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut records, &mut text).map_err(|e| {
            match e.downcast::<Error>() {
                Ok(inner) => inner,
                Err(source) => Error::Io {
                    path: raw.name.clone(),
                    source,
                },
            }
        })?;
        if text.is_empty() {
            return Err(Error::Empty {
                path: raw.name.clone(),
                what: "no TCP, UDP or ICMP connection in the Zeek log",
            });
        }
        return parse_with(raw.name.clone(), &text, options);
    }
    parse_with(raw.name.clone(), &raw.bytes, options)
}

/// Loads a file by path (a convenience for tests and benches).
pub fn load_path(path: impl AsRef<std::path::Path>) -> Result<Dataset> {
    let path = path.as_ref().to_string_lossy().into_owned();
    load(&Input::Path(path), &LoadOptions::default())
}

/// Parses the decompressed text of an input named `name`.
pub fn parse_bytes(name: String, bytes: &[u8]) -> Result<Dataset> {
    parse_with(name, bytes, &LoadOptions::default())
}

/// Whether bytes start like a packet capture (pcap in either byte order and time resolution, or
/// pcapng).
pub fn capture_magic(bytes: &[u8]) -> bool {
    const MAGICS: [[u8; 4]; 5] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    MAGICS.iter().any(|m| bytes.starts_with(m))
}

/// Parses the decompressed text of an input named `name`, with options.
pub fn parse_with(name: String, bytes: &[u8], options: &LoadOptions) -> Result<Dataset> {
    check_start(&name, bytes)?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::Empty {
            path: name,
            what: if bytes.is_empty() {
                "the file is empty"
            } else {
                "the file holds only blank lines"
            },
        });
    }
    let text = check_text(&name, bytes, 0, 0)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (plan, body) = LineLayout::read(&name, text)?;
    let ds = plan.parse(name, body, plan.skipped, options)?;
    if ds.rows() == 0 {
        return Err(Error::Empty {
            path: ds.name,
            what: "no data rows after the header",
        });
    }
    Ok(ds)
}

/// Refuses a packet capture given as connection records, pointing at `kddstat pcap`.
fn check_start(name: &str, bytes: &[u8]) -> Result<()> {
    if capture_magic(bytes) {
        return Err(Error::Header {
            path: name.to_string(),
            message: format!(
                "this is a packet capture, not connection records; `kddstat pcap {name} -o conns.csv` \
                 rebuilds its connection records, which every command reads"
            ),
        });
    }
    Ok(())
}

/// Checks that bytes are text (no NUL byte, valid UTF-8). `offset` and `line` are those of the
/// bytes' start in the whole input (they name the place of an error).
fn check_text<'a>(name: &str, bytes: &'a [u8], offset: usize, line: usize) -> Result<&'a str> {
    if let Some(at) = memchr::memchr(0, bytes) {
        return Err(Error::Binary {
            path: name.to_string(),
            offset: offset + at,
        });
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let before = &bytes[..at];
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        let field = memchr::memchr_iter(b',', &before[line_start..]).count();
        Error::InvalidUtf8 {
            line: line + 1 + memchr::memchr_iter(b'\n', before).count(),
            column: schema::field_name(field),
            byte: bytes[at],
            path: name.to_string(),
            offset: offset + at,
        }
    })
}

/// How an input's records are laid out, read off its first non-blank line: whether it is a
/// header, how many fields a line has, and the columns a header names.
pub(crate) struct LineLayout {
    header: bool,
    fields: usize,
    subset: Option<Subset>,
    expected_fields: Option<String>,
    /// Lines before the first record (blank lines and the header).
    skipped: usize,
}

impl LineLayout {
    /// Reads the plan off the start of a text that holds a non-blank line; returns it with the
    /// text after the header (the records).
    fn read<'a>(name: &str, text: &'a str) -> Result<(LineLayout, &'a str)> {
        // Skip leading blank lines, then look at the first line: a header, or the first record.
        let mut skipped = 0;
        let mut body = text;
        while let Some(nl) = body.find('\n') {
            if !body[..nl].trim().is_empty() {
                break;
            }
            body = &body[nl + 1..];
            skipped += 1;
        }
        let first_end = body.find('\n').unwrap_or(body.len());
        let first_line = body[..first_end].trim_end_matches('\r');
        let header = is_header(first_line);
        let mut header_fields = None;
        let mut subset: Option<Subset> = None;
        if header {
            // Names first: a header whose names are all known is read by name (a subset, another
            // order, a `category` column, a difficulty without a label); only a header with
            // unfamiliar names is read by position, tolerating a few misspelled names.
            match Subset::of(first_line) {
                Some(s) if !s.in_schema_order() => {
                    header_fields = Some(s.full_width());
                    subset = Some(s);
                }
                _ => header_fields = Some(check_header(name, first_line)?),
            }
            body = body.get(first_end + 1..).unwrap_or("");
            skipped += 1;
        }
        let mut expected_fields = header_fields.map(|n| n.to_string());
        if let Some(s) = &subset {
            expected_fields = Some(s.names.len().to_string());
        }
        let fields = match header_fields {
            Some(n) => n,
            None => {
                let n = first_line.split(',').count();
                if !LINE_WIDTHS.contains(&n) {
                    return Err(Error::FieldCount {
                        path: name.to_string(),
                        line: skipped + 1,
                        expected: "41, 42 or 43".to_string(),
                        found: n,
                        truncated: first_end == body.len() && !body.ends_with('\n'),
                    });
                }
                n
            }
        };
        Ok((
            LineLayout {
                header,
                fields,
                subset,
                expected_fields,
                skipped,
            },
            body,
        ))
    }

    /// Parses records (`body`, whole lines) whose first line is line `base + 1` of the input.
    /// A body without records gives an empty dataset.
    fn parse(
        &self,
        name: String,
        body: &str,
        base: usize,
        options: &LoadOptions,
    ) -> Result<Dataset> {
        self.parse_into::<parse::Columns>(name, body, base, options, &())?
            .into_dataset()
    }

    /// Parses records (`body`, whole lines) whose first line is line `base + 1` of the input
    /// into sinks of type `S`, one per piece of the text.
    fn parse_into<S: Sink>(
        &self,
        name: String,
        body: &str,
        base: usize,
        options: &LoadOptions,
        config: &S::Config,
    ) -> Result<Parsed<S>> {
        let expanded;
        let mut body = body;
        if let Some(s) = &self.subset {
            expanded = s.expand(body);
            body = &expanded;
        }
        let fields = self.fields;
        let pieces = parse::split_pieces(body);
        let to_error = |line: usize, e: parse::LineError| match e {
            parse::LineError::FieldCount { found, truncated } => Error::FieldCount {
                path: name.clone(),
                line,
                expected: self
                    .expected_fields
                    .clone()
                    .unwrap_or_else(|| fields.to_string()),
                found,
                truncated,
            },
            parse::LineError::Value {
                column,
                value,
                problem,
            } => Error::Value {
                path: name.clone(),
                line,
                column,
                value,
                problem,
            },
        };
        let parsed = parse::parse_pieces::<S>(&pieces, fields, options.set_aside_invalid, config)
            .map_err(|e| to_error(base + e.line, e.error))?;
        let rejected: Vec<RejectedLine> = parsed
            .iter()
            .flat_map(|p| p.rejected.iter())
            .map(|r| {
                let line = base + r.line;
                let message = to_error(line, r.error.clone()).to_string();
                let prefix = format!("{name}:{line}: ");
                RejectedLine {
                    line,
                    text: r.text.to_string(),
                    reason: message
                        .strip_prefix(&prefix)
                        .unwrap_or(&message)
                        .to_string(),
                }
            })
            .collect();
        let rows: usize = parsed.iter().map(|p| p.rows).sum();
        let dotted = parsed.iter().map(|p| p.dotted).sum::<usize>();
        let layout = Layout {
            header: self.header,
            label: fields > schema::FIELDS_WITHOUT_LABEL,
            difficulty: fields == schema::FIELDS_WITH_DIFFICULTY,
            dotted_labels: dotted * 2 > rows,
        };
        let mut unknown: Vec<(String, usize)> = Vec::new();
        for piece in &parsed {
            for (label, n) in &piece.unknown {
                match unknown.iter_mut().find(|(l, _)| l == label) {
                    Some((_, total)) => *total += n,
                    None => unknown.push((label.to_string(), *n)),
                }
            }
        }
        unknown.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let base = u32::try_from(base).unwrap_or(u32::MAX);
        let sinks = parsed
            .into_iter()
            .map(|mut p| {
                p.sink.shift_lines(base);
                p.sink
            })
            .collect();
        Ok(Parsed {
            name,
            layout,
            rows,
            sinks,
            unknown_labels: unknown,
            rejected,
            absent: self.subset.as_ref().map(|s| s.absent()).unwrap_or_default(),
            dotted,
        })
    }
}

/// A block of text parsed into sinks of type `S` (one per piece, in text order), with what a
/// [`Dataset`] says about its records besides the frame.
pub(crate) struct Parsed<S> {
    /// The input's name.
    pub name: String,
    /// How the input is laid out.
    pub layout: Layout,
    /// Records.
    pub rows: usize,
    /// The records of each piece.
    pub sinks: Vec<S>,
    /// As [`Dataset::unknown_labels`].
    pub unknown_labels: Vec<(String, usize)>,
    /// As [`Dataset::rejected`].
    pub rejected: Vec<RejectedLine>,
    /// As [`Dataset::absent`].
    pub absent: Vec<&'static str>,
    /// As [`Dataset::dotted`].
    pub dotted: usize,
}

impl Parsed<parse::Columns> {
    /// The dataset of the parsed columns.
    fn into_dataset(self) -> Result<Dataset> {
        let lines = self
            .sinks
            .iter()
            .flat_map(|c| c.lines.iter().copied())
            .collect();
        let mut frame = build_frame(self.sinks, self.layout.difficulty)
            .map_err(|e| Error::Internal(format!("{}: cannot build the frame: {e}", self.name)))?;
        if !self.absent.is_empty() {
            frame = frame.drop_many(self.absent.iter().copied());
        }
        Ok(Dataset {
            name: self.name,
            layout: self.layout,
            frame,
            lines,
            unknown_labels: self.unknown_labels,
            rejected: self.rejected,
            absent: self.absent,
            dotted: self.dotted,
        })
    }
}

/// A header naming a subset of the KDD columns by name, in schema order (as `kddstat clean
/// --drop-constant` writes): each line is widened to the full layout, the absent features filled
/// with a valid placeholder that is dropped from the frame again.
struct Subset {
    /// For each position of the full layout, the field of the file's lines it comes from.
    source: Vec<Option<usize>>,
    /// The header's names.
    names: Vec<String>,
    /// Whether the file has a derived `category` column (ignored: it is derived again).
    category: Option<usize>,
}

impl Subset {
    /// Reads a header by name, in any order, or `None` if a name is unknown or repeated. Without
    /// a label the records are unlabelled (a difficulty column without labels is left out: the
    /// unlabelled layout has none).
    fn of(line: &str) -> Option<Subset> {
        let names: Vec<String> = line
            .split(',')
            .map(|n| n.trim().trim_matches('"').to_string())
            .collect();
        let mut full: Vec<&str> = FEATURES.iter().map(|f| f.name).collect();
        full.push(schema::LABEL);
        full.push(schema::DIFFICULTY);
        let mut source = vec![None; full.len()];
        let mut category = None;
        for (i, n) in names.iter().enumerate() {
            if n.eq_ignore_ascii_case(schema::CATEGORY) {
                if category.is_some() {
                    return None;
                }
                category = Some(i);
                continue;
            }
            let pos = full.iter().position(|f| {
                schema::header_name_matches(n, f)
                    || (*f == schema::LABEL
                        && schema::LABEL_HEADER_NAMES.contains(&n.to_ascii_lowercase().as_str()))
            })?;
            if source[pos].is_some() {
                return None;
            }
            source[pos] = Some(i);
        }
        let features = source[..FEATURES.len()]
            .iter()
            .filter(|s| s.is_some())
            .count();
        let label = source[FEATURES.len()].is_some();
        let difficulty = label && source[FEATURES.len() + 1].is_some();
        if features == 0 {
            return None;
        }
        let width = FEATURES.len() + usize::from(label) + usize::from(difficulty);
        source.truncate(width);
        Some(Subset {
            source,
            names,
            category,
        })
    }

    /// Whether the file's columns are the full layout in schema order (read by position, with
    /// no widening).
    fn in_schema_order(&self) -> bool {
        self.category.is_none()
            && self.names.len() == self.source.len()
            && self.source.iter().enumerate().all(|(i, s)| *s == Some(i))
    }

    /// The width of the full layout the lines are widened to.
    fn full_width(&self) -> usize {
        self.source.len()
    }

    /// The features the file lacks.
    fn absent(&self) -> Vec<&'static str> {
        FEATURES
            .iter()
            .zip(&self.source)
            .filter(|(_, s)| s.is_none())
            .map(|(f, _)| f.name)
            .collect()
    }

    /// Widens every line to the full layout (lines with another field count are kept as they
    /// are, so the parser reports them; blank lines stay, so line numbers hold).
    fn expand(&self, body: &str) -> String {
        let mut out = String::with_capacity(body.len() + body.len() / 2);
        let mut fields: Vec<&str> = Vec::with_capacity(self.names.len());
        for line in body.split_inclusive('\n') {
            let (text, end) = match line.strip_suffix('\n') {
                Some(t) => (t.strip_suffix('\r').unwrap_or(t), "\n"),
                None => (line, ""),
            };
            fields.clear();
            fields.extend(text.split(','));
            if text.trim().is_empty() || fields.len() != self.names.len() {
                out.push_str(line);
                continue;
            }
            for (i, src) in self.source.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match src {
                    Some(j) => out.push_str(fields[*j]),
                    None if i < FEATURES.len() && FEATURES[i].kind == Kind::Categorical => {
                        out.push('-')
                    }
                    None => out.push('0'),
                }
            }
            out.push_str(end);
        }
        out
    }
}

/// The field counts a line may have: features only, with the label, with label and difficulty.
const LINE_WIDTHS: [usize; 3] = [
    schema::FIELDS_WITHOUT_LABEL,
    schema::FIELDS_WITHOUT_DIFFICULTY,
    schema::FIELDS_WITH_DIFFICULTY,
];

/// A first line is a header when its first field is not a number (every record starts with the
/// numeric `duration`) and neither are most of the others (a record has 38 numeric fields, so a
/// record with a bad `duration` is still read as a record and its error reported as such).
fn is_header(first_line: &str) -> bool {
    let is_number = |f: &str| f.trim().trim_matches('"').parse::<f64>().is_ok();
    let mut fields = first_line.split(',');
    let first_is_number = fields
        .next()
        .is_none_or(|f| f.trim().is_empty() || is_number(f));
    let (mut n, mut numbers) = (1, 0);
    for f in fields {
        n += 1;
        numbers += usize::from(is_number(f));
    }
    !first_is_number && numbers * 2 < n
}

/// Checks a header against the schema by position; returns its field count.
fn check_header(name: &str, line: &str) -> Result<usize> {
    let names: Vec<&str> = line.split(',').collect();
    let n = names.len();
    if !LINE_WIDTHS.contains(&n) {
        return Err(Error::Header {
            path: name.to_string(),
            message: format!(
                "the first line is not a record and not a KDD header: it has {n} fields, expected 41, 42 or 43"
            ),
        });
    }
    let mismatches: Vec<(usize, &str)> = FEATURES
        .iter()
        .zip(&names)
        .enumerate()
        .filter(|(_, (f, found))| !schema::header_name_matches(found, f.name))
        .map(|(i, (_, found))| (i, *found))
        .collect();
    // A name of another column at this position would be read as this column: refused.
    let mut all: Vec<&str> = FEATURES.iter().map(|f| f.name).collect();
    all.extend([schema::LABEL, schema::DIFFICULTY, schema::CATEGORY]);
    if let Some(&(i, found)) = mismatches
        .iter()
        .find(|(_, found)| all.iter().any(|k| schema::header_name_matches(found, k)))
    {
        return Err(Error::Header {
            path: name.to_string(),
            message: format!(
                "field {} is named '{}' where the KDD layout has '{}', and other names are not \
                 KDD names, so the columns cannot be read by name: fix the header",
                i + 1,
                crate::error::show_value(found.as_bytes()),
                FEATURES[i].name
            ),
        });
    }
    // Tolerate a few unfamiliar names (columns still go by position), not a different layout.
    if mismatches.len() > 4 {
        let (i, found) = mismatches[0];
        return Err(Error::Header {
            path: name.to_string(),
            message: format!(
                "the header does not follow the KDD layout: {} of the 41 feature names differ \
                 (field {}: '{}' where '{}' was expected)",
                mismatches.len(),
                i + 1,
                crate::error::show_value(found.as_bytes()),
                FEATURES[i].name
            ),
        });
    }
    Ok(n)
}

/// One column's parsed pieces, before it becomes a Polars column.
enum Parts {
    Int(Vec<Vec<i64>>),
    Float(Vec<Vec<f64>>),
    Str(Vec<StringChunkedBuilder>),
}

/// Moves the parsed pieces into a frame, the columns built in parallel; each piece becomes one chunk
/// of each column (the numeric vectors are moved, not copied).
fn build_frame(pieces: Vec<parse::Columns>, difficulty: bool) -> PolarsResult<DataFrame> {
    let mut ints: Vec<Vec<Vec<i64>>> = (0..parse::N_INT).map(|_| Vec::new()).collect();
    let mut rates: Vec<Vec<Vec<f64>>> = (0..parse::N_RATE).map(|_| Vec::new()).collect();
    let mut strs: Vec<Vec<StringChunkedBuilder>> = (0..parse::N_STR).map(|_| Vec::new()).collect();
    let (mut labels, mut categories, mut levels) = (Vec::new(), Vec::new(), Vec::new());
    for piece in pieces {
        piece
            .ints
            .into_iter()
            .zip(&mut ints)
            .for_each(|(v, to)| to.push(v));
        piece
            .rates
            .into_iter()
            .zip(&mut rates)
            .for_each(|(v, to)| to.push(v));
        piece
            .strs
            .into_iter()
            .zip(&mut strs)
            .for_each(|(v, to)| to.push(v));
        labels.push(piece.labels);
        categories.push(piece.categories);
        levels.push(piece.difficulty);
    }
    let (mut ints, mut rates, mut strs) = (ints.into_iter(), rates.into_iter(), strs.into_iter());
    let mut specs: Vec<(&'static str, Parts)> = Vec::with_capacity(FEATURES.len() + 3);
    for feature in &FEATURES {
        let parts = match feature.kind {
            Kind::Count | Kind::Binary => ints.next().map(Parts::Int),
            Kind::Rate => rates.next().map(Parts::Float),
            Kind::Categorical => strs.next().map(Parts::Str),
        };
        let parts = parts.ok_or_else(|| polars_err!(ComputeError: "schema and parser disagree"))?;
        specs.push((feature.name, parts));
    }
    specs.push((schema::LABEL, Parts::Str(labels)));
    if difficulty {
        specs.push((schema::DIFFICULTY, Parts::Int(levels)));
    }
    specs.push((schema::CATEGORY, Parts::Str(categories)));
    let columns = specs
        .into_par_iter()
        .map(|(name, parts)| to_column(PlSmallStr::from_static(name), parts))
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new_infer_height(columns)
}

fn to_column(name: PlSmallStr, parts: Parts) -> PolarsResult<Column> {
    let e = PlSmallStr::EMPTY;
    let series: Vec<Series> = match parts {
        Parts::Int(v) => v
            .into_iter()
            .map(|v| Int64Chunked::from_vec(e.clone(), v).into_series())
            .collect(),
        Parts::Float(v) => v
            .into_iter()
            .map(|v| Float64Chunked::from_vec(e.clone(), v).into_series())
            .collect(),
        Parts::Str(v) => v.into_iter().map(|b| b.finish().into_series()).collect(),
    };
    let mut series = series.into_iter();
    let mut out = series
        .next()
        .unwrap_or_else(|| Series::new_empty(e, &DataType::Null));
    for s in series {
        out.append_owned(s)?;
    }
    out.rename(name);
    Ok(out.into_column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_detection() {
        let names: Vec<&str> = FEATURES.iter().map(|f| f.name).collect();
        assert!(is_header(&(names.join(",") + ",label")));
        assert!(!is_header("0,tcp,http,SF,1,2,0,0,0"));
        // A record whose duration is broken is still a record, not a header.
        assert!(!is_header("x,tcp,http,SF,1,2,0,0,0,0,0"));
        assert!(!is_header(""));
    }

    #[test]
    fn layout_descriptions() {
        let nsl = Layout {
            header: false,
            label: true,
            difficulty: true,
            dotted_labels: false,
        };
        assert_eq!(nsl.describe(), "NSL-KDD layout, 43 fields");
        let kdd = Layout {
            header: true,
            label: true,
            difficulty: false,
            dotted_labels: true,
        };
        assert_eq!(
            kdd.describe(),
            "KDD Cup 99 layout, 42 fields, header row, dotted labels"
        );
    }

    #[test]
    fn byte_order_mark_and_leading_blank_lines() {
        let row = "0,tcp,http,SF,1,2,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,1,0,0,0,0,1,0,0,1,1,1,0,0,0,0,0,0,0,normal,21";
        let text = format!("\u{feff}\n\n{row}\n{row}\n");
        let ds = parse_bytes("t".into(), text.as_bytes()).unwrap();
        assert_eq!(ds.rows(), 2);
        assert_eq!(ds.lines, [3, 4]);
    }
}
