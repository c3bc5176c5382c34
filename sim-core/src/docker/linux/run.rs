//! `docker run` and `docker network connect` on Linux: what the daemon refuses (in the
//! words of the host's Docker Engine release) and what it makes of the flags before the
//! container starts (reference linux-drivers.md sections 2.2 and 2.3; the 20.10 texts from
//! tests/oracle/fixtures).

use super::container::predefined_endpoint_settings;
use super::Linux;
use crate::control::engine::DockerEngine;
use crate::docker::backend::RunSettings;
use crate::docker::cli::RunArgs;
use crate::docker::store::Isolation;
use crate::docker::store::{Container, ContainerState, DockerNetwork, Store};

/// What the Linux daemon refuses in `docker run`, and what it makes of the rest.
pub(super) fn check_run(l: &Linux, args: &RunArgs, net_key: &str) -> Result<RunSettings, String> {
    let engine = l.ln.engine;
    let prefix = |msg: &str| {
        if engine.validates_ipam_config() {
            format!("invalid endpoint settings:\n{msg}")
        } else {
            msg.to_string()
        }
    };
    if let Some(i) = args.isolation.as_deref().filter(|i| *i != "default") {
        return Err(format!(
            "Invalid isolation: {i:?} - linux only supports 'default'"
        ));
    }
    let mut warnings = Vec::new();
    let predefined = ["bridge", "host", "none", "default"].contains(&net_key);
    network_mode_conflicts(args, net_key)?;
    // `verifyNetworkingConfig`: the 20.10 daemon takes one network at create time (the API
    // took several from v1.44, Docker 25).
    if !args.more_networks.is_empty() && !engine.several_networks_at_create() {
        let all: Vec<&str> = std::iter::once(net_key)
            .chain(args.more_networks.iter().map(String::as_str))
            .collect();
        return Err(format!(
            "Container cannot be connected to network endpoints: {}",
            all.join(", ")
        ));
    }
    if let Some(ip) = args.ip.as_deref() {
        if ip.parse::<std::net::Ipv4Addr>().is_err() {
            return Err(prefix(&format!("invalid IPv4 address: {ip}")));
        }
    }
    // Only the -p flag warns (an --expose'd port under -P does not).
    if net_key == "host" && !args.publish.is_empty() {
        warnings.push("Published ports are discarded when using host network mode".into());
    }
    // Up to v24 the endpoint settings are judged when the container starts
    // (`docker::linux::container::attach`); from v25 at create.
    if args.ip.is_some() && predefined && engine.validates_ipam_config() {
        return Err(prefix(
            "user specified IP address is supported on user defined networks only",
        ));
    }
    if let Some(name) = args.name.as_deref().filter(|n| !valid_container_name(n)) {
        return Err(format!(
            "Invalid container name ({name}), only {CONTAINER_NAME_CHARS} are allowed"
        ));
    }
    if !args.network_aliases.is_empty() && predefined {
        return Err(if engine >= DockerEngine::V29 {
            "network-scoped aliases are only supported for user-defined networks".into()
        } else {
            "network-scoped alias is supported only for containers in user defined networks".into()
        });
    }
    Ok(RunSettings {
        isolation: Isolation::Process,
        notes: Vec::new(),
        warnings,
    })
}

/// The daemon's `validateNetContainerMode` and `validateNetMode` (moby
/// `runconfig/hostconfig_unix.go`), in their order: what a container sharing another's
/// namespace (`container:<x>`), or the host's, may not set.
fn network_mode_conflicts(args: &RunArgs, net_key: &str) -> Result<(), String> {
    let container_mode = net_key.starts_with("container:");
    if container_mode && net_key.len() == "container:".len() {
        return Err("Invalid network mode: invalid container format container:<name|id>".into());
    }
    let conflict = |what: &str| Err(format!("conflicting options: {what}"));
    if container_mode {
        if args.hostname.is_some() {
            return conflict("hostname and the network mode");
        }
        if !args.links.is_empty() {
            return conflict("container type network can't be used with links. This would result in undefined behavior");
        }
        if !args.dns.is_empty() {
            return conflict("dns and the network mode");
        }
        if !args.add_hosts.is_empty() {
            return conflict("custom host-to-IP mapping and the network mode");
        }
    }
    if (container_mode || net_key == "host") && args.mac_address.is_some() {
        return conflict("mac-address and the network mode");
    }
    if container_mode && (!args.publish.is_empty() || args.publish_all) {
        return conflict("port publishing and the container type network mode");
    }
    if container_mode && !args.expose.is_empty() {
        return conflict("port exposing and the container type network mode");
    }
    if net_key == "host" && !args.links.is_empty() {
        return conflict("host type networking can't be used with links. This would result in undefined behavior");
    }
    Ok(())
}

/// The refusal to connect a container to the host network, or disconnect a host-mode one
/// from it: one text up to v24 (contradictions #3 and #4 of tests/oracle/README.md), two
/// from v25 (reference 2.2).
pub(super) fn host_network_conflict(engine: DockerEngine, connect: bool) -> String {
    match (engine.validates_ipam_config(), connect) {
        (false, _) => {
            "container cannot be disconnected from host network or connected to host network"
                .into()
        }
        (true, true) => {
            "cannot connect container to host network - container must be created in host network mode".into()
        }
        (true, false) => {
            "cannot disconnect container from host network - container was created in host network mode".into()
        }
    }
}

const SHARED_NAMESPACE: &str = "container sharing network namespace with another container or host cannot be connected to any other network";

/// `docker network connect`: moby's `connectToNetwork`, `updateNetworkConfig` and
/// `updateNetworkSettings`, in their order (reference 2.2).
pub(super) fn check_connect(
    engine: DockerEngine,
    store: &Store,
    c: &Container,
    net: &DockerNetwork,
    ip: bool,
    aliases: bool,
) -> Result<(), String> {
    let running = c.state == ContainerState::Running;
    if running && c.net_from.is_some() {
        return Err(SHARED_NAMESPACE.into());
    }
    if net.predefined {
        predefined_endpoint_settings(engine, ip, aliases)?;
    }
    let driver_of = |id: &str| store.network_by_id(id).map(|n| n.driver.as_str());
    let host_mode = c
        .attachments
        .first()
        .is_some_and(|a| driver_of(&a.network_id) == Some("host"));
    if !host_mode && net.driver == "host" {
        return Err(host_network_conflict(engine, true));
    }
    for a in &c.attachments {
        let Some(other) = store.network_by_id(&a.network_id) else {
            continue;
        };
        if other.id == net.id {
            continue;
        }
        // "private" network modes are the ones that are neither host nor container.
        if other.driver == "host" || net.driver == "host" {
            return Err(SHARED_NAMESPACE.into());
        }
        if other.name == "none" || net.name == "none" {
            return Err("container cannot be connected to multiple networks with one of the networks in private (none) mode".into());
        }
    }
    Ok(())
}

/// moby's `validContainerNameChars`: a name is one of these then at least one of the rest.
const CONTAINER_NAME_CHARS: &str = "[a-zA-Z0-9][a-zA-Z0-9_.-]";

/// moby's `validContainerNamePattern`, `^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$` (checked when the
/// daemon reserves the name, after the settings).
fn valid_container_name(name: &str) -> bool {
    let name = name.strip_prefix('/').unwrap_or(name);
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}
