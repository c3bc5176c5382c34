//! `hnsim run --config`: what the control plane compiled, written for a reader.
//!
//! First, per host, the HNS networks and endpoints. Then every device, in topology order:
//! an IP stack's interfaces, routes, forwarding, DNS servers and services; a switch's ports,
//! pinned MACs, unknown-unicast behaviour, team and port policies; and for both the
//! connection-tracking profile, the ruleset (`iptables-save -c` style, through
//! `rules::render`, with the device's own interface and port names) and the connections
//! still tracked when the run ended (`conntrack -L` style). These are exactly the data the
//! generic devices forward by. Empty parts are left out, and everything is printed from
//! `Vec`s in their order, so the output is deterministic.

use super::world::{Host, World};
use crate::control::hns::{HnsEndpoint, HnsNetwork, Isolation};
use crate::device::conntrack::{Conntrack, Filtering, PortScope, Profile};
use crate::device::rules::render::{self, proto_name, quoted};
use crate::device::rules::{Policy, Ruleset, Table};
use crate::device::stack::{DhcpStatus, IpStack, Services};
use crate::device::switch::{PortMode, Switch, UnknownUnicast};
use crate::device::Device;
use crate::id::{NodeId, PortId};
use crate::time::{SimDuration, SimTime};
use crate::topology::Topology;
use crate::wire::{FlowKey, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};
use ipnetwork::Ipv4Network;
use std::fmt::Write;
use std::net::Ipv4Addr;

/// Connections listed per device; the rest are counted.
const MAX_CONNECTIONS: usize = 24;

pub fn dump(world: &World) -> String {
    let mut out = String::new();
    let topo = world.engine.topology();
    for h in &world.hosts {
        host(&mut out, h, topo);
        out.push('\n');
    }
    let now = world.engine.now();
    for (id, info) in topo.nodes() {
        match world.engine.device(id) {
            Some(Device::Stack(s)) => {
                let _ = writeln!(out, "device {} ({:?}): IP stack", info.name, info.kind);
                stack(&mut out, s, now);
            }
            Some(Device::Switch(s)) => {
                let _ = writeln!(out, "device {} ({:?}): switch", info.name, info.kind);
                switch(&mut out, s, now);
            }
            None => continue,
        }
        out.push('\n');
    }
    // The report puts a blank line before what follows.
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

// ----- HNS objects -----

fn host(out: &mut String, h: &Host, topo: &Topology) {
    let _ = writeln!(out, "host {} ({}):", h.name, h.os);
    let node_name = |id: NodeId| topo.name(id).unwrap_or("(removed)").to_string();
    let Some(hns) = h.hns() else {
        return;
    };
    for n in &hns.networks {
        network(out, n, &node_name(n.vswitch));
    }
    for e in &hns.endpoints {
        let net = hns
            .networks
            .iter()
            .find(|n| n.id == e.network_id)
            .map_or("(gone)", |n| n.name.as_str());
        endpoint(out, e, net, &node_name(e.compartment));
    }
}

fn network(out: &mut String, n: &HnsNetwork, vswitch: &str) {
    let _ = writeln!(
        out,
        "  network {} ({}) id {} on vSwitch {}",
        n.name, n.kind, n.id, vswitch
    );
    let mut facts = vec![format!(
        "subnet {} gateway {}",
        n.pool.subnet, n.pool.gateway
    )];
    if n.dhcp {
        facts.push("endpoints by DHCP".into());
    }
    if let Some(v) = n.vlan {
        facts.push(format!("vlan {v}"));
    }
    facts.push(format!("host vNIC MAC {}", n.host_vnic_mac));
    if n.ty.winnat() {
        facts.push(format!("WinNAT {}", n.nat_name));
    }
    let _ = writeln!(out, "    {}", facts.join(", "));
    if !n.dns_servers.is_empty() {
        let _ = writeln!(out, "    dns servers {}", list(&n.dns_servers));
    }
    if let Some(except) = &n.outbound_nat {
        let _ = writeln!(out, "    OutboundNAT, exceptions {}", list(except));
    }
    if let Some(vni) = n.vni {
        let pa = n
            .provider_address
            .map(|a| format!(", provider address {a}"))
            .unwrap_or_default();
        let _ = writeln!(out, "    VXLAN VNI {vni}{pa}");
    }
    for s in &n.more_subnets {
        let _ = writeln!(
            out,
            "    subnet {} gateway {}, VXLAN VNI {}, VTEP MAC {}",
            s.pool.subnet, s.pool.gateway, s.vni, s.vtep_mac
        );
    }
}

fn endpoint(out: &mut String, e: &HnsEndpoint, network: &str, compartment: &str) {
    let _ = writeln!(
        out,
        "  endpoint {} id {} on {network}, in {compartment} ({})",
        e.name,
        e.id,
        match e.isolation {
            Isolation::Process => "process isolation",
            Isolation::HyperV => "Hyper-V isolation",
        }
    );
    let mut facts = vec![
        format!("{}/{} gateway {}", e.ip, e.prefix, e.gateway),
        format!("MAC {}", e.mac),
    ];
    if !e.dns_servers.is_empty() {
        facts.push(format!("dns servers {}", list(&e.dns_servers)));
    }
    if e.enable_internal_dns {
        facts.push("internal DNS".into());
    }
    let _ = writeln!(out, "    {}", facts.join(", "));
    if !e.port_mappings.is_empty() {
        let maps: Vec<String> = e
            .port_mappings
            .iter()
            .map(|m| {
                format!(
                    "{}/{} -> {}",
                    m.host_port,
                    proto_name(m.proto),
                    m.container_port
                )
            })
            .collect();
        let _ = writeln!(out, "    port mappings {}", maps.join(", "));
    }
}

// ----- devices -----

fn stack(out: &mut String, s: &IpStack, now: SimTime) {
    let cfg = &s.config;
    let name = |p: PortId| s.iface_name(p);
    let mut rows = Vec::new();
    let mut peers = Vec::new();
    for (i, iface) in cfg.ifaces().iter().enumerate() {
        let Some(iface) = iface else { continue };
        let port = PortId(i as u16);
        let addr = match iface.addr {
            Some(a) => a.to_string(),
            None if cfg.dhcp_client.contains(&port) => "(DHCP, no lease)".into(),
            None => "-".into(),
        };
        let mut extra = format!("mtu {}", iface.mtu);
        if cfg.dhcp_client.contains(&port) && iface.addr.is_some() {
            extra.push_str(match s.dhcp_status(port) {
                Some(DhcpStatus::LinkLocal(_)) => ", link-local: no DHCP lease",
                _ => ", by DHCP",
            });
        }
        if let Some(v) = &iface.vxlan {
            let _ = write!(extra, ", VXLAN VNI {} from {}", v.vni, v.local);
            for p in &v.peers {
                peers.push(vec![
                    format!("  peer {}", p.ip),
                    p.mac.to_string(),
                    format!("via {}", p.pa),
                ]);
            }
        }
        rows.push(vec![iface.name.clone(), iface.mac.to_string(), addr, extra]);
        // A VTEP's peers go right under it.
        rows.append(&mut peers);
    }
    if !rows.is_empty() {
        out.push_str("  interfaces:\n");
        aligned(out, "    ", &rows);
    }
    let mut routes = Vec::new();
    for (i, iface) in cfg.ifaces().iter().enumerate() {
        if let Some(a) = iface.as_ref().and_then(|i| i.addr) {
            let net = Ipv4Network::new(a.network(), a.prefix()).unwrap_or(a);
            let dev = quoted(&name(PortId(i as u16)));
            routes.push(format!("{net} dev {dev} src {}", a.ip()));
        }
    }
    for r in cfg.routes() {
        let dest = if r.dest.prefix() == 0 {
            "default".to_string()
        } else {
            r.dest.to_string()
        };
        let via = r.via.map(|v| format!(" via {v}")).unwrap_or_default();
        routes.push(format!("{dest}{via} dev {}", quoted(&name(r.iface))));
    }
    if !routes.is_empty() {
        out.push_str("  routes:\n");
        for r in routes {
            let _ = writeln!(out, "    {r}");
        }
    }
    let _ = writeln!(
        out,
        "  forwarding {}, ttl {}{}",
        if cfg.forwarding { "on" } else { "off" },
        cfg.default_ttl(),
        if cfg.icmp_errors {
            ""
        } else {
            ", no ICMP errors"
        }
    );
    if !cfg.dns_servers.is_empty() {
        let _ = writeln!(out, "  dns servers {}", list(&cfg.dns_servers));
    }
    if !cfg.hosts.is_empty() {
        let _ = writeln!(out, "  hosts {}", records(&cfg.hosts));
    }
    services(out, cfg.services());
    rules(out, &s.rules, s.conntrack(), now, &name);
}

fn services(out: &mut String, sv: &Services) {
    let mut items = Vec::new();
    if sv.icmp_echo {
        items.push("icmp echo".to_string());
    }
    if !sv.tcp.is_empty() {
        items.push(format!("tcp {}", list(&sv.tcp)));
    }
    if !sv.udp_echo.is_empty() {
        items.push(format!("udp echo {}", list(&sv.udp_echo)));
    }
    if !items.is_empty() {
        let _ = writeln!(out, "  services: {}", items.join(", "));
    }
    if !sv.dns_zone.is_empty() {
        let _ = writeln!(out, "  dns server, records {}", records(&sv.dns_zone));
    }
    for d in &sv.embedded_dns {
        let mut line = format!("  {} on {}", d.name, d.bind);
        if !d.records.is_empty() {
            let _ = write!(line, ", records {}", records(&d.records));
        }
        if !d.upstreams.is_empty() {
            let _ = write!(line, ", forwards to {}", list(&d.upstreams));
        }
        let _ = writeln!(out, "{line}");
    }
    if let Some(r) = &sv.local_resolver {
        let mut line = format!(
            "  {} on {} (udp {}, tcp {})",
            r.name, r.bind, r.udp_port, r.tcp_port
        );
        let tables: Vec<String> = r
            .tables
            .iter()
            .map(|t| format!("{} ({} names)", t.suffix, t.names.with(|n| n.len())))
            .collect();
        if !tables.is_empty() {
            let _ = write!(line, ", tables {}", tables.join(", "));
        }
        if !r.private.is_empty() {
            let _ = write!(line, ", private {}", records(&r.private));
        }
        if !r.upstreams.is_empty() {
            let verb = if r.forward_unknown {
                "forwards to"
            } else {
                "does not forward to"
            };
            let _ = write!(line, ", {verb} {}", list(&r.upstreams));
        }
        let _ = writeln!(out, "{line}");
    }
    if let Some(d) = &sv.dhcp_server {
        let mut line = format!("  dhcp server {}-{}/{}", d.pool_start, d.pool_end, d.prefix);
        if let Some(r) = d.router {
            let _ = write!(line, " router {r}");
        }
        if !d.dns.is_empty() {
            let _ = write!(line, " dns {}", list(&d.dns));
        }
        let _ = writeln!(out, "{line}, leases {}s", d.lease_secs);
    }
}

fn switch(out: &mut String, s: &Switch, now: SimTime) {
    let cfg = &s.config;
    let name = |p: PortId| s.port_name(p);
    let unknown = match &cfg.unknown_unicast {
        UnknownUnicast::Flood => "flooded".to_string(),
        UnknownUnicast::Drop => "dropped".to_string(),
        UnknownUnicast::ToPort(p) => format!("sent to {}", name(*p)),
    };
    let _ = writeln!(
        out,
        "  {}, unknown unicast {unknown}",
        if cfg.learning {
            "learns MACs"
        } else {
            "learns no MACs"
        }
    );
    let mut rows = Vec::new();
    for (i, port) in cfg.ports().iter().enumerate() {
        let Some(port) = port else { continue };
        let id = PortId(i as u16);
        let (mode, untagged) = match &port.mode {
            PortMode::Access(v) => (format!("access {v}"), *v),
            PortMode::Trunk { native, allowed } if allowed.is_empty() => {
                (format!("trunk native {native}"), *native)
            }
            PortMode::Trunk { native, allowed } => (
                format!("trunk native {native} allowed {}", list(allowed)),
                *native,
            ),
        };
        let mut notes = Vec::new();
        let pinned: Vec<String> = cfg
            .static_macs
            .iter()
            .filter(|(_, _, p)| *p == id)
            .map(|(mac, vlan, _)| {
                if *vlan == untagged {
                    mac.to_string()
                } else {
                    format!("{mac} (vlan {vlan})")
                }
            })
            .collect();
        if !pinned.is_empty() {
            notes.push(format!("pinned {}", pinned.join(" ")));
        }
        if let Some(mac) = port.allowed_src {
            notes.push(format!("only source MAC {mac}"));
        }
        if port.reflect {
            notes.push("reflective relay".into());
        }
        if let Some(role) = cfg.spanning_tree.as_ref().and_then(|st| st.role(id)) {
            let state = if role.forwards() {
                "forwarding"
            } else {
                "discarding"
            };
            notes.push(format!("spanning tree: {} port, {state}", role.name()));
        }
        rows.push(vec![port.name.clone(), mode, notes.join(", ")]);
    }
    if !rows.is_empty() {
        out.push_str("  ports:\n");
        aligned(out, "    ", &rows);
    }
    if let Some(st) = &cfg.spanning_tree {
        let root = if st.root == st.bridge {
            "it is the root bridge".to_string()
        } else {
            format!("root bridge {}, path cost {}", st.root, st.root_cost)
        };
        let _ = writeln!(out, "  spanning tree (RSTP): bridge {}, {root}", st.bridge);
    }
    if let Some(t) = &cfg.team {
        let members: Vec<String> = t.members.iter().map(|p| name(*p)).collect();
        let _ = writeln!(out, "  team {}: {}", t.name, members.join(", "));
    }
    if let Some((layer, rule)) = &cfg.policy {
        let _ = writeln!(out, "  {layer} admits every IPv4 frame: {rule}");
    }
    if let Some(why) = &cfg.filter_reason {
        let _ = writeln!(out, "  filters frames back to their own port: {why}");
    }
    if let Some(pp) = cfg.port_policy.as_ref().filter(|p| !p.endpoints.is_empty()) {
        let _ = writeln!(
            out,
            "  port policy {} on uplink port {}, host MAC {}",
            pp.name,
            quoted(&name(pp.uplink)),
            pp.host_mac
        );
        let rows: Vec<Vec<String>> = pp
            .endpoints
            .iter()
            .map(|e| {
                let mut what = Vec::new();
                if e.mac_rewrite {
                    what.push("MAC rewrite".to_string());
                }
                if let Some(why) = &e.to_uplink {
                    what.push(format!("to the uplink ({why})"));
                }
                vec![
                    name(e.port),
                    e.mac.to_string(),
                    e.ip.to_string(),
                    format!("vlan {}", e.vlan),
                    what.join(", "),
                ]
            })
            .collect();
        aligned(out, "    ", &rows);
    }
    if let Some(f) = &s.filter {
        rules(out, &f.rules, &f.ct, now, &name);
    }
}

// ----- rules and connection tracking -----

/// The conntrack profile (if any rule needs tracking), the ruleset, and the live connections.
fn rules(
    out: &mut String,
    rs: &Ruleset,
    ct: &Conntrack,
    now: SimTime,
    name: &dyn Fn(PortId) -> String,
) {
    if rs.tracks_anything() {
        let _ = writeln!(out, "  conntrack: {}", profile(ct.profile()));
    }
    // A table with no rules and accepting policies decides nothing: left out.
    let decides = |t: &&Table| {
        t.chains
            .iter()
            .any(|c| !c.rules.is_empty() || c.hook.is_some() && c.policy != Policy::Accept)
    };
    let tables: String = (0..rs.tables().len())
        .filter(|ti| decides(&&rs.tables()[*ti]))
        .map(|ti| render::table(rs, ti, name))
        .collect();
    if !tables.is_empty() {
        out.push_str("  rules:\n");
        for line in tables.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    connections(out, ct, now);
}

/// A profile in words, e.g. `address-dependent filtering, ports 1024-65535 kept when free,
/// one session per outside port, timeouts icmp 30s udp 120s/120s tcp 120s/1800s other 120s,
/// at most 65536 connections`.
fn profile(p: &Profile) -> String {
    let filtering = match p.filtering {
        Filtering::EndpointDependent => "endpoint-dependent filtering",
        Filtering::AddressDependent => "address-dependent filtering",
    };
    let (lo, hi) = p.ports.range;
    let kept = if p.ports.preserve {
        " kept when free"
    } else {
        ""
    };
    let scope = match p.ports.scope {
        PortScope::PerOutsideAddress => "one session per outside port",
        PortScope::PerTuple => "outside ports shared between remote ends",
    };
    let t = &p.timeouts;
    format!(
        "{filtering}, ports {lo}-{hi}{kept}, {scope}, timeouts icmp {} udp {}/{} tcp {}/{} other {}, at most {} connections",
        secs(t.icmp),
        secs(t.udp_unreplied),
        secs(t.udp_replied),
        secs(t.tcp_unreplied),
        secs(t.tcp_replied),
        secs(t.other),
        p.max_entries
    )
}

fn secs(d: SimDuration) -> String {
    let ns = d.as_nanos();
    if ns.is_multiple_of(1_000_000_000) {
        format!("{}s", ns / 1_000_000_000)
    } else {
        d.to_string()
    }
}

/// The connections that have not expired at `now`, `conntrack -L` style: protocol, number,
/// seconds left, the original tuple, `[UNREPLIED]`, the reply tuple (translations show as
/// the difference between the two), `[ASSURED]`.
fn connections(out: &mut String, ct: &Conntrack, now: SimTime) {
    let live: Vec<String> = ct
        .entries()
        .filter(|(_, c)| c.confirmed)
        .filter_map(|(_, c)| {
            let idle = now.since(c.last_used);
            let timeout = ct.timeout(c);
            (idle <= timeout).then(|| {
                let left = (timeout.as_nanos() - idle.as_nanos()) / 1_000_000_000;
                let p = c.orig.proto;
                let mut line = format!("{:<4} {p} {left} {}", proto_name(p), tuple(&c.orig, true));
                if !c.seen_reply {
                    line.push_str(" [UNREPLIED]");
                }
                let _ = write!(line, " {}", tuple(&c.reply, false));
                if c.seen_reply {
                    line.push_str(" [ASSURED]");
                }
                line
            })
        })
        .collect();
    if live.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  connections at the end (conntrack -L): {}",
        live.len()
    );
    for l in live.iter().take(MAX_CONNECTIONS) {
        let _ = writeln!(out, "    {l}");
    }
    if live.len() > MAX_CONNECTIONS {
        let _ = writeln!(out, "    ... and {} more", live.len() - MAX_CONNECTIONS);
    }
}

/// One direction of a connection. An ICMP query is tracked with its identifier as the
/// source "port" of the original direction and the destination "port" of the reply.
fn tuple(k: &FlowKey, original: bool) -> String {
    match k.proto {
        IPPROTO_TCP | IPPROTO_UDP => format!(
            "src={} dst={} sport={} dport={}",
            k.src, k.dst, k.sport, k.dport
        ),
        IPPROTO_ICMP => format!(
            "src={} dst={} id={}",
            k.src,
            k.dst,
            if original { k.sport } else { k.dport }
        ),
        _ => format!("src={} dst={}", k.src, k.dst),
    }
}

// ----- text helpers -----

fn list<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn records(records: &[(String, Ipv4Addr)]) -> String {
    records
        .iter()
        .map(|(n, a)| format!("{n}={a}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Rows as columns padded to their widest cell, two spaces apart, with no trailing spaces.
fn aligned(out: &mut String, indent: &str, rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = Vec::new();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            let w = cell.chars().count();
            match widths.get_mut(i) {
                Some(m) => *m = (*m).max(w),
                None => widths.push(w),
            }
        }
    }
    for r in rows {
        let mut line = indent.to_string();
        for (i, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < r.len() {
                let pad = widths[i] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}
