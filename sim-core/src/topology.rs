//! The shape of the simulated world as a petgraph graph: nodes, and links between their ports.
//!
//! Owns names and kinds, which traces, reports and the visualizer read. The engine keeps its
//! own dense tables for the hot path; both are changed together, only through `Engine`.
//! `StableGraph` keeps ids stable when the control plane removes a vSwitch or a container.

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

#[derive(Debug, Default)]
pub struct Topology {
    graph: StableUnGraph<NodeInfo, LinkInfo>,
}

impl Topology {
    pub fn add_node(&mut self, info: NodeInfo) -> NodeId {
        NodeId(self.graph.add_node(info).index() as u32)
    }

    pub fn remove_node(&mut self, node: NodeId) {
        self.graph.remove_node(NodeIndex::new(node.0 as usize));
    }

    pub fn add_link(&mut self, info: LinkInfo) -> LinkId {
        let (a, b) = (info.a.0, info.b.0);
        let e = self.graph.add_edge(
            NodeIndex::new(a.0 as usize),
            NodeIndex::new(b.0 as usize),
            info,
        );
        LinkId(e.index() as u32)
    }

    pub fn remove_link(&mut self, link: LinkId) {
        self.graph.remove_edge(EdgeIndex::new(link.0 as usize));
    }

    pub fn node(&self, node: NodeId) -> Option<&NodeInfo> {
        self.graph.node_weight(NodeIndex::new(node.0 as usize))
    }

    pub fn link(&self, link: LinkId) -> Option<&LinkInfo> {
        self.graph.edge_weight(EdgeIndex::new(link.0 as usize))
    }

    /// Every node, in id order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &NodeInfo)> {
        self.graph
            .node_indices()
            .map(|i| (NodeId(i.index() as u32), &self.graph[i]))
    }

    /// Every link, in id order.
    pub fn links(&self) -> impl Iterator<Item = (LinkId, &LinkInfo)> {
        self.graph
            .edge_indices()
            .map(|e| (LinkId(e.index() as u32), &self.graph[e]))
    }

    pub fn find_node(&self, name: &str) -> Option<NodeId> {
        self.nodes().find(|(_, n)| n.name == name).map(|(id, _)| id)
    }

    pub fn find_link(&self, name: &str) -> Option<LinkId> {
        self.links().find(|(_, l)| l.name == name).map(|(id, _)| id)
    }
}
