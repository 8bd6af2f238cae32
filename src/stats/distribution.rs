//! The distribution of one numeric column as sorted distinct values with their counts, and the
//! statistics read off it.
//!
//! KDD columns hold few distinct values (a rate has at most 101, most counts a few hundred), so one
//! counting pass per column replaces a sort of every value: quantiles, minimum, maximum, distinct and
//! zero counts come from the sorted distinct values, and sums from value × count. Definitions follow
//! pandas (`Series.describe`, `nunique`) and numpy:
//! - mean: the sum divided by the count, the sum accumulated with error-free products and Neumaier
//!   compensation, so it is the correctly rounded value up to one rounding (pandas' pairwise sum agrees
//!   to about 1e-15 relative);
//! - std: sample standard deviation, ddof = 1, two-pass (mean first, then squared deviations), as
//!   pandas' `nanvar`; `NaN` for fewer than two values;
//! - quantiles: numpy's default `linear` method (pandas' `interpolation="linear"`), with numpy's own
//!   formulas for the virtual index and the interpolation, so results agree to the last bit.

use foldhash::{HashMap, HashMapExt};

/// Sorted distinct values of a column with their counts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Distribution {
    values: Vec<f64>,
    counts: Vec<u64>,
    /// `cumulative[i]` = number of values `<= values[i]`.
    cumulative: Vec<u64>,
}

/// A distribution as saved in a state file (`--state-out`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SavedDistribution {
    /// Sorted distinct values.
    #[serde(deserialize_with = "budget::counted")]
    pub values: Vec<f64>,
    /// Their counts.
    #[serde(deserialize_with = "budget::capped")]
    pub counts: Vec<u64>,
}

/// The distinct values a saved state may bring, counted while it is parsed: a state holding more
/// than `--max-distinct` values is refused as soon as the limit is passed, before its tables are
/// built (a 240 MB state with 20 M values under a limit of 1,000 stops after reading 1,000).
pub mod budget {
    use std::cell::Cell;

    use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};

    thread_local! {
        static LEFT: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
    }

    /// Runs `parse` with at most `max` distinct values to be read (values of numeric columns,
    /// categorical values and groups together).
    pub fn with<T>(max: u64, parse: impl FnOnce() -> T) -> T {
        let before = LEFT.with(|l| l.replace(Some((max, max))));
        let out = parse();
        LEFT.with(|l| l.set(before));
        out
    }

    fn take(n: u64) -> Result<(), String> {
        LEFT.with(|l| match l.get() {
            None => Ok(()),
            Some((left, max)) if left >= n => {
                l.set(Some((left - n, max)));
                Ok(())
            }
            Some((_, max)) => Err(format!(
                "it holds more than {max} distinct values, the limit (--max-distinct)"
            )),
        })
    }

    fn cap() -> u64 {
        LEFT.with(|l| l.get().map_or(u64::MAX, |(_, max)| max))
    }

    struct Seq<T>(bool, std::marker::PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for Seq<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(v) = seq.next_element()? {
                if self.0 {
                    take(1).map_err(serde::de::Error::custom)?;
                } else if out.len() as u64 >= cap() {
                    return Err(serde::de::Error::custom(format!(
                        "a list longer than the limit of {} distinct values (--max-distinct)",
                        cap()
                    )));
                }
                out.push(v);
            }
            Ok(out)
        }
    }

    /// A list each of whose entries counts as one distinct value.
    pub fn counted<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(Seq(true, std::marker::PhantomData))
    }

    /// A list no longer than the limit (the counts beside counted values).
    pub fn capped<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(Seq(false, std::marker::PhantomData))
    }
}

/// Values below this bound (and non-negative) are counted in a dense array instead of a hash map.
const DENSE_LIMIT: i64 = 1 << 16;

impl Distribution {
    /// The distribution of integer values given as contiguous pieces.
    pub fn from_i64(pieces: &[&[i64]]) -> Distribution {
        let (min, max) = pieces
            .iter()
            .flat_map(|p| p.iter())
            .fold((i64::MAX, i64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        if min >= 0 && max < DENSE_LIMIT {
            let mut dense = vec![0u64; usize::try_from(max + 1).unwrap_or(0)];
            for &v in pieces.iter().flat_map(|p| p.iter()) {
                dense[v as usize] += 1;
            }
            let pairs = dense
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(v, c)| (v as f64, *c));
            return Distribution::from_pairs(pairs.collect());
        }
        let mut map: HashMap<i64, u64> = HashMap::with_capacity(1024);
        for &v in pieces.iter().flat_map(|p| p.iter()) {
            *map.entry(v).or_insert(0) += 1;
        }
        Distribution::from_pairs(map.into_iter().map(|(v, c)| (v as f64, c)).collect())
    }

    /// The distribution of float values given as contiguous pieces. `NaN`s are not counted (the
    /// loader never produces them); `-0.0` counts as `0.0`.
    pub fn from_f64(pieces: &[&[f64]]) -> Distribution {
        let mut map: HashMap<u64, u64> = HashMap::with_capacity(256);
        for &v in pieces.iter().flat_map(|p| p.iter()) {
            if !v.is_nan() {
                *map.entry((v + 0.0).to_bits()).or_insert(0) += 1;
            }
        }
        Distribution::from_pairs(
            map.into_iter()
                .map(|(bits, c)| (f64::from_bits(bits), c))
                .collect(),
        )
    }

    /// Builds from (value, count) pairs in any order; the counts of equal values are added
    /// (integers past 2^53 may round to the same double).
    pub fn from_pairs(mut pairs: Vec<(f64, u64)>) -> Distribution {
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut running = 0;
        let mut d = Distribution {
            values: Vec::with_capacity(pairs.len()),
            counts: Vec::with_capacity(pairs.len()),
            cumulative: Vec::with_capacity(pairs.len()),
        };
        for (v, c) in pairs {
            running += c;
            let n = d.values.len();
            if n > 0 && d.values[n - 1].to_bits() == v.to_bits() {
                d.counts[n - 1] += c;
                d.cumulative[n - 1] = running;
                continue;
            }
            d.values.push(v);
            d.counts.push(c);
            d.cumulative.push(running);
        }
        d
    }

    /// The distribution of both `self`'s values and `other`'s: the counts of equal values added
    /// (a linear merge of the sorted values). Merging is exact, so chunks merged in any order
    /// give the distribution of the whole column.
    pub fn merge(&self, other: &Distribution) -> Distribution {
        let (a, b) = (self, other);
        let mut pairs = Vec::with_capacity(a.values.len().max(b.values.len()));
        let (mut i, mut j) = (0, 0);
        while i < a.values.len() || j < b.values.len() {
            let take_a = j == b.values.len()
                || (i < a.values.len() && a.values[i].total_cmp(&b.values[j]).is_lt());
            let take_b = i == a.values.len()
                || (j < b.values.len() && b.values[j].total_cmp(&a.values[i]).is_lt());
            if take_a {
                pairs.push((a.values[i], a.counts[i]));
                i += 1;
            } else if take_b {
                pairs.push((b.values[j], b.counts[j]));
                j += 1;
            } else {
                pairs.push((a.values[i], a.counts[i] + b.counts[j]));
                i += 1;
                j += 1;
            }
        }
        let mut d = Distribution::default();
        let mut running = 0;
        for (v, c) in pairs {
            running += c;
            d.values.push(v);
            d.counts.push(c);
            d.cumulative.push(running);
        }
        d
    }

    /// The distribution as saved in a state file: its sorted distinct values and their counts.
    pub fn to_saved(&self) -> SavedDistribution {
        SavedDistribution {
            values: self.values.clone(),
            counts: self.counts.clone(),
        }
    }

    /// A distribution read from a state file, checked: finite, strictly increasing values with
    /// positive counts.
    pub fn from_saved(s: SavedDistribution) -> std::result::Result<Distribution, String> {
        if s.values.len() != s.counts.len() {
            return Err("values and counts of different lengths".into());
        }
        if s.values.iter().any(|v| !v.is_finite())
            || s.values.windows(2).any(|w| w[0] >= w[1])
            || s.counts.contains(&0)
        {
            return Err("values not finite and increasing, or a count of 0".into());
        }
        let mut running = 0u64;
        let mut cumulative = Vec::with_capacity(s.counts.len());
        for c in &s.counts {
            running = running
                .checked_add(*c)
                .ok_or_else(|| "counts overflow".to_string())?;
            cumulative.push(running);
        }
        Ok(Distribution {
            values: s.values,
            counts: s.counts,
            cumulative,
        })
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    /// Number of distinct values (pandas `nunique`).
    pub fn distinct(&self) -> usize {
        self.values.len()
    }

    /// The sorted distinct values.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The count of each distinct value.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Smallest value (`NaN` when empty).
    pub fn min(&self) -> f64 {
        self.values.first().copied().unwrap_or(f64::NAN)
    }

    /// Largest value (`NaN` when empty).
    pub fn max(&self) -> f64 {
        self.values.last().copied().unwrap_or(f64::NAN)
    }

    /// How many values equal zero.
    pub fn zeros(&self) -> u64 {
        self.values
            .iter()
            .position(|v| *v == 0.0)
            .map_or(0, |i| self.counts[i])
    }

    /// The `i`-th smallest value (0-based), as in the sorted column.
    pub fn order_statistic(&self, i: u64) -> f64 {
        let k = self.cumulative.partition_point(|&c| c <= i);
        self.values[k.min(self.values.len() - 1)]
    }

    /// Arithmetic mean (`NaN` when empty).
    pub fn mean(&self) -> f64 {
        let n = self.count();
        if n == 0 {
            return f64::NAN;
        }
        let mut sum = Neumaier::default();
        for (&v, &c) in self.values.iter().zip(&self.counts) {
            let c = c as f64;
            let p = v * c;
            sum.add(p);
            sum.add(v.mul_add(c, -p)); // the product's rounding error, exactly
        }
        sum.total() / n as f64
    }

    /// Sample variance with `ddof` degrees of freedom removed (`NaN` when count <= ddof).
    pub fn variance(&self, ddof: u64) -> f64 {
        let n = self.count();
        if n <= ddof {
            return f64::NAN;
        }
        let mean = self.mean();
        let mut sum = Neumaier::default();
        for (&v, &c) in self.values.iter().zip(&self.counts) {
            let d = v - mean;
            sum.add(d * d * c as f64);
        }
        sum.total() / (n - ddof) as f64
    }

    /// Standard deviation with `ddof` degrees of freedom removed.
    pub fn std(&self, ddof: u64) -> f64 {
        self.variance(ddof).sqrt()
    }

    /// Sample skewness, bias-corrected, as pandas' `Series.skew()`:
    /// `n √(n−1) / (n−2) · S3 / S2^1.5` with `S2`, `S3` the sums of squared and cubed deviations
    /// from the mean, sums below 1e-14 in magnitude taken as 0; `NaN` for a constant column (as
    /// pandas 3 gives; pandas 2 gave 0) and for fewer than 3 values.
    pub fn skewness(&self) -> f64 {
        let n = self.count();
        if n < 3 {
            return f64::NAN;
        }
        let mean = self.mean();
        let (mut s2, mut s3) = (Neumaier::default(), Neumaier::default());
        for (&v, &c) in self.values.iter().zip(&self.counts) {
            let d = v - mean;
            let d2 = d * d;
            s2.add(d2 * c as f64);
            s3.add(d2 * d * c as f64);
        }
        let zero_small = |x: f64| if x.abs() < 1e-14 { 0.0 } else { x };
        let (s2, s3) = (zero_small(s2.total()), zero_small(s3.total()));
        if s2 == 0.0 {
            return f64::NAN;
        }
        let n = n as f64;
        (n * (n - 1.0).sqrt() / (n - 2.0)) * (s3 / s2.powf(1.5))
    }

    /// The average rank (1-based, ties sharing the mean of their positions) of each distinct value,
    /// as pandas' `rank(method="average")`.
    pub fn average_ranks(&self) -> Vec<f64> {
        let mut before = 0u64;
        self.cumulative
            .iter()
            .map(|&c| {
                let r = (before + 1 + c) as f64 / 2.0;
                before = c;
                r
            })
            .collect()
    }

    /// How many values are `<= v`.
    pub fn count_at_most(&self, v: f64) -> u64 {
        let i = self.values.partition_point(|x| *x <= v);
        if i == 0 { 0 } else { self.cumulative[i - 1] }
    }

    /// The index of `v` among the distinct values, if present.
    pub fn index_of(&self, v: f64) -> Option<usize> {
        let i = self.values.partition_point(|x| x.total_cmp(&v).is_lt());
        (i < self.values.len() && self.values[i] == v).then_some(i)
    }

    /// The `q` quantile (0 <= q <= 1) by numpy's `linear` method.
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.count();
        if n == 0 {
            return f64::NAN;
        }
        // numpy: virtual_index = n*q + (alpha + q*(1 - alpha - beta)) - 1 with alpha = beta = 1,
        // evaluated in numpy's order so that the rounding is the same.
        let (alpha, beta) = (1.0, 1.0);
        let nf = n as f64;
        let virtual_index = nf * q + (alpha + q * (1.0 - alpha - beta)) - 1.0;
        let last = n - 1;
        if virtual_index >= last as f64 {
            return self.order_statistic(last);
        }
        if virtual_index <= 0.0 {
            return self.order_statistic(0);
        }
        let previous = virtual_index.floor();
        let gamma = virtual_index - previous;
        let lo = previous as u64;
        let a = self.order_statistic(lo);
        let b = self.order_statistic(lo + 1);
        lerp(a, b, gamma)
    }
}

/// numpy's `_lerp`: `a + (b - a) * t`, computed from the nearer end for `t >= 0.5`.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Neumaier's compensated summation.
#[derive(Debug, Default, Clone, Copy)]
struct Neumaier {
    sum: f64,
    compensation: f64,
}

impl Neumaier {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn total(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// Builds one distribution per group from integer pieces and a group index per row.
pub fn grouped_i64(pieces: &[&[i64]], groups: &[u32], n_groups: usize) -> Vec<Distribution> {
    let mut maps: Vec<HashMap<i64, u64>> = (0..n_groups).map(|_| HashMap::new()).collect();
    for (&v, &g) in pieces.iter().flat_map(|p| p.iter()).zip(groups) {
        *maps[g as usize].entry(v).or_insert(0) += 1;
    }
    maps.into_iter()
        .map(|m| Distribution::from_pairs(m.into_iter().map(|(v, c)| (v as f64, c)).collect()))
        .collect()
}

/// Builds one distribution per group from float pieces and a group index per row.
pub fn grouped_f64(pieces: &[&[f64]], groups: &[u32], n_groups: usize) -> Vec<Distribution> {
    let mut maps: Vec<HashMap<u64, u64>> = (0..n_groups).map(|_| HashMap::new()).collect();
    for (&v, &g) in pieces.iter().flat_map(|p| p.iter()).zip(groups) {
        if !v.is_nan() {
            *maps[g as usize].entry((v + 0.0).to_bits()).or_insert(0) += 1;
        }
    }
    maps.into_iter()
        .map(|m| {
            Distribution::from_pairs(m.into_iter().map(|(b, c)| (f64::from_bits(b), c)).collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &[i64]) -> Distribution {
        Distribution::from_i64(&[v])
    }

    #[test]
    fn merging_chunks_gives_the_whole_distribution() {
        let whole = ints(&[3, 1, 10, 2, 2, -4, 7, 3]);
        let merged = ints(&[3, 1, 10])
            .merge(&ints(&[2, 2, -4]))
            .merge(&ints(&[7, 3]));
        assert_eq!(merged, whole);
        assert_eq!(ints(&[]).merge(&whole), whole);
        assert_eq!(Distribution::from_saved(whole.to_saved()).unwrap(), whole);
        let mut bad = whole.to_saved();
        bad.values.swap(0, 1);
        assert!(Distribution::from_saved(bad).is_err());
    }

    #[test]
    fn hand_worked_example() {
        // 1, 2, 2, 3, 10: mean 18/5 = 3.6; deviations -2.6 -1.6 -1.6 -0.6 6.4, squares sum
        // 6.76 + 2.56 + 2.56 + 0.36 + 40.96 = 53.2; variance 53.2 / 4 = 13.3.
        let d = ints(&[3, 1, 10, 2, 2]);
        assert_eq!(d.count(), 5);
        assert_eq!(d.distinct(), 4);
        assert_eq!(d.mean(), 3.6);
        assert!((d.variance(1) - 13.3).abs() < 1e-12);
        assert_eq!(d.min(), 1.0);
        assert_eq!(d.max(), 10.0);
        // Linear quantiles on sorted 1 2 2 3 10: q25 at index 1 -> 2; q50 at 2 -> 2; q75 at 3 -> 3;
        // q90 at 3.6 -> 3 + 0.6 * 7 = 7.2.
        assert_eq!(d.quantile(0.25), 2.0);
        assert_eq!(d.quantile(0.5), 2.0);
        assert_eq!(d.quantile(0.75), 3.0);
        assert!((d.quantile(0.9) - 7.2).abs() < 1e-12);
        assert_eq!(d.quantile(0.0), 1.0);
        assert_eq!(d.quantile(1.0), 10.0);
        assert_eq!(d.zeros(), 0);
    }

    #[test]
    fn even_count_median_interpolates() {
        let d = ints(&[1, 2, 3, 4]);
        assert_eq!(d.quantile(0.5), 2.5);
        assert_eq!(d.quantile(0.25), 1.75);
    }

    #[test]
    fn dense_and_hashed_paths_agree() {
        let small: Vec<i64> = (0..1000).map(|i| i % 37).collect();
        let big: Vec<i64> = small.iter().map(|v| v + (1 << 20)).collect();
        let (a, b) = (ints(&small), ints(&big));
        assert_eq!(a.counts(), b.counts());
        assert_eq!(a.quantile(0.3) + (1 << 20) as f64, b.quantile(0.3));
    }

    #[test]
    fn floats_with_zeros_and_negative_zero() {
        let d = Distribution::from_f64(&[&[0.0, -0.0, 0.5][..], &[1.0][..]]);
        assert_eq!(d.distinct(), 3);
        assert_eq!(d.zeros(), 2);
        assert_eq!(d.mean(), 0.375);
    }

    #[test]
    fn single_value_has_no_sample_std() {
        let d = ints(&[7]);
        assert!(d.std(1).is_nan());
        assert_eq!(d.std(0), 0.0);
        assert_eq!(d.quantile(0.25), 7.0);
    }

    #[test]
    fn skewness_worked_out_by_hand() {
        // 1 2 2 3 10: mean 3.6; deviations -2.6 -1.6 -1.6 -0.6 6.4; S2 = 53.2;
        // S3 = -17.576 - 4.096 - 4.096 - 0.216 + 262.144 = 236.16;
        // skew = 5 * 2 / 3 * 236.16 / 53.2^1.5.
        let d = ints(&[1, 2, 2, 3, 10]);
        let expected = 5.0 * 2.0 / 3.0 * 236.16 / 53.2f64.powf(1.5);
        assert!((d.skewness() - expected).abs() < 1e-12);
        assert!(ints(&[4, 4, 4]).skewness().is_nan());
        assert!(ints(&[1, 2]).skewness().is_nan());
    }

    #[test]
    fn average_ranks_share_ties() {
        // sorted 1 2 2 3 10 -> ranks 1, 2.5, 2.5, 4, 5
        let d = ints(&[3, 1, 10, 2, 2]);
        assert_eq!(d.average_ranks(), [1.0, 2.5, 4.0, 5.0]);
        assert_eq!(d.index_of(3.0), Some(2));
        assert_eq!(d.index_of(4.0), None);
    }

    #[test]
    fn empty_is_nan() {
        let d = Distribution::default();
        assert!(d.mean().is_nan() && d.quantile(0.5).is_nan() && d.min().is_nan());
    }

    #[test]
    fn grouped_matches_ungrouped() {
        let v: Vec<i64> = (0..100).collect();
        let g: Vec<u32> = (0..100).map(|i| u32::from(i % 2 == 0)).collect();
        let parts = grouped_i64(&[&v], &g, 2);
        let evens: Vec<i64> = (0..100).filter(|i| i % 2 == 0).collect();
        assert_eq!(parts[1], ints(&evens));
        let f: Vec<f64> = v.iter().map(|x| *x as f64 / 100.0).collect();
        let fparts = grouped_f64(&[&f], &g, 2);
        assert_eq!(fparts[0].count(), 50);
    }
}
