//! Name resolution in Linux containers: the embedded DNS at 127.0.0.11 on user-defined
//! networks (reached through the DNAT rules in the container's namespace), `/etc/hosts`
//! names on the default bridge, and the files `cat` reads (compared with the texts the real
//! Docker 20.10 printed in `tests/oracle/fixtures/`).

use crate::common::world_of;
use sim_core::sim::World;

fn linux_host(engine: &str) -> String {
    format!(
        r#"(
    title: "one Linux host",
    seed: 1,
    fabric: (
        switches: [(name: "lan")],
        hosts: [(
            name: "vm",
            os: Linux(engine: {engine}),
            nics: [(name: "eth0", address: "192.0.2.2/24")],
            gateway: Some("192.0.2.1"),
            dns_servers: ["10.255.255.53"],
            daemon: (dns: ["172.17.0.1"]),
        )],
        links: [(a: "vm.eth0", b: "lan")],
    ),
    images: [(name: "busybox", services: [Tcp(80)])],
    steps: [],
)"#
    )
}

fn sh(w: &mut World, line: &str) -> sim_core::shell::ShellOutput {
    let out = w.shell("vm", line);
    assert!(out.exit_code <= 1, "{line}: {out:?}");
    out
}

fn ok(w: &mut World, line: &str) {
    let out = w.shell("vm", line);
    assert_eq!(out.exit_code, 0, "{line}: {out:?}");
}

/// `cat <path>` inside container `name`, through the backend's seam.
fn file(w: &World, name: &str, path: &str) -> String {
    let d = &w.hosts[0].daemon;
    let c = d.store.container(name).expect("the container exists");
    d.backend
        .container_file(&d.store, c, path)
        .expect("a file the model keeps")
}

/// The probe's hops as trace lines.
fn trace(w: &mut World, container: &str, target: &str) -> (bool, String) {
    let r = w
        .exec_probe(
            "vm",
            container,
            sim_core::device::stack::probe::ProbeTarget::Name(target.into()),
            sim_core::device::stack::probe::ProbeProto::Dns,
        )
        .expect("the container exists");
    let lines: Vec<String> = r
        .hops
        .iter()
        .zip(&r.hop_nodes)
        .map(|(h, n)| format!("{n}: {}", h.action.show(w.engine.syms())))
        .collect();
    (
        r.outcome == sim_core::device::Outcome::Delivered,
        lines.join("\n"),
    )
}

fn id12(w: &World, name: &str) -> String {
    w.hosts[0].daemon.store.container(name).expect("exists").id[..12].to_string()
}

#[test]
fn user_network_names_resolve_through_the_dnat_in_the_container() {
    let mut w = world_of(&linux_host("V20_10"));
    ok(&mut w, "docker network create n1");
    ok(&mut w, "docker run -d --name c1 --network n1 busybox");
    ok(
        &mut w,
        "docker run -d --name c2 --network n1 --network-alias db busybox",
    );
    let (found, t) = trace(&mut w, "c1", "c2");
    assert!(found, "{t}");
    assert!(t.contains("DNAT") || t.contains("dnat"), "no DNAT in:\n{t}");
    assert!(t.contains("docker embedded DNS (c1)"), "{t}");
    for name in ["C2", "c2.n1", "db", "db.n1"] {
        let (found, t) = trace(&mut w, "c1", name);
        assert!(found, "{name}:\n{t}");
    }
    let short = id12(&w, "c2");
    assert!(trace(&mut w, "c1", &short).0);
    assert_eq!(
        sh(&mut w, "docker exec c1 ping -c 1 -W 1 c2").exit_code,
        0,
        "ping by name"
    );
}

#[test]
fn unknown_names_go_to_the_upstream_and_other_networks_stay_apart() {
    let mut w = world_of(&linux_host("V20_10"));
    ok(&mut w, "docker network create n1");
    ok(&mut w, "docker network create n2");
    ok(&mut w, "docker run -d --name c1 --network n1 busybox");
    ok(&mut w, "docker run -d --name c2 --network n2 busybox");
    ok(&mut w, "docker run -d --name c3 busybox");
    let (found, t) = trace(&mut w, "c1", "c2");
    assert!(!found, "{t}");
    assert!(t.contains("forwarding to upstream 172.17.0.1"), "{t}");
    assert!(
        !trace(&mut w, "c1", "c3").0,
        "default bridge names are not in DNS"
    );
}

#[test]
fn records_follow_endpoints_as_they_join_and_leave() {
    let mut w = world_of(&linux_host("V20_10"));
    ok(&mut w, "docker network create n1");
    ok(&mut w, "docker run -d --name c1 --network n1 busybox");
    ok(&mut w, "docker run -d --name c2 --network n1 busybox");
    assert!(trace(&mut w, "c1", "c2").0);
    ok(&mut w, "docker stop c2");
    assert!(!trace(&mut w, "c1", "c2").0, "a stopped container is gone");
    ok(&mut w, "docker start c2");
    assert!(trace(&mut w, "c1", "c2").0);
    ok(&mut w, "docker network disconnect n1 c2");
    assert!(!trace(&mut w, "c1", "c2").0, "a disconnected one too");
    ok(&mut w, "docker network create n2");
    ok(&mut w, "docker network connect n2 c1");
    ok(&mut w, "docker network connect --alias store n2 c2");
    assert!(trace(&mut w, "c1", "store").0, "through the second network");
    assert!(trace(&mut w, "c1", "c2.n2").0);
}

#[test]
fn generated_names_resolve_from_v25_only() {
    for (engine, resolves) in [("V20_10", false), ("V27", true)] {
        let mut w = world_of(&linux_host(engine));
        ok(&mut w, "docker network create n1");
        ok(&mut w, "docker run -d --network n1 busybox");
        ok(&mut w, "docker run -d --name c2 --network n1 busybox");
        let anon = w.hosts[0]
            .daemon
            .store
            .containers
            .iter()
            .find(|c| c.name != "c2")
            .expect("the unnamed one")
            .name
            .clone();
        assert_eq!(trace(&mut w, "c2", &anon).0, resolves, "{engine}");
        let short = id12(&w, &anon);
        assert!(trace(&mut w, "c2", &short).0, "{engine}: the short id");
    }
}

#[test]
fn internal_networks_forward_on_20_10_and_fail_later() {
    for (engine, forwards) in [("V20_10", true), ("V29", false)] {
        let mut w = world_of(&linux_host(engine));
        ok(&mut w, "docker network create --internal i1");
        ok(&mut w, "docker run -d --name c1 --network i1 busybox");
        ok(&mut w, "docker run -d --name c2 --network i1 busybox");
        assert!(trace(&mut w, "c1", "c2").0, "{engine}");
        let (_, t) = trace(&mut w, "c1", "nosuchname");
        assert_eq!(t.contains("forwarding to upstream"), forwards, "{t}");
        assert_eq!(t.contains("SERVFAIL"), !forwards, "{t}");
    }
}

#[test]
fn a_link_alias_on_a_user_network_answers_for_the_linking_container_only() {
    let mut w = world_of(&linux_host("V20_10"));
    ok(&mut w, "docker network create n1");
    ok(&mut w, "docker run -d --name c1 --network n1 busybox");
    ok(
        &mut w,
        "docker run -d --name c2 --network n1 --link c1:db busybox",
    );
    assert!(trace(&mut w, "c2", "db").0);
    assert!(!trace(&mut w, "c1", "db").0);
    assert_eq!(
        file(&w, "c2", "/etc/hosts").lines().count(),
        7,
        "no link line on a user network"
    );
}

const HOSTS_DEFAULTS: &str = "127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
";

/// `dns/resolv-conf-on-user-network`, `dns/dns-search-and-options-on-user-network`,
/// `dns/custom-dns-on-user-network`, `dns/etc-hosts-on-user-network`, `dns/hostname-flag`.
#[test]
fn files_on_a_user_network_are_as_recorded() {
    let mut w = world_of(&linux_host("V20_10"));
    ok(&mut w, "docker network create n1");
    ok(&mut w, "docker run -d --name c1 --network n1 busybox");
    ok(&mut w, "docker run -d --name c2 --network n1 --dns-search example.test --dns-option ndots:2 busybox");
    ok(
        &mut w,
        "docker run -d --name c3 --network n1 --dns 198.18.0.1 --hostname h1 busybox",
    );
    assert_eq!(
        file(&w, "c1", "/etc/resolv.conf"),
        "nameserver 127.0.0.11\noptions ndots:0\n"
    );
    assert_eq!(
        file(&w, "c2", "/etc/resolv.conf"),
        "search example.test\nnameserver 127.0.0.11\noptions ndots:2\n"
    );
    assert_eq!(
        file(&w, "c3", "/etc/resolv.conf"),
        "nameserver 127.0.0.11\noptions ndots:0\n"
    );
    let c1 = id12(&w, "c1");
    assert_eq!(
        file(&w, "c1", "/etc/hosts"),
        format!("{HOSTS_DEFAULTS}172.18.0.2\t{c1}\n")
    );
    assert_eq!(file(&w, "c1", "/etc/hostname"), format!("{c1}\n"));
    assert_eq!(
        file(&w, "c3", "/etc/hosts"),
        format!("{HOSTS_DEFAULTS}172.18.0.4\th1\n")
    );
    assert_eq!(file(&w, "c3", "/etc/hostname"), "h1\n");
    assert!(trace(&mut w, "c1", "h1").0, "the hostname is a record");
    let (_, t) = trace(&mut w, "c3", "nosuchname");
    assert!(t.contains("forwarding to upstream 198.18.0.1"), "{t}");
}

/// `default-bridge/resolv-conf`, `default-bridge/add-host`, `default-bridge/link`,
/// `default-bridge/dns-flags-in-resolv-conf`, `none/resolv-conf-and-hosts`.
#[test]
fn files_on_the_default_bridge_and_none_are_as_recorded() {
    let mut w = world_of(&linux_host("V20_10"));
    ok(&mut w, "docker run -d --name c1 busybox");
    ok(
        &mut w,
        "docker run -d --name c2 --link c1:web --add-host db:172.17.0.99 busybox",
    );
    ok(&mut w, "docker run -d --name c3 --dns 198.18.0.1 --dns-search example.test --dns-option ndots:2 busybox");
    ok(&mut w, "docker run -d --name c4 --network none busybox");
    assert_eq!(
        file(&w, "c1", "/etc/resolv.conf"),
        "nameserver 172.17.0.1\n"
    );
    let (c1, c2) = (id12(&w, "c1"), id12(&w, "c2"));
    assert_eq!(
        file(&w, "c2", "/etc/hosts"),
        format!("{HOSTS_DEFAULTS}172.17.0.99\tdb\n172.17.0.2\tweb {c1} c1\n172.17.0.3\t{c2}\n")
    );
    assert_eq!(
        file(&w, "c3", "/etc/resolv.conf"),
        "search example.test\nnameserver 198.18.0.1\noptions ndots:2\n"
    );
    assert_eq!(
        file(&w, "c4", "/etc/resolv.conf"),
        "nameserver 172.17.0.1\n"
    );
    assert_eq!(file(&w, "c4", "/etc/hosts"), HOSTS_DEFAULTS);
    assert_eq!(sh(&mut w, "docker exec c2 ping -c 1 -W 1 web").exit_code, 0);
    assert_eq!(sh(&mut w, "docker exec c2 ping -c 1 -W 1 c1").exit_code, 0);
    assert_eq!(sh(&mut w, "docker exec c1 ping -c 1 -W 1 c2").exit_code, 1);
}

/// `host/resolv-conf-hosts-hostname` (contradiction #13), `container-mode/hostname-hosts-resolv`.
#[test]
fn host_and_container_mode_files() {
    let mut w = world_of(&linux_host("V20_10"));
    // (Two characters at least: the daemon refuses one-character names.)
    ok(&mut w, "docker run -d --name hn --network host busybox");
    assert_eq!(
        file(&w, "hn", "/etc/resolv.conf"),
        "nameserver 172.17.0.1\n"
    );
    assert_eq!(file(&w, "hn", "/etc/hostname"), "vm\n");
    assert_eq!(
        file(&w, "hn", "/etc/hosts"),
        "127.0.0.1 localhost\n127.0.0.1 vm\n"
    );
    ok(&mut w, "docker run -d --name c1 --hostname h1 busybox");
    ok(
        &mut w,
        "docker run -d --name c2 --network container:c1 busybox",
    );
    assert_eq!(file(&w, "c2", "/etc/hostname"), "h1\n");
    assert_eq!(
        file(&w, "c2", "/etc/hosts"),
        format!("{HOSTS_DEFAULTS}172.17.0.2\th1\n")
    );
    assert_eq!(
        file(&w, "c2", "/etc/resolv.conf"),
        "nameserver 172.17.0.1\n"
    );
}

/// Without daemon `dns`, the default bridge gets the host's servers minus loopback ones,
/// or Google's when none remain (reference section 7).
#[test]
fn default_bridge_resolv_conf_drops_loopback_servers() {
    let text = linux_host("V29")
        .replace(
            "dns_servers: [\"10.255.255.53\"]",
            "dns_servers: [\"127.0.0.53\"]",
        )
        .replace("daemon: (dns: [\"172.17.0.1\"]),", "");
    let mut w = world_of(&text);
    ok(&mut w, "docker run -d --name c1 busybox");
    assert_eq!(
        file(&w, "c1", "/etc/resolv.conf"),
        "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
    );
}

/// The DNAT/SNAT rules of `dns/nat-rules-in-container`, in the container's `nat` table.
#[test]
fn the_resolver_rules_sit_in_the_container_namespace() {
    let mut w = world_of(&linux_host("V20_10"));
    ok(&mut w, "docker network create n1");
    ok(&mut w, "docker run -d --name c1 --network n1 busybox");
    let node = w.hosts[0]
        .daemon
        .store
        .container("c1")
        .unwrap()
        .sandbox
        .unwrap();
    let stack = w.engine.device(node).and_then(|d| d.as_stack()).unwrap();
    let r = stack
        .config
        .services()
        .local_resolver
        .as_ref()
        .expect("a resolver");
    let text = sim_core::device::rules::render::ruleset(&stack.rules, &|p| format!("if{}", p.0));
    let (u, t) = (r.udp_port, r.tcp_port);
    for line in [
        "-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT".to_string(),
        "-A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING".to_string(),
        format!("-A DOCKER_OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.11:{t}"),
        format!("-A DOCKER_OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination 127.0.0.11:{u}"),
        format!("-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p tcp -m tcp --sport {t} -j SNAT --to-source :53"),
        format!("-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport {u} -j SNAT --to-source :53"),
    ] {
        // The generic renderer leaves out iptables-save's `-m tcp`/`-m udp` module words.
        let line = line.replace(" -m tcp", "").replace(" -m udp", "");
        assert!(text.contains(&line), "missing {line} in:\n{text}");
    }
    assert_eq!(
        stack.config.dns_servers,
        vec!["127.0.0.11".parse::<std::net::Ipv4Addr>().unwrap()]
    );
}

/// `errors/run-link-to-missing-container` (refused at create) and
/// `errors/run-link-to-stopped-container` (refused at start).
#[test]
fn links_need_a_target_that_exists_and_runs() {
    let mut w = world_of(&linux_host("V20_10"));
    let missing = w.shell("vm", "docker run -d --name c1 --link nosuch:db busybox");
    assert_eq!(missing.exit_code, 125, "{missing:?}");
    assert!(
        missing
            .stderr
            .contains("could not get container for nosuch: No such container: nosuch"),
        "{missing:?}"
    );
    assert!(w.hosts[0].daemon.store.container("c1").is_none());
    ok(&mut w, "docker run -d --name c1 busybox");
    ok(&mut w, "docker stop c1");
    let stopped = w.shell("vm", "docker run -d --name c2 --link c1:db busybox");
    assert_eq!(stopped.exit_code, 125, "{stopped:?}");
    assert!(
        stopped
            .stderr
            .contains("Cannot link to a non running container: /c1 AS /c2/db"),
        "{stopped:?}"
    );
}

/// `--hostname` with a domain: the CLI splits it (`/etc/hostname` has the first label, the
/// hosts line both forms); `--add-host x:host-gateway` is docker0's address.
#[test]
fn hostname_with_a_domain_and_host_gateway() {
    let mut w = world_of(&linux_host("V20_10"));
    ok(
        &mut w,
        "docker run -d --name c1 --hostname web.example.test --add-host gw:host-gateway busybox",
    );
    assert_eq!(file(&w, "c1", "/etc/hostname"), "web\n");
    assert_eq!(
        file(&w, "c1", "/etc/hosts"),
        format!("{HOSTS_DEFAULTS}172.17.0.1\tgw\n172.17.0.2\tweb.example.test web\n")
    );
}

/// `connect/link-on-connect`: a link given to `docker network connect` is an alias on that
/// network for the connected container.
#[test]
fn a_link_given_at_connect_answers_on_that_network() {
    let mut w = world_of(&linux_host("V20_10"));
    ok(&mut w, "docker network create n1");
    ok(&mut w, "docker run -d --name c1 --network n1 busybox");
    ok(&mut w, "docker run -d --name c2 busybox");
    ok(&mut w, "docker network connect --link c1:db n1 c2");
    assert_eq!(sh(&mut w, "docker exec c2 ping -c 1 -W 1 db").exit_code, 0);
    assert_eq!(
        file(&w, "c2", "/etc/resolv.conf"),
        "nameserver 127.0.0.11\noptions ndots:0\n",
        "the resolver starts when the container joins a user network"
    );
}

/// `run --config` shows each namespace's resolver (its ports, tables, forwarding) and its
/// `/etc/hosts` names.
#[test]
fn the_configuration_dump_shows_the_resolver_and_hosts() {
    let mut w = world_of(&linux_host("V20_10"));
    ok(&mut w, "docker network create n1");
    ok(&mut w, "docker run -d --name c1 --network n1 busybox");
    ok(&mut w, "docker run -d --name c2 --link c1:web busybox");
    let text = sim_core::sim::config_dump::dump(&w);
    let line = text
        .lines()
        .find(|l| l.contains("docker embedded DNS (c1) on 127.0.0.11"))
        .unwrap_or_else(|| panic!("no resolver line in:\n{text}"));
    assert!(
        line.ends_with(", tables n1 (2 names), forwards to 172.17.0.1"),
        "{line}"
    );
    assert!(text.contains("  hosts localhost=127.0.0.1 "), "{text}");
}
