//! The documented connectivity table as data (`scenarios/matrix/expected.ron`).
//!
//! For each driver and each of the five cells: whether the docs say the container reaches
//! the other end, the mechanisms their words imply (a subset of what the simulation must see),
//! the docs' words themselves, optionally an accepted [`Deviation`], and per-version overrides
//! where the docs answer differently on some Windows Server releases or Docker Engine releases
//! (or where a deviation holds only on some of them).
//!
//! A deviation names what it accepts ([`Accepts`]): a different way through (mechanisms), a
//! different answer (reachability), or both. A difference it does not name still fails
//! `--check`, so a deviation about how a packet goes never hides that it stopped arriving.

use super::mechanisms::Mechanism;
use super::Platform;
use crate::control::engine::DockerEngine;
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
    /// prints a difference in such a cell, and fails only on what the deviation does not
    /// accept.
    #[serde(default)]
    pub deviation: Option<Deviation>,
    /// Where the docs (or the deviations) differ on some Windows versions.
    #[serde(default)]
    pub on: Vec<OsCell>,
}

/// A cell on the listed Windows versions (`os`) or Docker Engine releases of a Linux table
/// (`engines`); replaces the whole cell there.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsCell {
    #[serde(default)]
    pub os: Vec<WindowsVersion>,
    #[serde(default)]
    pub engines: Vec<DockerEngine>,
    pub reachable: bool,
    pub mechanisms: Vec<String>,
    pub docs: String,
    #[serde(default)]
    pub deviation: Option<Deviation>,
}

/// What part of a cell a deviation lets differ from the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Accepts {
    /// The packet gets through (or not) as documented, but not by every mechanism the docs'
    /// words imply.
    Mechanisms,
    /// Whether the packet gets through differs from the docs.
    Reachability,
    /// Both of the above.
    Both,
}

impl Accepts {
    pub fn mechanisms(self) -> bool {
        matches!(self, Accepts::Mechanisms | Accepts::Both)
    }

    pub fn reachability(self) -> bool {
        matches!(self, Accepts::Reachability | Accepts::Both)
    }

    /// The smallest `Accepts` that covers the given differences; `None` if nothing differs.
    pub fn needed(reachability: bool, mechanisms: bool) -> Option<Accepts> {
        match (reachability, mechanisms) {
            (false, false) => None,
            (false, true) => Some(Accepts::Mechanisms),
            (true, false) => Some(Accepts::Reachability),
            (true, true) => Some(Accepts::Both),
        }
    }

    /// Whether everything `other` lets differ, this does too.
    pub fn covers(self, other: Accepts) -> bool {
        (self.mechanisms() || !other.mechanisms()) && (self.reachability() || !other.reachability())
    }

    /// How `--check` names it.
    pub fn name(self) -> &'static str {
        match self {
            Accepts::Mechanisms => "mechanisms",
            Accepts::Reachability => "reachability",
            Accepts::Both => "reachability and mechanisms",
        }
    }
}

/// A known difference between the docs and the real software (or hnsim's recorded reading
/// of it), e.g. `(accepts: Mechanisms, why: "...", source: "reference 3.2")`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// What it lets differ.
    pub accepts: Accepts,
    /// Why the real software differs from the docs' words.
    pub why: String,
    /// Where that is written down: a section of the reference (`reference 6`) or a seed
    /// (`seed 000`), optionally with more (`docs/fidelity.md`).
    pub source: String,
}

impl Deviation {
    /// Whether `source` cites a reference section or a seed by number.
    pub fn cites(&self) -> bool {
        let lower = self.source.to_lowercase();
        ["reference ", "seed "].iter().any(|key| {
            lower.match_indices(key).any(|(i, k)| {
                lower[i + k.len()..]
                    .trim_start_matches('§')
                    .starts_with(|c: char| c.is_ascii_digit())
            })
        })
    }
}

/// A cell as documented for one Windows version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub reachable: bool,
    pub mechanisms: Vec<Mechanism>,
    pub docs: String,
    pub deviation: Option<Deviation>,
}

fn mechanisms(names: &[String]) -> Vec<Mechanism> {
    // Names were checked by `parse`; an unknown one cannot get here.
    names
        .iter()
        .filter_map(|n| Mechanism::from_name(n))
        .collect()
}

impl ExpectedCell {
    /// The cell as documented on `os` (a Windows version, or a Linux engine release).
    pub fn on_os(&self, os: impl Into<Platform>) -> Expectation {
        let os = os.into();
        let listed = |o: &&OsCell| match os {
            Platform::Windows(v) => o.os.contains(&v),
            Platform::Linux(e) => o.engines.contains(&e),
        };
        match self.on.iter().find(listed) {
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
            let deviations = c
                .deviation
                .iter()
                .chain(c.on.iter().flat_map(|o| &o.deviation));
            for d in deviations {
                if d.why.trim().is_empty() {
                    problems.push(format!("{at}: a deviation must say why (`why`)"));
                }
                if !d.cites() {
                    problems.push(format!(
                        "{at}: a deviation's `source` must cite a reference section (\"reference 3.2\") or a seed (\"seed 000\"), not {:?}",
                        d.source
                    ));
                }
            }
            for (j, o) in c.on.iter().enumerate() {
                if o.os.is_empty() && o.engines.is_empty() {
                    problems.push(format!("{at}: an `on` entry lists no Windows version (`os`) or Docker Engine release (`engines`)"));
                }
                for os in &o.os {
                    if c.on[..j].iter().any(|p| p.os.contains(os)) {
                        problems.push(format!("{at}: {os:?} has two `on` entries"));
                    }
                }
                for e in &o.engines {
                    if c.on[..j].iter().any(|p| p.engines.contains(e)) {
                        problems.push(format!("{at}: {e:?} has two `on` entries"));
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
            ", on: [(os: [WindowsServer2016], reachable: false, mechanisms: [], docs: \"old\", \
             deviation: Some((accepts: Reachability, why: \"why\", source: \"reference 6\")))]",
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
        let d = old.deviation.expect("a deviation on 2016");
        assert_eq!((d.accepts, d.why.as_str()), (Accepts::Reachability, "why"));
    }

    #[test]
    fn a_deviation_names_what_it_accepts_why_and_where_that_is_written() {
        let with = |dev: &str| file(&cell(&format!(", deviation: Some({dev})")));
        let m = parse(
            "e.ron",
            &with("(accepts: Both, why: \"firewall\", source: \"reference §6, seed 001\")"),
        )
        .expect("parses");
        let d = m.drivers[0].cells.same_host_same_subnet.deviation.clone();
        assert_eq!(d.map(|d| d.accepts), Some(Accepts::Both));
        // The old form, a bare reason, says nothing of what it accepts: refused.
        assert!(parse("e.ron", &with("\"known\"")).is_err());
        assert!(parse("e.ron", &with("(why: \"w\", source: \"reference 6\")")).is_err());
        let e = parse(
            "e.ron",
            &with("(accepts: Mechanisms, why: \" \", source: \"the docs\")"),
        )
        .unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].ends_with("a deviation must say why (`why`)"), "{e:?}");
        assert!(e[1].contains("must cite a reference section"), "{e:?}");
        // Deviations inside `on` entries are checked too.
        let e = parse(
            "e.ron",
            &file(&cell(
                ", on: [(os: [WindowsServer2016], reachable: false, mechanisms: [], docs: \"d\", \
                 deviation: Some((accepts: Reachability, why: \"w\", source: \"seed\")))]",
            )),
        )
        .unwrap_err();
        assert!(e[0].contains("must cite"), "{e:?}");
    }

    #[test]
    fn accepts_covers_what_it_names() {
        use Accepts::*;
        assert_eq!(Accepts::needed(false, false), None);
        assert_eq!(Accepts::needed(true, false), Some(Reachability));
        assert_eq!(Accepts::needed(false, true), Some(Mechanisms));
        assert_eq!(Accepts::needed(true, true), Some(Both));
        assert!(Both.covers(Reachability) && Both.covers(Mechanisms) && Both.covers(Both));
        assert!(Mechanisms.covers(Mechanisms) && !Mechanisms.covers(Reachability));
        assert!(Reachability.covers(Reachability) && !Reachability.covers(Mechanisms));
        assert!(!Mechanisms.covers(Both) && !Reachability.covers(Both));
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
