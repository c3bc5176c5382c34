//! Every shipped scenario runs clean, its report is pinned by a snapshot, and runs repeat
//! byte for byte.

use crate::common::{is_scenario, load_relative, relative, scenario_files};
use sim_core::sim::report;

/// Scenarios that teach how a run stops, and the limit each must stop at; every other
/// scenario runs to its end.
const STOPPED_ON_PURPOSE: &[(&str, &str)] = &[("scenarios/switching-loop.ron", "storm_copies")];

#[test]
fn every_scenario_runs_clean_and_matches_its_snapshot() {
    insta::glob!("../../scenarios", "**/*.ron", |path| {
        let rel = relative(path);
        if !is_scenario(&rel) {
            return;
        }
        let loaded = load_relative(&rel);
        assert_eq!(loaded.file, rel, "the report names the file as passed");
        let rep = report::run(&loaded);
        assert!(
            rep.failures.is_empty(),
            "{rel}: expectations failed:\n{}\n\n{}",
            rep.failures.join("\n"),
            rep.text
        );
        let stop = STOPPED_ON_PURPOSE
            .iter()
            .find(|(file, _)| *file == rel)
            .map(|(_, limit)| limit.to_string());
        assert_eq!(
            rep.limit_hit, stop,
            "{rel}: the run stopped at an unexpected limit\n\n{}",
            rep.text
        );
        assert!(
            rep.text.contains(&format!("file: {rel}  seed: ")),
            "{rel}: the report header does not name the file"
        );
        assert!(
            rep.text.contains("\nsummary: ") && rep.text.contains(" 0 failed expectation(s);"),
            "{rel}: the summary does not say 0 failed expectations"
        );
        insta::assert_snapshot!(rep.text);
    });
}

#[test]
fn every_scenario_is_deterministic() {
    for rel in scenario_files() {
        let rel = relative(&crate::common::repo_root().join(rel));
        if !is_scenario(&rel) {
            continue;
        }
        let loaded = load_relative(&rel);
        let first = report::run(&loaded);
        let second = report::run(&loaded);
        assert!(
            first.text == second.text,
            "{rel}: two runs differ; first difference at line {}",
            first
                .text
                .lines()
                .zip(second.text.lines())
                .position(|(a, b)| a != b)
                .map_or(0, |i| i + 1)
        );
        assert_eq!(first.failures, second.failures, "{rel}");
        assert_eq!(first.limit_hit, second.limit_hit, "{rel}");
        // Loading again from disk must not change anything either.
        let third = report::run(&load_relative(&rel));
        assert!(
            first.text == third.text,
            "{rel}: a fresh load runs differently"
        );
    }
}
