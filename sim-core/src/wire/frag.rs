//! IPv4 fragmentation (RFC 791 sections 2.3 and 3.2): splitting a packet to fit an MTU,
//! reading where a fragment belongs, and rebuilding the whole packet once every piece is in.
//!
//! Every header is written through `pnet_packet`'s IPv4 view: each fragment has its own total
//! length, fragment offset (in 8-byte units), More Fragments flag and a valid header checksum.
//! The transport checksum is not touched: it covers the whole datagram, which only the
//! receiver sees again. Which holes are still open is the receiving stack's business.

use super::ipv4::{fix_checksum, IPV4_MIN};
use super::{ipv4_info, l3_offset, ETHERTYPE_IPV4};
use pnet_packet::ipv4::{Ipv4Flags, Ipv4Packet, MutableIpv4Packet};
use std::net::Ipv4Addr;
use std::ops::Range;

/// Where a fragment belongs in its datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FragmentInfo {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub proto: u8,
    pub ident: u16,
    /// Where this fragment's data starts in the datagram's payload, in bytes.
    pub offset: usize,
    /// More Fragments: this is not the last piece.
    pub more: bool,
    /// The fragment's data, as offsets into the frame.
    pub data: Range<usize>,
    /// The end of the IPv4 header in the frame: the Ethernet and IPv4 headers are `..header_end`.
    pub header_end: usize,
}

/// The fragment fields of an IPv4 frame (tagged or not); `None` unless it is a fragment.
pub fn fragment_info(f: &[u8]) -> Option<FragmentInfo> {
    let info = ipv4_info(f)?;
    let l3 = l3_offset(f)?;
    let ip = Ipv4Packet::new(f.get(l3..)?)?;
    let more = ip.get_flags() & Ipv4Flags::MoreFragments != 0;
    let offset = usize::from(ip.get_fragment_offset()) * 8;
    if !more && offset == 0 {
        return None;
    }
    let header_end = l3 + info.header_len;
    Some(FragmentInfo {
        src: info.src,
        dst: info.dst,
        proto: info.proto,
        ident: ip.get_identification(),
        offset,
        more,
        data: header_end..l3 + usize::from(info.total_len),
        header_end,
    })
}

/// Splits the IPv4 packet in frame `f` into frames whose IP packets are at most `mtu` bytes:
/// every piece but the last carries a multiple of 8 data bytes and More Fragments, the last
/// keeps the original's flag (a fragment may be fragmented again). Each fragment repeats
/// the Ethernet header (and tag) and the IPv4 header. `None` when there is nothing to split
/// or it may not be split: not IPv4, no larger than `mtu`, Don't Fragment set, or an MTU
/// that cannot hold the header and 8 bytes of data.
pub fn fragment(f: &[u8], mtu: u16) -> Option<Vec<Vec<u8>>> {
    if super::ethertype(f)? != ETHERTYPE_IPV4 {
        return None;
    }
    let info = ipv4_info(f)?;
    let mtu = usize::from(mtu);
    if info.dont_fragment || usize::from(info.total_len) <= mtu {
        return None;
    }
    let l3 = l3_offset(f)?;
    let hl = info.header_len;
    let per_piece = mtu.checked_sub(hl)? & !7;
    if per_piece < 8 || hl < IPV4_MIN {
        return None;
    }
    let ip = Ipv4Packet::new(f.get(l3..)?)?;
    let base = usize::from(ip.get_fragment_offset());
    let last_more = ip.get_flags() & Ipv4Flags::MoreFragments != 0;
    let head = f.get(..l3 + hl)?;
    let data = f.get(l3 + hl..l3 + usize::from(info.total_len))?;
    let pieces = data.len().div_ceil(per_piece);
    let mut out = Vec::with_capacity(pieces);
    for (i, chunk) in data.chunks(per_piece).enumerate() {
        let more = i + 1 < pieces || last_more;
        let offset = base + i * per_piece / 8;
        out.push(with_header(head, chunk, offset, more)?);
    }
    Some(out)
}

/// The whole datagram from the headers of its first fragment and all its data, in order:
/// offset 0, no More Fragments, the full total length. `None` if it would exceed 65535 bytes.
pub fn reassemble(head: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    with_header(head, data, 0, false)
}

/// `head` (Ethernet and IPv4 headers) followed by `data`, with the IPv4 header's total
/// length, fragment offset (8-byte units), flags and checksum set for it.
fn with_header(head: &[u8], data: &[u8], offset: usize, more: bool) -> Option<Vec<u8>> {
    let l3 = l3_offset(head)?;
    let total = u16::try_from(head.len() - l3 + data.len()).ok()?;
    let offset = u16::try_from(offset).ok().filter(|o| *o < 1 << 13)?;
    let mut b = Vec::with_capacity(head.len() + data.len());
    b.extend_from_slice(head);
    b.extend_from_slice(data);
    let mut ip = MutableIpv4Packet::new(b.get_mut(l3..)?)?;
    ip.set_total_length(total);
    ip.set_flags(if more { Ipv4Flags::MoreFragments } else { 0 });
    ip.set_fragment_offset(offset);
    fix_checksum(b.get_mut(l3..)?);
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::testutil::hdr;
    use crate::wire::{icmp_echo, parse, push_vlan, tcp_frame, L4Repr, NetRepr, TcpFlags};
    use pnet_packet::ipv4;
    use proptest::prelude::*;

    fn header_ok(f: &[u8]) {
        let l3 = l3_offset(f).expect("l3");
        let ip = Ipv4Packet::new(&f[l3..]).expect("ipv4");
        assert_eq!(ipv4::checksum(&ip), ip.get_checksum(), "header checksum");
        assert_eq!(
            usize::from(ip.get_total_length()),
            f.len() - l3,
            "total length"
        );
    }

    #[test]
    fn a_full_size_echo_splits_in_two_for_mtu_1450() {
        // ping -l 1472: 1480 bytes of ICMP behind a 20-byte header.
        let f = icmp_echo(&hdr(), false, 7, 1, &[0xab; 1472]);
        let parts = fragment(&f, 1450).expect("fragments");
        assert_eq!(parts.len(), 2);
        for p in &parts {
            header_ok(p);
            assert!(p.len() - 14 <= 1450);
        }
        let (a, b) = (
            fragment_info(&parts[0]).unwrap(),
            fragment_info(&parts[1]).unwrap(),
        );
        assert_eq!((a.offset, a.more, a.data.len()), (0, true, 1424));
        assert_eq!((b.offset, b.more, b.data.len()), (1424, false, 56));
        assert_eq!((a.ident, b.ident), (hdr().ident, hdr().ident));
        let mut data = parts[0][a.data.clone()].to_vec();
        data.extend_from_slice(&parts[1][b.data.clone()]);
        assert_eq!(reassemble(&parts[0][..a.header_end], &data), Some(f));
    }

    #[test]
    fn fragments_parse_and_show_tcpdump_notation() {
        let f = icmp_echo(&hdr(), false, 7, 1, &[0; 1472]);
        let parts = fragment(&f, 1450).unwrap();
        let first = parse(&parts[0]).expect("a fragment parses");
        let NetRepr::Ipv4(r) = &first.net else {
            panic!("ipv4")
        };
        assert!(matches!(
            r.l4,
            L4Repr::Fragment {
                proto: 1,
                offset: 0,
                more: true,
                ..
            }
        ));
        assert_eq!(
            first.to_string(),
            "IP 172.16.0.5 > 8.8.8.8: icmp (frag 4660:1424@0+)"
        );
        assert_eq!(
            parse(&parts[1]).unwrap().to_string(),
            "IP 172.16.0.5 > 8.8.8.8: icmp (frag 4660:56@1424)"
        );
    }

    #[test]
    fn nothing_to_split_or_not_allowed() {
        let small = icmp_echo(&hdr(), false, 7, 1, &[0; 32]);
        assert_eq!(fragment(&small, 1500), None);
        // TCP is sent with Don't Fragment.
        let syn = tcp_frame(&hdr(), 1, 2, 3, 0, TcpFlags::SYN, 100);
        assert_eq!(fragment(&syn, 40), None);
        let big = icmp_echo(&hdr(), false, 7, 1, &[0; 100]);
        assert_eq!(fragment(&big, 27), None, "no room for 8 data bytes");
        assert_eq!(fragment(&[0; 10], 1500), None);
    }

    #[test]
    fn a_tagged_frame_keeps_its_tag_in_every_piece() {
        let mut f = icmp_echo(&hdr(), false, 7, 1, &[0; 100]);
        push_vlan(&mut f, 7);
        for p in fragment(&f, 68).unwrap() {
            assert_eq!(crate::wire::vlan_id(&p), Some(7));
            header_ok(&p);
        }
    }

    proptest! {
        #[test]
        fn pieces_fit_and_put_back_together(len in 0usize..4000, mtu in 28u16..1600, twice in 28u16..1600) {
            let f = icmp_echo(&hdr(), false, 7, 1, &vec![0x5a; len]);
            let Some(parts) = fragment(&f, mtu) else {
                prop_assert!(f.len() - 14 <= usize::from(mtu));
                return Ok(());
            };
            // Splitting a piece again is allowed (a router with a smaller MTU further on).
            let parts: Vec<Vec<u8>> = parts
                .into_iter()
                .flat_map(|p| fragment(&p, twice).unwrap_or_else(|| vec![p]))
                .collect();
            let mut data = Vec::new();
            let mut head = None;
            let mut pieces: Vec<(FragmentInfo, &Vec<u8>)> =
                parts.iter().map(|p| (fragment_info(p).unwrap(), p)).collect();
            pieces.sort_by_key(|(i, _)| i.offset);
            for (i, p) in &pieces {
                header_ok(p);
                prop_assert!(p.len() - 14 <= usize::from(mtu));
                prop_assert_eq!(i.offset, data.len());
                if i.offset == 0 {
                    head = Some(p[..i.header_end].to_vec());
                }
                data.extend_from_slice(&p[i.data.clone()]);
            }
            prop_assert!(!pieces[pieces.len() - 1].0.more);
            prop_assert!(pieces[..pieces.len() - 1].iter().all(|(i, _)| i.more));
            prop_assert_eq!(reassemble(&head.unwrap(), &data), Some(f));
        }
    }
}
