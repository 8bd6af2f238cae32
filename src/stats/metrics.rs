//! Ranking metrics, defined as scikit-learn defines them.
//!
//! - ROC AUC: the probability that a random positive scores above a random negative, ties counting
//!   one half (`sklearn.metrics.roc_auc_score`, the area under the ROC curve through every distinct
//!   threshold), computed from average ranks;
//! - average precision: `Σ (R_k − R_{k−1}) P_k` over the distinct thresholds in decreasing order,
//!   `P_k` and `R_k` the precision and recall when flagging every score at least the k-th threshold
//!   (`sklearn.metrics.average_precision_score`);
//! - curves: [`roc_curve`] and [`pr_curve`] give one point per distinct threshold, as
//!   `sklearn.metrics.roc_curve(drop_intermediate=False)` and `precision_recall_curve` do, and
//!   [`thin`] keeps a readable subset of them for plotting.

/// A point of a curve: `(x, y)`.
pub type Point = (f64, f64);

/// Positives and negatives flagged at each distinct threshold, highest threshold first:
/// `(threshold, true positives, false positives)`, cumulative.
fn cumulative(scores: &[f64], positive: &[bool]) -> Vec<(f64, f64, f64)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut out = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let t = scores[order[i]];
        while i < order.len() && scores[order[i]] == t {
            if positive[order[i]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        out.push((t, tp, fp));
    }
    out
}

/// The ROC curve: `(false-positive rate, true-positive rate)` from `(0, 0)` through every distinct
/// threshold, highest first, to `(1, 1)`. Empty without both classes.
pub fn roc_curve(scores: &[f64], positive: &[bool]) -> Vec<Point> {
    let p = positive.iter().filter(|x| **x).count() as f64;
    let n = positive.len() as f64 - p;
    if p == 0.0 || n == 0.0 {
        return Vec::new();
    }
    let mut out = vec![(0.0, 0.0)];
    out.extend(
        cumulative(scores, positive)
            .into_iter()
            .map(|(_, tp, fp)| (fp / n, tp / p)),
    );
    out
}

/// The precision-recall curve: `(recall, precision)` at every distinct threshold, highest first,
/// preceded by `(0, 1)` as scikit-learn's curve ends. Empty without positives.
pub fn pr_curve(scores: &[f64], positive: &[bool]) -> Vec<Point> {
    let p = positive.iter().filter(|x| **x).count() as f64;
    if p == 0.0 {
        return Vec::new();
    }
    let mut out = vec![(0.0, 1.0)];
    out.extend(
        cumulative(scores, positive)
            .into_iter()
            .map(|(_, tp, fp)| (tp / p, tp / (tp + fp))),
    );
    out
}

/// A subset of a curve for drawing: the first and last points and every point at least `step`
/// away (in the larger of the two coordinates) from the previous one kept.
pub fn thin(curve: &[Point], step: f64) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::new();
    for (i, &pt) in curve.iter().enumerate() {
        let keep = match out.last() {
            None => true,
            Some(&(x, y)) => i + 1 == curve.len() || (pt.0 - x).abs().max((pt.1 - y).abs()) >= step,
        };
        if keep {
            out.push(pt);
        }
    }
    out
}

/// ROC AUC of `scores` for the `positive` flags; `NaN` without both classes.
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> f64 {
    let p = positive.iter().filter(|x| **x).count() as f64;
    let n = positive.len() as f64 - p;
    if p == 0.0 || n == 0.0 {
        return f64::NAN;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the average ranks (1-based) of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && scores[order[j]] == scores[order[i]] {
            j += 1;
        }
        let average_rank = (i + 1 + j) as f64 / 2.0;
        let positives = order[i..j].iter().filter(|&&k| positive[k]).count() as f64;
        rank_sum += positives * average_rank;
        i = j;
    }
    (rank_sum - p * (p + 1.0) / 2.0) / (p * n)
}

/// Average precision of `scores` for the `positive` flags; `NaN` without positives.
pub fn average_precision(scores: &[f64], positive: &[bool]) -> f64 {
    let p = positive.iter().filter(|x| **x).count() as f64;
    if p == 0.0 {
        return f64::NAN;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp) = (0.0f64, 0.0f64);
    let mut previous_recall = 0.0;
    let mut ap = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j < order.len() && scores[order[j]] == scores[order[i]] {
            if positive[order[j]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            j += 1;
        }
        let recall = tp / p;
        ap += (recall - previous_recall) * (tp / (tp + fp));
        previous_recall = recall;
        i = j;
    }
    ap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_hand() {
        // Positives 0.8 0.4, negatives 0.5 0.1: pairs (0.8 > 0.5, 0.8 > 0.1, 0.4 < 0.5, 0.4 > 0.1):
        // 3 of 4.
        let s = [0.8, 0.4, 0.5, 0.1];
        let y = [true, true, false, false];
        assert_eq!(roc_auc(&s, &y), 0.75);
        // A tie between a positive and a negative counts one half: (1 + 0.5) / 2.
        assert_eq!(
            roc_auc(&[0.9, 0.5, 0.5, 0.1], &[true, true, false, false]),
            0.875
        );
        assert_eq!(roc_auc(&[1.0, 1.0], &[true, false]), 0.5);
        assert!(roc_auc(&[1.0], &[true]).is_nan());
    }

    #[test]
    fn average_precision_by_hand() {
        // sklearn's docs example: y = 0 0 1 1, scores .1 .4 .35 .8 -> 0.8333...
        // Thresholds .8: P 1, R .5; .4: P .5, R .5; .35: P 2/3, R 1; .1: P .5, R 1.
        // AP = .5 * 1 + 0 * .5 + .5 * 2/3 + 0 = 5/6.
        let ap = average_precision(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]);
        assert!((ap - 5.0 / 6.0).abs() < 1e-15);
        // Ties: one threshold holding a positive and a negative: P .5, R 1 -> 0.5.
        assert_eq!(average_precision(&[0.3, 0.3], &[true, false]), 0.5);
    }

    #[test]
    fn curves_by_hand() {
        // sklearn.metrics.roc_curve([0, 0, 1, 1], [.1, .4, .35, .8], drop_intermediate=False):
        // fpr 0 0 .5 .5 1, tpr 0 .5 .5 1 1.
        let (s, y) = ([0.1, 0.4, 0.35, 0.8], [false, false, true, true]);
        assert_eq!(
            roc_curve(&s, &y),
            vec![(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]
        );
        // precision_recall_curve: (recall, precision) from the highest threshold.
        let pr = pr_curve(&s, &y);
        assert_eq!(pr[..3], [(0.0, 1.0), (0.5, 1.0), (0.5, 0.5)]);
        assert!((pr[3].1 - 2.0 / 3.0).abs() < 1e-15 && pr[3].0 == 1.0);
        assert_eq!(pr[4], (1.0, 0.5));
        // A tie is one point.
        assert_eq!(
            roc_curve(&[0.3, 0.3], &[true, false]),
            vec![(0.0, 0.0), (1.0, 1.0)]
        );
        assert!(roc_curve(&[0.3], &[true]).is_empty());
        // The trapezoids under the curve give the AUC.
        let c = roc_curve(&s, &y);
        let area: f64 = c
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
            .sum();
        assert_eq!(area, roc_auc(&s, &y));
    }

    #[test]
    fn thinning_keeps_the_ends() {
        let curve: Vec<Point> = (0..=1000).map(|i| (i as f64 / 1000.0, 1.0)).collect();
        let t = thin(&curve, 0.01);
        assert_eq!(t.first(), Some(&(0.0, 1.0)));
        assert_eq!(t.last(), Some(&(1.0, 1.0)));
        assert!(t.len() <= 102 && t.len() >= 100, "{}", t.len());
    }
}
