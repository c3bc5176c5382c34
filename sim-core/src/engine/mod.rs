//! The engine: the one event loop, the only owner of simulated time.
//!
//! Owns the event queue, the devices, the links and the topology graph. It pops events in
//! `(time, seq)` order, hands each to its device, and turns the device's `Outbox` into new
//! events. It records hops of traced frames and counts everything else. It contains no
//! protocol logic. Every run is bounded by an event budget and a time limit.

pub mod link;
pub mod queue;

use crate::device::{Action, Device, DropReason, Hop, Outbox, ProbeEnd};
use crate::id::{LinkId, NodeId, PortId};
use crate::rng::SimRng;
use crate::sym::{Interner, Sym};
use crate::time::{SimDuration, SimTime};
use crate::topology::{LinkInfo, NodeInfo, Topology};
use link::{Link, LinkParams, Transmit};
use queue::{Event, EventQueue};

/// Why `run_until` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStop {
    /// Simulated time reached the requested instant.
    Reached,
    /// A caller-supplied condition became true.
    Condition,
    /// The run used up its event budget.
    EventBudget,
    /// Simulated time passed the run's limit.
    TimeLimit,
}

/// The bounds of a run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_events: u64,
    pub max_time: SimTime,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: 10_000_000,
            max_time: SimTime(3_600 * 1_000_000_000),
        }
    }
}

/// Counters kept on every run, traced or not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub events: u64,
    pub frames_sent: u64,
    pub frames_dropped: u64,
}

pub struct Engine {
    now: SimTime,
    seed: u64,
    queue: EventQueue,
    topology: Topology,
    devices: Vec<Option<Device>>,
    /// For each node, the link plugged into each port.
    port_links: Vec<Vec<Option<LinkId>>>,
    links: Vec<Option<Link>>,
    outbox: Outbox,
    pub limits: Limits,
    pub stats: Stats,
    trace: Vec<Hop>,
    ended: Vec<ProbeEnd>,
}

impl Engine {
    pub fn new(seed: u64, limits: Limits) -> Self {
        Engine {
            now: SimTime::ZERO,
            seed,
            queue: EventQueue::default(),
            topology: Topology::default(),
            devices: Vec::new(),
            port_links: Vec::new(),
            links: Vec::new(),
            outbox: Outbox::default(),
            limits,
            stats: Stats::default(),
            trace: Vec::new(),
            ended: Vec::new(),
        }
    }

    pub fn now(&self) -> SimTime {
        self.now
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn topology(&self) -> &Topology {
        &self.topology
    }
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    pub fn add_node(&mut self, info: NodeInfo, device: Device) -> NodeId {
        let id = self.topology.add_node(info);
        let i = id.0 as usize;
        if self.devices.len() <= i {
            self.devices.resize_with(i + 1, || None);
            self.port_links.resize_with(i + 1, Vec::new);
        }
        self.devices[i] = Some(device);
        self.port_links[i].clear();
        id
    }

    /// Removes a node and unplugs every link attached to it. Frames in flight to it are dropped on arrival.
    pub fn remove_node(&mut self, node: NodeId) {
        let links: Vec<LinkId> = self.port_links[node.0 as usize]
            .iter()
            .flatten()
            .copied()
            .collect();
        for l in links {
            self.remove_link(l);
        }
        self.devices[node.0 as usize] = None;
        self.topology.remove_node(node);
    }

    pub fn device(&self, node: NodeId) -> Option<&Device> {
        self.devices.get(node.0 as usize).and_then(|d| d.as_ref())
    }
    pub fn device_mut(&mut self, node: NodeId) -> Option<&mut Device> {
        self.devices
            .get_mut(node.0 as usize)
            .and_then(|d| d.as_mut())
    }

    /// Connects two ports with a link.
    pub fn connect(
        &mut self,
        name: String,
        a: (NodeId, PortId),
        b: (NodeId, PortId),
        params: LinkParams,
        internal: bool,
    ) -> LinkId {
        let id = self.topology.add_link(LinkInfo {
            name: name.clone(),
            a,
            b,
            internal,
        });
        let rng = SimRng::derive(self.seed, &format!("link:{name}"));
        let i = id.0 as usize;
        if self.links.len() <= i {
            self.links.resize_with(i + 1, || None);
        }
        self.links[i] = Some(Link::new(name, [a, b], params, rng));
        for (node, port) in [a, b] {
            let ports = &mut self.port_links[node.0 as usize];
            if ports.len() <= port.0 as usize {
                ports.resize(port.0 as usize + 1, None);
            }
            ports[port.0 as usize] = Some(id);
        }
        id
    }

    pub fn remove_link(&mut self, link: LinkId) {
        if let Some(l) = self.links.get_mut(link.0 as usize).and_then(Option::take) {
            for (node, port) in l.ends {
                if let Some(slot) = self
                    .port_links
                    .get_mut(node.0 as usize)
                    .and_then(|p| p.get_mut(port.0 as usize))
                {
                    *slot = None;
                }
            }
            self.topology.remove_link(link);
        }
    }

    /// Moves one end of a cable from `from` to `to`, as when HNS binds a NIC to an external
    /// vSwitch: the link keeps its name, parameters, state and loss stream. Returns the
    /// link's new id, or `None` if no link ends at `from`.
    pub fn replug(&mut self, from: (NodeId, PortId), to: (NodeId, PortId)) -> Option<LinkId> {
        let old = self.link_on_port(from.0, from.1)?;
        let mut link = self.links.get_mut(old.0 as usize).and_then(Option::take)?;
        let internal = self.topology.link(old).is_some_and(|l| l.internal);
        for end in link.ends.iter_mut() {
            if *end == from {
                *end = to;
            }
        }
        if let Some(slot) = self.port_links[from.0 .0 as usize].get_mut(from.1 .0 as usize) {
            *slot = None;
        }
        self.topology.remove_link(old);
        let id = self.topology.add_link(LinkInfo {
            name: link.name.clone(),
            a: link.ends[0],
            b: link.ends[1],
            internal,
        });
        let i = id.0 as usize;
        if self.links.len() <= i {
            self.links.resize_with(i + 1, || None);
        }
        for (node, port) in link.ends {
            let ports = &mut self.port_links[node.0 as usize];
            if ports.len() <= port.0 as usize {
                ports.resize(port.0 as usize + 1, None);
            }
            ports[port.0 as usize] = Some(id);
        }
        // The device at the new end learns whether the cable it now holds is live.
        if let Some(d) = self
            .devices
            .get_mut(to.0 .0 as usize)
            .and_then(Option::as_mut)
        {
            d.set_carrier(to.1, link.up);
        }
        self.links[i] = Some(link);
        Some(id)
    }

    /// Takes a link down or up; the devices at both ends learn of it (carrier).
    pub fn set_link_up(&mut self, link: LinkId, up: bool) -> bool {
        let Some(l) = self.links.get_mut(link.0 as usize).and_then(Option::as_mut) else {
            return false;
        };
        l.up = up;
        for (node, port) in l.ends {
            if let Some(d) = self
                .devices
                .get_mut(node.0 as usize)
                .and_then(Option::as_mut)
            {
                d.set_carrier(port, up);
            }
        }
        true
    }

    pub fn link_on_port(&self, node: NodeId, port: PortId) -> Option<LinkId> {
        self.port_links
            .get(node.0 as usize)?
            .get(port.0 as usize)
            .copied()
            .flatten()
    }

    /// Runs `f` on a device as if an input had arrived now, then applies what it asked for.
    pub fn invoke<R>(
        &mut self,
        node: NodeId,
        f: impl FnOnce(&mut Device, &mut Outbox) -> R,
    ) -> Option<R> {
        self.outbox.reset(self.now, node);
        let out = &mut self.outbox;
        let result = self
            .devices
            .get_mut(node.0 as usize)
            .and_then(|d| d.as_mut())
            .map(|d| f(d, out));
        self.apply(node);
        result
    }

    /// The hops recorded so far, in the order they happened.
    pub fn trace(&self) -> &[Hop] {
        &self.trace
    }

    /// The names the recorded hops refer to.
    pub fn syms(&self) -> &Interner {
        &self.outbox.syms
    }

    /// Probe endings reported so far.
    pub fn ended(&self) -> &[ProbeEnd] {
        &self.ended
    }

    /// Runs events up to and including `until`, or until `stop` returns true after an event.
    pub fn run_until(&mut self, until: SimTime, mut stop: impl FnMut(&Engine) -> bool) -> RunStop {
        loop {
            let Some(t) = self.queue.peek_time() else {
                self.now = self.now.max(until.min(self.limits.max_time));
                return if until > self.limits.max_time {
                    RunStop::TimeLimit
                } else {
                    RunStop::Reached
                };
            };
            if t > until {
                self.now = self.now.max(until);
                return RunStop::Reached;
            }
            if t > self.limits.max_time {
                self.now = self.limits.max_time;
                return RunStop::TimeLimit;
            }
            if self.stats.events >= self.limits.max_events {
                return RunStop::EventBudget;
            }
            self.step();
            if stop(self) {
                return RunStop::Condition;
            }
        }
    }

    /// Runs for `d` of simulated time.
    pub fn run_for(&mut self, d: SimDuration) -> RunStop {
        let until = self.now + d;
        self.run_until(until, |_| false)
    }

    fn step(&mut self) {
        let Some((time, event)) = self.queue.pop() else {
            return;
        };
        assert!(time >= self.now, "simulated time went backwards");
        self.now = time;
        self.stats.events += 1;
        let node = match &event {
            Event::Arrive { node, .. } | Event::Timer { node, .. } => *node,
        };
        // The outbox is reused in place: devices and it are separate fields.
        let out = &mut self.outbox;
        out.reset(time, node);
        match (
            event,
            self.devices
                .get_mut(node.0 as usize)
                .and_then(|d| d.as_mut()),
        ) {
            (Event::Arrive { port, frame, .. }, Some(dev)) => dev.handle_frame(port, frame, out),
            (Event::Timer { token, .. }, Some(dev)) => dev.handle_timer(token, out),
            (Event::Arrive { frame, .. }, None) => out.drop_frame(&frame, |_| DropReason::NodeGone),
            (Event::Timer { .. }, None) => {}
        }
        self.apply(node);
    }

    /// Turns a device's requests into events, link by link.
    fn apply(&mut self, node: NodeId) {
        let out = &mut self.outbox;
        self.stats.frames_dropped += out.drops;
        for (at, token) in out.timers.drain(..) {
            self.queue
                .push(at.max(self.now), Event::Timer { node, token });
        }
        self.trace.append(&mut out.hops);
        self.ended.append(&mut out.ended);
        let mut sends = std::mem::take(&mut out.sends);
        for (port, frame) in sends.drain(..) {
            self.stats.frames_sent += 1;
            let link = self
                .port_links
                .get(node.0 as usize)
                .and_then(|p| p.get(port.0 as usize))
                .copied()
                .flatten();
            let Some(l) = link.and_then(|l| self.links[l.0 as usize].as_mut()) else {
                self.stats.frames_dropped += 1;
                let dev = self.devices[node.0 as usize].as_ref();
                out.hop(frame.probe, &frame.bytes, |syms| {
                    let port = dev.map(|d| d.port_name(port)).unwrap_or_default();
                    Action::Dropped(DropReason::Unplugged {
                        port: syms.intern(&port),
                    })
                });
                self.trace.append(&mut out.hops);
                continue;
            };
            let verdict = l.transmit(self.now, (node, port), frame.bytes.len());
            let (name, limit_bytes) = (&l.name, l.params.queue_limit_bytes);
            let reason: fn(Sym, usize) -> DropReason = match verdict {
                Transmit::Arrives { to, at } => {
                    self.queue.push(
                        at,
                        Event::Arrive {
                            node: to.0,
                            port: to.1,
                            frame,
                        },
                    );
                    continue;
                }
                Transmit::Down => |link, _| DropReason::LinkDown { link },
                Transmit::QueueFull => {
                    |link, limit_bytes| DropReason::QueueFull { link, limit_bytes }
                }
                Transmit::Lost => |link, _| DropReason::LinkLoss { link },
            };
            self.stats.frames_dropped += 1;
            out.hop(frame.probe, &frame.bytes, |syms| {
                Action::Dropped(reason(syms.intern(name), limit_bytes))
            });
            self.trace.append(&mut out.hops);
        }
        out.sends = sends;
    }
}
