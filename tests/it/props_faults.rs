//! Property: after any sequence of docker commands, faults and recoveries (power lost and
//! back, reboots, dockerd and HNS restarts, partitions, NIC failures, link impairments),
//! the configuration docker reports and the one the devices hold agree: every running
//! container's address is held by its own compartment and by no other device, every
//! published port is a DNAT rule to a running container's address and no rule is left for a
//! container that is gone, HNS has every network docker names, and once every fault has
//! healed, every cable is up again.

use crate::common::{one_host_scenario, world_of};
use proptest::prelude::*;
use sim_core::device::Device;
use sim_core::docker::store::ContainerState;
use sim_core::engine::link::Impairment;
use sim_core::scenario::SystemService;
use sim_core::sim::scheduled::ControlAction;
use sim_core::sim::{config_dump, World};
use sim_core::time::SimDuration;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

const CASES: u32 = 32;

/// One step: a docker line, a fault or a recovery, or time passing.
#[derive(Clone, Debug)]
enum Step {
    Docker(String),
    Action(ControlAction),
    Wait(u64),
}

fn docker_line() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["a", "b", "c"]);
    let net = prop::sample::select(vec!["nat", "n1", "n2"]);
    prop_oneof![
        4 => (name.clone(), net.clone(), prop::option::of(8080u16..8083), any::<bool>()).prop_map(
            |(n, net, port, always)| {
                let p = port.map(|p| format!(" -p {p}:80")).unwrap_or_default();
                let r = if always { " --restart always" } else { "" };
                format!("docker run -d --name {n} --network {net}{p}{r} img")
            }
        ),
        2 => name.clone().prop_map(|n| format!("docker stop {n}")),
        2 => name.clone().prop_map(|n| format!("docker start {n}")),
        1 => name.prop_map(|n| format!("docker rm -f {n}")),
        2 => (prop::sample::select(vec!["n1", "n2"]), 240u8..=243).prop_map(|(n, b)| {
            format!("docker network create -d nat --subnet 10.{b}.0.0/24 {n}")
        }),
        1 => prop::sample::select(vec!["n1", "n2"]).prop_map(|n| format!("docker network rm {n}")),
    ]
}

fn action() -> impl Strategy<Value = ControlAction> {
    let host = || "h1".to_string();
    prop_oneof![
        1 => Just(ControlAction::Reboot { host: host() }),
        1 => any::<bool>().prop_map(move |up| ControlAction::Host { host: host(), up }),
        1 => Just(ControlAction::RestartService { host: host(), service: SystemService::Docker }),
        1 => Just(ControlAction::RestartService { host: host(), service: SystemService::Hns }),
        1 => Just(ControlAction::Partition {
            name: "p".into(),
            links: Vec::new(),
            nodes: vec![host()],
        }),
        1 => Just(ControlAction::Partition {
            name: "q".into(),
            links: vec!["h1.Ethernet<->lan".into()],
            nodes: Vec::new(),
        }),
        1 => prop::sample::select(vec!["p", "q"]).prop_map(|n| ControlAction::Heal { name: n.into() }),
        1 => any::<bool>().prop_map(move |up| ControlAction::Nic {
            host: host(),
            nic: "Ethernet".into(),
            up,
        }),
        1 => (0.0..1.0f64, 0u64..20, 0.0..1.0f64).prop_map(|(loss, ms, dup)| ControlAction::Impair {
            link: "h1.Ethernet<->lan".into(),
            faults: Impairment {
                loss,
                latency: SimDuration::from_millis(ms),
                duplicate: dup,
                ..Impairment::default()
            },
        }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => docker_line().prop_map(Step::Docker),
        3 => action().prop_map(Step::Action),
        1 => (1u64..500).prop_map(Step::Wait),
    ]
}

/// The host stack's part of `run --config`: from its `device h1 ` line to the next device.
fn host_stack_dump(world: &World) -> String {
    let dump = config_dump::dump(world);
    let start = dump.find("device h1 (").unwrap_or(dump.len());
    let rest = &dump[start..];
    let end = rest[1..].find("\ndevice ").map_or(rest.len(), |i| i + 1);
    rest[..end].to_string()
}

/// docker's view and the devices' view agree. Returns the first disagreement.
fn agree(world: &World) -> Result<(), String> {
    let h = &world.hosts[0];
    let hns = h.hns().expect("a Windows host");
    let store = &h.daemon.store;
    // docker's nat networks are HNS's, and the host holds each one's gateway.
    let host_stack = world
        .engine
        .device(h.nodes.stack)
        .and_then(Device::as_stack)
        .ok_or("h1 has no IP stack")?;
    for n in store.networks.iter().filter(|n| n.driver == "nat") {
        let Some(net) = n.backend_id.as_deref().and_then(|id| hns.network(id)) else {
            return Err(format!("docker network {} has no HNS network", n.name));
        };
        if !host_stack.is_local(net.pool.gateway) {
            return Err(format!(
                "the host does not hold {}'s gateway {}",
                n.name, net.pool.gateway
            ));
        }
    }
    // Every running container's endpoint address is its compartment's, and no other
    // device's; a container that is not running holds none.
    let mut running_ips = BTreeSet::new();
    for c in &store.containers {
        let endpoints: Vec<&str> = c
            .attachments
            .iter()
            .filter_map(|a| a.endpoint.as_deref())
            .collect();
        if c.state != ContainerState::Running {
            if !endpoints.is_empty() {
                return Err(format!("{} is {:?} but holds endpoints", c.name, c.state));
            }
            continue;
        }
        for ep in endpoints {
            let Some(e) = hns.endpoints.iter().find(|e| e.id == ep) else {
                return Err(format!("{}'s endpoint {ep} is not in HNS", c.name));
            };
            running_ips.insert(e.ip);
            let holders: Vec<String> = world
                .engine
                .topology()
                .nodes()
                .filter(|(id, _)| {
                    world
                        .engine
                        .device(*id)
                        .and_then(Device::as_stack)
                        .is_some_and(|s| s.is_local(e.ip))
                })
                .map(|(_, info)| info.name.clone())
                .collect();
            let own = c
                .sandbox
                .and_then(|n| world.engine.topology().name(n).map(str::to_string));
            if holders.len() != 1 || own.as_ref() != holders.first() {
                return Err(format!(
                    "{} ({}) should be held by its compartment {own:?} alone, is held by {holders:?}",
                    c.name, e.ip
                ));
            }
        }
    }
    // Published ports: a DNAT rule to a running container for each, and none left over.
    let dump = host_stack_dump(world);
    for line in dump
        .lines()
        .filter(|l| l.contains("-j DNAT --to-destination "))
    {
        let to = line.rsplit("--to-destination ").next().unwrap_or_default();
        let ip: Option<Ipv4Addr> = to.split(':').next().and_then(|a| a.parse().ok());
        if !ip.is_some_and(|ip| running_ips.contains(&ip)) {
            return Err(format!(
                "a DNAT rule to {to} is left, and no running container holds it: {line}"
            ));
        }
    }
    for c in store
        .containers
        .iter()
        .filter(|c| c.state == ContainerState::Running)
    {
        for p in &c.ports {
            if let Some((port, _)) = p.host {
                let want = format!("--dport {port} ");
                if !dump
                    .lines()
                    .any(|l| l.contains(&want) && l.contains("-j DNAT"))
                {
                    return Err(format!(
                        "{} publishes {port}, and the host has no DNAT rule for it",
                        c.name
                    ));
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn after_faults_and_recoveries_docker_and_the_devices_agree(
        seed in 0u64..1_000,
        os in prop::sample::select(vec!["WindowsServer2019", "WindowsServer2022"]),
        steps in prop::collection::vec(step(), 1..30),
    ) {
        let mut world = world_of(&one_host_scenario(os, seed));
        for (i, s) in steps.iter().enumerate() {
            match s {
                Step::Docker(line) => {
                    world.docker("h1", line);
                }
                Step::Action(a) => {
                    world.perform(a);
                }
                Step::Wait(ms) => world.wait(SimDuration::from_millis(*ms)),
            }
            if let Err(e) = agree(&world) {
                return Err(TestCaseError::fail(format!("after step {} {s:?} on {os}: {e}", i + 1)));
            }
        }
        // Every fault heals: the host comes back, partitions heal, the NIC comes back.
        for a in [
            ControlAction::Host { host: "h1".into(), up: true },
            ControlAction::Heal { name: "p".into() },
            ControlAction::Heal { name: "q".into() },
            ControlAction::Nic { host: "h1".into(), nic: "Ethernet".into(), up: true },
        ] {
            world.perform(&a);
        }
        agree(&world).map_err(|e| TestCaseError::fail(format!("after healing: {e}")))?;
        let topo = world.engine.topology();
        for (id, l) in topo.links() {
            prop_assert!(world.engine.link_is_up(id), "link {} is still down after every fault healed", l.name);
        }
    }
}
