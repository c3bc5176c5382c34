//! `docker exec NAME <tool> …` as a probe: the tools people use to test connectivity from
//! inside a Windows container (ping, curl, nslookup, Test-NetConnection), read as a probe.
//! `ping -l SIZE` (Linux: `-s SIZE`) sets the echo payload size; other options are skipped.

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

/// Options of ping that take a value (Windows and Linux forms), other than the payload size.
const PING_VALUE_OPTS: [&str; 6] = ["-n", "-c", "-w", "-i", "-W", "-v"];

/// Windows `ping -l SIZE`: the echo payload in bytes, 0 to 65500 (ping.exe's own limit).
const WINDOWS_MAX_PAYLOAD: u32 = 65500;
/// Linux `ping -s SIZE`: at most what fits in one IPv4 packet (65535 - 20 - 8).
const LINUX_MAX_PAYLOAD: u32 = 65507;

/// The payload size given to `-l` (Windows) or `-s` (Linux, iputils), with each ping's own
/// words for a missing or bad value. Windows containers run ping.exe, whose `-s` is a
/// timestamp count; hnsim reads `-s` as Linux's size, since that is what people type.
fn ping_payload(opt: &str, value: Option<&str>) -> Result<u16, String> {
    let windows = opt == "-l";
    let Some(v) = value else {
        return Err(if windows {
            "Value must be supplied for option -l.".into()
        } else {
            "ping: option requires an argument -- 's'".into()
        });
    };
    let max = if windows {
        WINDOWS_MAX_PAYLOAD
    } else {
        LINUX_MAX_PAYLOAD
    };
    match v.parse::<u32>() {
        Ok(n) if n <= max => Ok(u16::try_from(n).expect("at most 65507")),
        _ if windows => Err(format!(
            "Bad value for option -l, valid range is from 0 to {WINDOWS_MAX_PAYLOAD}."
        )),
        Ok(_) => Err(format!(
            "ping: invalid argument: '{v}': out of range: 0 <= value <= {LINUX_MAX_PAYLOAD}"
        )),
        Err(_) => Err(format!("ping: invalid argument: '{v}'")),
    }
}

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
            let mut proto = ProbeProto::Icmp;
            let mut i = 0;
            while i < rest.len() {
                if rest[i] == "-l" || rest[i] == "-s" {
                    let size = ping_payload(rest[i], rest.get(i + 1).copied())?;
                    proto = ProbeProto::icmp_payload(size);
                    i += 2;
                    continue;
                }
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
            Ok(ExecProbe {
                target: target(host),
                proto,
                tool,
            })
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
                Some((h, p)) => (
                    h,
                    p.parse::<u16>()
                        .map_err(|_| format!("hnsim: bad port in URL {url}"))?,
                ),
                None => (hostport, scheme_port),
            };
            Ok(ExecProbe {
                target: target(host),
                proto: ProbeProto::Tcp(port),
                tool,
            })
        }
        "nslookup" | "resolve-dnsname" => {
            let name = rest
                .iter()
                .find(|a| !a.starts_with('-'))
                .ok_or("hnsim: nslookup needs a name")?;
            Ok(ExecProbe {
                target: ProbeTarget::Name(name.to_string()),
                proto: ProbeProto::Dns,
                tool,
            })
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
            Ok(ExecProbe {
                target: target(host),
                proto,
                tool,
            })
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

    fn err(line: &str) -> String {
        parse_probe(
            &line
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>(),
        )
        .unwrap_err()
    }

    #[test]
    fn ping_payload_size() {
        // Windows -l, before or after the target, alone or with other options.
        let sized = p("ping -n 1 -l 1472 a");
        assert_eq!(sized.proto, ProbeProto::IcmpSized(1472));
        assert_eq!(sized.target, ProbeTarget::Name("a".into()));
        assert_eq!(sized.tool, "ping -n 1 -l 1472 a");
        assert_eq!(p("ping a -l 1422").proto, ProbeProto::IcmpSized(1422));
        assert_eq!(
            p("PING.EXE -l 100 -n 2 a").proto,
            ProbeProto::IcmpSized(100)
        );
        assert_eq!(
            p("cmd /c ping -f -l 1472 a").proto,
            ProbeProto::IcmpSized(1472)
        );
        assert_eq!(
            p("cmd /c ping -f -l 1472 a").target,
            ProbeTarget::Name("a".into())
        );
        // Linux -s.
        let linux = p("ping -c 1 -s 1422 10.244.0.3");
        assert_eq!(linux.proto, ProbeProto::IcmpSized(1422));
        assert_eq!(
            linux.target,
            ProbeTarget::Addr(Ipv4Addr::new(10, 244, 0, 3))
        );
        // The size's value is never taken for the target.
        assert_eq!(p("ping -l 64 a").target, ProbeTarget::Name("a".into()));
        // The limits, inclusive; the default size is plain Icmp; the last -l wins.
        assert_eq!(p("ping -l 0 a").proto, ProbeProto::IcmpSized(0));
        assert_eq!(p("ping -l 65500 a").proto, ProbeProto::IcmpSized(65500));
        assert_eq!(p("ping -s 65507 a").proto, ProbeProto::IcmpSized(65507));
        assert_eq!(p("ping -l 32 a").proto, ProbeProto::Icmp);
        assert_eq!(p("ping -l 100 -l 200 a").proto, ProbeProto::IcmpSized(200));
        // Without a size, the default echo as before.
        assert_eq!(p("ping -n 1 -w 500 a").proto, ProbeProto::Icmp);
    }

    #[test]
    fn ping_payload_size_refusals_in_each_pings_words() {
        let windows = "Bad value for option -l, valid range is from 0 to 65500.";
        assert_eq!(err("ping -l 65501 a"), windows);
        assert_eq!(err("ping -l big a"), windows);
        assert_eq!(err("ping -l -1 a"), windows);
        assert_eq!(err("ping a -l"), "Value must be supplied for option -l.");
        assert_eq!(
            err("ping -s 65508 a"),
            "ping: invalid argument: '65508': out of range: 0 <= value <= 65507"
        );
        assert_eq!(err("ping -s big a"), "ping: invalid argument: 'big'");
        assert_eq!(err("ping a -s"), "ping: option requires an argument -- 's'");
    }
}
