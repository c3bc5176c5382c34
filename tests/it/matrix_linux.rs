//! `hnsim matrix --os linux`: the bridge (default and user-defined), host and none rows of a
//! Linux Docker host, reproduced from `scenarios/matrix/linux/` on every engine release and
//! checked against the table written from seed 004 and reference linux-drivers.md 5.1.

use crate::common::repo_root;
use sim_core::control::engine::DockerEngine;
use sim_core::device::Device;
use sim_core::matrix::{self, render, Matrix, Mechanism, Platform};
use sim_core::scenario::{MatrixCell, StepSpec};
use sim_core::sim::report;
use sim_core::topology::NodeKind;
use std::net::Ipv4Addr;
use std::process::Command;

const DIR: &str = "scenarios/matrix/linux";
const DRIVERS: [&str; 4] = ["bridge", "user-bridge", "host", "none"];

fn build(engine: DockerEngine) -> Matrix {
    match matrix::run(DIR, engine) {
        Ok(m) => m,
        Err(e) => panic!("the Linux matrix does not build:\n{e}"),
    }
}

#[test]
fn text_and_json_for_every_engine_release() {
    for &engine in DockerEngine::all() {
        let name = engine.cli_name();
        let m = build(engine);
        let rows: Vec<&str> = m.drivers.iter().map(|d| d.driver.as_str()).collect();
        assert_eq!(rows, DRIVERS, "{name}");
        assert!(m
            .drivers
            .iter()
            .all(|d| d.simulated() && d.problems.is_empty()));
        insta::assert_snapshot!(format!("linux_text_{name}"), render::text(&m));
        insta::assert_snapshot!(format!("linux_json_{name}"), render::json(&m));
    }
}

/// `hnsim matrix --os linux --check` on every release: every cell as documented, and no
/// deviation needed.
#[test]
fn every_row_matches_seed_004_and_reference_5_1_on_every_engine() {
    for &engine in DockerEngine::all() {
        let check = render::check(&build(engine));
        assert!(!check.failed(), "{engine}:\n{}", check.render());
        assert!(
            check.lines.iter().all(|l| !l.accepted),
            "{engine}: no deviation is recorded for Linux:\n{}",
            check.render()
        );
    }
}

/// What each row must show, beyond the table's words: the Windows mechanisms never appear on
/// a Linux host, the bridge rows go out through MASQUERADE, and nothing leaves a `none`
/// container.
#[test]
fn linux_rows_show_linux_mechanisms_only() {
    let m = build(DockerEngine::V29);
    let windows_only = [
        Mechanism::VswitchBridged,
        Mechanism::Winnat,
        Mechanism::VfpNat,
        Mechanism::MacRewrite,
        Mechanism::SecondEndpoint,
    ];
    for row in &m.drivers {
        for (cell, r) in &row.cells {
            assert!(
                r.mechanisms.iter().all(|x| !windows_only.contains(x)),
                "{}/{}: {:?}",
                row.driver,
                cell.key(),
                r.mechanisms
            );
        }
    }
    for driver in ["bridge", "user-bridge"] {
        let row = m.drivers.iter().find(|d| d.driver == driver).expect(driver);
        let out = row.cell(MatrixCell::ToExternal);
        assert!(out.mechanisms.contains(&Mechanism::Masquerade), "{driver}");
        let inside = row.cell(MatrixCell::SameHostSameSubnet);
        assert_eq!(inside.mechanisms, [Mechanism::LinuxBridge], "{driver}");
    }
    let none = m.drivers.iter().find(|d| d.driver == "none").expect("none");
    for cell in MatrixCell::ALL {
        let r = none.cell(cell);
        assert_eq!((r.reachable(), r.mechanisms.len()), (Some(false), 0));
    }
}

/// Every tagged probe goes where its cell says: for the bridge rows, a container on the same
/// host or on another, inside the source's subnet or not; for `host`, the source is the host's
/// own namespace (a host-network container has no node of its own).
#[test]
fn every_tagged_probe_goes_where_its_cell_says() {
    for driver in DRIVERS {
        let rel = format!("{DIR}/{driver}.ron");
        let mut loaded = crate::common::load_relative(&rel);
        matrix::set_os(&mut loaded, DockerEngine::V29);
        let steps = loaded.spec.steps.clone();
        let mut seen = 0;
        report::run_observed(&loaded, false, &mut |world, i, probe| {
            let Some(StepSpec::Probe {
                cell: Some(cell), ..
            }) = steps.get(i)
            else {
                return;
            };
            seen += 1;
            let at = format!("{rel}: {} -> {} ({})", probe.from, probe.to, cell.key());
            let src = world.resolve_source(&probe.from).expect("the source runs");
            let topo = world.engine.topology();
            let kind = topo.node(src).map(|n| n.kind);
            let want_kind = if driver == "host" {
                NodeKind::LinuxHost
            } else {
                NodeKind::Container
            };
            assert_eq!(kind, Some(want_kind), "{at}");
            if *cell == MatrixCell::ToExternal || driver != "bridge" && driver != "user-bridge" {
                return;
            }
            let dst: Ipv4Addr = probe
                .to
                .parse()
                .ok()
                .or(probe.looked_up)
                .unwrap_or_else(|| panic!("{at}: no address"));
            let holders: Vec<_> = topo
                .nodes()
                .filter(|(_, info)| info.kind == NodeKind::Container)
                .filter(|(n, _)| {
                    world
                        .engine
                        .device(*n)
                        .and_then(Device::as_stack)
                        .is_some_and(|s| {
                            s.config
                                .ifaces()
                                .iter()
                                .flatten()
                                .any(|i| i.addr.is_some_and(|a| a.ip() == dst))
                        })
                })
                .map(|(n, _)| n)
                .collect();
            let [holder] = holders[..] else {
                panic!("{at}: {} containers have {dst}", holders.len());
            };
            let host = |n| topo.node(n).and_then(|i| i.host.clone());
            let src_net = world
                .engine
                .device(src)
                .and_then(Device::as_stack)
                .and_then(|s| s.config.ifaces().iter().flatten().find_map(|i| i.addr))
                .expect("the source has an address");
            let mask = u32::MAX
                .checked_shl(32 - u32::from(src_net.prefix()))
                .unwrap_or(0);
            let same_subnet = u32::from(src_net.ip()) & mask == u32::from(dst) & mask;
            let want = match cell {
                MatrixCell::SameHostSameSubnet => (true, true),
                MatrixCell::SameHostCrossSubnet => (true, false),
                MatrixCell::CrossHostSameSubnet => (false, true),
                MatrixCell::CrossHostCrossSubnet => (false, false),
                MatrixCell::ToExternal => unreachable!(),
            };
            assert_eq!((host(src) == host(holder), same_subnet), want, "{at}");
        });
        assert_eq!(seen, MatrixCell::ALL.len(), "{rel}: tagged probes");
    }
}

#[test]
fn the_linux_matrix_repeats_byte_for_byte() {
    for engine in [DockerEngine::V20_10, DockerEngine::V29] {
        let (a, b) = (build(engine), build(engine));
        assert_eq!(render::text(&a), render::text(&b));
        assert_eq!(render::json(&a), render::json(&b));
    }
}

#[test]
fn cli_matrix_os_linux_with_engine_and_exit_codes() {
    let hnsim = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hnsim"))
            .args(args)
            .current_dir(repo_root())
            .output()
            .expect("the hnsim binary runs")
    };
    // The default engine is the newest; its directory is scenarios/matrix/linux.
    let out = hnsim(&["matrix", "--os", "linux", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        render::json(&build(DockerEngine::V29))
    );
    // `--engine` takes the release as the issue writes it (20.10) or as scenarios do (v20.10).
    for spelled in ["20.10", "v20.10"] {
        let out = hnsim(&["matrix", "--os", "linux", "--engine", spelled, "--check"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}");
        assert!(stdout.starts_with(
            "Connectivity of the Docker network drivers on a Linux host with Docker Engine 20.10 (--os linux --engine v20.10),"
        ), "{stdout}");
        assert!(
            stdout
                .contains("check on linux --engine v20.10: no difference from the docs that fails"),
            "{stdout}"
        );
    }
    // `--engine` means nothing for Windows.
    let out = hnsim(&["matrix", "--os", "windows-server-2022", "--engine", "v29"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--engine applies to `--os linux` only"));
    let out = hnsim(&["matrix", "--os", "linux", "--engine", "v30"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A Linux table cell may differ by engine release (`engines:` in an `on` entry).
#[test]
fn per_engine_overrides_apply_to_their_release_only() {
    let text = std::fs::read_to_string(repo_root().join(DIR).join(matrix::EXPECTED_FILE))
        .expect("the Linux expected.ron");
    let changed = text.replacen(
        "docs: \"MASQUERADE to the host's egress IP\",",
        "docs: \"MASQUERADE to the host's egress IP\", on: [(engines: [V20_10], reachable: false, mechanisms: [], docs: \"old\")],",
        1,
    );
    assert_ne!(changed, text);
    let m = matrix::expected::parse("e.ron", &changed).expect("parses");
    let cell = m.drivers[0].cells.get(MatrixCell::ToExternal);
    assert!(!cell.on_os(DockerEngine::V20_10).reachable);
    assert!(cell.on_os(DockerEngine::V27).reachable);
    assert!(cell.on_os(Platform::Linux(DockerEngine::V29)).reachable);
}
