//! `hnsim matrix`: the documented connectivity table, reproduced from simulated packets.
//!
//! For each driver, `<dir>/<driver>.ron` is an ordinary scenario whose `Probe` steps carry a
//! `cell:` tag. [`run`] loads each one, sets every host to the chosen [`Platform`] (a
//! [`WindowsVersion`], or a Linux host with a [`DockerEngine`]; their `--os`/`--engine` and
//! display names are the enums' own), runs it with
//! [`sim::report::run_observed`](crate::sim::report::run_observed), and for each tagged
//! probe records whether it was delivered and which [`Mechanism`]s its trace shows. The
//! documented table (`<dir>/expected.ron`, see [`expected`]) gives the rows, their order and
//! the docs' words; [`render`] prints the table (text or JSON) and compares it with the docs.
//!
//! Nothing here forwards a frame or knows a driver: the mechanisms come from the hops alone.
//!
//! The Windows table lives in `scenarios/matrix/`, the Linux one (bridge, host and none, from
//! seed 004 and reference linux-drivers.md section 5.1) in `scenarios/matrix/linux/`
//! ([`default_dir`]).

pub mod expected;
pub mod mechanisms;
pub mod render;

pub use expected::{Expectation, ExpectedMatrix};
pub use mechanisms::Mechanism;

use crate::control::engine::DockerEngine;
use crate::control::version::WindowsVersion;
use crate::control::HostOs;
use crate::device::Outcome;
use crate::scenario::{self, Diagnostic, MatrixCell, StepSpec};
use crate::sim::report;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file in the matrix directory that holds the documented table.
pub const EXPECTED_FILE: &str = "expected.ron";

/// What every host of a matrix scenario runs: a Windows Server release, or Linux with a
/// Docker Engine release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Windows(WindowsVersion),
    Linux(DockerEngine),
}

impl From<WindowsVersion> for Platform {
    fn from(v: WindowsVersion) -> Self {
        Platform::Windows(v)
    }
}

impl From<DockerEngine> for Platform {
    fn from(e: DockerEngine) -> Self {
        Platform::Linux(e)
    }
}

impl Platform {
    /// The host OS a scenario's hosts are set to.
    pub fn host_os(self) -> HostOs {
        match self {
            Platform::Windows(v) => HostOs::Windows(v),
            Platform::Linux(engine) => HostOs::Linux { engine },
        }
    }

    /// How the command line names it: `windows-server-2022`, or `linux --engine v29`.
    pub fn cli_name(self) -> String {
        match self {
            Platform::Windows(v) => v.cli_name(),
            Platform::Linux(e) => format!("linux --engine {}", e.cli_name()),
        }
    }

    /// How reports name it: `Windows Server 2022`, or `Linux, Docker Engine 29`.
    pub fn display_name(self) -> String {
        match self {
            Platform::Windows(v) => v.display_name().to_string(),
            Platform::Linux(e) => format!("Linux, {}", e.display_name()),
        }
    }
}

/// Where `hnsim matrix` finds a platform's scenarios when `--dir` is not given.
pub fn default_dir(os: Platform) -> &'static str {
    match os {
        Platform::Windows(_) => "scenarios/matrix",
        Platform::Linux(_) => "scenarios/matrix/linux",
    }
}

/// What the simulation saw for one cell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CellResult {
    /// How many probes carried this cell's tag. With none, the cell was not probed.
    pub probes: usize,
    /// Every tagged probe was delivered. Meaningless when `probes` is 0.
    pub reachable: bool,
    /// The mechanisms the tagged probes' traces show, in the order first seen.
    pub mechanisms: Vec<Mechanism>,
}

impl CellResult {
    /// `Some(reachable)`, or `None` when no probe carried the tag.
    pub fn reachable(&self) -> Option<bool> {
        (self.probes > 0).then_some(self.reachable)
    }
}

/// One row of the simulated table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverRow {
    pub driver: String,
    /// The scenario file, as a path under the matrix directory; `None` if it does not exist
    /// (the driver is "not simulated").
    pub file: Option<String>,
    pub cells: BTreeMap<MatrixCell, CellResult>,
    /// What went wrong in the run: failed expectations, failed docker commands, probes that
    /// could not start, a run limit.
    pub problems: Vec<String>,
    /// Set if the run hit `max_events` or `max_sim_time`.
    pub limit_hit: Option<String>,
}

impl DriverRow {
    pub fn simulated(&self) -> bool {
        self.file.is_some()
    }

    /// The cell's result (an unprobed cell if nothing carried its tag).
    pub fn cell(&self, cell: MatrixCell) -> CellResult {
        self.cells.get(&cell).cloned().unwrap_or_default()
    }
}

/// The simulated table for one platform, with the documented one beside it.
#[derive(Debug, Clone)]
pub struct Matrix {
    pub os: Platform,
    /// The matrix directory as given (it appears in the output).
    pub dir: String,
    pub drivers: Vec<DriverRow>,
    pub expected: ExpectedMatrix,
}

impl Matrix {
    /// The documented cell of a driver on this matrix's platform.
    pub fn expectation(&self, driver: &str, cell: MatrixCell) -> Option<Expectation> {
        self.expected
            .driver(driver)
            .map(|d| d.cells.get(cell).on_os(self.os))
    }
}

/// Why the matrix could not be built: bad input, nothing ran.
#[derive(Debug, Clone)]
pub enum MatrixError {
    /// The directory or `expected.ron` cannot be read, or `expected.ron` is wrong.
    Expected(Vec<String>),
    /// A driver's scenario file does not load.
    Scenario(Vec<Diagnostic>),
}

impl std::fmt::Display for MatrixError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MatrixError::Expected(problems) => f.write_str(&problems.join("\n")),
            MatrixError::Scenario(diags) => f.write_str(&scenario::render(diags)),
        }
    }
}

/// The path `dir/name`, written with `/` so that output is the same on every platform.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The files a matrix is built from: `expected.ron` and one scenario per driver, each as
/// (file name for messages, text). A driver of `expected.ron` without a scenario has `None`.
#[derive(Debug, Clone)]
pub struct MatrixFiles {
    /// The directory as it appears in the output.
    pub dir: String,
    pub expected: (String, String),
    pub drivers: Vec<(String, Option<(String, String)>)>,
}

/// The drivers to show: those of `expected.ron` in its order, then the other scenarios
/// (`available`), sorted by name.
fn driver_order(expected: &ExpectedMatrix, available: &[String]) -> Vec<String> {
    let mut names: Vec<String> = expected.drivers.iter().map(|d| d.driver.clone()).collect();
    let mut extra: Vec<String> = available
        .iter()
        .filter(|n| format!("{n}.ron") != EXPECTED_FILE && !names.contains(n))
        .cloned()
        .collect();
    extra.sort();
    names.extend(extra);
    names
}

/// The `<name>.ron` files of a directory, by name.
fn scenario_names(dir: &Path) -> Result<Vec<String>, MatrixError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| MatrixError::Expected(vec![format!("cannot read {}: {e}", dir.display())]))?;
    Ok(entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "ron"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect())
}

/// Reads and checks `<dir>/expected.ron`.
pub fn load_expected(dir: &str) -> Result<ExpectedMatrix, MatrixError> {
    let file = join(dir, EXPECTED_FILE);
    let text = std::fs::read_to_string(&file)
        .map_err(|e| MatrixError::Expected(vec![format!("cannot read {file}: {e}")]))?;
    expected::parse(&file, &text).map_err(MatrixError::Expected)
}

/// Reads the matrix files of `dir`.
pub fn read_dir(dir: &str) -> Result<MatrixFiles, MatrixError> {
    let file = join(dir, EXPECTED_FILE);
    let text = std::fs::read_to_string(&file)
        .map_err(|e| MatrixError::Expected(vec![format!("cannot read {file}: {e}")]))?;
    let expected = expected::parse(&file, &text).map_err(MatrixError::Expected)?;
    let mut drivers = Vec::new();
    for name in driver_order(&expected, &scenario_names(Path::new(dir))?) {
        let path = join(dir, &format!("{name}.ron"));
        let scenario = if PathBuf::from(&path).is_file() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| MatrixError::Expected(vec![format!("cannot read {path}: {e}")]))?;
            Some((path, text))
        } else {
            None
        };
        drivers.push((name, scenario));
    }
    Ok(MatrixFiles {
        dir: dir.to_string(),
        expected: (file, text),
        drivers,
    })
}

/// The matrix files built into hnsim (those of [`default_dir`]), so that `hnsim matrix` works
/// from any directory. `tests/it/matrix.rs` checks that they are the files in `scenarios/`.
pub fn builtin(os: Platform) -> MatrixFiles {
    let dir = default_dir(os);
    let (expected, scenarios) = match os {
        Platform::Windows(_) => builtin::WINDOWS,
        Platform::Linux(_) => builtin::LINUX,
    };
    let available: Vec<String> = scenarios.iter().map(|(n, _)| n.to_string()).collect();
    // The built-in expected.ron is tested to parse; an error would show in the run below.
    let order = expected::parse(&join(dir, EXPECTED_FILE), expected)
        .map(|e| driver_order(&e, &available))
        .unwrap_or(available);
    let drivers = order
        .into_iter()
        .map(|name| {
            let text = scenarios
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| (join(dir, &format!("{name}.ron")), t.to_string()));
            (name, text)
        })
        .collect();
    MatrixFiles {
        dir: dir.to_string(),
        expected: (join(dir, EXPECTED_FILE), expected.to_string()),
        drivers,
    }
}

/// The matrix directories' files, compiled in.
pub mod builtin {
    /// `expected.ron`, then each driver's scenario by name.
    pub type Files = (&'static str, &'static [(&'static str, &'static str)]);

    pub const WINDOWS: Files = (
        include_str!("../../../scenarios/matrix/expected.ron"),
        &[
            (
                "l2bridge",
                include_str!("../../../scenarios/matrix/l2bridge.ron"),
            ),
            (
                "l2tunnel",
                include_str!("../../../scenarios/matrix/l2tunnel.ron"),
            ),
            ("nat", include_str!("../../../scenarios/matrix/nat.ron")),
            (
                "overlay",
                include_str!("../../../scenarios/matrix/overlay.ron"),
            ),
            (
                "transparent",
                include_str!("../../../scenarios/matrix/transparent.ron"),
            ),
        ],
    );

    pub const LINUX: Files = (
        include_str!("../../../scenarios/matrix/linux/expected.ron"),
        &[
            (
                "bridge",
                include_str!("../../../scenarios/matrix/linux/bridge.ron"),
            ),
            (
                "host",
                include_str!("../../../scenarios/matrix/linux/host.ron"),
            ),
            (
                "none",
                include_str!("../../../scenarios/matrix/linux/none.ron"),
            ),
            (
                "user-bridge",
                include_str!("../../../scenarios/matrix/linux/user-bridge.ron"),
            ),
        ],
    );
}

/// Runs every driver's matrix scenario in `dir` on `os` and collects the table.
pub fn run(dir: &str, os: impl Into<Platform>) -> Result<Matrix, MatrixError> {
    run_files(read_dir(dir)?, os)
}

/// Runs the built-in matrix of `os` (the files of [`default_dir`], compiled in).
pub fn run_builtin(os: impl Into<Platform>) -> Result<Matrix, MatrixError> {
    let os = os.into();
    run_files(builtin(os), os)
}

/// Runs every driver's scenario of `files` on `os` and collects the table.
pub fn run_files(files: MatrixFiles, os: impl Into<Platform>) -> Result<Matrix, MatrixError> {
    let os = os.into();
    let (expected_file, expected_text) = &files.expected;
    let expected = expected::parse(expected_file, expected_text).map_err(MatrixError::Expected)?;
    let mut drivers = Vec::new();
    let mut diags = Vec::new();
    for (name, scenario) in files.drivers {
        let Some((file, text)) = scenario else {
            drivers.push(DriverRow {
                driver: name,
                file: None,
                cells: BTreeMap::new(),
                problems: Vec::new(),
                limit_hit: None,
            });
            continue;
        };
        match scenario::load_str(&file, &text) {
            Ok(loaded) => drivers.push(run_driver(&name, loaded, os)),
            Err(d) => diags.extend(d),
        }
    }
    if !diags.is_empty() {
        return Err(MatrixError::Scenario(diags));
    }
    Ok(Matrix {
        os,
        dir: files.dir,
        drivers,
        expected,
    })
}

/// Sets every host of a loaded scenario to `os`, as `--os` (and `--engine`) do for each
/// matrix scenario.
pub fn set_os(loaded: &mut scenario::LoadedScenario, os: impl Into<Platform>) {
    let os = os.into().host_os();
    for h in &mut loaded.spec.fabric.hosts {
        h.os = os;
    }
}

/// Runs one loaded matrix scenario with every host set to `os`.
pub fn run_driver(
    driver: &str,
    mut loaded: scenario::LoadedScenario,
    os: impl Into<Platform>,
) -> DriverRow {
    set_os(&mut loaded, os);
    let steps = loaded.spec.steps.clone();
    let mut cells: BTreeMap<MatrixCell, CellResult> = BTreeMap::new();
    let rep = report::run_observed(&loaded, false, &mut |world, i, probe| {
        let Some(StepSpec::Probe {
            cell: Some(cell), ..
        }) = steps.get(i)
        else {
            return;
        };
        let seen = mechanisms::seen(world.engine.topology(), world.engine.syms(), &probe.hops);
        let c = cells.entry(*cell).or_default();
        c.reachable = (c.probes == 0 || c.reachable) && probe.outcome == Outcome::Delivered;
        c.probes += 1;
        for m in seen {
            if !c.mechanisms.contains(&m) {
                c.mechanisms.push(m);
            }
        }
    });
    let mut problems = rep.failures;
    if let Some(l) = &rep.limit_hit {
        problems.push(format!(
            "the run hit its {l} limit; the remaining steps did not run"
        ));
    }
    DriverRow {
        driver: driver.to_string(),
        file: Some(loaded.file.clone()),
        cells,
        problems,
        limit_hit: rep.limit_hit,
    }
}
