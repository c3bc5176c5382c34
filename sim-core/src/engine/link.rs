//! A link: latency, bandwidth (serialization delay), a bounded transmit queue, optional loss,
//! and an up/down state. One direction's queue never delays the other direction.

use crate::id::{NodeId, PortId};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use serde::Serialize;

/// The physical properties of a link, as plain data. (`repr(C)`: what every frame reads,
/// latency and rate, comes first.)
#[derive(Clone, Debug, PartialEq, Serialize)]
#[repr(C)]
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

/// A cable. Laid out (`repr(C)`) so that what every frame reads, its state, ends and timing,
/// shares the first cache line; the loss generator, used only on lossy links, is boxed.
#[derive(Debug)]
#[repr(C)]
pub struct Link {
    pub up: bool,
    pub ends: [(NodeId, PortId); 2],
    busy_until: [SimTime; 2],
    rng: Box<SimRng>,
    pub params: LinkParams,
    pub name: String,
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
}

impl Link {
    pub fn new(name: String, ends: [(NodeId, PortId); 2], params: LinkParams, rng: SimRng) -> Self {
        Link {
            up: true,
            ends,
            busy_until: [SimTime::ZERO; 2],
            rng: Box::new(rng),
            params,
            name,
        }
    }

    /// Sends `bytes` bytes from the end `from` at `now`.
    pub fn transmit(&mut self, now: SimTime, from: (NodeId, PortId), bytes: usize) -> Transmit {
        if !self.up {
            return Transmit::Down;
        }
        let dir = usize::from(self.ends[0] != from);
        let start = self.busy_until[dir].max(now);
        let backlog_ns = start.since(now).as_nanos();
        let tx = SimDuration::transmit_time(bytes, self.params.rate_bps);
        if self.params.rate_bps > 0 && backlog_ns > 0 {
            let backlog_bytes =
                (backlog_ns as u128 * self.params.rate_bps as u128 / 8_000_000_000) as usize;
            if backlog_bytes + bytes > self.params.queue_limit_bytes {
                return Transmit::QueueFull;
            }
        }
        self.busy_until[dir] = start + tx;
        if self.params.loss > 0.0 && self.rng.chance(self.params.loss) {
            return Transmit::Lost;
        }
        Transmit::Arrives {
            to: self.ends[1 - dir],
            at: start + tx + self.params.latency,
        }
    }
}
