//! What a switch holds of the spanning tree: its bridge identity, the root it found and the
//! role of each of its ports that is cabled to another bridge, as plain data.
//!
//! The control plane (`control::stp`) computes the converged result of IEEE 802.1w (RSTP)
//! and writes it here; the switch only reads which ports are discarding. A port that is not
//! listed (to a host, a router, a switch without spanning tree) is an edge port: designated
//! and forwarding.

use crate::id::PortId;
use crate::wire::MacAddr;
use serde::Serialize;

/// A port's role in the spanning tree (802.1w 17.7). Root and designated ports forward;
/// alternate and backup ports discard: they neither forward nor learn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum PortRole {
    /// This bridge's best way to the root bridge.
    Root,
    /// The port that serves its cable: the end nearer the root.
    Designated,
    /// Another way to the root, kept discarding; it takes over when the root port fails.
    Alternate,
    /// A second port of this same bridge on a cable it already serves, discarding.
    Backup,
}

impl PortRole {
    /// Whether frames pass the port (root and designated ports are forwarding).
    pub fn forwards(self) -> bool {
        matches!(self, PortRole::Root | PortRole::Designated)
    }

    /// The role as 802.1w names it.
    pub fn name(self) -> &'static str {
        match self {
            PortRole::Root => "root",
            PortRole::Designated => "designated",
            PortRole::Alternate => "alternate",
            PortRole::Backup => "backup",
        }
    }
}

/// A bridge identifier: priority, then MAC (802.1D 9.2.5); the lower one wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct BridgeId {
    pub priority: u16,
    pub mac: [u8; 6],
}

impl BridgeId {
    pub fn new(priority: u16, mac: MacAddr) -> Self {
        let MacAddr(a, b, c, d, e, f) = mac;
        BridgeId {
            priority,
            mac: [a, b, c, d, e, f],
        }
    }

    pub fn mac(&self) -> MacAddr {
        let [a, b, c, d, e, f] = self.mac;
        MacAddr(a, b, c, d, e, f)
    }
}

impl std::fmt::Display for BridgeId {
    /// As switches print it: `32768.06:00:00:00:00:01`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.priority, self.mac())
    }
}

/// A switch's part of the converged spanning tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpanningTreeConfig {
    /// This bridge.
    pub bridge: BridgeId,
    /// The root bridge of its part of the network, and this bridge's path cost to it.
    pub root: BridgeId,
    pub root_cost: u64,
    /// The role of each port cabled to another bridge running spanning tree, in port order.
    pub roles: Vec<(PortId, PortRole)>,
}

impl SpanningTreeConfig {
    /// A bridge that sees no other bridge: it is its own root.
    pub fn alone(bridge: BridgeId) -> Self {
        SpanningTreeConfig {
            bridge,
            root: bridge,
            root_cost: 0,
            roles: Vec::new(),
        }
    }

    pub fn role(&self, port: PortId) -> Option<PortRole> {
        self.roles.iter().find(|(p, _)| *p == port).map(|(_, r)| *r)
    }

    /// The ports that discard, in port order.
    pub fn discarding(&self) -> impl Iterator<Item = PortId> + '_ {
        self.roles
            .iter()
            .filter(|(_, r)| !r.forwards())
            .map(|(p, _)| *p)
    }
}
