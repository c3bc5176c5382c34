//! A generic IPv4 stack: routers, outside hosts, a container host's own stack and each
//! container's.
//!
//! Split the way smoltcp splits a stack: the interface layer (`interface`: NIC filter, ARP,
//! routing, forwarding, the ruleset's hooks with connection tracking, ICMP, sending; VXLAN
//! interfaces in `vxlan`) and a set of sockets demultiplexed by bound port (`socket`: probe
//! clients, echo, TCP listeners, DNS, DHCP). What a stack does depends only on its
//! `StackConfig` and its `Ruleset`; it knows nothing of docker, HNS or an operating system.

pub mod arp;
mod bridge;
pub mod config;
pub mod interface;
pub mod names;
pub mod quiet;
mod reassembly;
pub mod socket;
#[cfg(test)]
mod tests;
mod vxlan;

pub use config::*;
pub use names::{LocalResolver, NameTable, ResolverTable, SharedNames};
pub use socket::dhcp::DhcpStatus;
pub use socket::probe;
pub use socket::Counters;

use super::conntrack::Conntrack;
use super::rules::Ruleset;
use super::{Frame, Outbox, Timer};
use crate::id::PortId;
use crate::time::SimDuration;
use crate::wire::{MacAddr, View, DHCP_CLIENT_PORT, IPPROTO_UDP};
use interface::{Interface, Local, NetState};
use socket::{dhcp, echo, relay, Sockets};
use std::net::Ipv4Addr;

/// `repr(C)`, and so are its parts but the configuration: each part begins with what a
/// packet reads (the ruleset's derived tables, the bound ports and echo client, the ARP
/// entries) and ends with what it seldom reads, so that a visit of a stack touches few
/// cache lines; at a thousand stacks each visit finds its stack evicted (issue 13).
///
/// Aligned to a cache line, so that where each part begins is where a line begins: the
/// ruleset's derived tables fill the first line exactly.
#[derive(Debug)]
#[repr(C, align(64))]
pub struct IpStack {
    /// What filters and translates packets at the hooks (a firewall, NAT), as the control
    /// plane compiled it.
    pub rules: Ruleset,
    sockets: Sockets,
    net: NetState,
    pub config: StackConfig,
}

impl IpStack {
    pub fn new(config: StackConfig) -> Self {
        IpStack {
            net: NetState::new(&config),
            config,
            rules: Ruleset::new(),
            sockets: Sockets::default(),
        }
    }

    /// The interface layer, borrowed with the socket set left free.
    fn split(&mut self) -> (Interface<'_>, &mut Sockets) {
        (
            Interface {
                cfg: &mut self.config,
                rules: &mut self.rules,
                st: &mut self.net,
            },
            &mut self.sockets,
        )
    }

    /// Forgets everything learned at run time (a reboot): ARP, connections, probes.
    pub fn reset_state(&mut self) {
        self.net.arp.clear();
        self.net.reassembly.clear();
        self.net.ct.clear();
        self.net.clear_loopback();
        self.sockets.reset();
    }

    /// Changes how the connection table behaves (it starts empty).
    pub fn set_conntrack(&mut self, profile: super::conntrack::Profile) {
        self.config.conntrack = profile;
        self.net.ct = Conntrack::new(profile);
    }

    /// The connection table, for listings and tests.
    pub fn conntrack(&self) -> &Conntrack {
        &self.net.ct
    }

    /// The connection table, for a control plane that flushes what it took away.
    pub fn conntrack_mut(&mut self) -> &mut Conntrack {
        &mut self.net.ct
    }

    /// The neighbour (ARP) cache, for `ip neigh`.
    pub fn neighbours(&self) -> Vec<(PortId, Ipv4Addr, arp::Entry)> {
        self.net.arp.entries()
    }

    /// Addresses the ARP cache is resolving (`INCOMPLETE`): (port, address).
    pub fn net_pending(&self) -> Vec<(PortId, Ipv4Addr)> {
        self.net
            .arp
            .pending
            .iter()
            .map(|p| (p.port, p.ip))
            .collect()
    }

    /// What the stack's bridges learned and still know at `now`: (bridge, MAC, port).
    pub fn fdb(&self, now: crate::time::SimTime) -> Vec<(PortId, MacAddr, PortId)> {
        self.net
            .fdb
            .learned(now, |b| self.iface(b).and_then(|i| i.bridge))
    }

    pub fn counters(&self) -> Counters {
        self.sockets.counters()
    }

    /// The echo clients, in the order they were started.
    pub fn apps(&self) -> Vec<echo::EchoApp> {
        self.sockets.apps.iter().collect()
    }

    // ----- configuration helpers used by the control plane -----

    /// Adds an interface and returns the port it is plugged into.
    pub fn add_iface(&mut self, iface: IfaceConfig) -> PortId {
        self.config.push_iface(iface)
    }

    /// Interface `port` came up with its address and its cable: the stack announces the
    /// address to its neighbours if its configuration says so (`NeighborConfig::announce`).
    /// The announcement is a timer due now, so that what else already happens at this
    /// instant keeps its place.
    pub fn iface_up(&mut self, port: PortId, out: &mut Outbox) {
        if self.config.neighbor.announce {
            out.timer(out.now, Timer::Announce { port });
        }
    }

    /// Removes an interface with its routes, ARP entries and what its bridge learned on it
    /// (the kernel flushes a deleted bridge port's fdb entries, `br_fdb_delete_by_port`).
    pub fn remove_iface(&mut self, port: PortId) {
        if let Some(slot) = self.config.ifaces_mut().get_mut(port.0 as usize) {
            *slot = None;
        }
        self.config.routes_mut().retain(|r| r.iface != port);
        self.net.arp.forget_port(port);
        self.net.fdb.forget_port(port);
    }

    pub fn iface(&self, port: PortId) -> Option<&IfaceConfig> {
        interface::iface(&self.config, port)
    }

    /// Interface `port`, to change; the stack's index of its own addresses follows.
    pub fn iface_mut(&mut self, port: PortId) -> Option<IfaceMut<'_>> {
        self.config.iface_mut(port)
    }

    pub fn iface_by_name(&self, name: &str) -> Option<PortId> {
        self.config
            .ifaces()
            .iter()
            .position(|i| i.as_ref().is_some_and(|i| i.name == name))
            .map(|i| PortId(i as u16))
    }

    pub fn iface_name(&self, port: PortId) -> String {
        interface::iface_name(&self.config, port)
    }

    /// The first interface address, used as "the address of this node".
    pub fn primary_addr(&self) -> Option<Ipv4Addr> {
        self.config
            .ifaces()
            .iter()
            .flatten()
            .find_map(|i| i.addr.map(|a| a.ip()))
    }

    pub fn is_local(&self, ip: Ipv4Addr) -> bool {
        self.config.is_local(ip)
    }

    /// Longest-prefix match over connected and static routes: the outgoing port and next hop.
    pub fn route(&self, dst: Ipv4Addr) -> Option<(PortId, Ipv4Addr)> {
        interface::route(&self.config, dst)
    }

    // ----- input -----

    pub fn handle_frame(&mut self, port: PortId, frame: Frame, out: &mut Outbox) {
        // A DHCP client without an address takes its server's answers before anything else
        // (Windows' "Core Networking - DHCP-In" rule lets them in).
        if self.sockets.has_dhcp_clients() && self.dhcp_client_takes(port, &frame, out) {
            return;
        }
        let (mut net, sockets) = self.split();
        net.input(port, frame, out, |net, local, out| {
            sockets.deliver(net, local, out)
        });
        self.drain_loopback(out);
    }

    /// Whether a DHCP client of the stack took `frame`, an answer of its server. Out of
    /// line: a stack that never started a client does not ask, and inlined, its parse and
    /// view made every frame's visit save and set up a larger stack frame (issue 13).
    #[inline(never)]
    fn dhcp_client_takes(&mut self, port: PortId, frame: &Frame, out: &mut Outbox) -> bool {
        let (mut net, sockets) = self.split();
        let ours = interface::iface(net.cfg, port).map(|i| i.mac);
        let Some(view) = View::parse(&frame.bytes) else {
            return false;
        };
        let to_client = view.ip.and_then(|i| i.ports()).map(|(_, d)| d) == Some(DHCP_CLIENT_PORT)
            && view.ip.is_some_and(|i| i.proto == IPPROTO_UDP);
        let for_us = view.dst.is_multicast() || Some(view.dst) == ours;
        to_client
            && for_us
            && dhcp::client_input(&mut sockets.dhcp, &mut net, port, frame, &view, out)
    }

    /// What this stack ignores of a flooded ARP request, summarised for the engine
    /// (`quiet`); `None` when no summary can be made.
    pub fn quiet_filter(&self) -> Option<quiet::QuietFilter> {
        quiet::QuietFilter::of(&self.config, &self.net.arp, self.net.has_loopback())
    }

    /// Whether handling `frame` on `port` would leave the stack as it is and send nothing
    /// because it is a flooded ARP request the stack ignores (`Interface::ignores_arp`, and
    /// nothing waiting in the loopback). What a [`quiet::QuietFilter`] must imply.
    pub fn ignores_flooded_arp(&mut self, port: PortId, frame: &Frame) -> bool {
        if self.net.has_loopback() {
            return false;
        }
        let (net, _) = self.split();
        interface::iface(net.cfg, port).is_some_and(|ifc| {
            // An untagged frame (`ignores_arp` takes ARP's EtherType only), on a plain
            // interface: what `Interface::input` tests before it.
            ifc.master.is_none() && ifc.vxlan.is_none() && net.ignores_arp(port, ifc.addr, frame)
        })
    }

    /// Delivers what the stack sent to itself while handling the current input. Inlined, a
    /// flag's test: nearly always nothing waits, and the call cost more than the test.
    #[inline(always)]
    fn drain_loopback(&mut self, out: &mut Outbox) {
        if self.net.has_loopback() {
            self.deliver_loopback(out);
        }
    }

    /// [`IpStack::drain_loopback`] when something waits.
    #[inline(never)]
    fn deliver_loopback(&mut self, out: &mut Outbox) {
        // Bounded: each delivery may answer, but an answer to an answer ends (ICMP errors are
        // never answered, and services answer requests only).
        for _ in 0..64 {
            let Some((frame, mut view, passage)) = self.net.pop_loopback() else {
                return;
            };
            let (mut net, sockets) = self.split();
            if let Some(local) = net.loopback_input(frame, &mut view, passage, out) {
                sockets.deliver(&mut net, local, out);
            }
        }
    }

    /// Out of line: inlined into the engine's `fire` (which LLVM chose once `send_ip` read
    /// the source MAC from the index), it cost some 35 instructions more an echo.
    #[inline(never)]
    pub fn handle_timer(&mut self, timer: Timer, out: &mut Outbox) {
        let (mut net, sockets) = self.split();
        match timer {
            Timer::ArpRetry { port, ip } => net.arp_retry(port, ip, out),
            Timer::ProbeTimeout(id) => probe::timeout(sockets, id, out),
            Timer::AppTick(i) => echo::app_tick(sockets, &mut net, i, out),
            Timer::DhcpRetry { port, generation } => {
                dhcp::timer(&mut sockets.dhcp, &mut net, port, generation, out)
            }
            Timer::ArpProbe { port, ip } => net.arp_probe(port, ip, out),
            Timer::Reassembly { src, ident } => net.reassembly_timeout(src, ident, out),
            Timer::Announce { port } => net.announce(port, out),
            Timer::RelayIdle { port } => relay::idle_check(sockets, port, out),
        }
        self.drain_loopback(out);
    }

    // ----- sockets -----

    /// Starts a probe now. Its end arrives through `Outbox::end_probe`.
    pub fn start_probe(&mut self, req: probe::ProbeRequest, out: &mut Outbox) {
        let (mut net, sockets) = self.split();
        probe::start(sockets, &mut net, req, out);
        self.drain_loopback(out);
    }

    /// Adds a UDP echo client and starts it at `out.now + delay`.
    pub fn start_echo_app(
        &mut self,
        dst: Ipv4Addr,
        port: u16,
        count: u32,
        interval: SimDuration,
        delay: SimDuration,
        out: &mut Outbox,
    ) {
        let (mut net, sockets) = self.split();
        echo::start_app(sockets, &mut net, dst, port, count, interval, delay, out);
    }

    /// Starts a DHCP exchange on `port` now: sends DISCOVER and arms the retry timer.
    pub fn start_dhcp(&mut self, port: PortId, out: &mut Outbox) {
        let (mut net, sockets) = self.split();
        sockets.start_dhcp(&mut net, port, out);
    }

    /// Starts DHCP on every interface listed in `StackConfig::dhcp_client`.
    pub fn start_dhcp_clients(&mut self, out: &mut Outbox) {
        for port in self.config.dhcp_client.clone() {
            self.start_dhcp(port, out);
        }
    }

    /// Where the DHCP exchange on `port` stands, if one was started.
    pub fn dhcp_status(&self, port: PortId) -> Option<DhcpStatus> {
        dhcp::status(&self.sockets.dhcp, port)
    }

    /// Whether `port` got its address by DHCP.
    pub fn dhcp_bound(&self, port: PortId) -> bool {
        matches!(self.dhcp_status(port), Some(DhcpStatus::Bound { .. }))
    }

    /// The DHCP server's bindings (not pending offers), by address.
    pub fn dhcp_leases(&self) -> Vec<(MacAddr, Ipv4Addr)> {
        dhcp::leases(&self.sockets.dhcp)
    }
}

impl Local<'_> {
    /// The interface the packet arrived on.
    pub fn port(&self) -> PortId {
        self.port
    }
}
