//! `cargo bench --bench engine_events`: the engine alone, on events that do nothing.
//!
//! One switch node with no ports; each round schedules a batch of timers for it (a switch
//! ignores timers) through `Engine::invoke`, then runs them. What is timed is the engine's
//! own cost per event: the push, the pop, the dispatch to the device and the bookkeeping.
//! Two spreads: timers within 200 us (the timing wheel) and within 20 ms (mostly the heap
//! behind it). Target (issue 13): at least 10 million events per second on one core.

use sim_core::device::switch::{Switch, SwitchConfig, UnknownUnicast};
use sim_core::device::{Device, Timer};
use sim_core::engine::{Engine, Limits};
use sim_core::time::{SimDuration, SimTime};
use sim_core::topology::{NodeInfo, NodeKind};
use std::time::Instant;

const BATCH: u64 = 1024;

fn run(rounds: u64, spread_ns: u64) -> (u64, f64) {
    let limits = Limits {
        max_events: u64::MAX,
        max_time: SimTime(u64::MAX / 2),
        ..Limits::default()
    };
    let mut engine = Engine::new(1, limits);
    let config = SwitchConfig::new("sw", true, UnknownUnicast::Flood);
    let node = engine.add_node(
        NodeInfo {
            name: "sw".into(),
            kind: NodeKind::FabricSwitch,
            host: None,
        },
        Device::Switch(Box::new(Switch::new(config))),
    );
    let start = Instant::now();
    for _ in 0..rounds {
        engine.invoke(node, |_, out| {
            for i in 0..BATCH {
                // A fixed scatter over the spread: distinct times, not in order.
                let at = out.now + SimDuration::from_nanos((i * 7_919) % spread_ns);
                out.timer(at, Timer::AppTick(0));
            }
        });
        let until = engine.now() + SimDuration::from_nanos(spread_ns);
        engine.run_until(until, |_| false);
    }
    let wall = start.elapsed().as_secs_f64().max(1e-9);
    assert_eq!(engine.pending_events(), 0, "every timer ran");
    (engine.stats.events, wall)
}

fn main() {
    let quick = std::env::args().skip(1).any(|a| a == "--quick");
    let rounds = if quick { 200 } else { 4_000 };
    for (name, spread) in [("near", 200_000u64), ("far", 20_000_000)] {
        let (events, wall) = run(rounds, spread);
        println!(
            "engine-noop spread={name} events={events} wall_s={wall:.3} events_per_s={:.0}",
            events as f64 / wall
        );
    }
}
