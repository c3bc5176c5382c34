//! busybox `ping -c N [-W SEC] [-s SIZE] HOST`: N echo requests, one a second, each a
//! probe through the devices; a reply line with the sequence, the TTL of the reply frame
//! that arrived and the simulated round trip; then the statistics. Exit 0 when any reply
//! came, 1 otherwise.

use super::{resolve, routable, seconds, Place};
use crate::device::action::{Action, Delivery, ProbeEvent};
use crate::device::stack::probe::{ProbeProto, ProbeTarget};
use crate::device::Outcome;
use crate::shell::ShellOutput;
use crate::sim::world::World;
use crate::time::SimDuration;
use crate::wire;

/// busybox's default payload (`DEFDATALEN`).
const DEFAULT_SIZE: u16 = 56;
/// busybox's default wait for the first reply (`-W`), in seconds.
const DEFAULT_WAIT: u64 = 10;
/// busybox's largest `-s`.
const MAX_SIZE: u32 = 65535 - 20 - 8;

#[derive(Debug)]
struct Args {
    count: u32,
    wait: SimDuration,
    size: u16,
    host: String,
}

fn parse(args: &[String]) -> Result<Args, ShellOutput> {
    let usage = || ShellOutput::fail(1, "Usage: ping [OPTIONS] HOST\n");
    let (mut count, mut wait, mut size, mut host) = (
        None,
        SimDuration::from_secs(DEFAULT_WAIT),
        DEFAULT_SIZE,
        None,
    );
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let value = args.get(i + 1).map(String::as_str);
        match a {
            "-c" | "-W" | "-s" | "-w" | "-i" | "-t" | "-I" => {
                let Some(v) = value else {
                    return Err(usage());
                };
                let bad = || ShellOutput::fail(1, format!("ping: invalid number '{v}'\n"));
                match a {
                    "-c" => count = Some(v.parse::<u32>().map_err(|_| bad())?),
                    "-W" => wait = seconds(v).ok_or_else(bad)?,
                    "-s" => {
                        size = v
                            .parse::<u32>()
                            .ok()
                            .filter(|n| *n <= MAX_SIZE)
                            .and_then(|n| u16::try_from(n).ok())
                            .ok_or_else(bad)?
                    }
                    _ => {}
                }
                i += 2;
            }
            _ if a.starts_with('-') && a.len() > 1 => i += 1,
            _ => {
                host = Some(a.to_string());
                i += 1;
            }
        }
    }
    let host = host.ok_or_else(usage)?;
    let count = count.ok_or_else(|| {
        ShellOutput::fail(
            2,
            "hnsim: ping without -c runs until interrupted; give -c N\n",
        )
    })?;
    Ok(Args {
        count,
        wait,
        size,
        host,
    })
}

/// Microseconds as busybox prints them: `%u.%03u`.
fn ms(us: u64) -> String {
    format!("{}.{:03}", us / 1000, us % 1000)
}

pub(super) fn run(world: &mut World, place: &Place, args: &[String]) -> ShellOutput {
    let a = match parse(args) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let Some(dst) = resolve::lookup(world, place, &a.host) else {
        return ShellOutput::fail(1, format!("ping: bad address '{}'\n", a.host));
    };
    let mut out = ShellOutput::ok(format!("PING {} ({dst}): {} data bytes\n", a.host, a.size));
    if !routable(world, place.node, dst) {
        out.stderr = "ping: sendto: Network is unreachable\n".into();
        out.exit_code = 1;
        return out;
    }
    let mut rtts = Vec::new();
    for seq in 0..a.count {
        // A run that hit one of its limits sends nothing more (`-c` can ask for billions).
        if world.stopped.is_some() {
            break;
        }
        let start = world.engine.now();
        let r = world.tool_probe(
            place.node,
            &place.label,
            ProbeTarget::Addr(dst),
            ProbeProto::icmp_payload(a.size),
            a.wait,
            None,
        );
        if r.outcome == Outcome::Delivered {
            // The reply as it reached this namespace: its source, its TTL, its time.
            let reply = r.hops.iter().rev().find(|h| {
                h.node == place.node
                    && matches!(
                        h.action,
                        Action::Delivered(Delivery::Probe(ProbeEvent::Answer))
                    )
            });
            let sent = r.hops.first().map_or(start, |h| h.time);
            let (from, ttl, at) = match reply.and_then(|h| Some((wire::ipv4_info(&h.bytes)?, h))) {
                Some((info, h)) => (info.src, info.ttl, h.time),
                None => (dst, 0, sent),
            };
            let us = at.since(sent).as_nanos() / 1000;
            rtts.push(us);
            out.stdout.push_str(&format!(
                "{} bytes from {from}: seq={seq} ttl={ttl} time={} ms\n",
                u32::from(a.size) + 8,
                ms(us)
            ));
        }
        // The next request leaves a second after this one.
        if seq + 1 < a.count {
            let next = start + SimDuration::from_secs(1);
            if world.engine.now() < next {
                world.wait(next.since(world.engine.now()));
            }
        }
    }
    let (tx, rx) = (u64::from(a.count), rtts.len() as u64);
    out.stdout.push_str(&format!(
        "\n--- {} ping statistics ---\n{tx} packets transmitted, {rx} packets received, {}% packet loss\n",
        a.host,
        ((tx - rx) * 100).checked_div(tx).unwrap_or(0)
    ));
    match rtts.iter().sum::<u64>().checked_div(rx) {
        Some(avg) => {
            let (min, max) = (rtts.iter().min().copied(), rtts.iter().max().copied());
            out.stdout.push_str(&format!(
                "round-trip min/avg/max = {}/{}/{} ms\n",
                ms(min.unwrap_or_default()),
                ms(avg),
                ms(max.unwrap_or_default())
            ));
        }
        None => out.exit_code = 1,
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_busybox_prints_microseconds() {
        assert_eq!(ms(183), "0.183");
        assert_eq!(ms(1_000), "1.000");
        assert_eq!(ms(12_345), "12.345");
    }

    #[test]
    fn options() {
        let a = |l: &str| parse(&l.split_whitespace().map(String::from).collect::<Vec<_>>());
        let p = a("-c 3 -W 2 -s 100 web").expect("parses");
        assert_eq!(
            (p.count, p.wait, p.size, p.host.as_str()),
            (3, SimDuration::from_secs(2), 100, "web")
        );
        assert_eq!(a("-c 1 x").expect("parses").size, DEFAULT_SIZE);
        assert_eq!(a("x").expect_err("no count").exit_code, 2);
        assert_eq!(
            a("-c x y").expect_err("bad").stderr,
            "ping: invalid number 'x'\n"
        );
    }
}
