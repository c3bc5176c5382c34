//! The engine: the one event loop, the only owner of simulated time.
//!
//! Owns the event queue, the devices, the links and the topology graph. It pops events in
//! `(time, seq)` order, hands each to its device, and turns the device's `Outbox` into new
//! events. It records hops of traced frames and counts everything else. It contains no
//! protocol logic. Every run is bounded by an event budget, a time limit and a memory bound
//! (`Limits`): the bytes it keeps (trace hops with their frame copies, queued events and
//! frames, recorded frames) are counted as they are kept, so the bound is the same on every
//! machine. A probe's trace keeps at most `Limits::max_trace_hops` hops (`trace`), and a
//! broadcast frame that keeps coming back stops the run as a storm (`storm`).
//!
//! Configuration changes that must happen at a simulated instant (a docker command, a link
//! going down, a reboot) are control events: the caller schedules a token, and `run_until`
//! stops when that token is due. The engine never knows what the token stands for.
//!
//! The control plane can remove a node while frames are in flight to it. Node ids are never
//! reused (`Topology`), so such a frame finds no device and is dropped (`NodeGone`), a timer
//! for it is discarded, and a hop keeps naming the node it was recorded at.
//!
//! A container host that lost power (`power_off`) has every node of its own stopped
//! (`power`): frames arriving there are dropped naming the host, timers wait for the power.
//!
//! With `record_frames(true)`, it also records every frame handed to a link (`frames`). Off
//! by default: something must want to read them.

mod flood;
pub mod frames;
pub mod link;
mod ports;
mod power;
pub mod queue;
mod quiet;
pub mod storm;
mod trace;

use crate::device::{Action, Device, DropReason, Frame, FrameBytes, Hop, Outbox, ProbeEnd};
use crate::id::{LinkId, NodeId, PortId, ProbeId};
use crate::rng::SimRng;
use crate::sym::{Interner, Sym};
use crate::time::{SimDuration, SimTime};
use crate::topology::{LinkInfo, NodeInfo, Topology};
use frames::{LinkNames, Recorder, WireFate, WireFrame};
use link::{LinkParams, Links, Transmit};
use queue::{Event, EventQueue};
use storm::StormWatch;
use trace::Trace;

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
    /// The run kept more bytes than its memory bound.
    MemoryLimit,
    /// A broadcast frame kept coming back: a storm (`Engine::storm` says where).
    Storm,
    /// A control event came due (the engine's clock is at its time): the caller runs what the
    /// token stands for, then calls `run_until` again to go on.
    Control(u64),
}

impl RunStop {
    /// The field of a scenario's `limits` that this stop is about, as the user writes it
    /// (`max_events`, `max_sim_time_ms`); other stops are not limits.
    pub fn limit_field(self) -> Option<&'static str> {
        match self {
            RunStop::EventBudget => Some("max_events"),
            RunStop::TimeLimit => Some("max_sim_time_ms"),
            RunStop::MemoryLimit => Some("max_memory_mb"),
            RunStop::Storm => Some("storm_copies"),
            RunStop::Reached | RunStop::Condition | RunStop::Control(_) => None,
        }
    }

    /// Whether the run stopped at one of its bounds (it cannot go on).
    pub fn is_limit(self) -> bool {
        self.limit_field().is_some()
    }
}

/// The bounds of a run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_events: u64,
    pub max_time: SimTime,
    /// The most bytes the run may keep (`Engine::kept_bytes`).
    pub max_memory_bytes: u64,
    /// The most hops the trace keeps of one probe; later ones are counted, not kept.
    pub max_trace_hops: u32,
    /// How many copies of one broadcast frame one port may receive within
    /// `storm::WINDOW` before the run stops as a storm.
    pub storm_copies: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: 10_000_000,
            max_time: SimTime(3_600 * 1_000_000_000),
            max_memory_bytes: 256 << 20,
            max_trace_hops: 10_000,
            storm_copies: 100,
        }
    }
}

/// What one queued event costs besides its frame's bytes: the event and its queue entry.
const EVENT_BYTES: u64 = (std::mem::size_of::<Event>() + 16) as u64;

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
    port_links: ports::PortTable,
    links: Links,
    outbox: Outbox,
    pub limits: Limits,
    pub stats: Stats,
    trace: Trace,
    ended: Vec<ProbeEnd>,
    recorder: Recorder,
    /// Bytes of the frames waiting in `queue`.
    queued_frame_bytes: u64,
    /// The memory bound less the kept bytes that change only on rare paths (recorded
    /// frames, timers held by hosts without power), down to 0: `run_until` checks the rest
    /// against it (`over_memory`). Set when a run starts, lowered where those parts grow.
    memory_room: u64,
    storm_watch: StormWatch,
    /// Arrivals at a forwarding port of untraced unicast frames past
    /// `storm::UNICAST_LOOP_HOPS` switch hops (each one watched).
    past_hop_bound: u64,
    /// The finding, once a storm stopped the run.
    storm: Option<String>,
    /// The flood batch being delivered, copy by copy (`flood`): its copies come before
    /// everything still queued.
    flood: Option<Box<flood::Batch>>,
    /// Queued copies beyond one per queue entry (the rest of each queued batch, and the
    /// copies left in `flood`): every copy counts as a queued event.
    batched_copies: usize,
    gather: flood::Gather,
    /// What each node's stack ignores of a flooded ARP request (`quiet`).
    quiet: quiet::QuietIndex,
    /// The nodes of hosts without power, and the timers they hold.
    power: power::Power,
}

/// Sends the copies of a flood on `ports` of `node` (whose links are `node_links`) for as
/// long as each leaves on an idle link of `plan`'s class (`Links::transmit_idle`), at `now`:
/// each arrives at `plan.at` and is added to `copies`, the open batch's destinations. Returns
/// how many were sent; the copy after them, if any, takes `Links::transmit`. Out of line
/// (once a flood, not once a copy): inlined into `send_all`, whose registers were taken, it
/// kept its nine loop values on the stack and read the link table afresh after every push.
#[inline(never)]
fn send_idle_run(
    (port_links, links): (&ports::PortTable, &mut Links),
    (node, node_links): (NodeId, ports::Span),
    ports: &[PortId],
    (now, plan): (SimTime, link::IdlePlan),
    copies: &mut Vec<(NodeId, PortId)>,
) -> usize {
    let node_links = port_links.links_in(node_links);
    // Room for the whole run at once: a new batch's list grows to a flood's size in one
    // step, not by doubling.
    copies.reserve(ports.len());
    let mut sent = 0;
    for &port in ports {
        let Some(to) = node_links
            .get_or_mark(port)
            .and_then(|id| links.transmit_idle(id, now, (node, port), plan))
        else {
            break;
        };
        copies.push(to);
        sent += 1;
    }
    sent
}

impl Engine {
    pub fn new(seed: u64, limits: Limits) -> Self {
        Engine {
            now: SimTime::ZERO,
            seed,
            queue: EventQueue::default(),
            topology: Topology::default(),
            devices: Vec::new(),
            port_links: ports::PortTable::default(),
            links: Links::default(),
            outbox: Outbox::default(),
            limits,
            stats: Stats::default(),
            trace: Trace::default(),
            ended: Vec::new(),
            recorder: Recorder::default(),
            queued_frame_bytes: 0,
            memory_room: 0,
            storm_watch: StormWatch::default(),
            past_hop_bound: 0,
            storm: None,
            flood: None,
            batched_copies: 0,
            gather: flood::Gather::default(),
            quiet: quiet::QuietIndex::default(),
            power: power::Power::default(),
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
    /// How many copies of flooded ARP requests were counted as events without being handed
    /// to their stack, which ignores them for sure (`quiet`).
    pub fn quiet_copies(&self) -> u64 {
        self.quiet.skipped
    }

    /// Queued events, each copy of a batched flood counted as one.
    pub fn pending_events(&self) -> usize {
        self.queue.len() + self.batched_copies
    }

    pub fn add_node(&mut self, info: NodeInfo, device: Device) -> NodeId {
        self.power
            .added(self.topology.next_node_id(), info.host.as_deref());
        let id = self.topology.add_node(info);
        let i = id.0 as usize;
        if self.devices.len() <= i {
            self.devices.resize_with(i + 1, || None);
        }
        self.devices[i] = Some(device);
        self.port_links.reset_node(id);
        self.quiet.forget(id);
        id
    }

    /// Removes a node and unplugs every link attached to it. Frames in flight to it are dropped on arrival.
    /// The id the next node added will get (ids are handed out in order, never reused).
    pub fn next_node_id(&self) -> NodeId {
        self.topology.next_node_id()
    }

    pub fn remove_node(&mut self, node: NodeId) {
        let links: Vec<LinkId> = self.port_links.links_of(node).collect();
        for l in links {
            self.remove_link(l);
        }
        self.devices[node.0 as usize] = None;
        self.quiet.forget(node);
        self.topology.remove_node(node);
    }

    pub fn device(&self, node: NodeId) -> Option<&Device> {
        self.devices.get(node.0 as usize).and_then(|d| d.as_ref())
    }
    pub fn device_mut(&mut self, node: NodeId) -> Option<&mut Device> {
        self.quiet.forget(node);
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
        self.links.insert(id, name, [a, b], params, rng);
        for (node, port) in [a, b] {
            self.port_links.set(node, port, Some(id));
        }
        id
    }

    pub fn remove_link(&mut self, link: LinkId) {
        if let Some(ends) = self.links.remove(link) {
            for (node, port) in ends {
                self.port_links.set(node, port, None);
            }
            self.topology.remove_link(link);
        }
    }

    /// Moves one end of a cable from `from` to `to`, as when HNS binds a NIC to an external
    /// vSwitch: the link keeps its name, parameters, state and loss stream. Returns the
    /// link's new id, or `None` if no link ends at `from`.
    pub fn replug(&mut self, from: (NodeId, PortId), to: (NodeId, PortId)) -> Option<LinkId> {
        let old = self.link_on_port(from.0, from.1)?;
        let l = self.links.get(old)?;
        let (name, up) = (self.links.name(old).to_string(), l.up);
        let internal = self.topology.link(old).is_some_and(|l| l.internal);
        let ends = l.ends().map(|end| if end == from { to } else { end });
        self.port_links.set(from.0, from.1, None);
        self.topology.remove_link(old);
        let id = self.topology.add_link(LinkInfo {
            name,
            a: ends[0],
            b: ends[1],
            internal,
        });
        self.links.replug(old, id, ends);
        for (node, port) in ends {
            self.port_links.set(node, port, Some(id));
        }
        // The device at the new end learns whether the cable it now holds is live.
        self.quiet.forget(to.0);
        if let Some(d) = self
            .devices
            .get_mut(to.0 .0 as usize)
            .and_then(Option::as_mut)
        {
            d.set_carrier(to.1, up);
        }
        Some(id)
    }

    /// Takes a link down or up; the devices at both ends learn of it (carrier).
    pub fn set_link_up(&mut self, link: LinkId, up: bool) -> bool {
        let Some(ends) = self.links.set_up(link, up) else {
            return false;
        };
        for (node, port) in ends {
            self.quiet.forget(node);
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

    /// Sets or clears (`None`) the faults on a link (see `link::Impairment`). Their draws
    /// come from a stream derived from the run's seed, the link's name and `round` (how many
    /// times the caller set faults before), so runs stay identical per seed.
    pub fn set_link_impairment(
        &mut self,
        link: LinkId,
        faults: Option<link::Impairment>,
        round: u64,
    ) -> bool {
        if self.links.get(link).is_none() {
            return false;
        }
        let rng = SimRng::derive(
            self.seed,
            &format!("impair:{}:{round}", self.links.name(link)),
        );
        self.links.set_impairment(link, faults, rng)
    }

    /// Whether a link exists and is up.
    pub fn link_is_up(&self, link: LinkId) -> bool {
        self.links.get(link).is_some_and(|l| l.up)
    }

    /// The other end of the link on `(node, port)`, and whether the link is up.
    pub fn peer_of(&self, node: NodeId, port: PortId) -> Option<((NodeId, PortId), bool)> {
        let id = self.link_on_port(node, port)?;
        let l = self.links.get(id)?;
        Some((l.other_end((node, port)), l.up))
    }

    pub fn link_on_port(&self, node: NodeId, port: PortId) -> Option<LinkId> {
        self.port_links.link(node, port)
    }

    /// Schedules control event `token` at `at`: `run_until` returns `RunStop::Control(token)`
    /// when it is due, ordered with every other event by `(time, insertion order)`.
    pub fn schedule_control(&mut self, at: SimTime, token: u64) {
        assert!(
            at >= self.now,
            "a control event cannot be scheduled in the past"
        );
        self.queue.push(at, Event::Control { token });
    }

    /// Runs `f` on a device as if an input had arrived now, then applies what it asked for.
    pub fn invoke<R>(
        &mut self,
        node: NodeId,
        f: impl FnOnce(&mut Device, &mut Outbox) -> R,
    ) -> Option<R> {
        self.outbox.begin(self.now, node);
        self.quiet.forget(node);
        let out = &mut self.outbox;
        let result = self
            .devices
            .get_mut(node.0 as usize)
            .and_then(|d| d.as_mut())
            .map(|d| f(d, out));
        if let Some(host) = self.power.host_of(node) {
            power::drop_sends(&mut self.outbox, host);
        }
        self.apply(node, 0);
        result
    }

    /// Container host `host` loses power: every node whose `NodeInfo::host` names it (and
    /// any added while it is down) stops. Frames that arrive at one are dropped naming the
    /// host; its timers wait until `power_on`.
    pub fn power_off(&mut self, host: &str) {
        let nodes: Vec<NodeId> = self
            .topology
            .nodes()
            .filter(|(_, info)| info.host.as_deref() == Some(host))
            .map(|(id, _)| id)
            .collect();
        let sym = self.outbox.syms.intern(host);
        let count = self.topology.next_node_id().0 as usize;
        self.power.cut(host, sym, &nodes, count);
    }

    /// Host `host` has power again: the timers its nodes held fire now, in the order they
    /// came due.
    pub fn power_on(&mut self, host: &str) {
        for (node, token) in self.power.restore(host) {
            self.queue.push(self.now, Event::timer(node, token));
        }
    }

    /// The host without power that `node` belongs to, by name.
    pub fn unpowered(&self, node: NodeId) -> Option<&str> {
        self.power.host_of(node).map(|s| self.outbox.syms.get(s))
    }

    /// The hops recorded so far, in the order they happened (at most
    /// `limits.max_trace_hops` of each probe).
    pub fn trace(&self) -> &[Hop] {
        &self.trace.hops
    }

    /// How many hops of `probe` the trace left out, past `limits.max_trace_hops`.
    pub fn hops_left_out(&self, probe: ProbeId) -> u64 {
        self.trace.left_out(probe)
    }

    /// The bytes the run keeps: the trace's hops and their frames, the queued events and
    /// their frames, and the recorded frames. Counted, not measured: the same on every
    /// machine. (Devices' own state, set up by the scenario, is not counted.)
    pub fn kept_bytes(&self) -> u64 {
        self.trace.bytes
            + self.recorder.bytes
            + self.queued_frame_bytes
            + (self.pending_events() + self.power.held.len()) as u64 * EVENT_BYTES
    }

    /// Whether `kept_bytes()` is over `limits.max_memory_bytes`, with an event pending,
    /// reading only the parts that change on every event. Exact: the parts left out are
    /// already taken from `memory_room`, and when they alone reach the bound the room is 0,
    /// which the pending event's bytes exceed.
    #[inline(always)]
    fn over_memory(&self) -> bool {
        let busy =
            self.trace.bytes + self.queued_frame_bytes + self.pending_events() as u64 * EVENT_BYTES;
        let over = busy > self.memory_room;
        debug_assert_eq!(over, self.kept_bytes() > self.limits.max_memory_bytes);
        over
    }

    /// `memory_room` for the parts `over_memory` leaves out, as they are now.
    fn measure_memory_room(&mut self) {
        let rare = self.recorder.bytes + self.power.held.len() as u64 * EVENT_BYTES;
        self.memory_room = self.limits.max_memory_bytes.saturating_sub(rare);
    }

    /// How many times an untraced unicast frame arrived at a switch or bridge port after more
    /// than `storm::UNICAST_LOOP_HOPS` switch hops, so that the storm watch counted it: never
    /// on a loop-free topology.
    pub fn frames_past_hop_bound(&self) -> u64 {
        self.past_hop_bound
    }

    /// The storm that stopped the run, in words, if one did.
    pub fn storm(&self) -> Option<&str> {
        self.storm.as_deref()
    }

    /// The names the recorded hops refer to.
    pub fn syms(&self) -> &Interner {
        &self.outbox.syms
    }

    /// The name of the node of hop `trace()[index]`, even if the node was removed since.
    pub fn hop_node_name(&self, index: usize) -> Option<&str> {
        self.topology.name(self.trace.hops.get(index)?.node)
    }

    /// Probe endings reported so far.
    pub fn ended(&self) -> &[ProbeEnd] {
        &self.ended
    }

    /// Switches recording of frames on links on or off (off by default). While it is on,
    /// every frame handed to a link, traced or not, is kept in `wire_frames`.
    pub fn record_frames(&mut self, on: bool) {
        self.recorder.on = on;
    }

    pub fn recording_frames(&self) -> bool {
        self.recorder.on
    }

    /// The frames handed to links while recording was on, in the order they were sent.
    pub fn wire_frames(&self) -> &[WireFrame] {
        &self.recorder.frames
    }

    /// The names of a link that carried a recorded frame, and of its ports, even if it was
    /// removed since.
    pub fn link_names(&self, link: LinkId) -> Option<&LinkNames> {
        self.recorder.links.get(link.0 as usize)?.as_ref()
    }

    /// Runs events up to and including `until`, or until `stop` returns true after an event,
    /// or until a control event is due (it counts as an event; no device sees it).
    pub fn run_until(&mut self, until: SimTime, mut stop: impl FnMut(&Engine) -> bool) -> RunStop {
        // Nothing in the run changes the limits (`stop` only reads the engine): an event
        // within both `until` and the time limit is one comparison.
        let horizon = until.min(self.limits.max_time);
        // Anything may have changed since the last run (tests even set the parts).
        self.measure_memory_room();
        loop {
            let Some(t) = self.peek_time() else {
                self.now = self.now.max(horizon);
                return if until > self.limits.max_time {
                    RunStop::TimeLimit
                } else {
                    RunStop::Reached
                };
            };
            if t > horizon {
                if t > until {
                    self.now = self.now.max(until);
                    return RunStop::Reached;
                }
                self.now = self.limits.max_time;
                return RunStop::TimeLimit;
            }
            if self.stats.events >= self.limits.max_events {
                return RunStop::EventBudget;
            }
            if self.over_memory() {
                return RunStop::MemoryLimit;
            }
            if self.storm.is_some() {
                return RunStop::Storm;
            }
            // The flood's copies that their receivers ignore for sure, from the next one on,
            // are counted here (`quiet`), without the way through `step`.
            if self.flood.as_ref().is_some_and(|b| b.ask.is_some()) {
                match self.skip_ignored_copies(&mut stop) {
                    Some(false) => continue,
                    Some(true) => return RunStop::Condition,
                    None => {}
                }
            }
            if let Some(token) = self.step() {
                return RunStop::Control(token);
            }
            if stop(self) {
                return RunStop::Condition;
            }
        }
    }

    /// Runs for `d` of simulated time (or until a control event is due, like `run_until`).
    pub fn run_for(&mut self, d: SimDuration) -> RunStop {
        let until = self.now + d;
        self.run_until(until, |_| false)
    }

    /// The time of the next event: the flood batch being delivered comes first.
    fn peek_time(&mut self) -> Option<SimTime> {
        match &self.flood {
            Some(batch) => Some(batch.time),
            None => self.queue.peek_time(),
        }
    }

    /// Handles the next event: the next copy of the flood batch being delivered, or the
    /// queue's next (a batch's first copy when it is a batch). Returns the token of a
    /// control event instead of handling it. Always inlined into `run_until`, its one
    /// caller: the call and its set-up were a tenth of the engine's work on an event.
    #[inline(always)]
    fn step(&mut self) -> Option<u64> {
        let (time, to, switch_hops, frame) = if self.flood.is_none() {
            // `peek_time` just found this event in the queue.
            let (time, event) = self.queue.pop_peeked()?;
            assert!(time >= self.now, "simulated time went backwards");
            match event {
                Event::Arrive {
                    node,
                    port,
                    switch_hops,
                    frame,
                } => (time, (node, port), switch_hops, frame),
                Event::Timer { node, token } => {
                    self.fire(time, node.0, token);
                    return None;
                }
                Event::Control { token } => {
                    self.now = time;
                    self.stats.events += 1;
                    return Some(token);
                }
                Event::Flood(mut batch) => {
                    batch.time = time;
                    batch.classify();
                    // Its first copy now stands out of the queue too.
                    self.batched_copies += 1;
                    self.flood = Some(batch);
                    self.next_flood_copy()?
                }
            }
        } else {
            self.next_flood_copy()?
        };
        // One call site, so that `arrive` is inlined here.
        self.arrive(time, to, switch_hops, frame);
        None
    }

    /// The next copy of the flood batch being delivered, handed over in place (building an
    /// `Event` for it made the compiler copy the frame through the stack twice); `None` when
    /// the copy was skipped because its receiver ignores it for sure (`quiet`).
    fn next_flood_copy(&mut self) -> Option<(SimTime, (NodeId, PortId), u16, Frame)> {
        if self.skip_ignored_copy() {
            return None;
        }
        let batch = self.flood.as_mut()?;
        let (time, switch_hops) = (batch.time, batch.switch_hops);
        let (to, frame, last) = batch.next_copy();
        self.batched_copies -= 1;
        if last {
            if let Some(done) = self.flood.take() {
                self.gather.recycle(done);
            }
        }
        Some((time, to, switch_hops, frame))
    }

    /// For `run_until`: counts the copies of the flood batch being delivered that their
    /// receivers ignore for sure (`quiet`), from the next one on, asking `stop` after each as
    /// after any event. They are events at the same time, and skipping a copy neither grows
    /// what is kept nor starts a storm: of `run_until`'s checks only the event budget can
    /// change between them, and they stop at it. Returns whether `stop` held, or `None` if
    /// the next copy takes the full way. Out of line: `run_until` keeps its registers.
    #[inline(never)]
    fn skip_ignored_copies(&mut self, stop: &mut impl FnMut(&Engine) -> bool) -> Option<bool> {
        let budget = self.limits.max_events - self.stats.events;
        let ignored = self.ignored_copies(budget);
        let batch = self.flood.as_deref().filter(|_| ignored > 0)?;
        let (time, len) = (batch.time, batch.frame_len() as u64);
        // Counted one by one; the batch moves past them after (nothing `stop` can read tells
        // the two apart). The frame's time and length are read once, so that the counting
        // reads nothing else and an always-false `stop` lets the compiler add them up at once.
        let mut counted = 0;
        let mut halted = false;
        while counted < ignored {
            counted += 1;
            self.count_ignored_copy(time, len);
            if stop(self) {
                halted = true;
                break;
            }
        }
        self.pass_ignored_copies(counted);
        Some(halted)
    }

    /// Counts the next copy of the flood batch being delivered without handing it over, if
    /// its receiver ignores it for sure (`quiet`): an event at its time like any other, with
    /// the stack left as it would be. False if there is no such copy next.
    #[inline(always)]
    fn skip_ignored_copy(&mut self) -> bool {
        if self.ignored_copies(1) == 0 {
            return false;
        }
        if let Some(batch) = self.flood.as_deref() {
            let (time, len) = (batch.time, batch.frame_len() as u64);
            self.count_ignored_copy(time, len);
        }
        self.pass_ignored_copies(1);
        true
    }

    /// How many copies of the flood batch being delivered, from the next one on and at most
    /// `most`, their receivers ignore for sure (`quiet`): the run ends at the first copy that
    /// must take the full way. Nothing is counted yet.
    #[inline(always)]
    fn ignored_copies(&mut self, most: u64) -> usize {
        let Some(batch) = self.flood.as_deref() else {
            return 0;
        };
        let Some(ask) = batch.ask else {
            return 0;
        };
        let pending = batch.pending();
        let most = usize::try_from(most).map_or(pending.len(), |m| m.min(pending.len()));
        let power = &self.power;
        let n = self
            .quiet
            .ignored_run(&pending[..most], ask, &self.devices, |node| {
                power.host_of(node).is_none()
            });
        self.check_ignored(n);
        n
    }

    /// Counts a copy of `len` bytes arriving at `time` that its receiver ignores, as `arrive`
    /// counts it, without handing it over.
    #[inline(always)]
    fn count_ignored_copy(&mut self, time: SimTime, len: u64) {
        self.now = time;
        self.stats.events += 1;
        self.queued_frame_bytes -= len;
        self.batched_copies -= 1;
        self.quiet.skipped += 1;
    }

    /// Moves the flood batch being delivered past `n` copies counted by `count_ignored_copy`.
    #[inline(always)]
    fn pass_ignored_copies(&mut self, n: usize) {
        if self.flood.as_mut().is_some_and(|b| b.skip_copies(n)) {
            if let Some(done) = self.flood.take() {
                self.gather.recycle(done);
            }
        }
    }

    /// Debug builds: the next `n` copies, which the quiet index says their receivers ignore,
    /// are handed to the full check, which must agree.
    #[cfg(debug_assertions)]
    fn check_ignored(&mut self, n: usize) {
        let Some(batch) = self.flood.as_deref() else {
            return;
        };
        for &(node, port) in &batch.pending()[..n] {
            if let Some(dev) = self.devices[node.0 as usize].as_mut() {
                assert!(
                    dev.ignores_flooded_arp(port, batch.frame()),
                    "the quiet index skipped a copy that {} acts on",
                    dev.name()
                );
            }
        }
    }

    #[cfg(not(debug_assertions))]
    #[inline(always)]
    fn check_ignored(&mut self, _: usize) {}

    /// A frame arrives at `port` of `node` at `time`, after `switch_hops` layer-2 hops.
    #[inline(always)]
    fn arrive(
        &mut self,
        time: SimTime,
        (node, port): (NodeId, PortId),
        switch_hops: u16,
        frame: Frame,
    ) {
        self.now = time;
        // The outbox is reused in place: devices and it are separate fields. Started first,
        // while the time is at hand (nothing below reads it before the device does).
        self.outbox.begin(time, node);
        // What a switch or bridge sends on is the same frame, one hop further (`forward`);
        // anything else a device sends starts afresh.
        self.outbox.forward_hops = switch_hops.wrapping_add(1);
        self.quiet.forget(node);
        self.stats.events += 1;
        self.queued_frame_bytes -= frame.bytes.len() as u64;
        // Group-addressed and traced frames are watched at every forwarding port; any other
        // frame once it made more switch hops than a loop-free path has.
        if (storm::is_group(&frame.bytes)
            || frame.probe.is_some()
            || switch_hops > storm::UNICAST_LOOP_HOPS)
            && self.forwards_from(node, port)
        {
            self.watch_frame((node, port), &frame.bytes, frame.probe.is_some());
        }
        let out = &mut self.outbox;
        let device = self
            .devices
            .get_mut(node.0 as usize)
            .and_then(|d| d.as_mut());
        match (device, self.power.host_of(node)) {
            // A switch's plain path sends the frame straight on, without the outbox.
            (Some(Device::Switch(sw)), None) => match sw.plain_route(port, &frame, out) {
                Some(to) => {
                    let hops = out.forward_hops;
                    self.forward_lone(node, hops, to, frame);
                    return;
                }
                None => sw.handle_frame_full(port, frame, out),
            },
            (Some(dev), None) => dev.handle_frame(port, frame, out),
            (_, Some(host)) => out.drop_frame(&frame, |_| DropReason::HostDown { host }),
            (None, None) => out.drop_frame(&frame, |_| DropReason::NodeGone),
        }
        let sent_hops = out.sent_hops;
        self.apply(node, sent_hops);
    }

    /// A device's timer fires at `time`; one for a removed node is discarded, one for a node
    /// without power waits for it (counted as an event when it fires).
    fn fire(&mut self, time: SimTime, node: NodeId, token: u64) {
        self.now = time;
        self.quiet.forget(node);
        if self.power.host_of(node).is_some() {
            self.power.held.push((node, token));
            self.memory_room = self.memory_room.saturating_sub(EVENT_BYTES);
            return;
        }
        self.stats.events += 1;
        let out = &mut self.outbox;
        out.begin(time, node);
        if let Some(dev) = self
            .devices
            .get_mut(node.0 as usize)
            .and_then(|d| d.as_mut())
        {
            dev.handle_timer(token, out);
        }
        self.apply_inlined(node, 0);
    }

    /// Whether a frame arriving at `port` of `node` may be forwarded on: at a switch, or at
    /// a port of a bridge inside a stack. Only there can a loop bring a flooded frame back;
    /// a host's own interface ends it, so watching those (every copy of every flood) would
    /// cost a hash per copy for nothing.
    fn forwards_from(&self, node: NodeId, port: PortId) -> bool {
        match self.devices.get(node.0 as usize).and_then(|d| d.as_ref()) {
            Some(Device::Switch(_)) => true,
            Some(Device::Stack(s)) => s.iface(port).is_some_and(|i| i.master.is_some()),
            None => false,
        }
    }

    /// Counts a group-addressed or traced frame, or one past `storm::UNICAST_LOOP_HOPS`
    /// switch hops, arriving at `end`; notes the storm (or the unicast loop) when one port
    /// has seen `limits.storm_copies` copies of it. Kept out of line: untraced unicast on a
    /// loop-free path never comes here.
    #[inline(never)]
    fn watch_frame(&mut self, end: (NodeId, PortId), bytes: &[u8], traced: bool) {
        if !storm::is_group(bytes) && !traced {
            self.past_hop_bound += 1;
        }
        if self.storm.is_some() {
            return;
        }
        if !storm::is_group(bytes) {
            // A host that sends the same frame again is no loop: only arrivals from another
            // forwarding node count; and while a broadcast storms, it is the storm that is
            // named, not the answers that go round because of it.
            let from_forwarder = self
                .peer_of(end.0, end.1)
                .is_some_and(|((n, p), _)| self.forwards_from(n, p));
            if !from_forwarder || self.storm_watch.group_coming_back(self.now) {
                return;
            }
        }
        let copies = self.limits.storm_copies.max(1);
        if let Some(seen) = self.storm_watch.saw(self.now, end, bytes, copies) {
            self.storm = Some(storm::describe(&seen, end, self));
        }
    }

    /// Turns a device's requests into events, link by link; the frames sent have made
    /// `switch_hops` layer-2 hops. Out of line for `run_until`, which keeps its registers.
    #[inline(never)]
    fn apply(&mut self, node: NodeId, switch_hops: u16) {
        self.apply_inlined(node, switch_hops);
    }

    /// `apply`, inlined into `fire` (already out of line): its own call and set-up cost a
    /// tenth of its work.
    #[inline(always)]
    fn apply_inlined(&mut self, node: NodeId, switch_hops: u16) {
        let out = &mut self.outbox;
        self.stats.frames_dropped += out.drops;
        // Most inputs ask for one or two of these things: each is looked at only if asked
        // for (a drain or an append of an empty vector still costs a call and its set-up).
        if !out.timers.is_empty() {
            // Read in place and cleared after (plain data): a `drain` of the one timer an
            // input usually sets cost more than its push.
            for &(at, token) in &out.timers {
                self.queue.push(at.max(self.now), Event::timer(node, token));
            }
            out.timers.clear();
        }
        let max_hops = self.limits.max_trace_hops;
        self.trace.keep(&mut out.hops, max_hops);
        if !out.ended.is_empty() {
            self.ended.append(&mut out.ended);
        }
        if out.flood.ports.is_empty() {
            match out.sends.len() {
                0 => return,
                1 => {
                    self.send_one(node, switch_hops);
                    return;
                }
                _ => {}
            }
        }
        self.send_all(node, switch_hops);
    }

    /// `apply` for the input that sends one frame and floods nothing (nearly every event
    /// that sends): the frame goes from the outbox straight into the queue. No batch can be
    /// open (`apply` closes each before it returns), so a shared frame is queued alone as
    /// the batch of its one copy would be; any fate but arriving takes `settle`'s way.
    #[inline(always)]
    fn send_one(&mut self, node: NodeId, switch_hops: u16) {
        let Some((port, frame)) = self.outbox.sends.pop() else {
            return;
        };
        self.send_lone(node, switch_hops, port, frame);
    }

    /// `apply` for a frame a switch forwards on its plain path (`Switch::plain_route`), which
    /// asked for nothing else but, for a traced frame, its hop: the frame is sent as
    /// `send_one` sends it, without going through the outbox (its push there was an
    /// out-of-line call). Out of line, so that `run_until` keeps its registers.
    #[inline(never)]
    fn forward_lone(&mut self, node: NodeId, switch_hops: u16, port: PortId, frame: Frame) {
        self.outbox.sent_hops = switch_hops;
        let max_hops = self.limits.max_trace_hops;
        self.trace.keep(&mut self.outbox.hops, max_hops);
        self.send_lone(node, switch_hops, port, frame);
    }

    /// Sends one frame from `port` of `node` when nothing else is sent (`send_one`,
    /// `forward_lone`).
    #[inline(always)]
    fn send_lone(&mut self, node: NodeId, switch_hops: u16, port: PortId, frame: Frame) {
        debug_assert!(!self.gather.is_open(), "apply closed the last batch");
        self.stats.frames_sent += 1;
        let len = frame.bytes.len();
        match self.transmit(self.port_links.span(node), (node, port), len) {
            Some((_, Transmit::Arrives { to, at })) if !self.recorder.on => {
                // Kept until it arrives (the memory bound counts it).
                self.queued_frame_bytes += len as u64;
                self.queue.push(at, Event::arrive(to, switch_hops, frame));
            }
            Some((link, verdict)) => {
                self.settle_cold(link, (node, port), verdict, frame, switch_hops);
                self.gather.close(&mut self.queue, &mut self.batched_copies);
            }
            None => self.unplugged(node, port, &frame),
        }
    }

    /// `apply` for every other input that sends: each frame in order, then the flood's
    /// copies; the batch they open is queued before it returns.
    #[inline(never)]
    fn send_all(&mut self, node: NodeId, switch_hops: u16) {
        let node_links = self.port_links.span(node);
        // Each frame is taken out in place: moving the (port, frame) pairs out of the
        // vector makes the compiler copy them through the stack in pieces it then cannot
        // forward to its own loads, a stall on every frame.
        for i in 0..self.outbox.sends.len() {
            let port = self.outbox.sends[i].0;
            let frame = std::mem::take(&mut self.outbox.sends[i].1);
            self.stats.frames_sent += 1;
            let len = frame.bytes.len();
            match self.transmit(node_links, (node, port), len) {
                Some((link, verdict)) => {
                    self.settle(link, (node, port), verdict, frame, switch_hops)
                }
                None => self.unplugged(node, port, &frame),
            }
        }
        if !self.outbox.flood.ports.is_empty() {
            self.send_flood(node, node_links, switch_hops);
        }
        self.gather.close(&mut self.queue, &mut self.batched_copies);
        self.outbox.sends.clear();
    }

    /// Sends the copies of a flood that leave unchanged (`Outbox::flood_copy`): each one
    /// that arrives joins the open flood batch as a destination, without a frame of its
    /// own; any other fate takes the way every frame takes.
    fn send_flood(&mut self, node: NodeId, node_links: ports::Span, switch_hops: u16) {
        let flood = std::mem::take(&mut self.outbox.flood);
        let len = flood.frame.bytes.len();
        // When the open batch is the one the last copy joined: its arrival time. A copy
        // arriving then joins it with no more checks (same frame, probe and hops).
        let mut joined: Option<SimTime> = None;
        // How a copy leaves on an idle link of the class the first copy took (nearly every
        // copy: a switch's ports lead to links of one class, idle at a flood's start). Such
        // a copy arrives at the plan's time, so it joins the batch the last one joined.
        // Recording takes every copy through `settle`.
        let mut plan = None;
        let recording = self.recorder.on;
        self.stats.frames_sent += flood.ports.len() as u64;
        let mut next = 0;
        while let Some(&port) = flood.ports.get(next) {
            // A run of copies on idle links of the plan's class joins the batch the last copy
            // joined, each with no more than its link's checks.
            if let Some(plan) = plan.filter(|p: &link::IdlePlan| joined == Some(p.at)) {
                if let Some(copies) = self.gather.open_copies() {
                    let run = &flood.ports[next..];
                    let sent = send_idle_run(
                        (&self.port_links, &mut self.links),
                        (node, node_links),
                        run,
                        (self.now, plan),
                        copies,
                    );
                    self.queued_frame_bytes += (sent * len) as u64;
                    if sent > 0 {
                        next += sent;
                        continue;
                    }
                }
            }
            next += 1;
            let Some(id) = self.port_links.link_in(node_links, port) else {
                joined = None;
                self.unplugged(node, port, &flood.frame);
                continue;
            };
            let Some(verdict) = self.links.transmit(id, self.now, (node, port), len) else {
                joined = None;
                self.unplugged(node, port, &flood.frame);
                continue;
            };
            match verdict {
                Transmit::Arrives { to, at } if !recording => {
                    self.queued_frame_bytes += len as u64;
                    if joined == Some(at) && self.gather.join(to) {
                        continue;
                    }
                    let (queue, batched) = (&mut self.queue, &mut self.batched_copies);
                    self.gather
                        .offer_copy(at, to, &flood.frame, switch_hops, queue, batched);
                    joined = Some(at);
                    if plan.is_none() {
                        plan = self.links.idle_plan(id, self.now, len);
                    }
                }
                verdict => {
                    joined = None;
                    let frame = flood.frame.clone();
                    self.settle_cold(id, (node, port), verdict, frame, switch_hops);
                }
            }
        }
        let mut flood = flood;
        flood.clear();
        self.outbox.flood = flood;
    }

    /// Puts a frame of `len` bytes on the link plugged into `from`'s port: what becomes of
    /// it, or `None` if no link is plugged in there. Inlined into both loops of `apply`
    /// (a call costs more than its work).
    #[inline(always)]
    fn transmit(
        &mut self,
        node_links: ports::Span,
        from: (NodeId, PortId),
        len: usize,
    ) -> Option<(LinkId, Transmit)> {
        let id = self.port_links.link_in(node_links, from.1)?;
        Some((id, self.links.transmit(id, self.now, from, len)?))
    }

    /// A frame sent where no link is plugged in: dropped, and said so when traced.
    #[cold]
    #[inline(never)]
    fn unplugged(&mut self, node: NodeId, port: PortId, frame: &Frame) {
        self.stats.frames_dropped += 1;
        let dev = self.devices[node.0 as usize].as_ref();
        let out = &mut self.outbox;
        out.hop(frame.probe, &frame.bytes, |syms| {
            let port = dev.map(|d| d.port_name(port)).unwrap_or_default();
            Action::Dropped(DropReason::Unplugged {
                port: syms.intern(&port),
            })
        });
        self.trace.keep(&mut out.hops, self.limits.max_trace_hops);
    }

    /// `settle`, out of line: a flood's copy, or a lone frame, that does not simply arrive
    /// (or is recorded).
    #[cold]
    #[inline(never)]
    fn settle_cold(
        &mut self,
        id: LinkId,
        from: (NodeId, PortId),
        verdict: Transmit,
        frame: Frame,
        switch_hops: u16,
    ) {
        self.settle(id, from, verdict, frame, switch_hops);
    }

    /// What becomes of a frame sent from `from` on link `id` (`verdict`): queued to arrive
    /// (once, twice, or as a copy of the open flood batch), or dropped with the reason.
    /// Inlined into `apply`'s loop, where nearly every frame comes.
    #[inline(always)]
    fn settle(
        &mut self,
        id: LinkId,
        from: (NodeId, PortId),
        verdict: Transmit,
        frame: Frame,
        switch_hops: u16,
    ) {
        let len = frame.bytes.len();
        let max_hops = self.limits.max_trace_hops;
        let out = &mut self.outbox;
        let l = &self.links;
        if l.get(id).is_none() {
            return;
        }
        // What a drop reason needs besides the link's name: the loss impairment's
        // probability, or (read only for a drop: it is off the link's hot line) the
        // queue's limit.
        let mut detail = None;
        let reason: fn(Sym, usize) -> DropReason = match verdict {
            Transmit::Arrives { to, at } | Transmit::ArrivesTwice { to, at, .. } => {
                // One record per frame sent: a duplicate is the link's doing.
                if self.recorder.on {
                    let (syms, devices) = (&mut out.syms, &self.devices);
                    let fate = WireFate::Arrives(at);
                    let sent = self.now;
                    let added = self
                        .recorder
                        .record(syms, devices, id, l, from, &frame, sent, fate);
                    self.memory_room = self.memory_room.saturating_sub(added);
                }
                let event = |frame| Event::arrive(to, switch_hops, frame);
                // Every queued copy is kept until it arrives (the memory bound counts it).
                self.queued_frame_bytes += len as u64;
                if let Transmit::ArrivesTwice { again, .. } = verdict {
                    self.queued_frame_bytes += len as u64;
                    self.gather.close(&mut self.queue, &mut self.batched_copies);
                    self.queue.push(at, event(frame.clone()));
                    self.queue.push(again, event(frame));
                    return;
                }
                // A flood's copies that arrive together join one batch; anything else
                // pushed closes the open batch first, so the order stays the send order.
                // A frame of its own with no batch open (unicast, the common case) is
                // queued at once.
                if !self.gather.is_open() && !matches!(frame.bytes, FrameBytes::Shared(_)) {
                    self.queue.push(at, event(frame));
                    return;
                }
                let (queue, batched) = (&mut self.queue, &mut self.batched_copies);
                if let Some(frame) = self
                    .gather
                    .offer(at, to, frame, switch_hops, queue, batched)
                {
                    self.queue.push(at, event(frame));
                }
                return;
            }
            Transmit::Down => |link, _| DropReason::LinkDown { link },
            Transmit::QueueFull => |link, limit_bytes| DropReason::QueueFull { link, limit_bytes },
            Transmit::Lost => |link, _| DropReason::LinkLoss { link },
            Transmit::LostToImpairment { per_mille } => {
                detail = Some(usize::from(per_mille));
                |link, per_mille| DropReason::ImpairmentLoss {
                    link,
                    per_mille: per_mille as u16,
                }
            }
        };
        self.stats.frames_dropped += 1;
        let limit = l.params(id).map_or(0, |p| p.queue_limit_bytes);
        let (name, detail) = (l.name(id), detail.unwrap_or(limit));
        if self.recorder.on {
            let why = reason(out.syms.intern(name), detail);
            let (syms, devices) = (&mut out.syms, &self.devices);
            let fate = WireFate::Dropped(why);
            let added = self
                .recorder
                .record(syms, devices, id, l, from, &frame, self.now, fate);
            self.memory_room = self.memory_room.saturating_sub(added);
        }
        out.hop(frame.probe, &frame.bytes, |syms| {
            Action::Dropped(reason(syms.intern(name), detail))
        });
        self.trace.keep(&mut out.hops, max_hops);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::switch::{PortMode, Switch, SwitchConfig, UnknownUnicast};
    use crate::id::ProbeId;
    use crate::topology::NodeKind;

    const LATENCY: SimDuration = crate::testutil::LINK_LATENCY;

    /// Two one-port switches on one cable with `LATENCY` and no serialization delay; returns
    /// the engine and switch "a".
    fn two_switches(limits: Limits) -> (Engine, NodeId) {
        let (eng, ends, _) = crate::testutil::switch_pair(limits);
        (eng, ends[0].0)
    }

    /// Sends one frame out of `a` now; it arrives at `b` after `LATENCY`.
    fn send_frame(eng: &mut Engine, a: NodeId) {
        eng.invoke(a, |_, out| {
            out.send(PortId(0), Frame::new(vec![0x02; 60], None));
        });
    }

    /// A hub switch whose ports 1 to `leaves` are cabled to one-port leaf switches, the
    /// cable to leaf `lossy` (if any) losing every frame. Returns the engine, the hub and
    /// the leaves.
    fn hub_and_leaves(leaves: u16, lossy: Option<u16>) -> (Engine, NodeId, Vec<NodeId>) {
        let mut eng = Engine::new(1, Limits::default());
        let info = |name: &str| NodeInfo {
            name: name.into(),
            kind: NodeKind::FabricSwitch,
            host: None,
        };
        let mut hub = Switch::new(SwitchConfig::new("hub", true, UnknownUnicast::Flood));
        for p in 0..=leaves {
            hub.add_port(format!("hub.p{p}"), PortMode::Access(1));
        }
        let hub = eng.add_node(info("hub"), Device::Switch(Box::new(hub)));
        let params = crate::engine::link::LinkParams {
            latency: LATENCY,
            rate_bps: 0,
            loss: 0.0,
            queue_limit_bytes: 1 << 20,
        };
        let mut ids = Vec::new();
        for l in 1..=leaves {
            let name = format!("leaf{l}");
            let mut sw = Switch::new(SwitchConfig::new(&name, true, UnknownUnicast::Flood));
            let port = sw.add_port(format!("{name}.p0"), PortMode::Access(1));
            let leaf = eng.add_node(info(&name), Device::Switch(Box::new(sw)));
            let cable = format!("hub<->{name}");
            let loss = if lossy == Some(l) { 1.0 } else { 0.0 };
            let params = crate::engine::link::LinkParams {
                loss,
                ..params.clone()
            };
            eng.connect(cable, (hub, PortId(l)), (leaf, port), params, false);
            ids.push(leaf);
        }
        (eng, hub, ids)
    }

    #[test]
    fn a_flood_s_shared_copies_arrive_and_one_on_a_lossy_cable_is_dropped() {
        let (mut eng, hub, _) = hub_and_leaves(4, Some(3));
        // An untraced broadcast into port 0: four shared copies, one on a cable that loses
        // it (`Engine::settle`'s way, not the batch's).
        let broadcast = crate::wire::arp_request(
            crate::wire::MacAddr(2, 0, 0, 0, 0, 1),
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
        );
        eng.invoke(hub, |dev, out| {
            dev.handle_frame(PortId(0), Frame::new(broadcast, None), out)
        });
        assert_eq!(eng.stats.frames_sent, 4);
        assert_eq!(eng.stats.frames_dropped, 1, "the copy on the lossy cable");
        assert_eq!(eng.pending_events(), 3, "three copies on their way");
        eng.run_until(SimTime(1_000_000), |_| false);
        // Each leaf has one port, the one the copy came in on: it floods nowhere.
        assert_eq!(eng.stats.events, 3, "each arriving copy is an event");
        assert_eq!(eng.pending_events(), 0);
    }

    #[test]
    fn a_control_event_stops_the_run_without_reaching_a_device() {
        let (mut eng, _) = two_switches(Limits::default());
        eng.schedule_control(SimTime(5_000), 7);
        let stop = eng.run_until(SimTime(1_000_000), |_| false);
        assert_eq!(stop, RunStop::Control(7));
        assert_eq!(
            eng.now(),
            SimTime(5_000),
            "the clock is at the control event"
        );
        assert_eq!(eng.stats.events, 1, "a control event counts as an event");
        assert_eq!(eng.stats.frames_sent, 0);
        // Going on reaches the deadline.
        assert_eq!(
            eng.run_until(SimTime(1_000_000), |_| false),
            RunStop::Reached
        );
        assert_eq!(eng.now(), SimTime(1_000_000));
    }

    #[test]
    fn control_events_and_frames_at_the_same_nanosecond_run_in_insertion_order() {
        let arrival = SimTime(LATENCY.as_nanos());
        // Scheduled before the frame is sent: due before the frame arrives.
        let (mut eng, a) = two_switches(Limits::default());
        eng.schedule_control(arrival, 1);
        send_frame(&mut eng, a);
        assert_eq!(eng.run_until(arrival, |_| false), RunStop::Control(1));
        assert_eq!(eng.pending_events(), 1, "the frame has not arrived yet");
        assert_eq!(eng.stats.events, 1);
        assert_eq!(eng.run_until(arrival, |_| false), RunStop::Reached);
        assert_eq!(eng.stats.events, 2);

        // Scheduled after the frame is sent: due after the frame arrived.
        let (mut eng, a) = two_switches(Limits::default());
        send_frame(&mut eng, a);
        eng.schedule_control(arrival, 2);
        eng.schedule_control(arrival, 3);
        assert_eq!(eng.run_until(arrival, |_| false), RunStop::Control(2));
        assert_eq!(eng.pending_events(), 1, "only control event 3 is left");
        assert_eq!(eng.stats.events, 2, "the frame arrived first");
        assert_eq!(eng.now(), arrival);
        assert_eq!(eng.run_until(arrival, |_| false), RunStop::Control(3));
        assert_eq!(eng.run_until(arrival, |_| false), RunStop::Reached);
    }

    #[test]
    fn limits_still_bound_a_run_with_control_events() {
        let limits = Limits {
            max_events: 2,
            max_time: SimTime(1_000_000),
            ..Limits::default()
        };
        let (mut eng, _) = two_switches(limits);
        for token in 0..3 {
            eng.schedule_control(SimTime(100 * (token + 1)), token);
        }
        assert_eq!(
            eng.run_until(SimTime(500_000), |_| false),
            RunStop::Control(0)
        );
        assert_eq!(
            eng.run_until(SimTime(500_000), |_| false),
            RunStop::Control(1)
        );
        assert_eq!(
            eng.run_until(SimTime(500_000), |_| false),
            RunStop::EventBudget,
            "the third control event is over the budget"
        );

        let (mut eng, _) = two_switches(limits);
        eng.schedule_control(SimTime(2_000_000), 9);
        assert_eq!(
            eng.run_until(SimTime(3_000_000), |_| false),
            RunStop::TimeLimit,
            "a control event after the time limit never comes due"
        );
        assert_eq!(eng.now(), SimTime(1_000_000));
    }

    #[test]
    fn a_frame_for_a_removed_node_is_dropped_and_never_reaches_a_new_node() {
        let (mut eng, a) = two_switches(Limits::default());
        let b = eng.topology().find_node("b").expect("b");
        eng.invoke(a, |_, out| {
            out.send(PortId(0), Frame::new(vec![0x02; 60], Some(ProbeId(1))));
        });
        // While the frame is on the cable, b goes and a new node is added.
        eng.remove_node(b);
        let mut sw = Switch::new(SwitchConfig::new("c", true, UnknownUnicast::Flood));
        let port = sw.add_port("p0", PortMode::Access(1));
        let info = NodeInfo {
            name: "c".into(),
            kind: NodeKind::FabricSwitch,
            host: None,
        };
        let c = eng.add_node(info, Device::Switch(Box::new(sw)));
        assert_ne!(c, b, "a removed node's id is never reused");
        let d = {
            let mut sw = Switch::new(SwitchConfig::new("d", true, UnknownUnicast::Flood));
            let dp = sw.add_port("p0", PortMode::Access(1));
            let info = NodeInfo {
                name: "d".into(),
                kind: NodeKind::FabricSwitch,
                host: None,
            };
            (eng.add_node(info, Device::Switch(Box::new(sw))), dp)
        };
        // Were the frame handed to c, c would flood it to d.
        eng.connect("c<->d".into(), (c, port), d, LinkParams::internal(), false);
        assert_eq!(eng.run_for(SimDuration::from_millis(1)), RunStop::Reached);
        let trace = eng.trace();
        assert_eq!(trace.len(), 1, "{trace:?}");
        assert_eq!(trace[0].action, Action::Dropped(DropReason::NodeGone));
        assert_eq!(
            trace[0].node, b,
            "recorded at the node the frame was sent to"
        );
        assert_eq!(
            eng.hop_node_name(0),
            Some("b"),
            "named as the node it was for"
        );
        assert_eq!(eng.stats.frames_sent, 1, "c sent nothing on");
    }

    #[test]
    fn recording_is_off_by_default_and_then_keeps_one_record_per_transmission() {
        let (mut eng, a) = two_switches(Limits::default());
        send_frame(&mut eng, a);
        eng.run_for(SimDuration::from_millis(1));
        assert!(!eng.recording_frames());
        assert!(eng.wire_frames().is_empty(), "off by default");

        eng.record_frames(true);
        let b = eng.topology().find_node("b").expect("b");
        let sent = eng.now();
        eng.invoke(a, |_, out| {
            out.send(PortId(0), Frame::new(vec![0x02; 60], Some(ProbeId(4))));
        });
        let link = eng.link_on_port(a, PortId(0)).expect("a's cable");
        eng.set_link_up(link, false);
        send_frame(&mut eng, a);
        eng.run_for(SimDuration::from_millis(1));
        let frames = eng.wire_frames();
        assert_eq!(frames.len(), 2, "{frames:?}");
        assert_eq!(
            frames[0],
            frames::WireFrame {
                link,
                from: (a, PortId(0)),
                to: (b, PortId(0)),
                sent,
                fate: WireFate::Arrives(sent + LATENCY),
                probe: Some(ProbeId(4)),
                bytes: vec![0x02; 60],
            }
        );
        let WireFate::Dropped(DropReason::LinkDown { link: name }) = frames[1].fate else {
            panic!("the second frame met a link that is down: {:?}", frames[1]);
        };
        assert_eq!(eng.syms().get(name), "a<->b");
        assert_eq!((frames[1].probe, frames[1].to), (None, (b, PortId(0))));
        assert_eq!(eng.stats.frames_sent, 3, "one before recording, two during");

        // The names stay readable after the link and a node are gone.
        eng.remove_node(b);
        let names = eng
            .link_names(link)
            .expect("names of a link that carried frames");
        assert_eq!(eng.syms().get(names.name), "a<->b");
        let port = names.port((b, PortId(0))).expect("b's end");
        assert_eq!(eng.syms().get(port), "b.p0");
    }

    /// One switch with a host-side port `p0` and a cable from its port `x` to its port `y`.
    fn self_cabled_switch(limits: Limits) -> (Engine, NodeId) {
        let mut eng = Engine::new(1, limits);
        let mut sw = Switch::new(SwitchConfig::new("sw", true, UnknownUnicast::Flood));
        sw.add_port("p0", PortMode::Access(1));
        let x = sw.add_port("x", PortMode::Access(1));
        let y = sw.add_port("y", PortMode::Access(1));
        let info = NodeInfo {
            name: "sw".into(),
            kind: NodeKind::FabricSwitch,
            host: None,
        };
        let node = eng.add_node(info, Device::Switch(Box::new(sw)));
        let params = LinkParams {
            latency: LATENCY,
            rate_bps: 0,
            loss: 0.0,
            queue_limit_bytes: 1 << 20,
        };
        eng.connect("loop".into(), (node, x), (node, y), params, false);
        (eng, node)
    }

    /// A broadcast ARP request from 10.0.0.1 for 10.0.0.2, handed to the switch on `p0`.
    fn broadcast_into(eng: &mut Engine, node: NodeId, probe: Option<ProbeId>) {
        let mut arp = vec![0xff; 6];
        arp.extend([0x02, 0, 0, 0, 0, 1, 0x08, 0x06]);
        arp.extend([0, 1, 0x08, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 1, 10, 0, 0, 1]);
        arp.extend([0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
        arp.resize(60, 0);
        eng.queued_frame_bytes += 60;
        eng.queue.push(
            eng.now,
            Event::Arrive {
                node,
                port: PortId(0),
                switch_hops: 0,
                frame: Frame::new(arp, probe),
            },
        );
    }

    #[test]
    fn a_self_cabled_switch_stops_the_run_with_a_storm_finding() {
        let (mut eng, sw) = self_cabled_switch(Limits::default());
        broadcast_into(&mut eng, sw, None);
        let stop = eng.run_for(SimDuration::from_secs(10));
        assert_eq!(stop, RunStop::Storm);
        assert_eq!(
            eng.storm(),
            Some(
                "broadcast storm: switch sw forwarded 199 copies of one ARP request from 10.0.0.1 \
                 (who-has 10.0.0.2) in 1.0 ms; the loop is sw port x \u{2194} sw port y (cable \
                 loop); no loop prevention (the switches run no spanning tree, so a flooded frame \
                 comes back for ever)"
            )
        );
        assert!(eng.stats.events < 1_000, "stopped at once: {:?}", eng.stats);
        assert_eq!(
            eng.run_for(SimDuration::from_secs(1)),
            RunStop::Storm,
            "a stopped run stays stopped"
        );
    }

    #[test]
    fn storm_copies_is_the_bound_and_unicast_loops_are_watched_too() {
        let limits = Limits {
            storm_copies: 10,
            ..Limits::default()
        };
        let (mut eng, sw) = self_cabled_switch(limits);
        broadcast_into(&mut eng, sw, None);
        assert_eq!(eng.run_for(SimDuration::from_secs(1)), RunStop::Storm);
        assert!(eng
            .storm()
            .unwrap_or_default()
            .contains(" forwarded 19 copies "));

        // The same loop with a unicast frame to a MAC nobody has: flooded round and round
        // too. A probe's frame is watched from its first hop; an untraced one once it made
        // more than `UNICAST_LOOP_HOPS` switch hops. Its loop is the same finding, a little
        // later.
        let mut events = Vec::new();
        for probe in [Some(ProbeId(7)), None] {
            let limits = Limits {
                max_events: 5_000,
                storm_copies: 10,
                ..Limits::default()
            };
            let (mut eng, sw) = self_cabled_switch(limits);
            let mut unicast = vec![0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x01];
            unicast.resize(60, 0);
            eng.queued_frame_bytes += 60;
            eng.queue.push(
                SimTime::ZERO,
                Event::Arrive {
                    node: sw,
                    port: PortId(0),
                    switch_hops: 0,
                    frame: Frame::new(unicast, probe),
                },
            );
            let stop = eng.run_for(SimDuration::from_secs(10));
            assert_eq!(stop, RunStop::Storm, "{probe:?}");
            let finding = eng.storm().unwrap_or_default();
            assert!(
                finding.starts_with("unicast loop: switch sw forwarded 19 copies ")
                    && finding.contains(
                        "a frame for 02:00:00:00:00:99, which no switch on the loop delivers"
                    ),
                "{finding}"
            );
            events.push(eng.stats.events);
        }
        // Each of the two copies going round arrives at one end of the cable per pass.
        let hops = u64::from(storm::UNICAST_LOOP_HOPS);
        assert!(
            events[1] > events[0] + hops && events[1] < events[0] + 3 * hops,
            "{events:?}"
        );
    }

    #[test]
    fn a_probe_keeps_at_most_max_trace_hops_and_counts_the_rest() {
        let limits = Limits {
            max_trace_hops: 5,
            storm_copies: 20,
            ..Limits::default()
        };
        let (mut eng, sw) = self_cabled_switch(limits);
        broadcast_into(&mut eng, sw, Some(ProbeId(3)));
        assert_eq!(eng.run_for(SimDuration::from_secs(1)), RunStop::Storm);
        assert_eq!(eng.trace().len(), 5);
        // The same run, every hop kept.
        let (mut all, sw) = self_cabled_switch(Limits {
            max_trace_hops: u32::MAX,
            ..limits
        });
        broadcast_into(&mut all, sw, Some(ProbeId(3)));
        all.run_for(SimDuration::from_secs(1));
        assert_eq!(all.trace()[..5], eng.trace()[..], "the first 5 are kept");
        assert_eq!(
            eng.hops_left_out(ProbeId(3)),
            all.trace().len() as u64 - 5,
            "all but 5 left out, and counted"
        );
        assert_eq!(eng.hops_left_out(ProbeId(4)), 0);
    }

    #[test]
    fn kept_bytes_count_trace_hops_and_queued_frames_and_bound_the_run() {
        let (mut eng, sw) = self_cabled_switch(Limits::default());
        assert_eq!(eng.kept_bytes(), 0);
        broadcast_into(&mut eng, sw, Some(ProbeId(1)));
        assert_eq!(eng.kept_bytes(), EVENT_BYTES + 60, "one frame queued");
        eng.run_for(SimDuration::from_micros(1));
        // The switch flooded it: one hop kept, two frames queued on the cable.
        let hop = trace::hop_bytes(&eng.trace()[0]);
        assert_eq!(eng.kept_bytes(), hop + 2 * (EVENT_BYTES + 60));

        let limits = Limits {
            max_memory_bytes: 4_096,
            max_trace_hops: u32::MAX,
            storm_copies: u64::MAX,
            ..Limits::default()
        };
        let (mut eng, sw) = self_cabled_switch(limits);
        broadcast_into(&mut eng, sw, Some(ProbeId(1)));
        assert_eq!(eng.run_for(SimDuration::from_secs(1)), RunStop::MemoryLimit);
        assert!(eng.kept_bytes() > 4_096);
        assert!(
            eng.kept_bytes() < 4_096 + 1_024,
            "stopped at the first event past it"
        );
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_in_the_past_is_a_bug() {
        let (mut eng, _) = two_switches(Limits::default());
        eng.run_until(SimTime(1_000), |_| false);
        eng.schedule_control(SimTime(999), 1);
    }
}
