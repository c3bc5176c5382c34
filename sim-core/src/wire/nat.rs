//! Flow keys and in-place NAT rewrites, including ICMP errors whose quoted
//! packet must be translated too so replies find their way back.

use super::checksum;
use super::icmp::{self, icmp_span, is_echo, is_error, ICMP_HDR};
use super::ipv4::{self as ip4, l4_span, IPV4_MIN};
use super::view::{View, L4};
use super::{tcp, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};
use pnet_packet::icmp::echo_request::{EchoRequestPacket, MutableEchoRequestPacket};
use pnet_packet::ipv4::{Ipv4Packet, MutableIpv4Packet};
use pnet_packet::tcp::{MutableTcpPacket, TcpPacket};
use pnet_packet::udp::{MutableUdpPacket, UdpPacket};
use std::net::Ipv4Addr;

/// The 5-tuple used for NAT sessions and conntrack. For ICMP echo/echo-reply
/// both ports are the echo identifier; other ICMP has no key. Protocols other
/// than TCP/UDP/ICMP get ports 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct FlowKey {
    pub proto: u8,
    pub src: Ipv4Addr,
    pub sport: u16,
    pub dst: Ipv4Addr,
    pub dport: u16,
}

/// Which end of a packet a rewrite targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Src,
    Dst,
}

impl Side {
    fn flip(self) -> Side {
        match self {
            Side::Src => Side::Dst,
            Side::Dst => Side::Src,
        }
    }
}

fn key_of(proto: u8, src: Ipv4Addr, dst: Ipv4Addr, l4: &[u8]) -> Option<FlowKey> {
    let (sport, dport) = match proto {
        // TCP and UDP share the port layout; a UDP view needs only 8 bytes,
        // which is all an ICMP error quotes.
        IPPROTO_TCP | IPPROTO_UDP => {
            UdpPacket::new(l4).map(|p| (p.get_source(), p.get_destination()))?
        }
        IPPROTO_ICMP => {
            let e = EchoRequestPacket::new(l4)?;
            is_echo(e.get_icmp_type().0).then(|| (e.get_identifier(), e.get_identifier()))?
        }
        _ => (0, 0),
    };
    Some(FlowKey {
        proto,
        src,
        sport,
        dst,
        dport,
    })
}

pub fn flow_key(f: &[u8]) -> Option<FlowKey> {
    let (info, s, e) = l4_span(f)?;
    key_of(info.proto, info.src, info.dst, f.get(s..e)?)
}

/// The quoted IPv4 packet inside an ICMP error: (quote start, its header length).
fn quoted_span(f: &[u8]) -> Option<(usize, usize, usize)> {
    let (s, e) = icmp_span(f)?;
    let q0 = s + ICMP_HDR;
    let q = Ipv4Packet::new(f.get(s..e)?.get(ICMP_HDR..)?)?;
    let hl = q.get_header_length() as usize * 4;
    let ok =
        is_error(icmp::icmp_type(f)?) && q.get_version() == 4 && hl >= IPV4_MIN && q0 + hl <= e;
    ok.then_some((q0, hl, e))
}

/// For an ICMP error frame, the FlowKey of the quoted original packet (as the
/// original sender sent it).
pub fn icmp_error_quoted_flow(f: &[u8]) -> Option<FlowKey> {
    let (q0, hl, e) = quoted_span(f)?;
    let q = Ipv4Packet::new(f.get(q0..e)?)?;
    let (proto, src, dst) = (
        q.get_next_level_protocol().0,
        q.get_source(),
        q.get_destination(),
    );
    key_of(proto, src, dst, f.get(q0 + hl..e)?)
}

/// NAT: replace the source address and source port (ICMP echo: identifier)
/// and fix every checksum. For an ICMP error, the outer source and the
/// quoted packet's destination. `false` (frame untouched) if not IPv4 or not
/// a TCP/UDP/ICMP echo/ICMP error packet.
pub fn rewrite_src(f: &mut [u8], ip: Ipv4Addr, port: u16) -> bool {
    rewrite(f, Side::Src, ip, port).is_some()
}

/// NAT: replace the destination address and port; for an ICMP error, the
/// outer destination and the quoted packet's source. See [`rewrite_src`].
pub fn rewrite_dst(f: &mut [u8], ip: Ipv4Addr, port: u16) -> bool {
    rewrite(f, Side::Dst, ip, port).is_some()
}

/// What a rewrite will touch, worked out before any byte changes so a
/// refused frame is left intact.
enum Plan {
    Tcp { end: usize },
    Udp { end: usize },
    Echo { end: usize },
    Error { q0: usize, hl: usize, end: usize },
}

fn plan(f: &[u8]) -> Option<(usize, usize, Plan)> {
    let (info, s, e) = l4_span(f)?;
    let l3 = s - info.header_len;
    let p = match info.proto {
        IPPROTO_TCP => {
            let t = TcpPacket::new(f.get(s..e)?)?;
            let hl = t.get_data_offset() as usize * 4;
            (hl >= tcp::TCP_HDR && s + hl <= e).then_some(Plan::Tcp { end: e })?
        }
        IPPROTO_UDP => {
            let u = super::udp_info(f)?;
            Plan::Udp {
                end: u.payload_offset + u.payload_len,
            }
        }
        IPPROTO_ICMP => {
            let t = icmp::icmp_type(f)?;
            if is_echo(t) {
                Plan::Echo { end: e }
            } else {
                let (q0, hl, end) = quoted_span(f)?;
                Plan::Error { q0, hl, end }
            }
        }
        _ => return None,
    };
    Some((l3, s, p))
}

fn rewrite(f: &mut [u8], side: Side, ip: Ipv4Addr, port: u16) -> Option<()> {
    let (l3, s, plan) = plan(f)?;
    rewrite_planned(f, (l3, s, plan), side, ip, port)
}

/// NAT on a frame a device has viewed: [`rewrite_dst`] (`destination`) or [`rewrite_src`],
/// with the offsets taken from `view` rather than from a new parse of the bytes, and `view`
/// brought up to date in place. An ICMP error (whose quote changes too) goes the byte way
/// and is viewed again. Returns whether the frame was rewritten.
pub fn rewrite_viewed(
    f: &mut [u8],
    view: &mut View,
    destination: bool,
    ip: Ipv4Addr,
    port: u16,
) -> bool {
    let side = if destination { Side::Dst } else { Side::Src };
    let Some(v) = view.ip.as_mut() else {
        return false;
    };
    let l3 = usize::from(v.l3);
    let (s, e) = (v.segment().start, v.segment().end);
    let plan = match v.l4 {
        L4::Tcp { .. } => Plan::Tcp { end: e },
        L4::Udp {
            payload_offset,
            payload_len,
            ..
        } => Plan::Udp {
            end: usize::from(payload_offset) + usize::from(payload_len),
        },
        L4::Icmp { icmp_type, .. } if is_echo(icmp_type) => Plan::Echo { end: e },
        _ => {
            let done = rewrite(f, side, ip, port).is_some();
            if done {
                if let Some(again) = View::parse(f) {
                    *view = again;
                }
            }
            return done;
        }
    };
    if rewrite_planned(f, (l3, s, plan), side, ip, port).is_none() {
        return false;
    }
    match side {
        Side::Src => v.src = ip,
        Side::Dst => v.dst = ip,
    }
    match (&mut v.l4, side) {
        (L4::Tcp { sport, .. } | L4::Udp { sport, .. }, Side::Src) => *sport = port,
        (L4::Tcp { dport, .. } | L4::Udp { dport, .. }, Side::Dst) => *dport = port,
        (L4::Icmp { id, .. }, _) => *id = port,
        _ => {}
    }
    // A stage may have set the frame's MACs since the view was taken (a route's new source
    // MAC): the Ethernet header is read again, which is cheap; the rest follows the rewrite.
    if let Some(link) = View::parse_link(f) {
        (view.dst, view.src, view.vlan, view.ethertype) =
            (link.dst, link.src, link.vlan, link.ethertype);
    }
    debug_assert_eq!(View::parse(f).as_ref(), Some(&*view), "a view kept in step");
    true
}

fn rewrite_planned(
    f: &mut [u8],
    (l3, s, plan): (usize, usize, Plan),
    side: Side,
    ip: Ipv4Addr,
    port: u16,
) -> Option<()> {
    let old_ip = addr(f.get(l3..)?, side)?;
    set_addr(f.get_mut(l3..)?, side, ip)?;
    // Each checksum is adjusted by the words that changed (RFC 1624, `checksum`), as a
    // kernel's NAT does: the transport checksums see the address through the pseudo-header.
    let (old_addr, new_addr) = (checksum::addr_words(old_ip), checksum::addr_words(ip));
    match plan {
        Plan::Tcp { end } => {
            let mut t = MutableTcpPacket::new(f.get_mut(s..end)?)?;
            let old_port = match side {
                Side::Src => t.get_source(),
                Side::Dst => t.get_destination(),
            };
            match side {
                Side::Src => t.set_source(port),
                Side::Dst => t.set_destination(port),
            }
            let old = checksum::addr_port_words(old_ip, old_port);
            let new = checksum::addr_port_words(ip, port);
            let sum = checksum::adjust(t.get_checksum(), &old, &new);
            t.set_checksum(sum);
        }
        Plan::Udp { end } => {
            let d = f.get_mut(s..end)?;
            let old_port = port_of(d, side)?;
            set_port(d, side, port)?;
            let mut u = MutableUdpPacket::new(d)?;
            let old = checksum::addr_port_words(old_ip, old_port);
            let new = checksum::addr_port_words(ip, port);
            let sum = checksum::adjust_udp(u.get_checksum(), &old, &new);
            u.set_checksum(sum);
        }
        Plan::Echo { end } => {
            // ICMP has no pseudo-header: only the identifier counts.
            let mut m = MutableEchoRequestPacket::new(f.get_mut(s..end)?)?;
            let old = m.get_identifier();
            m.set_identifier(port);
            let sum = checksum::adjust(m.get_checksum(), &[old], &[port]);
            m.set_checksum(sum);
        }
        Plan::Error { q0, hl, end } => {
            // Rare, and the quote changes in several places: recomputed whole.
            rewrite_quoted(f.get_mut(q0..end)?, hl, side.flip(), ip, port)?;
            icmp::fix_checksum(f.get_mut(s..end)?);
        }
    }
    let mut h = MutableIpv4Packet::new(f.get_mut(l3..)?)?;
    let sum = checksum::adjust(h.get_checksum(), &old_addr, &new_addr);
    h.set_checksum(sum);
    Some(())
}

/// The address on `side` of the IPv4 packet starting at `l3[0]`.
fn addr(l3: &[u8], side: Side) -> Option<Ipv4Addr> {
    let p = Ipv4Packet::new(l3)?;
    Some(match side {
        Side::Src => p.get_source(),
        Side::Dst => p.get_destination(),
    })
}

/// A UDP port (or a quoted TCP one, same layout) on `side`.
fn port_of(l4: &[u8], side: Side) -> Option<u16> {
    let p = UdpPacket::new(l4)?;
    Some(match side {
        Side::Src => p.get_source(),
        Side::Dst => p.get_destination(),
    })
}

fn set_addr(l3: &mut [u8], side: Side, ip: Ipv4Addr) -> Option<()> {
    let mut p = MutableIpv4Packet::new(l3)?;
    match side {
        Side::Src => p.set_source(ip),
        Side::Dst => p.set_destination(ip),
    }
    Some(())
}

/// Sets a UDP port, or a quoted TCP one: TCP shares the port layout and a
/// quote is too short (8 bytes) for a TCP view.
fn set_port(l4: &mut [u8], side: Side, port: u16) -> Option<()> {
    let mut p = MutableUdpPacket::new(l4)?;
    match side {
        Side::Src => p.set_source(port),
        Side::Dst => p.set_destination(port),
    }
    Some(())
}

/// Rewrites the quoted packet `q` (header length `hl`): address, header
/// checksum, and the port/identifier. Only 8 L4 bytes are quoted, so its L4
/// checksum cannot be recomputed; UDP's and ICMP's (both inside the quote)
/// are adjusted incrementally (RFC 1624) to stay consistent.
fn rewrite_quoted(q: &mut [u8], hl: usize, side: Side, ip: Ipv4Addr, port: u16) -> Option<()> {
    let p = Ipv4Packet::new(q)?;
    let proto = p.get_next_level_protocol().0;
    let old_ip = if side == Side::Src {
        p.get_source()
    } else {
        p.get_destination()
    };
    set_addr(q, side, ip)?;
    ip4::fix_checksum(q);
    let l4 = q.get_mut(hl..)?;
    match proto {
        IPPROTO_TCP => set_port(l4, side, port).unwrap_or(()),
        IPPROTO_UDP => quoted_udp(l4, side, (old_ip, ip), port).unwrap_or(()),
        IPPROTO_ICMP => quoted_echo(l4, port).unwrap_or(()),
        _ => {}
    }
    Some(())
}

fn quoted_udp(
    l4: &mut [u8],
    side: Side,
    (old_ip, new_ip): (Ipv4Addr, Ipv4Addr),
    port: u16,
) -> Option<()> {
    let mut p = MutableUdpPacket::new(l4)?;
    let old_port = if side == Side::Src {
        p.get_source()
    } else {
        p.get_destination()
    };
    match side {
        Side::Src => p.set_source(port),
        Side::Dst => p.set_destination(port),
    }
    let old = checksum::addr_port_words(old_ip, old_port);
    let new = checksum::addr_port_words(new_ip, port);
    let sum = checksum::adjust_udp(p.get_checksum(), &old, &new);
    p.set_checksum(sum);
    Some(())
}

fn quoted_echo(l4: &mut [u8], id: u16) -> Option<()> {
    let mut p = MutableEchoRequestPacket::new(l4)?;
    if !is_echo(p.get_icmp_type().0) {
        return Some(());
    }
    let old = p.get_identifier();
    p.set_identifier(id);
    let sum = checksum::adjust(p.get_checksum(), &[old], &[id]);
    p.set_checksum(sum);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::icmp::quote;
    use crate::wire::testutil::{assert_checksums_ok, hdr, strategies};
    use crate::wire::*;
    use proptest::prelude::*;

    const SYN: TcpFlags = TcpFlags {
        syn: true,
        ack: false,
        fin: false,
        rst: false,
        psh: false,
    };

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().expect("test address")
    }

    /// A TCP, UDP or ICMP echo frame from `h`.
    fn frame(kind: u8, h: &IpHeader, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        match kind % 3 {
            0 => tcp_frame(h, sport, dport, 1, 2, SYN, 100),
            1 => udp_frame(h, sport, dport, payload),
            _ => icmp_echo(h, false, sport, 7, payload),
        }
    }

    #[test]
    fn snat_and_dnat_read_back() {
        for kind in 0..3 {
            let mut f = frame(kind, &hdr(), 49152, 80, b"abc");
            assert!(rewrite_src(&mut f, ip("10.0.0.5"), 40000));
            assert_checksums_ok(&f);
            let k = flow_key(&f).expect("key");
            assert_eq!((k.src, k.sport, k.dst), (ip("10.0.0.5"), 40000, hdr().dst));
            assert!(rewrite_dst(&mut f, ip("192.168.1.9"), 8080));
            assert_checksums_ok(&f);
            let k = flow_key(&f).expect("key");
            assert_eq!((k.dst, k.dport), (ip("192.168.1.9"), 8080));
            if kind == 2 {
                assert_eq!((k.sport, k.dport), (8080, 8080), "echo id is both ports");
            }
        }
    }

    #[test]
    fn udp_without_checksum_stays_without() {
        let inner = icmp_echo(&hdr(), false, 1, 1, &[]);
        let mut f = vxlan_encap(&hdr(), 5, 1, &inner);
        assert!(rewrite_src(&mut f, ip("1.1.1.1"), 6));
        assert_eq!(f[40..42], [0, 0]);
        assert_checksums_ok(&f);
    }

    #[test]
    fn refuses_what_it_cannot_translate() {
        let arp = arp_request(hdr().src_mac, hdr().src, hdr().dst);
        let mut g = arp.clone();
        assert!(!rewrite_src(&mut g, ip("1.1.1.1"), 1));
        assert_eq!(g, arp);
        let p = Packet {
            eth: EthernetRepr {
                src: hdr().src_mac,
                dst: hdr().dst_mac,
                vlan: None,
            },
            net: NetRepr::Ipv4(Ipv4Repr {
                src: hdr().src,
                dst: hdr().dst,
                ttl: 1,
                ident: 1,
                dont_fragment: false,
                l4: L4Repr::IcmpOther {
                    icmp_type: 13,
                    code: 0,
                    rest: vec![0; 16],
                },
            }),
        };
        let ts = p.emit();
        let mut g = ts.clone();
        assert!(!rewrite_dst(&mut g, ip("1.1.1.1"), 1));
        assert_eq!(g, ts);
        assert_eq!(flow_key(&ts), None);
    }

    /// SNAT a flow, have a router reject the translated packet, translate the
    /// error back: the quote must be byte-identical to the original packet's.
    #[test]
    fn icmp_error_translates_back_exactly() {
        let router = IpHeader {
            src: ip("10.0.0.1"),
            dst: ip("10.0.0.5"),
            ..hdr()
        };
        for kind in 0..3 {
            let orig = frame(kind, &hdr(), 49154, 53, b"query bytes");
            let mut out = orig.clone();
            assert!(rewrite_src(&mut out, ip("10.0.0.5"), 40000));
            let mut err = icmp_unreachable(&router, 3, 0, &out);
            assert_eq!(icmp_error_quoted_flow(&err), flow_key(&out));
            assert_eq!(flow_key(&err), None);
            assert!(rewrite_dst(&mut err, hdr().src, 49154));
            assert_checksums_ok(&err);
            assert_eq!(ipv4_info(&err).map(|i| i.dst), Some(hdr().src));
            assert_eq!(err[42..], quote(&orig)[..], "kind {kind}");
            assert_eq!(icmp_error_quoted_flow(&err), flow_key(&orig));
        }
    }

    #[test]
    fn rewrite_src_on_error_translates_quoted_destination() {
        let orig = udp_frame(&hdr(), 1000, 53, &[]);
        let mut err = icmp_time_exceeded(
            &IpHeader {
                src: ip("10.0.0.1"),
                dst: hdr().src,
                ..hdr()
            },
            &orig,
        );
        assert!(rewrite_src(&mut err, ip("10.0.0.2"), 5353));
        assert_checksums_ok(&err);
        let q = icmp_error_quoted_flow(&err).expect("quoted");
        assert_eq!(
            (q.src, q.sport, q.dst, q.dport),
            (hdr().src, 1000, ip("10.0.0.2"), 5353)
        );
    }

    proptest! {
        /// The rewrite from a view writes the same bytes as the one that parses, and leaves
        /// the view a new parse would give.
        #[test]
        fn viewed_rewrite_equals_parsed_rewrite(
            p in strategies::packet(2),
            (new_ip, new_port) in (strategies::ip(), any::<u16>()),
            dnat in any::<bool>(),
        ) {
            let f = p.emit();
            let mut by_bytes = f.clone();
            let ok = if dnat {
                rewrite_dst(&mut by_bytes, new_ip, new_port)
            } else {
                rewrite_src(&mut by_bytes, new_ip, new_port)
            };
            let mut by_view = f.clone();
            let mut view = View::parse(&by_view).expect("a frame");
            prop_assert_eq!(rewrite_viewed(&mut by_view, &mut view, dnat, new_ip, new_port), ok);
            prop_assert_eq!(&by_view, &by_bytes);
            prop_assert_eq!(Some(view), View::parse(&by_view));
        }

        #[test]
        fn rewrites_keep_checksums_valid(
            kind in 0u8..3,
            (src, dst, new_ip) in (strategies::ip(), strategies::ip(), strategies::ip()),
            (sport, dport, new_port) in any::<(u16, u16, u16)>(),
            payload in proptest::collection::vec(any::<u8>(), 0..64),
            vlan in proptest::option::of(0u16..4096),
            dnat in any::<bool>(),
        ) {
            let h = IpHeader { src, dst, ..hdr() };
            let mut f = frame(kind, &h, sport, dport, &payload);
            if let Some(v) = vlan {
                push_vlan(&mut f, v);
            }
            let ok = if dnat { rewrite_dst(&mut f, new_ip, new_port) } else { rewrite_src(&mut f, new_ip, new_port) };
            prop_assert!(ok);
            assert_checksums_ok(&f);
            let k = flow_key(&f).expect("key");
            let (addr, port) = if dnat { (k.dst, k.dport) } else { (k.src, k.sport) };
            prop_assert_eq!((addr, port), (new_ip, new_port));

            let mut err = icmp_unreachable(&IpHeader { src: new_ip, dst: src, ..hdr() }, 3, 0, &f);
            prop_assert!(rewrite_dst(&mut err, dst, dport));
            assert_checksums_ok(&err);
            let q = icmp_error_quoted_flow(&err).expect("quoted");
            prop_assert_eq!(q.src, dst);
            if kind != 2 {
                prop_assert_eq!(q.sport, dport);
            }
        }
    }
}
