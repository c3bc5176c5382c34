//! Connection tracking: the connections a device has seen, their state, and the address
//! translations bound to them.
//!
//! Owns the connection table, its indexes, idle expiry and the choice of outside ports for
//! source NAT. One implementation serves every platform; a `Profile` sets what differs
//! (filtering behaviour, timeouts per protocol and state, port allocation, size). WinNAT and
//! Linux's nf_conntrack are two profiles of it, chosen by the control plane.
//!
//! A connection has an original tuple (as its first packet looked) and a reply tuple (what
//! an answer looks like after translation). Both are indexed, so one lookup finds a packet's
//! connection and its direction. NAT chains decide once, for the first packet; `bind_dnat`
//! and `bind_snat` record the decision by rewriting the reply tuple, and every later packet
//! is translated from the connection alone (see `rules::hook`).

use crate::device::rules::{CtDir, CtStatus, RuleId};
use crate::fastmap::FastMap;
use crate::time::{SimDuration, SimTime};
use crate::wire::{FlowKey, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};
use serde::Serialize;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Which unsolicited packets reach a source-NATed connection's outside port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Filtering {
    /// Only packets from the exact remote address and port the connection talks to.
    EndpointDependent,
    /// Any port of the remote host the connection talks to (RFC 4787 address-dependent
    /// filtering): such a packet opens a sibling connection to the same inside endpoint.
    AddressDependent,
}

/// Idle timeouts per protocol and state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Timeouts {
    pub icmp: SimDuration,
    pub udp_unreplied: SimDuration,
    pub udp_replied: SimDuration,
    pub tcp_unreplied: SimDuration,
    pub tcp_replied: SimDuration,
    pub other: SimDuration,
}

/// Which outside ports one source-NAT port allocation must avoid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PortScope {
    /// An outside address and port serves one connection, whatever the remote end.
    PerOutsideAddress,
    /// An outside port may be reused towards different remote ends (the full tuple is unique).
    PerTuple,
}

/// How source NAT picks outside ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PortPolicy {
    /// Inclusive range dynamic ports come from (ICMP identifiers too).
    pub range: (u16, u16),
    /// Keep the inside port when it is free.
    pub preserve: bool,
    pub scope: PortScope,
}

/// What differs between connection trackers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub filtering: Filtering,
    pub timeouts: Timeouts,
    pub ports: PortPolicy,
    /// Most connections the table holds; a new one beyond it is refused.
    pub max_entries: usize,
}

impl Profile {
    /// A tracker with the RFCs' recommended minimum timeouts (ICMP 60 s, RFC 5508; UDP
    /// 2 min, RFC 4787; TCP 4 min before an answer and 2 h 4 min after, RFC 5382), strict
    /// filtering, and source ports kept where free. For stacks whose platform profile says
    /// nothing more specific.
    pub fn generic() -> Self {
        let s = SimDuration::from_secs;
        Profile {
            filtering: Filtering::EndpointDependent,
            timeouts: Timeouts {
                icmp: s(60),
                udp_unreplied: s(120),
                udp_replied: s(120),
                tcp_unreplied: s(240),
                tcp_replied: s(7440),
                other: s(120),
            },
            ports: PortPolicy {
                range: (1024, 65535),
                preserve: true,
                scope: PortScope::PerTuple,
            },
            max_entries: 65_536,
        }
    }
}

/// A connection's index in its table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ConnId(pub u32);

/// One tracked connection.
#[derive(Clone, Debug, Serialize)]
pub struct Conn {
    /// The first packet's tuple.
    pub orig: FlowKey,
    /// An answer's tuple, after the translations bound to the connection.
    pub reply: FlowKey,
    pub status: CtStatus,
    pub seen_reply: bool,
    pub last_used: SimTime,
    /// The NAT rules that bound the destination and the source translation.
    pub dnat_rule: Option<RuleId>,
    pub snat_rule: Option<RuleId>,
    /// Whether the first packet got through the device. An unconfirmed connection lives only
    /// during its first packet's passage; the next packet that finds it starts afresh.
    pub confirmed: bool,
    live: bool,
}

/// Why a new connection could not be tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateError {
    /// The table is full (it holds this many connections).
    Full(usize),
    /// Its tuple, or an answer's, already belongs to another connection (a packet that
    /// crosses the device a second time after a translation): it goes by untracked.
    Clash,
}

/// No outside port is free for a source NAT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortsExhausted;

/// The tuple a packet is tracked by, from its flow key and (for ICMP) its type. An echo
/// request carries its identifier as the source "port", an echo reply as the destination
/// one, so that a request and its reply are each other's reverse.
pub fn tuple(key: FlowKey, icmp_type: Option<u8>) -> FlowKey {
    match (key.proto, icmp_type) {
        (IPPROTO_ICMP, Some(0)) => FlowKey { sport: 0, ..key },
        (IPPROTO_ICMP, _) => FlowKey { dport: 0, ..key },
        _ => key,
    }
}

pub fn reverse(k: FlowKey) -> FlowKey {
    FlowKey {
        proto: k.proto,
        src: k.dst,
        sport: k.dport,
        dst: k.src,
        dport: k.sport,
    }
}

/// The key that finds a source-NATed connection from a packet of its remote host to its
/// outside address: (protocol, outside address, outside port, remote address).
type MappingKey = (u8, Ipv4Addr, u16, Ipv4Addr);

#[derive(Clone, Debug)]
pub struct Conntrack {
    profile: Profile,
    conns: Vec<Conn>,
    free: Vec<u32>,
    index: FastMap<FlowKey, (u32, CtDir)>,
    /// Source-NATed connections by their outside endpoint and remote host (address-dependent
    /// filtering).
    by_mapping: FastMap<MappingKey, u32>,
    /// Outside (address, port) pairs in use by source NAT, with how many connections use each.
    outside_ports: FastMap<(Ipv4Addr, u16), u32>,
    next_port: u16,
    live: usize,
}

impl Conntrack {
    pub fn new(profile: Profile) -> Self {
        Conntrack {
            profile,
            conns: Vec::new(),
            free: Vec::new(),
            index: FastMap::default(),
            by_mapping: FastMap::default(),
            outside_ports: FastMap::default(),
            next_port: 0,
            live: 0,
        }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn set_profile(&mut self, profile: Profile) {
        self.profile = profile;
    }

    /// Forgets every connection (a reboot).
    pub fn clear(&mut self) {
        *self = Conntrack::new(self.profile);
    }

    /// Live connections.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    pub fn get(&self, id: ConnId) -> &Conn {
        &self.conns[id.0 as usize]
    }

    /// Every live connection, oldest slot first (`conntrack -L`).
    pub fn entries(&self) -> impl Iterator<Item = (ConnId, &Conn)> {
        self.conns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.live)
            .map(|(i, c)| (ConnId(i as u32), c))
    }

    /// The idle time after which `c` expires, by its protocol and whether it saw a reply.
    pub fn timeout(&self, c: &Conn) -> SimDuration {
        let t = &self.profile.timeouts;
        match (c.orig.proto, c.seen_reply) {
            (IPPROTO_ICMP, _) => t.icmp,
            (IPPROTO_UDP, false) => t.udp_unreplied,
            (IPPROTO_UDP, true) => t.udp_replied,
            (IPPROTO_TCP, false) => t.tcp_unreplied,
            (IPPROTO_TCP, true) => t.tcp_replied,
            _ => t.other,
        }
    }

    /// The connection a packet with tracking tuple `key` belongs to, and its direction. An
    /// idle connection found here is expired on the spot. With address-dependent filtering,
    /// a packet from a source-NATed connection's remote host to its outside port opens a
    /// sibling connection and is found in that one's reply direction.
    pub fn lookup(&mut self, now: SimTime, key: &FlowKey) -> Option<(ConnId, CtDir)> {
        if let Some(&(i, dir)) = self.index.get(key) {
            let c = &self.conns[i as usize];
            if c.confirmed && now.since(c.last_used) <= self.timeout(c) {
                return Some((ConnId(i), dir));
            }
            self.kill(i);
        }
        if self.profile.filtering == Filtering::AddressDependent && key.proto != IPPROTO_ICMP {
            let hit = self
                .by_mapping
                .get(&(key.proto, key.dst, key.dport, key.src))
                .copied();
            if let Some(i) = hit {
                let c = &self.conns[i as usize];
                if now.since(c.last_used) > self.timeout(c) {
                    self.kill(i);
                    return None;
                }
                return self.sibling(now, i, key).map(|id| (id, CtDir::Reply));
            }
        }
        None
    }

    /// A connection like `of`'s, to another port of its remote host (address-dependent
    /// filtering): same inside endpoint, same outside endpoint, same rules.
    fn sibling(&mut self, now: SimTime, of: u32, key: &FlowKey) -> Option<ConnId> {
        let base = self.conns[of as usize].clone();
        let conn = Conn {
            orig: FlowKey {
                dst: key.src,
                dport: key.sport,
                ..base.orig
            },
            reply: reverse(*key),
            last_used: now,
            ..base
        };
        let id = self.insert(conn).ok()?;
        if let Some(n) = self.outside_ports.get_mut(&(key.dst, key.dport)) {
            *n += 1;
        }
        Some(id)
    }

    /// Starts tracking a connection whose first packet has tuple `key`.
    pub fn create(&mut self, now: SimTime, key: FlowKey) -> Result<ConnId, CreateError> {
        let taken = |k: &FlowKey| {
            self.index
                .get(k)
                .is_some_and(|(i, _)| self.conns[*i as usize].confirmed)
        };
        if taken(&key) || taken(&reverse(key)) {
            return Err(CreateError::Clash);
        }
        if self.live >= self.profile.max_entries {
            self.sweep(now);
            if self.live >= self.profile.max_entries {
                return Err(CreateError::Full(self.profile.max_entries));
            }
        }
        self.insert(Conn {
            orig: key,
            reply: reverse(key),
            status: CtStatus::NONE,
            seen_reply: false,
            last_used: now,
            dnat_rule: None,
            snat_rule: None,
            confirmed: false,
            live: true,
        })
        .map_err(|_| CreateError::Full(self.profile.max_entries))
    }

    fn insert(&mut self, conn: Conn) -> Result<ConnId, ()> {
        let (orig, reply) = (conn.orig, conn.reply);
        let i = match self.free.pop() {
            Some(i) => {
                self.conns[i as usize] = conn;
                i
            }
            None => {
                self.conns.push(conn);
                (self.conns.len() - 1) as u32
            }
        };
        self.index.insert(orig, (i, CtDir::Original));
        self.index.insert(reply, (i, CtDir::Reply));
        if self.conns[i as usize].status.intersects(CtStatus::SNAT) {
            self.index_mapping(i);
        }
        self.live += 1;
        Ok(ConnId(i))
    }

    /// Removes expired connections (when the table is full).
    fn sweep(&mut self, now: SimTime) {
        for i in 0..self.conns.len() {
            let c = &self.conns[i];
            if c.live && now.since(c.last_used) > self.timeout(c) {
                self.kill(i as u32);
            }
        }
    }

    fn kill(&mut self, i: u32) {
        let c = &mut self.conns[i as usize];
        if !c.live {
            return;
        }
        c.live = false;
        let (orig, reply, snat) = (c.orig, c.reply, c.status.intersects(CtStatus::SNAT));
        for (k, dir) in [(orig, CtDir::Original), (reply, CtDir::Reply)] {
            if self.index.get(&k) == Some(&(i, dir)) {
                self.index.remove(&k);
            }
        }
        if snat {
            let key = (reply.proto, reply.dst, reply.dport, reply.src);
            if self.by_mapping.get(&key) == Some(&i) {
                self.by_mapping.remove(&key);
            }
            let out = (reply.dst, reply.dport);
            if let Some(n) = self.outside_ports.get_mut(&out) {
                *n -= 1;
                if *n == 0 {
                    self.outside_ports.remove(&out);
                }
            }
        }
        self.live -= 1;
        self.free.push(i);
    }

    /// The first packet got through: the connection stays.
    pub fn confirm(&mut self, id: ConnId) {
        self.conns[id.0 as usize].confirmed = true;
    }

    pub fn remove(&mut self, id: ConnId) {
        self.kill(id.0);
    }

    /// Removes every connection for which `pred` holds (flushing what a removed rule bound).
    pub fn remove_where(&mut self, mut pred: impl FnMut(&Conn) -> bool) {
        for i in 0..self.conns.len() {
            if self.conns[i].live && pred(&self.conns[i]) {
                self.kill(i as u32);
            }
        }
    }

    /// Forgets the connections whose translation one of `rules` bound (`conntrack -D` after
    /// those rules were deleted): a new packet of such a flow is then decided by the rules
    /// that are there now, instead of being sent where a rule that is gone said. The control
    /// plane calls it with the ids of the rules it removed.
    pub fn forget_rules(&mut self, rules: &[RuleId]) {
        if rules.is_empty() || self.live == 0 {
            return;
        }
        let bound = |r: Option<RuleId>| r.is_some_and(|r| rules.contains(&r));
        self.remove_where(|c| bound(c.dnat_rule) || bound(c.snat_rule));
    }

    /// Forgets every connection from or to `addr` on either side of its translation
    /// (`conntrack -D -s addr` and `conntrack -D -r addr`): the address's owner is gone.
    pub fn forget_addr(&mut self, addr: Ipv4Addr) {
        if self.live == 0 {
            return;
        }
        self.remove_where(|c| {
            c.orig.src == addr || c.orig.dst == addr || c.reply.src == addr || c.reply.dst == addr
        });
    }

    /// A packet of the connection went by in direction `dir`.
    pub fn touch(&mut self, id: ConnId, dir: CtDir, now: SimTime) {
        let c = &mut self.conns[id.0 as usize];
        c.last_used = now;
        if dir == CtDir::Reply {
            c.seen_reply = true;
        }
    }

    fn reindex_reply(&mut self, i: u32, reply: FlowKey) {
        let old = self.conns[i as usize].reply;
        if self.index.get(&old) == Some(&(i, CtDir::Reply)) {
            self.index.remove(&old);
        }
        self.conns[i as usize].reply = reply;
        self.index.insert(reply, (i, CtDir::Reply));
    }

    /// Files a source-NATed connection under its outside endpoint and remote host; a sibling
    /// leaves the entry to the connection it copies.
    fn index_mapping(&mut self, i: u32) {
        let r = self.conns[i as usize].reply;
        self.by_mapping
            .entry((r.proto, r.dst, r.dport, r.src))
            .or_insert(i);
    }

    /// Binds a destination translation to a new connection: its packets go to `to`.
    pub fn bind_dnat(&mut self, id: ConnId, to: SocketAddrV4, rule: RuleId) {
        let i = id.0;
        let mut reply = self.conns[i as usize].reply;
        reply.src = *to.ip();
        reply.sport = to.port();
        self.reindex_reply(i, reply);
        let c = &mut self.conns[i as usize];
        c.status = c.status.union(CtStatus::DNAT);
        c.dnat_rule = Some(rule);
    }

    /// Binds a source translation to a new connection: its packets leave from `ip` and a port
    /// within `ports` (the profile's range when `None`), chosen by the profile's policy.
    /// `reserved(proto, port)` says which ports a destination NAT listens on.
    pub fn bind_snat(
        &mut self,
        id: ConnId,
        ip: Ipv4Addr,
        ports: Option<(u16, u16)>,
        reserved: impl Fn(u8, u16) -> bool,
        rule: RuleId,
    ) -> Result<SocketAddrV4, PortsExhausted> {
        let i = id.0;
        let c = &self.conns[i as usize];
        let (proto, wanted) = (c.orig.proto, c.orig.sport);
        let remote = SocketAddrV4::new(c.reply.src, c.reply.sport);
        let port = if proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_ICMP {
            self.free_port(proto, ip, wanted, remote, ports, &reserved)
                .ok_or(PortsExhausted)?
        } else {
            0
        };
        let mut reply = self.conns[i as usize].reply;
        reply.dst = ip;
        reply.dport = port;
        self.reindex_reply(i, reply);
        let c = &mut self.conns[i as usize];
        c.status = c.status.union(CtStatus::SNAT);
        c.snat_rule = Some(rule);
        self.index_mapping(i);
        *self.outside_ports.entry((ip, port)).or_insert(0) += 1;
        Ok(SocketAddrV4::new(ip, port))
    }

    fn port_taken(&self, proto: u8, ip: Ipv4Addr, port: u16, remote: SocketAddrV4) -> bool {
        match self.profile.ports.scope {
            PortScope::PerOutsideAddress => self.outside_ports.contains_key(&(ip, port)),
            PortScope::PerTuple => self.index.contains_key(&FlowKey {
                proto,
                src: *remote.ip(),
                sport: remote.port(),
                dst: ip,
                dport: port,
            }),
        }
    }

    /// Keeps the inside port when the policy says so and it is free, else takes the next free
    /// one from the range, in turn.
    fn free_port(
        &mut self,
        proto: u8,
        ip: Ipv4Addr,
        wanted: u16,
        remote: SocketAddrV4,
        range: Option<(u16, u16)>,
        reserved: &impl Fn(u8, u16) -> bool,
    ) -> Option<u16> {
        let (lo, hi) = range.unwrap_or(self.profile.ports.range);
        let free = |p: u16, me: &Self| !me.port_taken(proto, ip, p, remote) && !reserved(proto, p);
        if self.profile.ports.preserve && (lo..=hi).contains(&wanted) && free(wanted, self) {
            return Some(wanted);
        }
        let span = u32::from(hi - lo) + 1;
        if self.next_port < lo || self.next_port > hi {
            self.next_port = lo;
        }
        for _ in 0..span {
            let p = self.next_port;
            self.next_port = if p >= hi { lo } else { p + 1 };
            if free(p, self) {
                return Some(p);
            }
        }
        None
    }

    /// The address and port a packet of connection `id` going in direction `dir` must be
    /// rewritten to at a hook that translates destinations (`destination: true`) or sources.
    /// `None` when the connection carries no such translation for that direction.
    pub fn manip(&self, id: ConnId, dir: CtDir, destination: bool) -> Option<SocketAddrV4> {
        let c = &self.conns[id.0 as usize];
        match (dir, destination) {
            // The original direction's destination becomes the DNAT target.
            (CtDir::Original, true) if c.status.intersects(CtStatus::DNAT) => {
                Some(SocketAddrV4::new(c.reply.src, c.reply.sport))
            }
            // The original direction's source becomes the SNAT address.
            (CtDir::Original, false) if c.status.intersects(CtStatus::SNAT) => {
                Some(SocketAddrV4::new(c.reply.dst, c.reply.dport))
            }
            // A reply's destination goes back to the original source.
            (CtDir::Reply, true) if c.status.intersects(CtStatus::SNAT) => {
                Some(SocketAddrV4::new(c.orig.src, c.orig.sport))
            }
            // A reply's source goes back to the original destination.
            (CtDir::Reply, false) if c.status.intersects(CtStatus::DNAT) => {
                Some(SocketAddrV4::new(c.orig.dst, c.orig.dport))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(filtering: Filtering, scope: PortScope) -> Profile {
        let s = SimDuration::from_secs;
        Profile {
            filtering,
            timeouts: Timeouts {
                icmp: s(30),
                udp_unreplied: s(120),
                udp_replied: s(120),
                tcp_unreplied: s(120),
                tcp_replied: s(1800),
                other: s(120),
            },
            ports: PortPolicy {
                range: (1024, 65535),
                preserve: true,
                scope,
            },
            max_entries: 4,
        }
    }

    fn udp(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16)) -> FlowKey {
        FlowKey {
            proto: IPPROTO_UDP,
            src: src.0,
            sport: src.1,
            dst: dst.0,
            dport: dst.1,
        }
    }

    const INSIDE: Ipv4Addr = Ipv4Addr::new(172, 20, 0, 5);
    const HOST: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 11);
    const DNS: Ipv4Addr = Ipv4Addr::new(8, 8, 8, 8);
    const OTHER: Ipv4Addr = Ipv4Addr::new(9, 9, 9, 9);

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    /// A source-NATed connection: its replies are found in the reply direction and go back to
    /// the inside endpoint; the outside port is the inside one when free.
    #[test]
    fn snat_binds_a_reply_tuple() {
        let mut ct = Conntrack::new(profile(Filtering::EndpointDependent, PortScope::PerTuple));
        let out = udp((INSIDE, 5000), (DNS, 53));
        let id = ct.create(at(0), out).unwrap();
        ct.confirm(id);
        let to = ct
            .bind_snat(id, HOST, None, |_, _| false, RuleId(1))
            .unwrap();
        assert_eq!(to, SocketAddrV4::new(HOST, 5000));
        let answer = udp((DNS, 53), (HOST, 5000));
        assert_eq!(ct.lookup(at(1), &answer), Some((id, CtDir::Reply)));
        assert_eq!(
            ct.manip(id, CtDir::Reply, true),
            Some(SocketAddrV4::new(INSIDE, 5000))
        );
        assert_eq!(ct.manip(id, CtDir::Original, false), Some(to));
        assert_eq!(ct.manip(id, CtDir::Original, true), None);
    }

    /// Address-dependent filtering lets another port of the same remote host in (as a sibling
    /// of the connection), never another host.
    #[test]
    fn address_dependent_filtering() {
        let mut ct = Conntrack::new(profile(
            Filtering::AddressDependent,
            PortScope::PerOutsideAddress,
        ));
        let id = ct.create(at(0), udp((INSIDE, 5000), (DNS, 53))).unwrap();
        ct.confirm(id);
        ct.bind_snat(id, HOST, None, |_, _| false, RuleId(1))
            .unwrap();
        let (sib, dir) = ct
            .lookup(at(1), &udp((DNS, 5353), (HOST, 5000)))
            .expect("same host, other port");
        assert_ne!(sib, id);
        assert_eq!(dir, CtDir::Reply);
        assert_eq!(
            ct.manip(sib, dir, true),
            Some(SocketAddrV4::new(INSIDE, 5000))
        );
        // The inside endpoint's own packets to that port reuse the outside port.
        assert_eq!(
            ct.lookup(at(1), &udp((INSIDE, 5000), (DNS, 5353))),
            Some((sib, CtDir::Original))
        );
        assert_eq!(ct.lookup(at(1), &udp((OTHER, 53), (HOST, 5000))), None);
        let mut strict = Conntrack::new(profile(Filtering::EndpointDependent, PortScope::PerTuple));
        let id = strict
            .create(at(0), udp((INSIDE, 5000), (DNS, 53)))
            .unwrap();
        strict.confirm(id);
        strict
            .bind_snat(id, HOST, None, |_, _| false, RuleId(1))
            .unwrap();
        assert_eq!(strict.lookup(at(1), &udp((DNS, 5353), (HOST, 5000))), None);
    }

    /// Idle connections expire at the profile's timeout.
    #[test]
    fn idle_connections_expire() {
        let mut ct = Conntrack::new(profile(Filtering::EndpointDependent, PortScope::PerTuple));
        let key = udp((INSIDE, 5000), (DNS, 53));
        let id = ct.create(at(0), key).unwrap();
        ct.confirm(id);
        assert_eq!(ct.lookup(at(100), &key), Some((id, CtDir::Original)));
        ct.touch(id, CtDir::Original, at(100));
        assert_eq!(ct.lookup(at(221), &key), None, "UDP idles out after 120 s");
        assert!(ct.is_empty());
    }

    /// A taken outside port is not handed out again in the same scope, nor one a DNAT rule
    /// listens on; the table refuses connections beyond its size.
    #[test]
    fn ports_and_size_are_bounded() {
        let mut ct = Conntrack::new(profile(
            Filtering::AddressDependent,
            PortScope::PerOutsideAddress,
        ));
        let a = ct.create(at(0), udp((INSIDE, 5000), (DNS, 53))).unwrap();
        let pa = ct
            .bind_snat(a, HOST, None, |_, _| false, RuleId(1))
            .unwrap();
        let other = Ipv4Addr::new(172, 20, 0, 6);
        let b = ct.create(at(0), udp((other, 5000), (OTHER, 53))).unwrap();
        let pb = ct
            .bind_snat(
                b,
                HOST,
                None,
                |p, port| p == IPPROTO_UDP && port == 1024,
                RuleId(1),
            )
            .unwrap();
        assert_eq!(pa.port(), 5000);
        assert_eq!(
            pb.port(),
            1025,
            "5000 is taken and 1024 is a published port"
        );
        let c = ct.create(at(0), udp((other, 1), (OTHER, 1))).unwrap();
        let narrow = ct.bind_snat(c, HOST, Some((5000, 5000)), |_, _| false, RuleId(1));
        assert_eq!(narrow, Err(PortsExhausted));
        ct.create(at(0), udp((other, 2), (OTHER, 2))).unwrap();
        assert_eq!(
            ct.create(at(0), udp((other, 3), (OTHER, 3))),
            Err(CreateError::Full(4))
        );
        // An expired connection makes room.
        assert!(ct.create(at(1000), udp((other, 3), (OTHER, 3))).is_ok());
    }

    /// Removing a NAT rule forgets the connections it bound (and only those); removing an
    /// address forgets the connections from or to it, on either side of a translation.
    #[test]
    fn removed_rules_and_addresses_take_their_connections() {
        let mut ct = Conntrack::new(profile(Filtering::EndpointDependent, PortScope::PerTuple));
        let laptop = Ipv4Addr::new(10, 0, 0, 50);
        // A published port: laptop -> HOST:8080, translated to INSIDE:80 by rule 7.
        let inbound = ct
            .create(at(0), udp((laptop, 40000), (HOST, 8080)))
            .unwrap();
        ct.confirm(inbound);
        ct.bind_dnat(inbound, SocketAddrV4::new(INSIDE, 80), RuleId(7));
        // The container's own session out, by rule 1.
        let outbound = ct.create(at(0), udp((INSIDE, 5000), (DNS, 53))).unwrap();
        ct.confirm(outbound);
        ct.bind_snat(outbound, HOST, None, |_, _| false, RuleId(1))
            .unwrap();
        // Someone else's, untranslated.
        let other = ct.create(at(0), udp((OTHER, 1), (DNS, 53))).unwrap();
        ct.confirm(other);
        ct.forget_rules(&[RuleId(7), RuleId(9)]);
        assert_eq!(ct.len(), 2, "rule 7's connection is gone");
        assert_eq!(ct.lookup(at(1), &udp((laptop, 40000), (HOST, 8080))), None);
        ct.forget_addr(INSIDE);
        assert_eq!(ct.len(), 1, "the container's session went with its address");
        assert_eq!(
            ct.lookup(at(1), &udp((OTHER, 1), (DNS, 53))),
            Some((other, CtDir::Original))
        );
    }

    /// ICMP echo: the request's identifier is the "port" on the requester's side only.
    #[test]
    fn echo_request_and_reply_are_reverse_tuples() {
        let req = FlowKey {
            proto: IPPROTO_ICMP,
            src: INSIDE,
            sport: 7,
            dst: DNS,
            dport: 7,
        };
        let rep = FlowKey {
            src: DNS,
            dst: INSIDE,
            ..req
        };
        assert_eq!(reverse(tuple(req, Some(8))), tuple(rep, Some(0)));
    }
}
