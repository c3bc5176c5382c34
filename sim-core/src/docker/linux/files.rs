//! The name-resolution files of a Linux container, as `cat` prints them: `/etc/resolv.conf`,
//! `/etc/hosts` and `/etc/hostname` (moby `container_operations.go` `buildSandboxOptions`,
//! libnetwork `sandbox_dns_unix.go`, `etchosts`; the exact text as recorded from 20.10 in
//! `tests/oracle/fixtures/{dns,default-bridge,host,none,container-mode}.json`).
//!
//! * On a user-defined network the embedded DNS answers: `nameserver 127.0.0.11` with
//!   `options ndots:0` unless the user gave an ndots option (reference section 7).
//! * On the default bridge and none: the container's `--dns`, else the daemon's `dns`, else
//!   the host's nameservers without loopback ones, else 8.8.8.8 and 8.8.4.4.
//! * `--network host`: the host's files (the daemon's or the container's DNS settings win
//!   in resolv.conf: oracle contradiction #13); `--network container:x`: x's files.
//!
//! The same entries configure the namespace's stack: its nameservers and its `/etc/hosts`
//! names, which probes by name use.

use super::dns::RESOLVER_IP;
use super::Linux;
use crate::device::Device;
use crate::docker::daemon::HostCtx;
use crate::docker::store::{Container, Store};
use std::net::Ipv4Addr;

/// The lines every container's `/etc/hosts` starts with (libnetwork `etchosts` defaults).
const HOSTS_DEFAULTS: &str = "127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
";

/// The nameservers docker falls back to when the host has none left (moby
/// `internal/resolvconf` `defaultIPv4NSs`).
const GOOGLE_DNS: [Ipv4Addr; 2] = [Ipv4Addr::new(8, 8, 8, 8), Ipv4Addr::new(8, 8, 4, 4)];

/// How many `--network container:` hops are followed (docker refuses chains at create;
/// this only bounds a loop).
const MAX_HOPS: usize = 8;

/// A file inside container `c`, or `None` for a path the model keeps no file for.
pub fn container_file(l: &Linux, store: &Store, c: &Container, path: &str) -> Option<String> {
    let c = owner_of_namespace(store, c);
    match path {
        "/etc/resolv.conf" => Some(resolv_conf(l, c)),
        "/etc/hosts" => Some(render_hosts(l, store, c)),
        "/etc/hostname" => Some(format!("{}\n", hostname(l, store, c))),
        _ => None,
    }
}

/// The container whose namespace (and files) `c` uses: itself, or the target of
/// `--network container:x`.
fn owner_of_namespace<'a>(store: &'a Store, mut c: &'a Container) -> &'a Container {
    for _ in 0..MAX_HOPS {
        match c.net_from.as_deref().and_then(|t| store.container(t)) {
            Some(t) => c = t,
            None => break,
        }
    }
    c
}

/// Whether the container runs in the host's namespace.
fn host_mode(l: &Linux, c: &Container) -> bool {
    c.attachments
        .first()
        .is_some_and(|a| Some(&a.network_id) == l.host_network.as_ref())
}

/// The container's hostname: `--hostname` up to its first dot (the CLI makes the rest the
/// domain name), else the host's (host network) or its short id.
pub fn hostname(l: &Linux, store: &Store, c: &Container) -> String {
    let c = owner_of_namespace(store, c);
    match &c.naming.hostname {
        Some(h) => h.split('.').next().unwrap_or(h).to_string(),
        None if host_mode(l, c) => l.host_name.clone(),
        None => c.short_id().to_string(),
    }
}

/// The names of the container's own `/etc/hosts` line: `fqdn hostname` when `--hostname`
/// had a domain, else the hostname.
fn own_names(l: &Linux, store: &Store, c: &Container) -> Vec<String> {
    let short = hostname(l, store, c);
    match &c.naming.hostname {
        Some(h) if h.contains('.') => vec![h.clone(), short],
        _ => vec![short],
    }
}

/// An `--add-host` address: `host-gateway` is the default bridge's gateway (the daemon's
/// `host-gateway-ip` default).
fn extra_host_addr(l: &Linux, ip: &str) -> String {
    if ip == "host-gateway" {
        if let Some(n) = l.ln.networks.iter().find(|n| n.default_bridge) {
            return n.gateway.to_string();
        }
    }
    ip.to_string()
}

/// The nameservers of a container without the embedded DNS.
fn legacy_nameservers(l: &Linux, c: &Container) -> Vec<Ipv4Addr> {
    if !c.dns.is_empty() {
        return c.dns.clone();
    }
    if !l.ln.config.dns.is_empty() {
        return l.ln.config.dns.clone();
    }
    let kept: Vec<Ipv4Addr> = l
        .resolv
        .iter()
        .copied()
        .filter(|a| !a.is_loopback())
        .collect();
    if kept.is_empty() {
        GOOGLE_DNS.to_vec()
    } else {
        kept
    }
}

/// Whether the container's namespace runs the embedded DNS.
fn uses_embedded_dns(l: &Linux, c: &Container) -> bool {
    c.sandbox.is_some_and(|s| l.dns.has_resolver(s))
}

/// `/etc/resolv.conf`.
pub fn resolv_conf(l: &Linux, c: &Container) -> String {
    let n = &c.naming;
    let mut options = n.dns_options.clone();
    let servers = if uses_embedded_dns(l, c) {
        if !options.iter().any(|o| o.starts_with("ndots:")) {
            options.push("ndots:0".into());
        }
        vec![RESOLVER_IP]
    } else if host_mode(l, c)
        && c.dns.is_empty()
        && l.ln.config.dns.is_empty()
        && n.dns_search.is_empty()
        && options.is_empty()
    {
        // The host's own file, as it is.
        l.resolv.clone()
    } else {
        legacy_nameservers(l, c)
    };
    let mut out = String::new();
    if !n.dns_search.is_empty() {
        out.push_str(&format!("search {}\n", n.dns_search.join(" ")));
    }
    for s in servers {
        out.push_str(&format!("nameserver {s}\n"));
    }
    if !options.is_empty() {
        out.push_str(&format!("options {}\n", options.join(" ")));
    }
    out
}

/// The entries docker adds after the defaults of `/etc/hosts`, in its order: `--add-host`
/// lines, `--link` lines (default bridge only: `IP<tab>alias hostname name`), then the
/// container's own address and hostname.
pub fn hosts_entries(l: &Linux, store: &Store, c: &Container) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = c
        .naming
        .extra_hosts
        .iter()
        .map(|(name, ip)| (extra_host_addr(l, ip), vec![name.clone()]))
        .collect();
    let first = c.attachments.iter().find(|a| a.endpoint.is_some());
    let on_default_bridge = c
        .attachments
        .first()
        .and_then(|a| store.network_by_id(&a.network_id))
        .is_some_and(|n| n.predefined && n.driver == "bridge");
    if on_default_bridge {
        for (target, alias) in &c.naming.links {
            let Some(t) = store.container(target) else {
                continue;
            };
            let Some(ip) = t
                .attachments
                .iter()
                .find(|a| Some(&a.network_id) == c.attachments.first().map(|x| &x.network_id))
                .and_then(|a| a.endpoint.as_deref())
                .and_then(|ep| l.ln.endpoint(ep))
                .map(|e| e.ip)
            else {
                continue;
            };
            let mut names = vec![alias.clone(), hostname(l, store, t)];
            if *alias != t.name {
                names.push(t.name.clone());
            }
            out.push((ip.to_string(), names));
        }
    }
    if let Some(ip) = first
        .and_then(|a| a.endpoint.as_deref())
        .and_then(|ep| l.ln.endpoint(ep))
        .map(|e| e.ip)
    {
        out.push((ip.to_string(), own_names(l, store, c)));
    }
    out
}

/// `/etc/hosts`.
pub fn render_hosts(l: &Linux, store: &Store, c: &Container) -> String {
    if host_mode(l, c) {
        return host_hosts_file(l);
    }
    let mut out = HOSTS_DEFAULTS.to_string();
    for (ip, names) in hosts_entries(l, store, c) {
        out.push_str(&format!("{ip}\t{}\n", names.join(" ")));
    }
    out
}

/// The host's own `/etc/hosts`: localhost and its name (a Debian-like default; the
/// recording's machine had one more line of its own).
fn host_hosts_file(l: &Linux) -> String {
    format!("127.0.0.1 localhost\n127.0.0.1 {}\n", l.host_name)
}

/// Sets the namespace's stack from the files: its nameservers (unless the embedded DNS
/// set them) and the names of its `/etc/hosts`.
pub(super) fn configure_namespace(l: &Linux, store: &Store, ci: usize, ctx: &mut HostCtx) {
    let c = &store.containers[ci];
    let Some(sandbox) = c.sandbox else {
        return;
    };
    if host_mode(l, c) || c.net_from.is_some() {
        return;
    }
    let embedded = uses_embedded_dns(l, c);
    let servers = legacy_nameservers(l, c);
    let mut names = vec![("localhost".to_string(), Ipv4Addr::LOCALHOST)];
    for (ip, ns) in hosts_entries(l, store, c) {
        if let Ok(ip) = ip.parse::<Ipv4Addr>() {
            names.extend(ns.into_iter().map(|n| (n, ip)));
        }
    }
    if let Some(s) = ctx.eng.device_mut(sandbox).and_then(Device::as_stack_mut) {
        if !embedded {
            s.config.dns_servers = servers;
        }
        s.config.hosts = names;
    }
}
