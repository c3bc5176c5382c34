//! The event queue: events ordered by (time, insertion sequence).
//!
//! The sequence number breaks ties in insertion order, so two events at the same nanosecond
//! always run in the same order, run after run.
//!
//! Near events sit in a timing wheel (a calendar queue of fixed-width buckets, like ns-3's
//! `CalendarScheduler`); far ones in a 4-ary heap until the wheel reaches them. A simulated
//! network's events are mostly a link latency or a timer interval ahead, so a push is an
//! append to a bucket and a pop takes the next entry of the bucket being drained, sorted
//! once when the wheel reaches it (measured in issue 13: the heap's `pop` was 18% of
//! bridge-echo). The order is exactly `(time, seq)`, as with a single heap.

use crate::device::Frame;
use crate::id::{NodeId, PortId};
use crate::time::SimTime;

#[derive(Debug)]
pub enum Event {
    /// A frame finishes arriving at a node's port. `switch_hops` counts the layer-2 hops it
    /// made since it last left an IP layer (`storm::UNICAST_LOOP_HOPS`); it sits in the
    /// event's padding, next to the frame, not in the frame's bytes.
    Arrive {
        node: NodeId,
        port: PortId,
        switch_hops: u16,
        frame: Frame,
    },
    /// A timer a device asked for. Its node takes a whole word (`WordNode`).
    Timer { node: WordNode, token: u64 },
    /// Copies of one flood that arrive at one instant, delivered one by one (`flood`).
    Flood(Box<super::flood::Batch>),
    /// A configuration change scheduled by the caller (a docker command, a link going down,
    /// a reboot): no device sees it; `Engine::run_until` stops and says it is due.
    Control { token: u64 },
}

impl Event {
    /// A timer of `node` that hands `token` back.
    #[inline(always)]
    pub fn timer(node: NodeId, token: u64) -> Event {
        Event::Timer {
            node: WordNode(node),
            token,
        }
    }

    /// A frame that arrives at port `to` after `switch_hops` layer-2 hops.
    #[inline(always)]
    pub fn arrive((node, port): (NodeId, PortId), switch_hops: u16, frame: Frame) -> Event {
        Event::Arrive {
            node,
            port,
            switch_hops,
            frame,
        }
    }
}

/// A timer's node, given a whole 8-byte word of its event (issue 13). An event is moved out
/// of the slab in pieces that suit every variant's fields at once: a 4-byte node at bytes 16
/// to 20 cut a frame's length (bytes 16 to 24) in two, and `Engine::arrive`, which reads that
/// length first, waited for both pieces to reach the cache instead of taking the value from
/// the stores (a store-forwarding stall: `run_until` fell from 18% to 11% of a `perf`
/// profile at 256 hosts when the node took a word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(8))]
pub struct WordNode(pub NodeId);

// `Arrive::switch_hops` sits in what was padding: an event is as big as before, and the
// memory bound (`EVENT_BYTES`) counts the same bytes per queued event.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Event>() == 40);

/// A queue entry, 16 bytes: the time in the high 64 bits, then the insertion order among
/// queued events (renumbered when it would wrap) and the event's slot in the slab, so that
/// one integer comparison orders by (time, insertion), and sorting or sifting moves small
/// entries, not whole frames.
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
    fn bucket(self) -> u64 {
        self.time() >> BUCKET_SHIFT
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

/// A bucket spans 512 ns: an internal link's latency (1 us) lands a frame one or two buckets
/// ahead, so the bucket being drained rarely takes pushes.
const BUCKET_SHIFT: u32 = 9;
/// The wheel covers 1,024 buckets, about 0.5 ms: echo and traffic intervals of 100 us stay
/// in it; retry timers (a second and more) wait in the heap.
const WHEEL: usize = 1024;
const WORDS: usize = WHEEL / 64;
/// The entries every bucket has room for from the start. A bucket keeps its capacity, but
/// grown from nothing by doubling, the 1,025 buffers were reallocated three or four times
/// each during a run's first turns of the wheel (issue 13: 3,400 reallocations, 1.3% of
/// bridge-echo at 256 x 100, and most of its page faults). Made once with the queue; 31
/// entries hold a bucket at a thousand containers, and 496 bytes and the allocator's
/// header are 512, so the buffers lie at a 512-byte stride (32 entries, a 528-byte
/// stride, cost 2.4% more cache misses at 1,024 x 500; 31 cost 13% fewer than growing).
const BUCKET_ROOM: usize = 31;

/// A priority queue of events ordered by `(time, seq)`: a timing wheel for the next
/// `WHEEL` buckets and a heap beyond it. The events themselves live in a slab whose free
/// slots are reused, and buckets keep their capacity, so a steady workload allocates nothing
/// here.
///
/// Invariants: `current[head..]` holds the entries of bucket `cursor` (and any pushed earlier
/// than it), in ascending order (`current[..head]` were popped); the wheel holds entries of buckets
/// `cursor + 1 .. cursor + WHEEL` at `bucket % WHEEL`, unsorted, with their bit set in
/// `occupied`; the heap holds the entries of bucket `cursor + WHEEL` and later.
#[derive(Debug)]
pub struct EventQueue {
    current: Vec<Entry>,
    /// The next entry of `current` to pop: a bucket is drained from its front, so one
    /// already in order (the common case) needs no reversing.
    head: usize,
    /// Where `ascending` merges a bucket's runs (kept to reuse its allocation).
    scratch: Vec<Entry>,
    cursor: u64,
    /// A fixed array, so that a bucket's index (taken modulo `WHEEL`) needs no bounds check.
    wheel: Box<[Vec<Entry>; WHEEL]>,
    occupied: [u64; WORDS],
    far: dary_heap::QuaternaryHeap<Entry>,
    len: usize,
    slab: Vec<Option<Event>>,
    free: Vec<u32>,
    next_seq: u32,
}

/// A bucket of at most this many ascending runs is merged; one of more is sorted.
const MERGE_RUNS: usize = 4;

/// The most popped entries `current` keeps before `head` while its bucket takes pushes.
const KEEP_POPPED: usize = 1024;

/// Orders a bucket ascending. Entries are appended in insertion order, and what is pushed
/// at one delay (a link's latency, a timer's interval) comes in time order, so a bucket is a
/// few ascending runs interleaved: at 1,024 containers, the timers pushed an interval ago and
/// the frames pushed since. A bucket of one run is left as it is; up to `MERGE_RUNS` runs
/// are merged, from their fronts, through `scratch` (`bucket` and `scratch` swap buffers); a
/// bucket of more runs is sorted. Entries are unique (the sequence number), so either way the
/// order is the same (issue 13: sorting buckets from scratch was 4% of bridge-echo at 1,024
/// containers; reversing a bucket of one run to pop it from the back, a third of `advance`).
fn ascending(bucket: &mut Vec<Entry>, scratch: &mut Vec<Entry>) {
    let mut starts = [0usize; MERGE_RUNS + 1];
    let mut runs = 1;
    for i in 1..bucket.len() {
        if bucket[i].0 < bucket[i - 1].0 {
            if runs == MERGE_RUNS {
                bucket.sort_unstable_by_key(|e| e.0);
                return;
            }
            starts[runs] = i;
            runs += 1;
        }
    }
    if runs == 1 {
        return;
    }
    starts[runs] = bucket.len();
    if runs == 2 {
        merge_two(bucket, starts[1], scratch);
        return;
    }
    // Run r still holds bucket[next[r]..starts[r + 1]]; each step takes the smallest of the
    // runs' first entries.
    let mut next = [0usize; MERGE_RUNS];
    next[..runs].copy_from_slice(&starts[..runs]);
    scratch.clear();
    scratch.reserve(bucket.len());
    for _ in 0..bucket.len() {
        let mut best: Option<(usize, Entry)> = None;
        for r in 0..runs {
            if next[r] < starts[r + 1] {
                let e = bucket[next[r]];
                if best.is_none_or(|(_, b)| e.0 < b.0) {
                    best = Some((r, e));
                }
            }
        }
        let Some((r, e)) = best else { break };
        scratch.push(e);
        next[r] += 1;
    }
    std::mem::swap(bucket, scratch);
}

/// `ascending` for the common bucket of two runs, `bucket[..mid]` and `bucket[mid..]`:
/// one comparison per entry, from the runs' fronts (the general merge looks at every run for
/// every entry). The runs shrink as slices and the output is filled in place, so the loop
/// has no bounds or capacity checks (issue 13: it was half of `advance`).
fn merge_two(bucket: &mut Vec<Entry>, mid: usize, scratch: &mut Vec<Entry>) {
    // Every slot is written below, so what `scratch` holds (the bucket before last) is kept
    // rather than cleared and filled again: only a longer bucket's extra slots are filled.
    scratch.resize(bucket.len(), Entry(0));
    let (mut a, mut b) = bucket.split_at(mid);
    let mut out = scratch.iter_mut();
    while let (Some((&x, rest_a)), Some((&y, rest_b))) = (a.split_first(), b.split_first()) {
        let Some(slot) = out.next() else { break };
        let from_a = x.0 < y.0;
        *slot = if from_a { x } else { y };
        if from_a {
            a = rest_a;
        } else {
            b = rest_b;
        }
    }
    // One run is used up: the other's entries are the largest, in order.
    for (slot, &e) in out.zip(a.iter().chain(b.iter())) {
        *slot = e;
    }
    std::mem::swap(bucket, scratch);
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue {
            current: Vec::with_capacity(BUCKET_ROOM),
            head: 0,
            scratch: Vec::new(),
            cursor: 0,
            wheel: Box::new(std::array::from_fn(|_| Vec::with_capacity(BUCKET_ROOM))),
            occupied: [0; WORDS],
            far: dary_heap::QuaternaryHeap::new(),
            len: 0,
            slab: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
        }
    }
}

impl EventQueue {
    /// Always inlined, so that the event is written straight into its slot: passed to a
    /// call, it was built on the stack and read back in other widths, and the store it
    /// waited for stalled `push` (most of its 13% of `perf` at 256 x 2,000).
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, event: Event) {
        if self.next_seq == u32::MAX {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                // A free slot holds `None`: nothing to drop, and the compiler is told so
                // (an assignment would test what it replaces, every push).
                let old = self.slab[s as usize].replace(event);
                debug_assert!(old.is_none(), "a free slot is empty");
                std::mem::forget(old);
                s
            }
            None => {
                self.slab.push(Some(event));
                // The slab holds only queued events: billions would not fit in memory first.
                u32::try_from(self.slab.len() - 1).expect("fewer than 2^32 queued events")
            }
        };
        self.len += 1;
        self.place(Entry::new(time.0, seq, slot));
    }

    /// Puts an entry where the invariants say it belongs. Inline for the common case, a
    /// bucket of the wheel ahead of the cursor.
    #[inline]
    fn place(&mut self, e: Entry) {
        let b = e.bucket();
        // `cursor < b < cursor + WHEEL` in one comparison: a bucket at or before the cursor
        // wraps to a huge distance.
        if b.wrapping_sub(self.cursor + 1) < WHEEL as u64 - 1 {
            let i = (b % WHEEL as u64) as usize;
            self.wheel[i].push(e);
            self.occupied[i / 64] |= 1 << (i % 64);
        } else {
            self.place_off_wheel(e);
        }
    }

    /// `place` for an entry of the bucket being drained (or earlier) or past the wheel.
    #[inline(never)]
    fn place_off_wheel(&mut self, e: Entry) {
        let b = e.bucket();
        if b <= self.cursor {
            // The popped entries wait before `head` until the next bucket; events that keep
            // coming into this one (a chain of zero-delay events) would keep them all, so
            // past `KEEP_POPPED` they are let go here, the one place `current` grows.
            if self.head >= KEEP_POPPED {
                self.current.drain(..self.head);
                self.head = 0;
            }
            // Into the bucket being drained (or before it: a push after a peek may be
            // earlier than the peeked event), among the entries not yet popped, in order.
            let at = self.head + self.current[self.head..].partition_point(|x| x.0 < e.0);
            self.current.insert(at, e);
        } else {
            debug_assert!(b - self.cursor >= WHEEL as u64);
            self.far.push(e);
        }
    }

    /// The first occupied wheel bucket after `cursor`, as an absolute bucket number.
    fn next_occupied(&self) -> Option<u64> {
        let start = ((self.cursor + 1) % WHEEL as u64) as usize;
        // Scan WORDS + 1 words from start's word, wrapping, masking off bits before start in
        // the first word; the wrap-around visit of that word catches the bits before start.
        let (w0, b0) = (start / 64, start % 64);
        for k in 0..=WORDS {
            let w = (w0 + k) % WORDS;
            let mut bits = self.occupied[w];
            if k == 0 {
                bits &= !0u64 << b0;
            }
            if bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                let ahead = (i + WHEEL - start) % WHEEL;
                return Some(self.cursor + 1 + ahead as u64);
            }
        }
        None
    }

    /// Moves the cursor to the next bucket that holds an entry and sorts it into `current`.
    /// Returns false when the queue is empty. Out of line: once a bucket, not once an event.
    #[inline(never)]
    fn advance(&mut self) -> bool {
        debug_assert_eq!(self.head, self.current.len(), "the bucket was drained");
        // Emptied here, not as each entry is popped; kept empty if there is no next bucket.
        self.current.clear();
        self.head = 0;
        let next = match self.next_occupied() {
            Some(b) => b,
            None => match self.far.peek() {
                Some(e) => e.bucket(),
                None => return false,
            },
        };
        self.cursor = next;
        let i = (next % WHEEL as u64) as usize;
        std::mem::swap(&mut self.current, &mut self.wheel[i]);
        self.occupied[i / 64] &= !(1 << (i % 64));
        // The wheel now reaches `WHEEL` buckets past the new cursor: bring the heap's
        // entries it covers into it.
        while let Some(&e) = self.far.peek() {
            if e.bucket() - self.cursor >= WHEEL as u64 {
                break;
            }
            self.far.pop();
            if e.bucket() == self.cursor {
                self.current.push(e);
            } else {
                let i = (e.bucket() % WHEEL as u64) as usize;
                self.wheel[i].push(e);
                self.occupied[i / 64] |= 1 << (i % 64);
            }
        }
        ascending(&mut self.current, &mut self.scratch);
        true
    }

    /// Gives the queued events sequence numbers 0, 1, … in their order, so that numbering
    /// can go on (every 2^32 pushes; the order of events never changes).
    #[cold]
    #[inline(never)]
    fn renumber(&mut self) {
        let mut entries: Vec<Entry> = std::mem::take(&mut self.current);
        entries.drain(..self.head);
        self.head = 0;
        for bucket in self.wheel.iter_mut() {
            entries.append(bucket);
        }
        entries.extend(std::mem::take(&mut self.far).into_vec());
        self.occupied = [0; WORDS];
        entries.sort_by_key(|e| e.0);
        for (i, e) in entries.iter_mut().enumerate() {
            *e = Entry::new(e.time(), i as u32, e.slot());
        }
        self.next_seq = entries.len() as u32;
        if let Some(first) = entries.first() {
            self.cursor = self.cursor.max(first.bucket());
        }
        // In ascending order, as `current` keeps them.
        for e in entries {
            self.place_ascending(e);
        }
    }

    /// `place` for entries arriving in ascending order into an empty `current`.
    fn place_ascending(&mut self, e: Entry) {
        if e.bucket() <= self.cursor {
            self.current.push(e);
        } else {
            self.place(e);
        }
    }

    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        // The entry is read where it is found (a test for a drained bucket first was a
        // second comparison, every event).
        if let Some(e) = self.current.get(self.head) {
            return Some(SimTime(e.time()));
        }
        if !self.advance() {
            return None;
        }
        self.current.get(self.head).map(|e| SimTime(e.time()))
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, Event)> {
        if self.head == self.current.len() && !self.advance() {
            return None;
        }
        self.pop_peeked()
    }

    /// `pop` when the bucket being drained holds the next event (`peek_time` just found
    /// it): there is no bucket to move to (a check and a call fewer per event).
    #[inline(always)]
    pub fn pop_peeked(&mut self) -> Option<(SimTime, Event)> {
        debug_assert!(
            self.head < self.current.len(),
            "the bucket holds the next event"
        );
        let e = *self.current.get(self.head)?;
        self.head += 1;
        self.len -= 1;
        self.free.push(e.slot());
        let event = self.slab[e.slot() as usize]
            .take()
            .expect("a queued slot holds its event");
        Some((SimTime(e.time()), event))
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
            q.push(SimTime(t), Event::timer(NodeId(0), token));
        }
        let order: Vec<u64> = std::iter::from_fn(|| q.pop())
            .map(|(_, e)| match e {
                Event::Timer { token, .. } => token,
                Event::Arrive { .. } | Event::Flood(_) | Event::Control { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(order, vec![2, 4, 1, 3]);
    }

    /// Events that keep arriving in the bucket being drained (each pushed at the time of the
    /// one just popped) come out in order, and the bucket does not keep every popped entry.
    #[test]
    fn a_chain_of_zero_delay_events_keeps_few_popped_entries() {
        let mut q = EventQueue::default();
        let timer = |token| Event::timer(NodeId(0), token);
        q.push(SimTime(7), timer(0));
        for token in 1..10_000 {
            let (t, e) = q.pop().expect("one event is queued");
            assert_eq!(t, SimTime(7));
            assert!(matches!(e, Event::Timer { token: got, .. } if got == token - 1));
            q.push(SimTime(7), timer(token));
            assert!(
                q.current.len() <= KEEP_POPPED + 1,
                "{} kept",
                q.current.len()
            );
        }
        assert_eq!(q.len(), 1);
    }

    /// Renumbering keeps the order of the events already queued and of those pushed later.
    #[test]
    fn renumbering_keeps_the_order() {
        let mut q = EventQueue::default();
        for (t, token) in [(5, 1), (3, 2), (5, 3)] {
            q.push(SimTime(t), Event::timer(NodeId(0), token));
        }
        q.next_seq = u32::MAX;
        q.push(SimTime(3), Event::timer(NodeId(0), 4));
        q.push(SimTime(5), Event::timer(NodeId(0), 5));
        assert_eq!(q.next_seq, 5, "three renumbered, two pushed");
        let order: Vec<u64> = std::iter::from_fn(|| q.pop())
            .map(|(_, e)| match e {
                Event::Timer { token, .. } => token,
                Event::Arrive { .. } | Event::Flood(_) | Event::Control { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(order, vec![2, 4, 1, 3, 5]);
    }

    /// Runs `ops` (a time step and whether to pop) against a sorted model: pushes are never
    /// before the last pop, each step is `dt * scale` ns; with `renumber_at`, the sequence
    /// numbers wrap at that op.
    fn check_against_model(
        ops: &[(u64, bool)],
        scale: u64,
        renumber_at: Option<usize>,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let mut q = EventQueue::default();
        let mut now = 0u64;
        let mut token = 0u64;
        let mut model: Vec<(u64, u64)> = Vec::new();
        for (i, &(dt, pop)) in ops.iter().enumerate() {
            if renumber_at == Some(i) {
                q.next_seq = u32::MAX;
            }
            if pop && !model.is_empty() {
                model.sort();
                let want = model.remove(0);
                let (t, e) = q.pop().unwrap();
                let Event::Timer { token: got, .. } = e else {
                    unreachable!()
                };
                proptest::prop_assert_eq!((t.0, got), want);
                now = t.0;
            } else {
                // Peeking must not stop the engine from scheduling before the peeked event.
                let _ = q.peek_time();
                let at = now + dt * scale;
                q.push(SimTime(at), Event::timer(NodeId(0), token));
                model.push((at, token));
                token += 1;
            }
        }
        proptest::prop_assert_eq!(q.len(), model.len());
        model.sort();
        for want in model {
            let (t, e) = q.pop().unwrap();
            let Event::Timer { token: got, .. } = e else {
                unreachable!()
            };
            proptest::prop_assert_eq!((t.0, got), want);
        }
        proptest::prop_assert!(q.pop().is_none());
        Ok(())
    }

    /// `ascending` orders `bucket` as a sort does.
    fn comes_out_sorted(
        mut bucket: Vec<Entry>,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let mut want = bucket.clone();
        want.sort_unstable_by_key(|e| e.0);
        let mut scratch = Vec::new();
        ascending(&mut bucket, &mut scratch);
        proptest::prop_assert_eq!(bucket, want);
        Ok(())
    }

    proptest::proptest! {
        /// A bucket of any number of runs comes out ascending, as a sort orders it.
        #[test]
        fn a_bucket_comes_out_ascending(
            runs in proptest::collection::vec(proptest::collection::vec(0u64..50, 0..20), 0..7),
        ) {
            let mut bucket = Vec::new();
            let mut seq = 0;
            for mut run in runs {
                run.sort_unstable();
                for t in run {
                    bucket.push(Entry::new(t, seq, seq));
                    seq += 1;
                }
            }
            // Interleave the runs' entries as pushes at two delays would.
            bucket.sort_by_key(|e| e.slot() % 3);
            comes_out_sorted(bucket)?;
        }

        /// Two ascending runs one after the other (`merge_two`'s case) come out as a sort
        /// orders them.
        #[test]
        fn two_runs_come_out_ascending(
            first in proptest::collection::vec(0u64..40, 1..30),
            second in proptest::collection::vec(0u64..40, 1..30),
        ) {
            let (mut first, mut second) = (first, second);
            first.sort_unstable();
            second.sort_unstable();
            let bucket: Vec<Entry> = first
                .iter()
                .chain(&second)
                .enumerate()
                .map(|(seq, &t)| Entry::new(t, seq as u32, seq as u32))
                .collect();
            comes_out_sorted(bucket)?;
        }

        /// Interleaved pushes and pops come out in (time, seq) order: within one bucket
        /// (scale 1), across the wheel (600 ns steps) and beyond it into the heap (10 us
        /// steps, up to 10 ms ahead), with and without renumbering on the way.
        #[test]
        fn pops_in_order(
            ops in proptest::collection::vec((0u64..1000, proptest::bool::ANY), 1..300),
            scale in proptest::sample::select(vec![1u64, 600, 10_000]),
            renumber_at in proptest::option::of(0usize..300),
        ) {
            check_against_model(&ops, scale, renumber_at)?;
        }
    }
}
