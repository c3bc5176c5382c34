//! The `bridge-echo` workload: one host, N containers on one network, each sending K UDP echo
//! requests 100 us apart to the next container (i+1 mod N), which echoes them back. On
//! Windows ([`setup`]) the network is the default nat network and every frame crosses the
//! Hyper-V vSwitch; on Linux ([`setup_linux`]) it is one user-defined bridge, `bench`, and
//! every frame crosses the Linux bridge inside the host's namespace (br_netfilter: the
//! host's iptables see each one). Containers are created through real `docker run` lines and
//! every frame is bytes. Timing is measured by the caller: sim-core has no clock.
//!
//! Two more workloads share the echo machinery (issue 13): `nat-out` ([`setup_nat_out`]),
//! N containers on a Windows host's nat network each echoing with one server outside the
//! host (every datagram translated by WinNAT both ways), and `overlay-echo`
//! ([`setup_overlay_echo`]), N containers on a swarm overlay network spread over two Windows
//! hosts, each echoing with the next, which runs on the other host (every frame wrapped in
//! VXLAN by one host's VFP and unwrapped by the other's).

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
    setup(n, k).map(|mut w| w.run())
}

/// The most containers one Windows host's default nat network holds: 4,093 addresses in
/// its /20 (less network, gateway and broadcast) and HNS's pool of 4,096 MACs per network.
pub const WINDOWS_PER_HOST: u32 = 4093;
/// The most containers one Linux bridge holds: the kernel numbers bridge ports in 10 bits
/// (`BR_MAX_PORTS`, 1,024, port 0 unused), so the 1,024th veth fails with "exchange full".
pub const LINUX_PER_HOST: u32 = 1023;

/// How bridge-echo spreads N containers over hosts: as few hosts as `per_host` (at most a
/// network's real limit) allows, the containers dealt out evenly, each host's containers
/// echoing among themselves (a nat network or a bridge does not reach another host's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// How many containers each host runs, host by host.
    pub per_host: Vec<u32>,
}

impl Layout {
    /// Spreads `n` containers over hosts of at most `per_host` each; each host needs two,
    /// one to send and one to echo.
    pub fn spread(n: u32, per_host: u32) -> Result<Layout, String> {
        if n < 2 {
            return Err("bridge-echo needs at least 2 containers".into());
        }
        let per_host = per_host.max(1);
        let hosts = n.div_ceil(per_host);
        let (base, extra) = (n / hosts, n % hosts);
        if base < 2 {
            return Err(format!(
                "bridge-echo needs at least 2 containers on each host: {n} containers over \
                 {hosts} hosts of at most {per_host}"
            ));
        }
        Ok(Layout {
            per_host: (0..hosts).map(|h| base + u32::from(h < extra)).collect(),
        })
    }

    /// The layout in words, for the bench to print.
    pub fn describe(&self, linux: bool) -> String {
        let n: u32 = self.per_host.iter().sum();
        let (lo, hi) = (
            self.per_host.iter().min().copied().unwrap_or(0),
            self.per_host.iter().max().copied().unwrap_or(0),
        );
        let each = if lo == hi {
            format!("{hi}")
        } else {
            format!("{lo}-{hi}")
        };
        let network = if linux {
            "one user-defined bridge"
        } else {
            "its default nat network"
        };
        let hosts = self.per_host.len();
        let s = if hosts == 1 { "" } else { "s" };
        format!("{n} containers on {hosts} host{s}, {each} on each, on {network}")
    }
}

/// The Windows workload: N containers on the default nat network of a Windows host (or of
/// several, when one network cannot hold them: [`WINDOWS_PER_HOST`]).
pub fn setup(n: u32, k: u32) -> Result<BridgeEcho, String> {
    let layout = Layout::spread(n, WINDOWS_PER_HOST)?;
    build_workload(&layout, k, None, &mut |_| {})
}

/// The Linux workload: N containers on one user-defined bridge network of a Linux host
/// running `engine` (or of several: [`LINUX_PER_HOST`]).
pub fn setup_linux(n: u32, k: u32, engine: DockerEngine) -> Result<BridgeEcho, String> {
    let layout = Layout::spread(n, LINUX_PER_HOST)?;
    build_workload(&layout, k, Some(engine), &mut |_| {})
}

/// Either workload laid out as `layout` (`linux`: the Linux one with that engine), calling
/// `started(i)` after the i-th `docker run` (1-based) so that a caller can show how far a
/// long set-up is.
pub fn setup_with_progress(
    layout: &Layout,
    k: u32,
    linux: Option<DockerEngine>,
    started: &mut dyn FnMut(u32),
) -> Result<BridgeEcho, String> {
    build_workload(layout, k, linux, started)
}

/// Host `h`'s name: `host` when it is the only one (the name the one-host workload always
/// had), else `host{h}`.
fn host_name(h: usize, hosts: usize) -> String {
    if hosts == 1 {
        "host".into()
    } else {
        format!("host{h}")
    }
}

fn build_workload(
    layout: &Layout,
    k: u32,
    linux: Option<DockerEngine>,
    started: &mut dyn FnMut(u32),
) -> Result<BridgeEcho, String> {
    let n: u32 = layout.per_host.iter().sum();
    if n < 2 || layout.per_host.iter().any(|c| *c < 2) {
        return Err("bridge-echo needs at least 2 containers on each host".into());
    }
    let hosts = layout.per_host.len();
    if hosts > 1 << 16 {
        return Err(format!(
            "bridge-echo lays out at most 65,536 hosts, not {hosts}"
        ));
    }
    let (os, nic, image) = match linux {
        None => (HostOs::default(), "Ethernet", IMAGE),
        Some(engine) => (HostOs::Linux { engine }, "eth0", LINUX_IMAGE),
    };
    // Host h on its own LAN, 10.(h / 256).(h % 256).0/24: hosts are not cabled (each one's
    // containers talk among themselves), but no two share an address.
    let host_specs = (0..hosts)
        .map(|h| HostSpec {
            name: host_name(h, hosts),
            os,
            sysctls: Vec::new(),
            nics: vec![InterfaceSpec {
                name: nic.into(),
                address: format!("10.{}.{}.2/24", h / 256, h % 256),
            }],
            gateway: None,
            routes: Vec::new(),
            dns_servers: Vec::new(),
            daemon: Default::default(),
            services: Vec::new(),
            firewall: Default::default(),
        })
        .collect();
    let spec = ScenarioSpec {
        title: "bridge-echo benchmark".into(),
        description: String::new(),
        seed: 1,
        limits: Default::default(),
        fabric: FabricSpec {
            hosts: host_specs,
            ..Default::default()
        },
        images: vec![ImageSpec {
            name: image.into(),
            services: vec![ServiceSpec::Udp(ECHO_PORT)],
            ..ImageSpec::default()
        }],
        steps: Vec::new(),
    };
    let mut world = build::build(&spec)?;
    world.engine.limits.max_events = u64::MAX;
    let mut nodes = Vec::with_capacity(n as usize);
    let mut dsts = Vec::with_capacity(n as usize);
    let mut i = 0u32;
    for (h, count) in layout.per_host.iter().enumerate() {
        let host = host_name(h, hosts);
        // On Linux a user-defined bridge: its default pool is a /16, room for a bridge's
        // 1,023 ports.
        let network = match linux {
            None => String::new(),
            Some(_) => {
                let r = world.docker(&host, "docker network create bench");
                if let Some(e) = r.error {
                    return Err(e);
                }
                " --network bench".to_string()
            }
        };
        for _ in 0..*count {
            let r = world.docker(
                &host,
                &format!("docker run -d --name c{i}{network} {image}"),
            );
            if let Some(e) = r.error {
                return Err(format!("container {} of {n} did not start: {e}", i + 1));
            }
            // Let its gratuitous ARP finish flooding before the next start (a real `docker
            // run` takes far longer than a flood): the frames in flight stay one flood's.
            world.wait(SimDuration::from_micros(20));
            i += 1;
            started(i);
        }
        let here = running_containers(&mut world, &host)?;
        let addrs = addresses(&world, &here)?;
        dsts.extend((0..here.len()).map(|j| addrs[(j + 1) % addrs.len()]));
        nodes.extend(here);
    }
    Ok(start(world, nodes, dsts, n, k, SimDuration::from_nanos(97)))
}

/// Runs the containers' start (each announces its address with a gratuitous ARP, flooded to
/// every port: part of setting up, not of the measured workload) and lists the running
/// containers of `host`, in creation order.
fn running_containers(
    world: &mut super::World,
    host: &str,
) -> Result<Vec<crate::id::NodeId>, String> {
    world.wait(SimDuration::from_millis(1));
    let h = world
        .hosts
        .iter()
        .find(|h| h.name == host)
        .ok_or_else(|| format!("no host {host}"))?;
    Ok(h.daemon
        .store
        .containers
        .iter()
        .filter(|c| c.state == ContainerState::Running)
        .filter_map(|c| c.sandbox)
        .collect())
}

/// The primary address of each container.
fn addresses(
    world: &super::World,
    nodes: &[crate::id::NodeId],
) -> Result<Vec<std::net::Ipv4Addr>, String> {
    nodes
        .iter()
        .map(|n| {
            world
                .engine
                .device(*n)
                .and_then(Device::as_stack)
                .and_then(|s| s.primary_addr())
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| "a container has no address".to_string())
}

/// Starts container `i`'s echo client towards `dsts[i]` and wraps the world up to be run.
fn start(
    mut world: super::World,
    nodes: Vec<crate::id::NodeId>,
    dsts: Vec<std::net::Ipv4Addr>,
    n: u32,
    k: u32,
    stagger: SimDuration,
) -> BridgeEcho {
    let interval = SimDuration::from_micros(100);
    for (i, (node, dst)) in nodes.iter().zip(dsts).enumerate() {
        // Stagger the start so that senders do not all fire in the same nanosecond.
        let delay = SimDuration::from_nanos(i as u64 * stagger.as_nanos());
        world.engine.invoke(*node, |d, out| {
            if let Some(s) = d.as_stack_mut() {
                s.start_echo_app(dst, ECHO_PORT, k, interval, delay, out);
            }
        });
    }
    BridgeEcho { world, nodes, n, k }
}

/// Builds a world from scenario text written here (so it is checked like any scenario).
fn world_from(text: &str) -> Result<super::World, String> {
    let loaded = crate::scenario::load_str("bench.ron", text).map_err(|d| {
        let first = d.first().map(|d| d.message.clone()).unwrap_or_default();
        format!("the benchmark's scenario does not load: {first}")
    })?;
    let mut world = build::build(&loaded.spec)?;
    world.engine.limits.max_events = u64::MAX;
    Ok(world)
}

fn docker(world: &mut super::World, host: &str, cmd: &str) -> Result<(), String> {
    match world.docker(host, cmd).error {
        Some(e) => Err(format!("{cmd}: {e}")),
        None => Ok(()),
    }
}

/// The server outside the host, on the host's LAN (10 Gb/s links, so that N senders at one
/// datagram per 100 us each never fill a queue).
const NAT_OUT: &str = r#"ScenarioSpec(
    title: "nat-out benchmark",
    seed: 1,
    fabric: (
        switches: [(name: "lan")],
        externals: [(
            name: "server",
            interfaces: [(name: "eth0", address: "10.0.0.100/24")],
            services: [Udp(7)],
        )],
        hosts: [(name: "host", nics: [(name: "Ethernet", address: "10.0.0.2/24")])],
        links: [
            (a: "host.Ethernet", b: "lan", latency_us: 1, bandwidth_mbps: 10000),
            (a: "server.eth0", b: "lan", latency_us: 1, bandwidth_mbps: 10000),
        ],
    ),
    images: [(name: "mcr.microsoft.com/windows/nanoserver:ltsc2022", services: [])],
)"#;

/// `nat-out`: N containers on the default nat network of one Windows host, each sending K
/// UDP echo requests, 100 us apart, to a server on the host's LAN (10.0.0.100:7). WinNAT
/// translates every request to the host's address and every answer back.
pub fn setup_nat_out(n: u32, k: u32) -> Result<BridgeEcho, String> {
    if n < 1 {
        return Err("nat-out needs at least 1 container".into());
    }
    let mut world = world_from(NAT_OUT)?;
    for i in 0..n {
        docker(
            &mut world,
            "host",
            &format!("docker run -d --name c{i} {IMAGE}"),
        )?;
    }
    let nodes = running_containers(&mut world, "host")?;
    let server = std::net::Ipv4Addr::new(10, 0, 0, 100);
    let dsts = vec![server; nodes.len()];
    // Senders spread evenly over the interval: one server answers them all.
    let stagger = SimDuration::from_nanos(100_000 / u64::from(n));
    Ok(start(world, nodes, dsts, n, k, stagger))
}

/// Two Windows hosts on one switch, in one swarm.
const OVERLAY: &str = r#"ScenarioSpec(
    title: "overlay-echo benchmark",
    seed: 1,
    fabric: (
        switches: [(name: "tor")],
        hosts: [
            (name: "manager", nics: [(name: "Ethernet", address: "192.168.1.21/24")]),
            (name: "worker", nics: [(name: "Ethernet", address: "192.168.1.22/24")]),
        ],
        links: [
            (a: "manager.Ethernet", b: "tor", latency_us: 1, bandwidth_mbps: 10000),
            (a: "worker.Ethernet", b: "tor", latency_us: 1, bandwidth_mbps: 10000),
        ],
    ),
    images: [(name: "mcr.microsoft.com/windows/nanoserver:ltsc2022", services: [Udp(7)])],
)"#;

/// `overlay-echo`: N containers (N even) on one attachable swarm overlay network, half on
/// each of two Windows hosts; container i sends K UDP echo requests, 100 us apart, to
/// container i on the other host, so every frame is wrapped in VXLAN by one host's VFP and
/// unwrapped by the other's.
pub fn setup_overlay_echo(n: u32, k: u32) -> Result<BridgeEcho, String> {
    if n < 2 || n % 2 == 1 {
        return Err("overlay-echo needs an even number of containers, at least 2".into());
    }
    let mut world = world_from(OVERLAY)?;
    docker(
        &mut world,
        "manager",
        "docker swarm init --advertise-addr 192.168.1.21",
    )?;
    docker(
        &mut world,
        "worker",
        "docker swarm join --token SWMTKN-1-bench 192.168.1.21:2377",
    )?;
    docker(
        &mut world,
        "manager",
        "docker network create -d overlay --attachable --subnet 10.244.0.0/16 \
         -o com.docker.network.driver.overlay.vxlanid_list=4097 bench",
    )?;
    for i in 0..n / 2 {
        for host in ["manager", "worker"] {
            let cmd = format!("docker run -d --name {host}{i} --network bench {IMAGE}");
            docker(&mut world, host, &cmd)?;
        }
    }
    let here = running_containers(&mut world, "manager")?;
    let there = running_containers(&mut world, "worker")?;
    let (a, b) = (addresses(&world, &here)?, addresses(&world, &there)?);
    let nodes: Vec<_> = here.iter().chain(&there).copied().collect();
    let dsts = b.iter().chain(&a).copied().collect();
    // Senders spread evenly over the interval: every frame crosses the one underlay link.
    let stagger = SimDuration::from_nanos(100_000 / u64::from(n));
    Ok(start(world, nodes, dsts, n, k, stagger))
}

impl BridgeEcho {
    /// Runs the workload to the end and counts what came back. The world stays with the
    /// caller: freeing 100,000 containers' devices is not part of the workload.
    // Never inlined: profiles count the run alone by this function's name
    // (`valgrind --toggle-collect=sim_core::sim::bench::BridgeEcho::run`, README).
    #[inline(never)]
    pub fn run(&mut self) -> BenchResult {
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
