//! iproute2's `ss` for listening sockets: `ss -l[t|u][n]` with an optional `sport = :PORT`
//! filter. The namespace's listeners are its stack's services (TCP ports that accept, UDP
//! echo ports, a DNS server on 53), bound to every IPv4 address.
//!
//! Columns as `ss` lays them out for an 80-column pipe: `State`, `Recv-Q`, `Send-Q`, the local
//! address right-aligned to its `:` and the port after it, the peer likewise, `Process`.

use crate::device::stack::IpStack;
use crate::shell::ShellOutput;
use std::fmt::Write;

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
    let mut rows: Vec<(&str, u32, u16)> = Vec::new();
    if udp {
        let mut ports: Vec<u16> = svc.udp_echo.clone();
        if !svc.dns_zone.is_empty() {
            ports.push(53);
        }
        ports.sort_unstable();
        ports.dedup();
        rows.extend(ports.into_iter().map(|p| ("UNCONN", 0, p)));
    }
    if tcp {
        let mut ports: Vec<u16> = svc.tcp.clone();
        ports.sort_unstable();
        ports.dedup();
        rows.extend(ports.into_iter().map(|p| ("LISTEN", 4096, p)));
    }
    let mut out =
        String::from("State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n");
    for (state, sendq, port) in rows {
        if port_filter.is_some_and(|p| p != port) {
            continue;
        }
        let _ = writeln!(
            out,
            "{state:<6} {:<6} {sendq:<6} {:>13}:{:<5}{:>12}:{:<4}{:<7}",
            0, "0.0.0.0", port, "0.0.0.0", "*", ""
        );
    }
    ShellOutput::ok(out)
}
