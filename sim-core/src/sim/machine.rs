//! Reports for machines: a run as versioned JSON (`hnsim run --format json`) and as JUnit XML
//! (`hnsim run --junit FILE`).
//!
//! Owns the shape of both. `report::run_world` fills a `MachineReport` while it writes the
//! text report (only when `RunOptions::machine` is on): each step with what docker or the
//! shell printed and the probes it ran, every expectation with its verdict, and any limit
//! hit. A probe's hops reuse the run log's typed actions (`log::Resolved`), with the link
//! each hop's frame came in over. The JSON Schema is `docs/report.schema.json`; a test
//! validates every scenario's report against it.
//!
//! # JSON shape (schema `hnsim-report`, version 1)
//!
//! - `schema`, `version`: `"hnsim-report"` and `REPORT_VERSION`, which changes when a field
//!   is renamed or removed or its meaning changes (new fields may be added).
//! - `scenario`: `title`, `file`, `seed`; `hosts`: each host's `name`, `os` and the error of
//!   a dockerd that failed to start.
//! - `steps`, in order: `number` (the report's `[n]`), `at` (`file:line:column`), `time_ns`
//!   (when it began), `kind` (`docker`, `shell`, `probe`, `note`, `listen`,
//!   `host_endpoint`, `reboot`, `link_down`, `link_up`, `nic_down`, `nic_up`, `wait`,
//!   `at`), `line` (the step as the report shows it after `t=`), `output` (a docker or shell
//!   step: `stdout`, `stderr`, `exit_status`, and docker's `warnings` and `notes`),
//!   `probes` (see below) and `scheduled` (scheduled actions that ran during the step:
//!   `by_step`, `time_ns`, `what`, `output`).
//! - a probe: `probe` (its number), `name`, `from`, `to`, `proto`, `outcome` (`delivered`,
//!   `refused`, `dropped`), `detail`, `dropped_at` (`node`, `reason`) or `null`,
//!   `resolved` (how a name was resolved when not by the source's DNS) or `null`, `path`
//!   (`line` and `nodes`: each `node` and its `mechanisms`, `key` and `text`, as in
//!   `sim::path`) and `hops`: `time_ns`, `node`, `action` (the run log's typed action),
//!   `link` (`id` and `name` of the link the frame came in over; `null` where it was built)
//!   and `frame` (hex).
//! - `expectations`, in the order they were checked: `step`, `at`, `kind` (`docker`,
//!   `shell`, `probe`, `step`, `scheduled`), `expected` (in words), `ok`, `message` (why
//!   it failed, or `null`).
//! - `limit_hit` (the limit's name, or `null`), `finding` (when a broadcast storm or the
//!   memory bound stopped the run: why, in the report's words; else `null`) and `summary` (`steps`, `failed`,
//!   `sim_time_ns`, `events`, `frames_sent`, `frames_dropped`).

use super::path::Path;
use super::world::{ProbeResult, World};
use crate::docker::daemon::CommandOutput;
use crate::engine::frames::WireFate;
use crate::log::{hex, Resolved};
use serde::Serialize;
use std::fmt::Write;

/// The version of the JSON shape above.
pub const REPORT_VERSION: u32 = 1;

#[derive(Clone, Debug, Default, Serialize)]
pub struct MachineReport {
    pub schema: &'static str,
    pub version: u32,
    pub scenario: ScenarioInfo,
    pub hosts: Vec<HostInfo>,
    pub steps: Vec<StepRecord>,
    pub expectations: Vec<Expectation>,
    pub limit_hit: Option<String>,
    pub finding: Option<String>,
    pub summary: Summary,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ScenarioInfo {
    pub title: String,
    pub file: String,
    pub seed: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct HostInfo {
    pub name: String,
    pub os: String,
    pub daemon_error: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct StepRecord {
    pub number: usize,
    pub at: String,
    pub time_ns: u64,
    pub kind: &'static str,
    pub line: String,
    pub output: Option<CommandRecord>,
    pub probes: Vec<ProbeRecord>,
    pub scheduled: Vec<ScheduledRecord>,
}

/// What a command printed and how it ended.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CommandRecord {
    pub stdout: String,
    pub stderr: String,
    pub exit_status: i32,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
}

impl CommandRecord {
    /// A docker command: stderr is its warnings and its error, as the terminal shows them.
    pub fn docker(r: &CommandOutput) -> Self {
        let mut stderr = String::new();
        for w in &r.warnings {
            let _ = writeln!(stderr, "WARNING: {w}");
        }
        if let Some(e) = &r.error {
            stderr.push_str(e);
            if !e.ends_with('\n') {
                stderr.push('\n');
            }
        }
        CommandRecord {
            stdout: r.stdout.clone(),
            stderr,
            exit_status: r.exit_code.unwrap_or(i32::from(r.error.is_some())),
            warnings: r.warnings.clone(),
            notes: r.notes.clone(),
        }
    }

    pub fn shell(r: &crate::shell::ShellOutput) -> Self {
        CommandRecord {
            stdout: r.stdout.clone(),
            stderr: r.stderr.clone(),
            exit_status: r.exit_code,
            ..CommandRecord::default()
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ScheduledRecord {
    pub by_step: usize,
    pub time_ns: u64,
    pub what: String,
    pub output: Option<CommandRecord>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DropRecord {
    pub node: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct PathRecord {
    pub line: String,
    #[serde(flatten)]
    pub path: Path,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ProbeRecord {
    pub probe: u32,
    pub name: Option<String>,
    pub from: String,
    pub to: String,
    pub proto: String,
    pub outcome: String,
    pub detail: String,
    pub dropped_at: Option<DropRecord>,
    pub resolved: Option<String>,
    pub path: PathRecord,
    pub hops: Vec<serde_json::Value>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Expectation {
    pub step: usize,
    pub at: String,
    pub kind: &'static str,
    pub expected: String,
    pub ok: bool,
    pub message: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub steps: usize,
    pub failed: usize,
    pub sim_time_ns: u64,
    pub events: u64,
    pub frames_sent: u64,
    pub frames_dropped: u64,
}

/// The words a report uses for how a probe's name was resolved, when not by the source's
/// own DNS (`World::probe` looks a node's name up in the scenario).
pub fn resolved_line(r: &ProbeResult) -> Option<String> {
    r.looked_up.map(|ip| {
        format!(
            "{} is {ip}: looked up in the scenario, not by DNS (the source has no DNS that knows it)",
            r.to
        )
    })
}

/// A probe as data: its end, its path and its hops, every name resolved.
pub fn probe_record(
    world: &World,
    r: &ProbeResult,
    name: Option<&str>,
    path: &Path,
) -> ProbeRecord {
    let engine = &world.engine;
    let syms = engine.syms();
    let frames: Vec<_> = engine
        .wire_frames()
        .iter()
        .filter(|f| f.probe == Some(r.id))
        .collect();
    let hops = r
        .hops
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let node = r
                .hop_nodes
                .get(i)
                .cloned()
                .unwrap_or_else(|| world.node_name(h.node));
            // The link the frame came in over: the one that brought a frame of this probe to
            // this node at this very time.
            let link = frames
                .iter()
                .find(|f| f.to.0 == h.node && matches!(f.fate, WireFate::Arrives(t) if t == h.time))
                .map(|f| {
                    let name = engine
                        .link_names(f.link)
                        .map(|n| syms.get(n.name).to_string())
                        .unwrap_or_else(|| format!("link{}", f.link.0));
                    serde_json::json!({"id": f.link.0, "name": name})
                });
            serde_json::json!({
                "time_ns": h.time.as_nanos(),
                "node": node,
                "action": Resolved::new(&h.action, syms),
                "link": link,
                "frame": hex(&h.bytes),
            })
        })
        .collect();
    ProbeRecord {
        probe: r.id.0,
        name: name.map(str::to_string),
        from: r.from.clone(),
        to: r.to.clone(),
        proto: r.proto.to_string(),
        outcome: r.outcome.to_string(),
        detail: r.detail.clone(),
        dropped_at: r.drop.as_ref().map(|(node, reason)| DropRecord {
            node: node.clone(),
            reason: reason.clone(),
        }),
        resolved: resolved_line(r),
        path: PathRecord {
            line: path.line(),
            path: path.clone(),
        },
        hops,
    }
}

impl MachineReport {
    /// The report as pretty-printed JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .expect("the machine report serializes to JSON: every key is a string");
        s.push('\n');
        s
    }

    /// JUnit XML: one test suite (the scenario), one test case per expectation.
    pub fn to_junit(&self) -> String {
        let failures = self.expectations.iter().filter(|e| !e.ok).count();
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let suite = xml(&self.scenario.file);
        let _ = writeln!(
            s,
            "<testsuites name=\"hnsim\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\">",
            self.expectations.len(),
            u8::from(self.limit_hit.is_some())
        );
        let _ = writeln!(
            s,
            "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\">",
            self.expectations.len(),
            u8::from(self.limit_hit.is_some())
        );
        for e in &self.expectations {
            let name = xml(&format!("[{}] {}: {}", e.step, e.kind, e.expected));
            let _ = write!(
                s,
                "    <testcase classname=\"{suite}\" name=\"{name}\" file=\"{}\"",
                xml(&e.at)
            );
            match &e.message {
                Some(m) if !e.ok => {
                    let _ = writeln!(
                        s,
                        ">\n      <failure message=\"{}\">{}: {}</failure>\n    </testcase>",
                        xml(m),
                        xml(&e.at),
                        xml(m)
                    );
                }
                _ => s.push_str("/>\n"),
            }
        }
        if let Some(limit) = &self.limit_hit {
            let _ = writeln!(
                s,
                "    <testcase classname=\"{suite}\" name=\"run limits\">\n      <error message=\"the run hit its {} limit\"/>\n    </testcase>",
                xml(limit)
            );
        }
        s.push_str("  </testsuite>\n</testsuites>\n");
        s
    }
}

/// Text escaped for an XML attribute or element.
pub fn xml(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            '\n' => s.push_str("&#10;"),
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_control_characters() {
        assert_eq!(xml("a<b & \"c\"\u{1}\n"), "a&lt;b &amp; &quot;c&quot;&#10;");
    }

    #[test]
    fn junit_has_a_case_per_expectation_and_failures_with_their_message() {
        let rep = MachineReport {
            scenario: ScenarioInfo {
                file: "x.ron".into(),
                ..ScenarioInfo::default()
            },
            expectations: vec![
                Expectation {
                    step: 1,
                    at: "x.ron:3:5".into(),
                    kind: "probe",
                    expected: "a -> b icmp is delivered".into(),
                    ok: true,
                    message: None,
                },
                Expectation {
                    step: 2,
                    at: "x.ron:4:5".into(),
                    kind: "docker",
                    expected: "succeeds".into(),
                    ok: false,
                    message: Some("expected success, got: <no>".into()),
                },
            ],
            ..MachineReport::default()
        };
        let x = rep.to_junit();
        assert_eq!(x.matches("<testcase ").count(), 2);
        assert!(x.contains("tests=\"2\" failures=\"1\""), "{x}");
        assert!(
            x.contains("<failure message=\"expected success, got: &lt;no&gt;\">"),
            "{x}"
        );
    }
}
