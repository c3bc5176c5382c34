//! Properties of Linux Docker hosts, on every engine release: user-defined bridge networks
//! never reach each other, an address is never handed out twice, and a published port always
//! answers from outside the host.

use crate::common::world_of;
use proptest::prelude::*;
use sim_core::device::stack::probe::ProbeProto;
use sim_core::device::{Device, Outcome};
use sim_core::docker::store::ContainerState;
use sim_core::sim::World;
use sim_core::topology::NodeKind;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

const CASES: u32 = 24;

fn engine() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["V20_10", "V27", "V28", "V29"])
}

/// One Linux host `lin1` (192.0.2.2) on a LAN with an outside node `laptop` (192.0.2.50);
/// `img` listens on TCP 80 and UDP 53.
fn linux_host(engine: &str, seed: u64) -> String {
    format!(
        r#"ScenarioSpec(
    title: "one Linux host",
    seed: {seed},
    fabric: (
        switches: [(name: "lan")],
        externals: [(name: "laptop", interfaces: [(name: "eth0", address: "192.0.2.50/24")], gateway: Some("192.0.2.1"))],
        hosts: [(
            name: "lin1",
            os: Linux(engine: {engine}),
            nics: [(name: "eth0", address: "192.0.2.2/24")],
            gateway: Some("192.0.2.1"),
        )],
        links: [(a: "lin1.eth0", b: "lan"), (a: "laptop.eth0", b: "lan")],
    ),
    images: [(name: "img", services: [Tcp(80), Udp(53)])],
)
"#
    )
}

fn run_ok(world: &mut World, line: &str) -> Result<(), TestCaseError> {
    let out = world.shell("lin1", line);
    prop_assert_eq!(out.exit_code, 0, "lin1$ {}\n{:?}", line, out);
    Ok(())
}

/// The addresses of a node's interfaces (loopback aside).
fn addresses(world: &World, node: sim_core::id::NodeId) -> Vec<(String, Ipv4Addr, u8)> {
    let Some(stack) = world.engine.device(node).and_then(Device::as_stack) else {
        return Vec::new();
    };
    stack
        .config
        .ifaces()
        .iter()
        .flatten()
        .filter_map(|i| {
            i.addr
                .filter(|a| !a.ip().is_loopback())
                .map(|a| (i.name.to_string(), a.ip(), a.prefix()))
        })
        .collect()
}

/// A container's one address (it is on one network).
fn address_of(world: &World, name: &str) -> Result<Ipv4Addr, TestCaseError> {
    let node = world.resolve_source(name).map_err(TestCaseError::fail)?;
    match addresses(world, node).as_slice() {
        [(_, ip, _)] => Ok(*ip),
        other => Err(TestCaseError::fail(format!("{name} has {other:?}"))),
    }
}

/// No address is held twice on the host: every running container's addresses are distinct
/// from each other and from the host's own (the bridges' gateways live there), and each lies
/// inside one of the host's bridge subnets, not its network or broadcast address.
fn check_addresses(world: &World) -> Result<(), String> {
    let topo = world.engine.topology();
    let mut held: BTreeMap<Ipv4Addr, String> = BTreeMap::new();
    let mut bridges = Vec::new();
    for (n, info) in topo.nodes() {
        if info.kind == NodeKind::LinuxHost {
            for (iface, ip, prefix) in addresses(world, n) {
                held.insert(ip, format!("the host's {iface}"));
                if iface != "eth0" {
                    bridges.push((ip, prefix));
                }
            }
        }
    }
    for c in &world.hosts[0].daemon.store.containers {
        if c.state != ContainerState::Running {
            continue;
        }
        let Some(node) = c.sandbox else {
            return Err(format!("running container {} has no namespace", c.name));
        };
        if topo.node(node).map(|i| i.kind) != Some(NodeKind::Container) {
            continue; // --network host: the host's own namespace
        }
        for (iface, ip, prefix) in addresses(world, node) {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            let inside = bridges
                .iter()
                .any(|(gw, p)| *p == prefix && u32::from(*gw) & mask == u32::from(ip) & mask);
            if !inside {
                return Err(format!(
                    "{}'s {iface} has {ip}/{prefix}, on no bridge of the host",
                    c.name
                ));
            }
            if prefix <= 30 && (u32::from(ip) & !mask == 0 || u32::from(ip) | mask == u32::MAX) {
                return Err(format!(
                    "{} holds {ip}/{prefix}, not a host address",
                    c.name
                ));
            }
            if let Some(other) = held.insert(ip, format!("{}'s {iface}", c.name)) {
                return Err(format!(
                    "{ip} is held twice: by {other} and by {}'s {iface}",
                    c.name
                ));
            }
        }
    }
    Ok(())
}

// ----- random command sequences with --subnet, --ip-range and --ip -----

fn ctr() -> impl Strategy<Value = &'static str> {
    // Names that cannot be a prefix of a container ID (docker finds containers by ID prefix too).
    prop::sample::select(vec!["w1", "x1", "y1", "z1", "q1"])
}

fn net() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["n1", "n2", "n3", "bridge"])
}

fn command() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => (net(), 0u8..=3, prop::sample::select(vec![24u8, 26, 28, 29]), any::<bool>()).prop_map(
            |(n, b, p, range)| {
                let subnet = format!("10.77.{b}.0/{p}");
                let range = if range { format!(" --ip-range 10.77.{b}.0/{}", (p + 1).min(30)) } else { String::new() };
                format!("docker network create --subnet {subnet}{range} {n}")
            }
        ),
        1 => net().prop_map(|n| format!("docker network create {n}")),
        5 => (ctr(), net()).prop_map(|(c, n)| format!("docker run -d --name {c} --network {n} img")),
        2 => (ctr(), net(), 0u8..=3, 1u8..=12).prop_map(|(c, n, b, h)| {
            format!("docker run -d --name {c} --network {n} --ip 10.77.{b}.{h} img")
        }),
        3 => ctr().prop_map(|c| format!("docker rm -f {c}")),
        2 => (net(), ctr()).prop_map(|(n, c)| format!("docker network connect {n} {c}")),
        1 => (net(), ctr(), 0u8..=3, 1u8..=12).prop_map(|(n, c, b, h)| format!("docker network connect --ip 10.77.{b}.{h} {n} {c}")),
        2 => (net(), ctr()).prop_map(|(n, c)| format!("docker network disconnect {n} {c}")),
        1 => ctr().prop_map(|c| format!("docker stop {c}")),
        1 => ctr().prop_map(|c| format!("docker start {c}")),
        1 => net().prop_map(|n| format!("docker network rm {n}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    /// Containers on one user-defined bridge (or the default bridge) reach each other; from one
    /// bridge network to another nothing is ever delivered, on any engine release.
    #[test]
    fn isolation_between_bridge_networks_never_leaks(
        engine in engine(),
        seed in 0u64..1_000,
        networks in 2usize..=3,
        explicit in any::<bool>(),
        placement in prop::collection::vec(0usize..4, 2..6),
        tcp in any::<bool>(),
    ) {
        let mut world = world_of(&linux_host(engine, seed));
        let mut names = vec!["bridge".to_string()];
        for i in 0..networks {
            let subnet = if explicit { format!(" --subnet 10.{}.0.0/24", 60 + i) } else { String::new() };
            run_ok(&mut world, &format!("docker network create{subnet} u{i}"))?;
            names.push(format!("u{i}"));
        }
        let mut placed = Vec::new();
        for (i, p) in placement.iter().enumerate() {
            let net = names[p % names.len()].clone();
            let name = format!("c{i}");
            run_ok(&mut world, &format!("docker run -d --name {name} --network {net} img"))?;
            placed.push((name, net));
        }
        let proto = if tcp { ProbeProto::Tcp(80) } else { ProbeProto::Icmp };
        for (from, fnet) in &placed {
            for (to, tnet) in &placed {
                if from == to {
                    continue;
                }
                let dst = address_of(&world, to)?.to_string();
                let r = world.probe(from, &dst, proto).map_err(TestCaseError::fail)?;
                let want = if fnet == tnet { Outcome::Delivered } else { Outcome::Dropped };
                prop_assert_eq!(
                    r.outcome, want,
                    "{} ({}) -> {} ({}, {}) {} on {}: {}", from, fnet, to, tnet, dst, proto, engine, r.detail
                );
            }
        }
    }

    /// Whatever is run, removed, connected and disconnected, with --subnet, --ip-range and
    /// --ip, no address is ever held twice, and every one lies on its bridge.
    #[test]
    fn an_address_is_never_allocated_twice(
        engine in engine(),
        seed in 0u64..1_000,
        cmds in prop::collection::vec(command(), 1..30),
    ) {
        let mut world = world_of(&linux_host(engine, seed));
        check_addresses(&world).map_err(TestCaseError::fail)?;
        for (i, cmd) in cmds.iter().enumerate() {
            let out = world.shell("lin1", cmd);
            if out.exit_code != 0 {
                prop_assert!(!out.stderr.is_empty(), "step {}: `{}` failed silently", i + 1, cmd);
            }
            if let Err(e) = check_addresses(&world) {
                return Err(TestCaseError::fail(format!("after step {} `{cmd}` on {engine}: {e}", i + 1)));
            }
        }
    }

    /// A port published by a container on the default bridge or a user-defined one answers
    /// a node outside the host at the host's address, on every engine release.
    #[test]
    fn published_ports_answer_from_outside(
        engine in engine(),
        seed in 0u64..1_000,
        ports in prop::collection::btree_set(1024u16..=49000, 1..4),
        user_net in any::<bool>(),
        form in 0u8..3,
        udp in any::<bool>(),
    ) {
        let mut world = world_of(&linux_host(engine, seed));
        let net = if user_net {
            run_ok(&mut world, "docker network create pub")?;
            " --network pub"
        } else {
            ""
        };
        for (i, hp) in ports.iter().enumerate() {
            let (cport, proto) = if udp { (53, "/udp") } else { (80, "") };
            let spec = match form {
                0 => format!("{hp}:{cport}{proto}"),
                1 => format!("0.0.0.0:{hp}:{cport}{proto}"),
                _ => format!("192.0.2.2:{hp}:{cport}{proto}"),
            };
            run_ok(&mut world, &format!("docker run -d --name web{i}{net} -p {spec} img"))?;
        }
        for hp in &ports {
            let proto = if udp { ProbeProto::Udp(*hp) } else { ProbeProto::Tcp(*hp) };
            let r = world.probe("laptop", "192.0.2.2", proto).map_err(TestCaseError::fail)?;
            prop_assert_eq!(r.outcome, Outcome::Delivered, "laptop -> 192.0.2.2 {} on {}: {}", proto, engine, r.detail);
        }
    }
}
