//! `-p/--publish` as the docker CLI 20.10 parses it: the long form rewritten as today, then
//! the `nat.ParsePortSpec` of the go-connections its vendor tree pinned (v0.4.0), whose
//! checks come in another order (the protocol last) and whose texts start with a capital
//! (`Invalid proto: icmp`, `No port specified: 8080:<empty>`): contradiction #15 of
//! tests/oracle/README.md, recorded in `errors/bad-port-specs`.

use crate::docker::ports::{
    parse_port_range, split_parts, split_proto_port, strip_brackets, to_standard_notation, PortSpec,
};
use std::net::IpAddr;

/// Parses one `-p` value; the error is the CLI's text without `docker: ` and the period.
pub(super) fn parse_publish_v20_10(raw: &str) -> Result<PortSpec, String> {
    let standard = if raw.contains('=') {
        to_standard_notation(raw)?
    } else {
        raw.to_string()
    };
    let (raw_ip, host_port, container_port) = split_parts(&standard);
    let (proto, container_port) = split_proto_port(&container_port);
    // `net.SplitHostPort(rawIP + ":")` strips the brackets of an IPv6 address.
    let ip = if raw_ip.starts_with('[') {
        strip_brackets(&raw_ip)
            .map_err(|e| e.replacen("invalid IP address", "Invalid ip address", 1))?
    } else {
        raw_ip
    };
    if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
        return Err(format!("Invalid ip address: {ip}"));
    }
    if container_port.is_empty() {
        return Err(format!("No port specified: {standard}<empty>"));
    }
    let Some((start, end)) = parse_port_range(&container_port) else {
        return Err(format!("Invalid containerPort: {container_port}"));
    };
    let mut host = None;
    if !host_port.is_empty() {
        let Some((hs, he)) = parse_port_range(&host_port) else {
            return Err(format!("Invalid hostPort: {host_port}"));
        };
        if end - start != he - hs && end != start {
            return Err(format!(
                "Invalid ranges specified for container and host Ports: {container_port} and {host_port}"
            ));
        }
        host = Some((hs, he));
    }
    if !matches!(proto.to_lowercase().as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("Invalid proto: {proto}"));
    }
    Ok(PortSpec {
        host_ip: (!ip.is_empty()).then_some(ip),
        host_port: host,
        container_port: (start, end),
        protocol: proto.to_lowercase(),
        raw: raw.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts of `errors/bad-port-specs` and `errors/bad-long-publish-syntax`.
    #[test]
    fn errors_are_worded_as_the_20_10_cli_words_them() {
        let err = |s: &str| parse_publish_v20_10(s).unwrap_err();
        assert_eq!(err("8080:80/icmp"), "Invalid proto: icmp");
        assert_eq!(err("8080:abc"), "Invalid containerPort: abc");
        assert_eq!(err("abc:80"), "Invalid hostPort: abc");
        assert_eq!(
            err("8080-8081:80-82"),
            "Invalid ranges specified for container and host Ports: 80-82 and 8080-8081"
        );
        assert_eq!(err("8080:"), "No port specified: 8080:<empty>");
        assert_eq!(err("70000:80"), "Invalid hostPort: 70000");
        assert_eq!(err("1.2.3:8080:80"), "Invalid ip address: 1.2.3");
        assert_eq!(err("published=8080"), "No port specified: 8080:/tcp<empty>");
    }

    #[test]
    fn container_port_zero_is_accepted() {
        let p = parse_publish_v20_10("8080:0").unwrap();
        assert_eq!(
            (p.container_port, p.host_port),
            ((0, 0), Some((8080, 8080)))
        );
    }
}
