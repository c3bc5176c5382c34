//! Identifiers that look like the real ones: HNS GUIDs and docker's 64-hex-digit ids,
//! drawn from a seeded stream so that runs repeat exactly.

use crate::rng::SimRng;

/// An upper-case GUID as HNS prints it, e.g. `3F2A9C0D-1E4B-4C7A-9D21-0B8E6F5A4C3D`.
pub fn guid(rng: &mut SimRng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        ((a as u16) & 0x0fff) | 0x4000,
        ((b >> 48) as u16 & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// A docker object id: 64 lower-case hex digits.
pub fn docker_id(rng: &mut SimRng) -> String {
    (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let mut rng = SimRng::derive(1, "ids");
        let g = guid(&mut rng);
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "4");
        let d = docker_id(&mut rng);
        assert_eq!(d.len(), 64);
        assert!(d
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
