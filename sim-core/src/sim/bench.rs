//! The `bridge-echo` workload: one host, N containers on one network, each sending K UDP echo
//! requests 100 us apart to the next container (i+1 mod N), which echoes them back. On
//! Windows ([`setup`]) the network is the default nat network and every frame crosses the
//! Hyper-V vSwitch; on Linux ([`setup_linux`]) it is one user-defined bridge, `bench`, and
//! every frame crosses the Linux bridge inside the host's namespace (br_netfilter: the
//! host's iptables see each one). Containers are created through real `docker run` lines and
//! every frame is bytes. Timing is measured by the caller: sim-core has no clock.

use super::build;
use crate::control::engine::DockerEngine;
use crate::control::HostOs;
use crate::device::Device;
use crate::docker::store::ContainerState;
use crate::scenario::{FabricSpec, HostSpec, ImageSpec, InterfaceSpec, ScenarioSpec, ServiceSpec};
use crate::time::SimDuration;

pub struct BenchResult {
    pub echo_requests: u64,
    pub echo_replies: u64,
    pub events: u64,
}

const ECHO_PORT: u16 = 7;
const IMAGE: &str = "mcr.microsoft.com/windows/nanoserver:ltsc2022";
const LINUX_IMAGE: &str = "busybox";

/// A built bridge-echo world, ready to run. Building it (N `docker run`s) is not part of
/// the measured workload.
pub struct BridgeEcho {
    world: super::World,
    nodes: Vec<crate::id::NodeId>,
    n: u32,
    k: u32,
}

pub fn bridge_echo(n: u32, k: u32) -> Result<BenchResult, String> {
    setup(n, k).map(BridgeEcho::run)
}

/// The Windows workload: N containers on the default nat network of a Windows host.
pub fn setup(n: u32, k: u32) -> Result<BridgeEcho, String> {
    build_workload(n, k, None, &mut |_| {})
}

/// The Linux workload: N containers on one user-defined bridge network of a Linux host
/// running `engine`.
pub fn setup_linux(n: u32, k: u32, engine: DockerEngine) -> Result<BridgeEcho, String> {
    build_workload(n, k, Some(engine), &mut |_| {})
}

/// Either workload (`linux`: the Linux one with that engine), calling `started(i)` after the
/// i-th `docker run` (1-based) so that a caller can show how far a long set-up is.
pub fn setup_with_progress(
    n: u32,
    k: u32,
    linux: Option<DockerEngine>,
    started: &mut dyn FnMut(u32),
) -> Result<BridgeEcho, String> {
    build_workload(n, k, linux, started)
}

fn build_workload(
    n: u32,
    k: u32,
    linux: Option<DockerEngine>,
    started: &mut dyn FnMut(u32),
) -> Result<BridgeEcho, String> {
    if n < 2 {
        return Err("bridge-echo needs at least 2 containers".into());
    }
    let (os, nic, image) = match linux {
        None => (HostOs::default(), "Ethernet", IMAGE),
        Some(engine) => (HostOs::Linux { engine }, "eth0", LINUX_IMAGE),
    };
    let spec = ScenarioSpec {
        title: "bridge-echo benchmark".into(),
        description: String::new(),
        seed: 1,
        limits: Default::default(),
        fabric: FabricSpec {
            hosts: vec![HostSpec {
                name: "host".into(),
                os,
                sysctls: Vec::new(),
                nics: vec![InterfaceSpec {
                    name: nic.into(),
                    address: "10.0.0.2/24".into(),
                }],
                gateway: None,
                routes: Vec::new(),
                dns_servers: Vec::new(),
                daemon: Default::default(),
                services: Vec::new(),
                firewall: Default::default(),
            }],
            ..Default::default()
        },
        images: vec![ImageSpec {
            name: image.into(),
            services: vec![ServiceSpec::Udp(ECHO_PORT)],
        }],
        steps: Vec::new(),
    };
    let mut world = build::build(&spec)?;
    world.engine.limits.max_events = u64::MAX;
    // On Linux a user-defined bridge: its default pool is a /16, room for any N here.
    let network = match linux {
        None => String::new(),
        Some(_) => {
            let r = world.docker("host", "docker network create bench");
            if let Some(e) = r.error {
                return Err(e);
            }
            " --network bench".to_string()
        }
    };
    for i in 0..n {
        let r = world.docker(
            "host",
            &format!("docker run -d --name c{i}{network} {image}"),
        );
        if let Some(e) = r.error {
            // One network holds only so many: on Windows, 4,093 addresses in the default
            // nat /20 and 4,096 MACs in an HNS network's pool.
            return Err(format!("container {} of {n} did not start: {e}", i + 1));
        }
        started(i + 1);
    }
    // What the containers' start sent (each announces its address with a gratuitous ARP,
    // flooded to every port) is part of setting up, not of the measured workload.
    world.wait(SimDuration::from_millis(1));
    let containers = &world.hosts[0].daemon.store.containers;
    let nodes: Vec<_> = containers
        .iter()
        .filter(|c| c.state == ContainerState::Running)
        .filter_map(|c| c.sandbox)
        .collect();
    let addrs: Vec<_> = nodes
        .iter()
        .map(|n| {
            world
                .engine
                .device(*n)
                .and_then(Device::as_stack)
                .and_then(|s| s.primary_addr())
        })
        .collect::<Option<Vec<_>>>()
        .ok_or("a container has no address")?;
    let interval = SimDuration::from_micros(100);
    for (i, node) in nodes.iter().enumerate() {
        let dst = addrs[(i + 1) % addrs.len()];
        // Stagger the start so that senders do not all fire in the same nanosecond.
        let delay = SimDuration::from_nanos(i as u64 * 97);
        world.engine.invoke(*node, |d, out| {
            if let Some(s) = d.as_stack_mut() {
                s.start_echo_app(dst, ECHO_PORT, k, interval, delay, out);
            }
        });
    }
    Ok(BridgeEcho { world, nodes, n, k })
}

impl BridgeEcho {
    /// Runs the workload to the end and counts what came back.
    pub fn run(mut self) -> BenchResult {
        let (world, nodes, n, k) = (&mut self.world, &self.nodes, self.n, self.k);
        let interval = SimDuration::from_micros(100);
        let events_before = world.engine.stats.events;
        world.wait(SimDuration::from_nanos(
            interval.as_nanos() * u64::from(k) + 100_000_000,
        ));
        let replies = nodes
            .iter()
            .filter_map(|n| world.engine.device(*n).and_then(Device::as_stack))
            .map(|s| s.counters().app_replies)
            .sum();
        BenchResult {
            echo_requests: u64::from(n) * u64::from(k),
            echo_replies: replies,
            events: world.engine.stats.events - events_before,
        }
    }
}
