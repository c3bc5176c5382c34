//! iproute2's `ss` for listening sockets: `ss -l[t|u][n]` with an optional `sport = :PORT`
//! filter. The namespace's listeners are its stack's services (TCP ports that accept, UDP
//! echo ports, a DNS server on 53), bound to every IPv4 address, and its relays
//! (docker-proxy), each on the address it binds (`[::]` for an IPv6 twin).
//!
//! Columns as `ss` lays them out for an 80-column pipe: `State`, `Recv-Q`, `Send-Q`, the local
//! address right-aligned to its `:` and the port after it, the peer likewise, `Process`.

use crate::device::stack::IpStack;
use crate::shell::ShellOutput;
use crate::wire::{IPPROTO_TCP, IPPROTO_UDP};
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};

/// `ss …`.
pub fn ss(stack: &IpStack, argv: &[String]) -> ShellOutput {
    let (mut listening, mut tcp, mut udp) = (false, false, false);
    let mut filter: Vec<&str> = Vec::new();
    for a in &argv[1..] {
        if let Some(flags) = a.strip_prefix('-').filter(|f| !f.starts_with('-')) {
            for c in flags.chars() {
                match c {
                    'l' => listening = true,
                    't' => tcp = true,
                    'u' => udp = true,
                    'n' => {}
                    other => {
                        return ShellOutput::fail(
                            1,
                            format!("hnsim: ss -{other}: not modelled (-l -t -u -n are)\n"),
                        )
                    }
                }
            }
        } else {
            filter.push(a);
        }
    }
    if !listening {
        return ShellOutput::fail(1, "hnsim: ss: only listening sockets (-l) are modelled\n");
    }
    // `sport = :N` (also `sport == :N`, `( sport = :N )`).
    let words: Vec<&str> = filter
        .iter()
        .copied()
        .filter(|w| !matches!(*w, "(" | ")"))
        .collect();
    let port_filter = match words.as_slice() {
        [] => None,
        ["sport", "=" | "==" | "eq", p] => match p.trim_start_matches(':').parse::<u16>() {
            Ok(n) => Some(n),
            Err(_) => {
                return ShellOutput::fail(1, "ss: bad port filter\n");
            }
        },
        _ => {
            return ShellOutput::fail(
                1,
                format!(
                    "hnsim: ss: filter {:?} not modelled (sport = :N is)\n",
                    words.join(" ")
                ),
            )
        }
    };
    if !tcp && !udp {
        tcp = true;
    }
    let svc = &stack.config.services;
    let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    let relays = |proto: u8| {
        svc.relays
            .iter()
            .filter(move |r| r.proto == proto)
            .map(|r| (r.port, r.bind))
    };
    let mut rows: Vec<(&str, u32, u16, IpAddr)> = Vec::new();
    if udp {
        let mut socks: Vec<(u16, IpAddr)> = svc.udp_echo.iter().map(|p| (*p, any)).collect();
        if !svc.dns_zone.is_empty() {
            socks.push((53, any));
        }
        socks.extend(relays(IPPROTO_UDP));
        socks.sort_unstable_by_key(|(p, ip)| (*p, ip.is_ipv6(), *ip));
        socks.dedup();
        rows.extend(socks.into_iter().map(|(p, ip)| ("UNCONN", 0, p, ip)));
    }
    if tcp {
        let mut socks: Vec<(u16, IpAddr)> = svc.tcp.iter().map(|p| (*p, any)).collect();
        socks.extend(relays(IPPROTO_TCP));
        socks.sort_unstable_by_key(|(p, ip)| (*p, ip.is_ipv6(), *ip));
        socks.dedup();
        rows.extend(socks.into_iter().map(|(p, ip)| ("LISTEN", 4096, p, ip)));
    }
    let mut out =
        String::from("State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n");
    for (state, sendq, port, ip) in rows {
        if port_filter.is_some_and(|p| p != port) {
            continue;
        }
        let (local, peer) = match ip {
            IpAddr::V4(a) => (a.to_string(), "0.0.0.0".to_string()),
            IpAddr::V6(a) => (format!("[{a}]"), "[::]".to_string()),
        };
        let _ = writeln!(
            out,
            "{state:<6} {:<6} {sendq:<6} {local:>13}:{:<5}{peer:>12}:{:<4}{:<7}",
            0, port, "*", ""
        );
    }
    ShellOutput::ok(out)
}
