//! A host's control plane: what turns a network driver's requests into device configuration
//! as plain data. `hns` is Windows' (HNS and its IPAM, per Windows Server version); `plan` is
//! the OS-neutral way every driver installs and removes what it owns.
//!
//! Owns turning requests (a network, an endpoint, a policy) into device configuration: vSwitch
//! ports and MAC entries, host vNICs, routes, and rules for the generic rule engine. It
//! configures devices and never touches a packet.

pub mod engine;
pub mod hns;
pub mod ids;
pub mod ipam;
pub mod libnetwork;
pub mod plan;
pub mod tcpip;
pub mod version;

use crate::id::{NodeId, PortId};
use serde::Serialize;

/// Where a host's pieces live in the engine.
#[derive(Clone, Debug)]
pub struct HostNodes {
    pub host: String,
    /// The host's own IP stack (its default compartment on Windows, its root namespace on
    /// Linux).
    pub stack: NodeId,
    /// Ports of the host stack that are physical NICs.
    pub physical: Vec<PortId>,
}

/// How a container is isolated: in the host's kernel (its NIC a host vNIC), or in a utility
/// VM (Windows' Hyper-V isolation: a synthetic VM NIC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Isolation {
    Process,
    HyperV,
}
