//! Records scored as they are emitted, and the alerts.
//!
//! - A detector flags a record whose score is above its threshold (the model's own, or
//!   `--threshold`); its percentile is among the model's training scores.
//! - A classifier flags a record whose predicted class is not `normal` (with `--threshold P`:
//!   whose attack probability is above P); its score is the attack probability.
//! - A hybrid (a classifier and a detector given together) flags a record when either does, as
//!   `evaluate --hybrid` measures it; the score and percentile are the detector's, the predicted
//!   category the classifier's.
//! - `why` lists the features that drive the score most ([`crate::model::explain`]), each with its
//!   value, its typical value in the training data and its share of the score; a hybrid's reasons
//!   are those of the member that flagged the record, named.

use std::fmt::Write as _;

use serde::Serialize;

use crate::capture::summary::Scan;
use crate::classify::Classifier;
use crate::connection::records::Record;
use crate::detect::Model;
use crate::error::{Error, Result};
use crate::model::explain::Reason;

/// The model(s) a live run scores with.
#[derive(Debug)]
pub struct Scorer {
    /// The detector.
    pub detector: Option<Model>,
    /// The classifier.
    pub classifier: Option<Classifier>,
    /// `--threshold` (the detector's score, or the classifier's attack probability).
    pub threshold: Option<f64>,
    /// Reasons listed per alert.
    pub explain: usize,
}

/// What the model says of one record.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The detector's score, or the classifier's attack probability.
    pub score: f64,
    /// The score's percentile among the training scores (detectors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentile: Option<f64>,
    /// The predicted category (classifiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted: Option<String>,
    /// Flagged.
    pub flagged: bool,
    /// `attack` when the classifier flagged the record, `anomaly` when only the detector did.
    #[serde(skip)]
    pub kind: &'static str,
    /// The reasons (flagged records only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<Reason>,
}

impl Scorer {
    /// A scorer of these models; a detector and a classifier together make a hybrid.
    pub fn new(
        detector: Option<Model>,
        classifier: Option<Classifier>,
        threshold: Option<f64>,
        explain: usize,
    ) -> Result<Scorer> {
        if detector.is_none() && classifier.is_none() {
            return Err(Error::Usage("no model to score with".into()));
        }
        Ok(Scorer {
            detector,
            classifier,
            threshold,
            explain,
        })
    }

    /// A short name (`gmm (k=8)`, `tree+gmm`).
    pub fn label(&self) -> String {
        match (&self.classifier, &self.detector) {
            (Some(c), Some(d)) => format!("{}+{}", c.id(), d.id()),
            (Some(c), None) => c.parameters.label(),
            (None, Some(d)) => d.label(),
            (None, None) => String::new(),
        }
    }

    /// Scores records (in one batch) and explains the flagged ones.
    pub fn judge(&self, records: &[Record]) -> Result<Vec<Verdict>> {
        let text = crate::connection::records::csv(records, false);
        let ds = crate::load::parse_bytes("live records".into(), text.as_bytes())?;
        let mut verdicts: Vec<Verdict> = (0..records.len())
            .map(|_| Verdict {
                score: 0.0,
                percentile: None,
                predicted: None,
                flagged: false,
                kind: "anomaly",
                why: Vec::new(),
            })
            .collect();
        let hybrid = self.detector.is_some() && self.classifier.is_some();
        let mut by_classifier = vec![false; records.len()];
        let classifier_x = match &self.classifier {
            Some(c) => Some(c.encoder.transform(&ds)?),
            None => None,
        };
        let detector_x = match &self.detector {
            Some(d) => d.encode(&ds)?,
            None => None,
        };
        if let (Some(c), Some(x)) = (&self.classifier, &classifier_x) {
            let proba = c.proba_encoded(x);
            let p = c.attack_probability(&proba);
            let best = c.predict(&proba);
            for (i, v) in verdicts.iter_mut().enumerate() {
                let predicted = c.classes[best[i]].clone();
                let attack = match (self.threshold, hybrid) {
                    (Some(t), false) => p[i] > t,
                    _ => predicted != "normal",
                };
                v.score = p[i];
                v.predicted = Some(predicted);
                v.flagged = attack;
                if attack {
                    v.kind = "attack";
                }
                by_classifier[i] = attack;
            }
        }
        if let Some(d) = &self.detector {
            let scores = d.score_encoded(&ds, detector_x.as_ref())?;
            let threshold = self.threshold.unwrap_or(d.threshold);
            for (v, &s) in verdicts.iter_mut().zip(&scores) {
                v.score = s;
                v.percentile = d.percentile(s);
                v.flagged |= s > threshold;
            }
        }
        if self.explain > 0 {
            let flagged: Vec<usize> = (0..records.len())
                .filter(|&i| verdicts[i].flagged)
                .collect();
            if !flagged.is_empty() {
                let encoded = (classifier_x.as_ref(), detector_x.as_ref());
                self.explain_rows(&ds, encoded, &flagged, &by_classifier, &mut verdicts)?;
            }
        }
        Ok(verdicts)
    }

    fn explain_rows(
        &self,
        ds: &crate::load::Dataset,
        encoded: (Option<&ndarray::Array2<f64>>, Option<&ndarray::Array2<f64>>),
        rows: &[usize],
        by_classifier: &[bool],
        verdicts: &mut [Verdict],
    ) -> Result<()> {
        let hybrid = self.detector.is_some() && self.classifier.is_some();
        // The detector explains the rows it flagged; the classifier those it flagged.
        let theirs: Vec<usize> = rows.iter().copied().filter(|&i| by_classifier[i]).collect();
        let mine: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| !by_classifier[i])
            .collect();
        let from_detector = match &self.detector {
            Some(d) if self.classifier.is_none() => {
                crate::detect::explain_encoded(d, ds, encoded.1, rows, self.explain)?
            }
            Some(d) => crate::detect::explain_encoded(d, ds, encoded.1, &mine, self.explain)?,
            None => Vec::new(),
        };
        let from_classifier = match (&self.classifier, encoded.0) {
            (Some(c), Some(x)) => {
                let which = if self.detector.is_none() {
                    rows
                } else {
                    &theirs
                };
                crate::classify::explain_encoded(c, ds, x, which, self.explain)?
            }
            _ => Vec::new(),
        };
        let (mut d, mut c) = (from_detector.into_iter(), from_classifier.into_iter());
        for &i in rows {
            let mut why =
                if self.classifier.is_some() && (self.detector.is_none() || by_classifier[i]) {
                    c.next().unwrap_or_default()
                } else {
                    d.next().unwrap_or_default()
                };
            if hybrid {
                let member = if by_classifier[i] {
                    self.classifier.as_ref().map(|c| c.id())
                } else {
                    self.detector.as_ref().map(|d| d.id())
                };
                for r in &mut why {
                    r.member = member.map(str::to_string);
                }
            }
            verdicts[i].why = why;
        }
        Ok(())
    }
}

/// One alert line.
#[derive(Debug, Serialize)]
pub struct Alert<'a> {
    /// `anomaly` (a detector), `attack` (a classifier or hybrid), or `scan`.
    pub kind: &'static str,
    /// Start, seconds since the Unix epoch.
    pub start: f64,
    /// Last packet (scans: the start of their last connection).
    pub end: f64,
    /// Source address.
    pub src: String,
    /// Source port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sport: Option<u16>,
    /// Destination address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst: Option<String>,
    /// Destination port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dport: Option<u16>,
    /// `tcp`, `udp`, `icmp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<&'a str>,
    /// KDD service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<&'a str>,
    /// KDD flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<&'a str>,
    /// The score (records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Its percentile among the training scores (detectors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentile: Option<f64>,
    /// The predicted class (classifiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted: Option<&'a str>,
    /// The reasons (records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<&'a [Reason]>,
    /// The scan (scans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan: Option<&'a Scan>,
}

impl<'a> Alert<'a> {
    /// The alert of a flagged record.
    pub fn of_record(r: &'a Record, v: &'a Verdict) -> Alert<'a> {
        Alert {
            kind: v.kind,
            start: r.start,
            end: r.end,
            src: r.src.to_string(),
            sport: Some(r.sport),
            dst: Some(r.dst.to_string()),
            dport: Some(r.dport),
            protocol: Some(r.protocol),
            service: Some(r.service),
            flag: Some(r.flag),
            score: Some(v.score),
            percentile: v.percentile,
            predicted: v.predicted.as_deref(),
            why: Some(&v.why),
            scan: None,
        }
    }

    /// The alert of a scan.
    pub fn of_scan(s: &'a Scan) -> Alert<'a> {
        Alert {
            kind: "scan",
            start: s.first,
            end: s.last,
            src: s.src.clone(),
            sport: None,
            dst: s.dst.clone(),
            dport: s.port,
            protocol: None,
            service: None,
            flag: None,
            score: None,
            percentile: None,
            predicted: None,
            why: None,
            scan: Some(s),
        }
    }
}

/// Appends a record as one JSON line: the endpoints, the 41 features, and the verdict when
/// scored.
pub fn record_json(r: &Record, v: Option<&Verdict>, out: &mut String) {
    let _ = write!(
        out,
        "{{\"start\":{},\"end\":{},\"src\":\"{}\",\"sport\":{},\"dst\":\"{}\",\"dport\":{}",
        r.start, r.end, r.src, r.sport, r.dst, r.dport
    );
    for (f, value) in crate::schema::FEATURES.iter().zip(r.fields()) {
        if f.kind == crate::schema::Kind::Categorical {
            let _ = write!(out, ",\"{}\":\"{}\"", f.name, value);
        } else {
            let _ = write!(out, ",\"{}\":{}", f.name, value);
        }
    }
    if let Some(v) = v {
        let text = serde_json::to_string(v).unwrap_or_default();
        if let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}'))
            && !inner.is_empty()
        {
            out.push(',');
            out.push_str(inner);
        }
    }
    out.push_str("}\n");
}
