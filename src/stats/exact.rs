//! Exact sums of doubles, in any order and any split: [`ExactSum`].
//!
//! Every finite double is an integer multiple of 2^-1074, and the exact product of two doubles
//! one of 2^-2148, so a sum of doubles and of products of doubles is an integer in that unit: the
//! accumulator keeps it as a fixed-point number of 32-bit digits held in `i64` limbs (a long
//! accumulator after Kulisch), adds a double or an exact product (a 106-bit integer product of
//! the two significands) with a few integer additions, and rounds the total once, to the nearest
//! double (ties to even), when it is read. The result is the correctly rounded sum, so it depends
//! only on the multiset of terms: states of parts merge (limb by limb) into the state of the
//! whole, to the bit. Written here rather than taken from a crate because none on crates.io
//! offers a mergeable, serialisable long accumulator of exact products; about 3 ns a term,
//! 1.1 KB a sum.

use serde::{Deserialize, Serialize};

/// Exponent of the unit of the lowest limb: 2^-2148, the smallest product of two subnormals.
const BASE_EXP: i32 = -2148;
/// The bit of 2^-1074 (the smallest double) in that unit.
const SUBNORMAL_BIT: u32 = 1074;
/// Limbs: 4,090 bits of products' range, 138 bits a shifted product spans, and 64 bits of
/// headroom for 2^64 terms, in 32-bit digits.
const LIMBS: usize = 136;
/// Additions before the carries are propagated (each adds less than 2^33 to a limb, whose
/// magnitude must stay below 2^63).
const BEFORE_CARRY: u32 = 1 << 29;

/// The exact sum of the doubles added, read correctly rounded by [`ExactSum::value`]. A NaN or
/// an infinity among the terms makes the sum NaN or that infinity (NaN for both infinities), as
/// a plain sum would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactSum {
    limbs: [i64; LIMBS],
    pending: u32,
    /// Infinities and NaNs seen: bit 0 +inf, bit 1 -inf, bit 2 NaN.
    special: u8,
}

impl Default for ExactSum {
    fn default() -> Self {
        ExactSum {
            limbs: [0; LIMBS],
            pending: 0,
            special: 0,
        }
    }
}

impl ExactSum {
    /// Adds one term.
    #[inline]
    pub fn add(&mut self, x: f64) {
        match decompose(x) {
            Parts::Zero => {}
            Parts::Special => self.add_special(x),
            Parts::Finite(m, e, negative) => {
                self.add_shifted(u128::from(m), (e - BASE_EXP) as u32, negative);
            }
        }
    }

    /// Adds the exact product `a × b` (not rounded).
    #[inline]
    pub fn add_product(&mut self, a: f64, b: f64) {
        match (decompose(a), decompose(b)) {
            (Parts::Finite(ma, ea, na), Parts::Finite(mb, eb, nb)) => {
                let m = u128::from(ma) * u128::from(mb);
                self.add_shifted(m, (ea + eb - BASE_EXP) as u32, na != nb);
            }
            (Parts::Special, _) | (_, Parts::Special) => self.add_special(a * b),
            _ => {}
        }
    }

    /// Adds the exact product of two integers.
    pub fn add_integer_product(&mut self, a: i128, b: i128) {
        self.integer_product(a, b, false);
    }

    /// Subtracts the exact product of two integers (any two: no negation can overflow).
    pub fn sub_integer_product(&mut self, a: i128, b: i128) {
        self.integer_product(a, b, true);
    }

    fn integer_product(&mut self, a: i128, b: i128, subtract: bool) {
        let negative = ((a < 0) != (b < 0)) != subtract;
        let digits = |x: u128| [0, 32, 64, 96].map(|s| ((x >> s) & 0xffff_ffff) as i64);
        let (da, db) = (digits(a.unsigned_abs()), digits(b.unsigned_abs()));
        // The integer 1 is bit 2148 of the accumulator: limb 67, bit 4.
        const ONE: u32 = (-BASE_EXP) as u32;
        self.carry();
        for (i, x) in da.iter().enumerate() {
            for (j, y) in db.iter().enumerate() {
                let p = (*x as u128) * (*y as u128);
                // p × 2^(32 (i + j)) in the accumulator's unit, as two 32-bit pieces.
                for (k, piece) in [(0u32, p & 0xffff_ffff), (32, p >> 32)] {
                    let at = ONE + 32 * (i + j) as u32 + k;
                    let wide = piece << (at % 32);
                    let limb = (at / 32) as usize;
                    for (l, q) in [wide & 0xffff_ffff, wide >> 32].iter().enumerate() {
                        let q = *q as i64;
                        self.limbs[limb + l] += if negative { -q } else { q };
                    }
                }
            }
            self.carry();
        }
    }

    /// Adds the exact products `a[i] × b[i]` of factors split beforehand ([`Factor::of`]): the
    /// fast way to add many products of the same values (each value split once, not once per
    /// product; no branch on the signs).
    pub fn add_factor_products(&mut self, a: &[Factor], b: &[Factor]) {
        let n = a.len().min(b.len());
        for (ca, cb) in a[..n].chunks(1 << 28).zip(b[..n].chunks(1 << 28)) {
            if self.pending > 0 {
                self.carry();
            }
            for (x, y) in ca.iter().zip(cb) {
                if x.special || y.special {
                    self.add_special(x.value * y.value);
                    continue;
                }
                let m = u128::from(x.m) * u128::from(y.m);
                self.put(m, (x.e + y.e - BASE_EXP) as u32, x.negative ^ y.negative);
            }
            self.pending = 1 << 28;
            self.carry();
        }
    }

    fn add_special(&mut self, x: f64) {
        self.special |= if x.is_nan() {
            4
        } else if x > 0.0 {
            1
        } else {
            2
        };
    }

    /// Adds ±`m` × 2^(`at` + BASE_EXP), `m` below 2^106, counting the addition.
    #[inline]
    fn add_shifted(&mut self, m: u128, at: u32, negative: bool) {
        self.put(m, at, negative);
        self.pending += 1;
        if self.pending >= BEFORE_CARRY {
            self.carry();
        }
    }

    /// Adds ±`m` × 2^(`at` + BASE_EXP), `m` below 2^106, as five 32-bit pieces (less than 2^33
    /// added to any limb), without a branch on the sign.
    #[inline]
    fn put(&mut self, m: u128, at: u32, negative: bool) {
        let (limb, shift) = ((at / 32) as usize, at % 32);
        let low = (m & u128::from(u64::MAX)) << shift;
        let high = (m >> 64) << shift;
        let pieces = [
            (low & 0xffff_ffff) as i64,
            ((low >> 32) & 0xffff_ffff) as i64,
            ((low >> 64) + (high & 0xffff_ffff)) as i64,
            ((high >> 32) & 0xffff_ffff) as i64,
            (high >> 64) as i64,
        ];
        let sign = -i64::from(negative);
        for (l, p) in self.limbs[limb..limb + 5].iter_mut().zip(pieces) {
            // p, or -p when negative.
            *l += (p ^ sign) - sign;
        }
    }

    /// Adds every term of `xs`.
    pub fn add_all(&mut self, xs: impl IntoIterator<Item = f64>) {
        for x in xs {
            self.add(x);
        }
    }

    /// Adds the terms of another sum.
    pub fn merge(&mut self, other: &ExactSum) {
        self.carry();
        let mut o = other.clone();
        o.carry();
        for (a, b) in self.limbs.iter_mut().zip(o.limbs) {
            *a += b;
        }
        self.special |= o.special;
        self.carry();
    }

    /// Propagates carries: every limb but the top one in [0, 2^32), the top one signed.
    fn carry(&mut self) {
        for k in 0..LIMBS - 1 {
            let c = self.limbs[k] >> 32;
            self.limbs[k] -= c << 32;
            self.limbs[k + 1] += c;
        }
        self.pending = 0;
    }

    /// The sum, correctly rounded to the nearest double (ties to even).
    pub fn value(&self) -> f64 {
        match self.special {
            0 => {}
            1 => return f64::INFINITY,
            2 => return f64::NEG_INFINITY,
            _ => return f64::NAN,
        }
        let mut s = self.clone();
        s.carry();
        let negative = s.limbs[LIMBS - 1] < 0;
        if negative {
            for l in s.limbs.iter_mut() {
                *l = -*l;
            }
            s.carry();
        }
        let digits: Vec<u64> = s.limbs.iter().map(|&l| l as u64).collect();
        let magnitude = round_digits(&digits);
        if negative { -magnitude } else { magnitude }
    }

    /// The state as saved: the carried limbs from the lowest non-zero one.
    pub fn to_saved(&self) -> SavedSum {
        let mut s = self.clone();
        s.carry();
        let low = s.limbs.iter().position(|&l| l != 0).unwrap_or(LIMBS);
        let high = s.limbs.iter().rposition(|&l| l != 0).map_or(low, |h| h + 1);
        SavedSum {
            from: low as u32,
            limbs: s.limbs[low..high].to_vec(),
            special: s.special,
        }
    }

    /// A state read back (checked: limbs in range, digits below 2^32 but the top one).
    pub fn from_saved(saved: &SavedSum) -> std::result::Result<ExactSum, String> {
        let from = saved.from as usize;
        let end = from.checked_add(saved.limbs.len()).filter(|&e| e <= LIMBS);
        let Some(end) = end else {
            return Err("an exact sum has limbs past its range".into());
        };
        if saved.special > 7 {
            return Err("an exact sum has an unknown special value".into());
        }
        let mut s = ExactSum {
            special: saved.special,
            ..ExactSum::default()
        };
        s.limbs[from..end].copy_from_slice(&saved.limbs);
        let digits_ok = s.limbs[..LIMBS - 1]
            .iter()
            .all(|&l| (0..1i64 << 32).contains(&l));
        let top_ok = s.limbs[LIMBS - 1].unsigned_abs() < 1 << 32;
        if !(digits_ok && top_ok) {
            return Err("an exact sum has a digit out of range".into());
        }
        Ok(s)
    }
}

/// A double split for [`ExactSum::add_factor_products`]: |x| = m × 2^e.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Factor {
    m: u64,
    e: i32,
    negative: bool,
    /// An infinity or NaN (then `value` is used).
    special: bool,
    value: f64,
}

impl Factor {
    /// The factor of a double.
    #[inline]
    pub fn of(x: f64) -> Factor {
        let (m, e, negative, special) = match decompose(x) {
            Parts::Zero => (0, 0, false, false),
            Parts::Special => (0, 0, false, true),
            Parts::Finite(m, e, negative) => (m, e, negative, false),
        };
        Factor {
            m,
            e,
            negative,
            special,
            value: x,
        }
    }
}

/// A double as an integer significand and an exponent.
enum Parts {
    Zero,
    Special,
    /// |x| = m × 2^e, and whether x is negative.
    Finite(u64, i32, bool),
}

#[inline]
fn decompose(x: f64) -> Parts {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let negative = bits >> 63 == 1;
    match biased {
        0x7ff => Parts::Special,
        0 if fraction == 0 => Parts::Zero,
        0 => Parts::Finite(fraction, -1074, negative),
        _ => Parts::Finite(fraction | (1u64 << 52), biased - 1075, negative),
    }
}

/// An [`ExactSum`] as saved (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSum {
    /// The index of the first limb held.
    pub from: u32,
    /// Limbs from `from` up: 32-bit digits, the top limb of the accumulator signed.
    pub limbs: Vec<i64>,
    /// Infinities and NaNs seen (bit 0 +inf, bit 1 -inf, bit 2 NaN).
    pub special: u8,
}

/// The double nearest to the non-negative integer of 32-bit `digits` (lowest first) in units of
/// 2^-2148 (ties to even).
fn round_digits(digits: &[u64]) -> f64 {
    let Some(top) = digits.iter().rposition(|&d| d != 0) else {
        return 0.0;
    };
    // The highest set bit, counted from the lowest bit of the lowest digit.
    let high = top as u32 * 32 + (63 - digits[top].leading_zeros());
    let bit = |i: u32| -> u64 { (digits[(i / 32) as usize] >> (i % 32)) & 1 };
    // The lowest bit kept: 53 bits from the highest, but none below the smallest subnormal.
    let low = high.saturating_sub(52).max(SUBNORMAL_BIT);
    let mut m: u64 = 0;
    if high >= low {
        for i in (low..=high).rev() {
            m = (m << 1) | bit(i);
        }
    }
    let half = bit(low - 1) == 1;
    let below = {
        let last = low - 1;
        let whole = (last / 32) as usize;
        digits[..whole].iter().any(|&d| d != 0)
            || (whole * 32..last as usize).any(|i| bit(i as u32) == 1)
    };
    if half && (below || m & 1 == 1) {
        m += 1;
    }
    // m × 2^(low + BASE_EXP), in two exact steps so that no step leaves the normal range.
    let exp = low as i32 + BASE_EXP;
    let (a, b) = (exp / 2, exp - exp / 2);
    m as f64 * pow2(a) * pow2(b)
}

/// 2^e for e in the normal range.
fn pow2(e: i32) -> f64 {
    f64::from_bits(((e + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(xs: &[f64]) -> f64 {
        let mut s = ExactSum::default();
        s.add_all(xs.iter().copied());
        s.value()
    }

    #[test]
    fn worked_sums() {
        // Values math.fsum gives (the correctly rounded sums).
        assert_eq!(sum(&[0.1; 10]), 1.0);
        assert_eq!(sum(&[1e100, 1.0, -1e100]), 1.0);
        assert_eq!(sum(&[1.0, 1e-16, 1e-16]), 1.0000000000000002);
        assert_eq!(sum(&[1e308, 1e308, -1e308]), 1e308);
        assert_eq!(sum(&[]), 0.0);
        assert_eq!(sum(&[-2.5, 0.5]), -2.0);
        assert_eq!(
            sum(&[f64::from_bits(1), f64::from_bits(1)]),
            f64::from_bits(2)
        );
        assert_eq!(
            sum(&[f64::MAX, -f64::MAX, f64::MIN_POSITIVE]),
            f64::MIN_POSITIVE
        );
        // Ties to even: 2^53 + 1 is halfway between 2^53 and 2^53 + 2.
        assert_eq!(sum(&[9007199254740992.0, 1.0]), 9007199254740992.0);
        assert_eq!(sum(&[9007199254740994.0, 1.0]), 9007199254740996.0);
        assert_eq!(
            sum(&[9007199254740992.0, 1.0, f64::from_bits(1)]),
            9007199254740994.0
        );
        assert!(sum(&[1.0, f64::NAN]).is_nan());
        assert!(sum(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
        assert_eq!(sum(&[f64::INFINITY, 1.0]), f64::INFINITY);
    }

    #[test]
    fn integers_sum_exactly_in_any_order_and_split() {
        // Integer-valued doubles: the exact sum is known in i128.
        let mut x: u64 = 7;
        let terms: Vec<f64> = (0..20_000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 11) as i64 - (1 << 52)) as f64
            })
            .collect();
        let exact: i128 = terms.iter().map(|&t| t as i128).sum();
        assert_eq!(sum(&terms), exact as f64);
        let mut parts: Vec<ExactSum> = terms
            .chunks(777)
            .rev()
            .map(|c| {
                let mut s = ExactSum::default();
                s.add_all(c.iter().copied());
                s
            })
            .collect();
        let mut whole = parts.pop().unwrap();
        for p in &parts {
            whole.merge(p);
        }
        assert_eq!(whole.value().to_bits(), sum(&terms).to_bits());
        let back = ExactSum::from_saved(&whole.to_saved()).unwrap();
        assert_eq!(back.value().to_bits(), whole.value().to_bits());
    }

    #[test]
    fn products_are_exact() {
        // (2^27 + 1)^2 = 2^54 + 2^28 + 1 is not a double; the products sum exactly.
        let a = 134217729.0;
        let mut s = ExactSum::default();
        s.add_product(a, a);
        s.add(-18014398509481984.0); // 2^54
        s.add(-268435456.0); // 2^28
        assert_eq!(s.value(), 1.0);
        // Tiny and huge products beyond the doubles' range cancel exactly.
        let mut s = ExactSum::default();
        s.add_product(1e-200, 1e-200);
        s.add_product(1e300, 1e300);
        s.add_product(-1e300, 1e300);
        assert_eq!(s.value(), 0.0); // 1e-400 rounds to zero
        s.add_product(f64::from_bits(1), 0.75);
        assert_eq!(s.value(), f64::from_bits(1)); // 0.75 + 1e-400 of the unit rounds up
        let mut s = ExactSum::default();
        s.add_product(f64::from_bits(1), 0.5);
        assert_eq!(s.value(), 0.0); // exactly half: ties to even (zero)
        s.add_product(f64::MAX, 2.0);
        s.add_product(f64::MAX, -1.0);
        assert_eq!(s.value(), f64::MAX);
        s.add_product(f64::INFINITY, 0.0);
        assert!(s.value().is_nan());
    }

    #[test]
    fn integer_products_are_exact() {
        // (2^100 + 1)(2^100 - 1) - 2^200 = -1, and products past 2^128.
        let mut s = ExactSum::default();
        s.add_integer_product((1 << 100) + 1, (1 << 100) - 1);
        s.add_integer_product(-(1 << 100), 1 << 100);
        assert_eq!(s.value(), -1.0);
        let mut s = ExactSum::default();
        s.add_integer_product(i128::MAX, i128::MIN);
        assert_eq!(s.value(), -(2f64.powi(254)));
        s.sub_integer_product(3, 7);
        s.add_integer_product(i128::MAX, i128::MAX);
        s.add_integer_product(i128::MAX, 1);
        // -2^254 + 2^127 - 21 + (2^127 - 1)^2 + 2^127 - 1 = -21.
        assert_eq!(s.value(), -21.0);
    }

    #[test]
    fn factor_products_equal_products() {
        let xs: Vec<f64> = (0..5000)
            .map(|i| ((i * 7919) % 1000) as f64 * 0.37 - 150.0 + 1e-9 * i as f64)
            .collect();
        let ys: Vec<f64> = (0..5000)
            .map(|i| ((i * 104_729) % 997) as f64 * -1.3e-3)
            .collect();
        let mut one = ExactSum::default();
        for (&x, &y) in xs.iter().zip(&ys) {
            one.add_product(x, y);
        }
        let fx: Vec<Factor> = xs.iter().map(|&x| Factor::of(x)).collect();
        let fy: Vec<Factor> = ys.iter().map(|&y| Factor::of(y)).collect();
        let mut two = ExactSum::default();
        two.add_factor_products(&fx[..1234], &fy[..1234]);
        two.add_factor_products(&fx[1234..], &fy[1234..]);
        assert_eq!(one.value().to_bits(), two.value().to_bits());
        let mut s = ExactSum::default();
        s.add_factor_products(&[Factor::of(f64::INFINITY)], &[Factor::of(2.0)]);
        assert_eq!(s.value(), f64::INFINITY);
    }

    #[test]
    fn damaged_saved_sums_are_refused() {
        let bad = SavedSum {
            from: 135,
            limbs: vec![1, 2],
            special: 0,
        };
        assert!(ExactSum::from_saved(&bad).is_err());
        let bad = SavedSum {
            from: 0,
            limbs: vec![-1],
            special: 0,
        };
        assert!(ExactSum::from_saved(&bad).is_err());
    }
}
