//! The flow table: open connections, their timeouts and the limits on how many are held, shared
//! by the batch reader (`kddstat pcap`) and live capture (`kddstat live`), so that both end every
//! connection at the same packet and write the same records.
//!
//! Definitions (each with its reason):
//! - A connection **ends** when the first of these happens (Zeek's rules, whose `conn.log` the
//!   KDD features come from):
//!   - it was closed (both sides sent FIN, or one sent RST) [`Timeouts::close_s`] seconds ago
//!     (Zeek's `tcp_close_delay` and `tcp_reset_delay`, 5 s: the last ACK and retransmitted FINs
//!     still belong to it); a new SYN after the close starts a new connection at once;
//!   - it has been idle for [`Timeouts::tcp_idle_s`] (TCP, 300 s) or [`Timeouts::udp_idle_s`]
//!     (UDP, 10 s) seconds;
//!   - it has lasted [`Timeouts::active_s`] seconds (1,800 s, NetFlow's usual active timeout):
//!     a longer connection is cut there and its further packets start a new one, so that no
//!     connection holds the records after it back for longer;
//!   - the table is full ([`Limits::max_flows`]): the connection that started first is ended
//!     early and counted as evicted;
//!   - the input ends.
//! - ICMP messages are one-packet connections and end at once.
//! - Time is the capture's: the largest timestamp seen so far (a packet stamped earlier than one
//!   before it does not move time back). Live capture also moves time on while no packet comes,
//!   by the wall clock.
//! - Timers are kept in one-second buckets, so an idle connection is found ended at most one
//!   second after its deadline; a packet that comes after the deadline always starts a new
//!   connection, whatever the timers, so the records do not depend on when time was advanced.
//!
//! Every connection gets a sequence number at its first packet: records are ordered by (start,
//! sequence number), the order of `kddstat pcap` since its first version.

use std::collections::BTreeMap;

use foldhash::HashMap;

use super::decode::{Ip, Transport, flags, proto};
use super::track::{Conn, Key, key};

const NS: i64 = 1_000_000_000;

/// When connections end, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Idle TCP connections end after this.
    pub tcp_idle_s: u64,
    /// Idle UDP connections end after this.
    pub udp_idle_s: u64,
    /// A closed (FIN both ways, or RST) TCP connection ends this long after closing.
    pub close_s: u64,
    /// A connection ends after lasting this long.
    pub active_s: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            tcp_idle_s: 300,
            udp_idle_s: 10,
            close_s: 5,
            active_s: 1800,
        }
    }
}

/// The flow table's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The timeouts.
    pub timeouts: Timeouts,
    /// Open connections held at once (at about 400 bytes each).
    pub max_flows: usize,
    /// Ended connections held until every connection that started before them has ended (their
    /// records are written in start order); past this, the oldest open connection is ended early.
    pub max_held: usize,
}

/// The default [`Limits::max_flows`].
pub const MAX_FLOWS: usize = 131_072;
/// The default [`Limits::max_held`].
pub const MAX_HELD: usize = 131_072;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeouts: Timeouts::default(),
            max_flows: MAX_FLOWS,
            max_held: MAX_HELD,
        }
    }
}

/// How many connections ended for each reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct EndCounts {
    /// Closed by FIN or RST.
    pub closed: u64,
    /// Idle too long.
    pub idle: u64,
    /// Lasted too long (cut at the active timeout).
    pub active: u64,
    /// Ended early: the flow table was full, or too many records waited for an older one.
    pub evicted: u64,
    /// Still open when the input ended.
    pub open_at_end: u64,
    /// ICMP messages (one packet each).
    pub icmp: u64,
}

/// A connection that ended, with its sequence number.
#[derive(Debug)]
pub struct Ended {
    /// Order of its first packet among all connections.
    pub seq: u64,
    /// The connection.
    pub conn: Conn,
}

#[derive(Debug)]
struct Open {
    conn: Conn,
    seq: u64,
    /// The timer bucket holding this connection's live entry.
    timer: i64,
}

/// Why an open connection ends at time `now` (`None`: it does not).
fn reason(c: &Conn, t: &LimitsNs, now: i64) -> Option<Reason> {
    if let Some(closed) = c.closed_at
        && now.saturating_sub(closed) > t.close
    {
        return Some(Reason::Closed);
    }
    let idle = if c.proto == proto::TCP { t.tcp } else { t.udp };
    if now.saturating_sub(c.last) > idle {
        return Some(Reason::Idle);
    }
    (now.saturating_sub(c.start) > t.active).then_some(Reason::Active)
}

/// The time after which [`reason`] says a connection ends.
fn deadline(c: &Conn, t: &LimitsNs) -> i64 {
    let idle = if c.proto == proto::TCP { t.tcp } else { t.udp };
    let mut d = c
        .last
        .saturating_add(idle)
        .min(c.start.saturating_add(t.active));
    if let Some(closed) = c.closed_at {
        d = d.min(closed.saturating_add(t.close));
    }
    d
}

/// The bucket whose time is the first whole second after `deadline` (a connection is checked
/// when time reaches its bucket).
fn bucket(deadline: i64) -> i64 {
    deadline.div_euclid(NS).saturating_add(1)
}

/// A connection is looked at again at most this long after `now`, even when its deadline is
/// later (then put back): an entry left behind by a connection that ended otherwise lives at most
/// this long, so the timers hold about the open connections, not every connection of the last
/// idle timeout.
const LOOKAHEAD_NS: i64 = 10 * NS;

fn timer_of(c: &Conn, t: &LimitsNs, now: i64) -> i64 {
    bucket(deadline(c, t).min(now.saturating_add(LOOKAHEAD_NS)))
}

#[derive(Debug, Clone, Copy)]
enum Reason {
    Closed,
    Idle,
    Active,
    Evicted,
}

#[derive(Debug, Clone, Copy)]
struct LimitsNs {
    tcp: i64,
    udp: i64,
    close: i64,
    active: i64,
}

fn ns(seconds: u64) -> i64 {
    i64::try_from(seconds)
        .unwrap_or(i64::MAX / NS)
        .min(i64::MAX / NS)
        * NS
}

/// Open connections, their timers, and the connections that ended since the caller last took
/// them.
#[derive(Debug)]
pub struct FlowTable {
    limits: Limits,
    t: LimitsNs,
    /// Key to slot in `slots` (a slot of 4 bytes in the map; the connections, 288 bytes each,
    /// live in one vector whose free slots are reused, so the map's spare capacity stays small).
    open: HashMap<Key, u32>,
    slots: Vec<Option<Open>>,
    free: Vec<u32>,
    /// Open connections by (start, sequence number).
    by_start: BTreeMap<(i64, u64), Key>,
    /// Timer buckets (second) to the connections to check then.
    /// Entries (slot, sequence number): 16 bytes; an entry whose connection has ended or moved
    /// to another bucket is skipped when its bucket comes.
    timers: BTreeMap<i64, Vec<(u32, u64)>>,
    ended: Vec<Ended>,
    next_seq: u64,
    clock: i64,
    /// Connections ended, by reason.
    pub counts: EndCounts,
    /// ICMP destination-unreachable messages.
    pub icmp_unreachable: u64,
}

impl FlowTable {
    /// An empty table.
    pub fn new(limits: Limits) -> FlowTable {
        let o = limits.timeouts;
        FlowTable {
            limits,
            t: LimitsNs {
                tcp: ns(o.tcp_idle_s),
                udp: ns(o.udp_idle_s),
                close: ns(o.close_s),
                active: ns(o.active_s),
            },
            open: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            by_start: BTreeMap::new(),
            timers: BTreeMap::new(),
            ended: Vec::new(),
            next_seq: 0,
            clock: i64::MIN,
            counts: EndCounts::default(),
            icmp_unreachable: 0,
        }
    }

    fn get(&self, k: &Key) -> Option<&Open> {
        let &i = self.open.get(k)?;
        self.slots.get(i as usize)?.as_ref()
    }

    fn take(&mut self, k: &Key) -> Option<Open> {
        let i = self.open.remove(k)?;
        let o = self.slots.get_mut(i as usize)?.take();
        self.free.push(i);
        o
    }

    fn put(&mut self, k: Key, o: Open) -> u32 {
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(o);
                i
            }
            None => {
                self.slots.push(Some(o));
                (self.slots.len() - 1) as u32
            }
        };
        self.open.insert(k, i);
        i
    }

    /// Open connections.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// No open connection.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// The (start, sequence number) of the open connection that started first: every record
    /// before it is final.
    pub fn oldest_open(&self) -> Option<(i64, u64)> {
        self.by_start.keys().next().copied()
    }

    /// The connections that ended since the last call.
    pub fn take_ended(&mut self) -> std::vec::Drain<'_, Ended> {
        self.ended.drain(..)
    }

    /// Moves time to `now` (if later) and ends the connections whose timeouts passed.
    pub fn advance(&mut self, now: i64) {
        if now <= self.clock {
            return;
        }
        self.clock = now;
        while let Some(entry) = self.timers.first_entry() {
            let b = *entry.key();
            if b.saturating_mul(NS) > now {
                break;
            }
            for (slot, seq) in entry.remove() {
                let Some(Some(o)) = self.slots.get(slot as usize) else {
                    continue;
                };
                if o.seq != seq || o.timer != b {
                    continue;
                }
                let k = key(o.conn.orig, o.conn.resp, o.conn.proto);
                match reason(&o.conn, &self.t, now) {
                    Some(r) => self.end(&k, r),
                    None => {
                        let nb = timer_of(&o.conn, &self.t, now);
                        self.schedule(slot, nb);
                    }
                }
            }
        }
    }

    fn schedule(&mut self, slot: u32, b: i64) {
        if let Some(Some(o)) = self.slots.get_mut(slot as usize) {
            o.timer = b;
            let seq = o.seq;
            self.timers.entry(b).or_default().push((slot, seq));
        }
    }

    fn end(&mut self, k: &Key, r: Reason) {
        let Some(o) = self.take(k) else {
            return;
        };
        self.by_start.remove(&(o.conn.start, o.seq));
        let c = &mut self.counts;
        match r {
            Reason::Closed => c.closed += 1,
            Reason::Idle => c.idle += 1,
            Reason::Active => c.active += 1,
            Reason::Evicted => c.evicted += 1,
        }
        self.ended.push(Ended {
            seq: o.seq,
            conn: o.conn,
        });
    }

    /// Ends the open connection that started first (counted as evicted); false when none is open.
    pub fn evict_oldest(&mut self) -> bool {
        match self.by_start.first_key_value() {
            Some((_, &k)) => {
                self.end(&k, Reason::Evicted);
                true
            }
            None => false,
        }
    }

    /// Ends every open connection (the input ended), in start order.
    pub fn finish(&mut self) {
        while let Some((_, k)) = self.by_start.pop_first() {
            if let Some(o) = self.take(&k) {
                self.counts.open_at_end += 1;
                self.ended.push(Ended {
                    seq: o.seq,
                    conn: o.conn,
                });
            }
        }
        self.timers.clear();
    }

    /// Adds a whole datagram.
    pub fn packet(&mut self, ts: i64, ip: &Ip, t: &Transport<'_>, wire: u32, wrong: bool) {
        self.advance(ts);
        let seq = self.next_seq;
        if matches!(ip.proto, proto::ICMP | proto::ICMPV6) {
            let (ty, code) = (t.sport as u8, t.dport as u8);
            let v6 = ip.proto == proto::ICMPV6;
            if (!v6 && ty == 3) || (v6 && ty == 1) {
                self.icmp_unreachable += 1;
            }
            self.next_seq += 1;
            self.counts.icmp += 1;
            let conn = Conn::icmp(ts, ip, ty, code, t.payload_len, wire, wrong);
            self.ended.push(Ended { seq, conn });
            return;
        }
        let a = (ip.src, t.sport);
        let b = (ip.dst, t.dport);
        let k = key(a, b, ip.proto);
        let tcp = t.tcp;
        let bare_syn = tcp.is_some_and(|(_, _, f)| f & flags::SYN != 0 && f & flags::ACK == 0);
        if let Some(o) = self.get(&k) {
            let why = if bare_syn && o.conn.finished() {
                Some(Reason::Closed)
            } else {
                reason(&o.conn, &self.t, ts)
            };
            if let Some(r) = why {
                self.end(&k, r);
            }
        }
        if !self.open.contains_key(&k) {
            while self.open.len() >= self.limits.max_flows.max(1) && self.evict_oldest() {}
            let synack = tcp.is_some_and(|(_, _, f)| f & flags::SYN != 0 && f & flags::ACK != 0);
            let (orig, resp) = if synack { (b, a) } else { (a, b) };
            self.next_seq += 1;
            self.by_start.insert((ts, seq), k);
            let conn = Conn::new(ts, orig, resp, ip.proto);
            let timer = timer_of(&conn, &self.t, ts);
            let slot = self.put(k, Open { conn, seq, timer });
            self.timers.entry(timer).or_default().push((slot, seq));
        }
        let limits = self.t;
        let Some(&slot) = self.open.get(&k) else {
            return;
        };
        let Some(Some(o)) = self.slots.get_mut(slot as usize) else {
            return;
        };
        let c = &mut o.conn;
        c.add(ts, a, t, wire, wrong);
        if c.closed_at.is_none() && c.finished() {
            c.closed_at = Some(ts);
        }
        let nb = timer_of(c, &limits, ts);
        if nb < o.timer {
            self.schedule(slot, nb);
        }
    }
}
