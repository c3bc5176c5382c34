//! `cargo bench`: the bridge-echo workload at several sizes, one line each, in the same
//! format as `hnsim bench bridge-echo`, then the set-up of one full nat network, which is
//! floods: each container's gratuitous ARP reaches every port of the vSwitch (4,000
//! containers: about 8 million flooded copies). Targets and measured figures are in README.md.

use std::time::Instant;

fn main() {
    // `cargo bench -- --quick` (or any argument) runs only the smallest size.
    let quick = std::env::args().skip(1).any(|a| a == "--quick");
    let sizes: &[u32] = if quick { &[64] } else { &[64, 256, 1024] };
    for &n in sizes {
        let mut workload =
            sim_core::sim::bench::setup(n, 1000).expect("the benchmark world builds");
        let start = Instant::now();
        let r = workload.run();
        let wall = start.elapsed().as_secs_f64().max(1e-9);
        assert_eq!(r.echo_replies, r.echo_requests, "every echo must come back");
        println!(
            "hosts={n} echo_requests={} events={} wall_s={wall:.3} events_per_s={:.0} echoes_per_s={:.0}",
            r.echo_requests,
            r.events,
            r.events as f64 / wall,
            r.echo_replies as f64 / wall
        );
    }
    // Set-up only: 4,000 `docker run`s on one host, each announcing its address to all
    // the containers before it.
    let containers = if quick { 1_000 } else { 4_000 };
    let start = Instant::now();
    let workload = sim_core::sim::bench::setup(containers, 1).expect("the flood world builds");
    let setup = start.elapsed().as_secs_f64();
    drop(workload);
    println!("flood containers={containers} setup_s={setup:.3}");
}
