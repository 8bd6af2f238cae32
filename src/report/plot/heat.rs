//! A square heat map of a symmetric matrix in [-1, 1] (correlations). Columns are numbered and
//! rows carry the number and the name, so no label is rotated.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{TEXT_PX, TITLE_PX, draw_error, font, label_width, svg};
use crate::error::Result;

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
        let cell = 20i32;
        let names: Vec<String> = self
            .names
            .iter()
            .enumerate()
            .map(|(i, name)| format!("{name} {}", i + 1))
            .collect();
        let label = label_width(&names) as i32;
        let (x0, y0) = (label + 14, 64);
        let key_w = 70;
        let w = (x0 + cell * n as i32 + key_w) as u32;
        let h = (y0 + cell * n as i32 + 30) as u32;
        svg(w, h, |root| {
            root.draw(&Text::new(self.title.clone(), (10, 8), font(TITLE_PX)))
                .map_err(draw_error)?;
            let note = TextStyle::from(font(TEXT_PX));
            root.draw(&Text::new(
                "columns are numbered as the rows",
                (10, 32),
                note,
            ))
            .map_err(draw_error)?;
            let right = TextStyle::from(font(TEXT_PX)).pos(Pos::new(HPos::Right, VPos::Center));
            let above = TextStyle::from(font(TEXT_PX)).pos(Pos::new(HPos::Center, VPos::Bottom));
            for (i, name) in names.iter().enumerate() {
                for j in 0..n {
                    let v = self.values[i * n + j];
                    let (x, y) = (x0 + j as i32 * cell, y0 + i as i32 * cell);
                    root.draw(&Rectangle::new(
                        [(x, y), (x + cell, y + cell)],
                        super::super::palette::diverging(v).filled(),
                    ))
                    .map_err(draw_error)?;
                }
                root.draw(&Text::new(
                    name.clone(),
                    (x0 - 4, y0 + i as i32 * cell + cell / 2),
                    right.clone(),
                ))
                .map_err(draw_error)?;
                // Column numbers alternate between two heights so that they never touch.
                let lift = if i % 2 == 0 { 2 } else { 16 };
                root.draw(&Text::new(
                    (i + 1).to_string(),
                    (x0 + i as i32 * cell + cell / 2, y0 - lift),
                    above.clone(),
                ))
                .map_err(draw_error)?;
            }
            // Colour key: -1 to 1 along the right edge.
            let kx = x0 + n as i32 * cell + 12;
            let steps = 40;
            for k in 0..steps {
                let v = 1.0 - 2.0 * k as f64 / (steps - 1) as f64;
                let y = y0 + k * (n as i32 * cell) / steps;
                let y1 = y0 + (k + 1) * (n as i32 * cell) / steps;
                root.draw(&Rectangle::new(
                    [(kx, y), (kx + 14, y1)],
                    super::super::palette::diverging(v).filled(),
                ))
                .map_err(draw_error)?;
            }
            let left = TextStyle::from(font(TEXT_PX)).pos(Pos::new(HPos::Left, VPos::Center));
            for (text, y) in [
                ("+1", y0),
                ("0", y0 + n as i32 * cell / 2),
                ("-1", y0 + n as i32 * cell),
            ] {
                root.draw(&Text::new(text, (kx + 18, y), left.clone()))
                    .map_err(draw_error)?;
            }
            Ok(())
        })
    }
}

/// A confusion matrix: a cell per (true, predicted) pair with its rows written in it, shaded by
/// the share of the true class's rows (white to dark blue), the diagonal outlined.
#[derive(Debug, Clone)]
pub struct CountMatrix {
    /// Title.
    pub title: String,
    /// Row names (true classes).
    pub rows: Vec<String>,
    /// Column names (predicted classes).
    pub cols: Vec<String>,
    /// Row-major counts.
    pub counts: Vec<u64>,
}

impl CountMatrix {
    /// Draws the matrix.
    pub fn draw(&self) -> Result<String> {
        const CELL_W: i32 = 84;
        const CELL_H: i32 = 30;
        let (nr, nc) = (self.rows.len(), self.cols.len());
        let label = label_width(&self.rows) as i32 + 10;
        let (x0, y0) = (label + 10, 74);
        let w = (x0 + CELL_W * nc as i32 + 20).max(520) as u32;
        let h = (y0 + CELL_H * nr as i32 + 30) as u32;
        svg(w, h, |root| {
            root.draw(&Text::new(self.title.clone(), (10, 8), font(TITLE_PX)))
                .map_err(draw_error)?;
            let note = TextStyle::from(font(TEXT_PX));
            root.draw(&Text::new(
                "rows: true class; columns: predicted; shade: share of the row",
                (10, 32),
                note,
            ))
            .map_err(draw_error)?;
            let above = TextStyle::from(font(TEXT_PX)).pos(Pos::new(HPos::Center, VPos::Bottom));
            for (j, c) in self.cols.iter().enumerate() {
                root.draw(&Text::new(
                    c.clone(),
                    (x0 + j as i32 * CELL_W + CELL_W / 2, y0 - 4),
                    above.clone(),
                ))
                .map_err(draw_error)?;
            }
            let right = TextStyle::from(font(TEXT_PX)).pos(Pos::new(HPos::Right, VPos::Center));
            for (i, r) in self.rows.iter().enumerate() {
                let y = y0 + i as i32 * CELL_H;
                root.draw(&Text::new(
                    r.clone(),
                    (x0 - 6, y + CELL_H / 2),
                    right.clone(),
                ))
                .map_err(draw_error)?;
                let row = &self.counts[i * nc..(i + 1) * nc];
                let total: u64 = row.iter().sum();
                for (j, &n) in row.iter().enumerate() {
                    let x = x0 + j as i32 * CELL_W;
                    let share = if total > 0 {
                        n as f64 / total as f64
                    } else {
                        0.0
                    };
                    let end = (0x08u8, 0x30u8, 0x6bu8);
                    let mix = |a: u8| (255.0 + (f64::from(a) - 255.0) * share).round() as u8;
                    let fill = RGBColor(mix(end.0), mix(end.1), mix(end.2));
                    root.draw(&Rectangle::new(
                        [(x, y), (x + CELL_W - 2, y + CELL_H - 2)],
                        fill.filled(),
                    ))
                    .map_err(draw_error)?;
                    if self.rows.get(i) == self.cols.get(j) {
                        root.draw(&Rectangle::new(
                            [(x, y), (x + CELL_W - 2, y + CELL_H - 2)],
                            BLACK.stroke_width(2),
                        ))
                        .map_err(draw_error)?;
                    }
                    let ink = if share > 0.55 { WHITE } else { BLACK };
                    let centred = TextStyle::from(font(TEXT_PX))
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    root.draw(&Text::new(
                        crate::format::thousands(n),
                        (x + CELL_W / 2, y + CELL_H / 2 - 1),
                        centred,
                    ))
                    .map_err(draw_error)?;
                }
            }
            Ok(())
        })
    }
}
