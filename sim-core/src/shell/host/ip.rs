//! iproute2's `ip`: `ip [-4] addr|link [show [dev] X] [master B]`, `ip route [show]`,
//! `ip neigh [show]`, `ip link add link P name N type vlan id V`, `ip link set [dev] N
//! up|down|mtu M`.
//!
//! What an interface looks like comes from `ns` (kind, carrier, veth peer); the layout is
//! iproute2 6.1's (Debian 12). An IPv6 link-local address (EUI-64 from the MAC) is shown on
//! an interface that has carrier, as the kernel adds it when the link first comes up.

use super::ns::{Kind, Link, Ns};
use crate::device::stack::{arp::Nud, IfaceConfig, VlanConfig};
use crate::shell::ShellOutput;
use crate::wire::MacAddr;
use std::fmt::Write;

fn usage_object(obj: &str) -> ShellOutput {
    ShellOutput::fail(
        1,
        format!("Object \"{obj}\" is unknown, try \"ip help\".\n"),
    )
}

fn no_device(name: &str) -> ShellOutput {
    ShellOutput::fail(1, format!("Device \"{name}\" does not exist.\n"))
}

/// `ip …`.
pub fn ip(ns: &mut Ns, argv: &[String]) -> ShellOutput {
    let mut words: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    let mut only4 = false;
    let mut oneline = false;
    while let Some(w) = words.first().copied().filter(|w| w.starts_with('-')) {
        match w {
            "-4" => only4 = true,
            "-o" | "-oneline" => oneline = true,
            "-6" => {
                return ShellOutput::fail(
                    1,
                    "hnsim: ip -6: IPv6 is not modelled (stacks are IPv4)\n",
                )
            }
            other => {
                return ShellOutput::fail(
                    255,
                    format!("Option \"{other}\" is unknown, try \"ip -help\".\n"),
                )
            }
        }
        words.remove(0);
    }
    let Some(obj) = words.first().copied() else {
        return ShellOutput::fail(255, "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n");
    };
    let rest = &words[1..];
    match obj {
        o if "address".starts_with(o) => match rest.first().copied() {
            Some("add") => addr_change(ns, &rest[1..], true),
            Some("del" | "delete") => addr_change(ns, &rest[1..], false),
            _ => show_links(ns, rest, true, only4),
        },
        o if "link".starts_with(o) => match rest.first().copied() {
            Some("add") => link_add(ns, &rest[1..]),
            Some("set") => link_set(ns, &rest[1..]),
            Some("del" | "delete") => link_del(ns, &rest[1..]),
            _ if oneline => one_record_a_line(show_links(ns, rest, false, only4)),
            _ => show_links(ns, rest, false, only4),
        },
        o if "route".starts_with(o) => routes(ns, rest),
        o if "neighbor".starts_with(o) || "neighbour".starts_with(o) => neighbours(ns, rest),
        other => usage_object(other),
    }
}

/// `-o`: each link's record on one line, its continuation lines joined with `\` (iproute2
/// prints its line separator as a backslash in this mode).
fn one_record_a_line(mut out: ShellOutput) -> ShellOutput {
    let mut joined = String::new();
    for line in out.stdout.lines() {
        if line.starts_with(' ') && !joined.is_empty() {
            joined.pop();
            joined.push('\\');
        }
        joined.push_str(line);
        joined.push('\n');
    }
    out.stdout = joined;
    out
}

/// `show [dev] X [master B]` (also `list`, or nothing).
fn show_links(ns: &Ns, rest: &[&str], addresses: bool, only4: bool) -> ShellOutput {
    let mut dev: Option<&str> = None;
    let mut master: Option<&str> = None;
    let mut it = rest.iter().copied();
    while let Some(w) = it.next() {
        match w {
            "show" | "list" | "ls" => {}
            "dev" => dev = it.next(),
            "master" => master = it.next(),
            name => dev = Some(name),
        }
    }
    let links = ns.links();
    if let Some(d) = dev {
        if !links.iter().any(|l| l.cfg.name == d) && d != "lo" {
            return no_device(d);
        }
    }
    if let Some(m) = master {
        if !links.iter().any(|l| l.cfg.name == m) {
            return no_device(m);
        }
    }
    let mut out = String::new();
    if dev.is_none_or(|d| d == "lo") && master.is_none() {
        loopback(&mut out, addresses, only4);
    }
    for l in &links {
        if dev.is_some_and(|d| d != l.cfg.name)
            || master.is_some_and(|m| l.master.as_deref() != Some(m))
        {
            continue;
        }
        // `ip -4 addr` lists only interfaces with an IPv4 address.
        if addresses && only4 && l.cfg.addr.is_none() {
            continue;
        }
        one_link(&mut out, l, addresses, only4);
    }
    ShellOutput::ok(out)
}

fn loopback(out: &mut String, addresses: bool, only4: bool) {
    let tail = if addresses { "" } else { " mode DEFAULT" };
    let _ = writeln!(
        out,
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN{tail} group default qlen 1000"
    );
    if !(addresses && only4) {
        out.push_str("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n");
    }
    if addresses {
        out.push_str(
            "    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n",
        );
        if !only4 {
            out.push_str(
                "    inet6 ::1/128 scope host \n       valid_lft forever preferred_lft forever\n",
            );
        }
    }
}

/// The IPv6 link-local address the kernel derives from a MAC (EUI-64), as iproute2 prints
/// it.
fn link_local(mac: MacAddr) -> String {
    let MacAddr(a, b, c, d, e, f) = mac;
    let groups = [
        u16::from_be_bytes([a ^ 0x02, b]),
        u16::from_be_bytes([c, 0xff]),
        u16::from_be_bytes([0xfe, d]),
        u16::from_be_bytes([e, f]),
    ];
    let addr = std::net::Ipv6Addr::new(0xfe80, 0, 0, 0, groups[0], groups[1], groups[2], groups[3]);
    format!("{addr}/64")
}

fn one_link(out: &mut String, l: &Link, addresses: bool, only4: bool) {
    let name = match (&l.peer, &l.parent) {
        (Some((peer, _)), _) => format!("{}@if{peer}", l.cfg.name),
        (None, Some(parent)) => format!("{}@{parent}", l.cfg.name),
        _ => l.cfg.name.clone(),
    };
    let flags = if l.carrier {
        "BROADCAST,MULTICAST,UP,LOWER_UP"
    } else {
        "NO-CARRIER,BROADCAST,MULTICAST,UP"
    };
    let qdisc = match l.kind {
        Kind::Ethernet => "pfifo_fast",
        _ => "noqueue",
    };
    let master = l
        .master
        .as_ref()
        .map(|m| format!("master {m} "))
        .unwrap_or_default();
    let state = if l.carrier { "UP" } else { "DOWN" };
    let mode = if addresses { "" } else { " mode DEFAULT" };
    let qlen = match l.kind {
        Kind::Ethernet => "qlen 1000",
        _ => "",
    };
    let _ = writeln!(
        out,
        "{}: {name}: <{flags}> mtu {} qdisc {qdisc} {master}state {state}{mode} group default {qlen}",
        l.index, l.cfg.mtu
    );
    if !(addresses && only4) {
        let netns = l
            .peer
            .map(|(_, id)| format!(" link-netnsid {id}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    link/ether {} brd ff:ff:ff:ff:ff:ff{netns}",
            l.cfg.mac
        );
    }
    if !addresses {
        return;
    }
    if let Some(a) = l.cfg.addr {
        let brd = if a.prefix() < 31 {
            format!(" brd {}", a.broadcast())
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "    inet {}/{}{brd} scope global {}\n       valid_lft forever preferred_lft forever",
            a.ip(),
            a.prefix(),
            l.cfg.name
        );
    }
    if !only4 && l.carrier {
        let _ = writeln!(
            out,
            "    inet6 {} scope link \n       valid_lft forever preferred_lft forever",
            link_local(l.cfg.mac)
        );
    }
}

/// `ip route [show]`: connected routes (from interface addresses) and static ones, in the
/// order of the kernel's table (by destination, then prefix length).
fn routes(ns: &Ns, rest: &[&str]) -> ShellOutput {
    if let Some(w) = rest.iter().find(|w| !matches!(**w, "show" | "list" | "ls")) {
        return ShellOutput::fail(
            1,
            format!("hnsim: ip route {w}: not modelled (ip route [show] is)\n"),
        );
    }
    let links = ns.links();
    let stack = ns.stack();
    let carrier = |port| links.iter().any(|l| l.port == port && l.carrier);
    let mut lines: Vec<((u32, u8), String)> = Vec::new();
    for l in &links {
        if let Some(a) = l.cfg.addr {
            let down = if l.carrier { "" } else { " linkdown" };
            lines.push((
                (u32::from(a.network()), a.prefix()),
                format!(
                    "{}/{} dev {} proto kernel scope link src {}{down} ",
                    a.network(),
                    a.prefix(),
                    l.cfg.name,
                    a.ip()
                ),
            ));
        }
    }
    for r in stack.config.routes() {
        let Some(dev) = stack.iface(r.iface).map(|i| i.name.clone()) else {
            continue;
        };
        let dest = if r.dest.prefix() == 0 {
            "default".to_string()
        } else {
            format!("{}/{}", r.dest.network(), r.dest.prefix())
        };
        let down = if carrier(r.iface) { "" } else { " linkdown" };
        let line = match r.via {
            Some(gw) => format!("{dest} via {gw} dev {dev}{down} "),
            None => format!("{dest} dev {dev} scope link{down} "),
        };
        lines.push(((u32::from(r.dest.network()), r.dest.prefix()), line));
    }
    lines.sort_by_key(|(k, _)| *k);
    let text: String = lines.into_iter().map(|(_, l)| l + "\n").collect();
    ShellOutput::ok(text)
}

/// `ip neigh [show]`: the ARP cache.
fn neighbours(ns: &Ns, rest: &[&str]) -> ShellOutput {
    if let Some(w) = rest.iter().find(|w| !matches!(**w, "show" | "list" | "ls")) {
        return ShellOutput::fail(
            1,
            format!("hnsim: ip neigh {w}: not modelled (ip neigh [show] is)\n"),
        );
    }
    let stack = ns.stack();
    let now = ns.engine().now();
    let mut out = String::new();
    for (port, ip, e) in stack.neighbours() {
        let state = match e.state_at(now) {
            Nud::Reachable(_) => "REACHABLE",
            Nud::Stale => "STALE",
            Nud::Delay(_) => "DELAY",
            Nud::Probe { .. } => "PROBE",
        };
        let _ = writeln!(
            out,
            "{ip} dev {} lladdr {} {state}",
            stack.iface_name(port),
            e.mac
        );
    }
    for p in &stack.net_pending() {
        let _ = writeln!(out, "{} dev {} INCOMPLETE", p.1, stack.iface_name(p.0));
    }
    ShellOutput::ok(out)
}

/// `ip addr add|del A/LEN dev NAME`. An interface holds one IPv4 address in the model: a
/// second `add` is refused in the kernel's words for a clash.
fn addr_change(ns: &mut Ns, rest: &[&str], add: bool) -> ShellOutput {
    let mut addr = None;
    let mut dev = None;
    let mut it = rest.iter().copied();
    while let Some(w) = it.next() {
        match w {
            "dev" => dev = it.next(),
            "brd" | "broadcast" | "scope" | "label" => {
                it.next();
            }
            a if addr.is_none() => addr = Some(a),
            other => {
                return ShellOutput::fail(
                    255,
                    format!("Error: either \"local\" is duplicate, or \"{other}\" is a garbage.\n"),
                )
            }
        }
    }
    let Some(dev) = dev else {
        return ShellOutput::fail(1, "Not enough information: \"dev\" argument is required.\n");
    };
    let Some(text) = addr else {
        return ShellOutput::fail(2, "RTNETLINK answers: Operation not supported\n");
    };
    let parsed = match text.split_once('/') {
        Some((a, l)) => a.parse().ok().zip(l.parse::<u8>().ok()),
        None => text.parse().ok().map(|a| (a, 32)),
    };
    let Some(net) = parsed.and_then(|(a, l)| ipnetwork::Ipv4Network::new(a, l).ok()) else {
        return ShellOutput::fail(
            1,
            format!("Error: any valid prefix is expected rather than \"{text}\".\n"),
        );
    };
    let stack = ns.stack_mut();
    let Some(port) = stack.iface_by_name(dev) else {
        return ShellOutput::fail(1, format!("Cannot find device \"{dev}\"\n"));
    };
    let Some(mut ifc) = stack.iface_mut(port) else {
        return ShellOutput::fail(1, format!("Cannot find device \"{dev}\"\n"));
    };
    match (add, ifc.addr) {
        (true, Some(a)) if a == net => ShellOutput::fail(2, "RTNETLINK answers: File exists\n"),
        (true, Some(_)) => ShellOutput::fail(
            2,
            "hnsim: ip addr add: an interface holds one IPv4 address in the model; delete the other first\n",
        ),
        (true, None) => {
            ifc.addr = Some(net);
            ShellOutput::ok("")
        }
        (false, Some(a)) if a == net => {
            ifc.addr = None;
            ShellOutput::ok("")
        }
        (false, _) => ShellOutput::fail(2, "RTNETLINK answers: Cannot assign requested address\n"),
    }
}

/// `ip link add link PARENT name NAME type vlan id ID`.
fn link_add(ns: &mut Ns, rest: &[&str]) -> ShellOutput {
    let mut parent = None;
    let mut name = None;
    let mut kind = None;
    let mut id = None;
    let mut it = rest.iter().copied();
    while let Some(w) = it.next() {
        match w {
            "link" => parent = it.next(),
            "name" => name = it.next(),
            "type" => kind = it.next(),
            "id" => id = it.next(),
            "dev" => name = it.next(),
            other if name.is_none() && !other.is_empty() => name = Some(other),
            other => {
                return ShellOutput::fail(
                    255,
                    format!("Error: either \"dev\" is duplicate, or \"{other}\" is a garbage.\n"),
                )
            }
        }
    }
    let Some(kind) = kind else {
        return ShellOutput::fail(2, "Not enough information: \"type\" argument is required\n");
    };
    if kind != "vlan" {
        return ShellOutput::fail(
            2,
            format!("hnsim: ip link add type {kind}: not modelled (type vlan is)\n"),
        );
    }
    let Some(name) = name else {
        return ShellOutput::fail(2, "Not enough information: \"dev\" argument is required.\n");
    };
    let Some(parent) = parent else {
        return ShellOutput::fail(2, "Error: 802.1q: link is required.\n");
    };
    let Some(id) = id else {
        return ShellOutput::fail(2, "Error: 802.1q: VLAN id is required.\n");
    };
    let Some(id) = id.parse::<u16>().ok().filter(|v| *v < 4095) else {
        return ShellOutput::fail(
            255,
            format!("Error: argument \"{id}\" is wrong: id is invalid\n"),
        );
    };
    if name.len() > 15 {
        return ShellOutput::fail(
            255,
            format!("Error: argument \"{name}\" is wrong: \"name\" not a valid ifname\n"),
        );
    }
    let stack = ns.stack_mut();
    let Some(pport) = stack.iface_by_name(parent) else {
        return ShellOutput::fail(1, format!("Cannot find device \"{parent}\"\n"));
    };
    if stack.iface_by_name(name).is_some() {
        return ShellOutput::fail(2, "RTNETLINK answers: File exists\n");
    }
    let taken = stack
        .config
        .ifaces()
        .iter()
        .flatten()
        .any(|i| i.vlan.is_some_and(|v| v.parent == pport && v.id == id));
    if taken {
        return ShellOutput::fail(2, "RTNETLINK answers: File exists\n");
    }
    let (mac, mtu) = stack
        .iface(pport)
        .map(|p| (p.mac, p.mtu))
        .expect("found above");
    let mut cfg = IfaceConfig::ethernet(name, mac, None);
    cfg.mtu = mtu;
    cfg.vlan = Some(VlanConfig { parent: pport, id });
    stack.add_iface(cfg);
    ShellOutput::ok("")
}

/// `ip link del [dev] NAME`: removes a VLAN sub-interface (the interfaces docker and the
/// scenario made belong to them: removing those is not modelled).
fn link_del(ns: &mut Ns, rest: &[&str]) -> ShellOutput {
    let name = match rest {
        ["dev", name] | [name] => *name,
        _ => {
            return ShellOutput::fail(
                255,
                "Not enough of information: \"dev\" argument is required.\n",
            )
        }
    };
    let stack = ns.stack_mut();
    let Some(port) = stack.iface_by_name(name) else {
        return ShellOutput::fail(1, format!("Cannot find device \"{name}\"\n"));
    };
    if stack.iface(port).is_some_and(|i| i.vlan.is_none()) {
        return ShellOutput::fail(
            2,
            format!("hnsim: ip link del {name}: only VLAN sub-interfaces made with ip link add can be deleted here\n"),
        );
    }
    stack.remove_iface(port);
    ShellOutput::ok("")
}

/// `ip link set [dev] NAME up|down|mtu N|address A`.
fn link_set(ns: &mut Ns, rest: &[&str]) -> ShellOutput {
    let mut it = rest.iter().copied().peekable();
    if it.peek() == Some(&"dev") {
        it.next();
    }
    let Some(name) = it.next() else {
        return ShellOutput::fail(
            255,
            "Not enough of information: \"dev\" argument is required.\n",
        );
    };
    let stack = ns.stack_mut();
    let Some(port) = stack.iface_by_name(name) else {
        return ShellOutput::fail(1, format!("Cannot find device \"{name}\"\n"));
    };
    while let Some(w) = it.next() {
        match w {
            // Interfaces are always administratively up in the model: `up` is what they
            // already are.
            "up" => {}
            "down" => {
                return ShellOutput::fail(
                    2,
                    "hnsim: ip link set down: administrative state is not modelled; take the cable down instead (a Link step)\n",
                )
            }
            "mtu" => {
                let Some(m) = it.next().and_then(|m| m.parse::<u16>().ok()) else {
                    return ShellOutput::fail(255, "Error: argument is wrong: Invalid \"mtu\" value\n");
                };
                if let Some(mut i) = stack.iface_mut(port) {
                    i.mtu = m;
                }
            }
            other => {
                return ShellOutput::fail(
                    255,
                    format!("hnsim: ip link set {other}: not modelled (up, mtu are)\n"),
                )
            }
        }
    }
    ShellOutput::ok("")
}
