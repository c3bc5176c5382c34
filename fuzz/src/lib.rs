//! What the fuzz targets share: each target is a bin in `src/bin/` that hands AFL++'s input
//! to one entry point of sim-core and lets any panic crash the process (AFL counts it).
//! The entry points live here, one per target.

use sim_core::scenario;
use sim_core::sim::report;

/// The scenario loader: parse and validate any text; every outcome but a panic is fine.
pub fn load_scenario(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match scenario::load_str("fuzz.ron", &text) {
        Ok(loaded) => drop(loaded),
        Err(diags) => drop(scenario::diag::render(&diags)),
    }
}

/// The docker command-line parser, as both CLI releases parse a line.
pub fn parse_docker_line(data: &[u8]) {
    let line = String::from_utf8_lossy(data);
    for release in [
        sim_core::docker::cli::CliRelease::Current,
        sim_core::docker::cli::CliRelease::V20_10,
    ] {
        let _ = sim_core::docker::cli::parse_with(&line, release);
    }
}

/// The frame decoders: the full parse and both views.
pub fn decode_frame(data: &[u8]) {
    let _ = sim_core::wire::parse(data);
    let _ = sim_core::wire::View::parse(data);
    let _ = sim_core::wire::View::parse_link(data);
}

/// Most events one fuzzed run may take; scenario files can ask for millions, which would
/// make one execution take seconds.
const MAX_EVENTS: u64 = 20_000;
/// Most simulated time one fuzzed run may cover.
const MAX_SIM_TIME_MS: u64 = 60_000;

/// A whole run: a scenario that loads is run (within small limits) to its report.
pub fn run_scenario(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(mut loaded) = scenario::load_str("fuzz.ron", &text) else {
        return;
    };
    let limits = &mut loaded.spec.limits;
    limits.max_events = limits.max_events.min(MAX_EVENTS);
    limits.max_sim_time_ms = limits.max_sim_time_ms.min(MAX_SIM_TIME_MS);
    let rep = report::run(&loaded);
    std::hint::black_box(rep.text);
}
