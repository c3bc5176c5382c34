//! Runs a scenario and writes down what the page shows: the topology, and each probe with its
//! hops decoded.
//!
//! Owns turning a run into a `Lesson`. The scenario runs through `sim::report::run_world` with
//! frame recording on. Each probe that runs (a `Probe` step or a `docker exec`) is handed over
//! with the world as it is right after it: the probe's hops are decoded then, and the topology
//! is read then too (a snapshot), because containers and networks come and go during a run.
//! The lesson's topology is every node and link of every snapshot, and of the world the run
//! leaves; ids are never reused, so a node keeps one entry.
//!
//! For each hop it finds the packet's previous sighting among the probe's earlier hops
//! (`decode::relate`: the same packet, or one wrapped in or unwrapped from VXLAN) to mark what
//! this hop rewrote, and the recorded frame that brought the packet to the hop's node (one
//! that arrived there at the hop's time, each frame used once) to draw its way along a link.

use crate::decode::{self, Layer};
use crate::model::{
    CameView, DropView, EndView, EventView, HopView, HostView, IfaceView, Lesson, LinkView,
    NodeView, ProbeView,
};
use sim_core::device::{Action, Device, DropReason, Hop};
use sim_core::engine::frames::WireFrame;
use sim_core::engine::Engine;
use sim_core::log::Resolved;
use sim_core::scenario::{LoadedScenario, StepSpec};
use sim_core::sim::report::{self, ProbeStep, RunOptions};
use sim_core::sim::World;
use sim_core::sym::Interner;
use sim_core::topology::NodeKind;
use sim_core::wire::{self, Packet};
use std::collections::BTreeMap;

/// Runs the scenario and returns its lesson.
pub fn record(loaded: &LoadedScenario) -> Lesson {
    let opts = RunOptions {
        record_frames: true,
        ..RunOptions::default()
    };
    let mut book = Book::default();
    let mut probes: Vec<ProbeView> = Vec::new();
    let mut last_step = None;
    let (rep, world) = report::run_world(loaded, opts, &mut |step| {
        book.snapshot(&step.world.engine, probes.len());
        let notes = notes_between(&loaded.spec.steps, last_step, step.index);
        last_step = Some(step.index);
        probes.push(probe_view(step, notes));
    });
    let mut hosts = Vec::new();
    if let Some(w) = &world {
        book.snapshot(&w.engine, probes.len());
        hosts = w
            .hosts
            .iter()
            .map(|h| HostView {
                name: h.name.clone(),
                os: h.os.to_string(),
            })
            .collect();
    }
    book.add_hop_only_nodes(&probes, &hosts);
    let mut failures = rep.failures;
    if let Some(limit) = rep.limit_hit {
        failures.push(format!("the run hit its {limit} limit"));
    }
    Lesson {
        title: loaded.spec.title.clone(),
        description: loaded.spec.description.clone(),
        file: loaded.file.clone(),
        seed: loaded.spec.seed,
        hosts,
        nodes: book.nodes.into_values().collect(),
        links: book.links.into_values().collect(),
        probes,
        failures,
    }
}

/// The `Note` steps after step `after` (or from the start) and before step `until`.
fn notes_between(steps: &[StepSpec], after: Option<usize>, until: usize) -> Vec<String> {
    let from = after.map_or(0, |a| a + 1);
    steps
        .get(from..until)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| match s {
            StepSpec::Note(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The nodes and links seen so far, by id.
#[derive(Default)]
struct Book {
    nodes: BTreeMap<u32, NodeView>,
    links: BTreeMap<u32, LinkView>,
}

impl Book {
    /// Adds what exists now as snapshot `at`.
    fn snapshot(&mut self, engine: &Engine, at: usize) {
        let topo = engine.topology();
        for (id, info) in topo.nodes() {
            let ifaces = match engine.device(id) {
                Some(Device::Stack(s)) => s
                    .config
                    .ifaces()
                    .iter()
                    .flatten()
                    .map(|i| IfaceView {
                        name: i.name.clone(),
                        mac: i.mac.to_string(),
                        addr: i.addr.map(|a| a.to_string()),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let (kind, kind_words) = kind_names(info.kind);
            let entry = self.nodes.entry(id.0).or_insert_with(|| NodeView {
                id: id.0,
                name: info.name.clone(),
                label: label(&info.name, info.host.as_deref()),
                kind: kind.to_string(),
                kind_words: kind_words.to_string(),
                host: info.host.clone(),
                ifaces: Vec::new(),
                seen: (at, at),
            });
            entry.ifaces = ifaces;
            entry.seen.1 = at;
        }
        for (id, info) in topo.links() {
            let end = |(node, port): (sim_core::id::NodeId, sim_core::id::PortId)| EndView {
                node: node.0,
                port: engine
                    .device(node)
                    .map_or_else(|| format!("port{}", port.0), |d| d.port_name(port)),
            };
            let entry = self.links.entry(id.0).or_insert_with(|| LinkView {
                id: id.0,
                name: info.name.clone(),
                a: end(info.a),
                b: end(info.b),
                internal: info.internal,
                seen: (at, at),
            });
            entry.seen.1 = at;
        }
    }

    /// Adds a node that a hop names but no snapshot saw (made and removed while one probe
    /// was in flight): it is known by its name only.
    fn add_hop_only_nodes(&mut self, probes: &[ProbeView], hosts: &[HostView]) {
        for (i, p) in probes.iter().enumerate() {
            for h in &p.hops {
                if self.nodes.contains_key(&h.node) {
                    continue;
                }
                let host = hosts
                    .iter()
                    .find(|x| h.node_name.starts_with(&format!("{}/", x.name)))
                    .map(|x| x.name.clone());
                self.nodes.insert(
                    h.node,
                    NodeView {
                        id: h.node,
                        name: h.node_name.clone(),
                        label: label(&h.node_name, host.as_deref()),
                        kind: "unknown".into(),
                        kind_words: "gone".into(),
                        host,
                        ifaces: Vec::new(),
                        seen: (i, i),
                    },
                );
            }
        }
    }
}

/// A node's name inside its host's box: without the `host/` prefix.
fn label(name: &str, host: Option<&str>) -> String {
    host.and_then(|h| name.strip_prefix(h)?.strip_prefix('/'))
        .unwrap_or(name)
        .to_string()
}

/// A node kind's name (snake_case, as data) and in words.
pub fn kind_names(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::FabricSwitch => ("fabric_switch", "switch"),
        NodeKind::Router => ("router", "router"),
        NodeKind::External => ("external", "outside host"),
        NodeKind::WindowsHost => ("windows_host", "Windows host"),
        NodeKind::LinuxHost => ("linux_host", "Linux host"),
        NodeKind::VSwitch => ("vswitch", "vSwitch"),
        NodeKind::Container => ("container", "container"),
        NodeKind::HypervisorSwitch => ("hypervisor_switch", "hypervisor switch"),
        NodeKind::VnetGateway => ("vnet_gateway", "VNet gateway"),
    }
}

/// The action's kind as the run log names it (`nat`, `mac_rewrite`, ...).
fn action_kind(action: &Action, syms: &Interner) -> String {
    serde_json::to_value(Resolved::new(action, syms))
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
        .unwrap_or_default()
}

fn probe_view(step: &ProbeStep, notes: Vec<String>) -> ProbeView {
    let (world, r) = (step.world, step.result);
    let hops = hop_views(world, r.id, &r.hops, &r.hop_nodes);
    let events = r
        .fired
        .iter()
        .filter_map(|(before, k)| {
            let f = world.fired().get(*k)?;
            Some(EventView {
                before: *before,
                time: f.time.to_string(),
                text: f.headline(),
            })
        })
        .collect();
    ProbeView {
        id: r.id.0,
        step: step.index + 1,
        exec: step.exec.map(|e| e.cmd.to_string()),
        from: r.from.clone(),
        to: r.to.clone(),
        proto: r.proto.to_string(),
        outcome: r.outcome.to_string(),
        detail: r.detail.clone(),
        drop: r.drop.as_ref().map(|(node, why)| DropView {
            node: node.clone(),
            why: why.clone(),
        }),
        notes,
        hops,
        events,
    }
}

/// The hops of probe `probe`, decoded, each with its previous sighting and the link it came
/// over.
fn hop_views(
    world: &World,
    probe: sim_core::id::ProbeId,
    hops: &[Hop],
    hop_nodes: &[String],
) -> Vec<HopView> {
    let syms = world.engine.syms();
    let frames: Vec<&WireFrame> = world
        .engine
        .wire_frames()
        .iter()
        .filter(|f| f.probe == Some(probe))
        .collect();
    let packets: Vec<Option<Packet>> = hops.iter().map(|h| wire::parse(&h.bytes).ok()).collect();
    let plain: Vec<Vec<Layer>> = hops.iter().map(|h| decode::layers(&h.bytes)).collect();
    let mut used = vec![false; frames.len()];
    let mut out = Vec::with_capacity(hops.len());
    for (i, h) in hops.iter().enumerate() {
        let kind = action_kind(&h.action, syms);
        let mut layers = plain[i].clone();
        let mut notes = Vec::new();
        let mut before = None;
        if kind != "sent" {
            if let Some(p) = &packets[i] {
                let earlier = (0..i).rev().find_map(|j| {
                    let q = packets[j].as_ref()?;
                    decode::relate(q, p).map(|rel| (j, rel))
                });
                if let Some((j, rel)) = earlier {
                    notes = decode::mark_changes(&plain[j], &mut layers, rel);
                    before = Some(j);
                }
            }
        }
        let came = if kind == "sent" {
            None
        } else {
            let earlier_here = hops[..i]
                .iter()
                .any(|e| e.node == h.node && e.time == h.time);
            came_over(h, packets[i].as_ref(), &frames, &mut used, earlier_here)
        };
        // A change already on the link was made by the node the packet left, as it sent it.
        if let (Some(j), Some((k, _))) = (before, &came) {
            let wire_packet = wire::parse(&frames[*k].bytes).ok();
            if let (Some(w), Some(q), Some(p)) = (&wire_packet, &packets[j], &packets[i]) {
                if let (Some(r1), Some(r2)) = (decode::relate(q, w), decode::relate(w, p)) {
                    let on_wire = decode::layers(&frames[*k].bytes);
                    let on_the_way = decode::changed_fields(&plain[j], &on_wire, r1);
                    let here = decode::changed_fields(&on_wire, &plain[i], r2);
                    decode::mark_upstream(&mut layers, &on_the_way, &here);
                }
            }
        }
        if kind == "sent" && packets[i].as_ref().is_some_and(|p| p.eth.dst.is_zero()) {
            notes.push(
                "its destination MAC is still zero: it is filled in as the frame leaves, once ARP has resolved the next hop"
                    .to_string(),
            );
        }
        let came = came.map(|(_, c)| c);
        let dropped = match &h.action {
            Action::Dropped(why) => Some(why.show(syms).to_string()),
            _ => None,
        };
        let dropped_on = match &h.action {
            Action::Dropped(
                DropReason::LinkDown { link }
                | DropReason::QueueFull { link, .. }
                | DropReason::LinkLoss { link }
                | DropReason::ImpairmentLoss { link, .. },
            ) => world
                .engine
                .topology()
                .find_link(syms.get(*link))
                .map(|l| l.0),
            _ => None,
        };
        let line = match wire::parse(&h.bytes) {
            Ok(p) => p.to_string(),
            Err(e) => format!("({} bytes: {e})", h.bytes.len()),
        };
        out.push(HopView {
            time: h.time.to_string(),
            node: h.node.0,
            node_name: hop_nodes
                .get(i)
                .cloned()
                .unwrap_or_else(|| world.node_name(h.node)),
            kind,
            text: h.action.show(syms).to_string(),
            dropped,
            dropped_on,
            line,
            layers,
            notes,
            before,
            came,
        });
    }
    out
}

/// The recorded frame that brought `hop`'s packet to its node: one not used yet that arrived
/// there at the hop's time, the same packet (or wrapped or unwrapped) if one is; otherwise,
/// unless an earlier hop at that node and time stands for the arrival (`earlier_here`), any
/// such frame (an ARP request that the hop answers).
fn came_over(
    hop: &Hop,
    packet: Option<&Packet>,
    frames: &[&WireFrame],
    used: &mut [bool],
    earlier_here: bool,
) -> Option<(usize, CameView)> {
    let arriving: Vec<usize> = (0..frames.len())
        .filter(|&k| {
            !used[k] && frames[k].to.0 == hop.node && frames[k].arrival() == Some(hop.time)
        })
        .collect();
    let related = arriving.iter().copied().find(|&k| {
        let q = wire::parse(&frames[k].bytes).ok();
        matches!((q, packet), (Some(q), Some(p)) if decode::relate(&q, p).is_some())
    });
    let k = match related {
        Some(k) => k,
        None if !earlier_here => *arriving.first()?,
        None => return None,
    };
    used[k] = true;
    let came = CameView {
        link: frames[k].link.0,
        from: frames[k].from.0 .0,
    };
    Some((k, came))
}
