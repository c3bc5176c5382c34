//! `docker swarm init|join|leave`, their flag tables and the `docker swarm` group.

use super::flags::{fb, fi, fv, Cmd, Flag, Group};
use super::go::parse_go_bool;
use super::{not_supported, CliError, DockerCommand};

const SWARM_INIT_FLAGS: &[Flag] = &[
    fv("advertise-addr", None),
    fv("listen-addr", None),
    fb("force-new-cluster", None),
    fb("autolock", None),
    fv("availability", None),
    fv("data-path-addr", None),
    fi("data-path-port", None),
    fv("default-addr-pool", None),
    fi("default-addr-pool-mask-length", None),
    fv("dispatcher-heartbeat", None),
    fv("cert-expiry", None),
    fv("external-ca", None),
    fi("max-snapshots", None),
    fi("snapshot-interval", None),
    fi("task-history-limit", None),
];
const SWARM_JOIN_FLAGS: &[Flag] = &[
    fv("token", None),
    fv("advertise-addr", None),
    fv("listen-addr", None),
    fv("availability", None),
    fv("data-path-addr", None),
];

const SWARM_LEAVE_FLAGS: &[Flag] = &[fb("force", Some(b'f'))];

const SWARM_GROUP: Group = Group {
    path: "docker swarm",
    short: "Manage Swarm",
    subcommands: &[
        ("ca", "Display and rotate the root CA"),
        ("init", "Initialize a swarm"),
        ("join", "Join a swarm as a node and/or manager"),
        ("join-token", "Manage join tokens"),
        ("leave", "Leave the swarm"),
        ("unlock", "Unlock swarm"),
        ("unlock-key", "Manage the unlock key"),
        ("update", "Update the swarm"),
    ],
};

pub(super) fn parse_swarm(args: &[String]) -> Result<DockerCommand, CliError> {
    let (sub, rest) = SWARM_GROUP.split(args)?;
    match sub {
        "init" => {
            let cmd = Cmd::new(
                "docker swarm init",
                "[OPTIONS]",
                "Initialize a swarm",
                SWARM_INIT_FLAGS,
            );
            let (mut advertise_addr, mut listen_addr) = (None, None);
            let pos = cmd.parse(rest, &mut |f, v| {
                match f.long {
                    "advertise-addr" => advertise_addr = Some(v.to_string()),
                    "listen-addr" => listen_addr = Some(v.to_string()),
                    _ => {}
                }
                Ok(())
            })?;
            cmd.no_args(&pos)?;
            Ok(DockerCommand::SwarmInit {
                advertise_addr,
                listen_addr,
            })
        }
        "join" => {
            let cmd = Cmd::new(
                "docker swarm join",
                "[OPTIONS] HOST:PORT",
                "Join a swarm as a node and/or manager",
                SWARM_JOIN_FLAGS,
            );
            let (mut token, mut advertise_addr) = (None, None);
            let pos = cmd.parse(rest, &mut |f, v| {
                match f.long {
                    "token" => token = Some(v.to_string()),
                    "advertise-addr" => advertise_addr = Some(v.to_string()),
                    _ => {}
                }
                Ok(())
            })?;
            cmd.exact_args(1, &pos)?;
            Ok(DockerCommand::SwarmJoin {
                token,
                advertise_addr,
                remote: pos[0].clone(),
            })
        }
        "leave" => {
            let cmd = Cmd::new(
                "docker swarm leave",
                "[OPTIONS]",
                "Leave the swarm",
                SWARM_LEAVE_FLAGS,
            );
            let mut force = false;
            let pos = cmd.parse(rest, &mut |_, v| {
                force = parse_go_bool(v)?;
                Ok(())
            })?;
            cmd.no_args(&pos)?;
            Ok(DockerCommand::SwarmLeave { force })
        }
        other if SWARM_GROUP.subcommands.iter().any(|(n, _)| *n == other) => {
            Err(not_supported(&format!("docker swarm {other}")))
        }
        _ => Err(SWARM_GROUP.unknown()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn swarm_init_join() {
        assert_eq!(
            ok("docker swarm init --advertise-addr 10.0.0.11"),
            DockerCommand::SwarmInit {
                advertise_addr: Some("10.0.0.11".into()),
                listen_addr: None
            }
        );
        assert_eq!(
            ok("docker swarm join --token SWMTKN-1-abc 10.0.0.11:2377"),
            DockerCommand::SwarmJoin {
                token: Some("SWMTKN-1-abc".into()),
                advertise_addr: None,
                remote: "10.0.0.11:2377".into()
            }
        );
        assert_eq!(
            ok("docker swarm leave --force"),
            DockerCommand::SwarmLeave { force: true }
        );
        assert_eq!(
            ok("docker swarm leave"),
            DockerCommand::SwarmLeave { force: false }
        );
        assert_eq!(err("docker swarm leave x").exit_code, 1);
    }
}
