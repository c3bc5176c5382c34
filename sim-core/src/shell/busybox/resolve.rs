//! Name resolution as busybox's libc does it inside a namespace: `/etc/hosts` first, then
//! one DNS query to the first `nameserver` of `/etc/resolv.conf` (or the stack's DNS server
//! when the OS model keeps no such file), sent through the devices. The answer is read
//! from the DNS response frame that came back, so whatever the devices did to it (NAT, the
//! embedded server's rules) shows.

use super::{files, routable, stack, Place};
use crate::device::stack::probe::{ProbeProto, ProbeTarget};
use crate::sim::world::World;
use crate::time::SimDuration;
use crate::wire::{self, L4};
use std::net::Ipv4Addr;

/// How long the resolver waits for an answer (glibc and busybox nslookup: 5 s per try;
/// hnsim sends one try).
const DNS_TIMEOUT: SimDuration = SimDuration::from_secs(5);

/// What one DNS query got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Query {
    /// A response: its rcode (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN), A records and PTR
    /// records (the names a reverse query got).
    Answer {
        rcode: u8,
        addrs: Vec<Ipv4Addr>,
        names: Vec<String>,
    },
    /// The server cannot be reached from here (no route: ENETUNREACH).
    Unreachable(Ipv4Addr),
    /// No response before the timeout.
    TimedOut(Ipv4Addr),
    /// The namespace has no DNS server at all.
    NoServer,
}

/// The address a name stands for, or why there is none.
pub(super) fn lookup(world: &mut World, place: &Place, name: &str) -> Option<Ipv4Addr> {
    if let Ok(ip) = name.parse::<Ipv4Addr>() {
        return Some(ip);
    }
    if let Some(ip) = from_hosts_file(world, place, name) {
        return Some(ip);
    }
    match query(world, place, name, None) {
        Query::Answer {
            rcode: 0, addrs, ..
        } => addrs.first().copied(),
        _ => None,
    }
}

/// The first IPv4 address `/etc/hosts` gives `name` (names compare without case, as glibc
/// does).
fn from_hosts_file(world: &World, place: &Place, name: &str) -> Option<Ipv4Addr> {
    let hosts = files::read(world, place, "/etc/hosts")?;
    hosts.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let ip = words.next()?.parse::<Ipv4Addr>().ok()?;
        words.any(|w| w.eq_ignore_ascii_case(name)).then_some(ip)
    })
}

/// The DNS server a namespace asks: the first `nameserver` of its `/etc/resolv.conf`, or
/// the first DNS server of its stack.
pub(super) fn server(world: &World, place: &Place) -> Option<Ipv4Addr> {
    if let Some(conf) = files::read(world, place, "/etc/resolv.conf") {
        return conf.lines().find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("nameserver"))
                .then(|| w.next()?.parse().ok())
                .flatten()
        });
    }
    stack(world, place.node)?
        .config
        .dns_servers
        .first()
        .copied()
}

/// Sends one query for `name` to `server` (or the namespace's own) and reads the answer
/// from the response frame that came back: A, or PTR for a reverse name
/// (`wire::reverse_name`).
pub(super) fn query(
    world: &mut World,
    place: &Place,
    name: &str,
    server: Option<Ipv4Addr>,
) -> Query {
    let Some(server) = server.or_else(|| self::server(world, place)) else {
        return Query::NoServer;
    };
    if !routable(world, place.node, server) {
        return Query::Unreachable(server);
    }
    let r = world.tool_probe(
        place.node,
        &place.label,
        ProbeTarget::Name(name.to_string()),
        ProbeProto::Dns,
        DNS_TIMEOUT,
        Some(server),
    );
    // The client's query id, from the query it sent; then the answer with that id (after
    // whatever NAT brought it back). Only an answer the client took counts: the probe
    // resolved, or ended on the answer's rcode.
    let messages: Vec<wire::DnsMessage> = r
        .hops
        .iter()
        .filter_map(|h| dns_message(&h.bytes))
        .collect();
    let asked = |m: &wire::DnsMessage| m.question.eq_ignore_ascii_case(name.trim_end_matches('.'));
    let query_id = messages
        .iter()
        .find(|m| !m.response && asked(m))
        .map(|m| m.id);
    let answered = r.outcome == crate::device::Outcome::Delivered || r.unresolved.is_some();
    let response = messages
        .into_iter()
        .rev()
        .find(|m| m.response && asked(m) && Some(m.id) == query_id)
        .filter(|_| answered);
    match response {
        Some(m) => Query::Answer {
            rcode: m.rcode,
            addrs: m.answers.iter().map(|(_, a, _)| *a).collect(),
            names: m.ptr_answers.iter().map(|(n, _)| n.clone()).collect(),
        },
        None => Query::TimedOut(server),
    }
}

/// The DNS message a UDP frame carries, if any.
fn dns_message(bytes: &[u8]) -> Option<wire::DnsMessage> {
    let ip = wire::View::parse(bytes)?.ip?;
    let L4::Udp {
        payload_offset,
        payload_len,
        ..
    } = ip.l4
    else {
        return None;
    };
    let start = usize::from(payload_offset);
    wire::dns_parse(bytes.get(start..start + usize::from(payload_len))?).ok()
}
