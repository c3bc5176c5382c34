//! Test helpers shared by the wire tests: a default header and a checker that
//! recomputes every checksum in a frame with pnet's helpers.

use super::{ipv4_info, l3_offset, IpHeader, MacAddr, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};
use pnet_packet::icmp::{self, IcmpPacket};
use pnet_packet::ipv4::{self, Ipv4Packet};
use pnet_packet::tcp::{self, TcpPacket};
use pnet_packet::udp::{self, UdpPacket};
use std::net::Ipv4Addr;

pub(crate) fn hdr() -> IpHeader {
    IpHeader {
        src_mac: MacAddr(0x00, 0x15, 0x5d, 0, 0, 5),
        dst_mac: MacAddr(0x00, 0x15, 0x5d, 0, 0, 1),
        src: Ipv4Addr::new(172, 16, 0, 5),
        dst: Ipv4Addr::new(8, 8, 8, 8),
        ttl: 128,
        ident: 0x1234,
    }
}

/// Panics unless the IPv4 header, L4 and (for ICMP errors) quoted IPv4 header
/// checksums and lengths of `f` verify.
pub(crate) fn assert_checksums_ok(f: &[u8]) {
    check(f, true)
}

/// Like [`assert_checksums_ok`] but ignores what ICMP errors quote.
pub(crate) fn assert_outer_checksums_ok(f: &[u8]) {
    check(f, false)
}

fn check(f: &[u8], quoted: bool) {
    let info = ipv4_info(f).expect("ipv4 frame");
    let l3 = l3_offset(f).expect("l3");
    let ip = Ipv4Packet::new(&f[l3..]).expect("ipv4 view");
    assert_eq!(
        ipv4::checksum(&ip),
        ip.get_checksum(),
        "ipv4 header checksum"
    );
    let l4 = &f[l3 + info.header_len..l3 + info.total_len as usize];
    // A fragment carries a piece of the transport message: its checksum covers the whole.
    let fragment =
        ip.get_flags() & ipv4::Ipv4Flags::MoreFragments != 0 || ip.get_fragment_offset() != 0;
    if fragment {
        return;
    }
    match info.proto {
        IPPROTO_ICMP => check_icmp(l4, quoted),
        IPPROTO_UDP => check_udp(l4, info.src, info.dst),
        IPPROTO_TCP => {
            let t = TcpPacket::new(l4).expect("tcp view");
            let sum = tcp::ipv4_checksum(&t, &info.src, &info.dst);
            assert_eq!(sum, t.get_checksum(), "tcp checksum");
        }
        _ => {}
    }
}

fn check_icmp(l4: &[u8], quoted: bool) {
    let p = IcmpPacket::new(l4).expect("icmp view");
    assert_eq!(icmp::checksum(&p), p.get_checksum(), "icmp checksum");
    if quoted && matches!(p.get_icmp_type().0, 3 | 11) && l4.len() >= 28 {
        let q = Ipv4Packet::new(&l4[8..]).expect("quoted ipv4");
        assert_eq!(ipv4::checksum(&q), q.get_checksum(), "quoted ipv4 checksum");
    }
}

fn check_udp(l4: &[u8], src: Ipv4Addr, dst: Ipv4Addr) {
    let u = UdpPacket::new(l4).expect("udp view");
    assert_eq!(u.get_length() as usize, l4.len(), "udp length");
    if u.get_checksum() != 0 {
        let sum = match udp::ipv4_checksum(&u, &src, &dst) {
            0 => 0xffff,
            s => s,
        };
        assert_eq!(sum, u.get_checksum(), "udp checksum");
    }
}

pub(crate) mod strategies {
    //! proptest strategies producing valid reprs (see `packet.rs`).
    use crate::wire::{
        ArpInfo, ArpOp, DnsMessage, EthernetRepr, Ipv4Repr, L4Repr, MacAddr, NetRepr, Packet,
        TcpFlags, UdpPayload,
    };
    use proptest::collection::vec;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    pub(crate) fn mac() -> impl Strategy<Value = MacAddr> {
        any::<[u8; 6]>().prop_map(|b| MacAddr(b[0], b[1], b[2], b[3], b[4], b[5]))
    }

    pub(crate) fn ip() -> impl Strategy<Value = Ipv4Addr> {
        any::<u32>().prop_map(Ipv4Addr::from)
    }

    fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
        vec(any::<u8>(), 0..max)
    }

    /// A port that triggers no payload classification.
    pub(crate) fn plain_port() -> impl Strategy<Value = u16> {
        any::<u16>().prop_filter("special port", |p| *p != 53 && *p != 4789)
    }

    pub(crate) fn flags() -> impl Strategy<Value = TcpFlags> {
        any::<[bool; 5]>().prop_map(|b| TcpFlags {
            syn: b[0],
            ack: b[1],
            fin: b[2],
            rst: b[3],
            psh: b[4],
        })
    }

    pub(crate) fn dns() -> impl Strategy<Value = DnsMessage> {
        let name = vec("[a-z0-9-]{1,12}", 1..=3).prop_map(|l| l.join("."));
        let answers = vec((ip(), any::<u32>()), 0..4);
        (
            any::<u16>(),
            any::<bool>(),
            0u8..16,
            any::<bool>(),
            name,
            answers,
            prop::sample::select(vec![1u16, 12, 15, 28]),
            vec(("[a-z0-9-]{1,12}", any::<u32>()), 0..2),
        )
            .prop_map(
                |(id, response, rcode, recursion_desired, question, answers, qtype, ptrs)| {
                    DnsMessage {
                        id,
                        response,
                        rcode,
                        recursion_desired,
                        answers: answers
                            .into_iter()
                            .map(|(a, t)| (question.clone(), a, t))
                            .collect(),
                        question,
                        qtype,
                        ptr_answers: ptrs,
                    }
                },
            )
    }

    fn udp(depth: u32) -> BoxedStrategy<L4Repr> {
        let raw =
            (plain_port(), plain_port(), bytes(64)).prop_map(|(sport, dport, b)| L4Repr::Udp {
                sport,
                dport,
                payload: UdpPayload::Raw(b),
            });
        let dns = (plain_port(), any::<bool>(), dns()).prop_map(|(other, to_server, m)| {
            let (sport, dport) = if to_server { (other, 53) } else { (53, other) };
            L4Repr::Udp {
                sport,
                dport,
                payload: UdpPayload::Dns(m),
            }
        });
        if depth == 0 {
            return prop_oneof![raw, dns].boxed();
        }
        let vxlan = (any::<u16>(), 0u32..1 << 24, packet(depth - 1)).prop_map(|(sport, vni, p)| {
            L4Repr::Udp {
                sport,
                dport: 4789,
                payload: UdpPayload::Vxlan {
                    vni,
                    inner: Box::new(p),
                },
            }
        });
        prop_oneof![raw, dns, vxlan].boxed()
    }

    fn l4(depth: u32) -> BoxedStrategy<L4Repr> {
        let echo = (any::<bool>(), any::<u16>(), any::<u16>(), bytes(64)).prop_map(
            |(reply, id, seq, payload)| L4Repr::IcmpEcho {
                reply,
                id,
                seq,
                payload,
            },
        );
        let unreach = (any::<u8>(), any::<u16>(), bytes(40))
            .prop_map(|(code, mtu, quoted)| L4Repr::IcmpUnreachable { code, mtu, quoted });
        let exceeded = (any::<u8>(), bytes(40))
            .prop_map(|(code, quoted)| L4Repr::IcmpTimeExceeded { code, quoted });
        let other_icmp = (
            any::<u8>().prop_filter("modelled", |t| ![0, 3, 8, 11].contains(t)),
            any::<u8>(),
            bytes(20),
        )
            .prop_map(|(icmp_type, code, rest)| L4Repr::IcmpOther {
                icmp_type,
                code,
                rest,
            });
        let tcp = (any::<(u16, u16, u32, u32, u16)>(), flags(), bytes(40)).prop_map(
            |((sport, dport, seq, ack, window), flags, payload)| L4Repr::Tcp {
                sport,
                dport,
                seq,
                ack,
                flags,
                window,
                payload,
            },
        );
        let other = (
            any::<u8>().prop_filter("modelled", |p| ![1, 6, 17].contains(p)),
            bytes(40),
        )
            .prop_map(|(proto, bytes)| L4Repr::Other { proto, bytes });
        // A fragment: More Fragments or a non-zero offset (else it is a whole packet).
        let fragment = (any::<u8>(), 0u16..1 << 13, any::<bool>(), bytes(40))
            .prop_filter("a fragment", |(_, offset, more, _)| *more || *offset != 0)
            .prop_map(|(proto, offset, more, bytes)| L4Repr::Fragment {
                proto,
                offset,
                more,
                bytes,
            });
        prop_oneof![
            echo,
            unreach,
            exceeded,
            other_icmp,
            udp(depth),
            tcp,
            other,
            fragment
        ]
        .boxed()
    }

    fn arp() -> impl Strategy<Value = ArpInfo> {
        (any::<bool>(), mac(), ip(), mac(), ip()).prop_map(
            |(req, sender_mac, sender_ip, target_mac, target_ip)| {
                let op = if req { ArpOp::Request } else { ArpOp::Reply };
                ArpInfo {
                    op,
                    sender_mac,
                    sender_ip,
                    target_mac,
                    target_ip,
                }
            },
        )
    }

    fn ipv4(depth: u32) -> impl Strategy<Value = Ipv4Repr> {
        (
            ip(),
            ip(),
            any::<u8>(),
            any::<u16>(),
            any::<bool>(),
            l4(depth),
        )
            .prop_map(|(src, dst, ttl, ident, dont_fragment, l4)| Ipv4Repr {
                src,
                dst,
                ttl,
                ident,
                dont_fragment,
                l4,
            })
    }

    /// Valid packets; `depth` bounds VXLAN nesting.
    pub(crate) fn packet(depth: u32) -> BoxedStrategy<Packet> {
        let unknown = (
            any::<u16>().prop_filter("modelled", |e| ![0x0800, 0x0806, 0x8100].contains(e)),
            bytes(60),
        )
            .prop_map(|(ethertype, bytes)| NetRepr::Unknown { ethertype, bytes });
        let net = prop_oneof![
            1 => arp().prop_map(NetRepr::Arp),
            4 => ipv4(depth).prop_map(NetRepr::Ipv4),
            1 => unknown,
        ];
        let vlan = proptest::option::of(0u16..4096);
        (mac(), mac(), vlan, net)
            .prop_map(|(src, dst, vlan, net)| Packet {
                eth: EthernetRepr { src, dst, vlan },
                net,
            })
            .boxed()
    }
}
