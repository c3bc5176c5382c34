//! DNS on UDP 53: a zone server (an outside host's records), Docker's embedded resolver (one
//! per network gateway, answering the names of its containers and forwarding the rest), and
//! the relays that carry a forwarded query's answer back to the container that asked.
//!
//! A forwarded query waits for its answer as long as libnetwork's resolver does
//! (`resolver.go`: `extIOTimeout`, 4 s, the deadline of its upstream socket) and at most
//! `maxConcurrent` (1,024) wait at once; a query over that bound is not forwarded. Either
//! way the client gets no answer (moby writes nothing when no upstream answered), and an
//! answer that comes after the deadline finds the socket closed. Expired relays are let go
//! whenever the table is touched, so it holds at most what the last 4 s forwarded.

use super::{SocketRef, Sockets};
use crate::device::action::{Action, Delivery, ResolverEvent};
use crate::device::stack::interface::{Interface, Local};
use crate::device::Outbox;
use crate::id::ProbeId;
use crate::time::{SimDuration, SimTime};
use crate::wire::{self, DnsMessage, IPPROTO_UDP, L4};
use std::net::{Ipv4Addr, SocketAddrV4};

/// How long a forwarded query waits for its upstream (moby `resolver.go` `extIOTimeout`).
pub const FORWARD_TIMEOUT: SimDuration = SimDuration::from_secs(4);

/// How many forwarded queries may wait at once (moby `resolver.go` `maxConcurrent`).
pub const MAX_FORWARDED: usize = 1024;

/// A query the embedded resolver passed on to an upstream server.
#[derive(Debug, Clone)]
pub struct ForwardedQuery {
    upstream_id: u16,
    local_port: u16,
    client: SocketAddrV4,
    client_id: u16,
    /// Where the resolver answered the client from.
    reply_from: SocketAddrV4,
    /// When the resolver stops waiting for the answer and closes the socket.
    deadline: SimTime,
}

/// Lets go of the forwarded queries whose deadline has passed (their sockets close).
fn expire_relays(s: &mut Sockets, now: SimTime) {
    let binds = &mut s.binds;
    s.relays.retain(|q| {
        let waiting = now < q.deadline;
        if !waiting {
            binds.unbind(IPPROTO_UDP, q.local_port);
        }
        waiting
    });
}

fn normalize_name(n: &str) -> String {
    n.trim_end_matches('.').to_ascii_lowercase()
}

fn lookup(records: &[(String, Ipv4Addr)], name: &str) -> Option<Ipv4Addr> {
    let n = normalize_name(name);
    records
        .iter()
        .find(|(r, _)| normalize_name(r) == n)
        .map(|(_, ip)| *ip)
}

/// A zone's answer: the address of a known name (none for other question types), or
/// NXDOMAIN.
fn answer_for(q: &DnsMessage, addr: Option<Ipv4Addr>) -> DnsMessage {
    let mut r = q.reply(if addr.is_some() { 0 } else { 3 });
    if q.qtype == wire::QTYPE_A {
        r.answers = addr
            .map(|a| vec![(q.question.clone(), a, 600)])
            .unwrap_or_default();
    }
    r
}

/// A query (or answer) carried in a UDP datagram, with its source port.
pub(super) fn message(local: &Local) -> Option<(DnsMessage, u16)> {
    let L4::Udp {
        sport,
        payload_offset,
        payload_len,
        ..
    } = local.view.ip?.l4
    else {
        return None;
    };
    let payload = local
        .frame
        .bytes
        .get(usize::from(payload_offset)..usize::from(payload_offset) + usize::from(payload_len))?;
    Some((wire::dns_parse(payload).ok()?, sport))
}

pub(super) fn said(syms: &mut crate::sym::Interner, name: &str, event: ResolverEvent) -> Action {
    Action::Delivered(Delivery::Resolver {
        name: syms.intern(name),
        event,
    })
}

pub(super) fn send(
    net: &mut Interface,
    from: SocketAddrV4,
    to: SocketAddrV4,
    msg: &DnsMessage,
    probe: Option<ProbeId>,
    out: &mut Outbox,
) {
    let payload = wire::dns_emit(msg);
    net.send_ip(Some(*from.ip()), *to.ip(), probe, out, |h| {
        wire::udp_frame(h, from.port(), to.port(), &payload)
    });
}

/// A datagram for UDP 53: the embedded resolver bound to its destination, else the zone
/// server. Returns false if neither is configured.
pub fn server_input(s: &mut Sockets, net: &mut Interface, local: &Local, out: &mut Outbox) -> bool {
    let Some(ip) = local.view.ip else {
        return false;
    };
    let services = net.cfg.services();
    if let Some(i) = services.embedded_dns.iter().position(|d| d.bind == ip.dst) {
        if let Some((q, sport)) = message(local) {
            embedded(s, net, i, local, q, sport, out);
        }
        return true;
    }
    let listening = match services.dns_zone_bind {
        Some(bind) => bind == ip.dst,
        None => !services.dns_zone.is_empty(),
    };
    if !listening {
        return false;
    }
    let Some((q, sport)) = message(local) else {
        return true;
    };
    let frame = &local.frame;
    out.hop(frame.probe, &frame.bytes, |_| {
        Action::Delivered(Delivery::DnsServer)
    });
    let reply = answer_for(&q, lookup(&net.cfg.services().dns_zone, &q.question));
    let (from, to) = (
        SocketAddrV4::new(ip.dst, 53),
        SocketAddrV4::new(ip.src, sport),
    );
    send(net, from, to, &reply, frame.probe, out);
    true
}

fn embedded(
    s: &mut Sockets,
    net: &mut Interface,
    i: usize,
    local: &Local,
    q: DnsMessage,
    sport: u16,
    out: &mut Outbox,
) {
    let Some(ip) = local.view.ip else {
        return;
    };
    let frame = &local.frame;
    let resolver = &net.cfg.services().embedded_dns[i];
    let name = resolver.name.clone();
    let known = lookup(&resolver.records, &q.question);
    let upstream = resolver.upstreams.first().copied();
    let client = SocketAddrV4::new(ip.src, sport);
    let me = SocketAddrV4::new(ip.dst, 53);
    if let Some(addr) = known {
        out.hop(frame.probe, &frame.bytes, |syms| {
            let query = syms.intern(&q.question);
            said(syms, &name, ResolverEvent::Known { query })
        });
        send(
            net,
            me,
            client,
            &answer_for(&q, Some(addr)),
            frame.probe,
            out,
        );
        return;
    }
    let Some(upstream) = upstream else {
        out.hop(frame.probe, &frame.bytes, |syms| {
            said(syms, &name, ResolverEvent::Unknown)
        });
        send(net, me, client, &answer_for(&q, None), frame.probe, out);
        return;
    };
    let asked = Asked {
        resolver: &name,
        bytes: &frame.bytes,
        probe: frame.probe,
        client,
        reply_from: me,
    };
    forward(s, net, q, &asked, upstream, out);
}

/// Who asked a resolver what: the query's frame (for the trace), the client and the
/// resolver's own address it answers from.
pub(super) struct Asked<'a> {
    pub resolver: &'a str,
    pub bytes: &'a [u8],
    pub probe: Option<ProbeId>,
    pub client: SocketAddrV4,
    pub reply_from: SocketAddrV4,
}

/// Passes query `q` of `asked.client` on to `upstream` from an ephemeral port of this
/// stack; the answer goes back to the client from `asked.reply_from` (`relay_input`). With
/// `MAX_FORWARDED` queries already waiting it is not forwarded, and nobody answers.
pub(super) fn forward(
    s: &mut Sockets,
    net: &mut Interface,
    q: DnsMessage,
    asked: &Asked,
    upstream: Ipv4Addr,
    out: &mut Outbox,
) {
    expire_relays(s, out.now);
    if s.relays.len() >= MAX_FORWARDED {
        out.hop(asked.probe, asked.bytes, |syms| {
            said(
                syms,
                asked.resolver,
                ResolverEvent::Busy {
                    max: MAX_FORWARDED as u32,
                },
            )
        });
        return;
    }
    out.hop(asked.probe, asked.bytes, |syms| {
        said(syms, asked.resolver, ResolverEvent::Forwarded { upstream })
    });
    let local_port = s.binds.ephemeral(net, IPPROTO_UDP);
    s.binds.bind(IPPROTO_UDP, local_port, SocketRef::Relay);
    s.relays.push(ForwardedQuery {
        upstream_id: local_port,
        local_port,
        client: asked.client,
        client_id: q.id,
        reply_from: asked.reply_from,
        deadline: out.now + FORWARD_TIMEOUT,
    });
    let fwd = DnsMessage {
        id: local_port,
        ..q
    };
    let payload = wire::dns_emit(&fwd);
    net.send_ip(None, upstream, asked.probe, out, |h| {
        wire::udp_frame(h, local_port, 53, &payload)
    });
}

/// An upstream server's answer to a relayed query: back to the container that asked.
pub fn relay_input(s: &mut Sockets, net: &mut Interface, local: &Local, out: &mut Outbox) -> bool {
    let Some(L4::Udp { dport, .. }) = local.view.ip.map(|i| i.l4) else {
        return false;
    };
    expire_relays(s, out.now);
    let Some(i) = s.relays.iter().position(|q| q.local_port == dport) else {
        return false;
    };
    let Some((mut answer, _)) = message(local) else {
        return false;
    };
    if answer.id != s.relays[i].upstream_id {
        return false;
    }
    let q = s.relays.swap_remove(i);
    s.binds.unbind(IPPROTO_UDP, q.local_port);
    let frame = &local.frame;
    out.hop(frame.probe, &frame.bytes, |syms| {
        said(syms, "", ResolverEvent::Relayed)
    });
    answer.id = q.client_id;
    send(net, q.reply_from, q.client, &answer, frame.probe, out);
    true
}
