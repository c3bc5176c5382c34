//! AFL++ target: see `hnsim_fuzz::decode_frame`.
fn main() {
    afl::fuzz!(|data: &[u8]| hnsim_fuzz::decode_frame(data));
}
