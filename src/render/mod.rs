//! Output stage: the text forms of results (aligned tables, Markdown, CSV, JSON) shared by all
//! subcommands.

pub mod capture;
pub mod clean;
pub mod compare;
pub mod describe;
pub mod evaluate;
pub mod stats;

pub use crate::format::{compact, csv_safe, csv_text, json, snake_case, thousands};

use crate::error::Result;

/// Output formats of the reporting subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal (100 columns wide).
    #[default]
    Table,
    /// JSON: a documented, stable structure for scripts.
    Json,
    /// CSV: one tidy record per figure, full precision.
    Csv,
    /// GitHub-flavoured Markdown tables.
    Markdown,
}

/// The formats of a summary that has no tabular form (`clean`, `fit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SummaryFormat {
    /// Lines for people.
    #[default]
    Table,
    /// JSON for scripts.
    Json,
}

impl From<SummaryFormat> for Format {
    fn from(f: SummaryFormat) -> Format {
        match f {
            SummaryFormat::Table => Format::Table,
            SummaryFormat::Json => Format::Json,
        }
    }
}

/// The formats of a summary with tables but no tidy CSV form (`pcap`; its records are the CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TextFormat {
    /// Aligned columns for a terminal.
    #[default]
    Table,
    /// JSON for scripts.
    Json,
    /// GitHub-flavoured Markdown tables.
    Markdown,
}

impl From<TextFormat> for Format {
    fn from(f: TextFormat) -> Format {
        match f {
            TextFormat::Table => Format::Table,
            TextFormat::Json => Format::Json,
            TextFormat::Markdown => Format::Markdown,
        }
    }
}

/// The formats of per-record output (`score`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RecordFormat {
    /// One CSV line per record.
    #[default]
    Csv,
    /// One JSON document: the model, the threshold and one object per record.
    Json,
}

pub use crate::table::{Align, MAX_WIDTH, Table};

/// Text for a terminal: every line longer than [`MAX_WIDTH`] (a title naming long paths, a
/// sentence) wrapped at spaces, its continuation indented two more spaces; a word longer than a
/// line is cut.
pub fn wrap(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if body.chars().count() <= MAX_WIDTH {
            out.push_str(line);
            continue;
        }
        let indent = body.len() - body.trim_start().len();
        let cont = " ".repeat(indent + 2);
        let mut rest: Vec<char> = body.chars().collect();
        let mut first = true;
        while !rest.is_empty() {
            let prefix = if first { "" } else { cont.as_str() };
            let room = MAX_WIDTH - prefix.len();
            if rest.len() <= room {
                out.push_str(prefix);
                out.extend(rest.iter());
                break;
            }
            let cut = rest[..=room]
                .iter()
                .rposition(|c| *c == ' ')
                .filter(|&i| i > indent)
                .unwrap_or(room);
            out.push_str(prefix);
            out.extend(rest[..cut].iter());
            out.push('\n');
            let skip = usize::from(rest.get(cut) == Some(&' '));
            rest.drain(..cut + skip);
            first = false;
        }
        out.push_str(end);
    }
    out
}

/// A count of rows for people: `1 row`, `125,973 rows`.
pub fn rows(n: usize) -> String {
    if n == 1 {
        "1 row".to_string()
    } else {
        format!("{} rows", thousands(n as u64))
    }
}

/// A rate per second for people: whole units with thousands separators from 10 up
/// (`848,796`), else [`compact`].
pub fn per_second(v: f64) -> String {
    if (10.0..1e18).contains(&v) {
        thousands(v.round() as u64)
    } else {
        compact(v)
    }
}

/// A float at full precision (shortest text that reads back to the same value), for CSV.
pub fn exact(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v}")
    }
}

/// Writes a string to standard output, mapping failures to [`Error::Output`](crate::Error::Output).
pub fn print(text: &str) -> Result<()> {
    crate::output::stdout_write(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_numbers_fit_seven_characters() {
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(42908.0), "42908");
        assert_eq!(compact(287.14464845642), "287.145");
        assert_eq!(compact(2604.515309), "2604.52");
        assert_eq!(compact(0.5), "0.5");
        assert_eq!(compact(0.921341), "0.92134");
        assert_eq!(compact(5_870_331.18), "5870331");
        assert_eq!(compact(1_379_963_888.0), "1.380e9");
        assert_eq!(compact(0.000_012_3), "1.23e-5");
        assert_eq!(compact(-2.5), "-2.5");
        assert_eq!(compact(f64::NAN), "NaN");
        for v in [1e-9, 123456.7891, 9999999.6, 0.00099999, 3.3e12] {
            assert!(compact(v).len() <= 7, "{v} -> {}", compact(v));
        }
    }

    #[test]
    fn wide_tables_wrap_with_the_key_repeated() {
        let cols: Vec<(String, Align)> = (0..12)
            .map(|i| (format!("column{i:02}"), Align::Right))
            .collect();
        let cols: Vec<(&str, Align)> = cols.iter().map(|(n, a)| (n.as_str(), *a)).collect();
        let mut t = Table::new(&cols);
        t.push((0..12).map(|i| format!("{}", i * 1000)).collect());
        let text = t.to_text(2);
        assert!(
            text.lines().all(|l| l.chars().count() <= MAX_WIDTH),
            "{text}"
        );
        let blocks: Vec<&str> = text.split("\n\n").collect();
        assert_eq!(blocks.len(), 2);
        assert!(
            blocks
                .iter()
                .all(|b| b.trim_start().starts_with("column00"))
        );
        // Every cell is still there.
        for i in 1..12 {
            assert!(text.contains(&format!("column{i:02}")));
        }
    }

    #[test]
    fn long_lines_wrap_at_spaces() {
        let long = format!("{} end\nshort\n", "word ".repeat(30));
        let w = wrap(&long);
        assert!(w.lines().all(|l| l.chars().count() <= MAX_WIDTH), "{w}");
        assert!(w.contains("\n  word"));
        assert!(w.ends_with("end\nshort\n"));
        let path = format!("{}\n", "x".repeat(250));
        assert!(wrap(&path).lines().all(|l| l.chars().count() <= MAX_WIDTH));
        assert_eq!(wrap("a b\n"), "a b\n");
    }

    #[test]
    fn machine_keys_and_safe_cells() {
        assert_eq!(snake_case("test file"), "test_file");
        assert_eq!(snake_case("ROC AUC"), "roc_auc");
        assert_eq!(snake_case("false-alarm rate"), "false_alarm_rate");
        assert_eq!(snake_case("5%"), "5pct");
        assert_eq!(csv_safe("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_safe("+cmd|x"), "'+cmd|x");
        assert_eq!(csv_safe("normal"), "normal");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(125_973), "125,973");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn table_text_and_markdown() {
        let mut t = Table::new(&[("name", Align::Left), ("n", Align::Right)]);
        t.push(vec!["a|b".into(), "1".into()]);
        t.push(vec!["long name".into(), "100".into()]);
        assert_eq!(
            t.to_text(0),
            "name        n\na|b         1\nlong name 100\n"
        );
        assert_eq!(
            t.to_markdown(),
            "| name | n |\n| :-- | --: |\n| a\\|b | 1 |\n| long name | 100 |\n"
        );
    }
}
