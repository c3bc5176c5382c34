//! An IP stack's configuration, as plain data the control plane writes and reports print.
//!
//! Routers, outside hosts, a container host's own stack and each container's are all an
//! `IpStack` with a different `StackConfig`. Filtering and address translation are not here:
//! they are the stack's ruleset (`device::rules`).

use super::names::LocalResolver;
use crate::device::conntrack::Profile;
use crate::id::PortId;
use crate::time::SimDuration;
use crate::wire::MacAddr;
use ipnetwork::Ipv4Network;
use serde::Serialize;
use std::net::Ipv4Addr;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StackConfig {
    /// The name traces use, e.g. "host1" or "host1/web".
    pub name: String,
    /// Interfaces by port: interface `i` is plugged into port `i`. `None` is a removed interface.
    /// Read with [`StackConfig::ifaces`]; written only through [`StackConfig::ifaces_mut`],
    /// [`StackConfig::iface_mut`] or [`StackConfig::push_iface`], which keep `local` in step.
    ifaces: Vec<Option<IfaceConfig>>,
    /// What the packet path asks of the interfaces on every packet, derived from `ifaces`.
    #[serde(skip)]
    local: LocalIndex,
    /// Static routes. Connected routes come from interface addresses.
    pub routes: Vec<Route>,
    /// Whether packets not for this stack are routed on (`net.ipv4.ip_forward`); which of them
    /// may pass is the ruleset's `Forward` hook.
    pub forwarding: bool,
    /// How the connection table behaves (timeouts, filtering, NAT ports, size).
    pub conntrack: Profile,
    pub services: Services,
    pub dns_servers: Vec<Ipv4Addr>,
    /// Names its tools resolve before asking a DNS server (`/etc/hosts`), first match wins.
    pub hosts: Vec<(String, Ipv4Addr)>,
    /// TTL of packets this stack originates (128 on Windows, 64 elsewhere).
    pub default_ttl: u8,
    /// Whether this stack answers with ICMP errors (unreachable, time exceeded).
    pub icmp_errors: bool,
    /// Interfaces that get their address by DHCP (their `addr` starts as `None`); the
    /// exchange runs when `IpStack::start_dhcp` (or `start_dhcp_clients`) is called.
    pub dhcp_client: Vec<PortId>,
    /// When a DHCP exchange fails, the interface takes an IPv4 link-local address
    /// (169.254/16, RFC 3927) instead of staying without one.
    pub link_local_fallback: bool,
    /// How the ARP cache ages and checks its entries, and whether the stack announces an
    /// address it is given.
    pub neighbor: NeighborConfig,
    /// How long and how much the stack waits for the fragments of a datagram.
    pub reassembly: ReassemblyConfig,
    /// Where its client sockets get their local ports (and ICMP echo its identifier), in
    /// turn from the first: Windows's dynamic range 49152–65535 (the default), or Linux's
    /// `net.ipv4.ip_local_port_range` (`control::tcpip`).
    pub ephemeral_ports: (u16, u16),
}

/// Windows's dynamic port range (`netsh int ipv4 show dynamicport`, RFC 6335's).
pub const DYNAMIC_PORTS: (u16, u16) = (49152, 65535);

/// The ARP cache's timers (RFC 4861 section 7.3's neighbour unreachability detection, which
/// both common IPv4 stacks apply to ARP) and the announcement of new addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NeighborConfig {
    /// How long an answered entry is trusted before it is stale (a stack picks its real
    /// value at random around a base; this is the value used).
    pub reachable_time: SimDuration,
    /// How long a stale entry in use waits for a confirmation before it is probed.
    pub delay_first_probe: SimDuration,
    /// The time between two requests for one address, broadcast or unicast.
    pub retrans_time: SimDuration,
    /// Unicast requests sent to a stale entry's MAC before the entry is dropped.
    pub unicast_probes: u8,
    /// Whether the stack sends a gratuitous ARP (a request for its own address, broadcast)
    /// when an interface gets an address, so that neighbours update their caches.
    pub announce: bool,
    /// How many frames may wait for one address being resolved.
    pub waiting: super::arp::WaitingLimit,
}

impl Default for NeighborConfig {
    /// RFC 4861 section 10's constants: REACHABLE_TIME 30 s, DELAY_FIRST_PROBE_TIME 5 s,
    /// RETRANS_TIMER 1 s, MAX_UNICAST_SOLICIT 3; no announcement. RFC 4861 7.2.2 asks for a
    /// bounded queue and gives no number: 16 frames, FreeBSD's and Darwin's.
    fn default() -> Self {
        NeighborConfig {
            reachable_time: SimDuration::from_secs(30),
            delay_first_probe: SimDuration::from_secs(5),
            retrans_time: SimDuration::from_secs(1),
            unicast_probes: 3,
            announce: false,
            waiting: super::arp::WaitingLimit::Frames { frames: 16 },
        }
    }
}

/// Fragment reassembly bounds: a datagram whose pieces do not all arrive within `timeout`
/// of the first is given up; a new datagram is refused while `max_datagrams` are in
/// progress or their pieces hold `max_bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ReassemblyConfig {
    pub timeout: SimDuration,
    pub max_datagrams: usize,
    pub max_bytes: usize,
}

impl Default for ReassemblyConfig {
    /// RFC 1122 section 3.3.2 recommends a timeout of 60 to 120 s: the lower end, with 64
    /// datagrams and 4 MiB in progress at most.
    fn default() -> Self {
        ReassemblyConfig {
            timeout: SimDuration::from_secs(60),
            max_datagrams: 64,
            max_bytes: 4 << 20,
        }
    }
}

impl StackConfig {
    pub fn new(name: impl Into<String>, default_ttl: u8) -> Self {
        StackConfig {
            name: name.into(),
            ifaces: Vec::new(),
            local: LocalIndex::default(),
            routes: Vec::new(),
            forwarding: false,
            conntrack: Profile::generic(),
            services: Services::default(),
            dns_servers: Vec::new(),
            hosts: Vec::new(),
            default_ttl,
            icmp_errors: true,
            dhcp_client: Vec::new(),
            link_local_fallback: false,
            neighbor: NeighborConfig::default(),
            reassembly: ReassemblyConfig::default(),
            ephemeral_ports: DYNAMIC_PORTS,
        }
    }
}

/// The stack's own addresses and its first interface: asked on every packet (`is_local`, a
/// packet to itself), so kept apart from the interfaces' configuration, which would
/// otherwise be scanned. Up to `FEW` addresses sit inline, in the stack's own memory (a
/// container's one or two); more (a Linux host's namespace, a router) are sorted.
#[derive(Clone, Debug, PartialEq)]
struct LocalIndex {
    few: [Ipv4Addr; LocalIndex::FEW],
    few_len: u8,
    /// Every address, sorted, when there are more than `FEW`; empty otherwise.
    many: Vec<Ipv4Addr>,
    first_port: Option<PortId>,
}

impl Default for LocalIndex {
    fn default() -> Self {
        LocalIndex {
            few: [Ipv4Addr::UNSPECIFIED; LocalIndex::FEW],
            few_len: 0,
            many: Vec::new(),
            first_port: None,
        }
    }
}

impl LocalIndex {
    const FEW: usize = 4;

    fn of(ifaces: &[Option<IfaceConfig>]) -> Self {
        let mut addrs: Vec<Ipv4Addr> = ifaces
            .iter()
            .flatten()
            .filter_map(|i| i.addr.map(|a| a.ip()))
            .collect();
        addrs.sort_unstable();
        addrs.dedup();
        let mut index = LocalIndex {
            first_port: ifaces
                .iter()
                .position(Option::is_some)
                .map(|i| PortId(i as u16)),
            ..LocalIndex::default()
        };
        if addrs.len() <= Self::FEW {
            index.few[..addrs.len()].copy_from_slice(&addrs);
            index.few_len = addrs.len() as u8;
        } else {
            index.many = addrs;
        }
        index
    }

    #[inline]
    fn contains(&self, ip: Ipv4Addr) -> bool {
        if self.many.is_empty() {
            self.few[..usize::from(self.few_len)].contains(&ip)
        } else {
            self.many.binary_search(&ip).is_ok()
        }
    }
}

impl StackConfig {
    /// The interfaces by port (`None`: removed).
    pub fn ifaces(&self) -> &[Option<IfaceConfig>] {
        &self.ifaces
    }

    /// The interfaces, to change: the index of local addresses follows when the guard goes.
    pub fn ifaces_mut(&mut self) -> IfacesMut<'_> {
        IfacesMut(self)
    }

    /// Interface `port`, to change (its address, say); the index follows when the guard goes.
    pub fn iface_mut(&mut self, port: PortId) -> Option<IfaceMut<'_>> {
        self.ifaces
            .get(port.0 as usize)
            .is_some_and(Option::is_some)
            .then_some(IfaceMut { cfg: self, port })
    }

    /// Adds an interface and returns the port it is plugged into.
    pub fn push_iface(&mut self, iface: IfaceConfig) -> PortId {
        let mut ifaces = self.ifaces_mut();
        ifaces.push(Some(iface));
        PortId((ifaces.len() - 1) as u16)
    }

    /// Whether `ip` is one of the stack's own addresses (a loopback address included).
    #[inline]
    pub fn is_local(&self, ip: Ipv4Addr) -> bool {
        ip.is_loopback() || self.local.contains(ip)
    }

    /// The stack's first interface: where a packet it sends itself is said to arrive.
    #[inline]
    pub fn first_port(&self) -> Option<PortId> {
        self.local.first_port
    }

    fn reindex(&mut self) {
        self.local = LocalIndex::of(&self.ifaces);
    }
}

/// The interfaces of a stack lent out for changes; the stack's index follows on drop.
pub struct IfacesMut<'a>(&'a mut StackConfig);

impl std::ops::Deref for IfacesMut<'_> {
    type Target = Vec<Option<IfaceConfig>>;
    fn deref(&self) -> &Self::Target {
        &self.0.ifaces
    }
}

impl std::ops::DerefMut for IfacesMut<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0.ifaces
    }
}

impl Drop for IfacesMut<'_> {
    fn drop(&mut self) {
        self.0.reindex();
    }
}

/// One interface of a stack lent out for changes; the stack's index follows on drop.
pub struct IfaceMut<'a> {
    cfg: &'a mut StackConfig,
    port: PortId,
}

impl std::ops::Deref for IfaceMut<'_> {
    type Target = IfaceConfig;
    fn deref(&self) -> &IfaceConfig {
        self.cfg.ifaces[self.port.0 as usize]
            .as_ref()
            .expect("IfaceMut is only made for a present interface")
    }
}

impl std::ops::DerefMut for IfaceMut<'_> {
    fn deref_mut(&mut self) -> &mut IfaceConfig {
        self.cfg.ifaces[self.port.0 as usize]
            .as_mut()
            .expect("IfaceMut is only made for a present interface")
    }
}

impl Drop for IfaceMut<'_> {
    fn drop(&mut self) {
        self.cfg.reindex();
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IfaceConfig {
    pub name: String,
    pub mac: MacAddr,
    pub addr: Option<Ipv4Network>,
    pub mtu: u16,
    /// A VXLAN tunnel endpoint rather than a plain Ethernet interface.
    pub vxlan: Option<VxlanConfig>,
    /// A bridge inside the stack (the bridge device itself, which holds the bridge's
    /// address); its ports are the interfaces whose `master` names this one.
    pub bridge: Option<BridgeConfig>,
    /// This interface is a port of a bridge: frames that arrive on it are bridged, not taken
    /// by the interface itself (it has no address of its own).
    pub master: Option<BridgePort>,
    /// An 802.1Q sub-interface of another interface of the stack (`ip link add link eth0
    /// name eth0.10 type vlan id 10`).
    pub vlan: Option<VlanConfig>,
    /// A label for readers that classify what happened (the control plane's, opaque here).
    pub tag: Option<String>,
}

/// A bridge device in a stack, as a Linux bridge is in its network namespace: a learning
/// switch whose own interface is one of the stack's, so that the namespace's ruleset and
/// connection table serve bridged and routed traffic alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BridgeConfig {
    /// How long a learned MAC address is kept without a frame from it (`ageing_time`).
    pub ageing: SimDuration,
    /// Whether bridged IPv4 frames go through the ruleset's `Prerouting`, `Forward` and
    /// `Postrouting` hooks, with the bridge as their in and out interface
    /// (`net.bridge.bridge-nf-call-iptables`).
    pub netfilter: bool,
}

/// The bridge an interface is a port of, and how the port behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BridgePort {
    /// The bridge's own interface.
    pub bridge: PortId,
    /// Whether a frame may leave by the port it came in on (`hairpin_mode`).
    pub hairpin: bool,
}

/// An 802.1Q VLAN sub-interface: what it sends leaves by `parent` tagged with `id`; tagged
/// frames with that id that arrive on `parent` are its own (untagged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct VlanConfig {
    pub parent: PortId,
    pub id: u16,
}

impl IfaceConfig {
    /// A plain Ethernet interface.
    pub fn ethernet(name: impl Into<String>, mac: MacAddr, addr: Option<Ipv4Network>) -> Self {
        IfaceConfig {
            name: name.into(),
            mac,
            addr,
            mtu: 1500,
            vxlan: None,
            bridge: None,
            master: None,
            vlan: None,
            tag: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Route {
    pub dest: Ipv4Network,
    pub via: Option<Ipv4Addr>,
    pub iface: PortId,
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
    /// A DNS server on UDP 53 with these A records (NXDOMAIN for any other name).
    pub dns_zone: Vec<(String, Ipv4Addr)>,
    /// Where that server listens: with `None`, on every address of the stack as soon as
    /// `dns_zone` has a record (an external host's `dns_records`); with `Some(a)`, on `a`
    /// only, records or not (with none it is a sink that answers NXDOMAIN to every query,
    /// as the Docker oracle's upstream at 172.17.0.1 does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_zone_bind: Option<Ipv4Addr>,
    /// Docker's embedded resolvers, one per network gateway address.
    pub embedded_dns: Vec<EmbeddedDns>,
    /// A resolver on a loopback address of this stack (Docker's embedded DNS on Linux).
    pub local_resolver: Option<LocalResolver>,
    /// A DHCP server on UDP 67.
    pub dhcp_server: Option<DhcpServerConfig>,
    /// Relays listening on a local address and port, each passing what it accepts on to
    /// one target over a connection of its own (Docker's `docker-proxy`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relays: Vec<RelayListener>,
}

/// A user-space relay (a proxy process): it listens on `bind`:`port` and, for each TCP
/// connection (or UDP client) it accepts there, opens one of its own from this stack to
/// `target`, and passes data between the two. The second connection's source is whatever
/// the stack's route to the target gives, so the target sees this stack's address, not
/// the client's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RelayListener {
    /// Who listens, for traces and listings (e.g. "docker-proxy").
    pub name: String,
    /// `wire::IPPROTO_TCP` or `wire::IPPROTO_UDP`.
    pub proto: u8,
    /// The local address it listens on: unspecified for any. An IPv6 listener is kept for
    /// listings (`ss`); the IPv4 stack never hands it a packet.
    pub bind: std::net::IpAddr,
    pub port: u16,
    pub target: std::net::SocketAddrV4,
}

impl RelayListener {
    /// Whether a packet for `dst`:`dport` of protocol `proto` is for this listener.
    pub fn accepts(&self, proto: u8, dst: Ipv4Addr, dport: u16) -> bool {
        self.proto == proto
            && self.port == dport
            && match self.bind {
                std::net::IpAddr::V4(b) => b.is_unspecified() || b == dst,
                std::net::IpAddr::V6(_) => false,
            }
    }
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

/// A VXLAN tunnel endpoint on an interface (the port facing an overlay segment). Frames for
/// a peer's MAC that arrive there are wrapped in VXLAN and routed to the peer's provider
/// address; VXLAN frames for `vni` that arrive for this stack are unwrapped and sent out of
/// the interface. ARP requests for a peer's address are answered with the peer's MAC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VxlanConfig {
    pub vni: u32,
    /// This host's provider address (the outer source).
    pub local: Ipv4Addr,
    pub peers: Vec<VxlanPeer>,
}

/// A remote endpoint: a machine on another host, reached through that host's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct VxlanPeer {
    pub mac: MacAddr,
    pub ip: Ipv4Addr,
    /// The remote host's provider address.
    pub pa: Ipv4Addr,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Option<Ipv4Network> {
        Some(s.parse().expect("test network"))
    }

    /// The index answers what a scan of the interfaces would, whichever way they changed.
    fn scan(cfg: &StackConfig, ip: Ipv4Addr) -> bool {
        ip.is_loopback()
            || cfg
                .ifaces()
                .iter()
                .flatten()
                .any(|i| i.addr.is_some_and(|a| a.ip() == ip))
    }

    #[test]
    fn local_index_follows_every_writer() {
        let a: Ipv4Addr = "10.0.0.1".parse().expect("ip");
        let b: Ipv4Addr = "172.17.0.1".parse().expect("ip");
        let check = |cfg: &StackConfig| {
            for ip in [a, b, Ipv4Addr::LOCALHOST, Ipv4Addr::new(10, 0, 0, 2)] {
                assert_eq!(cfg.is_local(ip), scan(cfg, ip), "{ip}");
            }
        };
        let mut cfg = StackConfig::new("s", 64);
        assert_eq!(cfg.first_port(), None);
        check(&cfg);
        cfg.push_iface(IfaceConfig::ethernet(
            "eth0",
            MacAddr::zero(),
            net("10.0.0.1/24"),
        ));
        assert!(cfg.is_local(a));
        assert_eq!(cfg.first_port(), Some(PortId(0)));
        let p = cfg.push_iface(IfaceConfig::ethernet("eth1", MacAddr::zero(), None));
        assert!(!cfg.is_local(b));
        cfg.iface_mut(p).expect("eth1").addr = net("172.17.0.1/16");
        assert!(cfg.is_local(b));
        check(&cfg);
        cfg.ifaces_mut()[0] = None;
        assert!(!cfg.is_local(a));
        assert_eq!(cfg.first_port(), Some(p));
        check(&cfg);
        if let Some(mut i) = cfg.iface_mut(p) {
            i.addr = None;
        }
        assert!(!cfg.is_local(b));
        assert!(cfg.iface_mut(PortId(0)).is_none(), "a removed interface");
        check(&cfg);
        // Past the inline few: the sorted list, and back.
        for i in 0..9u8 {
            let addr = format!("10.1.{i}.1/24");
            cfg.push_iface(IfaceConfig::ethernet("v", MacAddr::zero(), net(&addr)));
        }
        for i in 0..9u8 {
            assert!(cfg.is_local(Ipv4Addr::new(10, 1, i, 1)));
        }
        assert!(!cfg.is_local(Ipv4Addr::new(10, 1, 9, 1)));
        check(&cfg);
        cfg.ifaces_mut().truncate(3);
        assert!(cfg.is_local(Ipv4Addr::new(10, 1, 0, 1)));
        assert!(!cfg.is_local(Ipv4Addr::new(10, 1, 1, 1)));
        check(&cfg);
    }
}
