//! busybox 1.35 applets, as a Linux container runs them (`docker exec c ping …`) and as the
//! same probes typed on a Linux host or on a fabric node (an outside host with busybox first
//! in its PATH, as the oracle's recorder sets it up).
//!
//! Owns the `docker exec`, `docker logs` and foreground `docker run` lines of a Linux host
//! (`docker_line`), the probe applets typed on a node (`on_node`), the ports a container's
//! command listens on (`listeners`), and what busybox servers keep between commands
//! (`State`: outside hosts' web pages, `httpd -v` log lines). Each applet is a module:
//! `ping`, `nc`, `wget` (with `httpd`, the server side), `nslookup`, `ip`, `netstat`, `files` (`cat`,
//! `hostname`). Probe applets send real frames through the devices (`World::tool_probe`)
//! and print what busybox prints from what came back; the others read the namespace's
//! configuration. Names resolve as glibc does: `/etc/hosts`, then DNS (`resolve`).

mod files;
pub mod httpd;
mod ip;
mod nc;
mod netstat;
mod nslookup;
mod ping;
mod resolve;
mod wget;

use super::ShellOutput;
use crate::control::HostOs;
use crate::device::Device;
use crate::docker::cli::{self, DockerCommand};
use crate::docker::daemon::CommandOutput;
use crate::docker::store::ContainerState;
use crate::id::NodeId;
use crate::sim::world::{ProbeResult, World};
use crate::time::SimDuration;
use std::collections::BTreeMap;

pub use httpd::{Page, Site};

/// What busybox servers keep between commands.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// Web servers of fabric nodes (the outside host's busybox httpd), by node.
    pub sites: BTreeMap<NodeId, Site>,
    /// `httpd -v` log lines (its stderr, which `docker logs` shows), by container id.
    pub logs: BTreeMap<String, Vec<String>>,
    /// The probes the last command line sent, in order (a report shows their traces).
    pub probes: Vec<ProbeResult>,
    /// The files the scenario declares in each image, by image name.
    pub images: BTreeMap<String, ImageFs>,
}

/// What the scenario says is inside an image (`images: [(…, workdir, files)]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageFs {
    /// The working directory of its processes (`/` when not given).
    pub workdir: String,
    /// (absolute path, contents).
    pub files: Vec<(String, String)>,
}

/// A scenario's `Docker` step that ran in a Linux container: what it printed, as the
/// report's docker output, and the probes it sent.
pub struct ReportedStep {
    pub output: ShellOutput,
    /// The output as the report writes docker's: stdout, and as the error the stderr (or
    /// the exit status when the command failed silently).
    pub command: CommandOutput,
    pub probes: Vec<ProbeResult>,
}

impl ReportedStep {
    /// What the command printed as the report writes it under its step: `  | ` before each
    /// stdout line, `  ! ` before each stderr line, and `  ! exit status N` when it failed
    /// without a word.
    pub fn lines(&self) -> String {
        let mut out = String::new();
        for l in self.output.stdout.lines() {
            out.push_str(&format!("  | {l}\n"));
        }
        for l in self.output.stderr.lines() {
            out.push_str(&format!("  ! {l}\n"));
        }
        if self.output.exit_code != 0 && self.output.stderr.is_empty() {
            out.push_str(&format!("  ! exit status {}\n", self.output.exit_code));
        }
        out
    }
}

/// Runs a `Docker` step's line on a Linux host when it runs something in a container
/// (`docker exec`, `docker logs`, a foreground `docker run` of an applet); `None` for any
/// other line or host, which the daemon runs as before.
pub fn report_step(world: &mut World, host: &str, line: &str) -> Option<ReportedStep> {
    let hi = world.hosts.iter().position(|h| h.name == host)?;
    if !matches!(world.hosts[hi].os, HostOs::Linux { .. }) {
        return None;
    }
    let argv = super::words(line).ok()?;
    if argv.first().map(String::as_str) != Some("docker") {
        return None;
    }
    world.busybox.probes.clear();
    let output = docker_line(world, hi, line, &argv)?;
    let probes = std::mem::take(&mut world.busybox.probes);
    let error = if output.exit_code == 0 {
        None
    } else if output.stderr.is_empty() {
        Some(format!("exit status {}", output.exit_code))
    } else {
        Some(output.stderr.trim_end().to_string())
    };
    let command = CommandOutput {
        stdout: output.stdout.clone(),
        error,
        exit_code: Some(output.exit_code),
        ..Default::default()
    };
    Some(ReportedStep {
        output,
        command,
        probes,
    })
}

/// Where an applet runs: a namespace (its stack), and the container it runs in, if any.
#[derive(Clone, Debug)]
pub(crate) struct Place {
    pub node: NodeId,
    /// The host whose daemon knows the container, or whose namespace this is.
    pub host: Option<usize>,
    /// The container's id, when the applet runs inside one.
    pub container: Option<String>,
    /// A name for the probe's source in traces.
    pub label: String,
}

/// The TCP ports a container's command listens on: busybox `httpd` (`-p [IP:]PORT`,
/// default 80) and `nc -l -p PORT` (also `-lk`, `-lp PORT`). `sh`, `sleep` and the rest
/// listen on nothing.
pub fn listeners(command: &[String]) -> Vec<u16> {
    let argv = applet_argv(command);
    let Some(tool) = argv.first() else {
        return Vec::new();
    };
    let rest = &argv[1..];
    match tool.as_str() {
        "httpd" => vec![httpd::port(rest)],
        "nc" => nc::listen_port(rest).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// The command without a `busybox` prefix, with the applet's base name (`/bin/httpd` is
/// `httpd`).
fn applet_argv(command: &[String]) -> Vec<String> {
    let mut argv: Vec<String> = command.to_vec();
    if argv
        .first()
        .is_some_and(|t| t.rsplit('/').next() == Some("busybox"))
    {
        argv.remove(0);
    }
    if let Some(t) = argv.first_mut() {
        *t = t.rsplit('/').next().unwrap_or_default().to_string();
    }
    argv
}

/// A probe applet (`ping`, `nc`, `wget`) typed on a Linux host or a fabric node. `None` when
/// the line is not one, or the node is a Windows host (whose tools are not busybox).
pub fn on_node(world: &mut World, on: &str, argv: &[String]) -> Option<ShellOutput> {
    let tool = argv.first()?.as_str();
    if !["ping", "nc", "wget"].contains(&tool) {
        return None;
    }
    world.busybox.probes.clear();
    let place = if let Some(hi) = world.hosts.iter().position(|h| h.name == on) {
        if !matches!(world.hosts[hi].os, HostOs::Linux { .. }) {
            return None;
        }
        Place {
            node: world.hosts[hi].nodes.stack,
            host: Some(hi),
            container: None,
            label: on.to_string(),
        }
    } else {
        Place {
            node: *world.fabric.get(on)?,
            host: None,
            container: None,
            label: on.to_string(),
        }
    };
    Some(run_applet(world, &place, argv))
}

/// The lines of a Linux host's docker CLI that run something in a container: `docker exec`,
/// `docker logs`, and `docker run` in the foreground with a command that ends. `None` for
/// every other docker line (the daemon's, as before).
pub fn docker_line(
    world: &mut World,
    hi: usize,
    line: &str,
    argv: &[String],
) -> Option<ShellOutput> {
    world.busybox.probes.clear();
    if argv.get(1).map(String::as_str) == Some("logs") {
        return Some(httpd::docker_logs(world, hi, &argv[2..]));
    }
    match cli::parse(line) {
        Ok(DockerCommand::Exec {
            container, argv, ..
        }) => Some(exec(world, hi, &container, &argv)),
        Ok(DockerCommand::Run(args)) if !args.detach && ends_by_itself(&args.command) => {
            Some(foreground_run(world, hi, line, args.rm))
        }
        _ => None,
    }
}

/// A command that ends by itself (an applet that prints and exits), as opposed to a server
/// or a shell that `docker run` without `-d` would wait for.
fn ends_by_itself(command: &[String]) -> bool {
    let argv = applet_argv(command);
    argv.first().is_some_and(|t| {
        [
            "ip", "cat", "hostname", "ping", "nc", "wget", "nslookup", "netstat", "true",
        ]
        .contains(&t.as_str())
    }) && listeners(command).is_empty()
}

/// `docker exec CONTAINER CMD…` on a Linux host: the daemon's refusals in its words, then
/// the command's output and status.
fn exec(world: &mut World, hi: usize, key: &str, argv: &[String]) -> ShellOutput {
    let store = &world.hosts[hi].daemon.store;
    let Some(c) = store.container(key) else {
        return ShellOutput::fail(
            1,
            format!("Error response from daemon: No such container: {key}\n"),
        );
    };
    let (Some(node), ContainerState::Running) = (c.sandbox, c.state) else {
        return ShellOutput::fail(
            1,
            format!(
                "Error response from daemon: Container {} is not running\n",
                c.id
            ),
        );
    };
    let place = Place {
        node,
        host: Some(hi),
        container: Some(c.id.clone()),
        label: format!("{}/{}", world.hosts[hi].name, c.name),
    };
    run_applet(world, &place, argv)
}

/// `docker run` without `-d` of a command that ends: the container starts, runs it once,
/// and the command's output and status are the run's; `--rm` removes the container after.
fn foreground_run(world: &mut World, hi: usize, line: &str, rm: bool) -> ShellOutput {
    let host = world.hosts[hi].name.clone();
    let before = world.hosts[hi].daemon.store.containers.len();
    let out = world.docker(&host, line);
    let started = ShellOutput::from_docker(&out);
    if started.exit_code != 0 || world.hosts[hi].daemon.store.containers.len() <= before {
        return started;
    }
    let Some(c) = world.hosts[hi].daemon.store.containers.last().cloned() else {
        return started;
    };
    let mut result = match (c.sandbox, c.state) {
        (Some(node), ContainerState::Running) => {
            let place = Place {
                node,
                host: Some(hi),
                container: Some(c.id.clone()),
                label: format!("{host}/{}", c.name),
            };
            run_applet(world, &place, &c.command)
        }
        _ => return started,
    };
    // The command ended: the container stops (and goes, with --rm).
    let end = if rm { "rm -f" } else { "stop" };
    world.docker(&host, &format!("docker {end} {}", c.id));
    result.stderr = format!("{}{}", started.stderr, result.stderr);
    result
}

/// Runs one applet where `place` says.
fn run_applet(world: &mut World, place: &Place, argv: &[String]) -> ShellOutput {
    let argv = applet_argv(argv);
    let Some(tool) = argv.first() else {
        return ShellOutput::ok("");
    };
    let rest = &argv[1..];
    match tool.as_str() {
        "ping" => ping::run(world, place, rest),
        "nc" => nc::run(world, place, rest),
        "wget" => wget::run(world, place, rest),
        "nslookup" => nslookup::run(world, place, rest),
        "ip" => ip::run(world, place, rest),
        "netstat" => netstat::run(world, place, rest),
        "cat" => files::cat(world, place, rest),
        "hostname" => files::hostname(world, place),
        "true" => ShellOutput::ok(""),
        other => ShellOutput::not_modelled(other),
    }
}

/// The IP stack of a place.
fn stack(world: &World, node: NodeId) -> Option<&crate::device::stack::IpStack> {
    world.engine.device(node).and_then(Device::as_stack)
}

/// A busybox duration option's value in seconds (`-W 1`, `-w 2`), as simulated time.
fn seconds(v: &str) -> Option<SimDuration> {
    v.parse::<u64>().ok().map(SimDuration::from_secs)
}

/// Whether `dst` can leave `node` at all: a local or loopback address, or a route to it.
/// Without one, the kernel refuses the send with ENETUNREACH.
fn routable(world: &World, node: NodeId, dst: std::net::Ipv4Addr) -> bool {
    dst.is_loopback()
        || stack(world, node).is_some_and(|s| s.is_local(dst) || s.route(dst).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn a_command_decides_what_a_container_listens_on() {
        assert_eq!(listeners(&argv("httpd -f -p 80")), [80]);
        assert_eq!(listeners(&argv("httpd -f -v -p 0.0.0.0:8080")), [8080]);
        assert_eq!(listeners(&argv("/bin/httpd -f")), [80]);
        assert_eq!(listeners(&argv("busybox httpd -f -p 81")), [81]);
        assert_eq!(listeners(&argv("nc -l -p 9000")), [9000]);
        assert_eq!(listeners(&argv("nc -lk -p 9001")), [9001]);
        assert_eq!(listeners(&argv("nc -lp 9002")), [9002]);
        assert!(listeners(&argv("nc -w 1 10.0.0.1 80")).is_empty());
        assert!(listeners(&argv("sleep 3600")).is_empty());
        assert!(listeners(&argv("sh")).is_empty());
        assert!(listeners(&[]).is_empty());
    }

    #[test]
    fn only_commands_that_end_run_in_the_foreground() {
        assert!(ends_by_itself(&argv("ip route")));
        assert!(ends_by_itself(&argv("/bin/cat /etc/hosts")));
        assert!(!ends_by_itself(&argv("sleep 3600")));
        assert!(!ends_by_itself(&argv("nc -l -p 80")));
        assert!(!ends_by_itself(&argv("httpd -f -p 80")));
        assert!(!ends_by_itself(&[]));
    }
}
