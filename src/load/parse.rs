//! A parser specialised to the KDD record layout.
//!
//! The text is cut into pieces of about a megabyte at line ends, and the pieces are parsed on all cores
//! (rayon) into typed column vectors. Where the pieces are cut depends only on the text, never on the
//! number of threads, so the result is the same on any machine. Every field is checked against the
//! schema as it is parsed; the first bad field of the file (by line) is reported with its line number.
//!
//! Numbers are read as pandas reads them: integer columns as `i64`, rates as the `f64` nearest to the
//! decimal text (a short decimal such as `0.05` is the exact quotient `5 / 100`, which IEEE division
//! rounds correctly; anything longer goes through the standard library's correctly rounded parser).

use foldhash::{HashMap, HashMapExt};
use polars::prelude::{PlSmallStr, StringChunkedBuilder};
use rayon::prelude::*;

use crate::error::Problem;
use crate::schema::{self, Category, FEATURES, Kind, N_FEATURES};

/// Target size of one piece of text parsed by one task.
const PIECE_BYTES: usize = 1 << 20;

/// Where a feature's parsed value goes.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Int(usize),
    Rate(usize),
    Str(usize),
}

/// The slot of each feature, in file order: integers, rates and strings each numbered from 0.
fn slots() -> [Slot; N_FEATURES] {
    let (mut ints, mut rates, mut strs) = (0, 0, 0);
    FEATURES.map(|f| match f.kind {
        Kind::Count | Kind::Binary => {
            ints += 1;
            Slot::Int(ints - 1)
        }
        Kind::Rate => {
            rates += 1;
            Slot::Rate(rates - 1)
        }
        Kind::Categorical => {
            strs += 1;
            Slot::Str(strs - 1)
        }
    })
}

/// Number of integer features.
pub(crate) const N_INT: usize = 23;
/// Number of rate features.
pub(crate) const N_RATE: usize = 15;
/// Number of categorical features.
pub(crate) const N_STR: usize = 3;

/// The typed columns of one piece of text.
pub(crate) struct Piece<'a> {
    /// Integer features, by integer slot.
    pub ints: Vec<Vec<i64>>,
    /// Rate features, by rate slot.
    pub rates: Vec<Vec<f64>>,
    /// Categorical features, by string slot.
    pub strs: Vec<StringChunkedBuilder>,
    /// Labels, without a trailing dot.
    pub labels: StringChunkedBuilder,
    /// Category names of the labels.
    pub categories: StringChunkedBuilder,
    /// Difficulty levels (empty without that column).
    pub difficulty: Vec<i64>,
    /// 1-based line number of each row, counted from the start of this piece.
    pub lines: Vec<u32>,
    /// Lines in this piece, blank ones included.
    pub line_count: usize,
    /// Labels that ended with a dot.
    pub dotted: usize,
    /// Rows per label the category map does not know.
    pub unknown: HashMap<&'a str, usize>,
    /// Rows parsed.
    pub rows: usize,
    /// Lines that failed validation (only when rejects are collected).
    pub rejected: Vec<Rejected<'a>>,
}

/// A line set aside because it failed validation.
#[derive(Debug)]
pub(crate) struct Rejected<'a> {
    /// 1-based line number, counted from the start of the piece (from the start of the text once
    /// [`parse_pieces`] returns).
    pub line: usize,
    /// The line's text.
    pub text: &'a str,
    /// What is wrong with it.
    pub error: LineError,
}

/// A problem found on one line, before the file name and line offset are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineError {
    /// Wrong number of fields.
    FieldCount {
        /// Fields found.
        found: usize,
        /// The line has no line end and is the last one.
        truncated: bool,
    },
    /// A bad value.
    Value {
        /// The column's name.
        column: &'static str,
        /// The raw value, shown safely.
        value: String,
        /// What is wrong.
        problem: Problem,
    },
}

/// A parse failure at a 1-based line counted from the start of the piece.
#[derive(Debug)]
pub(crate) struct PieceError {
    pub line: usize,
    pub error: LineError,
}

/// Cuts `text` into pieces of about [`PIECE_BYTES`] that end at line ends.
pub(crate) fn split_pieces(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::with_capacity(bytes.len() / PIECE_BYTES + 1);
    let mut start = 0;
    while start < bytes.len() {
        let target = (start + PIECE_BYTES).min(bytes.len());
        let end = match memchr::memchr(b'\n', &bytes[target.saturating_sub(1)..]) {
            Some(i) if target < bytes.len() => target - 1 + i + 1,
            _ => bytes.len(),
        };
        pieces.push(&text[start..end]);
        start = end;
    }
    pieces
}

/// Parses all pieces in parallel. `fields` is 41 (no label), 42 or 43 (with difficulty). Returns the pieces in order,
/// or the error on the earliest bad line with its line number counted from the start of `pieces[0]`.
pub(crate) fn parse_pieces<'a>(
    pieces: &[&'a str],
    fields: usize,
    collect_rejects: bool,
) -> Result<Vec<Piece<'a>>, PieceError> {
    let last = pieces.len().saturating_sub(1);
    let results: Vec<Result<Piece<'a>, PieceError>> = pieces
        .par_iter()
        .enumerate()
        .map(|(i, text)| parse_piece(text, fields, i == last, collect_rejects))
        .collect();
    let mut offset = 0;
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(mut piece) => {
                let base = u32::try_from(offset).unwrap_or(u32::MAX);
                piece
                    .lines
                    .iter_mut()
                    .for_each(|l| *l = l.saturating_add(base));
                piece.rejected.iter_mut().for_each(|r| r.line += offset);
                offset += piece.line_count;
                out.push(piece);
            }
            Err(e) => {
                return Err(PieceError {
                    line: offset + e.line,
                    error: e.error,
                });
            }
        }
    }
    Ok(out)
}

/// One record, parsed and validated, before it is added to the columns.
struct Row<'a> {
    ints: [i64; N_INT],
    rates: [f64; N_RATE],
    strs: [&'a str; N_STR],
    label: &'a str,
    dotted: bool,
    difficulty: i64,
}

/// Parses and validates one non-blank line of `fields` fields.
fn parse_line<'a>(
    line: &'a str,
    fields: usize,
    slots: &[Slot; N_FEATURES],
    truncated: bool,
) -> Result<Row<'a>, LineError> {
    // A wrong field count explains any bad value on the line, so it is reported first.
    let count_error = || {
        let found = line.split(',').count();
        (found != fields).then_some(LineError::FieldCount { found, truncated })
    };
    let value_error = |column: &'static str, raw: &str, problem| {
        count_error().unwrap_or_else(|| LineError::Value {
            column,
            value: crate::error::show_value(raw.as_bytes()),
            problem,
        })
    };
    let mut row = Row {
        ints: [0; N_INT],
        rates: [0.0; N_RATE],
        strs: [""; N_STR],
        label: "",
        dotted: false,
        difficulty: 0,
    };
    let mut cursor = Fields::new(line);
    for (feature, slot) in FEATURES.iter().zip(slots) {
        let Some(raw) = cursor.next() else {
            return Err(count_error().unwrap_or(LineError::FieldCount {
                found: 0,
                truncated,
            }));
        };
        let bad = |problem| value_error(feature.name, raw, problem);
        match *slot {
            Slot::Int(j) => {
                let v = parse_count(raw).map_err(bad)?;
                if feature.kind == Kind::Binary && v > 1 {
                    return Err(bad(Problem::NotBinary));
                }
                row.ints[j] = v;
            }
            Slot::Rate(j) => row.rates[j] = parse_rate(raw).map_err(bad)?,
            Slot::Str(j) => {
                if raw.trim().is_empty() {
                    return Err(bad(Problem::Missing));
                }
                row.strs[j] = raw;
            }
        }
    }
    let with_label = fields > schema::FIELDS_WITHOUT_LABEL;
    let raw_label = if with_label {
        cursor.next()
    } else {
        Some(schema::UNKNOWN_LABEL)
    };
    let with_difficulty = fields == schema::FIELDS_WITH_DIFFICULTY;
    let raw_difficulty = if with_difficulty {
        cursor.next()
    } else {
        Some("")
    };
    if raw_label.is_none() || raw_difficulty.is_none() || cursor.next().is_some() {
        if let Some(e) = count_error() {
            return Err(e);
        }
    }
    let raw_label = raw_label.unwrap_or("");
    let (label, dotted) = match raw_label.strip_suffix('.') {
        Some(l) => (l, true),
        None => (raw_label, false),
    };
    if label.trim().is_empty() {
        return Err(value_error(schema::LABEL, raw_label, Problem::Missing));
    }
    row.label = label;
    row.dotted = dotted;
    if with_difficulty {
        let raw = raw_difficulty.unwrap_or("");
        row.difficulty =
            parse_difficulty(raw).map_err(|p| value_error(schema::DIFFICULTY, raw, p))?;
    }
    Ok(row)
}

fn parse_piece(
    text: &str,
    fields: usize,
    is_last: bool,
    collect_rejects: bool,
) -> Result<Piece<'_>, PieceError> {
    let slots = slots();
    let rows_guess = text.len() / 120 + 1;
    let builder = || StringChunkedBuilder::new(PlSmallStr::EMPTY, rows_guess);
    let with_difficulty = fields == schema::FIELDS_WITH_DIFFICULTY;
    let mut p = Piece {
        ints: (0..N_INT).map(|_| Vec::with_capacity(rows_guess)).collect(),
        rates: (0..N_RATE)
            .map(|_| Vec::with_capacity(rows_guess))
            .collect(),
        strs: (0..N_STR).map(|_| builder()).collect(),
        labels: builder(),
        categories: builder(),
        difficulty: Vec::with_capacity(if with_difficulty { rows_guess } else { 0 }),
        lines: Vec::with_capacity(rows_guess),
        line_count: 0,
        dotted: 0,
        unknown: HashMap::new(),
        rows: 0,
        rejected: Vec::new(),
    };
    let mut label_cache: HashMap<&str, Category> = HashMap::with_capacity(64);
    let bytes = text.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        let (end, has_newline) = match memchr::memchr(b'\n', &bytes[pos..]) {
            Some(i) => (pos + i, true),
            None => (bytes.len(), false),
        };
        let line = text[pos..end].strip_suffix('\r').unwrap_or(&text[pos..end]);
        pos = end + 1;
        p.line_count += 1;
        // Blank lines of any length are skipped (only a line starting with white space can be
        // one, so records pay a single byte test).
        if line.is_empty() || (line.as_bytes()[0].is_ascii_whitespace() && line.trim().is_empty()) {
            continue; // pandas skips blank lines too
        }
        let row = match parse_line(line, fields, &slots, is_last && !has_newline) {
            Ok(row) => row,
            Err(error) if collect_rejects => {
                p.rejected.push(Rejected {
                    line: p.line_count,
                    text: line,
                    error,
                });
                continue;
            }
            Err(error) => {
                return Err(PieceError {
                    line: p.line_count,
                    error,
                });
            }
        };
        for (col, v) in p.ints.iter_mut().zip(row.ints) {
            col.push(v);
        }
        for (col, v) in p.rates.iter_mut().zip(row.rates) {
            col.push(v);
        }
        for (col, v) in p.strs.iter_mut().zip(row.strs) {
            col.append_value(v);
        }
        let label = row.label;
        let category = *label_cache
            .entry(label)
            .or_insert_with(|| schema::category_of(label));
        if category == Category::Unknown && label != schema::UNKNOWN_LABEL {
            *p.unknown.entry(label).or_insert(0) += 1;
        }
        if with_difficulty {
            p.difficulty.push(row.difficulty);
        }
        p.dotted += usize::from(row.dotted);
        p.labels.append_value(label);
        p.categories.append_value(category.as_str());
        p.rows += 1;
        p.lines
            .push(u32::try_from(p.line_count).unwrap_or(u32::MAX));
    }
    Ok(p)
}

/// The comma-separated fields of a line, left to right.
struct Fields<'a> {
    line: &'a str,
    pos: usize,
    done: bool,
}

impl<'a> Fields<'a> {
    fn new(line: &'a str) -> Self {
        Fields {
            line,
            pos: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.done {
            return None;
        }
        let bytes = self.line.as_bytes();
        let start = self.pos;
        let mut end = start;
        while end < bytes.len() && bytes[end] != b',' {
            end += 1;
        }
        self.done = end == bytes.len();
        self.pos = end + 1;
        Some(&self.line[start..end])
    }
}

/// Parses a difficulty level, 0-21.
fn parse_difficulty(s: &str) -> Result<i64, Problem> {
    match parse_count(s) {
        Ok(v) if v <= schema::MAX_DIFFICULTY => Ok(v),
        Err(p @ (Problem::Missing | Problem::NotANumber)) => Err(p),
        _ => Err(Problem::DifficultyOutOfRange),
    }
}

/// Parses a non-negative whole number: plain digits on the fast path; otherwise any number the
/// standard library reads, accepted when it is whole (`1.0`, `1e3`).
pub(crate) fn parse_count(s: &str) -> Result<i64, Problem> {
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 18 {
        let mut v = 0i64;
        let mut plain = true;
        for &c in b {
            let d = c.wrapping_sub(b'0');
            plain &= d <= 9;
            v = v.wrapping_mul(10).wrapping_add(i64::from(d));
        }
        if plain {
            return Ok(v);
        }
    }
    let t = s.trim();
    if t.is_empty() {
        return Err(Problem::Missing);
    }
    if let Ok(v) = t.parse::<i64>() {
        return if v < 0 { Err(Problem::Negative) } else { Ok(v) };
    }
    match t.parse::<f64>() {
        Ok(x) if x.is_nan() => Err(Problem::NotANumber),
        Ok(x) if x < 0.0 => Err(Problem::Negative),
        Ok(x) if x.is_infinite() || x >= 9.2e18 => Err(Problem::TooLarge),
        Ok(x) if x.fract() != 0.0 => Err(Problem::NotWhole),
        // Whole, non-negative and below 2^63, so the conversion is exact.
        Ok(x) => Ok(x as i64),
        Err(_) => Err(Problem::NotANumber),
    }
}

const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Parses a rate in `[0, 1]`. `-0` is read as `0`.
pub(crate) fn parse_rate(s: &str) -> Result<f64, Problem> {
    let x = match parse_short_decimal(s.as_bytes()) {
        Some(x) => x,
        None => {
            let t = s.trim();
            if t.is_empty() {
                return Err(Problem::Missing);
            }
            t.parse::<f64>().map_err(|_| Problem::NotANumber)?
        }
    };
    if (0.0..=1.0).contains(&x) {
        Ok(x + 0.0) // turns -0.0 into 0.0
    } else {
        Err(Problem::RateOutOfRange)
    }
}

/// `ddd.ddd` with at most 15 digits in all: the exact quotient of two exactly representable numbers,
/// so one correctly rounded division gives the nearest double, as a full decimal parser would.
fn parse_short_decimal(b: &[u8]) -> Option<f64> {
    let mut mantissa: u64 = 0;
    let (mut digits, mut decimals, mut dot) = (0usize, 0usize, false);
    for &c in b {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
                decimals += usize::from(dot);
                if digits > 15 {
                    return None;
                }
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    (digits > 0).then(|| mantissa as f64 / POW10[decimals])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_counts_match_the_schema() {
        let s = slots();
        let count = |pred: fn(&Slot) -> bool| s.iter().filter(|x| pred(x)).count();
        assert_eq!(count(|x| matches!(x, Slot::Int(_))), N_INT);
        assert_eq!(count(|x| matches!(x, Slot::Rate(_))), N_RATE);
        assert_eq!(count(|x| matches!(x, Slot::Str(_))), N_STR);
    }

    #[test]
    fn short_decimals_equal_the_standard_parser() {
        for s in [
            "0.00",
            "0.05",
            "0.1",
            "0.33",
            "0.67",
            "1.00",
            "1",
            ".5",
            "0.123456789012345",
            "1.",
        ] {
            assert_eq!(parse_rate(s), Ok(s.parse::<f64>().unwrap()), "{s}");
        }
        for i in 0..=1000 {
            let s = format!("{}.{:03}", i / 1000, i % 1000);
            assert_eq!(parse_rate(&s).unwrap(), s.parse::<f64>().unwrap(), "{s}");
        }
    }

    #[test]
    fn rates_outside_the_range_fail() {
        assert_eq!(parse_rate("1.01"), Err(Problem::RateOutOfRange));
        assert_eq!(parse_rate("-0.5"), Err(Problem::RateOutOfRange));
        assert_eq!(parse_rate("NaN"), Err(Problem::RateOutOfRange));
        assert_eq!(parse_rate("abc"), Err(Problem::NotANumber));
        assert_eq!(parse_rate(""), Err(Problem::Missing));
        assert_eq!(parse_rate("1e-2"), Ok(0.01));
        assert!(parse_rate("-0.0").unwrap().is_sign_positive());
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("0"), Ok(0));
        assert_eq!(parse_count("1379963888"), Ok(1_379_963_888));
        assert_eq!(parse_count("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_count("99999999999999999999"), Err(Problem::TooLarge));
        assert_eq!(parse_count("-3"), Err(Problem::Negative));
        assert_eq!(parse_count("2.0"), Ok(2));
        assert_eq!(parse_count("2.5"), Err(Problem::NotWhole));
        assert_eq!(parse_count("abc"), Err(Problem::NotANumber));
        assert_eq!(parse_count("nan"), Err(Problem::NotANumber));
        assert_eq!(parse_count(""), Err(Problem::Missing));
    }

    #[test]
    fn pieces_end_at_line_ends_and_cover_the_text() {
        let line = "x".repeat(99) + "\n";
        let text = line.repeat(30_000);
        let pieces = split_pieces(&text);
        assert!(pieces.len() > 2);
        assert!(pieces.iter().all(|p| p.ends_with('\n')));
        assert_eq!(pieces.concat(), text);
        assert_eq!(split_pieces("a\nb"), vec!["a\nb"]);
        assert!(split_pieces("").is_empty());
    }
}
