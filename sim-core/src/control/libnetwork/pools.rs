//! libnetwork's default IPAM at the level of subnets: which subnet a local network gets when
//! the user names none, and which subnets a user may not have (reference linux-drivers.md
//! section 3.1).
//!
//! Owns one address space (the daemon's `LocalDefault`): its predefined pools, the subnets
//! handed out from it, and the order in which a free subnet is chosen. Up to Docker 26 the
//! search starts after the last pool handed out and wraps (a removed network's subnet is not
//! reused at once); from 27 it takes the lowest free subnet. In both, a dynamic choice skips
//! subnets that overlap a route of the host or one of its nameservers (libnetwork's
//! `requestPoolHelper` asks again while the answer overlaps), whereas a static `--subnet` is
//! checked only against other networks' subnets.

use crate::control::ipam::overlaps;
use ipnetwork::Ipv4Network;
use std::net::Ipv4Addr;

/// How the next dynamic subnet is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolOrder {
    /// Docker 26 and earlier: start after the last subnet handed out, wrap around.
    Rotating,
    /// Docker 27 and later: the lowest free subnet, in pool order.
    LowestFree,
}

/// Why no subnet could be given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolError {
    /// Every predefined subnet is taken or reserved.
    Exhausted,
    /// A requested subnet overlaps one already handed out.
    Overlap,
}

/// A pool as `default-address-pools` gives it: a base network cut into subnets of `size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool {
    pub base: Ipv4Network,
    pub size: u8,
}

/// The daemon's built-in local pools: 172.17.0.0/16 to 172.31.0.0/16, then 192.168.0.0/16
/// cut into /20s (31 subnets in all).
pub fn default_local_pools() -> Vec<Pool> {
    let p = |a: u8, b: u8, prefix: u8, size: u8| Pool {
        base: Ipv4Network::new(Ipv4Addr::new(a, b, 0, 0), prefix).expect("valid prefix"),
        size,
    };
    vec![
        p(172, 17, 16, 16),
        p(172, 18, 16, 16),
        p(172, 19, 16, 16),
        p(172, 20, 14, 16),
        p(172, 24, 14, 16),
        p(172, 28, 14, 16),
        p(192, 168, 16, 20),
    ]
}

/// Every subnet of `pools`, in order: each pool's base cut into subnets of its size.
pub fn expand(pools: &[Pool]) -> Vec<Ipv4Network> {
    let mut out = Vec::new();
    for p in pools {
        if p.size < p.base.prefix() || p.size > 32 {
            continue;
        }
        let base = u32::from(p.base.network());
        let count = 1u64 << (p.size - p.base.prefix());
        let step = 1u64 << (32 - p.size);
        for i in 0..count {
            let start = u64::from(base) + i * step;
            if let Ok(net) = Ipv4Network::new(Ipv4Addr::from(start as u32), p.size) {
                out.push(net);
            }
        }
    }
    out
}

/// One address space: its predefined subnets and the subnets handed out from it.
#[derive(Clone, Debug)]
pub struct AddressSpace {
    predefined: Vec<Ipv4Network>,
    order: PoolOrder,
    /// Where a rotating search starts (an index into `predefined`).
    start: usize,
    allocated: Vec<Ipv4Network>,
}

impl AddressSpace {
    pub fn new(pools: &[Pool], order: PoolOrder) -> Self {
        AddressSpace {
            predefined: expand(pools),
            order,
            start: 0,
            allocated: Vec::new(),
        }
    }

    /// The subnets handed out, in the order they were.
    pub fn allocated(&self) -> &[Ipv4Network] {
        &self.allocated
    }

    fn is_free(&self, net: Ipv4Network) -> bool {
        !self.allocated.iter().any(|a| overlaps(*a, net))
    }

    /// A subnet for a network whose user named none, avoiding `reserved` (the host's routes
    /// and nameservers). With `prefix` (`--subnet 0.0.0.0/<len>`), a subnet of that length
    /// inside the first pool that has room.
    pub fn allocate_dynamic(
        &mut self,
        reserved: &[Ipv4Network],
        prefix: Option<u8>,
    ) -> Result<Ipv4Network, PoolError> {
        let clear = |s: &Self, net: Ipv4Network| {
            s.is_free(net) && !reserved.iter().any(|r| overlaps(*r, net))
        };
        if let Some(len) = prefix {
            let candidates = self
                .predefined
                .iter()
                .filter(|p| p.prefix() <= len)
                .flat_map(|p| {
                    expand(&[Pool {
                        base: *p,
                        size: len,
                    }])
                })
                .find(|n| clear(self, *n));
            let net = candidates.ok_or(PoolError::Exhausted)?;
            self.allocated.push(net);
            return Ok(net);
        }
        let n = self.predefined.len();
        let first = match self.order {
            PoolOrder::Rotating => self.start.min(n),
            PoolOrder::LowestFree => 0,
        };
        for i in 0..n {
            let at = (first + i) % n;
            let net = self.predefined[at];
            if clear(self, net) {
                if self.order == PoolOrder::Rotating {
                    // The next search starts after this one (a skipped, reserved subnet moves
                    // the start too, as libnetwork asks again).
                    self.start = if at + 1 >= n { 0 } else { at + 1 };
                }
                self.allocated.push(net);
                return Ok(net);
            }
        }
        Err(PoolError::Exhausted)
    }

    /// The subnet a user asked for (`--subnet`), checked only against other networks.
    pub fn allocate_static(&mut self, net: Ipv4Network) -> Result<(), PoolError> {
        if !self.is_free(net) {
            return Err(PoolError::Overlap);
        }
        self.allocated.push(net);
        Ok(())
    }

    /// A network went: its subnet is free again.
    pub fn release(&mut self, net: Ipv4Network) {
        if let Some(i) = self.allocated.iter().position(|a| *a == net) {
            self.allocated.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn net(s: &str) -> Ipv4Network {
        s.parse().expect("a network")
    }

    #[test]
    fn the_default_pools_are_31_subnets_in_order() {
        let all = expand(&default_local_pools());
        assert_eq!(all.len(), 31);
        assert_eq!(all[0], net("172.17.0.0/16"));
        assert_eq!(all[14], net("172.31.0.0/16"));
        assert_eq!(all[15], net("192.168.0.0/20"));
        assert_eq!(all[30], net("192.168.240.0/20"));
    }

    #[test]
    fn rotating_does_not_reuse_a_freed_subnet_at_once() {
        let mut s = AddressSpace::new(&default_local_pools(), PoolOrder::Rotating);
        assert_eq!(s.allocate_dynamic(&[], None), Ok(net("172.17.0.0/16")));
        assert_eq!(s.allocate_dynamic(&[], None), Ok(net("172.18.0.0/16")));
        s.release(net("172.18.0.0/16"));
        assert_eq!(s.allocate_dynamic(&[], None), Ok(net("172.19.0.0/16")));
    }

    #[test]
    fn lowest_free_reuses_a_freed_subnet() {
        let mut s = AddressSpace::new(&default_local_pools(), PoolOrder::LowestFree);
        assert_eq!(s.allocate_dynamic(&[], None), Ok(net("172.17.0.0/16")));
        assert_eq!(s.allocate_dynamic(&[], None), Ok(net("172.18.0.0/16")));
        s.release(net("172.18.0.0/16"));
        assert_eq!(s.allocate_dynamic(&[], None), Ok(net("172.18.0.0/16")));
    }

    #[test]
    fn a_dynamic_subnet_skips_host_routes_but_a_static_one_does_not() {
        let mut s = AddressSpace::new(&default_local_pools(), PoolOrder::LowestFree);
        let lan = [net("172.17.0.0/16")];
        assert_eq!(s.allocate_dynamic(&lan, None), Ok(net("172.18.0.0/16")));
        assert_eq!(s.allocate_static(net("172.17.5.0/24")), Ok(()));
        assert_eq!(
            s.allocate_static(net("172.18.1.0/24")),
            Err(PoolError::Overlap)
        );
    }

    #[test]
    fn a_prefix_length_alone_takes_the_first_pool_with_room() {
        let mut s = AddressSpace::new(&default_local_pools(), PoolOrder::LowestFree);
        assert_eq!(s.allocate_dynamic(&[], Some(24)), Ok(net("172.17.0.0/24")));
        assert_eq!(s.allocate_dynamic(&[], Some(24)), Ok(net("172.17.1.0/24")));
        assert_eq!(
            s.allocate_dynamic(&[], Some(8)),
            Err(PoolError::Exhausted),
            "no pool holds a /8"
        );
    }

    #[test]
    fn exhaustion_is_an_error() {
        let pools = [Pool {
            base: net("10.10.0.0/23"),
            size: 24,
        }];
        let mut s = AddressSpace::new(&pools, PoolOrder::Rotating);
        assert!(s.allocate_dynamic(&[], None).is_ok());
        assert!(s.allocate_dynamic(&[], None).is_ok());
        assert_eq!(s.allocate_dynamic(&[], None), Err(PoolError::Exhausted));
    }

    proptest! {
        /// Whatever the order of requests and releases, no two networks ever hold
        /// overlapping subnets, and no dynamic subnet overlaps a reserved prefix.
        #[test]
        fn never_two_overlapping_subnets(
            rotating in any::<bool>(),
            ops in prop::collection::vec((0u8..4, 0u8..40), 1..120),
        ) {
            let order = if rotating { PoolOrder::Rotating } else { PoolOrder::LowestFree };
            let mut s = AddressSpace::new(&default_local_pools(), order);
            let reserved = [net("172.20.0.0/16"), net("192.168.16.0/20")];
            for (op, k) in ops {
                match op {
                    0 | 1 => {
                        if let Ok(n) = s.allocate_dynamic(&reserved, None) {
                            prop_assert!(!reserved.iter().any(|r| overlaps(*r, n)));
                        }
                    }
                    2 => {
                        let n = Ipv4Network::new(Ipv4Addr::new(172, 16 + k % 16, 0, 0), 16).unwrap();
                        let _ = s.allocate_static(n);
                    }
                    _ => {
                        if let Some(n) = s.allocated().get(usize::from(k) % s.allocated().len().max(1)).copied() {
                            s.release(n);
                        }
                    }
                }
                let a = s.allocated();
                for i in 0..a.len() {
                    for j in i + 1..a.len() {
                        prop_assert!(!overlaps(a[i], a[j]), "{} and {}", a[i], a[j]);
                    }
                }
            }
        }
    }
}
