//! Runs a scenario's steps and writes the report: each step, what docker printed, each probe's
//! outcome and hop-by-hop trace, and whether every expectation held.

use super::build;
use super::world::{ProbeResult, World};
use crate::device::stack::probe::ProbeProto;
use crate::device::Outcome;
use crate::docker::daemon::CommandOutput;
use crate::scenario::{CommandExpectSpec, LoadedScenario, OutcomeSpec, ProtoSpec, StepSpec};
use crate::time::SimDuration;
use crate::wire;
use std::fmt::Write;

/// The result of running a scenario.
#[derive(Debug, Default)]
pub struct Report {
    pub text: String,
    /// One line per expectation that did not hold.
    pub failures: Vec<String>,
    /// Set when the run hit its event budget or time limit.
    pub limit_hit: Option<String>,
}

pub fn proto(p: ProtoSpec) -> ProbeProto {
    match p {
        ProtoSpec::Icmp => ProbeProto::Icmp,
        ProtoSpec::Tcp(n) => ProbeProto::Tcp(n),
        ProtoSpec::Udp(n) => ProbeProto::Udp(n),
    }
}

fn outcome(o: OutcomeSpec) -> Outcome {
    match o {
        OutcomeSpec::Delivered => Outcome::Delivered,
        OutcomeSpec::Refused => Outcome::Refused,
        OutcomeSpec::Dropped => Outcome::Dropped,
    }
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

/// Writes a probe's outcome line and its trace, one hop per line with the frame beneath.
pub fn write_probe(world: &World, r: &ProbeResult, out: &mut String) {
    let _ = writeln!(
        out,
        "  probe {} {} -> {} {}: {} ({})",
        r.id,
        r.from,
        r.to,
        r.proto,
        r.outcome.to_string().to_uppercase(),
        r.detail
    );
    if let Some((node, why)) = &r.drop {
        let _ = writeln!(out, "  dropped at {node}: {why}");
    }
    for h in &r.hops {
        let frame = match wire::parse(&h.bytes) {
            Ok(p) => p.to_string(),
            Err(e) => format!("({} bytes: {e})", h.bytes.len()),
        };
        let _ = writeln!(
            out,
            "    {} {:<24} {}",
            h.time,
            world.node_name(h.node),
            h.action.show(world.engine.syms())
        );
        let _ = writeln!(out, "    {:>9}  {frame}", "");
    }
}

fn write_command(out: &mut String, r: &CommandOutput) {
    if !r.stdout.is_empty() {
        out.push_str(&indent(&r.stdout, "  | "));
    }
    if let Some(e) = &r.error {
        out.push_str(&indent(e, "  ! "));
    }
    for n in &r.notes {
        let _ = writeln!(out, "  note: {n}");
    }
}

/// Builds the world of a loaded scenario and runs every step.
pub fn run(loaded: &LoadedScenario) -> Report {
    run_with(loaded, false)
}

/// Like `run`; with `show_config`, the report ends with the device configuration the control
/// plane compiled, as plain data.
pub fn run_with(loaded: &LoadedScenario, show_config: bool) -> Report {
    run_observed(loaded, show_config, &mut |_, _, _| {})
}

/// Like `run_with`, and also hands each `Probe` step's result to `observe`, with the world as
/// it is right after the probe and the step's index in `spec.steps` (`hnsim matrix` reads the
/// mechanisms of tagged probes this way).
pub fn run_observed(
    loaded: &LoadedScenario,
    show_config: bool,
    observe: &mut dyn FnMut(&World, usize, &ProbeResult),
) -> Report {
    let spec = &loaded.spec;
    let mut rep = Report::default();
    let out = &mut rep.text;
    let _ = writeln!(out, "scenario: {}", spec.title);
    let _ = writeln!(out, "file: {}  seed: {}", loaded.file, spec.seed);
    let mut world = match build::build(spec) {
        Ok(w) => w,
        Err(e) => {
            let _ = writeln!(out, "cannot build the fabric: {e}");
            rep.failures.push(format!("cannot build the fabric: {e}"));
            return rep;
        }
    };
    for h in &world.hosts {
        let nat = h
            .hns
            .networks
            .first()
            .map(|n| format!(", default nat {} gateway {}", n.pool.subnet, n.pool.gateway))
            .unwrap_or_default();
        let _ = writeln!(out, "host {}: {}{nat}", h.name, h.version.display_name());
        if let Some(e) = &h.daemon_error {
            let _ = writeln!(out, "  dockerd failed to start: {e}");
        }
    }
    out.push('\n');
    for (i, step) in spec.steps.iter().enumerate() {
        if let Some(stop) = world.stopped {
            let _ = writeln!(
                out,
                "run stopped: {stop:?} limit reached; the remaining steps did not run"
            );
            rep.limit_hit = Some(format!("{stop:?}"));
            break;
        }
        let (line, col) = loaded.step_positions.get(i).copied().unwrap_or((0, 0));
        let at = format!("{}:{line}:{col}", loaded.file);
        let _ = write!(out, "[{}] t={} ", i + 1, world.engine.now());
        match step {
            StepSpec::Note(text) => {
                let _ = writeln!(out, "note: {text}");
            }
            StepSpec::Docker { host, cmd, expect } => {
                let _ = writeln!(out, "{host}> {cmd}");
                let r = world.docker(host, cmd);
                write_command(out, &r);
                let probe = match &r.probe {
                    Some(p) => {
                        let container = docker_exec_container(cmd);
                        match world.exec_probe(host, &container, p.target.clone(), p.proto) {
                            Ok(pr) => {
                                write_probe(&world, &pr, out);
                                Some(pr.outcome)
                            }
                            Err(e) => {
                                let _ = writeln!(out, "  ! {e}");
                                None
                            }
                        }
                    }
                    None => None,
                };
                let verdict = match (
                    expect.as_ref().unwrap_or(&CommandExpectSpec::Succeeds),
                    &r.error,
                    probe,
                ) {
                    (CommandExpectSpec::Succeeds, None, _) => Ok(()),
                    (CommandExpectSpec::Succeeds, Some(e), _) => Err(format!(
                        "expected success, got: {}",
                        e.lines().next().unwrap_or_default()
                    )),
                    (CommandExpectSpec::Fails(text), Some(e), _) if e.contains(text.as_str()) => {
                        Ok(())
                    }
                    (CommandExpectSpec::Fails(text), Some(e), _) => {
                        Err(format!("expected an error containing {text:?}, got: {e}"))
                    }
                    (CommandExpectSpec::Fails(text), None, _) => Err(format!(
                        "expected an error containing {text:?}, but the command succeeded"
                    )),
                    (CommandExpectSpec::Probe(o), _, Some(got)) if outcome(*o) == got => Ok(()),
                    (CommandExpectSpec::Probe(o), _, got) => Err(format!(
                        "expected the probe to be {}, got {}",
                        outcome(*o),
                        got.map(|g| g.to_string())
                            .unwrap_or_else(|| "no probe".into())
                    )),
                };
                check(&mut rep.failures, out, &at, verdict, expect.is_some());
            }
            StepSpec::Probe {
                from,
                to,
                proto: p,
                expect,
                cell,
            } => match world.probe(from, to, proto(*p)) {
                Ok(r) => {
                    let tag = cell
                        .map(|c| format!(" (matrix cell {})", c.key()))
                        .unwrap_or_default();
                    let _ = writeln!(out, "probe {from} -> {to} {}{tag}", proto(*p));
                    write_probe(&world, &r, out);
                    observe(&world, i, &r);
                    let verdict = match expect {
                        Some(o) if outcome(*o) != r.outcome => Err(format!(
                            "expected {from} -> {to} {} to be {}, got {} ({})",
                            proto(*p),
                            outcome(*o),
                            r.outcome,
                            r.detail
                        )),
                        _ => Ok(()),
                    };
                    check(&mut rep.failures, out, &at, verdict, expect.is_some());
                }
                Err(e) => {
                    let _ = writeln!(out, "probe {from} -> {to}: cannot start: {e}");
                    check(
                        &mut rep.failures,
                        out,
                        &at,
                        Err(format!("probe {from} -> {to} could not start: {e}")),
                        true,
                    );
                }
            },
            StepSpec::Listen {
                host,
                container,
                services,
            } => {
                let (tcp, udp) = crate::scenario::split_services(services);
                let _ = writeln!(out, "listen {host}/{container} tcp {tcp:?} udp {udp:?}");
                let r = world.listen(host, container, &tcp, &udp);
                check(&mut rep.failures, out, &at, r, true);
            }
            StepSpec::HostEndpoint { host, network, ip } => {
                let _ = writeln!(
                    out,
                    "host endpoint on {host}: network {network}, address {}",
                    ip.as_deref().unwrap_or("(the gateway)")
                );
                let r = match ip.as_deref().map(str::parse::<std::net::Ipv4Addr>) {
                    Some(Err(_)) => Err(format!("{ip:?} is not an IPv4 address")),
                    parsed => world
                        .host_endpoint(host, network, parsed.and_then(Result::ok))
                        .map(|a| {
                            let _ =
                                writeln!(out, "  vEthernet ({network}) holds {a}; forwarding on");
                        }),
                };
                check(&mut rep.failures, out, &at, r, true);
            }
            StepSpec::Reboot { host } => {
                let _ = writeln!(out, "reboot {host}");
                let r = world.reboot(host);
                if let Some(h) = world.hosts.iter().find(|h| &h.name == host) {
                    let nets: Vec<String> = h
                        .daemon
                        .networks
                        .iter()
                        .map(|n| {
                            format!(
                                "{} ({})",
                                n.name,
                                n.ipam.first().map(|x| x.0.as_str()).unwrap_or("-")
                            )
                        })
                        .collect();
                    let _ = writeln!(out, "  after the reboot docker has: {}", nets.join(", "));
                }
                check(&mut rep.failures, out, &at, r, true);
            }
            StepSpec::LinkDown { link } | StepSpec::LinkUp { link } => {
                let up = matches!(step, StepSpec::LinkUp { .. });
                let _ = writeln!(out, "link {link} {}", if up { "up" } else { "down" });
                let r = world.set_link(link, up);
                check(&mut rep.failures, out, &at, r, true);
            }
            StepSpec::Wait { ms } => {
                let _ = writeln!(out, "wait {ms}ms");
                world.wait(SimDuration::from_millis(*ms));
            }
        }
    }
    if let Some(stop) = world.stopped {
        rep.limit_hit.get_or_insert_with(|| format!("{stop:?}"));
    }
    if show_config {
        out.push_str("\ncompiled configuration (what HNS programmed, as plain data):\n");
        out.push_str(&super::config_dump::dump(&world));
    }
    let s = world.engine.stats;
    let _ = writeln!(
        out,
        "\nsummary: {} steps, {} failed expectation(s); simulated {}; events={} frames_sent={} frames_dropped={}",
        spec.steps.len(),
        rep.failures.len(),
        world.engine.now(),
        s.events,
        s.frames_sent,
        s.frames_dropped
    );
    rep
}

fn check(
    failures: &mut Vec<String>,
    out: &mut String,
    at: &str,
    verdict: Result<(), String>,
    expected: bool,
) {
    match verdict {
        Ok(()) if expected => {
            let _ = writeln!(out, "  expectation: ok");
        }
        Ok(()) => {}
        Err(e) => {
            let _ = writeln!(out, "  EXPECTATION FAILED: {e}");
            failures.push(format!("{at}: {e}"));
        }
    }
}

/// The container named in `docker exec [OPTIONS] CONTAINER ...`.
fn docker_exec_container(cmd: &str) -> String {
    match crate::docker::cli::parse(cmd) {
        Ok(crate::docker::cli::DockerCommand::Exec { container, .. }) => container,
        _ => String::new(),
    }
}
