//! Generic device models and the vocabulary they use to talk to the engine.
//!
//! Owns `Frame`, `Outbox` (what a device asks the engine to do), typed timer tokens
//! (`Timer`), the closed `Device` enum, and the shared machinery devices are configured
//! with: the rule engine (`rules`), connection tracking (`conntrack`) and per-port policies
//! (`port_policy`). Devices are sans-IO: they take `(now, input)` and push actions into an
//! `Outbox`. They never hold the event queue, read a clock or touch another node. Drivers and
//! operating systems never appear here: devices forward using only the configuration a
//! control plane gave them.

pub mod action;
pub mod conntrack;
pub mod port_policy;
pub mod rules;
pub mod small_map;
pub mod spanning_tree;
pub mod stack;
pub mod switch;

pub use action::{Action, Delivery, DropReason, Hop, NatKind};

use crate::id::{NodeId, PortId, ProbeId};
use crate::sym::Interner;
use crate::time::SimTime;
use std::net::Ipv4Addr;
use std::rc::Rc;

/// A frame on the wire: real bytes, plus simulator-only metadata that is never on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    pub bytes: FrameBytes,
    /// The probe this frame belongs to, if it is traced.
    pub probe: Option<ProbeId>,
}

impl Frame {
    pub fn new(bytes: Vec<u8>, probe: Option<ProbeId>) -> Self {
        Frame {
            bytes: FrameBytes::Owned(bytes),
            probe,
        }
    }

    /// Ends a frame its receiver consumed: its buffer, if its own, serves a frame built
    /// later (`wire::give_back`); a flood's shared bytes are left to their other copies.
    pub fn consumed(self) {
        if let FrameBytes::Owned(v) = self.bytes {
            crate::wire::give_back(v);
        }
    }

    /// Another copy of this frame that shares its bytes (a flood's copies): no allocation
    /// or copy now; a copy that is written later gets its own bytes then.
    pub fn share(&mut self) -> Frame {
        if let FrameBytes::Owned(v) = &mut self.bytes {
            self.bytes = FrameBytes::Shared(Rc::new(std::mem::take(v)));
        }
        self.clone()
    }
}

/// A frame's bytes: owned by one frame (the usual case, moved hop to hop), or shared by
/// the copies of a flood. Reads see a `Vec<u8>` either way; a write to shared bytes first
/// copies them (copy-on-write), so shared bytes are never written and no copy sees another's
/// change. `Clone` of owned bytes copies them, as a `Vec` does; only `Frame::share` shares.
#[derive(Clone, Debug)]
pub enum FrameBytes {
    Owned(Vec<u8>),
    Shared(Rc<Vec<u8>>),
}

impl FrameBytes {
    /// Whether these are the very bytes `other` holds, shared (not an equal copy).
    pub fn shares_with(&self, other: &FrameBytes) -> bool {
        matches!((self, other), (FrameBytes::Shared(a), FrameBytes::Shared(b)) if Rc::ptr_eq(a, b))
    }

    /// The bytes as a vector of their own (copied only if they are still shared).
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            FrameBytes::Owned(v) => v,
            FrameBytes::Shared(rc) => Rc::try_unwrap(rc).unwrap_or_else(|rc| (*rc).clone()),
        }
    }
}

impl Default for FrameBytes {
    fn default() -> Self {
        FrameBytes::Owned(Vec::new())
    }
}

impl From<Vec<u8>> for FrameBytes {
    fn from(v: Vec<u8>) -> Self {
        FrameBytes::Owned(v)
    }
}

impl std::ops::Deref for FrameBytes {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        match self {
            FrameBytes::Owned(v) => v,
            FrameBytes::Shared(rc) => rc,
        }
    }
}

impl std::ops::DerefMut for FrameBytes {
    /// Inline for owned bytes, the frame a device rewrites nearly always; the copy of shared
    /// bytes is out of line (issue 13: the call was 19 instructions a frame).
    #[inline]
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        match self {
            FrameBytes::Owned(v) => v,
            FrameBytes::Shared(rc) => unshare(rc),
        }
    }
}

/// Shared bytes about to be written: this copy gets bytes of its own (copy-on-write).
#[cold]
#[inline(never)]
fn unshare(rc: &mut Rc<Vec<u8>>) -> &mut Vec<u8> {
    Rc::make_mut(rc)
}

impl PartialEq for FrameBytes {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}
impl Eq for FrameBytes {}
impl PartialEq<Vec<u8>> for FrameBytes {
    fn eq(&self, other: &Vec<u8>) -> bool {
        **self == *other
    }
}
impl PartialEq<FrameBytes> for Vec<u8> {
    fn eq(&self, other: &FrameBytes) -> bool {
        *self == **other
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
    /// The probe ended on a DNS answer saying its name does not resolve: that answer's rcode
    /// (NXDOMAIN, SERVFAIL, or 0 for an answer without an address).
    pub unresolved: Option<u8>,
}

/// What a device's timer is for. The engine carries it as an opaque `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Ask again for `ip` on `port`, or give up on it.
    ArpRetry { port: PortId, ip: Ipv4Addr },
    /// A probe waited long enough.
    ProbeTimeout(ProbeId),
    /// The traffic generator `app` sends its next packet.
    AppTick(u32),
    /// A DHCP client's retry; stale when its exchange moved on to another generation.
    DhcpRetry { port: PortId, generation: u64 },
    /// Check the stale ARP entry for `ip` on `port` again: probe it, or give up on it.
    ArpProbe { port: PortId, ip: Ipv4Addr },
    /// Give up on the datagram `ident` from `src` if its fragments are still missing.
    Reassembly { src: Ipv4Addr, ident: u16 },
    /// Announce the address of the interface on `port` (it just came up).
    Announce { port: PortId },
    /// Check whether the UDP relay flow on the relay's own `port` has been idle too long.
    RelayIdle { port: u16 },
}

const TIMER_ARP: u64 = 1 << 56;
const TIMER_PROBE: u64 = 2 << 56;
const TIMER_APP: u64 = 3 << 56;
const TIMER_DHCP: u64 = 4 << 56;
const TIMER_ARP_PROBE: u64 = 5 << 56;
const TIMER_REASSEMBLY: u64 = 6 << 56;
const TIMER_ANNOUNCE: u64 = 7 << 56;
const TIMER_RELAY_IDLE: u64 = 8 << 56;
const TIMER_KIND: u64 = 0xff << 56;

impl Timer {
    /// The token the engine carries.
    pub fn encode(self) -> u64 {
        match self {
            Timer::ArpRetry { port, ip } => {
                TIMER_ARP | (u64::from(port.0) << 32) | u64::from(u32::from(ip))
            }
            Timer::ProbeTimeout(p) => TIMER_PROBE | u64::from(p.0),
            Timer::AppTick(i) => TIMER_APP | u64::from(i),
            Timer::DhcpRetry { port, generation } => {
                TIMER_DHCP | ((generation & ((1 << 40) - 1)) << 16) | u64::from(port.0)
            }
            Timer::ArpProbe { port, ip } => {
                TIMER_ARP_PROBE | (u64::from(port.0) << 32) | u64::from(u32::from(ip))
            }
            Timer::Reassembly { src, ident } => {
                TIMER_REASSEMBLY | (u64::from(ident) << 32) | u64::from(u32::from(src))
            }
            Timer::Announce { port } => TIMER_ANNOUNCE | u64::from(port.0),
            Timer::RelayIdle { port } => TIMER_RELAY_IDLE | u64::from(port),
        }
    }

    pub fn decode(token: u64) -> Option<Timer> {
        let payload = token & !TIMER_KIND;
        Some(match token & TIMER_KIND {
            TIMER_ARP => Timer::ArpRetry {
                port: PortId((payload >> 32) as u16),
                ip: Ipv4Addr::from(payload as u32),
            },
            TIMER_PROBE => Timer::ProbeTimeout(ProbeId(payload as u32)),
            TIMER_APP => Timer::AppTick(payload as u32),
            TIMER_DHCP => Timer::DhcpRetry {
                port: PortId(payload as u16),
                generation: payload >> 16,
            },
            TIMER_ARP_PROBE => Timer::ArpProbe {
                port: PortId((payload >> 32) as u16),
                ip: Ipv4Addr::from(payload as u32),
            },
            TIMER_REASSEMBLY => Timer::Reassembly {
                src: Ipv4Addr::from(payload as u32),
                ident: (payload >> 32) as u16,
            },
            TIMER_ANNOUNCE => Timer::Announce {
                port: PortId(payload as u16),
            },
            TIMER_RELAY_IDLE => Timer::RelayIdle {
                port: payload as u16,
            },
            _ => return None,
        })
    }
}

/// The copies of one flood that leave unchanged, by port in the order they are sent, and
/// the frame they share (`Outbox::flood_copy`).
#[derive(Debug, Default)]
pub struct FloodCopies {
    pub ports: Vec<PortId>,
    pub frame: Frame,
}

impl FloodCopies {
    /// Empties the list, keeping its allocation.
    pub fn clear(&mut self) {
        self.ports.clear();
        self.frame = Frame::default();
    }
}

/// What a device asks of the engine while handling one input. The engine reuses one outbox
/// for every event, so handling a frame allocates nothing here.
#[derive(Debug, Default)]
pub struct Outbox {
    pub now: SimTime,
    pub node: Option<NodeId>,
    /// Frames to send, in order; the copies in `flood` come after them.
    pub sends: Vec<(PortId, Frame)>,
    /// Copies of one frame that a flood sends on unchanged (`flood_copy`).
    pub flood: FloodCopies,
    pub timers: Vec<(SimTime, u64)>,
    pub hops: Vec<Hop>,
    pub ended: Vec<ProbeEnd>,
    /// Frames dropped while handling this input (counted even when untraced).
    pub drops: u64,
    /// The switch hops (`engine::storm`) of the input frame once forwarded: set by the
    /// engine before a device handles a frame.
    pub forward_hops: u16,
    /// The switch hops of what is sent: 0, or `forward_hops` once the input frame was
    /// forwarded at layer 2 (`forward`: switched, or bridged from one bridge port to
    /// another) rather than ended or taken up to an IP layer.
    pub sent_hops: u16,
    /// The names trace actions refer to; it outlives every event.
    pub syms: Interner,
}

impl Outbox {
    pub fn reset(&mut self, now: SimTime, node: NodeId) {
        self.now = now;
        self.node = Some(node);
        self.sends.clear();
        self.flood.clear();
        self.timers.clear();
        self.hops.clear();
        self.ended.clear();
        self.drops = 0;
        self.forward_hops = 0;
        self.sent_hops = 0;
    }

    /// `reset` for the engine, which empties every list before it hands the outbox to the
    /// next device (`Engine::apply`): only the scalars are set. Clearing four empty vectors
    /// on every event was measurable (issue 13).
    #[inline]
    pub(crate) fn begin(&mut self, now: SimTime, node: NodeId) {
        debug_assert!(
            self.sends.is_empty()
                && self.flood.ports.is_empty()
                && self.timers.is_empty()
                && self.hops.is_empty()
                && self.ended.is_empty(),
            "the engine applies everything a device asked for before the next input"
        );
        self.now = now;
        self.node = Some(node);
        self.drops = 0;
        self.forward_hops = 0;
        self.sent_hops = 0;
    }

    #[inline]
    pub fn send(&mut self, port: PortId, frame: Frame) {
        self.spill_flood();
        self.sends.push((port, frame));
    }

    /// Sends on the input frame (or a copy of it) at layer 2, as a switch or a bridge does:
    /// the engine counts it as one more switch hop of that frame, which is how it notices an
    /// untraced frame going round a loop (`engine::storm`). Always inlined: bridges call it for
    /// every frame they pass on (the call cost a third of a switch's work). A switch's plain
    /// path does not come here when the engine runs it (`Switch::plain_route`).
    #[inline(always)]
    pub fn forward(&mut self, port: PortId, frame: Frame) {
        self.sent_hops = self.forward_hops;
        self.spill_flood();
        self.sends.push((port, frame));
    }

    /// `forward` for a copy of a flood that leaves unchanged: the copies share `frame`'s
    /// bytes (it is made shared, `Frame::share`), and each costs its port number here, not a
    /// frame (issue 13: a vSwitch floods a container's first ARP to every other container).
    /// The copies keep their place: anything sent after them is sent after them.
    pub fn flood_copy(&mut self, port: PortId, frame: &mut Frame) {
        self.sent_hops = self.forward_hops;
        let same = self.flood.frame.bytes.shares_with(&frame.bytes)
            && self.flood.frame.probe == frame.probe;
        if !same {
            self.spill_flood();
            self.flood.frame = frame.share();
        }
        self.flood.ports.push(port);
    }

    /// `flood_copy` of the frame the last call was given, with nothing sent since (a flood's
    /// loop over its ports): only the port is noted.
    #[inline]
    pub fn flood_copy_again(&mut self, port: PortId) {
        debug_assert!(!self.flood.ports.is_empty(), "flood_copy came first");
        self.flood.ports.push(port);
    }

    /// `flood_copy_again` for each port of `ports`, in order (a switch's run of ports that
    /// take the common copy): one reservation for them all.
    #[inline]
    pub fn flood_copies_again(&mut self, ports: std::ops::Range<u16>) {
        debug_assert!(!self.flood.ports.is_empty(), "flood_copy came first");
        self.flood.ports.extend(ports.map(PortId));
    }

    /// Turns the flood's copies into ordinary sends, in their order: something else is
    /// sent after them, or the caller reads `sends`.
    #[inline]
    pub fn spill_flood(&mut self) {
        if !self.flood.ports.is_empty() {
            self.spill_flood_now();
        }
    }

    #[cold]
    #[inline(never)]
    fn spill_flood_now(&mut self) {
        for &port in &self.flood.ports {
            self.sends.push((port, self.flood.frame.clone()));
        }
        self.flood.clear();
    }

    pub fn timer(&mut self, at: SimTime, timer: Timer) {
        self.timers.push((at, timer.encode()));
    }

    /// Records a hop for a traced frame. `action` is only built when the frame is traced, so
    /// the untraced hot path never formats, interns or allocates for tracing.
    pub fn hop(
        &mut self,
        probe: Option<ProbeId>,
        bytes: &[u8],
        action: impl FnOnce(&mut Interner) -> Action,
    ) {
        if let Some(probe) = probe {
            let node = self.node.expect("outbox used outside an event");
            let action = action(&mut self.syms);
            self.hops.push(Hop {
                probe,
                time: self.now,
                node,
                action,
                bytes: bytes.to_vec(),
            });
        }
    }

    /// Drops a frame, naming why. Counted always; explained when traced.
    pub fn drop_frame(&mut self, frame: &Frame, reason: impl FnOnce(&mut Interner) -> DropReason) {
        self.drops += 1;
        self.hop(frame.probe, &frame.bytes, |syms| {
            Action::Dropped(reason(syms))
        });
    }

    pub fn end_probe(&mut self, probe: ProbeId, outcome: Outcome, detail: String) {
        self.ended.push(ProbeEnd {
            probe,
            outcome,
            detail,
            unresolved: None,
        });
    }

    /// A probe ends on a DNS answer (rcode `rcode`) that gave its name no address.
    pub fn end_probe_unresolved(&mut self, probe: ProbeId, rcode: u8, detail: String) {
        self.ended.push(ProbeEnd {
            probe,
            outcome: Outcome::Dropped,
            detail,
            unresolved: Some(rcode),
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

    #[inline]
    pub fn handle_frame(&mut self, port: PortId, frame: Frame, out: &mut Outbox) {
        match self {
            Device::Switch(s) => s.handle_frame(port, frame, out),
            Device::Stack(s) => s.handle_frame(port, frame, out),
        }
    }

    /// What the device ignores of a flooded ARP request, for the engine to skip such copies
    /// without handing them over (`stack::quiet`): a switch forwards every copy, so none.
    pub fn quiet_filter(&self) -> Option<stack::quiet::QuietFilter> {
        match self {
            Device::Switch(_) => None,
            Device::Stack(s) => s.quiet_filter(),
        }
    }

    /// Whether handing `frame` to `port` would change nothing and send nothing: what a quiet
    /// filter claims, checked the full way (debug builds check every skipped copy).
    pub fn ignores_flooded_arp(&mut self, port: PortId, frame: &Frame) -> bool {
        match self {
            Device::Switch(_) => false,
            Device::Stack(s) => s.ignores_flooded_arp(port, frame),
        }
    }

    #[inline]
    pub fn handle_timer(&mut self, token: u64, out: &mut Outbox) {
        let Some(timer) = Timer::decode(token) else {
            return;
        };
        match self {
            Device::Switch(_) => {}
            Device::Stack(s) => s.handle_timer(timer, out),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_timer_survives_its_token() {
        let ip = Ipv4Addr::new(10, 1, 2, 3);
        let timers = [
            Timer::ArpRetry {
                port: PortId(7),
                ip,
            },
            Timer::ProbeTimeout(ProbeId(9)),
            Timer::AppTick(4),
            Timer::DhcpRetry {
                port: PortId(2),
                generation: 1 << 39,
            },
            Timer::ArpProbe {
                port: PortId(u16::MAX),
                ip,
            },
            Timer::Reassembly {
                src: ip,
                ident: u16::MAX,
            },
            Timer::Announce { port: PortId(3) },
        ];
        for t in timers {
            assert_eq!(Timer::decode(t.encode()), Some(t));
        }
    }

    /// Where each send went and whether its bytes are the flood's own.
    fn sent(out: &mut Outbox, flooded: &Frame) -> Vec<(u16, bool)> {
        out.spill_flood();
        let FrameBytes::Shared(ours) = &flooded.bytes else {
            panic!("a flooded frame is shared");
        };
        out.sends
            .iter()
            .map(|(p, f)| {
                let shared = matches!(&f.bytes, FrameBytes::Shared(b) if Rc::ptr_eq(b, ours));
                (p.0, shared)
            })
            .collect()
    }

    #[test]
    fn a_flood_s_shared_copies_keep_their_place_among_other_sends() {
        let mut out = Outbox::default();
        out.reset(SimTime::ZERO, NodeId(0));
        out.forward_hops = 3;
        let mut flooded = Frame::new(vec![0xff; 60], None);
        out.flood_copy(PortId(1), &mut flooded);
        out.flood_copy_again(PortId(2));
        assert_eq!(out.sent_hops, 3, "a shared copy is forwarded");
        // A copy of its own (tagged, say) between shared ones.
        out.forward(PortId(3), Frame::new(vec![0x01; 64], None));
        assert_eq!(out.flood.ports, [], "what came before it is spilled");
        out.flood_copy(PortId(4), &mut flooded);
        out.flood_copy(PortId(5), &mut flooded);
        assert_eq!(out.flood.ports, [PortId(4), PortId(5)]);
        assert_eq!(
            sent(&mut out, &flooded),
            [(1, true), (2, true), (3, false), (4, true), (5, true)]
        );
    }

    #[test]
    fn another_frame_s_flood_spills_the_first() {
        let mut out = Outbox::default();
        out.reset(SimTime::ZERO, NodeId(0));
        let mut first = Frame::new(vec![0xff; 60], None);
        let mut second = Frame::new(vec![0xfe; 60], None);
        out.flood_copy(PortId(1), &mut first);
        out.flood_copy(PortId(2), &mut second);
        assert_eq!(out.flood.ports, [PortId(2)]);
        assert_eq!(sent(&mut out, &first), [(1, true), (2, false)]);
        assert_eq!(out.sends[1].1.bytes, vec![0xfe; 60]);
    }
}
