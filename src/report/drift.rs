//! Section 3, train vs test: drift per feature (KS, PSI, TVD), novel attacks, category shares.

use super::html::{Block, Cell, Figure, Section, Table};
use super::plot::{BarChart, Bars, Scale};
use super::{palette, short};
use crate::error::Result;
use crate::schema;
use crate::stats::drift::DriftReport;

fn test_file_section(d: &DriftReport, id: &str, blocks: &mut Vec<Block>) -> Result<()> {
    let (train, test) = (short(&d.train), short(&d.test));
    blocks.push(Block::Heading(format!("{} vs {}", train, test)));
    let novel_share = d.novel_rows as f64 / d.test_rows.max(1) as f64;
    blocks.push(Block::Text(format!(
        "{} novel labels (absent from the training file) on {} rows ({:.2}% of the test file).",
        d.novel_labels.len(),
        d.novel_rows,
        100.0 * novel_share
    )));
    let colour = palette::series(0);
    let ks = BarChart {
        title: format!("Kolmogorov-Smirnov statistic, {}", test),
        value_desc: "largest gap between the two cumulative distributions".into(),
        rows: d
            .numeric
            .iter()
            .map(|(f, x)| (f.to_string(), vec![(x.ks, colour)]))
            .collect(),
        mode: Bars::Stacked,
        scale: Scale::Linear,
        // The axis ends just past the largest statistic (KS is at most 1).
        max: Some((d.numeric.iter().map(|(_, x)| x.ks).fold(0.0, f64::max) * 1.1).clamp(0.05, 1.0)),
        legend: Vec::new(),
        marks: Vec::new(),
    };
    let psi_colour = palette::series(1);
    let psi = BarChart {
        title: format!("Population stability index, {}", test),
        value_desc: "PSI over training deciles".into(),
        rows: d
            .numeric
            .iter()
            .map(|(f, x)| (f.to_string(), vec![(x.psi, psi_colour)]))
            .collect(),
        mode: Bars::Stacked,
        scale: Scale::Linear,
        max: None,
        legend: Vec::new(),
        marks: vec![
            (0.1, "0.1: a moderate shift".into()),
            (0.25, "0.25: a large shift".into()),
        ],
    };
    let mut figures = vec![
        Figure {
            name: format!("drift-ks-{id}"),
            caption: format!(
                "Drift of each numeric feature from {} to {} by the two-sample KS statistic (as \
                 scipy.stats.ks_2samp), most drifted first.",
                train, test
            ),
            svg: ks.draw()?,
            wide: false,
        },
        Figure {
            name: format!("drift-psi-{id}"),
            caption: "The same features by the population stability index (bins: training \
                      deciles, shares floored at 1e-4), in the order of the KS chart."
                .into(),
            svg: psi.draw()?,
            wide: false,
        },
    ];
    if !d.novel_labels.is_empty() {
        let chart = BarChart {
            title: format!("Novel attacks in {}", test),
            value_desc: "rows".into(),
            rows: d
                .novel_labels
                .iter()
                .map(|(l, n)| {
                    let c = palette::category(schema::category_of(l));
                    (l.to_string(), vec![(*n as f64, c)])
                })
                .collect(),
            mode: Bars::Stacked,
            // Counts from 1 to thousands: a log axis keeps the small labels visible.
            scale: Scale::Log1p,
            max: None,
            legend: schema::Category::ALL[1..5]
                .iter()
                .map(|&c| (c.as_str().to_string(), palette::category(c)))
                .collect(),
            marks: Vec::new(),
        };
        figures.push(Figure {
            name: format!("novel-{id}"),
            caption: format!(
                "Labels of {} that the training file does not have, coloured by category.",
                test
            ),
            svg: chart.draw()?,
            wide: false,
        });
    }
    blocks.push(Block::Figures(figures));

    let [numeric, categorical, novel] = drift_tables(d, id);
    // The shares of the categories are in the overview's table, all files side by side.
    blocks.extend([Block::Table(categorical), Block::Table(numeric)]);
    if !novel.rows.is_empty() {
        blocks.push(Block::Table(novel));
    }
    Ok(())
}

/// The drift of each feature, numeric and categorical, and the novel labels, as tables.
fn drift_tables(d: &DriftReport, id: &str) -> [Table; 3] {
    let mut numeric = Table::named(format!("drift-{id}"), &["feature", "KS", "PSI", "PSI bins"]);
    for (f, x) in d.numeric.iter() {
        numeric.rows.push(vec![
            Cell::Text(f.to_string()),
            Cell::Number(x.ks),
            Cell::Number(x.psi),
            Cell::Count(x.bins as u64),
        ]);
    }
    let mut categorical = Table::named(
        format!("drift-categorical-{id}"),
        &[
            "feature",
            "TVD",
            "values only in train",
            "values only in test",
        ],
    );
    for (f, x) in d.categorical.iter() {
        let list = |m: &crate::stats::OrderedMap<u64>| {
            m.iter()
                .map(|(v, n)| format!("{v} ({n})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        categorical.rows.push(vec![
            Cell::Text(f.to_string()),
            Cell::Number(x.tvd),
            Cell::Text(list(&x.only_train)),
            Cell::Text(list(&x.only_test)),
        ]);
    }
    let mut novel = Table::named(format!("novel-{id}"), &["label", "category", "rows"]);
    for (l, n) in d.novel_labels.iter() {
        novel.rows.push(vec![
            Cell::Text(l.to_string()),
            Cell::Text(schema::category_of(l).as_str().into()),
            Cell::Count(*n),
        ]);
    }
    [numeric, categorical, novel]
}

/// The train-vs-test section.
pub fn section(drift: &[DriftReport]) -> Result<Section> {
    let names: Vec<String> = drift.iter().map(|d| d.test.clone()).collect();
    let ids = super::slugs(&names);
    let mut blocks = Vec::new();
    for (d, id) in drift.iter().zip(&ids) {
        test_file_section(d, id, &mut blocks)?;
    }
    Ok(Section {
        id: "drift".into(),
        title: "Train vs test".into(),
        intro: "How far each test file's features moved from the training file's (KS and PSI for \
                numeric features, total variation distance for categorical ones), which attacks \
                are new in the test files, and how the category shares changed."
            .into(),
        blocks,
    })
}
