//! The value checks and map options of the docker CLI's `opts` package, as
//! the flags of several commands use them: `MapOpts`, `ValidateIPAddress`,
//! `ValidateDNSSearch`, `ValidateLink` and `FilterOpt`.

use super::go::go_ip_string;

/// The CLI's `MapOpts.Set`: split on the first `=`; a repeated key is
/// overwritten (kept at its first position here).
pub(super) fn map_set(map: &mut Vec<(String, String)>, value: &str) {
    let (k, v) = value.split_once('=').unwrap_or((value, ""));
    if let Some(entry) = map.iter_mut().find(|(key, _)| key == k) {
        entry.1 = v.to_string();
    } else {
        map.push((k.to_string(), v.to_string()));
    }
}

/// One `key=value` (a bare key gets `""`), kept in order with repeats, as
/// the CLI's list options keep `--label`.
pub(super) fn kv(value: &str) -> (String, String) {
    let (k, v) = value.split_once('=').unwrap_or((value, ""));
    (k.to_string(), v.to_string())
}

/// `opts.ValidateIPAddress`.
pub(super) fn validate_ip_address(value: &str) -> Result<String, String> {
    go_ip_string(value.trim()).ok_or_else(|| format!("{value} is not an ip address"))
}

/// `opts.ValidateDNSSearch` (including the quirks of its regular expression:
/// an optional `:` at the start and before each `.`).
pub(super) fn validate_dns_search(value: &str) -> Result<String, String> {
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

/// `opts.ValidateLink`.
pub(super) fn validate_link(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("empty string specified for links".to_string());
    }
    if value.splitn(3, ':').count() > 2 {
        return Err(format!("bad format for links: {value}"));
    }
    Ok(())
}

/// `opts.FilterOpt.Set`.
pub(super) fn validate_filter(value: &str) -> Result<(), String> {
    if !value.is_empty() && !value.contains('=') {
        return Err("bad format of filter (expected name=value)".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn dns_search_validation() {
        assert_eq!(validate_dns_search("corp.local."), Ok("corp.local".into()));
        assert_eq!(validate_dns_search("."), Ok(".".into()));
        assert!(validate_dns_search("123").is_err());
        assert!(validate_dns_search("a..b").is_err());
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
}
