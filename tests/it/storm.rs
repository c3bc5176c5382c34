//! Loops between switches through the `hnsim` binary: `check` refuses a switch cabled to
//! itself and warns on parallel cables and rings; a run with a loop ends within its bounds
//! (exit 3) with the storm finding, fast and small; the memory bound stops a run on its own.
//! An app's own untraced traffic that goes round a loop is the same finding; on loop-free
//! topologies the switch-hop count that finds it never watches a frame.

use crate::common::{hnsim, is_scenario, load_relative, relative, scenario_files, text, world_of};
use proptest::prelude::*;
use sim_core::engine::RunStop;
use sim_core::sim::{report, World};
use sim_core::time::SimDuration;
use std::net::Ipv4Addr;

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

/// The ring of `testdata/unicast-loop.ron` with no steps: b answers UDP echo on port 7.
const RING: &str = r#"ScenarioSpec(
    title: "an app's traffic round a ring",
    fabric: (
        switches: [(name: "sw1"), (name: "sw2"), (name: "sw3")],
        externals: [
            (name: "a", interfaces: [(name: "eth0", address: "10.0.0.1/24")]),
            (name: "b", interfaces: [(name: "eth0", address: "10.0.0.2/24")], services: [Udp(7)]),
        ],
        links: [
            (a: "a.eth0", b: "sw1"),
            (a: "b.eth0", b: "sw2", name: Some("b-cable")),
            (a: "sw1", b: "sw2"),
            (a: "sw2", b: "sw3"),
            (a: "sw3", b: "sw1", name: Some("c3")),
        ],
    ),
)"#;

/// Starts an untraced UDP echo client on `from` (the benchmark's app): `count` requests to
/// `to` port 7, one every `interval`.
fn start_echo(world: &mut World, from: &str, to: Ipv4Addr, count: u32, interval: SimDuration) {
    let node = world.engine.topology().find_node(from).expect("the sender");
    world.engine.invoke(node, |d, out| {
        d.as_stack_mut().expect("a stack").start_echo_app(
            to,
            7,
            count,
            interval,
            SimDuration::ZERO,
            out,
        );
    });
}

/// `ring` with a's untraced echo client sending to b every millisecond while the ring is open
/// (c3 down) for 20 ms, then b's cable down and the ring closed, run for a second more.
fn echo_into_closed_ring(ring: &str) -> World {
    let mut world = world_of(ring);
    world.set_link("c3", false).expect("c3");
    start_echo(
        &mut world,
        "a",
        Ipv4Addr::new(10, 0, 0, 2),
        1_000,
        SimDuration::from_millis(1),
    );
    world.wait(SimDuration::from_millis(20));
    assert_eq!(world.stopped, None, "nothing stops while the ring is open");
    world.set_link("b-cable", false).expect("b-cable");
    world.set_link("c3", true).expect("c3");
    world.wait(SimDuration::from_secs(1));
    world
}

#[test]
fn an_apps_untraced_traffic_round_a_ring_is_the_same_finding() {
    // The echo client runs while the ring is open: ARP caches warm up and the switches learn
    // a and b. Then b's cable goes down (sw2 forgets b) and the ring closes: every request
    // for b is flooded by sw2 and sw3 and sent on by sw1, round and round, untraced.
    let world = echo_into_closed_ring(RING);
    // A limit, so `hnsim run` exits 3 and names it.
    assert_eq!(world.stopped, Some(RunStop::Storm));
    assert_eq!(RunStop::Storm.limit_field(), Some("storm_copies"));
    let finding = world.engine.storm().expect("a finding");
    assert!(
        finding.starts_with(
            "unicast loop: switches sw1, sw2 and sw3 forwarded 298 copies of one IPv4 packet \
             from 10.0.0.1 in "
        ) && finding.contains(
            "; the loop is sw1 port sw2 \u{2194} sw2 port sw1 (cable sw1<->sw2), sw2 port sw3 \
             \u{2194} sw3 port sw2 (cable sw2<->sw3) and sw3 port sw1 \u{2194} sw1 port sw3 \
             (cable c3); no loop prevention (the switches run no spanning tree, so a frame for \
             02:00:00:00:00:02, which no switch on the loop delivers"
        ),
        "{finding}"
    );
    assert!(world.engine.frames_past_hop_bound() > 0);
    assert!(
        world.engine.stats.events < 20_000,
        "{:?}",
        world.engine.stats
    );

    // The same with spanning tree: the frame reaches the ends of the tree and goes no
    // further; nothing is watched.
    let rstp = RING.replace(r#"(name: "sw1"), (name: "sw2"), (name: "sw3")"#, r#"(name: "sw1", spanning_tree: Rstp), (name: "sw2", spanning_tree: Rstp), (name: "sw3", spanning_tree: Rstp)"#);
    assert_ne!(rstp, RING);
    let world = echo_into_closed_ring(&rstp);
    assert_eq!(world.stopped, None, "{:?}", world.engine.storm());
    assert_eq!(world.engine.frames_past_hop_bound(), 0);
}

#[test]
fn no_scenario_without_a_loop_watches_a_frame_for_its_switch_hops() {
    for rel in scenario_files() {
        let rel = relative(&crate::common::repo_root().join(rel));
        if !is_scenario(&rel) {
            continue;
        }
        let loaded = load_relative(&rel);
        let (rep, world) = report::run_world(&loaded, report::RunOptions::default(), &mut |_| {});
        let world = world.expect("the fabric builds");
        if rel == "scenarios/switching-loop.ron" {
            // Its broadcast storm is the finding; the answers went round with it.
            assert_eq!(rep.limit_hit.as_deref(), Some("storm_copies"));
            assert!(world
                .engine
                .storm()
                .is_some_and(|f| f.starts_with("broadcast storm: ")));
            continue;
        }
        assert_eq!(rep.limit_hit, None, "{rel}");
        assert_eq!(world.engine.frames_past_hop_bound(), 0, "{rel}");
    }
}

/// A random loop-free fabric: switch `i` (from 1) cabled to one of switches `0..i`, and
/// externals on random switches, each an echo client of the next (and a server).
fn tree_fabric(parents: &[usize], hosts: &[usize]) -> String {
    let switches: Vec<String> = (0..=parents.len())
        .map(|i| format!("(name: \"s{i}\")"))
        .collect();
    let externals: Vec<String> = (0..hosts.len())
        .map(|h| {
            format!(
                "(name: \"h{h}\", interfaces: [(name: \"eth0\", address: \"10.0.0.{}/24\")], services: [Udp(7)])",
                h + 1
            )
        })
        .collect();
    let mut links: Vec<String> = parents
        .iter()
        .enumerate()
        .map(|(i, p)| format!("(a: \"s{}\", b: \"s{}\")", i + 1, p % (i + 1)))
        .collect();
    links.extend(
        hosts
            .iter()
            .enumerate()
            .map(|(h, s)| format!("(a: \"h{h}.eth0\", b: \"s{}\")", s % (parents.len() + 1))),
    );
    format!(
        "ScenarioSpec(title: \"tree\", fabric: (switches: [{}], externals: [{}], links: [{}]))",
        switches.join(", "),
        externals.join(", "),
        links.join(", ")
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// On any tree of switches, echo traffic between any hosts (untraced, as the
    /// benchmark's) never passes the switch-hop bound, so it is never watched, and no run
    /// stops: the count a switch passes on is reset by every stack that answers.
    #[test]
    fn a_loop_free_fabric_never_watches_untraced_traffic(
        parents in proptest::collection::vec(0usize..64, 1..12),
        hosts in proptest::collection::vec(0usize..64, 2..6),
        down in proptest::option::of(0usize..12),
    ) {
        let mut world = world_of(&tree_fabric(&parents, &hosts));
        for h in 0..hosts.len() {
            let to = Ipv4Addr::new(10, 0, 0, ((h + 1) % hosts.len() + 1) as u8);
            start_echo(&mut world, &format!("h{h}"), to, 200, SimDuration::from_micros(200));
        }
        world.wait(SimDuration::from_millis(10));
        // A cable of the tree going down leaves frames for the hosts behind it unknown:
        // flooded to the ends of the tree, and no further.
        if let Some(i) = down.filter(|i| *i < parents.len()) {
            world.set_link(&format!("s{}<->s{}", i + 1, parents[i] % (i + 1)), false).expect("a cable of the tree");
        }
        world.wait(SimDuration::from_millis(100));
        prop_assert_eq!(world.stopped, None);
        prop_assert_eq!(world.engine.frames_past_hop_bound(), 0);
        let replies: u64 = (0..hosts.len())
            .filter_map(|h| world.engine.topology().find_node(&format!("h{h}")))
            .filter_map(|n| world.engine.device(n).and_then(|d| d.as_stack()))
            .map(|s| s.counters().app_replies)
            .sum();
        prop_assert!(replies > 0);
    }
}
