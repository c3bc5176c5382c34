//! Helpers shared by the integration tests.

use sim_core::device::Outcome;
use sim_core::scenario;
use sim_core::sim::report::{self, Report};
use sim_core::sim::{build, World};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (the root package's manifest directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `hnsim` binary with `args` in `dir`, as a user would.
pub fn hnsim_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hnsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the hnsim binary runs")
}

/// Runs the `hnsim` binary with `args` from the repository root.
pub fn hnsim(args: &[&str]) -> Output {
    hnsim_in(&repo_root(), args)
}

/// What the binary printed, as text (hnsim writes UTF-8).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

/// Every `.ron` file under `scenarios/`, as paths relative to the repository root, sorted.
pub fn scenario_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "ron") {
                out.push(p.strip_prefix(root).expect("under the root").to_path_buf());
            }
        }
    }
    let root = repo_root();
    let mut out = Vec::new();
    walk(&root.join("scenarios"), &root, &mut out);
    assert!(!out.is_empty(), "no scenarios found under scenarios/");
    out
}

/// Whether a `.ron` under `scenarios/` is a matrix's documented table
/// (`scenarios/matrix/expected.ron`, `scenarios/matrix/linux/expected.ron`), not a scenario.
pub fn is_documented_table(rel: &str) -> bool {
    rel.starts_with("scenarios/matrix/") && rel.ends_with("/expected.ron")
}

/// Every `.ron` under `scenarios/` is a scenario except the matrices' documented tables.
pub fn is_scenario(rel: &str) -> bool {
    !is_documented_table(rel)
}

/// `path` (absolute, inside the repository) relative to the repository root, with `/`
/// separators, e.g. `scenarios/nat-tour.ron`.
pub fn relative(path: &Path) -> String {
    let root = repo_root();
    let rel = path.strip_prefix(&root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Loads a scenario file by its path relative to the repository root (cargo runs integration
/// tests with the package root as the working directory), so the report names it that way.
pub fn load_relative(rel: &str) -> scenario::LoadedScenario {
    assert!(
        Path::new(rel).exists(),
        "{rel} does not exist relative to the working directory {:?}",
        std::env::current_dir()
    );
    match scenario::load_path(Path::new(rel)) {
        Ok(l) => l,
        Err(diags) => panic!("{rel} does not load:\n{}", scenario::render(&diags)),
    }
}

/// Builds the world of a scenario text, panicking with the diagnostics if it does not load.
pub fn world_of(text: &str) -> World {
    let loaded = match scenario::load_str("test.ron", text) {
        Ok(l) => l,
        Err(diags) => panic!("test scenario does not load:\n{}", scenario::render(&diags)),
    };
    match build::build(&loaded.spec) {
        Ok(w) => w,
        Err(e) => panic!("test scenario does not build: {e}"),
    }
}

/// One Linux host `host` with Docker Engine `engine` (`V20_10`, `V29`...) on a LAN switch, the
/// oracle's busybox image, no steps.
pub fn one_linux_host(engine: &str) -> World {
    world_of(&format!(
        r#"(
    title: "one Linux host",
    seed: 1,
    fabric: (
        switches: [(name: "lan")],
        hosts: [(
            name: "host",
            os: Linux(engine: {engine}),
            nics: [(name: "eth0", address: "192.0.2.2/24")],
            gateway: Some("192.0.2.1"),
        )],
        links: [(a: "host.eth0", b: "lan")],
    ),
    images: [(name: "oracle/busybox", services: [])],
    steps: [],
)"#
    ))
}

/// One Windows host `h1` on a LAN switch, no steps. `img` listens on TCP 80.
pub fn one_host_scenario(os: &str, seed: u64) -> String {
    format!(
        r#"ScenarioSpec(
    title: "one host",
    seed: {seed},
    fabric: (
        switches: [(name: "lan")],
        hosts: [(
            name: "h1",
            os: {os},
            nics: [(name: "Ethernet", address: "10.0.0.11/24")],
            gateway: Some("10.0.0.1"),
            // The host answers ping, so tests can use it as a target.
            firewall: (allow: [Icmp]),
        )],
        links: [(a: "h1.Ethernet", b: "lan")],
    ),
    images: [(name: "img", services: [Tcp(80)])],
)
"#
    )
}

/// A fresh one-host world on Windows Server 2022.
pub fn one_host_world() -> World {
    world_of(&one_host_scenario("WindowsServer2022", 5))
}

/// Runs a scenario text that must stop at no limit; returns its report and each probe's
/// outcome, in step order.
pub fn run_with_outcomes(text: &str) -> (Report, Vec<Outcome>) {
    let loaded = match scenario::load_str("test.ron", text) {
        Ok(l) => l,
        Err(d) => panic!("does not load:\n{}", scenario::render(&d)),
    };
    let mut outcomes = Vec::new();
    let rep = report::run_observed(&loaded, false, &mut |_, _, r| outcomes.push(r.outcome));
    assert!(rep.limit_hit.is_none(), "{}", rep.text);
    (rep, outcomes)
}
