//! TCP: option-less segment builder (checksum over the IPv4 pseudo-header),
//! the hot-path accessor and the parser.

use super::ipv4::{ipv4_frame, l4_span};
use super::{malformed, need, IpHeader, WireError, IPPROTO_TCP};
use pnet_packet::tcp::{self, MutableTcpPacket, TcpFlags as F, TcpPacket};
use pnet_packet::Packet as _;
use std::net::Ipv4Addr;

pub(crate) const TCP_HDR: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
}

impl TcpFlags {
    const fn with(syn: bool, ack: bool, fin: bool, rst: bool) -> Self {
        TcpFlags {
            syn,
            ack,
            fin,
            rst,
            psh: false,
        }
    }
    /// The flag sets the simulated stacks send.
    pub const SYN: TcpFlags = TcpFlags::with(true, false, false, false);
    pub const SYN_ACK: TcpFlags = TcpFlags::with(true, true, false, false);
    pub const ACK: TcpFlags = TcpFlags::with(false, true, false, false);
    pub const FIN_ACK: TcpFlags = TcpFlags::with(false, true, true, false);
    pub const RST_ACK: TcpFlags = TcpFlags::with(false, true, false, true);

    pub(crate) fn from_bits(b: u8) -> Self {
        TcpFlags {
            syn: b & F::SYN != 0,
            ack: b & F::ACK != 0,
            fin: b & F::FIN != 0,
            rst: b & F::RST != 0,
            psh: b & F::PSH != 0,
        }
    }

    pub(crate) fn bits(self) -> u8 {
        [
            (self.syn, F::SYN),
            (self.ack, F::ACK),
            (self.fin, F::FIN),
            (self.rst, F::RST),
            (self.psh, F::PSH),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |acc, (_, bit)| acc | bit)
    }

    /// tcpdump's letters, in its order: F S R P then `.` for ACK.
    pub fn letters(self) -> String {
        let s: String = [
            (self.fin, 'F'),
            (self.syn, 'S'),
            (self.rst, 'R'),
            (self.psh, 'P'),
            (self.ack, '.'),
        ]
        .iter()
        .filter_map(|(on, c)| on.then_some(*c))
        .collect();
        if s.is_empty() {
            "none".into()
        } else {
            s
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpInfo {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub payload_len: usize,
}

/// The fields of an option-less segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TcpHead {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
}

/// Recomputes the checksum of the segment `s`.
pub(crate) fn fix_checksum(s: &mut [u8], src: Ipv4Addr, dst: Ipv4Addr) {
    if let Some(mut p) = MutableTcpPacket::new(s) {
        let sum = tcp::ipv4_checksum(&p.to_immutable(), &src, &dst);
        p.set_checksum(sum);
    }
}

pub(crate) fn tcp_bytes((src, dst): (Ipv4Addr, Ipv4Addr), h: &TcpHead, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; TCP_HDR + payload.len()];
    if let Some(mut p) = MutableTcpPacket::new(&mut b) {
        p.set_source(h.sport);
        p.set_destination(h.dport);
        p.set_sequence(h.seq);
        p.set_acknowledgement(h.ack);
        p.set_data_offset((TCP_HDR / 4) as u8);
        p.set_flags(h.flags.bits());
        p.set_window(h.window);
        p.set_payload(payload);
    }
    fix_checksum(&mut b, src, dst);
    b
}

/// A valid TCP view over the segment `s` with its header length.
fn view(s: &[u8]) -> Option<(TcpPacket<'_>, usize)> {
    let p = TcpPacket::new(s)?;
    let hl = p.get_data_offset() as usize * 4;
    (hl >= TCP_HDR && hl <= s.len()).then_some((p, hl))
}

/// Parses a segment (the L4 bytes), verifying its checksum. Options are
/// skipped, and flags other than SYN/ACK/FIN/RST/PSH are not modelled.
pub(crate) fn parse_tcp(
    s: &[u8],
    src: Ipv4Addr,
    dst: Ipv4Addr,
) -> Result<(TcpHead, Vec<u8>), WireError> {
    need("tcp", TCP_HDR, s.len())?;
    let Some((p, _)) = view(s) else {
        return malformed("tcp", "data offset");
    };
    if tcp::ipv4_checksum(&p, &src, &dst) != p.get_checksum() {
        return malformed("tcp", "checksum");
    }
    let head = TcpHead {
        sport: p.get_source(),
        dport: p.get_destination(),
        seq: p.get_sequence(),
        ack: p.get_acknowledgement(),
        flags: TcpFlags::from_bits(p.get_flags()),
        window: p.get_window(),
    };
    Ok((head, p.payload().to_vec()))
}

pub fn tcp_info(f: &[u8]) -> Option<TcpInfo> {
    let (info, s, e) = l4_span(f)?;
    if info.proto != IPPROTO_TCP {
        return None;
    }
    let (p, hl) = view(f.get(s..e)?)?;
    Some(TcpInfo {
        sport: p.get_source(),
        dport: p.get_destination(),
        seq: p.get_sequence(),
        ack: p.get_acknowledgement(),
        flags: TcpFlags::from_bits(p.get_flags()),
        payload_len: e - s - hl,
    })
}

/// An option-less, payload-less segment (DF set, as Windows does for TCP).
pub fn tcp_frame(
    h: &IpHeader,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    window: u16,
) -> Vec<u8> {
    let head = TcpHead {
        sport,
        dport,
        seq,
        ack,
        flags,
        window,
    };
    ipv4_frame(h, IPPROTO_TCP, true, &tcp_bytes((h.src, h.dst), &head, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ipv4_info;
    use crate::wire::testutil::{assert_checksums_ok, hdr};

    pub(crate) const SYN: TcpFlags = TcpFlags {
        syn: true,
        ack: false,
        fin: false,
        rst: false,
        psh: false,
    };

    #[test]
    fn frame_reads_back() {
        let f = tcp_frame(&hdr(), 49152, 80, 1000, 0, SYN, 65535);
        assert_checksums_ok(&f);
        let t = tcp_info(&f).expect("tcp");
        assert_eq!(
            t,
            TcpInfo {
                sport: 49152,
                dport: 80,
                seq: 1000,
                ack: 0,
                flags: SYN,
                payload_len: 0
            }
        );
        assert_eq!(
            ipv4_info(&f).map(|i| (i.total_len, i.dont_fragment)),
            Some((40, true))
        );
    }

    #[test]
    fn flag_bits_round_trip() {
        for b in 0..32u8 {
            let fl = TcpFlags {
                syn: b & 1 != 0,
                ack: b & 2 != 0,
                fin: b & 4 != 0,
                rst: b & 8 != 0,
                psh: b & 16 != 0,
            };
            assert_eq!(TcpFlags::from_bits(fl.bits()), fl);
        }
        let sa = TcpFlags { ack: true, ..SYN };
        assert_eq!(
            (SYN.letters(), sa.letters()),
            ("S".to_string(), "S.".to_string())
        );
        assert_eq!(TcpFlags::default().letters(), "none");
    }

    #[test]
    fn payload_len_counts_data() {
        let head = TcpHead {
            sport: 1,
            dport: 2,
            seq: 3,
            ack: 4,
            flags: SYN,
            window: 5,
        };
        let s = tcp_bytes((hdr().src, hdr().dst), &head, b"hello");
        let f = crate::wire::ipv4::ipv4_frame(&hdr(), IPPROTO_TCP, true, &s);
        assert_checksums_ok(&f);
        assert_eq!(tcp_info(&f).map(|t| t.payload_len), Some(5));
        assert_eq!(
            parse_tcp(&s, hdr().src, hdr().dst),
            Ok((head, b"hello".to_vec()))
        );
    }
}
