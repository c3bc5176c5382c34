//! The server side of `wget`: busybox `httpd` in a container (`httpd -f [-v] -p [IP:]PORT
//! [-h HOME]`, serving the image's files from its working directory) or on a fabric node
//! (a scenario's `http` site: pages of text, and a CGI that prints the client's address).
//! A request is answered by the server whose listener the connection reached, as seen in
//! the probe's frames; `-v` logs one line per request with the client address and port the
//! server saw, which `docker logs` prints (busybox httpd logs to stderr).

use super::applet_argv;
use crate::docker::store::ContainerState;
use crate::id::NodeId;
use crate::scenario::schema::{HttpPageSpec, HttpSiteSpec};
use crate::shell::ShellOutput;
use crate::sim::world::World;
use std::net::SocketAddrV4;

/// A web site of a fabric node: its port and pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub port: u16,
    /// (path, page); `/` is also `/index.html`.
    pub pages: Vec<(String, Page)>,
}

/// What a path of a site serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    /// A file's bytes.
    Text(String),
    /// A CGI that prints the client's address as the server saw it, and a newline.
    ClientAddress,
}

impl From<&HttpSiteSpec> for Site {
    fn from(spec: &HttpSiteSpec) -> Self {
        Site {
            port: spec.port,
            pages: spec
                .pages
                .iter()
                .map(|(path, page)| {
                    let page = match page {
                        HttpPageSpec::Text(t) => Page::Text(t.clone()),
                        HttpPageSpec::ClientAddress => Page::ClientAddress,
                    };
                    (path.clone(), page)
                })
                .collect(),
        }
    }
}

/// A response: the status and the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Response {
    pub status: u16,
    pub body: String,
}

/// busybox httpd's port: `-p [IP:]PORT`, 80 when not given.
pub(super) fn port(args: &[String]) -> u16 {
    args.iter()
        .position(|a| a == "-p")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.rsplit(':').next()?.parse().ok())
        .unwrap_or(80)
}

/// The answer of the HTTP server listening on `node`:`port` to `GET path` from `client`,
/// or `None` when what listens there is no HTTP server.
pub(super) fn serve(
    world: &mut World,
    node: NodeId,
    port: u16,
    path: &str,
    client: SocketAddrV4,
) -> Option<Response> {
    if let Some(site) = world.busybox.sites.get(&node).filter(|s| s.port == port) {
        let wanted = if path == "/" { "/index.html" } else { path };
        let page = site
            .pages
            .iter()
            .find(|(p, _)| p == path || (p == "/" && wanted == "/index.html") || p == wanted);
        return Some(match page {
            Some((_, Page::Text(t))) => Response {
                status: 200,
                body: t.clone(),
            },
            Some((_, Page::ClientAddress)) => Response {
                status: 200,
                body: format!("{}\n", client.ip()),
            },
            None => not_found(),
        });
    }
    // A container's busybox httpd on this namespace and port.
    let (id, image, args) = world.hosts.iter().find_map(|h| {
        h.daemon.store.containers.iter().find_map(|c| {
            let argv = applet_argv(&c.command);
            (c.state == ContainerState::Running
                && c.sandbox == Some(node)
                && argv.first().map(String::as_str) == Some("httpd")
                && self::port(&argv[1..]) == port)
                .then(|| (c.id.clone(), c.image.clone(), argv[1..].to_vec()))
        })
    })?;
    let home = args
        .iter()
        .position(|a| a == "-h")
        .and_then(|i| args.get(i + 1).cloned());
    let file = if path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    // The image as the scenario declares it (`oracle/busybox` is `oracle/busybox:latest`).
    let fs = world.busybox.images.get(&image).or_else(|| {
        let untagged = image.strip_suffix(":latest")?;
        world.busybox.images.get(untagged)
    });
    let body = fs.and_then(|fs| {
        let root = home.as_deref().unwrap_or(&fs.workdir).trim_end_matches('/');
        let full = format!("{root}{file}");
        fs.files
            .iter()
            .find(|(p, _)| *p == full)
            .map(|(_, t)| t.clone())
    });
    let response = match body {
        Some(body) => Response { status: 200, body },
        None => not_found(),
    };
    if args.iter().any(|a| a.starts_with("-v")) {
        world.busybox.logs.entry(id).or_default().push(format!(
            "[::ffff:{}]:{}: response:{}",
            client.ip(),
            client.port(),
            response.status
        ));
    }
    Some(response)
}

fn not_found() -> Response {
    Response {
        status: 404,
        body: String::new(),
    }
}

/// `docker logs CONTAINER` of a Linux container: what its httpd logged (busybox writes its
/// log to stderr, and docker keeps the streams apart).
pub(super) fn docker_logs(world: &World, hi: usize, args: &[String]) -> ShellOutput {
    let Some(key) = args.iter().find(|a| !a.starts_with('-')) else {
        return ShellOutput::fail(
            1,
            "\"docker logs\" requires exactly 1 argument.\nSee 'docker logs --help'.\n\nUsage:  docker logs [OPTIONS] CONTAINER\n\nFetch the logs of a container\n",
        );
    };
    let Some(c) = world.hosts[hi].daemon.store.container(key) else {
        return ShellOutput::fail(1, format!("Error: No such container: {key}\n"));
    };
    let lines = world.busybox.logs.get(&c.id).cloned().unwrap_or_default();
    let mut out = ShellOutput::ok("");
    for l in lines {
        out.stderr.push_str(&l);
        out.stderr.push('\n');
    }
    out
}
