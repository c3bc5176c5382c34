//! docker on Windows: the daemon's Windows backend, which speaks to HNS.
//!
//! Owns what the Windows daemon decides on its own (its predefined `nat` and `none`, what it
//! recreates after a reboot, the `-o` options and `-p` specs it refuses and its words for
//! them, the ports it reserves itself) and the calls it makes into HNS (`control::hns`).
//! `network` handles `docker network create`; `container` a container's compartment,
//! endpoints and embedded DNS; `driver_opts` the windowsshim options.

mod container;
pub mod driver_opts;
mod network;

use super::backend::{
    DriverNetwork, EndpointView, EngineRelease, OsBackend, OverlayMember, PublishedPort, Refusal,
    RunSettings,
};
use super::cli::{NetworkCreate, RunArgs};
use super::daemon::HostCtx;
use super::store::{Container, DockerNetwork, Store};
use crate::control::hns::{Hns, HnsEndpoint};
use crate::control::ids;
use crate::control::version::WindowsVersion;
use crate::device::stack::VxlanPeer;
use crate::device::Device;
use crate::id::{NodeId, PortId};
use crate::rng::SimRng;
use crate::wire;
use ipnetwork::Ipv4Network;
use rustc_hash::FxHashMap;
use std::net::Ipv4Addr;

/// HNS endpoints by id (lookups only: never iterated, so its order reaches no output).
type EndpointIndex<'a> = FxHashMap<&'a str, &'a HnsEndpoint>;

/// The default network and driver on Windows.
const NAT: &str = "nat";
const OVERLAY: &str = "overlay";
/// Where the Windows-only remarks come from.
const WINDOWS_ONLY_NOTE: &str =
    "(Microsoft: \"Unsupported features and network options\", Windows container networking docs)";
/// The option under which docker records the HNS network's id.
const HNSID_OPTION: &str = "com.docker.network.windowsshim.hnsid";
const NETWORKNAME_OPTION: &str = "com.docker.network.windowsshim.networkname";

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

/// The Windows daemon's backend: HNS and the daemon's Windows settings.
pub struct Windows {
    pub hns: Hns,
    pub config: DaemonConfig,
}

impl Windows {
    pub fn new(hns: Hns, config: DaemonConfig) -> Self {
        Windows { hns, config }
    }

    /// The HNS endpoint behind a docker endpoint id.
    fn hns_endpoint(&self, id: &str) -> Option<&HnsEndpoint> {
        self.hns.endpoint(id)
    }

    /// HNS's endpoints by id, built once for a pass over many containers: finding each one
    /// by a scan over the id strings made a pass quadratic (issue 12).
    fn endpoint_index(&self) -> EndpointIndex<'_> {
        self.hns
            .endpoints
            .iter()
            .map(|e| (e.id.as_str(), e))
            .collect()
    }

    /// The running containers on docker network `net_id` with their HNS endpoints.
    fn running_endpoints<'a>(
        store: &'a Store,
        net_id: &'a str,
        index: &'a EndpointIndex<'a>,
    ) -> impl Iterator<Item = (&'a Container, &'a super::store::Attachment, &'a HnsEndpoint)> + 'a
    {
        store
            .running_on(net_id)
            .filter_map(|(c, a, ep)| Some((c, a, *index.get(ep)?)))
    }

    /// Creates the HNS nat network `name` (the default one, or a custom one again after a
    /// reboot).
    fn create_nat(
        &mut self,
        name: &str,
        subnet: Option<Ipv4Network>,
        gateway: Option<Ipv4Addr>,
        ctx: &mut HostCtx,
    ) -> Result<String, String> {
        self.hns
            .create_nat_network(
                ctx.eng,
                ctx.nodes,
                name,
                subnet,
                gateway,
                &self.config.host_prefixes,
            )
            .map_err(|e| e.0)
    }
}

impl OsBackend for Windows {
    fn predefined_networks(&self) -> &'static [&'static str] {
        &["nat", "none", "default"]
    }

    /// Server 2016 ran the Docker EE 17.06 of its era (Docker 23.0 dropped it, moby commit
    /// 1b3fef5333); later releases run the Docker 28 the rest of hnsim follows.
    fn engine(&self) -> EngineRelease {
        if self.hns.version == WindowsVersion::Server2016 {
            EngineRelease::Ee17_06
        } else {
            EngineRelease::V28
        }
    }

    /// Docker EE 17.06 cannot hot-plug an endpoint on Windows (`isNetworkHotPluggable` is
    /// false until moby commit 5c1cfb1d27, Docker 18.03; Server 2016 itself has no hot-add,
    /// reference 8); its words come from `runtime.GOOS`, for connect and disconnect alike.
    fn hot_plug_refusal(&self) -> Option<String> {
        (self.engine() == EngineRelease::Ee17_06)
            .then(|| "windows does not support connecting a running container to a network".into())
    }

    fn default_network(&self) -> &'static str {
        NAT
    }

    fn default_driver(&self) -> &'static str {
        NAT
    }

    fn start(
        &mut self,
        store: &mut Store,
        rng: &mut SimRng,
        ctx: &mut HostCtx,
    ) -> Result<(), String> {
        if !store.networks.iter().any(|n| n.name == "none") {
            let id = ids::docker_id(rng);
            store
                .networks
                .push(DockerNetwork::new(id, "none", "null", ctx.eng.now(), true));
        }
        // Swarm-scoped networks are not dockerd's to delete (reference 2.6): an overlay
        // network whose HNS network vanished stays, and this node builds it again when a
        // container joins it (the overlay driver re-registers what HNS still has, 3.3).
        let hns = &self.hns;
        for n in store.networks.iter_mut().filter(|n| n.driver == OVERLAY) {
            if n.backend_id
                .as_ref()
                .is_some_and(|h| hns.network(h).is_none())
            {
                n.backend_id = None;
            }
        }
        // Other local networks whose HNS network vanished (a reboot on 2019+) are deleted;
        // only nat networks come back (reference 2.6 and 10, "NAT persistence").
        store.networks.retain(|n| {
            n.driver == NAT
                || n.backend_id
                    .as_ref()
                    .is_none_or(|h| hns.network(h).is_some())
        });
        // Custom nat networks whose HNS network vanished (a reboot on 2019+) are recreated
        // with the same name, id and options; the default one gets a new id (reference 2.6).
        let missing: Vec<usize> = (0..store.networks.len())
            .filter(|i| {
                let n = &store.networks[*i];
                n.driver == NAT
                    && n.backend_id
                        .as_ref()
                        .is_none_or(|h| hns.network(h).is_none())
            })
            .collect();
        for i in missing.into_iter().rev() {
            if store.networks[i].predefined {
                store.networks.remove(i);
                continue;
            }
            let n = &store.networks[i];
            let (name, subnet, gw) = (n.name.clone(), n.requested_subnet, n.requested_gateway);
            match self.create_nat(&name, subnet, gw, ctx) {
                Ok(hns_id) => self.adopt(&mut store.networks[i], hns_id),
                Err(_) => {
                    store.networks.remove(i);
                }
            }
        }
        if !self.config.bridge_none && !store.networks.iter().any(|n| n.name == NAT) {
            let hns_id = self
                .create_nat(NAT, self.config.fixed_cidr, None, ctx)
                .map_err(|e| format!("error creating default network: {e}"))?;
            let id = ids::docker_id(rng);
            let mut net = DockerNetwork {
                requested_subnet: self.config.fixed_cidr,
                ..DockerNetwork::new(id, NAT, NAT, ctx.eng.now(), true)
            };
            self.adopt(&mut net, hns_id);
            store.networks.push(net);
        }
        Ok(())
    }

    fn reboot(&mut self, ctx: &mut HostCtx) {
        self.hns.reboot(ctx.eng, ctx.nodes);
    }

    fn create_network(
        &mut self,
        c: &NetworkCreate,
        _rng: &mut SimRng,
        ctx: &mut HostCtx,
    ) -> Result<DriverNetwork, Refusal> {
        network::create(self, c, ctx)
    }

    /// Docker overwrites its IPAM record with what HNS chose (moby commit f366d37c72) and
    /// keeps HNS's id among the options.
    fn adopt(&self, net: &mut DockerNetwork, hns_id: String) {
        if let Some(h) = self.hns.network(&hns_id) {
            net.ipam = vec![(h.pool.subnet.to_string(), h.pool.gateway.to_string())];
        }
        net.options
            .retain(|(k, _)| !k.starts_with("com.docker.network.windowsshim.hns"));
        net.options.push((HNSID_OPTION.into(), hns_id.clone()));
        net.backend_id = Some(hns_id);
    }

    fn overlay_options(&self, c: &NetworkCreate) -> Result<(Vec<u32>, Vec<String>), Refusal> {
        network::overlay_options(c)
    }

    fn delete_network(&mut self, hns_id: &str, ctx: &mut HostCtx) {
        self.hns.delete_network(ctx.eng, ctx.nodes, hns_id);
    }

    fn check_run(&self, args: &RunArgs, net_key: &str) -> Result<RunSettings, String> {
        container::check_run(args, net_key)
    }

    fn attach_notes(&self, net: &DockerNetwork, c: &Container) -> Vec<String> {
        container::attach_notes(net, c)
    }

    fn create_sandbox(
        &mut self,
        c: &Container,
        tcp: Vec<u16>,
        udp: Vec<u16>,
        ctx: &mut HostCtx,
    ) -> (NodeId, bool) {
        (container::create_compartment(c, tcp, udp, ctx), true)
    }

    fn attach(
        &mut self,
        store: &mut Store,
        ci: usize,
        a: usize,
        rng: &mut SimRng,
        ctx: &mut HostCtx,
    ) -> Result<(), String> {
        container::attach(self, store, ci, a, rng, ctx)
    }

    fn detach(&mut self, network_id: Option<&str>, endpoint: &str, ctx: &mut HostCtx) {
        // An overlay address goes back to the swarm's pool.
        if let (Some(net), Some(e)) = (network_id, self.hns_endpoint(endpoint)) {
            ctx.swarm.release(net, e.ip);
        }
        self.hns.delete_endpoint(ctx.eng, ctx.nodes, endpoint);
    }

    fn refresh_dns(&self, store: &Store, ctx: &mut HostCtx) {
        container::refresh_dns(self, store, ctx);
    }

    fn dns_container_added(&self, store: &Store, ci: usize, ctx: &mut HostCtx) {
        container::dns_container_added(self, store, ci, ctx);
    }

    fn endpoint(&self, id: &str) -> Option<EndpointView> {
        let e = self.hns_endpoint(id)?;
        let ports = e
            .port_mappings
            .iter()
            .map(|m| PublishedPort {
                proto: if m.proto == wire::IPPROTO_UDP {
                    "udp"
                } else {
                    "tcp"
                },
                host_ip: "0.0.0.0".into(),
                host_port: m.host_port,
                container_port: m.container_port,
            })
            .collect();
        Some(EndpointView {
            id: e.id.to_ascii_lowercase(),
            mac: e.mac,
            ip: e.ip,
            prefix_len: classful(e.ip),
            gateway: e.gateway,
            ports,
        })
    }

    /// The built-in local drivers use the `windows` IPAM; overlay uses docker's default one
    /// (the swarm allocator), and its driver writes no HNS name back (reference 2.3, 3.3).
    fn inspect_extras(&self, net: &DockerNetwork) -> (&'static str, Vec<(String, String)>) {
        if net.driver == "null" || net.driver == OVERLAY {
            return ("default", Vec::new());
        }
        let ipam_driver = "windows";
        let mut extra = Vec::new();
        if net.backend_id.is_some() && !net.options.iter().any(|(k, _)| k == NETWORKNAME_OPTION) {
            extra.push((NETWORKNAME_OPTION.to_string(), net.name.clone()));
        }
        (ipam_driver, extra)
    }

    fn overlay_members(&self, store: &Store) -> Vec<OverlayMember> {
        let mut members = Vec::new();
        // Asked after every command on every host: with no overlay network, no index.
        if !store.networks.iter().any(|n| n.driver == OVERLAY) {
            return members;
        }
        let index = self.endpoint_index();
        for d in store.networks.iter().filter(|n| n.driver == OVERLAY) {
            let Some(net) = d.backend_id.as_deref().and_then(|id| self.hns.network(id)) else {
                continue;
            };
            let Some(pa) = net.provider_address else {
                continue;
            };
            for (c, a, e) in Self::running_endpoints(store, &d.id, &index) {
                members.push(OverlayMember {
                    network_id: d.id.clone(),
                    peer: VxlanPeer {
                        mac: e.mac,
                        ip: e.ip,
                        pa,
                    },
                    names: Store::names_of(c, a),
                });
            }
        }
        members
    }

    /// Each overlay network gets an HNS remote endpoint per remote container, and its
    /// embedded resolvers answer for them: service discovery on overlay is swarm-wide.
    fn apply_overlay_peers(&mut self, store: &Store, remote: &[OverlayMember], ctx: &mut HostCtx) {
        let nets = store
            .networks
            .iter()
            .filter(|n| n.driver == OVERLAY)
            .filter_map(|n| Some((n.id.as_str(), n.backend_id.as_deref()?)));
        for (docker_id, hns_id) in nets {
            let theirs: Vec<&OverlayMember> = remote
                .iter()
                .filter(|m| m.network_id == docker_id)
                .collect();
            let peers = theirs.iter().map(|m| m.peer).collect();
            self.hns
                .set_overlay_peers(ctx.eng, ctx.nodes, hns_id, peers);
            let gateways: Vec<Ipv4Addr> = self
                .hns
                .network(hns_id)
                .map(|n| n.gateways().collect())
                .unwrap_or_default();
            let local_ips: Vec<Ipv4Addr> = self
                .hns
                .endpoints
                .iter()
                .filter(|e| e.network_id == hns_id)
                .map(|e| e.ip)
                .collect();
            let resolvers = ctx
                .eng
                .device_mut(ctx.nodes.stack)
                .and_then(Device::as_stack_mut)
                .into_iter()
                .flat_map(|s| s.config.embedded_dns_mut().iter_mut())
                .filter(|d| gateways.contains(&d.bind));
            for dns in resolvers {
                // Names of remote containers that stopped are gone from the swarm too.
                dns.records.retain(|(_, ip)| {
                    local_ips.contains(ip) || theirs.iter().any(|m| m.peer.ip == *ip)
                });
                for m in &theirs {
                    for n in &m.names {
                        if !dns.records.iter().any(|(r, _)| r == n) {
                            dns.records.push((n.clone(), m.peer.ip));
                        }
                    }
                }
            }
        }
    }

    fn host_endpoint(
        &mut self,
        store: &Store,
        network: &str,
        ip: Option<Ipv4Addr>,
        ctx: &mut HostCtx,
    ) -> Result<Ipv4Addr, String> {
        let id = store
            .find_network(network)
            .and_then(|i| store.networks[i].backend_id.clone())
            .ok_or_else(|| format!("{} has no network {network:?}", ctx.nodes.host))?;
        self.hns
            .attach_host_endpoint(ctx.eng, ctx.nodes, &id, ip)
            .map_err(|e| e.0)
    }

    fn nic_plugged(&self, nic: PortId) -> Option<(NodeId, PortId)> {
        self.hns.external.iter().find_map(|x| {
            if x.nic_port == nic {
                Some((x.vswitch, x.uplink))
            } else {
                x.team
                    .iter()
                    .find(|m| m.nic_port == nic)
                    .map(|m| (x.vswitch, m.uplink))
            }
        })
    }

    fn hns(&self) -> Option<&Hns> {
        Some(&self.hns)
    }
}

/// Docker stores a local-driver endpoint's address with the classful default mask, not the
/// subnet's (reference 2.3), so a /20 nat address shows as /16.
fn classful(ip: Ipv4Addr) -> u8 {
    match ip.octets()[0] {
        0..=127 => 8,
        128..=191 => 16,
        _ => 24,
    }
}
