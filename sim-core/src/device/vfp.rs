//! VFP, the Virtual Filtering Platform: the per-port policy layer of a Hyper-V vSwitch.
//!
//! HNS programs it for the drivers that use an external vSwitch. It owns, as configuration:
//! which vSwitch ports are container endpoints, whether their MACs are rewritten to the host's
//! on the uplink (l2bridge, l2tunnel), their OutboundNAT policy and exceptions, their port
//! mappings, and whether all their traffic is sent to the physical host (l2tunnel). At run
//! time it owns the VFP NAT sessions. The switch calls it at two points: when a frame comes in
//! (from an endpoint or from the uplink) and when an endpoint's frame leaves by the uplink.
//! It never routes: frames go where the L2 lookup (or a tunnel policy) sends them.

use super::hop::NatKind;
use super::stack::nat::{no_icmp_rule, Egress, NatTable};
use super::stack::NatConfig;
use super::{DropReason, Frame, HopAction, Outbox};
use crate::id::PortId;
use crate::wire::{self, MacAddr};
use ipnetwork::Ipv4Network;
use serde::Serialize;
use std::net::Ipv4Addr;

/// The VFP configuration of one vSwitch, as plain data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VfpConfig {
    /// How traces name this layer, e.g. "VFP (host1/vSwitch(Ethernet))".
    pub name: String,
    /// The port bound to the physical NIC.
    pub uplink: PortId,
    /// The host's MAC (the bound NIC's), which rewritten frames carry on the wire.
    pub host_mac: MacAddr,
    /// The host's management address: the outside address of OutboundNAT and port maps.
    pub host_ip: Option<Ipv4Addr>,
    pub endpoints: Vec<VfpEndpoint>,
    /// VFP's NAT: OutboundNAT instances (one per endpoint with the policy, marked `vfp`, so
    /// ICMP is not translated) and port mappings.
    pub nat: NatConfig,
}

/// The policies HNS attached to one endpoint's vSwitch port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VfpEndpoint {
    pub name: String,
    pub port: PortId,
    pub mac: MacAddr,
    pub ip: Ipv4Addr,
    /// The endpoint's VLAN (1 when untagged). The MAC rewrite back applies to frames on it.
    pub vlan: u16,
    /// Rewrite the container MAC to the host MAC on egress, and back on ingress.
    pub mac_rewrite: bool,
    /// OutboundNAT: destinations not in these prefixes leave with the host's address.
    pub outbound_nat: Option<Vec<Ipv4Network>>,
    /// l2tunnel: every frame goes to the physical host, even to a neighbour on this switch.
    pub tunnel_to_uplink: bool,
}

impl VfpConfig {
    pub fn new(name: String, uplink: PortId, host_mac: MacAddr) -> Self {
        VfpConfig {
            nat: NatConfig {
                name: format!("{name} NAT"),
                instances: Vec::new(),
                outside_ifaces: Vec::new(),
                static_mappings: Vec::new(),
                port_range: (1024, 65535),
                max_sessions: 65536,
                local_hairpin: false,
            },
            name,
            uplink,
            host_mac,
            host_ip: None,
            endpoints: Vec::new(),
        }
    }

    fn endpoint_on(&self, port: PortId) -> Option<&VfpEndpoint> {
        self.endpoints.iter().find(|e| e.port == port)
    }

    fn endpoint_with_ip(&self, ip: Ipv4Addr) -> Option<&VfpEndpoint> {
        self.endpoints.iter().find(|e| e.ip == ip)
    }

    /// Removes an endpoint's policies (its port was removed).
    pub fn remove_port(&mut self, port: PortId) {
        if let Some(ep) = self.endpoint_on(port).cloned() {
            let inside = Ipv4Network::new(ep.ip, 32).expect("/32");
            self.nat.instances.retain(|i| i.inside_prefix != inside);
            self.nat.static_mappings.retain(|m| *m.inside.ip() != ep.ip);
        }
        self.endpoints.retain(|e| e.port != port);
    }
}

/// What the switch does after VFP looked at an incoming frame.
pub enum Steer {
    /// Carry on with the normal L2 lookup (the frame may have been rewritten).
    Lookup,
    /// Send the frame to this port, whatever the MAC table says.
    To(PortId),
}

/// VFP's run-time state on one vSwitch.
#[derive(Debug, Default)]
pub struct VfpState {
    nat: NatTable,
}

impl VfpState {
    pub fn clear(&mut self) {
        self.nat.clear();
    }

    /// A frame entered the vSwitch on `in_port`, on `vlan`.
    pub fn ingress(
        &mut self,
        cfg: &VfpConfig,
        in_port: PortId,
        vlan: u16,
        frame: &mut Frame,
        out: &mut Outbox,
    ) -> Steer {
        if in_port == cfg.uplink {
            return self.ingress_from_uplink(cfg, vlan, frame, out);
        }
        // VFP's NAT layer sits on the endpoint's port: a reply in a translated flow (a port
        // map's, an OutboundNAT session's) is translated back whichever way it then goes,
        // to the uplink or to a host endpoint that routes it.
        let Some(ep) = cfg.endpoint_on(in_port) else {
            return Steer::Lookup;
        };
        if let Some(t) = self.nat.outbound_existing(out.now, &mut frame.bytes) {
            out.hop(frame.probe, &frame.bytes, || {
                t.into_hop(&cfg.nat.name, &self.nat)
            });
        }
        if !ep.tunnel_to_uplink {
            return Steer::Lookup;
        }
        out.hop(frame.probe, &frame.bytes, || HopAction::Policy {
            layer: cfg.name.clone(),
            rule: format!(
                "l2tunnel: all traffic of {} goes to the physical host, where SDN policy applies",
                ep.name
            ),
        });
        Steer::To(cfg.uplink)
    }

    /// A frame that came from the physical network: replies to OutboundNAT, port maps, and
    /// the MAC rewrite back to the container's own. The rewrite applies on the endpoint's
    /// own VLAN only: a frame for the host MAC on another VLAN is the host's (say, one it
    /// routes to a host endpoint), not the container's.
    fn ingress_from_uplink(
        &mut self,
        cfg: &VfpConfig,
        vlan: u16,
        frame: &mut Frame,
        out: &mut Outbox,
    ) -> Steer {
        let Some(dst_mac) = wire::eth_dst(&frame.bytes) else {
            return Steer::Lookup;
        };
        if let Some(arp) = wire::arp_info(&frame.bytes) {
            // An ARP answer for a rewritten container carries the host MAC: give it back.
            let ep = cfg
                .endpoint_with_ip(arp.target_ip)
                .filter(|e| e.mac_rewrite && e.vlan == vlan && arp.target_mac == cfg.host_mac);
            if let Some(ep) = ep {
                wire::arp_set_target_mac(&mut frame.bytes, ep.mac);
                if dst_mac == cfg.host_mac {
                    wire::set_eth_dst(&mut frame.bytes, ep.mac);
                }
                self.rewrote(cfg, frame, out, NatKind::Destination, cfg.host_mac, ep.mac);
                return Steer::To(ep.port);
            }
            return Steer::Lookup;
        }
        if dst_mac != cfg.host_mac {
            return Steer::Lookup;
        }
        let Some(ip) = wire::ipv4_info(&frame.bytes) else {
            return Steer::Lookup;
        };
        if Some(ip.dst) == cfg.host_ip {
            let Some(t) = self.nat.inbound(&cfg.nat, out.now, &mut frame.bytes) else {
                return Steer::Lookup;
            };
            let inside = *t.after.ip();
            out.hop(frame.probe, &frame.bytes, || {
                t.into_hop(&cfg.nat.name, &self.nat)
            });
            return match cfg.endpoint_with_ip(inside) {
                Some(ep) => {
                    wire::set_eth_dst(&mut frame.bytes, ep.mac);
                    Steer::To(ep.port)
                }
                None => Steer::Lookup,
            };
        }
        match cfg
            .endpoint_with_ip(ip.dst)
            .filter(|e| e.mac_rewrite && e.vlan == vlan)
        {
            Some(ep) => {
                wire::set_eth_dst(&mut frame.bytes, ep.mac);
                self.rewrote(cfg, frame, out, NatKind::Destination, cfg.host_mac, ep.mac);
                Steer::To(ep.port)
            }
            None => Steer::Lookup,
        }
    }

    /// An endpoint's frame is about to leave by the uplink: OutboundNAT, then the MAC rewrite.
    /// Returns false when VFP dropped it.
    pub fn to_uplink(
        &mut self,
        cfg: &VfpConfig,
        in_port: PortId,
        frame: &mut Frame,
        out: &mut Outbox,
    ) -> bool {
        let Some(ep) = cfg.endpoint_on(in_port) else {
            return true;
        };
        if let (Some(host_ip), Some(ip)) = (cfg.host_ip, wire::ipv4_info(&frame.bytes)) {
            let policy_applies = ip.src == ep.ip
                && ep
                    .outbound_nat
                    .as_ref()
                    .is_some_and(|exc| !exc.iter().any(|n| n.contains(ip.dst)));
            // Replies in existing sessions were translated on the way in (`ingress`); here
            // the policy opens new ones.
            let egress = if policy_applies {
                self.nat
                    .outbound(&cfg.nat, out.now, host_ip, &mut frame.bytes)
            } else {
                Egress::NotInside
            };
            match egress {
                Egress::Translated(t) => {
                    out.hop(frame.probe, &frame.bytes, || {
                        t.into_hop(&cfg.nat.name, &self.nat)
                    });
                }
                Egress::NotInside => {}
                Egress::NoRule { instance } => {
                    let dst = ip.dst;
                    out.drop_frame(frame, || no_icmp_rule(&cfg.name, &instance, dst));
                    return false;
                }
                Egress::Exhausted => {
                    out.drop_frame(frame, || DropReason::NatPortsExhausted {
                        table: cfg.nat.name.clone(),
                    });
                    return false;
                }
            }
        }
        if ep.mac_rewrite {
            let before = wire::eth_src(&frame.bytes).unwrap_or_default();
            if before == ep.mac {
                wire::set_eth_src(&mut frame.bytes, cfg.host_mac);
                wire::arp_set_sender_mac(&mut frame.bytes, cfg.host_mac);
                self.rewrote(cfg, frame, out, NatKind::Source, before, cfg.host_mac);
            }
            // l2tunnel hair-pins even traffic to a neighbour: the physical host sends it back
            // to the host MAC, and the ingress rewrite finds the container by its IP.
            let to_neighbour = wire::eth_dst(&frame.bytes)
                .is_some_and(|d| cfg.endpoints.iter().any(|e| e.mac == d));
            if ep.tunnel_to_uplink && to_neighbour {
                let before = wire::eth_dst(&frame.bytes).unwrap_or_default();
                wire::set_eth_dst(&mut frame.bytes, cfg.host_mac);
                self.rewrote(cfg, frame, out, NatKind::Destination, before, cfg.host_mac);
            }
        }
        true
    }

    fn rewrote(
        &self,
        cfg: &VfpConfig,
        frame: &Frame,
        out: &mut Outbox,
        kind: NatKind,
        before: MacAddr,
        after: MacAddr,
    ) {
        out.hop(frame.probe, &frame.bytes, || HopAction::MacRewrite {
            layer: cfg.name.clone(),
            kind,
            before,
            after,
            rule: match kind {
                NatKind::Source => "egress: container MAC -> host MAC".into(),
                NatKind::Destination => "ingress: host MAC -> container MAC".into(),
            },
        });
    }
}
