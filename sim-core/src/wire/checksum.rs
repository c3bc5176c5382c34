//! Incremental checksum updates (RFC 1624) for a device that rewrites a few fields of a frame
//! it did not build: a router's TTL decrement, NAT's address and port rewrites.
//!
//! A frame a stack builds gets its checksums computed whole by pnet_packet (`ipv4::checksum`,
//! `udp::ipv4_checksum` ...); a rewrite only adjusts the existing checksum by the 16-bit words
//! that changed, as kernels do (`csum_replace2`, `inet_proto_csum_replace4`). For a valid
//! checksum the result is bit for bit what pnet's full recomputation gives (the tests below
//! check it, corner cases included); a checksum that was wrong stays wrong, as on a real
//! router.

use std::net::Ipv4Addr;

/// RFC 1624 eqn. 3: `HC' = ~(~HC + ~m + m')`, one's complement sums over the 16-bit words
/// `old` that became `new`. Inlined: the callers' few words are known at compile time.
#[inline]
pub(crate) fn adjust(sum: u16, old: &[u16], new: &[u16]) -> u16 {
    let mut acc = u32::from(!sum);
    acc += old.iter().map(|w| u32::from(!w)).sum::<u32>();
    acc += new.iter().map(|w| u32::from(*w)).sum::<u32>();
    // Two folds end the carries of any 32-bit sum: the first leaves at most 0x1fffe, the
    // second at most 0xffff. Without the loop's test and branch at each (issue 13).
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    !(acc as u16)
}

/// [`adjust`] for a UDP checksum: 0 means the datagram carries none and stays 0; a computed
/// 0 is sent as 0xffff (RFC 768).
pub(crate) fn adjust_udp(sum: u16, old: &[u16], new: &[u16]) -> u16 {
    if sum == 0 {
        return 0;
    }
    match adjust(sum, old, new) {
        0 => 0xffff,
        s => s,
    }
}

/// An address as the two 16-bit words a checksum sums.
pub(crate) fn addr_words(ip: Ipv4Addr) -> [u16; 2] {
    let o = ip.octets();
    [
        u16::from_be_bytes([o[0], o[1]]),
        u16::from_be_bytes([o[2], o[3]]),
    ]
}

/// An address and a port: what a NAT rewrite changes in a TCP or UDP checksum (the address
/// through the pseudo-header).
pub(crate) fn addr_port_words(ip: Ipv4Addr, port: u16) -> [u16; 3] {
    let [a, b] = addr_words(ip);
    [a, b, port]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::testutil::strategies;
    use pnet_packet::ipv4::{self, Ipv4Packet, MutableIpv4Packet};
    use pnet_packet::udp::{self, MutableUdpPacket};
    use proptest::prelude::*;

    #[test]
    fn rfc_1624_example() {
        // RFC 1624 section 4: 0xdd2f with word 0x5555 becoming 0x3285 gives 0x0000 (eqn. 3;
        // eqn. 2 would give the 0xffff the RFC warns about).
        assert_eq!(adjust(0xdd2f, &[0x5555], &[0x3285]), 0x0000);
    }

    /// An IPv4 header with a valid checksum from pnet.
    fn header(bytes: [u8; 20]) -> [u8; 20] {
        let mut h = bytes;
        let mut p = MutableIpv4Packet::new(&mut h).expect("20 bytes");
        p.set_version(4);
        p.set_header_length(5);
        let sum = ipv4::checksum(&p.to_immutable());
        p.set_checksum(sum);
        h
    }

    fn word(h: &[u8], i: usize) -> u16 {
        u16::from_be_bytes([h[i], h[i + 1]])
    }

    /// A header whose pnet checksum is `target`: the identification field takes up the
    /// difference (one's complement sums let one word reach any total).
    fn header_with_checksum(bytes: [u8; 20], target: u16) -> [u8; 20] {
        let mut h = header(bytes);
        let now = word(&h, 10);
        // Changing the identification by d changes the checksum by -d (mod 0xffff).
        let ident = word(&h, 4);
        let d = (u32::from(now) + 0xffff - u32::from(target)) % 0xffff;
        let new_ident = ((u32::from(ident) + d) % 0xffff) as u16;
        h[4..6].copy_from_slice(&new_ident.to_be_bytes());
        let mut p = MutableIpv4Packet::new(&mut h).expect("20 bytes");
        let sum = ipv4::checksum(&p.to_immutable());
        p.set_checksum(sum);
        h
    }

    #[test]
    fn corner_checksums_reach_zero() {
        // pnet's sum of a header that is not all zeros is never 0xffff, so 0x0000 is the
        // corner a valid header can carry; the helper must reach it.
        let h = header_with_checksum([7; 20], 0x0000);
        assert_eq!(word(&h, 10), 0x0000);
        let h = header_with_checksum([7; 20], 0x0001);
        assert_eq!(word(&h, 10), 0x0001);
    }

    /// Rewrites the word at `at` of header `h` to `new`, adjusting the checksum, and
    /// compares with pnet's full recomputation.
    fn rewrite_matches_pnet(mut h: [u8; 20], at: usize, new: u16) -> Result<(), TestCaseError> {
        let old = word(&h, at);
        let sum = adjust(word(&h, 10), &[old], &[new]);
        h[at..at + 2].copy_from_slice(&new.to_be_bytes());
        h[10..12].copy_from_slice(&sum.to_be_bytes());
        let full = ipv4::checksum(&Ipv4Packet::new(&h).expect("20 bytes"));
        prop_assert_eq!(sum, full);
        Ok(())
    }

    proptest! {
        #[test]
        fn ipv4_rewrite_equals_full_recomputation(
            bytes in any::<[u8; 20]>(),
            // Any word but the checksum's own (10) and the version/length word (0).
            at in (1usize..10).prop_filter("checksum word", |i| *i != 5),
            new in any::<u16>(),
        ) {
            rewrite_matches_pnet(header(bytes), at * 2, new)?;
        }

        #[test]
        fn ipv4_rewrite_from_and_to_corner_checksums(
            bytes in any::<[u8; 20]>(),
            target in prop_oneof![Just(0x0000u16), Just(0x0001), Just(0xfffe), Just(0xffff)],
            at in prop_oneof![Just(4usize), Just(12), Just(16)],
            delta in prop_oneof![Just(0u16), Just(1), Just(0xfffe), Just(0xffff), any::<u16>()],
        ) {
            // A starting checksum at a corner, and rewrites that land on one.
            let h = header_with_checksum(bytes, target);
            let new = word(&h, at).wrapping_add(delta);
            rewrite_matches_pnet(h, at, new)?;
        }

        #[test]
        fn several_words_at_once(
            bytes in any::<[u8; 20]>(),
            src in strategies::ip(),
            ttl_proto in any::<u16>(),
        ) {
            let mut h = header(bytes);
            let old = [word(&h, 8), word(&h, 12), word(&h, 14)];
            let [a, b] = addr_words(src);
            let new = [ttl_proto, a, b];
            let sum = adjust(word(&h, 10), &old, &new);
            h[8..10].copy_from_slice(&ttl_proto.to_be_bytes());
            h[12..16].copy_from_slice(&src.octets());
            let full = ipv4::checksum(&Ipv4Packet::new(&h).expect("20 bytes"));
            prop_assert_eq!(sum, full);
        }

        #[test]
        fn udp_nat_equals_full_recomputation(
            (src, dst, new_ip) in (strategies::ip(), strategies::ip(), strategies::ip()),
            (sport, dport, new_port) in any::<(u16, u16, u16)>(),
            payload in proptest::collection::vec(any::<u8>(), 0..40),
            none in any::<bool>(),
        ) {
            let mut d = vec![0u8; 8 + payload.len()];
            let mut p = MutableUdpPacket::new(&mut d).expect("8 bytes");
            p.set_source(sport);
            p.set_destination(dport);
            p.set_length((8 + payload.len()) as u16);
            p.set_payload(&payload);
            let full = |p: &MutableUdpPacket, s: Ipv4Addr, d: Ipv4Addr| {
                match udp::ipv4_checksum(&p.to_immutable(), &s, &d) {
                    0 => 0xffff,
                    s => s,
                }
            };
            let sum = if none { 0 } else { full(&p, src, dst) };
            p.set_checksum(sum);
            // Source NAT: the pseudo-header's source and the source port change.
            let new_sum = adjust_udp(
                sum,
                &addr_port_words(src, sport),
                &addr_port_words(new_ip, new_port),
            );
            p.set_source(new_port);
            if none {
                prop_assert_eq!(new_sum, 0, "no checksum stays none");
            } else {
                prop_assert_eq!(new_sum, full(&p, new_ip, dst));
            }
        }
    }
}
