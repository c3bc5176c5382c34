//! busybox `ip` inside a container's namespace: `ip [-4] [-o] addr [show [dev] IF]`, `ip
//! link [show [dev] IF]`, `ip [-4] route [show]`, read from the namespace's stack: `lo`
//! (always there), then each interface (a veth end, shown as `eth0@ifN`) with its MTU, MAC
//! and address; routes as the kernel dumps the main table (defaults first, then by
//! prefix). Interface indexes are the kernel's counters, numbered as the host's `ip` numbers
//! them (`host::ns::ifindex`): `eth0@ifN` names the index of the veth's other end, the one
//! the host's `ip link` shows (recorded on the oracle: `4332: eth0@if4333` in the container,
//! `4333: vethbfa3e1b@if4332` on the host). `LOWER_UP` is shown only while the veth has
//! carrier; without it busybox prints `<NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN>`
//! (recorded with the host end set down). IPv6 is off in these namespaces (docker disables
//! it on networks without IPv6), so `-6` shows nothing.

use super::{stack, Place};
use crate::device::stack::arp::Nud;
use crate::device::stack::config::IfaceConfig;
use crate::engine::Engine;
use crate::id::{NodeId, PortId};
use crate::shell::host::ns::ifindex;
use crate::shell::ShellOutput;
use crate::sim::world::World;
use std::fmt::Write;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Any,
    V4,
    V6,
}

pub(super) fn run(world: &World, place: &Place, args: &[String]) -> ShellOutput {
    let (mut family, mut oneline) = (Family::Any, false);
    let mut words = Vec::new();
    for a in args {
        match a.as_str() {
            "-4" => family = Family::V4,
            "-6" => family = Family::V6,
            "-o" | "-oneline" => oneline = true,
            _ => words.push(a.as_str()),
        }
    }
    let Some((object, rest)) = words.split_first() else {
        return ShellOutput::fail(
            1,
            "Usage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [ARGS]\n",
        );
    };
    if ["n", "neigh", "neighbor", "neighbour"].contains(object) {
        return neighbours(world, place, rest);
    }
    if ["r", "ro", "route"].contains(object) && rest.first() == Some(&"add") {
        return route_add(world, place, &rest[1..]);
    }
    // `show [dev] IF` / `list`; anything else (add, del, …) changes the namespace.
    let mut dev = None;
    let mut it = rest.iter().peekable();
    if let Some(&&w) = it.peek() {
        if ["show", "list", "ls"].contains(&w) {
            it.next();
        } else {
            return ShellOutput::not_modelled(&format!("ip {object} {w}"));
        }
    }
    while let Some(w) = it.next() {
        if *w == "dev" {
            dev = it.next().map(|d| d.to_string());
        } else {
            dev = Some(w.to_string());
        }
    }
    let Some(s) = stack(world, place.node) else {
        return ShellOutput::ok("");
    };
    let ifaces: Vec<(Veth, &IfaceConfig)> = s
        .config
        .ifaces()
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_ref().map(|c| (PortId(i as u16), c)))
        .filter(|(_, c)| c.name != "lo")
        .map(|(port, c)| (Veth::of(&world.engine, place.node, port), c))
        .collect();
    if let Some(d) = &dev {
        if d != "lo" && !ifaces.iter().any(|(_, c)| &c.name == d) {
            return ShellOutput::fail(1, format!("ip: can't find device '{d}'\n"));
        }
    }
    let shown = |name: &str| dev.as_deref().is_none_or(|d| d == name);
    let mut out = String::new();
    match *object {
        "a" | "addr" | "address" => {
            if family == Family::V6 {
                return ShellOutput::ok("");
            }
            let link = family == Family::Any;
            if shown("lo") {
                lo(&mut out, link, oneline);
            }
            for (v, c) in &ifaces {
                if shown(&c.name) {
                    iface(&mut out, *v, c, link, true, oneline);
                }
            }
        }
        "l" | "link" => {
            if shown("lo") {
                lo(&mut out, true, false);
                out = out.lines().take(2).map(|l| format!("{l}\n")).collect();
            }
            for (v, c) in &ifaces {
                if shown(&c.name) {
                    iface(&mut out, *v, c, true, false, false);
                }
            }
        }
        "r" | "ro" | "route" => {
            if family == Family::V6 {
                return ShellOutput::ok("");
            }
            routes(&mut out, &s.config, |name| shown(name));
        }
        other => return ShellOutput::not_modelled(&format!("ip {other}")),
    }
    ShellOutput::ok(out)
}

/// `ip neigh [show]`: the ARP cache as busybox prints it, with the kernel's reference
/// count, the times since the entry was used, confirmed and updated (hnsim keeps none:
/// `0/0/0`), and the unicast probes sent.
fn neighbours(world: &World, place: &Place, rest: &[&str]) -> ShellOutput {
    if let Some(w) = rest.iter().find(|w| !["show", "list", "ls"].contains(*w)) {
        return ShellOutput::not_modelled(&format!("ip neigh {w}"));
    }
    let Some(s) = stack(world, place.node) else {
        return ShellOutput::ok("");
    };
    let now = world.engine.now();
    let mut out = String::new();
    for (port, ip, e) in s.neighbours() {
        let (state, probes) = match e.state_at(now) {
            Nud::Reachable(_) => ("REACHABLE", 0),
            Nud::Stale => ("STALE", 0),
            Nud::Delay(_) => ("DELAY", 0),
            Nud::Probe { sent, .. } => ("PROBE", sent),
        };
        let _ = writeln!(
            out,
            "{ip} dev {} lladdr {} ref 1 used 0/0/0 probes {probes} {state}",
            s.iface_name(port),
            e.mac
        );
    }
    for (port, ip) in s.net_pending() {
        let _ = writeln!(
            out,
            "{ip} dev {}  used 0/0/0 probes 0 INCOMPLETE",
            s.iface_name(port)
        );
    }
    ShellOutput::ok(out)
}

/// `ip route add DEST [via GW] [dev IF]`: the kernel refuses a route whose destination the
/// main table already has (`File exists`). Adding a new one needs `CAP_NET_ADMIN`, which
/// hnsim does not track (`--cap-add` is accepted and ignored), so that part is not
/// modelled.
fn route_add(world: &World, place: &Place, args: &[&str]) -> ShellOutput {
    let Some(dest) = args.first() else {
        return ShellOutput::fail(
            1,
            "ip: need at least a destination
",
        );
    };
    let dest: Option<ipnetwork::Ipv4Network> = match *dest {
        "default" => "0.0.0.0/0".parse().ok(),
        d if d.contains('/') => d.parse().ok(),
        d => d
            .parse::<std::net::Ipv4Addr>()
            .ok()
            .map(ipnetwork::Ipv4Network::from),
    };
    let Some(dest) = dest else {
        return ShellOutput::fail(
            1,
            format!(
                "ip: an inet prefix is expected rather than \"{}\"\n",
                args[0]
            ),
        );
    };
    let Some(s) = stack(world, place.node) else {
        return ShellOutput::ok("");
    };
    let key = (dest.network(), dest.prefix());
    let connected = s
        .config
        .ifaces()
        .iter()
        .flatten()
        .filter_map(|c| c.addr)
        .any(|a| (a.network(), a.prefix()) == key);
    let routed = s
        .config
        .routes()
        .iter()
        .any(|r| (r.dest.network(), r.dest.prefix()) == key);
    if connected || routed {
        return ShellOutput::fail(2, "ip: RTNETLINK answers: File exists\n");
    }
    ShellOutput::not_modelled("ip route add of a new route (capabilities are not modelled)")
}

/// The kernel's index of the interface at stack position `i` (1 is `lo`), and its veth
/// peer's.
/// What the kernel knows of a container's interface that its configuration does not say:
/// its index, its peer's index, and whether it has carrier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Veth {
    index: u32,
    /// The other end's index in its own namespace (none: not cabled).
    peer: Option<u32>,
    carrier: bool,
}

impl Veth {
    fn of(eng: &Engine, node: NodeId, port: PortId) -> Self {
        let peer = eng.peer_of(node, port);
        Veth {
            index: ifindex(port),
            peer: peer.map(|((_, p), _)| ifindex(p)),
            carrier: peer.is_some_and(|(_, up)| up),
        }
    }
}

fn lo(out: &mut String, link: bool, oneline: bool) {
    if oneline {
        out.push_str(
            "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n",
        );
        return;
    }
    out.push_str("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\n");
    if link {
        out.push_str("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n");
    }
    out.push_str(
        "    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n",
    );
}

/// One veth end: its link line, `link/ether`, and (with `addr`) its IPv4 address.
fn iface(out: &mut String, v: Veth, c: &IfaceConfig, link: bool, addr: bool, oneline: bool) {
    let idx = v.index;
    let inet = c.addr.map(|a| {
        format!(
            "inet {}/{} brd {} scope global {}",
            a.ip(),
            a.prefix(),
            a.broadcast(),
            c.name
        )
    });
    if oneline {
        if let Some(inet) = inet.filter(|_| addr) {
            let _ = writeln!(
                out,
                "{idx}: {}    {inet}\\       valid_lft forever preferred_lft forever",
                c.name
            );
        }
        return;
    }
    let peer = v.peer.map(|p| format!("@if{p}")).unwrap_or_default();
    let flags = if v.carrier {
        "BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN"
    } else {
        "NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN"
    };
    let _ = writeln!(
        out,
        "{idx}: {}{peer}: <{flags}> mtu {} qdisc noqueue ",
        c.name, c.mtu
    );
    if link {
        let _ = writeln!(out, "    link/ether {} brd ff:ff:ff:ff:ff:ff", c.mac);
    }
    if let Some(inet) = inet.filter(|_| addr) {
        let _ = writeln!(
            out,
            "    {inet}\n       valid_lft forever preferred_lft forever"
        );
    }
}

/// The main table: connected routes of each addressed interface and the stack's routes,
/// defaults first, then by destination.
fn routes(out: &mut String, cfg: &crate::device::stack::StackConfig, shown: impl Fn(&str) -> bool) {
    let name = |p: crate::id::PortId| {
        cfg.ifaces()
            .get(usize::from(p.0))
            .and_then(Option::as_ref)
            .map(|c| c.name.clone())
    };
    let mut lines: Vec<(u32, u8, String)> = Vec::new();
    for c in cfg.ifaces().iter().flatten().filter(|c| shown(&c.name)) {
        if let Some(a) = c.addr {
            lines.push((
                u32::from(a.network()),
                a.prefix(),
                format!(
                    "{}/{} dev {} scope link  src {} ",
                    a.network(),
                    a.prefix(),
                    c.name,
                    a.ip()
                ),
            ));
        }
    }
    for r in cfg.routes() {
        let Some(dev) = name(r.iface).filter(|n| shown(n)) else {
            continue;
        };
        let dest = if r.dest.prefix() == 0 {
            "default".to_string()
        } else {
            format!("{}/{}", r.dest.network(), r.dest.prefix())
        };
        let line = match r.via {
            Some(g) => format!("{dest} via {g} dev {dev} "),
            None => format!("{dest} dev {dev} scope link "),
        };
        lines.push((u32::from(r.dest.network()), r.dest.prefix(), line));
    }
    // Stable: routes to the same destination keep the order they were added in.
    lines.sort_by_key(|(net, prefix, _)| (*net, *prefix));
    for (_, _, l) in lines {
        out.push_str(&l);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::stack::config::{IfaceConfig, Route};
    use crate::device::stack::StackConfig;
    use crate::id::PortId;
    use crate::wire::MacAddr;

    fn veth(name: &str, addr: &str) -> Option<IfaceConfig> {
        Some(IfaceConfig::ethernet(
            name,
            MacAddr(0x02, 0x42, 0xac, 0x11, 0, 2),
            Some(addr.parse().expect("a prefix")),
        ))
    }

    #[test]
    fn the_main_table_has_defaults_first_then_prefixes_in_order() {
        let mut cfg = StackConfig::new("c", 64);
        cfg.ifaces_mut().push(veth("eth0", "172.18.0.2/16"));
        cfg.ifaces_mut().push(veth("eth1", "172.17.0.2/16"));
        cfg.routes_mut().push(Route {
            dest: "0.0.0.0/0".parse().expect("default"),
            via: Some("172.17.0.1".parse().expect("gw")),
            iface: PortId(1),
        });
        let mut out = String::new();
        routes(&mut out, &cfg, |_| true);
        assert_eq!(
            out,
            "default via 172.17.0.1 dev eth1 \n172.17.0.0/16 dev eth1 scope link  src 172.17.0.2 \n172.18.0.0/16 dev eth0 scope link  src 172.18.0.2 \n"
        );
        let mut only = String::new();
        routes(&mut only, &cfg, |n| n == "eth0");
        assert_eq!(only, "172.18.0.0/16 dev eth0 scope link  src 172.18.0.2 \n");
    }

    #[test]
    fn an_interface_in_each_form() {
        let c = veth("eth0", "172.17.0.2/16").expect("an iface");
        let up = Veth {
            index: 2,
            peer: Some(7),
            carrier: true,
        };
        let mut full = String::new();
        iface(&mut full, up, &c, true, true, false);
        assert_eq!(
            full,
            "2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue \n    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff\n    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0\n       valid_lft forever preferred_lft forever\n"
        );
        let mut down = String::new();
        let no_carrier = Veth {
            carrier: false,
            ..up
        };
        iface(&mut down, no_carrier, &c, true, false, false);
        assert_eq!(
            down,
            "2: eth0@if7: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue \n    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff\n"
        );
        let mut one = String::new();
        iface(&mut one, up, &c, false, true, true);
        assert_eq!(
            one,
            "2: eth0    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0\\       valid_lft forever preferred_lft forever\n"
        );
    }
}
