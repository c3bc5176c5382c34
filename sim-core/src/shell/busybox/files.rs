//! `cat FILE…` and `hostname` inside a container: the files the OS model keeps for it
//! (`OsBackend::container_file`: `/etc/resolv.conf`, `/etc/hosts`, `/etc/hostname`).

use super::Place;
use crate::shell::ShellOutput;
use crate::sim::world::World;

/// A file of the place's container, if the OS model keeps it. Hosts and fabric nodes keep
/// none here.
pub(super) fn read(world: &World, place: &Place, path: &str) -> Option<String> {
    let (hi, id) = (place.host?, place.container.as_deref()?);
    let d = &world.hosts.get(hi)?.daemon;
    let c = d.store.containers.iter().find(|c| c.id == id)?;
    d.backend.container_file(&d.store, c, path)
}

/// busybox `cat`: each file in turn; a missing one says so on stderr and makes the status 1.
pub(super) fn cat(world: &World, place: &Place, paths: &[String]) -> ShellOutput {
    let mut out = ShellOutput::ok("");
    for p in paths {
        match read(world, place, p) {
            Some(text) => out.stdout.push_str(&text),
            None => {
                out.stderr.push_str(&format!(
                    "cat: can't open '{p}': No such file or directory\n"
                ));
                out.exit_code = 1;
            }
        }
    }
    out
}

/// busybox `hostname`: the UTS name docker gave the container, which is what it wrote to
/// `/etc/hostname`; without that file, docker's default, the short container id.
pub(super) fn hostname(world: &World, place: &Place) -> ShellOutput {
    if let Some(name) = read(world, place, "/etc/hostname") {
        return ShellOutput::ok(format!("{}\n", name.trim_end()));
    }
    match &place.container {
        Some(id) => ShellOutput::ok(format!("{}\n", &id[..id.len().min(12)])),
        None => ShellOutput::ok(format!("{}\n", place.label)),
    }
}
