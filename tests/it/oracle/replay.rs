//! Replays one recorded case in a fresh hnsim world: expands each line's templates by asking
//! hnsim's docker (as the recorder asked the real one), runs it through `World::shell` on the
//! host or the outside node, and learns hnsim's IDs, names and veths the way the recorder
//! learned the real daemon's, so that the same masks apply to both sides.

use super::env::{Environment, HOST, OUTSIDE};
use super::fixture::{Case, IdKind, IdRecord, Where};
use regex::{Captures, Regex};
use serde_json::{json, Value};
use sim_core::shell::ShellOutput;
use sim_core::sim::World;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// What hnsim did with one step.
#[derive(Clone, Debug)]
pub struct SimStep {
    /// The line with templates expanded, or why hnsim could not expand one.
    pub expanded: Result<String, String>,
    /// What the line printed (empty when it could not be expanded).
    pub out: ShellOutput,
}

/// What hnsim did with one case.
#[derive(Clone, Debug)]
pub struct SimCase {
    pub steps: Vec<SimStep>,
    /// Every ID hnsim handed out during the case, with the name it belongs to.
    pub ids: Vec<IdRecord>,
    /// The end state, in the recorder's shape (`containers`, `networks`), or why hnsim's docker
    /// could not give it.
    pub state: Result<Value, String>,
    /// Host-side veth -> `<container>/<interface>`, when hnsim's `ip` can tell.
    pub veths: BTreeMap<String, String>,
    pub guard_installed: bool,
}

/// Runs `line` where the step ran.
fn run(world: &mut World, place: Where, line: &str) -> ShellOutput {
    match place {
        Where::Host => world.shell(HOST, line),
        Where::Outside => world.shell(OUTSIDE, line),
    }
}

/// A docker line on the host whose stdout is wanted; `Err` says why there is none.
fn ask(world: &mut World, line: &str) -> Result<String, String> {
    let out = world.shell(HOST, line);
    if out.exit_code == 0 {
        Ok(out.stdout)
    } else {
        Err(format!(
            "`{line}` exited {}: {}",
            out.exit_code,
            out.stderr.trim_end()
        ))
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

/// One template's value, asked of hnsim's docker with the command the recorder used.
fn expand_one(world: &mut World, kind: &str, arg: &str) -> Result<String, String> {
    let short_id = |out: String| {
        let id = first_line(&out).to_string();
        if id.len() >= 12 && id.is_ascii() {
            Ok(id[..12].to_string())
        } else {
            Err(format!("not an ID: {id:?}"))
        }
    };
    match kind {
        "id" => short_id(ask(
            world,
            &format!("docker inspect -f '{{{{.Id}}}}' {arg}"),
        )?),
        "netid" => short_id(ask(
            world,
            &format!("docker network inspect -f '{{{{.Id}}}}' {arg}"),
        )?),
        "pid" => {
            let out = ask(
                world,
                &format!("docker inspect -f '{{{{.State.Pid}}}}' {arg}"),
            )?;
            let pid = first_line(&out);
            match pid.parse::<u32>() {
                Ok(p) if p > 0 => Ok(pid.to_string()),
                _ => Err(format!("not a running container's PID: {pid:?}")),
            }
        }
        "name-by-label" => {
            let out = ask(
                world,
                &format!("docker ps -a --filter 'label={arg}' --format '{{{{.Names}}}}'"),
            )?;
            let names: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
            match names.as_slice() {
                [one] => Ok(one.trim().to_string()),
                _ => Err(format!("not one container labelled {arg}: {names:?}")),
            }
        }
        other => Err(format!("unknown template {other:?}")),
    }
}

/// The line with every `{id:…}`, `{netid:…}`, `{pid:…}`, `{name-by-label:…}` replaced.
fn expand(world: &mut World, line: &str) -> Result<String, String> {
    static TEMPLATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\{(id|netid|pid|name-by-label):([^}]*)\}").expect("a valid pattern")
    });
    let mut failure = None;
    let expanded =
        TEMPLATE.replace_all(line, |c: &Captures| match expand_one(world, &c[1], &c[2]) {
            Ok(v) => v,
            Err(e) => {
                failure.get_or_insert_with(|| format!("cannot expand {}: {e}", &c[0]));
                String::new()
            }
        });
    match failure {
        Some(e) => Err(e),
        None => Ok(expanded.into_owned()),
    }
}

/// The JSON array `docker inspect`/`docker network inspect` prints for these IDs.
fn inspect_all(world: &mut World, inspect: &str, list: &str) -> Result<Vec<Value>, String> {
    let ids: Vec<String> = ask(world, list)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let out = ask(world, &format!("{inspect} {}", ids.join(" ")))?;
    match serde_json::from_str::<Value>(&out) {
        Ok(Value::Array(items)) => Ok(items),
        _ => Err(format!("`{inspect}` did not print a JSON array")),
    }
}

fn containers(world: &mut World) -> Result<Vec<Value>, String> {
    inspect_all(world, "docker inspect", "docker ps -aq --no-trunc")
}

fn networks(world: &mut World) -> Result<Vec<Value>, String> {
    inspect_all(
        world,
        "docker network inspect",
        "docker network ls -q --no-trunc",
    )
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn container_name(c: &Value) -> String {
    str_at(c, &["Name"]).trim_start_matches('/').to_string()
}

/// Adds every container, network and endpoint ID hnsim shows now (the recorder's
/// `collect_ids`: the first name seen for an ID stays).
fn learn_ids(world: &mut World, ids: &mut Vec<IdRecord>) {
    let mut add = |id: &str, kind: IdKind, name: String| {
        if !id.is_empty() && !ids.iter().any(|r| r.id == id) {
            ids.push(IdRecord {
                id: id.to_string(),
                kind,
                name,
            });
        }
    };
    for c in containers(world).unwrap_or_default() {
        let name = container_name(&c);
        add(str_at(&c, &["Id"]), IdKind::Container, name.clone());
        if let Some(eps) = c
            .pointer("/NetworkSettings/Networks")
            .and_then(Value::as_object)
        {
            for (net, ep) in eps {
                add(
                    str_at(ep, &["EndpointID"]),
                    IdKind::Endpoint,
                    format!("{name}@{net}"),
                );
            }
        }
    }
    for n in networks(world).unwrap_or_default() {
        let net = str_at(&n, &["Name"]).to_string();
        add(str_at(&n, &["Id"]), IdKind::Network, net.clone());
        if let Some(eps) = n.get("Containers").and_then(Value::as_object) {
            for ep in eps.values() {
                add(
                    str_at(ep, &["EndpointID"]),
                    IdKind::Endpoint,
                    format!("{}@{net}", str_at(ep, &["Name"])),
                );
            }
        }
    }
}

/// The end state in the recorder's shape (`end_state` in `recorder.py`).
fn end_state(world: &mut World) -> Result<Value, String> {
    let mut cs = containers(world)?;
    cs.sort_by_key(container_name);
    let mut ns = networks(world)?;
    ns.sort_by(|a, b| {
        (str_at(a, &["Name"]), str_at(a, &["Created"]))
            .cmp(&(str_at(b, &["Name"]), str_at(b, &["Created"])))
    });
    let containers: Vec<Value> = cs
        .iter()
        .map(|c| {
            let eps = c
                .pointer("/NetworkSettings/Networks")
                .and_then(Value::as_object);
            let networks: serde_json::Map<String, Value> = eps
                .into_iter()
                .flatten()
                .map(|(net, ep)| {
                    let field = |k: &str| ep.get(k).cloned().unwrap_or(Value::Null);
                    (
                        net.clone(),
                        json!({
                            "ip": field("IPAddress"), "prefix_len": field("IPPrefixLen"),
                            "gateway": field("Gateway"), "mac": field("MacAddress"),
                        }),
                    )
                })
                .collect();
            json!({
                "name": container_name(c),
                "status": c.pointer("/State/Status").cloned().unwrap_or(Value::Null),
                "pid": c.pointer("/State/Pid").cloned().unwrap_or(Value::Null),
                "networks": networks,
            })
        })
        .collect();
    let networks: Vec<Value> = ns
        .iter()
        .map(|n| {
            let driver = str_at(n, &["Driver"]);
            let device = (driver == "bridge").then(|| {
                let named = str_at(n, &["Options", "com.docker.network.bridge.name"]);
                if named.is_empty() {
                    let id = str_at(n, &["Id"]);
                    format!("br-{}", &id[..id.len().min(12)])
                } else {
                    named.to_string()
                }
            });
            json!({
                "name": str_at(n, &["Name"]), "driver": driver,
                "internal": n.get("Internal").cloned().unwrap_or(Value::Null),
                "ipam": n.pointer("/IPAM/Config").cloned().filter(|v| !v.is_null()).unwrap_or(json!([])),
                "bridge_device": device,
            })
        })
        .collect();
    Ok(json!({"containers": containers, "networks": networks}))
}

/// Host-side veth -> `<container>/<interface>`, read as the recorder read it (`ip -o link
/// show` on the host and in each container's namespace); empty while hnsim's `ip` cannot.
fn veths(world: &mut World, state: &Value) -> BTreeMap<String, String> {
    static LINK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\d+): ([^:@]+)(?:@if(\d+))?[^:]*:").expect("a pattern"));
    let Ok(host) = ask(world, "ip -o link show") else {
        return BTreeMap::new();
    };
    let by_index: BTreeMap<u64, String> = host
        .lines()
        .filter_map(|l| LINK.captures(l))
        .filter_map(|c| Some((c[1].parse().ok()?, c[2].to_string())))
        .collect();
    let mut result = BTreeMap::new();
    let containers = state["containers"].as_array().cloned().unwrap_or_default();
    for c in containers {
        let pid = c["pid"].as_u64().unwrap_or(0);
        if pid == 0 {
            continue;
        }
        let name = c["name"].as_str().unwrap_or("");
        let Ok(inside) = ask(world, &format!("nsenter -t {pid} -n ip -o link show")) else {
            continue;
        };
        for l in inside.lines() {
            let Some(cap) = LINK.captures(l) else {
                continue;
            };
            let peer = cap.get(3).and_then(|m| m.as_str().parse::<u64>().ok());
            if let Some(veth) = peer.and_then(|p| by_index.get(&p)) {
                result.insert(veth.clone(), format!("{name}/{}", &cap[2]));
            }
        }
    }
    result
}

/// Replays `case` in a fresh world of `env`.
pub fn replay(env: &Environment, case: &Case) -> SimCase {
    let fresh = env.fresh();
    let mut world = fresh.world;
    let mut ids = Vec::new();
    learn_ids(&mut world, &mut ids);
    let mut steps = Vec::with_capacity(case.steps.len());
    for step in &case.steps {
        let expanded = expand(&mut world, &step.line);
        let out = match &expanded {
            Ok(line) => run(&mut world, step.place, line),
            Err(_) => ShellOutput::default(),
        };
        steps.push(SimStep { expanded, out });
        learn_ids(&mut world, &mut ids);
    }
    let state = end_state(&mut world);
    let veths = state
        .as_ref()
        .map(|s| veths(&mut world, s))
        .unwrap_or_default();
    SimCase {
        steps,
        ids,
        state,
        veths,
        guard_installed: fresh.guard_installed,
    }
}
