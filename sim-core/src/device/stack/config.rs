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
use std::cell::Cell;
use std::net::Ipv4Addr;

/// `repr(C)` with `local` first: what the packet path reads of the configuration sits at
/// its start, in as few cache lines as it takes (issue 13). The other fields keep their
/// declared order, which is also the order they are serialized in.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[repr(C)]
pub struct StackConfig {
    /// What the packet path asks of the interfaces, routes, TTL and services on every
    /// packet, derived from `ifaces`, `routes`, `default_ttl` and `services`; kept true by
    /// their only writers (the guards of `ifaces_mut`, `iface_mut`, `push_iface`,
    /// `routes_mut`, `services_mut`; `default_ttl` is set once, by `new`).
    #[serde(skip)]
    local: LocalIndex,
    /// The name traces use, e.g. "host1" or "host1/web".
    pub name: String,
    /// Interfaces by port: interface `i` is plugged into port `i`. `None` is a removed interface.
    /// Read with [`StackConfig::ifaces`]; written only through [`StackConfig::ifaces_mut`],
    /// [`StackConfig::iface_mut`] or [`StackConfig::push_iface`], which keep `local` in step.
    ifaces: Vec<Option<IfaceConfig>>,
    /// Static routes. Connected routes come from interface addresses. Read with
    /// [`StackConfig::routes`]; written only through [`StackConfig::routes_mut`].
    routes: Vec<Route>,
    /// Whether packets not for this stack are routed on (`net.ipv4.ip_forward`); which of them
    /// may pass is the ruleset's `Forward` hook.
    pub forwarding: bool,
    /// How the connection table behaves (timeouts, filtering, NAT ports, size).
    pub conntrack: Profile,
    /// What listens on the stack. Read with [`StackConfig::services`] (or, on the packet
    /// path, the index's answers: [`StackConfig::echoes_udp`] and its siblings); written
    /// only through [`StackConfig::services_mut`], which keeps `local` in step.
    services: Services,
    pub dns_servers: Vec<Ipv4Addr>,
    /// Names its tools resolve before asking a DNS server (`/etc/hosts`), first match wins.
    pub hosts: Vec<(String, Ipv4Addr)>,
    /// TTL of packets this stack originates (128 on Windows, 64 elsewhere). Set by `new`
    /// only; read with [`StackConfig::default_ttl`].
    default_ttl: u8,
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
            local: LocalIndex {
                default_ttl,
                ..LocalIndex::default()
            },
            name: name.into(),
            ifaces: Vec::new(),
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

/// What the packet path reads of the configuration on every packet, kept apart from the
/// interfaces', routes' and services' own allocations (which would otherwise be read, each
/// a cache line of its own, at every visit of the stack: issue 13): the stack's own
/// addresses (`is_local`, a packet to itself), its first interface, the first interfaces'
/// facts, the first routes, the TTL and what of its services a datagram or echo request
/// asks. Up to `FEW` addresses sit inline (a container's one or two); more (a Linux host's
/// namespace, a router) are sorted. `repr(C)`, aligned to a cache line: what a packet
/// reads fills the first line exactly (a container's address, interface, TTL, services and
/// last routes looked up), the routes (read when the last look-ups do not answer) and the
/// sorted addresses of a stack with many come after.
#[derive(Clone, Debug, PartialEq)]
#[repr(C, align(64))]
struct LocalIndex {
    few: [Ipv4Addr; LocalIndex::FEW],
    /// How many of `few` hold addresses; `LocalIndex::SPILLED` when there are more than
    /// `FEW` and `many` holds them all.
    few_len: u8,
    default_ttl: u8,
    /// How many interface slots (`None` included) there are when `ports` holds them all;
    /// `u8::MAX` when there are more than `HOT`.
    hot_ifaces: u8,
    /// How many routes there are when `routes` holds them all; `u8::MAX` otherwise.
    hot_routes: u8,
    services: ServiceFacts,
    first_port: Option<PortId>,
    /// Ports `0..hot_ifaces`: each interface's facts, `None` for a removed one.
    ports: [Option<PortFacts>; LocalIndex::HOT],
    /// The last routes looked up. They live in the index, so every writer of the interfaces
    /// or routes (whose guards rebuild the index) forgets it. In the first line: a look-up
    /// they answer reads nothing else (issue 13).
    route_memo: RouteMemo,
    /// The routes `0..hot_routes`, in order.
    routes: [Option<Route>; LocalIndex::HOT_ROUTES],
    /// Every address, sorted, when there are more than `FEW`; empty otherwise.
    many: Vec<Ipv4Addr>,
}

/// The answers of the last two route look-ups (`interface::route`), for the destinations
/// they were asked for: a stack sends to the same few destinations again and again (an
/// echo container to the next one's server, its own server back to the previous one), and
/// a hit costs a comparison or two instead of a longest-prefix match (issue 13). Derived
/// from the interfaces and routes, as the rest of the index is, and dropped with the index
/// whenever they change; no part of what the configuration is, so two configurations
/// compare equal whatever they remember.
/// The newer answer is first: a new one pushes the older out, so no slot number is kept
/// (24 bytes, which the index's first line has room for).
#[derive(Clone, Debug, Default)]
struct RouteMemo {
    answers: [Cell<Option<(Ipv4Addr, RouteAnswer)>>; 2],
}

/// A route look-up's answer: the outgoing port and the next hop, if any route matched.
pub type RouteAnswer = Option<(PortId, Ipv4Addr)>;

impl PartialEq for RouteMemo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// What sending and receiving read of an interface on every packet. The flags say that the
/// interface is more than plain Ethernet; only then does the packet path read the rest of
/// its `IfaceConfig`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortFacts {
    pub mac: MacAddr,
    pub mtu: u16,
    pub addr: Option<Ipv4Network>,
    pub vxlan: bool,
    pub bridge: bool,
    pub master: bool,
    pub vlan: bool,
}

impl PortFacts {
    pub fn of(i: &IfaceConfig) -> Self {
        PortFacts {
            mac: i.mac,
            mtu: i.mtu,
            addr: i.addr,
            vxlan: i.vxlan.is_some(),
            bridge: i.bridge.is_some(),
            master: i.master.is_some(),
            vlan: i.vlan.is_some(),
        }
    }
}

/// What a datagram or an echo request for the stack reads of its [`Services`], derived
/// from them by [`ServiceFacts::of`]: whether relays or a loopback resolver listen (every
/// datagram no socket bound asks, before the echo service does), whether ICMP echo is
/// answered, and the first UDP echo ports. A UDP echo then reads neither `Services` (two
/// cache lines of the configuration apart from the index) nor the list's own allocation (a
/// third) at a visit of the stack (issue 13). Six bytes, in the index's first line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
struct ServiceFacts {
    /// The first `udp_echo_len` ports of `Services::udp_echo` (its first `ECHO_INLINE`
    /// when it has more).
    udp_echo: [u16; ServiceFacts::ECHO_INLINE],
    /// How many of `udp_echo` hold ports; `ServiceFacts::MORE` when `Services::udp_echo`
    /// has more than `ECHO_INLINE` (those past them are read from the list itself).
    udp_echo_len: u8,
    /// `RELAYS`, `LOCAL_RESOLVER` and `ICMP_ECHO` bits.
    flags: u8,
}

impl ServiceFacts {
    /// UDP echo ports held inline: a container's image lists one or two.
    const ECHO_INLINE: usize = 2;
    const MORE: u8 = u8::MAX;
    /// `Services::relays` is not empty.
    const RELAYS: u8 = 1;
    /// `Services::local_resolver` is set.
    const LOCAL_RESOLVER: u8 = 2;
    /// `Services::icmp_echo`.
    const ICMP_ECHO: u8 = 4;

    fn of(s: &Services) -> Self {
        let mut udp_echo = [0; Self::ECHO_INLINE];
        let inline = s.udp_echo.len().min(Self::ECHO_INLINE);
        udp_echo[..inline].copy_from_slice(&s.udp_echo[..inline]);
        let flag = |set: bool, bit: u8| if set { bit } else { 0 };
        ServiceFacts {
            udp_echo,
            udp_echo_len: if s.udp_echo.len() > Self::ECHO_INLINE {
                Self::MORE
            } else {
                inline as u8
            },
            flags: flag(!s.relays.is_empty(), Self::RELAYS)
                | flag(s.local_resolver.is_some(), Self::LOCAL_RESOLVER)
                | flag(s.icmp_echo, Self::ICMP_ECHO),
        }
    }

    #[inline]
    fn has(&self, bit: u8) -> bool {
        self.flags & bit != 0
    }

    /// Whether `port` is one of the UDP echo ports; `rest` gives the ports past the inline
    /// ones (read only when there are more than those and `port` is not among them).
    #[inline]
    fn echoes_udp(&self, port: u16, rest: impl FnOnce() -> bool) -> bool {
        let inline = usize::from(self.udp_echo_len).min(Self::ECHO_INLINE);
        // Over the whole fixed-size array, a slot past `inline` not counting: the compiler
        // unrolls it into a comparison a slot, where `contains` on the slice was a call of
        // some twenty instructions at every echo (issue 13).
        let among = |(i, p): (usize, &u16)| i < inline && *p == port;
        self.udp_echo.iter().enumerate().any(among) || (self.udp_echo_len == Self::MORE && rest())
    }
}

impl Default for LocalIndex {
    fn default() -> Self {
        LocalIndex {
            few: [Ipv4Addr::UNSPECIFIED; LocalIndex::FEW],
            few_len: 0,
            default_ttl: 0,
            hot_ifaces: 0,
            hot_routes: 0,
            services: ServiceFacts::of(&Services::default()),
            first_port: None,
            ports: [None; LocalIndex::HOT],
            routes: [const { None }; LocalIndex::HOT_ROUTES],
            many: Vec::new(),
            route_memo: RouteMemo::default(),
        }
    }
}

impl LocalIndex {
    const FEW: usize = 2;
    /// Interfaces held inline: a container has one.
    const HOT: usize = 1;
    /// Routes held inline: a container has its default route, sometimes one more.
    const HOT_ROUTES: usize = 2;
    /// `few_len` when `many` holds the addresses.
    const SPILLED: u8 = u8::MAX;

    fn of(
        ifaces: &[Option<IfaceConfig>],
        routes: &[Route],
        default_ttl: u8,
        services: &Services,
    ) -> Self {
        let mut addrs: Vec<Ipv4Addr> = ifaces
            .iter()
            .flatten()
            .filter_map(|i| i.addr.map(|a| a.ip()))
            .collect();
        addrs.sort_unstable();
        addrs.dedup();
        let mut index = LocalIndex {
            default_ttl,
            services: ServiceFacts::of(services),
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
            index.few_len = Self::SPILLED;
            index.many = addrs;
        }
        if ifaces.len() <= Self::HOT {
            index.hot_ifaces = ifaces.len() as u8;
            for (slot, i) in index.ports.iter_mut().zip(ifaces) {
                *slot = i.as_ref().map(PortFacts::of);
            }
        } else {
            index.hot_ifaces = u8::MAX;
        }
        if routes.len() <= Self::HOT_ROUTES {
            index.hot_routes = routes.len() as u8;
            for (slot, r) in index.routes.iter_mut().zip(routes) {
                *slot = Some(r.clone());
            }
        } else {
            index.hot_routes = u8::MAX;
        }
        index
    }

    /// Always inlined (every packet a stack receives or sends asks, and a call cost as much
    /// as the answer from `few`); the search of `many` is out of line.
    #[inline(always)]
    fn contains(&self, ip: Ipv4Addr) -> bool {
        if self.few_len == Self::SPILLED {
            self.many_contains(ip)
        } else {
            self.few[..usize::from(self.few_len)].contains(&ip)
        }
    }

    #[inline(never)]
    fn many_contains(&self, ip: Ipv4Addr) -> bool {
        self.many.binary_search(&ip).is_ok()
    }
}

/// The interfaces' and routes' facts a route look-up needs, from the index when it holds
/// them all (no allocation of the configuration read), else from the configuration.
pub enum RouteFacts<'a> {
    Hot {
        ports: &'a [Option<PortFacts>],
        routes: &'a [Option<Route>],
    },
    Full(&'a StackConfig),
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
    #[inline(always)]
    pub fn is_local(&self, ip: Ipv4Addr) -> bool {
        ip.is_loopback() || self.local.contains(ip)
    }

    /// The stack's first interface: where a packet it sends itself is said to arrive.
    #[inline]
    pub fn first_port(&self) -> Option<PortId> {
        self.local.first_port
    }

    /// Interface `port`'s facts the packet path reads: from the index for the first
    /// interfaces, else from the interface itself.
    #[inline]
    pub fn port_facts(&self, port: PortId) -> Option<PortFacts> {
        let i = usize::from(port.0);
        if self.local.hot_ifaces != u8::MAX {
            debug_assert_eq!(
                self.local.ports.get(i).copied().flatten(),
                self.ifaces
                    .get(i)
                    .and_then(Option::as_ref)
                    .map(PortFacts::of),
                "the index follows the interfaces"
            );
            return if i < usize::from(self.local.hot_ifaces) {
                self.local.ports[i]
            } else {
                None
            };
        }
        self.ifaces
            .get(i)
            .and_then(Option::as_ref)
            .map(PortFacts::of)
    }

    /// Interface `port`'s MAC, read where [`StackConfig::port_facts`] reads it. A sender
    /// takes its header's source MAC from here, not from the copy of the facts it has just
    /// made: that copy is stored in pieces LLVM chooses, and a MAC read across two of them
    /// waits for both to reach the cache (a store-forwarding stall; issue 13).
    /// A slot of the index past `hot_ifaces`, and every slot when the interfaces are more
    /// than `HOT`, is `None` (the index is built from its default), so a filled slot
    /// answers without `hot_ifaces` being read first.
    #[inline]
    pub fn port_mac(&self, port: PortId) -> Option<MacAddr> {
        let i = usize::from(port.0);
        let mac = if let Some(Some(f)) = self.local.ports.get(i) {
            Some(f.mac)
        } else if self.local.hot_ifaces != u8::MAX {
            None
        } else {
            self.ifaces.get(i).and_then(Option::as_ref).map(|i| i.mac)
        };
        debug_assert_eq!(mac, self.port_facts(port).map(|f| f.mac));
        mac
    }

    /// What a route look-up reads (`interface::route`).
    #[inline]
    pub fn route_facts(&self) -> RouteFacts<'_> {
        let (ni, nr) = (self.local.hot_ifaces, self.local.hot_routes);
        if ni == u8::MAX || nr == u8::MAX {
            return RouteFacts::Full(self);
        }
        debug_assert!(self.index_follows(), "the index follows the configuration");
        RouteFacts::Hot {
            ports: &self.local.ports[..usize::from(ni)],
            routes: &self.local.routes[..usize::from(nr)],
        }
    }

    /// The route remembered for `dst` (`interface::route`), if one of the last two look-ups
    /// was for it.
    #[inline]
    pub fn remembered_route(&self, dst: Ipv4Addr) -> Option<RouteAnswer> {
        let memo = &self.local.route_memo;
        memo.answers.iter().find_map(|a| match a.get() {
            Some((kept, answer)) if kept == dst => Some(answer),
            _ => None,
        })
    }

    /// Remembers the route `answer` for `dst` until the next look-up of another destination
    /// (one of the two last), or the next change of the interfaces or
    /// routes.
    #[inline]
    pub fn remember_route(&self, dst: Ipv4Addr, answer: RouteAnswer) {
        let [newer, older] = &self.local.route_memo.answers;
        older.set(newer.get());
        newer.set(Some((dst, answer)));
    }

    /// Whether the index's interfaces, routes and TTL are the configuration's (debug
    /// builds check it where the packet path trusts the index, as `engine::quiet` does).
    fn index_follows(&self) -> bool {
        let l = &self.local;
        let ports = l.hot_ifaces == u8::MAX
            || (usize::from(l.hot_ifaces) == self.ifaces.len()
                && l.ports
                    .iter()
                    .zip(&self.ifaces)
                    .all(|(hot, i)| *hot == i.as_ref().map(PortFacts::of)));
        let routes = l.hot_routes == u8::MAX
            || (usize::from(l.hot_routes) == self.routes.len()
                && l.routes
                    .iter()
                    .zip(&self.routes)
                    .all(|(hot, r)| hot.as_ref() == Some(r)));
        ports
            && routes
            && l.default_ttl == self.default_ttl
            && l.services == ServiceFacts::of(&self.services)
    }

    /// TTL of packets this stack originates (128 on Windows, 64 elsewhere).
    #[inline]
    pub fn default_ttl(&self) -> u8 {
        self.local.default_ttl
    }

    /// The static routes.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The static routes, to change: the index follows when the guard goes.
    pub fn routes_mut(&mut self) -> RoutesMut<'_> {
        RoutesMut(self)
    }

    fn reindex(&mut self) {
        self.local = LocalIndex::of(&self.ifaces, &self.routes, self.default_ttl, &self.services);
    }

    /// What listens on the stack.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// What listens on the stack, to change: the index follows when the guard goes.
    pub fn services_mut(&mut self) -> ServicesMut<'_> {
        ServicesMut(self)
    }

    /// Docker's embedded resolvers, to change their records and upstreams: the index
    /// holds nothing of them, so no guard is needed.
    pub fn embedded_dns_mut(&mut self) -> &mut Vec<EmbeddedDns> {
        &mut self.services.embedded_dns
    }

    /// The loopback resolver, to change (not to add or remove: that is
    /// [`StackConfig::services_mut`]'s, as the index holds whether there is one).
    pub fn local_resolver_mut(&mut self) -> Option<&mut LocalResolver> {
        self.services.local_resolver.as_mut()
    }

    /// Whether the UDP echo service listens on `port` (`Services::udp_echo`), from the
    /// index for the first ports.
    #[inline]
    pub fn echoes_udp(&self, port: u16) -> bool {
        self.debug_check_services();
        self.local.services.echoes_udp(port, || {
            self.services
                .udp_echo
                .get(ServiceFacts::ECHO_INLINE..)
                .is_some_and(|rest| rest.contains(&port))
        })
    }

    /// Whether any relay listens (`Services::relays` is not empty).
    #[inline]
    pub fn has_relays(&self) -> bool {
        self.debug_check_services();
        self.local.services.has(ServiceFacts::RELAYS)
    }

    /// Whether a resolver listens on a loopback address (`Services::local_resolver`).
    #[inline]
    pub fn has_local_resolver(&self) -> bool {
        self.debug_check_services();
        self.local.services.has(ServiceFacts::LOCAL_RESOLVER)
    }

    /// Whether ICMP echo requests are answered (`Services::icmp_echo`).
    #[inline]
    pub fn answers_icmp_echo(&self) -> bool {
        self.debug_check_services();
        self.local.services.has(ServiceFacts::ICMP_ECHO)
    }

    /// Debug builds check the index's services against the services where the packet path
    /// trusts it.
    #[inline]
    fn debug_check_services(&self) {
        debug_assert_eq!(
            self.local.services,
            ServiceFacts::of(&self.services),
            "the index follows the services"
        );
    }
}

/// The services of a stack lent out for changes; the stack's index follows on drop.
pub struct ServicesMut<'a>(&'a mut StackConfig);

impl std::ops::Deref for ServicesMut<'_> {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0.services
    }
}

impl std::ops::DerefMut for ServicesMut<'_> {
    fn deref_mut(&mut self) -> &mut Services {
        &mut self.0.services
    }
}

impl Drop for ServicesMut<'_> {
    fn drop(&mut self) {
        self.0.local.services = ServiceFacts::of(&self.0.services);
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

/// The routes of a stack lent out for changes; the stack's index follows on drop.
pub struct RoutesMut<'a>(&'a mut StackConfig);

impl std::ops::Deref for RoutesMut<'_> {
    type Target = Vec<Route>;
    fn deref(&self) -> &Self::Target {
        &self.0.routes
    }
}

impl std::ops::DerefMut for RoutesMut<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0.routes
    }
}

impl Drop for RoutesMut<'_> {
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

    /// The route a scan of the interfaces and routes themselves gives (the index's answer
    /// must be this one).
    fn scan_route(cfg: &StackConfig, dst: Ipv4Addr) -> Option<(PortId, Ipv4Addr)> {
        let mut best: Option<(u8, PortId, Ipv4Addr)> = None;
        for (i, iface) in cfg.ifaces().iter().enumerate() {
            if let Some(net) = iface.as_ref().and_then(|i| i.addr) {
                if net.contains(dst) && best.is_none_or(|b| net.prefix() > b.0) {
                    best = Some((net.prefix(), PortId(i as u16), dst));
                }
            }
        }
        for r in cfg.routes() {
            let present = cfg
                .ifaces()
                .get(usize::from(r.iface.0))
                .is_some_and(Option::is_some);
            if r.dest.contains(dst) && best.is_none_or(|b| r.dest.prefix() > b.0) && present {
                best = Some((r.dest.prefix(), r.iface, r.via.unwrap_or(dst)));
            }
        }
        best.map(|(_, p, nh)| (p, nh))
    }

    /// Routes, interface facts and TTL read through the index are the configuration's,
    /// whichever writer changed it, with the index holding everything or not.
    #[test]
    fn the_packet_path_index_follows_interfaces_and_routes() {
        let dsts: Vec<Ipv4Addr> = [
            "10.0.0.7",
            "10.0.0.1",
            "10.1.0.9",
            "172.17.5.5",
            "8.8.8.8",
            "10.1.2.1",
        ]
        .iter()
        .map(|s| s.parse().expect("ip"))
        .collect();
        let check = |cfg: &StackConfig| {
            assert!(cfg.index_follows());
            for dst in &dsts {
                assert_eq!(
                    crate::device::stack::interface::route(cfg, *dst),
                    scan_route(cfg, *dst),
                    "{dst}"
                );
            }
            for p in 0..4 {
                let full = cfg
                    .ifaces()
                    .get(p)
                    .and_then(Option::as_ref)
                    .map(PortFacts::of);
                assert_eq!(cfg.port_facts(PortId(p as u16)), full, "port {p}");
            }
            assert_eq!(cfg.default_ttl(), 128);
        };
        let route = |dest: &str, via: Option<&str>, iface: u16| Route {
            dest: dest.parse().expect("net"),
            via: via.map(|v| v.parse().expect("via")),
            iface: PortId(iface),
        };
        let mut cfg = StackConfig::new("s", 128);
        check(&cfg);
        cfg.routes_mut()
            .push(route("0.0.0.0/0", Some("10.0.0.1"), 0));
        check(&cfg);
        cfg.push_iface(IfaceConfig::ethernet(
            "eth0",
            MacAddr::zero(),
            net("10.0.0.2/24"),
        ));
        check(&cfg);
        cfg.routes_mut()
            .push(route("10.1.0.0/16", Some("10.0.0.9"), 0));
        check(&cfg);
        // More routes than the index holds, then fewer again.
        cfg.routes_mut().push(route("10.1.2.0/24", None, 1));
        check(&cfg);
        let p = cfg.push_iface(IfaceConfig::ethernet("eth1", MacAddr::broadcast(), None));
        check(&cfg);
        cfg.iface_mut(p).expect("eth1").addr = net("172.17.0.1/16");
        check(&cfg);
        cfg.routes_mut().retain(|r| r.dest.prefix() != 16);
        check(&cfg);
        if let Some(mut i) = cfg.iface_mut(PortId(0)) {
            i.mtu = 1400;
            i.master = Some(BridgePort {
                bridge: p,
                hairpin: false,
            });
        }
        check(&cfg);
        cfg.ifaces_mut().truncate(1);
        check(&cfg);
        cfg.ifaces_mut()[0] = None;
        check(&cfg);
    }

    /// The routes remembered for the last destinations are forgotten at every change of
    /// the interfaces or routes: each change below alters the answer for a destination
    /// just asked (and remembered), and the answer after it is the scan's.
    #[test]
    fn remembered_routes_are_forgotten_when_interfaces_or_routes_change() {
        use crate::device::stack::interface::route;
        let near: Ipv4Addr = "10.0.0.7".parse().expect("ip");
        let far: Ipv4Addr = "8.8.8.8".parse().expect("ip");
        let ask = |cfg: &StackConfig| {
            for _ in 0..2 {
                for dst in [near, far] {
                    assert_eq!(route(cfg, dst), scan_route(cfg, dst), "{dst}");
                }
            }
            for dst in [near, far] {
                assert_eq!(cfg.remembered_route(dst), Some(scan_route(cfg, dst)));
            }
        };
        let mut cfg = StackConfig::new("s", 64);
        cfg.push_iface(IfaceConfig::ethernet(
            "eth0",
            MacAddr::zero(),
            net("10.0.0.2/24"),
        ));
        cfg.routes_mut().push(Route {
            dest: "0.0.0.0/0".parse().expect("net"),
            via: Some("10.0.0.1".parse().expect("ip")),
            iface: PortId(0),
        });
        ask(&cfg);
        assert_eq!(
            route(&cfg, far),
            Some((PortId(0), "10.0.0.1".parse().expect("ip")))
        );
        // A more specific route for `far`.
        cfg.routes_mut().push(Route {
            dest: "8.8.8.0/24".parse().expect("net"),
            via: Some("10.0.0.9".parse().expect("ip")),
            iface: PortId(0),
        });
        ask(&cfg);
        assert_eq!(
            route(&cfg, far),
            Some((PortId(0), "10.0.0.9".parse().expect("ip")))
        );
        // `near` leaves the interface's subnet: it goes by the default route.
        cfg.iface_mut(PortId(0)).expect("eth0").addr = net("10.0.1.2/24");
        ask(&cfg);
        // A second interface on `near`'s subnet (more specific than the default route).
        cfg.push_iface(IfaceConfig::ethernet(
            "eth1",
            MacAddr::zero(),
            net("10.0.0.3/24"),
        ));
        ask(&cfg);
        assert_eq!(route(&cfg, near), Some((PortId(1), near)));
        // No interface left: no route at all.
        cfg.ifaces_mut().iter_mut().for_each(|i| *i = None);
        ask(&cfg);
        assert_eq!(route(&cfg, far), None);
        // A clone remembers for the configuration it is a copy of, and compares equal.
        let copy = cfg.clone();
        assert_eq!(copy, cfg);
        assert_eq!(copy.remembered_route(far), Some(None));
    }

    /// What the packet path reads of the index (the services' facts and the last routes
    /// looked up included) fits in its first cache line.
    #[test]
    fn the_index_hot_part_is_one_cache_line() {
        use std::mem::{align_of, offset_of, size_of};
        assert_eq!(align_of::<LocalIndex>(), 64);
        assert!(offset_of!(LocalIndex, services) + size_of::<ServiceFacts>() <= 64);
        assert!(offset_of!(LocalIndex, route_memo) + size_of::<RouteMemo>() <= 64);
        assert_eq!(offset_of!(StackConfig, local), 0);
    }

    /// The index's answers about the services are the services' own, after every kind of
    /// change through the guard (and after the interfaces' guard rebuilt the index), with
    /// the UDP echo ports inline, past the inline few, and none.
    #[test]
    fn the_index_follows_the_services() {
        let check = |cfg: &StackConfig| {
            assert!(cfg.index_follows());
            let s = cfg.services();
            for port in (0..16).chain([53, 65535]) {
                assert_eq!(cfg.echoes_udp(port), s.udp_echo.contains(&port), "{port}");
            }
            assert_eq!(cfg.has_relays(), !s.relays.is_empty());
            assert_eq!(cfg.has_local_resolver(), s.local_resolver.is_some());
            assert_eq!(cfg.answers_icmp_echo(), s.icmp_echo);
        };
        let mut cfg = StackConfig::new("s", 64);
        check(&cfg);
        cfg.services_mut().udp_echo.push(7);
        check(&cfg);
        cfg.services_mut().udp_echo.extend([9, 11, 0, 13]);
        check(&cfg);
        cfg.services_mut().udp_echo.retain(|p| *p > 9);
        check(&cfg);
        cfg.services_mut().udp_echo.clear();
        check(&cfg);
        cfg.services_mut().icmp_echo = true;
        check(&cfg);
        let relay = RelayListener {
            name: "docker-proxy".into(),
            proto: crate::wire::IPPROTO_UDP,
            bind: Ipv4Addr::UNSPECIFIED.into(),
            port: 8080,
            target: "172.17.0.2:80".parse().expect("target"),
        };
        cfg.services_mut().relays.push(relay);
        check(&cfg);
        cfg.services_mut().local_resolver = Some(LocalResolver {
            name: "resolver".into(),
            bind: Ipv4Addr::new(127, 0, 0, 11),
            udp_port: 40_000,
            tcp_port: 40_001,
            tables: Vec::new(),
            private: Vec::new(),
            upstreams: Vec::new(),
            forward_unknown: false,
            shuffle_seed: 1,
        });
        check(&cfg);
        if let Some(r) = cfg.local_resolver_mut() {
            r.forward_unknown = true;
        }
        cfg.embedded_dns_mut().push(EmbeddedDns {
            name: "dns".into(),
            bind: Ipv4Addr::new(172, 17, 0, 1),
            records: Vec::new(),
            upstreams: Vec::new(),
        });
        check(&cfg);
        // The interfaces' guard rebuilds the whole index: the services' part stays true.
        cfg.services_mut().udp_echo = vec![5, 6, 7];
        cfg.push_iface(IfaceConfig::ethernet(
            "eth0",
            MacAddr::zero(),
            net("10.0.0.2/24"),
        ));
        check(&cfg);
        let mut s = cfg.services_mut();
        s.relays.clear();
        s.local_resolver = None;
        s.icmp_echo = false;
        s.udp_echo = vec![6];
        drop(s);
        check(&cfg);
        *cfg.services_mut() = Services::default();
        check(&cfg);
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
