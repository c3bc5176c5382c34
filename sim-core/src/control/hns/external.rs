//! Networks on the external vSwitch of a NIC: transparent, l2bridge and l2tunnel, and the
//! host endpoint of l2bridge's second set-up (the host holds the custom subnet's gateway and
//! routes for it).
//!
//! The network itself installs nothing beyond the shared external vSwitch (`vswitch`): its
//! endpoints get access ports on the network's VLAN and their VFP policies (`endpoint`).

use super::{
    plug_host_iface, policy, ExternalSwitch, Hns, HnsError, HnsNetwork, HostNodes, NetworkRequest,
    NetworkType,
};
use crate::control::ipam::{self, IpPool, MacPool, PoolError};
use crate::control::plan::{self, Item};
use crate::device::port_policy::PolicyEndpoint;
use crate::device::stack::IfaceConfig;
use crate::engine::Engine;
use crate::id::PortId;
use ipnetwork::Ipv4Network;
use std::net::Ipv4Addr;

const NO_MGMT_ROUTING_BEFORE_1809: &str = "before 1809 (Windows Server 2019) HNS does not route l2bridge traffic between a host endpoint and the management vNIC (the docs: \"routed through Mgmt vNIC on WSv1809 and above\")";

pub(super) const HOST_ENDPOINT_NOT_ROUTED: &str = "HNS routes an l2bridge host endpoint only to the management vNIC and to other host endpoints, not into nat or overlay networks";

impl Hns {
    /// transparent, l2bridge and l2tunnel: a network on the external vSwitch of a NIC.
    pub(super) fn create_external_network(
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
            super::vswitch::allow_vlan(eng, &self.external[ext], v);
        }
        let ExternalSwitch {
            vswitch,
            nic_port,
            nic_mac,
            ..
        } = self.external[ext].clone();
        // Without a subnet the endpoints take the NIC's own prefix from DHCP.
        let nic_net = super::host_stack(eng, host.stack)
            .iface(nic_port)
            .and_then(|i| i.addr)
            .map(|a| Ipv4Network::new(a.network(), a.prefix()).expect("valid prefix"));
        let subnet = match req.subnet.or(nic_net) {
            Some(s) => Ipv4Network::new(s.network(), s.prefix())
                .map_err(|_| HnsError::failed("The parameter is incorrect."))?,
            None => return Err(HnsError::failed("The parameter is incorrect.")),
        };
        let gateway = req.gateway.unwrap_or_else(|| ipam::first_host(subnet));
        let id = crate::control::ids::guid(&mut self.rng);
        let mac_pool = MacPool::new(&mut self.rng);
        let mut outbound_nat = req.outbound_nat;
        if let Some(exc) = &mut outbound_nat {
            // Traffic within the network is bridged, never translated.
            if !exc.contains(&subnet) {
                exc.push(subnet);
            }
        }
        let plan = self.planner(eng).finish();
        self.networks.push(HnsNetwork {
            id: id.clone(),
            plan,
            host_endpoint: None,
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
        let outbound_nat = net.outbound_nat.clone();
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
        let mut p = self.planner(eng);
        let iface = IfaceConfig::ethernet(vnic_name.clone(), mac, Some(addr));
        let (vnic, vs_port) =
            plug_host_iface(&mut p, host, vswitch, &net_name, &port_name, iface, vlan);
        if ty.mac_rewrite() {
            // Like a container's, its MAC never reaches the wire.
            p.push(Item::PolicyEndpoint {
                switch: vswitch,
                endpoint: PolicyEndpoint {
                    name: vnic_name,
                    port: vs_port,
                    mac,
                    ip,
                    vlan,
                    mac_rewrite: true,
                    to_uplink: None,
                },
            });
        }
        if version.l2bridge_routes_across_hosts() {
            policy::allow_both(&mut p, host.stack, vnic, mgmt);
            if let Some(exceptions) = &outbound_nat {
                // The endpoints' OutboundNAT applies on this way out too (the docs' set-up 2
                // with enable_outboundnat, as Kubernetes' win-bridge runs it).
                let instance = format!("OutBoundNAT ({net_name})");
                policy::routed_outbound_nat(
                    &mut p, host.stack, vnic, mgmt, subnet, exceptions, &instance,
                );
            }
        } else {
            policy::refuse_both(&mut p, host.stack, vnic, mgmt, NO_MGMT_ROUTING_BEFORE_1809);
        }
        for other in others {
            policy::allow_both(&mut p, host.stack, vnic, other);
        }
        for other in unrouted {
            policy::refuse_both(&mut p, host.stack, vnic, other, HOST_ENDPOINT_NOT_ROUTED);
        }
        let plan = p.finish();
        plan::apply(eng, &plan);
        let net = &mut self.networks[ni];
        net.host_vnic = Some(vnic);
        net.host_endpoint_port = Some(vs_port);
        net.host_endpoint = Some(plan);
        Ok(ip)
    }
}
