//! One parse of a frame for a device's whole packet path: the Ethernet header, then either
//! the ARP body or the IPv4 header with its transport header. Stages read the view instead
//! of parsing the bytes again; a stage that rewrites the bytes (NAT, TTL) re-views them.
//!
//! Like the other accessors, viewing never panics: fields a frame does not have are `None`.

use super::arp::{parse_arp, ArpInfo};
use super::ethernet::{ETH_LEN, VLAN_LEN};
use super::icmp::{is_echo, is_error};
use super::ipv4::IPV4_MIN;
use super::nat::{icmp_error_quoted_flow, FlowKey};
use super::tcp::TcpFlags;
use super::{MacAddr, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_VLAN, IPPROTO_ICMP};
use super::{IPPROTO_TCP, IPPROTO_UDP};
use pnet_packet::ethernet::EthernetPacket;
use pnet_packet::icmp::echo_request::EchoRequestPacket;
use pnet_packet::ipv4::{Ipv4Flags, Ipv4Packet};
use pnet_packet::tcp::TcpPacket;
use pnet_packet::udp::UdpPacket;
use pnet_packet::vlan::VlanPacket;
use std::net::Ipv4Addr;

/// The transport header of an unfragmented IPv4 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L4 {
    Tcp {
        sport: u16,
        dport: u16,
        seq: u32,
        ack: u32,
        flags: TcpFlags,
    },
    Udp {
        sport: u16,
        dport: u16,
        /// From the start of the frame.
        payload_offset: u16,
        payload_len: u16,
    },
    /// ICMP: echo identifier and sequence (0 otherwise); for an error, the flow of the packet
    /// it quotes.
    Icmp {
        icmp_type: u8,
        code: u8,
        id: u16,
        seq: u16,
        quoted: Option<FlowKey>,
    },
    /// Another protocol, a fragment, or a transport header too short to read.
    Other,
}

/// The IPv4 header and what follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpView {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub proto: u8,
    pub ttl: u8,
    /// The IPv4 packet's length (header and payload). Lengths and offsets are 16-bit, as in
    /// the headers: a view is copied along the packet path, so it is kept small.
    pub total_len: u16,
    pub header_len: u16,
    pub dont_fragment: bool,
    /// A fragment of a larger packet (its transport header, if any, is not read).
    pub fragment: bool,
    /// Offset of the IPv4 header in the frame.
    pub l3: u16,
    pub l4: L4,
}

impl IpView {
    /// Where the transport segment (everything after the IPv4 header) sits in the frame.
    pub fn segment(&self) -> std::ops::Range<usize> {
        usize::from(self.l3 + self.header_len)..usize::from(self.l3) + usize::from(self.total_len)
    }

    /// Where a UDP packet's payload sits in the frame.
    pub fn udp_payload(&self) -> Option<std::ops::Range<usize>> {
        match self.l4 {
            L4::Udp {
                payload_offset,
                payload_len,
                ..
            } => {
                let start = usize::from(payload_offset);
                Some(start..start + usize::from(payload_len))
            }
            _ => None,
        }
    }

    /// The 5-tuple (ICMP echo: the identifier as both ports; other ICMP: none).
    pub fn flow_key(&self) -> Option<FlowKey> {
        if self.fragment {
            return None;
        }
        let (sport, dport) = match self.l4 {
            L4::Tcp { sport, dport, .. } | L4::Udp { sport, dport, .. } => (sport, dport),
            L4::Icmp { icmp_type, id, .. } if is_echo(icmp_type) => (id, id),
            L4::Icmp { .. } => return None,
            L4::Other if self.proto == IPPROTO_TCP || self.proto == IPPROTO_UDP => return None,
            L4::Other => (0, 0),
        };
        Some(FlowKey {
            proto: self.proto,
            src: self.src,
            sport,
            dst: self.dst,
            dport,
        })
    }

    /// TCP or UDP ports.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match self.l4 {
            L4::Tcp { sport, dport, .. } | L4::Udp { sport, dport, .. } => Some((sport, dport)),
            _ => None,
        }
    }

    /// The ICMP type, for ICMP packets.
    pub fn icmp_type(&self) -> Option<u8> {
        match self.l4 {
            L4::Icmp { icmp_type, .. } => Some(icmp_type),
            _ => None,
        }
    }

    /// For an ICMP error, the flow of the packet it quotes.
    pub fn quoted(&self) -> Option<FlowKey> {
        match self.l4 {
            L4::Icmp { quoted, .. } => quoted,
            _ => None,
        }
    }
}

/// A parsed frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    pub dst: MacAddr,
    /// Zero in a view from `parse_unsourced`, which does not read it.
    pub src: MacAddr,
    pub vlan: Option<u16>,
    /// After any VLAN tag.
    pub ethertype: u16,
    pub ip: Option<IpView>,
    pub arp: Option<ArpInfo>,
}

impl View {
    /// Parses `f`; `None` only if it is shorter than an Ethernet header (or a cut tag).
    #[inline]
    pub fn parse(f: &[u8]) -> Option<View> {
        match udp_fast::<true>(f) {
            Some(v) => Some(v),
            None => View::parse_any(f),
        }
    }

    /// What `parse` answers, except that the source MAC is not read: `src` is left zero. For
    /// a host's own interface, whose receive path reads no source MAC (a bridge port, which
    /// learns it, takes `parse`): pnet's getter is a call, some thirty instructions a frame
    /// (issue 13).
    #[inline]
    pub fn parse_unsourced(f: &[u8]) -> Option<View> {
        match udp_fast::<false>(f) {
            Some(v) => Some(v),
            None => View::parse_any(f).map(|v| View {
                src: MacAddr::zero(),
                ..v
            }),
        }
    }

    /// What `parse` answers, for every frame, through pnet's views: the definition that
    /// `udp_fast` shortcuts.
    #[inline(never)]
    fn parse_any(f: &[u8]) -> Option<View> {
        let (dst, src, vlan, ethertype) = link(f)?;
        let l3 = if vlan.is_some() {
            ETH_LEN + VLAN_LEN
        } else {
            ETH_LEN
        };
        Some(View {
            dst,
            src,
            vlan,
            ethertype,
            ip: (ethertype == ETHERTYPE_IPV4)
                .then(|| ip_view(f, l3))
                .flatten(),
            arp: (ethertype == ETHERTYPE_ARP)
                .then(|| arp_view(f, l3))
                .flatten(),
        })
    }

    /// Parses only the Ethernet header (and tag) of `f`: what a switch needs to forward it.
    #[inline]
    pub fn parse_link(f: &[u8]) -> Option<View> {
        let (dst, src, vlan, ethertype) = link(f)?;
        Some(View {
            dst,
            src,
            vlan,
            ethertype,
            ip: None,
            arp: None,
        })
    }
}

/// Where the common frame's fields sit: untagged Ethernet, a 20-byte IPv4 header, UDP.
const FAST_IP: usize = ETH_LEN;
const FAST_UDP: usize = ETH_LEN + IPV4_MIN;
const FAST_LEN: usize = FAST_UDP + 8;

/// The frame nearly every hop of a UDP workload carries, read through pnet's views laid over
/// its first `FAST_LEN` bytes as one fixed-size array: the compiler then knows every field is
/// in bounds, where views over the whole frame check each byte they read (about a hundred
/// instructions a frame; issue 13). Untagged Ethernet, IPv4 without options, not a
/// fragment, UDP whose length fits the packet. `None` for any other frame, even a valid one:
/// `parse_any` views it. Where it answers, it answers what `parse_any` does (proptested
/// below), the source MAC only if `SOURCE` (else zero).
///
/// Every field is read first, all within the array, and the tests are one: tested one by
/// one, each a branch, LLVM's static estimate put the reads behind them below its threshold
/// of a cold call, and pnet's getters stayed calls (some 130 instructions a frame; issue 13).
#[inline]
fn udp_fast<const SOURCE: bool>(f: &[u8]) -> Option<View> {
    let h: &[u8; FAST_LEN] = f.get(..FAST_LEN)?.try_into().ok()?;
    let eth = EthernetPacket::new(&h[..])?;
    let ip = Ipv4Packet::new(&h[FAST_IP..])?;
    let udp = UdpPacket::new(&h[FAST_UDP..])?;
    let total = ip.get_total_length();
    let udp_len = udp.get_length();
    let flags = ip.get_flags();
    let view = View {
        dst: eth.get_destination(),
        src: if SOURCE {
            eth.get_source()
        } else {
            MacAddr::zero()
        },
        vlan: None,
        ethertype: ETHERTYPE_IPV4,
        ip: Some(IpView {
            src: ip.get_source(),
            dst: ip.get_destination(),
            proto: IPPROTO_UDP,
            ttl: ip.get_ttl(),
            total_len: total,
            header_len: IPV4_MIN as u16,
            dont_fragment: flags & Ipv4Flags::DontFragment != 0,
            fragment: false,
            l3: FAST_IP as u16,
            l4: L4::Udp {
                sport: udp.get_source(),
                dport: udp.get_destination(),
                payload_offset: FAST_LEN as u16,
                payload_len: udp_len.wrapping_sub(8),
            },
        }),
        arp: None,
    };
    // Untagged IPv4 without options carrying UDP, not a fragment; the IPv4 packet fits the
    // frame and holds the UDP header and its length. `&`, not `&&`: one branch.
    let fast = (eth.get_ethertype().0 == ETHERTYPE_IPV4)
        & (ip.get_version() == 4)
        & (usize::from(ip.get_header_length()) * 4 == IPV4_MIN)
        & (ip.get_next_level_protocol().0 == IPPROTO_UDP)
        & (flags & Ipv4Flags::MoreFragments == 0)
        & (ip.get_fragment_offset() == 0)
        & (usize::from(total) <= f.len() - FAST_IP)
        & (usize::from(total) >= IPV4_MIN + 8)
        & (udp_len >= 8)
        & (u32::from(udp_len) + IPV4_MIN as u32 <= u32::from(total));
    fast.then_some(view)
}

/// The ARP body of a frame whose L3 header starts at `l3`. Out of line: ARP is rare on the
/// packet path, and keeping it out keeps `View::parse` small where every packet goes.
#[inline(never)]
fn arp_view(f: &[u8], l3: usize) -> Option<ArpInfo> {
    f.get(l3..).and_then(|b| parse_arp(b).ok())
}

/// The Ethernet header: destination, source, 802.1Q VLAN and the ethertype after it, through
/// pnet's view laid over the header as one fixed-size array (every frame at every device
/// comes here, and a view over the whole frame checks each byte it reads; issue 13).
#[inline]
fn link(f: &[u8]) -> Option<(MacAddr, MacAddr, Option<u16>, u16)> {
    let h: &[u8; ETH_LEN] = f.get(..ETH_LEN)?.try_into().ok()?;
    let e = EthernetPacket::new(&h[..])?;
    let outer = e.get_ethertype().0;
    let (vlan, ethertype) = if outer == ETHERTYPE_VLAN {
        let tag = VlanPacket::new(f.get(ETH_LEN..)?)?;
        (Some(tag.get_vlan_identifier()), tag.get_ethertype().0)
    } else {
        (None, outer)
    };
    Some((e.get_destination(), e.get_source(), vlan, ethertype))
}

#[inline]
fn ip_view(f: &[u8], l3: usize) -> Option<IpView> {
    let bytes = f.get(l3..)?;
    let ip = Ipv4Packet::new(bytes)?;
    let hl = usize::from(ip.get_header_length()) * 4;
    let total = usize::from(ip.get_total_length());
    if ip.get_version() != 4 || hl < IPV4_MIN || total < hl || total > bytes.len() {
        return None;
    }
    let fragment = ip.get_flags() & Ipv4Flags::MoreFragments != 0 || ip.get_fragment_offset() != 0;
    let proto = ip.get_next_level_protocol().0;
    let (s, e) = (l3 + hl, l3 + total);
    // An Ethernet header (and tag) before at most 65535 bytes of IPv4: offsets fit 16 bits.
    let l3_at = u16::try_from(l3).ok()?;
    let l4 = if fragment {
        L4::Other
    } else {
        l4_view(f, proto, s, e).unwrap_or(L4::Other)
    };
    Some(IpView {
        src: ip.get_source(),
        dst: ip.get_destination(),
        proto,
        ttl: ip.get_ttl(),
        total_len: total as u16,
        header_len: hl as u16,
        dont_fragment: ip.get_flags() & Ipv4Flags::DontFragment != 0,
        fragment,
        l3: l3_at,
        l4,
    })
}

#[inline]
fn l4_view(f: &[u8], proto: u8, s: usize, e: usize) -> Option<L4> {
    let seg = f.get(s..e)?;
    Some(match proto {
        IPPROTO_TCP => {
            let p = TcpPacket::new(seg)?;
            let hl = usize::from(p.get_data_offset()) * 4;
            if hl < 20 || hl > seg.len() {
                return None;
            }
            L4::Tcp {
                sport: p.get_source(),
                dport: p.get_destination(),
                seq: p.get_sequence(),
                ack: p.get_acknowledgement(),
                flags: TcpFlags::from_bits(p.get_flags()),
            }
        }
        IPPROTO_UDP => {
            let p = UdpPacket::new(seg)?;
            let len = usize::from(p.get_length());
            if len < 8 || len > seg.len() {
                return None;
            }
            L4::Udp {
                sport: p.get_source(),
                dport: p.get_destination(),
                payload_offset: u16::try_from(s + 8).ok()?,
                payload_len: (len - 8) as u16,
            }
        }
        IPPROTO_ICMP => {
            if seg.len() < 8 {
                return None;
            }
            let p = EchoRequestPacket::new(seg)?;
            let icmp_type = p.get_icmp_type().0;
            let echo = is_echo(icmp_type);
            L4::Icmp {
                icmp_type,
                code: p.get_icmp_code().0,
                id: if echo { p.get_identifier() } else { 0 },
                seq: if echo { p.get_sequence_number() } else { 0 },
                quoted: if is_error(icmp_type) {
                    icmp_error_quoted_flow(f)
                } else {
                    None
                },
            }
        }
        _ => L4::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{self, IpHeader};

    fn h() -> IpHeader {
        IpHeader {
            src_mac: MacAddr(2, 0, 0, 0, 0, 1),
            dst_mac: MacAddr(2, 0, 0, 0, 0, 2),
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            ttl: 64,
            ident: 7,
        }
    }

    /// The view agrees with the single-purpose accessors on every kind of frame we build.
    #[test]
    fn view_agrees_with_the_accessors() {
        let frames = [
            wire::udp_frame(&h(), 1000, 53, b"abc"),
            wire::tcp_frame(&h(), 49152, 80, 1, 0, TcpFlags::SYN, 65535),
            wire::icmp_echo(&h(), false, 9, 1, b"x"),
            wire::icmp_unreachable(&h(), 3, 0, &wire::udp_frame(&h(), 1000, 53, b"abc")),
            wire::arp_request(MacAddr(2, 0, 0, 0, 0, 1), h().src, h().dst),
        ];
        for mut f in frames {
            for tagged in [false, true] {
                if tagged {
                    wire::push_vlan(&mut f, 7);
                }
                let v = View::parse(&f).expect("a frame");
                assert_eq!(Some(v.dst), wire::eth_dst(&f));
                assert_eq!(v.vlan, wire::vlan_id(&f));
                assert_eq!(Some(v.ethertype), wire::ethertype(&f));
                assert_eq!(v.arp, wire::arp_info(&f));
                let info = wire::ipv4_info(&f);
                assert_eq!(
                    v.ip.map(|i| (i.src, i.dst, i.proto)),
                    info.map(|i| (i.src, i.dst, i.proto))
                );
                assert_eq!(v.ip.and_then(|i| i.flow_key()), wire::flow_key(&f));
                assert_eq!(
                    v.ip.and_then(|i| i.quoted()),
                    wire::icmp_error_quoted_flow(&f)
                );
                if let Some(L4::Udp {
                    payload_offset,
                    payload_len,
                    ..
                }) = v.ip.map(|i| i.l4)
                {
                    let u = wire::udp_info(&f).expect("udp");
                    assert_eq!(
                        (usize::from(payload_offset), usize::from(payload_len)),
                        (u.payload_offset, u.payload_len)
                    );
                }
            }
        }
    }

    /// The fast path takes the common frames: the test below compares something.
    #[test]
    fn the_fast_path_takes_plain_udp() {
        let f = wire::udp_frame(&h(), 1000, 53, b"abc");
        assert!(udp_fast::<true>(&f).is_some());
        assert_eq!(udp_fast::<true>(&f), View::parse_any(&f));
        let mut tagged = f.clone();
        wire::push_vlan(&mut tagged, 7);
        assert_eq!(
            udp_fast::<true>(&tagged),
            None,
            "a tagged frame takes the full path"
        );
    }

    /// A 16-bit field the fast path decides by, with values at its edges: the ethertype;
    /// version and header length with the DSCP byte; the total length and the UDP length
    /// (their values are added to one less than the true length); flags and fragment
    /// offset; TTL and protocol.
    fn field() -> impl proptest::strategy::Strategy<Value = (usize, Vec<u16>)> {
        proptest::sample::select(vec![
            (12, vec![0x0800, 0x8100, 0x0806, 0x86dd]),
            (14, vec![0x4500, 0x4600, 0x4400, 0x5500, 0x45ff]),
            (16, vec![0, 1, 2, 0xfff0]),
            (20, vec![0, 0x2000, 0x4000, 0x8000, 0x0001, 0x1000]),
            (22, vec![0x4011, 0x4006, 0x4001, 0x0011]),
            (38, vec![0, 1, 2, 0xfff0, 0xfff8]),
        ])
    }

    /// A header byte to change: any, or one the fast path decides by (ethertype, version and
    /// header length, total length, flags and offset, protocol, UDP length).
    fn at() -> impl proptest::strategy::Strategy<Value = usize> {
        proptest::prop_oneof![
            0usize..FAST_LEN,
            proptest::sample::select(vec![12, 13, 14, 16, 17, 20, 21, 23, 38, 39]),
        ]
    }

    proptest::proptest! {
        /// Viewing arbitrary bytes never panics.
        #[test]
        fn view_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = View::parse(&bytes);
        }

        /// Wherever the UDP fast path answers, it answers what pnet's views do: on UDP frames
        /// with any byte of their headers changed (version, header length, flags, offset,
        /// lengths, protocol, ethertype) and cut or padded anywhere.
        #[test]
        fn the_fast_path_agrees_with_the_full_parse(
            payload in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            fields in proptest::collection::vec((field(), proptest::num::u16::ANY, 0usize..6), 0..3),
            edits in proptest::collection::vec((at(), proptest::num::u8::ANY), 0..3),
            cut in 0usize..120,
            pad in 0usize..8,
        ) {
            let mut f = wire::udp_frame(&h(), 1000, 53, &payload);
            // A field the fast path decides by, set to a value near its edge or to any.
            for ((at, edges), any, pick) in fields {
                let value = edges.get(pick).copied().unwrap_or(any);
                let value = match at {
                    16 => value.wrapping_add(u16::try_from(f.len() - 14).unwrap_or(0)).wrapping_sub(1),
                    38 => value.wrapping_add(u16::try_from(f.len() - 34).unwrap_or(0)).wrapping_sub(1),
                    _ => value,
                };
                f[at..at + 2].copy_from_slice(&value.to_be_bytes());
            }
            for (at, byte) in edits {
                f[at] = byte;
            }
            f.resize(f.len() + pad, 0);
            f.truncate(cut.max(FAST_LEN - 4));
            if let Some(fast) = udp_fast::<true>(&f) {
                proptest::prop_assert_eq!(Some(fast), View::parse_any(&f));
            }
            proptest::prop_assert_eq!(View::parse(&f), View::parse_any(&f));
            // Without the source: the same view, its source zero.
            let unsourced = View::parse_any(&f).map(|v| View { src: MacAddr::zero(), ..v });
            proptest::prop_assert_eq!(View::parse_unsourced(&f), unsourced);
        }
    }
}
