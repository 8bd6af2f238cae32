//! The report folder of a capture (`kddstat pcap CAPTURE --report DIR`), in the style of
//! `kddstat report`: traffic over time, protocol shares, top talkers and their traffic over time,
//! IP pairs, connection flags and services, round-trip times, scans, and, with a model, the anomaly
//! scores of the rebuilt connections.

use crate::report::findings::{Finding, finding};
use serde::Serialize;

use crate::capture::Analysis;
use crate::capture::summary::{Quantiles, TrafficSummary};
use crate::capture::timeline::{Buckets, Timelines};
use crate::detect::Model;
use crate::error::{Error, Result};
use crate::load::parse_bytes;
use crate::report::html::{self, Block, Cell, Figure, Section, Table};
use crate::report::palette;
use crate::report::plot::{BarChart, Bars, Histogram, LineChart, Scale, Series, WIDTH};
use crate::stats::Distribution;

/// Connections listed by score.
const TOP_SCORED: usize = 20;

/// Scores of the rebuilt connections.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreSummary {
    /// The model's detector.
    pub detector: String,
    /// Its threshold.
    pub threshold: f64,
    /// Records scored.
    pub records: usize,
    /// Records above the threshold.
    pub flagged: usize,
    /// Quantiles of the scores.
    pub scores: Option<Quantiles>,
    /// Flagged records per source address, most first (at most 5).
    pub flagged_sources: Vec<(String, usize)>,
}

#[derive(Serialize)]
struct ReportSummary<'a> {
    format: &'static str,
    format_version: u32,
    traffic: &'a TrafficSummary,
    bytes_per_second: &'a [(i64, u64)],
    scores: Option<ScoreSummary>,
    findings: Vec<Finding>,
}

/// Buckets drawn over a capture's duration.
const TIME_BUCKETS: i64 = 100;

/// The drawn buckets of a capture: about [`TIME_BUCKETS`] from its first packet, shared by every
/// chart over time.
fn buckets(t: &Timelines) -> Option<Buckets> {
    let total = t.total();
    let (first, last) = (total.first()?.0, total.last()?.0);
    Some(Buckets::fit(t, first, last, TIME_BUCKETS))
}

/// Words for a bucket width.
fn width_words(ns: i64) -> String {
    if ns < 1_000_000_000 {
        format!("{} ms", crate::render::compact(ns as f64 / 1e6))
    } else {
        format!("{} s", crate::render::compact(ns as f64 / 1e9))
    }
}

/// A chart of bytes per second over time (step lines, one shared time axis).
fn over_time(title: &str, b: &Buckets, series: Vec<Series>) -> Result<String> {
    let end = b.count as f64 * b.width_ns as f64 / 1e9;
    let peak = series
        .iter()
        .flat_map(|s| s.2.iter())
        .map(|p| p.1)
        .fold(0.0, f64::max);
    LineChart {
        title: title.into(),
        x_desc: "seconds from the first packet".into(),
        y_desc: "bytes per second".into(),
        x_range: (0.0, end),
        y_range: (0.0, (peak * 1.08).max(1.0)),
        series,
        markers: Vec::new(),
        baselines: Vec::new(),
        x_scale: Scale::Linear,
        diagonal: false,
        width: WIDTH,
    }
    .draw()
}

fn scale_of(values: impl Iterator<Item = f64>) -> Scale {
    let (lo, hi) = values
        .filter(|v| *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    if hi > 1000.0 * lo {
        Scale::Log1p
    } else {
        Scale::Linear
    }
}

fn traffic_section(a: &Analysis) -> Result<Section> {
    let s = &a.summary;
    let mut figures = Vec::new();
    let drawn = buckets(&a.timelines);
    if let Some(b) = &drawn {
        let points = b.steps(&b.rates(&a.timelines.total()));
        figures.push(Figure {
            name: "traffic".into(),
            caption: format!(
                "Bytes per second on the wire, in {} buckets from the first packet.",
                width_words(b.width_ns)
            ),
            svg: over_time(
                "Traffic over time",
                b,
                vec![("all traffic".into(), palette::series(0), points)],
            )?,
            wide: false,
        });
    }
    let protocols = BarChart {
        title: "Protocols".into(),
        value_desc: "packets".into(),
        rows: s
            .protocols
            .iter()
            .map(|p| {
                (
                    p.protocol.clone(),
                    vec![(p.packets as f64, palette::series(0))],
                )
            })
            .collect(),
        mode: Bars::Stacked,
        scale: scale_of(s.protocols.iter().map(|p| p.packets as f64)),
        max: None,
        legend: Vec::new(),
        marks: Vec::new(),
    };
    figures.push(Figure {
        name: "protocols".into(),
        caption: "Packets per protocol.".into(),
        svg: protocols.draw()?,
        wide: false,
    });
    let (sent, received) = (palette::series(0), palette::series(2));
    let talkers = BarChart {
        title: "Top talkers".into(),
        value_desc: "bytes on the wire".into(),
        rows: s
            .hosts
            .iter()
            .map(|h| {
                (
                    h.ip.clone(),
                    vec![
                        (h.bytes_sent as f64, sent),
                        (h.bytes_received as f64, received),
                    ],
                )
            })
            .collect(),
        mode: Bars::Grouped,
        scale: scale_of(
            s.hosts
                .iter()
                .flat_map(|h| [h.bytes_sent as f64, h.bytes_received as f64]),
        ),
        max: None,
        legend: vec![("sent".into(), sent), ("received".into(), received)],
        marks: Vec::new(),
    };
    figures.push(Figure {
        name: "talkers".into(),
        caption: "Bytes sent and received by the busiest addresses.".into(),
        svg: talkers.draw()?,
        wide: false,
    });
    if let Some(b) = &drawn {
        figures.extend(talkers_over_time(a, b)?);
    }
    let pairs = pairs_table(s);
    let totals = totals_table(s);
    Ok(Section {
        id: "traffic".into(),
        title: "Traffic".into(),
        intro: format!(
            "How much traffic {} holds, over time, by protocol and by address.",
            crate::report::short(&s.file)
        ),
        blocks: vec![
            Block::Table(totals),
            Block::Figures(figures),
            Block::Table(pairs),
        ],
    })
}

/// Bytes per second of each of the busiest addresses, on the traffic's time buckets.
fn talkers_over_time(a: &Analysis, b: &Buckets) -> Result<Option<Figure>> {
    let mut series = Vec::new();
    for (i, h) in a
        .summary
        .hosts
        .iter()
        .take(crate::capture::timeline::HOSTS)
        .enumerate()
    {
        let Ok(ip) = h.ip.parse() else {
            continue;
        };
        let points = b.steps(&b.rates(&a.timelines.host(ip)));
        series.push((h.ip.clone(), palette::series(i + 1), points));
    }
    if series.is_empty() {
        return Ok(None);
    }
    Ok(Some(Figure {
        name: "talkers-over-time".into(),
        caption: format!(
            "Bytes per second sent and received by each of the {} busiest addresses, in {} \
             buckets on the same time axis as the traffic.",
            series.len(),
            width_words(b.width_ns)
        ),
        svg: over_time("Top talkers over time", b, series)?,
        wide: false,
    }))
}

/// The busiest address pairs.
fn pairs_table(s: &crate::capture::summary::TrafficSummary) -> Table {
    let mut pairs = Table::named(
        "ip-pairs",
        &[
            "address",
            "address",
            "packets",
            "bytes",
            "share of packets",
            "share of bytes",
            "protocols",
        ],
    );
    for p in &s.ip_pairs {
        pairs.rows.push(vec![
            Cell::Text(p.a.clone()),
            Cell::Text(p.b.clone()),
            Cell::Count(p.packets),
            Cell::Count(p.bytes),
            Cell::Share(p.packet_share),
            Cell::Share(p.byte_share),
            Cell::Text(
                p.protocols
                    .iter()
                    .map(|(k, v)| format!("{k} {:.1}%", 100.0 * v))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ]);
    }
    pairs
}

/// The capture's totals.
fn totals_table(s: &crate::capture::summary::TrafficSummary) -> Table {
    let mut totals = Table::named("totals", &["figure", "value"]);
    let rows: Vec<(&str, Cell)> = vec![
        ("packets", Cell::Count(s.packets)),
        ("bytes on the wire", Cell::Count(s.bytes)),
        ("duration (s)", Cell::Number(s.duration_s)),
        (
            "throughput (bytes/s)",
            Cell::Number(s.throughput_bytes_per_s),
        ),
        ("throughput (bits/s)", Cell::Number(s.throughput_bits_per_s)),
        ("connection records", Cell::Count(s.connections)),
        ("TCP connections", Cell::Count(s.tcp.connections)),
        ("retransmitted segments", Cell::Count(s.tcp.retransmissions)),
        ("loss estimate", Cell::Share(s.tcp.loss_estimate)),
        ("rejected TCP connections", Cell::Share(s.tcp.rejected_rate)),
        ("reset TCP connections", Cell::Share(s.tcp.reset_rate)),
        ("ICMP unreachable messages", Cell::Count(s.icmp_unreachable)),
    ];
    for (k, v) in rows {
        totals.rows.push(vec![Cell::Text(k.into()), v]);
    }
    totals
}

fn quantile_rows(t: &mut Table, name: &str, q: &Option<Quantiles>) {
    if let Some(q) = q {
        t.rows.push(vec![
            Cell::Text(name.into()),
            Cell::Count(q.count),
            Cell::Number(q.min),
            Cell::Number(q.median),
            Cell::Number(q.mean),
            Cell::Number(q.p95),
            Cell::Number(q.max),
        ]);
    }
}

fn connections_section(a: &Analysis) -> Result<Section> {
    let s = &a.summary;
    let bars = |title: &str, m: &crate::stats::OrderedMap<u64>| BarChart {
        title: title.into(),
        value_desc: "connection records".into(),
        rows: m
            .iter()
            .map(|(k, n)| (k.to_string(), vec![(*n as f64, palette::series(1))]))
            .collect(),
        mode: Bars::Stacked,
        scale: scale_of(m.iter().map(|(_, n)| *n as f64)),
        max: None,
        legend: Vec::new(),
        marks: Vec::new(),
    };
    let figures = vec![
        Figure {
            name: "flags".into(),
            caption: "Connection records per KDD flag (the TCP state of both sides).".into(),
            svg: bars("Connection flags", &s.flags).draw()?,
            wide: false,
        },
        Figure {
            name: "services".into(),
            caption: "Connection records per KDD service (from the responder's port).".into(),
            svg: bars("Services", &s.services).draw()?,
            wide: false,
        },
    ];
    let mut timing = Table::named(
        "timing",
        &[
            "measure (ms)",
            "connections",
            "min",
            "median",
            "mean",
            "95th percentile",
            "max",
        ],
    );
    quantile_rows(
        &mut timing,
        "TCP initial round-trip time",
        &s.tcp.initial_rtt_ms,
    );
    quantile_rows(&mut timing, "jitter", &s.jitter_ms);
    let mut blocks = vec![Block::Figures(figures)];
    if !timing.rows.is_empty() {
        blocks.push(Block::Table(timing));
    }
    Ok(Section {
        id: "connections".into(),
        title: "Connections".into(),
        intro: "The connections rebuilt from the packets: their KDD flags and services, handshake \
                round-trip times and jitter."
            .into(),
        blocks,
    })
}

fn scans_section(a: &Analysis) -> Result<Section> {
    let s = &a.summary;
    let mut t = Table::named(
        "scans",
        &[
            "kind",
            "source",
            "target",
            "distinct",
            "first (s from start)",
            "last (s from start)",
        ],
    );
    let mut rows = Vec::new();
    for x in &s.scans {
        let (target, n) = match x.kind {
            "vertical" => (
                format!("host {}", x.dst.clone().unwrap_or_default()),
                x.distinct_ports.unwrap_or(0),
            ),
            _ => (
                format!("port {}", x.port.unwrap_or(0)),
                x.distinct_hosts.unwrap_or(0),
            ),
        };
        rows.push((
            format!("{} → {target}", x.src),
            vec![(n as f64, palette::series(3))],
        ));
        t.rows.push(vec![
            Cell::Text(x.kind.into()),
            Cell::Text(x.src.clone()),
            Cell::Text(target),
            Cell::Count(n),
            Cell::Number(x.first - s.first),
            Cell::Number(x.last - s.first),
        ]);
    }
    let mut blocks = Vec::new();
    if rows.is_empty() {
        blocks.push(Block::Text(format!(
            "No source reached {} distinct ports of one host or hosts on one port.",
            s.port_scan_threshold
        )));
    } else {
        let chart = BarChart {
            title: "Scans".into(),
            value_desc: "distinct ports (vertical) or hosts (horizontal)".into(),
            rows,
            mode: Bars::Stacked,
            scale: Scale::Linear,
            max: None,
            legend: Vec::new(),
            marks: Vec::new(),
        };
        blocks.push(Block::Figures(vec![Figure {
            name: "scans".into(),
            caption: "Sources that reached many ports of one host (vertical) or one port of many \
                      hosts (horizontal)."
                .into(),
            svg: chart.draw()?,
            wide: false,
        }]));
        blocks.push(Block::Table(t));
    }
    Ok(Section {
        id: "scans".into(),
        title: "Scans".into(),
        intro: format!(
            "Port scans: at least {} distinct ports of one host, or one port on at least {} hosts, \
             from one source.",
            s.port_scan_threshold, s.port_scan_threshold
        ),
        blocks,
    })
}

fn scores_section(a: &Analysis, model: &Model) -> Result<(Section, ScoreSummary)> {
    let csv = crate::connection::records::csv(&a.records, false);
    let ds = parse_bytes(a.summary.file.clone(), csv.as_bytes())
        .map_err(|e| Error::Internal(format!("the rebuilt records do not read back: {e}")))?;
    let scores = model.score(&ds)?;
    let flagged = scores.iter().filter(|s| **s > model.threshold).count();
    let mut by_source: std::collections::BTreeMap<String, usize> = Default::default();
    for (r, s) in a.records.iter().zip(&scores) {
        if *s > model.threshold {
            *by_source.entry(r.src.to_string()).or_default() += 1;
        }
    }
    let mut flagged_sources: Vec<(String, usize)> = by_source.into_iter().collect();
    flagged_sources.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    flagged_sources.truncate(5);
    let summary = ScoreSummary {
        detector: model.label(),
        threshold: model.threshold,
        records: scores.len(),
        flagged,
        scores: Quantiles::of(&scores),
        flagged_sources,
    };
    let mut blocks = vec![Block::Text(format!(
        "{} of {} connections score above the threshold {} of {}.",
        flagged,
        scores.len(),
        crate::render::compact(model.threshold),
        model.label()
    ))];
    if !scores.is_empty() {
        let d = Distribution::from_f64(&[&scores]);
        let (lo, hi) = (d.min(), d.max());
        let bins = 30usize;
        let width = ((hi - lo) / bins as f64).max(f64::MIN_POSITIVE);
        let mut counts = vec![0.0; bins];
        for &s in &scores {
            let i = (((s - lo) / width) as usize).min(bins - 1);
            counts[i] += 1.0;
        }
        let hist = Histogram {
            title: format!("Scores of {}", model.label()),
            value_desc: "anomaly score".into(),
            bins: counts
                .iter()
                .enumerate()
                .map(|(i, &c)| (lo + i as f64 * width, lo + (i + 1) as f64 * width, c))
                .collect(),
            x_scale: Scale::Linear,
            y_scale: scale_of(counts.iter().copied()),
            colour: palette::series(0),
            marks: vec![(
                model.threshold,
                format!("threshold {}", crate::render::compact(model.threshold)),
            )],
        };
        blocks.push(Block::Figures(vec![Figure {
            name: "scores".into(),
            caption: "Anomaly scores of the rebuilt connections.".into(),
            svg: hist.draw()?,
            wide: false,
        }]));
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&x, &y| scores[y].total_cmp(&scores[x]).then(x.cmp(&y)));
        let mut t = Table::named(
            "top-scores",
            &[
                "score",
                "start (s from first packet)",
                "source",
                "destination",
                "protocol",
                "service",
                "flag",
                "flagged",
                "flagged from this source",
            ],
        );
        let mut per_source: std::collections::HashMap<String, usize> = Default::default();
        for (r, s) in a.records.iter().zip(&scores) {
            if *s > model.threshold {
                *per_source.entry(r.src.to_string()).or_default() += 1;
            }
        }
        for &i in order.iter().take(TOP_SCORED) {
            let r = &a.records[i];
            t.rows.push(vec![
                Cell::Number(scores[i]),
                Cell::Number(r.start - a.summary.first),
                Cell::Text(format!("{}:{}", r.src, r.sport)),
                Cell::Text(format!("{}:{}", r.dst, r.dport)),
                Cell::Text(r.protocol.into()),
                Cell::Text(r.service.into()),
                Cell::Text(r.flag.into()),
                Cell::Text(
                    if scores[i] > model.threshold {
                        "yes"
                    } else {
                        "no"
                    }
                    .into(),
                ),
                Cell::Count(per_source.get(&r.src.to_string()).copied().unwrap_or(0) as u64),
            ]);
        }
        blocks.push(Block::Table(t));
    }
    Ok((
        Section {
            id: "scores".into(),
            title: "Anomaly scores".into(),
            intro: format!(
                "The rebuilt connections scored by {} (fitted on {}).",
                model.label(),
                crate::report::short(&model.training.file)
            ),
            blocks,
        },
        summary,
    ))
}

/// The files of the report folder.
pub fn build(a: &Analysis, model: Option<&Model>) -> Result<Vec<(String, Vec<u8>)>> {
    // The answers first: anomalies and scans, then the traffic they come from.
    let mut sections = Vec::new();
    let mut scores = None;
    if let Some(m) = model {
        if a.records.is_empty() {
            sections.push(Section {
                id: "scores".into(),
                title: format!("Scores of {}", m.label()),
                intro: "The capture yields no connection record (no TCP, UDP or ICMP traffic \
                        that forms one), so there is nothing to score."
                    .into(),
                blocks: Vec::new(),
            });
        } else {
            let (section, summary) = scores_section(a, m)?;
            sections.push(section);
            scores = Some(summary);
        }
    }
    sections.extend([
        scans_section(a)?,
        traffic_section(a)?,
        connections_section(a)?,
    ]);
    let found = findings(a, model, scores.as_ref());
    sections.insert(0, crate::report::findings::section(&found));
    let title = format!(
        "kddstat capture report: {}",
        crate::report::short(&a.summary.file)
    );
    let meta = vec![format!(
        "{} packets, {} bytes on the wire, {} s. Every figure is in summary.json; every table in tables/.",
        crate::render::thousands(a.summary.packets),
        crate::render::thousands(a.summary.bytes),
        crate::render::compact(a.summary.duration_s)
    )];
    html::folder_files(
        &title,
        &meta,
        &sections,
        &ReportSummary {
            format: "kddstat-capture-report",
            format_version: 1,
            traffic: &a.summary,
            bytes_per_second: &a.timelines.per_second(),
            scores,
            findings: found,
        },
    )
}

/// The capture report's findings: scans, the top talker, and with a model the flagged records,
/// their top sources and what rebuilt records cannot show.
fn findings(a: &Analysis, model: Option<&Model>, scores: Option<&ScoreSummary>) -> Vec<Finding> {
    use crate::render::thousands;
    use serde_json::json;
    let s = &a.summary;
    let mut out = Vec::new();
    if s.scans.is_empty() {
        out.push(finding(
            "scans",
            "scans",
            format!(
                "No port scan: no source reached {} distinct ports of one host, or one port of \
                 {} hosts.",
                s.port_scan_threshold, s.port_scan_threshold
            ),
            json!({"scans": 0, "threshold": s.port_scan_threshold}),
        ));
    } else {
        let described: Vec<String> = s
            .scans
            .iter()
            .take(3)
            .map(|x| match x.kind {
                "vertical" => format!(
                    "{} reached {} ports of {}",
                    x.src,
                    thousands(x.distinct_ports.unwrap_or(0)),
                    x.dst.as_deref().unwrap_or("?")
                ),
                _ => format!(
                    "{} reached port {} on {} hosts",
                    x.src,
                    x.port.unwrap_or(0),
                    thousands(x.distinct_hosts.unwrap_or(0))
                ),
            })
            .collect();
        out.push(finding(
            "scans",
            "scans",
            format!(
                "{} port scan{} found: {}.",
                s.scans.len(),
                if s.scans.len() == 1 { "" } else { "s" },
                described.join("; ")
            ),
            json!({
                "scans": s.scans.len(),
                "kinds": s.scans.iter().map(|x| x.kind).collect::<Vec<_>>(),
                "sources": s.scans.iter().map(|x| x.src.as_str()).collect::<Vec<_>>(),
            }),
        ));
    }
    if let Some(h) = s.hosts.first() {
        let total = h.bytes_sent + h.bytes_received;
        out.push(finding(
            "top_talker",
            "traffic",
            format!(
                "The top talker is {}: {} bytes sent and {} received.",
                h.ip,
                thousands(h.bytes_sent),
                thousands(h.bytes_received)
            ),
            json!({"ip": h.ip, "bytes_sent": h.bytes_sent, "bytes_received": h.bytes_received, "bytes": total}),
        ));
    }
    if let (Some(m), Some(sc)) = (model, scores) {
        let share = sc.flagged as f64 / sc.records.max(1) as f64;
        let sources: Vec<String> = sc
            .flagged_sources
            .iter()
            .map(|(ip, n)| format!("{ip} ({n})"))
            .collect();
        out.push(finding(
            "flagged_connections",
            "scores",
            format!(
                "{} of {} connection records ({:.1}%) score above the threshold of {}{}.",
                thousands(sc.flagged as u64),
                thousands(sc.records as u64),
                100.0 * share,
                m.label(),
                if sources.is_empty() {
                    String::new()
                } else {
                    format!("; top sources: {}", sources.join(", "))
                }
            ),
            json!({
                "detector": m.id(),
                "flagged": sc.flagged,
                "records": sc.records,
                "share": share,
                "sources": sc.flagged_sources,
            }),
        ));
    }
    if model.is_some() {
        out.push(finding(
            "content_features",
            "scores",
            "Content features (failed logins, root shells, file creations, ...) are always 0 in \
             records rebuilt from packets, so password guessing and U2R attacks cannot show in \
             these scores."
                .to_string(),
            json!({"always_zero": ["hot", "num_compromised", "root_shell", "su_attempted", "num_root", "num_file_creations", "num_shells", "num_access_files", "num_outbound_cmds", "is_host_login"]}),
        ));
    }
    out
}
