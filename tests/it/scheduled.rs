//! Scheduled steps (`At`): a change scheduled at a simulated time happens while a probe is in
//! flight, a NIC failure finds the NIC's cable where binding moved it, a time already past
//! fails without running, and what is still pending after the last step runs.

use crate::common::{run_with_outcomes as run, world_of};
use sim_core::device::stack::probe::ProbeProto;
use sim_core::device::Outcome;
use sim_core::sim::scheduled::{ControlAction, Effect};
use sim_core::time::SimTime;
use sim_core::topology::NodeKind;

/// A client 50 ms away from a router (the `wan` link), a Windows host 50 ms behind the router
/// publishing `web` on 8080, and `steps` after the `docker run`.
fn wan_scenario(steps: &str) -> String {
    format!(
        r#"ScenarioSpec(
    title: "wan",
    seed: 9,
    fabric: (
        switches: [(name: "dc")],
        routers: [(name: "rtr", interfaces: [(name: "wan", address: "192.168.10.1/24"), (name: "dc", address: "10.0.0.1/24")])],
        externals: [(name: "pc", interfaces: [(name: "eth0", address: "192.168.10.20/24")], gateway: Some("192.168.10.1"))],
        hosts: [(name: "h1", nics: [(name: "Ethernet", address: "10.0.0.11/24")], gateway: Some("10.0.0.1"))],
        links: [
            (a: "pc.eth0", b: "rtr.wan", name: Some("wan"), latency_us: 50000),
            (a: "rtr.dc", b: "dc", latency_us: 50000),
            (a: "h1.Ethernet", b: "dc"),
        ],
    ),
    images: [(name: "img", services: [Tcp(80)])],
    steps: [
        Docker(host: "h1", cmd: "docker run -d --name web -p 8080:80 img"),
        {steps}
    ],
)
"#
    )
}

const PROBE: &str = r#"Probe(from: "pc", to: "10.0.0.11", proto: Tcp(8080)),"#;

#[test]
fn a_link_taken_down_by_at_mid_probe_fails_that_probe() {
    // Without the At: the probe goes through. With the ARP on each side, its SYN crosses
    // the WAN link at t=0.10-0.15s and reaches h1 at t=0.35s; the SYN-ACK is back at the
    // router at t=0.40s.
    let (rep, outcomes) = run(&wan_scenario(PROBE));
    assert_eq!(outcomes, vec![Outcome::Delivered], "{}", rep.text);
    assert!(rep.failures.is_empty(), "{}", rep.text);

    // The same scenario with the WAN link going down at t=0.3s, between the two.
    let steps = format!(r#"At(ms: 300, do: LinkDown(link: "wan")), {PROBE}"#);
    let (rep, outcomes) = run(&wan_scenario(&steps));
    assert_eq!(outcomes, vec![Outcome::Dropped], "{}", rep.text);
    assert!(rep.failures.is_empty(), "{}", rep.text);
    assert!(
        rep.text
            .contains("[2] t=0.000000s at t=0.300000s: link wan down (scheduled)\n"),
        "{}",
        rep.text
    );
    assert!(
        rep.text.contains("  dropped at rtr: link wan is down\n"),
        "{}",
        rep.text
    );
    // The change is written among the probe's hops, in time order.
    let trace = &rep.text[rep.text.find("probe #1").expect("the probe")..];
    let went_down = trace
        .find("    0.300000s scheduled by [2]         link wan went down\n")
        .expect("the link going down is in the trace");
    let died = trace.find("DROPPED: link wan is down").expect("the drop");
    assert!(went_down < died, "{trace}");
    let times: Vec<&str> = trace
        .lines()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "hops and the change are in time order");
}

#[test]
fn a_link_down_scheduled_after_the_probe_does_not_touch_it() {
    // Scheduled for after the probe ends: the probe is delivered, and the change happens
    // during the later wait.
    let steps = format!(r#"At(ms: 1000, do: LinkDown(link: "wan")), {PROBE} Wait(ms: 2000),"#);
    let (rep, outcomes) = run(&wan_scenario(&steps));
    assert_eq!(outcomes, vec![Outcome::Delivered], "{}", rep.text);
    assert!(
        rep.text
            .contains("wait 2000ms\n  t=1.000000s link wan went down (scheduled by [2])\n"),
        "{}",
        rep.text
    );
}

#[test]
fn a_time_already_past_is_a_failed_expectation_and_nothing_runs() {
    let steps = format!(r#"Wait(ms: 100), At(ms: 50, do: LinkDown(link: "wan")), {PROBE}"#);
    let (rep, outcomes) = run(&wan_scenario(&steps));
    assert_eq!(rep.failures.len(), 1, "{}", rep.text);
    assert!(
        rep.failures[0].starts_with("test.ron:"),
        "a failure names the At step's place: {}",
        rep.failures[0]
    );
    assert!(
        rep.failures[0].contains(
            "it was scheduled for t=0.050000s, but the run is already at t=0.100000s, so it did not run"
        ),
        "{}",
        rep.failures[0]
    );
    assert_eq!(outcomes, vec![Outcome::Delivered], "the link stayed up");
}

#[test]
fn what_is_pending_after_the_last_step_runs_and_is_reported() {
    let steps = format!(
        r#"{PROBE} At(ms: 5000, do: Docker(host: "h1", cmd: "docker stop web")), At(ms: 6000, do: LinkDown(link: "wan")),"#
    );
    let (rep, _) = run(&wan_scenario(&steps));
    assert!(rep.failures.is_empty(), "{}", rep.text);
    let tail = &rep.text[rep.text.find("after the last step").expect("the tail")..];
    assert!(
        tail.starts_with("after the last step, t=0.405212s:"),
        "the tail starts where the steps ended: {tail}"
    );
    assert!(
        tail.contains(": time runs on to 2 scheduled step(s)\n  t=5.000000s h1> docker stop web (scheduled by [3])\n  | web\n  t=6.000000s link wan went down (scheduled by [4])\n"),
        "{tail}"
    );
    assert!(tail.contains("simulated 6.000000s;"), "{tail}");
}

#[test]
fn a_scheduled_docker_step_checks_its_expectation() {
    let steps = r#"At(ms: 10, do: Docker(host: "h1", cmd: "docker network create -d nat web", expect: Some(Fails("no such thing")))), Wait(ms: 20),"#;
    let (rep, _) = run(&wan_scenario(steps));
    assert_eq!(rep.failures.len(), 1, "{}", rep.text);
    assert!(
        rep.failures[0]
            .contains("expected an error containing \"no such thing\", but the command succeeded"),
        "{}",
        rep.failures[0]
    );
    assert!(
        rep.text.contains(
            "  t=0.010000s h1> docker network create -d nat web (scheduled by [2])\n  | "
        ),
        "{}",
        rep.text
    );
    assert!(rep.text.contains("  EXPECTATION FAILED: expected an error"));
}

#[test]
fn a_probe_whose_source_reboots_says_so() {
    // The container sends its SYN over the WAN; its host reboots before the answer comes.
    let steps = r#"Docker(host: "h1", cmd: "docker run -d --name client img"), At(ms: 10, do: Reboot(host: "h1")), Probe(from: "client", to: "192.168.10.20", proto: Tcp(22)),"#;
    let (rep, outcomes) = run(&wan_scenario(steps));
    assert_eq!(outcomes, vec![Outcome::Dropped], "{}", rep.text);
    assert!(
        rep.text
            .contains("DROPPED (its originator was reset or removed before the probe ended)"),
        "{}",
        rep.text
    );
    assert!(rep.text.contains("h1 rebooted"), "{}", rep.text);
}

/// One host whose NIC `Ethernet` is cabled to `lan`, and a laptop on `lan`.
const NIC_WORLD: &str = r#"ScenarioSpec(
    title: "nic",
    seed: 4,
    fabric: (
        switches: [(name: "lan")],
        externals: [(name: "laptop", interfaces: [(name: "eth0", address: "192.168.1.50/24")])],
        hosts: [(name: "h1", nics: [(name: "Ethernet", address: "192.168.1.11/24")], firewall: (allow: [Icmp]))],
        links: [(a: "h1.Ethernet", b: "lan", name: Some("cable")), (a: "laptop.eth0", b: "lan")],
    ),
    images: [(name: "img", services: [Tcp(80)])],
)
"#;

#[test]
fn a_nic_failure_finds_the_cable_where_binding_moved_it() {
    let mut world = world_of(NIC_WORLD);
    let (plain, name) = world.nic_link("h1", "Ethernet").expect("a cabled NIC");
    assert_eq!(name, "cable");
    let nic_down = ControlAction::Nic {
        host: "h1".into(),
        nic: "Ethernet".into(),
        up: false,
    };
    // Scheduled before the NIC is bound to an external vSwitch...
    world
        .schedule(SimTime(5_000_000), nic_down)
        .expect("in the future");
    for cmd in [
        "docker network create -d transparent --subnet 192.168.1.0/24 --gateway 192.168.1.1 t",
        "docker run -d --name web --network t --ip 192.168.1.101 img",
    ] {
        let out = world.docker("h1", cmd);
        assert!(out.error.is_none(), "{cmd}: {:?}", out.error);
    }
    // ...which re-plugged the cable into the vSwitch's uplink: the NIC's cable is that link now.
    let (bound, name) = world.nic_link("h1", "Ethernet").expect("still cabled");
    assert_eq!(name, "cable", "the cable keeps its name");
    let info = world.engine.topology().link(bound).expect("a live link");
    let kinds: Vec<NodeKind> = [info.a.0, info.b.0]
        .iter()
        .map(|n| world.engine.topology().node(*n).expect("a node").kind)
        .collect();
    assert!(kinds.contains(&NodeKind::VSwitch), "{kinds:?}");
    assert!(
        !kinds.contains(&NodeKind::WindowsHost),
        "the host stack's NIC port now holds the host vNIC's internal link, not the cable"
    );
    assert_ne!(
        world
            .engine
            .link_on_port(world.hosts[0].nodes.stack, world.hosts[0].nodes.physical[0]),
        Some(bound)
    );
    let r = world
        .probe("laptop", "192.168.1.101", ProbeProto::Tcp(80))
        .expect("starts");
    assert_eq!(r.outcome, Outcome::Delivered, "before the NIC fails");

    // When it fires, the cable on the uplink goes down, and the container is cut off.
    world.wait(sim_core::time::SimDuration::from_millis(10));
    let fired = world.fired();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].time, SimTime(5_000_000));
    assert!(
        matches!(&fired[0].effect, Effect::Link { link, up: false } if link == "cable"),
        "{:?}",
        fired[0].effect
    );
    assert_eq!(
        fired[0].headline(),
        "NIC h1.Ethernet failed: link cable went down"
    );
    let r = world
        .probe("laptop", "192.168.1.101", ProbeProto::Tcp(80))
        .expect("starts");
    assert_eq!(r.outcome, Outcome::Dropped);
    // The LAN switch has no live port left to send it to.
    assert!(
        r.drop.as_ref().is_some_and(|(at, _)| at == "lan"),
        "{:?}",
        r.drop
    );

    // NicUp (as a plain step) brings it back.
    assert_eq!(
        world.set_nic("h1", "Ethernet", true),
        Ok("cable".to_string())
    );
    let r = world
        .probe("laptop", "192.168.1.101", ProbeProto::Tcp(80))
        .expect("starts");
    assert_eq!(r.outcome, Outcome::Delivered);
    // Removing the network puts the cable back into the NIC.
    let out = world.docker("h1", "docker rm -f web");
    assert!(out.error.is_none(), "{:?}", out.error);
    let out = world.docker("h1", "docker network rm t");
    assert!(out.error.is_none(), "{:?}", out.error);
    let (unbound, _) = world.nic_link("h1", "Ethernet").expect("cabled");
    assert_eq!(
        world
            .engine
            .link_on_port(world.hosts[0].nodes.stack, world.hosts[0].nodes.physical[0]),
        Some(unbound)
    );
    let _ = plain;
}

#[test]
fn nic_steps_report_the_cable() {
    let text = NIC_WORLD.replace(
        "images: [(name: \"img\", services: [Tcp(80)])],",
        r#"images: [(name: "img", services: [Tcp(80)])],
    steps: [
        NicDown(host: "h1", nic: "Ethernet"),
        Probe(from: "laptop", to: "192.168.1.11", expect: Some(Dropped)),
        NicUp(host: "h1", nic: "Ethernet"),
        Probe(from: "laptop", to: "192.168.1.11", expect: Some(Delivered)),
    ],"#,
    );
    let (rep, outcomes) = run(&text);
    assert!(rep.failures.is_empty(), "{}", rep.text);
    assert_eq!(outcomes, vec![Outcome::Dropped, Outcome::Delivered]);
    assert!(
        rep.text.contains(
            "[1] t=0.000000s NIC h1.Ethernet down\n  its cable, link cable, is down\n  expectation: ok\n"
        ),
        "{}",
        rep.text
    );
}
