//! A network namespace as the host tools see it: its stack, and for each interface the
//! kernel's facts that the configuration leaves implicit (index, kind, carrier, the peer of
//! a veth).
//!
//! Interface indexes: `lo` is 1 and the interface on port `p` is `p + 2`, so indexes grow
//! in creation order and are never reused, as the kernel's do (their values are masked by
//! the oracle comparison).

use crate::device::stack::{IfaceConfig, IpStack};
use crate::device::Device;
use crate::engine::Engine;
use crate::id::{NodeId, PortId};

/// What kind of device an interface is, as `ip -d link` would say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A NIC on a cable (or a cable to a switch): `qdisc pfifo_fast ... qlen 1000`.
    Ethernet,
    /// One end of a veth pair: its peer is an interface of another namespace.
    Veth,
    /// A Linux bridge.
    Bridge,
    /// An 802.1Q sub-interface of `parent`.
    Vlan,
}

/// One interface with its implicit facts.
pub struct Link<'a> {
    pub port: PortId,
    pub index: u32,
    pub cfg: &'a IfaceConfig,
    pub kind: Kind,
    pub carrier: bool,
    /// A veth's peer: its interface index in the other namespace, and the other namespace's
    /// id as seen from here (`link-netnsid`).
    pub peer: Option<(u32, u32)>,
    /// The bridge this interface is a port of.
    pub master: Option<String>,
    /// A VLAN sub-interface's parent name.
    pub parent: Option<String>,
}

/// The kernel's index of the interface on `port`.
pub fn ifindex(port: PortId) -> u32 {
    u32::from(port.0) + 2
}

pub struct Ns<'a> {
    eng: &'a mut Engine,
    pub node: NodeId,
}

impl<'a> Ns<'a> {
    pub fn new(eng: &'a mut Engine, node: NodeId) -> Option<Self> {
        eng.device(node).and_then(Device::as_stack)?;
        Some(Ns { eng, node })
    }

    pub fn stack(&self) -> &IpStack {
        self.eng
            .device(self.node)
            .and_then(Device::as_stack)
            .expect("checked in new")
    }

    pub fn stack_mut(&mut self) -> &mut IpStack {
        self.eng
            .device_mut(self.node)
            .and_then(Device::as_stack_mut)
            .expect("checked in new")
    }

    pub fn engine(&self) -> &Engine {
        self.eng
    }

    /// Whether the cable on `port` is plugged and up.
    fn cable_up(&self, port: PortId) -> bool {
        self.eng.peer_of(self.node, port).is_some_and(|(_, up)| up)
    }

    /// Every interface, in index order.
    pub fn links(&self) -> Vec<Link<'_>> {
        let stack = self.stack();
        let ifaces: Vec<(PortId, &IfaceConfig)> = stack
            .config
            .ifaces()
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (PortId(i as u16), c)))
            .collect();
        // Other namespaces in the order their first veth appears: their `link-netnsid`.
        let mut netns: Vec<NodeId> = Vec::new();
        let mut out = Vec::new();
        for &(port, cfg) in &ifaces {
            let peer = self.eng.peer_of(self.node, port);
            let peer_is_stack = peer.is_some_and(|((n, _), _)| {
                n != self.node && self.eng.device(n).and_then(Device::as_stack).is_some()
            });
            let kind = if cfg.bridge.is_some() {
                Kind::Bridge
            } else if cfg.vlan.is_some() {
                Kind::Vlan
            } else if peer_is_stack {
                Kind::Veth
            } else {
                Kind::Ethernet
            };
            let peer = match (kind, peer) {
                (Kind::Veth, Some(((n, p), _))) => {
                    let id = netns.iter().position(|x| *x == n).unwrap_or_else(|| {
                        netns.push(n);
                        netns.len() - 1
                    });
                    Some((ifindex(p), id as u32))
                }
                _ => None,
            };
            out.push(Link {
                port,
                index: ifindex(port),
                cfg,
                kind,
                carrier: false,
                peer,
                master: cfg.master.map(|m| stack.iface_name(m.bridge)),
                parent: cfg.vlan.map(|v| stack.iface_name(v.parent)),
            });
        }
        // Carrier: a cable that is up; a bridge with a port that has carrier; a VLAN
        // sub-interface when its parent has it.
        for l in &mut out {
            if matches!(l.kind, Kind::Ethernet | Kind::Veth) {
                l.carrier = self.cable_up(l.port);
            }
        }
        let up_ports: Vec<(PortId, bool)> = out.iter().map(|l| (l.port, l.carrier)).collect();
        for l in &mut out {
            match l.kind {
                Kind::Bridge => {
                    l.carrier = out_ports_of(&ifaces, l.port)
                        .iter()
                        .any(|p| up_ports.iter().any(|(q, c)| q == p && *c));
                }
                Kind::Vlan => {
                    let parent = l.cfg.vlan.map(|v| v.parent);
                    l.carrier = up_ports.iter().any(|(q, c)| Some(*q) == parent && *c);
                }
                _ => {}
            }
        }
        out
    }
}

/// The ports enslaved to `bridge`.
fn out_ports_of(ifaces: &[(PortId, &IfaceConfig)], bridge: PortId) -> Vec<PortId> {
    ifaces
        .iter()
        .filter(|(_, c)| c.master.is_some_and(|m| m.bridge == bridge))
        .map(|(p, _)| *p)
        .collect()
}
