//! `iptables` and `iptables-save` on a Linux namespace: listing (`-L`, `-S`, `iptables-save`)
//! and editing (`-I`, `-A`, `-D`, `-F`, `-Z`, `-N`, `-P`) its ruleset, with iptables 1.8.9's
//! own words for what it refuses.
//!
//! A rule typed here is compiled into the same rule model libnetwork programs, so it takes
//! effect on the next packet: a `DOCKER-USER` DROP drops probes, and the drop names it.
//! The rule syntax understood is what users type for Docker hosts: `-s -d -i -o -p --sport
//! --dport`, `-m tcp|udp`, `-m comment --comment`, `-m conntrack --ctstate`, `-m state
//! --state`, `-j ACCEPT|DROP|RETURN|REJECT|<chain>` (`--reject-with`), `-g <chain>`, and in
//! the nat table `DNAT --to-destination`, `SNAT --to-source`, `MASQUERADE`.

use super::iptables_show::{self as show, ListFormat, VERSION};
use crate::device::rules::{
    Balance, CtStates, Hook, Match, NatTo, Policy, Reject, RuleSpec, Ruleset, TableKind, Target,
    Test,
};
use crate::device::stack::IpStack;
use crate::id::PortId;
use crate::shell::ShellOutput;
use ipnetwork::Ipv4Network;
use std::net::Ipv4Addr;

/// A parameter problem, worded and ended as iptables does (status 2).
fn usage(msg: &str) -> ShellOutput {
    ShellOutput::fail(
        2,
        format!("{VERSION}: {msg}\nTry `iptables -h' or 'iptables --help' for more information.\n"),
    )
}

/// The kernel refused (status 1): `iptables: <message>.`
fn refused(msg: &str) -> ShellOutput {
    ShellOutput::fail(1, format!("iptables: {msg}.\n"))
}

fn no_chain() -> ShellOutput {
    refused("No chain/target/match by that name")
}

/// The policy text a trace shows when a chain's policy was set by hand.
fn drop_policy(chain: &str) -> Policy {
    Policy::Drop(format!("{chain} policy DROP (set with iptables -P)"))
}

/// `iptables-save [-t table] [-c]`.
pub fn save(stack: &IpStack, argv: &[String]) -> ShellOutput {
    let mut only: Option<&str> = None;
    let mut counters = false;
    let mut args = argv.iter().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-t" | "--table" => match args.next() {
                Some(t) => only = Some(t),
                None => return usage("option \"-t\" requires an argument"),
            },
            "-c" | "--counters" => counters = true,
            other => {
                return ShellOutput::fail(
                    1,
                    format!("iptables-save: unrecognized option '{other}'\n"),
                )
            }
        }
    }
    let rs = &stack.rules;
    if let Some(t) = only {
        if !show::tables(rs).iter().any(|(_, x)| x.name == t) {
            return ShellOutput::fail(1, format!("iptables-save: Unknown table: {t}\n"));
        }
    }
    let name = |p: PortId| stack.iface_name(p);
    let text: String = show::tables(rs)
        .into_iter()
        .filter(|(_, t)| only.is_none_or(|o| o == t.name))
        .map(|(ti, _)| show::save_table(rs, ti, counters, &name))
        .collect();
    ShellOutput::ok(text)
}

/// What an `iptables` line asks for.
enum Command {
    List(Option<String>),
    Specs(Option<String>),
    Insert(String, usize),
    Append(String),
    Delete(String, Option<usize>),
    Flush(Option<String>),
    Zero(Option<String>),
    NewChain(String),
    SetPolicy(String, String),
}

/// `iptables …` on a namespace.
pub fn iptables(stack: &mut IpStack, argv: &[String]) -> ShellOutput {
    let mut table = "filter".to_string();
    let mut command: Option<Command> = None;
    let mut fmt = ListFormat::default();
    let mut rest: Vec<String> = Vec::new();
    let mut i = 1;
    let chain_arg = |i: &mut usize| -> Option<String> {
        let next = argv.get(*i + 1)?;
        if next.starts_with('-') && next != "-" {
            return None;
        }
        *i += 1;
        Some(next.clone())
    };
    while i < argv.len() {
        let a = argv[i].as_str();
        let set = |c: Command, command: &mut Option<Command>| -> Result<(), ShellOutput> {
            if command.is_some() {
                return Err(usage(
                    "multiple commands on the command line are not allowed",
                ));
            }
            *command = Some(c);
            Ok(())
        };
        let r = match a {
            "-t" | "--table" => match argv.get(i + 1) {
                Some(t) => {
                    table = t.clone();
                    i += 1;
                    Ok(())
                }
                None => return usage("option \"-t\" requires an argument"),
            },
            "-L" | "--list" => {
                let c = chain_arg(&mut i);
                set(Command::List(c), &mut command)
            }
            "-S" | "--list-rules" => {
                let c = chain_arg(&mut i);
                set(Command::Specs(c), &mut command)
            }
            "-F" | "--flush" => {
                let c = chain_arg(&mut i);
                set(Command::Flush(c), &mut command)
            }
            "-Z" | "--zero" => {
                let c = chain_arg(&mut i);
                set(Command::Zero(c), &mut command)
            }
            "-N" | "--new-chain" | "-A" | "--append" | "-I" | "--insert" | "-D" | "--delete"
            | "-P" | "--policy" => {
                let Some(chain) = chain_arg(&mut i) else {
                    return usage(&format!("option \"{a}\" requires an argument"));
                };
                let c = match a {
                    "-N" | "--new-chain" => Command::NewChain(chain),
                    "-A" | "--append" => Command::Append(chain),
                    "-P" | "--policy" => {
                        let Some(p) = argv.get(i + 1) else {
                            return usage("-P requires a chain and a policy");
                        };
                        i += 1;
                        Command::SetPolicy(chain, p.clone())
                    }
                    _ => {
                        let n = argv
                            .get(i + 1)
                            .and_then(|n| n.parse::<usize>().ok())
                            .inspect(|_| i += 1);
                        if a == "-I" || a == "--insert" {
                            if n == Some(0) {
                                return usage("Invalid rule number `0'");
                            }
                            Command::Insert(chain, n.unwrap_or(1))
                        } else {
                            Command::Delete(chain, n)
                        }
                    }
                };
                set(c, &mut command)
            }
            "-n" | "--numeric" => {
                fmt.numeric = true;
                Ok(())
            }
            "-v" | "--verbose" => {
                fmt.verbose = true;
                Ok(())
            }
            "-x" | "--exact" => {
                fmt.exact = true;
                Ok(())
            }
            "--line-numbers" => {
                fmt.line_numbers = true;
                Ok(())
            }
            // Combined short flags: `-nvL`, `-vnx`.
            s if s.len() > 2
                && s.starts_with('-')
                && !s.starts_with("--")
                && s[1..].chars().all(|c| "nvxL".contains(c)) =>
            {
                for c in s[1..].chars() {
                    match c {
                        'n' => fmt.numeric = true,
                        'v' => fmt.verbose = true,
                        'x' => fmt.exact = true,
                        _ => {}
                    }
                }
                // `-L` last takes the chain after it (`-nvL FORWARD`).
                if s.ends_with('L') {
                    let c = chain_arg(&mut i);
                    set(Command::List(c), &mut command)
                } else if s.contains('L') {
                    set(Command::List(None), &mut command)
                } else {
                    Ok(())
                }
            }
            _ => {
                rest.push(argv[i].clone());
                Ok(())
            }
        };
        if let Err(e) = r {
            return e;
        }
        i += 1;
    }
    let Some(command) = command else {
        return usage("no command specified");
    };
    if !["filter", "nat", "raw", "mangle"].contains(&table.as_str()) {
        return ShellOutput::fail(
            3,
            format!(
                "{VERSION}: can't initialize iptables table `{table}': Table does not exist (do you need to insmod?)\nPerhaps iptables or your kernel needs to be upgraded.\n"
            ),
        );
    }
    if stack.rules.table_index(&table).is_none() {
        // A table nothing uses yet: iptables shows (and, on a change, creates) it with its
        // built-in chains, empty, policy ACCEPT.
        let mut fresh = Ruleset::new();
        with_builtins(&mut fresh, &table);
        match &command {
            Command::List(chain) => return list(&fresh, stack, &table, chain.as_deref(), fmt),
            Command::Specs(chain) => return specs(&fresh, stack, &table, chain.as_deref()),
            Command::Flush(_) | Command::Zero(_) => {}
            _ => with_builtins(&mut stack.rules, &table),
        }
    }
    match command {
        Command::List(chain) => list(&stack.rules, stack, &table, chain.as_deref(), fmt),
        Command::Specs(chain) => specs(&stack.rules, stack, &table, chain.as_deref()),
        Command::NewChain(chain) => {
            if chain_index(&stack.rules, &table, &chain).is_some() {
                return refused("Chain already exists");
            }
            match stack.rules.ensure_chain(&table, &chain, None) {
                Ok(()) => ShellOutput::ok(""),
                Err(e) => refused(&e.to_string()),
            }
        }
        Command::SetPolicy(chain, p) => {
            let Some(ci) = chain_index(&stack.rules, &table, &chain) else {
                return no_chain();
            };
            let ti = stack.rules.table_index(&table).expect("the chain's table");
            if stack.rules.tables()[ti].chains[ci].hook.is_none() {
                return refused("Bad built-in chain name");
            }
            let policy = match p.as_str() {
                "ACCEPT" => Policy::Accept,
                "DROP" => drop_policy(&chain),
                _ => return refused("Bad policy name"),
            };
            match stack.rules.set_policy(&table, &chain, policy) {
                Ok(()) => ShellOutput::ok(""),
                Err(e) => refused(&e.to_string()),
            }
        }
        Command::Flush(chain) => {
            let ids: Vec<_> = match (stack.rules.table_index(&table), &chain) {
                (None, _) => Vec::new(),
                (Some(ti), c) => {
                    if let Some(c) = c {
                        if chain_index(&stack.rules, &table, c).is_none() {
                            return no_chain();
                        }
                    }
                    stack.rules.tables()[ti]
                        .chains
                        .iter()
                        .filter(|ch| c.as_ref().is_none_or(|c| *c == ch.name))
                        .flat_map(|ch| ch.rules.iter().map(|r| r.id))
                        .collect()
                }
            };
            for id in ids {
                stack.rules.remove_rule(id);
            }
            ShellOutput::ok("")
        }
        Command::Zero(chain) => {
            if let Some(c) = &chain {
                if chain_index(&stack.rules, &table, c).is_none() {
                    return no_chain();
                }
            }
            stack.rules.zero_counters_of(&table, chain.as_deref());
            ShellOutput::ok("")
        }
        Command::Insert(chain, n) => add(stack, &table, &chain, Some(n - 1), &rest),
        Command::Append(chain) => add(stack, &table, &chain, None, &rest),
        Command::Delete(chain, n) => delete(stack, &table, &chain, n, &rest),
    }
}

/// Adds `table` with its built-in chains (policy ACCEPT) where they are missing.
fn with_builtins(rs: &mut Ruleset, table: &str) {
    let hooks: &[Hook] = match table {
        "filter" => &[Hook::Input, Hook::Forward, Hook::Output],
        "nat" => &[
            Hook::Prerouting,
            Hook::Input,
            Hook::Output,
            Hook::Postrouting,
        ],
        "raw" => &[Hook::Prerouting, Hook::Output],
        _ => &Hook::ALL,
    };
    rs.ensure_table(table, kind_of(table));
    for h in hooks {
        let _ = rs.ensure_base_chain(table, h.chain_name(), *h, Policy::Accept);
    }
}

fn kind_of(table: &str) -> TableKind {
    match table {
        "nat" => TableKind::Nat,
        "raw" => TableKind::Raw,
        "mangle" => TableKind::Mangle,
        _ => TableKind::Filter,
    }
}

fn chain_index(rs: &Ruleset, table: &str, chain: &str) -> Option<usize> {
    let ti = rs.table_index(table)?;
    rs.tables()[ti].chains.iter().position(|c| c.name == chain)
}

fn list(
    rs: &Ruleset,
    stack: &IpStack,
    table: &str,
    chain: Option<&str>,
    fmt: ListFormat,
) -> ShellOutput {
    let name = |p: PortId| stack.iface_name(p);
    let Some(ti) = rs.table_index(table) else {
        return match chain {
            Some(_) => no_chain(),
            None => ShellOutput::ok(""),
        };
    };
    let t = &rs.tables()[ti];
    let chosen: Vec<usize> = match chain {
        Some(c) => match t.chains.iter().position(|x| x.name == c) {
            Some(ci) => vec![ci],
            None => return no_chain(),
        },
        None => show::chains(t).into_iter().map(|(ci, _)| ci).collect(),
    };
    let blocks: Vec<String> = chosen
        .into_iter()
        .map(|ci| show::list_chain(rs, ti, ci, fmt, &name))
        .collect();
    ShellOutput::ok(blocks.join("\n"))
}

fn specs(rs: &Ruleset, stack: &IpStack, table: &str, chain: Option<&str>) -> ShellOutput {
    let name = |p: PortId| stack.iface_name(p);
    let Some(ti) = rs.table_index(table) else {
        return match chain {
            Some(_) => no_chain(),
            None => ShellOutput::ok(""),
        };
    };
    let t = &rs.tables()[ti];
    let only = match chain {
        Some(c) => match t.chains.iter().position(|x| x.name == c) {
            Some(ci) => Some(ci),
            None => return no_chain(),
        },
        None => None,
    };
    ShellOutput::ok(show::list_specs(t, only, &name))
}

fn add(
    stack: &mut IpStack,
    table: &str,
    chain: &str,
    at: Option<usize>,
    words: &[String],
) -> ShellOutput {
    let Some(ci) = chain_index(&stack.rules, table, chain) else {
        return no_chain();
    };
    let spec = match parse_rule(stack, table, words) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let ti = stack.rules.table_index(table).expect("the chain's table");
    let len = stack.rules.tables()[ti].chains[ci].rules.len();
    let r = match at {
        Some(pos) if pos > len => return refused("Index of insertion too big"),
        Some(pos) => stack.rules.insert(table, chain, pos, spec),
        None => stack.rules.append(table, chain, spec),
    };
    match r {
        Ok(_) => ShellOutput::ok(""),
        Err(e) => refused(&e.to_string()),
    }
}

fn delete(
    stack: &mut IpStack,
    table: &str,
    chain: &str,
    n: Option<usize>,
    words: &[String],
) -> ShellOutput {
    let Some(ci) = chain_index(&stack.rules, table, chain) else {
        return no_chain();
    };
    let ti = stack.rules.table_index(table).expect("the chain's table");
    let rules = &stack.rules.tables()[ti].chains[ci].rules;
    let id = match n {
        Some(n) => match n.checked_sub(1).and_then(|i| rules.get(i)) {
            Some(r) => r.id,
            None => return refused("Index of deletion too big"),
        },
        None => {
            let spec = match parse_rule(stack, table, words) {
                Ok(s) => s,
                Err(e) => return e,
            };
            let rules = &stack.rules.tables()[ti].chains[ci].rules;
            let found = rules.iter().find(|r| {
                r.matches == spec.matches && r.target == spec.target && r.comment == spec.comment
            });
            match found {
                Some(r) => r.id,
                None => return refused("Bad rule (does a matching rule exist in that chain?)"),
            }
        }
    };
    stack.rules.remove_rule(id);
    ShellOutput::ok("")
}

/// An address or prefix as iptables reads it: host bits are cleared (`10.0.0.5/24` is
/// `10.0.0.0/24`), a bare address is a `/32`.
fn parse_net(s: &str) -> Option<Ipv4Network> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, l.parse::<u8>().ok()?),
        None => (s, 32),
    };
    let ip: Ipv4Addr = addr.parse().ok()?;
    let n = Ipv4Network::new(ip, len).ok()?;
    Ipv4Network::new(n.network(), len).ok()
}

fn parse_ports(s: &str) -> Option<(u16, u16)> {
    match s.split_once(':') {
        Some((a, b)) => {
            let lo = if a.is_empty() { 0 } else { a.parse().ok()? };
            let hi = if b.is_empty() { 65535 } else { b.parse().ok()? };
            (lo <= hi).then_some((lo, hi))
        }
        None => s.parse().ok().map(|p| (p, p)),
    }
}

fn parse_states(s: &str) -> Option<CtStates> {
    let mut st = CtStates(0);
    for w in s.split(',') {
        st = st.union(match w {
            "NEW" => CtStates::NEW,
            "ESTABLISHED" => CtStates::ESTABLISHED,
            "RELATED" => CtStates::RELATED,
            "INVALID" => CtStates::INVALID,
            "UNTRACKED" => CtStates::UNTRACKED,
            _ => return None,
        });
    }
    Some(st)
}

fn parse_nat_to(s: &str) -> Option<NatTo> {
    let (addr, ports) = match s.split_once(':') {
        Some((a, p)) => {
            let (lo, hi) = match p.split_once('-') {
                Some((lo, hi)) => (lo.parse().ok()?, hi.parse().ok()?),
                None => {
                    let p = p.parse().ok()?;
                    (p, p)
                }
            };
            // iptables refuses a range that runs backwards (`2000-1000`).
            if lo > hi {
                return None;
            }
            (a, Some((lo, hi)))
        }
        None => (s, None),
    };
    Some(NatTo {
        addr: addr.parse().ok()?,
        ports,
    })
}

/// Compiles the words of a rule (everything after the chain) into a rule of the model.
fn parse_rule(stack: &IpStack, table: &str, words: &[String]) -> Result<RuleSpec, ShellOutput> {
    let mut matches: Vec<Match> = Vec::new();
    let mut comment = None;
    let mut target: Option<Target> = None;
    let mut reject = Reject::IcmpPortUnreachable;
    let mut nat_to: Vec<NatTo> = Vec::new();
    let mut proto: Option<u8> = None;
    let mut modules: Vec<String> = Vec::new();
    let mut negate = false;
    let mut it = words.iter();
    let port_of = |name: &str| -> Result<PortId, ShellOutput> {
        stack.iface_by_name(name).ok_or_else(|| {
            ShellOutput::fail(
                2,
                format!("hnsim: iptables: no interface named {name:?} in this namespace (rules on interfaces that do not exist yet are not modelled)\n"),
            )
        })
    };
    while let Some(w) = it.next() {
        let w = w.as_str();
        if w == "!" {
            negate = true;
            continue;
        }
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| usage(&format!("option \"{w}\" requires an argument")))
        };
        let test = match w {
            "-s" | "--source" | "--src" | "-d" | "--destination" | "--dst" => {
                let v = value()?;
                let Some(n) = parse_net(&v) else {
                    return Err(usage(&format!("host/network `{v}' not found")));
                };
                Some(if w.starts_with("-s") || w.starts_with("--s") {
                    Test::Src(vec![n])
                } else {
                    Test::Dst(vec![n])
                })
            }
            "-i" | "--in-interface" => Some(Test::InPort(vec![port_of(&value()?)?])),
            "-o" | "--out-interface" => Some(Test::OutPort(vec![port_of(&value()?)?])),
            "-p" | "--protocol" => {
                let v = value()?;
                let p = match v.as_str() {
                    "tcp" | "6" => 6,
                    "udp" | "17" => 17,
                    "icmp" | "1" => 1,
                    "all" | "0" => {
                        negate = false;
                        continue;
                    }
                    other => match other.parse::<u8>() {
                        Ok(n) => n,
                        Err(_) => {
                            return Err(usage(&format!("unknown protocol \"{other}\" specified")))
                        }
                    },
                };
                proto = Some(p);
                Some(Test::Proto(vec![p]))
            }
            "--dport" | "--destination-port" | "--sport" | "--source-port" => {
                if !matches!(proto, Some(6 | 17)) {
                    return Err(usage(&format!("unknown option \"{w}\"")));
                }
                let v = value()?;
                let Some((lo, hi)) = parse_ports(&v) else {
                    return Err(usage(&format!("invalid port/service `{v}' specified")));
                };
                Some(if w.contains('d') {
                    Test::DstPort(lo, hi)
                } else {
                    Test::SrcPort(lo, hi)
                })
            }
            "-m" | "--match" => {
                let m = value()?;
                match m.as_str() {
                    "tcp" | "udp" if proto == Some(if m == "tcp" { 6 } else { 17 }) => {}
                    "comment" | "conntrack" | "state" | "addrtype" => {}
                    "tcp" | "udp" => {
                        return Err(usage(&format!(
                            "Couldn't load match `{m}':No such file or directory"
                        )))
                    }
                    _ => {
                        return Err(usage(&format!(
                            "Couldn't load match `{m}':No such file or directory"
                        )))
                    }
                }
                modules.push(m);
                None
            }
            "--comment" if modules.iter().any(|m| m == "comment") => {
                comment = Some(value()?);
                None
            }
            "--ctstate" | "--state" if modules.iter().any(|m| m == "conntrack" || m == "state") => {
                let v = value()?;
                let Some(st) = parse_states(&v) else {
                    return Err(usage(&format!("Bad ctstate \"{v}\"")));
                };
                Some(Test::CtState(st))
            }
            "--dst-type" | "--src-type" if modules.iter().any(|m| m == "addrtype") => {
                let v = value()?;
                if v != "LOCAL" {
                    return Err(ShellOutput::fail(
                        2,
                        format!("hnsim: iptables: address type {v} is not modelled (LOCAL is)\n"),
                    ));
                }
                Some(if w == "--dst-type" {
                    Test::DstLocal {
                        in_port_only: false,
                    }
                } else {
                    Test::SrcLocal
                })
            }
            "-j" | "--jump" | "-g" | "--goto" => {
                let v = value()?;
                let goto = w == "-g" || w == "--goto";
                let t = match v.as_str() {
                    "ACCEPT" | "DROP" | "RETURN" | "REJECT" if goto => {
                        return Err(usage("goto 'ACCEPT' is not a chain"))
                    }
                    "ACCEPT" => Target::Accept,
                    "DROP" => Target::Drop,
                    "RETURN" => Target::Return,
                    "REJECT" if table != "nat" => Target::Reject(Reject::IcmpPortUnreachable),
                    "DNAT" | "SNAT" | "MASQUERADE" if table == "nat" => match v.as_str() {
                        "MASQUERADE" => Target::Masquerade { ports: None },
                        // The address comes with its option, below.
                        "DNAT" => Target::Dnat {
                            to: Vec::new(),
                            balance: Balance::RoundRobin,
                        },
                        _ => Target::Snat {
                            to: NatTo {
                                addr: Ipv4Addr::UNSPECIFIED,
                                ports: None,
                            },
                        },
                    },
                    chain if chain_index(&stack.rules, table, chain).is_some() => {
                        if goto {
                            Target::Goto(chain.to_string())
                        } else {
                            Target::Jump(chain.to_string())
                        }
                    }
                    other => {
                        return Err(usage(&format!(
                            "Couldn't load target `{other}':No such file or directory"
                        )))
                    }
                };
                target = Some(t);
                None
            }
            "--reject-with" if matches!(target, Some(Target::Reject(_))) => {
                let v = value()?;
                reject = match v.as_str() {
                    "icmp-net-unreachable" => Reject::IcmpNetUnreachable,
                    "icmp-host-unreachable" => Reject::IcmpHostUnreachable,
                    "icmp-port-unreachable" => Reject::IcmpPortUnreachable,
                    "icmp-admin-prohibited" => Reject::IcmpAdminProhibited,
                    "tcp-reset" => Reject::TcpReset,
                    _ => return Err(usage(&format!("unknown reject type \"{v}\""))),
                };
                None
            }
            "--to-destination" | "--to-source" | "--to"
                if matches!(target, Some(Target::Dnat { .. } | Target::Snat { .. })) =>
            {
                let v = value()?;
                let Some(to) = parse_nat_to(&v) else {
                    return Err(usage(&format!("Bad IP address \"{v}\"")));
                };
                nat_to.push(to);
                None
            }
            other => return Err(usage(&format!("unknown option \"{other}\""))),
        };
        if let Some(test) = test {
            matches.push(Match {
                test,
                negate: std::mem::take(&mut negate),
            });
        }
    }
    let target = match target {
        Some(Target::Reject(_)) => Target::Reject(reject),
        Some(Target::Dnat { balance, .. }) => {
            if nat_to.is_empty() {
                return Err(usage("DNAT: option \"--to-destination\" must be specified"));
            }
            Target::Dnat {
                to: nat_to,
                balance,
            }
        }
        Some(Target::Snat { .. }) => match nat_to.first() {
            Some(to) => Target::Snat { to: *to },
            None => return Err(usage("SNAT: option \"--to-source\" must be specified")),
        },
        Some(t) => t,
        None => {
            return Err(ShellOutput::fail(
                2,
                "hnsim: iptables: a rule without -j (a counting rule) is not modelled\n",
            ))
        }
    };
    let mut spec = RuleSpec::new(matches, target);
    spec.comment = comment;
    Ok(spec)
}
