//! The topology in Graphviz's DOT language, for `hnsim graph --format dot`.
//!
//! Owns that text. Each container host is a cluster holding its stack, vSwitches and
//! containers; the fabric is outside any cluster. Nodes are named `n<id>` and labelled with
//! the lines of their box in the SVG drawing; a link is an edge labelled with its name, its
//! ends' port names as head and tail labels, dashed when it is a vNIC on a vSwitch port.
//! Nodes and links come in id order, so the same lesson gives the same text.

use crate::layout::node_lines;
use crate::model::{Lesson, NodeView};
use std::fmt::Write;

/// A DOT string literal (quoted, with `"` and `\` escaped; lines joined by `\n`).
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn fill(kind: &str) -> &'static str {
    match kind {
        "fabric_switch" => "#e3f2fd",
        "router" | "vnet_gateway" => "#ede7f6",
        "external" => "#fff3e0",
        "windows_host" | "linux_host" => "#e8f5e9",
        "vswitch" | "hypervisor_switch" => "#e0f7fa",
        "container" => "#fffde7",
        _ => "#eeeeee",
    }
}

fn write_node(out: &mut String, indent: &str, n: &NodeView) {
    let _ = writeln!(
        out,
        "{indent}n{} [label={}, fillcolor={}];",
        n.id,
        quote(&node_lines(n).join("\n")),
        quote(fill(&n.kind))
    );
}

/// The lesson's topology as a DOT graph.
pub fn dot(lesson: &Lesson) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "graph topology {{");
    let _ = writeln!(out, "  label={};", quote(&lesson.title));
    let _ = writeln!(out, "  labelloc=t;");
    let _ = writeln!(out, "  fontname=\"monospace\";");
    let _ = writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fontname=\"monospace\", fontsize=10];"
    );
    let _ = writeln!(out, "  edge [fontname=\"monospace\", fontsize=8];");
    let mut hosts: Vec<(String, String)> = lesson
        .hosts
        .iter()
        .map(|h| (h.name.clone(), format!("{} · {}", h.name, h.os)))
        .collect();
    for n in &lesson.nodes {
        if let Some(h) = &n.host {
            if !hosts.iter().any(|(name, _)| name == h) {
                hosts.push((h.clone(), h.clone()));
            }
        }
    }
    for (i, (name, title)) in hosts.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{i} {{");
        let _ = writeln!(out, "    label={};", quote(title));
        let _ = writeln!(out, "    style=\"rounded,filled\";");
        let _ = writeln!(out, "    fillcolor=\"#f5f7fa\";");
        for n in lesson
            .nodes
            .iter()
            .filter(|n| n.host.as_deref() == Some(name))
        {
            write_node(&mut out, "    ", n);
        }
        let _ = writeln!(out, "  }}");
    }
    for n in lesson.nodes.iter().filter(|n| n.host.is_none()) {
        write_node(&mut out, "  ", n);
    }
    for l in &lesson.links {
        let style = if l.internal { ", style=dashed" } else { "" };
        let _ = writeln!(
            out,
            "  n{} -- n{} [label={}, taillabel={}, headlabel={}{style}];",
            l.a.node,
            l.b.node,
            quote(&l.name),
            quote(&l.a.port),
            quote(&l.b.port)
        );
    }
    let _ = writeln!(out, "}}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_strings_escape_quotes_backslashes_and_newlines() {
        assert_eq!(quote("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
    }
}
