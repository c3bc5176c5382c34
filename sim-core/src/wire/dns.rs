//! DNS over UDP, limited to what the simulated resolvers speak: one A/IN
//! question, and A/IN answers whose owner name is the question (encoded as a
//! compression pointer to it, as real servers do).
//!
//! pnet's `Dns` view is used for the header, `DnsQuery` for the question and
//! `DnsResponse` for each answer. Two pnet getters panic on values outside
//! their enums (`get_opcode` for opcodes > 3, `get_rcode` for rcodes > 5), so
//! those two nibbles are read from the raw header byte instead.

use super::{malformed, need, unsupported, WireError};
use pnet_packet::dns::{
    DnsClasses, DnsPacket, DnsQueryPacket, DnsResponsePacket, DnsTypes, MutableDnsPacket,
    MutableDnsQueryPacket, MutableDnsResponsePacket, Opcode, Retcode,
};
use pnet_packet::{MutablePacket, Packet as _};
use std::net::Ipv4Addr;

const HDR: usize = 12;
/// qtype + qclass after the name.
const QTAIL: usize = 4;
/// Pointer tag + type + class + ttl + rdlength + IPv4 rdata.
const ANSWER_LEN: usize = 16;
/// A compression pointer to the question name at offset 12.
const QNAME_PTR: u16 = 0xc000 | HDR as u16;
const MAX_LABEL: usize = 63;

pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_SERVFAIL: u8 = 2;
pub const RCODE_NXDOMAIN: u8 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub response: bool,
    /// 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN (4 bits on the wire).
    pub rcode: u8,
    pub recursion_desired: bool,
    /// Dot-separated labels without the trailing dot, e.g. "web".
    pub question: String,
    /// (name, address, ttl). The name is always the question on the wire.
    pub answers: Vec<(String, Ipv4Addr, u32)>,
}

/// Labels as length-prefixed bytes plus the root 0. Empty labels are skipped
/// and over-long ones cut at 63 bytes, so the encoding is always well formed.
fn encode_name(name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 2);
    for label in name.split('.').filter(|l| !l.is_empty()) {
        let bytes = &label.as_bytes()[..label.len().min(MAX_LABEL)];
        out.push(bytes.len() as u8);
        out.extend_from_slice(bytes);
    }
    out.push(0);
    out
}

/// Decodes an uncompressed name that must span exactly `wire` (root included).
fn decode_name(wire: &[u8]) -> Result<String, WireError> {
    let mut labels: Vec<&str> = Vec::new();
    let mut i = 0;
    loop {
        let Some(&len) = wire.get(i) else {
            return malformed("dns", "name");
        };
        if len == 0 {
            break;
        }
        if len as usize > MAX_LABEL {
            return unsupported("dns", "name compression");
        }
        let Some(label) = wire.get(i + 1..i + 1 + len as usize) else {
            return malformed("dns", "name");
        };
        if !label.iter().all(|b| b.is_ascii_graphic() && *b != b'.') {
            return malformed("dns", "label");
        }
        labels.push(std::str::from_utf8(label).unwrap_or_default());
        i += 1 + len as usize;
    }
    if i + 1 != wire.len() {
        return malformed("dns", "name");
    }
    Ok(labels.join("."))
}

/// The UDP payload for `m`.
pub fn dns_emit(m: &DnsMessage) -> Vec<u8> {
    let qname = encode_name(&m.question);
    let qlen = qname.len() + QTAIL;
    let mut b = vec![0u8; HDR + qlen + m.answers.len() * ANSWER_LEN];
    write_header(&mut b, m);
    write_question(&mut b[HDR..HDR + qlen], &qname);
    let answers = b[HDR + qlen..].chunks_exact_mut(ANSWER_LEN);
    for (chunk, (_, ip, ttl)) in answers.zip(&m.answers) {
        write_answer(chunk, *ip, *ttl);
    }
    b
}

fn write_header(b: &mut [u8], m: &DnsMessage) {
    let Some(mut p) = MutableDnsPacket::new(b) else {
        return;
    };
    p.set_id(m.id);
    p.set_is_response(m.response as u8);
    p.set_opcode(Opcode::StandardQuery);
    p.set_is_recursion_desirable(m.recursion_desired as u8);
    // Our resolvers recurse; RA is not modelled when parsing.
    p.set_is_recursion_available(m.response as u8);
    if m.rcode <= 5 {
        p.set_rcode(Retcode::new(m.rcode));
    } else if let Some(flags) = p.packet_mut().get_mut(3) {
        // pnet's Retcode has no variants above 5; write the nibble directly.
        *flags = (*flags & 0xf0) | (m.rcode & 0x0f);
    }
    p.set_query_count(1);
    p.set_response_count(m.answers.len().min(u16::MAX as usize) as u16);
}

fn write_question(q: &mut [u8], qname: &[u8]) {
    // pnet sizes the qname field by scanning for its 0 terminator, so the
    // field must look non-empty before `set_qname` will accept the bytes.
    q[..qname.len()].fill(0xff);
    if let Some(mut p) = MutableDnsQueryPacket::new(q) {
        p.set_qname(qname);
        p.set_qtype(DnsTypes::A);
        p.set_qclass(DnsClasses::IN);
    }
}

fn write_answer(a: &mut [u8], ip: Ipv4Addr, ttl: u32) {
    if let Some(mut p) = MutableDnsResponsePacket::new(a) {
        p.set_name_tag(QNAME_PTR);
        p.set_rtype(DnsTypes::A);
        p.set_rclass(DnsClasses::IN);
        p.set_ttl(ttl);
        p.set_data_len(4);
        p.set_data(&ip.octets());
    }
}

/// Parses a UDP payload holding exactly one A/IN question; answers must be
/// A/IN records pointing at the question name. Authority and additional
/// sections must be empty; trailing bytes are ignored.
pub fn dns_parse(payload: &[u8]) -> Result<DnsMessage, WireError> {
    need("dns", HDR, payload.len())?;
    let Some(h) = DnsPacket::new(payload) else {
        return malformed("dns", "header");
    };
    let (opcode, rcode) = raw_opcode_rcode(h.packet());
    if opcode != 0 {
        return unsupported("dns", "opcode");
    }
    if h.get_query_count() != 1 {
        return unsupported("dns", "question count");
    }
    if h.get_authority_rr_count() != 0 || h.get_additional_rr_count() != 0 {
        return unsupported("dns", "authority or additional records");
    }
    let (question, mut off) = parse_question(payload)?;
    let mut answers = Vec::new();
    for _ in 0..h.get_response_count() {
        let (ip, ttl) = parse_answer(payload.get(off..).unwrap_or_default())?;
        answers.push((question.clone(), ip, ttl));
        off += ANSWER_LEN;
    }
    Ok(DnsMessage {
        id: h.get_id(),
        response: h.get_is_response() == 1,
        rcode,
        recursion_desired: h.get_is_recursion_desirable() == 1,
        question,
        answers,
    })
}

/// (opcode, rcode) from header bytes 2 and 3; see the module docs for why.
fn raw_opcode_rcode(h: &[u8]) -> (u8, u8) {
    let flags = [
        h.get(2).copied().unwrap_or(0),
        h.get(3).copied().unwrap_or(0),
    ];
    ((flags[0] >> 3) & 0x0f, flags[1] & 0x0f)
}

/// The question name and the offset just past the question.
fn parse_question(payload: &[u8]) -> Result<(String, usize), WireError> {
    let rest = payload.get(HDR..).unwrap_or_default();
    need("dns", QTAIL + 1, rest.len())?;
    let Some(q) = DnsQueryPacket::new(rest) else {
        return malformed("dns", "question");
    };
    let wire = q.get_qname();
    let name = decode_name(&wire)?;
    // The type and class follow the name; pnet indexes them unchecked.
    need("dns", wire.len() + QTAIL, rest.len())?;
    if q.get_qtype() != DnsTypes::A || q.get_qclass() != DnsClasses::IN {
        return unsupported("dns", "question type");
    }
    Ok((name, HDR + wire.len() + QTAIL))
}

fn parse_answer(a: &[u8]) -> Result<(Ipv4Addr, u32), WireError> {
    need("dns", ANSWER_LEN, a.len())?;
    let Some(r) = DnsResponsePacket::new(a) else {
        return malformed("dns", "answer");
    };
    if r.get_name_tag() != QNAME_PTR {
        return unsupported("dns", "answer name");
    }
    if r.get_rtype() != DnsTypes::A || r.get_rclass() != DnsClasses::IN {
        return unsupported("dns", "answer type");
    }
    let data = r.get_data();
    let Ok(octets) = <[u8; 4]>::try_from(data.as_slice()) else {
        return malformed("dns", "A rdata length");
    };
    if r.get_data_len() != 4 {
        return malformed("dns", "A rdata length");
    }
    Ok((Ipv4Addr::from(octets), r.get_ttl()))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn query(name: &str) -> DnsMessage {
        DnsMessage {
            id: 0x1234,
            response: false,
            rcode: 0,
            recursion_desired: true,
            question: name.into(),
            answers: vec![],
        }
    }

    #[test]
    fn query_round_trip() {
        let q = query("web");
        let b = dns_emit(&q);
        assert_eq!(b.len(), 21);
        assert_eq!(&b[12..], b"\x03web\x00\x00\x01\x00\x01");
        assert_eq!(dns_parse(&b), Ok(q));
    }

    #[test]
    fn answer_round_trip() {
        let name = "internet.example".to_string();
        let ip = Ipv4Addr::new(172, 16, 0, 9);
        let r = DnsMessage {
            response: true,
            answers: vec![
                (name.clone(), ip, 600),
                (name.clone(), Ipv4Addr::new(1, 2, 3, 4), 5),
            ],
            ..query(&name)
        };
        let b = dns_emit(&r);
        assert_eq!(b.len(), 12 + 18 + 4 + 32);
        assert_eq!(dns_parse(&b), Ok(r));
    }

    #[test]
    fn nxdomain_and_odd_rcodes_round_trip() {
        for rcode in [RCODE_NXDOMAIN, RCODE_SERVFAIL, 9, 15] {
            let r = DnsMessage {
                response: true,
                rcode,
                ..query("nope.example")
            };
            assert_eq!(dns_parse(&dns_emit(&r)), Ok(r));
        }
    }

    #[test]
    fn rejects_what_it_does_not_model() {
        let b = dns_emit(&query("web"));
        assert!(matches!(
            dns_parse(&b[..20]),
            Err(WireError::Truncated { .. })
        ));
        let mut aaaa = b.clone();
        aaaa[18] = 28;
        assert!(matches!(
            dns_parse(&aaaa),
            Err(WireError::Unsupported { .. })
        ));
        let mut ptr = b.clone();
        ptr[12] = 0xc0;
        assert!(dns_parse(&ptr).is_err());
        let mut opcode = b;
        opcode[2] |= 0x78;
        assert!(matches!(
            dns_parse(&opcode),
            Err(WireError::Unsupported { .. })
        ));
    }
}
