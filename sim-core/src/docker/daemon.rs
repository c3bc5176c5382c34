//! The docker daemon of one Windows host: docker's view of networks and containers, the
//! checks the real daemon makes (with its words), and the calls it makes into HNS.
//!
//! It turns commands into HNS requests and compartments; it never forwards a packet.
//! Probes (`docker exec NAME ping …`) are returned to the caller to run.

use super::cli::{DockerCommand, NetworkCreate, RunArgs};
use super::driver_opts;
use super::exec::{self, ExecProbe};
use super::output;
use super::swarm::{self, Swarm};
use crate::control::hns::{
    EndpointRequest, Hns, HnsError, HostNodes, Isolation, NetworkRequest, NetworkType,
};
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
    /// `--network container:<name>`: the container whose compartment this one shares.
    pub net_from: Option<String>,
    /// Server 2016 overlay: the hidden `gateway_<id>` endpoint on nat.
    pub gateway_endpoint: Option<String>,
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
    /// The swarm store all hosts share.
    pub swarm: &'a mut Swarm,
}

impl HostCtx<'_> {
    /// The host's own address (its first NIC's): what `docker swarm init` advertises.
    fn host_addr(&self) -> Option<Ipv4Addr> {
        self.eng
            .device(self.nodes.stack)
            .and_then(Device::as_stack)?
            .primary_addr()
    }
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
        // Other local networks whose HNS network vanished (a reboot on 2019+) are deleted;
        // only nat networks come back (reference 2.6 and 10, "NAT persistence").
        self.networks.retain(|n| {
            n.driver == NAT_DRIVER
                || n.hns_id
                    .as_ref()
                    .is_none_or(|h| ctx.hns.network(h).is_some())
        });
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
            DockerCommand::SwarmInit { advertise_addr, .. } => {
                let addr = advertise_addr
                    .as_deref()
                    .and_then(|a| a.split(':').next())
                    .and_then(|a| a.parse().ok())
                    .or_else(|| ctx.host_addr());
                match addr {
                    Some(addr) => match ctx.swarm.init(&ctx.nodes.host, addr) {
                        Ok(out) => CommandOutput::ok(out),
                        Err(e) => CommandOutput::daemon_error(e),
                    },
                    None => CommandOutput::daemon_error(
                        "could not choose an IP address to advertise since this system has no interface with an address",
                    ),
                }
            }
            DockerCommand::SwarmJoin { token, remote, .. } => {
                match ctx.swarm.join(&ctx.nodes.host, token.as_deref(), &remote) {
                    Ok(out) => CommandOutput::ok(out),
                    Err(e) => CommandOutput::daemon_error(e),
                }
            }
        };
        self.refresh_dns(ctx);
        out
    }

    // ----- lookups -----

    /// The HNS id of a docker network (by name, id or unique id prefix), if HNS has it.
    pub fn hns_network_id(&self, key: &str) -> Option<&str> {
        self.find_network(key)
            .and_then(|i| self.networks[i].hns_id.as_deref())
    }

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
        // Windows has no bridge, host, macvlan or ipvlan driver: docker looks for a plugin.
        let ty = match driver.as_str() {
            "overlay" => return self.overlay_create(c, ctx),
            d => match NetworkType::from_driver(d) {
                Some(ty) => ty,
                None => {
                    return CommandOutput::daemon_error(format!(
                        "could not find plugin {d} in v1 plugin registry: plugin not found"
                    ))
                }
            },
        };
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
        let mut req = NetworkRequest::new(ty, &c.name);
        let nat_like = ty.winnat();
        if nat_like {
            for (k, v) in &c.options {
                if k != "com.docker.network.windowsshim.networkname" {
                    notes.push(format!(
                        "hnsim note: option {k}={v} has no effect on the {driver} driver"
                    ));
                }
            }
        } else {
            match driver_opts::apply(
                &c.options,
                &mut req,
                ctx.hns.version.outbound_nat_option_supported(),
            ) {
                Ok(p) => notes.extend(p.notes),
                Err(e) => return CommandOutput::daemon_error(e),
            }
        }
        if subnets.len() > 1 {
            notes.push(format!(
                "hnsim note: HNS uses the first --subnet of a {driver} network; the others are ignored"
            ));
        }
        let subnet = subnets.first().copied();
        req.subnet = subnet;
        req.gateway = gateway;
        let hns_id =
            match ctx
                .hns
                .create_network(ctx.eng, ctx.nodes, req, &self.config.host_prefixes)
            {
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

    /// `docker network create -d overlay`: a swarm-scoped network, created in the swarm
    /// store on a manager. Each node creates its HNS network when a container first joins.
    fn overlay_create(&mut self, c: NetworkCreate, ctx: &mut HostCtx) -> CommandOutput {
        if !ctx.swarm.is_manager(&ctx.nodes.host) {
            return CommandOutput::daemon_error(swarm::NOT_A_MANAGER);
        }
        if ctx.swarm.network(&c.name).is_some() {
            return CommandOutput::daemon_error(format!(
                "network with name {} already exists",
                c.name
            ));
        }
        let mut subnets = Vec::new();
        for s in &c.subnets {
            match s.parse::<Ipv4Network>() {
                Ok(n) => subnets.push(n),
                Err(_) => {
                    return CommandOutput::daemon_error(format!(
                        "invalid network config:\ninvalid subnet {s}: invalid CIDR block notation"
                    ))
                }
            }
        }
        let mut gateways = Vec::new();
        for g in &c.gateways {
            match g.parse::<Ipv4Addr>() {
                Ok(ip) if subnets.iter().any(|n| n.contains(ip)) => gateways.push(ip),
                _ => {
                    return CommandOutput {
                        error: Some(format!("no matching subnet for gateway {g}")),
                        ..Default::default()
                    }
                }
            }
        }
        let mut req = NetworkRequest::new(NetworkType::Overlay, &c.name);
        let parsed = match driver_opts::apply(&c.options, &mut req, true) {
            Ok(p) => p,
            Err(e) => return CommandOutput::daemon_error(e),
        };
        let mut notes = parsed.notes;
        if c.options.iter().any(|(k, _)| k == "encrypted") {
            notes.push("hnsim note: --opt encrypted is accepted and ignored by the Windows overlay driver; Windows nodes then cannot talk to Linux nodes that encrypt".into());
        }
        let id = match ctx.swarm.create_network(
            &c.name,
            &subnets,
            &gateways,
            &parsed.vnis,
            c.attachable,
            c.options.clone(),
        ) {
            Ok(id) => id,
            Err(e) => return CommandOutput::daemon_error(e),
        };
        self.add_overlay_record(&id, ctx);
        CommandOutput {
            stdout: format!("{id}\n"),
            notes,
            ..Default::default()
        }
    }

    /// Docker's local record of a swarm overlay network (the same id on every node).
    fn add_overlay_record(&mut self, id: &str, ctx: &HostCtx) -> Option<usize> {
        if let Some(i) = self.networks.iter().position(|n| n.id == id) {
            return Some(i);
        }
        let net = ctx.swarm.networks.iter().find(|n| n.id == id)?;
        self.networks.push(DockerNetwork {
            ipam: net
                .subnets
                .iter()
                .map(|s| (s.subnet.to_string(), s.gateway.to_string()))
                .collect(),
            options: net.options.clone(),
            attachable: net.attachable,
            ..DockerNetwork::new(id.to_string(), &net.name, "overlay", ctx.eng.now(), false)
        });
        self.networks.sort_by(|a, b| a.name.cmp(&b.name));
        self.networks.iter().position(|n| n.id == id)
    }

    /// A network by name or id, including swarm overlay networks this node has not seen yet.
    fn find_or_learn_network(&mut self, key: &str, ctx: &HostCtx) -> Option<usize> {
        if let Some(i) = self.find_network(key) {
            return Some(i);
        }
        ctx.swarm.node(&ctx.nodes.host)?;
        let id = ctx.swarm.network(key)?.id.clone();
        self.add_overlay_record(&id, ctx)
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
        let Some(ni) = self.find_or_learn_network(net, ctx) else {
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
        // `--network container:<name>`: share another container's compartment. Hyper-V
        // containers have a compartment of their own in their utility VM.
        let net_from = net_key.strip_prefix("container:").map(str::to_string);
        if net_from.is_some() {
            if isolation == Isolation::HyperV {
                return fail("invalid network-mode: using the network stack of another container is not supported while using Hyper-V Containers".into());
            }
            if !ports.is_empty() {
                return fail(
                    "conflicting options: port publishing and the container type network mode"
                        .into(),
                );
            }
        }
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
            net_from: net_from.clone(),
            gateway_endpoint: None,
            extra_tcp: Vec::new(),
            extra_udp: Vec::new(),
        };
        // On Windows networks are resolved when the container starts; `docker run` reports it then.
        let net = match net_from {
            Some(_) => None,
            None => self.find_or_learn_network(&net_key, ctx),
        };
        if let Some(n) = net.map(|i| &self.networks[i]) {
            if n.driver == "overlay" && !n.attachable {
                return fail(format!(
                    "Could not attach to network {net_key}: rpc error: code = PermissionDenied desc = network {net_key} not manually attachable"
                ));
            }
            if n.driver == "transparent" && !c.ports.is_empty() {
                notes.push("hnsim note: -p on a transparent network: Docker passes the port maps to HNS, but what HNS does with them is not documented, so hnsim maps nothing; the container is reached at its own address (docs/fidelity.md)".into());
            }
        }
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
        if net.is_none() && self.containers[ci].net_from.is_none() {
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

    /// The TCP and UDP ports a container listens on: its image's and those added later.
    fn services(&self, ci: usize, ctx: &HostCtx) -> (Vec<u16>, Vec<u16>) {
        let c = &self.containers[ci];
        let (mut tcp, mut udp) = ctx.images.get(&c.image).cloned().unwrap_or_default();
        tcp.extend(c.extra_tcp.iter().copied());
        udp.extend(c.extra_udp.iter().copied());
        (tcp, udp)
    }

    /// `--network container:<target>`: the container joins the target's compartment, and its
    /// services listen there too.
    fn join_compartment(
        &mut self,
        ci: usize,
        target: &str,
        ctx: &mut HostCtx,
    ) -> Result<(), String> {
        let ti = self
            .find_container(target)
            .ok_or_else(|| format!("No such container: {target}"))?;
        let t = &self.containers[ti];
        let Some(node) = t.compartment.filter(|_| t.state == ContainerState::Running) else {
            return Err(format!(
                "cannot join network of a non running container: {}",
                t.id
            ));
        };
        if t.isolation == Isolation::HyperV {
            return Err("sharing of hyperv containers network is not supported".into());
        }
        let (tcp, udp) = self.services(ci, ctx);
        if let Some(stack) = ctx.eng.device_mut(node).and_then(Device::as_stack_mut) {
            stack.config.services.tcp.extend(tcp);
            stack.config.services.udp_echo.extend(udp);
        }
        self.containers[ci].compartment = Some(node);
        self.containers[ci].state = ContainerState::Running;
        Ok(())
    }

    /// Creates the container's compartment and its endpoints.
    fn start_container(&mut self, ci: usize, ctx: &mut HostCtx) -> Result<(), String> {
        if let Some(target) = self.containers[ci].net_from.clone() {
            return self.join_compartment(ci, &target, ctx);
        }
        let c = &self.containers[ci];
        let (tcp, udp) = self.services(ci, ctx);
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
        if net.driver == "overlay" {
            return self.attach_overlay(ci, a, ctx);
        }
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
        if net.internal {
            // libnetwork does not hand an `--internal` network's endpoints any DNS servers.
            upstream.clear();
        }
        let mut ports = if a == 0 { c.ports.clone() } else { Vec::new() };
        let reserves =
            NetworkType::from_driver(&net.driver).is_some_and(NetworkType::docker_reserves_ports);
        if reserves {
            if let Err(e) = reserve_host_ports(&mut self.rng, &mut ports, ctx.hns) {
                return Err(format!(
                    "failed to create endpoint {} on network {}: {e}",
                    c.name, net.name
                ));
            }
        }
        let req = EndpointRequest {
            network_id: hns_id,
            name: c.name.clone(),
            ip: att.requested_ip,
            ports,
            dns: upstream,
            isolation: c.isolation,
            compartment: c
                .compartment
                .expect("a starting container has a compartment"),
            default_route: true,
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

    /// Joins a container to an overlay network: this node's HNS network is created on first
    /// use, the address comes from the swarm allocator, and on builds up to 16236 (Server
    /// 2016) libnetwork adds the `gateway_<id>` endpoint on `nat` for outbound traffic and
    /// published ports (reference 2.8).
    fn attach_overlay(&mut self, ci: usize, a: usize, ctx: &mut HostCtx) -> Result<(), String> {
        let net_id = self.containers[ci].attachments[a].network_id.clone();
        let ni = self
            .networks
            .iter()
            .position(|n| n.id == net_id)
            .ok_or_else(|| format!("network {net_id} not found"))?;
        let net_name = self.networks[ni].name.clone();
        // Every subnet of the swarm network, each with its gateway and VNI.
        let subnets: Vec<(Ipv4Network, Ipv4Addr, u32)> = ctx
            .swarm
            .networks
            .iter()
            .find(|n| n.id == net_id)
            .ok_or_else(|| format!("network {net_name} not found"))?
            .subnets
            .iter()
            .map(|s| (s.subnet, s.gateway, s.vni))
            .collect();
        let Some(&(subnet, gateway, vni)) = subnets.first() else {
            return Err("ipv4 pool is empty".into());
        };
        let live = self.networks[ni]
            .hns_id
            .as_deref()
            .is_some_and(|h| ctx.hns.network(h).is_some());
        if !live {
            let mut req = NetworkRequest::new(NetworkType::Overlay, &net_name);
            req.subnet = Some(subnet);
            req.gateway = Some(gateway);
            req.vni = Some(vni);
            req.more_subnets = subnets[1..].to_vec();
            let opts = self.networks[ni].options.clone();
            driver_opts::apply(&opts, &mut req, true)?;
            let hns_id = ctx
                .hns
                .create_network(ctx.eng, ctx.nodes, req, &self.config.host_prefixes)
                .map_err(|e| e.0)?;
            self.networks[ni].hns_id = Some(hns_id);
        }
        let hns_id = self.networks[ni].hns_id.clone().expect("just created");
        let requested = self.containers[ci].attachments[a].requested_ip;
        let ip = ctx.swarm.allocate(&net_id, requested)?;
        let vfp_nat = ctx.hns.version.overlay_uses_vfp_outbound_nat();
        let c = &self.containers[ci];
        let mut ports = if a == 0 && vfp_nat {
            c.ports.clone()
        } else {
            Vec::new()
        };
        reserve_host_ports(&mut self.rng, &mut ports, ctx.hns).map_err(|e| {
            format!(
                "failed to create endpoint {} on network {net_name}: {e}",
                c.name
            )
        })?;
        let compartment = c
            .compartment
            .expect("a starting container has a compartment");
        let req = EndpointRequest {
            network_id: hns_id,
            name: c.name.clone(),
            ip: Some(ip),
            ports,
            dns: c.dns.clone(),
            isolation: c.isolation,
            compartment,
            default_route: vfp_nat,
        };
        let name = c.name.clone();
        let ep = match ctx.hns.create_endpoint(ctx.eng, ctx.nodes, req) {
            Ok(ep) => ep,
            Err(e) => {
                ctx.swarm.release(&net_id, ip);
                return Err(format!(
                    "failed to create endpoint {name} on network {net_name}: {}",
                    e.0
                ));
            }
        };
        self.containers[ci].attachments[a].endpoint = Some(ep);
        if !vfp_nat {
            self.attach_gateway_endpoint(ci, ctx)?;
        }
        Ok(())
    }

    /// Server 2016: the second, hidden endpoint on `nat` that carries an overlay container's
    /// outbound traffic and published ports.
    fn attach_gateway_endpoint(&mut self, ci: usize, ctx: &mut HostCtx) -> Result<(), String> {
        let Some(nat) = self.networks.iter().find(|n| n.name == NAT_DRIVER) else {
            return Err("default gateway functionality is not implemented in windows".into());
        };
        let hns_id = nat
            .hns_id
            .clone()
            .ok_or("default gateway functionality is not implemented in windows")?;
        let c = &self.containers[ci];
        let name = format!("gateway_{}", &c.id[..12]);
        let req = EndpointRequest {
            network_id: hns_id,
            name: name.clone(),
            ip: None,
            ports: c.ports.clone(),
            dns: Vec::new(),
            isolation: c.isolation,
            compartment: c
                .compartment
                .expect("a starting container has a compartment"),
            default_route: true,
        };
        let ep = ctx
            .hns
            .create_endpoint(ctx.eng, ctx.nodes, req)
            .map_err(|e| format!("failed to create endpoint {name} on network nat: {}", e.0))?;
        self.containers[ci].gateway_endpoint = Some(ep);
        Ok(())
    }

    fn stop_container(&mut self, ci: usize, ctx: &mut HostCtx) {
        for a in &mut self.containers[ci].attachments {
            if let Some(ep) = a.endpoint.take() {
                if let Some(e) = ctx.hns.endpoints.iter().find(|e| e.id == ep) {
                    ctx.swarm.release(&a.network_id, e.ip);
                }
                ctx.hns.delete_endpoint(ctx.eng, ctx.nodes, &ep);
            }
        }
        if let Some(ep) = self.containers[ci].gateway_endpoint.take() {
            ctx.hns.delete_endpoint(ctx.eng, ctx.nodes, &ep);
        }
        if self.containers[ci].net_from.is_some() {
            // A guest in another container's compartment: it takes only its own services away.
            if let Some(node) = self.containers[ci].compartment.take() {
                let (tcp, udp) = self.services(ci, ctx);
                if let Some(stack) = ctx.eng.device_mut(node).and_then(Device::as_stack_mut) {
                    let s = &mut stack.config.services;
                    for p in tcp {
                        if let Some(i) = s.tcp.iter().rposition(|x| *x == p) {
                            s.tcp.remove(i);
                        }
                    }
                    for p in udp {
                        if let Some(i) = s.udp_echo.iter().rposition(|x| *x == p) {
                            s.udp_echo.remove(i);
                        }
                    }
                }
            }
        } else if let Some(node) = self.containers[ci].compartment.take() {
            ctx.eng.remove_node(node);
            // Containers that shared this compartment have no network any more.
            for c in &mut self.containers {
                if c.compartment == Some(node) {
                    c.compartment = None;
                }
            }
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
                let c = &self.containers[ci];
                if c.attachments.is_empty() && c.net_from.is_none() {
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
        let embedded = |d: &str| NetworkType::from_driver(d).is_some_and(NetworkType::internal_dns);
        for net in self.networks.iter().filter(|n| embedded(&n.driver)) {
            let Some(h) = net.hns_id.as_deref().and_then(|h| ctx.hns.network(h)) else {
                continue;
            };
            let mut records = Vec::new();
            for (c, a, ep) in running_endpoints(&self.containers, &net.id, ctx.hns) {
                records.push((c.name.clone(), ep.ip));
                records.push((c.id[..12].to_string(), ep.ip));
                records.extend(a.aliases.iter().map(|al| (al.clone(), ep.ip)));
            }
            let upstreams = if self.config.dns.is_empty() {
                self.config.host_dns.clone()
            } else {
                self.config.dns.clone()
            };
            // One resolver at each gateway (an overlay network has one per subnet).
            for bind in h.gateways() {
                resolvers.push(EmbeddedDns {
                    name: format!("docker embedded DNS ({})", net.name),
                    bind,
                    records: records.clone(),
                    upstreams: upstreams.clone(),
                });
            }
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

/// l2bridge, l2tunnel and overlay: docker reserves the host ports itself, picking one in
/// 60000-65000 when none is given (reference 2.5).
fn reserve_host_ports(
    rng: &mut SimRng,
    ports: &mut [(u8, Option<u16>, u16)],
    hns: &Hns,
) -> Result<(), String> {
    let mut taken: Vec<(u8, u16)> = hns
        .endpoints
        .iter()
        .filter(|e| {
            hns.network(&e.network_id)
                .is_some_and(|n| n.ty.docker_reserves_ports())
        })
        .flat_map(|e| e.port_mappings.iter().map(|m| (m.proto, m.host_port)))
        .collect();
    for (proto, host, _) in ports.iter_mut() {
        let port = match *host {
            Some(h) if taken.contains(&(*proto, h)) => {
                return Err(format!(
                    "Bind for 0.0.0.0:{h} failed: port is already allocated"
                ))
            }
            Some(h) => h,
            None => (0..10)
                .map(|_| 60000 + rng.below(5001) as u16)
                .find(|p| !taken.contains(&(*proto, *p)))
                .ok_or("Bind for 0.0.0.0:0 failed: port is already allocated")?,
        };
        taken.push((*proto, port));
        *host = Some(port);
    }
    Ok(())
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
