//! The docker daemon of one host, whatever its operating system: the commands' semantics over
//! docker's store (names, ids, lifecycles, the checks every daemon makes, in its words), with
//! what the host's control plane decides delegated to its backend (`backend`).
//!
//! It turns commands into records and backend calls; it never forwards a packet. Probes
//! (`docker exec NAME ping …`) are returned to the caller to run.

use super::backend::{EngineRelease, OsBackend, Refusal};
use super::cli::{CliRelease, DockerCommand, NetworkCreate, RunArgs};
use super::errdefs::ErrorKind;
use super::exec;
use super::exec::ExecProbe;
use super::output;
use super::store::{
    parse_link, Attachment, Container, ContainerState, DockerNetwork, Isolation, Naming, Store,
};
use super::swarm::{self, Swarm};
use crate::control::{ids, HostNodes};
use crate::device::Device;
use crate::engine::Engine;
use crate::rng::SimRng;
use ipnetwork::Ipv4Network;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Services an image listens on: (tcp ports, udp ports).
pub type Images = BTreeMap<String, (Vec<u16>, Vec<u16>)>;

/// A network the daemon created: its id, and hnsim's remarks.
#[derive(Clone, Debug)]
pub struct CreatedNetwork {
    pub id: String,
    pub notes: Vec<String>,
}

/// What a command printed, and any probe it asks to run.
#[derive(Clone, Debug, Default)]
pub struct CommandOutput {
    pub stdout: String,
    /// Set when the command failed: exactly what docker prints on stderr.
    pub error: Option<String>,
    /// hnsim's own remarks, e.g. an option that has no effect on Windows.
    pub notes: Vec<String>,
    /// What the CLI printed on stderr as `WARNING: …` while the command went on.
    pub warnings: Vec<String>,
    pub probe: Option<ExecProbe>,
    /// The CLI's exit status when it is not the usual one (0 on success, 1 on an error):
    /// 125 when `docker run` itself failed, the shell's 2 for a quoting error, ...
    pub exit_code: Option<i32>,
    /// The errdefs kind of the daemon's error (the Engine API's status); the CLI prints
    /// only the message. `System` (untyped) for an error the daemon did not answer.
    pub error_kind: ErrorKind,
}

impl CommandOutput {
    pub fn ok(stdout: impl Into<String>) -> Self {
        CommandOutput {
            stdout: stdout.into(),
            ..Default::default()
        }
    }
    /// An error the CLI prints as it came (no "Error response from daemon" in front).
    pub fn plain_error(msg: impl Into<String>) -> Self {
        CommandOutput {
            error: Some(msg.into()),
            ..Default::default()
        }
    }
    /// The daemon's message as the client shows it: the client trims the message
    /// (`strings.TrimSpace` in its `checkResponseErr`) and puts its prefix in front. `kind`
    /// is the errdefs type moby gives the error.
    pub fn daemon_error(kind: ErrorKind, msg: impl AsRef<str>) -> Self {
        CommandOutput {
            error_kind: kind,
            ..Self::plain_error(daemon_message(msg.as_ref()))
        }
    }
    /// A failed `docker run`/`docker create` as the 20.10 CLI reports it (`reportError`):
    /// `docker: ` and the daemon's message ending with one period, then, when the container
    /// was never created, `See 'docker run --help'.`; status 125.
    pub fn run_refused_v20_10(cmd: &str, msg: &str, with_help: bool) -> Self {
        let msg = daemon_message(msg);
        let msg = msg.strip_suffix('.').unwrap_or(&msg);
        let help = if with_help {
            format!("\nSee 'docker {cmd} --help'.")
        } else {
            String::new()
        };
        CommandOutput {
            exit_code: Some(125),
            ..Self::plain_error(format!("docker: {msg}.{help}"))
        }
    }
    pub fn run_error(msg: impl AsRef<str>) -> Self {
        CommandOutput {
            exit_code: Some(125),
            ..Self::plain_error(format!(
                "docker: {}\n\nRun 'docker run --help' for more information",
                daemon_message(msg.as_ref())
            ))
        }
    }
}

pub struct Daemon {
    pub store: Store,
    pub backend: Box<dyn OsBackend>,
    /// docker's own draws: ids, generated names, host ports it picks.
    rng: SimRng,
    /// Something outside a command (a swarm network removed through another node) changed
    /// the store: the next command rebuilds the embedded DNS in full, as it always did.
    dns_stale: bool,
}

/// What a daemon restart did to the containers.
#[derive(Clone, Debug, Default)]
pub struct DaemonRestart {
    /// Containers that were running and stopped with the daemon.
    pub stopped: Vec<String>,
    /// Those started again by their restart policy.
    pub restarted: Vec<String>,
    /// Those whose restart failed, with why.
    pub failed: Vec<String>,
    /// Why the daemon did not come back, if it did not.
    pub error: Option<String>,
}

/// Everything the daemon works with on its host.
pub struct HostCtx<'a> {
    pub eng: &'a mut Engine,
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

impl Daemon {
    pub fn new(backend: Box<dyn OsBackend>, rng: SimRng) -> Self {
        Daemon {
            store: Store::default(),
            backend,
            rng,
            dns_stale: false,
        }
    }

    /// The daemon starts: the backend sets up the predefined networks. Returns the error
    /// that would stop dockerd, if any.
    pub fn start(&mut self, ctx: &mut HostCtx) -> Result<(), String> {
        self.backend.start(&mut self.store, &mut self.rng, ctx)?;
        self.store.networks.sort_by(|a, b| a.name.cmp(&b.name));
        self.backend.refresh_dns(&self.store, ctx);
        Ok(())
    }

    /// A host reboot: containers stop, the control plane loses what the OS does not keep,
    /// and the daemon starts again.
    pub fn reboot(&mut self, ctx: &mut HostCtx) -> Result<(), String> {
        for i in 0..self.store.containers.len() {
            if self.store.containers[i].state == ContainerState::Running {
                self.stop_container(i, ctx);
            }
        }
        self.backend.reboot(ctx);
        self.start(ctx)
    }

    /// dockerd restarts (the service, not the host). Without live-restore (off by default,
    /// and not supported on Windows) stopping the daemon stops every running container; the
    /// networks are kept (in docker's store, and the OS still has them); starting it again
    /// starts the containers whose restart policy is `always` or `unless-stopped` (moby
    /// `daemon.restore`, docs "Start containers automatically", "Live restore").
    pub fn restart(&mut self, ctx: &mut HostCtx) -> DaemonRestart {
        let mut out = DaemonRestart::default();
        let mut again = Vec::new();
        for i in 0..self.store.containers.len() {
            if self.store.containers[i].state == ContainerState::Running {
                self.stop_container(i, ctx);
                let c = &self.store.containers[i];
                out.stopped.push(c.name.clone());
                if c.restarts_with_daemon {
                    again.push(c.id.clone());
                }
            }
        }
        if let Err(e) = self.start(ctx) {
            out.error = Some(e);
            return out;
        }
        for id in again {
            let Some(ci) = self.store.find_container(&id) else {
                continue;
            };
            let name = self.store.containers[ci].name.clone();
            match self.start_container(ci, ctx) {
                Ok(()) => out.restarted.push(name),
                Err(e) => out.failed.push(format!("{name}: {}", daemon_message(&e))),
            }
        }
        self.backend.refresh_dns(&self.store, ctx);
        out
    }

    pub fn execute(&mut self, cmd: DockerCommand, ctx: &mut HostCtx) -> CommandOutput {
        let creates = matches!(cmd, DockerCommand::Run(_) | DockerCommand::Create(_));
        let containers_before = self.store.containers.len();
        let out = match cmd {
            DockerCommand::NetworkCreate(c) => self.network_create(c, ctx),
            DockerCommand::NetworkLs {
                quiet,
                filters,
                no_trunc,
                format,
            } => output::network_ls_filtered(
                &self.store.networks,
                quiet,
                &filters,
                format.as_deref(),
                no_trunc,
            ),
            DockerCommand::NetworkInspect { networks, format } => {
                self.network_inspect(&networks, format.as_deref())
            }
            DockerCommand::NetworkRm { networks, force } => self.network_rm(&networks, force, ctx),
            DockerCommand::NetworkPrune { force, filters } => {
                self.network_prune(force, &filters, ctx)
            }
            DockerCommand::NetworkConnect {
                network,
                container,
                ip,
                aliases,
                links,
            } => self.network_connect(&network, &container, ip, aliases, links, ctx),
            DockerCommand::NetworkDisconnect {
                network, container, ..
            } => self.network_disconnect(&network, &container, ctx),
            DockerCommand::Run(args) => self.run(args, true, ctx),
            DockerCommand::Create(args) => self.run(args, false, ctx),
            DockerCommand::Start { containers } => self.start_containers(&containers, ctx),
            DockerCommand::Stop { containers } => self.stop_containers(&containers, ctx),
            DockerCommand::Restart { containers } => self.restart_containers(&containers, ctx),
            DockerCommand::Rm { containers, force } => self.rm(&containers, force, ctx),
            DockerCommand::Exec {
                container, argv, ..
            } => self.exec(&container, &argv),
            DockerCommand::Ps {
                all,
                quiet,
                filters,
                format,
            } => output::ps_filtered(
                &self.store,
                self.backend.as_ref(),
                output::PsOptions {
                    all,
                    quiet,
                    filters: &filters,
                    format: format.as_deref(),
                    now: ctx.eng.now(),
                },
            ),
            DockerCommand::Port { container, port } => self.port(&container, port.as_deref()),
            DockerCommand::Inspect { objects, format } => self.inspect(&objects, format.as_deref()),
            DockerCommand::SwarmInit { advertise_addr, .. } => {
                let addr = advertise_addr
                    .as_deref()
                    .and_then(|a| a.split(':').next())
                    .and_then(|a| a.parse().ok())
                    .or_else(|| ctx.host_addr());
                match addr {
                    Some(addr) => match ctx.swarm.init(&ctx.nodes.host, addr) {
                        Ok(out) => {
                            self.learn_ingress(ctx);
                            CommandOutput::ok(out)
                        }
                        Err(refusal) => refusal.into(),
                    },
                    // `listen_addr.go`'s `configError`: InvalidParameter.
                    None => CommandOutput::daemon_error(
                        ErrorKind::InvalidParameter,
                        "could not choose an IP address to advertise since this system has no interface with an address",
                    ),
                }
            }
            DockerCommand::SwarmJoin { token, remote, .. } => {
                match ctx.swarm.join(&ctx.nodes.host, token.as_deref(), &remote) {
                    Ok(out) => {
                        self.learn_ingress(ctx);
                        CommandOutput::ok(out)
                    }
                    Err(refusal) => refusal.into(),
                }
            }
            DockerCommand::SwarmLeave { force } => self.swarm_leave(force, ctx),
        };
        if creates && !self.dns_stale && self.store.containers.len() == containers_before + 1 {
            // `docker run`/`create` changed nothing else: only the new container's names.
            self.backend
                .dns_container_added(&self.store, containers_before, ctx);
        } else {
            self.backend.refresh_dns(&self.store, ctx);
        }
        self.dns_stale = false;
        out
    }

    // ----- lookups -----

    /// The backend's id of a docker network (by name, id or unique id prefix), if it has one.
    pub fn backend_network_id(&self, key: &str) -> Option<&str> {
        self.store
            .find_network(key)
            .and_then(|i| self.store.networks[i].backend_id.as_deref())
    }

    pub fn container(&self, name: &str) -> Option<&Container> {
        self.store.container(name)
    }

    // ----- networks -----

    fn network_create(&mut self, c: NetworkCreate, ctx: &mut HostCtx) -> CommandOutput {
        if let Err(refusal) = self.network_create_checks(&c, true) {
            return refusal.into();
        }
        if c.driver.as_deref() == Some("overlay") {
            return self.overlay_create(c, ctx);
        }
        match self.create_local_network(c, ctx) {
            Ok(created) => CommandOutput {
                stdout: format!("{}\n", created.id),
                notes: created.notes,
                ..Default::default()
            },
            Err(refusal) => refusal.into(),
        }
    }

    /// The daemon's checks of a network's name before any driver sees the request, in its
    /// order; the raw message (the Engine API's, before the CLI trims it). Without
    /// `check_duplicate` (the API's `CheckDuplicate: false`; the CLI always sets it) a name
    /// in use is no refusal: up to v24 the network is created with a warning, returned here.
    pub fn network_create_checks(
        &self,
        c: &NetworkCreate,
        check_duplicate: bool,
    ) -> Result<Option<String>, Refusal> {
        // moby's PredefinedNetworkError (note the trailing space).
        if self
            .backend
            .predefined_networks()
            .contains(&c.name.as_str())
        {
            // `PredefinedNetworkError` is `Forbidden`.
            return Err(Refusal::Daemon(
                ErrorKind::Forbidden,
                format!(
                    "operation is not permitted on predefined {} network ",
                    c.name
                ),
            ));
        }
        if c.name.is_empty() && check_duplicate {
            // 20.10's duplicate check finds every network by the empty prefix
            // (contradiction #9); libnetwork refuses the name itself later.
            return Err(match self.backend.cli_release() {
                // The router's `nameConflict`: `errdefs.Conflict`.
                CliRelease::V20_10 => Refusal::Daemon(
                    ErrorKind::Conflict,
                    "network with name  already exists".into(),
                ),
                // libnetwork's `types.InvalidParameterErrorf`.
                CliRelease::Current => Refusal::Daemon(
                    ErrorKind::InvalidParameter,
                    "invalid name: name is empty".into(),
                ),
            });
        }
        if let Some(other) = self.store.networks.iter().find(|n| n.name == c.name) {
            if check_duplicate || self.backend.cli_release() == CliRelease::Current {
                // The router's `nameConflict`: `errdefs.Conflict`.
                return Err(Refusal::Daemon(
                    ErrorKind::Conflict,
                    format!("network with name {} already exists", c.name),
                ));
            }
            return Ok(Some(format!(
                "Network with name {} (id : {}) already exists",
                c.name, other.id
            )));
        }
        Ok(None)
    }

    /// Creates a local-scope network through the backend and records it: the step after
    /// `network_create_checks`, shared by the CLI and the Engine API.
    pub fn create_local_network(
        &mut self,
        c: NetworkCreate,
        ctx: &mut HostCtx,
    ) -> Result<CreatedNetwork, Refusal> {
        let created = self.backend.create_network(&c, &mut self.rng, ctx)?;
        let driver = c
            .driver
            .clone()
            .unwrap_or_else(|| self.backend.default_driver().into());
        let id = match created.id.clone() {
            Some(id) => id,
            None => ids::docker_id(&mut self.rng),
        };
        let mut record = DockerNetwork {
            requested_subnet: created.requested_subnet,
            requested_gateway: created.requested_gateway,
            options: c.options.clone(),
            labels: c.labels.clone(),
            internal: c.internal,
            attachable: c.attachable,
            ..DockerNetwork::new(id.clone(), &c.name, &driver, ctx.eng.now(), false)
        };
        self.backend.adopt(&mut record, created.backend_id);
        self.store.networks.push(record);
        self.store.networks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(CreatedNetwork {
            id,
            notes: created.notes,
        })
    }

    /// `docker network create -d overlay`: a swarm-scoped network, created in the swarm
    /// store on a manager. Each node builds its own network when a container first joins.
    fn overlay_create(&mut self, c: NetworkCreate, ctx: &mut HostCtx) -> CommandOutput {
        if !ctx.swarm.is_manager(&ctx.nodes.host) {
            // Before moby commit 21dcbada2d (24.0.x) the daemon left a swarm worker's request
            // to libnetwork, which refused it in its own words.
            let worker = ctx.swarm.node(&ctx.nodes.host).is_some();
            if worker && self.backend.engine() == EngineRelease::Ee17_06 {
                // libnetwork's `types.ForbiddenErrorf` (17.06 `controller.go`).
                return CommandOutput::daemon_error(
                    ErrorKind::Forbidden,
                    swarm::WORKER_CANNOT_CREATE,
                );
            }
            // `errdefs.Forbidden` in the daemon's `createNetwork`.
            return CommandOutput::daemon_error(ErrorKind::Forbidden, swarm::NOT_A_MANAGER);
        }
        if ctx.swarm.network(&c.name).is_some() {
            // The router's `nameConflict` for a name the cluster has.
            return CommandOutput::daemon_error(
                ErrorKind::Conflict,
                format!("network with name {} already exists", c.name),
            );
        }
        let mut subnets = Vec::new();
        for s in &c.subnets {
            match s.parse::<Ipv4Network>() {
                Ok(n) => subnets.push(n),
                Err(_) => {
                    // `ValidateIPAM`'s error, made `errdefs.InvalidParameter`.
                    return CommandOutput::daemon_error(
                        ErrorKind::InvalidParameter,
                        format!(
                            "invalid network config:\ninvalid subnet {s}: invalid CIDR block notation"
                        ),
                    );
                }
            }
        }
        let mut gateways = Vec::new();
        for g in &c.gateways {
            match g.parse::<Ipv4Addr>() {
                Ok(ip) if subnets.iter().any(|n| n.contains(ip)) => gateways.push(ip),
                _ => {
                    return CommandOutput::plain_error(format!(
                        "no matching subnet for gateway {g}"
                    ))
                }
            }
        }
        let (vnis, mut notes) = match self.backend.overlay_options(&c) {
            Ok(parsed) => parsed,
            Err(refusal) => return refusal.into(),
        };
        let id = match ctx.swarm.create_network(
            &c.name,
            &subnets,
            &gateways,
            &vnis,
            c.attachable,
            c.options.clone(),
        ) {
            Ok(id) => id,
            // Only exhausted pools or VNIs fail here: swarmkit's allocator, untyped.
            Err(e) => return CommandOutput::daemon_error(ErrorKind::System, e),
        };
        if let Some(why) = ctx
            .swarm
            .network(&id)
            .and_then(|n| n.allocation_error.as_ref())
        {
            notes.push(format!(
                "hnsim note: the swarm manager stored {} but its allocator could not allocate it ({why}); a container that joins it waits 20 s and fails (docs/fidelity.md)",
                c.name
            ));
        }
        self.add_overlay_record(&id, ctx);
        CommandOutput {
            stdout: format!("{id}\n"),
            notes,
            ..Default::default()
        }
    }

    /// Docker's local record of a swarm overlay network (the same id on every node).
    fn add_overlay_record(&mut self, id: &str, ctx: &HostCtx) -> Option<usize> {
        if let Some(i) = self.store.networks.iter().position(|n| n.id == id) {
            return Some(i);
        }
        let net = ctx.swarm.networks.iter().find(|n| n.id == id)?;
        self.store.networks.push(DockerNetwork {
            ipam: net
                .subnets
                .iter()
                .map(|s| (s.subnet.to_string(), s.gateway.to_string()))
                .collect(),
            options: net.options.clone(),
            attachable: net.attachable,
            ingress: net.ingress,
            ..DockerNetwork::new(id.to_string(), &net.name, "overlay", ctx.eng.now(), false)
        });
        self.store.networks.sort_by(|a, b| a.name.cmp(&b.name));
        self.store.networks.iter().position(|n| n.id == id)
    }

    /// A network by name or id, including swarm overlay networks this node has not seen yet.
    fn find_or_learn_network(&mut self, key: &str, ctx: &HostCtx) -> Option<usize> {
        if let Some(i) = self.store.find_network(key) {
            return Some(i);
        }
        ctx.swarm.node(&ctx.nodes.host)?;
        let id = ctx.swarm.network(key)?.id.clone();
        self.add_overlay_record(&id, ctx)
    }

    /// A node that joins a swarm sees its `ingress` network.
    fn learn_ingress(&mut self, ctx: &HostCtx) {
        if let Some(id) = ctx
            .swarm
            .networks
            .iter()
            .find(|n| n.ingress)
            .map(|n| n.id.clone())
        {
            self.add_overlay_record(&id, ctx);
        }
    }

    /// `docker swarm leave`: the node's swarm networks go (moby's `DaemonLeavesCluster`
    /// disconnects the running containers from them, and the overlay driver deletes what it
    /// built on this node).
    fn swarm_leave(&mut self, force: bool, ctx: &mut HostCtx) -> CommandOutput {
        if let Err(refusal) = ctx.swarm.leave(&ctx.nodes.host, force) {
            return refusal.into();
        }
        let overlays: Vec<DockerNetwork> = self
            .store
            .networks
            .iter()
            .filter(|n| n.driver == "overlay")
            .cloned()
            .collect();
        for net in overlays {
            for ci in 0..self.store.containers.len() {
                let c = &mut self.store.containers[ci];
                if c.state != ContainerState::Running {
                    continue;
                }
                if let Some(a) = c.attachments.iter().position(|a| a.network_id == net.id) {
                    let att = c.attachments.remove(a);
                    if let Some(ep) = att.endpoint {
                        self.backend.detach(Some(&net.id), &ep, ctx);
                    }
                }
            }
            if let Some(b) = &net.backend_id {
                self.backend.delete_network(b, ctx);
            }
            self.store.networks.retain(|n| n.id != net.id);
        }
        CommandOutput::ok("Node left the swarm.\n")
    }

    fn network_inspect(&self, keys: &[String], format: Option<&str>) -> CommandOutput {
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for k in keys {
            match self.store.find_network(k) {
                Some(i) => found.push(output::network_json(
                    &self.store.networks[i],
                    &self.store,
                    self.backend.as_ref(),
                )),
                None if self.backend.cli_release() == CliRelease::V20_10 => {
                    errors.push(format!("Error: No such network: {k}"))
                }
                None => errors.push(daemon_message(&format!("network {k} not found"))),
            }
        }
        output::inspect(found, errors, format)
    }

    /// `docker network rm`. The 20.10 CLI tries every network, printing each error (a 404
    /// as `Error: No such network: <name>`) and ends with status 1 if any failed.
    fn network_rm(&mut self, keys: &[String], force: bool, ctx: &mut HostCtx) -> CommandOutput {
        let release = self.backend.cli_release();
        let mut stdout = String::new();
        let mut errors: Vec<String> = Vec::new();
        // The kind of the first error the 20.10 CLI collected.
        let mut first_kind = None;
        for k in keys {
            let Some(i) = self.store.find_network(k) else {
                if force {
                    continue;
                }
                // The router's `findUniqueNetwork`: `errdefs.NotFound`.
                if release == CliRelease::V20_10 {
                    errors.push(format!("Error: No such network: {k}"));
                    first_kind.get_or_insert(ErrorKind::NotFound);
                    continue;
                }
                return CommandOutput {
                    stdout,
                    ..CommandOutput::daemon_error(
                        ErrorKind::NotFound,
                        format!("network {k} not found"),
                    )
                };
            };
            let net = &self.store.networks[i];
            if net.predefined {
                let msg = format!(
                    "{} is a pre-defined network and cannot be removed",
                    net.name
                );
                // The daemon's `deleteNetwork`: `errdefs.Forbidden`.
                if release == CliRelease::V20_10 {
                    errors.push(daemon_message(&msg));
                    first_kind.get_or_insert(ErrorKind::Forbidden);
                    continue;
                }
                return CommandOutput {
                    stdout,
                    ..CommandOutput::daemon_error(ErrorKind::Forbidden, msg)
                };
            }
            let users: Vec<(&str, &str)> = self
                .store
                .running_on(&net.id)
                .map(|(c, _, _)| (c.name.as_str(), c.id.as_str()))
                .collect();
            if !users.is_empty() {
                let msg = self.backend.active_endpoints(net, &users);
                // libnetwork's `ActiveEndpointsError` is `Forbidden`.
                if release == CliRelease::V20_10 {
                    errors.push(daemon_message(&msg));
                    first_kind.get_or_insert(ErrorKind::Forbidden);
                    continue;
                }
                return CommandOutput {
                    stdout,
                    ..CommandOutput::daemon_error(ErrorKind::Forbidden, msg)
                };
            }
            if net.driver == "overlay" && ctx.swarm.network(&net.id).is_some() {
                // A swarm network goes from the whole swarm, through a manager.
                if let Err(refusal) = ctx.swarm.remove_network(&ctx.nodes.host, &net.id) {
                    return CommandOutput {
                        stdout,
                        ..refusal.into()
                    };
                }
            }
            self.delete_network_at(i, ctx);
            stdout.push_str(k);
            stdout.push('\n');
        }
        if errors.is_empty() {
            return CommandOutput::ok(stdout);
        }
        CommandOutput {
            stdout,
            error_kind: first_kind.unwrap_or_default(),
            ..CommandOutput::plain_error(errors.join("\n"))
        }
    }

    /// Deletes network `i` of the store, once `network rm` or `network prune` decided it
    /// may go: its record, and what the backend built for it. Stopped containers keep their
    /// settings for the network: starting one fails, naming the network's id (docker keeps
    /// `NetworkSettings.Networks`).
    fn delete_network_at(&mut self, i: usize, ctx: &mut HostCtx) {
        let net = self.store.networks.remove(i);
        if let Some(b) = &net.backend_id {
            self.backend.delete_network(b, ctx);
        }
    }

    /// `docker network prune`: every user network no running container is on goes (the
    /// CLI prints their names, then an empty line). Without `-f` the CLI asks first, and
    /// its stdin answers no.
    fn network_prune(
        &mut self,
        force: bool,
        filters: &[String],
        ctx: &mut HostCtx,
    ) -> CommandOutput {
        const WARNING: &str = "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ";
        if !force {
            return CommandOutput::ok(WARNING);
        }
        let mut unused: Vec<String> = self
            .store
            .networks
            .iter()
            .filter(|n| !n.predefined && n.driver != "overlay")
            .filter(|n| self.store.running_on(&n.id).next().is_none())
            .filter(|n| output::network_passes(n, filters))
            .map(|n| n.name.clone())
            .collect();
        unused.sort();
        for name in &unused {
            if let Some(i) = self.store.networks.iter().position(|n| &n.name == name) {
                self.delete_network_at(i, ctx);
            }
        }
        let mut stdout = String::new();
        if !unused.is_empty() {
            stdout.push_str("Deleted Networks:\n");
            for name in &unused {
                stdout.push_str(name);
                stdout.push('\n');
            }
        }
        stdout.push('\n');
        CommandOutput::ok(stdout)
    }

    /// Forgets swarm networks the swarm no longer has (removed through another node), with
    /// this node's own network for each.
    pub fn forget_removed_swarm_networks(&mut self, ctx: &mut HostCtx) {
        let gone: Vec<usize> = (0..self.store.networks.len())
            .filter(|i| {
                let n = &self.store.networks[*i];
                n.driver == "overlay" && ctx.swarm.network(&n.id).is_none()
            })
            .collect();
        for i in gone.into_iter().rev() {
            self.dns_stale = true;
            let net = self.store.networks.remove(i);
            if let Some(b) = &net.backend_id {
                self.backend.delete_network(b, ctx);
            }
        }
    }

    fn network_connect(
        &mut self,
        net: &str,
        ctr: &str,
        ip: Option<String>,
        aliases: Vec<String>,
        links: Vec<String>,
        ctx: &mut HostCtx,
    ) -> CommandOutput {
        let Some(ni) = self.find_or_learn_network(net, ctx) else {
            return network_not_found(net);
        };
        let Some(ci) = self.store.find_container(ctr) else {
            return container_not_found(ctr);
        };
        let net_id = self.store.networks[ni].id.clone();
        let c = &self.store.containers[ci];
        if c.state == ContainerState::Running {
            if let Some(refusal) = self.backend.hot_plug_refusal() {
                // A plain `fmt.Errorf` (17.05's `container_operations.go`).
                return CommandOutput::daemon_error(ErrorKind::System, refusal);
            }
        }
        if c.attachments.iter().any(|a| a.network_id == net_id) {
            if c.state != ContainerState::Running {
                return CommandOutput::ok("");
            }
            // libnetwork's `types.ForbiddenErrorf` (`network.go`, `CreateEndpoint`).
            return CommandOutput::daemon_error(
                ErrorKind::Forbidden,
                format!(
                    "endpoint with name {} already exists in network {}",
                    c.name, self.store.networks[ni].name
                ),
            );
        }
        if let Err(e) = self.backend.check_connect(
            &self.store,
            c,
            &self.store.networks[ni],
            ip.is_some(),
            !aliases.is_empty(),
        ) {
            // runconfig's `validationError`s and `invalid endpoint settings`.
            return CommandOutput::daemon_error(ErrorKind::InvalidParameter, e);
        }
        let requested_ip = match parse_requested_ip(ip.as_deref()) {
            Ok(ip) => ip,
            // hnsim's own check of a malformed address (no recorded source): the request's
            // fault, so an invalid parameter.
            Err(e) => return CommandOutput::daemon_error(ErrorKind::InvalidParameter, e),
        };
        self.store.containers[ci].attachments.push(Attachment {
            network_name: self.store.networks[ni].name.clone(),
            network_id: net_id,
            requested_ip,
            aliases,
            links: links.iter().map(|l| parse_link(l)).collect(),
            endpoint: None,
            failed_endpoint: None,
        });
        if self.store.containers[ci].state == ContainerState::Running {
            let a = self.store.containers[ci].attachments.len() - 1;
            if let Err(e) = self
                .backend
                .attach(&mut self.store, ci, a, &mut self.rng, ctx)
            {
                self.store.containers[ci].attachments.pop();
                // The endpoint's errors (libnetwork's, HNS's) reach hnsim as words only;
                // most are untyped in moby, so all are taken as untyped.
                return CommandOutput::daemon_error(ErrorKind::System, e);
            }
        }
        CommandOutput::ok("")
    }

    fn network_disconnect(&mut self, net: &str, ctr: &str, ctx: &mut HostCtx) -> CommandOutput {
        let Some(ni) = self.store.find_network(net) else {
            return network_not_found(net);
        };
        let Some(ci) = self.store.find_container(ctr) else {
            return container_not_found(ctr);
        };
        let net_id = self.store.networks[ni].id.clone();
        if self.store.containers[ci].state == ContainerState::Running {
            if let Some(refusal) = self.backend.hot_plug_refusal() {
                // A plain `fmt.Errorf` (17.05's `container_operations.go`).
                return CommandOutput::daemon_error(ErrorKind::System, refusal);
            }
        }
        if let Err(e) = self
            .backend
            .check_disconnect(&self.store.containers[ci], &self.store.networks[ni])
        {
            // runconfig's `ErrConflictHostNetwork` family: `validationError`.
            return CommandOutput::daemon_error(ErrorKind::InvalidParameter, e);
        }
        let Some(a) = self.store.containers[ci]
            .attachments
            .iter()
            .position(|a| a.network_id == net_id)
        else {
            // moby words it differently for a running container and a stopped one.
            let the = if self.store.containers[ci].state == ContainerState::Running {
                ""
            } else {
                "the "
            };
            // A plain `fmt.Errorf` in the daemon: untyped.
            return CommandOutput::daemon_error(
                ErrorKind::System,
                format!(
                    "container {} is not connected to {the}network {}",
                    self.store.containers[ci].id, self.store.networks[ni].name
                ),
            );
        };
        let att = self.store.containers[ci].attachments.remove(a);
        if let Some(ep) = att.endpoint {
            self.backend.detach(Some(&att.network_id), &ep, ctx);
        }
        CommandOutput::ok("")
    }

    // ----- containers -----

    fn run(&mut self, args: RunArgs, start: bool, ctx: &mut HostCtx) -> CommandOutput {
        let release = self.backend.cli_release();
        let cmd_name = if start { "run" } else { "create" };
        // Refused before the container exists.
        let fail = |kind: ErrorKind, msg: String| {
            let out = match release {
                CliRelease::V20_10 => CommandOutput::run_refused_v20_10(cmd_name, &msg, true),
                CliRelease::Current if start => CommandOutput::run_error(msg),
                CliRelease::Current => CommandOutput::daemon_error(kind, msg),
            };
            CommandOutput {
                error_kind: kind,
                ..out
            }
        };
        let net_key = args
            .network
            .clone()
            .unwrap_or_else(|| self.backend.default_network().into());
        let settings = match self.backend.check_run(&args, &net_key) {
            Ok(s) => s,
            // runconfig's `validationError`s and the daemon's other checks of the config,
            // all invalid parameters but for a few not told apart (Windows' `network host
            // not found`).
            Err(e) => return fail(ErrorKind::InvalidParameter, e),
        };
        let name = match &args.name {
            Some(n) => n.clone(),
            None => generated_name(&mut self.rng),
        };
        if let Some(existing) = self.store.container_named(&name) {
            // The daemon's `nameConflictError`.
            return fail(ErrorKind::Conflict, format!(
                "Conflict. The container name \"/{name}\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.",
                existing.id
            ));
        }
        let mut notes = settings.notes;
        let warnings = settings.warnings;
        let mut dns = Vec::new();
        for d in &args.dns {
            match d.parse::<Ipv4Addr>() {
                Ok(ip) => dns.push(ip),
                Err(_) => {
                    return fail(
                        ErrorKind::InvalidParameter,
                        format!("{d} is not an ip address"),
                    )
                }
            }
        }
        let requested_ip = match parse_requested_ip(args.ip.as_deref()) {
            Ok(ip) => ip,
            Err(e) => return fail(ErrorKind::InvalidParameter, e),
        };
        // `--network container:<name>`: share another container's sandbox.
        let net_from = net_key.strip_prefix("container:").map(str::to_string);
        if net_from.is_some() && !args.publish.is_empty() {
            // runconfig's `ErrConflictNetworkPublishPorts`.
            return fail(
                ErrorKind::InvalidParameter,
                "conflicting options: port publishing and the container type network mode".into(),
            );
        }
        let naming = Naming::from_run(&args);
        // `--link`: the target must exist when the container is created (moby
        // `registerLinks`); that it runs is checked when it starts.
        if let Some((target, _)) = naming
            .links
            .iter()
            .find(|(t, _)| self.backend.keeps_links() && self.store.find_container(t).is_none())
        {
            // `registerLinks` wraps the look-up's `errdefs.NotFound`.
            return fail(
                ErrorKind::NotFound,
                format!("could not get container for {target}: No such container: {target}"),
            );
        }
        let id = ids::docker_id(&mut self.rng);
        let mut c = Container {
            id: id.clone(),
            name: name.clone(),
            image: args.image.clone(),
            state: ContainerState::Created,
            attachments: Vec::new(),
            ports: args.published_bindings(),
            dns,
            isolation: settings.isolation,
            sandbox: None,
            net_from: net_from.clone(),
            sandbox_shared: false,
            hidden_endpoints: Vec::new(),
            extra_tcp: Vec::new(),
            extra_udp: Vec::new(),
            exit_code: 0,
            error: String::new(),
            command: args.command.clone(),
            pid: 0,
            labels: args.labels.clone(),
            // The CLI checked it (`net.ParseMAC`).
            mac_address: args.mac_address.as_deref().and_then(|m| m.parse().ok()),
            created: ctx.eng.now(),
            state_since: ctx.eng.now(),
            auto_remove: args.rm,
            restarts_with_daemon: matches!(
                args.restart
                    .as_deref()
                    .map(|p| p.split(':').next().unwrap_or(p)),
                Some("always" | "unless-stopped")
            ),
            exposed: args.expose.clone(),
            naming,
        };
        // Networks are resolved when the container starts; `docker run` reports it then.
        let net = match net_from {
            Some(_) => None,
            None => self.find_or_learn_network(&net_key, ctx),
        };
        if let Some(n) = net.map(|i| &self.store.networks[i]) {
            if n.driver == "overlay" && !n.attachable {
                // The cluster's `fmt.Errorf("Could not attach to network %s: %v")` drops
                // the gRPC code: untyped.
                return fail(ErrorKind::System, format!(
                    "Could not attach to network {net_key}: rpc error: code = PermissionDenied desc = network {net_key} not manually attachable"
                ));
            }
            notes.extend(self.backend.attach_notes(n, &c));
        }
        if c.net_from.is_none() {
            // docker keys the container's network by name; an unknown one has no id yet.
            let (network_name, network_id) = match net {
                Some(ni) => (
                    self.store.networks[ni].name.clone(),
                    self.store.networks[ni].id.clone(),
                ),
                None => (net_key.clone(), String::new()),
            };
            c.attachments.push(Attachment {
                network_name,
                network_id,
                requested_ip,
                aliases: args.network_aliases.clone(),
                links: Vec::new(),
                endpoint: None,
                failed_endpoint: None,
            });
            // From API 1.44 (Docker 25) a container joins every `--network` at create;
            // the settings flags go to the first one only.
            if self.backend.several_networks_at_create() {
                for key in &args.more_networks {
                    let (network_name, network_id) = match self.find_or_learn_network(key, ctx) {
                        Some(ni) => (
                            self.store.networks[ni].name.clone(),
                            self.store.networks[ni].id.clone(),
                        ),
                        None => (key.clone(), String::new()),
                    };
                    if c.attachments.iter().any(|a| a.network_name == network_name) {
                        continue;
                    }
                    c.attachments.push(Attachment {
                        network_name,
                        network_id,
                        requested_ip: None,
                        aliases: Vec::new(),
                        links: Vec::new(),
                        endpoint: None,
                        failed_endpoint: None,
                    });
                }
            }
        }
        let ci = self.store.add_container(c);
        if !start {
            return CommandOutput {
                stdout: format!("{id}\n"),
                notes,
                warnings,
                ..Default::default()
            };
        }
        // The container exists: a failed start is worded as such, after the id the CLI
        // printed for a detached run (20.10's client prints it before it starts the container).
        let start_failed = |msg: &str| match release {
            CliRelease::V20_10 => CommandOutput {
                stdout: if args.detach {
                    format!("{id}\n")
                } else {
                    String::new()
                },
                ..CommandOutput::run_refused_v20_10(cmd_name, msg, false)
            },
            CliRelease::Current => CommandOutput::run_error(msg),
        };
        if net.is_none() && self.store.containers[ci].net_from.is_none() {
            let msg = format!("network {net_key} not found");
            self.record_failed_start(ci, &msg);
            if release == CliRelease::V20_10 {
                return CommandOutput {
                    notes,
                    ..start_failed(&msg)
                };
            }
            return CommandOutput {
                notes,
                ..CommandOutput::plain_error(format!(
                    "docker: Error response from daemon: network {net_key} not found"
                ))
            };
        }
        if let Err(e) = self.start_container(ci, ctx) {
            return CommandOutput {
                notes,
                ..start_failed(&e)
            };
        }
        let stdout = if args.detach {
            format!("{id}\n")
        } else {
            String::new()
        };
        CommandOutput {
            stdout,
            notes,
            warnings,
            ..Default::default()
        }
    }

    /// The TCP and UDP ports a container listens on: its image's and those added later.
    fn services(&self, ci: usize, ctx: &HostCtx) -> (Vec<u16>, Vec<u16>) {
        let c = &self.store.containers[ci];
        let (mut tcp, mut udp) = ctx.images.get(&c.image).cloned().unwrap_or_default();
        tcp.extend(c.extra_tcp.iter().copied());
        udp.extend(c.extra_udp.iter().copied());
        let (cmd_tcp, cmd_udp) = self.backend.command_services(&c.command);
        tcp.extend(
            cmd_tcp
                .into_iter()
                .filter(|p| !tcp.contains(p))
                .collect::<Vec<_>>(),
        );
        udp.extend(
            cmd_udp
                .into_iter()
                .filter(|p| !udp.contains(p))
                .collect::<Vec<_>>(),
        );
        (tcp, udp)
    }

    /// `--network container:<target>`: the container joins the target's sandbox, and its
    /// services listen there too.
    fn join_sandbox(&mut self, ci: usize, target: &str, ctx: &mut HostCtx) -> Result<(), String> {
        let ti = self
            .store
            .find_container(target)
            .ok_or_else(|| format!("No such container: {target}"))?;
        if ti == ci {
            return Err("cannot join own network".into());
        }
        let t = &self.store.containers[ti];
        let Some(node) = t.sandbox.filter(|_| t.state == ContainerState::Running) else {
            return Err(format!(
                "cannot join network of a non running container: {}",
                t.id
            ));
        };
        if t.isolation == Isolation::HyperV {
            return Err("sharing of hyperv containers network is not supported".into());
        }
        // A target named by an id (or a prefix of one) is recorded by its full id
        // (`container-mode/by-id`: `HostConfig.NetworkMode` is `container:<64 hex>`).
        let resolved = (target != t.name).then(|| t.id.clone());
        let (tcp, udp) = self.services(ci, ctx);
        if let Some(stack) = ctx.eng.device_mut(node).and_then(Device::as_stack_mut) {
            let mut s = stack.config.services_mut();
            s.tcp.extend(tcp);
            s.udp_echo.extend(udp);
        }
        let c = &mut self.store.containers[ci];
        c.sandbox = Some(node);
        if let Some(id) = resolved {
            c.net_from = Some(id);
        }
        self.store.start_process(ci);
        Ok(())
    }

    /// Finds the network of each of the container's attachments as docker does when the
    /// container starts (moby's `getNetworkID`, Docker 26 and later): a predefined network
    /// (`nat`, `none`) by its name, so that a container finds the `nat` network dockerd
    /// recreated with a new id after a reboot; any other network by the id it had when the
    /// container joined it, so that one removed (or lost in a reboot) is not found, even if
    /// a network of the same name exists again.
    fn resolve_networks(&mut self, ci: usize, ctx: &HostCtx) -> Result<(), String> {
        for a in 0..self.store.containers[ci].attachments.len() {
            let att = &self.store.containers[ci].attachments[a];
            let by_name = att.network_id.is_empty()
                || self
                    .backend
                    .predefined_networks()
                    .contains(&att.network_name.as_str());
            let key = if by_name {
                att.network_name.clone()
            } else {
                att.network_id.clone()
            };
            let found = if by_name {
                self.find_or_learn_network(&key, ctx)
            } else {
                self.store
                    .networks
                    .iter()
                    .position(|n| n.id == key)
                    .or_else(|| self.find_or_learn_network(&key, ctx))
            };
            let Some(ni) = found else {
                return Err(format!("network {key} not found"));
            };
            let net = &self.store.networks[ni];
            let (id, name) = (net.id.clone(), net.name.clone());
            let att = &mut self.store.containers[ci].attachments[a];
            att.network_id = id;
            att.network_name = name;
        }
        Ok(())
    }

    /// Starts a container: its sandbox and its endpoints. A start that fails leaves the
    /// container as it was (created or exited), with exit code 128 and the error recorded,
    /// as moby's `containerStart` does.
    fn start_container(&mut self, ci: usize, ctx: &mut HostCtx) -> Result<(), String> {
        let result = self.try_start(ci, ctx);
        match &result {
            Ok(()) => {
                let c = &mut self.store.containers[ci];
                c.state = ContainerState::Running;
                c.exit_code = 0;
                c.error.clear();
                c.state_since = ctx.eng.now();
            }
            Err(e) => {
                self.release_network(ci, ctx);
                self.record_failed_start(ci, e);
            }
        }
        result
    }

    fn try_start(&mut self, ci: usize, ctx: &mut HostCtx) -> Result<(), String> {
        if let Some(target) = self.store.containers[ci].net_from.clone() {
            return self.join_sandbox(ci, &target, ctx);
        }
        self.resolve_networks(ci, ctx)?;
        let (tcp, udp) = self.services(ci, ctx);
        let (node, owned) =
            self.backend
                .create_sandbox(&self.store.containers[ci], tcp.clone(), udp.clone(), ctx);
        if !owned {
            // A shared namespace (the host's): the container's services listen there.
            if let Some(stack) = ctx.eng.device_mut(node).and_then(Device::as_stack_mut) {
                let mut s = stack.config.services_mut();
                s.tcp.extend(tcp);
                s.udp_echo.extend(udp);
            }
        }
        self.store.containers[ci].sandbox = Some(node);
        self.store.containers[ci].sandbox_shared = !owned;
        self.store.start_process(ci);
        for a in 0..self.store.containers[ci].attachments.len() {
            self.backend
                .attach(&mut self.store, ci, a, &mut self.rng, ctx)?;
        }
        Ok(())
    }

    /// moby: a failed start leaves the exit code at 128 (`exitUnknown`) unless it was set.
    fn record_failed_start(&mut self, ci: usize, error: &str) {
        let c = &mut self.store.containers[ci];
        if c.exit_code == 0 {
            c.exit_code = 128;
        }
        c.error = error.to_string();
    }

    fn stop_container(&mut self, ci: usize, ctx: &mut HostCtx) {
        self.release_network(ci, ctx);
        let c = &mut self.store.containers[ci];
        c.state = ContainerState::Exited;
        c.exit_code = 0;
        c.state_since = ctx.eng.now();
    }

    /// Takes the container's endpoints and sandbox away.
    fn release_network(&mut self, ci: usize, ctx: &mut HostCtx) {
        let c = &mut self.store.containers[ci];
        c.pid = 0;
        for a in &mut c.attachments {
            if let Some(ep) = a.endpoint.take() {
                self.backend.detach(Some(&a.network_id), &ep, ctx);
            }
        }
        for ep in std::mem::take(&mut c.hidden_endpoints) {
            self.backend.detach(None, &ep, ctx);
        }
        if c.net_from.is_some() || std::mem::take(&mut c.sandbox_shared) {
            // A guest in another container's sandbox (or in the host's namespace): it takes
            // only its own services away.
            if let Some(node) = self.store.containers[ci].sandbox.take() {
                let (tcp, udp) = self.services(ci, ctx);
                if let Some(stack) = ctx.eng.device_mut(node).and_then(Device::as_stack_mut) {
                    let mut s = stack.config.services_mut();
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
                // The last process of a sandbox its owner already left: it goes now.
                // (Not the host's namespace of a `--network host` guest: that has no owner.)
                let held = self
                    .store
                    .containers
                    .iter()
                    .any(|o| o.sandbox == Some(node));
                let owner_left = self.store.containers[ci].net_from.as_deref().map(|t| {
                    self.store
                        .container(t)
                        .is_none_or(|o| o.sandbox != Some(node))
                });
                if !held && owner_left == Some(true) && self.backend.sandbox_outlives_owner() {
                    ctx.eng.remove_node(node);
                }
            }
        } else if let Some(node) = c.sandbox.take() {
            let guests = self
                .store
                .containers
                .iter()
                .any(|g| g.sandbox == Some(node) && g.state == ContainerState::Running);
            if guests && self.backend.sandbox_outlives_owner() {
                // The guests keep the namespace (its interfaces went with the endpoints).
                return;
            }
            ctx.eng.remove_node(node);
            // Containers that shared this sandbox have no network any more.
            for c in &mut self.store.containers {
                if c.sandbox == Some(node) {
                    c.sandbox = None;
                }
            }
        }
    }

    /// `docker start`: the CLI starts each container in turn, prints the name of each one
    /// that started and the error of each one that did not, then its own line naming them
    /// (`Error: failed to start containers: ...`, docker CLI 27/28).
    fn start_containers(&mut self, keys: &[String], ctx: &mut HostCtx) -> CommandOutput {
        let mut stdout = String::new();
        let mut errors = Vec::new();
        let mut failed = Vec::new();
        for k in keys {
            let result = match self.store.find_container(k) {
                None => Err(format!("No such container: {k}")),
                Some(ci) if self.store.containers[ci].state == ContainerState::Running => Ok(()),
                Some(ci) => self.start_container(ci, ctx),
            };
            match result {
                Ok(()) => {
                    stdout.push_str(k);
                    stdout.push('\n');
                }
                Err(e) => {
                    errors.push(daemon_message(&e));
                    failed.push(k.as_str());
                }
            }
        }
        if failed.is_empty() {
            return CommandOutput::ok(stdout);
        }
        errors.push(format!(
            "Error: failed to start containers: {}",
            failed.join(", ")
        ));
        CommandOutput {
            stdout,
            ..CommandOutput::plain_error(errors.join("\n"))
        }
    }

    fn stop_containers(&mut self, keys: &[String], ctx: &mut HostCtx) -> CommandOutput {
        let mut stdout = String::new();
        for k in keys {
            let Some(ci) = self.store.find_container(k) else {
                return CommandOutput {
                    stdout,
                    ..container_not_found(k)
                };
            };
            if self.store.containers[ci].state == ContainerState::Running {
                self.stop_container(ci, ctx);
                // `--rm`: the container is gone once it has stopped (seed 004: "the
                // container is removed automatically").
                if self.store.containers[ci].auto_remove {
                    self.store.remove_container(ci);
                }
            }
            stdout.push_str(k);
            stdout.push('\n');
        }
        CommandOutput::ok(stdout)
    }

    /// `docker restart`: stop (if running) and start each container; the daemon wraps a
    /// failed start (`Cannot restart container <name>: ...`) and the CLI prints each error
    /// after trying them all.
    fn restart_containers(&mut self, keys: &[String], ctx: &mut HostCtx) -> CommandOutput {
        let mut stdout = String::new();
        let mut errors = Vec::new();
        for k in keys {
            let Some(ci) = self.store.find_container(k) else {
                errors.push(daemon_message(&format!("No such container: {k}")));
                continue;
            };
            if self.store.containers[ci].state == ContainerState::Running {
                self.stop_container(ci, ctx);
            }
            match self.start_container(ci, ctx) {
                Ok(()) => {
                    stdout.push_str(k);
                    stdout.push('\n');
                }
                Err(e) => errors.push(daemon_message(&format!(
                    "Cannot restart container {k}: {e}"
                ))),
            }
        }
        if errors.is_empty() {
            return CommandOutput::ok(stdout);
        }
        CommandOutput {
            stdout,
            ..CommandOutput::plain_error(errors.join("\n"))
        }
    }

    fn rm(&mut self, keys: &[String], force: bool, ctx: &mut HostCtx) -> CommandOutput {
        let mut stdout = String::new();
        for k in keys {
            let Some(ci) = self.store.find_container(k) else {
                return CommandOutput {
                    stdout,
                    ..container_not_found(k)
                };
            };
            if self.store.containers[ci].state == ContainerState::Running {
                if !force {
                    // The daemon's `cleanupContainer`: `errdefs.Conflict`.
                    return CommandOutput {
                        stdout,
                        ..CommandOutput::daemon_error(ErrorKind::Conflict, format!(
                            "cannot remove container \"/{}\": container is running: stop the container before removing or force remove",
                            self.store.containers[ci].name
                        ))
                    };
                }
                self.stop_container(ci, ctx);
            }
            self.store.remove_container(ci);
            stdout.push_str(k);
            stdout.push('\n');
        }
        CommandOutput::ok(stdout)
    }

    fn exec(&self, key: &str, argv: &[String]) -> CommandOutput {
        let Some(c) = self.store.container(key) else {
            return container_not_found(key);
        };
        if c.state != ContainerState::Running {
            // The daemon's `errNotRunning` is a conflict.
            return CommandOutput::daemon_error(
                ErrorKind::Conflict,
                format!("container {} is not running", c.id),
            );
        }
        match exec::parse_probe(argv) {
            Ok(p) => CommandOutput {
                probe: Some(p),
                ..Default::default()
            },
            Err(e) => CommandOutput::plain_error(e),
        }
    }

    /// `docker port CONTAINER [PRIVATE_PORT[/PROTO]]`, as docker CLI 27/28 prints it from
    /// the container's `NetworkSettings.Ports`.
    fn port(&self, key: &str, port: Option<&str>) -> CommandOutput {
        let Some(c) = self.store.container(key) else {
            // The 20.10 client words a 404 itself (`objectNotFoundError`), newer ones pass
            // the daemon's message on.
            if self.backend.legacy_port_listing() {
                return CommandOutput {
                    error_kind: ErrorKind::NotFound,
                    ..CommandOutput::plain_error(format!("Error: No such container: {key}"))
                };
            }
            return container_not_found(key);
        };
        let ports = output::container_ports(c, self.backend.as_ref());
        output::port(&ports, key, port, self.backend.legacy_port_listing())
    }

    fn inspect(&self, keys: &[String], format: Option<&str>) -> CommandOutput {
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for k in keys {
            if let Some(c) = self.store.container(k) {
                found.push(output::container_json(
                    c,
                    &self.store.networks,
                    self.backend.as_ref(),
                ));
            } else if let Some(ni) = self.store.find_network(k) {
                found.push(output::network_json(
                    &self.store.networks[ni],
                    &self.store,
                    self.backend.as_ref(),
                ));
            } else {
                errors.push(format!("Error: No such object: {k}"));
            }
        }
        output::inspect(found, errors, format)
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
            .store
            .find_container(key)
            .ok_or_else(|| format!("No such container: {key}"))?;
        let c = &mut self.store.containers[ci];
        c.extra_tcp.extend_from_slice(tcp);
        c.extra_udp.extend_from_slice(udp);
        if let Some(stack) = c
            .sandbox
            .and_then(|n| ctx.eng.device_mut(n))
            .and_then(Device::as_stack_mut)
        {
            let mut s = stack.config.services_mut();
            s.tcp.extend_from_slice(tcp);
            s.udp_echo.extend_from_slice(udp);
        }
        Ok(())
    }

    /// An endpoint for the host itself on `network` (HNS's host endpoint).
    pub fn host_endpoint(
        &mut self,
        network: &str,
        ip: Option<Ipv4Addr>,
        ctx: &mut HostCtx,
    ) -> Result<Ipv4Addr, String> {
        self.backend.host_endpoint(&self.store, network, ip, ctx)
    }
}

/// libnetwork's `ErrNoSuchNetwork`, which is `NotFound`.
fn network_not_found(key: &str) -> CommandOutput {
    CommandOutput::daemon_error(ErrorKind::NotFound, format!("network {key} not found"))
}

/// The daemon's `containerNotFound` (`errdefs.NotFound`).
fn container_not_found(key: &str) -> CommandOutput {
    CommandOutput::daemon_error(ErrorKind::NotFound, format!("No such container: {key}"))
}

/// A daemon error as the client prints it (moby's client trims the message).
fn daemon_message(msg: &str) -> String {
    format!("Error response from daemon: {}", msg.trim())
}

/// `--ip`: an IPv4 address, in the daemon's words when it is not one.
fn parse_requested_ip(ip: Option<&str>) -> Result<Option<Ipv4Addr>, String> {
    match ip {
        None => Ok(None),
        Some(s) => s
            .parse::<Ipv4Addr>()
            .map(Some)
            .map_err(|_| format!("invalid IP address: {s}")),
    }
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
