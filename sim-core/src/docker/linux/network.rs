//! `docker network create` on Linux: the bridge driver's options and the checks the daemon,
//! its IPAM and the bridge driver make, in the words of the host's Docker Engine release
//! (reference linux-drivers.md section 2.1, 3 and 4.1).

use super::Linux;
use crate::control::engine::DockerEngine;
use crate::control::ids;
use crate::control::libnetwork::pools::PoolOrder;
use crate::control::libnetwork::{BridgeRequest, LnError};
use crate::docker::backend::{DriverNetwork, Refusal};
use crate::docker::cli::{go_parse_cidr, NetworkCreate};
use crate::docker::daemon::HostCtx;
use crate::docker::errdefs::ErrorKind;
use crate::docker::store::IpamConfig;
use crate::rng::SimRng;
use ipnetwork::Ipv4Network;
use std::net::{IpAddr, Ipv4Addr};

pub const BRIDGE_NAME: &str = "com.docker.network.bridge.name";
pub const ENABLE_ICC: &str = "com.docker.network.bridge.enable_icc";
pub const ENABLE_MASQUERADE: &str = "com.docker.network.bridge.enable_ip_masquerade";
pub const HOST_BINDING: &str = "com.docker.network.bridge.host_binding_ipv4";
pub const MTU: &str = "com.docker.network.driver.mtu";

/// Go's `strconv.ParseBool`, in the bridge driver's words when it fails (its `parseErr`, a
/// `BadRequest` error).
fn parse_bool(engine: DockerEngine, key: &str, v: &str) -> Result<bool, Refusal> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(Refusal::Daemon(
            ErrorKind::bad_request(engine),
            format!(
                "failed to parse {key} value: {v} (strconv.ParseBool: parsing {v:?}: invalid syntax)"
            ),
        )),
    }
}

fn option<'a>(c: &'a NetworkCreate, key: &str) -> Option<&'a str> {
    c.options
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// What the Linux daemon reports of a network it created, beyond libnetwork's answer.
#[derive(Clone, Debug, Default)]
pub struct Reported {
    pub ipam_config: Vec<IpamConfig>,
    pub ipam_options: Vec<(String, String)>,
    pub ipv6: bool,
}

/// Go's `strconv.Atoi` error text for `v`.
fn atoi_error(v: &str) -> String {
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    let why = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        "value out of range"
    } else {
        "invalid syntax"
    };
    format!("strconv.Atoi: parsing {v:?}: {why}")
}

/// A local network: the bridge driver (host and null exist once, predefined). The CLI
/// checked the IPAM flags against each other (`createIPAMConfig`); what is left is the
/// daemon's, libnetwork's and the bridge driver's, in their order.
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
            // The host and null drivers' `types.ForbiddenErrorf`.
            return Err(Refusal::Daemon(
                ErrorKind::Forbidden,
                format!("only one instance of \"{driver}\" network is allowed"),
            ));
        }
        "macvlan" | "ipvlan" | "overlay" => {
            return Err(Refusal::Plain(format!(
                "hnsim: the {driver} driver is not modelled on Linux hosts yet"
            )))
        }
        other => {
            // The plugin store's `errNotFound`.
            return Err(Refusal::Daemon(
                ErrorKind::NotFound,
                format!("plugin \"{other}\" not found"),
            ));
        }
    }
    // libnetwork's `NewNetwork`: the scope, then ingress (both `types.ForbiddenErrorf`).
    if c.scope.as_deref() == Some("swarm") {
        return Err(Refusal::Daemon(
            ErrorKind::Forbidden,
            "cannot create a swarm scoped network when swarm is not active".into(),
        ));
    }
    if c.ingress {
        return Err(Refusal::Daemon(
            ErrorKind::Forbidden,
            "Ingress network can only be global scope network".into(),
        ));
    }
    let engine = l.ln.engine;
    let mut subnets: Vec<(&str, Ipv4Network)> = Vec::new();
    let mut v6_subnets: Vec<&str> = Vec::new();
    for s in &c.subnets {
        let parsed = go_parse_cidr(s).map_err(|e| {
            if engine.validates_ipam_config() {
                invalid_config(format!("invalid subnet {s}: invalid CIDR block notation"))
            } else {
                // The daemon's `getIpamConfig`: a plain `fmt.Errorf`.
                Refusal::Daemon(ErrorKind::System, format!("Invalid subnet {s} : {e}"))
            }
        })?;
        match parsed {
            (IpAddr::V4(ip), len) => subnets.push((
                s.as_str(),
                Ipv4Network::new(ip, len).expect("go_parse_cidr checked the length"),
            )),
            (IpAddr::V6(_), _) => v6_subnets.push(s.as_str()),
        }
    }
    if c.ipv6 == Some(true) && v6_subnets.is_empty() {
        if engine.pool_order() == PoolOrder::Rotating {
            // Up to v26 no IPv6 pool is predefined: the IPAM's `types.NotFoundErrorf`.
            return Err(Refusal::Daemon(
                ErrorKind::NotFound,
                "could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network".into(),
            ));
        }
        return Err(Refusal::Plain(
            "hnsim: IPv6 is not modelled (the real daemon would create the network with a ULA subnet)".into(),
        ));
    }
    let parse_v4 = |v: &str| v.parse::<Ipv4Addr>().ok();
    let in_subnet = |s: &Ipv4Network, data: &str| {
        let ip = match data.split_once('/') {
            Some((ip, _)) => parse_v4(ip),
            None => parse_v4(data),
        };
        ip.is_some_and(|ip| s.contains(ip))
    };
    // The IPAM allocator requests each subnet's pool before the driver sees them: a
    // second pool that overlaps the first is refused (only the API can send one; the
    // CLI's `createIPAMConfig` refuses it first).
    for (i, (_, a)) in subnets.iter().enumerate() {
        if subnets[..i]
            .iter()
            .any(|(_, b)| a.contains(b.network()) || b.contains(a.network()))
        {
            let e = LnError::PoolOverlap;
            return Err(Refusal::Daemon(kind(engine, &e), words(engine, &e)));
        }
    }
    if subnets.len() > 1 {
        // The bridge driver's `types.ForbiddenErrorf`.
        return Err(Refusal::Daemon(
            ErrorKind::Forbidden,
            "bridge driver doesn't support multiple subnets".into(),
        ));
    }
    let subnet = subnets.first().copied();
    // The API's entry for this subnet: its gateway, range and aux addresses as sent.
    let api_entry = subnet.and_then(|(raw, _)| {
        c.api_ipam
            .as_ref()
            .and_then(|entries| entries.iter().find(|e| e.subnet == raw))
    });
    if let Some((_, s)) = subnet {
        let masked = Ipv4Network::new(s.network(), s.prefix()).expect("a valid prefix");
        if engine.validates_ipam_config() && s.ip() != s.network() {
            return Err(invalid_config(format!(
                "invalid subnet {s}: it should be {masked}"
            )));
        }
    }
    if let (Some((_, s)), true) = (subnet, engine.validates_ipam_config()) {
        for r in &c.ip_ranges {
            validate_ip_range(r, s).map_err(|e| invalid_config(format!("invalid ip-range {e}")))?;
        }
    }
    let subnet_of = |data: &str| subnet.filter(|(_, s)| in_subnet(s, data));
    let gateway = match api_entry {
        Some(e) => parse_v4(&e.gateway),
        None => c
            .gateways
            .iter()
            .find(|g| subnet_of(g).is_some())
            .and_then(|g| parse_v4(g)),
    };
    let ip_range = c
        .ip_ranges
        .iter()
        .find(|r| subnet_of(r).is_some())
        .and_then(|r| r.parse::<Ipv4Network>().ok());
    let aux: Vec<Ipv4Addr> = c
        .aux_addresses
        .iter()
        .filter_map(|(_, v)| parse_v4(v))
        .collect();
    let icc = match option(c, ENABLE_ICC) {
        Some(v) => parse_bool(engine, ENABLE_ICC, v)?,
        None => true,
    };
    let masquerade = match option(c, ENABLE_MASQUERADE) {
        Some(v) => parse_bool(engine, ENABLE_MASQUERADE, v)?,
        None => true,
    };
    // The bridge driver's option errors are its `parseErr` and `ErrInvalidMtu`, both
    // `BadRequest` errors.
    let bad_request = ErrorKind::bad_request(engine);
    let host_binding = match option(c, HOST_BINDING) {
        Some(v) => v.parse().map_err(|_| {
            Refusal::Daemon(
                bad_request,
                // `net.ParseIP` gives nil, and `parseErr` says so.
                format!("failed to parse {HOST_BINDING} value: {v} (nil ip)"),
            )
        })?,
        None => Ipv4Addr::UNSPECIFIED,
    };
    let mtu = match option(c, MTU) {
        Some(v) => {
            let n: i64 = v.parse().map_err(|_| {
                Refusal::Daemon(
                    bad_request,
                    format!("failed to parse {MTU} value: {v} ({})", atoi_error(v)),
                )
            })?;
            if n < 0 {
                return Err(Refusal::Daemon(
                    bad_request,
                    format!("invalid MTU number: {n}"),
                ));
            }
            n.clamp(68, 65535) as u16
        }
        None => l.ln.config.mtu,
    };
    // Up to v24 the default IPAM reserves a subnet's first and last address whatever its
    // size, so a /31 or /32 has none left for the gateway (`ipam/slash-31`, `ipam/slash-32`).
    if let Some((_, s)) = subnet {
        if !engine.validates_ipam_config() && s.prefix() >= 31 && gateway.is_none() {
            // libnetwork's `types.InternalErrorf`: untyped.
            return Err(Refusal::Daemon(
                ErrorKind::System,
                "failed to allocate gateway (): No available addresses on this pool".into(),
            ));
        }
    }
    // libnetwork's `ipamAllocateVersion`: each aux address must lie in the pool (a
    // forbidden request). The CLI pairs aux addresses with a subnet, so only the API
    // reaches this.
    if let Some((_, s)) = subnet {
        let pool = Ipv4Network::new(s.network(), s.prefix()).expect("a valid prefix");
        let aux_of = api_entry.map_or(&c.aux_addresses, |e| &e.aux);
        if let Some((name, ip)) = aux_of.iter().find(|(_, ip)| !in_subnet(&pool, ip)) {
            return Err(Refusal::Daemon(
                ErrorKind::Forbidden,
                format!("auxiliary address: ({name}:{ip}) must belong to the master pool: {pool}"),
            ));
        }
    }
    let id = ids::docker_id(rng);
    let (pool_subnet, prefix_only) = match subnet {
        Some((_, s)) if s.network().is_unspecified() => (None, Some(s.prefix())),
        Some((_, s)) => (
            Some(Ipv4Network::new(s.network(), s.prefix()).expect("a valid prefix")),
            None,
        ),
        None => (None, None),
    };
    let req = BridgeRequest {
        id: id.clone(),
        name: option(c, BRIDGE_NAME).map(str::to_string),
        subnet: pool_subnet,
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
    let created = l.ln.create_bridge(ctx.eng, ctx.nodes, req).map_err(|e| {
        let message = match &e {
            LnError::SameBridgeName { other, bridge } => format!(
                "cannot create network {id} ({bridge}): conflicts with network {other} ({bridge}): networks have same bridge name"
            ),
            e => words(engine, e),
        };
        Refusal::Daemon(kind(engine, &e), message)
    })?;
    // The config docker reports: the user's values as given, or what the pool chose.
    let ipam_config = match subnet {
        None => vec![IpamConfig {
            subnet: created.subnet.to_string(),
            gateway: created.gateway.to_string(),
            ..IpamConfig::default()
        }],
        Some(_) if api_entry.is_some() => api_entry.cloned().into_iter().collect(),
        Some((raw, s)) => {
            let raw_of = |list: &[String]| {
                list.iter()
                    .find(|x| in_subnet(&s, x))
                    .cloned()
                    .unwrap_or_default()
            };
            vec![IpamConfig {
                subnet: raw.to_string(),
                ip_range: raw_of(&c.ip_ranges),
                gateway: raw_of(&c.gateways),
                aux: c.aux_addresses.clone(),
            }]
        }
    };
    let mut ipam_config = ipam_config;
    ipam_config.extend(v6_subnets.iter().map(|s| IpamConfig {
        subnet: s.to_string(),
        ..IpamConfig::default()
    }));
    l.network_names.push((id.clone(), c.name.clone()));
    l.reported.push((
        id.clone(),
        Reported {
            ipam_config,
            ipam_options: c.ipam_opts.clone(),
            ipv6: c.ipv6 == Some(true),
        },
    ));
    Ok(DriverNetwork {
        backend_id: id.clone(),
        id: Some(id),
        requested_subnet: pool_subnet,
        requested_gateway: gateway,
        notes: Vec::new(),
    })
}

/// moby's `validateIPRange` (v25+, reference 2.1): the range as a CIDR block of the
/// subnet's family, no bigger than it, without host bits, inside it. The error follows
/// `invalid ip-range `.
fn validate_ip_range(r: &str, subnet: Ipv4Network) -> Result<(), String> {
    let range = match go_parse_cidr(r) {
        Err(_) => return Err(format!("{r}: invalid CIDR block notation")),
        Ok((IpAddr::V6(_), _)) => return Err(format!("{r}: parent subnet is an IPv4 block")),
        Ok((IpAddr::V4(ip), len)) => Ipv4Network::new(ip, len).expect("a checked length"),
    };
    if range.prefix() < subnet.prefix() {
        return Err(format!(
            "{r}: CIDR block is bigger than its parent subnet {subnet}"
        ));
    }
    let masked = Ipv4Network::new(range.network(), range.prefix()).expect("a checked length");
    if range.ip() != range.network() {
        return Err(format!("{r}: it should be {masked}"));
    }
    if !subnet.contains(range.network()) {
        return Err(format!(
            "{r}: parent subnet {subnet} doesn't contain ip-range"
        ));
    }
    Ok(())
}

/// `ValidateIPAM`'s refusal (v25+), which the daemon makes `errdefs.InvalidParameter`.
fn invalid_config(problem: String) -> Refusal {
    Refusal::Daemon(
        ErrorKind::InvalidParameter,
        format!("invalid network config:\n{problem}"),
    )
}

/// The errdefs kind of libnetwork's refusal on the engine release (the types of
/// `ipamapi/contract.go`, `ipam/allocator.go`, `endpoint.go` and the bridge driver).
pub(super) fn kind(engine: DockerEngine, e: &LnError) -> ErrorKind {
    let new = engine.pool_order() == PoolOrder::LowestFree;
    match e {
        // Up to v24 `types.NotFoundErrorf`; later `ErrNoMoreSubnets`, an invalid parameter.
        LnError::PoolsExhausted if new => ErrorKind::InvalidParameter,
        LnError::PoolsExhausted => ErrorKind::NotFound,
        // `ErrPoolOverlap`, and later its `invalid pool request: ` wrap: both forbidden.
        LnError::PoolOverlap => ErrorKind::Forbidden,
        // `ErrIPAlreadyAllocated`.
        LnError::AddressInUse => ErrorKind::Forbidden,
        // The bridge driver's conflict check.
        LnError::SameBridgeName { .. } => ErrorKind::Forbidden,
        // `types.BadRequestErrorf`, `InvalidParameterErrorf` from v25.
        LnError::OutOfRange(_) => ErrorKind::bad_request(engine),
        // `types.InternalErrorf`, `InternalMaskableErrorf` or a plain `fmt.Errorf`.
        LnError::GatewayOutOfRange(_)
        | LnError::NoAddresses
        | LnError::NoNetwork(_)
        | LnError::BridgeFull { .. } => ErrorKind::System,
    }
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
        LnError::NoNetwork(id) => format!("network {id} does not exist"),
        LnError::BridgeFull { veth, bridge } => {
            format!("adding interface {veth} to bridge {bridge} failed: exchange full")
        }
        LnError::OutOfRange(ip) => {
            format!("Invalid address {ip}: It does not belong to any of this network's subnets")
        }
    }
}
