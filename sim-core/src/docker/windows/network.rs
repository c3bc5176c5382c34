//! `docker network create` on Windows: the checks the Windows daemon and its `windows` IPAM
//! make (with their words), the remarks on flags no Windows driver reads, and the HNS request.

use super::driver_opts;
use super::{Windows, NAT, WINDOWS_ONLY_NOTE};
use crate::control::hns::{HnsError, NetworkRequest, NetworkType};
use crate::docker::backend::{DriverNetwork, Refusal};
use crate::docker::cli::NetworkCreate;
use crate::docker::daemon::HostCtx;
use crate::docker::errdefs::ErrorKind;
use crate::docker::swarm::FIRST_VNI as FIRST_WINDOWS_VNI;
use ipnetwork::Ipv4Network;
use std::net::Ipv4Addr;

/// A local network (nat, transparent, l2bridge, l2tunnel, ics, private, internal).
pub(super) fn create(
    w: &mut Windows,
    c: &NetworkCreate,
    ctx: &mut HostCtx,
) -> Result<DriverNetwork, Refusal> {
    let driver = c.driver.clone().unwrap_or_else(|| NAT.into());
    // Windows has no bridge, host, macvlan or ipvlan driver: docker looks for a plugin
    // (libnetwork's `loadDriver` makes `plugins.ErrNotFound` a `types.NotFoundError`).
    let Some(ty) = NetworkType::from_driver(&driver) else {
        return Err(Refusal::Daemon(
            ErrorKind::NotFound,
            format!("could not find plugin {driver} in v1 plugin registry: plugin not found"),
        ));
    };
    if c.ipv6 == Some(true) || !c.ip_ranges.is_empty() {
        // The windows ipam driver's `types.InternalErrorf`: untyped.
        return Err(Refusal::Daemon(
            ErrorKind::System,
            "this request is not supported by the 'windows' ipam driver".into(),
        ));
    }
    if c.ipv4 == Some(false) {
        // The windows driver's `types.InvalidParameterErrorf` (moby v28).
        return Err(Refusal::Daemon(
            ErrorKind::InvalidParameter,
            "IPv4 cannot be disabled on Windows".into(),
        ));
    }
    let mut subnets = Vec::new();
    let mut problems = Vec::new();
    for s in &c.subnets {
        match s.parse::<Ipv4Network>() {
            Ok(n) => subnets.push(n),
            Err(_) if s.contains(':') => {
                // The windows driver's `types.ForbiddenErrorf`.
                return Err(Refusal::Daemon(
                    ErrorKind::Forbidden,
                    "windowsshim driver doesn't support v6 subnets".into(),
                ));
            }
            Err(_) => problems.push(format!("invalid subnet {s}: invalid CIDR block notation")),
        }
    }
    if !problems.is_empty() {
        // `ValidateIPAM`'s error, which the daemon makes `errdefs.InvalidParameter` (v25+).
        return Err(Refusal::Daemon(
            ErrorKind::InvalidParameter,
            format!("invalid network config:\n{}", problems.join("\n")),
        ));
    }
    let mut gateway = None;
    if let Some(g) = c.gateways.first() {
        match (g.parse::<Ipv4Addr>(), subnets.first()) {
            (Ok(ip), Some(net)) if net.contains(ip) => gateway = Some(ip),
            _ => {
                return Err(Refusal::Plain(format!(
                    "no matching subnet for gateway {g}"
                )))
            }
        }
    }
    let mut notes = Vec::new();
    if c.internal {
        notes.push(format!(
            "hnsim note: --internal is accepted but has no effect on Windows: no Windows driver reads it; containers keep outside access {WINDOWS_ONLY_NOTE}"
        ));
    }
    for (k, v) in &c.aux_addresses {
        if let (Ok(ip), Some(net)) = (v.parse::<Ipv4Addr>(), subnets.first()) {
            if !net.contains(ip) {
                // libnetwork's `types.ForbiddenErrorf` (`ipamAllocateVersion`).
                return Err(Refusal::Daemon(
                    ErrorKind::Forbidden,
                    format!("auxiliary address: ({k}:{v}) must belong to the master pool: {net}"),
                ));
            }
        }
        notes.push(format!(
            "hnsim note: --aux-address {k}={v} is accepted but has no effect on Windows: it never reaches HNS {WINDOWS_ONLY_NOTE}"
        ));
    }
    if let Some(d) = &c.ipam_driver {
        notes.push(format!("hnsim note: --ipam-driver {d} is unsupported on Windows; the 'windows' IPAM (HNS) is used"));
    }
    let mut req = NetworkRequest::new(ty, &c.name);
    // The driver parses the generic options of every local network, nat included, and
    // refuses a bad value whatever the type (moby's `parseNetworkOptions`, reference 2.2).
    let outbound_nat = w.hns.version.outbound_nat_option_supported();
    if ty.winnat() {
        let mut checked = NetworkRequest::new(ty, &c.name);
        driver_opts::apply(&c.options, &mut checked, outbound_nat)?;
        for (k, v) in &c.options {
            if k != "com.docker.network.windowsshim.networkname" {
                notes.push(format!(
                    "hnsim note: option {k}={v} has no effect on the {driver} driver"
                ));
            }
        }
    } else {
        match driver_opts::apply(&c.options, &mut req, outbound_nat) {
            Ok(p) => notes.extend(p.notes),
            Err(refusal) => return Err(refusal),
        }
    }
    if subnets.len() > 1 {
        notes.push(format!(
            "hnsim note: HNS uses the first --subnet of a {driver} network; the others are ignored"
        ));
    }
    let subnet = subnets.first().copied();
    req.subnet = subnet;
    req.gateway = gateway;
    let backend_id = w
        .hns
        .create_network(ctx.eng, ctx.nodes, req, &w.config.host_prefixes)
        // HNS's error through the windows driver's `CreateNetwork`, untyped.
        .map_err(|HnsError(e)| Refusal::Daemon(ErrorKind::System, e))?;
    Ok(DriverNetwork {
        backend_id,
        id: None,
        requested_subnet: subnet,
        requested_gateway: gateway,
        notes,
    })
}

/// The Windows overlay driver's options for a swarm network: its VNIs, and remarks.
pub(super) fn overlay_options(c: &NetworkCreate) -> Result<(Vec<u32>, Vec<String>), Refusal> {
    let mut req = NetworkRequest::new(NetworkType::Overlay, &c.name);
    let parsed = driver_opts::apply(&c.options, &mut req, true)?;
    let mut notes = parsed.notes;
    // The manager's allocator takes any VNI it has free; a Windows node cannot use one that
    // overlaps the 802.1Q VLAN ids (reference 3.3).
    for vni in parsed.vnis.iter().filter(|v| **v < FIRST_WINDOWS_VNI) {
        notes.push(format!("hnsim note: VXLAN id {vni} is below {FIRST_WINDOWS_VNI}: the swarm manager accepts it, but Windows cannot use VXLAN ids that overlap 802.1Q VLAN ids [0, 4095], so a container on a Windows node cannot join this network (HNS refuses to create it)"));
    }
    if c.options.iter().any(|(k, _)| k == "encrypted") {
        notes.push("hnsim note: --opt encrypted is accepted and ignored by the Windows overlay driver; Windows nodes then cannot talk to Linux nodes that encrypt".into());
    }
    Ok((parsed.vnis, notes))
}
