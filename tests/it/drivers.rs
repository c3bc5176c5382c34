//! Properties of the external-vSwitch drivers over random topologies and traffic:
//! l2bridge never shows a container MAC on a physical link, and every frame an overlay puts
//! between hosts is valid VXLAN with the network's VNI and the hosts' provider addresses.

use crate::common::world_of;
use proptest::prelude::*;
use sim_core::device::stack::probe::ProbeProto;
use sim_core::sim::World;
use sim_core::topology::NodeKind;
use sim_core::wire::{self, MacAddr};
use std::net::Ipv4Addr;

const CASES: u32 = 24;

/// `hosts` Windows hosts and an outside node on one physical switch, 192.168.1.0/24.
fn fabric(hosts: usize, seed: u64) -> String {
    let host_specs: String = (0..hosts)
        .map(|i| {
            format!(
                r#"(name: "h{i}", nics: [(name: "Ethernet", address: "192.168.1.{}/24")], gateway: Some("192.168.1.1")),"#,
                10 + i
            )
        })
        .collect();
    let links: String = (0..hosts)
        .map(|i| format!(r#"(a: "h{i}.Ethernet", b: "tor"),"#))
        .collect();
    format!(
        r#"ScenarioSpec(
    title: "random drivers",
    seed: {seed},
    fabric: (
        switches: [(name: "tor")],
        routers: [(name: "gw", interfaces: [(name: "lan", address: "192.168.1.1/24"), (name: "wan", address: "198.51.100.1/24")])],
        externals: [
            (name: "laptop", interfaces: [(name: "eth0", address: "192.168.1.200/24")], gateway: Some("192.168.1.1"), services: [Tcp(22), Udp(7)]),
            (name: "internet", interfaces: [(name: "eth0", address: "198.51.100.80/24")], gateway: Some("198.51.100.1"), services: [Tcp(443)]),
        ],
        hosts: [{host_specs}],
        links: [{links} (a: "laptop.eth0", b: "tor"), (a: "gw.lan", b: "tor"), (a: "gw.wan", b: "internet.eth0")],
    ),
    images: [(name: "img", services: [Tcp(80), Udp(53)])],
)
"#
    )
}

fn proto(p: u8) -> ProbeProto {
    match p % 3 {
        0 => ProbeProto::Icmp,
        1 => ProbeProto::Tcp(80),
        _ => ProbeProto::Udp(53),
    }
}

/// Every traced frame seen at the physical switch `tor`.
fn frames_at_tor(world: &World) -> Vec<Vec<u8>> {
    let tor = world.fabric["tor"];
    world
        .engine
        .trace()
        .iter()
        .filter(|h| h.node == tor)
        .map(|h| h.bytes.clone())
        .collect()
}

fn container_macs(world: &World) -> Vec<MacAddr> {
    world
        .hosts
        .iter()
        .flat_map(|h| {
            h.hns()
                .expect("a Windows host")
                .endpoints
                .iter()
                .map(|e| e.mac)
        })
        .collect()
}

/// The MACs of the host endpoints (`HostEndpoint`) on external networks: VFP rewrites them too.
fn host_endpoint_macs(world: &World) -> Vec<MacAddr> {
    world
        .hosts
        .iter()
        .flat_map(|h| {
            let stack = world
                .engine
                .device(h.nodes.stack)
                .and_then(|d| d.as_stack())
                .expect("a host stack");
            h.hns()
                .expect("a Windows host")
                .networks
                .iter()
                .filter(|n| n.host_endpoint_port.is_some())
                .filter_map(|n| n.host_vnic.and_then(|p| stack.iface(p)).map(|i| i.mac))
                .collect::<Vec<_>>()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn l2bridge_never_shows_a_container_mac_on_a_physical_link(
        seed in 0u64..10_000,
        hosts in 1usize..4,
        per_host in 1usize..4,
        outbound_nat in any::<bool>(),
        host_endpoints in any::<bool>(),
        traffic in prop::collection::vec((0usize..12, 0usize..13, any::<u8>()), 1..8),
    ) {
        let mut world = world_of(&fabric(hosts, seed));
        let opt = if outbound_nat { " -o com.docker.network.windowsshim.enable_outboundnat=true" } else { "" };
        let mut names = Vec::new();
        for h in 0..hosts {
            let r = world.docker(&format!("h{h}"), &format!("docker network create -d l2bridge --subnet 192.168.1.0/24 --gateway 192.168.1.1{opt} br"));
            prop_assert!(r.error.is_none(), "{:?}", r.error);
            for c in 0..per_host {
                let name = format!("c{h}x{c}");
                let ip = format!("192.168.1.{}", 100 + h * 10 + c);
                let r = world.docker(&format!("h{h}"), &format!("docker run -d --name {name} --network br --ip {ip} img"));
                prop_assert!(r.error.is_none(), "{:?}", r.error);
                names.push((name, ip));
            }
        }
        // Optionally a host endpoint per host (the second set-up's gateway, here in the LAN).
        let mut targets: Vec<String> = names.iter().map(|(_, ip)| ip.clone()).collect();
        if host_endpoints {
            for h in 0..hosts {
                let ip = Ipv4Addr::new(192, 168, 1, 150 + h as u8);
                let r = world.host_endpoint(&format!("h{h}"), "br", Some(ip));
                prop_assert!(r.is_ok(), "{:?}", r);
                targets.push(ip.to_string());
            }
        }
        targets.push("laptop".to_string());
        targets.push("internet".to_string());
        for (from, to, p) in traffic {
            let (src, _) = &names[from % names.len()];
            let dst = targets[to % targets.len()].clone();
            world.probe(src, &dst, proto(p)).expect("probe runs");
        }
        // Inbound too: the outside reaches a container by its own address.
        let (_, ip) = &names[0];
        world.probe("laptop", ip, ProbeProto::Tcp(80)).expect("probe runs");

        let mut macs = container_macs(&world);
        macs.extend(host_endpoint_macs(&world));
        for bytes in frames_at_tor(&world) {
            let src = wire::eth_src(&bytes).expect("an Ethernet frame");
            prop_assert!(!macs.contains(&src), "container MAC {src} on the wire: {:?}", wire::parse(&bytes));
            if let Some(arp) = wire::arp_info(&bytes) {
                prop_assert!(!macs.contains(&arp.sender_mac), "container MAC {} in an ARP body on the wire", arp.sender_mac);
            }
        }
        let tor = world.engine.device(world.fabric["tor"]).and_then(|d| d.as_switch()).expect("tor is a switch");
        for mac in macs {
            prop_assert!(tor.lookup(1, mac).is_none(), "the physical switch learned container MAC {mac}");
        }
    }

    #[test]
    fn overlay_frames_between_hosts_are_valid_vxlan(
        seed in 0u64..10_000,
        hosts in 2usize..4,
        per_host in 1usize..3,
        traffic in prop::collection::vec((0usize..9, 0usize..9, any::<u8>()), 1..8),
    ) {
        let mut world = world_of(&fabric(hosts, seed));
        let r = world.docker("h0", "docker swarm init");
        prop_assert!(r.error.is_none(), "{:?}", r.error);
        for h in 1..hosts {
            let r = world.docker(&format!("h{h}"), "docker swarm join --token SWMTKN-1-test 192.168.1.10:2377");
            prop_assert!(r.error.is_none(), "{:?}", r.error);
        }
        // Two subnets, one VNI each: 10.244.0.0/24 is 4242, 10.244.1.0/24 is 4243.
        let r = world.docker("h0", "docker network create -d overlay --attachable --subnet 10.244.0.0/24 --subnet 10.244.1.0/24 -o com.docker.network.driver.overlay.vxlanid_list=4242,4243 ov");
        prop_assert!(r.error.is_none(), "{:?}", r.error);
        let mut names = Vec::new();
        for h in 0..hosts {
            for c in 0..per_host {
                let name = format!("c{h}x{c}");
                let ip = format!("10.244.{}.{}", (h + c) % 2, 100 + h * 10 + c);
                let r = world.docker(&format!("h{h}"), &format!("docker run -d --name {name} --network ov --ip {ip} img"));
                prop_assert!(r.error.is_none(), "{:?}", r.error);
                names.push(name);
            }
        }
        for (from, to, p) in traffic {
            let src = &names[from % names.len()];
            let dst = &names[to % names.len()];
            world.probe(src, dst, proto(p)).expect("probe runs");
        }
        let pas: Vec<Ipv4Addr> = (0..hosts).map(|i| Ipv4Addr::new(192, 168, 1, 10 + i as u8)).collect();
        let in_overlay = |ip: Ipv4Addr| ip.octets()[..2] == [10, 244];
        for bytes in frames_at_tor(&world) {
            let Some(ip) = wire::ipv4_info(&bytes) else { continue };
            // Anything between hosts that carries container addresses must be tunnelled.
            prop_assert!(!in_overlay(ip.src) && !in_overlay(ip.dst), "a container address on the wire unencapsulated: {:?}", wire::parse(&bytes));
            let Some((vni, inner)) = wire::vxlan_decap(&bytes) else { continue };
            prop_assert!(wire::parse(&bytes).is_ok(), "outer frame does not parse: {:?}", wire::parse(&bytes));
            prop_assert!(vni == 4242 || vni == 4243, "VNI {}", vni);
            prop_assert!(pas.contains(&ip.src) && pas.contains(&ip.dst) && ip.src != ip.dst, "outer {} -> {}", ip.src, ip.dst);
            prop_assert_eq!(bytes.len() - inner.len(), wire::VXLAN_OVERHEAD);
            let inner_ip = wire::ipv4_info(inner);
            if let Some(i) = inner_ip {
                prop_assert!(in_overlay(i.src) && in_overlay(i.dst));
                // The VNI is that of the destination's subnet (the packet was routed there).
                prop_assert_eq!(vni, 4242 + u32::from(i.dst.octets()[2]));
            }
            prop_assert!(wire::parse(inner).is_ok(), "inner frame does not parse");
        }
    }
}

#[test]
fn overlay_vxlan_crosses_the_physical_switch() {
    // A plain check that the property above is not vacuous: a cross-host probe does put
    // VXLAN on the wire.
    let mut world = world_of(&fabric(2, 1));
    world.docker("h0", "docker swarm init");
    world.docker(
        "h1",
        "docker swarm join --token SWMTKN-1-x 192.168.1.10:2377",
    );
    world.docker(
        "h0",
        "docker network create -d overlay --attachable --subnet 10.244.0.0/24 ov",
    );
    world.docker("h0", "docker run -d --name a --network ov img");
    world.docker("h1", "docker run -d --name b --network ov img");
    let r = world
        .probe("a", "b", ProbeProto::Tcp(80))
        .expect("probe runs");
    assert_eq!(r.outcome, sim_core::device::Outcome::Delivered);
    let vxlan = frames_at_tor(&world)
        .iter()
        .filter_map(|b| wire::vxlan_decap(b).map(|(vni, _)| vni))
        .collect::<Vec<_>>();
    assert!(!vxlan.is_empty());
    // The first VNI went to the swarm's ingress network; this one is the next.
    assert!(vxlan
        .iter()
        .all(|v| *v == sim_core::docker::swarm::FIRST_VNI + 1));
    let kinds: Vec<NodeKind> = r
        .hops
        .iter()
        .filter_map(|h| world.engine.topology().node(h.node).map(|n| n.kind))
        .collect();
    assert!(kinds.contains(&NodeKind::FabricSwitch));
}

/// A SET team bound while one of its cables is already down serves every container by the
/// member that is up (the vSwitch learns the cable's state when it takes it over).
#[test]
fn a_team_bound_with_a_dead_cable_uses_the_live_member() {
    let mut world = world_of(
        r#"ScenarioSpec(
    title: "team with a dead cable",
    seed: 11,
    fabric: (
        switches: [(name: "tor")],
        externals: [(name: "nas", interfaces: [(name: "eth0", address: "192.168.1.60/24")], services: [Tcp(22)])],
        hosts: [(name: "win1", nics: [(name: "Ethernet", address: "192.168.1.21/24"), (name: "Ethernet 2", address: "192.168.1.31/24")])],
        links: [
            (a: "win1.Ethernet", b: "tor", name: Some("cable1")),
            (a: "win1.Ethernet 2", b: "tor", name: Some("cable2")),
            (a: "nas.eth0", b: "tor"),
        ],
    ),
    images: [(name: "img", services: [Tcp(80)])],
)"#,
    );
    world.set_link("cable2", false).expect("cable2 exists");
    let r = world.docker("win1", "docker network create -d transparent --subnet 192.168.1.0/24 --gateway 192.168.1.1 -o com.docker.network.windowsshim.interface=\"Ethernet,Ethernet 2\" teamed");
    assert!(r.error.is_none(), "{:?}", r.error);
    for (name, ip) in [("web1", "192.168.1.101"), ("web2", "192.168.1.102")] {
        let r = world.docker(
            "win1",
            &format!("docker run -d --name {name} --network teamed --ip {ip} img"),
        );
        assert!(r.error.is_none(), "{:?}", r.error);
        let out = world
            .probe(name, "192.168.1.60", ProbeProto::Tcp(22))
            .expect("probe runs");
        assert_eq!(out.outcome, sim_core::device::Outcome::Delivered, "{name}");
    }
}
