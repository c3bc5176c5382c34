//! UDP: the datagram builder (checksum over the IPv4 pseudo-header), the
//! hot-path accessors and the parser.

use super::buffers;
use super::checksum;
use super::ethernet::{write_eth_header, ETH_LEN};
use super::ipv4::{ipv4_frame_with, l4_span, write_ipv4_header, Ipv4Head, IPV4_MIN};
use super::{malformed, need, IpHeader, WireError, ETHERTYPE_IPV4, IPPROTO_UDP};
use pnet_packet::ipv4::{Ipv4Packet, MutableIpv4Packet};
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

/// The UDP checksum of a datagram from port `sport` to `dst:dport` carrying `payload`, as if
/// sent from 0.0.0.0 (computed whole by pnet): a sender whose datagrams differ only in their
/// source address keeps it and adds the address to it ([`UdpHeaders::frame_from_sum`]).
pub fn udp_sum_without_source(dst: Ipv4Addr, sport: u16, dport: u16, payload: &[u8]) -> u16 {
    let d = udp_bytes((Ipv4Addr::UNSPECIFIED, dst), sport, dport, payload, true);
    UdpPacket::new(&d).map_or(0, |p| p.get_checksum())
}

/// The UDP checksum of a datagram sent from `h.src`, given its checksum without the source
/// address ([`udp_sum_without_source`]): the address's two words added (RFC 1624).
fn sum_with_source(h: &IpHeader, sum_without_source: u16) -> u16 {
    checksum::adjust_udp(sum_without_source, &[0, 0], &checksum::addr_words(h.src))
}

/// A UDP frame whose checksum field holds `sum` (0: computed here). With the sum known,
/// the headers are written in fixed-size arrays (`udp_headers`) and copied with the
/// payload into a spare buffer: no zeros written first (issue 13); the bytes are those
/// `udp_frame` builds (the tests compare them).
fn udp_frame_summed(h: &IpHeader, sport: u16, dport: u16, payload: &[u8], sum: u16) -> Vec<u8> {
    if sum == 0 {
        return udp_frame(h, sport, dport, payload);
    }
    let headers = udp_headers(h, sport, dport, payload.len(), sum);
    let mut f = buffers::empty(HEADERS + payload.len());
    f.extend_from_slice(&headers);
    f.extend_from_slice(payload);
    f
}

/// The Ethernet, IPv4 and UDP headers of a frame, in a row.
const HEADERS: usize = ETH_LEN + IPV4_MIN + UDP_HDR;

/// The headers of the last UDP frame one sender built with a known checksum, kept to build
/// its next: a sender (an echo client, the echo service answering it) sends frames whose
/// headers differ only in the IPv4 identifier, so the next frame's headers are the kept
/// ones with the identifier written through pnet's view and the header checksum updated
/// for it (RFC 1624), not written field by field and summed again (issue 13). Every input
/// of the IPv4 and UDP headers but the identifier is the key: any other change builds the
/// headers anew. The Ethernet header is written at every frame (its addresses in the key
/// would not leave the key and headers one cache line).
///
/// Inline, in one cache line (`align(64)`, 59 bytes): kept behind a pointer, the headers
/// were an allocation of their own, two or three more lines that each frame of a sender
/// read (issue 13: at a thousand stacks, every line a visit reads is a cache miss).
#[derive(Clone, Debug)]
#[repr(C, align(64))]
pub struct UdpHeaders {
    /// The destination address in the high half, the source in the low.
    addrs: u64,
    /// The source port, destination port, payload length and UDP checksum field, 16 bits
    /// each from the high end; 0 while nothing is kept (a kept checksum is never 0).
    ports_len_sum: u64,
    ttl: u8,
    headers: [u8; HEADERS],
}

impl Default for UdpHeaders {
    fn default() -> Self {
        UdpHeaders {
            addrs: 0,
            ports_len_sum: 0,
            ttl: 0,
            headers: [0; HEADERS],
        }
    }
}

impl UdpHeaders {
    /// [`udp_frame`] for a datagram whose checksum without its source address,
    /// `sum_without_source`, [`udp_sum_without_source`] gave (for the same destination
    /// address, ports and payload): the source address's two words are added to it (RFC
    /// 1624), not the payload summed again (issue 13: an echo client sends the same datagram
    /// again and again); from the kept headers when only the identifier changed.
    pub fn frame_from_sum(
        &mut self,
        h: &IpHeader,
        sport: u16,
        dport: u16,
        payload: &[u8],
        sum_without_source: u16,
    ) -> Vec<u8> {
        self.frame(
            h,
            sport,
            dport,
            payload,
            sum_with_source(h, sum_without_source),
        )
    }

    /// [`udp_answer_frame`], from the kept headers when only the identifier changed.
    pub fn answer_frame(
        &mut self,
        h: &IpHeader,
        sport: u16,
        dport: u16,
        payload: &[u8],
        request_sum: u16,
    ) -> Vec<u8> {
        self.frame(h, sport, dport, payload, request_sum)
    }

    /// [`UdpHeaders::answer_frame`] written over the request itself, `request`, whose
    /// payload is at `payload` in it: when that payload follows the three headers right away
    /// (untagged Ethernet, IPv4 without options), the answer carries it at the same place,
    /// so the kept headers are copied over the request's and anything after the payload is
    /// cut off: no buffer taken, no payload copied, and none given back (issue 13). Any
    /// other request is answered by `answer_frame`.
    pub fn answer_in_place(
        &mut self,
        h: &IpHeader,
        sport: u16,
        dport: u16,
        mut request: Vec<u8>,
        payload: std::ops::Range<usize>,
        request_sum: u16,
    ) -> Vec<u8> {
        if payload.start == HEADERS && payload.end <= request.len() {
            if let Some(kept) = self.kept(h, sport, dport, payload.len(), request_sum) {
                request.truncate(payload.end);
                request[..HEADERS].copy_from_slice(kept);
                if let Some(headers) = request.first_chunk_mut::<HEADERS>() {
                    self.finish(h, headers);
                }
                return request;
            }
        }
        let bytes = request.get(payload).unwrap_or_default();
        self.answer_frame(h, sport, dport, bytes, request_sum)
    }

    /// [`udp_frame_summed`] through the kept headers. Always inlined: the echo client's
    /// payload is a constant array, whose length then makes the copy a few moves, not a
    /// call of `memcpy` (issue 13).
    #[inline(always)]
    fn frame(&mut self, h: &IpHeader, sport: u16, dport: u16, payload: &[u8], sum: u16) -> Vec<u8> {
        let Some(kept) = self.kept(h, sport, dport, payload.len(), sum) else {
            return udp_frame_summed(h, sport, dport, payload, sum);
        };
        let mut f = buffers::empty(HEADERS + payload.len());
        f.extend_from_slice(kept);
        f.extend_from_slice(payload);
        if let Some(headers) = f.first_chunk_mut::<HEADERS>() {
            self.finish(h, headers);
        }
        f
    }

    /// The kept headers for a frame whose checksum field holds `sum` and whose payload is
    /// `payload_len` bytes, built anew and kept when any input but the identifier changed.
    /// The caller copies them into its frame and writes the identifier and the Ethernet
    /// header into that copy ([`UdpHeaders::finish`]): written into the kept headers first,
    /// those narrow stores were read back at once by the copy's 16-byte loads, which then
    /// waited for them to reach the cache (a store-forwarding stall at every frame; issue
    /// 13). `None` when they are not kept: a sum of 0 (computed with the payload) or a
    /// payload too long for the key's 16 bits (which cannot be a datagram's anyway).
    #[inline]
    fn kept(
        &mut self,
        h: &IpHeader,
        sport: u16,
        dport: u16,
        payload_len: usize,
        sum: u16,
    ) -> Option<&[u8; HEADERS]> {
        if sum == 0 {
            return None;
        }
        let len = u16::try_from(payload_len).ok()?;
        // The destination in the high half: with the source there, LLVM read both addresses
        // as one eight-byte load, across the two four-byte stores that had just written `h`
        // (a store-forwarding stall at every frame; issue 13).
        let addrs = u64::from(h.dst.to_bits()) << 32 | u64::from(h.src.to_bits());
        let ports_len_sum =
            u64::from(sport) << 48 | u64::from(dport) << 32 | u64::from(len) << 16 | u64::from(sum);
        if self.addrs != addrs || self.ports_len_sum != ports_len_sum || self.ttl != h.ttl {
            self.rebuild(h, (sport, dport, payload_len, sum), (addrs, ports_len_sum));
        }
        Some(&self.headers)
    }

    /// Finishes `headers`, a copy of the kept ones ([`UdpHeaders::kept`]), for `h`: its
    /// identifier (and the header checksum updated for it, from the kept headers') and its
    /// Ethernet header. The kept headers are not written: they keep the identifier they were
    /// built with, from which every frame's checksum is updated (one word changes), and
    /// their Ethernet header is not kept up to date (every frame writes its own).
    #[inline]
    fn finish(&self, h: &IpHeader, headers: &mut [u8; HEADERS]) {
        if let Some(sum) = sum_for_ident(&self.headers, h.ident) {
            write_ident(headers, h.ident, sum);
        }
        if let Some(eth) = headers.first_chunk_mut::<ETH_LEN>() {
            write_eth_header(eth, h.src_mac, h.dst_mac, ETHERTYPE_IPV4);
        }
    }

    /// Builds the headers anew and keeps them with their key. Out of line: a sender repeats
    /// its headers nearly always, and inlined, this made every kept frame save and restore
    /// registers (issue 13).
    #[cold]
    #[inline(never)]
    fn rebuild(
        &mut self,
        h: &IpHeader,
        (sport, dport, payload_len, sum): (u16, u16, usize, u16),
        (addrs, ports_len_sum): (u64, u64),
    ) {
        self.headers = udp_headers(h, sport, dport, payload_len, sum);
        (self.addrs, self.ports_len_sum, self.ttl) = (addrs, ports_len_sum, h.ttl);
    }
}

/// The IPv4 header checksum of `headers` once its identifier is `ident`, updated for the one
/// word that changes (RFC 1624: what pnet's full sum gives, `checksum`'s tests); `None` when
/// the identifier is `ident` already.
fn sum_for_ident(headers: &[u8; HEADERS], ident: u16) -> Option<u16> {
    let ip = Ipv4Packet::new(headers.get(ETH_LEN..ETH_LEN + IPV4_MIN)?)?;
    let old = ip.get_identification();
    (old != ident).then(|| checksum::adjust(ip.get_checksum(), &[old], &[ident]))
}

/// Writes `ident` and the header checksum `sum` into the IPv4 header of `headers`.
fn write_ident(headers: &mut [u8; HEADERS], ident: u16, sum: u16) {
    let Ok(ip) = <&mut [u8; IPV4_MIN]>::try_from(&mut headers[ETH_LEN..ETH_LEN + IPV4_MIN]) else {
        return;
    };
    if let Some(mut ip) = MutableIpv4Packet::new(ip) {
        ip.set_identification(ident);
        ip.set_checksum(sum);
    }
}

/// The three headers of a UDP frame whose checksum field holds `sum` and whose payload is
/// `payload_len` bytes, each written through pnet's view over a fixed-size array.
fn udp_headers(
    h: &IpHeader,
    sport: u16,
    dport: u16,
    payload_len: usize,
    sum: u16,
) -> [u8; HEADERS] {
    let l4_len = UDP_HDR + payload_len;
    let mut eth = [0u8; ETH_LEN];
    write_eth_header(&mut eth, h.src_mac, h.dst_mac, ETHERTYPE_IPV4);
    let mut ip = [0u8; IPV4_MIN];
    write_ipv4_header(&mut ip, &Ipv4Head::from_h(h, IPPROTO_UDP, false), l4_len);
    let mut udp = [0u8; UDP_HDR];
    if let Some(mut p) = MutableUdpPacket::new(&mut udp) {
        p.set_source(sport);
        p.set_destination(dport);
        p.set_length(l4_len.min(u16::MAX as usize) as u16);
        p.set_checksum(sum);
    }
    let mut headers = [0u8; HEADERS];
    headers[..ETH_LEN].copy_from_slice(&eth);
    headers[ETH_LEN..ETH_LEN + IPV4_MIN].copy_from_slice(&ip);
    headers[ETH_LEN + IPV4_MIN..].copy_from_slice(&udp);
    headers
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
    udp_frame_summed(h, sport, dport, payload, request_sum)
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
    use crate::wire::testutil::{assert_checksums_ok, hdr, strategies};
    use crate::wire::{push_vlan, MacAddr};

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

    /// The kept headers and their key fill one cache line, the sender's own (issue 13).
    #[test]
    fn kept_headers_are_one_cache_line() {
        assert_eq!(std::mem::size_of::<UdpHeaders>(), 64);
        assert_eq!(std::mem::align_of::<UdpHeaders>(), 64);
    }

    /// Frames built through kept headers are the frames `udp_frame` builds: for a run of
    /// identifiers (the corners included, and one repeated), and after a change of each
    /// input the headers depend on (every one of them is in the key: leave one out and the
    /// frame after its change carries the old value).
    #[test]
    fn kept_headers_give_the_whole_frame_whatever_changed() {
        let mut kept = UdpHeaders::default();
        let mut check = |h: &IpHeader, sport: u16, dport: u16, payload: &[u8]| {
            let whole = udp_frame(h, sport, dport, payload);
            assert_checksums_ok(&whole);
            let sum = udp_checksum_field(&whole, 42).expect("a checksum");
            assert_eq!(
                kept.answer_frame(h, sport, dport, payload, sum),
                whole,
                "{h:?}"
            );
            let without = udp_sum_without_source(h.dst, sport, dport, payload);
            let from_sum = kept.frame_from_sum(h, sport, dport, payload, without);
            assert_eq!(from_sum, whole, "{h:?}");
        };
        let h = hdr();
        for ident in [1, 2, 2, 0, 0xffff, 0x8000, 7] {
            check(&IpHeader { ident, ..h }, 1, 2, &[7; 32]);
        }
        let mac = MacAddr(2, 0, 0, 0, 0, 9);
        let changes = [
            IpHeader { src_mac: mac, ..h },
            IpHeader { dst_mac: mac, ..h },
            IpHeader {
                src: Ipv4Addr::new(10, 9, 9, 9),
                ..h
            },
            IpHeader {
                dst: Ipv4Addr::new(10, 8, 8, 8),
                ..h
            },
            IpHeader { ttl: 3, ..h },
        ];
        for (i, changed) in changes.iter().enumerate() {
            check(&h, 1, 2, &[7; 32]);
            check(
                &IpHeader {
                    ident: i as u16,
                    ..*changed
                },
                1,
                2,
                &[7; 32],
            );
        }
        check(&h, 1, 2, &[7; 32]);
        check(&h, 3, 2, &[7; 32]);
        check(&h, 3, 4, &[7; 32]);
        check(&h, 3, 4, &[7; 33]);
        // The same length, another payload: only the UDP checksum differs.
        check(&h, 3, 4, &[8; 33]);
    }

    /// An answer written over its request is the frame `udp_frame` builds: for requests
    /// with padding after the datagram (cut off), a tagged request (whose payload is
    /// elsewhere: built anew), a request without a checksum (summed), and repeated answers
    /// through the kept headers.
    #[test]
    fn an_answer_in_place_is_the_whole_frame() {
        let mut kept = UdpHeaders::default();
        let mut back = hdr();
        (back.src, back.dst) = (back.dst, back.src);
        for (payload, pad, tagged, ident) in [
            (&[7u8; 32][..], 0, false, 1),
            (&[7; 32], 0, false, 2),
            (&[7; 32], 6, false, 3),
            (&[], 0, false, 4),
            (&[1, 2, 3], 20, false, 5),
            (&[7; 32], 0, true, 6),
            (&[7; 32], 3, true, 7),
        ] {
            let mut request = udp_frame(&hdr(), 49153, 7, payload);
            let sum = udp_checksum_field(&request, 42).expect("a checksum");
            if tagged {
                push_vlan(&mut request, 3);
            }
            request.resize(request.len() + pad, 0xee);
            let u = udp_info(&request).expect("udp");
            let at = u.payload_offset..u.payload_offset + u.payload_len;
            let h = IpHeader { ident, ..back };
            let whole = udp_frame(&h, 7, 49153, payload);
            let answer = kept.answer_in_place(&h, 7, 49153, request.clone(), at.clone(), sum);
            assert_eq!(answer, whole, "{payload:?} pad {pad} tagged {tagged}");
            let unsummed = kept.answer_in_place(&h, 7, 49153, request, at, 0);
            assert_eq!(unsummed, whole, "without a checksum");
        }
    }

    /// A payload word that makes the UDP checksum of a datagram from `hdr()` 0 (sent as
    /// 0xffff).
    fn zero_summing_word() -> u16 {
        (0..=u16::MAX)
            .find(|w| {
                let f = udp_frame(&hdr(), 1, 2, &w.to_be_bytes());
                let p = UdpPacket::new(&f[34..]).expect("udp");
                udp::ipv4_checksum(&p, &hdr().src, &hdr().dst) == 0
            })
            .expect("a word reaches any sum")
    }

    /// A frame from a sum without its source is the frame `udp_frame` builds, for the
    /// corner sums too (the datagram whose sum is 0, sent as 0xffff, and sources of zeros and
    /// ones); a sum kept for one source serves every other.
    #[test]
    fn a_frame_from_a_sum_without_source_is_the_whole_frame() {
        let zero = zero_summing_word().to_be_bytes();
        let sources = [
            hdr().src,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::BROADCAST,
            Ipv4Addr::new(10, 0, 0, 1),
        ];
        for payload in [&[][..], &[7], &[0x5a; 32], &zero] {
            let kept = udp_sum_without_source(hdr().dst, 1, 2, payload);
            for src in sources {
                let h = IpHeader { src, ..hdr() };
                let whole = udp_frame(&h, 1, 2, payload);
                assert_checksums_ok(&whole);
                assert_eq!(
                    UdpHeaders::default().frame_from_sum(&h, 1, 2, payload, kept),
                    whole,
                    "{src}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_frame_from_a_sum_without_source_is_the_whole_frame(
            (src, dst) in (strategies::ip(), strategies::ip()),
            (sport, dport) in proptest::prelude::any::<(u16, u16)>(),
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
        ) {
            let h = IpHeader { src, dst, ..hdr() };
            let kept = udp_sum_without_source(dst, sport, dport, &payload);
            proptest::prop_assert_eq!(
                UdpHeaders::default().frame_from_sum(&h, sport, dport, &payload, kept),
                udp_frame(&h, sport, dport, &payload)
            );
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
