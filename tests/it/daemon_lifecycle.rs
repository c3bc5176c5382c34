//! The docker daemon where a real host surprised users (issue 9): containers across a reboot,
//! a start that fails, published port ranges, hot-plug on Server 2016, the windowsshim
//! options of nat networks, swarm's ingress network, and the commands users type (`port`,
//! `restart`, `swarm leave`, `inspect -f`), checked word for word.

use crate::common::{one_host_scenario, world_of};
use sim_core::docker::daemon::CommandOutput;
use sim_core::docker::swarm::NOT_A_MANAGER;
use sim_core::sim::World;

const H: &str = "h1";
const RUN_HELP: &str = "\n\nRun 'docker run --help' for more information";

fn host(os: &str) -> World {
    world_of(&one_host_scenario(os, 5))
}

/// Two hosts `h0` (192.168.1.10) and `h1` (192.168.1.11) on one switch.
fn two_hosts(os: &str) -> World {
    world_of(&format!(
        r#"ScenarioSpec(
    title: "two hosts",
    seed: 3,
    fabric: (
        switches: [(name: "tor")],
        hosts: [
            (name: "h0", os: {os}, nics: [(name: "Ethernet", address: "192.168.1.10/24")]),
            (name: "h1", os: {os}, nics: [(name: "Ethernet", address: "192.168.1.11/24")]),
        ],
        links: [(a: "h0.Ethernet", b: "tor"), (a: "h1.Ethernet", b: "tor")],
    ),
    images: [(name: "img", services: [Tcp(80)])],
)
"#
    ))
}

/// A swarm of `h0` (manager) and `h1` (worker).
fn swarm(os: &str) -> World {
    let mut w = two_hosts(os);
    ok(
        &mut w,
        "h0",
        "docker swarm init --advertise-addr 192.168.1.10",
    );
    ok(
        &mut w,
        "h1",
        "docker swarm join --token SWMTKN-1-x 192.168.1.10:2377",
    );
    w
}

fn ok(w: &mut World, host: &str, line: &str) -> CommandOutput {
    let r = w.docker(host, line);
    assert!(r.error.is_none(), "{host}> {line}: {:?}", r.error);
    r
}

fn err(w: &mut World, host: &str, line: &str) -> String {
    w.docker(host, line)
        .error
        .unwrap_or_else(|| panic!("{host}> {line}: expected an error"))
}

fn out(w: &mut World, host: &str, line: &str) -> String {
    ok(w, host, line).stdout
}

fn network_id(w: &World, host: &str, name: &str) -> String {
    let h = w.hosts.iter().find(|h| h.name == host).expect("host");
    h.daemon
        .store
        .networks
        .iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("{host} has no network {name}"))
        .id
        .clone()
}

fn names(ls: &str) -> Vec<&str> {
    ls.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect()
}

// ----- item 5: reboot -----

/// Docker 26 and later find a container's predefined network by name when it starts, so a
/// container on the default `nat` joins the `nat` dockerd recreated (new id, new prefix)
/// after a reboot on 2019 and later.
#[test]
fn after_a_reboot_a_container_on_nat_joins_the_new_nat() {
    for os in [
        "WindowsServer2019",
        "WindowsServer2022",
        "WindowsServer2016",
    ] {
        let mut w = host(os);
        ok(&mut w, H, "docker run -d --name web -p 8080:80 img");
        let before = network_id(&w, H, "nat");
        w.reboot(H).expect("reboot");
        let after = network_id(&w, H, "nat");
        assert_eq!(before == after, os == "WindowsServer2016", "{os}");
        assert!(
            out(&mut w, H, "docker ps -a").contains("Exited (0)"),
            "{os}"
        );
        assert_eq!(out(&mut w, H, "docker start web"), "web\n", "{os}");
        let net = out(
            &mut w,
            H,
            "docker inspect -f '{{.NetworkSettings.Networks.nat.NetworkID}} {{.State.Status}}' web",
        );
        assert_eq!(net, format!("{after} running\n"), "{os}");
        assert_eq!(
            out(&mut w, H, "docker port web"),
            "80/tcp -> 0.0.0.0:8080\n",
            "{os}"
        );
    }
}

/// Swarm-scoped networks are not dockerd's to delete at start-up (reference 2.6): an overlay
/// network stays in `docker network ls` after a reboot whether or not a container used it,
/// and the container starts on it again.
#[test]
fn after_a_reboot_overlay_networks_stay_and_their_containers_start_again() {
    let mut w = swarm("WindowsServer2022");
    ok(
        &mut w,
        "h0",
        "docker network create -d overlay --attachable --subnet 10.60.0.0/24 used",
    );
    ok(
        &mut w,
        "h0",
        "docker network create -d overlay --attachable --subnet 10.61.0.0/24 unused",
    );
    ok(&mut w, "h0", "docker run -d --name c --network used img");
    w.reboot("h0").expect("reboot");
    let ls = out(&mut w, "h0", "docker network ls");
    assert_eq!(
        names(&ls),
        ["ingress", "nat", "none", "unused", "used"],
        "{ls}"
    );
    assert_eq!(out(&mut w, "h0", "docker start c"), "c\n");
    let ip = out(
        &mut w,
        "h0",
        "docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' c",
    );
    assert!(ip.starts_with("10.60.0."), "{ip}");
}

// ----- wording: a start that fails -----

/// A container keeps its settings for a removed network and names it by the id it had;
/// `docker start` goes on with the others and ends with the CLI's own line; a failed start
/// leaves the container as it was, with exit code 128.
#[test]
fn a_failed_start_names_the_lost_network_and_leaves_exit_code_128() {
    let mut w = host("WindowsServer2022");
    ok(
        &mut w,
        H,
        "docker network create -d nat --subnet 10.244.0.0/24 my_nat",
    );
    let gone = network_id(&w, H, "my_nat");
    ok(&mut w, H, "docker run -d --name web --network my_nat img");
    ok(&mut w, H, "docker run -d --name other img");
    ok(&mut w, H, "docker stop web other");
    ok(&mut w, H, "docker network rm my_nat");
    let r = w.docker(H, "docker start web other");
    assert_eq!(r.stdout, "other\n");
    assert_eq!(
        r.error.as_deref(),
        Some(
            format!(
                "Error response from daemon: network {gone} not found\nError: failed to start containers: web"
            )
            .as_str()
        )
    );
    let ps = out(&mut w, H, "docker ps -a");
    let web = ps.lines().find(|l| l.ends_with(" web")).expect("web in ps");
    assert!(web.contains("Exited (128)"), "{ps}");
    assert_eq!(
        out(
            &mut w,
            H,
            "docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}' web"
        ),
        format!("exited 128 network {gone} not found\n")
    );
    // The same network name again is another network: the container still asks for its id.
    ok(
        &mut w,
        H,
        "docker network create -d nat --subnet 10.244.0.0/24 my_nat",
    );
    assert!(err(&mut w, H, "docker start web").contains(&gone));

    // A network that never existed: the container was created but never started.
    assert_eq!(
        err(&mut w, H, "docker run -d --name lost --network nosuch img"),
        "docker: Error response from daemon: network nosuch not found"
    );
    let ps = out(&mut w, H, "docker ps -a");
    let lost = ps.lines().find(|l| l.ends_with(" lost")).expect("lost");
    assert!(lost.contains("Created"), "{ps}");
    assert_eq!(
        out(&mut w, H, "docker inspect -f '{{.State.ExitCode}}' lost"),
        "128\n"
    );
    assert_eq!(
        err(&mut w, H, "docker start lost"),
        "Error response from daemon: network nosuch not found\nError: failed to start containers: lost"
    );
    assert_eq!(
        err(&mut w, H, "docker start nobody"),
        "Error response from daemon: No such container: nobody\nError: failed to start containers: nobody"
    );
}

// ----- item 6: port ranges -----

/// The CLI splits matched ranges into one binding per port; only a host range for a single
/// container port stays a range, which nat refuses and l2bridge (docker reserves the port)
/// picks from.
#[test]
fn port_ranges_become_one_mapping_per_port() {
    let mut w = host("WindowsServer2022");
    ok(&mut w, H, "docker run -d --name web -p 9000-9001:80-81 img");
    assert_eq!(
        out(&mut w, H, "docker port web"),
        "80/tcp -> 0.0.0.0:9000\n81/tcp -> 0.0.0.0:9001\n"
    );
    assert_eq!(out(&mut w, H, "docker port web 81"), "0.0.0.0:9001\n");
    assert_eq!(out(&mut w, H, "docker port web 81/tcp"), "0.0.0.0:9001\n");
    let ps = out(&mut w, H, "docker ps");
    assert!(
        ps.contains("0.0.0.0:9000->80/tcp, 0.0.0.0:9001->81/tcp"),
        "{ps}"
    );

    ok(&mut w, H, "docker run -d --name any -p 80-81 img");
    let any = out(&mut w, H, "docker port any");
    let lines: Vec<&str> = any.lines().collect();
    assert_eq!(lines.len(), 2, "{any}");
    assert!(lines[0].starts_with("80/tcp -> 0.0.0.0:"), "{any}");
    assert!(lines[1].starts_with("81/tcp -> 0.0.0.0:"), "{any}");

    ok(
        &mut w,
        H,
        "docker run -d --name same -p 7000-7001:7000-7001 img",
    );
    let ps = out(&mut w, H, "docker ps");
    assert!(ps.contains("0.0.0.0:7000-7001->7000-7001/tcp"), "{ps}");

    assert_eq!(
        err(&mut w, H, "docker run -d --name r -p 9100-9110:80 img"),
        format!("docker: Error response from daemon: failed to create endpoint r on network nat: Windows does not support more than one host port in NAT settings{RUN_HELP}")
    );
    ok(
        &mut w,
        H,
        "docker network create -d l2bridge --subnet 10.9.0.0/24 --gateway 10.9.0.1 br",
    );
    ok(
        &mut w,
        H,
        "docker run -d --name b1 --network br -p 9100-9110:80 img",
    );
    ok(
        &mut w,
        H,
        "docker run -d --name b2 --network br -p 9100-9110:80 img",
    );
    assert_eq!(out(&mut w, H, "docker port b1"), "80/tcp -> 0.0.0.0:9100\n");
    assert_eq!(out(&mut w, H, "docker port b2"), "80/tcp -> 0.0.0.0:9101\n");

    assert_eq!(
        err(&mut w, H, "docker port web 82"),
        "Error: No public port '82' published for web"
    );
    assert_eq!(
        err(&mut w, H, "docker port web x"),
        "Error: invalid port (x): strconv.ParseUint: parsing \"x\": invalid syntax"
    );
    ok(&mut w, H, "docker stop web");
    assert_eq!(out(&mut w, H, "docker port web"), "");
}

// ----- item 9: hot-add on Server 2016 -----

/// Docker EE 17.06, Server 2016's engine, cannot hot-plug an endpoint (hot-add came with
/// Docker 18.03 and the 1709 platform, reference 8); a stopped container can be connected.
#[test]
fn server_2016_refuses_to_connect_a_running_container() {
    const REFUSAL: &str = "Error response from daemon: windows does not support connecting a running container to a network";
    let mut w = host("WindowsServer2016");
    ok(
        &mut w,
        H,
        "docker network create -d l2bridge --subnet 10.9.0.0/24 --gateway 10.9.0.1 br",
    );
    ok(&mut w, H, "docker run -d --name web img");
    assert_eq!(err(&mut w, H, "docker network connect br web"), REFUSAL);
    assert_eq!(err(&mut w, H, "docker network disconnect nat web"), REFUSAL);
    ok(&mut w, H, "docker stop web");
    ok(&mut w, H, "docker network connect br web");
    assert_eq!(out(&mut w, H, "docker start web"), "web\n");

    let mut w = host("WindowsServer2022");
    ok(
        &mut w,
        H,
        "docker network create -d l2bridge --subnet 10.9.0.0/24 --gateway 10.9.0.1 br",
    );
    ok(&mut w, H, "docker run -d --name web img");
    ok(&mut w, H, "docker network connect br web");
}

// ----- item 12: option validation -----

/// The Windows driver parses the generic options of every local network, nat included.
#[test]
fn nat_networks_refuse_bad_windowsshim_options() {
    let mut w = host("WindowsServer2022");
    assert_eq!(
        err(
            &mut w,
            H,
            "docker network create -d nat -o com.docker.network.windowsshim.macpool=00-15-5D-00-00-00 n1"
        ),
        "Error response from daemon: invalid mac pool. You must specify both a start range and an end range"
    );
    assert_eq!(
        err(
            &mut w,
            H,
            "docker network create -d nat -o com.docker.network.windowsshim.vlanid=abc n2"
        ),
        "Error response from daemon: strconv.ParseUint: parsing \"abc\": invalid syntax"
    );
    assert_eq!(
        err(
            &mut w,
            H,
            "docker network create -d nat -o com.docker.network.windowsshim.disable_gatewaydns=maybe n3"
        ),
        "Error response from daemon: strconv.ParseBool: parsing \"maybe\": invalid syntax"
    );
    let r = ok(
        &mut w,
        H,
        "docker network create -d nat -o com.docker.network.windowsshim.vlanid=7 n4",
    );
    assert_eq!(
        r.notes,
        ["hnsim note: option com.docker.network.windowsshim.vlanid=7 has no effect on the nat driver"]
    );
}

/// The manager's allocator takes a listed VNI below 4096, but HNS cannot use it.
#[test]
fn a_vni_below_4096_is_accepted_by_the_manager_and_refused_by_hns() {
    let mut w = swarm("WindowsServer2022");
    let r = ok(
        &mut w,
        "h0",
        "docker network create -d overlay --attachable --subnet 10.70.0.0/24 -o com.docker.network.driver.overlay.vxlanid_list=100 low",
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("VXLAN id 100 is below 4096")),
        "{:?}",
        r.notes
    );
    assert_eq!(
        err(&mut w, "h0", "docker run -d --name x --network low img"),
        format!(
            "docker: Error response from daemon: HNS failed with error : Element not found{RUN_HELP}"
        )
    );
}

// ----- wording: swarm -----

/// Before moby commit 21dcbada2d (Docker 24.0.x), libnetwork refused a worker's overlay
/// network in its own words; Docker 28's daemon checks for a manager first.
#[test]
fn a_worker_is_refused_in_the_words_of_its_engine() {
    let line = "docker network create -d overlay --attachable o";
    let mut w = swarm("WindowsServer2016");
    assert_eq!(
        err(&mut w, "h1", line),
        "Error response from daemon: Cannot create a multi-host network from a worker node. Please create the network from a manager node."
    );
    let mut w = swarm("WindowsServer2022");
    assert_eq!(
        err(&mut w, "h1", line),
        format!("Error response from daemon: {NOT_A_MANAGER}")
    );
}

/// `docker swarm init` creates `ingress` (10.0.0.0/24, VNI 4096) before anything else, so
/// the first network a user creates without options gets 10.0.1.0/24 and VNI 4097; its
/// inspect shows docker's default IPAM and the VNIs the manager assigned.
#[test]
fn swarm_init_creates_ingress_and_overlay_inspect_shows_the_driver_state() {
    let mut w = swarm("WindowsServer2022");
    for h in ["h0", "h1"] {
        let ls = out(&mut w, h, "docker network ls");
        assert!(
            ls.lines()
                .any(|l| l.contains(" ingress ") && l.ends_with("overlay   swarm")),
            "{h}: {ls}"
        );
    }
    assert_eq!(
        out(
            &mut w,
            "h0",
            "docker network inspect -f '{{.Ingress}} {{json .IPAM.Config}}' ingress"
        ),
        "true [{\"Subnet\":\"10.0.0.0/24\",\"Gateway\":\"10.0.0.1\"}]\n"
    );
    ok(
        &mut w,
        "h0",
        "docker network create -d overlay --attachable auto",
    );
    let inspect = out(&mut w, "h0", "docker network inspect auto");
    for want in [
        "\"Driver\": \"default\"",
        "\"Subnet\": \"10.0.1.0/24\"",
        "\"com.docker.network.driver.overlay.vxlanid_list\": \"4097\"",
        "\"Scope\": \"swarm\"",
    ] {
        assert!(inspect.contains(want), "{want}:\n{inspect}");
    }
}

/// `docker swarm leave`: a worker leaves and loses its swarm networks; a manager needs
/// `--force`, in moby's words.
#[test]
fn swarm_leave() {
    let mut w = swarm("WindowsServer2022");
    ok(
        &mut w,
        "h0",
        "docker network create -d overlay --attachable --subnet 10.60.0.0/24 ov",
    );
    ok(&mut w, "h1", "docker run -d --name c --network ov img");
    assert_eq!(
        out(&mut w, "h1", "docker swarm leave"),
        "Node left the swarm.\n"
    );
    let ls = out(&mut w, "h1", "docker network ls");
    assert_eq!(names(&ls), ["nat", "none"], "{ls}");
    assert_eq!(
        out(
            &mut w,
            "h1",
            "docker inspect -f '{{len .NetworkSettings.Networks}}' c"
        ),
        "0\n"
    );
    assert_eq!(
        err(&mut w, "h1", "docker swarm leave"),
        "Error response from daemon: This node is not part of a swarm"
    );
    assert_eq!(
        err(&mut w, "h0", "docker swarm leave"),
        "Error response from daemon: You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message."
    );
    assert_eq!(
        out(&mut w, "h0", "docker swarm leave --force"),
        "Node left the swarm.\n"
    );
    ok(
        &mut w,
        "h0",
        "docker swarm init --advertise-addr 192.168.1.10",
    );
}

// ----- the commands users type -----

#[test]
fn restart_stops_and_starts_again() {
    let mut w = host("WindowsServer2022");
    ok(
        &mut w,
        H,
        "docker network create -d nat --subnet 10.244.0.0/24 my_nat",
    );
    ok(&mut w, H, "docker run -d --name web --network my_nat img");
    let ep = |w: &World| {
        w.hosts[0]
            .daemon
            .container("web")
            .and_then(|c| c.attachments[0].endpoint.clone())
    };
    let before = ep(&w);
    assert_eq!(out(&mut w, H, "docker restart web"), "web\n");
    assert!(ep(&w).is_some() && ep(&w) != before, "a new endpoint");
    let gone = network_id(&w, H, "my_nat");
    ok(&mut w, H, "docker stop web");
    ok(&mut w, H, "docker network rm my_nat");
    let r = w.docker(H, "docker restart web nosuch");
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.error.as_deref(),
        Some(
            format!(
                "Error response from daemon: Cannot restart container web: network {gone} not found\nError response from daemon: No such container: nosuch"
            )
            .as_str()
        )
    );
}

/// `docker inspect -f`: the templates people type, Windows' empty top-level address, and
/// Go's errors for the others.
#[test]
fn inspect_with_a_template() {
    let mut w = host("WindowsServer2022");
    ok(&mut w, H, "docker run -d --name web img");
    let ip = w.hosts[0]
        .hns()
        .expect("Windows")
        .endpoints
        .first()
        .expect("an endpoint")
        .ip;
    // moby fills the deprecated top-level fields from a network named `bridge` only.
    assert_eq!(
        out(
            &mut w,
            H,
            "docker inspect -f '{{.NetworkSettings.IPAddress}}' web"
        ),
        "\n"
    );
    assert_eq!(
        out(
            &mut w,
            H,
            "docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' web"
        ),
        format!("{ip}\n")
    );
    // Each object goes through the template; one that fails does not hide the others.
    let r = w.docker(
        H,
        "docker inspect --format '{{(index .NetworkSettings.Networks \"nat\").IPAddress}}' web nat",
    );
    assert_eq!(r.stdout, format!("{ip}\n"));
    assert_eq!(
        r.error.as_deref(),
        Some("template parsing error: template: :1:9: executing \"\" at <.NetworkSettings.Networks>: map has no entry for key \"NetworkSettings\"")
    );
    let settings = out(
        &mut w,
        H,
        "docker inspect -f '{{json .NetworkSettings}}' web",
    );
    assert!(
        settings.starts_with("{\"Bridge\":\"\",\"SandboxID\":")
            && settings.contains(&format!("\"IPAddress\":\"{ip}\"")),
        "{settings}"
    );
    let compact = out(&mut w, H, "docker inspect -f json web");
    assert!(compact.starts_with("[{\"Id\":"), "{compact}");
    assert_eq!(
        err(&mut w, H, "docker inspect -f '{{.Nope}}' web"),
        "template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\""
    );
    assert_eq!(
        err(&mut w, H, "docker inspect -f '{{foo .}}' web"),
        "template parsing error: template: :1: function \"foo\" not defined"
    );
    assert!(
        err(&mut w, H, "docker inspect -f '{{with .State}}x{{end}}' web")
            .contains("\"with\" is not modelled")
    );
    assert_eq!(
        out(
            &mut w,
            H,
            "docker network inspect -f '{{.Name}} {{.Driver}}' nat none"
        ),
        "nat nat\nnone null\n"
    );
}

/// Server 2016 runs the Docker of its era, whose `network inspect` has no `EnableIPv4`
/// (added in Docker 28.0).
#[test]
fn server_2016_network_inspect_has_the_field_set_of_its_engine() {
    let mut w = host("WindowsServer2016");
    let inspect = out(&mut w, H, "docker network inspect nat");
    assert!(!inspect.contains("EnableIPv4"), "{inspect}");
    assert!(inspect.contains("\"EnableIPv6\": false"), "{inspect}");
    let mut w = host("WindowsServer2022");
    let inspect = out(&mut w, H, "docker network inspect nat");
    assert!(inspect.contains("\"EnableIPv4\": true"), "{inspect}");
}
