//! Statistics stage: exact summaries of loaded datasets.
//!
//! Every figure is defined as its pandas / numpy counterpart (named in each item's docs) and tested
//! against values computed independently.

pub mod accumulate;
pub mod analysis;
pub mod correlation;
pub mod describe;
pub mod distribution;
pub mod drift;
pub mod duplicates;
pub mod exact;
pub mod metrics;
pub mod pairs;
pub mod products;
pub mod relevance;
pub mod state;
pub mod tally;

use serde::Serialize;
use serde::ser::SerializeMap;

pub use accumulate::Accumulator;
pub use describe::{DescribeOptions, FileSummary, GroupBy, NumericSummary, describe};
pub use distribution::Distribution;

/// A map that keeps its insertion order, serialised as a JSON object in that order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<V> OrderedMap<V> {
    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Counts of each distinct value, most frequent first, ties in name order (pandas `value_counts`,
/// whose order among ties is not specified).
pub fn value_counts<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<(String, u64)> {
    let mut map: foldhash::HashMap<&str, u64> = foldhash::HashMap::default();
    for v in values {
        *map.entry(v).or_insert(0) += 1;
    }
    let mut counts: Vec<(String, u64)> = map.into_iter().map(|(k, c)| (k.to_string(), c)).collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_counts_order() {
        let v = value_counts(["b", "a", "c", "a", "b", "a"]);
        assert_eq!(v, vec![("a".into(), 3), ("b".into(), 2), ("c".into(), 1)]);
    }

    #[test]
    fn ordered_map_serialises_in_order() {
        let m = OrderedMap(vec![("z".to_string(), 1), ("a".to_string(), 2)]);
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"z":1,"a":2}"#);
    }
}
