//! Loops between switches through the `hnsim` binary: `check` refuses a switch cabled to
//! itself and warns on parallel cables and rings; a run with a loop ends within its bounds
//! (exit 3) with the storm finding, fast and small; the memory bound stops a run on its own.

use crate::common::{hnsim, text};

/// Runs `file`, which must stop at a limit (exit 3) with a report of bounded size; returns
/// its stdout and stderr.
fn run_stops(file: &str) -> (String, String) {
    let out = hnsim(&["run", file]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{file}: {stderr}\n{stdout}");
    assert!(
        stdout.len() < 2 << 20,
        "{file}: a {} byte report is not bounded",
        stdout.len()
    );
    (stdout, stderr)
}

#[test]
fn a_switch_cabled_to_itself_is_refused_at_the_cable() {
    let file = "tests/it/testdata/storm-self.ron";
    for cmd in ["check", "run"] {
        let out = hnsim(&[cmd, file]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{file}:13:13: error: switch `sw1` is cabled to itself"
            )),
            "{cmd}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{cmd}: nothing ran");
    }
}

#[test]
fn parallel_cables_are_a_warning_and_their_storm_a_finding() {
    let file = "tests/it/testdata/storm-parallel.ron";
    let out = hnsim(&["check", file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{file}:14:13: warning: a second cable between switches `sw1` and `sw2` (the first is at line 13:13) makes a loop"
        )),
        "{stderr}"
    );

    let (stdout, stderr) = run_stops(file);
    let finding = "broadcast storm: switches sw1 and sw2 forwarded 397 copies of one ARP request \
                   from 10.0.0.1 (who-has 10.0.0.2) in 10 ms; the loop is sw1 port sw2 \u{2194} \
                   sw2 port sw1 (cable sw1<->sw2) and sw1 port sw2 \u{2194} sw2 port sw1 (cable \
                   second); no loop prevention";
    assert_finding(&stdout, &stderr, finding);
}

#[test]
fn a_ring_of_three_switches_is_a_warning_and_its_storm_a_finding() {
    let file = "tests/it/testdata/storm-ring.ron";
    let out = hnsim(&["check", file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{file}:15:13: warning: this cable closes a ring of switches, sw3 -> sw2 -> sw1 -> sw3"
        )),
        "{stderr}"
    );

    let (_, stderr) = run_stops(file);
    assert!(
        stderr.contains(
            "hnsim: the run hit its storm_copies limit: broadcast storm: switches sw1, sw2 and \
             sw3 forwarded 595 copies of one ARP request from 10.0.0.1 (who-has 10.0.0.2) in \
             15 ms; the loop is sw1 port sw2 \u{2194} sw2 port sw1 (cable sw1<->sw2), sw2 port \
             sw3 \u{2194} sw3 port sw2 (cable sw2<->sw3) and sw3 port sw1 \u{2194} sw1 port \
             sw3 (cable sw3<->sw1)"
        ),
        "{stderr}"
    );
}

#[test]
fn the_memory_bound_stops_a_storm_nothing_else_stops() {
    let file = "tests/it/testdata/storm-memory.ron";
    let (stdout, stderr) = run_stops(file);
    let words = "the max_memory_mb limit was reached: the run kept more than 1 MiB of trace hops, \
                 frame copies and queued frames";
    assert!(
        stderr.contains(&format!(
            "hnsim: the run hit its max_memory_mb limit: {words}"
        )),
        "{stderr}"
    );
    assert!(
        stdout.contains(&format!("  run stopped: {words}")),
        "{stdout}"
    );
}

#[test]
fn the_loop_scenario_stops_with_its_finding_and_a_short_trace() {
    let (stdout, stderr) = run_stops("scenarios/switching-loop.ron");
    assert!(
        stderr.contains("hnsim: the run hit its storm_copies limit: broadcast storm: switches floor1 and floor2"),
        "{stderr}"
    );
    assert!(
        stdout.contains("more hop(s), left out: a trace keeps the first 24 hops of a probe (limits.max_trace_hops)"),
        "{stdout}"
    );
    // The trace holds 24 hops of two lines each, not the thousands the storm made.
    assert!(stdout.lines().count() < 80, "{stdout}");
}

#[test]
fn the_json_report_carries_the_finding_in_words() {
    let out = hnsim(&["run", "scenarios/switching-loop.ron", "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the report is JSON");
    assert_eq!(report["limit_hit"], "storm_copies");
    let finding = report["finding"].as_str().expect("a storm has a finding");
    assert!(
        finding.starts_with("broadcast storm: switches floor1 and floor2 forwarded 397 copies"),
        "{finding}"
    );
    // A run that stops at no limit has no finding.
    let out = hnsim(&["run", "scenarios/nat-tour.ron", "--format", "json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the report is JSON");
    assert_eq!(report["finding"], serde_json::Value::Null);
}

#[test]
fn a_ring_that_runs_spanning_tree_carries_the_probe_and_one_that_does_not_storms() {
    // Every switch runs spanning tree: no warning, the probe arrives, nothing storms, and the
    // copy of the ARP broadcast sent over the ring's third cable is dropped where it blocks.
    let file = "tests/it/testdata/storm-ring-rstp.ron";
    let out = hnsim(&["check", file]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
    let out = hnsim(&["run", file]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");
    assert!(
        stdout.contains("probe #1 a -> 10.0.0.2 icmp: DELIVERED"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("broadcast storm") && !stderr.contains("broadcast storm"),
        "{stdout}"
    );
    assert!(
        stdout.contains("DROPPED: sw3 port sw2 is discarding by spanning tree (alternate port)"),
        "{stdout}"
    );

    // The same ring, sw3 without spanning tree: the warning names it, the run storms and the
    // finding says which switch lacks it.
    let file = "tests/it/testdata/storm-ring-mixed.ron";
    let out = hnsim(&["check", file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{file}:19:13: warning: this cable closes a ring of switches, sw3 -> sw2 -> sw1 -> \
             sw3: `sw3` runs no loop prevention (no spanning tree)"
        )),
        "{stderr}"
    );
    let (_, stderr) = run_stops(file);
    assert!(
        stderr.contains(
            "no loop prevention (sw3 runs no spanning tree: the other switches' spanning tree \
             cannot block a loop that passes through it, so a flooded frame comes back for ever)"
        ),
        "{stderr}"
    );
}

#[test]
fn a_unicast_frame_that_goes_round_a_loop_is_a_finding_and_spanning_tree_prevents_it() {
    // The ring closes after ARP: no broadcast storms, but the echo request for b, whose
    // cable is down, is flooded by sw2 and sw3 and sent on by sw1, round and round.
    let file = "tests/it/testdata/unicast-loop.ron";
    let (stdout, stderr) = run_stops(file);
    let finding = "unicast loop: switches sw1, sw2 and sw3 forwarded 298 copies of one IPv4 \
                   packet from 10.0.0.1 in 15 ms; the loop is sw1 port sw2 \u{2194} sw2 port sw1 \
                   (cable sw1<->sw2), sw2 port sw3 \u{2194} sw3 port sw2 (cable sw2<->sw3) and \
                   sw3 port sw1 \u{2194} sw1 port sw3 (cable c3); no loop prevention (the \
                   switches run no spanning tree, so a frame for 02:00:00:00:00:02, which no \
                   switch on the loop delivers";
    assert_finding(&stdout, &stderr, finding);

    // The same ring with spanning tree: when c3 comes up one port of the ring discards, so
    // the frame is flooded to the ends of the tree and goes no further; the probe just times
    // out.
    let plain = std::fs::read_to_string(crate::common::repo_root().join(file)).expect("reads");
    let rstp = plain.replace(
        r#"switches: [(name: "sw1"), (name: "sw2"), (name: "sw3")],"#,
        r#"switches: [(name: "sw1", spanning_tree: Rstp), (name: "sw2", spanning_tree: Rstp), (name: "sw3", spanning_tree: Rstp)],"#,
    );
    assert_ne!(rstp, plain);
    let path = std::env::temp_dir().join(format!("hnsim-unicast-loop-{}.ron", std::process::id()));
    std::fs::write(&path, rstp).expect("writes");
    let out = hnsim(&["run", path.to_str().expect("a UTF-8 path")]);
    let _ = std::fs::remove_file(&path);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(
            "probe #2 a -> 10.0.0.2 icmp: DROPPED (no answer from 10.0.0.2 before the timeout)"
        ),
        "{stdout}"
    );
}

/// The run stopped on `finding`: stderr names the limit with it, the report says it.
fn assert_finding(stdout: &str, stderr: &str, finding: &str) {
    assert!(
        stderr.contains(&format!(
            "hnsim: the run hit its storm_copies limit: {finding}"
        )),
        "{stderr}"
    );
    assert!(
        stdout.contains(&format!("  run stopped: {finding}")),
        "{stdout}"
    );
}
