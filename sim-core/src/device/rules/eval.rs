//! The walk of one table's base chain for one packet: first matching terminal rule wins,
//! jumps nest up to `MAX_JUMP_DEPTH`, counters count every hit.

use super::{
    Balance, Chain, CtDir, CtStates, CtStatus, Hook, NatTo, Policy, Reject, RuleId, Ruleset,
    Target, Test, MAX_JUMP_DEPTH,
};
use crate::id::PortId;
use std::net::Ipv4Addr;

/// Everything a rule can look at, filled in once per hook by the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketMeta {
    pub in_port: Option<PortId>,
    pub out_port: Option<PortId>,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub proto: u8,
    /// TCP/UDP ports; `has_ports` is false for other protocols (port tests never match).
    pub sport: u16,
    pub dport: u16,
    pub has_ports: bool,
    /// The IPv4 packet's length in bytes (what byte counters count).
    pub len: usize,
    pub mark: u32,
    pub ct_state: CtStates,
    pub ct_dir: Option<CtDir>,
    pub ct_status: CtStatus,
    pub dst_local: bool,
    pub dst_local_in: bool,
    pub src_local: bool,
}

impl PacketMeta {
    /// A packet with no interfaces, ports or connection state yet.
    pub fn new(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: usize) -> Self {
        PacketMeta {
            in_port: None,
            out_port: None,
            src,
            dst,
            proto,
            sport: 0,
            dport: 0,
            has_ports: false,
            len,
            mark: 0,
            ct_state: CtStates::UNTRACKED,
            ct_dir: None,
            ct_status: CtStatus::NONE,
            dst_local: false,
            dst_local_in: false,
            src_local: false,
        }
    }
}

/// A NAT decision for the first packet of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NatDecision {
    Dnat(NatTo),
    Snat(NatTo),
    Masquerade(Option<(u16, u16)>),
}

/// Where a walk ended: the chain (index in its table) and the rule (index in the chain), or
/// `None` for the chain's policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    pub chain: usize,
    pub rule: Option<usize>,
}

/// What one table decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableVerdict {
    /// Go on to the next table. `shown` is an accepting rule that traces show.
    Accept {
        shown: Option<RuleId>,
    },
    Drop(At),
    Reject(Reject, At),
    /// Jumps nested deeper than `MAX_JUMP_DEPTH` (dropped).
    TooDeep(At),
    /// A NAT table translates the new connection (`rule` bound it).
    Nat(NatDecision, RuleId),
}

fn test(t: &Test, p: &PacketMeta) -> bool {
    match t {
        Test::InPort(ports) => p.in_port.is_some_and(|x| ports.contains(&x)),
        Test::OutPort(ports) => p.out_port.is_some_and(|x| ports.contains(&x)),
        Test::Src(nets) => nets.iter().any(|n| n.contains(p.src)),
        Test::Dst(nets) => nets.iter().any(|n| n.contains(p.dst)),
        Test::Proto(protos) => protos.contains(&p.proto),
        Test::SrcPort(lo, hi) => p.has_ports && (*lo..=*hi).contains(&p.sport),
        Test::DstPort(lo, hi) => p.has_ports && (*lo..=*hi).contains(&p.dport),
        Test::CtState(s) => s.contains(p.ct_state),
        Test::CtStatus(s) => p.ct_status.intersects(*s),
        Test::CtDir(d) => p.ct_dir == Some(*d),
        Test::Mark { value, mask } => p.mark & mask == *value,
        Test::DstLocal { in_port_only } => {
            if *in_port_only {
                p.dst_local_in
            } else {
                p.dst_local
            }
        }
        Test::SrcLocal => p.src_local,
    }
}

/// Whether every condition of a rule holds.
pub fn matches(matches: &[super::Match], p: &PacketMeta) -> bool {
    matches.iter().all(|m| test(&m.test, p) != m.negate)
}

/// The backend a DNAT picks for this packet. Round robin counts the rule's hits (one per new
/// connection, since NAT chains see only first packets), so it needs no state of its own.
fn pick(to: &[NatTo], balance: Balance, hits: u64, p: &PacketMeta) -> Option<NatTo> {
    if to.is_empty() {
        return None;
    }
    let n = to.len() as u64;
    let i = match balance {
        Balance::RoundRobin => hits.saturating_sub(1) % n,
        Balance::SourceHash => {
            (u64::from(u32::from(p.src)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) % n
        }
    };
    to.get(i as usize).copied()
}

/// Walks base chain `base` of table `table` for packet `p` (whose mark a MARK target may
/// change), counting hits.
pub fn walk(rs: &mut Ruleset, table: usize, base: usize, p: &mut PacketMeta) -> TableVerdict {
    // (chain, next rule) to come back to after a jump.
    let mut stack = [(0usize, 0usize); MAX_JUMP_DEPTH];
    let mut depth = 0;
    let (mut chain, mut i) = (base, 0usize);
    loop {
        let t = &mut rs.tables[table];
        let c: &mut Chain = &mut t.chains[chain];
        if i >= c.rules.len() {
            if depth == 0 {
                // After a goto, `chain` is not the base chain; the base chain's policy decides.
                return policy(&mut t.chains[base], base, p);
            }
            depth -= 1;
            (chain, i) = stack[depth];
            continue;
        }
        let rule = &mut c.rules[i];
        let here = At {
            chain,
            rule: Some(i),
        };
        i += 1;
        if !matches(&rule.matches, p) {
            continue;
        }
        rule.counters.count(p.len);
        match &rule.target {
            Target::Accept => {
                return TableVerdict::Accept {
                    shown: rule.shown.then_some(rule.id),
                }
            }
            Target::Drop => return TableVerdict::Drop(here),
            Target::Reject(how) => return TableVerdict::Reject(*how, here),
            Target::Return => {
                if depth == 0 {
                    return policy(&mut rs.tables[table].chains[base], base, p);
                }
                depth -= 1;
                (chain, i) = stack[depth];
            }
            Target::Jump(_) | Target::Goto(_) => {
                let goto = matches!(rule.target, Target::Goto(_));
                let Some(next) = rs.derived.jumps[table][chain][i - 1] else {
                    return TableVerdict::Drop(here);
                };
                if !goto {
                    if depth == MAX_JUMP_DEPTH {
                        return TableVerdict::TooDeep(here);
                    }
                    stack[depth] = (chain, i);
                    depth += 1;
                }
                (chain, i) = (usize::from(next), 0);
            }
            Target::Mark { value, mask } => p.mark = (p.mark & !mask) | (value & mask),
            Target::Dnat { to, balance } => {
                let id = rule.id;
                return match pick(to, *balance, rule.counters.packets, p) {
                    Some(to) => TableVerdict::Nat(NatDecision::Dnat(to), id),
                    None => TableVerdict::Drop(here),
                };
            }
            Target::Snat { to } => return TableVerdict::Nat(NatDecision::Snat(*to), rule.id),
            Target::Masquerade { ports } => {
                return TableVerdict::Nat(NatDecision::Masquerade(*ports), rule.id)
            }
        }
    }
}

fn policy(c: &mut Chain, chain: usize, p: &PacketMeta) -> TableVerdict {
    if c.hook.is_none() {
        // A user chain reached as a base chain never happens; accept rather than guess.
        return TableVerdict::Accept { shown: None };
    }
    c.policy_counters.count(p.len);
    match c.policy {
        Policy::Accept => TableVerdict::Accept { shown: None },
        Policy::Drop(_) => TableVerdict::Drop(At { chain, rule: None }),
    }
}

impl Ruleset {
    /// How many base chains `hook` runs.
    pub fn base_chain_count(&self, hook: Hook) -> usize {
        self.derived.hooks[hook as usize].len()
    }

    /// The `i`th base chain `hook` runs, in run order: (table, chain).
    pub fn base_chain(&self, hook: Hook, i: usize) -> (usize, usize) {
        let (t, c) = self.derived.hooks[hook as usize][i];
        (usize::from(t), usize::from(c))
    }
}
