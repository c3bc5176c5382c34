//! The trace the engine keeps: the hops of traced frames, at most `max_per_probe` per probe.
//!
//! A frame caught in a loop is traced at every switch it passes, so a probe's hops are
//! bounded: past the bound, hops are counted (`left_out`), not kept. The trace also counts
//! the bytes it keeps, for the run's memory bound (`Engine::kept_bytes`).

use crate::device::Hop;
use crate::id::ProbeId;
use std::collections::BTreeMap;

/// What one kept hop costs: the hop and its copy of the frame.
pub(super) fn hop_bytes(hop: &Hop) -> u64 {
    (std::mem::size_of::<Hop>() + hop.bytes.capacity()) as u64
}

#[derive(Debug, Default)]
pub(super) struct Trace {
    pub hops: Vec<Hop>,
    /// By probe: hops kept, hops left out.
    counts: BTreeMap<ProbeId, (u32, u64)>,
    /// Bytes held by `hops`.
    pub bytes: u64,
}

impl Trace {
    /// Keeps the hops in `new` (emptying it), up to `max_per_probe` hops for each probe.
    /// Inline for the untraced case, every event: nothing to keep.
    #[inline]
    pub fn keep(&mut self, new: &mut Vec<Hop>, max_per_probe: u32) {
        if !new.is_empty() {
            self.keep_some(new, max_per_probe);
        }
    }

    #[inline(never)]
    fn keep_some(&mut self, new: &mut Vec<Hop>, max_per_probe: u32) {
        for hop in new.drain(..) {
            let (kept, left_out) = self.counts.entry(hop.probe).or_default();
            if *kept < max_per_probe {
                *kept += 1;
                self.bytes += hop_bytes(&hop);
                self.hops.push(hop);
            } else {
                *left_out += 1;
            }
        }
    }

    /// How many hops of `probe` were left out, past the bound.
    pub fn left_out(&self, probe: ProbeId) -> u64 {
        self.counts.get(&probe).map_or(0, |c| c.1)
    }
}
