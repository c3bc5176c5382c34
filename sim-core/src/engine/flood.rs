//! Flood batches: the copies of one flood that arrive at the same instant, queued as one
//! event queue entry.
//!
//! A switch floods a broadcast to every port; on a vSwitch with 4,000 containers that is
//! 3,999 copies sharing one buffer (`Frame::share`), each arriving one link latency later.
//! Queued one by one, every copy costs a push, a slot, a place in a bucket that must be
//! sorted, and a pop. Batched, a flood costs one entry and a list of destinations; the
//! engine still hands the copies to their devices one at a time, as separate events, in the
//! order they were sent (issue 13).
//!
//! Why this changes nothing a run shows: the copies of one device's output that are sent
//! one after another get consecutive sequence numbers, so no other event can fall between
//! them in `(time, seq)` order; an event pushed while the batch is being delivered is pushed
//! at or after its time with a later sequence number, so it comes after the copies still
//! left, as it would have. The event count, the memory bound (`Engine::pending_events`
//! counts each copy as one queued event) and the storm watch see every copy as before.

use super::queue::{Event, EventQueue};
use crate::device::stack::quiet::{flooded_ask, FloodedAsk};
use crate::device::{Frame, FrameBytes};
use crate::id::{NodeId, PortId};
use crate::time::SimTime;

/// Copies of one frame that arrive at `time`, at `copies[next..]`, in that order.
#[derive(Debug, Default)]
pub struct Batch {
    pub(super) time: SimTime,
    /// The switch hops of every copy (`Event::Arrive`).
    pub(super) switch_hops: u16,
    copies: Vec<(NodeId, PortId)>,
    /// One copy of the frame; each delivered copy shares its bytes.
    frame: Frame,
    next: usize,
    /// The flooded ARP request the frame is, when untraced: a copy its receiver ignores
    /// for sure is counted, not handed over (`quiet`). Set when delivery starts.
    pub(super) ask: Option<FloodedAsk>,
}

impl Batch {
    /// Notes what the frame is, before its copies are delivered.
    pub(super) fn classify(&mut self) {
        self.ask = match self.frame.probe {
            None => flooded_ask(&self.frame.bytes),
            Some(_) => None,
        };
    }

    /// The frame's length, to count a copy without taking it.
    pub(super) fn frame_len(&self) -> usize {
        self.frame.bytes.len()
    }

    /// The flooded frame (debug builds check a skipped copy against it).
    #[cfg(debug_assertions)]
    pub(super) fn frame(&self) -> &Frame {
        &self.frame
    }

    /// The destinations of the copies not yet delivered, in order.
    pub(super) fn pending(&self) -> &[(NodeId, PortId)] {
        &self.copies[self.next..]
    }

    /// Passes over the next `n` copies (their receivers ignore them); whether they were the
    /// last.
    pub(super) fn skip_copies(&mut self, n: usize) -> bool {
        self.next += n;
        debug_assert!(self.next <= self.copies.len(), "skipped past the last copy");
        if self.next == self.copies.len() {
            self.frame = Frame::default();
            true
        } else {
            false
        }
    }

    /// The next copy and where it arrives, and whether it was the last (then the batch
    /// gave up its own frame).
    pub(super) fn next_copy(&mut self) -> ((NodeId, PortId), Frame, bool) {
        let to = self.copies[self.next];
        self.next += 1;
        if self.next == self.copies.len() {
            (to, std::mem::take(&mut self.frame), true)
        } else {
            (to, self.frame.clone(), false)
        }
    }
}

/// Gathers the copies a device sends, while `Engine::apply` turns them into events.
#[derive(Debug, Default)]
pub(super) struct Gather {
    open: Option<Box<Batch>>,
    /// Emptied batches kept for reuse: a steady flood load allocates nothing here. Boxed
    /// because a batch is queued as its box (`Event::Flood`), which is what is reused.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<Batch>>,
}

impl Gather {
    /// Offers a copy arriving at `to` at `time`. A copy joins the open batch when it shares
    /// the batch's bytes (the same flood), its probe, its switch hops and its arrival time;
    /// one whose bytes are its own is handed back, to be queued alone (the open batch is
    /// queued first, so the order stays the send order). `batched` counts the copies queued
    /// beyond one per queue entry.
    pub(super) fn offer(
        &mut self,
        time: SimTime,
        to: (NodeId, PortId),
        frame: Frame,
        switch_hops: u16,
        queue: &mut EventQueue,
        batched: &mut usize,
    ) -> Option<Frame> {
        if !matches!(frame.bytes, FrameBytes::Shared(_)) {
            self.close(queue, batched);
            return Some(frame);
        }
        if self.try_join(time, to, &frame, switch_hops) {
            return None;
        }
        self.close(queue, batched);
        let mut batch = self.spare.pop().unwrap_or_default();
        batch.time = time;
        batch.switch_hops = switch_hops;
        batch.copies.push(to);
        batch.frame = frame;
        self.open = Some(batch);
        None
    }

    /// `offer` for a copy of `frame`, a flood's shared frame, that arrives at `to` at
    /// `time`: it joins the open batch as a destination when the batch is of the same
    /// flood; otherwise the open batch is queued and a new one opens with a copy of
    /// `frame`. No frame is made for a copy that joins.
    #[inline]
    pub(super) fn offer_copy(
        &mut self,
        time: SimTime,
        to: (NodeId, PortId),
        frame: &Frame,
        switch_hops: u16,
        queue: &mut EventQueue,
        batched: &mut usize,
    ) {
        if self.try_join(time, to, frame, switch_hops) {
            return;
        }
        if let Some(frame) = self.offer(time, to, frame.clone(), switch_hops, queue, batched) {
            queue.push(time, Event::arrive(to, switch_hops, frame));
        }
    }

    /// Adds `to` to the open batch if `frame` is a copy of the same flood (its very bytes,
    /// its probe, its switch hops) arriving at the batch's time.
    #[inline]
    fn try_join(
        &mut self,
        time: SimTime,
        to: (NodeId, PortId),
        frame: &Frame,
        switch_hops: u16,
    ) -> bool {
        match &mut self.open {
            Some(open)
                if open.frame.bytes.shares_with(&frame.bytes)
                    && open.time == time
                    && open.frame.probe == frame.probe
                    && open.switch_hops == switch_hops =>
            {
                open.copies.push(to);
                true
            }
            _ => false,
        }
    }

    /// Adds a destination to the open batch, which the caller knows to be of its frame and
    /// arrival time (its last `offer_copy` opened or joined it, and nothing was queued
    /// since). False if no batch is open.
    #[inline]
    pub(super) fn join(&mut self, to: (NodeId, PortId)) -> bool {
        match &mut self.open {
            Some(open) => {
                open.copies.push(to);
                true
            }
            None => false,
        }
    }

    /// The destinations of the open batch, to add to in place (`Engine::send_flood`'s run
    /// of copies on idle links); the caller knows the batch to be of its frame and time, as
    /// for `join`.
    #[inline]
    pub(super) fn open_copies(&mut self) -> Option<&mut Vec<(NodeId, PortId)>> {
        self.open.as_mut().map(|open| &mut open.copies)
    }

    /// Whether a batch is open.
    pub(super) fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Queues the open batch, if any: a single copy as an ordinary arrival, more as one
    /// `Flood` entry.
    #[inline]
    pub(super) fn close(&mut self, queue: &mut EventQueue, batched: &mut usize) {
        if let Some(batch) = self.open.take() {
            self.queue_batch(batch, queue, batched);
        }
    }

    #[inline(never)]
    fn queue_batch(&mut self, mut batch: Box<Batch>, queue: &mut EventQueue, batched: &mut usize) {
        let (time, switch_hops) = (batch.time, batch.switch_hops);
        if batch.copies.len() == 1 {
            let (to, frame, _) = batch.next_copy();
            self.recycle(batch);
            queue.push(time, Event::arrive(to, switch_hops, frame));
        } else {
            *batched += batch.copies.len() - 1;
            queue.push(time, Event::Flood(batch));
        }
    }

    /// Takes back a batch all of whose copies were delivered.
    pub(super) fn recycle(&mut self, mut batch: Box<Batch>) {
        batch.copies.clear();
        batch.next = 0;
        batch.frame = Frame::default();
        batch.ask = None;
        if self.spare.len() < 8 {
            self.spare.push(batch);
        }
    }
}
