//! The chart kinds of a report, drawn with plotters' SVG backend (no font library: text is written
//! as `<text font-family="sans-serif">` and the browser lays it out).
//!
//! Every chart has a title and axis titles; category axes are horizontal bars so that labels never
//! need rotating and never overlap. Text from data files (labels, services) is escaped by the SVG
//! backend (`<`, `>`, `&`, `"`, `'`). No text is smaller than [`TEXT_PX`] (12.5 px at 100% zoom),
//! lines are told apart by dash as well as colour, and legends sit below the plotting area so that
//! they never cover data. This toolkit depends on no stage: both reports use it.

mod bars;
mod grid;
mod heat;
mod lines;
pub use bars::{BarChart, BarRow, Bars, BoxChart, BoxFigures, BoxRow};
pub use grid::{DetectionGrid, GridRow};
pub use heat::{CountMatrix, HeatMap};
pub use lines::{Histogram, LineChart, Series};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontDesc;

use crate::error::{Error, Result};

/// Font of titles, labels and legends.
const FONT: &str = "sans-serif";
/// Width of every full chart, in pixels.
pub const WIDTH: u32 = 640;
/// Width of a histogram (two or three a row on a wide page, one on a narrow one).
pub const HISTOGRAM_WIDTH: u32 = 440;
/// Height of one bar row in bar charts.
const ROW: u32 = 22;
/// Tick labels, legends and row labels, in pixels.
pub const TEXT_PX: f64 = 12.5;
/// Axis titles, in pixels.
const AXIS_PX: f64 = 13.5;
/// Chart titles, in pixels.
const TITLE_PX: f64 = 16.0;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A font of `px` pixels. plotters' SVG backend writes `font-size` as the size it is given divided
/// by 1.24 (its point-to-pixel factor), so the size is multiplied back here.
fn font(px: f64) -> FontDesc<'static> {
    (FONT, px * 1.24).into_font()
}

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
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// As they are.
    Linear,
    /// `log10(1 + v)` for non-negative values (so that 0 stays visible at 0); ticks read as values.
    Log1p,
    /// `sign(v) log10(1 + |v|)`: a logarithmic scale for values of both signs.
    SymLog,
    /// `log10(v)` for positive values; values below `floor` are drawn at `floor` (false-positive
    /// rates on a ROC chart, where the floor is about one normal row).
    Log {
        /// The smallest value drawn.
        floor: f64,
    },
}

impl Scale {
    /// The axis position of a value.
    pub fn to_axis(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log1p => v.max(0.0).ln_1p() / std::f64::consts::LN_10,
            Scale::SymLog => v.signum() * v.abs().ln_1p() / std::f64::consts::LN_10,
            Scale::Log { floor } => v.max(floor).log10(),
        }
    }

    /// The value at an axis position.
    pub fn from_axis(self, t: f64) -> f64 {
        match self {
            Scale::Linear => t,
            Scale::Log1p => 10f64.powf(t) - 1.0,
            Scale::SymLog => t.signum() * (10f64.powf(t.abs()) - 1.0),
            Scale::Log { .. } => 10f64.powf(t),
        }
    }

    /// A tick label for an axis position; log axes label whole decades only.
    pub fn label(self, t: f64) -> String {
        if self == Scale::Linear {
            return tick(t);
        }
        if (t - t.round()).abs() > 1e-6 {
            return String::new();
        }
        let t = t.round();
        match self {
            Scale::Log { .. } => tick(10f64.powf(t)),
            // 10^k - 1 is shown as 10^k: the ticks of a log axis sit at whole decades.
            _ if t == 0.0 => "0".into(),
            _ => tick(t.signum() * 10f64.powf(t.abs())),
        }
    }

    /// Tick labels wanted on an axis spanning `lo..hi` (axis positions).
    fn ticks(self, lo: f64, hi: f64) -> usize {
        if self == Scale::Linear {
            6
        } else {
            ((hi - lo).round() as usize + 1).clamp(2, 11)
        }
    }

    /// Words for an axis title.
    pub fn note(self) -> &'static str {
        match self {
            Scale::Linear => "",
            Scale::Log1p => " (log scale)",
            Scale::SymLog => " (symmetric log scale)",
            Scale::Log { .. } => " (log scale)",
        }
    }
}

/// One number format for every axis: whole numbers with thousands separators (up to ten
/// million), other numbers with three significant digits, very large and very small ones with an
/// exponent.
pub fn tick(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { v.to_string() };
    }
    let a = v.abs();
    if (1e-3..1e7).contains(&a) && (v - v.round()).abs() < 1e-9 * a.max(1.0) {
        let s = crate::format::thousands(a.round() as u64);
        return if v < 0.0 { format!("-{s}") } else { s };
    }
    if (1e-3..1e7).contains(&a) {
        let digits = (2 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{v:.digits$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            &s
        };
        return s.to_string();
    }
    let s = format!("{v:.1e}");
    s.replace(".0e", "e")
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

/// Width of a label area holding these texts at [`TEXT_PX`].
fn label_width(labels: &[String]) -> u32 {
    let chars = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1);
    (chars as u32 * 15 / 2 + 14).clamp(30, 240)
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    /// A filled square (bars, boxes).
    Square,
    /// A line in the dash pattern of series `i`.
    Line(usize),
}

/// Colour of reference lines (thresholds, baselines, PSI levels).
const MARK: RGBColor = RGBColor(0x33, 0x33, 0x33);

/// A reference line through `points`, in the dash pattern its legend key ([`Key::Line`]`(1)`) shows.
fn reference_line(
    points: Vec<(f64, f64)>,
) -> plotters::element::DashedPathElement<std::vec::IntoIter<(f64, f64)>, u32> {
    let (d, g) = dash(1).unwrap_or((9, 4));
    plotters::element::DashedPathElement::new(points, d, g, MARK.stroke_width(2))
}

/// The dash pattern of line series `i`: `(dash, gap)` in pixels, `None` for a solid line.
fn dash(i: usize) -> Option<(u32, u32)> {
    [
        None,
        Some((9, 4)),
        Some((3, 3)),
        Some((14, 4)),
        Some((6, 3)),
    ][i % 5]
}

/// Legend entries a line: as many as fit, at most five.
fn legend_columns(names: &[&str], width: u32) -> usize {
    let chars = names
        .iter()
        .map(|n| n.chars().count().min(LEGEND_CHARS))
        .max()
        .unwrap_or(1);
    ((width as usize - 40) / (chars * 15 / 2 + 40)).clamp(1, 5)
}

/// Longest legend entry shown, in characters.
const LEGEND_CHARS: usize = 60;

/// Height of a legend area for these entries.
fn legend_height(names: &[&str], width: u32) -> u32 {
    if names.is_empty() {
        0
    } else {
        8 + 22 * names.len().div_ceil(legend_columns(names, width)) as u32
    }
}

/// A legend in rows below a chart.
fn draw_legend(area: &Area<'_>, entries: &[(String, RGBColor, Key)]) -> Result<()> {
    let width = area.dim_in_pixel().0;
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    let per_line = legend_columns(&names, width);
    let col = (width as i32 - 40) / per_line as i32;
    for (i, (name, colour, key)) in entries.iter().enumerate() {
        let x = 20 + (i % per_line) as i32 * col;
        let y = 4 + (i / per_line) as i32 * 22;
        match *key {
            Key::Square => area
                .draw(&Rectangle::new(
                    [(x, y + 2), (x + 14, y + 16)],
                    colour.filled(),
                ))
                .map_err(draw_error)?,
            Key::Line(s) => {
                let style = colour.stroke_width(3);
                match dash(s) {
                    None => area
                        .draw(&PathElement::new(vec![(x, y + 9), (x + 26, y + 9)], style))
                        .map_err(draw_error)?,
                    Some((d, g)) => area
                        .draw(&plotters::element::DashedPathElement::new(
                            vec![(x, y + 9), (x + 26, y + 9)],
                            d,
                            g,
                            style,
                        ))
                        .map_err(draw_error)?,
                }
            }
        }
        let shown: String = name.chars().take(LEGEND_CHARS).collect();
        let off = if *key == Key::Square { 19 } else { 31 };
        area.draw(&Text::new(shown, (x + off, y + 2), font(TEXT_PX)))
            .map_err(draw_error)?;
    }
    Ok(())
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
        assert_eq!(Scale::Log1p.label(3.0), "1,000");
        assert_eq!(Scale::Log1p.label(0.0), "0");
        assert_eq!(Scale::Log1p.label(1.5), "");
        assert_eq!(Scale::SymLog.label(-2.0), "-100");
        assert_eq!(Scale::Log1p.label(6.0), "1,000,000");
        assert_eq!(Scale::Log1p.label(8.0), "1e8");
        assert_eq!(Scale::Log { floor: 1e-4 }.label(-2.0), "0.01");
        assert_eq!(Scale::Log { floor: 1e-4 }.to_axis(0.0), -4.0);
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(2.5e-5), "2.5e-5");
        assert_eq!(tick(1500000.0), "1,500,000");
        assert_eq!(tick(2.16228), "2.16");
        assert_eq!(tick(0.0123456), "0.0123");
        assert_eq!(tick(-0.5), "-0.5");
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
            marks: Vec::new(),
        };
        let svg = chart.draw().unwrap();
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("a&amp;b"));
    }

    /// Every `font-size` of an SVG.
    fn font_sizes(svg: &str) -> Vec<f64> {
        svg.split("font-size=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next()?.parse().ok())
            .collect()
    }

    #[test]
    fn no_text_is_below_twelve_pixels() {
        let chart = LineChart {
            title: "t".into(),
            x_desc: "x".into(),
            y_desc: "y".into(),
            series: vec![("a".into(), BLACK, vec![(0.0, 0.0), (1.0, 1.0)])],
            markers: vec![Some((0.5, 0.5))],
            baselines: vec![(0.3, "base".into())],
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
            x_scale: Scale::Linear,
            diagonal: true,
            width: WIDTH,
        };
        let sizes = font_sizes(&chart.draw().unwrap());
        assert!(!sizes.is_empty());
        assert!(sizes.iter().all(|s| *s >= 12.0), "{sizes:?}");
    }
}
