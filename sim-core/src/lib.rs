//! sim-core: the hnsim model.
//!
//! See ARCHITECTURE.md at the repository root for the codemap and the invariants.

pub mod control;
pub mod device;
pub mod docker;
pub mod engine;
pub mod fastmap;
pub mod id;
pub mod log;
pub mod matrix;
pub mod pcapng;
pub mod rng;
pub mod scenario;
pub mod shell;
pub mod sim;
pub mod sym;
#[cfg(test)]
mod testutil;
pub mod time;
pub mod topology;
pub mod wire;
