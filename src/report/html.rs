//! The report page: one self-contained HTML file (inline stylesheet, no script, no external
//! resource) that shows the SVG plots with `<img>` and the tables inline. Every string is escaped.

use std::fmt::Write as _;

pub use crate::format::significant;
pub use crate::table::{Cell, Table};

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    escape_chars(text)
}

/// Whether XML 1.0 allows a character (no C0 control but tab, line feed and carriage return; no
/// U+FFFE, U+FFFF). A label holding an ESC would otherwise make an SVG ill-formed.
pub fn xml_char(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// A finished SVG with every character XML forbids replaced by U+FFFD (plotters escapes markup
/// but not control characters).
pub fn xml_safe(svg: &str) -> String {
    if svg.chars().all(xml_char) {
        svg.to_string()
    } else {
        svg.chars()
            .map(|c| if xml_char(c) { c } else { '\u{fffd}' })
            .collect()
    }
}

fn escape_chars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if !xml_char(c) => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
    out
}

/// A plot shown on the page and written to `plots/NAME.svg`.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// File name without `.svg`.
    pub name: String,
    /// What it shows (the image's alternative text and caption).
    pub caption: String,
    /// The SVG text.
    pub svg: String,
    /// Shown at full width (else two a row).
    pub wide: bool,
}

/// A table as HTML (numbers right-aligned), with a link to its CSV file.
fn table_html(t: &Table, out: &mut String) {
    out.push_str("<div class=\"table\"><table>\n<thead><tr>");
    for h in &t.header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &t.rows {
        out.push_str("<tr>");
        for c in r {
            let class = if c.numeric() { " class=\"n\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", escape(&c.display()));
        }
        out.push_str("</tr>\n");
    }
    let _ = writeln!(
        out,
        "</tbody></table><p class=\"csv\"><a href=\"tables/{0}.csv\">tables/{0}.csv</a></p></div>",
        escape(&t.name)
    );
}

/// A piece of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading inside a section.
    Heading(String),
    /// A paragraph of text.
    Text(String),
    /// Figures shown side by side.
    Figures(Vec<Figure>),
    /// A table.
    Table(Table),
    /// A list of short items.
    List(Vec<String>),
    /// A list of short items, each with a link to the section (anchor) holding its evidence.
    Links(Vec<(String, String)>),
}

/// A section of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Anchor.
    pub id: String,
    /// Heading.
    pub title: String,
    /// What the section shows, in a sentence.
    pub intro: String,
    /// Its content.
    pub blocks: Vec<Block>,
}

impl Section {
    /// Every figure of the section.
    pub fn figures(&self) -> impl Iterator<Item = &Figure> {
        self.blocks.iter().flat_map(|b| match b {
            Block::Figures(f) => f.as_slice(),
            _ => &[],
        })
    }

    /// Every table of the section.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
    }
}

const STYLE: &str =
    "body{font-family:sans-serif;margin:0 auto;max-width:1320px;padding:0 16px 40px;color:#222}
h1{margin-top:24px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:40px}
nav ul{display:flex;flex-wrap:wrap;gap:16px;list-style:none;padding:0}
.figs{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
figure{margin:0;border:1px solid #e4e4e4;padding:4px;background:#fff;max-width:calc(50% - 16px)}
figure.wide{max-width:100%}
figure img{display:block;max-width:100%;height:auto}
figcaption{font-size:12px;color:#555;max-width:640px;padding:2px 4px}
.table{overflow-x:auto;margin:8px 0}table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px}th{background:#f4f4f4;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.csv{font-size:12px;margin:2px 0}
.meta{color:#555;font-size:13px}
ul.findings{background:#f6f8fb;border:1px solid #d8dee8;padding:10px 10px 10px 28px}
ul.findings li{margin:4px 0}.top{font-size:12px}
nav>ul>li{max-width:100%}details{font-size:12px}ul.toc{display:block;padding-left:16px;list-style:disc}
@media (max-width:1000px){figure{max-width:100%}}
img{max-width:100%}pre{white-space:pre-wrap;overflow-wrap:anywhere}
@media print{figure,table,ul.findings{break-inside:avoid}nav details{display:none}figure{max-width:100%}}";

/// The whole page.
pub fn page(title: &str, meta: &[String], sections: &[Section]) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n<h1 id=\"top\">{}</h1>\n",
        escape(title),
        escape(title)
    );
    for m in meta {
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", escape(m));
    }
    // The table of contents: every section, and under it every plot (folded).
    out.push_str("<nav><ul>\n");
    for s in sections {
        let _ = write!(
            out,
            "<li><a href=\"#{}\">{}</a>",
            escape(&s.id),
            escape(&s.title)
        );
        let figures: Vec<&Figure> = s.figures().collect();
        if !figures.is_empty() {
            let _ = write!(
                out,
                "<details><summary>{} plots</summary><ul class=\"toc\">",
                figures.len()
            );
            for f in figures {
                let _ = write!(
                    out,
                    "<li><a href=\"#fig-{}\">{}</a></li>",
                    escape(&f.name),
                    escape(&f.caption)
                );
            }
            out.push_str("</ul></details>");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul></nav>\n");
    for s in sections {
        let _ = write!(
            out,
            "<section id=\"{}\">\n<h2>{}</h2>\n<p>{}</p>\n",
            escape(&s.id),
            escape(&s.title),
            escape(&s.intro)
        );
        for b in &s.blocks {
            match b {
                Block::Heading(h) => {
                    let _ = writeln!(out, "<h3>{}</h3>", escape(h));
                }
                Block::Text(t) => {
                    let _ = writeln!(out, "<p>{}</p>", escape(t));
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for i in items {
                        let _ = writeln!(out, "<li>{}</li>", escape(i));
                    }
                    out.push_str("</ul>\n");
                }
                Block::Links(items) => {
                    out.push_str("<ul class=\"findings\">\n");
                    for (text, anchor) in items {
                        let _ = writeln!(
                            out,
                            "<li>{} <a href=\"#{}\">(evidence)</a></li>",
                            escape(text),
                            escape(anchor)
                        );
                    }
                    out.push_str("</ul>\n");
                }
                Block::Table(t) => table_html(t, &mut out),
                Block::Figures(figs) => {
                    out.push_str("<div class=\"figs\">\n");
                    for f in figs {
                        let _ = writeln!(
                            out,
                            "<figure id=\"fig-{}\"{}><img src=\"plots/{}.svg\" alt=\"{}\"><figcaption>{}</figcaption></figure>",
                            escape(&f.name),
                            if f.wide { " class=\"wide\"" } else { "" },
                            escape(&f.name),
                            escape(&f.caption),
                            escape(&f.caption)
                        );
                    }
                    out.push_str("</div>\n");
                }
            }
        }
        out.push_str("<p class=\"top\"><a href=\"#top\">back to top</a></p>\n");
        out.push_str("</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The files of a report folder: `index.html`, `plots/*.svg`, `tables/*.csv` and `summary.json`
/// (the given JSON value), as relative paths and bytes. Names must be unique: a clash would
/// silently drop a plot, so it is an error.
pub fn folder_files<T: serde::Serialize>(
    title: &str,
    meta: &[String],
    sections: &[Section],
    summary: &T,
) -> crate::Result<Vec<(String, Vec<u8>)>> {
    let mut out = vec![(
        "index.html".to_string(),
        page(title, meta, sections).into_bytes(),
    )];
    for s in sections {
        for f in s.figures() {
            out.push((
                format!("plots/{}.svg", f.name),
                xml_safe(&f.svg).into_bytes(),
            ));
        }
        for t in s.tables() {
            out.push((format!("tables/{}.csv", t.name), t.to_csv()?.into_bytes()));
        }
    }
    let mut json = crate::format::json(summary)?;
    if !json.ends_with('\n') {
        json.push('\n');
    }
    out.push(("summary.json".to_string(), json.into_bytes()));
    let mut names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(crate::Error::Internal(format!(
            "two report files named {}",
            w[0]
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_xml() {
        assert_eq!(escape("a\u{1b}[31mb"), "a\u{fffd}[31mb");
        assert_eq!(
            xml_safe("<text>\u{1}x\tz</text>"),
            "<text>\u{fffd}x\tz</text>"
        );
    }

    #[test]
    fn everything_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;"
        );
        let mut t = Table::named("t", &["label"]);
        t.rows.push(vec![Cell::Text("<b>x</b>".into())]);
        let s = Section {
            id: "a".into(),
            title: "A".into(),
            intro: "i".into(),
            blocks: vec![Block::Table(t), Block::List(vec!["<i>".into()])],
        };
        let html = page("<t>", &[], &[s]);
        assert!(!html.contains("<b>x") && !html.contains("<i>") && !html.contains("<t>"));
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
    }

    #[test]
    fn cells_on_the_page_and_in_csv() {
        let mut t = Table::named("t", &["a", "b", "c"]);
        t.rows.push(vec![
            Cell::Count(12345),
            Cell::Share(0.123456),
            Cell::Number(f64::NAN),
        ]);
        assert_eq!(t.to_csv().unwrap(), "a,b,c\n12345,0.123456,\n");
        let mut html = String::new();
        table_html(&t, &mut html);
        assert!(html.contains(">12,345<") && html.contains(">12.35%<") && html.contains(">–<"));
    }

    #[test]
    fn four_significant_digits() {
        assert_eq!(significant(0.950532), "0.9505");
        assert_eq!(significant(123.456), "123.5");
        assert_eq!(significant(12345.6), "12,346");
        assert_eq!(significant(1234567.0), "1,234,567");
        assert_eq!(significant(-0.5), "-0.5000");
        assert_eq!(significant(2.5e-5), "2.500e-5");
    }
}
