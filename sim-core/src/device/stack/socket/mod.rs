//! The sockets of an IP stack: the programs that send and receive above the interface layer.
//!
//! Owns the socket set and the table of bound ports that demultiplexes arriving packets:
//! probe clients (`probe`), the benchmark's echo clients and UDP echo services (`echo`), TCP
//! listeners (`tcp`), a DNS server, Docker's embedded resolver and its upstream relays
//! (`dns`), the resolver on a loopback address of the stack itself (`resolver`), DHCP clients
//! and servers (`dhcp`), and user-space relays such as docker-proxy (`relay`). Dynamic sockets
//! (a probe's ephemeral port, an echo client, a relayed query, a relay's connection to its
//! target) bind their port here; services come from the
//! stack's configuration and are found by their well-known port. Whatever nothing claims is
//! answered the way a kernel answers it (RST, ICMP port unreachable).

pub mod dhcp;
pub mod dns;
pub mod echo;
pub mod probe;
pub mod relay;
pub mod resolver;
pub mod tcp;

use super::interface::{Interface, Local};
use crate::device::small_map::SmallMap;
use crate::device::Outbox;
use crate::id::ProbeId;
use crate::wire::{IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, L4, VXLAN_PORT};

/// Counters the benchmark and tests read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub udp_echoes_served: u64,
    pub app_replies: u64,
}

/// What a bound port belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketRef {
    Probe(ProbeId),
    App(u32),
    Relay,
    /// A relay's own end of a connection it opened to its target (`relay`).
    Proxy,
}

/// Ports bound by dynamic sockets: (IP protocol, local port) to the socket. ICMP echo binds
/// its identifier. Two inline (`SmallMap`): an echo client binds one port, and every packet
/// for the stack looks here; two leave room for the counters and flags in the same line.
#[derive(Debug, Default)]
pub struct Binds(SmallMap<(u8, u16), SocketRef, 2>);

impl Binds {
    pub fn bind(&mut self, proto: u8, port: u16, socket: SocketRef) {
        self.0.insert((proto, port), socket);
    }
    pub fn unbind(&mut self, proto: u8, port: u16) {
        self.0.remove(&(proto, port));
    }
    #[inline]
    pub fn get(&self, proto: u8, port: u16) -> Option<SocketRef> {
        self.0.get(&(proto, port)).copied()
    }
    /// An ephemeral port nothing has bound for `proto`, from the stack's rotating counter.
    pub fn ephemeral(&self, net: &mut Interface, proto: u8) -> u16 {
        let range = net.cfg.ephemeral_ports;
        for _ in 0..16_384 {
            let p = net.st.next_ephemeral(range);
            if !self.0.contains_key(&(proto, p)) {
                return p;
            }
        }
        net.st.next_ephemeral(range)
    }
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// `repr(C)`, aligned to a cache line: what every packet reads first, in two lines (the
/// bound ports, the echoes served, whether relays' connections or DHCP clients exist, and
/// what an echo for the first echo client reads of it; the echo clients), then the echo's
/// kept headers (a line each), the rest after (issue 13: a visit of a stack reads as few
/// of its lines as it can; an echo client's answer reads only the first).
#[derive(Debug, Default)]
#[repr(C, align(64))]
pub struct Sockets {
    pub(super) binds: Binds,
    /// UDP echo requests the stack's echo service answered.
    udp_echoes_served: u64,
    /// Whether `proxies` holds connections: every datagram no socket bound asks. Kept in
    /// step by `add_proxy`, `remove_proxy` and `reset`, `proxies`' only writers.
    proxying: bool,
    /// Whether a DHCP client exchange was ever started (`dhcp.has_clients()`): every frame
    /// asks. Set by `start_dhcp`, the only way a client is added.
    dhcp_clients: bool,
    /// Its first 8 bytes (the first client's destination and echo count) end the first line.
    pub apps: echo::Apps,
    /// The headers of the last UDP echo request and answer the stack sent, which the next
    /// ones repeat but for the identifier (`wire::UdpHeaders`).
    pub(super) sent_udp: echo::SentUdp,
    proxies: Vec<relay::RelayConn>,
    pub(super) dhcp: dhcp::DhcpState,
    pub(super) probes: Vec<probe::ProbeClient>,
    pub(super) relays: Vec<dns::ForwardedQuery>,
    /// How many multi-address answers the local resolver has shuffled (its draw number).
    pub(super) resolver_draws: u64,
}

impl Sockets {
    /// The counters: the echoes served, and the echo clients' answers (their sum).
    pub fn counters(&self) -> Counters {
        Counters {
            udp_echoes_served: self.udp_echoes_served,
            app_replies: self.apps.iter().map(|a| u64::from(a.replies)).sum(),
        }
    }

    /// Forgets every connection and exchange (a reboot). Echo clients and counters stay.
    pub fn reset(&mut self) {
        self.probes.clear();
        self.relays.clear();
        self.proxies.clear();
        self.proxying = false;
        self.binds.clear();
        for (i, a) in self.apps.iter().enumerate() {
            self.binds
                .bind(IPPROTO_UDP, a.sport, SocketRef::App(i as u32));
        }
    }

    /// Whether relays have connections open (`proxies` is not empty).
    #[inline]
    pub(super) fn has_proxies(&self) -> bool {
        debug_assert_eq!(self.proxying, !self.proxies.is_empty());
        self.proxying
    }

    /// A relay's new connection.
    pub(super) fn add_proxy(&mut self, conn: relay::RelayConn) {
        self.proxies.push(conn);
        self.proxying = true;
    }

    /// Takes relay connection `i` away (the last one takes its place).
    pub(super) fn remove_proxy(&mut self, i: usize) -> relay::RelayConn {
        let conn = self.proxies.swap_remove(i);
        self.proxying = !self.proxies.is_empty();
        conn
    }

    /// Whether a DHCP client exchange was ever started here.
    #[inline]
    pub fn has_dhcp_clients(&self) -> bool {
        debug_assert_eq!(self.dhcp_clients, self.dhcp.has_clients());
        self.dhcp_clients
    }

    /// Starts a DHCP exchange on `port` now (`dhcp::start`).
    pub fn start_dhcp(&mut self, net: &mut Interface, port: crate::id::PortId, out: &mut Outbox) {
        dhcp::start(&mut self.dhcp, net, port, out);
        self.dhcp_clients = self.dhcp.has_clients();
    }

    /// Hands a packet for the stack to the socket bound to its port, or to the service or
    /// kernel answer its port calls for.
    pub fn deliver(&mut self, net: &mut Interface, local: Local, out: &mut Outbox) {
        // Read in place: the view is the input path's.
        let view = local.view;
        let Some(ip) = &view.ip else {
            return;
        };
        let bound = match ip.l4 {
            L4::Icmp {
                quoted: Some(q), ..
            } => self.binds.get(q.proto, q.sport),
            L4::Icmp {
                icmp_type: 0, id, ..
            } => self.binds.get(IPPROTO_ICMP, id),
            L4::Udp { dport, .. } => self.binds.get(IPPROTO_UDP, dport),
            L4::Tcp { dport, .. } => self.binds.get(IPPROTO_TCP, dport),
            _ => None,
        };
        let taken = match bound {
            Some(SocketRef::Probe(id)) => probe::input(self, id, net, &local, out),
            Some(SocketRef::App(i)) => echo::app_input(self, i, &local),
            Some(SocketRef::Relay) => dns::relay_input(self, net, &local, out),
            Some(SocketRef::Proxy) => relay::target_input(self, net, &local, out),
            None => relay::listener_input(self, net, &local, out),
        };
        if taken {
            local.frame.consumed();
            return;
        }
        match ip.l4 {
            L4::Icmp { .. } => {
                net.echo_reply(&local, out);
            }
            L4::Udp { dport, .. } => self.udp_service(net, dport, local, out),
            L4::Tcp { .. } => tcp::input(net, &local, out),
            L4::Other => {}
        }
    }

    /// UDP for a service of the stack's configuration, or nobody (port unreachable).
    fn udp_service(&mut self, net: &mut Interface, dport: u16, local: Local, out: &mut Outbox) {
        if dport == VXLAN_PORT && net.vxlan_decap(&local.frame, out) {
            return;
        }
        if dport == crate::wire::DHCP_SERVER_PORT && net.cfg.services().dhcp_server.is_some() {
            dhcp::server_input(self, net, local.port, &local.frame, out);
            return;
        }
        if dport == crate::wire::DNS_PORT && dns::server_input(self, net, &local, out) {
            return;
        }
        if resolver::input(self, net, dport, &local, out) {
            return;
        }
        echo::service_input(self, net, dport, local, out);
    }
}
