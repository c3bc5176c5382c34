//! Loops between switches, found before anything runs.
//!
//! A switch runs no spanning tree unless the scenario says `spanning_tree: Rstp`, like an
//! unmanaged switch: with two paths between two switches a flooded frame comes back and is
//! flooded again for ever, a broadcast storm (the engine stops such a run with a finding,
//! `engine::storm`). `check` says so first:
//! - a switch cabled to itself is refused: it can only ever be a loop;
//! - a cable between two switches that are already connected (a second, parallel cable, or
//!   the cable that closes a ring) is a warning, since a storm is what the file asks for,
//!   unless every switch of that loop runs spanning tree (`control::stp` then keeps one port
//!   of it discarding). A switch without spanning tree passes no BPDU on, so a loop through
//!   it stays open: the warning names the switches that lack it.

use super::diag::{Diagnostic, Pos};
use super::parse::Spans;
use super::schema::{ScenarioSpec, SpanningTreeSpec};
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
    let spanning: BTreeSet<&str> = spec
        .fabric
        .switches
        .iter()
        .filter(|s| s.spanning_tree == SpanningTreeSpec::Rstp)
        .map(|s| s.name.as_str())
        .collect();
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
        // The switches of the loop without spanning tree, in the loop's order.
        let mut open: Vec<&str> = Vec::new();
        for n in std::iter::once(a).chain(path.iter().map(|(n, _)| *n)) {
            if !spanning.contains(n) && !open.contains(&n) {
                open.push(n);
            }
        }
        if open.is_empty() {
            continue;
        }
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
        let named: Vec<String> = open.iter().map(|n| format!("`{n}`")).collect();
        let named = and_list(&named);
        let runs = if open.len() == 1 { "runs" } else { "run" };
        out.push(Diagnostic::new(
            file,
            spans.at(&format!("fabric.links[{i}]")),
            format!(
                "{what}: {named} {runs} no loop prevention (no spanning tree), so the first \
                 broadcast will circulate for ever and the run will stop with a broadcast \
                 storm; set `spanning_tree: Rstp` on {named} (spanning tree breaks a loop only \
                 where every switch in it runs it), or remove the cable unless the storm is \
                 what you want to see"
            ),
        ));
    }
    out
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
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
        fabric_with(names, &[], links)
    }

    /// As `fabric`, with the switches `rstp` running spanning tree.
    fn fabric_with(names: &[&str], rstp: &[&str], links: &[(&str, &str)]) -> String {
        let switches: Vec<String> = names
            .iter()
            .map(|n| {
                let st = if rstp.contains(n) {
                    ", spanning_tree: Rstp"
                } else {
                    ""
                };
                format!("(name: \"{n}\"{st})")
            })
            .collect();
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
    fn a_loop_of_switches_that_all_run_spanning_tree_has_no_warning() {
        let links = [("s1", "s2"), ("s1", "s2"), ("s2", "s3"), ("s3", "s1")];
        let all = ["s1", "s2", "s3"];
        assert_eq!(
            warnings(&fabric_with(&all, &all, &links)),
            Vec::<String>::new()
        );
        // s3 runs none: the parallel cables are still covered, the ring through s3 is not.
        let w = warnings(&fabric_with(&all, &["s1", "s2"], &links));
        assert_eq!(w.len(), 1, "{w:#?}");
        assert!(
            w[0].starts_with(
                "t.ron:9:9: warning: this cable closes a ring of switches, s3 -> s2 -> s1 -> s3: \
                 `s3` runs no loop prevention (no spanning tree), so the first broadcast will \
                 circulate for ever"
            ),
            "{}",
            w[0]
        );
        assert!(
            w[0].contains("set `spanning_tree: Rstp` on `s3`"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn a_bridge_priority_needs_spanning_tree_and_a_step_of_4096() {
        let text = fabric_with(&["s1", "s2"], &["s1"], &[("s1", "s2")])
            .replace(
                "(name: \"s1\", spanning_tree: Rstp)",
                "(name: \"s1\", spanning_tree: Rstp, bridge_priority: 1000)",
            )
            .replace("(name: \"s2\")", "(name: \"s2\", bridge_priority: 4096)");
        let diags = load_str("t.ron", &text).expect_err("refused");
        let msgs: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(msgs.len(), 2, "{msgs:#?}");
        assert!(
            msgs[0].starts_with("bridge priority 1000 is not one a switch accepts"),
            "{msgs:#?}"
        );
        assert!(
            msgs[1].starts_with("bridge_priority is a spanning-tree setting"),
            "{msgs:#?}"
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
