//! The resolver on a loopback address of its own stack (`names::LocalResolver`, Docker's
//! embedded DNS inside a Linux container's namespace): a query reaches it on its own port
//! (the ruleset DNATs port 53 there), and it answers from its port, which the connection's
//! NAT turns back into port 53 for the client.
//!
//! A known name gets every address (shuffled, TTL 600) for an A question and an empty
//! NOERROR answer for any other type; a reverse lookup of a known address gets
//! `name.network`; anything else is forwarded upstream from this stack, or answered
//! SERVFAIL when the resolver must not forward (reference linux-drivers.md section 7).

use super::dns::{forward, message, said, send};
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
    let Some(ip) = local.view.ip else {
        return false;
    };
    let Some(r) = net.cfg.services.local_resolver.as_ref() else {
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
    let Some(r) = net.cfg.services.local_resolver.as_ref() else {
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
    out.hop(probe, bytes, |syms| {
        said(syms, name, ResolverEvent::Forwarded { upstream })
    });
    forward(s, net, q, client, me, upstream, probe, out);
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
