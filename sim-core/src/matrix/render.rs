//! Printing the matrix: the text table laid out like the docs' table, the JSON form, and the
//! cell-by-cell comparison with the documented table (`--check`), in which a difference
//! fails unless a recorded deviation accepts each part of it (reachability, mechanisms).

use super::expected::{Accepts, Deviation};
use super::{CellResult, DriverRow, Matrix, Mechanism, Platform, EXPECTED_FILE};
use crate::scenario::MatrixCell;
use serde_json::{Map, Value};
use std::fmt::Write;

/// Width of the driver column and of each cell column of the text table: with the borders,
/// 116 columns, so the table fits a 120-column terminal.
const DRIVER_WIDTH: usize = 12;
const CELL_WIDTH: usize = 17;

/// The docs' column headings.
pub fn heading(cell: MatrixCell) -> &'static str {
    match cell {
        MatrixCell::SameHostSameSubnet => "C→C same host, same subnet",
        MatrixCell::SameHostCrossSubnet => "C→C same host, cross subnet",
        MatrixCell::ToExternal => "C→external",
        MatrixCell::CrossHostSameSubnet => "C→C across hosts, same subnet",
        MatrixCell::CrossHostCrossSubnet => "C→C across hosts, cross subnet",
    }
}

fn list(mechs: &[Mechanism]) -> String {
    let names: Vec<&str> = mechs.iter().map(|m| m.name()).collect();
    format!("[{}]", names.join(", "))
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The expected mechanisms that the simulation did not see.
fn missing(expected: &[Mechanism], seen: &[Mechanism]) -> Vec<Mechanism> {
    expected
        .iter()
        .filter(|m| !seen.contains(m))
        .copied()
        .collect()
}

/// What one cell of the text table says: the simulated answer, the docs' words, the
/// mechanisms seen, and where the simulation and the docs part.
fn cell_text(m: &Matrix, row: &DriverRow, cell: MatrixCell) -> String {
    if !row.simulated() {
        return "not simulated".into();
    }
    let r = row.cell(cell);
    let Some(reachable) = r.reachable() else {
        return "not probed".into();
    };
    let mut s = String::from(yes(reachable));
    match m.expectation(&row.driver, cell) {
        Some(e) => {
            if e.reachable != reachable {
                let _ = write!(s, ", but the docs say {}", yes(e.reachable));
            }
            let _ = write!(s, ": {}", e.docs);
            if !r.mechanisms.is_empty() {
                let _ = write!(s, " {}", list(&r.mechanisms));
            }
            let miss = missing(&e.mechanisms, &r.mechanisms);
            if reachable && !miss.is_empty() {
                let _ = write!(s, " (not seen: {})", list(&miss));
            }
        }
        None => {
            if !r.mechanisms.is_empty() {
                let _ = write!(s, " {}", list(&r.mechanisms));
            }
        }
    }
    s
}

/// Splits `text` into lines of at most `width` characters, at spaces where it can, else after
/// a hyphen.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let len = line.chars().count();
            let room = if len == 0 {
                width
            } else {
                width.saturating_sub(len + 1)
            };
            if word.len() <= room {
                if len > 0 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than the column: cut it after its last hyphen that fits, or at
            // the column's edge.
            let cut = word[..width.min(word.len())]
                .iter()
                .rposition(|c| *c == '-')
                .map_or(width, |i| i + 1);
            let rest = word.split_off(cut);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// Writes one table row whose columns are wrapped texts.
fn write_row(out: &mut String, columns: &[(String, usize)]) {
    let wrapped: Vec<(Vec<String>, usize)> =
        columns.iter().map(|(t, w)| (wrap(t, *w), *w)).collect();
    let height = wrapped.iter().map(|(l, _)| l.len()).max().unwrap_or(1);
    for i in 0..height {
        out.push('|');
        for (lines, w) in &wrapped {
            let text = lines.get(i).map(String::as_str).unwrap_or("");
            let _ = write!(out, " {} |", pad(text, *w));
        }
        out.push('\n');
    }
}

fn write_rule(out: &mut String, widths: &[usize]) {
    out.push('+');
    for w in widths {
        let _ = write!(out, "{}+", "-".repeat(w + 2));
    }
    out.push('\n');
}

/// The table as text, one row per driver, in the docs' layout, followed by the legend of the
/// mechanisms that appear and any problem in the runs.
pub fn text(m: &Matrix) -> String {
    let mut out = String::new();
    match m.os {
        Platform::Windows(v) => {
            let _ = writeln!(
                out,
                "Connectivity of the Windows container network drivers on {} ({}),",
                v,
                v.cli_name()
            );
        }
        Platform::Linux(e) => {
            let _ = writeln!(
                out,
                "Connectivity of the Docker network drivers on a Linux host with {} (--os linux --engine {}),",
                e,
                e.cli_name()
            );
        }
    }
    let _ = writeln!(
        out,
        "simulated from {}/<driver>.ron; the docs' words are from {}/{EXPECTED_FILE}.",
        m.dir.trim_end_matches('/'),
        m.dir.trim_end_matches('/')
    );
    let _ = writeln!(
        out,
        "Each cell: reachable or not in the simulation, how the docs say the packet goes, and the mechanisms seen in the trace."
    );
    out.push('\n');
    let widths: Vec<usize> = std::iter::once(DRIVER_WIDTH)
        .chain(MatrixCell::ALL.iter().map(|_| CELL_WIDTH))
        .collect();
    write_rule(&mut out, &widths);
    let head: Vec<(String, usize)> = std::iter::once(("Driver".to_string(), DRIVER_WIDTH))
        .chain(
            MatrixCell::ALL
                .iter()
                .map(|c| (heading(*c).to_string(), CELL_WIDTH)),
        )
        .collect();
    write_row(&mut out, &head);
    write_rule(&mut out, &widths);
    for row in &m.drivers {
        let driver = match m.expected.driver(&row.driver) {
            Some(d) if !d.typical_use.is_empty() => format!("{} ({})", row.driver, d.typical_use),
            _ => row.driver.clone(),
        };
        let cols: Vec<(String, usize)> = std::iter::once((driver, DRIVER_WIDTH))
            .chain(
                MatrixCell::ALL
                    .iter()
                    .map(|c| (cell_text(m, row, *c), CELL_WIDTH)),
            )
            .collect();
        write_row(&mut out, &cols);
        write_rule(&mut out, &widths);
    }

    let mut used: Vec<Mechanism> = m
        .drivers
        .iter()
        .flat_map(|r| r.cells.values().flat_map(|c| c.mechanisms.iter().copied()))
        .collect();
    used.sort();
    used.dedup();
    if !used.is_empty() {
        out.push_str("\nMechanisms seen:\n");
        for mech in used {
            let _ = writeln!(out, "  {:<16} {}", mech.name(), mech.meaning());
        }
    }
    let missing: Vec<&str> = m
        .drivers
        .iter()
        .filter(|r| !r.simulated())
        .map(|r| r.driver.as_str())
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "\nNot simulated (no {}/<driver>.ron yet): {}",
            m.dir.trim_end_matches('/'),
            missing.join(", ")
        );
    }
    write_problems(&mut out, m);
    out
}

fn write_problems(out: &mut String, m: &Matrix) {
    let rows: Vec<&DriverRow> = m
        .drivers
        .iter()
        .filter(|r| !r.problems.is_empty())
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("\nProblems in the runs:\n");
    for r in rows {
        for p in &r.problems {
            let _ = writeln!(out, "  {}: {p}", r.driver);
        }
    }
}

fn cell_json(r: &CellResult) -> Value {
    let mut o = Map::new();
    o.insert(
        "reachable".into(),
        r.reachable().map_or(Value::Null, Value::Bool),
    );
    o.insert(
        "mechanisms".into(),
        Value::Array(
            r.mechanisms
                .iter()
                .map(|m| Value::String(m.name().into()))
                .collect(),
        ),
    );
    Value::Object(o)
}

/// The table as JSON: `{"os": ..., "drivers": [{"driver": ..., "cells": {...}}]}` (a Linux
/// table has `"os": "linux"` and `"engine"`), keys in a fixed order. A cell that was not probed (or a driver not simulated) has `"reachable": null`.
pub fn json(m: &Matrix) -> String {
    json_checked(m, None)
}

/// The table as JSON, with `--check`'s findings under `"check"` when given: `{"failed":
/// bool, "lines": [{"driver", "cell" (a cell key or null), "text", "fails", "accepted"}]}`.
pub fn json_checked(m: &Matrix, check: Option<&Check>) -> String {
    let drivers: Vec<Value> = m
        .drivers
        .iter()
        .map(|row| {
            let mut cells = Map::new();
            for c in MatrixCell::ALL {
                cells.insert(c.key().into(), cell_json(&row.cell(c)));
            }
            let mut d = Map::new();
            d.insert("driver".into(), Value::String(row.driver.clone()));
            d.insert("cells".into(), Value::Object(cells));
            Value::Object(d)
        })
        .collect();
    let mut top = Map::new();
    match m.os {
        Platform::Windows(v) => {
            top.insert("os".into(), Value::String(v.cli_name()));
        }
        Platform::Linux(e) => {
            top.insert("os".into(), Value::String("linux".into()));
            top.insert("engine".into(), Value::String(e.cli_name()));
        }
    }
    top.insert("drivers".into(), Value::Array(drivers));
    if let Some(c) = check {
        let lines = c
            .lines
            .iter()
            .map(|l| {
                serde_json::json!({
                    "driver": l.driver,
                    "cell": l.cell.map(|c| c.key()),
                    "text": l.text,
                    "fails": l.fails,
                    "accepted": l.accepted,
                })
            })
            .collect();
        let mut o = Map::new();
        o.insert("failed".into(), Value::Bool(c.failed()));
        o.insert("lines".into(), Value::Array(lines));
        top.insert("check".into(), Value::Object(o));
    }
    let mut s = serde_json::to_string_pretty(&Value::Object(top)).expect("a JSON value prints");
    s.push('\n');
    s
}

/// One finding of `--check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckLine {
    pub driver: String,
    /// `None` for a finding about the whole driver (not simulated, not documented, a problem).
    pub cell: Option<MatrixCell>,
    pub text: String,
    /// Whether this finding makes `--check` fail.
    pub fails: bool,
    /// A difference in a cell whose deviation from the docs is recorded (and accepted).
    pub accepted: bool,
}

/// What `--check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub os: String,
    pub lines: Vec<CheckLine>,
}

impl Check {
    /// Some finding is a difference from the docs that no deviation accepts.
    pub fn failed(&self) -> bool {
        self.lines.iter().any(|l| l.fails)
    }

    /// Only the findings about one driver.
    pub fn for_driver(&self, driver: &str) -> Check {
        Check {
            os: self.os.clone(),
            lines: self
                .lines
                .iter()
                .filter(|l| l.driver == driver)
                .cloned()
                .collect(),
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            let _ = writeln!(out, "{}", l.text);
        }
        let failing = self.lines.iter().filter(|l| l.fails).count();
        let accepted = self.lines.iter().filter(|l| l.accepted).count();
        if failing == 0 {
            let _ = writeln!(
                out,
                "check on {}: no difference from the docs that fails ({accepted} accepted deviation(s))",
                self.os
            );
        } else {
            let _ = writeln!(
                out,
                "check on {}: {failing} difference(s) from the docs ({accepted} accepted deviation(s))",
                self.os
            );
        }
        out
    }
}

fn describe(reachable: bool, mechs: &[Mechanism]) -> String {
    match (reachable, mechs.is_empty()) {
        (true, true) => "reachable".into(),
        (true, false) => format!("reachable via {}", list(mechs)),
        (false, true) => "not reachable".into(),
        (false, false) => format!("not reachable, after {}", list(mechs)),
    }
}

/// A deviation's reason with its source, as `--check` prints it.
fn because(d: &Deviation) -> String {
    format!("{} ({})", d.why, d.source)
}

/// Compares the simulated table with the documented one, cell by cell. A difference fails
/// unless the cell's deviation accepts every part that differs: reachability, mechanisms, or
/// both.
pub fn check(m: &Matrix) -> Check {
    let mut lines = Vec::new();
    let dir = m.dir.trim_end_matches('/');
    for row in &m.drivers {
        let line = |cell: Option<MatrixCell>, text: String, fails: bool| CheckLine {
            driver: row.driver.clone(),
            cell,
            text,
            fails,
            accepted: false,
        };
        let documented = m.expected.driver(&row.driver).is_some();
        if !row.simulated() {
            lines.push(line(
                None,
                format!(
                    "{}: not simulated (no {dir}/{}.ron)",
                    row.driver, row.driver
                ),
                documented,
            ));
            continue;
        }
        if !documented {
            lines.push(line(
                None,
                format!(
                    "{}: not in {dir}/{EXPECTED_FILE}; nothing to compare with",
                    row.driver
                ),
                false,
            ));
        }
        for p in &row.problems {
            lines.push(line(
                None,
                format!("{}: problem in the run: {p}", row.driver),
                false,
            ));
        }
        for cell in MatrixCell::ALL {
            let Some(e) = m.expectation(&row.driver, cell) else {
                continue;
            };
            let at = format!("{}/{}", row.driver, cell.key());
            let r = row.cell(cell);
            let simulated = match r.reachable() {
                None => format!("not probed (no Probe has `cell: Some({cell:?})`)"),
                Some(reachable) => {
                    let mut s = describe(reachable, &r.mechanisms);
                    let miss = missing(&e.mechanisms, &r.mechanisms);
                    if reachable && !miss.is_empty() {
                        let _ = write!(s, " (not seen: {})", list(&miss));
                    }
                    s
                }
            };
            // Mechanisms are compared only where the packet got through.
            let reach_differs = r.reachable() != Some(e.reachable);
            let mechs_differ = r.reachable && !missing(&e.mechanisms, &r.mechanisms).is_empty();
            let expected = describe(e.reachable, &e.mechanisms);
            if r.reachable().is_none() {
                // A missing probe is a gap in the scenario, never a deviation of the software.
                lines.push(line(
                    Some(cell),
                    format!("{at}: expected {expected}, simulated: {simulated}"),
                    true,
                ));
                continue;
            }
            let differs = format!("{at}: expected {expected}, simulated: {simulated}");
            match (Accepts::needed(reach_differs, mechs_differ), &e.deviation) {
                (None, None) => {}
                (None, Some(d)) => lines.push(line(
                    Some(cell),
                    format!(
                        "{at}: matches the docs, although a deviation of {} is recorded: {}",
                        d.accepts.name(),
                        because(d)
                    ),
                    false,
                )),
                (Some(_), None) => lines.push(line(Some(cell), differs, true)),
                (Some(needed), Some(d)) if d.accepts.covers(needed) => lines.push(CheckLine {
                    accepted: true,
                    ..line(
                        Some(cell),
                        format!(
                            "{differs} (accepted deviation of {}: {})",
                            d.accepts.name(),
                            because(d)
                        ),
                        false,
                    )
                }),
                // The deviation accepts something else: what it does not name still fails.
                (Some(needed), Some(d)) => {
                    let uncovered = Accepts::needed(
                        needed.reachability() && !d.accepts.reachability(),
                        needed.mechanisms() && !d.accepts.mechanisms(),
                    )
                    .unwrap_or(needed);
                    lines.push(line(
                        Some(cell),
                        format!(
                            "{differs} (the recorded deviation accepts {}, not a difference in {}: {})",
                            d.accepts.name(),
                            uncovered.name(),
                            because(d)
                        ),
                        true,
                    ))
                }
            }
        }
    }
    Check {
        os: m.os.cli_name(),
        lines,
    }
}

/// `--check` as JUnit XML: one test case per driver and documented cell (it fails when a
/// finding about that cell fails), and one per driver-wide finding that fails.
pub fn junit(m: &Matrix, check: &Check) -> String {
    use crate::sim::machine::xml;
    let suite = xml(&format!("matrix {}", check.os));
    let mut cases = String::new();
    let (mut tests, mut failures) = (0, 0);
    let mut case = |name: String, failure: Option<String>| {
        tests += 1;
        let _ = write!(
            cases,
            "    <testcase classname=\"{suite}\" name=\"{}\"",
            xml(&name)
        );
        match failure {
            Some(f) => {
                failures += 1;
                let _ = writeln!(
                    cases,
                    ">\n      <failure message=\"{0}\">{0}</failure>\n    </testcase>",
                    xml(&f)
                );
            }
            None => cases.push_str("/>\n"),
        }
    };
    for row in &m.drivers {
        for l in check
            .lines
            .iter()
            .filter(|l| l.driver == row.driver && l.cell.is_none() && l.fails)
        {
            case(row.driver.clone(), Some(l.text.clone()));
        }
        for cell in MatrixCell::ALL {
            if m.expectation(&row.driver, cell).is_none() {
                continue;
            }
            let failed: Vec<&str> = check
                .lines
                .iter()
                .filter(|l| l.driver == row.driver && l.cell == Some(cell) && l.fails)
                .map(|l| l.text.as_str())
                .collect();
            case(
                format!("{}/{}", row.driver, cell.key()),
                (!failed.is_empty()).then(|| failed.join("; ")),
            );
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hnsim\" tests=\"{tests}\" failures=\"{failures}\">\n  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::version::WindowsVersion;
    use crate::matrix::expected;
    use std::collections::BTreeMap;

    /// Drivers `a` and `b`, documented alike; `b`'s same_host_same_subnet cell has a
    /// deviation that accepts `accepts` (`Mechanisms`, `Reachability` or `Both`).
    fn matrix_accepting(accepts: &str, rows: Vec<DriverRow>) -> Matrix {
        let cell = |reachable: bool, mechs: &str, extra: &str| {
            format!("(reachable: {reachable}, mechanisms: [{mechs}], docs: \"words\"{extra})")
        };
        let driver = |name: &str, ss: String| {
            let c = cell(true, "\"vswitch-bridged\"", "");
            format!(
                "(driver: \"{name}\", cells: (same_host_same_subnet: {ss}, same_host_cross_subnet: {c}, \
                 to_external: {c}, cross_host_same_subnet: {c}, cross_host_cross_subnet: {c}))"
            )
        };
        let text = format!(
            "(drivers: [{}, {}])",
            driver("a", cell(true, "\"winnat\"", "")),
            driver(
                "b",
                cell(
                    true,
                    "\"winnat\"",
                    &format!(
                        ", deviation: Some((accepts: {accepts}, why: \"known\", source: \"reference 6\"))"
                    )
                )
            ),
        );
        Matrix {
            os: WindowsVersion::Server2022.into(),
            dir: "m".into(),
            drivers: rows,
            expected: expected::parse("m/expected.ron", &text).expect("parses"),
        }
    }

    fn matrix(rows: Vec<DriverRow>) -> Matrix {
        matrix_accepting("Both", rows)
    }

    /// A simulated row: every cell reachable via vswitch-bridged, except `ss` for
    /// same_host_same_subnet (`None`: not probed).
    fn row(name: &str, ss: Option<CellResult>) -> DriverRow {
        let mut cells = BTreeMap::new();
        for c in MatrixCell::ALL {
            cells.insert(
                c,
                CellResult {
                    probes: 1,
                    reachable: true,
                    mechanisms: vec![Mechanism::VswitchBridged],
                },
            );
        }
        match ss {
            Some(r) => cells.insert(MatrixCell::SameHostSameSubnet, r),
            None => cells.remove(&MatrixCell::SameHostSameSubnet),
        };
        DriverRow {
            driver: name.into(),
            file: Some(format!("m/{name}.ron")),
            cells,
            problems: Vec::new(),
            limit_hit: None,
        }
    }

    fn via(reachable: bool, mechs: &[Mechanism]) -> Option<CellResult> {
        Some(CellResult {
            probes: 1,
            reachable,
            mechanisms: mechs.to_vec(),
        })
    }

    #[test]
    fn check_fails_on_differences_and_accepts_deviations() {
        let ok = via(true, &[Mechanism::HostRouted, Mechanism::Winnat]);
        let m = matrix(vec![row("a", ok.clone()), row("b", ok)]);
        assert_eq!(check(&m).lines.len(), 1, "{:?}", check(&m));
        assert!(
            !check(&m).failed(),
            "a deviation that matches is only noted"
        );

        let m = matrix(vec![row("a", via(false, &[])), row("b", via(false, &[]))]);
        let c = check(&m);
        assert!(c.failed());
        assert_eq!(
            c.lines[0].text,
            "a/same_host_same_subnet: expected reachable via [winnat], simulated: not reachable"
        );
        assert!(c.lines[0].fails && !c.lines[0].accepted);
        assert!(!c.lines[1].fails && c.lines[1].accepted);
        assert!(c.lines[1]
            .text
            .ends_with("(accepted deviation of reachability and mechanisms: known (reference 6))"));
        assert!(!c.for_driver("b").failed());

        // Reachable, but without the mechanism the docs imply.
        let m = matrix(vec![
            row("a", via(true, &[Mechanism::VswitchBridged])),
            row("b", None),
        ]);
        let c = check(&m);
        assert_eq!(
            c.lines[0].text,
            "a/same_host_same_subnet: expected reachable via [winnat], simulated: reachable via [vswitch-bridged] (not seen: [winnat])"
        );
        // A cell no probe covers fails even where a deviation is recorded.
        assert!(c.lines[1].fails, "{:?}", c.lines[1]);
        assert!(c.lines[1].text.contains("not probed"));
    }

    /// Issue 9, item 13: a deviation about how the packet goes must not hide that it no
    /// longer arrives, nor the other way round.
    #[test]
    fn a_deviation_accepts_only_what_it_names() {
        let unreachable = || row("b", via(false, &[Mechanism::VswitchBridged]));
        let other_way = || row("b", via(true, &[Mechanism::VswitchBridged]));
        let lost_and_other_way = |accepts| {
            let m = matrix_accepting(accepts, vec![unreachable()]);
            check(&m)
        };

        let c = lost_and_other_way("Mechanisms");
        assert!(c.failed(), "{}", c.render());
        assert_eq!(
            c.lines[0].text,
            "b/same_host_same_subnet: expected reachable via [winnat], simulated: not reachable, \
             after [vswitch-bridged] (the recorded deviation accepts mechanisms, not a difference \
             in reachability: known (reference 6))"
        );
        assert!(c.lines[0].fails && !c.lines[0].accepted);
        assert!(c.render().ends_with(
            "check on windows-server-2022: 1 difference(s) from the docs (0 accepted deviation(s))\n"
        ));
        for accepts in ["Reachability", "Both"] {
            let c = lost_and_other_way(accepts);
            assert!(!c.failed(), "{accepts}: {}", c.render());
            assert!(c.lines[0].accepted, "{accepts}");
        }

        // Reachable as documented, but not by the documented way.
        let c = check(&matrix_accepting("Reachability", vec![other_way()]));
        assert!(c.failed(), "{}", c.render());
        assert!(c.lines[0].text.ends_with(
            "(the recorded deviation accepts reachability, not a difference in mechanisms: known (reference 6))"
        ));
        let c = check(&matrix_accepting("Mechanisms", vec![other_way()]));
        assert!(!c.failed() && c.lines[0].accepted, "{}", c.render());

        // A deviation that is not needed is only noted, whatever it accepts.
        let ok = via(true, &[Mechanism::Winnat]);
        let c = check(&matrix_accepting("Reachability", vec![row("b", ok)]));
        assert!(!c.failed());
        assert_eq!(
            c.lines[0].text,
            "b/same_host_same_subnet: matches the docs, although a deviation of reachability is recorded: known (reference 6)"
        );
    }

    #[test]
    fn missing_and_undocumented_drivers() {
        let mut absent = row("b", None);
        absent.file = None;
        absent.cells.clear();
        let m = matrix(vec![
            row("a", via(true, &[Mechanism::Winnat])),
            absent,
            row("extra", None),
        ]);
        let c = check(&m);
        let texts: Vec<&str> = c.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "b: not simulated (no m/b.ron)",
                "extra: not in m/expected.ron; nothing to compare with",
            ]
        );
        assert!(c.lines[0].fails && !c.lines[1].fails);
        let t = text(&m);
        assert!(t.contains("| b            | not simulated "), "{t}");
        // The cell wraps in its column: the words, then the mechanisms beneath.
        assert!(t.contains("| yes: words        |"), "{t}");
        assert!(t.contains("| [winnat]          |"), "{t}");
        assert!(
            t.contains("Not simulated (no m/<driver>.ron yet): b"),
            "{t}"
        );
        let j = json(&m);
        assert!(j.contains("\"reachable\": null"), "{j}");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(
            wrap("yes: bridged in the vSwitch", 12),
            ["yes: bridged", "in the", "vSwitch"]
        );
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("C→C same host", 8), ["C→C same", "host"]);
        assert_eq!(wrap("[sdn-host-policy],", 12), ["[sdn-host-", "policy],"]);
    }
}
