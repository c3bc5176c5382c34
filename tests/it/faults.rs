//! Faults while traffic flows: link impairments drawn from the run's seed and named in the
//! trace, partitions that heal only what they cut, hosts failing and coming back, service
//! restarts, and the checks that refuse a fault step written wrong.

use crate::common::{run_with_outcomes as run, world_of};
use sim_core::device::Outcome;
use sim_core::scenario;
use sim_core::scenario::SystemService;
use sim_core::sim::report::{self, Report};
use sim_core::sim::scheduled::{ControlAction, Effect};

/// A client 5 ms away (the `wan` link) from a Windows host publishing `web` on 8080, and
/// `steps` after the `docker run`.
fn scenario_with(seed: u64, steps: &str) -> String {
    format!(
        r#"ScenarioSpec(
    title: "faults",
    seed: {seed},
    fabric: (
        switches: [(name: "lan")],
        externals: [(name: "pc", interfaces: [(name: "eth0", address: "10.0.0.20/24")])],
        hosts: [(name: "h1", nics: [(name: "Ethernet", address: "10.0.0.11/24")])],
        links: [
            (a: "pc.eth0", b: "lan", name: Some("wan"), latency_us: 5000),
            (a: "h1.Ethernet", b: "lan"),
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
fn a_lossy_link_drops_frames_in_the_trace_and_clearing_it_restores_the_link() {
    let steps = format!(r#"Impair(link: "wan", loss: 1.0), {PROBE} Impair(link: "wan"), {PROBE}"#);
    let (rep, outcomes) = run(&scenario_with(1, &steps));
    assert_eq!(
        outcomes,
        vec![Outcome::Dropped, Outcome::Delivered],
        "{}",
        rep.text
    );
    assert!(
        rep.text.contains(
            "DROPPED: lost on link wan to its loss impairment (100.0% of frames, set by an Impair step)"
        ),
        "{}",
        rep.text
    );
    assert!(
        rep.text.contains("link wan impaired: loss 100%\n"),
        "{}",
        rep.text
    );
    assert!(
        rep.text.contains("link wan: impairments cleared\n"),
        "{}",
        rep.text
    );
}

#[test]
fn impairments_repeat_for_a_seed_and_differ_across_seeds() {
    let probes = PROBE.repeat(12);
    let steps =
        format!(r#"Impair(link: "wan", loss: 0.4, jitter_ms: 3, duplicate: 0.2), {probes}"#);
    let fates = |seed| run(&scenario_with(seed, &steps));
    let (a, oa) = fates(3);
    let (b, ob) = fates(3);
    assert_eq!(a.text, b.text, "the same seed gives the same report");
    assert_eq!(oa, ob);
    assert!(
        oa.contains(&Outcome::Dropped) && oa.contains(&Outcome::Delivered),
        "{oa:?}"
    );
    let differs = (4..10).any(|seed| fates(seed).1 != oa);
    assert!(differs, "another seed draws other fates");
}

#[test]
fn added_latency_delays_the_connection() {
    let (clean, _) = run(&scenario_with(1, &format!("{PROBE} {PROBE}")));
    let slow = format!(r#"{PROBE} Impair(link: "wan", latency_ms: 100), {PROBE}"#);
    let (slow, outcomes) = run(&scenario_with(1, &slow));
    assert_eq!(outcomes, vec![Outcome::Delivered, Outcome::Delivered]);
    // Each frame crosses wan twice per round trip: +200 ms for the SYN and SYN-ACK.
    let end = |r: &Report| {
        let s = r.text.rsplit("simulated ").next().unwrap_or_default();
        s.split('s')
            .next()
            .unwrap_or_default()
            .parse::<f64>()
            .expect("a time")
    };
    let added = end(&slow) - end(&clean);
    assert!((0.199..0.301).contains(&added), "{added}");
}

#[test]
fn partitions_heal_only_what_no_other_fault_holds() {
    let mut world = world_of(&scenario_with(1, ""));
    let cut = world.perform(&ControlAction::Partition {
        name: "a".into(),
        links: vec!["wan".into()],
        nodes: Vec::new(),
    });
    assert!(
        matches!(&cut, Effect::Links { links, up: false } if links == &["wan"]),
        "{cut:?}"
    );
    // The host fails too: its cable, not wan.
    let down = world.perform(&ControlAction::Host {
        host: "h1".into(),
        up: false,
    });
    assert!(
        matches!(&down, Effect::Links { links, .. } if links == &["h1.Ethernet<->lan"]),
        "{down:?}"
    );
    let again = world.perform(&ControlAction::Host {
        host: "h1".into(),
        up: false,
    });
    assert!(
        matches!(&again, Effect::Failed(e) if e.contains("already down")),
        "{again:?}"
    );
    // A second partition over the host's cable: it was already down, so it cuts nothing.
    let b = world.perform(&ControlAction::Partition {
        name: "b".into(),
        links: Vec::new(),
        nodes: vec!["h1".into()],
    });
    assert!(
        matches!(&b, Effect::Links { links, .. } if links.is_empty()),
        "{b:?}"
    );
    // The host comes back: it boots, and its cable comes up.
    let back = world.perform(&ControlAction::Host {
        host: "h1".into(),
        up: true,
    });
    let Effect::HostBack { links, error, .. } = &back else {
        panic!("{back:?}");
    };
    assert_eq!(
        (links.as_slice(), error),
        (&["h1.Ethernet<->lan".to_string()][..], &None)
    );
    let healed = world.perform(&ControlAction::Heal { name: "a".into() });
    assert!(
        matches!(&healed, Effect::Links { links, up: true } if links == &["wan"]),
        "{healed:?}"
    );
    let unknown = world.perform(&ControlAction::Heal { name: "a".into() });
    assert!(
        matches!(&unknown, Effect::Failed(e) if e.contains("no partition named")),
        "{unknown:?}"
    );
    // After the boot the container is stopped (Server 2022 keeps no HNS state).
    let ps = world.docker("h1", "docker ps -q");
    assert_eq!(ps.stdout, "", "{ps:?}");
}

#[test]
fn a_docker_restart_keeps_networks_and_restarts_by_policy_only() {
    let mut world = world_of(&scenario_with(2, ""));
    world.docker(
        "h1",
        "docker network create -d nat --subnet 10.244.0.0/24 n1",
    );
    world.docker(
        "h1",
        "docker run -d --name keep --network n1 --restart unless-stopped img",
    );
    world.docker(
        "h1",
        "docker run -d --name once --network n1 --restart on-failure:3 img",
    );
    let nets = world.docker("h1", "docker network ls -q").stdout;
    let r = world.perform(&ControlAction::RestartService {
        host: "h1".into(),
        service: SystemService::Docker,
    });
    let Effect::Restarted { kept, lost, error } = &r else {
        panic!("{r:?}");
    };
    assert_eq!(error, &None);
    assert!(
        kept.contains("started again by their restart policy: keep"),
        "{kept}"
    );
    assert!(
        lost.contains("running containers stopped: keep, once"),
        "{lost}"
    );
    assert_eq!(world.docker("h1", "docker network ls -q").stdout, nets);
    let ps = world.docker("h1", "docker ps --format {{.Names}}").stdout;
    assert_eq!(ps, "keep\n");
}

#[test]
fn fault_steps_written_wrong_are_refused_by_check() {
    let bad = [
        (
            r#"Impair(link: "wan", loss: 1.5),"#,
            "Impair `loss` is a probability from 0.0 to 1.0, found 1.5",
        ),
        (r#"Impair(link: "wna"),"#, "there is no link named `wna`"),
        (
            r#"Partition(name: "p"),"#,
            "a Partition needs `links` to cut or `nodes` to isolate",
        ),
        (
            r#"Partition(name: "p", nodes: ["nobody"]),"#,
            "there is no node `nobody`",
        ),
        (
            r#"At(ms: 5, do: HostDown(host: "h9")),"#,
            "there is no container host `h9`",
        ),
        (
            r#"RestartService(host: "h1", service: Dockerd),"#,
            "unknown variant `Dockerd`",
        ),
    ];
    for (step, want) in bad {
        let text = scenario_with(1, step);
        let Err(d) = scenario::load_str("t.ron", &text) else {
            panic!("{step} loads");
        };
        let shown = scenario::render(&d);
        assert!(shown.contains(want), "{step}: {shown}");
    }
}

#[test]
fn an_hns_restart_on_a_linux_host_could_not_run() {
    let text = r#"ScenarioSpec(
    title: "linux",
    fabric: (
        switches: [(name: "lan")],
        hosts: [(name: "lx", os: Linux(engine: V29), nics: [(name: "eth0", address: "10.0.0.11/24")])],
        links: [(a: "lx.eth0", b: "lan")],
    ),
    steps: [RestartService(host: "lx", service: Hns)],
)"#;
    let loaded = scenario::load_str("t.ron", text).expect("loads");
    let rep = report::run(&loaded);
    assert!(
        rep.text.contains("lx is not a Windows host: it has no HNS"),
        "{}",
        rep.text
    );
}

#[test]
fn containers_on_a_failed_host_send_nothing_even_to_each_other() {
    use sim_core::device::stack::probe::ProbeProto;
    let mut world = world_of(&scenario_with(1, ""));
    for name in ["web", "db"] {
        let run = world.docker("h1", &format!("docker run -d --name {name} img"));
        assert_eq!(run.error, None, "{run:?}");
    }
    let before = world
        .probe("web", "db", ProbeProto::Icmp)
        .expect("the probe runs");
    assert_eq!(before.outcome, Outcome::Delivered, "{before:?}");
    world.perform(&ControlAction::Host {
        host: "h1".into(),
        up: false,
    });
    let during = world
        .probe("web", "db", ProbeProto::Icmp)
        .expect("the probe runs");
    assert_eq!(during.outcome, Outcome::Dropped);
    assert_eq!(
        during.drop,
        Some((
            "h1".to_string(),
            "h1 is down (it failed): a host without power runs nothing".to_string()
        ))
    );
    assert!(during.hops.is_empty(), "{:?}", during.hops);
}

/// The host's words for a frame that reached one of its devices while it had no power.
const HOST_DOWN: &str = "h1 is down (it failed): a host without power runs nothing";

/// The internal link (vNIC to vSwitch port) of container `name`.
fn vnic_link_of(world: &sim_core::sim::World, name: &str) -> String {
    let topo = world.engine.topology();
    let node = topo.find_node(name).expect("the container's node");
    topo.links()
        .find(|(_, l)| l.internal && (l.a.0 == node || l.b.0 == node))
        .map(|(_, l)| l.name.clone())
        .expect("the container's vNIC link")
}

#[test]
fn a_containers_answer_in_flight_inside_a_failing_host_is_dropped_there() {
    use sim_core::device::stack::probe::ProbeProto;
    use sim_core::engine::link::Impairment;
    use sim_core::time::{SimDuration, SimTime};
    let mut world = world_of(&scenario_with(1, ""));
    let run = world.docker("h1", "docker run -d --name web -p 8080:80 img");
    assert_eq!(run.error, None, "{run:?}");
    let first = world
        .probe("pc", "10.0.0.11", ProbeProto::Tcp(8080))
        .expect("the probe runs");
    assert_eq!(first.outcome, Outcome::Delivered, "{first:?}");
    // 20 ms each way on web's vNIC: with every ARP cache warm, the SYN reaches web 25 ms
    // after it leaves pc (5 ms on wan), and web's SYN-ACK is on the vNIC until 45 ms.
    let vnic = vnic_link_of(&world, "h1/web");
    world.perform(&ControlAction::Impair {
        link: vnic,
        faults: Impairment {
            latency: SimDuration::from_millis(20),
            ..Impairment::default()
        },
    });
    let at = SimTime(world.engine.now().0 + SimDuration::from_millis(35).as_nanos());
    let down = ControlAction::Host {
        host: "h1".into(),
        up: false,
    };
    world.schedule(at, down).expect("scheduled");
    let during = world
        .probe("pc", "10.0.0.11", ProbeProto::Tcp(8080))
        .expect("the probe runs");
    assert_eq!(during.outcome, Outcome::Dropped, "{during:?}");
    let (node, why) = during.drop.clone().expect("a device dropped it");
    assert_eq!(why, HOST_DOWN);
    assert_eq!(
        node, "h1/vSwitch(nat)",
        "dropped inside the host, past its stack"
    );
    let web_sent = during
        .hop_nodes
        .iter()
        .position(|n| n == "h1/web")
        .expect("the SYN reached web");
    let dropped = during
        .hops
        .iter()
        .position(|h| matches!(h.action, sim_core::device::Action::Dropped(_)))
        .expect("a drop hop");
    assert!(web_sent < dropped, "web's answer is what was dropped");

    // Back: the boot stops web (Windows); started again, it answers.
    world.perform(&ControlAction::Host {
        host: "h1".into(),
        up: true,
    });
    let start = world.docker("h1", "docker start web");
    assert_eq!(start.error, None, "{start:?}");
    let after = world
        .probe("pc", "10.0.0.11", ProbeProto::Tcp(8080))
        .expect("the probe runs");
    assert_eq!(after.outcome, Outcome::Delivered, "{after:?}");
}

#[test]
fn a_failed_hosts_own_traffic_stops_its_frames_in_flight_are_dropped_and_it_resumes() {
    use sim_core::device::Device;
    use sim_core::engine::link::Impairment;
    use sim_core::time::SimDuration;
    // pc echoes UDP 7; h1's own stack runs an echo client towards it, one datagram a ms.
    let text = scenario_with(1, "").replace(
        r#"interfaces: [(name: "eth0", address: "10.0.0.20/24")]"#,
        r#"interfaces: [(name: "eth0", address: "10.0.0.20/24")], services: [Udp(7)]"#,
    );
    let mut world = world_of(&text);
    // 5 ms more on h1's cable: echoes are on it when the host fails.
    world.perform(&ControlAction::Impair {
        link: "h1.Ethernet<->lan".into(),
        faults: Impairment {
            latency: SimDuration::from_millis(5),
            ..Impairment::default()
        },
    });
    let stack = world.hosts[0].nodes.stack;
    world.engine.invoke(stack, |d, out| {
        if let Some(s) = d.as_stack_mut() {
            let every = SimDuration::from_millis(1);
            s.start_echo_app("10.0.0.20".parse().unwrap(), 7, 1000, every, every, out);
        }
    });
    let app = |world: &sim_core::sim::World| {
        let s = world.engine.device(stack).and_then(Device::as_stack);
        let a = &s.expect("h1's stack").apps()[0];
        (a.sent, a.replies)
    };
    world.wait(SimDuration::from_millis(50));
    let (sent, replies) = app(&world);
    assert!(
        replies > 10 && sent > replies,
        "{sent} sent, {replies} echoed"
    );

    world.perform(&ControlAction::Host {
        host: "h1".into(),
        up: false,
    });
    let dropped = world.engine.stats.frames_dropped;
    world.wait(SimDuration::from_millis(100));
    assert_eq!(
        app(&world),
        (sent, replies),
        "nothing sent, no echo taken in"
    );
    // About 20 ms of echoes (10 ms on pc's side of the path, 10 on h1's cable) were on
    // the way; those on h1's cable reached its stack and were dropped there.
    assert!(
        world.engine.stats.frames_dropped >= dropped + 5,
        "{} dropped before, {} after",
        dropped,
        world.engine.stats.frames_dropped
    );

    world.perform(&ControlAction::Host {
        host: "h1".into(),
        up: true,
    });
    world.wait(SimDuration::from_millis(100));
    let (sent_after, replies_after) = app(&world);
    assert!(
        sent_after > sent + 50,
        "the client sends again: {sent_after}"
    );
    assert!(
        replies_after > replies + 50,
        "echoes again: {replies_after}"
    );
}

#[test]
fn a_probe_whose_host_fails_while_it_is_in_flight_says_so() {
    use sim_core::device::stack::probe::ProbeProto;
    use sim_core::time::{SimDuration, SimTime};
    let mut world = world_of(&scenario_with(1, ""));
    let run = world.docker("h1", "docker run -d --name web img");
    assert_eq!(run.error, None, "{run:?}");
    // pc is 5 ms away: the host fails while the echo request is on its way.
    let at = SimTime(world.engine.now().0 + SimDuration::from_millis(3).as_nanos());
    let down = ControlAction::Host {
        host: "h1".into(),
        up: false,
    };
    world.schedule(at, down).expect("scheduled");
    let r = world
        .probe("web", "10.0.0.20", ProbeProto::Icmp)
        .expect("the probe runs");
    assert_eq!(r.outcome, Outcome::Dropped, "{r:?}");
    assert_eq!(r.detail, "h1 went down (it failed) before the probe ended");
}
