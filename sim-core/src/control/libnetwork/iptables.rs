//! The netfilter rules the Docker daemon programs on a Linux host, as each release lays
//! them out (reference linux-drivers.md section 5.2 and 5.3; the 20.10 layout is the one
//! recorded from a real daemon in `tests/oracle/`).
//!
//! Three layouts share one set of building blocks:
//! * up to v28.0 (`DockerEngine::isolation_chains` without `forward_chains`): the bridge
//!   rules in `FORWARD` itself, networks kept apart by `DOCKER-ISOLATION-STAGE-1/2`;
//! * v28.1 to v28.5: `FORWARD -j DOCKER-FORWARD`, split into `DOCKER-CT`, `DOCKER-BRIDGE`
//!   and `DOCKER`, still with the isolation chains, plus the raw-table DROP of direct
//!   access to containers and the per-network DROP of unpublished ports;
//! * v29: the same without the isolation chains (`DOCKER-INTERNAL` for internal networks).
//!
//! Everything is a plan item: the daemon's own chains at start (`base`), a network's rules
//! (`network`) and an endpoint's published ports (`endpoint`), each removed with its owner.

use super::{BridgeNetwork, Endpoint, Libnetwork, PortMap};
use crate::control::plan::{Item, Place, Planner};
use crate::device::rules::{
    Balance, CtStates, Hook, Match, NatTo, Policy, RuleSpec, TableKind, Target, Test,
};
use crate::id::{NodeId, PortId};
use crate::wire::{IPPROTO_TCP, IPPROTO_UDP};
use ipnetwork::Ipv4Network;
use std::net::Ipv4Addr;

/// The policy the daemon gives `FORWARD` when it turns forwarding on itself.
const FORWARD_DROP: &str =
    "FORWARD policy DROP (dockerd set it when it turned net.ipv4.ip_forward on)";

fn base_chain(table: &str, kind: TableKind, chain: &str, hook: Hook, policy: Policy) -> Place {
    Place {
        table: table.into(),
        kind,
        tag: None,
        chain: chain.into(),
        hook: Some((hook, policy)),
    }
}

fn user_chain(table: &str, kind: TableKind, chain: &str) -> Place {
    Place {
        table: table.into(),
        kind,
        tag: None,
        chain: chain.into(),
        hook: None,
    }
}

fn filter(chain: &str) -> Place {
    match chain {
        "INPUT" => base_chain(
            "filter",
            TableKind::Filter,
            chain,
            Hook::Input,
            Policy::Accept,
        ),
        "FORWARD" => base_chain(
            "filter",
            TableKind::Filter,
            chain,
            Hook::Forward,
            Policy::Accept,
        ),
        "OUTPUT" => base_chain(
            "filter",
            TableKind::Filter,
            chain,
            Hook::Output,
            Policy::Accept,
        ),
        _ => user_chain("filter", TableKind::Filter, chain),
    }
}

fn nat(chain: &str) -> Place {
    match chain {
        "PREROUTING" => base_chain(
            "nat",
            TableKind::Nat,
            chain,
            Hook::Prerouting,
            Policy::Accept,
        ),
        "INPUT" => base_chain("nat", TableKind::Nat, chain, Hook::Input, Policy::Accept),
        "OUTPUT" => base_chain("nat", TableKind::Nat, chain, Hook::Output, Policy::Accept),
        "POSTROUTING" => base_chain(
            "nat",
            TableKind::Nat,
            chain,
            Hook::Postrouting,
            Policy::Accept,
        ),
        _ => user_chain("nat", TableKind::Nat, chain),
    }
}

fn raw(chain: &str) -> Place {
    match chain {
        "PREROUTING" => base_chain(
            "raw",
            TableKind::Raw,
            chain,
            Hook::Prerouting,
            Policy::Accept,
        ),
        "OUTPUT" => base_chain("raw", TableKind::Raw, chain, Hook::Output, Policy::Accept),
        _ => user_chain("raw", TableKind::Raw, chain),
    }
}

fn r(matches: Vec<Match>, target: Target) -> RuleSpec {
    RuleSpec::new(matches, target)
}

fn jump(chain: &str) -> Target {
    Target::Jump(chain.into())
}

fn inp(port: PortId) -> Match {
    Match::is(Test::InPort(vec![port]))
}

fn not_inp(port: PortId) -> Match {
    Match::not(Test::InPort(vec![port]))
}

fn out(port: PortId) -> Match {
    Match::is(Test::OutPort(vec![port]))
}

fn not_out(port: PortId) -> Match {
    Match::not(Test::OutPort(vec![port]))
}

fn ct_related_established() -> Match {
    Match::is(Test::CtState(
        CtStates::RELATED.union(CtStates::ESTABLISHED),
    ))
}

fn host_net(ip: Ipv4Addr) -> Ipv4Network {
    Ipv4Network::new(ip, 32).expect("a /32")
}

/// The chains and jumps the daemon programs at start, before any network.
pub fn base(ln: &Libnetwork, p: &mut Planner, host: NodeId, changed_forwarding: bool) {
    let e = ln.engine;
    let forward_policy = if changed_forwarding {
        Policy::Drop(FORWARD_DROP.into())
    } else {
        Policy::Accept
    };
    let forward = base_chain(
        "filter",
        TableKind::Filter,
        "FORWARD",
        Hook::Forward,
        forward_policy,
    );
    // The built-in chains of both tables, as `iptables-save` lists them.
    for chain in ["INPUT", "OUTPUT"] {
        p.push(Item::Chain {
            node: host,
            place: filter(chain),
        });
    }
    p.push(Item::Chain {
        node: host,
        place: forward.clone(),
    });
    for chain in ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"] {
        p.push(Item::Chain {
            node: host,
            place: nat(chain),
        });
    }
    let mut chains = vec!["DOCKER"];
    if e.forward_chains() {
        chains.extend(["DOCKER-BRIDGE", "DOCKER-CT", "DOCKER-FORWARD"]);
        if !e.isolation_chains() {
            chains.push("DOCKER-INTERNAL");
        }
    }
    if e.isolation_chains() {
        chains.extend(["DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2"]);
    }
    chains.push("DOCKER-USER");
    for chain in chains {
        p.push(Item::Chain {
            node: host,
            place: filter(chain),
        });
    }
    p.push(Item::Chain {
        node: host,
        place: nat("DOCKER"),
    });
    p.rule(host, &forward, r(vec![], jump("DOCKER-USER")));
    if e.forward_chains() {
        p.rule(host, &forward, r(vec![], jump("DOCKER-FORWARD")));
        let fwd = filter("DOCKER-FORWARD");
        p.rule(host, &fwd, r(vec![], jump("DOCKER-CT")));
        if e.isolation_chains() {
            p.rule(host, &fwd, r(vec![], jump("DOCKER-ISOLATION-STAGE-1")));
        } else {
            p.rule(host, &fwd, r(vec![], jump("DOCKER-INTERNAL")));
        }
        p.rule(host, &fwd, r(vec![], jump("DOCKER-BRIDGE")));
    } else {
        p.rule(host, &forward, r(vec![], jump("DOCKER-ISOLATION-STAGE-1")));
    }
    if e.isolation_chains() {
        p.rule(
            host,
            &filter("DOCKER-ISOLATION-STAGE-1"),
            r(vec![], Target::Return),
        );
        p.rule(
            host,
            &filter("DOCKER-ISOLATION-STAGE-2"),
            r(vec![], Target::Return),
        );
    }
    p.rule(host, &filter("DOCKER-USER"), r(vec![], Target::Return));
    let local = Match::is(Test::DstLocal {
        in_port_only: false,
    });
    p.rule(
        host,
        &nat("PREROUTING"),
        r(vec![local.clone()], jump("DOCKER")),
    );
    let mut output = vec![local];
    if ln.config.userland_proxy {
        output.insert(
            0,
            Match::not(Test::Dst(vec!["127.0.0.0/8"
                .parse()
                .expect("the loopback prefix")])),
        );
    }
    p.rule(host, &nat("OUTPUT"), r(output, jump("DOCKER")));
}

/// A bridge network's rules: forwarding to and from its bridge, its isolation from other
/// Docker bridges, its masquerade, and its ICC setting.
pub fn network(ln: &Libnetwork, p: &mut Planner, host: NodeId, net: &BridgeNetwork) {
    let e = ln.engine;
    let br = net.port;
    // The per-network FORWARD rules go on top of the chain's earlier networks (under the
    // jumps the daemon keeps first), as `iptables -I` does.
    let (fwd, first) = if e.forward_chains() {
        (filter("DOCKER-FORWARD"), 3)
    } else {
        (filter("FORWARD"), 2)
    };
    let icc = if net.icc {
        Target::Accept
    } else {
        Target::Drop
    };
    if net.internal {
        if e.isolation_chains() {
            let stage1 = filter("DOCKER-ISOLATION-STAGE-1");
            p.rule_at(
                host,
                &stage1,
                Some(0),
                r(
                    vec![inp(br), Match::not(Test::Dst(vec![net.subnet]))],
                    Target::Drop,
                ),
            );
            p.rule_at(
                host,
                &stage1,
                Some(0),
                r(
                    vec![out(br), Match::not(Test::Src(vec![net.subnet]))],
                    Target::Drop,
                ),
            );
        } else {
            let internal = filter("DOCKER-INTERNAL");
            p.rule(
                host,
                &internal,
                r(
                    vec![Match::not(Test::Src(vec![net.subnet])), out(br)],
                    Target::Drop,
                ),
            );
            p.rule(
                host,
                &internal,
                r(
                    vec![Match::not(Test::Dst(vec![net.subnet])), inp(br)],
                    Target::Drop,
                ),
            );
        }
        p.rule_at(host, &fwd, Some(first), r(vec![inp(br), out(br)], icc));
        return;
    }
    if e.forward_chains() {
        p.rule(
            host,
            &filter("DOCKER-CT"),
            r(vec![out(br), ct_related_established()], Target::Accept),
        );
        p.rule(
            host,
            &filter("DOCKER-BRIDGE"),
            r(vec![out(br)], jump("DOCKER")),
        );
        if !net.icc {
            p.rule_at(
                host,
                &fwd,
                Some(first),
                r(vec![inp(br), out(br)], Target::Drop),
            );
        }
        p.rule(host, &fwd, r(vec![inp(br)], Target::Accept));
    } else {
        let mut rules = vec![
            r(vec![out(br), ct_related_established()], Target::Accept),
            r(vec![out(br)], jump("DOCKER")),
            r(vec![inp(br), not_out(br)], Target::Accept),
        ];
        if net.icc {
            rules.push(r(vec![inp(br), out(br)], Target::Accept));
        }
        for (i, rule) in rules.into_iter().enumerate() {
            p.rule_at(host, &fwd, Some(first + i), rule);
        }
        if !net.icc {
            // `setIcc` inserts the ACCEPT but appends the DROP: with ICC off the rule sits at
            // the end of FORWARD, under every other network's (recorded from 20.10,
            // `isolation/icc-false-rules`).
            p.rule(host, &fwd, r(vec![inp(br), out(br)], Target::Drop));
        }
    }
    if e.isolation_chains() {
        p.rule_at(
            host,
            &filter("DOCKER-ISOLATION-STAGE-1"),
            Some(0),
            r(vec![inp(br), not_out(br)], jump("DOCKER-ISOLATION-STAGE-2")),
        );
        p.rule_at(
            host,
            &filter("DOCKER-ISOLATION-STAGE-2"),
            Some(0),
            r(vec![out(br)], Target::Drop),
        );
    }
    if e.drops_direct_access() {
        // Unpublished ports of this network's containers are not reachable from outside.
        p.rule(
            host,
            &filter("DOCKER"),
            r(vec![not_inp(br), out(br)], Target::Drop),
        );
    }
    // Each network's rules go on top of the earlier networks' (`iptables -I`, libnetwork's
    // `programChainRule`): the oracle's `iptables-save` lists the newest network first.
    if net.masquerade {
        p.rule_at(
            host,
            &nat("POSTROUTING"),
            Some(0),
            r(
                vec![Match::is(Test::Src(vec![net.subnet])), not_out(br)],
                Target::Masquerade { ports: None },
            ),
        );
    }
    if !ln.config.userland_proxy {
        // Hairpin mode: what the host sends itself to a published port (from 127.0.0.1,
        // `route_localnet`) leaves by the bridge with the gateway as its source.
        p.rule_at(
            host,
            &nat("POSTROUTING"),
            Some(0),
            r(
                vec![Match::is(Test::SrcLocal), out(br)],
                Target::Masquerade { ports: None },
            ),
        );
    }
    // `-i br -j RETURN` in nat `DOCKER` ("skip DNAT"): up to v27, with the proxy and
    // masquerade on, nothing that comes from a bridge is DNATed, so containers reach the
    // host's published ports through docker-proxy (the oracle's 20.10 fact). From v28 the
    // DNAT rules carry `! -i br` instead (reference 5.2).
    if ln.config.userland_proxy && net.masquerade && e < crate::control::engine::DockerEngine::V28 {
        p.rule_at(
            host,
            &nat("DOCKER"),
            Some(0),
            r(vec![inp(br)], Target::Return),
        );
    }
}

/// The rules of an endpoint's published ports: DNAT from the host's ports, the filter
/// ACCEPT for them, the hairpin masquerade, and (v28+) the raw-table DROP of direct access.
pub fn endpoint(
    ln: &Libnetwork,
    p: &mut Planner,
    host: NodeId,
    net: &BridgeNetwork,
    ep: &Endpoint,
) {
    let e = ln.engine;
    let br = net.port;
    let ip = host_net(ep.ip);
    if e.drops_direct_access() && !ep.ports.is_empty() {
        p.rule(
            host,
            &raw("PREROUTING"),
            r(
                vec![Match::is(Test::Dst(vec![ip])), not_inp(br)],
                Target::Drop,
            ),
        );
    }
    // IPv6 bindings (`::`) would be ip6tables rules, which are not modelled.
    for m in ep.ports.iter().filter(|m| m.host_ip.is_ipv4()) {
        let proto = Match::is(Test::Proto(vec![m.proto]));
        let accept = r(
            vec![
                Match::is(Test::Dst(vec![ip])),
                not_inp(br),
                out(br),
                proto.clone(),
                Match::is(Test::DstPort(m.container_port, m.container_port)),
            ],
            Target::Accept,
        );
        if e.drops_direct_access() {
            p.rule_at(host, &filter("DOCKER"), Some(0), accept);
        } else {
            p.rule(host, &filter("DOCKER"), accept);
        }
        p.rule(
            host,
            &nat("POSTROUTING"),
            r(
                vec![
                    Match::is(Test::Src(vec![ip])),
                    Match::is(Test::Dst(vec![ip])),
                    proto.clone(),
                    Match::is(Test::DstPort(m.container_port, m.container_port)),
                ],
                Target::Masquerade { ports: None },
            ),
        );
        p.rule(
            host,
            &nat("DOCKER"),
            dnat(m, br, ep.ip, ln.config.userland_proxy),
        );
    }
}

/// `DOCKER [-d HOSTIP/32] ! -i br -p tcp --dport HOSTPORT -j DNAT --to-destination IP:PORT`.
fn dnat(m: &PortMap, br: PortId, ip: Ipv4Addr, userland_proxy: bool) -> RuleSpec {
    let mut matches = Vec::new();
    if let std::net::IpAddr::V4(ip) = m.host_ip.to_canonical() {
        if !ip.is_unspecified() {
            matches.push(Match::is(Test::Dst(vec![host_net(ip)])));
        }
    }
    if userland_proxy {
        matches.push(not_inp(br));
    }
    matches.push(Match::is(Test::Proto(vec![m.proto])));
    matches.push(Match::is(Test::DstPort(m.host_port, m.host_port)));
    r(
        matches,
        Target::Dnat {
            to: vec![NatTo {
                addr: ip,
                ports: Some((m.container_port, m.container_port)),
            }],
            balance: Balance::RoundRobin,
        },
    )
}

/// The protocol's name in iptables' words.
pub fn proto_name(p: u8) -> &'static str {
    match p {
        IPPROTO_TCP => "tcp",
        IPPROTO_UDP => "udp",
        132 => "sctp",
        _ => "all",
    }
}
