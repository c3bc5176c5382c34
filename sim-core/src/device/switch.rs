//! A generic L2 switch: physical fabric switches and virtual switches alike.
//!
//! Owns the forwarding database (learned and static MAC entries), VLAN access/trunk handling,
//! teams of uplinks and flooding. Configuration decides the behaviour: a fabric switch learns
//! and floods unknown unicast; a virtual switch is told each vNIC's MAC by its control plane
//! and sends unknown unicast to its uplink, if it has one. The switching itself never looks
//! above the Ethernet header. A switch can also carry per-port policies
//! (`device::port_policy`: MAC rewrite, steering to the uplink) and a ruleset with its
//! connection table (`device::rules`), which it runs for IPv4 frames at three hooks:
//! `Prerouting` as a frame comes in, `Forward` once its way out is known, `Postrouting` as it
//! leaves (the bridge path of netfilter, or VFP's layers on a Hyper-V port).

use super::conntrack::{Conntrack, Profile};
use super::port_policy::PortPolicyConfig;
use super::rules::hook::{DeviceFacts, Passage, Ports, Tables, Verdict};
use super::rules::{Hook, Ruleset};
use super::spanning_tree::SpanningTreeConfig;
use super::{Action, DropReason, Frame, Outbox};
use crate::id::PortId;
use crate::wire::{self, MacAddr, View};
use pnet_packet::ethernet::EthernetPacket;
use serde::Serialize;
use std::net::Ipv4Addr;

mod fdb;

/// Why a switch drops a frame whose destination is behind the port it came in on, when its
/// configuration gives no reason of its own.
const SAME_PORT: &str = "a switch never sends a frame back out of the port it came in on";

/// VLAN mode of a switch port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum PortMode {
    /// Untagged on the wire; frames belong to this VLAN inside the switch.
    Access(u16),
    /// Tagged for the listed VLANs; untagged frames belong to `native`.
    Trunk { native: u16, allowed: Vec<u16> },
}

/// What the mode says of frames: the definition the packet path's `PortSummary` shortcuts.
impl PortMode {
    /// The VLAN a frame arriving with 802.1Q tag `tag` belongs to; `None`: not admitted.
    pub fn ingress_vlan(&self, tag: Option<u16>) -> Option<u16> {
        match (self, tag) {
            (PortMode::Access(v), None) => Some(*v),
            (PortMode::Access(v), Some(t)) if t == *v => Some(*v),
            (PortMode::Access(_), Some(_)) => None,
            (PortMode::Trunk { native, .. }, None) => Some(*native),
            (PortMode::Trunk { allowed, .. }, Some(t)) => allowed.contains(&t).then_some(t),
        }
    }
    /// Whether frames of `vlan` may leave by this port.
    pub fn carries(&self, vlan: u16) -> bool {
        match self {
            PortMode::Access(v) => *v == vlan,
            PortMode::Trunk { native, allowed } => *native == vlan || allowed.contains(&vlan),
        }
    }
    /// Whether frames of `vlan` leave this port tagged.
    pub fn egress_tagged(&self, vlan: u16) -> bool {
        matches!(self, PortMode::Trunk { native, .. } if *native != vlan)
    }
}

/// What a switch does with a unicast frame whose destination it does not know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum UnknownUnicast {
    Flood,
    Drop,
    /// Hyper-V external switch: everything unknown goes out of the uplink (the bound NIC).
    ToPort(PortId),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SwitchPort {
    pub name: String,
    pub mode: PortMode,
    /// Port security: the only source MAC accepted (a Hyper-V VM port with MAC address
    /// spoofing off). `None` accepts any.
    pub allowed_src: Option<MacAddr>,
    /// Reflective relay: a frame whose destination is behind this same port is sent back out
    /// of it instead of being filtered (the Azure host hair-pins l2tunnel traffic).
    pub reflect: bool,
}

/// The configuration of a switch, as plain data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SwitchConfig {
    pub name: String,
    pub learning: bool,
    pub unknown_unicast: UnknownUnicast,
    /// Ports by `PortId` index. `None` is a removed port (ids are never reused). Read with
    /// [`SwitchConfig::ports`]; written only through [`Switch::add_port`],
    /// [`Switch::remove_port`] and [`Switch::port_mut`], which keep `summary` in step.
    ports: Vec<Option<SwitchPort>>,
    /// MACs the control plane pinned to ports, with their VLAN.
    pub static_macs: Vec<(MacAddr, u16, PortId)>,
    /// Per-port policies a control plane programmed (MAC rewrite, steering), if any.
    pub port_policy: Option<Box<PortPolicyConfig>>,
    /// A policy layer that admits every IPv4 frame it switches and says so in traces:
    /// (layer, rule), e.g. the Azure host's SDN policy.
    pub policy: Option<(String, String)>,
    /// Why a frame to a host behind its own ingress port is filtered, for traces; `None`
    /// filters silently (an ordinary switch).
    pub filter_reason: Option<String>,
    /// Switch Embedded Teaming: physical ports that act as one uplink.
    pub team: Option<Team>,
    /// The spanning tree as the control plane computed it (`control::stp`); `None`: the
    /// switch runs none, like an unmanaged switch.
    pub spanning_tree: Option<Box<SpanningTreeConfig>>,
    /// What the packet path reads of each port, by `PortId` index, derived from `ports`
    /// (issue 13, flatness): see [`PortSummary`].
    #[serde(skip)]
    summary: Vec<PortSummary>,
}

/// What forwarding reads of a port on every frame, four bytes a port, so that sixteen ports
/// share a cache line (with 1,024 ports each `SwitchPort` record is its own line, evicted
/// between two visits: one last-level miss per frame at the egress port's mode). What does
/// not fit is only flagged, and read from the record when the flag is set: a trunk's list of
/// tagged VLANs and port security's one accepted MAC (uplinks and VM NICs, few ports, whose
/// records stay cached).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct PortSummary {
    /// The access VLAN, or a trunk's native VLAN.
    vlan: u16,
    flags: u8,
}

impl PortSummary {
    /// The port exists (a removed port, or an index past the last, is all zeros).
    const PRESENT: u8 = 1;
    const TRUNK: u8 = 1 << 1;
    /// A trunk whose list of tagged VLANs is not empty: which they are, its record says.
    const TAGGED_LIST: u8 = 1 << 2;
    /// Reflective relay (`SwitchPort::reflect`).
    const REFLECT: u8 = 1 << 3;
    /// Port security: the one accepted source MAC is its record's `allowed_src`.
    const GUARDED: u8 = 1 << 4;

    fn of(port: Option<&SwitchPort>) -> Self {
        let Some(p) = port else {
            return PortSummary::default();
        };
        let mut flags = Self::PRESENT;
        let vlan = match &p.mode {
            PortMode::Access(v) => *v,
            PortMode::Trunk { native, allowed } => {
                flags |= Self::TRUNK;
                if !allowed.is_empty() {
                    flags |= Self::TAGGED_LIST;
                }
                *native
            }
        };
        if p.reflect {
            flags |= Self::REFLECT;
        }
        if p.allowed_src.is_some() {
            flags |= Self::GUARDED;
        }
        PortSummary { vlan, flags }
    }

    #[inline]
    fn has(self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    #[inline]
    fn present(self) -> bool {
        self.has(Self::PRESENT)
    }

    /// `PortMode::egress_tagged`.
    #[inline]
    fn egress_tagged(self, vlan: u16) -> bool {
        self.has(Self::TRUNK) && self.vlan != vlan
    }

    /// The access VLAN of an access port.
    #[inline]
    fn access_vlan(self) -> Option<u16> {
        (self.present() && !self.has(Self::TRUNK)).then_some(self.vlan)
    }
}

/// A SET team: its members act as one logical port, `primary`, which is the port learning,
/// flooding and port policies know. Each vSwitch port's traffic leaves by one member ("Hyper-V port"
/// load balancing), chosen among the members whose link is up, so a member that goes down
/// fails over. Switch-independent: broadcasts come in on every member, and only the first
/// member that is up accepts them, so nothing arrives twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Team {
    pub name: String,
    pub primary: PortId,
    /// Every member, `primary` first.
    pub members: Vec<PortId>,
}

impl SwitchConfig {
    /// A switch with no ports yet and no policy layer.
    pub fn new(name: impl Into<String>, learning: bool, unknown_unicast: UnknownUnicast) -> Self {
        SwitchConfig {
            name: name.into(),
            learning,
            unknown_unicast,
            ports: Vec::new(),
            static_macs: Vec::new(),
            port_policy: None,
            policy: None,
            filter_reason: None,
            team: None,
            spanning_tree: None,
            summary: Vec::new(),
        }
    }

    /// The ports by `PortId` index (`None`: removed).
    pub fn ports(&self) -> &[Option<SwitchPort>] {
        &self.ports
    }

    fn port(&self, port: PortId) -> Option<&SwitchPort> {
        self.ports.get(usize::from(port.0)).and_then(Option::as_ref)
    }

    /// How many ports from `from` on, up to `before` (excluded), are present and carry VLAN
    /// `vlan` untagged (access, or a trunk's native): the ports a flood's common copy leaves
    /// by (`Switch::flood`), counted in one pass over the summaries.
    #[inline]
    fn common_run(&self, from: usize, before: usize, vlan: u16) -> usize {
        let end = before.clamp(from, self.summary.len());
        let run = self.summary[from..end]
            .iter()
            .take_while(|p| p.present() && p.vlan == vlan)
            .count();
        debug_assert!((from..from + run).all(|i| self.summary(PortId(i as u16)).vlan == vlan));
        run
    }

    /// Port `port`'s summary (all zeros for no port). Debug builds check it against the
    /// record here, where the packet path trusts it.
    #[inline]
    fn summary(&self, port: PortId) -> PortSummary {
        let s = self
            .summary
            .get(usize::from(port.0))
            .copied()
            .unwrap_or_default();
        debug_assert_eq!(
            s,
            PortSummary::of(self.port(port)),
            "the summary follows port {}",
            port.0
        );
        s
    }

    /// Re-derives port `port`'s summary from its record (after it was added, removed or
    /// changed).
    fn resummarize(&mut self, port: PortId) {
        let i = usize::from(port.0);
        if self.summary.len() < self.ports.len() {
            self.summary
                .resize(self.ports.len(), PortSummary::default());
        }
        if let Some(slot) = self.summary.get_mut(i) {
            *slot = PortSummary::of(self.ports.get(i).and_then(Option::as_ref));
        }
    }

    /// Whether the summary is the ports' (for tests; `summary` checks one port in debug
    /// builds).
    #[cfg(test)]
    fn summary_follows(&self) -> bool {
        self.summary.len() == self.ports.len()
            && self
                .summary
                .iter()
                .zip(&self.ports)
                .all(|(s, p)| *s == PortSummary::of(p.as_ref()))
    }

    /// `PortMode::ingress_vlan` of port `port`, whose summary is `s`.
    #[inline]
    fn ingress_vlan(&self, port: PortId, s: PortSummary, tag: Option<u16>) -> Option<u16> {
        match tag {
            None => Some(s.vlan),
            Some(t) if !s.has(PortSummary::TRUNK) => (t == s.vlan).then_some(t),
            Some(t) if s.has(PortSummary::TAGGED_LIST) => {
                self.port(port).and_then(|p| p.mode.ingress_vlan(Some(t)))
            }
            Some(_) => None,
        }
    }

    /// `PortMode::carries` of port `port`, whose summary is `s`.
    #[inline]
    fn carries(&self, port: PortId, s: PortSummary, vlan: u16) -> bool {
        s.vlan == vlan
            || (s.has(PortSummary::TAGGED_LIST)
                && self.port(port).is_some_and(|p| p.mode.carries(vlan)))
    }

    /// Whether port security at port `port`, whose summary is `s`, turns away source `src`.
    #[inline]
    fn spoofed(&self, port: PortId, s: PortSummary, src: MacAddr) -> bool {
        s.has(PortSummary::GUARDED)
            && self
                .port(port)
                .and_then(|p| p.allowed_src)
                .is_some_and(|m| m != src)
    }
}

/// A switch port lent out for changes; the switch's summary of it follows on drop.
pub struct PortMut<'a> {
    cfg: &'a mut SwitchConfig,
    port: PortId,
}

impl std::ops::Deref for PortMut<'_> {
    type Target = SwitchPort;
    fn deref(&self) -> &SwitchPort {
        self.cfg.port(self.port).expect("a lent port exists")
    }
}

impl std::ops::DerefMut for PortMut<'_> {
    fn deref_mut(&mut self) -> &mut SwitchPort {
        self.cfg
            .ports
            .get_mut(usize::from(self.port.0))
            .and_then(Option::as_mut)
            .expect("a lent port exists")
    }
}

impl Drop for PortMut<'_> {
    fn drop(&mut self) {
        self.cfg.resummarize(self.port);
    }
}

/// The rules a switch runs on IPv4 frames, with its connection table.
#[derive(Debug, Clone)]
pub struct SwitchRules {
    pub rules: Ruleset,
    pub ct: Conntrack,
}

#[derive(Debug)]
pub struct Switch {
    pub config: SwitchConfig,
    /// Boxed: most switches filter nothing, and the device enum stays small.
    pub filter: Option<Box<SwitchRules>>,
    fdb: fdb::MacTable,
    /// Ports whose link is down (carrier lost), as the engine reported them.
    no_carrier: Vec<PortId>,
    /// Ports the spanning tree keeps discarding (from `config.spanning_tree`).
    discarding: Vec<PortId>,
}

/// What the rules need to know about a switch: its port names (it has no addresses).
struct Facts<'a>(&'a SwitchConfig);

impl DeviceFacts for Facts<'_> {
    fn port_name(&self, port: PortId) -> String {
        port_name(self.0, port)
    }
    fn is_local(&self, _: Ipv4Addr) -> bool {
        false
    }
    fn is_local_on(&self, _: Ipv4Addr, _: PortId) -> bool {
        false
    }
    fn port_addr(&self, _: PortId) -> Option<Ipv4Addr> {
        None
    }
}

fn port_name(cfg: &SwitchConfig, port: PortId) -> String {
    match cfg.port(port) {
        Some(p) => p.name.clone(),
        None => format!("port{}", port.0),
    }
}

fn fdb_key(vlan: u16, mac: MacAddr) -> u64 {
    let MacAddr(a, b, c, d, e, f) = mac;
    fdb_key_of(vlan, [a, b, c, d, e, f])
}

/// The forwarding-table key of the MAC address at `at` in `frame` (0: destination, 6:
/// source), read from the frame's bytes: the packet path never rebuilds a `MacAddr` field by
/// field only to pack it again.
fn fdb_key_in(vlan: u16, frame: &[u8], at: usize) -> Option<u64> {
    let mac: [u8; 6] = frame.get(at..at + 6)?.try_into().ok()?;
    Some(fdb_key_of(vlan, mac))
}

fn fdb_key_of(vlan: u16, [a, b, c, d, e, f]: [u8; 6]) -> u64 {
    // `from_be_bytes([0, 0, a, b, c, d, e, f])`, as two swaps of the halves LLVM loads
    // whole: the eight-byte form cost a dozen shifts and masks a frame (issue 13).
    let high = u64::from(u32::from_be_bytes([a, b, c, d]));
    let low = u64::from(u16::from_be_bytes([e, f]));
    (u64::from(vlan) << 48) | (high << 16) | low
}

/// What the plain path reads of a frame's Ethernet header: the destination, and the source
/// only if `source` (the switch learns; one that does not never looks at it, and reading it
/// through its getter was a sixth of the path); `None` for a short or VLAN-tagged frame,
/// which the full path takes.
#[inline]
fn untagged_ends(f: &[u8], source: bool) -> Option<(MacAddr, Option<MacAddr>)> {
    let h: &[u8; ETHERNET_HEADER] = f.get(..ETHERNET_HEADER)?.try_into().ok()?;
    let eth = EthernetPacket::new(&h[..])?;
    if eth.get_ethertype().0 == wire::ETHERTYPE_VLAN {
        return None;
    }
    Some((eth.get_destination(), source.then(|| eth.get_source())))
}

/// An untagged Ethernet header's length.
const ETHERNET_HEADER: usize = 14;

/// What a switch reads of a frame: the whole view if it looks above layer 2 (`deep`), else
/// the Ethernet header. A function, not a closure: as a closure over `deep` it was left out
/// of line, a call per frame.
#[inline]
fn view_for(deep: bool, f: &[u8]) -> Option<View> {
    if deep {
        View::parse(f)
    } else {
        View::parse_link(f)
    }
}

impl Switch {
    pub fn new(config: SwitchConfig) -> Self {
        let mut s = Switch {
            config,
            filter: None,
            fdb: fdb::MacTable::default(),
            no_carrier: Vec::new(),
            discarding: Vec::new(),
        };
        s.set_spanning_tree(s.config.spanning_tree.clone().map(|b| *b), false);
        s.rebuild_static();
        s.config.summary = s
            .config
            .ports
            .iter()
            .map(|p| PortSummary::of(p.as_ref()))
            .collect();
        s
    }

    fn rebuild_static(&mut self) {
        for (mac, vlan, port) in &self.config.static_macs {
            self.fdb.insert(fdb_key(*vlan, *mac), *port);
        }
    }

    /// Adds a port and returns its id.
    pub fn add_port(&mut self, name: impl Into<String>, mode: PortMode) -> PortId {
        self.config.ports.push(Some(SwitchPort {
            name: name.into(),
            mode,
            allowed_src: None,
            reflect: false,
        }));
        let port = PortId((self.config.ports.len() - 1) as u16);
        self.config.resummarize(port);
        port
    }

    /// Removes a port and every MAC entry that pointed at it.
    pub fn remove_port(&mut self, port: PortId) {
        if let Some(slot) = self.config.ports.get_mut(port.0 as usize) {
            *slot = None;
        }
        self.config.resummarize(port);
        self.config.static_macs.retain(|(_, _, p)| *p != port);
        self.fdb.retain(|p| p != port);
        if let Some(p) = &mut self.config.port_policy {
            p.remove_port(port);
        }
    }

    /// The switch's ruleset and connection table, created empty with `profile` if it has none.
    pub fn filter_mut(&mut self, profile: Profile) -> &mut SwitchRules {
        self.filter.get_or_insert_with(|| {
            Box::new(SwitchRules {
                rules: Ruleset::new(),
                ct: Conntrack::new(profile),
            })
        })
    }

    /// Port `port`, to change (its mode, port security, reflection); the summary the
    /// packet path reads follows when the guard goes.
    pub fn port_mut(&mut self, port: PortId) -> Option<PortMut<'_>> {
        self.config.port(port).is_some().then_some(PortMut {
            cfg: &mut self.config,
            port,
        })
    }

    /// Removes a pinned MAC entry.
    pub fn unpin_mac(&mut self, mac: MacAddr, vlan: u16) {
        self.config
            .static_macs
            .retain(|(m, v, _)| !(*m == mac && *v == vlan));
        self.fdb.remove(fdb_key(vlan, mac));
    }

    pub fn pin_mac(&mut self, mac: MacAddr, vlan: u16, port: PortId) {
        self.config.static_macs.push((mac, vlan, port));
        self.fdb.insert(fdb_key(vlan, mac), port);
    }

    /// Forgets learned entries and connections (a power cycle); static entries stay.
    pub fn flush_learned(&mut self) {
        self.fdb.clear();
        if let Some(f) = &mut self.filter {
            f.ct.clear();
        }
        self.rebuild_static();
    }

    pub fn port_name(&self, port: PortId) -> String {
        port_name(&self.config, port)
    }

    /// The learned or pinned port for a MAC, for tests and the property that container MACs
    /// never reach a physical switch.
    pub fn lookup(&self, vlan: u16, mac: MacAddr) -> Option<PortId> {
        self.fdb.get(fdb_key(vlan, mac))
    }

    /// The engine reports that the link on `port` went down or came back.
    /// A port that loses its link forgets the MACs learned on it (they relearn wherever
    /// they show up next).
    pub fn set_carrier(&mut self, port: PortId, up: bool) {
        self.no_carrier.retain(|p| *p != port);
        if !up {
            self.no_carrier.push(port);
            self.fdb.retain(|p| p != port);
            self.rebuild_static();
        }
    }

    /// Takes the spanning tree's port roles. `flush`: the tree changed (a topology change
    /// notice reached this switch), so the entries learned on its ports towards other
    /// switches go (802.1w 17.10) and those hosts are relearned where they are reachable now;
    /// entries learned on edge ports (hosts) stay.
    pub fn set_spanning_tree(&mut self, st: Option<SpanningTreeConfig>, flush: bool) {
        if flush {
            let mut tree_ports: Vec<PortId> = Vec::new();
            for c in self
                .config
                .spanning_tree
                .iter()
                .map(|c| &**c)
                .chain(st.iter())
            {
                tree_ports.extend(c.roles.iter().map(|(p, _)| *p));
            }
            self.fdb.retain(|p| !tree_ports.contains(&p));
            self.rebuild_static();
        }
        self.config.spanning_tree = st.map(Box::new);
        self.discarding = self
            .config
            .spanning_tree
            .as_ref()
            .map(|c| c.discarding().collect())
            .unwrap_or_default();
    }

    /// A frame at a port the spanning tree keeps discarding is dropped there, unlearned.
    #[cold]
    #[inline(never)]
    fn drop_discarding(&self, frame: &Frame, port: PortId, out: &mut Outbox) {
        let role = self
            .config
            .spanning_tree
            .as_ref()
            .and_then(|c| c.role(port))
            .map_or("blocked", |r| r.name());
        out.drop_frame(frame, |syms| DropReason::SpanningTree {
            switch: syms.intern(&self.config.name),
            port: syms.intern(&port_name(&self.config, port)),
            role,
        });
    }

    /// The team members that can carry frames now, in order.
    fn team_members_up<'a>(&'a self, team: &'a Team) -> impl Iterator<Item = PortId> + 'a {
        team.members
            .iter()
            .copied()
            .filter(|m| !self.no_carrier.contains(m))
    }

    /// The physical port a frame from `in_port` leaves by when it goes to `to`: `to` itself,
    /// or for the team's logical port the member serving `in_port`. `None`: every member is
    /// down.
    fn egress_member(&self, in_port: PortId, to: PortId) -> Option<PortId> {
        match &self.config.team {
            Some(team) if team.primary == to => {
                let n = self.team_members_up(team).count();
                (n > 0).then(|| {
                    self.team_members_up(team)
                        .nth(in_port.0 as usize % n)
                        .expect("n members are up")
                })
            }
            _ => Some(to),
        }
    }

    /// Learns that the source MAC of `key` is behind `port` (one probe of the table, known or
    /// not).
    #[inline]
    fn learn(&mut self, key: u64, port: PortId) {
        self.fdb.insert(key, port);
    }

    pub fn handle_frame(&mut self, in_port: PortId, frame: Frame, out: &mut Outbox) {
        if let Some(frame) = self.forward_plain(in_port, frame, out) {
            self.handle_frame_full(in_port, frame, out);
        }
    }

    /// The frame nearly every hop of a vSwitch carries, on a switch that looks no higher than
    /// layer 2 (no rules, port policy or policy layer) and runs no team or spanning tree:
    /// untagged, from a port without port security, to a unicast MAC the table knows behind
    /// another port that carries the frame's VLAN untagged. Forwards it (learning its source
    /// first, as the full path does) and returns `None`; any other frame comes back untouched
    /// for `handle_frame_full`, which defines what this answers (tested against it).
    #[inline]
    fn forward_plain(&mut self, in_port: PortId, frame: Frame, out: &mut Outbox) -> Option<Frame> {
        match self.plain_route(in_port, &frame, out) {
            Some(to) => {
                out.forward(to, frame);
                None
            }
            None => Some(frame),
        }
    }

    /// The port `forward_plain` forwards `frame` to, having learnt its source and noted its
    /// hop (a traced frame); `None`, with nothing done, for any frame it leaves to
    /// `handle_frame_full`. The engine calls it first and sends the frame itself
    /// (`Engine::forward_lone`): through the outbox, the frame's push was an out-of-line
    /// call that cost as much as the rest of the path. Out of line: it only borrows the
    /// frame, and the engine's loop keeps its registers.
    #[inline(never)]
    pub(crate) fn plain_route(
        &mut self,
        in_port: PortId,
        frame: &Frame,
        out: &mut Outbox,
    ) -> Option<PortId> {
        let cfg = &self.config;
        if self.filter.is_some()
            || cfg.port_policy.is_some()
            || cfg.policy.is_some()
            || cfg.team.is_some()
            || !self.discarding.is_empty()
        {
            return None;
        }
        let port = cfg.summary(in_port);
        if !port.present() || port.has(PortSummary::GUARDED) {
            return None;
        }
        // Untagged (an untagged frame's VLAN is the port's, access or native), unicast.
        let (dst, src) = untagged_ends(&frame.bytes, cfg.learning)?;
        if dst.is_multicast() {
            return None;
        }
        let vlan = port.vlan;
        // The keys hold the whole addresses: equal keys are equal addresses (one comparison,
        // where `MacAddr`'s is six).
        let dst_key = fdb_key_of(vlan, dst.octets());
        // The source key to learn, if the switch learns it.
        let learn = src
            .filter(|s| !s.is_multicast())
            .map(|s| fdb_key_of(vlan, s.octets()));
        // Not to itself when learning: learning the source first could change where it goes.
        if learn == Some(dst_key) {
            return None;
        }
        let to = self.fdb.get(dst_key)?;
        let to_port = cfg.summary(to);
        // The port carries the VLAN untagged: its access VLAN, or a trunk's native one.
        if to == in_port || !to_port.present() || to_port.vlan != vlan {
            return None;
        }
        if let Some(src_key) = learn {
            self.learn(src_key, in_port);
        }
        if frame.probe.is_some() {
            out.hop(frame.probe, &frame.bytes, |syms| Action::Bridged {
                from_port: syms.intern(&port_name(&self.config, in_port)),
                to_port: syms.intern(&port_name(&self.config, to)),
            });
        }
        Some(to)
    }

    /// Every frame's way through the switch (`forward_plain` takes the common one first).
    /// Out of line, so that the common frame does not pay for its registers.
    #[inline(never)]
    pub(crate) fn handle_frame_full(
        &mut self,
        in_port: PortId,
        mut frame: Frame,
        out: &mut Outbox,
    ) {
        let port = self.config.summary(in_port);
        if !port.present() {
            out.drop_frame(&frame, |syms| DropReason::Unplugged {
                port: syms.intern(&format!("port{}", in_port.0)),
            });
            return;
        }
        if !self.discarding.is_empty() && self.discarding.contains(&in_port) {
            self.drop_discarding(&frame, in_port, out);
            return;
        }
        // Only a switch that looks above layer 2 parses more than the Ethernet header.
        let deep = self.filter.is_some()
            || self.config.port_policy.is_some()
            || self.config.policy.is_some();
        let Some(mut view) = view_for(deep, &frame.bytes) else {
            out.drop_frame(&frame, |syms| DropReason::Malformed {
                what: syms.intern("short Ethernet header"),
            });
            return;
        };
        let (dst, src, tag) = (view.dst, view.src, view.vlan);
        let Some(vlan) = self.config.ingress_vlan(in_port, port, tag) else {
            out.drop_frame(&frame, |syms| DropReason::VlanNotAllowed {
                port: syms.intern(&port_name(&self.config, in_port)),
                vlan: tag.unwrap_or(0),
            });
            return;
        };
        if self.config.spoofed(in_port, port, src) {
            out.drop_frame(&frame, |syms| DropReason::MacSpoofing {
                switch: syms.intern(&self.config.name),
                port: syms.intern(&port_name(&self.config, in_port)),
                mac: src,
            });
            return;
        }
        // A team member's frames belong to the team's logical port; traces name the member.
        let arrived_on = in_port;
        let in_port = match &self.config.team {
            Some(team) if team.members.contains(&in_port) => {
                // Switch-independent teaming: a broadcast comes in on every member and is
                // taken from the first one that is up; the physical switch also sends the
                // team's own broadcasts back in. Both copies are discarded, like a NIC
                // ignoring a frame that is not for it (not a drop).
                if dst.is_multicast() {
                    let accepting = self.team_members_up(team).next();
                    let own = self
                        .config
                        .static_macs
                        .iter()
                        .any(|(m, _, p)| *m == src && !team.members.contains(p));
                    if accepting != Some(in_port) || own {
                        return;
                    }
                }
                team.primary
            }
            _ => in_port,
        };
        let reflect = port.has(PortSummary::REFLECT);
        // Inside the switch frames are untagged; the egress port decides tagging.
        if tag.is_some() {
            wire::pop_vlan(&mut frame.bytes);
            match view_for(deep, &frame.bytes) {
                Some(v) => view = v,
                None => return,
            }
        }
        if self.config.learning && !src.is_multicast() {
            if let Some(key) = fdb_key_in(vlan, &frame.bytes, 6) {
                self.learn(key, in_port);
            }
        }
        if let Some((layer, rule)) = &self.config.policy {
            if view.ethertype == wire::ETHERTYPE_IPV4 {
                out.hop(frame.probe, &frame.bytes, |syms| Action::Policy {
                    layer: syms.intern(layer),
                    rule: syms.intern(rule),
                });
            }
        }
        let mut passage = Passage::default();
        let mut steered = None;
        let from_uplink = self
            .config
            .port_policy
            .as_ref()
            .is_some_and(|p| p.uplink == in_port);
        if let Some(policy) = self.config.port_policy.as_ref().filter(|_| from_uplink) {
            steered = policy.arp_from_uplink(vlan, &mut frame, &view, out);
        }
        if steered.is_none() {
            let dst_before = view.ip.map(|i| i.dst);
            if let Some(f) = &mut self.filter {
                let mut tables = Tables {
                    rules: &mut f.rules,
                    ct: &mut f.ct,
                };
                let ports = Ports {
                    in_port: Some(in_port),
                    out_port: None,
                };
                let facts = Facts(&self.config);
                let hook = Hook::Prerouting;
                if tables.run(
                    hook,
                    &facts,
                    ports,
                    &mut passage,
                    &mut frame,
                    &mut view,
                    out,
                ) != Verdict::Pass
                {
                    return;
                }
            }
            if let Some(policy) = &self.config.port_policy {
                let translated = view.ip.map(|i| i.dst) != dst_before;
                steered = if from_uplink {
                    policy.ip_from_uplink(vlan, translated, &mut frame, &view, out)
                } else {
                    policy.steer_from(in_port, &frame, out)
                };
            }
        }
        // A policy delivers onto the endpoint's port, and so into its VLAN (a port map on
        // the untagged host address can lead to a container on VLAN 7).
        let mut vlan = vlan;
        if let Some(v) = steered.and_then(|p| self.config.summary(p).access_vlan()) {
            vlan = v;
        }
        // A policy may have rewritten the destination.
        let dst_key = fdb_key_in(vlan, &frame.bytes, 0).unwrap_or_else(|| fdb_key(vlan, dst));
        let dst_multicast = frame
            .bytes
            .first()
            .map_or(dst.is_multicast(), |b| b & 1 == 1);

        // Whether the target is where unknown unicast goes, rather than a known entry.
        let mut unknown = false;
        let target = if let Some(p) = steered {
            Some(p)
        } else if dst_multicast {
            None
        } else {
            match self.fdb.get(dst_key) {
                Some(p) => Some(p),
                None => match &self.config.unknown_unicast {
                    UnknownUnicast::Flood => None,
                    UnknownUnicast::ToPort(p) => {
                        unknown = true;
                        Some(*p)
                    }
                    UnknownUnicast::Drop => {
                        let dst = wire::eth_dst(&frame.bytes).unwrap_or(dst);
                        out.drop_frame(&frame, |syms| DropReason::NoMacEntry {
                            switch: syms.intern(&self.config.name),
                            mac: dst,
                            vlan,
                        });
                        return;
                    }
                },
            }
        };

        match target {
            Some(to) if to == in_port && !reflect => {
                self.drop_back(&frame, arrived_on, unknown, vlan, out);
            }
            Some(to) => {
                let to_port = self.config.summary(to);
                if !to_port.present() {
                    out.drop_frame(&frame, |syms| DropReason::Unplugged {
                        port: syms.intern(&format!("port{}", to.0)),
                    });
                    return;
                }
                if !self.config.carries(to, to_port, vlan) {
                    out.drop_frame(&frame, |syms| DropReason::VlanNotAllowed {
                        port: syms.intern(&port_name(&self.config, to)),
                        vlan,
                    });
                    return;
                }
                let tagged = to_port.egress_tagged(vlan);
                if !self.egress(in_port, to, &mut passage, &mut frame, &mut view, out) {
                    return;
                }
                if tagged {
                    wire::push_vlan(&mut frame.bytes, vlan);
                }
                let Some(member) = self.egress_member(in_port, to) else {
                    out.drop_frame(&frame, |syms| DropReason::LinkDown {
                        link: syms.intern(&match &self.config.team {
                            Some(t) => format!("to every member of {}", t.name),
                            None => self.port_name(to),
                        }),
                    });
                    return;
                };
                if !self.discarding.is_empty() && self.discarding.contains(&member) {
                    self.drop_discarding(&frame, member, out);
                    return;
                }
                out.hop(frame.probe, &frame.bytes, |syms| Action::Bridged {
                    from_port: syms.intern(&port_name(&self.config, arrived_on)),
                    to_port: syms.intern(&port_name(&self.config, member)),
                });
                out.forward(member, frame);
            }
            None => self.flood(in_port, arrived_on, vlan, passage, frame, view, out),
        }
    }

    /// The destination sits behind the port the frame came from (or unknown unicast would
    /// go back out of it): a switch filters it, and says why.
    #[cold]
    #[inline(never)]
    fn drop_back(
        &self,
        frame: &Frame,
        arrived_on: PortId,
        unknown: bool,
        vlan: u16,
        out: &mut Outbox,
    ) {
        let name = &self.config.name;
        let port = port_name(&self.config, arrived_on);
        if unknown {
            let mac = wire::eth_dst(&frame.bytes).unwrap_or_default();
            out.drop_frame(frame, |syms| DropReason::UnknownUnicastBack {
                switch: syms.intern(name),
                mac,
                vlan,
                port: syms.intern(&port),
            });
        } else {
            let why = self.config.filter_reason.as_deref().unwrap_or(SAME_PORT);
            out.drop_frame(frame, |syms| DropReason::Filtered {
                switch: syms.intern(name),
                port: syms.intern(&port),
                why: syms.intern(why),
            });
        }
    }

    /// A frame leaves by port `to`: the switch's `Forward` and `Postrouting` hooks, then the
    /// port policy of a frame going to the uplink. Returns false if it was dropped.
    fn egress(
        &mut self,
        in_port: PortId,
        to: PortId,
        passage: &mut Passage,
        frame: &mut Frame,
        view: &mut View,
        out: &mut Outbox,
    ) -> bool {
        if let Some(f) = &mut self.filter {
            let mut tables = Tables {
                rules: &mut f.rules,
                ct: &mut f.ct,
            };
            let ports = Ports {
                in_port: Some(in_port),
                out_port: Some(to),
            };
            let facts = Facts(&self.config);
            for hook in [Hook::Forward, Hook::Postrouting] {
                if tables.run(hook, &facts, ports, passage, frame, view, out) != Verdict::Pass {
                    return false;
                }
            }
        }
        if let Some(policy) = self.config.port_policy.as_ref().filter(|p| p.uplink == to) {
            policy.to_uplink(in_port, frame, out);
        }
        true
    }

    /// Floods a frame that came in on logical port `in_port` (physically, `arrived_on`).
    #[allow(clippy::too_many_arguments)]
    fn flood(
        &mut self,
        in_port: PortId,
        arrived_on: PortId,
        vlan: u16,
        passage: Passage,
        mut frame: Frame,
        view: View,
        out: &mut Outbox,
    ) {
        let (mut count, mut changed) = (0, 0);
        // What is the same for every port, read once: whether a copy can leave as it is
        // (untraced, through no egress rules; a port policy's uplink aside), and whether every
        // port is its own member, up and forwarding (no team, no carrier lost, no spanning
        // tree discarding).
        let plain = frame.probe.is_none() && self.filter.is_none();
        let policy_uplink = self.config.port_policy.as_ref().map(|p| p.uplink);
        let simple =
            self.config.team.is_none() && self.no_carrier.is_empty() && self.discarding.is_empty();
        // Whether every port that carries the frame's VLAN untagged gets a shared copy (no
        // port policy's uplink to tell apart).
        let shares = plain && simple && policy_uplink.is_none();
        // Whether the last thing sent was a shared copy (`Outbox::flood_copy_again`).
        let mut copies_open = false;
        // The summaries, not the records: a flood to 1,023 ports reads 64 lines, not 1,023.
        let ports = self.config.summary.len();
        let mut next = 0;
        while next < ports {
            // The common copy first, with what the checks below come to for it: a present
            // port other than the ingress one whose VLAN (access, or a trunk's native) is the
            // frame's carries it untagged (issue 13: the start-up flood at 1,024 containers
            // is a million copies). A run of such ports is taken at once, up to the ingress
            // port.
            if shares && copies_open {
                let before = if next <= in_port.0 as usize {
                    in_port.0 as usize
                } else {
                    ports
                };
                let run = self.config.common_run(next, before, vlan);
                if run > 0 {
                    out.flood_copies_again(next as u16..(next + run) as u16);
                    count += run as u32;
                    next += run;
                    continue;
                }
            }
            let i = next;
            next += 1;
            let port = PortId(i as u16);
            let p = self.config.summary(port);
            if !p.present()
                || (i == in_port.0 as usize && !p.has(PortSummary::REFLECT))
                || !self.config.carries(port, p, vlan)
            {
                continue;
            }
            let tagged = p.egress_tagged(vlan);
            // A team floods once, by the member serving the ingress port (one that is up).
            let member = if simple {
                port
            } else {
                match &self.config.team {
                    Some(t) if t.members.contains(&port) => {
                        if t.primary.0 as usize != i {
                            continue;
                        }
                        match self.egress_member(in_port, t.primary) {
                            Some(m) => m,
                            None => continue,
                        }
                    }
                    _ if self.no_carrier.contains(&port) || self.discarding.contains(&port) => {
                        continue
                    }
                    _ => port,
                }
            };
            // An untraced copy that leaves as it is, through no egress rules or port policy
            // (a vSwitch's broadcast to its containers): one of the flood's shared copies,
            // a port number in the outbox.
            if plain && !tagged && policy_uplink != Some(port) {
                if copies_open {
                    out.flood_copy_again(member);
                } else {
                    out.flood_copy(member, &mut frame);
                    copies_open = true;
                }
                count += 1;
                continue;
            }
            // Anything sent from here on comes after the shared copies so far.
            copies_open = false;
            // The copies share the frame's bytes; one that egress rewrites gets its own.
            let mut copy = frame.share();
            let (mut passage, mut view) = (passage, view);
            if !self.egress(in_port, port, &mut passage, &mut copy, &mut view, out) {
                continue;
            }
            if tagged {
                wire::push_vlan(&mut copy.bytes, vlan);
            }
            // A traced copy that leaves changed (tagged, rewritten) is shown as it leaves.
            if copy.probe.is_some() && copy.bytes != frame.bytes {
                changed += 1;
                out.hop(copy.probe, &copy.bytes, |syms| Action::FloodedTo {
                    from_port: syms.intern(&port_name(&self.config, arrived_on)),
                    to_port: syms.intern(&port_name(&self.config, member)),
                });
            }
            out.forward(member, copy);
            count += 1;
        }
        if count == 0 {
            // Nowhere to flood to: on a switch that says why it filters, that is a drop.
            if let Some(why) = &self.config.filter_reason {
                out.drop_frame(&frame, |syms| DropReason::Filtered {
                    switch: syms.intern(&self.config.name),
                    port: syms.intern(&port_name(&self.config, arrived_on)),
                    why: syms.intern(why),
                });
                return;
            }
        }
        // The copies that left as the frame is inside the switch, if any.
        if count == 0 || count > changed {
            out.hop(frame.probe, &frame.bytes, |syms| Action::Flooded {
                from_port: syms.intern(&port_name(&self.config, arrived_on)),
                ports: count - changed,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::NodeId;
    use crate::time::SimTime;
    use crate::wire::arp_request;

    const HOST_A: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 0xa);
    const HOST_B: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 0xb);
    const OUTSIDE: MacAddr = MacAddr(0x02, 0, 0, 0, 0, 1);
    const HOST_B_OLD: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0, 0, 0xbb);

    /// A vSwitch with a two-member SET team (ports 0 and 1) and two vNIC ports (2 and 3).
    fn teamed() -> Switch {
        let mut sw = Switch::new(SwitchConfig::new("vs", false, UnknownUnicast::Drop));
        let trunk = || PortMode::Trunk {
            native: 1,
            allowed: Vec::new(),
        };
        let m0 = sw.add_port("uplink (Ethernet)", trunk());
        let m1 = sw.add_port("uplink (Ethernet 2)", trunk());
        let a = sw.add_port("a", PortMode::Access(1));
        let b = sw.add_port("b", PortMode::Access(1));
        sw.pin_mac(HOST_A, 1, a);
        sw.pin_mac(HOST_B, 1, b);
        sw.config.unknown_unicast = UnknownUnicast::ToPort(m0);
        sw.config.team = Some(Team {
            name: "SET team".into(),
            primary: m0,
            members: vec![m0, m1],
        });
        sw
    }

    fn frame(src: MacAddr, dst: MacAddr) -> Frame {
        let mut bytes = arp_request(
            src,
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
        );
        wire::set_eth_dst(&mut bytes, dst);
        Frame::new(bytes, None)
    }

    fn handle(sw: &mut Switch, port: u16, f: Frame) -> Outbox {
        let mut out = Outbox::default();
        out.reset(SimTime::ZERO, NodeId(0));
        sw.handle_frame(PortId(port), f, &mut out);
        // A flood's unchanged copies, as the ordinary sends they stand for.
        out.spill_flood();
        out
    }

    fn ports(out: &Outbox) -> Vec<u16> {
        out.sends.iter().map(|(p, _)| p.0).collect()
    }

    #[test]
    fn each_vnic_port_leaves_by_one_member_and_fails_over() {
        let mut sw = teamed();
        // Hyper-V port balancing: port 2 by member 0, port 3 by member 1.
        assert_eq!(ports(&handle(&mut sw, 2, frame(HOST_A, OUTSIDE))), [0]);
        assert_eq!(ports(&handle(&mut sw, 3, frame(HOST_B, OUTSIDE))), [1]);
        sw.set_carrier(PortId(1), false);
        assert_eq!(ports(&handle(&mut sw, 3, frame(HOST_B, OUTSIDE))), [0]);
        sw.set_carrier(PortId(0), false);
        let out = handle(&mut sw, 3, frame(HOST_B, OUTSIDE));
        assert!(out.sends.is_empty());
        assert_eq!(out.drops, 1);
    }

    #[test]
    fn a_broadcast_floods_once_to_the_team_and_is_accepted_on_one_member() {
        let mut sw = teamed();
        let out = handle(&mut sw, 2, frame(HOST_A, MacAddr::broadcast()));
        assert_eq!(
            ports(&out),
            [0, 3],
            "one copy to the team, one to the other vNIC"
        );
        // Both members receive the outside's broadcast; only the first one that is up takes it.
        assert_eq!(
            ports(&handle(&mut sw, 0, frame(OUTSIDE, MacAddr::broadcast()))),
            [2, 3]
        );
        let dup = handle(&mut sw, 1, frame(OUTSIDE, MacAddr::broadcast()));
        assert!(dup.sends.is_empty());
        assert_eq!(dup.drops, 0, "a duplicate copy is ignored, not dropped");
        // The team's own broadcast, sent back in by the physical switch, is ignored too.
        assert!(handle(&mut sw, 0, frame(HOST_B, MacAddr::broadcast()))
            .sends
            .is_empty());
        sw.set_carrier(PortId(0), false);
        assert_eq!(
            ports(&handle(&mut sw, 1, frame(OUTSIDE, MacAddr::broadcast()))),
            [2, 3]
        );
        // With the first member down the team still floods, by the second.
        assert_eq!(
            ports(&handle(&mut sw, 2, frame(HOST_A, MacAddr::broadcast()))),
            [1, 3]
        );
        // Unicast from any member reaches the vNIC.
        assert_eq!(ports(&handle(&mut sw, 1, frame(OUTSIDE, HOST_A))), [2]);
    }

    fn traced(f: Frame) -> Frame {
        Frame {
            probe: Some(crate::id::ProbeId(1)),
            ..f
        }
    }

    #[test]
    fn a_traced_flood_shows_each_copy_as_it_leaves() {
        // An uplink trunking VLAN 7 and two access ports on VLAN 7.
        let mut sw = Switch::new(SwitchConfig::new("vs", false, UnknownUnicast::Drop));
        let up = sw.add_port(
            "uplink",
            PortMode::Trunk {
                native: 1,
                allowed: vec![7],
            },
        );
        let a = sw.add_port("a", PortMode::Access(7));
        sw.add_port("b", PortMode::Access(7));
        sw.pin_mac(HOST_A, 7, a);
        let out = handle(&mut sw, a.0, traced(frame(HOST_A, MacAddr::broadcast())));
        assert_eq!(ports(&out), [up.0, 2]);
        // The copy on the trunk carries its tag in the trace as on the wire; the copy to b
        // leaves untagged.
        let tagged: Vec<_> = out
            .hops
            .iter()
            .filter(|h| wire::vlan_id(&h.bytes) == Some(7))
            .collect();
        assert_eq!(tagged.len(), 1);
        assert_eq!(tagged[0].bytes, out.sends[0].1.bytes);
        assert!(out
            .hops
            .iter()
            .any(|h| h.bytes == out.sends[1].1.bytes && wire::vlan_id(&h.bytes).is_none()));
        // Untraced, nothing is recorded.
        let quiet = handle(&mut sw, a.0, frame(HOST_A, MacAddr::broadcast()));
        assert!(quiet.hops.is_empty());
    }

    #[test]
    fn a_flooded_copy_shows_the_mac_rewrite_of_its_port() {
        let host = MacAddr(0x00, 0x1d, 0xd8, 0, 0, 5);
        let mut sw = Switch::new(SwitchConfig::new("vs", false, UnknownUnicast::Drop));
        let up = sw.add_port("uplink", PortMode::Access(1));
        let a = sw.add_port("a", PortMode::Access(1));
        sw.add_port("b", PortMode::Access(1));
        sw.pin_mac(HOST_A, 1, a);
        let mut vfp = PortPolicyConfig::new("VFP".into(), up, host);
        vfp.endpoints
            .push(super::super::port_policy::PolicyEndpoint {
                name: "a".into(),
                port: a,
                mac: HOST_A,
                ip: "10.0.0.1".parse().expect("ip"),
                vlan: 1,
                mac_rewrite: true,
                to_uplink: None,
            });
        sw.config.port_policy = Some(Box::new(vfp));
        let out = handle(&mut sw, a.0, traced(frame(HOST_A, MacAddr::broadcast())));
        let leaving: Vec<_> = out
            .hops
            .iter()
            .filter(|h| !matches!(h.action, Action::MacRewrite { .. }))
            .map(|h| wire::eth_src(&h.bytes))
            .collect();
        // After the rewrite the copy to the uplink shows the host MAC; the copy to b keeps a's.
        assert!(leaving.contains(&Some(host)), "{leaving:?}");
        assert!(leaving.contains(&Some(HOST_A)), "{leaving:?}");
    }

    #[test]
    fn unknown_unicast_that_would_go_back_where_it_came_from_is_a_drop_with_a_reason() {
        let mut sw = teamed();
        sw.config.team = None;
        // From the uplink, for a MAC the vSwitch does not know (a container since replaced).
        let out = handle(&mut sw, 0, traced(frame(OUTSIDE, HOST_B_OLD)));
        assert!(out.sends.is_empty());
        assert_eq!(out.drops, 1);
        assert!(matches!(
            out.hops[0].action,
            Action::Dropped(DropReason::UnknownUnicastBack {
                mac: HOST_B_OLD,
                vlan: 1,
                ..
            })
        ));
        // A learning switch without a reason of its own still says why it filters.
        let mut hv = Switch::new(SwitchConfig::new("hv", true, UnknownUnicast::Flood));
        for name in ["p0", "p1", "p2"] {
            hv.add_port(name, PortMode::Access(1));
        }
        handle(&mut hv, 1, frame(HOST_A, OUTSIDE));
        let out = handle(&mut hv, 1, frame(HOST_B, HOST_A));
        assert_eq!((out.sends.len(), out.drops), (0, 1));
    }

    #[test]
    fn a_port_without_carrier_gets_no_floods_and_forgets_its_macs() {
        let mut sw = Switch::new(SwitchConfig::new("tor", true, UnknownUnicast::Flood));
        for name in ["p0", "p1", "p2"] {
            sw.add_port(name, PortMode::Access(1));
        }
        handle(&mut sw, 1, frame(HOST_A, OUTSIDE));
        assert_eq!(sw.lookup(1, HOST_A), Some(PortId(1)));
        sw.set_carrier(PortId(1), false);
        assert_eq!(sw.lookup(1, HOST_A), None);
        assert_eq!(ports(&handle(&mut sw, 0, frame(OUTSIDE, HOST_A))), [2]);
    }

    #[test]
    fn a_port_summary_is_four_bytes() {
        // Sixteen ports to a cache line: the point of the summary (issue 13, flatness).
        assert_eq!(std::mem::size_of::<PortSummary>(), 4);
    }

    /// A change to a switch's ports, as a control plane makes them.
    #[derive(Clone, Debug)]
    enum PortOp {
        Add(PortMode),
        /// Removes the port at this index modulo the ports there are.
        Remove(usize),
        /// Changes the port at this index modulo the ports there are.
        Modify(usize, PortMode, Option<u8>, bool),
    }

    /// VLANs from a small set, so that modes, tags and VLANs meet often.
    fn a_mode() -> impl Strategy<Value = PortMode> {
        prop_oneof![
            (0u16..4).prop_map(PortMode::Access),
            (0u16..4, prop::collection::vec(0u16..4, 0..3))
                .prop_map(|(native, allowed)| PortMode::Trunk { native, allowed }),
        ]
    }

    fn a_port_op() -> impl Strategy<Value = PortOp> {
        prop_oneof![
            a_mode().prop_map(PortOp::Add),
            any::<usize>().prop_map(PortOp::Remove),
            (
                any::<usize>(),
                a_mode(),
                prop::option::of(0u8..3),
                any::<bool>()
            )
                .prop_map(|(i, m, mac, r)| PortOp::Modify(i, m, mac, r)),
        ]
    }

    use proptest::prelude::*;

    proptest! {
        /// Whatever ports are added, removed and changed, the summary is the records', and
        /// every answer forwarding takes from it (admitted VLAN, VLANs carried, tagging,
        /// port security, reflection, an access port's VLAN) is the record's.
        #[test]
        fn the_port_summary_answers_as_the_records(
            ops in prop::collection::vec(a_port_op(), 0..40)
        ) {
            let mut sw = Switch::new(SwitchConfig::new("sw", true, UnknownUnicast::Flood));
            for op in ops {
                let n = sw.config.ports().len();
                match op {
                    PortOp::Add(mode) => {
                        sw.add_port(format!("p{n}"), mode);
                    }
                    PortOp::Remove(i) if n > 0 => sw.remove_port(PortId((i % n) as u16)),
                    PortOp::Modify(i, mode, mac, reflect) if n > 0 => {
                        if let Some(mut p) = sw.port_mut(PortId((i % n) as u16)) {
                            p.mode = mode;
                            p.allowed_src = mac.map(|b| MacAddr(2, 0, 0, 0, 0, b));
                            p.reflect = reflect;
                        }
                    }
                    PortOp::Remove(_) | PortOp::Modify(..) => {}
                }
                prop_assert!(sw.config.summary_follows());
                // A copy of the configuration (a plan's) makes a switch with the same summary.
                prop_assert!(Switch::new(sw.config.clone()).config.summary_follows());
                let cfg = &sw.config;
                for i in 0..=n as u16 {
                    let port = PortId(i);
                    let s = cfg.summary(port);
                    let Some(record) = cfg.port(port) else {
                        prop_assert!(!s.present());
                        continue;
                    };
                    prop_assert!(s.present());
                    for vlan in 0u16..5 {
                        prop_assert_eq!(cfg.carries(port, s, vlan), record.mode.carries(vlan));
                        prop_assert_eq!(s.egress_tagged(vlan), record.mode.egress_tagged(vlan));
                    }
                    for tag in std::iter::once(None).chain((0u16..5).map(Some)) {
                        prop_assert_eq!(
                            cfg.ingress_vlan(port, s, tag),
                            record.mode.ingress_vlan(tag)
                        );
                    }
                    for b in 0u8..3 {
                        let src = MacAddr(2, 0, 0, 0, 0, b);
                        prop_assert_eq!(
                            cfg.spoofed(port, s, src),
                            record.allowed_src.is_some_and(|m| m != src)
                        );
                    }
                    prop_assert_eq!(s.has(PortSummary::REFLECT), record.reflect);
                    let access = match record.mode {
                        PortMode::Access(v) => Some(v),
                        PortMode::Trunk { .. } => None,
                    };
                    prop_assert_eq!(s.access_vlan(), access);
                }
            }
        }
    }

    #[test]
    fn a_discarding_port_neither_forwards_nor_learns() {
        use crate::device::spanning_tree::{BridgeId, PortRole, SpanningTreeConfig};
        let mut sw = Switch::new(SwitchConfig::new("sw", true, UnknownUnicast::Flood));
        for name in ["host", "up", "blocked"] {
            sw.add_port(name, PortMode::Access(1));
        }
        let mut st = SpanningTreeConfig::alone(BridgeId::new(32768, OUTSIDE));
        st.roles = vec![
            (PortId(1), PortRole::Root),
            (PortId(2), PortRole::Alternate),
        ];
        sw.set_spanning_tree(Some(st), false);
        // In at the alternate port: dropped, with its reason, and not learned.
        let out = handle(&mut sw, 2, traced(frame(HOST_A, MacAddr::broadcast())));
        assert_eq!((out.sends.len(), out.drops), (0, 1));
        assert!(matches!(
            out.hops[0].action,
            Action::Dropped(DropReason::SpanningTree {
                role: "alternate",
                ..
            })
        ));
        assert_eq!(sw.lookup(1, HOST_A), None);
        // A flood leaves by every port but the discarding one.
        assert_eq!(
            ports(&handle(&mut sw, 0, frame(HOST_B, MacAddr::broadcast()))),
            [1]
        );
        // A topology change forgets what was learned towards other switches, not at hosts.
        handle(&mut sw, 1, frame(HOST_A, OUTSIDE));
        assert_eq!(sw.lookup(1, HOST_A), Some(PortId(1)));
        let mut st = SpanningTreeConfig::alone(BridgeId::new(32768, OUTSIDE));
        st.roles = vec![
            (PortId(1), PortRole::Alternate),
            (PortId(2), PortRole::Root),
        ];
        sw.set_spanning_tree(Some(st), true);
        assert_eq!(sw.lookup(1, HOST_A), None);
        assert_eq!(sw.lookup(1, HOST_B), Some(PortId(0)));
    }

    /// A frame for the fast path's test: MACs from a small set (with broadcast and a
    /// multicast group), tagged or not, traced or not, or cut short.
    #[derive(Clone, Debug)]
    struct TestFrame {
        in_port: u16,
        src: u8,
        dst: u8,
        tag: Option<u16>,
        traced: bool,
        short: bool,
    }

    fn a_test_mac(i: u8) -> MacAddr {
        match i {
            0 => MacAddr::broadcast(),
            1 => MacAddr(0x01, 0, 0x5e, 0, 0, 1),
            i => MacAddr(2, 0, 0, 0, 0, i),
        }
    }

    /// Two VLANs, so that ports, pins and tags meet often.
    fn a_small_mode() -> impl Strategy<Value = PortMode> {
        prop_oneof![
            (0u16..2).prop_map(PortMode::Access),
            (0u16..2, prop::collection::vec(0u16..2, 0..2))
                .prop_map(|(native, allowed)| PortMode::Trunk { native, allowed }),
        ]
    }

    fn a_test_frame() -> impl Strategy<Value = TestFrame> {
        (
            0u16..6,
            0u8..6,
            0u8..6,
            prop::option::of(0u16..2),
            any::<bool>(),
            prop::bool::weighted(0.05),
        )
            .prop_map(|(in_port, src, dst, tag, traced, short)| TestFrame {
                in_port,
                src,
                dst,
                tag,
                traced,
                short,
            })
    }

    /// The plain path takes a known unicast frame between two access ports (so the test
    /// below compares it with something), and leaves a broadcast to the full path.
    #[test]
    fn the_plain_path_takes_known_unicast() {
        let mut sw = Switch::new(SwitchConfig::new("vs", false, UnknownUnicast::Drop));
        let a = sw.add_port("a", PortMode::Access(1));
        let b = sw.add_port("b", PortMode::Access(1));
        sw.pin_mac(HOST_A, 1, a);
        sw.pin_mac(HOST_B, 1, b);
        let mut out = Outbox::default();
        out.reset(SimTime::ZERO, NodeId(0));
        assert!(sw
            .forward_plain(a, frame(HOST_A, HOST_B), &mut out)
            .is_none());
        assert_eq!(ports(&out), [b.0]);
        let broadcast = frame(HOST_A, MacAddr::broadcast());
        assert!(sw.forward_plain(a, broadcast, &mut out).is_some());
    }

    proptest! {
        /// The plain unicast path answers as the full path: on switches with any ports,
        /// port security, reflection, pinned MACs, learning or not and each way of handling
        /// unknown unicast, every frame sends the same frames to the same ports, traces the
        /// same hops, drops the same and leaves the same MAC table.
        #[test]
        fn the_plain_path_answers_as_the_full_path(
            ports in prop::collection::vec(
                (a_small_mode(), prop::option::of(2u8..6), prop::bool::weighted(0.2)),
                1..6,
            ),
            removed in prop::option::of(0u16..6),
            learning in any::<bool>(),
            unknown in 0u8..3,
            pins in prop::collection::vec((2u8..6, 0u16..2, 0u16..6), 0..8),
            frames in prop::collection::vec(a_test_frame(), 1..16),
        ) {
            let unknown = match unknown {
                0 => UnknownUnicast::Flood,
                1 => UnknownUnicast::Drop,
                _ => UnknownUnicast::ToPort(PortId(0)),
            };
            let mut sw = Switch::new(SwitchConfig::new("sw", learning, unknown));
            for (i, (mode, guard, reflect)) in ports.into_iter().enumerate() {
                let port = sw.add_port(format!("p{i}"), mode);
                if let Some(mut p) = sw.port_mut(port) {
                    p.allowed_src = guard.map(a_test_mac);
                    p.reflect = reflect;
                }
            }
            if let Some(r) = removed {
                sw.remove_port(PortId(r));
            }
            for (mac, vlan, port) in pins {
                sw.pin_mac(a_test_mac(mac), vlan, PortId(port));
            }
            let mut full = Switch::new(sw.config.clone());
            for f in frames {
                let mut bytes = arp_request(
                    a_test_mac(f.src),
                    "10.0.0.1".parse().unwrap(),
                    "10.0.0.2".parse().unwrap(),
                );
                wire::set_eth_dst(&mut bytes, a_test_mac(f.dst));
                if let Some(t) = f.tag {
                    wire::push_vlan(&mut bytes, t);
                }
                if f.short {
                    bytes.truncate(10);
                }
                let probe = f.traced.then_some(crate::id::ProbeId(1));
                let frame = Frame::new(bytes, probe);
                let port = PortId(f.in_port);
                let (mut a, mut b) = (Outbox::default(), Outbox::default());
                a.reset(SimTime::ZERO, NodeId(0));
                b.reset(SimTime::ZERO, NodeId(0));
                sw.handle_frame(port, frame.clone(), &mut a);
                full.handle_frame_full(port, frame, &mut b);
                a.spill_flood();
                b.spill_flood();
                prop_assert_eq!(&a.sends, &b.sends);
                prop_assert_eq!(&a.hops, &b.hops);
                prop_assert_eq!(a.drops, b.drops);
                prop_assert_eq!(a.sent_hops, b.sent_hops);
            }
            for mac in 0u8..6 {
                for vlan in 0u16..4 {
                    prop_assert_eq!(sw.lookup(vlan, a_test_mac(mac)), full.lookup(vlan, a_test_mac(mac)));
                }
            }
        }
    }
}
