//! Section 2, features: histograms of the numeric features, per-category overlays of the most
//! relevant ones, bars of the categorical features by category, the correlation heat map and the
//! relevance ranking.

use rayon::prelude::*;

use super::html::{Block, Cell, Figure, Section, Table};
use super::plot::{BarChart, Bars, HeatMap, Histogram, LineChart, Scale};
use super::read::Profile;
use super::{HistogramFigures, ReportOptions, palette};
use crate::error::Result;
use crate::schema::{self, Category, Feature, Kind};
use crate::stats::analysis::StatsReport;
use crate::stats::{Distribution, OrderedMap};

/// Bins of equal width for rates.
const RATE_BINS: usize = 20;
/// Bins per decade on a log scale.
const PER_DECADE: usize = 4;

/// The bin edges of a feature (`edges[i]..edges[i + 1]`) and whether they are logarithmic.
fn edges(feature: &Feature, d: &Distribution) -> (Vec<f64>, Scale) {
    let (min, max) = (d.min(), d.max());
    match feature.kind {
        Kind::Binary => (vec![-0.5, 0.5, 1.5], Scale::Linear),
        Kind::Rate => (
            (0..=RATE_BINS)
                .map(|i| i as f64 / RATE_BINS as f64)
                .collect(),
            Scale::Linear,
        ),
        _ if max >= 100.0 && d.skewness().abs() > 2.0 => {
            // Heavy-tailed counts: bins equally wide in log10(1 + v).
            let decades = Scale::Log1p.to_axis(max).ceil().max(1.0) as usize;
            let e = (0..=decades * PER_DECADE)
                .map(|k| Scale::Log1p.from_axis(k as f64 / PER_DECADE as f64))
                .collect();
            (e, Scale::Log1p)
        }
        _ if max - min <= 40.0 => (
            (0..=(max - min) as usize + 1)
                .map(|k| min - 0.5 + k as f64)
                .collect(),
            Scale::Linear,
        ),
        _ => (
            (0..=RATE_BINS)
                .map(|k| min + (max - min) * k as f64 / RATE_BINS as f64)
                .collect(),
            Scale::Linear,
        ),
    }
}

/// The bin of a value: `edges[i] <= v < edges[i + 1]`, the last bin closed.
fn bin(edges: &[f64], v: f64) -> usize {
    edges
        .partition_point(|&e| e <= v)
        .saturating_sub(1)
        .min(edges.len() - 2)
}

/// Rows per bin of a distribution.
fn counts(edges: &[f64], d: &Distribution) -> Vec<f64> {
    let mut out = vec![0.0; edges.len() - 1];
    for (&v, &n) in d.values().iter().zip(d.counts()) {
        out[bin(edges, v)] += n as f64;
    }
    out
}

fn histogram(feature: &Feature, d: &Distribution) -> Result<(HistogramFigures, String)> {
    let (edges, x_scale) = edges(feature, d);
    let counts = counts(&edges, d);
    let top = counts.iter().copied().fold(0.0, f64::max);
    let low = counts
        .iter()
        .copied()
        .filter(|&c| c > 0.0)
        .fold(f64::INFINITY, f64::min);
    let y_scale = if top > 100.0 * low {
        Scale::Log1p
    } else {
        Scale::Linear
    };
    let bins: Vec<[f64; 3]> = edges
        .windows(2)
        .zip(&counts)
        .map(|(e, &c)| [e[0], e[1], c])
        .collect();
    let figures = HistogramFigures {
        scale: if x_scale == Scale::Linear {
            "linear"
        } else {
            "log"
        },
        bins: bins.clone(),
    };
    if feature.kind == Kind::Binary {
        // Two values: two bars, not a histogram over -0.5..1.5.
        let chart = BarChart {
            title: feature.name.to_string(),
            value_desc: "rows".into(),
            rows: vec![
                ("0".into(), vec![(counts[0], palette::series(0))]),
                ("1".into(), vec![(counts[1], palette::series(0))]),
            ],
            mode: Bars::Stacked,
            scale: y_scale,
            max: None,
            legend: Vec::new(),
            marks: Vec::new(),
        };
        return Ok((figures, chart.draw()?));
    }
    let chart = Histogram {
        title: feature.name.to_string(),
        value_desc: feature.unit().to_string(),
        bins: bins.iter().map(|b| (b[0], b[1], b[2])).collect(),
        x_scale,
        y_scale,
        colour: palette::series(0),
        marks: Vec::new(),
    };
    Ok((figures, chart.draw()?))
}

/// Overlay of one feature: the share of each category's rows per bin.
fn overlay(p: &Profile, feature: &Feature, d: &Distribution) -> Result<String> {
    let (edges, x_scale) = edges(feature, d);
    let mut series = Vec::new();
    let mut top = 0.0f64;
    for c in Category::ALL {
        let Some(group) = p
            .state
            .group_distribution(c.as_str(), feature.name)
            .filter(|g| g.count() > 0)
        else {
            continue;
        };
        let total = group.count() as f64;
        let shares = counts(&edges, group);
        let mut points = Vec::with_capacity(2 * shares.len());
        for (e, s) in edges.windows(2).zip(&shares) {
            let s = s / total;
            top = top.max(s);
            points.push((e[0], s));
            points.push((e[1], s));
        }
        series.push((c.as_str().to_string(), palette::category(c), points));
    }
    let (lo, hi) = (edges[0], edges[edges.len() - 1]);
    LineChart {
        title: format!("{} by category", feature.name),
        x_desc: feature.unit().to_string(),
        y_desc: "share of the category's rows".into(),
        series,
        x_range: (lo, hi),
        y_range: (0.0, (top * 1.08).clamp(0.01, 1.0)),
        x_scale,
        diagonal: false,
        markers: Vec::new(),
        baselines: Vec::new(),
        width: super::plot::WIDTH / 2 + 120,
    }
    .draw()
}

/// Bars of a categorical feature's values (the most frequent `top`), stacked by category.
fn categorical_bars(p: &Profile, name: &str, top: usize) -> Result<(String, Table)> {
    let order = p.state.value_counts(name)?;
    let shown: Vec<&(String, u64)> = order.iter().take(top).collect();
    let by_category = p
        .categorical(name)
        .ok_or_else(|| crate::Error::Internal(format!("{name} was not counted by category")))?;
    let counts: Vec<[u64; 6]> = shown
        .iter()
        .map(|(v, _)| by_category.get(v).copied().unwrap_or_default())
        .collect();
    // Categories no row has (usually `unknown`) get no column.
    let present: Vec<usize> = (0..Category::ALL.len())
        .filter(|&k| counts.iter().any(|n| n[k] > 0))
        .collect();
    let mut table = Table::named(format!("{name}-by-category"), &[name]);
    for &k in &present {
        table.header.push(Category::ALL[k].as_str().to_string());
    }
    let mut rows = Vec::new();
    for ((v, _), n) in shown.iter().zip(&counts) {
        let segs = Category::ALL
            .iter()
            .zip(n)
            .map(|(&c, &k)| (k as f64, palette::category(c)))
            .collect();
        rows.push((v.clone(), segs));
        let mut row = vec![Cell::Text(v.clone())];
        row.extend(present.iter().map(|&k| Cell::Count(n[k])));
        table.rows.push(row);
    }
    let title = if order.len() > shown.len() {
        format!(
            "{name}: the {} most frequent of {}",
            shown.len(),
            order.len()
        )
    } else {
        format!("{name} by category")
    };
    let chart = BarChart {
        title,
        value_desc: "rows".into(),
        rows,
        mode: Bars::Stacked,
        scale: Scale::Linear,
        max: None,
        legend: Category::ALL[..5]
            .iter()
            .map(|&c| (c.as_str().to_string(), palette::category(c)))
            .collect(),
        marks: Vec::new(),
    };
    Ok((chart.draw()?, table))
}

fn heat_map(stats: &StatsReport) -> Result<String> {
    let names: Vec<String> = stats.pearson.iter().map(|(n, _)| n.to_string()).collect();
    let values = stats
        .pearson
        .iter()
        .flat_map(|(_, row)| row.iter().map(|(_, v)| *v).collect::<Vec<_>>())
        .collect();
    HeatMap {
        title: format!(
            "Pearson correlation of the numeric features of {}",
            super::short(&stats.path)
        ),
        names,
        values,
    }
    .draw()
}

/// The features section and the histogram figures.
pub fn section(
    p: &Profile,
    stats: &StatsReport,
    options: &ReportOptions,
) -> Result<(Section, OrderedMap<HistogramFigures>)> {
    let numeric: Vec<&Feature> = schema::numeric_features().collect();
    let dists: Vec<Distribution> = numeric
        .par_iter()
        .map(|f| p.state.distribution(f.name).cloned())
        .collect::<Result<_>>()?;
    let drawn: Vec<Option<(HistogramFigures, String)>> = numeric
        .par_iter()
        .zip(&dists)
        .map(|(f, d)| {
            if d.distinct() <= 1 {
                Ok(None)
            } else {
                histogram(f, d).map(Some)
            }
        })
        .collect::<Result<_>>()?;
    let mut histograms = Vec::new();
    let mut hist_figures = Vec::new();
    let mut constant = Vec::new();
    for (f, h) in numeric.iter().zip(drawn) {
        match h {
            Some((figures, svg)) => {
                hist_figures.push(Figure {
                    name: format!("hist-{}", f.name),
                    caption: format!("{}: rows per value range ({}).", f.name, f.unit()),
                    svg,
                    wide: false,
                });
                histograms.push((f.name.to_string(), figures));
            }
            None => constant.push(f.name),
        }
    }

    let relevant: Vec<(&Feature, &Distribution)> = stats
        .relevance
        .iter()
        .filter_map(|r| {
            let i = numeric.iter().position(|f| f.name == r.feature)?;
            (dists[i].distinct() > 1).then_some((numeric[i], &dists[i]))
        })
        .take(options.overlays)
        .collect();
    let overlays: Vec<Figure> = relevant
        .par_iter()
        .map(|(f, d)| {
            Ok(Figure {
                name: format!("overlay-{}", f.name),
                caption: format!(
                    "{}: share of each category's rows per value range; categories that differ here are told apart by it.",
                    f.name
                ),
                svg: overlay(p, f, d)?,
                wide: false,
            })
        })
        .collect::<Result<_>>()?;

    let mut blocks = vec![
        Block::Heading("Distributions".into()),
        Block::Text(format!(
            "Histograms of the numeric features of {}: heavy-tailed counts on a log scale (bins \
             equally wide in log10(1 + value), the first holding the zeros), rates in 20 bins, \
             rows on a log scale where the bars span more than two decades.{}",
            super::short(p.state.path()),
            if constant.is_empty() {
                String::new()
            } else {
                format!(" Not drawn, constant: {}.", constant.join(", "))
            }
        )),
        Block::Figures(hist_figures),
        Block::Heading("The most relevant features by category".into()),
        Block::Text(
            "The numeric features with the highest mutual information with the attack category, \
             each category's rows spread over the same bins."
                .into(),
        ),
        Block::Figures(overlays),
        Block::Heading("Categorical features".into()),
    ];
    categorical_blocks(p, options, &mut blocks)?;
    correlation_blocks(stats, &mut blocks)?;
    let section = Section {
        id: "features".into(),
        title: "Features".into(),
        intro: format!(
            "How each feature of {} is distributed, how the most relevant ones differ between \
             attack categories, and how the features correlate.",
            super::short(p.state.path())
        ),
        blocks,
    };
    Ok((section, OrderedMap(histograms)))
}

/// Rows per value of each categorical feature, stacked by category, and their tables.
fn categorical_blocks(p: &Profile, options: &ReportOptions, blocks: &mut Vec<Block>) -> Result<()> {
    let mut figs = Vec::new();
    let mut tables = Vec::new();
    for f in schema::categorical_features() {
        let top = if f.name == "service" {
            options.top_services
        } else {
            usize::MAX
        };
        let (svg, table) = categorical_bars(p, f.name, top)?;
        figs.push(Figure {
            name: format!("bars-{}", f.name),
            caption: format!("Rows per {} value, stacked by attack category.", f.name),
            svg,
            wide: false,
        });
        tables.push(table);
    }
    blocks.push(Block::Figures(figs));
    blocks.extend(tables.into_iter().map(Block::Table));
    Ok(())
}

/// The correlation heat map, the strongly correlated pairs and the relevance ranking.
fn correlation_blocks(stats: &StatsReport, blocks: &mut Vec<Block>) -> Result<()> {
    blocks.push(Block::Heading("Correlations".into()));
    blocks.push(Block::Figures(vec![Figure {
        name: "correlation".into(),
        caption: "Pearson correlation between numeric features (grey: undefined, for a constant \
                  feature). The full Pearson and Spearman matrices are in summary.json."
            .into(),
        svg: heat_map(stats)?,
        wide: true,
    }]));
    let mut pairs = Table::named(
        "strong-pairs",
        &["feature", "feature", "Pearson r", "Spearman rho"],
    );
    for p in &stats.strong_pairs {
        pairs.rows.push(vec![
            Cell::Text(p.a.clone()),
            Cell::Text(p.b.clone()),
            Cell::Number(p.pearson),
            Cell::Number(p.spearman),
        ]);
    }
    blocks.push(Block::Text(format!(
        "Pairs with |r| or |rho| at least {}:",
        stats.min_r
    )));
    blocks.push(Block::Table(pairs));
    blocks.push(Block::Heading("Relevance to the attack category".into()));
    let mut relevance = Table::named(
        "relevance",
        &["feature", "mutual information (nats)", "gain ratio", "bins"],
    );
    for r in &stats.relevance {
        relevance.rows.push(vec![
            Cell::Text(r.feature.clone()),
            Cell::Number(r.mutual_information),
            Cell::Number(r.gain_ratio),
            Cell::Count(r.bins as u64),
        ]);
    }
    blocks.push(Block::Table(relevance));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_half_open_and_the_last_closed() {
        let e = [0.0, 1.0, 2.0];
        assert_eq!(bin(&e, 0.0), 0);
        assert_eq!(bin(&e, 0.999), 0);
        assert_eq!(bin(&e, 1.0), 1);
        assert_eq!(bin(&e, 2.0), 1);
        assert_eq!(bin(&e, -1.0), 0);
    }

    #[test]
    fn heavy_tails_get_log_bins() {
        let f = schema::feature("src_bytes").unwrap();
        let mut v = vec![0i64; 1000];
        v.push(1_000_000);
        let d = Distribution::from_i64(&[&v]);
        let (e, s) = edges(f, &d);
        assert_eq!(s, Scale::Log1p);
        assert_eq!(e[0], 0.0);
        assert!((e[PER_DECADE] - 9.0).abs() < 1e-9);
        let c = counts(&e, &d);
        assert_eq!(c[0], 1000.0);
        assert_eq!(c.iter().sum::<f64>(), 1001.0);
    }
}
