//! HNS, the Host Network Service: networks, endpoints and their policies, planned as
//! device configuration.
//!
//! Owns HNS's objects (networks, endpoints, the external vSwitches bound to NICs) and turns
//! each into a plan (`control::plan`) that one generic apply installs and one generic remove
//! takes away. By network type:
//! * `internal`: nat and ics (an internal vSwitch, a host vNIC holding the gateway,
//!   forwarding through the host and WinNAT), internal and private;
//! * `external`: transparent, l2bridge and l2tunnel on the external vSwitch of a NIC
//!   (`vswitch`), and l2bridge's host endpoint;
//! * `overlay`: an overlay segment with VXLAN interfaces in the host stack, and its peers;
//! * `endpoint`: an endpoint's vSwitch port, the compartment's vNIC, routes, DNS servers
//!   and firewall rules, WinNAT static mappings and VFP policies.
//!
//! What the policies become as rules is `policy`. Nothing here touches a packet.

mod endpoint;
mod external;
mod internal;
mod overlay;
pub mod policy;
pub mod vswitch;

use super::ipam::{IpPool, MacPool};
use super::plan::{self, Plan, Planner};
use super::version::WindowsVersion;
use crate::device::rules::Owner;
use crate::device::stack::IfaceConfig;
use crate::device::switch::PortMode;
use crate::device::Device;
use crate::engine::Engine;
use crate::id::{NodeId, PortId};
use crate::rng::SimRng;
use crate::wire::MacAddr;
use ipnetwork::Ipv4Network;
use serde::Serialize;
use std::net::Ipv4Addr;
use vswitch::{Choice, ExternalSwitch};

pub use policy::proto_name;

pub use super::{HostNodes, Isolation};

/// The HNS network types (reference 3.6: the schema's list that Docker drives).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum NetworkType {
    Nat,
    Ics,
    Transparent,
    L2Bridge,
    L2Tunnel,
    Overlay,
    Internal,
    Private,
}

impl NetworkType {
    /// The type of a docker driver name, for the drivers Windows has built in.
    pub fn from_driver(driver: &str) -> Option<Self> {
        Some(match driver {
            "nat" => NetworkType::Nat,
            "ics" => NetworkType::Ics,
            "transparent" => NetworkType::Transparent,
            "l2bridge" => NetworkType::L2Bridge,
            "l2tunnel" => NetworkType::L2Tunnel,
            "overlay" => NetworkType::Overlay,
            "internal" => NetworkType::Internal,
            "private" => NetworkType::Private,
            _ => return None,
        })
    }

    /// The type as `Get-HnsNetwork` shows it.
    pub fn hns_name(self) -> &'static str {
        match self {
            NetworkType::Nat => "NAT",
            NetworkType::Ics => "ICS",
            NetworkType::Transparent => "Transparent",
            NetworkType::L2Bridge => "L2Bridge",
            NetworkType::L2Tunnel => "L2Tunnel",
            NetworkType::Overlay => "Overlay",
            NetworkType::Internal => "Internal",
            NetworkType::Private => "Private",
        }
    }

    /// Whether the network needs an external vSwitch bound to a NIC.
    pub fn external(self) -> bool {
        matches!(
            self,
            NetworkType::Transparent
                | NetworkType::L2Bridge
                | NetworkType::L2Tunnel
                | NetworkType::Overlay
        )
    }

    /// Whether endpoints use Docker's embedded DNS (`EnableInternalDNS`): nat and overlay only.
    pub fn internal_dns(self) -> bool {
        matches!(self, NetworkType::Nat | NetworkType::Overlay)
    }

    /// Whether WinNAT translates the network (nat, and ics, Windows' own "Default Switch").
    pub fn winnat(self) -> bool {
        matches!(self, NetworkType::Nat | NetworkType::Ics)
    }

    /// Whether docker reserves published host ports itself, drawing them from 60000-65000
    /// when none is given (reference 2.5); on nat and ics HNS picks them.
    pub fn docker_reserves_ports(self) -> bool {
        matches!(
            self,
            NetworkType::L2Bridge | NetworkType::L2Tunnel | NetworkType::Overlay
        )
    }

    /// Whether VFP rewrites the container MAC to the host's on the wire.
    pub fn mac_rewrite(self) -> bool {
        matches!(self, NetworkType::L2Bridge | NetworkType::L2Tunnel)
    }
}

/// What docker asks of HNS for a new network (the driver options already parsed).
#[derive(Clone, Debug)]
pub struct NetworkRequest {
    pub ty: NetworkType,
    pub name: String,
    pub subnet: Option<Ipv4Network>,
    pub gateway: Option<Ipv4Addr>,
    /// `-o com.docker.network.windowsshim.interface`: the NIC to bind.
    pub adapter: Option<String>,
    /// `vlanid`: the endpoints' access VLAN.
    pub vlan: Option<u16>,
    /// `dnsservers`: the endpoints' DNS servers.
    pub dns_servers: Vec<Ipv4Addr>,
    /// `enable_outboundnat` with its `outboundnat_exceptions`.
    pub outbound_nat: Option<Vec<Ipv4Network>>,
    /// overlay: the subnet's VXLAN id (its VSID policy).
    pub vni: Option<u32>,
    /// overlay: further subnets of the network, each (subnet, gateway, VXLAN id).
    pub more_subnets: Vec<(Ipv4Network, Ipv4Addr, u32)>,
}

impl NetworkRequest {
    pub fn new(ty: NetworkType, name: &str) -> Self {
        NetworkRequest {
            ty,
            name: name.to_string(),
            subnet: None,
            gateway: None,
            adapter: None,
            vlan: None,
            dns_servers: Vec::new(),
            outbound_nat: None,
            vni: None,
            more_subnets: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct HnsNetwork {
    pub id: String,
    /// What the network installed (vSwitch, host vNIC, rules), removed with it.
    #[serde(skip)]
    pub plan: Plan,
    /// What its host endpoint installed, if it has one (`attach_host_endpoint`).
    #[serde(skip)]
    pub host_endpoint: Option<Plan>,
    /// The docker network name, used for device names in traces.
    pub name: String,
    pub kind: &'static str,
    pub ty: NetworkType,
    pub pool: IpPool,
    pub mac_pool: MacPool,
    pub nat_name: String,
    #[serde(skip)]
    pub vswitch: NodeId,
    /// The host vNIC holding the gateway (nat, ics, internal); `None` when the network has
    /// none of its own (private, and external networks, whose host vNIC is the NIC's).
    #[serde(skip)]
    pub host_vnic: Option<PortId>,
    pub host_vnic_mac: MacAddr,
    /// The vSwitch port of a host endpoint (an external network's gateway in the host
    /// compartment, see `attach_host_endpoint`); its host-side interface is `host_vnic`.
    #[serde(skip)]
    pub host_endpoint_port: Option<PortId>,
    /// The NIC whose external vSwitch this network uses.
    #[serde(skip)]
    pub bound_nic: Option<PortId>,
    pub vlan: Option<u16>,
    pub dns_servers: Vec<Ipv4Addr>,
    pub outbound_nat: Option<Vec<Ipv4Network>>,
    /// transparent without `--subnet`: endpoints get their address from DHCP on the wire.
    pub dhcp: bool,
    /// overlay: the first subnet's VNI and this host's provider address. The first subnet's
    /// VTEP interface is `host_vnic`.
    pub vni: Option<u32>,
    pub provider_address: Option<Ipv4Addr>,
    /// overlay: the network's further subnets, each with its own VNI and VTEP interface.
    pub more_subnets: Vec<OverlaySubnet>,
}

/// The VLAN of an overlay's `index`th subnet (0 for the first) inside its vSwitch.
pub(super) fn overlay_vlan(index: usize) -> u16 {
    u16::try_from(index + 1).unwrap_or(u16::MAX)
}

/// A further subnet of an overlay network: its addresses, VXLAN id and the host stack's
/// VTEP interface that holds its gateway.
#[derive(Clone, Debug, Serialize)]
pub struct OverlaySubnet {
    pub pool: IpPool,
    pub vni: u32,
    #[serde(skip)]
    pub vtep: PortId,
    pub vtep_mac: MacAddr,
}

impl HnsNetwork {
    /// The pool whose subnet holds `ip`: one of an overlay's further subnets, or the first.
    pub(super) fn pool_for_mut(&mut self, ip: Ipv4Addr) -> &mut IpPool {
        match self
            .more_subnets
            .iter_mut()
            .find(|s| s.pool.subnet.contains(ip))
        {
            Some(s) => &mut s.pool,
            None => &mut self.pool,
        }
    }

    /// The VLAN inside the network's vSwitch of the segment that holds `ip`: an overlay's
    /// subnets are separate layer-2 segments (one VNI each, the host routes between them),
    /// so its first subnet is on VLAN 1 and its further ones on 2, 3, ... (`overlay_vlan`);
    /// any other network has one segment, its own VLAN or 1.
    pub(super) fn segment_vlan(&self, ip: Ipv4Addr) -> u16 {
        if self.ty != NetworkType::Overlay {
            return self.vlan.unwrap_or(1);
        }
        let further = self
            .more_subnets
            .iter()
            .position(|s| s.pool.subnet.contains(ip));
        overlay_vlan(further.map_or(0, |i| i + 1))
    }

    /// Every gateway of the network (an overlay has one per subnet).
    pub fn gateways(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        std::iter::once(self.pool.gateway).chain(self.more_subnets.iter().map(|s| s.pool.gateway))
    }

    /// overlay: every (VTEP interface, its MAC, subnet), the first subnet's first.
    /// The VLAN of each is its segment's (`segment_vlan`).
    pub(super) fn vteps(&self) -> Vec<(PortId, MacAddr, Ipv4Network, u16)> {
        self.host_vnic
            .filter(|_| self.ty == NetworkType::Overlay)
            .map(|v| (v, self.host_vnic_mac, self.pool.subnet, overlay_vlan(0)))
            .into_iter()
            .chain(
                self.more_subnets
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.vtep, s.vtep_mac, s.pool.subnet, overlay_vlan(i + 1))),
            )
            .collect()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PortMapping {
    pub proto: u8,
    pub host_port: u16,
    pub container_port: u16,
}

#[derive(Clone, Debug, Serialize)]
pub struct HnsEndpoint {
    pub id: String,
    /// What the endpoint installed (vSwitch port, vNIC, routes, rules), removed with it.
    #[serde(skip)]
    pub plan: Plan,
    pub name: String,
    pub network_id: String,
    pub ip: Ipv4Addr,
    pub prefix: u8,
    pub mac: MacAddr,
    pub gateway: Ipv4Addr,
    pub dns_servers: Vec<Ipv4Addr>,
    pub enable_internal_dns: bool,
    pub port_mappings: Vec<PortMapping>,
    pub isolation: Isolation,
    #[serde(skip)]
    pub compartment: NodeId,
    #[serde(skip)]
    pub compartment_port: PortId,
    #[serde(skip)]
    pub vswitch_port: PortId,
}

/// What docker asks of HNS for a new endpoint.
#[derive(Clone, Debug)]
pub struct EndpointRequest {
    pub network_id: String,
    pub name: String,
    pub ip: Option<Ipv4Addr>,
    /// (protocol, host port or None for "HNS picks", container port).
    pub ports: Vec<(u8, Option<u16>, u16)>,
    /// Upstream DNS servers (from `--dns` or the host).
    pub dns: Vec<Ipv4Addr>,
    pub isolation: Isolation,
    pub compartment: NodeId,
    /// Whether the endpoint's gateway becomes the compartment's default route (not for a
    /// Server 2016 overlay endpoint, whose outside traffic takes the nat endpoint).
    pub default_route: bool,
}

/// An HNS failure, worded as HNS words it (docker wraps it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HnsError(pub String);

impl HnsError {
    pub(crate) fn failed(what: &str) -> Self {
        HnsError(format!("HNS failed with error : {what}"))
    }

    /// A refusal with its Win32 code, worded as hcsshim words it on `version` (see
    /// `WindowsVersion::hns_refuses_in_win32`).
    pub(crate) fn win32(version: WindowsVersion, what: &str, code: u32) -> Self {
        if version.hns_refuses_in_win32() {
            HnsError(format!(
                "failed during hnsCallRawResponse: hnsCall failed in Win32: {what} (0x{code:x})"
            ))
        } else {
            HnsError::failed(what)
        }
    }

    /// A published host port that is already in use (ERROR_SHARING_VIOLATION, 0x20): by
    /// another mapping, or by a process listening on the host (reference 2.5 and 9).
    pub(crate) fn port_in_use(version: WindowsVersion) -> Self {
        HnsError::win32(
            version,
            "The process cannot access the file because it is being used by another process.",
            0x20,
        )
    }
}

/// Whether a process on the host listens on `proto` `port` on all its addresses (the
/// host's services): WinNAT cannot take that port, nor can docker reserve it.
pub fn host_listens(eng: &Engine, host: &HostNodes, proto: u8, port: u16) -> bool {
    eng.device(host.stack)
        .and_then(Device::as_stack)
        .is_some_and(|s| {
            let services = s.config.services();
            match proto {
                crate::wire::IPPROTO_TCP => services.tcp.contains(&port),
                crate::wire::IPPROTO_UDP => services.udp_echo.contains(&port),
                _ => false,
            }
        })
}

#[derive(Debug)]
pub struct Hns {
    pub version: WindowsVersion,
    pub networks: Vec<HnsNetwork>,
    pub endpoints: Vec<HnsEndpoint>,
    /// Where each endpoint sits in `endpoints`, by id: finding one by a scan over the id
    /// strings made each container start linear (issue 12). Only looked up, never iterated.
    endpoint_at: std::collections::HashMap<String, usize>,
    /// External vSwitches, one per bound NIC.
    pub external: Vec<ExternalSwitch>,
    rng: SimRng,
    next_owner: u64,
}

impl Hns {
    pub fn new(version: WindowsVersion, rng: SimRng) -> Self {
        Hns {
            version,
            networks: Vec::new(),
            endpoints: Vec::new(),
            endpoint_at: Default::default(),
            external: Vec::new(),
            rng,
            next_owner: 1,
        }
    }

    /// A planner for a new network or endpoint, with an owner tag of its own.
    fn planner<'e>(&mut self, eng: &'e Engine) -> Planner<'e> {
        self.next_owner += 1;
        Planner::new(eng, Owner(self.next_owner))
    }

    /// The endpoint with this id, found through the index. An index that has fallen behind
    /// `endpoints` (a change made without [`Hns::add_endpoint`] or
    /// [`Hns::delete_endpoint`]) is caught by the debug build's scan and still answered
    /// right.
    pub fn endpoint(&self, id: &str) -> Option<&HnsEndpoint> {
        let indexed = self
            .endpoint_at
            .get(id)
            .and_then(|i| self.endpoints.get(*i))
            .filter(|e| e.id == id);
        if indexed.is_some() {
            return indexed;
        }
        let scanned = self.endpoints.iter().find(|e| e.id == id);
        debug_assert!(
            scanned.is_none(),
            "HNS endpoint {id} is missing from the index"
        );
        scanned
    }

    /// Keeps a new endpoint, indexed by its id.
    fn add_endpoint(&mut self, ep: HnsEndpoint) {
        self.endpoint_at.insert(ep.id.clone(), self.endpoints.len());
        self.endpoints.push(ep);
    }

    pub fn network(&self, id: &str) -> Option<&HnsNetwork> {
        self.networks.iter().find(|n| n.id == id)
    }

    /// Creates a nat network. `subnet` None lets HNS pick a /20 in 172.16.0.0/12.
    pub fn create_nat_network(
        &mut self,
        eng: &mut Engine,
        host: &HostNodes,
        name: &str,
        subnet: Option<Ipv4Network>,
        gateway: Option<Ipv4Addr>,
        taken: &[Ipv4Network],
    ) -> Result<String, HnsError> {
        let mut req = NetworkRequest::new(NetworkType::Nat, name);
        req.subnet = subnet;
        req.gateway = gateway;
        self.create_network(eng, host, req, taken)
    }

    /// Creates a network of any type. `taken` are prefixes HNS avoids when it picks one.
    pub fn create_network(
        &mut self,
        eng: &mut Engine,
        host: &HostNodes,
        req: NetworkRequest,
        taken: &[Ipv4Network],
    ) -> Result<String, HnsError> {
        if req.ty == NetworkType::Overlay {
            self.create_overlay_network(eng, host, req)
        } else if req.ty.external() {
            self.create_external_network(eng, host, req)
        } else {
            self.create_internal_network(eng, host, req, taken)
        }
    }

    /// The external vSwitch a network of type `ty` uses: a shared one, or a new one bound to
    /// the chosen NIC. Returns its index in `self.external`.
    fn external_switch(
        &mut self,
        eng: &mut Engine,
        host: &HostNodes,
        ty: NetworkType,
        adapter: Option<&str>,
    ) -> Result<usize, HnsError> {
        Ok(
            match vswitch::choose_nic(eng, host, &self.external, ty, adapter)? {
                Choice::Shared(i) => i,
                Choice::Bind(nics) => {
                    let ext = vswitch::bind(eng, host, &nics, ty);
                    self.external.push(ext);
                    self.external.len() - 1
                }
            },
        )
    }

    /// Deletes a network: its endpoints, its host endpoint, what it installed, and the
    /// external vSwitch of its NIC when it was the last network there.
    pub fn delete_network(&mut self, eng: &mut Engine, host: &HostNodes, id: &str) {
        let eps: Vec<String> = self
            .endpoints
            .iter()
            .filter(|e| e.network_id == id)
            .map(|e| e.id.clone())
            .collect();
        for ep in eps {
            self.delete_endpoint(eng, host, &ep);
        }
        let Some(i) = self.networks.iter().position(|n| n.id == id) else {
            return;
        };
        let net = self.networks.remove(i);
        if let Some(p) = &net.host_endpoint {
            plan::remove(eng, p);
        }
        plan::remove(eng, &net.plan);
        if let Some(nic) = net.bound_nic {
            // The external vSwitch goes when its last network does.
            if !self.networks.iter().any(|n| n.bound_nic == Some(nic)) {
                if let Some(e) = self.external.iter().position(|e| e.nic_port == nic) {
                    let ext = self.external.remove(e);
                    vswitch::unbind(eng, host, &ext);
                }
            }
        }
    }

    /// Detaches and deletes an endpoint with everything it installed, and frees its address.
    pub fn delete_endpoint(&mut self, eng: &mut Engine, _host: &HostNodes, id: &str) {
        let Some(i) = self
            .endpoint_at
            .get(id)
            .copied()
            .filter(|i| self.endpoints.get(*i).is_some_and(|e| e.id == id))
            .or_else(|| self.endpoints.iter().position(|e| e.id == id))
        else {
            return;
        };
        let ep = self.endpoints.remove(i);
        // Every later endpoint moved down by one.
        self.endpoint_at.remove(id);
        for (j, e) in self.endpoints.iter().enumerate().skip(i) {
            self.endpoint_at.insert(e.id.clone(), j);
        }
        if let Some(net) = self.networks.iter_mut().find(|n| n.id == ep.network_id) {
            net.pool_for_mut(ep.ip).release(ep.ip);
        }
        plan::remove(eng, &ep.plan);
    }

    /// A reboot: on Server 2019 and later every HNS network (flag EnableNonPersistent) is gone.
    /// Endpoints never survive, since their containers stopped.
    pub fn reboot(&mut self, eng: &mut Engine, host: &HostNodes) {
        let eps: Vec<String> = self.endpoints.iter().map(|e| e.id.clone()).collect();
        for ep in eps {
            self.delete_endpoint(eng, host, &ep);
        }
        if !self.version.hns_networks_persist() {
            let nets: Vec<String> = self.networks.iter().map(|n| n.id.clone()).collect();
            for n in nets {
                self.delete_network(eng, host, &n);
            }
        }
    }
}

/// A host stack interface on a new port of `vswitch` (access `vlan`, `mac` pinned), holding
/// `addr` (a VXLAN endpoint with `vxlan`), and the cable between them. Returns (the stack's
/// port, the vSwitch's port).
#[allow(clippy::too_many_arguments)]
fn plug_host_iface(
    p: &mut Planner,
    host: &HostNodes,
    vswitch: NodeId,
    network: &str,
    port_name: &str,
    iface: IfaceConfig,
    vlan: u16,
) -> (PortId, PortId) {
    let mac = iface.mac;
    let name = iface.name.clone();
    let vs_port = p.switch_port(
        vswitch,
        port_name,
        PortMode::Access(vlan),
        vec![(mac, vlan)],
    );
    let port = p.iface(host.stack, iface);
    p.link(
        format!("{}:{name}<->vSwitch({network})", host.host),
        (host.stack, port),
        (vswitch, vs_port),
    );
    (port, vs_port)
}

pub(crate) fn host_stack(eng: &mut Engine, node: NodeId) -> &mut crate::device::stack::IpStack {
    eng.device_mut(node)
        .and_then(Device::as_stack_mut)
        .expect("a Windows host's default compartment is an IP stack")
}
