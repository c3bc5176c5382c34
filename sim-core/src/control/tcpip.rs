//! The numbers each operating system's TCP/IP stack runs with, written into `StackConfig`
//! by whatever builds a node: the ARP cache's timers, whether a new address is announced,
//! fragment reassembly's bounds, and the link-local fallback of a failed DHCP client.
//!
//! Devices know no operating system; this is where the two the simulator runs get their
//! values, each with its source (docs/fidelity.md, "Issue 9: data plane").

use crate::device::stack::{NeighborConfig, ReassemblyConfig, StackConfig};
use crate::time::SimDuration;

/// A Windows TCP/IP stack: a container host's own and each container's compartment.
///
/// * ARP: Windows applies RFC 4861's neighbour unreachability detection to IPv4 since Vista,
///   with a BaseReachableTime of 30 s (the actual reachable time is drawn between 15 and
///   45 s; hnsim uses the base) and RFC 4861's delay, retransmission interval (1 s) and
///   three unicast probes (Microsoft KB 949589, "Address Resolution Protocol caching
///   behavior").
/// * It sends a gratuitous ARP whenever an address is configured or a DHCP lease obtained
///   (Microsoft KB 199773, "Behavior of Gratuitous ARP").
/// * Reassembly: the timeout is fixed at 60 s (Microsoft networking team, "Why doesn't
///   IPReassemblyTimeout registry key take effect", following RFC 2460 4.5); at most 100
///   datagrams are reassembled at once (KB 252366, MaximumReassemblyHeaders); no byte bound
///   is documented.
/// * A DHCP client that gets no lease autoconfigures a 169.254/16 address (APIPA, RFC 3927;
///   "Autoconfiguration Enabled: Yes" by default).
pub fn windows(cfg: &mut StackConfig) {
    cfg.neighbor = NeighborConfig {
        reachable_time: SimDuration::from_secs(30),
        delay_first_probe: SimDuration::from_secs(5),
        retrans_time: SimDuration::from_secs(1),
        unicast_probes: 3,
        announce: true,
    };
    cfg.reassembly = ReassemblyConfig {
        timeout: SimDuration::from_secs(60),
        max_datagrams: 100,
        max_bytes: usize::MAX,
    };
    cfg.link_local_fallback = true;
}

/// A Linux stack with the kernel's defaults: the fabric's routers and outside hosts.
///
/// * ARP (arp(7), Documentation/networking/ip-sysctl.rst, `neigh/default/*`):
///   base_reachable_time_ms 30000, delay_first_probe_time 5 s, retrans_time_ms 1000,
///   ucast_solicit 3. arp_notify is 0: no gratuitous ARP when an address is added.
/// * Reassembly (ip-sysctl.rst): ipfrag_time 30 s, ipfrag_high_thresh 4 MiB (since 4.17);
///   no bound on the number of datagrams.
/// * No link-local fallback: a DHCP client that gets no lease stays without an address.
pub fn linux(cfg: &mut StackConfig) {
    cfg.neighbor = NeighborConfig {
        reachable_time: SimDuration::from_secs(30),
        delay_first_probe: SimDuration::from_secs(5),
        retrans_time: SimDuration::from_secs(1),
        unicast_probes: 3,
        announce: false,
    };
    cfg.reassembly = ReassemblyConfig {
        timeout: SimDuration::from_secs(30),
        max_datagrams: usize::MAX,
        max_bytes: 4 << 20,
    };
    cfg.link_local_fallback = false;
}
