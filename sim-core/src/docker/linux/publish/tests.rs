//! The order of a container's bindings and the port allocator, against what 20.10 did
//! (`tests/oracle/fixtures/publish.json`).

use super::*;
use crate::docker::ports::parse_publish;

fn bindings(specs: &[&str]) -> Vec<PortBinding> {
    specs
        .iter()
        .flat_map(|s| parse_publish(s).expect("a valid -p").bindings())
        .collect()
}

fn order(specs: &[&str]) -> Vec<(u16, Option<u16>, String)> {
    sorted_bindings(&bindings(specs))
        .into_iter()
        .map(|b| (b.container, b.host.map(|h| h.0), b.proto))
        .collect()
}

#[test]
fn bindings_are_handled_in_go_connections_order() {
    // publish/range-pairwise: the nat rules come 8082, 8081, 8080.
    assert_eq!(
        order(&["8080-8082:80-82"]),
        [
            (82, Some(8082), "tcp".into()),
            (81, Some(8081), "tcp".into()),
            (80, Some(8080), "tcp".into())
        ]
    );
    // publish/same-container-port-twice: `docker port` lists 8081 before 8080.
    assert_eq!(
        order(&["8080:80", "8081:80"]),
        [
            (80, Some(8081), "tcp".into()),
            (80, Some(8080), "tcp".into())
        ]
    );
    // publish/tcp-and-udp-same-port: tcp first, whichever way round they were given.
    let both = [
        (53, Some(5353), "tcp".into()),
        (53, Some(5353), "udp".into()),
    ];
    assert_eq!(order(&["5353:53/udp", "5353:53/tcp"]), both);
    assert_eq!(order(&["5353:53/tcp", "5353:53/udp"]), both);
    // publish/publish-all-with-expose: with no host ports, the larger container port first.
    assert_eq!(
        order(&["80", "81"]),
        [(81, None, "tcp".into()), (80, None, "tcp".into())]
    );
}

const ANY: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
const TCP: u8 = wire::IPPROTO_TCP;

#[test]
fn the_allocator_hands_out_fixed_ranged_and_ephemeral_ports() {
    let mut a = PortAllocator::default();
    assert_eq!(a.request(ANY, TCP, (8080, 8080)), Ok(8080));
    assert_eq!(
        a.request(ANY, TCP, (8080, 8080)),
        Err("Bind for 0.0.0.0:8080 failed: port is already allocated".into())
    );
    // Another address, another protocol: separate maps (the proxy's bind decides then).
    let lo: IpAddr = "127.0.0.1".parse().expect("an address");
    assert_eq!(a.request(lo, TCP, (8080, 8080)), Ok(8080));
    assert_eq!(a.request(ANY, wire::IPPROTO_UDP, (8080, 8080)), Ok(8080));
    // publish/dynamic-host-port: the ephemeral range from its start, one after another.
    assert_eq!(a.request(ANY, TCP, (0, 0)), Ok(32768));
    assert_eq!(a.request(ANY, TCP, (0, 0)), Ok(32769));
    // publish/host-range-one-container-port: the next free port of the range.
    assert_eq!(a.request(ANY, TCP, (9000, 9002)), Ok(9000));
    assert_eq!(a.request(ANY, TCP, (9000, 9002)), Ok(9001));
    // A released port is not handed out again before the range comes round.
    a.release(&[PortMap {
        proto: TCP,
        host_ip: ANY,
        host_port: 32768,
        container_port: 80,
    }]);
    assert_eq!(a.request(ANY, TCP, (0, 0)), Ok(32770));
    assert_eq!(a.request(ANY, TCP, (9000, 9002)), Ok(9002));
    // A range with no port left: moby's `ErrAllPortsAllocated`, as the oracle recorded
    // (errors/port-range-exhausted).
    assert_eq!(
        a.request(ANY, TCP, (9000, 9002)),
        Err("all ports are allocated".into())
    );
}

#[test]
fn a_port_held_by_another_socket_is_refused_in_each_releases_words() {
    let m = PortMap {
        proto: TCP,
        host_ip: ANY,
        host_port: 8080,
        container_port: 80,
    };
    let ctr = ("172.17.0.2".parse().expect("an address"), 80);
    assert_eq!(
        bind_refusal(DockerEngine::V20_10, true, &m, ctr),
        "Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address already in use"
    );
    assert_eq!(
        bind_refusal(DockerEngine::V28, true, &m, ctr),
        "failed to bind host port for 0.0.0.0:8080:172.17.0.2:80/tcp: address already in use"
    );
    assert_eq!(
        bind_refusal(DockerEngine::V29, true, &m, ctr),
        "failed to bind host port 0.0.0.0:8080/tcp: address already in use"
    );
    let lo: IpAddr = "127.0.0.1".parse().expect("an address");
    let v6 = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
    assert!(overlaps(ANY, lo) && overlaps(lo, ANY) && overlaps(lo, lo));
    assert!(!overlaps(lo, "127.0.0.2".parse().expect("an address")));
    assert!(!overlaps(ANY, v6), "docker-proxy's IPv6 socket is v6-only");
}
