//! Colours: one per attack category, detector and file, the same in every plot of a report.

use plotters::style::RGBColor;

use crate::schema::Category;

/// The colour of a category: the Okabe-Ito palette, which stays distinct under the common forms of
/// colour blindness (normal bluish green, DoS vermillion, Probe orange, R2L reddish purple, U2R
/// blue, unknown grey).
pub fn category(c: Category) -> RGBColor {
    match c {
        Category::Normal => RGBColor(0x00, 0x9e, 0x73),
        Category::DoS => RGBColor(0xd5, 0x5e, 0x00),
        Category::Probe => RGBColor(0xe6, 0x9f, 0x00),
        Category::R2L => RGBColor(0xcc, 0x79, 0xa7),
        Category::U2R => RGBColor(0x00, 0x72, 0xb2),
        Category::Unknown => RGBColor(0x99, 0x99, 0x99),
    }
}

/// Colours of detectors, in order: none of them is a category's or a file's.
const DETECTORS: [RGBColor; 6] = [
    RGBColor(0x33, 0x22, 0x88),
    RGBColor(0x88, 0x22, 0x55),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0x99, 0x99, 0x33),
    RGBColor(0x44, 0xaa, 0x99),
    RGBColor(0xaa, 0x44, 0x99),
];

/// Colours of files, in order: none of them is a category's or a detector's.
const FILES: [RGBColor; 4] = [
    RGBColor(0x55, 0x55, 0x55),
    RGBColor(0xa6, 0x76, 0x1d),
    RGBColor(0x6a, 0x3d, 0x9a),
    RGBColor(0xb1, 0x59, 0x28),
];

/// The colour of the `i`-th detector.
pub fn detector(i: usize) -> RGBColor {
    DETECTORS[i % DETECTORS.len()]
}

/// The colour of the `i`-th file.
pub fn file(i: usize) -> RGBColor {
    FILES[i % FILES.len()]
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
    fn detectors_files_and_categories_never_share_a_colour() {
        let mut all: Vec<RGBColor> = Category::ALL.iter().map(|&c| category(c)).collect();
        all.extend(DETECTORS);
        all.extend(FILES);
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!((a.0, a.1, a.2), (b.0, b.1, b.2));
            }
        }
    }

    #[test]
    fn diverging_ends_and_middle() {
        assert_eq!(diverging(0.0), RGBColor(255, 255, 255));
        assert_eq!(diverging(1.0), RGBColor(0xb2, 0x18, 0x2b));
        assert_eq!(diverging(-1.0), RGBColor(0x21, 0x66, 0xac));
        assert_eq!(hex(category(Category::DoS)), "#d55e00");
        assert_eq!(category_named("R2L"), category(Category::R2L));
        assert_eq!(category_named("<x>"), category(Category::Unknown));
    }
}
