//! The docker daemon of one Windows host: docker's view of networks and containers, the
//! checks the real daemon makes (with its words), and the calls it makes into HNS.
//!
//! It turns commands into HNS requests and compartments; it never forwards a packet.
//! Probes (`docker exec NAME ping …`) are returned to the caller to run.

use super::cli::{DockerCommand, NetworkCreate, RunArgs};
use super::exec::{self, ExecProbe};
use super::output;
use crate::control::hns::{EndpointRequest, Hns, HnsError, HostNodes, Isolation};
use crate::control::ids;
use crate::device::stack::{EmbeddedDns, IpStack, StackConfig};
use crate::device::Device;
use crate::engine::Engine;
use crate::id::NodeId;
use crate::rng::SimRng;
use crate::time::SimTime;
use crate::topology::{NodeInfo, NodeKind};
use crate::wire;
use ipnetwork::Ipv4Network;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Services an image listens on: (tcp ports, udp ports).
pub type Images = BTreeMap<String, (Vec<u16>, Vec<u16>)>;

/// daemon.json settings that matter here.
#[derive(Clone, Debug, Default)]
pub struct DaemonConfig {
    pub fixed_cidr: Option<Ipv4Network>,
    pub bridge_none: bool,
    pub dns: Vec<Ipv4Addr>,
    /// The host's own DNS servers (HNS hands them to the embedded resolver as upstreams).
    pub host_dns: Vec<Ipv4Addr>,
    /// Prefixes already used on the host (its NICs), which HNS avoids when picking one.
    pub host_prefixes: Vec<Ipv4Network>,
}

#[derive(Clone, Debug)]
pub struct DockerNetwork {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub hns_id: Option<String>,
    /// (subnet, gateway) as docker records them after HNS answered.
    pub ipam: Vec<(String, String)>,
    /// What the user asked for, kept to recreate the network after a reboot.
    pub requested_subnet: Option<Ipv4Network>,
    pub requested_gateway: Option<Ipv4Addr>,
    pub options: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub internal: bool,
    pub attachable: bool,
    pub created: SimTime,
    /// `nat` (the default network) and `none` cannot be removed.
    pub predefined: bool,
}

impl DockerNetwork {
    /// A network docker just created: no HNS answer, options or labels yet.
    fn new(id: String, name: &str, driver: &str, created: SimTime, predefined: bool) -> Self {
        DockerNetwork {
            id,
            name: name.into(),
            driver: driver.into(),
            hns_id: None,
            ipam: Vec::new(),
            requested_subnet: None,
            requested_gateway: None,
            options: Vec::new(),
            labels: Vec::new(),
            internal: false,
            attachable: false,
            created,
            predefined,
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
    pub network_id: String,
    pub requested_ip: Option<Ipv4Addr>,
    pub aliases: Vec<String>,
    pub endpoint: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub image: String,
    pub state: ContainerState,
    pub attachments: Vec<Attachment>,
    pub ports: Vec<(u8, Option<u16>, u16)>,
    pub port_specs: Vec<String>,
    pub dns: Vec<Ipv4Addr>,
    pub isolation: Isolation,
    pub compartment: Option<NodeId>,
    pub extra_tcp: Vec<u16>,
    pub extra_udp: Vec<u16>,
}

/// What a command printed, and any probe it asks to run.
#[derive(Clone, Debug, Default)]
pub struct CommandOutput {
    pub stdout: String,
    /// Set when the command failed: exactly what docker prints on stderr.
    pub error: Option<String>,
    /// hnsim's own remarks, e.g. an option that has no effect on Windows.
    pub notes: Vec<String>,
    pub probe: Option<ExecProbe>,
}

impl CommandOutput {
    fn ok(stdout: impl Into<String>) -> Self {
        CommandOutput {
            stdout: stdout.into(),
            ..Default::default()
        }
    }
    fn daemon_error(msg: impl AsRef<str>) -> Self {
        CommandOutput {
            error: Some(format!("Error response from daemon: {}", msg.as_ref())),
            ..Default::default()
        }
    }
    fn run_error(msg: impl AsRef<str>) -> Self {
        CommandOutput {
            error: Some(format!(
                "docker: Error response from daemon: {}\n\nRun 'docker run --help' for more information",
                msg.as_ref()
            )),
            ..Default::default()
        }
    }
}

pub struct Daemon {
    pub config: DaemonConfig,
    pub networks: Vec<DockerNetwork>,
    pub containers: Vec<Container>,
    rng: SimRng,
}

/// Everything the daemon works with on its host.
pub struct HostCtx<'a> {
    pub eng: &'a mut Engine,
    pub hns: &'a mut Hns,
    pub nodes: &'a HostNodes,
    pub images: &'a Images,
}

const NAT_DRIVER: &str = "nat";
const WINDOWS_ONLY_NOTE: &str =
    "(Microsoft: \"Unsupported features and network options\", Windows container networking docs)";

impl Daemon {
    pub fn new(config: DaemonConfig, rng: SimRng) -> Self {
        Daemon {
            config,
            networks: Vec::new(),
            containers: Vec::new(),
            rng,
        }
    }

    /// The daemon starts: it creates `none` and, unless `"bridge": "none"`, the default `nat`
    /// network. Returns the error that would stop dockerd, if any.
    pub fn start(&mut self, ctx: &mut HostCtx) -> Result<(), String> {
        if !self.networks.iter().any(|n| n.name == "none") {
            let id = ids::docker_id(&mut self.rng);
            self.networks
                .push(DockerNetwork::new(id, "none", "null", ctx.eng.now(), true));
        }
        // Custom nat networks whose HNS network vanished (a reboot on 2019+) are recreated
        // with the same name, id and options; the default one gets a new id (reference 2.6).
        let missing: Vec<usize> = (0..self.networks.len())
            .filter(|i| {
                let n = &self.networks[*i];
                n.driver == NAT_DRIVER
                    && n.hns_id
                        .as_ref()
                        .is_none_or(|h| ctx.hns.network(h).is_none())
            })
            .collect();
        for i in missing.into_iter().rev() {
            if self.networks[i].predefined {
                self.networks.remove(i);
            } else {
                let (name, subnet, gw) = {
                    let n = &self.networks[i];
                    (n.name.clone(), n.requested_subnet, n.requested_gateway)
                };
                match ctx.hns.create_nat_network(
                    ctx.eng,
                    ctx.nodes,
                    &name,
                    subnet,
                    gw,
                    &self.config.host_prefixes,
                ) {
                    Ok(hns_id) => self.adopt_hns_answer(i, hns_id, ctx),
                    Err(_) => {
                        self.networks.remove(i);
                    }
                }
            }
        }
        if !self.config.bridge_none && !self.networks.iter().any(|n| n.name == NAT_DRIVER) {
            let hns_id = ctx
                .hns
                .create_nat_network(
                    ctx.eng,
                    ctx.nodes,
                    NAT_DRIVER,
                    self.config.fixed_cidr,
                    None,
                    &self.config.host_prefixes,
                )
                .map_err(|e| format!("error creating default network: {}", e.0))?;
            let id = ids::docker_id(&mut self.rng);
            self.networks.push(DockerNetwork {
                requested_subnet: self.config.fixed_cidr,
                ..DockerNetwork::new(id, NAT_DRIVER, NAT_DRIVER, ctx.eng.now(), true)
            });
            let i = self.networks.len() - 1;
            self.adopt_hns_answer(i, hns_id, ctx);
        }
        self.networks.sort_by(|a, b| a.name.cmp(&b.name));
        self.refresh_dns(ctx);
        Ok(())
    }

    /// Docker overwrites its IPAM record with what HNS chose (moby commit f366d37c72).
    fn adopt_hns_answer(&mut self, i: usize, hns_id: String, ctx: &HostCtx) {
        let net = &mut self.networks[i];
        if let Some(h) = ctx.hns.network(&hns_id) {
            net.ipam = vec![(h.pool.subnet.to_string(), h.pool.gateway.to_string())];
        }
        net.options
            .retain(|(k, _)| !k.starts_with("com.docker.network.windowsshim.hns"));
        net.options.push((
            "com.docker.network.windowsshim.hnsid".into(),
            hns_id.clone(),
        ));
        net.hns_id = Some(hns_id);
    }

    /// A host reboot: containers stop, HNS loses what the OS version does not keep, and the
    /// daemon starts again.
    pub fn reboot(&mut self, ctx: &mut HostCtx) -> Result<(), String> {
        for i in 0..self.containers.len() {
            if self.containers[i].state == ContainerState::Running {
                self.stop_container(i, ctx);
            }
        }
        ctx.hns.reboot(ctx.eng, ctx.nodes);
        self.start(ctx)
    }

    pub fn execute(&mut self, cmd: DockerCommand, ctx: &mut HostCtx) -> CommandOutput {
        let out = match cmd {
            DockerCommand::NetworkCreate(c) => self.network_create(c, ctx),
            DockerCommand::NetworkLs { quiet, .. } => {
                CommandOutput::ok(output::network_ls(&self.networks, quiet))
            }
            DockerCommand::NetworkInspect { networks, .. } => self.network_inspect(&networks, ctx),
            DockerCommand::NetworkRm { networks, force } => self.network_rm(&networks, force, ctx),
            DockerCommand::NetworkConnect {
                network,
                container,
                ip,
                aliases,
            } => self.network_connect(&network, &container, ip, aliases, ctx),
            DockerCommand::NetworkDisconnect {
                network, container, ..
            } => self.network_disconnect(&network, &container, ctx),
            DockerCommand::Run(args) => self.run(args, true, ctx),
            DockerCommand::Create(args) => self.run(args, false, ctx),
            DockerCommand::Start { containers } => self.start_containers(&containers, ctx),
            DockerCommand::Stop { containers } => self.stop_containers(&containers, ctx),
            DockerCommand::Rm { containers, force } => self.rm(&containers, force, ctx),
            DockerCommand::Exec {
                container, argv, ..
            } => self.exec(&container, &argv),
            DockerCommand::Ps { all, quiet } => {
                CommandOutput::ok(output::ps(&self.containers, all, quiet))
            }
            DockerCommand::Inspect { objects, .. } => self.inspect(&objects, ctx),
            DockerCommand::SwarmInit { .. } | DockerCommand::SwarmJoin { .. } => CommandOutput {
                error: Some(
                    "hnsim: swarm mode (and the overlay driver) is not modelled yet".into(),
                ),
                ..Default::default()
            },
        };
        self.refresh_dns(ctx);
        out
    }

    // ----- lookups -----

    fn find_network(&self, key: &str) -> Option<usize> {
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

    fn find_container(&self, key: &str) -> Option<usize> {
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

    // ----- networks -----

    fn network_create(&mut self, c: NetworkCreate, ctx: &mut HostCtx) -> CommandOutput {
        let driver = c.driver.clone().unwrap_or_else(|| NAT_DRIVER.into());
        // Windows' predefined networks (moby PredefinedNetworkError; note the trailing space).
        if ["nat", "none", "default"].contains(&c.name.as_str()) {
            return CommandOutput::daemon_error(format!(
                "operation is not permitted on predefined {} network ",
                c.name
            ));
        }
        if self.networks.iter().any(|n| n.name == c.name) {
            return CommandOutput::daemon_error(format!(
                "network with name {} already exists",
                c.name
            ));
        }
        match driver.as_str() {
            NAT_DRIVER => {}
            "transparent" | "l2bridge" | "l2tunnel" | "overlay" | "ics" | "internal" | "private" => {
                return CommandOutput {
                    error: Some(format!(
                        "hnsim: the {driver} driver exists on Windows but is not modelled yet; only nat is"
                    )),
                    ..Default::default()
                }
            }
            "null" | "host" | "bridge" | "macvlan" | "ipvlan" => {
                return CommandOutput::daemon_error(format!(
                    "could not find plugin {driver} in v1 plugin registry: plugin not found"
                ))
            }
            other => {
                return CommandOutput::daemon_error(format!(
                    "could not find plugin {other} in v1 plugin registry: plugin not found"
                ))
            }
        }
        if c.ipv6 == Some(true) || !c.ip_ranges.is_empty() {
            return CommandOutput::daemon_error(
                "this request is not supported by the 'windows' ipam driver",
            );
        }
        if c.ipv4 == Some(false) {
            return CommandOutput::daemon_error("IPv4 cannot be disabled on Windows");
        }
        let mut subnets = Vec::new();
        let mut problems = Vec::new();
        for s in &c.subnets {
            match s.parse::<Ipv4Network>() {
                Ok(n) => subnets.push(n),
                Err(_) if s.contains(':') => {
                    return CommandOutput::daemon_error(
                        "windowsshim driver doesn't support v6 subnets",
                    );
                }
                Err(_) => problems.push(format!("invalid subnet {s}: invalid CIDR block notation")),
            }
        }
        if !problems.is_empty() {
            return CommandOutput::daemon_error(format!(
                "invalid network config:\n{}",
                problems.join("\n")
            ));
        }
        let mut gateway = None;
        if let Some(g) = c.gateways.first() {
            match (g.parse::<Ipv4Addr>(), subnets.first()) {
                (Ok(ip), Some(net)) if net.contains(ip) => gateway = Some(ip),
                _ => {
                    return CommandOutput {
                        error: Some(format!("no matching subnet for gateway {g}")),
                        ..Default::default()
                    }
                }
            }
        }
        let mut notes = Vec::new();
        if c.internal {
            notes.push(format!(
                "hnsim note: --internal is accepted but has no effect on Windows: no Windows driver reads it; containers keep outside access {WINDOWS_ONLY_NOTE}"
            ));
        }
        for (k, v) in &c.aux_addresses {
            if let (Ok(ip), Some(net)) = (v.parse::<Ipv4Addr>(), subnets.first()) {
                if !net.contains(ip) {
                    return CommandOutput::daemon_error(format!(
                        "auxiliary address: ({k}:{v}) must belong to the master pool: {net}"
                    ));
                }
            }
            notes.push(format!(
                "hnsim note: --aux-address {k}={v} is accepted but has no effect on Windows: it never reaches HNS {WINDOWS_ONLY_NOTE}"
            ));
        }
        if let Some(d) = &c.ipam_driver {
            notes.push(format!("hnsim note: --ipam-driver {d} is unsupported on Windows; the 'windows' IPAM (HNS) is used"));
        }
        for (k, v) in &c.options {
            if k != "com.docker.network.windowsshim.networkname" {
                notes.push(format!(
                    "hnsim note: option {k}={v} has no effect on the nat driver"
                ));
            }
        }
        if subnets.len() > 1 {
            notes.push(
                "hnsim note: HNS uses the first --subnet of a nat network; the others are ignored"
                    .into(),
            );
        }
        let subnet = subnets.first().copied();
        let hns_id = match ctx.hns.create_nat_network(
            ctx.eng,
            ctx.nodes,
            &c.name,
            subnet,
            gateway,
            &self.config.host_prefixes,
        ) {
            Ok(id) => id,
            Err(HnsError(e)) => return CommandOutput::daemon_error(e),
        };
        let id = ids::docker_id(&mut self.rng);
        self.networks.push(DockerNetwork {
            requested_subnet: subnet,
            requested_gateway: gateway,
            options: c.options.clone(),
            labels: c.labels.clone(),
            internal: c.internal,
            attachable: c.attachable,
            ..DockerNetwork::new(id.clone(), &c.name, &driver, ctx.eng.now(), false)
        });
        let i = self.networks.len() - 1;
        self.adopt_hns_answer(i, hns_id, ctx);
        self.networks.sort_by(|a, b| a.name.cmp(&b.name));
        CommandOutput {
            stdout: format!("{id}\n"),
            notes,
            ..Default::default()
        }
    }

    fn network_inspect(&self, keys: &[String], ctx: &HostCtx) -> CommandOutput {
        let mut found = Vec::new();
        for k in keys {
            match self.find_network(k) {
                Some(i) => found.push(output::network_json(
                    &self.networks[i],
                    &self.containers,
                    ctx.hns,
                )),
                None => {
                    return CommandOutput {
                        stdout: "[]\n".into(),
                        error: Some(format!("Error response from daemon: network {k} not found")),
                        ..Default::default()
                    }
                }
            }
        }
        CommandOutput::ok(output::json_array(found))
    }

    fn network_rm(&mut self, keys: &[String], force: bool, ctx: &mut HostCtx) -> CommandOutput {
        let mut stdout = String::new();
        for k in keys {
            let Some(i) = self.find_network(k) else {
                if force {
                    continue;
                }
                return CommandOutput {
                    stdout,
                    ..CommandOutput::daemon_error(format!("network {k} not found"))
                };
            };
            let net = &self.networks[i];
            if net.predefined {
                return CommandOutput {
                    stdout,
                    ..CommandOutput::daemon_error(format!(
                        "{} is a pre-defined network and cannot be removed",
                        net.name
                    ))
                };
            }
            let users: Vec<String> = self
                .containers
                .iter()
                .filter(|c| {
                    c.state == ContainerState::Running
                        && c.attachments
                            .iter()
                            .any(|a| a.network_id == net.id && a.endpoint.is_some())
                })
                .map(|c| format!("name:{:?} id:{:?}", c.name, &c.id[..12]))
                .collect();
            if !users.is_empty() {
                return CommandOutput {
                    stdout,
                    ..CommandOutput::daemon_error(format!(
                        "error while removing network: network {} has active endpoints ({})",
                        net.name,
                        users.join(", ")
                    ))
                };
            }
            let net = self.networks.remove(i);
            if let Some(h) = &net.hns_id {
                ctx.hns.delete_network(ctx.eng, ctx.nodes, h);
            }
            for c in &mut self.containers {
                c.attachments.retain(|a| a.network_id != net.id);
            }
            stdout.push_str(k);
            stdout.push('\n');
        }
        CommandOutput::ok(stdout)
    }

    fn network_connect(
        &mut self,
        net: &str,
        ctr: &str,
        ip: Option<String>,
        aliases: Vec<String>,
        ctx: &mut HostCtx,
    ) -> CommandOutput {
        let Some(ni) = self.find_network(net) else {
            return CommandOutput::daemon_error(format!("network {net} not found"));
        };
        let Some(ci) = self.find_container(ctr) else {
            return CommandOutput::daemon_error(format!("No such container: {ctr}"));
        };
        let net_id = self.networks[ni].id.clone();
        if self.containers[ci]
            .attachments
            .iter()
            .any(|a| a.network_id == net_id)
        {
            if self.containers[ci].state != ContainerState::Running {
                return CommandOutput::ok("");
            }
            return CommandOutput::daemon_error(format!(
                "endpoint with name {} already exists in network {}",
                self.containers[ci].name, self.networks[ni].name
            ));
        }
        let requested_ip = match ip.as_deref().map(str::parse::<Ipv4Addr>) {
            None => None,
            Some(Ok(ip)) => Some(ip),
            Some(Err(_)) => {
                return CommandOutput::daemon_error(format!(
                    "invalid IP address: {}",
                    ip.unwrap_or_default()
                ))
            }
        };
        self.containers[ci].attachments.push(Attachment {
            network_id: net_id,
            requested_ip,
            aliases,
            endpoint: None,
        });
        if self.containers[ci].state == ContainerState::Running {
            let a = self.containers[ci].attachments.len() - 1;
            if let Err(e) = self.attach(ci, a, ctx) {
                self.containers[ci].attachments.pop();
                return CommandOutput::daemon_error(e);
            }
        }
        CommandOutput::ok("")
    }

    fn network_disconnect(&mut self, net: &str, ctr: &str, ctx: &mut HostCtx) -> CommandOutput {
        let Some(ni) = self.find_network(net) else {
            return CommandOutput::daemon_error(format!("network {net} not found"));
        };
        let Some(ci) = self.find_container(ctr) else {
            return CommandOutput::daemon_error(format!("No such container: {ctr}"));
        };
        let net_id = self.networks[ni].id.clone();
        let Some(a) = self.containers[ci]
            .attachments
            .iter()
            .position(|a| a.network_id == net_id)
        else {
            return CommandOutput::daemon_error(format!(
                "container {} is not connected to network {}",
                self.containers[ci].id, self.networks[ni].name
            ));
        };
        let att = self.containers[ci].attachments.remove(a);
        if let Some(ep) = att.endpoint {
            ctx.hns.delete_endpoint(ctx.eng, ctx.nodes, &ep);
        }
        CommandOutput::ok("")
    }

    // ----- containers -----

    fn run(&mut self, args: RunArgs, start: bool, ctx: &mut HostCtx) -> CommandOutput {
        let fail = |msg: String| {
            if start {
                CommandOutput::run_error(msg)
            } else {
                CommandOutput::daemon_error(msg)
            }
        };
        let name = match &args.name {
            Some(n) => n.clone(),
            None => generated_name(&mut self.rng),
        };
        if let Some(existing) = self
            .find_container(&name)
            .filter(|i| self.containers[*i].name == name)
        {
            return fail(format!(
                "Conflict. The container name \"/{name}\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.",
                self.containers[existing].id
            ));
        }
        let mut ports = Vec::new();
        for p in &args.publish {
            if p.protocol != "tcp" && p.protocol != "udp" {
                return fail(format!("invalid protocol {}", p.protocol));
            }
            if p.host_ip
                .as_deref()
                .is_some_and(|ip| ip != "0.0.0.0" && ip != "::" && !ip.is_empty())
            {
                return fail("Windows does not support host IP addresses in NAT settings".into());
            }
            if p.host_port.is_some_and(|(a, b)| a != b) || p.container_port.0 != p.container_port.1
            {
                return fail(
                    "Windows does not support more than one host port in NAT settings".into(),
                );
            }
            let proto = if p.protocol == "udp" {
                wire::IPPROTO_UDP
            } else {
                wire::IPPROTO_TCP
            };
            ports.push((proto, p.host_port.map(|h| h.0), p.container_port.0));
        }
        let isolation = match args.isolation.as_deref() {
            None | Some("default") | Some("process") => Isolation::Process,
            Some("hyperv") => Isolation::HyperV,
            Some(other) => return fail(format!("Invalid isolation: {other:?} - windows daemon supports 'default', 'process', or 'hyperv'")),
        };
        let mut dns = Vec::new();
        for d in &args.dns {
            match d.parse::<Ipv4Addr>() {
                Ok(ip) => dns.push(ip),
                Err(_) => return fail(format!("{d} is not an ip address")),
            }
        }
        let net_key = args.network.clone().unwrap_or_else(|| NAT_DRIVER.into());
        if net_key == "host" {
            return fail("network host not found".into());
        }
        let mut notes = Vec::new();
        if !args.dns_options.is_empty() {
            notes.push(format!("hnsim note: --dns-option is unsupported on Windows and has no effect {WINDOWS_ONLY_NOTE}"));
        }
        if args.ip6.is_some() {
            notes.push(format!(
                "hnsim note: --ip6 is unsupported on Windows and has no effect {WINDOWS_ONLY_NOTE}"
            ));
        }
        if !args.links.is_empty() {
            notes.push("hnsim note: --link is not supported on Windows and has no effect".into());
        }
        let requested_ip = match args.ip.as_deref().map(str::parse::<Ipv4Addr>) {
            None => None,
            Some(Ok(ip)) => Some(ip),
            Some(Err(_)) => {
                return fail(format!(
                    "invalid IP address: {}",
                    args.ip.clone().unwrap_or_default()
                ))
            }
        };
        let id = ids::docker_id(&mut self.rng);
        let mut c = Container {
            id: id.clone(),
            name: name.clone(),
            image: args.image.clone(),
            state: ContainerState::Created,
            attachments: Vec::new(),
            ports,
            port_specs: args.publish.iter().map(|p| p.raw.clone()).collect(),
            dns,
            isolation,
            compartment: None,
            extra_tcp: Vec::new(),
            extra_udp: Vec::new(),
        };
        // On Windows networks are resolved when the container starts; `docker run` reports it then.
        let net = self.find_network(&net_key);
        if let Some(ni) = net {
            c.attachments.push(Attachment {
                network_id: self.networks[ni].id.clone(),
                requested_ip,
                aliases: args.network_aliases.clone(),
                endpoint: None,
            });
        }
        self.containers.push(c);
        let ci = self.containers.len() - 1;
        if !start {
            return CommandOutput {
                stdout: format!("{id}\n"),
                notes,
                ..Default::default()
            };
        }
        if net.is_none() {
            return CommandOutput {
                notes,
                ..CommandOutput {
                    error: Some(format!(
                        "docker: Error response from daemon: network {net_key} not found"
                    )),
                    ..Default::default()
                }
            };
        }
        if let Err(e) = self.start_container(ci, ctx) {
            return CommandOutput { notes, ..fail(e) };
        }
        let stdout = if args.detach {
            format!("{id}\n")
        } else {
            String::new()
        };
        CommandOutput {
            stdout,
            notes,
            ..Default::default()
        }
    }

    /// Creates the container's compartment and its endpoints.
    fn start_container(&mut self, ci: usize, ctx: &mut HostCtx) -> Result<(), String> {
        let c = &self.containers[ci];
        let (mut tcp, mut udp) = ctx.images.get(&c.image).cloned().unwrap_or_default();
        tcp.extend(c.extra_tcp.iter().copied());
        udp.extend(c.extra_udp.iter().copied());
        let name = format!("{}/{}", ctx.nodes.host, c.name);
        let mut cfg = StackConfig::new(name.clone(), 128);
        cfg.services.icmp_echo = true;
        cfg.services.tcp = tcp;
        cfg.services.udp_echo = udp;
        let node = ctx.eng.add_node(
            NodeInfo {
                name,
                kind: NodeKind::Container,
                host: Some(ctx.nodes.host.clone()),
            },
            Device::Stack(Box::new(IpStack::new(cfg))),
        );
        self.containers[ci].compartment = Some(node);
        for a in 0..self.containers[ci].attachments.len() {
            if let Err(e) = self.attach(ci, a, ctx) {
                self.stop_container(ci, ctx);
                return Err(e);
            }
        }
        self.containers[ci].state = ContainerState::Running;
        Ok(())
    }

    fn attach(&mut self, ci: usize, a: usize, ctx: &mut HostCtx) -> Result<(), String> {
        let c = &self.containers[ci];
        let att = &c.attachments[a];
        let Some(net) = self.networks.iter().find(|n| n.id == att.network_id) else {
            return Err(format!("network {} not found", att.network_id));
        };
        let Some(hns_id) = net.hns_id.clone() else {
            // `none`: the compartment has no network adapter.
            return Ok(());
        };
        if let (Some(ip), Some(h)) = (att.requested_ip, ctx.hns.network(&hns_id)) {
            if !h.pool.subnet.contains(ip) {
                return Err(format!(
                    "invalid config for network {}: invalid endpoint settings:\nno configured subnet contains IP address {ip}",
                    net.name
                ));
            }
        }
        let mut upstream = c.dns.clone();
        if upstream.is_empty() {
            upstream = self.config.dns.clone();
        }
        let req = EndpointRequest {
            network_id: hns_id,
            name: c.name.clone(),
            ip: att.requested_ip,
            ports: if a == 0 { c.ports.clone() } else { Vec::new() },
            dns: upstream,
            isolation: c.isolation,
            compartment: c
                .compartment
                .expect("a starting container has a compartment"),
        };
        let net_name = net.name.clone();
        let ep = ctx
            .hns
            .create_endpoint(ctx.eng, ctx.nodes, req)
            .map_err(|e| {
                format!(
                    "failed to create endpoint {} on network {net_name}: {}",
                    c.name, e.0
                )
            })?;
        self.containers[ci].attachments[a].endpoint = Some(ep);
        Ok(())
    }

    fn stop_container(&mut self, ci: usize, ctx: &mut HostCtx) {
        for a in &mut self.containers[ci].attachments {
            if let Some(ep) = a.endpoint.take() {
                ctx.hns.delete_endpoint(ctx.eng, ctx.nodes, &ep);
            }
        }
        if let Some(node) = self.containers[ci].compartment.take() {
            ctx.eng.remove_node(node);
        }
        self.containers[ci].state = ContainerState::Exited;
    }

    fn start_containers(&mut self, keys: &[String], ctx: &mut HostCtx) -> CommandOutput {
        let mut stdout = String::new();
        for k in keys {
            let Some(ci) = self.find_container(k) else {
                return CommandOutput {
                    stdout,
                    ..CommandOutput::daemon_error(format!("No such container: {k}"))
                };
            };
            if self.containers[ci].state != ContainerState::Running {
                if self.containers[ci].attachments.is_empty() {
                    return CommandOutput {
                        stdout,
                        ..CommandOutput::daemon_error(format!("network {NAT_DRIVER} not found"))
                    };
                }
                if let Err(e) = self.start_container(ci, ctx) {
                    return CommandOutput {
                        stdout,
                        ..CommandOutput::daemon_error(e)
                    };
                }
            }
            stdout.push_str(k);
            stdout.push('\n');
        }
        CommandOutput::ok(stdout)
    }

    fn stop_containers(&mut self, keys: &[String], ctx: &mut HostCtx) -> CommandOutput {
        let mut stdout = String::new();
        for k in keys {
            let Some(ci) = self.find_container(k) else {
                return CommandOutput {
                    stdout,
                    ..CommandOutput::daemon_error(format!("No such container: {k}"))
                };
            };
            if self.containers[ci].state == ContainerState::Running {
                self.stop_container(ci, ctx);
            }
            stdout.push_str(k);
            stdout.push('\n');
        }
        CommandOutput::ok(stdout)
    }

    fn rm(&mut self, keys: &[String], force: bool, ctx: &mut HostCtx) -> CommandOutput {
        let mut stdout = String::new();
        for k in keys {
            let Some(ci) = self.find_container(k) else {
                return CommandOutput {
                    stdout,
                    ..CommandOutput::daemon_error(format!("No such container: {k}"))
                };
            };
            if self.containers[ci].state == ContainerState::Running {
                if !force {
                    return CommandOutput {
                        stdout,
                        ..CommandOutput::daemon_error(format!(
                            "cannot remove container \"/{}\": container is running: stop the container before removing or force remove",
                            self.containers[ci].name
                        ))
                    };
                }
                self.stop_container(ci, ctx);
            }
            self.containers.remove(ci);
            stdout.push_str(k);
            stdout.push('\n');
        }
        CommandOutput::ok(stdout)
    }

    fn exec(&self, key: &str, argv: &[String]) -> CommandOutput {
        let Some(ci) = self.find_container(key) else {
            return CommandOutput::daemon_error(format!("No such container: {key}"));
        };
        let c = &self.containers[ci];
        if c.state != ContainerState::Running {
            return CommandOutput::daemon_error(format!("container {} is not running", c.id));
        }
        match exec::parse_probe(argv) {
            Ok(p) => CommandOutput {
                probe: Some(p),
                ..Default::default()
            },
            Err(e) => CommandOutput {
                error: Some(e),
                ..Default::default()
            },
        }
    }

    fn inspect(&self, keys: &[String], ctx: &HostCtx) -> CommandOutput {
        let mut found = Vec::new();
        for k in keys {
            if let Some(ci) = self.find_container(k) {
                found.push(output::container_json(
                    &self.containers[ci],
                    &self.networks,
                    ctx.hns,
                ));
            } else if let Some(ni) = self.find_network(k) {
                found.push(output::network_json(
                    &self.networks[ni],
                    &self.containers,
                    ctx.hns,
                ));
            } else {
                return CommandOutput {
                    stdout: "[]\n".into(),
                    error: Some(format!("Error: No such object: {k}")),
                    ..Default::default()
                };
            }
        }
        CommandOutput::ok(output::json_array(found))
    }

    /// Adds services to a running container (a scenario's `Listen` step).
    pub fn listen(
        &mut self,
        key: &str,
        tcp: &[u16],
        udp: &[u16],
        ctx: &mut HostCtx,
    ) -> Result<(), String> {
        let ci = self
            .find_container(key)
            .ok_or_else(|| format!("No such container: {key}"))?;
        let c = &mut self.containers[ci];
        c.extra_tcp.extend_from_slice(tcp);
        c.extra_udp.extend_from_slice(udp);
        if let Some(stack) = c
            .compartment
            .and_then(|n| ctx.eng.device_mut(n))
            .and_then(Device::as_stack_mut)
        {
            stack.config.services.tcp.extend_from_slice(tcp);
            stack.config.services.udp_echo.extend_from_slice(udp);
        }
        Ok(())
    }

    /// Rewrites the embedded resolvers on the host: one per nat network, at its gateway,
    /// answering the names and aliases of the running containers on that network.
    fn refresh_dns(&self, ctx: &mut HostCtx) {
        let mut resolvers = Vec::new();
        for net in self.networks.iter().filter(|n| n.driver == NAT_DRIVER) {
            let Some(h) = net.hns_id.as_deref().and_then(|h| ctx.hns.network(h)) else {
                continue;
            };
            let mut records = Vec::new();
            for (c, a, ep) in running_endpoints(&self.containers, &net.id, ctx.hns) {
                records.push((c.name.clone(), ep.ip));
                records.push((c.id[..12].to_string(), ep.ip));
                records.extend(a.aliases.iter().map(|al| (al.clone(), ep.ip)));
            }
            resolvers.push(EmbeddedDns {
                name: format!("docker embedded DNS ({})", net.name),
                bind: h.pool.gateway,
                records,
                upstreams: if self.config.dns.is_empty() {
                    self.config.host_dns.clone()
                } else {
                    self.config.dns.clone()
                },
            });
        }
        if let Some(stack) = ctx
            .eng
            .device_mut(ctx.nodes.stack)
            .and_then(Device::as_stack_mut)
        {
            stack.config.services.embedded_dns = resolvers;
        }
    }
}

/// The running containers attached to network `net_id`, with their attachment and HNS endpoint.
pub fn running_endpoints<'a>(
    containers: &'a [Container],
    net_id: &'a str,
    hns: &'a Hns,
) -> impl Iterator<
    Item = (
        &'a Container,
        &'a Attachment,
        &'a crate::control::hns::HnsEndpoint,
    ),
> + 'a {
    containers
        .iter()
        .filter(|c| c.state == ContainerState::Running)
        .flat_map(move |c| {
            c.attachments
                .iter()
                .filter(move |a| a.network_id == net_id)
                .map(move |a| (c, a))
        })
        .filter_map(move |(c, a)| {
            let ep = a
                .endpoint
                .as_deref()
                .and_then(|e| hns.endpoints.iter().find(|x| x.id == e))?;
            Some((c, a, ep))
        })
}

/// Docker's generated names are `adjective_surname`; a short fixed list is enough here.
fn generated_name(rng: &mut SimRng) -> String {
    const LEFT: [&str; 8] = [
        "admiring", "brave", "clever", "eager", "focused", "gifted", "happy", "keen",
    ];
    const RIGHT: [&str; 8] = [
        "hopper", "lovelace", "turing", "babbage", "curie", "noether", "ritchie", "thompson",
    ];
    format!(
        "{}_{}",
        LEFT[rng.below(8) as usize],
        RIGHT[rng.below(8) as usize]
    )
}
