//! The masks of `tests/oracle/README.md` ("What a comparison must mask"), rules 1 to 9, as
//! `tests/oracle/mask.py` implements them, in the same order. Both sides go through the same
//! functions; only the inputs differ (the recording's IDs, names and veths for the recorded
//! text, hnsim's own for hnsim's text), so that a mask can make two texts equal only when
//! they name the same things.

use super::fixture::IdRecord;
use regex::{Captures, NoExpand, Regex};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid pattern")
}

static HEX64: LazyLock<Regex> = LazyLock::new(|| re(r"\b[0-9a-f]{64}\b"));
static MAC: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b"));
static FIXED_MAC: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(00:00:00:00:00:00|ff:ff:ff:ff:ff:ff|33:33:00:00:00:[0-9a-f]{2}|01:00:5e:00:00:[0-9a-f]{2})$",
    )
});
static MULTICAST_ND: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b33:33:ff:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}\b"));
static LINK_LOCAL6: LazyLock<Regex> = LazyLock::new(|| re(r"\bfe80::[0-9a-f:]+"));
static ANY_VETH: LazyLock<Regex> = LazyLock::new(|| re(r"\bveth[0-9a-f]{7}\b"));

/// The fe80:: address the kernel derives from a MAC (modified EUI-64), as `ip` prints it.
fn eui64_link_local(mac: &str) -> Option<String> {
    let b: Vec<u16> = mac
        .split(':')
        .map(|x| u16::from_str_radix(x, 16).ok())
        .collect::<Option<_>>()?;
    if b.len() != 6 {
        return None;
    }
    let words = [
        ((b[0] ^ 0x02) << 8) | b[1],
        (b[2] << 8) | 0xFF,
        (0xFE << 8) | b[3],
        (b[4] << 8) | b[5],
    ];
    let words: Vec<String> = words.iter().map(|w| format!("{w:x}")).collect();
    Some(format!("fe80::{}", words.join(":")))
}

/// Whether `name` appears in `text` as a whole word of a command line (not inside a longer
/// name: `c1` is not typed by `c10` or `c1.n1`).
fn typed(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '.' || c == '-';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// What one side of one case says is random: IDs, generated names, veths, MACs (rules 1-4).
#[derive(Debug, Default)]
pub struct CaseMasks {
    /// (full ID, `<tag:name>`, `<tag12:name>`), in the order learned.
    ids: Vec<(String, String, String)>,
    /// Generated container names (rule 2), each with `<generated-name-N>`.
    generated_names: Vec<(Regex, String)>,
    veths: Vec<(Regex, String)>,
    kept_macs: BTreeSet<String>,
    kept_link_local: BTreeSet<String>,
}

impl CaseMasks {
    /// `ids`: every ID this side handed out, with its name; `lines`: the case's lines as
    /// typed; `veths`: host-side veth -> `<container>/<interface>`; `container_macs`: the
    /// MACs of the containers' endpoints at the end (not random on 20.10: kept).
    pub fn new(
        ids: &[IdRecord],
        lines: &[String],
        veths: &BTreeMap<String, String>,
        container_macs: &BTreeSet<String>,
    ) -> Self {
        let typed_names = lines.join(" ");
        let mut generated_names = Vec::new();
        let mut masked_ids = Vec::new();
        for rec in ids {
            let tag = rec.kind.tag();
            masked_ids.push((
                rec.id.clone(),
                format!("<{tag}:{}>", rec.name),
                format!("<{tag}12:{}>", rec.name),
            ));
            if rec.kind == super::fixture::IdKind::Container
                && !rec.name.is_empty()
                && !typed(&typed_names, &rec.name)
                && !generated_names.contains(&rec.name)
            {
                generated_names.push(rec.name.clone());
            }
        }
        generated_names.sort();
        let mut kept_macs: BTreeSet<String> =
            container_macs.iter().map(|m| m.to_lowercase()).collect();
        for line in lines {
            let lower = line.to_lowercase();
            kept_macs.extend(MAC.find_iter(&lower).map(|m| m.as_str().to_string()));
        }
        let kept_link_local = kept_macs
            .iter()
            .filter_map(|m| eui64_link_local(m))
            .collect();
        let word = |name: &str| re(&format!(r"\b{}\b", regex::escape(name)));
        CaseMasks {
            ids: masked_ids,
            generated_names: generated_names
                .iter()
                .enumerate()
                .map(|(i, name)| (word(name), format!("<generated-name-{i}>")))
                .collect(),
            veths: veths
                .iter()
                .map(|(veth, owner)| (word(veth), format!("<veth:{owner}>")))
                .collect(),
            kept_macs,
            kept_link_local,
        }
    }

    /// Rules 1 to 4 on one text.
    pub fn apply(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (full, tag, tag12) in &self.ids {
            if full.len() < 12 {
                continue;
            }
            text = text.replace(full.as_str(), tag).replace(&full[..12], tag12);
        }
        for (veth, owner) in &self.veths {
            text = veth.replace_all(&text, NoExpand(owner)).into_owned();
        }
        for (name, tag) in &self.generated_names {
            text = name.replace_all(&text, NoExpand(tag)).into_owned();
        }
        text = ANY_VETH.replace_all(&text, "<veth>").into_owned();
        text = HEX64.replace_all(&text, "<hex64>").into_owned();
        text = MAC
            .replace_all(&text, |c: &Captures| {
                let mac = &c[0];
                if self.kept_macs.contains(mac) || FIXED_MAC.is_match(mac) {
                    mac.to_string()
                } else {
                    "<mac>".to_string()
                }
            })
            .into_owned();
        text = MULTICAST_ND.replace_all(&text, "<mac>").into_owned();
        LINK_LOCAL6
            .replace_all(&text, |c: &Captures| {
                if self.kept_link_local.contains(&c[0]) {
                    c[0].to_string()
                } else {
                    "<fe80>".to_string()
                }
            })
            .into_owned()
    }
}

/// Rules that need nothing from the case, as (pattern, replacement), in `mask.py`'s order:
/// those before the embedded DNS server's ports, and those after.
type Rules = Vec<(Regex, &'static str)>;

fn rules(list: &[(&str, &'static str)]) -> Rules {
    list.iter().map(|(p, r)| (re(p), *r)).collect()
}

static BEFORE_DNS_PORTS: LazyLock<Rules> = LazyLock::new(|| {
    rules(&[
        // rule 5: ping round-trip times
        (r"time=\d+(\.\d+)? ms", "time=<t> ms"),
        (
            r"round-trip min/avg/max = [\d./]+ ms",
            "round-trip min/avg/max = <t> ms",
        ),
        // rule 5: iptables-save banners, docker inspect's Created, docker ps's Status
        (r"(?m)^(# Generated by .*?) on .*$", "${1} on <date>"),
        (r"(?m)^# Completed on .*$", "# Completed on <date>"),
        (r#""Created": "[^"]*""#, r#""Created": "<date>""#),
        (
            r"\bUp (Less than a second|About a minute|\d+ (seconds?|minutes?))",
            "Up <t>",
        ),
        (
            r"\bExited \((\d+)\) (Less than a second|About a minute|\d+ (seconds?|minutes?)) ago",
            "Exited (${1}) <t> ago",
        ),
        // rule 6: client source ports in busybox httpd's log lines
        (r"(?m)^(\[[0-9a-f:.]+\]):\d+:", "${1}:<port>:"),
    ])
});

static AFTER_DNS_PORTS: LazyLock<Rules> = LazyLock::new(|| {
    rules(&[
        // rule 6: conntrack's countdown and the client's ephemeral ports, ICMP ids
        (r"(?m)^(tcp|udp|icmp)(\s+\d+)\s+\d+ ", "${1}${2} <ttl> "),
        (r"\b(sport|dport)=(3[2-9]\d{3}|[4-6]\d{4})\b", "${1}=<eph>"),
        (r"\bid=\d+\b", "id=<id>"),
        // rule 7: interface indexes and netns ids
        (r"(?m)^\d+: ", "<idx>: "),
        (r"@if\d+", "@if<idx>"),
        (r"link-netnsid \d+", "link-netnsid <n>"),
        // rule 7: IPv6 duplicate-address detection still running when the command ran
        (r" tentative\b", ""),
        // rule 7: neighbour-cache timers and states
        (
            r" used \d+/\d+/\d+ probes \d+ \w+",
            " used <t> probes <n> <state>",
        ),
    ])
});

fn apply_rules(text: String, rules: &Rules) -> String {
    rules.iter().fold(text, |t, (pattern, replacement)| {
        pattern.replace_all(&t, *replacement).into_owned()
    })
}

/// The embedded DNS server's two random ports (rule 6): `127.0.0.11:<n>` and `--sport <n>
/// -j SNAT`, except port 53 itself.
fn mask_dns_ports(text: &str) -> String {
    static LISTEN: LazyLock<Regex> = LazyLock::new(|| re(r"127\.0\.0\.11:(\d+)"));
    static SNAT: LazyLock<Regex> = LazyLock::new(|| re(r"--sport (\d+) -j SNAT"));
    let text = LISTEN.replace_all(text, |c: &Captures| {
        if &c[1] == "53" {
            c[0].to_string()
        } else {
            "127.0.0.11:<port>".to_string()
        }
    });
    SNAT.replace_all(&text, |c: &Captures| {
        if &c[1] == "53" {
            c[0].to_string()
        } else {
            "--sport <port> -j SNAT".to_string()
        }
    })
    .into_owned()
}

/// Rules 5 to 7: times, ports the kernel picks, kernel counters of objects.
pub fn mask_common(text: &str) -> String {
    let text = apply_rules(text.to_string(), &BEFORE_DNS_PORTS);
    apply_rules(mask_dns_ports(&text), &AFTER_DNS_PORTS)
}

/// The oracle's own egress guard (rule 8), when hnsim cannot install it: every line naming
/// it goes, on both sides.
pub fn drop_guard_lines(text: &str) -> String {
    text.split_inclusive('\n')
        .filter(|l| !l.contains("docker-oracle-egress-guard"))
        .collect()
}

/// Rule 9: busybox nslookup prints the A and AAAA answers as they arrive and the embedded DNS
/// shuffles several addresses: the answer blocks, and the records in each, compare as sets.
pub fn normalize_nslookup(text: &str) -> String {
    if !text.starts_with("Server:") {
        return text.to_string();
    }
    let Some((head, rest)) = text.split_once("\n\n") else {
        return text.to_string();
    };
    let blocks: Vec<&str> = rest
        .split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .collect();
    let mut norm: Vec<String> = blocks
        .iter()
        .map(|b| {
            let lines: Vec<&str> = b.split('\n').collect();
            let (title, records) = (lines[0], &lines[1..]);
            let mut pairs: Vec<String> = records.chunks(2).map(|p| p.join("\n")).collect();
            pairs.sort();
            std::iter::once(title.to_string())
                .chain(pairs)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    norm.sort();
    let tail = if blocks.is_empty() { "" } else { "\n\n" };
    format!("{head}\n\n{}{tail}", norm.join("\n\n"))
}

/// `value` with every object's keys sorted, all the way down.
pub fn sorted_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, sorted_json(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_json).collect()),
        other => other.clone(),
    }
}

/// Rule 9: docker's JSON outputs (maps keyed by random IDs) compare as JSON with sorted keys.
pub fn normalize_json(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => {
            let pretty = serde_json::to_string_pretty(&sorted_json(&v)).expect("JSON prints");
            format!("{pretty}\n")
        }
        Err(_) => text.to_string(),
    }
}

/// One stream of one step, masked as `mask.py`'s `mask_step` does.
pub fn mask_stream(text: &str, masks: &CaseMasks, is_stdout: bool, drop_guard: bool) -> String {
    let mut text = mask_common(&masks.apply(text));
    if drop_guard {
        text = drop_guard_lines(&text);
    }
    if is_stdout {
        text = normalize_nslookup(&text);
        if text.trim_start().starts_with(['[', '{']) {
            text = normalize_json(&text);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::fixture::IdKind;

    fn masks() -> CaseMasks {
        let id = "ed520189cb00fd4840e7d6093179ea4f37d525fe908b8f6a83f23e8c7840cd23";
        CaseMasks::new(
            &[
                IdRecord {
                    id: id.into(),
                    kind: IdKind::Container,
                    name: "c1".into(),
                },
                IdRecord {
                    id: "a".repeat(64),
                    kind: IdKind::Container,
                    name: "cranky_panini".into(),
                },
            ],
            &["docker run -d --name c1 oracle/busybox".into()],
            &BTreeMap::from([("veth89d8987".to_string(), "c1/eth0".to_string())]),
            &BTreeSet::from(["02:42:ac:11:00:02".to_string()]),
        )
    }

    #[test]
    fn ids_names_veths_and_random_macs_are_masked_container_macs_kept() {
        let m = masks();
        let text = "ed520189cb00fd4840e7d6093179ea4f37d525fe908b8f6a83f23e8c7840cd23 ed520189cb00 \
                    cranky_panini veth89d8987 veth0000001 02:42:ac:11:00:02 02:42:7f:00:11:22 \
                    ff:ff:ff:ff:ff:ff fe80::42:acff:fe11:2 fe80::42:7fff:fe00:1122";
        assert_eq!(
            m.apply(text),
            "<ctr:c1> <ctr12:c1> <generated-name-0> <veth:c1/eth0> <veth> 02:42:ac:11:00:02 \
             <mac> ff:ff:ff:ff:ff:ff fe80::42:acff:fe11:2 <fe80>"
        );
    }

    #[test]
    fn times_ports_and_indexes_are_masked_but_port_53_is_not() {
        let text = "64 bytes from 172.17.0.3: seq=0 ttl=64 time=0.101 ms\n\
                    # Generated by iptables-save v1.8.9 on Mon Jan  1 00:00:00 2024\n\
                    861: eth0@if862: <BROADCAST>\n\
                    udp 0 127.0.0.11:42199 0.0.0.0:* \n127.0.0.11:53\n\
                    -A X -p udp -m udp --sport 41000 -j SNAT --to-source :53\n\
                    tcp      6 431999 ESTABLISHED src=172.17.0.2 sport=43294 dport=80\n";
        assert_eq!(
            mask_common(text),
            "64 bytes from 172.17.0.3: seq=0 ttl=64 time=<t> ms\n\
             # Generated by iptables-save v1.8.9 on <date>\n\
             <idx>: eth0@if<idx>: <BROADCAST>\n\
             udp 0 127.0.0.11:<port> 0.0.0.0:* \n127.0.0.11:53\n\
             -A X -p udp -m udp --sport <port> -j SNAT --to-source :53\n\
             tcp      6 <ttl> ESTABLISHED src=172.17.0.2 sport=<eph> dport=80\n"
        );
    }

    #[test]
    fn nslookup_answers_and_json_keys_compare_as_sets() {
        let a = "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\n\
                 Name:\tweb\nAddress: 172.18.0.3\nName:\tweb\nAddress: 172.18.0.2\n\n\
                 Non-authoritative answer:\n\n";
        let b = "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\n\n\
                 Non-authoritative answer:\n\
                 Name:\tweb\nAddress: 172.18.0.2\nName:\tweb\nAddress: 172.18.0.3\n\n";
        assert_eq!(normalize_nslookup(a), normalize_nslookup(b));
        assert_ne!(
            normalize_nslookup(a),
            normalize_nslookup(&a.replace("172.18.0.3", "172.18.0.4"))
        );
        assert_eq!(
            normalize_json(r#"{"b": 1, "a": {"y": 2, "x": 3}}"#),
            normalize_json(r#"{"a": {"x": 3, "y": 2}, "b": 1}"#)
        );
    }

    #[test]
    fn guard_lines_go_only_when_asked() {
        let text =
            "-A DOCKER-USER -o eth0 -m comment --comment docker-oracle-egress-guard -j DROP\n\
                    -A DOCKER-USER -j RETURN\n";
        let m = CaseMasks::default();
        assert_eq!(
            mask_stream(text, &m, true, true),
            "-A DOCKER-USER -j RETURN\n"
        );
        assert_eq!(mask_stream(text, &m, true, false), text);
    }
}
