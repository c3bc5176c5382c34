//! The mechanisms a probe went through, read from its trace.
//!
//! A mechanism is a name for something the documented connectivity table talks about
//! ("bridged through the Hyper-V vSwitch", "routed through the management vNIC (bound to
//! WinNAT)", "L2 through the Linux bridge", "MASQUERADE to the host's egress IP", ...). Each one is recognised from a single hop: what the device did
//! ([`Action`], typed: never its display text), what kind of node the device is
//! ([`NodeKind`]), and the labels a control plane put on the table or interface involved.
//! Nothing here looks at drivers or configuration; only at what the frames did.

use crate::control::hns::policy;
use crate::device::action::NatTarget;
use crate::device::{Action, Hop, NatKind};
use crate::id::NodeId;
use crate::sym::{Interner, Sym};
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
    /// `linux-bridge`: an IPv4 frame was switched by a Linux bridge (`docker0`, `br-…`)
    /// inside a Linux host.
    LinuxBridge,
    /// `masquerade`: a Linux host's iptables MASQUERADE rewrote its source.
    Masquerade,
    /// `host-namespace`: it was sent from a Linux host's own network namespace (a
    /// `--network host` container, or the host itself).
    HostNamespace,
}

impl Mechanism {
    pub const ALL: [Mechanism; 14] = [
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
        Mechanism::LinuxBridge,
        Mechanism::Masquerade,
        Mechanism::HostNamespace,
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
            Mechanism::LinuxBridge => "linux-bridge",
            Mechanism::Masquerade => "masquerade",
            Mechanism::HostNamespace => "host-namespace",
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
            Mechanism::LinuxBridge => "the frame was switched by a Linux bridge in the host",
            Mechanism::Masquerade => "the host's iptables MASQUERADE rewrote its source",
            Mechanism::HostNamespace => "it was sent from the host's own network namespace",
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
/// by a static mapping is both `winnat` or `vfp-nat` and `published-port`). Labels the
/// control plane put on tables and interfaces (`control::hns::policy::TAG_*`) are looked up in
/// `syms`.
pub fn of_hop(hop: &Hop, kind: Option<NodeKind>, syms: &Interner) -> Vec<Mechanism> {
    let tagged = |tag: &Option<Sym>, want: &str| tag.is_some_and(|t| syms.get(t) == want);
    let mut out = Vec::new();
    match &hop.action {
        Action::Bridged { .. } | Action::Flooded { .. }
            if kind == Some(NodeKind::VSwitch) && is_ipv4(hop) =>
        {
            out.push(Mechanism::VswitchBridged)
        }
        Action::Bridged { .. } | Action::Flooded { .. }
            if kind == Some(NodeKind::LinuxHost) && is_ipv4(hop) =>
        {
            out.push(Mechanism::LinuxBridge)
        }
        Action::Sent { .. } if kind == Some(NodeKind::LinuxHost) && is_ipv4(hop) => {
            out.push(Mechanism::HostNamespace)
        }
        Action::Routed { tag, .. } => {
            match kind {
                Some(NodeKind::WindowsHost | NodeKind::LinuxHost) => {
                    out.push(Mechanism::HostRouted)
                }
                Some(NodeKind::Router) => out.push(Mechanism::FabricRouted),
                Some(NodeKind::VnetGateway) => out.push(Mechanism::VnetGateway),
                Some(NodeKind::Container) if tagged(tag, policy::TAG_SECOND_ENDPOINT) => {
                    out.push(Mechanism::SecondEndpoint)
                }
                _ => {}
            };
        }
        Action::Sent { tag, .. }
            if kind == Some(NodeKind::Container) && tagged(tag, policy::TAG_SECOND_ENDPOINT) =>
        {
            out.push(Mechanism::SecondEndpoint)
        }
        Action::Nat {
            tag,
            kind: nat_kind,
            how,
            ..
        } => {
            if tagged(tag, policy::TAG_WINNAT) {
                out.push(Mechanism::Winnat);
            } else if tagged(tag, policy::TAG_VFP_NAT) {
                out.push(Mechanism::VfpNat);
            } else if kind == Some(NodeKind::LinuxHost)
                && *nat_kind == NatKind::Source
                && how.target == NatTarget::Masquerade
            {
                out.push(Mechanism::Masquerade);
            }
            if *nat_kind == NatKind::Destination && how.target == NatTarget::Dnat {
                out.push(Mechanism::PublishedPort);
            }
        }
        Action::MacRewrite { .. } => out.push(Mechanism::MacRewrite),
        Action::Encap { .. } | Action::Decap { .. } => out.push(Mechanism::Vxlan),
        Action::Policy { .. } if kind == Some(NodeKind::HypervisorSwitch) => {
            out.push(Mechanism::SdnHostPolicy)
        }
        _ => {}
    }
    out
}

/// The mechanisms a list of hops shows, in the order they were first seen, each once.
/// `kind_of` tells the kind of the node a hop happened at.
pub fn classify(
    hops: &[Hop],
    syms: &Interner,
    kind_of: impl Fn(NodeId) -> Option<NodeKind>,
) -> Vec<Mechanism> {
    let mut seen = Vec::new();
    for h in hops {
        for m in of_hop(h, kind_of(h.node), syms) {
            if !seen.contains(&m) {
                seen.push(m);
            }
        }
    }
    seen
}

/// The mechanisms of a probe's hops, with node kinds from the world's topology.
pub fn seen(topology: &Topology, syms: &Interner, hops: &[Hop]) -> Vec<Mechanism> {
    classify(hops, syms, |n| topology.node(n).map(|i| i.kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::action::{Delivery, DropReason, NatHow};
    use crate::device::rules::CtDir;
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

    /// A world of hops with the names they use.
    #[derive(Default)]
    struct W {
        syms: Interner,
        hops: Vec<Hop>,
    }

    impl W {
        fn hop(&mut self, node: u32, action: Action) -> &mut Self {
            self.hop_bytes(node, action, frame(ETHERTYPE_IPV4, None))
        }
        fn hop_bytes(&mut self, node: u32, action: Action, bytes: Vec<u8>) -> &mut Self {
            self.hops.push(Hop {
                probe: ProbeId(1),
                time: SimTime::ZERO,
                node: NodeId(node),
                action,
                bytes,
            });
            self
        }
        fn sym(&mut self, s: &str) -> Sym {
            self.syms.intern(s)
        }
        fn bridged(&mut self) -> Action {
            Action::Bridged {
                from_port: self.sym("a"),
                to_port: self.sym("b"),
            }
        }
        fn routed(&mut self, tag: Option<&str>) -> Action {
            Action::Routed {
                from_iface: self.sym("in"),
                to_iface: self.sym("out"),
                next_hop: Ipv4Addr::new(10, 0, 0, 1),
                tag: tag.map(|t| self.sym(t)),
            }
        }
        fn sent(&mut self, tag: Option<&str>) -> Action {
            Action::Sent {
                iface: self.sym("e"),
                tag: tag.map(|t| self.sym(t)),
            }
        }
        fn nat(&mut self, tag: &str, kind: NatKind, target: NatTarget) -> Action {
            Action::Nat {
                table: self.sym("t"),
                tag: Some(self.sym(tag)),
                kind,
                before: SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 11), 8080),
                after: SocketAddrV4::new(Ipv4Addr::new(172, 16, 0, 5), 80),
                rule: self.sym("r"),
                how: NatHow {
                    target,
                    dir: CtDir::Original,
                    first: true,
                },
            }
        }
        fn names(&self) -> Vec<&'static str> {
            classify(&self.hops, &self.syms, kind)
                .into_iter()
                .map(Mechanism::name)
                .collect()
        }
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
        let mut w = W::default();
        let (sent, b, r) = (w.sent(None), w.bridged(), w.routed(None));
        let snat = w.nat(policy::TAG_WINNAT, NatKind::Source, NatTarget::Masquerade);
        let desnat = w.nat(
            policy::TAG_WINNAT,
            NatKind::Destination,
            NatTarget::Masquerade,
        );
        w.hop(0, sent)
            .hop(1, b.clone())
            .hop(2, r.clone())
            .hop(2, snat)
            .hop(7, b.clone())
            .hop(3, r.clone())
            .hop(4, Action::Delivered(Delivery::TcpListener { port: 80 }))
            // The reply comes back through the same devices; its de-NAT is no published port.
            .hop(3, r.clone())
            .hop(2, desnat)
            .hop(2, r)
            .hop(1, b);
        assert_eq!(
            w.names(),
            ["vswitch-bridged", "host-routed", "winnat", "fabric-routed"]
        );
    }

    #[test]
    fn arp_is_not_bridging_but_a_tagged_ipv4_frame_is() {
        let mut w = W::default();
        let flood = Action::Flooded {
            from_port: w.sym("a"),
            ports: 3,
        };
        w.hop_bytes(1, flood.clone(), frame(0x0806, None));
        assert!(w.names().is_empty());
        w.hop_bytes(1, flood.clone(), frame(0x0806, Some(7)));
        assert!(w.names().is_empty());
        w.hop_bytes(1, flood, frame(ETHERTYPE_IPV4, Some(7)));
        assert_eq!(w.names(), ["vswitch-bridged"]);
        // A physical switch is not a vSwitch, and a runt has no ethertype.
        let mut w = W::default();
        let b = w.bridged();
        w.hop(7, b.clone()).hop_bytes(1, b, vec![1, 2, 3]);
        assert!(w.names().is_empty());
    }

    #[test]
    fn published_ports_are_destination_nat_bound_by_a_dnat_rule() {
        let mut w = W::default();
        let a = w.nat(policy::TAG_WINNAT, NatKind::Destination, NatTarget::Dnat);
        w.hop(2, a);
        assert_eq!(w.names(), ["winnat", "published-port"]);
        let mut w = W::default();
        let a = w.nat(policy::TAG_VFP_NAT, NatKind::Destination, NatTarget::Dnat);
        w.hop(2, a);
        assert_eq!(w.names(), ["vfp-nat", "published-port"]);
        // The answer of a published-port connection is a source NAT under the same rule.
        let mut w = W::default();
        let a = w.nat(policy::TAG_WINNAT, NatKind::Source, NatTarget::Dnat);
        w.hop(2, a);
        assert_eq!(w.names(), ["winnat"]);
        let mut w = W::default();
        let a = w.nat("other", NatKind::Source, NatTarget::Snat);
        w.hop(2, a);
        assert!(w.names().is_empty());
    }

    #[test]
    fn routing_is_named_by_the_router_kind() {
        let mut w = W::default();
        let r = w.routed(None);
        w.hop(2, r.clone())
            .hop(3, r.clone())
            .hop(6, r.clone())
            .hop(4, r);
        assert_eq!(w.names(), ["host-routed", "fabric-routed", "vnet-gateway"]);
    }

    #[test]
    fn the_ws2016_second_endpoint_is_a_labelled_interface() {
        let mut w = W::default();
        let s = w.sent(Some(policy::TAG_SECOND_ENDPOINT));
        w.hop(0, s);
        assert_eq!(w.names(), ["second-endpoint"]);
        let mut w = W::default();
        let r = w.routed(Some(policy::TAG_SECOND_ENDPOINT));
        w.hop(0, r);
        assert_eq!(w.names(), ["second-endpoint"]);
        // Only in a container, and only that interface.
        let mut w = W::default();
        let (a, b) = (w.sent(Some(policy::TAG_SECOND_ENDPOINT)), w.sent(None));
        w.hop(2, a).hop(0, b);
        assert!(w.names().is_empty());
    }

    #[test]
    fn rewrites_encapsulation_and_sdn_policy() {
        let mac = MacAddr::new(0, 0x15, 0x5d, 0, 0, 1);
        let mut w = W::default();
        let (l, r) = (w.sym("VFP"), w.sym("rule"));
        w.hop(
            1,
            Action::MacRewrite {
                layer: l,
                kind: NatKind::Source,
                before: mac,
                after: mac,
            },
        )
        .hop(
            1,
            Action::Encap {
                by: l,
                vni: 4096,
                outer_src: Ipv4Addr::new(10, 0, 0, 11),
                outer_dst: Ipv4Addr::new(10, 0, 0, 12),
            },
        )
        .hop(
            1,
            Action::Decap {
                by: l,
                vni: 4096,
                to: r,
            },
        )
        .hop(5, Action::Policy { layer: l, rule: r })
        // A policy hop in the container host's own vSwitch is not the Azure host.
        .hop(1, Action::Policy { layer: l, rule: r });
        assert_eq!(w.names(), ["mac-rewrite", "vxlan", "sdn-host-policy"]);
    }

    #[test]
    fn drops_and_deliveries_show_nothing() {
        let mut w = W::default();
        let (t, r) = (w.sym("fw"), w.sym("r"));
        let routed = w.routed(None);
        w.hop(2, Action::Dropped(DropReason::TtlExpired))
            .hop(0, Action::Delivered(Delivery::IcmpEcho))
            .hop(0, Action::Allowed { table: t, rule: r });
        assert!(w.names().is_empty());
        // Unknown nodes (a node removed since) show nothing either.
        w.hop(99, routed);
        assert!(w.names().is_empty());
    }
}
