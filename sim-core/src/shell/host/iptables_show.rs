//! What `iptables-save`, `iptables -S` and `iptables -L` print for a namespace's ruleset, in
//! the layout of iptables 1.8.9 (nf_tables) as Debian 12 ships it (recorded in
//! `tests/oracle/fixtures/`).
//!
//! Owns the canonical order iptables prints a rule's parts in (`-s -d -i -o -p`, then the
//! protocol's own match, then the other matches, then the target), the `-L` columns (with
//! or without counters, `-x` exact numbers or `K`/`M`/`G`, `--line-numbers`), and the chain
//! order (built-in chains in hook order, then user chains by name, as iptables-nft's cache
//! keeps them). Everything is read from the ruleset and its counters.

use crate::device::rules::{
    Chain, CtDir, CtStates, CtStatus, Match, NatTo, Policy, Reject, Rule, Ruleset, Table, Target,
    Test,
};
use crate::id::PortId;
use ipnetwork::Ipv4Network;
use std::fmt::Write;

/// The version line iptables puts in its messages and `iptables-save` in its comments.
pub const VERSION: &str = "iptables v1.8.9 (nf_tables)";

/// The date `iptables-save` stamps its blocks with. The real tool prints the wall clock; a
/// simulation has none, so it is fixed (the oracle comparison masks it).
pub const SAVE_DATE: &str = "Thu Jan  1 00:00:00 2026";

/// The tables in the order iptables-nft lists them (its table array: mangle, raw, filter,
/// nat).
const TABLE_ORDER: [&str; 4] = ["mangle", "raw", "filter", "nat"];

/// The netfilter tables of a ruleset, in listing order, with their indexes.
pub fn tables(rs: &Ruleset) -> Vec<(usize, &Table)> {
    let mut out: Vec<(usize, &Table)> = rs
        .tables()
        .iter()
        .enumerate()
        .filter(|(_, t)| TABLE_ORDER.contains(&t.name.as_str()))
        .collect();
    out.sort_by_key(|(_, t)| TABLE_ORDER.iter().position(|n| *n == t.name));
    out
}

/// A table's chains as iptables lists them: built-in chains in hook order, then user chains
/// by name.
pub fn chains(t: &Table) -> Vec<(usize, &Chain)> {
    let mut chains: Vec<(usize, &Chain)> = t.chains.iter().enumerate().collect();
    chains.sort_by(|(_, a), (_, b)| {
        (a.hook.is_none(), a.hook, &a.name).cmp(&(b.hook.is_none(), b.hook, &b.name))
    });
    chains
}

fn policy_name(c: &Chain) -> &'static str {
    match c.policy {
        Policy::Accept => "ACCEPT",
        Policy::Drop(_) => "DROP",
    }
}

fn proto_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        n => n.to_string(),
    }
}

/// An address with its prefix as `-S` writes it (`172.17.0.2/32`).
fn net_s(n: &Ipv4Network) -> String {
    format!("{}/{}", n.network(), n.prefix())
}

fn ports_s(lo: u16, hi: u16) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}:{hi}")
    }
}

fn nat_to(t: &NatTo) -> String {
    match t.ports {
        // A port-only translation (`--to-source :53`, docker's embedded DNS rules) keeps
        // the address: iptables prints no address then (libxt_NAT's `print_range`).
        Some((lo, hi)) if t.addr.is_unspecified() && lo == hi => format!(":{lo}"),
        Some((lo, hi)) if t.addr.is_unspecified() => format!(":{lo}-{hi}"),
        None => t.addr.to_string(),
        Some((lo, hi)) if lo == hi => format!("{}:{lo}", t.addr),
        Some((lo, hi)) => format!("{}:{lo}-{hi}", t.addr),
    }
}

fn reject_name(r: Reject) -> &'static str {
    match r {
        Reject::IcmpNetUnreachable => "icmp-net-unreachable",
        Reject::IcmpHostUnreachable => "icmp-host-unreachable",
        Reject::IcmpPortUnreachable => "icmp-port-unreachable",
        Reject::IcmpAdminProhibited => "icmp-admin-prohibited",
        Reject::TcpReset => "tcp-reset",
    }
}

fn find(rule: &Rule, want: fn(&Test) -> bool) -> Option<&Match> {
    rule.matches.iter().find(|m| want(&m.test))
}

fn bang(m: &Match) -> &'static str {
    if m.negate {
        "! "
    } else {
        ""
    }
}

/// The protocol a rule tests (one, not negated), if any.
fn rule_proto(rule: &Rule) -> Option<u8> {
    rule.matches.iter().find_map(|m| match (&m.test, m.negate) {
        (Test::Proto(p), false) if p.len() == 1 => Some(p[0]),
        _ => None,
    })
}

/// Connection states in the order iptables' conntrack match prints them.
fn ctstate_names(s: CtStates) -> String {
    [
        (CtStates::INVALID, "INVALID"),
        (CtStates::NEW, "NEW"),
        (CtStates::RELATED, "RELATED"),
        (CtStates::ESTABLISHED, "ESTABLISHED"),
        (CtStates::UNTRACKED, "UNTRACKED"),
    ]
    .into_iter()
    .filter(|(st, _)| s.contains(*st))
    .map(|(_, n)| n)
    .collect::<Vec<_>>()
    .join(",")
}

fn ctstatus_names(s: CtStatus) -> String {
    let mut names = Vec::new();
    if s.intersects(CtStatus::SNAT) {
        names.push("SNAT");
    }
    if s.intersects(CtStatus::DNAT) {
        names.push("DNAT");
    }
    names.join(",")
}

fn target_name(t: &Target) -> String {
    match t {
        Target::Accept => "ACCEPT".into(),
        Target::Drop => "DROP".into(),
        Target::Reject(_) => "REJECT".into(),
        Target::Jump(c) | Target::Goto(c) => c.clone(),
        Target::Return => "RETURN".into(),
        Target::Dnat { .. } => "DNAT".into(),
        Target::Snat { .. } => "SNAT".into(),
        Target::Masquerade { .. } => "MASQUERADE".into(),
        Target::Mark { .. } => "MARK".into(),
    }
}

/// One rule as `iptables -S` and `iptables-save` print it: `-A CHAIN` and its parts in
/// iptables' order.
pub fn rule_spec(chain: &str, rule: &Rule, name: &dyn Fn(PortId) -> String) -> String {
    let mut s = format!("-A {chain}");
    let iface = |ports: &[PortId]| ports.iter().map(|p| name(*p)).collect::<Vec<_>>().join(",");
    if let Some(m) = find(rule, |t| matches!(t, Test::Src(_))) {
        if let Test::Src(n) = &m.test {
            let nets: Vec<String> = n.iter().map(net_s).collect();
            let _ = write!(s, " {}-s {}", bang(m), nets.join(","));
        }
    }
    if let Some(m) = find(rule, |t| matches!(t, Test::Dst(_))) {
        if let Test::Dst(n) = &m.test {
            let nets: Vec<String> = n.iter().map(net_s).collect();
            let _ = write!(s, " {}-d {}", bang(m), nets.join(","));
        }
    }
    if let Some(m) = find(rule, |t| matches!(t, Test::InPort(_))) {
        if let Test::InPort(p) = &m.test {
            let _ = write!(s, " {}-i {}", bang(m), iface(p));
        }
    }
    if let Some(m) = find(rule, |t| matches!(t, Test::OutPort(_))) {
        if let Test::OutPort(p) = &m.test {
            let _ = write!(s, " {}-o {}", bang(m), iface(p));
        }
    }
    if let Some(m) = find(rule, |t| matches!(t, Test::Proto(_))) {
        if let Test::Proto(p) = &m.test {
            let names: Vec<String> = p.iter().map(|p| proto_name(*p)).collect();
            let _ = write!(s, " {}-p {}", bang(m), names.join(","));
        }
    }
    let sport = find(rule, |t| matches!(t, Test::SrcPort(..)));
    let dport = find(rule, |t| matches!(t, Test::DstPort(..)));
    if sport.is_some() || dport.is_some() {
        let _ = write!(
            s,
            " -m {}",
            rule_proto(rule).map_or("tcp".into(), proto_name)
        );
        for m in [sport, dport].into_iter().flatten() {
            match m.test {
                Test::SrcPort(lo, hi) => {
                    let _ = write!(s, " {}--sport {}", bang(m), ports_s(lo, hi));
                }
                Test::DstPort(lo, hi) => {
                    let _ = write!(s, " {}--dport {}", bang(m), ports_s(lo, hi));
                }
                _ => {}
            }
        }
    }
    for m in &rule.matches {
        let not = bang(m);
        match &m.test {
            Test::CtState(st) => {
                let _ = write!(s, " -m conntrack {not}--ctstate {}", ctstate_names(*st));
            }
            Test::CtStatus(st) => {
                let _ = write!(s, " -m conntrack {not}--ctstatus {}", ctstatus_names(*st));
            }
            Test::CtDir(d) => {
                let d = match d {
                    CtDir::Original => "ORIGINAL",
                    CtDir::Reply => "REPLY",
                };
                let _ = write!(s, " -m conntrack {not}--ctdir {d}");
            }
            Test::Mark { value, mask } => {
                let _ = write!(s, " -m mark {not}--mark {value:#x}/{mask:#x}");
            }
            Test::DstLocal { in_port_only } => {
                let _ = write!(s, " -m addrtype {not}--dst-type LOCAL");
                if *in_port_only {
                    s.push_str(" --limit-iface-in");
                }
            }
            Test::SrcLocal => {
                let _ = write!(s, " -m addrtype {not}--src-type LOCAL");
            }
            _ => {}
        }
    }
    if let Some(c) = &rule.comment {
        let _ = write!(s, " -m comment --comment {}", quote_arg(c));
    }
    match &rule.target {
        Target::Goto(c) => {
            let _ = write!(s, " -g {c}");
        }
        t => {
            let _ = write!(s, " -j {}", target_name(t));
        }
    }
    match &rule.target {
        Target::Reject(r) => {
            let _ = write!(s, " --reject-with {}", reject_name(*r));
        }
        Target::Dnat { to, .. } => {
            for t in to {
                let _ = write!(s, " --to-destination {}", nat_to(t));
            }
        }
        Target::Snat { to } => {
            let _ = write!(s, " --to-source {}", nat_to(to));
        }
        Target::Masquerade {
            ports: Some((lo, hi)),
        } => {
            let _ = write!(s, " --to-ports {lo}-{hi}");
        }
        Target::Mark { value, mask } => {
            let _ = write!(s, " --set-xmark {value:#x}/{mask:#x}");
        }
        _ => {}
    }
    s
}

/// A comment as iptables quotes it: bare when it has no space or quote.
fn quote_arg(s: &str) -> String {
    if !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\\\""))
    }
}

/// `iptables -S [chain]` for one table: policies and new chains, then the rules.
pub fn list_specs(t: &Table, only: Option<usize>, name: &dyn Fn(PortId) -> String) -> String {
    let mut out = String::new();
    let chains: Vec<(usize, &Chain)> = chains(t)
        .into_iter()
        .filter(|(ci, _)| only.is_none_or(|o| o == *ci))
        .collect();
    for (_, c) in &chains {
        if c.hook.is_some() {
            let _ = writeln!(out, "-P {} {}", c.name, policy_name(c));
        } else {
            let _ = writeln!(out, "-N {}", c.name);
        }
    }
    for (_, c) in &chains {
        for r in &c.rules {
            let _ = writeln!(out, "{}", rule_spec(&c.name, r, name));
        }
    }
    out
}

/// One table as `iptables-save` prints it (`counters`: with `-c`, each rule's
/// `[packets:bytes]` in front).
pub fn save_table(
    rs: &Ruleset,
    ti: usize,
    counters: bool,
    name: &dyn Fn(PortId) -> String,
) -> String {
    let t = &rs.tables()[ti];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Generated by iptables-save v1.8.9 (nf_tables) on {SAVE_DATE}"
    );
    let _ = writeln!(out, "*{}", t.name);
    let chains = chains(t);
    for &(ci, c) in &chains {
        if c.hook.is_some() {
            let n = rs.counters(ti, ci, None);
            let _ = writeln!(
                out,
                ":{} {} [{}:{}]",
                c.name,
                policy_name(c),
                n.packets,
                n.bytes
            );
        } else {
            let _ = writeln!(out, ":{} - [0:0]", c.name);
        }
    }
    for &(ci, c) in &chains {
        for (ri, r) in c.rules.iter().enumerate() {
            if counters {
                let n = rs.counters(ti, ci, Some(ri));
                let _ = write!(out, "[{}:{}] ", n.packets, n.bytes);
            }
            let _ = writeln!(out, "{}", rule_spec(&c.name, r, name));
        }
    }
    out.push_str("COMMIT\n");
    let _ = writeln!(out, "# Completed on {SAVE_DATE}");
    out
}

/// How `iptables -L` was asked to print.
#[derive(Clone, Copy, Debug, Default)]
pub struct ListFormat {
    /// `-v`: counters and interfaces.
    pub verbose: bool,
    /// `-x`: exact counters instead of `K`/`M`/`G`.
    pub exact: bool,
    /// `-n`: numbers, not names (hnsim never resolves names; without `-n` only `anywhere`
    /// and protocol names differ).
    pub numeric: bool,
    pub line_numbers: bool,
}

/// A counter as `xtables_print_num` prints it in a table column.
fn num(n: u64, f: ListFormat) -> String {
    if f.exact {
        return format!("{n:>8} ");
    }
    if n <= 99_999 {
        return format!("{n:>5} ");
    }
    let mut n = n;
    for unit in ["K", "M", "G"] {
        n = (n + 500) / 1000;
        if n <= 9999 {
            return format!("{n:>4}{unit} ");
        }
    }
    format!("{:>4}T ", (n + 500) / 1000)
}

/// A counter in the policy line (`xtables_print_num` with `FMT_NOTABLE`).
fn num_plain(n: u64, f: ListFormat) -> String {
    num(n, f).trim_start().to_string()
}

/// How many rules of the table jump or go to `chain`.
fn references(t: &Table, chain: &str) -> usize {
    t.chains
        .iter()
        .flat_map(|c| c.rules.iter())
        .filter(|r| matches!(&r.target, Target::Jump(n) | Target::Goto(n) if n == chain))
        .count()
}

fn addr_col(m: Option<&Match>, numeric: bool) -> String {
    let (not, text) = match m.map(|m| (&m.test, m.negate)) {
        Some((Test::Src(n) | Test::Dst(n), neg)) if !n.is_empty() => {
            let n = n[0];
            let text = if n.prefix() == 32 {
                n.ip().to_string()
            } else {
                format!("{}/{}", n.network(), n.prefix())
            };
            (if neg { "!" } else { " " }, text)
        }
        _ if numeric => (" ", "0.0.0.0/0".to_string()),
        _ => (" ", "anywhere".to_string()),
    };
    format!("{not}{text:<19} ")
}

fn iface_col(m: Option<&Match>, name: &dyn Fn(PortId) -> String, numeric: bool) -> String {
    match m.map(|m| (&m.test, m.negate)) {
        Some((Test::InPort(p) | Test::OutPort(p), neg)) if !p.is_empty() => {
            format!("{}{}", if neg { "!" } else { "" }, name(p[0]))
        }
        _ if numeric => "*".into(),
        _ => "any".into(),
    }
}

/// What `-L` prints after the addresses: each match's own words, then the target's.
fn extras(rule: &Rule) -> String {
    let mut s = String::new();
    let sport = find(rule, |t| matches!(t, Test::SrcPort(..)));
    let dport = find(rule, |t| matches!(t, Test::DstPort(..)));
    if sport.is_some() || dport.is_some() {
        let _ = write!(s, " {}", rule_proto(rule).map_or("tcp".into(), proto_name));
        for (m, one, many) in [(sport, "spt", "spts"), (dport, "dpt", "dpts")] {
            let Some(m) = m else { continue };
            let (Test::SrcPort(lo, hi) | Test::DstPort(lo, hi)) = m.test else {
                continue;
            };
            let not = if m.negate { "!" } else { "" };
            if lo == hi {
                let _ = write!(s, " {one}:{not}{lo}");
            } else {
                let _ = write!(s, " {many}:{not}{lo}:{hi}");
            }
        }
    }
    for m in &rule.matches {
        let not = if m.negate { " !" } else { "" };
        match &m.test {
            Test::CtState(st) => {
                let _ = write!(s, "{not} ctstate {}", ctstate_names(*st));
            }
            Test::CtStatus(st) => {
                let _ = write!(s, "{not} ctstatus {}", ctstatus_names(*st));
            }
            Test::CtDir(d) => {
                let _ = write!(
                    s,
                    "{not} ctdir {}",
                    match d {
                        CtDir::Original => "ORIGINAL",
                        CtDir::Reply => "REPLY",
                    }
                );
            }
            Test::Mark { value, mask } => {
                let _ = write!(s, " mark match{not} {value:#x}/{mask:#x}");
            }
            Test::DstLocal { in_port_only } => {
                let _ = write!(s, " ADDRTYPE match dst-type{not} LOCAL");
                if *in_port_only {
                    s.push_str(" limit-in");
                }
            }
            Test::SrcLocal => {
                let _ = write!(s, " ADDRTYPE match src-type{not} LOCAL");
            }
            _ => {}
        }
    }
    if let Some(c) = &rule.comment {
        let _ = write!(s, " /* {c} */");
    }
    match &rule.target {
        Target::Reject(r) => {
            let _ = write!(s, " reject-with {}", reject_name(*r));
        }
        Target::Dnat { to, .. } => {
            for t in to {
                let _ = write!(s, " to:{}", nat_to(t));
            }
        }
        Target::Snat { to } => {
            let _ = write!(s, " to:{}", nat_to(to));
        }
        Target::Masquerade {
            ports: Some((lo, hi)),
        } => {
            let _ = write!(s, " masq ports: {lo}-{hi}");
        }
        Target::Mark { value, mask } => {
            let _ = write!(s, " MARK xset {value:#x}/{mask:#x}");
        }
        _ => {}
    }
    s
}

/// One chain as `iptables -L` prints it: its header, the column titles, one line per rule.
pub fn list_chain(
    rs: &Ruleset,
    ti: usize,
    ci: usize,
    f: ListFormat,
    name: &dyn Fn(PortId) -> String,
) -> String {
    let t = &rs.tables()[ti];
    let c = &t.chains[ci];
    let mut out = format!("Chain {}", c.name);
    if c.hook.is_some() {
        let _ = write!(out, " (policy {}", policy_name(c));
        if f.verbose {
            let n = rs.counters(ti, ci, None);
            let _ = write!(
                out,
                " {}packets, {}bytes",
                num_plain(n.packets, f),
                num_plain(n.bytes, f)
            );
        }
        out.push_str(")\n");
    } else {
        let _ = writeln!(out, " ({} references)", references(t, &c.name));
    }
    if f.line_numbers {
        out.push_str("num  ");
    }
    if f.verbose {
        if f.exact {
            out.push_str("    pkts      bytes ");
        } else {
            out.push_str(" pkts bytes ");
        }
    }
    out.push_str(&format!("{:<9} ", "target"));
    out.push_str(" prot opt");
    if f.verbose {
        out.push_str(&format!(" {:<6} {:<6} ", "in", "out"));
    }
    out.push_str(&format!(" {:<19}  {:<19} \n", "source", "destination"));
    for (ri, r) in c.rules.iter().enumerate() {
        if f.line_numbers {
            let _ = write!(out, "{:<4} ", ri + 1);
        }
        if f.verbose {
            let n = rs.counters(ti, ci, Some(ri));
            out.push_str(&num(n.packets, f));
            out.push_str(&num(n.bytes, f));
        }
        let _ = write!(out, "{:<9} ", target_name(&r.target));
        let proto = find(r, |t| matches!(t, Test::Proto(_)));
        let (pnot, pname) = match proto.map(|m| (&m.test, m.negate)) {
            Some((Test::Proto(p), neg)) if !p.is_empty() => (
                if neg { '!' } else { ' ' },
                if f.numeric {
                    p[0].to_string()
                } else {
                    proto_name(p[0])
                },
            ),
            _ => (' ', if f.numeric { "0".into() } else { "all".into() }),
        };
        let _ = write!(out, "{pnot}{pname:<4} ");
        out.push_str("-- ");
        if f.verbose {
            let i = iface_col(find(r, |t| matches!(t, Test::InPort(_))), name, f.numeric);
            let o = iface_col(find(r, |t| matches!(t, Test::OutPort(_))), name, f.numeric);
            let _ = write!(out, " {i:<6} {o:<6} ");
        }
        out.push_str(&addr_col(find(r, |t| matches!(t, Test::Src(_))), f.numeric));
        out.push_str(&addr_col(find(r, |t| matches!(t, Test::Dst(_))), f.numeric));
        out.push_str(&extras(r));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::rules::{Hook, RuleSpec, TableKind};

    fn rules() -> Ruleset {
        let mut rs = Ruleset::new();
        rs.ensure_table("filter", TableKind::Filter);
        rs.ensure_base_chain("filter", "FORWARD", Hook::Forward, Policy::Accept)
            .unwrap();
        rs.ensure_chain("filter", "DOCKER", None).unwrap();
        // Written in another order than iptables prints it.
        let spec = RuleSpec::new(
            vec![
                Match::is(Test::DstPort(80, 80)),
                Match::is(Test::Proto(vec![6])),
                Match::is(Test::OutPort(vec![PortId(1)])),
                Match::not(Test::InPort(vec![PortId(1)])),
                Match::is(Test::Dst(vec!["172.17.0.2/32".parse().unwrap()])),
            ],
            Target::Accept,
        );
        rs.append("filter", "DOCKER", spec).unwrap();
        rs
    }

    fn name(p: PortId) -> String {
        ["eth0", "docker0"][usize::from(p.0)].to_string()
    }

    #[test]
    fn a_rule_prints_in_iptables_order() {
        let rs = rules();
        let t = &rs.tables()[0];
        let c = t.chains.iter().find(|c| c.name == "DOCKER").unwrap();
        assert_eq!(
            rule_spec("DOCKER", &c.rules[0], &name),
            "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT"
        );
        assert_eq!(
            list_specs(t, None, &name),
            "-P FORWARD ACCEPT\n-N DOCKER\n-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT\n"
        );
    }

    #[test]
    fn list_columns_follow_xtables() {
        let rs = rules();
        let ci = rs.tables()[0]
            .chains
            .iter()
            .position(|c| c.name == "DOCKER")
            .unwrap();
        let f = ListFormat {
            verbose: true,
            numeric: true,
            ..Default::default()
        };
        assert_eq!(
            list_chain(&rs, 0, ci, f, &name),
            "Chain DOCKER (0 references)\n pkts bytes target     prot opt in     out     source               destination         \n    0     0 ACCEPT     6    --  !docker0 docker0  0.0.0.0/0            172.17.0.2           tcp dpt:80\n"
        );
    }

    #[test]
    fn counters_shrink_to_k_m_g_unless_exact() {
        let f = ListFormat::default();
        assert_eq!(num(99_999, f), "99999 ");
        assert_eq!(num(100_000, f), " 100K ");
        assert_eq!(num(12_345_678, f), "  12M ");
        let x = ListFormat { exact: true, ..f };
        assert_eq!(num(12_345_678, x), "12345678 ");
    }
}
