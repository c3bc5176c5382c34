//! What a device did with a traced frame, as typed data: the hop record, the action with its
//! fields (interfaces, addresses before and after, the rule that decided), and the reason
//! for a drop.
//!
//! Names are interned `Sym`s, resolved only when the log is rendered (`Action::show`), so a
//! log stays readable after the configuration that produced it is gone and can be written
//! out as JSON without parsing display text. These values are built only for traced frames.
//! Their serde derives give the run log's shape (`crate::log`, which resolves the names).

use super::rules::{CtDir, Hook, TableKind};
use crate::device::stack::arp::WaitingLimit;
use crate::id::{NodeId, ProbeId};
use crate::sym::{Interner, Sym};
use crate::time::SimTime;
use crate::wire::DhcpMessageType;
use pnet_base::MacAddr;
use serde::{Serialize, Serializer};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

/// One step of a traced frame through one device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub probe: ProbeId,
    pub time: SimTime,
    pub node: NodeId,
    pub action: Action,
    /// The frame as it was at this hop (after any rewrite the hop describes).
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// Which address a translation changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum NatKind {
    /// Source NAT: the inside address is replaced by the outside one.
    Source,
    /// Destination NAT: the outside address is replaced by the inside one.
    Destination,
}

/// The kind of rule that bound a connection's translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum NatTarget {
    Dnat,
    Snat,
    Masquerade,
}

/// How a translation came about: which kind of rule bound the connection, in which direction
/// this packet went, and whether it was the connection's first packet (the rule decided
/// now) or a later one (conntrack applied the stored decision).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NatHow {
    pub target: NatTarget,
    pub dir: CtDir,
    pub first: bool,
}

/// What an ARP exchange did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ArpEvent {
    /// Asked who has `target`.
    Request { target: Ipv4Addr, sender: Ipv4Addr },
    /// Answered for one of its own addresses.
    Reply {
        ip: Ipv4Addr,
        mac: MacAddr,
        to: Ipv4Addr,
    },
    /// Learned an answer.
    Learned { ip: Ipv4Addr, mac: MacAddr },
    /// Answered for a remote endpoint reached through a tunnel to `via`.
    Proxy {
        ip: Ipv4Addr,
        mac: MacAddr,
        via: Ipv4Addr,
    },
    /// Used an entry whose reachable time ran out: the frame goes to the cached MAC, and
    /// the entry is checked by unicast requests when it is used again `probe_in_ms` or more
    /// later, unless confirmed first.
    Stale {
        ip: Ipv4Addr,
        mac: MacAddr,
        probe_in_ms: u64,
    },
}

/// What a DHCP client did with a server's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DhcpClientEvent {
    Offer {
        addr: Ipv4Addr,
        server: Ipv4Addr,
    },
    Bound {
        addr: Ipv4Addr,
        server: Ipv4Addr,
    },
    Nak {
        server: Ipv4Addr,
    },
    #[serde(serialize_with = "as_message")]
    Ignored(DhcpMessageType),
}

/// What a DHCP server did with a client's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DhcpServerEvent {
    NoPool {
        iface: Sym,
    },
    NoFreeAddress {
        mac: MacAddr,
    },
    Offering {
        ip: Ipv4Addr,
        mac: MacAddr,
    },
    ChoseOther {
        mac: MacAddr,
        server: Ipv4Addr,
    },
    Binding {
        ip: Ipv4Addr,
        mac: MacAddr,
    },
    NotYours {
        ip: Ipv4Addr,
        mac: MacAddr,
    },
    #[serde(serialize_with = "as_message")]
    Ignored(DhcpMessageType),
}

/// What an embedded DNS resolver did with a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResolverEvent {
    /// The name is one it holds a record for.
    Known { query: Sym },
    /// It knows no such name and has nowhere to ask.
    Unknown,
    /// Passed on to an upstream server.
    Forwarded { upstream: Ipv4Addr },
    /// An unknown name it must not forward (its namespace has no external access): SERVFAIL.
    NotForwarded,
    /// Relayed an upstream server's answer back to the client.
    Relayed,
    /// `max` forwarded queries already wait for their answers: this one is not forwarded
    /// and gets no answer (moby `resolver.go` `maxConcurrent`).
    Busy { max: u32 },
}

/// What a relay listening on a stack (a proxy process such as `docker-proxy`) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RelayEvent {
    /// A client's connection attempt: the relay opens a connection of its own to `target`.
    Accepted { target: SocketAddrV4 },
    /// The target accepted the relay's connection: the client's is accepted too.
    Connected,
    /// The target refused the relay's connection: the client's connection is accepted and
    /// closed at once, with nothing said.
    Refused,
    /// A client's datagram, sent on to `target` from the relay's own socket.
    Forwarded { target: SocketAddrV4 },
    /// The target's answer, sent back to the client from the listening address.
    Answered,
}

/// Where a probe's answer or a stage of its exchange arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeEvent {
    Answer,
    Connected,
    Closed,
    Resolved { name: Sym, addr: Ipv4Addr },
}

/// The consumer a frame was delivered to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Delivery {
    IcmpEcho,
    TcpListener {
        port: u16,
    },
    /// The TCP stack answers a connection attempt with RST: nothing listens.
    TcpReset {
        port: u16,
    },
    UdpEcho {
        port: u16,
    },
    DnsServer,
    Resolver {
        name: Sym,
        event: ResolverEvent,
    },
    #[serde(serialize_with = "as_event")]
    Probe(ProbeEvent),
    DhcpClient {
        iface: Sym,
        event: DhcpClientEvent,
    },
    #[serde(serialize_with = "as_event")]
    DhcpServer(DhcpServerEvent),
    /// A relay listening on the stack (`name` says which, and where it listens).
    Relay {
        name: Sym,
        event: RelayEvent,
    },
}

/// What a device did with a traced frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// The frame was built here and sent out of `iface` (with its control plane's label).
    Sent { iface: Sym, tag: Option<Sym> },
    /// Switched from one port to another.
    Bridged { from_port: Sym, to_port: Sym },
    /// Switched to every other port of the VLAN (broadcast or unknown unicast), as it left
    /// those of them where it left unchanged.
    Flooded { from_port: Sym, ports: u32 },
    /// One copy of a flooded frame, where it left changed (a tag pushed, a MAC rewritten).
    FloodedTo { from_port: Sym, to_port: Sym },
    /// A packet larger than the MTU of `iface` was split into `fragments` pieces.
    Fragmented {
        iface: Sym,
        fragments: u32,
        mtu: u16,
    },
    /// A fragment is kept until the rest of its datagram arrives.
    FragmentHeld { ident: u16, held: u32 },
    /// The last missing fragment arrived: the datagram is whole again.
    Reassembled {
        ident: u16,
        fragments: u32,
        size: usize,
    },
    /// Routed between interfaces of an IP stack.
    Routed {
        from_iface: Sym,
        to_iface: Sym,
        next_hop: Ipv4Addr,
        /// The outgoing interface's label.
        tag: Option<Sym>,
    },
    /// Address translation by a NAT rule or the connection it bound.
    Nat {
        table: Sym,
        /// The table's label.
        tag: Option<Sym>,
        #[serde(rename = "nat")]
        kind: NatKind,
        before: SocketAddrV4,
        after: SocketAddrV4,
        rule: Sym,
        how: NatHow,
    },
    /// Address resolution on an interface.
    Arp { iface: Sym, event: ArpEvent },
    /// A rule that traces show let the frame in.
    Allowed { table: Sym, rule: Sym },
    /// The frame reached its final consumer on this node.
    #[serde(serialize_with = "as_delivery")]
    Delivered(Delivery),
    /// A port policy rewrote a MAC address (a container's MAC to the host's and back).
    MacRewrite {
        layer: Sym,
        #[serde(rename = "mac")]
        kind: NatKind,
        before: MacAddr,
        after: MacAddr,
    },
    /// The frame was wrapped in VXLAN: outer addresses are the hosts' provider addresses.
    Encap {
        by: Sym,
        vni: u32,
        outer_src: Ipv4Addr,
        outer_dst: Ipv4Addr,
    },
    /// A VXLAN frame was unwrapped and its inner frame handed on.
    Decap { by: Sym, vni: u32, to: Sym },
    /// A policy steered or admitted the frame.
    Policy { layer: Sym, rule: Sym },
    /// The frame went no further.
    #[serde(serialize_with = "as_reason")]
    Dropped(DropReason),
}

/// Why a frame went no further. Each names the rule or the missing entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DropReason {
    LinkDown {
        link: Sym,
    },
    QueueFull {
        link: Sym,
        limit_bytes: usize,
    },
    LinkLoss {
        link: Sym,
    },
    /// Lost to a loss impairment set on the link by an `Impair` step.
    ImpairmentLoss {
        link: Sym,
        /// The loss probability, in thousandths.
        per_mille: u16,
    },
    Unplugged {
        port: Sym,
    },
    NodeGone,
    /// The frame reached a device of a container host that lost power (a `HostDown` step):
    /// its own stack, a vSwitch or a container in it.
    HostDown {
        host: Sym,
    },
    NoMacEntry {
        switch: Sym,
        mac: MacAddr,
        vlan: u16,
    },
    VlanNotAllowed {
        port: Sym,
        vlan: u16,
    },
    Malformed {
        what: Sym,
    },
    TtlExpired,
    NoRoute {
        dst: Ipv4Addr,
    },
    ArpUnresolved {
        ip: Ipv4Addr,
        iface: Sym,
    },
    ForwardingDisabled,
    /// A rule (or a chain's policy, `rule: None`) dropped or rejected it.
    Rule {
        hook: Hook,
        #[serde(rename = "table_kind")]
        kind: TableKind,
        table: Sym,
        chain: Sym,
        /// 1-based position in the chain, as `iptables -L --line-numbers` counts.
        rule: Option<u32>,
        /// The rule's comment (or the rule itself), or the policy's reason.
        why: Sym,
        in_iface: Option<Sym>,
        out_iface: Option<Sym>,
    },
    /// Jumps between chains nested deeper than the engine allows.
    JumpsTooDeep {
        table: Sym,
        chain: Sym,
    },
    NatPortsExhausted {
        table: Sym,
    },
    ConntrackFull {
        max: usize,
    },
    NoListener {
        proto: &'static str,
        port: u16,
    },
    /// Too many frames were waiting for `ip` to be resolved: this one went (the new one
    /// under a count of frames, the oldest under a count of bytes).
    ArpQueueFull {
        ip: Ipv4Addr,
        limit: WaitingLimit,
    },
    /// A switch port with MAC address spoofing off saw a source MAC that is not the
    /// attached machine's own.
    MacSpoofing {
        switch: Sym,
        port: Sym,
        mac: MacAddr,
    },
    /// The port is an alternate or backup port of the spanning tree: it discards.
    SpanningTree {
        switch: Sym,
        port: Sym,
        role: &'static str,
    },
    /// The destination sits behind the port the frame came from, and the port does not
    /// reflect frames back (no hair-pinning on this switch).
    Filtered {
        switch: Sym,
        port: Sym,
        why: Sym,
    },
    /// Encapsulation would make the frame larger than the outgoing interface's MTU.
    TooBig {
        iface: Sym,
        size: usize,
        mtu: u16,
        why: Sym,
    },
    /// A port policy refused the frame.
    Policy {
        layer: Sym,
        rule: Sym,
    },
    /// A VXLAN frame whose VNI or inner destination no endpoint here knows.
    NoVxlanPeer {
        by: Sym,
        what: Sym,
    },
    /// A switch that sends unknown unicast to one port got such a frame from that port:
    /// it never sends a frame back where it came from.
    UnknownUnicastBack {
        switch: Sym,
        mac: MacAddr,
        vlan: u16,
        port: Sym,
    },
    /// Not every fragment of the datagram arrived in time; the pieces held are given up.
    ReassemblyTimeout {
        src: Ipv4Addr,
        ident: u16,
        timeout_ms: u64,
    },
    /// No room to reassemble another datagram.
    ReassemblyFull {
        datagrams: usize,
        bytes: usize,
    },
}

// The enums here serialize internally tagged (`{"kind": "nat", ...}`). A variant that wraps
// another value writes it as one named field, so that a tagged enum can hold another:
// `{"kind": "dropped", "reason": {"kind": "no_route", ...}}`.

fn one_field<S: Serializer, T: Serialize + ?Sized>(
    name: &'static str,
    value: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("", 1)?;
    st.serialize_field(name, value)?;
    st.end()
}

fn as_message<S: Serializer>(t: &DhcpMessageType, s: S) -> Result<S::Ok, S::Error> {
    one_field("message", t.to_string().as_str(), s)
}

fn as_event<S: Serializer, T: Serialize>(event: &T, s: S) -> Result<S::Ok, S::Error> {
    one_field("event", event, s)
}

fn as_delivery<S: Serializer>(d: &Delivery, s: S) -> Result<S::Ok, S::Error> {
    one_field("to", d, s)
}

fn as_reason<S: Serializer>(r: &DropReason, s: S) -> Result<S::Ok, S::Error> {
    one_field("reason", r, s)
}

/// An action or drop reason with the names it refers to: `format!("{}", x.show(&syms))`.
pub struct Show<'a, T>(&'a T, &'a Interner);

impl Action {
    pub fn show<'a>(&'a self, syms: &'a Interner) -> Show<'a, Action> {
        Show(self, syms)
    }
}

impl DropReason {
    pub fn show<'a>(&'a self, syms: &'a Interner) -> Show<'a, DropReason> {
        Show(self, syms)
    }
}

impl fmt::Display for Show<'_, DropReason> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |x: &Sym| self.1.get(*x);
        match self.0 {
            DropReason::LinkDown { link } => write!(f, "link {} is down", s(link)),
            DropReason::QueueFull { link, limit_bytes } => write!(
                f,
                "transmit queue of link {} is full ({limit_bytes} bytes)",
                s(link)
            ),
            DropReason::LinkLoss { link } => {
                write!(f, "lost on link {} (configured loss)", s(link))
            }
            DropReason::ImpairmentLoss { link, per_mille } => write!(
                f,
                "lost on link {} to its loss impairment ({}.{}% of frames, set by an Impair step)",
                s(link),
                per_mille / 10,
                per_mille % 10
            ),
            DropReason::Unplugged { port } => write!(f, "port {} has no cable", s(port)),
            DropReason::NodeGone => write!(f, "the receiving node no longer exists"),
            DropReason::HostDown { host } => write!(
                f,
                "{} is down (it failed): a host without power runs nothing",
                s(host)
            ),
            DropReason::NoMacEntry { switch, mac, vlan } => write!(
                f,
                "{} has no port for destination MAC {mac} in VLAN {vlan}, and it does not flood unknown unicast",
                s(switch)
            ),
            DropReason::VlanNotAllowed { port, vlan } => {
                write!(f, "port {} does not carry VLAN {vlan}", s(port))
            }
            DropReason::Malformed { what } => write!(f, "malformed frame: {}", s(what)),
            DropReason::TtlExpired => write!(f, "TTL expired"),
            DropReason::NoRoute { dst } => write!(f, "no route to {dst} in the routing table"),
            DropReason::ArpUnresolved { ip, iface } => {
                write!(f, "no ARP reply for {ip} on {} (3 requests sent)", s(iface))
            }
            DropReason::ForwardingDisabled => write!(f, "IP forwarding is disabled on this node"),
            DropReason::Rule {
                hook,
                kind,
                table,
                why,
                in_iface,
                out_iface,
                ..
            } => match (hook, in_iface, out_iface) {
                (Hook::Forward, Some(a), Some(b)) => {
                    write!(f, "not forwarded from {} to {}: {}", s(a), s(b), s(why))
                }
                _ => {
                    let verb = match kind {
                        TableKind::Nat => "refused",
                        _ => "blocked",
                    };
                    write!(f, "{} {verb} it: {}", s(table), s(why))
                }
            },
            DropReason::JumpsTooDeep { table, chain } => write!(
                f,
                "{}: jumps from chain {} nest deeper than {} chains",
                s(table),
                s(chain),
                super::rules::MAX_JUMP_DEPTH
            ),
            DropReason::NatPortsExhausted { table } => {
                write!(f, "{} has no free external port", s(table))
            }
            DropReason::ConntrackFull { max } => {
                write!(f, "the connection table is full ({max} connections)")
            }
            DropReason::NoListener { proto, port } => {
                write!(f, "nothing listens on {proto} port {port}")
            }
            DropReason::ArpQueueFull { ip, limit } => match limit {
                WaitingLimit::Frames { frames } => write!(
                    f,
                    "too many frames waiting for ARP resolution of {ip} (at most {frames}; a newer frame is dropped)"
                ),
                WaitingLimit::Bytes { bytes, .. } => write!(
                    f,
                    "too many frames waiting for ARP resolution of {ip}: the oldest is dropped to make room (at most {bytes} bytes of buffers per address)"
                ),
            },
            DropReason::MacSpoofing { switch, port, mac } => write!(
                f,
                "{} port {} has MAC address spoofing off and drops frames from source MAC {mac}, which is not the VM's own",
                s(switch),
                s(port)
            ),
            DropReason::SpanningTree { switch, port, role } => write!(
                f,
                "{} port {} is discarding by spanning tree ({role} port): it neither forwards nor learns there, so that the cables between switches make no loop",
                s(switch),
                s(port)
            ),
            DropReason::Filtered { switch, port, why } => write!(
                f,
                "{} filtered it: the destination is behind port {}, where it came from ({})",
                s(switch),
                s(port),
                s(why)
            ),
            DropReason::TooBig {
                iface,
                size,
                mtu,
                why,
            } => write!(
                f,
                "{size}-byte packet exceeds MTU {mtu} of {}: {}",
                s(iface),
                s(why)
            ),
            DropReason::Policy { layer, rule } => write!(f, "{} refused it: {}", s(layer), s(rule)),
            DropReason::NoVxlanPeer { by, what } => write!(f, "{}: {}", s(by), s(what)),
            DropReason::UnknownUnicastBack {
                switch,
                mac,
                vlan,
                port,
            } => write!(
                f,
                "{} has no port for destination MAC {mac} in VLAN {vlan}; it sends unknown unicast out of {}, where this frame came in, and never back out of its ingress port",
                s(switch),
                s(port)
            ),
            DropReason::ReassemblyTimeout {
                src,
                ident,
                timeout_ms,
            } => write!(
                f,
                "datagram {ident} from {src} was not complete {} after its first fragment: reassembly given up",
                millis(*timeout_ms)
            ),
            DropReason::ReassemblyFull { datagrams, bytes } => write!(
                f,
                "no room to reassemble another datagram ({datagrams} in progress, {bytes} bytes held)"
            ),
        }
    }
}

/// A duration in milliseconds as a reader says it: "5 s", "1.5 s", "250 ms".
fn millis(ms: u64) -> String {
    match ms {
        ms if ms % 1000 == 0 => format!("{} s", ms / 1000),
        ms if ms >= 1000 => format!("{} s", ms as f64 / 1000.0),
        ms => format!("{ms} ms"),
    }
}

fn nat_kind(kind: NatKind, what: &str) -> String {
    match kind {
        NatKind::Source => format!("source {what}"),
        NatKind::Destination => format!("destination {what}"),
    }
}

impl fmt::Display for Show<'_, Delivery> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |x: &Sym| self.1.get(*x);
        match self.0 {
            Delivery::IcmpEcho => write!(f, "ICMP echo responder"),
            Delivery::TcpListener { port } => write!(f, "TCP listener on port {port}"),
            Delivery::TcpReset { port } => write!(
                f,
                "TCP stack: nothing listens on port {port}, answering RST"
            ),
            Delivery::UdpEcho { port } => write!(f, "UDP echo service on port {port}"),
            Delivery::DnsServer => write!(f, "DNS server"),
            Delivery::Resolver { name, event } => match event {
                ResolverEvent::Known { query } => write!(
                    f,
                    "{}: {} is a container on this network",
                    s(name),
                    s(query)
                ),
                ResolverEvent::Unknown => {
                    write!(f, "{}: unknown name and no upstream DNS server", s(name))
                }
                ResolverEvent::Forwarded { upstream } => {
                    write!(f, "{}: forwarding to upstream {upstream}", s(name))
                }
                ResolverEvent::NotForwarded => write!(
                    f,
                    "{}: unknown name, not forwarded from an internal network (SERVFAIL)",
                    s(name)
                ),
                ResolverEvent::Relayed => write!(
                    f,
                    "embedded DNS: upstream answer, relaying to the container"
                ),
                ResolverEvent::Busy { max } => write!(
                    f,
                    "{}: more than {max} concurrent queries, not forwarded (no answer)",
                    s(name)
                ),
            },
            Delivery::Relay { name, event } => {
                write!(f, "{}: ", s(name))?;
                match event {
                    RelayEvent::Accepted { target } => {
                        write!(f, "accepted, connecting to {target} from this node")
                    }
                    RelayEvent::Connected => {
                        write!(f, "connected to its target, accepting the client")
                    }
                    RelayEvent::Refused => write!(
                        f,
                        "its target refused: the client's connection is accepted and closed"
                    ),
                    RelayEvent::Forwarded { target } => {
                        write!(f, "datagram sent on to {target} from this node")
                    }
                    RelayEvent::Answered => write!(f, "answer relayed back to the client"),
                }
            }
            Delivery::Probe(e) => match e {
                ProbeEvent::Answer => write!(f, "probe client"),
                ProbeEvent::Connected => write!(f, "probe client: connected"),
                ProbeEvent::Closed => write!(f, "probe client: connection closed"),
                ProbeEvent::Resolved { name, addr } => {
                    write!(f, "resolver: {} is {addr}", s(name))
                }
            },
            Delivery::DhcpClient { iface, event } => {
                write!(f, "DHCP client ({}): ", s(iface))?;
                match event {
                    DhcpClientEvent::Offer { addr, server } => {
                        write!(f, "offer of {addr} from {server}")
                    }
                    DhcpClientEvent::Bound { addr, server } => {
                        write!(f, "bound to {addr} by {server}")
                    }
                    DhcpClientEvent::Nak { server } => {
                        write!(f, "NAK from {server}, starting over")
                    }
                    DhcpClientEvent::Ignored(t) => write!(f, "ignored {t}"),
                }
            }
            Delivery::DhcpServer(e) => {
                write!(f, "DHCP server: ")?;
                match e {
                    DhcpServerEvent::NoPool { iface } => {
                        write!(f, "no address pool on {}", s(iface))
                    }
                    DhcpServerEvent::NoFreeAddress { mac } => {
                        write!(f, "no free address for {mac}, no offer")
                    }
                    DhcpServerEvent::Offering { ip, mac } => write!(f, "offering {ip} to {mac}"),
                    DhcpServerEvent::ChoseOther { mac, server } => {
                        write!(f, "{mac} chose server {server}")
                    }
                    DhcpServerEvent::Binding { ip, mac } => write!(f, "binding {ip} to {mac}"),
                    DhcpServerEvent::NotYours { ip, mac } => {
                        write!(f, "{ip} is not for {mac}, NAK")
                    }
                    DhcpServerEvent::Ignored(t) => write!(f, "ignored {t}"),
                }
            }
        }
    }
}

impl fmt::Display for Show<'_, Action> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let syms = self.1;
        let s = |x: &Sym| syms.get(*x);
        match self.0 {
            Action::Sent { iface, .. } => write!(f, "sent from {}", s(iface)),
            Action::Bridged { from_port, to_port } => {
                write!(f, "bridged {} -> {}", s(from_port), s(to_port))
            }
            Action::Flooded { from_port, ports } => {
                write!(f, "flooded from {} to {ports} port(s)", s(from_port))
            }
            Action::FloodedTo { from_port, to_port } => {
                write!(f, "flooded from {} to {}", s(from_port), s(to_port))
            }
            Action::Fragmented {
                iface,
                fragments,
                mtu,
            } => write!(
                f,
                "fragmented into {fragments} pieces for MTU {mtu} of {}",
                s(iface)
            ),
            Action::FragmentHeld { ident, held } => write!(
                f,
                "held fragment of datagram {ident} for reassembly ({held} piece(s) so far)"
            ),
            Action::Reassembled {
                ident,
                fragments,
                size,
            } => write!(
                f,
                "reassembled datagram {ident} from {fragments} fragments ({size}-byte packet)"
            ),
            Action::Routed {
                from_iface,
                to_iface,
                next_hop,
                ..
            } => write!(
                f,
                "routed {} -> {} via {next_hop}",
                s(from_iface),
                s(to_iface)
            ),
            Action::Nat {
                table,
                kind,
                before,
                after,
                rule,
                ..
            } => write!(
                f,
                "{} {} {before} -> {after} ({})",
                s(table),
                nat_kind(*kind, "NAT"),
                s(rule)
            ),
            Action::Arp { iface, event } => {
                write!(f, "ARP on {}: ", s(iface))?;
                match event {
                    ArpEvent::Request { target, sender } => {
                        write!(f, "who-has {target} tell {sender}")
                    }
                    ArpEvent::Reply { ip, mac, to } => write!(f, "{ip} is-at {mac} (answering {to})"),
                    ArpEvent::Learned { ip, mac } => write!(f, "learned {ip} is-at {mac}"),
                    ArpEvent::Proxy { ip, mac, via } => write!(
                        f,
                        "{ip} is-at {mac} (remote endpoint behind {via}, answered by the tunnel endpoint)"
                    ),
                    ArpEvent::Stale {
                        ip,
                        mac,
                        probe_in_ms,
                    } => write!(
                        f,
                        "{ip} is-at {mac} is stale (not confirmed within its reachable time): sent there; used again {} or more from now, it is checked by unicast ARP",
                        millis(*probe_in_ms)
                    ),
                }
            }
            Action::Allowed { table, rule } => write!(f, "{} allowed it: {}", s(table), s(rule)),
            Action::Delivered(d) => write!(f, "delivered to {}", Show(d, syms)),
            Action::MacRewrite {
                layer,
                kind,
                before,
                after,
            } => {
                let rule = match kind {
                    NatKind::Source => "egress: container MAC -> host MAC",
                    NatKind::Destination => "ingress: host MAC -> container MAC",
                };
                write!(
                    f,
                    "{} rewrote {} {before} -> {after} ({rule})",
                    s(layer),
                    nat_kind(*kind, "MAC")
                )
            }
            Action::Encap {
                by,
                vni,
                outer_src,
                outer_dst,
            } => write!(
                f,
                "{} encapsulated it in VXLAN (VNI {vni}) {outer_src} -> {outer_dst}",
                s(by)
            ),
            Action::Decap { by, vni, to } => {
                write!(f, "{} decapsulated VXLAN (VNI {vni}) to {}", s(by), s(to))
            }
            Action::Policy { layer, rule } => write!(f, "{}: {}", s(layer), s(rule)),
            Action::Dropped(reason) => write!(f, "DROPPED: {}", reason.show(syms)),
        }
    }
}
