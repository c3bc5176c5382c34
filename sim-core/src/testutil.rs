//! Small worlds shared by the crate's unit tests.

use crate::device::switch::{PortMode, Switch, SwitchConfig, UnknownUnicast};
use crate::device::Device;
use crate::engine::link::LinkParams;
use crate::engine::{Engine, Limits};
use crate::id::{LinkId, NodeId, PortId};
use crate::time::SimDuration;
use crate::topology::{NodeInfo, NodeKind};

/// Two one-port switches, "a" and "b" (ports `a.p0`, `b.p0`), on the cable "a<->b" (10 us,
/// no serialization delay), recording frames. Returns the engine, the two ends and the link.
pub fn two_switches() -> (Engine, [(NodeId, PortId); 2], LinkId) {
    let mut eng = Engine::new(1, Limits::default());
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
        latency: SimDuration::from_micros(10),
        rate_bps: 0,
        loss: 0.0,
        queue_limit_bytes: 1 << 20,
    };
    let ends = [ends[0], ends[1]];
    let link = eng.connect("a<->b".into(), ends[0], ends[1], params, false);
    eng.record_frames(true);
    (eng, ends, link)
}
