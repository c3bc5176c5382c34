//! The topology as SVG: host boxes, links, then nodes on top, at the places `layout` chose.
//!
//! Owns the drawing's markup. `hnsim graph --format svg` writes it alone; the lesson page
//! puts the same drawing inline and its script finds things by these names: each node is a
//! `g.node` with `id="node-<id>"`, `data-node` (its name) and `data-cx`/`data-cy` (its
//! center); each link a `line.link` with `id="link-<id>"`, `data-link` (its name) and
//! `data-a`/`data-b` (its nodes' ids); each host box a `g.host` with `data-host`. Links that
//! join the same two nodes are drawn side by side.

use crate::layout::{Layout, LINE_H, PAD, TITLE_H};
use crate::model::Lesson;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The drawing's own style: it renders the same alone and inside the page.
const STYLE: &str = "\
.host-box{fill:#f5f7fa;stroke:#9aa5b1;stroke-width:1.5}\
.host-title{font-size:12px;font-weight:bold;fill:#37474f;paint-order:stroke;stroke:#f5f7fa;stroke-width:4px}\
.link{stroke:#90a4ae;stroke-width:2}\
.link.internal{stroke-dasharray:5 4}\
.node rect{stroke:#546e7a;stroke-width:1.2}\
.node text{font-size:11px;fill:#37474f}\
.node text.title{font-size:12px;font-weight:bold;fill:#1a237e}\
.node text.kind{fill:#78909c;font-style:italic}\
.node text.addr{fill:#0d47a1}\
.kind-fabric_switch rect{fill:#e3f2fd}\
.kind-router rect,.kind-vnet_gateway rect{fill:#ede7f6}\
.kind-external rect{fill:#fff3e0}\
.kind-windows_host rect,.kind-linux_host rect{fill:#e8f5e9}\
.kind-vswitch rect,.kind-hypervisor_switch rect{fill:#e0f7fa}\
.kind-container rect{fill:#fffde7}\
.kind-unknown rect{fill:#eeeeee;stroke-dasharray:4 3}";

/// Escapes text for XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The drawing, as an `<svg>` element (no XML declaration).
pub fn svg(lesson: &Lesson, layout: &Layout) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="topology-svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace">"#,
        w = layout.width,
        h = layout.height
    );
    let _ = writeln!(s, "<style>{STYLE}</style>");
    let _ = writeln!(
        s,
        r##"<rect class="background" x="0" y="0" width="{}" height="{}" fill="#ffffff"/>"##,
        layout.width, layout.height
    );
    s.push_str("<g class=\"hosts\">\n");
    for h in &layout.hosts {
        let _ = writeln!(
            s,
            r#"<g class="host" data-host="{name}"><rect class="host-box" x="{}" y="{}" width="{}" height="{}" rx="10"/></g>"#,
            h.x,
            h.y,
            h.w,
            h.h,
            name = esc(&h.name),
        );
    }
    s.push_str("</g>\n<g class=\"links\">\n");
    // Links between the same two nodes, side by side: the k-th of n is moved across by
    // (k - (n-1)/2) * 8 px.
    let mut pairs: BTreeMap<(u32, u32), Vec<u32>> = BTreeMap::new();
    for l in &lesson.links {
        let key = (l.a.node.min(l.b.node), l.a.node.max(l.b.node));
        pairs.entry(key).or_default().push(l.id);
    }
    let names: BTreeMap<u32, &str> = lesson
        .nodes
        .iter()
        .map(|n| (n.id, n.name.as_str()))
        .collect();
    for l in &lesson.links {
        let (Some(a), Some(b)) = (layout.nodes.get(&l.a.node), layout.nodes.get(&l.b.node)) else {
            continue;
        };
        let key = (l.a.node.min(l.b.node), l.a.node.max(l.b.node));
        let group = &pairs[&key];
        let k = group.iter().position(|x| *x == l.id).unwrap_or(0) as i32;
        let off = (2 * k - (group.len() as i32 - 1)) * 4;
        let ((x1, y1), (x2, y2)) = (a.center(), b.center());
        // Across the line: mostly vertical lines move in x, mostly horizontal ones in y.
        let (ox, oy) = if (y2 - y1).abs() >= (x2 - x1).abs() {
            (off, 0)
        } else {
            (0, off)
        };
        let end_name = |n: u32| names.get(&n).copied().unwrap_or("?");
        let title = format!(
            "{}: {} {} — {} {}",
            l.name,
            end_name(l.a.node),
            l.a.port,
            end_name(l.b.node),
            l.b.port
        );
        let _ = writeln!(
            s,
            r#"<line class="link{internal}" id="link-{id}" data-link="{name}" data-a="{a}" data-b="{b}" x1="{}" y1="{}" x2="{}" y2="{}"><title>{title}</title></line>"#,
            x1 + ox,
            y1 + oy,
            x2 + ox,
            y2 + oy,
            internal = if l.internal { " internal" } else { "" },
            id = l.id,
            name = esc(&l.name),
            a = l.a.node,
            b = l.b.node,
            title = esc(&title)
        );
    }
    // Host titles over the links that cross them.
    s.push_str("</g>\n<g class=\"host-titles\">\n");
    for h in &layout.hosts {
        let _ = writeln!(
            s,
            r#"<text class="host-title" x="{}" y="{}">{}</text>"#,
            h.x + 12,
            h.y + 18,
            esc(&h.title)
        );
    }
    s.push_str("</g>\n<g class=\"nodes\">\n");
    for n in &lesson.nodes {
        let Some(p) = layout.nodes.get(&n.id) else {
            continue;
        };
        let (cx, cy) = p.center();
        let mut title = format!("{} ({})", n.name, n.kind_words);
        for i in &n.ifaces {
            let _ = write!(
                title,
                "\n{} {} {}",
                i.name,
                i.addr.as_deref().unwrap_or("(no address)"),
                i.mac
            );
        }
        let _ = write!(
            s,
            r#"<g class="node kind-{kind}" id="node-{id}" data-node="{name}" data-cx="{cx}" data-cy="{cy}"><title>{title}</title><rect x="{}" y="{}" width="{}" height="{}" rx="6"/>"#,
            p.x,
            p.y,
            p.w,
            p.h,
            kind = esc(&n.kind),
            id = n.id,
            name = esc(&n.name),
            title = esc(&title)
        );
        for (i, line) in p.lines.iter().enumerate() {
            let i = i as i32;
            // An address line is indented under its interface's name (SVG collapses spaces,
            // so the indent is moved into x).
            let (text, indent) = match line.strip_prefix("  ") {
                Some(addr) => (addr, 12),
                None => (line.as_str(), 0),
            };
            let (class, y) = match i {
                0 => ("title", p.y + PAD + TITLE_H - 4),
                1 => ("kind", p.y + PAD + TITLE_H + LINE_H - 3),
                _ if indent > 0 => ("addr", p.y + PAD + TITLE_H + i * LINE_H - 3),
                _ => ("iface", p.y + PAD + TITLE_H + i * LINE_H - 3),
            };
            let _ = write!(
                s,
                r#"<text class="{class}" x="{}" y="{y}">{}</text>"#,
                p.x + PAD + indent,
                esc(text)
            );
        }
        s.push_str("</g>\n");
    }
    s.push_str("</g>\n<g class=\"overlay\"></g>\n</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(esc(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&#39;");
    }
}
