//! AFL++ target: see `hnsim_fuzz::run_scenario`.
fn main() {
    afl::fuzz!(|data: &[u8]| hnsim_fuzz::run_scenario(data));
}
