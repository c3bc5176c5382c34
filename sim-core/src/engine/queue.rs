//! The event queue: events ordered by (time, insertion sequence).
//!
//! The sequence number breaks ties in insertion order, so two events at the same nanosecond
//! always run in the same order, run after run.

use crate::device::Frame;
use crate::id::{NodeId, PortId};
use crate::time::SimTime;

#[derive(Debug)]
pub enum Event {
    /// A frame finishes arriving at a node's port.
    Arrive {
        node: NodeId,
        port: PortId,
        frame: Frame,
    },
    /// A timer a device asked for.
    Timer { node: NodeId, token: u64 },
}

/// A monotone priority queue of events: a radix heap keyed by `(time, seq)` packed into a
/// u128. The engine almost never schedules an event before the last one it looked at, which is what a
/// radix heap needs; in exchange a push is O(1) and a pop moves each entry at most 128
/// times over its life, with no comparisons between whole entries. (A push before the
/// bound, which only follows a `run_until` that stopped early, re-buckets once.) Events live in a slab
/// whose free slots are reused, so a steady workload allocates nothing here.
#[derive(Debug)]
pub struct EventQueue {
    /// Bucket `i` holds keys whose highest bit differing from `last` is bit `i - 1`;
    /// bucket 0 holds the key equal to `last` (keys are unique, so at most one).
    buckets: Vec<Vec<(u128, u32)>>,
    last: u128,
    len: usize,
    slab: Vec<Option<Event>>,
    free: Vec<u32>,
    next_seq: u64,
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue {
            buckets: vec![Vec::new(); 129],
            last: 0,
            len: 0,
            slab: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
        }
    }
}

fn bucket(key: u128, last: u128) -> usize {
    if key == last {
        0
    } else {
        128 - (key ^ last).leading_zeros() as usize
    }
}

fn key_time(key: u128) -> SimTime {
    SimTime((key >> 64) as u64)
}

impl EventQueue {
    pub fn push(&mut self, time: SimTime, event: Event) {
        let key = (u128::from(time.0) << 64) | u128::from(self.next_seq);
        self.next_seq += 1;
        if key < self.last {
            self.rebase(key);
        }
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some(event);
                s
            }
            None => {
                self.slab.push(Some(event));
                (self.slab.len() - 1) as u32
            }
        };
        self.buckets[bucket(key, self.last)].push((key, slot));
        self.len += 1;
    }

    /// Moves the smallest key into bucket 0 and makes it the bound `last`.
    fn settle(&mut self) -> Option<u128> {
        if self.len == 0 {
            return None;
        }
        if let Some(&(k, _)) = self.buckets[0].first() {
            return Some(k);
        }
        let i = (1..self.buckets.len()).find(|i| !self.buckets[*i].is_empty())?;
        let mut moving = std::mem::take(&mut self.buckets[i]);
        let min = moving
            .iter()
            .map(|(k, _)| *k)
            .min()
            .expect("bucket is not empty");
        self.last = min;
        for (k, slot) in moving.drain(..) {
            self.buckets[bucket(k, min)].push((k, slot));
        }
        // Give the (now empty) vector back so its capacity is reused.
        self.buckets[i] = moving;
        Some(min)
    }

    /// The time of the next event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.settle().map(key_time)
    }

    /// Lowers the bound to `key` and re-buckets everything: needed when the engine schedules
    /// an event before one it has peeked at (after `run_until` stopped short of it). Rare, so
    /// the O(n) cost does not matter.
    fn rebase(&mut self, key: u128) {
        let mut all: Vec<(u128, u32)> = Vec::with_capacity(self.len);
        for b in &mut self.buckets {
            all.append(b);
        }
        self.last = key;
        for (k, slot) in all {
            self.buckets[bucket(k, key)].push((k, slot));
        }
    }

    pub fn pop(&mut self) -> Option<(SimTime, Event)> {
        let key = self.settle()?;
        let (_, slot) = self.buckets[0]
            .pop()
            .expect("settle put the minimum in bucket 0");
        self.len -= 1;
        self.free.push(slot);
        let event = self.slab[slot as usize]
            .take()
            .expect("a queued slot holds its event");
        Some((key_time(key), event))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        let mut q = EventQueue::default();
        for (t, token) in [(5, 1), (3, 2), (5, 3), (3, 4)] {
            q.push(
                SimTime(t),
                Event::Timer {
                    node: NodeId(0),
                    token,
                },
            );
        }
        let order: Vec<u64> = std::iter::from_fn(|| q.pop())
            .map(|(_, e)| match e {
                Event::Timer { token, .. } => token,
                Event::Arrive { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(order, vec![2, 4, 1, 3]);
    }

    proptest::proptest! {
        /// Interleaved pushes (never before the last pop) and pops come out in (time, seq) order.
        #[test]
        fn pops_in_order(ops in proptest::collection::vec((0u64..1000, proptest::bool::ANY), 1..300)) {
            let mut q = EventQueue::default();
            let mut now = 0u64;
            let mut token = 0u64;
            let mut model: Vec<(u64, u64)> = Vec::new();
            for (dt, pop) in ops {
                if pop && !model.is_empty() {
                    model.sort();
                    let want = model.remove(0);
                    let (t, e) = q.pop().unwrap();
                    let Event::Timer { token: got, .. } = e else { unreachable!() };
                    proptest::prop_assert_eq!((t.0, got), want);
                    now = t.0;
                } else {
                    // Peeking must not stop the engine from scheduling before the peeked event.
                    let _ = q.peek_time();
                    let at = now + dt;
                    q.push(SimTime(at), Event::Timer { node: NodeId(0), token });
                    model.push((at, token));
                    token += 1;
                }
            }
            proptest::prop_assert_eq!(q.len(), model.len());
        }
    }
}
