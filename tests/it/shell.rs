//! `World::shell`: command lines as typed on a host, with the exit status, stdout and stderr
//! the real tools give.

use crate::common::world_of;

const LINUX_HOST: &str = r#"(
    title: "one Linux host",
    seed: 1,
    fabric: (
        switches: [(name: "lan")],
        hosts: [(
            name: "lin1",
            os: Linux(engine: V20_10),
            nics: [(name: "eth0", address: "192.0.2.2/24")],
            gateway: Some("192.0.2.1"),
        )],
        links: [(a: "lin1.eth0", b: "lan")],
    ),
    images: [(name: "busybox", services: [Tcp(80)])],
    steps: [],
)"#;

#[test]
fn docker_lines_print_as_the_cli_does_with_its_exit_status() {
    let mut w = world_of(LINUX_HOST);
    let ok = w.shell("lin1", "docker network create n1");
    assert_eq!(ok.exit_code, 0, "{ok:?}");
    assert_eq!(ok.stdout.trim().len(), 64, "the new network's id: {ok:?}");
    let dup = w.shell("lin1", "docker network create n1");
    assert_eq!(dup.exit_code, 1, "{dup:?}");
    assert!(
        dup.stderr.starts_with("Error response from daemon: "),
        "{dup:?}"
    );
    assert!(dup.stdout.is_empty());
    let quote = w.shell("lin1", "docker run 'oops");
    assert_eq!(quote.exit_code, 2, "{quote:?}");
}

#[test]
fn an_exec_probe_ends_with_the_tools_status() {
    let mut w = world_of(LINUX_HOST);
    assert_eq!(
        w.shell("lin1", "docker run -d --name c1 busybox").exit_code,
        0
    );
    assert_eq!(
        w.shell("lin1", "docker run -d --name c2 busybox").exit_code,
        0
    );
    let reach = w.shell("lin1", "docker exec c1 ping -c 1 -W 1 172.17.0.3");
    assert_eq!(reach.exit_code, 0, "{reach:?}");
    let lost = w.shell("lin1", "docker exec c1 ping -c 1 -W 1 172.17.0.99");
    assert_eq!(lost.exit_code, 1, "{lost:?}");
}

#[test]
fn tools_hnsim_does_not_model_say_so() {
    let mut w = world_of(LINUX_HOST);
    let out = w.shell("lin1", "frobnicate --all");
    assert_eq!(out.exit_code, 127);
    assert!(out.stderr.contains("frobnicate"), "{out:?}");
}
