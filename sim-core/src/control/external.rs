//! External vSwitches: binding a physical NIC to a Hyper-V switch, and undoing it.
//!
//! transparent, l2bridge, l2tunnel and overlay networks need an external vSwitch. Binding one
//! re-plugs the NIC's cable into the vSwitch's uplink port and turns the host's NIC interface
//! into the `vEthernet (<NIC>)` host vNIC on that switch (same MAC, same address: the short
//! "network blip" of reference section 1). A NIC holds one external vSwitch; networks of the
//! same type share it. Nothing here touches a packet.

use super::hns::{host_stack, HnsError, HostNodes, NetworkType};
use crate::device::switch::{PortMode, Switch, SwitchConfig, UnknownUnicast};
use crate::device::vfp::VfpConfig;
use crate::device::Device;
use crate::engine::link::LinkParams;
use crate::engine::Engine;
use crate::id::{NodeId, PortId};
use crate::topology::{NodeInfo, NodeKind};
use crate::wire::MacAddr;
use serde::Serialize;

/// One external vSwitch and the NIC it is bound to.
#[derive(Clone, Debug, Serialize)]
pub struct ExternalSwitch {
    /// The NIC's name before binding, e.g. "Ethernet".
    pub nic: String,
    pub ty: NetworkType,
    #[serde(skip)]
    pub nic_port: PortId,
    #[serde(skip)]
    pub vswitch: NodeId,
    #[serde(skip)]
    pub uplink: PortId,
    #[serde(skip)]
    pub host_port: PortId,
    pub nic_mac: MacAddr,
}

/// The adapter for a new external network: the named one, or the first NIC not yet bound.
/// A NIC already bound for another network type cannot take a second external vSwitch.
pub fn choose_nic(
    eng: &Engine,
    host: &HostNodes,
    bound: &[ExternalSwitch],
    ty: NetworkType,
    adapter: Option<&str>,
) -> Result<Choice, HnsError> {
    let stack = eng
        .device(host.stack)
        .and_then(Device::as_stack)
        .expect("a Windows host's default compartment is an IP stack");
    let names: Vec<(PortId, String)> = host
        .physical
        .iter()
        .map(|p| (*p, nic_name(&stack.iface_name(*p))))
        .collect();
    let not_found = || HnsError::failed("An adapter was not found.");
    match adapter {
        Some(a) => {
            let (port, name) = names
                .iter()
                .find(|(_, n)| n == a)
                .cloned()
                .ok_or_else(not_found)?;
            match bound.iter().position(|b| b.nic_port == port) {
                Some(i) if bound[i].ty == ty => Ok(Choice::Shared(i)),
                Some(_) => Err(not_found()),
                None => Ok(Choice::Bind(port, name)),
            }
        }
        None => {
            if let Some(i) = bound.iter().position(|b| b.ty == ty) {
                return Ok(Choice::Shared(i));
            }
            names
                .into_iter()
                .find(|(p, _)| !bound.iter().any(|b| b.nic_port == *p))
                .map(|(p, n)| Choice::Bind(p, n))
                .ok_or_else(not_found)
        }
    }
}

pub enum Choice {
    /// Use the external vSwitch at this index.
    Shared(usize),
    /// Bind a new external vSwitch to this NIC (host stack port, NIC name).
    Bind(PortId, String),
}

/// The NIC name behind a host interface name ("vEthernet (Ethernet)" -> "Ethernet").
fn nic_name(iface: &str) -> String {
    iface
        .strip_prefix("vEthernet (")
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(iface)
        .to_string()
}

/// Creates the external vSwitch on `nic_port` and moves the host's address to its host vNIC.
pub fn bind(
    eng: &mut Engine,
    host: &HostNodes,
    nic_port: PortId,
    nic: &str,
    ty: NetworkType,
) -> ExternalSwitch {
    let iface = host_stack(eng, host.stack)
        .config
        .ifaces
        .get_mut(nic_port.0 as usize)
        .and_then(Option::as_mut)
        .expect("a physical NIC port has an interface");
    let nic_mac = iface.mac;
    let host_ip = iface.addr.map(|a| a.ip());
    iface.name = format!("vEthernet ({nic})");

    let name = format!("{}/vSwitch({nic})", host.host);
    // Hyper-V knows every vNIC's MAC; anything else is out on the wire, so unknown unicast
    // goes to the uplink.
    let mut switch = Switch::new(SwitchConfig::new(name.clone(), false, UnknownUnicast::Drop));
    let uplink = switch.add_port(
        format!("uplink ({nic})"),
        PortMode::Trunk {
            native: 1,
            allowed: Vec::new(),
        },
    );
    switch.config.unknown_unicast = UnknownUnicast::ToPort(uplink);
    let host_port = switch.add_port(
        format!("host vNIC (vEthernet ({nic}))"),
        PortMode::Access(1),
    );
    switch.pin_mac(nic_mac, 1, host_port);
    let mut vfp = VfpConfig::new(format!("VFP ({name})"), uplink, nic_mac);
    vfp.host_ip = host_ip;
    switch.config.vfp = Some(Box::new(vfp));
    let vswitch = eng.add_node(
        NodeInfo {
            name,
            kind: NodeKind::VSwitch,
            host: Some(host.host.clone()),
        },
        Device::Switch(switch),
    );
    eng.replug((host.stack, nic_port), (vswitch, uplink));
    eng.connect(
        format!("{}:vEthernet ({nic})<->vSwitch({nic})", host.host),
        (host.stack, nic_port),
        (vswitch, host_port),
        LinkParams::internal(),
        true,
    );
    ExternalSwitch {
        nic: nic.to_string(),
        ty,
        nic_port,
        vswitch,
        uplink,
        host_port,
        nic_mac,
    }
}

/// Removes an external vSwitch: the cable goes back into the NIC, which gets its name back.
pub fn unbind(eng: &mut Engine, host: &HostNodes, ext: &ExternalSwitch) {
    if let Some(l) = eng.link_on_port(host.stack, ext.nic_port) {
        eng.remove_link(l);
    }
    eng.replug((ext.vswitch, ext.uplink), (host.stack, ext.nic_port));
    eng.remove_node(ext.vswitch);
    if let Some(iface) = host_stack(eng, host.stack)
        .config
        .ifaces
        .get_mut(ext.nic_port.0 as usize)
        .and_then(Option::as_mut)
    {
        iface.name = ext.nic.clone();
    }
}

/// Lets the uplink carry a VLAN, tagged (the NIC's switch port must be a trunk).
pub fn allow_vlan(eng: &mut Engine, ext: &ExternalSwitch, vlan: u16) {
    if let Some(PortMode::Trunk { allowed, .. }) = eng
        .device_mut(ext.vswitch)
        .and_then(Device::as_switch_mut)
        .and_then(|s| s.port_mut(ext.uplink))
        .map(|p| &mut p.mode)
    {
        if !allowed.contains(&vlan) {
            allowed.push(vlan);
            allowed.sort_unstable();
        }
    }
}
