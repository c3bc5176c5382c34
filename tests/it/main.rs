//! Integration tests of hnsim: every shipped scenario, the command line, the docker daemon's
//! refusals, properties of the control plane and the engine, the run log, and the visualizer
//! (its data and drawings, and its page in a real browser).

mod bad_input;
mod browser;
mod busybox;
mod cli;
mod cli_help;
mod common;
mod config;
mod daemon_lifecycle;
mod dataplane;
mod docker;
mod drivers;
mod engine_api;
mod faults;
mod hns_host;
mod linux_dns;
mod linux_words;
mod matrix;
mod matrix_linux;
mod oracle;
mod pcap;
mod props;
mod props_faults;
mod props_linux;
mod publish;
mod readme;
mod report_json;
mod runlog;
mod scale;
mod scenarios;
mod scheduled;
mod seeds;
mod shell;
mod storm;
mod viz;
