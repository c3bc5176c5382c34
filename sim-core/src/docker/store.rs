//! The docker daemon's store: the networks and containers docker knows, by name and id, as
//! the daemon keeps them whatever the operating system.
//!
//! Owns docker's records (a network's driver, IPAM and options; a container's image,
//! attachments, published ports and sandbox) and the lookups the CLI's semantics need (a name,
//! a full id or a unique id prefix). What a record becomes on the host is the backend's
//! (`docker::backend`); the store never touches the engine.

pub use crate::control::Isolation;
use crate::fastmap::FastMap;
use crate::id::NodeId;
use crate::time::SimTime;
use ipnetwork::Ipv4Network;
use std::net::Ipv4Addr;

/// One entry of a network's `IPAM.Config`, with Go's `omitempty`: empty fields are not shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpamConfig {
    pub subnet: String,
    pub ip_range: String,
    pub gateway: String,
    /// `--aux-address name=ip`, shown sorted by name.
    pub aux: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct DockerNetwork {
    pub id: String,
    pub name: String,
    pub driver: String,
    /// The id the backend's driver gave the network (HNS's GUID on Windows), once it exists.
    pub backend_id: Option<String>,
    /// (subnet, gateway) as docker records them after the driver answered.
    pub ipam: Vec<(String, String)>,
    /// The IPAM config as the Linux daemon reports it, when it keeps the user's values as
    /// given (a subnet with host bits, no gateway unless one was given, `--ip-range`,
    /// `--aux-address`); empty: `ipam` is the config.
    pub ipam_config: Vec<IpamConfig>,
    /// `IPAM.Options` as the CLI sent them (`{}`); `None` shows `null` (predefined networks,
    /// and hnsim's Windows networks).
    pub ipam_options: Option<Vec<(String, String)>>,
    pub ipv6: bool,
    /// What the user asked for, kept to recreate the network after a reboot.
    pub requested_subnet: Option<Ipv4Network>,
    pub requested_gateway: Option<Ipv4Addr>,
    pub options: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub internal: bool,
    pub attachable: bool,
    pub created: SimTime,
    /// Predefined networks (the default one, `none`) cannot be removed.
    pub predefined: bool,
    /// The swarm's routing-mesh network (`ingress`).
    pub ingress: bool,
}

/// The short form of a docker id the CLI and the daemon's messages show: its first 12
/// characters, or all of an id that has fewer (never a panic on a short one).
pub fn short_id(id: &str) -> &str {
    id.char_indices().nth(12).map_or(id, |(end, _)| &id[..end])
}

impl DockerNetwork {
    /// The id's short form (`short_id`).
    pub fn short_id(&self) -> &str {
        short_id(&self.id)
    }

    /// A network docker just created: no driver answer, options or labels yet.
    pub fn new(id: String, name: &str, driver: &str, created: SimTime, predefined: bool) -> Self {
        DockerNetwork {
            id,
            name: name.into(),
            driver: driver.into(),
            backend_id: None,
            ipam: Vec::new(),
            ipam_config: Vec::new(),
            ipam_options: None,
            ipv6: false,
            requested_subnet: None,
            requested_gateway: None,
            options: Vec::new(),
            labels: Vec::new(),
            internal: false,
            attachable: false,
            created,
            predefined,
            ingress: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerState {
    Created,
    Running,
    Exited,
}

#[derive(Clone, Debug)]
pub struct Attachment {
    /// The network's name when the container joined it: docker keys a container's networks
    /// by name, and finds the predefined ones by name when the container starts.
    pub network_name: String,
    /// docker's id of the network; empty when no network had that name when the container
    /// was created (the start then fails naming it).
    pub network_id: String,
    pub requested_ip: Option<Ipv4Addr>,
    pub aliases: Vec<String>,
    /// `docker network connect --link target[:alias]`: (target, alias) on this network.
    pub links: Vec<(String, String)>,
    /// The backend's endpoint, while the container runs.
    pub endpoint: Option<String>,
    /// The id of the endpoint a start that failed on this network had made (a host port
    /// docker could not program): docker keeps showing it as the network's `EndpointID`
    /// until the next start (recorded on 20.10: the oracle learned `w2@bridge` from the
    /// API after `docker run` failed with `port is already allocated`).
    pub failed_endpoint: Option<String>,
}

/// `target[:alias]` as (target, alias); the alias is the target's name when not given.
pub fn parse_link(link: &str) -> (String, String) {
    match link.split_once(':') {
        Some((t, a)) => (t.trim_start_matches('/').to_string(), a.to_string()),
        None => {
            let t = link.trim_start_matches('/');
            (t.to_string(), t.to_string())
        }
    }
}

impl Container {
    /// The id's short form (`short_id`).
    pub fn short_id(&self) -> &str {
        short_id(&self.id)
    }
}

#[derive(Clone, Debug)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub image: String,
    pub state: ContainerState,
    pub attachments: Vec<Attachment>,
    /// Published ports, one binding per container port, as the CLI sent them.
    pub ports: Vec<PortBinding>,
    pub dns: Vec<Ipv4Addr>,
    pub isolation: Isolation,
    /// The container's network sandbox (a compartment on Windows, a namespace on Linux),
    /// while it runs.
    pub sandbox: Option<NodeId>,
    /// `--network container:<name>`: the container whose sandbox this one shares.
    pub net_from: Option<String>,
    /// The sandbox is not the container's own (`--network host`: the host's namespace), so
    /// stopping the container takes only its services away from it.
    pub sandbox_shared: bool,
    /// Endpoints the backend added on its own (Server 2016's `gateway_` endpoint).
    pub hidden_endpoints: Vec<String>,
    pub extra_tcp: Vec<u16>,
    pub extra_udp: Vec<u16>,
    /// docker's `State.ExitCode`: 128 after a start that failed (moby's `exitUnknown`).
    pub exit_code: i32,
    /// docker's `State.Error`: why the last start failed.
    pub error: String,
    /// The command the container runs (`docker run IMAGE CMD…`), empty for the image's own.
    pub command: Vec<String>,
    /// docker's `State.Pid`: the process id of the container's first process while it
    /// runs (0 when it does not).
    pub pid: u32,
    /// `--label key=value`.
    pub labels: Vec<(String, String)>,
    /// `--mac-address`: the MAC of the container's first endpoint.
    pub mac_address: Option<crate::wire::MacAddr>,
    /// When the container was created, and when it last started or stopped (`docker ps`'s
    /// `Up 2 seconds`, `Exited (0) 3 seconds ago`).
    pub created: SimTime,
    pub state_since: SimTime,
    /// `--rm`: the daemon removes the container once it stops.
    pub auto_remove: bool,
    /// `--restart always` or `unless-stopped`: the daemon starts the container again when
    /// it starts itself (after a daemon restart).
    pub restarts_with_daemon: bool,
    /// `--expose`: container ports (and protocols) exposed without a host port.
    pub exposed: Vec<(u16, String)>,
    /// What its name-resolution files and records are made from.
    pub naming: Naming,
}

/// The `docker run` settings a container's `/etc/hosts`, `/etc/resolv.conf`,
/// `/etc/hostname` and DNS records are made from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Naming {
    /// `--hostname`, when given and not empty (docker's default, also for an empty one, is
    /// the short id: moby `container.go` sets `Config.Hostname` to `id[:12]` when empty).
    pub hostname: Option<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    /// `--add-host name:ip`: (name, address as given).
    pub extra_hosts: Vec<(String, String)>,
    /// `--link target[:alias]`: (target, alias).
    pub links: Vec<(String, String)>,
    /// Whether the user gave its name (`--name`): docker ≤ v24 does not resolve a
    /// generated one.
    pub named: bool,
}

impl Naming {
    /// The settings `docker run` gave.
    pub fn from_run(args: &super::cli::RunArgs) -> Self {
        Naming {
            hostname: args.hostname.clone().filter(|h| !h.is_empty()),
            dns_search: args.dns_search.clone(),
            dns_options: args.dns_options.clone(),
            extra_hosts: args
                .add_hosts
                .iter()
                .filter_map(|h| h.split_once(':'))
                .map(|(n, ip)| (n.to_string(), ip.to_string()))
                .collect(),
            links: args.links.iter().map(|l| parse_link(l)).collect(),
            named: args.name.is_some(),
        }
    }
}

/// One published port as the docker CLI sends it (go-connections' `ParsePortSpecs` splits a
/// range of container ports into one binding each): the container port, and the host port
/// range the daemon may pick from (`HostPort`-`HostPortEnd`; one port when both are equal,
/// any when `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortBinding {
    /// `tcp`, `udp` or `sctp`, lower-cased as the CLI sends it.
    pub proto: String,
    pub host_ip: Option<String>,
    pub host: Option<(u16, u16)>,
    pub container: u16,
}

/// Docker's networks and containers on one host.
#[derive(Clone, Debug, Default)]
pub struct Store {
    pub networks: Vec<DockerNetwork>,
    pub containers: Vec<Container>,
    /// The last process id handed to a container (see `Store::start_process`).
    last_pid: u32,
    /// How many containers bear each name, so that `docker run` checks its name without a
    /// scan (kept by `add_container` and `remove_container`).
    names: FastMap<String, u32>,
}

/// Where the host's process ids for containers start: a fresh host has used the ones
/// below for its own daemons. Each start takes the next, as a kernel's pid counter does.
const FIRST_CONTAINER_PID: u32 = 2001;

impl Store {
    /// Adds a container; returns its index.
    pub fn add_container(&mut self, c: Container) -> usize {
        *self.names.entry(c.name.clone()).or_default() += 1;
        self.containers.push(c);
        self.containers.len() - 1
    }

    /// Removes container `ci` (the ones after it move down by one).
    pub fn remove_container(&mut self, ci: usize) -> Container {
        let c = self.containers.remove(ci);
        if let Some(n) = self.names.get_mut(&c.name) {
            *n -= 1;
            if *n == 0 {
                self.names.remove(&c.name);
            }
        }
        c
    }

    /// The container named exactly `name` (no id prefix), if any.
    pub fn container_named(&self, name: &str) -> Option<&Container> {
        let indexed = self.names.contains_key(name);
        debug_assert_eq!(
            indexed,
            self.containers.iter().any(|c| c.name == name),
            "the name index disagrees with the containers about {name:?}"
        );
        if !indexed {
            return None;
        }
        self.containers.iter().find(|c| c.name == name)
    }

    /// Container `ci` starts a process: it gets the host's next process id.
    pub fn start_process(&mut self, ci: usize) {
        self.last_pid = self.last_pid.max(FIRST_CONTAINER_PID - 1) + 1;
        self.containers[ci].pid = self.last_pid;
    }

    /// A network by name, full id or unique id prefix, as the CLI resolves it.
    pub fn find_network(&self, key: &str) -> Option<usize> {
        self.networks
            .iter()
            .position(|n| n.name == key)
            .or_else(|| self.networks.iter().position(|n| n.id == key))
            .or_else(|| {
                let matches: Vec<usize> = (0..self.networks.len())
                    .filter(|i| !key.is_empty() && self.networks[*i].id.starts_with(key))
                    .collect();
                (matches.len() == 1).then(|| matches[0])
            })
    }

    /// A container by name (with or without its leading `/`) or id prefix.
    pub fn find_container(&self, key: &str) -> Option<usize> {
        let key = key.trim_start_matches('/');
        self.containers
            .iter()
            .position(|c| c.name == key)
            .or_else(|| {
                self.containers
                    .iter()
                    .position(|c| !key.is_empty() && c.id.starts_with(key))
            })
    }

    pub fn container(&self, name: &str) -> Option<&Container> {
        self.find_container(name).map(|i| &self.containers[i])
    }

    pub fn network_by_id(&self, id: &str) -> Option<&DockerNetwork> {
        self.networks.iter().find(|n| n.id == id)
    }

    /// The running containers attached to network `net_id`, with their attachment and its
    /// endpoint.
    pub fn running_on<'a>(
        &'a self,
        net_id: &'a str,
    ) -> impl Iterator<Item = (&'a Container, &'a Attachment, &'a str)> + 'a {
        self.containers
            .iter()
            .filter(|c| c.state == ContainerState::Running)
            .flat_map(move |c| {
                c.attachments
                    .iter()
                    .filter(move |a| a.network_id == net_id)
                    .filter_map(move |a| Some((c, a, a.endpoint.as_deref()?)))
            })
    }

    /// The names a running container answers to on a network: its name, its short id and
    /// its aliases there.
    pub fn names_of(c: &Container, a: &Attachment) -> Vec<String> {
        let mut names = vec![c.name.clone(), c.short_id().to_string()];
        names.extend(a.aliases.iter().cloned());
        names
    }
}

#[cfg(test)]
mod short_id_tests {
    use super::short_id;

    #[test]
    fn a_short_id_is_the_first_twelve_characters_or_all_of_a_shorter_one() {
        let full = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(short_id(full), "0123456789ab");
        assert_eq!(short_id("0123456789ab"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
        assert_eq!(short_id(""), "");
        // Characters, not bytes: a multi-byte character is never cut.
        assert_eq!(short_id("ééééééééééééé"), "éééééééééééé");
    }
}
