//! Charts over a continuous horizontal axis: histograms and line charts (curves, overlays, traffic
//! over time).

use plotters::prelude::*;

use super::{
    AXIS_PX, HISTOGRAM_WIDTH, Key, MARK, Scale, TEXT_PX, TITLE_PX, axis_range, dash, draw_error,
    draw_legend, font, legend_height, reference_line, svg, tick,
};
use crate::error::Result;

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
    /// Vertical reference lines (a threshold): value and words for the legend.
    pub marks: Vec<(f64, String)>,
}

impl Histogram {
    /// Draws the histogram.
    pub fn draw(&self) -> Result<String> {
        let (xs, ys) = (self.x_scale, self.y_scale);
        let marks = self
            .marks
            .iter()
            .map(|m| xs.to_axis(m.0))
            .filter(|v| v.is_finite());
        let lo = self
            .bins
            .first()
            .map(|b| xs.to_axis(b.0))
            .into_iter()
            .chain(marks.clone())
            .fold(f64::INFINITY, f64::min);
        let hi = self
            .bins
            .last()
            .map(|b| xs.to_axis(b.1))
            .into_iter()
            .chain(marks)
            .fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let top = self.bins.iter().map(|b| b.2).fold(0.0, f64::max);
        let (x0, x1) = if xs == Scale::Linear {
            let (a, b) = axis_range(xs, lo, hi);
            (a.min(lo), b)
        } else {
            axis_range(xs, lo, hi)
        };
        let (_, y1) = axis_range(ys, 0.0, ys.to_axis(top));
        let entries: Vec<(String, RGBColor, Key)> = self
            .marks
            .iter()
            .filter(|m| !m.1.is_empty())
            .map(|m| (m.1.clone(), MARK, Key::Line(1)))
            .collect();
        let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        let legend_h = legend_height(&names, HISTOGRAM_WIDTH);
        let height = 300 + legend_h;
        svg(HISTOGRAM_WIDTH, height, |root| {
            let (chart_area, legend_area) = root.split_vertically(height - legend_h);
            let mut chart = ChartBuilder::on(&chart_area)
                .caption(&self.title, font(TITLE_PX))
                .margin(6)
                .margin_right(18)
                .x_label_area_size(44)
                .y_label_area_size(80)
                .build_cartesian_2d(x0..x1, 0.0..y1)
                .map_err(draw_error)?;
            let xf = |t: &f64| xs.label(*t);
            let yf = |t: &f64| ys.label(*t);
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(xs.ticks(x0, x1).min(6))
                .y_labels(ys.ticks(0.0, y1).min(6))
                .x_label_formatter(&xf)
                .y_label_formatter(&yf)
                .x_desc(format!("{}{}", self.value_desc, xs.note()))
                .y_desc(format!("rows{}", ys.note()))
                .label_style(font(TEXT_PX))
                .axis_desc_style(font(AXIS_PX))
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
            for (v, _) in self.marks.iter().filter(|m| m.0.is_finite()) {
                let x = xs.to_axis(*v);
                chart
                    .draw_series(std::iter::once(reference_line(vec![(x, 0.0), (x, y1)])))
                    .map_err(draw_error)?;
            }
            draw_legend(&legend_area, &entries)
        })
    }
}

/// A named, coloured series of points.
pub type Series = (String, RGBColor, Vec<(f64, f64)>);

/// A line chart of several series with a legend below it (ROC and precision-recall curves,
/// overlays, traffic over time). Series are told apart by colour and dash.
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
    /// A point marked on each series (its operating point at the threshold), in the series' order.
    pub markers: Vec<Option<(f64, f64)>>,
    /// Horizontal reference lines: height and words (a precision-recall chart's prevalence).
    pub baselines: Vec<(f64, String)>,
    /// Horizontal range.
    pub x_range: (f64, f64),
    /// Vertical range.
    pub y_range: (f64, f64),
    /// Scale of the horizontal axis (points are given as values).
    pub x_scale: Scale,
    /// Draw the line y = x (chance on a ROC chart).
    pub diagonal: bool,
    /// Width in pixels.
    pub width: u32,
}

impl LineChart {
    /// Draws the chart.
    pub fn draw(&self) -> Result<String> {
        let xs = self.x_scale;
        let (x0, x1) = (xs.to_axis(self.x_range.0), xs.to_axis(self.x_range.1));
        let mut entries: Vec<(String, RGBColor, Key)> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.0.clone(), s.1, Key::Line(i)))
            .collect();
        if self.markers.iter().any(Option::is_some) {
            entries.push(("operating point at the threshold".into(), MARK, Key::Square));
        }
        for (_, words) in &self.baselines {
            entries.push((words.clone(), MARK, Key::Line(1)));
        }
        let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        let legend_h = legend_height(&names, self.width);
        let height = 400 + legend_h;
        svg(self.width, height, |root| {
            let (chart_area, legend_area) = root.split_vertically(height - legend_h);
            let mut chart = ChartBuilder::on(&chart_area)
                .caption(&self.title, font(TITLE_PX))
                .margin(8)
                .margin_right(20)
                .x_label_area_size(44)
                .y_label_area_size(80)
                .build_cartesian_2d(x0..x1, self.y_range.0..self.y_range.1)
                .map_err(draw_error)?;
            let xf = |t: &f64| xs.label(*t);
            let yf = |t: &f64| tick(*t);
            chart
                .configure_mesh()
                .x_labels(xs.ticks(x0, x1))
                .y_labels(6)
                .x_label_formatter(&xf)
                .y_label_formatter(&yf)
                .x_desc(format!("{}{}", self.x_desc, xs.note()))
                .y_desc(self.y_desc.as_str())
                .label_style(font(TEXT_PX))
                .axis_desc_style(font(AXIS_PX))
                .light_line_style(RGBColor(0xf0, 0xf0, 0xf0))
                .max_light_lines(2)
                .draw()
                .map_err(draw_error)?;
            if self.diagonal {
                // y = x, drawn densely so that it stays a diagonal on a log axis too.
                let line: Vec<(f64, f64)> = (0..=200)
                    .map(|k| {
                        let t = x0 + (x1 - x0) * f64::from(k) / 200.0;
                        (t, xs.from_axis(t))
                    })
                    .collect();
                chart
                    .draw_series(LineSeries::new(
                        line,
                        RGBColor(0xaa, 0xaa, 0xaa).stroke_width(1),
                    ))
                    .map_err(draw_error)?;
            }
            for (y, _) in &self.baselines {
                chart
                    .draw_series(std::iter::once(reference_line(vec![(x0, *y), (x1, *y)])))
                    .map_err(draw_error)?;
            }
            for (i, (_, colour, points)) in self.series.iter().enumerate() {
                let style = colour.stroke_width(2);
                let at: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (xs.to_axis(x), y)).collect();
                match dash(i) {
                    None => chart
                        .draw_series(LineSeries::new(at, style))
                        .map(|_| ())
                        .map_err(draw_error)?,
                    Some((d, g)) => chart
                        .draw_series(std::iter::once(plotters::element::DashedPathElement::new(
                            at, d, g, style,
                        )))
                        .map(|_| ())
                        .map_err(draw_error)?,
                }
            }
            for (i, m) in self.markers.iter().enumerate() {
                let (Some((x, y)), Some(s)) = (m, self.series.get(i)) else {
                    continue;
                };
                let at = (xs.to_axis(*x), *y);
                chart
                    .draw_series([
                        Circle::new(at, 6, s.1.filled()),
                        Circle::new(at, 6, BLACK.stroke_width(2)),
                    ])
                    .map_err(draw_error)?;
            }
            draw_legend(&legend_area, &entries)
        })
    }
}
