//! What the docker CLI prints: `network ls` and `ps` tables, aligned by the `tabwriter` crate
//! as docker's formatter aligns them with Go's text/tabwriter, and `inspect` JSON with the
//! real field names and order, indented by four spaces as the CLI does.

use super::backend::OsBackend;
use super::store::{Container, ContainerState, DockerNetwork, Isolation, Store};
use crate::time::SimTime;
use serde_json::{json, Map, Value};
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

pub fn network_ls(nets: &[DockerNetwork], quiet: bool) -> String {
    let mut sorted: Vec<&DockerNetwork> = nets.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    if quiet {
        return sorted
            .iter()
            .map(|n| format!("{}\n", &n.id[..12]))
            .collect();
    }
    let rows: Vec<Vec<String>> = sorted
        .iter()
        .map(|n| {
            vec![
                n.id[..12].to_string(),
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

pub fn ps(containers: &[Container], all: bool, quiet: bool) -> String {
    let shown: Vec<&Container> = containers
        .iter()
        .filter(|c| all || c.state == ContainerState::Running)
        .collect();
    if quiet {
        return shown.iter().map(|c| format!("{}\n", &c.id[..12])).collect();
    }
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|c| {
            let status = match c.state {
                ContainerState::Running => "Up",
                ContainerState::Created => "Created",
                ContainerState::Exited => "Exited (0)",
            };
            vec![
                c.id[..12].to_string(),
                c.image.clone(),
                status.into(),
                c.port_specs.join(", "),
                c.name.clone(),
            ]
        })
        .collect();
    table(
        &["CONTAINER ID", "IMAGE", "STATUS", "PORTS", "NAMES"],
        &rows,
    )
}

pub fn network_json(net: &DockerNetwork, store: &Store, backend: &dyn OsBackend) -> Value {
    let mut ctrs = Map::new();
    for (c, _, ep) in store.running_on(&net.id) {
        let Some(ep) = backend.endpoint(ep) else {
            continue;
        };
        ctrs.insert(
            c.id.clone(),
            json!({
                "Name": c.name,
                "EndpointID": ep.id,
                "MacAddress": ep.mac.to_string(),
                "IPv4Address": format!("{}/{}", ep.ip, ep.prefix_len),
                "IPv6Address": "",
            }),
        );
    }
    let (ipam_driver, extra_options) = backend.inspect_extras(net);
    let mut options = Map::new();
    for (k, v) in net.options.iter().chain(&extra_options) {
        options.insert(k.clone(), Value::String(v.clone()));
    }
    let mut labels = Map::new();
    for (k, v) in &net.labels {
        labels.insert(k.clone(), Value::String(v.clone()));
    }
    let config: Vec<Value> = net
        .ipam
        .iter()
        .map(|(s, g)| json!({"Subnet": s, "Gateway": g}))
        .collect();
    json!({
        "Name": net.name,
        "Id": net.id,
        "Created": timestamp(net.created),
        "Scope": if net.driver == "overlay" { "swarm" } else { "local" },
        "Driver": net.driver,
        "EnableIPv4": true,
        "EnableIPv6": false,
        "IPAM": { "Driver": ipam_driver, "Options": Value::Null, "Config": config },
        "Internal": net.internal,
        "Attachable": net.attachable,
        "Ingress": false,
        "ConfigFrom": { "Network": "" },
        "ConfigOnly": false,
        "Containers": ctrs,
        "Options": options,
        "Labels": labels,
    })
}

pub fn container_json(c: &Container, nets: &[DockerNetwork], backend: &dyn OsBackend) -> Value {
    let mut networks = Map::new();
    for a in &c.attachments {
        let Some(n) = nets.iter().find(|n| n.id == a.network_id) else {
            continue;
        };
        let ep = a.endpoint.as_deref().and_then(|e| backend.endpoint(e));
        networks.insert(
            n.name.clone(),
            json!({
                "Aliases": a.aliases,
                "NetworkID": n.id,
                "EndpointID": ep.as_ref().map(|e| e.id.clone()).unwrap_or_default(),
                "Gateway": ep.as_ref().map(|e| e.gateway.to_string()).unwrap_or_default(),
                "IPAddress": ep.as_ref().map(|e| e.ip.to_string()).unwrap_or_default(),
                "IPPrefixLen": ep.as_ref().map(|e| e.prefix_len).unwrap_or(0),
                "MacAddress": ep.as_ref().map(|e| e.mac.to_string()).unwrap_or_default(),
            }),
        );
    }
    json!({
        "Id": c.id,
        "Name": format!("/{}", c.name),
        "State": { "Status": match c.state { ContainerState::Running => "running", ContainerState::Created => "created", ContainerState::Exited => "exited" } },
        "Image": c.image,
        "HostConfig": { "Isolation": match c.isolation { Isolation::Process => "process", Isolation::HyperV => "hyperv" } },
        "NetworkSettings": { "Networks": networks },
    })
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
