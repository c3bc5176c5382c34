//! Verdicts that depend on the IP protocol alone, worked out once per edit of a ruleset.
//!
//! Most packets a container's firewall sees are decided by a rule like "accept TCP, UDP,
//! ICMP" before anything else could apply. For each hook and protocol, `derive` finds whether
//! every base chain (outside NAT tables) accepts such a packet at a rule whose only conditions
//! are protocols, or by its policy, with no earlier rule that could match it; if so, the
//! packet path counts those rules and passes the packet without walking the chains. Nothing
//! changes but the cost: the same rules count the packet as a walk would.

use super::{Counters, Hook, Match, Policy, Ruleset, TableKind, Target, Test};

/// No fast path for this hook and protocol class.
const NONE: u8 = u8::MAX;

/// At most this many protocols named by rules get a class of their own; a ruleset naming
/// more has no fast path (every packet walks), which is only slower.
const MAX_NAMED: usize = 7;

/// Where an accepting decision sits: (table, chain, rule), or the chain's policy.
pub(super) type Decision = (u16, u16, Option<u16>);

/// Kept small and flat: the packet path reads it for every packet at every hook. `repr(C)`:
/// what a packet reads (the classes, the first paths' counts) sits together, first.
#[derive(Clone, Debug)]
#[repr(C)]
pub(super) struct FastPaths {
    /// The protocols some `Proto` test names (the first `named_len`). Rules see every other
    /// protocol alike, so those share one class.
    named: [u8; MAX_NAMED],
    named_len: u8,
    /// Per hook, per class (each named protocol in order, then "any other"): the index of
    /// its path in `paths`, or `NONE`.
    by_class: [[u8; MAX_NAMED + 1]; 5],
    /// Per path: the packets it accepted since its counts were last folded into the rules.
    pending: Pending,
    paths: Vec<Vec<Decision>>,
}

/// Per-path counts, the first `FEW` inline: a container's ruleset has a handful of paths,
/// and counting one must not touch an allocation of its own (issue 13).
#[derive(Clone, Debug, Default)]
struct Pending {
    few: [Counters; Pending::FEW],
    more: Vec<Counters>,
}

impl Pending {
    const FEW: usize = 4;

    fn of_len(n: usize) -> Self {
        Pending {
            few: Default::default(),
            more: vec![Counters::default(); n.saturating_sub(Self::FEW)],
        }
    }

    #[inline]
    fn at_mut(&mut self, i: usize) -> Option<&mut Counters> {
        match i.checked_sub(Self::FEW) {
            None => self.few.get_mut(i),
            Some(j) => self.more.get_mut(j),
        }
    }

    fn at(&self, i: usize) -> Counters {
        match i.checked_sub(Self::FEW) {
            None => self.few[i],
            Some(j) => self.more.get(j).copied().unwrap_or_default(),
        }
    }
}

impl Default for FastPaths {
    fn default() -> Self {
        FastPaths {
            named: [0; MAX_NAMED],
            named_len: 0,
            by_class: [[NONE; MAX_NAMED + 1]; 5],
            pending: Pending::default(),
            paths: Vec::new(),
        }
    }
}

/// Whether a rule's protocol tests let protocol `p` through.
fn admits(matches: &[Match], p: u8) -> bool {
    matches.iter().all(|m| match &m.test {
        Test::Proto(ps) => ps.contains(&p) != m.negate,
        _ => true,
    })
}

/// Every protocol a `Proto` test of the ruleset names, in ascending order.
fn named_protocols(rs: &Ruleset) -> Vec<u8> {
    let mut named: Vec<u8> = rs
        .tables()
        .iter()
        .flat_map(|t| t.chains.iter())
        .flat_map(|c| c.rules.iter())
        .flat_map(|r| r.matches.iter())
        .filter_map(|m| match &m.test {
            Test::Proto(ps) => Some(ps.iter().copied()),
            _ => None,
        })
        .flatten()
        .collect();
    named.sort_unstable();
    named.dedup();
    named
}

impl FastPaths {
    pub(super) fn derive(rs: &Ruleset) -> FastPaths {
        let mut f = FastPaths::default();
        let named = named_protocols(rs);
        if named.len() > MAX_NAMED {
            return f;
        }
        f.named[..named.len()].copy_from_slice(&named);
        f.named_len = named.len() as u8;
        // "Any other protocol" is represented by the lowest one nobody names.
        let other = (0..=255u8)
            .find(|p| !named.contains(p))
            .expect("at most MAX_NAMED protocols are named");
        let classes = named.iter().copied().chain([other]);
        for hook in Hook::ALL {
            for (class, p) in classes.clone().enumerate() {
                let Some(path) = path(rs, hook, p) else {
                    continue;
                };
                let i = match f.paths.iter().position(|x| *x == path) {
                    Some(i) => i,
                    None => {
                        f.paths.push(path);
                        f.paths.len() - 1
                    }
                };
                f.by_class[hook as usize][class] = i as u8;
            }
        }
        f.pending = Pending::of_len(f.paths.len());
        f
    }

    /// The class of protocol `p`: its place among the named ones, or the "other" class.
    #[inline]
    fn class(&self, p: u8) -> usize {
        let named = &self.named[..usize::from(self.named_len)];
        named.iter().position(|n| *n == p).unwrap_or(named.len())
    }

    /// Whether every packet of protocol `p` is accepted at `hook` by a path (nothing counted).
    #[inline]
    pub(super) fn accepts(&self, hook: Hook, p: u8) -> bool {
        self.by_class[hook as usize][self.class(p)] != NONE
    }

    /// If every packet of protocol `p` is accepted at `hook` by a path, counts a `len`-byte
    /// packet on it and returns true.
    #[inline]
    pub(super) fn accept(&mut self, hook: Hook, p: u8, len: usize) -> bool {
        match self.by_class[hook as usize][self.class(p)] {
            NONE => false,
            i => {
                if let Some(c) = self.pending.at_mut(usize::from(i)) {
                    c.count(len);
                }
                true
            }
        }
    }

    /// What the paths through `decision` accepted and have not yet folded into it.
    pub(super) fn pending_at(&self, decision: Decision) -> Counters {
        let mut sum = Counters::default();
        for (i, path) in self.paths.iter().enumerate() {
            let c = self.pending.at(i);
            if path.contains(&decision) {
                sum.packets += c.packets;
                sum.bytes += c.bytes;
            }
        }
        sum
    }

    /// Takes every path's pending counts: (the decisions it went through, its counts).
    pub(super) fn take_pending(&mut self) -> Vec<(Vec<Decision>, Counters)> {
        let mut out = Vec::new();
        for (i, path) in self.paths.iter().enumerate() {
            let Some(c) = self.pending.at_mut(i) else {
                continue;
            };
            if c.packets > 0 {
                out.push((path.clone(), std::mem::take(c)));
            }
        }
        out
    }
}

/// The accepting decision of every non-NAT base chain at `hook` for protocol `p`, or `None`
/// if some chain could decide otherwise or depends on more than the protocol.
fn path(rs: &Ruleset, hook: Hook, p: u8) -> Option<Vec<Decision>> {
    let mut out = Vec::new();
    for i in 0..rs.base_chain_count(hook) {
        let (t, c) = rs.base_chain(hook, i);
        let table = &rs.tables()[t];
        if table.kind == TableKind::Nat {
            continue;
        }
        let chain = &table.chains[c];
        let mut decided = None;
        for (ri, r) in chain.rules.iter().enumerate() {
            if !admits(&r.matches, p) {
                continue;
            }
            let protocol_only = r.matches.iter().all(|m| matches!(m.test, Test::Proto(_)));
            if protocol_only && r.target == Target::Accept && !r.shown {
                decided = Some(Some(ri as u16));
                break;
            }
            return None;
        }
        let decision = match decided {
            Some(rule) => rule,
            None if chain.policy == Policy::Accept => None,
            None => return None,
        };
        out.push((t as u16, c as u16, decision));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a packet reads of the fast paths (the classes and the first paths' counts)
    /// comes first and fits, after the `Derived` fields before it (16 bytes), in its two
    /// first cache lines (`IpStack`'s layout).
    #[test]
    fn the_fast_paths_hot_part_is_first() {
        let counts = std::mem::offset_of!(FastPaths, pending) + std::mem::offset_of!(Pending, more);
        assert!(16 + counts <= 128, "{counts}");
    }
}
