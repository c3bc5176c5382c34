//! Ethernet II framing and the 802.1Q tag: MAC/ethertype accessors, tag
//! push/pop, and the frame builder every other layer wraps its bytes in.

use super::{MacAddr, ETHERTYPE_VLAN};
use pnet_packet::ethernet::{EtherType, EthernetPacket, MutableEthernetPacket};
use pnet_packet::vlan::{ClassesOfService, MutableVlanPacket, VlanPacket};
use pnet_packet::MutablePacket;

pub(crate) const ETH_LEN: usize = 14;
pub(crate) const VLAN_LEN: usize = 4;

pub fn eth_dst(f: &[u8]) -> Option<MacAddr> {
    EthernetPacket::new(f).map(|e| e.get_destination())
}

pub fn eth_src(f: &[u8]) -> Option<MacAddr> {
    EthernetPacket::new(f).map(|e| e.get_source())
}

/// No-op if the frame is shorter than an Ethernet header.
pub fn set_eth_dst(f: &mut [u8], mac: MacAddr) {
    if let Some(mut e) = MutableEthernetPacket::new(f) {
        e.set_destination(mac);
    }
}

/// No-op if the frame is shorter than an Ethernet header.
pub fn set_eth_src(f: &mut [u8], mac: MacAddr) {
    if let Some(mut e) = MutableEthernetPacket::new(f) {
        e.set_source(mac);
    }
}

/// The 802.1Q tag view, if the frame carries a complete one.
fn vlan_tag(f: &[u8]) -> Option<VlanPacket<'_>> {
    let e = EthernetPacket::new(f)?;
    if e.get_ethertype().0 != ETHERTYPE_VLAN {
        return None;
    }
    VlanPacket::new(f.get(ETH_LEN..)?)
}

/// `Some(vid)` if the frame carries an 802.1Q tag.
pub fn vlan_id(f: &[u8]) -> Option<u16> {
    vlan_tag(f).map(|v| v.get_vlan_identifier())
}

/// The ethertype after any VLAN tag.
pub fn ethertype(f: &[u8]) -> Option<u16> {
    let outer = EthernetPacket::new(f)?.get_ethertype().0;
    if outer != ETHERTYPE_VLAN {
        return Some(outer);
    }
    vlan_tag(f).map(|v| v.get_ethertype().0)
}

/// Offset of the L3 header: 14, or 18 when tagged.
pub fn l3_offset(f: &[u8]) -> Option<usize> {
    let outer = EthernetPacket::new(f)?.get_ethertype().0;
    if outer != ETHERTYPE_VLAN {
        return Some(ETH_LEN);
    }
    vlan_tag(f).map(|_| ETH_LEN + VLAN_LEN)
}

/// Inserts a tag after the MACs (TPID 0x8100, PCP 0). No-op on a runt.
pub fn push_vlan(f: &mut Vec<u8>, vid: u16) {
    let Some(inner) = EthernetPacket::new(f).map(|e| e.get_ethertype()) else {
        return;
    };
    // The old ethertype slides into the tag's ethertype slot; rewrite both.
    f.splice(ETH_LEN..ETH_LEN, [0u8; VLAN_LEN]);
    write_tag(f, vid, inner);
}

/// Writes TPID + tag at bytes 12..18 of a frame that is at least 18 long.
fn write_tag(f: &mut [u8], vid: u16, inner: EtherType) {
    if let Some(mut e) = MutableEthernetPacket::new(f) {
        e.set_ethertype(EtherType(ETHERTYPE_VLAN));
        if let Some(mut v) = MutableVlanPacket::new(e.payload_mut()) {
            v.set_priority_code_point(ClassesOfService::BE);
            v.set_drop_eligible_indicator(0);
            v.set_vlan_identifier(vid & 0x0fff);
            v.set_ethertype(inner);
        }
    }
}

/// Removes the tag if present and returns its vid.
pub fn pop_vlan(f: &mut Vec<u8>) -> Option<u16> {
    let (vid, inner) = vlan_tag(f).map(|v| (v.get_vlan_identifier(), v.get_ethertype()))?;
    MutableEthernetPacket::new(f)?.set_ethertype(inner);
    f.drain(ETH_LEN..ETH_LEN + VLAN_LEN);
    Some(vid)
}

/// Writes an untagged Ethernet header through pnet's view over a fixed-size array (whose
/// bounds the compiler knows, issue 13).
pub(crate) fn write_eth_header(
    head: &mut [u8; ETH_LEN],
    src: MacAddr,
    dst: MacAddr,
    ethertype: u16,
) {
    if let Some(mut e) = MutableEthernetPacket::new(head) {
        e.set_destination(dst);
        e.set_source(src);
        e.set_ethertype(EtherType(ethertype));
    }
}

/// Builds `dst, src, [tag,] ethertype, payload`.
pub(crate) fn eth_frame(
    src: MacAddr,
    dst: MacAddr,
    vlan: Option<u16>,
    ethertype: u16,
    payload: &[u8],
) -> Vec<u8> {
    eth_frame_with(src, dst, vlan, ethertype, payload.len(), |b| {
        b.copy_from_slice(payload)
    })
}

/// An Ethernet frame whose `len` payload bytes `fill` writes in place (they start zeroed):
/// a builder's one allocation.
pub(crate) fn eth_frame_with(
    src: MacAddr,
    dst: MacAddr,
    vlan: Option<u16>,
    ethertype: u16,
    len: usize,
    fill: impl FnOnce(&mut [u8]),
) -> Vec<u8> {
    let tag_len = if vlan.is_some() { VLAN_LEN } else { 0 };
    let mut f = super::buffers::zeroed(ETH_LEN + tag_len + len);
    if let Some(head) = f.first_chunk_mut() {
        write_eth_header(head, src, dst, ethertype);
    }
    if let Some(vid) = vlan {
        write_tag(&mut f, vid, EtherType(ethertype));
    }
    fill(&mut f[ETH_LEN + tag_len..]);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 1);
    const B: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 2);

    #[test]
    fn accessors_read_back() {
        let mut f = eth_frame(A, B, None, 0x0800, &[1, 2, 3]);
        assert_eq!(eth_src(&f), Some(A));
        assert_eq!(eth_dst(&f), Some(B));
        assert_eq!(ethertype(&f), Some(0x0800));
        assert_eq!(l3_offset(&f), Some(14));
        assert_eq!(vlan_id(&f), None);
        set_eth_dst(&mut f, A);
        set_eth_src(&mut f, B);
        assert_eq!((eth_dst(&f), eth_src(&f)), (Some(A), Some(B)));
    }

    #[test]
    fn push_pop_round_trip() {
        let orig = eth_frame(A, B, None, 0x0806, &[9; 28]);
        let mut f = orig.clone();
        push_vlan(&mut f, 7);
        assert_eq!(f.len(), orig.len() + 4);
        assert_eq!(f[12..16], [0x81, 0x00, 0x00, 0x07]);
        assert_eq!(vlan_id(&f), Some(7));
        assert_eq!(ethertype(&f), Some(0x0806));
        assert_eq!(l3_offset(&f), Some(18));
        assert_eq!(f, eth_frame(A, B, Some(7), 0x0806, &[9; 28]));
        assert_eq!(pop_vlan(&mut f), Some(7));
        assert_eq!(f, orig);
        assert_eq!(pop_vlan(&mut f), None);
    }

    #[test]
    fn runts_are_harmless() {
        let mut short = vec![0u8; 10];
        set_eth_dst(&mut short, A);
        push_vlan(&mut short, 3);
        assert_eq!(short, vec![0u8; 10]);
        let mut tagged_runt = eth_frame(A, B, None, ETHERTYPE_VLAN, &[0, 1]);
        assert_eq!(vlan_id(&tagged_runt), None);
        assert_eq!(ethertype(&tagged_runt), None);
        assert_eq!(l3_offset(&tagged_runt), None);
        assert_eq!(pop_vlan(&mut tagged_runt), None);
    }
}
