//! `sysctl NAME`, `sysctl -n NAME`, `sysctl -w NAME=VALUE` for the kernel settings the
//! model has: `net.ipv4.ip_forward` (and `net.ipv4.conf.all.forwarding`), which routes
//! packets between interfaces, and `net.bridge.bridge-nf-call-iptables`, which sends
//! bridged IPv4 frames through the ruleset (br_netfilter; the key exists once a bridge
//! does, as the module is loaded with the first one here), plus the read-only
//! `net.ipv4.ip_local_port_range`.

use crate::device::stack::IpStack;
use crate::shell::ShellOutput;

const FORWARD: [&str; 2] = ["net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding"];
const BRIDGE_NF: &str = "net.bridge.bridge-nf-call-iptables";
const PORT_RANGE: &str = "net.ipv4.ip_local_port_range";

fn path(name: &str) -> String {
    format!("/proc/sys/{}", name.replace('.', "/"))
}

fn unknown(name: &str) -> ShellOutput {
    ShellOutput::fail(
        255,
        format!(
            "sysctl: cannot stat {}: No such file or directory\n",
            path(name)
        ),
    )
}

fn read(stack: &IpStack, name: &str) -> Option<String> {
    if FORWARD.contains(&name) {
        return Some(u8::from(stack.config.forwarding).to_string());
    }
    if name == BRIDGE_NF {
        let mut bridges = stack
            .config
            .ifaces()
            .iter()
            .flatten()
            .filter_map(|i| i.bridge);
        let first = bridges.next()?;
        return Some(u8::from(first.netfilter).to_string());
    }
    if name == PORT_RANGE {
        let (low, high) = stack.config.ephemeral_ports;
        return Some(format!("{low}\t{high}"));
    }
    None
}

/// `sysctl …`.
pub fn sysctl(stack: &mut IpStack, argv: &[String]) -> ShellOutput {
    let mut write = false;
    let mut value_only = false;
    let mut names = Vec::new();
    for a in &argv[1..] {
        match a.as_str() {
            "-w" | "--write" => write = true,
            "-n" | "--values" => value_only = true,
            "-q" | "--quiet" => {}
            s if s.starts_with('-') => {
                return ShellOutput::fail(
                    255,
                    format!("hnsim: sysctl: option {s} is not modelled (-n, -w are)\n"),
                )
            }
            s => names.push(s.to_string()),
        }
    }
    if names.is_empty() {
        return ShellOutput::fail(255, "hnsim: sysctl -a is not modelled; name a key\n");
    }
    let mut out = ShellOutput::ok("");
    for n in names {
        let one = match n.split_once('=') {
            Some((k, v)) if write || !k.is_empty() => set(stack, k.trim(), v.trim()),
            _ => match read(stack, &n) {
                Some(v) => Ok(v),
                None => Err(unknown(&n)),
            },
        };
        let key = n.split_once('=').map_or(n.as_str(), |(k, _)| k.trim());
        match one {
            Ok(v) if value_only => out.stdout.push_str(&format!("{v}\n")),
            Ok(v) => out.stdout.push_str(&format!("{key} = {v}\n")),
            Err(e) => {
                out.stderr.push_str(&e.stderr);
                out.exit_code = e.exit_code;
            }
        }
    }
    out
}

fn set(stack: &mut IpStack, name: &str, value: &str) -> Result<String, ShellOutput> {
    if read(stack, name).is_none() {
        return Err(unknown(name));
    }
    let on = match value {
        "0" => false,
        "1" => true,
        _ if name == PORT_RANGE => {
            return Err(ShellOutput::fail(
                255,
                "hnsim: sysctl: changing net.ipv4.ip_local_port_range is not modelled\n",
            ))
        }
        _ => {
            return Err(ShellOutput::fail(
                255,
                format!("sysctl: setting key \"{name}\": Invalid argument\n"),
            ))
        }
    };
    if FORWARD.contains(&name) {
        stack.config.forwarding = on;
    } else if name == BRIDGE_NF {
        for i in stack.config.ifaces_mut().iter_mut().flatten() {
            if let Some(b) = &mut i.bridge {
                b.netfilter = on;
            }
        }
    } else {
        return Err(ShellOutput::fail(
            255,
            format!("sysctl: permission denied on key \"{name}\"\n"),
        ));
    }
    Ok(value.to_string())
}
