//! The packet engine: frames in, connection records out as their connections end, with the
//! counters of the traffic summary. `kddstat pcap` runs it over a file and `kddstat live` over an
//! interface, a pipe or a replayed file: one engine, so the two write the same records.

use std::collections::BTreeSet;

use super::decode::{self, Decoded, Decoder};
use super::flows::{EndCounts, FlowTable, Limits};
use super::read::{Frame, ReadInfo};
use super::summary::{ConnTally, Counters, Parts, TrafficSummary};
use super::timeline::Timelines;
use crate::connection::ordered::InOrder;
use crate::connection::records::Record;

/// Fragments older than this are dropped (the usual reassembly timeout), ns.
const FRAGMENT_TIMEOUT_NS: i64 = 60_000_000_000;

/// Frames to records.
#[derive(Debug)]
pub struct Engine {
    limits: Limits,
    decoder: Decoder,
    flows: FlowTable,
    order: InOrder,
    counters: Counters,
    tally: ConnTally,
    links: BTreeSet<i32>,
    /// Frames of link types kddstat cannot decode, by link type.
    unsupported: BTreeSet<i32>,
    unsupported_frames: u64,
    last_expiry: i64,
    /// Records handed out per call at most (the caller asks for more with
    /// [`Engine::release`]).
    release_max: usize,
    /// Bytes per second, when asked for.
    pub timelines: Option<Timelines>,
}

impl Engine {
    /// An engine with these limits (`timelines`: keep bytes per second for the report).
    pub fn new(limits: Limits, timelines: bool) -> Engine {
        Engine {
            limits,
            decoder: Decoder::new(),
            flows: FlowTable::new(limits),
            order: InOrder::new(),
            counters: Counters::new(),
            tally: ConnTally::new(),
            links: BTreeSet::new(),
            unsupported: BTreeSet::new(),
            unsupported_frames: 0,
            last_expiry: i64::MIN,
            release_max: usize::MAX,
            timelines: timelines.then(Timelines::default),
        }
    }

    /// Reads one frame; the records it completes go to `out`, in start order.
    pub fn frame(&mut self, f: &Frame<'_>, out: &mut dyn FnMut(Record)) {
        if self.links.insert(f.link) && !decode::supported(f.link) {
            self.unsupported.insert(f.link);
        }
        if self.unsupported.contains(&f.link) {
            self.unsupported_frames += 1;
            return;
        }
        self.counters.frame(f.ts, f.wire_len);
        if f.ts.saturating_sub(self.last_expiry) > FRAGMENT_TIMEOUT_NS {
            self.decoder
                .expire(f.ts.saturating_sub(FRAGMENT_TIMEOUT_NS));
            self.last_expiry = f.ts;
        }
        if let Some(t) = &mut self.timelines {
            t.add(f.ts, u64::from(f.wire_len));
        }
        match self.decoder.decode(f.link, f.data, f.ts) {
            Decoded::NonIp(t) => self.counters.non_ip(t, f.wire_len),
            Decoded::Malformed => self.counters.malformed(f.wire_len),
            Decoded::Ip {
                ip,
                transport,
                wrong,
            } => {
                self.counters.ip(ip.src, ip.dst, ip.proto, f.wire_len);
                match transport {
                    Some(t) => self.flows.packet(f.ts, &ip, &t, f.wire_len, wrong),
                    None => self.flows.advance(f.ts),
                }
            }
        }
        self.drain(out);
    }

    /// Moves time on to `now` without a packet (live capture, while the line is quiet).
    pub fn advance(&mut self, now: i64, out: &mut dyn FnMut(Record)) {
        self.flows.advance(now);
        self.drain(out);
    }

    /// Ends every open connection (the input ended) and writes the records still held.
    pub fn finish(&mut self, out: &mut dyn FnMut(Record)) {
        self.flows.finish();
        self.drain(out);
    }

    fn drain(&mut self, out: &mut dyn FnMut(Record)) {
        loop {
            for e in self.flows.take_ended() {
                self.tally.add(&e.conn);
                if let Some(f) = e.conn.to_finished() {
                    self.order.push(e.seq, f);
                }
            }
            if self.order.held() <= self.limits.max_held || !self.flows.evict_oldest() {
                break;
            }
        }
        self.order
            .release(self.flows.oldest_open(), self.release_max, out);
    }

    /// Hands out at most `n` records per call from now on (a caller that scores records in
    /// batches keeps its batch bounded; the rest wait in the engine until [`Engine::release`]).
    pub fn set_release_max(&mut self, n: usize) {
        self.release_max = n.max(1);
    }

    /// Hands out more of the records that are final (at most the release maximum); returns how
    /// many.
    pub fn release(&mut self, out: &mut dyn FnMut(Record)) -> usize {
        self.order
            .release(self.flows.oldest_open(), self.release_max, out)
    }

    /// Open connections.
    pub fn open(&self) -> usize {
        self.flows.len()
    }

    /// Ended connections waiting for an older one to end.
    pub fn held(&self) -> usize {
        self.order.held()
    }

    /// How connections ended.
    pub fn ends(&self) -> EndCounts {
        self.flows.counts
    }

    /// Frames read (of decodable link types).
    pub fn packets(&self) -> u64 {
        self.counters.packets
    }

    /// Link types met that kddstat cannot decode, and their frames.
    pub fn unsupported(&self) -> (Vec<i32>, u64) {
        (
            self.unsupported.iter().copied().collect(),
            self.unsupported_frames,
        )
    }

    /// Link types met.
    pub fn links(&self) -> impl Iterator<Item = i32> + '_ {
        self.links.iter().copied()
    }

    /// Warnings: fragments dropped, connections evicted early.
    pub fn warnings(&self, name: &str) -> Vec<String> {
        let mut w = Vec::new();
        if self.decoder.dropped > 0 {
            w.push(format!(
                "{name}: {} IP fragments were dropped: more than {} fragments or {} bytes waited for \
                 reassembly at once",
                self.decoder.dropped,
                decode::MAX_PENDING_FRAGMENTS,
                decode::MAX_PENDING_BYTES
            ));
        }
        let (pairs, scans) = (self.counters.untracked(), self.tally.untracked());
        if pairs > 0 || scans > 0 {
            w.push(format!(
                "{name}: more than {} address pairs or scan candidates: the top lists leave out \
                 {pairs} frames and the scan search {scans} connections (the totals are exact)",
                super::summary::MAX_TRACKED
            ));
        }
        let evicted = self.flows.counts.evicted;
        if evicted > 0 {
            w.push(format!(
                "{name}: {evicted} connections were ended early: more than {} were open at once \
                 (--max-flows) or more than {} records waited for an older connection \
                 (--max-held)",
                self.limits.max_flows, self.limits.max_held
            ));
        }
        w
    }

    /// The traffic summary so far.
    pub fn summary(
        &self,
        name: &str,
        info: &ReadInfo,
        threshold: usize,
        top: usize,
    ) -> TrafficSummary {
        super::summary::summarise(&Parts {
            file: name,
            format: info.format,
            link_types: self
                .links
                .iter()
                .map(|&l| super::read::link_name(l))
                .collect(),
            truncated: info.truncated,
            counters: &self.counters,
            conns: &self.tally,
            icmp_unreachable: self.flows.icmp_unreachable,
            fragments: (
                self.decoder.fragments,
                self.decoder.reassembled,
                self.decoder.wrong,
            ),
            threshold,
            top,
        })
    }

    /// The scans found so far.
    pub fn scans(&self, threshold: usize) -> Vec<super::summary::Scan> {
        self.tally.scans(threshold)
    }
}
