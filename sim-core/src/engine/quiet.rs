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
use crate::id::{NodeId, PortId};

/// Where a node's summary stands: not made yet (or dropped), made (`QuietIndex::filters`
/// holds it), or none possible. One byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Unknown,
    Quiet,
    Never,
}

/// The summaries of every node, by node id: where each stands, and the filters apart. Every
/// event drops its node's summary, a write of one byte, 64 nodes to a line: when the state
/// and the filter were one 24-byte entry, at a thousand nodes that write touched a line of
/// its own on every event (issue 13). The flood's copies read the filters one node after
/// the other, four to a line.
#[derive(Debug, Default)]
pub(super) struct QuietIndex {
    states: Vec<State>,
    /// Node i's filter where `states[i]` is `Quiet`; any filter elsewhere.
    filters: Vec<QuietFilter>,
    /// How many copies were counted without being handed over.
    pub(super) skipped: u64,
}

impl QuietIndex {
    /// Drops `node`'s summary: its device may have changed.
    #[inline]
    pub(super) fn forget(&mut self, node: NodeId) {
        if let Some(s) = self.states.get_mut(node.0 as usize) {
            *s = State::Unknown;
        }
    }

    /// How many of `copies` (flooded copies of `ask`), from the first, their nodes ignore for
    /// sure; `powered` tells the nodes whose host has power (a copy for one without is
    /// dropped, not ignored). A node's summary is made if there is none (only then is its
    /// device read).
    #[inline]
    pub(super) fn ignored_run(
        &mut self,
        copies: &[(NodeId, PortId)],
        ask: FloodedAsk,
        devices: &[Option<Device>],
        powered: impl Fn(NodeId) -> bool,
    ) -> usize {
        let mut n = 0;
        loop {
            // The copies to nodes whose summary is made, with the tables at hand: the loop
            // makes no call, so they stay in registers (issue 13: half the cost of a copy).
            // Cut to one length, so that one bounds check a copy serves both.
            let both = self.states.len().min(self.filters.len());
            let (states, filters) = (&self.states[..both], &self.filters[..both]);
            n += copies[n..]
                .iter()
                .take_while(|&&(node, port)| {
                    let i = node.0 as usize;
                    i < both
                        && powered(node)
                        && states[i] == State::Quiet
                        && filters[i].ignores(port.0, ask)
                })
                .count();
            // The copy that ended the run goes on it only if its node had no summary yet and
            // the one made now says it ignores the copy.
            let Some(&(node, port)) = copies.get(n) else {
                return n;
            };
            let i = node.0 as usize;
            let unmade = matches!(self.states.get(i), Some(State::Unknown) | None);
            if !unmade
                || !powered(node)
                || self.summarize(i, devices) != State::Quiet
                || !self.filters[i].ignores(port.0, ask)
            {
                return n;
            }
            n += 1;
        }
    }

    /// Makes node `i`'s summary from its device. Out of line: a node's summary serves every
    /// copy that reaches it until the node changes.
    #[inline(never)]
    fn summarize(&mut self, i: usize, devices: &[Option<Device>]) -> State {
        if self.states.len() <= i {
            self.states.resize(i + 1, State::Unknown);
        }
        let device = devices.get(i).and_then(Option::as_ref);
        self.states[i] = match device.and_then(Device::quiet_filter) {
            Some(f) => {
                if self.filters.len() <= i {
                    // Any filter fills the gap: `states` says which entries are true.
                    self.filters.resize(i + 1, f);
                }
                self.filters[i] = f;
                State::Quiet
            }
            None => State::Never,
        };
        self.states[i]
    }
}
