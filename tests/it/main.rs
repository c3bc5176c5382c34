//! Integration tests of hnsim: every shipped scenario, the command line, the docker daemon's
//! refusals, properties of the control plane and the engine, and the run log.

mod cli;
mod common;
mod config;
mod dataplane;
mod docker;
mod drivers;
mod matrix;
mod props;
mod runlog;
mod scenarios;
mod scheduled;
mod seeds;
