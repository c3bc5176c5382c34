//! The NAT table at run time: sessions created from dynamic source NAT or static mappings,
//! and the in-place rewrites (through `wire`) that apply them.

use super::config::NatConfig;
use crate::device::NatKind;
use crate::fastmap::FastMap;
use crate::wire::{self, FlowKey, IPPROTO_ICMP};
use std::net::{Ipv4Addr, SocketAddrV4};

#[derive(Clone, Debug)]
struct Session {
    inside: SocketAddrV4,
    outside: SocketAddrV4,
    rule: String,
}

/// What a translation did, for the trace.
#[derive(Clone, Debug)]
pub struct Translation {
    pub kind: NatKind,
    pub before: SocketAddrV4,
    pub after: SocketAddrV4,
    pub rule: String,
}

pub enum Egress {
    Translated(Translation),
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
        self.sessions.len()
    }

    /// Translates a packet that arrived on an outside interface for `outside_ip`. Returns
    /// `None` when no session or static mapping claims it (it is then the host's own).
    pub fn inbound(&mut self, cfg: &NatConfig, bytes: &mut [u8]) -> Option<Translation> {
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
            let s = self
                .by_outside
                .get(&key)
                .map(|i| self.sessions[*i].clone())?;
            let info = wire::ipv4_info(bytes)?;
            wire::rewrite_dst(bytes, *s.inside.ip(), s.inside.port());
            return Some(Translation {
                kind: NatKind::Destination,
                before: SocketAddrV4::new(info.dst, 0),
                after: SocketAddrV4::new(*s.inside.ip(), 0),
                rule: s.rule,
            });
        }
        let flow = wire::flow_key(bytes)?;
        let key = normalize(flow, true);
        let idx = match self.by_outside.get(&key) {
            Some(i) => *i,
            None => {
                let m = cfg
                    .static_mappings
                    .iter()
                    .find(|m| m.proto == flow.proto && m.outside_port == flow.dport)?;
                let rule = format!("static mapping {}", m.name);
                self.insert(
                    Session {
                        inside: m.inside,
                        outside: SocketAddrV4::new(flow.dst, flow.dport),
                        rule,
                    },
                    flow.proto,
                    SocketAddrV4::new(flow.src, flow.sport),
                )
            }
        };
        let s = &self.sessions[idx];
        let before = SocketAddrV4::new(flow.dst, flow.dport);
        wire::rewrite_dst(bytes, *s.inside.ip(), s.inside.port());
        Some(Translation {
            kind: NatKind::Destination,
            before,
            after: s.inside,
            rule: s.rule.clone(),
        })
    }

    /// Translates a packet leaving by an outside interface whose address is `outside_ip`.
    pub fn outbound(&mut self, cfg: &NatConfig, outside_ip: Ipv4Addr, bytes: &mut [u8]) -> Egress {
        let Some(flow) = wire::flow_key(bytes) else {
            return Egress::NotInside;
        };
        let key = normalize(flow, false);
        let idx = match self.by_inside.get(&key) {
            Some(i) => *i,
            None => {
                let Some(instance) = cfg
                    .instances
                    .iter()
                    .find(|i| i.inside_prefix.contains(flow.src))
                else {
                    return Egress::NotInside;
                };
                if self.sessions.len() >= cfg.max_sessions {
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
                        inside: SocketAddrV4::new(flow.src, flow.sport),
                        outside: SocketAddrV4::new(outside_ip, port),
                        rule,
                    },
                    flow.proto,
                    SocketAddrV4::new(flow.dst, flow.dport),
                )
            }
        };
        let s = &self.sessions[idx];
        let before = SocketAddrV4::new(flow.src, flow.sport);
        wire::rewrite_src(bytes, *s.outside.ip(), s.outside.port());
        Egress::Translated(Translation {
            kind: NatKind::Source,
            before,
            after: s.outside,
            rule: s.rule.clone(),
        })
    }

    fn insert(&mut self, s: Session, proto: u8, remote: SocketAddrV4) -> usize {
        let idx = self.sessions.len();
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
        self.sessions.push(s);
        idx
    }

    /// Keeps the inside port when it is free (WinNAT preserves ports where it can), else takes
    /// the next free one from the range.
    fn free_port(&mut self, cfg: &NatConfig, proto: u8, ip: Ipv4Addr, wanted: u16) -> Option<u16> {
        let taken = |p: u16, me: &NatTable| {
            me.sessions
                .iter()
                .any(|s| *s.outside.ip() == ip && s.outside.port() == p)
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
