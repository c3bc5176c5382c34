//! Frames on links: when recording is switched on (`Engine::record_frames`), one record per
//! frame handed to a link, traced or not.
//!
//! A record is one transmission. It says which link carried the frame, the end it left and
//! the end it arrives at, when it was sent and when it arrives (or why the link dropped it),
//! and the bytes as they were on the wire. So it stands for both "sent on end A" and
//! "received on end B". A frame sent out of a port with no cable is not handed to a link
//! and has no record (the device's hop says `Unplugged`).
//!
//! The names of a link and its two ports are interned when the link's first frame is
//! recorded, so they stay readable after the control plane removed the link or its nodes.
//! Recording is off by default; then the engine's only cost is one branch per frame sent.

use super::link::Links;
use crate::device::{Device, DropReason, Frame};
use crate::id::{LinkId, NodeId, PortId, ProbeId};
use crate::sym::{Interner, Sym};
use crate::time::SimTime;

/// One frame handed to a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireFrame {
    pub link: LinkId,
    /// The end it left from.
    pub from: (NodeId, PortId),
    /// The end it arrives at (or would have, had the link not dropped it).
    pub to: (NodeId, PortId),
    pub sent: SimTime,
    pub fate: WireFate,
    /// The probe it belongs to, if it is traced.
    pub probe: Option<ProbeId>,
    /// The frame as it was on the wire.
    pub bytes: Vec<u8>,
}

/// What the link did with a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireFate {
    /// It arrives at the far end at this time. (If the node there was removed meanwhile, the
    /// engine drops it on arrival: a `NodeGone` hop for a traced frame.)
    Arrives(SimTime),
    /// The link dropped it: down, queue full, or lost.
    Dropped(DropReason),
}

impl WireFrame {
    pub fn arrival(&self) -> Option<SimTime> {
        match self.fate {
            WireFate::Arrives(at) => Some(at),
            WireFate::Dropped(_) => None,
        }
    }
}

/// The names of a link that carried recorded frames, and of the ports at its two ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkNames {
    pub name: Sym,
    pub ends: [((NodeId, PortId), Sym); 2],
}

impl LinkNames {
    /// The name of the port at `end`, one of this link's two ends.
    pub fn port(&self, end: (NodeId, PortId)) -> Option<Sym> {
        self.ends.iter().find(|(e, _)| *e == end).map(|(_, s)| *s)
    }
}

/// The engine's recording state.
#[derive(Debug, Default)]
pub(super) struct Recorder {
    pub on: bool,
    pub frames: Vec<WireFrame>,
    /// By link id: its names, from when its first frame was recorded.
    pub links: Vec<Option<LinkNames>>,
    /// Bytes held by `frames`, for the run's memory bound.
    pub bytes: u64,
}

impl Recorder {
    /// Records `frame`, handed at `sent` to link `id` (of `links`) at its end `from`; returns
    /// the bytes it added to `bytes`. Kept out of line: the engine calls it only when
    /// recording is on.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub fn record(
        &mut self,
        syms: &mut Interner,
        devices: &[Option<Device>],
        id: LinkId,
        links: &Links,
        from: (NodeId, PortId),
        frame: &Frame,
        sent: SimTime,
        fate: WireFate,
    ) -> u64 {
        let Some(link) = links.get(id) else {
            return 0;
        };
        let to = link.other_end(from);
        let i = id.0 as usize;
        if self.links.len() <= i {
            self.links.resize(i + 1, None);
        }
        if self.links[i].is_none() {
            let port = |(node, port): (NodeId, PortId), syms: &mut Interner| {
                let name = devices
                    .get(node.0 as usize)
                    .and_then(Option::as_ref)
                    .map_or_else(|| format!("port{}", port.0), |d| d.port_name(port));
                syms.intern(&name)
            };
            let [a, b] = link.ends();
            self.links[i] = Some(LinkNames {
                name: syms.intern(links.name(id)),
                ends: [(a, port(a, syms)), (b, port(b, syms))],
            });
        }
        let added = (std::mem::size_of::<WireFrame>() + frame.bytes.len()) as u64;
        self.bytes += added;
        self.frames.push(WireFrame {
            link: id,
            from,
            to,
            sent,
            fate,
            probe: frame.probe,
            bytes: frame.bytes.to_vec(),
        });
        added
    }
}
