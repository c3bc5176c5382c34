//! Address management: IP pools, MAC pools, and the choice of a nat prefix.
//!
//! `IpPool` is the one IP allocator, for HNS and for the swarm manager alike. Invariant: a
//! pool never hands out an address twice, nor one outside its host range, nor its gateway.
//! Two orders share that one path: HNS's is pseudo-random from a seeded stream, as the field
//! data suggests HNS does (reference 1.1), so runs repeat exactly; the swarm's IPAM hands out
//! the lowest free address.

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

    /// The first and last address endpoints may take: all of a /31 or /32, else all but the
    /// network and broadcast addresses. Worked out in 64 bits, so that a /0 cannot overflow.
    fn host_range(&self) -> (u32, u32) {
        let net = u64::from(u32::from(self.subnet.network()));
        let size = 1u64 << (32 - u32::from(self.subnet.prefix()));
        let (lo, hi) = if size <= 2 {
            (net, net + size - 1)
        } else {
            (net + 1, net + size - 2)
        };
        (lo as u32, hi as u32)
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
        let start = rng.below(u64::from(hi - lo) + 1);
        self.take_first_free(start, taken)
    }

    /// Takes the lowest free address (the swarm manager's order).
    pub fn allocate_lowest(&mut self) -> Result<Ipv4Addr, PoolError> {
        self.take_first_free(0, &BTreeSet::new())
    }

    /// The one place an address is handed out: the first free one of the host range, counting
    /// from offset `start` and wrapping around, that is not the gateway nor in `taken`.
    fn take_first_free(
        &mut self,
        start: u64,
        taken: &BTreeSet<Ipv4Addr>,
    ) -> Result<Ipv4Addr, PoolError> {
        let (lo, hi) = self.host_range();
        let span = u64::from(hi - lo) + 1;
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

    /// The widest and narrowest subnets: a /0 neither overflows nor hands out 0.0.0.0 or
    /// 255.255.255.255; a /32 and a /31 hand out every address they have.
    #[test]
    fn host_ranges_hold_at_both_ends() {
        let pool = |s: &str, gw: [u8; 4]| IpPool::new(s.parse().unwrap(), Ipv4Addr::from(gw));
        let mut any = pool("0.0.0.0/0", [0, 0, 0, 1]);
        assert_eq!(any.host_range(), (1, u32::MAX - 1));
        assert_eq!(any.allocate_lowest(), Ok(Ipv4Addr::new(0, 0, 0, 2)));
        let mut one = pool("10.0.0.7/32", [10, 0, 0, 1]);
        assert_eq!(one.allocate_lowest(), Ok(Ipv4Addr::new(10, 0, 0, 7)));
        assert_eq!(one.allocate_lowest(), Err(PoolError::Exhausted));
        let mut two = pool("10.0.0.6/31", [10, 0, 0, 6]);
        assert_eq!(two.allocate_lowest(), Ok(Ipv4Addr::new(10, 0, 0, 7)));
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

    /// One step of the IPAM property: how the pool is asked for an address, or a release.
    #[derive(Clone, Debug)]
    enum Op {
        /// HNS's order.
        Random,
        /// The swarm's order.
        Lowest,
        /// `--ip`: any address of the subnet, the gateway, network and broadcast included.
        Reserve(u8),
        Release(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            Just(Op::Random),
            Just(Op::Lowest),
            any::<u8>().prop_map(Op::Reserve),
            any::<u8>().prop_map(Op::Release),
        ]
    }

    proptest! {
        /// IPAM never hands out an address twice, nor outside its pool, nor the gateway, in
        /// either order or by reservation; the swarm's order gives the lowest free address.
        #[test]
        fn pool_never_double_allocates(prefix in 24u8..=30, gateway_at in any::<u8>(), seed in any::<u64>(), ops in proptest::collection::vec(op(), 1..200)) {
            let subnet = Ipv4Network::new(Ipv4Addr::new(10, 1, 2, 0), prefix).unwrap();
            let size = 1u32 << (32 - u32::from(prefix));
            let nth = |n: u8| Ipv4Addr::from(u32::from(subnet.network()) + u32::from(n) % size);
            // The gateway is the first host (HNS's and the swarm's default) or one a user chose.
            let gateway = if gateway_at % 2 == 0 { first_host(subnet) } else { nth(gateway_at) };
            let usable = |ip: Ipv4Addr| ip != gateway && ip != subnet.network() && ip != subnet.broadcast();
            let free: Vec<Ipv4Addr> = subnet.iter().filter(|ip| usable(*ip)).collect();
            let mut pool = IpPool::new(subnet, gateway);
            let mut rng = SimRng::derive(seed, "prop");
            let mut held: BTreeSet<Ipv4Addr> = BTreeSet::new();
            for op in ops {
                let allocated = match op {
                    Op::Release(pick) if !held.is_empty() => {
                        let ip = *held.iter().nth(pick as usize % held.len()).unwrap();
                        pool.release(ip);
                        held.remove(&ip);
                        continue;
                    }
                    Op::Reserve(n) => {
                        let ip = nth(n);
                        let expected = if !usable(ip) {
                            Err(PoolError::OutsidePool)
                        } else if held.contains(&ip) {
                            Err(PoolError::InUse)
                        } else {
                            Ok(ip)
                        };
                        prop_assert_eq!(pool.reserve(ip), expected.clone());
                        if expected.is_ok() {
                            held.insert(ip);
                        }
                        continue;
                    }
                    Op::Lowest => {
                        let got = pool.allocate_lowest();
                        let lowest = free.iter().find(|ip| !held.contains(ip));
                        prop_assert_eq!(got.as_ref().ok(), lowest, "not the lowest free address");
                        got
                    }
                    Op::Random | Op::Release(_) => pool.allocate(&mut rng),
                };
                match allocated {
                    Ok(ip) => {
                        prop_assert!(subnet.contains(ip));
                        prop_assert!(usable(ip), "{} is the gateway, network or broadcast", ip);
                        prop_assert!(held.insert(ip), "address {} handed out twice", ip);
                    }
                    Err(e) => {
                        prop_assert_eq!(e, PoolError::Exhausted);
                        prop_assert_eq!(held.len(), free.len());
                    }
                }
            }
        }
    }
}
