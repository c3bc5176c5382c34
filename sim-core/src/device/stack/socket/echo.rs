//! UDP echo: the service that sends every datagram back (`Udp(port)` services), and the
//! benchmark's client that sends datagrams at a steady pace and counts the echoes.

use super::{SocketRef, Sockets};
use crate::device::action::{Action, Delivery, DropReason};
use crate::device::stack::interface::{IcmpError, Interface, Local};
use crate::device::{FrameBytes, Outbox, Timer};
use crate::time::SimDuration;
use crate::wire::{self, IPPROTO_UDP, L4};
use std::net::Ipv4Addr;

/// Sends `count` UDP datagrams to `dst:port`, one every `interval`, and counts the echoes.
#[derive(Clone, Debug)]
pub struct EchoApp {
    pub dst: Ipv4Addr,
    pub port: u16,
    pub sport: u16,
    pub count: u32,
    pub interval: SimDuration,
    pub sent: u32,
    pub replies: u32,
    /// The UDP checksum of its datagram without the source address
    /// (`wire::udp_sum_without_source`): every tick adds the address the route gives then.
    sum_without_source: u16,
}

const PAYLOAD: [u8; 32] = [0x5a; 32];

/// The headers of the last UDP datagrams of the echo client and of the echo service, each
/// in a cache line of the socket set (`wire::UdpHeaders`).
#[derive(Debug, Default)]
pub struct SentUdp {
    request: wire::UdpHeaders,
    answer: wire::UdpHeaders,
}

/// A stack's echo clients by index, the first inline: a stack runs one, and its every tick
/// and echo reads it (one cache line fewer than a `Vec`'s own allocation, issue 13).
/// `repr(C)`: what an echo for the first client reads (its destination and echo count)
/// comes first, and ends the socket set's first line, so that an echo reads only that line
/// of the socket set; the rest of the first client, which its ticks read, fills the next.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct Apps {
    /// The first client's `dst` (unspecified while there is none).
    first_dst: Ipv4Addr,
    /// The first client's `replies`: counted here, not in `first`.
    first_replies: u32,
    first: Option<EchoApp>,
    more: Vec<EchoApp>,
}

impl Default for Apps {
    fn default() -> Self {
        Apps {
            first_dst: Ipv4Addr::UNSPECIFIED,
            first_replies: 0,
            first: None,
            more: Vec::new(),
        }
    }
}

impl Apps {
    pub fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.more.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    fn push(&mut self, app: EchoApp) {
        if self.first.is_none() {
            (self.first_dst, self.first_replies) = (app.dst, app.replies);
            self.first = Some(app);
        } else {
            self.more.push(app);
        }
    }

    /// Client `i`, to send with (its `replies` is not there for the first: `iter` has it).
    #[inline]
    fn get_mut(&mut self, i: usize) -> Option<&mut EchoApp> {
        match i {
            0 => self.first.as_mut(),
            i => self.more.get_mut(i - 1),
        }
    }

    /// Counts an echo for client `i` from `src` if it is the client's destination. Client
    /// `i` exists: a bound port names only a client that was added (`start_app`, `reset`).
    #[inline]
    fn count_echo(&mut self, i: usize, src: Ipv4Addr) -> bool {
        let (dst, replies) = match i {
            0 => {
                debug_assert!(self.first.is_some());
                (self.first_dst, &mut self.first_replies)
            }
            i => match self.more.get_mut(i - 1) {
                Some(app) => (app.dst, &mut app.replies),
                None => return false,
            },
        };
        if dst != src {
            return false;
        }
        *replies += 1;
        true
    }

    /// Every client, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = EchoApp> + '_ {
        let first = self.first.iter().map(|a| EchoApp {
            replies: self.first_replies,
            ..a.clone()
        });
        first.chain(self.more.iter().cloned())
    }
}

/// Adds an echo client and starts it at `out.now + delay`.
#[allow(clippy::too_many_arguments)]
pub fn start_app(
    s: &mut Sockets,
    net: &mut Interface,
    dst: Ipv4Addr,
    port: u16,
    count: u32,
    interval: SimDuration,
    delay: SimDuration,
    out: &mut Outbox,
) {
    let sport = s.binds.ephemeral(net, IPPROTO_UDP);
    let i = s.apps.len() as u32;
    s.binds.bind(IPPROTO_UDP, sport, SocketRef::App(i));
    s.apps.push(EchoApp {
        dst,
        port,
        sport,
        count,
        interval,
        sent: 0,
        replies: 0,
        sum_without_source: wire::udp_sum_without_source(dst, sport, port, &PAYLOAD),
    });
    out.timer(out.now + delay, Timer::AppTick(i));
}

/// The client's next datagram is due.
pub fn app_tick(s: &mut Sockets, net: &mut Interface, i: u32, out: &mut Outbox) {
    let Some(app) = s.apps.get_mut(i as usize) else {
        return;
    };
    if app.sent >= app.count {
        return;
    }
    app.sent += 1;
    let (dst, port, sport, more, interval, sum) = (
        app.dst,
        app.port,
        app.sport,
        app.sent < app.count,
        app.interval,
        app.sum_without_source,
    );
    // The datagram is the same every tick but for its source address, which the route
    // chooses now (an address can change): its kept sum gets that address added.
    // Its headers are the stack's last request's but for the identifier, unless the route,
    // the address or the client changed (`UdpHeaders`).
    let headers = &mut s.sent_udp.request;
    net.send_ip(None, dst, None, out, |h| {
        headers.frame_from_sum(h, sport, port, &PAYLOAD, sum)
    });
    if more {
        out.timer(out.now + interval, Timer::AppTick(i));
    }
}

/// An echo for client `i`. Returns true if it was its answer.
pub fn app_input(s: &mut Sockets, i: u32, local: &Local) -> bool {
    let Some(ip) = local.view.ip else {
        return false;
    };
    s.apps.count_echo(i as usize, ip.src)
}

/// A datagram for a UDP port no socket bound: the echo service, if one listens there, else
/// nobody (ICMP port unreachable).
pub fn service_input(
    s: &mut Sockets,
    net: &mut Interface,
    dport: u16,
    local: Local,
    out: &mut Outbox,
) {
    let Some(ip) = local.view.ip else {
        return;
    };
    let L4::Udp {
        sport,
        payload_offset,
        payload_len,
        ..
    } = ip.l4
    else {
        return;
    };
    let frame = &local.frame;
    if net.cfg.echoes_udp(dport) {
        s.udp_echoes_served += 1;
        out.hop(frame.probe, &frame.bytes, |_| {
            Action::Delivered(Delivery::UdpEcho { port: dport })
        });
        let payload =
            usize::from(payload_offset)..usize::from(payload_offset) + usize::from(payload_len);
        // The request's checksum is the answer's (`udp_answer_frame`).
        let sum = wire::udp_checksum_field(&frame.bytes, usize::from(payload_offset)).unwrap_or(0);
        let probe = frame.probe;
        // Its headers are the last answer's but for the identifier when it answers the same
        // client again (`UdpHeaders`).
        let headers = &mut s.sent_udp.answer;
        match local.frame.bytes {
            // The answer is written over the request's own bytes, its payload left where
            // it is (`UdpHeaders::answer_in_place`).
            FrameBytes::Owned(request) => {
                net.send_ip(Some(ip.dst), ip.src, probe, out, |h| {
                    headers.answer_in_place(h, dport, sport, request, payload, sum)
                });
            }
            // A flood's copy, whose bytes others share: built from them, no copy in between.
            FrameBytes::Shared(ref request) => {
                let bytes = request.get(payload).unwrap_or_default();
                net.send_ip(Some(ip.dst), ip.src, probe, out, |h| {
                    headers.answer_frame(h, dport, sport, bytes, sum)
                });
            }
        }
        return;
    }
    out.drop_frame(frame, |_| DropReason::NoListener {
        proto: "udp",
        port: dport,
    });
    // RFC 1122 3.2.2: no ICMP error about a broadcast datagram (e.g. another host's DHCP).
    if !ip.dst.is_broadcast() {
        net.icmp_error(
            local.port,
            frame,
            local.view,
            IcmpError::PortUnreachable,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::device::stack::config::{IfaceConfig, StackConfig};
    use crate::device::stack::IpStack;
    use crate::device::Device;
    use crate::engine::link::LinkParams;
    use crate::engine::{Engine, Limits};
    use crate::id::{NodeId, PortId};
    use crate::time::SimDuration;
    use crate::topology::{NodeInfo, NodeKind};
    use crate::wire::{self, L4Repr, MacAddr, NetRepr};
    use std::net::Ipv4Addr;

    fn add(eng: &mut Engine, name: &str, mac: MacAddr, addr: &str) -> NodeId {
        let mut cfg = StackConfig::new(name, 64);
        let addr = addr.parse().expect("a prefix");
        cfg.ifaces_mut()
            .push(Some(IfaceConfig::ethernet("eth0", mac, Some(addr))));
        cfg.services_mut().udp_echo = vec![7];
        let info = NodeInfo {
            name: name.into(),
            kind: NodeKind::External,
            host: None,
        };
        eng.add_node(info, Device::Stack(Box::new(IpStack::new(cfg))))
    }

    fn stack(eng: &mut Engine, n: NodeId) -> &mut IpStack {
        eng.device_mut(n)
            .and_then(Device::as_stack_mut)
            .expect("a stack")
    }

    /// The client's datagram is summed once without its source address; the address the
    /// route gives at each tick is added then. When the client's address changes between
    /// ticks, its datagrams carry the new address and a checksum that verifies (a sum kept
    /// with the old address would not), and every one is answered.
    #[test]
    fn a_client_whose_address_changes_sends_valid_datagrams() {
        let mut eng = Engine::new(1, Limits::default());
        let a = add(&mut eng, "a", MacAddr(2, 0, 0, 0, 0, 1), "10.0.0.1/24");
        let b = add(&mut eng, "b", MacAddr(2, 0, 0, 0, 0, 2), "10.0.0.2/24");
        let link = ("a-b".to_string(), (a, PortId(0)), (b, PortId(0)));
        eng.connect(link.0, link.1, link.2, LinkParams::internal(), false);
        eng.record_frames(true);
        let ms = SimDuration::from_millis;
        eng.invoke(a, |d, out| {
            let s = d.as_stack_mut().expect("a stack");
            s.start_echo_app("10.0.0.2".parse().expect("ip"), 7, 4, ms(10), ms(0), out);
        });
        eng.run_for(ms(15));
        if let Some(mut ifc) = stack(&mut eng, a).config.iface_mut(PortId(0)) {
            ifc.addr = Some("10.0.0.3/24".parse().expect("a prefix"));
        }
        eng.run_for(ms(100));
        let mut sources = Vec::new();
        for f in eng.wire_frames() {
            let Ok(p) = wire::parse(&f.bytes) else {
                panic!(
                    "a frame that does not parse (a bad checksum?): {:02x?}",
                    f.bytes
                );
            };
            if let NetRepr::Ipv4(ip) = p.net {
                if matches!(ip.l4, L4Repr::Udp { dport: 7, .. }) {
                    sources.push(ip.src);
                }
            }
        }
        let (old, new) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 3));
        assert_eq!(sources, [old, old, new, new]);
        assert_eq!(stack(&mut eng, a).apps()[0].replies, 4);
    }
}
