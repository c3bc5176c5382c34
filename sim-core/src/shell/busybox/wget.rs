//! busybox `wget -qO- http://HOST[:PORT]/PATH`: a TCP connect through the devices and, when
//! it opens, the request to whatever server the connection reached (`httpd`): its page on
//! stdout. Errors in busybox's words: `wget: bad address 'x'`, `wget: can't connect to
//! remote host (IP): Connection refused`, `wget: error getting response` (something
//! accepted the connection but no HTTP server answered), `wget: server returned error:
//! HTTP/1.1 404 Not Found`.

use super::{httpd, resolve, routable, Place};
use crate::device::action::{Action, Delivery};
use crate::device::stack::probe::{ProbeProto, ProbeTarget};
use crate::device::Outcome;
use crate::shell::ShellOutput;
use crate::sim::world::World;
use crate::time::SimDuration;
use crate::wire::{View, L4};
use std::net::SocketAddrV4;

/// busybox wget has no timeout of its own here (its `-T` crashes in the oracle's build): a
/// connect that gets no answer waits for the kernel's SYN retries (127 s).
const KERNEL_CONNECT_TIMEOUT: SimDuration = SimDuration::from_secs(127);

/// The URL's parts: host, port, path.
fn split_url(url: &str) -> Option<(String, u16, String)> {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (hostport, 80),
    };
    (!host.is_empty()).then(|| (host.to_string(), port, path))
}

pub(super) fn run(world: &mut World, place: &Place, args: &[String]) -> ShellOutput {
    let (mut quiet, mut to_stdout, mut url) = (false, false, None);
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) {
            for (k, ch) in flags.char_indices() {
                match ch {
                    'q' => quiet = true,
                    'O' => {
                        let value = &flags[k + 1..];
                        let value = if value.is_empty() {
                            i += 1;
                            args.get(i).map(String::as_str).unwrap_or_default()
                        } else {
                            value
                        };
                        to_stdout = value == "-";
                        break;
                    }
                    _ => {}
                }
            }
        } else {
            url = Some(a.to_string());
        }
        i += 1;
    }
    if !(quiet && to_stdout) {
        return ShellOutput::not_modelled("wget without -qO-");
    }
    let Some(url) = url else {
        return ShellOutput::fail(1, "Usage: wget [OPTIONS] URL\n");
    };
    let Some((host, port, path)) = split_url(&url) else {
        return ShellOutput::fail(1, format!("wget: bad address '{url}'\n"));
    };
    let Some(dst) = resolve::lookup(world, place, &host) else {
        return ShellOutput::fail(1, format!("wget: bad address '{host}'\n"));
    };
    let cant = |why: &str| {
        ShellOutput::fail(
            1,
            format!("wget: can't connect to remote host ({dst}): {why}\n"),
        )
    };
    if !routable(world, place.node, dst) {
        return cant("Network is unreachable");
    }
    let r = world.tool_probe(
        place.node,
        &place.label,
        ProbeTarget::Addr(dst),
        ProbeProto::Tcp(port),
        KERNEL_CONNECT_TIMEOUT,
        None,
    );
    match r.outcome {
        Outcome::Delivered => {}
        Outcome::Refused => return cant("Connection refused"),
        _ => return cant("Connection timed out"),
    }
    // The listener the connection reached, and the client as that server saw it.
    let reached = r.hops.iter().rev().find_map(|h| match h.action {
        Action::Delivered(Delivery::TcpListener { port }) => {
            let ip = View::parse(&h.bytes)?.ip?;
            let L4::Tcp { sport, .. } = ip.l4 else {
                return None;
            };
            Some((h.node, port, SocketAddrV4::new(ip.src, sport)))
        }
        _ => None,
    });
    let response =
        reached.and_then(|(node, port, client)| httpd::serve(world, node, port, &path, client));
    match response {
        Some(r) if r.status == 200 => ShellOutput::ok(r.body),
        Some(r) => ShellOutput::fail(
            1,
            format!(
                "wget: server returned error: HTTP/1.1 {} {}\n",
                r.status,
                if r.status == 404 {
                    "Not Found"
                } else {
                    "Error"
                }
            ),
        ),
        None => ShellOutput::fail(1, "wget: error getting response\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_into_host_port_and_path() {
        assert_eq!(
            split_url("http://198.18.0.1:8080/cgi-bin/ip"),
            Some(("198.18.0.1".into(), 8080, "/cgi-bin/ip".into()))
        );
        assert_eq!(
            split_url("http://web/"),
            Some(("web".into(), 80, "/".into()))
        );
        assert_eq!(split_url("http://c2"), Some(("c2".into(), 80, "/".into())));
        assert_eq!(split_url("http://:80/"), None);
    }
}
