//! What the docker CLI prints: `network ls` and `ps` tables, aligned by the `tabwriter` crate
//! as docker's formatter aligns them with Go's text/tabwriter, `port`, and `inspect` JSON
//! with the real field names and order (Go's struct order, map keys sorted as Go's encoder
//! sorts them), indented by four spaces as the CLI does, or put through `-f` templates.

use super::backend::{OsBackend, PublishedPort};
use super::daemon::CommandOutput;
use super::store::{Container, ContainerState, DockerNetwork, Isolation, Store};
use super::template::{strip_omitted, Template, TemplateError, OMITTED_EMPTY};
use crate::time::SimTime;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::io::Write;
use tabwriter::TabWriter;

/// Simulated time 0 is shown as this instant, so that timestamps look like docker's.
const EPOCH_DATE: &str = "2026-01-01";

pub fn timestamp(t: SimTime) -> String {
    let ns = t.as_nanos();
    let secs = ns / 1_000_000_000;
    format!(
        "{EPOCH_DATE}T{:02}:{:02}:{:02}.{:09}Z",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60,
        ns % 1_000_000_000
    )
}

/// The header and rows, one tab-separated line each, aligned as docker/cli's formatter does
/// with `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`: columns padded by 3 spaces to at least 10
/// characters, the last column not padded.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    // Go's minimum width counts the padding; the crate's does not.
    let mut tw = TabWriter::new(Vec::new()).minwidth(10 - 3).padding(3);
    let lines = std::iter::once(header.join("\t")).chain(rows.iter().map(|r| r.join("\t")));
    for line in lines {
        writeln!(tw, "{line}").expect("writing to memory cannot fail");
    }
    let bytes = tw.into_inner().expect("flushing to memory cannot fail");
    String::from_utf8(bytes).expect("the cells are UTF-8")
}

/// Whether a network passes `docker network ls --filter` (docker's `network/filter.go`):
/// filters of one key are alternatives, filters of different keys must all hold. `name`
/// matches a part of the name, `id` a prefix of the id, `driver` and `scope` exactly,
/// `type` `builtin` or `custom`, `label` a key or `key=value`.
pub fn network_passes(n: &DockerNetwork, filters: &[String]) -> bool {
    let mut by_key: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in filters {
        let (k, v) = f.split_once('=').unwrap_or((f.as_str(), ""));
        by_key.entry(k).or_default().push(v);
    }
    by_key.iter().all(|(key, values)| {
        values.iter().any(|v| match *key {
            "name" => n.name.contains(v),
            "id" => n.id.starts_with(v),
            "driver" => n.driver == *v,
            "scope" => network_scope(n) == *v,
            "type" => (*v == "builtin") == n.predefined,
            "label" => {
                let (lk, lv) = v.split_once('=').map_or((*v, None), |(a, b)| (a, Some(b)));
                n.labels
                    .iter()
                    .any(|(k, val)| k == lk && lv.is_none_or(|lv| lv == val))
            }
            _ => true,
        })
    })
}

fn network_scope(n: &DockerNetwork) -> &'static str {
    if n.driver == "overlay" {
        "swarm"
    } else {
        "local"
    }
}

/// One `docker network ls` row as a template sees it (docker's `networkContext`).
fn network_row(n: &DockerNetwork, no_trunc: bool) -> Value {
    let id = if no_trunc { &n.id[..] } else { n.short_id() };
    json!({
        "ID": id,
        "Name": n.name,
        "Driver": n.driver,
        "Scope": network_scope(n),
        "IPv6": n.ipv6.to_string(),
        "Internal": n.internal.to_string(),
        "Labels": n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
    })
}

/// Rows through a `--format` template (not `table`), one line each.
fn format_rows(rows: &[Value], format: &str) -> Result<String, String> {
    let t =
        Template::parse(format).map_err(|e| format!("template parsing error: {}", e.message()))?;
    let mut out = String::new();
    for r in rows {
        let line = t
            .execute(r)
            .map_err(|e| format!("template parsing error: {}", e.message()))?;
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// `docker network ls [--filter …] [--format …] [-q] [--no-trunc]`, sorted by name.
pub fn network_ls_filtered(
    nets: &[DockerNetwork],
    quiet: bool,
    filters: &[String],
    format: Option<&str>,
    no_trunc: bool,
) -> CommandOutput {
    let shown: Vec<DockerNetwork> = nets
        .iter()
        .filter(|n| network_passes(n, filters))
        .cloned()
        .collect();
    match format.filter(|f| !f.is_empty() && !f.starts_with("table") && !quiet) {
        Some(f) => {
            let mut sorted: Vec<&DockerNetwork> = shown.iter().collect();
            sorted.sort_by(|a, b| a.name.cmp(&b.name));
            let rows: Vec<Value> = sorted.iter().map(|n| network_row(n, no_trunc)).collect();
            match format_rows(&rows, f) {
                Ok(s) => CommandOutput::ok(s),
                Err(e) => CommandOutput::plain_error(e),
            }
        }
        None => CommandOutput::ok(network_ls(&shown, quiet)),
    }
}

pub fn network_ls(nets: &[DockerNetwork], quiet: bool) -> String {
    let mut sorted: Vec<&DockerNetwork> = nets.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    if quiet {
        return sorted
            .iter()
            .map(|n| format!("{}\n", n.short_id()))
            .collect();
    }
    let rows: Vec<Vec<String>> = sorted
        .iter()
        .map(|n| {
            vec![
                n.short_id().to_string(),
                n.name.clone(),
                n.driver.clone(),
                if n.driver == "overlay" {
                    "swarm"
                } else {
                    "local"
                }
                .into(),
            ]
        })
        .collect();
    table(&["NETWORK ID", "NAME", "DRIVER", "SCOPE"], &rows)
}

pub fn ps(containers: &[Container], backend: &dyn OsBackend, all: bool, quiet: bool) -> String {
    let shown: Vec<&Container> = containers
        .iter()
        .filter(|c| all || c.state == ContainerState::Running)
        .collect();
    if quiet {
        return shown
            .iter()
            .map(|c| format!("{}\n", c.short_id()))
            .collect();
    }
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|c| {
            vec![
                c.short_id().to_string(),
                c.image.clone(),
                status(c),
                displayable_ports(&container_ports(c, backend), backend.legacy_port_listing()),
                c.name.clone(),
            ]
        })
        .collect();
    table(
        &["CONTAINER ID", "IMAGE", "STATUS", "PORTS", "NAMES"],
        &rows,
    )
}

/// What `docker ps` is asked for.
pub struct PsOptions<'a> {
    pub all: bool,
    pub quiet: bool,
    pub filters: &'a [String],
    pub format: Option<&'a str>,
    pub now: SimTime,
}

/// Whether a container passes `docker ps --filter`: `name` (a part of the name), `id` (a
/// prefix), `label` (`key` or `key=value`), `status`, `network` (name or id).
fn container_passes(c: &Container, store: &Store, filters: &[String]) -> bool {
    let mut by_key: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in filters {
        let (k, v) = f.split_once('=').unwrap_or((f.as_str(), ""));
        by_key.entry(k).or_default().push(v);
    }
    by_key.iter().all(|(key, values)| {
        values.iter().any(|v| match *key {
            "name" => c.name.contains(v),
            "id" => c.id.starts_with(v),
            "status" => state_name(c.state) == *v,
            "label" => {
                let (lk, lv) = v.split_once('=').map_or((*v, None), |(a, b)| (a, Some(b)));
                c.labels
                    .iter()
                    .any(|(k, val)| k == lk && lv.is_none_or(|lv| lv == val))
            }
            "network" => c.attachments.iter().any(|a| {
                a.network_name == *v
                    || store
                        .network_by_id(&a.network_id)
                        .is_some_and(|n| n.id.starts_with(v) || n.name == *v)
            }),
            _ => true,
        })
    })
}

fn state_name(s: ContainerState) -> &'static str {
    match s {
        ContainerState::Running => "running",
        ContainerState::Created => "created",
        ContainerState::Exited => "exited",
    }
}

/// docker's `units.HumanDuration`.
fn human_duration(ns: u64) -> String {
    const HOUR: u64 = 3_600_000_000_000;
    let secs = ns / 1_000_000_000;
    let mins = secs / 60;
    // Go rounds the hours: `int(d.Hours() + 0.5)`.
    let hours = (ns + HOUR / 2) / HOUR;
    if secs < 1 {
        "Less than a second".into()
    } else if secs == 1 {
        "1 second".into()
    } else if secs < 60 {
        format!("{secs} seconds")
    } else if mins == 1 {
        "About a minute".into()
    } else if mins < 60 {
        format!("{mins} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", ns / HOUR / 24 / 365)
    }
}

/// moby's `State.String()` with its durations.
fn status_with_time(c: &Container, now: SimTime) -> String {
    let since = human_duration(now.as_nanos().saturating_sub(c.state_since.as_nanos()));
    match c.state {
        ContainerState::Running => format!("Up {since}"),
        ContainerState::Created => "Created".into(),
        ContainerState::Exited => format!("Exited ({}) {since} ago", c.exit_code),
    }
}

/// `docker ps` with `--filter` and `--format` (docker's `containerContext`: `.ID`,
/// `.Image`, `.Names`, `.Status`, `.State`, `.Ports`, `.Networks`, `.Labels`). A template
/// shows the newest container first, with the status's durations, as docker does; the plain
/// table keeps hnsim's older form.
pub fn ps_filtered(store: &Store, backend: &dyn OsBackend, o: PsOptions) -> CommandOutput {
    let shown: Vec<Container> = store
        .containers
        .iter()
        .filter(|c| container_passes(c, store, o.filters))
        .cloned()
        .collect();
    let Some(f) = o
        .format
        .filter(|f| !f.is_empty() && !f.starts_with("table") && !o.quiet)
    else {
        return CommandOutput::ok(ps(&shown, backend, o.all, o.quiet));
    };
    let mut rows: Vec<(&Container, Value)> = shown
        .iter()
        .filter(|c| o.all || c.state == ContainerState::Running)
        .map(|c| {
            let networks: Vec<String> = c
                .attachments
                .iter()
                .map(|a| {
                    store
                        .network_by_id(&a.network_id)
                        .map_or(a.network_name.clone(), |n| n.name.clone())
                })
                .collect();
            let row = json!({
                "ID": c.short_id(),
                "Image": c.image,
                "Names": c.name,
                "Status": status_with_time(c, o.now),
                "State": state_name(c.state),
                "Ports": displayable_ports(&container_ports(c, backend), backend.legacy_port_listing()),
                "Networks": networks.join(","),
                "Labels": c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
            });
            (c, row)
        })
        .collect();
    // Newest first; containers created at the same instant by their order of creation.
    rows.reverse();
    rows.sort_by_key(|(c, _)| std::cmp::Reverse(c.created));
    let rows: Vec<Value> = rows.into_iter().map(|(_, r)| r).collect();
    match format_rows(&rows, f) {
        Ok(s) => CommandOutput::ok(s),
        Err(e) => CommandOutput::plain_error(e),
    }
}

/// moby's `State.String()` without the durations hnsim does not keep: a container that never
/// started is `Created` whatever its exit code (a failed start leaves 128 there).
fn status(c: &Container) -> String {
    match c.state {
        ContainerState::Running => "Up".into(),
        ContainerState::Created => "Created".into(),
        ContainerState::Exited => format!("Exited ({})", c.exit_code),
    }
}

/// The ports a running container publishes, as docker reads them back from its endpoints
/// (all of them: Server 2016's hidden `gateway_` endpoint carries an overlay container's).
/// A stopped container has none.
pub fn container_ports(c: &Container, backend: &dyn OsBackend) -> Vec<PublishedPort> {
    if c.state != ContainerState::Running {
        return Vec::new();
    }
    c.attachments
        .iter()
        .filter_map(|a| a.endpoint.as_deref())
        .chain(c.hidden_endpoints.iter().map(String::as_str))
        .filter_map(|e| backend.endpoint(e))
        .flat_map(|e| e.ports)
        .collect()
}

/// docker/cli's `DisplayablePorts`: sorted by container port, host address, host port and
/// protocol; a run of consecutive ports published on the same numbers and address is shown
/// as one range, the others one by one after them. `legacy`: the 20.10 CLI joins address
/// and port with a bare colon (`:::8080`), later ones as `net.JoinHostPort` does
/// (`[::]:8080`).
fn displayable_ports(ports: &[PublishedPort], legacy: bool) -> String {
    let mut ports: Vec<&PublishedPort> = ports.iter().collect();
    ports.sort_by(|a, b| {
        (a.container_port, &a.host_ip, a.host_port, a.proto).cmp(&(
            b.container_port,
            &b.host_ip,
            b.host_port,
            b.proto,
        ))
    });
    let join = |ip: &str, port: &str| {
        if legacy || !ip.contains(':') {
            format!("{ip}:{port}")
        } else {
            format!("[{ip}]:{port}")
        }
    };
    // (address, protocol, first, last), in the order each key was first seen.
    let mut groups: Vec<(&str, &str, u16, u16)> = Vec::new();
    let mut result = Vec::new();
    let mut mappings = Vec::new();
    let group = |g: &(&str, &str, u16, u16)| {
        let range = if g.2 == g.3 {
            g.2.to_string()
        } else {
            format!("{}-{}", g.2, g.3)
        };
        format!("{}->{range}/{}", join(g.0, &range), g.1)
    };
    for p in ports {
        if p.host_port != p.container_port {
            mappings.push(format!(
                "{}->{}/{}",
                join(&p.host_ip, &p.host_port.to_string()),
                p.container_port,
                p.proto
            ));
            continue;
        }
        match groups
            .iter_mut()
            .find(|g| g.0 == p.host_ip && g.1 == p.proto)
        {
            None => groups.push((&p.host_ip, p.proto, p.container_port, p.container_port)),
            Some(g) if p.container_port == g.3 + 1 => g.3 = p.container_port,
            Some(g) => {
                result.push(group(g));
                *g = (&p.host_ip, p.proto, p.container_port, p.container_port);
            }
        }
    }
    result.extend(groups.iter().map(group));
    result.extend(mappings);
    result.join(", ")
}

/// `docker port`: every mapping (`80/tcp -> 0.0.0.0:8080`), or the host side of one, in
/// natural order, with the CLI's errors. `legacy`: as the 20.10 CLI prints it, `ip:port`
/// unbracketed (`:::8080`), each container port's bindings in the daemon's order (the
/// ports themselves come from a Go map there; ascending here).
pub fn port(
    ports: &[PublishedPort],
    container: &str,
    which: Option<&str>,
    legacy: bool,
) -> CommandOutput {
    let host = |p: &PublishedPort| {
        if legacy || !p.host_ip.contains(':') {
            format!("{}:{}", p.host_ip, p.host_port)
        } else {
            format!("[{}]:{}", p.host_ip, p.host_port)
        }
    };
    let mut ports: Vec<&PublishedPort> = ports.iter().collect();
    if legacy {
        ports.sort_by_key(|p| (p.container_port, p.proto));
    }
    let mut out: Vec<String> = match which {
        Some(spec) => {
            let (port, proto) = spec.split_once('/').unwrap_or((spec, ""));
            let proto = if proto.is_empty() { "tcp" } else { proto };
            let Some(n) = parse_port(port) else {
                return CommandOutput::plain_error(format!(
                    "Error: invalid port ({port}): strconv.ParseUint: parsing {port:?}: invalid syntax"
                ));
            };
            let hosts: Vec<String> = ports
                .iter()
                .filter(|p| p.container_port == n && p.proto == proto)
                .map(|p| host(p))
                .collect();
            if hosts.is_empty() {
                // The 20.10 CLI names the port with its protocol (`natPort`: `81/tcp`).
                let named = if legacy {
                    format!("{port}/{proto}")
                } else {
                    spec.to_string()
                };
                return CommandOutput::plain_error(format!(
                    "Error: No public port '{named}' published for {container}"
                ));
            }
            hosts
        }
        None => ports
            .iter()
            .map(|p| format!("{}/{} -> {}", p.container_port, p.proto, host(p)))
            .collect(),
    };
    if !legacy {
        out.sort_by(|a, b| natural_cmp(a, b));
    }
    if out.is_empty() {
        return CommandOutput::ok("");
    }
    CommandOutput::ok(out.join("\n") + "\n")
}

/// Go's `strconv.ParseUint(s, 10, 16)`.
fn parse_port(s: &str) -> Option<u16> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// The natural order of `sortorder.NaturalLess`: runs of digits compare as numbers.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&a[..da]), trim_zeros(&b[..db]));
                let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let z = d.iter().take_while(|c| **c == b'0').count();
    &d[z.min(d.len().saturating_sub(1))..]
}

/// A JSON object with its keys in Go's order for a map (sorted).
fn sorted_map(entries: impl IntoIterator<Item = (String, Value)>) -> Value {
    let sorted: BTreeMap<String, Value> = entries.into_iter().collect();
    Value::Object(sorted.into_iter().collect())
}

pub fn network_json(net: &DockerNetwork, store: &Store, backend: &dyn OsBackend) -> Value {
    let mut ctrs = Vec::new();
    for (c, _, ep) in store.running_on(&net.id) {
        let Some(ep) = backend.endpoint(ep) else {
            continue;
        };
        // An endpoint of the host or null driver has no address and no MAC.
        let addressed = !ep.ip.is_unspecified();
        ctrs.push((
            c.id.clone(),
            json!({
                "Name": c.name,
                "EndpointID": ep.id,
                "MacAddress": if addressed { ep.mac.to_string() } else { String::new() },
                "IPv4Address": if addressed { format!("{}/{}", ep.ip, ep.prefix_len) } else { String::new() },
                "IPv6Address": "",
            }),
        ));
    }
    let (ipam_driver, extra_options) = backend.inspect_extras(net);
    let options = sorted_map(
        net.options
            .iter()
            .chain(&extra_options)
            .map(|(k, v)| (k.clone(), Value::String(v.clone()))),
    );
    let labels = sorted_map(
        net.labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone()))),
    );
    let config: Vec<Value> = if net.ipam_config.is_empty() {
        net.ipam
            .iter()
            .map(|(s, g)| json!({"Subnet": s, "Gateway": g}))
            .collect()
    } else {
        net.ipam_config.iter().map(ipam_config_json).collect()
    };
    let ipam_options = match &net.ipam_options {
        None => Value::Null,
        Some(o) => sorted_map(o.iter().map(|(k, v)| (k.clone(), Value::String(v.clone())))),
    };
    let mut out = Map::new();
    out.insert("Name".into(), json!(net.name));
    out.insert("Id".into(), json!(net.id));
    out.insert("Created".into(), json!(timestamp(net.created)));
    out.insert(
        "Scope".into(),
        json!(if net.driver == "overlay" {
            "swarm"
        } else {
            "local"
        }),
    );
    out.insert("Driver".into(), json!(net.driver));
    // `EnableIPv4` came with Docker 28.0 (API 1.48).
    if backend.shows_enable_ipv4() {
        out.insert("EnableIPv4".into(), json!(true));
    }
    out.insert("EnableIPv6".into(), json!(net.ipv6));
    out.insert(
        "IPAM".into(),
        json!({ "Driver": ipam_driver, "Options": ipam_options, "Config": config }),
    );
    out.insert("Internal".into(), json!(net.internal));
    out.insert("Attachable".into(), json!(net.attachable));
    out.insert("Ingress".into(), json!(net.ingress));
    out.insert("ConfigFrom".into(), json!({ "Network": "" }));
    out.insert("ConfigOnly".into(), json!(false));
    out.insert("Containers".into(), sorted_map(ctrs));
    out.insert("Options".into(), options);
    out.insert("Labels".into(), labels);
    Value::Object(out)
}

/// One `IPAM.Config` entry as Go's encoder writes `network.IPAMConfig` (all `omitempty`).
fn ipam_config_json(c: &super::store::IpamConfig) -> Value {
    let mut m = Map::new();
    for (key, value) in [
        ("Subnet", &c.subnet),
        ("IPRange", &c.ip_range),
        ("Gateway", &c.gateway),
    ] {
        let value = if value.is_empty() {
            OMITTED_EMPTY
        } else {
            value
        };
        m.insert(key.into(), json!(value));
    }
    let aux = if c.aux.is_empty() {
        json!(OMITTED_EMPTY)
    } else {
        sorted_map(c.aux.iter().map(|(k, v)| (k.clone(), json!(v))))
    };
    m.insert("AuxiliaryAddresses".into(), aux);
    Value::Object(m)
}

/// `docker inspect` of a container: the fields hnsim knows, in the order of moby's
/// `InspectResponse`. On Windows the deprecated top-level address fields stay empty: moby
/// fills them from a network named `bridge` only (`getDefaultNetworkSettings`).
pub fn container_json(c: &Container, nets: &[DockerNetwork], backend: &dyn OsBackend) -> Value {
    let mut networks = Vec::new();
    for a in &c.attachments {
        let name = nets
            .iter()
            .find(|n| n.id == a.network_id)
            .map_or(a.network_name.clone(), |n| n.name.clone());
        let ep = a.endpoint.as_deref().and_then(|e| backend.endpoint(e));
        // An endpoint of the host or null driver shows only its id.
        let (endpoint_id, ep) = match ep {
            Some(e) if e.ip.is_unspecified() => (e.id, None),
            Some(e) => (e.id.clone(), Some(e)),
            None => (a.failed_endpoint.clone().unwrap_or_default(), None),
        };
        networks.push((
            name,
            json!({
                "IPAMConfig": a.requested_ip.map(|ip| json!({"IPv4Address": ip.to_string()})),
                "Links": Value::Null,
                "Aliases": if a.aliases.is_empty() { Value::Null } else { json!(a.aliases) },
                "MacAddress": ep.as_ref().map(|e| e.mac.to_string()).unwrap_or_default(),
                "DriverOpts": Value::Null,
                "GwPriority": 0,
                "NetworkID": a.network_id,
                "EndpointID": endpoint_id,
                "Gateway": ep.as_ref().map(|e| e.gateway.to_string()).unwrap_or_default(),
                "IPAddress": ep.as_ref().map(|e| e.ip.to_string()).unwrap_or_default(),
                "IPPrefixLen": ep.as_ref().map(|e| e.prefix_len).unwrap_or(0),
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "DNSNames": if ep.is_some() {
                    let mut names = vec![c.name.clone(), c.short_id().to_string()];
                    names.extend(a.aliases.iter().cloned());
                    json!(names)
                } else {
                    Value::Null
                },
            }),
        ));
    }
    let mut bindings: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for p in container_ports(c, backend) {
        bindings
            .entry(format!("{}/{}", p.container_port, p.proto))
            .or_default()
            .push(json!({"HostIp": p.host_ip, "HostPort": p.host_port.to_string()}));
    }
    let mut ports: Vec<(String, Value)> = bindings
        .into_iter()
        .map(|(k, v)| (k, Value::Array(v)))
        .collect();
    // An exposed port with no host binding is listed with `null` while the container runs.
    if c.state == ContainerState::Running {
        for (port, proto) in &c.exposed {
            let key = format!("{port}/{proto}");
            if !ports.iter().any(|(k, _)| *k == key) {
                ports.push((key, Value::Null));
            }
        }
    }
    let ports = sorted_map(ports);
    let port_bindings = sorted_map(c.ports.iter().map(|b| {
        let host = match b.host {
            None => String::new(),
            Some((s, e)) if s == e => s.to_string(),
            Some((s, e)) => format!("{s}-{e}"),
        };
        (
            format!("{}/{}", b.container, b.proto),
            json!([{"HostIp": b.host_ip.clone().unwrap_or_default(), "HostPort": host}]),
        )
    }));
    let network_mode = match (&c.net_from, c.attachments.first()) {
        (Some(t), _) => format!("container:{t}"),
        (None, Some(a)) => a.network_name.clone(),
        (None, None) => "default".into(),
    };
    let mut host_config = json!({
        "NetworkMode": network_mode,
        "PortBindings": port_bindings,
        "Isolation": match c.isolation { Isolation::Process => "process", Isolation::HyperV => "hyperv" },
    });
    // `--link target:alias`, as moby keeps it: `/target:/container/alias` (shown only when
    // there is one: the field hnsim knows, without the rest of HostConfig's nulls).
    if !c.naming.links.is_empty() {
        host_config["Links"] = json!(c
            .naming
            .links
            .iter()
            .map(|(t, a)| format!("/{t}:/{}/{a}", c.name))
            .collect::<Vec<_>>());
    }
    // moby's `getDefaultNetworkSettings`: the deprecated top-level fields come from the
    // network named `bridge` (Linux's docker0), and stay empty otherwise.
    let default_ep = c
        .attachments
        .iter()
        .find(|a| a.network_name == "bridge")
        .and_then(|a| a.endpoint.as_deref())
        .and_then(|e| backend.endpoint(e));
    let (status, running) = match c.state {
        ContainerState::Running => ("running", true),
        ContainerState::Created => ("created", false),
        ContainerState::Exited => ("exited", false),
    };
    json!({
        "Id": c.id,
        "State": {
            "Status": status,
            "Running": running,
            "Paused": false,
            "Restarting": false,
            "OOMKilled": false,
            "Dead": false,
            "Pid": if running { c.pid } else { 0 },
            "ExitCode": c.exit_code,
            "Error": c.error,
        },
        "Image": c.image,
        "Name": format!("/{}", c.name),
        "HostConfig": host_config,
        "Config": {
            "Hostname": c.naming.hostname.clone().unwrap_or_else(|| c.short_id().to_string()),
            "Image": c.image,
        },
        "NetworkSettings": {
            "Bridge": "",
            "SandboxID": "",
            "SandboxKey": "",
            "Ports": ports,
            "HairpinMode": false,
            "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "SecondaryIPAddresses": Value::Null,
            "SecondaryIPv6Addresses": Value::Null,
            "EndpointID": default_ep.as_ref().map(|e| e.id.clone()).unwrap_or_default(),
            "Gateway": default_ep.as_ref().map(|e| e.gateway.to_string()).unwrap_or_default(),
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "IPAddress": default_ep.as_ref().map(|e| e.ip.to_string()).unwrap_or_default(),
            "IPPrefixLen": default_ep.as_ref().map(|e| e.prefix_len).unwrap_or(0),
            "IPv6Gateway": "",
            "MacAddress": default_ep.as_ref().map(|e| e.mac.to_string()).unwrap_or_default(),
            "Networks": sorted_map(networks),
        },
    })
}

/// `docker inspect` and `docker network inspect`, after the lookups: the objects found, as
/// JSON or through a `-f` template (docker CLI's `inspect.Inspect`), then the errors of the
/// ones not found. A template that does not parse stops everything.
pub fn inspect(found: Vec<Value>, mut errors: Vec<String>, format: Option<&str>) -> CommandOutput {
    let stdout = match format {
        None | Some("") => json_array(found.iter().map(strip_omitted).collect()),
        Some("json") => {
            let items: Vec<String> = found
                .iter()
                .map(|v| {
                    serde_json::to_string(&strip_omitted(v)).expect("JSON values always serialize")
                })
                .collect();
            format!("[{}]\n", items.join(","))
        }
        Some(f) => {
            let t = match Template::parse(f) {
                Ok(t) => t,
                Err(e) => {
                    return CommandOutput::plain_error(format!(
                        "template parsing error: {}",
                        e.message()
                    ))
                }
            };
            let mut out = String::new();
            for v in &found {
                match t.execute(v) {
                    Ok(s) => {
                        out.push_str(&s);
                        out.push('\n');
                    }
                    Err(e @ (TemplateError::Exec(_) | TemplateError::Parse(_))) => {
                        errors.push(format!("template parsing error: {}", e.message()))
                    }
                }
            }
            if out.is_empty() {
                "\n".into()
            } else {
                out
            }
        }
    };
    if errors.is_empty() {
        return CommandOutput::ok(stdout);
    }
    CommandOutput {
        stdout,
        ..CommandOutput::plain_error(errors.join("\n"))
    }
}

/// A JSON array indented with four spaces, as the docker CLI prints it.
pub fn json_array(items: Vec<Value>) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    Value::Array(items)
        .serialize(&mut ser)
        .expect("JSON values always serialize");
    String::from_utf8(buf).expect("serde_json writes UTF-8") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    /// The tables as the hand-written padding printed them before `tabwriter`, byte for byte:
    /// the minimum width of 10, a column as wide as its widest cell plus 3, an empty cell, the
    /// last column unpadded, and a header alone.
    #[test]
    fn tables_are_aligned_as_docker_aligns_them() {
        let ls = table(
            &["NETWORK ID", "NAME", "DRIVER", "SCOPE"],
            &[
                row(&["0123456789ab", "nat", "nat", "local"]),
                row(&[
                    "fedcba987654",
                    "a-very-long-network-name",
                    "transparent",
                    "swarm",
                ]),
            ],
        );
        assert_eq!(
            ls,
            "NETWORK ID     NAME                       DRIVER        SCOPE\n\
             0123456789ab   nat                        nat           local\n\
             fedcba987654   a-very-long-network-name   transparent   swarm\n"
        );
        let header = ["CONTAINER ID", "IMAGE", "STATUS", "PORTS", "NAMES"];
        let ps = table(
            &header,
            &[
                row(&[
                    "0123456789ab",
                    "mcr.microsoft.com/windows/nanoserver:ltsc2022",
                    "Up",
                    "0.0.0.0:8080->80/tcp, 0.0.0.0:53->53/udp",
                    "web",
                ]),
                row(&["fedcba987654", "img", "Exited (0)", "", "x"]),
            ],
        );
        assert_eq!(
            ps,
            "CONTAINER ID   IMAGE                                           STATUS       PORTS                                      NAMES\n\
             0123456789ab   mcr.microsoft.com/windows/nanoserver:ltsc2022   Up           0.0.0.0:8080->80/tcp, 0.0.0.0:53->53/udp   web\n\
             fedcba987654   img                                             Exited (0)                                              x\n"
        );
        assert_eq!(
            table(&header, &[]),
            "CONTAINER ID   IMAGE     STATUS    PORTS     NAMES\n"
        );
    }
}
