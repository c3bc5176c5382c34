//! Reports for machines: the JSON report of every scenario validates against
//! `docs/report.schema.json` and agrees with the text report; JUnit has a test case per
//! expectation; `hnsim run --format json`, `--junit` and `hnsim diff` as a user runs them.

use crate::common::{hnsim, is_scenario, load_relative, relative, repo_root, scenario_files};
use serde_json::Value;
use sim_core::sim::machine::MachineReport;
use sim_core::sim::report::{self, RunOptions};

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo_root().join("docs/report.schema.json"))
        .expect("docs/report.schema.json exists");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn machine_run(rel: &str) -> (report::Report, MachineReport) {
    let loaded = load_relative(rel);
    let opts = RunOptions {
        machine: true,
        ..RunOptions::default()
    };
    let (rep, _) = report::run_world(&loaded, opts, &mut |_| {});
    let m = rep.machine.clone().expect("a machine report was asked for");
    (rep, m)
}

fn errors(v: &jsonschema::Validator, json: &Value) -> Vec<String> {
    v.iter_errors(json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_scenario_s_json_report_follows_the_schema_and_the_text_report() {
    let v = schema();
    for path in scenario_files() {
        let rel = relative(&repo_root().join(&path));
        if !is_scenario(&rel) {
            continue;
        }
        let (rep, m) = machine_run(&rel);
        let json: Value = serde_json::from_str(&m.to_json()).expect("the report is JSON");
        let errs = errors(&v, &json);
        assert!(errs.is_empty(), "{rel}: {errs:#?}");
        // One expectation per verdict line of the text report, and the same failures.
        let verdicts = rep
            .text
            .lines()
            .filter(|l| l.contains("expectation: ok") || l.contains("EXPECTATION FAILED: "))
            .count();
        assert_eq!(m.expectations.len(), verdicts, "{rel}");
        let failed: Vec<&str> = m
            .expectations
            .iter()
            .filter(|e| !e.ok)
            .filter_map(|e| e.message.as_deref())
            .collect();
        assert_eq!(failed.len(), rep.failures.len(), "{rel}");
        // Every probe of the text report is in the JSON, with its one-line path.
        let probes: Vec<_> = m.steps.iter().flat_map(|s| &s.probes).collect();
        let outcome_lines = rep.text.lines().filter(|l| l.starts_with("  path")).count();
        assert_eq!(probes.len(), outcome_lines, "{rel}");
        for p in probes {
            let line = format!("{}: {}", p.path.line, p.outcome.to_uppercase());
            assert!(
                rep.text
                    .lines()
                    .any(|l| l.starts_with("  path") && l.ends_with(&line)),
                "{rel}: probe #{} path {:?}",
                p.probe,
                p.path.line
            );
        }
        // Asking for the machine report changes nothing in the text.
        assert_eq!(rep.text, report::run(&load_relative(&rel)).text, "{rel}");
    }
}

#[test]
fn the_schema_refuses_what_it_does_not_describe() {
    let v = schema();
    let (_, m) = machine_run("scenarios/nat-tour.ron");
    let good: Value = serde_json::from_str(&m.to_json()).expect("JSON");
    let mut bad = good.clone();
    bad["steps"][5]["probes"][0]["outcome"] = Value::from("lost");
    assert!(!errors(&v, &bad).is_empty(), "an unknown outcome");
    let mut bad = good.clone();
    bad["version"] = Value::from(2);
    assert!(!errors(&v, &bad).is_empty(), "another version");
    let mut bad = good;
    bad["steps"][2]["extra"] = Value::from(1);
    assert!(!errors(&v, &bad).is_empty(), "an undocumented field");
}

#[test]
fn the_json_report_of_the_tour_has_its_docker_output_probes_and_hops() {
    let (_, m) = machine_run("scenarios/nat-tour.ron");
    let run = &m.steps[2];
    assert_eq!(run.kind, "docker");
    let out = run.output.as_ref().expect("docker printed");
    assert_eq!(
        (out.stdout.len(), out.exit_status),
        (65, 0),
        "an id and a newline"
    );
    let probe = &m.steps[7].probes[0];
    assert_eq!(
        (probe.from.as_str(), probe.outcome.as_str()),
        ("client", "delivered")
    );
    let keys: Vec<&str> = probe
        .path
        .path
        .nodes
        .iter()
        .flat_map(|n| n.mechanisms.iter().map(|m| m.key.as_str()))
        .collect();
    assert_eq!(keys, ["nat WinNAT source"]);
    let nat = probe
        .hops
        .iter()
        .find(|h| h["action"]["kind"] == "nat")
        .expect("a NAT hop");
    assert_eq!(nat["node"], "host1");
    assert_eq!(nat["link"]["name"], "host1:vEthernet (nat)<->vSwitch(nat)");
    assert!(m.expectations.iter().all(|e| e.ok));
    assert_eq!(m.limit_hit, None);
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("hnsim-it-{}-{name}", std::process::id()))
}

#[test]
fn run_format_json_and_junit_from_the_command_line() {
    let junit = temp("tour.xml");
    let out = hnsim(&[
        "run",
        "scenarios/nat-tour.ron",
        "--format",
        "json",
        "--junit",
        junit.to_str().expect("UTF-8"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let expectations = json["expectations"].as_array().expect("a list").len();
    let xml = std::fs::read_to_string(&junit).expect("the JUnit file was written");
    let _ = std::fs::remove_file(&junit);
    assert_eq!(xml.matches("<testcase ").count(), expectations);
    assert!(xml.contains("failures=\"0\""), "{xml}");

    let failing = hnsim(&[
        "run",
        "tests/it/testdata/expect-fails.ron",
        "--junit",
        junit.to_str().expect("UTF-8"),
    ]);
    assert_eq!(failing.status.code(), Some(1));
    let xml = std::fs::read_to_string(&junit).expect("the JUnit file was written");
    let _ = std::fs::remove_file(&junit);
    assert!(xml.contains("<failure message="), "{xml}");
}

#[test]
fn diff_of_a_design_with_itself_says_nothing_changed() {
    let out = hnsim(&["diff", "scenarios/nat-tour.ron", "scenarios/nat-tour.ron"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "no difference: every probe ended and went the same way\n"
    );
}

#[test]
fn diff_shows_only_the_probe_whose_path_changed() {
    let tour = std::fs::read_to_string(repo_root().join("scenarios/nat-tour.ron")).expect("read");
    // Publish 8080 on another port: the laptop's probe to 8080 now meets the firewall.
    let changed = tour.replacen("-p 8080:80", "-p 8081:80", 1);
    assert_ne!(tour, changed);
    let b = temp("tour-b.ron");
    std::fs::write(&b, changed).expect("write");
    let out = hnsim(&["diff", "scenarios/nat-tour.ron", b.to_str().expect("UTF-8")]);
    let _ = std::fs::remove_file(&b);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("laptop -> 10.0.0.11 tcp/8080"), "{text}");
    assert!(text.contains("outcome: DELIVERED -> DROPPED"), "{text}");
    assert!(
        text.contains("- path: laptop → lan → host1 [WinNAT DNAT"),
        "{text}"
    );
    assert!(
        !text.contains("client -> web"),
        "unchanged probes are not shown: {text}"
    );
}

#[test]
fn diff_of_one_file_on_two_versions_runs_both() {
    let out = hnsim(&[
        "diff",
        "scenarios/nat-tour.ron",
        "--os",
        "2016",
        "--os",
        "2022",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    // Server 2016 has no localhost access to published ports (the tour's probe #15).
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("on Windows Server 2016"), "{text}");
    assert!(text.contains("host1 -> 127.0.0.1 tcp/8080"), "{text}");
    let bad = hnsim(&["diff", "scenarios/nat-tour.ron", "--os", "2016"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn matrix_check_goes_into_the_json_and_into_junit() {
    let junit = temp("matrix.xml");
    let out = hnsim(&[
        "matrix",
        "--check",
        "--format",
        "json",
        "--junit",
        junit.to_str().expect("UTF-8"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(json["check"]["failed"], Value::Bool(false));
    let lines = json["check"]["lines"].as_array().expect("the findings");
    assert!(
        lines.iter().any(|l| l["accepted"] == Value::Bool(true)),
        "the accepted deviations are listed: {lines:?}"
    );
    let xml = std::fs::read_to_string(&junit).expect("the JUnit file was written");
    let _ = std::fs::remove_file(&junit);
    assert!(xml.contains("name=\"nat/same_host_same_subnet\""), "{xml}");
    assert!(xml.contains("failures=\"0\""), "{xml}");
    // Without --check the JSON has no findings.
    let plain = hnsim(&["matrix", "--format", "json"]);
    let json: Value = serde_json::from_slice(&plain.stdout).expect("stdout is JSON");
    assert_eq!(json.get("check"), None);
}

/// The nat tour with its published-port probe named.
fn named_tour() -> String {
    let tour = std::fs::read_to_string(repo_root().join("scenarios/nat-tour.ron")).expect("read");
    let named = tour.replacen(
        "Probe(from: \"laptop\", to: \"10.0.0.11\", proto: Tcp(8080),",
        "Probe(name: Some(\"published-port\"), from: \"laptop\", to: \"10.0.0.11\", proto: Tcp(8080),",
        1,
    );
    assert_ne!(tour, named, "the tour has the published-port probe");
    named
}

#[test]
fn a_named_probe_shows_its_name_in_the_report_the_json_and_the_captures() {
    let file = temp("named.ron");
    std::fs::write(&file, named_tour()).expect("write");
    let f = file.to_str().expect("UTF-8");
    let text = String::from_utf8_lossy(&hnsim(&["run", f]).stdout).into_owned();
    assert!(
        text.contains("probe \"published-port\": laptop -> 10.0.0.11 tcp/8080"),
        "{text}"
    );
    let json: Value =
        serde_json::from_slice(&hnsim(&["run", f, "--format", "json"]).stdout).expect("JSON");
    let names: Vec<&Value> = json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .flat_map(|s| s["probes"].as_array().expect("probes"))
        .map(|p| &p["name"])
        .filter(|n| !n.is_null())
        .collect();
    assert_eq!(names, [&Value::from("published-port")]);
    let dir = temp("named-caps");
    let out = hnsim(&["run", f, "--pcap", dir.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(0));
    let named_frames = std::fs::read_dir(&dir)
        .expect("the captures")
        .map(|e| std::fs::read(e.expect("an entry").path()).expect("a capture"))
        .filter(|bytes| bytes.windows(16).any(|w| w == b"\"published-port\""))
        .count();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&file);
    assert!(named_frames > 0, "a capture comment names the probe");
}

#[test]
fn two_probes_with_one_name_are_refused() {
    let twice = named_tour().replacen(
        "Probe(from: \"laptop\", to: \"10.0.0.11\", proto: Tcp(8081)",
        "Probe(name: Some(\"published-port\"), from: \"laptop\", to: \"10.0.0.11\", proto: Tcp(8081)",
        1,
    );
    let file = temp("twice.ron");
    std::fs::write(&file, twice).expect("write");
    let out = hnsim(&["check", file.to_str().expect("UTF-8")]);
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("names must be unique"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn no_arp_and_first_packet_cut_the_trace_but_not_the_path() {
    let run = |args: &[&str]| {
        let out = hnsim(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let paths = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with("  path"))
            .map(str::to_string)
            .collect()
    };
    let hops = |t: &str| {
        t.lines()
            .filter(|l| l.starts_with("               "))
            .count()
    };
    let full = run(&["run", "scenarios/nat-tour.ron"]);
    let no_arp = run(&["run", "scenarios/nat-tour.ron", "--no-arp"]);
    assert!(full.contains("ARP on"), "the tour resolves addresses");
    assert!(!no_arp.contains("ARP"), "{no_arp}");
    assert_eq!(paths(&full), paths(&no_arp));
    assert!(hops(&no_arp) < hops(&full));

    let trace = |extra: &[&str]| {
        let mut args = vec!["trace", "scenarios/nat-tour.ron", "--from", "client"];
        args.extend(["--to", "web", "--proto", "tcp/80"]);
        args.extend(extra);
        run(&args)
    };
    let (all, first) = (trace(&[]), trace(&["--first-packet"]));
    assert_eq!(paths(&all), paths(&first));
    assert!(
        all.contains("A? web."),
        "the trace has the DNS lookup: {all}"
    );
    // The first packet is the SYN: every frame shown is it, not the lookup or the answer.
    let frames: Vec<&str> = first
        .lines()
        .filter(|l| l.starts_with("               "))
        .collect();
    assert!(frames.len() >= 3, "{first}");
    assert!(frames.iter().all(|f| f.contains("Flags [S]")), "{first}");
}
