//! Storm watch: notices a broadcast (or multicast) frame that keeps coming back.
//!
//! A switch floods a broadcast out of every port but the one it came in on. With two paths
//! between switches (a cable from a switch to itself, two cables between two switches, a
//! ring), a flooded frame comes back and is flooded again, for ever: a broadcast storm. Real
//! switches prevent it with a spanning tree, and so do hnsim's physical switches set to
//! `spanning_tree: Rstp` (`control::stp`); the others, like an unmanaged switch, do not. The
//! engine notices a storm instead: it counts how often the same group-addressed frame (the
//! same bytes) arrives at the same forwarding port (a switch's, or a port of a bridge in a
//! stack: a host's own interface ends a frame, so a flood's copies to hosts are not counted),
//! and when one port has seen `copies` of it within
//! `WINDOW`, the run stops with a finding that says which switches, which cables, how many
//! copies and in how long.
//!
//! Frames whose destination address has the group bit set are looked at, and traced unicast
//! frames (a probe's): a unicast frame goes round a loop too when no switch on it delivers
//! it (its destination unknown there, so flooded, or learned towards the loop), a *unicast
//! loop*, found the same way and described in the same words. Untraced unicast (an app's
//! traffic, the benchmark's echoes) is not hashed at every hop, which would cost its hot
//! path a hash per hop. Instead each queued frame carries a count of its layer-2 hops
//! (`Event::Arrive::switch_hops`, in the event's padding, not in the bytes): a switch or a
//! bridge that forwards a frame (`Outbox::forward`) passes it on one higher, and a frame an
//! IP layer sends (a new one, an answer, a routed one) starts at 0. Past
//! `UNICAST_LOOP_HOPS`, more switch hops than any loop-free path has, the frame is watched
//! like a traced one, and its loop is the same finding. On the hot path this costs a compare,
//! an add and a few loads and stores; the copies counted start only past the bound, so an
//! untraced loop is found about `UNICAST_LOOP_HOPS` hops later than a traced one. (The count
//! wraps at 65,536 hops, long after a loop was found.)
//! A unicast frame counts only where it arrives from another switch or bridge (a host that
//! sends the same frame again is no loop), and not while a group-addressed frame is coming
//! back: during a broadcast storm the MAC tables learn hosts on the wrong ports and their
//! answers go round too, but the storm is the cause, and it is what the finding names. A
//! legitimate sender repeats a broadcast (an ARP retry)
//! or a unicast frame (a TCP retransmission) at most a few times a second, far below the
//! bound.

use crate::fastmap::FastMap;
use crate::id::{NodeId, PortId};
use crate::time::{SimDuration, SimTime};
use std::collections::BTreeMap;
use std::hash::BuildHasher;

/// The time within which `copies` arrivals at one port make a storm.
pub const WINDOW: SimDuration = SimDuration::from_secs(1);
/// The most layer-2 hops an untraced unicast frame makes between IP layers before the watch
/// looks at it. No loop-free switched path comes near: 802.1D recommends a bridge diameter
/// of at most 7, and a path in hnsim (a vSwitch, a fabric of switches, another vSwitch) has
/// a handful. A frame past it is going round a loop.
pub const UNICAST_LOOP_HOPS: u16 = 64;
/// How many different frames, and how many (frame, port) counts, are watched at once; past
/// either the watch starts afresh (a storm is one frame coming back, so it is seen again at
/// once). A broadcast on a vSwitch with many containers reaches many ports: the second bound
/// keeps the watch small there.
const MAX_WATCHED: usize = 4_096;
const MAX_COUNTS: usize = 1 << 16;

/// Whether a frame is addressed to a group (broadcast or multicast): the first bit sent.
pub fn is_group(bytes: &[u8]) -> bool {
    bytes.first().is_some_and(|b| b & 1 == 1)
}

/// One group-addressed frame, and where it arrived since `first`.
#[derive(Clone, Debug)]
pub struct Sighting {
    pub first: SimTime,
    /// How many times it arrived at each (node, port).
    pub ends: BTreeMap<(NodeId, PortId), u64>,
    /// The frame, as it first arrived.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
pub(super) struct StormWatch {
    seen: FastMap<u64, Sighting>,
    /// The number of (frame, port) counts in `seen`.
    counts: usize,
    /// When a group-addressed frame last arrived again at a port it had reached before.
    group_repeat: Option<SimTime>,
}

impl StormWatch {
    /// Notes that `bytes` (a group-addressed frame) arrived at `end` at `now`. Returns what
    /// was seen of it when this arrival is its `copies`th at `end` within `WINDOW`.
    pub fn saw(
        &mut self,
        now: SimTime,
        end: (NodeId, PortId),
        bytes: &[u8],
        copies: u64,
    ) -> Option<Sighting> {
        let key = rustc_hash::FxBuildHasher.hash_one(bytes);
        if (self.seen.len() >= MAX_WATCHED && !self.seen.contains_key(&key))
            || self.counts >= MAX_COUNTS
        {
            self.seen.clear();
            self.counts = 0;
        }
        let s = self.seen.entry(key).or_insert_with(|| Sighting {
            first: now,
            ends: BTreeMap::new(),
            bytes: bytes.to_vec(),
        });
        if now.since(s.first) > WINDOW || s.bytes != bytes {
            self.counts -= s.ends.len();
            *s = Sighting {
                first: now,
                ends: BTreeMap::new(),
                bytes: bytes.to_vec(),
            };
        }
        let n = s.ends.entry(end).or_insert_with(|| {
            self.counts += 1;
            0
        });
        *n += 1;
        if *n >= 2 && is_group(bytes) {
            self.group_repeat = Some(now);
        }
        (*n >= copies).then(|| s.clone())
    }

    /// Whether a group-addressed frame came back to a port within `WINDOW` before `now`: a
    /// broadcast storm may be under way.
    pub fn group_coming_back(&self, now: SimTime) -> bool {
        self.group_repeat.is_some_and(|t| now.since(t) <= WINDOW)
    }
}

/// The finding in words, as an engineer would put it: what kind of storm, which switches
/// forwarded how many copies of which frame in how long, the cables of the loop, and why.
/// `end` is the port where the bound was reached.
pub(super) fn describe(seen: &Sighting, end: (NodeId, PortId), eng: &super::Engine) -> String {
    let count = |e: &(NodeId, PortId)| seen.ends.get(e).copied().unwrap_or(0);
    let node_name = |n: NodeId| eng.topology().name(n).unwrap_or("?").to_string();
    let port_name = |(n, p): (NodeId, PortId)| {
        eng.device(n)
            .map_or_else(|| format!("port{}", p.0), |d| d.port_name(p))
    };
    let unicast = !is_group(&seen.bytes);
    // A cable is in the loop when the flooded frame kept arriving at both of its ends (a
    // unicast frame goes round one way: at one of its ends).
    let looped: Vec<_> = eng
        .topology()
        .links()
        .filter(|(_, l)| {
            let (a, b) = (count(&l.a) >= 2, count(&l.b) >= 2);
            (a && b) || (unicast && (a || b))
        })
        .map(|(_, l)| (l.name.clone(), l.a, l.b))
        .collect();
    let mut nodes: Vec<NodeId> = looped.iter().flat_map(|(_, a, b)| [a.0, b.0]).collect();
    if nodes.is_empty() {
        nodes.push(end.0);
    }
    nodes.sort_unstable();
    nodes.dedup();
    let names: Vec<String> = nodes.iter().map(|&n| node_name(n)).collect();
    let who = match names.len() {
        1 => format!("switch {}", names[0]),
        _ => format!("switches {}", and_list(&names)),
    };
    let copies: u64 = if looped.is_empty() {
        count(&end)
    } else {
        looped.iter().map(|(_, a, b)| count(a) + count(b)).sum()
    };
    let took = eng.now().since(seen.first);
    let kind = if unicast {
        "unicast loop"
    } else if seen.bytes.starts_with(&[0xff; 6]) {
        "broadcast storm"
    } else {
        "multicast storm"
    };
    let path = if looped.is_empty() {
        format!(
            "the copies keep arriving at {} port {}",
            node_name(end.0),
            port_name(end)
        )
    } else {
        let cables: Vec<String> = looped
            .iter()
            .map(|(name, a, b)| {
                format!(
                    "{} port {} \u{2194} {} port {} (cable {name})",
                    node_name(a.0),
                    port_name(*a),
                    node_name(b.0),
                    port_name(*b)
                )
            })
            .collect();
        format!("the loop is {}", and_list(&cables))
    };
    // What happens to the frame: a flood comes back; a unicast frame that no switch
    // delivers goes round.
    let fate = if unicast {
        format!(
            "a frame for {}, which no switch on the loop delivers (unknown there, so flooded, \
             or learned towards the loop), goes round for ever: an Ethernet frame has no hop \
             count",
            mac_words(&seen.bytes)
        )
    } else {
        "a flooded frame comes back for ever".to_string()
    };
    // Spanning tree breaks a loop only where every switch in it runs it.
    let spanning = |n: &NodeId| {
        eng.device(*n)
            .and_then(|d| d.as_switch())
            .is_some_and(|s| s.config.spanning_tree.is_some())
    };
    let why = if nodes.iter().any(spanning) {
        let without: Vec<String> = nodes
            .iter()
            .filter(|n| !spanning(n))
            .map(|&n| node_name(n))
            .collect();
        let (runs, it) = if without.len() == 1 {
            ("runs", "it")
        } else {
            ("run", "them")
        };
        format!(
            "{} {runs} no spanning tree: the other switches' spanning tree cannot block a loop \
             that passes through {it}, so {fate}",
            and_list(&without)
        )
    } else {
        format!("the switches run no spanning tree, so {fate}")
    };
    format!(
        "{kind}: {who} forwarded {} copies of {} in {}; {path}; no loop prevention \
         ({why})",
        thousands(copies),
        frame_words(&seen.bytes),
        took_words(took),
    )
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// 50000 as `50,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration as a person reads it: `3 ms`, `0.4 ms`, `1.2 s`.
fn took_words(d: SimDuration) -> String {
    let us = d.as_nanos() / 1_000;
    if us >= 1_000_000 {
        format!("{}.{} s", us / 1_000_000, us % 1_000_000 / 100_000)
    } else if us >= 10_000 {
        format!("{} ms", us / 1_000)
    } else {
        format!("{}.{} ms", us / 1_000, us % 1_000 / 100)
    }
}

/// The destination MAC of a frame, `02:00:00:00:00:02`.
fn mac_words(f: &[u8]) -> String {
    f.get(0..6)
        .map(|m| {
            m.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .unwrap_or_default()
}

/// The frame in a few words: `one ARP request from 10.0.0.2 (who-has 10.0.0.3)`.
fn frame_words(f: &[u8]) -> String {
    // The EtherType, after an 802.1Q tag if there is one.
    let mut at = 12;
    if f.get(12..14) == Some(&[0x81, 0x00]) {
        at = 16;
    }
    let ip = |o: usize| {
        f.get(o..o + 4)
            .map(|b| std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string())
    };
    let arp = at + 2;
    if f.get(at..at + 2) == Some(&[0x08, 0x06]) {
        if let (Some(op), Some(sender), Some(target)) =
            (f.get(arp + 6..arp + 8), ip(arp + 14), ip(arp + 24))
        {
            return match op {
                [0, 1] => format!("one ARP request from {sender} (who-has {target})"),
                [0, 2] => format!("one ARP reply from {sender}"),
                _ => format!("one ARP frame from {sender}"),
            };
        }
    }
    if f.get(at..at + 2) == Some(&[0x08, 0x00]) {
        if let Some(src) = ip(at + 2 + 12) {
            return format!("one IPv4 packet from {src}");
        }
    }
    let mac = f
        .get(6..12)
        .map(|m| {
            m.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .unwrap_or_default();
    format!("one frame from {mac}")
}
