//! Control actions scheduled at a simulated instant (`At` steps): what each one is, and what
//! it did when the engine said it was due.
//!
//! `World::schedule` files an action under a token and hands the token to the engine as a
//! control event; when `Engine::run_until` stops with `RunStop::Control(token)`, the world runs
//! the action and records a [`Fired`]. This module is plain data: it runs nothing.

use crate::docker::daemon::CommandOutput;
use crate::engine::link::Impairment;
use crate::scenario::SystemService;
use crate::time::SimTime;
use std::fmt;

/// A configuration change that can happen while probes are in flight.
#[derive(Clone, Debug, PartialEq)]
pub enum ControlAction {
    /// A docker command line, as typed on `host`.
    Docker { host: String, cmd: String },
    /// A link (by name) goes down or comes back up.
    Link { link: String, up: bool },
    /// A host NIC fails or comes back: the cable on it, found when the action runs (binding
    /// the NIC to an external vSwitch moves its cable to the vSwitch's uplink).
    Nic { host: String, nic: String, up: bool },
    /// A container host reboots.
    Reboot { host: String },
    /// Faults are set on a link (a clear `Impairment` clears them).
    Impair { link: String, faults: Impairment },
    /// Links (listed, and every cable of the listed nodes) go down together, under a name.
    Partition {
        name: String,
        links: Vec<String>,
        nodes: Vec<String>,
    },
    /// The partition of that name heals.
    Heal { name: String },
    /// A container host fails (`up` false: power lost) or comes back (it boots).
    Host { host: String, up: bool },
    /// A system service of a container host restarts.
    RestartService {
        host: String,
        service: SystemService,
    },
}

/// `docker`, `HNS`: a service as a report names it.
pub fn service_name(service: SystemService) -> &'static str {
    match service {
        SystemService::Docker => "dockerd",
        SystemService::Hns => "HNS",
    }
}

/// The faults in words: `loss 30%, +20ms latency (+ up to 5ms jitter), 1% duplicated, 10%
/// reordered`, or `none`.
pub fn describe_faults(f: &Impairment) -> String {
    let pct = |p: f64| {
        let tenths = (p * 1000.0).round() as u64;
        if tenths.is_multiple_of(10) {
            format!("{}%", tenths / 10)
        } else {
            format!("{}.{}%", tenths / 10, tenths % 10)
        }
    };
    let mut parts = Vec::new();
    if f.loss > 0.0 {
        parts.push(format!("loss {}", pct(f.loss)));
    }
    if f.latency.as_nanos() > 0 || f.jitter.as_nanos() > 0 {
        let mut s = format!("+{}ms latency", f.latency.as_nanos() / 1_000_000);
        if f.jitter.as_nanos() > 0 {
            s.push_str(&format!(
                " (+ up to {}ms jitter)",
                f.jitter.as_nanos() / 1_000_000
            ));
        }
        parts.push(s);
    }
    if f.duplicate > 0.0 {
        parts.push(format!("{} duplicated", pct(f.duplicate)));
    }
    if f.reorder > 0.0 {
        parts.push(format!("{} reordered", pct(f.reorder)));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn up_down(up: bool) -> &'static str {
    if up {
        "up"
    } else {
        "down"
    }
}

/// The action as its step is written in a report: `host1> docker stop web`, `link wan down`,
/// `NIC host2.Ethernet down`, `reboot host2`.
impl fmt::Display for ControlAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlAction::Docker { host, cmd } => write!(f, "{host}> {cmd}"),
            ControlAction::Link { link, up } => write!(f, "link {link} {}", up_down(*up)),
            ControlAction::Nic { host, nic, up } => {
                write!(f, "NIC {host}.{nic} {}", up_down(*up))
            }
            ControlAction::Reboot { host } => write!(f, "reboot {host}"),
            ControlAction::Impair { link, faults } if faults.is_clear() => {
                write!(f, "impair link {link}: clear")
            }
            ControlAction::Impair { link, faults } => {
                write!(f, "impair link {link}: {}", describe_faults(faults))
            }
            ControlAction::Partition { name, links, nodes } => {
                write!(f, "partition {name}")?;
                if !links.is_empty() {
                    write!(f, ": links {}", links.join(", "))?;
                }
                if !nodes.is_empty() {
                    let sep = if links.is_empty() { ":" } else { ";" };
                    write!(f, "{sep} isolate {}", nodes.join(", "))?;
                }
                Ok(())
            }
            ControlAction::Heal { name } => write!(f, "heal partition {name}"),
            ControlAction::Host { host, up: false } => write!(f, "host {host} fails"),
            ControlAction::Host { host, up: true } => write!(f, "host {host} comes back"),
            ControlAction::RestartService { host, service } => {
                write!(f, "restart {} on {host}", service_name(*service))
            }
        }
    }
}

/// What an action did.
#[derive(Clone, Debug)]
pub enum Effect {
    /// What docker printed.
    Docker(CommandOutput),
    /// A link changed state: its name (for a NIC, the cable on it).
    Link { link: String, up: bool },
    /// A host rebooted: the networks docker has afterwards, and dockerd's error if it did not
    /// come back.
    Rebooted {
        networks: String,
        error: Option<String>,
    },
    /// Faults were set on a link, or cleared.
    Impaired,
    /// Links went down (`up` false: a partition, a host failing) or came back up (a heal);
    /// the names of those that changed.
    Links { links: Vec<String>, up: bool },
    /// A failed host came back: it booted (the networks docker has afterwards, dockerd's
    /// error if it did not come back) and its cables came back up.
    HostBack {
        links: Vec<String>,
        networks: String,
        error: Option<String>,
    },
    /// A service restarted: what it kept and what it lost, in words, and its error if it did
    /// not come back.
    Restarted {
        kept: String,
        lost: String,
        error: Option<String>,
    },
    /// The action could not run (no such host or link, a NIC without a cable).
    Failed(String),
}

/// `links a, b went down`, `link a went down`, `no link changed`.
fn went(links: &[String], what: &str) -> String {
    match links {
        [] => "no link changed".into(),
        [one] => format!("link {one} {what}"),
        many => format!("links {} {what}", many.join(", ")),
    }
}

/// One action that ran.
#[derive(Clone, Debug)]
pub struct Fired {
    pub token: u64,
    /// When it ran: the time it was scheduled for.
    pub time: SimTime,
    pub action: ControlAction,
    /// How many hops the engine's trace held when it ran, to place it among a probe's hops.
    pub trace_len: usize,
    pub effect: Effect,
}

impl Fired {
    /// One line that says what happened: `link wan went down`, `NIC host2.Ethernet failed:
    /// link host2.Ethernet<->lan went down`, `host2 rebooted`, or the command line.
    pub fn headline(&self) -> String {
        let link_change = |link: &str, up: bool| {
            if up {
                format!("link {link} came back up")
            } else {
                format!("link {link} went down")
            }
        };
        match (&self.action, &self.effect) {
            (_, Effect::Failed(_)) => format!("{} could not run", self.action),
            (ControlAction::Docker { .. }, _) => self.action.to_string(),
            (ControlAction::Nic { host, nic, .. }, Effect::Link { link, up }) => format!(
                "NIC {host}.{nic} {}: {}",
                if *up { "is back" } else { "failed" },
                link_change(link, *up)
            ),
            (_, Effect::Link { link, up }) => link_change(link, *up),
            (ControlAction::Reboot { host }, _) => format!("{host} rebooted"),
            (ControlAction::Impair { link, faults }, _) if faults.is_clear() => {
                format!("link {link}: impairments cleared")
            }
            (ControlAction::Impair { link, faults }, _) => {
                format!("link {link} impaired: {}", describe_faults(faults))
            }
            (ControlAction::Partition { name, .. }, Effect::Links { links, .. }) => {
                format!("partition {name}: {}", went(links, "went down"))
            }
            (ControlAction::Heal { name }, Effect::Links { links, .. }) => {
                format!("partition {name} healed: {}", went(links, "came back up"))
            }
            (ControlAction::Host { host, .. }, Effect::Links { links, .. }) => {
                format!("{host} failed (power lost): {}", went(links, "went down"))
            }
            (ControlAction::Host { host, .. }, Effect::HostBack { links, .. }) => {
                format!("{host} is back: it booted; {}", went(links, "came back up"))
            }
            (ControlAction::RestartService { host, service }, _) => {
                format!("{} on {host} restarted", service_name(*service))
            }
            (action, _) => action.to_string(),
        }
    }
}
