//! conntrack-tools' `conntrack -L` (1.4.7): the namespace's connection table, one line per
//! connection in the tool's format, filtered by the original and reply tuples, with the
//! count on stderr as the tool prints it.
//!
//! The table has no TCP state machine, so a TCP connection's state is told from what it
//! saw: answered means the exchange completed (`TIME_WAIT`, `[ASSURED]`: the probes close
//! their connections), unanswered means `SYN_SENT` (`[UNREPLIED]`). Connections are listed
//! newest first.

use crate::device::conntrack::Conn;
use crate::device::stack::IpStack;
use crate::shell::ShellOutput;
use crate::time::SimTime;
use crate::wire::{IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};
use std::fmt::Write;
use std::net::Ipv4Addr;

const VERSION: &str = "conntrack v1.4.7 (conntrack-tools)";

#[derive(Default)]
struct Filter {
    proto: Option<u8>,
    orig_src: Option<Ipv4Addr>,
    orig_dst: Option<Ipv4Addr>,
    reply_src: Option<Ipv4Addr>,
    reply_dst: Option<Ipv4Addr>,
    orig_sport: Option<u16>,
    orig_dport: Option<u16>,
    reply_sport: Option<u16>,
    reply_dport: Option<u16>,
}

impl Filter {
    fn admits(&self, c: &Conn) -> bool {
        let (o, r) = (&c.orig, &c.reply);
        self.proto.is_none_or(|p| p == o.proto)
            && self.orig_src.is_none_or(|a| a == o.src)
            && self.orig_dst.is_none_or(|a| a == o.dst)
            && self.reply_src.is_none_or(|a| a == r.src)
            && self.reply_dst.is_none_or(|a| a == r.dst)
            && self
                .orig_sport
                .is_none_or(|p| p == o.sport && o.proto != IPPROTO_ICMP)
            && self
                .orig_dport
                .is_none_or(|p| p == o.dport && o.proto != IPPROTO_ICMP)
            && self
                .reply_sport
                .is_none_or(|p| p == r.sport && o.proto != IPPROTO_ICMP)
            && self
                .reply_dport
                .is_none_or(|p| p == r.dport && o.proto != IPPROTO_ICMP)
    }
}

fn bad(msg: &str) -> ShellOutput {
    ShellOutput::fail(
        2,
        format!(
            "{VERSION}: {msg}\nTry `conntrack -h' or 'conntrack --help' for more information.\n"
        ),
    )
}

/// `conntrack -L [filters]`.
pub fn conntrack(stack: &IpStack, argv: &[String], now: SimTime) -> ShellOutput {
    let mut list = false;
    let mut f = Filter::default();
    let mut it = argv[1..].iter();
    while let Some(a) = it.next() {
        let a = a.as_str();
        if matches!(a, "-L" | "--dump") {
            list = true;
            continue;
        }
        let Some(v) = it.next() else {
            return bad(&format!("option `{a}' requires an argument"));
        };
        let addr = || {
            v.parse::<Ipv4Addr>()
                .map_err(|_| bad(&format!("Bad parameter `{v}'")))
        };
        let port = || {
            v.parse::<u16>()
                .map_err(|_| bad(&format!("Bad parameter `{v}'")))
        };
        let r = match a {
            "-p" | "--proto" => match v.as_str() {
                "tcp" => Ok(IPPROTO_TCP),
                "udp" => Ok(IPPROTO_UDP),
                "icmp" => Ok(IPPROTO_ICMP),
                other => Err(bad(&format!("unknown protocol `{other}'"))),
            }
            .map(|p| f.proto = Some(p)),
            "-s" | "--src" | "--orig-src" => addr().map(|x| f.orig_src = Some(x)),
            "-d" | "--dst" | "--orig-dst" => addr().map(|x| f.orig_dst = Some(x)),
            "-r" | "--reply-src" => addr().map(|x| f.reply_src = Some(x)),
            "-q" | "--reply-dst" => addr().map(|x| f.reply_dst = Some(x)),
            "--sport" | "--orig-port-src" => port().map(|x| f.orig_sport = Some(x)),
            "--dport" | "--orig-port-dst" => port().map(|x| f.orig_dport = Some(x)),
            "--reply-port-src" => port().map(|x| f.reply_sport = Some(x)),
            "--reply-port-dst" => port().map(|x| f.reply_dport = Some(x)),
            other => Err(ShellOutput::fail(
                2,
                format!("hnsim: conntrack: option {other} is not modelled (-L with -p -s -d -r -q and ports are)\n"),
            )),
        };
        if let Err(e) = r {
            return e;
        }
    }
    if !list {
        return ShellOutput::fail(2, "hnsim: conntrack: only -L is modelled\n");
    }
    let ct = stack.conntrack();
    let mut conns: Vec<&Conn> = ct
        .entries()
        .map(|(_, c)| c)
        .filter(|c| c.confirmed && now.since(c.last_used) < ct.timeout(c))
        .filter(|c| f.admits(c))
        .collect();
    conns.reverse();
    let mut out = String::new();
    for c in &conns {
        let left = ct
            .timeout(c)
            .as_nanos()
            .saturating_sub(now.since(c.last_used).as_nanos());
        out.push_str(&line(c, left / 1_000_000_000));
    }
    ShellOutput {
        exit_code: 0,
        stdout: out,
        stderr: format!("{VERSION}: {} flow entries have been shown.\n", conns.len()),
    }
}

/// One connection as conntrack prints it.
fn line(c: &Conn, seconds_left: u64) -> String {
    let p = c.orig.proto;
    let name = match p {
        IPPROTO_TCP => "tcp",
        IPPROTO_UDP => "udp",
        IPPROTO_ICMP => "icmp",
        _ => "unknown",
    };
    let mut s = format!("{name:<8} {p} {seconds_left} ");
    if p == IPPROTO_TCP {
        s.push_str(if c.seen_reply {
            "TIME_WAIT "
        } else {
            "SYN_SENT "
        });
    }
    let tuple = |s: &mut String, k: &crate::wire::FlowKey, reply: bool| {
        let _ = write!(s, "src={} dst={} ", k.src, k.dst);
        if p == IPPROTO_ICMP {
            let (ty, id) = if reply { (0, k.dport) } else { (8, k.sport) };
            let _ = write!(s, "type={ty} code=0 id={id} ");
        } else if p == IPPROTO_TCP || p == IPPROTO_UDP {
            let _ = write!(s, "sport={} dport={} ", k.sport, k.dport);
        }
    };
    tuple(&mut s, &c.orig, false);
    if !c.seen_reply {
        s.push_str("[UNREPLIED] ");
    }
    tuple(&mut s, &c.reply, true);
    if c.seen_reply && p == IPPROTO_TCP {
        s.push_str("[ASSURED] ");
    }
    s.push_str("mark=0 use=1\n");
    s
}
