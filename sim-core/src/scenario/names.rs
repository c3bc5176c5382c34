//! The names a probe can start from or go to, as far as the scenario file says before anything
//! runs: the fabric's nodes, the containers its docker lines name (`--name`), and the names
//! DNS can answer (network aliases, `--link` aliases, hostnames, the DNS records of outside
//! hosts). `validate` checks each `Probe` step with it, and `hnsim trace` its `--from`/`--to`.
//!
//! A container started without `--name` gets a random name no file can know, so only named
//! containers count; a name with a `.` in it may be answered by a DNS server hnsim cannot
//! see ahead, so only single-label names are checked against the list.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::diag::did_you_mean;
use super::schema::{ScenarioSpec, StepSpec};
use crate::docker::cli::{self, DockerCommand};

/// Names that Docker's embedded DNS answers on every host without a container of that name.
const DOCKER_DNS_NAMES: &[&str] = &["host.docker.internal", "gateway.docker.internal"];

/// A container a docker line of the scenario creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedContainer {
    /// The container host it runs on.
    pub host: String,
    pub image: String,
    /// Whether the line gives the container a command (which may start a service of its own).
    pub has_command: bool,
}

/// The names a scenario's probes can use.
#[derive(Debug, Clone, Default)]
pub struct KnownNames {
    /// Switches, routers, outside hosts and container hosts.
    nodes: BTreeSet<String>,
    /// Named containers, by name and by `host/name`.
    containers: BTreeMap<String, NamedContainer>,
    /// Further names DNS answers (lowercase).
    dns: BTreeSet<String>,
}

/// What is wrong with a name in a probe: the message and an optional hint.
pub type NameProblem = (String, Option<String>);

impl KnownNames {
    /// Collects the names of `spec`: its nodes and what its docker lines (in `Docker` and
    /// `Shell` steps, scheduled ones included) create.
    pub fn of(spec: &ScenarioSpec) -> KnownNames {
        let f = &spec.fabric;
        let mut names = KnownNames::default();
        let nodes = f.switches.iter().map(|s| &s.name);
        let nodes = nodes.chain(f.routers.iter().map(|r| &r.name));
        let nodes = nodes.chain(f.externals.iter().map(|e| &e.name));
        names.nodes = nodes
            .chain(f.hosts.iter().map(|h| &h.name))
            .cloned()
            .collect();
        for e in &f.externals {
            for (record, _) in &e.dns_records {
                names
                    .dns
                    .insert(record.trim_end_matches('.').to_lowercase());
            }
        }
        for step in &spec.steps {
            names.add_step(step);
        }
        names
    }

    fn add_step(&mut self, step: &StepSpec) {
        let (host, cmd) = match step {
            StepSpec::Docker { host, cmd, .. } => (host, cmd),
            StepSpec::Shell { on, cmd, .. } if cmd.trim_start().starts_with("docker ") => (on, cmd),
            StepSpec::At { step, .. } => return self.add_step(step),
            _ => return,
        };
        let mut dns = |name: &str| {
            self.dns.insert(name.to_lowercase());
        };
        match cli::parse(cmd) {
            Ok(DockerCommand::Run(args) | DockerCommand::Create(args)) => {
                args.network_aliases.iter().for_each(|a| dns(a));
                args.hostname.iter().for_each(|a| dns(a));
                args.links.iter().for_each(|l| dns(link_alias(l)));
                if let Some(name) = args.name {
                    let c = NamedContainer {
                        host: host.clone(),
                        image: args.image,
                        has_command: !args.command.is_empty(),
                    };
                    self.containers.insert(format!("{host}/{name}"), c.clone());
                    self.containers.insert(name, c);
                }
            }
            Ok(DockerCommand::NetworkConnect { aliases, links, .. }) => {
                aliases.iter().for_each(|a| dns(a));
                links.iter().for_each(|l| dns(link_alias(l)));
            }
            _ => {}
        }
    }

    /// The container a probe names (`web` or `host1/web`), if a docker line creates it.
    pub fn container(&self, name: &str) -> Option<&NamedContainer> {
        self.containers.get(name)
    }

    /// Every name a probe can start from, sorted (for "did you mean").
    fn sources(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.nodes.iter().map(String::as_str).collect();
        all.extend(self.containers.keys().map(String::as_str));
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Why `name` cannot be where a probe starts, if it cannot.
    pub fn source_problem(&self, name: &str) -> Option<NameProblem> {
        // A blank name is reported as empty where it is read; no second message.
        if name.trim().is_empty() || self.nodes.contains(name) || self.containers.contains_key(name)
        {
            return None;
        }
        let all = self.sources();
        Some((
            format!(
                "there is no container, container host or fabric node named `{name}` to probe from \
                 (containers count when a docker line gives them a `--name`)"
            ),
            did_you_mean(name, &all),
        ))
    }

    /// Why `name` cannot be where a probe goes, if it cannot: an address with a bad part, or a
    /// single-label name that nothing in the scenario answers.
    pub fn target_problem(&self, name: &str) -> Option<NameProblem> {
        if name.trim().is_empty() || name.parse::<Ipv4Addr>().is_ok() {
            return None;
        }
        if looks_like_ipv4(name) {
            return Some((
                format!(
                    "`{name}` is not an IPv4 address (four numbers from 0 to 255); it would be \
                     looked up as a DNS name"
                ),
                None,
            ));
        }
        let lower = name.trim_end_matches('.').to_lowercase();
        if self.nodes.contains(name)
            || self.containers.contains_key(name)
            || self.dns.contains(&lower)
            || DOCKER_DNS_NAMES.contains(&lower.as_str())
            || name.contains('.')
        {
            return None;
        }
        let mut all = self.sources();
        all.extend(self.dns.iter().map(String::as_str));
        all.sort_unstable();
        all.dedup();
        Some((
            format!(
                "nothing in the scenario is named `{name}`: not a container (`--name`), alias or \
                 hostname, a fabric node, or a DNS record of an outside host"
            ),
            did_you_mean(name, &all),
        ))
    }
}

/// The alias of a `--link target[:alias]` (the target's name without one).
fn link_alias(link: &str) -> &str {
    link.rsplit_once(':').map_or(link, |(_, alias)| alias)
}

/// Four dot-separated runs of digits: meant as an address, whether or not it is one.
fn looks_like_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> KnownNames {
        let spec: ScenarioSpec = ron::from_str(
            r#"(title: "t", fabric: (hosts: [(name: "host1", nics: [(name: "eth0", address: "10.0.0.11/24")])],
                externals: [(name: "dns", interfaces: [(name: "eth0", address: "10.0.0.2/24")],
                             dns_records: [("Internet.Example", "10.0.0.2")])]),
                steps: [
                  Docker(host: "host1", cmd: "docker run -d --name web --network-alias site iis"),
                  At(ms: 5, do: Docker(host: "host1", cmd: "docker run -d --name late --link web:db busybox sleep 9")),
                ])"#,
        )
        .unwrap();
        KnownNames::of(&spec)
    }

    #[test]
    fn sources_are_nodes_and_named_containers() {
        let n = names();
        for ok in ["host1", "dns", "web", "host1/web", "late"] {
            assert_eq!(n.source_problem(ok), None, "{ok}");
        }
        let (msg, help) = n.source_problem("wbe").unwrap();
        assert!(msg.contains("`wbe`"), "{msg}");
        assert_eq!(help.as_deref(), Some("did you mean `web`?"));
        assert_eq!(n.container("host1/late").map(|c| c.has_command), Some(true));
        assert_eq!(n.container("web").map(|c| c.image.as_str()), Some("iis"));
    }

    #[test]
    fn targets_take_addresses_aliases_and_records() {
        let n = names();
        for ok in [
            "10.0.0.300.example",
            "10.9.9.9",
            "site",
            "db",
            "internet.example",
            "INTERNET.EXAMPLE.",
            "host.docker.internal",
            "some.where",
        ] {
            assert_eq!(n.target_problem(ok), None, "{ok}");
        }
        let (msg, _) = n.target_problem("10.0.0.300").unwrap();
        assert!(msg.contains("not an IPv4 address"), "{msg}");
        let (_, help) = n.target_problem("stie").unwrap();
        assert_eq!(help.as_deref(), Some("did you mean `site`?"));
    }
}
