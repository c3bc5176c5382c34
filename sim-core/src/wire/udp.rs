//! UDP: the datagram builder (checksum over the IPv4 pseudo-header), the
//! hot-path accessors and the parser.

use super::ipv4::{ipv4_frame_with, l4_span};
use super::{malformed, need, IpHeader, WireError, IPPROTO_UDP};
use pnet_packet::udp::{self, MutableUdpPacket, UdpPacket};
use std::net::Ipv4Addr;

pub(crate) const UDP_HDR: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpInfo {
    pub sport: u16,
    pub dport: u16,
    /// From the start of the Ethernet frame.
    pub payload_offset: usize,
    pub payload_len: usize,
}

/// The value to store: a computed 0 is sent as 0xffff, since 0 means "none".
pub(crate) fn udp_checksum(p: &UdpPacket, src: Ipv4Addr, dst: Ipv4Addr) -> u16 {
    match udp::ipv4_checksum(p, &src, &dst) {
        0 => 0xffff,
        s => s,
    }
}

/// A UDP datagram; `with_checksum == false` leaves the checksum 0 (VXLAN).
pub(crate) fn udp_bytes(
    (src, dst): (Ipv4Addr, Ipv4Addr),
    sport: u16,
    dport: u16,
    payload: &[u8],
    with_checksum: bool,
) -> Vec<u8> {
    let mut b = vec![0u8; UDP_HDR + payload.len()];
    write_udp(&mut b, (src, dst), sport, dport, payload, with_checksum);
    b
}

/// Writes a UDP datagram into `b` (zeroed, exactly `UDP_HDR + payload.len()` bytes).
fn write_udp(
    b: &mut [u8],
    (src, dst): (Ipv4Addr, Ipv4Addr),
    sport: u16,
    dport: u16,
    payload: &[u8],
    with_checksum: bool,
) {
    if let Some(mut p) = MutableUdpPacket::new(b) {
        p.set_source(sport);
        p.set_destination(dport);
        p.set_length((UDP_HDR + payload.len()).min(u16::MAX as usize) as u16);
        p.set_payload(payload);
        if with_checksum {
            let sum = udp_checksum(&p.to_immutable(), src, dst);
            p.set_checksum(sum);
        }
    }
}

/// Parses a datagram (the L4 bytes): returns (sport, dport, payload). The
/// checksum is verified unless it is 0.
pub(crate) fn parse_udp(
    d: &[u8],
    src: Ipv4Addr,
    dst: Ipv4Addr,
) -> Result<(u16, u16, &[u8]), WireError> {
    need("udp", UDP_HDR, d.len())?;
    let Some(p) = UdpPacket::new(d) else {
        return malformed("udp", "header");
    };
    if p.get_length() as usize != d.len() {
        return malformed("udp", "length");
    }
    if p.get_checksum() != 0 && udp_checksum(&p, src, dst) != p.get_checksum() {
        return malformed("udp", "checksum");
    }
    Ok((
        p.get_source(),
        p.get_destination(),
        d.get(UDP_HDR..).unwrap_or_default(),
    ))
}

pub fn udp_info(f: &[u8]) -> Option<UdpInfo> {
    let (info, s, e) = l4_span(f)?;
    if info.proto != IPPROTO_UDP {
        return None;
    }
    let p = UdpPacket::new(f.get(s..e)?)?;
    let len = p.get_length() as usize;
    if len < UDP_HDR || len > e - s {
        return None;
    }
    Some(UdpInfo {
        sport: p.get_source(),
        dport: p.get_destination(),
        payload_offset: s + UDP_HDR,
        payload_len: len - UDP_HDR,
    })
}

pub fn udp_payload(f: &[u8]) -> Option<&[u8]> {
    let u = udp_info(f)?;
    f.get(u.payload_offset..u.payload_offset + u.payload_len)
}

pub fn udp_frame(h: &IpHeader, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    ipv4_frame_with(h, IPPROTO_UDP, false, UDP_HDR + payload.len(), |b| {
        write_udp(b, (h.src, h.dst), sport, dport, payload, true)
    })
}

/// The answer to a datagram whose UDP checksum field held `request_sum`: the same payload,
/// with the addresses and the ports swapped (`h` from the request's destination to its
/// source, `sport` the request's destination port). The checksum sums the pseudo-header,
/// the ports and the payload, and a one's complement sum does not depend on their order, so
/// the answer's checksum is the request's: it is copied, not summed again. A request sent
/// without one (0) gets a computed one, as a stack's answer would have.
pub fn udp_answer_frame(
    h: &IpHeader,
    sport: u16,
    dport: u16,
    payload: &[u8],
    request_sum: u16,
) -> Vec<u8> {
    ipv4_frame_with(h, IPPROTO_UDP, false, UDP_HDR + payload.len(), |b| {
        write_udp(b, (h.src, h.dst), sport, dport, payload, request_sum == 0);
        if request_sum != 0 {
            if let Some(mut p) = MutableUdpPacket::new(b) {
                p.set_checksum(request_sum);
            }
        }
    })
}

/// The checksum field of the UDP datagram whose payload starts at `payload_offset` in frame
/// `f` (`UdpInfo::payload_offset`).
pub fn udp_checksum_field(f: &[u8], payload_offset: usize) -> Option<u16> {
    let header = f.get(payload_offset.checked_sub(UDP_HDR)?..)?;
    UdpPacket::new(header).map(|p| p.get_checksum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::push_vlan;
    use crate::wire::testutil::{assert_checksums_ok, hdr};

    #[test]
    fn frame_reads_back() {
        let mut f = udp_frame(&hdr(), 49153, 5000, &[7; 32]);
        assert_checksums_ok(&f);
        let u = udp_info(&f).expect("udp");
        assert_eq!(
            u,
            UdpInfo {
                sport: 49153,
                dport: 5000,
                payload_offset: 42,
                payload_len: 32
            }
        );
        assert_eq!(udp_payload(&f), Some(&[7u8; 32][..]));
        push_vlan(&mut f, 3);
        assert_eq!(udp_info(&f).map(|u| u.payload_offset), Some(46));
        assert_eq!(udp_payload(&f), Some(&[7u8; 32][..]));
    }

    /// The answer's copied checksum is the one a full sum gives, for any addresses, ports
    /// and payload; a request without a checksum gets a computed one.
    #[test]
    fn an_answer_carries_the_sum_it_would_compute() {
        for payload in [&[][..], &[7], &[1, 2, 3], &[0xff; 33]] {
            let req = udp_frame(&hdr(), 49153, 7, payload);
            let sum = udp_checksum_field(&req, 42).expect("a checksum");
            let mut back = hdr();
            (back.src, back.dst) = (back.dst, back.src);
            let answer = udp_answer_frame(&back, 7, 49153, payload, sum);
            assert_checksums_ok(&answer);
            assert_eq!(answer, udp_frame(&back, 7, 49153, payload));
            assert_eq!(udp_answer_frame(&back, 7, 49153, payload, 0), answer);
        }
    }

    #[test]
    fn zero_sum_is_sent_as_ffff() {
        // Search a payload word that makes the computed sum 0.
        let found = (0..=u16::MAX).find_map(|w| {
            let f = udp_frame(&hdr(), 1, 2, &w.to_be_bytes());
            let d = &f[34..];
            let p = UdpPacket::new(d)?;
            (udp::ipv4_checksum(&p, &hdr().src, &hdr().dst) == 0).then_some(p.get_checksum())
        });
        assert_eq!(found, Some(0xffff));
    }

    #[test]
    fn parse_checks_length_and_sum() {
        let f = udp_frame(&hdr(), 1, 2, &[1, 2, 3]);
        let d = &f[34..];
        assert_eq!(
            parse_udp(d, hdr().src, hdr().dst),
            Ok((1, 2, &[1u8, 2, 3][..]))
        );
        assert!(parse_udp(d, Ipv4Addr::new(1, 2, 3, 4), hdr().dst).is_err());
        assert!(parse_udp(&d[..10], hdr().src, hdr().dst).is_err());
    }
}
