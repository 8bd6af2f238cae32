//! The chart kinds of a report, drawn with plotters' SVG backend (no font library: text is written
//! as `<text font-family="sans-serif">` and the browser lays it out).
//!
//! Every chart has a title and axis titles; category axes are horizontal bars so that labels never
//! need rotating and never overlap. Text from data files (labels, services) is escaped by the SVG
//! backend (`<`, `>`, `&`, `"`, `'`).

mod grid;
pub use grid::{DetectionGrid, GridRow};

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};

/// Font of titles, labels and legends.
const FONT: &str = "sans-serif";
/// Width of every chart, in pixels.
pub const WIDTH: u32 = 640;
/// Height of one bar row in bar charts.
const ROW: u32 = 18;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn draw_error<E: std::fmt::Debug>(e: E) -> Error {
    Error::Internal(format!("drawing a plot: {e:?}"))
}

/// Draws into a fresh SVG of `w` x `h` pixels and returns its text.
fn svg(w: u32, h: u32, draw: impl FnOnce(&Area<'_>) -> Result<()>) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        draw(&root)?;
        root.present().map_err(draw_error)?;
    }
    Ok(out)
}

/// How values map onto an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// As they are.
    Linear,
    /// `log10(1 + v)` for non-negative values (so that 0 stays visible at 0); ticks read as values.
    Log1p,
    /// `sign(v) log10(1 + |v|)`: a logarithmic scale for values of both signs.
    SymLog,
}

impl Scale {
    /// The axis position of a value.
    pub fn to_axis(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log1p => v.max(0.0).ln_1p() / std::f64::consts::LN_10,
            Scale::SymLog => v.signum() * v.abs().ln_1p() / std::f64::consts::LN_10,
        }
    }

    /// The value at an axis position.
    pub fn from_axis(self, t: f64) -> f64 {
        match self {
            Scale::Linear => t,
            Scale::Log1p => 10f64.powf(t) - 1.0,
            Scale::SymLog => t.signum() * (10f64.powf(t.abs()) - 1.0),
        }
    }

    /// A tick label for an axis position.
    pub fn label(self, t: f64) -> String {
        let v = self.from_axis(t);
        match self {
            Scale::Linear => tick(v),
            // 10^k - 1 is shown as 10^k: the ticks of a log axis sit at whole decades.
            _ => {
                let r = if v.abs() >= 9.0 {
                    v.signum() * (v.abs() + 1.0)
                } else {
                    v
                };
                tick(r)
            }
        }
    }

    /// Words for an axis title.
    pub fn note(self) -> &'static str {
        match self {
            Scale::Linear => "",
            Scale::Log1p => " (log scale)",
            Scale::SymLog => " (symmetric log scale)",
        }
    }
}

/// A short tick label: integers as such, large and small values with an exponent.
pub fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let s = format!("{:.3}", v);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        let s = format!("{v:.1e}");
        s.replace(".0e", "e")
    }
}

/// The axis range covering `lo..hi` (axis positions) with a little room, whole decades for log
/// scales.
fn axis_range(scale: Scale, lo: f64, hi: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (lo.min(hi), hi.max(lo));
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if scale != Scale::Linear {
        lo = lo.floor();
        hi = hi.ceil();
    }
    if hi - lo < 1e-12 {
        hi = lo + 1.0;
    }
    if scale == Scale::Linear {
        let pad = (hi - lo) * 0.03;
        if lo != 0.0 {
            lo -= pad;
        }
        hi += pad;
    }
    (lo, hi)
}

/// Width of a label area holding these texts at 12 px.
fn label_width(labels: &[String]) -> u32 {
    let chars = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1);
    (chars as u32 * 7 + 12).clamp(30, 220)
}

/// A horizontal chart: one row per label (drawn later by [`row_labels`]), values along `x`.
fn horizontal<'a, 'b>(
    area: &'a Area<'b>,
    title: &str,
    labels: &[String],
    x: (f64, f64),
    scale: Scale,
    value_desc: &str,
) -> Result<ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 15))
        .margin(8)
        .margin_right(20)
        .x_label_area_size(36)
        .y_label_area_size(label_width(labels))
        .build_cartesian_2d(x.0..x.1, 0.0..labels.len().max(1) as f64)
        .map_err(draw_error)?;
    let x_fmt = |t: &f64| scale.label(*t);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_label_formatter(&x_fmt)
        .x_labels(8)
        .x_desc(format!("{value_desc}{}", scale.note()))
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .light_line_style(RGBColor(0xf0, 0xf0, 0xf0))
        .max_light_lines(2)
        .draw()
        .map_err(draw_error)?;
    Ok(chart)
}

/// Writes the row labels of a horizontal chart left of its plotting area, right-aligned, and draws
/// the vertical axis line. `at(y)` is the pixel of the axis at height `y` (row `r` of `n` is
/// centred at `n - r - 0.5`).
fn row_labels(area: &Area<'_>, labels: &[String], at: impl Fn(f64) -> (i32, i32)) -> Result<()> {
    let n = labels.len();
    let base = area.get_base_pixel();
    let style = TextStyle::from((FONT, 12).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    for (r, label) in labels.iter().enumerate() {
        let (x, y) = at((n - r) as f64 - 0.5);
        area.draw(&Text::new(
            label.clone(),
            (x - base.0 - 6, y - base.1),
            style.clone(),
        ))
        .map_err(draw_error)?;
    }
    let ((x, y0), (_, y1)) = (at(0.0), at(n as f64));
    area.draw(&PathElement::new(
        vec![(x - base.0, y0 - base.1), (x - base.0, y1 - base.1)],
        BLACK.stroke_width(1),
    ))
    .map_err(draw_error)
}

/// One bar row: its label and its segments `(value, colour)`.
pub type BarRow = (String, Vec<(f64, RGBColor)>);

/// How the segments of a bar row are placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bars {
    /// One after another along the value axis (a stacked bar).
    Stacked,
    /// Side by side, each from zero (grouped bars).
    Grouped,
}

/// A horizontal bar chart: one row per label, top to bottom.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Title.
    pub title: String,
    /// Title of the value axis, with its unit.
    pub value_desc: String,
    /// Rows, top first.
    pub rows: Vec<BarRow>,
    /// Stacked or grouped.
    pub mode: Bars,
    /// Value scale (log for counts spanning decades).
    pub scale: Scale,
    /// A fixed largest value (1 for rates), else the data's.
    pub max: Option<f64>,
    /// Legend entries.
    pub legend: Vec<(String, RGBColor)>,
}

impl BarChart {
    /// Draws the chart.
    pub fn draw(&self) -> Result<String> {
        let n = self.rows.len().max(1);
        let groups = match self.mode {
            Bars::Stacked => 1,
            Bars::Grouped => self.rows.iter().map(|r| r.1.len()).max().unwrap_or(1),
        };
        let row_h = ROW + (groups.saturating_sub(1) as u32) * 6;
        let legend_h = legend_height(&self.legend);
        let height = 70 + legend_h + n as u32 * row_h;
        let labels: Vec<String> = self.rows.iter().map(|r| r.0.clone()).collect();
        let top = self
            .rows
            .iter()
            .map(|(_, segs)| match self.mode {
                Bars::Stacked => segs.iter().map(|s| s.0.max(0.0)).sum::<f64>(),
                Bars::Grouped => segs.iter().map(|s| s.0).fold(0.0, f64::max),
            })
            .fold(0.0, f64::max);
        let (lo, hi) = axis_range(self.scale, 0.0, self.scale.to_axis(self.max.unwrap_or(top)));
        let hi = if self.max.is_some() && self.scale == Scale::Linear {
            self.max.unwrap_or(hi)
        } else {
            hi
        };
        let scale = self.scale;
        svg(WIDTH, height, |root| {
            let (chart_area, legend_area) = root.split_vertically(height - legend_h);
            let mut chart = horizontal(
                &chart_area,
                &self.title,
                &labels,
                (lo, hi),
                scale,
                &self.value_desc,
            )?;
            let mut rects = Vec::new();
            for (r, (_, segs)) in self.rows.iter().enumerate() {
                let y = (n - 1 - r) as f64;
                let k = segs.len().max(1) as f64;
                let mut start = 0.0;
                for (s, &(v, colour)) in segs.iter().enumerate() {
                    if !v.is_finite() || v <= 0.0 {
                        continue;
                    }
                    let (a, b) = match self.mode {
                        Bars::Stacked => {
                            let a = start;
                            start += v;
                            (scale.to_axis(a), scale.to_axis(start))
                        }
                        Bars::Grouped => (lo.max(0.0), scale.to_axis(v)),
                    };
                    // Grouped bars share the row: each takes a slice of it.
                    let (y0, y1, top_m, bottom_m) = match self.mode {
                        Bars::Stacked => (y, y + 1.0, 3, 3),
                        Bars::Grouped => {
                            let slot = (row_h as f64 - 6.0) / k;
                            let t = 3 + (s as f64 * slot) as u32;
                            let b = 3 + ((k - 1.0 - s as f64) * slot) as u32;
                            (y, y + 1.0, t, b)
                        }
                    };
                    let mut rect = Rectangle::new([(a, y1), (b, y0)], colour.filled());
                    rect.set_margin(top_m, bottom_m, 0, 0);
                    rects.push(rect);
                }
            }
            chart.draw_series(rects).map_err(draw_error)?;
            row_labels(&chart_area, &labels, |y| chart.backend_coord(&(lo, y)))?;
            draw_legend(&legend_area, &self.legend)
        })
    }
}

/// Legend entries a line: as many as fit, at most five.
fn legend_columns(entries: &[(String, RGBColor)]) -> usize {
    let chars = entries
        .iter()
        .map(|(n, _)| n.chars().count().min(LEGEND_CHARS))
        .max()
        .unwrap_or(1);
    ((WIDTH as usize - 40) / (chars * 7 + 30)).clamp(1, 5)
}

/// Longest legend entry shown, in characters.
const LEGEND_CHARS: usize = 32;

/// Height of a legend area for these entries.
fn legend_height(entries: &[(String, RGBColor)]) -> u32 {
    if entries.is_empty() {
        0
    } else {
        8 + 20 * entries.len().div_ceil(legend_columns(entries)) as u32
    }
}

/// A legend of coloured squares.
fn draw_legend(area: &Area<'_>, entries: &[(String, RGBColor)]) -> Result<()> {
    let per_line = legend_columns(entries);
    let col = (WIDTH as i32 - 40) / per_line as i32;
    for (i, (name, colour)) in entries.iter().enumerate() {
        let x = 20 + (i % per_line) as i32 * col;
        let y = 4 + (i / per_line) as i32 * 20;
        area.draw(&Rectangle::new(
            [(x, y + 2), (x + 12, y + 14)],
            colour.filled(),
        ))
        .map_err(draw_error)?;
        let shown: String = name.chars().take(LEGEND_CHARS).collect();
        area.draw(&Text::new(shown, (x + 17, y + 2), (FONT, 12)))
            .map_err(draw_error)?;
    }
    Ok(())
}

/// A histogram: bars over value intervals.
#[derive(Debug, Clone)]
pub struct Histogram {
    /// Title.
    pub title: String,
    /// Title of the value axis, with its unit.
    pub value_desc: String,
    /// Bars `(from, to, rows)`, in increasing order.
    pub bins: Vec<(f64, f64, f64)>,
    /// Scale of the value axis.
    pub x_scale: Scale,
    /// Scale of the count axis.
    pub y_scale: Scale,
    /// Bar colour.
    pub colour: RGBColor,
}

impl Histogram {
    /// Draws the histogram.
    pub fn draw(&self) -> Result<String> {
        let (xs, ys) = (self.x_scale, self.y_scale);
        let lo = self.bins.first().map_or(0.0, |b| xs.to_axis(b.0));
        let hi = self.bins.last().map_or(1.0, |b| xs.to_axis(b.1));
        let top = self.bins.iter().map(|b| b.2).fold(0.0, f64::max);
        let (x0, x1) = if xs == Scale::Linear {
            let (a, b) = axis_range(xs, lo, hi);
            (a.min(lo), b)
        } else {
            axis_range(xs, lo, hi)
        };
        let (_, y1) = axis_range(ys, 0.0, ys.to_axis(top));
        svg(WIDTH / 2, 260, |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(&self.title, (FONT, 14))
                .margin(6)
                .margin_right(14)
                .x_label_area_size(34)
                .y_label_area_size(48)
                .build_cartesian_2d(x0..x1, 0.0..y1)
                .map_err(draw_error)?;
            let xf = |t: &f64| xs.label(*t);
            let yf = |t: &f64| ys.label(*t);
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(6)
                .y_labels(5)
                .x_label_formatter(&xf)
                .y_label_formatter(&yf)
                .x_desc(format!("{}{}", self.value_desc, xs.note()))
                .y_desc(format!("rows{}", ys.note()))
                .label_style((FONT, 11))
                .axis_desc_style((FONT, 12))
                .light_line_style(RGBColor(0xf0, 0xf0, 0xf0))
                .max_light_lines(2)
                .draw()
                .map_err(draw_error)?;
            chart
                .draw_series(self.bins.iter().filter(|b| b.2 > 0.0).map(|&(a, b, c)| {
                    Rectangle::new(
                        [(xs.to_axis(a), 0.0), (xs.to_axis(b), ys.to_axis(c))],
                        self.colour.filled(),
                    )
                }))
                .map_err(draw_error)?;
            Ok(())
        })
    }
}

/// A named, coloured series of points.
pub type Series = (String, RGBColor, Vec<(f64, f64)>);

/// A line chart of several series with a legend (ROC and precision-recall curves, overlays).
#[derive(Debug, Clone)]
pub struct LineChart {
    /// Title.
    pub title: String,
    /// Title of the horizontal axis.
    pub x_desc: String,
    /// Title of the vertical axis.
    pub y_desc: String,
    /// Series: name, colour, points.
    pub series: Vec<Series>,
    /// Horizontal range.
    pub x_range: (f64, f64),
    /// Vertical range.
    pub y_range: (f64, f64),
    /// Scale of the horizontal axis (points are given as values).
    pub x_scale: Scale,
    /// Draw the diagonal from (0, 0) to (1, 1) (chance on a ROC chart).
    pub diagonal: bool,
    /// Put the legend in the lower right corner instead of the upper right.
    pub legend_low: bool,
    /// Width in pixels.
    pub width: u32,
}

impl LineChart {
    /// Draws the chart.
    pub fn draw(&self) -> Result<String> {
        let xs = self.x_scale;
        let (x0, x1) = (xs.to_axis(self.x_range.0), xs.to_axis(self.x_range.1));
        let height = if self.width < WIDTH { 280 } else { 420 };
        svg(self.width, height, |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(&self.title, (FONT, 15))
                .margin(8)
                .margin_right(16)
                .x_label_area_size(36)
                .y_label_area_size(50)
                .build_cartesian_2d(x0..x1, self.y_range.0..self.y_range.1)
                .map_err(draw_error)?;
            let xf = |t: &f64| xs.label(*t);
            let yf = |t: &f64| tick(*t);
            chart
                .configure_mesh()
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&xf)
                .y_label_formatter(&yf)
                .x_desc(format!("{}{}", self.x_desc, xs.note()))
                .y_desc(self.y_desc.as_str())
                .label_style((FONT, 11))
                .axis_desc_style((FONT, 12))
                .light_line_style(RGBColor(0xf0, 0xf0, 0xf0))
                .max_light_lines(2)
                .draw()
                .map_err(draw_error)?;
            if self.diagonal {
                chart
                    .draw_series(LineSeries::new(
                        [(0.0, 0.0), (1.0, 1.0)],
                        RGBColor(0xaa, 0xaa, 0xaa).stroke_width(1),
                    ))
                    .map_err(draw_error)?;
            }
            for (name, colour, points) in &self.series {
                let c = *colour;
                chart
                    .draw_series(LineSeries::new(
                        points.iter().map(|&(x, y)| (xs.to_axis(x), y)),
                        c.stroke_width(2),
                    ))
                    .map_err(draw_error)?
                    .label(name.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3))
                    });
            }
            chart
                .configure_series_labels()
                .position(if self.legend_low {
                    SeriesLabelPosition::LowerRight
                } else {
                    SeriesLabelPosition::UpperRight
                })
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(0xbb, 0xbb, 0xbb))
                .label_font((FONT, 12))
                .draw()
                .map_err(draw_error)
        })
    }
}

/// The five figures of a box and its whiskers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxFigures {
    /// Lower whisker end.
    pub low: f64,
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// Upper whisker end.
    pub high: f64,
}

/// Horizontal box plots, one row per group, with an optional threshold line.
#[derive(Debug, Clone)]
pub struct BoxChart {
    /// Title.
    pub title: String,
    /// Title of the value axis.
    pub value_desc: String,
    /// Rows, top first: label, figures, colour.
    pub rows: Vec<(String, BoxFigures, RGBColor)>,
    /// A vertical line (the detector's threshold).
    pub threshold: Option<f64>,
    /// Value scale.
    pub scale: Scale,
    /// Legend entries.
    pub legend: Vec<(String, RGBColor)>,
}

impl BoxChart {
    /// Draws the chart.
    pub fn draw(&self) -> Result<String> {
        let n = self.rows.len().max(1);
        let legend_h = legend_height(&self.legend);
        let height = 70 + legend_h + n as u32 * (ROW + 2);
        let s = self.scale;
        let values = self
            .rows
            .iter()
            .flat_map(|(_, b, _)| [b.low, b.high])
            .chain(self.threshold)
            .filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(s.to_axis(v)), b.max(s.to_axis(v)))
        });
        let (lo, hi) = axis_range(s, lo, hi);
        let labels: Vec<String> = self.rows.iter().map(|r| r.0.clone()).collect();
        svg(WIDTH, height, |root| {
            let (chart_area, legend_area) = root.split_vertically(height - legend_h);
            let mut chart = horizontal(
                &chart_area,
                &self.title,
                &labels,
                (lo, hi),
                s,
                &self.value_desc,
            )?;
            for (r, (_, b, colour)) in self.rows.iter().enumerate() {
                let y = (n - 1 - r) as f64;
                let c = *colour;
                let at = |v: f64| s.to_axis(v);
                let mid = y + 0.5;
                let mut boxed =
                    Rectangle::new([(at(b.q1), y + 1.0), (at(b.q3), y)], c.mix(0.35).filled());
                boxed.set_margin(3, 3, 0, 0);
                let mut outline =
                    Rectangle::new([(at(b.q1), y + 1.0), (at(b.q3), y)], c.stroke_width(1));
                outline.set_margin(3, 3, 0, 0);
                chart.draw_series([boxed, outline]).map_err(draw_error)?;
                chart
                    .draw_series([
                        PathElement::new(
                            vec![(at(b.low), mid), (at(b.q1), mid)],
                            c.stroke_width(1),
                        ),
                        PathElement::new(
                            vec![(at(b.q3), mid), (at(b.high), mid)],
                            c.stroke_width(1),
                        ),
                        PathElement::new(
                            vec![(at(b.median), y + 0.15), (at(b.median), y + 0.85)],
                            BLACK.stroke_width(2),
                        ),
                    ])
                    .map_err(draw_error)?;
            }
            if let Some(t) = self.threshold {
                chart
                    .draw_series([PathElement::new(
                        vec![(s.to_axis(t), 0.0), (s.to_axis(t), n as f64)],
                        RGBColor(0x33, 0x33, 0x33).stroke_width(1),
                    )])
                    .map_err(draw_error)?;
            }
            row_labels(&chart_area, &labels, |y| chart.backend_coord(&(lo, y)))?;
            draw_legend(&legend_area, &self.legend)
        })
    }
}

/// A square heat map of a symmetric matrix in [-1, 1] (correlations), blue to red.
#[derive(Debug, Clone)]
pub struct HeatMap {
    /// Title.
    pub title: String,
    /// Row and column names.
    pub names: Vec<String>,
    /// Row-major values; NaN is drawn grey.
    pub values: Vec<f64>,
}

impl HeatMap {
    /// Draws the map.
    pub fn draw(&self) -> Result<String> {
        let n = self.names.len();
        let cell = 14i32;
        let label = label_width(&self.names) as i32;
        let side = label + cell * n as i32 + 20;
        let legend = 50;
        let (w, h) = ((side + 60) as u32, (side + 40 + legend) as u32);
        svg(w, h, |root| {
            root.draw(&Text::new(
                self.title.clone(),
                (10, 8),
                (FONT, 16).into_font(),
            ))
            .map_err(draw_error)?;
            let (x0, y0) = (label + 10, 40);
            for i in 0..n {
                for j in 0..n {
                    let v = self.values[i * n + j];
                    let (x, y) = (x0 + j as i32 * cell, y0 + i as i32 * cell);
                    root.draw(&Rectangle::new(
                        [(x, y), (x + cell, y + cell)],
                        super::palette::diverging(v).filled(),
                    ))
                    .map_err(draw_error)?;
                }
                let style = TextStyle::from((FONT, 11).into_font())
                    .pos(Pos::new(HPos::Right, VPos::Center));
                root.draw(&Text::new(
                    self.names[i].clone(),
                    (x0 - 4, y0 + i as i32 * cell + cell / 2),
                    style.clone(),
                ))
                .map_err(draw_error)?;
                let below = y0 + n as i32 * cell + 4;
                let rotated = TextStyle::from((FONT, 11).into_font())
                    .transform(FontTransform::Rotate90)
                    .pos(Pos::new(HPos::Left, VPos::Center));
                root.draw(&Text::new(
                    self.names[i].clone(),
                    (x0 + i as i32 * cell + cell / 2, below),
                    rotated,
                ))
                .map_err(draw_error)?;
            }
            // Colour key: -1 to 1 along the right edge.
            let kx = x0 + n as i32 * cell + 16;
            let steps = 40;
            for k in 0..steps {
                let v = 1.0 - 2.0 * k as f64 / (steps - 1) as f64;
                let y = y0 + k * (n as i32 * cell) / steps;
                let y1 = y0 + (k + 1) * (n as i32 * cell) / steps;
                root.draw(&Rectangle::new(
                    [(kx, y), (kx + 12, y1)],
                    super::palette::diverging(v).filled(),
                ))
                .map_err(draw_error)?;
            }
            for (text, y) in [
                ("+1", y0),
                ("0", y0 + n as i32 * cell / 2),
                ("-1", y0 + n as i32 * cell),
            ] {
                root.draw(&Text::new(
                    text,
                    (kx + 16, y),
                    TextStyle::from((FONT, 11).into_font()).pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(draw_error)?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_round_trip_and_label_decades() {
        for s in [Scale::Linear, Scale::Log1p, Scale::SymLog] {
            for v in [0.0, 1.0, 9.0, 99.0, 12345.0] {
                assert!((s.from_axis(s.to_axis(v)) - v).abs() < 1e-9 * v.max(1.0));
            }
        }
        assert_eq!(Scale::Log1p.label(3.0), "1000");
        assert_eq!(Scale::SymLog.label(-2.0), "-100");
        assert_eq!(Scale::Log1p.label(6.0), "1e6");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(2.5e-5), "2.5e-5");
    }

    #[test]
    fn data_text_is_escaped() {
        let chart = BarChart {
            title: "t".into(),
            value_desc: "rows".into(),
            rows: vec![("<script>alert(1)</script>".into(), vec![(3.0, BLACK)])],
            mode: Bars::Stacked,
            scale: Scale::Linear,
            max: None,
            legend: vec![("a&b".into(), BLACK)],
        };
        let svg = chart.draw().unwrap();
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("a&amp;b"));
    }
}
