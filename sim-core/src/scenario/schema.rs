//! The scenario file schema: what a user writes in a `.ron` file, exactly as written.
//!
//! Owns the `*Spec` types (serde, `deny_unknown_fields`). These are raw input: names are
//! plain strings and addresses are unparsed text, so that a bad address becomes a positioned
//! diagnostic in `validate`, never a panic. Nothing here runs anything.

use crate::control::HostOs;
use serde::{Deserialize, Serialize};

/// A whole scenario file: the fabric, the container images, and the steps to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// A one-line title shown at the top of the report.
    pub title: String,
    /// Free text for the reader: what the scenario teaches or guards.
    #[serde(default)]
    pub description: String,
    /// The master seed of the run. Every random choice (HNS prefixes, IPs, MACs, ports, loss) derives from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub limits: LimitsSpec,
    pub fabric: FabricSpec,
    #[serde(default)]
    pub images: Vec<ImageSpec>,
    #[serde(default)]
    pub steps: Vec<StepSpec>,
}

pub fn default_seed() -> u64 {
    1
}

/// Bounds of a run. A run that hits one says so in its report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    #[serde(default = "default_max_events")]
    pub max_events: u64,
    #[serde(default = "default_max_sim_time_ms")]
    pub max_sim_time_ms: u64,
    /// How long a probe waits for an answer before it counts as dropped.
    #[serde(default = "default_probe_timeout_ms")]
    pub probe_timeout_ms: u64,
    /// The most memory the run may keep, in MiB: trace hops with their frame copies, queued
    /// events and frames, recorded frames (counted as they are kept, not measured).
    #[serde(default = "default_max_memory_mb")]
    pub max_memory_mb: u64,
    /// The most hops a probe's trace keeps; the report says how many it left out.
    #[serde(default = "default_max_trace_hops")]
    pub max_trace_hops: u32,
    /// How many copies of one broadcast frame one port may receive within a second before
    /// the run stops as a broadcast storm.
    #[serde(default = "default_storm_copies")]
    pub storm_copies: u64,
}

pub fn default_max_events() -> u64 {
    10_000_000
}
pub fn default_max_sim_time_ms() -> u64 {
    3_600_000
}
pub fn default_probe_timeout_ms() -> u64 {
    3_000
}
pub fn default_max_memory_mb() -> u64 {
    256
}
pub fn default_max_trace_hops() -> u32 {
    10_000
}
pub fn default_storm_copies() -> u64 {
    100
}

impl Default for LimitsSpec {
    fn default() -> Self {
        LimitsSpec {
            max_events: default_max_events(),
            max_sim_time_ms: default_max_sim_time_ms(),
            probe_timeout_ms: default_probe_timeout_ms(),
            max_memory_mb: default_max_memory_mb(),
            max_trace_hops: default_max_trace_hops(),
            storm_copies: default_storm_copies(),
        }
    }
}

/// The physical world: switches, routers, outside hosts, container hosts and the cables between them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FabricSpec {
    #[serde(default)]
    pub switches: Vec<SwitchSpec>,
    #[serde(default)]
    pub routers: Vec<RouterSpec>,
    #[serde(default)]
    pub externals: Vec<ExternalSpec>,
    #[serde(default)]
    pub hosts: Vec<HostSpec>,
    #[serde(default)]
    pub links: Vec<LinkSpec>,
}

/// A physical L2 switch. It learns MACs; its ports are made by the links that end on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchSpec {
    pub name: String,
    /// What the switch is (default: a physical switch).
    #[serde(default)]
    pub kind: SwitchKindSpec,
    /// Loop prevention on a physical switch (default: `Off`, as on an unmanaged switch).
    #[serde(default)]
    pub spanning_tree: SpanningTreeSpec,
    /// The bridge priority for the spanning tree's root election: a multiple of 4096 from 0
    /// to 61440, lowest wins (default 32768; equal priorities are decided by the MAC).
    #[serde(default)]
    pub bridge_priority: Option<u16>,
}

/// Whether a physical switch runs a spanning tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SpanningTreeSpec {
    /// No loop prevention: two paths between switches make a broadcast storm.
    #[default]
    Off,
    /// Rapid Spanning Tree (IEEE 802.1w): the switches elect a root bridge and keep one port
    /// of every loop discarding; it takes over when a cable fails.
    Rstp,
}

/// A physical switch, or the Hyper-V switch of the machine that container hosts run on as VMs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SwitchKindSpec {
    /// A physical switch: learns MACs, floods unknown unicast.
    #[default]
    Physical,
    /// A Hyper-V host's external vSwitch with container hosts as VMs on it. Each VM's port
    /// drops frames whose source MAC is not the VM's own, unless the link sets
    /// `mac_spoofing: Some(true)`.
    HyperV,
    /// The physical Azure host under Azure VMs: MAC spoofing cannot be turned on, its SDN policy
    /// applies to every frame, and it hair-pins frames back to the VM they came from.
    AzureHost,
}

/// One addressed interface of a router, external host or container host, e.g.
/// `(name: "eth0", address: "10.0.0.1/24")`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceSpec {
    pub name: String,
    /// IPv4 address with prefix length, e.g. "10.0.0.11/24".
    pub address: String,
}

/// A static route: `(to: "10.1.0.0/16", via: "10.0.0.2")`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    pub to: String,
    pub via: String,
}

/// A physical router: forwards between its interfaces by its static and connected routes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterSpec {
    pub name: String,
    /// What the router is (default: a physical router).
    #[serde(default)]
    pub kind: RouterKindSpec,
    pub interfaces: Vec<InterfaceSpec>,
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
}

/// A physical router, or an Azure virtual network gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RouterKindSpec {
    #[default]
    Physical,
    /// The gateway of an Azure virtual network: l2tunnel traffic to the outside goes through it.
    VnetGateway,
}

/// A service listening on an outside host or in a container.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServiceSpec {
    /// A TCP listener that accepts connections.
    Tcp(u16),
    /// A UDP listener that echoes every datagram back to its sender.
    Udp(u16),
}

/// Splits services into (TCP ports, UDP ports).
pub fn split_services(services: &[ServiceSpec]) -> (Vec<u16>, Vec<u16>) {
    let (mut tcp, mut udp) = (Vec::new(), Vec::new());
    for s in services {
        match s {
            ServiceSpec::Tcp(p) => tcp.push(*p),
            ServiceSpec::Udp(p) => udp.push(*p),
        }
    }
    (tcp, udp)
}

/// A host outside the container hosts, e.g. "internet" or a client on the LAN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalSpec {
    pub name: String,
    pub interfaces: Vec<InterfaceSpec>,
    /// Default gateway address.
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default)]
    pub services: Vec<ServiceSpec>,
    /// If not empty, this host runs a DNS server on UDP 53 answering these A records:
    /// `[("internet.example", "203.0.113.10")]`.
    #[serde(default)]
    pub dns_records: Vec<(String, String)>,
    /// If set, this host runs a DHCP server on the interface whose subnet holds the pool.
    #[serde(default)]
    pub dhcp_server: Option<DhcpServerSpec>,
    /// If set, this host runs busybox httpd on a TCP port serving these pages, which
    /// `wget` typed anywhere gets: `Some((port: 8080, pages: [("/", Text("outside-ok\n")),
    /// ("/cgi-bin/ip", ClientAddress)]))`.
    #[serde(default)]
    pub http: Option<HttpSiteSpec>,
}

/// A web site: busybox httpd on `port`, with its pages by path (`/` is `/index.html`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSiteSpec {
    pub port: u16,
    pub pages: Vec<(String, HttpPageSpec)>,
}

/// What one path of a site serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HttpPageSpec {
    /// A file: these bytes.
    Text(String),
    /// A CGI printing the client's address as this host saw it (after any NAT), and a newline.
    ClientAddress,
}

/// A DHCP server's pool and the options it hands out, e.g.
/// `(pool_start: "10.0.0.100", pool_end: "10.0.0.199", router: Some("10.0.0.1"))`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DhcpServerSpec {
    pub pool_start: String,
    pub pool_end: String,
    #[serde(default)]
    pub router: Option<String>,
    #[serde(default)]
    pub dns: Vec<String>,
}

/// The docker daemon settings of a host (daemon.json).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonSpec {
    /// `"fixed-cidr"`: the prefix of the default network (Windows' nat, Linux's docker0)
    /// containers get addresses from.
    #[serde(default)]
    pub fixed_cidr: Option<String>,
    /// `"bridge": "none"` turns off the default network.
    #[serde(default)]
    pub bridge: Option<String>,
    /// `"dns"`: default DNS servers for containers.
    #[serde(default)]
    pub dns: Vec<String>,
    /// Linux: `"bip"`, docker0's address and prefix (`"172.26.0.1/16"`).
    #[serde(default)]
    pub bip: Option<String>,
    /// Linux: `"default-address-pools"`, as `[("10.10.0.0/16", 24)]` (base, size).
    #[serde(default)]
    pub default_address_pools: Vec<(String, u8)>,
    /// Linux: `"icc"` (default true).
    #[serde(default)]
    pub icc: Option<bool>,
    /// Linux: `"ip-masq"` (default true).
    #[serde(default)]
    pub ip_masq: Option<bool>,
    /// Linux: `"iptables"` (default true).
    #[serde(default)]
    pub iptables: Option<bool>,
    /// Linux: `"ip-forward"` (default true).
    #[serde(default)]
    pub ip_forward: Option<bool>,
    /// Linux: `"userland-proxy"` (default true).
    #[serde(default)]
    pub userland_proxy: Option<bool>,
    /// Linux: `"mtu"` of docker0 and its veths (default 1500).
    #[serde(default)]
    pub mtu: Option<u16>,
}

/// A Windows container host: its physical NICs, its OS version and its docker daemon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    pub name: String,
    /// The host's OS: a Windows release by the names `WindowsVersion` gives them
    /// (`WindowsServer2022`), or `Linux(engine: V29)` with a Docker Engine release.
    #[serde(default)]
    pub os: HostOs,
    pub nics: Vec<InterfaceSpec>,
    #[serde(default)]
    pub gateway: Option<String>,
    /// Persistent static routes of the host (`route -p add`, `New-NetRoute`), e.g. to another
    /// host's l2bridge container subnet through that host's address.
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
    /// The host's own DNS servers (HNS gives them to nat endpoints as upstreams; a Linux
    /// host's `/etc/resolv.conf`).
    #[serde(default)]
    pub dns_servers: Vec<String>,
    /// Linux: kernel settings at boot, e.g. `[("net.ipv4.ip_forward", "1")]`.
    #[serde(default)]
    pub sysctls: Vec<(String, String)>,
    #[serde(default)]
    pub daemon: DaemonSpec,
    /// Services listening on the host itself (each comes with the inbound firewall rule its
    /// installer adds).
    #[serde(default)]
    pub services: Vec<ServiceSpec>,
    /// The host's own Windows Defender Firewall beyond its defaults.
    #[serde(default)]
    pub firewall: HostFirewallSpec,
}

/// A container host's Windows Defender Firewall. Its defaults (inbound: block, outbound:
/// allow) hold unless this says otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostFirewallSpec {
    /// `false`: the firewall is off (`Set-NetFirewallProfile -Enabled False`).
    #[serde(default = "default_firewall_enabled")]
    pub enabled: bool,
    /// Further inbound allow rules (`New-NetFirewallRule -Direction Inbound -Action Allow`).
    #[serde(default)]
    pub allow: Vec<FirewallAllowSpec>,
}

impl Default for HostFirewallSpec {
    fn default() -> Self {
        HostFirewallSpec {
            enabled: true,
            allow: Vec::new(),
        }
    }
}

fn default_firewall_enabled() -> bool {
    true
}

/// What an inbound allow rule of a host's firewall lets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FirewallAllowSpec {
    /// ICMP echo requests: the built-in "File and Printer Sharing (Echo Request - ICMPv4-In)"
    /// rule, enabled.
    Icmp,
    Tcp(u16),
    Udp(u16),
}

/// How a switch port treats VLANs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PortModeSpec {
    /// Untagged frames belong to this VLAN.
    Access(u16),
    /// Tagged frames of these VLANs pass; untagged frames belong to the native VLAN 1.
    Trunk(Vec<u16>),
}

/// A cable. Each end is `"node"` (switches) or `"node.interface"` (routers, externals, host NICs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub a: String,
    pub b: String,
    /// A name for `LinkDown`/`LinkUp` steps; defaults to "a<->b".
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default = "default_latency_us")]
    pub latency_us: u64,
    #[serde(default = "default_bandwidth_mbps")]
    pub bandwidth_mbps: u64,
    /// Probability in percent that a frame is lost on this link.
    #[serde(default)]
    pub loss_percent: f64,
    /// VLAN mode of the switch port at whichever end is a switch (default: access VLAN 1).
    #[serde(default)]
    pub switch_port: Option<PortModeSpec>,
    /// On a `HyperV` switch: whether the VM's port allows MAC address spoofing (default: off).
    #[serde(default)]
    pub mac_spoofing: Option<bool>,
}

pub fn default_latency_us() -> u64 {
    50
}
pub fn default_bandwidth_mbps() -> u64 {
    1_000
}

/// A container image: the services its containers listen on, and the files hnsim knows in
/// it (what a busybox `httpd` in a Linux container serves).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    pub name: String,
    #[serde(default)]
    pub services: Vec<ServiceSpec>,
    /// The image's working directory (`WORKDIR`), where a process started without one runs.
    #[serde(default)]
    pub workdir: Option<String>,
    /// Files in the image: (absolute path, contents).
    #[serde(default)]
    pub files: Vec<(String, String)>,
}

/// The transport of a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProtoSpec {
    Icmp,
    Tcp(u16),
    Udp(u16),
}

/// How a probe ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutcomeSpec {
    Delivered,
    Refused,
    Dropped,
}

/// What a docker command step is expected to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CommandExpectSpec {
    /// The command succeeds (the default).
    Succeeds,
    /// The command is refused with an error containing this text.
    Fails(String),
    /// For `docker exec NAME ping|curl|nslookup ...`: the probe ends this way.
    Probe(OutcomeSpec),
}

/// One step of a scenario, run in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StepSpec {
    /// A docker command line exactly as typed on `host`.
    Docker {
        host: String,
        cmd: String,
        #[serde(default)]
        expect: Option<CommandExpectSpec>,
    },
    /// A command line as typed in a shell on a container host or a fabric node: a Linux
    /// host tool (`iptables -L FORWARD -n -v`, `iptables-save`, `ip route`, `bridge fdb`,
    /// `conntrack -L`, `sysctl -w ...`, `nsenter -t PID -n ...`) or a docker line. The report
    /// shows what it printed and its exit status. `expect`: `Succeeds` (exit status 0, the
    /// default), `Fails("text")` (a non-zero status with the text on stderr or stdout).
    Shell {
        on: String,
        cmd: String,
        #[serde(default)]
        expect: Option<CommandExpectSpec>,
    },
    /// A probe from a container, host or outside node to a name or an address.
    Probe {
        from: String,
        to: String,
        #[serde(default = "default_proto")]
        proto: ProtoSpec,
        #[serde(default)]
        expect: Option<OutcomeSpec>,
        /// The cell of the documented connectivity matrix this probe stands for
        /// (`hnsim matrix` reads it; a plain run only prints it).
        #[serde(default)]
        cell: Option<MatrixCell>,
        /// A name for the probe, unique in the scenario: shown in the report, in the JSON
        /// report, in capture comments, and what `hnsim diff` matches probes by.
        #[serde(default)]
        name: Option<String>,
    },
    /// Declare services on a running container, in addition to its image's.
    Listen {
        host: String,
        container: String,
        services: Vec<ServiceSpec>,
    },
    /// An HNS endpoint in the host's own compartment on a network, holding `ip` (default: the
    /// network's gateway), with IP forwarding on: what `New-HnsEndpoint -NetworkId … -IPAddress
    /// … | Attach-HnsHostEndpoint -CompartmentID 1` and `netsh … forwarding=enabled` do. It
    /// makes the host the gateway of an l2bridge network on a custom subnet (the docs'
    /// second l2bridge set-up).
    HostEndpoint {
        host: String,
        network: String,
        #[serde(default)]
        ip: Option<String>,
    },
    /// Reboot a container host: HNS state and the daemon restart as on the real OS version.
    Reboot {
        host: String,
    },
    LinkDown {
        link: String,
    },
    LinkUp {
        link: String,
    },
    /// A NIC of a container host fails: the cable on it goes down, as the host sees it (a NIC
    /// bound to an external vSwitch is that vSwitch's uplink cable).
    NicDown {
        host: String,
        nic: String,
    },
    /// A failed NIC comes back: the cable on it comes back up.
    NicUp {
        host: String,
        nic: String,
    },
    /// Faults on a link from now on, in both directions, until the next `Impair` of the link:
    /// `loss`, `duplicate` and `reorder` are probabilities per frame (0.0 to 1.0; a
    /// reordered frame is held back 1 ms so frames sent after it overtake it), `latency_ms` is
    /// added to every frame and `jitter_ms` is the most added on top, drawn per frame. Draws
    /// come from the run's seed. `Impair(link: "lan")`, with no fault, clears them.
    Impair {
        link: String,
        #[serde(default)]
        loss: f64,
        #[serde(default)]
        latency_ms: u64,
        #[serde(default)]
        jitter_ms: u64,
        #[serde(default)]
        duplicate: f64,
        #[serde(default)]
        reorder: f64,
    },
    /// A partition called `name`: every listed link, and every cable of every listed node
    /// (a host's NIC cables, a fabric node's links), goes down at once, until `Heal`.
    Partition {
        name: String,
        #[serde(default)]
        links: Vec<String>,
        #[serde(default)]
        nodes: Vec<String>,
    },
    /// The partition `name` heals: the links it took down come back up.
    Heal {
        name: String,
    },
    /// A container host fails (power lost): every NIC cable goes down, nothing reaches it.
    HostDown {
        host: String,
    },
    /// A failed host comes back: it boots (what a `Reboot` keeps and loses) and its cables
    /// come back up.
    HostUp {
        host: String,
    },
    /// A system service on a container host restarts: `Docker` (dockerd: containers stop,
    /// networks are kept) or `Hns` (Windows' Host Network Service: NAT sessions are lost).
    RestartService {
        host: String,
        service: SystemService,
    },
    /// Let simulated time pass.
    Wait {
        ms: u64,
    },
    /// Runs `do` (a Docker, LinkDown, LinkUp, NicDown, NicUp, Reboot, Impair, Partition,
    /// Heal, HostDown, HostUp or RestartService step) at `ms`
    /// milliseconds of simulated time since the start of the run, while the steps after this
    /// one run: `At(ms: 1500, do: LinkDown(link: "wan"))`.
    At {
        ms: u64,
        #[serde(rename = "do")]
        step: Box<StepSpec>,
    },
    /// A sentence for the reader, echoed in the report.
    Note(String),
}

/// A service of a container host that a `RestartService` step restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SystemService {
    /// The docker daemon.
    Docker,
    /// Windows' Host Network Service.
    Hns,
}

pub fn default_proto() -> ProtoSpec {
    ProtoSpec::Icmp
}

/// A column of the documented connectivity matrix ("C→C" = container to container), in the
/// docs' order. A `Probe` tagged with one stands for that cell in `hnsim matrix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MatrixCell {
    SameHostSameSubnet,
    SameHostCrossSubnet,
    ToExternal,
    CrossHostSameSubnet,
    CrossHostCrossSubnet,
}

impl MatrixCell {
    /// Every cell, in the docs' column order.
    pub const ALL: [MatrixCell; 5] = [
        MatrixCell::SameHostSameSubnet,
        MatrixCell::SameHostCrossSubnet,
        MatrixCell::ToExternal,
        MatrixCell::CrossHostSameSubnet,
        MatrixCell::CrossHostCrossSubnet,
    ];

    /// The cell's key in `hnsim matrix --format json` and in reports: `same_host_same_subnet`, ...
    pub fn key(self) -> &'static str {
        match self {
            MatrixCell::SameHostSameSubnet => "same_host_same_subnet",
            MatrixCell::SameHostCrossSubnet => "same_host_cross_subnet",
            MatrixCell::ToExternal => "to_external",
            MatrixCell::CrossHostSameSubnet => "cross_host_same_subnet",
            MatrixCell::CrossHostCrossSubnet => "cross_host_cross_subnet",
        }
    }
}
