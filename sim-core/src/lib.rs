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

/// Whether this build of sim-core checks integer overflow (a test asserts it does in the
/// test profile, where the never-panic properties run). Computes `u8::MAX + 1` once, in a
/// panic that it catches.
#[doc(hidden)]
pub fn overflow_checks_on() -> bool {
    let max = std::hint::black_box(u8::MAX);
    std::panic::catch_unwind(|| max + std::hint::black_box(1)).is_err()
}
