//! Tests of the scenario loader: parsing, positions, validation, robustness.

use proptest::prelude::*;

use super::parse::Parsed;
use super::*;

const FULL: &str = include_str!("testdata/full.ron");

/// Line and column (1-based, in chars) of the first occurrence of `needle` in `text`.
fn pos_of(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in text"));
    let p = diag::LineIndex::new(text).pos(at);
    (p.line, p.col)
}

fn errors(text: &str) -> Vec<Diagnostic> {
    match load_str("t.ron", text) {
        Ok(_) => panic!("expected errors, the scenario loaded:\n{text}"),
        Err(d) => d,
    }
}

/// `FULL` with `from` replaced by `to` (which must occur exactly once).
fn full_with(from: &str, to: &str) -> String {
    assert_eq!(FULL.matches(from).count(), 1, "`{from}` must occur once");
    FULL.replace(from, to)
}

/// Asserts that `text` yields exactly one diagnostic, at the first occurrence of `at`, whose
/// message contains `msg`.
#[track_caller]
/// Like `assert_one_error` where the mistake has a true knock-on finding of its own (an
/// uncabled NIC is also reported at the fabric; a renamed image leaves a `docker run` of the
/// old name): the expected diagnostic is there, at its place, among at most `n`.
fn assert_error_among(text: &str, n: usize, at: &str, msg: &str) {
    let d = errors(text);
    assert!(
        d.len() <= n,
        "expected at most {n} diagnostics, got:\n{}",
        render(&d)
    );
    let pos = pos_of(text, at);
    assert!(
        d.iter()
            .any(|x| (x.line, x.column) == pos && x.message.contains(msg)),
        "`{msg}` not at {pos:?} in:\n{}",
        render(&d)
    );
}

fn assert_one_error(text: &str, at: &str, msg: &str) {
    let d = errors(text);
    assert_eq!(d.len(), 1, "expected one diagnostic, got:\n{}", render(&d));
    assert_eq!((d[0].line, d[0].column), pos_of(text, at), "{}", d[0]);
    assert!(d[0].message.contains(msg), "`{msg}` not in: {}", d[0]);
}

#[test]
fn full_scenario_loads_and_equals_ron() {
    let loaded = load_str("full.ron", FULL).unwrap_or_else(|d| panic!("{}", render(&d)));
    let ron_spec: ScenarioSpec = parse::ron_options().from_str(FULL).unwrap();
    assert_eq!(loaded.spec, ron_spec);
    // The piecewise parse (not only the safety net) agrees with ron.
    let parsed = parse::parse("full.ron", FULL).ok().unwrap();
    assert!(parsed.diags.is_empty());
    assert_eq!(parsed.spec, ron_spec);
    assert_eq!(loaded.file, "full.ron");
    assert_eq!(loaded.step_positions.len(), loaded.spec.steps.len());
    assert_eq!(loaded.step_positions[0], pos_of(FULL, "Note("));
    assert_eq!(loaded.step_positions[14], pos_of(FULL, "Reboot("));
}

#[test]
fn defaults_are_those_of_ron() {
    for text in [
        r#"(title: "t", fabric: ())"#,
        r#"ScenarioSpec(title: "t", fabric: FabricSpec(hosts: [(name: "h", nics: [])]),)"#,
        "(title: \"t\", limits: (), fabric: (links: [], externals: [(name: \"a\", interfaces: [])]), steps: [Probe(from: \"a\", to: \"10.0.0.1\")])",
        "#![enable(implicit_some)]\n(title: \"t\", fabric: (switches: [(name: \"s\")], externals: [(name: \"e\", interfaces: [(name: \"i\", address: \"10.0.0.2/24\")], gateway: \"10.0.0.1\")], links: [(a: \"e.i\", b: \"s\")]))",
    ] {
        let parsed = parse::parse("t.ron", text).ok().unwrap();
        assert!(parsed.diags.is_empty(), "{}", render(&parsed.diags));
        let ron_spec: ScenarioSpec = parse::ron_options().from_str(text).unwrap();
        assert_eq!(parsed.spec, ron_spec, "{text}");
        assert_eq!(load_str("t.ron", text).unwrap().spec, ron_spec);
    }
}

#[test]
fn three_independent_problems_are_all_reported() {
    let text = FULL
        .replace(
            r#"(name: "h2", nics"#,
            r#"(name: "h2", colour: "red", nics"#,
        )
        .replace(r#""203.0.113.1/24""#, r#""203.0.113.999/24""#)
        .replace("Reboot(host", "Reboto(host");
    let d = errors(&text);
    assert_eq!(d.len(), 3, "{}", render(&d));
    // Sorted by position: the router comes first, then the host, then the step.
    assert_eq!(
        (d[0].line, d[0].column),
        pos_of(&text, r#""203.0.113.999/24""#)
    );
    assert!(d[0].message.contains("203.0.113.999/24"), "{}", d[0]);
    assert_eq!((d[1].line, d[1].column), pos_of(&text, "colour"));
    assert!(d[1].message.contains("colour"), "{}", d[1]);
    assert_eq!((d[2].line, d[2].column), pos_of(&text, "Reboto"));
    assert!(d[2].message.contains("Reboto"), "{}", d[2]);
    assert_eq!(d[2].help.as_deref(), Some("did you mean `Reboot`?"));
}

#[test]
fn unknown_top_level_field() {
    let text = full_with("    seed: 42,", "    sede: 42,");
    assert_one_error(&text, "sede", "unknown field `sede` in `ScenarioSpec`");
    let d = errors(&text);
    assert_eq!(d[0].help.as_deref(), Some("did you mean `seed`?"));
}

#[test]
fn unknown_fabric_field() {
    assert_one_error(
        &full_with("        switches:", "        swiches:"),
        "swiches",
        "unknown field `swiches` in `FabricSpec`",
    );
}

#[test]
fn unknown_field_in_a_link_suggests_the_right_one() {
    let text = full_with("latency_us: 100", "latncy_us: 100");
    assert_one_error(&text, "latncy_us", "latncy_us");
    assert_eq!(
        errors(&text)[0].help.as_deref(),
        Some("did you mean `latency_us`?")
    );
}

#[test]
fn unknown_field_in_a_step_is_an_error() {
    assert_one_error(
        &full_with("Wait(ms: 1500)", "Wait(ms: 1500, until: 3)"),
        "until",
        "unknown field `until` in step `Wait`",
    );
}

#[test]
fn missing_title_is_reported_at_the_struct() {
    let text = full_with("    title: \"Everything\",\n", "");
    assert_one_error(&text, "ScenarioSpec(", "missing field `title`");
}

#[test]
fn missing_field_in_an_element() {
    let text = full_with(
        r#"(name: "h2", nics: [(name: "eth0", address: "10.0.0.12/24")])"#,
        r#"(name: "h2")"#,
    );
    let d = errors(&text);
    assert_eq!(d.len(), 1, "{}", render(&d));
    assert!(d[0].message.contains("nics"), "{}", d[0]);
    assert_eq!(d[0].line, pos_of(&text, r#"(name: "h2")"#).0);
}

#[test]
fn duplicate_field() {
    let text = full_with("    seed: 42,", "    seed: 42,\n    seed: 43,");
    assert_one_error(&text, "seed: 43", "duplicate field `seed`");
}

#[test]
fn trailing_text_after_the_scenario() {
    let text = format!("{FULL}\n)\n");
    let d = errors(&text);
    assert!(!d.is_empty());
    let text = format!("{FULL}\nextra");
    assert_one_error(&text, "extra", "after the end of the scenario");
}

#[test]
fn unbalanced_bracket_is_positioned() {
    let text = full_with("(name: \"sw1\"),", "(name: \"sw1\",");
    let d = errors(&text);
    assert!(!d.is_empty());
    for x in &d {
        assert!(x.line >= 1 && x.column >= 1);
    }
    assert!(
        d.iter()
            .any(|x| x.message.contains("`]`") || x.message.contains("`)`")),
        "{}",
        render(&d)
    );
}

/// A missing closing quote pairs the quotes of the following lines inside out: it is reported on
/// the line of the string that lacks it, and what else is wrong further down still is.
#[test]
fn a_missing_quote_is_reported_on_its_own_line() {
    let text = "(\n  title: \"oops,\n  seed: 7,\n  fabric: (switches: [(name: \"lan\")]),\n  sede: 1,\n)\n";
    let d = errors(text);
    let at: Vec<(usize, usize)> = d.iter().map(|x| (x.line, x.column)).collect();
    assert_eq!(at, [(2, 10), (5, 3)], "{}", render(&d));
    assert!(
        d[0].message.contains("runs on to the `\"` at line 4:30"),
        "{}",
        render(&d)
    );
}

#[test]
fn unterminated_string_is_positioned() {
    let text = "(\n  title: \"oops,\n  fabric: (),\n)\n";
    let d = errors(text);
    assert!(
        d.iter()
            .any(|x| (x.line, x.column) == (2, 10) && x.message.contains("not closed on its line")),
        "{}",
        render(&d)
    );
}

#[test]
fn syntax_error_inside_an_element_does_not_hide_others() {
    let text = full_with("(name: \"sw1\")", "(name: \"sw1\" \"x\")")
        .replace("Wait(ms: 1500)", "Wait(ms: -3)");
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{}", render(&d));
    assert_eq!((d[0].line, d[0].column), pos_of(&text, "\"x\""));
    assert_eq!(d[1].line, pos_of(&text, "Wait(").0);
}

#[test]
fn missing_comma_between_fields() {
    let text = full_with("    seed: 42,", "    seed: 42");
    let d = errors(&text);
    assert_eq!(d.len(), 1, "{}", render(&d));
    let (line, col) = pos_of(&text, "42\n");
    assert_eq!((d[0].line, d[0].column), (line, col + 2));
    assert_eq!(d[0].message, "expected `,` before the field `limits`");
}

#[test]
fn wrong_struct_name() {
    assert_one_error(
        &full_with("fabric: FabricSpec(", "fabric: Fabric("),
        "Fabric(",
        "expected struct `FabricSpec`",
    );
}

// ---- Semantic checks, each at its position. ----

#[test]
fn duplicate_node_names_across_kinds() {
    let text = full_with(
        "SwitchSpec(name: \"sw2\")]",
        "SwitchSpec(name: \"sw2\"), (name: \"r1\")]",
    );
    assert_one_error(
        &text,
        "\"r1\",",
        "duplicate node name `r1` (already used by a switch at line 8:",
    );
}

#[test]
fn bad_node_names() {
    let text = full_with("SwitchSpec(name: \"sw2\")", "SwitchSpec(name: \"sw 2\")");
    let d = errors(&text);
    assert!(
        d.iter()
            .any(|x| (x.line, x.column) == pos_of(&text, "\"sw 2\"")
                && x.message.contains("whitespace")),
        "{}",
        render(&d)
    );
    let text = full_with("(name: \"sw1\")", "(name: \"\")");
    let d = errors(&text);
    assert!(
        d.iter().any(|x| x.message.contains("must not be empty")),
        "{}",
        render(&d)
    );
    let text = full_with("(name: \"sw1\")", "(name: \"s.w\")");
    let d = errors(&text);
    assert!(
        d.iter()
            .any(|x| (x.line, x.column) == pos_of(&text, "\"s.w\"") && x.message.contains("`.`")),
        "{}",
        render(&d)
    );
}

#[test]
fn bad_addresses() {
    assert_one_error(
        &full_with("\"10.0.0.12/24\"", "\"10.0.0.12\""),
        "\"10.0.0.12\"",
        "needs a prefix length",
    );
    assert_one_error(
        &full_with("\"10.0.0.12/24\"", "\"10.0.0.0/24\""),
        "\"10.0.0.0/24\"",
        "network address",
    );
    assert_one_error(
        &full_with("\"10.0.0.12/24\"", "\"10.0.0.255/24\""),
        "\"10.0.0.255/24\"",
        "broadcast address",
    );
    assert_one_error(
        &full_with("\"10.0.0.12/24\"", "\"10.0.0.12/33\""),
        "\"10.0.0.12/33\"",
        "not an IPv4 prefix",
    );
    // /31 has no network or broadcast address.
    load_str(
        "t",
        &full_with("\"203.0.113.10/24\"", "\"203.0.113.10/31\"")
            .replace("Some(\"203.0.113.1\")", "Some(\"203.0.113.11\")"),
    )
    .unwrap();
}

#[test]
fn gateways_and_next_hops_must_be_connected() {
    assert_one_error(
        &full_with("gateway: Some(\"10.0.0.1\")", "gateway: Some(\"10.9.0.1\")"),
        "Some(\"10.9.0.1\")",
        "not in a connected subnet",
    );
    assert_one_error(
        &full_with("gateway: Some(\"10.0.0.1\")", "gateway: Some(\"gw\")"),
        "Some(\"gw\")",
        "not an IPv4 address",
    );
    assert_one_error(
        &full_with("via: \"203.0.113.2\"", "via: \"10.1.0.2\""),
        "\"10.1.0.2\"",
        "next hop `10.1.0.2` is not in a connected subnet",
    );
    assert_one_error(
        &full_with("to: \"198.51.100.0/24\"", "to: \"198.51.100/24\""),
        "\"198.51.100/24\"",
        "not an IPv4 prefix",
    );
}

#[test]
fn dns_and_daemon_settings() {
    assert_one_error(
        &full_with(
            "dns_servers: [\"203.0.113.10\"]",
            "dns_servers: [\"203.0.113.10\", \"dns1\"]",
        ),
        "\"dns1\"",
        "DNS server `dns1`",
    );
    assert_one_error(
        &full_with("dns: [\"8.8.8.8\"]", "dns: [\"8.8.8\"]"),
        "\"8.8.8\"",
        "daemon DNS server",
    );
    assert_one_error(
        &full_with(
            "(\"internet.example\", \"203.0.113.10\")",
            "(\"internet.example\", \"x\")",
        ),
        "\"x\")",
        "DNS record address",
    );
    assert_one_error(
        &full_with("Some(\"172.20.0.0/16\")", "Some(\"172.20.0.0/99\")"),
        "Some(\"172.20.0.0/99\")",
        "fixed_cidr",
    );
    assert_one_error(
        &full_with("bridge: Some(\"none\")", "bridge: Some(\"nat\")"),
        "Some(\"nat\")",
        "only accepted value is `\"none\"`",
    );
}

#[test]
fn interface_names_unique_per_node() {
    assert_one_error(
        &full_with(
            "(name: \"wan\", address: \"203.0.113.1/24\"),",
            "(name: \"wan\", address: \"203.0.113.1/24\"), (name: \"lan\", address: \"10.2.0.1/24\"),",
        ),
        "\"lan\", address: \"10.2",
        "duplicate interface name `lan`",
    );
}

/// `FULL` with one more link.
fn with_link(link: &str) -> String {
    full_with(
        "(a: \"r1.wan\", b: \"internet.eth0\"),",
        &format!("(a: \"r1.wan\", b: \"internet.eth0\"),\n            {link},"),
    )
}

#[test]
fn link_ends() {
    assert_one_error(
        &with_link("(a: \"internet\", b: \"sw2\")"),
        "\"internet\", b",
        "name one of its interfaces: `internet.eth0`",
    );
    assert_one_error(
        &with_link("(a: \"internet.eth1\", b: \"sw2\")"),
        "\"internet.eth1\"",
        "has no interface `eth1`; its interfaces are `internet.eth0`",
    );
    assert_one_error(
        &with_link("(a: \"nowhere\", b: \"sw2\")"),
        "\"nowhere\"",
        "there is no node `nowhere`",
    );
    assert_one_error(
        &with_link("(a: \"sw1.p1\", b: \"sw2\")"),
        "\"sw1.p1\"",
        "is a switch",
    );
    // An interface takes one cable; a switch takes many.
    assert_one_error(
        &with_link("(a: \"h1.eth0\", b: \"sw2\")"),
        "\"h1.eth0\", b: \"sw2",
        "already connected",
    );
    load_str(
        "t",
        &with_link("(a: \"sw1\", b: \"sw2\", name: Some(\"second\"))"),
    )
    .unwrap();
}

#[test]
fn link_parameters() {
    assert_one_error(
        &full_with("loss_percent: 0.5", "loss_percent: 100.5"),
        "100.5",
        "loss_percent 100.5 is not in 0..=100",
    );
    assert_one_error(
        &full_with("bandwidth_mbps: 100", "bandwidth_mbps: 0"),
        "0, loss",
        "bandwidth_mbps must be greater than 0",
    );
    assert_one_error(
        &full_with(
            "Some(Access(10))),\n            (a: \"h2",
            "Some(Access(4095))),\n            (a: \"h2",
        ),
        "Some(Access(4095))",
        "VLAN id 4095",
    );
    assert_one_error(
        &full_with("Trunk([10, 20])", "Trunk([10, 0])"),
        "Some(Trunk([10, 0]))",
        "VLAN id 0",
    );
    assert_one_error(
        &full_with(
            "(a: \"r1.wan\", b: \"internet.eth0\")",
            "(a: \"r1.wan\", b: \"internet.eth0\", switch_port: Some(Access(3)))",
        ),
        "Some(Access(3))",
        "neither end of this link is a switch",
    );
}

#[test]
fn link_names() {
    assert_one_error(
        &full_with("name: Some(\"h2-cable\")", "name: Some(\"sw1<->sw2\")")
            .replace("\"h2-cable\"", "\"sw1<->sw2\""),
        "(a: \"sw1\", b: \"sw2\"",
        "duplicate link name `sw1<->sw2`",
    );
    assert_one_error(
        &full_with(
            "LinkDown(link: \"r1.wan<->internet.eth0\")",
            "LinkDown(link: \"r1.wan<->internet\")",
        ),
        "\"r1.wan<->internet\"",
        "there is no link named `r1.wan<->internet`",
    );
    let text = full_with("LinkUp(link: \"h2-cable\")", "LinkUp(link: \"h2-cabel\")");
    assert_one_error(&text, "\"h2-cabel\"", "no link named");
    assert_eq!(
        errors(&text)[0].help.as_deref(),
        Some("did you mean `h2-cable`?")
    );
}

#[test]
fn steps_name_hosts() {
    assert_one_error(
        &full_with("Reboot(host: \"h2\")", "Reboot(host: \"r1\")"),
        "\"r1\")",
        "`r1` is a router, not a container host",
    );
    assert_one_error(
        &full_with("Listen(host: \"h1\"", "Listen(host: \"h3\""),
        "\"h3\"",
        "there is no container host `h3`",
    );
    assert_one_error(
        &full_with(
            "Docker(host: \"h1\", cmd: \"docker network create -d nat mynat\")",
            "Docker(host: \"hh\", cmd: \"docker network create -d nat mynat\")",
        ),
        "\"hh\"",
        "there is no container host `hh`",
    );
}

#[test]
fn docker_cmd_and_probes() {
    assert_one_error(
        &full_with(
            "cmd: \"docker network create -d nat mynat\"",
            "cmd: \"  network create\"",
        ),
        "\"  network create\"",
        "must start with `docker `",
    );
    assert_one_error(
        &full_with(
            "Probe(from: \"web1\", to: \"internet.example\")",
            "Probe(from: \"web1\", to: \" \")",
        ),
        "\" \")",
        "Probe `to` must not be empty",
    );
    assert_one_error(
        &full_with("Probe(from: \"web1\"", "Probe(from: \"\""),
        "\"\", to",
        "Probe `from` must not be empty",
    );
    assert_one_error(
        &full_with("proto: Tcp(80)", "proto: Tcp(0)"),
        "Tcp(0)",
        "port 0",
    );
}

#[test]
fn ports_images_and_limits() {
    assert_one_error(
        &full_with("services: [Tcp(3389)]", "services: [Tcp(0)]"),
        "Tcp(0)",
        "port 0",
    );
    assert_error_among(
        &full_with(
            "(name: \"web\", services",
            "(name: \"mcr.microsoft.com/windows/nanoserver:ltsc2022\", services",
        ),
        2,
        "\"mcr.microsoft.com/windows/nanoserver:ltsc2022\", services",
        "duplicate image name",
    );
    assert_one_error(
        &full_with("probe_timeout_ms: 500", "probe_timeout_ms: 0"),
        "0)",
        "`probe_timeout_ms` must be greater than 0",
    );
}

#[test]
fn deep_nesting_does_not_overflow() {
    let deep = format!("{}{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(!errors(&deep).is_empty());
    let unbalanced = "[".repeat(100_000);
    assert!(!errors(&unbalanced).is_empty());
    let in_a_field = format!(
        "(title: \"t\", fabric: (), steps: [{}{}])",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    assert!(!errors(&in_a_field).is_empty());
}

#[test]
fn crlf_line_endings() {
    let text = FULL.replace('\n', "\r\n");
    assert_eq!(
        load_str("t", &text).unwrap().spec,
        ron::from_str(FULL).unwrap()
    );
    let bad = text.replace("Wait(ms: 1500)", "Wait(ms: x)");
    let d = errors(&bad);
    assert_eq!(d.len(), 1, "{}", render(&d));
    assert_eq!(d[0].line, pos_of(&bad, "Wait(").0);
}

#[test]
fn unreadable_file_is_one_diagnostic_at_1_1() {
    let d = load_path(std::path::Path::new("/nonexistent/dir/x.ron")).unwrap_err();
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].line, d[0].column), (1, 1));
    assert!(d[0]
        .to_string()
        .starts_with("/nonexistent/dir/x.ron:1:1: error: cannot read"));
}

#[test]
fn diagnostics_as_users_see_them() {
    let text = r#"// A scenario with several mistakes.
(
    title: "Broken",
    sede: 7,
    fabric: (
        routers: [
            (name: "r1", interfaces: [(name: "lan", address: "10.0.0.0/24")]),
        ],
        hosts: [
            (name: "h1", nics: [(name: "eth0", address: "10.0.0.11/24")], gateway: Some("10.1.0.1")),
            (name: "h2", nics: [(name: "eth0", address: "10.0.0.12/24")], latency_us: 3),
        ],
        links: [
            (a: "h1", b: "r1.lan"),
            (a: "h2.eth0", b: "r1.lan", latency: 20),
        ],
    ),
    steps: [
        Docker(host: "h1", cmd: "docker run -d --name web web"),
        Reboto(host: "h1"),
        LinkDown(link: "h1<->r1.lan"),
    ],
)
"#;
    insta::assert_snapshot!(render(&errors(text)));
}

// ---- Scheduled steps (`At`) and NIC steps. ----

/// The `At` step of `FULL` that schedules a LinkDown.
const AT_LINK_DOWN: &str = "At(ms: 2000, do: LinkDown(link: \"sw1<->sw2\"))";

/// `FULL` with the scheduled LinkDown replaced by `At(ms: 2000, do: <inner>)`.
fn full_scheduling(inner: &str) -> String {
    full_with(AT_LINK_DOWN, &format!("At(ms: 2000, do: {inner})"))
}

#[test]
fn scheduled_and_nic_steps_load_as_ron_reads_them() {
    let loaded = load_str("full.ron", FULL).unwrap_or_else(|d| panic!("{}", render(&d)));
    let steps = &loaded.spec.steps;
    let n = steps.len();
    assert_eq!(
        steps[n - 4],
        StepSpec::NicDown {
            host: "h1".into(),
            nic: "eth0".into()
        }
    );
    assert_eq!(
        steps[n - 2],
        StepSpec::At {
            ms: 2000,
            step: Box::new(StepSpec::LinkDown {
                link: "sw1<->sw2".into()
            }),
        }
    );
    let StepSpec::At { ms: 2500, step } = &steps[n - 1] else {
        panic!(
            "the last step of FULL is a scheduled docker step: {:?}",
            steps[n - 1]
        );
    };
    assert_eq!(
        **step,
        StepSpec::Docker {
            host: "h1".into(),
            cmd: "docker stop web1".into(),
            expect: Some(CommandExpectSpec::Succeeds),
        }
    );
    assert_eq!(loaded.step_positions[n - 2], pos_of(FULL, AT_LINK_DOWN));
}

#[test]
fn at_takes_only_steps_that_run_at_an_instant() {
    for inner in [
        "Probe(from: \"h1\", to: \"10.0.0.12\")",
        "Wait(ms: 10)",
        "Note(\"later\")",
        "Listen(host: \"h1\", container: \"web1\", services: [Udp(9)])",
        "HostEndpoint(host: \"h1\", network: \"mynat\")",
    ] {
        let text = full_scheduling(inner);
        assert_one_error(
            &text,
            inner,
            "cannot be scheduled: `At` takes one of `Docker`, `LinkDown`, `LinkUp`, `NicDown`, `NicUp`, `Reboot`",
        );
        let variant = inner.split('(').next().unwrap();
        assert!(
            errors(&text)[0]
                .message
                .starts_with(&format!("`{variant}` ")),
            "{}",
            errors(&text)[0]
        );
    }
    let d = errors(&full_scheduling("Probe(from: \"h1\", to: \"10.0.0.12\")"));
    assert_eq!(
        d[0].help.as_deref(),
        Some("write the `Probe` as a step of its own after this `At`: it runs while the scheduled step is pending")
    );
    for inner in [
        "Docker(host: \"h1\", cmd: \"docker ps\")",
        "LinkUp(link: \"sw1<->sw2\")",
        "NicDown(host: \"h2\", nic: \"eth0\")",
        "NicUp(host: \"h2\", nic: \"eth0\")",
        "Reboot(host: \"h1\")",
    ] {
        let text = full_scheduling(inner);
        load_str("t.ron", &text).unwrap_or_else(|d| panic!("{inner}: {}", render(&d)));
    }
}

#[test]
fn at_cannot_be_nested() {
    let inner = "At(ms: 2100, do: LinkDown(link: \"sw1<->sw2\"))";
    assert_one_error(
        &full_scheduling(inner),
        "At(ms: 2100",
        "`At` cannot schedule another `At`",
    );
}

#[test]
fn a_scheduled_docker_exec_is_refused_at_its_cmd() {
    assert_one_error(
        &full_scheduling("Docker(host: \"h1\", cmd: \"docker exec web1 ping 10.0.0.12\")"),
        "\"docker exec web1 ping 10.0.0.12\"",
        "a scheduled Docker step cannot be `docker exec`",
    );
    // Any other docker command is fine, with or without an expectation.
    load_str(
        "t.ron",
        &full_scheduling(
            "Docker(host: \"h1\", cmd: \"docker rm -f web1\", expect: Some(Fails(\"No such container\")))",
        ),
    )
    .unwrap_or_else(|d| panic!("{}", render(&d)));
}

#[test]
fn the_scheduled_step_is_checked_like_a_step() {
    let text = full_scheduling("LinkDown(link: \"sw1<->sw3\")");
    assert_one_error(&text, "\"sw1<->sw3\"", "there is no link named `sw1<->sw3`");
    assert_eq!(
        errors(&text)[0].help.as_deref(),
        Some("did you mean `sw1<->sw2`?")
    );
    assert_one_error(
        &full_scheduling("Docker(host: \"hx\", cmd: \"docker ps\")"),
        "\"hx\"",
        "there is no container host `hx`",
    );
    assert_one_error(
        &full_scheduling("Docker(host: \"h1\", cmd: \"ps\")"),
        "\"ps\"",
        "must start with `docker `",
    );
    assert_one_error(
        &full_scheduling("LinkDown(link: \"sw1<->sw2\", after: 3)"),
        "after",
        "unknown field `after` in step `LinkDown`",
    );
    assert_one_error(
        &full_with(
            AT_LINK_DOWN,
            "At(ms: 2000, do: LinkDown(link: \"sw1<->sw2\"), why: 1)",
        ),
        "why",
        "unknown field `why` in step `At`",
    );
}

#[test]
fn at_needs_its_fields_and_a_time_the_run_reaches() {
    let text = full_with(AT_LINK_DOWN, "At(ms: 2000)");
    let d = errors(&text);
    assert_eq!(d.len(), 1, "{}", render(&d));
    assert!(d[0].message.contains("`do`"), "{}", d[0]);
    assert_eq!(d[0].line, pos_of(&text, "At(ms: 2000)").0);
    assert_one_error(
        &full_with(AT_LINK_DOWN, "At(ms: 3600001, do: LinkDown(link: \"sw1<->sw2\"))"),
        "3600001",
        "`At` ms 3600001 is after the run's time limit (`max_sim_time_ms` 3600000): it would never run",
    );
    // The limit itself is reachable.
    load_str(
        "t.ron",
        &full_with(
            AT_LINK_DOWN,
            "At(ms: 3600000, do: LinkDown(link: \"sw1<->sw2\"))",
        ),
    )
    .unwrap_or_else(|d| panic!("{}", render(&d)));
}

#[test]
fn nic_steps_name_a_cabled_nic_of_a_container_host() {
    let text = full_with(
        "NicDown(host: \"h1\", nic: \"eth0\")",
        "NicDown(host: \"h1\", nic: \"eth1\")",
    );
    assert_one_error(
        &text,
        "\"eth1\"",
        "container host `h1` has no NIC `eth1`; its NICs are `eth0`",
    );
    assert_eq!(
        errors(&text)[0].help.as_deref(),
        Some("did you mean `eth0`?")
    );
    assert_one_error(
        &full_with(
            "NicDown(host: \"h1\", nic: \"eth0\")",
            "NicDown(host: \"r1\", nic: \"lan\")",
        ),
        "\"r1\", nic",
        "`r1` is a router, not a container host",
    );
    let text = full_with(
        r#"(name: "h2", nics: [(name: "eth0", address: "10.0.0.12/24")])"#,
        r#"(name: "h2", nics: [(name: "eth0", address: "10.0.0.12/24"), (name: "eth1", address: "10.9.0.12/24")])"#,
    )
    .replace(
        "NicUp(host: \"h1\", nic: \"eth0\")",
        "NicUp(host: \"h2\", nic: \"eth1\")",
    );
    assert_error_among(
        &text,
        2,
        "\"eth1\")",
        "NIC `h2.eth1` has no cable: no link in `fabric.links` ends at it",
    );
    assert_one_error(
        &full_with(
            "NicUp(host: \"h1\", nic: \"eth0\")",
            "NicUp(host: \"h1\", nic: \"eth0\", speed: 10)",
        ),
        "speed",
        "unknown field `speed` in step `NicUp`",
    );
}

#[test]
fn scheduled_step_diagnostics_as_users_see_them() {
    let text = r#"// Scheduled steps with several mistakes.
(
    title: "Broken schedule",
    fabric: (
        switches: [(name: "lan")],
        hosts: [(
            name: "h1",
            nics: [
                (name: "Ethernet", address: "10.0.0.11/24"),
                (name: "Ethernet 2", address: "10.0.1.11/24"),
            ],
        )],
        links: [(a: "h1.Ethernet", b: "lan", name: Some("cable"))],
    ),
    steps: [
        At(ms: 500, do: LinkDown(link: "cabel")),
        At(ms: 600, do: At(ms: 700, do: Reboot(host: "h1"))),
        At(ms: 800, do: Probe(from: "h1", to: "10.0.0.1")),
        At(ms: 900, do: Docker(host: "h1", cmd: "docker exec web ping 10.0.0.1")),
        At(ms: 1000, do: NicDown(host: "h1", nic: "Ethernet3")),
        At(ms: 1100, do: NicUp(host: "h1", nic: "Ethernet 2")),
        At(ms: 1200, do: Reboot(host: "h1", when: 3)),
        At(ms: 3600001, do: LinkUp(link: "cable")),
    ],
)
"#;
    insta::assert_snapshot!(render(&errors(text)));
}

fn mutate(text: &str, op: u8, at: usize, c: char) -> String {
    let chars: Vec<char> = text.chars().collect();
    let i = at % (chars.len() + 1);
    let mut out = chars.clone();
    match op % 3 {
        0 if i < chars.len() => {
            out.remove(i);
        }
        1 => out.insert(i, c),
        _ if i < chars.len() => out[i] = c,
        _ => out.push(c),
    }
    out.into_iter().collect()
}

fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec![
            '(', ')', '[', ']', '{', '}', ',', ':', '"', '\'', '/', '*', '#', 'r', 'b', '\\', '\n',
            ' ', '0', '9', '.', '-', 'x', 'é', '\u{2028}',
        ]),
        any::<char>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES overrides, for longer runs.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000),
        .. ProptestConfig::default()
    })]

    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC*") {
        let _ = load_str("p.ron", &s);
    }

    #[test]
    fn never_panics_on_ron_like_text(s in "[()\\[\\]{},:\"'/*#rb\\\\ \\na-z0-9_.]{0,60}") {
        let _ = load_str("p.ron", &s);
    }

    /// On single-char mutations of a valid file: no panic, every diagnostic inside the file,
    /// and the piecewise parse accepts exactly what ron accepts, with the same value.
    #[test]
    fn mutations_agree_with_ron(op in 0u8..3, at in 0usize..4000, c in interesting_char()) {
        let text = mutate(FULL, op, at, c);
        let lines = text.split('\n').count();
        match load_str("p.ron", &text) {
            // The loader reads past a leading byte-order mark (as Windows editors write);
            // ron does not.
            Ok(l) => prop_assert_eq!(
                l.spec,
                parse::ron_options()
                    .from_str::<ScenarioSpec>(text.strip_prefix('\u{feff}').unwrap_or(&text))
                    .unwrap()
            ),
            Err(d) => {
                prop_assert!(!d.is_empty());
                for x in &d {
                    prop_assert!(x.line >= 1 && x.line <= lines && x.column >= 1, "{}", x);
                }
            }
        }
        let whole = parse::ron_options().from_str::<ScenarioSpec>(&text);
        match parse::parse("p.ron", &text) {
            Ok(p) if p.diags.is_empty() => {
                prop_assert_eq!(Ok(p.spec), whole.map_err(|e| e.to_string()), "{}", text)
            }
            Ok(Parsed { diags: d, .. }) | Err(d) => {
                // Unknown fields in steps are ours alone (serde ignores them in enum variants).
                let ours_only = d.iter().all(|x| x.message.contains("in step `"));
                prop_assert!(whole.is_err() || ours_only, "we reject what ron accepts:\n{}\n{}", render(&d), text);
            }
        }
    }
}

#[test]
fn a_host_firewall_rule_needs_a_port_and_known_fields() {
    let text = full_with(
        "services: [Tcp(3389)],",
        "services: [Tcp(3389)],\n                firewall: (allow: [Icmp, Tcp(0)]),",
    );
    assert_one_error(
        &text,
        "Tcp(0)",
        "port 0 is not a valid port for a firewall rule",
    );
    let text = full_with(
        "services: [Tcp(3389)],",
        "services: [Tcp(3389)],\n                firewall: (enabled: false, alow: []),",
    );
    let d = errors(&text);
    assert!(
        d.iter().any(|d| d.message.contains("alow")),
        "{}",
        render(&d)
    );
    // Written out, the defaults are what an absent `firewall` gives.
    let text = full_with(
        "services: [Tcp(3389)],",
        "services: [Tcp(3389)],\n                firewall: (enabled: true, allow: []),",
    );
    let loaded = load_str("t.ron", &text).unwrap_or_else(|d| panic!("{}", render(&d)));
    assert_eq!(
        loaded.spec.fabric.hosts[0].firewall,
        HostFirewallSpec::default()
    );
}

#[test]
fn optional_fields_take_plain_values() {
    let plain = FULL
        .replace(r#"gateway: Some("10.0.0.1")"#, r#"gateway: "10.0.0.1""#)
        .replace(
            "switch_port: Some(Trunk([10, 20]))",
            "switch_port: Trunk([10, 20])",
        )
        .replace(r#"name: Some("h2-cable")"#, r#"name: "h2-cable""#)
        .replace(
            r#"expect: Some(Fails("bogus"))"#,
            r#"expect: Fails("bogus")"#,
        )
        .replace("expect: Some(Refused)", "expect: Refused");
    assert_ne!(plain, FULL);
    let a = load_str("t.ron", FULL).unwrap().spec;
    let b = load_str("t.ron", &plain).unwrap_or_else(|d| panic!("{}", render(&d)));
    assert_eq!(a, b.spec);
    // Positions after a plain value stay right.
    let bad = plain.replace("Wait(ms: 1500)", "Wait(ms: x)");
    let d = errors(&bad);
    assert_eq!(d.len(), 1, "{}", render(&d));
    assert_eq!(d[0].line, pos_of(&bad, "Wait(").0);
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_text() {
    let with_bom = format!("\u{feff}{FULL}");
    let loaded = load_str("t.ron", &with_bom).unwrap_or_else(|d| panic!("{}", render(&d)));
    assert_eq!(loaded.spec, load_str("t.ron", FULL).unwrap().spec);
    let bad = format!("\u{feff}{}", full_with("seed: 42", "seed: x"));
    let d = errors(&bad);
    assert_eq!((d[0].line, d[0].column), pos_of(&bad[3..], "x,"));
}

#[test]
fn a_fractional_seed_says_what_seed_takes() {
    let text = full_with("seed: 42", "seed: 1.5");
    assert_one_error(
        &text,
        "1.5",
        "`seed` takes a whole number from 0 to 18446744073709551615, found `1.5`",
    );
}
