//! The oracle's environment as a hnsim scenario (`tests/oracle/README.md`, "The outside
//! host"): one Linux host `host` with Docker 20.10, `eth0` 192.0.2.2/24 on a LAN (default
//! route via 192.0.2.1), `orc-out0` 198.18.0.254/24 wired to the outside host `outside`
//! (198.18.0.1/24, a TCP listener on 8080), the daemon's `--dns 172.17.0.1`, the host's
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
            services: [Tcp(8080)],
        )],
        hosts: [(
            name: "host",
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
            (a: "host.eth0", b: "lan"),
            (a: "host.orc-out0", b: "outside.eth0"),
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

/// The container host's and the outside host's names in the world.
pub const HOST: &str = "host";
pub const OUTSIDE: &str = "outside";

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
        let guard = world.shell(HOST, GUARD_RULE);
        FreshWorld {
            world,
            guard_installed: guard.exit_code == 0,
        }
    }
}
