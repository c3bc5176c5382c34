//! AFL++ target: see `hnsim_fuzz::parse_docker_line`.
fn main() {
    afl::fuzz!(|data: &[u8]| hnsim_fuzz::parse_docker_line(data));
}
