//! The configuration the control plane compiled, printed as RON: HNS objects per host, then
//! every device's configuration. This is exactly the data the generic devices forward by.

use super::world::World;
use crate::device::Device;
use std::fmt::Write;

fn ron<T: serde::Serialize>(value: &T) -> String {
    let cfg = ron::ser::PrettyConfig::new()
        .depth_limit(6)
        .indentor("  ".to_string());
    ron::ser::to_string_pretty(value, cfg).unwrap_or_else(|e| format!("(cannot print: {e})"))
}

pub fn dump(world: &World) -> String {
    let mut out = String::new();
    for h in &world.hosts {
        let _ = writeln!(out, "host {} ({}):", h.name, h.version.display_name());
        let _ = writeln!(out, "  HNS networks: {}", ron(&h.hns.networks));
        let _ = writeln!(out, "  HNS endpoints: {}", ron(&h.hns.endpoints));
    }
    for (id, info) in world.engine.topology().nodes() {
        let _ = write!(out, "device {} ({:?}): ", info.name, info.kind);
        match world.engine.device(id) {
            Some(Device::Switch(s)) => out.push_str(&ron(&s.config)),
            Some(Device::Stack(s)) => out.push_str(&ron(&s.config)),
            None => out.push_str("(removed)"),
        }
        out.push('\n');
    }
    out
}
