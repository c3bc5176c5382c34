//! docker on a host: the CLI's emulation (word splitting, flag parsing and the client-side
//! validation the real CLI performs before it talks to the daemon), the OS-neutral daemon
//! over its store, and one backend per operating system.

pub mod api;
pub mod backend;
pub mod cli;
pub mod daemon;
pub mod errdefs;
pub mod exec;
pub mod linux;
pub mod output;
pub mod ports;
pub mod store;
pub mod swarm;
pub mod template;
pub mod windows;
