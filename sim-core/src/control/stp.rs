//! Spanning tree (IEEE 802.1w, RSTP) as a control plane: the converged port roles of the
//! physical switches that run it, computed as plain configuration for the generic switch.
//!
//! Real bridges reach this result by exchanging BPDUs; hnsim computes where they end up
//! (docs/fidelity.md, "Spanning tree"), the way every control plane here compiles
//! configuration and lets the devices forward:
//! - the root bridge is the lowest bridge identifier (priority, then MAC) of each connected
//!   part of the network (802.1D 17.6, 17.7);
//! - each other bridge's root port is the port with the best priority vector: least root
//!   path cost (the sum of the receiving ports' path costs), then the lowest sending bridge
//!   identifier, then its lowest port identifier, then the lowest receiving port identifier;
//! - on each cable, the end with the better designated vector (root path cost, bridge
//!   identifier, port identifier) is designated; the other end is the root port, or else an
//!   alternate port (a backup port when both ends belong to one bridge). Root and designated
//!   ports forward; alternate and backup ports discard.
//!
//! Only cables between two switches that run spanning tree take part: a switch without it
//! sends no BPDU and passes none on (as 802.1D 7.12.6 asks of every bridge for the reserved
//! group address), so a port towards it, like a port towards a host, is an edge port. A loop
//! through such a switch is therefore not broken, and `check` warns about it
//! (`scenario::loops`).
//!
//! `World` calls `SpanningTree::converge` when a cable between switches goes down or up (a
//! `LinkDown`/`LinkUp` step, a partition and its heal, a host going down and back); the
//! new roles take effect at that instant, which RSTP's handshake approaches on point-to-point
//! links (milliseconds, where 802.1D's timers took 30 to 50 s).

use crate::device::spanning_tree::{BridgeId, PortRole, SpanningTreeConfig};
use crate::device::Device;
use crate::engine::Engine;
use crate::id::{LinkId, NodeId, PortId};
use std::collections::BTreeMap;

/// The default bridge priority (802.1D Table 17-2).
pub const DEFAULT_PRIORITY: u16 = 32_768;
/// Bridge priorities are set in steps of 4,096 (802.1D 9.2.5: its top four bits).
pub const PRIORITY_STEP: u16 = 4_096;

/// A port's identifier (802.1D 9.2.7): the default port priority, 128, in the top four bits,
/// then the port number (ports count from 1).
pub fn port_id(port: PortId) -> u16 {
    0x8000 | ((port.0.wrapping_add(1)) & 0x0fff)
}

/// A port's path cost from its link speed (802.1D-2004 17.14, Table 17-3: 20,000,000,000
/// divided by the speed in kb/s): 20,000 at 1 Gb/s, 2,000 at 10 Gb/s.
pub fn path_cost(mbps: u64) -> u64 {
    (20_000_000 / mbps.max(1)).clamp(1, 200_000_000)
}

/// A cable between two bridges: at each end the bridge (an index) and its port identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cable {
    pub ends: [(usize, u16); 2],
    /// The path cost of the ports at both ends (one link speed).
    pub cost: u64,
}

/// The converged result for bridges and cables given to `converge`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Converged {
    /// For each bridge: its root, and its path cost to it.
    pub root: Vec<(BridgeId, u64)>,
    /// For each bridge: the cable and end of its root port (`None` at a root bridge).
    pub root_port: Vec<Option<(usize, usize)>>,
    /// For each cable, the role of each end.
    pub roles: Vec<[PortRole; 2]>,
}

/// What a bridge has heard on a port, compared as a whole (802.1D 17.6): root, root path
/// cost, the sending bridge and its port, then the receiving port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Vector {
    root: BridgeId,
    cost: u64,
    bridge: BridgeId,
    port: u16,
    rx: u16,
}

/// The converged spanning tree of `bridges` joined by `cables` (those that are up).
pub fn converge(bridges: &[BridgeId], cables: &[Cable]) -> Converged {
    let own = |b: usize| Vector {
        root: bridges[b],
        cost: 0,
        bridge: bridges[b],
        port: 0,
        rx: 0,
    };
    let mut best: Vec<Vector> = (0..bridges.len()).map(own).collect();
    let mut via: Vec<Option<(usize, usize)>> = vec![None; bridges.len()];
    // Each round lets the best vectors travel one cable further, and values only improve:
    // after as many rounds as bridges nothing changes (the bound guards against a bug).
    for _ in 0..=bridges.len() {
        let mut changed = false;
        for (c, cable) in cables.iter().enumerate() {
            for end in 0..2 {
                let (me, rx) = cable.ends[end];
                let (them, tx) = cable.ends[1 - end];
                let heard = Vector {
                    root: best[them].root,
                    cost: best[them].cost.saturating_add(cable.cost),
                    bridge: bridges[them],
                    port: tx,
                    rx,
                };
                if heard < best[me] {
                    best[me] = heard;
                    via[me] = Some((c, end));
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let designated = |(b, port): (usize, u16)| (best[b].root, best[b].cost, bridges[b], port);
    let roles = cables
        .iter()
        .enumerate()
        .map(|(c, cable)| {
            let first_wins = designated(cable.ends[0]) < designated(cable.ends[1]);
            let role = |end: usize| {
                let wins = (end == 0) == first_wins;
                if wins {
                    PortRole::Designated
                } else if via[cable.ends[end].0] == Some((c, end)) {
                    PortRole::Root
                } else if cable.ends[0].0 == cable.ends[1].0 {
                    PortRole::Backup
                } else {
                    PortRole::Alternate
                }
            };
            [role(0), role(1)]
        })
        .collect();
    Converged {
        root: best.iter().map(|v| (v.root, v.cost)).collect(),
        root_port: via,
        roles,
    }
}

/// The switches that run spanning tree, and the path cost of their cables.
#[derive(Clone, Debug, Default)]
pub struct SpanningTree {
    bridges: Vec<(NodeId, BridgeId)>,
    costs: BTreeMap<LinkId, u64>,
}

impl SpanningTree {
    pub fn is_empty(&self) -> bool {
        self.bridges.is_empty()
    }

    /// A switch that runs spanning tree as bridge `id`.
    pub fn add_bridge(&mut self, node: NodeId, id: BridgeId) {
        self.bridges.push((node, id));
    }

    /// The path cost of the ports of a cable (else that of 1 Gb/s).
    pub fn set_cost(&mut self, link: LinkId, cost: u64) {
        self.costs.insert(link, cost);
    }

    /// Computes the tree over the cables that are up now and gives each switch its part.
    pub fn converge(&self, eng: &mut Engine) {
        if self.bridges.is_empty() {
            return;
        }
        let index = |n: NodeId| self.bridges.iter().position(|(b, _)| *b == n);
        let mut cables = Vec::new();
        let mut ports = Vec::new();
        for (id, link) in eng.topology().links() {
            let (Some(a), Some(b)) = (index(link.a.0), index(link.b.0)) else {
                continue;
            };
            if !eng.link_is_up(id) {
                continue;
            }
            cables.push(Cable {
                ends: [(a, port_id(link.a.1)), (b, port_id(link.b.1))],
                cost: self.costs.get(&id).copied().unwrap_or(path_cost(1_000)),
            });
            ports.push([link.a.1, link.b.1]);
        }
        let ids: Vec<BridgeId> = self.bridges.iter().map(|(_, id)| *id).collect();
        let tree = converge(&ids, &cables);
        let mut configs = Vec::new();
        for (b, (node, id)) in self.bridges.iter().enumerate() {
            let mut cfg = SpanningTreeConfig::alone(*id);
            (cfg.root, cfg.root_cost) = tree.root[b];
            for ((cable, at), roles) in cables.iter().zip(&ports).zip(&tree.roles) {
                for ((bridge, _), (port, role)) in cable.ends.iter().zip(at.iter().zip(roles)) {
                    if *bridge == b {
                        cfg.roles.push((*port, *role));
                    }
                }
            }
            cfg.roles.sort_unstable();
            let before = eng
                .device(*node)
                .and_then(Device::as_switch)
                .and_then(|s| s.config.spanning_tree.as_deref());
            let changed = before.is_none_or(|old| *old != cfg);
            configs.push((*node, cfg, changed));
        }
        // A change anywhere in a tree is a topology change for all of it: the notice travels
        // to every bridge of the tree, and each flushes what it learned towards the others.
        let changed_trees: Vec<BridgeId> = configs
            .iter()
            .filter(|(_, _, changed)| *changed)
            .map(|(_, cfg, _)| cfg.root)
            .collect();
        for (node, cfg, _) in configs {
            let flush = changed_trees.contains(&cfg.root);
            if let Some(sw) = eng.device_mut(node).and_then(Device::as_switch_mut) {
                sw.set_spanning_tree(Some(cfg), flush);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::MacAddr;
    use proptest::prelude::*;

    fn bridge(priority: u16, n: u8) -> BridgeId {
        BridgeId::new(priority, MacAddr::new(6, 0, 0, 0, 0, n))
    }

    /// A cable between bridges `a` and `b` on ports numbered `pa` and `pb`, at 1 Gb/s.
    fn cable(a: usize, pa: u16, b: usize, pb: u16) -> Cable {
        Cable {
            ends: [(a, port_id(PortId(pa))), (b, port_id(PortId(pb)))],
            cost: path_cost(1_000),
        }
    }

    use PortRole::{Alternate, Backup, Designated, Root};

    #[test]
    fn a_ring_of_three_blocks_the_cable_farthest_from_the_root() {
        // s0 - s1 - s2 - s0, equal priorities: s0 has the lowest MAC and is the root.
        let bridges = [bridge(32768, 1), bridge(32768, 2), bridge(32768, 3)];
        let cables = [cable(0, 0, 1, 0), cable(1, 1, 2, 0), cable(2, 1, 0, 1)];
        let t = converge(&bridges, &cables);
        assert_eq!(
            t.root,
            vec![(bridges[0], 0), (bridges[0], 20_000), (bridges[0], 20_000)]
        );
        assert_eq!(t.roles[0], [Designated, Root]);
        assert_eq!(t.roles[2], [Root, Designated]);
        // s1 and s2 are equally far: s1's lower bridge id makes its end designated.
        assert_eq!(t.roles[1], [Designated, Alternate]);
    }

    #[test]
    fn parallel_cables_forward_on_the_lower_port_of_the_designated_bridge() {
        let bridges = [bridge(32768, 1), bridge(32768, 2)];
        // Bridge 1's ports 5 and 2 face bridge 0's ports 3 and 7.
        let cables = [cable(0, 3, 1, 5), cable(0, 7, 1, 2)];
        let t = converge(&bridges, &cables);
        // Equal cost: the sender's lower port id (bridge 0's port 3) wins, whatever the
        // receiving ports are.
        assert_eq!(t.roles, vec![[Designated, Root], [Designated, Alternate]]);
        assert_eq!(t.root_port[1], Some((0, 1)));
    }

    #[test]
    fn a_faster_cable_beats_a_lower_port() {
        let bridges = [bridge(32768, 1), bridge(32768, 2)];
        let mut fast = cable(0, 7, 1, 2);
        fast.cost = path_cost(10_000);
        let t = converge(&bridges, &[cable(0, 3, 1, 5), fast]);
        assert_eq!(t.roles, vec![[Designated, Alternate], [Designated, Root]]);
        assert_eq!(t.root[1], (bridges[0], 2_000));
    }

    #[test]
    fn priority_decides_before_the_mac_and_the_mac_breaks_a_tie() {
        // Bridge 2 has the highest MAC but the lowest priority: it is the root.
        let bridges = [bridge(32768, 1), bridge(32768, 2), bridge(4096, 3)];
        let cables = [cable(0, 0, 1, 0), cable(1, 1, 2, 0), cable(2, 1, 0, 1)];
        let t = converge(&bridges, &cables);
        assert!(t.root.iter().all(|(r, _)| *r == bridges[2]));
        assert_eq!(t.root_port[2], None);
        // Bridges 0 and 1 tie on priority and cost; bridge 0's MAC is lower, so the cable
        // between them is served by bridge 0 and blocked at bridge 1.
        assert_eq!(t.roles[0], [Designated, Alternate]);
        assert_eq!(t.roles[1], [Root, Designated]);
        assert_eq!(t.roles[2], [Designated, Root]);
    }

    #[test]
    fn two_ports_of_one_bridge_on_one_cable_make_a_backup_port() {
        let bridges = [bridge(32768, 1)];
        let t = converge(&bridges, &[cable(0, 4, 0, 1)]);
        assert_eq!(t.roles, vec![[Backup, Designated]]);
    }

    #[test]
    fn separate_parts_elect_their_own_roots() {
        let bridges = [
            bridge(32768, 4),
            bridge(32768, 3),
            bridge(32768, 2),
            bridge(32768, 1),
        ];
        let t = converge(&bridges, &[cable(0, 0, 1, 0), cable(2, 0, 3, 0)]);
        assert_eq!(t.root[0].0, bridges[1]);
        assert_eq!(t.root[2].0, bridges[3]);
        assert_eq!(t.roles, vec![[Root, Designated], [Root, Designated]]);
    }

    /// Union-find root of `x`.
    fn find(parent: &mut [usize], x: usize) -> usize {
        let mut r = x;
        while parent[r] != r {
            r = parent[r];
        }
        parent[x] = r;
        r
    }

    proptest! {
        /// Whatever the switches and cables (parallel ones, rings, ties on priority, mixed
        /// speeds), the cables that forward at both ends form a spanning tree of each
        /// connected part: no loop, and every switch reachable from every other.
        #[test]
        fn forwarding_cables_form_a_spanning_tree_of_each_part(
            priorities in prop::collection::vec(0u16..3, 1..9),
            raw in prop::collection::vec((0usize..9, 0usize..9, 0u8..3), 0..20),
        ) {
            let n = priorities.len();
            let bridges: Vec<BridgeId> = priorities
                .iter()
                .enumerate()
                .map(|(i, p)| bridge(p * PRIORITY_STEP, 20 - i as u8))
                .collect();
            let mut next_port = vec![0u16; n];
            let cables: Vec<Cable> = raw
                .iter()
                .filter(|(a, b, _)| a % n != b % n)
                .map(|(a, b, speed)| {
                    let (a, b) = (a % n, b % n);
                    let mut c = cable(a, next_port[a], b, next_port[b]);
                    next_port[a] += 1;
                    next_port[b] += 1;
                    c.cost = path_cost([100, 1_000, 10_000][*speed as usize]);
                    c
                })
                .collect();
            let t = converge(&bridges, &cables);
            let mut all: Vec<usize> = (0..n).collect();
            let mut fwd: Vec<usize> = (0..n).collect();
            let mut forwarding = 0;
            for (c, cable) in cables.iter().enumerate() {
                let (a, b) = (cable.ends[0].0, cable.ends[1].0);
                let (ra, rb) = (find(&mut all, a), find(&mut all, b));
                all[ra] = rb;
                prop_assert!(
                    t.roles[c].iter().filter(|r| **r == Designated).count() == 1,
                    "one designated end per cable: {:?}", t.roles[c]
                );
                if t.roles[c].iter().all(|r| r.forwards()) {
                    forwarding += 1;
                    let (fa, fb) = (find(&mut fwd, a), find(&mut fwd, b));
                    prop_assert!(fa != fb, "forwarding cable {c} closes a loop");
                    fwd[fa] = fb;
                }
            }
            for (x, own) in bridges.iter().enumerate() {
                let (ra, rf) = (find(&mut all, x), find(&mut fwd, x));
                for y in 0..n {
                    let same = find(&mut all, y) == ra;
                    prop_assert_eq!(same, find(&mut fwd, y) == rf, "{} and {} reachable", x, y);
                }
                // A bridge has no root port exactly when it is its own part's root.
                prop_assert_eq!(t.root_port[x].is_none(), t.root[x].0 == *own);
            }
            let parts = (0..n).filter(|&x| find(&mut all, x) == x).count();
            prop_assert_eq!(forwarding, n - parts);
        }
    }
}
