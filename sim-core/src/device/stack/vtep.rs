//! VXLAN tunnel endpoints: VFP's overlay encapsulation, as the host stack carries it out.
//!
//! A frame for a remote endpoint's MAC reaches the stack on the overlay's VTEP interface; it
//! is wrapped in VXLAN (outer source: this host's provider address, outer destination: the
//! peer's, UDP 4789, VNI of the overlay subnet) and routed like any packet the host sends, out
//! of the management vNIC. A VXLAN packet for this host is unwrapped and its inner frame sent
//! out of the VTEP interface with that VNI. ARP requests for peer addresses are answered
//! locally with the peer's MAC. Outer packets larger than the outgoing MTU are dropped.

use super::{IpStack, VtepPeer};
use crate::device::{DropReason, Frame, HopAction, Outbox};
use crate::id::PortId;
use crate::wire::{self, VXLAN_OVERHEAD};
use std::net::Ipv4Addr;

/// VXLAN's outer IPv4 + UDP + VXLAN headers, around the inner frame.
const OUTER_L3_OVERHEAD: usize = VXLAN_OVERHEAD - 14;

impl IpStack {
    fn vtep_on(&self, port: PortId) -> Option<usize> {
        self.config.vteps.iter().position(|v| v.iface == port)
    }

    /// A frame arrived on `port`. The VTEP takes it (encapsulates it, answers an ARP request
    /// for a peer, or drops it with a reason) or hands it back for normal input.
    pub(super) fn vtep_input(
        &mut self,
        port: PortId,
        frame: Frame,
        out: &mut Outbox,
    ) -> Option<Frame> {
        let Some(v) = self.vtep_on(port) else {
            return Some(frame);
        };
        if let Some(arp) = wire::arp_info(&frame.bytes) {
            let peer = self.config.vteps[v]
                .peers
                .iter()
                .find(|p| p.ip == arp.target_ip)
                .copied();
            let Some(peer) = peer.filter(|_| arp.op == wire::ArpOp::Request) else {
                return Some(frame);
            };
            let reply = wire::arp_reply(peer.mac, peer.ip, arp.sender_mac, arp.sender_ip);
            let reply = Frame::new(reply, frame.probe);
            out.hop(reply.probe, &reply.bytes, || HopAction::Arp {
                iface: self.config.vteps[v].name.clone(),
                detail: format!(
                    "{} is-at {} (remote endpoint on {}, answered by VFP)",
                    peer.ip, peer.mac, peer.pa
                ),
            });
            out.send(port, reply);
            return None;
        }
        let dst = wire::eth_dst(&frame.bytes);
        let Some(peer) = self.config.vteps[v]
            .peers
            .iter()
            .find(|p| Some(p.mac) == dst)
            .copied()
        else {
            return Some(frame);
        };
        self.vtep_encap(v, peer, frame, out);
        None
    }

    /// A packet the host routes out of a VTEP interface: for a remote endpoint VFP knows the
    /// MAC (no ARP) and encapsulates at once; anything else is handed back.
    pub(super) fn vtep_transmit(
        &mut self,
        port: PortId,
        next_hop: Ipv4Addr,
        mut frame: Frame,
        out: &mut Outbox,
    ) -> Option<Frame> {
        let Some(v) = self.vtep_on(port) else {
            return Some(frame);
        };
        let Some(peer) = self.config.vteps[v]
            .peers
            .iter()
            .find(|p| p.ip == next_hop)
            .copied()
        else {
            return Some(frame);
        };
        wire::set_eth_dst(&mut frame.bytes, peer.mac);
        self.vtep_encap(v, peer, frame, out);
        None
    }

    /// Wraps `frame` for `peer` in VXLAN with VTEP `v`'s VNI, and routes the outer packet.
    fn vtep_encap(&mut self, v: usize, peer: VtepPeer, frame: Frame, out: &mut Outbox) {
        let (vni, local) = (self.config.vteps[v].vni, self.config.vteps[v].local);
        let outer_len = frame.bytes.len() + OUTER_L3_OVERHEAD;
        if let Some((out_port, _)) = self.route(peer.pa) {
            let mtu = self.iface(out_port).map_or(1500, |i| i.mtu);
            if outer_len > usize::from(mtu) {
                let inner = frame.bytes.len();
                out.drop_frame(&frame, || DropReason::TooBig {
                    iface: self.iface_name(out_port),
                    size: outer_len,
                    mtu,
                    why: format!(
                        "VXLAN adds {VXLAN_OVERHEAD} bytes to the {inner}-byte inner frame, and the outer packet may not be fragmented"
                    ),
                });
                return;
            }
        }
        // RFC 7348: the outer source port is a hash of the inner flow, for ECMP.
        let sport = 49152 | (flow_hash(&frame.bytes) & 0x3fff);
        out.hop(frame.probe, &frame.bytes, || HopAction::Encap {
            by: self.config.vteps[v].name.clone(),
            vni,
            outer_src: local,
            outer_dst: peer.pa,
        });
        self.send_ip(Some(local), peer.pa, frame.probe, out, |h| {
            wire::vxlan_encap(h, sport, vni, &frame.bytes)
        });
    }

    /// A UDP packet for this stack: if it is VXLAN for one of our VNIs, unwrap it and send the
    /// inner frame into the overlay. Returns true if it was VXLAN.
    pub(super) fn vtep_decap(&mut self, frame: &Frame, out: &mut Outbox) -> bool {
        let Some((vni, inner)) = wire::vxlan_decap(&frame.bytes) else {
            return false;
        };
        let Some(v) = self.config.vteps.iter().position(|t| t.vni == vni) else {
            out.drop_frame(frame, || DropReason::NoVxlanPeer {
                by: self.config.name.clone(),
                what: format!("no overlay network here has VNI {vni}"),
            });
            return true;
        };
        let (port, name) = (
            self.config.vteps[v].iface,
            self.config.vteps[v].name.clone(),
        );
        let inner = Frame::new(inner.to_vec(), frame.probe);
        let to = self.iface_name(port);
        out.hop(inner.probe, &inner.bytes, || HopAction::Decap {
            by: name,
            vni,
            to,
        });
        out.send(port, inner);
        true
    }
}

/// FNV-1a over the inner frame's addresses and ports: stable, so runs stay reproducible.
fn flow_hash(inner: &[u8]) -> u16 {
    let mut h: u32 = 0x811c_9dc5;
    if let Some(k) = wire::flow_key(inner) {
        let mut eat = |b: u8| {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        };
        eat(k.proto);
        k.src.octets().into_iter().for_each(&mut eat);
        k.dst.octets().into_iter().for_each(&mut eat);
        k.sport.to_be_bytes().into_iter().for_each(&mut eat);
        k.dport.to_be_bytes().into_iter().for_each(&mut eat);
    }
    (h ^ (h >> 16)) as u16
}
