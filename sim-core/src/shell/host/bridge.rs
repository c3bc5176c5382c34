//! iproute2's `bridge`: `bridge link [show]` (the ports of the namespace's bridges) and
//! `bridge fdb [show] [br B] [dev D]` (their forwarding databases).
//!
//! The fdb lists, as the kernel does, per bridge first its own entries (the multicast
//! addresses its interface joined, `self permanent`, then its MAC, `master permanent`),
//! then per port what the bridge learned there, the port's own MAC, and the port's
//! multicast memberships. Memberships follow from the interface's state: IPv4 all-hosts and
//! IPv6 all-nodes on every interface, all-routers when the namespace forwards, the
//! solicited-node group of the link-local address once the link has carrier, and on a
//! bridge the multicast router discovery groups (`...:6a`) and, when forwarding, the
//! subnet-router anycast's group.

use super::ns::{Kind, Link, Ns};
use crate::shell::ShellOutput;
use crate::time::SimTime;
use crate::wire::MacAddr;
use std::fmt::Write;

/// `bridge …`.
pub fn bridge(ns: &Ns, argv: &[String], now: SimTime) -> ShellOutput {
    let words: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    match words.first().copied() {
        Some(o) if "link".starts_with(o) => link(ns, &words[1..]),
        Some(o) if "fdb".starts_with(o) => fdb(ns, &words[1..], now),
        Some(o) => ShellOutput::fail(
            255,
            format!("Object \"{o}\" is unknown, try \"bridge help\".\n"),
        ),
        None => ShellOutput::fail(255, "Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }\n"),
    }
}

fn link(ns: &Ns, rest: &[&str]) -> ShellOutput {
    if let Some(w) = rest.iter().find(|w| !matches!(**w, "show" | "list" | "ls")) {
        return ShellOutput::fail(1, format!("hnsim: bridge link {w}: not modelled\n"));
    }
    let mut out = String::new();
    for l in ns.links() {
        let Some(master) = &l.master else { continue };
        let name = match l.peer {
            Some((peer, _)) => format!("{}@if{peer}", l.cfg.name),
            None => l.cfg.name.clone(),
        };
        let (flags, state) = if l.carrier {
            ("BROADCAST,MULTICAST,UP,LOWER_UP", "forwarding")
        } else {
            ("NO-CARRIER,BROADCAST,MULTICAST,UP", "disabled")
        };
        let _ = writeln!(
            out,
            "{}: {name}: <{flags}> mtu {} master {master} state {state} priority 32 cost 2 ",
            l.index, l.cfg.mtu
        );
    }
    ShellOutput::ok(out)
}

/// The multicast groups an interface joined, as MAC addresses, in the order the kernel
/// lists them.
fn memberships(l: &Link, forwarding: bool) -> Vec<MacAddr> {
    let mut v = vec![MacAddr::new(0x33, 0x33, 0, 0, 0, 1)];
    if forwarding {
        v.push(MacAddr::new(0x33, 0x33, 0, 0, 0, 2));
    }
    if l.kind == Kind::Bridge {
        v.push(MacAddr::new(0x01, 0x00, 0x5e, 0, 0, 0x6a));
        v.push(MacAddr::new(0x33, 0x33, 0, 0, 0, 0x6a));
    }
    v.push(MacAddr::new(0x01, 0x00, 0x5e, 0, 0, 1));
    if l.carrier {
        let m = l.cfg.mac;
        v.push(MacAddr::new(0x33, 0x33, 0xff, m.3, m.4, m.5));
    }
    if l.kind == Kind::Bridge && forwarding && l.carrier {
        v.push(MacAddr::new(0x33, 0x33, 0xff, 0, 0, 0));
    }
    v
}

fn fdb(ns: &Ns, rest: &[&str], now: SimTime) -> ShellOutput {
    let mut br: Option<&str> = None;
    let mut dev: Option<&str> = None;
    let mut it = rest.iter().copied();
    while let Some(w) = it.next() {
        match w {
            "show" | "list" | "ls" => {}
            "br" => br = it.next(),
            "dev" => dev = it.next(),
            other => {
                return ShellOutput::fail(
                    255,
                    format!("hnsim: bridge fdb {other}: not modelled (show [br B] [dev D] is)\n"),
                )
            }
        }
    }
    let links = ns.links();
    for name in [br, dev].into_iter().flatten() {
        if !links.iter().any(|l| l.cfg.name == name) {
            return ShellOutput::fail(1, format!("Cannot find device \"{name}\"\n"));
        }
    }
    let stack = ns.stack();
    let forwarding = stack.config.forwarding;
    let learned = stack.fdb(now);
    let mut out = String::new();
    for l in &links {
        let in_br = match l.kind {
            Kind::Bridge => Some(l.cfg.name.as_str()),
            _ => l.master.as_deref(),
        };
        if br.is_some_and(|b| in_br != Some(b)) || dev.is_some_and(|d| d != l.cfg.name) {
            continue;
        }
        let selfs = memberships(l, forwarding);
        match (l.kind, &l.master) {
            (Kind::Bridge, _) => {
                for m in selfs {
                    let _ = writeln!(out, "{m} dev {} self permanent", l.cfg.name);
                }
                let _ = writeln!(
                    out,
                    "{} dev {} master {} permanent",
                    l.cfg.mac, l.cfg.name, l.cfg.name
                );
            }
            (_, Some(master)) => {
                for (_, mac, _) in learned.iter().filter(|(_, _, p)| *p == l.port) {
                    if *mac == l.cfg.mac {
                        continue;
                    }
                    let _ = writeln!(out, "{mac} dev {} master {master} ", l.cfg.name);
                }
                let _ = writeln!(
                    out,
                    "{} dev {} master {master} permanent",
                    l.cfg.mac, l.cfg.name
                );
                for m in selfs {
                    let _ = writeln!(out, "{m} dev {} self permanent", l.cfg.name);
                }
            }
            _ if br.is_none() => {
                for m in selfs {
                    let _ = writeln!(out, "{m} dev {} self permanent", l.cfg.name);
                }
            }
            _ => {}
        }
    }
    ShellOutput::ok(out)
}
