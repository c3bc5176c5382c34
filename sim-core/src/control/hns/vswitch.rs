//! External vSwitches: binding a physical NIC to a Hyper-V switch, and undoing it.
//!
//! transparent, l2bridge, l2tunnel and overlay networks need an external vSwitch. Binding one
//! re-plugs the NIC's cable into the vSwitch's uplink port and turns the host's NIC interface
//! into the `vEthernet (<NIC>)` host vNIC on that switch (same MAC, same address: the short
//! "network blip" of reference section 1). A NIC holds one external vSwitch; networks of the
//! same type share it. Several adapter names (`-o com.docker.network.windowsshim.interface=
//! "Ethernet,Ethernet 2"`) bind one vSwitch to all of them as a Switch Embedded Teaming (SET)
//! team; the first keeps the host's address. Nothing here touches a packet.

use super::{host_stack, HnsError, HostNodes, NetworkType};
use crate::device::port_policy::PortPolicyConfig;
use crate::device::switch::{PortMode, Switch, SwitchConfig, Team, UnknownUnicast};
use crate::device::Device;
use crate::engine::link::LinkParams;
use crate::engine::Engine;
use crate::id::{NodeId, PortId};
use crate::topology::{NodeInfo, NodeKind};
use crate::wire::MacAddr;
use ipnetwork::Ipv4Network;
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
    /// The other NICs of a SET team (empty without one).
    pub team: Vec<TeamMember>,
}

/// A NIC bound into a SET team after the first: its uplink port, and the address it had,
/// which it gets back when the team goes.
#[derive(Clone, Debug, Serialize)]
pub struct TeamMember {
    pub nic: String,
    #[serde(skip)]
    pub nic_port: PortId,
    #[serde(skip)]
    pub uplink: PortId,
    pub saved_addr: Option<Ipv4Network>,
}

impl ExternalSwitch {
    /// Every uplink port: the first NIC's, then the team members'.
    fn uplinks(&self) -> impl Iterator<Item = PortId> + '_ {
        std::iter::once(self.uplink).chain(self.team.iter().map(|m| m.uplink))
    }

    fn holds(&self, nic_port: PortId) -> bool {
        self.nic_port == nic_port || self.team.iter().any(|m| m.nic_port == nic_port)
    }
}

/// The adapter(s) for a new external network: the named one (several, comma-separated, form
/// a SET team), or the first NIC not yet bound. A NIC already bound for another network type,
/// or into another team, cannot take a second external vSwitch.
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
        Some(list) => {
            let mut wanted: Vec<(PortId, String)> = Vec::new();
            for a in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                let nic = names
                    .iter()
                    .find(|(_, n)| n == a)
                    .cloned()
                    .ok_or_else(not_found)?;
                if wanted.iter().any(|(p, _)| *p == nic.0) {
                    return Err(HnsError::failed("The parameter is incorrect."));
                }
                wanted.push(nic);
            }
            let first = wanted.first().ok_or_else(not_found)?.0;
            match bound.iter().position(|b| b.holds(first)) {
                // The same adapters, already bound for this type: share the vSwitch (not
                // transparent, whose every network needs an adapter of its own).
                Some(i)
                    if bound[i].ty == ty
                        && shares_adapter(ty)
                        && bound[i].nic_port == first
                        && bound[i].team.len() + 1 == wanted.len()
                        && wanted.iter().all(|(p, _)| bound[i].holds(*p)) =>
                {
                    Ok(Choice::Shared(i))
                }
                Some(_) => Err(not_found()),
                None if wanted
                    .iter()
                    .any(|(p, _)| bound.iter().any(|b| b.holds(*p))) =>
                {
                    Err(not_found())
                }
                None => Ok(Choice::Bind(wanted)),
            }
        }
        None => {
            if let Some(i) = bound.iter().position(|b| b.ty == ty && shares_adapter(ty)) {
                return Ok(Choice::Shared(i));
            }
            names
                .into_iter()
                .find(|(p, _)| !bound.iter().any(|b| b.holds(*p)))
                .map(|nic| Choice::Bind(vec![nic]))
                .ok_or_else(not_found)
        }
    }
}

/// Whether networks of type `ty` share the external vSwitch of a NIC already bound for their
/// type. "Networks that leverage external vSwitch must each have their own network adapter"
/// and a second transparent network needs another NIC (D-ADV; reference 1 and 3.2), so
/// transparent never shares. l2bridge, l2tunnel and overlay do: Kubernetes' scripts create a
/// throw-away l2bridge or overlay network and then the real one on the same adapter (SDNH;
/// reference 1), which HNS must accept.
fn shares_adapter(ty: NetworkType) -> bool {
    ty != NetworkType::Transparent
}

pub enum Choice {
    /// Use the external vSwitch at this index.
    Shared(usize),
    /// Bind a new external vSwitch to these NICs (host stack port, NIC name): one, or a team.
    Bind(Vec<(PortId, String)>),
}

/// The NIC name behind a host interface name ("vEthernet (Ethernet)" -> "Ethernet").
fn nic_name(iface: &str) -> String {
    iface
        .strip_prefix("vEthernet (")
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(iface)
        .to_string()
}

/// Creates the external vSwitch on the NICs (the first holds the host's address; more make a
/// SET team) and moves the host's address to its host vNIC.
pub fn bind(
    eng: &mut Engine,
    host: &HostNodes,
    nics: &[(PortId, String)],
    ty: NetworkType,
) -> ExternalSwitch {
    let (nic_port, nic) = nics.first().cloned().expect("at least one NIC to bind");
    let nic_mac = {
        let mut iface = host_stack(eng, host.stack)
            .config
            .iface_mut(nic_port)
            .expect("a physical NIC port has an interface");
        iface.name = format!("vEthernet ({nic})");
        iface.mac
    };

    let all_names: Vec<&str> = nics.iter().map(|(_, n)| n.as_str()).collect();
    let name = format!("{}/vSwitch({})", host.host, all_names.join(","));
    // Hyper-V knows every vNIC's MAC; anything else is out on the wire, so unknown unicast
    // goes to the uplink.
    let mut switch = Switch::new(SwitchConfig::new(name.clone(), false, UnknownUnicast::Drop));
    let uplinks: Vec<PortId> = nics
        .iter()
        .map(|(_, n)| {
            switch.add_port(
                format!("uplink ({n})"),
                PortMode::Trunk {
                    native: 1,
                    allowed: Vec::new(),
                },
            )
        })
        .collect();
    let uplink = uplinks[0];
    if uplinks.len() > 1 {
        switch.config.team = Some(Team {
            name: format!("SET team ({})", all_names.join(", ")),
            primary: uplink,
            members: uplinks.clone(),
        });
    }
    switch.config.unknown_unicast = UnknownUnicast::ToPort(uplink);
    let host_port = switch.add_port(
        format!("host vNIC (vEthernet ({nic}))"),
        PortMode::Access(1),
    );
    switch.pin_mac(nic_mac, 1, host_port);
    let vfp = PortPolicyConfig::new(format!("VFP ({name})"), uplink, nic_mac);
    switch.config.port_policy = Some(Box::new(vfp));
    let vswitch = eng.add_node(
        NodeInfo {
            name,
            kind: NodeKind::VSwitch,
            host: Some(host.host.clone()),
        },
        Device::Switch(Box::new(switch)),
    );
    for ((port, _), up) in nics.iter().zip(&uplinks) {
        eng.replug((host.stack, *port), (vswitch, *up));
    }
    eng.connect(
        format!("{}:vEthernet ({nic})<->vSwitch({nic})", host.host),
        (host.stack, nic_port),
        (vswitch, host_port),
        LinkParams::internal(),
        true,
    );
    // The other team members are the switch's now: their addresses are unbound.
    let team = nics[1..]
        .iter()
        .zip(&uplinks[1..])
        .map(|((port, n), up)| {
            let saved_addr = host_stack(eng, host.stack)
                .config
                .iface_mut(*port)
                .and_then(|mut i| i.addr.take());
            TeamMember {
                nic: n.clone(),
                nic_port: *port,
                uplink: *up,
                saved_addr,
            }
        })
        .collect();
    ExternalSwitch {
        nic,
        ty,
        nic_port,
        vswitch,
        uplink,
        host_port,
        nic_mac,
        team,
    }
}

/// Removes an external vSwitch: the cable goes back into the NIC, which gets its name back.
pub fn unbind(eng: &mut Engine, host: &HostNodes, ext: &ExternalSwitch) {
    if let Some(l) = eng.link_on_port(host.stack, ext.nic_port) {
        eng.remove_link(l);
    }
    eng.replug((ext.vswitch, ext.uplink), (host.stack, ext.nic_port));
    for m in &ext.team {
        eng.replug((ext.vswitch, m.uplink), (host.stack, m.nic_port));
    }
    eng.remove_node(ext.vswitch);
    let stack = host_stack(eng, host.stack);
    if let Some(mut iface) = stack.config.iface_mut(ext.nic_port) {
        iface.name = ext.nic.clone();
    }
    for m in &ext.team {
        if let Some(mut iface) = stack.config.iface_mut(m.nic_port) {
            iface.addr = m.saved_addr;
        }
    }
}

/// Lets the uplink (every team member) carry a VLAN, tagged (the NICs' switch ports must be
/// trunks).
pub fn allow_vlan(eng: &mut Engine, ext: &ExternalSwitch, vlan: u16) {
    let Some(sw) = eng.device_mut(ext.vswitch).and_then(Device::as_switch_mut) else {
        return;
    };
    for up in ext.uplinks() {
        if let Some(mut port) = sw.port_mut(up) {
            if let PortMode::Trunk { allowed, .. } = &mut port.mode {
                if !allowed.contains(&vlan) {
                    allowed.push(vlan);
                    allowed.sort_unstable();
                }
            }
        }
    }
}
