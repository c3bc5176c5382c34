//! `-p/--publish` parsing, as the docker CLI (27.x) does it.
//!
//! The short form follows `nat.ParsePortSpec` of go-connections v0.5.0 (the
//! version vendored by docker CLI 25–27), including the order of its checks
//! and its error texts. The long form (`published=8080,target=80,...`) is first
//! rewritten to the short form the way the CLI's `convertToStandardNotation`
//! does, then parsed the same way.
//!
//! Only what the CLI itself rejects is rejected here: host IPs, host port
//! ranges and `sctp` are kept as given for the daemon to judge.
//! `PortSpec::bindings` is what the CLI sends: one binding per container port.

use super::store::PortBinding;
use std::net::IpAddr;

/// One `-p` value, as the CLI understood it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    /// Host IP (brackets of an IPv6 address removed); `None` when not given.
    pub host_ip: Option<String>,
    /// Host port range, start and end inclusive; `None` when unspecified.
    pub host_port: Option<(u16, u16)>,
    /// Container port range, start and end inclusive.
    pub container_port: (u16, u16),
    /// Lower-cased protocol: `tcp` (default), `udp` or `sctp`.
    pub protocol: String,
    /// The value exactly as the user gave it to `-p`.
    pub raw: String,
}

impl PortSpec {
    /// The bindings the CLI sends for this spec, as go-connections' `ParsePortSpec` makes
    /// them: one per container port, container port `start + i` with host port
    /// `host_start + i` (or any), except that a single container port keeps a host range
    /// for the daemon to pick from (`9100-9110:80`).
    pub fn bindings(&self) -> Vec<PortBinding> {
        let (start, end) = self.container_port;
        (start..=end)
            .map(|port| {
                let i = port - start;
                let host = self.host_port.map(|(hs, he)| {
                    if start == end {
                        (hs, he)
                    } else {
                        (hs + i, hs + i)
                    }
                });
                PortBinding {
                    proto: self.protocol.clone(),
                    host_ip: self.host_ip.clone(),
                    host,
                    container: port,
                }
            })
            .collect()
    }
}

impl crate::docker::cli::RunArgs {
    /// The bindings `docker run` asks for: each `-p`'s, and with `-P` a dynamic host port
    /// for every `--expose`d port no `-p` publishes (moby's `PublishAllPorts`).
    pub fn published_bindings(&self) -> Vec<PortBinding> {
        let mut out: Vec<PortBinding> = self.publish.iter().flat_map(|p| p.bindings()).collect();
        if self.publish_all {
            for (port, proto) in &self.expose {
                if !out
                    .iter()
                    .any(|b| b.container == *port && b.proto == *proto)
                {
                    out.push(PortBinding {
                        proto: proto.clone(),
                        host_ip: None,
                        host: None,
                        container: *port,
                    });
                }
            }
        }
        out
    }
}

/// Parses one `-p/--publish` value. The error is the CLI's own text (without
/// the `docker: ` prefix and `See ...` suffix, which the caller adds).
pub fn parse_publish(raw: &str) -> Result<PortSpec, String> {
    let standard = if raw.contains('=') {
        to_standard_notation(raw)?
    } else {
        raw.to_string()
    };
    let mut spec = parse_port_spec(&standard)?;
    spec.raw = raw.to_string();
    Ok(spec)
}

/// The long syntax, rewritten as `published:target/protocol`. Unknown keys
/// (such as `mode`) are accepted and ignored, as the CLI does.
pub(crate) fn to_standard_notation(raw: &str) -> Result<String, String> {
    let mut published = String::new();
    let mut target = String::new();
    let mut protocol = String::from("tcp");
    for param in raw.split(',') {
        match param.split_once('=') {
            Some((k, v)) if !k.is_empty() => match k {
                "published" => published = v.to_string(),
                "target" => target = v.to_string(),
                "protocol" => protocol = v.to_string(),
                _ => {}
            },
            _ => {
                return Err(format!(
                    "invalid publish opts format (should be name=value but got '{param}')"
                ))
            }
        }
    }
    Ok(format!("{published}:{target}/{protocol}"))
}

/// `ip:hostPort:containerPort` split; everything before the last two colons is
/// the IP.
pub(crate) fn split_parts(raw: &str) -> (String, String, String) {
    let parts: Vec<&str> = raw.split(':').collect();
    match parts.len() {
        1 => (String::new(), String::new(), parts[0].to_string()),
        2 => (String::new(), parts[0].to_string(), parts[1].to_string()),
        3 => (
            parts[0].to_string(),
            parts[1].to_string(),
            parts[2].to_string(),
        ),
        n => (
            parts[..n - 2].join(":"),
            parts[n - 2].to_string(),
            parts[n - 1].to_string(),
        ),
    }
}

/// `port[/proto]` split. An empty port yields an empty protocol too.
pub(crate) fn split_proto_port(raw: &str) -> (String, String) {
    let parts: Vec<&str> = raw.split('/').collect();
    if raw.is_empty() || parts[0].is_empty() {
        return (String::new(), String::new());
    }
    if parts.len() == 1 {
        return ("tcp".to_string(), raw.to_string());
    }
    if parts[1].is_empty() {
        return ("tcp".to_string(), parts[0].to_string());
    }
    (parts[1].to_string(), parts[0].to_string())
}

/// A decimal port number in 0..=65535 (Go's `strconv.ParseUint(s, 10, 16)`).
fn parse_port_number(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u16>().ok()
}

/// `start[-end]`; like the CLI, anything after a second `-` is ignored.
pub fn parse_port_range(s: &str) -> Option<(u16, u16)> {
    if s.is_empty() {
        return None;
    }
    if !s.contains('-') {
        let p = parse_port_number(s)?;
        return Some((p, p));
    }
    let mut it = s.split('-');
    let start = parse_port_number(it.next().unwrap_or(""))?;
    let end = parse_port_number(it.next().unwrap_or(""))?;
    if end < start {
        return None;
    }
    Some((start, end))
}

/// Go's `net.SplitHostPort(ip + ":")` for a bracketed host, returning the host.
pub(crate) fn strip_brackets(ip: &str) -> Result<String, String> {
    let s = format!("{ip}:");
    let addr_err = |why: &str| format!("invalid IP address {ip}: address {s}: {why}");
    let last_colon = s.len() - 1;
    let Some(end) = s.find(']') else {
        return Err(addr_err("missing ']' in address"));
    };
    if end + 1 != last_colon {
        if s.as_bytes()[end + 1] == b':' {
            return Err(addr_err("too many colons in address"));
        }
        return Err(addr_err("missing port in address"));
    }
    if s[1..].contains('[') {
        return Err(addr_err("unexpected '[' in address"));
    }
    if s[end + 1..].contains(']') {
        return Err(addr_err("unexpected ']' in address"));
    }
    Ok(s[1..end].to_string())
}

fn parse_port_spec(raw: &str) -> Result<PortSpec, String> {
    let (mut ip, host_port, container_port) = split_parts(raw);
    let (proto, container_port) = split_proto_port(&container_port);
    let proto = proto.to_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    if ip.starts_with('[') {
        ip = strip_brackets(&ip)?;
    }
    if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    if container_port.is_empty() {
        return Err(format!("no port specified: {raw}<empty>"));
    }
    let Some((start, end)) = parse_port_range(&container_port) else {
        return Err(format!("invalid containerPort: {container_port}"));
    };
    let mut host = None;
    if !host_port.is_empty() {
        let Some((hs, he)) = parse_port_range(&host_port) else {
            return Err(format!("invalid hostPort: {host_port}"));
        };
        if end - start != he - hs && end != start {
            return Err(format!(
                "invalid ranges specified for container and host Ports: {container_port} and {host_port}"
            ));
        }
        host = Some((hs, he));
    }
    Ok(PortSpec {
        host_ip: if ip.is_empty() { None } else { Some(ip) },
        host_port: host,
        container_port: (start, end),
        protocol: proto,
        raw: raw.to_string(),
    })
}

/// One `--expose` value (`80`, `80/udp`, `8000-8010/tcp`) as the CLI expands it: its
/// container ports with their protocol. The error is the CLI's text.
pub fn parse_expose(raw: &str) -> Result<Vec<(u16, String)>, String> {
    if raw.contains(':') {
        return Err(format!("invalid port format for --expose: {raw}"));
    }
    let (proto, port) = split_proto_port(raw);
    let range_err = |why: String| format!("invalid range format for --expose: {raw}, error: {why}");
    let parse = |s: &str| -> Result<u16, String> {
        parse_port_number(s).ok_or_else(|| {
            let why = if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "value out of range"
            } else {
                "invalid syntax"
            };
            format!("strconv.ParseUint: parsing {s:?}: {why}")
        })
    };
    if port.is_empty() {
        return Err(range_err("Empty string specified for ports.".into()));
    }
    let (start, end) = match port.split_once('-') {
        None => {
            let p = parse(&port).map_err(range_err)?;
            (p, p)
        }
        Some((a, b)) => {
            let b = b.split('-').next().unwrap_or("");
            let (a, b) = (parse(a).map_err(range_err)?, parse(b).map_err(range_err)?);
            if b < a {
                return Err(range_err(format!(
                    "Invalid range specified for the Port: {port}"
                )));
            }
            (a, b)
        }
    };
    let proto = proto.to_lowercase();
    Ok((start..=end).map(|p| (p, proto.clone())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> PortSpec {
        parse_publish(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    fn spec(
        ip: Option<&str>,
        host: Option<(u16, u16)>,
        c: (u16, u16),
        proto: &str,
        raw: &str,
    ) -> PortSpec {
        PortSpec {
            host_ip: ip.map(str::to_string),
            host_port: host,
            container_port: c,
            protocol: proto.to_string(),
            raw: raw.to_string(),
        }
    }

    #[test]
    fn short_forms() {
        assert_eq!(ok("80"), spec(None, None, (80, 80), "tcp", "80"));
        assert_eq!(
            ok("8080:80"),
            spec(None, Some((8080, 8080)), (80, 80), "tcp", "8080:80")
        );
        assert_eq!(
            ok("8080:80/udp"),
            spec(None, Some((8080, 8080)), (80, 80), "udp", "8080:80/udp")
        );
        assert_eq!(ok("8080:80/UDP").protocol, "udp", "protocol is lower-cased");
        assert_eq!(
            ok("127.0.0.1:8080:80"),
            spec(
                Some("127.0.0.1"),
                Some((8080, 8080)),
                (80, 80),
                "tcp",
                "127.0.0.1:8080:80"
            )
        );
        assert_eq!(
            ok("127.0.0.1::80"),
            spec(Some("127.0.0.1"), None, (80, 80), "tcp", "127.0.0.1::80")
        );
        assert_eq!(
            ok("8080-8081:80-81"),
            spec(None, Some((8080, 8081)), (80, 81), "tcp", "8080-8081:80-81")
        );
        // A host range for a single container port is a dynamic range.
        assert_eq!(ok("8000-9000:80").host_port, Some((8000, 9000)));
        assert_eq!(
            ok("[::1]:80:80"),
            spec(Some("::1"), Some((80, 80)), (80, 80), "tcp", "[::1]:80:80")
        );
        assert_eq!(ok("::1:80:80").host_ip.as_deref(), Some("::1"));
        assert_eq!(ok("53:53/sctp").protocol, "sctp");
        assert_eq!(ok("80/").protocol, "tcp");
        assert_eq!(ok("0:0").host_port, Some((0, 0)));
        // Like the CLI, a third range component is ignored.
        assert_eq!(ok("1-2-3").container_port, (1, 2));
    }

    fn binding(host: Option<(u16, u16)>, container: u16) -> PortBinding {
        PortBinding {
            proto: "tcp".into(),
            host_ip: None,
            host,
            container,
        }
    }

    /// Matched ranges become one binding per port; only a single container port keeps a
    /// host range (go-connections' `ParsePortSpec`).
    #[test]
    fn ranges_split_into_one_binding_per_port() {
        assert_eq!(
            ok("9000-9001:80-81").bindings(),
            [
                binding(Some((9000, 9000)), 80),
                binding(Some((9001, 9001)), 81)
            ]
        );
        assert_eq!(
            ok("80-81").bindings(),
            [binding(None, 80), binding(None, 81)]
        );
        assert_eq!(
            ok("9100-9110:80").bindings(),
            [binding(Some((9100, 9110)), 80)]
        );
        assert_eq!(ok("8080:80").bindings(), [binding(Some((8080, 8080)), 80)]);
        let udp = ok("127.0.0.1:53:53/udp").bindings();
        assert_eq!(udp[0].proto, "udp");
        assert_eq!(udp[0].host_ip.as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn expose_values() {
        assert_eq!(parse_expose("80").unwrap(), [(80, "tcp".to_string())]);
        assert_eq!(parse_expose("53/UDP").unwrap(), [(53, "udp".to_string())]);
        assert_eq!(
            parse_expose("8000-8002").unwrap(),
            [
                (8000, "tcp".to_string()),
                (8001, "tcp".to_string()),
                (8002, "tcp".to_string())
            ]
        );
        assert_eq!(
            parse_expose("80:80").unwrap_err(),
            "invalid port format for --expose: 80:80"
        );
        assert_eq!(
            parse_expose("abc").unwrap_err(),
            "invalid range format for --expose: abc, error: strconv.ParseUint: parsing \"abc\": invalid syntax"
        );
        assert_eq!(
            parse_expose("70000").unwrap_err(),
            "invalid range format for --expose: 70000, error: strconv.ParseUint: parsing \"70000\": value out of range"
        );
        assert_eq!(
            parse_expose("90-80").unwrap_err(),
            "invalid range format for --expose: 90-80, error: Invalid range specified for the Port: 90-80"
        );
    }

    #[test]
    fn long_form() {
        assert_eq!(
            ok("published=8080,target=80,protocol=udp,mode=host"),
            spec(
                None,
                Some((8080, 8080)),
                (80, 80),
                "udp",
                "published=8080,target=80,protocol=udp,mode=host"
            )
        );
        assert_eq!(ok("target=80").host_port, None);
        assert_eq!(ok("target=80").protocol, "tcp");
    }

    fn err(raw: &str) -> String {
        parse_publish(raw).unwrap_err()
    }

    #[test]
    fn errors() {
        assert_eq!(err("x"), "invalid containerPort: x");
        assert_eq!(err("8080:x"), "invalid containerPort: x");
        assert_eq!(err("70000"), "invalid containerPort: 70000");
        assert_eq!(err("81-80"), "invalid containerPort: 81-80");
        assert_eq!(err("x:80"), "invalid hostPort: x");
        assert_eq!(err("80:80/foo"), "invalid proto: foo");
        assert_eq!(err("80:80/FOO"), "invalid proto: foo");
        // go-connections v0.5.0 checks the protocol before the empty port.
        assert_eq!(err("8080:"), "invalid proto: ");
        assert_eq!(ok("1.2.3.4:80:80/tcp/x").protocol, "tcp");
        assert_eq!(err("foo:80:80"), "invalid IP address: foo");
        assert_eq!(
            err("[::1:80:80"),
            "invalid IP address [::1: address [::1:: missing ']' in address"
        );
        assert_eq!(
            err("8080-8082:80-81"),
            "invalid ranges specified for container and host Ports: 80-81 and 8080-8082"
        );
        assert_eq!(
            err("published=8080,target"),
            "invalid publish opts format (should be name=value but got 'target')"
        );
        // Rewritten to "8080:/tcp": the empty port is reported as an empty proto.
        assert_eq!(err("published=8080"), "invalid proto: ");
    }
}
