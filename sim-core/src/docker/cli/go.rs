//! The Go standard-library behaviour that the CLI's error texts and checks
//! depend on: `%q` quoting, `strconv.ParseBool` and `strconv.ParseInt`, and
//! `net.ParseIP`, `net.ParseCIDR` and `net.ParseMAC`.

use std::net::IpAddr;

/// Go's `strconv.Quote` (as used by `%q`), close enough for error texts.
pub(super) fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        push_escaped(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// Go's `%q` of a byte: a single-quoted character literal of that byte value.
pub(super) fn go_quote_byte(b: u8) -> String {
    let mut out = String::from("'");
    push_escaped(&mut out, char::from(b), '\'');
    out.push('\'');
    out
}

fn push_escaped(out: &mut String, c: char, quote: char) {
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        '\\' => out.push_str("\\\\"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if !is_go_printable(c) => {
            if (c as u32) < 0x10000 {
                out.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                out.push_str(&format!("\\U{:08x}", c as u32));
            }
        }
        c => out.push(c),
    }
}

/// An approximation of Go's `strconv.IsPrint`.
fn is_go_printable(c: char) -> bool {
    !(c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c as u32, 0xad | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x2064 | 0xfeff)
        || (0xe000..=0xf8ff).contains(&(c as u32))
        || (0xfff0..=0xfffb).contains(&(c as u32)))
}

/// Go's `strconv.ParseBool`.
pub(super) fn parse_go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            go_quote(s)
        )),
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` (base prefixes, `_` separators after a
/// prefix).
pub(super) fn parse_go_int(s: &str) -> Result<i64, String> {
    let syntax = || format!("strconv.ParseInt: parsing {}: invalid syntax", go_quote(s));
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    if digits.contains('_') && !prefixed {
        return Err(syntax());
    }
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(syntax());
    }
    match i128::from_str_radix(&digits, radix) {
        Ok(v) => {
            let v = if neg { -v } else { v };
            i64::try_from(v).map_err(|_| {
                format!(
                    "strconv.ParseInt: parsing {}: value out of range",
                    go_quote(s)
                )
            })
        }
        Err(_) => Err(format!(
            "strconv.ParseInt: parsing {}: value out of range",
            go_quote(s)
        )),
    }
}

/// Go's `net.ParseIP(...).String()`: `None` when not an IP address.
pub(super) fn go_ip_string(s: &str) -> Option<String> {
    match s.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(v4.to_string()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Some(v4.to_string()),
            None => Some(v6.to_string()),
        },
    }
}

/// Go's `net.ParseCIDR`: the address and prefix length.
pub(crate) fn go_parse_cidr(s: &str) -> Result<(IpAddr, u8), String> {
    let err = || format!("invalid CIDR address: {s}");
    let (addr, len) = s.split_once('/').ok_or_else(err)?;
    let ip: IpAddr = addr.parse().map_err(|_| err())?;
    if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    let bits: u8 = len.parse().map_err(|_| err())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if bits > max {
        return Err(err());
    }
    Ok((ip, bits))
}

pub(super) fn cidr_contains(net: (IpAddr, u8), ip: IpAddr) -> bool {
    fn masked(bytes: &[u8], bits: u8) -> Vec<u8> {
        bytes
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let start = (i * 8) as u32;
                let bits = bits as u32;
                if bits >= start + 8 {
                    *b
                } else if bits <= start {
                    0
                } else {
                    b & (0xffu8 << (8 - (bits - start)))
                }
            })
            .collect()
    }
    let v6_as_v4 = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    match (v6_as_v4(net.0), v6_as_v4(ip)) {
        (IpAddr::V4(n), IpAddr::V4(a)) => masked(&n.octets(), net.1) == masked(&a.octets(), net.1),
        (IpAddr::V6(n), IpAddr::V6(a)) => masked(&n.octets(), net.1) == masked(&a.octets(), net.1),
        _ => false,
    }
}

/// Go's `net.ParseMAC` accepts 6, 8 or 20 octets written as `xx:xx:..`,
/// `xx-xx-..` or `xxxx.xxxx.xxxx`.
pub(super) fn valid_mac(s: &str) -> bool {
    let b = s.trim().as_bytes();
    if b.len() < 14 {
        return false;
    }
    let hex2 = |x: &[u8]| x.iter().all(u8::is_ascii_hexdigit);
    let n;
    if b[2] == b':' || b[2] == b'-' {
        if !(b.len() + 1).is_multiple_of(3) {
            return false;
        }
        n = (b.len() + 1) / 3;
        let sep = b[2];
        for i in 0..n {
            let x = i * 3;
            if !hex2(&b[x..x + 2]) || (i + 1 < n && b[x + 2] != sep) {
                return false;
            }
        }
    } else if b[4] == b'.' {
        if !(b.len() + 1).is_multiple_of(5) {
            return false;
        }
        let groups = (b.len() + 1) / 5;
        n = 2 * groups;
        for i in 0..groups {
            let x = i * 5;
            if !hex2(&b[x..x + 4]) || (i + 1 < groups && b[x + 4] != b'.') {
                return false;
            }
        }
    } else {
        return false;
    }
    matches!(n, 6 | 8 | 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_helpers() {
        assert_eq!(go_quote("a\"b\\c\n\u{7f}é"), r#""a\"b\\c\n\x7fé""#);
        assert_eq!(go_quote_byte(b'z'), "'z'");
        assert_eq!(go_quote_byte(b'\''), r"'\''");
        assert_eq!(go_quote_byte(0xa0), r"'\u00a0'");
        assert_eq!(parse_go_int("0x10"), Ok(16));
        assert_eq!(parse_go_int("-12"), Ok(-12));
        assert!(parse_go_int("1_0").is_err());
        assert!(parse_go_int("99999999999999999999")
            .unwrap_err()
            .contains("out of range"));
        assert!(valid_mac("00:15:5d:01:02:03"));
        assert!(valid_mac("0015.5d01.0203"));
        assert!(!valid_mac("00:15:5d:01:02"));
        assert!(!valid_mac("00:15-5d:01:02:03"));
    }
}
