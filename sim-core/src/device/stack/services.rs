//! Local services: ICMP echo, TCP listeners, UDP echo, a DNS server, and Docker's embedded
//! DNS resolver with forwarding to upstream servers.

use super::{IcmpError, IpStack};
use crate::device::{DropReason, Frame, HopAction, Outbox};
use crate::id::{PortId, ProbeId};
use crate::wire::{self, DnsMessage, TcpFlags};
use std::net::{Ipv4Addr, SocketAddrV4};

/// A query the embedded resolver passed on to an upstream server.
#[derive(Debug, Clone)]
pub struct ForwardedQuery {
    upstream_id: u16,
    local_port: u16,
    client: SocketAddrV4,
    client_id: u16,
    bind: Ipv4Addr,
}

const ICMP_ECHO_REQUEST: u8 = 8;
const TCP_WINDOW: u16 = 65535;

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

impl IpStack {
    pub(super) fn icmp_input(&mut self, frame: Frame, ip: wire::Ipv4Info, out: &mut Outbox) {
        let Some(icmp) = wire::icmp_info(&frame.bytes) else {
            return;
        };
        if icmp.icmp_type != ICMP_ECHO_REQUEST || !self.config.services.icmp_echo {
            return;
        }
        out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
            to: "ICMP echo responder".into(),
        });
        let payload = icmp_echo_payload(&frame.bytes).to_vec();
        self.send_ip(Some(ip.dst), ip.src, frame.probe, out, |h| {
            wire::icmp_echo(h, true, icmp.id, icmp.seq, &payload)
        });
    }

    pub(super) fn udp_input(
        &mut self,
        port: PortId,
        frame: Frame,
        ip: wire::Ipv4Info,
        out: &mut Outbox,
    ) {
        let Some(udp) = wire::udp_info(&frame.bytes) else {
            return;
        };
        if udp.dport == wire::VXLAN_PORT && self.vtep_decap(&frame, out) {
            return;
        }
        if udp.dport == wire::DHCP_SERVER_PORT && self.config.services.dhcp_server.is_some() {
            self.dhcp_server_input(port, &frame, out);
            return;
        }
        if udp.dport == 53 {
            if let Some(i) = self
                .config
                .services
                .embedded_dns
                .iter()
                .position(|d| d.bind == ip.dst)
            {
                self.embedded_dns(i, &frame, ip, udp, out);
                return;
            }
            if !self.config.services.dns_zone.is_empty() {
                self.zone_dns(&frame, ip, udp, out);
                return;
            }
        }
        if let Some(i) = self
            .pending_dns
            .iter()
            .position(|q| q.local_port == udp.dport)
        {
            self.relay_upstream_answer(i, &frame, out);
            return;
        }
        if let Some(i) = self
            .apps
            .iter()
            .position(|a| a.sport == udp.dport && a.dst == ip.src)
        {
            self.apps[i].replies += 1;
            self.counters.app_replies += 1;
            return;
        }
        if self.config.services.udp_echo.contains(&udp.dport) {
            self.counters.udp_echoes_served += 1;
            out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
                to: format!("UDP echo service on port {}", udp.dport),
            });
            let payload = wire::udp_payload(&frame.bytes).unwrap_or_default().to_vec();
            self.send_ip(Some(ip.dst), ip.src, frame.probe, out, |h| {
                wire::udp_frame(h, udp.dport, udp.sport, &payload)
            });
            return;
        }
        out.drop_frame(&frame, || DropReason::NoListener {
            proto: "udp",
            port: udp.dport,
        });
        // RFC 1122 3.2.2: no ICMP error about a broadcast datagram (e.g. another host's DHCP).
        if !ip.dst.is_broadcast() {
            self.icmp_error(port, &frame, IcmpError::PortUnreachable, out);
        }
    }

    pub(super) fn tcp_input(&mut self, frame: Frame, ip: wire::Ipv4Info, out: &mut Outbox) {
        let Some(tcp) = wire::tcp_info(&frame.bytes) else {
            return;
        };
        let listening = self.config.services.tcp.contains(&tcp.dport);
        let f = tcp.flags;
        let reply = |seq: u32, ack: u32, flags: TcpFlags| {
            move |h: &wire::IpHeader| {
                wire::tcp_frame(h, tcp.dport, tcp.sport, seq, ack, flags, TCP_WINDOW)
            }
        };
        if f.rst {
            return;
        }
        if f.syn && !f.ack {
            if listening {
                out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
                    to: format!("TCP listener on port {}", tcp.dport),
                });
                let isn = 0x1000_0000 | u32::from(tcp.sport);
                let flags = TcpFlags::SYN_ACK;
                self.send_ip(
                    Some(ip.dst),
                    ip.src,
                    frame.probe,
                    out,
                    reply(isn, tcp.seq.wrapping_add(1), flags),
                );
            } else {
                out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
                    to: format!(
                        "TCP stack: nothing listens on port {}, answering RST",
                        tcp.dport
                    ),
                });
                let flags = TcpFlags::RST_ACK;
                self.send_ip(
                    Some(ip.dst),
                    ip.src,
                    frame.probe,
                    out,
                    reply(0, tcp.seq.wrapping_add(1), flags),
                );
            }
            return;
        }
        if f.fin && listening {
            // Passive close: acknowledge the FIN and close our side at once.
            let flags = TcpFlags::FIN_ACK;
            self.send_ip(
                Some(ip.dst),
                ip.src,
                frame.probe,
                out,
                reply(tcp.ack, tcp.seq.wrapping_add(1), flags),
            );
        }
    }

    fn send_dns(
        &mut self,
        from: SocketAddrV4,
        to: SocketAddrV4,
        msg: &DnsMessage,
        probe: Option<ProbeId>,
        out: &mut Outbox,
    ) {
        let payload = wire::dns_emit(msg);
        self.send_ip(Some(*from.ip()), *to.ip(), probe, out, |h| {
            wire::udp_frame(h, from.port(), to.port(), &payload)
        });
    }

    fn zone_dns(
        &mut self,
        frame: &Frame,
        ip: wire::Ipv4Info,
        udp: wire::UdpInfo,
        out: &mut Outbox,
    ) {
        let Some(q) = wire::udp_payload(&frame.bytes).and_then(|p| wire::dns_parse(p).ok()) else {
            return;
        };
        out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
            to: "DNS server".into(),
        });
        let answer = lookup(&self.config.services.dns_zone, &q.question);
        let reply = answer_for(&q, answer);
        self.send_dns(
            SocketAddrV4::new(ip.dst, 53),
            SocketAddrV4::new(ip.src, udp.sport),
            &reply,
            frame.probe,
            out,
        );
    }

    fn embedded_dns(
        &mut self,
        i: usize,
        frame: &Frame,
        ip: wire::Ipv4Info,
        udp: wire::UdpInfo,
        out: &mut Outbox,
    ) {
        let Some(q) = wire::udp_payload(&frame.bytes).and_then(|p| wire::dns_parse(p).ok()) else {
            return;
        };
        let resolver = &self.config.services.embedded_dns[i];
        let name = resolver.name.clone();
        let client = SocketAddrV4::new(ip.src, udp.sport);
        if let Some(addr) = lookup(&resolver.records, &q.question) {
            out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
                to: format!("{name}: {} is a container on this network", q.question),
            });
            let reply = answer_for(&q, Some(addr));
            self.send_dns(
                SocketAddrV4::new(ip.dst, 53),
                client,
                &reply,
                frame.probe,
                out,
            );
            return;
        }
        let Some(upstream) = resolver.upstreams.first().copied() else {
            out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
                to: format!("{name}: unknown name and no upstream DNS server"),
            });
            let reply = answer_for(&q, None);
            self.send_dns(
                SocketAddrV4::new(ip.dst, 53),
                client,
                &reply,
                frame.probe,
                out,
            );
            return;
        };
        out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
            to: format!("{name}: forwarding to upstream {upstream}"),
        });
        let local_port = self.next_ephemeral();
        let upstream_id = local_port;
        self.pending_dns.push(ForwardedQuery {
            upstream_id,
            local_port,
            client,
            client_id: q.id,
            bind: ip.dst,
        });
        let fwd = DnsMessage {
            id: upstream_id,
            ..q
        };
        let payload = wire::dns_emit(&fwd);
        self.send_ip(None, upstream, frame.probe, out, |h| {
            wire::udp_frame(h, local_port, 53, &payload)
        });
    }

    fn relay_upstream_answer(&mut self, i: usize, frame: &Frame, out: &mut Outbox) {
        let Some(mut answer) =
            wire::udp_payload(&frame.bytes).and_then(|p| wire::dns_parse(p).ok())
        else {
            return;
        };
        if answer.id != self.pending_dns[i].upstream_id {
            return;
        }
        let q = self.pending_dns.swap_remove(i);
        out.hop(frame.probe, &frame.bytes, || HopAction::Delivered {
            to: "embedded DNS: upstream answer, relaying to the container".into(),
        });
        answer.id = q.client_id;
        self.send_dns(
            SocketAddrV4::new(q.bind, 53),
            q.client,
            &answer,
            frame.probe,
            out,
        );
    }
}

fn answer_for(q: &DnsMessage, addr: Option<Ipv4Addr>) -> DnsMessage {
    DnsMessage {
        id: q.id,
        response: true,
        rcode: if addr.is_some() { 0 } else { 3 },
        recursion_desired: q.recursion_desired,
        question: q.question.clone(),
        answers: addr
            .map(|a| vec![(q.question.clone(), a, 600)])
            .unwrap_or_default(),
    }
}

/// The echo payload of an ICMP echo frame (after the 8-byte ICMP header).
fn icmp_echo_payload(bytes: &[u8]) -> &[u8] {
    let Some(ip) = wire::ipv4_info(bytes) else {
        return &[];
    };
    let Some(l3) = wire::l3_offset(bytes) else {
        return &[];
    };
    let start = l3 + ip.header_len + 8;
    let end = (l3 + ip.total_len as usize).min(bytes.len());
    bytes.get(start..end).unwrap_or_default()
}
