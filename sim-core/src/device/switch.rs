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
    /// Switch Embedded Teaming: physical ports that act as one uplink.
    pub team: Option<Team>,
}

/// A SET team: its members act as one logical port, `primary`, which is the port learning,
/// flooding and VFP know. Each vSwitch port's traffic leaves by one member ("Hyper-V port"
/// load balancing), chosen among the members whose link is up, so a member that goes down
/// fails over. Switch-independent: broadcasts come in on every member, and only the first
/// member that is up accepts them, so nothing arrives twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Team {
    pub name: String,
    pub primary: PortId,
    /// Every member, `primary` first.
    pub members: Vec<PortId>,
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
            team: None,
        }
    }
}

#[derive(Debug)]
pub struct Switch {
    pub config: SwitchConfig,
    fdb: FastMap<u64, PortId>,
    /// Boxed: most switches have no VFP layer, and the device enum stays small.
    vfp: Box<VfpState>,
    /// Ports whose link is down (carrier lost), as the engine reported them.
    no_carrier: Vec<PortId>,
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
            no_carrier: Vec::new(),
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

    /// The engine reports that the link on `port` went down or came back.
    /// A port that loses its link forgets the MACs learned on it (they relearn wherever
    /// they show up next).
    pub fn set_carrier(&mut self, port: PortId, up: bool) {
        self.no_carrier.retain(|p| *p != port);
        if !up {
            self.no_carrier.push(port);
            self.fdb.retain(|_, p| *p != port);
            self.rebuild_static();
        }
    }

    /// The team members that can carry frames now, in order.
    fn team_members_up<'a>(&'a self, team: &'a Team) -> impl Iterator<Item = PortId> + 'a {
        team.members
            .iter()
            .copied()
            .filter(|m| !self.no_carrier.contains(m))
    }

    /// The physical port a frame from `in_port` leaves by when it goes to `to`: `to` itself,
    /// or for the team's logical port the member serving `in_port`. `None`: every member is
    /// down.
    fn egress_member(&self, in_port: PortId, to: PortId) -> Option<PortId> {
        match &self.config.team {
            Some(team) if team.primary == to => {
                let n = self.team_members_up(team).count();
                (n > 0).then(|| {
                    self.team_members_up(team)
                        .nth(in_port.0 as usize % n)
                        .expect("n members are up")
                })
            }
            _ => Some(to),
        }
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
            out.drop_frame(&frame, || DropReason::MacSpoofing {
                switch: self.config.name.clone(),
                port: port.name.clone(),
                mac: src,
            });
            return;
        }
        // A team member's frames belong to the team's logical port; traces name the member.
        let arrived_on = in_port;
        let in_port = match &self.config.team {
            Some(team) if team.members.contains(&in_port) => {
                // Switch-independent teaming: a broadcast comes in on every member and is
                // taken from the first one that is up; the physical switch also sends the
                // team's own broadcasts back in. Both copies are discarded, like a NIC
                // ignoring a frame that is not for it (not a drop).
                if dst.is_multicast() {
                    let accepting = self.team_members_up(team).next();
                    let own = self
                        .config
                        .static_macs
                        .iter()
                        .any(|(m, _, p)| *m == src && !team.members.contains(p));
                    if accepting != Some(in_port) || own {
                        return;
                    }
                }
                team.primary
            }
            _ => in_port,
        };
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
        let mut vlan = vlan;
        if let Some(vfp) = &self.config.vfp {
            match self.vfp.ingress(vfp, in_port, vlan, &mut frame, out) {
                Steer::Lookup => {}
                Steer::To(p) => {
                    // VFP delivers onto the endpoint's port, and so into its VLAN (a port
                    // map on the untagged host address can lead to a container on VLAN 7).
                    if let Some(Some(SwitchPort {
                        mode: PortMode::Access(v),
                        ..
                    })) = self.config.ports.get(p.0 as usize)
                    {
                        vlan = *v;
                    }
                    steered = Some(p);
                }
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
                    out.drop_frame(&frame, || DropReason::Filtered {
                        switch: self.config.name.clone(),
                        port: port.name.clone(),
                        why: why.clone(),
                    });
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
                let Some(member) = self.egress_member(in_port, to) else {
                    out.drop_frame(&frame, || DropReason::LinkDown {
                        link: match &self.config.team {
                            Some(t) => format!("to every member of {}", t.name),
                            None => self.port_name(to),
                        },
                    });
                    return;
                };
                out.hop(frame.probe, &frame.bytes, || HopAction::Bridged {
                    from_port: self.port_name(arrived_on),
                    to_port: self.port_name(member),
                });
                out.send(member, frame);
            }
            None => self.flood(in_port, arrived_on, vlan, frame, out),
        }
    }

    /// Floods a frame that came in on logical port `in_port` (physically, `arrived_on`).
    fn flood(
        &mut self,
        in_port: PortId,
        arrived_on: PortId,
        vlan: u16,
        frame: Frame,
        out: &mut Outbox,
    ) {
        let mut count = 0;
        for (i, p) in self.config.ports.iter().enumerate() {
            let Some(p) = p else { continue };
            if (i == in_port.0 as usize && !p.reflect) || !p.mode.carries(vlan) {
                continue;
            }
            // A team floods once, by the member serving the ingress port (one that is up).
            let member = match &self.config.team {
                Some(t) if t.members.contains(&PortId(i as u16)) => {
                    if t.primary.0 as usize != i {
                        continue;
                    }
                    match self.egress_member(in_port, t.primary) {
                        Some(m) => m,
                        None => continue,
                    }
                }
                _ if self.no_carrier.contains(&PortId(i as u16)) => continue,
                _ => PortId(i as u16),
            };
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
            out.send(member, copy);
            count += 1;
        }
        if count == 0 {
            // Nowhere to flood to: on a switch that says why it filters, that is a drop.
            if let Some(why) = &self.config.filter_reason {
                out.drop_frame(&frame, || DropReason::Filtered {
                    switch: self.config.name.clone(),
                    port: self.port_name(arrived_on),
                    why: why.clone(),
                });
                return;
            }
        }
        out.hop(frame.probe, &frame.bytes, || HopAction::Flooded {
            from_port: self.port_name(arrived_on),
            ports: count,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::NodeId;
    use crate::time::SimTime;
    use crate::wire::arp_request;

    const HOST_A: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 0xa);
    const HOST_B: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 0xb);
    const OUTSIDE: MacAddr = MacAddr(0x02, 0, 0, 0, 0, 1);

    /// A vSwitch with a two-member SET team (ports 0 and 1) and two vNIC ports (2 and 3).
    fn teamed() -> Switch {
        let mut sw = Switch::new(SwitchConfig::new("vs", false, UnknownUnicast::Drop));
        let trunk = || PortMode::Trunk {
            native: 1,
            allowed: Vec::new(),
        };
        let m0 = sw.add_port("uplink (Ethernet)", trunk());
        let m1 = sw.add_port("uplink (Ethernet 2)", trunk());
        let a = sw.add_port("a", PortMode::Access(1));
        let b = sw.add_port("b", PortMode::Access(1));
        sw.pin_mac(HOST_A, 1, a);
        sw.pin_mac(HOST_B, 1, b);
        sw.config.unknown_unicast = UnknownUnicast::ToPort(m0);
        sw.config.team = Some(Team {
            name: "SET team".into(),
            primary: m0,
            members: vec![m0, m1],
        });
        sw
    }

    fn frame(src: MacAddr, dst: MacAddr) -> Frame {
        let mut bytes = arp_request(
            src,
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
        );
        wire::set_eth_dst(&mut bytes, dst);
        Frame::new(bytes, None)
    }

    fn handle(sw: &mut Switch, port: u16, f: Frame) -> Outbox {
        let mut out = Outbox::default();
        out.reset(SimTime::ZERO, NodeId(0));
        sw.handle_frame(PortId(port), f, &mut out);
        out
    }

    fn ports(out: &Outbox) -> Vec<u16> {
        out.sends.iter().map(|(p, _)| p.0).collect()
    }

    #[test]
    fn each_vnic_port_leaves_by_one_member_and_fails_over() {
        let mut sw = teamed();
        // Hyper-V port balancing: port 2 by member 0, port 3 by member 1.
        assert_eq!(ports(&handle(&mut sw, 2, frame(HOST_A, OUTSIDE))), [0]);
        assert_eq!(ports(&handle(&mut sw, 3, frame(HOST_B, OUTSIDE))), [1]);
        sw.set_carrier(PortId(1), false);
        assert_eq!(ports(&handle(&mut sw, 3, frame(HOST_B, OUTSIDE))), [0]);
        sw.set_carrier(PortId(0), false);
        let out = handle(&mut sw, 3, frame(HOST_B, OUTSIDE));
        assert!(out.sends.is_empty());
        assert_eq!(out.drops, 1);
    }

    #[test]
    fn a_broadcast_floods_once_to_the_team_and_is_accepted_on_one_member() {
        let mut sw = teamed();
        let out = handle(&mut sw, 2, frame(HOST_A, MacAddr::broadcast()));
        assert_eq!(
            ports(&out),
            [0, 3],
            "one copy to the team, one to the other vNIC"
        );
        // Both members receive the outside's broadcast; only the first one that is up takes it.
        assert_eq!(
            ports(&handle(&mut sw, 0, frame(OUTSIDE, MacAddr::broadcast()))),
            [2, 3]
        );
        let dup = handle(&mut sw, 1, frame(OUTSIDE, MacAddr::broadcast()));
        assert!(dup.sends.is_empty());
        assert_eq!(dup.drops, 0, "a duplicate copy is ignored, not dropped");
        // The team's own broadcast, sent back in by the physical switch, is ignored too.
        assert!(handle(&mut sw, 0, frame(HOST_B, MacAddr::broadcast()))
            .sends
            .is_empty());
        sw.set_carrier(PortId(0), false);
        assert_eq!(
            ports(&handle(&mut sw, 1, frame(OUTSIDE, MacAddr::broadcast()))),
            [2, 3]
        );
        // With the first member down the team still floods, by the second.
        assert_eq!(
            ports(&handle(&mut sw, 2, frame(HOST_A, MacAddr::broadcast()))),
            [1, 3]
        );
        // Unicast from any member reaches the vNIC.
        assert_eq!(ports(&handle(&mut sw, 1, frame(OUTSIDE, HOST_A))), [2]);
    }

    #[test]
    fn a_port_without_carrier_gets_no_floods_and_forgets_its_macs() {
        let mut sw = Switch::new(SwitchConfig::new("tor", true, UnknownUnicast::Flood));
        for name in ["p0", "p1", "p2"] {
            sw.add_port(name, PortMode::Access(1));
        }
        handle(&mut sw, 1, frame(HOST_A, OUTSIDE));
        assert_eq!(sw.lookup(1, HOST_A), Some(PortId(1)));
        sw.set_carrier(PortId(1), false);
        assert_eq!(sw.lookup(1, HOST_A), None);
        assert_eq!(ports(&handle(&mut sw, 0, frame(OUTSIDE, HOST_A))), [2]);
    }
}
