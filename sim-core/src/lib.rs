//! sim-core: the hnsim model.
//!
//! See ARCHITECTURE.md at the repository root for the codemap and the invariants.

pub mod docker;
pub mod rng;
pub mod scenario;
pub mod time;
pub mod wire;
