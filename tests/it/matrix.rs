//! `hnsim matrix`: the documented connectivity table reproduced from the matrix scenarios.
//! The table is built through the library (one build per test instead of one per process);
//! one test runs the binary for its exit codes.

use crate::common::repo_root;
use sim_core::control::hns::policy::TAG_SECOND_ENDPOINT;
use sim_core::control::version::WindowsVersion;
use sim_core::device::Device;
use sim_core::id::NodeId;
use sim_core::matrix::{self, render, Matrix};
use sim_core::scenario::{MatrixCell, StepSpec};
use sim_core::sim::report;
use sim_core::sim::World;
use sim_core::topology::NodeKind;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

const DIR: &str = "scenarios/matrix";

fn build(os: WindowsVersion) -> Matrix {
    match matrix::run(DIR, os) {
        Ok(m) => m,
        Err(e) => panic!("the matrix does not build:\n{e}"),
    }
}

#[test]
fn text_and_json_for_every_windows_version() {
    for &os in WindowsVersion::all() {
        let name = os.cli_name();
        let m = build(os);
        insta::assert_snapshot!(format!("text_{name}"), render::text(&m));
        insta::assert_snapshot!(format!("json_{name}"), render::json(&m));
    }
}

#[test]
fn the_matrix_repeats_byte_for_byte() {
    for os in [WindowsVersion::Server2016, WindowsVersion::Server2022] {
        let (a, b) = (build(os), build(os));
        assert_eq!(render::text(&a), render::text(&b), "{os:?}");
        assert_eq!(render::json(&a), render::json(&b), "{os:?}");
        assert_eq!(render::check(&a), render::check(&b), "{os:?}");
    }
}

/// `hnsim matrix --check` on every version: each cell is as documented, or its difference is
/// a deviation recorded in expected.ron.
#[test]
fn every_driver_matches_the_docs_or_a_recorded_deviation_on_every_version() {
    for &os in WindowsVersion::all() {
        let name = os.cli_name();
        let check = render::check(&build(os));
        assert!(!check.failed(), "{name}:\n{}", check.render());
    }
}

#[test]
fn nat_matches_the_docs_on_every_version() {
    for &os in WindowsVersion::all() {
        let name = os.cli_name();
        let m = build(os);
        let nat = m
            .drivers
            .iter()
            .find(|d| d.driver == "nat")
            .expect("a nat row");
        assert!(
            nat.simulated(),
            "{name}: scenarios/matrix/nat.ron is missing"
        );
        assert!(
            nat.problems.is_empty(),
            "{name}: the nat run had problems: {:?}",
            nat.problems
        );
        for cell in MatrixCell::ALL {
            assert!(
                nat.cell(cell).probes > 0,
                "{name}: no probe is tagged {cell:?}"
            );
        }
        let check = render::check(&m).for_driver("nat");
        assert!(
            check.lines.is_empty() && !check.failed(),
            "{name}: nat differs from the docs:\n{}",
            check.render()
        );
    }
}

#[test]
fn every_documented_driver_is_a_row_in_the_docs_order() {
    let m = build(WindowsVersion::Server2022);
    let rows: Vec<&str> = m.drivers.iter().map(|d| d.driver.as_str()).collect();
    assert_eq!(
        rows[..5],
        ["nat", "transparent", "overlay", "l2bridge", "l2tunnel"]
    );
    // A driver without a scenario is a difference that fails `--check`.
    let check = render::check(&m);
    for row in m.drivers.iter().filter(|d| !d.simulated()) {
        assert!(check.failed());
        assert!(check
            .for_driver(&row.driver)
            .lines
            .iter()
            .any(|l| l.fails && l.text.contains("not simulated")));
    }
}

#[test]
fn cli_matrix_json_and_exit_codes() {
    let hnsim = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hnsim"))
            .args(args)
            .current_dir(repo_root())
            .output()
            .expect("the hnsim binary runs")
    };
    let out = hnsim(&["matrix", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let expected = render::json(&build(WindowsVersion::Server2022));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);

    let out = hnsim(&["matrix", "--dir", "scenarios/no-such-dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("cannot read scenarios/no-such-dir/expected.ron"));

    let out = hnsim(&["matrix", "--os", "windows-server-2012"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The cells whose simulated reachability differs from the documented table (before any
/// deviation), per Windows version. A deviation may accept such a difference, but only by
/// naming reachability; this list makes any new one visible even then.
#[test]
fn reachability_differs_from_the_docs_only_in_the_2016_cross_subnet_cells() {
    for &os in WindowsVersion::all() {
        let m = build(os);
        let mut differs = Vec::new();
        for row in m.drivers.iter().filter(|r| r.simulated()) {
            for cell in MatrixCell::ALL {
                let e = m.expectation(&row.driver, cell).expect("documented");
                if row.cell(cell).reachable() != Some(e.reachable) {
                    assert!(
                        e.deviation
                            .as_ref()
                            .is_some_and(|d| d.accepts.reachability()),
                        "{os:?} {}/{}: reachability differs and no deviation accepts it",
                        row.driver,
                        cell.key()
                    );
                    differs.push(format!("{}/{}", row.driver, cell.key()));
                }
            }
        }
        let expected: &[&str] = match os {
            WindowsVersion::Server2016 => &[
                "transparent/same_host_cross_subnet",
                "transparent/cross_host_cross_subnet",
                "l2bridge/same_host_cross_subnet",
                "l2tunnel/same_host_cross_subnet",
                "l2tunnel/cross_host_cross_subnet",
            ],
            _ => &[],
        };
        assert_eq!(differs, expected, "{os:?}");
    }
}

/// Issue 9, item 13: for every simulated cell on every version, a changed reachability fails
/// `--check` unless the cell's deviation names reachability, and a lost mechanism fails it
/// unless the deviation names mechanisms.
#[test]
fn every_cell_fails_the_check_when_its_result_changes_unless_a_deviation_names_the_change() {
    for &os in WindowsVersion::all() {
        let m = build(os);
        for (i, row) in m.drivers.iter().enumerate() {
            for cell in MatrixCell::ALL {
                let (Some(e), Some(reachable)) =
                    (m.expectation(&row.driver, cell), row.cell(cell).reachable())
                else {
                    continue;
                };
                let at = format!("{os:?} {}/{}", row.driver, cell.key());
                let accepts = |f: fn(matrix::expected::Accepts) -> bool| {
                    e.deviation.as_ref().is_some_and(|d| f(d.accepts))
                };
                let failed_after = |change: &dyn Fn(&mut matrix::CellResult)| {
                    let mut changed = m.clone();
                    let c = changed.drivers[i].cells.get_mut(&cell).expect("probed");
                    change(c);
                    let check = render::check(&changed);
                    check
                        .lines
                        .iter()
                        .any(|l| l.fails && l.driver == row.driver && l.cell == Some(cell))
                };

                // Flip reachability; a reachable cell keeps the mechanisms the docs imply, so
                // only reachability differs where it was as documented.
                let flipped = failed_after(&|c| {
                    c.reachable = !reachable;
                    c.mechanisms.extend(e.mechanisms.iter().copied());
                });
                if reachable == e.reachable {
                    assert_eq!(
                        flipped,
                        !accepts(|a| a.reachability()),
                        "{at}: flipping reachability"
                    );
                }

                // Reachable as documented, but without the mechanisms the docs imply.
                if e.reachable && !e.mechanisms.is_empty() {
                    let lost = failed_after(&|c| {
                        c.reachable = true;
                        c.mechanisms.clear();
                    });
                    assert_eq!(
                        lost,
                        !accepts(|a| a.mechanisms()),
                        "{at}: losing mechanisms"
                    );
                }
            }
        }
    }
}

/// A copy of `scenarios/matrix` in a fresh temporary directory, with one file edited; removed
/// when dropped.
struct MatrixCopy(PathBuf);

impl MatrixCopy {
    fn new(tag: &str, file: &str, edit: impl Fn(&str) -> String) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "hnsim-it-matrix-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        let src = repo_root().join(DIR);
        for entry in std::fs::read_dir(&src).expect("read scenarios/matrix") {
            let path = entry.expect("an entry").path();
            if !path.is_file() {
                // scenarios/matrix/linux/ is the Linux table, not part of this one.
                continue;
            }
            let name = path.file_name().expect("a file name").to_owned();
            let text = std::fs::read_to_string(&path).expect("read a matrix file");
            let text = if Path::new(&name) == Path::new(file) {
                let edited = edit(&text);
                assert!(edited != text, "the edit of {file} changed nothing");
                edited
            } else {
                text
            };
            std::fs::write(dir.join(name), text).expect("write a matrix file");
        }
        MatrixCopy(dir)
    }

    /// `hnsim matrix --check --os <os> --dir <copy>`: exit code and stdout.
    fn check(&self, os: WindowsVersion) -> (Option<i32>, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_hnsim"))
            .args(["matrix", "--check", "--os", &os.cli_name(), "--dir"])
            .arg(&self.0)
            .current_dir(repo_root())
            .output()
            .expect("the hnsim binary runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

impl Drop for MatrixCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Issue 9, item 13, through the binary: transparent's same-host cross-subnet cell has a
/// deviation about mechanisms (the fabric's router routes it, not the container host). When
/// the cell stops being reachable, `--check` must fail: that deviation does not accept it.
#[test]
fn cli_check_fails_when_a_cell_loses_reachability_that_no_deviation_accepts() {
    let probe =
        r#"Probe(from: "c1", to: "10.20.0.13", proto: Tcp(80), cell: Some(SameHostCrossSubnet))"#;
    // Nothing listens on TCP 81: the probe is refused, the cell is unreachable.
    let copy = MatrixCopy::new("unreachable", "transparent.ron", |t| {
        t.replace(probe, &probe.replace("Tcp(80)", "Tcp(81)"))
    });
    let (code, stdout) = copy.check(WindowsVersion::Server2022);
    assert_eq!(code, Some(1), "stdout:\n{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("transparent/same_host_cross_subnet:"))
        .unwrap_or_else(|| panic!("no line for the cell:\n{stdout}"));
    assert!(
        line.contains("expected reachable via [host-routed], simulated: not reachable"),
        "{line}"
    );
    assert!(
        line.contains(
            "the recorded deviation accepts mechanisms, not a difference in reachability"
        ),
        "{line}"
    );
    assert!(
        stdout.contains("check on windows-server-2022: 1 difference(s) from the docs"),
        "{stdout}"
    );
}

/// The same on Server 2016, where the cross-subnet cells really are unreachable (the default
/// inbound firewall; `--check` passes with expected.ron as it is, see
/// `every_driver_matches_the_docs_or_a_recorded_deviation_on_every_version`): with the 2016
/// deviations narrowed to mechanisms, as they were before issue 9, `--check` fails on both
/// transparent cross-subnet cells.
#[test]
fn cli_check_fails_on_2016_when_the_deviation_does_not_name_reachability() {
    let copy = MatrixCopy::new("narrowed", "expected.ron", |t| {
        t.replace("accepts: Both,", "accepts: Mechanisms,")
    });
    let (code, stdout) = copy.check(WindowsVersion::Server2016);
    assert_eq!(code, Some(1), "stdout:\n{stdout}");
    for cell in ["same_host_cross_subnet", "cross_host_cross_subnet"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("transparent/{cell}:"))
                    && l.contains("simulated: not reachable")
                    && l.contains("accepts mechanisms, not a difference in reachability")),
            "{cell}:\n{stdout}"
        );
    }
    // On 2022 the narrowed file changes nothing: those deviations are 2016's.
    assert_eq!(copy.check(WindowsVersion::Server2022).0, Some(0));
}

/// The interface addresses of a stack node, without the Server 2016 second endpoint (which is
/// on nat, not on the network the cell is about).
fn addresses(world: &World, node: NodeId) -> Vec<(Ipv4Addr, u8)> {
    let Some(stack) = world.engine.device(node).and_then(Device::as_stack) else {
        return Vec::new();
    };
    stack
        .config
        .ifaces()
        .iter()
        .flatten()
        .filter(|i| i.tag.as_deref() != Some(TAG_SECOND_ENDPOINT))
        .filter_map(|i| i.addr.map(|a| (a.ip(), a.prefix())))
        .collect()
}

fn same_subnet(a: (Ipv4Addr, u8), b: Ipv4Addr) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(a.1)).unwrap_or(0);
    u32::from(a.0) & mask == u32::from(b) & mask
}

/// Every probe tagged with a cell goes where the cell says: to a container on the same host
/// or on another host, inside one of the source container's subnets or outside all of them.
/// (Issue 9: the l2tunnel "cross subnet" probes stayed inside one /16.)
#[test]
fn every_tagged_probe_goes_where_its_cell_says() {
    let root = repo_root();
    for entry in std::fs::read_dir(root.join(DIR)).expect("read scenarios/matrix") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        if name == matrix::EXPECTED_FILE || !name.ends_with(".ron") {
            continue;
        }
        let loaded = crate::common::load_relative(&format!("{DIR}/{name}"));
        for &os in WindowsVersion::all() {
            let mut loaded = loaded.clone();
            matrix::set_os(&mut loaded, os);
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
                let at = format!(
                    "{name} on {os:?}: {} -> {} ({})",
                    probe.from,
                    probe.to,
                    cell.key()
                );
                if *cell == MatrixCell::ToExternal {
                    return;
                }
                let src = world.resolve_source(&probe.from).expect("the source runs");
                let dst_addr = match probe.to.parse::<Ipv4Addr>().ok().or(probe.looked_up) {
                    Some(a) => a,
                    None => {
                        let n = world
                            .resolve_source(&probe.to)
                            .unwrap_or_else(|e| panic!("{at}: {e}"));
                        addresses(world, n).first().expect("an address").0
                    }
                };
                let topo = world.engine.topology();
                let dst: Vec<NodeId> = topo
                    .nodes()
                    .filter(|(_, info)| info.kind == NodeKind::Container)
                    .filter(|(n, _)| addresses(world, *n).iter().any(|a| a.0 == dst_addr))
                    .map(|(n, _)| n)
                    .collect();
                let [dst] = dst[..] else {
                    panic!("{at}: {} containers have {dst_addr}", dst.len());
                };
                let host = |n| topo.node(n).and_then(|i| i.host.clone());
                let same_host = host(src) == host(dst);
                let same_subnet = addresses(world, src)
                    .iter()
                    .any(|a| same_subnet(*a, dst_addr));
                let (want_host, want_subnet) = match cell {
                    MatrixCell::SameHostSameSubnet => (true, true),
                    MatrixCell::SameHostCrossSubnet => (true, false),
                    MatrixCell::CrossHostSameSubnet => (false, true),
                    MatrixCell::CrossHostCrossSubnet => (false, false),
                    MatrixCell::ToExternal => unreachable!(),
                };
                assert_eq!(same_host, want_host, "{at}: same host?");
                assert_eq!(
                    same_subnet,
                    want_subnet,
                    "{at}: same subnet? (source {:?}, destination {dst_addr})",
                    addresses(world, src)
                );
            });
            assert_eq!(
                seen,
                MatrixCell::ALL.len(),
                "{name} on {os:?}: tagged probes"
            );
        }
    }
}
