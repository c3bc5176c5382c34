//! Networks on an internal vSwitch: nat and ics (a host vNIC holding the gateway, forwarding
//! through the host and WinNAT behind it), internal (host vNIC, no forwarding to the NICs)
//! and private (no host vNIC).

use super::{
    plug_host_iface, policy, Hns, HnsError, HnsNetwork, HostNodes, NetworkRequest, NetworkType,
};
use crate::control::ipam::{self, IpPool, MacPool};
use crate::control::plan;
use crate::device::stack::IfaceConfig;
use crate::device::switch::{SwitchConfig, UnknownUnicast};
use crate::engine::Engine;
use crate::topology::{NodeInfo, NodeKind};
use ipnetwork::Ipv4Network;

const INTERNAL_NOT_FORWARDED: &str = "an internal network connects its containers with the host only: HNS forwards nothing between its vNIC and the physical NICs";

impl Hns {
    /// nat, ics, internal and private: an internal vSwitch, with a host vNIC holding the
    /// gateway (not for private), and WinNAT behind it (nat and ics).
    pub(super) fn create_internal_network(
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
        let id = crate::control::ids::guid(&mut self.rng);
        let mut mac_pool = MacPool::new(&mut self.rng);
        let host_vnic_mac = mac_pool.allocate().expect("a new MAC pool has addresses");

        let firewall = policy::host_has_firewall(&super::host_stack(eng, host.stack).rules);
        let mut p = self.planner(eng);
        // The internal vSwitch: HNS knows every port's MAC, so it neither learns nor floods
        // unknown unicast.
        let vswitch_name = format!("{}/vSwitch({name})", host.host);
        let vswitch = p.switch(
            NodeInfo {
                name: vswitch_name.clone(),
                kind: NodeKind::VSwitch,
                host: Some(host.host.clone()),
            },
            SwitchConfig::new(vswitch_name, false, UnknownUnicast::Drop),
        );
        let nat_name = if winnat {
            format!("NAT{}", &id[..8])
        } else {
            String::new()
        };
        let host_vnic = (ty != NetworkType::Private).then(|| {
            let addr =
                Ipv4Network::new(gateway, subnet.prefix()).expect("prefix of a valid subnet");
            let vnic =
                IfaceConfig::ethernet(format!("vEthernet ({name})"), host_vnic_mac, Some(addr));
            plug_host_iface(&mut p, host, vswitch, name, "host vNIC", vnic, 1).0
        });
        if let (true, Some(vnic)) = (firewall, host_vnic) {
            policy::host_firewall_network(&mut p, host, &[vnic], name);
        }
        match (winnat, host_vnic) {
            (true, Some(vnic)) => {
                // Forwarded out only as WinNAT translates it, back only what it translated.
                for nic in &host.physical {
                    policy::allow(&mut p, host.stack, vnic, *nic);
                    policy::allow_translated(&mut p, host.stack, *nic, vnic);
                }
                policy::source_nat(&mut p, host.stack, subnet, &host.physical, &nat_name, false);
                if version.host_reaches_published_ports() {
                    policy::hairpin(&mut p, host.stack, vnic);
                }
            }
            (false, Some(vnic)) => {
                // internal: host and containers talk, but nothing is forwarded to the outside.
                for nic in &host.physical {
                    policy::refuse_both(&mut p, host.stack, vnic, *nic, INTERNAL_NOT_FORWARDED);
                }
            }
            (_, None) => {}
        }
        let plan = p.finish();
        plan::apply(eng, &plan);
        self.networks.push(HnsNetwork {
            id: id.clone(),
            plan,
            host_endpoint: None,
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
}
