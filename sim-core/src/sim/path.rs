//! A probe's path in one line: the nodes its first packet crossed and what each did to it.
//!
//! Owns picking a probe's *first packet* out of its hops (the first IPv4 packet of the probe's
//! own flow: the echo request, the SYN, the datagram, the DNS query; not the ARP or the DNS
//! lookup before it) and summing its sightings up as a `Path`: one `PathNode` per node in
//! the order the packet reached them, with the mechanisms that node applied (NAT,
//! encapsulation, MAC rewrite, fragmentation, a drop with its reason). The report prints
//! it as `path: A → B [WinNAT SNAT 172.23.210.44 → 10.0.0.11] → C: DELIVERED` before the
//! hops; `hnsim diff` compares paths by their nodes and mechanism keys, never by text.
//!
//! A sighting of the first packet is a hop whose frame is that IPv4 packet (or a VXLAN frame
//! carrying it): same IPv4 identification and the same fingerprint of what no device on the
//! way rewrites (a TCP SYN's sequence number, an echo request's or datagram's payload).

use crate::device::stack::probe::ProbeProto;
use crate::device::{Action, Hop, NatKind};
use crate::sym::Interner;
use crate::wire::{self, L4Repr, NetRepr, Packet, UdpPayload};
use serde::Serialize;
use std::fmt::Write;

/// One node on a probe's path and what it did to the packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathNode {
    pub node: String,
    pub mechanisms: Vec<Mechanism>,
}

/// Something a node did to the packet besides forwarding it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mechanism {
    /// What is compared between two runs (`hnsim diff`): the kind and its stable fields, no
    /// addresses (`nat WinNAT source`, `encap vxlan 4096`, `mac_rewrite source`,
    /// `dropped rule forwarding/FORWARD`).
    pub key: String,
    /// How the one-line path shows it (`WinNAT SNAT 172.23.210.44 → 10.0.0.11`).
    pub text: String,
}

/// The first packet's path: its nodes, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Path {
    /// Which packet the path follows: `packet` (the probe's first packet), `dns_lookup`
    /// (no packet of the probe's own flow was sent: the name's DNS query), `drop` (nothing
    /// left the source: where it was dropped) or `none`.
    pub of: &'static str,
    pub nodes: Vec<PathNode>,
}

impl Path {
    /// `A → B [mechanism] → C`; empty when no packet of the probe's flow was seen.
    pub fn line(&self) -> String {
        let mut s = String::new();
        let mut host: Option<&str> = None;
        for (i, n) in self.nodes.iter().enumerate() {
            if i > 0 {
                s.push_str(" → ");
            }
            // `host1/vSwitch(nat)` right after `host1` (or another node of host1) reads as
            // `vSwitch(nat)`: the host is the one just named.
            let name = match (n.node.split_once('/'), host) {
                (Some((h, rest)), Some(prev)) if h == prev => rest,
                _ => n.node.as_str(),
            };
            host = Some(n.node.split_once('/').map_or(n.node.as_str(), |(h, _)| h));
            s.push_str(name);
            if !n.mechanisms.is_empty() {
                let texts: Vec<&str> = n.mechanisms.iter().map(|m| m.text.as_str()).collect();
                let _ = write!(s, " [{}]", texts.join("; "));
            }
        }
        s
    }
}

/// What identifies the probe's first packet at every sighting.
#[derive(PartialEq)]
struct Fingerprint {
    ident: u16,
    proto: u8,
    /// What no device rewrites: a SYN's sequence number, an echo's or a datagram's payload.
    invariant: Vec<u8>,
}

fn ipv4_of(p: &Packet) -> Option<&wire::Ipv4Repr> {
    match &p.net {
        NetRepr::Ipv4(ip) => Some(ip),
        _ => None,
    }
}

/// The fingerprint of `ip` if it is a packet of the probe's own flow, going out.
fn flow_packet(ip: &wire::Ipv4Repr, proto: ProbeProto) -> Option<Fingerprint> {
    let fp = |proto: u8, invariant: Vec<u8>| {
        Some(Fingerprint {
            ident: ip.ident,
            proto,
            invariant,
        })
    };
    match (&ip.l4, proto) {
        (
            L4Repr::IcmpEcho {
                reply: false,
                payload,
                ..
            },
            ProbeProto::Icmp | ProbeProto::IcmpSized(_),
        ) => fp(1, payload.clone()),
        (
            L4Repr::Fragment {
                proto: 1,
                offset: 0,
                ..
            },
            ProbeProto::Icmp | ProbeProto::IcmpSized(_),
        ) => fp(1, Vec::new()),
        (
            L4Repr::Tcp {
                dport, flags, seq, ..
            },
            ProbeProto::Tcp(p),
        ) if *dport == p && flags.syn && !flags.ack => fp(6, seq.to_be_bytes().to_vec()),
        (
            L4Repr::Udp {
                dport,
                payload: UdpPayload::Raw(bytes),
                ..
            },
            ProbeProto::Udp(p),
        ) if *dport == p => fp(17, bytes.clone()),
        (
            L4Repr::Udp {
                dport: 53,
                payload: UdpPayload::Dns(_),
                ..
            },
            ProbeProto::Dns,
        ) => fp(17, Vec::new()),
        _ => None,
    }
}

/// Whether `ip` is the packet `fp` identifies (or a fragment of it).
fn same_packet(ip: &wire::Ipv4Repr, fp: &Fingerprint) -> bool {
    if ip.ident != fp.ident {
        return false;
    }
    let (proto, invariant): (u8, Option<Vec<u8>>) = match &ip.l4 {
        L4Repr::Fragment { proto, .. } => (*proto, None),
        L4Repr::IcmpEcho {
            reply: false,
            payload,
            ..
        } => (1, Some(payload.clone())),
        L4Repr::Tcp { flags, seq, .. } if flags.syn && !flags.ack => {
            (6, Some(seq.to_be_bytes().to_vec()))
        }
        L4Repr::Udp {
            payload: UdpPayload::Raw(b),
            ..
        } => (17, Some(b.clone())),
        L4Repr::Udp {
            payload: UdpPayload::Dns(_),
            ..
        } => (17, Some(Vec::new())),
        _ => return false,
    };
    proto == fp.proto
        && match invariant {
            None => true,
            Some(inv) => fp.invariant.is_empty() || inv == fp.invariant,
        }
}

/// The IPv4 packet a frame carries, looking inside VXLAN.
fn carried(p: &Packet) -> Vec<&wire::Ipv4Repr> {
    let mut found = Vec::new();
    let mut cur = Some(p);
    while let Some(p) = cur {
        cur = None;
        if let Some(ip) = ipv4_of(p) {
            found.push(ip);
            if let L4Repr::Udp {
                payload: UdpPayload::Vxlan { inner, .. },
                ..
            } = &ip.l4
            {
                cur = Some(inner);
            }
        }
    }
    found
}

/// The indices of the hops that show the probe's first packet, in order.
pub fn first_packet_hops(hops: &[Hop], proto: ProbeProto) -> Vec<usize> {
    sightings(hops, proto)
}

fn sightings(hops: &[Hop], proto: ProbeProto) -> Vec<usize> {
    let parsed: Vec<Option<Packet>> = hops.iter().map(|h| wire::parse(&h.bytes).ok()).collect();
    let Some((start, fp)) = parsed.iter().enumerate().find_map(|(i, p)| {
        let ip = carried(p.as_ref()?).into_iter().last()?;
        flow_packet(ip, proto).map(|fp| (i, fp))
    }) else {
        return Vec::new();
    };
    (start..hops.len())
        .filter(|&i| {
            parsed[i]
                .as_ref()
                .is_some_and(|p| carried(p).iter().any(|ip| same_packet(ip, &fp)))
        })
        .collect()
}

/// Whether a hop is about address resolution: an ARP event, or a frame that is ARP.
pub fn is_arp(hop: &Hop) -> bool {
    matches!(hop.action, Action::Arp { .. })
        || matches!(wire::parse(&hop.bytes).map(|p| p.net), Ok(NetRepr::Arp(_)))
}

/// `10.0.0.11` when the port did not change, `10.0.0.11:8080` when it did.
fn endpoints(before: std::net::SocketAddrV4, after: std::net::SocketAddrV4) -> String {
    if before.port() == after.port() {
        format!("{} → {}", before.ip(), after.ip())
    } else {
        format!("{before} → {after}")
    }
}

/// What a hop's action adds to the path, if anything.
fn mechanism(action: &Action, syms: &Interner) -> Option<Mechanism> {
    let s = |x: &crate::sym::Sym| syms.get(*x).to_string();
    let m = |key: String, text: String| Some(Mechanism { key, text });
    match action {
        Action::Nat {
            table,
            kind,
            before,
            after,
            ..
        } => {
            let (k, short) = match kind {
                NatKind::Source => ("source", "SNAT"),
                NatKind::Destination => ("destination", "DNAT"),
            };
            m(
                format!("nat {} {k}", s(table)),
                format!("{} {short} {}", s(table), endpoints(*before, *after)),
            )
        }
        Action::Encap {
            vni,
            outer_src,
            outer_dst,
            ..
        } => m(
            format!("encap vxlan {vni}"),
            format!("VXLAN {vni} {outer_src} → {outer_dst}"),
        ),
        Action::Decap { vni, .. } => m(format!("decap vxlan {vni}"), format!("VXLAN {vni} off")),
        Action::MacRewrite {
            layer,
            kind,
            before,
            after,
        } => {
            let k = match kind {
                NatKind::Source => "source",
                NatKind::Destination => "destination",
            };
            m(
                format!("mac_rewrite {} {k}", s(layer)),
                format!("{} {k} MAC {before} → {after}", s(layer)),
            )
        }
        Action::Fragmented { fragments, .. } => {
            m("fragmented".into(), format!("fragmented into {fragments}"))
        }
        Action::Reassembled { .. } => m("reassembled".into(), "reassembled".into()),
        Action::Policy { layer, .. } => m(format!("policy {}", s(layer)), s(layer)),
        Action::Dropped(reason) => {
            let v =
                serde_json::to_value(crate::log::Resolved::new(reason, syms)).unwrap_or_default();
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default();
            let mut key = format!("dropped {}", field("kind"));
            if !field("table").is_empty() {
                let _ = write!(key, " {}/{}", field("table"), field("chain"));
            }
            m(key, format!("DROPPED: {}", reason.show(syms)))
        }
        _ => None,
    }
}

/// The path of the probe's first packet through `hops` (`names[i]` is hop i's node).
///
/// When no packet of the probe's own flow was sent, the path follows its DNS lookup; when
/// nothing left the source, it is where the probe was dropped.
pub fn path(hops: &[Hop], names: &[String], proto: ProbeProto, syms: &Interner) -> Path {
    let (of, shown) = match sightings(hops, proto) {
        found if !found.is_empty() => ("packet", found),
        _ => match sightings(hops, ProbeProto::Dns) {
            found if !found.is_empty() => ("dns_lookup", found),
            _ => match hops
                .iter()
                .position(|h| matches!(h.action, Action::Dropped(_)))
            {
                Some(i) => ("drop", vec![i]),
                None => ("none", Vec::new()),
            },
        },
    };
    let mut nodes: Vec<PathNode> = Vec::new();
    for i in shown {
        let node = names.get(i).cloned().unwrap_or_default();
        if nodes.last().is_none_or(|n| n.node != node) {
            nodes.push(PathNode {
                node,
                mechanisms: Vec::new(),
            });
        }
        if let (Some(m), Some(last)) = (mechanism(&hops[i].action, syms), nodes.last_mut()) {
            if !last.mechanisms.contains(&m) {
                last.mechanisms.push(m);
            }
        }
    }
    Path { of, nodes }
}
