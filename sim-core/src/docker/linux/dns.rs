//! Docker's embedded DNS on Linux (reference linux-drivers.md section 7), as configuration
//! of the generic devices: one shared name table per user-defined network (`SharedNames`),
//! and, in the namespace of every container on a user-defined network, a resolver at
//! 127.0.0.11 (`LocalResolver`) reading the tables of its networks, reached through the
//! `DOCKER_OUTPUT`/`DOCKER_POSTROUTING` DNAT/SNAT rules in the namespace's `nat` table.
//!
//! Records are incremental: an endpoint that joins adds its own names to its network's
//! table (container name, aliases, short id, hostname; the generated name of an unnamed
//! container only from v25) and one PTR; an endpoint that leaves takes exactly those away.
//! Nothing is rebuilt per container. `--link` aliases on a user network are private names
//! of the linking container's resolver.

use super::Linux;
use crate::control::plan::{self, Item, Place, Planner};
use crate::device::rules::{Hook, Match, NatTo, Policy, RuleSpec, TableKind, Target, Test};
use crate::device::stack::{LocalResolver, ResolverTable, SharedNames};
use crate::device::Device;
use crate::docker::daemon::HostCtx;
use crate::docker::store::{Container, Store};
use crate::id::NodeId;
use crate::rng::SimRng;
use crate::wire::{IPPROTO_TCP, IPPROTO_UDP};
use ipnetwork::Ipv4Network;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Where the embedded DNS listens inside a container (moby `resolverIPSandbox`).
pub const RESOLVER_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 11);

/// The kernel's ephemeral range, where the resolver's two sockets get their ports.
const EPHEMERAL: (u16, u16) = (32768, 60999);

/// The names one endpoint put in its network's table.
#[derive(Clone, Debug)]
struct Registration {
    network_id: String,
    sandbox: NodeId,
    ip: Ipv4Addr,
    names: Vec<String>,
    ptr: Option<String>,
}

/// The resolver of one namespace: its ports, and the private names per network.
#[derive(Clone, Debug)]
struct SandboxResolver {
    /// `--link` aliases: (network id, alias, address).
    private: Vec<(String, String, Ipv4Addr)>,
}

/// The embedded DNS of one Linux host.
#[derive(Debug)]
pub struct EmbeddedDns {
    rng: SimRng,
    /// docker's network id → its table.
    tables: BTreeMap<String, SharedNames>,
    /// endpoint id → what it registered.
    registrations: BTreeMap<String, Registration>,
    /// Namespaces with a resolver running.
    sandboxes: BTreeMap<NodeId, SandboxResolver>,
}

impl EmbeddedDns {
    pub fn new(rng: SimRng) -> Self {
        EmbeddedDns {
            rng,
            tables: BTreeMap::new(),
            registrations: BTreeMap::new(),
            sandboxes: BTreeMap::new(),
        }
    }

    /// Whether the namespace runs the embedded resolver (it has been on a user network).
    pub fn has_resolver(&self, sandbox: NodeId) -> bool {
        self.sandboxes.contains_key(&sandbox)
    }

    /// The table of a network (for tests and reports).
    pub fn table(&self, network_id: &str) -> Option<&SharedNames> {
        self.tables.get(network_id)
    }

    /// A network is removed: its table goes.
    pub fn network_removed(&mut self, network_id: &str) {
        self.tables.remove(network_id);
    }

    fn port(&mut self) -> u16 {
        let span = u64::from(EPHEMERAL.1 - EPHEMERAL.0) + 1;
        EPHEMERAL.0 + self.rng.below(span) as u16
    }
}

/// The names an endpoint answers to on a user network, in docker's order: the container's
/// name (a generated one only where the release resolves it), its aliases on the network,
/// its short id, its hostname. Duplicates are kept once.
pub fn endpoint_names(l: &Linux, c: &Container, aliases: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |n: &str| {
        if !n.is_empty() && !names.iter().any(|x| x.eq_ignore_ascii_case(n)) {
            names.push(n.to_string());
        }
    };
    if c.naming.named || l.ln.engine.resolves_generated_names() {
        add(&c.name);
    }
    for a in aliases {
        add(a);
    }
    add(c.short_id());
    if let Some(h) = &c.naming.hostname {
        add(h.split('.').next().unwrap_or(h));
    }
    names
}

/// Where the container's resolver sends names it does not know: the container's `--dns`,
/// else the daemon's `dns`, else the host's nameservers.
pub fn upstreams(l: &Linux, c: &Container) -> Vec<Ipv4Addr> {
    if !c.dns.is_empty() {
        c.dns.clone()
    } else if !l.ln.config.dns.is_empty() {
        l.ln.config.dns.clone()
    } else {
        l.resolv.clone()
    }
}

/// Container `ci` joined attachment `a` (its endpoint exists): on a user-defined bridge
/// network its names go into the network's table and its namespace's resolver (started on
/// the first such network) reads that table too.
pub(super) fn joined(l: &mut Linux, store: &Store, ci: usize, a: usize, ctx: &mut HostCtx) {
    let c = &store.containers[ci];
    let att = &c.attachments[a];
    let (Some(net), Some(ep_id), Some(sandbox)) = (
        store.network_by_id(&att.network_id),
        att.endpoint.as_deref(),
        c.sandbox,
    ) else {
        return;
    };
    if net.predefined || net.driver != "bridge" {
        return;
    }
    let Some(ip) = l.ln.endpoint(ep_id).map(|e| e.ip) else {
        return;
    };
    let names = endpoint_names(l, c, &att.aliases);
    let ptr = (c.naming.named || l.ln.engine.resolves_generated_names()).then(|| c.name.clone());
    let table = l.dns.tables.entry(net.id.clone()).or_default().clone();
    table.update(|t| {
        for n in &names {
            t.add(n, ip);
        }
        if let Some(p) = &ptr {
            t.add_ptr(ip, p);
        }
    });
    l.dns.registrations.insert(
        ep_id.to_string(),
        Registration {
            network_id: net.id.clone(),
            sandbox,
            ip,
            names,
            ptr,
        },
    );
    // `--link target:alias` on a user network: the alias answers for this container only.
    let private: Vec<(String, String, Ipv4Addr)> = c
        .naming
        .links
        .iter()
        .chain(&att.links)
        .filter_map(|(target, alias)| {
            let t = store.container(target)?;
            let ep = t
                .attachments
                .iter()
                .find(|x| x.network_id == net.id)?
                .endpoint
                .as_deref()?;
            Some((net.id.clone(), alias.clone(), l.ln.endpoint(ep)?.ip))
        })
        .collect();
    if !l.dns.sandboxes.contains_key(&sandbox) {
        start_resolver(l, c, sandbox, ctx);
    }
    if let Some(s) = l.dns.sandboxes.get_mut(&sandbox) {
        s.private.extend(private);
    }
    let upstreams = upstreams(l, c);
    let forward = forwards_unknown(l, store, c);
    let privates = l.dns.sandboxes.get(&sandbox).map(private_names);
    if let Some(r) = resolver_mut(ctx, sandbox) {
        if !r.tables.iter().any(|t| t.names.same(&table)) {
            r.tables.push(ResolverTable {
                suffix: net.name.clone(),
                names: table,
            });
        }
        r.upstreams = upstreams;
        r.forward_unknown = forward;
        r.private = privates.unwrap_or_default();
    }
}

/// Endpoint `ep` leaves: its names leave its network's table, and the namespace's resolver
/// stops reading that table.
pub(super) fn left(l: &mut Linux, ep: &str, ctx: &mut HostCtx) {
    let Some(reg) = l.dns.registrations.remove(ep) else {
        return;
    };
    let Some(table) = l.dns.tables.get(&reg.network_id).cloned() else {
        return;
    };
    table.update(|t| {
        for n in &reg.names {
            t.remove(n, reg.ip);
        }
        if let Some(p) = &reg.ptr {
            t.remove_ptr(reg.ip, p);
        }
    });
    let privates = l.dns.sandboxes.get_mut(&reg.sandbox).map(|s| {
        s.private.retain(|(n, _, _)| *n != reg.network_id);
        private_names(s)
    });
    if let Some(r) = resolver_mut(ctx, reg.sandbox) {
        r.tables.retain(|t| !t.names.same(&table));
        r.private = privates.unwrap_or_default();
    }
}

fn private_names(s: &SandboxResolver) -> Vec<(String, Ipv4Addr)> {
    s.private
        .iter()
        .map(|(_, alias, ip)| (alias.clone(), *ip))
        .collect()
}

/// Whether the resolver forwards unknown names: always on 20.10 (recorded: an internal
/// network's query reaches the upstream), from v25 only when one of the container's
/// networks has external access (moby `sandbox.go` `hasExternalAccess`).
fn forwards_unknown(l: &Linux, store: &Store, c: &Container) -> bool {
    if l.ln.engine.forwards_dns_from_internal_networks() {
        return true;
    }
    c.attachments.iter().any(|a| {
        a.endpoint.is_some()
            && store
                .network_by_id(&a.network_id)
                .is_some_and(|n| !n.internal)
    })
}

fn resolver_mut<'a>(ctx: &'a mut HostCtx, sandbox: NodeId) -> Option<&'a mut LocalResolver> {
    ctx.eng
        .device_mut(sandbox)
        .and_then(Device::as_stack_mut)?
        .config
        .local_resolver_mut()
}

/// Starts the namespace's resolver: 127.0.0.11 on two random ports, the NAT rules that
/// lead port 53 there, and the namespace's nameserver set to it.
fn start_resolver(l: &mut Linux, c: &Container, sandbox: NodeId, ctx: &mut HostCtx) {
    let udp_port = l.dns.port();
    let mut tcp_port = l.dns.port();
    while tcp_port == udp_port {
        tcp_port = l.dns.port();
    }
    let shuffle_seed = l.dns.rng.next_u64();
    let owner = l.ln.new_owner();
    let mut p = Planner::new(ctx.eng, owner);
    nat_rules(&mut p, sandbox, udp_port, tcp_port);
    let rules = p.finish();
    plan::apply(ctx.eng, &rules);
    if let Some(s) = ctx.eng.device_mut(sandbox).and_then(Device::as_stack_mut) {
        s.config.services_mut().local_resolver = Some(LocalResolver {
            name: format!("docker embedded DNS ({})", c.name),
            bind: RESOLVER_IP,
            udp_port,
            tcp_port,
            tables: Vec::new(),
            private: Vec::new(),
            upstreams: Vec::new(),
            forward_unknown: true,
            shuffle_seed,
        });
        s.config.dns_servers = vec![RESOLVER_IP];
    }
    l.dns.sandboxes.insert(
        sandbox,
        SandboxResolver {
            private: Vec::new(),
        },
    );
}

fn nat_place(chain: &str, hook: Option<Hook>) -> Place {
    Place {
        table: "nat".into(),
        kind: TableKind::Nat,
        tag: None,
        chain: chain.into(),
        hook: hook.map(|h| (h, Policy::Accept)),
    }
}

/// The rules libnetwork puts in the container's `nat` table (moby `resolver_unix.go`
/// `setupIPTable`), as recorded from 20.10 (`dns/nat-rules-in-container`):
/// ```text
/// -A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT
/// -A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING
/// -A DOCKER_OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.11:TCP
/// -A DOCKER_OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination 127.0.0.11:UDP
/// -A DOCKER_POSTROUTING -s 127.0.0.11/32 -p tcp -m tcp --sport TCP -j SNAT --to-source :53
/// -A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport UDP -j SNAT --to-source :53
/// ```
fn nat_rules(p: &mut Planner, node: NodeId, udp_port: u16, tcp_port: u16) {
    let resolver = Ipv4Network::new(RESOLVER_IP, 32).expect("a /32");
    for (chain, hook) in [
        ("PREROUTING", Some(Hook::Prerouting)),
        ("INPUT", Some(Hook::Input)),
        ("OUTPUT", Some(Hook::Output)),
        ("POSTROUTING", Some(Hook::Postrouting)),
        ("DOCKER_OUTPUT", None),
        ("DOCKER_POSTROUTING", None),
    ] {
        p.push(Item::Chain {
            node,
            place: nat_place(chain, hook),
        });
    }
    let dst = || Match::is(Test::Dst(vec![resolver]));
    let src = || Match::is(Test::Src(vec![resolver]));
    let proto = |p: u8| Match::is(Test::Proto(vec![p]));
    p.rule(
        node,
        &nat_place("OUTPUT", Some(Hook::Output)),
        RuleSpec::new(vec![dst()], Target::Jump("DOCKER_OUTPUT".into())),
    );
    p.rule(
        node,
        &nat_place("POSTROUTING", Some(Hook::Postrouting)),
        RuleSpec::new(vec![dst()], Target::Jump("DOCKER_POSTROUTING".into())),
    );
    for (ipproto, port) in [(IPPROTO_TCP, tcp_port), (IPPROTO_UDP, udp_port)] {
        p.rule(
            node,
            &nat_place("DOCKER_OUTPUT", None),
            RuleSpec::new(
                vec![dst(), proto(ipproto), Match::is(Test::DstPort(53, 53))],
                Target::Dnat {
                    to: vec![NatTo {
                        addr: RESOLVER_IP,
                        ports: Some((port, port)),
                    }],
                    balance: crate::device::rules::Balance::RoundRobin,
                },
            ),
        );
    }
    for (ipproto, port) in [(IPPROTO_TCP, tcp_port), (IPPROTO_UDP, udp_port)] {
        p.rule(
            node,
            &nat_place("DOCKER_POSTROUTING", None),
            RuleSpec::new(
                vec![src(), proto(ipproto), Match::is(Test::SrcPort(port, port))],
                Target::Snat {
                    to: NatTo {
                        addr: Ipv4Addr::UNSPECIFIED,
                        ports: Some((53, 53)),
                    },
                },
            ),
        );
    }
}
