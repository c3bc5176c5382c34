//! Parser for the `docker ...` lines users paste into hnsim.
//!
//! The behaviour and the error texts follow the docker CLI 27.x (cobra +
//! spf13/pflag): flag syntax (`--name x`, `--name=x`, `-p80:80`, `-dit`,
//! `--rm=false`, `--`), non-interspersed flags for `run`/`create`/`exec`,
//! interspersed flags elsewhere, the argument-count checks of `cli/required.go`
//! and the client-side validation done before anything is sent to the daemon.
//!
//! Error messages are what the real `docker` prints on stderr, and exit codes
//! are the real ones: 125 for flag errors and for `run`/`create` option
//! validation, 1 for argument-count errors and other client errors, 0 where
//! the real CLI would print help.
//!
//! Words that the simulator does not model are still parsed (so that a valid
//! real-world line is not refused) and then ignored.

use super::ports::parse_publish;
pub use super::ports::PortSpec;
use std::fmt;
use std::net::IpAddr;

/// A parsed docker command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerCommand {
    NetworkCreate(NetworkCreate),
    NetworkLs {
        quiet: bool,
        filters: Vec<String>,
        no_trunc: bool,
        format: Option<String>,
    },
    NetworkInspect {
        networks: Vec<String>,
        format: Option<String>,
    },
    NetworkRm {
        networks: Vec<String>,
        force: bool,
    },
    NetworkConnect {
        network: String,
        container: String,
        ip: Option<String>,
        aliases: Vec<String>,
    },
    NetworkDisconnect {
        network: String,
        container: String,
        force: bool,
    },
    /// `docker run` / `docker container run`.
    Run(RunArgs),
    /// `docker create` / `docker container create`.
    Create(RunArgs),
    Start {
        containers: Vec<String>,
    },
    Stop {
        containers: Vec<String>,
    },
    Rm {
        containers: Vec<String>,
        force: bool,
    },
    /// `argv` is the command run inside the container.
    Exec {
        container: String,
        detach: bool,
        interactive: bool,
        tty: bool,
        argv: Vec<String>,
    },
    Ps {
        all: bool,
        quiet: bool,
    },
    Inspect {
        objects: Vec<String>,
        format: Option<String>,
    },
    SwarmInit {
        advertise_addr: Option<String>,
        listen_addr: Option<String>,
    },
    SwarmJoin {
        token: Option<String>,
        advertise_addr: Option<String>,
        remote: String,
    },
}

/// `docker network create`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkCreate {
    pub name: String,
    pub driver: Option<String>,
    pub subnets: Vec<String>,
    pub gateways: Vec<String>,
    pub ip_ranges: Vec<String>,
    pub aux_addresses: Vec<(String, String)>,
    /// `-o/--opt key=value`, in order of first appearance; a bare key gets
    /// `""`; a repeated key keeps its first position and takes the last value
    /// (the CLI stores them in a map).
    pub options: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub internal: bool,
    pub attachable: bool,
    pub ipv6: Option<bool>,
    pub ipv4: Option<bool>,
    pub ipam_driver: Option<String>,
    pub ipam_opts: Vec<(String, String)>,
    pub scope: Option<String>,
    pub config_only: bool,
    pub config_from: Option<String>,
    pub ingress: bool,
}

/// The options of `docker run` / `docker create` that hnsim models.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunArgs {
    pub name: Option<String>,
    pub network: Option<String>,
    pub ip: Option<String>,
    pub ip6: Option<String>,
    pub publish: Vec<PortSpec>,
    pub publish_all: bool,
    /// Validated and normalised as the CLI does (`net.IP.String()`).
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    pub isolation: Option<String>,
    pub detach: bool,
    pub interactive: bool,
    pub tty: bool,
    pub rm: bool,
    pub hostname: Option<String>,
    pub mac_address: Option<String>,
    pub network_aliases: Vec<String>,
    pub links: Vec<String>,
    pub env: Vec<String>,
    pub restart: Option<String>,
    pub image: String,
    pub command: Vec<String>,
}

/// What the real `docker` would print on stderr, and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub message: String,
    pub exit_code: i32,
}

impl CliError {
    fn new(message: impl Into<String>, exit_code: i32) -> Self {
        CliError {
            message: message.into(),
            exit_code,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

// ---------------------------------------------------------------------------
// Word splitting
// ---------------------------------------------------------------------------

/// Splits a line into words the way a POSIX shell would (without expansions):
/// blanks separate words, single quotes are literal, double quotes honour
/// `\"`, `\\`, `` \` ``, `\$` and backslash-newline, a backslash outside quotes
/// escapes the next character, adjacent parts join into one word, and an
/// unquoted `#` at the start of a word begins a comment.
pub fn split_words(line: &str) -> Result<Vec<String>, CliError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err(unterminated('\'')),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => cur.push(e),
                            Some('\n') => {}
                            Some(other) => {
                                cur.push('\\');
                                cur.push(other);
                            }
                            None => return Err(unterminated('"')),
                        },
                        Some(ch) => cur.push(ch),
                        None => return Err(unterminated('"')),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(ch) => {
                    in_word = true;
                    cur.push(ch);
                }
                None => {
                    return Err(CliError::new(
                        "syntax error: unexpected end of line after '\\'",
                        2,
                    ))
                }
            },
            other => {
                in_word = true;
                cur.push(other);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

fn unterminated(quote: char) -> CliError {
    CliError::new(
        format!("unexpected EOF while looking for matching `{quote}'"),
        2,
    )
}

// ---------------------------------------------------------------------------
// Go-compatible helpers
// ---------------------------------------------------------------------------

/// Go's `strconv.Quote` (as used by `%q`), close enough for error texts.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        push_escaped(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// Go's `%q` of a byte: a single-quoted character literal of that byte value.
fn go_quote_byte(b: u8) -> String {
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
fn parse_go_bool(s: &str) -> Result<bool, String> {
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
fn parse_go_int(s: &str) -> Result<i64, String> {
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
fn go_ip_string(s: &str) -> Option<String> {
    match s.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(v4.to_string()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Some(v4.to_string()),
            None => Some(v6.to_string()),
        },
    }
}

/// Go's `net.ParseCIDR`: the address and prefix length.
fn go_parse_cidr(s: &str) -> Result<(IpAddr, u8), String> {
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

fn cidr_contains(net: (IpAddr, u8), ip: IpAddr) -> bool {
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

/// pflag's string-slice parsing (one CSV record).
fn csv_fields(value: &str) -> Result<Vec<String>, String> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = value.chars().peekable();
    let mut col = 0usize;
    let mut at_field_start = true;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        col += c.len_utf8();
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    col += 1;
                    cur.push('"');
                } else {
                    quoted = false;
                    match chars.peek() {
                        None | Some(',') => {}
                        Some(_) => {
                            return Err(format!(
                                "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
                                col + 1
                            ))
                        }
                    }
                }
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut cur));
                at_field_start = true;
                continue;
            }
            '"' if at_field_start => quoted = true,
            '"' => {
                return Err(format!(
                    "parse error on line 1, column {col}: bare \" in non-quoted-field"
                ))
            }
            c => cur.push(c),
        }
        at_field_start = false;
    }
    if quoted {
        return Err(format!(
            "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
            col + 1
        ));
    }
    fields.push(cur);
    Ok(fields)
}

/// The CLI's `MapOpts.Set`: split on the first `=`; a repeated key is
/// overwritten (kept at its first position here).
fn map_set(map: &mut Vec<(String, String)>, value: &str) {
    let (k, v) = value.split_once('=').unwrap_or((value, ""));
    if let Some(entry) = map.iter_mut().find(|(key, _)| key == k) {
        entry.1 = v.to_string();
    } else {
        map.push((k.to_string(), v.to_string()));
    }
}

fn kv(value: &str) -> (String, String) {
    let (k, v) = value.split_once('=').unwrap_or((value, ""));
    (k.to_string(), v.to_string())
}

/// `opts.ValidateIPAddress`.
fn validate_ip_address(value: &str) -> Result<String, String> {
    go_ip_string(value.trim()).ok_or_else(|| format!("{value} is not an ip address"))
}

/// `opts.ValidateDNSSearch` (including the quirks of its regular expression:
/// an optional `:` at the start and before each `.`).
fn validate_dns_search(value: &str) -> Result<String, String> {
    let val = value.trim_matches(' ');
    if val == "." {
        return Ok(val.to_string());
    }
    let invalid = || format!("{val} is not a valid domain");
    if !val.bytes().any(|b| b.is_ascii_alphabetic()) {
        return Err(invalid());
    }
    let body = val.trim_end_matches(|c: char| c.is_ascii_whitespace());
    let body = body.strip_suffix('.').unwrap_or(body);
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    };
    let rest = body.strip_prefix(':').unwrap_or(body);
    let pieces: Vec<&str> = rest.split('.').collect();
    let last = pieces.len() - 1;
    // A `:` may end any label that is followed by a `.`.
    let ok = pieces.iter().enumerate().all(|(i, p)| {
        let p = if i < last {
            p.strip_suffix(':').unwrap_or(p)
        } else {
            p
        };
        label_ok(p)
    });
    if ok && body.len() < 255 {
        Ok(body.to_string())
    } else {
        Err(invalid())
    }
}

/// Go's `net.ParseMAC` accepts 6, 8 or 20 octets written as `xx:xx:..`,
/// `xx-xx-..` or `xxxx.xxxx.xxxx`.
fn valid_mac(s: &str) -> bool {
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

/// `opts.ValidateLink`.
fn validate_link(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("empty string specified for links".to_string());
    }
    if value.splitn(3, ':').count() > 2 {
        return Err(format!("bad format for links: {value}"));
    }
    Ok(())
}

/// `opts.FilterOpt.Set`.
fn validate_filter(value: &str) -> Result<(), String> {
    if !value.is_empty() && !value.contains('=') {
        return Err("bad format of filter (expected name=value)".to_string());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Commands and flags
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Bool,
    Value,
    Int,
}

#[derive(Debug)]
struct Flag {
    long: &'static str,
    short: Option<u8>,
    kind: Kind,
}

const fn fb(long: &'static str, short: Option<u8>) -> Flag {
    Flag {
        long,
        short,
        kind: Kind::Bool,
    }
}
const fn fv(long: &'static str, short: Option<u8>) -> Flag {
    Flag {
        long,
        short,
        kind: Kind::Value,
    }
}
const fn fi(long: &'static str, short: Option<u8>) -> Flag {
    Flag {
        long,
        short,
        kind: Kind::Int,
    }
}

impl Flag {
    /// How pflag names a flag in `invalid argument` errors.
    fn display(&self) -> String {
        match self.short {
            Some(s) => format!("-{}, --{}", s as char, self.long),
            None => format!("--{}", self.long),
        }
    }
}

const RUN_FLAGS: &[Flag] = &[
    // run-only
    fb("detach", Some(b'd')),
    fb("sig-proxy", None),
    fv("detach-keys", None),
    // run and create
    fv("name", None),
    fv("pull", None),
    fv("platform", None),
    fb("quiet", Some(b'q')),
    fb("help", None),
    fb("disable-content-trust", None),
    fv("attach", Some(b'a')),
    fv("device-cgroup-rule", None),
    fv("device", None),
    fv("gpus", None),
    fv("env", Some(b'e')),
    fv("env-file", None),
    fv("entrypoint", None),
    fv("group-add", None),
    fv("hostname", Some(b'h')),
    fv("domainname", None),
    fb("interactive", Some(b'i')),
    fv("label", Some(b'l')),
    fv("label-file", None),
    fb("read-only", None),
    fv("restart", None),
    fv("stop-signal", None),
    fi("stop-timeout", None),
    fv("sysctl", None),
    fb("tty", Some(b't')),
    fv("ulimit", None),
    fv("user", Some(b'u')),
    fv("workdir", Some(b'w')),
    fb("rm", None),
    fv("cap-add", None),
    fv("cap-drop", None),
    fb("privileged", None),
    fv("security-opt", None),
    fv("userns", None),
    fv("cgroupns", None),
    fv("add-host", None),
    fv("annotation", None),
    fv("dns", None),
    fv("dns-opt", None),
    fv("dns-option", None),
    fv("dns-search", None),
    fv("expose", None),
    fv("ip", None),
    fv("ip6", None),
    fv("link", None),
    fv("link-local-ip", None),
    fv("mac-address", None),
    fv("publish", Some(b'p')),
    fb("publish-all", Some(b'P')),
    fv("net", None),
    fv("network", None),
    fv("net-alias", None),
    fv("network-alias", None),
    fv("log-driver", None),
    fv("volume-driver", None),
    fv("log-opt", None),
    fv("storage-opt", None),
    fv("tmpfs", None),
    fv("volumes-from", None),
    fv("volume", Some(b'v')),
    fv("mount", None),
    fv("health-cmd", None),
    fv("health-interval", None),
    fi("health-retries", None),
    fv("health-timeout", None),
    fv("health-start-period", None),
    fv("health-start-interval", None),
    fb("no-healthcheck", None),
    fi("blkio-weight", None),
    fv("blkio-weight-device", None),
    fv("cidfile", None),
    fv("cpuset-cpus", None),
    fv("cpuset-mems", None),
    fi("cpu-count", None),
    fi("cpu-percent", None),
    fi("cpu-period", None),
    fi("cpu-quota", None),
    fi("cpu-rt-period", None),
    fi("cpu-rt-runtime", None),
    fi("cpu-shares", Some(b'c')),
    fv("cpus", None),
    fv("device-read-bps", None),
    fv("device-read-iops", None),
    fv("device-write-bps", None),
    fv("device-write-iops", None),
    fv("io-maxbandwidth", None),
    fi("io-maxiops", None),
    fv("kernel-memory", None),
    fv("memory", Some(b'm')),
    fv("memory-reservation", None),
    fv("memory-swap", None),
    fi("memory-swappiness", None),
    fb("oom-kill-disable", None),
    fi("oom-score-adj", None),
    fi("pids-limit", None),
    fv("cgroup-parent", None),
    fv("ipc", None),
    fv("isolation", None),
    fv("pid", None),
    fv("shm-size", None),
    fv("uts", None),
    fv("runtime", None),
    fb("init", None),
];
const RUN_ONLY: &[&str] = &["detach", "sig-proxy", "detach-keys"];

const NETWORK_CREATE_FLAGS: &[Flag] = &[
    fv("driver", Some(b'd')),
    fv("opt", Some(b'o')),
    fv("label", None),
    fb("internal", None),
    fb("ipv4", None),
    fb("ipv6", None),
    fb("attachable", None),
    fb("ingress", None),
    fv("scope", None),
    fb("config-only", None),
    fv("config-from", None),
    fv("ipam-driver", None),
    fv("subnet", None),
    fv("ip-range", None),
    fv("gateway", None),
    fv("aux-address", None),
    fv("ipam-opt", None),
];
const NETWORK_LS_FLAGS: &[Flag] = &[
    fv("filter", Some(b'f')),
    fv("format", None),
    fb("no-trunc", None),
    fb("quiet", Some(b'q')),
];
const NETWORK_INSPECT_FLAGS: &[Flag] = &[fv("format", Some(b'f')), fb("verbose", Some(b'v'))];
const FORCE_FLAGS: &[Flag] = &[fb("force", Some(b'f'))];
const NETWORK_CONNECT_FLAGS: &[Flag] = &[
    fv("ip", None),
    fv("ip6", None),
    fv("alias", None),
    fv("link", None),
    fv("link-local-ip", None),
    fv("driver-opt", None),
];
const START_FLAGS: &[Flag] = &[
    fb("attach", Some(b'a')),
    fv("checkpoint", None),
    fv("checkpoint-dir", None),
    fv("detach-keys", None),
    fb("interactive", Some(b'i')),
];
const STOP_FLAGS: &[Flag] = &[fv("signal", Some(b's')), fi("time", Some(b't'))];
const RM_FLAGS: &[Flag] = &[
    fb("force", Some(b'f')),
    fb("link", Some(b'l')),
    fb("volumes", Some(b'v')),
];
const EXEC_FLAGS: &[Flag] = &[
    fb("detach", Some(b'd')),
    fv("detach-keys", None),
    fv("env", Some(b'e')),
    fv("env-file", None),
    fb("interactive", Some(b'i')),
    fb("privileged", None),
    fb("tty", Some(b't')),
    fv("user", Some(b'u')),
    fv("workdir", Some(b'w')),
];
const PS_FLAGS: &[Flag] = &[
    fb("all", Some(b'a')),
    fv("filter", Some(b'f')),
    fv("format", None),
    fi("last", Some(b'n')),
    fb("latest", Some(b'l')),
    fb("no-trunc", None),
    fb("quiet", Some(b'q')),
    fb("size", Some(b's')),
];
const INSPECT_FLAGS: &[Flag] = &[
    fv("format", Some(b'f')),
    fb("size", Some(b's')),
    fv("type", None),
];
const CONTAINER_INSPECT_FLAGS: &[Flag] = &[fv("format", Some(b'f')), fb("size", Some(b's'))];
const SWARM_INIT_FLAGS: &[Flag] = &[
    fv("advertise-addr", None),
    fv("listen-addr", None),
    fb("force-new-cluster", None),
    fb("autolock", None),
    fv("availability", None),
    fv("data-path-addr", None),
    fi("data-path-port", None),
    fv("default-addr-pool", None),
    fi("default-addr-pool-mask-length", None),
    fv("dispatcher-heartbeat", None),
    fv("cert-expiry", None),
    fv("external-ca", None),
    fi("max-snapshots", None),
    fi("snapshot-interval", None),
    fi("task-history-limit", None),
];
const SWARM_JOIN_FLAGS: &[Flag] = &[
    fv("token", None),
    fv("advertise-addr", None),
    fv("listen-addr", None),
    fv("availability", None),
    fv("data-path-addr", None),
];
const ROOT_FLAGS: &[Flag] = &[
    fv("config", None),
    fv("context", Some(b'c')),
    fb("debug", Some(b'D')),
    fv("host", Some(b'H')),
    fv("log-level", Some(b'l')),
    fb("tls", None),
    fv("tlscacert", None),
    fv("tlscert", None),
    fv("tlskey", None),
    fb("tlsverify", None),
    fb("version", Some(b'v')),
];

/// A leaf command as cobra sees it.
struct Cmd {
    /// `cmd.CommandPath()`, e.g. `docker network create`.
    path: String,
    /// The part of `Use` after the name, e.g. `[OPTIONS] NETWORK`.
    usage: &'static str,
    short: &'static str,
    flags: &'static [Flag],
    exclude: &'static [&'static str],
    interspersed: bool,
    /// Whether the command defines `-h` itself (`run`/`create`: hostname);
    /// otherwise `-h` and `--help` ask for help.
    own_h: bool,
}

impl Cmd {
    fn new(path: &str, usage: &'static str, short: &'static str, flags: &'static [Flag]) -> Self {
        Cmd {
            path: path.to_string(),
            usage,
            short,
            flags,
            exclude: &[],
            interspersed: true,
            own_h: false,
        }
    }

    fn use_line(&self) -> String {
        format!("{} {}", self.path, self.usage)
    }

    fn flags(&self) -> impl Iterator<Item = &'static Flag> + '_ {
        self.flags
            .iter()
            .filter(move |f| !self.exclude.contains(&f.long))
    }

    fn long(&self, name: &str) -> Option<&'static Flag> {
        self.flags().find(|f| f.long == name)
    }

    fn short(&self, c: u8) -> Option<&'static Flag> {
        self.flags().find(|f| f.short == Some(c))
    }

    /// cobra's FlagErrorFunc as set up by the docker CLI.
    fn flag_error(&self, msg: impl fmt::Display) -> CliError {
        CliError::new(format!("{msg}\nSee '{} --help'.", self.path), 125)
    }

    /// The tail shared by the `cli/required.go` argument errors.
    fn args_error(&self, what: String) -> CliError {
        CliError::new(
            format!(
                "\"{}\" {what}.\nSee '{} --help'.\n\nUsage:  {}\n\n{}",
                self.path,
                self.path,
                self.use_line(),
                self.short
            ),
            1,
        )
    }

    fn exact_args(&self, n: usize, args: &[String]) -> Result<(), CliError> {
        if args.len() == n {
            return Ok(());
        }
        Err(self.args_error(format!("requires exactly {n} {}", plural(n))))
    }

    fn min_args(&self, n: usize, args: &[String]) -> Result<(), CliError> {
        if args.len() >= n {
            return Ok(());
        }
        Err(self.args_error(format!("requires at least {n} {}", plural(n))))
    }

    fn no_args(&self, args: &[String]) -> Result<(), CliError> {
        if args.is_empty() {
            return Ok(());
        }
        Err(self.args_error("accepts no arguments".to_string()))
    }

    /// What `--help` prints (on stdout, exit 0), shortened to usage and
    /// description.
    fn help(&self) -> CliError {
        CliError::new(
            format!("\nUsage:  {}\n\n{}", self.use_line(), self.short),
            0,
        )
    }

    /// `docker run`-style `reportError`: `docker: <msg>.` plus the hint.
    fn report_error(name: &str, msg: &str) -> CliError {
        let msg = msg.strip_suffix('.').unwrap_or(msg);
        CliError::new(format!("docker: {msg}.\nSee 'docker {name} --help'."), 125)
    }

    /// Runs pflag over `args`, handing each flag and its value, in order, to
    /// `apply`, which may reject the value (pflag's `invalid argument` error).
    /// Returns the positional arguments.
    fn parse(
        &self,
        args: &[String],
        apply: &mut dyn FnMut(&'static Flag, &str) -> Result<(), String>,
    ) -> Result<Vec<String>, CliError> {
        let mut positional = Vec::new();
        let mut help = false;
        let mut set = |flag: &'static Flag, value: &str, help: &mut bool| -> Result<(), CliError> {
            let checked = match flag.kind {
                Kind::Bool => parse_go_bool(value).map(|b| {
                    if flag.long == "help" && b {
                        *help = true;
                    }
                }),
                Kind::Int => parse_go_int(value).map(|_| ()),
                Kind::Value => Ok(()),
            };
            checked.and_then(|_| apply(flag, value)).map_err(|e| {
                self.flag_error(format!(
                    "invalid argument {} for {} flag: {e}",
                    go_quote(value),
                    go_quote(&flag.display())
                ))
            })
        };
        let mut i = 0;
        while i < args.len() {
            let s = &args[i];
            i += 1;
            if s.len() < 2 || !s.starts_with('-') {
                positional.push(s.clone());
                if !self.interspersed {
                    positional.extend(args[i..].iter().cloned());
                    break;
                }
                continue;
            }
            if s == "--" {
                positional.extend(args[i..].iter().cloned());
                break;
            }
            if let Some(name) = s.strip_prefix("--") {
                if name.starts_with('-') || name.starts_with('=') {
                    return Err(self.flag_error(format!("bad flag syntax: {s}")));
                }
                let (name, inline) = match name.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (name, None),
                };
                let Some(flag) = self.long(name) else {
                    if name == "help" {
                        return Err(self.help());
                    }
                    return Err(self.flag_error(format!("unknown flag: --{name}")));
                };
                let value = match inline {
                    Some(v) => v.to_string(),
                    None if flag.kind == Kind::Bool => "true".to_string(),
                    None if i < args.len() => {
                        i += 1;
                        args[i - 1].clone()
                    }
                    None => return Err(self.flag_error(format!("flag needs an argument: {s}"))),
                };
                set(flag, &value, &mut help)?;
                continue;
            }
            // A run of shorthands, e.g. -dit, -p80:80, -d=false.
            let mut rest = &s[1..];
            while !rest.is_empty() {
                let c = rest.as_bytes()[0];
                let char_len = rest.chars().next().map_or(1, char::len_utf8);
                let Some(flag) = self.short(c) else {
                    if c == b'h' && !self.own_h {
                        return Err(self.help());
                    }
                    return Err(self.flag_error(format!(
                        "unknown shorthand flag: {} in -{rest}",
                        go_quote_byte(c)
                    )));
                };
                let value;
                if rest.len() > 2 && rest.as_bytes()[1] == b'=' {
                    value = rest[2..].to_string();
                    rest = "";
                } else if flag.kind == Kind::Bool {
                    value = "true".to_string();
                    rest = &rest[char_len..];
                } else if rest.len() > 1 {
                    value = rest[1..].to_string();
                    rest = "";
                } else if i < args.len() {
                    value = args[i].clone();
                    i += 1;
                    rest = "";
                } else {
                    return Err(self.flag_error(format!(
                        "flag needs an argument: {} in -{rest}",
                        go_quote_byte(c)
                    )));
                }
                set(flag, &value, &mut help)?;
            }
        }
        if help {
            return Err(self.help());
        }
        Ok(positional)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "argument"
    } else {
        "arguments"
    }
}

fn not_supported(path: &str) -> CliError {
    CliError::new(
        format!("hnsim: '{path}' is a docker command the simulator does not model"),
        1,
    )
}

// ---------------------------------------------------------------------------
// Groups (commands with subcommands)
// ---------------------------------------------------------------------------

struct Group {
    path: &'static str,
    short: &'static str,
    subcommands: &'static [(&'static str, &'static str)],
}

const NETWORK_GROUP: Group = Group {
    path: "docker network",
    short: "Manage networks",
    subcommands: &[
        ("connect", "Connect a container to a network"),
        ("create", "Create a network"),
        ("disconnect", "Disconnect a container from a network"),
        (
            "inspect",
            "Display detailed information on one or more networks",
        ),
        ("ls", "List networks"),
        ("prune", "Remove all unused networks"),
        ("rm", "Remove one or more networks"),
    ],
};

const CONTAINER_GROUP: Group = Group {
    path: "docker container",
    short: "Manage containers",
    subcommands: &[
        (
            "attach",
            "Attach local standard input, output, and error streams to a running container",
        ),
        ("commit", "Create a new image from a container's changes"),
        (
            "cp",
            "Copy files/folders between a container and the local filesystem",
        ),
        ("create", "Create a new container"),
        (
            "diff",
            "Inspect changes to files or directories on a container's filesystem",
        ),
        ("exec", "Execute a command in a running container"),
        ("export", "Export a container's filesystem as a tar archive"),
        (
            "inspect",
            "Display detailed information on one or more containers",
        ),
        ("kill", "Kill one or more running containers"),
        ("logs", "Fetch the logs of a container"),
        ("ls", "List containers"),
        ("pause", "Pause all processes within one or more containers"),
        (
            "port",
            "List port mappings or a specific mapping for the container",
        ),
        ("prune", "Remove all stopped containers"),
        ("rename", "Rename a container"),
        ("restart", "Restart one or more containers"),
        ("rm", "Remove one or more containers"),
        ("run", "Create and run a new container from an image"),
        ("start", "Start one or more stopped containers"),
        (
            "stats",
            "Display a live stream of container(s) resource usage statistics",
        ),
        ("stop", "Stop one or more running containers"),
        ("top", "Display the running processes of a container"),
        (
            "unpause",
            "Unpause all processes within one or more containers",
        ),
        ("update", "Update configuration of one or more containers"),
        (
            "wait",
            "Block until one or more containers stop, then print their exit codes",
        ),
    ],
};

const SWARM_GROUP: Group = Group {
    path: "docker swarm",
    short: "Manage Swarm",
    subcommands: &[
        ("ca", "Display and rotate the root CA"),
        ("init", "Initialize a swarm"),
        ("join", "Join a swarm as a node and/or manager"),
        ("join-token", "Manage join tokens"),
        ("leave", "Leave the swarm"),
        ("unlock", "Unlock swarm"),
        ("unlock-key", "Manage the unlock key"),
        ("update", "Update the swarm"),
    ],
};

impl Group {
    /// cobra's usage text for a command with subcommands.
    fn usage(&self) -> String {
        let pad = self
            .subcommands
            .iter()
            .map(|(n, _)| n.len())
            .max()
            .unwrap_or(0)
            .max(11);
        let mut s = format!(
            "Usage:  {} COMMAND\n\n{}\n\nCommands:",
            self.path, self.short
        );
        for (name, short) in self.subcommands {
            s.push_str(&format!("\n  {name:<pad$} {short}"));
        }
        s.push_str(&format!(
            "\n\nRun '{} COMMAND --help' for more information on a command.",
            self.path
        ));
        s
    }

    /// `docker network` alone prints its help (on stderr) and exits 0.
    fn help(&self) -> CliError {
        CliError::new(format!("\n{}", self.usage()), 0)
    }

    /// `cli.NoArgs` on a command with subcommands: the usage, exit 1.
    fn unknown(&self) -> CliError {
        CliError::new(format!("\n{}", self.usage()), 1)
    }

    /// Flags given to the group itself (it has none but help).
    fn flag(&self, arg: &str) -> CliError {
        if arg == "--help" || arg == "-h" || arg.starts_with("--help=") {
            return self.help();
        }
        let msg = if let Some(name) = arg.strip_prefix("--") {
            let name = name.split('=').next().unwrap_or("");
            if name.starts_with('-') || arg.starts_with("--=") {
                format!("bad flag syntax: {arg}")
            } else {
                format!("unknown flag: --{name}")
            }
        } else {
            let c = arg.as_bytes()[1];
            if c == b'h' {
                return self.help();
            }
            format!("unknown shorthand flag: {} in {arg}", go_quote_byte(c))
        };
        CliError::new(
            format!("{msg}\nSee '{} --help'.\n\n{}", self.path, self.usage()),
            125,
        )
    }

    /// Picks the subcommand word: `Ok(Some(word, rest))`, or the error cobra
    /// gives when there is none.
    fn split<'a>(&self, args: &'a [String]) -> Result<(&'a str, &'a [String]), CliError> {
        match args.first() {
            None => Err(self.help()),
            Some(a) if a.len() > 1 && a.starts_with('-') && a != "--" => Err(self.flag(a)),
            Some(a) if a == "--" => match args.get(1) {
                None => Err(self.help()),
                Some(_) => Err(self.unknown()),
            },
            Some(a) => Ok((a.as_str(), &args[1..])),
        }
    }
}

// ---------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------

const OTHER_TOP_LEVEL: &[&str] = &[
    "attach",
    "build",
    "builder",
    "buildx",
    "checkpoint",
    "commit",
    "compose",
    "config",
    "context",
    "cp",
    "diff",
    "events",
    "export",
    "history",
    "image",
    "images",
    "import",
    "info",
    "kill",
    "load",
    "login",
    "logout",
    "logs",
    "manifest",
    "node",
    "pause",
    "plugin",
    "port",
    "pull",
    "push",
    "rename",
    "restart",
    "rmi",
    "save",
    "search",
    "secret",
    "service",
    "stack",
    "stats",
    "system",
    "tag",
    "top",
    "trust",
    "unpause",
    "update",
    "version",
    "volume",
    "wait",
];

/// Parses one `docker ...` line.
pub fn parse(line: &str) -> Result<DockerCommand, CliError> {
    let words = split_words(line)?;
    let Some(first) = words.first() else {
        return Err(CliError::new(
            "empty command line: expected 'docker ...'",
            1,
        ));
    };
    if first != "docker" && first != "docker.exe" {
        return Err(CliError::new(format!("{first}: command not found"), 127));
    }
    let args = &words[1..];

    // Global options, up to the first command (non-interspersed).
    let root = Cmd {
        interspersed: false,
        ..Cmd::new(
            "docker",
            "[OPTIONS] COMMAND",
            "A self-sufficient runtime for containers",
            ROOT_FLAGS,
        )
    };
    let mut version = false;
    let rest = root
        .parse(args, &mut |f, v| {
            if f.long == "version" && parse_go_bool(v) == Ok(true) {
                version = true;
            }
            Ok(())
        })
        .map_err(|mut e| {
            if e.exit_code == 125 {
                e.message.push_str(&format!(
                    "\n\nUsage:  {}\n\n{}",
                    root.use_line(),
                    root.short
                ));
            }
            e
        })?;
    if version {
        return Err(CliError::new("Docker version 27.5.1, build hnsim", 0));
    }
    let Some(cmd) = rest.first() else {
        return Err(root.help());
    };
    let sub = &rest[1..];
    match cmd.as_str() {
        "run" => parse_run("docker run", sub, true),
        "create" => parse_run("docker create", sub, false),
        "start" => parse_start("docker start", sub),
        "stop" => parse_stop("docker stop", sub),
        "rm" => parse_rm("docker rm", sub),
        "exec" => parse_exec("docker exec", sub),
        "ps" => parse_ps("docker ps", "[OPTIONS]", sub),
        "inspect" => parse_inspect(sub),
        "network" => parse_network(sub),
        "container" => parse_container(sub),
        "swarm" => parse_swarm(sub),
        other if OTHER_TOP_LEVEL.contains(&other) => Err(not_supported(&format!("docker {other}"))),
        other => Err(CliError::new(
            format!("docker: '{other}' is not a docker command.\nSee 'docker --help'"),
            1,
        )),
    }
}

fn parse_network(args: &[String]) -> Result<DockerCommand, CliError> {
    let (sub, rest) = NETWORK_GROUP.split(args)?;
    match sub {
        "create" => parse_network_create(rest),
        "ls" | "list" => {
            let cmd = Cmd::new(
                "docker network ls",
                "[OPTIONS]",
                "List networks",
                NETWORK_LS_FLAGS,
            );
            let (mut quiet, mut filters, mut no_trunc, mut format) =
                (false, Vec::new(), false, None);
            let pos = cmd.parse(rest, &mut |f, v| {
                match f.long {
                    "quiet" => quiet = parse_go_bool(v)?,
                    "no-trunc" => no_trunc = parse_go_bool(v)?,
                    "format" => format = Some(v.to_string()),
                    "filter" => {
                        validate_filter(v)?;
                        if !v.is_empty() {
                            filters.push(v.to_string());
                        }
                    }
                    _ => {}
                }
                Ok(())
            })?;
            cmd.no_args(&pos)?;
            Ok(DockerCommand::NetworkLs {
                quiet,
                filters,
                no_trunc,
                format,
            })
        }
        "inspect" => {
            let cmd = Cmd::new(
                "docker network inspect",
                "[OPTIONS] NETWORK [NETWORK...]",
                "Display detailed information on one or more networks",
                NETWORK_INSPECT_FLAGS,
            );
            let mut format = None;
            let networks = cmd.parse(rest, &mut |f, v| {
                if f.long == "format" {
                    format = Some(v.to_string());
                }
                Ok(())
            })?;
            cmd.min_args(1, &networks)?;
            Ok(DockerCommand::NetworkInspect { networks, format })
        }
        "rm" | "remove" => {
            let cmd = Cmd::new(
                "docker network rm",
                "NETWORK [NETWORK...]",
                "Remove one or more networks",
                FORCE_FLAGS,
            );
            let mut force = false;
            let networks = cmd.parse(rest, &mut |_, v| {
                force = parse_go_bool(v)?;
                Ok(())
            })?;
            cmd.min_args(1, &networks)?;
            Ok(DockerCommand::NetworkRm { networks, force })
        }
        "connect" => {
            let cmd = Cmd::new(
                "docker network connect",
                "[OPTIONS] NETWORK CONTAINER",
                "Connect a container to a network",
                NETWORK_CONNECT_FLAGS,
            );
            let (mut ip, mut aliases) = (None, Vec::new());
            let pos = cmd.parse(rest, &mut |f, v| {
                match f.long {
                    "ip" => ip = Some(v.to_string()),
                    "alias" => aliases.extend(csv_fields(v)?),
                    "link" => validate_link(v)?,
                    _ => {}
                }
                Ok(())
            })?;
            cmd.exact_args(2, &pos)?;
            Ok(DockerCommand::NetworkConnect {
                network: pos[0].clone(),
                container: pos[1].clone(),
                ip,
                aliases,
            })
        }
        "disconnect" => {
            let cmd = Cmd::new(
                "docker network disconnect",
                "[OPTIONS] NETWORK CONTAINER",
                "Disconnect a container from a network",
                FORCE_FLAGS,
            );
            let mut force = false;
            let pos = cmd.parse(rest, &mut |_, v| {
                force = parse_go_bool(v)?;
                Ok(())
            })?;
            cmd.exact_args(2, &pos)?;
            Ok(DockerCommand::NetworkDisconnect {
                network: pos[0].clone(),
                container: pos[1].clone(),
                force,
            })
        }
        "prune" => Err(not_supported("docker network prune")),
        _ => Err(NETWORK_GROUP.unknown()),
    }
}

fn parse_network_create(args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(
        "docker network create",
        "[OPTIONS] NETWORK",
        "Create a network",
        NETWORK_CREATE_FLAGS,
    );
    let mut nc = NetworkCreate::default();
    let pos = cmd.parse(args, &mut |f, v| {
        match f.long {
            "driver" => nc.driver = Some(v.to_string()),
            "opt" => map_set(&mut nc.options, v),
            "label" => nc.labels.push(kv(v)),
            "internal" => nc.internal = parse_go_bool(v)?,
            "ipv4" => nc.ipv4 = Some(parse_go_bool(v)?),
            "ipv6" => nc.ipv6 = Some(parse_go_bool(v)?),
            "attachable" => nc.attachable = parse_go_bool(v)?,
            "ingress" => nc.ingress = parse_go_bool(v)?,
            "scope" => nc.scope = Some(v.to_string()),
            "config-only" => nc.config_only = parse_go_bool(v)?,
            "config-from" => nc.config_from = Some(v.to_string()),
            "ipam-driver" => nc.ipam_driver = Some(v.to_string()),
            "subnet" => nc.subnets.extend(csv_fields(v)?),
            "ip-range" => nc.ip_ranges.extend(csv_fields(v)?),
            "gateway" => nc.gateways.extend(csv_fields(v)?),
            "aux-address" => map_set(&mut nc.aux_addresses, v),
            "ipam-opt" => map_set(&mut nc.ipam_opts, v),
            _ => {}
        }
        Ok(())
    })?;
    cmd.exact_args(1, &pos)?;
    nc.name = pos[0].clone();
    validate_ipam(&nc).map_err(|m| CliError::new(m, 1))?;
    Ok(DockerCommand::NetworkCreate(nc))
}

/// The checks of the CLI's `createIPAMConfig`, in its order.
fn validate_ipam(nc: &NetworkCreate) -> Result<(), String> {
    if nc.subnets.len() < nc.ip_ranges.len() || nc.subnets.len() < nc.gateways.len() {
        return Err("every ip-range or gateway must have a corresponding subnet".to_string());
    }
    let subnet_matches = |subnet: &str, data: &str| -> Result<bool, String> {
        let net = go_parse_cidr(subnet).map_err(|e| format!("invalid subnet: {e}"))?;
        let ip = if data.contains('/') {
            Some(go_parse_cidr(data)?.0)
        } else {
            data.parse::<IpAddr>().ok()
        };
        Ok(ip.is_some_and(|ip| cidr_contains(net, ip)))
    };
    let mut seen: Vec<&str> = Vec::new();
    for s in &nc.subnets {
        for k in &seen {
            let ok1 = subnet_matches(s, k)?;
            let ok2 = subnet_matches(k, s)?;
            if ok1 || ok2 {
                return Err(
                    "multiple overlapping subnet configuration is not supported".to_string()
                );
            }
        }
        seen.push(s);
    }
    let mut ranges: Vec<Option<&str>> = vec![None; nc.subnets.len()];
    for r in &nc.ip_ranges {
        let mut matched = false;
        for (i, s) in nc.subnets.iter().enumerate() {
            go_parse_cidr(r)?;
            if !subnet_matches(s, r)? {
                continue;
            }
            if let Some(prev) = ranges[i] {
                return Err(format!(
                    "cannot configure multiple ranges ({r}, {prev}) on the same subnet ({s})"
                ));
            }
            ranges[i] = Some(r);
            matched = true;
        }
        if !matched {
            return Err(format!("no matching subnet for range {r}"));
        }
    }
    let mut gateways: Vec<Option<&str>> = vec![None; nc.subnets.len()];
    for g in &nc.gateways {
        let mut matched = false;
        for (i, s) in nc.subnets.iter().enumerate() {
            if !subnet_matches(s, g)? {
                continue;
            }
            if let Some(prev) = gateways[i] {
                return Err(format!(
                    "cannot configure multiple gateways ({g}, {prev}) for the same subnet ({s})"
                ));
            }
            gateways[i] = Some(g);
            matched = true;
        }
        if !matched {
            return Err(format!("no matching subnet for gateway {g}"));
        }
    }
    for (_, a) in &nc.aux_addresses {
        let mut matched = false;
        for s in &nc.subnets {
            if subnet_matches(s, a)? {
                matched = true;
            }
        }
        if !matched {
            return Err(format!("no matching subnet for aux-address {a}"));
        }
    }
    Ok(())
}

fn parse_container(args: &[String]) -> Result<DockerCommand, CliError> {
    let (sub, rest) = CONTAINER_GROUP.split(args)?;
    match sub {
        "run" => parse_run("docker container run", rest, true),
        "create" => parse_run("docker container create", rest, false),
        "start" => parse_start("docker container start", rest),
        "stop" => parse_stop("docker container stop", rest),
        "rm" | "remove" => parse_rm("docker container rm", rest),
        "exec" => parse_exec("docker container exec", rest),
        "ls" | "list" | "ps" => parse_ps("docker container ls", "[OPTIONS]", rest),
        "inspect" => {
            let cmd = Cmd::new(
                "docker container inspect",
                "[OPTIONS] CONTAINER [CONTAINER...]",
                "Display detailed information on one or more containers",
                CONTAINER_INSPECT_FLAGS,
            );
            let mut format = None;
            let objects = cmd.parse(rest, &mut |f, v| {
                if f.long == "format" {
                    format = Some(v.to_string());
                }
                Ok(())
            })?;
            cmd.min_args(1, &objects)?;
            Ok(DockerCommand::Inspect { objects, format })
        }
        other if CONTAINER_GROUP.subcommands.iter().any(|(n, _)| *n == other) => {
            Err(not_supported(&format!("docker container {other}")))
        }
        _ => Err(CONTAINER_GROUP.unknown()),
    }
}

fn parse_swarm(args: &[String]) -> Result<DockerCommand, CliError> {
    let (sub, rest) = SWARM_GROUP.split(args)?;
    match sub {
        "init" => {
            let cmd = Cmd::new(
                "docker swarm init",
                "[OPTIONS]",
                "Initialize a swarm",
                SWARM_INIT_FLAGS,
            );
            let (mut advertise_addr, mut listen_addr) = (None, None);
            let pos = cmd.parse(rest, &mut |f, v| {
                match f.long {
                    "advertise-addr" => advertise_addr = Some(v.to_string()),
                    "listen-addr" => listen_addr = Some(v.to_string()),
                    _ => {}
                }
                Ok(())
            })?;
            cmd.no_args(&pos)?;
            Ok(DockerCommand::SwarmInit {
                advertise_addr,
                listen_addr,
            })
        }
        "join" => {
            let cmd = Cmd::new(
                "docker swarm join",
                "[OPTIONS] HOST:PORT",
                "Join a swarm as a node and/or manager",
                SWARM_JOIN_FLAGS,
            );
            let (mut token, mut advertise_addr) = (None, None);
            let pos = cmd.parse(rest, &mut |f, v| {
                match f.long {
                    "token" => token = Some(v.to_string()),
                    "advertise-addr" => advertise_addr = Some(v.to_string()),
                    _ => {}
                }
                Ok(())
            })?;
            cmd.exact_args(1, &pos)?;
            Ok(DockerCommand::SwarmJoin {
                token,
                advertise_addr,
                remote: pos[0].clone(),
            })
        }
        other if SWARM_GROUP.subcommands.iter().any(|(n, _)| *n == other) => {
            Err(not_supported(&format!("docker swarm {other}")))
        }
        _ => Err(SWARM_GROUP.unknown()),
    }
}

fn parse_start(path: &str, args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(
        path,
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Start one or more stopped containers",
        START_FLAGS,
    );
    let containers = cmd.parse(args, &mut |_, _| Ok(()))?;
    cmd.min_args(1, &containers)?;
    Ok(DockerCommand::Start { containers })
}

fn parse_stop(path: &str, args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(
        path,
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Stop one or more running containers",
        STOP_FLAGS,
    );
    let containers = cmd.parse(args, &mut |_, _| Ok(()))?;
    cmd.min_args(1, &containers)?;
    Ok(DockerCommand::Stop { containers })
}

fn parse_rm(path: &str, args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(
        path,
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Remove one or more containers",
        RM_FLAGS,
    );
    let mut force = false;
    let containers = cmd.parse(args, &mut |f, v| {
        if f.long == "force" {
            force = parse_go_bool(v)?;
        }
        Ok(())
    })?;
    cmd.min_args(1, &containers)?;
    Ok(DockerCommand::Rm { containers, force })
}

fn parse_exec(path: &str, args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd {
        interspersed: false,
        ..Cmd::new(
            path,
            "[OPTIONS] CONTAINER COMMAND [ARG...]",
            "Execute a command in a running container",
            EXEC_FLAGS,
        )
    };
    let (mut detach, mut interactive, mut tty) = (false, false, false);
    let pos = cmd.parse(args, &mut |f, v| {
        match f.long {
            "detach" => detach = parse_go_bool(v)?,
            "interactive" => interactive = parse_go_bool(v)?,
            "tty" => tty = parse_go_bool(v)?,
            _ => {}
        }
        Ok(())
    })?;
    cmd.min_args(2, &pos)?;
    Ok(DockerCommand::Exec {
        container: pos[0].clone(),
        detach,
        interactive,
        tty,
        argv: pos[1..].to_vec(),
    })
}

fn parse_ps(path: &str, usage: &'static str, args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(path, usage, "List containers", PS_FLAGS);
    let (mut all, mut quiet) = (false, false);
    let pos = cmd.parse(args, &mut |f, v| {
        match f.long {
            "all" => all = parse_go_bool(v)?,
            "quiet" => quiet = parse_go_bool(v)?,
            "filter" => validate_filter(v)?,
            _ => {}
        }
        Ok(())
    })?;
    cmd.no_args(&pos)?;
    Ok(DockerCommand::Ps { all, quiet })
}

fn parse_inspect(args: &[String]) -> Result<DockerCommand, CliError> {
    let cmd = Cmd::new(
        "docker inspect",
        "[OPTIONS] NAME|ID [NAME|ID...]",
        "Return low-level information on Docker objects",
        INSPECT_FLAGS,
    );
    let mut format = None;
    let objects = cmd.parse(args, &mut |f, v| {
        if f.long == "format" {
            format = Some(v.to_string());
        }
        Ok(())
    })?;
    cmd.min_args(1, &objects)?;
    Ok(DockerCommand::Inspect { objects, format })
}

/// Whether a `--network` value uses the advanced `name=...,alias=...` syntax
/// (the CLI's unanchored `\w+=\w+` test).
fn network_long_syntax(value: &str) -> bool {
    let b = value.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    (1..b.len().saturating_sub(1)).any(|i| b[i] == b'=' && word(b[i - 1]) && word(b[i + 1]))
}

fn parse_run(path: &str, args: &[String], is_run: bool) -> Result<DockerCommand, CliError> {
    let name = if is_run { "run" } else { "create" };
    let cmd = Cmd {
        exclude: if is_run { &[] } else { RUN_ONLY },
        interspersed: false,
        own_h: true,
        ..if is_run {
            Cmd::new(
                path,
                "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                "Create and run a new container from an image",
                RUN_FLAGS,
            )
        } else {
            Cmd::new(
                path,
                "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                "Create a new container",
                RUN_FLAGS,
            )
        }
    };
    let mut ra = RunArgs::default();
    let mut publish_raw: Vec<String> = Vec::new();
    let mut networks: Vec<String> = Vec::new();
    let pos = cmd.parse(args, &mut |f, v| {
        let s = || Some(v.to_string());
        match f.long {
            "name" => ra.name = s(),
            "net" | "network" => {
                if network_long_syntax(v) {
                    let mut target = String::new();
                    for field in csv_fields(v)? {
                        let Some((key, val)) = field.split_once('=').filter(|(k, _)| !k.is_empty())
                        else {
                            return Err(format!("invalid field {field}"));
                        };
                        let val = val.trim().to_string();
                        match key.trim().to_lowercase().as_str() {
                            "name" => target = val,
                            "alias" => ra.network_aliases.push(val),
                            "ip" => {
                                if networks.is_empty() {
                                    ra.ip = Some(val)
                                }
                            }
                            "ip6" => {
                                if networks.is_empty() {
                                    ra.ip6 = Some(val)
                                }
                            }
                            "mac-address" | "driver-opt" | "link-local-ip" => {}
                            other => return Err(format!("invalid field key {other}")),
                        }
                    }
                    networks.push(target);
                } else {
                    networks.push(v.to_string());
                }
            }
            "ip" => ra.ip = s(),
            "ip6" => ra.ip6 = s(),
            "publish" => publish_raw.push(v.to_string()),
            "publish-all" => ra.publish_all = parse_go_bool(v)?,
            "dns" => ra.dns.push(validate_ip_address(v)?),
            "dns-search" => ra.dns_search.push(validate_dns_search(v)?),
            "dns-opt" | "dns-option" => ra.dns_options.push(v.to_string()),
            "isolation" => ra.isolation = s(),
            "detach" => ra.detach = parse_go_bool(v)?,
            "interactive" => ra.interactive = parse_go_bool(v)?,
            "tty" => ra.tty = parse_go_bool(v)?,
            "rm" => ra.rm = parse_go_bool(v)?,
            "hostname" => ra.hostname = s(),
            "mac-address" => ra.mac_address = s(),
            "net-alias" | "network-alias" => ra.network_aliases.push(v.to_string()),
            "link" => {
                validate_link(v)?;
                ra.links.push(v.to_string());
            }
            "env" => ra.env.push(v.to_string()),
            "restart" => ra.restart = s(),
            _ => {}
        }
        Ok(())
    })?;
    cmd.min_args(1, &pos)?;
    ra.image = pos[0].clone();
    ra.command = pos[1..].to_vec();
    ra.network = networks.first().cloned();

    // The checks of the CLI's `parse()`, in its order.
    if let Some(mac) = &ra.mac_address {
        if !mac.is_empty() && !valid_mac(mac) {
            return Err(Cmd::report_error(
                name,
                &format!("{mac} is not a valid mac address"),
            ));
        }
    }
    for raw in &publish_raw {
        let spec = parse_publish(raw).map_err(|e| Cmd::report_error(name, &e))?;
        ra.publish.push(spec);
    }
    let mut restart_is_none = true;
    if let Some(policy) = ra.restart.as_deref().filter(|p| !p.is_empty()) {
        let (kind, count) = policy.split_once(':').unwrap_or((policy, ""));
        if policy.contains(':') && kind.is_empty() {
            return Err(Cmd::report_error(
                name,
                "invalid restart policy format: no policy provided before colon",
            ));
        }
        if !count.is_empty() && count.parse::<i64>().is_err() {
            return Err(Cmd::report_error(
                name,
                "invalid restart policy format: maximum retry count must be an integer",
            ));
        }
        restart_is_none = kind == "no";
    }
    if ra.rm && !restart_is_none {
        return Err(Cmd::report_error(
            name,
            "Conflicting options: --restart and --rm",
        ));
    }
    if networks.iter().any(|n| n.trim().is_empty()) {
        return Err(Cmd::report_error(name, "no name set for network"));
    }
    Ok(if is_run {
        DockerCommand::Run(ra)
    } else {
        DockerCommand::Create(ra)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(line: &str) -> DockerCommand {
        parse(line).unwrap_or_else(|e| panic!("{line}: {e:?}"))
    }

    fn err(line: &str) -> CliError {
        match parse(line) {
            Ok(c) => panic!("{line}: parsed as {c:?}"),
            Err(e) => e,
        }
    }

    fn run(line: &str) -> RunArgs {
        match ok(line) {
            DockerCommand::Run(r) => r,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn net_create(line: &str) -> NetworkCreate {
        match ok(line) {
            DockerCommand::NetworkCreate(n) => n,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    // -- the lines of the brief, verbatim ------------------------------------

    #[test]
    fn network_create_nat() {
        let n = net_create(r#"docker network create -d "nat" --subnet "10.244.0.0/24" my_nat"#);
        assert_eq!(
            n,
            NetworkCreate {
                name: "my_nat".into(),
                driver: Some("nat".into()),
                subnets: strs(&["10.244.0.0/24"]),
                ..Default::default()
            }
        );
    }

    #[test]
    fn network_create_transparent() {
        let n = net_create(
            r#"docker network create -d "transparent" --subnet 10.244.0.0/24 --gateway 10.244.0.1 -o com.docker.network.windowsshim.vlanid=7 -o com.docker.network.windowsshim.dnsservers="10.244.0.7" my_transparent"#,
        );
        assert_eq!(n.name, "my_transparent");
        assert_eq!(n.driver.as_deref(), Some("transparent"));
        assert_eq!(n.subnets, strs(&["10.244.0.0/24"]));
        assert_eq!(n.gateways, strs(&["10.244.0.1"]));
        assert_eq!(
            n.options,
            pairs(&[
                ("com.docker.network.windowsshim.vlanid", "7"),
                ("com.docker.network.windowsshim.dnsservers", "10.244.0.7"),
            ])
        );
    }

    #[test]
    fn network_create_overlay() {
        let n = net_create(
            r#"docker network create -d "overlay" --attachable --subnet "10.244.0.0/24" -o com.docker.network.windowsshim.dnsservers="168.63.129.16" -o com.docker.network.driver.overlay.vxlanid_list="4096" my_overlay"#,
        );
        assert_eq!(n.name, "my_overlay");
        assert_eq!(n.driver.as_deref(), Some("overlay"));
        assert!(n.attachable);
        assert_eq!(
            n.options,
            pairs(&[
                ("com.docker.network.windowsshim.dnsservers", "168.63.129.16"),
                ("com.docker.network.driver.overlay.vxlanid_list", "4096"),
            ])
        );
    }

    #[test]
    fn network_create_l2bridge() {
        let n = net_create(
            r#"docker network create -d "l2bridge" --subnet 10.244.0.0/24 --gateway 10.244.0.1 -o com.docker.network.windowsshim.vlanid=7 -o com.docker.network.windowsshim.dnsservers="10.244.0.7" my_l2bridge"#,
        );
        assert_eq!(n.name, "my_l2bridge");
        assert_eq!(n.driver.as_deref(), Some("l2bridge"));
        assert_eq!(n.gateways, strs(&["10.244.0.1"]));
        assert_eq!(n.options.len(), 2);
    }

    #[test]
    fn run_interactive_servercore() {
        let r = run(
            "docker run -it --network=my_nat mcr.microsoft.com/windows/servercore:ltsc2022 cmd",
        );
        assert!(r.interactive && r.tty && !r.detach);
        assert_eq!(r.network.as_deref(), Some("my_nat"));
        assert_eq!(r.image, "mcr.microsoft.com/windows/servercore:ltsc2022");
        assert_eq!(r.command, strs(&["cmd"]));
    }

    #[test]
    fn run_detached_iis() {
        let r = run("docker run -d --name web -p 8080:80 mcr.microsoft.com/windows/servercore/iis");
        assert!(r.detach);
        assert_eq!(r.name.as_deref(), Some("web"));
        assert_eq!(
            r.publish,
            vec![PortSpec {
                host_ip: None,
                host_port: Some((8080, 8080)),
                container_port: (80, 80),
                protocol: "tcp".into(),
                raw: "8080:80".into(),
            }]
        );
        assert_eq!(r.image, "mcr.microsoft.com/windows/servercore/iis");
        assert!(r.command.is_empty());
    }

    #[test]
    fn run_udp_hyperv_dns() {
        let r = run("docker run --rm -p 53:53/udp --isolation=hyperv --dns 8.8.8.8 img");
        assert!(r.rm);
        assert_eq!(r.publish[0].protocol, "udp");
        assert_eq!(r.publish[0].container_port, (53, 53));
        assert_eq!(r.isolation.as_deref(), Some("hyperv"));
        assert_eq!(r.dns, strs(&["8.8.8.8"]));
        assert_eq!(r.image, "img");
    }

    #[test]
    fn exec_ping() {
        assert_eq!(
            ok("docker exec web ping -n 1 db"),
            DockerCommand::Exec {
                container: "web".into(),
                detach: false,
                interactive: false,
                tty: false,
                argv: strs(&["ping", "-n", "1", "db"]),
            }
        );
    }

    #[test]
    fn network_inspect_ls_swarm() {
        assert_eq!(
            ok("docker network inspect my_nat"),
            DockerCommand::NetworkInspect {
                networks: strs(&["my_nat"]),
                format: None
            }
        );
        assert_eq!(
            ok("docker network ls"),
            DockerCommand::NetworkLs {
                quiet: false,
                filters: vec![],
                no_trunc: false,
                format: None
            }
        );
        assert_eq!(
            ok("docker swarm init --advertise-addr 10.0.0.11"),
            DockerCommand::SwarmInit {
                advertise_addr: Some("10.0.0.11".into()),
                listen_addr: None
            }
        );
        assert_eq!(
            ok("docker swarm join --token SWMTKN-1-abc 10.0.0.11:2377"),
            DockerCommand::SwarmJoin {
                token: Some("SWMTKN-1-abc".into()),
                advertise_addr: None,
                remote: "10.0.0.11:2377".into()
            }
        );
    }

    // -- flag syntax -----------------------------------------------------------

    #[test]
    fn flag_forms() {
        let r =
            run("docker run --name=x -p80:80 -p 81:81 --publish=82:82 --publish 83:83 -dit img");
        assert_eq!(r.name.as_deref(), Some("x"));
        assert_eq!(r.publish.len(), 4);
        assert!(r.detach && r.interactive && r.tty);
        let r = run("docker run -d=false --rm=true --tty=0 -i=T img");
        assert!(!r.detach && r.rm && !r.tty && r.interactive);
        let r = run("docker run -dp 8080:80 img");
        assert!(r.detach);
        assert_eq!(r.publish[0].host_port, Some((8080, 8080)));
        // `-h` is --hostname for run; --net, --net-alias and -P work too.
        let r = run("docker run -h host1 --net n1 --net-alias a --network-alias b -P img");
        assert_eq!(r.hostname.as_deref(), Some("host1"));
        assert_eq!(r.network.as_deref(), Some("n1"));
        assert_eq!(r.network_aliases, strs(&["a", "b"]));
        assert!(r.publish_all);
        // A string flag takes the next word even if it looks like a flag.
        assert_eq!(run("docker run --name -d img").name.as_deref(), Some("-d"));
    }

    #[test]
    fn run_stops_at_image() {
        let r = run("docker run img -d --name x");
        assert!(!r.detach);
        assert_eq!(r.name, None);
        assert_eq!(r.command, strs(&["-d", "--name", "x"]));
        let r = run("docker run -d -- img -- x");
        assert!(r.detach);
        assert_eq!(r.image, "img");
        assert_eq!(r.command, strs(&["--", "x"]));
        let r = run("docker container run --rm img cmd /c echo hi");
        assert_eq!(r.command, strs(&["cmd", "/c", "echo", "hi"]));
    }

    #[test]
    fn run_all_modelled_flags() {
        let r = run(
            "docker run --ip 10.0.0.5 --ip6 fd00::5 --dns-search corp.local --dns-option ndots:2 \
             --mac-address 00-15-5D-01-02-03 --link db:db -e A=1 --env B --restart always \
             --memory 1g --cpu-count 2 img",
        );
        assert_eq!(r.ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(r.ip6.as_deref(), Some("fd00::5"));
        assert_eq!(r.dns_search, strs(&["corp.local"]));
        assert_eq!(r.dns_options, strs(&["ndots:2"]));
        assert_eq!(r.mac_address.as_deref(), Some("00-15-5D-01-02-03"));
        assert_eq!(r.links, strs(&["db:db"]));
        assert_eq!(r.env, strs(&["A=1", "B"]));
        assert_eq!(r.restart.as_deref(), Some("always"));
        // Advanced --network syntax.
        let r = run("docker run --network name=n1,alias=web,ip=10.0.0.9 img");
        assert_eq!(r.network.as_deref(), Some("n1"));
        assert_eq!(r.network_aliases, strs(&["web"]));
        assert_eq!(r.ip.as_deref(), Some("10.0.0.9"));
    }

    #[test]
    fn create_and_aliases() {
        match ok("docker create --name c1 img") {
            DockerCommand::Create(r) => assert_eq!(r.name.as_deref(), Some("c1")),
            other => panic!("{other:?}"),
        }
        match ok("docker container create img") {
            DockerCommand::Create(r) => assert_eq!(r.image, "img"),
            other => panic!("{other:?}"),
        }
        // `create` has no -d.
        assert_eq!(
            err("docker create -d img").message,
            "unknown shorthand flag: 'd' in -d\nSee 'docker create --help'."
        );
        assert!(matches!(
            ok("docker network list"),
            DockerCommand::NetworkLs { .. }
        ));
        assert_eq!(
            ok("docker network remove a b"),
            DockerCommand::NetworkRm {
                networks: strs(&["a", "b"]),
                force: false
            }
        );
        assert_eq!(
            ok("docker rm -f web"),
            DockerCommand::Rm {
                containers: strs(&["web"]),
                force: true
            }
        );
        assert_eq!(
            ok("docker container rm web db"),
            DockerCommand::Rm {
                containers: strs(&["web", "db"]),
                force: false
            }
        );
        assert_eq!(
            ok("docker container ls -a"),
            DockerCommand::Ps {
                all: true,
                quiet: false
            }
        );
        assert_eq!(
            ok("docker ps -aq"),
            DockerCommand::Ps {
                all: true,
                quiet: true
            }
        );
        assert_eq!(
            ok("docker start a b"),
            DockerCommand::Start {
                containers: strs(&["a", "b"])
            }
        );
        assert_eq!(
            ok("docker stop -t 5 a"),
            DockerCommand::Stop {
                containers: strs(&["a"])
            }
        );
        assert_eq!(
            ok("docker inspect -f '{{.Id}}' web"),
            DockerCommand::Inspect {
                objects: strs(&["web"]),
                format: Some("{{.Id}}".into())
            }
        );
        assert_eq!(
            ok("docker network connect --ip 10.0.0.7 --alias a,b my_nat web"),
            DockerCommand::NetworkConnect {
                network: "my_nat".into(),
                container: "web".into(),
                ip: Some("10.0.0.7".into()),
                aliases: strs(&["a", "b"])
            }
        );
        assert_eq!(
            ok("docker network disconnect -f my_nat web"),
            DockerCommand::NetworkDisconnect {
                network: "my_nat".into(),
                container: "web".into(),
                force: true
            }
        );
        assert_eq!(
            ok("docker exec -it web cmd"),
            DockerCommand::Exec {
                container: "web".into(),
                detach: false,
                interactive: true,
                tty: true,
                argv: strs(&["cmd"])
            }
        );
        assert_eq!(
            ok("docker network ls -q --filter driver=nat --no-trunc --format '{{.Name}}'"),
            DockerCommand::NetworkLs {
                quiet: true,
                filters: strs(&["driver=nat"]),
                no_trunc: true,
                format: Some("{{.Name}}".into())
            }
        );
        // Global options before the command are accepted.
        assert!(matches!(
            ok("docker -H npipe:////./pipe/docker_engine ps"),
            DockerCommand::Ps { .. }
        ));
    }

    #[test]
    fn network_create_interspersed_and_opts() {
        let n = net_create(
            "docker network create my_net -d nat --subnet 10.1.0.0/16,10.2.0.0/16 -o a -o b=c=d \
             -o a=x --label k=v --internal --ipv6=false --ipam-driver windows \
             --aux-address h=10.1.0.9 --ip-range 10.1.1.0/24",
        );
        assert_eq!(n.name, "my_net");
        assert_eq!(n.subnets, strs(&["10.1.0.0/16", "10.2.0.0/16"]));
        assert_eq!(n.options, pairs(&[("a", "x"), ("b", "c=d")]));
        assert_eq!(n.labels, pairs(&[("k", "v")]));
        assert!(n.internal);
        assert_eq!(n.ipv6, Some(false));
        assert_eq!(n.ipv4, None);
        assert_eq!(n.ipam_driver.as_deref(), Some("windows"));
        assert_eq!(n.aux_addresses, pairs(&[("h", "10.1.0.9")]));
        assert_eq!(n.ip_ranges, strs(&["10.1.1.0/24"]));
        // `--` ends the flags.
        assert_eq!(net_create("docker network create -- -weird").name, "-weird");
    }

    // -- error texts -----------------------------------------------------------

    fn assert_err(line: &str, message: &str, exit_code: i32) {
        let e = err(line);
        assert_eq!(e.message, message, "message for {line}");
        assert_eq!(e.exit_code, exit_code, "exit code for {line}");
    }

    #[test]
    fn pflag_errors() {
        assert_err(
            "docker run --foo img",
            "unknown flag: --foo\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --foo=bar img",
            "unknown flag: --foo\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -z img",
            "unknown shorthand flag: 'z' in -z\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -dz img",
            "unknown shorthand flag: 'z' in -z\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --name",
            "flag needs an argument: --name\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -p",
            "flag needs an argument: 'p' in -p\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -dp",
            "flag needs an argument: 'p' in -p\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -d=x img",
            "invalid argument \"x\" for \"-d, --detach\" flag: strconv.ParseBool: parsing \"x\": invalid syntax\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --rm=yes img",
            "invalid argument \"yes\" for \"--rm\" flag: strconv.ParseBool: parsing \"yes\": invalid syntax\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --cpu-count x img",
            "invalid argument \"x\" for \"--cpu-count\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run ---x img",
            "bad flag syntax: ---x\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker container run --foo img",
            "unknown flag: --foo\nSee 'docker container run --help'.",
            125,
        );
        assert_err(
            "docker network create --foo x",
            "unknown flag: --foo\nSee 'docker network create --help'.",
            125,
        );
        assert_err(
            "docker network create -o",
            "flag needs an argument: 'o' in -o\nSee 'docker network create --help'.",
            125,
        );
        // Non-ASCII shorthand: pflag quotes the first byte.
        assert_err(
            "docker run -é img",
            "unknown shorthand flag: 'Ã' in -é\nSee 'docker run --help'.",
            125,
        );
    }

    #[test]
    fn value_validation_errors() {
        assert_err(
            "docker run --dns x img",
            "invalid argument \"x\" for \"--dns\" flag: x is not an ip address\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --dns-search -bad- img",
            "invalid argument \"-bad-\" for \"--dns-search\" flag: -bad- is not a valid domain\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --link a:b:c img",
            "invalid argument \"a:b:c\" for \"--link\" flag: bad format for links: a:b:c\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --network name=n,foo=bar img",
            "invalid argument \"name=n,foo=bar\" for \"--network\" flag: invalid field key foo\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker network ls -f x",
            "invalid argument \"x\" for \"-f, --filter\" flag: bad format of filter (expected name=value)\nSee 'docker network ls --help'.",
            125,
        );
        // Normalised like net.IP.String().
        assert_eq!(
            run("docker run --dns ' 8.8.4.4' img").dns,
            strs(&["8.8.4.4"])
        );
        assert_eq!(
            run("docker run --dns ::ffff:1.2.3.4 img").dns,
            strs(&["1.2.3.4"])
        );
    }

    #[test]
    fn run_report_errors() {
        assert_err(
            "docker run -p 8080:x img",
            "docker: invalid containerPort: x.\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -p x:80 img",
            "docker: invalid hostPort: x.\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -p 80:80/foo img",
            "docker: invalid proto: foo.\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker container create -p 80:80/foo img",
            "docker: invalid proto: foo.\nSee 'docker create --help'.",
            125,
        );
        assert_err(
            "docker run --mac-address zz img",
            "docker: zz is not a valid mac address.\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --rm --restart always img",
            "docker: Conflicting options: --restart and --rm.\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --restart on-failure:x img",
            "docker: invalid restart policy format: maximum retry count must be an integer.\nSee 'docker run --help'.",
            125,
        );
        // --rm with --restart=no is fine.
        assert!(run("docker run --rm --restart no img").rm);
        // Host IPs, host ranges and sctp are left for the daemon to judge.
        let r = run("docker run -p 127.0.0.1:8000-8010:80/sctp img");
        assert_eq!(r.publish[0].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(r.publish[0].host_port, Some((8000, 8010)));
    }

    #[test]
    fn arg_count_errors() {
        assert_err(
            "docker network create",
            "\"docker network create\" requires exactly 1 argument.\nSee 'docker network create --help'.\n\nUsage:  docker network create [OPTIONS] NETWORK\n\nCreate a network",
            1,
        );
        assert_err(
            "docker network create a b",
            "\"docker network create\" requires exactly 1 argument.\nSee 'docker network create --help'.\n\nUsage:  docker network create [OPTIONS] NETWORK\n\nCreate a network",
            1,
        );
        assert_err(
            "docker run",
            "\"docker run\" requires at least 1 argument.\nSee 'docker run --help'.\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image",
            1,
        );
        assert_err(
            "docker exec web",
            "\"docker exec\" requires at least 2 arguments.\nSee 'docker exec --help'.\n\nUsage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nExecute a command in a running container",
            1,
        );
        assert_err(
            "docker network ls x",
            "\"docker network ls\" accepts no arguments.\nSee 'docker network ls --help'.\n\nUsage:  docker network ls [OPTIONS]\n\nList networks",
            1,
        );
        assert_err(
            "docker network connect n",
            "\"docker network connect\" requires exactly 2 arguments.\nSee 'docker network connect --help'.\n\nUsage:  docker network connect [OPTIONS] NETWORK CONTAINER\n\nConnect a container to a network",
            1,
        );
        assert_err(
            "docker swarm join",
            "\"docker swarm join\" requires exactly 1 argument.\nSee 'docker swarm join --help'.\n\nUsage:  docker swarm join [OPTIONS] HOST:PORT\n\nJoin a swarm as a node and/or manager",
            1,
        );
        assert_err(
            "docker network list x",
            "\"docker network ls\" accepts no arguments.\nSee 'docker network ls --help'.\n\nUsage:  docker network ls [OPTIONS]\n\nList networks",
            1,
        );
    }

    #[test]
    fn unknown_commands() {
        assert_err(
            "docker foo",
            "docker: 'foo' is not a docker command.\nSee 'docker --help'",
            1,
        );
        let e = err("docker network foo");
        assert_eq!(e.exit_code, 1);
        assert!(e
            .message
            .starts_with("\nUsage:  docker network COMMAND\n\nManage networks\n\nCommands:\n  connect     Connect a container to a network\n"));
        assert!(e.message.ends_with(
            "\n\nRun 'docker network COMMAND --help' for more information on a command."
        ));
        assert_eq!(err("docker network").exit_code, 0);
        assert_eq!(err("docker run --help").exit_code, 0);
        assert_eq!(err("docker network create -h").exit_code, 0);
        assert_eq!(err("docker pull img").exit_code, 1);
        assert_eq!(err("kubectl get pods").exit_code, 127);
        assert_eq!(err("").exit_code, 1);
        assert_eq!(err("docker --foo ps").exit_code, 125);
    }

    #[test]
    fn ipam_errors() {
        assert_err(
            "docker network create --gateway 10.0.0.1 n",
            "every ip-range or gateway must have a corresponding subnet",
            1,
        );
        assert_err(
            "docker network create --subnet 10.0.0.0/24 --gateway 10.9.0.1 n",
            "no matching subnet for gateway 10.9.0.1",
            1,
        );
        assert_err(
            "docker network create --subnet 10.0.0.0/16 --subnet 10.0.1.0/24 n",
            "multiple overlapping subnet configuration is not supported",
            1,
        );
        assert_err(
            "docker network create --subnet x --gateway 10.0.0.1 n",
            "invalid subnet: invalid CIDR address: x",
            1,
        );
        assert_err(
            "docker network create --subnet 10.0.0.0/24 --ip-range 10.1.0.0/24 n",
            "no matching subnet for range 10.1.0.0/24",
            1,
        );
    }

    // -- word splitting -----------------------------------------------------------

    #[test]
    fn words() {
        let w = |s: &str| split_words(s).unwrap();
        assert_eq!(w("  a  b\tc "), strs(&["a", "b", "c"]));
        assert_eq!(w(r#"-o a="b c""#), strs(&["-o", "a=b c"]));
        assert_eq!(w(r#"'a "b' "c 'd""#), strs(&["a \"b", "c 'd"]));
        assert_eq!(w(r#""a\"b\\c\d""#), strs(&[r#"a"b\c\d"#]));
        assert_eq!(w(r"a\ b \'c"), strs(&["a b", "'c"]));
        assert_eq!(w(r#"x"y"'z'w"#), strs(&["xyzw"]));
        assert_eq!(w(r#""" ''"#), strs(&["", ""]));
        assert_eq!(w("a \\\nb"), strs(&["a", "b"]));
        assert_eq!(w("a # comment"), strs(&["a"]));
        assert_eq!(w("a#b"), strs(&["a#b"]));
        assert_eq!(w(""), Vec::<String>::new());
        assert_eq!(w("héllo 'wörld'"), strs(&["héllo", "wörld"]));
        for bad in ["'abc", "\"abc", "a\"b", "\"a\\\"", "a\\"] {
            let e = split_words(bad).unwrap_err();
            assert_eq!(e.exit_code, 2, "{bad}");
        }
        assert_eq!(
            split_words("'abc").unwrap_err().message,
            "unexpected EOF while looking for matching `''"
        );
        assert_eq!(
            split_words("\"abc").unwrap_err().message,
            "unexpected EOF while looking for matching `\"'"
        );
    }

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
        assert_eq!(validate_dns_search("corp.local."), Ok("corp.local".into()));
        assert_eq!(validate_dns_search("."), Ok(".".into()));
        assert!(validate_dns_search("123").is_err());
        assert!(validate_dns_search("a..b").is_err());
        assert_eq!(
            csv_fields(r#"a,"b,c",d"#).unwrap(),
            strs(&["a", "b,c", "d"])
        );
        assert!(csv_fields(r#"a"b"#).is_err());
    }

    proptest! {
        #[test]
        fn split_words_never_panics(s in "\\PC*") {
            let _ = split_words(&s);
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = parse(&s);
            let _ = parse(&format!("docker {s}"));
            let _ = parse(&format!("docker run {s}"));
            let _ = parse(&format!("docker network create {s}"));
        }

        #[test]
        fn parse_never_panics_on_flag_soup(
            words in proptest::collection::vec(
                prop_oneof![
                    Just("-".to_string()), Just("--".to_string()), Just("-p".to_string()),
                    Just("-dit".to_string()), Just("--name".to_string()), Just("-h".to_string()),
                    Just("'".to_string()), Just("\"".to_string()), Just("=".to_string()),
                    Just("network".to_string()), Just("run".to_string()), Just("create".to_string()),
                    Just("exec".to_string()), Just("swarm".to_string()), Just("container".to_string()),
                    "[-=:/\\[\\]a-z0-9.,é\"' ]{0,12}",
                ],
                0..10,
            )
        ) {
            let _ = parse(&format!("docker {}", words.join(" ")));
        }

        #[test]
        fn publish_never_panics(s in "[-0-9:/\\[\\]a-z.=,]{0,24}") {
            let _ = parse_publish(&s);
        }

        #[test]
        fn quoted_words_round_trip(words in proptest::collection::vec("[^'\\x00]{0,8}", 1..5)) {
            let line = words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" ");
            prop_assert_eq!(split_words(&line).unwrap(), words);
        }
    }
}
