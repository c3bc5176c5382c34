//! The run log: with frame recording on, every shipped scenario records each frame it sends,
//! as real bytes, arriving no earlier than it left, and without changing the report; the
//! log's JSON carries names, never interned ids; and one probe's log is pinned.

use crate::common::{load_relative, relative, repo_root, scenario_files};
use serde_json::Value;
use sim_core::engine::frames::WireFate;
use sim_core::log::RunLog;
use sim_core::scenario;
use sim_core::sim::report::{self, RunOptions};
use sim_core::wire;

const RECORDING: RunOptions = RunOptions {
    show_config: false,
    record_frames: true,
    machine: false,
    cut: report::TraceCut {
        no_arp: false,
        first_packet: false,
    },
};

/// Keys whose value may be a number in the log, and (for `port` and `rule`) the only kinds
/// of object in which they are one. Anywhere else a number would be an unresolved id.
fn number_allowed(key: &str, kind: Option<&str>) -> bool {
    match key {
        "version" | "probe" | "time_ns" | "sent_ns" | "arrived_ns" | "ports" | "vni" | "vlan"
        | "limit_bytes" | "size" | "mtu" | "max" | "fragments" | "held" | "ident"
        | "probe_in_ms" | "timeout_ms" | "datagrams" | "bytes" => true,
        "port" => matches!(
            kind,
            Some("tcp_listener" | "tcp_reset" | "udp_echo" | "no_listener")
        ),
        "rule" => kind == Some("rule"),
        "per_mille" => kind == Some("impairment_loss"),
        _ => false,
    }
}

fn is_snake_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Every key and every `kind` is snake_case, and no value is a number where a name belongs.
fn check_names(v: &Value, at: &str) {
    match v {
        Value::Object(m) => {
            let kind = m.get("kind").and_then(Value::as_str);
            if let Some(k) = kind {
                assert!(is_snake_case(k), "{at}: kind {k:?}");
            }
            for (key, value) in m {
                assert!(is_snake_case(key), "{at}: key {key:?}");
                if value.is_number() {
                    assert!(
                        number_allowed(key, kind),
                        "{at}: {key} is a number in a {kind:?} object: {v}"
                    );
                }
                check_names(value, at);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| check_names(x, at)),
        _ => {}
    }
}

#[test]
fn every_scenario_records_each_frame_it_sends() {
    for rel in scenario_files() {
        let rel = relative(&repo_root().join(rel));
        if crate::common::is_documented_table(&rel) {
            continue;
        }
        let loaded = load_relative(&rel);
        let (rep, world) = report::run_world(&loaded, RECORDING, &mut |_| {});
        let world = world.unwrap_or_else(|| panic!("{rel}: the fabric builds"));
        assert!(
            rep.text == report::run(&loaded).text,
            "{rel}: recording frames changed the report"
        );
        let eng = &world.engine;
        let frames = eng.wire_frames();
        assert_eq!(
            frames.len() as u64,
            eng.stats.frames_sent,
            "{rel}: one record per frame sent"
        );
        for (i, f) in frames.iter().enumerate() {
            if let Err(e) = wire::parse(&f.bytes) {
                panic!("{rel}: recorded frame {i} does not parse ({e}): {f:?}");
            }
            if let WireFate::Arrives(at) = f.fate {
                assert!(at >= f.sent, "{rel}: frame {i} arrives before it left");
            }
            let names = eng
                .link_names(f.link)
                .unwrap_or_else(|| panic!("{rel}: frame {i}'s link has names"));
            assert!(
                names.port(f.from).is_some() && names.port(f.to).is_some() && f.from != f.to,
                "{rel}: frame {i} goes between its link's two ends"
            );
        }
        assert!(
            frames.windows(2).all(|w| w[0].sent <= w[1].sent),
            "{rel}: records are in the order frames were sent"
        );
        let json = RunLog::new(eng).to_json();
        let v: Value = serde_json::from_str(&json).expect("the log is JSON");
        check_names(&v, &rel);
        assert_eq!(v["hops"].as_array().map(Vec::len), Some(eng.trace().len()));
    }
}

/// One Windows Server 2019 host with two nat networks and a container on each.
const TWO_NAT_NETWORKS: &str = r#"ScenarioSpec(
    title: "two nat networks",
    seed: 1,
    fabric: (
        switches: [(name: "tor")],
        hosts: [(
            name: "win1",
            os: WindowsServer2019,
            nics: [(name: "Ethernet", address: "192.168.1.21/24")],
            gateway: Some("192.168.1.1"),
        )],
        links: [(a: "win1.Ethernet", b: "tor")],
    ),
    images: [(name: "img", services: [Tcp(80)])],
    steps: [
        Docker(host: "win1", cmd: "docker network create -d nat --subnet 10.244.0.0/24 my_nat"),
        Docker(host: "win1", cmd: "docker run -d --name a --network=my_nat img"),
        Docker(host: "win1", cmd: "docker run -d --name other img"),
        Probe(from: "a", to: "other", expect: Some(Dropped)),
    ],
)
"#;

#[test]
fn the_log_of_a_probe_refused_by_a_forwarding_rule() {
    let loaded = scenario::load_str("two-nat.ron", TWO_NAT_NETWORKS).expect("loads");
    let mut log = None;
    let (rep, _) = report::run_world(&loaded, RECORDING, &mut |step| {
        log = Some(RunLog::of_probe(&step.world.engine, step.result.id).to_json());
    });
    assert!(rep.failures.is_empty(), "{}", rep.text);
    let json = log.expect("the probe ran");
    insta::assert_snapshot!(json);

    let v: Value = serde_json::from_str(&json).expect("the log is JSON");
    check_names(&v, "two-nat.ron");
    assert_eq!(v["probes"][0]["outcome"], "dropped");
    let hops = v["hops"].as_array().expect("hops");
    let last = hops.last().expect("a hop");
    assert_eq!(last["node"], "win1");
    let why = &last["action"]["reason"];
    assert_eq!(why["kind"], "rule");
    assert_eq!(why["hook"], "forward");
    assert_eq!(why["in_iface"], "vEthernet (my_nat)");
    assert_eq!(why["out_iface"], "vEthernet (nat)");
    assert!(why["rule"].is_u64() || why["rule"].is_null(), "{why}");
    // Every frame of the probe went over a link, and the last one reached the host.
    let frames = v["frames"].as_array().expect("frames");
    assert!(!frames.is_empty());
    let to_host = frames.last().expect("a frame");
    assert_eq!(to_host["to"]["node"], "win1");
    assert_eq!(to_host["to"]["port"], "vEthernet (my_nat)");
    assert_eq!(
        to_host["frame"], last["frame"],
        "the bytes the host dropped"
    );
}
