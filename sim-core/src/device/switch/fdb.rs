//! The switch's MAC table: an open-addressed table whose slot holds the key and the port
//! together.
//!
//! Every frame on a switch's plain path looks up two keys (its destination, and its source
//! to learn it). A hash map that keeps its control bytes apart from its entries reads two
//! cache lines per look-up; at a thousand containers both are out of the cache between two
//! frames of one container, so each look-up cost two misses (issue 13). Here a look-up reads
//! the slot its hash names and, rarely, the next few: one line. Linear probing, at most three
//! quarters full (as dense as the hash map it replaced: at half full, the larger table cost
//! more misses in a 1 MB cache than it saved); a removal shifts the entries after it back,
//! so no tombstones build up. Never iterated where order could reach output: `retain` only
//! filters.

use crate::id::PortId;

/// One entry, or a free slot (`!used`; the flag lies in what would be padding).
#[derive(Clone, Copy, Debug)]
struct Slot {
    key: u64,
    port: PortId,
    used: bool,
}

const FREE: Slot = Slot {
    key: 0,
    port: PortId(0),
    used: false,
};

/// Keys (VLAN and MAC) to ports.
#[derive(Clone, Debug, Default)]
pub(super) struct MacTable {
    /// A power of two long (or empty); at most three quarters of them hold entries.
    slots: Vec<Slot>,
    len: usize,
}

impl MacTable {
    /// The slot `key` hashes to: Fibonacci hashing, the multiply's high bits (the low bits
    /// of a MAC address are what differ between a host's vNICs, and the multiply spreads
    /// them upward).
    #[inline]
    fn home(&self, key: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        let h = key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // `bits` is at least 4 (`grow`), so the shift is in range.
        (h >> (64 - bits)) as usize
    }

    /// The index of `key`'s slot, or of the empty slot where it would go.
    #[inline]
    fn find(&self, key: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let s = self.slots[i];
            if !s.used || s.key == key {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// Always inlined, and the slot is read once (through `find` it was read again, bounds
    /// checked twice): the switch's plain path looks up every frame's destination. Its own
    /// probe loop on purpose: `find` handing back the slot it read measured 2.4 million
    /// instructions more at bridge-echo 256 x 200 (4.7 million when not forced inline).
    #[inline(always)]
    pub fn get(&self, key: u64) -> Option<PortId> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let s = self.slots[i];
            if !s.used {
                return None;
            }
            if s.key == key {
                return Some(s.port);
            }
            i = (i + 1) & mask;
        }
    }

    /// Puts `key` behind `port`, whether it was known or not.
    #[inline]
    pub fn insert(&mut self, key: u64, port: PortId) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let i = self.find(key);
        if !self.slots[i].used {
            self.len += 1;
        }
        self.slots[i] = Slot {
            key,
            port,
            used: true,
        };
    }

    /// Doubles the table (16 slots at first) and puts every entry back.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![FREE; size]);
        for s in old.into_iter().filter(|s| s.used) {
            let i = self.find(s.key);
            self.slots[i] = s;
        }
    }

    pub fn remove(&mut self, key: u64) {
        if self.slots.is_empty() {
            return;
        }
        let mut hole = self.find(key);
        if !self.slots[hole].used || self.slots[hole].key != key {
            return;
        }
        self.len -= 1;
        // Shift back each following entry of the run that may move into the hole: one whose
        // home is not in the cyclic range (hole, j].
        let mask = self.slots.len() - 1;
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let s = self.slots[j];
            if !s.used {
                break;
            }
            let home = self.home(s.key);
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.slots[hole] = s;
                hole = j;
            }
        }
        self.slots[hole] = FREE;
    }

    /// Keeps only the entries for which `keep(port)` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(PortId) -> bool) {
        let gone: Vec<u64> = self
            .slots
            .iter()
            .filter(|s| s.used && !keep(s.port))
            .map(|s| s.key)
            .collect();
        for key in gone {
            self.remove(key);
        }
    }

    pub fn clear(&mut self) {
        self.slots.fill(FREE);
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Whatever is inserted, removed and filtered, in any order, the table answers as a
        /// map from key to port would.
        #[test]
        fn the_table_is_a_map_from_key_to_port(
            ops in prop::collection::vec((0u8..4, 0u64..200, 0u16..8), 0..400)
        ) {
            let mut table = MacTable::default();
            let mut model = BTreeMap::new();
            for (op, k, p) in ops {
                // Keys close together, as a host's MACs are, and one far apart.
                let key = if k == 199 { u64::MAX } else { 0x0015_5d00_0000 + k };
                match op {
                    0 | 1 => {
                        table.insert(key, PortId(p));
                        model.insert(key, p);
                    }
                    2 => {
                        table.remove(key);
                        model.remove(&key);
                    }
                    _ => {
                        table.retain(|port| port.0 != p);
                        model.retain(|_, port| *port != p);
                    }
                }
                prop_assert_eq!(table.len, model.len());
                for k in 0..200 {
                    let key = if k == 199 { u64::MAX } else { 0x0015_5d00_0000 + k };
                    prop_assert_eq!(table.get(key).map(|p| p.0), model.get(&key).copied());
                }
            }
            table.clear();
            prop_assert_eq!(table.get(0x0015_5d00_0000), None);
        }
    }
}
