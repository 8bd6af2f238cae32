//! The label x detector grid: the share of each attack label's rows a detector flags at its
//! threshold, a cell per label and detector with the percentage written in it, rows grouped by
//! category, novel labels marked, labels that every detector misses flagged.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{TEXT_PX, TITLE_PX, draw_error, font, label_width, svg};
use crate::error::Result;

/// One row of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridRow {
    /// The label.
    pub label: String,
    /// Its category (for the colour mark on the left).
    pub category: String,
    /// Its rows in the test file.
    pub rows: usize,
    /// Absent from the training file.
    pub novel: bool,
    /// Detection rate per detector, in the columns' order.
    pub rates: Vec<f64>,
}

impl GridRow {
    /// Orders rows by category (in [`Category::ALL`](crate::schema::Category::ALL) order), then
    /// most rows first, then by label.
    pub fn sort(rows: &mut [GridRow]) {
        let rank = |c: &str| {
            crate::schema::Category::ALL
                .iter()
                .position(|x| x.as_str() == c)
                .unwrap_or(crate::schema::Category::ALL.len())
        };
        rows.sort_by(|a, b| {
            rank(&a.category)
                .cmp(&rank(&b.category))
                .then(b.rows.cmp(&a.rows))
                .then_with(|| a.label.cmp(&b.label))
        });
    }
}

/// The grid of one test file.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionGrid {
    /// Title.
    pub title: String,
    /// Column heads (the detectors).
    pub detectors: Vec<String>,
    /// Rows, in the order drawn.
    pub rows: Vec<GridRow>,
    /// A rate below this counts as missed.
    pub missed_below: f64,
}

/// White to dark blue for a share in [0, 1].
fn shade(v: f64) -> RGBColor {
    let t = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let end = (0x08, 0x30, 0x6b);
    let mix = |a: u8| (255.0 + (f64::from(a) - 255.0) * t).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

impl DetectionGrid {
    /// Draws the grid.
    pub fn draw(&self) -> Result<String> {
        const CELL_W: i32 = 92;
        const CELL_H: i32 = 22;
        let names: Vec<String> = self
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{}{} ({})",
                    r.label,
                    if r.novel { " *" } else { "" },
                    crate::format::thousands(r.rows as u64)
                )
            })
            .collect();
        let label = label_width(&names) as i32 + 16;
        let cols = self.detectors.len() as i32;
        let head = 64;
        let note = 120;
        let w = (label + cols * CELL_W + note + 20) as u32;
        let h = (head + self.rows.len() as i32 * CELL_H + 40) as u32;
        svg(w, h, |root| {
            root.draw(&Text::new(self.title.clone(), (10, 8), font(TITLE_PX)))
                .map_err(draw_error)?;
            let x0 = label + 10;
            for (j, d) in self.detectors.iter().enumerate() {
                let style =
                    TextStyle::from(font(TEXT_PX)).pos(Pos::new(HPos::Center, VPos::Bottom));
                root.draw(&Text::new(
                    d.clone(),
                    (x0 + j as i32 * CELL_W + CELL_W / 2, head - 6),
                    style,
                ))
                .map_err(draw_error)?;
            }
            for (i, (r, name)) in self.rows.iter().zip(&names).enumerate() {
                let y = head + i as i32 * CELL_H;
                root.draw(&Rectangle::new(
                    [(6, y + 3), (12, y + CELL_H - 3)],
                    super::super::palette::category_named(&r.category).filled(),
                ))
                .map_err(draw_error)?;
                let left = TextStyle::from(font(TEXT_PX)).pos(Pos::new(HPos::Right, VPos::Center));
                root.draw(&Text::new(name.clone(), (x0 - 6, y + CELL_H / 2), left))
                    .map_err(draw_error)?;
                for (j, &v) in r.rates.iter().enumerate() {
                    let x = x0 + j as i32 * CELL_W;
                    root.draw(&Rectangle::new(
                        [(x, y), (x + CELL_W - 2, y + CELL_H - 2)],
                        shade(v).filled(),
                    ))
                    .map_err(draw_error)?;
                    let ink = if v > 0.55 { WHITE } else { BLACK };
                    let centred = TextStyle::from(font(TEXT_PX))
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    root.draw(&Text::new(
                        format!("{:.1}%", 100.0 * v),
                        (x + CELL_W / 2, y + CELL_H / 2 - 1),
                        centred,
                    ))
                    .map_err(draw_error)?;
                }
                if r.rates.iter().all(|v| *v < self.missed_below) {
                    let right = TextStyle::from(font(TEXT_PX))
                        .color(&RGBColor(0xb2, 0x18, 0x2b))
                        .pos(Pos::new(HPos::Left, VPos::Center));
                    root.draw(&Text::new(
                        "missed by all",
                        (x0 + cols * CELL_W + 6, y + CELL_H / 2),
                        right,
                    ))
                    .map_err(draw_error)?;
                }
            }
            let foot = TextStyle::from(font(TEXT_PX));
            root.draw(&Text::new(
                "* novel: absent from the training file. Cells: share of the label's rows flagged.",
                (10, head + self.rows.len() as i32 * CELL_H + 12),
                foot,
            ))
            .map_err(draw_error)?;
            Ok(())
        })
    }
}
