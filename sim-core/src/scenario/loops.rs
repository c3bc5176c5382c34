//! Loops between switches, found before anything runs.
//!
//! hnsim's switches, like unmanaged switches, run no spanning tree: with two paths between
//! two switches a flooded frame comes back and is flooded again for ever, a broadcast storm
//! (the engine stops such a run with a finding, `engine::storm`). `check` says so first:
//! - a switch cabled to itself is refused: it can only ever be a loop;
//! - a cable between two switches that are already connected (a second, parallel cable, or
//!   the cable that closes a ring) is a warning, since a storm is what the file asks for.

use super::diag::{Diagnostic, Pos};
use super::parse::Spans;
use super::schema::ScenarioSpec;
use std::collections::{BTreeMap, BTreeSet};

/// A switch cabled to itself: one error at the cable.
pub fn self_cables(file: &str, spec: &ScenarioSpec, spans: &Spans) -> Vec<Diagnostic> {
    let switches = switch_names(spec);
    spec.fabric
        .links
        .iter()
        .enumerate()
        .filter(|(_, l)| l.a == l.b && switches.contains(l.a.as_str()))
        .map(|(i, l)| {
            Diagnostic::new(
                file,
                spans.at(&format!("fabric.links[{i}]")),
                format!(
                    "switch `{}` is cabled to itself: every frame it floods out of one end comes \
                     back in at the other and is flooded again, a broadcast storm; cable it to \
                     another node",
                    l.a
                ),
            )
        })
        .collect()
}

/// Cables between switches that are already connected: one warning at each cable that
/// closes a loop (a parallel cable, or the last cable of a ring).
pub fn loop_warnings(file: &str, spec: &ScenarioSpec, spans: &Spans) -> Vec<Diagnostic> {
    let switches = switch_names(spec);
    // The cables kept so far, as a forest: switch -> (neighbour, cable index).
    let mut forest: BTreeMap<&str, Vec<(&str, usize)>> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, l) in spec.fabric.links.iter().enumerate() {
        let (a, b) = (l.a.as_str(), l.b.as_str());
        if a == b || !switches.contains(a) || !switches.contains(b) {
            continue;
        }
        let Some(path) = path_between(&forest, a, b) else {
            forest.entry(a).or_default().push((b, i));
            forest.entry(b).or_default().push((a, i));
            continue;
        };
        let at = |k: usize| {
            let p: Pos = spans.at(&format!("fabric.links[{k}]"));
            format!("line {}:{}", p.line, p.col)
        };
        let what = if path.len() == 1 {
            format!(
                "a second cable between switches `{a}` and `{b}` (the first is at {}) makes a loop",
                at(path[0].1)
            )
        } else {
            let mut ring: Vec<&str> = vec![a];
            ring.extend(path.iter().map(|(n, _)| *n));
            ring.push(a);
            format!(
                "this cable closes a ring of switches, {}",
                ring.join(" -> ")
            )
        };
        out.push(Diagnostic::new(
            file,
            spans.at(&format!("fabric.links[{i}]")),
            format!(
                "{what}: hnsim's switches run no loop prevention (no spanning tree), so the \
                 first broadcast will circulate for ever and the run will stop with a broadcast \
                 storm; remove the cable unless the storm is what you want to see"
            ),
        ));
    }
    out
}

/// How a warning reads: `file:line:column: warning: message`.
pub fn render_warning(d: &Diagnostic) -> String {
    format!("{}:{}:{}: warning: {}", d.file, d.line, d.column, d.message)
}

fn switch_names(spec: &ScenarioSpec) -> BTreeSet<&str> {
    spec.fabric
        .switches
        .iter()
        .map(|s| s.name.as_str())
        .collect()
}

/// The path from `from` to `to` in the forest, as (node, cable) steps after `from`; `None`
/// if they are not connected.
fn path_between<'a>(
    forest: &BTreeMap<&'a str, Vec<(&'a str, usize)>>,
    from: &'a str,
    to: &'a str,
) -> Option<Vec<(&'a str, usize)>> {
    // Breadth first, remembering how each switch was reached.
    let mut came: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(n) = queue.pop_front() {
        if n == to {
            let mut path = Vec::new();
            let mut at = to;
            while at != from {
                let (prev, cable) = came[at];
                path.push((at, cable));
                at = prev;
            }
            path.reverse();
            return Some(path);
        }
        for &(next, cable) in forest.get(n).into_iter().flatten() {
            if next != from && !came.contains_key(next) {
                came.insert(next, (n, cable));
                queue.push_back(next);
            }
        }
    }
    None
}
