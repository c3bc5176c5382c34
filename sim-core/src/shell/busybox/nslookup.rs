//! busybox `nslookup [-type=T] NAME [SERVER]`: the server it asks (`Server:`/`Address:`),
//! then one block per query type, A then AAAA by default: `Non-authoritative answer:` with
//! a `Name:`/`Address:` pair per record, or `** server can't find NAME: NXDOMAIN`. The A
//! query goes through the devices (`resolve::query`). hnsim's DNS carries A records only,
//! so the other types are answered from the A query's outcome: the same rcode, no records
//! (what docker's embedded server and the oracle's upstream answer for a name without IPv6).

use super::resolve::{self, Query};
use super::Place;
use crate::shell::ShellOutput;
use crate::sim::world::World;
use std::net::Ipv4Addr;

/// The query types printed, in order.
fn types(opt: Option<&str>) -> Result<Vec<&'static str>, ShellOutput> {
    match opt.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(vec!["a", "aaaa"]),
        Some("a") => Ok(vec!["a"]),
        Some("aaaa") => Ok(vec!["aaaa"]),
        Some("mx") => Ok(vec!["mx"]),
        Some("txt") => Ok(vec!["txt"]),
        Some("cname") => Ok(vec!["cname"]),
        Some("ns") => Ok(vec!["ns"]),
        Some(other) => Err(ShellOutput::fail(
            1,
            format!("nslookup: invalid query type '{other}'\n"),
        )),
    }
}

pub(super) fn run(world: &mut World, place: &Place, args: &[String]) -> ShellOutput {
    let mut qtype = None;
    let mut words = Vec::new();
    for a in args {
        if let Some(t) = a.strip_prefix("-type=").or_else(|| a.strip_prefix("-q=")) {
            qtype = Some(t.to_string());
        } else if !a.starts_with('-') {
            words.push(a.clone());
        }
    }
    let types = match types(qtype.as_deref()) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let (name, server) = match words.as_slice() {
        [name] => (name.clone(), None),
        [name, server] => match server.parse::<Ipv4Addr>() {
            Ok(s) => (name.clone(), Some(s)),
            Err(_) => {
                return ShellOutput::not_modelled("nslookup with a server given by name");
            }
        },
        _ => return ShellOutput::fail(1, "Usage: nslookup [-type=QUERY_TYPE] HOST [DNS_SERVER]\n"),
    };
    // An address is looked up by its reverse name, for its PTR record only.
    let (name, types) = match name.parse::<Ipv4Addr>() {
        Ok(ip) => (crate::wire::reverse_name(ip), vec!["ptr"]),
        Err(_) => (name, types),
    };
    match resolve::query(world, place, &name, server) {
        Query::NoServer => ShellOutput::fail(
            1,
            ";; connection timed out; no servers could be reached\n\n",
        ),
        Query::Unreachable(s) => ShellOutput::fail(
            1,
            format!("nslookup: can't connect to remote host ({s}): Network is unreachable\n"),
        ),
        Query::TimedOut(_) => ShellOutput {
            exit_code: 1,
            stdout: ";; connection timed out; no servers could be reached\n\n".into(),
            stderr: String::new(),
        },
        Query::Answer {
            rcode,
            addrs,
            names,
        } => {
            let s = server
                .or_else(|| resolve::server(world, place))
                .unwrap_or(Ipv4Addr::UNSPECIFIED);
            let mut out = ShellOutput::ok(format!("Server:\t\t{s}\nAddress:\t{s}:53\n\n"));
            for t in types {
                match rcode {
                    0 => {
                        out.stdout.push_str("Non-authoritative answer:\n");
                        if t == "a" {
                            for a in &addrs {
                                out.stdout
                                    .push_str(&format!("Name:\t{name}\nAddress: {a}\n"));
                            }
                        }
                        if t == "ptr" {
                            for n in &names {
                                out.stdout.push_str(&format!("{name}\tname = {n}\n"));
                            }
                        }
                        out.stdout.push('\n');
                    }
                    code => {
                        let why = match code {
                            3 => "NXDOMAIN".to_string(),
                            2 => "SERVFAIL".to_string(),
                            5 => "REFUSED".to_string(),
                            c => format!("rcode {c}"),
                        };
                        out.stdout
                            .push_str(&format!("** server can't find {name}: {why}\n\n"));
                        out.exit_code = 1;
                    }
                }
            }
            out
        }
    }
}
