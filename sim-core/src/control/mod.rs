//! The Windows host's control plane: HNS and its IPAM, per Windows Server version.
//!
//! Owns turning requests (a network, an endpoint, a policy) into device configuration: vSwitch
//! ports and MAC entries, host vNICs, routes, and rules for the generic rule engine (WinNAT,
//! the Windows Firewall, VFP's NAT layers: `policy`). It configures devices and never
//! touches a packet.

pub mod hns;
pub mod ids;
pub mod ipam;
pub mod plan;
pub mod version;
