//! HNS, the Host Network Service: networks, endpoints and their policies, compiled into
//! device configuration.
//!
//! A nat network becomes an internal vSwitch, a host vNIC holding the gateway address,
//! forwarding rules on the host stack and a WinNAT instance. An endpoint becomes a vSwitch
//! port with a pinned MAC, a vNIC in the container's compartment with its address, route and
//! DNS servers, and port mappings become WinNAT static mappings plus firewall allow rules.
//! Nothing here touches a packet.

use super::ipam::{self, IpPool, MacPool, PoolError};
use super::version::WindowsVersion;
use crate::device::stack::{
    FirewallConfig, FirewallRule, ForwardRule, Forwarding, IfaceConfig, NatConfig, NatInstance,
    Route, StaticMapping,
};
use crate::device::switch::{PortMode, Switch, SwitchConfig, UnknownUnicast};
use crate::device::Device;
use crate::engine::link::LinkParams;
use crate::engine::Engine;
use crate::id::{NodeId, PortId};
use crate::rng::SimRng;
use crate::topology::{NodeInfo, NodeKind};
use crate::wire::{self, MacAddr};
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

#[derive(Clone, Debug, Serialize)]
pub struct HnsNetwork {
    pub id: String,
    /// The docker network name, used for device names in traces.
    pub name: String,
    pub kind: &'static str,
    pub pool: IpPool,
    pub mac_pool: MacPool,
    pub nat_name: String,
    #[serde(skip)]
    pub vswitch: NodeId,
    #[serde(skip)]
    pub host_vnic: PortId,
    pub host_vnic_mac: MacAddr,
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
}

/// An HNS failure, worded as HNS words it (docker wraps it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HnsError(pub String);

impl HnsError {
    fn failed(what: &str) -> Self {
        HnsError(format!("HNS failed with error : {what}"))
    }
}

const WINNAT_FORWARDING_REFUSAL: &str = "Windows forwards between a nat network's vNIC and the physical NICs only what WinNAT translates; separate nat networks cannot reach each other (\"only one NAT internal prefix\")";

#[derive(Debug)]
pub struct Hns {
    pub version: WindowsVersion,
    pub networks: Vec<HnsNetwork>,
    pub endpoints: Vec<HnsEndpoint>,
    rng: SimRng,
}

impl Hns {
    pub fn new(version: WindowsVersion, rng: SimRng) -> Self {
        Hns {
            version,
            networks: Vec::new(),
            endpoints: Vec::new(),
            rng,
        }
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
        let version = self.version;
        let existing: Vec<Ipv4Network> = self.networks.iter().map(|n| n.pool.subnet).collect();
        let subnet = match subnet {
            Some(s) => {
                if self.version.single_winnat_prefix()
                    && !existing.is_empty()
                    && !existing.iter().any(|e| e.contains(s.network()))
                {
                    return Err(HnsError::failed("Unspecified error"));
                }
                if !self.version.single_winnat_prefix()
                    && existing.iter().any(|e| ipam::overlaps(*e, s))
                {
                    return Err(HnsError::failed("The object already exists."));
                }
                Ipv4Network::new(s.network(), s.prefix())
                    .map_err(|_| HnsError::failed("The parameter is incorrect."))?
            }
            None => {
                let mut avoid = existing.clone();
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
        let mut switch = Switch::new(SwitchConfig {
            name: vswitch_name.clone(),
            learning: false,
            unknown_unicast: UnknownUnicast::Drop,
            ports: Vec::new(),
            static_macs: Vec::new(),
        });
        let vs_host_port = switch.add_port("host vNIC", PortMode::Access(1));
        switch.pin_mac(host_vnic_mac, 1, vs_host_port);
        let vswitch = eng.add_node(
            NodeInfo {
                name: vswitch_name,
                kind: NodeKind::VSwitch,
                host: Some(host.host.clone()),
            },
            Device::Switch(switch),
        );

        let vnic_name = format!("vEthernet ({name})");
        let nat_name = format!("NAT{}", &id[..8]);
        let stack = host_stack(eng, host.stack);
        let host_vnic = stack.add_iface(IfaceConfig {
            name: vnic_name.clone(),
            mac: host_vnic_mac,
            addr: Some(
                Ipv4Network::new(gateway, subnet.prefix()).expect("prefix of a valid subnet"),
            ),
            mtu: 1500,
        });
        if let Forwarding::Rules { rules, .. } = &mut stack.config.forwarding {
            for phys in &host.physical {
                rules.push(ForwardRule {
                    from: host_vnic,
                    to: *phys,
                    only_translated: false,
                });
                rules.push(ForwardRule {
                    from: *phys,
                    to: host_vnic,
                    only_translated: true,
                });
            }
        }
        let nat = stack.config.nat.get_or_insert_with(|| NatConfig {
            name: "WinNAT".into(),
            instances: Vec::new(),
            outside_ifaces: host.physical.clone(),
            static_mappings: Vec::new(),
            port_range: (1024, 65535),
            max_sessions: 65536,
            local_hairpin: version.host_reaches_published_ports(),
        });
        nat.instances.push(NatInstance {
            name: nat_name.clone(),
            inside_prefix: subnet,
        });
        eng.connect(
            format!("{}:{vnic_name}<->vSwitch({name})", host.host),
            (host.stack, host_vnic),
            (vswitch, vs_host_port),
            LinkParams::internal(),
            true,
        );
        self.networks.push(HnsNetwork {
            id: id.clone(),
            name: name.to_string(),
            kind: "NAT",
            pool: IpPool::new(subnet, gateway),
            mac_pool,
            nat_name,
            vswitch,
            host_vnic,
            host_vnic_mac,
        });
        Ok(id)
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
        eng.remove_node(net.vswitch);
        let stack = host_stack(eng, host.stack);
        stack.remove_iface(net.host_vnic);
        if let Some(nat) = &mut stack.config.nat {
            nat.instances.retain(|x| x.name != net.nat_name);
        }
        if let Some(fw) = &mut stack.config.firewall {
            fw.rules.retain(|r| !r.name.contains(&net.id));
        }
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
            Some(ip) => net.pool.reserve(ip).map_err(|e| match e {
                PoolError::InUse => HnsError::failed("The object already exists."),
                _ => HnsError::failed("The parameter is incorrect."),
            })?,
            None => net
                .pool
                .allocate_avoiding(&mut self.rng, &taken)
                .map_err(|_| HnsError::failed("Unspecified error"))?,
        };
        let Some(mac) = net.mac_pool.allocate() else {
            net.pool.release(ip);
            return Err(HnsError::failed("Unspecified error"));
        };
        let id = super::ids::guid(&mut self.rng);
        let (subnet, gateway, net_name, net_id, vswitch) = (
            net.pool.subnet,
            net.pool.gateway,
            net.name.clone(),
            net.id.clone(),
            net.vswitch,
        );

        let vswitch_port = match eng.device_mut(vswitch).and_then(Device::as_switch_mut) {
            Some(sw) => {
                let p = sw.add_port(format!("{} ({})", req.name, &id[..8]), PortMode::Access(1));
                sw.pin_mac(mac, 1, p);
                p
            }
            None => return Err(HnsError::failed("Element not found.")),
        };
        let nic_name = match req.isolation {
            Isolation::Process => format!(
                "vEthernet (Container NIC {})",
                &id[..8].to_ascii_lowercase()
            ),
            Isolation::HyperV => format!("Ethernet (VM NIC {})", &id[..8].to_ascii_lowercase()),
        };
        // The embedded resolver answers at the gateway; HNS gives the endpoint the gateway as its DNS server.
        let dns_servers = vec![gateway];
        let Some(ctr) = eng
            .device_mut(req.compartment)
            .and_then(Device::as_stack_mut)
        else {
            return Err(HnsError::failed("Element not found."));
        };
        let compartment_port = ctr.add_iface(IfaceConfig {
            name: nic_name.clone(),
            mac,
            addr: Some(Ipv4Network::new(ip, subnet.prefix()).expect("valid prefix")),
            mtu: 1500,
        });
        if !ctr.config.routes.iter().any(|r| r.dest.prefix() == 0) {
            ctr.config.routes.push(Route {
                dest: Ipv4Network::new(Ipv4Addr::UNSPECIFIED, 0).expect("default route"),
                via: Some(gateway),
                iface: compartment_port,
            });
        }
        for d in &dns_servers {
            if !ctr.config.dns_servers.contains(d) {
                ctr.config.dns_servers.push(*d);
            }
        }
        let fw = ctr
            .config
            .firewall
            .get_or_insert_with(|| compartment_firewall(version, req.isolation, &req.name));
        if !version.inbound_unsolicited_allowed() {
            fw.rules.push(FirewallRule {
                name: format!("Container Enable ICC - {id}"),
                allow: true,
                proto: None,
                local_port: None,
                remote: Some(subnet),
            });
        }
        for m in &mappings {
            fw.rules.push(FirewallRule {
                name: format!(
                    "HNS port mapping {}:{} -> {}/{} ({id})",
                    proto_name(m.proto),
                    m.host_port,
                    m.container_port,
                    proto_name(m.proto)
                ),
                allow: true,
                proto: Some(m.proto),
                local_port: Some(m.container_port),
                remote: None,
            });
        }
        eng.connect(
            format!("{}:{}<->vSwitch({net_name})", host.host, req.name),
            (req.compartment, compartment_port),
            (vswitch, vswitch_port),
            LinkParams::internal(),
            true,
        );
        let stack = host_stack(eng, host.stack);
        if let Some(nat) = &mut stack.config.nat {
            for m in &mappings {
                nat.static_mappings.push(StaticMapping {
                    name: format!(
                        "{}/{} -> {}:{} ({})",
                        m.host_port,
                        proto_name(m.proto),
                        ip,
                        m.container_port,
                        req.name
                    ),
                    proto: m.proto,
                    outside_port: m.host_port,
                    inside: SocketAddrV4::new(ip, m.container_port),
                });
            }
        }
        self.endpoints.push(HnsEndpoint {
            id: id.clone(),
            name: req.name,
            network_id: net_id,
            ip,
            prefix: subnet.prefix(),
            mac,
            gateway,
            dns_servers,
            enable_internal_dns: true,
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
            net.pool.release(ep.ip);
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
            ctr.config.dns_servers.retain(|d| *d != ep.gateway);
            if let Some(fw) = &mut ctr.config.firewall {
                fw.rules.retain(|r| !r.name.contains(&ep.id));
            }
        }
        let stack = host_stack(eng, host.stack);
        if let Some(nat) = &mut stack.config.nat {
            nat.static_mappings.retain(|m| *m.inside.ip() != ep.ip);
        }
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

/// The firewall of a container compartment, by Windows version and isolation (reference section 6).
fn compartment_firewall(
    version: WindowsVersion,
    isolation: Isolation,
    name: &str,
) -> FirewallConfig {
    let (allow, default_name) = match (isolation, version.inbound_unsolicited_allowed()) {
        (Isolation::HyperV, _) => (
            (0u8..=255).collect(),
            "default inbound: allow all (Hyper-V isolation: the utility VM's own firewall)".to_string(),
        ),
        (Isolation::Process, true) => (
            vec![wire::IPPROTO_ICMP, 2, wire::IPPROTO_TCP, wire::IPPROTO_UDP],
            format!("default inbound: allow unsolicited TCP, UDP, ICMP and IGMP, block all else ({} and later)", "Windows Server 1709"),
        ),
        (Isolation::Process, false) => (Vec::new(), format!("default inbound: block all ({})", version.display_name())),
    };
    FirewallConfig {
        name: format!("Windows Firewall (compartment of {name})"),
        default_inbound_allow: allow,
        default_inbound_name: default_name,
        rules: Vec::new(),
    }
}

pub fn proto_name(p: u8) -> &'static str {
    match p {
        wire::IPPROTO_TCP => "tcp",
        wire::IPPROTO_UDP => "udp",
        _ => "ip",
    }
}

fn host_stack(eng: &mut Engine, node: NodeId) -> &mut crate::device::stack::IpStack {
    eng.device_mut(node)
        .and_then(Device::as_stack_mut)
        .expect("a Windows host's default compartment is an IP stack")
}

/// The forwarding policy of a Windows host stack before any network exists.
pub fn host_forwarding() -> Forwarding {
    Forwarding::Rules {
        rules: Vec::new(),
        refusal: WINNAT_FORWARDING_REFUSAL.to_string(),
    }
}
