//! HNS address management: IP pools, MAC pools, and the choice of a nat prefix.
//!
//! Invariant: a pool never hands out an address twice, nor one outside its host range, nor
//! its gateway. Allocation order is pseudo-random from a seeded stream, as the field data
//! suggests HNS does (reference 1.1), so runs repeat exactly.

use crate::rng::SimRng;
use crate::wire::MacAddr;
use ipnetwork::Ipv4Network;
use serde::Serialize;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolError {
    OutsidePool,
    InUse,
    Exhausted,
}

/// The addresses of one subnet that endpoints may take.
#[derive(Clone, Debug, Serialize)]
pub struct IpPool {
    pub subnet: Ipv4Network,
    pub gateway: Ipv4Addr,
    allocated: BTreeSet<Ipv4Addr>,
}

impl IpPool {
    pub fn new(subnet: Ipv4Network, gateway: Ipv4Addr) -> Self {
        IpPool {
            subnet,
            gateway,
            allocated: BTreeSet::new(),
        }
    }

    fn host_range(&self) -> (u32, u32) {
        let net = u32::from(self.subnet.network());
        let size = 1u64 << (32 - u32::from(self.subnet.prefix()));
        if size <= 2 {
            return (net, net + size as u32 - 1);
        }
        (net + 1, net + size as u32 - 2)
    }

    pub fn usable(&self, ip: Ipv4Addr) -> bool {
        let (lo, hi) = self.host_range();
        (lo..=hi).contains(&u32::from(ip)) && ip != self.gateway
    }

    /// Takes a specific address (`--ip`).
    pub fn reserve(&mut self, ip: Ipv4Addr) -> Result<Ipv4Addr, PoolError> {
        if !self.usable(ip) {
            return Err(PoolError::OutsidePool);
        }
        if !self.allocated.insert(ip) {
            return Err(PoolError::InUse);
        }
        Ok(ip)
    }

    /// Takes a free address, starting the search at a random point of the range.
    pub fn allocate(&mut self, rng: &mut SimRng) -> Result<Ipv4Addr, PoolError> {
        self.allocate_avoiding(rng, &BTreeSet::new())
    }

    /// Like `allocate`, but also skips `taken`: addresses held in overlapping pools (Server
    /// 2016 nat networks are partitions of one WinNAT prefix).
    pub fn allocate_avoiding(
        &mut self,
        rng: &mut SimRng,
        taken: &BTreeSet<Ipv4Addr>,
    ) -> Result<Ipv4Addr, PoolError> {
        let (lo, hi) = self.host_range();
        let span = u64::from(hi - lo) + 1;
        let start = rng.below(span);
        for step in 0..span {
            let ip = Ipv4Addr::from(lo + ((start + step) % span) as u32);
            if ip != self.gateway && !self.allocated.contains(&ip) && !taken.contains(&ip) {
                self.allocated.insert(ip);
                return Ok(ip);
            }
        }
        Err(PoolError::Exhausted)
    }

    pub fn release(&mut self, ip: Ipv4Addr) {
        self.allocated.remove(&ip);
    }

    pub fn allocated(&self) -> impl Iterator<Item = &Ipv4Addr> {
        self.allocated.iter()
    }
}

/// A network's Hyper-V MAC pool: 4096 addresses `00-15-5D-XX-Y0-00` to `00-15-5D-XX-YF-FF`.
#[derive(Clone, Debug, Serialize)]
pub struct MacPool {
    pub start: MacAddr,
    next: u16,
}

impl MacPool {
    pub fn new(rng: &mut SimRng) -> Self {
        let r = rng.next_u64();
        MacPool {
            start: MacAddr::new(0x00, 0x15, 0x5d, r as u8, ((r >> 8) as u8) & 0xf0, 0x00),
            next: 0,
        }
    }

    pub fn end(&self) -> MacAddr {
        let MacAddr(a, b, c, d, e, _) = self.start;
        MacAddr::new(a, b, c, d, e | 0x0f, 0xff)
    }

    pub fn allocate(&mut self) -> Option<MacAddr> {
        if self.next >= 4096 {
            return None;
        }
        let n = self.next;
        self.next += 1;
        let MacAddr(a, b, c, d, e, _) = self.start;
        Some(MacAddr::new(a, b, c, d, e | (n >> 8) as u8, n as u8))
    }
}

/// Picks the prefix HNS gives a nat network when none is requested: a random /20 inside
/// 172.16.0.0/12 that overlaps nothing in `taken` (reference 1.1 and 10).
pub fn pick_nat_prefix(rng: &mut SimRng, taken: &[Ipv4Network]) -> Option<Ipv4Network> {
    let base = u32::from(Ipv4Addr::new(172, 16, 0, 0));
    let blocks = 1u64 << (20 - 12);
    let start = rng.below(blocks);
    (0..blocks).find_map(|i| {
        let n = ((start + i) % blocks) as u32;
        let net = Ipv4Network::new(Ipv4Addr::from(base + (n << 12)), 20).ok()?;
        (!taken.iter().any(|t| overlaps(*t, net))).then_some(net)
    })
}

pub fn overlaps(a: Ipv4Network, b: Ipv4Network) -> bool {
    a.contains(b.network()) || b.contains(a.network())
}

/// The first host address of a subnet, which HNS uses as the gateway.
pub fn first_host(net: Ipv4Network) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(net.network()).saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nat_prefix_avoids_taken() {
        let mut rng = SimRng::derive(3, "ipam");
        let taken: Vec<Ipv4Network> = vec!["172.16.0.0/13".parse().unwrap()];
        for _ in 0..50 {
            let p = pick_nat_prefix(&mut rng, &taken).unwrap();
            assert_eq!(p.prefix(), 20);
            assert!(!overlaps(p, taken[0]));
            assert!("172.16.0.0/12"
                .parse::<Ipv4Network>()
                .unwrap()
                .contains(p.network()));
        }
    }

    #[test]
    fn mac_pool_stays_in_range() {
        let mut rng = SimRng::derive(3, "mac");
        let mut pool = MacPool::new(&mut rng);
        let macs: Vec<MacAddr> = std::iter::from_fn(|| pool.allocate()).collect();
        assert_eq!(macs.len(), 4096);
        assert!(macs.iter().all(|m| *m >= pool.start && *m <= pool.end()));
        let unique: BTreeSet<_> = macs.iter().collect();
        assert_eq!(unique.len(), 4096);
    }

    proptest! {
        /// IPAM never hands out an address twice, nor outside its pool, nor the gateway.
        #[test]
        fn pool_never_double_allocates(prefix in 24u8..=30, seed in any::<u64>(), ops in proptest::collection::vec((any::<bool>(), any::<u8>()), 1..200)) {
            let subnet = Ipv4Network::new(Ipv4Addr::new(10, 1, 2, 0), prefix).unwrap();
            let gateway = first_host(subnet);
            let mut pool = IpPool::new(subnet, gateway);
            let mut rng = SimRng::derive(seed, "prop");
            let mut held: BTreeSet<Ipv4Addr> = BTreeSet::new();
            for (alloc, pick) in ops {
                if alloc || held.is_empty() {
                    match pool.allocate(&mut rng) {
                        Ok(ip) => {
                            prop_assert!(subnet.contains(ip));
                            prop_assert!(ip != gateway && ip != subnet.network() && ip != subnet.broadcast());
                            prop_assert!(held.insert(ip), "address {} handed out twice", ip);
                        }
                        Err(e) => {
                            prop_assert_eq!(e, PoolError::Exhausted);
                            let size = (1u32 << (32 - u32::from(prefix))) - 3;
                            prop_assert_eq!(held.len() as u32, size);
                        }
                    }
                } else {
                    let ip = *held.iter().nth(pick as usize % held.len()).unwrap();
                    pool.release(ip);
                    held.remove(&ip);
                }
            }
        }
    }
}
