//! A generic L2 switch: physical fabric switches and Hyper-V virtual switches alike.
//!
//! Owns the forwarding database (learned and static MAC entries), VLAN access/trunk handling
//! and flooding. Configuration decides the behaviour: a fabric switch learns and floods
//! unknown unicast; a Hyper-V vSwitch is told each vNIC's MAC by HNS and sends unknown
//! unicast to its uplink, if it has one. The switch itself never looks above the Ethernet
//! header; a vSwitch's VFP layer (`device::vfp`), when HNS configured one, does.

use super::vfp::{Steer, VfpConfig, VfpState};
use super::{DropReason, Frame, HopAction, Outbox};
use crate::fastmap::FastMap;
use crate::id::PortId;
use crate::wire::{self, MacAddr};
use serde::Serialize;

/// VLAN mode of a switch port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum PortMode {
    /// Untagged on the wire; frames belong to this VLAN inside the switch.
    Access(u16),
    /// Tagged for the listed VLANs; untagged frames belong to `native`.
    Trunk { native: u16, allowed: Vec<u16> },
}

impl PortMode {
    fn ingress_vlan(&self, tag: Option<u16>) -> Option<u16> {
        match (self, tag) {
            (PortMode::Access(v), None) => Some(*v),
            (PortMode::Access(v), Some(t)) if t == *v => Some(*v),
            (PortMode::Access(_), Some(_)) => None,
            (PortMode::Trunk { native, .. }, None) => Some(*native),
            (PortMode::Trunk { allowed, .. }, Some(t)) => allowed.contains(&t).then_some(t),
        }
    }
    fn carries(&self, vlan: u16) -> bool {
        match self {
            PortMode::Access(v) => *v == vlan,
            PortMode::Trunk { native, allowed } => *native == vlan || allowed.contains(&vlan),
        }
    }
    /// Whether frames of `vlan` leave this port tagged.
    fn egress_tagged(&self, vlan: u16) -> bool {
        matches!(self, PortMode::Trunk { native, .. } if *native != vlan)
    }
}

/// What a switch does with a unicast frame whose destination it does not know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum UnknownUnicast {
    Flood,
    Drop,
    /// Hyper-V external switch: everything unknown goes out of the uplink (the bound NIC).
    ToPort(PortId),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SwitchPort {
    pub name: String,
    pub mode: PortMode,
    /// Port security: the only source MAC accepted (a Hyper-V VM port with MAC address
    /// spoofing off). `None` accepts any.
    pub allowed_src: Option<MacAddr>,
    /// Reflective relay: a frame whose destination is behind this same port is sent back out
    /// of it instead of being filtered (the Azure host hair-pins l2tunnel traffic).
    pub reflect: bool,
}

/// The configuration of a switch, as plain data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SwitchConfig {
    pub name: String,
    pub learning: bool,
    pub unknown_unicast: UnknownUnicast,
    /// Ports by `PortId` index. `None` is a removed port (ids are never reused).
    pub ports: Vec<Option<SwitchPort>>,
    /// MACs the control plane pinned to ports, with their VLAN.
    pub static_macs: Vec<(MacAddr, u16, PortId)>,
    /// The VFP layer HNS programmed on a Hyper-V vSwitch, if any.
    pub vfp: Option<Box<VfpConfig>>,
    /// A policy layer that admits every IPv4 frame it switches and says so in traces:
    /// (layer, rule), e.g. the Azure host's SDN policy.
    pub policy: Option<(String, String)>,
    /// Why a frame to a host behind its own ingress port is filtered, for traces; `None`
    /// filters silently (an ordinary switch).
    pub filter_reason: Option<String>,
}

impl SwitchConfig {
    /// A switch with no ports yet and no VFP or policy layer.
    pub fn new(name: impl Into<String>, learning: bool, unknown_unicast: UnknownUnicast) -> Self {
        SwitchConfig {
            name: name.into(),
            learning,
            unknown_unicast,
            ports: Vec::new(),
            static_macs: Vec::new(),
            vfp: None,
            policy: None,
            filter_reason: None,
        }
    }
}

#[derive(Debug)]
pub struct Switch {
    pub config: SwitchConfig,
    fdb: FastMap<u64, PortId>,
    /// Boxed: most switches have no VFP layer, and the device enum stays small.
    vfp: Box<VfpState>,
}

fn fdb_key(vlan: u16, mac: MacAddr) -> u64 {
    let MacAddr(a, b, c, d, e, f) = mac;
    (u64::from(vlan) << 48)
        | (u64::from(a) << 40)
        | (u64::from(b) << 32)
        | (u64::from(c) << 24)
        | (u64::from(d) << 16)
        | (u64::from(e) << 8)
        | u64::from(f)
}

impl Switch {
    pub fn new(config: SwitchConfig) -> Self {
        let mut s = Switch {
            config,
            fdb: FastMap::default(),
            vfp: Box::default(),
        };
        s.rebuild_static();
        s
    }

    fn rebuild_static(&mut self) {
        for (mac, vlan, port) in &self.config.static_macs {
            self.fdb.insert(fdb_key(*vlan, *mac), *port);
        }
    }

    /// Adds a port and returns its id.
    pub fn add_port(&mut self, name: impl Into<String>, mode: PortMode) -> PortId {
        self.config.ports.push(Some(SwitchPort {
            name: name.into(),
            mode,
            allowed_src: None,
            reflect: false,
        }));
        PortId((self.config.ports.len() - 1) as u16)
    }

    /// Removes a port and every MAC entry that pointed at it.
    pub fn remove_port(&mut self, port: PortId) {
        if let Some(slot) = self.config.ports.get_mut(port.0 as usize) {
            *slot = None;
        }
        self.config.static_macs.retain(|(_, _, p)| *p != port);
        self.fdb.retain(|_, p| *p != port);
        if let Some(vfp) = &mut self.config.vfp {
            vfp.remove_port(port);
        }
    }

    pub fn port_mut(&mut self, port: PortId) -> Option<&mut SwitchPort> {
        self.config
            .ports
            .get_mut(port.0 as usize)
            .and_then(Option::as_mut)
    }

    /// Removes a pinned MAC entry.
    pub fn unpin_mac(&mut self, mac: MacAddr, vlan: u16) {
        self.config
            .static_macs
            .retain(|(m, v, _)| !(*m == mac && *v == vlan));
        self.fdb.remove(&fdb_key(vlan, mac));
    }

    pub fn pin_mac(&mut self, mac: MacAddr, vlan: u16, port: PortId) {
        self.config.static_macs.push((mac, vlan, port));
        self.fdb.insert(fdb_key(vlan, mac), port);
    }

    /// Forgets learned entries (a power cycle); static entries stay.
    pub fn flush_learned(&mut self) {
        self.fdb.clear();
        self.vfp.clear();
        self.rebuild_static();
    }

    pub fn port_name(&self, port: PortId) -> String {
        match self.config.ports.get(port.0 as usize) {
            Some(Some(p)) => p.name.clone(),
            _ => format!("port{}", port.0),
        }
    }

    /// The learned or pinned port for a MAC, for tests and the property that container MACs
    /// never reach a physical switch.
    pub fn lookup(&self, vlan: u16, mac: MacAddr) -> Option<PortId> {
        self.fdb.get(&fdb_key(vlan, mac)).copied()
    }

    pub fn handle_frame(&mut self, in_port: PortId, mut frame: Frame, out: &mut Outbox) {
        let Some(Some(port)) = self.config.ports.get(in_port.0 as usize) else {
            out.drop_frame(&frame, || DropReason::Unplugged {
                port: format!("port{}", in_port.0),
            });
            return;
        };
        let (Some(dst), Some(src)) = (wire::eth_dst(&frame.bytes), wire::eth_src(&frame.bytes))
        else {
            out.drop_frame(&frame, || DropReason::Malformed {
                what: "short Ethernet header".into(),
            });
            return;
        };
        let tag = wire::vlan_id(&frame.bytes);
        let Some(vlan) = port.mode.ingress_vlan(tag) else {
            let name = port.name.clone();
            out.drop_frame(&frame, || DropReason::VlanNotAllowed {
                port: name,
                vlan: tag.unwrap_or(0),
            });
            return;
        };
        if port.allowed_src.is_some_and(|m| m != src) {
            let (switch, port) = (self.config.name.clone(), port.name.clone());
            out.drop_frame(&frame, || DropReason::MacSpoofing {
                switch,
                port,
                mac: src,
            });
            return;
        }
        // Inside the switch frames are untagged; the egress port decides tagging.
        if tag.is_some() {
            wire::pop_vlan(&mut frame.bytes);
        }
        if self.config.learning && !src.is_multicast() {
            self.fdb.insert(fdb_key(vlan, src), in_port);
        }
        if let Some((layer, rule)) = &self.config.policy {
            if wire::ethertype(&frame.bytes) == Some(wire::ETHERTYPE_IPV4) {
                out.hop(frame.probe, &frame.bytes, || HopAction::Policy {
                    layer: layer.clone(),
                    rule: rule.clone(),
                });
            }
        }
        let mut steered = None;
        if let Some(vfp) = &self.config.vfp {
            match self.vfp.ingress(vfp, in_port, &mut frame, out) {
                Steer::Lookup => {}
                Steer::To(p) => steered = Some(p),
            }
        }
        // VFP may have rewritten the destination.
        let dst = wire::eth_dst(&frame.bytes).unwrap_or(dst);

        let target = if let Some(p) = steered {
            Some(p)
        } else if dst.is_multicast() {
            None
        } else {
            match self.fdb.get(&fdb_key(vlan, dst)) {
                Some(p) => Some(*p),
                None => match &self.config.unknown_unicast {
                    UnknownUnicast::Flood => None,
                    UnknownUnicast::ToPort(p) => Some(*p),
                    UnknownUnicast::Drop => {
                        let name = self.config.name.clone();
                        out.drop_frame(&frame, || DropReason::NoMacEntry {
                            switch: name,
                            mac: dst,
                            vlan,
                        });
                        return;
                    }
                },
            }
        };

        match target {
            Some(to) if to == in_port && !port.reflect => {
                // The destination sits behind the port the frame came from: a switch filters it.
                if let Some(why) = &self.config.filter_reason {
                    let (switch, port) = (self.config.name.clone(), port.name.clone());
                    let why = why.clone();
                    out.drop_frame(&frame, || DropReason::Filtered { switch, port, why });
                }
            }
            Some(to) => {
                let Some(Some(to_port)) = self.config.ports.get(to.0 as usize) else {
                    out.drop_frame(&frame, || DropReason::Unplugged {
                        port: format!("port{}", to.0),
                    });
                    return;
                };
                if !to_port.mode.carries(vlan) {
                    let name = to_port.name.clone();
                    out.drop_frame(&frame, || DropReason::VlanNotAllowed { port: name, vlan });
                    return;
                }
                if let Some(vfp) = self.config.vfp.as_ref().filter(|v| v.uplink == to) {
                    if !self.vfp.to_uplink(vfp, in_port, &mut frame, out) {
                        return;
                    }
                }
                if to_port.mode.egress_tagged(vlan) {
                    wire::push_vlan(&mut frame.bytes, vlan);
                }
                out.hop(frame.probe, &frame.bytes, || HopAction::Bridged {
                    from_port: self.port_name(in_port),
                    to_port: self.port_name(to),
                });
                out.send(to, frame);
            }
            None => self.flood(in_port, vlan, frame, out),
        }
    }

    fn flood(&mut self, in_port: PortId, vlan: u16, frame: Frame, out: &mut Outbox) {
        let mut count = 0;
        for (i, p) in self.config.ports.iter().enumerate() {
            let Some(p) = p else { continue };
            if (i == in_port.0 as usize && !p.reflect) || !p.mode.carries(vlan) {
                continue;
            }
            let mut copy = frame.clone();
            if let Some(vfp) = self
                .config
                .vfp
                .as_ref()
                .filter(|v| v.uplink.0 as usize == i)
            {
                if !self.vfp.to_uplink(vfp, in_port, &mut copy, out) {
                    continue;
                }
            }
            if p.mode.egress_tagged(vlan) {
                wire::push_vlan(&mut copy.bytes, vlan);
            }
            out.send(PortId(i as u16), copy);
            count += 1;
        }
        if count == 0 {
            // Nowhere to flood to: on a switch that says why it filters, that is a drop.
            if let Some(why) = &self.config.filter_reason {
                let (switch, port, why) = (
                    self.config.name.clone(),
                    self.port_name(in_port),
                    why.clone(),
                );
                out.drop_frame(&frame, || DropReason::Filtered { switch, port, why });
                return;
            }
        }
        out.hop(frame.probe, &frame.bytes, || HopAction::Flooded {
            from_port: self.port_name(in_port),
            ports: count,
        });
    }
}
