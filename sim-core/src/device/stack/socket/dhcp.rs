//! DHCP (RFC 2131) on an IP stack: a server that hands out addresses from a pool, and a
//! client that gets an interface's address, default route and DNS servers from one.
//!
//! Both speak real DHCP messages (`wire::dhcp`) on one L2 segment; relays are not modelled.
//!
//! * **Server** (`Services::dhcp_server`): answers DISCOVER with OFFER and REQUEST with ACK or
//!   NAK, on each interface whose subnet holds the pool's first address (the interface address
//!   is the server identifier). Bindings are keyed by client MAC, one address per MAC and one
//!   MAC per address. A new client gets the address it asked for if that is free, else the
//!   lowest free one. The pool skips the server's own addresses, the router and the subnet's
//!   network and broadcast addresses. An offer holds its address for `OFFER_HOLD`; a binding
//!   holds it for the rest of the run (leases are not renewed, so none expires). With no free
//!   address the server stays silent, as real servers do.
//! * **Client** (`StackConfig::dhcp_client`, started by `IpStack::start_dhcp`): broadcasts
//!   DISCOVER with the BROADCAST flag (as Windows does), takes the first OFFER, broadcasts
//!   REQUEST, and on ACK sets the interface address, adds a default route via the first router
//!   if the stack has none, and appends the DNS servers. A NAK starts over with DISCOVER.
//!   Retries back off 1, 2, 4 and 8 s; after `MAX_DISCOVERS` DISCOVERs (and up to
//!   `MAX_REQUESTS` REQUESTs per offer) without an answer the client gives up, so every
//!   exchange ends. There is no renewal (T1/T2) and no release. A stack with
//!   `link_local_fallback` then takes an IPv4 link-local address (RFC 3927, `link_local`);
//!   it does not go on asking in the background. An address the client gets is announced
//!   (`NeighborConfig::announce`).
//! * Messages for a client in progress are taken before the firewall and before routing (a
//!   client without an address must accept them, and Windows' built-in "Core Networking -
//!   DHCP-In" rule lets them in). Messages for the server go through the normal UDP path.
//!
//! Retry timers carry a generation number: a timer whose client has moved on is ignored.

use super::Sockets;
use crate::device::action::{Action, Delivery, DhcpClientEvent, DhcpServerEvent};
use crate::device::stack::config::{DhcpServerConfig, Route, StackConfig};
use crate::device::stack::interface::{iface, iface_name, is_local, Interface};
use crate::device::{DropReason, Frame, Outbox, Timer};
use crate::id::{PortId, ProbeId};
use crate::time::{SimDuration, SimTime};
use crate::wire::{self, DhcpMessage, DhcpMessageType, MacAddr, View, L4};
use ipnetwork::Ipv4Network;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// DISCOVERs a client sends before it gives up.
pub const MAX_DISCOVERS: u8 = 4;
/// REQUESTs a client sends for one offer before it starts over.
pub const MAX_REQUESTS: u8 = 4;
/// The first retry delay; each further try doubles it.
const FIRST_RETRY: SimDuration = SimDuration::from_secs(1);
/// How long an unanswered offer reserves its address.
pub const OFFER_HOLD: SimDuration = SimDuration::from_secs(60);

/// Where a client's exchange stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DhcpStatus {
    /// DISCOVER sent, waiting for an offer.
    Selecting,
    /// REQUEST sent for `offered` to `server`, waiting for ACK or NAK.
    Requesting { offered: Ipv4Addr, server: Ipv4Addr },
    /// The interface holds `addr` from `server`.
    Bound {
        addr: Ipv4Network,
        server: Ipv4Addr,
        lease_secs: Option<u32>,
    },
    /// No usable answer after every retry.
    GaveUp,
    /// No usable answer after every retry: the interface took this link-local address.
    LinkLocal(Ipv4Network),
}

impl DhcpStatus {
    fn in_progress(self) -> bool {
        matches!(self, DhcpStatus::Selecting | DhcpStatus::Requesting { .. })
    }
}

/// One interface's client exchange.
#[derive(Clone, Debug)]
struct Client {
    port: PortId,
    xid: u32,
    discovers: u8,
    requests: u8,
    /// The generation of the retry timer that is still meaningful.
    generation: u64,
    status: DhcpStatus,
}

/// One address the server handed out (or offered) to one MAC.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Lease {
    mac: MacAddr,
    ip: Ipv4Addr,
    bound: bool,
    offered_at: SimTime,
}

/// The stack's DHCP run-time state: client exchanges and server bindings.
/// `repr(C)`: `clients` first, whose emptiness every frame the stack takes reads.
#[derive(Debug, Default)]
#[repr(C)]
pub struct DhcpState {
    clients: Vec<Client>,
    leases: Vec<Lease>,
    next_generation: u64,
}

impl DhcpState {
    /// Whether a client exchange was ever started here.
    pub fn has_clients(&self) -> bool {
        !self.clients.is_empty()
    }

    fn generation(&mut self) -> u64 {
        // 40 bits fit in the timer token beside the port.
        self.next_generation = (self.next_generation + 1) & ((1 << 40) - 1);
        self.next_generation
    }

    /// Forgets offers nobody took up in time.
    fn expire_offers(&mut self, now: SimTime) {
        self.leases
            .retain(|l| l.bound || now < l.offered_at + OFFER_HOLD);
    }
}

/// The addresses of `cfg`'s pool that `net` can hand out, as a range of integers.
fn pool_range(cfg: &DhcpServerConfig, net: Ipv4Network) -> (u32, u32) {
    let (first, last) = (u32::from(net.network()), u32::from(net.broadcast()));
    let start = u32::from(cfg.pool_start).max(first);
    let end = u32::from(cfg.pool_end).min(last);
    (start, end)
}

/// The classful prefix, for an ACK without a subnet mask.
fn classful_prefix(ip: Ipv4Addr) -> u8 {
    match ip.octets()[0] {
        0..=127 => 8,
        128..=191 => 16,
        _ => 24,
    }
}

fn retry_delay(tries: u8) -> SimDuration {
    SimDuration::from_nanos(FIRST_RETRY.as_nanos() << tries.saturating_sub(1).min(16))
}

/// A transaction id that depends only on the MAC and the exchange.
fn xid_for(mac: MacAddr, generation: u64) -> u32 {
    let o = mac.octets();
    u32::from_be_bytes([o[2], o[3], o[4], o[5]]) ^ (generation as u32).wrapping_mul(0x9e37_79b9)
}

// ----- client -----

/// Starts a DHCP exchange on `port` now: sends DISCOVER and arms the retry timer. A running
/// or finished exchange on that port is replaced.
pub fn start(d: &mut DhcpState, net: &mut Interface, port: PortId, out: &mut Outbox) {
    let Some(mac) = iface(net.cfg, port).map(|i| i.mac) else {
        return;
    };
    let generation = d.generation();
    let client = Client {
        port,
        xid: xid_for(mac, generation),
        discovers: 1,
        requests: 0,
        generation,
        status: DhcpStatus::Selecting,
    };
    let i = match d.clients.iter().position(|c| c.port == port) {
        Some(i) => {
            d.clients[i] = client;
            i
        }
        None => {
            d.clients.push(client);
            d.clients.len() - 1
        }
    };
    client_send(d, net, i, out);
}

/// Where the DHCP exchange on `port` stands, if one was started.
pub fn status(d: &DhcpState, port: PortId) -> Option<DhcpStatus> {
    d.clients.iter().find(|c| c.port == port).map(|c| c.status)
}

/// Sends the message the client's state calls for and arms the retry timer.
fn client_send(d: &mut DhcpState, net: &mut Interface, i: usize, out: &mut Outbox) {
    let generation = d.generation();
    let c = &mut d.clients[i];
    c.generation = generation;
    let (port, xid, status) = (c.port, c.xid, c.status);
    let (msg_type, tries) = match status {
        DhcpStatus::Selecting => (DhcpMessageType::Discover, c.discovers),
        DhcpStatus::Requesting { .. } => (DhcpMessageType::Request, c.requests),
        DhcpStatus::Bound { .. } | DhcpStatus::GaveUp | DhcpStatus::LinkLocal(_) => return,
    };
    let Some(mac) = iface(net.cfg, port).map(|i| i.mac) else {
        return;
    };
    let mut m = DhcpMessage {
        broadcast: true,
        ..DhcpMessage::new(msg_type, xid, mac)
    };
    if let DhcpStatus::Requesting { offered, server } = status {
        m.requested_ip = Some(offered);
        m.server_id = Some(server);
    }
    let ident = net.st.next_ident();
    let frame = wire::dhcp_client_frame(&m, net.cfg.default_ttl(), ident);
    out.send(port, Frame::new(frame, None));
    out.timer(
        out.now + retry_delay(tries),
        Timer::DhcpRetry { port, generation },
    );
}

/// A client's retry timer: try again, fall back to DISCOVER, or give up.
pub fn timer(
    d: &mut DhcpState,
    net: &mut Interface,
    port: PortId,
    generation: u64,
    out: &mut Outbox,
) {
    let Some(i) = d
        .clients
        .iter()
        .position(|c| c.port == port && c.generation == generation)
    else {
        return;
    };
    let c = &mut d.clients[i];
    match c.status {
        DhcpStatus::Requesting { .. } if c.requests < MAX_REQUESTS => c.requests += 1,
        DhcpStatus::Selecting | DhcpStatus::Requesting { .. } if c.discovers < MAX_DISCOVERS => {
            c.discovers += 1;
            c.status = DhcpStatus::Selecting;
        }
        DhcpStatus::Selecting | DhcpStatus::Requesting { .. } => {
            give_up(d, net, i, out);
            return;
        }
        DhcpStatus::Bound { .. } | DhcpStatus::GaveUp | DhcpStatus::LinkLocal(_) => return,
    }
    client_send(d, net, i, out);
}

/// Takes a server message for a client exchange in progress on `port`. Returns false (and
/// leaves the frame alone) for anything else.
pub fn client_input(
    d: &mut DhcpState,
    net: &mut Interface,
    port: PortId,
    frame: &Frame,
    view: &View,
    out: &mut Outbox,
) -> bool {
    if d.clients.is_empty() || !matches!(view.ip.map(|i| i.l4), Some(L4::Udp { .. })) {
        return false;
    }
    let Some(i) = d
        .clients
        .iter()
        .position(|c| c.port == port && c.status.in_progress())
    else {
        return false;
    };
    let Some(mac) = iface(net.cfg, port).map(|i| i.mac) else {
        return false;
    };
    let Some(msg) = wire::dhcp_info(&frame.bytes) else {
        return false;
    };
    let c = &d.clients[i];
    if msg.msg_type.sent_by_client() || msg.xid != c.xid || msg.chaddr != mac {
        return false;
    }
    let name = iface_name(net.cfg, port);
    let said = |event| {
        move |syms: &mut crate::sym::Interner| {
            Action::Delivered(Delivery::DhcpClient {
                iface: syms.intern(&name),
                event,
            })
        }
    };
    match (c.status, msg.msg_type, msg.server_id) {
        (DhcpStatus::Selecting, DhcpMessageType::Offer, Some(server))
            if !msg.yiaddr.is_unspecified() =>
        {
            let addr = msg.yiaddr;
            out.hop(
                frame.probe,
                &frame.bytes,
                said(DhcpClientEvent::Offer { addr, server }),
            );
            let c = &mut d.clients[i];
            c.status = DhcpStatus::Requesting {
                offered: msg.yiaddr,
                server,
            };
            c.requests = 1;
            client_send(d, net, i, out);
        }
        (DhcpStatus::Requesting { offered, server }, DhcpMessageType::Ack, id)
            if id.is_none_or(|s| s == server) && msg.yiaddr == offered =>
        {
            let addr = bind(d, net.cfg, i, &msg, server).ip();
            out.hop(
                frame.probe,
                &frame.bytes,
                said(DhcpClientEvent::Bound { addr, server }),
            );
            net.announce(port, out);
        }
        (DhcpStatus::Requesting { server, .. }, DhcpMessageType::Nak, id)
            if id.is_none_or(|s| s == server) =>
        {
            out.hop(
                frame.probe,
                &frame.bytes,
                said(DhcpClientEvent::Nak { server }),
            );
            let c = &mut d.clients[i];
            if c.discovers < MAX_DISCOVERS {
                c.discovers += 1;
                c.status = DhcpStatus::Selecting;
                client_send(d, net, i, out);
            } else {
                give_up(d, net, i, out);
            }
        }
        _ => {
            out.hop(
                frame.probe,
                &frame.bytes,
                said(DhcpClientEvent::Ignored(msg.msg_type)),
            );
        }
    }
    true
}

/// The first and last addresses a host may take in 169.254/16 (RFC 3927 section 2.1: the
/// first and last /24 are reserved).
const LINK_LOCAL_FIRST: u32 = u32::from_be_bytes([169, 254, 1, 0]);
const LINK_LOCAL_LAST: u32 = u32::from_be_bytes([169, 254, 254, 255]);

/// The IPv4 link-local address of the interface with `mac`. RFC 3927 section 2.1 asks for a
/// pseudo-random choice seeded from the MAC, so that each host's choice is its own and the
/// same at every start; hnsim's is FNV-1a (32-bit) over the six MAC bytes, reduced to the
/// range, so runs are reproducible and independent of the scenario's seed.
pub fn link_local(mac: MacAddr) -> Ipv4Addr {
    let mut h: u32 = 0x811c_9dc5;
    for b in mac.octets() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    Ipv4Addr::from(LINK_LOCAL_FIRST + h % (LINK_LOCAL_LAST - LINK_LOCAL_FIRST + 1))
}

/// The client ran out of tries: it stays without an address, or takes its link-local one
/// and announces it when the stack falls back to one.
fn give_up(d: &mut DhcpState, net: &mut Interface, i: usize, out: &mut Outbox) {
    let port = d.clients[i].port;
    let mac = iface(net.cfg, port).map(|i| i.mac);
    let (Some(mac), true) = (mac, net.cfg.link_local_fallback) else {
        d.clients[i].status = DhcpStatus::GaveUp;
        return;
    };
    let addr = Ipv4Network::new(link_local(mac), 16).expect("a /16 is a valid prefix");
    if let Some(Some(iface)) = net.cfg.ifaces_mut().get_mut(port.0 as usize) {
        iface.addr = Some(addr);
    }
    d.clients[i].status = DhcpStatus::LinkLocal(addr);
    net.announce(port, out);
}

/// Applies an ACK: interface address, default route, DNS servers. Returns the address.
fn bind(
    d: &mut DhcpState,
    cfg: &mut StackConfig,
    i: usize,
    ack: &DhcpMessage,
    server: Ipv4Addr,
) -> Ipv4Network {
    let ip = ack.yiaddr;
    let prefix = ack
        .subnet_mask
        .and_then(|m| Ipv4Network::with_netmask(ip, m).ok())
        .map_or_else(|| classful_prefix(ip), |n| n.prefix());
    let addr = Ipv4Network::new(ip, prefix).unwrap_or_else(|_| Ipv4Network::from(ip));
    let port = d.clients[i].port;
    if let Some(Some(iface)) = cfg.ifaces_mut().get_mut(port.0 as usize) {
        iface.addr = Some(addr);
    }
    let has_default = cfg.routes().iter().any(|r| r.dest.prefix() == 0);
    let default = Ipv4Network::new(Ipv4Addr::UNSPECIFIED, 0).ok();
    if let (Some(router), Some(dest), false) = (ack.routers.first(), default, has_default) {
        cfg.routes_mut().push(Route {
            dest,
            via: Some(*router),
            iface: port,
        });
    }
    for dns in &ack.dns {
        if !cfg.dns_servers.contains(dns) {
            cfg.dns_servers.push(*dns);
        }
    }
    d.clients[i].status = DhcpStatus::Bound {
        addr,
        server,
        lease_secs: ack.lease_secs,
    };
    addr
}

// ----- server -----

/// The server's bindings (not pending offers), by address.
pub fn leases(d: &DhcpState) -> Vec<(MacAddr, Ipv4Addr)> {
    let mut v: Vec<(MacAddr, Ipv4Addr)> = d
        .leases
        .iter()
        .filter(|l| l.bound)
        .map(|l| (l.mac, l.ip))
        .collect();
    v.sort_by_key(|(_, ip)| *ip);
    v
}

/// Whether the server may hand out `ip` on `net` (ignoring who holds it).
fn usable(stack: &StackConfig, cfg: &DhcpServerConfig, net: Ipv4Network, ip: Ipv4Addr) -> bool {
    let (start, end) = pool_range(cfg, net);
    let n = u32::from(ip);
    let edge = net.prefix() < 31 && (ip == net.network() || ip == net.broadcast());
    (start..=end).contains(&n) && !edge && Some(ip) != cfg.router && !is_local(stack, ip)
}

/// The address to offer `mac`: its binding, else the address it asked for if free, else the
/// lowest free address. Records the offer.
fn offer(
    d: &mut DhcpState,
    stack: &StackConfig,
    cfg: &DhcpServerConfig,
    net: Ipv4Network,
    mac: MacAddr,
    requested: Option<Ipv4Addr>,
    now: SimTime,
) -> Option<Ipv4Addr> {
    if let Some(l) = d.leases.iter_mut().find(|l| l.mac == mac) {
        if !l.bound {
            l.offered_at = now;
        }
        return Some(l.ip);
    }
    let taken: BTreeSet<Ipv4Addr> = d.leases.iter().map(|l| l.ip).collect();
    let free = |ip: Ipv4Addr| usable(stack, cfg, net, ip) && !taken.contains(&ip);
    let (start, end) = pool_range(cfg, net);
    let ip = requested
        .filter(|r| free(*r))
        .or_else(|| (start..=end).map(Ipv4Addr::from).find(|ip| free(*ip)))?;
    d.leases.push(Lease {
        mac,
        ip,
        bound: false,
        offered_at: now,
    });
    Some(ip)
}

/// Binds `want` to `mac` if that is `mac`'s offer or binding, or a free address.
fn commit(
    d: &mut DhcpState,
    stack: &StackConfig,
    cfg: &DhcpServerConfig,
    net: Ipv4Network,
    mac: MacAddr,
    want: Ipv4Addr,
    now: SimTime,
) -> bool {
    if let Some(l) = d.leases.iter_mut().find(|l| l.mac == mac) {
        if l.ip == want {
            l.bound = true;
        }
        return l.ip == want;
    }
    let taken = d.leases.iter().any(|l| l.ip == want);
    if taken || !usable(stack, cfg, net, want) {
        return false;
    }
    d.leases.push(Lease {
        mac,
        ip: want,
        bound: true,
        offered_at: now,
    });
    true
}

/// A client message to UDP 67 on a stack with a DHCP server.
pub fn server_input(
    s: &mut Sockets,
    net: &mut Interface,
    port: PortId,
    frame: &Frame,
    out: &mut Outbox,
) {
    let d = &mut s.dhcp;
    let Some(cfg) = net.cfg.services().dhcp_server.clone() else {
        return;
    };
    let msg = match wire::udp_payload(&frame.bytes).map(wire::dhcp_parse) {
        Some(Ok(m)) => m,
        Some(Err(e)) => {
            out.drop_frame(frame, |syms| DropReason::Malformed {
                what: syms.intern(&format!("DHCP message: {e}")),
            });
            return;
        }
        None => return,
    };
    let found = iface(net.cfg, port).and_then(|i| {
        let n = i.addr.filter(|n| n.contains(cfg.pool_start))?;
        Some((i.mac, n))
    });
    let Some((mac, subnet)) = found else {
        let name = iface_name(net.cfg, port);
        out.hop(frame.probe, &frame.bytes, |syms| {
            Action::Delivered(Delivery::DhcpServer(DhcpServerEvent::NoPool {
                iface: syms.intern(&name),
            }))
        });
        return;
    };
    d.expire_offers(out.now);
    let server = subnet.ip();
    let said = |e| move |_: &mut crate::sym::Interner| Action::Delivered(Delivery::DhcpServer(e));
    let mut reply = DhcpMessage {
        server_id: Some(server),
        ..DhcpMessage::new(DhcpMessageType::Nak, msg.xid, msg.chaddr)
    };
    let client = msg.chaddr;
    match msg.msg_type {
        DhcpMessageType::Discover => {
            let Some(ip) = offer(d, net.cfg, &cfg, subnet, client, msg.requested_ip, out.now)
            else {
                out.hop(
                    frame.probe,
                    &frame.bytes,
                    said(DhcpServerEvent::NoFreeAddress { mac: client }),
                );
                return;
            };
            out.hop(
                frame.probe,
                &frame.bytes,
                said(DhcpServerEvent::Offering { ip, mac: client }),
            );
            reply.msg_type = DhcpMessageType::Offer;
            fill_lease(&mut reply, &cfg, ip);
        }
        DhcpMessageType::Request => {
            if let Some(other) = msg.server_id.filter(|s| *s != server) {
                // The client took another server's offer: release ours.
                d.leases.retain(|l| l.mac != client || l.bound);
                out.hop(
                    frame.probe,
                    &frame.bytes,
                    said(DhcpServerEvent::ChoseOther {
                        mac: client,
                        server: other,
                    }),
                );
                return;
            }
            let want = msg.requested_ip.unwrap_or(msg.ciaddr);
            if commit(d, net.cfg, &cfg, subnet, client, want, out.now) {
                out.hop(
                    frame.probe,
                    &frame.bytes,
                    said(DhcpServerEvent::Binding {
                        ip: want,
                        mac: client,
                    }),
                );
                reply.msg_type = DhcpMessageType::Ack;
                fill_lease(&mut reply, &cfg, want);
            } else {
                out.hop(
                    frame.probe,
                    &frame.bytes,
                    said(DhcpServerEvent::NotYours {
                        ip: want,
                        mac: client,
                    }),
                );
            }
        }
        t => {
            out.hop(frame.probe, &frame.bytes, said(DhcpServerEvent::Ignored(t)));
            return;
        }
    }
    server_send(net, port, mac, server, &msg, reply, frame.probe, out);
}

/// Sends a server message: broadcast when the client asked for it (or for a NAK), else
/// unicast to the client's hardware address.
#[allow(clippy::too_many_arguments)]
fn server_send(
    net: &mut Interface,
    port: PortId,
    mac: MacAddr,
    server: Ipv4Addr,
    request: &DhcpMessage,
    mut reply: DhcpMessage,
    probe: Option<ProbeId>,
    out: &mut Outbox,
) {
    reply.broadcast = request.broadcast;
    reply.giaddr = request.giaddr;
    let (dst, dst_mac) = if reply.msg_type == DhcpMessageType::Nak || request.broadcast {
        (Ipv4Addr::BROADCAST, MacAddr::broadcast())
    } else if !request.ciaddr.is_unspecified() {
        (request.ciaddr, request.chaddr)
    } else {
        (reply.yiaddr, request.chaddr)
    };
    let mut h = net.header(port, server, dst);
    h.src_mac = mac;
    h.dst_mac = dst_mac;
    let frame = Frame::new(wire::dhcp_frame(&h, &reply), probe);
    out.hop(probe, &frame.bytes, |syms| Action::Sent {
        iface: syms.intern(&iface_name(net.cfg, port)),
        tag: None,
    });
    out.send(port, frame);
}

/// The address and the options of an OFFER or ACK.
fn fill_lease(reply: &mut DhcpMessage, cfg: &DhcpServerConfig, ip: Ipv4Addr) {
    reply.yiaddr = ip;
    reply.lease_secs = Some(cfg.lease_secs);
    reply.subnet_mask = Ipv4Network::new(Ipv4Addr::UNSPECIFIED, cfg.prefix)
        .ok()
        .map(|n| n.mask());
    reply.routers = cfg.router.into_iter().collect();
    reply.dns = cfg.dns.clone();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::stack::{IfaceConfig, IpStack, StackConfig};
    use crate::device::switch::{PortMode, Switch, SwitchConfig, UnknownUnicast};
    use crate::device::Device;
    use crate::engine::link::LinkParams;
    use crate::engine::{Engine, Limits};
    use crate::id::NodeId;
    use crate::topology::{NodeInfo, NodeKind};
    use proptest::prelude::*;

    const SERVER_MAC: MacAddr = MacAddr(0x02, 0, 0, 0, 0, 1);

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().expect("test address")
    }

    fn client_mac(i: usize) -> MacAddr {
        MacAddr(0x00, 0x15, 0x5d, 0, (i >> 8) as u8, i as u8)
    }

    struct Lan {
        eng: Engine,
        server: NodeId,
        clients: Vec<NodeId>,
    }

    fn plug(eng: &mut Engine, sw: NodeId, node: NodeId, name: &str) {
        let port = eng
            .device_mut(sw)
            .and_then(Device::as_switch_mut)
            .expect("switch")
            .add_port(name, PortMode::Access(1));
        eng.connect(
            format!("{name}<->lan"),
            (node, PortId(0)),
            (sw, port),
            LinkParams::internal(),
            false,
        );
    }

    /// A fabric switch with a DHCP server on 10.0.0.1/24 (router 10.0.0.1, DNS 10.0.0.53)
    /// serving `pool`, and `n` clients that have no address yet.
    fn lan(pool: (&str, &str), n: usize) -> Lan {
        let mut eng = Engine::new(1, Limits::default());
        let sw = eng.add_node(
            NodeInfo {
                name: "lan".into(),
                kind: NodeKind::FabricSwitch,
                host: None,
            },
            Device::Switch(Box::new(Switch::new(SwitchConfig::new(
                "lan",
                true,
                UnknownUnicast::Flood,
            )))),
        );
        let mut cfg = StackConfig::new("dhcpd", 64);
        cfg.ifaces_mut().push(Some(IfaceConfig::ethernet(
            "eth0",
            SERVER_MAC,
            Some("10.0.0.1/24".parse().expect("net")),
        )));
        cfg.services_mut().icmp_echo = true;
        cfg.services_mut().dhcp_server = Some(DhcpServerConfig {
            router: Some(ip("10.0.0.1")),
            dns: vec![ip("10.0.0.53")],
            ..DhcpServerConfig::new(ip(pool.0), ip(pool.1), 24)
        });
        let server = eng.add_node(
            NodeInfo {
                name: "dhcpd".into(),
                kind: NodeKind::Router,
                host: None,
            },
            Device::Stack(Box::new(IpStack::new(cfg))),
        );
        plug(&mut eng, sw, server, "dhcpd");
        let clients = (0..n)
            .map(|i| {
                let name = format!("c{i}");
                let mut cfg = StackConfig::new(&name, 128);
                cfg.ifaces_mut()
                    .push(Some(IfaceConfig::ethernet("Ethernet", client_mac(i), None)));
                cfg.dhcp_client = vec![PortId(0)];
                let node = eng.add_node(
                    NodeInfo {
                        name: name.clone(),
                        kind: NodeKind::External,
                        host: None,
                    },
                    Device::Stack(Box::new(IpStack::new(cfg))),
                );
                plug(&mut eng, sw, node, &name);
                node
            })
            .collect();
        Lan {
            eng,
            server,
            clients,
        }
    }

    fn stack(eng: &Engine, node: NodeId) -> &IpStack {
        eng.device(node).and_then(Device::as_stack).expect("stack")
    }

    fn start(eng: &mut Engine, node: NodeId) {
        eng.invoke(node, |d, out| {
            d.as_stack_mut().expect("stack").start_dhcp_clients(out)
        });
    }

    /// Runs until nothing is left to do; panics if that takes more than a simulated minute.
    fn run_to_end(eng: &mut Engine) {
        eng.run_for(SimDuration::from_secs(60));
        assert_eq!(eng.pending_events(), 0, "the exchange must end");
    }

    fn addr_of(eng: &Engine, node: NodeId) -> Option<Ipv4Network> {
        stack(eng, node).iface(PortId(0)).and_then(|i| i.addr)
    }

    #[test]
    fn client_binds_first_pool_address_with_route_and_dns() {
        let Lan {
            mut eng,
            server,
            clients,
        } = lan(("10.0.0.100", "10.0.0.199"), 1);
        start(&mut eng, clients[0]);
        run_to_end(&mut eng);
        let c = stack(&eng, clients[0]);
        assert!(c.dhcp_bound(PortId(0)));
        assert_eq!(
            c.dhcp_status(PortId(0)),
            Some(DhcpStatus::Bound {
                addr: "10.0.0.100/24".parse().expect("net"),
                server: ip("10.0.0.1"),
                lease_secs: Some(86_400),
            })
        );
        assert_eq!(
            addr_of(&eng, clients[0]),
            Some("10.0.0.100/24".parse().expect("net"))
        );
        assert_eq!(c.route(ip("8.8.8.8")), Some((PortId(0), ip("10.0.0.1"))));
        assert_eq!(c.config.dns_servers, vec![ip("10.0.0.53")]);
        assert_eq!(
            stack(&eng, server).dhcp_leases(),
            vec![(client_mac(0), ip("10.0.0.100"))]
        );
        // DISCOVER, OFFER, REQUEST, ACK; nothing dropped (the switch floods to no one else).
        assert_eq!(eng.stats.frames_dropped, 0);
    }

    #[test]
    fn the_bound_address_works() {
        use crate::device::stack::probe::{ProbeProto, ProbeRequest, ProbeTarget};
        use crate::device::Outcome;
        let Lan {
            mut eng, clients, ..
        } = lan(("10.0.0.100", "10.0.0.199"), 1);
        start(&mut eng, clients[0]);
        run_to_end(&mut eng);
        let id = ProbeId(7);
        eng.invoke(clients[0], |d, out| {
            d.as_stack_mut().expect("stack").start_probe(
                ProbeRequest {
                    id,
                    target: ProbeTarget::Addr(ip("10.0.0.1")),
                    proto: ProbeProto::Icmp,
                    timeout: SimDuration::from_secs(2),
                    dns_server: None,
                },
                out,
            )
        });
        eng.run_for(SimDuration::from_secs(5));
        let end = eng.ended().iter().find(|e| e.probe == id).expect("ended");
        assert_eq!(end.outcome, Outcome::Delivered, "{}", end.detail);
    }

    #[test]
    fn second_client_gets_the_next_address() {
        let Lan {
            mut eng,
            server,
            clients,
        } = lan(("10.0.0.100", "10.0.0.199"), 2);
        start(&mut eng, clients[0]);
        run_to_end(&mut eng);
        start(&mut eng, clients[1]);
        run_to_end(&mut eng);
        assert_eq!(
            addr_of(&eng, clients[0]),
            Some("10.0.0.100/24".parse().expect("net"))
        );
        assert_eq!(
            addr_of(&eng, clients[1]),
            Some("10.0.0.101/24".parse().expect("net"))
        );
        assert_eq!(stack(&eng, server).dhcp_leases().len(), 2);
        // Asking again gives the same address back.
        start(&mut eng, clients[0]);
        run_to_end(&mut eng);
        assert_eq!(
            addr_of(&eng, clients[0]),
            Some("10.0.0.100/24".parse().expect("net"))
        );
        assert_eq!(stack(&eng, server).dhcp_leases().len(), 2);
    }

    #[test]
    fn nak_starts_over_and_the_client_binds_elsewhere() {
        let Lan {
            mut eng,
            server,
            clients,
        } = lan(("10.0.0.100", "10.0.0.199"), 1);
        start(&mut eng, clients[0]);
        // Stop once the client has sent its REQUEST for the offer.
        eng.run_until(SimTime(60_000_000_000), |e| {
            matches!(
                stack(e, clients[0]).dhcp_status(PortId(0)),
                Some(DhcpStatus::Requesting { .. })
            )
        });
        // Meanwhile someone else got that address bound: the server must NAK the REQUEST.
        let s = eng
            .device_mut(server)
            .and_then(Device::as_stack_mut)
            .expect("server");
        s.sockets.dhcp.leases = vec![Lease {
            mac: client_mac(42),
            ip: ip("10.0.0.100"),
            bound: true,
            offered_at: SimTime::ZERO,
        }];
        run_to_end(&mut eng);
        assert_eq!(
            addr_of(&eng, clients[0]),
            Some("10.0.0.101/24".parse().expect("net"))
        );
        assert_eq!(
            stack(&eng, server).dhcp_leases(),
            vec![
                (client_mac(42), ip("10.0.0.100")),
                (client_mac(0), ip("10.0.0.101"))
            ]
        );
    }

    #[test]
    fn a_client_firewall_does_not_block_its_own_dhcp() {
        use crate::device::rules::{Hook, Policy, TableKind};
        let Lan {
            mut eng, clients, ..
        } = lan(("10.0.0.100", "10.0.0.199"), 1);
        let c = eng
            .device_mut(clients[0])
            .and_then(Device::as_stack_mut)
            .expect("client");
        c.rules.ensure_table("fw", TableKind::Filter);
        let block = Policy::Drop("default inbound: block all".into());
        c.rules
            .ensure_base_chain("fw", "INPUT", Hook::Input, block)
            .expect("a chain");
        start(&mut eng, clients[0]);
        run_to_end(&mut eng);
        assert!(stack(&eng, clients[0]).dhcp_bound(PortId(0)));
    }

    #[test]
    fn pool_skips_server_and_router_addresses() {
        let Lan {
            mut eng, clients, ..
        } = lan(("10.0.0.0", "10.0.0.3"), 2);
        for &c in &clients {
            start(&mut eng, c);
        }
        run_to_end(&mut eng);
        let got: Vec<_> = clients.iter().map(|&c| addr_of(&eng, c)).collect();
        assert_eq!(
            got,
            vec![
                Some("10.0.0.2/24".parse().expect("net")),
                Some("10.0.0.3/24".parse().expect("net"))
            ]
        );
    }

    #[test]
    fn a_client_without_a_lease_falls_back_to_its_link_local_address_and_announces_it() {
        let Lan {
            mut eng, clients, ..
        } = lan(("10.0.0.100", "10.0.0.100"), 2);
        eng.record_frames(true);
        for &c in &clients {
            eng.device_mut(c)
                .and_then(Device::as_stack_mut)
                .expect("stack")
                .config
                .link_local_fallback = true;
        }
        start(&mut eng, clients[0]);
        start(&mut eng, clients[1]);
        eng.run_for(SimDuration::from_secs(60));
        assert!(stack(&eng, clients[0]).dhcp_bound(PortId(0)));
        // The loser's address depends on its MAC only (RFC 3927 2.1), inside 169.254.1.0 -
        // 169.254.254.255, with a /16.
        let want = link_local(client_mac(1));
        let o = want.octets();
        assert!(
            o[0] == 169 && o[1] == 254 && (1..=254).contains(&o[2]),
            "{want}"
        );
        let addr: Ipv4Network = format!("{want}/16").parse().expect("net");
        assert_eq!(addr_of(&eng, clients[1]), Some(addr));
        assert_eq!(
            stack(&eng, clients[1]).dhcp_status(PortId(0)),
            Some(DhcpStatus::LinkLocal(addr))
        );
        // The two clients of this LAN pick different addresses, the same in every run.
        assert_ne!(link_local(client_mac(0)), want);
        assert_eq!(link_local(client_mac(1)), want);
        // Once it has one, the client announces it (the stack's configuration decides:
        // here none is sent) and it is usable on the link.
        let garps = |eng: &Engine| {
            eng.wire_frames()
                .iter()
                .filter_map(|f| wire::arp_info(&f.bytes))
                .filter(|a| a.sender_ip == want && a.target_ip == want)
                .count()
        };
        assert_eq!(garps(&eng), 0);
        let mut announcing = lan(("10.0.0.100", "10.0.0.99"), 1);
        let c = announcing.clients[0];
        announcing.eng.record_frames(true);
        let s = announcing
            .eng
            .device_mut(c)
            .and_then(Device::as_stack_mut)
            .expect("stack");
        s.config.link_local_fallback = true;
        s.config.neighbor.announce = true;
        start(&mut announcing.eng, c);
        announcing.eng.run_for(SimDuration::from_secs(60));
        let own = link_local(client_mac(0));
        let announced = announcing
            .eng
            .wire_frames()
            .iter()
            .filter_map(|f| wire::arp_info(&f.bytes))
            .any(|a| a.sender_ip == own && a.target_ip == own);
        assert!(announced, "a gratuitous ARP for {own}");
    }

    #[test]
    fn without_the_fallback_a_client_stays_without_an_address() {
        let Lan {
            mut eng, clients, ..
        } = lan(("10.0.0.100", "10.0.0.99"), 1);
        start(&mut eng, clients[0]);
        eng.run_for(SimDuration::from_secs(60));
        assert_eq!(addr_of(&eng, clients[0]), None);
        assert_eq!(
            stack(&eng, clients[0]).dhcp_status(PortId(0)),
            Some(DhcpStatus::GaveUp)
        );
    }

    #[test]
    fn exhausted_pool_leaves_the_second_client_unbound_and_the_run_ends() {
        let Lan {
            mut eng,
            server,
            clients,
        } = lan(("10.0.0.100", "10.0.0.100"), 2);
        start(&mut eng, clients[0]);
        start(&mut eng, clients[1]);
        eng.run_for(SimDuration::from_secs(60));
        assert_eq!(eng.pending_events(), 0, "the retries must end");
        assert!(stack(&eng, clients[0]).dhcp_bound(PortId(0)));
        let loser = stack(&eng, clients[1]);
        assert_eq!(loser.dhcp_status(PortId(0)), Some(DhcpStatus::GaveUp));
        assert_eq!(loser.iface(PortId(0)).and_then(|i| i.addr), None);
        assert!(loser.config.routes().is_empty());
        assert_eq!(stack(&eng, server).dhcp_leases().len(), 1);
        // The first DISCOVER at 0 s, retries at 1, 3 and 7 s, giving up at 15 s.
        assert!(eng.now() >= SimTime(15_000_000_000));
    }

    #[test]
    fn request_for_someone_elses_address_is_naked() {
        let Lan {
            mut eng,
            server,
            clients,
        } = lan(("10.0.0.100", "10.0.0.199"), 1);
        start(&mut eng, clients[0]);
        run_to_end(&mut eng);
        // A stranger asks for the bound address directly (INIT-REBOOT style).
        let stranger = client_mac(99);
        let req = DhcpMessage {
            requested_ip: Some(ip("10.0.0.100")),
            broadcast: true,
            ..DhcpMessage::new(DhcpMessageType::Request, 42, stranger)
        };
        let out = eng
            .invoke(server, |d, out| {
                let f = Frame::new(wire::dhcp_client_frame(&req, 128, 1), None);
                d.handle_frame(PortId(0), f, out);
                out.sends.clone()
            })
            .expect("server");
        let [(_, f)] = &out[..] else {
            panic!("one reply expected, got {out:?}")
        };
        let nak = wire::dhcp_info(&f.bytes).expect("dhcp");
        assert_eq!(nak.msg_type, DhcpMessageType::Nak);
        assert_eq!(wire::eth_dst(&f.bytes), Some(MacAddr::broadcast()));
        assert_eq!(
            stack(&eng, server).dhcp_leases(),
            vec![(client_mac(0), ip("10.0.0.100"))]
        );
    }

    #[test]
    fn traced_discover_records_server_hops() {
        let Lan {
            mut eng, server, ..
        } = lan(("10.0.0.100", "10.0.0.199"), 0);
        let d = DhcpMessage {
            broadcast: true,
            ..DhcpMessage::new(DhcpMessageType::Discover, 1, client_mac(5))
        };
        eng.invoke(server, |dev, out| {
            let f = Frame::new(wire::dhcp_client_frame(&d, 128, 1), Some(ProbeId(3)));
            dev.handle_frame(PortId(0), f, out);
        });
        let hops: Vec<String> = eng
            .trace()
            .iter()
            .map(|h| h.action.show(eng.syms()).to_string())
            .collect();
        assert_eq!(
            hops,
            [
                "delivered to DHCP server: offering 10.0.0.100 to 00:15:5d:00:00:05",
                "sent from eth0"
            ]
        );
        let offer = wire::parse(&eng.trace()[1].bytes).expect("parses");
        assert_eq!(
            offer.to_string(),
            "IP 10.0.0.1.67 > 255.255.255.255.68: DHCP OFFER xid 0x00000001 [B] \
             yiaddr 10.0.0.100 server 10.0.0.1 lease 86400s mask 255.255.255.0 \
             router 10.0.0.1 dns 10.0.0.53 chaddr 00:15:5d:00:00:05"
        );
    }

    #[test]
    fn retries_back_off_and_stop() {
        // No server on the segment: the DISCOVERs go out at 0, 1, 3 and 7 s, and the client
        // gives up when the last one has gone unanswered for 8 s.
        let mut l = lan(("10.0.0.100", "10.0.0.199"), 1);
        if let Some(s) = l.eng.device_mut(l.server).and_then(Device::as_stack_mut) {
            s.config.services_mut().dhcp_server = None;
        }
        let c = l.clients[0];
        start(&mut l.eng, c);
        let mut discovers = Vec::new();
        for ms in (0..=16_000).step_by(100) {
            l.eng.run_until(SimTime(ms * 1_000_000), |_| false);
            // The client's send, then the switch's a microsecond later.
            let sent = l.eng.stats.frames_sent.div_ceil(2);
            if discovers.len() < sent as usize {
                discovers.push(ms);
            }
            if ms == 14_900 {
                let s = stack(&l.eng, c).dhcp_status(PortId(0));
                assert_eq!(s, Some(DhcpStatus::Selecting));
            }
        }
        assert_eq!(discovers, vec![0, 1_000, 3_000, 7_000]);
        assert_eq!(
            stack(&l.eng, c).dhcp_status(PortId(0)),
            Some(DhcpStatus::GaveUp)
        );
        assert_eq!(l.eng.pending_events(), 0);
        // The server has no listener: each DISCOVER is dropped there, without an ICMP error.
        assert_eq!(l.eng.stats.frames_dropped, 4);
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24),
            .. ProptestConfig::default()
        })]

        /// However many clients ask at once, no two get the same address, every address is
        /// from the pool, and exactly min(clients, pool) clients are bound.
        #[test]
        fn clients_never_share_an_address(n in 1usize..12, pool in 1u8..8) {
            let last = format!("10.0.0.{}", 99 + pool);
            let Lan { mut eng, server, clients } = lan(("10.0.0.100", &last), n);
            for &c in &clients {
                start(&mut eng, c);
            }
            eng.run_for(SimDuration::from_secs(60));
            prop_assert_eq!(eng.pending_events(), 0);
            let got: Vec<Ipv4Addr> = clients
                .iter()
                .filter_map(|&c| addr_of(&eng, c))
                .map(|a| a.ip())
                .collect();
            let distinct: BTreeSet<_> = got.iter().copied().collect();
            prop_assert_eq!(distinct.len(), got.len());
            prop_assert_eq!(got.len(), n.min(pool as usize));
            for a in &got {
                prop_assert!((100..100 + u32::from(pool)).contains(&(a.octets()[3] as u32)));
            }
            let leases = stack(&eng, server).dhcp_leases();
            prop_assert_eq!(leases.len(), got.len());
            for &c in &clients {
                let s = stack(&eng, c);
                let status = s.dhcp_status(PortId(0));
                let settled = matches!(status, Some(DhcpStatus::Bound { .. } | DhcpStatus::GaveUp));
                prop_assert!(settled, "client still busy: {:?}", status);
            }
        }
    }
}
