//! The full owned representation of a frame: `parse`, `Packet::emit` and the
//! one-line tcpdump-like `Display` used in traces.
//!
//! A `Packet` is *valid* (and then `parse(&p.emit()) == Ok(p)`) when it is
//! something `parse` can return: VLAN ids < 4096; `Unknown` ethertypes other
//! than IPv4/ARP/802.1Q; `Other` protocols other than ICMP/TCP/UDP;
//! `IcmpOther` types other than echo/unreachable/time-exceeded; UDP `Raw`
//! payloads that would not parse as DNS (either port 53) or VXLAN (dport
//! 4789); DNS messages within `dns.rs`'s model; lengths that fit 16 bits.
//! Not represented (parse drops them): DSCP/ECN, IPv4 and TCP options, TCP
//! urgent pointer and flags beyond SYN/ACK/FIN/RST/PSH. Stacked VLAN tags are
//! rejected as unsupported. An IPv4 fragment is a `Fragment` (its transport
//! header is not read: it may not even be in this piece), valid when it is one
//! (More Fragments set or a non-zero offset).
//! DHCP (UDP 67 <-> 68) stays a `Raw` payload; only `Display` decodes it.

use super::arp::{arp_bytes, parse_arp};
use super::dhcp::{dhcp_parse, is_dhcp_ports};
use super::dns::{dns_emit, dns_parse, DnsMessage};
use super::ethernet::{eth_frame, ETH_LEN, VLAN_LEN};
use super::icmp::{echo_bytes, other_bytes, parse_icmp, time_exceeded_bytes, unreachable_bytes};
use super::ipv4::{ipv4_bytes, parse_ipv4, Ipv4Head};
use super::tcp::{parse_tcp, tcp_bytes, TcpHead};
use super::udp::{parse_udp, udp_bytes};
use super::vxlan::{parse_vxlan, vxlan_bytes};
use super::{eth_dst, eth_src, ethertype, l3_offset, malformed, need, unsupported, vlan_id};
use super::{ArpInfo, ArpOp, MacAddr, TcpFlags, WireError, DNS_PORT, VXLAN_PORT};
use super::{
    ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_VLAN, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP,
};
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::udp::UdpPacket;
use std::fmt;
use std::net::Ipv4Addr;

/// VXLAN-in-VXLAN deeper than this is left as raw bytes (bounds recursion).
const MAX_NESTING: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub eth: EthernetRepr,
    pub net: NetRepr,
}

/// The ethertype is not stored: it follows from [`NetRepr`] (see
/// [`Packet::ethertype`]), so a repr cannot contradict itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EthernetRepr {
    pub src: MacAddr,
    pub dst: MacAddr,
    pub vlan: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetRepr {
    Arp(ArpInfo),
    Ipv4(Ipv4Repr),
    Unknown { ethertype: u16, bytes: Vec<u8> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Repr {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub ttl: u8,
    pub ident: u16,
    pub dont_fragment: bool,
    pub l4: L4Repr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum L4Repr {
    IcmpEcho {
        reply: bool,
        id: u16,
        seq: u16,
        payload: Vec<u8>,
    },
    /// `mtu` is the next-hop MTU field (meaningful for code 4).
    IcmpUnreachable {
        code: u8,
        mtu: u16,
        quoted: Vec<u8>,
    },
    IcmpTimeExceeded {
        code: u8,
        quoted: Vec<u8>,
    },
    /// Any other ICMP message: `rest` is everything after the checksum.
    IcmpOther {
        icmp_type: u8,
        code: u8,
        rest: Vec<u8>,
    },
    Udp {
        sport: u16,
        dport: u16,
        payload: UdpPayload,
    },
    Tcp {
        sport: u16,
        dport: u16,
        seq: u32,
        ack: u32,
        flags: TcpFlags,
        window: u16,
        payload: Vec<u8>,
    },
    Other {
        proto: u8,
        bytes: Vec<u8>,
    },
    /// A piece of a fragmented datagram: `offset` in 8-byte units, `more` the More
    /// Fragments flag, `bytes` this piece of the datagram's payload.
    Fragment {
        proto: u8,
        offset: u16,
        more: bool,
        bytes: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UdpPayload {
    Dns(DnsMessage),
    Vxlan { vni: u32, inner: Box<Packet> },
    Raw(Vec<u8>),
}

pub fn parse(f: &[u8]) -> Result<Packet, WireError> {
    parse_nested(f, 0)
}

fn parse_nested(f: &[u8], depth: usize) -> Result<Packet, WireError> {
    need("ethernet", ETH_LEN, f.len())?;
    let (Some(src), Some(dst)) = (eth_src(f), eth_dst(f)) else {
        return malformed("ethernet", "header");
    };
    let (Some(et), Some(off)) = (ethertype(f), l3_offset(f)) else {
        return Err(WireError::Truncated {
            layer: "vlan",
            need: ETH_LEN + VLAN_LEN,
            have: f.len(),
        });
    };
    let l3 = f.get(off..).unwrap_or_default();
    let net = match et {
        ETHERTYPE_VLAN => return unsupported("vlan", "stacked tags"),
        ETHERTYPE_ARP => NetRepr::Arp(parse_arp(l3)?),
        ETHERTYPE_IPV4 => NetRepr::Ipv4(parse_ipv4_repr(l3, depth)?),
        _ => NetRepr::Unknown {
            ethertype: et,
            bytes: l3.to_vec(),
        },
    };
    Ok(Packet {
        eth: EthernetRepr {
            src,
            dst,
            vlan: vlan_id(f),
        },
        net,
    })
}

fn parse_ipv4_repr(l3: &[u8], depth: usize) -> Result<Ipv4Repr, WireError> {
    let (h, l4) = parse_ipv4(l3)?;
    let fragment = h.more_fragments || h.frag_offset != 0;
    let l4 = match h.proto {
        proto if fragment => L4Repr::Fragment {
            proto,
            offset: h.frag_offset,
            more: h.more_fragments,
            bytes: l4.to_vec(),
        },
        IPPROTO_ICMP => parse_icmp(l4)?,
        IPPROTO_UDP => {
            let (sport, dport, payload) = parse_udp(l4, h.src, h.dst)?;
            let payload = classify_udp(sport, dport, payload, depth);
            L4Repr::Udp {
                sport,
                dport,
                payload,
            }
        }
        IPPROTO_TCP => {
            let (t, payload) = parse_tcp(l4, h.src, h.dst)?;
            let TcpHead {
                sport,
                dport,
                seq,
                ack,
                flags,
                window,
            } = t;
            L4Repr::Tcp {
                sport,
                dport,
                seq,
                ack,
                flags,
                window,
                payload,
            }
        }
        proto => L4Repr::Other {
            proto,
            bytes: l4.to_vec(),
        },
    };
    Ok(Ipv4Repr {
        src: h.src,
        dst: h.dst,
        ttl: h.ttl,
        ident: h.ident,
        dont_fragment: h.dont_fragment,
        l4,
    })
}

/// VXLAN when dport is 4789 and header and inner frame parse; DNS when either
/// port is 53 and it parses; raw bytes otherwise.
fn classify_udp(sport: u16, dport: u16, payload: &[u8], depth: usize) -> UdpPayload {
    if dport == VXLAN_PORT && depth < MAX_NESTING {
        let inner =
            parse_vxlan(payload).and_then(|(vni, b)| Some((vni, parse_nested(b, depth + 1).ok()?)));
        if let Some((vni, p)) = inner {
            return UdpPayload::Vxlan {
                vni,
                inner: Box::new(p),
            };
        }
    }
    if sport == DNS_PORT || dport == DNS_PORT {
        if let Ok(m) = dns_parse(payload) {
            return UdpPayload::Dns(m);
        }
    }
    UdpPayload::Raw(payload.to_vec())
}

impl Packet {
    pub fn ethertype(&self) -> u16 {
        match &self.net {
            NetRepr::Arp(_) => ETHERTYPE_ARP,
            NetRepr::Ipv4(_) => ETHERTYPE_IPV4,
            NetRepr::Unknown { ethertype, .. } => *ethertype,
        }
    }

    pub fn emit(&self) -> Vec<u8> {
        let l3 = match &self.net {
            NetRepr::Arp(a) => arp_bytes(a),
            NetRepr::Ipv4(r) => r.emit(),
            NetRepr::Unknown { bytes, .. } => bytes.clone(),
        };
        eth_frame(
            self.eth.src,
            self.eth.dst,
            self.eth.vlan,
            self.ethertype(),
            &l3,
        )
    }
}

impl Ipv4Repr {
    /// The IPv4 packet (L3 bytes).
    pub fn emit(&self) -> Vec<u8> {
        let (more_fragments, frag_offset) = match self.l4 {
            L4Repr::Fragment { more, offset, .. } => (more, offset),
            _ => (false, 0),
        };
        let head = Ipv4Head {
            src: self.src,
            dst: self.dst,
            ttl: self.ttl,
            ident: self.ident,
            dont_fragment: self.dont_fragment,
            more_fragments,
            frag_offset,
            proto: self.l4.proto(),
        };
        ipv4_bytes(&head, &self.l4.emit(self.src, self.dst))
    }
}

impl L4Repr {
    pub fn proto(&self) -> u8 {
        match self {
            L4Repr::IcmpEcho { .. }
            | L4Repr::IcmpUnreachable { .. }
            | L4Repr::IcmpTimeExceeded { .. }
            | L4Repr::IcmpOther { .. } => IPPROTO_ICMP,
            L4Repr::Udp { .. } => IPPROTO_UDP,
            L4Repr::Tcp { .. } => IPPROTO_TCP,
            L4Repr::Other { proto, .. } | L4Repr::Fragment { proto, .. } => *proto,
        }
    }

    /// The L4 bytes; `src`/`dst` feed the pseudo-header checksums.
    pub fn emit(&self, src: Ipv4Addr, dst: Ipv4Addr) -> Vec<u8> {
        match self {
            L4Repr::IcmpEcho {
                reply,
                id,
                seq,
                payload,
            } => echo_bytes(*reply, *id, *seq, payload),
            L4Repr::IcmpUnreachable { code, mtu, quoted } => unreachable_bytes(*code, *mtu, quoted),
            L4Repr::IcmpTimeExceeded { code, quoted } => time_exceeded_bytes(*code, quoted),
            L4Repr::IcmpOther {
                icmp_type,
                code,
                rest,
            } => other_bytes(*icmp_type, *code, rest),
            L4Repr::Udp {
                sport,
                dport,
                payload,
            } => {
                let (bytes, with_sum) = payload.emit();
                udp_bytes((src, dst), *sport, *dport, &bytes, with_sum)
            }
            L4Repr::Tcp {
                sport,
                dport,
                seq,
                ack,
                flags,
                window,
                payload,
            } => {
                let h = TcpHead {
                    sport: *sport,
                    dport: *dport,
                    seq: *seq,
                    ack: *ack,
                    flags: *flags,
                    window: *window,
                };
                tcp_bytes((src, dst), &h, payload)
            }
            L4Repr::Other { bytes, .. } | L4Repr::Fragment { bytes, .. } => bytes.clone(),
        }
    }
}

impl UdpPayload {
    /// The payload bytes and whether the datagram carries a checksum (VXLAN
    /// does not, per RFC 7348).
    pub fn emit(&self) -> (Vec<u8>, bool) {
        match self {
            UdpPayload::Dns(m) => (dns_emit(m), true),
            UdpPayload::Vxlan { vni, inner } => (vxlan_bytes(*vni, &inner.emit()), false),
            UdpPayload::Raw(b) => (b.clone(), true),
        }
    }
}

impl fmt::Display for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let NetRepr::Ipv4(r) = &self.net {
            if let Some(v) = self.eth.vlan {
                write!(f, "vlan {v}, ")?;
            }
            return write!(f, "{r}");
        }
        write!(f, "{} > {}, ", self.eth.src, self.eth.dst)?;
        if let Some(v) = self.eth.vlan {
            write!(f, "vlan {v}, ")?;
        }
        match &self.net {
            NetRepr::Arp(a) => match a.op {
                ArpOp::Request => write!(
                    f,
                    "ARP, Request who-has {} tell {}",
                    a.target_ip, a.sender_ip
                ),
                ArpOp::Reply => write!(f, "ARP, Reply {} is-at {}", a.sender_ip, a.sender_mac),
            },
            NetRepr::Unknown { ethertype, bytes } => {
                write!(f, "ethertype 0x{ethertype:04x}, length {}", bytes.len())
            }
            NetRepr::Ipv4(_) => Ok(()),
        }
    }
}

impl fmt::Display for Ipv4Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (src, dst) = (self.src, self.dst);
        match &self.l4 {
            L4Repr::Udp {
                sport,
                dport,
                payload,
            } => {
                write!(f, "IP {src}.{sport} > {dst}.{dport}: ")?;
                if let (true, UdpPayload::Raw(b)) = (is_dhcp_ports(*sport, *dport), payload) {
                    if let Ok(m) = dhcp_parse(b) {
                        return write!(f, "{m}");
                    }
                }
                fmt_udp(f, payload)
            }
            L4Repr::Tcp {
                sport,
                dport,
                seq,
                ack,
                flags,
                window,
                payload,
            } => {
                write!(
                    f,
                    "IP {src}.{sport} > {dst}.{dport}: Flags [{}], seq {seq}",
                    flags.letters()
                )?;
                if flags.ack {
                    write!(f, ", ack {ack}")?;
                }
                write!(f, ", win {window}, length {}", payload.len())
            }
            L4Repr::Other { proto, bytes } => {
                write!(f, "IP {src} > {dst}: ip-proto-{proto} {}", bytes.len())
            }
            // tcpdump's notation: (frag id:size@offset+), `+` while more pieces follow.
            L4Repr::Fragment {
                proto,
                offset,
                more,
                bytes,
            } => {
                let name = match *proto {
                    IPPROTO_ICMP => "icmp".to_string(),
                    IPPROTO_TCP => "tcp".to_string(),
                    IPPROTO_UDP => "udp".to_string(),
                    p => format!("ip-proto-{p}"),
                };
                write!(
                    f,
                    "IP {src} > {dst}: {name} (frag {}:{}@{}{})",
                    self.ident,
                    bytes.len(),
                    usize::from(*offset) * 8,
                    if *more { "+" } else { "" }
                )
            }
            icmp => {
                write!(f, "IP {src} > {dst}: ")?;
                fmt_icmp(f, icmp)
            }
        }
    }
}

fn fmt_udp(f: &mut fmt::Formatter<'_>, p: &UdpPayload) -> fmt::Result {
    match p {
        UdpPayload::Dns(m) => fmt_dns(f, m),
        UdpPayload::Vxlan { vni, inner } => write!(f, "VXLAN, vni {vni}: {inner}"),
        UdpPayload::Raw(b) => write!(f, "UDP, length {}", b.len()),
    }
}

fn rcode_name(rcode: u8) -> String {
    match rcode {
        1 => "FormErr".into(),
        2 => "ServFail".into(),
        3 => "NXDomain".into(),
        4 => "NotImp".into(),
        5 => "Refused".into(),
        n => format!("Rcode{n}"),
    }
}

/// A question type as tcpdump names it.
fn qtype_name(t: u16) -> String {
    match t {
        super::dns::QTYPE_A => "A".into(),
        super::dns::QTYPE_PTR => "PTR".into(),
        super::dns::QTYPE_MX => "MX".into(),
        super::dns::QTYPE_AAAA => "AAAA".into(),
        n => format!("Type{n}"),
    }
}

/// tcpdump style: `id+ A? name. (len)` / `id [rcode] an/ns/ar A ip, ... (len)`.
fn fmt_dns(f: &mut fmt::Formatter<'_>, m: &DnsMessage) -> fmt::Result {
    let len = dns_emit(m).len();
    if !m.response {
        let rd = if m.recursion_desired { "+" } else { "" };
        let qtype = qtype_name(m.qtype);
        return write!(f, "{}{rd} {qtype}? {}. ({len})", m.id, m.question);
    }
    write!(f, "{}", m.id)?;
    if m.rcode != 0 {
        write!(f, " {}", rcode_name(m.rcode))?;
    }
    write!(f, " {}/0/0", m.answers.len() + m.ptr_answers.len())?;
    let records = m
        .answers
        .iter()
        .map(|(_, ip, _)| format!("A {ip}"))
        .chain(m.ptr_answers.iter().map(|(t, _)| format!("PTR {t}.")));
    for (i, r) in records.enumerate() {
        write!(f, "{} {r}", if i == 0 { "" } else { "," })?;
    }
    write!(f, " ({len})")
}

fn fmt_icmp(f: &mut fmt::Formatter<'_>, l4: &L4Repr) -> fmt::Result {
    match l4 {
        L4Repr::IcmpEcho {
            reply,
            id,
            seq,
            payload,
        } => {
            let kind = if *reply { "reply" } else { "request" };
            write!(
                f,
                "ICMP echo {kind}, id {id}, seq {seq}, length {}",
                8 + payload.len()
            )
        }
        L4Repr::IcmpUnreachable { code, mtu, quoted } => {
            write!(f, "ICMP ")?;
            fmt_unreachable(f, *code, *mtu, quoted)?;
            write!(f, ", length {}", 8 + quoted.len())
        }
        L4Repr::IcmpTimeExceeded { code, quoted } => {
            match code {
                0 => write!(f, "ICMP time exceeded in-transit")?,
                1 => write!(f, "ICMP ip reassembly time exceeded")?,
                c => write!(f, "ICMP time exceeded code {c}")?,
            }
            write!(f, ", length {}", 8 + quoted.len())
        }
        L4Repr::IcmpOther {
            icmp_type,
            code,
            rest,
        } => {
            write!(
                f,
                "ICMP type {icmp_type} code {code}, length {}",
                4 + rest.len()
            )
        }
        _ => Ok(()),
    }
}

/// (dst, proto, dport) of a quoted packet, as far as the quote allows.
fn quoted_summary(q: &[u8]) -> Option<(Ipv4Addr, u8, Option<u16>)> {
    let p = Ipv4Packet::new(q)?;
    let hl = p.get_header_length() as usize * 4;
    let dport = q
        .get(hl..)
        .and_then(UdpPacket::new)
        .map(|u| u.get_destination());
    Some((p.get_destination(), p.get_next_level_protocol().0, dport))
}

fn fmt_unreachable(f: &mut fmt::Formatter<'_>, code: u8, mtu: u16, quoted: &[u8]) -> fmt::Result {
    let (dst, proto, dport) = match quoted_summary(quoted) {
        Some((d, p, port)) => (d.to_string(), p, port),
        None => ("?".to_string(), 0, None),
    };
    match (code, proto, dport) {
        (0, ..) => write!(f, "net {dst} unreachable"),
        (1, ..) => write!(f, "host {dst} unreachable"),
        (2, ..) => write!(f, "{dst} protocol {proto} unreachable"),
        (3, IPPROTO_UDP, Some(p)) => write!(f, "{dst} udp port {p} unreachable"),
        (3, IPPROTO_TCP, Some(p)) => write!(f, "{dst} tcp port {p} unreachable"),
        (3, ..) => write!(f, "{dst} port unreachable"),
        (4, ..) => write!(f, "{dst} unreachable - need to frag (mtu {mtu})"),
        (13, ..) => write!(f, "{dst} unreachable - admin prohibited filter"),
        (c, ..) => write!(f, "{dst} unreachable code {c}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::testutil::{assert_outer_checksums_ok, strategies};
    use crate::wire::*;
    use proptest::prelude::*;

    const M1: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 1);
    const M2: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 2);

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().expect("test address")
    }

    fn h(src: &str, dst: &str) -> IpHeader {
        IpHeader {
            src_mac: M1,
            dst_mac: M2,
            src: ip(src),
            dst: ip(dst),
            ttl: 128,
            ident: 1,
        }
    }

    fn show(f: &[u8]) -> String {
        match parse(f) {
            Ok(p) => p.to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    const SYN: TcpFlags = TcpFlags {
        syn: true,
        ack: false,
        fin: false,
        rst: false,
        psh: false,
    };

    #[test]
    fn display_arp() {
        let req = arp_request(M1, ip("172.16.0.5"), ip("172.16.0.1"));
        assert_eq!(
            show(&req),
            "00:15:5d:00:00:01 > ff:ff:ff:ff:ff:ff, ARP, Request who-has 172.16.0.1 tell 172.16.0.5"
        );
        let mut rep = arp_reply(M2, ip("172.16.0.1"), M1, ip("172.16.0.5"));
        assert_eq!(
            show(&rep),
            "00:15:5d:00:00:02 > 00:15:5d:00:00:01, ARP, Reply 172.16.0.1 is-at 00:15:5d:00:00:02"
        );
        push_vlan(&mut rep, 7);
        assert_eq!(
            show(&rep),
            "00:15:5d:00:00:02 > 00:15:5d:00:00:01, vlan 7, ARP, Reply 172.16.0.1 is-at 00:15:5d:00:00:02"
        );
    }

    #[test]
    fn display_icmp() {
        let echo = icmp_echo(&h("172.16.0.5", "8.8.8.8"), false, 1, 1, &[0; 32]);
        assert_eq!(
            show(&echo),
            "IP 172.16.0.5 > 8.8.8.8: ICMP echo request, id 1, seq 1, length 40"
        );
        let router = h("10.0.0.1", "172.16.0.5");
        let dns = udp_frame(&h("172.16.0.5", "8.8.8.8"), 49154, 53, &[0; 20]);
        assert_eq!(
            show(&icmp_unreachable(&router, 3, 0, &dns)),
            "IP 10.0.0.1 > 172.16.0.5: ICMP 8.8.8.8 udp port 53 unreachable, length 36"
        );
        let far = icmp_echo(&h("172.16.0.5", "10.9.9.9"), false, 1, 1, &[]);
        assert_eq!(
            show(&icmp_unreachable(&router, 0, 0, &far)),
            "IP 10.0.0.1 > 172.16.0.5: ICMP net 10.9.9.9 unreachable, length 36"
        );
        assert_eq!(
            show(&icmp_unreachable(&router, 4, 1450, &far)),
            "IP 10.0.0.1 > 172.16.0.5: ICMP 10.9.9.9 unreachable - need to frag (mtu 1450), length 36"
        );
        assert_eq!(
            show(&icmp_time_exceeded(&router, &far)),
            "IP 10.0.0.1 > 172.16.0.5: ICMP time exceeded in-transit, length 36"
        );
    }

    #[test]
    fn display_tcp_udp() {
        let hd = h("172.16.0.5", "203.0.113.10");
        assert_eq!(
            show(&tcp_frame(&hd, 49152, 80, 1000, 0, SYN, 65535)),
            "IP 172.16.0.5.49152 > 203.0.113.10.80: Flags [S], seq 1000, win 65535, length 0"
        );
        let back = h("203.0.113.10", "172.16.0.5");
        let syn_ack = TcpFlags { ack: true, ..SYN };
        assert_eq!(
            show(&tcp_frame(&back, 80, 49152, 5, 1001, syn_ack, 65535)),
            "IP 203.0.113.10.80 > 172.16.0.5.49152: Flags [S.], seq 5, ack 1001, win 65535, length 0"
        );
        let mut u = udp_frame(&hd, 49153, 5000, &[0; 32]);
        assert_eq!(
            show(&u),
            "IP 172.16.0.5.49153 > 203.0.113.10.5000: UDP, length 32"
        );
        push_vlan(&mut u, 7);
        assert_eq!(
            show(&u),
            "vlan 7, IP 172.16.0.5.49153 > 203.0.113.10.5000: UDP, length 32"
        );
    }

    #[test]
    fn display_dns() {
        let q = DnsMessage::query(4660, "web", crate::wire::QTYPE_A);
        let to = h("172.16.0.5", "172.16.0.1");
        let from = h("172.16.0.1", "172.16.0.5");
        assert_eq!(
            show(&udp_frame(&to, 49154, 53, &dns_emit(&q))),
            "IP 172.16.0.5.49154 > 172.16.0.1.53: 4660+ A? web. (21)"
        );
        let a = DnsMessage {
            response: true,
            answers: vec![("web".into(), ip("172.16.0.9"), 600)],
            ..q.clone()
        };
        assert_eq!(
            show(&udp_frame(&from, 53, 49154, &dns_emit(&a))),
            "IP 172.16.0.1.53 > 172.16.0.5.49154: 4660 1/0/0 A 172.16.0.9 (37)"
        );
        let nx = DnsMessage {
            response: true,
            rcode: 3,
            ..q
        };
        assert_eq!(
            show(&udp_frame(&from, 53, 49154, &dns_emit(&nx))),
            "IP 172.16.0.1.53 > 172.16.0.5.49154: 4660 NXDomain 0/0/0 (21)"
        );
    }

    #[test]
    fn display_vxlan() {
        let inner = icmp_echo(&h("10.244.0.2", "10.244.0.3"), false, 1, 1, &[0; 32]);
        let f = vxlan_encap(&h("10.0.0.11", "10.0.0.12"), 50123, 4096, &inner);
        assert_eq!(
            show(&f),
            "IP 10.0.0.11.50123 > 10.0.0.12.4789: VXLAN, vni 4096: \
             IP 10.244.0.2 > 10.244.0.3: ICMP echo request, id 1, seq 1, length 40"
        );
    }

    #[test]
    fn display_unknown_ethertype() {
        let p = Packet {
            eth: EthernetRepr {
                src: M1,
                dst: M2,
                vlan: None,
            },
            net: NetRepr::Unknown {
                ethertype: 0x86dd,
                bytes: vec![0; 40],
            },
        };
        assert_eq!(
            p.to_string(),
            "00:15:5d:00:00:01 > 00:15:5d:00:00:02, ethertype 0x86dd, length 40"
        );
    }

    #[test]
    fn parse_rejects() {
        assert!(matches!(parse(&[0; 13]), Err(WireError::Truncated { .. })));
        let mut f = udp_frame(&h("1.1.1.1", "2.2.2.2"), 1, 2, &[]);
        push_vlan(&mut f, 1);
        push_vlan(&mut f, 2);
        assert!(matches!(parse(&f), Err(WireError::Unsupported { .. })));
    }

    /// Every accessor and mutator on `f`; none may panic.
    fn poke_everything(f: &[u8]) {
        let _ = (
            eth_dst(f),
            eth_src(f),
            vlan_id(f),
            ethertype(f),
            l3_offset(f),
        );
        let _ = (
            arp_info(f),
            ipv4_info(f),
            flow_key(f),
            icmp_error_quoted_flow(f),
        );
        let _ = (
            icmp_info(f),
            tcp_info(f),
            udp_info(f),
            udp_payload(f),
            vxlan_decap(f),
        );
        let _ = dns_parse(f).map(|m| dns_emit(&m));
        if let Ok(p) = parse(f) {
            let _ = (p.to_string(), p.emit());
        }
        let mut g = f.to_vec();
        set_eth_dst(&mut g, M1);
        set_eth_src(&mut g, M2);
        let _ = decrement_ttl(&mut g);
        let _ = rewrite_src(&mut g, ip("1.2.3.4"), 5);
        let _ = rewrite_dst(&mut g, ip("5.6.7.8"), 9);
        push_vlan(&mut g, 3);
        let _ = pop_vlan(&mut g);
        let _ = pop_vlan(&mut g);
        let _ = icmp_unreachable(&h("1.1.1.1", "2.2.2.2"), 3, 0, f);
    }

    proptest! {
        #[test]
        fn round_trip(p in strategies::packet(2)) {
            let bytes = p.emit();
            prop_assert_eq!(parse(&bytes), Ok(p.clone()));
            if let NetRepr::Ipv4(_) = p.net {
                assert_outer_checksums_ok(&bytes);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(f in proptest::collection::vec(any::<u8>(), 0..200)) {
            poke_everything(&f);
        }

        #[test]
        fn damaged_frames_never_panic(
            p in strategies::packet(1),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut f = p.emit();
            for (i, b) in flips {
                let i = i.index(f.len());
                f[i] = b;
            }
            let keep = cut.index(f.len() + 1);
            poke_everything(&f);
            poke_everything(&f[..keep]);
        }
    }
}
