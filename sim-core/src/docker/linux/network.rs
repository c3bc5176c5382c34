//! `docker network create` on Linux: the bridge driver's options and the checks the daemon,
//! its IPAM and the bridge driver make, in the words of the host's Docker Engine release
//! (reference linux-drivers.md section 2.1, 3 and 4.1).

use super::Linux;
use crate::control::ids;
use crate::control::libnetwork::{BridgeRequest, LnError};
use crate::docker::backend::{DriverNetwork, Refusal};
use crate::docker::cli::NetworkCreate;
use crate::docker::daemon::HostCtx;
use crate::rng::SimRng;
use ipnetwork::Ipv4Network;
use std::net::Ipv4Addr;

pub const BRIDGE_NAME: &str = "com.docker.network.bridge.name";
pub const ENABLE_ICC: &str = "com.docker.network.bridge.enable_icc";
pub const ENABLE_MASQUERADE: &str = "com.docker.network.bridge.enable_ip_masquerade";
pub const HOST_BINDING: &str = "com.docker.network.bridge.host_binding_ipv4";
pub const MTU: &str = "com.docker.network.driver.mtu";

/// Go's `strconv.ParseBool`, in the bridge driver's words when it fails.
fn parse_bool(key: &str, v: &str) -> Result<bool, Refusal> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(Refusal::Daemon(format!(
            "failed to parse {key} value: {v} (strconv.ParseBool: parsing {v:?}: invalid syntax)"
        ))),
    }
}

fn option<'a>(c: &'a NetworkCreate, key: &str) -> Option<&'a str> {
    c.options
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A local network: the bridge driver (host and null exist once, predefined).
pub(super) fn create(
    l: &mut Linux,
    c: &NetworkCreate,
    rng: &mut SimRng,
    ctx: &mut HostCtx,
) -> Result<DriverNetwork, Refusal> {
    let driver = c.driver.clone().unwrap_or_else(|| "bridge".into());
    match driver.as_str() {
        "bridge" => {}
        "host" | "null" => {
            return Err(Refusal::Daemon(format!(
                "only one instance of \"{driver}\" network is allowed"
            )))
        }
        "macvlan" | "ipvlan" | "overlay" => {
            return Err(Refusal::Plain(format!(
                "hnsim: the {driver} driver is not modelled on Linux hosts yet"
            )))
        }
        other => {
            return Err(Refusal::Daemon(format!("plugin \"{other}\" not found")));
        }
    }
    if c.ipv6 == Some(true) {
        return Err(Refusal::Plain(
            "hnsim: IPv6 is not modelled (the real daemon would create the network)".into(),
        ));
    }
    let engine = l.ln.engine;
    // The CLI's own checks come first (docker/cli `createIPAMConfig`).
    let mut subnets = Vec::new();
    for s in &c.subnets {
        let net: Ipv4Network = s.parse().map_err(|_| {
            Refusal::Daemon(format!(
                "invalid network config:\ninvalid subnet {s}: invalid CIDR block notation"
            ))
        })?;
        subnets.push(net);
    }
    let mut gateway = None;
    for g in &c.gateways {
        let ip: Ipv4Addr = g
            .parse()
            .map_err(|_| Refusal::Plain(format!("invalid gateway address {g}")))?;
        if !subnets.iter().any(|n| n.contains(ip)) {
            return Err(Refusal::Plain(format!(
                "no matching subnet for gateway {g}"
            )));
        }
        gateway = Some(ip);
    }
    let mut ip_range = None;
    for r in &c.ip_ranges {
        let net: Ipv4Network = r
            .parse()
            .map_err(|_| Refusal::Plain(format!("invalid CIDR address: {r}")))?;
        if !subnets.iter().any(|n| n.contains(net.network())) {
            return Err(Refusal::Plain(format!("no matching subnet for range {r}")));
        }
        ip_range = Some(net);
    }
    let mut aux = Vec::new();
    for (k, v) in &c.aux_addresses {
        let ip: Ipv4Addr = v
            .parse()
            .map_err(|_| Refusal::Plain(format!("invalid aux address {k}: {v}")))?;
        if !subnets.iter().any(|n| n.contains(ip)) {
            return Err(Refusal::Plain(format!(
                "no matching subnet for aux-address {v}"
            )));
        }
        aux.push(ip);
    }
    if subnets.len() > 1 {
        return Err(Refusal::Daemon(
            "bridge driver doesn't support multiple subnets".into(),
        ));
    }
    let subnet = subnets.first().copied();
    if let Some(s) = subnet {
        let masked = Ipv4Network::new(s.network(), s.prefix()).expect("a valid prefix");
        if engine.validates_ipam_config() && s.ip() != s.network() {
            return Err(Refusal::Daemon(format!(
                "invalid network config:\ninvalid subnet {s}: it should be {masked}"
            )));
        }
    }
    let icc = match option(c, ENABLE_ICC) {
        Some(v) => parse_bool(ENABLE_ICC, v)?,
        None => true,
    };
    let masquerade = match option(c, ENABLE_MASQUERADE) {
        Some(v) => parse_bool(ENABLE_MASQUERADE, v)?,
        None => true,
    };
    let host_binding = match option(c, HOST_BINDING) {
        Some(v) => v
            .parse()
            .map_err(|_| Refusal::Daemon(format!("failed to parse {HOST_BINDING} value: {v}")))?,
        None => Ipv4Addr::UNSPECIFIED,
    };
    let mtu = match option(c, MTU) {
        Some(v) => {
            let n: i64 = v
                .parse()
                .map_err(|_| Refusal::Daemon(format!("failed to parse {MTU} value: {v}")))?;
            if n < 0 {
                return Err(Refusal::Daemon(format!("invalid MTU number: {n}")));
            }
            n.clamp(68, 65535) as u16
        }
        None => l.ln.config.mtu,
    };
    let id = ids::docker_id(rng);
    let (subnet, prefix_only) = match subnet {
        Some(s) if s.network().is_unspecified() => (None, Some(s.prefix())),
        Some(s) => (
            Some(Ipv4Network::new(s.network(), s.prefix()).expect("a valid prefix")),
            None,
        ),
        None => (None, None),
    };
    let req = BridgeRequest {
        id: id.clone(),
        name: option(c, BRIDGE_NAME).map(str::to_string),
        subnet,
        prefix_only,
        gateway,
        ip_range,
        aux,
        icc,
        masquerade,
        internal: c.internal,
        mtu,
        host_binding,
        default_bridge: false,
    };
    l.ln.create_bridge(ctx.eng, ctx.nodes, req)
        .map_err(|e| Refusal::Daemon(words(engine, &e)))?;
    Ok(DriverNetwork {
        backend_id: id.clone(),
        id: Some(id),
        requested_subnet: subnet,
        requested_gateway: gateway,
        notes: Vec::new(),
    })
}

/// libnetwork's refusals in the words of the engine release.
pub(super) fn words(engine: crate::control::engine::DockerEngine, e: &LnError) -> String {
    let new = engine.pool_order() == crate::control::libnetwork::pools::PoolOrder::LowestFree;
    match e {
        LnError::PoolsExhausted if new => {
            "all predefined address pools have been fully subnetted".into()
        }
        LnError::PoolsExhausted => "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network".into(),
        LnError::PoolOverlap if new => {
            "invalid pool request: Pool overlaps with other one on this address space".into()
        }
        LnError::PoolOverlap => "Pool overlaps with other one on this address space".into(),
        LnError::GatewayOutOfRange(g) => {
            format!("failed to allocate gateway ({g}): Requested address is out of range")
        }
        LnError::SameBridgeName { other, bridge } => format!(
            "cannot create network ({bridge}): conflicts with network {other} ({bridge}): networks have same bridge name"
        ),
        LnError::AddressInUse => "Address already in use".into(),
        LnError::NoAddresses => "no available IPv4 addresses on this network's address pools".into(),
        LnError::OutOfRange(ip) => {
            format!("Invalid address {ip}: It does not belong to any of this network's subnets")
        }
    }
}
