//! The oracle's environment as a hnsim scenario (`tests/oracle/README.md`, "The outside
//! host"): one Linux host `vm` (the recording machine's host name) with Docker 20.10, `eth0` 192.0.2.2/24 on a LAN (default
//! route via 192.0.2.1), `orc-out0` 198.18.0.254/24 wired to the outside host `outside`
//! (198.18.0.1/24, busybox httpd on 8080: `/` says `outside-ok`, `/cgi-bin/ip` the client's
//! address), the daemon's `--dns 172.17.0.1` with the shared set-up's DNS sink there (a UDP
//! server on the host at 172.17.0.1:53 that answers NXDOMAIN to every query), the host's
//! resolv.conf `nameserver 10.255.255.53`, and the image `oracle/busybox`.
//!
//! Where the schema cannot say what the real set-up had: the outside host has a default route
//! through 198.18.0.254 instead of routes to the three Docker ranges only (the recorder never
//! sends it anywhere else), and `eth0`'s MTU of 1400 is not modelled (no case reads it).

use sim_core::scenario::{self, ScenarioSpec};
use sim_core::sim::{build, World};

const SCENARIO: &str = r#"(
    title: "the Docker 20.10 oracle's host",
    seed: 1,
    fabric: (
        switches: [(name: "lan")],
        externals: [(
            name: "outside",
            interfaces: [(name: "eth0", address: "198.18.0.1/24")],
            gateway: Some("198.18.0.254"),
            http: Some((port: 8080, pages: [("/", Text("outside-ok\n")), ("/cgi-bin/ip", ClientAddress)])),
        )],
        hosts: [(
            name: "vm",
            os: Linux(engine: V20_10),
            nics: [
                (name: "eth0", address: "192.0.2.2/24"),
                (name: "orc-out0", address: "198.18.0.254/24"),
            ],
            gateway: Some("192.0.2.1"),
            dns_servers: ["10.255.255.53"],
            daemon: (dns: ["172.17.0.1"]),
        )],
        links: [
            (a: "vm.eth0", b: "lan"),
            (a: "vm.orc-out0", b: "outside.eth0"),
        ],
    ),
    // The oracle's image (docker-oracle/setup.sh): busybox, WORKDIR /var/www, one page.
    images: [(
        name: "oracle/busybox",
        workdir: Some("/var/www"),
        files: [("/var/www/index.html", "oracle-ok\n")],
    )],
    steps: [],
)"#;

/// The shell line that puts the oracle's egress guard in DOCKER-USER, as the shared set-up did.
pub const GUARD_RULE: &str =
    "iptables -I DOCKER-USER -o eth0 -m comment --comment docker-oracle-egress-guard -j DROP";

/// The container host's and the outside host's names in the world (the container host has
/// the recording machine's host name, which `hostname` and host-network files show).
pub const HOST: &str = "vm";
pub const OUTSIDE: &str = "outside";

/// Where the shared set-up's DNS sink (`sinkdns.py`) listens: docker0's address on the host.
const DNS_SINK: std::net::Ipv4Addr = std::net::Ipv4Addr::new(172, 17, 0, 1);

/// The environment, parsed once; each case gets a fresh world from it.
pub struct Environment {
    spec: ScenarioSpec,
}

/// A fresh world for one case, and whether the guard rule could be installed in it.
pub struct FreshWorld {
    pub world: World,
    /// `false` while hnsim cannot run the `iptables -I` line: then the guard's lines are
    /// masked on both sides (rule 8), as `mask.py` does.
    pub guard_installed: bool,
}

impl Environment {
    pub fn new() -> Self {
        let loaded = match scenario::load_str("oracle-environment.ron", SCENARIO) {
            Ok(l) => l,
            Err(diags) => panic!(
                "the oracle environment does not load:\n{}",
                scenario::render(&diags)
            ),
        };
        Environment { spec: loaded.spec }
    }

    pub fn fresh(&self) -> FreshWorld {
        let mut world = build::build(&self.spec)
            .unwrap_or_else(|e| panic!("the oracle environment does not build: {e}"));
        install_dns_sink(&mut world);
        let guard = world.shell(HOST, GUARD_RULE);
        FreshWorld {
            world,
            guard_installed: guard.exit_code == 0,
        }
    }
}

/// The DNS sink: a zone server with no records on the host's namespace, bound to 172.17.0.1
/// only (the scenario schema has no DNS server for container hosts).
fn install_dns_sink(world: &mut World) {
    let node = world
        .resolve_source(HOST)
        .unwrap_or_else(|e| panic!("the oracle host: {e}"));
    let stack = world
        .engine
        .device_mut(node)
        .and_then(sim_core::device::Device::as_stack_mut)
        .expect("the oracle host is an IP stack");
    stack.config.services_mut().dns_zone_bind = Some(DNS_SINK);
}
