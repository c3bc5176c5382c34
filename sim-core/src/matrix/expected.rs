//! The documented connectivity table as data (`scenarios/matrix/expected.ron`).
//!
//! For each driver and each of the five cells: whether the docs say the container reaches
//! the other end, the mechanisms their words imply (a subset of what the simulation must see),
//! the docs' words themselves, optionally an accepted deviation, and per-version overrides
//! where the docs answer differently on some Windows Server releases.

use super::mechanisms::Mechanism;
use crate::control::version::WindowsVersion;
use crate::scenario::MatrixCell;
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedMatrix {
    /// In the docs' row order.
    pub drivers: Vec<ExpectedDriver>,
}

/// One row of the docs' table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedDriver {
    /// The docker driver name (`-d nat`), which is also the scenario file's name.
    pub driver: String,
    /// The docs' "Typical uses" column.
    #[serde(default)]
    pub typical_use: String,
    pub cells: ExpectedCells,
}

/// The five columns, named as in `hnsim matrix --format json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCells {
    pub same_host_same_subnet: ExpectedCell,
    pub same_host_cross_subnet: ExpectedCell,
    pub to_external: ExpectedCell,
    pub cross_host_same_subnet: ExpectedCell,
    pub cross_host_cross_subnet: ExpectedCell,
}

impl ExpectedCells {
    pub fn get(&self, cell: MatrixCell) -> &ExpectedCell {
        match cell {
            MatrixCell::SameHostSameSubnet => &self.same_host_same_subnet,
            MatrixCell::SameHostCrossSubnet => &self.same_host_cross_subnet,
            MatrixCell::ToExternal => &self.to_external,
            MatrixCell::CrossHostSameSubnet => &self.cross_host_same_subnet,
            MatrixCell::CrossHostCrossSubnet => &self.cross_host_cross_subnet,
        }
    }
}

/// One cell as documented, for every Windows version unless `on` says otherwise.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCell {
    pub reachable: bool,
    /// Mechanism names (`"vswitch-bridged"`, ...) the docs' words imply. The simulation must
    /// see at least these; it may see more.
    pub mechanisms: Vec<String>,
    /// The docs' words for the cell.
    pub docs: String,
    /// A documented, accepted difference between the docs and the real software. `--check`
    /// prints a difference in such a cell but does not fail on it.
    #[serde(default)]
    pub deviation: Option<String>,
    /// Where the docs answer differently on some Windows versions.
    #[serde(default)]
    pub on: Vec<OsCell>,
}

/// A cell on the listed Windows versions; replaces the whole cell there.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsCell {
    pub os: Vec<WindowsVersion>,
    pub reachable: bool,
    pub mechanisms: Vec<String>,
    pub docs: String,
    #[serde(default)]
    pub deviation: Option<String>,
}

/// A cell as documented for one Windows version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub reachable: bool,
    pub mechanisms: Vec<Mechanism>,
    pub docs: String,
    pub deviation: Option<String>,
}

fn mechanisms(names: &[String]) -> Vec<Mechanism> {
    // Names were checked by `parse`; an unknown one cannot get here.
    names
        .iter()
        .filter_map(|n| Mechanism::from_name(n))
        .collect()
}

impl ExpectedCell {
    /// The cell as documented on `os`.
    pub fn on_os(&self, os: WindowsVersion) -> Expectation {
        match self.on.iter().find(|o| o.os.contains(&os)) {
            Some(o) => Expectation {
                reachable: o.reachable,
                mechanisms: mechanisms(&o.mechanisms),
                docs: o.docs.clone(),
                deviation: o.deviation.clone(),
            },
            None => Expectation {
                reachable: self.reachable,
                mechanisms: mechanisms(&self.mechanisms),
                docs: self.docs.clone(),
                deviation: self.deviation.clone(),
            },
        }
    }
}

impl ExpectedMatrix {
    pub fn driver(&self, name: &str) -> Option<&ExpectedDriver> {
        self.drivers.iter().find(|d| d.driver == name)
    }
}

/// Parses and checks the expected table. Errors name the file and, for syntax, the position.
pub fn parse(file: &str, text: &str) -> Result<ExpectedMatrix, Vec<String>> {
    let m: ExpectedMatrix = ron::from_str(text).map_err(|e| {
        vec![format!(
            "{file}:{}:{}: {}",
            e.span.start.line, e.span.start.col, e.code
        )]
    })?;
    let mut problems = Vec::new();
    for (i, d) in m.drivers.iter().enumerate() {
        if d.driver.trim().is_empty() {
            problems.push(format!("{file}: driver #{} has an empty name", i + 1));
        }
        if m.drivers[..i].iter().any(|o| o.driver == d.driver) {
            problems.push(format!("{file}: driver {:?} is listed twice", d.driver));
        }
        for cell in MatrixCell::ALL {
            let c = d.cells.get(cell);
            let at = format!("{file}: {}/{}", d.driver, cell.key());
            let lists = std::iter::once(&c.mechanisms).chain(c.on.iter().map(|o| &o.mechanisms));
            for name in lists.flatten() {
                if Mechanism::from_name(name).is_none() {
                    let known: Vec<&str> = Mechanism::ALL.iter().map(|m| m.name()).collect();
                    problems.push(format!(
                        "{at}: unknown mechanism {name:?}; the mechanisms are {}",
                        known.join(", ")
                    ));
                }
            }
            for (j, o) in c.on.iter().enumerate() {
                if o.os.is_empty() {
                    problems.push(format!("{at}: an `on` entry lists no Windows version"));
                }
                for os in &o.os {
                    if c.on[..j].iter().any(|p| p.os.contains(os)) {
                        problems.push(format!("{at}: {os:?} has two `on` entries"));
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(m)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(extra: &str) -> String {
        format!("(reachable: true, mechanisms: [\"vswitch-bridged\"], docs: \"bridged\"{extra})")
    }

    fn file(driver_cell: &str) -> String {
        let c = cell("");
        format!(
            "(drivers: [(driver: \"nat\", cells: (same_host_same_subnet: {driver_cell}, \
             same_host_cross_subnet: {c}, to_external: {c}, cross_host_same_subnet: {c}, \
             cross_host_cross_subnet: {c}))])"
        )
    }

    #[test]
    fn per_os_overrides_replace_the_cell() {
        let text = file(&cell(
            ", on: [(os: [WindowsServer2016], reachable: false, mechanisms: [], docs: \"old\", deviation: Some(\"why\"))]",
        ));
        let m = parse("e.ron", &text).expect("parses");
        let c = m.drivers[0].cells.get(MatrixCell::SameHostSameSubnet);
        let new = c.on_os(WindowsVersion::Server2022);
        assert!(new.reachable);
        assert_eq!(new.mechanisms, [Mechanism::VswitchBridged]);
        assert_eq!(new.deviation, None);
        let old = c.on_os(WindowsVersion::Server2016);
        assert!(!old.reachable);
        assert!(old.mechanisms.is_empty());
        assert_eq!(old.docs, "old");
        assert_eq!(old.deviation.as_deref(), Some("why"));
    }

    #[test]
    fn unknown_mechanisms_and_syntax_errors_are_reported() {
        let text = file("(reachable: true, mechanisms: [\"bridged\"], docs: \"x\")");
        let e = parse("e.ron", &text).unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("e.ron: nat/same_host_same_subnet: unknown mechanism \"bridged\""));
        let e = parse("e.ron", "(drivers: [(driver: \"nat\")])").unwrap_err();
        assert!(e[0].starts_with("e.ron:1:"), "{e:?}");
    }
}
