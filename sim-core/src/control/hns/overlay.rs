//! Overlay networks: the NIC is claimed by an external vSwitch of type overlay; the
//! containers sit on the network's own vSwitch segment, with one VXLAN interface per subnet
//! in the host stack holding the subnet's gateway and VNI. The host routes between the
//! subnets of one overlay, never into another, encapsulates for remote endpoints (the peers
//! swarm gossip gives it), and from 1709 on translates outbound traffic with a VFP
//! OutboundNAT rule.

use super::external::HOST_ENDPOINT_NOT_ROUTED;
use super::{
    host_stack, overlay_vlan, plug_host_iface, policy, Hns, HnsError, HnsNetwork, HostNodes,
    NetworkRequest, NetworkType, OverlaySubnet,
};
use crate::control::ipam::{self, IpPool, MacPool};
use crate::control::plan::{self, Planner};
use crate::device::stack::{IfaceConfig, VxlanConfig, VxlanPeer};
use crate::device::switch::{SwitchConfig, UnknownUnicast};
use crate::device::Device;
use crate::engine::Engine;
use crate::id::{NodeId, PortId};
use crate::topology::{NodeInfo, NodeKind};
use crate::wire::MacAddr;
use ipnetwork::Ipv4Network;
use std::net::Ipv4Addr;

const OVERLAYS_ISOLATED: &str = "overlay networks are isolated from each other: HNS routes only between the subnets of one overlay network";

/// An overlay subnet's VXLAN interface: a host stack interface holding the subnet's gateway
/// on the overlay vSwitch segment, which encapsulates for remote endpoints with the VNI.
#[allow(clippy::too_many_arguments)]
fn add_vtep(
    p: &mut Planner,
    host: &HostNodes,
    vswitch: NodeId,
    network: &str,
    mac: MacAddr,
    subnet: Ipv4Network,
    gateway: Ipv4Addr,
    vni: u32,
    provider_address: Ipv4Addr,
    vlan: u16,
) -> PortId {
    let name = format!("VFP overlay ({network}, VNI {vni})");
    let addr = Ipv4Network::new(gateway, subnet.prefix()).expect("valid prefix");
    let mut iface = IfaceConfig::ethernet(name.clone(), mac, Some(addr));
    iface.vxlan = Some(VxlanConfig {
        vni,
        local: provider_address,
        peers: Vec::new(),
    });
    plug_host_iface(p, host, vswitch, network, &name, iface, vlan).0
}

impl Hns {
    pub(super) fn create_overlay_network(
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
        let id = crate::control::ids::guid(&mut self.rng);
        let mut mac_pool = MacPool::new(&mut self.rng);
        let vtep_mac = mac_pool.allocate().expect("a new MAC pool has addresses");
        let name = req.name.clone();
        let version = self.version;
        // VXLAN interfaces of the other overlay networks on this host: separate networks,
        // never routed; nor are l2bridge host endpoints.
        let foreign: Vec<PortId> = self
            .networks
            .iter()
            .filter(|n| n.ty == NetworkType::Overlay)
            .flat_map(|n| n.vteps().into_iter().map(|(p, _, _, _)| p))
            .collect();
        let host_endpoints: Vec<PortId> = self
            .networks
            .iter()
            .filter(|n| n.host_endpoint_port.is_some())
            .filter_map(|n| n.host_vnic)
            .collect();
        let firewall = policy::host_has_firewall(&host_stack(eng, host.stack).rules);
        let mut p = self.planner(eng);
        let vswitch_name = format!("{}/vSwitch({name})", host.host);
        let vswitch = p.switch(
            NodeInfo {
                name: vswitch_name.clone(),
                kind: NodeKind::VSwitch,
                host: Some(host.host.clone()),
            },
            SwitchConfig::new(vswitch_name, false, UnknownUnicast::Drop),
        );
        let vtep = add_vtep(
            &mut p,
            host,
            vswitch,
            &name,
            vtep_mac,
            subnet,
            gateway,
            vni,
            pa,
            overlay_vlan(0),
        );
        // Each further subnet has its own VNI and gateway; the host routes between them.
        let mut more_subnets = Vec::new();
        for (i, (sub, gw, sub_vni)) in req.more_subnets.into_iter().enumerate() {
            let sub = Ipv4Network::new(sub.network(), sub.prefix())
                .map_err(|_| HnsError::failed("The parameter is incorrect."))?;
            let mac = mac_pool
                .allocate()
                .ok_or_else(|| HnsError::failed("Unspecified error"))?;
            let vlan = overlay_vlan(i + 1);
            let port = add_vtep(
                &mut p, host, vswitch, &name, mac, sub, gw, sub_vni, pa, vlan,
            );
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
        for (a, _) in &vteps {
            for (b, _) in vteps.iter().filter(|(b, _)| b != a) {
                policy::allow(&mut p, host.stack, *a, *b);
            }
            for b in &foreign {
                policy::refuse_both(&mut p, host.stack, *a, *b, OVERLAYS_ISOLATED);
            }
            for b in &host_endpoints {
                policy::refuse_both(&mut p, host.stack, *a, *b, HOST_ENDPOINT_NOT_ROUTED);
            }
        }
        if firewall {
            let ports: Vec<PortId> = vteps.iter().map(|(p, _)| *p).collect();
            policy::host_firewall_network(&mut p, host, &ports, &name);
            policy::host_firewall_vxlan(&mut p, host, nic_port, &name);
        }
        if version.overlay_uses_vfp_outbound_nat() {
            let instance = format!("OutBoundNAT ({name})");
            for (port, sub) in &vteps {
                policy::allow(&mut p, host.stack, *port, nic_port);
                policy::allow_translated(&mut p, host.stack, nic_port, *port);
                policy::source_nat(&mut p, host.stack, *sub, &[nic_port], &instance, true);
            }
        }
        let plan = p.finish();
        plan::apply(eng, &plan);
        self.networks.push(HnsNetwork {
            id: id.clone(),
            plan,
            host_endpoint: None,
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
    /// to the VXLAN interface of the subnet that holds its address; their MACs are pinned to
    /// that interface's port, and the interface learns where to tunnel them.
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
        // (the VTEP's MAC and VLAN, its peers before, its peers now) for every VTEP that
        // changes.
        let mut changed = Vec::new();
        let stack = host_stack(eng, host.stack);
        for (vtep, vtep_mac, subnet, vlan) in net.vteps() {
            let mine: Vec<_> = peers
                .iter()
                .filter(|p| subnet.contains(p.ip))
                .copied()
                .collect();
            let Some(mut ifc) = stack.iface_mut(vtep) else {
                continue;
            };
            let Some(t) = ifc.vxlan.as_mut() else {
                continue;
            };
            if t.peers != mine {
                let old = std::mem::replace(&mut t.peers, mine.clone());
                changed.push(((vtep_mac, vlan), old, mine));
            }
        }
        let Some(sw) = eng.device_mut(vswitch).and_then(Device::as_switch_mut) else {
            return;
        };
        // Unpin every old peer before pinning the new ones: a MAC may move between subnets.
        // Each subnet's peers are pinned on its own segment's VLAN: a remote endpoint of one
        // subnet never takes the place of a local one of another that has the same MAC (each
        // host's HNS draws its MAC pool on its own).
        for ((_, vlan), old, _) in &changed {
            for p in old {
                sw.unpin_mac(p.mac, *vlan);
            }
        }
        for ((vtep_mac, vlan), _, mine) in &changed {
            let vtep_port = sw
                .config
                .static_macs
                .iter()
                .find(|(m, v, _)| m == vtep_mac && v == vlan)
                .map(|(_, _, p)| *p);
            if let Some(port) = vtep_port {
                for p in mine {
                    sw.pin_mac(p.mac, *vlan, port);
                }
            }
        }
    }
}
