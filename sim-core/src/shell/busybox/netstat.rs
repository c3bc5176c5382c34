//! busybox `netstat [-l|-a] [-n] [-t] [-u]` inside a namespace: the listening sockets of
//! its stack. In a container on a user-defined network they are the embedded DNS
//! server's two (`127.0.0.11` on its random TCP and UDP ports, `services.local_resolver`)
//! and the container's own servers: TCP ones as busybox's servers bind them (`httpd`, `nc
//! -l` take an IPv6 any-address socket when the kernel has IPv6: `:::80`), UDP ones on
//! `0.0.0.0`. Lines in the order busybox reads them: /proc/net/tcp, tcp6, udp, udp6, then
//! the UNIX sockets (none). hnsim keeps no established connections for this table, so
//! only servers are listed.

use super::{stack, Place};
use crate::shell::ShellOutput;
use crate::sim::world::World;
use std::fmt::Write;

const HEADER: &str =
    "Proto Recv-Q Send-Q Local Address           Foreign Address         State       \n";
const UNIX_HEADER: &str = "Proto RefCnt Flags       Type       State         I-Node Path\n";

pub(super) fn run(world: &World, place: &Place, args: &[String]) -> ShellOutput {
    let (mut listening, mut all, mut tcp, mut udp, mut unix) = (false, false, false, false, false);
    for a in args {
        let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else {
            return ShellOutput::fail(1, format!("hnsim: netstat {a}: not modelled\n"));
        };
        for c in flags.chars() {
            match c {
                'l' => listening = true,
                'a' => all = true,
                't' => tcp = true,
                'u' => udp = true,
                'x' => unix = true,
                'n' => {}
                other => {
                    return ShellOutput::fail(
                        1,
                        format!("hnsim: netstat -{other}: not modelled (-l -a -n -t -u -x are)\n"),
                    )
                }
            }
        }
    }
    if !tcp && !udp && !unix {
        (tcp, udp, unix) = (true, true, true);
    }
    let what = if all {
        "servers and established"
    } else if listening {
        "only servers"
    } else {
        "w/o servers"
    };
    let mut out = String::new();
    let servers = listening || all;
    if tcp || udp {
        let _ = writeln!(out, "Active Internet connections ({what})");
        out.push_str(HEADER);
    }
    let s = stack(world, place.node);
    if let (Some(s), true) = (s, servers) {
        let svc = s.config.services();
        let resolver = svc.local_resolver.as_ref();
        if tcp {
            if let Some(r) = resolver {
                row(
                    &mut out,
                    "tcp",
                    &format!("{}:{}", r.bind, r.tcp_port),
                    "0.0.0.0:*",
                    "LISTEN",
                );
            }
            let mut ports = svc.tcp.clone();
            ports.sort_unstable();
            ports.dedup();
            for p in ports {
                row(&mut out, "tcp", &format!(":::{p}"), ":::*", "LISTEN");
            }
        }
        if udp {
            if let Some(r) = resolver {
                row(
                    &mut out,
                    "udp",
                    &format!("{}:{}", r.bind, r.udp_port),
                    "0.0.0.0:*",
                    "",
                );
            }
            let mut ports = svc.udp_echo.clone();
            ports.sort_unstable();
            ports.dedup();
            for p in ports {
                row(&mut out, "udp", &format!("0.0.0.0:{p}"), "0.0.0.0:*", "");
            }
        }
    }
    if unix {
        let _ = writeln!(out, "Active UNIX domain sockets ({what})");
        out.push_str(UNIX_HEADER);
    }
    ShellOutput::ok(out)
}

/// One socket line, in busybox's columns (`%-5s %6ld %6ld %-23s %-23s %-12s`).
fn row(out: &mut String, proto: &str, local: &str, foreign: &str, state: &str) {
    let _ = writeln!(
        out,
        "{proto:<5} {:>6} {:>6} {local:<23} {foreign:<23} {state:<12}",
        0, 0
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_in_busybox_columns() {
        let mut out = String::new();
        row(&mut out, "tcp", "127.0.0.11:40607", "0.0.0.0:*", "LISTEN");
        row(&mut out, "udp", "127.0.0.11:45647", "0.0.0.0:*", "");
        assert_eq!(
            out,
            "tcp        0      0 127.0.0.11:40607        0.0.0.0:*               LISTEN      \n\
             udp        0      0 127.0.0.11:45647        0.0.0.0:*                           \n"
        );
    }
}
