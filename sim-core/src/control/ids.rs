//! Identifiers that look like the real ones: HNS GUIDs (random, version 4, through the `uuid`
//! crate) and docker's 64-hex-digit ids, drawn from a seeded stream so that runs repeat exactly.

use crate::rng::SimRng;
use uuid::Builder;

/// An upper-case GUID as HNS prints it, e.g. `3F2A9C0D-1E4B-4C7A-9D21-0B8E6F5A4C3D`: two
/// draws, big-endian, as the 16 random bytes of a version-4 UUID.
pub fn guid(rng: &mut SimRng) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rng.next_u64().to_be_bytes());
    bytes[8..].copy_from_slice(&rng.next_u64().to_be_bytes());
    let uuid = Builder::from_random_bytes(bytes).into_uuid();
    format!("{:X}", uuid.hyphenated())
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

    /// The GUIDs of a fixed stream, as the hand-written formatting gave them before `uuid`:
    /// every GUID in every report is unchanged.
    #[test]
    fn guids_of_a_fixed_stream_are_pinned() {
        let mut rng = SimRng::derive(1, "ids");
        let guids: Vec<String> = (0..3).map(|_| guid(&mut rng)).collect();
        assert_eq!(
            guids,
            [
                "8E95BACE-6CE8-4460-A9DD-5F94468D44D9",
                "DE9251DE-D76D-4080-98A7-9E26B51483D9",
                "398FA320-C321-400F-B34B-FEA752B3C378",
            ]
        );
    }
}
