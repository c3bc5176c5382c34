//! Packet filtering and address translation as data: tables of ordered chains of rules,
//! consulted at the hooks of a device's packet path.
//!
//! Owns the rule model (`Ruleset`, `Table`, `Chain`, `Rule`, `Test`, `Target`), its derived
//! lookup tables, its counters, and the walk of one table (`eval`). The per-hook pipeline that
//! combines tables with connection tracking is `hook`; `render` prints a ruleset in an
//! `iptables-save`-like form. A control plane (HNS, libnetwork) compiles its policies into a
//! ruleset; devices only evaluate it. Nothing here knows an operating system or a driver:
//! a Windows firewall, WinNAT, VFP's NAT layers and Linux netfilter are all rulesets.
//!
//! The model follows netfilter's: at each hook, tables run in kind order (raw, then
//! connection tracking, mangle, destination NAT, filter, source NAT); inside a table, a base
//! chain's rules are tried in order and the first terminal target decides, with jumps into
//! user chains and returns from them; a base chain that falls off its end applies its policy.
//! NAT tables are consulted only for the first packet of a connection; their decision is
//! kept in conntrack and applied to every later packet in both directions. Precedence
//! schemes of other platforms (WFP's "block wins") are compiled into this order by the
//! control plane.

pub mod eval;
mod fast;
pub mod hook;
#[cfg(test)]
mod reference;
pub mod render;
#[cfg(test)]
mod tests;

use crate::id::PortId;
use ipnetwork::Ipv4Network;
use serde::Serialize;
use std::net::Ipv4Addr;

/// A point of a device's packet path where rules run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Hook {
    /// A packet arrived, before the routing (or bridging) decision.
    Prerouting,
    /// The packet is for this device itself.
    Input,
    /// The packet passes through (routed, or bridged between two ports).
    Forward,
    /// The device made the packet.
    Output,
    /// The packet is about to leave.
    Postrouting,
}

impl Hook {
    pub const ALL: [Hook; 5] = [
        Hook::Prerouting,
        Hook::Input,
        Hook::Forward,
        Hook::Output,
        Hook::Postrouting,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// The hook's name as `iptables-save` spells a built-in chain.
    pub fn chain_name(self) -> &'static str {
        match self {
            Hook::Prerouting => "PREROUTING",
            Hook::Input => "INPUT",
            Hook::Forward => "FORWARD",
            Hook::Output => "OUTPUT",
            Hook::Postrouting => "POSTROUTING",
        }
    }

    /// Whether NAT at this hook changes the destination (and the route): the first packet of
    /// a connection picks its destination here.
    pub fn translates_destination(self) -> bool {
        matches!(self, Hook::Prerouting | Hook::Output)
    }

    /// Whether NAT at this hook changes the source: after the routing decision.
    pub fn translates_source(self) -> bool {
        matches!(self, Hook::Postrouting | Hook::Input)
    }
}

/// What a table is for, which decides when it runs at a hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum TableKind {
    /// Before connection tracking: every packet, no connection state.
    Raw,
    /// Every packet, after connection tracking; marks.
    Mangle,
    /// The first packet of a connection only; its targets translate addresses.
    Nat,
    /// Every packet; accept, drop or reject.
    Filter,
}

impl TableKind {
    /// The name `iptables-save` gives a table of this kind.
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Raw => "raw",
            TableKind::Mangle => "mangle",
            TableKind::Nat => "nat",
            TableKind::Filter => "filter",
        }
    }
}

/// Who installed a rule: an opaque tag the control plane chooses (a network, an endpoint), so
/// that removing an owner removes exactly its rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Owner(pub u64);

/// A rule's identity inside its ruleset: stable while the rule exists, never reused.
/// Connections remember the NAT rule that bound them by this id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RuleId(pub u32);

/// Connection-tracking states a rule can match (`-m conntrack --ctstate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct CtStates(pub u8);

impl CtStates {
    pub const NEW: CtStates = CtStates(1);
    pub const ESTABLISHED: CtStates = CtStates(2);
    pub const RELATED: CtStates = CtStates(4);
    pub const INVALID: CtStates = CtStates(8);
    pub const UNTRACKED: CtStates = CtStates(16);

    pub const fn union(self, other: CtStates) -> CtStates {
        CtStates(self.0 | other.0)
    }
    pub fn contains(self, one: CtStates) -> bool {
        self.0 & one.0 != 0
    }
    pub fn names(self) -> Vec<&'static str> {
        [
            (CtStates::NEW, "NEW"),
            (CtStates::ESTABLISHED, "ESTABLISHED"),
            (CtStates::RELATED, "RELATED"),
            (CtStates::INVALID, "INVALID"),
            (CtStates::UNTRACKED, "UNTRACKED"),
        ]
        .into_iter()
        .filter(|(s, _)| self.contains(*s))
        .map(|(_, n)| n)
        .collect()
    }
}

/// Which translations a connection carries (`--ctstatus SNAT,DNAT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct CtStatus(pub u8);

impl CtStatus {
    pub const NONE: CtStatus = CtStatus(0);
    pub const SNAT: CtStatus = CtStatus(1);
    pub const DNAT: CtStatus = CtStatus(2);

    pub const fn union(self, other: CtStatus) -> CtStatus {
        CtStatus(self.0 | other.0)
    }
    pub fn intersects(self, other: CtStatus) -> bool {
        self.0 & other.0 != 0
    }
}

/// The direction of a packet within its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum CtDir {
    /// Sent the way the connection was opened.
    Original,
    /// An answer.
    Reply,
}

/// One condition of a rule. A rule matches when all its conditions hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Match {
    pub test: Test,
    /// Inverts the test (`! -s 10.0.0.0/8`).
    pub negate: bool,
}

impl Match {
    pub fn is(test: Test) -> Self {
        Match {
            test,
            negate: false,
        }
    }
    pub fn not(test: Test) -> Self {
        Match { test, negate: true }
    }
}

/// What a condition looks at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Test {
    /// The port the packet came in by is one of these.
    InPort(Vec<PortId>),
    /// The port the packet leaves by is one of these.
    OutPort(Vec<PortId>),
    /// The source address is in one of these prefixes.
    Src(Vec<Ipv4Network>),
    /// The destination address is in one of these prefixes.
    Dst(Vec<Ipv4Network>),
    /// The IP protocol number is one of these.
    Proto(Vec<u8>),
    /// The TCP or UDP source port is in this inclusive range (other protocols never match).
    SrcPort(u16, u16),
    /// The TCP or UDP destination port is in this inclusive range.
    DstPort(u16, u16),
    /// The connection's state is one of these.
    CtState(CtStates),
    /// The connection carries one of these translations.
    CtStatus(CtStatus),
    /// The packet goes this way in its connection.
    CtDir(CtDir),
    /// `(packet mark & mask) == value`.
    Mark { value: u32, mask: u32 },
    /// The destination is one of the device's own addresses (`addrtype --dst-type LOCAL`);
    /// with `in_port_only`, an address of the port the packet came in by.
    DstLocal { in_port_only: bool },
    /// The source is one of the device's own addresses (`addrtype --src-type LOCAL`).
    SrcLocal,
}

/// How a destination NAT picks among several backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Balance {
    /// In turn, one new connection each (IPVS `rr`).
    RoundRobin,
    /// By a hash of the client's address, so that a client keeps its backend (IPVS `sh`).
    SourceHash,
}

/// An address to translate to, with an optional port range (`--to-destination 10.0.0.2:80`);
/// an unspecified address with a port translates the port alone (`--to-source :53`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NatTo {
    pub addr: Ipv4Addr,
    /// Inclusive; `None` keeps the packet's port (or lets the allocator choose for SNAT).
    pub ports: Option<(u16, u16)>,
}

/// How a rejected packet is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Reject {
    IcmpNetUnreachable,
    IcmpHostUnreachable,
    IcmpPortUnreachable,
    IcmpAdminProhibited,
    TcpReset,
}

/// What a matching rule does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Target {
    Accept,
    Drop,
    Reject(Reject),
    /// Continue in the named chain of the same table; come back on `Return` or its end.
    Jump(String),
    /// Continue in the named chain and do not come back here.
    Goto(String),
    Return,
    /// Translate the destination of a new connection to one of `to`.
    Dnat {
        to: Vec<NatTo>,
        balance: Balance,
    },
    /// Translate the source of a new connection.
    Snat {
        to: NatTo,
    },
    /// Translate the source of a new connection to the address of the port it leaves by.
    Masquerade {
        ports: Option<(u16, u16)>,
    },
    /// Set bits of the packet mark and carry on (`MARK --set-xmark value/mask`).
    Mark {
        value: u32,
        mask: u32,
    },
}

impl Target {
    fn is_nat(&self) -> bool {
        matches!(
            self,
            Target::Dnat { .. } | Target::Snat { .. } | Target::Masquerade { .. }
        )
    }
}

/// Packets and bytes a rule (or a chain's policy) has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub packets: u64,
    pub bytes: u64,
}

impl Counters {
    pub fn count(&mut self, bytes: usize) {
        self.packets += 1;
        self.bytes += bytes as u64;
    }
}

/// One rule: conditions, a target, and what traces and listings say about it.
#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    pub id: RuleId,
    pub matches: Vec<Match>,
    pub target: Target,
    /// Why the rule exists, in the words a trace shows (`-m comment --comment`).
    pub comment: Option<String>,
    /// Whether an accepting hit is shown in traces ("allowed it: ...").
    pub shown: bool,
    pub owner: Option<Owner>,
    pub counters: Counters,
}

/// A rule as the control plane writes it, before the ruleset gives it an id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    pub matches: Vec<Match>,
    pub target: Target,
    pub comment: Option<String>,
    pub shown: bool,
    pub owner: Option<Owner>,
}

impl RuleSpec {
    pub fn new(matches: Vec<Match>, target: Target) -> Self {
        RuleSpec {
            matches,
            target,
            comment: None,
            shown: false,
            owner: None,
        }
    }
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }
    pub fn shown(mut self) -> Self {
        self.shown = true;
        self
    }
    pub fn owner(mut self, owner: Owner) -> Self {
        self.owner = Some(owner);
        self
    }
}

/// What a base chain does with a packet that no rule decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Policy {
    Accept,
    /// Dropped, with the reason a trace shows.
    Drop(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct Chain {
    pub name: String,
    /// `Some` for a base chain, which a hook runs; `None` for a chain only reached by jumps.
    pub hook: Option<Hook>,
    /// Only base chains have one; a user chain returns to its caller at its end.
    pub policy: Policy,
    pub rules: Vec<Rule>,
    pub policy_counters: Counters,
    pub owner: Option<Owner>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Table {
    /// How traces and listings name the table, e.g. "filter", "WinNAT" or "Windows Firewall
    /// (compartment of web)".
    pub name: String,
    pub kind: TableKind,
    pub chains: Vec<Chain>,
    /// A label for readers that classify what happened (the control plane's, opaque here).
    pub tag: Option<String>,
}

/// Why a ruleset edit was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RulesError {
    NoTable(String),
    NoChain {
        table: String,
        chain: String,
    },
    ChainExists {
        table: String,
        chain: String,
    },
    /// A jump or goto names a chain the table does not have.
    UnknownJump {
        table: String,
        chain: String,
    },
    /// Jumps would loop (a chain reaches itself).
    Loop {
        table: String,
        chain: String,
    },
    /// A NAT target in a table that is not a NAT table, or the other way round.
    Misplaced {
        table: String,
        what: &'static str,
    },
}

impl std::fmt::Display for RulesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RulesError::NoTable(t) => write!(f, "no table {t:?}"),
            RulesError::NoChain { table, chain } => write!(f, "no chain {chain:?} in {table}"),
            RulesError::ChainExists { table, chain } => {
                write!(f, "chain {chain:?} already exists in {table}")
            }
            RulesError::UnknownJump { table, chain } => {
                write!(
                    f,
                    "a rule in {table} jumps to {chain:?}, which does not exist"
                )
            }
            RulesError::Loop { table, chain } => {
                write!(f, "jumps in {table} loop through {chain:?}")
            }
            RulesError::Misplaced { table, what } => write!(f, "{what} in table {table}"),
        }
    }
}

/// How deep jumps may nest at run time (netfilter refuses loops at load time; this bounds
/// a walk even if a loop slipped through).
pub const MAX_JUMP_DEPTH: usize = 32;

/// Where a base chain sits: (table index, chain index), in the order the hook runs them.
type BaseChain = (u16, u16);

/// Lookup tables derived from the rules after every edit, for the packet path. `repr(C)`,
/// what every packet reads first (`ct_protos`, `hook_mask`, the fast paths), so that a
/// packet touches as few of the device's cache lines as it can (issue 13).
#[derive(Clone, Debug, Default)]
#[repr(C)]
struct Derived {
    /// IP protocols for which some rule depends on connection state or translates: packets of
    /// other protocols skip conntrack altogether. Protocols 0 to 63 (ICMP, TCP, UDP: every
    /// packet's), then the rest, apart (`ct_high`).
    ct_low: u64,
    /// Bit `hook.index()` is set when the hook has a base chain (read for every packet).
    hook_mask: u8,
    /// Whether some rule tests `DstLocal`/`SrcLocal` (the device then works that out).
    addrtype: bool,
    /// Verdicts that depend on the protocol alone, with the first paths' counts.
    fast: fast::FastPaths,
    /// `ct_low`'s continuation: protocols 64 to 255.
    ct_high: [u64; 3],
    /// Per hook: base chains in run order (table kind order, then table order).
    hooks: [Vec<BaseChain>; 5],
    /// Per table: per chain: per rule, the chain index a jump or goto targets.
    jumps: Vec<Vec<Vec<Option<u16>>>>,
    /// (protocol, port) pairs that a DNAT rule listens on: dynamic source NAT never hands
    /// them out.
    dnat_ports: Vec<(u8, u16)>,
    /// The fast paths' decisions, and the counts `fast` does not hold.
    fast_counts: fast::PathCounts,
}

/// Every table of one device, and the derived lookup tables its packet path uses.
/// `repr(C)` with the derived tables first: the packet path reads them, not the tables
/// (`derived` is not serialized, so its place changes no output).
#[derive(Clone, Debug, Default, Serialize)]
#[repr(C)]
pub struct Ruleset {
    #[serde(skip)]
    derived: Derived,
    tables: Vec<Table>,
    next_id: u32,
}

impl Ruleset {
    pub fn new() -> Self {
        Ruleset::default()
    }

    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    pub fn is_empty(&self) -> bool {
        self.tables.iter().all(|t| {
            t.chains
                .iter()
                .all(|c| c.rules.is_empty() && c.policy == Policy::Accept)
        })
    }

    /// The first table a control plane labelled `tag`.
    pub fn table_tagged(&self, tag: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.tag.as_deref() == Some(tag))
    }

    pub fn table_index(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name == name)
    }

    /// Adds a table (or returns the existing one of that name).
    pub fn ensure_table(&mut self, name: &str, kind: TableKind) -> usize {
        self.settle_counters();
        if let Some(i) = self.table_index(name) {
            return i;
        }
        self.tables.push(Table {
            name: name.to_string(),
            kind,
            chains: Vec::new(),
            tag: None,
        });
        self.rederive();
        self.tables.len() - 1
    }

    /// Labels a table for readers (see `Table::tag`).
    pub fn set_tag(&mut self, table: &str, tag: &str) -> Result<(), RulesError> {
        let t = self.table_mut(table)?;
        t.tag = Some(tag.to_string());
        Ok(())
    }

    /// A table to edit (the fast path's counts are folded in first).
    fn table_mut(&mut self, table: &str) -> Result<&mut Table, RulesError> {
        self.settle_counters();
        self.tables
            .iter_mut()
            .find(|t| t.name == table)
            .ok_or_else(|| RulesError::NoTable(table.to_string()))
    }

    fn chain_mut(&mut self, table: &str, chain: &str) -> Result<&mut Chain, RulesError> {
        let t = self.table_mut(table)?;
        t.chains
            .iter_mut()
            .find(|c| c.name == chain)
            .ok_or_else(|| RulesError::NoChain {
                table: table.to_string(),
                chain: chain.to_string(),
            })
    }

    /// Adds a base chain run at `hook` (or returns quietly if it exists with that hook).
    pub fn ensure_base_chain(
        &mut self,
        table: &str,
        chain: &str,
        hook: Hook,
        policy: Policy,
    ) -> Result<(), RulesError> {
        let t = self.table_mut(table)?;
        match t.chains.iter_mut().find(|c| c.name == chain) {
            Some(c) if c.hook == Some(hook) => {}
            Some(_) => {
                return Err(RulesError::ChainExists {
                    table: table.to_string(),
                    chain: chain.to_string(),
                })
            }
            None => t.chains.push(Chain {
                name: chain.to_string(),
                hook: Some(hook),
                policy,
                rules: Vec::new(),
                policy_counters: Counters::default(),
                owner: None,
            }),
        }
        self.rederive();
        Ok(())
    }

    /// Adds a user chain, reached only by jumps (a no-op if it exists).
    pub fn ensure_chain(
        &mut self,
        table: &str,
        chain: &str,
        owner: Option<Owner>,
    ) -> Result<(), RulesError> {
        let t = self.table_mut(table)?;
        if !t.chains.iter().any(|c| c.name == chain) {
            t.chains.push(Chain {
                name: chain.to_string(),
                hook: None,
                policy: Policy::Accept,
                rules: Vec::new(),
                policy_counters: Counters::default(),
                owner,
            });
        }
        self.rederive();
        Ok(())
    }

    pub fn set_policy(
        &mut self,
        table: &str,
        chain: &str,
        policy: Policy,
    ) -> Result<(), RulesError> {
        self.chain_mut(table, chain)?.policy = policy;
        Ok(())
    }

    /// Appends a rule at the end of a chain (`-A`).
    pub fn append(
        &mut self,
        table: &str,
        chain: &str,
        spec: RuleSpec,
    ) -> Result<RuleId, RulesError> {
        self.insert_at(table, chain, None, spec)
    }

    /// Inserts a rule at position `pos` (0 is the top, `-I chain 1`).
    pub fn insert(
        &mut self,
        table: &str,
        chain: &str,
        pos: usize,
        spec: RuleSpec,
    ) -> Result<RuleId, RulesError> {
        self.insert_at(table, chain, Some(pos), spec)
    }

    fn insert_at(
        &mut self,
        table: &str,
        chain: &str,
        pos: Option<usize>,
        spec: RuleSpec,
    ) -> Result<RuleId, RulesError> {
        let kind = self.table_mut(table)?.kind;
        let fits = match kind {
            TableKind::Nat => !matches!(spec.target, Target::Reject(_) | Target::Mark { .. }),
            _ => !spec.target.is_nat(),
        };
        if !fits {
            return Err(RulesError::Misplaced {
                table: table.to_string(),
                what: if spec.target.is_nat() {
                    "an address translation outside a nat table"
                } else {
                    "a reject or mark target in a nat table"
                },
            });
        }
        let id = RuleId(self.next_id);
        let rule = Rule {
            id,
            matches: spec.matches,
            target: spec.target,
            comment: spec.comment,
            shown: spec.shown,
            owner: spec.owner,
            counters: Counters::default(),
        };
        let c = self.chain_mut(table, chain)?;
        let pos = pos.unwrap_or(c.rules.len()).min(c.rules.len());
        c.rules.insert(pos, rule);
        if let Err(e) = self.check_jumps() {
            // Undo: the rule would leave the table inconsistent.
            let c = self.chain_mut(table, chain).expect("just found");
            c.rules.remove(pos);
            return Err(e);
        }
        self.next_id += 1;
        self.rederive();
        Ok(id)
    }

    /// Removes every rule and chain `owner` installed. Chains that other rules still jump to
    /// are kept (emptied).
    pub fn remove_owned(&mut self, owner: Owner) {
        self.settle_counters();
        for t in &mut self.tables {
            for c in &mut t.chains {
                c.rules.retain(|r| r.owner != Some(owner));
            }
        }
        for t in &mut self.tables {
            let targets: Vec<String> = t
                .chains
                .iter()
                .flat_map(|c| c.rules.iter())
                .filter_map(|r| match &r.target {
                    Target::Jump(n) | Target::Goto(n) => Some(n.clone()),
                    _ => None,
                })
                .collect();
            t.chains
                .retain(|c| c.owner != Some(owner) || targets.contains(&c.name));
        }
        self.rederive();
    }

    /// Removes one rule by id.
    pub fn remove_rule(&mut self, id: RuleId) {
        self.settle_counters();
        for t in &mut self.tables {
            for c in &mut t.chains {
                c.rules.retain(|r| r.id != id);
            }
        }
        self.rederive();
    }

    /// Finds a rule by id: (table, chain, rule).
    pub fn find(&self, id: RuleId) -> Option<(&Table, &Chain, &Rule)> {
        self.tables.iter().find_map(|t| {
            t.chains
                .iter()
                .find_map(|c| c.rules.iter().find(|r| r.id == id).map(|r| (t, c, r)))
        })
    }

    /// Every jump and goto names a chain of its table, and no chain reaches itself.
    fn check_jumps(&self) -> Result<(), RulesError> {
        for t in &self.tables {
            let index = |name: &str| t.chains.iter().position(|c| c.name == name);
            for c in &t.chains {
                for r in &c.rules {
                    if let Target::Jump(n) | Target::Goto(n) = &r.target {
                        if index(n).is_none() {
                            return Err(RulesError::UnknownJump {
                                table: t.name.clone(),
                                chain: n.clone(),
                            });
                        }
                    }
                }
            }
            // Depth-first search for a cycle in the jump graph.
            let n = t.chains.len();
            let edges: Vec<Vec<usize>> = t
                .chains
                .iter()
                .map(|c| {
                    c.rules
                        .iter()
                        .filter_map(|r| match &r.target {
                            Target::Jump(n) | Target::Goto(n) => index(n),
                            _ => None,
                        })
                        .collect()
                })
                .collect();
            let mut state = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
            fn visit(i: usize, edges: &[Vec<usize>], state: &mut [u8]) -> Option<usize> {
                state[i] = 1;
                for &j in &edges[i] {
                    if state[j] == 1 {
                        return Some(j);
                    }
                    if state[j] == 0 {
                        if let Some(l) = visit(j, edges, state) {
                            return Some(l);
                        }
                    }
                }
                state[i] = 2;
                None
            }
            for i in 0..n {
                if state[i] == 0 {
                    if let Some(l) = visit(i, &edges, &mut state) {
                        return Err(RulesError::Loop {
                            table: t.name.clone(),
                            chain: t.chains[l].name.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn rederive(&mut self) {
        let mut d = Derived::default();
        let mut ct_protos = [0u64; 4];
        let mut order: Vec<(usize, usize, usize)> = Vec::new(); // (kind rank, table, chain)
        for (ti, t) in self.tables.iter().enumerate() {
            for (ci, c) in t.chains.iter().enumerate() {
                if let Some(h) = c.hook {
                    order.push((kind_rank(t.kind, h), ti, ci));
                    let _ = h;
                }
            }
        }
        order.sort();
        for (_, ti, ci) in order {
            let h = self.tables[ti].chains[ci].hook.expect("base chain");
            d.hooks[h.index()].push((ti as u16, ci as u16));
            d.hook_mask |= 1 << h.index();
        }
        for t in &self.tables {
            let index = |name: &str| {
                t.chains
                    .iter()
                    .position(|c| c.name == name)
                    .map(|i| i as u16)
            };
            d.jumps.push(
                t.chains
                    .iter()
                    .map(|c| {
                        c.rules
                            .iter()
                            .map(|r| match &r.target {
                                Target::Jump(n) | Target::Goto(n) => index(n),
                                _ => None,
                            })
                            .collect()
                    })
                    .collect(),
            );
            for c in &t.chains {
                for r in &c.rules {
                    let stateful = t.kind == TableKind::Nat
                        || r.matches.iter().any(|m| {
                            matches!(
                                m.test,
                                Test::CtState(_) | Test::CtStatus(_) | Test::CtDir(_)
                            )
                        });
                    if stateful {
                        mark_protos(&mut ct_protos, &r.matches);
                    }
                    if r.matches
                        .iter()
                        .any(|m| matches!(m.test, Test::DstLocal { .. } | Test::SrcLocal))
                    {
                        d.addrtype = true;
                    }
                    if let Target::Dnat { .. } = r.target {
                        d.dnat_ports.extend(dnat_listen_ports(&r.matches));
                    }
                }
            }
        }
        d.dnat_ports.sort();
        d.dnat_ports.dedup();
        d.ct_low = ct_protos[0];
        d.ct_high = [ct_protos[1], ct_protos[2], ct_protos[3]];
        self.derived = d;
        (self.derived.fast, self.derived.fast_counts) = fast::FastPaths::derive(self);
    }

    /// Whether packets of IP protocol `proto` need connection tracking on this device.
    #[inline]
    pub fn needs_conntrack(&self, proto: u8) -> bool {
        let word = match proto / 64 {
            0 => self.derived.ct_low,
            w => self.derived.ct_high[usize::from(w - 1)],
        };
        word & (1 << (proto % 64)) != 0
    }

    /// Whether packets of some protocol need connection tracking on this device.
    pub fn tracks_anything(&self) -> bool {
        self.derived.ct_low != 0 || self.derived.ct_high != [0; 3]
    }

    /// Whether any rule asks whether an address is the device's own.
    pub fn needs_addrtype(&self) -> bool {
        self.derived.addrtype
    }

    /// Whether a DNAT rule listens on this protocol and port (dynamic NAT keeps off it).
    pub fn dnat_listens_on(&self, proto: u8, port: u16) -> bool {
        self.derived
            .dnat_ports
            .binary_search(&(proto, port))
            .is_ok()
    }

    /// Whether any base chain runs at `hook`.
    #[inline]
    pub fn has_hook(&self, hook: Hook) -> bool {
        self.derived.hook_mask & (1 << hook.index()) != 0
    }

    /// If every packet of protocol `proto` is accepted at `hook` by rules that look at the
    /// protocol alone, counts a `len`-byte packet for those rules and returns true; the
    /// packet path then skips walking the chains. Always inlined, with `FastPaths::accept`
    /// and `count`: behind the many tests of a received frame's path, LLVM judges the call
    /// site cold and inlines only below a cost of 45 (this costs 200), and the call cost
    /// some fifteen instructions of a frame's hook. Each alone only moved the call to the
    /// next one down (issue 13).
    #[inline(always)]
    pub fn accept_by_protocol(&mut self, hook: Hook, proto: u8, len: usize) -> bool {
        let d = &mut self.derived;
        d.fast.accept(&mut d.fast_counts, hook, proto, len)
    }

    /// What a packet the device sends itself takes of the rules when they decide by its
    /// protocol alone: if it passes `Output` and then `Postrouting` that way
    /// (`passes_by_protocol` at both), counts a `len`-byte packet at each hook that has
    /// chains (`accept_by_protocol`) and returns true; otherwise counts nothing and returns
    /// false. The protocol's class is found once for both hooks (issue 13). Inlined where
    /// the packet is sent, the test of connection tracking first (a stack that tracks the
    /// protocol, a Linux container's, answers there); the rest is inlined too, as
    /// `accept_by_protocol` is: the call cost about eight instructions a datagram.
    #[inline(always)]
    pub fn accept_sent_by_protocol(&mut self, proto: u8, len: usize) -> bool {
        !self.needs_conntrack(proto) && self.accept_sent_untracked(proto, len)
    }

    /// [`Ruleset::accept_sent_by_protocol`] for a protocol not tracked. Always inlined, with
    /// `FastPaths::accept_both`.
    #[inline(always)]
    fn accept_sent_untracked(&mut self, proto: u8, len: usize) -> bool {
        let output = (Hook::Output, self.has_hook(Hook::Output));
        let postrouting = (Hook::Postrouting, self.has_hook(Hook::Postrouting));
        let d = &mut self.derived;
        d.fast
            .accept_both(&mut d.fast_counts, output, postrouting, proto, len)
    }

    /// Whether an untracked packet of protocol `proto` passes `hook` whatever else it holds:
    /// the hook has no chains, or the protocol fast path accepts it. Counts nothing; a caller
    /// that relies on it counts with `accept_by_protocol`.
    #[inline]
    pub fn passes_by_protocol(&self, hook: Hook, proto: u8) -> bool {
        !self.needs_conntrack(proto)
            && (!self.has_hook(hook) || self.derived.fast.accepts(hook, proto))
    }

    /// What rule `r` of chain `c` in table `t` has counted (`None`: the chain's policy),
    /// the packets the fast path accepted included.
    pub fn counters(&self, t: usize, c: usize, r: Option<usize>) -> Counters {
        let chain = &self.tables[t].chains[c];
        let stored = match r {
            Some(r) => chain.rules[r].counters,
            None => chain.policy_counters,
        };
        let pending = self.derived.fast.pending_at(
            &self.derived.fast_counts,
            (t as u16, c as u16, r.map(|r| r as u16)),
        );
        Counters {
            packets: stored.packets + pending.packets,
            bytes: stored.bytes + pending.bytes,
        }
    }

    /// Folds the fast path's counts into the rules, before an edit moves them.
    fn settle_counters(&mut self) {
        let d = &mut self.derived;
        for (path, counted) in d.fast.take_pending(&mut d.fast_counts) {
            for (t, c, r) in path {
                let chain = &mut self.tables[usize::from(t)].chains[usize::from(c)];
                let at = match r {
                    Some(r) => &mut chain.rules[usize::from(r)].counters,
                    None => &mut chain.policy_counters,
                };
                at.packets += counted.packets;
                at.bytes += counted.bytes;
            }
        }
    }

    /// Zeroes every counter (`iptables -Z`).
    pub fn zero_counters(&mut self) {
        self.settle_counters();
        for t in &mut self.tables {
            for c in &mut t.chains {
                c.policy_counters = Counters::default();
                for r in &mut c.rules {
                    r.counters = Counters::default();
                }
            }
        }
    }
}

impl Ruleset {
    /// Zeroes the counters of one table, or of one chain of it (`iptables -t T -Z [chain]`).
    pub fn zero_counters_of(&mut self, table: &str, chain: Option<&str>) {
        self.settle_counters();
        for t in self.tables.iter_mut().filter(|t| t.name == table) {
            for c in t
                .chains
                .iter_mut()
                .filter(|c| chain.is_none_or(|n| n == c.name))
            {
                c.policy_counters = Counters::default();
                for r in &mut c.rules {
                    r.counters = Counters::default();
                }
            }
        }
    }
}

/// The order tables run in at a hook (netfilter's priorities: raw -300, mangle -150,
/// destination NAT -100, filter 0, source NAT 100).
fn kind_rank(kind: TableKind, hook: Hook) -> usize {
    match kind {
        TableKind::Raw => 0,
        TableKind::Mangle => 1,
        TableKind::Nat if hook.translates_destination() => 2,
        TableKind::Filter => 3,
        TableKind::Nat => 4,
    }
}

/// Marks the protocols a rule can match: every protocol its `Proto` tests (negated or not)
/// all admit.
fn mark_protos(bits: &mut [u64; 4], matches: &[Match]) {
    let mut admitted = [u64::MAX; 4];
    for m in matches {
        if let Test::Proto(protos) = &m.test {
            let mut set = [0u64; 4];
            for p in protos {
                set[usize::from(p / 64)] |= 1 << (p % 64);
            }
            for (a, s) in admitted.iter_mut().zip(set) {
                *a &= if m.negate { !s } else { s };
            }
        }
    }
    for (b, a) in bits.iter_mut().zip(admitted) {
        *b |= a;
    }
}

/// The (protocol, port) pairs a DNAT rule with exact protocol and port tests listens on.
fn dnat_listen_ports(matches: &[Match]) -> Vec<(u8, u16)> {
    let protos = matches.iter().find_map(|m| match (&m.test, m.negate) {
        (Test::Proto(p), false) => Some(p.clone()),
        _ => None,
    });
    let ports = matches.iter().find_map(|m| match (&m.test, m.negate) {
        (Test::DstPort(lo, hi), false) if hi >= lo && hi - lo < 1024 => Some(*lo..=*hi),
        _ => None,
    });
    match (protos, ports) {
        (Some(protos), Some(ports)) => protos
            .iter()
            .flat_map(|p| ports.clone().map(move |port| (*p, port)))
            .collect(),
        _ => Vec::new(),
    }
}
