//! A small, fast, deterministic hash map for hot-path lookups (MAC tables, ARP caches, NAT
//! sessions and firewall connection state).
//!
//! The hasher is rustc's Fx hash (`rustc_hash`): one multiply per integer word, unseeded, so
//! runs repeat exactly. It was chosen over FNV-1a by timing `hnsim bench bridge-echo`. These
//! maps are only ever looked up, never iterated where order could reach output.

use std::collections::HashMap;

pub type FastMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;
