//! The simulated world: a scenario's fabric and hosts built on the engine, and its steps run
//! one by one into a report.

pub mod bench;
pub mod build;
pub mod config_dump;
pub mod diff;
pub mod machine;
pub mod path;
pub mod report;
pub mod scheduled;
pub mod world;

pub use world::{ProbeResult, World};
