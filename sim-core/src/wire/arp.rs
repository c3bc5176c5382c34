//! ARP for IPv4 over Ethernet: request/reply builders and the accessor.

use super::ethernet::eth_frame;
use super::{ethertype, l3_offset, need, unsupported, MacAddr, WireError, ETHERTYPE_ARP};
use pnet_packet::arp::{ArpHardwareTypes, ArpOperations, ArpPacket, MutableArpPacket};
use pnet_packet::ethernet::EtherTypes;
use pnet_packet::Packet as _;
use std::net::Ipv4Addr;

pub(crate) const ARP_LEN: usize = 28;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArpOp {
    Request,
    Reply,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpInfo {
    pub op: ArpOp,
    pub sender_mac: MacAddr,
    pub sender_ip: Ipv4Addr,
    pub target_mac: MacAddr,
    pub target_ip: Ipv4Addr,
}

/// Parses an ARP body (the L3 bytes). Only Ethernet/IPv4 requests and replies.
pub(crate) fn parse_arp(l3: &[u8]) -> Result<ArpInfo, WireError> {
    need("arp", ARP_LEN, l3.len())?;
    let Some(a) = ArpPacket::new(l3) else {
        return Err(WireError::Truncated {
            layer: "arp",
            need: ARP_LEN,
            have: l3.len(),
        });
    };
    let ipv4_over_eth = a.get_hardware_type() == ArpHardwareTypes::Ethernet
        && a.get_protocol_type() == EtherTypes::Ipv4
        && a.get_hw_addr_len() == 6
        && a.get_proto_addr_len() == 4;
    if !ipv4_over_eth {
        return unsupported("arp", "address types");
    }
    let op = match a.get_operation() {
        ArpOperations::Request => ArpOp::Request,
        ArpOperations::Reply => ArpOp::Reply,
        _ => return unsupported("arp", "operation"),
    };
    Ok(ArpInfo {
        op,
        sender_mac: a.get_sender_hw_addr(),
        sender_ip: a.get_sender_proto_addr(),
        target_mac: a.get_target_hw_addr(),
        target_ip: a.get_target_proto_addr(),
    })
}

/// Rewrites the sender hardware address of an ARP packet in place (VFP's MAC rewrite keeps
/// the ARP body consistent with the Ethernet header). False if `f` is not ARP.
pub fn arp_set_sender_mac(f: &mut [u8], mac: MacAddr) -> bool {
    arp_body_mut(f, |a| a.set_sender_hw_addr(mac))
}

/// Rewrites the target hardware address of an ARP packet in place. False if `f` is not ARP.
pub fn arp_set_target_mac(f: &mut [u8], mac: MacAddr) -> bool {
    arp_body_mut(f, |a| a.set_target_hw_addr(mac))
}

fn arp_body_mut(f: &mut [u8], edit: impl FnOnce(&mut MutableArpPacket)) -> bool {
    if ethertype(f) != Some(ETHERTYPE_ARP) {
        return false;
    }
    let Some(off) = l3_offset(f) else {
        return false;
    };
    match f.get_mut(off..).and_then(MutableArpPacket::new) {
        Some(mut a) if a.packet().len() >= ARP_LEN => {
            edit(&mut a);
            true
        }
        _ => false,
    }
}

/// Whole Ethernet frame in (tagged or not).
pub fn arp_info(f: &[u8]) -> Option<ArpInfo> {
    if ethertype(f)? != ETHERTYPE_ARP {
        return None;
    }
    parse_arp(f.get(l3_offset(f)?..)?).ok()
}

/// The 28-byte ARP body for `a`.
pub(crate) fn arp_bytes(a: &ArpInfo) -> Vec<u8> {
    let mut b = vec![0u8; ARP_LEN];
    if let Some(mut p) = MutableArpPacket::new(&mut b) {
        p.set_hardware_type(ArpHardwareTypes::Ethernet);
        p.set_protocol_type(EtherTypes::Ipv4);
        p.set_hw_addr_len(6);
        p.set_proto_addr_len(4);
        p.set_operation(match a.op {
            ArpOp::Request => ArpOperations::Request,
            ArpOp::Reply => ArpOperations::Reply,
        });
        p.set_sender_hw_addr(a.sender_mac);
        p.set_sender_proto_addr(a.sender_ip);
        p.set_target_hw_addr(a.target_mac);
        p.set_target_proto_addr(a.target_ip);
    }
    b
}

/// Broadcast who-has `target_ip`; the target MAC is all zeros.
pub fn arp_request(src_mac: MacAddr, src_ip: Ipv4Addr, target_ip: Ipv4Addr) -> Vec<u8> {
    let a = ArpInfo {
        op: ArpOp::Request,
        sender_mac: src_mac,
        sender_ip: src_ip,
        target_mac: MacAddr::zero(),
        target_ip,
    };
    eth_frame(
        src_mac,
        MacAddr::broadcast(),
        None,
        ETHERTYPE_ARP,
        &arp_bytes(&a),
    )
}

/// Unicast "`src_ip` is-at `src_mac`" to the asker.
pub fn arp_reply(
    src_mac: MacAddr,
    src_ip: Ipv4Addr,
    dst_mac: MacAddr,
    dst_ip: Ipv4Addr,
) -> Vec<u8> {
    let a = ArpInfo {
        op: ArpOp::Reply,
        sender_mac: src_mac,
        sender_ip: src_ip,
        target_mac: dst_mac,
        target_ip: dst_ip,
    };
    eth_frame(src_mac, dst_mac, None, ETHERTYPE_ARP, &arp_bytes(&a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{eth_dst, eth_src, push_vlan};

    const A: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 1);
    const B: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 2);

    #[test]
    fn request_reads_back() {
        let ip5 = Ipv4Addr::new(172, 16, 0, 5);
        let ip1 = Ipv4Addr::new(172, 16, 0, 1);
        let f = arp_request(A, ip5, ip1);
        assert_eq!(f.len(), 42);
        assert_eq!(eth_dst(&f), Some(MacAddr::broadcast()));
        let info = arp_info(&f).expect("arp");
        assert_eq!(info.op, ArpOp::Request);
        assert_eq!((info.sender_mac, info.sender_ip), (A, ip5));
        assert_eq!((info.target_mac, info.target_ip), (MacAddr::zero(), ip1));
    }

    #[test]
    fn reply_reads_back_even_tagged() {
        let ip1 = Ipv4Addr::new(172, 16, 0, 1);
        let ip5 = Ipv4Addr::new(172, 16, 0, 5);
        let mut f = arp_reply(B, ip1, A, ip5);
        assert_eq!((eth_src(&f), eth_dst(&f)), (Some(B), Some(A)));
        push_vlan(&mut f, 9);
        let info = arp_info(&f).expect("arp");
        assert_eq!(info.op, ArpOp::Reply);
        assert_eq!((info.sender_mac, info.sender_ip), (B, ip1));
        assert_eq!((info.target_mac, info.target_ip), (A, ip5));
    }

    #[test]
    fn rejects_short_or_foreign() {
        let f = arp_request(A, Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST);
        assert_eq!(arp_info(&f[..41]), None);
        let mut g = f.clone();
        g[21] = 3; // RARP request
        assert_eq!(arp_info(&g), None);
    }
}
