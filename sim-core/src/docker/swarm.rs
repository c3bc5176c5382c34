//! Swarm mode, as far as the overlay driver needs it: who is in the swarm and with which
//! role, the cluster's overlay networks with their subnets and VNIs, and the cluster-wide IP
//! allocation (reference 3.3: "IPAM by the swarm manager, assigned through HNS") through
//! `ipam::IpPool` in its lowest-free order.
//!
//! One `Swarm` is shared by every host of a world (it stands for the raft store). The daemons
//! read and change it; the world then tells each host's HNS about the other hosts' endpoints
//! (the overlay peer gossip). Nothing here touches a packet.
//!
//! `docker swarm init` creates the `ingress` network first, as swarmkit's manager does, so
//! it holds the first subnet of the default address pool (10.0.0.0/24) and the first VNI
//! (4096); the networks users create come after it.

use super::backend::Refusal;
use super::errdefs::ErrorKind;
use crate::control::ids;
use crate::control::ipam::{self, IpPool};
use crate::rng::SimRng;
use ipnetwork::Ipv4Network;
use std::net::Ipv4Addr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Manager,
    Worker,
}

#[derive(Clone, Debug)]
pub struct SwarmNode {
    pub host: String,
    pub node_id: String,
    pub role: Role,
}

/// One subnet of an overlay network and its VXLAN id.
#[derive(Clone, Debug)]
pub struct OverlaySubnet {
    pub subnet: Ipv4Network,
    pub gateway: Ipv4Addr,
    pub vni: u32,
    /// The manager's pool for this subnet, made from `subnet` and `gateway`.
    addresses: IpPool,
}

#[derive(Clone, Debug)]
pub struct OverlayNetwork {
    pub id: String,
    pub name: String,
    pub attachable: bool,
    /// The routing mesh's network, which `docker swarm init` creates.
    pub ingress: bool,
    pub subnets: Vec<OverlaySubnet>,
    /// The user's options, and the driver state the manager adds (the VNIs it assigned,
    /// under `com.docker.network.driver.overlay.vxlanid_list`).
    pub options: Vec<(String, String)>,
    /// Why the manager's allocator could not allocate the network, if it could not. Creating
    /// a swarm network only stores it; the allocator runs afterwards, so the network exists
    /// (with no subnets) and only a container that tries to join it finds out.
    pub allocation_error: Option<String>,
}

/// What a container gets when it joins a network the allocator never allocated: the daemon
/// waits for the attachment 20 seconds, then gives up (moby `daemon/cluster/networks.go`).
pub const ATTACH_TIMED_OUT: &str = "attaching to network failed, make sure your network options are correct and check manager logs: context deadline exceeded";

/// The first VNI the manager hands out: Windows cannot use VXLAN ids that overlap 802.1Q VLAN
/// ids (reference 3.3).
pub const FIRST_VNI: u32 = 4096;
const MAX_VNI: u32 = (1 << 24) - 1;
/// The option under which the overlay driver records each subnet's VNI.
pub const VXLANID_LIST: &str = "com.docker.network.driver.overlay.vxlanid_list";

/// The swarm-wide store.
#[derive(Debug)]
pub struct Swarm {
    pub nodes: Vec<SwarmNode>,
    /// The manager's address and port, as `docker swarm join` must name them.
    pub manager_addr: Option<String>,
    pub worker_token: String,
    pub manager_token: String,
    pub networks: Vec<OverlayNetwork>,
    rng: SimRng,
}

pub const NOT_A_MANAGER: &str = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.";
pub const ALREADY_IN_SWARM: &str = "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one.";
pub const WORKER_CANNOT_CREATE: &str = "Cannot create a multi-host network from a worker node. Please create the network from a manager node.";
pub const NOT_IN_SWARM: &str = "This node is not part of a swarm";
/// What a worker gets for a command that changes the swarm's state (moby
/// `daemon/cluster/errors.go`, `errNoManager`).
pub const NO_MANAGER: &str = "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.";

impl Swarm {
    pub fn new(rng: SimRng) -> Self {
        Swarm {
            nodes: Vec::new(),
            manager_addr: None,
            worker_token: String::new(),
            manager_token: String::new(),
            networks: Vec::new(),
            rng,
        }
    }

    pub fn node(&self, host: &str) -> Option<&SwarmNode> {
        self.nodes.iter().find(|n| n.host == host)
    }

    pub fn is_manager(&self, host: &str) -> bool {
        self.node(host).is_some_and(|n| n.role == Role::Manager)
    }

    /// `docker swarm init` on `host`, advertising `addr`. Returns what docker prints.
    pub fn init(&mut self, host: &str, addr: Ipv4Addr) -> Result<String, Refusal> {
        if self.node(host).is_some() || self.manager_addr.is_some() {
            return Err(unavailable(ALREADY_IN_SWARM));
        }
        let node_id = ids::docker_id(&mut self.rng)[..25].to_string();
        let cluster = ids::docker_id(&mut self.rng);
        self.worker_token = format!(
            "SWMTKN-1-{}-{}",
            &cluster[..50],
            &ids::docker_id(&mut self.rng)[..25]
        );
        self.manager_token = format!(
            "SWMTKN-1-{}-{}",
            &cluster[..50],
            &ids::docker_id(&mut self.rng)[..25]
        );
        let manager_addr = format!("{addr}:2377");
        self.nodes.push(SwarmNode {
            host: host.into(),
            node_id: node_id.clone(),
            role: Role::Manager,
        });
        // swarmkit's manager creates the routing mesh's network as soon as it leads.
        let ingress = Ipv4Network::new(Ipv4Addr::new(10, 0, 0, 0), 24).expect("a /24");
        self.add_network("ingress", &[ingress], &[], &[], false, true, Vec::new())
            // Only an exhausted pool fails here, which swarmkit does not type.
            .map_err(|e| Refusal::Daemon(ErrorKind::System, e))?;
        let out = format!(
            "Swarm initialized: current node ({node_id}) is now a manager.\n\nTo add a worker to this swarm, run the following command:\n\n    docker swarm join --token {} {manager_addr}\n\nTo add a manager to this swarm, run 'docker swarm join-token manager' and follow the instructions.\n",
            self.worker_token
        );
        self.manager_addr = Some(manager_addr);
        Ok(out)
    }

    /// `docker swarm join --token T REMOTE` on `host`. The manager token makes a manager; any
    /// other well-formed token a worker (hnsim does not make users copy the printed token).
    pub fn join(
        &mut self,
        host: &str,
        token: Option<&str>,
        remote: &str,
    ) -> Result<String, Refusal> {
        if self.node(host).is_some() {
            return Err(unavailable(ALREADY_IN_SWARM));
        }
        let Some(manager) = &self.manager_addr else {
            return Err(unavailable(TIMEOUT));
        };
        let remote = if remote.contains(':') {
            remote.to_string()
        } else {
            format!("{remote}:2377")
        };
        if &remote != manager {
            return Err(unavailable(TIMEOUT));
        }
        let token = token.unwrap_or_default();
        if !token.starts_with("SWMTKN-1-") {
            // swarmkit's `ca.ParseJoinToken` error reaches the daemon untyped, as far as
            // hnsim traced it.
            return Err(Refusal::Daemon(
                ErrorKind::System,
                "invalid join token".into(),
            ));
        }
        let role = if token == self.manager_token {
            Role::Manager
        } else {
            Role::Worker
        };
        let node_id = ids::docker_id(&mut self.rng)[..25].to_string();
        self.nodes.push(SwarmNode {
            host: host.into(),
            node_id,
            role,
        });
        Ok(match role {
            Role::Manager => "This node joined a swarm as a manager.\n".into(),
            Role::Worker => "This node joined a swarm as a worker.\n".into(),
        })
    }

    /// `docker swarm leave [--force]` on `host`: a manager needs `--force` (moby's words for
    /// why, by how many managers stay reachable); when the last manager leaves, the swarm's
    /// state is gone with it.
    pub fn leave(&mut self, host: &str, force: bool) -> Result<(), Refusal> {
        let i = self
            .nodes
            .iter()
            .position(|n| n.host == host)
            .ok_or_else(|| unavailable(NOT_IN_SWARM))?;
        let managers = self
            .nodes
            .iter()
            .filter(|n| n.role == Role::Manager)
            .count();
        if self.nodes[i].role == Role::Manager && !force {
            let mut msg = String::from(
                "You are attempting to leave the swarm on a node that is participating as a manager. ",
            );
            // Every manager is reachable in hnsim; a quorum is lost when at most one other
            // manager stays (moby's removingManagerCausesLossOfQuorum).
            if managers <= 2 {
                if managers == 1 {
                    msg.push_str("Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message. ");
                    return Err(unavailable(msg));
                }
                msg.push_str(&format!("Removing this node leaves {} managers out of {managers}. Without a Raft quorum your swarm will be inaccessible. ", managers - 1));
            }
            msg.push_str("The only way to restore a swarm that has lost consensus is to reinitialize it with `--force-new-cluster`. Use `--force` to suppress this message.");
            return Err(unavailable(msg));
        }
        let node = self.nodes.remove(i);
        if node.role == Role::Manager && managers == 1 {
            self.manager_addr = None;
            self.worker_token.clear();
            self.manager_token.clear();
            self.networks.clear();
        }
        Ok(())
    }

    pub fn network(&self, key: &str) -> Option<&OverlayNetwork> {
        self.networks
            .iter()
            .find(|n| n.name == key)
            .or_else(|| self.networks.iter().find(|n| n.id == key))
    }

    /// Creates an overlay network on the manager: subnets (the swarm's default pool
    /// 10.0.0.0/8 in /24s when none is given) and VNIs (listed, or from 4096 up).
    pub fn create_network(
        &mut self,
        name: &str,
        subnets: &[Ipv4Network],
        gateways: &[Ipv4Addr],
        vnis: &[u32],
        attachable: bool,
        options: Vec<(String, String)>,
    ) -> Result<String, String> {
        self.add_network(name, subnets, gateways, vnis, attachable, false, options)
    }

    #[allow(clippy::too_many_arguments)]
    fn add_network(
        &mut self,
        name: &str,
        subnets: &[Ipv4Network],
        gateways: &[Ipv4Addr],
        vnis: &[u32],
        attachable: bool,
        ingress: bool,
        mut options: Vec<(String, String)>,
    ) -> Result<String, String> {
        let mut chosen: Vec<Ipv4Network> = subnets.to_vec();
        if chosen.is_empty() {
            let used: Vec<Ipv4Network> = self
                .networks
                .iter()
                .flat_map(|n| n.subnets.iter().map(|s| s.subnet))
                .collect();
            let free = (0u32..65536)
                .map(|i| Ipv4Network::new(Ipv4Addr::from(0x0a00_0000 | (i << 8)), 24).expect("/24"))
                .find(|c| !used.iter().any(|u| ipam::overlaps(*u, *c)))
                .ok_or("could not find an available IP")?;
            chosen.push(free);
        }
        let mut used_vnis: Vec<u32> = self
            .networks
            .iter()
            .flat_map(|n| n.subnets.iter().map(|s| s.vni))
            .collect();
        let mut out = Vec::new();
        let mut allocation_error = None;
        for (i, subnet) in chosen.iter().enumerate() {
            let subnet = Ipv4Network::new(subnet.network(), subnet.prefix()).expect("valid prefix");
            let vni = match vnis.get(i) {
                Some(v) if used_vnis.contains(v) => {
                    allocation_error = Some(format!(
                        "could not assign vxlan id {v} to pool {subnet}: requested bit is already allocated"
                    ));
                    break;
                }
                Some(v) if *v > MAX_VNI || *v == 0 => {
                    allocation_error = Some(format!("invalid vxlan id value \"{v}\" passed"));
                    break;
                }
                Some(v) => *v,
                None => (FIRST_VNI..=MAX_VNI)
                    .find(|v| !used_vnis.contains(v))
                    .ok_or_else(|| {
                        format!("could not obtain vxlan id for pool {subnet}: no bit available")
                    })?,
            };
            used_vnis.push(vni);
            let gateway = gateways
                .get(i)
                .copied()
                .unwrap_or_else(|| ipam::first_host(subnet));
            out.push(OverlaySubnet {
                subnet,
                gateway,
                vni,
                addresses: IpPool::new(subnet, gateway),
            });
        }
        if allocation_error.is_some() {
            // A failed allocation keeps nothing: no subnet, no VNI.
            out.clear();
        } else {
            // The manager's driver state: the VNIs it assigned, whether listed or picked.
            let list: Vec<String> = out.iter().map(|s| s.vni.to_string()).collect();
            options.retain(|(k, _)| k != VXLANID_LIST);
            options.push((VXLANID_LIST.into(), list.join(",")));
        }
        let id = ids::docker_id(&mut self.rng)[..25].to_string();
        self.networks.push(OverlayNetwork {
            id: id.clone(),
            name: name.into(),
            attachable,
            ingress,
            subnets: out,
            options,
            allocation_error,
        });
        Ok(id)
    }

    /// `docker network rm` of a swarm network, from `host`: only a manager may, and only
    /// while no task (a container's attachment) holds an address on it.
    pub fn remove_network(&mut self, host: &str, id: &str) -> Result<(), Refusal> {
        if !self.is_manager(host) {
            return Err(unavailable(NO_MANAGER));
        }
        let i = self
            .networks
            .iter()
            .position(|n| n.id == id)
            .ok_or_else(|| {
                Refusal::Daemon(ErrorKind::NotFound, format!("network {id} not found"))
            })?;
        let in_use = self.networks[i]
            .subnets
            .iter()
            .any(|s| s.addresses.allocated().next().is_some());
        if in_use {
            let task = ids::docker_id(&mut self.rng)[..25].to_string();
            // A gRPC FailedPrecondition: 400 (`statusCodeFromGRPCError`).
            return Err(Refusal::Daemon(
                ErrorKind::InvalidParameter,
                format!(
                    "rpc error: code = FailedPrecondition desc = network {id} is in use by task {task}"
                ),
            ));
        }
        self.networks.remove(i);
        Ok(())
    }

    /// The swarm allocator: the requested address (in whichever subnet holds it), or the
    /// lowest free host address, from the first subnet that has one.
    pub fn allocate(&mut self, net_id: &str, want: Option<Ipv4Addr>) -> Result<Ipv4Addr, String> {
        let net = self
            .networks
            .iter_mut()
            .find(|n| n.id == net_id)
            .ok_or_else(|| format!("network {net_id} not found"))?;
        match want {
            Some(ip) => {
                let s = net
                    .subnets
                    .iter_mut()
                    .find(|s| s.subnet.contains(ip))
                    .ok_or_else(|| {
                        format!(
                            "invalid endpoint settings:\nno configured subnet contains IP address {ip}"
                        )
                    })?;
                // libnetwork's IPAM holds the gateway, network and broadcast addresses from the
                // start, so each is "in use" like a taken one.
                s.addresses
                    .reserve(ip)
                    .map_err(|_| format!("Address already in use: {ip}"))
            }
            None => net
                .subnets
                .iter_mut()
                .find_map(|s| s.addresses.allocate_lowest().ok())
                .ok_or_else(|| "could not find an available IP".into()),
        }
    }

    pub fn release(&mut self, net_id: &str, ip: Ipv4Addr) {
        if let Some(n) = self.networks.iter_mut().find(|n| n.id == net_id) {
            for s in &mut n.subnets {
                s.addresses.release(ip);
            }
        }
    }
}

/// moby's `notAvailableError` (`daemon/cluster/errors.go`): every refusal of a node's swarm
/// state (not in one, already in one, not a manager, a manager leaving) is `Unavailable`.
fn unavailable(msg: impl Into<String>) -> Refusal {
    Refusal::Daemon(ErrorKind::Unavailable, msg.into())
}

const TIMEOUT: &str = "Timeout was reached before node joined. The attempt to join the swarm will continue in the background. Use the \"docker info\" command to see the current swarm status of your node.";

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Network {
        s.parse().expect("test subnet")
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().expect("test address")
    }

    #[test]
    fn a_network_of_two_subnets_gets_a_vni_each_and_fills_the_first_subnet_first() {
        let mut swarm = Swarm::new(SimRng::derive(1, "swarm"));
        let id = swarm
            .create_network(
                "ov",
                &[net("10.0.0.0/30"), net("10.0.1.0/24")],
                &[],
                &[],
                true,
                Vec::new(),
            )
            .expect("created");
        let vnis: Vec<u32> = swarm.networks[0].subnets.iter().map(|s| s.vni).collect();
        assert_eq!(vnis, [FIRST_VNI, FIRST_VNI + 1]);
        // A /30 has two hosts; .1 is the gateway, so one address is left.
        assert_eq!(swarm.allocate(&id, None), Ok(ip("10.0.0.2")));
        assert_eq!(swarm.allocate(&id, None), Ok(ip("10.0.1.2")));
        assert_eq!(
            swarm.allocate(&id, Some(ip("10.0.1.9"))),
            Ok(ip("10.0.1.9"))
        );
        assert_eq!(
            swarm.allocate(&id, Some(ip("10.0.1.9"))),
            Err("Address already in use: 10.0.1.9".into())
        );
        assert!(swarm
            .allocate(&id, Some(ip("10.0.2.9")))
            .is_err_and(|e| e.contains("no configured subnet contains IP address 10.0.2.9")));
        swarm.release(&id, ip("10.0.0.2"));
        assert_eq!(swarm.allocate(&id, None), Ok(ip("10.0.0.2")));
        // The gateway, the network and the broadcast address are never handed out.
        for held in ["10.0.1.1", "10.0.1.0", "10.0.1.255"] {
            assert_eq!(
                swarm.allocate(&id, Some(ip(held))),
                Err(format!("Address already in use: {held}"))
            );
        }
    }
}
