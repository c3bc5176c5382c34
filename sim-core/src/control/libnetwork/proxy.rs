//! docker-proxy, the userland proxy (`userland-proxy: true`, the default): one process per
//! published host binding, listening on the host's address and port and relaying each
//! connection to the container from the host's own stack (reference linux-drivers.md
//! section 5.3; `portmapper/proxy_linux.go`). It serves what the nat rules do not rewrite:
//! connections from the host itself to `127.0.0.1` (nat `OUTPUT ! -d 127.0.0.0/8`), and,
//! on 20.10, every connection from a container to a host address (nat `DOCKER -i <bridge>
//! -j RETURN`). The container then sees the bridge gateway as the client: the host's route
//! to the container leaves by the bridge, whose address is the gateway.
//!
//! The relay itself is the generic one of the stack (`device::stack::socket::relay`); here
//! docker's endpoint becomes its listeners, one plan item each, removed with the endpoint.

use super::{Endpoint, PortMap};
use crate::control::plan::{Item, Planner};
use crate::device::stack::RelayListener;
use crate::id::NodeId;
use std::net::SocketAddrV4;

/// The process name `ss -p` and traces show.
pub const NAME: &str = "docker-proxy";

/// The listener of one published binding.
pub fn listener(m: &PortMap, container: std::net::Ipv4Addr) -> RelayListener {
    RelayListener {
        name: NAME.into(),
        proto: m.proto,
        bind: m.host_ip,
        port: m.host_port,
        target: SocketAddrV4::new(container, m.container_port),
    }
}

/// A docker-proxy for each of the endpoint's published bindings (IPv6 ones too: 20.10
/// proxies host IPv6 traffic to the container's IPv4 address).
pub fn endpoint(p: &mut Planner, host: NodeId, ep: &Endpoint) {
    for m in &ep.ports {
        p.push(Item::Relay {
            stack: host,
            relay: listener(m, ep.ip),
        });
    }
}
