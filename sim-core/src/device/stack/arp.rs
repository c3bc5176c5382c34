//! The ARP cache, the frames waiting for a resolution, and neighbour unreachability
//! detection (RFC 4861 section 7.3, which both common IPv4 stacks apply to ARP entries).
//!
//! An entry is `Reachable` until its reachable time runs out, then `Stale`: still used, but
//! the first packet sent to it starts a `Delay`; the first packet after the delay starts
//! unicast requests to the cached MAC that `Probe` it; without an answer the entry goes and
//! the next packet asks by broadcast. Ageing is lazy: an entry's state is read against the
//! clock when it is used, and only an entry that is being probed has a timer (one), so
//! forwarding adds no event per packet and an entry nobody uses costs nothing.
//!
//! Frames for an address being resolved wait in its `Pending` entry, under the limit the
//! stack's configuration gives (`WaitingLimit`: a count of frames, or bytes of buffer memory).

use crate::device::small_map::SmallMap;
use crate::device::Frame;
use crate::id::PortId;
use crate::time::SimTime;
use crate::wire::MacAddr;
use serde::Serialize;
use std::net::Ipv4Addr;

/// How many frames may wait for one address being resolved, and which frame goes when one
/// more would not fit. Plain data: each operating system's control plane picks its own
/// (`control::tcpip`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WaitingLimit {
    /// At most `frames` frames; a newer frame is dropped (FreeBSD's and Darwin's `maxhold`).
    Frames { frames: u32 },
    /// At most `bytes` bytes of buffer memory, each frame counted as its length rounded up
    /// to `align` plus `overhead` (the buffer's bookkeeping); to make room for a new frame
    /// the oldest ones are dropped, and the new one is always queued. Small on purpose: a
    /// drop reason carries it.
    Bytes {
        bytes: u32,
        align: u16,
        overhead: u16,
    },
}

impl WaitingLimit {
    /// What a waiting frame of `len` bytes counts for against a byte limit.
    pub fn charge(self, len: usize) -> usize {
        match self {
            WaitingLimit::Frames { .. } => 0,
            WaitingLimit::Bytes {
                align, overhead, ..
            } => len.next_multiple_of(usize::from(align.max(1))) + usize::from(overhead),
        }
    }
}

/// ARP requests sent before the waiting frames are dropped.
pub const MAX_TRIES: u8 = 3;

#[derive(Debug)]
pub struct Pending {
    pub port: PortId,
    pub ip: Ipv4Addr,
    pub frames: Vec<Frame>,
    /// What `frames` count for against a byte limit (`WaitingLimit::charge`).
    pub bytes: usize,
    pub tries: u8,
}

impl Pending {
    /// A resolution of `ip` on `port` starts: its first request is out, no frame waits yet.
    pub fn new(port: PortId, ip: Ipv4Addr) -> Self {
        Pending {
            port,
            ip,
            frames: Vec::new(),
            bytes: 0,
            tries: 1,
        }
    }

    /// `frame` waits under `limit`. Every frame that cannot wait is handed to `dropped`:
    /// the new one under a count of frames, the oldest ones under a count of bytes.
    pub fn hold(&mut self, frame: Frame, limit: WaitingLimit, mut dropped: impl FnMut(Frame)) {
        match limit {
            WaitingLimit::Frames { frames } => {
                if self.frames.len() >= frames as usize {
                    dropped(frame);
                } else {
                    self.frames.push(frame);
                }
            }
            WaitingLimit::Bytes { bytes, .. } => {
                let size = limit.charge(frame.bytes.len());
                while self.bytes + size > bytes as usize && !self.frames.is_empty() {
                    let oldest = self.frames.remove(0);
                    self.bytes -= limit.charge(oldest.bytes.len());
                    dropped(oldest);
                }
                self.bytes += size;
                self.frames.push(frame);
            }
        }
    }
}

/// Where an entry stands (RFC 4861's neighbour states, INCOMPLETE being `Pending`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nud {
    /// Confirmed by an answer; trusted until the given time.
    Reachable(SimTime),
    /// Learned without a confirmation (a request, a broadcast or gratuitous ARP), or
    /// confirmed too long ago: used as is, checked once used.
    Stale,
    /// Used while stale: probed when used at or after the given time, unless confirmed first.
    Delay(SimTime),
    /// `sent` unicast probes are out; the next one (or giving up) is due at `next`.
    Probe { sent: u8, next: SimTime },
}

/// An entry in 16 bytes, aligned on a byte (issue 13): with its 6-byte key an inline slot
/// is 22 bytes, and the net state's first cache line holds the first two slots (a
/// container's two neighbours) where a `Nud` (16 bytes) and an aligned key held one. The
/// state is kept in parts: `state` and `set_state` give and take it whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub mac: MacAddr,
    /// The state's kind, and whether the entry was confirmed once.
    kind: Kind,
    /// The probes sent, in `Nud::Probe`.
    sent: u8,
    /// The state's time, in `Nud::Reachable`, `Delay` and `Probe` (`next`): the bytes of a
    /// `SimTime` (an aligned u64 would make the entry 24 bytes).
    at: [u8; 8],
}

/// A state's kind and the `confirmed` flag in one byte; an enum, so that an empty inline
/// slot (`None`) needs no byte of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Reachable,
    Stale,
    Delay,
    Probe,
    ConfirmedReachable,
    ConfirmedStale,
    ConfirmedDelay,
    ConfirmedProbe,
}

impl Kind {
    fn new(state: Nud, confirmed: bool) -> Kind {
        match (state, confirmed) {
            (Nud::Reachable(_), false) => Kind::Reachable,
            (Nud::Stale, false) => Kind::Stale,
            (Nud::Delay(_), false) => Kind::Delay,
            (Nud::Probe { .. }, false) => Kind::Probe,
            (Nud::Reachable(_), true) => Kind::ConfirmedReachable,
            (Nud::Stale, true) => Kind::ConfirmedStale,
            (Nud::Delay(_), true) => Kind::ConfirmedDelay,
            (Nud::Probe { .. }, true) => Kind::ConfirmedProbe,
        }
    }

    fn confirmed(self) -> bool {
        matches!(
            self,
            Kind::ConfirmedReachable
                | Kind::ConfirmedStale
                | Kind::ConfirmedDelay
                | Kind::ConfirmedProbe
        )
    }
}

impl Entry {
    pub fn new(mac: MacAddr, state: Nud, confirmed: bool) -> Self {
        let mut e = Entry {
            mac,
            kind: Kind::Stale,
            sent: 0,
            at: [0; 8],
        };
        e.set_state(state);
        e.set_confirmed(confirmed);
        e
    }

    #[inline]
    fn at(&self) -> SimTime {
        SimTime(u64::from_le_bytes(self.at))
    }

    #[inline]
    pub fn state(&self) -> Nud {
        match self.kind {
            Kind::Reachable | Kind::ConfirmedReachable => Nud::Reachable(self.at()),
            Kind::Stale | Kind::ConfirmedStale => Nud::Stale,
            Kind::Delay | Kind::ConfirmedDelay => Nud::Delay(self.at()),
            Kind::Probe | Kind::ConfirmedProbe => Nud::Probe {
                sent: self.sent,
                next: self.at(),
            },
        }
    }

    pub fn set_state(&mut self, state: Nud) {
        let (sent, at) = match state {
            Nud::Reachable(at) | Nud::Delay(at) => (0, at),
            Nud::Stale => (0, SimTime(0)),
            Nud::Probe { sent, next } => (sent, next),
        };
        self.kind = Kind::new(state, self.confirmed());
        self.sent = sent;
        self.at = at.0.to_le_bytes();
    }

    /// Whether the entry was confirmed once (it did not only come from a request).
    #[inline]
    pub fn confirmed(&self) -> bool {
        self.kind.confirmed()
    }

    pub fn set_confirmed(&mut self, confirmed: bool) {
        self.kind = Kind::new(self.state(), confirmed);
    }

    /// The state at `now`: a reachable entry whose time ran out is stale.
    pub fn state_at(&self, now: SimTime) -> Nud {
        match self.state() {
            Nud::Reachable(until) if now >= until => Nud::Stale,
            s => s,
        }
    }

    /// Whether using the entry at `now` moves its check on: it is stale, or its delay is
    /// over.
    #[inline]
    pub fn due(&self, now: SimTime) -> bool {
        match self.state() {
            Nud::Reachable(until) | Nud::Delay(until) => now >= until,
            Nud::Stale => true,
            Nud::Probe { .. } => false,
        }
    }
}

#[derive(Debug, Default)]
#[repr(C)]
pub struct ArpCache {
    /// Inline up to `INLINE` entries: a container's two or three neighbours are looked up
    /// without a table of their own to miss in the cache (`SmallMap`).
    entries: SmallMap<Key, Entry, { ArpCache::INLINE }>,
    pub pending: Vec<Pending>,
}

/// An entry's port and address, as bytes: 6 bytes aligned on one, so that an inline slot is
/// too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key([u8; 6]);

impl Key {
    fn port(self) -> PortId {
        PortId(u16::from_le_bytes([self.0[0], self.0[1]]))
    }

    fn ip(self) -> Ipv4Addr {
        Ipv4Addr::new(self.0[2], self.0[3], self.0[4], self.0[5])
    }
}

pub fn key(port: PortId, ip: Ipv4Addr) -> Key {
    let [p0, p1] = port.0.to_le_bytes();
    let [a, b, c, d] = ip.octets();
    Key([p0, p1, a, b, c, d])
}

impl ArpCache {
    /// Six: they fill the bytes four slots took before entries were 16 bytes, so a stack
    /// keeps its size (at 4, the smaller stacks of bridge-echo fell on fewer sets of a 1 MB
    /// cache: 4.13 read misses an echo instead of 1.67).
    const INLINE: usize = 6;

    /// Every entry as (port, address, entry), sorted by port and address (`ip neigh`).
    pub fn entries(&self) -> Vec<(PortId, Ipv4Addr, Entry)> {
        let mut all: Vec<(PortId, Ipv4Addr, Entry)> = self
            .entries
            .iter()
            .map(|(k, e)| (k.port(), k.ip(), *e))
            .collect();
        all.sort_by_key(|(p, ip, _)| (*p, *ip));
        all
    }

    /// The cached MAC, whatever the entry's state.
    pub fn lookup(&self, port: PortId, ip: Ipv4Addr) -> Option<MacAddr> {
        self.entries.get(&key(port, ip)).map(|e| e.mac)
    }

    #[inline]
    pub fn entry(&self, port: PortId, ip: Ipv4Addr) -> Option<&Entry> {
        self.entries.get(&key(port, ip))
    }

    #[inline]
    pub fn entry_mut(&mut self, port: PortId, ip: Ipv4Addr) -> Option<&mut Entry> {
        self.entries.get_mut(&key(port, ip))
    }

    /// Whether `ip` has an entry or a resolution in progress on `port`.
    #[inline]
    pub fn knows(&self, port: PortId, ip: Ipv4Addr) -> bool {
        self.entries.contains_key(&key(port, ip))
            || self.pending.iter().any(|p| p.port == port && p.ip == ip)
    }

    /// Every address with an entry or a resolution in progress, on any port, in no
    /// particular order (for a filter that does not depend on it: `quiet`).
    pub fn addresses(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        let entries = self.entries.keys().map(|k| k.ip());
        entries.chain(self.pending.iter().map(|p| p.ip))
    }

    /// An answer confirmed `ip` is at `mac`: reachable until `until`.
    pub fn confirm(&mut self, port: PortId, ip: Ipv4Addr, mac: MacAddr, until: SimTime) {
        let e = self
            .entries
            .get_or_insert_with(key(port, ip), || Entry::new(mac, Nud::Stale, true));
        e.mac = mac;
        e.set_state(Nud::Reachable(until));
        e.set_confirmed(true);
    }

    /// `ip` said it is at `mac` without being asked (a request, a broadcast or gratuitous
    /// reply): a new entry, or a changed MAC, is stale; the same MAC keeps its state.
    pub fn unsolicited(&mut self, port: PortId, ip: Ipv4Addr, mac: MacAddr) {
        let e = self
            .entries
            .get_or_insert_with(key(port, ip), || Entry::new(mac, Nud::Stale, false));
        if e.mac != mac {
            e.mac = mac;
            e.set_state(Nud::Stale);
            e.set_confirmed(false);
        }
    }

    pub fn remove(&mut self, port: PortId, ip: Ipv4Addr) {
        self.entries.remove(&key(port, ip));
    }

    /// Takes the frames that were waiting for `ip` on `port`.
    pub fn take_waiting(&mut self, port: PortId, ip: Ipv4Addr) -> Vec<Frame> {
        match self
            .pending
            .iter()
            .position(|p| p.port == port && p.ip == ip)
        {
            Some(i) => self.pending.swap_remove(i).frames,
            None => Vec::new(),
        }
    }

    pub fn forget_port(&mut self, port: PortId) {
        self.entries.retain(|k, _| k.port() != port);
        self.pending.retain(|p| p.port != port);
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: MacAddr = MacAddr(2, 0, 0, 0, 0, 1);
    const B: MacAddr = MacAddr(2, 0, 0, 0, 0, 2);

    /// Frames of `len` bytes numbered by their first byte, held under `limit` in turn; the
    /// numbers kept and the numbers dropped, in the order they were dropped.
    fn hold_all(limit: WaitingLimit, lens: &[usize]) -> (Vec<u8>, Vec<u8>, usize) {
        let mut p = Pending::new(PortId(0), Ipv4Addr::new(10, 0, 0, 9));
        let mut dropped = Vec::new();
        for (i, len) in lens.iter().enumerate() {
            let mut bytes = vec![0u8; *len];
            bytes[0] = i as u8;
            p.hold(Frame::new(bytes, None), limit, |f| dropped.push(f.bytes[0]));
        }
        let kept = p.frames.iter().map(|f| f.bytes[0]).collect();
        (kept, dropped, p.bytes)
    }

    #[test]
    fn a_frame_count_drops_the_newest_frames() {
        let (kept, dropped, bytes) = hold_all(WaitingLimit::Frames { frames: 3 }, &[60; 5]);
        assert_eq!(kept, [0, 1, 2]);
        assert_eq!(dropped, [3, 4]);
        assert_eq!(bytes, 0, "a count of frames counts no bytes");
    }

    #[test]
    fn a_byte_count_drops_the_oldest_frames_to_make_room_for_the_new_one() {
        // Linux's numbers: 1514 bytes count 1536 + 576 = 2112; 212,992 bytes hold 100.
        let linux = WaitingLimit::Bytes {
            bytes: 212_992,
            align: 64,
            overhead: 576,
        };
        assert_eq!(linux.charge(1514), 2112);
        assert_eq!(linux.charge(60), 640);
        assert_eq!(linux.charge(64), 640);
        let (kept, dropped, bytes) = hold_all(linux, &[1514; 103]);
        assert_eq!(kept.len(), 100);
        assert_eq!(dropped, [0, 1, 2], "the oldest go first");
        assert_eq!(kept[0], 3);
        assert_eq!(kept[99], 102, "the newest is always queued");
        assert_eq!(bytes, 100 * 2112);

        // A big frame pushes out as many small ones as it needs; a frame over the whole
        // limit on its own still waits, alone.
        let small = WaitingLimit::Bytes {
            bytes: 2000,
            align: 64,
            overhead: 576,
        };
        let (kept, dropped, _) = hold_all(small, &[60, 60, 60, 600]);
        assert_eq!((kept, dropped), (vec![2, 3], vec![0, 1]));
        let (kept, dropped, bytes) = hold_all(small, &[60, 3000]);
        assert_eq!((kept, dropped, bytes), (vec![1], vec![0], 3008 + 576));
    }

    #[test]
    fn a_confirmed_entry_goes_stale_when_its_time_runs_out() {
        let mut c = ArpCache::default();
        let ip = Ipv4Addr::new(10, 0, 0, 1);
        c.confirm(PortId(0), ip, A, SimTime(30));
        let e = *c.entry(PortId(0), ip).unwrap();
        assert_eq!(e.state_at(SimTime(29)), Nud::Reachable(SimTime(30)));
        assert_eq!(e.state_at(SimTime(30)), Nud::Stale);
    }

    #[test]
    fn unsolicited_news_only_changes_what_changed() {
        let mut c = ArpCache::default();
        let ip = Ipv4Addr::new(10, 0, 0, 1);
        c.unsolicited(PortId(0), ip, A);
        assert_eq!(c.entry(PortId(0), ip).unwrap().state(), Nud::Stale);
        c.confirm(PortId(0), ip, A, SimTime(30));
        // The same MAC again (a gratuitous ARP of a host we know) keeps the entry reachable.
        c.unsolicited(PortId(0), ip, A);
        assert_eq!(
            c.entry(PortId(0), ip).unwrap().state(),
            Nud::Reachable(SimTime(30))
        );
        // A new MAC for the address replaces the old one at once, to be checked on use.
        c.unsolicited(PortId(0), ip, B);
        let e = c.entry(PortId(0), ip).unwrap();
        assert_eq!((e.mac, e.state()), (B, Nud::Stale));
    }
}
