//! VXLAN interfaces: tunnel endpoints to remote machines on other hosts.
//!
//! A frame for a peer's MAC that reaches the stack on a VXLAN interface is wrapped in VXLAN
//! (outer source: this host's provider address, outer destination: the peer's, UDP 4789, the
//! interface's VNI) and routed like any packet the host sends. A VXLAN packet for this host
//! is unwrapped and its inner frame sent out of the interface with that VNI. ARP requests for
//! peer addresses are answered with the peer's MAC. Outer packets larger than the outgoing
//! MTU are dropped (VXLAN packets may not be fragmented).

use super::config::VxlanPeer;
use super::interface::{iface, iface_name, route, Interface};
use crate::device::action::{Action, ArpEvent};
use crate::device::{DropReason, Frame, Outbox};
use crate::id::PortId;
use crate::wire::{self, View, VXLAN_OVERHEAD};
use std::net::Ipv4Addr;

/// VXLAN's outer IPv4 + UDP + VXLAN headers, around the inner frame.
const OUTER_L3_OVERHEAD: usize = VXLAN_OVERHEAD - 14;

impl Interface<'_> {
    fn peer(&self, port: PortId, pick: impl Fn(&VxlanPeer) -> bool) -> Option<VxlanPeer> {
        iface(self.cfg, port)?
            .vxlan
            .as_ref()?
            .peers
            .iter()
            .find(|p| pick(p))
            .copied()
    }

    /// A frame arrived on VXLAN interface `port`: it is encapsulated for a peer, an ARP
    /// request for a peer is answered, or it is handed back for normal input. The view is
    /// the caller's, which goes on with it unchanged: handed back with the frame, it made
    /// the input path copy it on every frame (issue 13).
    pub(super) fn vxlan_input(
        &mut self,
        port: PortId,
        frame: Frame,
        view: &View,
        out: &mut Outbox,
    ) -> Option<Frame> {
        if let Some(arp) = view.arp {
            let Some(peer) = self
                .peer(port, |p| p.ip == arp.target_ip)
                .filter(|_| arp.op == wire::ArpOp::Request)
            else {
                return Some(frame);
            };
            let reply = wire::arp_reply(peer.mac, peer.ip, arp.sender_mac, arp.sender_ip);
            let reply = Frame::new(reply, frame.probe);
            out.hop(reply.probe, &reply.bytes, |syms| Action::Arp {
                iface: syms.intern(&iface_name(self.cfg, port)),
                event: ArpEvent::Proxy {
                    ip: peer.ip,
                    mac: peer.mac,
                    via: peer.pa,
                },
            });
            out.send(port, reply);
            return None;
        }
        let Some(peer) = self.peer(port, |p| p.mac == view.dst) else {
            return Some(frame);
        };
        self.encap(port, peer, frame, out);
        None
    }

    /// A packet the host routes out of VXLAN interface `port`: for a peer the tunnel knows the
    /// MAC (no ARP) and encapsulates at once; anything else is handed back.
    pub(super) fn vxlan_transmit(
        &mut self,
        port: PortId,
        next_hop: Ipv4Addr,
        mut frame: Frame,
        out: &mut Outbox,
    ) -> Option<Frame> {
        let Some(peer) = self.peer(port, |p| p.ip == next_hop) else {
            return Some(frame);
        };
        wire::set_eth_dst(&mut frame.bytes, peer.mac);
        self.encap(port, peer, frame, out);
        None
    }

    /// Wraps `frame` for `peer` in VXLAN with interface `port`'s VNI, and routes the outer
    /// packet.
    fn encap(&mut self, port: PortId, peer: VxlanPeer, frame: Frame, out: &mut Outbox) {
        let Some(vx) = iface(self.cfg, port).and_then(|i| i.vxlan.as_ref()) else {
            return;
        };
        let (vni, local) = (vx.vni, vx.local);
        let outer_len = frame.bytes.len() + OUTER_L3_OVERHEAD;
        if let Some((out_port, _)) = route(self.cfg, peer.pa) {
            let mtu = iface(self.cfg, out_port).map_or(1500, |i| i.mtu);
            if outer_len > usize::from(mtu) {
                let inner = frame.bytes.len();
                out.drop_frame(&frame, |syms| DropReason::TooBig {
                    iface: syms.intern(&iface_name(self.cfg, out_port)),
                    size: outer_len,
                    mtu,
                    why: syms.intern(&format!(
                        "VXLAN adds {VXLAN_OVERHEAD} bytes to the {inner}-byte inner frame, and the outer packet may not be fragmented"
                    )),
                });
                return;
            }
        }
        // RFC 7348: the outer source port is a hash of the inner flow, for ECMP.
        let sport = 49152 | (flow_hash(&frame.bytes) & 0x3fff);
        out.hop(frame.probe, &frame.bytes, |syms| Action::Encap {
            by: syms.intern(&iface_name(self.cfg, port)),
            vni,
            outer_src: local,
            outer_dst: peer.pa,
        });
        self.send_ip(Some(local), peer.pa, frame.probe, out, |h| {
            wire::vxlan_encap(h, sport, vni, &frame.bytes)
        });
    }

    /// A VXLAN packet for this stack (UDP 4789): unwrap it and send the inner frame out of the
    /// interface with its VNI. Returns false if the stack has no VXLAN interface at all.
    pub fn vxlan_decap(&mut self, frame: &Frame, out: &mut Outbox) -> bool {
        let vteps = self
            .cfg
            .ifaces()
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((PortId(i as u16), f.as_ref()?.vxlan.as_ref()?.vni)));
        let mut vteps = vteps.peekable();
        if vteps.peek().is_none() {
            return false;
        }
        let Some((vni, inner)) = wire::vxlan_decap(&frame.bytes) else {
            return false;
        };
        let Some(port) = vteps.find(|(_, v)| *v == vni).map(|(p, _)| p) else {
            out.drop_frame(frame, |syms| DropReason::NoVxlanPeer {
                by: syms.intern(&self.cfg.name),
                what: syms.intern(&format!("no overlay network here has VNI {vni}")),
            });
            return true;
        };
        let inner = Frame::new(inner.to_vec(), frame.probe);
        out.hop(inner.probe, &inner.bytes, |syms| {
            let name = syms.intern(&iface_name(self.cfg, port));
            Action::Decap {
                by: name,
                vni,
                to: name,
            }
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
