//! A frame's headers, layer by layer, for the page; and what changed between two sightings of
//! one packet.
//!
//! Owns the decoding the page shows, so that its script parses nothing: `layers` turns a
//! frame's bytes (through `wire::parse`) into `Layer`s of named, already formatted fields
//! (Ethernet, 802.1Q, ARP, IPv4, ICMP, UDP, TCP, DNS, DHCP, VXLAN and the frame inside it).
//! `same_packet` says whether two frames are one packet seen twice (after a NAT, a MAC
//! rewrite or a hop of routing, not a new one), `relate` also recognises one wrapped in or
//! unwrapped from VXLAN, and `mark_changes` marks on the later sighting each field whose
//! value differs (`Field::was`), each layer that is new (`Layer::added`) and, in words, each
//! layer that is gone.

use serde::Serialize;
use sim_core::wire::{
    self, dhcp_parse, is_dhcp_ports, ArpOp, DnsMessage, L4Repr, NetRepr, Packet, UdpPayload,
};
use std::net::Ipv4Addr;

/// One header of a frame: its fields in wire order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Layer {
    /// `Ethernet`, `802.1Q`, `ARP`, `IPv4`, `ICMP`, `UDP`, `TCP`, `DNS`, `DHCP`, `VXLAN`,
    /// `Payload`, or `Undecoded` for bytes `wire::parse` refused.
    pub name: &'static str,
    /// How deep in encapsulation: 0 for the frame on the wire, 1 for the frame inside its
    /// VXLAN header, and so on.
    pub depth: u8,
    /// The whole layer is new at this hop (a VLAN tag pushed, the outer headers of an
    /// encapsulation).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub added: bool,
    pub fields: Vec<Field>,
}

/// One field of a header, formatted for reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: &'static str,
    pub value: String,
    /// The value at the packet's previous sighting, when it changed since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub was: Option<String>,
    /// The change was made by the node the packet came from, as that node sent it (after its
    /// last hop, for example the MAC addresses filled in once its ARP resolved the next hop),
    /// not by this hop: the frame was already so on the link.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub upstream: bool,
}

/// How a later sighting of a packet relates to an earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// The same packet, perhaps with rewritten fields.
    Same,
    /// The earlier packet is now inside a VXLAN header with this VNI.
    Encapsulated(u32),
    /// The earlier VXLAN packet (this VNI) was unwrapped: this is its inner frame.
    Decapsulated(u32),
}

impl Relation {
    /// Depth in the earlier sighting of a layer at depth 0 in the later one.
    fn depth_shift(self) -> i16 {
        match self {
            Relation::Same => 0,
            Relation::Encapsulated(_) => -1,
            Relation::Decapsulated(_) => 1,
        }
    }
}

/// The layers of a frame. Bytes that do not parse are one `Undecoded` layer saying why.
pub fn layers(bytes: &[u8]) -> Vec<Layer> {
    match wire::parse(bytes) {
        Ok(p) => packet_layers(&p),
        Err(e) => vec![Layer {
            name: "Undecoded",
            depth: 0,
            added: false,
            fields: vec![
                field("length", format!("{} bytes", bytes.len())),
                field("error", e.to_string()),
            ],
        }],
    }
}

/// The layers of a parsed packet.
pub fn packet_layers(p: &Packet) -> Vec<Layer> {
    let mut out = Vec::new();
    push_packet(p, 0, &mut out);
    out
}

fn field(name: &'static str, value: impl ToString) -> Field {
    Field {
        name,
        value: value.to_string(),
        was: None,
        upstream: false,
    }
}

fn layer(name: &'static str, depth: u8, fields: Vec<Field>) -> Layer {
    Layer {
        name,
        depth,
        added: false,
        fields,
    }
}

fn push_packet(p: &Packet, depth: u8, out: &mut Vec<Layer>) {
    let ethertype = match &p.net {
        NetRepr::Arp(_) => "ARP".to_string(),
        NetRepr::Ipv4(_) => "IPv4".to_string(),
        NetRepr::Unknown { ethertype, .. } => format!("0x{ethertype:04x}"),
    };
    out.push(layer(
        "Ethernet",
        depth,
        vec![
            field("src", p.eth.src),
            field("dst", p.eth.dst),
            field("type", ethertype),
        ],
    ));
    if let Some(vlan) = p.eth.vlan {
        out.push(layer("802.1Q", depth, vec![field("VLAN", vlan)]));
    }
    match &p.net {
        NetRepr::Arp(a) => {
            let op = match a.op {
                ArpOp::Request => "request",
                ArpOp::Reply => "reply",
            };
            out.push(layer(
                "ARP",
                depth,
                vec![
                    field("op", op),
                    field("sender MAC", a.sender_mac),
                    field("sender IP", a.sender_ip),
                    field("target MAC", a.target_mac),
                    field("target IP", a.target_ip),
                ],
            ));
        }
        NetRepr::Unknown { bytes, .. } => {
            out.push(layer(
                "Payload",
                depth,
                vec![field("length", format!("{} bytes", bytes.len()))],
            ));
        }
        NetRepr::Ipv4(ip) => {
            let proto = match &ip.l4 {
                L4Repr::Tcp { .. } => "TCP".to_string(),
                L4Repr::Udp { .. } => "UDP".to_string(),
                L4Repr::Other { proto, .. } | L4Repr::Fragment { proto, .. } => proto.to_string(),
                _ => "ICMP".to_string(),
            };
            out.push(layer(
                "IPv4",
                depth,
                vec![
                    field("src", ip.src),
                    field("dst", ip.dst),
                    field("TTL", ip.ttl),
                    field("id", ip.ident),
                    field("DF", if ip.dont_fragment { "set" } else { "clear" }),
                    field("protocol", proto),
                ],
            ));
            push_l4(&ip.l4, depth, out);
        }
    }
}

fn push_l4(l4: &L4Repr, depth: u8, out: &mut Vec<Layer>) {
    match l4 {
        L4Repr::Tcp {
            sport,
            dport,
            seq,
            ack,
            flags,
            window,
            payload,
        } => {
            let mut fields = vec![
                field("src port", sport),
                field("dst port", dport),
                field("flags", format!("[{}]", flags.letters())),
                field("seq", seq),
            ];
            if flags.ack {
                fields.push(field("ack", ack));
            }
            fields.push(field("window", window));
            fields.push(field("payload", format!("{} bytes", payload.len())));
            out.push(layer("TCP", depth, fields));
        }
        L4Repr::Udp {
            sport,
            dport,
            payload,
        } => {
            let len = match payload {
                UdpPayload::Dns(m) => wire::dns_emit(m).len(),
                UdpPayload::Vxlan { inner, .. } => 8 + inner.emit().len(),
                UdpPayload::Raw(b) => b.len(),
            };
            out.push(layer(
                "UDP",
                depth,
                vec![
                    field("src port", sport),
                    field("dst port", dport),
                    field("payload", format!("{len} bytes")),
                ],
            ));
            match payload {
                UdpPayload::Dns(m) => out.push(dns_layer(m, depth)),
                UdpPayload::Vxlan { vni, inner } => {
                    out.push(layer("VXLAN", depth, vec![field("VNI", vni)]));
                    push_packet(inner, depth.saturating_add(1), out);
                }
                UdpPayload::Raw(b) if is_dhcp_ports(*sport, *dport) => {
                    if let Ok(m) = dhcp_parse(b) {
                        let mut fields = vec![
                            field("message", m.msg_type),
                            field("xid", format!("0x{:08x}", m.xid)),
                            field("client MAC", m.chaddr),
                        ];
                        if !m.yiaddr.is_unspecified() {
                            fields.push(field("your address", m.yiaddr));
                        }
                        out.push(layer("DHCP", depth, fields));
                    }
                }
                UdpPayload::Raw(_) => {}
            }
        }
        L4Repr::IcmpEcho { reply, id, seq, .. } => {
            let kind = if *reply { "echo reply" } else { "echo request" };
            out.push(layer(
                "ICMP",
                depth,
                vec![field("type", kind), field("id", id), field("seq", seq)],
            ));
        }
        L4Repr::IcmpUnreachable { code, mtu, quoted } => {
            let mut fields = vec![
                field("type", "destination unreachable"),
                field("code", unreachable_code(*code)),
            ];
            if *code == 4 {
                fields.push(field("next-hop MTU", mtu));
            }
            fields.push(field("quoted", quoted_summary(quoted)));
            out.push(layer("ICMP", depth, fields));
        }
        L4Repr::IcmpTimeExceeded { code, quoted } => {
            let code = match code {
                0 => "TTL exceeded in transit".to_string(),
                1 => "reassembly time exceeded".to_string(),
                c => c.to_string(),
            };
            out.push(layer(
                "ICMP",
                depth,
                vec![
                    field("type", "time exceeded"),
                    field("code", code),
                    field("quoted", quoted_summary(quoted)),
                ],
            ));
        }
        L4Repr::IcmpOther {
            icmp_type, code, ..
        } => out.push(layer(
            "ICMP",
            depth,
            vec![field("type", icmp_type), field("code", code)],
        )),
        L4Repr::Other { bytes, .. } => out.push(layer(
            "Payload",
            depth,
            vec![field("length", format!("{} bytes", bytes.len()))],
        )),
        L4Repr::Fragment {
            offset,
            more,
            bytes,
            ..
        } => out.push(layer(
            "Fragment",
            depth,
            vec![
                field("offset", format!("{} bytes", u32::from(*offset) * 8)),
                field("more fragments", if *more { "yes" } else { "no" }),
                field("length", format!("{} bytes", bytes.len())),
            ],
        )),
    }
}

fn dns_layer(m: &DnsMessage, depth: u8) -> Layer {
    let mut fields = vec![
        field("id", m.id),
        field("kind", if m.response { "response" } else { "query" }),
        field("question", format!("A? {}", m.question)),
    ];
    if m.response {
        let rcode = match m.rcode {
            0 => "NOERROR".to_string(),
            2 => "SERVFAIL".to_string(),
            3 => "NXDOMAIN".to_string(),
            n => n.to_string(),
        };
        fields.push(field("rcode", rcode));
        let answers: Vec<String> = m.answers.iter().map(|(_, ip, _)| ip.to_string()).collect();
        let answers = if answers.is_empty() {
            "none".to_string()
        } else {
            answers.join(", ")
        };
        fields.push(field("answers", answers));
    }
    layer("DNS", depth, fields)
}

fn unreachable_code(code: u8) -> String {
    match code {
        0 => "net unreachable".into(),
        1 => "host unreachable".into(),
        2 => "protocol unreachable".into(),
        3 => "port unreachable".into(),
        4 => "fragmentation needed".into(),
        13 => "administratively prohibited".into(),
        c => c.to_string(),
    }
}

/// The packet quoted in an ICMP error, as `proto src[:port] > dst[:port]`, read from its IPv4
/// header and the first bytes after it (a NAT rewrites these too).
fn quoted_summary(q: &[u8]) -> String {
    let addr = |at: usize| -> Option<Ipv4Addr> {
        let b: [u8; 4] = q.get(at..at + 4)?.try_into().ok()?;
        Some(Ipv4Addr::from(b))
    };
    let (Some(&first), Some(&proto), Some(src), Some(dst)) =
        (q.first(), q.get(9), addr(12), addr(16))
    else {
        return format!("{} bytes", q.len());
    };
    let hl = usize::from(first & 0x0f) * 4;
    let port = |at: usize| {
        q.get(hl + at..hl + at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    };
    match (proto, port(0), port(2)) {
        (wire::IPPROTO_TCP | wire::IPPROTO_UDP, Some(sp), Some(dp)) => {
            let name = if proto == wire::IPPROTO_TCP {
                "TCP"
            } else {
                "UDP"
            };
            format!("{name} {src}:{sp} > {dst}:{dp}")
        }
        (wire::IPPROTO_ICMP, ..) => format!("ICMP {src} > {dst}"),
        (p, ..) => format!("protocol {p} {src} > {dst}"),
    }
}

/// Whether two frames are one packet seen twice. Only what a device on the path may rewrite
/// (MACs, VLAN tag, addresses, ports, TTL, ICMP echo ids, the quote in an ICMP error) is
/// allowed to differ; an IPv4 packet keeps its identification field.
pub fn same_packet(a: &Packet, b: &Packet) -> bool {
    match (&a.net, &b.net) {
        (NetRepr::Arp(x), NetRepr::Arp(y)) => {
            x.op == y.op && x.sender_ip == y.sender_ip && x.target_ip == y.target_ip
        }
        (NetRepr::Ipv4(x), NetRepr::Ipv4(y)) => x.ident == y.ident && same_l4(&x.l4, &y.l4),
        (
            NetRepr::Unknown {
                ethertype: e1,
                bytes: b1,
            },
            NetRepr::Unknown {
                ethertype: e2,
                bytes: b2,
            },
        ) => e1 == e2 && b1 == b2,
        _ => false,
    }
}

fn same_l4(a: &L4Repr, b: &L4Repr) -> bool {
    use L4Repr::*;
    match (a, b) {
        (
            Tcp {
                seq: s1,
                ack: a1,
                flags: f1,
                payload: p1,
                ..
            },
            Tcp {
                seq: s2,
                ack: a2,
                flags: f2,
                payload: p2,
                ..
            },
        ) => s1 == s2 && a1 == a2 && f1 == f2 && p1 == p2,
        (Udp { payload: p1, .. }, Udp { payload: p2, .. }) => match (p1, p2) {
            (UdpPayload::Dns(m1), UdpPayload::Dns(m2)) => m1 == m2,
            (
                UdpPayload::Vxlan { vni: v1, inner: i1 },
                UdpPayload::Vxlan { vni: v2, inner: i2 },
            ) => v1 == v2 && same_packet(i1, i2),
            (UdpPayload::Raw(r1), UdpPayload::Raw(r2)) => r1 == r2,
            _ => false,
        },
        (
            IcmpEcho {
                reply: r1,
                seq: s1,
                payload: p1,
                ..
            },
            IcmpEcho {
                reply: r2,
                seq: s2,
                payload: p2,
                ..
            },
        ) => r1 == r2 && s1 == s2 && p1 == p2,
        (IcmpUnreachable { code: c1, .. }, IcmpUnreachable { code: c2, .. }) => c1 == c2,
        (IcmpTimeExceeded { code: c1, .. }, IcmpTimeExceeded { code: c2, .. }) => c1 == c2,
        (
            IcmpOther {
                icmp_type: t1,
                code: c1,
                ..
            },
            IcmpOther {
                icmp_type: t2,
                code: c2,
                ..
            },
        ) => t1 == t2 && c1 == c2,
        (
            Other {
                proto: p1,
                bytes: b1,
            },
            Other {
                proto: p2,
                bytes: b2,
            },
        ) => p1 == p2 && b1 == b2,
        _ => false,
    }
}

/// The VNI and inner frame of a VXLAN packet.
fn vxlan_inner(p: &Packet) -> Option<(u32, &Packet)> {
    match &p.net {
        NetRepr::Ipv4(ip) => match &ip.l4 {
            L4Repr::Udp {
                payload: UdpPayload::Vxlan { vni, inner },
                ..
            } => Some((*vni, inner)),
            _ => None,
        },
        _ => None,
    }
}

/// How `later` relates to `earlier`, if it is the same packet, or it wrapped or unwrapped.
pub fn relate(earlier: &Packet, later: &Packet) -> Option<Relation> {
    if same_packet(earlier, later) {
        return Some(Relation::Same);
    }
    if let Some((vni, inner)) = vxlan_inner(later) {
        if same_packet(earlier, inner) {
            return Some(Relation::Encapsulated(vni));
        }
    }
    if let Some((vni, inner)) = vxlan_inner(earlier) {
        if same_packet(inner, later) {
            return Some(Relation::Decapsulated(vni));
        }
    }
    None
}

/// Marks on `later` (the layers of a packet's later sighting) what differs from `earlier`
/// (its layers at the previous sighting), given how they relate: each changed field gets
/// its old value in `was`, each new layer `added`. Returns one sentence per change that is
/// not a field: an encapsulation, a decapsulation, a layer that is gone.
pub fn mark_changes(earlier: &[Layer], later: &mut [Layer], relation: Relation) -> Vec<String> {
    let shift = relation.depth_shift();
    let mut notes = Vec::new();
    match relation {
        Relation::Same => {}
        Relation::Encapsulated(vni) => notes.push(format!(
            "encapsulated: the frame is now inside VXLAN (VNI {vni}), with new outer Ethernet, IPv4 and UDP headers"
        )),
        Relation::Decapsulated(vni) => notes.push(format!(
            "decapsulated: the outer Ethernet, IPv4, UDP and VXLAN (VNI {vni}) headers are gone"
        )),
    }
    let find = |depth: i16, name: &str| {
        earlier
            .iter()
            .find(|l| i16::from(l.depth) == depth && l.name == name)
    };
    for l in later.iter_mut() {
        match find(i16::from(l.depth) + shift, l.name) {
            None => l.added = true,
            Some(old) => {
                for f in &mut l.fields {
                    if let Some(o) = old.fields.iter().find(|o| o.name == f.name) {
                        if o.value != f.value {
                            f.was = Some(o.value.clone());
                        }
                    }
                }
            }
        }
    }
    for old in earlier {
        let depth = i16::from(old.depth) - shift;
        if depth < 0 {
            continue;
        }
        let kept = later
            .iter()
            .any(|l| i16::from(l.depth) == depth && l.name == old.name);
        if !kept {
            let what: Vec<String> = old
                .fields
                .iter()
                .map(|f| format!("{} {}", f.name, f.value))
                .collect();
            notes.push(format!("removed: {} ({})", old.name, what.join(", ")));
        }
    }
    notes
}

/// The fields (depth, layer, field) whose value differs between `earlier` and `later`, two
/// sightings of one packet that relate as `relation` says.
pub fn changed_fields(
    earlier: &[Layer],
    later: &[Layer],
    relation: Relation,
) -> Vec<(u8, &'static str, &'static str)> {
    let mut marked = later.to_vec();
    mark_changes(earlier, &mut marked, relation);
    marked
        .iter()
        .flat_map(|l| {
            l.fields
                .iter()
                .filter(|f| f.was.is_some())
                .map(move |f| (l.depth, l.name, f.name))
        })
        .collect()
}

/// Marks as `upstream` each changed field of `layers` that is in `on_the_way` and not in
/// `here`.
pub fn mark_upstream(
    layers: &mut [Layer],
    on_the_way: &[(u8, &'static str, &'static str)],
    here: &[(u8, &'static str, &'static str)],
) {
    for l in layers {
        for f in &mut l.fields {
            let key = (l.depth, l.name, f.name);
            if f.was.is_some() && on_the_way.contains(&key) && !here.contains(&key) {
                f.upstream = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::wire::{tcp_frame, vxlan_encap, IpHeader, MacAddr, TcpFlags};

    const A: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 1);
    const B: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 2);

    fn syn(src: &str, sport: u16) -> Vec<u8> {
        let flags = TcpFlags {
            syn: true,
            ..TcpFlags::default()
        };
        let h = IpHeader {
            src_mac: A,
            dst_mac: B,
            src: src.parse().expect("an address"),
            dst: "203.0.113.10".parse().expect("an address"),
            ttl: 128,
            ident: 7,
        };
        tcp_frame(&h, sport, 80, 1000, 0, flags, 65535)
    }

    fn parsed(bytes: &[u8]) -> Packet {
        wire::parse(bytes).expect("a valid frame")
    }

    fn changed(layers: &[Layer]) -> Vec<String> {
        layers
            .iter()
            .flat_map(|l| {
                l.fields.iter().filter_map(move |f| {
                    f.was
                        .as_ref()
                        .map(|w| format!("{} {}: {} -> {}", l.name, f.name, w, f.value))
                })
            })
            .collect()
    }

    #[test]
    fn a_tcp_syn_decodes_layer_by_layer() {
        let layers = layers(&syn("172.23.210.44", 49154));
        let names: Vec<&str> = layers.iter().map(|l| l.name).collect();
        assert_eq!(names, ["Ethernet", "IPv4", "TCP"]);
        let tcp = &layers[2].fields;
        assert_eq!((tcp[0].name, tcp[0].value.as_str()), ("src port", "49154"));
        assert_eq!((tcp[2].name, tcp[2].value.as_str()), ("flags", "[S]"));
        assert_eq!(layers[1].fields[0].value, "172.23.210.44");
    }

    #[test]
    fn bytes_that_do_not_parse_say_why() {
        let l = layers(&[0xff; 10]);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].name, "Undecoded");
        assert_eq!(l[0].fields[0].value, "10 bytes");
    }

    #[test]
    fn a_source_nat_marks_the_address_and_port_it_rewrote() {
        let before = syn("172.23.210.44", 49154);
        let mut after = before.clone();
        let to = "10.0.0.11".parse().expect("an address");
        assert!(wire::rewrite_src(&mut after, to, 40000));
        let (p, q) = (parsed(&before), parsed(&after));
        assert_eq!(relate(&p, &q), Some(Relation::Same));
        let mut later = packet_layers(&q);
        let notes = mark_changes(&packet_layers(&p), &mut later, Relation::Same);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(
            changed(&later),
            [
                "IPv4 src: 172.23.210.44 -> 10.0.0.11",
                "TCP src port: 49154 -> 40000"
            ]
        );
        assert!(later.iter().all(|l| !l.added));
    }

    #[test]
    fn another_packet_is_not_the_same_packet() {
        let p = parsed(&syn("172.23.210.44", 49154));
        let mut other = p.clone();
        if let NetRepr::Ipv4(ip) = &mut other.net {
            ip.ident += 1;
        }
        assert_eq!(relate(&p, &other), None);
    }

    #[test]
    fn encapsulation_adds_outer_layers_and_decapsulation_removes_them() {
        let inner = syn("10.244.1.5", 49152);
        let outer_mac = MacAddr(0x02, 0, 0, 0, 0, 9);
        let outer = IpHeader {
            src_mac: A,
            dst_mac: outer_mac,
            src: "192.168.1.21".parse().expect("an address"),
            dst: "192.168.1.22".parse().expect("an address"),
            ttl: 128,
            ident: 9,
        };
        let wrapped = vxlan_encap(&outer, 49999, 4096, &inner);
        let (p, q) = (parsed(&inner), parsed(&wrapped));
        assert_eq!(relate(&p, &q), Some(Relation::Encapsulated(4096)));
        let mut later = packet_layers(&q);
        let notes = mark_changes(&packet_layers(&p), &mut later, Relation::Encapsulated(4096));
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("VNI 4096"), "{notes:?}");
        let added: Vec<(&str, u8)> = later
            .iter()
            .filter(|l| l.added)
            .map(|l| (l.name, l.depth))
            .collect();
        assert_eq!(
            added,
            [("Ethernet", 0), ("IPv4", 0), ("UDP", 0), ("VXLAN", 0)]
        );
        assert!(changed(&later).is_empty(), "{:?}", changed(&later));

        assert_eq!(relate(&q, &p), Some(Relation::Decapsulated(4096)));
        let mut unwrapped = packet_layers(&p);
        let notes = mark_changes(
            &packet_layers(&q),
            &mut unwrapped,
            Relation::Decapsulated(4096),
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("decapsulated"), "{notes:?}");
    }

    #[test]
    fn a_vlan_tag_taken_off_is_said_in_words() {
        let untagged = syn("10.0.0.5", 49152);
        let mut tagged = untagged.clone();
        wire::push_vlan(&mut tagged, 7);
        let (p, q) = (parsed(&tagged), parsed(&untagged));
        assert_eq!(relate(&p, &q), Some(Relation::Same));
        let mut later = packet_layers(&q);
        let notes = mark_changes(&packet_layers(&p), &mut later, Relation::Same);
        assert_eq!(notes, ["removed: 802.1Q (VLAN 7)"]);
        let mut back = packet_layers(&p);
        assert!(mark_changes(&packet_layers(&q), &mut back, Relation::Same).is_empty());
        assert!(back.iter().any(|l| l.name == "802.1Q" && l.added));
    }

    #[test]
    fn an_icmp_error_shows_the_packet_it_quotes() {
        let q = [
            0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 5, 203, 0, 113, 10, 0xc0, 0x00,
            0x00, 0x50,
        ];
        assert_eq!(quoted_summary(&q), "TCP 10.0.0.5:49152 > 203.0.113.10:80");
        assert_eq!(quoted_summary(&q[..5]), "5 bytes");
    }
}
