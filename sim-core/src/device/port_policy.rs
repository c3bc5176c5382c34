//! Per-port policies of a virtual switch at layer 2: MAC address translation between the
//! MAC of a machine on a port and the host's, so that only the host's MAC reaches the wire,
//! and steering every frame of a port to the uplink (hair-pinned by the physical host).
//!
//! Owns the policy configuration (which ports are endpoints, their MAC, address and VLAN,
//! what applies to each) and the rewrites. The switch calls it when a frame comes in from
//! the uplink, when an endpoint's frame comes in, and when an endpoint's frame leaves by the
//! uplink. It never routes and never translates IP addresses: address translation on a
//! switch is a ruleset (`device::rules`) the switch runs at its hooks.

use super::{Action, Frame, NatKind, Outbox};
use crate::id::PortId;
use crate::wire::{self, MacAddr, View};
use serde::Serialize;
use std::net::Ipv4Addr;

/// The layer-2 policies a control plane programmed on one switch, as plain data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortPolicyConfig {
    /// How traces name this layer.
    pub name: String,
    /// The port bound to the physical NIC.
    pub uplink: PortId,
    /// The host's MAC (the bound NIC's), which rewritten frames carry on the wire.
    pub host_mac: MacAddr,
    pub endpoints: Vec<PolicyEndpoint>,
}

/// The policies on one endpoint's port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyEndpoint {
    pub name: String,
    pub port: PortId,
    pub mac: MacAddr,
    pub ip: Ipv4Addr,
    /// The endpoint's VLAN (1 when untagged). The MAC rewrite back applies to frames on it.
    pub vlan: u16,
    /// Rewrite the endpoint's MAC to the host MAC on egress, and back on ingress.
    pub mac_rewrite: bool,
    /// Every frame goes to the uplink, even to a neighbour on this switch; the words say why,
    /// for traces.
    pub to_uplink: Option<String>,
}

impl PortPolicyConfig {
    pub fn new(name: String, uplink: PortId, host_mac: MacAddr) -> Self {
        PortPolicyConfig {
            name,
            uplink,
            host_mac,
            endpoints: Vec::new(),
        }
    }

    fn endpoint_on(&self, port: PortId) -> Option<&PolicyEndpoint> {
        self.endpoints.iter().find(|e| e.port == port)
    }

    fn endpoint_with_ip(&self, ip: Ipv4Addr) -> Option<&PolicyEndpoint> {
        self.endpoints.iter().find(|e| e.ip == ip)
    }

    /// Removes an endpoint's policies (its port was removed).
    pub fn remove_port(&mut self, port: PortId) {
        self.endpoints.retain(|e| e.port != port);
    }

    /// A frame from the uplink, before the switch's rules run: an ARP answer for a rewritten
    /// endpoint carries the host MAC, which goes back to the endpoint's own. Returns the
    /// port to deliver it to.
    pub fn arp_from_uplink(
        &self,
        vlan: u16,
        frame: &mut Frame,
        view: &View,
        out: &mut Outbox,
    ) -> Option<PortId> {
        let arp = view.arp?;
        let ep = self
            .endpoint_with_ip(arp.target_ip)
            .filter(|e| e.mac_rewrite && e.vlan == vlan && arp.target_mac == self.host_mac)?;
        wire::arp_set_target_mac(&mut frame.bytes, ep.mac);
        if view.dst == self.host_mac {
            wire::set_eth_dst(&mut frame.bytes, ep.mac);
        }
        self.rewrote(frame, out, NatKind::Destination, self.host_mac, ep.mac);
        Some(ep.port)
    }

    /// An IPv4 frame from the uplink for the host MAC, after the switch's rules ran: if it is
    /// now for an endpoint (a port map translated it, `translated`), or for an endpoint whose
    /// MAC is rewritten on this VLAN, its destination MAC goes back to the endpoint's. Returns
    /// the port to deliver it to.
    pub fn ip_from_uplink(
        &self,
        vlan: u16,
        translated: bool,
        frame: &mut Frame,
        view: &View,
        out: &mut Outbox,
    ) -> Option<PortId> {
        let ip = view.ip?;
        if view.dst != self.host_mac {
            return None;
        }
        let ep = self.endpoint_with_ip(ip.dst)?;
        if translated {
            wire::set_eth_dst(&mut frame.bytes, ep.mac);
            return Some(ep.port);
        }
        if !(ep.mac_rewrite && ep.vlan == vlan) {
            return None;
        }
        wire::set_eth_dst(&mut frame.bytes, ep.mac);
        self.rewrote(frame, out, NatKind::Destination, self.host_mac, ep.mac);
        Some(ep.port)
    }

    /// A frame from an endpoint whose every frame goes to the uplink: the port to send it to.
    pub fn steer_from(&self, in_port: PortId, frame: &Frame, out: &mut Outbox) -> Option<PortId> {
        let why = self.endpoint_on(in_port)?.to_uplink.as_deref()?;
        out.hop(frame.probe, &frame.bytes, |syms| Action::Policy {
            layer: syms.intern(&self.name),
            rule: syms.intern(why),
        });
        Some(self.uplink)
    }

    /// An endpoint's frame is about to leave by the uplink: the MAC rewrite (ARP bodies
    /// included), and for an endpoint steered to the uplink, a frame to a neighbour gets the
    /// host MAC as its destination (the physical host sends it back, and the rewrite on the
    /// way in finds the neighbour by its address).
    pub fn to_uplink(&self, in_port: PortId, frame: &mut Frame, out: &mut Outbox) {
        let Some(ep) = self.endpoint_on(in_port).filter(|e| e.mac_rewrite) else {
            return;
        };
        let before = wire::eth_src(&frame.bytes).unwrap_or_default();
        if before == ep.mac {
            wire::set_eth_src(&mut frame.bytes, self.host_mac);
            wire::arp_set_sender_mac(&mut frame.bytes, self.host_mac);
            self.rewrote(frame, out, NatKind::Source, before, self.host_mac);
        }
        let to_neighbour =
            wire::eth_dst(&frame.bytes).is_some_and(|d| self.endpoints.iter().any(|e| e.mac == d));
        if ep.to_uplink.is_some() && to_neighbour {
            let before = wire::eth_dst(&frame.bytes).unwrap_or_default();
            wire::set_eth_dst(&mut frame.bytes, self.host_mac);
            self.rewrote(frame, out, NatKind::Destination, before, self.host_mac);
        }
    }

    fn rewrote(
        &self,
        frame: &Frame,
        out: &mut Outbox,
        kind: NatKind,
        before: MacAddr,
        after: MacAddr,
    ) {
        out.hop(frame.probe, &frame.bytes, |syms| Action::MacRewrite {
            layer: syms.intern(&self.name),
            kind,
            before,
            after,
        });
    }
}
