//! Typed ids. They carry no behaviour and no references, only indices.

use serde::Serialize;
use std::fmt;

/// A node of the simulated world: a switch, a router, a host stack, a vSwitch, a container compartment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NodeId(pub u32);

/// A port of a node; a link plugs into one port at each end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PortId(pub u16);

/// A cable (physical, or a virtual one between a vNIC and a vSwitch port).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LinkId(pub u32);

/// A traced probe. Frames that belong to a probe carry its id as metadata (never in the bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ProbeId(pub u32);

impl fmt::Display for ProbeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}
