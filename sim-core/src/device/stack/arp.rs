//! The ARP cache and the frames waiting for a resolution.

use crate::device::Frame;
use crate::fastmap::FastMap;
use crate::id::PortId;
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

#[derive(Debug, Default)]
pub struct ArpCache {
    entries: FastMap<u64, MacAddr>,
    pub pending: Vec<Pending>,
}

pub fn key(port: PortId, ip: Ipv4Addr) -> u64 {
    (u64::from(port.0) << 32) | u64::from(u32::from(ip))
}

impl ArpCache {
    pub fn lookup(&self, port: PortId, ip: Ipv4Addr) -> Option<MacAddr> {
        self.entries.get(&key(port, ip)).copied()
    }

    pub fn learn(&mut self, port: PortId, ip: Ipv4Addr, mac: MacAddr) {
        self.entries.insert(key(port, ip), mac);
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
