//! The `hnsim` binary as a user runs it: exit codes, stdout and stderr.

use crate::common::{hnsim, repo_root, text};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A file in the temporary directory with a name no other test (or test run) uses; removed
/// when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(stem: &str, contents: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "hnsim-it-{stem}-{}-{nanos}-{}.ron",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, contents).expect("write a temp file");
        TempFile(path)
    }

    fn path_str(&self) -> String {
        self.0.to_str().expect("a UTF-8 temp path").to_string()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn nat_tour_steps() -> usize {
    crate::common::load_relative("scenarios/nat-tour.ron")
        .spec
        .steps
        .len()
}

#[test]
fn check_a_good_scenario() {
    let out = hnsim(&["check", "scenarios/nat-tour.ron"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    // The tour gains steps over time; the count must be the file's, the rest is pinned.
    let steps = nat_tour_steps();
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout,
        format!("scenarios/nat-tour.ron: ok ({steps} steps)\n")
    );
    insta::assert_snapshot!(stdout.replace(&format!("({steps} steps)"), "(N steps)"), @"scenarios/nat-tour.ron: ok (N steps)");
}

/// Four independent problems: an unknown field, an address that is not an address, a link to
/// a node that does not exist, and a step on a host that does not exist. All are reported at
/// once, each at file:line:col.
const BROKEN: &str = r#"ScenarioSpec(
    title: "broken on purpose",
    sede: 3,
    fabric: (
        switches: [(name: "lan")],
        hosts: [(
            name: "host1",
            nics: [(name: "Ethernet", address: "10.0.0.300/24")],
        )],
        links: [(a: "host1.Ethernet", b: "nowhere")],
    ),
    steps: [
        Docker(host: "host2", cmd: "docker network ls"),
    ],
)
"#;

#[test]
fn run_a_broken_scenario_reports_every_problem() {
    let file = TempFile::new("broken", BROKEN);
    let out = hnsim(&["run", &file.path_str()]);
    assert_eq!(out.status.code(), Some(2), "stdout: {}", text(&out.stdout));
    assert_eq!(text(&out.stdout), "", "nothing runs, so no report");
    let stderr = text(&out.stderr).replace(&file.path_str(), "broken.ron");
    let problems = stderr.matches("broken.ron:").count();
    assert!(problems >= 3, "expected at least three problems:\n{stderr}");
    assert!(
        stderr.ends_with(&format!("{problems} problem(s) in broken.ron\n")),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn check_a_broken_scenario_fails_the_same_way() {
    let file = TempFile::new("broken-check", BROKEN);
    let run = hnsim(&["run", &file.path_str()]);
    let check = hnsim(&["check", &file.path_str()]);
    assert_eq!(check.status.code(), Some(2));
    assert_eq!(text(&check.stderr), text(&run.stderr));
}

#[test]
fn run_a_missing_file() {
    let out = hnsim(&["run", "tests/it/testdata/there-is-no-such-file.ron"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "tests/it/testdata/there-is-no-such-file.ron:1:1: error: cannot read the scenario file: "
        ),
        "{stderr}"
    );
    assert!(stderr.ends_with("1 problem(s) in tests/it/testdata/there-is-no-such-file.ron\n"));
}

#[test]
fn trace_a_published_port() {
    let out = hnsim(&TRACE_PUBLISHED_PORT);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    // The trace is the one extra probe after the scenario's own steps.
    assert!(
        stdout.starts_with(&format!("[{}] t=", nat_tour_steps() + 1)),
        "{}",
        stdout.lines().next().unwrap_or_default()
    );
    assert!(stdout.contains("probe laptop -> 10.0.0.11 tcp/8080\n"));
    assert!(stdout.contains(": DELIVERED (connected to 10.0.0.11:8080"));
    assert!(stdout.contains("WinNAT destination NAT 10.0.0.11:8080 -> "));
    assert!(!stdout.contains("summary:"));
    insta::assert_snapshot!(stdout);
}

const TRACE_PUBLISHED_PORT: [&str; 8] = [
    "trace",
    "scenarios/nat-tour.ron",
    "--from",
    "laptop",
    "--to",
    "10.0.0.11",
    "--proto",
    "tcp/8080",
];

/// `SimTime`'s display of `ns` nanoseconds, as the text trace prints hop times.
fn seconds(ns: u64) -> String {
    let us = ns / 1_000;
    format!("{}.{:06}s", us / 1_000_000, us % 1_000_000)
}

#[test]
fn trace_json_is_the_same_probe_as_the_text_trace() {
    let mut args = TRACE_PUBLISHED_PORT.to_vec();
    args.push("--json");
    let out = hnsim(&args);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let log: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("trace --json prints JSON");
    assert_eq!(log["version"], 1);
    let probes = log["probes"].as_array().expect("probes");
    assert_eq!(probes.len(), 1, "only the traced probe");
    assert_eq!(probes[0]["outcome"], "delivered");
    assert_eq!(probes[0]["detail"], "connected to 10.0.0.11:8080 (SYN-ACK)");
    let id = probes[0]["probe"].clone();

    // Hop for hop, the JSON is the text trace: same times, same nodes, same order.
    let trace = text(&hnsim(&TRACE_PUBLISHED_PORT).stdout);
    assert!(trace.contains(&format!("probe #{id} laptop -> 10.0.0.11 tcp/8080")));
    let lines: Vec<&str> = trace
        .lines()
        .filter(|l| {
            l.strip_prefix("    ")
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
        .collect();
    let hops = log["hops"].as_array().expect("hops");
    assert_eq!(hops.len(), lines.len());
    for (hop, line) in hops.iter().zip(&lines) {
        assert_eq!(hop["probe"], id);
        let mut words = line.split_whitespace();
        let ns = hop["time_ns"].as_u64().expect("time_ns");
        assert_eq!(words.next(), Some(seconds(ns).as_str()), "{line}");
        assert_eq!(words.next(), hop["node"].as_str(), "{line}");
        let action = &hop["action"];
        if action["kind"] == "nat" {
            let (before, after) = (&action["before"], &action["after"]);
            let (before, after) = (before.as_str(), after.as_str());
            let shown = format!("{} -> {}", before.unwrap_or("?"), after.unwrap_or("?"));
            assert!(line.contains(&shown), "{line} shows {shown}");
            assert_eq!(action["table"], "WinNAT");
        }
    }
    assert!(hops.iter().any(|h| h["action"]["nat"] == "destination"));

    // The frames on links: the probe's only, the first one from the laptop onto the LAN.
    let frames = log["frames"].as_array().expect("frames");
    assert!(frames.iter().all(|f| f["probe"] == id));
    assert_eq!(frames[0]["link"], "laptop.eth0<->lan");
    assert_eq!(frames[0]["from"]["node"], "laptop");
    assert_eq!(frames[0]["to"]["port"], "laptop.eth0");
    assert!(frames
        .iter()
        .any(|f| f["link"] == "host1.Ethernet<->lan" && f["to"]["port"] == "Ethernet"));
}

#[test]
fn trace_says_why_there_is_no_probe_to_show() {
    // A source nothing in the scenario has is bad input: exit 2, the option named, no trace.
    let mut args = TRACE_PUBLISHED_PORT.to_vec();
    args[3] = "nowhere";
    let out = hnsim(&args);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).starts_with(
            "hnsim: --from: there is no container, container host or fabric node named `nowhere`"
        ),
        "{}",
        text(&out.stderr)
    );

    // A limit stops the run before the probe: exit code 3, and the limit on stderr.
    let tour = std::fs::read_to_string(repo_root().join("scenarios/nat-tour.ron"))
        .expect("the tour reads");
    let limited = tour.replacen(
        "    steps: [",
        "    limits: (max_events: 58),\n    steps: [",
        1,
    );
    assert_ne!(limited, tour);
    let file = TempFile::new("limited-tour", &limited);
    let mut args = TRACE_PUBLISHED_PORT.to_vec();
    let path = file.path_str();
    args[1] = &path;
    let out = hnsim(&args);
    assert_eq!(out.status.code(), Some(3), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "hnsim: the run hit its max_events limit before the probe could run\n"
    );
}

#[test]
fn trace_rejects_a_bad_proto() {
    let out = hnsim(&[
        "trace",
        "scenarios/nat-tour.ron",
        "--from",
        "laptop",
        "--to",
        "10.0.0.11",
        "--proto",
        "tcp/0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "hnsim: --proto \"tcp/0\": the port must be a number from 1 to 65535\n"
    );
    let out = hnsim(&[
        "trace",
        "scenarios/nat-tour.ron",
        "--from",
        "laptop",
        "--to",
        "10.0.0.11",
        "--proto",
        "sctp/80",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "hnsim: --proto must be icmp, tcp/PORT or udp/PORT, not \"sctp/80\"\n"
    );
}

#[test]
fn run_with_failed_expectations() {
    let rel = "tests/it/testdata/expect-fails.ron";
    let out = hnsim(&["run", rel]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    // Each failed expectation is named on stderr at file:line:col of its step.
    assert!(
        stderr.contains(&format!("expectation failed: {rel}:17:9: expected laptop -> 10.0.0.11 tcp/9090 to be delivered, got dropped")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("expectation failed: {rel}:19:9: expected an error containing \"already in use\", but the command succeeded")),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    // The report itself still goes to stdout, with the failures marked.
    assert_eq!(stdout.matches("  EXPECTATION FAILED: ").count(), 2);
    assert!(stdout.contains("summary: 7 steps, 2 failed expectation(s);"));
    insta::assert_snapshot!(stderr);
}

/// The fields of a bench line, as `name=value` pairs in order.
fn bench_fields(line: &str) -> Vec<(String, String)> {
    line.split(' ')
        .map(|f| {
            let (k, v) = f.split_once('=').unwrap_or_else(|| panic!("field {f:?}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn bench_bridge_echo() {
    let out = hnsim(&["bench", "bridge-echo", "--hosts", "8", "--packets", "5"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let line = stdout.trim_end();
    assert!(
        line.starts_with("hosts=8 echo_requests=40 events="),
        "{line}"
    );
    let fields = bench_fields(line);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "hosts",
            "echo_requests",
            "events",
            "wall_s",
            "events_per_s",
            "echoes_per_s",
            "setup_s"
        ]
    );
    let events: u64 = fields[2].1.parse().expect("events is a count");
    assert!(events > 0);
    for (k, v) in &fields[3..] {
        let x: f64 = v
            .parse()
            .unwrap_or_else(|_| panic!("{k}={v} is not a number"));
        assert!(x.is_finite() && x >= 0.0, "{k}={v}");
    }
    // The simulated work does not depend on the wall clock.
    let again = text(&hnsim(&["bench", "bridge-echo", "--hosts", "8", "--packets", "5"]).stdout);
    assert_eq!(bench_fields(again.trim_end())[..3], fields[..3]);
}

/// `--os linux`: N containers on one user-defined bridge of a Linux host; every echo comes
/// back on every engine release, and the work is the same run after run.
#[test]
fn bench_bridge_echo_on_linux() {
    let mut lines = Vec::new();
    for engine in ["v20.10", "v27", "v28", "v29"] {
        let args = [
            "bench",
            "bridge-echo",
            "--os",
            "linux",
            "--engine",
            engine,
            "--hosts",
            "8",
            "--packets",
            "5",
        ];
        let out = hnsim(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr), "");
        let stdout = text(&out.stdout);
        let fields = bench_fields(stdout.trim_end());
        assert_eq!(fields[..2], bench_fields("hosts=8 echo_requests=40")[..]);
        let again = text(&hnsim(&args).stdout);
        assert_eq!(bench_fields(again.trim_end())[..3], fields[..3], "{engine}");
        lines.push(fields);
    }
    // The default engine is the newest.
    let default = text(
        &hnsim(&[
            "bench",
            "bridge-echo",
            "--os",
            "linux",
            "--hosts",
            "8",
            "--packets",
            "5",
        ])
        .stdout,
    );
    assert_eq!(bench_fields(default.trim_end())[..3], lines[3][..3]);
    let windows_engine = hnsim(&["bench", "bridge-echo", "--engine", "v29"]);
    assert_eq!(windows_engine.status.code(), Some(2));
}

/// A full disk is reported once, with exit code 4, never a panic.
#[test]
fn a_full_disk_ends_with_a_message_not_a_panic() {
    let Ok(full) = std::fs::File::create("/dev/full") else {
        eprintln!("SKIPPED: this system has no /dev/full");
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_hnsim"))
        .args(["run", "scenarios/nat-tour.ron"])
        .stdout(full)
        .output()
        .expect("hnsim runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("hnsim: cannot write the output: No space left on device"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A reader that stops reading (`| head -c 10`) ends the output quietly: the run's own exit
/// code stands and nothing panics.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hnsim"))
        .args(["run", "scenarios/nat-tour.ron"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hnsim starts");
    let mut first = [0u8; 10];
    child
        .stdout
        .take()
        .expect("a pipe")
        .read_exact(&mut first)
        .expect("ten bytes");
    // The pipe closed when its reader went out of scope above.
    let out = child.wait_with_output().expect("hnsim ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(&first, b"scenario: ");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `nat-out` and `overlay-echo`: every echo comes back (the command fails otherwise), the
/// line has bridge-echo's fields, and the simulated work is the same run after run.
#[test]
fn bench_nat_out_and_overlay_echo() {
    for which in ["nat-out", "overlay-echo"] {
        let args = ["bench", which, "--hosts", "8", "--packets", "5"];
        let out = hnsim(&args);
        assert_eq!(out.status.code(), Some(0), "{which}: {}", text(&out.stderr));
        assert_eq!(text(&out.stderr), "", "{which}");
        let stdout = text(&out.stdout);
        let line = stdout.trim_end();
        assert!(
            line.starts_with("hosts=8 echo_requests=40 events="),
            "{which}: {line}"
        );
        let fields = bench_fields(line);
        let events: u64 = fields[2].1.parse().expect("events is a count");
        // Every echo is at least four frames across devices (out and back, each way
        // through a switch), plus the sender's timer.
        assert!(events >= 40 * 5, "{which}: {line}");
        let again = text(&hnsim(&args).stdout);
        assert_eq!(bench_fields(again.trim_end())[..3], fields[..3], "{which}");
    }
    // overlay-echo splits the containers between two hosts.
    let odd = hnsim(&["bench", "overlay-echo", "--hosts", "7", "--packets", "1"]);
    assert_ne!(odd.status.code(), Some(0));
    assert!(
        text(&odd.stderr).contains("even number"),
        "{}",
        text(&odd.stderr)
    );
}
