//! Published ports on Linux: the order the daemon handles a container's bindings in, the
//! port allocator, the implicit IPv6 binding, and what refuses a host port (reference
//! linux-drivers.md section 5.3; 20.10 as recorded in `tests/oracle/fixtures/publish.json`).
//!
//! * Order: moby sorts the container's ports with go-connections' `SortPortMap` before it
//!   hands them to libnetwork (`daemon/network.go` `buildPortsRelatedCreateEndpointOptions`),
//!   whose `Less` puts a larger host port first, then a larger container port, then tcp;
//!   Go's `sort.Sort` on these few elements is an insertion sort, reproduced here with the
//!   same comparisons. So `-p 8080-8082:80-82` maps 82, 81, 80 in that order (the nat
//!   `DOCKER` rules are appended in it), and `-P --expose 80 --expose 81` gives 81 the first
//!   ephemeral port.
//! * Allocator: moby's `portallocator`, one map per host IP (as written: `0.0.0.0`, `::`,
//!   `127.0.0.1` are distinct) and protocol; a fixed port taken in that map is
//!   `Bind for <ip>:<port> failed: port is already allocated`; a range or no port takes the
//!   next free one after the last one the range gave (none left: `all ports are allocated`) (the ephemeral range is 32768–60999,
//!   `ip_local_port_range`). Ports go back when the container stops; `last` stays.
//! * IPv6: a binding with no host IP (default `host_binding_ipv4` 0.0.0.0) gets a second
//!   one on `::` (`port_mapping.go` `validatePortBindingIPv6`); 20.10 allocates it in the
//!   `::` map on its own, v27+ give it the IPv4 binding's port (`needSamePort`).
//! * The proxy's bind (or, without the proxy, the daemon's own): a host port some other
//!   socket of the host holds (a host-network server, another container's docker-proxy on
//!   an overlapping address) is refused in each release's words (oracle README
//!   contradiction #14).

use super::Linux;
use crate::control::engine::DockerEngine;
use crate::control::libnetwork::PortMap;
use crate::docker::store::{Container, PortBinding};
use crate::wire;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The kernel's ephemeral port range (`net.ipv4.ip_local_port_range`, 32768 60999), which
/// the port allocator takes host ports from when none is given.
pub const EPHEMERAL: (u16, u16) = (32768, 60999);

/// One host IP's ports of one protocol (moby's `portMap`).
#[derive(Debug, Default, Clone)]
struct PortMapState {
    used: std::collections::BTreeSet<u16>,
    /// Per range asked for, the port it gave last (the next search starts after it).
    last: BTreeMap<(u16, u16), u16>,
}

/// moby's port allocator: the host ports docker holds, per host IP and protocol.
#[derive(Debug, Default, Clone)]
pub struct PortAllocator {
    maps: BTreeMap<(IpAddr, u8), PortMapState>,
}

impl PortAllocator {
    /// A port of `start..=end` for `ip`: the one asked for, or the next free one.
    fn request(&mut self, ip: IpAddr, proto: u8, (start, end): (u16, u16)) -> Result<u16, String> {
        let map = self.maps.entry((ip, proto)).or_default();
        if start == end && start != 0 {
            if !map.used.insert(start) {
                return Err(format!(
                    "Bind for {}:{start} failed: port is already allocated",
                    go_ip(ip)
                ));
            }
            return Ok(start);
        }
        let (start, end) = if start == 0 { EPHEMERAL } else { (start, end) };
        let last = map.last.get(&(start, end)).copied().unwrap_or(end);
        let span = u32::from(end - start) + 1;
        let mut port = last;
        for _ in 0..span {
            port = if port >= end { start } else { port + 1 };
            if map.used.insert(port) {
                map.last.insert((start, end), port);
                return Ok(port);
            }
        }
        // `ErrAllPortsAllocated` (portallocator.go), for a range as for the ephemeral
        // ports (oracle errors/port-range-exhausted).
        Err("all ports are allocated".to_string())
    }

    /// A fixed port for `ip` (the IPv6 twin of a binding on v27+).
    fn take(&mut self, ip: IpAddr, proto: u8, port: u16) -> Result<u16, String> {
        self.request(ip, proto, (port, port))
    }

    /// Gives `maps`' host ports back.
    pub fn release(&mut self, maps: &[PortMap]) {
        for m in maps {
            if let Some(map) = self.maps.get_mut(&(m.host_ip, m.proto)) {
                map.used.remove(&m.host_port);
            }
        }
    }
}

/// An address as Go prints it (`::` for the IPv6 any address).
fn go_ip(ip: IpAddr) -> String {
    ip.to_string()
}

/// go-connections' `portMapSorter.Less`: a larger host port first, then a larger container
/// port, then tcp before the others. Not a strict order; only `insertion_sort` uses it.
fn less(a: &PortBinding, b: &PortBinding) -> bool {
    let host = |p: &PortBinding| p.host.map_or(0, |(s, _)| s);
    host(a) > host(b)
        || a.container > b.container
        || (a.container == b.container && a.proto == "tcp")
}

/// Go's `insertionSort` (what `sort.Sort` runs on fewer than 13 elements), so that the
/// non-strict `less` gives Go's order.
fn insertion_sort(v: &mut [PortBinding]) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && less(&v[j], &v[j - 1]) {
            v.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// The container's bindings in the order moby hands them to libnetwork: by container port
/// (its `ExposedPorts` map's order, which `SortPortMap` makes its own), each port's
/// bindings in the order `SortPortMap` left them.
pub fn sorted_bindings(bindings: &[PortBinding]) -> Vec<PortBinding> {
    let mut entries = bindings.to_vec();
    if entries.len() <= 12 {
        insertion_sort(&mut entries);
    } else {
        // More than Go's insertion-sort cut-off: pdqsort's order is not reproduced; a
        // stable sort by the same keys is close.
        entries.sort_by(|a, b| {
            let host = |p: &PortBinding| p.host.map_or(0, |(s, _)| s);
            (host(b), b.container, b.proto == "tcp").cmp(&(host(a), a.container, a.proto == "tcp"))
        });
    }
    // Reorder ports by first appearance, then each port's bindings in sorted order.
    let mut keys: Vec<(u16, String)> = Vec::new();
    for e in &entries {
        let k = (e.container, e.proto.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.iter()
        .flat_map(|(port, proto)| {
            entries
                .iter()
                .filter(move |e| e.container == *port && e.proto == *proto)
                .cloned()
        })
        .collect()
}

/// Why the host port cannot be bound: another socket of the host holds it. The words of
/// each release (20.10 recorded; v27–v29 from moby's `portmapper` and `port_mapping_linux.go`).
fn bind_refusal(engine: DockerEngine, proxy: bool, m: &PortMap, target: (Ipv4Addr, u16)) -> String {
    let ip = go_ip(m.host_ip);
    let proto = crate::control::libnetwork::iptables::proto_name(m.proto);
    let family = if m.host_ip.is_ipv4() { "4" } else { "6" };
    match engine {
        DockerEngine::V20_10 if proxy => format!(
            "Error starting userland proxy: listen {proto}{family} {ip}:{}: bind: address already in use",
            m.host_port
        ),
        DockerEngine::V20_10 => format!(
            "listen {proto} {ip}:{}: bind: address already in use",
            m.host_port
        ),
        DockerEngine::V27 | DockerEngine::V28 => format!(
            "failed to bind host port for {ip}:{}:{}:{}/{proto}: address already in use",
            m.host_port, target.0, target.1
        ),
        _ => format!(
            "failed to bind host port {ip}:{}/{proto}: address already in use",
            m.host_port
        ),
    }
}

/// Whether a listener on `a` and one on `b` (same protocol and port) clash: equal, or
/// either is its family's any address. (An IPv6 any socket is v6-only for docker-proxy.)
fn overlaps(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4() && (a == b || a.is_unspecified() || b.is_unspecified())
}

/// The container's published ports as the bridge driver maps them on its first network:
/// each binding's host IP (the network's `host_binding_ipv4` when none is given, then the
/// IPv6 twin), its host port from the allocator, refused when the allocator holds it or
/// another socket of the host does (`host_listeners`: protocol, address, port; the
/// container's own earlier bindings count too). On a refusal every port taken so far goes
/// back.
pub(super) fn map_ports(
    l: &mut Linux,
    c: &Container,
    binding_default: Ipv4Addr,
    container_ip: Ipv4Addr,
    host_listeners: &[(u8, IpAddr, u16)],
) -> Result<Vec<PortMap>, String> {
    let mut maps: Vec<PortMap> = Vec::new();
    match map_all(
        l,
        c,
        binding_default,
        container_ip,
        host_listeners,
        &mut maps,
    ) {
        Ok(()) => Ok(maps),
        Err(e) => {
            l.ports.release(&maps);
            Err(e)
        }
    }
}

fn map_all(
    l: &mut Linux,
    c: &Container,
    binding_default: Ipv4Addr,
    container_ip: Ipv4Addr,
    host_listeners: &[(u8, IpAddr, u16)],
    maps: &mut Vec<PortMap>,
) -> Result<(), String> {
    let engine = l.ln.engine;
    let proxy = l.ln.config.userland_proxy;
    for b in sorted_bindings(&c.ports) {
        let proto = match b.proto.as_str() {
            "udp" => wire::IPPROTO_UDP,
            "sctp" => IPPROTO_SCTP,
            _ => wire::IPPROTO_TCP,
        };
        let given: Option<IpAddr> = b
            .host_ip
            .as_deref()
            .filter(|s| !s.is_empty())
            .and_then(|s| s.parse().ok());
        let host_ip = given.unwrap_or(IpAddr::V4(binding_default));
        let twin = given.is_none() && binding_default.is_unspecified();
        let range = b.host.unwrap_or((0, 0));
        let mut ips = vec![host_ip];
        if twin {
            ips.push(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        }
        let mut first_port = None;
        for ip in ips {
            let port = match first_port {
                // v27+ give the IPv6 twin the IPv4 binding's port.
                Some(p) if engine > DockerEngine::V20_10 => l.ports.take(ip, proto, p)?,
                _ => l.ports.request(ip, proto, range)?,
            };
            first_port.get_or_insert(port);
            let m = PortMap {
                proto,
                host_ip: ip,
                host_port: port,
                container_port: b.container,
            };
            maps.push(m);
            let held = host_listeners
                .iter()
                .copied()
                .chain(
                    maps[..maps.len() - 1]
                        .iter()
                        .map(|o| (o.proto, o.host_ip, o.host_port)),
                )
                .any(|(p, a, port)| p == proto && port == m.host_port && overlaps(a, ip));
            if held {
                return Err(bind_refusal(
                    engine,
                    proxy,
                    &m,
                    (container_ip, m.container_port),
                ));
            }
        }
    }
    Ok(())
}

/// SCTP's IP protocol number.
const IPPROTO_SCTP: u8 = 132;

#[cfg(test)]
mod tests;
