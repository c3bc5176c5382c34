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
pub mod stp;
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

/// The operating system of a container host, as a scenario names it: `WindowsServer2022`
/// (every `WindowsVersion` by its own name) or `Linux(engine: V29)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum HostOs {
    /// A Linux host with the Docker Engine release `engine`.
    Linux {
        #[serde(default)]
        engine: engine::DockerEngine,
    },
    #[serde(untagged)]
    Windows(version::WindowsVersion),
}

impl Default for HostOs {
    fn default() -> Self {
        HostOs::Windows(version::WindowsVersion::default())
    }
}

impl HostOs {
    pub fn windows(self) -> Option<version::WindowsVersion> {
        match self {
            HostOs::Windows(v) => Some(v),
            HostOs::Linux { .. } => None,
        }
    }

    pub fn engine(self) -> Option<engine::DockerEngine> {
        match self {
            HostOs::Linux { engine } => Some(engine),
            HostOs::Windows(_) => None,
        }
    }

    /// The OS with a version overridden (`hnsim run --os`, `--engine`): a Windows host takes
    /// `windows`, a Linux host `engine`; a host of the other kind stays as it is.
    pub fn overridden(
        self,
        windows: Option<version::WindowsVersion>,
        engine: Option<engine::DockerEngine>,
    ) -> HostOs {
        match (self, windows, engine) {
            (HostOs::Windows(_), Some(v), _) => HostOs::Windows(v),
            (HostOs::Linux { .. }, _, Some(engine)) => HostOs::Linux { engine },
            (os, _, _) => os,
        }
    }
}

impl std::fmt::Display for HostOs {
    /// `Windows Server 2022`, `Linux (Docker Engine 29)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostOs::Windows(v) => write!(f, "{v}"),
            HostOs::Linux { engine } => write!(f, "Linux ({engine})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario names a host's OS as before (`WindowsServer2019`), or as a Linux host with
    /// its engine release.
    #[test]
    fn host_os_reads_both_spellings() {
        #[derive(serde::Deserialize)]
        struct H {
            os: HostOs,
        }
        let os = |s: &str| ron::from_str::<H>(s).map(|h| h.os);
        assert_eq!(
            os("(os: WindowsServer2019)"),
            Ok(HostOs::Windows(version::WindowsVersion::Server2019))
        );
        assert_eq!(
            os("(os: Linux(engine: V20_10))"),
            Ok(HostOs::Linux {
                engine: engine::DockerEngine::V20_10
            })
        );
        assert!(os("(os: Solaris)").is_err());
        assert_eq!(
            HostOs::Linux {
                engine: engine::DockerEngine::V28
            }
            .to_string(),
            "Linux (Docker Engine 28)"
        );
    }
}
