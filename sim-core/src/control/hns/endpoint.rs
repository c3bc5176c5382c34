//! Endpoints: a port on the network's vSwitch with the endpoint's MAC pinned, a vNIC in the
//! container's compartment with its address, routes and DNS servers, and the endpoint's
//! policies: firewall allow rules in the compartment, WinNAT static mappings on the host for
//! nat networks, on an external vSwitch VFP's MAC rewrite, OutboundNAT and port maps, and an
//! overlay endpoint's port maps in the host stack. Its published host ports must be free
//! (not mapped, not listened on by the host), and its sessions go with it.

use super::{
    host_listens, host_stack, policy, proto_name, EndpointRequest, Hns, HnsEndpoint, HnsError,
    HostNodes, Isolation, NetworkType, PortMapping,
};
use crate::control::ipam::{self, PoolError};
use crate::control::plan::{self, Item};
use crate::device::port_policy::PolicyEndpoint;
use crate::device::stack::{IfaceConfig, Route};
use crate::device::switch::PortMode;
use crate::device::Device;
use crate::engine::Engine;
use ipnetwork::Ipv4Network;
use std::net::{Ipv4Addr, SocketAddrV4};

/// The MTU HNS gives overlay endpoints: 1500 less VXLAN's 50 bytes (reference 3.3:
/// microsoft/SDN#517, Azure/AKS#2873).
const OVERLAY_MTU: u16 = 1450;

impl Hns {
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
        // Port mappings first: a host port in use fails the whole endpoint. It is in use when
        // another mapping holds it, an earlier one of this request, or (for WinNAT, which
        // takes the port on the host) a process on the host listening on it (reference 2.5).
        let winnat = self.networks[ni].ty.winnat();
        // (Gathered only when the request maps a port: a scan of every endpoint otherwise.)
        let mut in_use: Vec<(u8, u16)> = match req.ports.is_empty() {
            true => Vec::new(),
            false => self
                .endpoints
                .iter()
                .flat_map(|e| e.port_mappings.iter().map(|m| (m.proto, m.host_port)))
                .collect(),
        };
        let taken = |in_use: &[(u8, u16)], proto: u8, port: u16| {
            in_use.contains(&(proto, port)) || (winnat && host_listens(eng, host, proto, port))
        };
        let mut mappings = Vec::new();
        for (proto, host_port, container_port) in &req.ports {
            let host_port = match host_port {
                Some(p) if taken(&in_use, *proto, *p) => {
                    return Err(HnsError::port_in_use(version));
                }
                Some(p) => *p,
                None => loop {
                    let p = 1025 + self.rng.below(65535 - 1025) as u16;
                    if !taken(&in_use, *proto, p) {
                        break p;
                    }
                },
            };
            in_use.push((*proto, host_port));
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
        let id = crate::control::ids::guid(&mut self.rng);
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
        let vlan = net.segment_vlan(ip);
        let dhcp = ip.is_unspecified();
        let outbound_nat = net.outbound_nat.clone();
        let net_dns = net.dns_servers.clone();

        let bound_nic = net.bound_nic;
        let host_ip = net
            .bound_nic
            .and_then(|nic| host_stack(eng, host.stack).iface(nic))
            .and_then(|i| i.addr)
            .map(|a| a.ip());
        let Some(Device::Switch(sw)) = eng.device(vswitch) else {
            return Err(HnsError::failed("Element not found."));
        };
        let switch_name = sw.config.name.clone();
        let uplink = sw.config.port_policy.as_ref().map(|v| v.uplink);
        if eng
            .device(req.compartment)
            .and_then(Device::as_stack)
            .is_none()
        {
            return Err(HnsError::failed("Element not found."));
        }
        // The compartment's firewall comes with its first endpoint and stays with it.
        let fw = {
            let ctr = eng
                .device_mut(req.compartment)
                .and_then(Device::as_stack_mut)
                .expect("checked above");
            // The compartment is a Windows TCP/IP stack: its ARP, reassembly and DHCP
            // fallback numbers are Windows'.
            crate::control::tcpip::windows(&mut ctr.config);
            let hyperv = req.isolation == Isolation::HyperV;
            policy::compartment_firewall(&mut ctr.rules, &req.name, version, hyperv)
        };

        let mut p = self.planner(eng);
        let vswitch_port = p.switch_port(
            vswitch,
            format!("{} ({})", req.name, &id[..8]),
            PortMode::Access(vlan),
            vec![(mac, vlan)],
        );
        // VFP policies on an external vSwitch: MAC rewrite and the l2tunnel hair-pin on the
        // port, OutboundNAT and port maps in its NAT layer.
        let wants_vfp = ty.mac_rewrite() || outbound_nat.is_some();
        if let Some(uplink) = uplink.filter(|_| wants_vfp) {
            p.push(Item::PolicyEndpoint {
                switch: vswitch,
                endpoint: PolicyEndpoint {
                    name: req.name.clone(),
                    port: vswitch_port,
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
                },
            });
            if let Some(host_ip) = host_ip {
                p.push(Item::SwitchFilter {
                    switch: vswitch,
                    profile: policy::vfp_profile(),
                });
                if let Some(exceptions) = &outbound_nat {
                    policy::vfp_outbound_nat(
                        &mut p, vswitch, &req.name, ip, uplink, host_ip, exceptions,
                    );
                }
                for m in &mappings {
                    let inside = SocketAddrV4::new(ip, m.container_port);
                    policy::vfp_port_map(
                        &mut p,
                        vswitch,
                        &switch_name,
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
        // overlay from 1709 on: the endpoint carries its own NAT port-map policies (one
        // endpoint per task; reference 2.8 and 3.3), which VFP applies on the host's
        // provider address. The host stack holds the overlay's VTEPs, so the map is there.
        if let (NetworkType::Overlay, Some(nic), Some(host_ip)) = (ty, bound_nic, host_ip) {
            for m in &mappings {
                let inside = SocketAddrV4::new(ip, m.container_port);
                policy::vfp_port_map(
                    &mut p,
                    host.stack,
                    &format!("overlay {net_name}"),
                    m.proto,
                    m.host_port,
                    inside,
                    &req.name,
                    nic,
                    host_ip,
                );
            }
        }
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
        let mut nic = IfaceConfig::ethernet(
            nic_name,
            mac,
            (!dhcp).then(|| Ipv4Network::new(ip, subnet.prefix()).expect("valid prefix")),
        );
        if req.name.starts_with("gateway_") {
            nic.tag = Some(policy::TAG_SECOND_ENDPOINT.to_string());
        }
        // HNS lowers an overlay endpoint's MTU by VXLAN's 50 bytes (reference 3.3).
        if ty == NetworkType::Overlay {
            nic.mtu = OVERLAY_MTU;
        }
        let ctr = req.compartment;
        let compartment_port = p.iface(ctr, nic);
        let has_default = eng
            .device(ctr)
            .and_then(Device::as_stack)
            .is_some_and(|s| s.config.routes().iter().any(|r| r.dest.prefix() == 0));
        if req.default_route && !dhcp && !has_default {
            p.push(Item::Route {
                stack: ctr,
                route: Route {
                    dest: Ipv4Network::new(Ipv4Addr::UNSPECIFIED, 0).expect("default route"),
                    via: Some(gateway),
                    iface: compartment_port,
                },
            });
        }
        if !req.default_route {
            // Server 2016 overlay: the default route is the nat endpoint's, so the overlay's
            // other subnets get routes of their own through this endpoint's gateway.
            for dest in &sibling_subnets {
                p.push(Item::Route {
                    stack: ctr,
                    route: Route {
                        dest: *dest,
                        via: Some(gateway),
                        iface: compartment_port,
                    },
                });
            }
        }
        let known = eng
            .device(ctr)
            .and_then(Device::as_stack)
            .map(|s| s.config.dns_servers.clone())
            .unwrap_or_default();
        for d in dns_servers.iter().filter(|d| !known.contains(d)) {
            p.push(Item::DnsServer {
                stack: ctr,
                addr: *d,
            });
        }
        if !version.inbound_unsolicited_allowed() {
            // Before 1709 only the network's own subnets may reach the container unasked.
            for remote in std::iter::once(subnet).chain(sibling_subnets) {
                let name = format!("Container Enable ICC - {id}");
                policy::firewall_allow(&mut p, ctr, &fw, &name, None, None, Some(remote));
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
            policy::firewall_allow(&mut p, ctr, &fw, &name, Some(m.proto), port, None);
        }
        p.link(
            format!("{}:{}<->vSwitch({net_name})", host.host, req.name),
            (ctr, compartment_port),
            (vswitch, vswitch_port),
        );
        if dhcp {
            // The container's DHCP client starts as soon as its vNIC is up.
            p.push(Item::DhcpClient {
                stack: ctr,
                port: compartment_port,
            });
        }
        if ty.winnat() {
            let hairpin = version.host_reaches_published_ports();
            for m in &mappings {
                let inside = SocketAddrV4::new(ip, m.container_port);
                policy::static_mapping(
                    &mut p,
                    host.stack,
                    m.proto,
                    m.host_port,
                    inside,
                    &req.name,
                    &host.physical,
                    hairpin,
                );
            }
        }
        if !dhcp {
            // The sessions WinNAT or VFP keeps for the endpoint's address go with it (reference
            // 2.5 and 3.1: a mapping lives as long as its container).
            p.push(Item::Connections {
                node: host.stack,
                addr: ip,
            });
            if uplink.is_some() && wants_vfp {
                p.push(Item::Connections {
                    node: vswitch,
                    addr: ip,
                });
            }
        }
        let plan = p.finish();
        plan::apply(eng, &plan);
        self.add_endpoint(HnsEndpoint {
            id: id.clone(),
            plan,
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
            compartment: ctr,
            compartment_port,
            vswitch_port,
        });
        Ok(id)
    }
}
