//! A ruleset printed the way `iptables-save -c` prints netfilter's, so that a reader can see
//! exactly what a control plane programmed: one block per table, its chains with their
//! policies and counters, and one `-A` line per rule.
//!
//! Where a table is not netfilter's own (a Windows firewall, WinNAT), its name follows the
//! kind on the `*` line. Interface names come from the device (`port_name`) and are quoted
//! when they hold spaces; sets print in braces (`-p {tcp,udp}`), as nftables writes them.

use super::{
    Balance, Chain, Counters, CtDir, Match, NatTo, Policy, Reject, Rule, Ruleset, Target, Test,
};
use crate::id::PortId;
use std::fmt::Write;

/// A name as the listing writes it: bare, or in double quotes when it holds anything but
/// letters, digits and `-_.:/` (spaces, parentheses).
pub fn quoted(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c))
    {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn set<T>(items: &[T], one: impl Fn(&T) -> String) -> String {
    match items {
        [x] => one(x),
        _ => format!(
            "{{{}}}",
            items.iter().map(one).collect::<Vec<_>>().join(",")
        ),
    }
}

pub fn proto_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        2 => "igmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        n => n.to_string(),
    }
}

/// A port or a range as iptables writes it (`80`, `8080:8081`).
pub fn ports(lo: u16, hi: u16) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}:{hi}")
    }
}

/// A NAT target's `--to-*` value (`172.17.0.2:80`, `:53` when only the port changes).
pub fn nat_to(t: &NatTo) -> String {
    match t.ports {
        // A port-only translation (`--to-source :53`) keeps the address.
        Some((lo, hi)) if t.addr.is_unspecified() && lo == hi => format!(":{lo}"),
        Some((lo, hi)) if t.addr.is_unspecified() => format!(":{lo}-{hi}"),
        None => t.addr.to_string(),
        Some((lo, hi)) if lo == hi => format!("{}:{lo}", t.addr),
        Some((lo, hi)) => format!("{}:{lo}-{hi}", t.addr),
    }
}

fn one_match(m: &Match, name: &dyn Fn(PortId) -> String) -> String {
    let not = if m.negate { "! " } else { "" };
    match &m.test {
        Test::InPort(p) => format!("{not}-i {}", set(p, |p| quoted(&name(*p)))),
        Test::OutPort(p) => format!("{not}-o {}", set(p, |p| quoted(&name(*p)))),
        Test::Src(n) => format!(
            "{not}-s {}",
            n.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
        Test::Dst(n) => format!(
            "{not}-d {}",
            n.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
        Test::Proto(p) => format!("{not}-p {}", set(p, |p| proto_name(*p))),
        Test::SrcPort(lo, hi) => format!("{not}--sport {}", ports(*lo, *hi)),
        Test::DstPort(lo, hi) => format!("{not}--dport {}", ports(*lo, *hi)),
        Test::CtState(s) => format!("-m conntrack {not}--ctstate {}", s.names().join(",")),
        Test::CtStatus(s) => {
            let mut names = Vec::new();
            if s.intersects(super::CtStatus::SNAT) {
                names.push("SNAT");
            }
            if s.intersects(super::CtStatus::DNAT) {
                names.push("DNAT");
            }
            format!("-m conntrack {not}--ctstatus {}", names.join(","))
        }
        Test::CtDir(d) => format!(
            "-m conntrack {not}--ctdir {}",
            match d {
                CtDir::Original => "ORIGINAL",
                CtDir::Reply => "REPLY",
            }
        ),
        Test::Mark { value, mask } => format!("-m mark {not}--mark {value:#x}/{mask:#x}"),
        Test::DstLocal { in_port_only } => format!(
            "-m addrtype {not}--dst-type LOCAL{}",
            if *in_port_only {
                " --limit-iface-in"
            } else {
                ""
            }
        ),
        Test::SrcLocal => format!("-m addrtype {not}--src-type LOCAL"),
    }
}

fn target(t: &Target) -> String {
    match t {
        Target::Accept => "-j ACCEPT".into(),
        Target::Drop => "-j DROP".into(),
        Target::Reject(r) => format!(
            "-j REJECT --reject-with {}",
            match r {
                Reject::IcmpNetUnreachable => "icmp-net-unreachable",
                Reject::IcmpHostUnreachable => "icmp-host-unreachable",
                Reject::IcmpPortUnreachable => "icmp-port-unreachable",
                Reject::IcmpAdminProhibited => "icmp-admin-prohibited",
                Reject::TcpReset => "tcp-reset",
            }
        ),
        Target::Jump(c) => format!("-j {}", quoted(c)),
        Target::Goto(c) => format!("-g {}", quoted(c)),
        Target::Return => "-j RETURN".into(),
        Target::Dnat { to, balance } => {
            let mut s = "-j DNAT".to_string();
            for t in to {
                let _ = write!(s, " --to-destination {}", nat_to(t));
            }
            if to.len() > 1 {
                s.push_str(match balance {
                    Balance::RoundRobin => " --balance rr",
                    Balance::SourceHash => " --balance sh",
                });
            }
            s
        }
        Target::Snat { to } => format!("-j SNAT --to-source {}", nat_to(to)),
        Target::Masquerade { ports: None } => "-j MASQUERADE".into(),
        Target::Masquerade {
            ports: Some((lo, hi)),
        } => format!("-j MASQUERADE --to-ports {lo}-{hi}"),
        Target::Mark { value, mask } => format!("-j MARK --set-xmark {value:#x}/{mask:#x}"),
    }
}

/// One rule as `-A CHAIN ... -j TARGET`.
pub fn rule_line(chain: &str, rule: &Rule, name: &dyn Fn(PortId) -> String) -> String {
    let mut s = format!("-A {}", quoted(chain));
    for m in &rule.matches {
        s.push(' ');
        s.push_str(&one_match(m, name));
    }
    if let Some(c) = &rule.comment {
        let _ = write!(s, " -m comment --comment {}", quoted(c));
    }
    s.push(' ');
    s.push_str(&target(&rule.target));
    s
}

fn chain_header(c: &Chain, policy: Counters) -> String {
    let (p, n) = (policy.packets, policy.bytes);
    match (&c.hook, &c.policy) {
        (Some(_), Policy::Accept) => format!(":{} ACCEPT [{p}:{n}]", quoted(&c.name)),
        (Some(_), Policy::Drop(_)) => format!(":{} DROP [{p}:{n}]", quoted(&c.name)),
        (None, _) => format!(":{} - [0:0]", quoted(&c.name)),
    }
}

/// Table `ti` of `rs`, `iptables-save -c` style.
pub fn table(rs: &Ruleset, ti: usize, name: &dyn Fn(PortId) -> String) -> String {
    let t = &rs.tables()[ti];
    let mut out = String::new();
    if t.name == t.kind.name() {
        let _ = writeln!(out, "*{}", t.kind.name());
    } else {
        let _ = writeln!(out, "*{} {}", t.kind.name(), quoted(&t.name));
    }
    // iptables-save's order: built-in chains in hook order, then user chains as created.
    let mut chains: Vec<(usize, &Chain)> = t.chains.iter().enumerate().collect();
    chains.sort_by_key(|(_, c)| (c.hook.is_none(), c.hook));
    for &(ci, c) in &chains {
        let _ = writeln!(out, "{}", chain_header(c, rs.counters(ti, ci, None)));
    }
    for (_, c) in &chains {
        if let (Some(_), Policy::Drop(why)) = (&c.hook, &c.policy) {
            let _ = writeln!(out, "# policy of {}: {why}", c.name);
        }
    }
    for &(ci, c) in &chains {
        for (ri, r) in c.rules.iter().enumerate() {
            let counted = rs.counters(ti, ci, Some(ri));
            let _ = writeln!(
                out,
                "[{}:{}] {}",
                counted.packets,
                counted.bytes,
                rule_line(&c.name, r, name)
            );
        }
    }
    out.push_str("COMMIT\n");
    out
}

/// Every table of a ruleset.
pub fn ruleset(rs: &Ruleset, name: &dyn Fn(PortId) -> String) -> String {
    (0..rs.tables().len())
        .map(|ti| table(rs, ti, name))
        .collect()
}
