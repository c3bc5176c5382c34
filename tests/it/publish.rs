//! Published ports on Linux hosts (issue 10, item 3): DNAT from outside, docker-proxy from
//! the host and from containers (the server sees the bridge gateway), port clashes and
//! `docker port`, on every Docker Engine release. Every probe runs through the devices.

use crate::common::world_of;
use sim_core::device::stack::probe::ProbeProto;
use sim_core::device::Outcome;
use sim_core::sim::world::{ProbeResult, World};

/// One Linux host on a LAN with an outside client, as the oracle's environment has it:
/// the host's LAN address is 198.18.0.254, the outside host 198.18.0.1.
fn host(engine: &str, daemon: &str) -> World {
    world_of(&format!(
        r#"(
    title: "publishing",
    seed: 1,
    fabric: (
        switches: [(name: "lan")],
        externals: [(
            name: "outside",
            interfaces: [(name: "eth0", address: "198.18.0.1/24")],
            gateway: Some("198.18.0.254"),
        )],
        hosts: [(
            name: "lin1",
            os: Linux(engine: {engine}),
            nics: [(name: "eth0", address: "198.18.0.254/24")],
            daemon: ({daemon}),
        )],
        links: [(a: "lin1.eth0", b: "lan"), (a: "outside.eth0", b: "lan")],
    ),
    images: [(name: "web", services: [Tcp(80)]), (name: "idle", services: [])],
    steps: [],
)"#
    ))
}

const ENGINES: [&str; 4] = ["V20_10", "V27", "V28", "V29"];

fn ok(w: &mut World, line: &str) -> String {
    let out = w.shell("lin1", line);
    assert_eq!(out.exit_code, 0, "{line}: {out:?}");
    out.stdout
}

fn tcp(w: &mut World, from: &str, to: &str, port: u16) -> ProbeResult {
    w.probe(from, to, ProbeProto::Tcp(port))
        .expect("the probe runs")
}

/// The probe's trace, one line per hop, as `node: action [packet]`.
fn trace(w: &World, r: &ProbeResult) -> Vec<String> {
    r.hops
        .iter()
        .zip(&r.hop_nodes)
        .map(|(h, node)| {
            let pkt = sim_core::wire::parse(&h.bytes)
                .map(|p| p.to_string())
                .unwrap_or_default();
            format!("{node}: {} [{pkt}]", h.action.show(w.engine.syms()))
        })
        .collect()
}

/// The source address the container's listener saw in the connection's SYN.
fn server_saw(lines: &[String], container: &str) -> String {
    let at = format!("lin1/{container}: delivered to TCP listener");
    let line = lines
        .iter()
        .find(|l| l.starts_with(&at))
        .unwrap_or_else(|| panic!("{container}'s listener was not reached: {lines:#?}"));
    let ip = line.split("[IP ").nth(1).expect("a packet");
    let src = ip.split(' ').next().expect("a source");
    src.rsplit_once('.').expect("addr.port").0.to_string()
}

#[test]
fn published_ports_answer_from_outside_through_dnat_on_every_release() {
    for engine in ENGINES {
        let mut w = host(engine, "");
        ok(&mut w, "docker run -d --name web -p 8080:80 web");
        let r = tcp(&mut w, "outside", "198.18.0.254", 8080);
        let lines = trace(&w, &r);
        assert_eq!(r.outcome, Outcome::Delivered, "{engine}: {lines:#?}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("DNAT") || l.contains("destination")),
            "{engine}: the DNAT rule shows: {lines:#?}"
        );
        assert!(
            !lines.iter().any(|l| l.contains("docker-proxy")),
            "{engine}: no proxy from outside: {lines:#?}"
        );
        // The container sees the real client.
        assert_eq!(server_saw(&lines, "web"), "198.18.0.1", "{engine}");
        // A port nobody published is refused by the host.
        let r = tcp(&mut w, "outside", "198.18.0.254", 8081);
        assert_eq!(r.outcome, Outcome::Refused, "{engine}");
    }
}

#[test]
fn the_host_reaches_its_loopback_binding_through_docker_proxy_from_the_gateway() {
    for engine in ENGINES {
        let mut w = host(engine, "");
        ok(&mut w, "docker run -d --name web -p 8080:80 web");
        let r = tcp(&mut w, "lin1", "127.0.0.1", 8080);
        let lines = trace(&w, &r);
        assert_eq!(r.outcome, Outcome::Delivered, "{engine}: {lines:#?}");
        assert!(
            lines
                .iter()
                .any(|l| l
                    .contains("docker-proxy 0.0.0.0:8080: accepted, connecting to 172.17.0.2:80")),
            "{engine}: {lines:#?}"
        );
        assert_eq!(server_saw(&lines, "web"), "172.17.0.1", "{engine}");
    }
}

#[test]
fn the_host_reaching_its_bridge_address_is_dnated_from_that_address() {
    // publish/host-bridge-address: OUTPUT -> DOCKER -> DNAT; a connection to one of the
    // host's own addresses has that address as its source, so the server sees 172.17.0.1.
    for engine in ENGINES {
        let mut w = host(engine, "");
        ok(&mut w, "docker run -d --name web -p 8080:80 web");
        let r = tcp(&mut w, "lin1", "172.17.0.1", 8080);
        let lines = trace(&w, &r);
        assert_eq!(r.outcome, Outcome::Delivered, "{engine}: {lines:#?}");
        assert!(
            !lines.iter().any(|l| l.contains("docker-proxy")),
            "{engine}: {lines:#?}"
        );
        assert_eq!(server_saw(&lines, "web"), "172.17.0.1", "{engine}");
    }
}

#[test]
fn a_container_reaching_the_hosts_address_is_served_by_the_proxy_on_20_10() {
    // publish/hairpin-same-bridge and publish/from-other-user-network-via-host-address.
    let mut w = host("V20_10", "");
    ok(&mut w, "docker network create n1");
    ok(&mut w, "docker run -d --name web -p 8080:80 web");
    ok(&mut w, "docker run -d --name c2 idle");
    ok(&mut w, "docker run -d --name c3 --network n1 idle");
    for (from, to) in [
        ("c2", "172.17.0.1"),
        ("c2", "198.18.0.254"),
        ("c3", "172.18.0.1"),
        ("c3", "198.18.0.254"),
        ("web", "172.17.0.1"),
    ] {
        let r = tcp(&mut w, from, to, 8080);
        let lines = trace(&w, &r);
        assert_eq!(r.outcome, Outcome::Delivered, "{from} -> {to}: {lines:#?}");
        assert!(
            lines.iter().any(|l| l.contains("docker-proxy")),
            "{from} -> {to}: {lines:#?}"
        );
        assert_eq!(server_saw(&lines, "web"), "172.17.0.1", "{from} -> {to}");
    }
}

#[test]
fn with_no_server_the_proxy_accepts_and_closes_while_dnat_is_refused() {
    // publish/no-server-in-container.
    let mut w = host("V20_10", "");
    ok(&mut w, "docker run -d --name c1 -p 8080:80 idle");
    let r = tcp(&mut w, "outside", "198.18.0.254", 8080);
    assert_eq!(r.outcome, Outcome::Refused);
    let r = tcp(&mut w, "lin1", "127.0.0.1", 8080);
    let lines = trace(&w, &r);
    assert_eq!(r.outcome, Outcome::Delivered, "{lines:#?}");
    assert!(
        lines.iter().any(|l| l.contains("its target refused")),
        "{lines:#?}"
    );
}

#[test]
fn bindings_limit_who_is_served() {
    // publish/loopback-binding and publish/outside-link-address-binding.
    let mut w = host("V20_10", "");
    ok(&mut w, "docker run -d --name web -p 127.0.0.1:8080:80 web");
    assert_eq!(ok(&mut w, "docker port web"), "80/tcp -> 127.0.0.1:8080\n");
    assert_eq!(
        tcp(&mut w, "lin1", "127.0.0.1", 8080).outcome,
        Outcome::Delivered
    );
    assert_eq!(
        tcp(&mut w, "outside", "198.18.0.254", 8080).outcome,
        Outcome::Refused
    );
    let mut w = host("V20_10", "");
    ok(
        &mut w,
        "docker run -d --name web -p 198.18.0.254:8080:80 web",
    );
    assert_eq!(
        tcp(&mut w, "outside", "198.18.0.254", 8080).outcome,
        Outcome::Delivered
    );
    assert_eq!(
        tcp(&mut w, "lin1", "127.0.0.1", 8080).outcome,
        Outcome::Refused
    );
}

#[test]
fn stopping_the_container_takes_its_ports_away() {
    // publish/rules-removed-on-stop.
    let mut w = host("V20_10", "");
    ok(&mut w, "docker run -d --name web -p 8080:80 web");
    ok(&mut w, "docker stop -t 0 web");
    assert_eq!(ok(&mut w, "docker port web"), "");
    assert_eq!(
        tcp(&mut w, "lin1", "127.0.0.1", 8080).outcome,
        Outcome::Refused
    );
    assert_eq!(
        tcp(&mut w, "outside", "198.18.0.254", 8080).outcome,
        Outcome::Refused
    );
    // The port is free again.
    ok(&mut w, "docker run -d --name web2 -p 8080:80 web");
}

#[test]
fn docker_port_lists_as_the_20_10_cli_does() {
    let mut w = host("V20_10", "");
    ok(&mut w, "docker run -d --name web -p 8080:80 -p 8081:80 web");
    assert_eq!(
        ok(&mut w, "docker port web"),
        "80/tcp -> 0.0.0.0:8081\n80/tcp -> :::8081\n80/tcp -> 0.0.0.0:8080\n80/tcp -> :::8080\n"
    );
    ok(
        &mut w,
        "docker run -d --name w2 -P --expose 80 --expose 81 web",
    );
    assert_eq!(
        ok(&mut w, "docker port w2"),
        "80/tcp -> 0.0.0.0:32769\n80/tcp -> :::32769\n81/tcp -> 0.0.0.0:32768\n81/tcp -> :::32768\n"
    );
    assert_eq!(ok(&mut w, "docker port w2 81"), "0.0.0.0:32768\n:::32768\n");
    ok(&mut w, "docker run -d --name w3 -p 5353:53/udp idle");
    assert_eq!(
        ok(&mut w, "docker port w3"),
        "53/udp -> 0.0.0.0:5353\n53/udp -> :::5353\n"
    );
    // Later CLIs sort naturally and bracket IPv6.
    let mut w = host("V29", "");
    ok(&mut w, "docker run -d --name web -p 8080:80 -p 8081:80 web");
    assert_eq!(
        ok(&mut w, "docker port web"),
        "80/tcp -> 0.0.0.0:8080\n80/tcp -> 0.0.0.0:8081\n80/tcp -> [::]:8080\n80/tcp -> [::]:8081\n"
    );
}

#[test]
fn port_clashes_say_which_socket_holds_the_port() {
    let mut w = host("V20_10", "");
    ok(&mut w, "docker run -d --name w1 -p 8080:80 web");
    let out = w.shell("lin1", "docker run -d --name w2 -p 8080:80 web");
    assert_ne!(out.exit_code, 0);
    assert!(
        out.stderr
            .contains("driver failed programming external connectivity on endpoint w2 (")
            && out
                .stderr
                .contains("): Bind for 0.0.0.0:8080 failed: port is already allocated"),
        "{out:?}"
    );
    // errors/port-already-allocated-loopback: the allocator lets 0.0.0.0 by, the proxy's
    // bind does not.
    let mut w = host("V20_10", "");
    ok(&mut w, "docker run -d --name w1 -p 127.0.0.1:8080:80 web");
    let out = w.shell("lin1", "docker run -d --name w2 -p 8080:80 web");
    assert!(
        out.stderr.contains(
            "Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address already in use"
        ),
        "{out:?}"
    );
    // The refused container's ports went back: another port works, and w1 still answers.
    ok(&mut w, "docker run -d --name w3 -p 8081:80 web");
    assert_eq!(
        tcp(&mut w, "lin1", "127.0.0.1", 8080).outcome,
        Outcome::Delivered
    );
}

#[test]
fn without_the_proxy_hairpin_and_loopback_go_through_nat() {
    for engine in ENGINES {
        let mut w = host(engine, "userland_proxy: Some(false)");
        ok(&mut w, "docker run -d --name web -p 8080:80 web");
        ok(&mut w, "docker run -d --name c2 idle");
        let r = tcp(&mut w, "outside", "198.18.0.254", 8080);
        assert_eq!(r.outcome, Outcome::Delivered, "{engine}");
        let r = tcp(&mut w, "c2", "198.18.0.254", 8080);
        let lines = trace(&w, &r);
        assert_eq!(r.outcome, Outcome::Delivered, "{engine}: {lines:#?}");
        assert!(
            !lines.iter().any(|l| l.contains("docker-proxy")),
            "{engine}: {lines:#?}"
        );
        // Hairpin through the bridge: DNAT, then the container's own address is the
        // client (no MASQUERADE between two containers of one bridge).
        assert_eq!(server_saw(&lines, "web"), "172.17.0.3", "{engine}");
        let r = tcp(&mut w, "lin1", "127.0.0.1", 8080);
        let lines = trace(&w, &r);
        assert_eq!(r.outcome, Outcome::Delivered, "{engine}: {lines:#?}");
        assert!(!lines.iter().any(|l| l.contains("docker-proxy")));
    }
}

#[test]
fn a_published_port_answers_again_after_stop_and_start_on_every_release() {
    // A restarted container gets a new veth pair (and, from v28, a new MAC): the inbound
    // DNATed probe must reach it, not be flooded for a MAC the bridge no longer has.
    for engine in ENGINES {
        let mut w = host(engine, "");
        ok(&mut w, "docker run -d --name web -p 8080:80 web");
        let r = tcp(&mut w, "outside", "198.18.0.254", 8080);
        assert_eq!(r.outcome, Outcome::Delivered, "{engine}: before the stop");
        ok(&mut w, "docker stop -t 0 web");
        ok(&mut w, "docker start web");
        let r = tcp(&mut w, "outside", "198.18.0.254", 8080);
        let lines = trace(&w, &r);
        assert_eq!(r.outcome, Outcome::Delivered, "{engine}: {lines:#?}");
        assert_eq!(server_saw(&lines, "web"), "198.18.0.1", "{engine}");
        // From the host, through docker-proxy, too.
        let r = tcp(&mut w, "lin1", "127.0.0.1", 8080);
        assert_eq!(
            r.outcome,
            Outcome::Delivered,
            "{engine}: {:#?}",
            trace(&w, &r)
        );
    }
}

#[test]
fn a_new_container_on_a_freed_address_is_reached_not_its_predecessors_mac() {
    // From v28 the new container's MAC is random: the host cached the old one for this
    // address, and only the new interface's announcement corrects it.
    for engine in ENGINES {
        let mut w = host(engine, "");
        ok(&mut w, "docker run -d --name web -p 8080:80 web");
        assert_eq!(
            tcp(&mut w, "outside", "198.18.0.254", 8080).outcome,
            Outcome::Delivered,
            "{engine}"
        );
        ok(&mut w, "docker rm -f web");
        ok(&mut w, "docker run -d --name web2 -p 8080:80 web");
        let r = tcp(&mut w, "outside", "198.18.0.254", 8080);
        let lines = trace(&w, &r);
        assert_eq!(r.outcome, Outcome::Delivered, "{engine}: {lines:#?}");
        assert_eq!(server_saw(&lines, "web2"), "198.18.0.1", "{engine}");
    }
}
