//! busybox `nc [-w SEC] HOST PORT`: a TCP connect through the devices. With stdin at its
//! end (`docker exec` without `-i`), a connection that opens closes again and nc exits 0
//! silently; a refused one prints `nc: can't connect to remote host (IP): Connection
//! refused`; one that gets no answer within `-w` prints `nc: timed out`. Both exit 1.
//! `nc -l -p PORT` (`-lk`, `-lp`) is a server: `listen_port` reads its port.

use super::{resolve, routable, seconds, Place};
use crate::device::stack::probe::{ProbeProto, ProbeTarget};
use crate::device::Outcome;
use crate::shell::ShellOutput;
use crate::sim::world::World;
use crate::time::SimDuration;

/// How long a connect without `-w` waits: the kernel's SYN retries (tcp_syn_retries 6:
/// 1+2+4+8+16+32+64 s).
const KERNEL_CONNECT_TIMEOUT: SimDuration = SimDuration::from_secs(127);

/// The port of `nc -l -p PORT` (or `-lp PORT`, `-lk -p PORT`); `None` when not listening.
pub(super) fn listen_port(args: &[String]) -> Option<u16> {
    let mut listen = false;
    let mut port = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) {
            listen |= flags.contains('l');
            if flags.ends_with('p') {
                port = args.get(i + 1).and_then(|p| p.parse().ok());
                i += 1;
            } else if flags.ends_with('w') || flags.ends_with('s') {
                i += 1;
            }
        }
        i += 1;
    }
    port.filter(|_| listen)
}

pub(super) fn run(world: &mut World, place: &Place, args: &[String]) -> ShellOutput {
    if listen_port(args).is_some() {
        return ShellOutput::not_modelled("nc -l (a server in an exec)");
    }
    let mut wait = None;
    let mut words = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-w" => {
                let v = args.get(i + 1).map(String::as_str).unwrap_or_default();
                match seconds(v) {
                    Some(d) => wait = Some(d),
                    None => return ShellOutput::fail(1, format!("nc: invalid number '{v}'\n")),
                }
                i += 2;
                continue;
            }
            a if a.starts_with('-') && a.len() > 1 => {}
            a => words.push(a.to_string()),
        }
        i += 1;
    }
    let [host, port] = words.as_slice() else {
        return ShellOutput::fail(1, "Usage: nc [OPTIONS] HOST PORT\n");
    };
    let Ok(port) = port.parse::<u16>() else {
        return ShellOutput::fail(1, format!("nc: bad port '{port}'\n"));
    };
    let Some(dst) = resolve::lookup(world, place, host) else {
        return ShellOutput::fail(1, format!("nc: bad address '{host}'\n"));
    };
    if !routable(world, place.node, dst) {
        return ShellOutput::fail(
            1,
            format!("nc: can't connect to remote host ({dst}): Network is unreachable\n"),
        );
    }
    let r = world.tool_probe(
        place.node,
        &place.label,
        ProbeTarget::Addr(dst),
        ProbeProto::Tcp(port),
        wait.unwrap_or(KERNEL_CONNECT_TIMEOUT),
        None,
    );
    match (r.outcome, wait) {
        (Outcome::Delivered, _) => ShellOutput::ok(""),
        (Outcome::Refused, _) => ShellOutput::fail(
            1,
            format!("nc: can't connect to remote host ({dst}): Connection refused\n"),
        ),
        (_, Some(_)) => ShellOutput::fail(1, "nc: timed out\n"),
        (_, None) => ShellOutput::fail(
            1,
            format!("nc: can't connect to remote host ({dst}): Connection timed out\n"),
        ),
    }
}
