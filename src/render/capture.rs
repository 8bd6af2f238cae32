//! Text forms of the traffic summary of a capture (`kddstat pcap`).

use std::fmt::Write as _;

use super::{Align, Format, Table, compact, per_second, thousands};
use crate::capture::summary::{Quantiles, TrafficSummary};
use crate::error::{Error, Result};

/// Renders a summary: an aligned table, Markdown or JSON (CSV is for records: `-o`).
pub fn render(s: &TrafficSummary, format: Format) -> Result<String> {
    match format {
        Format::Json => super::json(s),
        Format::Table => Ok(super::wrap(&text(s, false))),
        Format::Markdown => Ok(text(s, true)),
        Format::Csv => Err(Error::Usage(
            "the summary has no CSV form; -o FILE writes the connection records as CSV".into(),
        )),
    }
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn quantiles(q: &Option<Quantiles>) -> String {
    match q {
        None => "none".into(),
        Some(q) => format!(
            "min {}, median {}, mean {}, p95 {}, max {} (n = {})",
            compact(q.min),
            compact(q.median),
            compact(q.mean),
            compact(q.p95),
            compact(q.max),
            thousands(q.count)
        ),
    }
}

fn block(out: &mut String, title: &str, table: &Table, markdown: bool) {
    if table.is_empty() {
        return;
    }
    if markdown {
        let _ = write!(out, "\n### {title}\n\n{}", table.to_markdown());
    } else {
        let _ = write!(out, "\n{title}\n{}", table.to_text(2));
    }
}

fn text(s: &TrafficSummary, markdown: bool) -> String {
    let mut out = String::new();
    head(&mut out, s, markdown);
    protocols(&mut out, s, markdown);
    pairs(&mut out, s, markdown);
    hosts(&mut out, s, markdown);
    flags_and_services(&mut out, s, markdown);
    scans(&mut out, s, markdown);
    out
}

/// The totals, rates and TCP figures, as a two-column list.
fn head(out: &mut String, s: &TrafficSummary, markdown: bool) {
    let mut head = Table::new(&[("", Align::Left), ("", Align::Left)]);
    let t = &s.tcp;
    let rows = [
        (
            "capture",
            format!("{} ({}, {})", s.file, s.format, s.link_types.join(", ")),
        ),
        ("packets", thousands(s.packets)),
        ("bytes on the wire", thousands(s.bytes)),
        ("duration", format!("{} s", compact(s.duration_s))),
        (
            "throughput",
            format!(
                "{} bytes/s, {} bits/s",
                per_second(s.throughput_bytes_per_s),
                per_second(s.throughput_bits_per_s)
            ),
        ),
        ("connection records", thousands(s.connections)),
        (
            "live",
            s.live.as_ref().map_or_else(String::new, |l| {
                format!(
                    "{} s; {} records, {} alerts ({} scans); {} frames received, {} passed and {} \
                     dropped by the kernel; {} connections ended early; {} frames of unknown link \
                     types",
                    compact(l.seconds),
                    thousands(l.records),
                    thousands(l.alerts),
                    thousands(l.scans),
                    thousands(l.frames_received),
                    thousands(l.kernel_packets),
                    thousands(l.kernel_drops),
                    thousands(l.evicted),
                    thousands(l.unsupported_frames)
                )
            }),
        ),
        (
            "TCP connections",
            format!(
                "{} ({} with an initial RTT)",
                thousands(t.connections),
                thousands(t.handshakes)
            ),
        ),
        ("initial RTT (ms)", quantiles(&t.initial_rtt_ms)),
        (
            "retransmissions",
            format!(
                "{} of {} segments (loss estimate {})",
                thousands(t.retransmissions),
                thousands(t.segments),
                pct(t.loss_estimate)
            ),
        ),
        ("jitter (ms)", quantiles(&s.jitter_ms)),
        (
            "IP fragments",
            format!(
                "{} in {} reassembled datagrams; {} wrong fragments or bad checksums",
                thousands(s.ip_fragments),
                thousands(s.reassembled_datagrams),
                thousands(s.wrong_fragments)
            ),
        ),
        (
            "errors",
            format!(
                "{} rejected ({}), {} reset ({}) TCP connections; {} ICMP unreachable",
                thousands(t.rejected),
                pct(t.rejected_rate),
                thousands(t.reset),
                pct(t.reset_rate),
                thousands(s.icmp_unreachable)
            ),
        ),
    ];
    for (k, v) in rows {
        // The live line is empty for a capture file.
        if !v.is_empty() {
            head.push(vec![k.to_string(), v]);
        }
    }
    if markdown {
        let _ = write!(out, "## {}\n\n", s.file);
        for (k, v) in head.pairs() {
            let _ = writeln!(out, "- **{k}**: {v}");
        }
    } else {
        out.push_str(&head.to_text_without_header(0));
    }
}

/// Frames and bytes per protocol.
fn protocols(out: &mut String, s: &TrafficSummary, markdown: bool) {
    let mut protocols = Table::new(&[
        ("protocol", Align::Left),
        ("packets", Align::Right),
        ("share", Align::Right),
        ("bytes", Align::Right),
    ]);
    for p in &s.protocols {
        protocols.push(vec![
            p.protocol.clone(),
            thousands(p.packets),
            pct(p.share),
            thousands(p.bytes),
        ]);
    }
    block(out, "protocols", &protocols, markdown);
}

/// The busiest IP pairs.
fn pairs(out: &mut String, s: &TrafficSummary, markdown: bool) {
    let mut pairs = Table::new(&[
        ("address", Align::Left),
        ("address", Align::Left),
        ("packets", Align::Right),
        ("bytes", Align::Right),
        ("% packets", Align::Right),
        ("% bytes", Align::Right),
        ("protocols", Align::Left),
    ]);
    for p in &s.ip_pairs {
        let split = p
            .protocols
            .iter()
            .map(|(k, v)| format!("{k} {}", pct(*v)))
            .collect::<Vec<_>>()
            .join(", ");
        pairs.push(vec![
            p.a.clone(),
            p.b.clone(),
            thousands(p.packets),
            thousands(p.bytes),
            pct(p.packet_share),
            pct(p.byte_share),
            split,
        ]);
    }
    block(out, "top IP pairs (by bytes)", &pairs, markdown);
}

/// The busiest addresses.
fn hosts(out: &mut String, s: &TrafficSummary, markdown: bool) {
    let mut hosts = Table::new(&[
        ("address", Align::Left),
        ("bytes sent", Align::Right),
        ("bytes received", Align::Right),
        ("packets sent", Align::Right),
        ("packets received", Align::Right),
    ]);
    for h in &s.hosts {
        hosts.push(vec![
            h.ip.clone(),
            thousands(h.bytes_sent),
            thousands(h.bytes_received),
            thousands(h.packets_sent),
            thousands(h.packets_received),
        ]);
    }
    block(out, "top addresses (by bytes)", &hosts, markdown);
}

/// Records per flag and per service.
fn flags_and_services(out: &mut String, s: &TrafficSummary, markdown: bool) {
    let mut flags = Table::new(&[("flag", Align::Left), ("records", Align::Right)]);
    for (f, n) in s.flags.iter() {
        flags.push(vec![f.to_string(), thousands(*n)]);
    }
    block(out, "connection flags", &flags, markdown);
    let mut services = Table::new(&[("service", Align::Left), ("records", Align::Right)]);
    for (f, n) in s.services.iter() {
        services.push(vec![f.to_string(), thousands(*n)]);
    }
    block(out, "services", &services, markdown);
}

/// The scans found.
fn scans(out: &mut String, s: &TrafficSummary, markdown: bool) {
    let mut scans = Table::new(&[
        ("scan", Align::Left),
        ("source", Align::Left),
        ("target", Align::Left),
        ("distinct", Align::Right),
        ("first (s)", Align::Right),
        ("last (s)", Align::Right),
    ]);
    for x in &s.scans {
        let (target, n) = match x.kind {
            "vertical" => (
                format!("host {}", x.dst.clone().unwrap_or_default()),
                format!("{} ports", x.distinct_ports.unwrap_or(0)),
            ),
            _ => (
                format!("port {}", x.port.unwrap_or(0)),
                format!("{} hosts", x.distinct_hosts.unwrap_or(0)),
            ),
        };
        scans.push(vec![
            x.kind.to_string(),
            x.src.clone(),
            target,
            n,
            format!("+{:.3}", x.first - s.first),
            format!("+{:.3}", x.last - s.first),
        ]);
    }
    let title = format!(
        "scans (at least {} distinct ports of a host or hosts on a port; times from the first packet)",
        s.port_scan_threshold
    );
    if scans.is_empty() {
        let _ = write!(out, "\n{title}: none\n");
    } else {
        block(out, &title, &scans, markdown);
    }
}
