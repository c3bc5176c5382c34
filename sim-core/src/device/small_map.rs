//! A map that keeps its first few entries inline, in the memory of the device that owns it,
//! and moves to a hash map (`FastMap`) only when it outgrows them.
//!
//! A container's ARP cache holds two or three neighbours and its socket set binds one or
//! two ports, yet both are read on every packet. A hash map puts them in a table of its own:
//! at a thousand containers, each visit of a stack then misses the cache twice for each
//! (the control bytes, then the bucket) once the stack's memory was evicted since its last
//! visit (issue 13, flatness). Inline, a look-up is a scan of a few keys beside the rest of
//! the stack. Iteration order is the slots' order (inline) or the hash map's: callers sort
//! what reaches output, as they did with the hash map alone.

use crate::fastmap::FastMap;
use std::hash::Hash;

/// `repr(C)`: what a look-up reads first (whether it spilled, how many slots are full),
/// then the slots in order.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct SmallMap<K, V, const N: usize> {
    /// Every entry, once there were more than `N` (the inline slots are then empty); it stays
    /// the home of the entries until the map is cleared.
    spilled: Option<Box<FastMap<K, V>>>,
    len: u8,
    /// The entries while there are at most `N`: the first `len` slots (a removal moves the
    /// last one into the gap).
    inline: [Option<(K, V)>; N],
}

impl<K, V, const N: usize> Default for SmallMap<K, V, N> {
    fn default() -> Self {
        SmallMap {
            spilled: None,
            len: 0,
            inline: [const { None }; N],
        }
    }
}

impl<K: Copy + Eq + Hash, V, const N: usize> SmallMap<K, V, N> {
    #[inline]
    fn slot(&self, k: &K) -> Option<usize> {
        self.inline[..usize::from(self.len)]
            .iter()
            .position(|s| s.as_ref().is_some_and(|(sk, _)| sk == k))
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        match &self.spilled {
            None => self.len == 0,
            Some(m) => m.is_empty(),
        }
    }

    #[inline]
    pub fn get(&self, k: &K) -> Option<&V> {
        match &self.spilled {
            None => self.inline[..usize::from(self.len)]
                .iter()
                .find_map(|s| s.as_ref().filter(|(sk, _)| sk == k).map(|(_, v)| v)),
            Some(m) => m.get(k),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        if self.spilled.is_some() {
            return self.spilled.as_mut().and_then(|m| m.get_mut(k));
        }
        let i = self.slot(k)?;
        self.inline[i].as_mut().map(|(_, v)| v)
    }

    #[inline]
    pub fn contains_key(&self, k: &K) -> bool {
        self.get(k).is_some()
    }

    /// The value for `k`, inserting `make()` first if there is none.
    pub fn get_or_insert_with(&mut self, k: K, make: impl FnOnce() -> V) -> &mut V {
        if self.spilled.is_none() {
            if let Some(i) = self.slot(&k) {
                return &mut self.inline[i].as_mut().expect("a slot below len is full").1;
            }
            if usize::from(self.len) < N {
                let i = usize::from(self.len);
                self.len += 1;
                return &mut self.inline[i].insert((k, make())).1;
            }
            self.spill();
        }
        self.spilled
            .as_mut()
            .expect("spilled above")
            .entry(k)
            .or_insert_with(make)
    }

    /// Sets `k` to `v` (replacing any value it had).
    pub fn insert(&mut self, k: K, v: V) {
        let mut v = Some(v);
        let slot = self.get_or_insert_with(k, || v.take().expect("taken once"));
        if let Some(v) = v {
            *slot = v;
        }
    }

    /// Moves the inline entries into the hash map, which holds every entry from now on.
    #[cold]
    fn spill(&mut self) {
        let mut m: FastMap<K, V> = FastMap::default();
        for s in &mut self.inline[..usize::from(self.len)] {
            if let Some((k, v)) = s.take() {
                m.insert(k, v);
            }
        }
        self.len = 0;
        self.spilled = Some(Box::new(m));
    }

    pub fn remove(&mut self, k: &K) -> Option<V> {
        if let Some(m) = &mut self.spilled {
            return m.remove(k);
        }
        let i = self.slot(k)?;
        let last = usize::from(self.len) - 1;
        self.inline.swap(i, last);
        self.len -= 1;
        self.inline[last].take().map(|(_, v)| v)
    }

    /// Keeps the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        if let Some(m) = &mut self.spilled {
            m.retain(|k, v| keep(k, v));
            return;
        }
        let mut i = 0;
        while i < usize::from(self.len) {
            let kept = match &mut self.inline[i] {
                Some((k, v)) => keep(k, v),
                None => false,
            };
            if kept {
                i += 1;
            } else {
                let last = usize::from(self.len) - 1;
                self.inline.swap(i, last);
                self.inline[last] = None;
                self.len -= 1;
            }
        }
    }

    /// Forgets every entry; the map is inline again.
    pub fn clear(&mut self) {
        self.inline = [const { None }; N];
        self.len = 0;
        self.spilled = None;
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        let inline = self.inline[..usize::from(self.len)]
            .iter()
            .flatten()
            .map(|(k, v)| (k, v));
        let spilled = self.spilled.iter().flat_map(|m| m.iter());
        inline.chain(spilled)
    }

    /// Every key, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The map answers what a hash map given the same operations answers, inline, past
    /// its inline slots, and cleared again.
    #[test]
    fn a_small_map_behaves_as_a_hash_map() {
        let mut small: SmallMap<u32, u32, 3> = SmallMap::default();
        let mut model: FastMap<u32, u32> = FastMap::default();
        let check = |small: &SmallMap<u32, u32, 3>, model: &FastMap<u32, u32>| {
            for k in 0..12 {
                assert_eq!(small.get(&k), model.get(&k), "key {k}");
            }
            assert_eq!(small.is_empty(), model.is_empty());
            let mut a: Vec<(u32, u32)> = small.iter().map(|(k, v)| (*k, *v)).collect();
            let mut b: Vec<(u32, u32)> = model.iter().map(|(k, v)| (*k, *v)).collect();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b);
        };
        // A fixed walk of inserts, updates, removals and retains over 12 keys.
        let mut x: u32 = 7;
        for round in 0..400u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let k = (x >> 16) % 12;
            match (x >> 8) % 6 {
                0 | 1 => {
                    small.insert(k, round);
                    model.insert(k, round);
                }
                2 => {
                    *small.get_or_insert_with(k, || round) += 1;
                    *model.entry(k).or_insert(round) += 1;
                }
                3 => assert_eq!(small.remove(&k), model.remove(&k)),
                4 => {
                    small.retain(|k, _| k % 3 != round % 3);
                    model.retain(|k, _| k % 3 != round % 3);
                }
                _ => {
                    if let (Some(a), Some(b)) = (small.get_mut(&k), model.get_mut(&k)) {
                        *a += 5;
                        *b += 5;
                    }
                }
            }
            check(&small, &model);
            if round % 97 == 96 {
                small.clear();
                model.clear();
                check(&small, &model);
            }
        }
    }
}
