//! pcapng captures (`hnsim run --pcap DIR`) read by a real Wireshark: every scenario's every
//! link, with no malformed frame and no expert error, and VXLAN inner frames decoded.
//!
//! Needs `tshark` (Debian's package). Without it the test says so and passes, unless
//! `HNSIM_REQUIRE_TSHARK=1` (as `.ci/run` sets), which makes its absence a failure.

use crate::common::{is_scenario, load_relative, relative, scenario_files};
use sim_core::pcapng::{captures, Capture};
use sim_core::sim::report::{self, RunOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tshark() -> Option<PathBuf> {
    let ok = Command::new("tshark").arg("--version").output();
    match ok {
        Ok(o) if o.status.success() => Some(PathBuf::from("tshark")),
        _ => {
            let required = std::env::var("HNSIM_REQUIRE_TSHARK").is_ok_and(|v| v == "1");
            assert!(!required, "HNSIM_REQUIRE_TSHARK=1 but tshark does not run");
            eprintln!("tshark is not installed: the pcapng check did not run");
            None
        }
    }
}

/// Runs a scenario recording frames and returns its captures, named as `run --pcap` names
/// them (probe comments included).
fn scenario_captures(rel: &str) -> Vec<Capture> {
    let loaded = load_relative(rel);
    let mut names = BTreeMap::new();
    let opts = RunOptions {
        record_frames: true,
        ..RunOptions::default()
    };
    let (_, world) = report::run_world(&loaded, opts, &mut |step| {
        let r = step.result;
        names.insert(r.id, format!("probe #{} {} -> {}", r.id.0, r.from, r.to));
    });
    let world = world.unwrap_or_else(|| panic!("{rel}: the fabric did not build"));
    captures(&world.engine, &names, &loaded.file)
}

/// Writes the captures of a scenario under `dir`, returning the paths.
fn write_all(dir: &Path, caps: &[Capture]) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("a capture directory");
    caps.iter()
        .map(|c| {
            let p = dir.join(&c.file_name);
            std::fs::write(&p, &c.bytes).expect("a capture file");
            p
        })
        .collect()
}

/// Wireshark's preferences for the check: validate every IPv4, TCP and UDP checksum (off by
/// default), so that a wrong checksum is an expert error too.
const CHECKSUMS: [&str; 6] = [
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
];

/// tshark's expert errors for one file (malformed frames and bad checksums are expert
/// errors), or its own complaint if it could not read the file.
fn expert_errors(file: &Path) -> Option<String> {
    let out = Command::new("tshark")
        .args(["-n", "-q", "-z", "expert,error"])
        .args(CHECKSUMS)
        .arg("-r")
        .arg(file)
        .output()
        .expect("tshark runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Some(format!(
            "tshark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    stdout.contains("Errors (").then(|| stdout.into_owned())
}

/// One file holding every link's capture of a scenario (Wireshark's `mergecap`, installed
/// with tshark), so that tshark starts once per scenario rather than once per link.
fn merged(dir: &Path, files: &[PathBuf]) -> PathBuf {
    let out = dir.join("all-links.pcapng");
    let status = Command::new("mergecap")
        .arg("-w")
        .arg(&out)
        .args(files)
        .status()
        .expect("mergecap runs (it comes with tshark)");
    assert!(status.success(), "mergecap failed in {}", dir.display());
    out
}

#[test]
fn tshark_reads_every_capture_of_every_scenario_without_errors() {
    if tshark().is_none() {
        return;
    }
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pcap-scenarios");
    let _ = std::fs::remove_dir_all(&root);
    // The check can fail: a frame with a wrong IPv4 checksum is an error.
    let mut bad = scenario_captures("scenarios/nat-tour.ron");
    let c = bad
        .iter_mut()
        .find(|c| c.frames > 0)
        .expect("a capture with frames");
    let ip_checksum = find_ipv4_checksum(&c.bytes).expect("an IPv4 frame in the capture");
    c.bytes[ip_checksum] ^= 0xff;
    let files = write_all(&root.join("corrupted"), std::slice::from_ref(c));
    assert!(
        expert_errors(&files[0]).is_some(),
        "tshark did not see a corrupted checksum"
    );

    let mut checked = 0;
    let mut errors = Vec::new();
    for path in scenario_files() {
        let rel = relative(&path);
        if !is_scenario(&rel) {
            continue;
        }
        let caps = scenario_captures(&rel);
        assert!(!caps.is_empty(), "{rel}: no capture");
        let dir = root.join(rel.replace(['/', '.'], "_"));
        let files = write_all(&dir, &caps);
        checked += files.len();
        if let Some(e) = expert_errors(&merged(&dir, &files)) {
            errors.push(format!("{rel}:\n{e}"));
        }
    }
    assert!(
        errors.is_empty(),
        "captures with errors ({checked} files read):\n{}",
        errors.join("\n")
    );
}

/// The offset of the IPv4 header checksum of the first untagged IPv4 frame in a pcapng
/// file, found through its Enhanced Packet Blocks.
fn find_ipv4_checksum(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at + 12 <= bytes.len() {
        let kind = u32::from_le_bytes(bytes[at..at + 4].try_into().ok()?);
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?) as usize;
        // An Enhanced Packet Block: the frame starts 28 bytes in.
        let frame = at + 28;
        if kind == 6 && frame + 34 <= bytes.len() && bytes[frame + 12..frame + 14] == [0x08, 0x00] {
            return Some(frame + 14 + 10);
        }
        at += len.max(12);
    }
    None
}

#[test]
fn vxlan_inner_frames_decode_with_their_vni_and_probe_comments_survive() {
    let Some(tshark) = tshark() else { return };
    let caps = scenario_captures("scenarios/overlay.ron");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pcap-overlay");
    let _ = std::fs::remove_dir_all(&dir);
    let files = write_all(&dir, &caps);
    let mut inner = Vec::new();
    let mut comments = 0;
    for f in &files {
        let out = Command::new(&tshark)
            .args(["-n", "-r"])
            .arg(f)
            .args([
                "-Y",
                "vxlan",
                "-T",
                "fields",
                "-e",
                "vxlan.vni",
                "-e",
                "ip.src",
            ])
            .output()
            .expect("tshark runs");
        inner.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>(),
        );
        let out = Command::new(&tshark)
            .args(["-n", "-r"])
            .arg(f)
            .args([
                "-Y",
                "frame.comment contains \"probe #\"",
                "-T",
                "fields",
                "-e",
                "frame.number",
            ])
            .output()
            .expect("tshark runs");
        comments += String::from_utf8_lossy(&out.stdout).lines().count();
    }
    assert!(!inner.is_empty(), "no VXLAN frame decoded");
    // Each line: the VNI, then the outer and the inner source address.
    assert!(
        inner
            .iter()
            .all(|l| l.starts_with("4097\t") && l.contains(',')),
        "VXLAN frames without VNI 4097 or without an inner IPv4 header: {inner:?}"
    );
    assert!(comments > 0, "no frame carries its probe's comment");
}
