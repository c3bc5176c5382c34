//! Integration tests of hnsim: every shipped scenario, the command line, the docker daemon's
//! refusals, and properties of the control plane and the engine.

mod cli;
mod common;
mod config;
mod docker;
mod drivers;
mod matrix;
mod props;
mod scenarios;
mod scheduled;
mod seeds;
