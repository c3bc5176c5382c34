//! iproute2's `ss` for listening sockets: `ss -l[t|u][n]` with an optional `sport = :PORT`
//! filter. The namespace's listeners are its stack's services (TCP ports that accept, UDP
//! echo ports, a DNS server on 53), bound to every IPv4 address, and its relays (docker-proxy
//! processes) on the address each was bound to, IPv6 ones included.
//!
//! Columns as `ss` lays them out for an 80-column pipe: `State`, `Recv-Q`, `Send-Q`, the local
//! address right-aligned to its `:` and the port after it, the peer likewise, `Process`.

use crate::device::stack::IpStack;
use crate::shell::ShellOutput;
use crate::wire;
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
    let svc = stack.config.services();
    // (state, Send-Q, local address, port): what listens, in ss's order (UDP before TCP,
    // by port, IPv4 before IPv6).
    let any4 = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    let mut rows: Vec<(&str, u32, IpAddr, u16)> = Vec::new();
    let relays = |proto: u8| {
        svc.relays
            .iter()
            .filter(move |r| r.proto == proto)
            .map(|r| (r.bind, r.port))
    };
    if udp {
        let mut found: Vec<(IpAddr, u16)> = svc.udp_echo.iter().map(|p| (any4, *p)).collect();
        if !svc.dns_zone.is_empty() {
            found.push((any4, 53));
        }
        found.extend(relays(wire::IPPROTO_UDP));
        rows.extend(sorted(found).into_iter().map(|(a, p)| ("UNCONN", 0, a, p)));
    }
    if tcp {
        let mut found: Vec<(IpAddr, u16)> = svc.tcp.iter().map(|p| (any4, *p)).collect();
        found.extend(relays(wire::IPPROTO_TCP));
        rows.extend(
            sorted(found)
                .into_iter()
                .map(|(a, p)| ("LISTEN", 4096, a, p)),
        );
    }
    let mut out =
        String::from("State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n");
    for (state, sendq, addr, port) in rows {
        if port_filter.is_some_and(|p| p != port) {
            continue;
        }
        let (local, peer) = match addr {
            IpAddr::V4(a) => (a.to_string(), "0.0.0.0".to_string()),
            IpAddr::V6(a) if a.is_unspecified() => ("[::]".to_string(), "[::]".to_string()),
            IpAddr::V6(a) => (format!("[{a}]"), "[::]".to_string()),
        };
        let _ = writeln!(
            out,
            "{state:<6} {:<6} {sendq:<6} {local:>13}:{port:<5}{peer:>12}:{:<4}{:<7}",
            0, "*", ""
        );
    }
    ShellOutput::ok(out)
}

/// Listening sockets sorted by port, IPv4 before IPv6, each once.
fn sorted(mut found: Vec<(IpAddr, u16)>) -> Vec<(IpAddr, u16)> {
    found.sort_by_key(|(a, p)| (*p, a.is_ipv6(), *a));
    found.dedup();
    found
}
