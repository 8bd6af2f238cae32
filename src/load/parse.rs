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

/// The feature names of the integer, rate and string slots, in slot order.
pub(crate) fn slot_names() -> (
    [&'static str; N_INT],
    [&'static str; N_RATE],
    [&'static str; N_STR],
) {
    let (mut ints, mut rates, mut strs) = ([""; N_INT], [""; N_RATE], [""; N_STR]);
    for (f, slot) in FEATURES.iter().zip(slots()) {
        match slot {
            Slot::Int(j) => ints[j] = f.name,
            Slot::Rate(j) => rates[j] = f.name,
            Slot::Str(j) => strs[j] = f.name,
        }
    }
    (ints, rates, strs)
}

/// Number of integer features.
pub(crate) const N_INT: usize = 23;
/// Number of rate features.
pub(crate) const N_RATE: usize = 15;
/// Number of categorical features.
pub(crate) const N_STR: usize = 3;

/// Where the records of a piece go: the typed columns of a frame ([`Columns`]), or statistics
/// counted on the way (`stats::tally`), so a command that needs no frame never builds one.
pub(crate) trait Sink: Send + Sized {
    /// What every piece's sink is made from.
    type Config: Sync;
    /// An empty sink for a piece of about `rows_guess` records (`difficulty`: the layout has
    /// the difficulty column).
    fn new(config: &Self::Config, rows_guess: usize, difficulty: bool) -> Self;
    /// Adds one valid record of the given category, at 1-based `line` from the piece's start.
    fn push(&mut self, row: &Row<'_>, category: Category, line: u32);
    /// Counts line numbers from the text's start rather than the piece's: `base` lines come
    /// before the piece.
    fn shift_lines(&mut self, _base: u32) {}
}

/// The typed columns of one piece of text.
pub(crate) struct Columns {
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
    /// 1-based line number of each row.
    pub lines: Vec<u32>,
    /// Whether the layout has the difficulty column.
    with_difficulty: bool,
}

impl Sink for Columns {
    type Config = ();

    fn new(_: &(), rows_guess: usize, difficulty: bool) -> Columns {
        let builder = || StringChunkedBuilder::new(PlSmallStr::EMPTY, rows_guess);
        Columns {
            ints: (0..N_INT).map(|_| Vec::with_capacity(rows_guess)).collect(),
            rates: (0..N_RATE)
                .map(|_| Vec::with_capacity(rows_guess))
                .collect(),
            strs: (0..N_STR).map(|_| builder()).collect(),
            labels: builder(),
            categories: builder(),
            difficulty: Vec::with_capacity(if difficulty { rows_guess } else { 0 }),
            lines: Vec::with_capacity(rows_guess),
            with_difficulty: difficulty,
        }
    }

    fn push(&mut self, row: &Row<'_>, category: Category, line: u32) {
        for (col, v) in self.ints.iter_mut().zip(row.ints) {
            col.push(v);
        }
        for (col, v) in self.rates.iter_mut().zip(row.rates) {
            col.push(v);
        }
        for (col, v) in self.strs.iter_mut().zip(row.strs) {
            col.append_value(v);
        }
        if self.with_difficulty {
            self.difficulty.push(row.difficulty);
        }
        self.labels.append_value(row.label);
        self.categories.append_value(category.as_str());
        self.lines.push(line);
    }

    fn shift_lines(&mut self, base: u32) {
        self.lines
            .iter_mut()
            .for_each(|l| *l = l.saturating_add(base));
    }
}

/// One piece of text parsed: its records in a sink, and what the parser counted.
pub(crate) struct Piece<'a, S> {
    /// The records.
    pub sink: S,
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
pub(crate) fn parse_pieces<'a, S: Sink>(
    pieces: &[&'a str],
    fields: usize,
    collect_rejects: bool,
    config: &S::Config,
) -> Result<Vec<Piece<'a, S>>, PieceError> {
    let last = pieces.len().saturating_sub(1);
    let results: Vec<Result<Piece<'a, S>, PieceError>> = pieces
        .par_iter()
        .enumerate()
        .map(|(i, text)| parse_piece(text, fields, i == last, collect_rejects, config))
        .collect();
    let mut offset = 0;
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(mut piece) => {
                piece
                    .sink
                    .shift_lines(u32::try_from(offset).unwrap_or(u32::MAX));
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

/// One record, parsed and validated, before it goes to a [`Sink`].
pub(crate) struct Row<'a> {
    /// Integer features, by integer slot.
    pub ints: [i64; N_INT],
    /// Rate features, by rate slot.
    pub rates: [f64; N_RATE],
    /// Categorical features, by string slot.
    pub strs: [&'a str; N_STR],
    /// The label without a trailing dot.
    pub label: &'a str,
    /// Whether the label had the trailing dot.
    pub dotted: bool,
    /// The difficulty level (0 without that column).
    pub difficulty: i64,
}

/// Parses and validates one non-blank line of `fields` fields.
fn parse_line<'a>(
    line: &'a str,
    fields: usize,
    slots: &[Slot; N_FEATURES],
    truncated: bool,
    row: &mut Row<'a>,
) -> Result<(), LineError> {
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
    let mut cursor = Fields::new(line);
    for (feature, slot) in FEATURES.iter().zip(slots) {
        let missing = || {
            count_error().unwrap_or(LineError::FieldCount {
                found: 0,
                truncated,
            })
        };
        match *slot {
            Slot::Int(j) => {
                let Some((raw, digits)) = cursor.next_digits() else {
                    return Err(missing());
                };
                let bad = |problem| value_error(feature.name, raw, problem);
                let v = match digits {
                    Some(v) => v,
                    None => parse_count(raw).map_err(bad)?,
                };
                if feature.kind == Kind::Binary && v > 1 {
                    return Err(bad(Problem::NotBinary));
                }
                row.ints[j] = v;
            }
            Slot::Rate(j) => {
                let Some((raw, short)) = cursor.next_decimal() else {
                    return Err(missing());
                };
                row.rates[j] = match short {
                    Some(x) if x <= 1.0 => x,
                    _ => parse_rate(raw).map_err(|p| value_error(feature.name, raw, p))?,
                };
            }
            Slot::Str(j) => {
                let Some(raw) = cursor.next() else {
                    return Err(missing());
                };
                // Only a field starting with white space or a non-ASCII byte can be blank.
                let blank = raw.as_bytes().first().is_none_or(|b| !b.is_ascii_graphic())
                    && raw.trim().is_empty();
                if blank {
                    return Err(value_error(feature.name, raw, Problem::Missing));
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
    Ok(())
}

fn parse_piece<'a, S: Sink>(
    text: &'a str,
    fields: usize,
    is_last: bool,
    collect_rejects: bool,
    config: &S::Config,
) -> Result<Piece<'a, S>, PieceError> {
    let slots = slots();
    let rows_guess = text.len() / 120 + 1;
    let with_difficulty = fields == schema::FIELDS_WITH_DIFFICULTY;
    let mut p = Piece {
        sink: S::new(config, rows_guess, with_difficulty),
        line_count: 0,
        dotted: 0,
        unknown: HashMap::new(),
        rows: 0,
        rejected: Vec::new(),
    };
    let mut label_cache: HashMap<&str, Category> = HashMap::with_capacity(64);
    // One record at a time, its fields overwritten line after line.
    let mut row = Row {
        ints: [0; N_INT],
        rates: [0.0; N_RATE],
        strs: [""; N_STR],
        label: "",
        dotted: false,
        difficulty: 0,
    };
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
        match parse_line(line, fields, &slots, is_last && !has_newline, &mut row) {
            Ok(()) => {}
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
        let category = *label_cache
            .entry(row.label)
            .or_insert_with(|| schema::category_of(row.label));
        if category == Category::Unknown && row.label != schema::UNKNOWN_LABEL {
            *p.unknown.entry(row.label).or_insert(0) += 1;
        }
        p.dotted += usize::from(row.dotted);
        p.rows += 1;
        p.sink.push(
            &row,
            category,
            u32::try_from(p.line_count).unwrap_or(u32::MAX),
        );
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

impl<'a> Fields<'a> {
    /// The next field, and its value when it is plain digits (at most 18, so no overflow),
    /// read in the same pass that finds the field's end.
    #[inline(always)]
    fn next_digits(&mut self) -> Option<(&'a str, Option<i64>)> {
        if self.done {
            return None;
        }
        let bytes = self.line.as_bytes();
        let start = self.pos;
        let mut end = start;
        let mut v: u64 = 0;
        let mut plain = true;
        while end < bytes.len() && bytes[end] != b',' {
            let d = bytes[end].wrapping_sub(b'0');
            plain &= d <= 9;
            v = v.wrapping_mul(10).wrapping_add(u64::from(d));
            end += 1;
        }
        self.done = end == bytes.len();
        self.pos = end + 1;
        let len = end - start;
        let value = (plain && (1..=18).contains(&len)).then_some(v as i64);
        Some((&self.line[start..end], value))
    }

    /// The next field, and its value when it is a short decimal (`ddd.ddd`, at most 15 digits:
    /// the exact quotient of two exactly representable numbers, so one correctly rounded
    /// division gives the nearest double), read in the same pass that finds the field's end.
    #[inline(always)]
    fn next_decimal(&mut self) -> Option<(&'a str, Option<f64>)> {
        if self.done {
            return None;
        }
        let bytes = self.line.as_bytes();
        let start = self.pos;
        let mut end = start;
        let mut mantissa: u64 = 0;
        let (mut digits, mut decimals, mut dot, mut plain) = (0usize, 0usize, false, true);
        while end < bytes.len() && bytes[end] != b',' {
            let c = bytes[end];
            let d = c.wrapping_sub(b'0');
            if d <= 9 {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
                digits += 1;
                decimals += usize::from(dot);
            } else {
                plain &= c == b'.' && !dot;
                dot = true;
            }
            end += 1;
        }
        self.done = end == bytes.len();
        self.pos = end + 1;
        let value = if !plain || !(1..=15).contains(&digits) {
            None
        } else if decimals <= 2 && mantissa * [100, 10, 1][decimals] <= 100 {
            // A rate in hundredths (every NSL-KDD rate): the same quotient, looked up.
            Some(HUNDREDTHS[(mantissa * [100, 10, 1][decimals]) as usize])
        } else {
            Some(mantissa as f64 / POW10[decimals])
        };
        Some((&self.line[start..end], value))
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

/// `k / 100` for k = 0..=100, each the correctly rounded quotient (so the double a decimal
/// parser gives for `0.29` or `0.290`).
pub(crate) const HUNDREDTHS: [f64; 101] = {
    let mut a = [0.0; 101];
    let mut k = 0;
    while k <= 100 {
        a[k] = k as f64 / 100.0;
        k += 1;
    }
    a
};

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
    fn hundredths_are_what_a_decimal_parser_gives() {
        for (k, h) in HUNDREDTHS.iter().enumerate() {
            for text in [
                format!("{}.{:02}", k / 100, k % 100),
                format!("{}.{:02}0", k / 100, k % 100),
            ] {
                assert_eq!(
                    h.to_bits(),
                    text.parse::<f64>().unwrap().to_bits(),
                    "{text}"
                );
                let mut f = Fields::new(&text);
                assert_eq!(
                    f.next_decimal().unwrap().1.map(f64::to_bits),
                    Some(h.to_bits())
                );
            }
        }
        for text in ["0.5", "1", "0", "1.0", "0.123", "00.50", "1.01", "2", "100"] {
            let mut f = Fields::new(text);
            let want = text.parse::<f64>().unwrap();
            assert_eq!(f.next_decimal().unwrap().1, Some(want), "{text}");
        }
        for text in [
            "",
            ".",
            "1..0",
            "-0.5",
            "0.5x",
            "1e-2",
            "0.1234567890123456",
        ] {
            let mut f = Fields::new(text);
            assert_eq!(f.next_decimal().unwrap().1, None, "{text}");
        }
    }

    #[test]
    fn fields_give_plain_digits_on_the_way() {
        let mut f = Fields::new("0,123,,1x,999999999999999999,9999999999999999999");
        let got: Vec<Option<i64>> = std::iter::from_fn(|| f.next_digits().map(|x| x.1)).collect();
        assert_eq!(
            got,
            vec![
                Some(0),
                Some(123),
                None,
                None,
                Some(999_999_999_999_999_999),
                None
            ]
        );
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
