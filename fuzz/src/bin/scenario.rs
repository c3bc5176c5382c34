//! AFL++ target: see `hnsim_fuzz::load_scenario`.
fn main() {
    afl::fuzz!(|data: &[u8]| hnsim_fuzz::load_scenario(data));
}
