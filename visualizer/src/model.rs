//! The lesson as data: what the page embeds (as JSON) and what the topology drawings read.
//!
//! Owns the shape of that data. `record` fills it from a run. Every name is resolved and every
//! frame decoded here, so the page's script only looks things up and shows them. Lists are in
//! the order the run made them (nodes and links by id, probes and hops as they happened), so
//! the same scenario gives the same data, byte for byte.

use crate::decode::Layer;
use serde::Serialize;

/// One scenario, run, as the page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Lesson {
    pub title: String,
    pub description: String,
    /// The scenario file as it was given on the command line.
    pub file: String,
    pub seed: u64,
    /// The container hosts, in the scenario's order.
    pub hosts: Vec<HostView>,
    /// Every node that existed when a probe ended or when the run ended, by id.
    pub nodes: Vec<NodeView>,
    /// Every link that existed when a probe ended or when the run ended, by id.
    pub links: Vec<LinkView>,
    /// The probes, in the order they ran: `Probe` steps and probes sent by `docker exec`.
    pub probes: Vec<ProbeView>,
    /// The run's failed expectations, and a limit it hit, as the report words them.
    pub failures: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct HostView {
    pub name: String,
    /// Its Windows version, in words (`Windows Server 2022`).
    pub os: String,
}

/// A node: a fabric switch, router or outside host, a container host's own stack, a vSwitch,
/// a container's compartment.
#[derive(Clone, Debug, Serialize)]
pub struct NodeView {
    /// The engine's node id (never reused in a run).
    pub id: u32,
    /// Its full name, as traces write it (`host1/vSwitch(nat)`).
    pub name: String,
    /// Its name inside its host's box (`vSwitch(nat)`), or the full name.
    pub label: String,
    /// `fabric_switch`, `router`, `external`, `windows_host`, `linux_host`, `vswitch`, `container`,
    /// `hypervisor_switch`, `vnet_gateway`, or `unknown` for a node only a hop names.
    pub kind: String,
    /// The kind in words (`vSwitch`, `container`).
    pub kind_words: String,
    /// The container host it belongs to.
    pub host: Option<String>,
    /// An IP stack's interfaces (empty for a switch).
    pub ifaces: Vec<IfaceView>,
    /// The first and last snapshot it was seen in: snapshot `i` is taken when probe `i` (its
    /// index in `Lesson::probes`) ends, and the last one when the run ends.
    pub seen: (usize, usize),
}

#[derive(Clone, Debug, Serialize)]
pub struct IfaceView {
    pub name: String,
    pub mac: String,
    /// Its address and prefix, if it has one.
    pub addr: Option<String>,
}

/// A link between two ports: a cable, or (`internal`) a vNIC on a vSwitch port.
#[derive(Clone, Debug, Serialize)]
pub struct LinkView {
    pub id: u32,
    pub name: String,
    pub a: EndView,
    pub b: EndView,
    pub internal: bool,
    /// As `NodeView::seen`.
    pub seen: (usize, usize),
}

/// One end of a link.
#[derive(Clone, Debug, Serialize)]
pub struct EndView {
    pub node: u32,
    pub port: String,
}

/// One probe and its hops.
#[derive(Clone, Debug, Serialize)]
pub struct ProbeView {
    /// The probe's number in the report (`probe #5`).
    pub id: u32,
    /// The number of the step that ran it (`[6]`).
    pub step: usize,
    /// The `docker exec` command that sent it, if a `docker exec` step did.
    pub exec: Option<String>,
    pub from: String,
    pub to: String,
    /// `icmp`, `tcp/80`, `udp/53`.
    pub proto: String,
    /// `delivered`, `refused` or `dropped`.
    pub outcome: String,
    /// What the originator saw.
    pub detail: String,
    /// Where and why it was dropped, when a device dropped it.
    pub drop: Option<DropView>,
    /// The scenario's notes between the previous probe and this one: what the lesson says
    /// about it.
    pub notes: Vec<String>,
    pub hops: Vec<HopView>,
    /// Scheduled actions that ran while the probe was in flight, among its hops.
    pub events: Vec<EventView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DropView {
    pub node: String,
    pub why: String,
}

/// A scheduled action that ran while a probe was in flight.
#[derive(Clone, Debug, Serialize)]
pub struct EventView {
    /// How many of the probe's hops came before it.
    pub before: usize,
    /// Simulated time, as the report writes it (`1.000000s`).
    pub time: String,
    pub text: String,
}

/// One hop: what one device did with one frame.
#[derive(Clone, Debug, Serialize)]
pub struct HopView {
    /// Simulated time, as the report writes it (`0.005018s`).
    pub time: String,
    /// The node's id (a node gone since keeps it).
    pub node: u32,
    /// The node's name when the hop happened.
    pub node_name: String,
    /// The action's kind (`sent`, `bridged`, `routed`, `nat`, `arp`, `mac_rewrite`, `encap`,
    /// `decap`, `delivered`, `dropped`, ...), as in the run log.
    pub kind: String,
    /// The action in words, as the report's trace line writes it.
    pub text: String,
    /// Why the frame went no further, for a drop.
    pub dropped: Option<String>,
    /// The link that dropped it (down, full or lossy), for a drop on a link.
    pub dropped_on: Option<u32>,
    /// The frame in one line, as the report writes it.
    pub line: String,
    /// The frame as it left this hop, layer by layer, with what changed since `before`.
    pub layers: Vec<Layer>,
    /// Changes that are not a field: an encapsulation, a decapsulation, a header removed.
    pub notes: Vec<String>,
    /// The previous hop (index in the probe's hops) that saw this packet, if any.
    pub before: Option<usize>,
    /// The link the packet came over to reach this node, with the node it left.
    pub came: Option<CameView>,
}

/// How a packet reached a hop's node.
#[derive(Clone, Debug, Serialize)]
pub struct CameView {
    pub link: u32,
    pub from: u32,
}
