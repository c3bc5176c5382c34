//! Small worlds shared by the crate's unit tests.

use crate::device::switch::{PortMode, Switch, SwitchConfig, UnknownUnicast};
use crate::device::Device;
use crate::engine::link::LinkParams;
use crate::engine::{Engine, Limits};
use crate::id::{LinkId, NodeId, PortId};
use crate::time::SimDuration;
use crate::topology::{NodeInfo, NodeKind};

/// The latency of `switch_pair`'s cable.
pub const LINK_LATENCY: SimDuration = SimDuration::from_micros(10);

/// Two one-port switches, "a" and "b" (ports `a.p0`, `b.p0`), on the cable "a<->b"
/// (`LINK_LATENCY`, no serialization delay), run within `limits`. Returns the engine, the two
/// ends and the link.
pub fn switch_pair(limits: Limits) -> (Engine, [(NodeId, PortId); 2], LinkId) {
    let mut eng = Engine::new(1, limits);
    let mut ends = Vec::new();
    for name in ["a", "b"] {
        let mut sw = Switch::new(SwitchConfig::new(name, true, UnknownUnicast::Flood));
        let port = sw.add_port(format!("{name}.p0"), PortMode::Access(1));
        let info = NodeInfo {
            name: name.into(),
            kind: NodeKind::FabricSwitch,
            host: None,
        };
        ends.push((eng.add_node(info, Device::Switch(Box::new(sw))), port));
    }
    let params = LinkParams {
        latency: LINK_LATENCY,
        rate_bps: 0,
        loss: 0.0,
        queue_limit_bytes: 1 << 20,
    };
    let ends = [ends[0], ends[1]];
    let link = eng.connect("a<->b".into(), ends[0], ends[1], params, false);
    (eng, ends, link)
}

/// `switch_pair` with the default limits, recording frames.
pub fn two_switches() -> (Engine, [(NodeId, PortId); 2], LinkId) {
    let (mut eng, ends, link) = switch_pair(Limits::default());
    eng.record_frames(true);
    (eng, ends, link)
}
