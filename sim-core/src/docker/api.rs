//! The Engine API on the daemon's socket (`/var/run/docker.sock`), for the requests a
//! person sends with `curl --unix-socket`: `POST /networks/create`, `POST
//! /networks/{id}/connect|disconnect`, `DELETE /networks/{id}` and `GET /_ping`, with or
//! without a `/v1.NN` prefix. Each request goes to the same daemon logic as the CLI's
//! command (`Daemon::network_create_checks` + `create_local_network`, `Daemon::execute`);
//! this module only reads the JSON body, and writes the response as moby's router does:
//! the status the error's kind maps to (`http_status`, the one place; the daemon gives each
//! refusal its `errdefs` kind), and the body Go's JSON encoder writes (one line, `<`, `>`
//! and `&` escaped, a newline at the end). Errors are `{"message":"…"}` with the daemon's
//! raw message (before the CLI trims it or puts `Error response from daemon:` in front).

use super::backend::Refusal;
use super::cli::{DockerCommand, NetworkCreate};
use super::daemon::{CommandOutput, Daemon, HostCtx};
use super::errdefs::ErrorKind;
use super::store::IpamConfig;
use serde_json::Value;

/// One HTTP request to the socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The URL's path and query (`/v1.41/networks/create`).
    pub path: String,
    /// The `Content-Type` header, if sent.
    pub content_type: Option<String>,
    pub body: Option<String>,
}

/// What the daemon answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    fn json(status: u16, body: String) -> Self {
        Response {
            status,
            body: format!("{body}\n"),
        }
    }

    /// moby's `httputils.MakeErrorHandler`: `{"message":"…"}`, with the status of the
    /// error's kind.
    fn error(kind: ErrorKind, message: &str) -> Self {
        Self::json(
            http_status(kind),
            format!("{{\"message\":{}}}", go_json_string(message)),
        )
    }

    fn empty(status: u16) -> Self {
        Response {
            status,
            body: String::new(),
        }
    }
}

/// A string as Go's `encoding/json` writes it: JSON, with the HTML characters escaped
/// (`SetEscapeHTML` is on by default).
pub fn go_json_string(s: &str) -> String {
    let json = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Answers one request.
pub fn handle(daemon: &mut Daemon, ctx: &mut HostCtx, req: &Request) -> Response {
    let path = req.path.split('?').next().unwrap_or_default();
    let path = strip_version(path);
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method.to_ascii_uppercase();
    let response = match (method.as_str(), parts.as_slice()) {
        ("GET" | "HEAD", ["_ping"]) => Response {
            status: 200,
            body: "OK".into(),
        },
        ("POST", ["networks", "create"]) => match body_json(req) {
            Ok(v) => network_create(daemon, ctx, &v),
            Err(e) => e,
        },
        ("POST", ["networks", net, "connect"]) => match body_json(req) {
            Ok(v) => network_connect(daemon, ctx, net, &v),
            Err(e) => e,
        },
        ("POST", ["networks", net, "disconnect"]) => match body_json(req) {
            Ok(v) => {
                let cmd = DockerCommand::NetworkDisconnect {
                    network: net.to_string(),
                    container: text(&v, "Container"),
                    force: v.get("Force").and_then(Value::as_bool).unwrap_or(false),
                };
                from_command(daemon.execute(cmd, ctx), 200)
            }
            Err(e) => e,
        },
        // The router's `findUniqueNetwork` first (the 20.10 CLI words that 404 itself).
        ("DELETE", ["networks", net]) if daemon.store.find_network(net).is_none() => {
            Response::error(ErrorKind::NotFound, &format!("network {net} not found"))
        }
        ("DELETE", ["networks", net]) => {
            let cmd = DockerCommand::NetworkRm {
                networks: vec![net.to_string()],
                force: false,
            };
            from_command(daemon.execute(cmd, ctx), 204)
        }
        _ => Response::error(ErrorKind::NotFound, "page not found"),
    };
    daemon.backend.refresh_dns(&daemon.store, ctx);
    response
}

/// The path without its API version (`/v1.41/networks` is `/networks`).
fn strip_version(path: &str) -> &str {
    let Some(rest) = path.strip_prefix("/v") else {
        return path;
    };
    let version = rest.split('/').next().unwrap_or_default();
    let is_version = version.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && version.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if is_version {
        &path[2 + version.len()..]
    } else {
        path
    }
}

/// moby's `httputils.CheckForJSON` and the JSON decode of the body.
fn body_json(req: &Request) -> Result<Value, Response> {
    let body = req.body.as_deref().unwrap_or_default();
    let ct = req.content_type.as_deref().unwrap_or_default();
    let json = ct
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    // The router's decoding errors are `errdefs.InvalidParameter`.
    if !(json || ct.is_empty() && body.is_empty()) {
        return Err(Response::error(
            ErrorKind::InvalidParameter,
            &format!("Content-Type specified ({ct}) must be 'application/json'"),
        ));
    }
    if body.trim().is_empty() {
        return Err(Response::error(
            ErrorKind::InvalidParameter,
            "got EOF while reading request body",
        ));
    }
    serde_json::from_str(body)
        .map_err(|e| Response::error(ErrorKind::InvalidParameter, &format!("invalid JSON: {e}")))
}

/// A string field of a JSON object ("" when absent or not a string).
fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A JSON object of strings, in key order (Go maps have none; Docker sorts when it shows).
fn string_map(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// `NetworkCreateRequest` as the daemon's `NetworkCreate`: the IPAM entries stay paired
/// (`api_ipam`), and are also listed flat for the parts of the daemon that read the
/// CLI's form.
fn create_request(v: &Value) -> NetworkCreate {
    let ipam = v.get("IPAM");
    let entries: Vec<IpamConfig> = ipam
        .and_then(|i| i.get("Config"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|e| IpamConfig {
                    subnet: text(e, "Subnet"),
                    ip_range: text(e, "IPRange"),
                    gateway: text(e, "Gateway"),
                    aux: string_map(e.get("AuxiliaryAddresses")),
                })
                .collect()
        })
        .unwrap_or_default();
    let nonempty = |f: fn(&IpamConfig) -> &String| -> Vec<String> {
        entries
            .iter()
            .map(f)
            .filter(|s| !s.is_empty())
            .cloned()
            .collect()
    };
    let flag = |key: &str| v.get(key).and_then(Value::as_bool).unwrap_or(false);
    NetworkCreate {
        name: text(v, "Name"),
        driver: Some(text(v, "Driver")).filter(|d| !d.is_empty()),
        // Every entry is a subnet request, even one without `Subnet` (its parse fails).
        subnets: entries.iter().map(|e| e.subnet.clone()).collect(),
        gateways: nonempty(|e| &e.gateway),
        ip_ranges: nonempty(|e| &e.ip_range),
        aux_addresses: entries.iter().flat_map(|e| e.aux.clone()).collect(),
        options: string_map(v.get("Options")),
        labels: string_map(v.get("Labels")),
        internal: flag("Internal"),
        attachable: flag("Attachable"),
        ingress: flag("Ingress"),
        ipv6: v.get("EnableIPv6").and_then(Value::as_bool),
        ipam_driver: ipam.map(|i| text(i, "Driver")).filter(|d| !d.is_empty()),
        ipam_opts: string_map(ipam.and_then(|i| i.get("Options"))),
        scope: Some(text(v, "Scope")).filter(|s| !s.is_empty()),
        api_ipam: Some(entries),
        ..NetworkCreate::default()
    }
}

/// `POST /networks/create`: 201 with `{"Id":…,"Warning":…}`.
fn network_create(daemon: &mut Daemon, ctx: &mut HostCtx, v: &Value) -> Response {
    let check_duplicate = v
        .get("CheckDuplicate")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let c = create_request(v);
    let warning = match daemon.network_create_checks(&c, check_duplicate) {
        Ok(w) => w.unwrap_or_default(),
        Err(r) => return refusal(r),
    };
    if c.driver.as_deref() == Some("overlay") {
        return Response::error(
            ErrorKind::System,
            "hnsim: overlay networks through the Engine API are not modelled",
        );
    }
    match daemon.create_local_network(c, ctx) {
        Ok(created) => Response::json(
            201,
            format!(
                "{{\"Id\":{},\"Warning\":{}}}",
                go_json_string(&created.id),
                go_json_string(&warning)
            ),
        ),
        Err(r) => refusal(r),
    }
}

/// `POST /networks/{id}/connect`: 200 with no body.
fn network_connect(daemon: &mut Daemon, ctx: &mut HostCtx, net: &str, v: &Value) -> Response {
    let ep = v.get("EndpointConfig");
    let ip = ep
        .and_then(|e| e.get("IPAMConfig"))
        .map(|i| text(i, "IPv4Address"))
        .filter(|ip| !ip.is_empty());
    let list = |key: &str| -> Vec<String> {
        ep.and_then(|e| e.get(key))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let cmd = DockerCommand::NetworkConnect {
        network: net.to_string(),
        container: text(v, "Container"),
        ip,
        aliases: list("Aliases"),
        links: list("Links"),
    };
    from_command(daemon.execute(cmd, ctx), 200)
}

/// A daemon command's outcome as a response: `ok` with no body, or its error.
fn from_command(out: CommandOutput, ok: u16) -> Response {
    match out.error {
        None => Response::empty(ok),
        Some(e) => Response::error(out.error_kind, &raw_message(&e)),
    }
}

fn refusal(r: Refusal) -> Response {
    Response::error(r.kind(), r.message())
}

/// The daemon's message inside the CLI's form of it.
fn raw_message(e: &str) -> String {
    e.strip_prefix("Error response from daemon: ")
        .unwrap_or(e)
        .to_string()
}

/// The HTTP status of an error's kind: moby's `errdefs.GetHTTPErrorStatusCode`. The
/// statuses of the network refusals were recorded (`tests/oracle/fixtures/api.json`).
pub fn http_status(kind: ErrorKind) -> u16 {
    match kind {
        ErrorKind::NotFound => 404,
        ErrorKind::InvalidParameter => 400,
        ErrorKind::Conflict => 409,
        ErrorKind::Forbidden => 403,
        ErrorKind::Unavailable => 503,
        ErrorKind::System => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_escapes_html_characters() {
        assert_eq!(
            go_json_string("a<b>&\"c\""),
            r#""a\u003cb\u003e\u0026\"c\"""#
        );
    }

    #[test]
    fn the_version_prefix_is_optional() {
        assert_eq!(strip_version("/v1.41/networks/create"), "/networks/create");
        assert_eq!(strip_version("/networks/create"), "/networks/create");
        assert_eq!(strip_version("/volumes"), "/volumes");
    }

    #[test]
    fn a_request_keeps_each_subnet_with_its_own_fields() {
        let v: Value = serde_json::from_str(
            r#"{"Name":"x1","IPAM":{"Config":[{"Subnet":"10.99.60.0/24","Gateway":"10.99.61.1"},{"Gateway":"10.99.66.1","AuxiliaryAddresses":{"a1":"10.99.65.5"}}]}}"#,
        )
        .expect("json");
        let c = create_request(&v);
        assert_eq!(c.name, "x1");
        assert_eq!(c.subnets, ["10.99.60.0/24", ""]);
        assert_eq!(c.gateways, ["10.99.61.1", "10.99.66.1"]);
        let entries = c.api_ipam.expect("entries");
        assert_eq!(entries[0].gateway, "10.99.61.1");
        assert_eq!(
            entries[1].aux,
            [("a1".to_string(), "10.99.65.5".to_string())]
        );
    }

    #[test]
    fn a_body_must_be_json() {
        let req = |ct: Option<&str>, body: &str| Request {
            method: "POST".into(),
            path: "/networks/create".into(),
            content_type: ct.map(str::to_string),
            body: Some(body.into()),
        };
        let e = body_json(&req(Some("application/x-www-form-urlencoded"), "{}")).unwrap_err();
        assert_eq!(e.status, 400);
        assert_eq!(
            e.body,
            "{\"message\":\"Content-Type specified (application/x-www-form-urlencoded) must be 'application/json'\"}\n"
        );
        assert!(body_json(&req(Some("application/json"), "{\"Name\":\"a\"}")).is_ok());
        assert_eq!(
            body_json(&req(None, "")).unwrap_err().body,
            "{\"message\":\"got EOF while reading request body\"}\n"
        );
    }
}
