//! The interface layer over real cables: the ARP cache ageing and checking its entries, the
//! announcement of an address, and IPv4 fragmentation, reassembly and "fragmentation needed".

use super::config::{IfaceConfig, StackConfig};
use super::probe::{ProbeProto, ProbeRequest, ProbeTarget};
use super::IpStack;
use crate::device::action::{Action, ArpEvent};
use crate::device::{Device, DropReason, Frame, Outcome};
use crate::engine::link::LinkParams;
use crate::engine::{Engine, Limits};
use crate::id::{NodeId, PortId, ProbeId};
use crate::time::SimDuration;
use crate::topology::{NodeInfo, NodeKind};
use crate::wire::{self, IpHeader, Ipv4Repr, L4Repr, MacAddr, NetRepr, Packet};
use std::net::Ipv4Addr;

const A_MAC: MacAddr = MacAddr(0x02, 0, 0, 0, 0, 1);
const B_MAC: MacAddr = MacAddr(0x02, 0, 0, 0, 0, 2);
const B_NEW_MAC: MacAddr = MacAddr(0x02, 0, 0, 0, 0, 0x22);
const R_MAC: MacAddr = MacAddr(0x02, 0, 0, 0, 0, 0x10);

fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("test address")
}

/// A stack with one interface per `(mac, address, mtu)`, answering pings.
fn stack(name: &str, ifaces: &[(MacAddr, &str, u16)]) -> IpStack {
    let mut cfg = StackConfig::new(name, 64);
    for (i, (mac, addr, mtu)) in ifaces.iter().enumerate() {
        let mut ifc =
            IfaceConfig::ethernet(format!("eth{i}"), *mac, Some(addr.parse().expect("prefix")));
        ifc.mtu = *mtu;
        cfg.ifaces_mut().push(Some(ifc));
    }
    cfg.services_mut().icmp_echo = true;
    IpStack::new(cfg)
}

fn add(eng: &mut Engine, s: IpStack) -> NodeId {
    let name = s.config.name.clone();
    eng.add_node(
        NodeInfo {
            name,
            kind: NodeKind::External,
            host: None,
        },
        Device::Stack(Box::new(s)),
    )
}

/// A learning fabric switch "sw" that floods unknown unicast, with no ports yet.
fn add_switch(eng: &mut Engine) -> NodeId {
    eng.add_node(
        NodeInfo {
            name: "sw".into(),
            kind: NodeKind::FabricSwitch,
            host: None,
        },
        Device::Switch(Box::new(crate::device::switch::Switch::new(
            crate::device::switch::SwitchConfig::new(
                "sw",
                true,
                crate::device::switch::UnknownUnicast::Flood,
            ),
        ))),
    )
}

fn cable(eng: &mut Engine, a: (NodeId, u16), b: (NodeId, u16)) {
    let name = format!("{}-{}", a.0 .0, b.0 .0);
    let (a, b) = ((a.0, PortId(a.1)), (b.0, PortId(b.1)));
    eng.connect(name, a, b, LinkParams::internal(), false);
}

fn st(eng: &mut Engine, n: NodeId) -> &mut IpStack {
    eng.device_mut(n)
        .and_then(Device::as_stack_mut)
        .expect("a stack")
}

/// Pings `to` from `from` with `payload` bytes and runs until it ended; its id is `id`.
fn ping(eng: &mut Engine, from: NodeId, to: &str, payload: u16, id: u32) -> Outcome {
    probe(eng, from, to, ProbeProto::icmp_payload(payload), id)
}

/// Sends a `proto` probe from `from` to `to` and runs until it ended; its id is `id`.
fn probe(eng: &mut Engine, from: NodeId, to: &str, proto: ProbeProto, id: u32) -> Outcome {
    let req = ProbeRequest {
        id: ProbeId(id),
        target: ProbeTarget::Addr(ip(to)),
        proto,
        timeout: SimDuration::from_secs(2),
        dns_server: None,
    };
    eng.invoke(from, |d, out| {
        d.as_stack_mut().expect("stack").start_probe(req, out)
    });
    eng.run_for(SimDuration::from_millis(2100));
    eng.ended()
        .iter()
        .find(|e| e.probe == ProbeId(id))
        .map(|e| e.outcome)
        .expect("the probe ended")
}

fn hops(eng: &Engine, id: u32) -> Vec<&Action> {
    eng.trace()
        .iter()
        .filter(|h| h.probe == ProbeId(id))
        .map(|h| &h.action)
        .collect()
}

/// a (10.0.0.1) and b (10.0.0.2) on one cable.
fn pair() -> (Engine, NodeId, NodeId) {
    let mut eng = Engine::new(1, Limits::default());
    let a = add(&mut eng, stack("a", &[(A_MAC, "10.0.0.1/24", 1500)]));
    let b = add(&mut eng, stack("b", &[(B_MAC, "10.0.0.2/24", 1500)]));
    cable(&mut eng, (a, 0), (b, 0));
    eng.record_frames(true);
    (eng, a, b)
}

/// ARP requests a sent with this Ethernet destination.
fn arp_requests_to(eng: &Engine, dst: MacAddr) -> usize {
    eng.wire_frames()
        .iter()
        .filter(|f| wire::eth_src(&f.bytes) == Some(A_MAC) && wire::eth_dst(&f.bytes) == Some(dst))
        .filter(|f| wire::arp_info(&f.bytes).is_some_and(|a| a.op == wire::ArpOp::Request))
        .count()
}

#[test]
fn a_stale_entry_is_used_checked_and_dropped_when_its_mac_is_gone() {
    let (mut eng, a, b) = pair();
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 32, 1), Outcome::Delivered);
    // b gets a new NIC (same address) and says nothing.
    st(&mut eng, b).iface_mut(PortId(0)).expect("eth0").mac = B_NEW_MAC;
    // Within its reachable time the entry is trusted: the ping goes to the old MAC.
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 32, 2), Outcome::Dropped);
    assert!(!hops(&eng, 2).iter().any(|h| matches!(
        h,
        Action::Arp {
            event: ArpEvent::Stale { .. },
            ..
        }
    )));
    eng.run_for(SimDuration::from_secs(30));
    // Stale now: still used, and the trace says so.
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 32, 3), Outcome::Dropped);
    assert!(hops(&eng, 3).iter().any(|h| matches!(
        h,
        Action::Arp {
            event: ArpEvent::Stale {
                mac: B_MAC,
                probe_in_ms: 5000,
                ..
            },
            ..
        }
    )));
    // Ageing is lazy: nothing is checked until the entry is used again after the delay.
    eng.run_for(SimDuration::from_secs(10));
    assert_eq!(arp_requests_to(&eng, B_MAC), 0);
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 32, 4), Outcome::Dropped);
    eng.run_for(SimDuration::from_secs(2));
    // Three unicast requests to the old MAC went unanswered, and the entry went.
    assert_eq!(arp_requests_to(&eng, B_MAC), 3);
    let key = (PortId(0), ip("10.0.0.2"));
    assert!(st(&mut eng, a).net.arp.entry(key.0, key.1).is_none());
    // The next ping asks by broadcast and finds the new NIC.
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 32, 5), Outcome::Delivered);
    assert_eq!(
        st(&mut eng, a).net.arp.lookup(key.0, key.1),
        Some(B_NEW_MAC)
    );
}

#[test]
fn a_stale_entry_that_answers_its_check_is_reachable_again() {
    let (mut eng, a, _) = pair();
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 32, 1), Outcome::Delivered);
    eng.run_for(SimDuration::from_secs(31));
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 32, 2), Outcome::Delivered);
    eng.run_for(SimDuration::from_secs(6));
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 32, 3), Outcome::Delivered);
    // One unicast check, at the first use after the delay, answered by b.
    assert_eq!(arp_requests_to(&eng, B_MAC), 1);
    let e = *st(&mut eng, a)
        .net
        .arp
        .entry(PortId(0), ip("10.0.0.2"))
        .expect("kept");
    assert!(matches!(
        e.state_at(eng.now()),
        super::arp::Nud::Reachable(_)
    ));
    // Its probe timer finds it confirmed and leaves it alone.
    eng.run_for(SimDuration::from_secs(5));
    assert_eq!(arp_requests_to(&eng, B_MAC), 1);
}

#[test]
fn an_entry_learned_from_a_request_is_checked_without_a_trace_line() {
    let (mut eng, a, b) = pair();
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 32, 1), Outcome::Delivered);
    // b learned a from a's request: unconfirmed, so b's reply started its check quietly.
    assert!(!hops(&eng, 1).iter().any(|h| matches!(
        h,
        Action::Arp {
            event: ArpEvent::Stale { .. },
            ..
        }
    )));
    eng.run_for(SimDuration::from_secs(6));
    // b's next answer after the delay checks a, once, by unicast.
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 32, 2), Outcome::Delivered);
    eng.run_for(SimDuration::from_secs(1));
    let checks = eng
        .wire_frames()
        .iter()
        .filter(|f| {
            wire::eth_src(&f.bytes) == Some(B_MAC) && wire::eth_dst(&f.bytes) == Some(A_MAC)
        })
        .filter(|f| wire::arp_info(&f.bytes).is_some_and(|x| x.op == wire::ArpOp::Request))
        .count();
    assert_eq!(checks, 1);
    let e = *st(&mut eng, b)
        .net
        .arp
        .entry(PortId(0), ip("10.0.0.1"))
        .expect("kept");
    assert!(matches!(
        e.state_at(eng.now()),
        super::arp::Nud::Reachable(_)
    ));
}

#[test]
fn an_announcement_updates_a_known_entry_and_creates_none() {
    let mut eng = Engine::new(1, Limits::default());
    let a = add(&mut eng, stack("a", &[(A_MAC, "10.0.0.1/24", 1500)]));
    let b = add(&mut eng, stack("b", &[(B_MAC, "10.0.0.2/24", 1500)]));
    let c = add(
        &mut eng,
        stack("c", &[(MacAddr(2, 0, 0, 0, 0, 3), "10.0.0.3/24", 1500)]),
    );
    eng.record_frames(true);
    let sw = add_switch(&mut eng);
    for (i, n) in [a, b, c].into_iter().enumerate() {
        let port = eng
            .device_mut(sw)
            .and_then(Device::as_switch_mut)
            .expect("switch")
            .add_port(format!("p{i}"), crate::device::switch::PortMode::Access(1));
        cable(&mut eng, (n, 0), (sw, port.0));
    }
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 32, 1), Outcome::Delivered);
    // b's address moves to a new NIC; a stack that does not announce says nothing.
    st(&mut eng, b).iface_mut(PortId(0)).expect("eth0").mac = B_NEW_MAC;
    eng.invoke(b, |d, out| {
        d.as_stack_mut().expect("b").iface_up(PortId(0), out)
    });
    eng.run_for(SimDuration::from_millis(1));
    let a_cache = |eng: &mut Engine| st(eng, a).net.arp.lookup(PortId(0), ip("10.0.0.2"));
    assert_eq!(a_cache(&mut eng), Some(B_MAC));
    // One that does sends a gratuitous ARP: a updates its entry, c (which never talked to
    // b) creates none.
    st(&mut eng, b).config.neighbor.announce = true;
    eng.invoke(b, |d, out| {
        d.as_stack_mut().expect("b").iface_up(PortId(0), out)
    });
    eng.run_for(SimDuration::from_millis(1));
    assert_eq!(a_cache(&mut eng), Some(B_NEW_MAC));
    assert!(st(&mut eng, c)
        .net
        .arp
        .lookup(PortId(0), ip("10.0.0.2"))
        .is_none());
    let garp = eng
        .wire_frames()
        .iter()
        .filter_map(|f| wire::arp_info(&f.bytes))
        .find(|x| x.sender_ip == x.target_ip)
        .expect("a gratuitous ARP");
    assert_eq!(
        (garp.sender_ip, garp.sender_mac, garp.op),
        (ip("10.0.0.2"), B_NEW_MAC, wire::ArpOp::Request)
    );
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 32, 2), Outcome::Delivered);
}

#[test]
fn a_ping_over_the_mtu_is_fragmented_and_reassembled() {
    let mut eng = Engine::new(1, Limits::default());
    let a = add(&mut eng, stack("a", &[(A_MAC, "10.0.0.1/24", 600)]));
    let b = add(&mut eng, stack("b", &[(B_MAC, "10.0.0.2/24", 600)]));
    cable(&mut eng, (a, 0), (b, 0));
    eng.record_frames(true);
    assert_eq!(ping(&mut eng, a, "10.0.0.2", 1472, 1), Outcome::Delivered);
    let h = hops(&eng, 1);
    assert!(h.iter().any(|x| matches!(
        x,
        Action::Fragmented {
            fragments: 3,
            mtu: 600,
            ..
        }
    )));
    assert_eq!(
        h.iter()
            .filter(|x| matches!(
                x,
                Action::Reassembled {
                    fragments: 3,
                    size: 1500,
                    ..
                }
            ))
            .count(),
        2,
        "the request and the reply are each put back together"
    );
    // On the wire: only pieces of at most 600 bytes of IP, each a valid fragment.
    let ip_frames: Vec<_> = eng
        .wire_frames()
        .iter()
        .filter(|f| wire::ipv4_info(&f.bytes).is_some())
        .collect();
    assert_eq!(ip_frames.len(), 6);
    for f in ip_frames {
        assert!(f.bytes.len() - 14 <= 600);
        let p = wire::parse(&f.bytes).expect("a fragment parses (its header checksum holds)");
        assert!(matches!(
            p.net,
            NetRepr::Ipv4(Ipv4Repr {
                l4: L4Repr::Fragment { proto: 1, .. },
                ..
            })
        ));
    }
    assert!(st(&mut eng, b).net.reassembly.is_empty());
}

/// a (10.0.0.1, MTU 1500) — r (lan 10.0.0.254, far 10.1.0.254 with MTU `far_mtu`) — b.
fn routed(far_mtu: u16) -> (Engine, NodeId, NodeId, NodeId) {
    let mut eng = Engine::new(1, Limits::default());
    let mut a = stack("a", &[(A_MAC, "10.0.0.1/24", 1500)]);
    a.config.routes_mut().push(super::Route {
        dest: "0.0.0.0/0".parse().expect("default"),
        via: Some(ip("10.0.0.254")),
        iface: PortId(0),
    });
    let a = add(&mut eng, a);
    let mut r = stack(
        "r",
        &[
            (R_MAC, "10.0.0.254/24", 1500),
            (MacAddr(2, 0, 0, 0, 0, 0x11), "10.1.0.254/24", far_mtu),
        ],
    );
    r.config.forwarding = true;
    let r = add(&mut eng, r);
    let mut b = stack("b", &[(B_MAC, "10.1.0.2/24", 1500)]);
    b.config.routes_mut().push(super::Route {
        dest: "0.0.0.0/0".parse().expect("default"),
        via: Some(ip("10.1.0.254")),
        iface: PortId(0),
    });
    let b = add(&mut eng, b);
    cable(&mut eng, (a, 0), (r, 0));
    cable(&mut eng, (r, 1), (b, 0));
    eng.record_frames(true);
    (eng, a, r, b)
}

#[test]
fn a_router_splits_a_packet_for_a_smaller_mtu() {
    let (mut eng, a, _, _) = routed(576);
    assert_eq!(ping(&mut eng, a, "10.1.0.2", 1400, 1), Outcome::Delivered);
    assert!(hops(&eng, 1).iter().any(|x| matches!(
        x,
        Action::Fragmented {
            fragments: 3,
            mtu: 576,
            ..
        }
    )));
    assert!(hops(&eng, 1)
        .iter()
        .any(|x| matches!(x, Action::Reassembled { size: 1428, .. })));
}

/// An echo request of `len` bytes of IP from a to b with Don't Fragment set, as sent.
fn df_echo(len: usize) -> Vec<u8> {
    Packet {
        eth: wire::EthernetRepr {
            src: A_MAC,
            dst: R_MAC,
            vlan: None,
        },
        net: NetRepr::Ipv4(Ipv4Repr {
            src: ip("10.0.0.1"),
            dst: ip("10.1.0.2"),
            ttl: 64,
            ident: 77,
            dont_fragment: true,
            l4: L4Repr::IcmpEcho {
                reply: false,
                id: 5,
                seq: 1,
                payload: vec![0; len - 28],
            },
        }),
    }
    .emit()
}

#[test]
fn dont_fragment_gets_fragmentation_needed_from_the_router() {
    let (mut eng, _, r, _) = routed(576);
    let frame = Frame::new(df_echo(1000), Some(ProbeId(9)));
    eng.invoke(r, |d, out| d.handle_frame(PortId(0), frame, out));
    eng.run_for(SimDuration::from_millis(10));
    assert!(hops(&eng, 9).iter().any(|x| matches!(
        x,
        Action::Dropped(DropReason::TooBig {
            size: 1000,
            mtu: 576,
            ..
        })
    )));
    let answer = eng
        .wire_frames()
        .iter()
        .filter_map(|f| wire::parse(&f.bytes).ok())
        .find_map(|p| match p.net {
            NetRepr::Ipv4(Ipv4Repr {
                src,
                dst,
                l4: L4Repr::IcmpUnreachable { code, mtu, .. },
                ..
            }) => Some((src, dst, code, mtu)),
            _ => None,
        });
    assert_eq!(
        answer,
        Some((ip("10.0.0.254"), ip("10.0.0.1"), 4, 576)),
        "ICMP fragmentation needed, with the next hop's MTU (RFC 1191)"
    );
    // Nothing went on to b.
    assert!(!eng
        .wire_frames()
        .iter()
        .any(|f| wire::eth_dst(&f.bytes) == Some(B_MAC)));
}

#[test]
fn a_stack_refuses_to_send_its_own_dont_fragment_packet_over_the_mtu() {
    let mut eng = Engine::new(1, Limits::default());
    let a = add(&mut eng, stack("a", &[(A_MAC, "10.0.0.1/24", 576)]));
    let sent = eng.invoke(a, |d, out| {
        let s = d.as_stack_mut().expect("a");
        let (mut net, _) = s.split();
        net.send_ip(None, ip("10.0.0.2"), Some(ProbeId(4)), out, |_| {
            let mut f = df_echo(1000);
            wire::set_eth_src(&mut f, A_MAC);
            f
        });
        out.sends.len()
    });
    assert_eq!(sent, Some(0), "neither the packet nor an ARP request left");
    assert!(hops(&eng, 4)
        .iter()
        .any(|x| matches!(x, Action::Dropped(DropReason::TooBig { mtu: 576, .. }))));
}

/// The pieces of an echo request of `len` bytes of IP from a to b, for MTU `mtu`.
fn pieces(len: usize, ident: u16, mtu: u16) -> Vec<Vec<u8>> {
    let h = IpHeader {
        src_mac: A_MAC,
        dst_mac: B_MAC,
        src: ip("10.0.0.1"),
        dst: ip("10.0.0.2"),
        ttl: 64,
        ident,
    };
    wire::fragment(&wire::icmp_echo(&h, false, 5, 1, &vec![7; len - 28]), mtu).expect("pieces")
}

fn give(eng: &mut Engine, n: NodeId, bytes: Vec<u8>) {
    let frame = Frame::new(bytes, Some(ProbeId(9)));
    eng.invoke(n, |d, out| d.handle_frame(PortId(0), frame, out));
}

#[test]
fn a_datagram_missing_a_piece_is_given_up_after_the_timeout() {
    let (mut eng, _, b) = pair();
    st(&mut eng, b).config.reassembly.timeout = SimDuration::from_secs(30);
    let p = pieces(1500, 40, 600);
    give(&mut eng, b, p[0].clone());
    give(&mut eng, b, p[2].clone());
    eng.run_for(SimDuration::from_secs(29));
    assert!(!st(&mut eng, b).net.reassembly.is_empty(), "still waiting");
    eng.run_for(SimDuration::from_secs(2));
    assert!(st(&mut eng, b).net.reassembly.is_empty());
    let timeouts = hops(&eng, 9)
        .iter()
        .filter(|x| {
            matches!(
                x,
                Action::Dropped(DropReason::ReassemblyTimeout {
                    ident: 40,
                    timeout_ms: 30_000,
                    ..
                })
            )
        })
        .count();
    assert_eq!(timeouts, 2, "both pieces held are dropped, with the reason");
    // The first piece came, so the source hears of it (RFC 792 time exceeded, code 1).
    let icmp = eng
        .wire_frames()
        .iter()
        .filter_map(|f| wire::parse(&f.bytes).ok())
        .find_map(|p| match p.net {
            NetRepr::Ipv4(Ipv4Repr {
                dst,
                l4: L4Repr::IcmpTimeExceeded { code, .. },
                ..
            }) => Some((dst, code)),
            _ => None,
        });
    assert_eq!(icmp, Some((ip("10.0.0.1"), 1)));
}

#[test]
fn reassembly_is_bounded_and_refuses_overlapping_pieces() {
    let (mut eng, _, b) = pair();
    st(&mut eng, b).config.reassembly.max_datagrams = 1;
    give(&mut eng, b, pieces(1500, 1, 600)[0].clone());
    give(&mut eng, b, pieces(1500, 2, 600)[0].clone());
    assert!(hops(&eng, 9).iter().any(|x| matches!(
        x,
        Action::Dropped(DropReason::ReassemblyFull { datagrams: 1, .. })
    )));
    // A piece that overlaps one held makes the datagram ambiguous: all of it goes.
    give(&mut eng, b, pieces(1500, 1, 300)[1].clone());
    assert!(st(&mut eng, b).net.reassembly.is_empty());
    let overlapping = hops(&eng, 9)
        .iter()
        .filter(|x| matches!(x, Action::Dropped(DropReason::Malformed { .. })))
        .count();
    assert_eq!(overlapping, 2);
}

#[test]
fn pieces_in_any_order_make_the_datagram() {
    let (mut eng, _, b) = pair();
    let mut p = pieces(1500, 3, 400);
    p.reverse();
    for piece in p {
        give(&mut eng, b, piece);
    }
    assert!(hops(&eng, 9).iter().any(|x| matches!(
        x,
        Action::Reassembled {
            ident: 3,
            fragments: 4,
            size: 1500
        }
    )));
    // The whole request reached the echo responder, which answered.
    assert!(hops(&eng, 9)
        .iter()
        .any(|x| matches!(x, Action::Delivered(crate::device::Delivery::IcmpEcho))));
}

// ----- bridges inside a stack -----

use super::config::{BridgeConfig, BridgePort};
use crate::device::rules::{Match, Policy, RuleSpec, TableKind, Target, Test};

const BR_MAC: MacAddr = MacAddr(0x02, 0x42, 0, 0, 0, 0x01);

/// A Linux-like host: `br0` (172.17.0.1/16) with two ports, each cabled to a container
/// (c1 172.17.0.2, c2 172.17.0.3) whose default route is the bridge's address.
fn bridged_world(netfilter: bool) -> (Engine, NodeId, NodeId, NodeId) {
    let mut eng = Engine::new(1, Limits::default());
    let mut cfg = StackConfig::new("host", 64);
    let mut br = IfaceConfig::ethernet("br0", BR_MAC, Some("172.17.0.1/16".parse().unwrap()));
    br.bridge = Some(BridgeConfig {
        ageing: SimDuration::from_secs(300),
        netfilter,
    });
    cfg.ifaces_mut().push(Some(br));
    for (i, mac) in [(1u8, A_MAC), (2, B_MAC)] {
        let mut port = IfaceConfig::ethernet(format!("veth{i}"), mac, None);
        port.master = Some(BridgePort {
            bridge: PortId(0),
            hairpin: false,
        });
        cfg.ifaces_mut().push(Some(port));
    }
    cfg.services_mut().icmp_echo = true;
    cfg.forwarding = true;
    let host = add(&mut eng, IpStack::new(cfg));
    let mut cs = Vec::new();
    for (name, mac, addr) in [
        ("c1", MacAddr(0x02, 0x42, 0xac, 0x11, 0, 2), "172.17.0.2/16"),
        ("c2", MacAddr(0x02, 0x42, 0xac, 0x11, 0, 3), "172.17.0.3/16"),
    ] {
        let mut c = stack(name, &[(mac, addr, 1500)]);
        c.config.routes_mut().push(super::Route {
            dest: "0.0.0.0/0".parse().unwrap(),
            via: Some(ip("172.17.0.1")),
            iface: PortId(0),
        });
        cs.push(add(&mut eng, c));
    }
    cable(&mut eng, (host, 1), (cs[0], 0));
    cable(&mut eng, (host, 2), (cs[1], 0));
    (eng, host, cs[0], cs[1])
}

/// Containers on one bridge reach each other through it (bridged, not routed), reach the
/// bridge's own address, and the host reaches them out of the bridge's interface.
#[test]
fn a_bridge_in_a_stack_bridges_goes_up_and_sends_down() {
    let (mut eng, host, c1, _c2) = bridged_world(true);
    assert_eq!(ping(&mut eng, c1, "172.17.0.3", 32, 1), Outcome::Delivered);
    let acts = hops(&eng, 1);
    assert!(
        acts.iter().any(|a| matches!(a, Action::Bridged { .. })),
        "bridged: {acts:?}"
    );
    assert!(
        !acts.iter().any(|a| matches!(a, Action::Routed { .. })),
        "never routed: {acts:?}"
    );
    assert_eq!(ping(&mut eng, c1, "172.17.0.1", 32, 2), Outcome::Delivered);
    assert_eq!(
        ping(&mut eng, host, "172.17.0.2", 32, 3),
        Outcome::Delivered
    );
}

/// br_netfilter: with the bridge's traffic sent through the ruleset, a FORWARD rule that
/// drops `-i br0 -o br0` (Docker's icc=false) stops container-to-container traffic and names
/// the rule; without br_netfilter the same rule never sees bridged frames.
#[test]
fn bridged_frames_meet_the_forward_chain_only_with_br_netfilter() {
    for netfilter in [true, false] {
        let (mut eng, host, c1, _) = bridged_world(netfilter);
        let rules = &mut st(&mut eng, host).rules;
        rules.ensure_table("filter", TableKind::Filter);
        rules
            .ensure_base_chain(
                "filter",
                "FORWARD",
                crate::device::rules::Hook::Forward,
                Policy::Accept,
            )
            .unwrap();
        let icc = RuleSpec::new(
            vec![
                Match::is(Test::InPort(vec![PortId(0)])),
                Match::is(Test::OutPort(vec![PortId(0)])),
            ],
            Target::Drop,
        );
        rules.append("filter", "FORWARD", icc).unwrap();
        let outcome = ping(&mut eng, c1, "172.17.0.3", 32, 1);
        if netfilter {
            assert_eq!(outcome, Outcome::Dropped);
            assert!(hops(&eng, 1)
                .iter()
                .any(|a| matches!(a, Action::Dropped(DropReason::Rule { .. }))));
        } else {
            assert_eq!(outcome, Outcome::Delivered);
        }
        // The host's own traffic to a container is not bridged traffic: no FORWARD.
        assert_eq!(
            ping(&mut eng, host, "172.17.0.2", 32, 2),
            Outcome::Delivered
        );
    }
}

/// What the interface layer ignores without the full parse (a flood's broadcast ARP request,
/// issue 13) the full path does nothing with either; every case the full path acts on (an
/// answer, an update, a drop) is left to it.
#[test]
fn the_broadcast_arp_shortcut_ignores_only_what_the_full_path_ignores() {
    let other = MacAddr(0x02, 0, 0, 0, 0, 9);
    let request = |from: &str, to: &str| wire::arp_request(other, ip(from), ip(to));
    let mut bad_op = request("10.0.0.9", "10.0.0.7");
    bad_op[21] = 3;
    let mut short = request("10.0.0.9", "10.0.0.7");
    short.truncate(14 + 27);
    let mut to_one_mac = request("10.0.0.9", "10.0.0.7");
    to_one_mac[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 1]);
    let cases = [
        (request("10.0.0.9", "10.0.0.7"), true, "for another address"),
        (
            request("10.0.0.9", "10.0.0.9"),
            true,
            "gratuitous, no entry",
        ),
        (
            request("10.0.0.9", "10.0.0.1"),
            false,
            "for our address: answered",
        ),
        (
            request("10.0.0.2", "10.0.0.7"),
            false,
            "from a known sender: updates",
        ),
        (
            request("10.0.0.2", "10.0.0.2"),
            false,
            "gratuitous from a known sender",
        ),
        (
            request("10.0.0.3", "10.0.0.7"),
            false,
            "from an address being resolved",
        ),
        (bad_op, false, "an unknown operation: a drop"),
        (short, false, "a short body: a drop"),
        (to_one_mac, false, "not broadcast"),
    ];
    for (bytes, ignored, what) in cases {
        let mut s = arp_cases_stack();
        let ifc = s.config.ifaces()[0].clone().expect("eth0");
        let frame = Frame::new(bytes, Some(ProbeId(1)));
        let (mut net, _) = s.split();
        assert_eq!(
            net.ignores_arp(PortId(0), ifc.addr, &frame),
            ignored,
            "{what}"
        );
        if ignored {
            let mut out = crate::device::Outbox::default();
            out.reset(crate::time::SimTime::ZERO, NodeId(0));
            let view = wire::View::parse(&frame.bytes).expect("a frame");
            net.accept(PortId(0), A_MAC, frame, view, &mut out, |_, _, _| {});
            assert!(
                out.sends.is_empty()
                    && out.flood.ports.is_empty()
                    && out.hops.is_empty()
                    && out.drops == 0,
                "{what}: {out:?}"
            );
            assert!(
                net.st.arp.entry(PortId(0), ip("10.0.0.9")).is_none(),
                "{what}"
            );
        }
    }
}

/// The stack the flooded-ARP cases run against: 10.0.0.1 on port 0, an entry for 10.0.0.2,
/// and 10.0.0.3 being resolved.
fn arp_cases_stack() -> IpStack {
    let mut s = stack("a", &[(A_MAC, "10.0.0.1/24", 1500)]);
    s.net.arp.unsolicited(PortId(0), ip("10.0.0.2"), B_MAC);
    s.net
        .arp
        .pending
        .push(super::arp::Pending::new(PortId(0), ip("10.0.0.3")));
    s
}

/// A quiet filter (`quiet`) never says "ignored" for a request the full path acts on: every
/// case of the shortcut's test, against the stack's own filter.
#[test]
fn a_quiet_filter_ignores_only_what_the_full_path_ignores() {
    let other = MacAddr(0x02, 0, 0, 0, 0, 9);
    let request = |from: &str, to: &str| wire::arp_request(other, ip(from), ip(to));
    let cases = [
        (request("10.0.0.9", "10.0.0.7"), true, "for another address"),
        (
            request("10.0.0.9", "10.0.0.9"),
            true,
            "gratuitous, no entry",
        ),
        (request("10.0.0.9", "10.0.0.1"), false, "for our address"),
        (
            request("10.0.0.2", "10.0.0.7"),
            false,
            "from a known sender",
        ),
        (request("10.0.0.2", "10.0.0.2"), false, "gratuitous, known"),
        (
            request("10.0.0.3", "10.0.0.7"),
            false,
            "from an address being resolved",
        ),
    ];
    let mut s = arp_cases_stack();
    let filter = s
        .quiet_filter()
        .expect("a stack with three addresses has a filter");
    for (bytes, ignored, what) in cases {
        let ask = super::quiet::flooded_ask(&bytes).expect("a broadcast request");
        assert_eq!(filter.ignores(0, ask), ignored, "{what}");
        let frame = Frame::new(bytes, None);
        assert_eq!(s.ignores_flooded_arp(PortId(0), &frame), ignored, "{what}");
    }
    // A port with no interface, or a frame waiting in the loopback: no "ignored".
    let ask = super::quiet::flooded_ask(&request("10.0.0.9", "10.0.0.7")).expect("request");
    assert!(!filter.ignores(1, ask));
    let mut many = stack("m", &[(A_MAC, "10.0.0.1/24", 1500)]);
    for i in 0..64u32 {
        let ip = Ipv4Addr::from(0x0a01_0000 + i);
        many.net.arp.unsolicited(PortId(0), ip, B_MAC);
    }
    assert_eq!(many.quiet_filter(), None, "too many addresses for a filter");
}

/// Four stacks on a learning switch. A gratuitous ARP is flooded to the three others; the
/// engine skips the copies whose stack's quiet filter says "ignored", and must still count
/// each as an event and still hand over every copy a stack acts on: one that learned the
/// sender since (through traffic, or a change through `device_mut`) updates its entry.
#[test]
fn flooded_copies_a_stack_ignores_are_counted_and_the_others_handled() {
    let mut eng = Engine::new(1, Limits::default());
    let macs = [
        A_MAC,
        B_MAC,
        MacAddr(2, 0, 0, 0, 0, 3),
        MacAddr(2, 0, 0, 0, 0, 4),
    ];
    let nodes: Vec<NodeId> = (0..4)
        .map(|i| {
            let addr = format!("10.0.0.{}/24", i + 1);
            add(&mut eng, stack(&format!("s{i}"), &[(macs[i], &addr, 1500)]))
        })
        .collect();
    let sw = add_switch(&mut eng);
    for (i, n) in nodes.iter().enumerate() {
        let port = eng
            .device_mut(sw)
            .and_then(Device::as_switch_mut)
            .expect("switch")
            .add_port(format!("p{i}"), crate::device::switch::PortMode::Access(1));
        cable(&mut eng, (*n, 0), (sw, port.0));
    }
    let d = nodes[3];
    // d announces itself (a new MAC each time), as a container's start does.
    let announce = |eng: &mut Engine, mac: MacAddr| {
        st(eng, d).iface_mut(PortId(0)).expect("eth0").mac = mac;
        st(eng, d).config.neighbor.announce = true;
        let before = eng.stats.events;
        eng.invoke(d, |dev, out| {
            dev.as_stack_mut().expect("d").iface_up(PortId(0), out)
        });
        eng.run_for(SimDuration::from_millis(1));
        eng.stats.events - before
    };
    let knows =
        |eng: &mut Engine, i: usize| st(eng, nodes[i]).net.arp.lookup(PortId(0), ip("10.0.0.4"));
    // Nobody knows d: all three copies are skipped, each still one event (the announce
    // timer, the switch's arrival and three deliveries).
    assert_eq!(announce(&mut eng, macs[3]), 5);
    assert_eq!(
        eng.quiet_copies(),
        3,
        "the three copies were counted, not handed over"
    );
    assert_eq!(
        (0..3).map(|i| knows(&mut eng, i)).collect::<Vec<_>>(),
        [None; 3]
    );
    // s0 learns d through traffic; s1 is given an entry by hand (through `device_mut`).
    assert_eq!(
        ping(&mut eng, nodes[0], "10.0.0.4", 32, 1),
        Outcome::Delivered
    );
    // The same announcement again: s0 (which knows d now) takes its copy, s1 and s2 skip
    // theirs, with summaries made afresh.
    let skipped = eng.quiet_copies();
    assert_eq!(announce(&mut eng, macs[3]), 5);
    assert_eq!(
        eng.quiet_copies() - skipped,
        2,
        "s1 and s2 skip, s0 knows d"
    );
    st(&mut eng, nodes[1])
        .net
        .arp
        .unsolicited(PortId(0), ip("10.0.0.4"), macs[3]);
    let moved = MacAddr(2, 0, 0, 0, 0, 0x44);
    let skipped = eng.quiet_copies();
    assert_eq!(announce(&mut eng, moved), 5);
    assert_eq!(eng.quiet_copies() - skipped, 1, "only s2's copy is skipped");
    assert_eq!(knows(&mut eng, 0), Some(moved), "s0 learned d by a ping");
    assert_eq!(knows(&mut eng, 1), Some(moved), "s1 was given an entry");
    assert_eq!(knows(&mut eng, 2), None, "s2 never talked to d");
}

/// `n` pings of `payload` bytes from a stack configured by `os` to 10.0.0.99, which nobody
/// has, all at one instant: the ids (1 to n) whose frames were dropped while waiting for
/// ARP, in the order they were dropped, with the words of the first drop.
fn waiting_drops(os: fn(&mut StackConfig), n: u32, payload: u16) -> (Vec<u32>, Option<String>) {
    let mut eng = Engine::new(1, Limits::default());
    let mut s = stack("a", &[(A_MAC, "10.0.0.1/24", 1500)]);
    os(&mut s.config);
    let a = add(&mut eng, s);
    let b = add(&mut eng, stack("b", &[(B_MAC, "10.0.0.2/24", 1500)]));
    cable(&mut eng, (a, 0), (b, 0));
    for id in 1..=n {
        let req = ProbeRequest {
            id: ProbeId(id),
            target: ProbeTarget::Addr(ip("10.0.0.99")),
            proto: ProbeProto::icmp_payload(payload),
            timeout: SimDuration::from_secs(5),
            dns_server: None,
        };
        eng.invoke(a, |d, out| {
            d.as_stack_mut().expect("stack").start_probe(req, out)
        });
    }
    let mut ids = Vec::new();
    let mut words = None;
    for h in eng.trace() {
        if let Action::Dropped(r @ DropReason::ArpQueueFull { .. }) = &h.action {
            ids.push(h.probe.0);
            words.get_or_insert_with(|| r.show(eng.syms()).to_string());
        }
    }
    (ids, words)
}

#[test]
fn a_windows_stack_keeps_16_frames_for_an_address_and_drops_newer_ones() {
    let (ids, words) = waiting_drops(crate::control::tcpip::windows, 20, 32);
    assert_eq!(ids, [17, 18, 19, 20]);
    assert_eq!(
        words.as_deref(),
        Some("too many frames waiting for ARP resolution of 10.0.0.99 (at most 16; a newer frame is dropped)")
    );
}

#[test]
fn a_linux_stack_counts_buffer_bytes_and_drops_the_oldest_frames() {
    // 1472-byte pings make 1514-byte frames: 2,112 bytes each, 100 fit in 212,992.
    let (ids, words) = waiting_drops(crate::control::tcpip::linux, 103, 1472);
    assert_eq!(ids, [1, 2, 3], "the oldest go");
    assert_eq!(
        words.as_deref(),
        Some("too many frames waiting for ARP resolution of 10.0.0.99: the oldest is dropped to make room (at most 212992 bytes of buffers per address)")
    );
    // Small frames (74 bytes, 128 rounded: 704 each) wait by the hundreds where Windows
    // keeps 16.
    let (ids, _) = waiting_drops(crate::control::tcpip::linux, 303, 32);
    assert_eq!(ids, [1], "302 small frames fit");
}

/// Where a packet's reads of the socket set and the net state fall (`IpStack`'s layout):
/// the bound ports, the echoes served, the relays' and DHCP clients' flags and what an echo
/// for the first echo client reads (its destination and echo count, the first 8 bytes of
/// `Apps`) fill one cache line, the rest of the echo client the next, the echo's kept
/// request and answer headers a line each; the IP identifier, the loopback flag and the
/// first two ARP entries whole the net state's first line.
#[test]
fn the_sockets_and_net_state_open_with_what_a_packet_reads() {
    use super::socket::{echo::Apps, Sockets};
    use std::mem::{offset_of, size_of};
    assert_eq!(offset_of!(Sockets, apps), 56);
    assert_eq!(offset_of!(Sockets, apps) + size_of::<Apps>(), 128);
    assert_eq!(offset_of!(Sockets, sent_udp), 128);
    assert_eq!(size_of::<super::socket::echo::SentUdp>(), 128);
    // The ARP cache's first two inline slots (a key and an entry each, 22 bytes) are in
    // the net state's first line.
    use super::arp::{self, ArpCache};
    assert_eq!(size_of::<arp::Entry>(), 16);
    assert_eq!(size_of::<Option<(arp::Key, arp::Entry)>>(), 22);
    let mut cache = ArpCache::default();
    let ip = |n| std::net::Ipv4Addr::new(10, 0, 0, n);
    let mac = crate::wire::MacAddr(2, 0, 0, 0, 0, 1);
    cache.unsolicited(PortId(0), ip(1), mac);
    cache.unsolicited(PortId(0), ip(2), mac);
    let at = |e: &arp::Entry| e as *const arp::Entry as usize - &cache as *const ArpCache as usize;
    let second = at(cache.entry(PortId(0), ip(2)).unwrap());
    assert_eq!(second - at(cache.entry(PortId(0), ip(1)).unwrap()), 22);
    let end = offset_of!(super::interface::NetState, arp) + second + size_of::<arp::Entry>();
    assert!(end <= 64, "the second ARP entry ends at {end}");
    assert_eq!(std::mem::align_of::<super::IpStack>(), 64);
}

/// Sends a UDP probe from `from` to `to`:`port` and runs until it ended; its id is `id`.
fn udp_probe(eng: &mut Engine, from: NodeId, to: &str, port: u16, id: u32) -> Outcome {
    probe(eng, from, to, ProbeProto::Udp(port), id)
}

/// The echo service answers exactly the ports of `udp_echo` (the index holds the first
/// ones, the list the rest) and refuses every other: with ports past the inline ones, with
/// one, and with none.
#[test]
fn the_udp_echo_service_answers_its_ports_and_no_other() {
    let (mut eng, a, b) = pair();
    let mut id = 0;
    for ports in [vec![7, 9, 11, 13], vec![9], vec![]] {
        st(&mut eng, b).config.services_mut().udp_echo = ports.clone();
        for port in [7, 8, 9, 10, 11, 12, 13, 0, 65535] {
            id += 1;
            let expected = if ports.contains(&port) {
                Outcome::Delivered
            } else {
                Outcome::Refused
            };
            assert_eq!(
                udp_probe(&mut eng, a, "10.0.0.2", port, id),
                expected,
                "{ports:?} {port}"
            );
        }
    }
}
