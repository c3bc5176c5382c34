//! Set-up that scales (issue 12): how bridge-echo lays out many containers, that a large
//! spread set-up works end to end (every container answers its neighbour's echo), and that
//! HNS's endpoint index agrees with a scan of its endpoints after starts and removals. The
//! debug build these tests run in also checks every indexed lookup against a scan.

use crate::common::one_host_world;
use sim_core::control::engine::DockerEngine;
use sim_core::sim::bench::{self, Layout};

#[test]
fn layout_deals_containers_out_evenly_within_a_networks_limit() {
    assert_eq!(Layout::spread(10, 4).unwrap().per_host, [4, 3, 3]);
    assert_eq!(Layout::spread(8, 4093).unwrap().per_host, [8]);
    let big = Layout::spread(100_000, bench::WINDOWS_PER_HOST).unwrap();
    assert_eq!(big.per_host.len(), 25);
    assert!(big.per_host.iter().all(|c| *c == 4000));
    let linux = Layout::spread(100_000, bench::LINUX_PER_HOST).unwrap();
    assert_eq!(linux.per_host.len(), 98);
    assert!(linux.per_host.iter().all(|c| (1020..=1021).contains(c)));
    assert_eq!(linux.per_host.iter().sum::<u32>(), 100_000);
    assert_eq!(
        big.describe(false),
        "100000 containers on 25 hosts, 4000 on each, on its default nat network"
    );
    assert_eq!(
        linux.describe(true),
        "100000 containers on 98 hosts, 1020-1021 on each, on one user-defined bridge"
    );
    // A host needs a sender and an echoer.
    assert!(Layout::spread(5, 2).is_err());
    assert!(Layout::spread(1, 10).is_err());
}

/// Sets up `layout`, checks that progress was reported for every container, runs one echo
/// each and checks that every one came back.
fn every_echo_comes_back(layout: &Layout, linux: Option<DockerEngine>) {
    let n: u32 = layout.per_host.iter().sum();
    let mut last = 0;
    let mut w = bench::setup_with_progress(layout, 1, linux, &mut |i| {
        assert_eq!(i, last + 1, "progress counts each start once, in order");
        last = i;
    })
    .expect("the workload sets up");
    assert_eq!(last, n);
    let r = w.run();
    assert_eq!(r.echo_requests, u64::from(n));
    assert_eq!(r.echo_replies, r.echo_requests, "every container answers");
}

#[test]
fn five_thousand_windows_containers_over_ten_hosts_all_answer() {
    every_echo_comes_back(&Layout::spread(5000, 500).unwrap(), None);
}

#[test]
fn two_thousand_linux_containers_over_two_bridges_all_answer() {
    every_echo_comes_back(
        &Layout::spread(2000, bench::LINUX_PER_HOST).unwrap(),
        Some(DockerEngine::default()),
    );
}

#[test]
fn hns_endpoint_index_agrees_with_a_scan_after_starts_and_removals() {
    let mut world = one_host_world();
    for i in 0..40 {
        let r = world.docker("h1", &format!("docker run -d --name c{i} img"));
        assert!(r.error.is_none(), "{:?}", r.error);
    }
    for i in (0..40).step_by(3) {
        let r = world.docker("h1", &format!("docker rm -f c{i}"));
        assert!(r.error.is_none(), "{:?}", r.error);
    }
    for i in 40..50 {
        let r = world.docker("h1", &format!("docker run -d --name c{i} img"));
        assert!(r.error.is_none(), "{:?}", r.error);
    }
    let hns = world.hosts[0].hns().expect("a Windows host has HNS");
    assert_eq!(hns.endpoints.len(), 50 - 14);
    for e in &hns.endpoints {
        let found = hns.endpoint(&e.id).expect("every endpoint is found");
        assert!(std::ptr::eq(found, e), "{} found at the wrong place", e.id);
    }
    assert!(hns.endpoint("no-such-endpoint").is_none());
}
