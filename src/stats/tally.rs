//! Counting every column's values while the parser reads the records: [`Tally`] is a parse
//! sink (`load::parse::Sink`), so `describe` builds no frame at all.
//!
//! Why our own code rather than a frame and a group-by: the parser already turns each field into
//! a checked number, and adding one to a counter there costs less than writing the 44 columns of
//! a frame and reading them back to count them (`describe` of KDDTrain+ used about half its CPU
//! time on the frame and the counting after it). The figures cannot change: a counter is a
//! [`Distribution`] before sorting, and counts are integers, so any split of the rows into pieces,
//! chunks and threads adds up to the same distribution.
//!
//! Memory: integers and rates in hundredths (every NSL-KDD rate) go to a dense array indexed by
//! the value, grown as values come but never past twice the values counted plus 16 entries nor
//! past [`DENSE_MAX`]; any other value to a hash map (about 24 bytes per distinct value).

use foldhash::{HashMap, HashMapExt};

use super::Distribution;
use super::describe::GroupBy;
use crate::load::{HUNDREDTHS, N_INT, N_RATE, N_STR, Row, Sink, slot_names};
use crate::schema::{self, Category};

/// Entries a dense counter holds at most (512 KiB).
pub const DENSE_MAX: usize = 1 << 16;

/// Exact counts of integer values: small non-negative ones in a dense array, others hashed.
#[derive(Debug, Clone, Default)]
struct Counter {
    dense: Vec<u64>,
    seen: u64,
    sparse: HashMap<i64, u64>,
}

impl Counter {
    #[inline]
    fn add(&mut self, v: i64) {
        self.seen += 1;
        // A negative value turns into a huge index, past any dense array.
        match self.dense.get_mut(v as usize) {
            Some(c) => *c += 1,
            None => self.add_rare(v),
        }
    }

    #[cold]
    #[inline(never)]
    fn add_rare(&mut self, v: i64) {
        let room = usize::try_from(self.seen.saturating_mul(2).saturating_add(16))
            .unwrap_or(usize::MAX)
            .min(DENSE_MAX);
        match usize::try_from(v) {
            Ok(u) if u < room => {
                let len = (u + 1).max(self.dense.len() * 2).min(room);
                self.dense.resize(len, 0);
                self.dense[u] += 1;
            }
            _ => *self.sparse.entry(v).or_insert(0) += 1,
        }
    }

    /// Adds another counter's counts.
    fn absorb(&mut self, other: &Counter) {
        if self.dense.len() < other.dense.len() {
            self.dense.resize(other.dense.len(), 0);
        }
        for (a, b) in self.dense.iter_mut().zip(&other.dense) {
            *a += b;
        }
        for (v, c) in &other.sparse {
            *self.sparse.entry(*v).or_insert(0) += c;
        }
        self.seen += other.seen;
    }

    /// (value, count) pairs, each value mapped by `value` (a value may come twice: once dense,
    /// once hashed before the array grew past it).
    fn pairs(&self, value: impl Fn(i64) -> f64, out: &mut Vec<(f64, u64)>) {
        out.extend(
            self.dense
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(v, c)| (value(v as i64), *c)),
        );
        out.extend(self.sparse.iter().map(|(v, c)| (value(*v), *c)));
    }
}

/// Exact counts of rates: hundredths counted by index, any other value by its bits.
#[derive(Debug, Clone, Default)]
struct RateCounter {
    hundredths: Counter,
    other: HashMap<u64, u64>,
}

impl RateCounter {
    #[inline]
    fn add(&mut self, x: f64) {
        // The parser gives rates in [0, 1] (never -0.0), so k is at most 100 but the check
        // guards anything else.
        let k = (x * 100.0 + 0.5) as usize;
        if k <= 100 && HUNDREDTHS[k].to_bits() == x.to_bits() {
            self.hundredths.add(k as i64);
        } else {
            *self.other.entry((x + 0.0).to_bits()).or_insert(0) += 1;
        }
    }

    fn absorb(&mut self, other: &RateCounter) {
        self.hundredths.absorb(&other.hundredths);
        for (v, c) in &other.other {
            *self.other.entry(*v).or_insert(0) += c;
        }
    }

    fn distribution(&self) -> Distribution {
        let mut pairs = Vec::with_capacity(self.other.len() + 101);
        self.hundredths
            .pairs(|k| HUNDREDTHS[k as usize], &mut pairs);
        pairs.extend(self.other.iter().map(|(b, c)| (f64::from_bits(*b), *c)));
        Distribution::from_pairs(pairs)
    }
}

/// The numeric counters of one group of records.
#[derive(Debug, Clone)]
struct Group {
    name: String,
    rows: u64,
    ints: Vec<Counter>,
    rates: Vec<RateCounter>,
    difficulty: Counter,
}

impl Group {
    fn new(name: &str) -> Group {
        Group {
            name: name.to_string(),
            rows: 0,
            ints: vec![Counter::default(); N_INT],
            rates: vec![RateCounter::default(); N_RATE],
            difficulty: Counter::default(),
        }
    }

    fn absorb(&mut self, other: &Group) {
        self.rows += other.rows;
        for (a, b) in self.ints.iter_mut().zip(&other.ints) {
            a.absorb(b);
        }
        for (a, b) in self.rates.iter_mut().zip(&other.rates) {
            a.absorb(b);
        }
        self.difficulty.absorb(&other.difficulty);
    }

    /// The distribution of the numeric column `name` (a feature or the difficulty).
    fn distribution(&self, name: &str) -> Option<Distribution> {
        let (ints, rates, _) = slot_names();
        if let Some(j) = ints.iter().position(|n| *n == name) {
            return Some(int_distribution(&self.ints[j]));
        }
        if let Some(j) = rates.iter().position(|n| *n == name) {
            return Some(self.rates[j].distribution());
        }
        (name == schema::DIFFICULTY).then(|| int_distribution(&self.difficulty))
    }
}

fn int_distribution(c: &Counter) -> Distribution {
    let mut pairs = Vec::with_capacity(c.sparse.len() + c.dense.len());
    c.pairs(|v| v as f64, &mut pairs);
    Distribution::from_pairs(pairs)
}

/// What a [`Tally`] groups its numeric counts by.
#[derive(Debug, Clone, Copy, Default)]
pub struct TallyConfig {
    /// Per category or label; one group (named "") when `None`.
    pub by: Option<GroupBy>,
}

/// The exact counts of every column's values in a piece of records (then a chunk, once the
/// pieces' tallies are added up with [`Tally::absorb`]).
#[derive(Debug, Clone)]
pub struct Tally {
    by: Option<GroupBy>,
    groups: Vec<Group>,
    /// The group of each category (`usize::MAX`: none yet), by `--by category`.
    category_group: [usize; 6],
    /// Per label (without a trailing dot): its rows and its group (by `--by label`).
    labels: HashMap<String, (u64, usize)>,
    /// Per categorical feature, by string slot: its values' counts.
    strs: Vec<HashMap<String, u64>>,
    /// Rows per category, in [`Category::ALL`] order.
    categories: [u64; 6],
}

impl Sink for Tally {
    type Config = TallyConfig;

    fn new(config: &TallyConfig, _rows_guess: usize, _difficulty: bool) -> Tally {
        Tally {
            by: config.by,
            groups: if config.by.is_none() {
                vec![Group::new("")]
            } else {
                Vec::new()
            },
            category_group: [usize::MAX; 6],
            labels: HashMap::with_capacity(64),
            strs: (0..N_STR).map(|_| HashMap::with_capacity(128)).collect(),
            categories: [0; 6],
        }
    }

    fn push(&mut self, row: &Row<'_>, category: Category, _line: u32) {
        let c = category_index(category);
        self.categories[c] += 1;
        let label_group = match self.labels.get_mut(row.label) {
            Some((n, g)) => {
                *n += 1;
                *g
            }
            None => {
                let g = if self.by == Some(GroupBy::Label) {
                    self.groups.push(Group::new(row.label));
                    self.groups.len() - 1
                } else {
                    usize::MAX
                };
                self.labels.insert(row.label.to_string(), (1, g));
                g
            }
        };
        let g = match self.by {
            None => 0,
            Some(GroupBy::Label) => label_group,
            Some(GroupBy::Category) => {
                if self.category_group[c] == usize::MAX {
                    self.groups.push(Group::new(category.as_str()));
                    self.category_group[c] = self.groups.len() - 1;
                }
                self.category_group[c]
            }
        };
        for (map, v) in self.strs.iter_mut().zip(row.strs) {
            match map.get_mut(v) {
                Some(n) => *n += 1,
                None => {
                    map.insert(v.to_string(), 1);
                }
            }
        }
        let group = &mut self.groups[g];
        group.rows += 1;
        for (counter, v) in group.ints.iter_mut().zip(row.ints) {
            counter.add(v);
        }
        for (counter, x) in group.rates.iter_mut().zip(row.rates) {
            counter.add(x);
        }
        group.difficulty.add(row.difficulty);
    }
}

fn category_index(c: Category) -> usize {
    Category::ALL.iter().position(|&k| k == c).unwrap_or(5)
}

impl Tally {
    /// Adds the counts of another tally (of the same configuration).
    pub fn absorb(&mut self, other: &Tally) {
        let mut index: HashMap<String, usize> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.name.clone(), i))
            .collect();
        let mut group_of = HashMap::with_capacity(other.groups.len());
        for (i, g) in other.groups.iter().enumerate() {
            let at = match index.get(g.name.as_str()) {
                Some(&at) => at,
                None => {
                    self.groups.push(Group::new(&g.name));
                    index.insert(g.name.clone(), self.groups.len() - 1);
                    self.groups.len() - 1
                }
            };
            self.groups[at].absorb(g);
            group_of.insert(i, at);
        }
        for (c, n) in self.categories.iter_mut().zip(other.categories) {
            *c += n;
        }
        for (label, (n, g)) in &other.labels {
            let g = group_of.get(g).copied().unwrap_or(usize::MAX);
            match self.labels.get_mut(label.as_str()) {
                Some((m, _)) => *m += n,
                None => {
                    self.labels.insert(label.clone(), (*n, g));
                }
            }
        }
        for (a, b) in self.strs.iter_mut().zip(&other.strs) {
            for (v, n) in b {
                match a.get_mut(v.as_str()) {
                    Some(m) => *m += n,
                    None => {
                        a.insert(v.clone(), *n);
                    }
                }
            }
        }
        if self.by == Some(GroupBy::Category) {
            for (k, cat) in Category::ALL.iter().enumerate() {
                self.category_group[k] = self
                    .groups
                    .iter()
                    .position(|g| g.name == cat.as_str())
                    .unwrap_or(usize::MAX);
            }
        }
    }

    /// The tally of several (the pieces of a chunk).
    pub fn sum(tallies: Vec<Tally>) -> Option<Tally> {
        let mut it = tallies.into_iter();
        let mut total = it.next()?;
        for t in it {
            total.absorb(&t);
        }
        Some(total)
    }

    /// The groups: name ("" when not grouped), rows, and the distribution of each numeric
    /// column named in `columns` (features or the difficulty; `None` for other names).
    pub fn groups<'a>(
        &'a self,
        columns: &'a [&str],
    ) -> impl Iterator<Item = (&'a str, u64, Vec<Option<Distribution>>)> + 'a {
        self.groups.iter().map(move |g| {
            let dists = columns.iter().map(|c| g.distribution(c)).collect();
            (g.name.as_str(), g.rows, dists)
        })
    }

    /// The value counts of a text column: a categorical feature, `label` or `category`.
    pub fn value_counts(&self, column: &str) -> Option<Vec<(String, u64)>> {
        if column == schema::LABEL {
            return Some(
                self.labels
                    .iter()
                    .map(|(l, (n, _))| (l.clone(), *n))
                    .collect(),
            );
        }
        if column == schema::CATEGORY {
            return Some(
                Category::ALL
                    .iter()
                    .zip(self.categories)
                    .filter(|(_, n)| *n > 0)
                    .map(|(c, n)| (c.as_str().to_string(), n))
                    .collect(),
            );
        }
        let (_, _, strs) = slot_names();
        let j = strs.iter().position(|n| *n == column)?;
        Some(self.strs[j].iter().map(|(v, n)| (v.clone(), *n)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_count_dense_sparse_and_negative_values() {
        let mut c = Counter::default();
        for v in [0, 1, 1, 70_000, 5, 3, -2, 1 << 40, 70_000, 40] {
            c.add(v);
        }
        let d = int_distribution(&c);
        assert_eq!(d.count(), 10);
        assert_eq!(
            d.values(),
            &[
                -2.0,
                0.0,
                1.0,
                3.0,
                5.0,
                40.0,
                70_000.0,
                (1u64 << 40) as f64
            ]
        );
        assert_eq!(d.counts(), &[1, 1, 2, 1, 1, 1, 2, 1]);
    }

    #[test]
    fn a_value_counted_before_and_after_the_array_grew_is_one_value() {
        let mut c = Counter::default();
        c.add(100); // past the first room: hashed
        for _ in 0..100 {
            c.add(1);
        }
        c.add(100); // now dense
        let d = int_distribution(&c);
        assert_eq!(d.values(), &[1.0, 100.0]);
        assert_eq!(d.counts(), &[100, 2]);
    }

    #[test]
    fn rates_off_the_hundredths_are_counted_by_value() {
        let mut r = RateCounter::default();
        for x in [0.0, 0.29, 0.295, 1.0, 0.29, 1.0 / 3.0] {
            r.add(x);
        }
        let d = r.distribution();
        assert_eq!(d.values(), &[0.0, 0.29, 0.295, 1.0 / 3.0, 1.0]);
        assert_eq!(d.counts(), &[1, 2, 1, 1, 1]);
    }

    #[test]
    fn a_dense_counter_never_outgrows_the_values_it_holds() {
        let mut c = Counter::default();
        c.add(60_000);
        c.add(30_000);
        assert!(c.dense.len() <= 18, "{}", c.dense.len());
        for v in 0..1000 {
            c.add(v);
        }
        assert!(c.dense.len() <= 2 * 1002 + 16);
    }
}
