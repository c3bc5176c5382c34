//! The docker CLI's and daemon's words on a Linux host, per Docker Engine release: every
//! expected text below is what the real 20.10.24 printed in `tests/oracle/fixtures` (the
//! case is named in each test), or what reference linux-drivers.md sections 2 and 10 give
//! for the newer releases. Each line goes through `World::shell` as a user types it.

use crate::common::one_linux_host as linux;
use sim_core::shell::ShellOutput;
use sim_core::sim::World;

fn sh(w: &mut World, line: &str) -> ShellOutput {
    w.shell("host", line)
}

/// The line succeeds; returns its stdout.
fn ok(w: &mut World, line: &str) -> String {
    let out = sh(w, line);
    assert_eq!(out.exit_code, 0, "{line}: {out:?}");
    out.stdout
}

/// The line fails with `code`, printing `stderr` (and `stdout`).
fn fails(w: &mut World, line: &str, code: i32, stdout: &str, stderr: &str) {
    let out = sh(w, line);
    assert_eq!(
        (out.exit_code, out.stdout.as_str(), out.stderr.as_str()),
        (code, stdout, stderr),
        "{line}"
    );
}

fn id_of(w: &mut World, name: &str) -> String {
    ok(w, &format!("docker inspect -f {{{{.Id}}}} {name}"))
        .trim()
        .to_string()
}

fn net_id_of(w: &mut World, name: &str) -> String {
    ok(w, &format!("docker network inspect -f {{{{.Id}}}} {name}"))
        .trim()
        .to_string()
}

const RUN: &str = "docker run -d --name";

/// `errors/create-predefined-names` (contradiction #16: the CLI trims the trailing space),
/// `errors/create-empty-name` (#9), `errors/create-unknown-driver`,
/// `errors/create-host-and-null-driver`, `errors/create-swarm-scope`,
/// `errors/create-ingress-bridge`, `errors/create-overlay-without-swarm`.
#[test]
fn network_create_refusals_of_20_10() {
    let mut w = linux("V20_10");
    for name in ["bridge", "host", "none", "default"] {
        fails(
            &mut w,
            &format!("docker network create {name}"),
            1,
            "",
            &format!("Error response from daemon: operation is not permitted on predefined {name} network\n"),
        );
    }
    fails(
        &mut w,
        "docker network create ''",
        1,
        "",
        "Error response from daemon: network with name  already exists\n",
    );
    fails(
        &mut w,
        "docker network create -d nosuchdriver x1",
        1,
        "",
        "Error response from daemon: plugin \"nosuchdriver\" not found\n",
    );
    fails(
        &mut w,
        "docker network create -d host h2",
        1,
        "",
        "Error response from daemon: only one instance of \"host\" network is allowed\n",
    );
    fails(
        &mut w,
        "docker network create -d null z2",
        1,
        "",
        "Error response from daemon: only one instance of \"null\" network is allowed\n",
    );
    fails(&mut w, "docker network create --scope swarm s1", 1, "", "Error response from daemon: cannot create a swarm scoped network when swarm is not active\n");
    fails(
        &mut w,
        "docker network create --ingress x1",
        1,
        "",
        "Error response from daemon: Ingress network can only be global scope network\n",
    );
    fails(&mut w, "docker network create -d overlay o1", 1, "", "Error response from daemon: This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.\n");
}

/// `errors/gateway-without-subnet`, `errors/two-gateways-for-one-of-two-subnets` (#8),
/// `errors/ip-range-bigger-than-subnet`, `errors/bad-subnet-syntax`,
/// `errors/bad-gateway-syntax`, `errors/aux-address-bad-format`, `errors/bad-mtu`,
/// `errors/bad-bool-option`, `errors/subnet-overlaps-docker0`, `errors/bridge-name-taken`,
/// `ipam/slash-31`, `ipam/slash-32`, `ipam/ipv6-without-subnet`.
#[test]
fn network_create_ipam_and_option_refusals_of_20_10() {
    let mut w = linux("V20_10");
    fails(
        &mut w,
        "docker network create --gateway 10.99.40.1 x1",
        1,
        "",
        "every ip-range or gateway must have a corresponding subnet\n",
    );
    fails(&mut w, "docker network create --subnet 10.99.55.0/24 --subnet 10.99.56.0/24 --gateway 10.99.55.1 --gateway 10.99.55.2 x1", 1, "", "cannot configure multiple gateways (10.99.55.2, 10.99.55.1) for the same subnet (10.99.55.0/24)\n");
    for s in ["bogus", "10.99.51.0/33", "10.99.51.0"] {
        fails(
            &mut w,
            &format!("docker network create --subnet {s} x1"),
            1,
            "",
            &format!(
                "Error response from daemon: Invalid subnet {s} : invalid CIDR address: {s}\n"
            ),
        );
    }
    fails(
        &mut w,
        "docker network create --subnet 10.99.52.0/24 --gateway bogus x1",
        1,
        "",
        "no matching subnet for gateway bogus\n",
    );
    fails(
        &mut w,
        "docker network create --subnet 10.99.46.0/24 --aux-address 10.99.46.5 x1",
        1,
        "",
        "no matching subnet for aux-address \n",
    );
    fails(
        &mut w,
        "docker network create -o com.docker.network.driver.mtu=-5 x1",
        1,
        "",
        "Error response from daemon: invalid MTU number: -5\n",
    );
    fails(&mut w, "docker network create -o com.docker.network.driver.mtu=abc x2", 1, "", "Error response from daemon: failed to parse com.docker.network.driver.mtu value: abc (strconv.Atoi: parsing \"abc\": invalid syntax)\n");
    fails(&mut w, "docker network create -o com.docker.network.bridge.enable_icc=foo x1", 1, "", "Error response from daemon: failed to parse com.docker.network.bridge.enable_icc value: foo (strconv.ParseBool: parsing \"foo\": invalid syntax)\n");
    fails(&mut w, "docker network create -o com.docker.network.bridge.host_binding_ipv4=10.0.0.300 x1", 1, "", "Error response from daemon: failed to parse com.docker.network.bridge.host_binding_ipv4 value: 10.0.0.300 (nil ip)\n");
    fails(
        &mut w,
        "docker network create --subnet 172.17.0.0/24 x1",
        1,
        "",
        "Error response from daemon: Pool overlaps with other one on this address space\n",
    );
    fails(&mut w, "docker network create --subnet 10.99.14.0/31 n1", 1, "", "Error response from daemon: failed to allocate gateway (): No available addresses on this pool\n");
    fails(&mut w, "docker network create --subnet 10.99.15.1/32 n1", 1, "", "Error response from daemon: failed to allocate gateway (): No available addresses on this pool\n");
    fails(&mut w, "docker network create --ipv6 n1", 1, "", "Error response from daemon: could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network\n");
    ok(
        &mut w,
        "docker network create -o com.docker.network.bridge.name=br-demo n1",
    );
    let n1 = net_id_of(&mut w, "n1");
    let out = sh(
        &mut w,
        "docker network create -o com.docker.network.bridge.name=br-demo x1",
    );
    let re = out
        .stderr
        .strip_prefix("Error response from daemon: cannot create network ")
        .expect("the bridge driver's conflict");
    assert!(
        re.ends_with(&format!(
            " (br-demo): conflicts with network {n1} (br-demo): networks have same bridge name\n"
        )),
        "{out:?}"
    );
    assert_eq!(
        re.split(' ').next().map(str::len),
        Some(64),
        "the new network's id: {out:?}"
    );
    // Accepted on 20.10 (refused from v25): a range bigger than its subnet.
    ok(
        &mut w,
        "docker network create --subnet 10.99.45.0/24 --ip-range 10.99.45.0/23 x1",
    );
    assert_eq!(
        ok(
            &mut w,
            "docker network inspect -f '{{json .IPAM.Config}}' x1"
        ),
        "[{\"Subnet\":\"10.99.45.0/24\",\"IPRange\":\"10.99.45.0/23\"}]\n"
    );
    ok(
        &mut w,
        &format!("{RUN} c1 --network x1 oracle/busybox sleep 3600"),
    );
    assert_eq!(
        ok(
            &mut w,
            "docker inspect -f '{{.NetworkSettings.Networks.x1.IPAddress}}' c1"
        ),
        "10.99.45.2\n"
    );
}

/// `ipam/subnet-default-gateway`, `ipam/ip-range-without-gateway`,
/// `ipam/ip-range-equals-subnet`, `ipam/aux-address-skipped`, `ipam/subnet-host-bits-set`,
/// `ipam/ip-is-gateway`, `ipam/ip-is-network-or-broadcast`, `ipam/slash-30-one-container`.
#[test]
fn ipam_as_20_10_reports_and_allocates_it() {
    let mut w = linux("V20_10");
    ok(&mut w, "docker network create --subnet 10.99.1.0/24 n1");
    assert_eq!(
        ok(
            &mut w,
            "docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' n1"
        ),
        "10.99.1.0/24 \n"
    );
    ok(
        &mut w,
        "docker network create --subnet 10.99.3.0/24 --ip-range 10.99.3.128/25 n3",
    );
    assert_eq!(
        ok(
            &mut w,
            "docker network inspect -f '{{json .IPAM.Config}}' n3"
        ),
        "[{\"Subnet\":\"10.99.3.0/24\",\"IPRange\":\"10.99.3.128/25\"}]\n"
    );
    ok(
        &mut w,
        &format!("{RUN} c1 --network n3 oracle/busybox sleep 3600"),
    );
    ok(
        &mut w,
        &format!("{RUN} c2 --network n3 oracle/busybox sleep 3600"),
    );
    assert_eq!(
        ok(&mut w, "docker inspect -f '{{.Name}} {{.NetworkSettings.Networks.n3.IPAddress}} {{.NetworkSettings.Networks.n3.Gateway}}' c1 c2"),
        "/c1 10.99.3.129 10.99.3.128\n/c2 10.99.3.130 10.99.3.128\n"
    );
    ok(
        &mut w,
        "docker network create --subnet 10.99.5.0/24 --ip-range 10.99.5.0/24 n5",
    );
    ok(
        &mut w,
        &format!("{RUN} c5 --network n5 oracle/busybox sleep 3600"),
    );
    assert_eq!(ok(&mut w, "docker inspect -f '{{.NetworkSettings.Networks.n5.IPAddress}} {{.NetworkSettings.Networks.n5.Gateway}}' c5"), "10.99.5.2 10.99.5.1\n");
    ok(&mut w, "docker network create --subnet 10.99.6.0/24 --aux-address host1=10.99.6.2 --aux-address host2=10.99.6.3 n6");
    assert_eq!(ok(&mut w, "docker network inspect -f '{{json .IPAM.Config}}' n6"), "[{\"Subnet\":\"10.99.6.0/24\",\"AuxiliaryAddresses\":{\"host1\":\"10.99.6.2\",\"host2\":\"10.99.6.3\"}}]\n");
    ok(
        &mut w,
        &format!("{RUN} c6 --network n6 oracle/busybox sleep 3600"),
    );
    assert_eq!(
        ok(
            &mut w,
            "docker inspect -f '{{.NetworkSettings.Networks.n6.IPAddress}}' c6"
        ),
        "10.99.6.4\n"
    );
    ok(&mut w, "docker network create --subnet 10.99.16.5/24 n16");
    assert_eq!(
        ok(
            &mut w,
            "docker network inspect -f '{{json .IPAM.Config}}' n16"
        ),
        "[{\"Subnet\":\"10.99.16.5/24\"}]\n"
    );
    ok(&mut w, "docker network create --subnet 10.99.18.0/24 n18");
    for (i, ip) in ["10.99.18.1", "10.99.18.0", "10.99.18.255"]
        .iter()
        .enumerate()
    {
        let out = sh(
            &mut w,
            &format!("{RUN} x{i} --network n18 --ip {ip} oracle/busybox sleep 3600"),
        );
        assert_eq!(
            (out.exit_code, out.stderr.as_str()),
            (
                125,
                "docker: Error response from daemon: Address already in use.\n"
            ),
            "{ip}"
        );
    }
    let n30 = {
        ok(&mut w, "docker network create --subnet 10.99.13.0/30 n30");
        net_id_of(&mut w, "n30")
    };
    ok(
        &mut w,
        &format!("{RUN} d1 --network n30 oracle/busybox sleep 3600"),
    );
    let out = sh(
        &mut w,
        &format!("{RUN} d2 --network n30 oracle/busybox sleep 3600"),
    );
    let d2 = id_of(&mut w, "d2");
    assert_eq!(
        (out.exit_code, out.stdout, out.stderr),
        (125, format!("{d2}\n"), format!("docker: Error response from daemon: no available IPv4 addresses on this network's address pools: n30 ({n30}).\n"))
    );
}

/// `errors/container-name-rules`, `errors/container-name-in-use`, `errors/run-two-networks`,
/// `errors/run-host-with-mac-address`, `errors/bad-ip-flag`, `errors/bad-port-specs` (#15),
/// `errors/run-host-with-link` (#5), `errors/run-network-alias-on-named-default-bridge` (#7),
/// `container-mode/*-refused`: refused before the container exists, with the CLI's help line.
#[test]
fn run_refusals_before_create_carry_the_help_line() {
    let mut w = linux("V20_10");
    let help = "\nSee 'docker run --help'.\n";
    for name in ["a", "-bad", "'x y'"] {
        let shown = name.trim_matches('\'');
        fails(&mut w, &format!("{RUN} {name} oracle/busybox sleep 3600"), 125, "", &format!("docker: Error response from daemon: Invalid container name ({shown}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed.{help}"));
    }
    ok(&mut w, &format!("{RUN} c1 oracle/busybox sleep 3600"));
    let c1 = id_of(&mut w, "c1");
    fails(&mut w, &format!("{RUN} c1 oracle/busybox sleep 3600"), 125, "", &format!("docker: Error response from daemon: Conflict. The container name \"/c1\" is already in use by container \"{c1}\". You have to remove (or rename) that container to be able to reuse that name.{help}"));
    ok(&mut w, "docker network create n1");
    ok(&mut w, "docker network create n2");
    fails(&mut w, &format!("{RUN} c2 --network n1 --network n2 oracle/busybox sleep 3600"), 125, "", &format!("docker: Error response from daemon: Container cannot be connected to network endpoints: n1, n2.{help}"));
    fails(&mut w, &format!("{RUN} c2 --network host --mac-address 02:42:ac:11:00:99 oracle/busybox sleep 3600"), 125, "", &format!("docker: Error response from daemon: conflicting options: mac-address and the network mode.{help}"));
    fails(
        &mut w,
        &format!("{RUN} c2 --network n1 --ip bogus oracle/busybox sleep 3600"),
        125,
        "",
        &format!("docker: Error response from daemon: invalid IPv4 address: bogus.{help}"),
    );
    for (spec, text) in [
        ("8080:80/icmp", "Invalid proto: icmp"),
        ("8080:abc", "Invalid containerPort: abc"),
        ("abc:80", "Invalid hostPort: abc"),
        (
            "8080-8081:80-82",
            "Invalid ranges specified for container and host Ports: 80-82 and 8080-8081",
        ),
        ("8080:", "No port specified: 8080:<empty>"),
        ("70000:80", "Invalid hostPort: 70000"),
        ("1.2.3:8080:80", "Invalid ip address: 1.2.3"),
        ("published=8080", "No port specified: 8080:/tcp<empty>"),
    ] {
        fails(
            &mut w,
            &format!("{RUN} c3 -p {spec} oracle/busybox sleep 3600"),
            125,
            "",
            &format!("docker: {text}.{help}"),
        );
    }
    fails(
        &mut w,
        &format!("{RUN} c2 --network host --link c1:db oracle/busybox sleep 3600"),
        125,
        "",
        &format!("docker: links are only supported for user-defined networks.{help}"),
    );
    for net in ["bridge", "host", "none"] {
        fails(&mut w, &format!("{RUN} c2 --network {net} --network-alias db oracle/busybox sleep 3600"), 125, "", &format!("docker: network-scoped aliases are only supported for user-defined networks.{help}"));
    }
    for (flag, what) in [
        (
            "-p 8080:80",
            "port publishing and the container type network mode",
        ),
        (
            "--expose 80",
            "port exposing and the container type network mode",
        ),
        ("--hostname h2", "hostname and the network mode"),
        ("--dns 198.18.0.1", "dns and the network mode"),
        (
            "--mac-address 02:42:ac:11:00:99",
            "mac-address and the network mode",
        ),
        (
            "--add-host db:172.17.0.99",
            "custom host-to-IP mapping and the network mode",
        ),
    ] {
        fails(
            &mut w,
            &format!("{RUN} c2 --network container:c1 {flag} oracle/busybox sleep 3600"),
            125,
            "",
            &format!("docker: Error response from daemon: conflicting options: {what}.{help}"),
        );
    }
    fails(
        &mut w,
        &format!("{RUN} c2 --network container:c1 --link c3:db oracle/busybox sleep 3600"),
        125,
        "",
        &format!("docker: links are only supported for user-defined networks.{help}"),
    );
}

/// `errors/run-unknown-network`, `ipam/ip-on-named-default-bridge` (#6),
/// `ipam/ip-without-user-subnet`, `errors/run-ip-on-host-network`,
/// `errors/run-network-container-self`, `container-mode/target-stopped`: the container
/// exists, so a detached run printed its id before the start failed, and no help line.
#[test]
fn run_refusals_at_start_follow_the_printed_id() {
    let mut w = linux("V20_10");
    let started = |w: &mut World, line: &str, name: &str, text: &str| {
        let out = sh(w, line);
        let id = id_of(w, name);
        assert_eq!(
            (out.exit_code, out.stdout, out.stderr),
            (
                125,
                format!("{id}\n"),
                format!("docker: Error response from daemon: {text}.\n")
            ),
            "{line}"
        );
    };
    started(
        &mut w,
        &format!("{RUN} c1 --network nosuch oracle/busybox sleep 3600"),
        "c1",
        "network nosuch not found",
    );
    started(
        &mut w,
        &format!("{RUN} c2 --network bridge --ip 172.17.0.10 oracle/busybox sleep 3600"),
        "c2",
        "user specified IP address is supported on user defined networks only",
    );
    started(
        &mut w,
        &format!("{RUN} c3 --network host --ip 172.17.0.50 oracle/busybox sleep 3600"),
        "c3",
        "user specified IP address is supported on user defined networks only",
    );
    ok(&mut w, "docker network create n1");
    started(&mut w, &format!("{RUN} c4 --network n1 --ip 172.18.0.10 oracle/busybox sleep 3600"), "c4", "user specified IP address is supported only when connecting to networks with user configured subnets");
    started(
        &mut w,
        &format!("{RUN} c5 --network container:c5 oracle/busybox sleep 3600"),
        "c5",
        "cannot join own network",
    );
    ok(&mut w, "docker create --name c6 oracle/busybox sleep 3600");
    let c6 = id_of(&mut w, "c6");
    started(
        &mut w,
        &format!("{RUN} c7 --network container:c6 oracle/busybox sleep 3600"),
        "c7",
        &format!("cannot join network of a non running container: {c6}"),
    );
    // Without --network, the 20.10 CLI drops --ip and --network-alias (#6, #7).
    ok(
        &mut w,
        &format!("{RUN} c8 --ip 172.17.0.10 --network-alias db oracle/busybox sleep 3600"),
    );
    assert_eq!(ok(&mut w, "docker inspect -f '{{.NetworkSettings.IPAddress}} {{json .NetworkSettings.Networks.bridge.IPAMConfig}} {{json .NetworkSettings.Networks.bridge.Aliases}}' c8"), "172.17.0.2 null null\n");
}

/// `errors/rm-unknown`, `errors/remove-network-twice-in-one-command`, `errors/rm-predefined`,
/// `errors/rm-in-use`, `errors/rm-in-use-by-stopped-container` (#11),
/// `errors/inspect-unknown`, `user-bridge/prune`.
#[test]
fn network_rm_inspect_and_prune_of_20_10() {
    let mut w = linux("V20_10");
    fails(
        &mut w,
        "docker network rm nosuch",
        1,
        "",
        "Error: No such network: nosuch\n",
    );
    fails(
        &mut w,
        "docker network rm bridge",
        1,
        "",
        "Error response from daemon: bridge is a pre-defined network and cannot be removed\n",
    );
    fails(
        &mut w,
        "docker network inspect nosuch",
        1,
        "[]\n",
        "Error: No such network: nosuch\n",
    );
    ok(&mut w, "docker network create n1");
    fails(
        &mut w,
        "docker network rm n1 n1",
        1,
        "n1\n",
        "Error: No such network: n1\n",
    );
    ok(&mut w, "docker network create n1");
    let n1 = net_id_of(&mut w, "n1");
    ok(
        &mut w,
        &format!("{RUN} c1 --network n1 oracle/busybox sleep 3600"),
    );
    fails(&mut w, "docker network rm n1", 1, "", &format!("Error response from daemon: error while removing network: network n1 id {n1} has active endpoints\n"));
    assert_eq!(ok(&mut w, "docker stop -t 0 c1"), "c1\n");
    assert_eq!(ok(&mut w, "docker network rm n1"), "n1\n");
    ok(&mut w, "docker network create n1");
    ok(&mut w, "docker network create n2");
    ok(
        &mut w,
        &format!("{RUN} c2 --network n2 oracle/busybox sleep 3600"),
    );
    assert_eq!(
        ok(&mut w, "docker network prune -f"),
        "Deleted Networks:\nn1\n\n"
    );
    assert_eq!(
        ok(&mut w, "docker network ls --format '{{.Name}}'"),
        "bridge\nhost\nn2\nnone\n"
    );
    assert_eq!(
        ok(
            &mut w,
            "docker network ls --filter driver=bridge --format '{{.Name}} {{.Driver}} {{.Scope}}'"
        ),
        "bridge bridge local\nn2 bridge local\n"
    );
}

/// `errors/connect-*`, `errors/disconnect-*`, `none/connect-to-user-network`,
/// `container-mode/connect-refused` (#3, #4 and moby's shared-namespace and none rules).
#[test]
fn connect_and_disconnect_refusals_of_20_10() {
    let mut w = linux("V20_10");
    ok(&mut w, "docker network create n1");
    ok(&mut w, &format!("{RUN} c1 oracle/busybox sleep 3600"));
    ok(
        &mut w,
        &format!("{RUN} h1 --network host oracle/busybox sleep 3600"),
    );
    ok(
        &mut w,
        &format!("{RUN} z1 --network none oracle/busybox sleep 3600"),
    );
    ok(
        &mut w,
        &format!("{RUN} s1 --network container:c1 oracle/busybox sleep 3600"),
    );
    let d = "Error response from daemon: ";
    fails(
        &mut w,
        "docker network connect bridge c1",
        1,
        "",
        &format!("{d}endpoint with name c1 already exists in network bridge\n"),
    );
    fails(
        &mut w,
        "docker network connect nosuch c1",
        1,
        "",
        &format!("{d}network nosuch not found\n"),
    );
    fails(
        &mut w,
        "docker network connect n1 nosuch",
        1,
        "",
        &format!("{d}No such container: nosuch\n"),
    );
    fails(
        &mut w,
        "docker network connect host c1",
        1,
        "",
        &format!(
            "{d}container cannot be disconnected from host network or connected to host network\n"
        ),
    );
    fails(
        &mut w,
        "docker network disconnect host h1",
        1,
        "",
        &format!(
            "{d}container cannot be disconnected from host network or connected to host network\n"
        ),
    );
    fails(&mut w, "docker network connect none c1", 1, "", &format!("{d}container cannot be connected to multiple networks with one of the networks in private (none) mode\n"));
    fails(&mut w, "docker network connect n1 z1", 1, "", &format!("{d}container cannot be connected to multiple networks with one of the networks in private (none) mode\n"));
    let shared = "container sharing network namespace with another container or host cannot be connected to any other network";
    fails(
        &mut w,
        "docker network connect n1 h1",
        1,
        "",
        &format!("{d}{shared}\n"),
    );
    fails(
        &mut w,
        "docker network connect n1 s1",
        1,
        "",
        &format!("{d}{shared}\n"),
    );
    fails(
        &mut w,
        "docker network connect --alias db bridge c1",
        1,
        "",
        &format!("{d}endpoint with name c1 already exists in network bridge\n"),
    );
    ok(
        &mut w,
        &format!("{RUN} c2 --network n1 oracle/busybox sleep 3600"),
    );
    fails(
        &mut w,
        "docker network connect --alias db bridge c2",
        1,
        "",
        &format!(
            "{d}network-scoped alias is supported only for containers in user defined networks\n"
        ),
    );
    fails(
        &mut w,
        "docker network connect --ip 172.17.0.50 bridge c2",
        1,
        "",
        &format!("{d}user specified IP address is supported on user defined networks only\n"),
    );
    let c1 = id_of(&mut w, "c1");
    fails(
        &mut w,
        "docker network disconnect n1 c1",
        1,
        "",
        &format!("{d}container {c1} is not connected to network n1\n"),
    );
    ok(&mut w, "docker stop -t 0 c1");
    fails(
        &mut w,
        "docker network disconnect n1 c1",
        1,
        "",
        &format!("{d}container {c1} is not connected to the network n1\n"),
    );
}

/// `user-bridge/container-view` and `connect/alias-on-connect` (20.10 adds the short id to
/// the aliases), `default-bridge/first-container-address`, `container-mode/by-id`,
/// `none/inspect`, `host/inspect`, `errors/port-already-allocated` (`docker ps --format`).
#[test]
fn inspect_and_ps_as_20_10_shows_them() {
    let mut w = linux("V20_10");
    ok(&mut w, "docker network create n1");
    ok(
        &mut w,
        &format!("{RUN} c1 --network n1 oracle/busybox sleep 3600"),
    );
    let c1 = id_of(&mut w, "c1");
    assert_eq!(
        ok(&mut w, "docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}}/{{$v.IPPrefixLen}} gw {{$v.Gateway}} mac {{$v.MacAddress}} aliases {{$v.Aliases}}{{end}}' c1"),
        format!("n1 172.18.0.2/16 gw 172.18.0.1 mac 02:42:ac:12:00:02 aliases [{}]\n", &c1[..12])
    );
    assert_eq!(
        ok(
            &mut w,
            "docker inspect -f '{{.Config.Hostname}} {{.State.Status}}' c1"
        ),
        format!("{} running\n", &c1[..12])
    );
    ok(&mut w, &format!("{RUN} b1 oracle/busybox sleep 3600"));
    assert_eq!(ok(&mut w, "docker inspect -f '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}}' b1"), "172.17.0.2 172.17.0.1 02:42:ac:11:00:02\n");
    let b1 = id_of(&mut w, "b1");
    ok(
        &mut w,
        &format!(
            "{RUN} s1 --network container:{} oracle/busybox sleep 3600",
            &b1[..12]
        ),
    );
    assert_eq!(
        ok(&mut w, "docker inspect -f '{{.HostConfig.NetworkMode}}' s1"),
        format!("container:{b1}\n")
    );
    assert_eq!(ok(&mut w, "docker inspect -f '[{{.NetworkSettings.IPAddress}}] {{json .NetworkSettings.Networks}}' s1"), "[] {}\n");
    ok(
        &mut w,
        &format!("{RUN} z1 --network none oracle/busybox sleep 3600"),
    );
    assert_eq!(ok(&mut w, "docker network inspect -f '{{range .Containers}}{{.Name}} [{{.IPv4Address}}] [{{.MacAddress}}]{{end}}' none"), "z1 [] []\n");
    assert_eq!(ok(&mut w, "docker inspect -f '{{.HostConfig.NetworkMode}} [{{.NetworkSettings.IPAddress}}] {{range $k, $v := .NetworkSettings.Networks}}{{$k}}=[{{$v.IPAddress}}] [{{$v.MacAddress}}] {{end}}' z1"), "none [] none=[] [] \n");
    ok(&mut w, "docker create --name w2 oracle/busybox sleep 3600");
    assert_eq!(ok(&mut w, "docker ps -a --format '{{.Names}} {{.Status}}'"), "w2 Created\nz1 Up Less than a second\ns1 Up Less than a second\nb1 Up Less than a second\nc1 Up Less than a second\n");
    assert_eq!(
        ok(
            &mut w,
            "docker ps --filter label=nosuch --format '{{.Names}}'"
        ),
        ""
    );
}

/// `user-bridge/first-automatic-subnet`: `docker network inspect` as 20.10 prints it (no
/// `EnableIPv4`, `IPAM.Options` `{}` for a network the CLI created).
#[test]
fn network_inspect_json_of_20_10() {
    let mut w = linux("V20_10");
    let id = ok(&mut w, "docker network create n1").trim().to_string();
    let out = ok(&mut w, "docker network inspect n1");
    let created = out
        .lines()
        .find(|l| l.contains("\"Created\""))
        .expect("a Created line");
    let expected = format!(
        "[\n    {{\n        \"Name\": \"n1\",\n        \"Id\": \"{id}\",\n{created}\n        \"Scope\": \"local\",\n        \"Driver\": \"bridge\",\n        \"EnableIPv6\": false,\n        \"IPAM\": {{\n            \"Driver\": \"default\",\n            \"Options\": {{}},\n            \"Config\": [\n                {{\n                    \"Subnet\": \"172.18.0.0/16\",\n                    \"Gateway\": \"172.18.0.1\"\n                }}\n            ]\n        }},\n        \"Internal\": false,\n        \"Attachable\": false,\n        \"Ingress\": false,\n        \"ConfigFrom\": {{\n            \"Network\": \"\"\n        }},\n        \"ConfigOnly\": false,\n        \"Containers\": {{}},\n        \"Options\": {{}},\n        \"Labels\": {{}}\n    }}\n]\n"
    );
    assert_eq!(out, expected);
}

/// The newer releases' words (reference linux-drivers.md sections 2.2, 2.3 and 10): the
/// current CLI's run error form, the v25+ endpoint-settings prefix at create time, the
/// v28.1 active-endpoints text, the v25+ host-network texts, `EnableIPv4` from v28.
#[test]
fn newer_releases_word_them_as_the_reference_says() {
    let mut w = linux("V29");
    ok(&mut w, "docker network create n1");
    fails(&mut w, &format!("{RUN} c1 --network bridge --ip 172.17.0.10 oracle/busybox sleep 3600"), 125, "", "docker: Error response from daemon: invalid endpoint settings:\nuser specified IP address is supported on user defined networks only\n\nRun 'docker run --help' for more information\n");
    ok(
        &mut w,
        &format!("{RUN} c1 --network n1 oracle/busybox sleep 3600"),
    );
    let c1 = id_of(&mut w, "c1");
    fails(&mut w, "docker network rm n1", 1, "", &format!("Error response from daemon: error while removing network: network n1 has active endpoints (name:\"c1\" id:\"{}\")\n", &c1[..12]));
    fails(&mut w, "docker network connect host c1", 1, "", "Error response from daemon: cannot connect container to host network - container must be created in host network mode\n");
    fails(
        &mut w,
        "docker network inspect nosuch",
        1,
        "[]\n",
        "Error response from daemon: network nosuch not found\n",
    );
    assert_eq!(
        ok(&mut w, "docker network inspect -f '{{.EnableIPv4}}' n1"),
        "true\n"
    );
    let mut w = linux("V27");
    ok(&mut w, "docker network create n1");
    fails(&mut w, "docker network create --subnet 10.99.16.5/24 x1", 1, "", "Error response from daemon: invalid network config:\ninvalid subnet 10.99.16.5/24: it should be 10.99.16.0/24\n");
    fails(&mut w, "docker network create --subnet 172.18.0.0/24 x1", 1, "", "Error response from daemon: invalid pool request: Pool overlaps with other one on this address space\n");
    assert!(!ok(&mut w, "docker network inspect n1").contains("EnableIPv4"));
    // Accepted by 20.10 (`errors/ip-range-bigger-than-subnet`), refused from v25.
    fails(
        &mut w,
        "docker network create --subnet 10.99.45.0/24 --ip-range 10.99.45.0/23 x1",
        1,
        "",
        "Error response from daemon: invalid network config:\ninvalid ip-range 10.99.45.0/23: CIDR block is bigger than its parent subnet 10.99.45.0/24\n",
    );
    fails(
        &mut w,
        "docker network create --subnet 10.99.45.0/24 --ip-range 10.99.45.5/25 x1",
        1,
        "",
        "Error response from daemon: invalid network config:\ninvalid ip-range 10.99.45.5/25: it should be 10.99.45.0/25\n",
    );
}

/// `connect/disconnect-first-network`, `connect/internal-first-then-external`,
/// `connect/default-bridge-container-joins-user-network`, `isolation/internal-network`
/// (#1): where the default route goes, and the interface counter.
#[test]
fn the_default_route_follows_libnetworks_order() {
    let mut w = linux("V20_10");
    let default_route = |w: &World, name: &str| -> Option<String> {
        let c = w.hosts[0].daemon.container(name)?;
        let stack = w.engine.device(c.sandbox?)?.as_stack()?;
        stack
            .config
            .routes()
            .iter()
            .find(|r| r.dest.prefix() == 0)
            .map(|r| r.via.map(|v| v.to_string()).unwrap_or_default())
    };
    ok(&mut w, "docker network create --internal i1");
    ok(&mut w, "docker network create n1");
    ok(
        &mut w,
        &format!("{RUN} c1 --network i1 oracle/busybox sleep 3600"),
    );
    assert_eq!(
        default_route(&w, "c1").as_deref(),
        Some("172.18.0.1"),
        "an internal network keeps its default route on 20.10"
    );
    ok(&mut w, "docker network connect n1 c1");
    assert_eq!(default_route(&w, "c1").as_deref(), Some("172.19.0.1"));
    ok(
        &mut w,
        &format!("{RUN} c2 --network n1 oracle/busybox sleep 3600"),
    );
    ok(&mut w, "docker network connect bridge c2");
    assert_eq!(
        default_route(&w, "c2").as_deref(),
        Some("172.17.0.1"),
        "bridge sorts before n1"
    );
    ok(&mut w, "docker network disconnect bridge c2");
    assert_eq!(default_route(&w, "c2").as_deref(), Some("172.19.0.1"));
    ok(&mut w, "docker network disconnect n1 c2");
    assert_eq!(default_route(&w, "c2"), None);
    ok(&mut w, "docker network connect n1 c2");
    // c2 had eth0 (n1) and eth1 (bridge): joining n1 again gives eth2.
    let has_iface = |w: &World, name: &str, ifname: &str| {
        let c = w.hosts[0].daemon.container(name).expect("the container");
        let stack = w
            .engine
            .device(c.sandbox.expect("running"))
            .and_then(|d| d.as_stack());
        stack.is_some_and(|s| s.iface_by_name(ifname).is_some())
    };
    assert!(has_iface(&w, "c2", "eth2") && !has_iface(&w, "c2", "eth0"));
    assert_eq!(default_route(&w, "c2").as_deref(), Some("172.19.0.1"));
    let mut v29 = linux("V29");
    ok(&mut v29, "docker network create --internal i1");
    ok(
        &mut v29,
        &format!("{RUN} c1 --network i1 oracle/busybox sleep 3600"),
    );
    assert_eq!(
        default_route(&v29, "c1"),
        None,
        "no default route on an internal network from v25"
    );
}

/// From v25 `docker run --network n1 --network n2` joins both (eth0 on n1, eth1 on n2);
/// 20.10 refuses it (`errors/run-two-networks`, in `run_refusals_before_create_carry_the_help_line`).
#[test]
fn newer_releases_join_every_network_given_to_run() {
    let mut w = linux("V27");
    ok(&mut w, "docker network create n1");
    ok(&mut w, "docker network create n2");
    ok(
        &mut w,
        &format!("{RUN} c1 --network n1 --network n2 oracle/busybox sleep 3600"),
    );
    assert_eq!(
        ok(&mut w, "docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}' c1"),
        "n1=172.18.0.2 n2=172.19.0.2 \n"
    );
}

/// `errors/bridge-name-docker0` (contradiction #10): 20.10 lets a user network take docker0
/// over; the default bridge then has no network behind it.
#[test]
fn a_user_network_takes_docker0_over_on_20_10() {
    let mut w = linux("V20_10");
    let bridge = net_id_of(&mut w, "bridge");
    ok(
        &mut w,
        "docker network create -o com.docker.network.bridge.name=docker0 x1",
    );
    assert_eq!(
        ok(
            &mut w,
            "docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' x1"
        ),
        "172.18.0.0/16 172.18.0.1\n"
    );
    ok(
        &mut w,
        &format!("{RUN} c1 --network x1 oracle/busybox sleep 3600"),
    );
    let out = sh(&mut w, &format!("{RUN} c2 oracle/busybox sleep 3600"));
    let c2 = id_of(&mut w, "c2");
    assert_eq!(
        (out.exit_code, out.stdout, out.stderr),
        (125, format!("{c2}\n"), format!("docker: Error response from daemon: failed to create endpoint c2 on network bridge: network {bridge} does not exist.\n"))
    );
    let mut w = linux("V29");
    let out = sh(
        &mut w,
        "docker network create -o com.docker.network.bridge.name=docker0 x1",
    );
    assert_eq!(out.exit_code, 1, "{out:?}");
    assert!(
        out.stderr.contains("networks have same bridge name"),
        "{out:?}"
    );
}

/// A Linux bridge holds 1,023 ports (`BR_MAX_PORTS` 1,024, port 0 unused): the 1,024th
/// container on one user network fails in `br_add_if` with EXFULL, in docker's words, and
/// stays created. Recorded on the oracle (docker 20.10.24; the bridge filled with 1,022 veths
/// of our own and one container): `docker run` exits 125 with
/// `docker: Error response from daemon: failed to create endpoint c2 on network orcfull:
/// adding interface vethd189708 to bridge br-b11f5c8ba8c7 failed: exchange full.`
/// and `docker start c2` then exits 1 with the same text (no final dot) and
/// `Error: failed to start containers: c2`.
#[test]
fn the_1024th_container_on_one_bridge_is_refused_with_exchange_full() {
    let mut w = linux("V20_10");
    ok(&mut w, "docker network create n1");
    for i in 0..1023 {
        ok(
            &mut w,
            &format!("docker run -d --network n1 --name c{i} oracle/busybox"),
        );
    }
    let out = sh(
        &mut w,
        "docker run -d --network n1 --name c1023 oracle/busybox",
    );
    let bridge = format!("br-{}", &net_id_of(&mut w, "n1")[..12]);
    let id = id_of(&mut w, "c1023");
    assert_eq!((out.exit_code, out.stdout), (125, format!("{id}\n")));
    let (head, tail) = (
        "docker: Error response from daemon: failed to create endpoint c1023 on network n1: adding interface veth",
        format!(" to bridge {bridge} failed: exchange full.\n"),
    );
    let veth = out
        .stderr
        .strip_prefix(head)
        .and_then(|r| r.strip_suffix(&tail))
        .unwrap_or_else(|| panic!("{:?}", out.stderr));
    assert!(
        veth.len() == 7 && veth.chars().all(|c| c.is_ascii_hexdigit()),
        "{veth}"
    );
    let status = ok(&mut w, "docker ps -a -f name=c1023 --format {{.Status}}");
    assert_eq!(status, "Created\n");
    // Room again once one container has left the bridge.
    ok(&mut w, "docker rm -f c0");
    ok(&mut w, "docker start c1023");
}

/// `--hostname ""` is no hostname: the container's is its short id, in `inspect` as in the
/// container (recorded on the oracle, 20.10.24: `docker run -d --name c1 --hostname ""
/// oracle/busybox sleep 600`, then `.Config.Hostname` and `hostname` both print the short id).
#[test]
fn an_empty_hostname_is_the_short_id() {
    let mut w = linux("V20_10");
    ok(
        &mut w,
        "docker run -d --name c1 --hostname \"\" oracle/busybox sleep 600",
    );
    let short = format!("{}\n", &id_of(&mut w, "c1")[..12]);
    assert_eq!(
        ok(&mut w, "docker inspect -f {{.Config.Hostname}} c1"),
        short
    );
    assert_eq!(ok(&mut w, "docker exec c1 hostname"), short);
}
