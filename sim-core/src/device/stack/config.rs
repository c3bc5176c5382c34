//! An IP stack's configuration, as plain data the control plane writes and reports print.
//!
//! Routers, outside hosts, a Windows host's default compartment and each container
//! compartment are all an `IpStack` with a different `StackConfig`.

use crate::id::PortId;
use crate::wire::MacAddr;
use ipnetwork::Ipv4Network;
use serde::Serialize;
use std::net::{Ipv4Addr, SocketAddrV4};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StackConfig {
    /// The name traces use, e.g. "host1" or "host1/web".
    pub name: String,
    /// Interfaces by port: interface `i` is plugged into port `i`. `None` is a removed interface.
    pub ifaces: Vec<Option<IfaceConfig>>,
    /// Static routes. Connected routes come from interface addresses.
    pub routes: Vec<Route>,
    pub forwarding: Forwarding,
    pub firewall: Option<FirewallConfig>,
    pub nat: Option<NatConfig>,
    pub services: Services,
    pub dns_servers: Vec<Ipv4Addr>,
    /// TTL of packets this stack originates (128 on Windows, 64 elsewhere).
    pub default_ttl: u8,
    /// Whether this stack answers with ICMP errors (unreachable, time exceeded).
    pub icmp_errors: bool,
    /// Interfaces that get their address by DHCP (their `addr` starts as `None`); the
    /// exchange runs when `IpStack::start_dhcp` (or `start_dhcp_clients`) is called.
    pub dhcp_client: Vec<PortId>,
    /// VXLAN tunnel endpoints (VFP's overlay encapsulation), one per overlay network.
    pub vteps: Vec<VtepConfig>,
}

impl StackConfig {
    pub fn new(name: impl Into<String>, default_ttl: u8) -> Self {
        StackConfig {
            name: name.into(),
            ifaces: Vec::new(),
            routes: Vec::new(),
            forwarding: Forwarding::Off,
            firewall: None,
            nat: None,
            services: Services::default(),
            dns_servers: Vec::new(),
            default_ttl,
            icmp_errors: true,
            dhcp_client: Vec::new(),
            vteps: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IfaceConfig {
    pub name: String,
    pub mac: MacAddr,
    pub addr: Option<Ipv4Network>,
    pub mtu: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Route {
    pub dest: Ipv4Network,
    pub via: Option<Ipv4Addr>,
    pub iface: PortId,
}

/// Whether and between which interfaces the stack forwards packets that are not its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Forwarding {
    Off,
    /// A router: any interface to any interface.
    All,
    /// Only the listed interface pairs; everything else is dropped with `refusal` as the reason.
    Rules {
        rules: Vec<ForwardRule>,
        refusal: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForwardRule {
    pub from: PortId,
    pub to: PortId,
    pub verdict: ForwardVerdict,
}

/// What a forwarding rule does with the packets of its interface pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ForwardVerdict {
    Allow,
    /// Only packets a NAT table translated on the way in (replies, port maps).
    AllowTranslated,
    /// Refused, with the reason a trace shows.
    Refuse(String),
}

/// A stateful inbound firewall for traffic addressed to this stack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FirewallConfig {
    pub name: String,
    /// IP protocol numbers allowed in unsolicited by default.
    pub default_inbound_allow: Vec<u8>,
    /// How the default is called in traces, e.g. "default inbound: block all (Windows Server 2016)".
    pub default_inbound_name: String,
    pub rules: Vec<FirewallRule>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FirewallRule {
    pub name: String,
    pub allow: bool,
    pub proto: Option<u8>,
    pub local_port: Option<u16>,
    pub remote: Option<Ipv4Network>,
}

/// A NAT table (WinNAT on Windows hosts): dynamic source NAT for inside prefixes leaving by
/// an outside interface, and static mappings from outside ports to inside endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NatConfig {
    pub name: String,
    pub instances: Vec<NatInstance>,
    pub outside_ifaces: Vec<PortId>,
    pub static_mappings: Vec<StaticMapping>,
    /// The range dynamic sessions draw outside ports (and ICMP ids) from.
    pub port_range: (u16, u16),
    /// Most sessions the table holds at once.
    pub max_sessions: usize,
    /// Whether the host itself reaches its published ports (localhost or its own address).
    pub local_hairpin: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NatInstance {
    pub name: String,
    pub inside_prefix: Ipv4Network,
    /// Translated by a VFP OutboundNAT rule rather than WinNAT: traces name VFP, and ICMP is
    /// not translated (Windows programs no outbound ICMP rule, reference 3.3 and 6).
    pub vfp: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaticMapping {
    pub name: String,
    pub proto: u8,
    pub outside_port: u16,
    pub inside: SocketAddrV4,
}

/// What listens on this stack.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Services {
    /// Whether ICMP echo requests are answered.
    pub icmp_echo: bool,
    /// TCP ports that accept connections.
    pub tcp: Vec<u16>,
    /// UDP ports that echo datagrams back.
    pub udp_echo: Vec<u16>,
    /// A DNS server on UDP 53 with these A records.
    pub dns_zone: Vec<(String, Ipv4Addr)>,
    /// Docker's embedded resolvers, one per network gateway address.
    pub embedded_dns: Vec<EmbeddedDns>,
    /// A DHCP server on UDP 67.
    pub dhcp_server: Option<DhcpServerConfig>,
}

/// A DHCP server (RFC 2131). It answers on each interface whose subnet holds `pool_start`,
/// with that interface's address as its server identifier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DhcpServerConfig {
    /// The first address it hands out.
    pub pool_start: Ipv4Addr,
    /// The last address it hands out (inclusive).
    pub pool_end: Ipv4Addr,
    /// The clients' prefix length, sent as the subnet mask (option 1).
    pub prefix: u8,
    /// The default gateway it gives clients (option 3).
    pub router: Option<Ipv4Addr>,
    /// The DNS servers it gives clients (option 6).
    pub dns: Vec<Ipv4Addr>,
    /// The lease time it grants (option 51).
    pub lease_secs: u32,
}

impl DhcpServerConfig {
    /// A pool with no router, no DNS servers and one-day leases.
    pub fn new(pool_start: Ipv4Addr, pool_end: Ipv4Addr, prefix: u8) -> Self {
        DhcpServerConfig {
            pool_start,
            pool_end,
            prefix,
            router: None,
            dns: Vec::new(),
            lease_secs: 86_400,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EmbeddedDns {
    /// For traces, e.g. "docker embedded DNS (my_nat)".
    pub name: String,
    pub bind: Ipv4Addr,
    pub records: Vec<(String, Ipv4Addr)>,
    /// Where names it does not know are forwarded.
    pub upstreams: Vec<Ipv4Addr>,
}

/// A VXLAN tunnel endpoint on one interface (the port facing an overlay network's vSwitch).
/// Frames for a peer's MAC that arrive there are wrapped in VXLAN and routed to the peer's
/// provider address; VXLAN frames for `vni` that arrive for this stack are unwrapped and sent
/// out of `iface`. ARP requests for a peer's address are answered with the peer's MAC, as VFP
/// answers for HNS remote endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VtepConfig {
    /// For traces, e.g. "VFP overlay (my_overlay)".
    pub name: String,
    pub iface: PortId,
    pub vni: u32,
    /// This host's provider address (the outer source).
    pub local: Ipv4Addr,
    pub peers: Vec<VtepPeer>,
}

/// A remote endpoint: a container on another host, reached through that host's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct VtepPeer {
    pub mac: MacAddr,
    pub ip: Ipv4Addr,
    /// The remote host's provider address.
    pub pa: Ipv4Addr,
}
