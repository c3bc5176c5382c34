//! The resolver on a loopback address of its own stack (`names::LocalResolver`, Docker's
//! embedded DNS inside a Linux container's namespace): a query reaches it on its own port
//! (the ruleset DNATs port 53 there), and it answers from its port, which the connection's
//! NAT turns back into port 53 for the client.
//!
//! A known name gets every address (shuffled, TTL 600) for an A question and an empty
//! NOERROR answer for any other type; a reverse lookup of a known address gets
//! `name.network`; anything else is forwarded upstream from this stack, or answered
//! SERVFAIL when the resolver must not forward (reference linux-drivers.md section 7).

use super::dns::{forward, message, said, send, Asked};
use super::Sockets;
use crate::device::action::ResolverEvent;
use crate::device::stack::interface::{Interface, Local};
use crate::device::stack::names::Known;
use crate::device::Outbox;
use crate::rng::SimRng;
use crate::wire::{self, DnsMessage, RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_SERVFAIL};
use std::net::{Ipv4Addr, SocketAddrV4};

/// The TTL of the resolver's answers (moby `resolver.go` `respTTL`).
const TTL: u32 = 600;

/// A datagram for the stack's local resolver; false if it is not for it.
pub fn input(
    s: &mut Sockets,
    net: &mut Interface,
    dport: u16,
    local: &Local,
    out: &mut Outbox,
) -> bool {
    // Every datagram no socket bound asks: the index answers for a stack without one.
    if !net.cfg.has_local_resolver() {
        return false;
    }
    let Some(ip) = local.view.ip else {
        return false;
    };
    let Some(r) = net.cfg.services().local_resolver.as_ref() else {
        return false;
    };
    if r.bind != ip.dst || r.udp_port != dport {
        return false;
    }
    let Some((q, sport)) = message(local) else {
        return true;
    };
    let me = SocketAddrV4::new(r.bind, r.udp_port);
    let client = SocketAddrV4::new(ip.src, sport);
    let reverse = (q.qtype == wire::QTYPE_PTR)
        .then(|| wire::reverse_addr(&q.question))
        .flatten();
    let known = r.resolve(&q.question, reverse);
    let name = r.name.clone();
    let seed = r.shuffle_seed;
    let probe = local.frame.probe;
    let bytes = &local.frame.bytes;
    let reply = match known {
        Known::Addrs(mut addrs) => {
            if q.qtype == wire::QTYPE_A && addrs.len() > 1 {
                s.resolver_draws += 1;
                shuffle(&mut addrs, seed, s.resolver_draws);
            }
            let mut reply = q.reply(RCODE_NOERROR);
            if q.qtype == wire::QTYPE_A {
                reply.answers = addrs
                    .into_iter()
                    .map(|a| (q.question.clone(), a, TTL))
                    .collect();
            }
            reply
        }
        Known::Ptr(target) if q.qtype == wire::QTYPE_PTR => {
            let mut reply = q.reply(RCODE_NOERROR);
            reply.ptr_answers.push((target, TTL));
            reply
        }
        Known::Ptr(_) | Known::Unknown => {
            return unknown(s, net, q, client, me, probe, bytes, &name, out);
        }
    };
    out.hop(probe, bytes, |syms| {
        let query = syms.intern(&q.question);
        said(syms, &name, ResolverEvent::Known { query })
    });
    send(net, me, client, &reply, probe, out);
    true
}

/// A name the resolver does not hold: forwarded to the first upstream, or SERVFAIL (not
/// allowed to forward) or NXDOMAIN (nowhere to ask).
#[allow(clippy::too_many_arguments)]
fn unknown(
    s: &mut Sockets,
    net: &mut Interface,
    q: DnsMessage,
    client: SocketAddrV4,
    me: SocketAddrV4,
    probe: Option<crate::id::ProbeId>,
    bytes: &[u8],
    name: &str,
    out: &mut Outbox,
) -> bool {
    let Some(r) = net.cfg.services().local_resolver.as_ref() else {
        return true;
    };
    let upstream: Option<Ipv4Addr> = r.upstreams.first().copied();
    if !r.forward_unknown {
        out.hop(probe, bytes, |syms| {
            said(syms, name, ResolverEvent::NotForwarded)
        });
        send(net, me, client, &q.reply(RCODE_SERVFAIL), probe, out);
        return true;
    }
    let Some(upstream) = upstream else {
        out.hop(probe, bytes, |syms| {
            said(syms, name, ResolverEvent::Unknown)
        });
        send(net, me, client, &q.reply(RCODE_NXDOMAIN), probe, out);
        return true;
    };
    let asked = Asked {
        resolver: name,
        bytes,
        probe,
        client,
        reply_from: me,
    };
    forward(s, net, q, &asked, upstream, out);
    true
}

/// Fisher-Yates with the resolver's seed and the number of shuffles it has made, so that
/// runs repeat and successive answers differ (moby shuffles with `rand.Shuffle`).
fn shuffle(addrs: &mut [Ipv4Addr], seed: u64, draw: u64) {
    let mut rng = SimRng::derive(seed, &format!("resolver-shuffle:{draw}"));
    for i in (1..addrs.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        addrs.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use crate::device::stack::names::{LocalResolver, ResolverTable, SharedNames};
    use crate::device::stack::{IfaceConfig, IpStack, StackConfig};
    use crate::device::{Device, Frame};
    use crate::engine::link::LinkParams;
    use crate::engine::{Engine, Limits};
    use crate::id::{NodeId, PortId, ProbeId};
    use crate::time::SimDuration;
    use crate::topology::{NodeInfo, NodeKind};
    use crate::wire::{self, DnsMessage, IpHeader, MacAddr, L4};
    use std::net::Ipv4Addr;

    const A_MAC: MacAddr = MacAddr(0x02, 0, 0, 0, 0, 1);
    const B_MAC: MacAddr = MacAddr(0x02, 0, 0, 0, 0, 2);
    const PORT: u16 = 45647;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().expect("an address")
    }

    fn add(eng: &mut Engine, name: &str, mac: MacAddr, addr: &str) -> (NodeId, SharedNames) {
        let mut cfg = StackConfig::new(name, 64);
        cfg.ifaces_mut().push(Some(IfaceConfig::ethernet(
            "eth0",
            mac,
            Some(addr.parse().expect("a prefix")),
        )));
        let names = SharedNames::new();
        names.update(|t| {
            t.add("c2", ip("172.18.0.3"));
            t.add_ptr(ip("172.18.0.3"), "c2");
            t.add("svc", ip("172.18.0.2"));
            t.add("svc", ip("172.18.0.3"));
            t.add("svc", ip("172.18.0.4"));
        });
        cfg.services_mut().local_resolver = Some(LocalResolver {
            name: format!("resolver of {name}"),
            bind: cfg.ifaces()[0]
                .as_ref()
                .and_then(|i| i.addr)
                .expect("an address")
                .ip(),
            udp_port: PORT,
            tcp_port: PORT + 1,
            tables: vec![ResolverTable {
                suffix: "n1".into(),
                names: names.clone(),
            }],
            private: Vec::new(),
            upstreams: Vec::new(),
            forward_unknown: false,
            shuffle_seed: 7,
        });
        let node = eng.add_node(
            NodeInfo {
                name: name.into(),
                kind: NodeKind::External,
                host: None,
            },
            Device::Stack(Box::new(IpStack::new(cfg))),
        );
        (node, names)
    }

    /// A resolver on b (10.0.0.2) and a client a (10.0.0.1) on one cable.
    fn world() -> (Engine, NodeId) {
        let mut eng = Engine::new(1, Limits::default());
        let (a, _) = add(&mut eng, "a", A_MAC, "10.0.0.1/24");
        let (b, _) = add(&mut eng, "b", B_MAC, "10.0.0.2/24");
        eng.connect(
            "a-b".into(),
            (a, PortId(0)),
            (b, PortId(0)),
            LinkParams::internal(),
            false,
        );
        eng.record_frames(true);
        (eng, b)
    }

    /// Hands b's resolver query `q` from 10.0.0.1:40000 (the clock does not move).
    fn query(eng: &mut Engine, b: NodeId, q: &DnsMessage, probe: u32) {
        let h = IpHeader {
            src_mac: A_MAC,
            dst_mac: B_MAC,
            src: ip("10.0.0.1"),
            dst: ip("10.0.0.2"),
            ttl: 64,
            ident: 1,
        };
        let bytes = wire::udp_frame(&h, 40000, PORT, &wire::dns_emit(q));
        let frame = Frame::new(bytes, Some(ProbeId(probe)));
        eng.invoke(b, |d, out| d.handle_frame(PortId(0), frame, out));
    }

    /// b's forwarded queries still waiting for an answer.
    fn waiting(eng: &Engine, b: NodeId) -> usize {
        eng.device(b)
            .and_then(Device::as_stack)
            .map_or(0, |s| s.sockets.relays.len())
    }

    /// Asks b's resolver `q` (from 10.0.0.1:40000) and returns its answer.
    fn ask(eng: &mut Engine, b: NodeId, q: &DnsMessage, probe: u32) -> DnsMessage {
        query(eng, b, q, probe);
        eng.run_for(SimDuration::from_millis(100));
        eng.trace()
            .iter()
            .filter(|h| h.probe == ProbeId(probe) && h.node == b)
            .find_map(|h| {
                let v = wire::View::parse(&h.bytes)?;
                let L4::Udp {
                    sport: PORT,
                    payload_offset,
                    payload_len,
                    ..
                } = v.ip?.l4
                else {
                    return None;
                };
                let at = usize::from(payload_offset);
                wire::dns_parse(h.bytes.get(at..at + usize::from(payload_len))?).ok()
            })
            .expect("the resolver answered")
    }

    #[test]
    fn a_known_name_answers_a_with_ttl_600_and_other_types_empty() {
        let (mut eng, b) = world();
        let a = ask(&mut eng, b, &DnsMessage::query(1, "C2", wire::QTYPE_A), 1);
        assert_eq!((a.rcode, a.answers.len()), (wire::RCODE_NOERROR, 1));
        assert_eq!(a.answers[0], ("C2".to_string(), ip("172.18.0.3"), 600));
        for (i, t) in [wire::QTYPE_AAAA, wire::QTYPE_MX].into_iter().enumerate() {
            let r = ask(&mut eng, b, &DnsMessage::query(2, "c2.n1", t), 2 + i as u32);
            assert_eq!(r.rcode, wire::RCODE_NOERROR, "type {t}");
            assert!(r.answers.is_empty() && r.ptr_answers.is_empty(), "type {t}");
        }
    }

    #[test]
    fn reverse_lookups_answer_name_dot_network() {
        let (mut eng, b) = world();
        let q = DnsMessage::query(3, &wire::reverse_name(ip("172.18.0.3")), wire::QTYPE_PTR);
        let r = ask(&mut eng, b, &q, 1);
        assert_eq!(r.ptr_answers, vec![("c2.n1".to_string(), 600)]);
    }

    #[test]
    fn several_addresses_come_back_all_and_shuffled() {
        let (mut eng, b) = world();
        let mut orders = std::collections::BTreeSet::new();
        for i in 0..12 {
            let r = ask(
                &mut eng,
                b,
                &DnsMessage::query(4, "svc", wire::QTYPE_A),
                1 + i,
            );
            let mut got: Vec<Ipv4Addr> = r.answers.iter().map(|(_, a, _)| *a).collect();
            orders.insert(got.clone());
            got.sort();
            assert_eq!(
                got,
                vec![ip("172.18.0.2"), ip("172.18.0.3"), ip("172.18.0.4")]
            );
        }
        assert!(orders.len() > 1, "the order changes between answers");
    }

    #[test]
    fn an_unknown_name_it_may_not_forward_is_servfail() {
        let (mut eng, b) = world();
        let r = ask(
            &mut eng,
            b,
            &DnsMessage::query(5, "nosuchname", wire::QTYPE_A),
            1,
        );
        assert_eq!(r.rcode, wire::RCODE_SERVFAIL);
    }

    /// Makes b's resolver forward unknown names to 10.0.0.9, which never answers.
    fn forwarding_to_nobody(eng: &mut Engine, b: NodeId) {
        let r = eng
            .device_mut(b)
            .and_then(Device::as_stack_mut)
            .and_then(|s| s.config.local_resolver_mut())
            .expect("b's resolver");
        r.forward_unknown = true;
        r.upstreams = vec![ip("10.0.0.9")];
    }

    #[test]
    fn a_forwarded_query_nobody_answers_is_let_go_after_four_seconds() {
        let (mut eng, b) = world();
        forwarding_to_nobody(&mut eng, b);
        query(
            &mut eng,
            b,
            &DnsMessage::query(6, "far.example", wire::QTYPE_A),
            1,
        );
        assert_eq!(waiting(&eng, b), 1);
        eng.run_for(SimDuration::from_millis(3900));
        query(
            &mut eng,
            b,
            &DnsMessage::query(7, "far.example", wire::QTYPE_A),
            2,
        );
        assert_eq!(waiting(&eng, b), 2, "the first still waits at 3.9 s");
        eng.run_for(SimDuration::from_millis(200));
        query(
            &mut eng,
            b,
            &DnsMessage::query(8, "far.example", wire::QTYPE_A),
            3,
        );
        assert_eq!(waiting(&eng, b), 2, "the first gave up at 4 s");
    }

    #[test]
    fn at_most_1024_forwarded_queries_wait_and_the_next_is_not_forwarded() {
        let (mut eng, b) = world();
        forwarding_to_nobody(&mut eng, b);
        for i in 0..1030u16 {
            let q = DnsMessage::query(i, "far.example", wire::QTYPE_A);
            query(&mut eng, b, &q, 1 + u32::from(i));
        }
        assert_eq!(waiting(&eng, b), super::super::dns::MAX_FORWARDED);
        let busy = eng
            .trace()
            .iter()
            .filter(|h| {
                matches!(
                    h.action,
                    crate::device::action::Action::Delivered(
                        crate::device::action::Delivery::Resolver {
                            event: crate::device::action::ResolverEvent::Busy { max: 1024 },
                            ..
                        }
                    )
                )
            })
            .count();
        assert!(busy > 0, "a query over the bound says so");
    }
}
