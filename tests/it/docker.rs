//! The docker daemon on a small world: its refusals, word for word, and what `nat` networks
//! let through.

use crate::common::one_host_world;
use sim_core::device::stack::probe::ProbeProto;
use sim_core::device::Outcome;
use sim_core::docker::daemon::CommandOutput;
use sim_core::sim::World;

const HOST: &str = "h1";
const RUN_HELP: &str = "\n\nRun 'docker run --help' for more information";

fn ok(world: &mut World, line: &str) -> CommandOutput {
    let r = world.docker(HOST, line);
    assert!(r.error.is_none(), "{line}: {:?}", r.error);
    r
}

fn container_id(world: &World, name: &str) -> String {
    world.hosts[0]
        .daemon
        .container(name)
        .unwrap_or_else(|| panic!("no container {name}"))
        .id
        .clone()
}

/// The counts of docker networks, HNS networks, containers and HNS endpoints.
fn census(world: &World) -> (usize, usize, usize, usize) {
    let h = &world.hosts[0];
    (
        h.daemon.store.networks.len(),
        h.hns().expect("a Windows host").networks.len(),
        h.daemon.store.containers.len(),
        h.hns().expect("a Windows host").endpoints.len(),
    )
}

/// What the daemon answered, when it depends on the world (container ids).
type Expected = fn(&World) -> String;

struct Refusal {
    what: &'static str,
    setup: &'static [&'static str],
    cmd: &'static str,
    error: Expected,
}

#[test]
fn the_daemon_refuses_with_dockers_words() {
    let cases = [
        Refusal {
            what: "unknown flag",
            setup: &[],
            cmd: "docker network create --foo bar",
            error: |_| "unknown flag: --foo\nSee 'docker network create --help'.".into(),
        },
        Refusal {
            what: "unknown flag on run",
            setup: &[],
            cmd: "docker run -d --bogus img",
            error: |_| "unknown flag: --bogus\nSee 'docker run --help'.".into(),
        },
        Refusal {
            what: "duplicate network name",
            setup: &["docker network create -d nat --subnet 10.244.0.0/24 my_nat"],
            cmd: "docker network create -d nat --subnet 10.245.0.0/24 my_nat",
            error: |_| "Error response from daemon: network with name my_nat already exists".into(),
        },
        Refusal {
            what: "removing the default network",
            setup: &[],
            cmd: "docker network rm nat",
            error: |_| {
                "Error response from daemon: nat is a pre-defined network and cannot be removed"
                    .into()
            },
        },
        Refusal {
            what: "removing none",
            setup: &[],
            cmd: "docker network rm none",
            error: |_| {
                "Error response from daemon: none is a pre-defined network and cannot be removed"
                    .into()
            },
        },
        Refusal {
            what: "removing a network in use",
            setup: &[
                "docker network create -d nat --subnet 10.244.0.0/24 my_nat",
                "docker run -d --name web --network my_nat img",
            ],
            cmd: "docker network rm my_nat",
            error: |w| {
                format!(
                    "Error response from daemon: error while removing network: network my_nat has active endpoints (name:\"web\" id:\"{}\")",
                    &container_id(w, "web")[..12]
                )
            },
        },
        Refusal {
            what: "removing a network that does not exist",
            setup: &[],
            cmd: "docker network rm nosuch",
            error: |_| "Error response from daemon: network nosuch not found".into(),
        },
        Refusal {
            what: "--ip-range",
            setup: &[],
            cmd: "docker network create -d nat --subnet 10.244.0.0/24 --ip-range 10.244.0.0/25 r",
            error: |_| {
                "Error response from daemon: this request is not supported by the 'windows' ipam driver".into()
            },
        },
        Refusal {
            what: "--ipv6",
            setup: &[],
            cmd: "docker network create -d nat --ipv6 v6",
            error: |_| {
                "Error response from daemon: this request is not supported by the 'windows' ipam driver".into()
            },
        },
        // The Windows driver judges published ports when it creates the endpoint (moby's
        // `ConvertPortBindings`), and libnetwork says which endpoint.
        Refusal {
            what: "a host IP in -p",
            setup: &[],
            cmd: "docker run -d --name web -p 127.0.0.1:80:80 img",
            error: |_| {
                format!("docker: Error response from daemon: failed to create endpoint web on network nat: Windows does not support host IP addresses in NAT settings{RUN_HELP}")
            },
        },
        Refusal {
            what: "a host port range for one container port in -p",
            setup: &[],
            cmd: "docker run -d --name web -p 9100-9110:80 img",
            error: |_| {
                format!("docker: Error response from daemon: failed to create endpoint web on network nat: Windows does not support more than one host port in NAT settings{RUN_HELP}")
            },
        },
        Refusal {
            what: "an unknown network on run",
            setup: &[],
            cmd: "docker run -d --name web --network nosuch img",
            error: |_| "docker: Error response from daemon: network nosuch not found".into(),
        },
        Refusal {
            what: "a duplicate container name",
            setup: &["docker run -d --name web img"],
            cmd: "docker run -d --name web img",
            error: |w| {
                format!(
                    "docker: Error response from daemon: Conflict. The container name \"/web\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.{RUN_HELP}",
                    container_id(w, "web")
                )
            },
        },
        Refusal {
            what: "removing a running container",
            setup: &["docker run -d --name web img"],
            cmd: "docker rm web",
            error: |_| {
                "Error response from daemon: cannot remove container \"/web\": container is running: stop the container before removing or force remove".into()
            },
        },
    ];
    for case in cases {
        let mut world = one_host_world();
        for line in case.setup {
            ok(&mut world, line);
        }
        let before = census(&world);
        let expected = (case.error)(&world);
        let r = world.docker(HOST, case.cmd);
        assert_eq!(
            r.error.as_deref(),
            Some(expected.as_str()),
            "{}: `{}`",
            case.what,
            case.cmd
        );
        assert_eq!(
            r.stdout, "",
            "{}: a refusal prints nothing on stdout",
            case.what
        );
        // A refused network command changes nothing; a refused run at most records a container
        // that did not start (as docker does when the network is only looked up at start).
        let after = census(&world);
        assert_eq!(
            (after.0, after.1, after.3),
            (before.0, before.1, before.3),
            "{}: the refusal changed networks or endpoints",
            case.what
        );
    }
}

#[test]
fn internal_is_accepted_with_a_note() {
    let mut world = one_host_world();
    let r = ok(
        &mut world,
        "docker network create -d nat --internal --subnet 10.244.0.0/24 inner",
    );
    assert_eq!(
        r.stdout.trim().len(),
        64,
        "the new network's id: {:?}",
        r.stdout
    );
    assert_eq!(
        r.notes,
        ["hnsim note: --internal is accepted but has no effect on Windows: no Windows driver reads it; containers keep outside access (Microsoft: \"Unsupported features and network options\", Windows container networking docs)"]
    );
    let net = world.hosts[0]
        .daemon
        .store
        .networks
        .iter()
        .find(|n| n.name == "inner")
        .expect("the network exists");
    assert!(net.internal);
    let inspect = ok(&mut world, "docker network inspect inner").stdout;
    assert!(inspect.contains("\"Internal\": true"), "{inspect}");
}

#[test]
fn publishing_on_transparent_says_that_nothing_is_mapped() {
    let mut world = one_host_world();
    ok(
        &mut world,
        "docker network create -d transparent --subnet 10.0.0.0/24 --gateway 10.0.0.1 lan",
    );
    let r = ok(
        &mut world,
        "docker run -d --name web --network lan --ip 10.0.0.90 -p 8080:80 img",
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("hnsim note: -p on a transparent network")),
        "{:?}",
        r.notes
    );
    // The container answers at its own address, on the wire beside its host.
    assert_eq!(
        probe(&mut world, "h1", "10.0.0.90", ProbeProto::Tcp(80)),
        Outcome::Delivered
    );
}

#[test]
fn host_endpoints_are_for_l2bridge_and_one_per_network() {
    let mut world = one_host_world();
    ok(
        &mut world,
        "docker network create -d l2bridge --subnet 10.9.0.0/24 --gateway 10.9.0.1 br",
    );
    assert_eq!(
        world.host_endpoint(HOST, "br", None),
        Ok("10.9.0.1".parse().expect("address"))
    );
    let again = world.host_endpoint(HOST, "br", None).unwrap_err();
    assert!(again.ends_with("The object already exists."), "{again}");
    let nat = world.host_endpoint(HOST, "nat", None).unwrap_err();
    assert!(
        nat.contains("host endpoint is modelled for l2bridge networks only")
            && nat.contains("nat is a NAT network"),
        "{nat}"
    );
    let missing = world.host_endpoint(HOST, "nope", None).unwrap_err();
    assert_eq!(missing, "h1 has no network \"nope\"");
}

#[test]
fn sharing_another_containers_network_stack() {
    let mut world = one_host_world();
    ok(&mut world, "docker run -d --name web img");
    ok(&mut world, "docker run -d --isolation=hyperv --name hv img");
    ok(&mut world, "docker create --name idle img");
    let refused =
        |world: &mut World, line: &str| world.docker(HOST, line).error.unwrap_or_default();
    assert!(refused(&mut world, "docker run -d --isolation=hyperv --network container:web img")
        .contains("invalid network-mode: using the network stack of another container is not supported while using Hyper-V Containers"));
    assert!(refused(
        &mut world,
        "docker run -d -p 8080:80 --network container:web img"
    )
    .contains("conflicting options: port publishing and the container type network mode"));
    assert!(
        refused(&mut world, "docker run -d --network container:hv img")
            .contains("sharing of hyperv containers network is not supported")
    );
    let idle = container_id(&world, "idle");
    assert!(
        refused(&mut world, "docker run -d --network container:idle img").contains(&format!(
            "cannot join network of a non running container: {idle}"
        ))
    );

    // Process isolation: one compartment, so one address for both.
    ok(
        &mut world,
        "docker run -d --name side --network container:web img",
    );
    let h = &world.hosts[0];
    let node = |name: &str| h.daemon.container(name).and_then(|c| c.sandbox);
    assert_eq!(node("side"), node("web"));
    assert!(node("side").is_some());
    assert_eq!(
        probe(&mut world, "side", "10.0.0.11", ProbeProto::Icmp),
        Outcome::Delivered
    );
    // The guest leaving takes nothing from its host container; the host leaving takes the
    // guest's network.
    ok(&mut world, "docker stop side");
    assert_eq!(
        probe(&mut world, "web", "10.0.0.11", ProbeProto::Icmp),
        Outcome::Delivered
    );
    ok(&mut world, "docker start side");
    ok(&mut world, "docker stop web");
    assert!(world.hosts[0]
        .daemon
        .container("side")
        .and_then(|c| c.sandbox)
        .is_none());
}

#[test]
fn custom_nat_network_inspect_and_ls() {
    let mut world = one_host_world();
    let r = ok(
        &mut world,
        "docker network create -d nat --subnet \"10.244.0.0/24\" my_nat",
    );
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    let id = r.stdout.trim().to_string();
    let hns = &world.hosts[0].hns().expect("a Windows host");
    let h = hns
        .networks
        .iter()
        .find(|n| n.name == "my_nat")
        .expect("HNS has the network");
    assert_eq!(h.pool.subnet.to_string(), "10.244.0.0/24");
    assert_eq!(h.pool.gateway.to_string(), "10.244.0.1");
    let inspect = ok(&mut world, "docker network inspect my_nat").stdout;
    assert!(inspect.contains(&format!("\"Id\": \"{id}\"")), "{inspect}");
    insta::assert_snapshot!("network_inspect_my_nat", inspect);
    let ls = ok(&mut world, "docker network ls").stdout;
    insta::assert_snapshot!("network_ls", ls);
    let ids = ok(&mut world, "docker network ls -q").stdout;
    assert_eq!(ids.lines().count(), 3, "{ids}");
    assert!(ids.lines().any(|l| id.starts_with(l)), "{ids}");
}

fn probe(world: &mut World, from: &str, to: &str, proto: ProbeProto) -> Outcome {
    let r = world
        .probe(from, to, proto)
        .unwrap_or_else(|e| panic!("probe {from} -> {to}: {e}"));
    r.outcome
}

#[test]
fn separate_nat_networks_do_not_reach_each_other() {
    let mut world = one_host_world();
    ok(
        &mut world,
        "docker network create -d nat --subnet \"10.244.0.0/24\" my_nat",
    );
    ok(&mut world, "docker run -d --name a --network my_nat img");
    ok(&mut world, "docker run -d --name b --network my_nat img");
    ok(&mut world, "docker run -d --name c img");
    for proto in [ProbeProto::Icmp, ProbeProto::Tcp(80)] {
        assert_eq!(
            probe(&mut world, "a", "b", proto),
            Outcome::Delivered,
            "a -> b {proto}"
        );
        assert_eq!(
            probe(&mut world, "b", "a", proto),
            Outcome::Delivered,
            "b -> a {proto}"
        );
        assert_eq!(
            probe(&mut world, "a", "c", proto),
            Outcome::Dropped,
            "a -> c {proto}"
        );
        assert_eq!(
            probe(&mut world, "c", "a", proto),
            Outcome::Dropped,
            "c -> a {proto}"
        );
        assert_eq!(
            probe(&mut world, "c", "b", proto),
            Outcome::Dropped,
            "c -> b {proto}"
        );
    }
    // By address too, not only by name.
    let ip_of = |w: &World, name: &str| {
        let h = &w.hosts[0];
        let c = h.daemon.container(name).expect("container");
        let ep = c.attachments[0].endpoint.as_deref().expect("attached");
        h.hns()
            .expect("a Windows host")
            .endpoints
            .iter()
            .find(|e| e.id == ep)
            .expect("HNS endpoint")
            .ip
            .to_string()
    };
    let (ia, ic) = (ip_of(&world, "a"), ip_of(&world, "c"));
    assert!(ia.starts_with("10.244.0."), "{ia}");
    assert_eq!(
        probe(&mut world, "c", &ia, ProbeProto::Icmp),
        Outcome::Dropped
    );
    assert_eq!(
        probe(&mut world, "a", &ic, ProbeProto::Icmp),
        Outcome::Dropped
    );
}

/// moby refuses every predefined network name (`runconfig.IsPreDefinedNetwork`; on Windows
/// `default`, `none` and `nat`) with `PredefinedNetworkError`, before looking for duplicates.
/// The daemon's message ends with a space, which the client trims (`checkResponseErr`).
#[test]
fn predefined_names_cannot_be_created() {
    for name in ["nat", "none", "default"] {
        let mut world = one_host_world();
        let r = world.docker(HOST, &format!("docker network create {name}"));
        assert_eq!(
            r.error.as_deref(),
            Some(
                format!(
                    "Error response from daemon: operation is not permitted on predefined {name} network"
                )
                .as_str()
            ),
            "docker network create {name}"
        );
    }
}
