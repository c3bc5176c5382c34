//! Which link is plugged into each port of each node, packed into one vector.
//!
//! Every frame a device sends looks up the link on its port. With one small vector per node,
//! that look-up read a heap block of its own, which at a thousand hosts is out of the cache
//! between two of the node's frames: one miss per frame sent. Here a node's ports are a span
//! of one shared vector, so the ports of sixteen one-port containers share a cache line, and
//! the spans of eight nodes another.

use crate::id::{LinkId, NodeId, PortId};

/// A free port.
const NONE: u32 = u32::MAX;

/// Where a node's ports lie in `PortTable::slots`.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Span {
    start: u32,
    len: u32,
}

#[derive(Debug, Default)]
pub(super) struct PortTable {
    /// By node index.
    spans: Vec<Span>,
    /// The link id on each port of each span, `NONE` for a free port. A span that has to
    /// grow past the end of its neighbours' moves to the end (twice as long), leaving its old
    /// slots unused: at most as many as are in use.
    slots: Vec<u32>,
}

/// The links on one node's ports (`PortTable::links_in`).
#[derive(Clone, Copy, Debug)]
pub(super) struct NodeLinks<'a>(&'a [u32]);

impl NodeLinks<'_> {
    /// The link on `port`, as `PortTable::link_in` finds it, except that a free port gives
    /// the free-port mark (`u32::MAX`) as its id: for a look-up in `Links`, which finds no
    /// link there either (it never holds four billion), so that a flood's copy tests once
    /// that its link is there, not twice.
    #[inline]
    pub fn get_or_mark(self, port: PortId) -> Option<LinkId> {
        self.0.get(usize::from(port.0)).map(|&id| LinkId(id))
    }
}

impl PortTable {
    /// Node `node` starts with no port plugged in (a new node, or an id reused by a test).
    pub fn reset_node(&mut self, node: NodeId) {
        let i = node.0 as usize;
        if self.spans.len() <= i {
            self.spans.resize(i + 1, Span::default());
        }
        self.spans[i].len = 0;
    }

    /// The span of `node`'s ports (empty for a node never added).
    #[inline]
    pub fn span(&self, node: NodeId) -> Span {
        self.spans.get(node.0 as usize).copied().unwrap_or_default()
    }

    /// The link on `port` of the node whose span is `span`.
    #[inline]
    pub fn link_in(&self, span: Span, port: PortId) -> Option<LinkId> {
        if u32::from(port.0) >= span.len {
            return None;
        }
        let id = self.slots[(span.start + u32::from(port.0)) as usize];
        (id != NONE).then_some(LinkId(id))
    }

    /// The links on the ports of the node whose span is `span`, to look up many of them
    /// (a flood's copies): one bounds check a port, not two.
    #[inline]
    pub fn links_in(&self, span: Span) -> NodeLinks<'_> {
        let start = span.start as usize;
        NodeLinks(&self.slots[start..start + span.len as usize])
    }

    pub fn link(&self, node: NodeId, port: PortId) -> Option<LinkId> {
        self.link_in(self.span(node), port)
    }

    /// Plugs `link` into `port` of `node` (or frees the port, with `None`).
    pub fn set(&mut self, node: NodeId, port: PortId, link: Option<LinkId>) {
        let i = node.0 as usize;
        let Some(&span) = self.spans.get(i) else {
            return;
        };
        let want = u32::from(port.0) + 1;
        if want > span.len {
            if link.is_none() {
                return;
            }
            self.grow(i, want);
        }
        let span = self.spans[i];
        let id = link.map_or(NONE, |l| {
            debug_assert_ne!(l.0, NONE, "link id {} is the free-port mark", l.0);
            l.0
        });
        self.slots[(span.start + u32::from(port.0)) as usize] = id;
    }

    /// Gives node index `i` at least `want` ports: in place when its span ends the vector,
    /// else by moving it to the end.
    fn grow(&mut self, i: usize, want: u32) {
        let span = self.spans[i];
        let end = (span.start + span.len) as usize;
        if end == self.slots.len() && span.len > 0 {
            self.slots.resize((span.start + want) as usize, NONE);
            self.spans[i].len = want;
            return;
        }
        let len = want.max(span.len * 2);
        let start = self.slots.len();
        self.slots
            .extend_from_within(span.start as usize..span.start as usize + span.len as usize);
        self.slots.resize(start + len as usize, NONE);
        self.spans[i] = Span {
            start: start as u32,
            len,
        };
    }

    /// The links plugged into `node`, by port.
    pub fn links_of(&self, node: NodeId) -> impl Iterator<Item = LinkId> + '_ {
        let span = self.span(node);
        self.slots[span.start as usize..(span.start + span.len) as usize]
            .iter()
            .filter(|&&id| id != NONE)
            .map(|&id| LinkId(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Whatever order ports are plugged and freed in, across nodes, the table answers as a
        /// map from (node, port) to link would.
        #[test]
        fn the_table_is_a_map_from_node_and_port_to_link(
            ops in prop::collection::vec((0u32..6, 0u16..40, prop::option::of(0u32..1000)), 0..300)
        ) {
            let mut table = PortTable::default();
            let mut model = BTreeMap::new();
            for n in 0..6 {
                table.reset_node(NodeId(n));
            }
            for (node, port, link) in ops {
                table.set(NodeId(node), PortId(port), link.map(LinkId));
                match link {
                    Some(l) => model.insert((node, port), l),
                    None => model.remove(&(node, port)),
                };
                for n in 0..6 {
                    for p in 0..40 {
                        prop_assert_eq!(
                            table.link(NodeId(n), PortId(p)).map(|l| l.0),
                            model.get(&(n, p)).copied()
                        );
                    }
                    let listed: Vec<u32> = table.links_of(NodeId(n)).map(|l| l.0).collect();
                    let expected: Vec<u32> = model.range((n, 0)..(n + 1, 0)).map(|(_, l)| *l).collect();
                    prop_assert_eq!(listed, expected);
                }
            }
            // A span doubles as it grows, so what a node's moves leave unused is less than the
            // span it ends with, at most 64 for 40 ports.
            prop_assert!(table.slots.len() <= 6 * 128);
        }
    }

    #[test]
    fn a_node_never_added_has_no_links_and_ignores_a_set() {
        let mut table = PortTable::default();
        table.set(NodeId(3), PortId(0), Some(LinkId(1)));
        assert_eq!(table.link(NodeId(3), PortId(0)), None);
        assert_eq!(table.links_of(NodeId(3)).count(), 0);
    }

    #[test]
    fn a_reset_node_starts_empty() {
        let mut table = PortTable::default();
        table.reset_node(NodeId(0));
        table.set(NodeId(0), PortId(2), Some(LinkId(7)));
        table.reset_node(NodeId(0));
        assert_eq!(table.link(NodeId(0), PortId(2)), None);
    }
}
