//! `docker run|create|start|stop|rm|exec|ps|inspect` and the `docker
//! container` group: their flag tables and the checks of the CLI's `run`
//! option parsing (`-p`, `--mac-address`, `--restart`, `--network`).

use super::flags::{csv_fields, fb, fi, fv, Cmd, Flag, Group};
use super::go::{parse_go_bool, valid_mac};
use super::opts::{validate_dns_search, validate_filter, validate_ip_address, validate_link};
use super::{not_supported, CliError, DockerCommand, RunArgs};
use crate::docker::ports::parse_publish;

const RUN_FLAGS: &[Flag] = &[
    // run-only
    fb("detach", Some(b'd')),
    fb("sig-proxy", None),
    fv("detach-keys", None),
    // run and create
    fv("name", None),
    fv("pull", None),
    fv("platform", None),
    fb("quiet", Some(b'q')),
    fb("help", None),
    fb("disable-content-trust", None),
    fv("attach", Some(b'a')),
    fv("device-cgroup-rule", None),
    fv("device", None),
    fv("gpus", None),
    fv("env", Some(b'e')),
    fv("env-file", None),
    fv("entrypoint", None),
    fv("group-add", None),
    fv("hostname", Some(b'h')),
    fv("domainname", None),
    fb("interactive", Some(b'i')),
    fv("label", Some(b'l')),
    fv("label-file", None),
    fb("read-only", None),
    fv("restart", None),
    fv("stop-signal", None),
    fi("stop-timeout", None),
    fv("sysctl", None),
    fb("tty", Some(b't')),
    fv("ulimit", None),
    fv("user", Some(b'u')),
    fv("workdir", Some(b'w')),
    fb("rm", None),
    fv("cap-add", None),
    fv("cap-drop", None),
    fb("privileged", None),
    fv("security-opt", None),
    fv("userns", None),
    fv("cgroupns", None),
    fv("add-host", None),
    fv("annotation", None),
    fv("dns", None),
    fv("dns-opt", None),
    fv("dns-option", None),
    fv("dns-search", None),
    fv("expose", None),
    fv("ip", None),
    fv("ip6", None),
    fv("link", None),
    fv("link-local-ip", None),
    fv("mac-address", None),
    fv("publish", Some(b'p')),
    fb("publish-all", Some(b'P')),
    fv("net", None),
    fv("network", None),
    fv("net-alias", None),
    fv("network-alias", None),
    fv("log-driver", None),
    fv("volume-driver", None),
    fv("log-opt", None),
    fv("storage-opt", None),
    fv("tmpfs", None),
    fv("volumes-from", None),
    fv("volume", Some(b'v')),
    fv("mount", None),
    fv("health-cmd", None),
    fv("health-interval", None),
    fi("health-retries", None),
    fv("health-timeout", None),
    fv("health-start-period", None),
    fv("health-start-interval", None),
    fb("no-healthcheck", None),
    fi("blkio-weight", None),
    fv("blkio-weight-device", None),
    fv("cidfile", None),
    fv("cpuset-cpus", None),
    fv("cpuset-mems", None),
    fi("cpu-count", None),
    fi("cpu-percent", None),
    fi("cpu-period", None),
    fi("cpu-quota", None),
    fi("cpu-rt-period", None),
    fi("cpu-rt-runtime", None),
    fi("cpu-shares", Some(b'c')),
    fv("cpus", None),
    fv("device-read-bps", None),
    fv("device-read-iops", None),
    fv("device-write-bps", None),
    fv("device-write-iops", None),
    fv("io-maxbandwidth", None),
    fi("io-maxiops", None),
    fv("kernel-memory", None),
    fv("memory", Some(b'm')),
    fv("memory-reservation", None),
    fv("memory-swap", None),
    fi("memory-swappiness", None),
    fb("oom-kill-disable", None),
    fi("oom-score-adj", None),
    fi("pids-limit", None),
    fv("cgroup-parent", None),
    fv("ipc", None),
    fv("isolation", None),
    fv("pid", None),
    fv("shm-size", None),
    fv("uts", None),
    fv("runtime", None),
    fb("init", None),
];
const RUN_ONLY: &[&str] = &["detach", "sig-proxy", "detach-keys"];

const START_FLAGS: &[Flag] = &[
    fb("attach", Some(b'a')),
    fv("checkpoint", None),
    fv("checkpoint-dir", None),
    fv("detach-keys", None),
    fb("interactive", Some(b'i')),
];
const STOP_FLAGS: &[Flag] = &[fv("signal", Some(b's')), fi("time", Some(b't'))];
const PORT_FLAGS: &[Flag] = &[];
const RM_FLAGS: &[Flag] = &[
    fb("force", Some(b'f')),
    fb("link", Some(b'l')),
    fb("volumes", Some(b'v')),
];
const EXEC_FLAGS: &[Flag] = &[
    fb("detach", Some(b'd')),
    fv("detach-keys", None),
    fv("env", Some(b'e')),
    fv("env-file", None),
    fb("interactive", Some(b'i')),
    fb("privileged", None),
    fb("tty", Some(b't')),
    fv("user", Some(b'u')),
    fv("workdir", Some(b'w')),
];
const PS_FLAGS: &[Flag] = &[
    fb("all", Some(b'a')),
    fv("filter", Some(b'f')),
    fv("format", None),
    fi("last", Some(b'n')),
    fb("latest", Some(b'l')),
    fb("no-trunc", None),
    fb("quiet", Some(b'q')),
    fb("size", Some(b's')),
];
const INSPECT_FLAGS: &[Flag] = &[
    fv("format", Some(b'f')),
    fb("size", Some(b's')),
    fv("type", None),
];
const CONTAINER_INSPECT_FLAGS: &[Flag] = &[fv("format", Some(b'f')), fb("size", Some(b's'))];

const CONTAINER_GROUP: Group = Group {
    path: "docker container",
    short: "Manage containers",
    subcommands: &[
        (
            "attach",
            "Attach local standard input, output, and error streams to a running container",
        ),
        ("commit", "Create a new image from a container's changes"),
        (
            "cp",
            "Copy files/folders between a container and the local filesystem",
        ),
        ("create", "Create a new container"),
        (
            "diff",
            "Inspect changes to files or directories on a container's filesystem",
        ),
        ("exec", "Execute a command in a running container"),
        ("export", "Export a container's filesystem as a tar archive"),
        (
            "inspect",
            "Display detailed information on one or more containers",
        ),
        ("kill", "Kill one or more running containers"),
        ("logs", "Fetch the logs of a container"),
        ("ls", "List containers"),
        ("pause", "Pause all processes within one or more containers"),
        (
            "port",
            "List port mappings or a specific mapping for the container",
        ),
        ("prune", "Remove all stopped containers"),
        ("rename", "Rename a container"),
        ("restart", "Restart one or more containers"),
        ("rm", "Remove one or more containers"),
        ("run", "Create and run a new container from an image"),
        ("start", "Start one or more stopped containers"),
        (
            "stats",
            "Display a live stream of container(s) resource usage statistics",
        ),
        ("stop", "Stop one or more running containers"),
        ("top", "Display the running processes of a container"),
        (
            "unpause",
            "Unpause all processes within one or more containers",
        ),
        ("update", "Update configuration of one or more containers"),
        (
            "wait",
            "Block until one or more containers stop, then print their exit codes",
        ),
    ],
};

pub(super) fn parse_container(args: &[String]) -> Result<DockerCommand, CliError> {
    let (sub, rest) = CONTAINER_GROUP.split(args)?;
    match sub {
        "run" => parse_run("docker container run", rest, true),
        "create" => parse_run("docker container create", rest, false),
        "start" => parse_start("docker container start", rest),
        "stop" => parse_stop("docker container stop", rest),
        "restart" => parse_restart("docker container restart", rest),
        "port" => parse_port("docker container port", rest),
        "rm" | "remove" => parse_rm("docker container rm", rest),
        "exec" => parse_exec("docker container exec", rest),
        "ls" | "list" | "ps" => parse_ps("docker container ls", "[OPTIONS]", rest),
        "inspect" => {
            let cmd = Cmd::new(
                "docker container inspect",
                "[OPTIONS] CONTAINER [CONTAINER...]",
                "Display detailed information on one or more containers",
                CONTAINER_INSPECT_FLAGS,
            );
            let mut format = None;
            let objects = cmd.parse(rest, &mut |f, v| {
                if f.long == "format" {
                    format = Some(v.to_string());
                }
                Ok(())
            })?;
            cmd.min_args(1, &objects)?;
            Ok(DockerCommand::Inspect { objects, format })
        }
        other if CONTAINER_GROUP.subcommands.iter().any(|(n, _)| *n == other) => {
            Err(not_supported(&format!("docker container {other}")))
        }
        _ => Err(CONTAINER_GROUP.unknown()),
    }
}

pub(super) fn parse_start(path: &str, args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(
        path,
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Start one or more stopped containers",
        START_FLAGS,
    );
    let containers = cmd.parse(args, &mut |_, _| Ok(()))?;
    cmd.min_args(1, &containers)?;
    Ok(DockerCommand::Start { containers })
}

pub(super) fn parse_stop(path: &str, args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(
        path,
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Stop one or more running containers",
        STOP_FLAGS,
    );
    let containers = cmd.parse(args, &mut |_, _| Ok(()))?;
    cmd.min_args(1, &containers)?;
    Ok(DockerCommand::Stop { containers })
}

pub(super) fn parse_restart(path: &str, args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(
        path,
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Restart one or more containers",
        STOP_FLAGS,
    );
    let containers = cmd.parse(args, &mut |_, _| Ok(()))?;
    cmd.min_args(1, &containers)?;
    Ok(DockerCommand::Restart { containers })
}

pub(super) fn parse_port(path: &str, args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(
        path,
        "CONTAINER [PRIVATE_PORT[/PROTO]]",
        "List port mappings or a specific mapping for the container",
        PORT_FLAGS,
    );
    let pos = cmd.parse(args, &mut |_, _| Ok(()))?;
    cmd.range_args(1, 2, &pos)?;
    Ok(DockerCommand::Port {
        container: pos[0].clone(),
        port: pos.get(1).cloned(),
    })
}

pub(super) fn parse_rm(path: &str, args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(
        path,
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Remove one or more containers",
        RM_FLAGS,
    );
    let mut force = false;
    let containers = cmd.parse(args, &mut |f, v| {
        if f.long == "force" {
            force = parse_go_bool(v)?;
        }
        Ok(())
    })?;
    cmd.min_args(1, &containers)?;
    Ok(DockerCommand::Rm { containers, force })
}

pub(super) fn parse_exec(path: &str, args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd {
        interspersed: false,
        ..Cmd::new(
            path,
            "[OPTIONS] CONTAINER COMMAND [ARG...]",
            "Execute a command in a running container",
            EXEC_FLAGS,
        )
    };
    let (mut detach, mut interactive, mut tty) = (false, false, false);
    let pos = cmd.parse(args, &mut |f, v| {
        match f.long {
            "detach" => detach = parse_go_bool(v)?,
            "interactive" => interactive = parse_go_bool(v)?,
            "tty" => tty = parse_go_bool(v)?,
            _ => {}
        }
        Ok(())
    })?;
    cmd.min_args(2, &pos)?;
    Ok(DockerCommand::Exec {
        container: pos[0].clone(),
        detach,
        interactive,
        tty,
        argv: pos[1..].to_vec(),
    })
}

pub(super) fn parse_ps(
    path: &str,
    usage: &'static str,
    args: &[String],
) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(path, usage, "List containers", PS_FLAGS);
    let (mut all, mut quiet) = (false, false);
    let pos = cmd.parse(args, &mut |f, v| {
        match f.long {
            "all" => all = parse_go_bool(v)?,
            "quiet" => quiet = parse_go_bool(v)?,
            "filter" => validate_filter(v)?,
            _ => {}
        }
        Ok(())
    })?;
    cmd.no_args(&pos)?;
    Ok(DockerCommand::Ps { all, quiet })
}

pub(super) fn parse_inspect(args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(
        "docker inspect",
        "[OPTIONS] NAME|ID [NAME|ID...]",
        "Return low-level information on Docker objects",
        INSPECT_FLAGS,
    );
    let mut format = None;
    let objects = cmd.parse(args, &mut |f, v| {
        if f.long == "format" {
            format = Some(v.to_string());
        }
        Ok(())
    })?;
    cmd.min_args(1, &objects)?;
    Ok(DockerCommand::Inspect { objects, format })
}

/// Whether a `--network` value uses the advanced `name=...,alias=...` syntax
/// (the CLI's unanchored `\w+=\w+` test).
fn network_long_syntax(value: &str) -> bool {
    let b = value.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    (1..b.len().saturating_sub(1)).any(|i| b[i] == b'=' && word(b[i - 1]) && word(b[i + 1]))
}

pub(super) fn parse_run(
    path: &str,
    args: &[String],
    is_run: bool,
) -> Result<DockerCommand, CliError> {
    let name = if is_run { "run" } else { "create" };
    let cmd = Cmd {
        exclude: if is_run { &[] } else { RUN_ONLY },
        interspersed: false,
        own_h: true,
        ..if is_run {
            Cmd::new(
                path,
                "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                "Create and run a new container from an image",
                RUN_FLAGS,
            )
        } else {
            Cmd::new(
                path,
                "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                "Create a new container",
                RUN_FLAGS,
            )
        }
    };
    let mut ra = RunArgs::default();
    let mut publish_raw: Vec<String> = Vec::new();
    let mut networks: Vec<String> = Vec::new();
    let pos = cmd.parse(args, &mut |f, v| {
        let s = || Some(v.to_string());
        match f.long {
            "name" => ra.name = s(),
            "net" | "network" => {
                if network_long_syntax(v) {
                    let mut target = String::new();
                    for field in csv_fields(v)? {
                        let Some((key, val)) = field.split_once('=').filter(|(k, _)| !k.is_empty())
                        else {
                            return Err(format!("invalid field {field}"));
                        };
                        let val = val.trim().to_string();
                        match key.trim().to_lowercase().as_str() {
                            "name" => target = val,
                            "alias" => ra.network_aliases.push(val),
                            "ip" => {
                                if networks.is_empty() {
                                    ra.ip = Some(val)
                                }
                            }
                            "ip6" => {
                                if networks.is_empty() {
                                    ra.ip6 = Some(val)
                                }
                            }
                            "mac-address" | "driver-opt" | "link-local-ip" => {}
                            other => return Err(format!("invalid field key {other}")),
                        }
                    }
                    networks.push(target);
                } else {
                    networks.push(v.to_string());
                }
            }
            "ip" => ra.ip = s(),
            "ip6" => ra.ip6 = s(),
            "publish" => publish_raw.push(v.to_string()),
            "publish-all" => ra.publish_all = parse_go_bool(v)?,
            "dns" => ra.dns.push(validate_ip_address(v)?),
            "dns-search" => ra.dns_search.push(validate_dns_search(v)?),
            "dns-opt" | "dns-option" => ra.dns_options.push(v.to_string()),
            "isolation" => ra.isolation = s(),
            "detach" => ra.detach = parse_go_bool(v)?,
            "interactive" => ra.interactive = parse_go_bool(v)?,
            "tty" => ra.tty = parse_go_bool(v)?,
            "rm" => ra.rm = parse_go_bool(v)?,
            "hostname" => ra.hostname = s(),
            "mac-address" => ra.mac_address = s(),
            "net-alias" | "network-alias" => ra.network_aliases.push(v.to_string()),
            "link" => {
                validate_link(v)?;
                ra.links.push(v.to_string());
            }
            "add-host" => ra.add_hosts.push(v.to_string()),
            "env" => ra.env.push(v.to_string()),
            "restart" => ra.restart = s(),
            _ => {}
        }
        Ok(())
    })?;
    cmd.min_args(1, &pos)?;
    ra.image = pos[0].clone();
    ra.command = pos[1..].to_vec();
    ra.network = networks.first().cloned();

    // The checks of the CLI's `parse()`, in its order.
    if let Some(mac) = &ra.mac_address {
        if !mac.is_empty() && !valid_mac(mac) {
            return Err(Cmd::report_error(
                name,
                &format!("{mac} is not a valid mac address"),
            ));
        }
    }
    for raw in &publish_raw {
        let spec = parse_publish(raw).map_err(|e| Cmd::report_error(name, &e))?;
        ra.publish.push(spec);
    }
    let mut restart_is_none = true;
    if let Some(policy) = ra.restart.as_deref().filter(|p| !p.is_empty()) {
        let (kind, count) = policy.split_once(':').unwrap_or((policy, ""));
        if policy.contains(':') && kind.is_empty() {
            return Err(Cmd::report_error(
                name,
                "invalid restart policy format: no policy provided before colon",
            ));
        }
        if !count.is_empty() && count.parse::<i64>().is_err() {
            return Err(Cmd::report_error(
                name,
                "invalid restart policy format: maximum retry count must be an integer",
            ));
        }
        restart_is_none = kind == "no";
    }
    if ra.rm && !restart_is_none {
        return Err(Cmd::report_error(
            name,
            "Conflicting options: --restart and --rm",
        ));
    }
    if networks.iter().any(|n| n.trim().is_empty()) {
        return Err(Cmd::report_error(name, "no name set for network"));
    }
    Ok(if is_run {
        DockerCommand::Run(ra)
    } else {
        DockerCommand::Create(ra)
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::PortSpec;
    use super::*;
    use proptest::prelude::*;

    // -- the lines of the brief, verbatim ------------------------------------

    #[test]
    fn run_interactive_servercore() {
        let r = run(
            "docker run -it --network=my_nat mcr.microsoft.com/windows/servercore:ltsc2022 cmd",
        );
        assert!(r.interactive && r.tty && !r.detach);
        assert_eq!(r.network.as_deref(), Some("my_nat"));
        assert_eq!(r.image, "mcr.microsoft.com/windows/servercore:ltsc2022");
        assert_eq!(r.command, strs(&["cmd"]));
    }

    #[test]
    fn run_detached_iis() {
        let r = run("docker run -d --name web -p 8080:80 mcr.microsoft.com/windows/servercore/iis");
        assert!(r.detach);
        assert_eq!(r.name.as_deref(), Some("web"));
        assert_eq!(
            r.publish,
            vec![PortSpec {
                host_ip: None,
                host_port: Some((8080, 8080)),
                container_port: (80, 80),
                protocol: "tcp".into(),
                raw: "8080:80".into(),
            }]
        );
        assert_eq!(r.image, "mcr.microsoft.com/windows/servercore/iis");
        assert!(r.command.is_empty());
    }

    #[test]
    fn run_udp_hyperv_dns() {
        let r = run("docker run --rm -p 53:53/udp --isolation=hyperv --dns 8.8.8.8 img");
        assert!(r.rm);
        assert_eq!(r.publish[0].protocol, "udp");
        assert_eq!(r.publish[0].container_port, (53, 53));
        assert_eq!(r.isolation.as_deref(), Some("hyperv"));
        assert_eq!(r.dns, strs(&["8.8.8.8"]));
        assert_eq!(r.image, "img");
    }

    #[test]
    fn exec_ping() {
        assert_eq!(
            ok("docker exec web ping -n 1 db"),
            DockerCommand::Exec {
                container: "web".into(),
                detach: false,
                interactive: false,
                tty: false,
                argv: strs(&["ping", "-n", "1", "db"]),
            }
        );
    }

    #[test]
    fn run_stops_at_image() {
        let r = run("docker run img -d --name x");
        assert!(!r.detach);
        assert_eq!(r.name, None);
        assert_eq!(r.command, strs(&["-d", "--name", "x"]));
        let r = run("docker run -d -- img -- x");
        assert!(r.detach);
        assert_eq!(r.image, "img");
        assert_eq!(r.command, strs(&["--", "x"]));
        let r = run("docker container run --rm img cmd /c echo hi");
        assert_eq!(r.command, strs(&["cmd", "/c", "echo", "hi"]));
    }

    #[test]
    fn run_all_modelled_flags() {
        let r = run(
            "docker run --ip 10.0.0.5 --ip6 fd00::5 --dns-search corp.local --dns-option ndots:2 \
             --mac-address 00-15-5D-01-02-03 --link db:db -e A=1 --env B --restart always \
             --memory 1g --cpu-count 2 img",
        );
        assert_eq!(r.ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(r.ip6.as_deref(), Some("fd00::5"));
        assert_eq!(r.dns_search, strs(&["corp.local"]));
        assert_eq!(r.dns_options, strs(&["ndots:2"]));
        assert_eq!(r.mac_address.as_deref(), Some("00-15-5D-01-02-03"));
        assert_eq!(r.links, strs(&["db:db"]));
        assert_eq!(r.env, strs(&["A=1", "B"]));
        assert_eq!(r.restart.as_deref(), Some("always"));
        // Advanced --network syntax.
        let r = run("docker run --network name=n1,alias=web,ip=10.0.0.9 img");
        assert_eq!(r.network.as_deref(), Some("n1"));
        assert_eq!(r.network_aliases, strs(&["web"]));
        assert_eq!(r.ip.as_deref(), Some("10.0.0.9"));
    }

    #[test]
    fn create_and_aliases() {
        match ok("docker create --name c1 img") {
            DockerCommand::Create(r) => assert_eq!(r.name.as_deref(), Some("c1")),
            other => panic!("{other:?}"),
        }
        match ok("docker container create img") {
            DockerCommand::Create(r) => assert_eq!(r.image, "img"),
            other => panic!("{other:?}"),
        }
        // `create` has no -d.
        assert_eq!(
            err("docker create -d img").message,
            "unknown shorthand flag: 'd' in -d\nSee 'docker create --help'."
        );
        assert_eq!(
            ok("docker rm -f web"),
            DockerCommand::Rm {
                containers: strs(&["web"]),
                force: true
            }
        );
        assert_eq!(
            ok("docker container rm web db"),
            DockerCommand::Rm {
                containers: strs(&["web", "db"]),
                force: false
            }
        );
        assert_eq!(
            ok("docker container ls -a"),
            DockerCommand::Ps {
                all: true,
                quiet: false
            }
        );
        assert_eq!(
            ok("docker ps -aq"),
            DockerCommand::Ps {
                all: true,
                quiet: true
            }
        );
        assert_eq!(
            ok("docker start a b"),
            DockerCommand::Start {
                containers: strs(&["a", "b"])
            }
        );
        assert_eq!(
            ok("docker stop -t 5 a"),
            DockerCommand::Stop {
                containers: strs(&["a"])
            }
        );
        assert_eq!(
            ok("docker inspect -f '{{.Id}}' web"),
            DockerCommand::Inspect {
                objects: strs(&["web"]),
                format: Some("{{.Id}}".into())
            }
        );
        assert_eq!(
            ok("docker exec -it web cmd"),
            DockerCommand::Exec {
                container: "web".into(),
                detach: false,
                interactive: true,
                tty: true,
                argv: strs(&["cmd"])
            }
        );
    }

    #[test]
    fn restart_and_port() {
        assert_eq!(
            ok("docker restart -t 3 a b"),
            DockerCommand::Restart {
                containers: strs(&["a", "b"])
            }
        );
        assert_eq!(
            ok("docker container restart a"),
            DockerCommand::Restart {
                containers: strs(&["a"])
            }
        );
        assert_eq!(
            ok("docker port web 80/tcp"),
            DockerCommand::Port {
                container: "web".into(),
                port: Some("80/tcp".into())
            }
        );
        assert_eq!(
            ok("docker container port web"),
            DockerCommand::Port {
                container: "web".into(),
                port: None
            }
        );
        assert_err(
            "docker port",
            "\"docker port\" requires at least 1 and at most 2 arguments.\nSee 'docker port --help'.\n\nUsage:  docker port CONTAINER [PRIVATE_PORT[/PROTO]]\n\nList port mappings or a specific mapping for the container",
            1,
        );
    }

    #[test]
    fn run_report_errors() {
        assert_err(
            "docker run -p 8080:x img",
            "docker: invalid containerPort: x.\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -p x:80 img",
            "docker: invalid hostPort: x.\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -p 80:80/foo img",
            "docker: invalid proto: foo.\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker container create -p 80:80/foo img",
            "docker: invalid proto: foo.\nSee 'docker create --help'.",
            125,
        );
        assert_err(
            "docker run --mac-address zz img",
            "docker: zz is not a valid mac address.\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --rm --restart always img",
            "docker: Conflicting options: --restart and --rm.\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --restart on-failure:x img",
            "docker: invalid restart policy format: maximum retry count must be an integer.\nSee 'docker run --help'.",
            125,
        );
        // --rm with --restart=no is fine.
        assert!(run("docker run --rm --restart no img").rm);
        // Host IPs, host ranges and sctp are left for the daemon to judge.
        let r = run("docker run -p 127.0.0.1:8000-8010:80/sctp img");
        assert_eq!(r.publish[0].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(r.publish[0].host_port, Some((8000, 8010)));
    }

    proptest! {
        #[test]
        fn publish_never_panics(s in "[-0-9:/\\[\\]a-z.=,]{0,24}") {
            let _ = parse_publish(&s);
        }
    }
}
