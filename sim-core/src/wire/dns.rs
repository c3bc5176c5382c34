//! DNS over UDP, limited to what the simulated resolvers speak: one IN
//! question of any type (A, AAAA, PTR, MX...), and A/IN and PTR/IN answers
//! whose owner name is the question (encoded as a compression pointer to it,
//! as real servers do; a PTR's target name is written uncompressed).
//!
//! pnet's `Dns` view is used for the header, `DnsQuery` for the question and
//! `DnsResponse` for each answer. Two pnet getters panic on values outside
//! their enums (`get_opcode` for opcodes > 3, `get_rcode` for rcodes > 5), so
//! those two nibbles are read from the raw header byte instead.

use super::{malformed, need, unsupported, WireError};
use pnet_packet::dns::{
    DnsClasses, DnsPacket, DnsQueryPacket, DnsResponsePacket, DnsType, DnsTypes, MutableDnsPacket,
    MutableDnsQueryPacket, MutableDnsResponsePacket, Opcode, Retcode,
};
use pnet_packet::{MutablePacket, Packet as _};
use std::net::Ipv4Addr;

const HDR: usize = 12;
/// qtype + qclass after the name.
const QTAIL: usize = 4;
/// Pointer tag + type + class + ttl + rdlength.
const RR_HEAD: usize = 12;
/// An A answer: the record head + IPv4 rdata.
const ANSWER_LEN: usize = RR_HEAD + 4;
/// A compression pointer to the question name at offset 12.
const QNAME_PTR: u16 = 0xc000 | HDR as u16;
const MAX_LABEL: usize = 63;

pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_SERVFAIL: u8 = 2;
pub const RCODE_NXDOMAIN: u8 = 3;

/// Question types by their number (RFC 1035, RFC 3596).
pub const QTYPE_A: u16 = 1;
pub const QTYPE_PTR: u16 = 12;
pub const QTYPE_MX: u16 = 15;
pub const QTYPE_AAAA: u16 = 28;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub response: bool,
    /// 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN (4 bits on the wire).
    pub rcode: u8,
    pub recursion_desired: bool,
    /// Dot-separated labels without the trailing dot, e.g. "web".
    pub question: String,
    /// The question's type: `QTYPE_A` for the queries most tools send.
    pub qtype: u16,
    /// A answers: (name, address, ttl). The name is always the question on the wire.
    pub answers: Vec<(String, Ipv4Addr, u32)>,
    /// PTR answers after the A ones: (target name, ttl), e.g. `("c2.n1", 600)`.
    pub ptr_answers: Vec<(String, u32)>,
}

impl DnsMessage {
    /// A query for `name` of type `qtype`, recursion desired.
    pub fn query(id: u16, name: &str, qtype: u16) -> Self {
        DnsMessage {
            id,
            response: false,
            rcode: RCODE_NOERROR,
            recursion_desired: true,
            question: name.to_string(),
            qtype,
            answers: Vec::new(),
            ptr_answers: Vec::new(),
        }
    }

    /// The answer to `self` (a query) with `rcode` and no records yet.
    pub fn reply(&self, rcode: u8) -> Self {
        DnsMessage {
            response: true,
            rcode,
            answers: Vec::new(),
            ptr_answers: Vec::new(),
            ..self.clone()
        }
    }
}

/// The name a PTR query asks about for `ip`: `4.3.2.1.in-addr.arpa`.
pub fn reverse_name(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
}

/// The address a PTR question names (`4.3.2.1.in-addr.arpa`, any case), if it names one.
pub fn reverse_addr(name: &str) -> Option<Ipv4Addr> {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    let rest = lower.strip_suffix(".in-addr.arpa")?;
    let mut o = [0u8; 4];
    let mut parts = rest.split('.');
    for i in (0..4).rev() {
        o[i] = parts.next()?.parse().ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(o))
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
    let targets: Vec<Vec<u8>> = m.ptr_answers.iter().map(|(t, _)| encode_name(t)).collect();
    let ptr_len: usize = targets.iter().map(|t| RR_HEAD + t.len()).sum();
    let mut b = vec![0u8; HDR + qlen + m.answers.len() * ANSWER_LEN + ptr_len];
    write_header(&mut b, m);
    write_question(&mut b[HDR..HDR + qlen], &qname, m.qtype);
    let mut off = HDR + qlen;
    for (_, ip, ttl) in &m.answers {
        write_record(
            &mut b[off..off + ANSWER_LEN],
            DnsTypes::A,
            *ttl,
            &ip.octets(),
        );
        off += ANSWER_LEN;
    }
    for (target, (_, ttl)) in targets.iter().zip(&m.ptr_answers) {
        let len = RR_HEAD + target.len();
        write_record(&mut b[off..off + len], DnsTypes::PTR, *ttl, target);
        off += len;
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
    let count = m.answers.len() + m.ptr_answers.len();
    p.set_response_count(count.min(u16::MAX as usize) as u16);
}

fn write_question(q: &mut [u8], qname: &[u8], qtype: u16) {
    // pnet sizes the qname field by scanning for its 0 terminator, so the
    // field must look non-empty before `set_qname` will accept the bytes.
    q[..qname.len()].fill(0xff);
    if let Some(mut p) = MutableDnsQueryPacket::new(q) {
        p.set_qname(qname);
        p.set_qtype(DnsType(qtype));
        p.set_qclass(DnsClasses::IN);
    }
}

/// One answer record owned by the question name: `a` is exactly the record's length.
fn write_record(a: &mut [u8], rtype: DnsType, ttl: u32, data: &[u8]) {
    if let Some(mut p) = MutableDnsResponsePacket::new(a) {
        p.set_name_tag(QNAME_PTR);
        p.set_rtype(rtype);
        p.set_rclass(DnsClasses::IN);
        p.set_ttl(ttl);
        p.set_data_len(data.len() as u16);
        p.set_data(data);
    }
}

/// Parses a UDP payload holding exactly one IN question; answers must be
/// A/IN or PTR/IN records pointing at the question name (A records first).
/// Authority and additional sections must be empty; trailing bytes are ignored.
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
    let (question, qtype, mut off) = parse_question(payload)?;
    let mut answers = Vec::new();
    let mut ptr_answers = Vec::new();
    for _ in 0..h.get_response_count() {
        let (record, len) = parse_answer(payload.get(off..).unwrap_or_default())?;
        match record {
            Record::A(ip, ttl) if ptr_answers.is_empty() => {
                answers.push((question.clone(), ip, ttl))
            }
            Record::A(..) => return unsupported("dns", "A answer after a PTR answer"),
            Record::Ptr(target, ttl) => ptr_answers.push((target, ttl)),
        }
        off += len;
    }
    Ok(DnsMessage {
        id: h.get_id(),
        response: h.get_is_response() == 1,
        rcode,
        recursion_desired: h.get_is_recursion_desirable() == 1,
        question,
        qtype,
        answers,
        ptr_answers,
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

/// The question name, its type and the offset just past the question.
fn parse_question(payload: &[u8]) -> Result<(String, u16, usize), WireError> {
    let rest = payload.get(HDR..).unwrap_or_default();
    need("dns", QTAIL + 1, rest.len())?;
    let Some(q) = DnsQueryPacket::new(rest) else {
        return malformed("dns", "question");
    };
    let wire = q.get_qname();
    let name = decode_name(&wire)?;
    // The type and class follow the name; pnet indexes them unchecked.
    need("dns", wire.len() + QTAIL, rest.len())?;
    if q.get_qclass() != DnsClasses::IN {
        return unsupported("dns", "question class");
    }
    Ok((name, q.get_qtype().0, HDR + wire.len() + QTAIL))
}

/// An answer record as the simulated resolvers write them.
enum Record {
    A(Ipv4Addr, u32),
    Ptr(String, u32),
}

/// One answer record and its length on the wire.
fn parse_answer(a: &[u8]) -> Result<(Record, usize), WireError> {
    need("dns", RR_HEAD, a.len())?;
    let Some(r) = DnsResponsePacket::new(a) else {
        return malformed("dns", "answer");
    };
    if r.get_name_tag() != QNAME_PTR {
        return unsupported("dns", "answer name");
    }
    if r.get_rclass() != DnsClasses::IN {
        return unsupported("dns", "answer class");
    }
    let len = usize::from(r.get_data_len());
    need("dns", RR_HEAD + len, a.len())?;
    let data = &a[RR_HEAD..RR_HEAD + len];
    let record = match r.get_rtype() {
        DnsTypes::A => {
            let Ok(octets) = <[u8; 4]>::try_from(data) else {
                return malformed("dns", "A rdata length");
            };
            Record::A(Ipv4Addr::from(octets), r.get_ttl())
        }
        DnsTypes::PTR => Record::Ptr(decode_name(data)?, r.get_ttl()),
        _ => return unsupported("dns", "answer type"),
    };
    Ok((record, RR_HEAD + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn query(name: &str) -> DnsMessage {
        DnsMessage::query(0x1234, name, QTYPE_A)
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
        let mut chaos = b.clone();
        chaos[20] = 3;
        assert!(matches!(
            dns_parse(&chaos),
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

    #[test]
    fn other_question_types_round_trip() {
        for qtype in [QTYPE_AAAA, QTYPE_MX, QTYPE_PTR] {
            let q = DnsMessage::query(7, "c2", qtype);
            let b = dns_emit(&q);
            let at = HDR + "c2".len() + 2;
            assert_eq!(u16::from_be_bytes([b[at], b[at + 1]]), qtype);
            assert_eq!(dns_parse(&b), Ok(q.clone()));
            let empty = q.reply(RCODE_NOERROR);
            assert_eq!(dns_parse(&dns_emit(&empty)), Ok(empty));
        }
    }

    #[test]
    fn ptr_answer_round_trip() {
        let name = reverse_name(Ipv4Addr::new(172, 18, 0, 3));
        assert_eq!(name, "3.0.18.172.in-addr.arpa");
        let mut r = DnsMessage::query(9, &name, QTYPE_PTR).reply(RCODE_NOERROR);
        r.ptr_answers.push(("c2.n1".into(), 600));
        let b = dns_emit(&r);
        // header, question (name + type/class), record head, "\x02c2\x02n1\x00"
        assert_eq!(b.len(), 12 + (name.len() + 2 + 4) + 12 + 7);
        assert_eq!(&b[b.len() - 7..], b"\x02c2\x02n1\x00");
        assert_eq!(dns_parse(&b), Ok(r));
    }

    #[test]
    fn reverse_names_parse_back() {
        let ip = Ipv4Addr::new(10, 1, 2, 3);
        assert_eq!(reverse_addr(&reverse_name(ip)), Some(ip));
        assert_eq!(reverse_addr("3.2.1.10.IN-ADDR.ARPA."), Some(ip));
        assert_eq!(reverse_addr("2.1.10.in-addr.arpa"), None);
        assert_eq!(reverse_addr("x.2.1.10.in-addr.arpa"), None);
        assert_eq!(reverse_addr("5.3.2.1.10.in-addr.arpa"), None);
        assert_eq!(reverse_addr("c2.n1"), None);
    }
}
