//! IPv4: header validation, the hot-path `ipv4_info`, TTL decrement, and the
//! header builder shared by every IPv4 frame builder.

use super::checksum;
use super::ethernet::eth_frame_with;
use super::view::View;
use super::ETHERTYPE_IPV4;
use super::{ethertype, l3_offset, malformed, need, MacAddr, WireError};
use pnet_packet::ip::IpNextHeaderProtocol;
use pnet_packet::ipv4::{self, Ipv4Flags, Ipv4Packet, MutableIpv4Packet};
use std::cell::Cell;
use std::net::Ipv4Addr;

pub(crate) const IPV4_MIN: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Info {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub proto: u8,
    pub ttl: u8,
    pub total_len: u16,
    pub header_len: usize,
    pub dont_fragment: bool,
}

/// Common Ethernet + IPv4 header parameters for the frame builders.
/// TTL defaults to 128 (Windows) in callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpHeader {
    pub src_mac: MacAddr,
    pub dst_mac: MacAddr,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub ttl: u8,
    pub ident: u16,
}

/// The IPv4 header fields the simulator models (no DSCP/ECN or options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ipv4Head {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub ttl: u8,
    pub ident: u16,
    pub dont_fragment: bool,
    /// More Fragments.
    pub more_fragments: bool,
    /// Where a fragment's data starts, in 8-byte units (13 bits).
    pub frag_offset: u16,
    pub proto: u8,
}

impl Ipv4Head {
    pub(crate) fn from_h(h: &IpHeader, proto: u8, dont_fragment: bool) -> Self {
        Ipv4Head {
            src: h.src,
            dst: h.dst,
            ttl: h.ttl,
            ident: h.ident,
            dont_fragment,
            more_fragments: false,
            frag_offset: 0,
            proto,
        }
    }
}

/// Version, header length and total length sanity; returns (header_len, total_len).
fn check_header(ip: &Ipv4Packet, avail: usize) -> Result<(usize, usize), WireError> {
    if ip.get_version() != 4 {
        return malformed("ipv4", "version");
    }
    let hl = ip.get_header_length() as usize * 4;
    let total = ip.get_total_length() as usize;
    if hl < IPV4_MIN || total < hl {
        return malformed("ipv4", "length fields");
    }
    need("ipv4", total, avail)?;
    Ok((hl, total))
}

fn is_fragment(ip: &Ipv4Packet) -> bool {
    ip.get_flags() & Ipv4Flags::MoreFragments != 0 || ip.get_fragment_offset() != 0
}

/// Parses an IPv4 packet (the L3 bytes), verifying its header checksum.
/// Returns the header and the L4 bytes (padding after total length dropped); for a fragment,
/// its piece of the datagram's payload.
pub(crate) fn parse_ipv4(l3: &[u8]) -> Result<(Ipv4Head, &[u8]), WireError> {
    need("ipv4", IPV4_MIN, l3.len())?;
    let Some(ip) = Ipv4Packet::new(l3) else {
        return malformed("ipv4", "header");
    };
    let (hl, total) = check_header(&ip, l3.len())?;
    if ipv4::checksum(&ip) != ip.get_checksum() {
        return malformed("ipv4", "header checksum");
    }
    let head = Ipv4Head {
        src: ip.get_source(),
        dst: ip.get_destination(),
        ttl: ip.get_ttl(),
        ident: ip.get_identification(),
        dont_fragment: ip.get_flags() & Ipv4Flags::DontFragment != 0,
        more_fragments: ip.get_flags() & Ipv4Flags::MoreFragments != 0,
        frag_offset: ip.get_fragment_offset(),
        proto: ip.get_next_level_protocol().0,
    };
    Ok((head, l3.get(hl..total).unwrap_or_default()))
}

/// Whole Ethernet frame in (tagged or not); `None` unless a sane IPv4 header
/// whose total length fits the frame. The checksum is not verified here.
pub fn ipv4_info(f: &[u8]) -> Option<Ipv4Info> {
    if ethertype(f)? != ETHERTYPE_IPV4 {
        return None;
    }
    let l3 = f.get(l3_offset(f)?..)?;
    let ip = Ipv4Packet::new(l3)?;
    let (hl, total) = check_header(&ip, l3.len()).ok()?;
    Some(Ipv4Info {
        src: ip.get_source(),
        dst: ip.get_destination(),
        proto: ip.get_next_level_protocol().0,
        ttl: ip.get_ttl(),
        total_len: total as u16,
        header_len: hl,
        dont_fragment: ip.get_flags() & Ipv4Flags::DontFragment != 0,
    })
}

/// The L4 bytes of an unfragmented (or first-fragment-free) IPv4 frame, as
/// frame offsets `start..end`, with the header info.
pub(crate) fn l4_span(f: &[u8]) -> Option<(Ipv4Info, usize, usize)> {
    let info = ipv4_info(f)?;
    let l3 = l3_offset(f)?;
    let ip = Ipv4Packet::new(f.get(l3..)?)?;
    if is_fragment(&ip) {
        return None;
    }
    Some((info, l3 + info.header_len, l3 + info.total_len as usize))
}

/// Recomputes the header checksum of the IPv4 packet starting at `l3[0]`.
pub(crate) fn fix_checksum(l3: &mut [u8]) {
    if let Some(mut ip) = MutableIpv4Packet::new(l3) {
        let sum = ipv4::checksum(&ip.to_immutable());
        ip.set_checksum(sum);
    }
}

/// Decrements TTL in place and fixes the header checksum. Returns the new
/// TTL (0 means it expired; a TTL already at 0 stays 0).
pub fn decrement_ttl(f: &mut [u8]) -> Option<u8> {
    ipv4_info(f)?;
    decrement_ttl_at(f, l3_offset(f)?)
}

/// [`decrement_ttl`] on a frame a device has viewed: the header's place comes from `view`,
/// whose TTL follows (no second parse).
pub fn decrement_ttl_viewed(f: &mut [u8], view: &mut View) -> Option<u8> {
    let ip = view.ip.as_mut()?;
    let ttl = decrement_ttl_at(f, usize::from(ip.l3))?;
    ip.ttl = ttl;
    Some(ttl)
}

fn decrement_ttl_at(f: &mut [u8], l3: usize) -> Option<u8> {
    let mut ip = MutableIpv4Packet::new(f.get_mut(l3..)?)?;
    let old = ip.get_ttl();
    let ttl = old.saturating_sub(1);
    if ttl != old {
        // TTL shares its 16-bit word with the protocol (RFC 1624 section 5's example).
        let proto = ip.get_next_level_protocol().0;
        let word = |t: u8| u16::from_be_bytes([t, proto]);
        ip.set_ttl(ttl);
        let sum = checksum::adjust(ip.get_checksum(), &[word(old)], &[word(ttl)]);
        ip.set_checksum(sum);
    }
    Some(ttl)
}

/// An option-less IPv4 packet around `l4`, checksum filled in.
pub(crate) fn ipv4_bytes(h: &Ipv4Head, l4: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; IPV4_MIN + l4.len()];
    write_ipv4(&mut b, h, |d| d.copy_from_slice(l4));
    b
}

/// Writes an option-less IPv4 packet into `b` (zeroed, its exact length): the header, the
/// L4 bytes `fill` writes after it, and the header checksum.
fn write_ipv4(b: &mut [u8], h: &Ipv4Head, fill: impl FnOnce(&mut [u8])) {
    let l4_len = b.len() - IPV4_MIN;
    let Some((head, l4)) = b.split_first_chunk_mut::<IPV4_MIN>() else {
        return;
    };
    fill(l4);
    write_ipv4_header(head, h, l4_len);
}

/// Writes the option-less header (zeroed) of an IPv4 packet carrying `l4_len` bytes, its
/// checksum included: through pnet's view over a fixed-size array, whose bounds the
/// compiler knows (issue 13: a frame's headers are built in place, then copied whole).
pub(crate) fn write_ipv4_header(head: &mut [u8; IPV4_MIN], h: &Ipv4Head, l4_len: usize) {
    if let Some(mut ip) = MutableIpv4Packet::new(head) {
        ip.set_version(4);
        ip.set_header_length(5);
        ip.set_total_length((IPV4_MIN + l4_len).min(u16::MAX as usize) as u16);
        ip.set_identification(h.ident);
        let df = if h.dont_fragment {
            Ipv4Flags::DontFragment
        } else {
            0
        };
        let mf = if h.more_fragments {
            Ipv4Flags::MoreFragments
        } else {
            0
        };
        ip.set_flags(df | mf);
        // The buffer starts zeroed: only a fragment has an offset to write.
        if h.frag_offset != 0 {
            ip.set_fragment_offset(h.frag_offset & 0x1fff);
        }
        ip.set_ttl(h.ttl);
        ip.set_next_level_protocol(IpNextHeaderProtocol(h.proto));
        ip.set_source(h.src);
        ip.set_destination(h.dst);
    }
    set_header_checksum(head);
}

thread_local! {
    /// The shape (`shape_key`) of the last header `set_header_checksum` summed, and the
    /// checksum of that header with its identifier and addresses zero, computed whole by pnet.
    static SHAPE_SUM: Cell<Option<(u64, u16)>> = const { Cell::new(None) };
}

/// What an option-less header's checksum depends on besides its identifier and addresses:
/// the version, header length and DSCP/ECN, the total length, the flags and the fragment
/// offset, the TTL and the protocol.
fn shape_key(header: &[u8; IPV4_MIN]) -> u64 {
    let [v, tos, l0, l1, _, _, f0, f1, ttl, proto, ..] = *header;
    u64::from_be_bytes([v, tos, l0, l1, f0, f1, ttl, proto])
}

/// Fills in the checksum of the option-less IPv4 header `b`. Frames a stack
/// sends differ from one another mostly in their identifier and addresses: the checksum of
/// the header with those zero is kept for its shape (computed whole by pnet), and the five
/// words are added to it (an RFC 1624 update), which equals pnet's full sum (issue 13; see
/// the tests). A new shape pays for one full sum.
fn set_header_checksum(b: &mut [u8; IPV4_MIN]) {
    let header = &*b;
    let word = |i: usize| u16::from_be_bytes([header[i], header[i + 1]]);
    let varying = [word(4), word(12), word(14), word(16), word(18)];
    let key = shape_key(header);
    let shape_sum = match SHAPE_SUM.get() {
        Some((kept, sum)) if kept == key => sum,
        _ => {
            let mut shape = *header;
            shape[4..6].fill(0);
            shape[10..].fill(0);
            let sum = Ipv4Packet::new(&shape).map_or(0, |ip| ipv4::checksum(&ip));
            SHAPE_SUM.set(Some((key, sum)));
            sum
        }
    };
    let sum = checksum::adjust(shape_sum, &[0; 5], &varying);
    if let Some(mut ip) = MutableIpv4Packet::new(b) {
        ip.set_checksum(sum);
    }
}

/// An untagged Ethernet + IPv4 frame around `l4`.
pub(crate) fn ipv4_frame(h: &IpHeader, proto: u8, dont_fragment: bool, l4: &[u8]) -> Vec<u8> {
    ipv4_frame_with(h, proto, dont_fragment, l4.len(), |b| b.copy_from_slice(l4))
}

/// An untagged Ethernet + IPv4 frame whose `l4_len` L4 bytes `fill` writes in place: one
/// allocation, the frame's own.
pub(crate) fn ipv4_frame_with(
    h: &IpHeader,
    proto: u8,
    dont_fragment: bool,
    l4_len: usize,
    fill: impl FnOnce(&mut [u8]),
) -> Vec<u8> {
    let head = Ipv4Head::from_h(h, proto, dont_fragment);
    eth_frame_with(
        h.src_mac,
        h.dst_mac,
        None,
        ETHERTYPE_IPV4,
        IPV4_MIN + l4_len,
        |b| write_ipv4(b, &head, fill),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::push_vlan;
    use crate::wire::testutil::{assert_checksums_ok, hdr, strategies};

    #[test]
    fn info_reads_back() {
        let f = ipv4_frame(&hdr(), 47, true, &[1, 2, 3, 4]);
        let i = ipv4_info(&f).expect("ipv4");
        assert_eq!((i.src, i.dst), (hdr().src, hdr().dst));
        assert_eq!(
            (i.proto, i.ttl, i.total_len, i.header_len),
            (47, 128, 24, 20)
        );
        assert!(i.dont_fragment);
        assert_checksums_ok(&f);
        let (head, l4) = parse_ipv4(&f[14..]).expect("parse");
        assert_eq!((head.ident, l4), (hdr().ident, &[1u8, 2, 3, 4][..]));
    }

    #[test]
    fn decrement_ttl_keeps_checksum() {
        let mut f = ipv4_frame(&IpHeader { ttl: 2, ..hdr() }, 47, false, &[0; 8]);
        push_vlan(&mut f, 5);
        assert_eq!(decrement_ttl(&mut f), Some(1));
        assert_checksums_ok(&f);
        assert_eq!(decrement_ttl(&mut f), Some(0));
        assert_eq!(decrement_ttl(&mut f), Some(0));
        assert_checksums_ok(&f);
        assert_eq!(ipv4_info(&f).map(|i| i.ttl), Some(0));
    }

    #[test]
    fn viewed_decrement_equals_parsed_decrement() {
        for ttl in [0, 1, 2, 64, 255] {
            let mut f = ipv4_frame(&IpHeader { ttl, ..hdr() }, 17, false, &[3; 8]);
            push_vlan(&mut f, 9);
            let mut g = f.clone();
            let mut view = View::parse(&g).expect("a frame");
            assert_eq!(
                decrement_ttl_viewed(&mut g, &mut view),
                decrement_ttl(&mut f)
            );
            assert_eq!(g, f, "ttl {ttl}");
            assert_eq!(Some(view), View::parse(&g));
        }
    }

    /// The header checksum pnet computes over the whole header of `b`.
    fn full_sum(b: &[u8]) -> u16 {
        ipv4::checksum(&Ipv4Packet::new(b).expect("a header"))
    }

    fn head(src: Ipv4Addr, dst: Ipv4Addr, ttl: u8, ident: u16, proto: u8) -> Ipv4Head {
        Ipv4Head {
            src,
            dst,
            ttl,
            ident,
            dont_fragment: false,
            more_fragments: false,
            frag_offset: 0,
            proto,
        }
    }

    /// The kept sum of a header's shape serves only headers of that shape: after a header,
    /// one that differs from it in any one field the shape holds (or in the identifier and
    /// addresses, which are added to it) gets pnet's full sum, and so does the first again.
    #[test]
    fn a_kept_shape_sum_serves_only_its_shape() {
        let a = head(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
            128,
            7,
            17,
        );
        let variants = [
            Ipv4Head { ttl: 64, ..a },
            Ipv4Head { proto: 6, ..a },
            Ipv4Head {
                dont_fragment: true,
                ..a
            },
            Ipv4Head {
                more_fragments: true,
                ..a
            },
            Ipv4Head {
                frag_offset: 3,
                ..a
            },
            Ipv4Head { ident: 8, ..a },
            Ipv4Head {
                src: Ipv4Addr::new(10, 0, 1, 1),
                ..a
            },
            Ipv4Head {
                dst: Ipv4Addr::new(192, 168, 0, 2),
                ..a
            },
        ];
        for (i, b) in variants.iter().enumerate() {
            for (h, l4) in [
                (a, &[1u8; 8][..]),
                (*b, &[1; 8]),
                (a, &[1; 8]),
                (a, &[1; 9]),
            ] {
                let bytes = ipv4_bytes(&h, l4);
                assert_eq!(word(&bytes, 10), full_sum(&bytes), "variant {i}: {h:?}");
            }
        }
        // A header written into bytes that held another (DSCP set) is summed as it is.
        let mut bytes = ipv4_bytes(&a, &[2; 8]);
        bytes[1] = 0xb8;
        set_header_checksum(bytes.first_chunk_mut().expect("a header"));
        assert_eq!(word(&bytes, 10), full_sum(&bytes));
    }

    fn word(b: &[u8], i: usize) -> u16 {
        u16::from_be_bytes([b[i], b[i + 1]])
    }

    proptest::proptest! {
        /// Headers written one after another, of a few shapes and any addresses and
        /// identifiers, carry pnet's full checksum.
        #[test]
        fn every_written_header_carries_the_full_sum(
            heads in proptest::collection::vec(
                (
                    strategies::ip(),
                    strategies::ip(),
                    proptest::prop_oneof![proptest::strategy::Just(128u8), proptest::prelude::any::<u8>()],
                    proptest::prelude::any::<u16>(),
                    proptest::prop_oneof![proptest::strategy::Just(17u8), proptest::strategy::Just(1)],
                    0usize..3,
                ),
                1..12,
            ),
        ) {
            for (src, dst, ttl, ident, proto, extra) in heads {
                let bytes = ipv4_bytes(&head(src, dst, ttl, ident, proto), &vec![9; 8 + extra]);
                proptest::prop_assert_eq!(word(&bytes, 10), full_sum(&bytes));
            }
        }
    }

    #[test]
    fn rejects_bad_headers() {
        let f = ipv4_frame(&hdr(), 17, false, &[0; 8]);
        assert_eq!(ipv4_info(&f[..f.len() - 1]), None);
        let mut g = f.clone();
        g[14] = 0x45 + 0x10; // version 5
        assert_eq!(ipv4_info(&g), None);
        let mut g = f.clone();
        g[20] = 0x20; // more fragments
        fix_checksum(&mut g[14..]);
        assert!(ipv4_info(&g).is_some());
        assert_eq!(l4_span(&g), None);
        let mut g = f;
        g[22] ^= 1; // ttl changed without checksum fix
        assert!(matches!(
            parse_ipv4(&g[14..]),
            Err(WireError::Malformed { .. })
        ));
    }
}
