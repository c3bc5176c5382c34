//! The host tools of a Linux machine, typed in a shell on a Linux container host (or a
//! fabric node): iproute2's `ip` and `bridge`, `iptables` and `iptables-save` (1.8.9,
//! nf_tables), `sysctl`, conntrack-tools' `conntrack -L`, `ss`, and `nsenter -t PID -n`
//! to run them in a container's network namespace.
//!
//! Every tool reads (and `iptables`, `sysctl -w`, `ip link add|set` change) the namespace's
//! IP stack: its interfaces, routes, ruleset and counters, connection table, ARP cache and
//! bridge forwarding databases. Output follows what the real tools print on Debian 12 (as
//! recorded in `tests/oracle/fixtures/`). One small module per tool.

mod bridge;
mod conntrack;
pub mod curl;
mod ip;
mod iptables;
pub mod iptables_show;
pub(crate) mod ns;
mod ss;
mod sysctl;

use crate::engine::Engine;
use crate::id::NodeId;
use crate::shell::ShellOutput;

pub use ns::Ns;

/// The tools this module answers for.
pub const TOOLS: [&str; 8] = [
    "iptables",
    "iptables-save",
    "ip",
    "bridge",
    "sysctl",
    "conntrack",
    "ss",
    "nsenter",
];

/// Whether `tool` is one of the host tools.
pub fn is_host_tool(tool: &str) -> bool {
    TOOLS.contains(&tool)
}

/// Runs a host tool in the namespace whose stack is `node`. `pids` maps the process id of
/// each running container to its namespace (for `nsenter -t PID -n`).
pub fn run(eng: &mut Engine, node: NodeId, pids: &[(u32, NodeId)], argv: &[String]) -> ShellOutput {
    let Some(tool) = argv.first() else {
        return ShellOutput::ok("");
    };
    if tool == "nsenter" {
        return nsenter(eng, pids, argv);
    }
    let now = eng.now();
    let Some(mut ns) = Ns::new(eng, node) else {
        return ShellOutput::fail(1, format!("hnsim: {tool}: this node has no IP stack\n"));
    };
    match tool.as_str() {
        "iptables" => iptables::iptables(ns.stack_mut(), argv),
        "iptables-save" => iptables::save(ns.stack(), argv),
        "ip" => ip::ip(&mut ns, argv),
        "bridge" => bridge::bridge(&ns, argv, now),
        "sysctl" => sysctl::sysctl(ns.stack_mut(), argv),
        "conntrack" => conntrack::conntrack(ns.stack(), argv, now),
        "ss" => ss::ss(ns.stack(), argv),
        other => ShellOutput::not_modelled(other),
    }
}

/// `nsenter -t PID -n <tool> …`: the tool runs in the network namespace of process PID.
fn nsenter(eng: &mut Engine, pids: &[(u32, NodeId)], argv: &[String]) -> ShellOutput {
    let mut target: Option<String> = None;
    let mut net = false;
    let mut i = 1;
    while i < argv.len() {
        match argv[i].as_str() {
            "-t" | "--target" => {
                target = argv.get(i + 1).cloned();
                i += 2;
            }
            "-n" | "--net" => {
                net = true;
                i += 1;
            }
            s if s.starts_with("--target=") => {
                target = Some(s["--target=".len()..].to_string());
                i += 1;
            }
            s if s.starts_with('-') => {
                return ShellOutput::fail(
                    1,
                    format!("hnsim: nsenter: option {s} is not modelled (only -t PID -n)\n"),
                )
            }
            _ => break,
        }
    }
    let Some(t) = target else {
        return ShellOutput::fail(
            1,
            "nsenter: neither filename nor target pid supplied for ns/net\n",
        );
    };
    let Ok(pid) = t.parse::<u32>() else {
        return ShellOutput::fail(1, format!("nsenter: failed to parse pid: '{t}'\n"));
    };
    let Some(&(_, node)) = pids.iter().find(|(p, _)| *p == pid) else {
        return ShellOutput::fail(
            1,
            format!("nsenter: cannot open /proc/{pid}/ns/net: No such file or directory\n"),
        );
    };
    if !net {
        return ShellOutput::fail(
            1,
            "hnsim: nsenter: only the network namespace (-n) is modelled\n",
        );
    }
    let rest = &argv[i..];
    match rest.first() {
        None => ShellOutput::fail(
            1,
            "hnsim: nsenter: an interactive shell is not modelled; give a command\n",
        ),
        Some(tool) if is_host_tool(tool) => run(eng, node, pids, rest),
        Some(tool) => ShellOutput::fail(
            127,
            format!("nsenter: failed to execute {tool}: No such file or directory\n"),
        ),
    }
}
