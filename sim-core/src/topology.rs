//! The shape of the simulated world as a petgraph graph: nodes, and links between their ports.
//!
//! Owns names and kinds, which traces, reports and the visualizer read. The engine keeps its
//! own dense tables for the hot path; both are changed together, only through `Engine`.
//! Node and link ids are this module's own, never reused (petgraph's indices are).

use crate::id::{LinkId, NodeId, PortId};
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableUnGraph};
use serde::Serialize;

/// What a node is, for readers. Behaviour comes from the device configuration, not from this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum NodeKind {
    FabricSwitch,
    Router,
    External,
    WindowsHost,
    /// A Linux container host's root network namespace (its bridges live in it).
    LinuxHost,
    VSwitch,
    Container,
    /// The Hyper-V switch of the machine a VM container host runs on (for example the
    /// physical Azure host that applies SDN policy).
    HypervisorSwitch,
    /// A router that is an Azure virtual network gateway.
    VnetGateway,
}

#[derive(Clone, Debug, Serialize)]
pub struct NodeInfo {
    pub name: String,
    pub kind: NodeKind,
    /// The container host this node lives in, if any.
    pub host: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkInfo {
    pub name: String,
    pub a: (NodeId, PortId),
    pub b: (NodeId, PortId),
    /// A virtual link inside a host (vNIC to vSwitch port) rather than a cable.
    pub internal: bool,
}

/// The world's nodes and links. Ids are handed out in order and never reused, so an id in a
/// trace or an in-flight event always means the node or link it was given to, even after
/// the control plane removed it (its name stays readable).
#[derive(Debug, Default)]
pub struct Topology {
    graph: StableUnGraph<NodeInfo, LinkInfo>,
    /// By node id: its index in the graph while it exists.
    node_index: Vec<Option<NodeIndex>>,
    /// By node id: its name, kept after it is removed.
    node_names: Vec<String>,
    /// By link id: its index in the graph while it exists.
    link_index: Vec<Option<EdgeIndex>>,
}

impl Topology {
    pub fn add_node(&mut self, info: NodeInfo) -> NodeId {
        self.node_names.push(info.name.clone());
        self.node_index.push(Some(self.graph.add_node(info)));
        NodeId((self.node_index.len() - 1) as u32)
    }

    pub fn remove_node(&mut self, node: NodeId) {
        if let Some(i) = self
            .node_index
            .get_mut(node.0 as usize)
            .and_then(Option::take)
        {
            self.graph.remove_node(i);
        }
    }

    pub fn add_link(&mut self, info: LinkInfo) -> LinkId {
        let (a, b) = (info.a.0, info.b.0);
        let (Some(ia), Some(ib)) = (self.index(a), self.index(b)) else {
            panic!("a link between nodes that do not exist: {a:?} and {b:?}");
        };
        self.link_index
            .push(Some(self.graph.add_edge(ia, ib, info)));
        LinkId((self.link_index.len() - 1) as u32)
    }

    pub fn remove_link(&mut self, link: LinkId) {
        if let Some(e) = self
            .link_index
            .get_mut(link.0 as usize)
            .and_then(Option::take)
        {
            self.graph.remove_edge(e);
        }
    }

    /// The id the next node added will get.
    pub fn next_node_id(&self) -> NodeId {
        NodeId(self.node_index.len() as u32)
    }

    fn index(&self, node: NodeId) -> Option<NodeIndex> {
        self.node_index.get(node.0 as usize).copied().flatten()
    }

    /// A node that exists now.
    pub fn node(&self, node: NodeId) -> Option<&NodeInfo> {
        self.graph.node_weight(self.index(node)?)
    }

    /// The name of a node, including one removed since.
    pub fn name(&self, node: NodeId) -> Option<&str> {
        self.node_names.get(node.0 as usize).map(String::as_str)
    }

    pub fn link(&self, link: LinkId) -> Option<&LinkInfo> {
        let e = self.link_index.get(link.0 as usize).copied().flatten()?;
        self.graph.edge_weight(e)
    }

    /// Every node that exists, in id order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &NodeInfo)> {
        self.node_index
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((NodeId(i as u32), &self.graph[(*n)?])))
    }

    /// Every link that exists, in id order.
    pub fn links(&self) -> impl Iterator<Item = (LinkId, &LinkInfo)> {
        self.link_index
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((LinkId(i as u32), &self.graph[(*e)?])))
    }

    pub fn find_node(&self, name: &str) -> Option<NodeId> {
        self.nodes().find(|(_, n)| n.name == name).map(|(id, _)| id)
    }

    pub fn find_link(&self, name: &str) -> Option<LinkId> {
        self.links().find(|(_, l)| l.name == name).map(|(id, _)| id)
    }
}
