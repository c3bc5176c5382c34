//! Generic device models and the vocabulary they use to talk to the engine.
//!
//! Owns `Frame`, `Outbox` (what a device asks the engine to do), `Hop` (what a traced probe
//! saw), `DropReason`, and the closed `Device` enum. Devices are sans-IO: they take
//! `(now, input)` and push actions into an `Outbox`. They never hold the event queue, read a
//! clock or touch another node. Drivers never appear here: devices forward using only the
//! configuration the control plane gave them.

pub mod conntrack;
pub mod hop;
pub mod rules;
pub mod stack;
pub mod switch;
pub mod vfp;

pub use hop::{DropReason, Hop, HopAction, NatKind};

use crate::id::{NodeId, PortId, ProbeId};
use crate::time::SimTime;

/// A frame on the wire: real bytes, plus simulator-only metadata that is never on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub bytes: Vec<u8>,
    /// The probe this frame belongs to, if it is traced.
    pub probe: Option<ProbeId>,
}

impl Frame {
    pub fn new(bytes: Vec<u8>, probe: Option<ProbeId>) -> Self {
        Frame { bytes, probe }
    }
}

/// How a probe ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Outcome {
    /// The target answered: echo reply, SYN-ACK, or a UDP answer.
    Delivered,
    /// The target's stack refused: TCP RST or ICMP port unreachable.
    Refused,
    /// Nothing came back, or a device dropped the probe on the way.
    Dropped,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Delivered => "delivered",
            Outcome::Refused => "refused",
            Outcome::Dropped => "dropped",
        })
    }
}

/// A probe's end, as its originating stack saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeEnd {
    pub probe: ProbeId,
    pub outcome: Outcome,
    /// What the originator saw, e.g. "echo reply from 203.0.113.10" or "RST from 10.0.0.12:80".
    pub detail: String,
}

/// What a device asks of the engine while handling one input. The engine reuses one outbox
/// for every event, so handling a frame allocates nothing here.
#[derive(Debug, Default)]
pub struct Outbox {
    pub now: SimTime,
    pub node: Option<NodeId>,
    pub sends: Vec<(PortId, Frame)>,
    pub timers: Vec<(SimTime, u64)>,
    pub hops: Vec<Hop>,
    pub ended: Vec<ProbeEnd>,
    /// Frames dropped while handling this input (counted even when untraced).
    pub drops: u64,
}

impl Outbox {
    pub fn reset(&mut self, now: SimTime, node: NodeId) {
        self.now = now;
        self.node = Some(node);
        self.sends.clear();
        self.timers.clear();
        self.hops.clear();
        self.ended.clear();
        self.drops = 0;
    }

    pub fn send(&mut self, port: PortId, frame: Frame) {
        self.sends.push((port, frame));
    }

    pub fn timer(&mut self, at: SimTime, token: u64) {
        self.timers.push((at, token));
    }

    /// Records a hop for a traced frame. `action` is only built when the frame is traced, so the
    /// untraced hot path never formats or allocates for tracing.
    pub fn hop(
        &mut self,
        probe: Option<ProbeId>,
        bytes: &[u8],
        action: impl FnOnce() -> HopAction,
    ) {
        if let Some(probe) = probe {
            let node = self.node.expect("outbox used outside an event");
            self.hops.push(Hop {
                probe,
                time: self.now,
                node,
                action: action(),
                bytes: bytes.to_vec(),
            });
        }
    }

    /// Drops a frame, naming why. Counted always; explained when traced.
    pub fn drop_frame(&mut self, frame: &Frame, reason: impl FnOnce() -> DropReason) {
        self.drops += 1;
        self.hop(frame.probe, &frame.bytes, || HopAction::Dropped(reason()));
    }

    pub fn end_probe(&mut self, probe: ProbeId, outcome: Outcome, detail: String) {
        self.ended.push(ProbeEnd {
            probe,
            outcome,
            detail,
        });
    }
}

/// Every kind of device the engine can run. A closed set: a new driver adds configuration,
/// not a variant here.
#[derive(Debug)]
pub enum Device {
    Switch(Box<switch::Switch>),
    Stack(Box<stack::IpStack>),
}

impl Device {
    pub fn name(&self) -> &str {
        match self {
            Device::Switch(s) => &s.config.name,
            Device::Stack(s) => &s.config.name,
        }
    }

    pub fn handle_frame(&mut self, port: PortId, frame: Frame, out: &mut Outbox) {
        match self {
            Device::Switch(s) => s.handle_frame(port, frame, out),
            Device::Stack(s) => s.handle_frame(port, frame, out),
        }
    }

    pub fn handle_timer(&mut self, token: u64, out: &mut Outbox) {
        match self {
            Device::Switch(_) => {}
            Device::Stack(s) => s.handle_timer(token, out),
        }
    }

    /// The link on `port` went down or came back up.
    pub fn set_carrier(&mut self, port: PortId, up: bool) {
        match self {
            Device::Switch(s) => s.set_carrier(port, up),
            // A stack keeps sending into a dead link; the link drops and says so.
            Device::Stack(_) => {}
        }
    }

    /// The name of a port, for traces: a switch port's name or a stack interface's name.
    pub fn port_name(&self, port: PortId) -> String {
        match self {
            Device::Switch(s) => s.port_name(port),
            Device::Stack(s) => s.iface_name(port),
        }
    }

    pub fn as_stack_mut(&mut self) -> Option<&mut stack::IpStack> {
        match self {
            Device::Stack(s) => Some(s),
            Device::Switch(_) => None,
        }
    }
    pub fn as_stack(&self) -> Option<&stack::IpStack> {
        match self {
            Device::Stack(s) => Some(s),
            Device::Switch(_) => None,
        }
    }
    pub fn as_switch_mut(&mut self) -> Option<&mut switch::Switch> {
        match self {
            Device::Switch(s) => Some(s),
            Device::Stack(_) => None,
        }
    }
    pub fn as_switch(&self) -> Option<&switch::Switch> {
        match self {
            Device::Switch(s) => Some(s),
            Device::Stack(_) => None,
        }
    }
}
