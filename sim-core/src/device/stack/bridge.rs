//! Bridges inside a stack: the way a Linux bridge device lives in its network namespace.
//!
//! Owns the forwarding database of each bridge (learned MACs, aged lazily), bridging between
//! a bridge's ports, flooding, the hairpin setting of a port, the netfilter hooks bridged
//! IPv4 frames go through (br_netfilter), and the bridge's own interface: a frame for the
//! bridge's MAC (or a broadcast) goes up to it, and what the stack sends out of it is
//! bridged. Because the bridge is part of the stack, the namespace's one ruleset and one
//! connection table see bridged and routed packets alike, as the kernel's do.

use super::config::{BridgeConfig, BridgePort};
use super::interface::{iface, Interface, Local};
use crate::device::action::Action;
use crate::device::rules::hook::{Passage, Ports, Verdict};
use crate::device::rules::Hook;
use crate::device::{DropReason, Frame, Outbox};
use crate::fastmap::FastMap;
use crate::id::PortId;
use crate::time::SimTime;
use crate::wire::{MacAddr, View};

/// The forwarding databases of a stack's bridges.
#[derive(Debug, Default)]
pub struct Fdb {
    /// (bridge, MAC) → the port it was last seen on, and when.
    entries: FastMap<u64, (PortId, SimTime)>,
}

fn key(bridge: PortId, mac: MacAddr) -> u64 {
    let MacAddr(a, b, c, d, e, f) = mac;
    u64::from_be_bytes([0, 0, a, b, c, d, e, f]) | (u64::from(bridge.0) << 48)
}

impl Fdb {
    fn learn(&mut self, bridge: PortId, mac: MacAddr, port: PortId, now: SimTime) {
        if !mac.is_multicast() {
            self.entries.insert(key(bridge, mac), (port, now));
        }
    }

    /// Where `mac` was seen on `bridge`, unless the entry aged out.
    fn lookup(
        &self,
        cfg: BridgeConfig,
        bridge: PortId,
        mac: MacAddr,
        now: SimTime,
    ) -> Option<PortId> {
        let (port, seen) = *self.entries.get(&key(bridge, mac))?;
        (now.since(seen) <= cfg.ageing).then_some(port)
    }

    /// What the bridges learned and still know at `now`, as (bridge, MAC, port), sorted
    /// (`bridge fdb`). `ageing` gives each bridge's ageing time.
    pub fn learned(
        &self,
        now: SimTime,
        ageing: impl Fn(PortId) -> Option<BridgeConfig>,
    ) -> Vec<(PortId, MacAddr, PortId)> {
        let mut all: Vec<(PortId, MacAddr, PortId)> = self
            .entries
            .iter()
            .filter_map(|(k, (port, seen))| {
                let bridge = PortId((k >> 48) as u16);
                let cfg = ageing(bridge)?;
                let b = k.to_be_bytes();
                let mac = MacAddr::new(b[2], b[3], b[4], b[5], b[6], b[7]);
                (now.since(*seen) <= cfg.ageing).then_some((bridge, mac, *port))
            })
            .collect();
        all.sort_by_key(|(b, m, p)| (*b, *p, m.0, m.1, m.2, m.3, m.4, m.5));
        all
    }

    /// Forgets everything learned on `port` (the port went away).
    pub fn forget_port(&mut self, port: PortId) {
        self.entries.retain(|_, (p, _)| *p != port);
    }
}

impl Interface<'_> {
    /// The bridge's configuration and MAC, if `bridge` is a bridge's own interface.
    fn bridge_of(&self, bridge: PortId) -> Option<(BridgeConfig, MacAddr)> {
        let ifc = iface(self.cfg, bridge)?;
        Some((ifc.bridge?, ifc.mac))
    }

    /// The ports of `bridge`, in port order.
    fn bridge_ports(&self, bridge: PortId) -> Vec<PortId> {
        self.cfg
            .ifaces()
            .iter()
            .enumerate()
            .filter_map(|(i, ifc)| {
                let m = ifc.as_ref()?.master?;
                (m.bridge == bridge).then_some(PortId(i as u16))
            })
            .collect()
    }

    /// A frame arrived on a port of a bridge: the bridge learns its source, then takes it up
    /// to its own interface (for its MAC, or a broadcast), or bridges it on.
    pub(super) fn bridge_input(
        &mut self,
        port: PortId,
        bp: BridgePort,
        frame: Frame,
        view: View,
        out: &mut Outbox,
        deliver: impl FnOnce(&mut Interface, Local, &mut Outbox),
    ) {
        let Some((cfg, mac)) = self.bridge_of(bp.bridge) else {
            return;
        };
        self.st.fdb.learn(bp.bridge, view.src, port, out.now);
        if view.dst.is_multicast() {
            self.flood(bp.bridge, Some(port), cfg, &frame, &view, out);
            self.accept(bp.bridge, mac, frame, view, out, deliver);
            return;
        }
        if view.dst == mac {
            self.accept(bp.bridge, mac, frame, view, out, deliver);
            return;
        }
        match self.st.fdb.lookup(cfg, bp.bridge, view.dst, out.now) {
            Some(to) if to == port && !bp.hairpin => {
                let (bridge, name) = (self.bridge_name(bp.bridge), self.port_label(port));
                out.drop_frame(&frame, |syms| DropReason::Filtered {
                    switch: syms.intern(&bridge),
                    port: syms.intern(&name),
                    why: syms.intern(
                        "the destination is behind the port the frame came in on, and hairpin mode is off",
                    ),
                });
            }
            Some(to) => {
                let mut frame = frame;
                let mut view = view;
                if self.bridged_hooks(bp.bridge, cfg, &mut frame, &mut view, out) {
                    self.bridge_hop(port, to, &frame, out);
                    out.forward(to, frame);
                }
            }
            None => self.flood(bp.bridge, Some(port), cfg, &frame, &view, out),
        }
    }

    /// The stack sends `frame` out of a bridge's own interface: the bridge forwards it to the
    /// port its destination was learned on, or floods it.
    pub(super) fn bridge_output(&mut self, bridge: PortId, frame: Frame, out: &mut Outbox) {
        let Some((cfg, _)) = self.bridge_of(bridge) else {
            return;
        };
        let Some(view) = View::parse_link(&frame.bytes) else {
            return;
        };
        if !view.dst.is_multicast() {
            if let Some(to) = self.st.fdb.lookup(cfg, bridge, view.dst, out.now) {
                self.bridge_hop(bridge, to, &frame, out);
                out.send(to, frame);
                return;
            }
        }
        let ports = self.bridge_ports(bridge);
        self.flood_hop(bridge, ports.len(), &frame, out);
        // The copies share one buffer (`Frame::share`): none is written here.
        let mut frame = frame;
        for p in ports {
            out.send(p, frame.share());
        }
    }

    /// Floods a frame that came in on `from` (or from the bridge itself) to every other port,
    /// each copy through the bridge's netfilter hooks.
    fn flood(
        &mut self,
        bridge: PortId,
        from: Option<PortId>,
        cfg: BridgeConfig,
        frame: &Frame,
        view: &View,
        out: &mut Outbox,
    ) {
        let ports: Vec<PortId> = self
            .bridge_ports(bridge)
            .into_iter()
            .filter(|p| Some(*p) != from)
            .collect();
        self.flood_hop(from.unwrap_or(bridge), ports.len(), frame, out);
        // The copies share one buffer; a hook that rewrites a copy gives it its own
        // (`FrameBytes`). An untraced copy that the hooks let through unchanged is one of the
        // flood's shared copies, a port number in the outbox (`Outbox::flood_copy`).
        let mut shared = frame.clone();
        for p in ports {
            let mut copy = shared.share();
            let mut view = *view;
            if self.bridged_hooks(bridge, cfg, &mut copy, &mut view, out) {
                if copy.probe.is_none() && copy.bytes.shares_with(&shared.bytes) {
                    out.flood_copy(p, &mut shared);
                } else {
                    out.forward(p, copy);
                }
            }
        }
    }

    /// br_netfilter: a bridged IPv4 frame goes through `Prerouting`, `Forward` and
    /// `Postrouting` with the bridge as its in and out interface. Returns whether it goes on.
    fn bridged_hooks(
        &mut self,
        bridge: PortId,
        cfg: BridgeConfig,
        frame: &mut Frame,
        view: &mut View,
        out: &mut Outbox,
    ) -> bool {
        if !cfg.netfilter || view.ip.is_none() {
            return true;
        }
        let mut passage = Passage::default();
        let ports = Ports {
            in_port: Some(bridge),
            out_port: Some(bridge),
        };
        for hook in [Hook::Prerouting, Hook::Forward, Hook::Postrouting] {
            let p = Ports {
                out_port: (hook != Hook::Prerouting).then_some(bridge),
                ..ports
            };
            if self.hook(hook, p, &mut passage, frame, view, out) != Verdict::Pass {
                return false;
            }
        }
        true
    }

    fn bridge_name(&self, bridge: PortId) -> String {
        iface(self.cfg, bridge).map_or_else(|| format!("bridge {}", bridge.0), |i| i.name.clone())
    }

    fn port_label(&self, port: PortId) -> String {
        iface(self.cfg, port).map_or_else(|| format!("if{}", port.0), |i| i.name.clone())
    }

    fn bridge_hop(&self, from: PortId, to: PortId, frame: &Frame, out: &mut Outbox) {
        if frame.probe.is_none() {
            return;
        }
        let (from, to) = (self.port_label(from), self.port_label(to));
        out.hop(frame.probe, &frame.bytes, |syms| Action::Bridged {
            from_port: syms.intern(&from),
            to_port: syms.intern(&to),
        });
    }

    fn flood_hop(&self, from: PortId, ports: usize, frame: &Frame, out: &mut Outbox) {
        if frame.probe.is_none() {
            return;
        }
        let from = self.port_label(from);
        out.hop(frame.probe, &frame.bytes, |syms| Action::Flooded {
            from_port: syms.intern(&from),
            ports: ports as u32,
        });
    }
}
