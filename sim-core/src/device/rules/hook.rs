//! One hook of a device's packet path: the tables that run there, combined with connection
//! tracking, in netfilter's order.
//!
//! At a hook, raw tables run first; then (at the first hook a packet meets on this device)
//! conntrack finds or opens its connection; then mangle tables; then, at `Prerouting` and
//! `Output`, destination NAT (the NAT tables decide for a connection's first packet, the
//! connection translates every later one); then filter tables; then, at `Postrouting` and
//! `Input`, source NAT. Devices call `run` at each hook with the packet's `Passage`, which
//! carries its connection from hook to hook. A connection opened by a packet stays
//! unconfirmed until that packet passes its last hook (`Input` or `Postrouting`); one that
//! never got that far is forgotten when the next packet looks for it, as netfilter forgets
//! the connection of a dropped first packet.
//!
//! Every translation of a traced frame is recorded as a hop; every drop names its table,
//! chain and rule (or the chain's policy).

use super::eval::{walk, NatDecision, PacketMeta, TableVerdict};
use super::{CtDir, CtStates, Hook, Reject, RuleId, Ruleset, TableKind};
use crate::device::action::{Action, DropReason, NatHow, NatKind, NatTarget};
use crate::device::conntrack::{self, ConnId, Conntrack, CreateError};
use crate::device::{Frame, Outbox};
use crate::id::PortId;
use crate::sym::Interner;
use crate::wire::{self, View};
use std::net::{Ipv4Addr, SocketAddrV4};

/// What a hook needs to know about the device it runs on.
pub trait DeviceFacts {
    /// The name of a port, for traces and listings.
    fn port_name(&self, port: PortId) -> String;
    /// Whether `ip` is one of the device's own addresses.
    fn is_local(&self, ip: Ipv4Addr) -> bool;
    /// Whether `ip` is an address of the interface on `port`.
    fn is_local_on(&self, ip: Ipv4Addr, port: PortId) -> bool;
    /// The address of the interface on `port` (what MASQUERADE translates to).
    fn port_addr(&self, port: PortId) -> Option<Ipv4Addr>;
}

/// The ports a packet came in by and leaves by, as far as they are known at a hook.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ports {
    pub in_port: Option<PortId>,
    pub out_port: Option<PortId>,
}

/// One packet's way through one device's hooks: its connection, its mark.
#[derive(Clone, Copy, Debug, Default)]
pub struct Passage {
    conn: Option<(ConnId, CtDir)>,
    state: Option<CtStates>,
    /// This packet opened its connection: NAT tables decide for it.
    opened: bool,
    related: bool,
    mark: u32,
}

impl Passage {
    /// The packet's connection and its direction, if it is tracked.
    pub fn conn(&self) -> Option<(ConnId, CtDir)> {
        self.conn
    }
}

/// What a hook decided. Drops are already recorded in the outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Drop,
    /// Dropped, and the device answers as `Reject` says.
    Reject(Reject),
}

/// The rules and the connection table of one device.
pub struct Tables<'a> {
    pub rules: &'a mut Ruleset,
    pub ct: &'a mut Conntrack,
}

impl Tables<'_> {
    /// Runs `hook` for the frame `frame` (viewed as `view`, refreshed after any rewrite).
    ///
    /// Inlined into the packet path for its common answer: an untracked packet at a hook with
    /// no chains, or one the protocol fast path accepts, passes after a few loads. Always
    /// inlined, the walk never: a call of `run` with its eight arguments cost about thirty
    /// instructions of the sixty-odd a hook took (issue 13).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn run(
        &mut self,
        hook: Hook,
        dev: &dyn DeviceFacts,
        ports: Ports,
        passage: &mut Passage,
        frame: &mut Frame,
        view: &mut View,
        out: &mut Outbox,
    ) -> Verdict {
        let Some(ip) = &view.ip else {
            return Verdict::Pass;
        };
        if passage.conn.is_none()
            && !self.rules.needs_conntrack(ip.proto)
            && (!self.rules.has_hook(hook)
                || self
                    .rules
                    .accept_by_protocol(hook, ip.proto, usize::from(ip.total_len)))
        {
            return Verdict::Pass;
        }
        self.walk(hook, dev, ports, passage, frame, view, out)
    }

    /// The hook's tables in full: conntrack, then raw, mangle, NAT and filter.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn walk(
        &mut self,
        hook: Hook,
        dev: &dyn DeviceFacts,
        ports: Ports,
        passage: &mut Passage,
        frame: &mut Frame,
        view: &mut View,
        out: &mut Outbox,
    ) -> Verdict {
        let Some(ip) = view.ip else {
            return Verdict::Pass;
        };
        let tracking = self.rules.needs_conntrack(ip.proto);
        let mut meta = PacketMeta::new(ip.src, ip.dst, ip.proto, usize::from(ip.total_len));
        meta.in_port = ports.in_port;
        meta.out_port = ports.out_port;
        meta.mark = passage.mark;
        if let Some((s, d)) = ip.ports() {
            (meta.sport, meta.dport, meta.has_ports) = (s, d, true);
        }
        if self.rules.needs_addrtype() {
            meta.dst_local = dev.is_local(ip.dst);
            meta.dst_local_in = ports.in_port.is_some_and(|p| dev.is_local_on(ip.dst, p));
            meta.src_local = dev.is_local(ip.src);
        }
        if let v @ (Verdict::Drop | Verdict::Reject(_)) =
            self.tables(TableKind::Raw, hook, dev, ports, &mut meta, frame, out)
        {
            return self.dropped(passage, v);
        }
        if tracking && passage.state.is_none() && matches!(hook, Hook::Prerouting | Hook::Output) {
            if let Err(max) = self.track(out.now, passage, view) {
                out.drop_frame(frame, |_| DropReason::ConntrackFull { max });
                return Verdict::Drop;
            }
        }
        meta.ct_state = passage.state.unwrap_or(CtStates::UNTRACKED);
        if let Some((id, dir)) = passage.conn {
            meta.ct_dir = Some(dir);
            meta.ct_status = self.ct.get(id).status;
        }
        if let v @ (Verdict::Drop | Verdict::Reject(_)) =
            self.tables(TableKind::Mangle, hook, dev, ports, &mut meta, frame, out)
        {
            return self.dropped(passage, v);
        }
        if hook.translates_destination() {
            if let v @ (Verdict::Drop | Verdict::Reject(_)) =
                self.nat(hook, dev, ports, passage, &mut meta, frame, view, out)
            {
                return self.dropped(passage, v);
            }
        }
        if let v @ (Verdict::Drop | Verdict::Reject(_)) =
            self.tables(TableKind::Filter, hook, dev, ports, &mut meta, frame, out)
        {
            return self.dropped(passage, v);
        }
        if hook.translates_source() {
            if let v @ (Verdict::Drop | Verdict::Reject(_)) =
                self.nat(hook, dev, ports, passage, &mut meta, frame, view, out)
            {
                return self.dropped(passage, v);
            }
        }
        passage.mark = meta.mark;
        if passage.opened && matches!(hook, Hook::Input | Hook::Postrouting) {
            if let Some((id, _)) = passage.conn {
                self.ct.confirm(id);
            }
        }
        Verdict::Pass
    }

    /// A drop takes away the connection its packet opened.
    fn dropped(&mut self, passage: &mut Passage, v: Verdict) -> Verdict {
        if let (true, Some((id, _))) = (passage.opened, passage.conn) {
            self.ct.remove(id);
            passage.conn = None;
        }
        v
    }

    /// Finds or opens the packet's connection and sets its state.
    fn track(
        &mut self,
        now: crate::time::SimTime,
        passage: &mut Passage,
        view: &View,
    ) -> Result<(), usize> {
        let Some(ip) = view.ip else {
            return Ok(());
        };
        if let Some(q) = ip.quoted() {
            // An ICMP error about a tracked packet belongs to that packet's connection, in
            // the direction opposite to the quoted packet's.
            let quoted_type = (q.proto == wire::IPPROTO_ICMP).then_some(8);
            let key = conntrack::reverse(conntrack::tuple(q, quoted_type));
            match self.ct.lookup(now, &key) {
                Some((id, dir)) => {
                    passage.conn = Some((id, dir));
                    passage.related = true;
                    passage.state = Some(CtStates::RELATED);
                }
                None => passage.state = Some(CtStates::INVALID),
            }
            return Ok(());
        }
        let Some(key) = ip.flow_key() else {
            passage.state = Some(CtStates::UNTRACKED);
            return Ok(());
        };
        let key = conntrack::tuple(key, ip.icmp_type());
        match self.ct.lookup(now, &key) {
            Some((id, dir)) => {
                self.ct.touch(id, dir, now);
                let c = self.ct.get(id);
                passage.state = Some(if dir == CtDir::Reply || c.seen_reply {
                    CtStates::ESTABLISHED
                } else {
                    CtStates::NEW
                });
                passage.conn = Some((id, dir));
            }
            None => match self.ct.create(now, key) {
                Ok(id) => {
                    passage.conn = Some((id, CtDir::Original));
                    passage.opened = true;
                    passage.state = Some(CtStates::NEW);
                }
                Err(CreateError::Clash) => passage.state = Some(CtStates::UNTRACKED),
                Err(CreateError::Full(max)) => return Err(max),
            },
        }
        Ok(())
    }

    /// Runs the tables of one kind at `hook`, in order.
    #[allow(clippy::too_many_arguments)]
    fn tables(
        &mut self,
        kind: TableKind,
        hook: Hook,
        dev: &dyn DeviceFacts,
        ports: Ports,
        meta: &mut PacketMeta,
        frame: &Frame,
        out: &mut Outbox,
    ) -> Verdict {
        for i in 0..self.rules.base_chain_count(hook) {
            let (t, c) = self.rules.base_chain(hook, i);
            if self.rules.tables()[t].kind != kind {
                continue;
            }
            match walk(self.rules, t, c, meta) {
                TableVerdict::Accept { shown: Some(id) } => {
                    let rules = &*self.rules;
                    out.hop(frame.probe, &frame.bytes, |syms| {
                        let (table, rule) = label(rules, id, dev, syms);
                        Action::Allowed { table, rule }
                    });
                }
                TableVerdict::Accept { shown: None } | TableVerdict::Nat(..) => {}
                TableVerdict::Drop(at) => {
                    self.record_drop(hook, t, at, dev, ports, frame, out);
                    return Verdict::Drop;
                }
                TableVerdict::Reject(how, at) => {
                    self.record_drop(hook, t, at, dev, ports, frame, out);
                    return Verdict::Reject(how);
                }
                TableVerdict::TooDeep(at) => {
                    let rules = &*self.rules;
                    out.drop_frame(frame, |syms| DropReason::JumpsTooDeep {
                        table: syms.intern(&rules.tables()[t].name),
                        chain: syms.intern(&rules.tables()[t].chains[at.chain].name),
                    });
                    return Verdict::Drop;
                }
            }
        }
        Verdict::Pass
    }

    #[allow(clippy::too_many_arguments)]
    fn record_drop(
        &self,
        hook: Hook,
        t: usize,
        at: super::eval::At,
        dev: &dyn DeviceFacts,
        ports: Ports,
        frame: &Frame,
        out: &mut Outbox,
    ) {
        let rules = &*self.rules;
        out.drop_frame(frame, |syms| {
            let table = &rules.tables()[t];
            let chain = &table.chains[at.chain];
            let why = match at.rule {
                Some(r) => {
                    let rule = &chain.rules[r];
                    rule.comment.clone().unwrap_or_else(|| {
                        super::render::rule_line(&chain.name, rule, &|p| dev.port_name(p))
                    })
                }
                None => match &chain.policy {
                    super::Policy::Drop(why) => why.clone(),
                    super::Policy::Accept => "policy".to_string(),
                },
            };
            DropReason::Rule {
                hook,
                kind: table.kind,
                table: syms.intern(&table.name),
                chain: syms.intern(&chain.name),
                rule: at.rule.map(|r| r as u32 + 1),
                why: syms.intern(&why),
                in_iface: ports.in_port.map(|p| syms.intern(&dev.port_name(p))),
                out_iface: ports.out_port.map(|p| syms.intern(&dev.port_name(p))),
            }
        });
    }

    /// Destination NAT at `Prerouting`/`Output`, source NAT at `Postrouting`/`Input`: the
    /// NAT tables decide for a connection's first packet, the connection translates the rest.
    #[allow(clippy::too_many_arguments)]
    fn nat(
        &mut self,
        hook: Hook,
        dev: &dyn DeviceFacts,
        ports: Ports,
        passage: &mut Passage,
        meta: &mut PacketMeta,
        frame: &mut Frame,
        view: &mut View,
        out: &mut Outbox,
    ) -> Verdict {
        let Some((id, dir)) = passage.conn else {
            return Verdict::Pass;
        };
        let destination = hook.translates_destination();
        if passage.opened {
            for i in 0..self.rules.base_chain_count(hook) {
                let (t, c) = self.rules.base_chain(hook, i);
                if self.rules.tables()[t].kind != TableKind::Nat {
                    continue;
                }
                match walk(self.rules, t, c, meta) {
                    TableVerdict::Accept { .. } => {}
                    TableVerdict::Drop(at) | TableVerdict::Reject(_, at) => {
                        self.record_drop(hook, t, at, dev, ports, frame, out);
                        return Verdict::Drop;
                    }
                    TableVerdict::TooDeep(at) => {
                        self.record_drop(hook, t, at, dev, ports, frame, out);
                        return Verdict::Drop;
                    }
                    TableVerdict::Nat(decision, rule) => {
                        return self.bind(
                            decision,
                            rule,
                            destination,
                            id,
                            dev,
                            ports,
                            frame,
                            view,
                            out,
                        );
                    }
                }
            }
            return Verdict::Pass;
        }
        let Some(to) = self.ct.manip(id, dir, destination) else {
            return Verdict::Pass;
        };
        let c = self.ct.get(id);
        let (rule, target) = if destination == (dir == CtDir::Original) {
            (c.dnat_rule, NatTarget::Dnat)
        } else {
            (c.snat_rule, NatTarget::Snat)
        };
        let how = NatHow {
            target,
            dir,
            first: false,
        };
        let related = passage.related;
        self.rewrite(destination, to, rule, how, related, dev, frame, view, out);
        Verdict::Pass
    }

    /// Binds a NAT decision to a new connection and translates its first packet.
    #[allow(clippy::too_many_arguments)]
    fn bind(
        &mut self,
        decision: NatDecision,
        rule: RuleId,
        destination: bool,
        id: ConnId,
        dev: &dyn DeviceFacts,
        ports: Ports,
        frame: &mut Frame,
        view: &mut View,
        out: &mut Outbox,
    ) -> Verdict {
        let Some(ip) = view.ip else {
            return Verdict::Pass;
        };
        let (sport, dport) = ip.flow_key().map_or((0, 0), |k| (k.sport, k.dport));
        let (to, target) = match (decision, destination) {
            (NatDecision::Dnat(to), true) => {
                let port = to.ports.map_or(dport, |(lo, _)| lo);
                let to = SocketAddrV4::new(to.addr, port);
                self.ct.bind_dnat(id, to, rule);
                (to, NatTarget::Dnat)
            }
            (NatDecision::Snat(_) | NatDecision::Masquerade(_), false) => {
                let (addr, range, target) = match decision {
                    // An unspecified address translates the port alone.
                    NatDecision::Snat(to) if to.addr.is_unspecified() => {
                        (Some(ip.src), to.ports, NatTarget::Snat)
                    }
                    NatDecision::Snat(to) => (Some(to.addr), to.ports, NatTarget::Snat),
                    NatDecision::Masquerade(r) => (
                        ports.out_port.and_then(|p| dev.port_addr(p)),
                        r,
                        NatTarget::Masquerade,
                    ),
                    NatDecision::Dnat(_) => unreachable!("matched above"),
                };
                // Without an address to translate to, the packet leaves untranslated.
                let Some(addr) = addr else {
                    return Verdict::Pass;
                };
                let rules = &*self.rules;
                match self.ct.bind_snat(
                    id,
                    addr,
                    range,
                    |p, port| rules.dnat_listens_on(p, port),
                    rule,
                ) {
                    Ok(to) => (to, target),
                    Err(_) => {
                        out.drop_frame(frame, |syms| {
                            let table = rules.find(rule).map_or("?", |(t, _, _)| &t.name);
                            DropReason::NatPortsExhausted {
                                table: syms.intern(table),
                            }
                        });
                        return Verdict::Drop;
                    }
                }
            }
            // A source translation in a destination hook (or the reverse) has no meaning.
            _ => return Verdict::Pass,
        };
        let _ = sport;
        let how = NatHow {
            target,
            dir: CtDir::Original,
            first: true,
        };
        self.rewrite(
            destination,
            to,
            Some(rule),
            how,
            false,
            dev,
            frame,
            view,
            out,
        );
        Verdict::Pass
    }

    /// Rewrites the packet's destination (or source) to `to`, records the hop, re-views it.
    #[allow(clippy::too_many_arguments)]
    fn rewrite(
        &self,
        destination: bool,
        to: SocketAddrV4,
        rule: Option<RuleId>,
        how: NatHow,
        related: bool,
        dev: &dyn DeviceFacts,
        frame: &mut Frame,
        view: &mut View,
        out: &mut Outbox,
    ) {
        let Some(ip) = view.ip else {
            return;
        };
        let key = ip.flow_key();
        let (before, after) = if related {
            // An ICMP error: only its addresses show; the quoted packet is fixed up too.
            let before = if destination { ip.dst } else { ip.src };
            (SocketAddrV4::new(before, 0), SocketAddrV4::new(*to.ip(), 0))
        } else {
            let (a, p) = match (destination, key) {
                (true, Some(k)) => (k.dst, k.dport),
                (false, Some(k)) => (k.src, k.sport),
                (true, None) => (ip.dst, 0),
                (false, None) => (ip.src, 0),
            };
            (SocketAddrV4::new(a, p), to)
        };
        // The view says where each field is and follows the rewrite: no second parse.
        if !wire::rewrite_viewed(&mut frame.bytes, view, destination, *to.ip(), to.port()) {
            return;
        }
        let rules = &*self.rules;
        out.hop(frame.probe, &frame.bytes, |syms| {
            let (table, words) = match rule {
                Some(id) => label(rules, id, dev, syms),
                None => (syms.intern("conntrack"), syms.intern("tracked connection")),
            };
            let tag = rule
                .and_then(|id| rules.find(id))
                .and_then(|(t, _, _)| t.tag.as_deref())
                .map(|t| syms.intern(t));
            Action::Nat {
                table,
                tag,
                kind: if destination {
                    NatKind::Destination
                } else {
                    NatKind::Source
                },
                before,
                after,
                rule: words,
                how,
            }
        });
    }
}

/// The table and the words of a rule, for a trace: its comment, or the rule itself.
fn label(
    rules: &Ruleset,
    id: RuleId,
    dev: &dyn DeviceFacts,
    syms: &mut Interner,
) -> (crate::sym::Sym, crate::sym::Sym) {
    match rules.find(id) {
        Some((t, c, r)) => {
            let words = r
                .comment
                .clone()
                .unwrap_or_else(|| super::render::rule_line(&c.name, r, &|p| dev.port_name(p)));
            (syms.intern(&t.name), syms.intern(&words))
        }
        None => (syms.intern("?"), syms.intern("a rule since removed")),
    }
}
