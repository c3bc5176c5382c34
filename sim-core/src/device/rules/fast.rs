//! Verdicts that depend on the IP protocol alone, worked out once per edit of a ruleset.
//!
//! Most packets a container's firewall sees are decided by a rule like "accept TCP, UDP,
//! ICMP" before anything else could apply. For each hook and protocol, `derive` finds whether
//! every base chain (outside NAT tables) accepts such a packet at a rule whose only conditions
//! are protocols, or by its policy, with no earlier rule that could match it; if so, the
//! packet path counts those rules and passes the packet without walking the chains. Nothing
//! changes but the cost: the same rules count the packet as a walk would.

use super::{Counters, Hook, Match, Policy, Ruleset, TableKind, Target, Test};

/// At most this many protocols named by rules get a class of their own; a ruleset naming
/// more has no fast path (every packet walks), which is only slower.
const MAX_NAMED: usize = 7;

/// A hook's classes map to paths in one `u32`, a nibble per class (`MAX_NAMED + 1` of them).
const NIBBLE: u32 = 0xF;
/// No fast path for this hook and protocol class.
const NONE: u32 = 0xF;
/// Accepted with nothing to count: no base chain outside NAT tables runs at the hook.
const UNCOUNTED: u32 = 0xE;
/// Paths numbered below this get a nibble; a class whose path would be numbered higher has
/// no fast path (its packets walk), which is only slower.
const MAX_PATHS: usize = UNCOUNTED as usize;

/// Where an accepting decision sits: (table, chain, rule), or the chain's policy.
pub(super) type Decision = (u16, u16, Option<u16>);

/// What the packet path reads of the fast paths, for every packet at every hook: 52 bytes,
/// so that with the `Derived` fields before it (12 bytes) it fills one cache line, counts
/// included (issue 13: at a thousand stacks each line a visit reads is a miss). The counts
/// of the first `FEW` paths are kept here in 32 bits and moved to [`PathCounts`] before they
/// would overflow; the other paths count there.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(super) struct FastPaths {
    /// The protocols some `Proto` test names, in bytes `0..len`, and `len` in the last byte
    /// (`MAX_NAMED`): `class` reads them all as one word. Rules see every other protocol
    /// alike, so those share one class.
    named: [u8; MAX_NAMED + 1],
    /// Per hook, per class (each named protocol in order, then "any other"), a nibble: the
    /// path's number, `UNCOUNTED` or `NONE`.
    by_class: [u32; 5],
    few_packets: [u32; FastPaths::FEW],
    few_bytes: [u32; FastPaths::FEW],
}

/// The paths themselves and the counts the hot part does not hold: read when a packet
/// counts on a path past the first `FEW`, when a count nears overflow, and when counters
/// are listed or settled.
#[derive(Clone, Debug, Default)]
pub(super) struct PathCounts {
    /// Per path: the decisions it goes through.
    paths: Vec<Vec<Decision>>,
    /// Per path: what it accepted since its counts were last folded into the rules, beside
    /// what the hot part holds.
    counted: Vec<Counters>,
}

impl Default for FastPaths {
    fn default() -> Self {
        FastPaths {
            named: [0; MAX_NAMED + 1],
            by_class: [u32::MAX; 5],
            few_packets: [0; FastPaths::FEW],
            few_bytes: [0; FastPaths::FEW],
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
    /// Paths whose counts the hot part holds.
    const FEW: usize = 3;

    pub(super) fn derive(rs: &Ruleset) -> (FastPaths, PathCounts) {
        let mut f = FastPaths::default();
        let mut counts = PathCounts::default();
        let named = named_protocols(rs);
        if named.len() > MAX_NAMED {
            return (f, counts);
        }
        f.set_named(&named);
        // "Any other protocol" is represented by the lowest one nobody names.
        let other = (0..=255u8)
            .find(|p| !named.contains(p))
            .expect("at most MAX_NAMED protocols are named");
        let classes = named.iter().copied().chain([other]);
        for hook in Hook::ALL {
            for (class, p) in classes.clone().enumerate() {
                let nibble = match path(rs, hook, p) {
                    None => continue,
                    Some(path) if path.is_empty() => UNCOUNTED,
                    Some(path) => match counts.paths.iter().position(|x| *x == path) {
                        Some(i) => i as u32,
                        None if counts.paths.len() < MAX_PATHS => {
                            counts.paths.push(path);
                            (counts.paths.len() - 1) as u32
                        }
                        None => continue,
                    },
                };
                f.set(hook, class, nibble);
            }
        }
        counts.counted = vec![Counters::default(); counts.paths.len()];
        (f, counts)
    }

    /// Names the protocols `named` (at most `MAX_NAMED`).
    fn set_named(&mut self, named: &[u8]) {
        self.named[..named.len()].copy_from_slice(named);
        self.named[MAX_NAMED] = named.len() as u8;
    }

    fn set(&mut self, hook: Hook, class: usize, nibble: u32) {
        let shift = 4 * class as u32;
        let word = &mut self.by_class[hook as usize];
        *word = (*word & !(NIBBLE << shift)) | (nibble << shift);
    }

    /// The nibble of protocol `p` at `hook`.
    #[inline]
    fn at(&self, hook: Hook, p: u8) -> u32 {
        self.at_class(hook, self.class(p))
    }

    /// The nibble of protocol class `class` at `hook`.
    #[inline]
    fn at_class(&self, hook: Hook, class: usize) -> u32 {
        (self.by_class[hook as usize] >> (4 * class as u32)) & NIBBLE
    }

    /// The class of protocol `p`: the index of `p` among the named protocols, or their count
    /// ("any other"). The named bytes and their count are one word, compared with `p` all at
    /// once (the loop it replaces took about twenty instructions for UDP behind TCP and
    /// ICMP, at every hook of every packet; one load of the word, not the three that seven
    /// bytes and their count took, saves six more: issue 13): a byte equal to `p`
    /// becomes zero, and the lowest zero byte is found exactly (the borrow of `x - 0x01..`
    /// can only mark bytes above a zero byte). A match at or past the count (the unused
    /// bytes, the count itself) means "any other". `class_by_search` is its definition,
    /// proptested.
    #[inline]
    fn class(&self, p: u8) -> usize {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        let word = u64::from_le_bytes(self.named);
        let x = word ^ (u64::from(p) * ONES);
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        let first = (zero.trailing_zeros() / 8) as usize;
        first.min((word >> (8 * MAX_NAMED)) as usize)
    }

    /// What `class` answers, by searching the named protocols in order.
    #[cfg(test)]
    fn class_by_search(&self, p: u8) -> usize {
        let named = &self.named[..usize::from(self.named[MAX_NAMED]).min(MAX_NAMED)];
        named.iter().position(|n| *n == p).unwrap_or(named.len())
    }

    /// Whether every packet of protocol `p` is accepted at `hook` by a path (nothing counted).
    #[inline]
    pub(super) fn accepts(&self, hook: Hook, p: u8) -> bool {
        self.at(hook, p) != NONE
    }

    /// If every packet of protocol `p` is accepted at `hook` by a path, counts a `len`-byte
    /// packet on it and returns true. Always inlined: see `Ruleset::accept_by_protocol`.
    #[inline(always)]
    pub(super) fn accept(
        &mut self,
        counts: &mut PathCounts,
        hook: Hook,
        p: u8,
        len: usize,
    ) -> bool {
        match self.at(hook, p) {
            NONE => false,
            nibble => {
                self.count(counts, nibble, len);
                true
            }
        }
    }

    /// `accept` at hooks `first` and `second`, each if its flag is set (a hook without
    /// chains lets every packet through and counts nothing): true, and the packet counted
    /// at each, if both accept protocol `p`; false, and nothing counted, otherwise. The
    /// protocol's class is found once for the two (issue 13: every packet a stack sends
    /// asks at `Output` and `Postrouting`). Always inlined: see
    /// `Ruleset::accept_sent_untracked`.
    #[inline(always)]
    pub(super) fn accept_both(
        &mut self,
        counts: &mut PathCounts,
        first: (Hook, bool),
        second: (Hook, bool),
        p: u8,
        len: usize,
    ) -> bool {
        let class = self.class(p);
        let nibble = |(hook, runs): (Hook, bool)| {
            if runs {
                self.at_class(hook, class)
            } else {
                UNCOUNTED
            }
        };
        let (a, b) = (nibble(first), nibble(second));
        if a == NONE || b == NONE {
            return false;
        }
        self.count(counts, a, len);
        self.count(counts, b, len);
        true
    }

    /// Counts a `len`-byte packet on the path `nibble` names (nothing for `UNCOUNTED`).
    /// Always inlined: see `Ruleset::accept_by_protocol`.
    #[inline(always)]
    fn count(&mut self, counts: &mut PathCounts, nibble: u32, len: usize) {
        if nibble == UNCOUNTED {
            return;
        }
        let i = nibble as usize;
        if let (Some(packets), Some(bytes)) =
            (self.few_packets.get_mut(i), self.few_bytes.get_mut(i))
        {
            if *packets < u32::MAX && u32::try_from(len).is_ok_and(|l| l <= u32::MAX - *bytes) {
                *packets += 1;
                *bytes += len as u32;
                return;
            }
        }
        self.count_wide(counts, i, len);
    }

    /// Counts a `len`-byte packet on path `i` in the wide counts: a path past the first
    /// `FEW`, or one whose hot counts would overflow (they move there, with this packet).
    /// Out of line, so that the common count does not read `counts` (a cache line of the
    /// device apart from the hot one, which the compiler loaded ahead of the test when this
    /// was inline: issue 13).
    #[cold]
    #[inline(never)]
    fn count_wide(&mut self, counts: &mut PathCounts, i: usize, len: usize) {
        let Some(c) = counts.counted.get_mut(i) else {
            return;
        };
        if let (Some(packets), Some(bytes)) =
            (self.few_packets.get_mut(i), self.few_bytes.get_mut(i))
        {
            c.packets += u64::from(std::mem::take(packets));
            c.bytes += u64::from(std::mem::take(bytes));
        }
        c.count(len);
    }

    /// What path `i` has accepted and not yet folded into its rules.
    fn pending(&self, counts: &PathCounts, i: usize) -> Counters {
        let mut c = counts.counted.get(i).copied().unwrap_or_default();
        if let (Some(p), Some(b)) = (self.few_packets.get(i), self.few_bytes.get(i)) {
            c.packets += u64::from(*p);
            c.bytes += u64::from(*b);
        }
        c
    }

    /// What the paths through `decision` accepted and have not yet folded into it.
    pub(super) fn pending_at(&self, counts: &PathCounts, decision: Decision) -> Counters {
        let mut sum = Counters::default();
        for (i, path) in counts.paths.iter().enumerate() {
            if path.contains(&decision) {
                let c = self.pending(counts, i);
                sum.packets += c.packets;
                sum.bytes += c.bytes;
            }
        }
        sum
    }

    /// Takes every path's pending counts: (the decisions it went through, its counts).
    pub(super) fn take_pending(
        &mut self,
        counts: &mut PathCounts,
    ) -> Vec<(Vec<Decision>, Counters)> {
        let mut out = Vec::new();
        for i in 0..counts.paths.len() {
            let c = self.pending(counts, i);
            if let Some(p) = self.few_packets.get_mut(i) {
                *p = 0;
            }
            if let Some(b) = self.few_bytes.get_mut(i) {
                *b = 0;
            }
            counts.counted[i] = Counters::default();
            if c.packets > 0 {
                out.push((counts.paths[i].clone(), c));
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

    proptest::proptest! {
        /// The class found in one word is the one a search of the named protocols finds:
        /// for any named bytes (any unused ones too), any count of them and any protocol,
        /// often one of the named.
        #[test]
        fn the_class_in_one_word_is_the_searched_one(
            named in proptest::array::uniform7(proptest::sample::select(vec![0u8, 1, 6, 17, 47, 50, 255])),
            len in 0usize..=MAX_NAMED,
            p in proptest::prop_oneof![
                proptest::sample::select(vec![0u8, 1, 6, 17, 47, 50, 255]),
                proptest::num::u8::ANY,
            ],
        ) {
            let mut f = FastPaths::default();
            f.named[..MAX_NAMED].copy_from_slice(&named);
            f.named[MAX_NAMED] = len as u8;
            proptest::prop_assert_eq!(f.class(p), f.class_by_search(p));
        }
    }

    /// The classes a ruleset's protocols get, in the cases the word's borrow could confuse:
    /// a match after a zero byte, a zero protocol, a match only in the unused bytes.
    #[test]
    fn classes_at_the_edges() {
        let with = |named: &[u8]| {
            let mut f = FastPaths::default();
            f.set_named(named);
            f
        };
        let f = with(&[0, 1, 6, 17]);
        assert_eq!(
            [0, 1, 6, 17, 2, 255].map(|p| f.class(p)),
            [0, 1, 2, 3, 4, 4]
        );
        let f = with(&[1, 6]);
        assert_eq!(f.class(0), 2, "zero matches only the unused bytes");
        assert_eq!(f.class(2), 2, "two matches only the count's byte");
        let f = with(&[1, 1, 6, 6, 17, 17, 47]);
        assert_eq!([1, 6, 17, 47, 48].map(|p| f.class(p)), [0, 2, 4, 6, 7]);
    }

    /// What a packet reads of the fast paths, the classes and the first paths' counts, fills
    /// the rest of the line the `Derived` fields before it (12 bytes) open.
    #[test]
    fn the_fast_paths_hot_part_fills_one_line() {
        assert_eq!(std::mem::size_of::<FastPaths>(), 52);
    }

    fn counted(f: &FastPaths, counts: &PathCounts, i: usize) -> (u64, u64) {
        let c = f.pending(counts, i);
        (c.packets, c.bytes)
    }

    /// A path's 32-bit counts move to the wide ones before they overflow, this packet with
    /// them; nothing is lost.
    #[test]
    fn a_hot_count_near_overflow_moves_to_the_wide_one() {
        let mut f = FastPaths::default();
        f.set(Hook::Input, 0, 0);
        let mut counts = PathCounts {
            paths: vec![vec![(0, 0, None)]],
            counted: vec![Counters::default()],
        };
        f.few_packets[0] = 10;
        f.few_bytes[0] = u32::MAX - 100;
        assert!(f.accept(&mut counts, Hook::Input, 6, 100));
        assert_eq!((f.few_packets[0], f.few_bytes[0]), (11, u32::MAX));
        assert!(f.accept(&mut counts, Hook::Input, 6, 60));
        assert_eq!((f.few_packets[0], f.few_bytes[0]), (0, 0));
        assert_eq!(counted(&f, &counts, 0), (12, u64::from(u32::MAX) + 60));
        assert!(f.accept(&mut counts, Hook::Input, 6, 40));
        assert_eq!(counted(&f, &counts, 0), (13, u64::from(u32::MAX) + 100));
        assert!(
            !f.accept(&mut counts, Hook::Output, 6, 40),
            "no path at OUTPUT"
        );
    }

    /// Paths past the hot part's count in the wide counts; past `MAX_PATHS` a class has no
    /// fast path; a hook with nothing to count accepts without counting.
    #[test]
    fn paths_past_the_few_count_wide_and_past_the_nibbles_walk() {
        let mut f = FastPaths::default();
        for class in 0..=MAX_NAMED {
            f.set(Hook::Input, class, class as u32);
        }
        f.set(Hook::Output, 0, UNCOUNTED);
        let paths: Vec<Vec<Decision>> = (0..8).map(|i| vec![(0, 0, Some(i))]).collect();
        let mut counts = PathCounts {
            counted: vec![Counters::default(); paths.len()],
            paths,
        };
        f.set_named(&[1, 2, 6, 17, 41, 47, 50]);
        assert!(f.accept(&mut counts, Hook::Input, 50, 70), "class 6");
        assert!(
            f.accept(&mut counts, Hook::Input, 99, 80),
            "the other class, 7"
        );
        assert_eq!(counted(&f, &counts, 6), (1, 70));
        assert_eq!(
            counts.counted[7],
            Counters {
                packets: 1,
                bytes: 80
            }
        );
        assert!(f.accept(&mut counts, Hook::Output, 1, 10));
        let settled = f.take_pending(&mut counts);
        assert_eq!(settled.len(), 2, "only the counted paths: {settled:?}");
        assert_eq!(counted(&f, &counts, 7), (0, 0));
        f.set(Hook::Input, 7, NONE);
        assert!(!f.accept(&mut counts, Hook::Input, 99, 80));
    }
}
