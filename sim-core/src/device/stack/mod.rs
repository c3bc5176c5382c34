//! A generic IPv4 stack: routers, outside hosts, a Windows host's default compartment and each
//! container compartment.
//!
//! Owns ARP, longest-prefix routing, forwarding between interfaces (as configured), the NAT
//! table, the inbound firewall, local services and probe clients. What it does depends only on
//! its `StackConfig`; it knows nothing of docker or HNS.

pub mod apps;
mod arp;
pub mod config;
pub mod dhcp;
mod firewall;
pub(crate) mod nat;
pub mod probe;
mod services;
mod vtep;

pub use config::*;

use super::{DropReason, Frame, HopAction, Outbox};
use crate::id::{PortId, ProbeId};
use crate::time::SimDuration;
use crate::wire::{self, IpHeader, MacAddr};
use arp::ArpCache;
use firewall::{FlowState, Verdict};
use nat::{Egress, NatTable};
use std::net::Ipv4Addr;

/// Timer token kinds (top byte of the token).
const TIMER_ARP: u64 = 1 << 56;
const TIMER_PROBE: u64 = 2 << 56;
const TIMER_APP: u64 = 3 << 56;
const TIMER_DHCP: u64 = 4 << 56;
const TIMER_KIND: u64 = 0xff << 56;

const ARP_RETRY: SimDuration = SimDuration::from_secs(1);

#[derive(Debug)]
pub struct IpStack {
    pub config: StackConfig,
    arp: ArpCache,
    nat: NatTable,
    flows: FlowState,
    probes: Vec<probe::ProbeClient>,
    pub apps: Vec<apps::EchoApp>,
    pending_dns: Vec<services::ForwardedQuery>,
    dhcp: dhcp::DhcpState,
    next_ephemeral: u16,
    next_ident: u16,
    pub counters: Counters,
}

/// Counters the benchmark and tests read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub udp_echoes_served: u64,
    pub app_replies: u64,
}

impl IpStack {
    pub fn new(config: StackConfig) -> Self {
        IpStack {
            config,
            arp: ArpCache::default(),
            nat: NatTable::default(),
            flows: FlowState::default(),
            probes: Vec::new(),
            apps: Vec::new(),
            pending_dns: Vec::new(),
            dhcp: dhcp::DhcpState::default(),
            next_ephemeral: 49152,
            next_ident: 1,
            counters: Counters::default(),
        }
    }

    /// Forgets everything learned at run time (a reboot): ARP, NAT sessions, flows, probes.
    pub fn reset_state(&mut self) {
        self.arp.clear();
        self.nat.clear();
        self.flows.clear();
        self.probes.clear();
        self.pending_dns.clear();
    }

    // ----- configuration helpers used by the control plane -----

    /// Adds an interface and returns the port it is plugged into.
    pub fn add_iface(&mut self, iface: IfaceConfig) -> PortId {
        self.config.ifaces.push(Some(iface));
        PortId((self.config.ifaces.len() - 1) as u16)
    }

    /// Removes an interface with its routes, ARP entries and forwarding rules.
    pub fn remove_iface(&mut self, port: PortId) {
        if let Some(slot) = self.config.ifaces.get_mut(port.0 as usize) {
            *slot = None;
        }
        self.config.routes.retain(|r| r.iface != port);
        if let Forwarding::Rules { rules, .. } = &mut self.config.forwarding {
            rules.retain(|r| r.from != port && r.to != port);
        }
        if let Some(nat) = &mut self.config.nat {
            nat.outside_ifaces.retain(|p| *p != port);
        }
        self.arp.forget_port(port);
    }

    pub fn iface(&self, port: PortId) -> Option<&IfaceConfig> {
        self.config
            .ifaces
            .get(port.0 as usize)
            .and_then(Option::as_ref)
    }

    pub fn iface_by_name(&self, name: &str) -> Option<PortId> {
        self.config
            .ifaces
            .iter()
            .position(|i| i.as_ref().is_some_and(|i| i.name == name))
            .map(|i| PortId(i as u16))
    }

    pub fn iface_name(&self, port: PortId) -> String {
        self.iface(port)
            .map(|i| i.name.clone())
            .unwrap_or_else(|| format!("if{}", port.0))
    }

    /// The first interface address, used as "the address of this node".
    pub fn primary_addr(&self) -> Option<Ipv4Addr> {
        self.config
            .ifaces
            .iter()
            .flatten()
            .find_map(|i| i.addr.map(|a| a.ip()))
    }

    pub fn is_local(&self, ip: Ipv4Addr) -> bool {
        ip.is_loopback()
            || self
                .config
                .ifaces
                .iter()
                .flatten()
                .any(|i| i.addr.is_some_and(|a| a.ip() == ip))
    }

    fn is_iface_addr(&self, port: PortId, ip: Ipv4Addr) -> bool {
        self.iface(port)
            .and_then(|i| i.addr)
            .is_some_and(|a| a.ip() == ip)
    }

    /// Longest-prefix match over connected and static routes: the outgoing port and next hop.
    pub fn route(&self, dst: Ipv4Addr) -> Option<(PortId, Ipv4Addr)> {
        let mut best: Option<(u8, PortId, Ipv4Addr)> = None;
        for (i, iface) in self.config.ifaces.iter().enumerate() {
            if let Some(net) = iface.as_ref().and_then(|i| i.addr) {
                if net.contains(dst) && best.is_none_or(|b| net.prefix() > b.0) {
                    best = Some((net.prefix(), PortId(i as u16), dst));
                }
            }
        }
        for r in &self.config.routes {
            if r.dest.contains(dst)
                && best.is_none_or(|b| r.dest.prefix() > b.0)
                && self.iface(r.iface).is_some()
            {
                best = Some((r.dest.prefix(), r.iface, r.via.unwrap_or(dst)));
            }
        }
        best.map(|(_, p, nh)| (p, nh))
    }

    fn next_ephemeral(&mut self) -> u16 {
        let p = self.next_ephemeral;
        self.next_ephemeral = if p == u16::MAX { 49152 } else { p + 1 };
        p
    }

    fn header(&mut self, port: PortId, src: Ipv4Addr, dst: Ipv4Addr) -> IpHeader {
        let mac = self.iface(port).map(|i| i.mac).unwrap_or_default();
        self.next_ident = self.next_ident.wrapping_add(1);
        IpHeader {
            src_mac: mac,
            dst_mac: MacAddr::zero(),
            src,
            dst,
            ttl: self.config.default_ttl,
            ident: self.next_ident,
        }
    }

    // ----- input -----

    pub fn handle_frame(&mut self, port: PortId, frame: Frame, out: &mut Outbox) {
        let Some(iface) = self.iface(port) else {
            out.drop_frame(&frame, || DropReason::Unplugged {
                port: format!("if{}", port.0),
            });
            return;
        };
        let Some(dst) = wire::eth_dst(&frame.bytes) else {
            out.drop_frame(&frame, || DropReason::Malformed {
                what: "short Ethernet header".into(),
            });
            return;
        };
        let iface_mac = iface.mac;
        let frame = if self.config.vteps.is_empty() {
            frame
        } else {
            match self.vtep_input(port, frame, out) {
                Some(f) => f,
                None => return,
            }
        };
        // The NIC filter: frames for other MACs (flooded copies) are not ours and not a drop.
        if dst != iface_mac && !dst.is_multicast() {
            return;
        }
        match wire::ethertype(&frame.bytes) {
            Some(wire::ETHERTYPE_ARP) => self.arp_input(port, frame, out),
            Some(wire::ETHERTYPE_IPV4) => self.ip_input(port, frame, out),
            _ => {}
        }
    }

    pub fn handle_timer(&mut self, token: u64, out: &mut Outbox) {
        let payload = token & !TIMER_KIND;
        match token & TIMER_KIND {
            TIMER_ARP => self.arp_retry(
                PortId((payload >> 32) as u16),
                Ipv4Addr::from(payload as u32),
                out,
            ),
            TIMER_PROBE => self.probe_timeout(ProbeId(payload as u32), out),
            TIMER_APP => self.app_tick(payload as usize, out),
            TIMER_DHCP => self.dhcp_timer(payload, out),
            _ => {}
        }
    }

    fn arp_input(&mut self, port: PortId, frame: Frame, out: &mut Outbox) {
        let Some(arp) = wire::arp_info(&frame.bytes) else {
            out.drop_frame(&frame, || DropReason::Malformed {
                what: "bad ARP packet".into(),
            });
            return;
        };
        let Some(iface) = self.iface(port).cloned() else {
            return;
        };
        let ours = iface.addr.is_some_and(|a| a.ip() == arp.target_ip);
        if ours || self.arp.lookup(port, arp.sender_ip).is_some() {
            self.arp.learn(port, arp.sender_ip, arp.sender_mac);
        }
        if arp.op == wire::ArpOp::Request && ours {
            let reply = wire::arp_reply(iface.mac, arp.target_ip, arp.sender_mac, arp.sender_ip);
            let reply = Frame::new(reply, frame.probe);
            out.hop(reply.probe, &reply.bytes, || HopAction::Arp {
                iface: iface.name.clone(),
                detail: format!(
                    "{} is-at {} (answering {})",
                    arp.target_ip, iface.mac, arp.sender_ip
                ),
            });
            out.send(port, reply);
        } else if arp.op == wire::ArpOp::Reply {
            out.hop(frame.probe, &frame.bytes, || HopAction::Arp {
                iface: iface.name.clone(),
                detail: format!("learned {} is-at {}", arp.sender_ip, arp.sender_mac),
            });
        }
        for mut waiting in self.arp.take_waiting(port, arp.sender_ip) {
            wire::set_eth_dst(&mut waiting.bytes, arp.sender_mac);
            out.send(port, waiting);
        }
    }

    fn ip_input(&mut self, port: PortId, mut frame: Frame, out: &mut Outbox) {
        let Some(mut ip) = wire::ipv4_info(&frame.bytes) else {
            out.drop_frame(&frame, || DropReason::Malformed {
                what: "bad IPv4 header".into(),
            });
            return;
        };
        let mut translated = false;
        if let Some(nat_cfg) = &self.config.nat {
            if nat_cfg.outside_ifaces.contains(&port) && self.is_iface_addr(port, ip.dst) {
                if let Some(t) = self.nat.inbound(nat_cfg, out.now, &mut frame.bytes) {
                    translated = true;
                    out.hop(frame.probe, &frame.bytes, || {
                        t.into_hop(&nat_cfg.name, &self.nat)
                    });
                    match wire::ipv4_info(&frame.bytes) {
                        Some(i) => ip = i,
                        None => return,
                    }
                }
            }
        }
        if self.is_local(ip.dst) && self.config.nat.as_ref().is_some_and(|n| n.local_hairpin) {
            // Perhaps a container answering the host's own connection to a published port.
            if let Some(t) = self.nat.hairpin_reply(out.now, &mut frame.bytes) {
                let table = self
                    .config
                    .nat
                    .as_ref()
                    .map(|n| n.name.as_str())
                    .unwrap_or_default();
                out.hop(frame.probe, &frame.bytes, || t.into_hop(table, &self.nat));
                match wire::ipv4_info(&frame.bytes) {
                    Some(i) => ip = i,
                    None => return,
                }
            }
        }
        if self.dhcp_client_input(port, &frame, &ip, out) {
            return;
        }
        if self.is_local(ip.dst) || ip.dst.is_broadcast() {
            self.local_input(port, frame, ip, out);
        } else {
            self.forward(port, frame, ip.dst, translated, out);
        }
    }

    fn forward(
        &mut self,
        in_port: PortId,
        mut frame: Frame,
        dst: Ipv4Addr,
        translated: bool,
        out: &mut Outbox,
    ) {
        if self.config.forwarding == Forwarding::Off {
            out.drop_frame(&frame, || DropReason::ForwardingDisabled);
            return;
        }
        let Some((out_port, next_hop)) = self.route(dst) else {
            out.drop_frame(&frame, || DropReason::NoRoute { dst });
            self.icmp_error(in_port, &frame, IcmpError::NetUnreachable, out);
            return;
        };
        if let Forwarding::Rules { rules, refusal } = &self.config.forwarding {
            let pair = rules
                .iter()
                .filter(|r| r.from == in_port && r.to == out_port);
            let mut refused: Option<&String> = None;
            let mut allowed = false;
            for r in pair {
                match &r.verdict {
                    ForwardVerdict::Allow => allowed = true,
                    ForwardVerdict::AllowTranslated => allowed |= translated,
                    ForwardVerdict::Refuse(why) => refused = refused.or(Some(why)),
                }
            }
            if !allowed {
                out.drop_frame(&frame, || DropReason::ForwardingNotAllowed {
                    from_iface: self.iface_name(in_port),
                    to_iface: self.iface_name(out_port),
                    why: refused.unwrap_or(refusal).clone(),
                });
                return;
            }
        }
        match wire::decrement_ttl(&mut frame.bytes) {
            Some(0) | None => {
                out.drop_frame(&frame, || DropReason::TtlExpired);
                self.icmp_error(in_port, &frame, IcmpError::TimeExceeded, out);
                return;
            }
            Some(_) => {}
        }
        out.hop(frame.probe, &frame.bytes, || HopAction::Routed {
            from_iface: self.iface_name(in_port),
            to_iface: self.iface_name(out_port),
            next_hop,
        });
        if let Some(nat_cfg) = &self.config.nat {
            if nat_cfg.outside_ifaces.contains(&out_port)
                && !nat_cfg.outside_ifaces.contains(&in_port)
            {
                let outside_ip = self.iface(out_port).and_then(|i| i.addr).map(|a| a.ip());
                if let Some(outside_ip) = outside_ip {
                    match self
                        .nat
                        .outbound(nat_cfg, out.now, outside_ip, &mut frame.bytes)
                    {
                        Egress::Translated(t) => {
                            out.hop(frame.probe, &frame.bytes, || {
                                t.into_hop(&nat_cfg.name, &self.nat)
                            });
                        }
                        Egress::NotInside => {}
                        Egress::NoRule { instance } => {
                            out.drop_frame(&frame, || {
                                nat::no_icmp_rule(nat::VFP_OUTBOUND_NAT, &instance, dst)
                            });
                            return;
                        }
                        Egress::Exhausted => {
                            let table = nat_cfg.name.clone();
                            out.drop_frame(&frame, || DropReason::NatPortsExhausted { table });
                            return;
                        }
                    }
                }
            }
        }
        if let Some(mac) = self.iface(out_port).map(|i| i.mac) {
            wire::set_eth_src(&mut frame.bytes, mac);
        }
        self.transmit(out_port, next_hop, frame, out);
    }

    /// Sends an IP frame out of `port` towards `next_hop`, resolving its MAC first if needed.
    fn transmit(&mut self, port: PortId, next_hop: Ipv4Addr, mut frame: Frame, out: &mut Outbox) {
        if !self.config.vteps.is_empty() {
            match self.vtep_transmit(port, next_hop, frame, out) {
                Some(f) => frame = f,
                None => return,
            }
        }
        let is_broadcast = next_hop.is_broadcast()
            || self
                .iface(port)
                .and_then(|i| i.addr)
                .is_some_and(|a| a.prefix() < 31 && a.broadcast() == next_hop);
        if is_broadcast {
            wire::set_eth_dst(&mut frame.bytes, MacAddr::broadcast());
            out.send(port, frame);
            return;
        }
        if let Some(mac) = self.arp.lookup(port, next_hop) {
            wire::set_eth_dst(&mut frame.bytes, mac);
            out.send(port, frame);
            return;
        }
        if let Some(p) = self
            .arp
            .pending
            .iter_mut()
            .find(|p| p.port == port && p.ip == next_hop)
        {
            if p.frames.len() >= arp::MAX_WAITING {
                out.drop_frame(&frame, || DropReason::ArpQueueFull { ip: next_hop });
            } else {
                p.frames.push(frame);
            }
            return;
        }
        let probe = frame.probe;
        self.arp.pending.push(arp::Pending {
            port,
            ip: next_hop,
            frames: vec![frame],
            tries: 1,
        });
        self.send_arp_request(port, next_hop, probe, out);
    }

    fn send_arp_request(
        &mut self,
        port: PortId,
        ip: Ipv4Addr,
        probe: Option<ProbeId>,
        out: &mut Outbox,
    ) {
        let Some(iface) = self.iface(port) else {
            return;
        };
        let src_ip = iface.addr.map(|a| a.ip()).unwrap_or(Ipv4Addr::UNSPECIFIED);
        let req = Frame::new(wire::arp_request(iface.mac, src_ip, ip), probe);
        out.hop(probe, &req.bytes, || HopAction::Arp {
            iface: iface.name.clone(),
            detail: format!("who-has {ip} tell {src_ip}"),
        });
        out.send(port, req);
        out.timer(
            out.now + ARP_RETRY,
            TIMER_ARP | (u64::from(port.0) << 32) | u64::from(u32::from(ip)),
        );
    }

    fn arp_retry(&mut self, port: PortId, ip: Ipv4Addr, out: &mut Outbox) {
        let Some(i) = self
            .arp
            .pending
            .iter()
            .position(|p| p.port == port && p.ip == ip)
        else {
            return;
        };
        if self.arp.pending[i].tries < arp::MAX_TRIES {
            self.arp.pending[i].tries += 1;
            let probe = self.arp.pending[i].frames.iter().find_map(|f| f.probe);
            self.send_arp_request(port, ip, probe, out);
            return;
        }
        let pending = self.arp.pending.swap_remove(i);
        let iface = self.iface_name(port);
        for f in pending.frames {
            out.drop_frame(&f, || DropReason::ArpUnresolved {
                ip,
                iface: iface.clone(),
            });
        }
    }

    /// Sends a packet this stack originates. `build` receives the header (source address
    /// chosen by the route unless `src` is given) and returns the frame bytes.
    fn send_ip(
        &mut self,
        src: Option<Ipv4Addr>,
        dst: Ipv4Addr,
        probe: Option<ProbeId>,
        out: &mut Outbox,
        build: impl FnOnce(&IpHeader) -> Vec<u8>,
    ) -> bool {
        let own = self
            .is_local(dst)
            .then(|| self.config.ifaces.iter().position(Option::is_some))
            .flatten();
        let Some((port, next_hop)) = own
            .map(|i| (PortId(i as u16), dst))
            .or_else(|| self.route(dst))
        else {
            if probe.is_some() {
                let stub = Frame::new(Vec::new(), probe);
                out.drop_frame(&stub, || DropReason::NoRoute { dst });
            }
            return false;
        };
        let src = src
            .or_else(|| dst.is_loopback().then_some(dst))
            .or_else(|| self.iface(port).and_then(|i| i.addr).map(|a| a.ip()))
            .unwrap_or(Ipv4Addr::UNSPECIFIED);
        let header = self.header(port, src, dst);
        let frame = Frame::new(build(&header), probe);
        if self.is_local(dst) {
            out.hop(probe, &frame.bytes, || HopAction::Sent {
                iface: "loopback".into(),
            });
            self.loopback(port, frame, out);
            return true;
        }
        if let Some(fw) = &self.config.firewall {
            // Only remember flows whose replies the firewall would otherwise judge.
            let proto = wire::ipv4_info(&frame.bytes).map_or(0, |i| i.proto);
            if firewall::needs_state(fw, proto) {
                if let Some(flow) = wire::flow_key(&frame.bytes) {
                    self.flows.outbound(flow);
                }
            }
        }
        out.hop(probe, &frame.bytes, || HopAction::Sent {
            iface: self.iface_name(port),
        });
        self.transmit(port, next_hop, frame, out);
        true
    }

    /// Delivers a packet the stack sent to itself. Where the host reaches its own published
    /// ports (1803 and later), WinNAT's static mappings apply first, and the container sees the
    /// host vNIC as the source.
    fn loopback(&mut self, port: PortId, mut frame: Frame, out: &mut Outbox) {
        if let Some(nat_cfg) = self.config.nat.as_ref().filter(|n| n.local_hairpin) {
            if let Some(t) = self.nat.inbound(nat_cfg, out.now, &mut frame.bytes) {
                let to = t.after;
                let via = self
                    .route(*to.ip())
                    .and_then(|(p, _)| self.iface(p))
                    .and_then(|i| i.addr)
                    .map(|a| a.ip());
                let outside = nat_cfg.outside_ifaces.first().copied();
                if let (Some(via), Some(outside)) = (via, outside) {
                    self.nat.hairpin(&t, via, &mut frame.bytes);
                    let table = nat_cfg.name.clone();
                    out.hop(frame.probe, &frame.bytes, || t.into_hop(&table, &self.nat));
                    self.forward(outside, frame, *to.ip(), true, out);
                    return;
                }
            }
        }
        if let Some(ip) = wire::ipv4_info(&frame.bytes) {
            self.local_input(port, frame, ip, out);
        }
    }

    /// Answers a packet that could not be delivered or forwarded with an ICMP error.
    fn icmp_error(&mut self, in_port: PortId, original: &Frame, kind: IcmpError, out: &mut Outbox) {
        if !self.config.icmp_errors || original.bytes.is_empty() {
            return;
        }
        let Some(info) = wire::ipv4_info(&original.bytes) else {
            return;
        };
        // Never answer an ICMP error with another one.
        if info.proto == wire::IPPROTO_ICMP
            && wire::icmp_error_quoted_flow(&original.bytes).is_some()
        {
            return;
        }
        let src = self.iface(in_port).and_then(|i| i.addr).map(|a| a.ip());
        let bytes = original.bytes.clone();
        self.send_ip(src, info.src, original.probe, out, |h| match kind {
            IcmpError::NetUnreachable => wire::icmp_unreachable(h, 0, 0, &bytes),
            IcmpError::PortUnreachable => wire::icmp_unreachable(h, 3, 0, &bytes),
            IcmpError::TimeExceeded => wire::icmp_time_exceeded(h, &bytes),
        });
    }

    fn local_input(&mut self, port: PortId, frame: Frame, ip: wire::Ipv4Info, out: &mut Outbox) {
        let flow = match &self.config.firewall {
            Some(fw) if firewall::needs_state(fw, ip.proto) => wire::flow_key(&frame.bytes),
            _ => None,
        };
        if let (Some(fw), Some(flow)) = (&self.config.firewall, flow) {
            match self.flows.check(fw, flow) {
                Verdict::Pass => {}
                Verdict::AllowedBy(rule) => {
                    let firewall = fw.name.clone();
                    out.hop(frame.probe, &frame.bytes, || HopAction::Allowed {
                        firewall,
                        rule,
                    });
                }
                Verdict::BlockedBy(rule) => {
                    let firewall = fw.name.clone();
                    out.drop_frame(&frame, || DropReason::Firewall { firewall, rule });
                    return;
                }
            }
        }
        if self.probe_input(&frame, &ip, out) {
            return;
        }
        match ip.proto {
            wire::IPPROTO_ICMP => self.icmp_input(frame, ip, out),
            wire::IPPROTO_UDP => self.udp_input(port, frame, ip, out),
            wire::IPPROTO_TCP => self.tcp_input(frame, ip, out),
            _ => {}
        }
    }

    /// Whether this stack translates anything (for reports).
    pub fn nat_sessions(&self) -> usize {
        self.nat.len()
    }
}

/// The ICMP errors a stack sends.
#[derive(Clone, Copy, Debug)]
enum IcmpError {
    NetUnreachable,
    PortUnreachable,
    TimeExceeded,
}
