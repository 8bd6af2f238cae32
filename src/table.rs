//! The one table type: typed cells under named columns, written as aligned terminal text,
//! Markdown, CSV and (by the report's page toolkit) HTML. Commands' renderers fill it with text
//! cells they have formatted; the reports with counts, measures and shares, which each format
//! shows its own way (thousands separators and four significant digits on a page or a terminal,
//! full precision in CSV).

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::format::{self, significant, thousands};

/// A table cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text (left-aligned).
    Text(String),
    /// A count (thousands separators when shown, plain in CSV).
    Count(u64),
    /// A measure (four significant digits when shown, whole numbers with thousands separators;
    /// full precision in CSV).
    Number(f64),
    /// A share in [0, 1] (a percentage when shown, the fraction in CSV).
    Share(f64),
}

impl Cell {
    /// The cell as shown on a page or a terminal (text as it is, not escaped).
    pub fn display(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Count(n) => thousands(*n),
            Cell::Number(v) if v.is_nan() => "–".into(),
            Cell::Number(v) => significant(*v),
            Cell::Share(v) if v.is_nan() => "–".into(),
            Cell::Share(v) => format!("{:.2}%", 100.0 * v),
        }
    }

    /// The cell in CSV: numbers at full precision, text safe for spreadsheets.
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(t) => format::csv_safe(t),
            Cell::Count(n) => n.to_string(),
            Cell::Number(v) | Cell::Share(v) if v.is_nan() => String::new(),
            Cell::Number(v) | Cell::Share(v) => v.to_string(),
        }
    }

    /// Whether the cell holds a number.
    pub fn numeric(&self) -> bool {
        !matches!(self, Cell::Text(_))
    }
}

/// How a table column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text columns.
    Left,
    /// Number columns.
    Right,
}

/// The widest line a text table prints (a terminal of 100 columns).
pub const MAX_WIDTH: usize = 100;

/// A table: typed cells under named columns, written as aligned text (at most [`MAX_WIDTH`]
/// wide), Markdown, CSV (numbers at full precision) or, by the page toolkit, HTML.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// A name (the report's `tables/NAME.csv`; empty for terminal tables).
    pub name: String,
    /// Column headers.
    pub header: Vec<String>,
    /// Column alignments (numbers right, text left, by the first row's cells when not given).
    pub align: Vec<Align>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these column headers and alignments.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            name: String::new(),
            header: columns.iter().map(|(h, _)| h.to_string()).collect(),
            align: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
        }
    }

    /// A named table with these headers, aligned by its cells.
    pub fn named(name: impl Into<String>, header: &[&str]) -> Table {
        Table {
            name: name.into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            align: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Appends a row of text cells (as many as columns).
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row.into_iter().map(Cell::Text).collect());
    }

    /// The alignment of column `i`.
    fn align_of(&self, i: usize) -> Align {
        match self.align.get(i) {
            Some(a) => *a,
            None if self
                .rows
                .first()
                .and_then(|r| r.get(i))
                .is_some_and(Cell::numeric) =>
            {
                Align::Right
            }
            None => Align::Left,
        }
    }

    /// Every row's cells as they are shown.
    fn shown(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| r.iter().map(Cell::display).collect())
            .collect()
    }

    /// The CSV text: a header line (snake_case) and one line per row, numbers at full precision,
    /// text made safe for spreadsheets.
    pub fn to_csv(&self) -> Result<String> {
        let mut w = ::csv::Writer::from_writer(Vec::new());
        let fail = |e: ::csv::Error| Error::Output(std::io::Error::other(e.to_string()));
        let header: Vec<String> = self.header.iter().map(|h| format::snake_case(h)).collect();
        w.write_record(&header).map_err(fail)?;
        for r in &self.rows {
            w.write_record(r.iter().map(Cell::csv)).map_err(fail)?;
        }
        format::csv_text(w)
    }

    fn widths(&self, rows: &[Vec<String>]) -> Vec<usize> {
        (0..self.header.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .chain(std::iter::once(self.header[i].chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The first two cells of each row (for key-value tables).
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        fn text(c: Option<&Cell>) -> &str {
            match c {
                Some(Cell::Text(t)) => t.as_str(),
                _ => "",
            }
        }
        self.rows.iter().map(|r| (text(r.first()), text(r.get(1))))
    }

    /// Aligned text, columns one space apart, each line indented by `indent` spaces.
    pub fn to_text(&self, indent: usize) -> String {
        self.lines(indent, true)
    }

    /// Aligned text of the rows without the header line.
    pub fn to_text_without_header(&self, indent: usize) -> String {
        self.lines(indent, false)
    }

    fn lines(&self, indent: usize, header: bool) -> String {
        let shown = self.shown();
        let widths = self.widths(&shown);
        // Columns after the first (the row's key) in groups that fit the terminal width; a table
        // too wide for it is printed in several blocks, each with the key column again.
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let key = widths.first().copied().unwrap_or(0);
        let mut used = indent + key;
        for (i, w) in widths.iter().enumerate().skip(1) {
            let need = 1 + w;
            match groups.last_mut() {
                Some(g) if used + need <= MAX_WIDTH => g.push(i),
                _ => {
                    groups.push(vec![i]);
                    used = indent + key;
                }
            }
            used += need;
        }
        if groups.is_empty() {
            groups.push(Vec::new());
        }
        let mut out = String::new();
        for (n, group) in groups.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            let columns: Vec<usize> = std::iter::once(0).chain(group.iter().copied()).collect();
            let head = header.then_some(&self.header);
            for row in head.into_iter().chain(&shown) {
                let mut line = " ".repeat(indent);
                for (k, &i) in columns.iter().enumerate() {
                    let Some(cell) = row.get(i) else { continue };
                    if k > 0 {
                        line.push(' ');
                    }
                    let pad = widths[i].saturating_sub(cell.chars().count());
                    match self.align_of(i) {
                        Align::Left => {
                            line.push_str(cell);
                            line.push_str(&" ".repeat(pad));
                        }
                        Align::Right => {
                            line.push_str(&" ".repeat(pad));
                            line.push_str(cell);
                        }
                    }
                }
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
        out
    }

    /// A GitHub-flavoured Markdown table; `|` in cells is escaped.
    pub fn to_markdown(&self) -> String {
        let cell = |s: &str| s.replace('\\', "\\\\").replace('|', "\\|");
        let mut out = String::new();
        let line = |cells: &[String]| {
            format!(
                "| {} |\n",
                cells
                    .iter()
                    .map(|c| cell(c))
                    .collect::<Vec<_>>()
                    .join(" | ")
            )
        };
        out.push_str(&line(&self.header));
        let rule: Vec<String> = (0..self.header.len())
            .map(|i| match self.align_of(i) {
                Align::Left => ":--".to_string(),
                Align::Right => "--:".to_string(),
            })
            .collect();
        let _ = writeln!(out, "| {} |", rule.join(" | "));
        for r in &self.shown() {
            out.push_str(&line(r));
        }
        out
    }
}
