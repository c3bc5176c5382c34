//! DHCPv4 (RFC 2131, options from RFC 2132) over UDP 67/68, limited to what the simulated
//! server and client speak: DISCOVER, OFFER, REQUEST, ACK and NAK on Ethernet, with the
//! options message type (53), server identifier (54), lease time (51), subnet mask (1),
//! router (3), DNS servers (6) and requested address (50).
//!
//! pnet's `Dhcp` view is used for the fixed 236-byte BOOTP header; the magic cookie and the
//! options that follow it are walked here.
//!
//! * Emitted messages carry the magic cookie, option 53 first, then the options that are set,
//!   then END, and are zero-padded to the 300 bytes BOOTP relays expect (as real clients do).
//! * Not represented (emitted as 0, ignored when parsing): `hops`, `secs`, `sname`, `file`,
//!   flag bits other than BROADCAST, and every option not listed above (skipped, so real
//!   clients' parameter lists or host names do not make a message unparsable). A repeated
//!   option keeps its last value.
//! * Router and DNS lists hold at most 63 addresses (one option); longer lists are cut.
//! * Parsing is strict about what it models: Ethernet hardware type with a 6-byte address,
//!   the magic cookie, well-formed option lengths, an END option, a message type this module
//!   knows, and `op` matching the type (BOOTREQUEST for DISCOVER/REQUEST, BOOTREPLY for the
//!   rest). It never panics.

use super::udp::udp_frame;
use super::{malformed, need, udp_info, unsupported, IpHeader, MacAddr, WireError};
use pnet_packet::dhcp::{
    DhcpHardwareTypes, DhcpOperation, DhcpOperations, DhcpPacket, MutableDhcpPacket,
};
use std::fmt;
use std::net::Ipv4Addr;

/// The server's UDP port.
pub const DHCP_SERVER_PORT: u16 = 67;
/// The client's UDP port.
pub const DHCP_CLIENT_PORT: u16 = 68;

/// The fixed BOOTP header (op .. file).
const FIXED: usize = 236;
const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// The smallest BOOTP message relays accept; shorter messages are zero-padded.
const MIN_LEN: usize = 300;
const FLAG_BROADCAST: u16 = 0x8000;
/// The most IPv4 addresses one option can hold (255 / 4).
const MAX_LIST: usize = 63;

const OPT_PAD: u8 = 0;
const OPT_SUBNET_MASK: u8 = 1;
const OPT_ROUTER: u8 = 3;
const OPT_DNS: u8 = 6;
const OPT_REQUESTED_IP: u8 = 50;
const OPT_LEASE_TIME: u8 = 51;
const OPT_MESSAGE_TYPE: u8 = 53;
const OPT_SERVER_ID: u8 = 54;
const OPT_END: u8 = 255;

/// The DHCP message types this model speaks (option 53).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DhcpMessageType {
    Discover,
    Offer,
    Request,
    Ack,
    Nak,
}

impl DhcpMessageType {
    pub fn code(self) -> u8 {
        match self {
            DhcpMessageType::Discover => 1,
            DhcpMessageType::Offer => 2,
            DhcpMessageType::Request => 3,
            DhcpMessageType::Ack => 5,
            DhcpMessageType::Nak => 6,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => DhcpMessageType::Discover,
            2 => DhcpMessageType::Offer,
            3 => DhcpMessageType::Request,
            5 => DhcpMessageType::Ack,
            6 => DhcpMessageType::Nak,
            _ => return None,
        })
    }

    /// Whether a client sends it (BOOTREQUEST, UDP 68 -> 67) rather than a server.
    pub fn sent_by_client(self) -> bool {
        matches!(self, DhcpMessageType::Discover | DhcpMessageType::Request)
    }

    fn op(self) -> DhcpOperation {
        if self.sent_by_client() {
            DhcpOperations::Request
        } else {
            DhcpOperations::Reply
        }
    }
}

impl fmt::Display for DhcpMessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DhcpMessageType::Discover => "DISCOVER",
            DhcpMessageType::Offer => "OFFER",
            DhcpMessageType::Request => "REQUEST",
            DhcpMessageType::Ack => "ACK",
            DhcpMessageType::Nak => "NAK",
        })
    }
}

/// One DHCP message, as far as the model goes (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpMessage {
    pub msg_type: DhcpMessageType,
    pub xid: u32,
    /// The BROADCAST flag: the client cannot receive unicast before it has an address.
    pub broadcast: bool,
    pub ciaddr: Ipv4Addr,
    /// "Your" address: what the server offers or assigns.
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub chaddr: MacAddr,
    /// Option 54.
    pub server_id: Option<Ipv4Addr>,
    /// Option 50.
    pub requested_ip: Option<Ipv4Addr>,
    /// Option 51, in seconds.
    pub lease_secs: Option<u32>,
    /// Option 1.
    pub subnet_mask: Option<Ipv4Addr>,
    /// Option 3 (absent when empty).
    pub routers: Vec<Ipv4Addr>,
    /// Option 6 (absent when empty).
    pub dns: Vec<Ipv4Addr>,
}

impl DhcpMessage {
    /// A message with every address unspecified and no options but the type.
    pub fn new(msg_type: DhcpMessageType, xid: u32, chaddr: MacAddr) -> Self {
        DhcpMessage {
            msg_type,
            xid,
            broadcast: false,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr,
            server_id: None,
            requested_ip: None,
            lease_secs: None,
            subnet_mask: None,
            routers: Vec::new(),
            dns: Vec::new(),
        }
    }

    /// (source port, destination port) of the datagram carrying this message.
    pub fn ports(&self) -> (u16, u16) {
        if self.msg_type.sent_by_client() {
            (DHCP_CLIENT_PORT, DHCP_SERVER_PORT)
        } else {
            (DHCP_SERVER_PORT, DHCP_CLIENT_PORT)
        }
    }
}

fn push_option(opts: &mut Vec<u8>, code: u8, data: &[u8]) {
    opts.push(code);
    opts.push(data.len() as u8);
    opts.extend_from_slice(data);
}

fn push_addrs(opts: &mut Vec<u8>, code: u8, addrs: &[Ipv4Addr]) {
    if addrs.is_empty() {
        return;
    }
    let data: Vec<u8> = addrs
        .iter()
        .take(MAX_LIST)
        .flat_map(|a| a.octets())
        .collect();
    push_option(opts, code, &data);
}

fn options_bytes(m: &DhcpMessage) -> Vec<u8> {
    let mut opts = Vec::with_capacity(64);
    push_option(&mut opts, OPT_MESSAGE_TYPE, &[m.msg_type.code()]);
    if let Some(ip) = m.server_id {
        push_option(&mut opts, OPT_SERVER_ID, &ip.octets());
    }
    if let Some(ip) = m.requested_ip {
        push_option(&mut opts, OPT_REQUESTED_IP, &ip.octets());
    }
    if let Some(secs) = m.lease_secs {
        push_option(&mut opts, OPT_LEASE_TIME, &secs.to_be_bytes());
    }
    if let Some(mask) = m.subnet_mask {
        push_option(&mut opts, OPT_SUBNET_MASK, &mask.octets());
    }
    push_addrs(&mut opts, OPT_ROUTER, &m.routers);
    push_addrs(&mut opts, OPT_DNS, &m.dns);
    opts.push(OPT_END);
    opts
}

/// The UDP payload for `m`: BOOTP header, magic cookie, options, padding to 300 bytes.
pub fn dhcp_emit(m: &DhcpMessage) -> Vec<u8> {
    let opts = options_bytes(m);
    let start = FIXED + MAGIC_COOKIE.len();
    let mut b = vec![0u8; (start + opts.len()).max(MIN_LEN)];
    if let Some(mut p) = MutableDhcpPacket::new(&mut b) {
        p.set_op(m.msg_type.op());
        p.set_htype(DhcpHardwareTypes::Ethernet);
        p.set_hlen(6);
        p.set_xid(m.xid);
        p.set_flags(if m.broadcast { FLAG_BROADCAST } else { 0 });
        p.set_ciaddr(m.ciaddr);
        p.set_yiaddr(m.yiaddr);
        p.set_siaddr(m.siaddr);
        p.set_giaddr(m.giaddr);
        p.set_chaddr(m.chaddr);
    }
    b[FIXED..start].copy_from_slice(&MAGIC_COOKIE);
    b[start..start + opts.len()].copy_from_slice(&opts);
    b
}

fn addr(data: &[u8]) -> Result<Ipv4Addr, WireError> {
    match <[u8; 4]>::try_from(data) {
        Ok(o) => Ok(Ipv4Addr::from(o)),
        Err(_) => malformed("dhcp", "address option length"),
    }
}

fn addr_list(data: &[u8]) -> Result<Vec<Ipv4Addr>, WireError> {
    if data.is_empty() || !data.len().is_multiple_of(4) {
        return malformed("dhcp", "address list option length");
    }
    data.chunks_exact(4).map(addr).collect()
}

/// Parses a UDP payload holding one DHCP message (see the module docs for what is checked).
pub fn dhcp_parse(payload: &[u8]) -> Result<DhcpMessage, WireError> {
    let start = FIXED + MAGIC_COOKIE.len();
    need("dhcp", start, payload.len())?;
    let Some(p) = DhcpPacket::new(payload) else {
        return malformed("dhcp", "header");
    };
    if p.get_htype() != DhcpHardwareTypes::Ethernet || p.get_hlen() != 6 {
        return unsupported("dhcp", "hardware type");
    }
    if payload.get(FIXED..start) != Some(&MAGIC_COOKIE[..]) {
        return malformed("dhcp", "magic cookie");
    }
    let mut m = DhcpMessage::new(DhcpMessageType::Discover, p.get_xid(), p.get_chaddr());
    m.broadcast = p.get_flags() & FLAG_BROADCAST != 0;
    m.ciaddr = p.get_ciaddr();
    m.yiaddr = p.get_yiaddr();
    m.siaddr = p.get_siaddr();
    m.giaddr = p.get_giaddr();
    let mut msg_type = None;
    let opts = payload.get(start..).unwrap_or_default();
    let mut i = 0;
    loop {
        let Some(&code) = opts.get(i) else {
            return malformed("dhcp", "options (no END)");
        };
        match code {
            OPT_PAD => {
                i += 1;
                continue;
            }
            OPT_END => break,
            _ => {}
        }
        let Some(&len) = opts.get(i + 1) else {
            return malformed("dhcp", "option length");
        };
        let Some(data) = opts.get(i + 2..i + 2 + len as usize) else {
            return malformed("dhcp", "option length");
        };
        match code {
            OPT_MESSAGE_TYPE => {
                let [t] = data else {
                    return malformed("dhcp", "message type option length");
                };
                match DhcpMessageType::from_code(*t) {
                    Some(t) => msg_type = Some(t),
                    None => return unsupported("dhcp", "message type"),
                }
            }
            OPT_SERVER_ID => m.server_id = Some(addr(data)?),
            OPT_REQUESTED_IP => m.requested_ip = Some(addr(data)?),
            OPT_SUBNET_MASK => m.subnet_mask = Some(addr(data)?),
            OPT_LEASE_TIME => match <[u8; 4]>::try_from(data) {
                Ok(b) => m.lease_secs = Some(u32::from_be_bytes(b)),
                Err(_) => return malformed("dhcp", "lease time option length"),
            },
            OPT_ROUTER => m.routers = addr_list(data)?,
            OPT_DNS => m.dns = addr_list(data)?,
            _ => {}
        }
        i += 2 + len as usize;
    }
    let Some(t) = msg_type else {
        return malformed("dhcp", "options (no message type)");
    };
    if p.get_op() != t.op() {
        return malformed("dhcp", "op for the message type");
    }
    m.msg_type = t;
    Ok(m)
}

/// An untagged frame carrying `m` in UDP (68 -> 67 for client messages, 67 -> 68 for server
/// messages), with `h`'s addresses.
pub fn dhcp_frame(h: &IpHeader, m: &DhcpMessage) -> Vec<u8> {
    let (sport, dport) = m.ports();
    udp_frame(h, sport, dport, &dhcp_emit(m))
}

/// What a client without an address sends: from `m.chaddr` to the Ethernet broadcast, from
/// 0.0.0.0 to 255.255.255.255.
pub fn dhcp_client_frame(m: &DhcpMessage, ttl: u8, ident: u16) -> Vec<u8> {
    let h = IpHeader {
        src_mac: m.chaddr,
        dst_mac: MacAddr::broadcast(),
        src: Ipv4Addr::UNSPECIFIED,
        dst: Ipv4Addr::BROADCAST,
        ttl,
        ident,
    };
    dhcp_frame(&h, m)
}

/// The DHCP message of a frame: a UDP datagram between ports 67 and 68 whose payload parses.
/// Checksums are not verified (as for the other accessors).
pub fn dhcp_info(f: &[u8]) -> Option<DhcpMessage> {
    let u = udp_info(f)?;
    if !is_dhcp_ports(u.sport, u.dport) {
        return None;
    }
    let payload = f.get(u.payload_offset..u.payload_offset + u.payload_len)?;
    dhcp_parse(payload).ok()
}

/// Whether a datagram between these ports is DHCP (67 -> 68 or 68 -> 67).
pub fn is_dhcp_ports(sport: u16, dport: u16) -> bool {
    matches!(
        (sport, dport),
        (DHCP_CLIENT_PORT, DHCP_SERVER_PORT) | (DHCP_SERVER_PORT, DHCP_CLIENT_PORT)
    )
}

fn write_list(f: &mut fmt::Formatter<'_>, name: &str, addrs: &[Ipv4Addr]) -> fmt::Result {
    for (i, a) in addrs.iter().enumerate() {
        let sep = if i == 0 { name } else { "," };
        write!(f, "{sep}{a}")?;
    }
    Ok(())
}

/// `DHCP OFFER xid 0x12345678 yiaddr 10.0.0.100 server 10.0.0.1 lease 86400s mask
/// 255.255.255.0 router 10.0.0.1 dns 10.0.0.1 chaddr 00:15:5d:00:00:05` (on one line; fields
/// that are unset or 0.0.0.0 are left out).
impl fmt::Display for DhcpMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DHCP {} xid 0x{:08x}", self.msg_type, self.xid)?;
        if self.broadcast {
            f.write_str(" [B]")?;
        }
        for (name, a) in [
            ("ciaddr", self.ciaddr),
            ("yiaddr", self.yiaddr),
            ("siaddr", self.siaddr),
            ("giaddr", self.giaddr),
        ] {
            if !a.is_unspecified() {
                write!(f, " {name} {a}")?;
            }
        }
        if let Some(a) = self.requested_ip {
            write!(f, " requested {a}")?;
        }
        if let Some(a) = self.server_id {
            write!(f, " server {a}")?;
        }
        if let Some(s) = self.lease_secs {
            write!(f, " lease {s}s")?;
        }
        if let Some(m) = self.subnet_mask {
            write!(f, " mask {m}")?;
        }
        write_list(f, " router ", &self.routers)?;
        write_list(f, " dns ", &self.dns)?;
        write!(f, " chaddr {}", self.chaddr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::testutil::strategies::{ip, mac};
    use crate::wire::testutil::{assert_checksums_ok, hdr};
    use crate::wire::{eth_dst, eth_src, ipv4_info, parse, L4Repr, NetRepr, UdpPayload};
    use proptest::collection::vec;
    use proptest::prelude::*;

    const CLIENT: MacAddr = MacAddr(0x00, 0x15, 0x5d, 0x12, 0x34, 0x56);

    fn addr(s: &str) -> Ipv4Addr {
        s.parse().expect("test address")
    }

    fn ack() -> DhcpMessage {
        DhcpMessage {
            yiaddr: addr("10.0.0.100"),
            server_id: Some(addr("10.0.0.1")),
            lease_secs: Some(86400),
            subnet_mask: Some(addr("255.255.255.0")),
            routers: vec![addr("10.0.0.1")],
            dns: vec![addr("10.0.0.53"), addr("8.8.8.8")],
            broadcast: true,
            ..DhcpMessage::new(DhcpMessageType::Ack, 0x1234_5678, CLIENT)
        }
    }

    #[test]
    fn discover_layout() {
        let d = DhcpMessage {
            broadcast: true,
            ..DhcpMessage::new(DhcpMessageType::Discover, 0x1234_5678, CLIENT)
        };
        let b = dhcp_emit(&d);
        assert_eq!(b.len(), 300);
        assert_eq!(&b[..4], &[1, 1, 6, 0]);
        assert_eq!(&b[4..8], &[0x12, 0x34, 0x56, 0x78]);
        assert_eq!(&b[10..12], &[0x80, 0]);
        assert_eq!(&b[28..34], &CLIENT.octets());
        assert_eq!(&b[236..240], &[99, 130, 83, 99]);
        assert_eq!(&b[240..244], &[53, 1, 1, 255]);
        assert!(b[244..].iter().all(|&x| x == 0));
        assert_eq!(dhcp_parse(&b), Ok(d));
    }

    #[test]
    fn ack_options_read_back() {
        let b = dhcp_emit(&ack());
        assert_eq!(b[0], 2, "BOOTREPLY");
        assert_eq!(
            &b[240..246],
            &[53, 1, 5, 54, 4, 10],
            "type first, then server id"
        );
        assert_eq!(dhcp_parse(&b), Ok(ack()));
    }

    #[test]
    fn client_frame_is_a_broadcast_from_nowhere() {
        let d = DhcpMessage::new(DhcpMessageType::Discover, 7, CLIENT);
        let f = dhcp_client_frame(&d, 128, 9);
        assert_checksums_ok(&f);
        assert_eq!(eth_dst(&f), Some(MacAddr::broadcast()));
        assert_eq!(eth_src(&f), Some(CLIENT));
        let ip4 = ipv4_info(&f).expect("ipv4");
        assert_eq!(
            (ip4.src, ip4.dst),
            (Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST)
        );
        let u = udp_info(&f).expect("udp");
        assert_eq!((u.sport, u.dport), (68, 67));
        assert_eq!(dhcp_info(&f), Some(d));
        let p = parse(&f).expect("parses");
        let NetRepr::Ipv4(r) = &p.net else {
            panic!("not ipv4")
        };
        assert!(matches!(
            &r.l4,
            L4Repr::Udp {
                sport: 68,
                dport: 67,
                payload: UdpPayload::Raw(_)
            }
        ));
    }

    #[test]
    fn server_frame_uses_67_to_68() {
        let f = dhcp_frame(&hdr(), &ack());
        assert_checksums_ok(&f);
        let u = udp_info(&f).expect("udp");
        assert_eq!((u.sport, u.dport), (67, 68));
        assert_eq!(dhcp_info(&f), Some(ack()));
    }

    #[test]
    fn display() {
        let d = DhcpMessage::new(DhcpMessageType::Discover, 0x1234_5678, CLIENT);
        let f = dhcp_client_frame(&d, 128, 1);
        assert_eq!(
            parse(&f).expect("parses").to_string(),
            "IP 0.0.0.0.68 > 255.255.255.255.67: DHCP DISCOVER xid 0x12345678 \
             chaddr 00:15:5d:12:34:56"
        );
        assert_eq!(
            ack().to_string(),
            "DHCP ACK xid 0x12345678 [B] yiaddr 10.0.0.100 server 10.0.0.1 lease 86400s \
             mask 255.255.255.0 router 10.0.0.1 dns 10.0.0.53,8.8.8.8 chaddr 00:15:5d:12:34:56"
        );
    }

    #[test]
    fn rejects_what_it_does_not_model() {
        let b = dhcp_emit(&ack());
        assert!(matches!(
            dhcp_parse(&b[..239]),
            Err(WireError::Truncated { .. })
        ));
        let mut cookie = b.clone();
        cookie[236] = 0;
        assert!(dhcp_parse(&cookie).is_err());
        let mut inform = b.clone();
        inform[242] = 8;
        assert!(matches!(
            dhcp_parse(&inform),
            Err(WireError::Unsupported { .. })
        ));
        let mut op = b.clone();
        op[0] = 1;
        assert!(dhcp_parse(&op).is_err());
        let mut no_end = b.clone();
        no_end.truncate(240 + 3);
        assert!(dhcp_parse(&no_end).is_err());
        let mut long = b.clone();
        long[244] = 200; // server id length past the end
        assert!(dhcp_parse(&long).is_err());
        let mut no_type = b;
        no_type[240] = 12; // host name instead of the type: skipped
        assert!(dhcp_parse(&no_type).is_err());
    }

    #[test]
    fn unknown_options_are_skipped() {
        let mut b = dhcp_emit(&DhcpMessage::new(DhcpMessageType::Request, 1, CLIENT));
        // 53 1 3 | 12 2 'h' 'i' | 55 2 1 3 | 255
        let opts = [53, 1, 3, 12, 2, b'h', b'i', 55, 2, 1, 3, 0, 255];
        b[240..240 + opts.len()].copy_from_slice(&opts);
        assert_eq!(
            dhcp_parse(&b),
            Ok(DhcpMessage::new(DhcpMessageType::Request, 1, CLIENT))
        );
    }

    fn msg_type() -> impl Strategy<Value = DhcpMessageType> {
        prop_oneof![
            Just(DhcpMessageType::Discover),
            Just(DhcpMessageType::Offer),
            Just(DhcpMessageType::Request),
            Just(DhcpMessageType::Ack),
            Just(DhcpMessageType::Nak),
        ]
    }

    fn message() -> impl Strategy<Value = DhcpMessage> {
        let head = (
            msg_type(),
            any::<u32>(),
            any::<bool>(),
            [ip(), ip(), ip(), ip()],
            mac(),
        );
        let opts = (
            proptest::option::of(ip()),
            proptest::option::of(ip()),
            proptest::option::of(any::<u32>()),
            proptest::option::of(ip()),
            vec(ip(), 0..5),
            vec(ip(), 0..5),
        );
        (head, opts).prop_map(
            |(
                (msg_type, xid, broadcast, [ciaddr, yiaddr, siaddr, giaddr], chaddr),
                (server_id, requested_ip, lease_secs, subnet_mask, routers, dns),
            )| DhcpMessage {
                msg_type,
                xid,
                broadcast,
                ciaddr,
                yiaddr,
                siaddr,
                giaddr,
                chaddr,
                server_id,
                requested_ip,
                lease_secs,
                subnet_mask,
                routers,
                dns,
            },
        )
    }

    proptest! {
        #[test]
        fn round_trip(m in message(), ttl in any::<u8>(), ident in any::<u16>()) {
            prop_assert_eq!(dhcp_parse(&dhcp_emit(&m)), Ok(m.clone()));
            let f = if m.msg_type.sent_by_client() {
                dhcp_client_frame(&m, ttl, ident)
            } else {
                dhcp_frame(&hdr(), &m)
            };
            assert_checksums_ok(&f);
            prop_assert_eq!(dhcp_info(&f), Some(m.clone()));
            // The strict frame parser accepts it, and it round-trips as a packet too.
            let p = parse(&f).expect("a valid frame");
            prop_assert_eq!(parse(&p.emit()), Ok(p.clone()));
            prop_assert!(p.to_string().contains(&m.to_string()));
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in vec(any::<u8>(), 0..400)) {
            if let Ok(m) = dhcp_parse(&b) {
                let _ = (m.to_string(), dhcp_emit(&m));
            }
            let _ = dhcp_info(&b);
        }

        #[test]
        fn damaged_messages_never_panic(
            m in message(),
            flips in vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut b = dhcp_emit(&m);
            for (i, x) in flips {
                let i = i.index(b.len());
                b[i] = x;
            }
            let keep = cut.index(b.len() + 1);
            for bytes in [&b[..], &b[..keep]] {
                if let Ok(m) = dhcp_parse(bytes) {
                    let _ = (m.to_string(), dhcp_emit(&m));
                }
            }
            let mut f = dhcp_frame(&hdr(), &m);
            let i = keep.min(f.len() - 1);
            f[i] ^= 0x5a;
            let _ = (dhcp_info(&f), parse(&f).map(|p| p.to_string()));
            let _ = dhcp_info(&f[..keep.min(f.len())]);
        }
    }
}
