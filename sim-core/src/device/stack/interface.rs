//! The interface layer of an IP stack: what the kernel does below the sockets.
//!
//! Owns the way a frame goes through the stack: the NIC filter, ARP, VXLAN interfaces, the
//! hooks of the ruleset (`Prerouting`, `Input`, `Forward`, `Output`, `Postrouting`) with
//! connection tracking, longest-prefix routing, forwarding, TTL, ICMP errors, the ICMP echo
//! responder, and sending: the route, the source address, the interface's MTU (fragments
//! and reassembly are in `reassembly`), ARP resolution with its queue, the check of stale
//! entries (`arp`) and the announcement of an address that comes up. Packets for the stack
//! itself go to the caller's `deliver` (the sockets).
//!
//! An `Interface` is a borrow of the stack's configuration, ruleset and run-time state, so
//! that a socket can send through it while the socket set is borrowed too (smoltcp's split
//! of `Interface` and `SocketSet`).

use super::arp::{self, ArpCache, Nud};
use super::bridge::Fdb;
use super::config::{IfaceConfig, PortFacts, Route, RouteFacts, StackConfig};
use super::quiet;
use super::reassembly::Reassembly;
use crate::device::action::{Action, ArpEvent, Delivery};
use crate::device::conntrack::Conntrack;
use crate::device::rules::hook::{DeviceFacts, Passage, Ports, Tables, Verdict};
use crate::device::rules::{Hook, Reject, Ruleset};
use crate::device::{DropReason, Frame, Outbox, Timer};
use crate::id::{PortId, ProbeId};
use crate::wire::{self, IpHeader, MacAddr, View, L4};
use ipnetwork::Ipv4Network;
use pnet_packet::ipv4::Ipv4Packet;
use std::net::Ipv4Addr;

const ICMP_ECHO_REQUEST: u8 = 8;

/// What the stack keeps at run time below its sockets. `repr(C)`, aligned to a cache line:
/// what every packet reads or writes first (the IP identifier, whether packets wait in the
/// loopback queue, the first ARP entries), in the first line as far as it goes: the first
/// ARP entry is in it whole (issue 13: at a thousand stacks each line a visit reads is a
/// cache miss). The loopback queue itself is read only when it holds packets, at the end.
#[derive(Debug)]
#[repr(C, align(64))]
pub struct NetState {
    next_ident: u16,
    next_ephemeral: u16,
    /// Whether `loopback` holds packets; kept in step by its only writers
    /// (`push_loopback`, `pop_loopback`, `clear_loopback`).
    looped: bool,
    pub arp: ArpCache,
    /// What the stack's bridges learned.
    pub fdb: Fdb,
    pub ct: Conntrack,
    /// Datagrams whose fragments are arriving.
    pub reassembly: Reassembly,
    /// Packets the stack sent to itself, delivered once the current input is handled.
    loopback: Vec<(Frame, View, Passage)>,
}

impl NetState {
    pub fn new(cfg: &StackConfig) -> Self {
        NetState {
            arp: ArpCache::default(),
            fdb: Fdb::default(),
            ct: Conntrack::new(cfg.conntrack),
            reassembly: Reassembly::default(),
            next_ephemeral: cfg.ephemeral_ports.0,
            next_ident: 1,
            looped: false,
            loopback: Vec::new(),
        }
    }

    /// Whether packets the stack sent to itself wait for delivery.
    #[inline]
    pub fn has_loopback(&self) -> bool {
        debug_assert_eq!(self.looped, !self.loopback.is_empty());
        self.looped
    }

    /// A packet the stack sent to itself, delivered once the current input is handled.
    fn push_loopback(&mut self, packet: (Frame, View, Passage)) {
        self.loopback.push(packet);
        self.looped = true;
    }

    /// The first packet waiting in the loopback queue.
    pub fn pop_loopback(&mut self) -> Option<(Frame, View, Passage)> {
        if !self.looped {
            return None;
        }
        let packet = self.loopback.remove(0);
        self.looped = !self.loopback.is_empty();
        Some(packet)
    }

    /// Forgets what waits in the loopback queue (a reboot).
    pub fn clear_loopback(&mut self) {
        self.loopback.clear();
        self.looped = false;
    }

    /// The next port of `range` in turn (from its start again after its end, or when the
    /// range changed under the counter).
    pub fn next_ephemeral(&mut self, range: (u16, u16)) -> u16 {
        let (low, high) = (range.0.min(range.1), range.0.max(range.1));
        let p = if (low..=high).contains(&self.next_ephemeral) {
            self.next_ephemeral
        } else {
            low
        };
        self.next_ephemeral = if p >= high { low } else { p + 1 };
        p
    }

    pub fn next_ident(&mut self) -> u16 {
        self.next_ident = self.next_ident.wrapping_add(1);
        self.next_ident
    }
}

/// A packet for the stack itself, past the `Input` hook. Its view is borrowed from where the
/// input path keeps it: a view is about a hundred bytes, and a copy into every packet handed
/// to the sockets cost some thirty instructions (issue 13).
pub struct Local<'v> {
    pub port: PortId,
    pub frame: Frame,
    pub view: &'v View,
}

/// The ICMP errors a stack sends.
#[derive(Clone, Copy, Debug)]
pub enum IcmpError {
    NetUnreachable,
    HostUnreachable,
    PortUnreachable,
    AdminProhibited,
    TimeExceeded,
    /// Too big for the next hop's `mtu` with Don't Fragment set (RFC 1191).
    FragmentationNeeded {
        mtu: u16,
    },
    /// Not every fragment arrived in time (type 11 code 1).
    ReassemblyTimeExceeded,
}

/// What the rules and traces need to know about a stack.
pub struct Facts<'a>(pub &'a StackConfig);

impl DeviceFacts for Facts<'_> {
    fn port_name(&self, port: PortId) -> String {
        iface_name(self.0, port)
    }
    fn is_local(&self, ip: Ipv4Addr) -> bool {
        self.0.is_local(ip)
    }
    fn is_local_on(&self, ip: Ipv4Addr, port: PortId) -> bool {
        iface(self.0, port)
            .and_then(|i| i.addr)
            .is_some_and(|a| a.ip() == ip)
    }
    fn port_addr(&self, port: PortId) -> Option<Ipv4Addr> {
        iface(self.0, port).and_then(|i| i.addr).map(|a| a.ip())
    }
}

#[inline]
pub fn iface(cfg: &StackConfig, port: PortId) -> Option<&IfaceConfig> {
    cfg.ifaces().get(port.0 as usize).and_then(Option::as_ref)
}

pub fn iface_name(cfg: &StackConfig, port: PortId) -> String {
    iface(cfg, port)
        .map(|i| i.name.clone())
        .unwrap_or_else(|| format!("if{}", port.0))
}

/// An interface's label, interned for a trace.
pub fn iface_tag(
    cfg: &StackConfig,
    port: PortId,
    syms: &mut crate::sym::Interner,
) -> Option<crate::sym::Sym> {
    iface(cfg, port)?.tag.as_deref().map(|t| syms.intern(t))
}

#[inline(always)]
pub fn is_local(cfg: &StackConfig, ip: Ipv4Addr) -> bool {
    cfg.is_local(ip)
}

/// Longest-prefix match over connected and static routes: the outgoing port and next hop.
/// A stack with few interfaces and routes reads them from its index (`StackConfig::
/// route_facts`), not from their own allocations.
/// The configuration remembers the last answers (`StackConfig::remembered_route`) until
/// the interfaces or routes change. Inlined: a remembered answer is a few comparisons, and
/// the call cost as much again (issue 13); the look-up itself is out of line.
#[inline(always)]
pub fn route(cfg: &StackConfig, dst: Ipv4Addr) -> Option<(PortId, Ipv4Addr)> {
    match cfg.remembered_route(dst) {
        Some(answer) => answer,
        None => route_and_remember(cfg, dst),
    }
}

/// [`route`] for a destination it does not remember: looked up, and remembered.
#[inline(never)]
fn route_and_remember(cfg: &StackConfig, dst: Ipv4Addr) -> Option<(PortId, Ipv4Addr)> {
    let answer = longest_route(cfg, dst);
    cfg.remember_route(dst, answer);
    answer
}

/// [`route`] without the memo.
fn longest_route(cfg: &StackConfig, dst: Ipv4Addr) -> Option<(PortId, Ipv4Addr)> {
    match cfg.route_facts() {
        RouteFacts::Hot { ports, routes } => longest_match(
            ports
                .iter()
                .enumerate()
                .map(|(i, p)| (i, p.as_ref().and_then(|p| p.addr))),
            routes.iter().flatten(),
            |p| ports.get(usize::from(p.0)).is_some_and(Option::is_some),
            dst,
        ),
        RouteFacts::Full(cfg) => longest_match(
            cfg.ifaces()
                .iter()
                .enumerate()
                .map(|(i, f)| (i, f.as_ref().and_then(|f| f.addr))),
            cfg.routes().iter(),
            |p| iface(cfg, p).is_some(),
            dst,
        ),
    }
}

/// The longest prefix holding `dst` among the interfaces' subnets (by port) and then the
/// routes whose interface is `present`; the first of equal prefixes wins.
#[inline]
fn longest_match<'a>(
    subnets: impl Iterator<Item = (usize, Option<Ipv4Network>)>,
    routes: impl Iterator<Item = &'a Route>,
    present: impl Fn(PortId) -> bool,
    dst: Ipv4Addr,
) -> Option<(PortId, Ipv4Addr)> {
    let mut best: Option<(u8, PortId, Ipv4Addr)> = None;
    for (i, net) in subnets {
        if let Some(net) = net {
            if net.contains(dst) && best.is_none_or(|b| net.prefix() > b.0) {
                best = Some((net.prefix(), PortId(i as u16), dst));
            }
        }
    }
    for r in routes {
        if r.dest.contains(dst) && best.is_none_or(|b| r.dest.prefix() > b.0) && present(r.iface) {
            best = Some((r.dest.prefix(), r.iface, r.via.unwrap_or(dst)));
        }
    }
    best.map(|(_, p, nh)| (p, nh))
}

/// Whether `ip` is a broadcast address on an interface with address `addr`: the limited
/// broadcast, or its subnet's (not on /31 and /32).
fn is_broadcast_on(addr: Option<Ipv4Network>, ip: Ipv4Addr) -> bool {
    ip.is_broadcast() || addr.is_some_and(|a| a.prefix() < 31 && a.broadcast() == ip)
}

pub struct Interface<'a> {
    pub cfg: &'a mut StackConfig,
    pub rules: &'a mut Ruleset,
    pub st: &'a mut NetState,
}

impl Interface<'_> {
    /// Runs one hook of the ruleset. Always inlined, as `Tables::run` is: a call with its
    /// seven arguments cost a third of what the common answer does.
    #[inline(always)]
    pub(super) fn hook(
        &mut self,
        hook: Hook,
        ports: Ports,
        passage: &mut Passage,
        frame: &mut Frame,
        view: &mut View,
        out: &mut Outbox,
    ) -> Verdict {
        let mut tables = Tables {
            rules: self.rules,
            ct: &mut self.st.ct,
        };
        tables.run(hook, &Facts(self.cfg), ports, passage, frame, view, out)
    }

    fn name(&self, port: PortId) -> String {
        iface_name(self.cfg, port)
    }

    /// A frame leaves by `port`: onto its cable, or, out of a bridge's own interface, into
    /// the bridge.
    pub(super) fn emit(&mut self, port: PortId, frame: Frame, out: &mut Outbox) {
        let facts = self.cfg.port_facts(port);
        if !facts.is_some_and(|f| f.vlan || f.bridge) {
            out.send(port, frame);
            return;
        }
        if let Some(v) = iface(self.cfg, port).and_then(|i| i.vlan) {
            // A VLAN sub-interface: the frame leaves by its parent with the 802.1Q tag.
            let mut frame = frame;
            if frame.bytes.len() >= 14 {
                let tag = [0x81, 0x00, (v.id >> 8) as u8 & 0x0f, v.id as u8];
                frame.bytes.splice(12..12, tag);
            }
            self.emit(v.parent, frame, out);
            return;
        }
        if iface(self.cfg, port).is_some_and(|i| i.bridge.is_some()) {
            self.bridge_output(port, frame, out);
        } else {
            out.send(port, frame);
        }
    }

    // ----- input -----

    /// A frame arrived on `port`. If it is for the stack itself, `deliver` takes it (the
    /// socket layer), right where it is accepted: a frame and its view are not handed back up
    /// by value. Always inlined into its caller, the stack's handler of every frame: the
    /// call and a second frame set up and taken down cost some twenty instructions a
    /// frame (issue 13); a tagged frame's own input (its sub-interface's) is a call.
    #[inline(always)]
    pub fn input(
        &mut self,
        port: PortId,
        frame: Frame,
        out: &mut Outbox,
        deliver: impl FnOnce(&mut Interface, Local, &mut Outbox),
    ) {
        let Some(ifc) = self.cfg.port_facts(port) else {
            out.drop_frame(&frame, |syms| DropReason::Unplugged {
                port: syms.intern(&format!("if{}", port.0)),
            });
            return;
        };
        let bytes: &[u8] = &frame.bytes;
        if bytes.len() >= 18 && bytes[12..14] == [0x81, 0x00] {
            // An 802.1Q frame: its VLAN sub-interface on this port takes it, untagged; with
            // none, the kernel drops it without a word.
            let id = u16::from_be_bytes([frame.bytes[14], frame.bytes[15]]) & 0x0fff;
            let sub = self.cfg.ifaces().iter().position(|i| {
                i.as_ref()
                    .and_then(|i| i.vlan)
                    .is_some_and(|v| v.parent == port && v.id == id)
            });
            if let Some(sub) = sub {
                let mut frame = frame;
                frame.bytes.drain(12..16);
                self.untagged_input(PortId(sub as u16), frame, out, deliver);
            }
            return;
        }
        // The first byte first: unicast, nearly every frame, pays one test.
        let broadcast = bytes.first() == Some(&0xff);
        if broadcast && !ifc.master && !ifc.vxlan && self.ignores_arp(port, ifc.addr, &frame) {
            return;
        }
        // A plain interface's path reads no source MAC; a bridge port learns it, and a VXLAN
        // port's frames are left whole.
        let mut parsed = if ifc.master || ifc.vxlan {
            View::parse(bytes)
        } else {
            View::parse_unsourced(bytes)
        };
        // Borrowed where it was parsed: moved out of its `Option`, the view was copied field
        // by field, some forty instructions a frame (issue 13).
        let Some(view) = parsed.as_mut() else {
            out.drop_frame(&frame, |syms| DropReason::Malformed {
                what: syms.intern("short Ethernet header"),
            });
            return;
        };
        let mac = ifc.mac;
        // Only a bridge port's frames read the interface's own configuration.
        let master = if ifc.master {
            iface(self.cfg, port).and_then(|i| i.master)
        } else {
            None
        };
        if let Some(bp) = master {
            self.bridge_input(port, bp, frame, *view, out, deliver);
            return;
        }
        // One call of `accept`, which is inlined here; the view stays where it was parsed.
        let frame = if ifc.vxlan {
            match self.vxlan_input(port, frame, view, out) {
                Some(frame) => frame,
                None => return,
            }
        } else {
            frame
        };
        self.accept_viewed(port, mac, frame, view, out, deliver);
    }

    /// [`Interface::input`] of a frame its VLAN sub-interface `port` took, untagged. Out of
    /// line, so that `input`, which calls it, is not recursive and can be inlined.
    #[inline(never)]
    fn untagged_input(
        &mut self,
        port: PortId,
        frame: Frame,
        out: &mut Outbox,
        deliver: impl FnOnce(&mut Interface, Local, &mut Outbox),
    ) {
        self.input(port, frame, out, deliver);
    }

    /// The NIC's own part: its MAC filter, then ARP or IPv4. Inlined into `input` (and the
    /// bridge's input): a call copies the view, on every frame.
    #[inline(always)]
    pub(super) fn accept(
        &mut self,
        port: PortId,
        mac: MacAddr,
        frame: Frame,
        mut view: View,
        out: &mut Outbox,
        deliver: impl FnOnce(&mut Interface, Local, &mut Outbox),
    ) {
        self.accept_viewed(port, mac, frame, &mut view, out, deliver);
    }

    /// [`Interface::accept`] of a view the caller keeps.
    #[inline(always)]
    fn accept_viewed(
        &mut self,
        port: PortId,
        mac: MacAddr,
        frame: Frame,
        view: &mut View,
        out: &mut Outbox,
        deliver: impl FnOnce(&mut Interface, Local, &mut Outbox),
    ) {
        // The NIC filter: frames for other MACs (flooded copies) are not ours and not a drop.
        // As arrays: pnet's `MacAddr` compares byte by byte, a branch each. The destination
        // is read from the frame, not from the view, which was just stored in pieces: a read
        // across two of them waits for both to reach the cache (issue 13).
        let ours = wire::eth_dst(&frame.bytes).is_some_and(|d| d.octets() == mac.octets());
        if !ours && !view.dst.is_multicast() {
            return;
        }
        match view.ethertype {
            wire::ETHERTYPE_ARP => self.arp_input(port, frame, view, out),
            wire::ETHERTYPE_IPV4 => self.ip_input(port, frame, view, out, deliver),
            _ => {}
        }
    }

    /// Whether `frame`, arriving on the plain interface `ifc`, is a broadcast ARP request
    /// that `arp_input` would ignore: one `parse_arp` accepts, not for our address, from a
    /// sender with no entry (for a gratuitous one) or no entry and no resolution in progress
    /// (for another). A flood's copy reaches every host on a switch, and nearly every host
    /// ignores it: this decides so from the ARP body alone, without the full parse (issue
    /// 13). Anything else, `false`: the full path decides.
    #[inline(never)]
    pub(super) fn ignores_arp(
        &self,
        port: PortId,
        addr: Option<Ipv4Network>,
        frame: &Frame,
    ) -> bool {
        let Some(ask) = quiet::flooded_ask(&frame.bytes) else {
            return false;
        };
        let (sender, target) = (ask.sender, ask.target);
        if addr.is_some_and(|n| n.ip() == target) {
            return false;
        }
        let known = if sender == target {
            self.st.arp.entry(port, sender).is_some()
        } else {
            self.st.arp.knows(port, sender)
        };
        !known
    }

    fn arp_input(&mut self, port: PortId, frame: Frame, view: &View, out: &mut Outbox) {
        let Some(arp) = view.arp else {
            out.drop_frame(&frame, |syms| DropReason::Malformed {
                what: syms.intern("bad ARP packet"),
            });
            return;
        };
        let Some(ifc) = iface(self.cfg, port) else {
            return;
        };
        let (mac, name) = (ifc.mac, &ifc.name);
        let ours = ifc.addr.is_some_and(|a| a.ip() == arp.target_ip);
        // One of our own addresses said by another machine (a duplicate: conflicts are not
        // modelled) or an address being probed for (sender 0.0.0.0) is not learned. A
        // gratuitous ARP updates an entry the stack has; it neither creates one nor answers
        // a resolution in progress (the answer to that is on its way).
        let sender = arp.sender_ip;
        let gratuitous = arp.sender_ip == arp.target_ip;
        let known = if gratuitous {
            self.st.arp.entry(port, sender).is_some()
        } else {
            ours || self.st.arp.knows(port, sender)
        };
        let learns = known && !sender.is_unspecified() && !is_local(self.cfg, sender);
        if learns {
            // Only an answer sent to us confirms the neighbour; a request, a gratuitous or
            // a broadcast answer only says where it is (RFC 4861 7.2.5, and Linux's
            // arp_process does the same for ARP).
            if arp.op == wire::ArpOp::Reply && view.dst == mac {
                let until = out.now + self.cfg.neighbor.reachable_time;
                self.st.arp.confirm(port, sender, arp.sender_mac, until);
            } else {
                self.st.arp.unsolicited(port, sender, arp.sender_mac);
            }
        }
        if arp.op == wire::ArpOp::Request && ours && !gratuitous {
            let reply = wire::arp_reply(mac, arp.target_ip, arp.sender_mac, arp.sender_ip);
            let reply = Frame::new(reply, frame.probe);
            out.hop(reply.probe, &reply.bytes, |syms| Action::Arp {
                iface: syms.intern(name),
                event: ArpEvent::Reply {
                    ip: arp.target_ip,
                    mac,
                    to: arp.sender_ip,
                },
            });
            self.emit(port, reply, out);
        } else if arp.op == wire::ArpOp::Reply {
            out.hop(frame.probe, &frame.bytes, |syms| Action::Arp {
                iface: syms.intern(name),
                event: ArpEvent::Learned {
                    ip: arp.sender_ip,
                    mac: arp.sender_mac,
                },
            });
        }
        if learns && !gratuitous {
            for mut waiting in self.st.arp.take_waiting(port, sender) {
                wire::set_eth_dst(&mut waiting.bytes, arp.sender_mac);
                self.emit(port, waiting, out);
            }
        }
    }

    /// The view is the caller's, by reference: passed by value, it was copied at the call.
    /// Always inlined into `accept` (nearly every frame comes here; the call and its six
    /// arguments cost some twenty instructions a frame).
    #[inline(always)]
    fn ip_input(
        &mut self,
        port: PortId,
        mut frame: Frame,
        view: &mut View,
        out: &mut Outbox,
        deliver: impl FnOnce(&mut Interface, Local, &mut Outbox),
    ) {
        if view.ip.is_none() {
            out.drop_frame(&frame, |syms| DropReason::Malformed {
                what: syms.intern("bad IPv4 header"),
            });
            return;
        }
        let mut whole_view;
        let view = if view.ip.as_ref().is_some_and(|i| i.fragment) {
            let Some(whole) = self.defragment(frame, *view, out) else {
                return;
            };
            (frame, whole_view) = whole;
            &mut whole_view
        } else {
            view
        };
        let mut passage = Passage::default();
        let ports = Ports {
            in_port: Some(port),
            out_port: None,
        };
        let hook = Hook::Prerouting;
        if !self.passed(hook, ports, &mut passage, &mut frame, view, out) {
            return;
        }
        let Some(dst) = view.ip.as_ref().map(|ip| ip.dst) else {
            return;
        };
        if is_local(self.cfg, dst) || dst.is_broadcast() {
            let hook = Hook::Input;
            if !self.passed(hook, ports, &mut passage, &mut frame, view, out) {
                return;
            }
            deliver(self, Local { port, frame, view }, out);
            return;
        }
        self.forward(port, frame, *view, passage, out);
    }

    /// Runs a hook; answers a rejected packet. Returns whether the packet goes on. Always
    /// inlined, with `hook` and `Tables::run`: the common answer is a few loads, and a call
    /// cost as much again (issue 13).
    #[inline(always)]
    fn passed(
        &mut self,
        hook: Hook,
        ports: Ports,
        passage: &mut Passage,
        frame: &mut Frame,
        view: &mut View,
        out: &mut Outbox,
    ) -> bool {
        match self.hook(hook, ports, passage, frame, view, out) {
            Verdict::Pass => true,
            Verdict::Drop => false,
            Verdict::Reject(how) => {
                self.reject(how, ports.in_port, frame, view, out);
                false
            }
        }
    }

    fn forward(
        &mut self,
        in_port: PortId,
        mut frame: Frame,
        mut view: View,
        mut passage: Passage,
        out: &mut Outbox,
    ) {
        if !self.cfg.forwarding {
            out.drop_frame(&frame, |_| DropReason::ForwardingDisabled);
            return;
        }
        let Some(dst) = view.ip.map(|i| i.dst) else {
            return;
        };
        let Some((out_port, next_hop)) = route(self.cfg, dst) else {
            out.drop_frame(&frame, |_| DropReason::NoRoute { dst });
            self.icmp_error(in_port, &frame, &view, IcmpError::NetUnreachable, out);
            return;
        };
        let ports = Ports {
            in_port: Some(in_port),
            out_port: Some(out_port),
        };
        let hook = Hook::Forward;
        if !self.passed(hook, ports, &mut passage, &mut frame, &mut view, out) {
            return;
        }
        if let Some(0) | None = wire::decrement_ttl_viewed(&mut frame.bytes, &mut view) {
            out.drop_frame(&frame, |_| DropReason::TtlExpired);
            self.icmp_error(in_port, &frame, &view, IcmpError::TimeExceeded, out);
            return;
        }
        out.hop(frame.probe, &frame.bytes, |syms| Action::Routed {
            from_iface: syms.intern(&iface_name(self.cfg, in_port)),
            to_iface: syms.intern(&iface_name(self.cfg, out_port)),
            next_hop,
            tag: iface_tag(self.cfg, out_port, syms),
        });
        let hook = Hook::Postrouting;
        if !self.passed(hook, ports, &mut passage, &mut frame, &mut view, out) {
            return;
        }
        // An interface without facts sends nothing (`transmit_from`).
        if let Some(f) = self.cfg.port_facts(out_port) {
            wire::set_eth_src(&mut frame.bytes, f.mac);
            self.transmit_on(Some(in_port), out_port, &f, next_hop, frame, out);
        }
    }

    // ----- output -----

    /// The header of a packet this stack originates out of `port`.
    pub fn header(&mut self, port: PortId, src: Ipv4Addr, dst: Ipv4Addr) -> IpHeader {
        let mac = self.cfg.port_facts(port).map(|f| f.mac).unwrap_or_default();
        self.header_from(mac, src, dst)
    }

    /// The header of a packet this stack originates from `mac` (its interface's).
    fn header_from(&mut self, mac: MacAddr, src: Ipv4Addr, dst: Ipv4Addr) -> IpHeader {
        IpHeader {
            src_mac: mac,
            dst_mac: MacAddr::zero(),
            src,
            dst,
            ttl: self.cfg.default_ttl(),
            ident: self.st.next_ident(),
        }
    }

    /// Sends a packet this stack originates. `build` receives the header (source address
    /// chosen by the route unless `src` is given) and returns the frame bytes. Returns false
    /// if there was no route.
    pub fn send_ip(
        &mut self,
        src: Option<Ipv4Addr>,
        dst: Ipv4Addr,
        probe: Option<ProbeId>,
        out: &mut Outbox,
        build: impl FnOnce(&IpHeader) -> Vec<u8>,
    ) -> bool {
        let local = is_local(self.cfg, dst);
        // A packet to itself stays in the stack; a namespace with only its loopback (no
        // interface, `--network none`) still reaches itself.
        let own = local.then(|| self.cfg.first_port().unwrap_or(PortId(0)));
        let Some((port, next_hop)) = own.map(|p| (p, dst)).or_else(|| route(self.cfg, dst)) else {
            if probe.is_some() {
                let stub = Frame::new(Vec::new(), probe);
                out.drop_frame(&stub, |_| DropReason::NoRoute { dst });
            }
            return false;
        };
        // To one of its own addresses a stack speaks from that address (Linux's local
        // routes carry `src` = the address), whichever interface holds it.
        let facts = self.cfg.port_facts(port);
        let src = src
            .or_else(|| local.then_some(dst))
            .or_else(|| facts.and_then(|f| f.addr).map(|a| a.ip()))
            .unwrap_or(Ipv4Addr::UNSPECIFIED);
        // Built in each arm: through `map(..).unwrap_or_default()` the MAC was chosen byte by
        // byte, six loads and a dozen shifts to put it back together (issue 13). The MAC is
        // the index's, not `facts`' just-made copy (see `port_mac`).
        let header = match self.cfg.port_mac(port) {
            Some(mac) => self.header_from(mac, src, dst),
            None => self.header_from(MacAddr::zero(), src, dst),
        };
        let mut frame = Frame::new(build(&header), probe);
        // Only a traced frame records a hop: an untraced one does not make the call.
        if probe.is_some() {
            out.hop(probe, &frame.bytes, |syms| Action::Sent {
                iface: syms.intern(&if local {
                    "loopback".to_string()
                } else {
                    iface_name(self.cfg, port)
                }),
                tag: if local {
                    None
                } else {
                    iface_tag(self.cfg, port, syms)
                },
            });
        }
        // When the way out depends on the protocol alone (no chains, or chains that accept
        // it by protocol), the packet goes straight to its interface, counted where the
        // chains would count it, without being parsed again.
        let (proto, ip_len) = frame
            .bytes
            .get(wire::ETH_HEADER_LEN..)
            .and_then(Ipv4Packet::new)
            .map_or((0, 0), |p| {
                (
                    p.get_next_level_protocol().0,
                    usize::from(p.get_total_length()),
                )
            });
        if !local && self.rules.accept_sent_by_protocol(proto, ip_len) {
            // The interface's facts, read above, are not read again (`transmit_from`
            // sends nothing without them).
            if let Some(f) = &facts {
                self.transmit_on(None, port, f, next_hop, frame, out);
            }
            return true;
        }
        let Some(mut view) = View::parse(&frame.bytes) else {
            return true;
        };
        let mut passage = Passage::default();
        let ports = Ports {
            in_port: None,
            out_port: (!local).then_some(port),
        };
        let hook = Hook::Output;
        if !self.passed(hook, ports, &mut passage, &mut frame, &mut view, out) {
            return true;
        }
        // A destination NAT on the way out may send the packet elsewhere.
        let new_dst = view.ip.map_or(dst, |i| i.dst);
        let (local, port, next_hop) = if new_dst == dst {
            (local, port, next_hop)
        } else if is_local(self.cfg, new_dst) {
            (true, port, new_dst)
        } else {
            match route(self.cfg, new_dst) {
                Some((p, nh)) => {
                    if let Some(mac) = iface(self.cfg, p).map(|i| i.mac) {
                        wire::set_eth_src(&mut frame.bytes, mac);
                    }
                    (false, p, nh)
                }
                None => {
                    out.drop_frame(&frame, |_| DropReason::NoRoute { dst: new_dst });
                    return true;
                }
            }
        };
        if local {
            self.st.push_loopback((frame, view, passage));
            return true;
        }
        let ports = Ports {
            in_port: None,
            out_port: Some(port),
        };
        let hook = Hook::Postrouting;
        if !self.passed(hook, ports, &mut passage, &mut frame, &mut view, out) {
            return true;
        }
        self.transmit(port, next_hop, frame, out);
        true
    }

    /// Delivers a packet the stack sent to itself: the `Input` hook, then the sockets.
    pub fn loopback_input<'v>(
        &mut self,
        mut frame: Frame,
        view: &'v mut View,
        mut passage: Passage,
        out: &mut Outbox,
    ) -> Option<Local<'v>> {
        let port = self.cfg.first_port().unwrap_or(PortId(0));
        let hook = Hook::Input;
        let ports = Ports::default();
        if !self.passed(hook, ports, &mut passage, &mut frame, view, out) {
            return None;
        }
        Some(Local { port, frame, view })
    }

    /// Sends an IP frame this stack originates out of `port` towards `next_hop`.
    /// Always inlined: a call of a call (`transmit_on`) would cost a tunnel's every packet.
    #[inline(always)]
    pub fn transmit(&mut self, port: PortId, next_hop: Ipv4Addr, frame: Frame, out: &mut Outbox) {
        self.transmit_from(None, port, next_hop, frame, out);
    }

    /// Sends an IP frame out of `port` towards `next_hop`: encapsulated on a VXLAN
    /// interface, fragmented (or refused) when it exceeds the interface's MTU, after
    /// resolving the next hop's MAC. `in_port` is where a forwarded packet came in.
    #[inline(always)]
    fn transmit_from(
        &mut self,
        in_port: Option<PortId>,
        port: PortId,
        next_hop: Ipv4Addr,
        frame: Frame,
        out: &mut Outbox,
    ) {
        if let Some(ifc) = self.cfg.port_facts(port) {
            self.transmit_on(in_port, port, &ifc, next_hop, frame, out);
        }
    }

    /// [`Interface::transmit_from`] out of `port`, whose facts `ifc` the caller read (a
    /// sender reads them for its header, a router for the source MAC): not read again at
    /// every packet (issue 13).
    fn transmit_on(
        &mut self,
        in_port: Option<PortId>,
        port: PortId,
        ifc: &PortFacts,
        next_hop: Ipv4Addr,
        frame: Frame,
        out: &mut Outbox,
    ) {
        if ifc.vxlan {
            if let Some(f) = self.vxlan_transmit(port, next_hop, frame, out) {
                self.transmit_fitting(port, next_hop, f, out);
            }
            return;
        }
        let mtu = ifc.mtu;
        let broadcast = is_broadcast_on(ifc.addr, next_hop);
        let plain = !(ifc.vlan || ifc.bridge);
        // Frames are not padded: an untagged frame longer than the MTU plus the Ethernet
        // header is the only kind that may not fit, and only then is the header read.
        let mut frame = frame;
        if frame.bytes.len() > usize::from(mtu) + wire::ETH_HEADER_LEN {
            match self.oversized(in_port, port, next_hop, frame, mtu, out) {
                Some(fits) => frame = fits,
                None => return,
            }
        }
        self.resolve_and_send(port, next_hop, broadcast, plain, frame, out);
    }

    /// Sends an IP frame that fits the interface out of `port` towards `next_hop`,
    /// resolving its MAC first if needed.
    pub(super) fn transmit_fitting(
        &mut self,
        port: PortId,
        next_hop: Ipv4Addr,
        frame: Frame,
        out: &mut Outbox,
    ) {
        let facts = self.cfg.port_facts(port);
        let broadcast = facts.is_some_and(|f| is_broadcast_on(f.addr, next_hop));
        let plain = facts.is_some_and(|f| !(f.vlan || f.bridge));
        self.resolve_and_send(port, next_hop, broadcast, plain, frame, out);
    }

    /// The last step of sending: the next hop's MAC from the ARP cache (a stale entry is
    /// used and checked), or a resolution that queues the frame. `plain`: `port` is an
    /// interface of its own (neither a VLAN's nor a bridge's), as its facts the caller read
    /// say, so the frame goes onto its cable without `emit` reading them again.
    #[inline(always)]
    fn resolve_and_send(
        &mut self,
        port: PortId,
        next_hop: Ipv4Addr,
        broadcast: bool,
        plain: bool,
        mut frame: Frame,
        out: &mut Outbox,
    ) {
        if broadcast {
            wire::set_eth_dst(&mut frame.bytes, MacAddr::broadcast());
            self.emit(port, frame, out);
            return;
        }
        if let Some(e) = self.st.arp.entry(port, next_hop) {
            wire::set_eth_dst(&mut frame.bytes, e.mac);
            let probe = e.due(out.now) && self.check_stale(port, next_hop, &frame, out);
            if plain {
                out.send(port, frame);
            } else {
                self.emit(port, frame, out);
            }
            // The check goes out after the packet that prompted it.
            if probe {
                self.arp_probe(port, next_hop, out);
            }
            return;
        }
        self.wait_for_arp(port, next_hop, frame, out);
    }

    /// `frame` waits for `next_hop` to be resolved on `port`, under the stack's limit; the
    /// first frame for it starts the resolution. Out of line: only a frame to a neighbour
    /// not yet known comes here.
    #[cold]
    #[inline(never)]
    fn wait_for_arp(&mut self, port: PortId, next_hop: Ipv4Addr, frame: Frame, out: &mut Outbox) {
        let limit = self.cfg.neighbor.waiting;
        let drop = |out: &mut Outbox, f: Frame| {
            out.drop_frame(&f, |_| DropReason::ArpQueueFull {
                ip: next_hop,
                limit,
            })
        };
        if let Some(p) = self
            .st
            .arp
            .pending
            .iter_mut()
            .find(|p| p.port == port && p.ip == next_hop)
        {
            p.hold(frame, limit, |f| drop(out, f));
            return;
        }
        let probe = frame.probe;
        let mut p = arp::Pending::new(port, next_hop);
        p.hold(frame, limit, |f| drop(out, f));
        self.st.arp.pending.push(p);
        self.send_arp_request(port, next_hop, probe, out);
    }

    /// A stale entry in use (RFC 4861 7.3.3): its first use starts the delay (an entry
    /// that aged, having been confirmed once, says so in the trace of `frame`); its first
    /// use after the delay starts the unicast probes (returns true: probe now), which the
    /// entry's one timer repeats. Ageing is lazy: nothing happens to an entry nobody uses.
    #[cold]
    #[inline(never)]
    fn check_stale(
        &mut self,
        port: PortId,
        next_hop: Ipv4Addr,
        frame: &Frame,
        out: &mut Outbox,
    ) -> bool {
        let delay = self.cfg.neighbor.delay_first_probe;
        let Some(e) = self.st.arp.entry_mut(port, next_hop) else {
            return false;
        };
        if let Nud::Delay(_) = e.state() {
            return true;
        }
        e.set_state(Nud::Delay(out.now + delay));
        if e.confirmed() {
            let mac = e.mac;
            let probe_in_ms = delay.as_nanos() / 1_000_000;
            out.hop(frame.probe, &frame.bytes, |syms| Action::Arp {
                iface: syms.intern(&iface_name(self.cfg, port)),
                event: ArpEvent::Stale {
                    ip: next_hop,
                    mac,
                    probe_in_ms,
                },
            });
        }
        false
    }

    fn send_arp_request(
        &mut self,
        port: PortId,
        ip: Ipv4Addr,
        probe: Option<ProbeId>,
        out: &mut Outbox,
    ) {
        let Some(ifc) = iface(self.cfg, port) else {
            return;
        };
        let src_ip = ifc.addr.map(|a| a.ip()).unwrap_or(Ipv4Addr::UNSPECIFIED);
        let req = Frame::new(wire::arp_request(ifc.mac, src_ip, ip), probe);
        out.hop(probe, &req.bytes, |syms| Action::Arp {
            iface: syms.intern(&ifc.name),
            event: ArpEvent::Request {
                target: ip,
                sender: src_ip,
            },
        });
        self.emit(port, req, out);
        let retry = self.cfg.neighbor.retrans_time;
        out.timer(out.now + retry, Timer::ArpRetry { port, ip });
    }

    /// A stale entry used after its delay, or its probe timer: probe it by unicast, or give
    /// up on it after its probes went unanswered (the next packet for it asks by broadcast).
    pub fn arp_probe(&mut self, port: PortId, ip: Ipv4Addr, out: &mut Outbox) {
        let nb = self.cfg.neighbor;
        let now = out.now;
        let Some(e) = self.st.arp.entry_mut(port, ip) else {
            return;
        };
        let sent = match e.state() {
            // A timer that is early for this entry (it was confirmed and aged again since).
            Nud::Probe { next, .. } if now < next => return,
            Nud::Delay(at) if now < at => return,
            Nud::Delay(_) => 1,
            Nud::Probe { sent, .. } if sent < nb.unicast_probes => sent + 1,
            Nud::Probe { .. } => {
                self.st.arp.remove(port, ip);
                return;
            }
            Nud::Reachable(_) | Nud::Stale => return,
        };
        let next = now + nb.retrans_time;
        e.set_state(Nud::Probe { sent, next });
        let mac = e.mac;
        out.timer(next, Timer::ArpProbe { port, ip });
        let Some(ifc) = iface(self.cfg, port) else {
            return;
        };
        let src_ip = ifc.addr.map(|a| a.ip()).unwrap_or(Ipv4Addr::UNSPECIFIED);
        let mut req = wire::arp_request(ifc.mac, src_ip, ip);
        wire::set_eth_dst(&mut req, mac);
        self.emit(port, Frame::new(req, None), out);
    }

    /// Announces the address of `port` with a gratuitous ARP (a broadcast request for the
    /// address itself), if the stack is configured to, so that neighbours that cached
    /// another MAC for it update their entry.
    pub fn announce(&mut self, port: PortId, out: &mut Outbox) {
        if !self.cfg.neighbor.announce {
            return;
        }
        let Some(ifc) = iface(self.cfg, port) else {
            return;
        };
        let Some(addr) = ifc.addr.map(|a| a.ip()) else {
            return;
        };
        let garp = wire::arp_request(ifc.mac, addr, addr);
        self.emit(port, Frame::new(garp, None), out);
    }

    pub fn arp_retry(&mut self, port: PortId, ip: Ipv4Addr, out: &mut Outbox) {
        let Some(i) = self
            .st
            .arp
            .pending
            .iter()
            .position(|p| p.port == port && p.ip == ip)
        else {
            return;
        };
        if self.st.arp.pending[i].tries < arp::MAX_TRIES {
            self.st.arp.pending[i].tries += 1;
            let probe = self.st.arp.pending[i].frames.iter().find_map(|f| f.probe);
            self.send_arp_request(port, ip, probe, out);
            return;
        }
        let pending = self.st.arp.pending.swap_remove(i);
        let name = self.name(port);
        for f in pending.frames {
            out.drop_frame(&f, |syms| DropReason::ArpUnresolved {
                ip,
                iface: syms.intern(&name),
            });
        }
    }

    // ----- answers the kernel sends -----

    /// The ICMP echo responder: answers an echo request if the stack is configured to.
    /// Returns false for anything else.
    pub fn echo_reply(&mut self, local: &Local, out: &mut Outbox) -> bool {
        let Some(ip) = local.view.ip else {
            return false;
        };
        let L4::Icmp {
            icmp_type: ICMP_ECHO_REQUEST,
            id,
            seq,
            ..
        } = ip.l4
        else {
            return false;
        };
        if !self.cfg.answers_icmp_echo() {
            return false;
        }
        let frame = &local.frame;
        out.hop(frame.probe, &frame.bytes, |_| {
            Action::Delivered(Delivery::IcmpEcho)
        });
        let payload = frame
            .bytes
            .get(ip.segment().start + 8..ip.segment().end)
            .unwrap_or_default()
            .to_vec();
        self.send_ip(Some(ip.dst), ip.src, frame.probe, out, |h| {
            wire::icmp_echo(h, true, id, seq, &payload)
        });
        true
    }

    /// Answers a packet that could not be delivered or forwarded with an ICMP error.
    pub fn icmp_error(
        &mut self,
        in_port: PortId,
        original: &Frame,
        view: &View,
        kind: IcmpError,
        out: &mut Outbox,
    ) {
        self.icmp_error_from(Some(in_port), original, view, kind, out);
    }

    pub(super) fn icmp_error_from(
        &mut self,
        in_port: Option<PortId>,
        original: &Frame,
        view: &View,
        kind: IcmpError,
        out: &mut Outbox,
    ) {
        if !self.cfg.icmp_errors || original.bytes.is_empty() {
            return;
        }
        let Some(ip) = view.ip else {
            return;
        };
        // Never answer an ICMP error with another one.
        if ip.quoted().is_some() {
            return;
        }
        let src = in_port
            .and_then(|p| iface(self.cfg, p))
            .and_then(|i| i.addr)
            .map(|a| a.ip());
        let bytes = original.bytes.clone();
        self.send_ip(src, ip.src, original.probe, out, |h| match kind {
            IcmpError::NetUnreachable => wire::icmp_unreachable(h, 0, 0, &bytes),
            IcmpError::HostUnreachable => wire::icmp_unreachable(h, 1, 0, &bytes),
            IcmpError::PortUnreachable => wire::icmp_unreachable(h, 3, 0, &bytes),
            IcmpError::AdminProhibited => wire::icmp_unreachable(h, 13, 0, &bytes),
            IcmpError::TimeExceeded => wire::icmp_time_exceeded(h, &bytes),
            IcmpError::FragmentationNeeded { mtu } => wire::icmp_unreachable(h, 4, mtu, &bytes),
            IcmpError::ReassemblyTimeExceeded => wire::icmp_reassembly_time_exceeded(h, &bytes),
        });
    }

    /// Answers a packet a rule rejected. Out of line: it keeps `passed`, which every packet
    /// goes through, small.
    #[cold]
    #[inline(never)]
    fn reject(
        &mut self,
        how: Reject,
        in_port: Option<PortId>,
        frame: &Frame,
        view: &View,
        out: &mut Outbox,
    ) {
        let kind = match how {
            Reject::IcmpNetUnreachable => IcmpError::NetUnreachable,
            Reject::IcmpHostUnreachable => IcmpError::HostUnreachable,
            Reject::IcmpPortUnreachable => IcmpError::PortUnreachable,
            Reject::IcmpAdminProhibited => IcmpError::AdminProhibited,
            Reject::TcpReset => {
                self.tcp_reset(frame, view, out);
                return;
            }
        };
        self.icmp_error_from(in_port, frame, view, kind, out);
    }

    /// Answers a TCP segment with RST, as a stack does when nothing listens.
    pub fn tcp_reset(&mut self, frame: &Frame, view: &View, out: &mut Outbox) {
        let Some(ip) = view.ip else {
            return;
        };
        let L4::Tcp {
            sport,
            dport,
            seq,
            flags,
            ..
        } = ip.l4
        else {
            return;
        };
        if flags.rst {
            return;
        }
        let ack = seq.wrapping_add(1);
        self.send_ip(Some(ip.dst), ip.src, frame.probe, out, |h| {
            wire::tcp_frame(h, dport, sport, 0, ack, wire::TcpFlags::RST_ACK, 65535)
        });
    }
}
