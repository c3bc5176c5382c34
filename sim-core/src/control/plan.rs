//! Plans: what a control plane wants installed for one network or endpoint, as data.
//!
//! A driver builds a `Plan` with a `Planner` (which knows which node and port ids the engine
//! and the devices will hand out next, so items can refer to each other by id); `apply`
//! installs every item in order and `remove` takes them away in reverse. Every item belongs
//! to the plan's owner: rules carry the owner tag, and the plan itself is the record of what
//! the owner installed, so removing a network or an endpoint never has to find its pieces by
//! name. Nothing here knows a driver or an operating system; HNS plans with it today, a
//! Linux backend will too.

use crate::device::conntrack::{Conntrack, Profile};
use crate::device::port_policy::PolicyEndpoint;
use crate::device::rules::{Hook, Owner, Policy, RuleId, RuleSpec, Ruleset, TableKind};
use crate::device::stack::{IfaceConfig, RelayListener, Route};
use crate::device::switch::{PortMode, Switch, SwitchConfig};
use crate::device::Device;
use crate::engine::link::LinkParams;
use crate::engine::Engine;
use crate::id::{NodeId, PortId};
use crate::topology::NodeInfo;
use crate::wire::MacAddr;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Where a rule goes: its table (created if missing, with its kind and label) and its chain
/// (created if missing: a base chain with a hook and policy, or a user chain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub table: String,
    pub kind: TableKind,
    pub tag: Option<String>,
    pub chain: String,
    pub hook: Option<(Hook, Policy)>,
}

/// One thing a plan installs.
#[derive(Clone, Debug)]
pub enum Item {
    /// A switch node, given id `node`.
    Switch {
        node: NodeId,
        info: NodeInfo,
        config: SwitchConfig,
    },
    /// A port on a switch, given id `port`, with MACs (and their VLAN) pinned to it.
    SwitchPort {
        switch: NodeId,
        port: PortId,
        name: String,
        mode: PortMode,
        pinned: Vec<(MacAddr, u16)>,
    },
    /// A port policy (MAC rewrite, steering) on an existing switch port.
    PolicyEndpoint {
        switch: NodeId,
        endpoint: PolicyEndpoint,
    },
    /// An interface on a stack, given id `port`.
    Iface {
        stack: NodeId,
        port: PortId,
        iface: IfaceConfig,
    },
    /// A virtual cable between two ports inside a host.
    Link {
        name: String,
        a: (NodeId, PortId),
        b: (NodeId, PortId),
    },
    Route {
        stack: NodeId,
        route: Route,
    },
    DnsServer {
        stack: NodeId,
        addr: Ipv4Addr,
    },
    /// A rule, tagged with the plan's owner: appended to its chain, or inserted at
    /// position `at` (0 is the top, `iptables -I CHAIN 1`).
    Rule {
        node: NodeId,
        place: Place,
        rule: RuleSpec,
        at: Option<usize>,
    },
    /// A switch's ruleset and connection table (with this profile), if it has none yet.
    SwitchFilter {
        switch: NodeId,
        profile: Profile,
    },
    /// The stack's DHCP client starts on `port` as soon as the item is installed.
    DhcpClient {
        stack: NodeId,
        port: PortId,
    },
    /// A chain that exists even with no rule (`iptables -N`, or a built-in chain with its
    /// policy). It outlives the plan: chains hold other owners' rules.
    Chain {
        node: NodeId,
        place: Place,
    },
    /// The connections of `addr` that `node` tracks belong to the owner: they are forgotten
    /// when the plan is removed (the address's holder is gone, and so are its sessions).
    Connections {
        node: NodeId,
        addr: Ipv4Addr,
    },
    /// A relay listening on a stack (a proxy process such as docker-proxy).
    Relay {
        stack: NodeId,
        relay: RelayListener,
    },
}

/// Everything one owner installs.
#[derive(Clone, Debug)]
pub struct Plan {
    pub owner: Owner,
    pub items: Vec<Item>,
}

/// Builds a plan against the engine as it is: it hands out the ids the engine and the
/// devices will give the new nodes, ports and interfaces when the plan is applied.
pub struct Planner<'a> {
    eng: &'a Engine,
    plan: Plan,
    next_node: u32,
    /// The next port id of each node the plan adds ports to.
    next_port: BTreeMap<NodeId, u16>,
}

impl<'a> Planner<'a> {
    pub fn new(eng: &'a Engine, owner: Owner) -> Self {
        Planner {
            next_node: eng.next_node_id().0,
            eng,
            plan: Plan {
                owner,
                items: Vec::new(),
            },
            next_port: BTreeMap::new(),
        }
    }

    pub fn owner(&self) -> Owner {
        self.plan.owner
    }

    pub fn finish(self) -> Plan {
        self.plan
    }

    fn port_of(&mut self, node: NodeId) -> PortId {
        let eng = self.eng;
        let next = self.next_port.entry(node).or_insert_with(|| {
            eng.device(node).map_or(0, |d| match d {
                Device::Switch(s) => s.config.ports().len() as u16,
                Device::Stack(s) => s.config.ifaces().len() as u16,
            })
        });
        let p = PortId(*next);
        *next += 1;
        p
    }

    /// A new switch node.
    pub fn switch(&mut self, info: NodeInfo, config: SwitchConfig) -> NodeId {
        let node = NodeId(self.next_node);
        self.next_node += 1;
        self.next_port.insert(node, config.ports().len() as u16);
        self.plan.items.push(Item::Switch { node, info, config });
        node
    }

    /// A new port on `switch`, with `pinned` MACs.
    pub fn switch_port(
        &mut self,
        switch: NodeId,
        name: impl Into<String>,
        mode: PortMode,
        pinned: Vec<(MacAddr, u16)>,
    ) -> PortId {
        let port = self.port_of(switch);
        self.plan.items.push(Item::SwitchPort {
            switch,
            port,
            name: name.into(),
            mode,
            pinned,
        });
        port
    }

    /// A new interface on `stack`.
    pub fn iface(&mut self, stack: NodeId, iface: IfaceConfig) -> PortId {
        let port = self.port_of(stack);
        self.plan.items.push(Item::Iface { stack, port, iface });
        port
    }

    pub fn link(&mut self, name: impl Into<String>, a: (NodeId, PortId), b: (NodeId, PortId)) {
        self.plan.items.push(Item::Link {
            name: name.into(),
            a,
            b,
        });
    }

    pub fn push(&mut self, item: Item) {
        self.plan.items.push(item);
    }

    /// A rule at the end of `place`'s chain on `node`, owned by the plan's owner.
    pub fn rule(&mut self, node: NodeId, place: &Place, rule: RuleSpec) {
        self.rule_at(node, place, None, rule);
    }

    /// A rule at position `at` of `place`'s chain (`None`: at the end), owned by the plan's
    /// owner.
    pub fn rule_at(&mut self, node: NodeId, place: &Place, at: Option<usize>, rule: RuleSpec) {
        let rule = rule.owner(self.plan.owner);
        self.plan.items.push(Item::Rule {
            node,
            place: place.clone(),
            rule,
            at,
        });
    }
}

fn switch_mut(eng: &mut Engine, node: NodeId) -> Option<&mut Switch> {
    eng.device_mut(node).and_then(Device::as_switch_mut)
}

fn rules_mut(eng: &mut Engine, node: NodeId) -> Option<&mut Ruleset> {
    match eng.device_mut(node)? {
        Device::Stack(s) => Some(&mut s.rules),
        Device::Switch(s) => s.filter.as_mut().map(|f| &mut f.rules),
    }
}

/// The ids of the rules `owner` installed in `rules`.
fn owned_rules(rules: &Ruleset, owner: Owner) -> Vec<RuleId> {
    rules
        .tables()
        .iter()
        .flat_map(|t| t.chains.iter().flat_map(|c| c.rules.iter()))
        .filter(|r| r.owner == Some(owner))
        .map(|r| r.id)
        .collect()
}

fn conntrack_mut(eng: &mut Engine, node: NodeId) -> Option<&mut Conntrack> {
    match eng.device_mut(node)? {
        Device::Stack(s) => Some(s.conntrack_mut()),
        Device::Switch(s) => s.filter.as_mut().map(|f| &mut f.ct),
    }
}

/// Installs a plan's items in order, then lets each stack that got an addressed interface
/// announce it. An id that does not come out as planned, or a rule its ruleset refuses, is
/// a bug in the planner: it panics with what went wrong.
pub fn apply(eng: &mut Engine, plan: &Plan) {
    for item in &plan.items {
        match item {
            Item::Switch { node, info, config } => {
                let id = eng.add_node(
                    info.clone(),
                    Device::Switch(Box::new(Switch::new(config.clone()))),
                );
                assert_eq!(id, *node, "planned node id for {}", info.name);
            }
            Item::SwitchPort {
                switch,
                port,
                name,
                mode,
                pinned,
            } => {
                let sw = switch_mut(eng, *switch).expect("a planned port's switch exists");
                let p = sw.add_port(name.clone(), mode.clone());
                assert_eq!(p, *port, "planned port id for {name}");
                for (mac, vlan) in pinned {
                    sw.pin_mac(*mac, *vlan, p);
                }
            }
            Item::PolicyEndpoint { switch, endpoint } => {
                if let Some(p) =
                    switch_mut(eng, *switch).and_then(|s| s.config.port_policy.as_mut())
                {
                    p.endpoints.push(endpoint.clone());
                }
            }
            Item::Iface { stack, port, iface } => {
                let s = eng
                    .device_mut(*stack)
                    .and_then(Device::as_stack_mut)
                    .expect("a planned interface's stack exists");
                let p = s.add_iface(iface.clone());
                assert_eq!(p, *port, "planned interface id for {}", iface.name);
            }
            Item::Link { name, a, b } => {
                eng.connect(name.clone(), *a, *b, LinkParams::internal(), true);
            }
            Item::Route { stack, route } => {
                if let Some(s) = eng.device_mut(*stack).and_then(Device::as_stack_mut) {
                    s.config.routes_mut().push(route.clone());
                }
            }
            Item::DnsServer { stack, addr } => {
                if let Some(s) = eng.device_mut(*stack).and_then(Device::as_stack_mut) {
                    if !s.config.dns_servers.contains(addr) {
                        s.config.dns_servers.push(*addr);
                    }
                }
            }
            Item::Rule {
                node,
                place,
                rule,
                at,
            } => {
                let rules = rules_mut(eng, *node).expect("a planned rule's device has rules");
                install_rule(rules, place, *at, rule.clone());
            }
            Item::SwitchFilter { switch, profile } => {
                if let Some(sw) = switch_mut(eng, *switch) {
                    sw.filter_mut(*profile);
                }
            }
            Item::DhcpClient { stack, port } => {
                let port = *port;
                eng.invoke(*stack, |d, out| {
                    if let Some(s) = d.as_stack_mut() {
                        s.config.dhcp_client.push(port);
                        s.start_dhcp(port, out);
                    }
                });
            }
            Item::Chain { node, place } => {
                let rules = rules_mut(eng, *node).expect("a planned chain's device has rules");
                ensure_chain(rules, place);
            }
            Item::Connections { .. } => {}
            Item::Relay { stack, relay } => {
                if let Some(s) = eng.device_mut(*stack).and_then(Device::as_stack_mut) {
                    s.config.services_mut().relays.push(relay.clone());
                }
            }
        }
    }
    // Each new interface with an address now has its cable: its stack announces the
    // address if it is one that does (the device's configuration decides).
    for item in &plan.items {
        if let Item::Iface { stack, port, iface } = item {
            if iface.addr.is_some() {
                eng.invoke(*stack, |d, out| {
                    if let Some(s) = d.as_stack_mut() {
                        s.iface_up(*port, out);
                    }
                });
            }
        }
    }
}

/// Makes `place`'s table and chain exist. A planner error is a bug: it panics saying so.
fn ensure_chain(rules: &mut Ruleset, place: &Place) {
    let result = (|| {
        rules.ensure_table(&place.table, place.kind);
        if let Some(tag) = &place.tag {
            rules.set_tag(&place.table, tag)?;
        }
        match &place.hook {
            Some((hook, policy)) => {
                rules.ensure_base_chain(&place.table, &place.chain, *hook, policy.clone())
            }
            None => rules.ensure_chain(&place.table, &place.chain, None),
        }
    })();
    if let Err(e) = result {
        panic!("planned chain {}/{}: {e:?}", place.table, place.chain);
    }
}

fn install_rule(rules: &mut Ruleset, place: &Place, at: Option<usize>, rule: RuleSpec) {
    ensure_chain(rules, place);
    let result = match at {
        Some(pos) => rules.insert(&place.table, &place.chain, pos, rule),
        None => rules.append(&place.table, &place.chain, rule),
    };
    if let Err(e) = result {
        panic!("a planned rule in {}/{}: {e}", place.table, place.chain);
    }
}

/// Takes away everything a plan installed, in reverse order. Items on nodes that are gone
/// already are skipped.
pub fn remove(eng: &mut Engine, plan: &Plan) {
    for item in plan.items.iter().rev() {
        match item {
            Item::Switch { node, .. } => eng.remove_node(*node),
            Item::SwitchPort { switch, port, .. } => {
                if let Some(l) = eng.link_on_port(*switch, *port) {
                    eng.remove_link(l);
                }
                if let Some(sw) = switch_mut(eng, *switch) {
                    sw.remove_port(*port);
                }
            }
            Item::PolicyEndpoint { switch, endpoint } => {
                if let Some(p) =
                    switch_mut(eng, *switch).and_then(|s| s.config.port_policy.as_mut())
                {
                    p.endpoints.retain(|e| e.port != endpoint.port);
                }
            }
            Item::Iface { stack, port, .. } => {
                if let Some(l) = eng.link_on_port(*stack, *port) {
                    eng.remove_link(l);
                }
                if let Some(s) = eng.device_mut(*stack).and_then(Device::as_stack_mut) {
                    s.remove_iface(*port);
                }
            }
            Item::Link { a, .. } => {
                if let Some(l) = eng.link_on_port(a.0, a.1) {
                    eng.remove_link(l);
                }
            }
            Item::Route { stack, route } => {
                if let Some(s) = eng.device_mut(*stack).and_then(Device::as_stack_mut) {
                    s.config.routes_mut().retain(|r| r != route);
                }
            }
            Item::DnsServer { stack, addr } => {
                if let Some(s) = eng.device_mut(*stack).and_then(Device::as_stack_mut) {
                    s.config.dns_servers.retain(|d| d != addr);
                }
            }
            // Chains outlive their plan (other owners' rules may sit in them).
            Item::Chain { .. } => {}
            Item::Rule { node, .. } => {
                // Connections a removed NAT rule bound go with it, like `conntrack -D` after
                // the rule is deleted: a new packet of such a flow meets today's rules.
                let removed = rules_mut(eng, *node).map(|r| {
                    let ids = owned_rules(r, plan.owner);
                    r.remove_owned(plan.owner);
                    ids
                });
                if let (Some(removed), Some(ct)) = (removed, conntrack_mut(eng, *node)) {
                    ct.forget_rules(&removed);
                }
            }
            Item::Connections { node, addr } => {
                if let Some(ct) = conntrack_mut(eng, *node) {
                    ct.forget_addr(*addr);
                }
            }
            Item::SwitchFilter { .. } => {}
            Item::Relay { stack, relay } => {
                if let Some(s) = eng.device_mut(*stack).and_then(Device::as_stack_mut) {
                    let mut services = s.config.services_mut();
                    if let Some(i) = services.relays.iter().position(|r| r == relay) {
                        services.relays.remove(i);
                    }
                }
            }
            Item::DhcpClient { stack, port } => {
                if let Some(s) = eng.device_mut(*stack).and_then(Device::as_stack_mut) {
                    s.config.dhcp_client.retain(|p| p != port);
                }
            }
        }
    }
}
