//! A container on Windows: what the daemon refuses in `docker run` (with its words), the
//! compartment, its HNS endpoints (an overlay's from the swarm allocator, and Server 2016's
//! hidden `gateway_` endpoint), the host ports docker reserves itself, and the embedded DNS.

use super::driver_opts;
use super::{Windows, NAT, WINDOWS_ONLY_NOTE};
use crate::control::hns::{self, EndpointRequest, Hns, HnsError, NetworkRequest, NetworkType};
use crate::device::stack::{EmbeddedDns, IpStack, Services, StackConfig};
use crate::device::Device;
use crate::docker::backend::RunSettings;
use crate::docker::cli::RunArgs;
use crate::docker::daemon::HostCtx;
use crate::docker::store::{
    Container, ContainerState, DockerNetwork, Isolation, PortBinding, Store,
};
use crate::docker::swarm::{self, FIRST_VNI};
use crate::id::NodeId;
use crate::rng::SimRng;
use crate::topology::{NodeInfo, NodeKind};
use crate::wire;
use ipnetwork::Ipv4Network;
use std::net::{IpAddr, Ipv4Addr};

/// A Windows compartment's default TTL.
const WINDOWS_TTL: u8 = 128;

/// What the Windows daemon refuses in `docker run`, and what it makes of the rest. (Its
/// refusals of published ports come when the endpoint is created: `convert_port_bindings`.)
pub(super) fn check_run(args: &RunArgs, net_key: &str) -> Result<RunSettings, String> {
    let isolation = match args.isolation.as_deref() {
        None | Some("default") | Some("process") => Isolation::Process,
        Some("hyperv") => Isolation::HyperV,
        Some(other) => return Err(format!("Invalid isolation: {other:?} - windows daemon supports 'default', 'process', or 'hyperv'")),
    };
    if net_key == "host" {
        return Err("network host not found".into());
    }
    // Hyper-V containers have a compartment of their own in their utility VM.
    if net_key.starts_with("container:") && isolation == Isolation::HyperV {
        return Err("invalid network-mode: using the network stack of another container is not supported while using Hyper-V Containers".into());
    }
    let mut notes = Vec::new();
    if !args.dns_options.is_empty() {
        notes.push(format!(
            "hnsim note: --dns-option is unsupported on Windows and has no effect {WINDOWS_ONLY_NOTE}"
        ));
    }
    if args.ip6.is_some() {
        notes.push(format!(
            "hnsim note: --ip6 is unsupported on Windows and has no effect {WINDOWS_ONLY_NOTE}"
        ));
    }
    if !args.links.is_empty() {
        notes.push("hnsim note: --link is not supported on Windows and has no effect".into());
    }
    Ok(RunSettings {
        isolation,
        notes,
        warnings: Vec::new(),
    })
}

/// Remarks on joining `net`.
pub(super) fn attach_notes(net: &DockerNetwork, c: &Container) -> Vec<String> {
    if net.driver == "transparent" && !c.ports.is_empty() {
        return vec!["hnsim note: -p on a transparent network: Docker passes the port maps to HNS, but what HNS does with them is not documented, so hnsim maps nothing; the container is reached at its own address (docs/fidelity.md)".into()];
    }
    Vec::new()
}

/// The container's compartment: an IP stack of its own, named `<host>/<container>`.
pub(super) fn create_compartment(
    c: &Container,
    tcp: Vec<u16>,
    udp: Vec<u16>,
    ctx: &mut HostCtx,
) -> NodeId {
    let name = format!("{}/{}", ctx.nodes.host, c.name);
    let mut cfg = StackConfig::new(name.clone(), WINDOWS_TTL);
    *cfg.services_mut() = Services {
        icmp_echo: true,
        tcp,
        udp_echo: udp,
        ..Services::default()
    };
    ctx.eng.add_node(
        NodeInfo {
            name,
            kind: NodeKind::Container,
            host: Some(ctx.nodes.host.clone()),
        },
        Device::Stack(Box::new(IpStack::new(cfg))),
    )
}

/// Joins container `ci` to its attachment `a`: an HNS endpoint in its compartment.
pub(super) fn attach(
    w: &mut Windows,
    store: &mut Store,
    ci: usize,
    a: usize,
    rng: &mut SimRng,
    ctx: &mut HostCtx,
) -> Result<(), String> {
    let c = &store.containers[ci];
    let att = &c.attachments[a];
    let Some(net) = store.network_by_id(&att.network_id) else {
        return Err(format!("network {} not found", att.network_id));
    };
    if net.driver == "overlay" {
        return attach_overlay(w, store, ci, a, rng, ctx);
    }
    let Some(hns_id) = net.backend_id.clone() else {
        // `none`: the compartment has no network adapter.
        return Ok(());
    };
    if let (Some(ip), Some(h)) = (att.requested_ip, w.hns.network(&hns_id)) {
        if !h.pool.subnet.contains(ip) {
            return Err(format!(
                "invalid config for network {}: invalid endpoint settings:\nno configured subnet contains IP address {ip}",
                net.name
            ));
        }
    }
    let mut upstream = c.dns.clone();
    if upstream.is_empty() {
        upstream = w.config.dns.clone();
    }
    if net.internal {
        // libnetwork does not hand an `--internal` network's endpoints any DNS servers.
        upstream.clear();
    }
    let bindings = if a == 0 { c.ports.as_slice() } else { &[] };
    let reserves =
        NetworkType::from_driver(&net.driver).is_some_and(NetworkType::docker_reserves_ports);
    let listens = |proto, port| hns::host_listens(ctx.eng, ctx.nodes, proto, port);
    let ports = endpoint_ports(bindings, reserves, rng, &w.hns, listens).map_err(|e| {
        format!(
            "failed to create endpoint {} on network {}: {e}",
            c.name, net.name
        )
    })?;
    let req = EndpointRequest {
        network_id: hns_id,
        name: c.name.clone(),
        ip: att.requested_ip,
        ports,
        dns: upstream,
        isolation: c.isolation,
        compartment: compartment_of(c)?,
        default_route: true,
    };
    let ep = w
        .hns
        .create_endpoint(ctx.eng, ctx.nodes, req)
        .map_err(|e| {
            format!(
                "failed to create endpoint {} on network {}: {}",
                c.name, net.name, e.0
            )
        })?;
    store.containers[ci].attachments[a].endpoint = Some(ep);
    Ok(())
}

/// A starting container's compartment.
fn compartment_of(c: &Container) -> Result<NodeId, String> {
    c.sandbox
        .ok_or_else(|| format!("container {} has no compartment", c.id))
}

/// Joins a container to an overlay network: this node's HNS network is created on first
/// use, the address comes from the swarm allocator, and on builds up to 16236 (Server
/// 2016) libnetwork adds the `gateway_<id>` endpoint on `nat` for outbound traffic and
/// published ports (reference 2.8).
fn attach_overlay(
    w: &mut Windows,
    store: &mut Store,
    ci: usize,
    a: usize,
    rng: &mut SimRng,
    ctx: &mut HostCtx,
) -> Result<(), String> {
    let net_id = store.containers[ci].attachments[a].network_id.clone();
    let ni = store
        .networks
        .iter()
        .position(|n| n.id == net_id)
        .ok_or_else(|| format!("network {net_id} not found"))?;
    let net_name = store.networks[ni].name.clone();
    let swarm_net = ctx
        .swarm
        .networks
        .iter()
        .find(|n| n.id == net_id)
        .ok_or_else(|| format!("network {net_name} not found"))?;
    if swarm_net.allocation_error.is_some() {
        return Err(swarm::ATTACH_TIMED_OUT.into());
    }
    // Every subnet of the swarm network, each with its gateway and VNI.
    let subnets: Vec<(Ipv4Network, Ipv4Addr, u32)> = swarm_net
        .subnets
        .iter()
        .map(|s| (s.subnet, s.gateway, s.vni))
        .collect();
    let Some(&(subnet, gateway, vni)) = subnets.first() else {
        return Err("ipv4 pool is empty".into());
    };
    let live = store.networks[ni]
        .backend_id
        .as_deref()
        .is_some_and(|h| w.hns.network(h).is_some());
    if !live {
        // HNS refuses a VSID that overlaps the 802.1Q VLAN ids (reference 3.3; its words
        // are those seen on Server 2016, moby/moby#32935).
        if subnets.iter().any(|(_, _, vni)| *vni < FIRST_VNI) {
            return Err(HnsError::failed("Element not found").0);
        }
        let mut req = NetworkRequest::new(NetworkType::Overlay, &net_name);
        req.subnet = Some(subnet);
        req.gateway = Some(gateway);
        req.vni = Some(vni);
        req.more_subnets = subnets[1..].to_vec();
        driver_opts::apply(&store.networks[ni].options, &mut req, true)
            .map_err(|r| r.message().to_string())?;
        let hns_id = w
            .hns
            .create_network(ctx.eng, ctx.nodes, req, &w.config.host_prefixes)
            .map_err(|e| e.0)?;
        store.networks[ni].backend_id = Some(hns_id);
    }
    let hns_id = store.networks[ni]
        .backend_id
        .clone()
        .ok_or_else(|| format!("network {net_name} has no HNS network"))?;
    let requested = store.containers[ci].attachments[a].requested_ip;
    let ip = ctx.swarm.allocate(&net_id, requested)?;
    let vfp_nat = w.hns.version.overlay_uses_vfp_outbound_nat();
    let c = &store.containers[ci];
    let bindings = if a == 0 && vfp_nat {
        c.ports.as_slice()
    } else {
        &[]
    };
    let listens = |proto, port| hns::host_listens(ctx.eng, ctx.nodes, proto, port);
    let ports = match endpoint_ports(bindings, true, rng, &w.hns, listens) {
        Ok(p) => p,
        Err(e) => {
            ctx.swarm.release(&net_id, ip);
            return Err(format!(
                "failed to create endpoint {} on network {net_name}: {e}",
                c.name
            ));
        }
    };
    let req = EndpointRequest {
        network_id: hns_id,
        name: c.name.clone(),
        ip: Some(ip),
        ports,
        dns: c.dns.clone(),
        isolation: c.isolation,
        compartment: compartment_of(c)?,
        default_route: vfp_nat,
    };
    let ep = match w.hns.create_endpoint(ctx.eng, ctx.nodes, req) {
        Ok(ep) => ep,
        Err(e) => {
            ctx.swarm.release(&net_id, ip);
            return Err(format!(
                "failed to create endpoint {} on network {net_name}: {}",
                c.name, e.0
            ));
        }
    };
    store.containers[ci].attachments[a].endpoint = Some(ep);
    if !vfp_nat {
        attach_gateway_endpoint(w, store, ci, ctx)?;
    }
    Ok(())
}

/// Server 2016: the second, hidden endpoint on `nat` that carries an overlay container's
/// outbound traffic and published ports.
fn attach_gateway_endpoint(
    w: &mut Windows,
    store: &mut Store,
    ci: usize,
    ctx: &mut HostCtx,
) -> Result<(), String> {
    const NO_GATEWAY: &str = "default gateway functionality is not implemented in windows";
    let hns_id = store
        .networks
        .iter()
        .find(|n| n.name == NAT)
        .and_then(|n| n.backend_id.clone())
        .ok_or(NO_GATEWAY)?;
    let c = &store.containers[ci];
    let name = format!("gateway_{}", c.short_id());
    let ports = convert_port_bindings(&c.ports)
        .map_err(|e| format!("failed to create endpoint {name} on network nat: {e}"))?;
    let req = EndpointRequest {
        network_id: hns_id,
        name: name.clone(),
        ip: None,
        ports,
        dns: Vec::new(),
        isolation: c.isolation,
        compartment: compartment_of(c)?,
        default_route: true,
    };
    let ep = w
        .hns
        .create_endpoint(ctx.eng, ctx.nodes, req)
        .map_err(|e| format!("failed to create endpoint {name} on network nat: {}", e.0))?;
    store.containers[ci].hidden_endpoints.push(ep);
    Ok(())
}

/// The port maps of a new endpoint, as the Windows drivers make them: on l2bridge, l2tunnel
/// and overlay (`reserves`) docker first reserves each host port itself (moby's
/// `AllocatePorts`), then every driver converts the bindings for HNS
/// (`ConvertPortBindings`), refusing what Windows cannot do.
fn endpoint_ports(
    bindings: &[PortBinding],
    reserves: bool,
    rng: &mut SimRng,
    hns: &Hns,
    host_listens: impl Fn(u8, u16) -> bool,
) -> Result<Vec<(u8, Option<u16>, u16)>, String> {
    if reserves {
        convert_port_bindings(&reserve_host_ports(rng, bindings, hns, host_listens)?)
    } else {
        convert_port_bindings(bindings)
    }
}

/// moby's `ConvertPortBindings`: TCP or UDP only, one host port (a host range is refused
/// unless docker reserved a port from it), and no host address; checked binding by binding,
/// in that order. A binding without a host port leaves the choice to HNS (nat).
fn convert_port_bindings(bindings: &[PortBinding]) -> Result<Vec<(u8, Option<u16>, u16)>, String> {
    let mut ports = Vec::new();
    for b in bindings {
        let proto = match b.proto.as_str() {
            "tcp" => wire::IPPROTO_TCP,
            "udp" => wire::IPPROTO_UDP,
            other => return Err(format!("invalid protocol {other}")),
        };
        if b.host.is_some_and(|(start, end)| start != end) {
            return Err("Windows does not support more than one host port in NAT settings".into());
        }
        if b.host_ip.as_deref().is_some_and(|ip| {
            !ip.is_empty() && !ip.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified())
        }) {
            return Err("Windows does not support host IP addresses in NAT settings".into());
        }
        ports.push((proto, b.host.map(|(start, _)| start), b.container));
    }
    Ok(ports)
}

/// l2bridge, l2tunnel and overlay: docker reserves the host ports itself (reference 2.5):
/// the one asked for, the first free one of a range, or one in 60000-65000 when none is
/// given (up to 10 tries). It holds each with a listening socket (libnetwork's Windows port
/// mapper), which a process on the host listening there already refuses with Go's words for
/// WSAEADDRINUSE.
fn reserve_host_ports(
    rng: &mut SimRng,
    bindings: &[PortBinding],
    hns: &Hns,
    host_listens: impl Fn(u8, u16) -> bool,
) -> Result<Vec<PortBinding>, String> {
    let ip_proto = |p: &str| match p {
        "udp" => wire::IPPROTO_UDP,
        "tcp" => wire::IPPROTO_TCP,
        _ => 0,
    };
    let mut taken: Vec<(u8, u16)> = hns
        .endpoints
        .iter()
        .filter(|e| {
            hns.network(&e.network_id)
                .is_some_and(|n| n.ty.docker_reserves_ports())
        })
        .flat_map(|e| e.port_mappings.iter().map(|m| (m.proto, m.host_port)))
        .collect();
    let mut reserved = Vec::new();
    for b in bindings {
        let proto = ip_proto(&b.proto);
        let port = match b.host {
            Some((h, end)) if h == end => {
                if taken.contains(&(proto, h)) {
                    return Err(format!(
                        "Bind for 0.0.0.0:{h} failed: port is already allocated"
                    ));
                }
                if host_listens(proto, h) {
                    let net = if proto == wire::IPPROTO_UDP {
                        "udp4"
                    } else {
                        "tcp4"
                    };
                    return Err(format!("listen {net} 0.0.0.0:{h}: bind: Only one usage of each socket address (protocol/network address/port) is normally permitted."));
                }
                h
            }
            Some((start, end)) => (start..=end)
                .find(|p| !taken.contains(&(proto, *p)) && !host_listens(proto, *p))
                .ok_or("all ports are allocated")?,
            None => (0..10)
                .map(|_| 60000 + rng.below(5001) as u16)
                .find(|p| !taken.contains(&(proto, *p)) && !host_listens(proto, *p))
                .ok_or("Bind for 0.0.0.0:0 failed: port is already allocated")?,
        };
        taken.push((proto, port));
        reserved.push(PortBinding {
            host: Some((port, port)),
            ..b.clone()
        });
    }
    Ok(reserved)
}

/// Rewrites the embedded resolvers on the host: one per network with HNS's internal DNS,
/// at each of its gateways, answering the names and aliases of its running containers.
pub(super) fn refresh_dns(w: &Windows, store: &Store, ctx: &mut HostCtx) {
    let resolvers = all_resolvers(w, store);
    if let Some(stack) = ctx
        .eng
        .device_mut(ctx.nodes.stack)
        .and_then(Device::as_stack_mut)
    {
        stack.config.services_mut().embedded_dns = resolvers;
    }
}

/// Container `ci`, the last in the store, was just created: its names join the records of
/// each resolver of its networks, at the end, where a full rebuild (which follows the store's
/// order) puts them too. Overlay networks (whose resolvers also hold the gossiped remote
/// names after the local ones) and anything unexpected take the full rebuild.
pub(super) fn dns_container_added(w: &Windows, store: &Store, ci: usize, ctx: &mut HostCtx) {
    if !add_container_records(w, store, ci, ctx) {
        refresh_dns(w, store, ctx);
    }
    // The tests run with debug assertions: there the shortcut must agree with a rebuild.
    #[cfg(debug_assertions)]
    {
        let full = all_resolvers(w, store);
        let now = ctx
            .eng
            .device(ctx.nodes.stack)
            .and_then(Device::as_stack)
            .map(|s| &s.config.services().embedded_dns);
        debug_assert!(
            now.is_none_or(|now| *now == full),
            "incremental DNS records differ from a rebuild"
        );
    }
}

/// Appends container `ci`'s records; false when that cannot be done in place.
fn add_container_records(w: &Windows, store: &Store, ci: usize, ctx: &mut HostCtx) -> bool {
    if ci + 1 != store.containers.len() {
        return false;
    }
    let c = &store.containers[ci];
    let Some(stack) = ctx
        .eng
        .device_mut(ctx.nodes.stack)
        .and_then(Device::as_stack_mut)
    else {
        return false;
    };
    if c.state != ContainerState::Running {
        return true;
    }
    let resolvers = stack.config.embedded_dns_mut();
    for a in &c.attachments {
        let Some(ep) = a.endpoint.as_deref().and_then(|id| w.hns_endpoint(id)) else {
            continue;
        };
        let Some(net) = store.networks.iter().find(|n| n.id == a.network_id) else {
            return false;
        };
        if !embedded_dns(&net.driver) {
            continue;
        }
        if net.driver == super::OVERLAY {
            return false;
        }
        let Some(h) = net.backend_id.as_deref().and_then(|h| w.hns.network(h)) else {
            continue;
        };
        let name = resolver_name(net);
        for bind in h.gateways() {
            let Some(r) = resolvers
                .iter_mut()
                .find(|r| r.bind == bind && r.name == name)
            else {
                return false;
            };
            r.records
                .extend(Store::names_of(c, a).into_iter().map(|n| (n, ep.ip)));
        }
    }
    true
}

/// Whether a network's containers use Docker's embedded DNS (nat and overlay).
fn embedded_dns(driver: &str) -> bool {
    NetworkType::from_driver(driver).is_some_and(NetworkType::internal_dns)
}

fn resolver_name(net: &DockerNetwork) -> String {
    format!("docker embedded DNS ({})", net.name)
}

/// Every embedded resolver, rebuilt from the store: one per gateway of each network with
/// embedded DNS, answering for its running containers in the store's order.
fn all_resolvers(w: &Windows, store: &Store) -> Vec<EmbeddedDns> {
    let mut resolvers = Vec::new();
    let upstreams = if w.config.dns.is_empty() {
        &w.config.host_dns
    } else {
        &w.config.dns
    };
    let index = w.endpoint_index();
    for net in store.networks.iter().filter(|n| embedded_dns(&n.driver)) {
        let Some(h) = net.backend_id.as_deref().and_then(|h| w.hns.network(h)) else {
            continue;
        };
        let mut records = Vec::new();
        for (c, a, ep) in Windows::running_endpoints(store, &net.id, &index) {
            records.extend(Store::names_of(c, a).into_iter().map(|n| (n, ep.ip)));
        }
        // One resolver at each gateway (an overlay network has one per subnet).
        for bind in h.gateways() {
            resolvers.push(EmbeddedDns {
                name: resolver_name(net),
                bind,
                records: records.clone(),
                upstreams: upstreams.clone(),
            });
        }
    }
    resolvers
}
