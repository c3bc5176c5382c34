//! Simulated time: integer nanoseconds since the start of a run.
//!
//! Owns `SimTime` and `SimDuration`. Nothing here (or anywhere in sim-core) reads the
//! wall clock: only the engine advances `SimTime`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in simulated time, in nanoseconds since the run started.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimDuration(pub u64);

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub const fn from_nanos(ns: u64) -> Self {
        SimDuration(ns)
    }
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us.saturating_mul(1_000))
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms.saturating_mul(1_000_000))
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(1_000_000_000))
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Serialization delay of `bytes` on a link of `rate_bps` bits per second,
    /// rounded up to the next nanosecond. A rate of zero means "infinitely fast".
    pub fn transmit_time(bytes: usize, rate_bps: u64) -> Self {
        if rate_bps == 0 {
            return SimDuration::ZERO;
        }
        // u64 is exact for any frame (bytes < 2^31); u128 only for absurd sizes.
        match (bytes as u64).checked_mul(8_000_000_000) {
            Some(bits) => SimDuration(bits.div_ceil(rate_bps)),
            None => {
                let bits = (bytes as u128) * 8 * 1_000_000_000;
                SimDuration(bits.div_ceil(rate_bps as u128).min(u64::MAX as u128) as u64)
            }
        }
    }
}

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Adds a duration, saturating at the end of representable time.
    pub fn plus(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
    /// The time elapsed since `earlier`, or zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl std::ops::Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        self.plus(d)
    }
}

/// Renders as seconds with microsecond precision, e.g. `1.000250s`, the form traces use.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0 / 1_000;
        write!(f, "{}.{:06}s", us / 1_000_000, us % 1_000_000)
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        if ns >= 1_000_000 && ns.is_multiple_of(1_000) {
            write!(f, "{}.{:03}ms", ns / 1_000_000, (ns / 1_000) % 1_000)
        } else if ns >= 1_000 && ns.is_multiple_of(1_000) {
            write!(f, "{}us", ns / 1_000)
        } else {
            write!(f, "{ns}ns")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transmit_time_rounds_up() {
        // 64 bytes at 1 Gbit/s is 512 ns exactly; at 3 bit/s it is a long time, rounded up.
        assert_eq!(
            SimDuration::transmit_time(64, 1_000_000_000),
            SimDuration(512)
        );
        assert_eq!(SimDuration::transmit_time(1, 3), SimDuration(2_666_666_667));
        assert_eq!(SimDuration::transmit_time(1500, 0), SimDuration::ZERO);
    }

    #[test]
    fn display_forms() {
        assert_eq!(SimTime(1_000_250_000).to_string(), "1.000250s");
        assert_eq!(SimDuration::from_micros(50).to_string(), "50us");
        assert_eq!(SimDuration::from_millis(2).to_string(), "2.000ms");
    }
}
