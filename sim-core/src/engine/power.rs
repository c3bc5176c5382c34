//! Power: which nodes belong to a container host that lost power (a `HostDown` step).
//!
//! A host's devices are every node whose `NodeInfo::host` names it: its own stack (with its
//! NAT and bridges), its vSwitches, its containers' stacks. While the host is down none of
//! them runs: a frame that arrives at one is dropped naming the host (frames in flight
//! inside the host when it failed, on its internal links or on a cable), a timer that comes
//! due on one waits, and a frame a control-plane call makes one send is dropped. When the
//! host is back, the waiting timers fire at once, in the order they came due; what they
//! were for may have been forgotten by the host's boot, and then they do nothing.
//!
//! The hot path pays one check: `off` is empty while every host has power.

use crate::device::{DropReason, Outbox};
use crate::id::NodeId;
use crate::sym::Sym;

#[derive(Default)]
pub(super) struct Power {
    /// For each node index, the failed host it belongs to. Empty while every host has power.
    off: Vec<Option<Sym>>,
    /// The hosts without power, by name, with their interned names.
    hosts: Vec<(String, Sym)>,
    /// Timers that came due on a node without power, in the order they came due.
    pub held: Vec<(NodeId, u64)>,
}

impl Power {
    /// The failed host `node` belongs to, while it is down.
    #[inline]
    pub fn host_of(&self, node: NodeId) -> Option<Sym> {
        if self.off.is_empty() {
            return None;
        }
        self.off.get(node.0 as usize).copied().flatten()
    }

    /// The interned name of `host` if it is down.
    pub fn down(&self, host: &str) -> Option<Sym> {
        self.hosts.iter().find(|(h, _)| h == host).map(|(_, s)| *s)
    }

    /// Host `host` (interned as `sym`) loses power: `nodes` are its devices, `count` the
    /// number of node ids handed out so far.
    pub fn cut(&mut self, host: &str, sym: Sym, nodes: &[NodeId], count: usize) {
        if self.down(host).is_none() {
            self.hosts.push((host.to_string(), sym));
        }
        if self.off.len() < count {
            self.off.resize(count, None);
        }
        for n in nodes {
            self.off[n.0 as usize] = Some(sym);
        }
    }

    /// A node added while its host is down starts without power too.
    pub fn added(&mut self, node: NodeId, host: Option<&str>) {
        let Some(sym) = host.and_then(|h| self.down(h)) else {
            return;
        };
        let i = node.0 as usize;
        if self.off.len() <= i {
            self.off.resize(i + 1, None);
        }
        self.off[i] = Some(sym);
    }

    /// Host `host` has power again. Returns the timers its nodes held, in the order they
    /// came due.
    pub fn restore(&mut self, host: &str) -> Vec<(NodeId, u64)> {
        let Some(sym) = self.down(host) else {
            return Vec::new();
        };
        self.hosts.retain(|(_, s)| *s != sym);
        for slot in &mut self.off {
            if *slot == Some(sym) {
                *slot = None;
            }
        }
        if self.hosts.is_empty() {
            self.off = Vec::new();
        }
        let (back, still): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(n, _)| self.host_of(*n).is_none());
        self.held = still;
        back
    }
}

/// Drops every frame a device without power was made to send (by a control-plane call),
/// naming its host.
pub(super) fn drop_sends(out: &mut Outbox, host: Sym) {
    out.spill_flood();
    let mut sends = std::mem::take(&mut out.sends);
    for (_, frame) in &sends {
        out.drop_frame(frame, |_| DropReason::HostDown { host });
    }
    sends.clear();
    out.sends = sends;
}

#[cfg(test)]
mod tests {
    use crate::device::switch::{PortMode, Switch, SwitchConfig, UnknownUnicast};
    use crate::device::{Action, Device, DropReason, Frame};
    use crate::engine::link::LinkParams;
    use crate::engine::{Engine, Limits};
    use crate::id::{NodeId, PortId, ProbeId};
    use crate::time::SimDuration;
    use crate::topology::{NodeInfo, NodeKind};

    /// A one-port switch called `name`, of host `host`.
    fn switch(eng: &mut Engine, name: &str, host: Option<&str>) -> NodeId {
        let mut sw = Switch::new(SwitchConfig::new(name, true, UnknownUnicast::Flood));
        sw.add_port(format!("{name}.p0"), PortMode::Access(1));
        let info = NodeInfo {
            name: name.into(),
            kind: NodeKind::FabricSwitch,
            host: host.map(str::to_string),
        };
        eng.add_node(info, Device::Switch(Box::new(sw)))
    }

    fn send(eng: &mut Engine, from: NodeId, probe: u32) {
        eng.invoke(from, |_, out| {
            out.send(PortId(0), Frame::new(vec![0xff; 60], Some(ProbeId(probe))));
        });
    }

    /// The reasons of the drops recorded for `probe`, in words.
    fn drops(eng: &Engine, probe: u32) -> Vec<String> {
        eng.trace()
            .iter()
            .filter(|h| h.probe == ProbeId(probe))
            .filter_map(|h| match &h.action {
                Action::Dropped(r) => Some(r.show(eng.syms()).to_string()),
                _ => None,
            })
            .collect()
    }

    const DOWN: &str = "h1 is down (it failed): a host without power runs nothing";

    #[test]
    fn a_hosts_devices_drop_what_reaches_them_and_send_nothing_until_it_is_back() {
        let mut eng = Engine::new(1, Limits::default());
        let outside = switch(&mut eng, "outside", None);
        let inside = switch(&mut eng, "inside", Some("h1"));
        let params = LinkParams::internal();
        eng.connect(
            "o<->i".into(),
            (outside, PortId(0)),
            (inside, PortId(0)),
            params,
            false,
        );
        let step = SimDuration::from_millis(1);

        // A frame on the wire when the host fails is dropped where it arrives.
        send(&mut eng, outside, 1);
        eng.power_off("h1");
        assert_eq!(eng.unpowered(inside), Some("h1"));
        assert_eq!(eng.unpowered(outside), None);
        eng.run_for(step);
        assert_eq!(drops(&eng, 1), [DOWN]);
        let at = eng
            .trace()
            .iter()
            .find(|h| h.probe == ProbeId(1) && matches!(h.action, Action::Dropped(_)));
        assert_eq!(
            at.map(|h| h.node),
            Some(inside),
            "dropped at the device of the host"
        );

        // What the control plane makes a device of it send goes nowhere.
        let sent = eng.stats.frames_sent;
        send(&mut eng, inside, 2);
        assert_eq!(drops(&eng, 2), [DOWN]);
        assert_eq!(
            eng.stats.frames_sent, sent,
            "nothing was handed to the link"
        );

        // A device added to the host while it is down has no power either.
        let late = switch(&mut eng, "late", Some("h1"));
        assert_eq!(eng.unpowered(late), Some("h1"));

        eng.power_on("h1");
        assert_eq!(eng.unpowered(inside), None);
        assert_eq!(eng.unpowered(late), None);
        send(&mut eng, inside, 3);
        send(&mut eng, outside, 4);
        eng.run_for(step);
        assert!(
            drops(&eng, 3).is_empty() && drops(&eng, 4).is_empty(),
            "{:?}",
            eng.trace()
        );
        assert_eq!(eng.stats.frames_sent, sent + 2);
        assert!(
            !eng.trace()
                .iter()
                .any(|h| h.action == Action::Dropped(DropReason::NodeGone)),
            "every node still exists"
        );
    }
}
