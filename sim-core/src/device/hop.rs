//! What a traced probe saw at each device: the hop record and the reason for a drop.
//!
//! These values are built only for traced frames; they hold names (not ids) so that a trace
//! stays readable after the configuration that produced it is gone.

use crate::id::{NodeId, ProbeId};
use crate::time::SimTime;
use pnet_base::MacAddr;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

/// One step of a traced frame through one device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hop {
    pub probe: ProbeId,
    pub time: SimTime,
    pub node: NodeId,
    pub action: HopAction,
    /// The frame as it was at this hop (after any rewrite the hop describes).
    pub bytes: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NatKind {
    /// Source NAT: the inside address is replaced by the outside one.
    Source,
    /// Destination NAT: the outside address is replaced by the inside one.
    Destination,
}

/// What a device did with a traced frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HopAction {
    /// The frame was built here and sent out of `iface`.
    Sent { iface: String },
    /// Switched from one port to another.
    Bridged { from_port: String, to_port: String },
    /// Switched to every other port of the VLAN (broadcast or unknown unicast).
    Flooded { from_port: String, ports: usize },
    /// Routed between interfaces of an IP stack.
    Routed {
        from_iface: String,
        to_iface: String,
        next_hop: Ipv4Addr,
    },
    /// Address translation by a NAT table.
    Nat {
        table: String,
        kind: NatKind,
        before: SocketAddrV4,
        after: SocketAddrV4,
        rule: String,
    },
    /// Address resolution on an interface.
    Arp { iface: String, detail: String },
    /// A firewall rule let the frame in.
    Allowed { firewall: String, rule: String },
    /// The frame reached its final consumer on this node.
    Delivered { to: String },
    /// A VFP rule rewrote a MAC address (l2bridge and l2tunnel: container MAC <-> host MAC).
    MacRewrite {
        /// Which VFP layer, e.g. "VFP (host1/vSwitch(Ethernet))".
        layer: String,
        kind: NatKind,
        before: MacAddr,
        after: MacAddr,
        rule: String,
    },
    /// The frame was wrapped in VXLAN (overlay): outer addresses are the hosts' provider addresses.
    Encap {
        by: String,
        vni: u32,
        outer_src: Ipv4Addr,
        outer_dst: Ipv4Addr,
    },
    /// A VXLAN frame was unwrapped and its inner frame handed on.
    Decap { by: String, vni: u32, to: String },
    /// A policy rule (VFP or the Azure SDN host's) steered or admitted the frame.
    Policy { layer: String, rule: String },
    /// The frame went no further.
    Dropped(DropReason),
}

/// Why a frame went no further. Each names the rule or the missing entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropReason {
    LinkDown {
        link: String,
    },
    QueueFull {
        link: String,
        limit_bytes: usize,
    },
    LinkLoss {
        link: String,
    },
    Unplugged {
        port: String,
    },
    NodeGone,
    NoMacEntry {
        switch: String,
        mac: MacAddr,
        vlan: u16,
    },
    VlanNotAllowed {
        port: String,
        vlan: u16,
    },
    Malformed {
        what: String,
    },
    TtlExpired,
    NoRoute {
        dst: Ipv4Addr,
    },
    ArpUnresolved {
        ip: Ipv4Addr,
        iface: String,
    },
    ForwardingDisabled,
    ForwardingNotAllowed {
        from_iface: String,
        to_iface: String,
        why: String,
    },
    Firewall {
        firewall: String,
        rule: String,
    },
    NatNoMapping {
        table: String,
        proto: &'static str,
        port: u16,
    },
    NatPortsExhausted {
        table: String,
    },
    NoListener {
        proto: &'static str,
        port: u16,
    },
    ArpQueueFull {
        ip: Ipv4Addr,
    },
    /// A Hyper-V switch port with MAC address spoofing off saw a source MAC that is not the
    /// VM's own.
    MacSpoofing {
        switch: String,
        port: String,
        mac: MacAddr,
    },
    /// The destination sits behind the port the frame came from, and the port does not
    /// reflect frames back (no hair-pinning on this switch).
    Filtered {
        switch: String,
        port: String,
        why: String,
    },
    /// Encapsulation would make the frame larger than the outgoing interface's MTU.
    TooBig {
        iface: String,
        size: usize,
        mtu: u16,
        why: String,
    },
    /// A VFP or SDN policy rule refused the frame.
    Policy {
        layer: String,
        rule: String,
    },
    /// A VXLAN frame whose VNI or inner destination no endpoint here knows.
    NoVxlanPeer {
        by: String,
        what: String,
    },
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::LinkDown { link } => write!(f, "link {link} is down"),
            DropReason::QueueFull { link, limit_bytes } => {
                write!(f, "transmit queue of link {link} is full ({limit_bytes} bytes)")
            }
            DropReason::LinkLoss { link } => write!(f, "lost on link {link} (configured loss)"),
            DropReason::Unplugged { port } => write!(f, "port {port} has no cable"),
            DropReason::NodeGone => write!(f, "the receiving node no longer exists"),
            DropReason::NoMacEntry { switch, mac, vlan } => write!(
                f,
                "{switch} has no port for destination MAC {mac} in VLAN {vlan}, and it does not flood unknown unicast"
            ),
            DropReason::VlanNotAllowed { port, vlan } => {
                write!(f, "port {port} does not carry VLAN {vlan}")
            }
            DropReason::Malformed { what } => write!(f, "malformed frame: {what}"),
            DropReason::TtlExpired => write!(f, "TTL expired"),
            DropReason::NoRoute { dst } => write!(f, "no route to {dst} in the routing table"),
            DropReason::ArpUnresolved { ip, iface } => {
                write!(f, "no ARP reply for {ip} on {iface} (3 requests sent)")
            }
            DropReason::ForwardingDisabled => write!(f, "IP forwarding is disabled on this node"),
            DropReason::ForwardingNotAllowed { from_iface, to_iface, why } => {
                write!(f, "not forwarded from {from_iface} to {to_iface}: {why}")
            }
            DropReason::Firewall { firewall, rule } => write!(f, "{firewall} blocked it: {rule}"),
            DropReason::NatNoMapping { table, proto, port } => write!(
                f,
                "{table} has no session and no static mapping for {proto} port {port}"
            ),
            DropReason::NatPortsExhausted { table } => {
                write!(f, "{table} has no free external port")
            }
            DropReason::NoListener { proto, port } => {
                write!(f, "nothing listens on {proto} port {port}")
            }
            DropReason::ArpQueueFull { ip } => {
                write!(f, "too many frames waiting for ARP resolution of {ip}")
            }
            DropReason::MacSpoofing { switch, port, mac } => write!(
                f,
                "{switch} port {port} has MAC address spoofing off and drops frames from source MAC {mac}, which is not the VM's own"
            ),
            DropReason::Filtered { switch, port, why } => write!(
                f,
                "{switch} filtered it: the destination is behind port {port}, where it came from ({why})"
            ),
            DropReason::TooBig {
                iface,
                size,
                mtu,
                why,
            } => write!(f, "{size}-byte packet exceeds MTU {mtu} of {iface}: {why}"),
            DropReason::Policy { layer, rule } => write!(f, "{layer} refused it: {rule}"),
            DropReason::NoVxlanPeer { by, what } => write!(f, "{by}: {what}"),
        }
    }
}

impl fmt::Display for HopAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HopAction::Sent { iface } => write!(f, "sent from {iface}"),
            HopAction::Bridged { from_port, to_port } => {
                write!(f, "bridged {from_port} -> {to_port}")
            }
            HopAction::Flooded { from_port, ports } => {
                write!(f, "flooded from {from_port} to {ports} port(s)")
            }
            HopAction::Routed {
                from_iface,
                to_iface,
                next_hop,
            } => {
                write!(f, "routed {from_iface} -> {to_iface} via {next_hop}")
            }
            HopAction::Nat {
                table,
                kind,
                before,
                after,
                rule,
            } => {
                let k = match kind {
                    NatKind::Source => "source NAT",
                    NatKind::Destination => "destination NAT",
                };
                write!(f, "{table} {k} {before} -> {after} ({rule})")
            }
            HopAction::Arp { iface, detail } => write!(f, "ARP on {iface}: {detail}"),
            HopAction::Allowed { firewall, rule } => write!(f, "{firewall} allowed it: {rule}"),
            HopAction::Delivered { to } => write!(f, "delivered to {to}"),
            HopAction::MacRewrite {
                layer,
                kind,
                before,
                after,
                rule,
            } => {
                let k = match kind {
                    NatKind::Source => "source MAC",
                    NatKind::Destination => "destination MAC",
                };
                write!(f, "{layer} rewrote {k} {before} -> {after} ({rule})")
            }
            HopAction::Encap {
                by,
                vni,
                outer_src,
                outer_dst,
            } => write!(
                f,
                "{by} encapsulated it in VXLAN (VNI {vni}) {outer_src} -> {outer_dst}"
            ),
            HopAction::Decap { by, vni, to } => {
                write!(f, "{by} decapsulated VXLAN (VNI {vni}) to {to}")
            }
            HopAction::Policy { layer, rule } => write!(f, "{layer}: {rule}"),
            HopAction::Dropped(reason) => write!(f, "DROPPED: {reason}"),
        }
    }
}
