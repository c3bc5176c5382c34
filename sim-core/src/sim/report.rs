//! Runs a scenario's steps and writes the report: each step, what docker printed, each probe's
//! outcome and hop-by-hop trace, and whether every expectation held.
//!
//! A scheduled action (`At`) is written twice: where its step is read (`(scheduled)`), and
//! where it ran, inside the step that was running then: among the hops of the probe in flight
//! (by the order the engine ran them), or under the step. Actions still pending after the last
//! step run by letting time go on to them.
//!
//! Each probe that ran (a `Probe` step, or a `docker exec` step that sent one) is handed to an
//! observer as a `ProbeStep`, which can write itself exactly as the report does. `trace`
//! (`hnsim trace`) runs a scenario with one more probe and shows only that probe: its step as
//! text, or its part of the run log as JSON.

use super::build;
use super::machine::{self, CommandRecord, Expectation, MachineReport, StepRecord};
use super::path::{self, Path};
use super::scheduled::{ControlAction, Effect, Fired};
use super::world::{ProbeResult, World};
use crate::device::stack::probe::ProbeProto;
use crate::device::Outcome;
use crate::docker::daemon::CommandOutput;
use crate::engine::link::Impairment;
use crate::log::RunLog;
use crate::scenario::{
    CommandExpectSpec, LoadedScenario, MatrixCell, OutcomeSpec, ProtoSpec, StepSpec,
};
use crate::time::{SimDuration, SimTime};
use crate::wire;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The result of running a scenario.
#[derive(Debug, Default)]
pub struct Report {
    pub text: String,
    /// One line per expectation that did not hold.
    pub failures: Vec<String>,
    /// Set when the run hit a limit: the `limits` field it hit (`max_events`, `max_sim_time_ms`,
    /// `max_memory_mb`, `storm_copies`).
    pub limit_hit: Option<String>,
    /// When a broadcast storm or the memory bound stopped the run: why, in words.
    pub finding: Option<String>,
    /// The run as data, for `--format json` and `--junit` (with `RunOptions::machine`).
    pub machine: Option<MachineReport>,
}

/// The expectations checked so far: the failed ones as report lines, and every one as data.
#[derive(Default)]
struct Checks {
    failures: Vec<String>,
    list: Vec<Expectation>,
    /// The step being run: its number, kind of expectation and what it expects, in words.
    step: usize,
    kind: &'static str,
    expected: String,
}

impl Checks {
    /// Notes a verdict of the current step (one that states an expectation, or failed).
    fn record(&mut self, at: &str, verdict: Result<(), String>, expected: bool) {
        if let Err(e) = &verdict {
            self.failures.push(format!("{at}: {e}"));
        }
        if expected || verdict.is_err() {
            self.list.push(Expectation {
                step: self.step,
                at: at.to_string(),
                kind: self.kind,
                expected: self.expected.clone(),
                ok: verdict.is_ok(),
                message: verdict.err(),
            });
        }
    }

    /// Notes the verdict of a scheduled action, under the `At` step that scheduled it.
    fn record_scheduled(
        &mut self,
        step: &ScheduledStep,
        verdict: Result<(), String>,
        expected: bool,
    ) {
        if let Err(e) = &verdict {
            self.failures.push(format!("{}: {e}", step.at));
        }
        if expected || verdict.is_err() {
            self.list.push(Expectation {
                step: step.number,
                at: step.at.clone(),
                kind: "scheduled",
                expected: command_expectation(step.expect),
                ok: verdict.is_ok(),
                message: verdict.err(),
            });
        }
    }
}

/// What a docker or shell step expects, in words.
fn command_expectation(expect: Option<&CommandExpectSpec>) -> String {
    match expect {
        None | Some(CommandExpectSpec::Succeeds) => "succeeds".into(),
        Some(CommandExpectSpec::Fails(text)) => format!("fails with {text:?}"),
        Some(CommandExpectSpec::Probe(o)) => format!("its probe is {}", outcome(*o)),
    }
}

/// What a step expects, in words, and the kind of expectation it is.
fn step_expectation(step: &StepSpec) -> (&'static str, String) {
    match step {
        StepSpec::Docker { expect, .. } => ("docker", command_expectation(expect.as_ref())),
        StepSpec::Shell { expect, .. } => ("shell", command_expectation(expect.as_ref())),
        StepSpec::Probe {
            from,
            to,
            proto: p,
            expect,
            ..
        } => (
            "probe",
            match expect {
                Some(o) => format!("{from} -> {to} {} is {}", proto(*p), outcome(*o)),
                None => format!("{from} -> {to} {} runs", proto(*p)),
            },
        ),
        other => (
            "step",
            format!("{} succeeds", step_kind(other).replace('_', " ")),
        ),
    }
}

/// A step's kind in the JSON report.
fn step_kind(step: &StepSpec) -> &'static str {
    match step {
        StepSpec::Docker { .. } => "docker",
        StepSpec::Shell { .. } => "shell",
        StepSpec::Probe { .. } => "probe",
        StepSpec::Note(_) => "note",
        StepSpec::Listen { .. } => "listen",
        StepSpec::HostEndpoint { .. } => "host_endpoint",
        StepSpec::Reboot { .. } => "reboot",
        StepSpec::LinkDown { .. } => "link_down",
        StepSpec::LinkUp { .. } => "link_up",
        StepSpec::NicDown { .. } => "nic_down",
        StepSpec::NicUp { .. } => "nic_up",
        StepSpec::Impair { .. } => "impair",
        StepSpec::Partition { .. } => "partition",
        StepSpec::Heal { .. } => "heal",
        StepSpec::HostDown { .. } => "host_down",
        StepSpec::HostUp { .. } => "host_up",
        StepSpec::RestartService { .. } => "restart_service",
        StepSpec::Wait { .. } => "wait",
        StepSpec::At { .. } => "at",
    }
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
/// `write_fired(k, out)` writes the scheduled action `World::fired()[k]` that ran while the
/// probe was in flight, at its place among the hops.
pub fn write_probe(
    world: &World,
    r: &ProbeResult,
    cut: TraceCut,
    out: &mut String,
    write_fired: &mut dyn FnMut(usize, &mut String),
) {
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
    if let Some(stop) = r.stopped {
        let _ = writeln!(out, "  run stopped: {}", stop_words(world, stop));
    }
    if let Some(line) = machine::resolved_line(r) {
        let _ = writeln!(out, "  name: {line}");
    }
    let path = probe_path(world, r);
    let line = path.line();
    let outcome = r.outcome.to_string().to_uppercase();
    match path.of {
        "packet" => {
            let _ = writeln!(out, "  path: {line}: {outcome}");
        }
        "dns_lookup" => {
            let _ = writeln!(out, "  path (of its DNS lookup): {line}: {outcome}");
        }
        "drop" => {
            let _ = writeln!(out, "  path (nothing left it): {line}: {outcome}");
        }
        _ => {
            let _ = writeln!(out, "  path: none, no frame was sent: {outcome}");
        }
    }
    let first = if cut.first_packet {
        Some(path::first_packet_hops(&r.hops, r.proto))
    } else {
        None
    };
    let mut fired = r.fired.iter().peekable();
    for (i, h) in r.hops.iter().enumerate() {
        while let Some((_, k)) = fired.next_if(|(before, _)| *before <= i) {
            write_fired(*k, out);
        }
        if (cut.no_arp && path::is_arp(h)) || first.as_ref().is_some_and(|f| !f.contains(&i)) {
            continue;
        }
        let frame = match wire::parse(&h.bytes) {
            Ok(p) => p.to_string(),
            Err(e) => format!("({} bytes: {e})", h.bytes.len()),
        };
        let node = r
            .hop_nodes
            .get(i)
            .cloned()
            .unwrap_or_else(|| world.node_name(h.node));
        let _ = writeln!(
            out,
            "    {} {:<24} {}",
            h.time,
            node,
            h.action.show(world.engine.syms())
        );
        let _ = writeln!(out, "    {:>9}  {frame}", "");
    }
    if r.hops_left_out > 0 {
        let _ = writeln!(
            out,
            "    ... and {} more hop(s), left out: a trace keeps the first {} hops of a probe (limits.max_trace_hops)",
            r.hops_left_out,
            world.engine.limits.max_trace_hops
        );
    }
    for (_, k) in fired {
        write_fired(*k, out);
    }
}

/// The name of each of a probe's hops' nodes, as it was when the hop was recorded.
fn hop_names(world: &World, r: &ProbeResult) -> Vec<String> {
    r.hops
        .iter()
        .enumerate()
        .map(|(i, h)| {
            r.hop_nodes
                .get(i)
                .cloned()
                .unwrap_or_else(|| world.node_name(h.node))
        })
        .collect()
}

/// The path of a probe's first packet (`sim::path`).
pub fn probe_path(world: &World, r: &ProbeResult) -> Path {
    path::path(&r.hops, &hop_names(world, r), r.proto, world.engine.syms())
}

/// Which hops a trace shows (`--no-arp`, `--first-packet`); the path line is always whole.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceCut {
    /// Leave out address resolution: ARP events and frames that are ARP.
    pub no_arp: bool,
    /// Show only the hops of the probe's first packet (the request, not its DNS lookup, its
    /// ARP or the answer).
    pub first_packet: bool,
}

fn write_command(out: &mut String, r: &CommandOutput) {
    write_command_under(out, "  ", r);
}

/// What docker printed, each line under `prefix`: `| ` for stdout, `! ` for errors.
fn write_command_under(out: &mut String, prefix: &str, r: &CommandOutput) {
    if !r.stdout.is_empty() {
        out.push_str(&indent(&r.stdout, &format!("{prefix}| ")));
    }
    for w in &r.warnings {
        let _ = writeln!(out, "{prefix}! WARNING: {w}");
    }
    if let Some(e) = &r.error {
        out.push_str(&indent(e, &format!("{prefix}! ")));
    }
    for n in &r.notes {
        let _ = writeln!(out, "{prefix}note: {n}");
    }
}

/// The `At` step that scheduled an action.
struct ScheduledStep<'a> {
    /// Its number in the report (`[7]`).
    number: usize,
    /// Its place in the file, for failed expectations.
    at: String,
    expect: Option<&'a CommandExpectSpec>,
}

/// The report's side of scheduled actions: which step scheduled each token, and how many of
/// the actions that ran are written already (they are written in the order they ran).
#[derive(Default)]
struct Schedule<'a> {
    steps: BTreeMap<u64, ScheduledStep<'a>>,
    written: usize,
}

/// Where a scheduled action is written: among a probe's hops, or under a step.
#[derive(Clone, Copy)]
enum Place {
    Trace,
    Step,
}

impl Schedule<'_> {
    /// Writes the action that ran as `world.fired()[k]` (see `write_fired`) and counts it as
    /// written (see `note_fired`).
    fn write(
        &mut self,
        world: &World,
        k: usize,
        place: Place,
        out: &mut String,
        checks: &mut Checks,
    ) {
        self.write_fired(world, k, place, out);
        self.note_fired(world, k, checks);
    }

    /// Counts the action that ran as `world.fired()[k]` as written, and lists its failed
    /// expectation, if any.
    fn note_fired(&mut self, world: &World, k: usize, checks: &mut Checks) {
        let Some(f) = world.fired().get(k) else {
            return;
        };
        self.written = self.written.max(k + 1);
        let Some(step) = self.steps.get(&f.token) else {
            return;
        };
        let (verdict, expected) = fired_verdict(f, step.expect);
        checks.record_scheduled(step, verdict, expected);
    }

    /// Writes the action that ran as `world.fired()[k]`: when it ran, what happened, what
    /// docker printed, and whether its expectation held.
    fn write_fired(&self, world: &World, k: usize, place: Place, out: &mut String) {
        let Some(f) = world.fired().get(k) else {
            return;
        };
        let Some(step) = self.steps.get(&f.token) else {
            return;
        };
        let by = format!("scheduled by [{}]", step.number);
        let prefix = match place {
            Place::Trace => {
                let _ = writeln!(out, "    {} {by:<24} {}", f.time, f.headline());
                format!("    {:>9}  ", "")
            }
            Place::Step => {
                let _ = writeln!(out, "  t={} {} ({by})", f.time, f.headline());
                "  ".to_string()
            }
        };
        let (verdict, expected) = fired_verdict(f, step.expect);
        write_effect(out, &prefix, &f.effect);
        write_check(out, &prefix, &verdict, expected);
    }

    /// Writes, under the step, every action that ran and is not written yet.
    fn write_rest(&mut self, world: &World, out: &mut String, checks: &mut Checks) {
        for k in self.written..world.fired().len() {
            self.write(world, k, Place::Step, out, checks);
        }
    }
}

/// The lines under an action's headline: what docker printed, what a reboot or a restart
/// kept and lost.
fn write_effect(out: &mut String, prefix: &str, effect: &Effect) {
    match effect {
        Effect::Docker(r) => write_command_under(out, prefix, r),
        Effect::Rebooted { networks, .. } => {
            let _ = writeln!(out, "{prefix}after the reboot docker has: {networks}");
        }
        Effect::HostBack { networks, .. } => {
            let _ = writeln!(out, "{prefix}after the boot docker has: {networks}");
        }
        Effect::Restarted { kept, lost, .. } => {
            let _ = writeln!(out, "{prefix}kept: {kept}");
            let _ = writeln!(out, "{prefix}lost: {lost}");
        }
        Effect::Link { .. } | Effect::Links { .. } | Effect::Impaired | Effect::Failed(_) => {}
    }
}

/// Whether an action that ran did what its step expects, and whether that is worth an
/// `expectation: ok` line (only for a docker step that states an expectation).
fn fired_verdict(f: &Fired, expect: Option<&CommandExpectSpec>) -> (Result<(), String>, bool) {
    match &f.effect {
        Effect::Docker(r) => (docker_verdict(expect, &r.error, None), expect.is_some()),
        Effect::Link { .. } | Effect::Links { .. } | Effect::Impaired => (Ok(()), false),
        Effect::Rebooted { error, .. }
        | Effect::HostBack { error, .. }
        | Effect::Restarted { error, .. } => (error.clone().map_or(Ok(()), Err), false),
        Effect::Failed(e) => (Err(format!("{}: {e}", f.action)), false),
    }
}

/// The action an `At` step schedules (`None` for a step that cannot be scheduled, which the
/// loader refuses).
fn control_action(step: &StepSpec) -> Option<ControlAction> {
    Some(match step {
        StepSpec::Docker { host, cmd, .. } => ControlAction::Docker {
            host: host.clone(),
            cmd: cmd.clone(),
        },
        StepSpec::LinkDown { link } | StepSpec::LinkUp { link } => ControlAction::Link {
            link: link.clone(),
            up: matches!(step, StepSpec::LinkUp { .. }),
        },
        StepSpec::NicDown { host, nic } | StepSpec::NicUp { host, nic } => ControlAction::Nic {
            host: host.clone(),
            nic: nic.clone(),
            up: matches!(step, StepSpec::NicUp { .. }),
        },
        StepSpec::Reboot { host } => ControlAction::Reboot { host: host.clone() },
        StepSpec::Impair {
            link,
            loss,
            latency_ms,
            jitter_ms,
            duplicate,
            reorder,
        } => ControlAction::Impair {
            link: link.clone(),
            faults: Impairment {
                loss: *loss,
                latency: SimDuration::from_millis(*latency_ms),
                jitter: SimDuration::from_millis(*jitter_ms),
                duplicate: *duplicate,
                reorder: *reorder,
            },
        },
        StepSpec::Partition { name, links, nodes } => ControlAction::Partition {
            name: name.clone(),
            links: links.clone(),
            nodes: nodes.clone(),
        },
        StepSpec::Heal { name } => ControlAction::Heal { name: name.clone() },
        StepSpec::HostDown { host } | StepSpec::HostUp { host } => ControlAction::Host {
            host: host.clone(),
            up: matches!(step, StepSpec::HostUp { .. }),
        },
        StepSpec::RestartService { host, service } => ControlAction::RestartService {
            host: host.clone(),
            service: *service,
        },
        _ => return None,
    })
}

/// Whether a docker command did what its step expects (`Succeeds` when it states nothing).
/// What a shell line printed, as docker output is shown: `| ` before each stdout line,
/// `! ` before each stderr line, then the exit status when it is not 0.
fn write_shell(out: &mut String, r: &crate::shell::ShellOutput) {
    if !r.stdout.is_empty() {
        out.push_str(&indent(&r.stdout, "  | "));
    }
    if !r.stderr.is_empty() {
        out.push_str(&indent(&r.stderr, "  ! "));
    }
    if r.exit_code != 0 {
        let _ = writeln!(out, "  exit status {}", r.exit_code);
    }
}

/// Whether a shell line ended as its step expected: `Succeeds` is status 0, `Fails(text)` a
/// non-zero status with `text` in what it printed, `Probe(Delivered)` status 0 and any other
/// probe outcome a non-zero status (the tools' own convention).
fn shell_verdict(
    expect: Option<&CommandExpectSpec>,
    r: &crate::shell::ShellOutput,
) -> Result<(), String> {
    let first = |s: &str| s.lines().next().unwrap_or_default().to_string();
    match expect.unwrap_or(&CommandExpectSpec::Succeeds) {
        CommandExpectSpec::Succeeds if r.exit_code == 0 => Ok(()),
        CommandExpectSpec::Succeeds => Err(format!(
            "expected exit status 0, got {}: {}",
            r.exit_code,
            first(&r.stderr)
        )),
        CommandExpectSpec::Fails(text) if r.exit_code == 0 => Err(format!(
            "expected a failure with {text:?}, but the command succeeded"
        )),
        CommandExpectSpec::Fails(text)
            if r.stderr.contains(text.as_str()) || r.stdout.contains(text.as_str()) =>
        {
            Ok(())
        }
        CommandExpectSpec::Fails(text) => Err(format!(
            "expected a failure with {text:?}, got status {}: {}",
            r.exit_code,
            first(&r.stderr)
        )),
        CommandExpectSpec::Probe(o) => {
            let delivered = r.exit_code == 0;
            if delivered == (outcome(*o) == Outcome::Delivered) {
                Ok(())
            } else {
                Err(format!(
                    "expected the probe to be {}, but the command ended with status {}",
                    outcome(*o),
                    r.exit_code
                ))
            }
        }
    }
}

/// A docker error as one failure line: every line of it (the daemon's reason is not always on
/// the first one), blank lines left out, joined by ` / `.
fn whole_error(e: &str) -> String {
    e.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

fn docker_verdict(
    expect: Option<&CommandExpectSpec>,
    error: &Option<String>,
    probe: Option<Outcome>,
) -> Result<(), String> {
    match (expect.unwrap_or(&CommandExpectSpec::Succeeds), error, probe) {
        (CommandExpectSpec::Succeeds, None, _) => Ok(()),
        (CommandExpectSpec::Succeeds, Some(e), _) => {
            Err(format!("expected success, got: {}", whole_error(e)))
        }
        (CommandExpectSpec::Fails(text), Some(e), _) if e.contains(text.as_str()) => Ok(()),
        (CommandExpectSpec::Fails(text), Some(e), _) => Err(format!(
            "expected an error containing {text:?}, got: {}",
            whole_error(e)
        )),
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
    }
}

/// A step that ran a probe, with the world as it is right after the probe.
pub struct ProbeStep<'a> {
    pub world: &'a World,
    /// The step's index in `spec.steps`.
    pub index: usize,
    /// When the step began (the `t=` of its `[n]` line).
    pub started: SimTime,
    pub result: &'a ProbeResult,
    /// The `docker exec` that sent the probe, or `None` for a `Probe` step.
    pub exec: Option<ExecStep<'a>>,
    cell: Option<MatrixCell>,
    /// The probe's name (a `Probe` step's `name`).
    pub name: Option<&'a str>,
    cut: TraceCut,
    schedule: &'a Schedule<'a>,
}

/// A `docker exec` step whose command sent a probe.
#[derive(Clone, Copy)]
pub struct ExecStep<'a> {
    pub host: &'a str,
    pub cmd: &'a str,
    /// What docker printed.
    pub output: &'a CommandOutput,
}

impl ProbeStep<'_> {
    /// Writes the step as the report does: `[n] t=... probe FROM -> TO PROTO` (or the
    /// `docker exec` line and what docker printed), the outcome and the trace, with the
    /// scheduled actions that ran while the probe was in flight among its hops. (The report
    /// adds the line saying whether its expectation held.)
    pub fn write(&self, out: &mut String) {
        let _ = write!(out, "[{}] t={} ", self.index + 1, self.started);
        match self.exec {
            Some(e) => {
                let _ = writeln!(out, "{}> {}", e.host, e.cmd);
                write_command(out, e.output);
                write_probe(self.world, self.result, self.cut, out, &mut |k, out| {
                    self.schedule.write_fired(self.world, k, Place::Trace, out)
                });
            }
            None => self.write_body(out),
        }
    }

    /// A `Probe` step after its `[n] t=... ` prefix.
    fn write_body(&self, out: &mut String) {
        let r = self.result;
        let tag = self
            .cell
            .map(|c| format!(" (matrix cell {})", c.key()))
            .unwrap_or_default();
        let named = self.name.map(|n| format!("{n:?}: ")).unwrap_or_default();
        let _ = writeln!(out, "probe {named}{} -> {} {}{tag}", r.from, r.to, r.proto);
        write_probe(self.world, r, self.cut, out, &mut |k, out| {
            self.schedule.write_fired(self.world, k, Place::Trace, out)
        });
    }
}

/// How to run a scenario.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// End the report with the device configuration the control plane compiled, as plain
    /// data (`hnsim run --config`).
    pub show_config: bool,
    /// Record every frame handed to a link from the start (`Engine::record_frames`), for
    /// the run log.
    pub record_frames: bool,
    /// Fill `Report::machine`: the run as data (`--format json`, `--junit`). Turns frame
    /// recording on, for the link each hop came in over.
    pub machine: bool,
    /// Which hops the report's traces show.
    pub cut: TraceCut,
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
/// mechanisms of tagged probes this way). Probes sent by `docker exec` are not handed on.
pub fn run_observed(
    loaded: &LoadedScenario,
    show_config: bool,
    observe: &mut dyn FnMut(&World, usize, &ProbeResult),
) -> Report {
    let opts = RunOptions {
        show_config,
        ..RunOptions::default()
    };
    run_world(loaded, opts, &mut |s| {
        if s.exec.is_none() {
            observe(s.world, s.index, s.result)
        }
    })
    .0
}

/// How `trace` shows its probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    /// The probe's step as the report writes it.
    Text,
    /// The probe's part of the run log (`log::RunLog::of_probe`) as JSON, frames on links
    /// included.
    Json,
}

/// What `trace` shows.
#[derive(Debug)]
pub struct Trace {
    /// The whole run's report: its failed expectations and any limit it hit.
    pub report: Report,
    /// The extra probe, in the format asked for; `None` if it never ran (the run stopped at
    /// a limit first, or the probe could not start: see the report's failures).
    pub shown: Option<String>,
}

/// The `limits` field a run stopped at, as the scenario file names it.
fn limit_name(stop: crate::engine::RunStop) -> &'static str {
    stop.limit_field().unwrap_or("run")
}

/// Why a run stopped, in words: the storm the engine found, or the limit it reached.
fn stop_words(world: &World, stop: crate::engine::RunStop) -> String {
    match (stop, world.engine.storm()) {
        (crate::engine::RunStop::Storm, Some(finding)) => finding.to_string(),
        (crate::engine::RunStop::MemoryLimit, _) => format!(
            "the max_memory_mb limit was reached: the run kept more than {} MiB of trace hops, \
             frame copies and queued frames",
            world.engine.limits.max_memory_bytes >> 20
        ),
        _ => format!("the {} limit was reached", limit_name(stop)),
    }
}

/// Runs a scenario's steps, then one more probe from `from` to `to`, and shows that probe on
/// its own (`hnsim trace`).
pub fn trace(
    mut loaded: LoadedScenario,
    from: &str,
    to: &str,
    proto: ProtoSpec,
    format: TraceFormat,
    cut: TraceCut,
) -> Trace {
    loaded.spec.steps.push(StepSpec::Probe {
        from: from.to_string(),
        to: to.to_string(),
        proto,
        expect: None,
        cell: None,
        name: None,
    });
    let last = loaded.spec.steps.len() - 1;
    let opts = RunOptions {
        record_frames: format == TraceFormat::Json,
        cut,
        ..RunOptions::default()
    };
    let mut shown = None;
    let (report, _) = run_world(&loaded, opts, &mut |step| {
        if step.index != last {
            return;
        }
        shown = Some(match format {
            TraceFormat::Text => {
                let mut s = String::new();
                step.write(&mut s);
                s
            }
            TraceFormat::Json => RunLog::of_probe(&step.world.engine, step.result.id).to_json(),
        });
    });
    Trace { report, shown }
}

/// Runs a loaded scenario as `opts` say, hands each probe that ran (of a `Probe` step or a
/// `docker exec` step) to `observe`, and returns the report and the world as the run left it
/// (none if the fabric could not be built).
pub fn run_world(
    loaded: &LoadedScenario,
    opts: RunOptions,
    observe: &mut dyn FnMut(&ProbeStep),
) -> (Report, Option<World>) {
    let spec = &loaded.spec;
    let mut rep = Report::default();
    let out = &mut rep.text;
    let _ = writeln!(out, "scenario: {}", spec.title);
    let _ = writeln!(out, "file: {}  seed: {}", loaded.file, spec.seed);
    let mut machine = opts.machine.then(|| MachineReport {
        schema: "hnsim-report",
        version: machine::REPORT_VERSION,
        scenario: machine::ScenarioInfo {
            title: spec.title.clone(),
            file: loaded.file.clone(),
            seed: spec.seed,
        },
        ..MachineReport::default()
    });
    let mut checks = Checks::default();
    let mut world = match build::build_recording(spec, opts.record_frames || opts.machine) {
        Ok(w) => w,
        Err(e) => {
            let _ = writeln!(out, "cannot build the fabric: {e}");
            rep.failures.push(format!("cannot build the fabric: {e}"));
            if let Some(m) = &mut machine {
                m.expectations.push(Expectation {
                    at: loaded.file.clone(),
                    kind: "step",
                    expected: "the fabric builds".into(),
                    message: Some(format!("cannot build the fabric: {e}")),
                    ..Expectation::default()
                });
                m.summary.failed = 1;
            }
            rep.machine = machine;
            return (rep, None);
        }
    };
    for h in &world.hosts {
        let nat = h
            .hns()
            .and_then(|hns| hns.networks.first())
            .map(|n| format!(", default nat {} gateway {}", n.pool.subnet, n.pool.gateway))
            .unwrap_or_default();
        let _ = writeln!(out, "host {}: {}{nat}", h.name, h.os);
        if let Some(m) = &mut machine {
            m.hosts.push(machine::HostInfo {
                name: h.name.clone(),
                os: h.os.to_string(),
                daemon_error: h.daemon_error.clone(),
            });
        }
        if let Some(e) = &h.daemon_error {
            let _ = writeln!(out, "  dockerd failed to start: {e}");
        }
    }
    out.push('\n');
    let mut schedule = Schedule::default();
    for (i, step) in spec.steps.iter().enumerate() {
        if let Some(stop) = world.stopped {
            let _ = writeln!(
                out,
                "run stopped: {}; the remaining steps did not run",
                stop_words(&world, stop)
            );
            rep.limit_hit = Some(limit_name(stop).to_string());
            break;
        }
        let (line, col) = loaded.step_positions.get(i).copied().unwrap_or((0, 0));
        let at = format!("{}:{line}:{col}", loaded.file);
        let started = world.engine.now();
        let _ = write!(out, "[{}] t={started} ", i + 1);
        let head = out.len();
        let fired_before = world.fired().len();
        (checks.kind, checks.expected) = step_expectation(step);
        checks.step = i + 1;
        let mut record = StepRecord {
            number: i + 1,
            at: at.clone(),
            time_ns: started.as_nanos(),
            kind: step_kind(step),
            ..StepRecord::default()
        };
        match step {
            StepSpec::Note(text) => {
                let _ = writeln!(out, "note: {text}");
            }
            StepSpec::Docker { host, cmd, expect } => {
                let _ = writeln!(out, "{host}> {cmd}");
                // A Linux container's command: what it printed, and the probes it sent.
                if let Some(done) = crate::shell::busybox::report_step(&mut world, host, cmd) {
                    out.push_str(&done.lines());
                    if machine.is_some() {
                        record.output = Some(CommandRecord::docker(&done.command));
                    }
                    let mut last = None;
                    for pr in &done.probes {
                        write_probe(&world, pr, opts.cut, out, &mut |k, out| {
                            schedule.write(&world, k, Place::Trace, out, &mut checks)
                        });
                        observe(&ProbeStep {
                            world: &world,
                            index: i,
                            started,
                            result: pr,
                            exec: Some(ExecStep {
                                host,
                                cmd,
                                output: &done.command,
                            }),
                            cell: None,
                            name: None,
                            cut: opts.cut,
                            schedule: &schedule,
                        });
                        if machine.is_some() {
                            let path = probe_path(&world, pr);
                            record
                                .probes
                                .push(machine::probe_record(&world, pr, None, &path));
                        }
                        last = Some(pr.outcome);
                    }
                    let verdict = docker_verdict(expect.as_ref(), &done.command.error, last);
                    check(&mut checks, out, &at, verdict, expect.is_some());
                } else {
                    let r = world.docker(host, cmd);
                    write_command(out, &r);
                    if machine.is_some() {
                        record.output = Some(CommandRecord::docker(&r));
                    }
                    let probe = match &r.probe {
                        Some(p) => {
                            let container = docker_exec_container(cmd);
                            match world.exec_probe(host, &container, p.target.clone(), p.proto) {
                                Ok(pr) => {
                                    write_probe(&world, &pr, opts.cut, out, &mut |k, out| {
                                        schedule.write(&world, k, Place::Trace, out, &mut checks)
                                    });
                                    observe(&ProbeStep {
                                        world: &world,
                                        index: i,
                                        started,
                                        result: &pr,
                                        exec: Some(ExecStep {
                                            host,
                                            cmd,
                                            output: &r,
                                        }),
                                        cell: None,
                                        name: None,
                                        cut: opts.cut,
                                        schedule: &schedule,
                                    });
                                    if machine.is_some() {
                                        let path = probe_path(&world, &pr);
                                        record
                                            .probes
                                            .push(machine::probe_record(&world, &pr, None, &path));
                                    }
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
                    let verdict = docker_verdict(expect.as_ref(), &r.error, probe);
                    check(&mut checks, out, &at, verdict, expect.is_some());
                }
            }
            StepSpec::Shell { on, cmd, expect } => {
                let _ = writeln!(out, "{on}$ {cmd}");
                let r = world.shell(on, cmd);
                write_shell(out, &r);
                if machine.is_some() {
                    record.output = Some(CommandRecord::shell(&r));
                }
                let verdict = shell_verdict(expect.as_ref(), &r);
                check(&mut checks, out, &at, verdict, expect.is_some());
            }
            StepSpec::Probe {
                from,
                to,
                proto: p,
                expect,
                cell,
                name,
            } => match world.probe(from, to, proto(*p)) {
                Ok(r) => {
                    let step = ProbeStep {
                        world: &world,
                        index: i,
                        started,
                        result: &r,
                        exec: None,
                        cell: *cell,
                        name: name.as_deref(),
                        cut: opts.cut,
                        schedule: &schedule,
                    };
                    step.write_body(out);
                    observe(&step);
                    if machine.is_some() {
                        let path = probe_path(&world, &r);
                        record.probes.push(machine::probe_record(
                            &world,
                            &r,
                            name.as_deref(),
                            &path,
                        ));
                    }
                    for (_, k) in &r.fired {
                        schedule.note_fired(&world, *k, &mut checks);
                    }
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
                    check(&mut checks, out, &at, verdict, expect.is_some());
                }
                Err(e) => {
                    let _ = writeln!(out, "probe {from} -> {to}: cannot start: {e}");
                    check(
                        &mut checks,
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
                check(&mut checks, out, &at, r, true);
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
                check(&mut checks, out, &at, r, true);
            }
            StepSpec::Reboot { host } => {
                let _ = writeln!(out, "reboot {host}");
                let r = world.reboot(host);
                if let Some(nets) = world.docker_networks(host) {
                    let _ = writeln!(out, "  after the reboot docker has: {nets}");
                }
                check(&mut checks, out, &at, r, true);
            }
            StepSpec::LinkDown { link } | StepSpec::LinkUp { link } => {
                let up = matches!(step, StepSpec::LinkUp { .. });
                let _ = writeln!(out, "link {link} {}", if up { "up" } else { "down" });
                let r = world.set_link(link, up);
                check(&mut checks, out, &at, r, true);
            }
            StepSpec::NicDown { host, nic } | StepSpec::NicUp { host, nic } => {
                let up = matches!(step, StepSpec::NicUp { .. });
                let action = ControlAction::Nic {
                    host: host.clone(),
                    nic: nic.clone(),
                    up,
                };
                let _ = writeln!(out, "{action}");
                let r = world.set_nic(host, nic, up).map(|link| {
                    let _ = writeln!(
                        out,
                        "  its cable, link {link}, is {}",
                        if up { "up" } else { "down" }
                    );
                });
                check(&mut checks, out, &at, r, true);
            }
            StepSpec::Impair { .. }
            | StepSpec::Partition { .. }
            | StepSpec::Heal { .. }
            | StepSpec::HostDown { .. }
            | StepSpec::HostUp { .. }
            | StepSpec::RestartService { .. } => {
                // A fault step run now: the same action an `At` would run, written the same.
                if let Some(action) = control_action(step) {
                    let _ = writeln!(out, "{action}");
                    let effect = world.perform(&action);
                    let fired = Fired {
                        token: 0,
                        time: world.engine.now(),
                        action,
                        trace_len: 0,
                        effect,
                    };
                    let _ = writeln!(out, "  {}", fired.headline());
                    write_effect(out, "  ", &fired.effect);
                    let (verdict, _) = fired_verdict(&fired, None);
                    check(&mut checks, out, &at, verdict, true);
                }
            }
            StepSpec::Wait { ms } => {
                let _ = writeln!(out, "wait {ms}ms");
                world.wait(SimDuration::from_millis(*ms));
            }
            StepSpec::At { ms, step: inner } => {
                let when = SimTime(ms.saturating_mul(1_000_000));
                match control_action(inner) {
                    Some(action) => {
                        let _ = writeln!(out, "at t={when}: {action} (scheduled)");
                        let expect = match inner.as_ref() {
                            StepSpec::Docker { expect, .. } => expect.as_ref(),
                            _ => None,
                        };
                        match world.schedule(when, action) {
                            Ok(token) => {
                                schedule.steps.insert(
                                    token,
                                    ScheduledStep {
                                        number: i + 1,
                                        at: at.clone(),
                                        expect,
                                    },
                                );
                                if when == world.engine.now() {
                                    world.run_due();
                                }
                            }
                            Err(e) => check(&mut checks, out, &at, Err(e), true),
                        }
                    }
                    None => {
                        let e = "this step cannot be scheduled".to_string();
                        let _ = writeln!(out, "at t={when}: {e}");
                        check(&mut checks, out, &at, Err(e), true);
                    }
                }
            }
        }
        schedule.write_rest(&world, out, &mut checks);
        if let Some(m) = &mut machine {
            record.line = out[head..].lines().next().unwrap_or_default().to_string();
            record.scheduled = scheduled_records(&world, &schedule, fired_before);
            m.steps.push(record);
        }
    }
    if world.stopped.is_none() && world.pending_scheduled() > 0 {
        let _ = writeln!(
            out,
            "after the last step, t={}: time runs on to {} scheduled step(s)",
            world.engine.now(),
            world.pending_scheduled()
        );
        world.run_scheduled();
        schedule.write_rest(&world, out, &mut checks);
        if let Some(stop) = world.stopped {
            let _ = writeln!(out, "run stopped: {}", stop_words(&world, stop));
        }
    }
    if let Some(stop) = world.stopped {
        rep.limit_hit
            .get_or_insert_with(|| limit_name(stop).to_string());
        if matches!(
            stop,
            crate::engine::RunStop::Storm | crate::engine::RunStop::MemoryLimit
        ) {
            rep.finding = Some(stop_words(&world, stop));
        }
    }
    if opts.show_config {
        out.push_str("\ncompiled configuration (what HNS programmed, as plain data):\n");
        out.push_str(&super::config_dump::dump(&world));
    }
    let s = world.engine.stats;
    let _ = writeln!(
        out,
        "\nsummary: {} steps, {} failed expectation(s); simulated {}; events={} frames_sent={} frames_dropped={}",
        spec.steps.len(),
        checks.failures.len(),
        world.engine.now(),
        s.events,
        s.frames_sent,
        s.frames_dropped
    );
    rep.failures = checks.failures;
    if let Some(mut m) = machine {
        m.expectations = checks.list;
        m.limit_hit = rep.limit_hit.clone();
        m.finding = rep.finding.clone();
        m.summary = machine::Summary {
            steps: spec.steps.len(),
            failed: rep.failures.len(),
            sim_time_ns: world.engine.now().as_nanos(),
            events: s.events,
            frames_sent: s.frames_sent,
            frames_dropped: s.frames_dropped,
        };
        rep.machine = Some(m);
    }
    (rep, Some(world))
}

/// The scheduled actions that ran since `world.fired()[from]`, as data.
fn scheduled_records(
    world: &World,
    schedule: &Schedule,
    from: usize,
) -> Vec<machine::ScheduledRecord> {
    world.fired()[from.min(world.fired().len())..]
        .iter()
        .map(|f| machine::ScheduledRecord {
            by_step: schedule.steps.get(&f.token).map_or(0, |s| s.number),
            time_ns: f.time.as_nanos(),
            what: f.headline(),
            output: match &f.effect {
                Effect::Docker(r) => Some(CommandRecord::docker(r)),
                _ => None,
            },
        })
        .collect()
}

fn check(
    checks: &mut Checks,
    out: &mut String,
    at: &str,
    verdict: Result<(), String>,
    expected: bool,
) {
    check_under(checks, out, "  ", at, verdict, expected);
}

/// Writes whether an expectation held, under `prefix`; a failure is also listed in `failures`
/// with the step's place in the file.
fn check_under(
    checks: &mut Checks,
    out: &mut String,
    prefix: &str,
    at: &str,
    verdict: Result<(), String>,
    expected: bool,
) {
    write_check(out, prefix, &verdict, expected);
    checks.record(at, verdict, expected);
}

/// Writes whether an expectation held, under `prefix` (nothing for a step that states none
/// and did what it should).
fn write_check(out: &mut String, prefix: &str, verdict: &Result<(), String>, expected: bool) {
    match verdict {
        Ok(()) if expected => {
            let _ = writeln!(out, "{prefix}expectation: ok");
        }
        Ok(()) => {}
        Err(e) => {
            let _ = writeln!(out, "{prefix}EXPECTATION FAILED: {e}");
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
