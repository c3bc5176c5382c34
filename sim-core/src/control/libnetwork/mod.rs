//! The Linux host's control plane: what libnetwork and its drivers (bridge, host, null) turn
//! docker's requests into, as plans of configuration for the generic devices.
//!
//! Owns the networks and endpoints libnetwork knows on one host, the default IPAM (`pools`
//! for subnets, an `IpPool` per network for addresses), and the bridge driver's plans: a
//! bridge interface in the host's namespace holding the gateway address, a veth pair per
//! endpoint (the host end enslaved to the bridge, the container end its `eth<n>` with its
//! address, MAC and routes), and the netfilter rules each Docker Engine release programs
//! (`iptables`). It configures devices and never touches a packet; the daemon's Linux
//! backend (`docker::linux`) decides what to ask for and in which words to refuse.

pub mod iptables;
pub mod pools;
pub mod proxy;

use crate::control::engine::DockerEngine;
use crate::control::ipam::IpPool;
use crate::control::plan::{self, Item, Plan, Planner};
use crate::control::HostNodes;
use crate::device::rules::Owner;
use crate::device::stack::{BridgeConfig, BridgePort, IfaceConfig, Route};
use crate::device::Device;
use crate::engine::Engine;
use crate::id::{NodeId, PortId};
use crate::rng::SimRng;
use crate::time::SimDuration;
use crate::wire::MacAddr;
use ipnetwork::Ipv4Network;
use pools::{AddressSpace, Pool};
use std::net::Ipv4Addr;

/// daemon.json settings of a Linux host that libnetwork reads.
#[derive(Clone, Debug)]
pub struct LinuxDaemonConfig {
    /// `bip`: docker0's address and prefix (default 172.17.0.1/16, or the first free pool).
    pub bip: Option<Ipv4Network>,
    /// `fixed-cidr`: the part of docker0's subnet containers get addresses from.
    pub fixed_cidr: Option<Ipv4Network>,
    /// `default-address-pools`: replaces the built-in local pools.
    pub default_address_pools: Option<Vec<Pool>>,
    /// `bridge: "none"`: no default bridge network.
    pub bridge_none: bool,
    pub icc: bool,
    pub ip_masq: bool,
    /// `iptables: false`: the daemon programs no rules at all.
    pub iptables: bool,
    /// `ip-forward`: the daemon turns `net.ipv4.ip_forward` on.
    pub ip_forward: bool,
    pub userland_proxy: bool,
    pub mtu: u16,
    /// `dns`: servers for containers' resolv.conf (default: the host's).
    pub dns: Vec<Ipv4Addr>,
}

impl Default for LinuxDaemonConfig {
    fn default() -> Self {
        LinuxDaemonConfig {
            bip: None,
            fixed_cidr: None,
            default_address_pools: None,
            bridge_none: false,
            icc: true,
            ip_masq: true,
            iptables: true,
            ip_forward: true,
            userland_proxy: true,
            mtu: 1500,
            dns: Vec::new(),
        }
    }
}

/// What a bridge network is asked to be (the bridge driver's options, parsed).
#[derive(Clone, Debug)]
pub struct BridgeRequest {
    /// Docker's id for the network; the device is `br-<first 12>` unless `name` is given.
    pub id: String,
    pub name: Option<String>,
    /// `--subnet` (a static subnet) or `None` for a pool's next one.
    pub subnet: Option<Ipv4Network>,
    /// `--subnet 0.0.0.0/<len>`: any pool, this length.
    pub prefix_only: Option<u8>,
    pub gateway: Option<Ipv4Addr>,
    pub ip_range: Option<Ipv4Network>,
    pub aux: Vec<Ipv4Addr>,
    pub icc: bool,
    pub masquerade: bool,
    pub internal: bool,
    pub mtu: u16,
    pub host_binding: Ipv4Addr,
    /// The predefined `bridge` network on docker0.
    pub default_bridge: bool,
}

/// Why libnetwork refused a request (the backend words it for the engine release).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LnError {
    PoolsExhausted,
    PoolOverlap,
    GatewayOutOfRange(Ipv4Addr),
    SameBridgeName {
        other: String,
        bridge: String,
    },
    AddressInUse,
    NoAddresses,
    OutOfRange(Ipv4Addr),
    /// The network is not libnetwork's any more (docker0 taken over).
    NoNetwork(String),
    /// The bridge has all the ports a Linux bridge can have: enslaving the endpoint's veth
    /// failed with EXFULL (`br_add_if`).
    BridgeFull {
        veth: String,
        bridge: String,
    },
}

/// The most interfaces a Linux bridge holds: the kernel numbers its ports in
/// `BR_MAX_PORTS` (1,024) bits and never uses port 0 (`find_portno` in
/// `net/bridge/br_if.c`), so the 1,024th `br_add_if` returns EXFULL. Recorded on the oracle
/// (docker 20.10.24, kernel of this machine): 1,022 veths of our own on a user bridge, one
/// container starts, the next fails with `adding interface vethXXXXXXX to bridge br-... failed:
/// exchange full`.
pub const BRIDGE_MAX_PORTS: usize = 1023;

/// A bridge network as libnetwork keeps it.
#[derive(Clone, Debug)]
pub struct BridgeNetwork {
    pub id: String,
    /// The Linux bridge device: `docker0`, `br-<id12>` or the user's name.
    pub device: String,
    /// The bridge's interface in the host's namespace.
    pub port: PortId,
    pub mac: MacAddr,
    pub subnet: Ipv4Network,
    pub gateway: Ipv4Addr,
    /// Container addresses come from here (the subnet, or `--ip-range`/`fixed-cidr`).
    pub range: Option<Ipv4Network>,
    pub pool: IpPool,
    pub user_subnet: bool,
    pub icc: bool,
    pub masquerade: bool,
    pub internal: bool,
    pub mtu: u16,
    pub host_binding: Ipv4Addr,
    pub default_bridge: bool,
    /// What the network installed.
    pub plan: Plan,
}

impl BridgeNetwork {
    /// The address the next endpoint without `--ip` will get.
    pub fn next_address(&self) -> Option<Ipv4Addr> {
        allocate_in(&mut self.pool.clone(), self.range)
    }
}

/// A published port of an endpoint, as the bridge driver maps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortMap {
    pub proto: u8,
    /// The host address it is bound to: `0.0.0.0`, `::` (the IPv6 twin of a binding with
    /// no address, for listings and the proxy; no IPv6 rules are modelled) or one address.
    pub host_ip: std::net::IpAddr,
    pub host_port: u16,
    pub container_port: u16,
}

/// An endpoint: a container's interface on a bridge network.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub id: String,
    pub network_id: String,
    pub sandbox: NodeId,
    pub ip: Ipv4Addr,
    pub prefix: u8,
    pub gateway: Option<Ipv4Addr>,
    pub mac: MacAddr,
    /// The container's interface name (`eth0`, `eth1`, ...) and its port in the sandbox.
    pub ifname: String,
    pub ifport: PortId,
    /// The host end of the veth pair.
    pub veth: String,
    pub veth_port: PortId,
    pub ports: Vec<PortMap>,
    pub plan: Plan,
}

/// What an endpoint is asked to be.
#[derive(Clone, Debug)]
pub struct EndpointRequest {
    pub id: String,
    pub network_id: String,
    pub sandbox: NodeId,
    pub ip: Option<Ipv4Addr>,
    /// `--mac-address`.
    pub mac: Option<MacAddr>,
    pub ifname: String,
    /// Whether this endpoint gives the container its default route.
    pub default_route: bool,
    pub ports: Vec<PortMap>,
}

/// libnetwork on one Linux host.
pub struct Libnetwork {
    pub engine: DockerEngine,
    pub config: LinuxDaemonConfig,
    rng: SimRng,
    pub space: AddressSpace,
    pub networks: Vec<BridgeNetwork>,
    pub endpoints: Vec<Endpoint>,
    /// The rules the daemon programs once at start (the `DOCKER` chains and their jumps).
    pub base: Option<Plan>,
    /// Prefixes a dynamic subnet must avoid: the host's routes and nameservers.
    pub reserved: Vec<Ipv4Network>,
    /// Each sandbox's default route: (sandbox, the endpoint it goes through, its plan).
    pub default_routes: Vec<(NodeId, String, Plan)>,
    next_owner: u64,
}

/// How long a Linux bridge keeps a learned MAC (`ageing_time`, 300 s by default).
const BRIDGE_AGEING: SimDuration = SimDuration::from_secs(300);

impl Libnetwork {
    pub fn new(engine: DockerEngine, config: LinuxDaemonConfig, rng: SimRng) -> Self {
        let pools = config
            .default_address_pools
            .clone()
            .unwrap_or_else(pools::default_local_pools);
        Libnetwork {
            space: AddressSpace::new(&pools, engine.pool_order()),
            engine,
            config,
            rng,
            networks: Vec::new(),
            endpoints: Vec::new(),
            base: None,
            reserved: Vec::new(),
            default_routes: Vec::new(),
            next_owner: 1,
        }
    }

    fn owner(&mut self) -> Owner {
        let o = Owner(self.next_owner);
        self.next_owner += 1;
        o
    }

    /// An owner for a plan the daemon's backend installs itself (the embedded DNS rules in
    /// a container's namespace).
    pub fn new_owner(&mut self) -> Owner {
        self.owner()
    }

    pub fn network(&self, id: &str) -> Option<&BridgeNetwork> {
        self.networks.iter().find(|n| n.id == id)
    }

    pub fn endpoint(&self, id: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.id == id)
    }

    /// A locally administered MAC: `02:42:` and four random bytes, as docker0 gets.
    fn random_mac(&mut self) -> MacAddr {
        let b = ((self.rng.next_u64() >> 32) as u32).to_be_bytes();
        MacAddr::new(0x02, 0x42, b[0], b[1], b[2], b[3])
    }

    /// An endpoint's MAC: `02:42:` and its IPv4 address up to v27, random from v28.
    fn endpoint_mac(&mut self, ip: Ipv4Addr) -> MacAddr {
        if self.engine.mac_from_ip() {
            let o = ip.octets();
            MacAddr::new(0x02, 0x42, o[0], o[1], o[2], o[3])
        } else {
            let b = self.rng.next_u64().to_be_bytes();
            MacAddr::new((b[0] & 0xfe) | 0x02, b[1], b[2], b[3], b[4], b[5])
        }
    }

    /// The host end of a veth pair: `veth` and seven hex digits.
    fn veth_name(&mut self) -> String {
        format!("veth{:07x}", self.rng.next_u64() >> 36)
    }

    /// The daemon's start: the netfilter chains it always programs (unless `iptables:
    /// false`), and `ip_forward` turned on with the FORWARD policy set to DROP when the daemon
    /// had to change it.
    pub fn start(&mut self, eng: &mut Engine, host: &HostNodes) {
        if self.base.is_some() {
            return;
        }
        let owner = self.owner();
        let mut p = Planner::new(eng, owner);
        let changed_forwarding = self.config.ip_forward
            && eng
                .device(host.stack)
                .and_then(|d| d.as_stack())
                .is_some_and(|s| !s.config.forwarding);
        if self.config.iptables {
            iptables::base(self, &mut p, host.stack, changed_forwarding);
        }
        let plan = p.finish();
        plan::apply(eng, &plan);
        if self.config.ip_forward {
            if let Some(s) = eng.device_mut(host.stack).and_then(|d| d.as_stack_mut()) {
                s.config.forwarding = true;
            }
        }
        self.base = Some(plan);
    }

    /// Creates a bridge network: its subnet (the user's, or the next free pool), its
    /// gateway, the bridge interface holding it, and the rules of its release.
    pub fn create_bridge(
        &mut self,
        eng: &mut Engine,
        host: &HostNodes,
        req: BridgeRequest,
    ) -> Result<&BridgeNetwork, LnError> {
        let device = req
            .name
            .clone()
            .unwrap_or_else(|| format!("br-{}", &req.id[..12.min(req.id.len())]));
        if let Some(i) = self.networks.iter().position(|n| n.device == device) {
            let other = &self.networks[i];
            if !(other.default_bridge && self.engine.user_network_takes_docker0()) {
                return Err(LnError::SameBridgeName {
                    other: other.id.clone(),
                    bridge: device,
                });
            }
            // 20.10 lets a user network take docker0 over (contradiction #10): the default
            // bridge's interface and rules go, its subnet stays allocated, and its later
            // endpoints find no network.
            let gone = self.networks.remove(i);
            plan::remove(eng, &gone.plan);
        }
        let (subnet, user_subnet) = match req.subnet {
            Some(s) => {
                self.space.allocate_static(s).map_err(pool_error)?;
                (s, true)
            }
            None => (
                self.space
                    .allocate_dynamic(&self.reserved, req.prefix_only)
                    .map_err(pool_error)?,
                false,
            ),
        };
        let gateway = match req.gateway {
            Some(g) if !subnet.contains(g) => {
                self.space.release(subnet);
                return Err(LnError::GatewayOutOfRange(g));
            }
            Some(g) => g,
            // The first free address: the range's first when a range is given (even its
            // .0: only the parent subnet's first and last addresses are reserved).
            None => req
                .ip_range
                .and_then(|r| {
                    let reserved = [subnet.network(), subnet.broadcast()];
                    r.iter()
                        .find(|ip| subnet.contains(*ip) && !reserved.contains(ip))
                })
                .unwrap_or_else(|| crate::control::ipam::first_host(subnet)),
        };
        let mut pool = IpPool::new(subnet, gateway);
        for a in &req.aux {
            let _ = pool.reserve(*a);
        }
        let mac = self.random_mac();
        let owner = self.owner();
        let mut p = Planner::new(eng, owner);
        let mut br = IfaceConfig::ethernet(
            device.clone(),
            mac,
            Some(Ipv4Network::new(gateway, subnet.prefix()).expect("a prefix of the subnet")),
        );
        br.mtu = req.mtu;
        br.bridge = Some(BridgeConfig {
            ageing: BRIDGE_AGEING,
            netfilter: true,
        });
        let port = p.iface(host.stack, br);
        let mut net = BridgeNetwork {
            id: req.id.clone(),
            device,
            port,
            mac,
            subnet,
            gateway,
            range: req.ip_range,
            pool,
            user_subnet,
            icc: req.icc,
            masquerade: req.masquerade,
            internal: req.internal,
            mtu: req.mtu,
            host_binding: req.host_binding,
            default_bridge: req.default_bridge,
            plan: Plan {
                owner,
                items: Vec::new(),
            },
        };
        if self.config.iptables {
            iptables::network(self, &mut p, host.stack, &net);
        }
        net.plan = p.finish();
        plan::apply(eng, &net.plan);
        self.networks.push(net);
        Ok(self.networks.last().expect("just pushed"))
    }

    /// Removes a network (it has no endpoints left): its bridge, rules and subnet go.
    pub fn delete_network(&mut self, eng: &mut Engine, id: &str) {
        let Some(i) = self.networks.iter().position(|n| n.id == id) else {
            return;
        };
        let net = self.networks.remove(i);
        plan::remove(eng, &net.plan);
        self.space.release(net.subnet);
    }

    /// Creates an endpoint: an address (the requested one, or the lowest free in the
    /// network's range), a veth pair from the bridge to the sandbox, the container's
    /// interface, its routes, and the rules for its published ports.
    pub fn create_endpoint(
        &mut self,
        eng: &mut Engine,
        host: &HostNodes,
        req: EndpointRequest,
    ) -> Result<&Endpoint, LnError> {
        let ni = self
            .networks
            .iter()
            .position(|n| n.id == req.network_id)
            .ok_or_else(|| LnError::NoNetwork(req.network_id.clone()))?;
        let ip = {
            let net = &mut self.networks[ni];
            match req.ip {
                Some(ip) if !net.subnet.contains(ip) => return Err(LnError::OutOfRange(ip)),
                // The subnet's own first and last addresses and the gateway are taken in
                // IPAM's bitmap: asking for one of them finds it in use.
                Some(ip) => net.pool.reserve(ip).map_err(|_| LnError::AddressInUse)?,
                None => allocate_in(&mut net.pool, net.range).ok_or(LnError::NoAddresses)?,
            }
        };
        let mac = match req.mac {
            Some(m) => m,
            None => self.endpoint_mac(ip),
        };
        let veth = self.veth_name();
        let host_mac = self.random_mac();
        let net = &self.networks[ni];
        if bridge_ports(eng, host.stack, net.port) >= BRIDGE_MAX_PORTS {
            let bridge = net.device.clone();
            self.networks[ni].pool.release(ip);
            return Err(LnError::BridgeFull { veth, bridge });
        }
        let owner = self.owner();
        let net = &self.networks[ni];
        let mut p = Planner::new(eng, owner);
        let mut host_end = IfaceConfig::ethernet(veth.clone(), host_mac, None);
        host_end.mtu = net.mtu;
        host_end.master = Some(BridgePort {
            bridge: net.port,
            hairpin: !self.config.userland_proxy,
        });
        let veth_port = p.iface(host.stack, host_end);
        let mut ctr_end = IfaceConfig::ethernet(
            req.ifname.clone(),
            mac,
            Some(Ipv4Network::new(ip, net.subnet.prefix()).expect("a prefix of the subnet")),
        );
        ctr_end.mtu = net.mtu;
        let ifport = p.iface(req.sandbox, ctr_end);
        p.link(
            format!("{veth}<->{}", req.ifname),
            (host.stack, veth_port),
            (req.sandbox, ifport),
        );
        // The endpoint's gateway; the sandbox's default route goes through one of its
        // endpoints' (`set_default_route`). Up to v24 an internal network gives one too.
        let gateway =
            (!net.internal || self.engine.internal_networks_have_gateway()).then_some(net.gateway);
        p.push(Item::Connections {
            node: host.stack,
            addr: ip,
        });
        let mut ep = Endpoint {
            id: req.id,
            network_id: req.network_id,
            sandbox: req.sandbox,
            ip,
            prefix: net.subnet.prefix(),
            gateway,
            mac,
            ifname: req.ifname,
            ifport,
            veth,
            veth_port,
            ports: req.ports,
            plan: Plan {
                owner,
                items: Vec::new(),
            },
        };
        if self.config.iptables && !net.internal {
            iptables::endpoint(self, &mut p, host.stack, net, &ep);
        }
        if self.config.userland_proxy && !net.internal {
            proxy::endpoint(&mut p, host.stack, &ep);
        }
        ep.plan = p.finish();
        plan::apply(eng, &ep.plan);
        let (sandbox, id) = (ep.sandbox, ep.id.clone());
        self.endpoints.push(ep);
        if req.default_route {
            self.set_default_route(eng, sandbox, Some(&id));
        }
        Ok(self.endpoints.last().expect("just pushed"))
    }

    /// Points `sandbox`'s default route at the gateway of `endpoint` (one of its endpoints
    /// with a gateway), or takes it away (`None`): libnetwork's `updateGateway`.
    pub fn set_default_route(&mut self, eng: &mut Engine, sandbox: NodeId, endpoint: Option<&str>) {
        if let Some(i) = self
            .default_routes
            .iter()
            .position(|(s, _, _)| *s == sandbox)
        {
            if Some(self.default_routes[i].1.as_str()) == endpoint {
                return;
            }
            let (_, _, old) = self.default_routes.remove(i);
            plan::remove(eng, &old);
        }
        let Some(ep) = endpoint.and_then(|id| self.endpoints.iter().find(|e| e.id == id)) else {
            return;
        };
        let (Some(gw), ifport, id) = (ep.gateway, ep.ifport, ep.id.clone()) else {
            return;
        };
        let owner = self.owner();
        let mut p = Planner::new(eng, owner);
        p.push(Item::Route {
            stack: sandbox,
            route: Route {
                dest: Ipv4Network::new(Ipv4Addr::UNSPECIFIED, 0).expect("the default route"),
                via: Some(gw),
                iface: ifport,
            },
        });
        let plan = p.finish();
        plan::apply(eng, &plan);
        self.default_routes.push((sandbox, id, plan));
    }

    /// Removes an endpoint: its veth pair, routes and rules go, and its address is free.
    pub fn delete_endpoint(&mut self, eng: &mut Engine, id: &str) {
        let Some(i) = self.endpoints.iter().position(|e| e.id == id) else {
            return;
        };
        if let Some(r) = self.default_routes.iter().position(|(_, e, _)| e == id) {
            let (_, _, route) = self.default_routes.remove(r);
            plan::remove(eng, &route);
        }
        let ep = self.endpoints.remove(i);
        plan::remove(eng, &ep.plan);
        if let Some(net) = self.networks.iter_mut().find(|n| n.id == ep.network_id) {
            net.pool.release(ep.ip);
        }
    }
}

/// How many interfaces of the host's namespace are ports of the bridge at `bridge`.
fn bridge_ports(eng: &Engine, stack: NodeId, bridge: PortId) -> usize {
    eng.device(stack).and_then(Device::as_stack).map_or(0, |s| {
        s.config
            .ifaces()
            .iter()
            .flatten()
            .filter(|i| i.master.is_some_and(|m| m.bridge == bridge))
            .count()
    })
}

/// The lowest free address of `pool`, inside `range` when one is given.
fn allocate_in(pool: &mut IpPool, range: Option<Ipv4Network>) -> Option<Ipv4Addr> {
    match range {
        None => pool.allocate_lowest().ok(),
        Some(r) => r
            .iter()
            .find(|ip| pool.usable(*ip) && !pool.allocated().any(|a| a == ip))
            .and_then(|ip| pool.reserve(ip).ok()),
    }
}

fn pool_error(e: pools::PoolError) -> LnError {
    match e {
        pools::PoolError::Exhausted => LnError::PoolsExhausted,
        pools::PoolError::Overlap => LnError::PoolOverlap,
    }
}
