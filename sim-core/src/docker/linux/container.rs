//! A container on Linux: what the daemon refuses in `docker run` (with its words), the
//! container's network namespace, its endpoints on bridge networks (a veth pair, an address,
//! a MAC per release, published ports from the host's ephemeral range), and the host
//! network's shared namespace.

use super::Linux;
use crate::control::ids;
use crate::control::libnetwork::{EndpointRequest, PortMap};
use crate::control::tcpip;
use crate::device::stack::{IpStack, StackConfig};
use crate::device::Device;
use crate::docker::daemon::HostCtx;
use crate::docker::store::{Container, Store};
use crate::id::NodeId;
use crate::rng::SimRng;
use crate::topology::{NodeInfo, NodeKind};
use crate::wire;
use std::net::Ipv4Addr;

/// A Linux namespace's default TTL (`net.ipv4.ip_default_ttl`).
const LINUX_TTL: u8 = 64;

/// The kernel's ephemeral port range (`net.ipv4.ip_local_port_range`, 32768 60999), which
/// docker's port allocator takes host ports from when none is given.
const EPHEMERAL: (u16, u16) = (32768, 60999);

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
    cfg.services.icmp_echo = true;
    cfg.services.tcp = tcp;
    cfg.services.udp_echo = udp;
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
    if net.driver != "bridge" {
        // host and null: no endpoint, no plumbing.
        return Ok(());
    }
    let Some(sandbox) = c.sandbox else {
        return Err(format!("container {} has no namespace", c.id));
    };
    let user_defined = !net.predefined;
    let engine = l.ln.engine;
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
    // The container's interfaces are eth0, eth1, … in the order it joined bridge networks.
    let index = c.attachments[..a]
        .iter()
        .filter(|x| {
            store
                .network_by_id(&x.network_id)
                .is_some_and(|n| n.driver == "bridge")
        })
        .count();
    let ports = if index == 0 {
        map_ports(l, c, &net.id)?
    } else {
        Vec::new()
    };
    let req = EndpointRequest {
        id: ids::docker_id(rng),
        network_id: net.id.clone(),
        sandbox,
        ip: att.requested_ip,
        mac: None,
        ifname: format!("eth{index}"),
        default_route: index == 0,
        ports,
    };
    let (name, short) = (c.name.clone(), c.id[..12].to_string());
    let ep =
        l.ln.create_endpoint(ctx.eng, ctx.nodes, req)
            .map_err(|e| super::network::words(engine, &e))
            .map_err(|e| {
                if engine.networking_error_prefix() {
                    format!("failed to set up container networking: {e}")
                } else {
                    let _ = (&name, &short);
                    e
                }
            })?
            .id
            .clone();
    store.containers[ci].attachments[a].endpoint = Some(ep);
    Ok(())
}

/// The container's published ports as the bridge driver maps them: the host port asked
/// for, or the next free one of the ephemeral range; refused when another container holds
/// it.
fn map_ports(l: &mut Linux, c: &Container, network_id: &str) -> Result<Vec<PortMap>, String> {
    let binding_default =
        l.ln.network(network_id)
            .map_or(Ipv4Addr::UNSPECIFIED, |n| n.host_binding);
    let mut maps = Vec::new();
    for b in &c.ports {
        let proto = match b.proto.as_str() {
            "udp" => wire::IPPROTO_UDP,
            _ => wire::IPPROTO_TCP,
        };
        let host_ip = match b.host_ip.as_deref() {
            Some(ip) if !ip.is_empty() => ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED),
            _ => binding_default,
        };
        let taken = |l: &Linux, port: u16| {
            l.ln.endpoints.iter().flat_map(|e| e.ports.iter()).any(|m| {
                m.proto == proto
                    && m.host_port == port
                    && (m.host_ip.is_unspecified()
                        || host_ip.is_unspecified()
                        || m.host_ip == host_ip)
            }) || maps
                .iter()
                .any(|m: &PortMap| m.proto == proto && m.host_port == port)
        };
        let host_port = match b.host {
            Some((p, end)) if p == end => {
                if taken(l, p) {
                    return Err(format!(
                        "driver failed programming external connectivity on endpoint {} ({}): Bind for {host_ip}:{p} failed: port is already allocated",
                        c.name,
                        &c.id
                    ));
                }
                p
            }
            Some((start, end)) => (start..=end).find(|p| !taken(l, *p)).ok_or_else(|| {
                format!("Bind for {host_ip}:{start}-{end} failed: port is already allocated")
            })?,
            None => {
                let span = u32::from(EPHEMERAL.1 - EPHEMERAL.0) + 1;
                let from = l.next_ephemeral;
                let pick = (0..span)
                    .map(|i| EPHEMERAL.0 + ((u32::from(from - EPHEMERAL.0) + i) % span) as u16)
                    .find(|p| !taken(l, *p))
                    .ok_or("no free port in the ephemeral range")?;
                l.next_ephemeral = if pick == EPHEMERAL.1 {
                    EPHEMERAL.0
                } else {
                    pick + 1
                };
                pick
            }
        };
        maps.push(PortMap {
            proto,
            host_ip,
            host_port,
            container_port: b.container,
        });
    }
    Ok(maps)
}
