//! The numbers each operating system's TCP/IP stack runs with, written into `StackConfig`
//! by whatever builds a node: the ARP cache's timers, whether a new address is announced,
//! fragment reassembly's bounds, and the link-local fallback of a failed DHCP client.
//!
//! Devices know no operating system; this is where the two the simulator runs get their
//! values, each with its source (docs/fidelity.md, "Issue 9: data plane").

use crate::device::stack::arp::WaitingLimit;
use crate::device::stack::{NeighborConfig, ReassemblyConfig, StackConfig};
use crate::time::SimDuration;

/// Linux's default `net.ipv4.neigh.default.unres_qlen_bytes` (`SK_WMEM_MAX` on 64-bit).
pub const LINUX_UNRES_QLEN_BYTES: u32 = 212_992;

/// Linux's default `net.ipv4.ip_local_port_range`.
pub const LINUX_LOCAL_PORTS: (u16, u16) = (32768, 60999);

/// A Windows TCP/IP stack: a container host's own and each container's compartment.
///
/// * ARP: Windows applies RFC 4861's neighbour unreachability detection to IPv4 since Vista,
///   with a BaseReachableTime of 30 s (the actual reachable time is drawn between 15 and
///   45 s; hnsim uses the base) and RFC 4861's delay, retransmission interval (1 s) and
///   three unicast probes (Microsoft KB 949589, "Address Resolution Protocol caching
///   behavior").
/// * Frames waiting for an address being resolved: Windows documents no limit (neither
///   `Set-NetIPInterface`, `Set-NetIPv4Protocol` nor `netsh interface ipv4` has a setting
///   for it; only Windows NT 4.0's is on record, KB 194881: it sent the last frame alone).
///   hnsim keeps 16 frames, FreeBSD's and Darwin's, and drops newer ones (docs/fidelity.md,
///   "Frames waiting for ARP").
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
        waiting: WaitingLimit::Frames { frames: 16 },
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
/// * Frames waiting for an address being resolved (`__neigh_event_send` in
///   net/core/neighbour.c): at most `unres_qlen_bytes` of buffer memory per address,
///   212,992 by default since 4.14 (`SK_WMEM_MAX`, 256 times `SKB_TRUESIZE(256)`), each frame
///   counted by its skb's truesize; the oldest are dropped until the new one fits, and it is
///   always queued. hnsim counts a frame as `SKB_TRUESIZE` of its length rounded up to 64
///   bytes (`SKB_DATA_ALIGN`, as `__alloc_skb` rounds the data area) on x86-64: plus 256 for
///   `struct sk_buff` and 320 for `struct skb_shared_info`, 2,112 bytes for a 1514-byte
///   frame, so 100 of them wait (the kernel derives the old `unres_qlen`, 101, from the same
///   sizes without the rounding). A real skb's truesize is often larger (the allocator's
///   rounding, headroom, a driver's page fragments), so Linux may hold fewer frames.
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
        waiting: WaitingLimit::Bytes {
            bytes: LINUX_UNRES_QLEN_BYTES,
            align: 64,
            overhead: 256 + 320,
        },
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
