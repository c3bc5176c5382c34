//! The seam between docker's OS-neutral daemon (`daemon`, `store`) and what one operating
//! system does with its records: HNS on Windows (`windows`), libnetwork's drivers on Linux.
//!
//! The daemon owns the commands' semantics (names, ids, lifecycles, the CLI's lookups and
//! most of its errors) and calls a backend for everything the host's control plane decides:
//! which networks are predefined, which options and port specs the OS refuses and in what
//! words, how a network and an endpoint are built, where the embedded DNS answers. A backend
//! never forwards a packet; it hands plans to `control::plan` like every control plane.

use super::cli::{CliRelease, NetworkCreate, RunArgs};
use super::daemon::{CommandOutput, HostCtx};
use super::errdefs::ErrorKind;
use super::store::{Container, DockerNetwork, Isolation, Store};
use crate::control::hns::Hns;
use crate::device::stack::VxlanPeer;
use crate::id::{NodeId, PortId};
use crate::rng::SimRng;
use crate::wire::MacAddr;
use std::net::Ipv4Addr;

/// A local network the backend's driver created: what docker records from its answer.
#[derive(Clone, Debug)]
pub struct DriverNetwork {
    /// The driver's id for it (HNS's GUID on Windows; docker's own id on Linux).
    pub backend_id: String,
    /// Docker's id for the network when the backend had to choose it first (a Linux bridge
    /// is named after it); otherwise the daemon draws one.
    pub id: Option<String>,
    /// What the user asked for, kept for a reboot.
    pub requested_subnet: Option<ipnetwork::Ipv4Network>,
    pub requested_gateway: Option<Ipv4Addr>,
    /// hnsim's remarks on options that change nothing here.
    pub notes: Vec<String>,
}

/// Why the daemon refused a command, as the CLI prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The daemon's message ("Error response from daemon: " goes in front), with the
    /// errdefs kind moby gives that error (the Engine API's status).
    Daemon(ErrorKind, String),
    /// Text the CLI prints as it came: hnsim's own or the CLI's, never a typed daemon
    /// error, so untyped (`ErrorKind::System`) through the Engine API.
    Plain(String),
}

impl Refusal {
    /// The errdefs kind of the refusal.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Refusal::Daemon(kind, _) => *kind,
            Refusal::Plain(_) => ErrorKind::System,
        }
    }

    /// The message, before the CLI trims it or puts its prefix in front.
    pub fn message(&self) -> &str {
        match self {
            Refusal::Daemon(_, msg) | Refusal::Plain(msg) => msg,
        }
    }
}

impl From<Refusal> for CommandOutput {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Daemon(kind, msg) => CommandOutput::daemon_error(kind, msg),
            Refusal::Plain(msg) => CommandOutput::plain_error(msg),
        }
    }
}

/// The backend's part of a `docker run`: the isolation, and remarks on flags that change
/// nothing on this OS. (Published ports are judged when the endpoint is created.)
#[derive(Clone, Debug)]
pub struct RunSettings {
    pub isolation: Isolation,
    pub notes: Vec<String>,
    /// What the CLI prints as `WARNING: …` on stderr, the command going on.
    pub warnings: Vec<String>,
}

/// The docker engine a host runs, where its releases differ in what users see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineRelease {
    /// Docker EE 17.06, the engine of Windows Server 2016's era: no hot-add of networks to a
    /// running container (hot-add came with 18.03, moby commit 5c1cfb1d27), libnetwork's
    /// own refusal of overlay networks on a worker, and no `EnableIPv4` in `network inspect`.
    Ee17_06,
    /// Docker 28: the engine the rest of hnsim follows (`EnableIPv4` in `network inspect`
    /// from 28.0; a worker's overlay create refused by the daemon's manager check since
    /// moby commit 21dcbada2d).
    V28,
}

/// A published port as docker reads it back from the endpoint: (protocol, host port,
/// container port), on every host address (Windows reports `0.0.0.0`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedPort {
    pub proto: &'static str,
    /// The host address as docker reports it (`0.0.0.0`, `::`, `127.0.0.1`).
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
}

/// An endpoint as `docker inspect` shows it.
#[derive(Clone, Debug)]
pub struct EndpointView {
    pub id: String,
    pub mac: MacAddr,
    pub ip: Ipv4Addr,
    /// The prefix length docker records for the address.
    pub prefix_len: u8,
    pub gateway: Ipv4Addr,
    /// The port mappings the endpoint carries.
    pub ports: Vec<PublishedPort>,
}

/// A container on an overlay network, as swarm gossip tells the other nodes about it.
#[derive(Clone, Debug)]
pub struct OverlayMember {
    /// Docker's network id (the same on every node).
    pub network_id: String,
    pub peer: VxlanPeer,
    /// The names it answers to in service discovery.
    pub names: Vec<String>,
}

/// What one operating system's control plane does for docker.
pub trait OsBackend {
    /// Names `docker network create` refuses as predefined; a container finds these by
    /// name when it starts, the others by id.
    fn predefined_networks(&self) -> &'static [&'static str];

    /// The docker engine this host runs.
    fn engine(&self) -> EngineRelease {
        EngineRelease::V28
    }

    /// Whether `docker port` lists as the 20.10 CLI does: mappings in the daemon's order
    /// (not sorted) and host addresses joined as `ip:port` (`:::8080`), where later CLIs
    /// sort naturally and bracket IPv6 (`[::]:8080`).
    fn legacy_port_listing(&self) -> bool {
        false
    }

    /// Whether a sandbox lives on while a guest (`--network container:<owner>`) still runs
    /// in it after its owner stopped: a Linux network namespace is held by every process in
    /// it, so the guest keeps it, with only `lo` once the owner's interfaces are gone.
    fn sandbox_outlives_owner(&self) -> bool {
        false
    }

    /// Whether `docker network inspect` shows `EnableIPv4` (Docker 28.0, API 1.48, on).
    fn shows_enable_ipv4(&self) -> bool {
        self.engine() != EngineRelease::Ee17_06
    }

    /// Whether `docker run` joins every `--network` given (API 1.44 and later), not only
    /// the first.
    fn several_networks_at_create(&self) -> bool {
        false
    }

    /// The docker CLI that goes with this engine.
    fn cli_release(&self) -> CliRelease {
        CliRelease::Current
    }

    /// The daemon's refusal to connect a running container to a network, or disconnect it,
    /// where the OS cannot hot-plug an endpoint.
    fn hot_plug_refusal(&self) -> Option<String> {
        None
    }

    /// The network `docker run` joins without `--network`.
    fn default_network(&self) -> &'static str;

    /// The driver `docker network create` uses without `-d`.
    fn default_driver(&self) -> &'static str;

    /// dockerd starts: the predefined networks exist afterwards, and networks the OS lost in
    /// a reboot are recreated or forgotten as the real daemon does. `rng` is the daemon's
    /// (docker ids). Returns the error that would stop dockerd.
    fn start(
        &mut self,
        store: &mut Store,
        rng: &mut SimRng,
        ctx: &mut HostCtx,
    ) -> Result<(), String>;

    /// The host reboots (its containers already stopped): the control plane forgets what the
    /// OS does not keep.
    fn reboot(&mut self, ctx: &mut HostCtx);

    /// `docker network create` for a local (non-swarm) driver, after the daemon's own checks.
    fn create_network(
        &mut self,
        c: &NetworkCreate,
        rng: &mut SimRng,
        ctx: &mut HostCtx,
    ) -> Result<DriverNetwork, Refusal>;

    /// Records the driver's answer on docker's record (docker keeps what the driver chose).
    fn adopt(&self, net: &mut DockerNetwork, backend_id: String);

    /// The overlay driver's `-o` options for a swarm network: its VNIs and remarks.
    fn overlay_options(&self, c: &NetworkCreate) -> Result<(Vec<u32>, Vec<String>), Refusal>;

    /// `docker network rm`: the driver's network goes.
    fn delete_network(&mut self, backend_id: &str, ctx: &mut HostCtx);

    /// The OS's checks on a `docker run` and what it makes of the flags; `net_key` is the
    /// `--network` value (or the default network).
    fn check_run(&self, args: &RunArgs, net_key: &str) -> Result<RunSettings, String>;

    /// The daemon's refusal of `docker network connect` of `c` to `net` (with a static
    /// address, with aliases), after the checks every daemon makes.
    fn check_connect(
        &self,
        _store: &Store,
        _c: &Container,
        _net: &DockerNetwork,
        _ip: bool,
        _aliases: bool,
    ) -> Result<(), String> {
        Ok(())
    }

    /// The daemon's refusal of `docker network disconnect` of `c` from `net`.
    fn check_disconnect(&self, _c: &Container, _net: &DockerNetwork) -> Result<(), String> {
        Ok(())
    }

    /// The active-endpoints refusal of `docker network rm` in the engine's words, given the
    /// network and the containers on it (name, id).
    fn active_endpoints(&self, net: &DockerNetwork, users: &[(&str, &str)]) -> String {
        let users: Vec<String> = users
            .iter()
            .map(|(name, id)| format!("name:{name:?} id:{:?}", crate::docker::store::short_id(id)))
            .collect();
        format!(
            "error while removing network: network {} has active endpoints ({})",
            net.name,
            users.join(", ")
        )
    }

    /// Remarks on joining `net` with the container's settings.
    fn attach_notes(&self, net: &DockerNetwork, c: &Container) -> Vec<String>;

    /// Creates a starting container's network sandbox (a compartment, a namespace) that
    /// listens on `tcp` and `udp`. Returns the sandbox and whether the container owns it:
    /// a shared one (the host's namespace, for `--network host`) gets the container's
    /// services added and outlives the container.
    fn create_sandbox(
        &mut self,
        c: &Container,
        tcp: Vec<u16>,
        udp: Vec<u16>,
        ctx: &mut HostCtx,
    ) -> (NodeId, bool);

    /// Joins the container `ci` to its attachment `a` (its sandbox exists): the endpoint is
    /// built and recorded on the attachment.
    fn attach(
        &mut self,
        store: &mut Store,
        ci: usize,
        a: usize,
        rng: &mut SimRng,
        ctx: &mut HostCtx,
    ) -> Result<(), String>;

    /// Takes an endpoint away: a container stopping or leaving docker's network `network_id`,
    /// or (`None`) an endpoint the backend added on its own.
    fn detach(&mut self, network_id: Option<&str>, endpoint: &str, ctx: &mut HostCtx);

    /// Brings the embedded DNS in line with the running containers.
    fn refresh_dns(&self, store: &Store, ctx: &mut HostCtx);

    /// The same after one change only: container `ci`, the last one in the store, was just
    /// created (and maybe started). A backend can add its names instead of rebuilding every
    /// record, which made each start cost as much as all the containers before it.
    fn dns_container_added(&self, store: &Store, _ci: usize, ctx: &mut HostCtx) {
        self.refresh_dns(store, ctx);
    }

    /// An endpoint as `docker inspect` shows it.
    fn endpoint(&self, id: &str) -> Option<EndpointView>;

    /// `docker network inspect`'s IPAM driver name, and the options docker shows that the
    /// user did not set.
    fn inspect_extras(&self, net: &DockerNetwork) -> (&'static str, Vec<(String, String)>);

    /// This node's containers on overlay networks, for the other nodes' peer tables.
    fn overlay_members(&self, store: &Store) -> Vec<OverlayMember>;

    /// The other nodes' overlay containers (`remote`), as gossip delivers them.
    fn apply_overlay_peers(&mut self, store: &Store, remote: &[OverlayMember], ctx: &mut HostCtx);

    /// An endpoint on `network` for the host itself; returns its address.
    fn host_endpoint(
        &mut self,
        _store: &Store,
        network: &str,
        _ip: Option<Ipv4Addr>,
        _ctx: &mut HostCtx,
    ) -> Result<Ipv4Addr, String> {
        Err(format!(
            "a host endpoint on {network:?} is an HNS feature; this host has no HNS"
        ))
    }

    /// Where the cable of the NIC on host-stack port `nic` is plugged now, when the control
    /// plane moved it (a NIC bound to a virtual switch): (node, port).
    fn nic_plugged(&self, _nic: PortId) -> Option<(NodeId, PortId)> {
        None
    }

    /// The ports a container's command listens on, besides its image's services: (tcp,
    /// udp). Linux reads busybox servers from the command (`httpd -f -p 80`, `nc -l -p N`);
    /// the default is none.
    fn command_services(&self, _command: &[String]) -> (Vec<u16>, Vec<u16>) {
        (Vec::new(), Vec::new())
    }

    /// A file inside a running container as `cat` prints it (`/etc/resolv.conf`,
    /// `/etc/hosts`, `/etc/hostname`), or `None` when the OS model keeps no such file.
    fn container_file(
        &self,
        _store: &Store,
        _container: &Container,
        _path: &str,
    ) -> Option<String> {
        None
    }

    /// Whether the daemon keeps `--link`s (Linux's `registerLinks`; Windows' is a no-op).
    fn keeps_links(&self) -> bool {
        false
    }

    /// Windows' HNS, on a Windows host.
    fn hns(&self) -> Option<&Hns> {
        None
    }
}
