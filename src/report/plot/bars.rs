//! Horizontal charts with one row per label: bar charts (stacked or grouped) and box plots.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    AXIS_PX, Area, Key, MARK, ROW, Scale, TEXT_PX, TITLE_PX, WIDTH, axis_range, draw_error,
    draw_legend, font, label_width, legend_height, reference_line, svg,
};
use crate::error::Result;

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A horizontal chart: one row per label (drawn later by [`row_labels`]), values along `x`.
fn horizontal<'a, 'b>(
    area: &'a Area<'b>,
    title: &str,
    labels: &[String],
    x: (f64, f64),
    scale: Scale,
    value_desc: &str,
) -> Result<Chart<'a, 'b>> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(TITLE_PX))
        .margin(8)
        .margin_right(24)
        .x_label_area_size(44)
        .y_label_area_size(label_width(labels))
        .build_cartesian_2d(x.0..x.1, 0.0..labels.len().max(1) as f64)
        .map_err(draw_error)?;
    let x_fmt = |t: &f64| scale.label(*t);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_label_formatter(&x_fmt)
        .x_labels(if scale == Scale::Linear {
            7
        } else {
            scale.ticks(x.0, x.1)
        })
        .x_desc(format!("{value_desc}{}", scale.note()))
        .label_style(font(TEXT_PX))
        .axis_desc_style(font(AXIS_PX))
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
    let style = TextStyle::from(font(TEXT_PX)).pos(Pos::new(HPos::Right, VPos::Center));
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

/// Draws vertical dashed reference lines across `rows` rows (their words go in the legend).
fn draw_marks(
    chart: &mut Chart<'_, '_>,
    scale: Scale,
    rows: f64,
    marks: &[(f64, String)],
) -> Result<()> {
    for (v, _) in marks.iter().filter(|m| m.0.is_finite()) {
        let x = scale.to_axis(*v);
        chart
            .draw_series(std::iter::once(reference_line(vec![(x, 0.0), (x, rows)])))
            .map_err(draw_error)?;
    }
    Ok(())
}

/// The legend of a chart: its entries, then one per reference line that has words.
fn legend_entries(
    legend: &[(String, RGBColor)],
    marks: &[(f64, String)],
) -> Vec<(String, RGBColor, Key)> {
    legend
        .iter()
        .map(|(s, c)| (s.clone(), *c, Key::Square))
        .chain(
            marks
                .iter()
                .filter(|m| !m.1.is_empty())
                .map(|m| (m.1.clone(), MARK, Key::Line(1))),
        )
        .collect()
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
    /// Vertical reference lines: value and words.
    pub marks: Vec<(f64, String)>,
}

impl BarChart {
    /// Draws the chart.
    pub fn draw(&self) -> Result<String> {
        let n = self.rows.len().max(1);
        let groups = match self.mode {
            Bars::Stacked => 1,
            Bars::Grouped => self.rows.iter().map(|r| r.1.len()).max().unwrap_or(1),
        };
        let row_h = ROW + (groups.saturating_sub(1) as u32) * 7;
        let entries = legend_entries(&self.legend, &self.marks);
        let names: Vec<&str> = entries.iter().map(|l| l.0.as_str()).collect();
        let legend_h = legend_height(&names, WIDTH);
        let height = 90 + legend_h + n as u32 * row_h;
        let labels: Vec<String> = self.rows.iter().map(|r| r.0.clone()).collect();
        let top = self
            .rows
            .iter()
            .map(|(_, segs)| match self.mode {
                Bars::Stacked => segs.iter().map(|s| s.0.max(0.0)).sum::<f64>(),
                Bars::Grouped => segs.iter().map(|s| s.0).fold(0.0, f64::max),
            })
            .chain(self.marks.iter().map(|m| m.0).filter(|v| v.is_finite()))
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
            let plot_area = chart_area;
            let mut chart = horizontal(
                &plot_area,
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
                    let (top_m, bottom_m) = match self.mode {
                        Bars::Stacked => (3, 3),
                        Bars::Grouped => {
                            let slot = (row_h as f64 - 6.0) / k;
                            let t = 3 + (s as f64 * slot) as u32;
                            let b = 3 + ((k - 1.0 - s as f64) * slot) as u32;
                            (t, b)
                        }
                    };
                    let mut rect = Rectangle::new([(a, y + 1.0), (b, y)], colour.filled());
                    rect.set_margin(top_m, bottom_m, 0, 0);
                    rects.push(rect);
                }
            }
            chart.draw_series(rects).map_err(draw_error)?;
            draw_marks(&mut chart, scale, n as f64, &self.marks)?;
            row_labels(&plot_area, &labels, |y| chart.backend_coord(&(lo, y)))?;
            draw_legend(&legend_area, &entries)
        })
    }
}

/// The figures of a box and its whiskers, or the values themselves when there are few.
#[derive(Debug, Clone, PartialEq)]
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
    /// The values, drawn as points instead of a box when given (groups of fewer than 5 rows).
    pub points: Vec<f64>,
}

/// A row of a box chart: label, figures, colour.
pub type BoxRow = (String, BoxFigures, RGBColor);

/// Horizontal box plots, one row per group, with reference lines (thresholds).
#[derive(Debug, Clone)]
pub struct BoxChart {
    /// Title.
    pub title: String,
    /// Title of the value axis.
    pub value_desc: String,
    /// Rows, top first.
    pub rows: Vec<BoxRow>,
    /// Vertical reference lines: value and words.
    pub marks: Vec<(f64, String)>,
    /// Value scale.
    pub scale: Scale,
    /// A fixed value range, else the data's.
    pub range: Option<(f64, f64)>,
    /// Legend entries.
    pub legend: Vec<(String, RGBColor)>,
}

impl BoxChart {
    /// Draws the chart.
    pub fn draw(&self) -> Result<String> {
        let n = self.rows.len().max(1);
        let entries = legend_entries(&self.legend, &self.marks);
        let names: Vec<&str> = entries.iter().map(|l| l.0.as_str()).collect();
        let legend_h = legend_height(&names, WIDTH);
        let height = 90 + legend_h + n as u32 * ROW;
        let s = self.scale;
        let (lo, hi) = match self.range {
            Some((a, b)) => (s.to_axis(a), s.to_axis(b)),
            None => {
                let values = self
                    .rows
                    .iter()
                    .flat_map(|(_, b, _)| {
                        [b.low, b.high].into_iter().chain(b.points.iter().copied())
                    })
                    .chain(self.marks.iter().map(|m| m.0))
                    .filter(|v| v.is_finite());
                let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(s.to_axis(v)), b.max(s.to_axis(v)))
                });
                axis_range(s, lo, hi)
            }
        };
        let labels: Vec<String> = self.rows.iter().map(|r| r.0.clone()).collect();
        svg(WIDTH, height, |root| {
            let (chart_area, legend_area) = root.split_vertically(height - legend_h);
            let plot_area = chart_area;
            let mut chart = horizontal(
                &plot_area,
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
                if !b.points.is_empty() {
                    chart
                        .draw_series(
                            b.points
                                .iter()
                                .filter(|v| v.is_finite())
                                .map(|&v| Circle::new((at(v), mid), 4, c.filled())),
                        )
                        .map_err(draw_error)?;
                    chart
                        .draw_series(
                            b.points
                                .iter()
                                .filter(|v| v.is_finite())
                                .map(|&v| Circle::new((at(v), mid), 4, BLACK.stroke_width(1))),
                        )
                        .map_err(draw_error)?;
                    continue;
                }
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
            draw_marks(&mut chart, s, n as f64, &self.marks)?;
            row_labels(&plot_area, &labels, |y| chart.backend_coord(&(lo, y)))?;
            draw_legend(&legend_area, &entries)
        })
    }
}
