//! The Linux host's control plane: what libnetwork and its drivers (bridge, host, null) turn
//! docker's requests into, as plans of configuration for the generic devices.
//!
//! `pools` is the default IPAM's choice of subnets.

pub mod pools;
