//! Colours: one per attack category, detector and file, the same in every plot of a report.

use plotters::style::RGBColor;

use crate::schema::Category;

/// The colour of a category (Tableau-like, readable on white and by most colour-blind readers).
pub fn category(c: Category) -> RGBColor {
    match c {
        Category::Normal => RGBColor(0x2c, 0xa0, 0x2c),
        Category::DoS => RGBColor(0xd6, 0x27, 0x28),
        Category::Probe => RGBColor(0xff, 0x7f, 0x0e),
        Category::R2L => RGBColor(0x94, 0x67, 0xbd),
        Category::U2R => RGBColor(0x8c, 0x56, 0x4b),
        Category::Unknown => RGBColor(0x7f, 0x7f, 0x7f),
    }
}

/// The colour of a category given by name (grey for a name that is not one).
pub fn category_named(name: &str) -> RGBColor {
    Category::ALL
        .iter()
        .find(|c| c.as_str() == name)
        .map_or(category(Category::Unknown), |&c| category(c))
}

/// Colours of series that are not categories (detectors, files), in order.
const SERIES: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x39, 0x3b, 0x79),
    RGBColor(0x8c, 0x6d, 0x31),
];

/// The colour of the `i`-th series (detector or file).
pub fn series(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// A diverging colour for a correlation in [-1, 1]: blue through white to red; grey for NaN.
pub fn diverging(r: f64) -> RGBColor {
    if r.is_nan() {
        return RGBColor(0xdd, 0xdd, 0xdd);
    }
    let t = r.clamp(-1.0, 1.0);
    let (end, w) = if t < 0.0 {
        ((0x21, 0x66, 0xac), -t)
    } else {
        ((0xb2, 0x18, 0x2b), t)
    };
    let mix = |a: u8| (255.0 + (f64::from(a) - 255.0) * w).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// `#rrggbb` of a colour, for HTML legends.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_ends_and_middle() {
        assert_eq!(diverging(0.0), RGBColor(255, 255, 255));
        assert_eq!(diverging(1.0), RGBColor(0xb2, 0x18, 0x2b));
        assert_eq!(diverging(-1.0), RGBColor(0x21, 0x66, 0xac));
        assert_eq!(hex(category(Category::DoS)), "#d62728");
        assert_eq!(category_named("R2L"), category(Category::R2L));
        assert_eq!(category_named("<x>"), category(Category::Unknown));
    }
}
