//! A second implementation of the table walk, written from the rule engine's specification
//! alone and kept as plain as possible (recursion, name lookups, no derived tables), and the
//! property that `eval::walk` agrees with it on random rulesets and packets, counters included.

use super::eval::{self, At, NatDecision, PacketMeta, TableVerdict};
use super::*;
use proptest::prelude::*;

/// How one chain's run ended.
enum End {
    /// It fell off its end or returned: its caller carries on after the jump.
    Fell,
    /// A terminal target decided for the whole table.
    Decided(TableVerdict),
}

/// Walks `table` from its base chain `base`, counting hits in `rs`, as the specification says.
pub fn walk(rs: &mut Ruleset, table: usize, base: usize, p: &mut PacketMeta) -> TableVerdict {
    let t = &mut rs.tables[table];
    match run_chain(t, base, 0, p) {
        End::Decided(verdict) => verdict,
        End::Fell => {
            let chain = &mut t.chains[base];
            chain.policy_counters.count(p.len);
            match chain.policy {
                Policy::Accept => TableVerdict::Accept { shown: None },
                Policy::Drop(_) => TableVerdict::Drop(At {
                    chain: base,
                    rule: None,
                }),
            }
        }
    }
}

/// Runs chain `chain` of `t`, entered through `depth` nested jumps.
fn run_chain(t: &mut Table, chain: usize, depth: usize, p: &mut PacketMeta) -> End {
    for index in 0..t.chains[chain].rules.len() {
        let rule = &mut t.chains[chain].rules[index];
        if !rule.matches.iter().all(|m| holds(m, p)) {
            continue;
        }
        rule.counters.count(p.len);
        let at = At {
            chain,
            rule: Some(index),
        };
        let id = rule.id;
        let decided = match rule.target.clone() {
            Target::Accept => TableVerdict::Accept {
                shown: rule.shown.then_some(id),
            },
            Target::Drop => TableVerdict::Drop(at),
            Target::Reject(how) => TableVerdict::Reject(how, at),
            Target::Return => return End::Fell,
            Target::Mark { value, mask } => {
                p.mark = (p.mark & !mask) | (value & mask);
                continue;
            }
            Target::Jump(name) => {
                if depth + 1 > MAX_JUMP_DEPTH {
                    return End::Decided(TableVerdict::TooDeep(at));
                }
                let callee = chain_named(t, &name);
                match run_chain(t, callee, depth + 1, p) {
                    End::Fell => continue,
                    decided => return decided,
                }
            }
            // The named chain takes this chain's place: its end is this chain's end.
            Target::Goto(name) => {
                let next = chain_named(t, &name);
                return run_chain(t, next, depth, p);
            }
            Target::Dnat { to, balance } => {
                if to.is_empty() {
                    TableVerdict::Drop(at)
                } else {
                    let len = to.len() as u64;
                    let pick = match balance {
                        Balance::RoundRobin => (rule.counters.packets - 1) % len,
                        Balance::SourceHash => {
                            ((u64::from(u32::from(p.src))).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                                >> 32)
                                % len
                        }
                    };
                    TableVerdict::Nat(NatDecision::Dnat(to[pick as usize]), id)
                }
            }
            Target::Snat { to } => TableVerdict::Nat(NatDecision::Snat(to), id),
            Target::Masquerade { ports } => TableVerdict::Nat(NatDecision::Masquerade(ports), id),
        };
        return End::Decided(decided);
    }
    End::Fell
}

fn chain_named(t: &Table, name: &str) -> usize {
    t.chains
        .iter()
        .position(|c| c.name == name)
        .expect("the ruleset refuses jumps to chains that do not exist")
}

fn holds(m: &Match, p: &PacketMeta) -> bool {
    let is = match &m.test {
        Test::InPort(ports) => p.in_port.is_some_and(|port| ports.contains(&port)),
        Test::OutPort(ports) => p.out_port.is_some_and(|port| ports.contains(&port)),
        Test::Src(nets) => nets.iter().any(|n| n.contains(p.src)),
        Test::Dst(nets) => nets.iter().any(|n| n.contains(p.dst)),
        Test::Proto(protos) => protos.contains(&p.proto),
        Test::SrcPort(lo, hi) => p.has_ports && *lo <= p.sport && p.sport <= *hi,
        Test::DstPort(lo, hi) => p.has_ports && *lo <= p.dport && p.dport <= *hi,
        Test::CtState(states) => states.contains(p.ct_state),
        Test::CtStatus(status) => status.intersects(p.ct_status),
        Test::CtDir(dir) => p.ct_dir == Some(*dir),
        Test::Mark { value, mask } => p.mark & mask == *value,
        Test::DstLocal { in_port_only } => {
            if *in_port_only {
                p.dst_local_in
            } else {
                p.dst_local
            }
        }
        Test::SrcLocal => p.src_local,
    };
    is != m.negate
}

/// What a random edit jumps to: a chain of its table by position, resolved when applied.
#[derive(Clone, Debug)]
enum TargetPlan {
    Plain(Target),
    Jump(usize),
    Goto(usize),
}

/// One random `append` or `insert`; table and chain are positions taken modulo what exists.
#[derive(Clone, Debug)]
struct Edit {
    table: usize,
    chain: usize,
    insert_at: Option<usize>,
    matches: Vec<Match>,
    target: TargetPlan,
    shown: bool,
}

/// A long line of user chains, each jumping (or going) to the next, entered from the table's
/// first base chain: walks through it nest deep enough to reach `MAX_JUMP_DEPTH`.
#[derive(Clone, Debug)]
struct Ladder {
    entry: Vec<Match>,
    /// Per step: whether it is a goto, and the (rarely present) condition on it.
    steps: Vec<(bool, Option<Match>)>,
}

#[derive(Clone, Debug)]
struct TablePlan {
    kind: TableKind,
    bases: Vec<(Hook, Policy)>,
    user_chains: usize,
    ladder: Option<Ladder>,
}

#[derive(Clone, Debug)]
struct RulesetPlan {
    tables: Vec<TablePlan>,
    edits: Vec<Edit>,
}

const KINDS: [TableKind; 4] = [
    TableKind::Raw,
    TableKind::Mangle,
    TableKind::Nat,
    TableKind::Filter,
];

fn table_kind() -> impl Strategy<Value = TableKind> {
    prop::sample::select(KINDS.to_vec())
}

fn addr() -> impl Strategy<Value = Ipv4Addr> {
    (0u8..8).prop_map(|last| Ipv4Addr::new(10, 0, 0, last))
}

fn prefix() -> impl Strategy<Value = Ipv4Network> {
    (addr(), prop::sample::select(vec![0u8, 29, 30, 31, 32]))
        .prop_map(|(a, len)| Ipv4Network::new(a, len).expect("a prefix length of at most 32"))
}

fn port_id() -> impl Strategy<Value = PortId> {
    (0u16..3).prop_map(PortId)
}

const PROTOS: [u8; 4] = [1, 6, 17, 47];

fn port_range() -> impl Strategy<Value = (u16, u16)> {
    (0u16..6, 0u16..6).prop_map(|(a, b)| (a.min(b), a.max(b)))
}

fn ct_dir() -> impl Strategy<Value = CtDir> {
    prop_oneof![Just(CtDir::Original), Just(CtDir::Reply)]
}

fn test_kind() -> impl Strategy<Value = Test> {
    let ports = || prop::collection::vec(port_id(), 0..3);
    let nets = || prop::collection::vec(prefix(), 0..3);
    prop_oneof![
        ports().prop_map(Test::InPort),
        ports().prop_map(Test::OutPort),
        nets().prop_map(Test::Src),
        nets().prop_map(Test::Dst),
        prop::collection::vec(prop::sample::select(PROTOS.to_vec()), 0..3).prop_map(Test::Proto),
        port_range().prop_map(|(lo, hi)| Test::SrcPort(lo, hi)),
        port_range().prop_map(|(lo, hi)| Test::DstPort(lo, hi)),
        (0u8..32).prop_map(|s| Test::CtState(CtStates(s))),
        (0u8..4).prop_map(|s| Test::CtStatus(CtStatus(s))),
        ct_dir().prop_map(Test::CtDir),
        (0u32..8, 0u32..8).prop_map(|(value, mask)| Test::Mark { value, mask }),
        any::<bool>().prop_map(|in_port_only| Test::DstLocal { in_port_only }),
        Just(Test::SrcLocal),
    ]
}

fn a_match() -> impl Strategy<Value = Match> {
    (test_kind(), any::<bool>()).prop_map(|(test, negate)| Match { test, negate })
}

fn nat_to() -> impl Strategy<Value = NatTo> {
    ((0u8..4), prop::option::of(port_range())).prop_map(|(last, ports)| NatTo {
        addr: Ipv4Addr::new(10, 0, 1, last),
        ports,
    })
}

fn reject() -> impl Strategy<Value = Reject> {
    prop::sample::select(vec![
        Reject::IcmpNetUnreachable,
        Reject::IcmpHostUnreachable,
        Reject::IcmpPortUnreachable,
        Reject::IcmpAdminProhibited,
        Reject::TcpReset,
    ])
}

fn target() -> impl Strategy<Value = TargetPlan> {
    use TargetPlan::Plain;
    let balance = prop_oneof![Just(Balance::RoundRobin), Just(Balance::SourceHash)];
    prop_oneof![
        2 => Just(Plain(Target::Accept)),
        2 => Just(Plain(Target::Drop)),
        1 => reject().prop_map(|how| Plain(Target::Reject(how))),
        2 => Just(Plain(Target::Return)),
        3 => any::<usize>().prop_map(TargetPlan::Jump),
        2 => any::<usize>().prop_map(TargetPlan::Goto),
        2 => (prop::collection::vec(nat_to(), 0..4), balance)
            .prop_map(|(to, balance)| Plain(Target::Dnat { to, balance })),
        1 => nat_to().prop_map(|to| Plain(Target::Snat { to })),
        1 => prop::option::of(port_range()).prop_map(|ports| Plain(Target::Masquerade { ports })),
        2 => (0u32..8, 0u32..8).prop_map(|(value, mask)| Plain(Target::Mark { value, mask })),
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![Just(Policy::Accept), Just(Policy::Drop("policy".into()))]
}

fn table_plan() -> impl Strategy<Value = TablePlan> {
    let ladder = (
        prop::collection::vec(a_match(), 0..=2),
        prop::collection::vec(
            (
                prop::bool::weighted(0.1),
                prop::option::weighted(0.05, a_match()),
            ),
            28..=45,
        ),
    )
        .prop_map(|(entry, steps)| Ladder { entry, steps });
    (
        table_kind(),
        prop::collection::vec((prop::sample::select(Hook::ALL.to_vec()), policy()), 1..=3),
        0usize..6,
        prop::option::weighted(0.3, ladder),
    )
        .prop_map(|(kind, bases, user_chains, ladder)| TablePlan {
            kind,
            bases,
            user_chains,
            ladder,
        })
}

fn edit() -> impl Strategy<Value = Edit> {
    (
        any::<usize>(),
        any::<usize>(),
        prop::option::of(0usize..8),
        prop::collection::vec(a_match(), 0..=3),
        target(),
        any::<bool>(),
    )
        .prop_map(|(table, chain, insert_at, matches, target, shown)| Edit {
            table,
            chain,
            insert_at,
            matches,
            target,
            shown,
        })
}

/// One table of every kind, then up to three more of any kind, and the edits.
fn ruleset_plan() -> impl Strategy<Value = RulesetPlan> {
    (
        (table_plan(), table_plan(), table_plan(), table_plan()),
        prop::collection::vec(table_plan(), 0..=3),
        prop::collection::vec(edit(), 0..=60),
    )
        .prop_map(|(every_kind, extra, edits)| {
            let (a, b, c, d) = every_kind;
            let mut tables = vec![a, b, c, d];
            for (t, kind) in tables.iter_mut().zip(KINDS) {
                t.kind = kind;
            }
            tables.extend(extra);
            RulesetPlan { tables, edits }
        })
}

fn packet() -> impl Strategy<Value = PacketMeta> {
    let state = prop::sample::select(vec![
        CtStates::NEW,
        CtStates::ESTABLISHED,
        CtStates::RELATED,
        CtStates::INVALID,
        CtStates::UNTRACKED,
    ]);
    (
        (
            prop::option::of(port_id()),
            prop::option::of(port_id()),
            addr(),
            addr(),
            prop::sample::select(PROTOS.to_vec()),
            0u16..6,
            0u16..6,
            any::<bool>(),
            20usize..1500,
        ),
        (
            0u32..8,
            state,
            prop::option::of(ct_dir()),
            (0u8..4).prop_map(CtStatus),
            any::<(bool, bool, bool)>(),
        ),
    )
        .prop_map(
            |(
                (in_port, out_port, src, dst, proto, sport, dport, has_ports, len),
                (mark, ct_state, ct_dir, ct_status, (dst_local, dst_local_in, src_local)),
            )| PacketMeta {
                in_port,
                out_port,
                src,
                dst,
                proto,
                sport,
                dport,
                has_ports,
                len,
                mark,
                ct_state,
                ct_dir,
                ct_status,
                dst_local,
                dst_local_in,
                src_local,
            },
        )
}

/// Builds the ruleset through the public API; edits it refuses (loops, misplaced targets)
/// are skipped, as a control plane would report them.
fn build(plan: &RulesetPlan) -> Ruleset {
    let mut rs = Ruleset::new();
    for (ti, tp) in plan.tables.iter().enumerate() {
        let table = format!("t{ti}");
        rs.ensure_table(&table, tp.kind);
        for (hook, policy) in &tp.bases {
            rs.ensure_base_chain(&table, hook.chain_name(), *hook, policy.clone())
                .expect("one base chain per hook");
        }
        for u in 0..tp.user_chains {
            rs.ensure_chain(&table, &format!("u{u}"), None)
                .expect("the table exists");
        }
        if let Some(ladder) = &tp.ladder {
            let rung = |i: usize| format!("deep{i}");
            for i in 0..ladder.steps.len() {
                rs.ensure_chain(&table, &rung(i), None)
                    .expect("the table exists");
            }
            rs.append(
                &table,
                tp.bases[0].0.chain_name(),
                RuleSpec::new(ladder.entry.clone(), Target::Jump(rung(0))),
            )
            .expect("the ladder does not loop");
            for (i, (goto, on)) in ladder.steps.iter().enumerate().skip(1) {
                let next = if *goto {
                    Target::Goto(rung(i))
                } else {
                    Target::Jump(rung(i))
                };
                rs.append(
                    &table,
                    &rung(i - 1),
                    RuleSpec::new(on.iter().cloned().collect(), next),
                )
                .expect("the ladder does not loop");
            }
        }
    }
    for e in &plan.edits {
        let t = &rs.tables()[e.table % rs.tables().len()];
        let table = t.name.clone();
        let names: Vec<String> = t.chains.iter().map(|c| c.name.clone()).collect();
        let chain = &names[e.chain % names.len()];
        let target = match &e.target {
            TargetPlan::Plain(target) => target.clone(),
            TargetPlan::Jump(i) => Target::Jump(names[i % names.len()].clone()),
            TargetPlan::Goto(i) => Target::Goto(names[i % names.len()].clone()),
        };
        let mut spec = RuleSpec::new(e.matches.clone(), target);
        if e.shown {
            spec = spec.shown();
        }
        let _refused = match e.insert_at {
            Some(pos) => rs.insert(&table, chain, pos, spec),
            None => rs.append(&table, chain, spec),
        };
    }
    rs
}

/// Every base chain of the ruleset as (table, chain), in table order.
fn base_chains(rs: &Ruleset) -> Vec<(usize, usize)> {
    rs.tables()
        .iter()
        .enumerate()
        .flat_map(|(ti, t)| {
            t.chains
                .iter()
                .enumerate()
                .filter(|(_, c)| c.hook.is_some())
                .map(move |(ci, _)| (ti, ci))
        })
        .collect()
}

/// Every counter of the ruleset, named: each chain's policy counters, then each rule's.
fn counters(rs: &Ruleset) -> Vec<(String, Counters)> {
    let mut all = Vec::new();
    for (ti, t) in rs.tables().iter().enumerate() {
        for (ci, c) in t.chains.iter().enumerate() {
            let policy = rs.counters(ti, ci, None);
            all.push((format!("{} {} policy", t.name, c.name), policy));
            for (i, r) in c.rules.iter().enumerate() {
                let name = format!("{} {} rule {i} ({:?})", t.name, c.name, r.id);
                all.push((name, rs.counters(ti, ci, Some(i))));
            }
        }
    }
    all
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Each packet runs through every base chain in turn (carrying its mark on, as a hook's
    /// pipeline does): both walks give the same verdict and leave the same mark, and every
    /// rule and policy counter stays equal in the two copies.
    #[test]
    fn eval_agrees_with_the_reference(
        plan in ruleset_plan(),
        packets in prop::collection::vec(packet(), 1..=50),
    ) {
        let mut engine = build(&plan);
        let mut reference = engine.clone();
        let bases = base_chains(&engine);
        for (n, packet) in packets.iter().enumerate() {
            let mut by_engine = *packet;
            let mut by_reference = *packet;
            for &(t, c) in &bases {
                let got = eval::walk(&mut engine, t, c, &mut by_engine);
                let want = walk(&mut reference, t, c, &mut by_reference);
                prop_assert_eq!(got, want, "packet {} in table {} chain {}", n, t, c);
                prop_assert_eq!(by_engine.mark, by_reference.mark, "mark after table {} chain {}", t, c);
                prop_assert_eq!(by_engine, by_reference);
            }
        }
        prop_assert_eq!(counters(&engine), counters(&reference));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// The protocol fast path is only a shortcut: whenever it accepts a packet at a hook,
    /// walking that hook's non-NAT base chains accepts it too, and the counters the fast path
    /// keeps aside add up to what the walks count.
    #[test]
    fn the_fast_path_agrees_with_walking(
        plan in ruleset_plan(),
        packets in prop::collection::vec(packet(), 1..=50),
        hooks in prop::collection::vec(prop::sample::select(Hook::ALL.to_vec()), 50),
    ) {
        let mut engine = build(&plan);
        let mut reference = engine.clone();
        for (p, hook) in packets.iter().zip(hooks) {
            if !engine.accept_by_protocol(hook, p.proto, p.len) {
                continue;
            }
            for i in 0..reference.base_chain_count(hook) {
                let (t, c) = reference.base_chain(hook, i);
                if reference.tables()[t].kind == TableKind::Nat {
                    continue;
                }
                let mut q = *p;
                let verdict = walk(&mut reference, t, c, &mut q);
                prop_assert!(
                    matches!(verdict, TableVerdict::Accept { .. }),
                    "fast path accepted protocol {} at {:?}, table {} chain {} says {:?}",
                    p.proto, hook, t, c, verdict
                );
            }
        }
        prop_assert_eq!(counters(&engine), counters(&reference));
        // Folding the kept-aside counts into the rules (as an edit does) changes no total.
        engine.settle_counters();
        prop_assert_eq!(counters(&engine), counters(&reference));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// What a sent packet takes of the rules in one call is its definition: it passes
    /// `Output` and `Postrouting` by protocol (`passes_by_protocol` at both) and is then
    /// counted at each hook that has chains (`accept_by_protocol`), or it is refused and
    /// nothing is counted. Both copies' answers and counters agree.
    #[test]
    fn accepting_a_sent_packet_is_its_definition(
        plan in ruleset_plan(),
        packets in prop::collection::vec(packet(), 1..=50),
    ) {
        let mut engine = build(&plan);
        let mut defined = engine.clone();
        for p in &packets {
            let want = [Hook::Output, Hook::Postrouting]
                .iter()
                .all(|&h| defined.passes_by_protocol(h, p.proto));
            if want {
                for hook in [Hook::Output, Hook::Postrouting] {
                    if defined.has_hook(hook) {
                        defined.accept_by_protocol(hook, p.proto, p.len);
                    }
                }
            }
            prop_assert_eq!(engine.accept_sent_by_protocol(p.proto, p.len), want);
        }
        prop_assert_eq!(counters(&engine), counters(&defined));
    }
}

/// A ruleset whose INPUT accepts TCP by its first rule takes TCP by the fast path, counts it
/// on that rule, and keeps the count through an edit.
#[test]
fn fast_path_counts_survive_an_edit() {
    let mut rs = Ruleset::new();
    rs.ensure_table("filter", TableKind::Filter);
    rs.ensure_base_chain("filter", "INPUT", Hook::Input, Policy::Drop("deny".into()))
        .unwrap();
    rs.append(
        "filter",
        "INPUT",
        RuleSpec::new(vec![Match::is(Test::Proto(vec![6]))], Target::Accept),
    )
    .unwrap();
    assert!(rs.accept_by_protocol(Hook::Input, 6, 60));
    assert!(rs.accept_by_protocol(Hook::Input, 6, 40));
    assert!(
        !rs.accept_by_protocol(Hook::Input, 17, 40),
        "UDP meets the DROP policy"
    );
    assert_eq!(
        rs.counters(0, 0, Some(0)),
        Counters {
            packets: 2,
            bytes: 100
        }
    );
    rs.insert(
        "filter",
        "INPUT",
        0,
        RuleSpec::new(vec![Match::is(Test::Proto(vec![1]))], Target::Accept),
    )
    .unwrap();
    assert_eq!(
        rs.counters(0, 0, Some(1)),
        Counters {
            packets: 2,
            bytes: 100
        }
    );
    assert_eq!(
        rs.tables()[0].chains[0].rules[1].counters.packets,
        2,
        "folded in"
    );
}

/// The generator reaches every kind of verdict, nesting too deep included, so that the
/// property above compares walks that matter.
#[test]
fn random_rulesets_reach_every_verdict() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let plan = ruleset_plan()
            .new_tree(&mut runner)
            .expect("a plan")
            .current();
        let packets = prop::collection::vec(packet(), 50)
            .new_tree(&mut runner)
            .expect("packets")
            .current();
        let mut rs = build(&plan);
        for &(t, c) in &base_chains(&rs) {
            for mut p in packets.clone() {
                let kind = match walk(&mut rs, t, c, &mut p) {
                    TableVerdict::Accept { shown: Some(_) } => "accept shown",
                    TableVerdict::Accept { shown: None } => "accept",
                    TableVerdict::Drop(At { rule: None, .. }) => "policy drop",
                    TableVerdict::Drop(At { rule: Some(_), .. }) => "drop",
                    TableVerdict::Reject(..) => "reject",
                    TableVerdict::TooDeep(_) => "too deep",
                    TableVerdict::Nat(NatDecision::Dnat(_), _) => "dnat",
                    TableVerdict::Nat(NatDecision::Snat(_), _) => "snat",
                    TableVerdict::Nat(NatDecision::Masquerade(_), _) => "masquerade",
                };
                seen.insert(kind);
            }
        }
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        [
            "accept",
            "accept shown",
            "dnat",
            "drop",
            "masquerade",
            "policy drop",
            "reject",
            "snat",
            "too deep"
        ]
    );
}

/// The boundary of the nesting limit: `MAX_JUMP_DEPTH` nested jumps run, one more is too deep.
#[test]
fn jumps_nest_exactly_max_jump_depth_deep() {
    for (depth, expect_too_deep) in [(MAX_JUMP_DEPTH, false), (MAX_JUMP_DEPTH + 1, true)] {
        let mut rs = Ruleset::new();
        rs.ensure_table("f", TableKind::Filter);
        rs.ensure_base_chain("f", "INPUT", Hook::Input, Policy::Accept)
            .unwrap();
        let mut caller = "INPUT".to_string();
        for i in 0..depth {
            let callee = format!("c{i}");
            rs.ensure_chain("f", &callee, None).unwrap();
            rs.append(
                "f",
                &caller,
                RuleSpec::new(vec![], Target::Jump(callee.clone())),
            )
            .unwrap();
            caller = callee;
        }
        rs.append("f", &caller, RuleSpec::new(vec![], Target::Drop))
            .unwrap();
        let mut copy = rs.clone();
        let p = PacketMeta::new(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
            6,
            40,
        );
        let want = walk(&mut rs, 0, 0, &mut p.clone());
        let last = depth; // the chain index of the deepest chain
        if expect_too_deep {
            assert_eq!(
                want,
                TableVerdict::TooDeep(At {
                    chain: last - 1,
                    rule: Some(0)
                })
            );
        } else {
            assert_eq!(
                want,
                TableVerdict::Drop(At {
                    chain: last,
                    rule: Some(0)
                })
            );
        }
        assert_eq!(eval::walk(&mut copy, 0, 0, &mut p.clone()), want);
    }
}
