//! Bytes on the wire over time, overall and per address, in bounded memory.
//!
//! Frames are added to buckets of `unit` nanoseconds counted from the first frame (1 ms at
//! first). Per-address series are kept for the [`HOSTS`] busiest addresses only (found by the
//! first pass, added by a second). When the buckets of all series together pass [`MAX_CELLS`],
//! every bucket is merged into one ten times wider, so a capture of any length and any number of
//! addresses holds at most that many cells (about 60 bytes each: 16 MB at most). The report then
//! draws about 100 buckets over the capture's duration, never narrower than the stored unit.

use std::net::IpAddr;

use foldhash::HashMap;

/// Addresses with a series of their own (the busiest).
pub const HOSTS: usize = 5;
/// Cells (overall and per-address buckets together) kept before the buckets widen tenfold.
pub const MAX_CELLS: usize = 1 << 18;
/// The narrowest bucket, ns.
pub const FIRST_UNIT_NS: i64 = 1_000_000;

/// Bytes per bucket, overall and per address.
#[derive(Debug, Clone)]
pub struct Timelines {
    /// Width of a stored bucket, ns (1 ms times a power of ten).
    pub unit_ns: i64,
    /// Time stamp of the first frame, ns since the epoch (buckets count from it).
    pub origin_ns: Option<i64>,
    /// Bucket -> bytes.
    total: HashMap<i64, u64>,
    /// (address, bucket) -> (bytes sent, bytes received).
    hosts: HashMap<(IpAddr, i64), (u64, u64)>,
}

impl Default for Timelines {
    fn default() -> Self {
        Timelines {
            unit_ns: FIRST_UNIT_NS,
            origin_ns: None,
            total: HashMap::default(),
            hosts: HashMap::default(),
        }
    }
}

impl Timelines {
    fn key(&mut self, ts: i64) -> i64 {
        let origin = *self.origin_ns.get_or_insert(ts);
        ts.saturating_sub(origin).div_euclid(self.unit_ns)
    }

    /// Adds a frame of `bytes` at `ts` (ns) to the overall series.
    pub fn add(&mut self, ts: i64, bytes: u64) {
        let k = self.key(ts);
        *self.total.entry(k).or_default() += bytes;
        if self.cells() > MAX_CELLS {
            self.widen();
        }
    }

    /// Adds bytes sent and received by `ip` at `ts` (ns) to its series.
    pub fn add_host(&mut self, ts: i64, ip: IpAddr, sent: u64, received: u64) {
        let k = self.key(ts);
        let e = self.hosts.entry((ip, k)).or_default();
        e.0 += sent;
        e.1 += received;
        if self.cells() > MAX_CELLS {
            self.widen();
        }
    }

    /// Merges every bucket into one ten times wider (until the cells fit again).
    fn widen(&mut self) {
        while self.total.len() + self.hosts.len() > MAX_CELLS / 2 {
            let Some(unit) = self.unit_ns.checked_mul(10) else {
                return;
            };
            self.unit_ns = unit;
            let total = std::mem::take(&mut self.total);
            for (k, b) in total {
                *self.total.entry(k.div_euclid(10)).or_default() += b;
            }
            let hosts = std::mem::take(&mut self.hosts);
            for ((ip, k), (s, r)) in hosts {
                let e = self.hosts.entry((ip, k.div_euclid(10))).or_default();
                e.0 += s;
                e.1 += r;
            }
        }
    }

    /// Cells held.
    pub fn cells(&self) -> usize {
        self.total.len() + self.hosts.len()
    }

    /// Overall bytes per stored bucket, in time order.
    pub fn total(&self) -> Vec<(i64, u64)> {
        let mut v: Vec<(i64, u64)> = self.total.iter().map(|(k, b)| (*k, *b)).collect();
        v.sort_unstable();
        v
    }

    /// Bytes sent plus received by `ip` per stored bucket, in time order.
    pub fn host(&self, ip: IpAddr) -> Vec<(i64, u64)> {
        let mut v: Vec<(i64, u64)> = self
            .hosts
            .iter()
            .filter(|((a, _), _)| *a == ip)
            .map(|((_, k), (s, r))| (*k, s + r))
            .collect();
        v.sort_unstable();
        v
    }

    /// Bytes per whole second since the epoch (per stored bucket when buckets are wider than a
    /// second), in time order: the `bytes_per_second` of summary.json.
    pub fn per_second(&self) -> Vec<(i64, u64)> {
        let origin = self.origin_ns.unwrap_or(0);
        let mut out: std::collections::BTreeMap<i64, u64> = Default::default();
        for (k, b) in &self.total {
            let start = origin.saturating_add(k.saturating_mul(self.unit_ns));
            *out.entry(start.div_euclid(1_000_000_000)).or_default() += b;
        }
        out.into_iter().collect()
    }
}

/// The buckets a chart draws: about `target` of them over the stored span, each a nice width
/// (1, 2 or 5 times a power of ten, at least the stored unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buckets {
    /// The first stored bucket (the chart's time 0).
    pub first: i64,
    /// Stored buckets per drawn bucket.
    pub per: i64,
    /// Drawn buckets.
    pub count: usize,
    /// Width of a drawn bucket, ns.
    pub width_ns: i64,
}

impl Buckets {
    /// Buckets covering the stored keys `first..=last` of `t`.
    pub fn fit(t: &Timelines, first: i64, last: i64, target: i64) -> Buckets {
        let span = (last - first + 1).max(1);
        let want = (span + target - 1) / target;
        let mut per = 1i64;
        'search: for decade in 0..18 {
            for m in [1i64, 2, 5] {
                let p = m * 10i64.pow(decade);
                if p >= want {
                    per = p;
                    break 'search;
                }
            }
        }
        Buckets {
            first,
            per,
            count: ((span + per - 1) / per) as usize,
            width_ns: t.unit_ns.saturating_mul(per),
        }
    }

    /// Bytes per second in each drawn bucket (zero-filled) of a stored series.
    pub fn rates(&self, series: &[(i64, u64)]) -> Vec<f64> {
        let mut bytes = vec![0u64; self.count];
        for &(k, b) in series {
            let i = ((k - self.first).max(0) / self.per) as usize;
            if let Some(x) = bytes.get_mut(i.min(self.count.saturating_sub(1))) {
                *x += b;
            }
        }
        let seconds = self.width_ns as f64 / 1e9;
        bytes.iter().map(|b| *b as f64 / seconds).collect()
    }

    /// A step line of those rates: each bucket a flat segment, time in seconds from the first
    /// bucket, so that even one bucket draws.
    pub fn steps(&self, rates: &[f64]) -> Vec<(f64, f64)> {
        let w = self.width_ns as f64 / 1e9;
        let mut out = Vec::with_capacity(2 * rates.len());
        for (i, r) in rates.iter().enumerate() {
            out.push((i as f64 * w, *r));
            out.push(((i + 1) as f64 * w, *r));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::from(n))
    }

    #[test]
    fn cells_stay_bounded_and_bytes_are_kept() {
        let mut t = Timelines::default();
        let mut sum = 0u64;
        // 400,000 frames a millisecond apart, to the same host.
        for i in 0..400_000i64 {
            t.add(i * 1_000_000, 60);
            t.add_host(i * 1_000_000, ip(1), 0, 60);
            sum += 60;
        }
        assert!(t.cells() <= MAX_CELLS, "{}", t.cells());
        assert!(t.unit_ns > FIRST_UNIT_NS);
        assert_eq!(t.total().iter().map(|p| p.1).sum::<u64>(), sum);
        assert_eq!(t.host(ip(1)).iter().map(|p| p.1).sum::<u64>(), sum);
        assert_eq!(t.per_second().iter().map(|p| p.1).sum::<u64>(), sum);
    }

    #[test]
    fn a_short_capture_gets_about_a_hundred_millisecond_buckets() {
        let mut t = Timelines::default();
        // 0.28 s of traffic.
        for ms in 0..280i64 {
            t.add(1_700_000_000_000_000_000 + ms * 1_000_000, 100);
        }
        let total = t.total();
        let b = Buckets::fit(&t, total[0].0, total[total.len() - 1].0, 100);
        assert_eq!(b.width_ns, 5_000_000);
        assert_eq!(b.count, 56);
        let rates = b.rates(&total);
        // 5 frames of 100 bytes per 5 ms: 100,000 bytes per second.
        assert!(
            rates.iter().all(|r| (*r - 100_000.0).abs() < 1e-6),
            "{rates:?}"
        );
        assert_eq!(b.steps(&rates).len(), 112);
    }

    #[test]
    fn one_packet_still_draws() {
        let mut t = Timelines::default();
        t.add(5, 1000);
        let total = t.total();
        let b = Buckets::fit(&t, total[0].0, total[0].0, 100);
        assert_eq!((b.count, b.width_ns), (1, 1_000_000));
        let steps = b.steps(&b.rates(&total));
        assert_eq!(steps, vec![(0.0, 1_000_000.0), (0.001, 1_000_000.0)]);
    }
}
