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

#[cfg(test)]
mod tests {
    use crate::scenario::load_str;

    /// A scenario with switches `names` and cables `links` (pairs of switch names, one a
    /// line from line 6 on, named `c0`, `c1`, ...).
    fn fabric(names: &[&str], links: &[(&str, &str)]) -> String {
        let switches: Vec<String> = names.iter().map(|n| format!("(name: \"{n}\")")).collect();
        let links: Vec<String> = links
            .iter()
            .enumerate()
            .map(|(i, (a, b))| format!("\n        (a: \"{a}\", b: \"{b}\", name: \"c{i}\"),"))
            .collect();
        format!(
            "ScenarioSpec(\n    title: \"t\",\n    fabric: (\n    switches: [{}],\n    links: [{}\n    ],\n    ),\n)\n",
            switches.join(", "),
            links.concat()
        )
    }

    fn warnings(text: &str) -> Vec<String> {
        let loaded = load_str("t.ron", text).expect("loads");
        loaded.warnings.iter().map(super::render_warning).collect()
    }

    #[test]
    fn a_tree_of_switches_has_no_warning() {
        let text = fabric(
            &["core", "a", "b", "c"],
            &[("core", "a"), ("core", "b"), ("b", "c")],
        );
        assert_eq!(warnings(&text), Vec::<String>::new());
    }

    #[test]
    fn each_cable_that_closes_a_loop_is_named_once() {
        let text = fabric(
            &["s1", "s2", "s3", "s4"],
            &[
                ("s1", "s2"),
                ("s1", "s2"),
                ("s2", "s3"),
                ("s3", "s4"),
                ("s4", "s1"),
            ],
        );
        let w = warnings(&text);
        assert_eq!(w.len(), 2, "{w:#?}");
        assert!(
            w[0].starts_with("t.ron:7:9: warning: a second cable between switches `s1` and `s2` (the first is at line 6:9) makes a loop"),
            "{}",
            w[0]
        );
        assert!(
            w[1].starts_with(
                "t.ron:10:9: warning: this cable closes a ring of switches, s4 -> s3 -> s2 -> s1 -> s4"
            ),
            "{}",
            w[1]
        );
    }

    #[test]
    fn a_switch_cabled_to_itself_is_an_error_at_its_cable() {
        let text = fabric(&["s1", "s2"], &[("s1", "s2"), ("s2", "s2")]);
        let diags = load_str("t.ron", &text).expect_err("refused");
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert_eq!((diags[0].line, diags[0].column), (7, 9));
        assert!(
            diags[0]
                .message
                .starts_with("switch `s2` is cabled to itself"),
            "{}",
            diags[0].message
        );
    }
}
