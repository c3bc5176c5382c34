//! The run log: what happened in a run, as typed data, and its JSON form.
//!
//! Owns the log's shape. The engine keeps the records (`Engine::trace` for the hops of traced
//! frames, `Engine::ended` for probe ends, `Engine::wire_frames` for frames on links while
//! `Engine::record_frames` is on); they hold ids and interned `Sym`s. `RunLog` is a borrowed
//! view over them (the whole run, or one probe) that resolves every `Sym`, node id and link
//! id to its name only when it is serialized. It implements `serde::Serialize`, so any serde
//! format can write it; `hnsim trace --json` writes it as JSON (`RunLog::to_json`).
//!
//! # JSON shape (schema version 1)
//!
//! ```json
//! {
//!   "version": 1,
//!   "probes": [
//!     {"probe": 9, "outcome": "delivered", "detail": "connected to 10.0.0.11:8080 (SYN-ACK)"}
//!   ],
//!   "hops": [
//!     {"probe": 9, "time_ns": 81878798, "node": "laptop",
//!      "action": {"kind": "sent", "iface": "eth0", "tag": null},
//!      "frame": "000000000000020000000004080045..."},
//!     {"probe": 9, "time_ns": 81979662, "node": "host1",
//!      "action": {"kind": "nat", "table": "WinNAT", "tag": "winnat", "nat": "destination",
//!                 "before": "10.0.0.11:8080", "after": "172.23.223.7:80",
//!                 "rule": "static mapping 8080/tcp -> 172.23.223.7:80 (web)",
//!                 "how": {"target": "dnat", "dir": "original", "first": true}},
//!      "frame": "..."},
//!     {"probe": 1, "time_ns": 6256, "node": "win1",
//!      "action": {"kind": "dropped", "reason": {"kind": "rule", "hook": "forward",
//!                 "table_kind": "filter", "table": "forwarding", "chain": "FORWARD",
//!                 "rule": null, "why": "Windows forwards between ...",
//!                 "in_iface": "vEthernet (my_nat)", "out_iface": "vEthernet (nat)"}},
//!      "frame": "..."}
//!   ],
//!   "frames": [
//!     {"probe": 9, "link": "laptop.eth0<->lan",
//!      "from": {"node": "laptop", "port": "eth0"}, "to": {"node": "lan", "port": "laptop.eth0"},
//!      "sent_ns": 81878798, "arrived_ns": 81929230, "dropped": null,
//!      "frame": "001dd8000005020000000004080045..."}
//!   ]
//! }
//! ```
//!
//! - `version` is `SCHEMA_VERSION`. It changes when a field is renamed or removed, or its
//!   meaning changes.
//! - `probes` are the probe ends the engine saw (`outcome` is `delivered`, `refused` or
//!   `dropped`; `detail` is what the originator saw). A probe whose originator was removed
//!   before it ended has none.
//! - `hops` are the hops of traced frames, in the order they happened: the probe, the
//!   simulated time in nanoseconds, the node's name (kept after the node is removed), the
//!   action, and the frame as it left that hop. (A `sent` hop holds the frame as the stack
//!   built it, before its output rules and ARP: the destination MAC is still zero. What went
//!   on the wire is in `frames`.)
//! - `action` is the device's typed `Action`: an object whose `kind` is the variant in
//!   snake_case (`sent`, `bridged`, `flooded`, `routed`, `nat`, `arp`, `allowed`,
//!   `delivered`, `mac_rewrite`, `encap`, `decap`, `policy`, `dropped`) and whose other keys
//!   are the variant's fields. Names (interfaces, ports, tables, rules, reasons) are strings;
//!   addresses are strings (`"10.0.0.11:8080"`, `"00:15:5d:..."`); an absent optional field is
//!   `null`. A value that is itself one of several kinds is a nested object with its own
//!   `kind`: `dropped` has `reason` (a `DropReason`, e.g. `no_route`, `rule`, `link_down`),
//!   `delivered` has `to` (a `Delivery`, e.g. `tcp_listener` with `port`), `arp` has `event`.
//!   Two fields are renamed so as not to clash with `kind`: a NAT's direction is `nat`, a MAC
//!   rewrite's is `mac` (`source` or `destination`), and a rule drop's table kind is
//!   `table_kind`. Plain enum values (`hook`, `target`, `dir`) are snake_case strings.
//! - `frames` are the frames handed to links while frame recording was on (empty if it was
//!   off), in the order they were sent: the probe (`null` for an untraced frame), the link's
//!   name, the end the frame left from and the end it arrives at (node and port names), the
//!   send time, and either the arrival time (`dropped` is `null`) or the link's `DropReason`
//!   (`arrived_ns` is `null`). A transmission is one record: it is both "sent on `from`" and
//!   "received on `to`".
//! - `frame` is the frame's bytes in lowercase hexadecimal, two digits per byte, no
//!   separators, from the Ethernet destination address on (no preamble, no FCS).
//!
//! Keys are in the order shown. Numbers are integers. No `Sym` id appears in the output:
//! the serializer in `resolve` writes each as its name.

mod resolve;

pub use resolve::Resolved;

use crate::device::{Hop, ProbeEnd};
use crate::engine::frames::WireFrame;
use crate::engine::Engine;
use crate::id::{LinkId, NodeId, PortId, ProbeId};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};
use std::borrow::Cow;

/// The version of the JSON shape above.
pub const SCHEMA_VERSION: u32 = 1;

/// A borrowed view of a run's log: all of it, or one probe's part.
#[derive(Clone, Copy)]
pub struct RunLog<'a> {
    engine: &'a Engine,
    probe: Option<ProbeId>,
}

impl<'a> RunLog<'a> {
    /// Everything the engine recorded.
    pub fn new(engine: &'a Engine) -> Self {
        RunLog {
            engine,
            probe: None,
        }
    }

    /// One probe: its end, its hops and its frames on links.
    pub fn of_probe(engine: &'a Engine, probe: ProbeId) -> Self {
        RunLog {
            engine,
            probe: Some(probe),
        }
    }

    fn wants(&self, probe: Option<ProbeId>) -> bool {
        self.probe.is_none() || probe == self.probe
    }

    /// The log as pretty-printed JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .expect("the run log serializes to JSON: every key is a string");
        s.push('\n');
        s
    }

    fn node(&self, node: NodeId) -> Cow<'a, str> {
        match self.engine.topology().name(node) {
            Some(n) => Cow::Borrowed(n),
            None => Cow::Owned(format!("node{}", node.0)),
        }
    }

    fn link(&self, link: LinkId) -> Cow<'a, str> {
        let syms = self.engine.syms();
        match self.engine.link_names(link) {
            Some(n) => Cow::Borrowed(syms.get(n.name)),
            None => Cow::Owned(format!("link{}", link.0)),
        }
    }

    fn port(&self, link: LinkId, end: (NodeId, PortId)) -> Cow<'a, str> {
        let syms = self.engine.syms();
        match self.engine.link_names(link).and_then(|n| n.port(end)) {
            Some(p) => Cow::Borrowed(syms.get(p)),
            None => Cow::Owned(format!("port{}", end.1 .0)),
        }
    }
}

impl Serialize for RunLog<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = self.engine;
        let probes: Vec<EndView> = e
            .ended()
            .iter()
            .filter(|p| self.wants(Some(p.probe)))
            .map(EndView)
            .collect();
        let hops: Vec<HopView> = e
            .trace()
            .iter()
            .filter(|h| self.wants(Some(h.probe)))
            .map(|hop| HopView { log: self, hop })
            .collect();
        let frames: Vec<FrameView> = e
            .wire_frames()
            .iter()
            .filter(|f| self.wants(f.probe))
            .map(|frame| FrameView { log: self, frame })
            .collect();
        let mut s = serializer.serialize_struct("RunLog", 4)?;
        s.serialize_field("version", &SCHEMA_VERSION)?;
        s.serialize_field("probes", &probes)?;
        s.serialize_field("hops", &hops)?;
        s.serialize_field("frames", &frames)?;
        s.end()
    }
}

struct EndView<'a>(&'a ProbeEnd);

impl Serialize for EndView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(3))?;
        m.serialize_entry("probe", &self.0.probe.0)?;
        m.serialize_entry("outcome", &self.0.outcome.to_string())?;
        m.serialize_entry("detail", &self.0.detail)?;
        m.end()
    }
}

struct HopView<'a> {
    log: &'a RunLog<'a>,
    hop: &'a Hop,
}

impl Serialize for HopView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let h = self.hop;
        let mut m = serializer.serialize_map(Some(5))?;
        m.serialize_entry("probe", &h.probe.0)?;
        m.serialize_entry("time_ns", &h.time.as_nanos())?;
        m.serialize_entry("node", &self.log.node(h.node))?;
        let action = Resolved::new(&h.action, self.log.engine.syms());
        m.serialize_entry("action", &action)?;
        m.serialize_entry("frame", &hex(&h.bytes))?;
        m.end()
    }
}

struct FrameView<'a> {
    log: &'a RunLog<'a>,
    frame: &'a WireFrame,
}

/// One end of a link: the node and the port's name.
struct EndName<'a> {
    node: Cow<'a, str>,
    port: Cow<'a, str>,
}

impl Serialize for EndName<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(2))?;
        m.serialize_entry("node", &self.node)?;
        m.serialize_entry("port", &self.port)?;
        m.end()
    }
}

impl Serialize for FrameView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (f, log) = (self.frame, self.log);
        let end = |e: (NodeId, PortId)| EndName {
            node: log.node(e.0),
            port: log.port(f.link, e),
        };
        let dropped = match &f.fate {
            crate::engine::frames::WireFate::Arrives(_) => None,
            crate::engine::frames::WireFate::Dropped(why) => {
                Some(Resolved::new(why, log.engine.syms()))
            }
        };
        let mut m = serializer.serialize_map(Some(8))?;
        m.serialize_entry("probe", &f.probe.map(|p| p.0))?;
        m.serialize_entry("link", &log.link(f.link))?;
        m.serialize_entry("from", &end(f.from))?;
        m.serialize_entry("to", &end(f.to))?;
        m.serialize_entry("sent_ns", &f.sent.as_nanos())?;
        m.serialize_entry("arrived_ns", &f.arrival().map(|t| t.as_nanos()))?;
        m.serialize_entry("dropped", &dropped)?;
        m.serialize_entry("frame", &hex(&f.bytes))?;
        m.end()
    }
}

/// Bytes as lowercase hexadecimal, two digits each, no separators.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{Frame, Outcome};
    use crate::time::SimDuration;
    use serde_json::Value;

    fn two_switches() -> (Engine, NodeId, LinkId) {
        let (eng, ends, link) = crate::testutil::two_switches();
        (eng, ends[0].0, link)
    }

    /// A broadcast frame of 20 bytes from 02:00:00:00:00:01.
    fn frame(probe: Option<ProbeId>) -> Frame {
        let mut bytes = vec![0xff; 6];
        bytes.extend([0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]);
        bytes.extend([0xab; 6]);
        Frame::new(bytes, probe)
    }

    /// Probe 1's frame crosses the cable; the cable goes down; probe 2's frame is dropped
    /// on it, and an untraced frame too. Probe 1 ends.
    fn a_small_run() -> Engine {
        let (mut eng, a, link) = two_switches();
        eng.invoke(a, |_, out| out.send(PortId(0), frame(Some(ProbeId(1)))));
        eng.run_for(SimDuration::from_millis(1));
        eng.set_link_up(link, false);
        eng.invoke(a, |_, out| {
            out.send(PortId(0), frame(Some(ProbeId(2))));
            out.send(PortId(0), frame(None));
            out.end_probe(ProbeId(1), Outcome::Delivered, "it got there".into());
        });
        eng
    }

    #[test]
    fn the_log_of_one_probe_names_everything() {
        let eng = a_small_run();
        let json = RunLog::of_probe(&eng, ProbeId(1)).to_json();
        insta::assert_snapshot!(json);
        let v: Value = serde_json::from_str(&json).expect("the log is JSON");
        assert_eq!(v["version"], SCHEMA_VERSION);
        assert_eq!(v["probes"][0]["outcome"], "delivered");
        let hop = &v["hops"][0];
        assert_eq!(hop["node"], "b");
        assert_eq!(hop["time_ns"], 10_000);
        assert_eq!(hop["action"]["kind"], "flooded");
        assert_eq!(hop["action"]["from_port"], "b.p0");
        let f = &v["frames"][0];
        assert_eq!(f["link"], "a<->b");
        assert_eq!(f["from"]["node"], "a");
        assert_eq!(f["to"]["port"], "b.p0");
        assert_eq!(
            (&f["sent_ns"], &f["arrived_ns"]),
            (&Value::from(0), &Value::from(10_000))
        );
        assert_eq!(f["frame"], "ffffffffffff0200000000010800abababababab");
        assert_eq!(
            v["frames"].as_array().map(Vec::len),
            Some(1),
            "probe 1's only"
        );
    }

    #[test]
    fn the_whole_log_has_every_probe_and_untraced_frames() {
        let eng = a_small_run();
        let v: Value = serde_json::from_str(&RunLog::new(&eng).to_json()).expect("JSON");
        let frames = v["frames"].as_array().expect("a list");
        let probes: Vec<&Value> = frames.iter().map(|f| &f["probe"]).collect();
        assert_eq!(probes, [&Value::from(1), &Value::from(2), &Value::Null]);
        for f in &frames[1..] {
            assert_eq!(f["arrived_ns"], Value::Null);
            assert_eq!(f["dropped"]["kind"], "link_down");
            assert_eq!(f["dropped"]["link"], "a<->b");
        }
        let drop = &v["hops"][1];
        assert_eq!(
            (&drop["probe"], &drop["node"]),
            (&Value::from(2), &Value::from("a"))
        );
        assert_eq!(drop["action"]["kind"], "dropped");
        assert_eq!(drop["action"]["reason"]["kind"], "link_down");
    }

    /// Each shape an action can take: flat, with a nested kind, with a wrapped value, and a
    /// unit kind; every name resolved.
    #[test]
    fn actions_are_objects_with_a_kind_and_their_fields() {
        use crate::device::action::{
            DhcpClientEvent, DhcpServerEvent, NatHow, NatTarget, ProbeEvent,
        };
        use crate::device::rules::{CtDir, Hook, TableKind};
        use crate::device::{Action, Delivery, DropReason, NatKind};
        use crate::sym::Interner;
        use crate::wire::DhcpMessageType;

        let mut syms = Interner::default();
        let mut s = |name: &str| syms.intern(name);
        let nat = Action::Nat {
            table: s("WinNAT"),
            tag: None,
            kind: NatKind::Source,
            before: "172.20.0.5:49152".parse().expect("an address"),
            after: "10.0.0.11:49152".parse().expect("an address"),
            rule: s("dynamic mapping"),
            how: NatHow {
                target: NatTarget::Masquerade,
                dir: CtDir::Original,
                first: true,
            },
        };
        let rule = Action::Dropped(DropReason::Rule {
            hook: Hook::Forward,
            kind: TableKind::Filter,
            table: s("forwarding"),
            chain: s("FORWARD"),
            rule: Some(3),
            why: s("not between nat networks"),
            in_iface: Some(s("vEthernet (a)")),
            out_iface: None,
        });
        let client = Action::Delivered(Delivery::DhcpClient {
            iface: s("eth0"),
            event: DhcpClientEvent::Ignored(DhcpMessageType::Ack),
        });
        let server = Action::Delivered(Delivery::DhcpServer(DhcpServerEvent::Ignored(
            DhcpMessageType::Discover,
        )));
        let resolved = Action::Delivered(Delivery::Probe(ProbeEvent::Resolved {
            name: s("web"),
            addr: "172.20.0.5".parse().expect("an address"),
        }));
        let cases = [
            (
                nat,
                r#"{"kind":"nat","table":"WinNAT","tag":null,"nat":"source","before":"172.20.0.5:49152","after":"10.0.0.11:49152","rule":"dynamic mapping","how":{"target":"masquerade","dir":"original","first":true}}"#,
            ),
            (
                rule,
                r#"{"kind":"dropped","reason":{"kind":"rule","hook":"forward","table_kind":"filter","table":"forwarding","chain":"FORWARD","rule":3,"why":"not between nat networks","in_iface":"vEthernet (a)","out_iface":null}}"#,
            ),
            (
                client,
                r#"{"kind":"delivered","to":{"kind":"dhcp_client","iface":"eth0","event":{"kind":"ignored","message":"ACK"}}}"#,
            ),
            (
                server,
                r#"{"kind":"delivered","to":{"kind":"dhcp_server","event":{"kind":"ignored","message":"DISCOVER"}}}"#,
            ),
            (
                resolved,
                r#"{"kind":"delivered","to":{"kind":"probe","event":{"kind":"resolved","name":"web","addr":"172.20.0.5"}}}"#,
            ),
            (
                Action::Delivered(Delivery::IcmpEcho),
                r#"{"kind":"delivered","to":{"kind":"icmp_echo"}}"#,
            ),
            (
                Action::Dropped(DropReason::NodeGone),
                r#"{"kind":"dropped","reason":{"kind":"node_gone"}}"#,
            ),
        ];
        for (action, want) in cases {
            let got = serde_json::to_string(&Resolved::new(&action, &syms)).expect("serializes");
            assert_eq!(got, want, "{action:?}");
        }
    }

    #[test]
    fn hex_is_two_lowercase_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
    }
}
