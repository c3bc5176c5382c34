//! Captures of a run's links as pcapng files (`hnsim run FILE --pcap DIR`), written with the
//! `pcap-file` crate.
//!
//! One capture per link, as a tap on that cable would see it: the file is named after the link
//! (`<link id>-<link name>.pcapng`, the id first so that a link created again under the same
//! name, a container replaced, gets a file of its own, and so that the files sort in the order
//! the links were made), and it has one interface per link end, named `<node>:<port>` (the
//! description says which link). Every frame handed to the link is one Enhanced Packet Block
//! on the interface of the end it left, at the time it left (`epb_flags`: outbound), with the
//! bytes exactly as they were on the wire: 802.1Q tags, VXLAN with its inner frame. A frame is
//! written once, not again at the far end, so that Wireshark's TCP analysis sees no
//! retransmission that did not happen. A frame the link dropped (down, queue full, lost) is
//! still written, since it was sent, with the reason in its comment.
//!
//! Timestamps are the simulated time in nanoseconds (`if_tsresol` 9), counted from the Unix
//! epoch: a run starts on 1970-01-01 at 00:00:00. Frames of traced probes carry the probe's
//! name in a packet comment (`opt_comment`), for example `probe #5 laptop -> 10.0.0.11
//! tcp/8080`, so a display filter like `frame.comment contains "probe #5"` follows one probe.
//!
//! Links that carried no frame get a capture too (its interfaces, no packets) if they still
//! exist when the run ends. Files are little-endian and depend only on the run: the same run
//! writes the same bytes. Nothing here touches the file system; the caller writes the files.

use crate::device::Device;
use crate::engine::frames::{WireFate, WireFrame};
use crate::engine::Engine;
use crate::id::{LinkId, NodeId, PortId, ProbeId};
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

/// `if_tsresol`: timestamps in units of 10^-9 s.
const NANOSECONDS: u8 = 9;
/// `epb_flags` bits 0-1: the frame was outbound on its interface.
const OUTBOUND: u32 = 0b10;
/// `if_snaplen`: every frame is kept whole (the largest a reader accepts without complaint).
const SNAPLEN: u32 = 262_144;

/// One link's capture: a whole pcapng file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capture {
    pub link: LinkId,
    /// The link's name, as in reports (`laptop.eth0<->lan`).
    pub link_name: String,
    /// A file name for it: `<id>-<name>.pcapng`, with every character other than ASCII
    /// letters, digits, `.` and `-` replaced (`<->` becomes `--`).
    pub file_name: String,
    /// The frames it holds.
    pub frames: usize,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// A link end: the node and port, and their names.
#[derive(Clone, Debug)]
struct End {
    at: (NodeId, PortId),
    node: String,
    port: String,
}

impl End {
    fn if_name(&self) -> String {
        format!("{}:{}", self.node, self.port)
    }
}

/// A link to capture: its name and its two ends.
#[derive(Clone, Debug)]
struct LinkEnds {
    name: String,
    ends: [End; 2],
}

/// The captures of every link the engine recorded frames on, and of every link still in its
/// topology, in link id order. `probe_names` names the probes for packet comments (a probe
/// missing from it is `probe #N`); `about` (the scenario) goes into each file's comment.
///
/// Frames are there only if recording was on (`Engine::record_frames`) from the start.
pub fn captures(
    engine: &Engine,
    probe_names: &BTreeMap<ProbeId, String>,
    about: &str,
) -> Vec<Capture> {
    let links = links(engine);
    let mut frames: BTreeMap<LinkId, Vec<&WireFrame>> = BTreeMap::new();
    for f in engine.wire_frames() {
        frames.entry(f.link).or_default().push(f);
    }
    links
        .into_iter()
        .map(|(id, link)| {
            let on_link = frames.get(&id).map(Vec::as_slice).unwrap_or_default();
            capture(engine, id, &link, on_link, probe_names, about)
        })
        .collect()
}

/// Every link to capture, by id: those that carried recorded frames (their names were kept
/// when the first one was recorded) and those still in the topology.
fn links(engine: &Engine) -> BTreeMap<LinkId, LinkEnds> {
    let topo = engine.topology();
    let syms = engine.syms();
    let node_name = |n: NodeId| {
        topo.name(n)
            .map_or_else(|| format!("node{}", n.0), str::to_string)
    };
    let mut out = BTreeMap::new();
    for f in engine.wire_frames() {
        if out.contains_key(&f.link) {
            continue;
        }
        let Some(names) = engine.link_names(f.link) else {
            continue;
        };
        let end = |(at, port): ((NodeId, PortId), crate::sym::Sym)| End {
            at,
            node: node_name(at.0),
            port: syms.get(port).to_string(),
        };
        out.insert(
            f.link,
            LinkEnds {
                name: syms.get(names.name).to_string(),
                ends: [end(names.ends[0]), end(names.ends[1])],
            },
        );
    }
    for (id, info) in topo.links() {
        out.entry(id).or_insert_with(|| {
            let end = |at: (NodeId, PortId)| End {
                at,
                node: node_name(at.0),
                port: engine.device(at.0).map_or_else(
                    || format!("port{}", at.1 .0),
                    |d: &Device| d.port_name(at.1),
                ),
            };
            LinkEnds {
                name: info.name.clone(),
                ends: [end(info.a), end(info.b)],
            }
        });
    }
    out
}

/// A link's name as part of a file name: ASCII letters, digits, `.` and `-` stay, `<->`
/// becomes `--`, and every run of anything else becomes one `_`.
pub fn file_safe(name: &str) -> String {
    let name = name.replace("<->", "--");
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

/// The comment of a frame: the probe it belongs to, and why the link dropped it.
fn comment(
    engine: &Engine,
    frame: &WireFrame,
    probe_names: &BTreeMap<ProbeId, String>,
) -> Option<String> {
    let probe = frame.probe.map(|p| {
        probe_names
            .get(&p)
            .cloned()
            .unwrap_or_else(|| format!("probe #{}", p.0))
    });
    let dropped = match &frame.fate {
        WireFate::Arrives(_) => None,
        WireFate::Dropped(why) => Some(format!("dropped on the link: {}", why.show(engine.syms()))),
    };
    match (probe, dropped) {
        (None, None) => None,
        (Some(p), None) => Some(p),
        (None, Some(d)) => Some(d),
        (Some(p), Some(d)) => Some(format!("{p}; {d}")),
    }
}

/// Writes one link's file.
fn capture(
    engine: &Engine,
    id: LinkId,
    link: &LinkEnds,
    frames: &[&WireFrame],
    probe_names: &BTreeMap<ProbeId, String>,
    about: &str,
) -> Capture {
    let section = SectionHeaderBlock {
        endianness: Endianness::Little,
        options: vec![
            SectionHeaderOption::Comment(Cow::Owned(format!(
                "{about}: link {} (id {})",
                link.name, id.0
            ))),
            SectionHeaderOption::UserApplication(Cow::Borrowed(concat!(
                "hnsim ",
                env!("CARGO_PKG_VERSION")
            ))),
        ],
        ..Default::default()
    };
    // Writing into a Vec cannot fail, and every block below is valid (each packet names one
    // of the two interfaces written first).
    let mut w = PcapNgWriter::with_section_header(Vec::new(), section)
        .expect("a pcapng section header writes into memory");
    for end in &link.ends {
        let idb = InterfaceDescriptionBlock {
            linktype: DataLink::ETHERNET,
            snaplen: SNAPLEN,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Owned(end.if_name())),
                InterfaceDescriptionOption::IfDescription(Cow::Owned(format!(
                    "the end of link {} at {} port {}",
                    link.name, end.node, end.port
                ))),
                InterfaceDescriptionOption::IfTsResol(NANOSECONDS),
            ],
        };
        w.write_pcapng_block(idb)
            .expect("an interface description writes into memory");
    }
    for f in frames {
        let interface_id = u32::from(f.from != link.ends[0].at);
        let mut options = vec![EnhancedPacketOption::Flags(OUTBOUND)];
        if let Some(c) = comment(engine, f, probe_names) {
            options.push(EnhancedPacketOption::Comment(Cow::Owned(c)));
        }
        let len = u32::try_from(f.bytes.len()).unwrap_or(u32::MAX);
        let epb = EnhancedPacketBlock {
            interface_id,
            timestamp: Duration::from_nanos(f.sent.as_nanos()),
            original_len: len,
            data: Cow::Borrowed(&f.bytes),
            options,
        };
        w.write_pcapng_block(epb)
            .expect("a packet of a known interface writes into memory");
    }
    Capture {
        link: id,
        link_name: link.name.clone(),
        file_name: format!("{:03}-{}.pcapng", id.0, file_safe(&link.name)),
        frames: frames.len(),
        bytes: w.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::switch::{PortMode, Switch, SwitchConfig, UnknownUnicast};
    use crate::device::Frame;
    use crate::engine::link::LinkParams;
    use crate::engine::Limits;
    use crate::time::SimDuration;
    use crate::topology::{NodeInfo, NodeKind};
    use pcap_file::pcapng::{Block, PcapNgReader};

    /// Switches "a" and "b" on the cable "a<->b" (10 us), recording; a frame of probe 1
    /// crosses from a, one untraced frame from b; then the cable goes down and a frame of
    /// probe 2 is dropped on it.
    fn a_small_run() -> Engine {
        let (mut eng, ends, link) = crate::testutil::two_switches();
        let frame = |probe: Option<ProbeId>, src: u8| {
            let mut bytes = vec![0xff; 6];
            bytes.extend([0x02, 0, 0, 0, 0, src, 0x08, 0x00]);
            bytes.extend([0xab; 7]);
            Frame::new(bytes, probe)
        };
        let (a, b) = (ends[0].0, ends[1].0);
        eng.invoke(a, |_, out| out.send(PortId(0), frame(Some(ProbeId(1)), 1)));
        eng.run_for(SimDuration::from_millis(1));
        eng.invoke(b, |_, out| out.send(PortId(0), frame(None, 2)));
        eng.run_for(SimDuration::from_millis(1));
        eng.set_link_up(link, false);
        eng.invoke(a, |_, out| out.send(PortId(0), frame(Some(ProbeId(2)), 1)));
        eng
    }

    /// Reads a capture back: the interfaces' options and the packets.
    fn read(
        bytes: &[u8],
    ) -> (
        Vec<InterfaceDescriptionBlock<'static>>,
        Vec<EnhancedPacketBlock<'static>>,
    ) {
        let mut r = PcapNgReader::new(bytes).expect("a pcapng section");
        assert_eq!(r.section().endianness, Endianness::Little);
        let (mut idbs, mut epbs) = (Vec::new(), Vec::new());
        while let Some(block) = r.next_block() {
            match block.expect("a valid block").into_owned() {
                Block::InterfaceDescription(i) => idbs.push(i),
                Block::EnhancedPacket(p) => epbs.push(p),
                other => panic!("unexpected block {other:?}"),
            }
        }
        (idbs, epbs)
    }

    #[test]
    fn one_file_per_link_one_interface_per_end_and_every_frame_once() {
        let eng = a_small_run();
        let names = BTreeMap::from([(ProbeId(1), "probe #1 a -> b icmp".to_string())]);
        let caps = captures(&eng, &names, "test");
        assert_eq!(caps.len(), 1);
        let c = &caps[0];
        assert_eq!(c.file_name, "000-a--b.pcapng");
        assert_eq!(c.frames, 3);
        let (idbs, epbs) = read(&c.bytes);
        let if_names: Vec<_> = idbs
            .iter()
            .map(|i| {
                assert!(i
                    .options
                    .contains(&InterfaceDescriptionOption::IfTsResol(9)));
                i.options.iter().find_map(|o| match o {
                    InterfaceDescriptionOption::IfName(n) => Some(n.to_string()),
                    _ => None,
                })
            })
            .collect();
        assert_eq!(if_names, [Some("a:a.p0".into()), Some("b:b.p0".into())]);
        // pcap-file reads timestamps back as nanoseconds, as they were written.
        let seen: Vec<(u32, u128, Option<String>)> = epbs
            .iter()
            .map(|p| {
                let comment = p.options.iter().find_map(|o| match o {
                    EnhancedPacketOption::Comment(c) => Some(c.to_string()),
                    _ => None,
                });
                (p.interface_id, p.timestamp.as_nanos(), comment)
            })
            .collect();
        assert_eq!(
            seen,
            [
                (0, 0, Some("probe #1 a -> b icmp".into())),
                (1, 1_000_000, None),
                (
                    0,
                    2_000_000,
                    Some("probe #2; dropped on the link: link a<->b is down".into())
                ),
            ]
        );
        assert_eq!(epbs[0].data.len(), 21, "the bytes as they were on the wire");
        assert_eq!(captures(&eng, &names, "test"), caps, "the same bytes again");
    }

    #[test]
    fn a_link_without_frames_still_has_its_interfaces() {
        let mut eng = a_small_run();
        eng.record_frames(false);
        let fresh = Engine::new(1, Limits::default());
        assert!(captures(&fresh, &BTreeMap::new(), "empty").is_empty());
        // The recorded link again, but seen from the topology only.
        let mut quiet = Engine::new(1, Limits::default());
        let mut ends = Vec::new();
        for name in ["x", "y"] {
            let mut sw = Switch::new(SwitchConfig::new(name, true, UnknownUnicast::Flood));
            let port = sw.add_port(format!("{name} port"), PortMode::Access(1));
            let info = NodeInfo {
                name: name.into(),
                kind: NodeKind::FabricSwitch,
                host: None,
            };
            ends.push((quiet.add_node(info, Device::Switch(Box::new(sw))), port));
        }
        quiet.connect(
            "x/1<->y (2)".into(),
            ends[0],
            ends[1],
            LinkParams::internal(),
            true,
        );
        let caps = captures(&quiet, &BTreeMap::new(), "quiet");
        assert_eq!(caps.len(), 1);
        assert_eq!(caps[0].file_name, "000-x_1--y_2_.pcapng");
        let (idbs, epbs) = read(&caps[0].bytes);
        assert_eq!(idbs.len(), 2);
        assert!(epbs.is_empty());
        assert!(idbs[1]
            .options
            .contains(&InterfaceDescriptionOption::IfName("y:y port".into())));
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(
            file_safe("host1.vEthernet (nat)<->host1/vSwitch(nat)"),
            "host1.vEthernet_nat_--host1_vSwitch_nat_"
        );
        assert_eq!(file_safe("laptop.eth0<->lan"), "laptop.eth0--lan");
    }
}
