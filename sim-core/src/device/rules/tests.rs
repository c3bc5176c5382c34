//! Unit tests of the rule model and the table walk.

use super::eval::{walk, At, NatDecision, PacketMeta, TableVerdict};
use super::*;
use std::net::Ipv4Addr;

fn pkt(src: [u8; 4], dst: [u8; 4], proto: u8, dport: u16) -> PacketMeta {
    let mut p = PacketMeta::new(Ipv4Addr::from(src), Ipv4Addr::from(dst), proto, 60);
    p.sport = 40000;
    p.dport = dport;
    p.has_ports = proto == 6 || proto == 17;
    p
}

fn net(s: &str) -> Ipv4Network {
    s.parse().expect("test prefix")
}

/// A filter table with INPUT (policy drop) jumping to a user chain.
fn firewall() -> Ruleset {
    let mut rs = Ruleset::new();
    rs.ensure_table("filter", TableKind::Filter);
    rs.ensure_base_chain(
        "filter",
        "INPUT",
        Hook::Input,
        Policy::Drop("default deny".into()),
    )
    .unwrap();
    rs.ensure_chain("filter", "SERVICES", None).unwrap();
    rs.append(
        "filter",
        "INPUT",
        RuleSpec::new(
            vec![Match::is(Test::CtState(CtStates::ESTABLISHED))],
            Target::Accept,
        ),
    )
    .unwrap();
    rs.append(
        "filter",
        "INPUT",
        RuleSpec::new(
            vec![Match::is(Test::Proto(vec![6]))],
            Target::Jump("SERVICES".into()),
        ),
    )
    .unwrap();
    rs.append(
        "filter",
        "SERVICES",
        RuleSpec::new(
            vec![Match::not(Test::Src(vec![net("10.0.0.0/8")]))],
            Target::Return,
        ),
    )
    .unwrap();
    rs.append(
        "filter",
        "SERVICES",
        RuleSpec::new(vec![Match::is(Test::DstPort(80, 80))], Target::Accept)
            .comment("web")
            .shown(),
    )
    .unwrap();
    rs
}

fn input(rs: &mut Ruleset, p: &mut PacketMeta) -> TableVerdict {
    let (t, c) = rs.base_chain(Hook::Input, 0);
    walk(rs, t, c, p)
}

#[test]
fn first_match_with_jump_and_return() {
    let mut rs = firewall();
    let web = rs.tables()[0].chains[1].rules[1].id;
    let v = input(&mut rs, &mut pkt([10, 1, 1, 1], [10, 0, 0, 2], 6, 80));
    assert_eq!(v, TableVerdict::Accept { shown: Some(web) });
    // Outside 10/8: SERVICES returns, INPUT falls to its policy.
    let v = input(&mut rs, &mut pkt([192, 168, 0, 1], [10, 0, 0, 2], 6, 80));
    assert_eq!(
        v,
        TableVerdict::Drop(At {
            chain: 0,
            rule: None
        })
    );
    // Established traffic is accepted by the first rule, whatever its port.
    let mut p = pkt([192, 168, 0, 1], [10, 0, 0, 2], 17, 9);
    p.ct_state = CtStates::ESTABLISHED;
    assert_eq!(input(&mut rs, &mut p), TableVerdict::Accept { shown: None });
    // Counters: rule 2 of INPUT (the jump) saw both TCP packets, the policy one drop.
    let c = &rs.tables()[0].chains[0];
    assert_eq!(c.rules[1].counters.packets, 2);
    assert_eq!(c.rules[0].counters.packets, 1);
    assert_eq!(c.policy_counters.packets, 1);
    assert_eq!(c.policy_counters.bytes, 60);
}

#[test]
fn nat_targets_only_in_nat_tables_and_jumps_must_resolve_without_loops() {
    let mut rs = firewall();
    let snat = RuleSpec::new(vec![], Target::Masquerade { ports: None });
    assert!(matches!(
        rs.append("filter", "INPUT", snat.clone()),
        Err(RulesError::Misplaced { .. })
    ));
    assert!(matches!(
        rs.append(
            "filter",
            "INPUT",
            RuleSpec::new(vec![], Target::Jump("NOPE".into()))
        ),
        Err(RulesError::UnknownJump { .. })
    ));
    assert!(matches!(
        rs.append(
            "filter",
            "SERVICES",
            RuleSpec::new(vec![], Target::Jump("SERVICES".into()))
        ),
        Err(RulesError::Loop { .. })
    ));
    // A refused edit leaves the rules as they were.
    assert_eq!(rs.tables()[0].chains[1].rules.len(), 2);
    rs.ensure_table("nat", TableKind::Nat);
    rs.ensure_base_chain("nat", "POSTROUTING", Hook::Postrouting, Policy::Accept)
        .unwrap();
    assert!(rs.append("nat", "POSTROUTING", snat).is_ok());
}

#[test]
fn dnat_balances_round_robin_over_its_backends() {
    let mut rs = Ruleset::new();
    rs.ensure_table("nat", TableKind::Nat);
    rs.ensure_base_chain("nat", "PREROUTING", Hook::Prerouting, Policy::Accept)
        .unwrap();
    let to = |last| NatTo {
        addr: Ipv4Addr::new(10, 0, 0, last),
        ports: Some((80, 80)),
    };
    rs.append(
        "nat",
        "PREROUTING",
        RuleSpec::new(
            vec![
                Match::is(Test::Proto(vec![6])),
                Match::is(Test::DstPort(8080, 8080)),
            ],
            Target::Dnat {
                to: vec![to(2), to(3)],
                balance: Balance::RoundRobin,
            },
        ),
    )
    .unwrap();
    assert!(rs.dnat_listens_on(6, 8080));
    assert!(!rs.dnat_listens_on(17, 8080));
    assert!(
        rs.needs_conntrack(6),
        "a nat rule tracks the protocols it can match"
    );
    assert!(!rs.needs_conntrack(17));
    let picks: Vec<_> = (0..4)
        .map(|_| {
            let (t, c) = rs.base_chain(Hook::Prerouting, 0);
            match walk(
                &mut rs,
                t,
                c,
                &mut pkt([1, 1, 1, 1], [10, 0, 0, 1], 6, 8080),
            ) {
                TableVerdict::Nat(NatDecision::Dnat(to), _) => to.addr.octets()[3],
                v => panic!("{v:?}"),
            }
        })
        .collect();
    assert_eq!(picks, [2, 3, 2, 3]);
}

#[test]
fn conntrack_is_needed_only_for_protocols_a_stateful_rule_can_match() {
    let mut rs = Ruleset::new();
    rs.ensure_table("fw", TableKind::Filter);
    rs.ensure_base_chain("fw", "INPUT", Hook::Input, Policy::Drop("deny".into()))
        .unwrap();
    rs.append(
        "fw",
        "INPUT",
        RuleSpec::new(
            vec![
                Match::is(Test::Proto(vec![47])),
                Match::is(Test::CtDir(CtDir::Reply)),
            ],
            Target::Accept,
        ),
    )
    .unwrap();
    rs.append(
        "fw",
        "INPUT",
        RuleSpec::new(vec![Match::is(Test::Proto(vec![1, 6, 17]))], Target::Accept),
    )
    .unwrap();
    assert!(rs.needs_conntrack(47));
    assert!(!rs.needs_conntrack(17));
    // A negated protocol test admits every other protocol.
    rs.append(
        "fw",
        "INPUT",
        RuleSpec::new(
            vec![
                Match::not(Test::Proto(vec![1, 6, 17])),
                Match::is(Test::CtState(CtStates::ESTABLISHED)),
            ],
            Target::Accept,
        ),
    )
    .unwrap();
    assert!(rs.needs_conntrack(2) && rs.needs_conntrack(47));
    assert!(!rs.needs_conntrack(6));
    assert!(!rs.needs_addrtype());
}

#[test]
fn removing_an_owner_takes_its_rules_and_chains() {
    let mut rs = firewall();
    let me = Owner(7);
    rs.ensure_chain("filter", "MINE", Some(me)).unwrap();
    rs.append(
        "filter",
        "INPUT",
        RuleSpec::new(vec![], Target::Jump("MINE".into())).owner(me),
    )
    .unwrap();
    rs.append(
        "filter",
        "MINE",
        RuleSpec::new(vec![], Target::Accept).owner(me),
    )
    .unwrap();
    assert_eq!(rs.tables()[0].chains.len(), 3);
    rs.remove_owned(me);
    assert_eq!(rs.tables()[0].chains.len(), 2);
    assert_eq!(rs.tables()[0].chains[0].rules.len(), 2);
}

#[test]
fn render_reads_like_iptables_save() {
    let mut rs = firewall();
    input(&mut rs, &mut pkt([10, 1, 1, 1], [10, 0, 0, 2], 6, 80));
    let text = render::ruleset(&rs, &|p| format!("if{}", p.0));
    assert_eq!(
        text,
        "*filter\n\
         :INPUT DROP [0:0]\n\
         :SERVICES - [0:0]\n\
         # policy of INPUT: default deny\n\
         [0:0] -A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n\
         [1:60] -A INPUT -p tcp -j SERVICES\n\
         [0:0] -A SERVICES ! -s 10.0.0.0/8 -j RETURN\n\
         [1:60] -A SERVICES --dport 80 -m comment --comment web -j ACCEPT\n\
         COMMIT\n"
    );
}

/// A goto leaves no way back: when the chain gone to ends (or returns), the walk is over and
/// the base chain's policy decides and counts, as if the base chain itself had ended.
#[test]
fn a_goto_that_ends_applies_the_base_chains_policy() {
    let mut rs = Ruleset::new();
    rs.ensure_table("filter", TableKind::Filter);
    rs.ensure_base_chain("filter", "INPUT", Hook::Input, Policy::Drop("deny".into()))
        .unwrap();
    rs.ensure_base_chain("filter", "OUTPUT", Hook::Output, Policy::Accept)
        .unwrap();
    rs.ensure_chain("filter", "EMPTY", None).unwrap();
    rs.ensure_chain("filter", "BACK", None).unwrap();
    let goto = |chain: &str, port| {
        RuleSpec::new(
            vec![Match::is(Test::DstPort(port, port))],
            Target::Goto(chain.into()),
        )
    };
    rs.append("filter", "INPUT", goto("EMPTY", 1)).unwrap();
    rs.append("filter", "INPUT", goto("BACK", 2)).unwrap();
    rs.append("filter", "INPUT", goto("OUTPUT", 3)).unwrap();
    rs.append("filter", "BACK", RuleSpec::new(vec![], Target::Return))
        .unwrap();
    for port in 1..=3 {
        let v = input(&mut rs, &mut pkt([10, 1, 1, 1], [10, 0, 0, 2], 6, port));
        assert_eq!(
            v,
            TableVerdict::Drop(At {
                chain: 0,
                rule: None
            }),
            "goto on port {port}"
        );
    }
    let chains = &rs.tables()[0].chains;
    assert_eq!(chains[0].policy_counters.packets, 3);
    assert_eq!(chains[1].policy_counters.packets, 0, "not OUTPUT's policy");
}

/// The derived tables a packet reads open the ruleset and fill its first cache line
/// (`IpStack`'s layout; `fast.rs` pins the fast paths' size).
#[test]
fn the_derived_tables_open_the_ruleset() {
    assert_eq!(std::mem::offset_of!(Ruleset, derived), 0);
    assert_eq!(std::mem::offset_of!(super::Derived, fast), 12);
}
