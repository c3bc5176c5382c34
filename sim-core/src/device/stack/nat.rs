//! The NAT table at run time: sessions created from dynamic source NAT or static mappings,
//! and the in-place rewrites (through `wire`) that apply them.

use super::config::NatConfig;
use crate::device::NatKind;
use crate::fastmap::FastMap;
use crate::time::{SimDuration, SimTime};
use crate::wire::{self, FlowKey, IPPROTO_ICMP};
use std::net::{Ipv4Addr, SocketAddrV4};

#[derive(Clone, Debug)]
struct Session {
    proto: u8,
    inside: SocketAddrV4,
    outside: SocketAddrV4,
    /// The remote host the session was opened with (WinNAT filters by address, not port).
    remote: Ipv4Addr,
    rule: String,
    /// For the host's own connection to a published port: the original source (loopback or
    /// host address) and the address the container sees instead (the host vNIC).
    hairpin: Option<(SocketAddrV4, SocketAddrV4)>,
    last_used: SimTime,
    /// Whether traffic went both ways (a TCP session then counts as established).
    answered: bool,
    /// Expired: its keys are gone and its outside port is free again.
    dead: bool,
    /// Opened by a VFP OutboundNAT instance (traces name VFP, not the table).
    vfp: bool,
}

/// WinNAT's idle timeouts (`Get-NetNat` defaults, reference 1.1).
fn idle_timeout(proto: u8, answered: bool) -> SimDuration {
    match proto {
        IPPROTO_ICMP => SimDuration::from_secs(30),
        wire::IPPROTO_TCP if answered => SimDuration::from_secs(1800),
        _ => SimDuration::from_secs(120),
    }
}

/// What a translation did, for the trace.
#[derive(Clone, Debug)]
pub struct Translation {
    pub kind: NatKind,
    pub before: SocketAddrV4,
    pub after: SocketAddrV4,
    /// The session that did it; its rule is only looked up when the frame is traced.
    session: usize,
}

impl Translation {
    /// The trace record of this translation by `nat`, the table called `table`.
    pub fn into_hop(self, table: &str, nat: &NatTable) -> crate::device::HopAction {
        let s = &nat.sessions[self.session];
        crate::device::HopAction::Nat {
            table: if s.vfp {
                VFP_OUTBOUND_NAT.to_string()
            } else {
                table.to_string()
            },
            kind: self.kind,
            before: self.before,
            after: self.after,
            rule: nat.sessions[self.session].rule.clone(),
        }
    }
}

/// How traces name the VFP OutboundNAT rule on a host stack.
pub const VFP_OUTBOUND_NAT: &str = "VFP OutboundNAT";

/// Why a VFP OutboundNAT instance drops ICMP: it has no rule for it (reference 3.3, 6).
pub fn no_icmp_rule(layer: &str, instance: &str, dst: Ipv4Addr) -> crate::device::DropReason {
    crate::device::DropReason::Policy {
        layer: layer.to_string(),
        rule: format!(
            "{instance} has no rule for ICMP: Windows programs outbound NAT for TCP and UDP only, so ping to {dst} fails"
        ),
    }
}

pub enum Egress {
    Translated(Translation),
    /// A VFP OutboundNAT instance matched, but it does not translate this protocol (ICMP).
    NoRule {
        instance: String,
    },
    /// The source is not inside any instance: forwarded untouched.
    NotInside,
    Exhausted,
}

#[derive(Debug, Default)]
pub struct NatTable {
    sessions: Vec<Session>,
    /// Outbound packets, keyed as they look before translation.
    by_inside: FastMap<FlowKey, usize>,
    /// Inbound packets, keyed as they look before translation.
    by_outside: FastMap<FlowKey, usize>,
    next_port: u16,
}

/// ICMP echo has no remote port: the identifier lives on our side only.
fn normalize(mut k: FlowKey, remote_is_src: bool) -> FlowKey {
    if k.proto == IPPROTO_ICMP {
        if remote_is_src {
            k.sport = 0;
        } else {
            k.dport = 0;
        }
    }
    k
}

impl NatTable {
    pub fn clear(&mut self) {
        *self = NatTable::default();
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.sessions.iter().filter(|s| !s.dead).count()
    }

    /// The session behind a map hit, if it has not idled out; an idle one is expired on the spot.
    fn live(&mut self, idx: Option<usize>, now: SimTime) -> Option<usize> {
        let i = idx?;
        let s = &self.sessions[i];
        if s.dead {
            return None;
        }
        if now.since(s.last_used) > idle_timeout(s.proto, s.answered) {
            self.sessions[i].dead = true;
            self.by_inside.retain(|_, v| *v != i);
            self.by_outside.retain(|_, v| *v != i);
            return None;
        }
        Some(i)
    }

    /// Translates a packet that arrived on an outside interface for `outside_ip`. Returns
    /// `None` when no session or static mapping claims it (it is then the host's own).
    pub fn inbound(
        &mut self,
        cfg: &NatConfig,
        now: SimTime,
        bytes: &mut [u8],
    ) -> Option<Translation> {
        if let Some(quoted) = wire::icmp_error_quoted_flow(bytes) {
            // An ICMP error about a translated flow: find it by the quoted (outbound) packet.
            let key = normalize(
                FlowKey {
                    proto: quoted.proto,
                    src: quoted.dst,
                    sport: quoted.dport,
                    dst: quoted.src,
                    dport: quoted.sport,
                },
                true,
            );
            let hit = self.by_outside.get(&key).copied();
            let i = self.live(hit, now)?;
            let inside = self.sessions[i].inside;
            let info = wire::ipv4_info(bytes)?;
            wire::rewrite_dst(bytes, *inside.ip(), inside.port());
            return Some(Translation {
                kind: NatKind::Destination,
                before: SocketAddrV4::new(info.dst, 0),
                after: SocketAddrV4::new(*inside.ip(), 0),
                session: i,
            });
        }
        let flow = wire::flow_key(bytes)?;
        let key = normalize(flow, true);
        let hit = self.by_outside.get(&key).copied();
        let idx = match self.live(hit, now) {
            Some(i) => i,
            None if flow.proto != IPPROTO_ICMP && self.address_match(&flow).is_some() => {
                // WinNAT's AddressDependentFiltering: another port of the same remote host may
                // answer. Bind that remote port to the session so replies reuse it.
                let i = self.address_match(&flow).expect("checked above");
                let remote = SocketAddrV4::new(flow.src, flow.sport);
                self.bind(i, flow.proto, remote);
                i
            }
            None => {
                let m = cfg
                    .static_mappings
                    .iter()
                    .find(|m| m.proto == flow.proto && m.outside_port == flow.dport)?;
                let rule = format!("static mapping {}", m.name);
                self.insert(
                    Session {
                        proto: flow.proto,
                        inside: m.inside,
                        outside: SocketAddrV4::new(flow.dst, flow.dport),
                        remote: flow.src,
                        rule,
                        hairpin: None,
                        last_used: now,
                        answered: false,
                        dead: false,
                        vfp: false,
                    },
                    SocketAddrV4::new(flow.src, flow.sport),
                )
            }
        };
        self.sessions[idx].last_used = now;
        self.sessions[idx].answered = true;
        let s = &self.sessions[idx];
        let before = SocketAddrV4::new(flow.dst, flow.dport);
        wire::rewrite_dst(bytes, *s.inside.ip(), s.inside.port());
        Some(Translation {
            kind: NatKind::Destination,
            before,
            after: s.inside,
            session: idx,
        })
    }

    /// Translates a packet leaving by an outside interface whose address is `outside_ip`.
    pub fn outbound(
        &mut self,
        cfg: &NatConfig,
        now: SimTime,
        outside_ip: Ipv4Addr,
        bytes: &mut [u8],
    ) -> Egress {
        let Some(flow) = wire::flow_key(bytes) else {
            return Egress::NotInside;
        };
        let idx = match self.session_of_outbound(flow, now) {
            Some(i) => i,
            None => {
                let Some(instance) = cfg
                    .instances
                    .iter()
                    .find(|i| i.inside_prefix.contains(flow.src))
                else {
                    return Egress::NotInside;
                };
                if instance.vfp && flow.proto == IPPROTO_ICMP {
                    return Egress::NoRule {
                        instance: instance.name.clone(),
                    };
                }
                if self.len() >= cfg.max_sessions {
                    return Egress::Exhausted;
                }
                let Some(port) = self.free_port(cfg, flow.proto, outside_ip, flow.sport) else {
                    return Egress::Exhausted;
                };
                let rule = format!(
                    "dynamic source NAT for {} ({})",
                    instance.inside_prefix, instance.name
                );
                self.insert(
                    Session {
                        proto: flow.proto,
                        inside: SocketAddrV4::new(flow.src, flow.sport),
                        outside: SocketAddrV4::new(outside_ip, port),
                        remote: flow.dst,
                        rule,
                        hairpin: None,
                        last_used: now,
                        answered: false,
                        dead: false,
                        vfp: instance.vfp,
                    },
                    SocketAddrV4::new(flow.dst, flow.dport),
                )
            }
        };
        Egress::Translated(self.translate_source(idx, flow, now, bytes))
    }

    /// Translates an outbound packet of an existing session only (a published port's
    /// answers, a reply to an opened connection); never opens one.
    pub fn outbound_existing(&mut self, now: SimTime, bytes: &mut [u8]) -> Option<Translation> {
        let flow = wire::flow_key(bytes)?;
        let idx = self.session_of_outbound(flow, now)?;
        Some(self.translate_source(idx, flow, now, bytes))
    }

    fn session_of_outbound(&mut self, flow: FlowKey, now: SimTime) -> Option<usize> {
        let hit = self.by_inside.get(&normalize(flow, false)).copied();
        self.live(hit, now)
    }

    fn translate_source(
        &mut self,
        idx: usize,
        flow: FlowKey,
        now: SimTime,
        bytes: &mut [u8],
    ) -> Translation {
        self.sessions[idx].last_used = now;
        let s = &self.sessions[idx];
        let before = SocketAddrV4::new(flow.src, flow.sport);
        wire::rewrite_src(bytes, *s.outside.ip(), s.outside.port());
        Translation {
            kind: NatKind::Source,
            before,
            after: s.outside,
            session: idx,
        }
    }

    /// Hairpin for the host's own connection (session `t`): the container sees `via` as the
    /// source. Rewrites the packet's source and remembers the pair for the replies.
    pub fn hairpin(&mut self, t: &Translation, via: Ipv4Addr, bytes: &mut [u8]) {
        let Some(flow) = wire::flow_key(bytes) else {
            return;
        };
        let idx = t.session;
        let original = SocketAddrV4::new(flow.src, flow.sport);
        let seen = SocketAddrV4::new(via, flow.sport);
        if self.sessions[idx].hairpin.is_none() {
            self.sessions[idx].hairpin = Some((original, seen));
            let inside = self.sessions[idx].inside;
            let key = normalize(
                FlowKey {
                    proto: flow.proto,
                    src: *inside.ip(),
                    sport: inside.port(),
                    dst: via,
                    dport: flow.sport,
                },
                false,
            );
            self.by_inside.insert(key, idx);
        }
        wire::rewrite_src(bytes, via, flow.sport);
    }

    /// Un-translates a container's answer to the host's own hairpin connection: source back to
    /// the published address, destination back to the host's original source.
    pub fn hairpin_reply(&mut self, now: SimTime, bytes: &mut [u8]) -> Option<Translation> {
        let flow = wire::flow_key(bytes)?;
        let hit = self.by_inside.get(&normalize(flow, false)).copied();
        let idx = self.live(hit, now)?;
        let (original, seen) = self.sessions[idx].hairpin?;
        if SocketAddrV4::new(flow.dst, flow.dport) != seen {
            return None;
        }
        self.sessions[idx].last_used = now;
        let outside = self.sessions[idx].outside;
        wire::rewrite_src(bytes, *outside.ip(), outside.port());
        wire::rewrite_dst(bytes, *original.ip(), original.port());
        Some(Translation {
            kind: NatKind::Source,
            before: SocketAddrV4::new(flow.src, flow.sport),
            after: outside,
            session: idx,
        })
    }

    /// A session on this outside address and port opened with the packet's source host.
    fn address_match(&self, flow: &FlowKey) -> Option<usize> {
        let outside = SocketAddrV4::new(flow.dst, flow.dport);
        self.sessions.iter().position(|s| {
            !s.dead && s.proto == flow.proto && s.outside == outside && s.remote == flow.src
        })
    }

    fn insert(&mut self, s: Session, remote: SocketAddrV4) -> usize {
        // Reuse an expired slot so the table stays as large as its live sessions need.
        let idx = match self.sessions.iter().position(|x| x.dead) {
            Some(i) => {
                self.sessions[i] = s;
                i
            }
            None => {
                self.sessions.push(s);
                self.sessions.len() - 1
            }
        };
        self.bind(idx, self.sessions[idx].proto, remote);
        idx
    }

    /// Makes session `idx` answer for traffic with `remote`, in both directions.
    fn bind(&mut self, idx: usize, proto: u8, remote: SocketAddrV4) {
        let s = &self.sessions[idx];
        let inside_key = normalize(
            FlowKey {
                proto,
                src: *s.inside.ip(),
                sport: s.inside.port(),
                dst: *remote.ip(),
                dport: remote.port(),
            },
            false,
        );
        let outside_key = normalize(
            FlowKey {
                proto,
                src: *remote.ip(),
                sport: remote.port(),
                dst: *s.outside.ip(),
                dport: s.outside.port(),
            },
            true,
        );
        self.by_inside.insert(inside_key, idx);
        self.by_outside.insert(outside_key, idx);
    }

    /// Keeps the inside port when it is free (WinNAT preserves ports where it can), else takes
    /// the next free one from the range.
    fn free_port(&mut self, cfg: &NatConfig, proto: u8, ip: Ipv4Addr, wanted: u16) -> Option<u16> {
        let taken = |p: u16, me: &NatTable| {
            me.sessions
                .iter()
                .any(|s| !s.dead && *s.outside.ip() == ip && s.outside.port() == p)
                || cfg
                    .static_mappings
                    .iter()
                    .any(|m| m.proto == proto && m.outside_port == p)
        };
        let (lo, hi) = cfg.port_range;
        if (lo..=hi).contains(&wanted) && !taken(wanted, self) {
            return Some(wanted);
        }
        let span = u32::from(hi - lo) + 1;
        if self.next_port < lo || self.next_port > hi {
            self.next_port = lo;
        }
        for _ in 0..span {
            let p = self.next_port;
            self.next_port = if p >= hi { lo } else { p + 1 };
            if !taken(p, self) {
                return Some(p);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::stack::config::NatInstance;
    use crate::wire::{IpHeader, MacAddr};

    fn udp(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16)) -> Vec<u8> {
        let h = IpHeader {
            src_mac: MacAddr::zero(),
            dst_mac: MacAddr::zero(),
            src: src.0,
            dst: dst.0,
            ttl: 64,
            ident: 1,
        };
        wire::udp_frame(&h, src.1, dst.1, b"x")
    }

    fn cfg() -> NatConfig {
        NatConfig {
            name: "WinNAT".into(),
            instances: vec![NatInstance {
                name: "nat".into(),
                inside_prefix: "172.20.0.0/20".parse().unwrap(),
                vfp: false,
            }],
            outside_ifaces: Vec::new(),
            static_mappings: Vec::new(),
            port_range: (1024, 65535),
            max_sessions: 16,
            local_hairpin: true,
        }
    }

    /// WinNAT filters by remote address: another port of the same host may answer, another host may not.
    #[test]
    fn address_dependent_filtering() {
        let (inside, host, dns, other) = (
            Ipv4Addr::new(172, 20, 0, 5),
            Ipv4Addr::new(10, 0, 0, 11),
            Ipv4Addr::new(8, 8, 8, 8),
            Ipv4Addr::new(9, 9, 9, 9),
        );
        let mut t = NatTable::default();
        let mut out = udp((inside, 5000), (dns, 53));
        assert!(matches!(
            t.outbound(&cfg(), SimTime::ZERO, host, &mut out),
            Egress::Translated(_)
        ));
        let mut same_port = udp((dns, 53), (host, 5000));
        assert!(t.inbound(&cfg(), SimTime::ZERO, &mut same_port).is_some());
        let mut other_port = udp((dns, 5353), (host, 5000));
        let tr = t
            .inbound(&cfg(), SimTime::ZERO, &mut other_port)
            .expect("same host, other port passes");
        assert_eq!(tr.after, SocketAddrV4::new(inside, 5000));
        // The container's reply to that port reuses the session's outside port.
        let mut reply = udp((inside, 5000), (dns, 5353));
        let Egress::Translated(tr) = t.outbound(&cfg(), SimTime::ZERO, host, &mut reply) else {
            panic!("not translated")
        };
        assert_eq!(tr.after, SocketAddrV4::new(host, 5000));
        let mut stranger = udp((other, 53), (host, 5000));
        assert!(
            t.inbound(&cfg(), SimTime::ZERO, &mut stranger).is_none(),
            "another host is filtered"
        );
    }

    /// Idle sessions expire after WinNAT's timeouts; the reply then finds nothing.
    #[test]
    fn idle_sessions_expire() {
        let (inside, host, dns) = (
            Ipv4Addr::new(172, 20, 0, 5),
            Ipv4Addr::new(10, 0, 0, 11),
            Ipv4Addr::new(8, 8, 8, 8),
        );
        let mut t = NatTable::default();
        let mut out = udp((inside, 5000), (dns, 53));
        assert!(matches!(
            t.outbound(&cfg(), SimTime::ZERO, host, &mut out),
            Egress::Translated(_)
        ));
        let at = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
        let mut early = udp((dns, 53), (host, 5000));
        assert!(
            t.inbound(&cfg(), at(100), &mut early).is_some(),
            "within 120 s of idle time"
        );
        let mut late = udp((dns, 53), (host, 5000));
        assert!(
            t.inbound(&cfg(), at(100 + 121), &mut late).is_none(),
            "UDP idles out after 120 s"
        );
        assert_eq!(t.len(), 0);
    }
}
