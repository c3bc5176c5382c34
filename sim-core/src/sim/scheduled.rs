//! Control actions scheduled at a simulated instant (`At` steps): what each one is, and what
//! it did when the engine said it was due.
//!
//! `World::schedule` files an action under a token and hands the token to the engine as a
//! control event; when `Engine::run_until` stops with `RunStop::Control(token)`, the world runs
//! the action and records a [`Fired`]. This module is plain data: it runs nothing.

use crate::docker::daemon::CommandOutput;
use crate::time::SimTime;
use std::fmt;

/// A configuration change that can happen while probes are in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// The action could not run (no such host or link, a NIC without a cable).
    Failed(String),
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
            (action, _) => action.to_string(),
        }
    }
}
