//! Wire formats: every simulated frame is real Ethernet bytes.
//!
//! This module owns the byte layout of everything the simulator puts on a
//! link: Ethernet (with optional 802.1Q tag), ARP, IPv4, ICMP, UDP, TCP, DNS
//! (A queries/answers) and VXLAN. All field access goes through `pnet_packet`
//! views; this module only composes them.
//!
//! # Contract
//!
//! * Parsing never panics, whatever the bytes. The hot-path accessors
//!   ([`eth_dst`], [`ipv4_info`], [`flow_key`], ...) return `None` on short or
//!   garbage input; [`parse`] returns a [`WireError`].
//! * Every emitted frame has valid lengths and checksums: the IPv4 header
//!   checksum, and the ICMP, UDP and TCP checksums (UDP/TCP over the IPv4
//!   pseudo-header). The one deliberate exception is VXLAN, whose outer UDP
//!   checksum is 0 as RFC 7348 allows.
//! * In-place rewrites ([`decrement_ttl`], [`rewrite_src`], [`rewrite_dst`])
//!   keep every checksum they touch valid.
//! * `parse(&p.emit()) == Ok(p)` for every valid [`Packet`] (see `packet.rs`
//!   for what "valid" means: it is what `parse` can produce).
//! * Frames are not padded to the 60-byte Ethernet minimum; trailing bytes
//!   after the IPv4 total length are tolerated and ignored.
//! * [`parse`] is strict: it rejects bad IPv4/ICMP/UDP/TCP checksums and
//!   stacked VLAN tags. An IPv4 fragment parses as `L4Repr::Fragment` (checked:
//!   its header checksum). The accessors do not verify checksums.
//! * [`fragment`] splits a packet for an MTU and [`reassemble`] rebuilds it; both
//!   write every header through pnet's IPv4 view (RFC 791).
//!
//! # Notes for callers
//!
//! * Builders emit untagged frames; use [`push_vlan`]. DF is set for TCP and
//!   VXLAN (as Windows does), clear for ICMP and plain UDP.
//! * [`icmp_unreachable`] writes `next_hop_mtu` only for code 4 (else 0).
//! * [`flow_key`]: ICMP echo uses the identifier as both ports, other ICMP
//!   has no key, non-TCP/UDP/ICMP protocols get ports 0.
//! * DNS answers always carry the question as their name (a pointer to it).

mod arp;
mod buffers;
mod checksum;
mod dhcp;
mod dns;
mod ethernet;
mod frag;
mod icmp;
mod ipv4;
mod nat;
mod packet;
mod tcp;
mod udp;
mod view;
mod vxlan;

pub use arp::{
    arp_info, arp_reply, arp_request, arp_set_sender_mac, arp_set_target_mac, ArpInfo, ArpOp,
};
pub use buffers::give_back;
pub use dhcp::{
    dhcp_client_frame, dhcp_emit, dhcp_frame, dhcp_info, dhcp_parse, is_dhcp_ports, DhcpMessage,
    DhcpMessageType, DHCP_CLIENT_PORT, DHCP_SERVER_PORT,
};
pub use dns::{
    dns_emit, dns_parse, reverse_addr, reverse_name, DnsMessage, QTYPE_A, QTYPE_AAAA, QTYPE_MX,
    QTYPE_PTR, RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_SERVFAIL,
};
pub use ethernet::{
    eth_dst, eth_src, ethertype, l3_offset, pop_vlan, push_vlan, set_eth_dst, set_eth_src, vlan_id,
};
pub use frag::{fragment, fragment_info, reassemble, FragmentInfo};
pub use icmp::{
    icmp_echo, icmp_info, icmp_reassembly_time_exceeded, icmp_time_exceeded, icmp_unreachable,
    IcmpInfo,
};
pub use ipv4::{decrement_ttl, decrement_ttl_viewed, ipv4_info, IpHeader, Ipv4Info};
pub use nat::{
    flow_key, icmp_error_quoted_flow, rewrite_dst, rewrite_src, rewrite_viewed, FlowKey,
};
pub use packet::{parse, EthernetRepr, Ipv4Repr, L4Repr, NetRepr, Packet, UdpPayload};
pub use pnet_base::MacAddr;
pub use tcp::{tcp_frame, tcp_info, TcpFlags, TcpInfo};
pub use udp::{
    udp_answer_frame, udp_checksum_field, udp_frame, udp_info, udp_payload, udp_sum_without_source,
    UdpHeaders, UdpInfo,
};
pub use view::{IpView, View, L4};
pub use vxlan::{vxlan_decap, vxlan_encap};

/// An untagged Ethernet header's length: where the IPv4 header of a frame we build starts.
pub const ETH_HEADER_LEN: usize = 14;
pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_VLAN: u16 = 0x8100;
pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const VXLAN_PORT: u16 = 4789;
/// Outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8.
pub const VXLAN_OVERHEAD: usize = 50;
/// The DNS port; UDP payloads to or from it are parsed as DNS.
pub const DNS_PORT: u16 = 53;

/// Why a frame could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    Truncated {
        layer: &'static str,
        need: usize,
        have: usize,
    },
    Malformed {
        layer: &'static str,
        what: &'static str,
    },
    Unsupported {
        layer: &'static str,
        what: &'static str,
    },
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::Truncated { layer, need, have } => {
                write!(f, "{layer}: truncated (need {need} bytes, have {have})")
            }
            WireError::Malformed { layer, what } => write!(f, "{layer}: malformed {what}"),
            WireError::Unsupported { layer, what } => write!(f, "{layer}: unsupported {what}"),
        }
    }
}

impl std::error::Error for WireError {}

/// `Err(Truncated)` unless `have >= need`.
pub(crate) fn need(layer: &'static str, need: usize, have: usize) -> Result<(), WireError> {
    if have >= need {
        Ok(())
    } else {
        Err(WireError::Truncated { layer, need, have })
    }
}

pub(crate) fn malformed<T>(layer: &'static str, what: &'static str) -> Result<T, WireError> {
    Err(WireError::Malformed { layer, what })
}

pub(crate) fn unsupported<T>(layer: &'static str, what: &'static str) -> Result<T, WireError> {
    Err(WireError::Unsupported { layer, what })
}

#[cfg(test)]
pub(crate) mod testutil;
