//! A relay on a middle stack between a client and a target: what each side sees.

use super::*;
use crate::device::stack::config::{IfaceConfig, Route, Services, StackConfig};
use crate::device::stack::probe::{ProbeProto, ProbeRequest, ProbeTarget};
use crate::device::stack::IpStack;
use crate::device::{Device, Outcome};
use crate::engine::link::LinkParams;
use crate::engine::{Engine, Limits};
use crate::id::{NodeId, PortId, ProbeId};
use crate::time::SimDuration;
use crate::topology::{NodeInfo, NodeKind};
use crate::wire::MacAddr;
use std::net::{IpAddr, Ipv4Addr};

fn stack(eng: &mut Engine, cfg: StackConfig) -> NodeId {
    let name = cfg.name.clone();
    eng.add_node(
        NodeInfo {
            name,
            kind: NodeKind::External,
            host: None,
        },
        Device::Stack(Box::new(IpStack::new(cfg))),
    )
}

fn iface(name: &str, mac: u8, addr: &str) -> Option<IfaceConfig> {
    Some(IfaceConfig::ethernet(
        name,
        MacAddr(0x02, 0, 0, 0, 0, mac),
        Some(addr.parse().expect("a prefix")),
    ))
}

/// client 10.0.0.1 — 10.0.0.2 relay 172.17.0.1 — 172.17.0.2 target. The relay stack does
/// not forward: only the relay connects the two sides.
struct Net {
    eng: Engine,
    client: NodeId,
    relay: NodeId,
}

fn net(relays: Vec<RelayListener>, target_tcp: Vec<u16>, target_udp: Vec<u16>) -> Net {
    let mut eng = Engine::new(1, Limits::default());
    let mut c = StackConfig::new("client", 64);
    c.ifaces_mut().push(iface("eth0", 1, "10.0.0.1/24"));
    let client = stack(&mut eng, c);
    let mut r = StackConfig::new("relay", 64);
    r.ifaces_mut().push(iface("eth0", 2, "10.0.0.2/24"));
    r.ifaces_mut().push(iface("eth1", 3, "172.17.0.1/16"));
    r.services_mut().relays = relays;
    let relay = stack(&mut eng, r);
    let mut t = StackConfig::new("target", 64);
    t.ifaces_mut().push(iface("eth0", 4, "172.17.0.2/16"));
    t.routes_mut().push(Route {
        dest: "0.0.0.0/0".parse().expect("default"),
        via: Some("172.17.0.1".parse().expect("gw")),
        iface: PortId(0),
    });
    *t.services_mut() = Services {
        tcp: target_tcp,
        udp_echo: target_udp,
        ..Services::default()
    };
    let target = stack(&mut eng, t);
    for (name, a, b) in [
        ("c<->r", (client, PortId(0)), (relay, PortId(0))),
        ("r<->t", (relay, PortId(1)), (target, PortId(0))),
    ] {
        eng.connect(name.into(), a, b, LinkParams::internal(), false);
    }
    Net { eng, client, relay }
}

fn proxy(proto: u8, bind: &str, port: u16) -> RelayListener {
    RelayListener {
        name: "docker-proxy".into(),
        proto,
        bind: bind.parse::<IpAddr>().expect("an address"),
        port,
        target: "172.17.0.2:80".parse().expect("a socket address"),
    }
}

/// Runs a probe from `from` to `to` and returns its outcome and the trace lines.
fn probe(n: &mut Net, from: NodeId, to: &str, proto: ProbeProto) -> (Outcome, Vec<String>) {
    let id = ProbeId(n.eng.ended().len() as u32 + 1);
    let to: Ipv4Addr = to.parse().expect("an address");
    n.eng.invoke(from, |d, out| {
        d.as_stack_mut().expect("a stack").start_probe(
            ProbeRequest {
                id,
                target: ProbeTarget::Addr(to),
                proto,
                timeout: SimDuration::from_secs(1),
                dns_server: None,
            },
            out,
        )
    });
    n.eng.run_for(SimDuration::from_secs(2));
    let outcome = n
        .eng
        .ended()
        .iter()
        .find(|e| e.probe == id)
        .expect("the probe ended")
        .outcome;
    let lines = n
        .eng
        .trace()
        .iter()
        .filter(|h| h.probe == id)
        .map(|h| {
            let pkt = crate::wire::parse(&h.bytes)
                .map(|p| p.to_string())
                .unwrap_or_default();
            format!(
                "{}: {} [{pkt}]",
                n.eng.topology().name(h.node).unwrap_or("?"),
                h.action.show(n.eng.syms())
            )
        })
        .collect();
    (outcome, lines)
}

fn has(lines: &[String], what: &str) -> bool {
    lines.iter().any(|l| l.contains(what))
}

#[test]
fn a_relayed_connection_reaches_the_target_from_the_relays_own_address() {
    let mut n = net(vec![proxy(IPPROTO_TCP, "0.0.0.0", 8080)], vec![80], vec![]);
    let client = n.client;
    let (outcome, lines) = probe(&mut n, client, "10.0.0.2", ProbeProto::Tcp(8080));
    assert_eq!(outcome, Outcome::Delivered, "{lines:#?}");
    assert!(
        has(
            &lines,
            "docker-proxy 0.0.0.0:8080: accepted, connecting to 172.17.0.2:80"
        ),
        "{lines:#?}"
    );
    // The target's listener got a SYN from the relay's address on its side, not the client's.
    let at_target = lines
        .iter()
        .find(|l| l.starts_with("target: delivered to TCP listener on port 80"))
        .or_else(|| panic!("{lines:#?}"))
        .expect("the target accepted");
    assert!(at_target.contains("IP 172.17.0.1."), "{at_target}");
    assert!(!at_target.contains("10.0.0.1"), "{at_target}");
    assert!(has(&lines, "connected to its target, accepting the client"));
    // Both connections close: nothing of them is left in the relay.
    let relay = n
        .eng
        .device(n.relay)
        .and_then(Device::as_stack)
        .expect("stack");
    assert!(
        relay.sockets.proxies.is_empty(),
        "{:?}",
        relay.sockets.proxies
    );
}

#[test]
fn a_refused_target_gives_a_connection_accepted_and_closed() {
    let mut n = net(vec![proxy(IPPROTO_TCP, "0.0.0.0", 8080)], vec![], vec![]);
    let client = n.client;
    let (outcome, lines) = probe(&mut n, client, "10.0.0.2", ProbeProto::Tcp(8080));
    // The client connects (the relay accepted before it dialled), then the relay closes.
    assert_eq!(outcome, Outcome::Delivered, "{lines:#?}");
    assert!(
        has(&lines, "TCP stack: nothing listens on port 80"),
        "{lines:#?}"
    );
    assert!(has(&lines, "its target refused"), "{lines:#?}");
    assert!(has(&lines, "probe client: connection closed"), "{lines:#?}");
}

#[test]
fn a_listener_bound_to_one_address_ignores_the_others() {
    let mut n = net(
        vec![proxy(IPPROTO_TCP, "172.17.0.1", 8080)],
        vec![80],
        vec![],
    );
    let client = n.client;
    let (outcome, lines) = probe(&mut n, client, "10.0.0.2", ProbeProto::Tcp(8080));
    assert_eq!(outcome, Outcome::Refused, "{lines:#?}");
    assert!(!has(&lines, "docker-proxy"), "{lines:#?}");
    // An IPv6 listener is only listed: IPv4 packets never reach it.
    let mut n = net(vec![proxy(IPPROTO_TCP, "::", 8080)], vec![80], vec![]);
    let client = n.client;
    let (outcome, _) = probe(&mut n, client, "10.0.0.2", ProbeProto::Tcp(8080));
    assert_eq!(outcome, Outcome::Refused);
}

#[test]
fn udp_datagrams_are_relayed_both_ways() {
    let mut n = net(vec![proxy(IPPROTO_UDP, "0.0.0.0", 5353)], vec![], vec![80]);
    let client = n.client;
    let (outcome, lines) = probe(&mut n, client, "10.0.0.2", ProbeProto::Udp(5353));
    assert_eq!(outcome, Outcome::Delivered, "{lines:#?}");
    assert!(
        has(&lines, "datagram sent on to 172.17.0.2:80"),
        "{lines:#?}"
    );
    assert!(has(&lines, "UDP echo service on port 80"), "{lines:#?}");
    assert!(
        has(&lines, "answer relayed back to the client"),
        "{lines:#?}"
    );
}

#[test]
fn a_udp_flow_closes_after_ninety_idle_seconds() {
    let mut n = net(vec![proxy(IPPROTO_UDP, "0.0.0.0", 5353)], vec![], vec![80]);
    let client = n.client;
    let (outcome, lines) = probe(&mut n, client, "10.0.0.2", ProbeProto::Udp(5353));
    assert_eq!(outcome, Outcome::Delivered, "{lines:#?}");
    let flows = |n: &Net| {
        let relay = n
            .eng
            .device(n.relay)
            .and_then(Device::as_stack)
            .expect("stack");
        let ports: Vec<u16> = relay.sockets.proxies.iter().map(|c| c.port).collect();
        let bound = ports
            .iter()
            .filter(|p| relay.sockets.binds.get(IPPROTO_UDP, **p).is_some())
            .count();
        (ports.len(), bound)
    };
    assert_eq!(flows(&n), (1, 1), "the flow stays for an answer");
    n.eng.run_for(SimDuration::from_secs(85));
    assert_eq!(flows(&n), (1, 1), "not idle long enough yet");
    n.eng.run_for(SimDuration::from_secs(10));
    assert_eq!(flows(&n), (0, 0), "closed and its port free");
}
