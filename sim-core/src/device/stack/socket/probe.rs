//! Probe clients: ping, TCP connect and UDP send, optionally after a DNS lookup.
//!
//! A probe is a small state machine bound to its ports in the originating stack (its DNS
//! query port while it resolves, then its ephemeral source port or echo identifier). It ends
//! as delivered, refused or dropped, and its frames carry the probe id so the engine can
//! trace them.

use super::{SocketRef, Sockets};
use crate::device::action::{Action, Delivery, ProbeEvent};
use crate::device::stack::interface::{Interface, Local};
use crate::device::{Outbox, Outcome, Timer};
use crate::id::ProbeId;
use crate::time::SimDuration;
use crate::wire::{self, DnsMessage, TcpFlags, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, L4};
use std::net::Ipv4Addr;

/// The transport a probe uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ProbeProto {
    /// An ICMP echo request with the default payload: 32 bytes, as Windows `ping` sends.
    Icmp,
    /// An ICMP echo request with this many payload bytes (`ping -l SIZE`, Linux `ping -s
    /// SIZE`). Build it with [`ProbeProto::icmp_payload`], which gives plain `Icmp` for the
    /// default size, so that one probe has one spelling.
    IcmpSized(u16),
    Tcp(u16),
    Udp(u16),
    /// Name resolution only (`nslookup`): delivered once the name resolves.
    Dns,
}

impl ProbeProto {
    /// An ICMP echo with `bytes` of payload: `Icmp` for the default size, else `IcmpSized`.
    pub fn icmp_payload(bytes: u16) -> Self {
        if usize::from(bytes) == DEFAULT_ECHO_PAYLOAD {
            ProbeProto::Icmp
        } else {
            ProbeProto::IcmpSized(bytes)
        }
    }

    /// The ICMP echo payload size in bytes; `None` for the other transports.
    pub fn echo_payload_len(self) -> Option<usize> {
        match self {
            ProbeProto::Icmp => Some(DEFAULT_ECHO_PAYLOAD),
            ProbeProto::IcmpSized(n) => Some(usize::from(n)),
            ProbeProto::Tcp(_) | ProbeProto::Udp(_) | ProbeProto::Dns => None,
        }
    }

    /// The IP protocol of the probe's packets.
    fn ip_proto(self) -> u8 {
        match self {
            ProbeProto::Icmp | ProbeProto::IcmpSized(_) => IPPROTO_ICMP,
            ProbeProto::Tcp(_) => IPPROTO_TCP,
            ProbeProto::Udp(_) | ProbeProto::Dns => IPPROTO_UDP,
        }
    }
}

impl std::fmt::Display for ProbeProto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeProto::Icmp => write!(f, "icmp"),
            ProbeProto::IcmpSized(n) => write!(f, "icmp ({n}-byte payload)"),
            ProbeProto::Tcp(p) => write!(f, "tcp/{p}"),
            ProbeProto::Udp(p) => write!(f, "udp/{p}"),
            ProbeProto::Dns => write!(f, "dns"),
        }
    }
}

/// Where a probe goes: an address, or a name resolved through the stack's DNS servers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeTarget {
    Addr(Ipv4Addr),
    Name(String),
}

#[derive(Clone, Debug)]
pub struct ProbeRequest {
    pub id: ProbeId,
    pub target: ProbeTarget,
    pub proto: ProbeProto,
    pub timeout: SimDuration,
    /// The DNS server a name target is asked of, instead of the stack's first one
    /// (`nslookup NAME SERVER`).
    pub dns_server: Option<Ipv4Addr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Resolving {
        dns_port: u16,
        query_id: u16,
        server: Ipv4Addr,
    },
    Probing {
        dst: Ipv4Addr,
        sport: u16,
    },
    Closing {
        dst: Ipv4Addr,
        sport: u16,
    },
    Done,
}

#[derive(Clone, Debug)]
pub struct ProbeClient {
    id: ProbeId,
    proto: ProbeProto,
    name: Option<String>,
    phase: Phase,
}

/// The echo and UDP probe payload. A sized echo repeats it to its length, so the default
/// size sends exactly these bytes.
const ECHO_PAYLOAD: &[u8] = b"hnsim-probe-0123456789abcdef0123";
/// The payload size of a plain `ping` on Windows, and of `ProbeProto::Icmp`.
pub const DEFAULT_ECHO_PAYLOAD: usize = ECHO_PAYLOAD.len();

/// `len` bytes of echo payload: `ECHO_PAYLOAD` repeated and cut to size.
fn echo_payload(len: usize) -> Vec<u8> {
    ECHO_PAYLOAD.iter().copied().cycle().take(len).collect()
}
const CLIENT_ISN: u32 = 1000;
const TCP_WINDOW: u16 = 65535;

fn index(s: &Sockets, id: ProbeId) -> Option<usize> {
    s.probes.iter().position(|p| p.id == id)
}

/// Starts a probe now. Its end arrives through `Outbox::end_probe`.
pub fn start(s: &mut Sockets, net: &mut Interface, req: ProbeRequest, out: &mut Outbox) {
    out.timer(out.now + req.timeout, Timer::ProbeTimeout(req.id));
    match req.target {
        ProbeTarget::Addr(dst) => {
            s.probes.push(ProbeClient {
                id: req.id,
                proto: req.proto,
                name: None,
                phase: Phase::Done,
            });
            send(s, net, s.probes.len() - 1, dst, out);
        }
        ProbeTarget::Name(name) => {
            // `/etc/hosts` first, as the C library's resolver does.
            let listed = net
                .cfg
                .hosts
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name.trim_end_matches('.')))
                .map(|(_, ip)| *ip);
            if let Some(dst) = listed {
                s.probes.push(ProbeClient {
                    id: req.id,
                    proto: req.proto,
                    name: Some(name),
                    phase: Phase::Done,
                });
                send(s, net, s.probes.len() - 1, dst, out);
                return;
            }
            let server = req
                .dns_server
                .or_else(|| net.cfg.dns_servers.first().copied());
            let Some(server) = server else {
                out.end_probe(
                    req.id,
                    Outcome::Dropped,
                    format!("cannot resolve \"{name}\": this node has no DNS server"),
                );
                return;
            };
            let dns_port = s.binds.ephemeral(net, IPPROTO_UDP);
            let query_id = dns_port;
            // A reverse name (`3.0.18.172.in-addr.arpa`) is asked for its PTR record.
            let qtype = match wire::reverse_addr(&name) {
                Some(_) => wire::QTYPE_PTR,
                None => wire::QTYPE_A,
            };
            let q = DnsMessage::query(query_id, &name, qtype);
            s.binds
                .bind(IPPROTO_UDP, dns_port, SocketRef::Probe(req.id));
            s.probes.push(ProbeClient {
                id: req.id,
                proto: req.proto,
                name: Some(name),
                phase: Phase::Resolving {
                    dns_port,
                    query_id,
                    server,
                },
            });
            let payload = wire::dns_emit(&q);
            if !net.send_ip(None, server, Some(req.id), out, |h| {
                wire::udp_frame(h, dns_port, 53, &payload)
            }) {
                finish(
                    s,
                    s.probes.len() - 1,
                    Outcome::Dropped,
                    format!("no route to DNS server {server}"),
                    out,
                );
            }
        }
    }
}

fn send(s: &mut Sockets, net: &mut Interface, i: usize, dst: Ipv4Addr, out: &mut Outbox) {
    if let Phase::Resolving { dns_port, .. } = s.probes[i].phase {
        s.binds.unbind(IPPROTO_UDP, dns_port);
    }
    let proto = s.probes[i].proto;
    let id = s.probes[i].id;
    if proto == ProbeProto::Dns {
        let name = s.probes[i].name.clone().unwrap_or_else(|| dst.to_string());
        out.end_probe(id, Outcome::Delivered, format!("{name} resolved to {dst}"));
        s.probes.swap_remove(i);
        return;
    }
    let sport = s.binds.ephemeral(net, proto.ip_proto());
    s.binds.bind(proto.ip_proto(), sport, SocketRef::Probe(id));
    s.probes[i].phase = Phase::Probing { dst, sport };
    let sent = match proto {
        ProbeProto::Icmp | ProbeProto::IcmpSized(_) => {
            let payload = echo_payload(proto.echo_payload_len().unwrap_or_default());
            net.send_ip(None, dst, Some(id), out, |h| {
                wire::icmp_echo(h, false, sport, 1, &payload)
            })
        }
        ProbeProto::Tcp(port) => {
            let syn = TcpFlags::SYN;
            net.send_ip(None, dst, Some(id), out, |h| {
                wire::tcp_frame(h, sport, port, CLIENT_ISN, 0, syn, TCP_WINDOW)
            })
        }
        ProbeProto::Udp(port) => net.send_ip(None, dst, Some(id), out, |h| {
            wire::udp_frame(h, sport, port, ECHO_PAYLOAD)
        }),
        ProbeProto::Dns => unreachable!("handled above"),
    };
    if !sent {
        finish(
            s,
            i,
            Outcome::Dropped,
            format!("no route to {dst} from this node"),
            out,
        );
    }
}

/// Ends probe `i` and frees its ports.
fn finish(s: &mut Sockets, i: usize, outcome: Outcome, detail: String, out: &mut Outbox) {
    out.end_probe(s.probes[i].id, outcome, detail);
    remove(s, i);
}

fn remove(s: &mut Sockets, i: usize) {
    let p = s.probes.swap_remove(i);
    match p.phase {
        Phase::Resolving { dns_port, .. } => s.binds.unbind(IPPROTO_UDP, dns_port),
        Phase::Probing { sport, .. } | Phase::Closing { sport, .. } => {
            s.binds.unbind(p.proto.ip_proto(), sport)
        }
        Phase::Done => {}
    }
}

/// A probe waited long enough.
pub fn timeout(s: &mut Sockets, id: ProbeId, out: &mut Outbox) {
    let Some(i) = index(s, id) else {
        return;
    };
    let what = match &s.probes[i].phase {
        Phase::Resolving { server, .. } => format!("no DNS answer from {server}"),
        Phase::Probing { dst, .. } => format!("no answer from {dst}"),
        Phase::Closing { .. } => {
            remove(s, i);
            return;
        }
        Phase::Done => "no answer".into(),
    };
    finish(
        s,
        i,
        Outcome::Dropped,
        format!("{what} before the timeout"),
        out,
    );
}

/// A packet for probe `id`'s port. Returns true if the probe took it.
pub fn input(
    s: &mut Sockets,
    id: ProbeId,
    net: &mut Interface,
    local: &Local,
    out: &mut Outbox,
) -> bool {
    let Some(i) = index(s, id) else {
        return false;
    };
    let (frame, view) = (&local.frame, &local.view);
    let Some(ip) = view.ip else {
        return false;
    };
    match s.probes[i].phase {
        Phase::Resolving {
            query_id, server, ..
        } => {
            if ip.src != server {
                return false;
            }
            let Some(ans) = udp_payload(local).and_then(|p| wire::dns_parse(p).ok()) else {
                return false;
            };
            if ans.id != query_id {
                return false;
            }
            let name = s.probes[i].name.clone().unwrap_or_default();
            match ans.answers.first() {
                Some((_, addr, _)) => {
                    let addr = *addr;
                    out.hop(frame.probe, &frame.bytes, |syms| {
                        Action::Delivered(Delivery::Probe(ProbeEvent::Resolved {
                            name: syms.intern(&name),
                            addr,
                        }))
                    });
                    send(s, net, i, addr, out);
                }
                None => {
                    let rcode = match ans.rcode {
                        3 => "NXDOMAIN",
                        2 => "SERVFAIL",
                        _ => "no address",
                    };
                    out.end_probe_unresolved(
                        s.probes[i].id,
                        ans.rcode,
                        format!("\"{name}\" did not resolve: {rcode} from {server}"),
                    );
                    remove(s, i);
                }
            }
            true
        }
        Phase::Probing { dst, sport } => {
            let answer = |e| Action::Delivered(Delivery::Probe(e));
            if let L4::Icmp {
                icmp_type,
                code,
                quoted: Some(q),
                ..
            } = ip.l4
            {
                if q.sport != sport || q.dst != dst {
                    return false;
                }
                let (outcome, what) = match (icmp_type, code) {
                    (3, 3) => (
                        Outcome::Refused,
                        format!("ICMP port unreachable from {}", ip.src),
                    ),
                    (3, code) => (
                        Outcome::Dropped,
                        format!("ICMP destination unreachable (code {code}) from {}", ip.src),
                    ),
                    (11, _) => (
                        Outcome::Dropped,
                        format!("ICMP time exceeded from {}", ip.src),
                    ),
                    _ => (Outcome::Dropped, format!("ICMP error from {}", ip.src)),
                };
                out.hop(frame.probe, &frame.bytes, |_| answer(ProbeEvent::Answer));
                finish(s, i, outcome, what, out);
                return true;
            }
            let matched = match (s.probes[i].proto, ip.l4) {
                (
                    ProbeProto::Icmp | ProbeProto::IcmpSized(_),
                    L4::Icmp {
                        icmp_type: 0, id, ..
                    },
                ) if id == sport && ip.src == dst => {
                    Some((Outcome::Delivered, format!("echo reply from {dst}")))
                }
                (
                    ProbeProto::Udp(port),
                    L4::Udp {
                        sport: from, dport, ..
                    },
                ) if dport == sport && from == port && ip.src == dst => {
                    Some((Outcome::Delivered, format!("UDP answer from {dst}:{port}")))
                }
                (
                    ProbeProto::Tcp(port),
                    L4::Tcp {
                        sport: from,
                        dport,
                        seq,
                        flags,
                        ..
                    },
                ) if dport == sport && from == port && ip.src == dst => {
                    if flags.rst {
                        Some((Outcome::Refused, format!("RST from {dst}:{port}")))
                    } else if flags.syn && flags.ack {
                        // Connected: complete the handshake and close at once.
                        let (mine, a) = (CLIENT_ISN + 1, seq.wrapping_add(1));
                        out.hop(frame.probe, &frame.bytes, |_| answer(ProbeEvent::Connected));
                        net.send_ip(None, dst, Some(id), out, |h| {
                            wire::tcp_frame(h, sport, port, mine, a, TcpFlags::ACK, TCP_WINDOW)
                        });
                        net.send_ip(None, dst, Some(id), out, |h| {
                            wire::tcp_frame(h, sport, port, mine, a, TcpFlags::FIN_ACK, TCP_WINDOW)
                        });
                        out.end_probe(
                            id,
                            Outcome::Delivered,
                            format!("connected to {dst}:{port} (SYN-ACK)"),
                        );
                        s.probes[i].phase = Phase::Closing { dst, sport };
                        return true;
                    } else {
                        None
                    }
                }
                _ => None,
            };
            match matched {
                Some((outcome, what)) => {
                    out.hop(frame.probe, &frame.bytes, |_| answer(ProbeEvent::Answer));
                    finish(s, i, outcome, what, out);
                    true
                }
                None => false,
            }
        }
        Phase::Closing { dst, sport } => {
            let L4::Tcp {
                sport: from,
                seq,
                ack,
                flags,
                ..
            } = ip.l4
            else {
                return false;
            };
            if ip.src != dst {
                return false;
            }
            if flags.fin {
                let a = seq.wrapping_add(1);
                out.hop(frame.probe, &frame.bytes, |_| {
                    Action::Delivered(Delivery::Probe(ProbeEvent::Closed))
                });
                net.send_ip(None, dst, Some(id), out, |h| {
                    wire::tcp_frame(h, sport, from, ack, a, TcpFlags::ACK, TCP_WINDOW)
                });
                remove(s, i);
            }
            true
        }
        Phase::Done => false,
    }
}

fn udp_payload<'a>(local: &'a Local) -> Option<&'a [u8]> {
    match local.view.ip?.l4 {
        L4::Udp {
            payload_offset,
            payload_len,
            ..
        } => local.frame.bytes.get(
            usize::from(payload_offset)..usize::from(payload_offset) + usize::from(payload_len),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::stack::config::{IfaceConfig, StackConfig};
    use crate::device::stack::IpStack;
    use crate::device::{Action, Device};
    use crate::engine::link::LinkParams;
    use crate::engine::{Engine, Limits};
    use crate::id::{NodeId, PortId, ProbeId};
    use crate::topology::{NodeInfo, NodeKind};
    use crate::wire::{Ipv4Repr, L4Repr, MacAddr, NetRepr};

    fn node(eng: &mut Engine, name: &str, mac: u8, addr: &str) -> NodeId {
        let mut cfg = StackConfig::new(name, 128);
        cfg.ifaces_mut().push(Some(IfaceConfig::ethernet(
            "eth0",
            MacAddr(0x02, 0, 0, 0, 0, mac),
            Some(addr.parse().expect("test prefix")),
        )));
        cfg.services_mut().icmp_echo = true;
        eng.add_node(
            NodeInfo {
                name: name.into(),
                kind: NodeKind::External,
                host: None,
            },
            Device::Stack(Box::new(IpStack::new(cfg))),
        )
    }

    /// Pings b from a over one cable and returns the outcome and every traced frame.
    fn ping(proto: ProbeProto) -> (Outcome, Vec<Vec<u8>>) {
        let mut eng = Engine::new(1, Limits::default());
        let a = node(&mut eng, "a", 1, "10.0.0.1/24");
        let b = node(&mut eng, "b", 2, "10.0.0.2/24");
        eng.connect(
            "a<->b".into(),
            (a, PortId(0)),
            (b, PortId(0)),
            LinkParams::internal(),
            false,
        );
        let id = ProbeId(3);
        eng.invoke(a, |d, out| {
            d.as_stack_mut().expect("stack").start_probe(
                ProbeRequest {
                    id,
                    target: ProbeTarget::Addr("10.0.0.2".parse().expect("addr")),
                    proto,
                    timeout: SimDuration::from_secs(2),
                    dns_server: None,
                },
                out,
            )
        });
        eng.run_for(SimDuration::from_secs(3));
        let end = eng.ended().iter().find(|e| e.probe == id).expect("ended");
        let frames = eng
            .trace()
            .iter()
            .filter(|h| h.probe == id && matches!(h.action, Action::Sent { .. }))
            .map(|h| h.bytes.clone())
            .collect();
        (end.outcome, frames)
    }

    /// The ICMP echo messages among `frames`: (reply?, payload).
    fn echoes(frames: &[Vec<u8>]) -> Vec<(bool, Vec<u8>)> {
        frames
            .iter()
            .filter_map(|f| match wire::parse(f).expect("a valid frame").net {
                NetRepr::Ipv4(Ipv4Repr {
                    l4: L4Repr::IcmpEcho { reply, payload, .. },
                    ..
                }) => Some((reply, payload)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_default_echo_carries_the_32_byte_payload_as_before() {
        assert_eq!(ProbeProto::icmp_payload(32), ProbeProto::Icmp);
        assert_eq!(ProbeProto::Icmp.echo_payload_len(), Some(32));
        assert_eq!(ProbeProto::Tcp(80).echo_payload_len(), None);
        assert_eq!(ProbeProto::Icmp.to_string(), "icmp");
        let (outcome, frames) = ping(ProbeProto::Icmp);
        assert_eq!(outcome, Outcome::Delivered);
        let e = echoes(&frames);
        assert_eq!(
            e,
            vec![
                (false, ECHO_PAYLOAD.to_vec()),
                (true, ECHO_PAYLOAD.to_vec())
            ]
        );
    }

    #[test]
    fn a_sized_echo_carries_its_payload_and_the_reply_echoes_it() {
        let proto = ProbeProto::icmp_payload(1472);
        assert_eq!(proto, ProbeProto::IcmpSized(1472));
        assert_eq!(proto.to_string(), "icmp (1472-byte payload)");
        let (outcome, frames) = ping(proto);
        assert_eq!(outcome, Outcome::Delivered);
        let e = echoes(&frames);
        assert_eq!(e.len(), 2, "one request and one reply");
        for (_, payload) in &e {
            assert_eq!(payload.len(), 1472);
            assert_eq!(&payload[..32], ECHO_PAYLOAD);
            assert_eq!(&payload[32..64], ECHO_PAYLOAD);
        }
        assert!(!e[0].0 && e[1].0);
        // 1472 bytes of payload + 8 (ICMP) + 20 (IPv4) + 14 (Ethernet): a full 1500-byte packet.
        let request = frames
            .iter()
            .find(|f| wire::icmp_info(f).is_some_and(|i| i.icmp_type == 8))
            .expect("the request");
        assert_eq!(request.len(), 1514);
        assert_eq!(wire::ipv4_info(request).map(|i| i.total_len), Some(1500));
    }

    #[test]
    fn an_empty_echo_is_still_an_echo() {
        let (outcome, frames) = ping(ProbeProto::icmp_payload(0));
        assert_eq!(outcome, Outcome::Delivered);
        assert_eq!(echoes(&frames), vec![(false, vec![]), (true, vec![])]);
    }
}
