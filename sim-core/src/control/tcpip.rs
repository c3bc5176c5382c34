//! The numbers each operating system's TCP/IP stack runs with, written into `StackConfig`
//! by whatever builds a node: the ARP cache's timers, whether a new address is announced,
//! fragment reassembly's bounds, and the link-local fallback of a failed DHCP client.
//!
//! Devices know no operating system; this is where the two the simulator runs get their
//! values, each with its source (docs/fidelity.md, "Issue 9: data plane").

use crate::device::stack::{NeighborConfig, ReassemblyConfig, StackConfig};
use crate::time::SimDuration;

/// Linux's default `net.ipv4.ip_local_port_range`.
pub const LINUX_LOCAL_PORTS: (u16, u16) = (32768, 60999);

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
/// * Client ports from the dynamic range 49152–65535 (`netsh int ipv4 show dynamicport tcp`).
pub fn windows(cfg: &mut StackConfig) {
    cfg.ephemeral_ports = crate::device::stack::DYNAMIC_PORTS;
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
/// * Client ports from `net.ipv4.ip_local_port_range`, 32768 60999 (ip-sysctl.rst). The
///   kernel picks a random offset in it per destination; hnsim takes them in turn.
pub fn linux(cfg: &mut StackConfig) {
    cfg.ephemeral_ports = LINUX_LOCAL_PORTS;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::stack::interface::NetState;

    /// Draws `n` client ports from a fresh stack configured by `os`.
    fn ports(os: fn(&mut StackConfig), n: usize) -> Vec<u16> {
        let mut cfg = StackConfig::new("s", 64);
        os(&mut cfg);
        let mut st = NetState::new(&cfg);
        (0..n)
            .map(|_| st.next_ephemeral(cfg.ephemeral_ports))
            .collect()
    }

    #[test]
    fn linux_stacks_take_client_ports_from_ip_local_port_range_and_windows_from_49152() {
        assert_eq!(ports(linux, 2), vec![32768, 32769]);
        assert_eq!(ports(windows, 2), vec![49152, 49153]);
        // Round the whole range and back to its start, never past 60999.
        let all = ports(linux, 28232 + 1);
        assert_eq!(all[28231], 60999);
        assert_eq!(all[28232], 32768);
        assert!(all.iter().all(|p| (32768..=60999).contains(p)));
        let win = ports(windows, 16384 + 1);
        assert_eq!((win[16383], win[16384]), (65535, 49152));
    }
}
