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
    /// A configuration change scheduled by the caller (a docker command, a link going down,
    /// a reboot): no device sees it; `Engine::run_until` stops and says it is due.
    Control { token: u64 },
}

/// A heap entry, 16 bytes: the time in the high 64 bits, then the insertion order among
/// queued events (renumbered when it would wrap) and the event's slot in the slab, so that
/// one integer comparison orders by (time, insertion), sifting moves small entries, not whole
/// frames, and a node's four children share one cache line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry(u128);

impl Entry {
    fn new(time: u64, seq: u32, slot: u32) -> Self {
        Entry((u128::from(time) << 64) | (u128::from(seq) << 32) | u128::from(slot))
    }
    fn time(self) -> u64 {
        (self.0 >> 64) as u64
    }
    fn slot(self) -> u32 {
        self.0 as u32
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // Reversed so that the max-heap pops the smallest (time, seq) first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.0.cmp(&self.0)
    }
}

/// A priority queue of events ordered by `(time, seq)`. A 4-ary heap of small entries; the
/// events themselves live in a slab whose free slots are reused, so a steady workload
/// allocates nothing here.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: dary_heap::QuaternaryHeap<Entry>,
    slab: Vec<Option<Event>>,
    free: Vec<u32>,
    next_seq: u32,
}

impl EventQueue {
    pub fn push(&mut self, time: SimTime, event: Event) {
        if self.next_seq == u32::MAX {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some(event);
                s
            }
            None => {
                self.slab.push(Some(event));
                // The slab holds only queued events: billions would not fit in memory first.
                u32::try_from(self.slab.len() - 1).expect("fewer than 2^32 queued events")
            }
        };
        self.heap.push(Entry::new(time.0, seq, slot));
    }

    /// Gives the queued events sequence numbers 0, 1, … in their order, so that numbering
    /// can go on (every 2^32 pushes; the order of events never changes).
    fn renumber(&mut self) {
        let mut entries = std::mem::take(&mut self.heap).into_vec();
        entries.sort_by_key(|e| e.0);
        for (i, e) in entries.iter_mut().enumerate() {
            *e = Entry::new(e.time(), i as u32, e.slot());
        }
        self.next_seq = entries.len() as u32;
        self.heap = entries.into();
    }

    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime(e.time()))
    }

    pub fn pop(&mut self) -> Option<(SimTime, Event)> {
        let e = self.heap.pop()?;
        self.free.push(e.slot());
        let event = self.slab[e.slot() as usize]
            .take()
            .expect("a queued slot holds its event");
        Some((SimTime(e.time()), event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
                Event::Arrive { .. } | Event::Control { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(order, vec![2, 4, 1, 3]);
    }

    /// Renumbering keeps the order of the events already queued and of those pushed later.
    #[test]
    fn renumbering_keeps_the_order() {
        let mut q = EventQueue::default();
        for (t, token) in [(5, 1), (3, 2), (5, 3)] {
            q.push(
                SimTime(t),
                Event::Timer {
                    node: NodeId(0),
                    token,
                },
            );
        }
        q.next_seq = u32::MAX;
        q.push(
            SimTime(3),
            Event::Timer {
                node: NodeId(0),
                token: 4,
            },
        );
        q.push(
            SimTime(5),
            Event::Timer {
                node: NodeId(0),
                token: 5,
            },
        );
        assert_eq!(q.next_seq, 5, "three renumbered, two pushed");
        let order: Vec<u64> = std::iter::from_fn(|| q.pop())
            .map(|(_, e)| match e {
                Event::Timer { token, .. } => token,
                Event::Arrive { .. } | Event::Control { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(order, vec![2, 4, 1, 3, 5]);
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
