//! Design diffs (`hnsim diff`): two runs compared probe by probe, by outcome and path.
//!
//! Owns matching the probes of two runs and saying what changed. Probes are matched by
//! `name` when both have one, else by their place (the step's number and the probe's rank in
//! it) with the same source, target and protocol. Two matched probes differ when their
//! outcome differs or when their first packet's path does (`sim::path`): the nodes it crossed
//! and the key of each mechanism (NAT by table and direction, VXLAN by VNI, MAC rewrite,
//! fragmentation, a drop by its kind and rule table). Addresses, ids, times and report text
//! are never compared: they shift between two designs without meaning anything.

use super::machine::{MachineReport, ProbeRecord};
use super::path::PathNode;
use std::fmt::Write;

/// One probe's place in a run: the step's number and the probe's rank among the step's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub step: usize,
    pub rank: usize,
}

/// What changed for one probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The probe ran in one run only.
    OnlyIn { side: Side, label: String },
    /// It ran in both and ended or went differently.
    Differs {
        label: String,
        outcome: Option<(String, String)>,
        /// The two paths' lines, when the paths differ.
        path: Option<(String, String)>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

struct Entry<'a> {
    place: Place,
    probe: &'a ProbeRecord,
}

fn entries(r: &MachineReport) -> Vec<Entry<'_>> {
    r.steps
        .iter()
        .flat_map(|s| {
            s.probes.iter().enumerate().map(move |(rank, probe)| Entry {
                place: Place {
                    step: s.number,
                    rank,
                },
                probe,
            })
        })
        .collect()
}

fn label(e: &Entry) -> String {
    let p = e.probe;
    match &p.name {
        Some(n) => format!("probe {n:?} ({} -> {} {})", p.from, p.to, p.proto),
        None => format!(
            "[{}] probe {} -> {} {}",
            e.place.step, p.from, p.to, p.proto
        ),
    }
}

fn matches(a: &Entry, b: &Entry) -> bool {
    match (&a.probe.name, &b.probe.name) {
        (Some(x), Some(y)) => x == y,
        (Some(_), None) | (None, Some(_)) => false,
        (None, None) => {
            a.place == b.place
                && (&a.probe.from, &a.probe.to, &a.probe.proto)
                    == (&b.probe.from, &b.probe.to, &b.probe.proto)
        }
    }
}

/// What is compared of a path: each node and its mechanism keys.
fn shape(nodes: &[PathNode]) -> Vec<(&str, Vec<&str>)> {
    nodes
        .iter()
        .map(|n| {
            (
                n.node.as_str(),
                n.mechanisms.iter().map(|m| m.key.as_str()).collect(),
            )
        })
        .collect()
}

/// The changes from run `a` to run `b`, in `a`'s probe order, then the probes only `b` ran.
pub fn compare(a: &MachineReport, b: &MachineReport) -> Vec<Change> {
    let (ea, eb) = (entries(a), entries(b));
    let mut used = vec![false; eb.len()];
    let mut changes = Vec::new();
    for x in &ea {
        let found = eb
            .iter()
            .enumerate()
            .find(|(j, y)| !used[*j] && matches(x, y));
        let Some((j, y)) = found else {
            changes.push(Change::OnlyIn {
                side: Side::A,
                label: label(x),
            });
            continue;
        };
        used[j] = true;
        let outcome = (x.probe.outcome != y.probe.outcome)
            .then(|| (x.probe.outcome.clone(), y.probe.outcome.clone()));
        let path = (shape(&x.probe.path.path.nodes) != shape(&y.probe.path.path.nodes))
            .then(|| (x.probe.path.line.clone(), y.probe.path.line.clone()));
        if outcome.is_some() || path.is_some() {
            changes.push(Change::Differs {
                label: label(x),
                outcome,
                path,
            });
        }
    }
    for (j, y) in eb.iter().enumerate() {
        if !used[j] {
            changes.push(Change::OnlyIn {
                side: Side::B,
                label: label(y),
            });
        }
    }
    changes
}

/// The changes as text: one block per probe, `-` for A and `+` for B.
pub fn render(changes: &[Change], a: &str, b: &str) -> String {
    let mut s = String::new();
    if changes.is_empty() {
        let _ = writeln!(s, "no difference: every probe ended and went the same way");
        return s;
    }
    let _ = writeln!(s, "--- A: {a}\n+++ B: {b}");
    for c in changes {
        match c {
            Change::OnlyIn { side, label } => {
                let (sign, which) = match side {
                    Side::A => ('-', "A"),
                    Side::B => ('+', "B"),
                };
                let _ = writeln!(s, "\n{label}\n  {sign} only in {which}");
            }
            Change::Differs {
                label,
                outcome,
                path,
            } => {
                let _ = writeln!(s, "\n{label}");
                if let Some((x, y)) = outcome {
                    let _ = writeln!(s, "  outcome: {} -> {}", x.to_uppercase(), y.to_uppercase());
                }
                if let Some((x, y)) = path {
                    let _ = writeln!(s, "  - path: {x}\n  + path: {y}");
                }
            }
        }
    }
    let _ = writeln!(s, "\n{} probe(s) changed", changes.len());
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::machine::{PathRecord, StepRecord};
    use crate::sim::path::{Mechanism, Path};

    fn probe(name: Option<&str>, outcome: &str, nodes: &[(&str, &[&str])]) -> ProbeRecord {
        let nodes = nodes
            .iter()
            .map(|(n, ms)| PathNode {
                node: n.to_string(),
                mechanisms: ms
                    .iter()
                    .map(|k| Mechanism {
                        key: k.to_string(),
                        text: format!("{k} 10.0.0.1"),
                    })
                    .collect(),
            })
            .collect();
        ProbeRecord {
            name: name.map(str::to_string),
            from: "a".into(),
            to: "b".into(),
            proto: "icmp".into(),
            outcome: outcome.into(),
            path: PathRecord {
                line: "the line".into(),
                path: Path {
                    of: "packet",
                    nodes,
                },
            },
            ..ProbeRecord::default()
        }
    }

    fn run(probes: Vec<ProbeRecord>) -> MachineReport {
        MachineReport {
            steps: vec![StepRecord {
                number: 3,
                probes,
                ..StepRecord::default()
            }],
            ..MachineReport::default()
        }
    }

    #[test]
    fn same_outcome_and_path_is_no_change_whatever_the_addresses() {
        let a = run(vec![probe(
            None,
            "delivered",
            &[("c", &[]), ("h", &["nat WinNAT source"])],
        )]);
        let mut b = a.clone();
        b.steps[0].probes[0].path.path.nodes[1].mechanisms[0].text = "other address".into();
        assert_eq!(compare(&a, &b), vec![]);
    }

    #[test]
    fn a_changed_mechanism_or_outcome_is_a_change_matched_by_name() {
        let a = run(vec![
            probe(
                Some("x"),
                "delivered",
                &[("c", &[]), ("h", &["nat WinNAT source"])],
            ),
            probe(Some("y"), "delivered", &[("c", &[])]),
        ]);
        let b = run(vec![
            probe(Some("y"), "dropped", &[("c", &[])]),
            probe(Some("x"), "delivered", &[("c", &[]), ("h", &[])]),
            probe(Some("z"), "delivered", &[]),
        ]);
        let changes = compare(&a, &b);
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert!(matches!(
            &changes[0],
            Change::Differs {
                outcome: None,
                path: Some(_),
                ..
            }
        ));
        assert!(matches!(
            &changes[1],
            Change::Differs {
                outcome: Some(_),
                path: None,
                ..
            }
        ));
        assert!(matches!(&changes[2], Change::OnlyIn { side: Side::B, .. }));
        let text = render(&changes, "A.ron", "B.ron");
        assert!(text.contains("outcome: DELIVERED -> DROPPED"), "{text}");
    }
}
