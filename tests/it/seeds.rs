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
