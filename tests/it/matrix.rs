//! `hnsim matrix`: the documented connectivity table reproduced from the matrix scenarios.
//! The table is built through the library (one build per test instead of one per process);
//! one test runs the binary for its exit codes.

use crate::common::repo_root;
use sim_core::control::version::WindowsVersion;
use sim_core::matrix::{self, render, Matrix};
use sim_core::scenario::MatrixCell;
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
