//! The world at run time: the engine plus each host's docker daemon (with its control plane,
//! HNS on Windows, as the daemon's backend), and the operations a scenario step performs on
//! them.
//!
//! Every run of the engine goes through `run_engine`, which runs a scheduled action (see
//! `scheduled`) when the engine says its control event is due, and then lets the engine go on
//! to the original deadline or condition.

use super::scheduled::{ControlAction, Effect, Fired};
use crate::control::hns::Hns;
use crate::control::stp::SpanningTree;
use crate::control::{HostNodes, HostOs};
use crate::device::stack::probe::{ProbeProto, ProbeRequest, ProbeTarget};
use crate::device::{Action, Device, Hop, Outcome};
use crate::docker::backend::OverlayMember;
use crate::docker::cli;
use crate::docker::daemon::{CommandOutput, Daemon, HostCtx, Images};
use crate::docker::store::ContainerState;
use crate::docker::swarm::Swarm;
use crate::engine::{Engine, RunStop};
use crate::id::{LinkId, NodeId, ProbeId};
use crate::rng::SimRng;
use crate::scenario::SystemService;
use crate::shell::{self, ShellOutput};
use crate::time::{SimDuration, SimTime};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

pub struct Host {
    pub name: String,
    pub os: HostOs,
    pub nodes: HostNodes,
    /// docker's daemon, with the host's control plane as its backend.
    pub daemon: Daemon,
    /// Set when dockerd failed to start (e.g. the default network could not be created).
    pub daemon_error: Option<String>,
}

impl Host {
    /// The host's HNS (every host is a Windows host today; a Linux host has none).
    pub fn hns(&self) -> Option<&Hns> {
        self.daemon.backend.hns()
    }

    /// Whether docker here has a swarm overlay network (the only kind that swarm gossip
    /// and a swarm's network removal concern).
    pub fn has_overlay_network(&self) -> bool {
        self.daemon
            .store
            .networks
            .iter()
            .any(|n| n.driver == "overlay")
    }
}

/// The end of one probe, with everything its frames went through.
#[derive(Clone, Debug)]
pub struct ProbeResult {
    pub id: ProbeId,
    pub from: String,
    pub to: String,
    pub proto: ProbeProto,
    pub outcome: Outcome,
    /// What the originator saw.
    pub detail: String,
    /// It ended on a DNS answer that gave its name no address: the answer's rcode.
    pub unresolved: Option<u8>,
    /// Where and why the probe was dropped, if a device dropped it.
    pub drop: Option<(String, String)>,
    /// The address the scenario looked up for a node name, when DNS was not used.
    pub looked_up: Option<Ipv4Addr>,
    pub hops: Vec<Hop>,
    /// The name of each hop's node when the hop was recorded (a node removed since, by a
    /// reboot or a docker command, keeps its name here).
    pub hop_nodes: Vec<String>,
    /// Scheduled actions that ran while the probe was in flight (or settling): for each, how
    /// many of `hops` came before it, and its index in `World::fired`.
    pub fired: Vec<(usize, usize)>,
    /// Set if the run hit a limit while the probe was in flight.
    pub stopped: Option<RunStop>,
    /// How many of the probe's hops the trace left out (`limits.max_trace_hops`).
    pub hops_left_out: u64,
}

/// Time a probe's last frames (a TCP close) get after its outcome is known.
const SETTLE: SimDuration = SimDuration::from_millis(5);

pub struct World {
    pub engine: Engine,
    /// The swarm store the hosts share (overlay networks and their addresses).
    pub swarm: Swarm,
    pub hosts: Vec<Host>,
    pub fabric: BTreeMap<String, NodeId>,
    pub images: Images,
    probe_timeout: SimDuration,
    next_probe: u32,
    /// Set once a run limit was hit; later steps do not run.
    pub stopped: Option<RunStop>,
    /// Actions waiting for their control event, by token: (due time, action).
    scheduled: BTreeMap<u64, (SimTime, ControlAction)>,
    next_token: u64,
    /// Actions that ran, in the order they ran.
    fired: Vec<Fired>,
    /// What busybox servers keep between commands: outside hosts' web pages, and the log
    /// lines of `httpd -v` servers.
    pub busybox: shell::busybox::State,
    /// Faults in place: partitions by name, and failed hosts by name, each with the links it
    /// took down (by name: binding a NIC to a vSwitch re-plugs its cable under a new id).
    faults: Faults,
    /// The switches that run spanning tree; it converges again whenever a cable changes.
    pub spanning_tree: SpanningTree,
}

/// The faults in place while the run goes on (see `World::perform`).
#[derive(Default)]
struct Faults {
    partitions: BTreeMap<String, Vec<String>>,
    hosts_down: BTreeMap<String, Vec<String>>,
    /// How many times faults were set on links: each setting draws from a stream of its own.
    impairments_set: u64,
}

impl Faults {
    /// Whether a fault other than `except` (a partition's or a host's name) still holds `link`
    /// down, so that healing `except` must leave it down.
    fn holds(&self, link: &str, except: &str) -> bool {
        self.partitions
            .iter()
            .chain(self.hosts_down.iter())
            .any(|(name, links)| name != except && links.iter().any(|l| l == link))
    }
}

impl World {
    pub fn new(engine: Engine, images: Images, probe_timeout: SimDuration) -> Self {
        World {
            swarm: Swarm::new(SimRng::derive(engine.seed(), "swarm")),
            engine,
            hosts: Vec::new(),
            fabric: BTreeMap::new(),
            images,
            probe_timeout,
            next_probe: 1,
            stopped: None,
            scheduled: BTreeMap::new(),
            next_token: 1,
            fired: Vec::new(),
            busybox: shell::busybox::State::default(),
            faults: Faults::default(),
            spanning_tree: SpanningTree::default(),
        }
    }

    fn host_index(&self, name: &str) -> Option<usize> {
        self.hosts.iter().position(|h| h.name == name)
    }

    /// Runs `f` on a host's daemon with everything it works with.
    fn with_daemon<R>(&mut self, hi: usize, f: impl FnOnce(&mut Daemon, &mut HostCtx) -> R) -> R {
        let h = &mut self.hosts[hi];
        let mut ctx = HostCtx {
            eng: &mut self.engine,
            nodes: &h.nodes,
            images: &self.images,
            swarm: &mut self.swarm,
        };
        f(&mut h.daemon, &mut ctx)
    }

    /// One request to a host's Engine API socket (`curl --unix-socket`); `None` when the
    /// host has no running daemon (nothing listens on the socket).
    pub fn engine_api(
        &mut self,
        host: &str,
        req: &crate::docker::api::Request,
    ) -> Option<crate::docker::api::Response> {
        let hi = self.host_index(host)?;
        if self.hosts[hi].daemon_error.is_some() {
            return None;
        }
        let out = self.with_daemon(hi, |d, ctx| crate::docker::api::handle(d, ctx, req));
        self.gossip_overlay_peers();
        Some(out)
    }

    /// Runs a docker command line on a host, as typed.
    pub fn docker(&mut self, host: &str, line: &str) -> CommandOutput {
        let Some(hi) = self.host_index(host) else {
            return CommandOutput {
                error: Some(format!("hnsim: no host named {host:?}")),
                ..Default::default()
            };
        };
        if let Some(e) = &self.hosts[hi].daemon_error {
            return CommandOutput {
                error: Some(format!("hnsim: dockerd is not running on {host}: {e}")),
                ..Default::default()
            };
        }
        if self.faults.hosts_down.contains_key(host) {
            return CommandOutput {
                error: Some(format!(
                    "hnsim: {host} is down (it failed); nothing answers until a HostUp step brings it back"
                )),
                ..Default::default()
            };
        }
        let release = self.hosts[hi].daemon.backend.cli_release();
        let cmd = match cli::parse_with(line, release) {
            Ok(c) => c,
            Err(e) => {
                return CommandOutput {
                    error: Some(e.message),
                    exit_code: Some(e.exit_code),
                    ..Default::default()
                }
            }
        };
        let out = self.with_daemon(hi, |d, ctx| d.execute(cmd, ctx));
        for other in 0..self.hosts.len() {
            // Only an overlay network can have left the swarm.
            if self.hosts[other].has_overlay_network() {
                self.with_daemon(other, |d, ctx| d.forget_removed_swarm_networks(ctx));
            }
        }
        self.gossip_overlay_peers();
        out
    }

    /// Runs a command line as typed in a shell on `on`: a container host, or a fabric node
    /// such as an outside host. `docker …` goes to the host's daemon; a `docker exec` that
    /// sends a probe runs it. A tool hnsim does not model says so with status 127. `sudo`
    /// in front changes nothing (every modelled shell is root's; `shell::without_sudo`).
    pub fn shell(&mut self, on: &str, line: &str) -> ShellOutput {
        if let Some(rest) = shell::without_sudo(line) {
            return self.shell(on, rest);
        }
        let argv = match shell::words(line) {
            Ok(w) => w,
            Err(e) => return e,
        };
        let Some(tool) = argv.first() else {
            return ShellOutput::ok("");
        };
        if tool == "curl" {
            return shell::host::curl::run(self, on, &argv);
        }
        if tool != "docker" && tool != "docker.exe" {
            if let Some(out) = shell::busybox::on_node(self, on, &argv) {
                return out;
            }
            return self.host_tool(on, &argv);
        }
        let Some(hi) = self.host_index(on) else {
            return ShellOutput::not_modelled(tool);
        };
        if matches!(self.hosts[hi].os, HostOs::Linux { .. }) {
            if let Some(out) = shell::busybox::docker_line(self, hi, line, &argv) {
                return out;
            }
        }
        let out = self.docker(on, line);
        let Some(probe) = out.probe.clone() else {
            return ShellOutput::from_docker(&out);
        };
        let Some(container) = exec_container(&argv) else {
            return ShellOutput::from_docker(&out);
        };
        match self.exec_probe(on, &container, probe.target, probe.proto) {
            Ok(r) => ShellOutput {
                exit_code: i32::from(r.outcome != Outcome::Delivered),
                ..ShellOutput::from_docker(&out)
            },
            Err(e) => ShellOutput::fail(1, format!("{e}\n")),
        }
    }

    /// A host tool (`iptables`, `ip`, `bridge`, `sysctl`, `conntrack`, `ss`, `nsenter`) typed
    /// on a Linux host or a fabric node: it runs on that node's namespace.
    fn host_tool(&mut self, on: &str, argv: &[String]) -> ShellOutput {
        let tool = argv[0].as_str();
        if !shell::host::is_host_tool(tool) {
            return ShellOutput::not_modelled(tool);
        }
        let (node, pids) = if let Some(h) = self.hosts.iter().find(|h| h.name == on) {
            if h.os.engine().is_none() {
                return ShellOutput::fail(
                    127,
                    format!(
                        "hnsim: {tool}: a Linux tool; {on} runs {} (not modelled there)\n",
                        h.os
                    ),
                );
            }
            let pids: Vec<(u32, NodeId)> = h
                .daemon
                .store
                .containers
                .iter()
                .filter(|c| c.state == ContainerState::Running && c.pid != 0)
                .filter_map(|c| c.sandbox.map(|n| (c.pid, n)))
                .collect();
            (h.nodes.stack, pids)
        } else if let Some(n) = self.fabric.get(on) {
            (*n, Vec::new())
        } else {
            return ShellOutput::not_modelled(tool);
        };
        shell::host::run(&mut self.engine, node, &pids, argv)
    }

    /// Adds services to a running container.
    pub fn listen(
        &mut self,
        host: &str,
        container: &str,
        tcp: &[u16],
        udp: &[u16],
    ) -> Result<(), String> {
        let hi = self
            .host_index(host)
            .ok_or_else(|| format!("no host named {host:?}"))?;
        self.with_daemon(hi, |d, ctx| d.listen(container, tcp, udp, ctx))
    }

    /// Attaches an HNS endpoint on `network` to the host's own compartment (see
    /// `Hns::attach_host_endpoint`). Returns the address it holds.
    pub fn host_endpoint(
        &mut self,
        host: &str,
        network: &str,
        ip: Option<Ipv4Addr>,
    ) -> Result<Ipv4Addr, String> {
        let hi = self
            .host_index(host)
            .ok_or_else(|| format!("no host named {host:?}"))?;
        self.with_daemon(hi, |d, ctx| d.host_endpoint(network, ip, ctx))
    }

    /// Reboots a host: its stack forgets its run-time state, its control plane and dockerd
    /// restart.
    pub fn reboot(&mut self, host: &str) -> Result<(), String> {
        let hi = self
            .host_index(host)
            .ok_or_else(|| format!("no host named {host:?}"))?;
        let h = &mut self.hosts[hi];
        if let Some(s) = self
            .engine
            .device_mut(h.nodes.stack)
            .and_then(Device::as_stack_mut)
        {
            s.reset_state();
        }
        let mut ctx = HostCtx {
            eng: &mut self.engine,
            nodes: &h.nodes,
            images: &self.images,
            swarm: &mut self.swarm,
        };
        let r = h.daemon.reboot(&mut ctx);
        h.daemon_error = r.clone().err();
        self.gossip_overlay_peers();
        r
    }

    /// The overlay peer table, as swarm gossip spreads it: every host that has an overlay
    /// network learns each container the other hosts have on it (on Windows, an HNS remote
    /// endpoint and a name in the embedded DNS).
    /// Runs after every command, so its result depends only on the state, never on timing.
    pub fn gossip_overlay_peers(&mut self) {
        // Only a host with an overlay network takes part (a backend applies peers to its
        // overlay networks alone): with none, as on hosts of nat or bridge networks only,
        // gossip costs a look at each host's networks, not a peer list per host (issue 12).
        let in_swarm_net: Vec<bool> = self.hosts.iter().map(Host::has_overlay_network).collect();
        if !in_swarm_net.contains(&true) {
            return;
        }
        let members: Vec<(usize, Vec<OverlayMember>)> = self
            .hosts
            .iter()
            .enumerate()
            .map(|(hi, h)| (hi, h.daemon.backend.overlay_members(&h.daemon.store)))
            .collect();
        let taking_part = in_swarm_net.iter().enumerate().filter(|(_, t)| **t);
        for (hi, _) in taking_part {
            let remote: Vec<OverlayMember> = members
                .iter()
                .filter(|(from, _)| *from != hi)
                .flat_map(|(_, m)| m.iter().cloned())
                .collect();
            self.with_daemon(hi, |d, ctx| {
                d.backend.apply_overlay_peers(&d.store, &remote, ctx)
            });
        }
    }

    /// The networks docker has on a host, as a reboot step prints them: `nat (172.23.0.0/20),
    /// my_nat (10.244.0.0/24)`.
    pub fn docker_networks(&self, host: &str) -> Option<String> {
        let h = self.hosts.iter().find(|h| h.name == host)?;
        let nets: Vec<String> = h
            .daemon
            .store
            .networks
            .iter()
            .map(|n| {
                format!(
                    "{} ({})",
                    n.name,
                    n.ipam.first().map(|x| x.0.as_str()).unwrap_or("-")
                )
            })
            .collect();
        Some(nets.join(", "))
    }

    pub fn set_link(&mut self, name: &str, up: bool) -> Result<(), String> {
        let id = self
            .engine
            .topology()
            .find_link(name)
            .ok_or_else(|| format!("no link named {name:?}"))?;
        self.engine.set_link_up(id, up);
        self.spanning_tree.converge(&mut self.engine);
        Ok(())
    }

    /// The cable on a host's NIC, as it is plugged now: the link on the NIC's port of the
    /// host stack, or, for a NIC bound to an external vSwitch (alone or in a SET team), the
    /// link on that vSwitch's uplink port for the NIC, where binding re-plugged the cable.
    pub fn nic_link(&self, host: &str, nic: &str) -> Result<(LinkId, String), String> {
        let h = self
            .hosts
            .iter()
            .find(|h| h.name == host)
            .ok_or_else(|| format!("no host named {host:?}"))?;
        let stack = self
            .engine
            .device(h.nodes.stack)
            .and_then(Device::as_stack)
            .ok_or_else(|| format!("{host} has no IP stack"))?;
        // A bound NIC's interface is the host vNIC `vEthernet (<NIC>)`.
        let bound_name = format!("vEthernet ({nic})");
        let port = h
            .nodes
            .physical
            .iter()
            .copied()
            .find(|p| {
                let name = stack.iface_name(*p);
                name == nic || name == bound_name
            })
            .ok_or_else(|| format!("{host} has no NIC {nic:?}"))?;
        let plugged = h
            .daemon
            .backend
            .nic_plugged(port)
            .unwrap_or((h.nodes.stack, port));
        let link = self
            .engine
            .link_on_port(plugged.0, plugged.1)
            .ok_or_else(|| format!("NIC {host}.{nic} has no cable"))?;
        let name = self
            .engine
            .topology()
            .link(link)
            .map(|l| l.name.clone())
            .unwrap_or_default();
        Ok((link, name))
    }

    /// A host NIC fails (`up` false) or comes back: the cable on it goes down or up. Returns
    /// the cable's name.
    pub fn set_nic(&mut self, host: &str, nic: &str, up: bool) -> Result<String, String> {
        let (link, name) = self.nic_link(host, nic)?;
        self.engine.set_link_up(link, up);
        self.spanning_tree.converge(&mut self.engine);
        Ok(name)
    }

    /// Schedules `action` to run at `at` (simulated time since the start of the run), while
    /// the steps after this call run. Returns its token. Fails if `at` is already past.
    pub fn schedule(&mut self, at: SimTime, action: ControlAction) -> Result<u64, String> {
        let now = self.engine.now();
        if at < now {
            return Err(format!(
                "it was scheduled for t={at}, but the run is already at t={now}, so it did not run; move this step before the step that passes that time"
            ));
        }
        let token = self.next_token;
        self.next_token += 1;
        self.engine.schedule_control(at, token);
        self.scheduled.insert(token, (at, action));
        Ok(token)
    }

    /// The scheduled actions that ran, in the order they ran.
    pub fn fired(&self) -> &[Fired] {
        &self.fired
    }

    /// How many scheduled actions have not run yet.
    pub fn pending_scheduled(&self) -> usize {
        self.scheduled.len()
    }

    /// Lets time run until every scheduled action has run (a run stopped by a limit runs
    /// nothing more).
    pub fn run_scheduled(&mut self) {
        let Some(last) = self.scheduled.values().map(|(at, _)| *at).max() else {
            return;
        };
        if self.stopped.is_none() {
            self.run_to(last);
        }
    }

    /// Runs what is due at the current instant (an action scheduled for now).
    pub fn run_due(&mut self) {
        if self.stopped.is_none() {
            self.run_to(self.engine.now());
        }
    }

    pub fn wait(&mut self, d: SimDuration) {
        self.run_to(self.engine.now() + d);
    }

    /// Runs the engine to `until`, noting a limit if one is hit.
    fn run_to(&mut self, until: SimTime) {
        let stop = self.run_engine(until, |_| false);
        if stop.is_limit() {
            self.stopped = Some(stop);
        }
    }

    /// Runs the engine to `until` or until `stop` holds, running each scheduled action when
    /// its control event is due. Never returns `RunStop::Control`.
    fn run_engine(&mut self, until: SimTime, mut stop: impl FnMut(&Engine) -> bool) -> RunStop {
        loop {
            match self.engine.run_until(until, &mut stop) {
                RunStop::Control(token) => self.fire(token),
                other => return other,
            }
        }
    }

    /// Runs the action filed under `token`, now, and records what it did.
    fn fire(&mut self, token: u64) {
        let Some((_, action)) = self.scheduled.remove(&token) else {
            return;
        };
        let time = self.engine.now();
        let trace_len = self.engine.trace().len();
        let effect = self.perform(&action);
        self.fired.push(Fired {
            token,
            time,
            action,
            trace_len,
            effect,
        });
    }

    /// Runs an action now and says what it did.
    pub fn perform(&mut self, action: &ControlAction) -> Effect {
        match action {
            ControlAction::Docker { host, cmd } => {
                let mut out = self.docker(host, cmd);
                if out.probe.take().is_some() {
                    out.notes.push(
                        "a scheduled docker exec does not run its probe; write it as a Docker step of its own"
                            .into(),
                    );
                }
                Effect::Docker(out)
            }
            ControlAction::Link { link, up } => match self.set_link(link, *up) {
                Ok(()) => Effect::Link {
                    link: link.clone(),
                    up: *up,
                },
                Err(e) => Effect::Failed(e),
            },
            ControlAction::Nic { host, nic, up } => match self.set_nic(host, nic, *up) {
                Ok(link) => Effect::Link { link, up: *up },
                Err(e) => Effect::Failed(e),
            },
            ControlAction::Reboot { host } => match self.reboot(host) {
                Err(e) if self.host_index(host).is_none() => Effect::Failed(e),
                r => Effect::Rebooted {
                    networks: self.docker_networks(host).unwrap_or_default(),
                    error: r.err(),
                },
            },
            ControlAction::Impair { link, faults } => {
                let Some(id) = self.engine.topology().find_link(link) else {
                    return Effect::Failed(format!("no link named {link:?}"));
                };
                self.faults.impairments_set += 1;
                let round = self.faults.impairments_set;
                self.engine
                    .set_link_impairment(id, Some(faults.clone()), round);
                Effect::Impaired
            }
            ControlAction::Partition { name, links, nodes } => self.partition(name, links, nodes),
            ControlAction::Heal { name } => match self.faults.partitions.remove(name) {
                None => Effect::Failed(format!("no partition named {name:?} is in place")),
                Some(links) => Effect::Links {
                    links: self.bring_up(name, links),
                    up: true,
                },
            },
            ControlAction::Host { host, up } => self.set_host(host, *up),
            ControlAction::RestartService { host, service } => self.restart_service(host, *service),
        }
    }

    /// Takes the links called `names` down; returns those that were up.
    fn take_down(&mut self, names: Vec<String>) -> Vec<String> {
        let mut cut = Vec::new();
        for name in names {
            let Some(id) = self.engine.topology().find_link(&name) else {
                continue;
            };
            if self.engine.link_is_up(id) && !cut.contains(&name) {
                self.engine.set_link_up(id, false);
                cut.push(name);
            }
        }
        self.spanning_tree.converge(&mut self.engine);
        cut
    }

    /// Brings back up the links the fault `fault` took down, except those another fault still
    /// holds down; returns those that came up.
    fn bring_up(&mut self, fault: &str, names: Vec<String>) -> Vec<String> {
        let mut up = Vec::new();
        for name in names {
            if self.faults.holds(&name, fault) {
                continue;
            }
            if let Some(id) = self.engine.topology().find_link(&name) {
                self.engine.set_link_up(id, true);
                up.push(name);
            }
        }
        self.spanning_tree.converge(&mut self.engine);
        up
    }

    /// The names of the cables of a node: a host's NIC cables (where they are plugged now),
    /// or every link of a fabric node.
    fn cables_of(&self, node: &str) -> Result<Vec<String>, String> {
        if let Some(h) = self.hosts.iter().find(|h| h.name == node) {
            let mut names = Vec::new();
            for &port in &h.nodes.physical {
                let plugged = h
                    .daemon
                    .backend
                    .nic_plugged(port)
                    .unwrap_or((h.nodes.stack, port));
                if let Some(l) = self.engine.link_on_port(plugged.0, plugged.1) {
                    if let Some(info) = self.engine.topology().link(l) {
                        names.push(info.name.clone());
                    }
                }
            }
            return Ok(names);
        }
        let id = self
            .fabric
            .get(node)
            .ok_or_else(|| format!("no host or fabric node named {node:?}"))?;
        Ok(self
            .engine
            .topology()
            .links()
            .filter(|(_, l)| l.a.0 == *id || l.b.0 == *id)
            .map(|(_, l)| l.name.clone())
            .collect())
    }

    /// A partition: the links, and every cable of the nodes, go down together.
    fn partition(&mut self, name: &str, links: &[String], nodes: &[String]) -> Effect {
        if self.faults.partitions.contains_key(name) {
            return Effect::Failed(format!("partition {name:?} is already in place"));
        }
        let mut names = Vec::new();
        for link in links {
            if self.engine.topology().find_link(link).is_none() {
                return Effect::Failed(format!("no link named {link:?}"));
            }
            names.push(link.clone());
        }
        for node in nodes {
            match self.cables_of(node) {
                Ok(c) => names.extend(c),
                Err(e) => return Effect::Failed(e),
            }
        }
        let cut = self.take_down(names);
        self.faults.partitions.insert(name.to_string(), cut.clone());
        Effect::Links {
            links: cut,
            up: false,
        }
    }

    /// A host fails (power lost: its cables go down) or comes back (it boots, as a reboot
    /// does, and its cables come back up).
    fn set_host(&mut self, host: &str, up: bool) -> Effect {
        if self.host_index(host).is_none() {
            return Effect::Failed(format!("no host named {host:?}"));
        }
        if !up {
            if self.faults.hosts_down.contains_key(host) {
                return Effect::Failed(format!("{host} is already down"));
            }
            let cables = match self.cables_of(host) {
                Ok(c) => c,
                Err(e) => return Effect::Failed(e),
            };
            let cut = self.take_down(cables);
            // Every device of the host stops: its stack, vSwitches and containers.
            self.engine.power_off(host);
            self.faults.hosts_down.insert(host.to_string(), cut.clone());
            return Effect::Links {
                links: cut,
                up: false,
            };
        }
        let Some(cut) = self.faults.hosts_down.remove(host) else {
            return Effect::Failed(format!("{host} is not down"));
        };
        // Power lost: what a reboot loses is lost (the state goes when the power does; it
        // is taken away here, where nothing could have reached the host in between). The
        // devices run again first, so that what the boot sends goes out.
        self.engine.power_on(host);
        let error = self.reboot(host).err();
        let links = self.bring_up(host, cut);
        Effect::HostBack {
            links,
            networks: self.docker_networks(host).unwrap_or_default(),
            error,
        }
    }

    /// A system service of a host restarts.
    fn restart_service(&mut self, host: &str, service: SystemService) -> Effect {
        let Some(hi) = self.host_index(host) else {
            return Effect::Failed(format!("no host named {host:?}"));
        };
        if self.faults.hosts_down.contains_key(host) {
            return Effect::Failed(format!("{host} is down"));
        }
        match service {
            SystemService::Docker => {
                let r = self.with_daemon(hi, |d, ctx| d.restart(ctx));
                self.hosts[hi].daemon_error = r.error.clone();
                self.gossip_overlay_peers();
                let list = |v: &[String]| {
                    if v.is_empty() {
                        "none".to_string()
                    } else {
                        v.join(", ")
                    }
                };
                let mut kept = format!(
                    "networks {}",
                    self.docker_networks(host).unwrap_or_default()
                );
                if !r.restarted.is_empty() {
                    kept.push_str(&format!(
                        "; started again by their restart policy: {}",
                        r.restarted.join(", ")
                    ));
                }
                let mut lost = format!("running containers stopped: {}", list(&r.stopped));
                if !r.failed.is_empty() {
                    lost.push_str(&format!("; could not restart: {}", r.failed.join("; ")));
                }
                Effect::Restarted {
                    kept,
                    lost,
                    error: r.error,
                }
            }
            SystemService::Hns => {
                let h = &self.hosts[hi];
                if h.hns().is_none() {
                    return Effect::Failed(format!("{host} is not a Windows host: it has no HNS"));
                }
                // HNS re-reads its networks and endpoints and programs them again as they
                // were; what lived only in memory, WinNAT's sessions, is gone.
                let stack = h.nodes.stack;
                let sessions = self
                    .engine
                    .device_mut(stack)
                    .and_then(Device::as_stack_mut)
                    .map(|s| {
                        let ct = s.conntrack_mut();
                        let n = ct.len();
                        ct.clear();
                        n
                    })
                    .unwrap_or(0);
                let (nets, eps) = self.hosts[hi]
                    .hns()
                    .map(|h| (h.networks.len(), h.endpoints.len()))
                    .unwrap_or_default();
                Effect::Restarted {
                    kept: format!("{nets} HNS networks and {eps} endpoints, programmed again"),
                    lost: format!("{sessions} WinNAT sessions"),
                    error: None,
                }
            }
        }
    }

    /// Finds the node a probe starts from: a container ("web" or "host1/web"), a host, or a
    /// fabric node.
    pub fn resolve_source(&self, name: &str) -> Result<NodeId, String> {
        if let Some(n) = self.fabric.get(name) {
            return Ok(*n);
        }
        let mut found = Vec::new();
        for h in &self.hosts {
            for c in &h.daemon.store.containers {
                if c.name == name || format!("{}/{}", h.name, c.name) == name {
                    found.push((h.name.clone(), c));
                }
            }
        }
        match found.as_slice() {
            [(_, c)] => match (c.state, c.sandbox) {
                (ContainerState::Running, Some(n)) => Ok(n),
                _ => Err(format!("container {name:?} is not running")),
            },
            [] => Err(format!("no container, host or fabric node named {name:?}")),
            _ => Err(format!(
                "{name:?} names containers on several hosts; write host/container"
            )),
        }
    }

    /// The address a probe goes to. A container's name goes through DNS when the source is a
    /// container on a network it shares with the target, as it would inside the container.
    /// Any other node name is looked up in the scenario (the outside world has no DNS for
    /// containers), so that a probe can show what happens when the address itself is tried.
    fn resolve_target(&self, from: &str, to: &str) -> ProbeTarget {
        if let Ok(ip) = to.parse::<Ipv4Addr>() {
            return ProbeTarget::Addr(ip);
        }
        if let Some(ip) = self
            .fabric
            .get(to)
            .and_then(|n| self.engine.device(*n))
            .and_then(Device::as_stack)
            .and_then(|s| s.primary_addr())
        {
            return ProbeTarget::Addr(ip);
        }
        let networks = |name: &str| -> Vec<String> {
            self.hosts
                .iter()
                .flat_map(|h| {
                    h.daemon
                        .store
                        .containers
                        .iter()
                        .filter(move |c| c.name == name || format!("{}/{}", h.name, c.name) == name)
                        .map(move |c| (h, c))
                })
                .flat_map(|(h, c)| {
                    c.attachments
                        .iter()
                        .map(move |a| format!("{}/{}", h.name, a.network_id))
                })
                .collect()
        };
        let (src, dst) = (networks(from), networks(to));
        if !dst.is_empty() && !src.iter().any(|n| dst.contains(n)) {
            let ip = self
                .resolve_source(to)
                .ok()
                .and_then(|n| self.engine.device(n))
                .and_then(Device::as_stack)
                .and_then(|s| s.primary_addr());
            if let Some(ip) = ip {
                return ProbeTarget::Addr(ip);
            }
        }
        ProbeTarget::Name(to.to_string())
    }

    /// Runs a probe from a scenario step.
    pub fn probe(
        &mut self,
        from: &str,
        to: &str,
        proto: ProbeProto,
    ) -> Result<ProbeResult, String> {
        let node = self.resolve_source(from)?;
        let target = self.resolve_target(from, to);
        let looked_up = match (&target, to.parse::<Ipv4Addr>()) {
            (ProbeTarget::Addr(a), Err(_)) => Some(*a),
            _ => None,
        };
        let mut r = self.run_probe(node, from, to, target, proto, None);
        r.looked_up = looked_up;
        Ok(r)
    }

    /// Runs a probe that `docker exec` asked for: the target is resolved inside the container.
    pub fn exec_probe(
        &mut self,
        host: &str,
        container: &str,
        target: ProbeTarget,
        proto: ProbeProto,
    ) -> Result<ProbeResult, String> {
        let node = self.resolve_source(&format!("{host}/{container}"))?;
        let to = match &target {
            ProbeTarget::Addr(a) => a.to_string(),
            ProbeTarget::Name(n) => n.clone(),
        };
        Ok(self.run_probe(node, container, &to, target, proto, None))
    }

    /// Runs a probe from `node` that a shell tool sent, waiting at most `timeout` for it.
    pub(crate) fn tool_probe(
        &mut self,
        node: NodeId,
        from: &str,
        target: ProbeTarget,
        proto: ProbeProto,
        timeout: SimDuration,
        dns_server: Option<Ipv4Addr>,
    ) -> ProbeResult {
        let to = match &target {
            ProbeTarget::Addr(a) => a.to_string(),
            ProbeTarget::Name(n) => n.clone(),
        };
        let saved = std::mem::replace(&mut self.probe_timeout, timeout);
        let r = self.run_probe(node, from, &to, target, proto, dns_server);
        self.probe_timeout = saved;
        self.busybox.probes.push(r.clone());
        r
    }

    fn run_probe(
        &mut self,
        node: NodeId,
        from: &str,
        to: &str,
        target: ProbeTarget,
        proto: ProbeProto,
        dns_server: Option<Ipv4Addr>,
    ) -> ProbeResult {
        let id = ProbeId(self.next_probe);
        self.next_probe += 1;
        if let Some(host) = self.downed_host_of(node) {
            // A host without power runs nothing (its devices drop what reaches them): the
            // probe is not started, and ends at once rather than at its timeout, which would
            // wait for the power.
            let why = format!("{host} is down (it failed): a host without power runs nothing");
            return ProbeResult {
                id,
                from: from.into(),
                to: to.into(),
                proto,
                outcome: Outcome::Dropped,
                detail: format!("nothing was sent: {host} is down"),
                drop: Some((host, why)),
                unresolved: None,
                looked_up: None,
                hops: Vec::new(),
                hop_nodes: Vec::new(),
                fired: Vec::new(),
                stopped: None,
                hops_left_out: 0,
            };
        }
        let trace_start = self.engine.trace().len();
        let ended_start = self.engine.ended().len();
        let req = ProbeRequest {
            id,
            target,
            proto,
            timeout: self.probe_timeout,
            dns_server,
        };
        self.engine.invoke(node, |d, out| {
            if let Some(s) = d.as_stack_mut() {
                s.start_probe(req, out);
            }
        });
        let fired_start = self.fired.len();
        let deadline = self.engine.now() + self.probe_timeout + SimDuration::from_millis(1);
        let done = |e: &Engine| e.ended()[ended_start..].iter().any(|p| p.probe == id);
        let mut stopped = None;
        if !done(&self.engine) {
            let stop = self.run_engine(deadline, done);
            if stop.is_limit() {
                stopped = Some(stop);
                self.stopped = Some(stop);
            }
        }
        if stopped.is_none() {
            self.wait(SETTLE);
        }
        let end = self.engine.ended()[ended_start..]
            .iter()
            .find(|p| p.probe == id)
            .cloned();
        let (hops, hop_nodes): (Vec<Hop>, Vec<String>) = self.engine.trace()[trace_start..]
            .iter()
            .enumerate()
            .filter(|(_, h)| h.probe == id)
            .map(|(i, h)| {
                let name = self
                    .engine
                    .hop_node_name(trace_start + i)
                    .map_or_else(|| self.node_name(h.node), str::to_string);
                (h.clone(), name)
            })
            .unzip();
        let drop = hops
            .iter()
            .zip(&hop_nodes)
            .find_map(|(h, node)| match &h.action {
                Action::Dropped(r) => Some((node.clone(), r.show(self.engine.syms()).to_string())),
                _ => None,
            });
        let (outcome, detail, unresolved) = match (end, self.downed_host_of(node)) {
            (Some(e), _) => (e.outcome, e.detail, e.unresolved),
            (None, _) if stopped.is_some() => (
                Outcome::Dropped,
                "the run stopped before the probe ended".into(),
                None,
            ),
            // Its host lost power while it was in flight: its timeout waits for the power.
            (None, Some(host)) => (
                Outcome::Dropped,
                format!("{host} went down (it failed) before the probe ended"),
                None,
            ),
            // Its originator forgot it: a reboot or a removal while it was in flight.
            (None, None) => (
                Outcome::Dropped,
                "its originator was reset or removed before the probe ended".into(),
                None,
            ),
        };
        // Where each action that ran meanwhile sits among the probe's hops.
        let fired = (fired_start..self.fired.len())
            .map(|k| {
                let before = self.engine.trace()[trace_start..self.fired[k].trace_len]
                    .iter()
                    .filter(|h| h.probe == id)
                    .count();
                (before, k)
            })
            .collect();
        ProbeResult {
            id,
            from: from.into(),
            to: to.into(),
            proto,
            outcome,
            detail,
            unresolved,
            drop,
            looked_up: None,
            hops,
            hop_nodes,
            fired,
            stopped,
            hops_left_out: self.engine.hops_left_out(id),
        }
    }

    /// The failed host that `node` belongs to (its own stack, or a container or switch in
    /// it), while it is down.
    fn downed_host_of(&self, node: NodeId) -> Option<String> {
        self.engine.unpowered(node).map(str::to_string)
    }

    pub fn node_name(&self, node: NodeId) -> String {
        self.engine
            .topology()
            .node(node)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| format!("node{}", node.0))
    }
}

/// The container a `docker exec` line names: the first word after `exec` that is not an
/// option (exec's options that take a value are skipped with it).
fn exec_container(argv: &[String]) -> Option<String> {
    const TAKES_VALUE: [&str; 8] = [
        "-e",
        "--env",
        "--env-file",
        "-u",
        "--user",
        "-w",
        "--workdir",
        "--detach-keys",
    ];
    let at = argv.iter().position(|w| w == "exec")?;
    let mut words = argv[at + 1..].iter();
    while let Some(w) = words.next() {
        if TAKES_VALUE.contains(&w.as_str()) {
            words.next();
        } else if !w.starts_with('-') {
            return Some(w.clone());
        }
    }
    None
}
