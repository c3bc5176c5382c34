//! A link: latency, bandwidth (serialization delay), a bounded transmit queue, optional loss,
//! and an up/down state. One direction's queue never delays the other direction.
//!
//! A link can also carry an [`Impairment`] set while the run goes on (a scheduled `Impair`
//! step): extra loss, latency and jitter, duplication and reordering, drawn from a stream of
//! its own so that runs stay identical per seed. Without one, a frame pays one branch.

use crate::id::{NodeId, PortId};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use serde::Serialize;

/// The physical properties of a link, as plain data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkParams {
    pub latency: SimDuration,
    /// Bits per second; 0 means no serialization delay.
    pub rate_bps: u64,
    /// Probability of losing each frame, 0.0 to 1.0.
    pub loss: f64,
    /// How many bytes may wait in each direction's transmit queue.
    pub queue_limit_bytes: usize,
}

impl LinkParams {
    /// A virtual cable inside a host (vNIC to vSwitch port): fast and lossless.
    pub fn internal() -> Self {
        LinkParams {
            latency: SimDuration::from_micros(1),
            rate_bps: 10_000_000_000,
            loss: 0.0,
            queue_limit_bytes: 1 << 20,
        }
    }
}

/// A cable: one cache line (`repr(C, align(64))`) holding all that a frame reads, its
/// state, ends, timing and whether anything rarer applies (loss, faults); the rest, its
/// name, loss generator and faults, is boxed apart. At a thousand containers each link's
/// line is evicted between two of its frames, so a frame costs one miss here, not two
/// (issue 13).
#[derive(Debug)]
#[repr(C, align(64))]
pub struct Link {
    pub up: bool,
    /// Whether `params.loss` is above zero: only then does a frame draw.
    lossy: bool,
    /// Whether an `Impair` step set faults: only then does a frame read them.
    impaired: bool,
    pub ends: [(NodeId, PortId); 2],
    busy_until: [SimTime; 2],
    latency: SimDuration,
    rate_bps: u64,
    rest: Box<LinkRest>,
}

/// What a frame on a lossless, unimpaired link never reads.
#[derive(Debug)]
struct LinkRest {
    params: LinkParams,
    name: String,
    rng: SimRng,
    /// Faults set by an `Impair` step; `None` (the default) costs one branch per frame.
    impairment: Option<Impaired>,
}

/// Faults on a link while the run goes on, as an `Impair` step sets them. Probabilities are
/// 0.0 to 1.0 and apply to each frame, in each direction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Impairment {
    /// Probability of losing a frame.
    pub loss: f64,
    /// Delay added to every frame.
    pub latency: SimDuration,
    /// Up to this much more delay, drawn uniformly per frame (frames can then overtake each
    /// other, as on a real jittery path).
    pub jitter: SimDuration,
    /// Probability of a frame arriving twice.
    pub duplicate: f64,
    /// Probability of a frame being held back by [`REORDER_HOLD`], so that frames sent after
    /// it arrive first.
    pub reorder: f64,
}

/// How long a reordered frame is held back on top of its delay.
pub const REORDER_HOLD: SimDuration = SimDuration::from_millis(1);

impl Impairment {
    /// Whether it changes nothing (what `Impair(link: "x")` with no fault sets: a clear).
    pub fn is_clear(&self) -> bool {
        *self == Impairment::default()
    }

    /// The loss probability in thousandths, as a trace names it.
    pub fn loss_per_mille(&self) -> u16 {
        (self.loss.clamp(0.0, 1.0) * 1000.0).round() as u16
    }
}

/// An impairment with its own random stream.
#[derive(Debug)]
struct Impaired {
    faults: Impairment,
    rng: SimRng,
}

/// What happened to a frame handed to a link.
pub enum Transmit {
    /// It will arrive at `to` at `at`.
    Arrives {
        to: (NodeId, PortId),
        at: SimTime,
    },
    Down,
    QueueFull,
    Lost,
    /// Lost to the link's loss impairment (probability in thousandths).
    LostToImpairment {
        per_mille: u16,
    },
    /// It will arrive at `to` twice (duplicated by the link's impairment): at `at` and at
    /// `again`.
    ArrivesTwice {
        to: (NodeId, PortId),
        at: SimTime,
        again: SimTime,
    },
}

impl Link {
    pub fn new(name: String, ends: [(NodeId, PortId); 2], params: LinkParams, rng: SimRng) -> Self {
        Link {
            up: true,
            lossy: params.loss > 0.0,
            impaired: false,
            ends,
            busy_until: [SimTime::ZERO; 2],
            latency: params.latency,
            rate_bps: params.rate_bps,
            rest: Box::new(LinkRest {
                params,
                name,
                rng,
                impairment: None,
            }),
        }
    }

    pub fn name(&self) -> &str {
        &self.rest.name
    }

    pub fn params(&self) -> &LinkParams {
        &self.rest.params
    }

    /// Bits per second (`params().rate_bps`, kept on the frame's line).
    #[inline]
    pub fn rate_bps(&self) -> u64 {
        self.rate_bps
    }

    /// Sets the link's impairment (`None`, or one that changes nothing, clears it). Its random
    /// draws come from `rng`.
    pub fn set_impairment(&mut self, faults: Option<Impairment>, rng: SimRng) {
        self.rest.impairment = faults
            .filter(|f| !f.is_clear())
            .map(|faults| Impaired { faults, rng });
        self.impaired = self.rest.impairment.is_some();
    }

    /// The link's impairment, if one is set.
    pub fn impairment(&self) -> Option<&Impairment> {
        self.rest.impairment.as_ref().map(|i| &i.faults)
    }

    /// Sends `bytes` bytes from the end `from` at `now`.
    pub fn transmit(&mut self, now: SimTime, from: (NodeId, PortId), bytes: usize) -> Transmit {
        let tx = SimDuration::transmit_time(bytes, self.rate_bps);
        self.transmit_timed(now, from, bytes, tx)
    }

    /// `transmit`, with the frame's serialization time on this link, `tx`, already known
    /// (`SimDuration::transmit_time(bytes, rate_bps())`: a flood's copies share it).
    /// Always inlined into the engine's send paths: a call costs a fifth of its work.
    #[inline(always)]
    pub fn transmit_timed(
        &mut self,
        now: SimTime,
        from: (NodeId, PortId),
        bytes: usize,
        tx: SimDuration,
    ) -> Transmit {
        debug_assert_eq!(tx, SimDuration::transmit_time(bytes, self.rate_bps));
        if !self.up {
            return Transmit::Down;
        }
        let dir = usize::from(self.ends[0] != from);
        let start = self.busy_until[dir].max(now);
        let backlog_ns = start.since(now).as_nanos();
        if self.rate_bps > 0 && backlog_ns > 0 {
            let backlog_bytes =
                (backlog_ns as u128 * self.rate_bps as u128 / 8_000_000_000) as usize;
            if backlog_bytes + bytes > self.rest.params.queue_limit_bytes {
                return Transmit::QueueFull;
            }
        }
        self.busy_until[dir] = start + tx;
        if self.lossy {
            let rest = &mut *self.rest;
            if rest.rng.chance(rest.params.loss) {
                return Transmit::Lost;
            }
        }
        let to = self.ends[1 - dir];
        let at = start + tx + self.latency;
        if !self.impaired {
            return Transmit::Arrives { to, at };
        }
        match &mut self.rest.impairment {
            Some(imp) => imp.apply(to, at),
            None => Transmit::Arrives { to, at },
        }
    }
}

impl Impaired {
    /// What the faults do to a frame that would arrive at `to` at `at`. The draws are made in
    /// a fixed order, each only when its fault is set, so a run is the same for a seed.
    fn apply(&mut self, to: (NodeId, PortId), at: SimTime) -> Transmit {
        let f = &self.faults;
        if f.loss > 0.0 && self.rng.chance(f.loss) {
            return Transmit::LostToImpairment {
                per_mille: f.loss_per_mille(),
            };
        }
        let mut at = at + f.latency;
        if f.jitter.as_nanos() > 0 {
            at = at + SimDuration::from_nanos(self.rng.below(f.jitter.as_nanos() + 1));
        }
        if f.reorder > 0.0 && self.rng.chance(f.reorder) {
            at = at + REORDER_HOLD;
        }
        if f.duplicate > 0.0 && self.rng.chance(f.duplicate) {
            return Transmit::ArrivesTwice { to, at, again: at };
        }
        Transmit::Arrives { to, at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: (NodeId, PortId) = (NodeId(0), PortId(0));
    const B: (NodeId, PortId) = (NodeId(1), PortId(0));

    fn link() -> Link {
        let params = LinkParams {
            latency: SimDuration::from_micros(10),
            rate_bps: 0,
            loss: 0.0,
            queue_limit_bytes: 1 << 20,
        };
        Link::new("a<->b".into(), [A, B], params, SimRng::derive(1, "link"))
    }

    /// A link is one cache line, and so is the engine's slot for one (`Option<Link>`).
    #[test]
    fn a_link_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Link>(), 64);
        assert_eq!(std::mem::size_of::<Option<Link>>(), 64);
        assert_eq!(std::mem::align_of::<Link>(), 64);
    }

    fn faults(f: impl FnOnce(&mut Impairment)) -> Option<Impairment> {
        let mut i = Impairment::default();
        f(&mut i);
        Some(i)
    }

    /// What each of `n` frames sent at t=0 meets, in words.
    fn fates(l: &mut Link, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| match l.transmit(SimTime::ZERO, A, 60) {
                Transmit::Arrives { at, .. } => format!("at {}", at.as_nanos()),
                Transmit::ArrivesTwice { at, again, .. } => {
                    format!("twice {} {}", at.as_nanos(), again.as_nanos())
                }
                Transmit::LostToImpairment { per_mille } => format!("lost {per_mille}"),
                Transmit::Down | Transmit::QueueFull | Transmit::Lost => "other".into(),
            })
            .collect()
    }

    #[test]
    fn without_an_impairment_a_frame_pays_only_the_link() {
        let mut l = link();
        assert_eq!(fates(&mut l, 2), ["at 10000", "at 10000"]);
        l.set_impairment(Some(Impairment::default()), SimRng::derive(1, "x"));
        assert!(l.impairment().is_none(), "a clear impairment sets nothing");
    }

    #[test]
    fn each_fault_does_what_it_says() {
        let mut l = link();
        l.set_impairment(faults(|f| f.loss = 1.0), SimRng::derive(1, "x"));
        assert_eq!(fates(&mut l, 1), ["lost 1000"]);
        l.set_impairment(
            faults(|f| f.latency = SimDuration::from_millis(20)),
            SimRng::derive(1, "x"),
        );
        assert_eq!(fates(&mut l, 1), ["at 20010000"]);
        l.set_impairment(faults(|f| f.duplicate = 1.0), SimRng::derive(1, "x"));
        assert_eq!(fates(&mut l, 1), ["twice 10000 10000"]);
        l.set_impairment(faults(|f| f.reorder = 1.0), SimRng::derive(1, "x"));
        assert_eq!(
            fates(&mut l, 1),
            [format!("at {}", 10_000 + REORDER_HOLD.as_nanos())]
        );
        l.set_impairment(
            faults(|f| f.jitter = SimDuration::from_millis(5)),
            SimRng::derive(1, "x"),
        );
        for fate in fates(&mut l, 50) {
            let at: u64 = fate.trim_start_matches("at ").parse().expect("arrives");
            assert!((10_000..=5_010_000).contains(&at), "{at}");
        }
        l.set_impairment(None, SimRng::derive(1, "x"));
        assert_eq!(fates(&mut l, 1), ["at 10000"]);
    }

    #[test]
    fn draws_repeat_for_a_stream_and_loss_is_about_its_probability() {
        let run = || {
            let mut l = link();
            l.set_impairment(
                faults(|f| {
                    f.loss = 0.3;
                    f.duplicate = 0.1;
                    f.jitter = SimDuration::from_micros(100);
                }),
                SimRng::derive(7, "impair"),
            );
            fates(&mut l, 1000)
        };
        let (a, b) = (run(), run());
        assert_eq!(a, b);
        let lost = a.iter().filter(|f| f.starts_with("lost 300")).count();
        assert!((230..370).contains(&lost), "{lost} of 1000 lost at 30%");
        assert!(a.iter().any(|f| f.starts_with("twice")));
    }
}
