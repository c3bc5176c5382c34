//! The ARP cache, the frames waiting for a resolution, and neighbour unreachability
//! detection (RFC 4861 section 7.3, which both common IPv4 stacks apply to ARP entries).
//!
//! An entry is `Reachable` until its reachable time runs out, then `Stale`: still used, but
//! the first packet sent to it starts a `Delay`; the first packet after the delay starts
//! unicast requests to the cached MAC that `Probe` it; without an answer the entry goes and
//! the next packet asks by broadcast. Ageing is lazy: an entry's state is read against the
//! clock when it is used, and only an entry that is being probed has a timer (one), so
//! forwarding adds no event per packet and an entry nobody uses costs nothing.

use crate::device::Frame;
use crate::fastmap::FastMap;
use crate::id::PortId;
use crate::time::SimTime;
use crate::wire::MacAddr;
use std::net::Ipv4Addr;

/// How many frames may wait for one address before newer ones are dropped.
pub const MAX_WAITING: usize = 16;
/// ARP requests sent before the waiting frames are dropped.
pub const MAX_TRIES: u8 = 3;

#[derive(Debug)]
pub struct Pending {
    pub port: PortId,
    pub ip: Ipv4Addr,
    pub frames: Vec<Frame>,
    pub tries: u8,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub mac: MacAddr,
    pub state: Nud,
    /// The entry was confirmed once (it did not only come from a request).
    pub confirmed: bool,
}

impl Entry {
    /// The state at `now`: a reachable entry whose time ran out is stale.
    pub fn state_at(&self, now: SimTime) -> Nud {
        match self.state {
            Nud::Reachable(until) if now >= until => Nud::Stale,
            s => s,
        }
    }

    /// Whether using the entry at `now` moves its check on: it is stale, or its delay is
    /// over.
    #[inline]
    pub fn due(&self, now: SimTime) -> bool {
        match self.state {
            Nud::Reachable(until) | Nud::Delay(until) => now >= until,
            Nud::Stale => true,
            Nud::Probe { .. } => false,
        }
    }
}

#[derive(Debug, Default)]
pub struct ArpCache {
    entries: FastMap<u64, Entry>,
    pub pending: Vec<Pending>,
}

pub fn key(port: PortId, ip: Ipv4Addr) -> u64 {
    (u64::from(port.0) << 32) | u64::from(u32::from(ip))
}

impl ArpCache {
    /// Every entry as (port, address, entry), sorted by port and address (`ip neigh`).
    pub fn entries(&self) -> Vec<(PortId, Ipv4Addr, Entry)> {
        let mut all: Vec<(PortId, Ipv4Addr, Entry)> = self
            .entries
            .iter()
            .map(|(k, e)| (PortId((k >> 32) as u16), Ipv4Addr::from(*k as u32), *e))
            .collect();
        all.sort_by_key(|(p, ip, _)| (*p, *ip));
        all
    }

    /// The cached MAC, whatever the entry's state.
    pub fn lookup(&self, port: PortId, ip: Ipv4Addr) -> Option<MacAddr> {
        self.entries.get(&key(port, ip)).map(|e| e.mac)
    }

    pub fn entry(&self, port: PortId, ip: Ipv4Addr) -> Option<&Entry> {
        self.entries.get(&key(port, ip))
    }

    pub fn entry_mut(&mut self, port: PortId, ip: Ipv4Addr) -> Option<&mut Entry> {
        self.entries.get_mut(&key(port, ip))
    }

    /// Whether `ip` has an entry or a resolution in progress on `port`.
    pub fn knows(&self, port: PortId, ip: Ipv4Addr) -> bool {
        self.entries.contains_key(&key(port, ip))
            || self.pending.iter().any(|p| p.port == port && p.ip == ip)
    }

    /// Every address with an entry or a resolution in progress, on any port, in no
    /// particular order (for a filter that does not depend on it: `quiet`).
    pub fn addresses(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        let entries = self.entries.keys().map(|k| Ipv4Addr::from(*k as u32));
        entries.chain(self.pending.iter().map(|p| p.ip))
    }

    /// An answer confirmed `ip` is at `mac`: reachable until `until`.
    pub fn confirm(&mut self, port: PortId, ip: Ipv4Addr, mac: MacAddr, until: SimTime) {
        let e = self.entries.entry(key(port, ip)).or_insert(Entry {
            mac,
            state: Nud::Stale,
            confirmed: true,
        });
        e.mac = mac;
        e.state = Nud::Reachable(until);
        e.confirmed = true;
    }

    /// `ip` said it is at `mac` without being asked (a request, a broadcast or gratuitous
    /// reply): a new entry, or a changed MAC, is stale; the same MAC keeps its state.
    pub fn unsolicited(&mut self, port: PortId, ip: Ipv4Addr, mac: MacAddr) {
        let e = self.entries.entry(key(port, ip)).or_insert(Entry {
            mac,
            state: Nud::Stale,
            confirmed: false,
        });
        if e.mac != mac {
            e.mac = mac;
            e.state = Nud::Stale;
            e.confirmed = false;
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
        self.entries.retain(|k, _| (k >> 32) as u16 != port.0);
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
        assert_eq!(c.entry(PortId(0), ip).unwrap().state, Nud::Stale);
        c.confirm(PortId(0), ip, A, SimTime(30));
        // The same MAC again (a gratuitous ARP of a host we know) keeps the entry reachable.
        c.unsolicited(PortId(0), ip, A);
        assert_eq!(
            c.entry(PortId(0), ip).unwrap().state,
            Nud::Reachable(SimTime(30))
        );
        // A new MAC for the address replaces the old one at once, to be checked on use.
        c.unsolicited(PortId(0), ip, B);
        let e = c.entry(PortId(0), ip).unwrap();
        assert_eq!((e.mac, e.state), (B, Nud::Stale));
    }
}
