//! The mechanisms a probe went through, read from its trace.
//!
//! A mechanism is a name for something the documented connectivity table talks about
//! ("bridged through the Hyper-V vSwitch", "routed through the management vNIC (bound to
//! WinNAT)", ...). Each one is recognised from a single hop: what the device did
//! ([`HopAction`]) and what kind of node the device is ([`NodeKind`]). Nothing here looks at
//! drivers or configuration; only at what the frames did.

use crate::device::{Hop, HopAction, NatKind};
use crate::id::NodeId;
use crate::topology::{NodeKind, Topology};
use crate::wire;
use std::fmt;

const ETHERTYPE_IPV4: u16 = 0x0800;

/// Something a probe's frames went through, with the name `hnsim matrix` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mechanism {
    /// `vswitch-bridged`: an IPv4 frame was switched inside a Hyper-V vSwitch.
    VswitchBridged,
    /// `host-routed`: routed by the container host (or its management vNIC).
    HostRouted,
    /// `winnat`: WinNAT translated it.
    Winnat,
    /// `vfp-nat`: a VFP NAT or OutboundNAT rule translated it.
    VfpNat,
    /// `mac-rewrite`: VFP rewrote a MAC address.
    MacRewrite,
    /// `vxlan`: it was encapsulated in (or decapsulated from) VXLAN.
    Vxlan,
    /// `fabric-routed`: a physical router routed it.
    FabricRouted,
    /// `published-port`: it came in through a published port (a static port mapping).
    PublishedPort,
    /// `second-endpoint`: it left through the Server 2016 second (`gateway_...`) endpoint.
    SecondEndpoint,
    /// `sdn-host-policy`: it was hair-pinned to the Azure host, where SDN policy applied.
    SdnHostPolicy,
    /// `vnet-gateway`: it went through the Azure virtual network gateway.
    VnetGateway,
}

impl Mechanism {
    pub const ALL: [Mechanism; 11] = [
        Mechanism::VswitchBridged,
        Mechanism::HostRouted,
        Mechanism::Winnat,
        Mechanism::VfpNat,
        Mechanism::MacRewrite,
        Mechanism::Vxlan,
        Mechanism::FabricRouted,
        Mechanism::PublishedPort,
        Mechanism::SecondEndpoint,
        Mechanism::SdnHostPolicy,
        Mechanism::VnetGateway,
    ];

    /// The name used in the output and in `expected.ron`.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::VswitchBridged => "vswitch-bridged",
            Mechanism::HostRouted => "host-routed",
            Mechanism::Winnat => "winnat",
            Mechanism::VfpNat => "vfp-nat",
            Mechanism::MacRewrite => "mac-rewrite",
            Mechanism::Vxlan => "vxlan",
            Mechanism::FabricRouted => "fabric-routed",
            Mechanism::PublishedPort => "published-port",
            Mechanism::SecondEndpoint => "second-endpoint",
            Mechanism::SdnHostPolicy => "sdn-host-policy",
            Mechanism::VnetGateway => "vnet-gateway",
        }
    }

    pub fn from_name(name: &str) -> Option<Mechanism> {
        Mechanism::ALL.into_iter().find(|m| m.name() == name)
    }

    /// One line for the legend under the text table.
    pub fn meaning(self) -> &'static str {
        match self {
            Mechanism::VswitchBridged => "the frame was switched inside a Hyper-V vSwitch",
            Mechanism::HostRouted => "routed by the container host or its management vNIC",
            Mechanism::Winnat => "WinNAT translated it",
            Mechanism::VfpNat => "a VFP NAT or OutboundNAT rule translated it",
            Mechanism::MacRewrite => "VFP rewrote a MAC address",
            Mechanism::Vxlan => "it was encapsulated in VXLAN",
            Mechanism::FabricRouted => "the physical router routed it",
            Mechanism::PublishedPort => "it went in through a published port",
            Mechanism::SecondEndpoint => "it left through the Server 2016 second endpoint on nat",
            Mechanism::SdnHostPolicy => "it was hair-pinned to the Azure host (SDN policy)",
            Mechanism::VnetGateway => "it went out through the Azure virtual network gateway",
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a hop's frame is IPv4 (looking through an 802.1Q tag). ARP-only hops do not
/// count as bridging a probe.
fn is_ipv4(hop: &Hop) -> bool {
    wire::ethertype(&hop.bytes) == Some(ETHERTYPE_IPV4)
}

/// The mechanisms one hop shows, in the order they happened (at most two: a destination NAT
/// by a static mapping is both `winnat` or `vfp-nat` and `published-port`).
pub fn of_hop(hop: &Hop, kind: Option<NodeKind>) -> Vec<Mechanism> {
    let mut out = Vec::new();
    match &hop.action {
        HopAction::Bridged { .. } | HopAction::Flooded { .. }
            if kind == Some(NodeKind::VSwitch) && is_ipv4(hop) =>
        {
            out.push(Mechanism::VswitchBridged)
        }
        HopAction::Routed { to_iface, .. } => {
            match kind {
                Some(NodeKind::WindowsHost) => out.push(Mechanism::HostRouted),
                Some(NodeKind::Router) => out.push(Mechanism::FabricRouted),
                Some(NodeKind::VnetGateway) => out.push(Mechanism::VnetGateway),
                Some(NodeKind::Container) if to_iface.contains("gateway_") => {
                    out.push(Mechanism::SecondEndpoint)
                }
                _ => {}
            };
        }
        HopAction::Sent { iface }
            if kind == Some(NodeKind::Container) && iface.contains("gateway_") =>
        {
            out.push(Mechanism::SecondEndpoint)
        }
        HopAction::Nat {
            table, kind, rule, ..
        } => {
            if table == "WinNAT" {
                out.push(Mechanism::Winnat);
            } else if table.starts_with("VFP") {
                out.push(Mechanism::VfpNat);
            }
            if *kind == NatKind::Destination && rule.starts_with("static mapping") {
                out.push(Mechanism::PublishedPort);
            }
        }
        HopAction::MacRewrite { .. } => out.push(Mechanism::MacRewrite),
        HopAction::Encap { .. } | HopAction::Decap { .. } => out.push(Mechanism::Vxlan),
        HopAction::Policy { .. } if kind == Some(NodeKind::HypervisorSwitch) => {
            out.push(Mechanism::SdnHostPolicy)
        }
        _ => {}
    }
    out
}

/// The mechanisms a list of hops shows, in the order they were first seen, each once.
/// `kind_of` tells the kind of the node a hop happened at.
pub fn classify(hops: &[Hop], kind_of: impl Fn(NodeId) -> Option<NodeKind>) -> Vec<Mechanism> {
    let mut seen = Vec::new();
    for h in hops {
        for m in of_hop(h, kind_of(h.node)) {
            if !seen.contains(&m) {
                seen.push(m);
            }
        }
    }
    seen
}

/// The mechanisms of a probe's hops, with node kinds from the world's topology.
pub fn seen(topology: &Topology, hops: &[Hop]) -> Vec<Mechanism> {
    classify(hops, |n| topology.node(n).map(|i| i.kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DropReason;
    use crate::id::ProbeId;
    use crate::time::SimTime;
    use crate::wire::MacAddr;
    use std::net::{Ipv4Addr, SocketAddrV4};

    // Nodes of the hand-built world: 0 container, 1 vSwitch, 2 host, 3 router, 4 external,
    // 5 Azure host switch, 6 vnet gateway, 7 fabric switch.
    fn kind(n: NodeId) -> Option<NodeKind> {
        [
            NodeKind::Container,
            NodeKind::VSwitch,
            NodeKind::WindowsHost,
            NodeKind::Router,
            NodeKind::External,
            NodeKind::HypervisorSwitch,
            NodeKind::VnetGateway,
            NodeKind::FabricSwitch,
        ]
        .get(n.0 as usize)
        .copied()
    }

    fn frame(ethertype: u16, vlan: Option<u16>) -> Vec<u8> {
        let mut f = vec![0xff; 12];
        if let Some(v) = vlan {
            f.extend_from_slice(&[0x81, 0x00]);
            f.extend_from_slice(&v.to_be_bytes());
        }
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(&[0u8; 46]);
        f
    }

    fn hop(node: u32, action: HopAction) -> Hop {
        hop_bytes(node, action, frame(ETHERTYPE_IPV4, None))
    }

    fn hop_bytes(node: u32, action: HopAction, bytes: Vec<u8>) -> Hop {
        Hop {
            probe: ProbeId(1),
            time: SimTime::ZERO,
            node: NodeId(node),
            action,
            bytes,
        }
    }

    fn bridged() -> HopAction {
        HopAction::Bridged {
            from_port: "a".into(),
            to_port: "b".into(),
        }
    }

    fn routed(to: &str) -> HopAction {
        HopAction::Routed {
            from_iface: "in".into(),
            to_iface: to.into(),
            next_hop: Ipv4Addr::new(10, 0, 0, 1),
        }
    }

    fn nat(table: &str, kind: NatKind, rule: &str) -> HopAction {
        HopAction::Nat {
            table: table.into(),
            kind,
            before: SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 11), 8080),
            after: SocketAddrV4::new(Ipv4Addr::new(172, 16, 0, 5), 80),
            rule: rule.into(),
        }
    }

    fn names(hops: &[Hop]) -> Vec<&'static str> {
        classify(hops, kind)
            .into_iter()
            .map(Mechanism::name)
            .collect()
    }

    #[test]
    fn names_round_trip() {
        for m in Mechanism::ALL {
            assert_eq!(Mechanism::from_name(m.name()), Some(m));
        }
        assert_eq!(Mechanism::from_name("vswitch"), None);
    }

    #[test]
    fn nat_to_external_in_order_and_once() {
        let hops = vec![
            hop(
                0,
                HopAction::Sent {
                    iface: "Ethernet".into(),
                },
            ),
            hop(1, bridged()),
            hop(2, routed("Ethernet")),
            hop(2, nat("WinNAT", NatKind::Source, "outbound")),
            hop(7, bridged()),
            hop(3, routed("wan")),
            hop(
                4,
                HopAction::Delivered {
                    to: "tcp/80".into(),
                },
            ),
            // The reply comes back through the same devices.
            hop(3, routed("lan")),
            hop(2, nat("WinNAT", NatKind::Destination, "session")),
            hop(2, routed("vEthernet (nat)")),
            hop(1, bridged()),
        ];
        assert_eq!(
            names(&hops),
            ["vswitch-bridged", "host-routed", "winnat", "fabric-routed"]
        );
    }

    #[test]
    fn arp_is_not_bridging_but_a_tagged_ipv4_frame_is() {
        let flood = HopAction::Flooded {
            from_port: "a".into(),
            ports: 3,
        };
        let arp = vec![hop_bytes(1, flood.clone(), frame(0x0806, None))];
        assert!(names(&arp).is_empty());
        let tagged_arp = vec![hop_bytes(1, flood.clone(), frame(0x0806, Some(7)))];
        assert!(names(&tagged_arp).is_empty());
        let tagged_ip = vec![hop_bytes(1, flood, frame(ETHERTYPE_IPV4, Some(7)))];
        assert_eq!(names(&tagged_ip), ["vswitch-bridged"]);
        // A physical switch is not a vSwitch, and a runt has no ethertype.
        assert!(names(&[hop(7, bridged())]).is_empty());
        assert!(names(&[hop_bytes(1, bridged(), vec![1, 2, 3])]).is_empty());
    }

    #[test]
    fn published_ports_need_a_static_mapping_in_the_destination_direction() {
        let hops = vec![hop(
            2,
            nat(
                "WinNAT",
                NatKind::Destination,
                "static mapping 8080/tcp -> x",
            ),
        )];
        assert_eq!(names(&hops), ["winnat", "published-port"]);
        let vfp = vec![hop(
            2,
            nat(
                "VFP (host1)",
                NatKind::Destination,
                "static mapping 60001/tcp",
            ),
        )];
        assert_eq!(names(&vfp), ["vfp-nat", "published-port"]);
        // The reply of a published-port session is a source NAT under the same rule.
        let reply = vec![hop(
            2,
            nat("WinNAT", NatKind::Source, "static mapping 8080/tcp -> x"),
        )];
        assert_eq!(names(&reply), ["winnat"]);
        assert!(names(&[hop(2, nat("Other", NatKind::Source, "x"))]).is_empty());
    }

    #[test]
    fn routing_is_named_by_the_router_kind() {
        let hops = vec![
            hop(2, routed("Ethernet")),
            hop(3, routed("wan")),
            hop(6, routed("internet")),
            hop(4, routed("eth0")),
        ];
        assert_eq!(
            names(&hops),
            ["host-routed", "fabric-routed", "vnet-gateway"]
        );
    }

    #[test]
    fn the_ws2016_second_endpoint() {
        let sent = vec![hop(
            0,
            HopAction::Sent {
                iface: "gateway_0123456789ab".into(),
            },
        )];
        assert_eq!(names(&sent), ["second-endpoint"]);
        let routed = vec![hop(0, routed("gateway_0123456789ab"))];
        assert_eq!(names(&routed), ["second-endpoint"]);
        // Only in a container, and only that interface.
        assert!(names(&[hop(
            2,
            HopAction::Sent {
                iface: "gateway_x".into()
            }
        )])
        .is_empty());
        assert!(names(&[hop(
            0,
            HopAction::Sent {
                iface: "Ethernet".into()
            }
        )])
        .is_empty());
    }

    #[test]
    fn vfp_rewrites_encapsulation_and_sdn_policy() {
        let mac = MacAddr::new(0, 0x15, 0x5d, 0, 0, 1);
        let hops = vec![
            hop(
                1,
                HopAction::MacRewrite {
                    layer: "VFP".into(),
                    kind: NatKind::Source,
                    before: mac,
                    after: mac,
                    rule: "r".into(),
                },
            ),
            hop(
                1,
                HopAction::Encap {
                    by: "VFP".into(),
                    vni: 4096,
                    outer_src: Ipv4Addr::new(10, 0, 0, 11),
                    outer_dst: Ipv4Addr::new(10, 0, 0, 12),
                },
            ),
            hop(
                1,
                HopAction::Decap {
                    by: "VFP".into(),
                    vni: 4096,
                    to: "c4".into(),
                },
            ),
            hop(
                5,
                HopAction::Policy {
                    layer: "SDN".into(),
                    rule: "NSG allow".into(),
                },
            ),
            // A VFP policy hop in the container host's own vSwitch is not the Azure host.
            hop(
                1,
                HopAction::Policy {
                    layer: "VFP".into(),
                    rule: "x".into(),
                },
            ),
        ];
        assert_eq!(names(&hops), ["mac-rewrite", "vxlan", "sdn-host-policy"]);
    }

    #[test]
    fn drops_and_deliveries_show_nothing() {
        let hops = vec![
            hop(2, HopAction::Dropped(DropReason::TtlExpired)),
            hop(0, HopAction::Delivered { to: "x".into() }),
            hop(
                0,
                HopAction::Allowed {
                    firewall: "fw".into(),
                    rule: "r".into(),
                },
            ),
            hop(
                0,
                HopAction::Arp {
                    iface: "e".into(),
                    detail: "d".into(),
                },
            ),
        ];
        assert!(names(&hops).is_empty());
        // Unknown nodes (a node removed since) show nothing either.
        assert!(names(&[hop(99, routed("x"))]).is_empty());
    }
}
