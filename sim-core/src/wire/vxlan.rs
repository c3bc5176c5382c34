//! VXLAN (RFC 7348): encapsulation of whole Ethernet frames in UDP/4789.

use super::ipv4::ipv4_frame;
use super::udp::udp_bytes;
use super::{udp_info, IpHeader, IPPROTO_UDP, VXLAN_PORT};
use pnet_packet::vxlan::{MutableVxlanPacket, VxlanPacket};

pub(crate) const VXLAN_HDR: usize = 8;
/// The "I" flag: the VNI is valid.
const FLAG_I: u8 = 0x08;
const VNI_MASK: u32 = 0x00ff_ffff;

/// The VXLAN header + inner frame (the UDP payload).
pub(crate) fn vxlan_bytes(vni: u32, inner: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; VXLAN_HDR + inner.len()];
    if let Some(mut p) = MutableVxlanPacket::new(&mut b) {
        p.set_flags(FLAG_I);
        p.set_vni(vni & VNI_MASK);
        p.set_payload(inner);
    }
    b
}

/// (vni, inner frame) if `payload` starts with a VXLAN header with I set.
pub(crate) fn parse_vxlan(payload: &[u8]) -> Option<(u32, &[u8])> {
    let p = VxlanPacket::new(payload)?;
    (p.get_flags() & FLAG_I != 0)
        .then(|| (p.get_vni(), payload.get(VXLAN_HDR..).unwrap_or_default()))
}

/// Wraps a whole inner Ethernet frame: outer Ethernet (h's MACs) + IPv4 (h's
/// addresses, DF set) + UDP (sport -> 4789, checksum 0 as RFC 7348 allows) +
/// VXLAN header (flags 0x08, vni).
pub fn vxlan_encap(h: &IpHeader, sport: u16, vni: u32, inner: &[u8]) -> Vec<u8> {
    let d = udp_bytes(
        (h.src, h.dst),
        sport,
        VXLAN_PORT,
        &vxlan_bytes(vni, inner),
        false,
    );
    ipv4_frame(h, IPPROTO_UDP, true, &d)
}

/// If `f` is a VXLAN frame (UDP dport 4789 with a valid VXLAN header), the VNI
/// and the inner frame bytes.
pub fn vxlan_decap(f: &[u8]) -> Option<(u32, &[u8])> {
    let u = udp_info(f)?;
    if u.dport != VXLAN_PORT {
        return None;
    }
    parse_vxlan(f.get(u.payload_offset..u.payload_offset + u.payload_len)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::testutil::{assert_checksums_ok, hdr};
    use crate::wire::{icmp_echo, ipv4_info, udp_frame, VXLAN_OVERHEAD};

    #[test]
    fn encap_decap_round_trip() {
        let inner = icmp_echo(&hdr(), false, 1, 1, &[0; 32]);
        let f = vxlan_encap(&hdr(), 50123, 4096, &inner);
        assert_eq!(f.len(), inner.len() + VXLAN_OVERHEAD);
        assert_checksums_ok(&f);
        assert_eq!(ipv4_info(&f).map(|i| i.dont_fragment), Some(true));
        assert_eq!(
            udp_info(&f).map(|u| (u.sport, u.dport)),
            Some((50123, 4789))
        );
        assert_eq!(f[40..42], [0, 0], "outer UDP checksum is 0");
        assert_eq!(vxlan_decap(&f), Some((4096, &inner[..])));
    }

    #[test]
    fn vni_is_24_bits_and_flag_required() {
        let f = vxlan_encap(&hdr(), 1, 0x0100_0001, &[]);
        assert_eq!(vxlan_decap(&f).map(|(v, _)| v), Some(1));
        let mut g = f.clone();
        g[42] = 0;
        assert_eq!(vxlan_decap(&g), None);
        assert_eq!(vxlan_decap(&udp_frame(&hdr(), 1, 4789, &[8, 0, 0])), None);
        assert_eq!(
            vxlan_decap(&udp_frame(&hdr(), 1, 4788, &vxlan_bytes(1, &[]))),
            None
        );
    }
}
