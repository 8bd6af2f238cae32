//! Section 1, overview: files, rows, duplicates, conflicts, alerts; category, label and difficulty
//! distributions.

use super::html::{Block, Cell, Figure, Section, Table};
use super::plot::{BarChart, Bars, LineChart, Scale, WIDTH};
use super::{FileOverview, palette, short, slugs};
use crate::error::Result;
use crate::schema::{self, Category};
use crate::stats::analysis::StatsReport;

fn category_legend() -> Vec<(String, plotters::style::RGBColor)> {
    Category::ALL[..5]
        .iter()
        .map(|&c| (c.as_str().to_string(), palette::category(c)))
        .collect()
}

/// The overview section.
pub fn section(files: &[FileOverview], stats: &StatsReport) -> Result<Section> {
    let names: Vec<String> = files.iter().map(|f| f.file.clone()).collect();
    let ids = slugs(&names);
    let mut blocks = Vec::new();

    let mut table = Table::named(
        "files",
        &[
            "file",
            "rows",
            "duplicate rows",
            "conflicting rows",
            "conflicting vectors",
            "labels",
            "constant columns",
        ],
    );
    for f in files {
        table.rows.push(vec![
            Cell::Text(short(&f.file).to_string()),
            Cell::Count(f.rows as u64),
            Cell::Count(f.findings.duplicate_rows as u64),
            Cell::Count(f.findings.conflicting_rows as u64),
            Cell::Count(f.findings.conflicting_vectors as u64),
            Cell::Count(f.labels.len() as u64),
            Cell::Text(f.findings.constant_columns.join(" ")),
        ]);
    }
    blocks.push(Block::Table(table));

    category_blocks(files, &mut blocks)?;
    label_blocks(files, &ids, &mut blocks)?;
    alert_blocks(stats, &mut blocks);
    Ok(Section {
        id: "overview".into(),
        title: "Overview".into(),
        intro: "The files, their rows, duplicates and conflicting labels, how the rows split into \
                attack categories, labels and difficulty levels, and the data-quality alerts of \
                the training file."
            .into(),
        blocks,
    })
}

/// Category shares, one stacked bar per file, the difficulty levels, and their table.
fn category_blocks(files: &[FileOverview], blocks: &mut Vec<Block>) -> Result<()> {
    let rows = files
        .iter()
        .map(|f| {
            let total = f.rows.max(1) as f64;
            let segs = Category::ALL
                .iter()
                .map(|&c| {
                    let n = f.categories.get(c.as_str()).copied().unwrap_or(0);
                    (n as f64 / total, palette::category(c))
                })
                .collect();
            (short(&f.file).to_string(), segs)
        })
        .collect();
    let categories = BarChart {
        title: "Attack categories per file".into(),
        value_desc: "share of rows".into(),
        rows,
        mode: Bars::Stacked,
        scale: Scale::Linear,
        max: Some(1.0),
        legend: category_legend(),
        marks: Vec::new(),
    };
    let mut cat_table = Table::named("categories", &["category"]);
    for f in files {
        cat_table.header.push(format!("{} rows", short(&f.file)));
        cat_table.header.push(format!("{} share", short(&f.file)));
    }
    for c in Category::ALL {
        if files.iter().all(|f| f.categories.get(c.as_str()).is_none()) {
            continue;
        }
        let mut row = vec![Cell::Text(c.as_str().into())];
        for f in files {
            let n = f.categories.get(c.as_str()).copied().unwrap_or(0);
            row.push(Cell::Count(n));
            row.push(Cell::Share(n as f64 / f.rows.max(1) as f64));
        }
        cat_table.rows.push(row);
    }
    let mut figures = vec![Figure {
        name: "categories".into(),
        caption: "Share of each attack category in each file.".into(),
        svg: categories.draw()?,
        wide: false,
    }];

    if files.iter().any(|f| f.difficulty.is_some()) {
        let series = files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let d = f.difficulty.as_ref()?;
                let total = f.rows.max(1) as f64;
                let points: Vec<(f64, f64)> = d
                    .iter()
                    .map(|(level, n)| (level.parse::<f64>().unwrap_or(0.0), *n as f64 / total))
                    .collect();
                Some((short(&f.file).to_string(), palette::file(i), points))
            })
            .collect::<Vec<_>>();
        let top = series
            .iter()
            .flat_map(|s| s.2.iter().map(|p| p.1))
            .fold(0.0, f64::max);
        let chart = LineChart {
            title: "Difficulty levels".into(),
            x_desc: "difficulty (reference learners that classified the record right)".into(),
            y_desc: "share of rows".into(),
            series,
            x_range: (0.0, schema::MAX_DIFFICULTY as f64),
            y_range: (0.0, (top * 1.1).max(0.01)),
            x_scale: Scale::Linear,
            diagonal: false,
            markers: Vec::new(),
            baselines: Vec::new(),
            width: WIDTH,
        };
        figures.push(Figure {
            name: "difficulty".into(),
            caption: "Share of rows at each difficulty level (0: no reference learner got the record right, 21: all did).".into(),
            svg: chart.draw()?,
            wide: false,
        });
    }
    blocks.push(Block::Figures(figures));
    blocks.push(Block::Table(cat_table));

    Ok(())
}

/// Rows per label in each file.
fn label_blocks(files: &[FileOverview], ids: &[String], blocks: &mut Vec<Block>) -> Result<()> {
    blocks.push(Block::Heading("Labels".into()));
    blocks.push(Block::Text(
        "Rows per label in each file, on a log scale, coloured by attack category.".into(),
    ));
    let mut label_figures = Vec::new();
    for (f, id) in files.iter().zip(ids.iter()) {
        let rows = f
            .labels
            .iter()
            .map(|(l, n)| {
                let c = palette::category(schema::category_of(l));
                (l.to_string(), vec![(*n as f64, c)])
            })
            .collect();
        let chart = BarChart {
            title: format!("Labels of {}", short(&f.file)),
            value_desc: "rows".into(),
            rows,
            mode: Bars::Stacked,
            scale: Scale::Log1p,
            max: None,
            legend: category_legend(),
            marks: Vec::new(),
        };
        label_figures.push(Figure {
            name: format!("labels-{id}"),
            caption: format!("Rows per label in {}.", short(&f.file)),
            svg: chart.draw()?,
            wide: false,
        });
    }
    blocks.push(Block::Figures(label_figures));

    Ok(())
}

/// The training file's data-quality alerts.
fn alert_blocks(stats: &StatsReport, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading(format!("Alerts on {}", short(&stats.path))));
    let mut alerts = Table::named("alerts", &["kind", "column", "value", "alert"]);
    for a in &stats.alerts {
        alerts.rows.push(vec![
            Cell::Text(a.kind.into()),
            Cell::Text(a.column.clone().unwrap_or_default()),
            Cell::Number(a.value),
            Cell::Text(a.message.clone()),
        ]);
    }
    if alerts.rows.is_empty() {
        blocks.push(Block::Text("No alert.".into()));
    } else {
        blocks.push(Block::Table(alerts));
    }
}
