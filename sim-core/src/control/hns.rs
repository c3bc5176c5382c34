//! HNS, the Host Network Service: networks, endpoints and their policies, compiled into
//! device configuration.
//!
//! A nat (or ics) network becomes an internal vSwitch, a host vNIC holding the gateway
//! address, forwarding rules on the host stack and a WinNAT instance. internal and private
//! networks are internal vSwitches with and without a host vNIC. transparent, l2bridge and
//! l2tunnel networks share an external vSwitch bound to a NIC (`external`), with VLAN access
//! ports and VFP policies (MAC rewrite, OutboundNAT, port maps, the l2tunnel hair-pin).
//! An endpoint becomes a vSwitch port with a pinned MAC, a vNIC in the container's
//! compartment with its address, route and DNS servers, and its policies. Nothing here
//! touches a packet.

use super::external::{self, Choice, ExternalSwitch};
use super::ipam::{self, IpPool, MacPool, PoolError};
use super::policy;
use super::version::WindowsVersion;
use crate::device::port_policy::PolicyEndpoint;
use crate::device::rules::Owner;
use crate::device::stack::{IfaceConfig, Route, VxlanConfig, VxlanPeer};
use crate::device::switch::{PortMode, Switch, SwitchConfig, UnknownUnicast};
use crate::device::Device;
use crate::engine::link::LinkParams;
use crate::engine::Engine;
use crate::id::{NodeId, PortId};
use crate::rng::SimRng;
use crate::topology::{NodeInfo, NodeKind};
use crate::wire::MacAddr;
use ipnetwork::Ipv4Network;
use serde::Serialize;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Where a host's pieces live in the engine.
#[derive(Clone, Debug)]
pub struct HostNodes {
    pub host: String,
    /// The host's default compartment (its own IP stack).
    pub stack: NodeId,
    /// Ports of the host stack that are physical NICs.
    pub physical: Vec<PortId>,
}

/// How a container is isolated: its NIC is a host vNIC or a synthetic VM NIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Isolation {
    Process,
    HyperV,
}

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
    /// Tags every rule this network's policies compiled into.
    #[serde(skip)]
    pub owner: Owner,
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
    fn pool_for_mut(&mut self, ip: Ipv4Addr) -> &mut IpPool {
        match self
            .more_subnets
            .iter_mut()
            .find(|s| s.pool.subnet.contains(ip))
        {
            Some(s) => &mut s.pool,
            None => &mut self.pool,
        }
    }

    /// Every gateway of the network (an overlay has one per subnet).
    pub fn gateways(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        std::iter::once(self.pool.gateway).chain(self.more_subnets.iter().map(|s| s.pool.gateway))
    }

    /// overlay: every (VTEP interface, its MAC, subnet), the first subnet's first.
    fn vteps(&self) -> Vec<(PortId, MacAddr, Ipv4Network)> {
        self.host_vnic
            .filter(|_| self.ty == NetworkType::Overlay)
            .map(|v| (v, self.host_vnic_mac, self.pool.subnet))
            .into_iter()
            .chain(
                self.more_subnets
                    .iter()
                    .map(|s| (s.vtep, s.vtep_mac, s.pool.subnet)),
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
    /// Tags every rule this endpoint's policies compiled into.
    #[serde(skip)]
    pub owner: Owner,
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
}

const NO_MGMT_ROUTING_BEFORE_1809: &str = "before 1809 (Windows Server 2019) HNS does not route l2bridge traffic between a host endpoint and the management vNIC (the docs: \"routed through Mgmt vNIC on WSv1809 and above\")";

const HOST_ENDPOINT_NOT_ROUTED: &str = "HNS routes an l2bridge host endpoint only to the management vNIC and to other host endpoints, not into nat or overlay networks";

const OVERLAYS_ISOLATED: &str = "overlay networks are isolated from each other: HNS routes only between the subnets of one overlay network";

const INTERNAL_NOT_FORWARDED: &str = "an internal network connects its containers with the host only: HNS forwards nothing between its vNIC and the physical NICs";

#[derive(Debug)]
pub struct Hns {
    pub version: WindowsVersion,
    pub networks: Vec<HnsNetwork>,
    pub endpoints: Vec<HnsEndpoint>,
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
            external: Vec::new(),
            rng,
            next_owner: 1,
        }
    }

    /// A new owner tag for the rules of one network or endpoint.
    fn owner(&mut self) -> Owner {
        self.next_owner += 1;
        Owner(self.next_owner)
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

    /// nat, ics, internal and private: an internal vSwitch, with a host vNIC holding the
    /// gateway (not for private), and WinNAT behind it (nat and ics).
    fn create_internal_network(
        &mut self,
        eng: &mut Engine,
        host: &HostNodes,
        req: NetworkRequest,
        taken: &[Ipv4Network],
    ) -> Result<String, HnsError> {
        let version = self.version;
        let (ty, name, subnet, gateway) = (req.ty, req.name.as_str(), req.subnet, req.gateway);
        let winnat = ty.winnat();
        let existing: Vec<Ipv4Network> = self
            .networks
            .iter()
            .filter(|n| n.ty.winnat())
            .map(|n| n.pool.subnet)
            .collect();
        let subnet = match subnet {
            Some(s) => {
                if winnat
                    && self.version.single_winnat_prefix()
                    && !existing.is_empty()
                    && !existing.iter().any(|e| e.contains(s.network()))
                {
                    return Err(HnsError::failed("Unspecified error"));
                }
                if winnat
                    && !self.version.single_winnat_prefix()
                    && existing.iter().any(|e| ipam::overlaps(*e, s))
                {
                    return Err(HnsError::failed("The object already exists."));
                }
                Ipv4Network::new(s.network(), s.prefix())
                    .map_err(|_| HnsError::failed("The parameter is incorrect."))?
            }
            None => {
                let mut avoid: Vec<Ipv4Network> =
                    self.networks.iter().map(|n| n.pool.subnet).collect();
                avoid.extend_from_slice(taken);
                ipam::pick_nat_prefix(&mut self.rng, &avoid)
                    .ok_or_else(|| HnsError::failed("Unspecified error"))?
            }
        };
        let gateway = gateway.unwrap_or_else(|| ipam::first_host(subnet));
        let id = super::ids::guid(&mut self.rng);
        let mut mac_pool = MacPool::new(&mut self.rng);
        let host_vnic_mac = mac_pool.allocate().expect("a new MAC pool has addresses");

        // The internal vSwitch: HNS knows every port's MAC, so it neither learns nor floods unknown unicast.
        let vswitch_name = format!("{}/vSwitch({name})", host.host);
        let switch = Switch::new(SwitchConfig::new(
            vswitch_name.clone(),
            false,
            UnknownUnicast::Drop,
        ));
        let vswitch = eng.add_node(
            NodeInfo {
                name: vswitch_name,
                kind: NodeKind::VSwitch,
                host: Some(host.host.clone()),
            },
            Device::Switch(Box::new(switch)),
        );
        let nat_name = if winnat {
            format!("NAT{}", &id[..8])
        } else {
            String::new()
        };
        let host_vnic = if ty == NetworkType::Private {
            None
        } else {
            let addr =
                Ipv4Network::new(gateway, subnet.prefix()).expect("prefix of a valid subnet");
            let vnic = format!("vEthernet ({name})");
            let (port, _) = plug_host_iface(
                eng,
                host,
                vswitch,
                name,
                "host vNIC",
                &vnic,
                host_vnic_mac,
                1,
                addr,
            );
            Some(port)
        };
        let owner = self.owner();
        if let (true, Some(host_vnic)) = (winnat, host_vnic) {
            translate_through_host(
                eng,
                host,
                owner,
                host_vnic,
                &host.physical,
                subnet,
                &nat_name,
                false,
            );
            if version.host_reaches_published_ports() {
                policy::hairpin(&mut host_stack(eng, host.stack).rules, owner, host_vnic);
            }
        }
        if let (false, Some(host_vnic)) = (winnat, host_vnic) {
            // internal: host and containers talk, but nothing is forwarded to the outside.
            let rules = &mut host_stack(eng, host.stack).rules;
            for nic in &host.physical {
                policy::refuse_both(rules, owner, host_vnic, *nic, INTERNAL_NOT_FORWARDED);
            }
        }
        self.networks.push(HnsNetwork {
            id: id.clone(),
            owner,
            name: name.to_string(),
            kind: ty.hns_name(),
            ty,
            pool: IpPool::new(subnet, gateway),
            mac_pool,
            nat_name,
            vswitch,
            host_vnic,
            host_vnic_mac,
            host_endpoint_port: None,
            bound_nic: None,
            vlan: None,
            dns_servers: req.dns_servers,
            outbound_nat: None,
            dhcp: false,
            vni: None,
            provider_address: None,
            more_subnets: Vec::new(),
        });
        Ok(id)
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
            match external::choose_nic(eng, host, &self.external, ty, adapter)? {
                Choice::Shared(i) => i,
                Choice::Bind(nics) => {
                    let ext = external::bind(eng, host, &nics, ty);
                    self.external.push(ext);
                    self.external.len() - 1
                }
            },
        )
    }

    /// overlay: the NIC is claimed by an external vSwitch of type overlay; the containers
    /// sit on their own vSwitch segment with a VTEP port into the host stack, which holds
    /// the subnet gateway, encapsulates to remote endpoints, and (from 1709 on) translates
    /// outbound traffic with a VFP OutboundNAT rule.
    fn create_overlay_network(
        &mut self,
        eng: &mut Engine,
        host: &HostNodes,
        req: NetworkRequest,
    ) -> Result<String, HnsError> {
        let (Some(subnet), Some(vni)) = (req.subnet, req.vni) else {
            return Err(HnsError::failed("The parameter is incorrect."));
        };
        let ext = self.external_switch(eng, host, req.ty, req.adapter.as_deref())?;
        let nic_port = self.external[ext].nic_port;
        let pa = host_stack(eng, host.stack)
            .iface(nic_port)
            .and_then(|i| i.addr)
            .map(|a| a.ip())
            .ok_or_else(|| HnsError::failed("An adapter was not found."))?;
        let gateway = req.gateway.unwrap_or_else(|| ipam::first_host(subnet));
        let id = super::ids::guid(&mut self.rng);
        let mut mac_pool = MacPool::new(&mut self.rng);
        let vtep_mac = mac_pool.allocate().expect("a new MAC pool has addresses");
        let name = req.name.clone();
        let vswitch_name = format!("{}/vSwitch({name})", host.host);
        let vswitch = eng.add_node(
            NodeInfo {
                name: vswitch_name.clone(),
                kind: NodeKind::VSwitch,
                host: Some(host.host.clone()),
            },
            Device::Switch(Box::new(Switch::new(SwitchConfig::new(
                vswitch_name,
                false,
                UnknownUnicast::Drop,
            )))),
        );
        let version = self.version;
        let vtep = add_vtep(
            eng, host, vswitch, &name, vtep_mac, subnet, gateway, vni, pa,
        );
        // Each further subnet has its own VNI and gateway; the host routes between them.
        let mut more_subnets = Vec::new();
        for (sub, gw, sub_vni) in req.more_subnets {
            let sub = Ipv4Network::new(sub.network(), sub.prefix())
                .map_err(|_| HnsError::failed("The parameter is incorrect."))?;
            let mac = mac_pool
                .allocate()
                .ok_or_else(|| HnsError::failed("Unspecified error"))?;
            let port = add_vtep(eng, host, vswitch, &name, mac, sub, gw, sub_vni, pa);
            more_subnets.push(OverlaySubnet {
                pool: IpPool::new(sub, gw),
                vni: sub_vni,
                vtep: port,
                vtep_mac: mac,
            });
        }
        let vteps: Vec<(PortId, Ipv4Network)> = std::iter::once((vtep, subnet))
            .chain(more_subnets.iter().map(|s| (s.vtep, s.pool.subnet)))
            .collect();
        // VTEPs of the other overlay networks on this host: separate networks, never routed.
        let foreign: Vec<PortId> = self
            .networks
            .iter()
            .filter(|n| n.ty == NetworkType::Overlay)
            .flat_map(|n| n.vteps().into_iter().map(|(p, _, _)| p))
            .collect();
        let host_endpoints: Vec<PortId> = self
            .networks
            .iter()
            .filter(|n| n.host_endpoint_port.is_some())
            .filter_map(|n| n.host_vnic)
            .collect();
        let owner = self.owner();
        let rules = &mut host_stack(eng, host.stack).rules;
        for (a, _) in &vteps {
            for (b, _) in vteps.iter().filter(|(b, _)| b != a) {
                policy::allow(rules, owner, *a, *b);
            }
            for b in &foreign {
                policy::refuse_both(rules, owner, *a, *b, OVERLAYS_ISOLATED);
            }
            for b in &host_endpoints {
                policy::refuse_both(rules, owner, *a, *b, HOST_ENDPOINT_NOT_ROUTED);
            }
        }
        if version.overlay_uses_vfp_outbound_nat() {
            let instance = format!("OutBoundNAT ({name})");
            for (port, sub) in &vteps {
                translate_through_host(eng, host, owner, *port, &[nic_port], *sub, &instance, true);
            }
        }
        self.networks.push(HnsNetwork {
            id: id.clone(),
            owner,
            name,
            kind: req.ty.hns_name(),
            ty: req.ty,
            pool: IpPool::new(subnet, gateway),
            mac_pool,
            nat_name: String::new(),
            vswitch,
            host_vnic: Some(vtep),
            host_vnic_mac: vtep_mac,
            host_endpoint_port: None,
            bound_nic: Some(nic_port),
            vlan: None,
            dns_servers: req.dns_servers,
            outbound_nat: None,
            dhcp: false,
            vni: Some(vni),
            provider_address: Some(pa),
            more_subnets,
        });
        Ok(id)
    }

    /// The overlay peer table: HNS remote endpoints (CA -> PA) for network `id`. Each goes
    /// to the VTEP of the subnet that holds its address; their MACs are pinned to that VTEP's
    /// port, and the VTEP learns where to tunnel them.
    pub fn set_overlay_peers(
        &mut self,
        eng: &mut Engine,
        host: &HostNodes,
        id: &str,
        peers: Vec<VxlanPeer>,
    ) {
        let Some(net) = self.networks.iter().find(|n| n.id == id) else {
            return;
        };
        let vswitch = net.vswitch;
        // (the VTEP's MAC, its peers before, its peers now) for every VTEP that changes.
        let mut changed = Vec::new();
        let stack = host_stack(eng, host.stack);
        for (vtep, vtep_mac, subnet) in net.vteps() {
            let mine: Vec<_> = peers
                .iter()
                .filter(|p| subnet.contains(p.ip))
                .copied()
                .collect();
            let Some(t) = stack.iface_mut(vtep).and_then(|i| i.vxlan.as_mut()) else {
                continue;
            };
            if t.peers != mine {
                let old = std::mem::replace(&mut t.peers, mine.clone());
                changed.push((vtep_mac, old, mine));
            }
        }
        let Some(sw) = eng.device_mut(vswitch).and_then(Device::as_switch_mut) else {
            return;
        };
        // Unpin every old peer before pinning the new ones: a MAC may move between subnets.
        for (_, old, _) in &changed {
            for p in old {
                sw.unpin_mac(p.mac, 1);
            }
        }
        for (vtep_mac, _, mine) in &changed {
            let vtep_port = sw
                .config
                .static_macs
                .iter()
                .find(|(m, _, _)| m == vtep_mac)
                .map(|(_, _, p)| *p);
            if let Some(port) = vtep_port {
                for p in mine {
                    sw.pin_mac(p.mac, 1, port);
                }
            }
        }
    }

    /// transparent, l2bridge and l2tunnel: a network on the external vSwitch of a NIC.
    fn create_external_network(
        &mut self,
        eng: &mut Engine,
        host: &HostNodes,
        req: NetworkRequest,
    ) -> Result<String, HnsError> {
        let dhcp = req.subnet.is_none();
        if dhcp && req.ty != NetworkType::Transparent {
            // l2bridge and l2tunnel take static addresses from a given subnet only (reference 3.4).
            return Err(HnsError::failed("The parameter is incorrect."));
        }
        let ext = self.external_switch(eng, host, req.ty, req.adapter.as_deref())?;
        if let Some(v) = req.vlan {
            external::allow_vlan(eng, &self.external[ext], v);
        }
        let ExternalSwitch {
            vswitch,
            nic_port,
            nic_mac,
            ..
        } = self.external[ext].clone();
        // Without a subnet the endpoints take the NIC's own prefix from DHCP.
        let nic_net = host_stack(eng, host.stack)
            .iface(nic_port)
            .and_then(|i| i.addr)
            .map(|a| Ipv4Network::new(a.network(), a.prefix()).expect("valid prefix"));
        let subnet = match req.subnet.or(nic_net) {
            Some(s) => Ipv4Network::new(s.network(), s.prefix())
                .map_err(|_| HnsError::failed("The parameter is incorrect."))?,
            None => return Err(HnsError::failed("The parameter is incorrect.")),
        };
        let gateway = req.gateway.unwrap_or_else(|| ipam::first_host(subnet));
        let id = super::ids::guid(&mut self.rng);
        let mac_pool = MacPool::new(&mut self.rng);
        let mut outbound_nat = req.outbound_nat;
        if let Some(exc) = &mut outbound_nat {
            // Traffic within the network is bridged, never translated.
            if !exc.contains(&subnet) {
                exc.push(subnet);
            }
        }
        let owner = self.owner();
        self.networks.push(HnsNetwork {
            id: id.clone(),
            owner,
            name: req.name,
            kind: req.ty.hns_name(),
            ty: req.ty,
            pool: IpPool::new(subnet, gateway),
            mac_pool,
            nat_name: String::new(),
            vswitch,
            host_vnic: None,
            host_vnic_mac: nic_mac,
            host_endpoint_port: None,
            bound_nic: Some(nic_port),
            vlan: req.vlan,
            dns_servers: req.dns_servers,
            outbound_nat,
            dhcp,
            vni: None,
            provider_address: None,
            more_subnets: Vec::new(),
        });
        Ok(id)
    }

    /// The docs' second l2bridge set-up: an endpoint in the host's own compartment that holds
    /// `ip` (default: the network's gateway), so the host routes for the network's custom
    /// subnet. Routed traffic leaves through the management vNIC, which HNS allows from 1809
    /// (Server 2019) on; host endpoints of two networks route to each other on any version.
    pub fn attach_host_endpoint(
        &mut self,
        eng: &mut Engine,
        host: &HostNodes,
        network_id: &str,
        ip: Option<Ipv4Addr>,
    ) -> Result<Ipv4Addr, HnsError> {
        let version = self.version;
        let Some(ni) = self.networks.iter().position(|n| n.id == network_id) else {
            return Err(HnsError::failed(
                "The object identifier does not represent a valid object. ",
            ));
        };
        let net = &mut self.networks[ni];
        let Some(mgmt) = net.bound_nic.filter(|_| net.ty == NetworkType::L2Bridge) else {
            // The docs' set-up is l2bridge's; nat, ics, internal and overlay networks have
            // their gateway in the host already.
            return Err(HnsError(format!(
                "hnsim: a host endpoint is modelled for l2bridge networks only (the docs' second l2bridge set-up); {} is a {} network",
                net.name,
                net.ty.hns_name()
            )));
        };
        if net.host_vnic.is_some() {
            return Err(HnsError::failed("The object already exists."));
        }
        // Addresses in use on overlapping networks (another VLAN's host endpoint included).
        let (subnet_of, wanted) = (net.pool.subnet, ip.unwrap_or(net.pool.gateway));
        let in_use = self.networks.iter().enumerate().any(|(i, n)| {
            i != ni
                && ipam::overlaps(n.pool.subnet, subnet_of)
                && (n.pool.allocated().any(|a| *a == wanted)
                    || (n.host_endpoint_port.is_some() && n.pool.gateway == wanted))
        });
        if in_use {
            return Err(HnsError::failed("The object already exists."));
        }
        let net = &mut self.networks[ni];
        let ip = match ip {
            Some(ip) if ip != net.pool.gateway => net.pool.reserve(ip).map_err(|e| match e {
                PoolError::InUse => HnsError::failed("The object already exists."),
                _ => HnsError::failed("The parameter is incorrect."),
            })?,
            _ => net.pool.gateway,
        };
        let mac = net
            .mac_pool
            .allocate()
            .ok_or_else(|| HnsError::failed("Unspecified error"))?;
        let (vswitch, vlan, subnet, ty) =
            (net.vswitch, net.vlan.unwrap_or(1), net.pool.subnet, net.ty);
        let net_name = net.name.clone();
        let vnic_name = format!("vEthernet ({net_name})");
        // Other host endpoints are routed to; the host sides of nat and overlay networks are not.
        let others: Vec<PortId> = self
            .networks
            .iter()
            .filter(|n| n.host_endpoint_port.is_some())
            .filter_map(|n| n.host_vnic)
            .collect();
        let unrouted: Vec<PortId> = self
            .networks
            .iter()
            .filter(|n| n.host_endpoint_port.is_none())
            .flat_map(|n| {
                n.host_vnic
                    .into_iter()
                    .chain(n.more_subnets.iter().map(|s| s.vtep))
            })
            .collect();
        let addr = Ipv4Network::new(ip, subnet.prefix()).expect("prefix of a valid subnet");
        let port_name = format!("host endpoint ({vnic_name})");
        let (vnic, vs_port) = plug_host_iface(
            eng, host, vswitch, &net_name, &port_name, &vnic_name, mac, vlan, addr,
        );
        let policy = eng
            .device_mut(vswitch)
            .and_then(Device::as_switch_mut)
            .and_then(|sw| sw.config.port_policy.as_mut())
            .filter(|_| ty.mac_rewrite());
        if let Some(policy) = policy {
            // Like a container's, its MAC never reaches the wire.
            policy.endpoints.push(PolicyEndpoint {
                name: vnic_name,
                port: vs_port,
                mac,
                ip,
                vlan,
                mac_rewrite: true,
                to_uplink: None,
            });
        }
        let owner = self.networks[ni].owner;
        let rules = &mut host_stack(eng, host.stack).rules;
        if version.l2bridge_routes_across_hosts() {
            policy::allow_both(rules, owner, vnic, mgmt);
        } else {
            policy::refuse_both(rules, owner, vnic, mgmt, NO_MGMT_ROUTING_BEFORE_1809);
        }
        for other in others {
            policy::allow_both(rules, owner, vnic, other);
        }
        for other in unrouted {
            policy::refuse_both(rules, owner, vnic, other, HOST_ENDPOINT_NOT_ROUTED);
        }
        let net = &mut self.networks[ni];
        net.host_vnic = Some(vnic);
        net.host_endpoint_port = Some(vs_port);
        Ok(ip)
    }

    /// Deletes a network: its endpoints, vSwitch, host vNIC and WinNAT instance.
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
        if let Some(p) = net.host_endpoint_port {
            if let Some(l) = eng.link_on_port(net.vswitch, p) {
                eng.remove_link(l);
            }
            if let Some(sw) = eng.device_mut(net.vswitch).and_then(Device::as_switch_mut) {
                sw.remove_port(p);
            }
        }
        if net.ty == NetworkType::Overlay {
            // The overlay's own segment; its NIC's external vSwitch is handled below.
            eng.remove_node(net.vswitch);
        }
        if let Some(nic) = net.bound_nic {
            // The external vSwitch goes when its last network does.
            if !self.networks.iter().any(|n| n.bound_nic == Some(nic)) {
                if let Some(e) = self.external.iter().position(|e| e.nic_port == nic) {
                    let ext = self.external.remove(e);
                    external::unbind(eng, host, &ext);
                }
            }
        } else {
            eng.remove_node(net.vswitch);
        }
        let stack = host_stack(eng, host.stack);
        let extra_vteps = net.more_subnets.iter().map(|s| s.vtep);
        for vnic in net.host_vnic.into_iter().chain(extra_vteps) {
            stack.remove_iface(vnic);
        }
        stack.rules.remove_owned(net.owner);
    }

    /// Creates an endpoint and attaches it to a compartment.
    pub fn create_endpoint(
        &mut self,
        eng: &mut Engine,
        host: &HostNodes,
        req: EndpointRequest,
    ) -> Result<String, HnsError> {
        let version = self.version;
        let Some(ni) = self.networks.iter().position(|n| n.id == req.network_id) else {
            return Err(HnsError::failed(
                "The object identifier does not represent a valid object. ",
            ));
        };
        let owner = self.owner();
        // Port mappings first: a taken host port fails the whole endpoint.
        let taken_ports: Vec<(u8, u16)> = self
            .endpoints
            .iter()
            .flat_map(|e| e.port_mappings.iter().map(|m| (m.proto, m.host_port)))
            .collect();
        let mut mappings = Vec::new();
        for (proto, host_port, container_port) in &req.ports {
            let host_port = match host_port {
                Some(p) => {
                    if taken_ports.contains(&(*proto, *p))
                        || mappings
                            .iter()
                            .any(|m: &PortMapping| m.proto == *proto && m.host_port == *p)
                    {
                        return Err(HnsError::failed("The process cannot access the file because it is being used by another process."));
                    }
                    *p
                }
                None => loop {
                    let p = 1025 + self.rng.below(65535 - 1025) as u16;
                    if !taken_ports.contains(&(*proto, p)) {
                        break p;
                    }
                },
            };
            mappings.push(PortMapping {
                proto: *proto,
                host_port,
                container_port: *container_port,
            });
        }
        // Addresses in use by overlapping networks (gateways included) are off limits too.
        let subnet_of = self.networks[ni].pool.subnet;
        let taken: std::collections::BTreeSet<Ipv4Addr> = self
            .networks
            .iter()
            .enumerate()
            .filter(|(i, n)| *i != ni && ipam::overlaps(n.pool.subnet, subnet_of))
            .flat_map(|(_, n)| n.pool.allocated().copied().chain([n.pool.gateway]))
            .collect();
        let net = &mut self.networks[ni];
        if req.ip.is_some_and(|ip| taken.contains(&ip)) {
            return Err(HnsError::failed("The object already exists."));
        }
        let ip = match req.ip {
            // transparent without a subnet: the container asks the wire's DHCP server.
            None if net.dhcp => Ipv4Addr::UNSPECIFIED,
            Some(ip) => net.pool_for_mut(ip).reserve(ip).map_err(|e| match e {
                PoolError::InUse => HnsError::failed("The object already exists."),
                _ => HnsError::failed("The parameter is incorrect."),
            })?,
            None => net
                .pool
                .allocate_avoiding(&mut self.rng, &taken)
                .map_err(|_| HnsError::failed("Unspecified error"))?,
        };
        let Some(mac) = net.mac_pool.allocate() else {
            net.pool_for_mut(ip).release(ip);
            return Err(HnsError::failed("Unspecified error"));
        };
        let id = super::ids::guid(&mut self.rng);
        let (subnet, gateway) = {
            let pool = net.pool_for_mut(ip);
            (pool.subnet, pool.gateway)
        };
        let (net_name, net_id, vswitch, ty) =
            (net.name.clone(), net.id.clone(), net.vswitch, net.ty);
        // An overlay's other subnets, which its gateway routes to.
        let sibling_subnets: Vec<Ipv4Network> = std::iter::once(net.pool.subnet)
            .chain(net.more_subnets.iter().map(|s| s.pool.subnet))
            .filter(|s| *s != subnet)
            .collect();
        let vlan = net.vlan.unwrap_or(1);
        let dhcp = ip.is_unspecified();
        let outbound_nat = net.outbound_nat.clone();
        let net_dns = net.dns_servers.clone();

        let host_ip = net
            .bound_nic
            .and_then(|nic| host_stack(eng, host.stack).iface(nic))
            .and_then(|i| i.addr)
            .map(|a| a.ip());
        let vswitch_port = match eng.device_mut(vswitch).and_then(Device::as_switch_mut) {
            Some(sw) => {
                let p = sw.add_port(
                    format!("{} ({})", req.name, &id[..8]),
                    PortMode::Access(vlan),
                );
                sw.pin_mac(mac, vlan, p);
                let wants_vfp = ty.mac_rewrite() || outbound_nat.is_some();
                let switch_name = sw.config.name.clone();
                if let Some(vfp) = sw.config.port_policy.as_mut().filter(|_| wants_vfp) {
                    vfp.endpoints.push(PolicyEndpoint {
                        name: req.name.clone(),
                        port: p,
                        mac,
                        ip,
                        vlan,
                        mac_rewrite: ty.mac_rewrite(),
                        to_uplink: (ty == NetworkType::L2Tunnel).then(|| {
                            format!(
                                "l2tunnel: all traffic of {} goes to the physical host, where SDN policy applies",
                                req.name
                            )
                        }),
                    });
                    let uplink = vfp.uplink;
                    if let Some(host_ip) = host_ip {
                        let rules = &mut sw.filter_mut(policy::vfp_profile()).rules;
                        if let Some(exceptions) = &outbound_nat {
                            policy::vfp_outbound_nat(
                                rules,
                                &switch_name,
                                owner,
                                &req.name,
                                ip,
                                uplink,
                                host_ip,
                                exceptions,
                            );
                        }
                        for m in &mappings {
                            let inside = SocketAddrV4::new(ip, m.container_port);
                            policy::vfp_port_map(
                                rules,
                                &switch_name,
                                owner,
                                m.proto,
                                m.host_port,
                                inside,
                                &req.name,
                                uplink,
                                host_ip,
                            );
                        }
                    }
                }
                p
            }
            None => return Err(HnsError::failed("Element not found.")),
        };
        let nic_name = match req.isolation {
            // libnetwork's hidden gateway endpoint (Server 2016 overlay) is named for what it is.
            _ if req.name.starts_with("gateway_") => format!("vEthernet ({})", req.name),
            Isolation::Process => format!(
                "vEthernet (Container NIC {})",
                &id[..8].to_ascii_lowercase()
            ),
            Isolation::HyperV => format!("Ethernet (VM NIC {})", &id[..8].to_ascii_lowercase()),
        };
        // nat and overlay: the embedded resolver answers at the gateway, and HNS gives the
        // endpoint the gateway as its DNS server. Other drivers: `--dns`, else the network's
        // `dnsservers` option.
        let dns_servers = if ty.internal_dns() {
            vec![gateway]
        } else if !req.dns.is_empty() {
            req.dns.clone()
        } else {
            net_dns
        };
        let Some(ctr) = eng
            .device_mut(req.compartment)
            .and_then(Device::as_stack_mut)
        else {
            return Err(HnsError::failed("Element not found."));
        };
        let mut nic = IfaceConfig::ethernet(
            nic_name.clone(),
            mac,
            (!dhcp).then(|| Ipv4Network::new(ip, subnet.prefix()).expect("valid prefix")),
        );
        if req.name.starts_with("gateway_") {
            nic.tag = Some(policy::TAG_SECOND_ENDPOINT.to_string());
        }
        let compartment_port = ctr.add_iface(nic);
        if req.default_route && !dhcp && !ctr.config.routes.iter().any(|r| r.dest.prefix() == 0) {
            ctr.config.routes.push(Route {
                dest: Ipv4Network::new(Ipv4Addr::UNSPECIFIED, 0).expect("default route"),
                via: Some(gateway),
                iface: compartment_port,
            });
        }
        if !req.default_route {
            // Server 2016 overlay: the default route is the nat endpoint's, so the overlay's
            // other subnets get routes of their own through this endpoint's gateway.
            for dest in &sibling_subnets {
                ctr.config.routes.push(Route {
                    dest: *dest,
                    via: Some(gateway),
                    iface: compartment_port,
                });
            }
        }
        for d in &dns_servers {
            if !ctr.config.dns_servers.contains(d) {
                ctr.config.dns_servers.push(*d);
            }
        }
        let hyperv = req.isolation == Isolation::HyperV;
        let fw = policy::compartment_firewall(&mut ctr.rules, &req.name, version, hyperv);
        if !version.inbound_unsolicited_allowed() {
            // Before 1709 only the network's own subnets may reach the container unasked.
            for remote in std::iter::once(subnet).chain(sibling_subnets) {
                let name = format!("Container Enable ICC - {id}");
                policy::firewall_allow(&mut ctr.rules, &fw, owner, &name, None, None, Some(remote));
            }
        }
        for m in &mappings {
            let name = format!(
                "HNS port mapping {}:{} -> {}/{} ({id})",
                proto_name(m.proto),
                m.host_port,
                m.container_port,
                proto_name(m.proto)
            );
            let port = Some(m.container_port);
            policy::firewall_allow(&mut ctr.rules, &fw, owner, &name, Some(m.proto), port, None);
        }
        eng.connect(
            format!("{}:{}<->vSwitch({net_name})", host.host, req.name),
            (req.compartment, compartment_port),
            (vswitch, vswitch_port),
            LinkParams::internal(),
            true,
        );
        if dhcp {
            // The container's DHCP client starts as soon as its vNIC is up.
            eng.invoke(req.compartment, |d, out| {
                if let Some(s) = d.as_stack_mut() {
                    s.config.dhcp_client.push(compartment_port);
                    s.start_dhcp(compartment_port, out);
                }
            });
        }
        if ty.winnat() {
            let hairpin = version.host_reaches_published_ports();
            let rules = &mut host_stack(eng, host.stack).rules;
            for m in &mappings {
                let inside = SocketAddrV4::new(ip, m.container_port);
                policy::static_mapping(
                    rules,
                    owner,
                    m.proto,
                    m.host_port,
                    inside,
                    &req.name,
                    &host.physical,
                    hairpin,
                );
            }
        }
        self.endpoints.push(HnsEndpoint {
            id: id.clone(),
            owner,
            name: req.name,
            network_id: net_id,
            ip,
            prefix: subnet.prefix(),
            mac,
            gateway,
            dns_servers,
            enable_internal_dns: ty.internal_dns(),
            port_mappings: mappings,
            isolation: req.isolation,
            compartment: req.compartment,
            compartment_port,
            vswitch_port,
        });
        Ok(id)
    }

    /// Detaches and deletes an endpoint, with its port, mappings and firewall rules.
    pub fn delete_endpoint(&mut self, eng: &mut Engine, host: &HostNodes, id: &str) {
        let Some(i) = self.endpoints.iter().position(|e| e.id == id) else {
            return;
        };
        let ep = self.endpoints.remove(i);
        if let Some(net) = self.networks.iter_mut().find(|n| n.id == ep.network_id) {
            net.pool_for_mut(ep.ip).release(ep.ip);
            let vswitch = net.vswitch;
            if let Some(sw) = eng.device_mut(vswitch).and_then(Device::as_switch_mut) {
                sw.remove_port(ep.vswitch_port);
            }
            if let Some(l) = eng.link_on_port(vswitch, ep.vswitch_port) {
                eng.remove_link(l);
            }
        }
        if let Some(ctr) = eng
            .device_mut(ep.compartment)
            .and_then(Device::as_stack_mut)
        {
            ctr.remove_iface(ep.compartment_port);
            ctr.config
                .dns_servers
                .retain(|d| !ep.dns_servers.contains(d));
            ctr.rules.remove_owned(ep.owner);
        }
        if let Some(net) = self.networks.iter().find(|n| n.id == ep.network_id) {
            if let Some(f) = eng
                .device_mut(net.vswitch)
                .and_then(Device::as_switch_mut)
                .and_then(|sw| sw.filter.as_mut())
            {
                f.rules.remove_owned(ep.owner);
            }
        }
        host_stack(eng, host.stack).rules.remove_owned(ep.owner);
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

pub use policy::proto_name;

/// An overlay subnet's VTEP: a host stack interface holding the subnet's gateway on the
/// overlay vSwitch segment, which encapsulates for remote endpoints with the subnet's VNI.
#[allow(clippy::too_many_arguments)]
fn add_vtep(
    eng: &mut Engine,
    host: &HostNodes,
    vswitch: NodeId,
    network: &str,
    mac: MacAddr,
    subnet: Ipv4Network,
    gateway: Ipv4Addr,
    vni: u32,
    provider_address: Ipv4Addr,
) -> PortId {
    let vtep_name = format!("VFP overlay ({network}, VNI {vni})");
    let addr = Ipv4Network::new(gateway, subnet.prefix()).expect("valid prefix");
    let (vtep, _) = plug_host_iface(
        eng, host, vswitch, network, &vtep_name, &vtep_name, mac, 1, addr,
    );
    if let Some(i) = host_stack(eng, host.stack).iface_mut(vtep) {
        i.vxlan = Some(VxlanConfig {
            vni,
            local: provider_address,
            peers: Vec::new(),
        });
    }
    vtep
}

/// A host stack interface on a port of `vswitch` (access `vlan`, `mac` pinned), holding
/// `addr`, and the link between them. Returns (the stack's port, the vSwitch's port).
#[allow(clippy::too_many_arguments)]
fn plug_host_iface(
    eng: &mut Engine,
    host: &HostNodes,
    vswitch: NodeId,
    network: &str,
    port_name: &str,
    iface_name: &str,
    mac: MacAddr,
    vlan: u16,
    addr: Ipv4Network,
) -> (PortId, PortId) {
    let vs_port = {
        let sw = eng
            .device_mut(vswitch)
            .and_then(Device::as_switch_mut)
            .expect("the network's vSwitch");
        let p = sw.add_port(port_name, PortMode::Access(vlan));
        sw.pin_mac(mac, vlan, p);
        p
    };
    let port =
        host_stack(eng, host.stack).add_iface(IfaceConfig::ethernet(iface_name, mac, Some(addr)));
    eng.connect(
        format!("{}:{iface_name}<->vSwitch({network})", host.host),
        (host.stack, port),
        (vswitch, vs_port),
        LinkParams::internal(),
        true,
    );
    (port, vs_port)
}

/// Lets the host forward from `inside` to `outside` ports, and back only what a NAT table
/// translated, with dynamic source NAT for `prefix` leaving by `outside`: a WinNAT instance,
/// or with `vfp` a VFP OutboundNAT rule.
#[allow(clippy::too_many_arguments)]
fn translate_through_host(
    eng: &mut Engine,
    host: &HostNodes,
    owner: Owner,
    inside: PortId,
    outside: &[PortId],
    prefix: Ipv4Network,
    instance: &str,
    vfp: bool,
) {
    let rules = &mut host_stack(eng, host.stack).rules;
    for out in outside {
        policy::allow(rules, owner, inside, *out);
        policy::allow_translated(rules, owner, *out, inside);
    }
    policy::source_nat(rules, owner, prefix, outside, instance, vfp);
}

pub(crate) fn host_stack(eng: &mut Engine, node: NodeId) -> &mut crate::device::stack::IpStack {
    eng.device_mut(node)
        .and_then(Device::as_stack_mut)
        .expect("a Windows host's default compartment is an IP stack")
}
