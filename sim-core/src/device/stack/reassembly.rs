//! Fragmentation and reassembly of IPv4 datagrams (RFC 791 sections 2.3 and 3.2, RFC 1122
//! section 3.3.2).
//!
//! Sending: a packet larger than the outgoing interface's MTU is split into fragments when
//! its Don't Fragment flag is clear; with the flag set it is dropped, and a forwarding stack
//! answers "fragmentation needed" with the MTU (RFC 1191). Receiving: fragments of a datagram
//! for this stack (or one whose protocol the stack tracks connections for: connection
//! tracking needs whole packets) are held until the datagram is whole, then it goes on as
//! one packet. Held datagrams are bounded by `ReassemblyConfig`: a new one is refused while
//! the bounds are reached, and one that is not whole within the timeout is given up (ICMP
//! "fragment reassembly time exceeded" to its source if its first fragment came). Each held
//! datagram has one timer.

use super::config::ReassemblyConfig;
use super::interface::{iface_name, IcmpError, Interface};
use crate::device::action::Action;
use crate::device::{DropReason, Frame, Outbox, Timer};
use crate::id::PortId;
use crate::time::SimTime;
use crate::wire::{self, FragmentInfo, View};
use std::net::Ipv4Addr;

/// A datagram whose fragments are arriving.
#[derive(Debug)]
struct Datagram {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    ident: u16,
    /// When its first fragment arrived.
    started: SimTime,
    /// The fragments held, as they arrived, with where each one's data sits.
    pieces: Vec<(Frame, FragmentInfo)>,
    /// Data bytes held.
    bytes: usize,
    /// The payload length, known once the last fragment arrived.
    total: Option<usize>,
}

impl Datagram {
    fn is(&self, i: &FragmentInfo) -> bool {
        self.src == i.src && self.dst == i.dst && self.proto == i.proto && self.ident == i.ident
    }

    fn complete(&self) -> bool {
        self.total == Some(self.bytes) && self.pieces.iter().any(|(_, i)| i.offset == 0)
    }
}

/// The datagrams a stack is reassembling.
#[derive(Debug, Default)]
pub struct Reassembly {
    datagrams: Vec<Datagram>,
    bytes: usize,
}

impl Reassembly {
    /// Whether no datagram is being reassembled.
    pub fn is_empty(&self) -> bool {
        self.datagrams.is_empty()
    }

    pub fn clear(&mut self) {
        self.datagrams.clear();
        self.bytes = 0;
    }

    fn has_room(&self, cfg: &ReassemblyConfig, bytes: usize) -> bool {
        self.datagrams.len() < cfg.max_datagrams && self.bytes + bytes <= cfg.max_bytes
    }

    fn take(&mut self, i: usize) -> Datagram {
        let d = self.datagrams.swap_remove(i);
        self.bytes -= d.bytes;
        d
    }
}

/// Why the held pieces of a datagram cannot make one.
fn malformed(what: &'static str) -> impl Fn(&mut crate::sym::Interner) -> DropReason {
    move |syms| DropReason::Malformed {
        what: syms.intern(what),
    }
}

impl Interface<'_> {
    /// Whether a fragment of a datagram to `dst` of protocol `proto` is reassembled here:
    /// it is for this stack, or the stack tracks connections of that protocol.
    fn reassembles(&self, dst: Ipv4Addr, proto: u8) -> bool {
        super::interface::is_local(self.cfg, dst)
            || dst.is_broadcast()
            || self.rules.needs_conntrack(proto)
    }

    /// A fragment arrived: reassembled here (`reassembles`) or passed on as it is. Returns
    /// the packet that goes on, whole or not; `None` while pieces are missing or when the
    /// fragment was dropped. Out of line: fragments are rare, the packet path is hot.
    #[cold]
    #[inline(never)]
    pub(super) fn defragment(
        &mut self,
        frame: Frame,
        view: View,
        out: &mut Outbox,
    ) -> Option<(Frame, View)> {
        match view.ip {
            Some(ip) if self.reassembles(ip.dst, ip.proto) => self.reassemble(frame, out),
            _ => Some((frame, view)),
        }
    }

    /// A frame longer than the MTU of `port` plus an Ethernet header is about to leave: if
    /// its packet does not fit, it is fragmented or refused here (`None`); if it fits (a
    /// tagged frame), it comes back. Out of line, like `defragment`.
    #[cold]
    #[inline(never)]
    pub(super) fn oversized(
        &mut self,
        in_port: Option<PortId>,
        port: PortId,
        next_hop: Ipv4Addr,
        frame: Frame,
        mtu: u16,
        out: &mut Outbox,
    ) -> Option<Frame> {
        if wire::ipv4_info(&frame.bytes).is_some_and(|i| i.total_len > mtu) {
            self.transmit_too_big(in_port, port, next_hop, frame, mtu, out);
            return None;
        }
        Some(frame)
    }

    /// Takes a fragment. Returns the whole datagram when this fragment completes it; holds
    /// it (or drops it, saying why) otherwise.
    fn reassemble(&mut self, frame: Frame, out: &mut Outbox) -> Option<(Frame, View)> {
        let Some(info) = wire::fragment_info(&frame.bytes) else {
            out.drop_frame(&frame, malformed("bad IPv4 fragment"));
            return None;
        };
        let len = info.data.len();
        let cfg = self.cfg.reassembly;
        let r = &mut self.st.reassembly;
        let i = match r.datagrams.iter().position(|d| d.is(&info)) {
            Some(i) => i,
            None => {
                if !r.has_room(&cfg, len) {
                    let (datagrams, bytes) = (r.datagrams.len(), r.bytes);
                    out.drop_frame(&frame, |_| DropReason::ReassemblyFull { datagrams, bytes });
                    return None;
                }
                r.datagrams.push(Datagram {
                    src: info.src,
                    dst: info.dst,
                    proto: info.proto,
                    ident: info.ident,
                    started: out.now,
                    pieces: Vec::new(),
                    bytes: 0,
                    total: None,
                });
                let (src, ident) = (info.src, info.ident);
                out.timer(out.now + cfg.timeout, Timer::Reassembly { src, ident });
                r.datagrams.len() - 1
            }
        };
        let d = &r.datagrams[i];
        let end = info.offset + len;
        let duplicate = d
            .pieces
            .iter()
            .any(|(_, p)| p.offset == info.offset && p.data.len() == len);
        if duplicate {
            out.drop_frame(&frame, malformed("duplicate fragment"));
            return None;
        }
        let overlaps = d
            .pieces
            .iter()
            .any(|(_, p)| info.offset < p.offset + p.data.len() && p.offset < end);
        let past_end = match (d.total, info.more) {
            (Some(t), true) => end > t,
            (Some(t), false) => end != t,
            (None, false) => d.pieces.iter().any(|(_, p)| p.offset + p.data.len() > end),
            (None, true) => false,
        };
        if overlaps || past_end || (info.more && len % 8 != 0) {
            // Overlapping pieces make the datagram ambiguous: all of it goes (RFC 5722's
            // rule, which current stacks apply to IPv4 too).
            let d = r.take(i);
            let why = "overlapping or inconsistent fragments";
            for (f, _) in &d.pieces {
                out.drop_frame(f, malformed(why));
            }
            out.drop_frame(&frame, malformed(why));
            return None;
        }
        let ident = info.ident;
        let d = &mut r.datagrams[i];
        if !info.more {
            d.total = Some(end);
        }
        d.bytes += len;
        r.bytes += len;
        d.pieces.push((frame, info));
        if !d.complete() {
            let held = d.pieces.len() as u32;
            if let Some((f, _)) = d.pieces.last() {
                out.hop(f.probe, &f.bytes, |_| Action::FragmentHeld { ident, held });
            }
            return None;
        }
        let mut d = r.take(i);
        d.pieces.sort_by_key(|(_, p)| p.offset);
        let probe = d.pieces.iter().find_map(|(f, _)| f.probe);
        let mut data = Vec::with_capacity(d.bytes);
        for (f, p) in &d.pieces {
            data.extend_from_slice(f.bytes.get(p.data.clone()).unwrap_or_default());
        }
        let (first, first_info) = &d.pieces[0];
        let head = first.bytes.get(..first_info.header_end).unwrap_or_default();
        let Some(whole) = wire::reassemble(head, &data) else {
            for (f, _) in &d.pieces {
                out.drop_frame(f, malformed("reassembled datagram exceeds 65535 bytes"));
            }
            return None;
        };
        let whole = Frame::new(whole, probe);
        let fragments = d.pieces.len() as u32;
        let size = wire::ipv4_info(&whole.bytes).map_or(0, |i| usize::from(i.total_len));
        out.hop(whole.probe, &whole.bytes, |_| Action::Reassembled {
            ident,
            fragments,
            size,
        });
        let view = View::parse(&whole.bytes)?;
        Some((whole, view))
    }

    /// The timer of datagram `ident` from `src` ran out: if it is still not whole, its
    /// pieces are given up.
    pub fn reassembly_timeout(&mut self, src: Ipv4Addr, ident: u16, out: &mut Outbox) {
        let timeout = self.cfg.reassembly.timeout;
        let r = &mut self.st.reassembly;
        let Some(i) = r
            .datagrams
            .iter()
            .position(|d| d.src == src && d.ident == ident && d.started + timeout <= out.now)
        else {
            return;
        };
        let d = r.take(i);
        let timeout_ms = timeout.as_nanos() / 1_000_000;
        for (f, _) in &d.pieces {
            out.drop_frame(f, |_| DropReason::ReassemblyTimeout {
                src,
                ident,
                timeout_ms,
            });
        }
        // RFC 792 / RFC 1122 3.3.2: only when the first fragment (offset 0) was received.
        if let Some((first, _)) = d.pieces.iter().find(|(_, p)| p.offset == 0) {
            if let Some(view) = View::parse(&first.bytes) {
                let port = self.port_of(d.dst);
                self.icmp_error_from(port, first, &view, IcmpError::ReassemblyTimeExceeded, out);
            }
        }
    }

    /// The interface holding `addr`, if any.
    fn port_of(&self, addr: Ipv4Addr) -> Option<PortId> {
        self.cfg
            .ifaces()
            .iter()
            .position(|i| {
                i.as_ref()
                    .and_then(|i| i.addr)
                    .is_some_and(|a| a.ip() == addr)
            })
            .map(|i| PortId(i as u16))
    }

    /// Sends `frame` out of `port` in pieces that fit `mtu`, or drops it when it may not be
    /// split (Don't Fragment), answering a forwarded packet with "fragmentation needed".
    /// `in_port` is where a forwarded packet came in (`None`: this stack sent it).
    fn transmit_too_big(
        &mut self,
        in_port: Option<PortId>,
        port: PortId,
        next_hop: Ipv4Addr,
        frame: Frame,
        mtu: u16,
        out: &mut Outbox,
    ) {
        let Some(pieces) = wire::fragment(&frame.bytes, mtu) else {
            let size = wire::ipv4_info(&frame.bytes)
                .map_or(frame.bytes.len(), |i| usize::from(i.total_len));
            out.drop_frame(&frame, |syms| DropReason::TooBig {
                iface: syms.intern(&iface_name(self.cfg, port)),
                size,
                mtu,
                why: syms.intern("Don't Fragment is set"),
            });
            if let (Some(in_port), Some(view)) = (in_port, View::parse(&frame.bytes)) {
                let kind = IcmpError::FragmentationNeeded { mtu };
                self.icmp_error(in_port, &frame, &view, kind, out);
            }
            return;
        };
        let fragments = pieces.len() as u32;
        out.hop(frame.probe, &frame.bytes, |syms| Action::Fragmented {
            iface: syms.intern(&iface_name(self.cfg, port)),
            fragments,
            mtu,
        });
        for piece in pieces {
            self.transmit_fitting(port, next_hop, Frame::new(piece, frame.probe), out);
        }
    }
}
