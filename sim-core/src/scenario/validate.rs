//! Semantic checks over a parsed [`ScenarioSpec`]: everything ron cannot see (names,
//! addresses, link ends, references between steps and the fabric). Every problem is collected,
//! each positioned at the element or field it concerns.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::Ipv4Addr;
use std::str::FromStr;

use ipnetwork::Ipv4Network;

use super::diag::{did_you_mean, one_of, Diagnostic, Pos};
use super::names::KnownNames;
use super::parse::{Partial, Spans};
use super::schema::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Switch,
    Router,
    External,
    Host,
}

impl NodeKind {
    fn noun(self) -> &'static str {
        match self {
            NodeKind::Switch => "a switch",
            NodeKind::Router => "a router",
            NodeKind::External => "an external host",
            NodeKind::Host => "a container host",
        }
    }
}

struct Node<'a> {
    kind: NodeKind,
    /// Path of the node in the spec, e.g. `fabric.hosts[2]`.
    path: String,
    /// Interface names (NICs for hosts).
    interfaces: Vec<&'a str>,
}

struct Checker<'a> {
    file: &'a str,
    spans: &'a Spans,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn at(&self, path: &str) -> Pos {
        self.spans.at(path)
    }

    fn error(&mut self, path: &str, msg: impl Into<String>) {
        let pos = self.at(path);
        self.diags.push(Diagnostic::new(self.file, pos, msg));
    }

    fn error_help(&mut self, path: &str, msg: impl Into<String>, help: Option<String>) {
        let pos = self.at(path);
        self.diags
            .push(Diagnostic::new(self.file, pos, msg).with_help(help));
    }

    fn where_is(&self, path: &str) -> String {
        let p = self.at(path);
        format!("line {}:{}", p.line, p.col)
    }

    fn ipv4(&mut self, path: &str, what: &str, s: &str) -> Option<Ipv4Addr> {
        match Ipv4Addr::from_str(s) {
            Ok(a) => Some(a),
            Err(_) => {
                self.error(
                    path,
                    format!("{what} `{s}` is not an IPv4 address (e.g. `10.0.0.1`)"),
                );
                None
            }
        }
    }

    fn network(&mut self, path: &str, what: &str, s: &str) -> Option<Ipv4Network> {
        match Ipv4Network::from_str(s) {
            Ok(n) => Some(n),
            Err(_) => {
                // Interface addresses are host addresses with a prefix; routes are networks.
                let example = if what.contains("address") {
                    "10.0.0.11/24"
                } else {
                    "10.1.0.0/16"
                };
                self.error(
                    path,
                    format!("{what} `{s}` is not an IPv4 prefix (e.g. `{example}`)"),
                );
                None
            }
        }
    }

    fn services(&mut self, path: &str, services: &[ServiceSpec]) {
        for (i, s) in services.iter().enumerate() {
            let (ServiceSpec::Tcp(p) | ServiceSpec::Udp(p)) = s;
            if *p == 0 {
                self.error(
                    &format!("{path}[{i}]"),
                    "port 0 is not a valid service port",
                );
            }
        }
    }

    /// Checks a node name; returns whether it is usable.
    fn node_name(&mut self, path: &str, name: &str) {
        let p = format!("{path}.name");
        if name.is_empty() {
            self.error(&p, "a node name must not be empty");
        } else if name.chars().any(char::is_whitespace) {
            self.error(
                &p,
                format!("node name `{name}` must not contain whitespace"),
            );
        } else if name.contains('.') {
            self.error(
                &p,
                format!("node name `{name}` must not contain `.` (link ends are written `node.interface`)"),
            );
        }
    }

    /// Checks the interfaces of a node; returns their connected subnets, or `None` if some
    /// address is invalid (then a gateway outside them may just be in the invalid one).
    fn interfaces(
        &mut self,
        path: &str,
        field: &str,
        ifs: &[InterfaceSpec],
    ) -> Option<Vec<Ipv4Network>> {
        let mut subnets = Vec::new();
        let mut all_valid = true;
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, itf) in ifs.iter().enumerate() {
            let ip = format!("{path}.{field}[{i}]");
            if itf.name.is_empty() {
                self.error(&format!("{ip}.name"), "an interface name must not be empty");
            } else if let Some(first) = seen.insert(&itf.name, i) {
                let w = self.where_is(&format!("{path}.{field}[{first}]"));
                self.error(
                    &format!("{ip}.name"),
                    format!(
                        "duplicate interface name `{}` on this node (first at {w})",
                        itf.name
                    ),
                );
            }
            let ap = format!("{ip}.address");
            let a = &itf.address;
            if !a.contains('/') {
                self.error(
                    &ap,
                    format!("address `{a}` needs a prefix length, e.g. `{a}/24`"),
                );
                all_valid = false;
                continue;
            }
            let Some(net) = self.network(&ap, "address", a) else {
                all_valid = false;
                continue;
            };
            if net.prefix() == 0 {
                self.error(
                    &ap,
                    format!(
                        "address `{a}` has a /0 prefix: every address would be on this link; \
                         give the prefix of its subnet, e.g. `{}/24`",
                        net.ip()
                    ),
                );
                all_valid = false;
                continue;
            }
            if net.prefix() < 31 && (net.ip() == net.network() || net.ip() == net.broadcast()) {
                let which = if net.ip() == net.network() {
                    "network"
                } else {
                    "broadcast"
                };
                self.error(
                    &ap,
                    format!(
                        "address `{a}` is the {which} address of its subnet, not a host address"
                    ),
                );
                all_valid = false;
                continue;
            }
            subnets.push(net);
        }
        all_valid.then_some(subnets)
    }

    /// A gateway or next hop: an IPv4 address inside one of the node's connected subnets.
    fn next_hop(&mut self, path: &str, what: &str, s: &str, subnets: &Option<Vec<Ipv4Network>>) {
        let Some(a) = self.ipv4(path, what, s) else {
            return;
        };
        let Some(subnets) = subnets else { return };
        if !subnets.iter().any(|n| n.contains(a)) {
            let list: Vec<String> = subnets
                .iter()
                .map(|n| format!("{}/{}", n.network(), n.prefix()))
                .collect();
            let list: Vec<&str> = list.iter().map(String::as_str).collect();
            let msg = if list.is_empty() {
                format!("{what} `{s}` is not in a connected subnet of this node (it has no valid addresses)")
            } else {
                format!(
                    "{what} `{s}` is not in a connected subnet of this node ({})",
                    one_of(&list)
                )
            };
            self.error(path, msg);
        }
    }
}

/// Checks `spec`; returns every problem found (empty if the scenario is valid).
///
/// `partial` says which lists lost elements to parse errors: references to nodes or links are
/// then not reported as missing (they may be in the part that did not parse).
pub fn validate(
    file: &str,
    spec: &ScenarioSpec,
    spans: &Spans,
    partial: Partial,
) -> Vec<Diagnostic> {
    let mut c = Checker {
        file,
        spans,
        diags: Vec::new(),
    };
    let f = &spec.fabric;

    // Limits.
    for (name, v) in [
        ("max_events", spec.limits.max_events),
        ("max_sim_time_ms", spec.limits.max_sim_time_ms),
        ("probe_timeout_ms", spec.limits.probe_timeout_ms),
        ("max_memory_mb", spec.limits.max_memory_mb),
        ("max_trace_hops", u64::from(spec.limits.max_trace_hops)),
        ("storm_copies", spec.limits.storm_copies),
    ] {
        if v == 0 {
            c.error(
                &format!("limits.{name}"),
                format!("`{name}` must be greater than 0"),
            );
        }
    }

    // Nodes: one namespace for switches, routers, externals and hosts.
    let mut nodes: HashMap<&str, Node> = HashMap::new();
    let mut ordered: Vec<(&str, Node)> = Vec::new();
    for (i, s) in f.switches.iter().enumerate() {
        ordered.push((
            &s.name,
            Node {
                kind: NodeKind::Switch,
                path: format!("fabric.switches[{i}]"),
                interfaces: Vec::new(),
            },
        ));
    }
    for (i, s) in f.switches.iter().enumerate() {
        spanning_tree(&mut c, &format!("fabric.switches[{i}]"), s);
    }
    for (i, r) in f.routers.iter().enumerate() {
        let path = format!("fabric.routers[{i}]");
        let subnets = c.interfaces(&path, "interfaces", &r.interfaces);
        for (j, route) in r.routes.iter().enumerate() {
            let rp = format!("{path}.routes[{j}]");
            c.network(&format!("{rp}.to"), "route destination", &route.to);
            c.next_hop(&format!("{rp}.via"), "next hop", &route.via, &subnets);
        }
        ordered.push((
            &r.name,
            Node {
                kind: NodeKind::Router,
                path,
                interfaces: r.interfaces.iter().map(|x| x.name.as_str()).collect(),
            },
        ));
    }
    for (i, e) in f.externals.iter().enumerate() {
        let path = format!("fabric.externals[{i}]");
        let subnets = c.interfaces(&path, "interfaces", &e.interfaces);
        if let Some(g) = &e.gateway {
            c.next_hop(&format!("{path}.gateway"), "gateway", g, &subnets);
        }
        c.services(&format!("{path}.services"), &e.services);
        for (j, (name, addr)) in e.dns_records.iter().enumerate() {
            let rp = format!("{path}.dns_records[{j}]");
            if name.trim().is_empty() {
                c.error(&rp, "a DNS record name must not be empty");
            }
            c.ipv4(&format!("{rp}[1]"), "DNS record address", addr);
        }
        ordered.push((
            &e.name,
            Node {
                kind: NodeKind::External,
                path,
                interfaces: e.interfaces.iter().map(|x| x.name.as_str()).collect(),
            },
        ));
    }
    for (i, h) in f.hosts.iter().enumerate() {
        let path = format!("fabric.hosts[{i}]");
        let subnets = c.interfaces(&path, "nics", &h.nics);
        if let Some(g) = &h.gateway {
            c.next_hop(&format!("{path}.gateway"), "gateway", g, &subnets);
        }
        for (j, route) in h.routes.iter().enumerate() {
            let rp = format!("{path}.routes[{j}]");
            c.network(&format!("{rp}.to"), "route destination", &route.to);
            c.next_hop(&format!("{rp}.via"), "next hop", &route.via, &subnets);
        }
        for (j, d) in h.dns_servers.iter().enumerate() {
            c.ipv4(&format!("{path}.dns_servers[{j}]"), "DNS server", d);
        }
        let dp = format!("{path}.daemon");
        for (j, d) in h.daemon.dns.iter().enumerate() {
            c.ipv4(&format!("{dp}.dns[{j}]"), "daemon DNS server", d);
        }
        if let Some(cidr) = &h.daemon.fixed_cidr {
            c.network(&format!("{dp}.fixed_cidr"), "fixed_cidr", cidr);
        }
        if let Some(b) = &h.daemon.bridge {
            if b != "none" {
                c.error(
                    &format!("{dp}.bridge"),
                    format!("daemon bridge `{b}` is not supported: the only accepted value is `\"none\"`"),
                );
            }
        }
        c.services(&format!("{path}.services"), &h.services);
        for (j, a) in h.firewall.allow.iter().enumerate() {
            if let FirewallAllowSpec::Tcp(0) | FirewallAllowSpec::Udp(0) = a {
                c.error(
                    &format!("{path}.firewall.allow[{j}]"),
                    "port 0 is not a valid port for a firewall rule",
                );
            }
        }
        ordered.push((
            &h.name,
            Node {
                kind: NodeKind::Host,
                path,
                interfaces: h.nics.iter().map(|x| x.name.as_str()).collect(),
            },
        ));
    }
    addresses(&mut c, f);
    for (i, e) in f.externals.iter().enumerate() {
        if let Some(d) = &e.dhcp_server {
            dhcp_pool(&mut c, &format!("fabric.externals[{i}]"), &e.interfaces, d);
        }
    }

    // Report a duplicate at the later of the two in the file.
    ordered.sort_by_key(|(_, node)| c.at(&format!("{}.name", node.path)));
    let mut ambiguous: HashSet<&str> = HashSet::new();
    for (name, node) in ordered {
        c.node_name(&node.path, name);
        if let Some(first) = nodes.get(name) {
            let w = c.where_is(&format!("{}.name", first.path));
            let msg = format!(
                "duplicate node name `{name}` (already used by {} at {w})",
                first.kind.noun()
            );
            c.error(&format!("{}.name", node.path), msg);
            ambiguous.insert(name);
            continue;
        }
        nodes.insert(name, node);
    }
    let node_names: Vec<&str> = {
        let mut v: Vec<&str> = nodes.keys().copied().collect();
        v.sort_unstable();
        v
    };

    // Links.
    let mut used_ifs: HashMap<(String, String), usize> = HashMap::new();
    let mut link_names: HashMap<String, usize> = HashMap::new();
    for (i, l) in f.links.iter().enumerate() {
        let lp = format!("fabric.links[{i}]");
        let mut switch_ends = 0;
        let mut resolved = 0;
        for (end_field, end) in [("a", &l.a), ("b", &l.b)] {
            let ep = format!("{lp}.{end_field}");
            if ambiguous.contains(end.split_once('.').map_or(end.as_str(), |(n, _)| n)) {
                continue; // Already reported as a duplicate name.
            }
            match end.split_once('.') {
                Some((node, itf)) => match nodes.get(node) {
                    Some(n) if n.kind == NodeKind::Switch => c.error(
                        &ep,
                        format!("`{node}` is a switch: a link end on a switch is written `{node}`, without an interface"),
                    ),
                    Some(n) if !n.interfaces.contains(&itf) => {
                        let all: Vec<String> =
                            n.interfaces.iter().map(|x| format!("{node}.{x}")).collect();
                        let all_ref: Vec<&str> = all.iter().map(String::as_str).collect();
                        let list = if all.is_empty() {
                            "none".to_string()
                        } else {
                            one_of(&all_ref)
                        };
                        c.error_help(
                            &ep,
                            format!(
                                "{} `{node}` has no interface `{itf}`; its interfaces are {list}",
                                capitalize(n.kind.noun()),
                            ),
                            did_you_mean(end, &all_ref),
                        );
                    }
                    Some(_) => {
                        resolved += 1;
                        let key = (node.to_string(), itf.to_string());
                        if let Some(first) = used_ifs.insert(key, i) {
                            let w = c.where_is(&format!("fabric.links[{first}]"));
                            c.error(
                                &ep,
                                format!(
                                    "interface `{end}` is already connected by the link at {w}; \
                                     an interface takes one cable"
                                ),
                            );
                        }
                    }
                    None if partial.nodes => {}
                    None => c.error_help(
                        &ep,
                        format!("link end `{end}`: there is no node `{node}`"),
                        did_you_mean(node, &node_names),
                    ),
                },
                None => match nodes.get(end.as_str()) {
                    Some(n) if n.kind == NodeKind::Switch => {
                        switch_ends += 1;
                        resolved += 1;
                    }
                    Some(n) => {
                        let all: Vec<String> =
                            n.interfaces.iter().map(|x| format!("{end}.{x}")).collect();
                        let all_ref: Vec<&str> = all.iter().map(String::as_str).collect();
                        c.error(
                            &ep,
                            format!(
                                "link end `{end}` is {}: name one of its interfaces: {}",
                                n.kind.noun(),
                                if all.is_empty() { "(it has none)".to_string() } else { one_of(&all_ref) }
                            ),
                        );
                    }
                    None if partial.nodes => {}
                    None => c.error_help(
                        &ep,
                        format!("link end `{end}`: there is no node `{end}`"),
                        did_you_mean(end, &node_names),
                    ),
                },
            }
        }
        if !(0.0..=100.0).contains(&l.loss_percent) {
            c.error(
                &format!("{lp}.loss_percent"),
                format!("loss_percent {} is not in 0..=100", l.loss_percent),
            );
        }
        if l.bandwidth_mbps == 0 {
            c.error(
                &format!("{lp}.bandwidth_mbps"),
                "bandwidth_mbps must be greater than 0",
            );
        }
        if let Some(mode) = &l.switch_port {
            let sp = format!("{lp}.switch_port");
            let vlans: Vec<u16> = match mode {
                PortModeSpec::Access(v) => vec![*v],
                PortModeSpec::Trunk(vs) => vs.clone(),
            };
            for v in vlans {
                if !(1..=4094).contains(&v) {
                    c.error(&sp, format!("VLAN id {v} is not in 1..=4094"));
                }
            }
            if switch_ends == 0 && resolved == 2 {
                c.error(
                    &sp,
                    "switch_port is set but neither end of this link is a switch",
                );
            }
        }
        let name = l
            .name
            .clone()
            .unwrap_or_else(|| format!("{}<->{}", l.a, l.b));
        if name.is_empty() {
            c.error(&format!("{lp}.name"), "a link name must not be empty");
        } else if let Some(first) = link_names.get(&name) {
            let w = c.where_is(&format!("fabric.links[{first}]"));
            c.error(
                &format!("{lp}.name"),
                format!("duplicate link name `{name}` (first used by the link at {w})"),
            );
        } else {
            link_names.insert(name, i);
        }
    }

    let switch_kinds: HashMap<&str, SwitchKindSpec> = f
        .switches
        .iter()
        .map(|s| (s.name.as_str(), s.kind))
        .collect();
    for (i, l) in f.links.iter().enumerate() {
        if l.mac_spoofing.is_none() {
            continue;
        }
        let kinds: Vec<(&str, SwitchKindSpec)> = [&l.a, &l.b]
            .iter()
            .filter_map(|e| switch_kinds.get(e.as_str()).map(|k| (e.as_str(), *k)))
            .collect();
        if kinds.iter().any(|(_, k)| *k == SwitchKindSpec::HyperV) {
            continue;
        }
        let what = match kinds.first() {
            Some((name, SwitchKindSpec::AzureHost)) => {
                format!("`{name}` is an Azure host, where MAC spoofing cannot be turned on")
            }
            Some((name, _)) => format!("`{name}` is a physical switch"),
            None if partial.nodes => continue,
            None => "neither end is a switch".to_string(),
        };
        c.error(
            &format!("fabric.links[{i}].mac_spoofing"),
            format!("mac_spoofing applies to a VM's port on a `HyperV` switch; {what}"),
        );
    }
    if !partial.links {
        unlinked_interfaces(&mut c, f, &used_ifs);
    }

    // Images.
    let mut images: HashMap<&str, usize> = HashMap::new();
    for (i, img) in spec.images.iter().enumerate() {
        let ip = format!("images[{i}]");
        if img.name.trim().is_empty() {
            c.error(&format!("{ip}.name"), "an image name must not be empty");
        } else if let Some(first) = images.insert(&img.name, i) {
            let w = c.where_is(&format!("images[{first}]"));
            c.error(
                &format!("{ip}.name"),
                format!("duplicate image name `{}` (first at {w})", img.name),
            );
        }
        c.services(&format!("{ip}.services"), &img.services);
    }

    // Steps.
    let host_names: Vec<&str> = f.hosts.iter().map(|h| h.name.as_str()).collect();
    let mut link_list: Vec<&str> = link_names.keys().map(String::as_str).collect();
    link_list.sort_unstable();
    let steps = StepChecker {
        names: (!partial.nodes).then(|| KnownNames::of(spec)),
        images: &spec.images,
        listens: listens(&spec.steps),
        nodes: &nodes,
        ambiguous: &ambiguous,
        host_names: &host_names,
        link_names: &link_names,
        link_list: &link_list,
        cabled: &used_ifs,
        partial,
        max_sim_time_ms: spec.limits.max_sim_time_ms,
    };
    // Probe names are what `hnsim diff` matches probes by: one probe each.
    let mut probe_names: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, step) in spec.steps.iter().enumerate() {
        steps.check(&mut c, &format!("steps[{i}]"), step);
        if let StepSpec::Probe {
            name: Some(name), ..
        } = step
        {
            let at = format!("steps[{i}].name");
            if name.trim().is_empty() {
                c.error(&at, "a probe's name must not be empty");
            } else if let Some(first) = probe_names.insert(name, i) {
                c.error(
                    &at,
                    format!(
                        "the probe name {name:?} is taken by steps[{first}]; names must be unique"
                    ),
                );
            }
        }
    }
    c.diags
}

/// What the checks of a step refer to: the fabric's names.
struct StepChecker<'a> {
    /// The names probes can use (none when some node did not parse).
    names: Option<KnownNames>,
    images: &'a [ImageSpec],
    /// (container, service) of every `Listen` step.
    listens: HashSet<(String, ServiceSpec)>,
    nodes: &'a HashMap<&'a str, Node<'a>>,
    ambiguous: &'a HashSet<&'a str>,
    /// Container host names, in file order (for "did you mean").
    host_names: &'a [&'a str],
    link_names: &'a HashMap<String, usize>,
    /// Link names, sorted (for "did you mean").
    link_list: &'a [&'a str],
    /// Interfaces with a cable: (node, interface).
    cabled: &'a HashMap<(String, String), usize>,
    partial: Partial,
    max_sim_time_ms: u64,
}

/// The steps an `At` can schedule.
const SCHEDULABLE: &[&str] = &[
    "Docker",
    "LinkDown",
    "LinkUp",
    "NicDown",
    "NicUp",
    "Reboot",
    "Impair",
    "Partition",
    "Heal",
    "HostDown",
    "HostUp",
    "RestartService",
];

/// A step's variant name, as written in the file.
fn variant_name(step: &StepSpec) -> &'static str {
    match step {
        StepSpec::Docker { .. } => "Docker",
        StepSpec::Shell { .. } => "Shell",
        StepSpec::Probe { .. } => "Probe",
        StepSpec::Listen { .. } => "Listen",
        StepSpec::HostEndpoint { .. } => "HostEndpoint",
        StepSpec::Reboot { .. } => "Reboot",
        StepSpec::LinkDown { .. } => "LinkDown",
        StepSpec::LinkUp { .. } => "LinkUp",
        StepSpec::NicDown { .. } => "NicDown",
        StepSpec::NicUp { .. } => "NicUp",
        StepSpec::Impair { .. } => "Impair",
        StepSpec::Partition { .. } => "Partition",
        StepSpec::Heal { .. } => "Heal",
        StepSpec::HostDown { .. } => "HostDown",
        StepSpec::HostUp { .. } => "HostUp",
        StepSpec::RestartService { .. } => "RestartService",
        StepSpec::Wait { .. } => "Wait",
        StepSpec::At { .. } => "At",
        StepSpec::Note(_) => "Note",
    }
}

impl StepChecker<'_> {
    /// Checks the step at `sp` (`steps[3]`, or `steps[3].do` for the step an `At` schedules).
    fn check(&self, c: &mut Checker, sp: &str, step: &StepSpec) {
        let host = |c: &mut Checker, h: &str| {
            let hp = format!("{sp}.host");
            if self.ambiguous.contains(h) {
                return;
            }
            match self.nodes.get(h) {
                Some(n) if n.kind == NodeKind::Host => {}
                Some(n) => c.error(
                    &hp,
                    format!("`{h}` is {}, not a container host", n.kind.noun()),
                ),
                None if self.partial.nodes => {}
                None => c.error_help(
                    &hp,
                    format!("there is no container host `{h}`"),
                    did_you_mean(h, self.host_names),
                ),
            }
        };
        match step {
            StepSpec::Docker { host: h, cmd, .. } => {
                host(c, h);
                if !cmd.trim().starts_with("docker ") {
                    c.error(
                        &format!("{sp}.cmd"),
                        format!("a Docker step's cmd must start with `docker `, found `{cmd}`"),
                    );
                }
                self.image(c, &format!("{sp}.cmd"), cmd);
            }
            StepSpec::Shell { on, cmd, .. } => {
                let op = format!("{sp}.on");
                match self.nodes.get(on.as_str()) {
                    Some(n) if n.kind == NodeKind::Switch => c.error(
                        &op,
                        format!("`{on}` is a switch; a Shell step runs on a container host or a router or external host"),
                    ),
                    Some(_) => {}
                    None if self.partial.nodes || self.ambiguous.contains(on.as_str()) => {}
                    None => c.error(&op, format!("there is no node `{on}`")),
                }
                if cmd.trim().is_empty() {
                    c.error(&format!("{sp}.cmd"), "a Shell step's cmd must not be empty");
                }
            }
            StepSpec::Probe {
                from, to, proto, ..
            } => {
                if from.trim().is_empty() {
                    c.error(&format!("{sp}.from"), "Probe `from` must not be empty");
                }
                if to.trim().is_empty() {
                    c.error(&format!("{sp}.to"), "Probe `to` must not be empty");
                }
                if matches!(proto, ProtoSpec::Tcp(0) | ProtoSpec::Udp(0)) {
                    c.error(&format!("{sp}.proto"), "port 0 is not a valid probe port");
                }
                if let Some(names) = &self.names {
                    self.probe_names(c, sp, names, step);
                }
            }
            StepSpec::Listen {
                host: h,
                container,
                services,
            } => {
                host(c, h);
                if container.trim().is_empty() {
                    c.error(
                        &format!("{sp}.container"),
                        "Listen `container` must not be empty",
                    );
                }
                c.services(&format!("{sp}.services"), services);
            }
            StepSpec::Reboot { host: h } => host(c, h),
            StepSpec::HostEndpoint {
                host: h,
                network,
                ip,
            } => {
                host(c, h);
                if network.trim().is_empty() {
                    c.error(
                        &format!("{sp}.network"),
                        "HostEndpoint `network` must not be empty",
                    );
                }
                if let Some(ip) = ip {
                    c.ipv4(&format!("{sp}.ip"), "host endpoint address", ip);
                }
            }
            StepSpec::Impair {
                link,
                loss,
                duplicate,
                reorder,
                ..
            } => {
                self.link(c, &format!("{sp}.link"), link);
                for (field, p) in [
                    ("loss", loss),
                    ("duplicate", duplicate),
                    ("reorder", reorder),
                ] {
                    if !(0.0..=1.0).contains(p) {
                        c.error(
                            &format!("{sp}.{field}"),
                            format!("Impair `{field}` is a probability from 0.0 to 1.0, found {p}"),
                        );
                    }
                }
            }
            StepSpec::Partition { name, links, nodes } => {
                if name.trim().is_empty() {
                    c.error(
                        &format!("{sp}.name"),
                        "a partition's name must not be empty",
                    );
                }
                if links.is_empty() && nodes.is_empty() {
                    c.error(
                        &format!("{sp}.links"),
                        "a Partition needs `links` to cut or `nodes` to isolate",
                    );
                }
                for (i, link) in links.iter().enumerate() {
                    self.link(c, &format!("{sp}.links[{i}]"), link);
                }
                for (i, node) in nodes.iter().enumerate() {
                    let np = format!("{sp}.nodes[{i}]");
                    match self.nodes.get(node.as_str()) {
                        Some(_) => {}
                        None if self.partial.nodes || self.ambiguous.contains(node.as_str()) => {}
                        None => c.error(&np, format!("there is no node `{node}`")),
                    }
                }
            }
            StepSpec::Heal { name } => {
                if name.trim().is_empty() {
                    c.error(
                        &format!("{sp}.name"),
                        "a partition's name must not be empty",
                    );
                }
            }
            StepSpec::HostDown { host: h }
            | StepSpec::HostUp { host: h }
            | StepSpec::RestartService { host: h, .. } => host(c, h),
            StepSpec::LinkDown { link } | StepSpec::LinkUp { link } => {
                if !self.link_names.contains_key(link) && !self.partial.links {
                    c.error_help(
                        &format!("{sp}.link"),
                        format!(
                            "there is no link named `{link}` (a link without a name is called `a<->b`)"
                        ),
                        did_you_mean(link, self.link_list),
                    );
                }
            }
            StepSpec::NicDown { host: h, nic } | StepSpec::NicUp { host: h, nic } => {
                host(c, h);
                self.nic(c, sp, h, nic);
            }
            StepSpec::At { ms, step: inner } => self.scheduled(c, sp, *ms, inner),
            StepSpec::Wait { .. } | StepSpec::Note(_) => {}
        }
    }

    /// The `from` and `to` of a probe: names the scenario knows; and a probe expected to be
    /// delivered to a container's port: a service of its image there.
    fn probe_names(&self, c: &mut Checker, sp: &str, names: &KnownNames, step: &StepSpec) {
        let StepSpec::Probe {
            from,
            to,
            proto,
            expect,
            ..
        } = step
        else {
            return;
        };
        if let Some((msg, help)) = names.source_problem(from) {
            c.error_help(&format!("{sp}.from"), msg, help);
        }
        if let Some((msg, help)) = names.target_problem(to) {
            c.error_help(&format!("{sp}.to"), msg, help);
        }
        let service = match proto {
            ProtoSpec::Tcp(p) => ServiceSpec::Tcp(*p),
            ProtoSpec::Udp(p) => ServiceSpec::Udp(*p),
            ProtoSpec::Icmp => return,
        };
        let Some(container) = names.container(to) else {
            return;
        };
        let bare = to.rsplit('/').next().unwrap_or(to);
        let Some(image) = self.images.iter().find(|i| i.name == container.image) else {
            return;
        };
        if *expect != Some(OutcomeSpec::Delivered)
            || container.has_command
            || image.services.contains(&service)
            || self.listens.contains(&(bare.to_string(), service.clone()))
        {
            return;
        }
        let listed: Vec<String> = image.services.iter().map(service_name).collect();
        let listed: Vec<&str> = listed.iter().map(String::as_str).collect();
        let has = if listed.is_empty() {
            "declares no services".to_string()
        } else {
            format!("listens on {} only", one_of(&listed))
        };
        c.error_help(
            &format!("{sp}.proto"),
            format!(
                "this probe expects `Delivered` on {} of container `{to}`, but its image `{}` {has} \
                 and no `Listen` step opens it: the probe would be refused",
                service_name(&service),
                image.name
            ),
            Some(format!(
                "add the service to the image in `images`, or a `Listen` step for `{bare}`"
            )),
        );
    }

    /// The image of a `docker run`/`docker create` line: one of `images` (when the scenario
    /// lists any), since an image hnsim does not know has no services.
    fn image(&self, c: &mut Checker, path: &str, cmd: &str) {
        if self.images.is_empty() {
            return;
        }
        let Ok(
            crate::docker::cli::DockerCommand::Run(args)
            | crate::docker::cli::DockerCommand::Create(args),
        ) = crate::docker::cli::parse(cmd)
        else {
            return;
        };
        if self.images.iter().any(|i| i.name == args.image) {
            return;
        }
        let listed: Vec<&str> = self.images.iter().map(|i| i.name.as_str()).collect();
        c.error_help(
            path,
            format!(
                "image `{}` is not listed in `images` (its containers would listen on nothing); \
                 the scenario lists {}",
                args.image,
                one_of(&listed)
            ),
            did_you_mean(&args.image, &listed),
        );
    }

    /// The NIC of a NicDown/NicUp step: one of the host's NICs, with a cable.
    fn nic(&self, c: &mut Checker, sp: &str, h: &str, nic: &str) {
        let Some(node) = self
            .nodes
            .get(h)
            .filter(|n| n.kind == NodeKind::Host && !self.ambiguous.contains(h))
        else {
            return; // The host itself is reported.
        };
        let np = format!("{sp}.nic");
        if !node.interfaces.contains(&nic) {
            let list = if node.interfaces.is_empty() {
                "none".to_string()
            } else {
                one_of(&node.interfaces)
            };
            c.error_help(
                &np,
                format!("container host `{h}` has no NIC `{nic}`; its NICs are {list}"),
                did_you_mean(nic, &node.interfaces),
            );
        } else if !self.partial.links
            && !self.cabled.contains_key(&(h.to_string(), nic.to_string()))
        {
            c.error(
                &np,
                format!("NIC `{h}.{nic}` has no cable: no link in `fabric.links` ends at it"),
            );
        }
    }

    /// A link a fault step names (at `at`) exists.
    fn link(&self, c: &mut Checker, at: &str, link: &str) {
        if !self.link_names.contains_key(link) && !self.partial.links {
            c.error_help(
                at,
                format!(
                    "there is no link named `{link}` (a link without a name is called `a<->b`)"
                ),
                did_you_mean(link, self.link_list),
            );
        }
    }

    /// An `At` step: a time the run can reach, and a step that can run at an instant.
    fn scheduled(&self, c: &mut Checker, sp: &str, ms: u64, inner: &StepSpec) {
        if ms > self.max_sim_time_ms {
            c.error(
                &format!("{sp}.ms"),
                format!(
                    "`At` ms {ms} is after the run's time limit (`max_sim_time_ms` {}): it would never run",
                    self.max_sim_time_ms
                ),
            );
        }
        let ip = format!("{sp}.do");
        let variant = variant_name(inner);
        match inner {
            StepSpec::At { .. } => c.error(
                &ip,
                "`At` cannot schedule another `At`: give the inner step's time to this one",
            ),
            StepSpec::Docker { cmd, .. } if is_docker_exec(cmd) => c.error(
                &format!("{ip}.cmd"),
                "a scheduled Docker step cannot be `docker exec`: its probe would run inside another step; write it as a Docker step of its own",
            ),
            _ if SCHEDULABLE.contains(&variant) => self.check(c, &ip, inner),
            _ => {
                let help = matches!(inner, StepSpec::Probe { .. } | StepSpec::Wait { .. }).then(|| {
                    format!("write the `{variant}` as a step of its own after this `At`: it runs while the scheduled step is pending")
                });
                c.error_help(
                    &ip,
                    format!(
                        "`{variant}` cannot be scheduled: `At` takes one of {}",
                        one_of(SCHEDULABLE)
                    ),
                    help,
                );
            }
        }
    }
}

/// `tcp/80`, `udp/53`.
fn service_name(s: &ServiceSpec) -> String {
    match s {
        ServiceSpec::Tcp(p) => format!("tcp/{p}"),
        ServiceSpec::Udp(p) => format!("udp/{p}"),
    }
}

/// The (container, service) pairs of every `Listen` step.
fn listens(steps: &[StepSpec]) -> HashSet<(String, ServiceSpec)> {
    let mut out = HashSet::new();
    for s in steps {
        if let StepSpec::Listen {
            container,
            services,
            ..
        } = s
        {
            for svc in services {
                out.insert((container.clone(), svc.clone()));
            }
        }
    }
    out
}

/// Every interface address of the fabric: each address once across all nodes, and a router's
/// interfaces on subnets that do not overlap (a router forwards between distinct subnets).
fn addresses(c: &mut Checker, f: &FabricSpec) {
    let mut all: Vec<(String, &InterfaceSpec)> = Vec::new();
    for (i, r) in f.routers.iter().enumerate() {
        for (j, itf) in r.interfaces.iter().enumerate() {
            all.push((format!("fabric.routers[{i}].interfaces[{j}]"), itf));
        }
    }
    for (i, e) in f.externals.iter().enumerate() {
        for (j, itf) in e.interfaces.iter().enumerate() {
            all.push((format!("fabric.externals[{i}].interfaces[{j}]"), itf));
        }
    }
    for (i, h) in f.hosts.iter().enumerate() {
        for (j, itf) in h.nics.iter().enumerate() {
            all.push((format!("fabric.hosts[{i}].nics[{j}]"), itf));
        }
    }
    // In file order, so the later of two is the one reported.
    all.sort_by_key(|(p, _)| c.at(p));
    let mut seen: HashMap<Ipv4Addr, String> = HashMap::new();
    for (path, itf) in &all {
        let Ok(net) = Ipv4Network::from_str(&itf.address) else {
            continue;
        };
        if let Some(first) = seen.get(&net.ip()) {
            let w = c.where_is(first);
            c.error(
                &format!("{path}.address"),
                format!(
                    "address {} is already given to the interface at {w}; two interfaces \
                     cannot hold the same address",
                    net.ip()
                ),
            );
        } else {
            seen.insert(net.ip(), path.clone());
        }
    }
    for (i, r) in f.routers.iter().enumerate() {
        let nets: Vec<(usize, Ipv4Network)> = r
            .interfaces
            .iter()
            .enumerate()
            .filter_map(|(j, itf)| Some((j, Ipv4Network::from_str(&itf.address).ok()?)))
            .filter(|(_, n)| n.prefix() > 0)
            .collect();
        for (k, (j, n)) in nets.iter().enumerate() {
            let Some((first, m)) = nets[..k].iter().find(|(_, m)| m.overlaps(*n)) else {
                continue;
            };
            let path = format!("fabric.routers[{i}].interfaces[{j}].address");
            let w = c.where_is(&format!("fabric.routers[{i}].interfaces[{first}]"));
            c.error(
                &path,
                format!(
                    "router `{}`: subnet {}/{} of this interface overlaps {}/{} of its interface \
                     `{}` at {w}; a router's interfaces are on distinct subnets",
                    r.name,
                    n.network(),
                    n.prefix(),
                    m.network(),
                    m.prefix(),
                    r.interfaces[*first].name
                ),
            );
        }
    }
}

/// A DHCP server's pool: two addresses, in order, inside the subnet of one of its interfaces.
fn dhcp_pool(c: &mut Checker, path: &str, ifs: &[InterfaceSpec], d: &DhcpServerSpec) {
    let dp = format!("{path}.dhcp_server");
    let start = c.ipv4(&format!("{dp}.pool_start"), "pool_start", &d.pool_start);
    let end = c.ipv4(&format!("{dp}.pool_end"), "pool_end", &d.pool_end);
    if let Some(r) = &d.router {
        c.ipv4(&format!("{dp}.router"), "DHCP router option", r);
    }
    for (j, s) in d.dns.iter().enumerate() {
        c.ipv4(&format!("{dp}.dns[{j}]"), "DHCP DNS option", s);
    }
    let (Some(start), Some(end)) = (start, end) else {
        return;
    };
    if start > end {
        c.error(
            &format!("{dp}.pool_end"),
            format!("the DHCP pool ends at {end}, before its start {start}"),
        );
        return;
    }
    let nets: Vec<Ipv4Network> = ifs
        .iter()
        .filter_map(|i| Ipv4Network::from_str(&i.address).ok())
        .collect();
    if nets.is_empty() {
        return; // The interfaces are reported.
    }
    if !nets.iter().any(|n| n.contains(start) && n.contains(end)) {
        let list: Vec<String> = nets
            .iter()
            .map(|n| format!("{}/{}", n.network(), n.prefix()))
            .collect();
        let list: Vec<&str> = list.iter().map(String::as_str).collect();
        c.error(
            &format!("{dp}.pool_start"),
            format!(
                "the DHCP pool {start} to {end} is not inside the subnet of one interface of \
                 this host ({})",
                one_of(&list)
            ),
        );
    }
}

/// Interfaces of routers, outside hosts and container hosts that no link ends at: nothing can
/// reach them, and a probe through them would be dropped.
fn unlinked_interfaces(c: &mut Checker, f: &FabricSpec, cabled: &HashMap<(String, String), usize>) {
    let mut all: Vec<(String, &str, &str, &str)> = Vec::new();
    for (i, r) in f.routers.iter().enumerate() {
        for (j, itf) in r.interfaces.iter().enumerate() {
            all.push((
                format!("fabric.routers[{i}].interfaces[{j}]"),
                &r.name,
                &itf.name,
                "interface",
            ));
        }
    }
    for (i, e) in f.externals.iter().enumerate() {
        for (j, itf) in e.interfaces.iter().enumerate() {
            all.push((
                format!("fabric.externals[{i}].interfaces[{j}]"),
                &e.name,
                &itf.name,
                "interface",
            ));
        }
    }
    for (i, h) in f.hosts.iter().enumerate() {
        for (j, itf) in h.nics.iter().enumerate() {
            all.push((
                format!("fabric.hosts[{i}].nics[{j}]"),
                &h.name,
                &itf.name,
                "NIC",
            ));
        }
    }
    // A name two nodes share is reported as a duplicate; which of them a link end means is
    // ambiguous, so their cables are not judged.
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    let names = f.switches.iter().map(|x| x.name.as_str());
    let names = names
        .chain(f.routers.iter().map(|x| x.name.as_str()))
        .chain(f.externals.iter().map(|x| x.name.as_str()))
        .chain(f.hosts.iter().map(|x| x.name.as_str()));
    for n in names {
        *seen.entry(n).or_default() += 1;
    }
    for (path, node, itf, what) in all {
        if itf.is_empty()
            || seen.get(node).is_some_and(|n| *n > 1)
            || cabled.contains_key(&(node.to_string(), itf.to_string()))
        {
            continue;
        }
        c.error(
            &format!("{path}.name"),
            format!(
                "{what} `{node}.{itf}` has no cable: add a link to `fabric.links` with an end \
                 `{node}.{itf}`"
            ),
        );
    }
}

/// Whether a docker command line is `docker exec ...` (as the docker CLI parses it).
fn is_docker_exec(cmd: &str) -> bool {
    matches!(
        crate::docker::cli::parse(cmd),
        Ok(crate::docker::cli::DockerCommand::Exec { .. })
    )
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A switch's spanning-tree settings: only a physical switch runs one, and its priority is
/// one a switch accepts.
fn spanning_tree(c: &mut Checker, path: &str, s: &SwitchSpec) {
    let on = s.spanning_tree == SpanningTreeSpec::Rstp;
    if on && s.kind != SwitchKindSpec::Physical {
        let what = match s.kind {
            SwitchKindSpec::HyperV => "a Hyper-V virtual switch",
            _ => "an Azure host",
        };
        c.error(
            &format!("{path}.spanning_tree"),
            format!(
                "spanning_tree applies to a physical switch; `{}` is {what}, which runs none",
                s.name
            ),
        );
    }
    let Some(priority) = s.bridge_priority else {
        return;
    };
    let pp = format!("{path}.bridge_priority");
    if !on {
        c.error(
            &pp,
            "bridge_priority is a spanning-tree setting: add `spanning_tree: Rstp` to this switch",
        );
    } else if priority % crate::control::stp::PRIORITY_STEP != 0 || priority > 61_440 {
        c.error(
            &pp,
            format!(
                "bridge priority {priority} is not one a switch accepts: a multiple of 4096 \
                 from 0 to 61440 (802.1D keeps only its top four bits), e.g. 4096 or 32768"
            ),
        );
    }
}
