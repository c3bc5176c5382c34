//! hnsim's pictures of a scenario: the lesson page and the topology drawing.
//!
//! `record` runs a scenario and keeps what the pictures show as a `Lesson` (`model`): the
//! topology (container hosts with their stacks, vSwitches and containers, and the fabric) and
//! each probe with its hops, decoded layer by layer with what each hop rewrote (`decode`).
//! `page` writes the lesson as one self-contained HTML file (`html`: inline style, script and
//! data; it works offline), in which a packet steps along each probe's hops. `graph_dot` and
//! `graph_svg` draw the topology alone (`dot`, and `svg` at the places `layout` chose). The
//! same scenario gives the same bytes. Nothing here simulates: the run is sim-core's.

pub mod decode;
pub mod dot;
pub mod html;
pub mod layout;
pub mod model;
pub mod record;
pub mod svg;

pub use model::Lesson;
pub use record::record;

/// The lesson page: one HTML file.
pub fn page(lesson: &Lesson) -> String {
    html::page(lesson)
}

/// The topology as a Graphviz DOT graph.
pub fn graph_dot(lesson: &Lesson) -> String {
    dot::dot(lesson)
}

/// The topology as an SVG image.
pub fn graph_svg(lesson: &Lesson) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&svg::svg(lesson, &layout::layout(lesson)));
    s
}
