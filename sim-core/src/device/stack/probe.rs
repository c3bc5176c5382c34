//! Probe clients: ping, TCP connect and UDP send, optionally after a DNS lookup.
//!
//! A probe is a small state machine inside the originating stack. It ends as delivered,
//! refused or dropped, and its frames carry the probe id so the engine can trace them.

use super::{IpStack, TIMER_PROBE};
use crate::device::{Frame, HopAction, Outbox, Outcome};
use crate::id::ProbeId;
use crate::time::SimDuration;
use crate::wire::{self, DnsMessage, TcpFlags};
use std::net::Ipv4Addr;

/// The transport a probe uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ProbeProto {
    Icmp,
    Tcp(u16),
    Udp(u16),
    /// Name resolution only (`nslookup`): delivered once the name resolves.
    Dns,
}

impl std::fmt::Display for ProbeProto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeProto::Icmp => write!(f, "icmp"),
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
}

#[derive(Clone, Debug, PartialEq, Eq)]
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

const ECHO_PAYLOAD: &[u8] = b"hnsim-probe-0123456789abcdef0123";
const CLIENT_ISN: u32 = 1000;
const TCP_WINDOW: u16 = 65535;

impl IpStack {
    /// Starts a probe now. Its end arrives through `Outbox::end_probe`.
    pub fn start_probe(&mut self, req: ProbeRequest, out: &mut Outbox) {
        out.timer(out.now + req.timeout, TIMER_PROBE | u64::from(req.id.0));
        match req.target {
            ProbeTarget::Addr(dst) => {
                self.probes.push(ProbeClient {
                    id: req.id,
                    proto: req.proto,
                    name: None,
                    phase: Phase::Done,
                });
                self.probe_send(self.probes.len() - 1, dst, out);
            }
            ProbeTarget::Name(name) => {
                let Some(server) = self.config.dns_servers.first().copied() else {
                    out.end_probe(
                        req.id,
                        Outcome::Dropped,
                        format!("cannot resolve \"{name}\": this node has no DNS server"),
                    );
                    return;
                };
                let dns_port = self.next_ephemeral();
                let query_id = dns_port;
                let q = DnsMessage {
                    id: query_id,
                    response: false,
                    rcode: 0,
                    recursion_desired: true,
                    question: name.clone(),
                    answers: Vec::new(),
                };
                self.probes.push(ProbeClient {
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
                if !self.send_ip(None, server, Some(req.id), out, |h| {
                    wire::udp_frame(h, dns_port, 53, &payload)
                }) {
                    self.finish(
                        self.probes.len() - 1,
                        Outcome::Dropped,
                        format!("no route to DNS server {server}"),
                        out,
                    );
                }
            }
        }
    }

    fn probe_send(&mut self, i: usize, dst: Ipv4Addr, out: &mut Outbox) {
        if self.probes[i].proto == ProbeProto::Dns {
            let name = self.probes[i]
                .name
                .clone()
                .unwrap_or_else(|| dst.to_string());
            out.end_probe(
                self.probes[i].id,
                Outcome::Delivered,
                format!("{name} resolved to {dst}"),
            );
            self.probes.swap_remove(i);
            return;
        }
        let sport = self.next_ephemeral();
        let id = self.probes[i].id;
        self.probes[i].phase = Phase::Probing { dst, sport };
        let sent = match self.probes[i].proto {
            ProbeProto::Icmp => self.send_ip(None, dst, Some(id), out, |h| {
                wire::icmp_echo(h, false, sport, 1, ECHO_PAYLOAD)
            }),
            ProbeProto::Tcp(port) => {
                let syn = TcpFlags::SYN;
                self.send_ip(None, dst, Some(id), out, |h| {
                    wire::tcp_frame(h, sport, port, CLIENT_ISN, 0, syn, TCP_WINDOW)
                })
            }
            ProbeProto::Udp(port) => self.send_ip(None, dst, Some(id), out, |h| {
                wire::udp_frame(h, sport, port, ECHO_PAYLOAD)
            }),
            ProbeProto::Dns => unreachable!("handled above"),
        };
        if !sent {
            self.finish(
                i,
                Outcome::Dropped,
                format!("no route to {dst} from this node"),
                out,
            );
        }
    }

    fn finish(&mut self, i: usize, outcome: Outcome, detail: String, out: &mut Outbox) {
        out.end_probe(self.probes[i].id, outcome, detail);
        self.probes.swap_remove(i);
    }

    pub(super) fn probe_timeout(&mut self, id: ProbeId, out: &mut Outbox) {
        if let Some(i) = self.probes.iter().position(|p| p.id == id) {
            let what = match &self.probes[i].phase {
                Phase::Resolving { server, .. } => format!("no DNS answer from {server}"),
                Phase::Probing { dst, .. } => format!("no answer from {dst}"),
                Phase::Closing { .. } => {
                    self.probes.swap_remove(i);
                    return;
                }
                Phase::Done => "no answer".into(),
            };
            self.finish(
                i,
                Outcome::Dropped,
                format!("{what} before the timeout"),
                out,
            );
        }
    }

    /// Offers an arriving packet to the running probes. Returns true if one consumed it.
    pub(super) fn probe_input(
        &mut self,
        frame: &Frame,
        ip: &wire::Ipv4Info,
        out: &mut Outbox,
    ) -> bool {
        if self.probes.is_empty() {
            return false;
        }
        for i in 0..self.probes.len() {
            match self.probes[i].phase.clone() {
                Phase::Resolving {
                    dns_port,
                    query_id,
                    server,
                } => {
                    let Some(udp) = wire::udp_info(&frame.bytes) else {
                        continue;
                    };
                    if udp.dport != dns_port || ip.src != server {
                        continue;
                    }
                    let Some(ans) =
                        wire::udp_payload(&frame.bytes).and_then(|p| wire::dns_parse(p).ok())
                    else {
                        continue;
                    };
                    if ans.id != query_id {
                        continue;
                    }
                    let name = self.probes[i].name.clone().unwrap_or_default();
                    match ans.answers.first() {
                        Some((_, addr, _)) => {
                            let addr = *addr;
                            out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
                                to: format!("resolver: {name} is {addr}"),
                            });
                            self.probe_send(i, addr, out);
                        }
                        None => {
                            let rcode = match ans.rcode {
                                3 => "NXDOMAIN",
                                2 => "SERVFAIL",
                                _ => "no address",
                            };
                            self.finish(
                                i,
                                Outcome::Dropped,
                                format!("\"{name}\" did not resolve: {rcode} from {server}"),
                                out,
                            );
                        }
                    }
                    return true;
                }
                Phase::Probing { dst, sport } => {
                    if let Some(q) = wire::icmp_error_quoted_flow(&frame.bytes) {
                        if q.sport != sport || q.dst != dst {
                            continue;
                        }
                        let icmp = wire::icmp_info(&frame.bytes);
                        let (outcome, what) = match icmp.map(|c| (c.icmp_type, c.code)) {
                            Some((3, 3)) => (
                                Outcome::Refused,
                                format!("ICMP port unreachable from {}", ip.src),
                            ),
                            Some((3, code)) => (
                                Outcome::Dropped,
                                format!(
                                    "ICMP destination unreachable (code {code}) from {}",
                                    ip.src
                                ),
                            ),
                            Some((11, _)) => (
                                Outcome::Dropped,
                                format!("ICMP time exceeded from {}", ip.src),
                            ),
                            _ => (Outcome::Dropped, format!("ICMP error from {}", ip.src)),
                        };
                        out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
                            to: "probe client".into(),
                        });
                        self.finish(i, outcome, what, out);
                        return true;
                    }
                    let matched = match self.probes[i].proto {
                        ProbeProto::Icmp => wire::icmp_info(&frame.bytes)
                            .filter(|c| c.icmp_type == 0 && c.id == sport && ip.src == dst)
                            .map(|_| (Outcome::Delivered, format!("echo reply from {dst}"))),
                        ProbeProto::Udp(port) => wire::udp_info(&frame.bytes)
                            .filter(|u| u.dport == sport && u.sport == port && ip.src == dst)
                            .map(|_| (Outcome::Delivered, format!("UDP answer from {dst}:{port}"))),
                        ProbeProto::Dns => None,
                        ProbeProto::Tcp(port) => match wire::tcp_info(&frame.bytes) {
                            Some(t) if t.dport == sport && t.sport == port && ip.src == dst => {
                                if t.flags.rst {
                                    Some((Outcome::Refused, format!("RST from {dst}:{port}")))
                                } else if t.flags.syn && t.flags.ack {
                                    // Connected: complete the handshake and close at once.
                                    let id = self.probes[i].id;
                                    let ack = TcpFlags::ACK;
                                    let fin = TcpFlags::FIN_ACK;
                                    let (seq, a) = (CLIENT_ISN + 1, t.seq.wrapping_add(1));
                                    out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
                                        to: "probe client: connected".into(),
                                    });
                                    self.send_ip(None, dst, Some(id), out, |h| {
                                        wire::tcp_frame(h, sport, port, seq, a, ack, TCP_WINDOW)
                                    });
                                    self.send_ip(None, dst, Some(id), out, |h| {
                                        wire::tcp_frame(h, sport, port, seq, a, fin, TCP_WINDOW)
                                    });
                                    out.end_probe(
                                        id,
                                        Outcome::Delivered,
                                        format!("connected to {dst}:{port} (SYN-ACK)"),
                                    );
                                    self.probes[i].phase = Phase::Closing { dst, sport };
                                    return true;
                                } else {
                                    None
                                }
                            }
                            _ => None,
                        },
                    };
                    if let Some((outcome, what)) = matched {
                        out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
                            to: "probe client".into(),
                        });
                        out.end_probe(self.probes[i].id, outcome, what);
                        self.probes.swap_remove(i);
                        return true;
                    }
                }
                Phase::Closing { dst, sport } => {
                    let Some(t) = wire::tcp_info(&frame.bytes) else {
                        continue;
                    };
                    if t.dport != sport || ip.src != dst {
                        continue;
                    }
                    if t.flags.fin {
                        let id = self.probes[i].id;
                        let ack = TcpFlags::ACK;
                        let (seq, a) = (t.ack, t.seq.wrapping_add(1));
                        out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
                            to: "probe client: connection closed".into(),
                        });
                        self.send_ip(None, dst, Some(id), out, |h| {
                            wire::tcp_frame(h, sport, t.sport, seq, a, ack, TCP_WINDOW)
                        });
                        self.probes.swap_remove(i);
                    }
                    return true;
                }
                Phase::Done => {}
            }
        }
        false
    }
}
