//! A container on Linux: what the daemon refuses in `docker run` (with its words), the
//! container's network namespace, its endpoints on bridge networks (a veth pair, an address,
//! a MAC per release, published ports from the host's ephemeral range), and the host
//! network's shared namespace.

use super::publish;
use super::Linux;
use crate::control::engine::DockerEngine;
use crate::control::ids;
use crate::control::libnetwork::{EndpointRequest, LnError};
use crate::control::tcpip;
use crate::device::stack::{IpStack, Services, StackConfig};
use crate::device::Device;
use crate::docker::daemon::HostCtx;
use crate::docker::store::{Container, Store};
use crate::id::NodeId;
use crate::rng::SimRng;
use crate::topology::{NodeInfo, NodeKind};
use crate::wire;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A Linux namespace's default TTL (`net.ipv4.ip_default_ttl`).
const LINUX_TTL: u8 = 64;

/// The container's namespace: an IP stack of its own, `<host>/<container>`, or the host's
/// own for `--network host`.
pub(super) fn create_namespace(
    l: &Linux,
    c: &Container,
    tcp: Vec<u16>,
    udp: Vec<u16>,
    ctx: &mut HostCtx,
) -> (NodeId, bool) {
    let host_mode = c
        .attachments
        .first()
        .is_some_and(|a| Some(&a.network_id) == l.host_network.as_ref());
    if host_mode {
        return (ctx.nodes.stack, false);
    }
    let name = format!("{}/{}", ctx.nodes.host, c.name);
    let mut cfg = StackConfig::new(name.clone(), LINUX_TTL);
    tcpip::linux(&mut cfg);
    // A restarted container's new endpoint keeps its address but (from v28) not its MAC:
    // without the announcement the host would send to the old MAC and the bridge flood it.
    cfg.neighbor.announce = l.ln.engine.advertises_endpoint_addresses();
    *cfg.services_mut() = Services {
        icmp_echo: true,
        tcp,
        udp_echo: udp,
        ..Services::default()
    };
    let node = ctx.eng.add_node(
        NodeInfo {
            name,
            kind: NodeKind::Container,
            host: Some(ctx.nodes.host.clone()),
        },
        Device::Stack(Box::new(IpStack::new(cfg))),
    );
    (node, true)
}

/// Joins container `ci` to its attachment `a`, then brings its names up to date: its
/// records in the embedded DNS and its namespace's nameservers and `/etc/hosts`.
pub(super) fn attach(
    l: &mut Linux,
    store: &mut Store,
    ci: usize,
    a: usize,
    rng: &mut SimRng,
    ctx: &mut HostCtx,
) -> Result<(), String> {
    if a == 0 {
        check_links(store, &store.containers[ci])?;
    }
    attach_endpoint(l, store, ci, a, rng, ctx)?;
    super::dns::joined(l, store, ci, a, ctx);
    super::files::configure_namespace(l, store, ci, ctx);
    Ok(())
}

/// A container starts only if every container it links to runs (moby `registerLinks`).
fn check_links(store: &Store, c: &Container) -> Result<(), String> {
    for (target, alias) in &c.naming.links {
        let running = store
            .container(target)
            .is_some_and(|t| t.state == crate::docker::store::ContainerState::Running);
        if !running {
            return Err(format!(
                "Cannot link to a non running container: /{target} AS /{}/{alias}",
                c.name
            ));
        }
    }
    Ok(())
}

/// Joins container `ci` to its attachment `a`: nothing for host and none, an endpoint on a
/// bridge network.
fn attach_endpoint(
    l: &mut Linux,
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
    let engine = l.ln.engine;
    if net.predefined && !engine.validates_ipam_config() {
        // Up to v24 the endpoint settings are judged here, when the container starts
        // (`updateNetworkConfig`); from v25 `docker run` refuses them at create.
        predefined_endpoint_settings(engine, att.requested_ip.is_some(), !att.aliases.is_empty())?;
    }
    if engine.short_id_alias() && !net.predefined {
        let short = c.short_id().to_string();
        if !att.aliases.contains(&short) {
            store.containers[ci].attachments[a].aliases.push(short);
        }
    }
    let c = &store.containers[ci];
    let att = &c.attachments[a];
    let Some(net) = store.network_by_id(&att.network_id) else {
        return Err(format!("network {} not found", att.network_id));
    };
    if net.driver != "bridge" {
        // host and null: an endpoint with no address and no plumbing.
        let id = ids::docker_id(rng);
        l.addressless_endpoints.push(id.clone());
        store.containers[ci].attachments[a].endpoint = Some(id);
        return Ok(());
    }
    let Some(sandbox) = c.sandbox else {
        return Err(format!("container {} has no namespace", c.id));
    };
    let user_defined = !net.predefined;
    if att.requested_ip.is_some()
        && user_defined
        && net.requested_subnet.is_none()
        && !engine.ip_without_configured_subnet()
    {
        let msg = "user specified IP address is supported only when connecting to networks with user configured subnets";
        return Err(if engine.validates_ipam_config() {
            format!("invalid endpoint settings:\n{msg}")
        } else {
            msg.to_string()
        });
    }
    // The namespace names its interfaces eth0, eth1, … from a counter that never goes back
    // while it lives: a network joined again after a disconnect gets the next name.
    let index = l.next_interface(sandbox);
    let prefix = net
        .options
        .iter()
        .rev()
        .find(|(k, v)| k == "com.docker.network.container_iface_prefix" && !v.is_empty())
        .map_or("eth", |(_, v)| v.as_str());
    let ifname = l.next_interface_name(sandbox, prefix);
    let endpoint_id = ids::docker_id(rng);
    // Published ports go on the container's first bridge network. The driver learns the
    // container's address when it programs them; the lowest free one is what it will get.
    let bridge = l.ln.network(&net.id);
    let internal = bridge.is_some_and(|n| n.internal);
    let ports = if index == 0 && !c.ports.is_empty() && !internal {
        let (binding_default, ctr_ip) =
            bridge.map_or((Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED), |n| {
                let ip = att.requested_ip.or_else(|| n.next_address());
                (n.host_binding, ip.unwrap_or(Ipv4Addr::UNSPECIFIED))
            });
        let listeners = host_listeners(ctx);
        match publish::map_ports(l, c, binding_default, ctr_ip, &listeners) {
            Ok(ports) => ports,
            Err(e) => {
                let e = format!(
                    "driver failed programming external connectivity on endpoint {} ({endpoint_id}): {e}",
                    c.name
                );
                store.containers[ci].attachments[a].failed_endpoint = Some(endpoint_id);
                return Err(if engine.networking_error_prefix() {
                    format!("failed to set up container networking: {e}")
                } else {
                    e
                });
            }
        }
    } else {
        Vec::new()
    };
    let req = EndpointRequest {
        id: endpoint_id,
        network_id: net.id.clone(),
        sandbox,
        ip: att.requested_ip,
        mac: if index == 0 { c.mac_address } else { None },
        ifname,
        default_route: false,
        ports,
    };
    let taken = req.ports.clone();
    let (name, net_name, net_id) = (c.name.clone(), net.name.clone(), net.id.clone());
    let ep = match l.ln.create_endpoint(ctx.eng, ctx.nodes, req) {
        Ok(ep) => ep.id.clone(),
        Err(e) => {
            l.ports.release(&taken);
            let e = match e {
                LnError::NoAddresses => format!(
                    "no available IPv4 addresses on this network's address pools: {net_name} ({net_id})"
                ),
                e @ (LnError::NoNetwork(_) | LnError::BridgeFull { .. }) => format!(
                    "failed to create endpoint {name} on network {net_name}: {}",
                    super::network::words(engine, &e)
                ),
                e => super::network::words(engine, &e),
            };
            return Err(if engine.networking_error_prefix() {
                format!("failed to set up container networking: {e}")
            } else {
                e
            });
        }
    };
    let att = &mut store.containers[ci].attachments[a];
    att.endpoint = Some(ep);
    att.failed_endpoint = None;
    Ok(())
}

/// What holds ports on the host's own stack: its services (a host-network server listens on
/// both address families) and its relays (docker-proxy processes).
fn host_listeners(ctx: &HostCtx) -> Vec<(u8, IpAddr, u16)> {
    let Some(s) = ctx.eng.device(ctx.nodes.stack).and_then(Device::as_stack) else {
        return Vec::new();
    };
    let any = [
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    ];
    let sv = s.config.services();
    let services = [
        (wire::IPPROTO_TCP, &sv.tcp),
        (wire::IPPROTO_UDP, &sv.udp_echo),
    ];
    services
        .into_iter()
        .flat_map(|(proto, ports)| {
            ports
                .iter()
                .flat_map(move |p| any.into_iter().map(move |a| (proto, a, *p)))
        })
        .chain(sv.relays.iter().map(|r| (r.proto, r.bind, r.port)))
        .collect()
}

/// The daemon's refusals of endpoint settings on a network that is not user-defined (moby
/// `updateNetworkConfig`; reference 2.3): a static address first, then aliases.
pub(super) fn predefined_endpoint_settings(
    engine: DockerEngine,
    ip: bool,
    aliases: bool,
) -> Result<(), String> {
    if ip {
        let msg = "user specified IP address is supported on user defined networks only";
        return Err(if engine.validates_ipam_config() {
            format!("invalid endpoint settings:\n{msg}")
        } else {
            msg.to_string()
        });
    }
    if aliases {
        return Err(if engine >= DockerEngine::V29 {
            "network-scoped aliases are only supported for user-defined networks".into()
        } else {
            "network-scoped alias is supported only for containers in user defined networks".into()
        });
    }
    Ok(())
}

/// Points the namespace's default route where libnetwork puts it (`sandbox.Less` of 20.10
/// and later): through the endpoint of a non-internal network before an internal one, then
/// of the network whose name sorts first (`connect/*` in tests/oracle).
pub(super) fn update_default_route(
    l: &mut Linux,
    eng: &mut crate::engine::Engine,
    sandbox: NodeId,
) {
    let mut candidates: Vec<(bool, String, String)> =
        l.ln.endpoints
            .iter()
            .filter(|e| e.sandbox == sandbox && e.gateway.is_some())
            .map(|e| {
                let internal = l.ln.network(&e.network_id).is_some_and(|n| n.internal);
                let name = l.network_name(&e.network_id).to_string();
                (internal, name, e.id.clone())
            })
            .collect();
    candidates.sort();
    let chosen = candidates.first().map(|(_, _, id)| id.clone());
    l.ln.set_default_route(eng, sandbox, chosen.as_deref());
}
