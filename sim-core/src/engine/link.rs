//! A link: latency, bandwidth (serialization delay), a bounded transmit queue, optional loss,
//! and an up/down state. One direction's queue never delays the other direction.
//!
//! A link can also carry an [`Impairment`] set while the run goes on (a scheduled `Impair`
//! step): extra loss, latency and jitter, duplication and reordering, drawn from a stream of
//! its own so that runs stay identical per seed. Without one, a frame pays one branch.
//!
//! The engine keeps its links in [`Links`]: what a frame reads of each one ([`Link`], 32
//! bytes, two links to a cache line) apart from the rest (name, parameters, loss generator,
//! faults), and the few (latency, rate) pairs of a run in a table of their own.

use crate::id::{LinkId, NodeId, PortId};
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

/// What a frame reads of a cable: its ends, state and both directions' queues, in 32 bytes
/// (`repr(C, align(32))`), two links to a cache line. At a thousand containers each link's
/// line is evicted between two of its frames; packed two to a line, a flood's copies read
/// half as many lines, and an echo's two cables (consecutive containers') often share one
/// (issue 13). Its latency and rate are its class's ([`Links`]); the rest is kept apart.
#[derive(Clone, Debug)]
#[repr(C, align(32))]
pub struct Link {
    nodes: [NodeId; 2],
    ports: [PortId; 2],
    pub up: bool,
    /// Whether a frame must read the rest: the link's loss is above zero, or an `Impair`
    /// step set faults.
    rare: bool,
    /// Its (latency, rate) in [`Links`]' table of them.
    class: u16,
    busy_until: [SimTime; 2],
}

impl Link {
    /// Its two ends, as connected.
    #[inline]
    pub fn ends(&self) -> [(NodeId, PortId); 2] {
        [
            (self.nodes[0], self.ports[0]),
            (self.nodes[1], self.ports[1]),
        ]
    }

    /// The end that is not `end` (the second end, if `end` is neither).
    pub fn other_end(&self, end: (NodeId, PortId)) -> (NodeId, PortId) {
        let [a, b] = self.ends();
        if a == end {
            b
        } else {
            a
        }
    }
}

/// A link's latency and rate, shared by every link with the same pair.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Class {
    latency: SimDuration,
    rate_bps: u64,
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

/// The links of a run, by id.
#[derive(Debug)]
pub struct Links {
    hot: Vec<Option<Link>>,
    rest: Vec<Option<LinkRest>>,
    /// Each distinct (latency, rate) of the run's links (a handful: internal cables, and the
    /// fabric's few kinds), indexed by `Link::class`.
    classes: Vec<Class>,
    /// The last serialization time worked out, by (bytes, class), with that class: a
    /// flood's copies leave on links of one class, and a workload's frames are mostly of a
    /// few sizes, so one division (and one table read) serves many frames.
    tx_memo: (usize, u16, SimDuration, Class),
}

impl Default for Links {
    fn default() -> Self {
        Links {
            hot: Vec::new(),
            rest: Vec::new(),
            classes: Vec::new(),
            tx_memo: (
                usize::MAX,
                0,
                SimDuration::ZERO,
                Class {
                    latency: SimDuration::ZERO,
                    rate_bps: 0,
                },
            ),
        }
    }
}

impl Links {
    /// Puts a new link at `id` (a free one), its loss drawn from `rng`.
    pub fn insert(
        &mut self,
        id: LinkId,
        name: String,
        ends: [(NodeId, PortId); 2],
        params: LinkParams,
        rng: SimRng,
    ) {
        let class = Class {
            latency: params.latency,
            rate_bps: params.rate_bps,
        };
        let class = match self.classes.iter().position(|c| *c == class) {
            Some(i) => i as u16,
            None if self.classes.len() < usize::from(UNLISTED) => {
                self.classes.push(class);
                (self.classes.len() - 1) as u16
            }
            None => UNLISTED,
        };
        let link = Link {
            nodes: ends.map(|e| e.0),
            ports: ends.map(|e| e.1),
            up: true,
            rare: params.loss > 0.0,
            class,
            busy_until: [SimTime::ZERO; 2],
        };
        let rest = LinkRest {
            params,
            name,
            rng,
            impairment: None,
        };
        self.place(id, link, rest);
    }

    fn place(&mut self, id: LinkId, link: Link, rest: LinkRest) {
        let i = id.0 as usize;
        if self.hot.len() <= i {
            self.hot.resize_with(i + 1, || None);
            self.rest.resize_with(i + 1, || None);
        }
        self.hot[i] = Some(link);
        self.rest[i] = Some(rest);
    }

    /// Removes link `id`; its ends, if it was there.
    pub fn remove(&mut self, id: LinkId) -> Option<[(NodeId, PortId); 2]> {
        let i = id.0 as usize;
        let link = self.hot.get_mut(i).and_then(Option::take)?;
        self.rest[i] = None;
        Some(link.ends())
    }

    /// Moves link `old` to the free id `new`, now between `ends`: name, parameters, state
    /// and loss stream stay. Nothing happens if there is no link `old`.
    pub fn replug(&mut self, old: LinkId, new: LinkId, ends: [(NodeId, PortId); 2]) {
        let i = old.0 as usize;
        let Some(mut link) = self.hot.get_mut(i).and_then(Option::take) else {
            return;
        };
        let Some(rest) = self.rest[i].take() else {
            return;
        };
        link.nodes = ends.map(|e| e.0);
        link.ports = ends.map(|e| e.1);
        self.place(new, link, rest);
    }

    /// What a frame reads of link `id`.
    #[inline]
    pub fn get(&self, id: LinkId) -> Option<&Link> {
        self.hot.get(id.0 as usize)?.as_ref()
    }

    /// Takes link `id` down or up; its ends, if it is there.
    pub fn set_up(&mut self, id: LinkId, up: bool) -> Option<[(NodeId, PortId); 2]> {
        let l = self.hot.get_mut(id.0 as usize)?.as_mut()?;
        l.up = up;
        Some(l.ends())
    }

    /// Link `id`'s name (empty if there is none).
    pub fn name(&self, id: LinkId) -> &str {
        self.rest_of(id).map_or("", |r| r.name.as_str())
    }

    /// Link `id`'s parameters, if it is there.
    pub fn params(&self, id: LinkId) -> Option<&LinkParams> {
        self.rest_of(id).map(|r| &r.params)
    }

    fn rest_of(&self, id: LinkId) -> Option<&LinkRest> {
        self.rest.get(id.0 as usize)?.as_ref()
    }

    /// Sets link `id`'s impairment (`None`, or one that changes nothing, clears it), its
    /// random draws from `rng`. Whether the link is there.
    pub fn set_impairment(&mut self, id: LinkId, faults: Option<Impairment>, rng: SimRng) -> bool {
        let i = id.0 as usize;
        let (Some(Some(l)), Some(Some(rest))) = (self.hot.get_mut(i), self.rest.get_mut(i)) else {
            return false;
        };
        rest.impairment = faults
            .filter(|f| !f.is_clear())
            .map(|faults| Impaired { faults, rng });
        l.rare = rest.impairment.is_some() || rest.params.loss > 0.0;
        true
    }

    /// Link `id`'s impairment, if one is set.
    pub fn impairment(&self, id: LinkId) -> Option<&Impairment> {
        self.rest_of(id)?.impairment.as_ref().map(|i| &i.faults)
    }

    /// Sends `bytes` bytes on link `id` from its end `from` at `now`; `None` if there is no
    /// such link. Always inlined into the engine's send paths: a call costs a fifth of its
    /// work.
    #[inline(always)]
    pub fn transmit(
        &mut self,
        id: LinkId,
        now: SimTime,
        from: (NodeId, PortId),
        bytes: usize,
    ) -> Option<Transmit> {
        let i = id.0 as usize;
        let Links {
            hot,
            rest,
            classes,
            tx_memo,
        } = self;
        let l = hot[i].as_mut()?;
        if !l.up {
            return Some(Transmit::Down);
        }
        let (tx, class) = if (tx_memo.0, tx_memo.1) == (bytes, l.class) {
            (tx_memo.2, tx_memo.3)
        } else {
            serialization(classes, tx_memo, l.class, rest[i].as_ref()?, bytes)
        };
        let dir = usize::from((l.nodes[0], l.ports[0]) != from);
        // An idle direction (the common case) has no backlog: the frame starts now, and
        // neither the rate nor the queue's limit is read.
        let busy = l.busy_until[dir];
        let start = if busy > now {
            let backlog_ns = busy.since(now).as_nanos();
            if class.rate_bps > 0 {
                let backlog_bytes =
                    (backlog_ns as u128 * class.rate_bps as u128 / 8_000_000_000) as usize;
                // The limit is read only with a backlog: it is off the frame's line.
                if backlog_bytes + bytes > rest[i].as_ref()?.params.queue_limit_bytes {
                    return Some(Transmit::QueueFull);
                }
            }
            busy
        } else {
            now
        };
        l.busy_until[dir] = start + tx;
        let to = (l.nodes[1 - dir], l.ports[1 - dir]);
        let at = start + tx + class.latency;
        if !l.rare {
            return Some(Transmit::Arrives { to, at });
        }
        let rest = rest[i].as_mut()?;
        if rest.params.loss > 0.0 && rest.rng.chance(rest.params.loss) {
            return Some(Transmit::Lost);
        }
        Some(match &mut rest.impairment {
            Some(imp) => imp.apply(to, at),
            None => Transmit::Arrives { to, at },
        })
    }
}

/// What a frame of one size sent at one instant does on an idle link of one class: it is on
/// the wire until `done` and arrives at `at` (`Links::idle_plan`). A flood's copies mostly
/// leave on such links, and `Links::transmit_idle` sends each with this one reckoning.
#[derive(Clone, Copy, Debug)]
pub struct IdlePlan {
    class: u16,
    done: SimTime,
    pub at: SimTime,
}

impl Links {
    /// The plan for frames of `bytes` bytes sent at `now` on idle links of `id`'s class:
    /// `None` for a link that is down, lossy or of an unlisted class (those take `transmit`).
    pub fn idle_plan(&self, id: LinkId, now: SimTime, bytes: usize) -> Option<IdlePlan> {
        let l = self.get(id)?;
        let class = *self.classes.get(usize::from(l.class))?;
        if !l.up || l.rare {
            return None;
        }
        let done = now + SimDuration::transmit_time(bytes, class.rate_bps);
        Some(IdlePlan {
            class: l.class,
            done,
            at: done + class.latency,
        })
    }

    /// `transmit` at `now` of a frame of the size `plan` was made for, on link `id` if it is
    /// up, without loss, of the plan's class and idle in `from`'s direction: the frame
    /// arrives where this returns at `plan.at`, as `transmit` would have it (no backlog, so
    /// no queue limit). `None`, having changed nothing, for any other link (or the free-port
    /// mark, `NodeLinks::get_or_mark`).
    #[inline(always)]
    pub fn transmit_idle(
        &mut self,
        id: LinkId,
        now: SimTime,
        from: (NodeId, PortId),
        plan: IdlePlan,
    ) -> Option<(NodeId, PortId)> {
        let l = self.hot.get_mut(id.0 as usize)?.as_mut()?;
        if !l.up || l.rare || l.class != plan.class {
            return None;
        }
        let dir = usize::from((l.nodes[0], l.ports[0]) != from);
        if l.busy_until[dir] > now {
            return None;
        }
        l.busy_until[dir] = plan.done;
        Some((l.nodes[1 - dir], l.ports[1 - dir]))
    }
}

/// The class of a link whose (latency, rate) came after the table held 65,535 of them: a
/// send reads them from the link's own parameters, and the memo never holds it.
const UNLISTED: u16 = u16::MAX;

/// The serialization time of `bytes` bytes on a link of `class`, and its latency and rate;
/// remembered in `memo` for a listed class, read from `rest`'s parameters for an unlisted
/// one.
#[inline]
fn serialization(
    classes: &[Class],
    memo: &mut (usize, u16, SimDuration, Class),
    class: u16,
    rest: &LinkRest,
    bytes: usize,
) -> (SimDuration, Class) {
    let Some(&listed) = classes.get(usize::from(class)) else {
        let own = Class {
            latency: rest.params.latency,
            rate_bps: rest.params.rate_bps,
        };
        return (SimDuration::transmit_time(bytes, own.rate_bps), own);
    };
    let tx = SimDuration::transmit_time(bytes, listed.rate_bps);
    *memo = (bytes, class, tx, listed);
    (tx, listed)
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

    const ID: LinkId = LinkId(0);

    fn link() -> Links {
        let params = LinkParams {
            latency: SimDuration::from_micros(10),
            rate_bps: 0,
            loss: 0.0,
            queue_limit_bytes: 1 << 20,
        };
        let mut links = Links::default();
        links.insert(
            ID,
            "a<->b".into(),
            [A, B],
            params,
            SimRng::derive(1, "link"),
        );
        links
    }

    /// What a frame reads of a link is 32 bytes, and so is the slot for one
    /// (`Option<Link>`): two to a cache line.
    #[test]
    fn a_link_is_half_a_cache_line() {
        assert_eq!(std::mem::size_of::<Link>(), 32);
        assert_eq!(std::mem::size_of::<Option<Link>>(), 32);
        assert_eq!(std::mem::align_of::<Link>(), 32);
    }

    /// Past 65,535 kinds of link in a run, a new kind's links still pay their own latency
    /// and rate, and the memo of one does not serve another.
    #[test]
    fn a_link_beyond_the_table_of_kinds_pays_its_own_latency_and_rate() {
        let mut links = link();
        let other = Class {
            latency: SimDuration::from_nanos(1),
            rate_bps: 1,
        };
        links.classes.resize(usize::from(UNLISTED), other);
        let ends = [(NodeId(2), PortId(0)), (NodeId(3), PortId(0))];
        for (id, micros) in [(1, 7), (2, 9)] {
            let params = LinkParams {
                latency: SimDuration::from_micros(micros),
                rate_bps: 8_000_000_000,
                loss: 0.0,
                queue_limit_bytes: 1 << 20,
            };
            links.insert(
                LinkId(id),
                String::new(),
                ends,
                params,
                SimRng::derive(1, "l"),
            );
        }
        // Unlisted, unlisted, listed (the memo), and the first unlisted again, 1 ms later.
        let sends = [
            (1, ends[0], 0),
            (2, ends[0], 0),
            (0, A, 0),
            (1, ends[0], 1_000_000),
        ];
        let arrivals: Vec<u64> = sends
            .into_iter()
            .map(
                |(id, from, now)| match links.transmit(LinkId(id), SimTime(now), from, 100) {
                    Some(Transmit::Arrives { at, .. }) => at.as_nanos() - now,
                    _ => panic!("link {id} did not carry the frame"),
                },
            )
            .collect();
        // 100 bytes at 8 Gbit/s take 100 ns; link 0 has no rate.
        assert_eq!(arrivals, [7_100, 9_100, 10_000, 7_100]);
    }

    fn faults(f: impl FnOnce(&mut Impairment)) -> Option<Impairment> {
        let mut i = Impairment::default();
        f(&mut i);
        Some(i)
    }

    /// What each of `n` frames sent at t=0 meets, in words.
    fn fates(l: &mut Links, n: usize) -> Vec<String> {
        (0..n)
            .map(
                |_| match l.transmit(ID, SimTime::ZERO, A, 60).expect("the link") {
                    Transmit::Arrives { at, .. } => format!("at {}", at.as_nanos()),
                    Transmit::ArrivesTwice { at, again, .. } => {
                        format!("twice {} {}", at.as_nanos(), again.as_nanos())
                    }
                    Transmit::LostToImpairment { per_mille } => format!("lost {per_mille}"),
                    Transmit::Down | Transmit::QueueFull | Transmit::Lost => "other".into(),
                },
            )
            .collect()
    }

    #[test]
    fn without_an_impairment_a_frame_pays_only_the_link() {
        let mut l = link();
        assert_eq!(fates(&mut l, 2), ["at 10000", "at 10000"]);
        l.set_impairment(ID, Some(Impairment::default()), SimRng::derive(1, "x"));
        assert!(
            l.impairment(ID).is_none(),
            "a clear impairment sets nothing"
        );
    }

    #[test]
    fn each_fault_does_what_it_says() {
        let mut l = link();
        l.set_impairment(ID, faults(|f| f.loss = 1.0), SimRng::derive(1, "x"));
        assert_eq!(fates(&mut l, 1), ["lost 1000"]);
        l.set_impairment(
            ID,
            faults(|f| f.latency = SimDuration::from_millis(20)),
            SimRng::derive(1, "x"),
        );
        assert_eq!(fates(&mut l, 1), ["at 20010000"]);
        l.set_impairment(ID, faults(|f| f.duplicate = 1.0), SimRng::derive(1, "x"));
        assert_eq!(fates(&mut l, 1), ["twice 10000 10000"]);
        l.set_impairment(ID, faults(|f| f.reorder = 1.0), SimRng::derive(1, "x"));
        assert_eq!(
            fates(&mut l, 1),
            [format!("at {}", 10_000 + REORDER_HOLD.as_nanos())]
        );
        l.set_impairment(
            ID,
            faults(|f| f.jitter = SimDuration::from_millis(5)),
            SimRng::derive(1, "x"),
        );
        for fate in fates(&mut l, 50) {
            let at: u64 = fate.trim_start_matches("at ").parse().expect("arrives");
            assert!((10_000..=5_010_000).contains(&at), "{at}");
        }
        l.set_impairment(ID, None, SimRng::derive(1, "x"));
        assert_eq!(fates(&mut l, 1), ["at 10000"]);
    }

    #[test]
    fn draws_repeat_for_a_stream_and_loss_is_about_its_probability() {
        let run = || {
            let mut l = link();
            l.set_impairment(
                ID,
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
