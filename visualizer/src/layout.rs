//! Where each node goes in the drawing: a simple layered layout, the same for the same lesson.
//!
//! Owns positions and sizes, in whole pixels. The fabric is drawn in rows above the container
//! hosts: a fabric node's row is how many links it is from the nearest host (nodes a host is
//! cabled to sit just above the hosts; nodes that reach no host, on top). Each container host
//! is a box, the hosts side by side in the scenario's order. Inside a box, a node's row is
//! how many links it is from the nodes cabled to the fabric (the host's own stack for a nat
//! network, the vSwitch for an external one), so the host's stack, its vSwitches and its
//! containers come in that order. A row is ordered by where its neighbours in the row before
//! are (their mean x), ties by id; fabric rows are placed bottom-up, each node as near as it
//! can be above its neighbours. Text widths are estimated for a monospace font.

use crate::model::{Lesson, NodeView};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Room around the drawing.
pub const MARGIN: i32 = 20;
const NODE_GAP: i32 = 28;
const ROW_GAP: i32 = 56;
const HOST_GAP: i32 = 40;
const HOST_PAD: i32 = 16;
/// Height of a host box's title.
pub const HOST_HEADER: i32 = 26;
/// Inner padding of a node's box.
pub const PAD: i32 = 8;
/// Height of the title line and of the other lines.
pub const TITLE_H: i32 = 16;
pub const LINE_H: i32 = 14;
/// Estimated advance of one character of the title (12px) and of the other lines (11px), in
/// hundredths of a pixel (monospace fonts advance about 0.6 em).
const TITLE_CHAR: i32 = 740;
const LINE_CHAR: i32 = 680;
const MIN_NODE_W: i32 = 96;

/// A node's box and the lines written in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
    /// The first line is the title (the node's label), then its kind, then its interfaces.
    pub lines: Vec<String>,
}

impl Placed {
    pub fn center(&self) -> (i32, i32) {
        (self.x + self.w / 2, self.y + self.h / 2)
    }
}

/// A container host's box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostBox {
    pub name: String,
    pub title: String,
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub width: i32,
    pub height: i32,
    /// By node id.
    pub nodes: BTreeMap<u32, Placed>,
    pub hosts: Vec<HostBox>,
}

/// The lines written in a node's box: its label, its kind, then each interface's name with
/// its address beneath (indented).
pub fn node_lines(n: &NodeView) -> Vec<String> {
    let mut lines = vec![n.label.clone(), n.kind_words.clone()];
    for i in &n.ifaces {
        lines.push(i.name.clone());
        lines.push(format!("  {}", i.addr.as_deref().unwrap_or("(no address)")));
    }
    lines
}

fn text_width(chars: usize, per_char: i32) -> i32 {
    let chars = i32::try_from(chars).unwrap_or(i32::MAX / per_char.max(1));
    (chars.saturating_mul(per_char) + 99) / 100
}

fn size(lines: &[String]) -> (i32, i32) {
    let mut w = 0;
    for (i, l) in lines.iter().enumerate() {
        let per = if i == 0 { TITLE_CHAR } else { LINE_CHAR };
        w = w.max(text_width(l.chars().count(), per));
    }
    let rest = i32::try_from(lines.len().saturating_sub(1)).unwrap_or(0);
    (
        (w + 2 * PAD).max(MIN_NODE_W),
        2 * PAD + TITLE_H + rest * LINE_H,
    )
}

/// Breadth-first distances from `seeds` (at `start`) over `adj`, within `members`.
fn bfs(
    seeds: &[u32],
    start: i32,
    adj: &BTreeMap<u32, BTreeSet<u32>>,
    members: &BTreeSet<u32>,
) -> BTreeMap<u32, i32> {
    let mut depth = BTreeMap::new();
    let mut queue = VecDeque::new();
    for &s in seeds {
        if depth.insert(s, start).is_none() {
            queue.push_back(s);
        }
    }
    while let Some(n) = queue.pop_front() {
        let d = depth[&n];
        for &m in adj.get(&n).into_iter().flatten() {
            if members.contains(&m) && !depth.contains_key(&m) {
                depth.insert(m, d + 1);
                queue.push_back(m);
            }
        }
    }
    depth
}

/// Orders a row by the mean x of each node's already placed neighbours, ties (and nodes with
/// none) by id, those with none last.
fn order_row(
    row: &mut [u32],
    adj: &BTreeMap<u32, BTreeSet<u32>>,
    placed_x: &BTreeMap<u32, i32>,
) -> BTreeMap<u32, Option<i32>> {
    let mut want = BTreeMap::new();
    for &n in row.iter() {
        let xs: Vec<i64> = adj
            .get(&n)
            .into_iter()
            .flatten()
            .filter_map(|m| placed_x.get(m).map(|&x| i64::from(x)))
            .collect();
        let mean = (!xs.is_empty())
            .then(|| i32::try_from(xs.iter().sum::<i64>() / xs.len() as i64).unwrap_or(0));
        want.insert(n, mean);
    }
    row.sort_by_key(|n| (want[n].is_none(), want[n].unwrap_or(0), *n));
    want
}

/// Left edges for a row in its order: each node as near as it can be to its wish (`want`: the
/// center it would like) without overlapping the one before; then the whole row moved so that
/// the nodes with a wish are, on average, centered where they wished.
fn place_row(
    row: &[u32],
    want: &BTreeMap<u32, Option<i32>>,
    width: impl Fn(&u32) -> i32,
) -> Vec<i32> {
    let mut lefts = Vec::with_capacity(row.len());
    let mut next_free: Option<i32> = None;
    for n in row {
        let w = width(n);
        let x = match (want[n], next_free) {
            (Some(c), Some(f)) => (c - w / 2).max(f),
            (Some(c), None) => c - w / 2,
            (None, Some(f)) => f,
            (None, None) => 0,
        };
        lefts.push(x);
        next_free = Some(x + w + NODE_GAP);
    }
    let (mut wished, mut got, mut count) = (0i64, 0i64, 0i64);
    for (n, x) in row.iter().zip(&lefts) {
        if let Some(c) = want[n] {
            wished += i64::from(c);
            got += i64::from(x + width(n) / 2);
            count += 1;
        }
    }
    if count > 0 {
        let shift = i32::try_from((wished - got) / count).unwrap_or(0);
        for x in &mut lefts {
            *x += shift;
        }
    }
    lefts
}

/// Lays out the lesson's topology.
pub fn layout(lesson: &Lesson) -> Layout {
    let nodes: BTreeMap<u32, &NodeView> = lesson.nodes.iter().map(|n| (n.id, n)).collect();
    let mut adj: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for l in &lesson.links {
        let (a, b) = (l.a.node, l.b.node);
        if a != b && nodes.contains_key(&a) && nodes.contains_key(&b) {
            adj.entry(a).or_default().insert(b);
            adj.entry(b).or_default().insert(a);
        }
    }
    // The hosts in the scenario's order, then any other host a node names.
    let mut host_names: Vec<String> = lesson.hosts.iter().map(|h| h.name.clone()).collect();
    for n in nodes.values() {
        if let Some(h) = &n.host {
            if !host_names.contains(h) {
                host_names.push(h.clone());
            }
        }
    }
    let in_host = |n: &NodeView| n.host.as_ref().filter(|h| host_names.contains(h)).cloned();
    let fabric: BTreeSet<u32> = nodes
        .values()
        .filter(|n| in_host(n).is_none())
        .map(|n| n.id)
        .collect();
    let sizes: BTreeMap<u32, (Vec<String>, (i32, i32))> = nodes
        .values()
        .map(|n| {
            let lines = node_lines(n);
            let s = size(&lines);
            (n.id, (lines, s))
        })
        .collect();
    let width_of = |n: &u32| sizes[n].1 .0;
    let height_of = |n: &u32| sizes[n].1 .1;

    let mut out = Layout::default();
    // x of each node's center, and of each node's left edge.
    let mut center_x: BTreeMap<u32, i32> = BTreeMap::new();
    let mut left_x: BTreeMap<u32, i32> = BTreeMap::new();

    // Container hosts: rows inside each box, x first.
    struct HostRows {
        name: String,
        rows: Vec<Vec<u32>>,
        x: i32,
        w: i32,
    }
    let mut host_rows = Vec::new();
    let mut cursor = 0;
    for host in &host_names {
        let members: BTreeSet<u32> = nodes
            .values()
            .filter(|n| in_host(n).as_deref() == Some(host.as_str()))
            .map(|n| n.id)
            .collect();
        let mut seeds: Vec<u32> = members
            .iter()
            .copied()
            .filter(|m| {
                adj.get(m)
                    .into_iter()
                    .flatten()
                    .any(|o| !members.contains(o))
            })
            .collect();
        if seeds.is_empty() {
            seeds = members
                .iter()
                .copied()
                .filter(|m| matches!(nodes[m].kind.as_str(), "windows_host" | "linux_host"))
                .collect();
        }
        let mut depth = bfs(&seeds, 0, &adj, &members);
        for m in &members {
            depth.entry(*m).or_insert(match nodes[m].kind.as_str() {
                "windows_host" | "linux_host" => 0,
                "container" => 2,
                _ => 1,
            });
        }
        let deepest = depth.values().copied().max().unwrap_or(0);
        let mut rows: Vec<Vec<u32>> = (0..=deepest)
            .map(|d| {
                depth
                    .iter()
                    .filter(|(_, v)| **v == d)
                    .map(|(k, _)| *k)
                    .collect()
            })
            .collect();
        rows.retain(|r| !r.is_empty());
        // Place rows top-down in the box's own coordinates, then move the box into place.
        let mut local_center: BTreeMap<u32, i32> = BTreeMap::new();
        let mut local_left: BTreeMap<u32, i32> = BTreeMap::new();
        for row in rows.iter_mut() {
            let want = order_row(row, &adj, &local_center);
            for (n, x) in row.iter().zip(place_row(row, &want, width_of)) {
                local_left.insert(*n, x);
                local_center.insert(*n, x + width_of(n) / 2);
            }
        }
        let min_x = local_left.values().copied().min().unwrap_or(0);
        let max_x = local_left
            .iter()
            .map(|(n, x)| x + width_of(n))
            .max()
            .unwrap_or(0);
        let inner = (max_x - min_x).max(MIN_NODE_W);
        let title = lesson
            .hosts
            .iter()
            .find(|h| &h.name == host)
            .map_or_else(|| host.clone(), |h| format!("{} · {}", h.name, h.os));
        let w =
            (inner + 2 * HOST_PAD).max(text_width(title.chars().count(), LINE_CHAR) + 2 * HOST_PAD);
        let dx = cursor + HOST_PAD + (w - 2 * HOST_PAD - (max_x - min_x)) / 2 - min_x;
        for (n, x) in &local_left {
            left_x.insert(*n, x + dx);
            center_x.insert(*n, x + dx + width_of(n) / 2);
        }
        out.hosts.push(HostBox {
            name: host.clone(),
            title,
            x: cursor,
            y: 0,
            w,
            h: 0,
        });
        host_rows.push(HostRows {
            name: host.clone(),
            rows,
            x: cursor,
            w,
        });
        cursor += w + HOST_GAP;
    }

    // The fabric: rows by distance from the hosts, placed bottom-up.
    let seeds: Vec<u32> = fabric
        .iter()
        .copied()
        .filter(|f| {
            adj.get(f)
                .into_iter()
                .flatten()
                .any(|o| !fabric.contains(o))
        })
        .collect();
    let mut depth = bfs(&seeds, 1, &adj, &fabric);
    let top = depth.values().copied().max().unwrap_or(0) + 1;
    for f in &fabric {
        depth.entry(*f).or_insert(top);
    }
    let deepest = depth.values().copied().max().unwrap_or(0);
    let mut fabric_rows: Vec<Vec<u32>> = (1..=deepest)
        .map(|d| {
            depth
                .iter()
                .filter(|(_, v)| **v == d)
                .map(|(k, _)| *k)
                .collect()
        })
        .filter(|r: &Vec<u32>| !r.is_empty())
        .collect();
    for row in fabric_rows.iter_mut() {
        let want = order_row(row, &adj, &center_x);
        for (n, x) in row.iter().zip(place_row(row, &want, width_of)) {
            left_x.insert(*n, x);
            center_x.insert(*n, x + width_of(n) / 2);
        }
    }
    fabric_rows.reverse(); // top row first

    // y: the fabric rows, then the host boxes.
    let mut y = MARGIN;
    for row in &fabric_rows {
        let h = row.iter().map(height_of).max().unwrap_or(0);
        for n in row {
            let (lines, (w, nh)) = &sizes[n];
            out.nodes.insert(
                *n,
                Placed {
                    x: left_x[n],
                    y: y + (h - nh) / 2,
                    w: *w,
                    h: *nh,
                    lines: lines.clone(),
                },
            );
        }
        y += h + ROW_GAP;
    }
    let hosts_y = y;
    let mut bottom = if fabric_rows.is_empty() {
        MARGIN
    } else {
        y - ROW_GAP
    };
    for (hb, hr) in out.hosts.iter_mut().zip(&host_rows) {
        debug_assert_eq!(hb.name, hr.name);
        let mut ry = hosts_y + HOST_HEADER + HOST_PAD / 2;
        for row in &hr.rows {
            let h = row.iter().map(height_of).max().unwrap_or(0);
            for n in row {
                let (lines, (w, nh)) = &sizes[n];
                out.nodes.insert(
                    *n,
                    Placed {
                        x: left_x[n],
                        y: ry + (h - nh) / 2,
                        w: *w,
                        h: *nh,
                        lines: lines.clone(),
                    },
                );
            }
            ry += h + ROW_GAP;
        }
        let inner_bottom = if hr.rows.is_empty() {
            hosts_y + HOST_HEADER
        } else {
            ry - ROW_GAP
        };
        hb.x = hr.x;
        hb.w = hr.w;
        hb.y = hosts_y;
        hb.h = inner_bottom + HOST_PAD - hosts_y;
        bottom = bottom.max(hb.y + hb.h);
    }

    // Shift everything right so that the leftmost thing is at the margin.
    let min_x = out
        .nodes
        .values()
        .map(|p| p.x)
        .chain(out.hosts.iter().map(|h| h.x))
        .min()
        .unwrap_or(0);
    let dx = MARGIN - min_x;
    for p in out.nodes.values_mut() {
        p.x += dx;
    }
    for h in &mut out.hosts {
        h.x += dx;
    }
    out.width = out
        .nodes
        .values()
        .map(|p| p.x + p.w)
        .chain(out.hosts.iter().map(|h| h.x + h.w))
        .max()
        .unwrap_or(0)
        + MARGIN;
    out.height = bottom + MARGIN;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EndView, HostView, LinkView};

    fn node(id: u32, name: &str, kind: &str, host: Option<&str>) -> NodeView {
        NodeView {
            id,
            name: name.into(),
            label: name.rsplit('/').next().unwrap_or(name).into(),
            kind: kind.into(),
            kind_words: kind.into(),
            host: host.map(Into::into),
            ifaces: Vec::new(),
            seen: (0, 0),
        }
    }

    fn link(id: u32, a: u32, b: u32) -> LinkView {
        let end = |node| EndView {
            node,
            port: "p".into(),
        };
        LinkView {
            id,
            name: format!("l{id}"),
            a: end(a),
            b: end(b),
            internal: false,
            seen: (0, 0),
        }
    }

    /// internet - edge - lan - host1 - vSwitch - (web, client), and laptop on lan.
    fn tour() -> Lesson {
        Lesson {
            title: "t".into(),
            description: String::new(),
            file: "t.ron".into(),
            seed: 1,
            hosts: vec![HostView {
                name: "host1".into(),
                os: "Windows Server 2022".into(),
            }],
            nodes: vec![
                node(0, "lan", "fabric_switch", None),
                node(1, "edge", "router", None),
                node(2, "internet", "external", None),
                node(3, "laptop", "external", None),
                node(4, "host1", "windows_host", Some("host1")),
                node(5, "host1/vSwitch(nat)", "vswitch", Some("host1")),
                node(6, "host1/web", "container", Some("host1")),
                node(7, "host1/client", "container", Some("host1")),
            ],
            links: vec![
                link(0, 4, 0),
                link(1, 3, 0),
                link(2, 1, 0),
                link(3, 1, 2),
                link(4, 4, 5),
                link(5, 6, 5),
                link(6, 7, 5),
            ],
            probes: Vec::new(),
            failures: Vec::new(),
        }
    }

    fn row_of(l: &Layout, id: u32) -> i32 {
        l.nodes[&id].center().1
    }

    #[test]
    fn the_fabric_is_above_the_host_in_rows_by_distance() {
        let l = layout(&tour());
        let y = |id| row_of(&l, id);
        assert!(y(2) < y(1), "internet above edge");
        assert_eq!(y(1), y(3), "edge and laptop share a row");
        assert!(y(1) < y(0), "edge above lan");
        assert!(y(0) < y(4), "lan above the host's stack");
        assert!(y(4) < y(5) && y(5) < y(6), "stack, vSwitch, containers");
        assert_eq!(y(6), y(7));
        let host = &l.hosts[0];
        for id in 4..=7 {
            let p = &l.nodes[&id];
            assert!(
                p.x >= host.x && p.x + p.w <= host.x + host.w,
                "{id} in the box"
            );
            assert!(
                p.y >= host.y && p.y + p.h <= host.y + host.h,
                "{id} in the box"
            );
        }
        for id in 0..=3 {
            assert!(
                l.nodes[&id].y + l.nodes[&id].h < host.y,
                "{id} above the box"
            );
        }
    }

    #[test]
    fn nodes_in_a_row_do_not_overlap_and_all_fit() {
        let l = layout(&tour());
        let placed: Vec<&Placed> = l.nodes.values().collect();
        for (i, a) in placed.iter().enumerate() {
            assert!(a.x >= MARGIN && a.x + a.w <= l.width - MARGIN);
            assert!(a.y >= MARGIN && a.y + a.h <= l.height - MARGIN);
            for b in &placed[i + 1..] {
                let apart =
                    a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
                assert!(apart, "{:?} and {:?} overlap", a.lines[0], b.lines[0]);
            }
        }
    }

    #[test]
    fn the_same_lesson_gives_the_same_layout() {
        assert_eq!(layout(&tour()), layout(&tour()));
    }

    #[test]
    fn a_fabric_with_no_host_is_one_row() {
        let mut t = tour();
        t.hosts.clear();
        t.nodes.retain(|n| n.host.is_none());
        t.links.retain(|l| l.a.node < 4 && l.b.node < 4);
        let l = layout(&t);
        assert_eq!(l.nodes.len(), 4);
        assert!(l.hosts.is_empty());
        let y: BTreeSet<i32> = l.nodes.values().map(|p| p.y).collect();
        assert_eq!(y.len(), 1, "{l:?}");
    }
}
