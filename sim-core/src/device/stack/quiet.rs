//! What a stack provably ignores of a flooded ARP request, summarised in two words so that
//! the engine can tell without touching the stack (issue 12, item 6).
//!
//! Every container's gratuitous ARP is flooded to every port of its vSwitch, as Hyper-V
//! floods it: at 4,000 containers a host that starts them one by one receives 8 million
//! copies, and nearly every one reaches a stack that neither answers nor learns from it
//! (`Interface::ignores_arp`: not for its address, from a sender it has no entry for). Handing
//! each copy to its stack costs a walk through memory that thousands of stacks do not share.
//! A [`QuietFilter`] says, for one stack, on which interfaces such a copy is ignored for sure:
//! the plain ones (no bridge, no VXLAN), unless the request's sender or target is one of the
//! addresses the stack holds (its interfaces' and every address in its ARP cache, an entry or
//! a resolution in progress), as a Bloom filter of 64 bits. An address in the filter, or a
//! filter that cannot be made, sends the copy the full way; the filter never says "ignored"
//! for a copy the stack would act on. The engine still counts every copy as an event.

use super::arp::ArpCache;
use super::config::StackConfig;
use pnet_packet::arp::{ArpHardwareTypes, ArpOperations, ArpPacket};
use pnet_packet::ethernet::EtherTypes;
use std::net::Ipv4Addr;

/// A broadcast ARP request, untagged, as `parse_arp` accepts it: who asks, and for whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloodedAsk {
    pub sender: Ipv4Addr,
    pub target: Ipv4Addr,
    /// The filter bits of `sender` and of `target`, worked out once for every copy.
    sender_bits: u64,
    target_bits: u64,
}

impl FloodedAsk {
    pub fn new(sender: Ipv4Addr, target: Ipv4Addr) -> Self {
        FloodedAsk {
            sender,
            target,
            sender_bits: bits(sender),
            target_bits: bits(target),
        }
    }
}

/// The broadcast ARP request in `bytes` (Ethernet II to ff:ff:ff:ff:ff:ff, Ethernet/IPv4
/// hardware and protocol, a request), or `None`.
pub fn flooded_ask(bytes: &[u8]) -> Option<FloodedAsk> {
    if bytes.len() < 14 || bytes[..6] != [0xff; 6] || bytes[12..14] != [8, 6] {
        return None;
    }
    // `new` checks the body is long enough, as `parse_arp` does.
    let a = ArpPacket::new(&bytes[14..])?;
    let request = a.get_hardware_type() == ArpHardwareTypes::Ethernet
        && a.get_protocol_type() == EtherTypes::Ipv4
        && a.get_hw_addr_len() == 6
        && a.get_proto_addr_len() == 4
        && a.get_operation() == ArpOperations::Request;
    request.then(|| FloodedAsk::new(a.get_sender_proto_addr(), a.get_target_proto_addr()))
}

/// The most addresses a filter is built from; a stack holding more (a host that talked to
/// many neighbours) has none, and every copy to it goes the full way.
const MAX_ADDRESSES: usize = 24;

/// On which interfaces, and for which addresses, a stack ignores a flooded ARP request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietFilter {
    /// Bit p: interface p (p < 64) is a plain one, where an ignored request does nothing.
    plain_ports: u64,
    /// Two bits of every address the stack holds.
    addresses: u64,
}

/// The two bits of `ip` in a filter (two Fibonacci hashes of its 32 bits).
fn bits(ip: Ipv4Addr) -> u64 {
    let x = u64::from(u32::from(ip));
    let a = x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58;
    let b = x.wrapping_mul(0xC2B2_AE3D_27D4_EB4F) >> 58;
    (1 << a) | (1 << b)
}

impl QuietFilter {
    /// The filter of a stack with configuration `cfg` and ARP cache `arp`, or `None` when
    /// none can be made: frames it sent to itself wait (`loopback_pending`: the next input
    /// delivers them), or it holds too many addresses.
    pub fn of(cfg: &StackConfig, arp: &ArpCache, loopback_pending: bool) -> Option<QuietFilter> {
        if loopback_pending {
            return None;
        }
        let (mut plain_ports, mut addresses, mut count) = (0u64, 0u64, 0usize);
        for (p, ifc) in cfg.ifaces().iter().enumerate() {
            let Some(ifc) = ifc else { continue };
            if let Some(net) = ifc.addr {
                addresses |= bits(net.ip());
                count += 1;
            }
            if p < 64 && ifc.master.is_none() && ifc.vxlan.is_none() {
                plain_ports |= 1 << p;
            }
        }
        for ip in arp.addresses() {
            addresses |= bits(ip);
            count += 1;
            if count > MAX_ADDRESSES {
                return None;
            }
        }
        (count <= MAX_ADDRESSES).then_some(QuietFilter {
            plain_ports,
            addresses,
        })
    }

    /// Whether the stack ignores `ask` arriving on `port` for sure: a plain interface, and
    /// neither address is one the stack holds.
    #[inline]
    pub fn ignores(&self, port: u16, ask: FloodedAsk) -> bool {
        let held = |bits| self.addresses & bits == bits;
        port < 64
            && self.plain_ports & (1 << port) != 0
            && !held(ask.sender_bits)
            && !held(ask.target_bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(sender: [u8; 4], target: [u8; 4]) -> FloodedAsk {
        FloodedAsk::new(sender.into(), target.into())
    }

    #[test]
    fn an_address_in_the_filter_is_never_ignored() {
        // Every address of a /16 against a filter of 24 others: none held is ever taken for
        // ignored (no false "ignored"), and most unheld ones are.
        let held: Vec<Ipv4Addr> = (0..24u32)
            .map(|i| Ipv4Addr::from(0x0a00_0000 + i * 7919))
            .collect();
        let f = QuietFilter {
            plain_ports: 1,
            addresses: held.iter().fold(0, |acc, ip| acc | bits(*ip)),
        };
        for ip in &held {
            assert!(!f.ignores(0, ask(ip.octets(), [10, 9, 9, 9])));
            assert!(!f.ignores(0, ask([10, 9, 9, 9], ip.octets())));
        }
        let ignored = (0..65_536u32)
            .map(|i| Ipv4Addr::from(0xac10_0000 + i))
            .filter(|ip| f.ignores(0, ask(ip.octets(), ip.octets())))
            .count();
        assert!(ignored > 20_000, "{ignored} of 65,536 ignored");
    }

    #[test]
    fn only_plain_ports_ignore() {
        let f = QuietFilter {
            plain_ports: 0b10,
            addresses: 0,
        };
        let a = ask([10, 0, 0, 5], [10, 0, 0, 5]);
        assert!(!f.ignores(0, a));
        assert!(f.ignores(1, a));
        assert!(!f.ignores(64, a));
    }
}
