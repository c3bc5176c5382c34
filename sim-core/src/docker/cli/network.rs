//! `docker network create|ls|inspect|rm|connect|disconnect`: their flag
//! tables, the `docker network` group, and the IPAM checks the CLI makes
//! before it sends a create to the daemon (`createIPAMConfig`).

use super::flags::{csv_fields, fb, fv, Cmd, Flag, Group};
use super::go::{cidr_contains, go_parse_cidr, parse_go_bool};
use super::opts::{kv, map_set, validate_filter, validate_link};
use super::{CliError, DockerCommand, NetworkCreate};
use std::net::IpAddr;

const NETWORK_CREATE_FLAGS: &[Flag] = &[
    fv("driver", Some(b'd')),
    fv("opt", Some(b'o')),
    fv("label", None),
    fb("internal", None),
    fb("ipv4", None),
    fb("ipv6", None),
    fb("attachable", None),
    fb("ingress", None),
    fv("scope", None),
    fb("config-only", None),
    fv("config-from", None),
    fv("ipam-driver", None),
    fv("subnet", None),
    fv("ip-range", None),
    fv("gateway", None),
    fv("aux-address", None),
    fv("ipam-opt", None),
];
const NETWORK_LS_FLAGS: &[Flag] = &[
    fv("filter", Some(b'f')),
    fv("format", None),
    fb("no-trunc", None),
    fb("quiet", Some(b'q')),
];
const NETWORK_INSPECT_FLAGS: &[Flag] = &[fv("format", Some(b'f')), fb("verbose", Some(b'v'))];
const FORCE_FLAGS: &[Flag] = &[fb("force", Some(b'f'))];
const NETWORK_PRUNE_FLAGS: &[Flag] = &[fv("filter", None), fb("force", Some(b'f'))];
const NETWORK_CONNECT_FLAGS: &[Flag] = &[
    fv("ip", None),
    fv("ip6", None),
    fv("alias", None),
    fv("link", None),
    fv("link-local-ip", None),
    fv("driver-opt", None),
];

const NETWORK_GROUP: Group = Group {
    path: "docker network",
    short: "Manage networks",
    subcommands: &[
        ("connect", "Connect a container to a network"),
        ("create", "Create a network"),
        ("disconnect", "Disconnect a container from a network"),
        (
            "inspect",
            "Display detailed information on one or more networks",
        ),
        ("ls", "List networks"),
        ("prune", "Remove all unused networks"),
        ("rm", "Remove one or more networks"),
    ],
};

pub(super) fn parse_network(args: &[String]) -> Result<DockerCommand, CliError> {
    let (sub, rest) = NETWORK_GROUP.split(args)?;
    match sub {
        "create" => parse_network_create(rest),
        "ls" | "list" => {
            let cmd = Cmd::new(
                "docker network ls",
                "[OPTIONS]",
                "List networks",
                NETWORK_LS_FLAGS,
            );
            let (mut quiet, mut filters, mut no_trunc, mut format) =
                (false, Vec::new(), false, None);
            let pos = cmd.parse(rest, &mut |f, v| {
                match f.long {
                    "quiet" => quiet = parse_go_bool(v)?,
                    "no-trunc" => no_trunc = parse_go_bool(v)?,
                    "format" => format = Some(v.to_string()),
                    "filter" => {
                        validate_filter(v)?;
                        if !v.is_empty() {
                            filters.push(v.to_string());
                        }
                    }
                    _ => {}
                }
                Ok(())
            })?;
            cmd.no_args(&pos)?;
            Ok(DockerCommand::NetworkLs {
                quiet,
                filters,
                no_trunc,
                format,
            })
        }
        "inspect" => {
            let cmd = Cmd::new(
                "docker network inspect",
                "[OPTIONS] NETWORK [NETWORK...]",
                "Display detailed information on one or more networks",
                NETWORK_INSPECT_FLAGS,
            );
            let mut format = None;
            let networks = cmd.parse(rest, &mut |f, v| {
                if f.long == "format" {
                    format = Some(v.to_string());
                }
                Ok(())
            })?;
            cmd.min_args(1, &networks)?;
            Ok(DockerCommand::NetworkInspect { networks, format })
        }
        "rm" | "remove" => {
            let cmd = Cmd::new(
                "docker network rm",
                "NETWORK [NETWORK...]",
                "Remove one or more networks",
                FORCE_FLAGS,
            );
            let mut force = false;
            let networks = cmd.parse(rest, &mut |_, v| {
                force = parse_go_bool(v)?;
                Ok(())
            })?;
            cmd.min_args(1, &networks)?;
            Ok(DockerCommand::NetworkRm { networks, force })
        }
        "connect" => {
            let cmd = Cmd::new(
                "docker network connect",
                "[OPTIONS] NETWORK CONTAINER",
                "Connect a container to a network",
                NETWORK_CONNECT_FLAGS,
            );
            let (mut ip, mut aliases, mut links) = (None, Vec::new(), Vec::new());
            let pos = cmd.parse(rest, &mut |f, v| {
                match f.long {
                    "ip" => ip = Some(v.to_string()),
                    "alias" => aliases.extend(csv_fields(v)?),
                    "link" => {
                        validate_link(v)?;
                        links.push(v.to_string());
                    }
                    _ => {}
                }
                Ok(())
            })?;
            cmd.exact_args(2, &pos)?;
            Ok(DockerCommand::NetworkConnect {
                network: pos[0].clone(),
                container: pos[1].clone(),
                ip,
                aliases,
                links,
            })
        }
        "disconnect" => {
            let cmd = Cmd::new(
                "docker network disconnect",
                "[OPTIONS] NETWORK CONTAINER",
                "Disconnect a container from a network",
                FORCE_FLAGS,
            );
            let mut force = false;
            let pos = cmd.parse(rest, &mut |_, v| {
                force = parse_go_bool(v)?;
                Ok(())
            })?;
            cmd.exact_args(2, &pos)?;
            Ok(DockerCommand::NetworkDisconnect {
                network: pos[0].clone(),
                container: pos[1].clone(),
                force,
            })
        }
        "prune" => {
            let cmd = Cmd::new(
                "docker network prune",
                "[OPTIONS]",
                "Remove all unused networks",
                NETWORK_PRUNE_FLAGS,
            );
            let (mut force, mut filters) = (false, Vec::new());
            let pos = cmd.parse(rest, &mut |f, v| {
                match f.long {
                    "force" => force = parse_go_bool(v)?,
                    "filter" => {
                        validate_filter(v)?;
                        if !v.is_empty() {
                            filters.push(v.to_string());
                        }
                    }
                    _ => {}
                }
                Ok(())
            })?;
            cmd.no_args(&pos)?;
            Ok(DockerCommand::NetworkPrune { force, filters })
        }
        _ => Err(NETWORK_GROUP.unknown()),
    }
}

fn parse_network_create(args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(
        "docker network create",
        "[OPTIONS] NETWORK",
        "Create a network",
        NETWORK_CREATE_FLAGS,
    );
    let mut nc = NetworkCreate::default();
    let pos = cmd.parse(args, &mut |f, v| {
        match f.long {
            "driver" => nc.driver = Some(v.to_string()),
            "opt" => map_set(&mut nc.options, v),
            "label" => nc.labels.push(kv(v)),
            "internal" => nc.internal = parse_go_bool(v)?,
            "ipv4" => nc.ipv4 = Some(parse_go_bool(v)?),
            "ipv6" => nc.ipv6 = Some(parse_go_bool(v)?),
            "attachable" => nc.attachable = parse_go_bool(v)?,
            "ingress" => nc.ingress = parse_go_bool(v)?,
            "scope" => nc.scope = Some(v.to_string()),
            "config-only" => nc.config_only = parse_go_bool(v)?,
            "config-from" => nc.config_from = Some(v.to_string()),
            "ipam-driver" => nc.ipam_driver = Some(v.to_string()),
            "subnet" => nc.subnets.extend(csv_fields(v)?),
            "ip-range" => nc.ip_ranges.extend(csv_fields(v)?),
            "gateway" => nc.gateways.extend(csv_fields(v)?),
            "aux-address" => map_set(&mut nc.aux_addresses, v),
            "ipam-opt" => map_set(&mut nc.ipam_opts, v),
            _ => {}
        }
        Ok(())
    })?;
    cmd.exact_args(1, &pos)?;
    nc.name = pos[0].clone();
    validate_ipam(&nc).map_err(|m| CliError::new(m, 1))?;
    Ok(DockerCommand::NetworkCreate(nc))
}

/// The checks of the CLI's `createIPAMConfig`, in its order.
fn validate_ipam(nc: &NetworkCreate) -> Result<(), String> {
    if nc.subnets.len() < nc.ip_ranges.len() || nc.subnets.len() < nc.gateways.len() {
        return Err("every ip-range or gateway must have a corresponding subnet".to_string());
    }
    let subnet_matches = |subnet: &str, data: &str| -> Result<bool, String> {
        let net = go_parse_cidr(subnet).map_err(|e| format!("invalid subnet: {e}"))?;
        let ip = if data.contains('/') {
            Some(go_parse_cidr(data)?.0)
        } else {
            data.parse::<IpAddr>().ok()
        };
        Ok(ip.is_some_and(|ip| cidr_contains(net, ip)))
    };
    let mut seen: Vec<&str> = Vec::new();
    for s in &nc.subnets {
        for k in &seen {
            let ok1 = subnet_matches(s, k)?;
            let ok2 = subnet_matches(k, s)?;
            if ok1 || ok2 {
                return Err(
                    "multiple overlapping subnet configuration is not supported".to_string()
                );
            }
        }
        seen.push(s);
    }
    let mut ranges: Vec<Option<&str>> = vec![None; nc.subnets.len()];
    for r in &nc.ip_ranges {
        let mut matched = false;
        for (i, s) in nc.subnets.iter().enumerate() {
            go_parse_cidr(r)?;
            if !subnet_matches(s, r)? {
                continue;
            }
            if let Some(prev) = ranges[i] {
                return Err(format!(
                    "cannot configure multiple ranges ({r}, {prev}) on the same subnet ({s})"
                ));
            }
            ranges[i] = Some(r);
            matched = true;
        }
        if !matched {
            return Err(format!("no matching subnet for range {r}"));
        }
    }
    let mut gateways: Vec<Option<&str>> = vec![None; nc.subnets.len()];
    for g in &nc.gateways {
        let mut matched = false;
        for (i, s) in nc.subnets.iter().enumerate() {
            if !subnet_matches(s, g)? {
                continue;
            }
            if let Some(prev) = gateways[i] {
                return Err(format!(
                    "cannot configure multiple gateways ({g}, {prev}) for the same subnet ({s})"
                ));
            }
            gateways[i] = Some(g);
            matched = true;
        }
        if !matched {
            return Err(format!("no matching subnet for gateway {g}"));
        }
    }
    for (_, a) in &nc.aux_addresses {
        let mut matched = false;
        for s in &nc.subnets {
            if subnet_matches(s, a)? {
                matched = true;
            }
        }
        if !matched {
            return Err(format!("no matching subnet for aux-address {a}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    // -- the lines of the brief, verbatim ------------------------------------

    #[test]
    fn network_create_nat() {
        let n = net_create(r#"docker network create -d "nat" --subnet "10.244.0.0/24" my_nat"#);
        assert_eq!(
            n,
            NetworkCreate {
                name: "my_nat".into(),
                driver: Some("nat".into()),
                subnets: strs(&["10.244.0.0/24"]),
                ..Default::default()
            }
        );
    }

    #[test]
    fn network_create_transparent() {
        let n = net_create(
            r#"docker network create -d "transparent" --subnet 10.244.0.0/24 --gateway 10.244.0.1 -o com.docker.network.windowsshim.vlanid=7 -o com.docker.network.windowsshim.dnsservers="10.244.0.7" my_transparent"#,
        );
        assert_eq!(n.name, "my_transparent");
        assert_eq!(n.driver.as_deref(), Some("transparent"));
        assert_eq!(n.subnets, strs(&["10.244.0.0/24"]));
        assert_eq!(n.gateways, strs(&["10.244.0.1"]));
        assert_eq!(
            n.options,
            pairs(&[
                ("com.docker.network.windowsshim.vlanid", "7"),
                ("com.docker.network.windowsshim.dnsservers", "10.244.0.7"),
            ])
        );
    }

    #[test]
    fn network_create_overlay() {
        let n = net_create(
            r#"docker network create -d "overlay" --attachable --subnet "10.244.0.0/24" -o com.docker.network.windowsshim.dnsservers="168.63.129.16" -o com.docker.network.driver.overlay.vxlanid_list="4096" my_overlay"#,
        );
        assert_eq!(n.name, "my_overlay");
        assert_eq!(n.driver.as_deref(), Some("overlay"));
        assert!(n.attachable);
        assert_eq!(
            n.options,
            pairs(&[
                ("com.docker.network.windowsshim.dnsservers", "168.63.129.16"),
                ("com.docker.network.driver.overlay.vxlanid_list", "4096"),
            ])
        );
    }

    #[test]
    fn network_create_l2bridge() {
        let n = net_create(
            r#"docker network create -d "l2bridge" --subnet 10.244.0.0/24 --gateway 10.244.0.1 -o com.docker.network.windowsshim.vlanid=7 -o com.docker.network.windowsshim.dnsservers="10.244.0.7" my_l2bridge"#,
        );
        assert_eq!(n.name, "my_l2bridge");
        assert_eq!(n.driver.as_deref(), Some("l2bridge"));
        assert_eq!(n.gateways, strs(&["10.244.0.1"]));
        assert_eq!(n.options.len(), 2);
    }

    #[test]
    fn network_inspect_ls() {
        assert_eq!(
            ok("docker network inspect my_nat"),
            DockerCommand::NetworkInspect {
                networks: strs(&["my_nat"]),
                format: None
            }
        );
        assert_eq!(
            ok("docker network ls"),
            DockerCommand::NetworkLs {
                quiet: false,
                filters: vec![],
                no_trunc: false,
                format: None
            }
        );
    }

    #[test]
    fn network_aliases_and_commands() {
        assert!(matches!(
            ok("docker network list"),
            DockerCommand::NetworkLs { .. }
        ));
        assert_eq!(
            ok("docker network remove a b"),
            DockerCommand::NetworkRm {
                networks: strs(&["a", "b"]),
                force: false
            }
        );
        assert_eq!(
            ok("docker network connect --ip 10.0.0.7 --alias a,b my_nat web"),
            DockerCommand::NetworkConnect {
                network: "my_nat".into(),
                container: "web".into(),
                ip: Some("10.0.0.7".into()),
                aliases: strs(&["a", "b"]),
                links: Vec::new(),
            }
        );
        assert_eq!(
            ok("docker network disconnect -f my_nat web"),
            DockerCommand::NetworkDisconnect {
                network: "my_nat".into(),
                container: "web".into(),
                force: true
            }
        );
        assert_eq!(
            ok("docker network ls -q --filter driver=nat --no-trunc --format '{{.Name}}'"),
            DockerCommand::NetworkLs {
                quiet: true,
                filters: strs(&["driver=nat"]),
                no_trunc: true,
                format: Some("{{.Name}}".into())
            }
        );
    }

    #[test]
    fn network_create_interspersed_and_opts() {
        let n = net_create(
            "docker network create my_net -d nat --subnet 10.1.0.0/16,10.2.0.0/16 -o a -o b=c=d \
             -o a=x --label k=v --internal --ipv6=false --ipam-driver windows \
             --aux-address h=10.1.0.9 --ip-range 10.1.1.0/24",
        );
        assert_eq!(n.name, "my_net");
        assert_eq!(n.subnets, strs(&["10.1.0.0/16", "10.2.0.0/16"]));
        assert_eq!(n.options, pairs(&[("a", "x"), ("b", "c=d")]));
        assert_eq!(n.labels, pairs(&[("k", "v")]));
        assert!(n.internal);
        assert_eq!(n.ipv6, Some(false));
        assert_eq!(n.ipv4, None);
        assert_eq!(n.ipam_driver.as_deref(), Some("windows"));
        assert_eq!(n.aux_addresses, pairs(&[("h", "10.1.0.9")]));
        assert_eq!(n.ip_ranges, strs(&["10.1.1.0/24"]));
        // `--` ends the flags.
        assert_eq!(net_create("docker network create -- -weird").name, "-weird");
    }

    #[test]
    fn ipam_errors() {
        assert_err(
            "docker network create --gateway 10.0.0.1 n",
            "every ip-range or gateway must have a corresponding subnet",
            1,
        );
        assert_err(
            "docker network create --subnet 10.0.0.0/24 --gateway 10.9.0.1 n",
            "no matching subnet for gateway 10.9.0.1",
            1,
        );
        assert_err(
            "docker network create --subnet 10.0.0.0/16 --subnet 10.0.1.0/24 n",
            "multiple overlapping subnet configuration is not supported",
            1,
        );
        assert_err(
            "docker network create --subnet x --gateway 10.0.0.1 n",
            "invalid subnet: invalid CIDR address: x",
            1,
        );
        assert_err(
            "docker network create --subnet 10.0.0.0/24 --ip-range 10.1.0.0/24 n",
            "no matching subnet for range 10.1.0.0/24",
            1,
        );
    }
}
