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
