//! The Internet checksum (RFC 1071) over byte slices, for the hot paths: IPv4 header and UDP
//! checksums, computed and verified. Gives exactly pnet's results (tests compare them), but
//! sums whole words without a per-word skip test, so the compiler can vectorize the loop.

use std::net::Ipv4Addr;

/// The sum of `data` as big-endian 16-bit words (an odd last byte is the high byte of a
/// word), unfolded.
pub(crate) fn word_sum(data: &[u8]) -> u64 {
    let mut words = data.chunks_exact(2);
    let mut sum: u64 = words
        .by_ref()
        .map(|w| u64::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    if let [last] = words.remainder() {
        sum += u64::from(*last) << 8;
    }
    sum
}

/// Folds a sum into 16 bits and complements it: the checksum to store.
pub(crate) fn finish(mut sum: u64) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The header checksum of the IPv4 header at the start of `l3` (its checksum field, bytes
/// 10 and 11, skipped), over the header length the header gives, kept within 20 bytes and
/// `l3`'s length as pnet does.
pub(crate) fn ipv4_header(l3: &[u8]) -> u16 {
    let hl = l3
        .first()
        .map_or(0, |b| usize::from(b & 0x0f) * 4)
        .clamp(20.min(l3.len()), l3.len());
    let h = &l3[..hl];
    finish(word_sum(h.get(..10).unwrap_or(h)) + word_sum(h.get(12..).unwrap_or_default()))
}

/// The checksum of the transport segment `l4` (protocol `proto`) with the IPv4
/// pseudo-header, its own checksum field (the 16-bit word at `field`) skipped.
pub(crate) fn pseudo(l4: &[u8], field: usize, src: Ipv4Addr, dst: Ipv4Addr, proto: u8) -> u16 {
    let head =
        word_sum(&src.octets()) + word_sum(&dst.octets()) + u64::from(proto) + l4.len() as u64;
    let body = match (l4.get(..field), l4.get(field + 2..)) {
        (Some(a), Some(b)) => word_sum(a) + word_sum(b),
        _ => word_sum(l4),
    };
    finish(head + body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pnet_packet::ipv4::{self, Ipv4Packet};
    use pnet_packet::udp::{self, UdpPacket};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_pnet(
            bytes in proptest::collection::vec(any::<u8>(), 20..120),
            ihl in 0u8..16,
            (s, d) in any::<(u32, u32)>(),
        ) {
            let mut l3 = bytes.clone();
            l3[0] = 0x40 | ihl;
            let ip = Ipv4Packet::new(&l3).expect("20 bytes at least");
            prop_assert_eq!(ipv4_header(&l3), ipv4::checksum(&ip));
            let (src, dst) = (Ipv4Addr::from(s), Ipv4Addr::from(d));
            let u = UdpPacket::new(&bytes[..bytes.len().max(8)]).expect("8 bytes at least");
            prop_assert_eq!(pseudo(&bytes, 6, src, dst, 17), udp::ipv4_checksum(&u, &src, &dst));
            // Odd lengths too.
            let odd = &bytes[..bytes.len() - 1 + bytes.len() % 2];
            let u = UdpPacket::new(odd).expect("8 bytes at least");
            prop_assert_eq!(pseudo(odd, 6, src, dst, 17), udp::ipv4_checksum(&u, &src, &dst));
        }
    }
}
