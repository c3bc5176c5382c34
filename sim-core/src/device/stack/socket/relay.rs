//! Relays: user-space proxies listening on the stack (`Services::relays`, e.g. Docker's
//! `docker-proxy`). Each connection a relay accepts is carried over a second connection the
//! relay opens from this stack to its target, so the target sees this stack's address (the
//! route's source towards it), never the client's.
//!
//! TCP: the client's SYN is held while the relay connects; the target's SYN-ACK makes the
//! relay accept the client (SYN-ACK), the target's RST makes it accept and close at once
//! (a proxy has accepted before it dials; the client sees a connection that ends with
//! nothing said). The client's FIN closes both sides. UDP: each client (address and port)
//! gets a socket of its own towards the target; answers go back from the listening address.
//! A UDP flow whose target has said nothing for `UDP_IDLE_TIMEOUT` is closed, as
//! docker-proxy's UDP "conntrack" closes it, so that long runs do not accumulate flows.
//! The relay's own ports are bound like any dynamic socket's (`SocketRef::Proxy`), so the
//! stack's demultiplexing finds them.

use super::{SocketRef, Sockets};
use crate::device::action::{Action, Delivery, RelayEvent};
use crate::device::stack::config::RelayListener;
use crate::device::stack::interface::{Interface, Local};
use crate::device::{Outbox, Timer};
use crate::id::ProbeId;
use crate::time::{SimDuration, SimTime};
use crate::wire::{self, TcpFlags, IPPROTO_TCP, IPPROTO_UDP, L4};
use std::net::SocketAddrV4;

const TCP_WINDOW: u16 = 65535;

/// How long a UDP flow lives without an answer from its target: docker-proxy's
/// `UDPConnTrackTimeout` (moby `cmd/docker-proxy/udp_proxy.go`, 90 s), a read deadline its
/// reply loop sets again after each datagram from the target.
pub const UDP_IDLE_TIMEOUT: SimDuration = SimDuration::from_secs(90);

/// Where a relayed TCP connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The relay's SYN is out; the client's SYN waits for the target's answer.
    Connecting,
    /// Both connections are up.
    Open,
    /// The relay sent its FIN to the target and waits for the target's.
    Closing,
}

/// One connection (TCP) or one client (UDP) a relay serves.
#[derive(Clone, Debug)]
pub struct RelayConn {
    proto: u8,
    /// The listener's label for traces ("docker-proxy 0.0.0.0:8080").
    label: String,
    client: SocketAddrV4,
    /// The address and port the client reached.
    local: SocketAddrV4,
    target: SocketAddrV4,
    /// The relay's own port towards the target.
    port: u16,
    phase: Phase,
    /// The client's next sequence number, and ours towards it.
    client_next: u32,
    to_client: u32,
    /// Our next sequence number towards the target, and the target's.
    to_target: u32,
    target_next: u32,
    /// UDP: when the flow closes unless the target answers before.
    idle_until: SimTime,
}

fn label(l: &RelayListener) -> String {
    match l.bind {
        std::net::IpAddr::V6(a) => format!("{} [{a}]:{}", l.name, l.port),
        std::net::IpAddr::V4(a) => format!("{} {a}:{}", l.name, l.port),
    }
}

fn said(out: &mut Outbox, probe: Option<ProbeId>, bytes: &[u8], label: &str, event: RelayEvent) {
    out.hop(probe, bytes, |syms| {
        Action::Delivered(Delivery::Relay {
            name: syms.intern(label),
            event,
        })
    });
}

/// A packet for the stack that no dynamic socket took: a relay's listener takes it if one
/// listens on its address and port. Returns whether a relay took it.
pub fn listener_input(
    s: &mut Sockets,
    net: &mut Interface,
    local: &Local,
    out: &mut Outbox,
) -> bool {
    if !s.has_proxies() && !net.cfg.has_relays() {
        return false;
    }
    let Some(ip) = local.view.ip else {
        return false;
    };
    let Some((sport, dport)) = ip.ports() else {
        return false;
    };
    if !matches!(ip.l4, L4::Tcp { .. } | L4::Udp { .. }) {
        return false;
    }
    let client = SocketAddrV4::new(ip.src, sport);
    let here = SocketAddrV4::new(ip.dst, dport);
    if let Some(i) = s
        .proxies
        .iter()
        .position(|c| c.proto == ip.proto && c.client == client && c.local == here)
    {
        match ip.l4 {
            L4::Tcp { .. } => client_segment(s, i, net, local, out),
            _ => client_datagram(s, i, net, local, out),
        }
        return true;
    }
    let Some(listener) = net
        .cfg
        .services()
        .relays
        .iter()
        .find(|l| l.accepts(ip.proto, ip.dst, dport))
        .cloned()
    else {
        return false;
    };
    let frame = &local.frame;
    if let L4::Tcp { seq, flags, .. } = ip.l4 {
        // Only a SYN opens a connection; anything else of a connection the relay no longer
        // holds is let go (the relay's side is closed).
        if !flags.syn || flags.ack {
            return true;
        }
        let port = s.binds.ephemeral(net, IPPROTO_TCP);
        s.binds.bind(IPPROTO_TCP, port, SocketRef::Proxy);
        let to_target = 0x2000_0000 | u32::from(port);
        let conn = RelayConn {
            proto: IPPROTO_TCP,
            label: label(&listener),
            client,
            local: here,
            target: listener.target,
            port,
            phase: Phase::Connecting,
            client_next: seq.wrapping_add(1),
            to_client: 0x1000_0000 | u32::from(sport),
            to_target,
            target_next: 0,
            idle_until: SimTime::ZERO,
        };
        said(
            out,
            frame.probe,
            &frame.bytes,
            &conn.label,
            RelayEvent::Accepted {
                target: listener.target,
            },
        );
        let target = listener.target;
        s.add_proxy(conn);
        let sent = net.send_ip(None, *target.ip(), frame.probe, out, |h| {
            wire::tcp_frame(
                h,
                port,
                target.port(),
                to_target,
                0,
                TcpFlags::SYN,
                TCP_WINDOW,
            )
        });
        if !sent {
            let i = s.proxies.len() - 1;
            forget(s, i);
        }
        return true;
    }
    let port = s.binds.ephemeral(net, IPPROTO_UDP);
    s.binds.bind(IPPROTO_UDP, port, SocketRef::Proxy);
    s.add_proxy(RelayConn {
        proto: IPPROTO_UDP,
        label: label(&listener),
        client,
        local: here,
        target: listener.target,
        port,
        phase: Phase::Open,
        client_next: 0,
        to_client: 0,
        to_target: 0,
        target_next: 0,
        idle_until: out.now + UDP_IDLE_TIMEOUT,
    });
    out.timer(out.now + UDP_IDLE_TIMEOUT, Timer::RelayIdle { port });
    let i = s.proxies.len() - 1;
    client_datagram(s, i, net, local, out);
    true
}

/// A segment from the client of connection `i`.
fn client_segment(s: &mut Sockets, i: usize, net: &mut Interface, local: &Local, out: &mut Outbox) {
    let Some(L4::Tcp { flags, .. }) = local.view.ip.map(|ip| ip.l4) else {
        return;
    };
    let c = &mut s.proxies[i];
    if flags.rst {
        forget(s, i);
        return;
    }
    if !flags.fin || c.phase != Phase::Open {
        return;
    }
    // The client closes: acknowledge and close towards it, and close towards the target.
    c.client_next = c.client_next.wrapping_add(1);
    let (client, here, seq, ack) = (c.client, c.local, c.to_client, c.client_next);
    let (target, port, tseq, tack) = (c.target, c.port, c.to_target, c.target_next);
    c.phase = Phase::Closing;
    let probe = local.frame.probe;
    net.send_ip(Some(*here.ip()), *client.ip(), probe, out, |h| {
        wire::tcp_frame(
            h,
            here.port(),
            client.port(),
            seq,
            ack,
            TcpFlags::FIN_ACK,
            TCP_WINDOW,
        )
    });
    net.send_ip(None, *target.ip(), probe, out, |h| {
        wire::tcp_frame(
            h,
            port,
            target.port(),
            tseq,
            tack,
            TcpFlags::FIN_ACK,
            TCP_WINDOW,
        )
    });
}

/// A datagram from the client of UDP relay `i`: sent on to the target from the relay's
/// own socket.
fn client_datagram(
    s: &mut Sockets,
    i: usize,
    net: &mut Interface,
    local: &Local,
    out: &mut Outbox,
) {
    let c = &s.proxies[i];
    let (target, port) = (c.target, c.port);
    let frame = &local.frame;
    said(
        out,
        frame.probe,
        &frame.bytes,
        &c.label,
        RelayEvent::Forwarded { target },
    );
    let payload = udp_payload(local).to_vec();
    net.send_ip(None, *target.ip(), frame.probe, out, |h| {
        wire::udp_frame(h, port, target.port(), &payload)
    });
}

/// A packet for one of the relays' own ports (`SocketRef::Proxy`): the target's side of a
/// relayed connection. Returns whether a relay took it.
pub fn target_input(s: &mut Sockets, net: &mut Interface, local: &Local, out: &mut Outbox) -> bool {
    let Some(ip) = local.view.ip else {
        return false;
    };
    let Some((sport, dport)) = ip.ports() else {
        return false;
    };
    let from = SocketAddrV4::new(ip.src, sport);
    let Some(i) = s
        .proxies
        .iter()
        .position(|c| c.proto == ip.proto && c.port == dport && c.target == from)
    else {
        return false;
    };
    let frame = &local.frame;
    let probe = frame.probe;
    let L4::Tcp {
        seq, flags, ack, ..
    } = ip.l4
    else {
        // UDP: the target's answer goes back to the client from the listening address, and
        // the flow lives on.
        let c = &mut s.proxies[i];
        c.idle_until = out.now + UDP_IDLE_TIMEOUT;
        let (client, here) = (c.client, c.local);
        said(out, probe, &frame.bytes, &c.label, RelayEvent::Answered);
        let payload = udp_payload(local).to_vec();
        net.send_ip(Some(*here.ip()), *client.ip(), probe, out, |h| {
            wire::udp_frame(h, here.port(), client.port(), &payload)
        });
        return true;
    };
    let c = &mut s.proxies[i];
    let (client, here) = (c.client, c.local);
    match c.phase {
        Phase::Connecting if flags.syn && flags.ack && ack == c.to_target.wrapping_add(1) => {
            c.to_target = ack;
            c.target_next = seq.wrapping_add(1);
            c.phase = Phase::Open;
            let (port, target, tseq, tack) = (c.port, c.target, c.to_target, c.target_next);
            let (cseq, cack) = (c.to_client, c.client_next);
            said(out, probe, &frame.bytes, &c.label, RelayEvent::Connected);
            net.send_ip(None, *target.ip(), probe, out, |h| {
                wire::tcp_frame(
                    h,
                    port,
                    target.port(),
                    tseq,
                    tack,
                    TcpFlags::ACK,
                    TCP_WINDOW,
                )
            });
            net.send_ip(Some(*here.ip()), *client.ip(), probe, out, |h| {
                wire::tcp_frame(
                    h,
                    here.port(),
                    client.port(),
                    cseq,
                    cack,
                    TcpFlags::SYN_ACK,
                    TCP_WINDOW,
                )
            });
            // The client's side counts our SYN from here on.
            s.proxies[i].to_client = cseq.wrapping_add(1);
        }
        Phase::Connecting if flags.rst => {
            let (cseq, cack) = (c.to_client, c.client_next);
            said(out, probe, &frame.bytes, &c.label, RelayEvent::Refused);
            forget(s, i);
            for (flags, seq) in [
                (TcpFlags::SYN_ACK, cseq),
                (TcpFlags::FIN_ACK, cseq.wrapping_add(1)),
            ] {
                net.send_ip(Some(*here.ip()), *client.ip(), probe, out, |h| {
                    wire::tcp_frame(h, here.port(), client.port(), seq, cack, flags, TCP_WINDOW)
                });
            }
        }
        Phase::Open | Phase::Closing if flags.rst => forget(s, i),
        Phase::Closing if flags.fin => {
            let (port, target) = (c.port, c.target);
            let (tseq, tack) = (c.to_target.wrapping_add(1), seq.wrapping_add(1));
            forget(s, i);
            net.send_ip(None, *target.ip(), probe, out, |h| {
                wire::tcp_frame(
                    h,
                    port,
                    target.port(),
                    tseq,
                    tack,
                    TcpFlags::ACK,
                    TCP_WINDOW,
                )
            });
        }
        _ => {}
    }
    true
}

/// Ends relayed connection `i` and frees its port.
/// The idle check of the UDP flow on the relay's own `port`: closed when its time is up,
/// else checked again when it will be.
pub fn idle_check(s: &mut Sockets, port: u16, out: &mut Outbox) {
    let Some(i) = s
        .proxies
        .iter()
        .position(|c| c.proto == IPPROTO_UDP && c.port == port)
    else {
        return;
    };
    let until = s.proxies[i].idle_until;
    if until <= out.now {
        forget(s, i);
    } else {
        out.timer(until, Timer::RelayIdle { port });
    }
}

fn forget(s: &mut Sockets, i: usize) {
    let c = s.remove_proxy(i);
    s.binds.unbind(c.proto, c.port);
}

fn udp_payload<'a>(local: &'a Local) -> &'a [u8] {
    match local.view.ip.map(|i| i.l4) {
        Some(L4::Udp {
            payload_offset,
            payload_len,
            ..
        }) => local
            .frame
            .bytes
            .get(
                usize::from(payload_offset)..usize::from(payload_offset) + usize::from(payload_len),
            )
            .unwrap_or_default(),
        _ => &[],
    }
}

#[cfg(test)]
mod tests;
