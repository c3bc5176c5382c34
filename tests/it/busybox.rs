//! busybox applets through `World::shell`: inside Linux containers (`docker exec`), on the
//! host and on an outside host, each printing what busybox 1.35 prints from probes that
//! ran through the simulated devices.

use crate::common::world_of;
use sim_core::shell::ShellOutput;
use sim_core::sim::world::World;

/// The oracle's environment in small: a Linux host with eth0 on a LAN and orc-out0 to an
/// outside host that runs busybox httpd on 8080.
const ORACLE_LIKE: &str = r#"(
    title: "a Linux host and an outside host",
    seed: 1,
    fabric: (
        switches: [(name: "lan"), (name: "out")],
        hosts: [(
            name: "lin1",
            os: Linux(engine: V20_10),
            nics: [(name: "eth0", address: "192.0.2.2/24"), (name: "orc-out0", address: "198.18.0.254/24")],
            gateway: Some("192.0.2.1"),
            daemon: (dns: ["172.17.0.1"]),
        )],
        externals: [(
            name: "outside",
            interfaces: [(name: "eth0", address: "198.18.0.1/24")],
            gateway: Some("198.18.0.254"),
            http: Some((port: 8080, pages: [("/", Text("outside-ok\n")), ("/cgi-bin/ip", ClientAddress)])),
        )],
        links: [(a: "lin1.eth0", b: "lan"), (a: "lin1.orc-out0", b: "out"), (a: "outside.eth0", b: "out")],
    ),
    images: [(
        name: "oracle/busybox",
        workdir: Some("/var/www"),
        files: [("/var/www/index.html", "oracle-ok\n")],
    )],
    steps: [],
)"#;

fn sh(w: &mut World, on: &str, line: &str) -> ShellOutput {
    w.shell(on, line)
}

fn ok(w: &mut World, line: &str) -> String {
    let out = sh(w, "lin1", line);
    assert_eq!(out.exit_code, 0, "{line}: {out:?}");
    out.stdout
}

/// busybox ping's times vary; the rest of each line must be exact.
fn mask_times(s: &str) -> String {
    s.lines()
        .map(|l| {
            if let Some(i) = l.find("time=") {
                format!("{}time=<t> ms", &l[..i])
            } else if l.starts_with("round-trip") {
                "round-trip min/avg/max = <t> ms".into()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ping_between_containers_prints_busyboxs_lines() {
    let mut w = world_of(ORACLE_LIKE);
    ok(&mut w, "docker run -d --name c1 oracle/busybox sleep 3600");
    ok(&mut w, "docker run -d --name c2 oracle/busybox sleep 3600");
    let out = sh(&mut w, "lin1", "docker exec c1 ping -c 1 -W 1 172.17.0.3");
    assert_eq!(out.exit_code, 0, "{out:?}");
    assert_eq!(
        mask_times(&out.stdout),
        "PING 172.17.0.3 (172.17.0.3): 56 data bytes\n\
         64 bytes from 172.17.0.3: seq=0 ttl=64 time=<t> ms\n\
         \n\
         --- 172.17.0.3 ping statistics ---\n\
         1 packets transmitted, 1 packets received, 0% packet loss\n\
         round-trip min/avg/max = <t> ms"
    );
    let lost = sh(&mut w, "lin1", "docker exec c1 ping -c 2 -W 1 172.17.0.50");
    assert_eq!(lost.exit_code, 1);
    assert_eq!(
        lost.stdout,
        "PING 172.17.0.50 (172.17.0.50): 56 data bytes\n\n--- 172.17.0.50 ping statistics ---\n2 packets transmitted, 0 packets received, 100% packet loss\n"
    );
    let bad = sh(&mut w, "lin1", "docker exec c1 ping -c 1 -W 1 c2");
    assert_eq!(
        (bad.exit_code, bad.stderr.as_str()),
        (1, "ping: bad address 'c2'\n")
    );
}

#[test]
fn ping_to_the_outside_counts_the_routers_hop_in_the_ttl() {
    let mut w = world_of(ORACLE_LIKE);
    ok(&mut w, "docker run -d --name c1 oracle/busybox sleep 3600");
    let out = sh(&mut w, "lin1", "docker exec c1 ping -c 1 -W 1 198.18.0.1");
    assert!(out.stdout.contains("seq=0 ttl=63 "), "{out:?}");
}

#[test]
fn a_stopped_packet_path_shows_as_loss() {
    // The same ping, with the container's cable cut: no reply, so the output changes.
    let mut w = world_of(ORACLE_LIKE);
    ok(&mut w, "docker run -d --name c1 oracle/busybox sleep 3600");
    assert_eq!(
        sh(&mut w, "lin1", "docker exec c1 ping -c 1 -W 1 198.18.0.1").exit_code,
        0
    );
    let cable = w
        .engine
        .topology()
        .links()
        .map(|(_, l)| l.name.clone())
        .find(|n| n.contains("outside"))
        .expect("the outside host's cable");
    w.set_link(&cable, false).expect("link down");
    let out = sh(&mut w, "lin1", "docker exec c1 ping -c 1 -W 1 198.18.0.1");
    assert_eq!(out.exit_code, 1, "{out:?}");
    assert!(out
        .stdout
        .contains("1 packets transmitted, 0 packets received, 100% packet loss"));
}

#[test]
fn nc_and_wget_against_a_command_that_listens() {
    let mut w = world_of(ORACLE_LIKE);
    ok(
        &mut w,
        "docker run -d --name web oracle/busybox httpd -f -v -p 80",
    );
    ok(
        &mut w,
        "docker run -d --name client oracle/busybox sleep 3600",
    );
    assert_eq!(
        ok(&mut w, "docker exec client wget -qO- http://172.17.0.2/"),
        "oracle-ok\n"
    );
    assert_eq!(
        sh(&mut w, "lin1", "docker exec client nc -w 1 172.17.0.2 80"),
        ShellOutput::ok("")
    );
    assert_eq!(
        sh(&mut w, "lin1", "docker exec client nc -w 1 172.17.0.2 81"),
        ShellOutput::fail(
            1,
            "nc: can't connect to remote host (172.17.0.2): Connection refused\n"
        )
    );
    assert_eq!(
        sh(
            &mut w,
            "lin1",
            "docker exec client wget -qO- http://172.17.0.2:81/"
        ),
        ShellOutput::fail(
            1,
            "wget: can't connect to remote host (172.17.0.2): Connection refused\n"
        )
    );
    // From the host: the server sees the bridge's address.
    assert_eq!(ok(&mut w, "wget -qO- http://172.17.0.2/"), "oracle-ok\n");
    let logs = sh(&mut w, "lin1", "docker logs web");
    assert_eq!(logs.exit_code, 0);
    let lines: Vec<String> = logs
        .stderr
        .lines()
        .map(|l| {
            let (addr, rest) = l.split_once("]:").expect("[addr]:port:");
            let (_, rest) = rest.split_once(':').expect("port:");
            format!("{addr}]:<port>:{rest}")
        })
        .collect();
    assert_eq!(
        lines,
        [
            "[::ffff:172.17.0.3]:<port>: response:200",
            "[::ffff:172.17.0.1]:<port>: response:200"
        ]
    );
}

#[test]
fn the_outside_host_sees_the_masqueraded_address() {
    let mut w = world_of(ORACLE_LIKE);
    ok(&mut w, "docker run -d --name c1 oracle/busybox sleep 3600");
    assert_eq!(
        ok(&mut w, "docker exec c1 wget -qO- http://198.18.0.1:8080/"),
        "outside-ok\n"
    );
    assert_eq!(
        ok(
            &mut w,
            "docker exec c1 wget -qO- http://198.18.0.1:8080/cgi-bin/ip"
        ),
        "198.18.0.254\n"
    );
    let refused = sh(&mut w, "lin1", "docker exec c1 nc -w 1 198.18.0.1 8081");
    assert_eq!(
        refused.stderr,
        "nc: can't connect to remote host (198.18.0.1): Connection refused\n"
    );
    // From the outside, the container's address is not reachable (FORWARD policy DROP).
    let dropped = sh(&mut w, "outside", "nc -w 1 172.17.0.2 80");
    assert_eq!(dropped, ShellOutput::fail(1, "nc: timed out\n"));
}

/// The kernel's interface indexes vary: `861: eth0@if862:` becomes `<idx>: eth0@if<idx>:`.
fn mask_idx(l: &str) -> String {
    let Some((n, rest)) = l.split_once(": ") else {
        return l.to_string();
    };
    if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
        return l.to_string();
    }
    let rest = match rest.split_once("@if") {
        Some((name, tail)) => {
            let tail = tail.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{name}@if<idx>{tail}")
        }
        None => rest.to_string(),
    };
    format!("<idx>: {rest}")
}

#[test]
fn ip_inside_a_container() {
    let mut w = world_of(ORACLE_LIKE);
    ok(&mut w, "docker run -d --name c1 oracle/busybox sleep 3600");
    let addr = ok(&mut w, "docker exec c1 ip addr");
    let masked: String = addr.lines().map(|l| format!("{}\n", mask_idx(l))).collect();
    assert_eq!(
        masked,
        "<idx>: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n<idx>: eth0@if<idx>: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue \n    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff\n    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0\n       valid_lft forever preferred_lft forever\n"
    );
    assert_eq!(
        ok(&mut w, "docker exec c1 ip route"),
        "default via 172.17.0.1 dev eth0 \n172.17.0.0/16 dev eth0 scope link  src 172.17.0.2 \n"
    );
    let none = ok(
        &mut w,
        "docker run --rm --network none oracle/busybox ip route",
    );
    assert_eq!(none, "");
    let link = ok(
        &mut w,
        "docker run --rm --network none oracle/busybox ip link show",
    );
    assert_eq!(
        link,
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
    );
    // --rm: the container is gone.
    assert_eq!(ok(&mut w, "docker ps -a -q").lines().count(), 1);
}

#[test]
fn exec_refusals_are_the_daemons() {
    let mut w = world_of(ORACLE_LIKE);
    ok(&mut w, "docker run -d --name c1 oracle/busybox sleep 3600");
    ok(&mut w, "docker stop c1");
    let out = sh(&mut w, "lin1", "docker exec c1 ip addr");
    assert_eq!(out.exit_code, 1);
    assert!(
        out.stderr
            .starts_with("Error response from daemon: Container "),
        "{out:?}"
    );
    assert!(out.stderr.ends_with(" is not running\n"), "{out:?}");
}

const WITH_ZONE: &str = "http: Some((port: 8080, pages: [(\"/\", Text(\"outside-ok\\n\")), (\"/cgi-bin/ip\", ClientAddress)])),\n            dns_records: [(\"web.example\", \"198.18.0.1\")],";

#[test]
fn names_resolve_through_a_real_query() {
    let text = ORACLE_LIKE.replace(
        "http: Some((port: 8080, pages: [(\"/\", Text(\"outside-ok\\n\")), (\"/cgi-bin/ip\", ClientAddress)])),",
        WITH_ZONE,
    );
    assert_ne!(text, ORACLE_LIKE);
    let mut w = world_of(&text);
    // `--dns`: the container's resolv.conf names the outside host's server.
    ok(
        &mut w,
        "docker run -d --name c1 --dns 198.18.0.1 oracle/busybox sleep 3600",
    );
    assert_eq!(
        ok(&mut w, "docker exec c1 nslookup web.example"),
        "Server:\t\t198.18.0.1\nAddress:\t198.18.0.1:53\n\nNon-authoritative answer:\nName:\tweb.example\nAddress: 198.18.0.1\n\nNon-authoritative answer:\n\n"
    );
    let nx = sh(&mut w, "lin1", "docker exec c1 nslookup nosuchname");
    assert_eq!(nx.exit_code, 1);
    assert_eq!(
        nx.stdout,
        "Server:\t\t198.18.0.1\nAddress:\t198.18.0.1:53\n\n** server can't find nosuchname: NXDOMAIN\n\n** server can't find nosuchname: NXDOMAIN\n\n"
    );
    let ping = ok(&mut w, "docker exec c1 ping -c 1 -W 1 web.example");
    assert!(
        ping.starts_with("PING web.example (198.18.0.1): 56 data bytes\n"),
        "{ping}"
    );
    assert_eq!(
        ok(&mut w, "docker exec c1 wget -qO- http://web.example:8080/"),
        "outside-ok\n"
    );
    let bad = sh(
        &mut w,
        "lin1",
        "docker exec c1 wget -qO- http://nosuchname/",
    );
    assert_eq!(
        bad,
        ShellOutput::fail(1, "wget: bad address 'nosuchname'\n")
    );
    // A server that does not answer.
    ok(
        &mut w,
        "docker run -d --name c2 --dns 198.18.0.77 oracle/busybox sleep 3600",
    );
    let silent = sh(&mut w, "lin1", "docker exec c2 nslookup web.example");
    assert_eq!(
        silent,
        ShellOutput {
            exit_code: 1,
            stdout: ";; connection timed out; no servers could be reached\n\n".into(),
            stderr: String::new()
        }
    );
}

#[test]
fn nslookup_without_a_route_to_its_server() {
    let mut w = world_of(ORACLE_LIKE);
    ok(
        &mut w,
        "docker run -d --name c1 --network none oracle/busybox sleep 3600",
    );
    // The daemon's `--dns 172.17.0.1` is in its resolv.conf, but it has no route there.
    let out = sh(&mut w, "lin1", "docker exec c1 nslookup c1");
    assert_eq!(
        out,
        ShellOutput::fail(
            1,
            "nslookup: can't connect to remote host (172.17.0.1): Network is unreachable\n"
        )
    );
    let ping = sh(&mut w, "lin1", "docker exec c1 ping -c 1 -W 1 172.17.0.1");
    assert_eq!(ping.stderr, "ping: sendto: Network is unreachable\n");
    assert_eq!(ping.stdout, "PING 172.17.0.1 (172.17.0.1): 56 data bytes\n");
}

#[test]
fn a_docker_step_on_a_linux_host_shows_what_the_command_printed_and_its_probes() {
    let text = ORACLE_LIKE.replace(
        "steps: [],",
        r#"steps: [
        Docker(host: "lin1", cmd: "docker run -d --name web oracle/busybox httpd -f -v -p 80"),
        Docker(host: "lin1", cmd: "docker run -d --name c1 oracle/busybox sleep 3600"),
        Docker(host: "lin1", cmd: "docker exec c1 wget -qO- http://172.17.0.2/"),
        Docker(host: "lin1", cmd: "docker exec c1 ping -c 1 -W 1 172.17.0.99", expect: Some(Probe(Dropped))),
        Docker(host: "lin1", cmd: "docker exec c1 nc -w 1 172.17.0.2 81", expect: Some(Fails("Connection refused"))),
        Docker(host: "lin1", cmd: "docker logs web"),
    ],"#,
    );
    let loaded = sim_core::scenario::load_str("busybox.ron", &text).expect("loads");
    let report = sim_core::sim::report::run(&loaded);
    assert!(
        report.failures.is_empty(),
        "{:?}\n{}",
        report.failures,
        report.text
    );
    let t = &report.text;
    assert!(t.contains("lin1> docker exec c1 wget -qO- http://172.17.0.2/\n  | oracle-ok\n  probe #1 lin1/c1 -> 172.17.0.2 tcp/80: DELIVERED"), "{t}");
    assert!(
        t.contains("  | PING 172.17.0.99 (172.17.0.99): 56 data bytes\n"),
        "{t}"
    );
    assert!(
        t.contains("1 packets transmitted, 0 packets received, 100% packet loss"),
        "{t}"
    );
    assert!(
        t.contains("  ! nc: can't connect to remote host (172.17.0.2): Connection refused\n"),
        "{t}"
    ); // httpd's log is its stderr; `docker logs` succeeds.
    assert!(
        t.contains("lin1> docker logs web\n  ! [::ffff:172.17.0.3]:"),
        "{t}"
    );
    assert!(
        t.contains("  ! exit status 1\n"),
        "the lost ping failed silently: {t}"
    );
}

#[test]
fn a_container_without_a_network_still_reaches_itself() {
    let mut w = world_of(ORACLE_LIKE);
    ok(
        &mut w,
        "docker run -d --name c1 --network none oracle/busybox httpd -f -p 80",
    );
    let ping = ok(&mut w, "docker exec c1 ping -c 1 -W 1 127.0.0.1");
    assert!(
        ping.contains("64 bytes from 127.0.0.1: seq=0 ttl=64 "),
        "{ping}"
    );
    assert_eq!(
        ok(&mut w, "docker exec c1 wget -qO- http://127.0.0.1/"),
        "oracle-ok\n"
    );
    let out = sh(
        &mut w,
        "lin1",
        "docker exec c1 wget -qO- http://127.0.0.1:81/",
    );
    assert_eq!(
        out,
        ShellOutput::fail(
            1,
            "wget: can't connect to remote host (127.0.0.1): Connection refused\n"
        )
    );
}

#[test]
fn ping_counts_sizes_and_sequences() {
    let mut w = world_of(ORACLE_LIKE);
    ok(&mut w, "docker run -d --name c1 oracle/busybox sleep 3600");
    ok(&mut w, "docker run -d --name c2 oracle/busybox sleep 3600");
    let before = w.engine.now();
    let out = ok(&mut w, "docker exec c1 ping -c 3 -W 1 -s 100 172.17.0.3");
    let lines: Vec<String> = mask_times(&out).lines().map(String::from).collect();
    assert_eq!(lines[0], "PING 172.17.0.3 (172.17.0.3): 100 data bytes");
    for seq in 0..3 {
        assert_eq!(
            lines[1 + seq],
            format!("108 bytes from 172.17.0.3: seq={seq} ttl=64 time=<t> ms")
        );
    }
    assert_eq!(
        lines[6],
        "3 packets transmitted, 3 packets received, 0% packet loss"
    );
    // One echo a second: the third leaves two seconds after the first.
    assert!(w.engine.now().since(before) >= sim_core::time::SimDuration::from_secs(2));
}

/// `eth0@ifN` inside the container names the host end of its veth by the index the host's
/// `ip link` gives it, and that line names the container's index back (recorded on the
/// oracle: `4332: eth0@if4333: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN>` inside,
/// `4333: vethbfa3e1b@if4332: ...` on the host).
#[test]
fn a_containers_eth0_names_its_host_peer_by_the_hosts_index() {
    let mut w = world_of(ORACLE_LIKE);
    ok(&mut w, "docker run -d --name c1 oracle/busybox sleep 3600");
    ok(&mut w, "docker run -d --name c2 oracle/busybox sleep 3600");
    for c in ["c1", "c2"] {
        let link = ok(&mut w, &format!("docker exec {c} ip link show eth0"));
        let first = link.lines().next().unwrap_or_default();
        let (own, rest) = first.split_once(": eth0@if").expect("an eth0@ifN line");
        let (peer, flags) = rest.split_once(": ").expect("flags");
        assert!(
            flags.starts_with("<BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN>"),
            "{first}"
        );
        let host = ok(&mut w, "ip link");
        let back = host
            .lines()
            .find(|l| l.starts_with(&format!("{peer}: veth")))
            .unwrap_or_else(|| panic!("no host link {peer} in\n{host}"));
        assert!(back.contains(&format!("@if{own}: ")), "{back} / {first}");
    }
}
