//! The visualizer's data and drawings for a known scenario (the nat tour): what the page
//! embeds (topology, probes, hops with what each rewrote), `graph --format dot`, the same
//! bytes on every run, and `hnsim viz` / `hnsim graph` as a user runs them. The page in a
//! real browser is `browser.rs`.

use crate::common::{hnsim, load_relative};
use sim_core::sim::report::{self, RunOptions};
use std::fmt::Write;
use visualizer::model::Lesson;

fn nat_tour() -> Lesson {
    visualizer::record(&load_relative("scenarios/nat-tour.ron"))
}

/// The lesson in a few lines per probe and one per hop: what it shows, without the decoded
/// layers that are unchanged.
fn summary(l: &Lesson) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} ({}, seed {})", l.title, l.file, l.seed);
    for h in &l.hosts {
        let _ = writeln!(s, "host {}: {}", h.name, h.os);
    }
    for n in &l.nodes {
        let ifaces: Vec<String> = n
            .ifaces
            .iter()
            .map(|i| format!("{} {} {}", i.name, i.addr.as_deref().unwrap_or("-"), i.mac))
            .collect();
        let _ = writeln!(
            s,
            "node {} {} [{}] host={} seen={}..{} {}",
            n.id,
            n.name,
            n.kind,
            n.host.as_deref().unwrap_or("-"),
            n.seen.0,
            n.seen.1,
            ifaces.join(", ")
        );
    }
    for k in &l.links {
        let _ = writeln!(
            s,
            "link {} {}: {}:{} -- {}:{}{} seen={}..{}",
            k.id,
            k.name,
            k.a.node,
            k.a.port,
            k.b.node,
            k.b.port,
            if k.internal { " (internal)" } else { "" },
            k.seen.0,
            k.seen.1
        );
    }
    for p in &l.probes {
        let _ = writeln!(
            s,
            "probe #{} [{}] {} -> {} {}: {} ({}){}",
            p.id,
            p.step,
            p.from,
            p.to,
            p.proto,
            p.outcome,
            p.detail,
            p.exec
                .as_deref()
                .map(|e| format!(" by `{e}`"))
                .unwrap_or_default()
        );
        for n in &p.notes {
            let _ = writeln!(s, "  note: {n}");
        }
        for (i, h) in p.hops.iter().enumerate() {
            let mut line = format!("  {i} {} {} [{}]", h.time, h.node_name, h.kind);
            if let Some(c) = &h.came {
                let _ = write!(line, " came link{} from node{}", c.link, c.from);
            }
            if let Some(b) = h.before {
                let _ = write!(line, " since hop {b}");
            }
            for layer in &h.layers {
                if layer.added {
                    let _ = write!(line, " | +{}", layer.name);
                }
                for f in layer.fields.iter().filter(|f| f.was.is_some()) {
                    let _ = write!(
                        line,
                        " | {}{} {}: {} -> {}",
                        if f.upstream { "upstream " } else { "" },
                        layer.name,
                        f.name,
                        f.was.as_deref().unwrap_or_default(),
                        f.value
                    );
                }
            }
            for n in &h.notes {
                let _ = write!(line, " | {n}");
            }
            if let Some(d) = &h.dropped {
                let _ = write!(line, " | DROPPED: {d}");
            }
            let _ = writeln!(s, "{line}");
        }
    }
    for f in &l.failures {
        let _ = writeln!(s, "failure: {f}");
    }
    s
}

#[test]
fn the_nat_tour_lesson_shows_each_hop_and_what_it_rewrote() {
    let l = nat_tour();
    insta::assert_snapshot!(summary(&l));

    // The topology: the fabric, the host, its vSwitch and the containers.
    let kind = |name: &str| {
        l.nodes
            .iter()
            .find(|n| n.name == name)
            .map(|n| (n.kind.as_str(), n.host.as_deref()))
    };
    assert_eq!(kind("lan"), Some(("fabric_switch", None)));
    assert_eq!(kind("edge"), Some(("router", None)));
    assert_eq!(kind("host1"), Some(("windows_host", Some("host1"))));
    assert_eq!(kind("host1/vSwitch(nat)"), Some(("vswitch", Some("host1"))));
    assert_eq!(kind("host1/web"), Some(("container", Some("host1"))));
    // Every probe of the scenario, docker exec's too, in the order they ran.
    let routes: Vec<String> = l
        .probes
        .iter()
        .map(|p| format!("{} -> {} {}", p.from, p.to, p.proto))
        .collect();
    assert_eq!(routes.len(), 8, "{routes:?}");
    assert_eq!(l.probes.iter().filter(|p| p.exec.is_some()).count(), 2);
    assert!(l.failures.is_empty(), "{:?}", l.failures);

    // client -> internet: WinNAT rewrote the source address at host1, and host1 rewrote the
    // MAC addresses as it sent the frame on the LAN.
    let p = &l.probes[1];
    assert_eq!((p.from.as_str(), p.to.as_str()), ("client", "internet"));
    let nat = p.hops.iter().find(|h| h.kind == "nat").expect("a NAT hop");
    let src = nat
        .layers
        .iter()
        .find(|x| x.name == "IPv4")
        .and_then(|x| x.fields.iter().find(|f| f.name == "src"))
        .expect("an IPv4 source");
    assert_eq!(src.value, "10.0.0.11");
    assert!(src.was.as_deref().is_some_and(|w| w.starts_with("172.")));
    assert!(!src.upstream);
    let on_lan = p
        .hops
        .iter()
        .find(|h| h.node_name == "lan" && h.line.starts_with("IP 10.0.0.11."))
        .expect("the translated SYN on the LAN");
    let macs: Vec<bool> = on_lan.layers[0]
        .fields
        .iter()
        .filter(|f| f.was.is_some())
        .map(|f| f.upstream)
        .collect();
    assert_eq!(
        macs,
        [true, true],
        "both MACs, rewritten by host1 as it sent"
    );

    // laptop -> web is dropped, with its reason on the hop.
    let dropped = &l.probes[3];
    assert_eq!(dropped.outcome, "dropped");
    let drop = dropped
        .hops
        .iter()
        .find(|h| h.kind == "dropped")
        .expect("the hop that dropped it");
    assert_eq!(drop.node_name, "edge");
    assert!(drop
        .dropped
        .as_deref()
        .is_some_and(|d| d.contains("no route")));
    // A hop's packet came over a link between the nodes it names.
    for p in &l.probes {
        for h in &p.hops {
            if let Some(c) = &h.came {
                let link = l
                    .links
                    .iter()
                    .find(|k| k.id == c.link)
                    .expect("a known link");
                let ends = [link.a.node, link.b.node];
                assert!(ends.contains(&c.from) && ends.contains(&h.node), "{h:?}");
            }
        }
    }
}

#[test]
fn a_drop_on_a_link_names_the_link() {
    let l = visualizer::record(&load_relative("scenarios/link-down-mid-connection.ron"));
    let link = l
        .links
        .iter()
        .find(|k| k.name == "branch-circuit")
        .expect("the branch circuit");
    let drops: Vec<(&str, Option<u32>)> = l
        .probes
        .iter()
        .flat_map(|p| &p.hops)
        .filter(|h| h.kind == "dropped")
        .map(|h| (h.node_name.as_str(), h.dropped_on))
        .collect();
    assert_eq!(drops, [("carrier", Some(link.id))]);
    let p = &l.probes[1];
    assert_eq!(
        p.events.len(),
        1,
        "the link went down while it was in flight"
    );
    assert_eq!(p.events[0].text, "link branch-circuit went down");
}

#[test]
fn the_topology_as_dot() {
    insta::assert_snapshot!(visualizer::graph_dot(&nat_tour()));
}

#[test]
fn the_same_scenario_gives_the_same_page_and_drawings() {
    let (a, b) = (nat_tour(), nat_tour());
    assert_eq!(visualizer::page(&a), visualizer::page(&b));
    assert_eq!(visualizer::graph_svg(&a), visualizer::graph_svg(&b));
    assert_eq!(visualizer::graph_dot(&a), visualizer::graph_dot(&b));
}

#[test]
fn the_page_is_one_file_with_everything_inline() {
    let page = visualizer::page(&nat_tour());
    assert!(page.starts_with("<!DOCTYPE html>"));
    // The embedded data closes only where it should.
    let (before, rest) = page
        .split_once(r#"<script type="application/json" id="lesson-data">"#)
        .expect("the lesson data");
    let (data, after) = rest.split_once("</script>").expect("its end");
    let v: serde_json::Value = serde_json::from_str(data).expect("JSON");
    assert_eq!(v["probes"].as_array().map(Vec::len), Some(8));
    assert_eq!(v["probes"][0]["hops"][0]["kind"], "sent");
    // Outside the data (which may name a URL, as `curl http://web/` does), nothing is loaded
    // from elsewhere. The SVG namespace is a name, not something loaded.
    let markup = format!("{before}{after}").replace("http://www.w3.org/2000/svg", "");
    for bad in [
        "http://",
        "https://",
        " src=",
        "url(",
        "@import",
        "<link rel=\"stylesheet\"",
    ] {
        assert!(!markup.contains(bad), "{bad}");
    }
    assert!(!data.contains('<'), "no raw < in the data");
}

/// Each probe a `docker exec` sends goes to the observer too, and writes itself as the
/// report does; `run_observed` still hands on `Probe` steps only.
#[test]
fn docker_exec_probes_are_observed_and_written_as_the_report_does() {
    let loaded = load_relative("scenarios/nat-tour.ron");
    let mut written = Vec::new();
    let opts = RunOptions {
        ..RunOptions::default()
    };
    let (rep, _) = report::run_world(&loaded, opts, &mut |step| {
        if step.exec.is_some() {
            let mut s = String::new();
            step.write(&mut s);
            written.push(s);
        }
    });
    assert_eq!(written.len(), 2);
    for w in &written {
        assert!(w.contains("> docker exec "), "{w}");
        assert!(rep.text.contains(w.as_str()), "{w}\nnot in\n{}", rep.text);
    }
    let mut observed = 0;
    report::run_observed(&loaded, false, &mut |_, _, _| observed += 1);
    assert_eq!(observed, 6, "the six Probe steps");
}

#[test]
fn viz_writes_the_page_and_graph_prints_the_drawing() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let out_path = dir.join(format!("viz-cli-{}.html", std::process::id()));
    let out_str = out_path.to_str().expect("a UTF-8 path");
    let out = hnsim(&["viz", "scenarios/nat-tour.ron", "-o", out_str]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("(8 probes, "), "{stderr}");
    let page = std::fs::read_to_string(&out_path).expect("the page was written");
    let _ = std::fs::remove_file(&out_path);
    assert_eq!(page, visualizer::page(&nat_tour()));

    let lesson = nat_tour();
    let dot = hnsim(&["graph", "scenarios/nat-tour.ron", "--format", "dot"]);
    assert_eq!(dot.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&dot.stdout),
        visualizer::graph_dot(&lesson)
    );
    let svg = hnsim(&["graph", "scenarios/nat-tour.ron"]);
    assert_eq!(svg.status.code(), Some(0));
    let svg = String::from_utf8_lossy(&svg.stdout);
    assert_eq!(svg, visualizer::graph_svg(&lesson));
    assert!(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));

    let missing = hnsim(&["graph", "scenarios/no-such-file.ron"]);
    assert_eq!(missing.status.code(), Some(2));
    for cmd in ["viz", "graph"] {
        let help = hnsim(&[cmd, "--help"]);
        let help = String::from_utf8_lossy(&help.stdout);
        assert!(help.contains("Example"), "{cmd} --help: {help}");
    }
}
