//! Parser for the `docker ...` lines users paste into hnsim.
//!
//! The behaviour and the error texts follow the docker CLI 27.x (cobra +
//! spf13/pflag): flag syntax (`--name x`, `--name=x`, `-p80:80`, `-dit`,
//! `--rm=false`, `--`), non-interspersed flags for `run`/`create`/`exec`,
//! interspersed flags elsewhere, the argument-count checks of `cli/required.go`
//! and the client-side validation done before anything is sent to the daemon.
//!
//! Error messages are what the real `docker` prints on stderr, and exit codes
//! are the real ones: 125 for flag errors and for `run`/`create` option
//! validation, 1 for argument-count errors and other client errors, 0 where
//! the real CLI would print help.
//!
//! Words that the simulator does not model are still parsed (so that a valid
//! real-world line is not refused) and then ignored.
//!
//! A Linux host on Docker Engine 20.10 speaks to the 20.10 client instead
//! (`CliRelease`, `parse_with`): its port-spec texts, and its endpoint flags
//! sent only with a `--network`.
//!
//! The parser is split by concern; each submodule owns one:
//!
//! - `words`: shell-like word splitting of the pasted line (`split_words`)
//!   and the shell's quoting errors.
//! - `go`: the Go standard-library behaviour the CLI's texts and checks rely
//!   on: `%q` quoting, `strconv.ParseBool`/`ParseInt`, `net.ParseIP`,
//!   `net.ParseCIDR` and `net.ParseMAC`.
//! - `flags`: the pflag/cobra emulation: flag tables (`Flag`), leaf commands
//!   (`Cmd`) and command groups (`Group`), flag parsing, pflag's
//!   string-slice values, the CLI's flag and argument-count error texts and
//!   exit codes, and help/usage.
//! - `opts`: the value checks and map options of the CLI's `opts` package
//!   (`--dns`, `--dns-search`, `--link`, `--filter`, `key=value` maps).
//! - `network`: `docker network create|ls|inspect|rm|connect|disconnect`,
//!   their flag tables and the client-side IPAM validation.
//! - `container`: `docker run|create|start|stop|restart|rm|exec|ps|port|inspect`
//!   and `docker container ...`, their flag tables and `run`'s option checks.
//! - `nat_v20`: `-p` as the 20.10 CLI's go-connections parses and words it.
//! - `swarm`: `docker swarm init|join|leave`.
//! - `test_support` (tests only): helpers the unit tests of every submodule
//!   share.
//!
//! This module holds the public types (`DockerCommand`, `NetworkCreate`,
//! `RunArgs`, `CliError`) and [`parse`], the top-level dispatch with the
//! global options.

mod container;
mod flags;
mod go;
mod nat_v20;
mod network;
mod opts;
mod swarm;
#[cfg(test)]
mod test_support;
mod words;

use container::{
    parse_container, parse_exec, parse_inspect, parse_port, parse_ps, parse_restart, parse_rm,
    parse_run, parse_start, parse_stop,
};
use flags::{fb, fv, Cmd, Flag};
use go::parse_go_bool;
use network::parse_network;
use swarm::parse_swarm;

pub use super::ports::PortSpec;
pub(crate) use go::go_parse_cidr;
use std::fmt;
pub use words::split_words;

/// A parsed docker command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerCommand {
    NetworkCreate(NetworkCreate),
    NetworkLs {
        quiet: bool,
        filters: Vec<String>,
        no_trunc: bool,
        format: Option<String>,
    },
    NetworkInspect {
        networks: Vec<String>,
        format: Option<String>,
    },
    NetworkRm {
        networks: Vec<String>,
        force: bool,
    },
    /// `docker network prune`.
    NetworkPrune {
        force: bool,
        filters: Vec<String>,
    },
    NetworkConnect {
        network: String,
        container: String,
        ip: Option<String>,
        aliases: Vec<String>,
        /// `--link target[:alias]`, as given.
        links: Vec<String>,
    },
    NetworkDisconnect {
        network: String,
        container: String,
        force: bool,
    },
    /// `docker run` / `docker container run`.
    Run(RunArgs),
    /// `docker create` / `docker container create`.
    Create(RunArgs),
    Start {
        containers: Vec<String>,
    },
    Stop {
        containers: Vec<String>,
    },
    Restart {
        containers: Vec<String>,
    },
    /// `docker port CONTAINER [PRIVATE_PORT[/PROTO]]`.
    Port {
        container: String,
        port: Option<String>,
    },
    Rm {
        containers: Vec<String>,
        force: bool,
    },
    /// `argv` is the command run inside the container.
    Exec {
        container: String,
        detach: bool,
        interactive: bool,
        tty: bool,
        argv: Vec<String>,
    },
    Ps {
        all: bool,
        quiet: bool,
        /// `--filter key=value`, as given.
        filters: Vec<String>,
        format: Option<String>,
    },
    Inspect {
        objects: Vec<String>,
        format: Option<String>,
    },
    SwarmInit {
        advertise_addr: Option<String>,
        listen_addr: Option<String>,
    },
    SwarmJoin {
        token: Option<String>,
        advertise_addr: Option<String>,
        remote: String,
    },
    SwarmLeave {
        force: bool,
    },
}

/// `docker network create`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkCreate {
    pub name: String,
    pub driver: Option<String>,
    pub subnets: Vec<String>,
    pub gateways: Vec<String>,
    pub ip_ranges: Vec<String>,
    pub aux_addresses: Vec<(String, String)>,
    /// `-o/--opt key=value`, in order of first appearance; a bare key gets
    /// `""`; a repeated key keeps its first position and takes the last value
    /// (the CLI stores them in a map).
    pub options: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub internal: bool,
    pub attachable: bool,
    pub ipv6: Option<bool>,
    pub ipv4: Option<bool>,
    pub ipam_driver: Option<String>,
    pub ipam_opts: Vec<(String, String)>,
    pub scope: Option<String>,
    pub config_only: bool,
    pub config_from: Option<String>,
    pub ingress: bool,
    /// `IPAM.Config` as the Engine API sent it (`curl` to the socket): each subnet with its
    /// own gateway, range and aux addresses, unchecked. `None` from the CLI, whose flags
    /// `createIPAMConfig` checked and the daemon pairs with their subnet by containment.
    pub api_ipam: Option<Vec<crate::docker::store::IpamConfig>>,
}

/// The options of `docker run` / `docker create` that hnsim models.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunArgs {
    pub name: Option<String>,
    pub network: Option<String>,
    pub ip: Option<String>,
    pub ip6: Option<String>,
    pub publish: Vec<PortSpec>,
    pub publish_all: bool,
    /// `--expose`: container ports (and protocols) `-P` publishes, in the order given.
    pub expose: Vec<(u16, String)>,
    /// Validated and normalised as the CLI does (`net.IP.String()`).
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    pub isolation: Option<String>,
    pub detach: bool,
    pub interactive: bool,
    pub tty: bool,
    pub rm: bool,
    pub hostname: Option<String>,
    pub mac_address: Option<String>,
    pub network_aliases: Vec<String>,
    pub links: Vec<String>,
    /// `--add-host name:ip`, as given.
    pub add_hosts: Vec<String>,
    pub env: Vec<String>,
    pub restart: Option<String>,
    pub image: String,
    pub command: Vec<String>,
    /// The `--network` values after the first (the 20.10 daemon refuses more than one).
    pub more_networks: Vec<String>,
    /// `--label key=value`.
    pub labels: Vec<(String, String)>,
}

/// The docker CLI release that goes with a host's engine, where its words and checks differ.
/// The 20.10 client prints a failed `docker run` as `docker: <error>.` (with
/// `See 'docker run --help'.` when the container was not created), words the port-spec
/// errors of its vendored go-connections with capitals (`Invalid proto: icmp`), turns a 404
/// into `Error: No such network: <name>`, and drops `--ip` and `--network-alias` when no
/// `--network` is given. The current CLI (27.x, hnsim's default) does none of that.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CliRelease {
    V20_10,
    #[default]
    Current,
}

/// What the real `docker` would print on stderr, and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub message: String,
    pub exit_code: i32,
}

impl CliError {
    fn new(message: impl Into<String>, exit_code: i32) -> Self {
        CliError {
            message: message.into(),
            exit_code,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// A real docker command that hnsim does not emulate.
fn not_supported(path: &str) -> CliError {
    CliError::new(
        format!("hnsim: '{path}' is a docker command the simulator does not model"),
        1,
    )
}

/// The global options of `docker` itself, accepted before the command.
const ROOT_FLAGS: &[Flag] = &[
    fv("config", None),
    fv("context", Some(b'c')),
    fb("debug", Some(b'D')),
    fv("host", Some(b'H')),
    fv("log-level", Some(b'l')),
    fb("tls", None),
    fv("tlscacert", None),
    fv("tlscert", None),
    fv("tlskey", None),
    fb("tlsverify", None),
    fb("version", Some(b'v')),
];

/// The other top-level commands of docker 27.x, refused as not modelled
/// rather than as unknown.
const OTHER_TOP_LEVEL: &[&str] = &[
    "attach",
    "build",
    "builder",
    "buildx",
    "checkpoint",
    "commit",
    "compose",
    "config",
    "context",
    "cp",
    "diff",
    "events",
    "export",
    "history",
    "image",
    "images",
    "import",
    "info",
    "kill",
    "load",
    "login",
    "logout",
    "logs",
    "manifest",
    "node",
    "pause",
    "plugin",
    "pull",
    "push",
    "rename",
    "rmi",
    "save",
    "search",
    "secret",
    "service",
    "stack",
    "stats",
    "system",
    "tag",
    "top",
    "trust",
    "unpause",
    "update",
    "version",
    "volume",
    "wait",
];

/// Parses one `docker ...` line as the current CLI does.
pub fn parse(line: &str) -> Result<DockerCommand, CliError> {
    parse_with(line, CliRelease::Current)
}

/// Parses one `docker ...` line as the CLI of `release` does.
pub fn parse_with(line: &str, release: CliRelease) -> Result<DockerCommand, CliError> {
    let words = split_words(line)?;
    let Some(first) = words.first() else {
        return Err(CliError::new(
            "empty command line: expected 'docker ...'",
            1,
        ));
    };
    if first != "docker" && first != "docker.exe" {
        return Err(CliError::new(format!("{first}: command not found"), 127));
    }
    let args = &words[1..];

    // Global options, up to the first command (non-interspersed).
    let root = Cmd {
        interspersed: false,
        ..Cmd::new(
            "docker",
            "[OPTIONS] COMMAND",
            "A self-sufficient runtime for containers",
            ROOT_FLAGS,
        )
    };
    let mut version = false;
    let rest = root
        .parse(args, &mut |f, v| {
            if f.long == "version" && parse_go_bool(v) == Ok(true) {
                version = true;
            }
            Ok(())
        })
        .map_err(|mut e| {
            if e.exit_code == 125 {
                e.message.push_str(&format!(
                    "\n\nUsage:  {}\n\n{}",
                    root.use_line(),
                    root.short
                ));
            }
            e
        })?;
    if version {
        return Err(CliError::new("Docker version 27.5.1, build hnsim", 0));
    }
    let Some(cmd) = rest.first() else {
        return Err(root.help());
    };
    let sub = &rest[1..];
    match cmd.as_str() {
        "run" => parse_run("docker run", sub, true, release),
        "create" => parse_run("docker create", sub, false, release),
        "start" => parse_start("docker start", sub),
        "stop" => parse_stop("docker stop", sub),
        "restart" => parse_restart("docker restart", sub),
        "port" => parse_port("docker port", sub),
        "rm" => parse_rm("docker rm", sub),
        "exec" => parse_exec("docker exec", sub),
        "ps" => parse_ps("docker ps", "[OPTIONS]", sub),
        "inspect" => parse_inspect(sub),
        "network" => parse_network(sub),
        "container" => parse_container(sub, release),
        "swarm" => parse_swarm(sub),
        other if OTHER_TOP_LEVEL.contains(&other) => Err(not_supported(&format!("docker {other}"))),
        other => Err(CliError::new(
            format!("docker: '{other}' is not a docker command.\nSee 'docker --help'"),
            1,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unknown_commands() {
        assert_err(
            "docker foo",
            "docker: 'foo' is not a docker command.\nSee 'docker --help'",
            1,
        );
        let e = err("docker network foo");
        assert_eq!(e.exit_code, 1);
        assert!(e
            .message
            .starts_with("\nUsage:  docker network COMMAND\n\nManage networks\n\nCommands:\n  connect     Connect a container to a network\n"));
        assert!(e.message.ends_with(
            "\n\nRun 'docker network COMMAND --help' for more information on a command."
        ));
        assert_eq!(err("docker network").exit_code, 0);
        assert_eq!(err("docker run --help").exit_code, 0);
        assert_eq!(err("docker network create -h").exit_code, 0);
        assert_eq!(err("docker pull img").exit_code, 1);
        assert_eq!(err("kubectl get pods").exit_code, 127);
        assert_eq!(err("").exit_code, 1);
        assert_eq!(err("docker --foo ps").exit_code, 125);
    }

    #[test]
    fn global_options_before_command() {
        // Global options before the command are accepted.
        assert!(matches!(
            ok("docker -H npipe:////./pipe/docker_engine ps"),
            DockerCommand::Ps { .. }
        ));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = parse(&s);
            let _ = parse(&format!("docker {s}"));
            let _ = parse(&format!("docker run {s}"));
            let _ = parse(&format!("docker network create {s}"));
        }

        #[test]
        fn parse_never_panics_on_flag_soup(
            words in proptest::collection::vec(
                prop_oneof![
                    Just("-".to_string()), Just("--".to_string()), Just("-p".to_string()),
                    Just("-dit".to_string()), Just("--name".to_string()), Just("-h".to_string()),
                    Just("'".to_string()), Just("\"".to_string()), Just("=".to_string()),
                    Just("network".to_string()), Just("run".to_string()), Just("create".to_string()),
                    Just("exec".to_string()), Just("swarm".to_string()), Just("container".to_string()),
                    "[-=:/\\[\\]a-z0-9.,é\"' ]{0,12}",
                ],
                0..10,
            )
        ) {
            let _ = parse(&format!("docker {}", words.join(" ")));
        }
    }
}
