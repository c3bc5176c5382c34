//! Properties: the control plane survives any command sequence with its address invariants
//! intact, runs repeat for any seed, and separate nat networks never reach each other.

use crate::common::{one_host_scenario, world_of};
use proptest::prelude::*;
use sim_core::device::stack::probe::ProbeProto;
use sim_core::device::Outcome;
use sim_core::docker::store::ContainerState;
use sim_core::scenario;
use sim_core::sim::{report, World};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

const CASES: u32 = 64;

/// The properties below look for panics; an arithmetic overflow must be one (the test
/// profile keeps overflow checks on, Cargo.toml), in sim-core too.
#[test]
fn overflow_checks_are_on_in_the_test_profile() {
    let max = std::hint::black_box(u8::MAX);
    assert!(std::panic::catch_unwind(|| max + 1).is_err());
    assert!(sim_core::overflow_checks_on());
}

// ----- (a) random docker command lines -----

fn net_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["n1", "n2", "my_nat", "nat"]),
        1 => prop::sample::select(vec!["none", "host", "3113d643"]),
    ]
    .prop_map(String::from)
}

fn ctr_name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec!["a", "b", "c", "web"]),
        1 => prop::sample::select(vec!["/a", "x"]),
    ]
    .prop_map(String::from)
}

fn subnet() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (240u8..=243, 0u8..=2).prop_map(|(a, b)| format!("10.{a}.{b}.0/24")),
        2 => (
            240u8..=243,
            0u8..=2,
            prop::sample::select(vec![16u8, 28, 30, 31, 32])
        )
            .prop_map(|(a, b, p)| format!("10.{a}.{b}.0/{p}")),
        1 => (0u8..=3).prop_map(|b| format!("172.16.{b}.0/24")),
        1 => prop::sample::select(vec![
            "10.0.0.0/24",
            "10.244.0.0/33",
            "fd00::/64",
            "garbage",
            "10.1.2.3/24",
            ""
        ])
        .prop_map(String::from),
    ]
}

fn ip() -> impl Strategy<Value = String> {
    prop_oneof![
        (240u8..=243, 0u8..=2, any::<u8>()).prop_map(|(a, b, c)| format!("10.{a}.{b}.{c}")),
        prop::sample::select(vec!["172.16.0.5", "10.0.0.11", "999.1.1.1", "::1"])
            .prop_map(String::from),
    ]
}

fn publish() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (1u16..=3, 79u16..=81).prop_map(|(h, c)| format!("{}:{c}", 8079 + h)),
        2 => (79u16..=81).prop_map(|c| c.to_string()),
        1 => (79u16..=81).prop_map(|c| format!("{c}/udp")),
        1 => prop::sample::select(vec![
            "127.0.0.1:80:80",
            "0.0.0.0:8080:80",
            "8080-8081:80-81",
            "8080:80/sctp",
            "65536:80",
            ":80",
            "0:80",
            "[::1]:80:80",
            "published=8081,target=80",
            "x",
        ])
        .prop_map(String::from),
    ]
}

fn garbage() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "docker",
            "network",
            "run",
            "create",
            "rm",
            "-d",
            "--name",
            "--network",
            "-p",
            "--",
            "'",
            "\"",
            "\\",
            "é",
            "--subnet",
            "nat",
            "a",
            "-f",
            "#",
            "--ip=",
            "=",
            "exec",
            "ping",
        ]),
        0..6,
    )
    .prop_map(|w| w.join(" "))
}

fn command() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (
            net_name(),
            prop::option::weighted(0.8, subnet()),
            prop::option::weighted(0.1, ip()),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(n, s, g, internal, driver)| {
                let mut c = String::from("docker network create");
                if driver {
                    c.push_str(" -d nat");
                }
                if let Some(s) = s {
                    c.push_str(&format!(" --subnet {s}"));
                }
                if let Some(g) = g {
                    c.push_str(&format!(" --gateway {g}"));
                }
                if internal {
                    c.push_str(" --internal");
                }
                format!("{c} {n}")
            }),
        1 => (prop::collection::vec(net_name(), 1..3), any::<bool>()).prop_map(|(ns, f)| format!(
            "docker network rm{} {}",
            if f { " -f" } else { "" },
            ns.join(" ")
        )),
        2 => (net_name(), ctr_name(), prop::option::weighted(0.2, ip())).prop_map(|(n, c, ip)| match ip {
            Some(ip) => format!("docker network connect --ip {ip} {n} {c}"),
            None => format!("docker network connect {n} {c}"),
        }),
        1 => (net_name(), ctr_name()).prop_map(|(n, c)| format!("docker network disconnect {n} {c}")),
        6 => (
            prop::option::weighted(0.9, ctr_name()),
            prop::option::weighted(0.7, net_name()),
            prop::collection::vec(publish(), 0..3),
            prop::option::weighted(0.15, ip()),
            any::<bool>(),
        )
            .prop_map(|(name, net, ps, ip, create)| {
                let mut c = String::from(if create {
                    "docker create"
                } else {
                    "docker run -d"
                });
                if let Some(n) = name {
                    c.push_str(&format!(" --name {n}"));
                }
                if let Some(n) = net {
                    c.push_str(&format!(" --network {n}"));
                }
                for p in ps {
                    c.push_str(&format!(" -p {p}"));
                }
                if let Some(ip) = ip {
                    c.push_str(&format!(" --ip {ip}"));
                }
                format!("{c} img")
            }),
        3 => (
            prop::sample::select(vec!["rm", "rm -f", "start", "stop"]),
            prop::collection::vec(ctr_name(), 1..3)
        )
            .prop_map(|(v, cs)| format!("docker {v} {}", cs.join(" "))),
        1 => ctr_name().prop_map(|c| format!("docker exec {c} ping -n 1 web")),
        1 => prop::sample::select(vec![
            "docker network ls",
            "docker ps -a",
            "docker network inspect nat my_nat",
            "docker inspect a",
            "REBOOT",
        ])
        .prop_map(String::from),
        1 => garbage(),
    ]
}

fn os() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "WindowsServer2016",
        "WindowsServer2019",
        "WindowsServer2022",
        "WindowsServer2025",
    ])
}

/// Docker's view and HNS's view agree, and no address is handed out twice or outside its
/// network. Returns the first broken invariant.
fn check_invariants(world: &World) -> Result<(), String> {
    let h = &world.hosts[0];
    let (daemon, hns) = (&h.daemon, &h.hns().expect("a Windows host"));
    // Docker network names are unique; every nat network has its HNS network.
    let mut names = BTreeSet::new();
    for n in &daemon.store.networks {
        if !names.insert(n.name.as_str()) {
            return Err(format!("two docker networks named {}", n.name));
        }
        if n.driver == "nat" {
            match n.backend_id.as_deref() {
                Some(id) if hns.network(id).is_some() => {}
                other => {
                    return Err(format!(
                        "docker network {} has HNS id {other:?}, which HNS does not have",
                        n.name
                    ))
                }
            }
        }
    }
    // Every HNS endpoint: on a known network, inside its subnet, not its gateway, unique.
    let mut per_network: BTreeMap<&str, BTreeSet<Ipv4Addr>> = BTreeMap::new();
    for ep in &hns.endpoints {
        let Some(net) = hns.network(&ep.network_id) else {
            return Err(format!(
                "endpoint {} ({}) is on an unknown HNS network",
                ep.name, ep.ip
            ));
        };
        let subnet = net.pool.subnet;
        if !subnet.contains(ep.ip) {
            return Err(format!(
                "endpoint {} has {} outside {subnet}",
                ep.name, ep.ip
            ));
        }
        if ep.ip == net.pool.gateway {
            return Err(format!(
                "endpoint {} has the gateway address {}",
                ep.name, ep.ip
            ));
        }
        if subnet.prefix() <= 30 && (ep.ip == subnet.network() || ep.ip == subnet.broadcast()) {
            return Err(format!(
                "endpoint {} has {} which is not a host address of {subnet}",
                ep.name, ep.ip
            ));
        }
        if !per_network
            .entry(ep.network_id.as_str())
            .or_default()
            .insert(ep.ip)
        {
            return Err(format!(
                "address {} is used twice on network {}",
                ep.ip, net.name
            ));
        }
    }
    // Every running container's attachments are backed by HNS endpoints on the right network;
    // a container that is not running holds none; every HNS endpoint belongs to one of them.
    let mut owned = BTreeSet::new();
    for c in &daemon.store.containers {
        for a in &c.attachments {
            let net = daemon.store.networks.iter().find(|n| n.id == a.network_id);
            match (c.state, &a.endpoint) {
                (ContainerState::Running, Some(ep)) => {
                    let Some(e) = hns.endpoints.iter().find(|e| &e.id == ep) else {
                        return Err(format!(
                            "container {} refers to a missing endpoint {ep}",
                            c.name
                        ));
                    };
                    let want = net.and_then(|n| n.backend_id.as_deref());
                    if want != Some(e.network_id.as_str()) {
                        return Err(format!(
                            "container {}'s endpoint is on HNS network {} but docker says {want:?}",
                            c.name, e.network_id
                        ));
                    }
                    if !owned.insert(ep.clone()) {
                        return Err(format!("endpoint {ep} is held twice"));
                    }
                }
                (ContainerState::Running, None) => {
                    if net.is_some_and(|n| n.backend_id.is_some()) {
                        return Err(format!(
                            "running container {} has no endpoint on {}",
                            c.name,
                            net.map_or("?", |n| n.name.as_str())
                        ));
                    }
                }
                (_, Some(ep)) => {
                    return Err(format!(
                        "container {} is {:?} but holds endpoint {ep}",
                        c.name, c.state
                    ));
                }
                (_, None) => {}
            }
        }
        if c.state == ContainerState::Running && c.sandbox.is_none() {
            return Err(format!("running container {} has no compartment", c.name));
        }
    }
    for ep in &hns.endpoints {
        if !owned.contains(&ep.id) {
            return Err(format!(
                "HNS endpoint {} ({}) belongs to no running container",
                ep.name, ep.ip
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn docker_commands_keep_the_control_plane_consistent(
        os in os(),
        seed in 0u64..1_000,
        cmds in prop::collection::vec(command(), 1..40),
    ) {
        let mut world = world_of(&one_host_scenario(os, seed));
        check_invariants(&world).map_err(TestCaseError::fail)?;
        for (i, cmd) in cmds.iter().enumerate() {
            if cmd == "REBOOT" {
                let _ = world.reboot("h1");
            } else {
                let r = world.docker("h1", cmd);
                if let Some(e) = &r.error {
                    prop_assert!(!e.is_empty(), "step {}: `{}` failed with an empty error", i + 1, cmd);
                }
            }
            if let Err(e) = check_invariants(&world) {
                return Err(TestCaseError::fail(format!("after step {} `{cmd}` on {os}: {e}", i + 1)));
            }
        }
    }

    #[test]
    fn nat_tour_is_deterministic_for_any_seed(seed in any::<u64>()) {
        let text = std::fs::read_to_string("scenarios/nat-tour.ron").expect("nat-tour exists");
        let mut loaded = scenario::load_str("scenarios/nat-tour.ron", &text).expect("nat-tour loads");
        loaded.spec.seed = seed;
        let a = report::run(&loaded);
        let b = report::run(&loaded);
        prop_assert!(a.text == b.text, "seed {seed}: two runs differ");
        prop_assert_eq!(&a.failures, &b.failures);
        prop_assert!(a.text.contains(&format!("seed: {seed}\n")), "the report names the seed");
        // The tour's expectations hold whatever prefix and addresses the seed picks.
        prop_assert!(a.failures.is_empty(), "seed {}: {:?}", seed, a.failures);
        prop_assert!(a.limit_hit.is_none());
    }

    #[test]
    fn separate_nat_networks_never_leak(
        os in prop::sample::select(vec!["WindowsServer2019", "WindowsServer2022", "WindowsServer2025"]),
        seed in 0u64..1_000,
        (a, b) in (0u8..=255, 0u8..=255).prop_filter("not the LAN", |(a, _)| *a != 0),
        on_custom in prop::collection::vec(any::<bool>(), 2..6),
        tcp in any::<bool>(),
    ) {
        let mut world = world_of(&one_host_scenario(os, seed));
        let subnet = format!("10.{a}.{b}.0/24");
        let r = world.docker("h1", &format!("docker network create -d nat --subnet {subnet} custom"));
        prop_assert!(r.error.is_none(), "{:?}", r.error);
        let mut placed = Vec::new();
        for (i, custom) in on_custom.iter().enumerate() {
            let name = format!("c{i}");
            let net = if *custom { "custom" } else { "nat" };
            let r = world.docker("h1", &format!("docker run -d --name {name} --network {net} img"));
            prop_assert!(r.error.is_none(), "{:?}", r.error);
            placed.push((name, *custom));
        }
        let proto = if tcp { ProbeProto::Tcp(80) } else { ProbeProto::Icmp };
        for (from, fnet) in &placed {
            for (to, tnet) in &placed {
                if from == to {
                    continue;
                }
                let r = world.probe(from, to, proto).map_err(TestCaseError::fail)?;
                let want = if fnet == tnet { Outcome::Delivered } else { Outcome::Dropped };
                prop_assert_eq!(
                    r.outcome, want,
                    "{} -> {} {} ({} -> {}) on {}: {}", from, to, proto,
                    if *fnet { "custom" } else { "nat" }, if *tnet { "custom" } else { "nat" }, os, r.detail
                );
            }
        }
    }
}
