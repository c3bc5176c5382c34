//! ICMP: echo request/reply, destination unreachable and time exceeded
//! (builders, accessor and parser), plus quoting of the offending packet.

use super::ipv4::{ipv4_frame, l4_span};
use super::packet::L4Repr;
use super::{ipv4_info, l3_offset, malformed, need, IpHeader, WireError, IPPROTO_ICMP};
use pnet_packet::icmp::destination_unreachable::{
    DestinationUnreachablePacket, MutableDestinationUnreachablePacket,
};
use pnet_packet::icmp::echo_request::{EchoRequestPacket, MutableEchoRequestPacket};
use pnet_packet::icmp::time_exceeded::{MutableTimeExceededPacket, TimeExceededPacket};
use pnet_packet::icmp::{self, IcmpCode, IcmpPacket, IcmpType, MutableIcmpPacket};
use pnet_packet::Packet as _;

pub(crate) const ICMP_ECHO_REPLY: u8 = 0;
pub(crate) const ICMP_UNREACHABLE: u8 = 3;
pub(crate) const ICMP_ECHO_REQUEST: u8 = 8;
pub(crate) const ICMP_TIME_EXCEEDED: u8 = 11;
pub(crate) const ICMP_HDR: usize = 8;
/// Bytes of the offending packet's payload quoted after its IPv4 header.
const QUOTE_L4: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpInfo {
    pub icmp_type: u8,
    pub code: u8,
    /// Echo identifier; 0 for non-echo messages.
    pub id: u16,
    /// Echo sequence number; 0 for non-echo messages.
    pub seq: u16,
}

pub(crate) fn is_echo(icmp_type: u8) -> bool {
    icmp_type == ICMP_ECHO_REQUEST || icmp_type == ICMP_ECHO_REPLY
}

pub(crate) fn is_error(icmp_type: u8) -> bool {
    icmp_type == ICMP_UNREACHABLE || icmp_type == ICMP_TIME_EXCEEDED
}

/// The ICMP message bytes of an IPv4/ICMP frame (at least the 8-byte header).
pub(crate) fn icmp_span(f: &[u8]) -> Option<(usize, usize)> {
    let (info, s, e) = l4_span(f)?;
    (info.proto == IPPROTO_ICMP && e - s >= ICMP_HDR).then_some((s, e))
}

/// The ICMP type of an IPv4/ICMP frame.
pub(crate) fn icmp_type(f: &[u8]) -> Option<u8> {
    let (s, e) = icmp_span(f)?;
    IcmpPacket::new(f.get(s..e)?).map(|p| p.get_icmp_type().0)
}

pub fn icmp_info(f: &[u8]) -> Option<IcmpInfo> {
    let (s, e) = icmp_span(f)?;
    let p = EchoRequestPacket::new(f.get(s..e)?)?;
    let icmp_type = p.get_icmp_type().0;
    let echo = is_echo(icmp_type);
    Some(IcmpInfo {
        icmp_type,
        code: p.get_icmp_code().0,
        id: if echo { p.get_identifier() } else { 0 },
        seq: if echo { p.get_sequence_number() } else { 0 },
    })
}

/// Recomputes the checksum over the whole ICMP message `m`.
pub(crate) fn fix_checksum(m: &mut [u8]) {
    if let Some(mut p) = MutableIcmpPacket::new(m) {
        let sum = icmp::checksum(&p.to_immutable());
        p.set_checksum(sum);
    }
}

/// Echo request/reply message; the two share one layout, so one view serves.
pub(crate) fn echo_bytes(reply: bool, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; ICMP_HDR + payload.len()];
    if let Some(mut p) = MutableEchoRequestPacket::new(&mut b) {
        let t = if reply {
            ICMP_ECHO_REPLY
        } else {
            ICMP_ECHO_REQUEST
        };
        p.set_icmp_type(IcmpType(t));
        p.set_icmp_code(IcmpCode(0));
        p.set_identifier(id);
        p.set_sequence_number(seq);
        p.set_payload(payload);
    }
    fix_checksum(&mut b);
    b
}

pub(crate) fn unreachable_bytes(code: u8, mtu: u16, quoted: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; ICMP_HDR + quoted.len()];
    if let Some(mut p) = MutableDestinationUnreachablePacket::new(&mut b) {
        p.set_icmp_type(IcmpType(ICMP_UNREACHABLE));
        p.set_icmp_code(IcmpCode(code));
        p.set_next_hop_mtu(mtu);
        p.set_payload(quoted);
    }
    fix_checksum(&mut b);
    b
}

pub(crate) fn time_exceeded_bytes(code: u8, quoted: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; ICMP_HDR + quoted.len()];
    if let Some(mut p) = MutableTimeExceededPacket::new(&mut b) {
        p.set_icmp_type(IcmpType(ICMP_TIME_EXCEEDED));
        p.set_icmp_code(IcmpCode(code));
        p.set_payload(quoted);
    }
    fix_checksum(&mut b);
    b
}

/// Any other message: type, code, checksum, then `rest` verbatim.
pub(crate) fn other_bytes(icmp_type: u8, code: u8, rest: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 4 + rest.len()];
    if let Some(mut p) = MutableIcmpPacket::new(&mut b) {
        p.set_icmp_type(IcmpType(icmp_type));
        p.set_icmp_code(IcmpCode(code));
        p.set_payload(rest);
    }
    fix_checksum(&mut b);
    b
}

/// Parses an ICMP message (the L4 bytes), verifying its checksum.
pub(crate) fn parse_icmp(m: &[u8]) -> Result<L4Repr, WireError> {
    need("icmp", 4, m.len())?;
    let Some(p) = IcmpPacket::new(m) else {
        return malformed("icmp", "header");
    };
    if icmp::checksum(&p) != p.get_checksum() {
        return malformed("icmp", "checksum");
    }
    let (t, code) = (p.get_icmp_type().0, p.get_icmp_code().0);
    let fixed = is_error(t) || (is_echo(t) && code == 0);
    if fixed {
        need("icmp", ICMP_HDR, m.len())?;
    }
    Ok(match t {
        ICMP_UNREACHABLE => DestinationUnreachablePacket::new(m).map(|u| L4Repr::IcmpUnreachable {
            code,
            mtu: u.get_next_hop_mtu(),
            quoted: u.payload().to_vec(),
        }),
        ICMP_TIME_EXCEEDED => TimeExceededPacket::new(m).map(|x| L4Repr::IcmpTimeExceeded {
            code,
            quoted: x.payload().to_vec(),
        }),
        _ if fixed => EchoRequestPacket::new(m).map(|e| L4Repr::IcmpEcho {
            reply: t == ICMP_ECHO_REPLY,
            id: e.get_identifier(),
            seq: e.get_sequence_number(),
            payload: e.payload().to_vec(),
        }),
        _ => Some(L4Repr::IcmpOther {
            icmp_type: t,
            code,
            rest: p.payload().to_vec(),
        }),
    }
    .unwrap_or(L4Repr::IcmpOther {
        icmp_type: t,
        code,
        rest: p.payload().to_vec(),
    }))
}

/// The original IPv4 header plus the first 8 bytes of its payload. Falls back
/// to up to 28 raw L3 bytes when `original_frame` is not sane IPv4.
pub(crate) fn quote(original_frame: &[u8]) -> Vec<u8> {
    let Some(l3) = l3_offset(original_frame) else {
        return Vec::new();
    };
    let len = match ipv4_info(original_frame) {
        Some(i) => (i.header_len + QUOTE_L4).min(i.total_len as usize),
        None => 20 + QUOTE_L4,
    };
    let end = (l3 + len).min(original_frame.len());
    original_frame.get(l3..end).unwrap_or_default().to_vec()
}

pub fn icmp_echo(h: &IpHeader, reply: bool, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    ipv4_frame(h, IPPROTO_ICMP, false, &echo_bytes(reply, id, seq, payload))
}

/// ICMP destination unreachable (type 3) with `code` (0 net, 1 host, 3 port,
/// 4 frag-needed with `next_hop_mtu`, 13 admin-prohibited), quoting the
/// original IPv4 header and the first 8 bytes of its payload.
pub fn icmp_unreachable(
    h: &IpHeader,
    code: u8,
    next_hop_mtu: u16,
    original_frame: &[u8],
) -> Vec<u8> {
    let mtu = if code == 4 { next_hop_mtu } else { 0 };
    let m = unreachable_bytes(code, mtu, &quote(original_frame));
    ipv4_frame(h, IPPROTO_ICMP, false, &m)
}

/// ICMP time exceeded in transit (type 11 code 0), quoting like above.
pub fn icmp_time_exceeded(h: &IpHeader, original_frame: &[u8]) -> Vec<u8> {
    let m = time_exceeded_bytes(0, &quote(original_frame));
    ipv4_frame(h, IPPROTO_ICMP, false, &m)
}

/// ICMP fragment reassembly time exceeded (type 11 code 1, RFC 792), quoting the first
/// fragment (offset 0) of the datagram that was given up on.
pub fn icmp_reassembly_time_exceeded(h: &IpHeader, first_fragment: &[u8]) -> Vec<u8> {
    let m = time_exceeded_bytes(1, &quote(first_fragment));
    ipv4_frame(h, IPPROTO_ICMP, false, &m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::testutil::{assert_checksums_ok, hdr};
    use crate::wire::{udp_frame, IpHeader};
    use std::net::Ipv4Addr;

    #[test]
    fn echo_reads_back() {
        for reply in [false, true] {
            let f = icmp_echo(&hdr(), reply, 7, 9, &[0xab; 32]);
            assert_checksums_ok(&f);
            let i = icmp_info(&f).expect("icmp");
            let t = if reply { 0 } else { 8 };
            assert_eq!(
                i,
                IcmpInfo {
                    icmp_type: t,
                    code: 0,
                    id: 7,
                    seq: 9
                }
            );
            assert_eq!(ipv4_info(&f).map(|i| i.total_len), Some(20 + 40));
        }
    }

    #[test]
    fn unreachable_quotes_header_and_8_bytes() {
        let orig = udp_frame(&hdr(), 49154, 53, &[1; 30]);
        let router = IpHeader {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: hdr().src,
            ..hdr()
        };
        let f = icmp_unreachable(&router, 4, 1450, &orig);
        assert_checksums_ok(&f);
        let i = icmp_info(&f).expect("icmp");
        assert_eq!((i.icmp_type, i.code, i.id, i.seq), (3, 4, 0, 0));
        let m = &f[34..];
        assert_eq!(m.len(), 8 + 28);
        assert_eq!(
            DestinationUnreachablePacket::new(m).map(|u| u.get_next_hop_mtu()),
            Some(1450)
        );
        assert_eq!(&m[8..], &orig[14..42]);
        let f = icmp_unreachable(&router, 3, 1450, &orig);
        assert_eq!(
            DestinationUnreachablePacket::new(&f[34..]).map(|u| u.get_next_hop_mtu()),
            Some(0)
        );
    }

    #[test]
    fn time_exceeded_quotes() {
        let orig = icmp_echo(&hdr(), false, 1, 1, &[0; 56]);
        let f = icmp_time_exceeded(&hdr(), &orig);
        assert_checksums_ok(&f);
        assert_eq!(icmp_info(&f).map(|i| (i.icmp_type, i.code)), Some((11, 0)));
        assert_eq!(&f[42..], &orig[14..42]);
    }

    #[test]
    fn short_original_quotes_what_exists() {
        let orig = icmp_echo(&hdr(), false, 1, 1, &[]);
        assert_eq!(quote(&orig).len(), 28);
        assert_eq!(quote(&orig[..20]).len(), 6);
        assert!(quote(&[1, 2, 3]).is_empty());
    }
}
