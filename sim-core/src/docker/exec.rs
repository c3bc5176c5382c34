//! `docker exec NAME <tool> …` as a probe: the tools people use to test connectivity from
//! inside a Windows container (ping, curl, nslookup, Test-NetConnection), read as a probe.

use crate::device::stack::probe::{ProbeProto, ProbeTarget};
use std::net::Ipv4Addr;

/// A probe requested by `docker exec`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecProbe {
    pub target: ProbeTarget,
    pub proto: ProbeProto,
    /// The command as typed, for the report.
    pub tool: String,
}

fn target(s: &str) -> ProbeTarget {
    match s.parse::<Ipv4Addr>() {
        Ok(ip) => ProbeTarget::Addr(ip),
        Err(_) => ProbeTarget::Name(s.to_string()),
    }
}

/// Options of ping that take a value (Windows and Linux forms).
const PING_VALUE_OPTS: [&str; 8] = ["-n", "-c", "-w", "-l", "-i", "-s", "-W", "-v"];

pub fn parse_probe(argv: &[String]) -> Result<ExecProbe, String> {
    let mut args: Vec<&str> = argv.iter().map(String::as_str).collect();
    // Unwrap shells: `cmd /c …`, `powershell [-Command] …`.
    loop {
        match args.first().map(|s| s.to_ascii_lowercase()) {
            Some(s)
                if (s == "cmd" || s == "cmd.exe")
                    && args.len() > 1
                    && args[1].eq_ignore_ascii_case("/c") =>
            {
                args.drain(..2);
            }
            Some(s) if s == "powershell" || s == "powershell.exe" || s == "pwsh" => {
                args.remove(0);
                if args.first().is_some_and(|a| {
                    a.eq_ignore_ascii_case("-command") || a.eq_ignore_ascii_case("-c")
                }) {
                    args.remove(0);
                }
            }
            _ => break,
        }
    }
    let tool = argv.join(" ");
    let Some(cmd) = args.first().map(|s| s.to_ascii_lowercase()) else {
        return Err("hnsim: docker exec needs a command".into());
    };
    let rest = &args[1..];
    match cmd.trim_end_matches(".exe") {
        "ping" => {
            let mut host = None;
            let mut i = 0;
            while i < rest.len() {
                if PING_VALUE_OPTS.contains(&rest[i]) {
                    i += 2;
                    continue;
                }
                if !rest[i].starts_with('-') {
                    host = Some(rest[i]);
                }
                i += 1;
            }
            let host = host.ok_or("hnsim: ping needs a target")?;
            Ok(ExecProbe { target: target(host), proto: ProbeProto::Icmp, tool })
        }
        "curl" | "wget" | "invoke-webrequest" | "iwr" => {
            let url = rest
                .iter()
                .find(|a| !a.starts_with('-'))
                .ok_or_else(|| format!("hnsim: {cmd} needs a URL"))?;
            let (scheme_port, rest_url) = match url.split_once("://") {
                Some(("https", r)) => (443, r),
                Some((_, r)) => (80, r),
                None => (80, *url),
            };
            let hostport = rest_url.split('/').next().unwrap_or_default();
            let (host, port) = match hostport.rsplit_once(':') {
                Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("hnsim: bad port in URL {url}"))?),
                None => (hostport, scheme_port),
            };
            Ok(ExecProbe { target: target(host), proto: ProbeProto::Tcp(port), tool })
        }
        "nslookup" | "resolve-dnsname" => {
            let name = rest.iter().find(|a| !a.starts_with('-')).ok_or("hnsim: nslookup needs a name")?;
            Ok(ExecProbe { target: ProbeTarget::Name(name.to_string()), proto: ProbeProto::Dns, tool })
        }
        "test-netconnection" | "tnc" => {
            let mut host = None;
            let mut port = None;
            let mut i = 0;
            while i < rest.len() {
                let a = rest[i].to_ascii_lowercase();
                if a == "-port" {
                    port = rest.get(i + 1).and_then(|p| p.parse::<u16>().ok());
                    i += 2;
                    continue;
                }
                if a == "-computername" {
                    host = rest.get(i + 1).copied();
                    i += 2;
                    continue;
                }
                if !a.starts_with('-') && host.is_none() {
                    host = Some(rest[i]);
                }
                i += 1;
            }
            let host = host.ok_or("hnsim: Test-NetConnection needs a computer name")?;
            let proto = port.map(ProbeProto::Tcp).unwrap_or(ProbeProto::Icmp);
            Ok(ExecProbe { target: target(host), proto, tool })
        }
        other => Err(format!(
            "hnsim: `{other}` is not a probe hnsim models inside a container; use ping, curl, nslookup or Test-NetConnection"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> ExecProbe {
        parse_probe(
            &line
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn tools() {
        assert_eq!(p("ping -n 1 web").proto, ProbeProto::Icmp);
        assert_eq!(p("ping -n 1 web").target, ProbeTarget::Name("web".into()));
        assert_eq!(
            p("curl -s http://10.0.0.5:8080/index.html").proto,
            ProbeProto::Tcp(8080)
        );
        assert_eq!(
            p("curl -s http://10.0.0.5/").target,
            ProbeTarget::Addr(Ipv4Addr::new(10, 0, 0, 5))
        );
        assert_eq!(
            p("powershell Test-NetConnection db -Port 1433").proto,
            ProbeProto::Tcp(1433)
        );
        assert_eq!(p("cmd /c nslookup web").proto, ProbeProto::Dns);
        assert!(parse_probe(&["ipconfig".to_string()]).is_err());
    }
}
