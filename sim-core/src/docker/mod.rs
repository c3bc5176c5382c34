//! Emulation of the `docker` command-line client: word splitting, flag
//! parsing and the client-side validation the real CLI performs before it
//! talks to the daemon.

pub mod cli;
pub mod daemon;
pub mod driver_opts;
pub mod exec;
pub mod output;
pub mod ports;
pub mod swarm;
