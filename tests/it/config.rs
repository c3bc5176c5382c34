//! `hnsim run --config`: what HNS compiled for every Windows driver on every Windows
//! version. Each matrix scenario runs with every host set to one version (as `hnsim matrix
//! --os` runs it) and its configuration section is pinned as a snapshot,
//! `config@<driver>-<year>`. The key rules are also asserted here, so that a regression that
//! empties the rulesets fails even if its snapshots were re-accepted.

use crate::common::{load_relative, repo_root};
use sim_core::control::version::WindowsVersion;
use sim_core::matrix;
use sim_core::sim::report;
use std::process::Command;

const DRIVERS: [&str; 5] = ["nat", "transparent", "l2bridge", "l2tunnel", "overlay"];

/// Where the report's configuration section starts; the summary line ends it.
const SECTION: &str = "\ncompiled configuration (what HNS programmed, as plain data):\n";
const SUMMARY: &str = "\nsummary: ";

fn year(os: WindowsVersion) -> String {
    os.cli_name()
        .trim_start_matches("windows-server-")
        .to_string()
}

/// Runs `scenarios/matrix/<driver>.ron` on `os` with `--config` and returns the section.
fn config_dump(driver: &str, os: WindowsVersion) -> String {
    let mut loaded = load_relative(&format!("scenarios/matrix/{driver}.ron"));
    matrix::set_os(&mut loaded, os);
    let rep = report::run_with(&loaded, true);
    let label = format!("{driver} on {}", os.display_name());
    assert!(
        rep.failures.is_empty() && rep.limit_hit.is_none(),
        "{label} did not run clean: {:?} {:?}",
        rep.failures,
        rep.limit_hit
    );
    let start = rep
        .text
        .find(SECTION)
        .unwrap_or_else(|| panic!("{label}: no configuration section"))
        + SECTION.len();
    let end = rep.text[start..]
        .find(SUMMARY)
        .unwrap_or_else(|| panic!("{label}: no summary after the configuration"))
        + start;
    rep.text[start..end].to_string()
}

fn assert_has(dump: &str, label: &str, needles: &[&str]) {
    for n in needles {
        assert!(dump.contains(n), "{label}: the dump lacks {n:?}:\n{dump}");
    }
}

/// Whether some line satisfies `f`.
fn any_line(dump: &str, f: impl Fn(&str) -> bool) -> bool {
    dump.lines().map(str::trim_start).any(f)
}

/// The first word of the line after the first line that starts with `head` (the line after
/// an HNS object's header holds its address first).
fn first_word_after<'a>(dump: &'a str, label: &str, head: &str) -> &'a str {
    let mut lines = dump.lines().skip_while(|l| !l.starts_with(head)).skip(1);
    let next = lines
        .next()
        .unwrap_or_else(|| panic!("{label}: no {head:?} with a line after it:\n{dump}"));
    let words: Vec<&str> = next.split_whitespace().collect();
    match words.as_slice() {
        ["subnet", net, ..] => net,
        [addr, ..] => addr.split('/').next().unwrap_or(addr),
        [] => panic!("{label}: empty line after {head:?}"),
    }
}

/// The lines of every table whose `*` line starts with `first`, each up to its `COMMIT`.
fn tables<'a>(dump: &'a str, label: &str, first: &str) -> Vec<Vec<&'a str>> {
    let lines: Vec<&str> = dump.lines().map(str::trim_start).collect();
    let found: Vec<Vec<&str>> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with(first))
        .map(|(i, _)| {
            let len = lines[i..]
                .iter()
                .position(|l| *l == "COMMIT")
                .unwrap_or_else(|| panic!("{label}: table {first:?} never ends"));
            lines[i..i + len].to_vec()
        })
        .collect();
    assert!(!found.is_empty(), "{label}: no table {first:?}:\n{dump}");
    found
}

/// What every driver compiles on every version: each host's forwarding table with its
/// default refusal and the interface pairs it allows, WinNAT's connection tracking, and each
/// container compartment's firewall with the version's default.
fn check_common(dump: &str, label: &str, os: WindowsVersion) {
    let version = format!(" ({}):", os.display_name());
    let hosts: Vec<&str> = dump.lines().filter(|l| l.starts_with("host ")).collect();
    assert!(hosts.len() >= 2, "{label}: {hosts:?}");
    assert!(
        hosts.iter().all(|h| h.ends_with(&version)),
        "{label}: {hosts:?}"
    );
    let forwarding = tables(dump, label, "*filter forwarding");
    assert!(
        forwarding.len() >= 2,
        "{label}: a forwarding table per host"
    );
    for t in &forwarding {
        let text = t.join("\n");
        assert!(t[1].starts_with(":FORWARD DROP ["), "{label}:\n{text}");
        assert!(
            t.iter()
                .any(|l| l.starts_with("# policy of FORWARD: Windows forwards between")),
            "{label}:\n{text}"
        );
        assert!(
            t.iter()
                .any(|l| l.contains("-A HNS-ALLOW -i ") && l.ends_with("-j ACCEPT")),
            "{label}: the host allows no interface pair:\n{text}"
        );
    }
    assert_has(
        dump,
        label,
        &[
            "  conntrack: address-dependent filtering, ports 1024-65535 kept when free, one session per outside port, timeouts icmp 30s udp 120s/120s tcp 120s/1800s",
            "  interfaces:\n",
            "  routes:\n",
            "  ports:\n",
        ],
    );
    let default = if os == WindowsVersion::Server2016 {
        "# policy of INPUT: default inbound: block all (Windows Server 2016)"
    } else {
        "# policy of INPUT: default inbound: allow unsolicited TCP, UDP, ICMP and IGMP, block all else (Windows Server 1709 and later)"
    };
    let firewalls = tables(dump, label, "*filter \"Windows Firewall (compartment of ");
    let containers = dump
        .lines()
        .filter(|l| l.ends_with("(Container): IP stack"))
        .count();
    assert_eq!(
        firewalls.len(),
        containers,
        "{label}: a firewall per container"
    );
    for t in &firewalls {
        let text = t.join("\n");
        assert!(t[1].starts_with(":INPUT DROP ["), "{label}:\n{text}");
        assert!(t.contains(&default), "{label}:\n{text}");
        assert!(
            t.iter()
                .any(|l| l.contains(" -A INPUT ") && l.ends_with("-j ACCEPT")),
            "{label}: the firewall allows nothing:\n{text}"
        );
    }
}

/// What each driver compiles besides.
fn check_driver(dump: &str, label: &str, driver: &str, os: WindowsVersion) {
    match driver {
        "nat" => {
            // WinNAT: dynamic source NAT for the nat prefix, and c4's published port.
            let prefix = first_word_after(dump, label, "  network nat (NAT)");
            let masquerade = format!("-A POSTROUTING -s {prefix} -o Ethernet ! -i Ethernet");
            assert!(
                any_line(dump, |l| l.contains(&masquerade)
                    && l.ends_with("-j MASQUERADE")),
                "{label}: WinNAT does not masquerade {prefix}:\n{dump}"
            );
            let c4 = first_word_after(dump, label, "  endpoint c4 ");
            let dnat = format!("-j DNAT --to-destination {c4}:80");
            assert!(
                any_line(dump, |l| l.contains("-A PREROUTING -i Ethernet")
                    && l.contains("-p tcp --dport 8080")
                    && l.ends_with(&dnat)),
                "{label}: WinNAT has no static mapping to {c4}:80:\n{dump}"
            );
            assert_eq!(tables(dump, label, "*nat WinNAT").len(), 2, "{label}");
            assert_has(dump, label, &["    port mappings 8080/tcp -> 80\n"]);
        }
        "transparent" => {
            // Each transparent network has a NIC of its own, whose uplink carries its VLAN.
            assert_has(dump, label, &["(Transparent)"]);
            for (nic, vlan) in [("Ethernet", 10), ("Ethernet 2", 20)] {
                assert!(
                    any_line(dump, |l| l.starts_with(&format!("uplink ({nic}) "))
                        && l.ends_with(&format!("trunk native 1 allowed {vlan}"))),
                    "{label}: no uplink ({nic}) carrying VLAN {vlan}:
{dump}"
                );
            }
            assert!(
                any_line(dump, |l| l.starts_with("c1 (")
                    && l.contains(" access 10 ")
                    && l.contains(" pinned 00:15:5d:")),
                "{label}: c1's vSwitch port is not on VLAN 10 with its MAC pinned:\n{dump}"
            );
        }
        "l2bridge" => {
            assert_has(dump, label, &["(L2Bridge)", "  port policy VFP ("]);
            assert!(
                any_line(dump, |l| l.starts_with("c1 (")
                    && l.contains(" vlan 10 ")
                    && l.ends_with(" MAC rewrite")),
                "{label}: no MAC rewrite for c1:\n{dump}"
            );
            let refusal = "-A HNS-REFUSE -i \"vEthernet (p1)\" -o \"vEthernet (nat)\"";
            assert!(any_line(dump, |l| l.contains(refusal)), "{label}:\n{dump}");
        }
        "l2tunnel" => assert_has(
            dump,
            label,
            &[
                "(L2Tunnel)",
                "  port policy VFP (",
                "MAC rewrite, to the uplink (l2tunnel: all traffic of a goes to the physical host",
                "reflective relay",
                "admits every IPv4 frame",
            ],
        ),
        "overlay" => {
            assert_has(
                dump,
                label,
                &["(Overlay)", "VXLAN VNI 4097 from ", "      peer "],
            );
            if os == WindowsVersion::Server2016 {
                // No OutboundNAT: a second endpoint on nat takes the container outside.
                assert_has(dump, label, &["  endpoint gateway_"]);
                assert!(!dump.contains("VFP OutboundNAT"), "{label}");
            } else {
                let outbound = tables(dump, label, "*nat \"VFP OutboundNAT\"");
                assert!(
                    outbound.iter().flatten().any(|l| l
                        .contains("-A POSTROUTING -s 10.244.0.0/24 -o \"vEthernet (Ethernet)\"")
                        && l.ends_with("-j MASQUERADE")),
                    "{label}: no OutboundNAT rule:\n{outbound:#?}"
                );
            }
        }
        other => panic!("no checks for driver {other}"),
    }
}

#[test]
fn every_driver_on_every_version_shows_what_hns_compiled() {
    for driver in DRIVERS {
        for &os in WindowsVersion::all() {
            let dump = config_dump(driver, os);
            let label = format!("{driver}-{}", year(os));
            check_common(&dump, &label, os);
            check_driver(&dump, &label, driver, os);
            insta::assert_snapshot!(format!("config@{label}"), dump);
        }
    }
}

#[test]
fn the_dump_repeats_byte_for_byte() {
    for (driver, os) in [
        ("nat", WindowsVersion::Server2016),
        ("overlay", WindowsVersion::Server2022),
    ] {
        assert_eq!(config_dump(driver, os), config_dump(driver, os), "{driver}");
    }
}

/// The section the library builds is what `hnsim run --config` prints.
#[test]
fn run_config_prints_the_section() {
    let out = Command::new(env!("CARGO_BIN_EXE_hnsim"))
        .args(["run", "scenarios/matrix/nat.ron", "--config"])
        .current_dir(repo_root())
        .output()
        .expect("the hnsim binary runs");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    // The file's hosts run Windows Server 2022.
    let section = config_dump("nat", WindowsVersion::Server2022);
    assert!(
        stdout.contains(&format!("{SECTION}{section}{SUMMARY}")),
        "{stdout}"
    );
}

/// A vSwitch's own ruleset (VFP's NAT layers on an external vSwitch) is printed under the
/// switch, with the switch's port names and its connection-tracking profile.
#[test]
fn a_vswitch_shows_its_vfp_rules_with_its_port_names() {
    let rep = report::run_with(&load_relative("scenarios/l2bridge.ron"), true);
    assert!(rep.failures.is_empty(), "{:?}", rep.failures);
    let vswitch = rep
        .text
        .split("\n\n")
        .find(|block| block.starts_with("device win2/vSwitch(Ethernet) (VSwitch): switch"))
        .unwrap_or_else(|| panic!("no external vSwitch of win2:\n{}", rep.text));
    for needle in [
        "\n  conntrack: address-dependent filtering,",
        "\n  rules:\n",
        "\n    *nat \"VFP (win2/vSwitch(Ethernet)) NAT\"\n",
        "-A PREROUTING -i \"uplink (Ethernet)\" -d 192.168.1.22/32 -p tcp --dport 8080",
        "-j DNAT --to-destination 192.168.1.120:80\n",
        "\n    *nat \"VFP OutboundNAT\"\n",
        "-A POSTROUTING -s 192.168.1.120/32 -o \"uplink (Ethernet)\" ! -d 10.0.0.0/8,192.168.1.0/24",
        "-j SNAT --to-source 192.168.1.22\n",
        "\n  connections at the end (conntrack -L): ",
    ] {
        assert!(vswitch.contains(needle), "lacks {needle:?}:\n{vswitch}");
    }
}
