//! The data plane as a Windows host shows it (issue 9): a replaced container announces its
//! address and is reached again, what a vSwitch will not send back out of its uplink is a
//! drop with a reason, overlay containers have a 1450-byte MTU and a full-size ping crosses
//! hosts in fragments, and a container whose DHCP gets no answer takes a link-local address.

use crate::common::world_of;
use sim_core::device::stack::probe::{ProbeProto, ProbeTarget};
use sim_core::device::{Device, Outcome};
use sim_core::id::PortId;
use sim_core::sim::World;
use sim_core::time::SimDuration;
use sim_core::wire::{self, MacAddr};
use std::net::Ipv4Addr;

/// One Windows Server 2022 host with a transparent network on the LAN of `laptop`.
fn lan() -> World {
    let mut world = world_of(
        r#"ScenarioSpec(
    title: "transparent on a LAN",
    seed: 3,
    fabric: (
        switches: [(name: "tor")],
        externals: [(name: "laptop", interfaces: [(name: "eth0", address: "192.168.1.50/24")])],
        hosts: [(name: "win1", nics: [(name: "Ethernet", address: "192.168.1.21/24")])],
        links: [(a: "win1.Ethernet", b: "tor"), (a: "laptop.eth0", b: "tor")],
    ),
    images: [(name: "img", services: [Tcp(80)])],
)"#,
    );
    let r = world.docker(
        "win1",
        "docker network create -d transparent --subnet 192.168.1.0/24 --gateway 192.168.1.1 lan",
    );
    assert!(r.error.is_none(), "{:?}", r.error);
    world
}

fn run(world: &mut World, name: &str) {
    let r = world.docker(
        "win1",
        &format!("docker run -d --name {name} --network lan --ip 192.168.1.100 img"),
    );
    assert!(r.error.is_none(), "{:?}", r.error);
}

/// The MAC of the first interface of container `name`.
fn mac_of(world: &World, name: &str) -> MacAddr {
    let node = world.resolve_source(name).expect("running");
    world
        .engine
        .device(node)
        .and_then(Device::as_stack)
        .and_then(|s| s.iface(PortId(0)))
        .map(|i| i.mac)
        .expect("an interface")
}

#[test]
fn a_container_replaced_with_the_same_address_is_reached_again() {
    let mut world = lan();
    run(&mut world, "v1");
    let first = world
        .probe("laptop", "192.168.1.100", ProbeProto::Tcp(80))
        .expect("probe runs");
    assert_eq!(first.outcome, Outcome::Delivered);
    let old = mac_of(&world, "v1");
    world.docker("win1", "docker rm -f v1");
    run(&mut world, "v2");
    assert_ne!(
        mac_of(&world, "v2"),
        old,
        "HNS gives the new endpoint a new MAC"
    );
    // `docker run` takes seconds on Windows; by then the container's announcement is out.
    world.wait(SimDuration::from_millis(100));
    let again = world
        .probe("laptop", "192.168.1.100", ProbeProto::Tcp(80))
        .expect("probe runs");
    assert_eq!(again.outcome, Outcome::Delivered, "{:?}", again.drop);
}

#[test]
fn a_frame_the_vswitch_would_send_back_out_of_its_uplink_is_dropped_with_a_reason() {
    let mut world = lan();
    run(&mut world, "v1");
    let first = world
        .probe("laptop", "192.168.1.100", ProbeProto::Tcp(80))
        .expect("probe runs");
    assert_eq!(first.outcome, Outcome::Delivered);
    let old = mac_of(&world, "v1");
    world.docker("win1", "docker rm -f v1");
    run(&mut world, "v2");
    // Right away the laptop still has v1's MAC: the external vSwitch knows no port for it
    // and would send it to its uplink, where it came from. That is a drop, and it says so.
    let r = world
        .probe("laptop", "192.168.1.100", ProbeProto::Tcp(80))
        .expect("probe runs");
    assert_eq!(r.outcome, Outcome::Dropped);
    let (node, why) = r.drop.expect("the drop is recorded");
    assert_eq!(node, "win1/vSwitch(Ethernet)");
    assert!(why.contains(&old.to_string()), "{why}");
    assert!(why.contains("never back out of its ingress port"), "{why}");
    // v2's gratuitous ARP reached the laptop meanwhile: the next try works.
    let next = world
        .probe("laptop", "192.168.1.100", ProbeProto::Tcp(80))
        .expect("probe runs");
    assert_eq!(next.outcome, Outcome::Delivered);
}

/// A two-host swarm (Windows Server 2022) with an overlay network: a on h0, c on h1.
fn overlay() -> World {
    let mut world = world_of(
        r#"ScenarioSpec(
    title: "overlay",
    seed: 11,
    fabric: (
        switches: [(name: "tor")],
        hosts: [
            (name: "h0", nics: [(name: "Ethernet", address: "192.168.1.10/24")]),
            (name: "h1", nics: [(name: "Ethernet", address: "192.168.1.11/24")]),
        ],
        links: [(a: "h0.Ethernet", b: "tor"), (a: "h1.Ethernet", b: "tor")],
    ),
    images: [(name: "img", services: [Tcp(80)])],
)"#,
    );
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
    world.docker("h1", "docker run -d --name c --network ov img");
    world
}

fn ping(world: &mut World, from: (&str, &str), to: &str, size: u16) -> sim_core::sim::ProbeResult {
    world
        .exec_probe(
            from.0,
            from.1,
            ProbeTarget::Name(to.into()),
            ProbeProto::icmp_payload(size),
        )
        .expect("probe runs")
}

#[test]
fn a_full_size_ping_crosses_hosts_on_an_overlay_in_fragments() {
    let mut world = overlay();
    let c = world.resolve_source("c").expect("c runs");
    let mtu = world
        .engine
        .device(c)
        .and_then(Device::as_stack)
        .and_then(|s| s.iface(PortId(0)))
        .map(|i| i.mtu);
    assert_eq!(
        mtu,
        Some(1450),
        "HNS lowers an overlay endpoint's MTU (reference 3.3)"
    );
    let r = ping(&mut world, ("h1", "c"), "a", 1472);
    assert_eq!(r.outcome, Outcome::Delivered, "{:?}", r.drop);
    // Between the hosts: VXLAN packets that fit 1500, each carrying one real fragment.
    let at_tor: Vec<&[u8]> = r
        .hops
        .iter()
        .zip(&r.hop_nodes)
        .filter(|(h, n)| n.as_str() == "tor" && wire::vxlan_decap(&h.bytes).is_some())
        .map(|(h, _)| h.bytes.as_slice())
        .collect();
    assert_eq!(at_tor.len(), 4, "two fragments each way");
    for outer in at_tor {
        assert!(outer.len() - 14 <= 1500);
        let (_, inner) = wire::vxlan_decap(outer).expect("VXLAN");
        let f = wire::fragment_info(inner).expect("a fragment");
        assert_eq!(f.more, f.offset == 0, "first piece MF, last piece not");
        assert!(wire::parse(inner).is_ok(), "valid header checksum");
    }
}

#[test]
fn a_vnic_left_at_1500_loses_the_full_size_ping_at_the_tunnel_endpoint() {
    let mut world = overlay();
    let c = world.resolve_source("c").expect("c runs");
    world
        .engine
        .device_mut(c)
        .and_then(Device::as_stack_mut)
        .and_then(|s| s.iface_mut(PortId(0)))
        .expect("c's vNIC")
        .mtu = 1500;
    let r = ping(&mut world, ("h1", "c"), "a", 1472);
    assert_eq!(r.outcome, Outcome::Dropped);
    let (node, why) = r.drop.expect("dropped with a reason");
    assert_eq!(node, "h1");
    assert!(why.contains("VXLAN adds 50 bytes"), "{why}");
}

#[test]
fn a_container_without_a_dhcp_answer_takes_a_link_local_address() {
    let mut world = world_of(
        r#"ScenarioSpec(
    title: "no DHCP server",
    seed: 3,
    fabric: (
        switches: [(name: "tor")],
        hosts: [(name: "win1", nics: [(name: "Ethernet", address: "192.168.1.21/24")])],
        links: [(a: "win1.Ethernet", b: "tor")],
    ),
    images: [(name: "img", services: [Tcp(80)])],
)"#,
    );
    world.docker("win1", "docker network create -d transparent lan_dhcp");
    let r = world.docker("win1", "docker run -d --name c --network lan_dhcp img");
    assert!(r.error.is_none(), "{:?}", r.error);
    // Four DISCOVERs, 1 + 2 + 4 + 8 s apart, go unanswered.
    world.wait(SimDuration::from_secs(20));
    let node = world.resolve_source("c").expect("c runs");
    let addr: Option<Ipv4Addr> = world
        .engine
        .device(node)
        .and_then(Device::as_stack)
        .and_then(|s| s.primary_addr());
    let addr = addr.expect("Windows autoconfigures an address (APIPA)");
    let o = addr.octets();
    assert!(
        o[0] == 169 && o[1] == 254 && (1..=254).contains(&o[2]),
        "{addr} is in RFC 3927's range"
    );
    // `run --config` says where the address came from.
    let dump = sim_core::sim::config_dump::dump(&world);
    let line = dump
        .lines()
        .find(|l| l.contains(&format!("{addr}/16")))
        .expect("the container's interface is listed");
    assert!(line.contains("link-local: no DHCP lease"), "{line}");
}

#[test]
fn a_neighbour_that_changed_its_mac_silently_is_found_again_once_the_entry_ages() {
    // Two Linux boxes (which do not announce): the server's NIC is swapped between probes.
    let mut world = world_of(
        r#"ScenarioSpec(
    title: "a NIC swapped",
    seed: 3,
    fabric: (
        switches: [(name: "tor")],
        externals: [
            (name: "laptop", interfaces: [(name: "eth0", address: "192.168.1.50/24")]),
            (name: "server", interfaces: [(name: "eth0", address: "192.168.1.60/24")], services: [Tcp(22)]),
        ],
        links: [(a: "laptop.eth0", b: "tor"), (a: "server.eth0", b: "tor")],
    ),
)"#,
    );
    let ssh = |w: &mut World| {
        w.probe("laptop", "192.168.1.60", ProbeProto::Tcp(22))
            .expect("probe runs")
            .outcome
    };
    assert_eq!(ssh(&mut world), Outcome::Delivered);
    // The server's NIC goes, and a new one with another MAC takes the address.
    let server = world.fabric["server"];
    world
        .engine
        .device_mut(server)
        .and_then(Device::as_stack_mut)
        .and_then(|s| s.iface_mut(PortId(0)))
        .expect("eth0")
        .mac = MacAddr(0x02, 0, 0, 0, 0x99, 0x99);
    // The laptop's entry is still reachable: its SYN goes to the old MAC.
    assert_eq!(ssh(&mut world), Outcome::Dropped);
    // 30 s (Linux's base_reachable_time) after the answer it is stale: still used...
    world.wait(SimDuration::from_secs(30));
    let r = world
        .probe("laptop", "192.168.1.60", ProbeProto::Tcp(22))
        .expect("probe runs");
    assert_eq!(r.outcome, Outcome::Dropped);
    assert!(r.hops.iter().any(|h| h
        .action
        .show(world.engine.syms())
        .to_string()
        .contains("is stale")));
    // ...and checked when used again after the 5 s delay: three unanswered unicast
    // requests, and the entry goes.
    world.wait(SimDuration::from_secs(6));
    assert_eq!(ssh(&mut world), Outcome::Dropped);
    // Without an entry the laptop asks by broadcast and finds the new NIC.
    assert_eq!(ssh(&mut world), Outcome::Delivered);
}

#[test]
fn a_flooded_frame_shows_its_tag_and_rewrite_as_it_leaves_the_vswitch() {
    let mut world = world_of(
        r#"ScenarioSpec(
    title: "l2bridge on VLAN 7",
    seed: 5,
    fabric: (
        switches: [(name: "tor")],
        hosts: [(name: "win1", nics: [(name: "Ethernet", address: "192.168.1.21/24")])],
        links: [(a: "win1.Ethernet", b: "tor", switch_port: Some(Trunk([7])))],
    ),
    images: [(name: "img", services: [Tcp(80)])],
)"#,
    );
    world.docker("win1", "docker network create -d l2bridge --subnet 10.244.0.0/24 --gateway 10.244.0.1 -o com.docker.network.windowsshim.vlanid=7 br");
    world.docker(
        "win1",
        "docker run -d --name web1 --network br --ip 10.244.0.11 img",
    );
    world.docker(
        "win1",
        "docker run -d --name web2 --network br --ip 10.244.0.12 img",
    );
    let host_mac = world
        .engine
        .device(world.fabric["win1"])
        .and_then(Device::as_stack)
        .and_then(|s| s.iface(PortId(0)))
        .map(|i| i.mac)
        .expect("the host's NIC");
    // Nothing answers for the gateway: web1's ARP request is flooded, to web2 and out of
    // the uplink.
    let r = world
        .probe("web1", "10.244.0.1", ProbeProto::Icmp)
        .expect("probe runs");
    let flooded: Vec<&[u8]> = r
        .hops
        .iter()
        .zip(&r.hop_nodes)
        .filter(|(h, n)| {
            n.as_str() == "win1/vSwitch(Ethernet)"
                && wire::eth_dst(&h.bytes) == Some(MacAddr::broadcast())
                && !matches!(h.action, sim_core::device::Action::MacRewrite { .. })
        })
        .map(|(h, _)| h.bytes.as_slice())
        .collect();
    // The copy to the uplink as it leaves: tagged for VLAN 7, with the host's MAC.
    assert!(
        flooded
            .iter()
            .any(|b| wire::vlan_id(b) == Some(7) && wire::eth_src(b) == Some(host_mac)),
        "no hop shows the copy on the trunk"
    );
    // The copy to web2 as it leaves: untagged, with web1's own MAC.
    let web1 = world.resolve_source("web1").expect("web1");
    let web1_mac = world
        .engine
        .device(web1)
        .and_then(Device::as_stack)
        .and_then(|s| s.iface(PortId(0)))
        .map(|i| i.mac);
    assert!(flooded
        .iter()
        .any(|b| wire::vlan_id(b).is_none() && wire::eth_src(b) == web1_mac));
}
