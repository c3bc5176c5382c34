//! The `bridge-echo` workload: one Windows host, N containers on the default nat network,
//! each sending K UDP echo requests 100 us apart to the next container (i+1 mod N), which
//! echoes them back. Containers are created through real `docker run` lines and every frame
//! crosses the vSwitch as bytes. Timing is measured by the caller: sim-core has no clock.

use super::build;
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

pub fn setup(n: u32, k: u32) -> Result<BridgeEcho, String> {
    if n < 2 {
        return Err("bridge-echo needs at least 2 containers".into());
    }
    let spec = ScenarioSpec {
        title: "bridge-echo benchmark".into(),
        description: String::new(),
        seed: 1,
        limits: Default::default(),
        fabric: FabricSpec {
            hosts: vec![HostSpec {
                name: "host".into(),
                os: Default::default(),
                sysctls: Vec::new(),
                nics: vec![InterfaceSpec {
                    name: "Ethernet".into(),
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
            name: IMAGE.into(),
            services: vec![ServiceSpec::Udp(ECHO_PORT)],
        }],
        steps: Vec::new(),
    };
    let mut world = build::build(&spec)?;
    world.engine.limits.max_events = u64::MAX;
    for i in 0..n {
        let r = world.docker("host", &format!("docker run -d --name c{i} {IMAGE}"));
        if let Some(e) = r.error {
            return Err(e);
        }
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
