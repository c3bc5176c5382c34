//! The `-o` options of `docker network create` that the Windows drivers read, parsed with the
//! daemon's rules and words (reference section 2.2).
//!
//! Parsing follows Go: booleans through `strconv.ParseBool`, VLAN ids through
//! `strconv.ParseUint(v, 10, 32)`, and the strconv error text is what the daemon returns.
//! The windows driver returns those errors as they came: untyped (`ErrorKind::System`).

use crate::control::hns::{NetworkRequest, NetworkType};
use crate::docker::backend::Refusal;
use crate::docker::errdefs::ErrorKind;
use ipnetwork::Ipv4Network;
use std::net::Ipv4Addr;

pub const PREFIX: &str = "com.docker.network.windowsshim.";
pub const VXLANID_LIST: &str = "com.docker.network.driver.overlay.vxlanid_list";

/// Go's `strconv.ParseBool`.
pub fn parse_bool(v: &str) -> Result<bool, String> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {v:?}: invalid syntax")),
    }
}

/// Go's `strconv.ParseUint(v, 10, 32)`.
pub fn parse_u32(v: &str) -> Result<u32, String> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.ParseUint: parsing {v:?}: invalid syntax"));
    }
    v.parse::<u32>()
        .map_err(|_| format!("strconv.ParseUint: parsing {v:?}: value out of range"))
}

/// What the options did: the HNS request fields they set, and hnsim notes for options that
/// the real daemon accepts but that change nothing here.
#[derive(Debug, Default)]
pub struct Parsed {
    pub notes: Vec<String>,
    /// The VNIs of `vxlanid_list` (overlay).
    pub vnis: Vec<u32>,
}

/// Applies the driver options to `req`. Returns the daemon's error for a bad value.
pub fn apply(
    options: &[(String, String)],
    req: &mut NetworkRequest,
    outbound_nat_supported: bool,
) -> Result<Parsed, Refusal> {
    apply_options(options, req, outbound_nat_supported).map_err(|e| match e {
        OptionError::Untyped(msg) => Refusal::Daemon(ErrorKind::System, msg),
        // `types.InvalidParameterErrorf` in the windows driver (moby v28).
        OptionError::MacPool => Refusal::Daemon(
            ErrorKind::InvalidParameter,
            "invalid mac pool. You must specify both a start range and an end range".into(),
        ),
    })
}

/// Why an option was refused: the mac pool's typed error, or an untyped one (the strconv
/// errors, `AppendVNIList`'s and the OS build check's `fmt.Errorf`, hnsim's own).
enum OptionError {
    Untyped(String),
    MacPool,
}

impl From<String> for OptionError {
    fn from(msg: String) -> Self {
        OptionError::Untyped(msg)
    }
}

fn apply_options(
    options: &[(String, String)],
    req: &mut NetworkRequest,
    outbound_nat_supported: bool,
) -> Result<Parsed, OptionError> {
    let mut parsed = Parsed::default();
    let mut enable_outbound_nat = false;
    let mut exceptions = Vec::new();
    let overlay = req.ty == NetworkType::Overlay;
    for (k, v) in options {
        if k == VXLANID_LIST {
            if !overlay {
                parsed.notes.push(format!(
                    "hnsim note: option {k} is read only by the overlay driver; it has no effect here"
                ));
                continue;
            }
            // moby's `AppendVNIList`: `strconv.Atoi` on each comma-separated part, as typed.
            for part in v.split(',') {
                let vni = part
                    .parse::<u32>()
                    .map_err(|_| format!("invalid vxlan id value {part:?} passed"))?;
                parsed.vnis.push(vni);
            }
            continue;
        }
        let Some(key) = k.strip_prefix(PREFIX) else {
            parsed.notes.push(format!(
                "hnsim note: option {k}={v} is not read by the Windows drivers and has no effect"
            ));
            continue;
        };
        // The overlay driver reads only networkname, interface and hnsid (reference 2.2, 10).
        if overlay && !matches!(key, "networkname" | "interface" | "hnsid") {
            parsed.notes.push(format!(
                "hnsim note: option {k} is ignored by the Windows overlay driver (it reads only networkname, interface, hnsid and vxlanid_list); per-container --dns reaches overlay endpoints"
            ));
            continue;
        }
        match key {
            "interface" => req.adapter = Some(v.clone()),
            "vlanid" => {
                let n = parse_u32(v)?;
                if n != 0 {
                    req.vlan = Some(u16::try_from(n).ok().filter(|n| *n < 4095).ok_or_else(
                        || format!("hnsim: VLAN id {n} is outside 1-4094"),
                    )?);
                }
            }
            "dnsservers" => {
                for d in v.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                    match d.parse::<Ipv4Addr>() {
                        Ok(ip) => req.dns_servers.push(ip),
                        Err(_) => parsed.notes.push(format!(
                            "hnsim note: DNS server {d:?} is not an IPv4 address; HNS ignores it"
                        )),
                    }
                }
            }
            "enable_outboundnat" => enable_outbound_nat = parse_bool(v)?,
            "outboundnat_exceptions" => {
                for e in v.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                    let net = e
                        .parse::<Ipv4Network>()
                        .map_err(|_| format!("hnsim: outboundnat exception {e:?} is not an IPv4 prefix"))?;
                    exceptions.push(net);
                }
            }
            "macpool" => {
                if v.split(',').count() % 2 != 0 {
                    return Err(OptionError::MacPool);
                }
                parsed.notes.push(
                    "hnsim note: macpool is accepted; hnsim keeps HNS's own MAC pool".into(),
                );
            }
            "vsid" => {
                parse_u32(v)?;
                parsed.notes.push(
                    "hnsim note: vsid is passed to HNS as a VSID policy; it changes nothing outside overlay".into(),
                );
            }
            "disable_gatewaydns" => {
                parse_bool(v)?;
            }
            "networkname" | "hnsid" | "dnssuffix" | "routingdomain" => {}
            "sourcemac" => parsed.notes.push(
                "hnsim note: sourcemac is defined but never read by the daemon: it has no effect"
                    .into(),
            ),
            other => parsed.notes.push(format!(
                "hnsim note: option {PREFIX}{other} is not read by the Windows drivers and has no effect"
            )),
        }
    }
    if enable_outbound_nat {
        if !outbound_nat_supported {
            return Err(OptionError::Untyped(
                "Invalid network option. OutboundNat is not supported on this OS version".into(),
            ));
        }
        req.outbound_nat = Some(exceptions);
    } else if !exceptions.is_empty() {
        parsed.notes.push(
            "hnsim note: outboundnat_exceptions has no effect without enable_outboundnat=true"
                .into(),
        );
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_seed_options_set_vlan_and_dns() {
        let mut req = NetworkRequest::new(NetworkType::Transparent, "t");
        let o = opts(&[
            ("com.docker.network.windowsshim.vlanid", "7"),
            ("com.docker.network.windowsshim.dnsservers", "10.244.0.7"),
        ]);
        apply(&o, &mut req, true).unwrap();
        assert_eq!(req.vlan, Some(7));
        assert_eq!(req.dns_servers, vec![Ipv4Addr::new(10, 244, 0, 7)]);
    }

    #[test]
    fn bad_values_give_go_strconv_errors() {
        let mut req = NetworkRequest::new(NetworkType::L2Bridge, "b");
        let e = apply(
            &opts(&[(&format!("{PREFIX}vlanid"), "seven")]),
            &mut req,
            true,
        );
        assert_eq!(
            e.unwrap_err(),
            Refusal::Daemon(
                ErrorKind::System,
                "strconv.ParseUint: parsing \"seven\": invalid syntax".into()
            )
        );
        let e = apply(
            &opts(&[(&format!("{PREFIX}enable_outboundnat"), "yes")]),
            &mut req,
            true,
        );
        assert_eq!(
            e.unwrap_err().message(),
            "strconv.ParseBool: parsing \"yes\": invalid syntax"
        );
    }

    #[test]
    fn outbound_nat_takes_its_exceptions_and_is_refused_on_old_builds() {
        let o = opts(&[
            (&format!("{PREFIX}enable_outboundnat"), "true"),
            (&format!("{PREFIX}outboundnat_exceptions"), "10.244.10.0/24"),
        ]);
        let mut req = NetworkRequest::new(NetworkType::L2Bridge, "b");
        apply(&o, &mut req, true).unwrap();
        assert_eq!(
            req.outbound_nat,
            Some(vec!["10.244.10.0/24".parse().unwrap()])
        );
        let mut req = NetworkRequest::new(NetworkType::L2Bridge, "b");
        assert_eq!(
            apply(&o, &mut req, false).unwrap_err().message(),
            "Invalid network option. OutboundNat is not supported on this OS version"
        );
    }

    #[test]
    fn vxlanid_list_is_read_as_typed() {
        let mut req = NetworkRequest::new(NetworkType::Overlay, "o");
        let p = apply(&opts(&[(VXLANID_LIST, "4097,4098")]), &mut req, true).unwrap();
        assert_eq!(p.vnis, [4097, 4098]);
        for bad in ["4096,", " 4096", "x"] {
            let part = bad.split(',').find(|p| p.parse::<u32>().is_err()).unwrap();
            assert_eq!(
                apply(&opts(&[(VXLANID_LIST, bad)]), &mut req, true)
                    .unwrap_err()
                    .message(),
                format!("invalid vxlan id value {part:?} passed")
            );
        }
    }

    #[test]
    fn odd_mac_pool_is_refused() {
        let mut req = NetworkRequest::new(NetworkType::L2Bridge, "b");
        let e = apply(
            &opts(&[(&format!("{PREFIX}macpool"), "00-15-5D-00-00-00")]),
            &mut req,
            true,
        );
        let e = e.unwrap_err();
        assert!(e.message().starts_with("invalid mac pool."));
        assert_eq!(e.kind(), ErrorKind::InvalidParameter);
    }
}
