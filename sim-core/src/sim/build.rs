//! Builds the physical fabric and the container hosts (Windows and Linux) of a scenario on a
//! fresh engine.
//!
//! The scenario was validated by `scenario::load_*`, so addresses parse and names resolve;
//! anything that still does not is reported as an error, never a panic.

use super::world::{Host, World};
use crate::control::hns::policy;
use crate::control::hns::Hns;
use crate::control::libnetwork::pools::Pool;
use crate::control::libnetwork::{Libnetwork, LinuxDaemonConfig};
use crate::control::stp::{self, SpanningTree};
use crate::control::{tcpip, HostNodes, HostOs};
use crate::device::spanning_tree::BridgeId;
use crate::device::stack::{DhcpServerConfig, IfaceConfig, IpStack, Route, StackConfig};
use crate::device::switch::{PortMode, Switch, SwitchConfig, UnknownUnicast};
use crate::device::Device;
use crate::docker::backend::OsBackend;
use crate::docker::daemon::{Daemon, HostCtx, Images};
use crate::docker::linux::Linux;
use crate::docker::windows::{DaemonConfig, Windows};
use crate::engine::link::LinkParams;
use crate::engine::{Engine, Limits};
use crate::id::{NodeId, PortId};
use crate::rng::SimRng;
use crate::scenario::{
    split_services, FirewallAllowSpec, HostSpec, InterfaceSpec, PortModeSpec, RouteSpec,
    RouterKindSpec, ScenarioSpec, ServiceSpec, SpanningTreeSpec, SwitchKindSpec,
};
use crate::time::{SimDuration, SimTime};
use crate::topology::{NodeInfo, NodeKind};
use crate::wire::{MacAddr, IPPROTO_TCP, IPPROTO_UDP};
use ipnetwork::Ipv4Network;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

fn addr(s: &str) -> Result<Ipv4Addr, String> {
    s.parse().map_err(|_| format!("bad IPv4 address {s:?}"))
}

fn net(s: &str) -> Result<Ipv4Network, String> {
    s.parse().map_err(|_| format!("bad IPv4 prefix {s:?}"))
}

/// Hands out MACs for fabric interfaces: a vendor prefix and a counter.
struct MacSource {
    next: u32,
}

impl MacSource {
    fn next(&mut self, oui: [u8; 3]) -> MacAddr {
        self.next += 1;
        let n = self.next;
        MacAddr::new(
            oui[0],
            oui[1],
            oui[2],
            (n >> 16) as u8,
            (n >> 8) as u8,
            n as u8,
        )
    }
}

/// The bridge MAC of the `i`th switch of the fabric (a switch's own address, which only its
/// spanning tree uses): locally administered, numbered in the file's order, so that equal
/// priorities elect the switch listed first.
fn bridge_mac(i: usize) -> MacAddr {
    let n = i + 1;
    MacAddr::new(0x06, 0, 0, (n >> 16) as u8, (n >> 8) as u8, n as u8)
}

/// Locally administered MACs for routers and outside hosts; Microsoft's OUI for host NICs.
const LOCAL_OUI: [u8; 3] = [0x02, 0x00, 0x00];
const HOST_NIC_OUI: [u8; 3] = [0x00, 0x1d, 0xd8];

fn stack_with(
    name: &str,
    ttl: u8,
    ifaces: &[InterfaceSpec],
    macs: &mut MacSource,
    oui: [u8; 3],
) -> Result<(StackConfig, BTreeMap<String, PortId>), String> {
    let mut cfg = StackConfig::new(name, ttl);
    let mut ports = BTreeMap::new();
    for i in ifaces {
        cfg.ifaces_mut().push(Some(IfaceConfig::ethernet(
            i.name.clone(),
            macs.next(oui),
            Some(net(&i.address)?),
        )));
        ports.insert(i.name.clone(), PortId((cfg.ifaces().len() - 1) as u16));
    }
    cfg.services_mut().icmp_echo = true;
    Ok((cfg, ports))
}

fn add_routes(
    cfg: &mut StackConfig,
    gateway: Option<&String>,
    routes: &[RouteSpec],
) -> Result<(), String> {
    let add = |to: Ipv4Network, via: Ipv4Addr, cfg: &mut StackConfig| {
        let iface = cfg
            .ifaces()
            .iter()
            .position(|i| {
                i.as_ref()
                    .and_then(|i| i.addr)
                    .is_some_and(|a| a.contains(via))
            })
            .ok_or_else(|| format!("{}: next hop {via} is on no connected subnet", cfg.name))?;
        cfg.routes_mut().push(Route {
            dest: to,
            via: Some(via),
            iface: PortId(iface as u16),
        });
        Ok::<(), String>(())
    };
    if let Some(g) = gateway {
        add(
            Ipv4Network::new(Ipv4Addr::UNSPECIFIED, 0).expect("default route"),
            addr(g)?,
            cfg,
        )?;
    }
    for r in routes {
        add(net(&r.to)?, addr(&r.via)?, cfg)?;
    }
    Ok(())
}

/// Fabric nodes by name: the node and, for nodes with interfaces, their ports by name.
type NodeMap = BTreeMap<String, (NodeId, Option<BTreeMap<String, PortId>>)>;

/// The MAC of the NIC at link end `end` ("node.iface"), when that node is a container host.
fn vm_nic_mac(eng: &Engine, nodes: &NodeMap, end: &str) -> Option<MacAddr> {
    let (node, iface) = end.split_once('.')?;
    let (id, ifaces) = nodes.get(node)?;
    if eng.topology().node(*id)?.kind != NodeKind::WindowsHost {
        return None;
    }
    let port = ifaces.as_ref()?.get(iface)?;
    eng.device(*id)?.as_stack()?.iface(*port).map(|i| i.mac)
}

pub fn build(spec: &ScenarioSpec) -> Result<World, String> {
    build_recording(spec, false)
}

/// Builds the world with frame recording (`Engine::record_frames`) on from the start, so
/// that what the hosts send while they come up (a gratuitous ARP for a new host vNIC) is
/// recorded too.
pub fn build_recording(spec: &ScenarioSpec, record_frames: bool) -> Result<World, String> {
    let limits = Limits {
        max_events: spec.limits.max_events,
        max_time: SimTime(spec.limits.max_sim_time_ms.saturating_mul(1_000_000)),
        max_memory_bytes: spec.limits.max_memory_mb.saturating_mul(1 << 20),
        max_trace_hops: spec.limits.max_trace_hops,
        storm_copies: spec.limits.storm_copies,
    };
    let mut eng = Engine::new(spec.seed, limits);
    eng.record_frames(record_frames);
    let mut macs = MacSource { next: 0 };
    // node name -> (node, interface name -> port); switches have no interface map.
    let mut nodes: NodeMap = BTreeMap::new();
    let mut switch_kinds: BTreeMap<String, SwitchKindSpec> = BTreeMap::new();
    let mut spanning = SpanningTree::default();

    for (i, s) in spec.fabric.switches.iter().enumerate() {
        let mut cfg = SwitchConfig::new(s.name.clone(), true, UnknownUnicast::Flood);
        let kind = match s.kind {
            SwitchKindSpec::Physical => {
                cfg.filter_reason = Some(
                    "a physical switch does not send a frame back out of its ingress port".into(),
                );
                NodeKind::FabricSwitch
            }
            SwitchKindSpec::HyperV => NodeKind::HypervisorSwitch,
            SwitchKindSpec::AzureHost => {
                cfg.policy = Some((
                    format!("Azure SDN policy on the physical host ({})", s.name),
                    "network security group: allowed by the virtual network's rules".into(),
                ));
                NodeKind::HypervisorSwitch
            }
        };
        let id = eng.add_node(
            NodeInfo {
                name: s.name.clone(),
                kind,
                host: None,
            },
            Device::Switch(Box::new(Switch::new(cfg))),
        );
        if s.spanning_tree == SpanningTreeSpec::Rstp {
            let priority = s.bridge_priority.unwrap_or(stp::DEFAULT_PRIORITY);
            spanning.add_bridge(id, BridgeId::new(priority, bridge_mac(i)));
        }
        switch_kinds.insert(s.name.clone(), s.kind);
        nodes.insert(s.name.clone(), (id, None));
    }
    for r in &spec.fabric.routers {
        let (mut cfg, ports) = stack_with(&r.name, 255, &r.interfaces, &mut macs, LOCAL_OUI)?;
        tcpip::linux(&mut cfg);
        cfg.forwarding = true;
        add_routes(&mut cfg, None, &r.routes)?;
        let id = eng.add_node(
            NodeInfo {
                name: r.name.clone(),
                kind: match r.kind {
                    RouterKindSpec::Physical => NodeKind::Router,
                    RouterKindSpec::VnetGateway => NodeKind::VnetGateway,
                },
                host: None,
            },
            Device::Stack(Box::new(IpStack::new(cfg))),
        );
        nodes.insert(r.name.clone(), (id, Some(ports)));
    }
    for x in &spec.fabric.externals {
        let (mut cfg, ports) = stack_with(&x.name, 64, &x.interfaces, &mut macs, LOCAL_OUI)?;
        tcpip::linux(&mut cfg);
        add_routes(&mut cfg, x.gateway.as_ref(), &[])?;
        let (mut tcp, udp) = split_services(&x.services);
        if let Some(site) = &x.http {
            if !tcp.contains(&site.port) {
                tcp.push(site.port);
            }
        }
        cfg.services_mut().tcp = tcp;
        cfg.services_mut().udp_echo = udp;
        for (name, ip) in &x.dns_records {
            cfg.services_mut().dns_zone.push((name.clone(), addr(ip)?));
        }
        if let Some(d) = &x.dhcp_server {
            let start = addr(&d.pool_start)?;
            let prefix = cfg
                .ifaces()
                .iter()
                .flatten()
                .filter_map(|i| i.addr)
                .find(|a| a.contains(start))
                .map(|a| a.prefix())
                .ok_or_else(|| {
                    format!("{}: DHCP pool {start} is on no interface's subnet", x.name)
                })?;
            let mut server = DhcpServerConfig::new(start, addr(&d.pool_end)?, prefix);
            server.router = d.router.as_deref().map(addr).transpose()?;
            server.dns = d.dns.iter().map(|a| addr(a)).collect::<Result<_, _>>()?;
            cfg.services_mut().dhcp_server = Some(server);
        }
        let id = eng.add_node(
            NodeInfo {
                name: x.name.clone(),
                kind: NodeKind::External,
                host: None,
            },
            Device::Stack(Box::new(IpStack::new(cfg))),
        );
        nodes.insert(x.name.clone(), (id, Some(ports)));
    }
    let mut host_parts = Vec::new();
    for h in &spec.fabric.hosts {
        let (id, ports, prefixes) = match h.os {
            HostOs::Windows(_) => windows_host(&mut eng, h, &mut macs)?,
            HostOs::Linux { .. } => linux_host(&mut eng, h, &mut macs)?,
        };
        let physical: Vec<PortId> = ports.values().copied().collect();
        nodes.insert(h.name.clone(), (id, Some(ports)));
        host_parts.push((h, id, physical, prefixes));
    }

    for l in &spec.fabric.links {
        let name = l
            .name
            .clone()
            .unwrap_or_else(|| format!("{}<->{}", l.a, l.b));
        let mut ends = Vec::new();
        for (end, other) in [(&l.a, &l.b), (&l.b, &l.a)] {
            let (node_name, iface) = match end.split_once('.') {
                Some((n, i)) => (n, Some(i)),
                None => (end.as_str(), None),
            };
            let (node, ifaces) = nodes
                .get(node_name)
                .ok_or_else(|| format!("link {name}: no node {node_name:?}"))?;
            let port = match (ifaces, iface) {
                (Some(ifaces), Some(i)) => *ifaces
                    .get(i)
                    .ok_or_else(|| format!("link {name}: {node_name} has no interface {i:?}"))?,
                (None, None) => {
                    let mode = match &l.switch_port {
                        Some(PortModeSpec::Access(v)) => PortMode::Access(*v),
                        Some(PortModeSpec::Trunk(vs)) => PortMode::Trunk {
                            native: 1,
                            allowed: vs.clone(),
                        },
                        None => PortMode::Access(1),
                    };
                    // A VM host's port on its hypervisor's switch: MAC spoofing off means
                    // only the VM NIC's own MAC may send; the Azure host hair-pins.
                    let kind = switch_kinds.get(node_name).copied().unwrap_or_default();
                    let vm_nic_mac = (kind != SwitchKindSpec::Physical)
                        .then(|| vm_nic_mac(&eng, &nodes, other))
                        .flatten();
                    let sw = eng
                        .device_mut(*node)
                        .and_then(Device::as_switch_mut)
                        .expect("switch nodes hold switches");
                    let port = sw.add_port(other.clone(), mode);
                    if let (Some(mac), Some(mut p)) = (vm_nic_mac, sw.port_mut(port)) {
                        let spoofing =
                            kind == SwitchKindSpec::HyperV && l.mac_spoofing == Some(true);
                        if !spoofing {
                            p.allowed_src = Some(mac);
                        }
                        p.reflect = kind == SwitchKindSpec::AzureHost;
                    }
                    port
                }
                _ => {
                    return Err(format!(
                        "link {name}: end {end:?} must be a switch or node.interface"
                    ))
                }
            };
            ends.push((*node, port));
        }
        let params = LinkParams {
            latency: SimDuration::from_micros(l.latency_us),
            rate_bps: l.bandwidth_mbps.saturating_mul(1_000_000),
            loss: (l.loss_percent / 100.0).clamp(0.0, 1.0),
            queue_limit_bytes: 512 * 1024,
        };
        let link = eng.connect(name, ends[0], ends[1], params, false);
        spanning.set_cost(link, stp::path_cost(l.bandwidth_mbps));
    }
    spanning.converge(&mut eng);

    let images: Images = spec
        .images
        .iter()
        .map(|i| (i.name.clone(), split_services(&i.services)))
        .collect();
    let mut world = World::new(
        eng,
        images,
        SimDuration::from_millis(spec.limits.probe_timeout_ms),
    );
    for i in &spec.images {
        let fs = crate::shell::busybox::ImageFs {
            workdir: i.workdir.clone().unwrap_or_else(|| "/".into()),
            files: i.files.clone(),
        };
        world.busybox.images.insert(i.name.clone(), fs);
    }
    for x in &spec.fabric.externals {
        if let (Some(site), Some((node, _))) = (&x.http, nodes.get(&x.name)) {
            world
                .busybox
                .sites
                .insert(*node, crate::shell::busybox::Site::from(site));
        }
    }
    for (h, node, physical, prefixes) in host_parts {
        let nodes = HostNodes {
            host: h.name.clone(),
            stack: node,
            physical,
        };
        let backend: Box<dyn OsBackend> = match h.os {
            HostOs::Windows(version) => {
                let hns = Hns::new(
                    version,
                    SimRng::derive(spec.seed, &format!("hns:{}", h.name)),
                );
                let config = DaemonConfig {
                    fixed_cidr: h.daemon.fixed_cidr.as_deref().map(net).transpose()?,
                    bridge_none: h.daemon.bridge.as_deref() == Some("none"),
                    dns: addrs(&h.daemon.dns)?,
                    host_dns: addrs(&h.dns_servers)?,
                    host_prefixes: prefixes,
                };
                Box::new(Windows::new(hns, config))
            }
            HostOs::Linux { engine } => {
                let mut ln = Libnetwork::new(
                    engine,
                    linux_daemon_config(h)?,
                    SimRng::derive(spec.seed, &format!("libnetwork:{}", h.name)),
                );
                // A dynamic subnet avoids the host's routes and nameservers.
                ln.reserved = prefixes;
                let resolv = addrs(&h.dns_servers)?;
                ln.reserved.extend(
                    resolv
                        .iter()
                        .map(|a| Ipv4Network::new(*a, 32).expect("a /32")),
                );
                Box::new(Linux::new(ln, resolv).with_dns_rng(SimRng::derive(
                    spec.seed,
                    &format!("embedded-dns:{}", h.name),
                )))
            }
        };
        let daemon = Daemon::new(
            backend,
            SimRng::derive(spec.seed, &format!("docker:{}", h.name)),
        );
        let mut host = Host {
            name: h.name.clone(),
            os: h.os,
            nodes,
            daemon,
            daemon_error: None,
        };
        let mut ctx = HostCtx {
            eng: &mut world.engine,
            nodes: &host.nodes,
            images: &world.images,
            swarm: &mut world.swarm,
        };
        host.daemon_error = host.daemon.start(&mut ctx).err();
        world.hosts.push(host);
    }
    world.fabric = nodes.into_iter().map(|(k, (id, _))| (k, id)).collect();
    world.spanning_tree = spanning;
    Ok(world)
}

fn addrs(list: &[String]) -> Result<Vec<Ipv4Addr>, String> {
    list.iter().map(|d| addr(d)).collect()
}

/// The ports of a host's NICs by name, its node, and the prefixes its NICs use.
type HostParts = (NodeId, BTreeMap<String, PortId>, Vec<Ipv4Network>);

/// A Windows host's own stack: TTL 128, Windows' ARP and reassembly numbers, forwarding as
/// HNS allows it, WinNAT's session table, and its Windows Defender Firewall.
fn windows_host(eng: &mut Engine, h: &HostSpec, macs: &mut MacSource) -> Result<HostParts, String> {
    let (mut cfg, ports) = stack_with(&h.name, 128, &h.nics, macs, HOST_NIC_OUI)?;
    tcpip::windows(&mut cfg);
    add_routes(&mut cfg, h.gateway.as_ref(), &h.routes)?;
    // A Windows host routes only what HNS allows (`policy::init_host`), and its NAT
    // tables keep WinNAT's sessions.
    cfg.forwarding = true;
    cfg.conntrack = policy::winnat_profile();
    let (tcp, udp) = split_services(&h.services);
    cfg.services_mut().tcp = tcp;
    cfg.services_mut().udp_echo = udp;
    cfg.dns_servers = addrs(&h.dns_servers)?;
    let prefixes: Vec<Ipv4Network> = cfg
        .ifaces()
        .iter()
        .flatten()
        .filter_map(|i| i.addr)
        .collect();
    let id = eng.add_node(
        NodeInfo {
            name: h.name.clone(),
            kind: NodeKind::WindowsHost,
            host: Some(h.name.clone()),
        },
        Device::Stack(Box::new({
            let mut stack = IpStack::new(cfg);
            policy::init_host(&mut stack.rules);
            if h.firewall.enabled {
                policy::host_firewall(&mut stack.rules, &h.name, &host_allows(h));
            }
            stack
        })),
    );
    Ok((id, ports, prefixes))
}

/// A Linux host's root namespace: TTL 64, the kernel's ARP and reassembly numbers, the
/// connection table of nf_conntrack, forwarding as `net.ipv4.ip_forward` says at boot
/// (dockerd turns it on later), and no rules until dockerd programs them.
fn linux_host(eng: &mut Engine, h: &HostSpec, macs: &mut MacSource) -> Result<HostParts, String> {
    let (mut cfg, ports) = stack_with(&h.name, 64, &h.nics, macs, LOCAL_OUI)?;
    tcpip::linux(&mut cfg);
    add_routes(&mut cfg, h.gateway.as_ref(), &h.routes)?;
    cfg.forwarding = h
        .sysctls
        .iter()
        .any(|(k, v)| k == "net.ipv4.ip_forward" && v == "1");
    let (tcp, udp) = split_services(&h.services);
    cfg.services_mut().tcp = tcp;
    cfg.services_mut().udp_echo = udp;
    cfg.dns_servers = addrs(&h.dns_servers)?;
    // What the dynamic subnet choice must avoid: the host's on-link routes (v23+).
    let prefixes: Vec<Ipv4Network> = cfg
        .ifaces()
        .iter()
        .flatten()
        .filter_map(|i| i.addr)
        .map(|a| Ipv4Network::new(a.network(), a.prefix()).expect("a prefix"))
        .collect();
    let id = eng.add_node(
        NodeInfo {
            name: h.name.clone(),
            kind: NodeKind::LinuxHost,
            host: Some(h.name.clone()),
        },
        Device::Stack(Box::new(IpStack::new(cfg))),
    );
    Ok((id, ports, prefixes))
}

/// daemon.json of a Linux host, with dockerd's defaults for what it leaves out.
fn linux_daemon_config(h: &HostSpec) -> Result<LinuxDaemonConfig, String> {
    let d = &h.daemon;
    let default_address_pools = if d.default_address_pools.is_empty() {
        None
    } else {
        Some(
            d.default_address_pools
                .iter()
                .map(|(base, size)| {
                    Ok(Pool {
                        base: net(base)?,
                        size: *size,
                    })
                })
                .collect::<Result<_, String>>()?,
        )
    };
    let c = LinuxDaemonConfig {
        bip: d
            .bip
            .as_deref()
            .map(|b| b.parse().map_err(|_| format!("{}: bad bip {b:?}", h.name)))
            .transpose()?,
        fixed_cidr: d.fixed_cidr.as_deref().map(net).transpose()?,
        default_address_pools,
        bridge_none: d.bridge.as_deref() == Some("none"),
        icc: d.icc.unwrap_or(true),
        ip_masq: d.ip_masq.unwrap_or(true),
        iptables: d.iptables.unwrap_or(true),
        ip_forward: d.ip_forward.unwrap_or(true),
        userland_proxy: d.userland_proxy.unwrap_or(true),
        mtu: d.mtu.unwrap_or(1500),
        dns: addrs(&d.dns)?,
    };
    Ok(c)
}

/// The inbound allow rules of a host's firewall: one for each of its services (what their
/// installers add), then the scenario's own.
fn host_allows(h: &HostSpec) -> Vec<policy::HostAllow> {
    let services = h.services.iter().map(|s| match s {
        ServiceSpec::Tcp(p) => policy::host_service_allow(IPPROTO_TCP, *p),
        ServiceSpec::Udp(p) => policy::host_service_allow(IPPROTO_UDP, *p),
    });
    let admin = h.firewall.allow.iter().map(|a| match a {
        FirewallAllowSpec::Icmp => policy::echo_request_allow(),
        FirewallAllowSpec::Tcp(p) => policy::admin_allow(IPPROTO_TCP, *p),
        FirewallAllowSpec::Udp(p) => policy::admin_allow(IPPROTO_UDP, *p),
    });
    services.chain(admin).collect()
}
