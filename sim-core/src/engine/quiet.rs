//! Quiet receivers: the copies of a flooded ARP request that their stack provably ignores are
//! counted, not handed over (issue 12, item 6).
//!
//! Setting up 4,000 containers on one vSwitch floods 8 million copies of their gratuitous
//! ARPs, and all but a few reach a stack that ignores them: handing each over walks the
//! engine's and the stack's memory of a different container every time, which was most of
//! the set-up. The engine keeps, per node, the stack's own summary of what it ignores
//! (`device::stack::quiet::QuietFilter`), made when it is first asked for and dropped
//! whenever the device may have changed (any frame, timer or call handed to it, any change
//! through `Engine::device_mut`, a cable plugged or unplugged). A copy of a flood whose
//! receiver's summary says "ignored" is still an event (counted, at its time, in its order;
//! the run stops between two copies as before), and the stack is left exactly as handing it
//! over would leave it: so every report, `events` included, is the same. Debug builds hand
//! every such copy to the full check as well and panic if it disagrees.

use crate::device::stack::quiet::{FloodedAsk, QuietFilter};
use crate::device::Device;
use crate::id::NodeId;

/// A node's summary: not made yet (or dropped), made, or none possible.
#[derive(Clone, Copy, Debug, Default)]
enum Summary {
    #[default]
    Unknown,
    Quiet(QuietFilter),
    Never,
}

/// The summaries of every node, by node id.
#[derive(Debug, Default)]
pub(super) struct QuietIndex {
    nodes: Vec<Summary>,
    /// How many copies were counted without being handed over.
    pub(super) skipped: u64,
}

impl QuietIndex {
    /// Drops `node`'s summary: its device may have changed.
    #[inline]
    pub(super) fn forget(&mut self, node: NodeId) {
        if let Some(s) = self.nodes.get_mut(node.0 as usize) {
            *s = Summary::Unknown;
        }
    }

    /// Whether node `node` (its device in `devices`) ignores `ask` on `port` for sure; makes
    /// its summary if there is none (only then is the device read).
    #[inline]
    pub(super) fn ignores(
        &mut self,
        node: NodeId,
        port: u16,
        ask: FloodedAsk,
        devices: &[Option<Device>],
    ) -> bool {
        let i = node.0 as usize;
        let summary = match self.nodes.get(i) {
            Some(Summary::Unknown) | None => self.summarize(i, devices),
            Some(known) => *known,
        };
        match summary {
            Summary::Quiet(f) => f.ignores(port, ask),
            Summary::Unknown | Summary::Never => false,
        }
    }

    /// Makes node `i`'s summary from its device. Out of line: a node's summary serves every
    /// copy that reaches it until the node changes.
    #[inline(never)]
    fn summarize(&mut self, i: usize, devices: &[Option<Device>]) -> Summary {
        if self.nodes.len() <= i {
            self.nodes.resize(i + 1, Summary::Unknown);
        }
        let device = devices.get(i).and_then(Option::as_ref);
        self.nodes[i] = match device.and_then(Device::quiet_filter) {
            Some(f) => Summary::Quiet(f),
            None => Summary::Never,
        };
        self.nodes[i]
    }
}
