//! Every docker command line of the Windows seed documents, run verbatim, with the outcome
//! that shared/reference/windows-drivers.md gives for it.
//!
//! The seeds are Microsoft's Chinese pages under shared/seeds:
//! - 000 ("Windows 容器网络驱动程序", the network drivers page) has four runnable lines, one
//!   `docker network create` per driver (nat, transparent, overlay, l2bridge), plus, on line 5,
//!   the syntax template `docker network create -d <NETWORK DRIVER TYPE> <NAME>`.
//! - 001 (the networking overview) names `docker network create` only in prose (line 44:
//!   "您也可以使用 Docker CLI 中的 docker network create 命令來定義自訂容器網路"); it has no
//!   command line to run.
//! - 003 (the 2018 networking page) has `docker network ls` (line 29) and a table of options
//!   that are unsupported on Windows (lines 77-78). The table names options, not command
//!   lines, so each option gets a minimal realistic line here, and the test asserts what the
//!   reference says the real daemon does: an error with the daemon's words, or acceptance with
//!   no effect (hnsim then adds an `hnsim note:`).
//!
//! The lines go through `World::docker`, exactly as a scenario's `Docker` step runs them, and
//! `docker exec` probes through `World::exec_probe`, as the report does.

use crate::common::world_of;
use sim_core::device::stack::probe::ProbeProto;
use sim_core::device::Outcome;
use sim_core::docker::cli::{self, DockerCommand};
use sim_core::docker::daemon::CommandOutput;
use sim_core::docker::swarm::NOT_A_MANAGER;
use sim_core::shell::ShellOutput;
use sim_core::sim::world::ProbeResult;
use sim_core::sim::World;
use sim_core::wire::{self, MacAddr, NetRepr};
use std::net::Ipv4Addr;

// ----- the seed lines, verbatim -----

/// Seed 000, line 23 (创建 NAT 网络).
const SEED_000_NAT: &str = r#"docker network create -d "nat" --subnet "10.244.0.0/24" my_nat"#;
/// Seed 000, line 39 (创建透明网络).
const SEED_000_TRANSPARENT: &str = r#"docker network create -d "transparent" --subnet 10.244.0.0/24 --gateway 10.244.0.1 -o com.docker.network.windowsshim.vlanid=7 -o com.docker.network.windowsshim.dnsservers="10.244.0.7" my_transparent"#;
/// Seed 000, line 59 (创建覆盖网络).
const SEED_000_OVERLAY: &str = r#"docker network create -d "overlay" --attachable --subnet "10.244.0.0/24" -o com.docker.network.windowsshim.dnsservers="168.63.129.16" -o com.docker.network.driver.overlay.vxlanid_list="4096" my_overlay"#;
/// Seed 000, line 74 (创建 l2bridge 网络).
const SEED_000_L2BRIDGE: &str = r#"docker network create -d "l2bridge" --subnet 10.244.0.0/24 --gateway 10.244.0.1 -o com.docker.network.windowsshim.vlanid=7 -o com.docker.network.windowsshim.dnsservers="10.244.0.7" my_l2bridge"#;
/// Seed 000, line 5: the syntax template, placeholders and all.
const SEED_000_TEMPLATE: &str = "docker network create -d <NETWORK DRIVER TYPE> <NAME>";
/// Seed 003, line 29 (written there as ``docker network ls``).
const SEED_003_NETWORK_LS: &str = "docker network ls";

/// The note hnsim prints for an option that Windows accepts and ignores.
const UNSUPPORTED_DOC: &str =
    "(Microsoft: \"Unsupported features and network options\", Windows container networking docs)";
const WINDOWS_IPAM: &str =
    "Error response from daemon: this request is not supported by the 'windows' ipam driver";

/// Two Windows Server 2022 hosts on a top-of-rack switch whose host ports are trunks carrying
/// VLAN 7 tagged (as transparent and l2bridge with `vlanid=7` need), a router owning
/// 192.168.1.1 on the native VLAN and the seeds' gateway 10.244.0.1 on VLAN 7, and a web
/// server behind the router.
const FABRIC: &str = r#"ScenarioSpec(
    title: "the seeds' docker command lines",
    seed: 9,
    fabric: (
        switches: [(name: "tor"), (name: "wan")],
        routers: [(
            name: "gw",
            interfaces: [
                (name: "vlan1", address: "192.168.1.1/24"),
                (name: "vlan7", address: "10.244.0.1/24"),
                (name: "wan", address: "203.0.113.1/24"),
            ],
        )],
        externals: [(
            name: "internet",
            interfaces: [(name: "eth0", address: "203.0.113.10/24")],
            gateway: Some("203.0.113.1"),
            services: [Tcp(80)],
        )],
        hosts: [
            (name: "win1", nics: [(name: "Ethernet", address: "192.168.1.21/24")], gateway: Some("192.168.1.1")),
            (name: "win2", nics: [(name: "Ethernet", address: "192.168.1.22/24")], gateway: Some("192.168.1.1")),
        ],
        links: [
            (a: "win1.Ethernet", b: "tor", switch_port: Some(Trunk([7]))),
            (a: "win2.Ethernet", b: "tor", switch_port: Some(Trunk([7]))),
            (a: "gw.vlan1", b: "tor"),
            (a: "gw.vlan7", b: "tor", switch_port: Some(Access(7))),
            (a: "gw.wan", b: "wan"),
            (a: "internet.eth0", b: "wan"),
        ],
    ),
    images: [(name: "img", services: [Tcp(80)])],
)
"#;

fn world() -> World {
    world_of(FABRIC)
}

/// Runs a line that must succeed; returns what docker printed.
fn ok(world: &mut World, host: &str, line: &str) -> CommandOutput {
    let r = world.docker(host, line);
    assert!(r.error.is_none(), "{host}> {line}: {:?}", r.error);
    r
}

/// Runs a line that must fail; returns the error exactly as docker prints it.
fn refused(world: &mut World, host: &str, line: &str) -> String {
    let r = world.docker(host, line);
    assert_eq!(
        r.stdout, "",
        "{host}> {line}: a refusal prints nothing on stdout"
    );
    r.error
        .unwrap_or_else(|| panic!("{host}> {line}: expected an error, it succeeded"))
}

/// Runs `docker exec CONTAINER ping|curl|...` the way a scenario's Docker step does.
fn exec(world: &mut World, host: &str, line: &str) -> ProbeResult {
    let r = ok(world, host, line);
    let probe = r
        .probe
        .unwrap_or_else(|| panic!("{line}: docker exec asked for no probe"));
    let container = match cli::parse(line) {
        Ok(DockerCommand::Exec { container, .. }) => container,
        other => panic!("{line} is not docker exec: {other:?}"),
    };
    world
        .exec_probe(host, &container, probe.target, probe.proto)
        .unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn probe(world: &mut World, from: &str, to: &str, proto: ProbeProto) -> ProbeResult {
    world
        .probe(from, to, proto)
        .unwrap_or_else(|e| panic!("probe {from} -> {to}: {e}"))
}

fn host_index(world: &World, host: &str) -> usize {
    world
        .hosts
        .iter()
        .position(|h| h.name == host)
        .unwrap_or_else(|| panic!("no host {host}"))
}

/// A container's HNS endpoint (its first attachment's): address, MAC and DNS servers.
fn endpoint(world: &World, host: &str, name: &str) -> (Ipv4Addr, MacAddr, Vec<Ipv4Addr>) {
    let h = &world.hosts[host_index(world, host)];
    let c = h
        .daemon
        .container(name)
        .unwrap_or_else(|| panic!("no container {name} on {host}"));
    let ep = c.attachments[0]
        .endpoint
        .as_deref()
        .unwrap_or_else(|| panic!("{name} is not attached"));
    let e = h
        .hns()
        .expect("a Windows host")
        .endpoints
        .iter()
        .find(|e| e.id == ep)
        .expect("the HNS endpoint");
    (e.ip, e.mac, e.dns_servers.clone())
}

/// The HNS network behind a docker network: (subnet, gateway).
fn hns_pool(world: &World, host: &str, docker_name: &str) -> (String, Ipv4Addr) {
    let h = &world.hosts[host_index(world, host)];
    let d = h
        .daemon
        .store
        .networks
        .iter()
        .find(|n| n.name == docker_name)
        .unwrap_or_else(|| panic!("docker has no network {docker_name} on {host}"));
    let id = d.backend_id.as_deref().expect("an HNS network");
    let n = h
        .hns()
        .expect("a Windows host")
        .network(id)
        .expect("HNS has it");
    (n.pool.subnet.to_string(), n.pool.gateway)
}

fn network_names(world: &World, host: &str) -> Vec<String> {
    world.hosts[host_index(world, host)]
        .daemon
        .store
        .networks
        .iter()
        .map(|n| n.name.clone())
        .collect()
}

/// The frames a probe put through the physical switch `tor`, decoded.
fn at_tor(world: &World, r: &ProbeResult) -> Vec<wire::Packet> {
    let tor = world.fabric["tor"];
    r.hops
        .iter()
        .filter(|h| h.node == tor)
        .map(|h| wire::parse(&h.bytes).expect("a valid frame on the wire"))
        .collect()
}

fn ipv4_src(p: &wire::Packet) -> Option<Ipv4Addr> {
    match &p.net {
        NetRepr::Ipv4(ip) => Some(ip.src),
        _ => None,
    }
}

fn assert_outcome(r: &ProbeResult, want: Outcome) {
    assert_eq!(
        r.outcome, want,
        "probe {} -> {} {}: {} (dropped at {:?})",
        r.from, r.to, r.proto, r.detail, r.drop
    );
}

// ----- seed 000 -----

#[test]
fn seed_000_nat_network_and_two_containers_that_ping_each_other() {
    let mut w = world();
    let r = ok(&mut w, "win1", SEED_000_NAT);
    assert_eq!(
        r.stdout.trim().len(),
        64,
        "the new network's id: {:?}",
        r.stdout
    );
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    // HNS takes the user's subnet; the gateway is its first address, on vEthernet (my_nat).
    assert_eq!(
        hns_pool(&w, "win1", "my_nat"),
        ("10.244.0.0/24".to_string(), Ipv4Addr::new(10, 244, 0, 1))
    );
    ok(
        &mut w,
        "win1",
        "docker run -d --name a --network my_nat img",
    );
    ok(
        &mut w,
        "win1",
        "docker run -d --name b --network my_nat img",
    );
    let (ia, _, dns) = endpoint(&w, "win1", "a");
    let (ib, _, _) = endpoint(&w, "win1", "b");
    let in_subnet = |ip: Ipv4Addr| ip.octets()[..3] == [10, 244, 0];
    assert!(in_subnet(ia) && in_subnet(ib) && ia != ib, "{ia} {ib}");
    // nat endpoints ask Docker's embedded resolver at the gateway.
    assert_eq!(dns, vec![Ipv4Addr::new(10, 244, 0, 1)]);
    // By name, both ways: the embedded DNS resolves, the vSwitch bridges.
    let r = exec(&mut w, "win1", "docker exec a ping -n 1 b");
    assert_outcome(&r, Outcome::Delivered);
    assert_eq!(r.detail, format!("echo reply from {ib}"));
    let r = exec(&mut w, "win1", "docker exec b ping -n 1 a");
    assert_outcome(&r, Outcome::Delivered);
    assert_eq!(r.detail, format!("echo reply from {ia}"));
    // Out through WinNAT: the web server sees the host's address, never the container's.
    let r = probe(&mut w, "a", "internet", ProbeProto::Tcp(80));
    assert_outcome(&r, Outcome::Delivered);
    let srcs: Vec<Ipv4Addr> = at_tor(&w, &r).iter().filter_map(ipv4_src).collect();
    assert!(srcs.contains(&Ipv4Addr::new(192, 168, 1, 21)), "{srcs:?}");
    assert!(!srcs.contains(&ia), "{srcs:?}");
    // The other host has no such network: only its own nat and none.
    assert_eq!(network_names(&w, "win2"), ["nat", "none"]);
}

/// The world with `seed_line` run on both hosts (no notes), web1 (10.244.0.11) on win1 and
/// web3 (10.244.0.13) on win2, both on `network`.
fn web1_and_web3_on(seed_line: &str, network: &str) -> World {
    let mut w = world();
    for host in ["win1", "win2"] {
        let r = ok(&mut w, host, seed_line);
        assert!(r.notes.is_empty(), "{host}: {:?}", r.notes);
    }
    for (host, name, ip) in [
        ("win1", "web1", "10.244.0.11"),
        ("win2", "web3", "10.244.0.13"),
    ] {
        ok(
            &mut w,
            host,
            &format!("docker run -d --name {name} --network {network} --ip {ip} img"),
        );
    }
    w
}

#[test]
fn seed_000_transparent_network_on_vlan_7() {
    let mut w = web1_and_web3_on(SEED_000_TRANSPARENT, "my_transparent");
    let (ip1, mac1, dns) = endpoint(&w, "win1", "web1");
    assert_eq!(ip1, Ipv4Addr::new(10, 244, 0, 11));
    // The dnsservers option is the endpoint's DNS server (no embedded DNS on transparent).
    assert_eq!(dns, vec![Ipv4Addr::new(10, 244, 0, 7)]);
    // Across hosts: on the wire with VLAN 7 and the container's own MAC and address.
    let r = probe(&mut w, "web1", "10.244.0.13", ProbeProto::Tcp(80));
    assert_outcome(&r, Outcome::Delivered);
    let wire = at_tor(&w, &r);
    assert!(
        wire.iter()
            .any(|p| p.eth.vlan == Some(7) && p.eth.src == mac1 && ipv4_src(p) == Some(ip1)),
        "no frame from web1 tagged VLAN 7 at tor: {wire:?}"
    );
    // The seed's gateway 10.244.0.1 is the router's VLAN 7 interface: it answers.
    let r = exec(&mut w, "win1", "docker exec web1 ping -n 1 10.244.0.1");
    assert_outcome(&r, Outcome::Delivered);
    // Routed out without NAT: the web server sees the container's own address.
    let r = probe(&mut w, "web1", "internet", ProbeProto::Tcp(80));
    assert_outcome(&r, Outcome::Delivered);
    assert!(at_tor(&w, &r).iter().any(|p| ipv4_src(p) == Some(ip1)));
    // No Docker name resolution: the name goes to 10.244.0.7, which nobody answers here.
    let r = exec(&mut w, "win1", "docker exec web1 ping -n 1 web3");
    assert_outcome(&r, Outcome::Dropped);
    assert_eq!(r.detail, "no DNS answer from 10.244.0.7 before the timeout");
    // docker network ls (seed 003, line 29) lists the transparent network.
    let ls = ok(&mut w, "win1", SEED_003_NETWORK_LS).stdout;
    assert!(
        ls.lines().any(|l| l.split_whitespace().skip(1).eq([
            "my_transparent",
            "transparent",
            "local"
        ])),
        "{ls}"
    );
}

#[test]
fn seed_000_overlay_runs_verbatim_but_vni_4096_is_ingress_s() {
    let mut w = world();
    // Without a swarm the daemon refuses, with DNET's words, and creates nothing.
    let before = network_names(&w, "win1");
    assert_eq!(
        refused(&mut w, "win1", SEED_000_OVERLAY),
        format!("Error response from daemon: {NOT_A_MANAGER}")
    );
    assert!(NOT_A_MANAGER.contains("not a swarm manager"));
    assert_eq!(network_names(&w, "win1"), before);

    ok(
        &mut w,
        "win1",
        "docker swarm init --advertise-addr 192.168.1.21",
    );
    ok(
        &mut w,
        "win2",
        "docker swarm join --token SWMTKN-1-anything 192.168.1.21:2377",
    );
    // A worker cannot create it either: only a manager can.
    assert_eq!(
        refused(&mut w, "win2", SEED_000_OVERLAY),
        format!("Error response from daemon: {NOT_A_MANAGER}")
    );
    // The seed's command, verbatim, on the manager: created, as documented. But `docker swarm
    // init` gave VNI 4096 to the routing mesh's `ingress`, so the manager's allocator cannot
    // allocate the new network: it has no subnet, and a container that joins it times out.
    let r = ok(&mut w, "win1", SEED_000_OVERLAY);
    assert!(
        r.notes.iter().any(|n| n.contains(
            "could not assign vxlan id 4096 to pool 10.244.0.0/24: requested bit is already allocated"
        )),
        "{:?}",
        r.notes
    );
    assert!(network_names(&w, "win1").contains(&"my_overlay".to_string()));
    assert_eq!(
        refused(&mut w, "win1", "docker run -d --name early --network my_overlay img"),
        format!(
            "docker: Error response from daemon: {}\n\nRun 'docker run --help' for more information",
            sim_core::docker::swarm::ATTACH_TIMED_OUT
        )
    );
    ok(&mut w, "win1", "docker rm early");
    ok(&mut w, "win1", "docker network rm my_overlay");
    assert!(!network_names(&w, "win1").contains(&"my_overlay".to_string()));
    let seed_with_4097 = SEED_000_OVERLAY.replace("\"4096\"", "\"4097\"");
    let r = ok(&mut w, "win1", &seed_with_4097);
    // A swarm object id: 25 characters of base 36, unlike a local network's 64 hex digits.
    let id = r.stdout.trim();
    assert!(
        id.len() == 25
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()),
        "{:?}",
        r.stdout
    );
    // The Windows overlay driver reads only networkname, interface, hnsid and vxlanid_list
    // (reference 2.2 and 10): the network-level dnsservers option is ignored.
    assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    assert!(
        r.notes[0].starts_with(
            "hnsim note: option com.docker.network.windowsshim.dnsservers is ignored by the Windows overlay driver"
        ),
        "{:?}",
        r.notes
    );
    ok(
        &mut w,
        "win1",
        "docker run -d --name a --network my_overlay img",
    );
    ok(
        &mut w,
        "win2",
        "docker run -d --name c --network my_overlay img",
    );
    let (ia, _, dns) = endpoint(&w, "win1", "a");
    let (ic, _, _) = endpoint(&w, "win2", "c");
    assert_eq!(
        dns,
        vec![Ipv4Addr::new(10, 244, 0, 1)],
        "embedded DNS, not 168.63.129.16"
    );
    // Across hosts, by name (swarm-wide DNS), in VXLAN with VNI 4097 between the two hosts'
    // addresses.
    let r = exec(&mut w, "win2", "docker exec c ping -n 1 a");
    assert_outcome(&r, Outcome::Delivered);
    assert_eq!(r.detail, format!("echo reply from {ia}"));
    let tor = w.fabric["tor"];
    let tunnelled: Vec<(u32, Ipv4Addr)> = r
        .hops
        .iter()
        .filter(|h| h.node == tor)
        .filter_map(|h| {
            let (vni, inner) = wire::vxlan_decap(&h.bytes)?;
            Some((vni, wire::ipv4_info(inner)?.src))
        })
        .collect();
    assert!(tunnelled.contains(&(4097, ic)), "{tunnelled:?}");
    assert!(tunnelled.contains(&(4097, ia)), "{tunnelled:?}");
    assert!(tunnelled.iter().all(|(vni, _)| *vni == 4097));
}

#[test]
fn seed_000_l2bridge_network_rewrites_container_macs() {
    let mut w = web1_and_web3_on(SEED_000_L2BRIDGE, "my_l2bridge");
    let (ip1, mac1, dns) = endpoint(&w, "win1", "web1");
    let (ip3, mac3, _) = endpoint(&w, "win2", "web3");
    assert_eq!(dns, vec![Ipv4Addr::new(10, 244, 0, 7)]);
    let r = probe(&mut w, "web1", "10.244.0.13", ProbeProto::Tcp(80));
    assert_outcome(&r, Outcome::Delivered);
    let wire = at_tor(&w, &r);
    // The containers' own addresses cross the wire on VLAN 7 ...
    assert!(
        wire.iter()
            .any(|p| p.eth.vlan == Some(7) && ipv4_src(p) == Some(ip1)),
        "{wire:?}"
    );
    assert!(wire.iter().any(|p| ipv4_src(p) == Some(ip3)), "{wire:?}");
    // ... but never their MACs: VFP rewrote them to the hosts'.
    for p in &wire {
        assert!(
            p.eth.src != mac1 && p.eth.src != mac3,
            "container MAC on the wire: {p:?}"
        );
    }
    // No Docker name resolution on l2bridge either.
    let r = exec(&mut w, "win1", "docker exec web1 ping -n 1 web3");
    assert_outcome(&r, Outcome::Dropped);
}

#[test]
fn seed_000_syntax_template_is_not_a_command() {
    // Line 5 is a template: its placeholders are four words where one name belongs.
    let mut w = world();
    let before = network_names(&w, "win1");
    let e = refused(&mut w, "win1", SEED_000_TEMPLATE);
    assert!(
        e.starts_with("\"docker network create\" requires exactly 1 argument."),
        "{e}"
    );
    assert_eq!(network_names(&w, "win1"), before);
}

// ----- seed 003 -----

#[test]
fn seed_003_network_ls_on_a_fresh_host() {
    let mut w = world();
    let ls = ok(&mut w, "win1", SEED_003_NETWORK_LS).stdout;
    let lines: Vec<&str> = ls.lines().collect();
    assert_eq!(lines[0], "NETWORK ID     NAME      DRIVER    SCOPE", "{ls}");
    let rows: Vec<Vec<&str>> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    // The default nat network the daemon created at start, and none.
    assert_eq!(rows.len(), 2, "{ls}");
    assert_eq!(rows[0][1..], ["nat", "nat", "local"], "{ls}");
    assert_eq!(rows[1][1..], ["none", "null", "local"], "{ls}");
    for r in &rows {
        assert!(
            r[0].len() == 12 && r[0].bytes().all(|b| b.is_ascii_hexdigit()),
            "{ls}"
        );
    }
    let ids = ok(&mut w, "win1", "docker network ls -q").stdout;
    assert_eq!(
        ids.lines().collect::<Vec<_>>(),
        [rows[0][0], rows[1][0]],
        "{ids}"
    );
}

/// Seed 003, line 77: `docker run` options `--ip6` and `--dns-option`. Reference 7 and 2.7:
/// unsupported; no error text is known, and neither reaches HNS. hnsim accepts both with a
/// note, and the container works over IPv4 as usual.
#[test]
fn seed_003_run_ip6_and_dns_option_are_accepted_without_effect() {
    let mut w = world();
    let r = ok(&mut w, "win1", "docker run -d --name v6 --ip6 fd00::10 img");
    assert_eq!(
        r.notes,
        [format!(
            "hnsim note: --ip6 is unsupported on Windows and has no effect {UNSUPPORTED_DOC}"
        )]
    );
    let r = ok(
        &mut w,
        "win1",
        "docker run -d --name dnsopt --dns-option ndots:2 img",
    );
    assert_eq!(
        r.notes,
        [format!(
            "hnsim note: --dns-option is unsupported on Windows and has no effect {UNSUPPORTED_DOC}"
        )]
    );
    // Both have an IPv4 address on the default nat network, and names still resolve.
    let (ip6_ctr, _, _) = endpoint(&w, "win1", "v6");
    let r = exec(&mut w, "win1", "docker exec dnsopt ping -n 1 v6");
    assert_outcome(&r, Outcome::Delivered);
    assert_eq!(r.detail, format!("echo reply from {ip6_ctr}"));
    let r = probe(&mut w, "v6", "internet", ProbeProto::Tcp(80));
    assert_outcome(&r, Outcome::Delivered);
}

/// Seed 003, line 78: `--aux-address`. Reference 2.3 and 7: it must lie in the pool (checked
/// by the CLI), is "reserved" in the null `windows` IPAM and never reaches HNS.
#[test]
fn seed_003_aux_address_is_accepted_and_reserves_nothing() {
    let mut w = world();
    let r = ok(
        &mut w,
        "win1",
        r#"docker network create -d nat --subnet 10.244.1.0/24 --aux-address "router=10.244.1.5" aux_nat"#,
    );
    assert_eq!(
        r.notes,
        [format!(
            "hnsim note: --aux-address router=10.244.1.5 is accepted but has no effect on Windows: it never reaches HNS {UNSUPPORTED_DOC}"
        )]
    );
    // Nothing was reserved: a container may take that very address.
    ok(
        &mut w,
        "win1",
        "docker run -d --name r --network aux_nat --ip 10.244.1.5 img",
    );
    assert_eq!(endpoint(&w, "win1", "r").0, Ipv4Addr::new(10, 244, 1, 5));
    // Outside every subnet, the CLI refuses it before the daemon sees it.
    assert_eq!(
        refused(
            &mut w,
            "win1",
            r#"docker network create -d nat --subnet 10.244.2.0/24 --aux-address "router=10.245.0.5" aux_bad"#
        ),
        "no matching subnet for aux-address 10.245.0.5"
    );
    assert!(!network_names(&w, "win1").contains(&"aux_bad".to_string()));
}

/// Seed 003, line 78: `--internal`. Reference 7 and 10: accepted; no Windows driver reads it,
/// so the containers keep their way out.
#[test]
fn seed_003_internal_is_accepted_and_isolates_nothing() {
    let mut w = world();
    let r = ok(
        &mut w,
        "win1",
        "docker network create -d nat --internal --subnet 10.244.3.0/24 inner",
    );
    assert_eq!(
        r.notes,
        [format!(
            "hnsim note: --internal is accepted but has no effect on Windows: no Windows driver reads it; containers keep outside access {UNSUPPORTED_DOC}"
        )]
    );
    let inspect = ok(&mut w, "win1", "docker network inspect inner").stdout;
    assert!(inspect.contains("\"Internal\": true"), "{inspect}");
    ok(
        &mut w,
        "win1",
        "docker run -d --name in1 --network inner img",
    );
    let r = probe(&mut w, "in1", "internet", ProbeProto::Tcp(80));
    assert_outcome(&r, Outcome::Delivered);
}

/// Seed 003, line 78: `--ip-range` and `--ipv6`. Reference 2.3, 7 and 9: the `windows` IPAM
/// refuses a sub-pool and an IPv6 pool with `this request is not supported by the 'windows'
/// ipam driver`.
#[test]
fn seed_003_ip_range_and_ipv6_are_refused_by_the_windows_ipam() {
    let mut w = world();
    let before = network_names(&w, "win1");
    let hns_before = w.hosts[0].hns().expect("a Windows host").networks.len();
    assert_eq!(
        refused(
            &mut w,
            "win1",
            "docker network create -d nat --subnet 10.244.4.0/24 --ip-range 10.244.4.128/25 ranged"
        ),
        WINDOWS_IPAM
    );
    assert_eq!(
        refused(
            &mut w,
            "win1",
            "docker network create -d nat --ipv6 --subnet 10.244.7.0/24 v6net"
        ),
        WINDOWS_IPAM
    );
    assert_eq!(network_names(&w, "win1"), before);
    assert_eq!(
        w.hosts[0].hns().expect("a Windows host").networks.len(),
        hns_before
    );
}

/// Seed 003, line 78: `--ipam-driver` and `--ipam-opt`. Reference 2.3 and 7: for the Windows
/// drivers `--ipam-driver default` is mapped back to `windows`, the null IPAM that passes the
/// subnet to HNS and reads no options. hnsim says so for the driver and is silent about the
/// options.
#[test]
fn seed_003_ipam_driver_and_ipam_opt_leave_the_windows_ipam_in_charge() {
    let mut w = world();
    let r = ok(
        &mut w,
        "win1",
        "docker network create -d nat --ipam-driver default --subnet 10.244.5.0/24 ipam_default",
    );
    assert_eq!(
        r.notes,
        [
            "hnsim note: --ipam-driver default is unsupported on Windows; the 'windows' IPAM (HNS) is used"
        ]
    );
    assert_eq!(
        hns_pool(&w, "win1", "ipam_default"),
        ("10.244.5.0/24".to_string(), Ipv4Addr::new(10, 244, 5, 1))
    );
    let r = ok(
        &mut w,
        "win1",
        "docker network create -d nat --subnet 10.244.6.0/24 --ipam-opt foo=bar ipam_opt",
    );
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    assert_eq!(
        hns_pool(&w, "win1", "ipam_opt"),
        ("10.244.6.0/24".to_string(), Ipv4Addr::new(10, 244, 6, 1))
    );
    // HNS hands out the addresses.
    ok(
        &mut w,
        "win1",
        "docker run -d --name p --network ipam_default img",
    );
    ok(
        &mut w,
        "win1",
        "docker run -d --name q --network ipam_opt img",
    );
    let (ip, _, _) = endpoint(&w, "win1", "p");
    assert_eq!(ip.octets()[..3], [10, 244, 5], "{ip}");
    let (ip, _, _) = endpoint(&w, "win1", "q");
    assert_eq!(ip.octets()[..3], [10, 244, 6], "{ip}");
}

/// Seed 003, line 78: `--opt encrypted`. Reference 2.2 and 7: the Windows overlay driver never
/// reads it; the network is created and its VXLAN is not encrypted.
#[test]
fn seed_003_opt_encrypted_is_accepted_and_ignored_on_overlay() {
    let mut w = world();
    ok(
        &mut w,
        "win1",
        "docker swarm init --advertise-addr 192.168.1.21",
    );
    ok(
        &mut w,
        "win2",
        "docker swarm join --token SWMTKN-1-anything 192.168.1.21:2377",
    );
    let r = ok(
        &mut w,
        "win1",
        "docker network create -d overlay --attachable --opt encrypted --subnet 10.245.0.0/24 secure_ov",
    );
    assert!(
        r.notes.iter().any(|n| n
            == "hnsim note: --opt encrypted is accepted and ignored by the Windows overlay driver; Windows nodes then cannot talk to Linux nodes that encrypt"),
        "{:?}",
        r.notes
    );
    ok(
        &mut w,
        "win1",
        "docker run -d --name a --network secure_ov img",
    );
    ok(
        &mut w,
        "win2",
        "docker run -d --name c --network secure_ov img",
    );
    let (ic, _, _) = endpoint(&w, "win2", "c");
    let r = exec(&mut w, "win1", "docker exec a ping -n 1 c");
    assert_outcome(&r, Outcome::Delivered);
    // Plain VXLAN on the wire: the inner ICMP echo is readable.
    let tor = w.fabric["tor"];
    let inner_echo_from_c = r.hops.iter().filter(|h| h.node == tor).any(|h| {
        wire::vxlan_decap(&h.bytes).is_some_and(|(_, inner)| {
            wire::ipv4_info(inner).is_some_and(|i| i.src == ic)
                && wire::icmp_info(inner).is_some_and(|i| i.icmp_type == 0)
        })
    });
    assert!(
        inner_echo_from_c,
        "no clear-text echo reply from c in VXLAN"
    );
}

// ----- seed 004 (Docker's networking overview): bridge, host and none on Linux -----
//
// Every command line seed 004 gives for the bridge, host and none drivers, verbatim (with
// the seed's continuation backslashes), typed on a Linux host through `World::shell` as a
// terminal would run it, with the outcome the seed documents (or, where the seed and the
// daemon's code disagree, reference linux-drivers.md section 9). The overlay, ipvlan and
// macvlan lines of the seed are other drivers' and not here.
//
// Lines whose documented outcome needs a feature hnsim does not have yet are listed in
// `SEED_004_PENDING`, each with why; a test checks that each still falls short, so that the
// day one starts working the list must shrink and the line get its own test.

/// Seed 004 line 108 ("管理用户定义的桥梁").
const SEED_004_CREATE_MY_NET: &str = "docker network create my-net";
/// Seed 004 line 114.
const SEED_004_RM_MY_NET: &str = "docker network rm my-net";
/// Seed 004 lines 124-127 ("将容器连接到用户定义的桥").
const SEED_004_CREATE_MY_NGINX: &str =
    "docker create --name my-nginx \\\n  --network my-net \\\n  --publish 8080:80 \\\n  nginx:latest";
/// Seed 004 line 131.
const SEED_004_CONNECT: &str = "docker network connect my-net my-nginx";
/// Seed 004 line 137 ("从用户定义的桥断开容器").
const SEED_004_DISCONNECT: &str = "docker network disconnect my-net my-nginx";
/// Seed 004 line 155 ("启用从 Docker 容器到外部世界的转发"), a host command.
const SEED_004_SYSCTL_FORWARDING: &str = "sysctl net.ipv4.conf.all.forwarding=1";
/// Seed 004 line 160, a host command.
const SEED_004_FORWARD_ACCEPT: &str = "sudo iptables -P FORWARD ACCEPT";
/// Seed 004 lines 281 and 283 ("自定义 docker_gwbridge 接口", step 2), host commands.
const SEED_004_GWBRIDGE_DOWN: &str = "sudo ip link set docker_gwbridge down";
const SEED_004_GWBRIDGE_DEL: &str = "sudo ip link del dev docker_gwbridge";
/// Seed 004 lines 289-294 (step 4): the bridge driver with options.
const SEED_004_GWBRIDGE_CREATE: &str = "docker network create \\\n--subnet 10.11.0.0/16 \\\n--opt com.docker.network.bridge.name=docker_gwbridge \\\n--opt com.docker.network.bridge.enable_icc=false \\\n--opt com.docker.network.bridge.enable_ip_masquerade=true \\\ndocker_gwbridge";
/// Seed 004 lines 701-705 ("禁用容器的网络").
const SEED_004_NO_NET_ALPINE: &str = "docker run --rm -dit \\\n  --network none \\\n  --name no-net-alpine \\\n  alpine:latest \\\n  ash";
/// Seed 004 line 710.
const SEED_004_IP_LINK_SHOW: &str = "docker exec no-net-alpine ip link show";
/// Seed 004 line 719.
const SEED_004_IP_ROUTE: &str = "docker exec no-net-alpine ip route";
/// Seed 004 line 726.
const SEED_004_STOP: &str = "docker stop no-net-alpine";
/// Seed 004 line 376 ("使用主机网络"): the warning `-p` gets on the host network. The seed
/// gives no command line for it; this is the smallest one that asks for a port.
const SEED_004_HOST_WARNING: &str =
    "WARNING: Published ports are discarded when using host network mode";

/// One Linux host (Docker Engine 29, or `engine`) on a LAN with a laptop, behind a router
/// to a web server; seed 004's images.
fn linux_world(engine: &str, daemon: &str) -> World {
    world_of(&format!(
        r#"ScenarioSpec(
    title: "seed 004's docker command lines",
    seed: 4,
    fabric: (
        switches: [(name: "lan")],
        routers: [(name: "edge", interfaces: [(name: "lan0", address: "10.0.0.1/24"), (name: "wan0", address: "203.0.113.1/24")])],
        externals: [
            (name: "internet", interfaces: [(name: "eth0", address: "203.0.113.10/24")], gateway: Some("203.0.113.1"), services: [Tcp(80)]),
            (name: "laptop", interfaces: [(name: "eth0", address: "10.0.0.50/24")], gateway: Some("10.0.0.1")),
        ],
        hosts: [(
            name: "lin1",
            os: Linux(engine: {engine}),
            nics: [(name: "eth0", address: "10.0.0.11/24")],
            gateway: Some("10.0.0.1"),
            daemon: ({daemon}),
        )],
        links: [
            (a: "lin1.eth0", b: "lan"),
            (a: "laptop.eth0", b: "lan"),
            (a: "edge.lan0", b: "lan"),
            (a: "edge.wan0", b: "internet.eth0"),
        ],
    ),
    images: [
        (name: "nginx:latest", services: [Tcp(80)]),
        (name: "nginx", services: [Tcp(80)]),
        (name: "alpine:latest", services: []),
    ],
)
"#
    ))
}

/// Types `line` on lin1; it must exit 0. Returns stdout.
fn sh_ok(world: &mut World, line: &str) -> String {
    let out = world.shell("lin1", line);
    assert_eq!(out.exit_code, 0, "lin1$ {line}\n{out:?}");
    out.stdout
}

/// A container's address on a network, as `docker network inspect` lists it.
fn address_on(world: &mut World, network: &str, container: &str) -> String {
    let template = "'{{range .Containers}}{{.Name}}={{.IPv4Address}} {{end}}'";
    let listed = sh_ok(
        world,
        &format!("docker network inspect -f {template} {network}"),
    );
    listed
        .split_whitespace()
        .find_map(|e| e.strip_prefix(&format!("{container}=")))
        .and_then(|a| a.split('/').next())
        .unwrap_or_else(|| panic!("{container} is not on {network}: {listed:?}"))
        .to_string()
}

fn is_hex_id(s: &str) -> bool {
    let s = s.trim_end_matches('\n');
    s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// The interfaces of a container's namespace, by name.
fn ifaces_of(world: &World, name: &str) -> Vec<String> {
    let node = world.resolve_source(name).expect("the container runs");
    let stack = world
        .engine
        .device(node)
        .and_then(sim_core::device::Device::as_stack)
        .expect("a container is a stack");
    stack
        .config
        .ifaces()
        .iter()
        .flatten()
        .map(|i| i.name.to_string())
        .collect()
}

#[test]
fn seed_004_user_defined_bridge_lines_on_every_engine() {
    for engine in ["V20_10", "V27", "V28", "V29"] {
        let mut w = linux_world(engine, "");
        // "$ docker network create my-net": a new bridge network; the CLI prints its ID.
        let id = sh_ok(&mut w, SEED_004_CREATE_MY_NET);
        assert!(is_hex_id(&id), "{engine}: {id:?}");
        let driver = sh_ok(&mut w, "docker network inspect -f '{{.Driver}}' my-net");
        assert_eq!(driver, "bridge\n", "{engine}: the default driver is bridge");
        // "$ docker network rm my-net": removed when nothing is connected; the CLI echoes it.
        assert_eq!(sh_ok(&mut w, SEED_004_RM_MY_NET), "my-net\n", "{engine}");

        // The Nginx container on my-net, port 80 published on the host's 8080 "so that
        // external clients can access that port".
        sh_ok(&mut w, SEED_004_CREATE_MY_NET);
        let id = sh_ok(&mut w, SEED_004_CREATE_MY_NGINX);
        assert!(
            is_hex_id(&id),
            "{engine}: docker create prints the ID: {id:?}"
        );
        sh_ok(&mut w, "docker start my-nginx");
        sh_ok(
            &mut w,
            "docker run -d --name client --network my-net alpine:latest sleep 1d",
        );
        let outside = probe(&mut w, "laptop", "10.0.0.11", ProbeProto::Tcp(8080));
        assert_outcome(&outside, Outcome::Delivered);
        // "Any other container connected to the my-net network has access to all ports on
        // the my-nginx container, and vice versa." (The second my-net has the next pool up
        // to v26, which rotates, and the first free one from v27: ask for the address.)
        let addr = address_on(&mut w, "my-net", "my-nginx");
        let inside = probe(&mut w, "client", &addr, ProbeProto::Tcp(80));
        assert_outcome(&inside, Outcome::Delivered);

        // "$ docker network disconnect my-net my-nginx": the running container leaves my-net.
        sh_ok(&mut w, SEED_004_DISCONNECT);
        let gone = probe(&mut w, "client", &addr, ProbeProto::Tcp(80));
        assert_outcome(&gone, Outcome::Dropped);
        // "$ docker network connect my-net my-nginx": an already running container joins an
        // existing network, and the other containers on it reach it again. (A container
        // that has not talked to it before: from v28 the new interface has a new random
        // MAC, and hnsim does not model the unsolicited ARPs with which those releases
        // refresh their neighbours' caches.)
        sh_ok(&mut w, SEED_004_CONNECT);
        sh_ok(
            &mut w,
            "docker run -d --name client2 --network my-net alpine:latest sleep 1d",
        );
        let addr = address_on(&mut w, "my-net", "my-nginx");
        let back = probe(&mut w, "client2", &addr, ProbeProto::Tcp(80));
        assert_outcome(&back, Outcome::Delivered);
        // "If containers are currently connected to the network, disconnect them first."
        let busy = w.shell("lin1", SEED_004_RM_MY_NET);
        assert_eq!(busy.exit_code, 1, "{engine}: {busy:?}");
        assert!(
            busy.stderr.contains("has active endpoints"),
            "{engine}: {busy:?}"
        );
    }
}

/// The connect line as the seed introduces it: my-nginx already running (on the default
/// bridge), my-net already existing.
#[test]
fn seed_004_connect_joins_a_running_container_to_an_existing_network() {
    let mut w = linux_world("V29", "");
    sh_ok(&mut w, SEED_004_CREATE_MY_NET);
    sh_ok(&mut w, "docker run -d --name my-nginx nginx:latest");
    sh_ok(
        &mut w,
        "docker run -d --name client --network my-net alpine:latest sleep 1d",
    );
    // client took 172.18.0.2; my-nginx is not on my-net yet.
    assert_outcome(
        &probe(&mut w, "client", "172.18.0.3", ProbeProto::Tcp(80)),
        Outcome::Dropped,
    );
    assert_eq!(sh_ok(&mut w, SEED_004_CONNECT), "");
    assert_eq!(
        ifaces_of(&w, "my-nginx")
            .iter()
            .filter(|n| n.starts_with("eth"))
            .count(),
        2
    );
    assert_outcome(
        &probe(&mut w, "client", "172.18.0.3", ProbeProto::Tcp(80)),
        Outcome::Delivered,
    );
}

/// The docker_gwbridge line: a bridge network whose device is named docker_gwbridge, with
/// ICC off and masquerade on.
#[test]
fn seed_004_docker_gwbridge_with_icc_off() {
    for engine in ["V20_10", "V29"] {
        let mut w = linux_world(engine, "");
        let id = sh_ok(&mut w, SEED_004_GWBRIDGE_CREATE);
        assert!(is_hex_id(&id), "{engine}: {id:?}");
        let opts = sh_ok(
            &mut w,
            "docker network inspect -f '{{index .Options \"com.docker.network.bridge.name\"}} {{json .IPAM.Config}}' docker_gwbridge",
        );
        assert!(opts.starts_with("docker_gwbridge "), "{engine}: {opts:?}");
        assert!(opts.contains("10.11.0.0/16"), "{engine}: {opts:?}");
        // (Names of two characters at least: the daemon refuses `a`, as the oracle's
        // errors/container-name-rules recorded.)
        sh_ok(
            &mut w,
            "docker run -d --name web --network docker_gwbridge nginx:latest",
        );
        sh_ok(
            &mut w,
            "docker run -d --name client --network docker_gwbridge alpine:latest sleep 1d",
        );
        // enable_icc=false: two containers on the same bridge do not reach each other.
        assert_outcome(
            &probe(&mut w, "client", "10.11.0.2", ProbeProto::Tcp(80)),
            Outcome::Dropped,
        );
        // enable_ip_masquerade=true: out with the host's address.
        let out = probe(&mut w, "client", "internet", ProbeProto::Tcp(80));
        assert_outcome(&out, Outcome::Delivered);
    }
}

/// Seed 004's daemon.json for the default bridge: `bip`, `fixed-cidr`, `mtu` and `dns` (its
/// `fixed-cidr-v6`, `default-gateway` and `default-gateway-v6` are not modelled: no IPv6, and
/// containers use docker0's address as gateway).
#[test]
fn seed_004_daemon_json_configures_the_default_bridge() {
    let mut w = linux_world(
        "V29",
        r#"bip: Some("192.168.1.1/24"), fixed_cidr: Some("192.168.1.0/25"), mtu: Some(1500), dns: ["10.20.1.2", "10.20.1.3"]"#,
    );
    sh_ok(&mut w, "docker run -d --name web nginx:latest");
    let ipam = sh_ok(
        &mut w,
        "docker network inspect -f '{{json .IPAM.Config}}' bridge",
    );
    assert_eq!(
        ipam,
        "[{\"Subnet\":\"192.168.1.0/24\",\"Gateway\":\"192.168.1.1\"}]\n"
    );
    let ip: Ipv4Addr = address_on(&mut w, "bridge", "web")
        .parse()
        .expect("an address");
    assert!(
        u32::from(ip) >> 7 == u32::from(Ipv4Addr::new(192, 168, 1, 0)) >> 7,
        "{ip} is in fixed-cidr"
    );
    // The default bridge is not isolated from the outside by default: reference section 9
    // (the daemon turns forwarding on itself), against the seed's "not forwarded".
    assert_outcome(
        &probe(&mut w, "web", "internet", ProbeProto::Tcp(80)),
        Outcome::Delivered,
    );
}

/// The host network: `-p` is discarded with the seed's warning, and the container's port 80
/// is the host's.
#[test]
fn seed_004_host_network_discards_published_ports_with_a_warning() {
    for engine in ["V20_10", "V29"] {
        let mut w = linux_world(engine, "");
        let out = w.shell(
            "lin1",
            "docker run -d --name web --network host -p 8080:80 nginx",
        );
        assert_eq!(out.exit_code, 0, "{engine}: {out:?}");
        assert_eq!(out.stderr, format!("{SEED_004_HOST_WARNING}\n"), "{engine}");
        assert_outcome(
            &probe(&mut w, "laptop", "10.0.0.11", ProbeProto::Tcp(80)),
            Outcome::Delivered,
        );
        assert_outcome(
            &probe(&mut w, "laptop", "10.0.0.11", ProbeProto::Tcp(8080)),
            Outcome::Refused,
        );
    }
}

/// The none network: the container runs with only the loopback device, and no packet
/// leaves it.
#[test]
fn seed_004_no_net_alpine_has_only_loopback() {
    let mut w = linux_world("V29", "");
    let id = sh_ok(&mut w, SEED_004_NO_NET_ALPINE);
    assert!(is_hex_id(&id), "{id:?}");
    let names = ifaces_of(&w, "no-net-alpine");
    assert!(
        names.iter().all(|n| !n.starts_with("eth")),
        "no eth0 is created: {names:?}"
    );
    assert_outcome(
        &probe(&mut w, "no-net-alpine", "internet", ProbeProto::Tcp(80)),
        Outcome::Dropped,
    );
    assert_eq!(sh_ok(&mut w, SEED_004_STOP), "no-net-alpine\n");
}

/// `docker exec no-net-alpine ip link show` and `ip route`: the none container has only
/// the loopback device ("1: lo: <LOOPBACK,UP,LOWER_UP>", no eth0) and no routing table.
#[test]
fn seed_004_none_container_lists_only_loopback_and_no_routes() {
    let mut w = none_world();
    let links = w.shell("lin1", SEED_004_IP_LINK_SHOW);
    assert_eq!(links.exit_code, 0, "{links:?}");
    assert!(
        links.stdout.starts_with("1: lo: <LOOPBACK,UP,LOWER_UP>"),
        "{links:?}"
    );
    assert!(!links.stdout.contains("eth0"), "{links:?}");
    let routes = w.shell("lin1", SEED_004_IP_ROUTE);
    assert_eq!(routes, ShellOutput::ok(""), "there is no routing table");
}

/// `docker stop no-net-alpine`: "it is removed automatically, because it was created with
/// the --rm flag".
#[test]
fn seed_004_stop_removes_a_container_run_with_rm() {
    let mut w = none_world();
    assert_eq!(sh_ok(&mut w, SEED_004_STOP), "no-net-alpine\n");
    let listed = sh_ok(&mut w, "docker ps -a");
    assert!(!listed.contains("no-net-alpine"), "{listed}");
    // Without --rm the stopped container stays.
    sh_ok(
        &mut w,
        "docker run -d --name kept --network none alpine:latest ash",
    );
    sh_ok(&mut w, "docker stop kept");
    assert!(sh_ok(&mut w, "docker ps -a").contains("kept"));
}

/// Seed 004's two host lines that let the default bridge's traffic out: `sysctl
/// net.ipv4.conf.all.forwarding=1` echoes the setting, and `sudo iptables -P FORWARD
/// ACCEPT` (sudo changes nothing: hnsim's shells are root's) sets the policy silently.
#[test]
fn seed_004_forwarding_and_forward_policy_lines() {
    for engine in ["V20_10", "V29"] {
        let mut w = linux_world(engine, "");
        let set = w.shell("lin1", SEED_004_SYSCTL_FORWARDING);
        assert_eq!(
            set,
            ShellOutput::ok("net.ipv4.conf.all.forwarding = 1\n"),
            "{engine}"
        );
        // The daemon set the policy to DROP when it turned forwarding on.
        assert!(sh_ok(&mut w, "iptables -S FORWARD").starts_with("-P FORWARD DROP\n"));
        assert_eq!(
            w.shell("lin1", SEED_004_FORWARD_ACCEPT),
            ShellOutput::ok(""),
            "{engine}"
        );
        assert!(
            sh_ok(&mut w, "iptables -S FORWARD").starts_with("-P FORWARD ACCEPT\n"),
            "{engine}"
        );
    }
}

/// A seed-004 line whose documented outcome hnsim does not give yet, and why.
struct Pending {
    line: &'static str,
    documented: &'static str,
    why: &'static str,
    /// Runs the line (after whatever set-up it needs) and says whether the documented
    /// outcome happened.
    gives_documented_outcome: fn() -> bool,
}

fn none_world() -> World {
    let mut w = linux_world("V29", "");
    sh_ok(&mut w, SEED_004_NO_NET_ALPINE);
    w
}

fn gwbridge_world() -> World {
    let mut w = linux_world("V29", "");
    sh_ok(&mut w, SEED_004_GWBRIDGE_CREATE);
    w
}

const SEED_004_PENDING: &[Pending] = &[
    Pending {
        line: SEED_004_GWBRIDGE_DOWN,
        documented: "sets the docker_gwbridge device down, exit 0, no output",
        why: "interfaces have no administrative state in the model (always up), so `ip link set … down` says it is not modelled (status 2)",
        gives_documented_outcome: || {
            let out = gwbridge_world().shell("lin1", SEED_004_GWBRIDGE_DOWN);
            out.exit_code == 0 && out.stdout.is_empty()
        },
    },
    Pending {
        line: SEED_004_GWBRIDGE_DEL,
        documented: "deletes the docker_gwbridge device, exit 0, no output",
        why: "deleting a device a docker network owns is not modelled (the seed does it with the daemon stopped; hnsim has no stopped daemon): `ip link del` removes only VLAN sub-interfaces made with `ip link add` (status 2)",
        gives_documented_outcome: || {
            let out = gwbridge_world().shell("lin1", SEED_004_GWBRIDGE_DEL);
            out.exit_code == 0 && out.stdout.is_empty()
        },
    },
];

/// Each pending line still falls short of what the seed documents (when one starts working,
/// give it a test of its own above and take it off the list), and its line is verbatim.
#[test]
fn seed_004_pending_lines_are_still_pending() {
    for p in SEED_004_PENDING {
        assert!(!p.why.is_empty() && !p.documented.is_empty());
        assert!(
            !(p.gives_documented_outcome)(),
            "{:?} now does what seed 004 documents ({}): move it from SEED_004_PENDING to a test of its own",
            p.line,
            p.documented
        );
    }
    // Every pending line is one of the seed's, as written there.
    let seed = std::fs::read_to_string("/work/shared/seeds/004_9f4624069773760b.txt").ok();
    if let Some(seed) = seed {
        for p in SEED_004_PENDING {
            let first = p.line.lines().next().expect("a line");
            assert!(seed.contains(first), "{first:?} is not in seed 004");
        }
    }
}
