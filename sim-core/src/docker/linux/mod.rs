//! docker on Linux: the daemon's Linux backend, which speaks to libnetwork.
//!
//! Owns what the Linux daemon decides on its own (its predefined `bridge`, `host` and
//! `none`, docker0 from `bip` or the first free pool, the bridge driver's options and the
//! refusals of the host's Docker Engine release) and the calls it makes into libnetwork
//! (`control::libnetwork`). `network` handles `docker network create`; `container` a
//! container's namespace and endpoints.

mod container;
pub mod dns;
pub mod files;
pub mod network;
pub mod publish;
mod run;

use super::backend::{
    DriverNetwork, EndpointView, OsBackend, OverlayMember, PublishedPort, Refusal, RunSettings,
};
use super::cli::{CliRelease, NetworkCreate, RunArgs};
use super::daemon::HostCtx;
use super::errdefs::ErrorKind;
use super::store::{Container, ContainerState, DockerNetwork, Store};
use crate::control::ids;
use crate::control::libnetwork::{BridgeRequest, Libnetwork};
use crate::id::NodeId;
use crate::rng::SimRng;
use std::net::Ipv4Addr;

/// The default bridge and driver on Linux.
const BRIDGE: &str = "bridge";

/// The Linux daemon's backend: libnetwork, and the host's own DNS servers.
pub struct Linux {
    pub ln: Libnetwork,
    /// The nameservers of the host's `/etc/resolv.conf`.
    pub resolv: Vec<Ipv4Addr>,
    /// docker's id of the predefined `host` network.
    host_network: Option<String>,
    /// The host ports docker holds.
    ports: publish::PortAllocator,
    /// What the daemon reports of each network it created (by id), beyond libnetwork's
    /// subnet and gateway.
    reported: Vec<(String, network::Reported)>,
    /// Endpoints of the host and null drivers: an id each, no plumbing.
    pub(crate) addressless_endpoints: Vec<String>,
    /// docker's name of each bridge network (by id): the default route's order.
    pub(crate) network_names: Vec<(String, String)>,
    /// Each namespace's next interface number (its interfaces of every prefix).
    interface_counters: Vec<(NodeId, u32)>,
    /// Each namespace's next number per interface name prefix (osl's `nextIfIndex`:
    /// `eth0`, `eth1`, …, or `lan0` with `com.docker.network.container_iface_prefix=lan`).
    prefix_counters: Vec<(NodeId, String, u32)>,
    /// The embedded DNS: name tables per user network, a resolver per namespace.
    pub dns: dns::EmbeddedDns,
    /// The host's name (`/etc/hostname`, what a `--network host` container sees).
    pub host_name: String,
}

impl Linux {
    fn network_name(&self, id: &str) -> &str {
        self.network_names
            .iter()
            .find(|(i, _)| i == id)
            .map_or("", |(_, n)| n.as_str())
    }

    /// The name of the namespace's next interface with `prefix`: the prefix and a number
    /// that never goes back while the namespace lives.
    fn next_interface_name(&mut self, sandbox: NodeId, prefix: &str) -> String {
        let n = match self
            .prefix_counters
            .iter_mut()
            .find(|(s, p, _)| *s == sandbox && p == prefix)
        {
            Some((_, _, n)) => {
                *n += 1;
                *n - 1
            }
            None => {
                self.prefix_counters.push((sandbox, prefix.to_string(), 1));
                0
            }
        };
        format!("{prefix}{n}")
    }

    /// The number of the namespace's next interface, of any prefix (0: its first network).
    fn next_interface(&mut self, sandbox: NodeId) -> u32 {
        match self
            .interface_counters
            .iter_mut()
            .find(|(s, _)| *s == sandbox)
        {
            Some((_, n)) => {
                *n += 1;
                *n - 1
            }
            None => {
                self.interface_counters.push((sandbox, 1));
                0
            }
        }
    }
}

impl Linux {
    pub fn new(ln: Libnetwork, resolv: Vec<Ipv4Addr>) -> Self {
        Linux {
            ln,
            resolv,
            host_network: None,
            ports: publish::PortAllocator::default(),
            reported: Vec::new(),
            addressless_endpoints: Vec::new(),
            network_names: Vec::new(),
            interface_counters: Vec::new(),
            prefix_counters: Vec::new(),
            dns: dns::EmbeddedDns::new(SimRng::derive(0, "embedded-dns")),
            host_name: String::new(),
        }
    }

    /// The embedded DNS draws its ports and shuffles from `rng` (the run's seed).
    pub fn with_dns_rng(mut self, rng: SimRng) -> Self {
        self.dns = dns::EmbeddedDns::new(rng);
        self
    }
}

impl OsBackend for Linux {
    fn predefined_networks(&self) -> &'static [&'static str] {
        &["bridge", "host", "none", "default"]
    }

    fn default_network(&self) -> &'static str {
        BRIDGE
    }

    fn cli_release(&self) -> CliRelease {
        if self.ln.engine.ships_cli_20_10() {
            CliRelease::V20_10
        } else {
            CliRelease::Current
        }
    }

    fn several_networks_at_create(&self) -> bool {
        self.ln.engine.several_networks_at_create()
    }

    fn shows_enable_ipv4(&self) -> bool {
        self.ln.engine.shows_enable_ipv4()
    }

    fn default_driver(&self) -> &'static str {
        BRIDGE
    }

    /// dockerd starts: `none` and `host`, then the default bridge on docker0 (unless
    /// `bridge: none`), with the chains the daemon always programs.
    fn start(
        &mut self,
        store: &mut Store,
        rng: &mut SimRng,
        ctx: &mut HostCtx,
    ) -> Result<(), String> {
        self.host_name = ctx.nodes.host.clone();
        self.ln.start(ctx.eng, ctx.nodes);
        for (name, driver) in [("none", "null"), ("host", "host")] {
            if !store.networks.iter().any(|n| n.name == name) {
                let id = ids::docker_id(rng);
                store
                    .networks
                    .push(DockerNetwork::new(id, name, driver, ctx.eng.now(), true));
            }
        }
        self.host_network = store
            .networks
            .iter()
            .find(|n| n.name == "host")
            .map(|n| n.id.clone());
        if self.ln.config.bridge_none || store.networks.iter().any(|n| n.name == BRIDGE) {
            return Ok(());
        }
        let id = ids::docker_id(rng);
        let (subnet, gateway) = match self.ln.config.bip {
            Some(bip) => (
                Some(ipnetwork::Ipv4Network::new(bip.network(), bip.prefix()).expect("a prefix")),
                Some(bip.ip()),
            ),
            None => (None, None),
        };
        let req = BridgeRequest {
            id: id.clone(),
            name: Some("docker0".into()),
            subnet,
            prefix_only: None,
            gateway,
            ip_range: self.ln.config.fixed_cidr,
            aux: Vec::new(),
            icc: self.ln.config.icc,
            masquerade: self.ln.config.ip_masq,
            internal: false,
            mtu: self.ln.config.mtu,
            host_binding: Ipv4Addr::UNSPECIFIED,
            default_bridge: true,
        };
        let engine = self.ln.engine;
        self.ln
            .create_bridge(ctx.eng, ctx.nodes, req)
            .map_err(|e| {
                format!(
                    "Error initializing network controller: {}",
                    network::words(engine, &e)
                )
            })?;
        let mut net = DockerNetwork::new(id.clone(), BRIDGE, BRIDGE, ctx.eng.now(), true);
        for (k, v) in [
            (
                "com.docker.network.bridge.default_bridge",
                "true".to_string(),
            ),
            (
                "com.docker.network.bridge.enable_icc",
                self.ln.config.icc.to_string(),
            ),
            (
                "com.docker.network.bridge.enable_ip_masquerade",
                self.ln.config.ip_masq.to_string(),
            ),
            (
                "com.docker.network.bridge.host_binding_ipv4",
                "0.0.0.0".into(),
            ),
            ("com.docker.network.bridge.name", "docker0".into()),
            (
                "com.docker.network.driver.mtu",
                self.ln.config.mtu.to_string(),
            ),
        ] {
            net.options.push((k.to_string(), v));
        }
        self.network_names.push((id.clone(), BRIDGE.to_string()));
        self.adopt(&mut net, id);
        store.networks.push(net);
        Ok(())
    }

    /// A reboot keeps docker's networks (dockerd recreates their bridges and rules at start,
    /// as they were); containers stop.
    fn reboot(&mut self, _ctx: &mut HostCtx) {}

    fn create_network(
        &mut self,
        c: &NetworkCreate,
        rng: &mut SimRng,
        ctx: &mut HostCtx,
    ) -> Result<DriverNetwork, Refusal> {
        network::create(self, c, rng, ctx)
    }

    /// Docker records libnetwork's subnet and gateway.
    fn adopt(&self, net: &mut DockerNetwork, id: String) {
        if let Some(n) = self.ln.network(&id) {
            net.ipam = vec![(n.subnet.to_string(), n.gateway.to_string())];
        }
        if let Some((_, r)) = self.reported.iter().find(|(i, _)| *i == id) {
            net.ipam_config = r.ipam_config.clone();
            net.ipam_options = Some(r.ipam_options.clone());
            net.ipv6 = r.ipv6;
        }
        net.backend_id = Some(id);
    }

    fn overlay_options(&self, _c: &NetworkCreate) -> Result<(Vec<u32>, Vec<String>), Refusal> {
        // hnsim's own refusal, in the daemon's place: untyped.
        Err(Refusal::Daemon(
            ErrorKind::System,
            "hnsim: overlay networks on Linux hosts are not modelled yet".into(),
        ))
    }

    fn delete_network(&mut self, id: &str, ctx: &mut HostCtx) {
        self.reported.retain(|(i, _)| i != id);
        self.network_names.retain(|(i, _)| i != id);
        self.dns.network_removed(id);
        self.ln.delete_network(ctx.eng, id);
    }

    fn check_run(&self, args: &RunArgs, net_key: &str) -> Result<RunSettings, String> {
        run::check_run(self, args, net_key)
    }

    /// busybox servers the command starts (`httpd -f -p 80`, `nc -lk -p 9000`).
    fn command_services(&self, command: &[String]) -> (Vec<u16>, Vec<u16>) {
        (crate::shell::busybox::listeners(command), Vec::new())
    }

    fn check_connect(
        &self,
        store: &Store,
        c: &Container,
        net: &DockerNetwork,
        ip: bool,
        aliases: bool,
    ) -> Result<(), String> {
        run::check_connect(self.ln.engine, store, c, net, ip, aliases)
    }

    fn check_disconnect(&self, c: &Container, net: &DockerNetwork) -> Result<(), String> {
        let host_mode = c
            .attachments
            .first()
            .is_some_and(|a| Some(&a.network_id) == self.host_network.as_ref());
        if host_mode && net.driver == "host" && c.state == ContainerState::Running {
            return Err(run::host_network_conflict(self.ln.engine, false));
        }
        Ok(())
    }

    /// Up to v28.0 the refusal names the network's id, from v28.1 its containers.
    fn active_endpoints(&self, net: &DockerNetwork, users: &[(&str, &str)]) -> String {
        if self.ln.engine.names_active_endpoints() {
            let users: Vec<String> = users
                .iter()
                .map(|(name, id)| {
                    format!("name:{name:?} id:{:?}", crate::docker::store::short_id(id))
                })
                .collect();
            return format!(
                "error while removing network: network {} has active endpoints ({})",
                net.name,
                users.join(", ")
            );
        }
        format!(
            "error while removing network: network {} id {} has active endpoints",
            net.name, net.id
        )
    }

    fn attach_notes(&self, _net: &DockerNetwork, _c: &Container) -> Vec<String> {
        Vec::new()
    }

    fn create_sandbox(
        &mut self,
        c: &Container,
        tcp: Vec<u16>,
        udp: Vec<u16>,
        ctx: &mut HostCtx,
    ) -> (NodeId, bool) {
        let (node, owned) = container::create_namespace(self, c, tcp, udp, ctx);
        self.interface_counters.retain(|(n, _)| *n != node);
        self.prefix_counters.retain(|(n, _, _)| *n != node);
        (node, owned)
    }

    fn attach(
        &mut self,
        store: &mut Store,
        ci: usize,
        a: usize,
        rng: &mut SimRng,
        ctx: &mut HostCtx,
    ) -> Result<(), String> {
        container::attach(self, store, ci, a, rng, ctx)?;
        if let Some(sandbox) = store.containers[ci].sandbox {
            container::update_default_route(self, ctx.eng, sandbox);
        }
        Ok(())
    }

    fn detach(&mut self, _network_id: Option<&str>, endpoint: &str, ctx: &mut HostCtx) {
        self.addressless_endpoints.retain(|e| e != endpoint);
        let sandbox = self.ln.endpoint(endpoint).map(|e| e.sandbox);
        if let Some(e) = self.ln.endpoint(endpoint) {
            self.ports.release(&e.ports);
        }
        dns::left(self, endpoint, ctx);
        self.ln.delete_endpoint(ctx.eng, endpoint);
        if let Some(sandbox) = sandbox {
            container::update_default_route(self, ctx.eng, sandbox);
        }
    }

    /// The embedded DNS changes with each endpoint as it joins and leaves (`dns::joined`,
    /// `dns::left`): nothing to rebuild.
    fn refresh_dns(&self, _store: &Store, _ctx: &mut HostCtx) {}

    fn keeps_links(&self) -> bool {
        true
    }

    fn container_file(&self, store: &Store, container: &Container, path: &str) -> Option<String> {
        files::container_file(self, store, container, path)
    }

    fn endpoint(&self, id: &str) -> Option<EndpointView> {
        if self.addressless_endpoints.iter().any(|e| e == id) {
            // docker shows no address, gateway nor MAC for them.
            return Some(EndpointView {
                id: id.to_string(),
                mac: crate::wire::MacAddr::zero(),
                ip: Ipv4Addr::UNSPECIFIED,
                prefix_len: 0,
                gateway: Ipv4Addr::UNSPECIFIED,
                ports: Vec::new(),
            });
        }
        let e = self.ln.endpoint(id)?;
        Some(EndpointView {
            id: e.id.clone(),
            mac: e.mac,
            ip: e.ip,
            prefix_len: e.prefix,
            gateway: e.gateway.unwrap_or(Ipv4Addr::UNSPECIFIED),
            ports: e
                .ports
                .iter()
                .map(|m| PublishedPort {
                    proto: crate::control::libnetwork::iptables::proto_name(m.proto),
                    host_ip: m.host_ip.to_string(),
                    host_port: m.host_port,
                    container_port: m.container_port,
                })
                .collect(),
        })
    }

    /// The namespace stays while a guest's process holds it (oracle
    /// container-mode/target-restarts: after `docker restart c1`, c2 runs on with only lo).
    fn sandbox_outlives_owner(&self) -> bool {
        true
    }

    /// The 20.10 CLI lists `docker port` unsorted, as `ip:port` without brackets.
    fn legacy_port_listing(&self) -> bool {
        self.ln.engine == crate::control::engine::DockerEngine::V20_10
    }

    fn inspect_extras(&self, _net: &DockerNetwork) -> (&'static str, Vec<(String, String)>) {
        ("default", Vec::new())
    }

    fn overlay_members(&self, _store: &Store) -> Vec<OverlayMember> {
        Vec::new()
    }

    fn apply_overlay_peers(
        &mut self,
        _store: &Store,
        _remote: &[OverlayMember],
        _ctx: &mut HostCtx,
    ) {
    }
}
