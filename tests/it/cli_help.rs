//! The friendly parts of the command line: an example in every subcommand's help, shell
//! completions, names checked before a trace runs, the built-in matrix from any directory,
//! and `check` finding what a run would trip on.

use crate::common::{hnsim, hnsim_in, text};

#[test]
fn every_subcommand_help_has_an_example() {
    let subcommands: &[&[&str]] = &[
        &["run"],
        &["check"],
        &["trace"],
        &["matrix"],
        &["viz"],
        &["graph"],
        &["bench"],
        &["bench", "bridge-echo"],
        &["completions"],
    ];
    for sub in subcommands {
        let mut args = sub.to_vec();
        args.push("--help");
        let out = hnsim(&args);
        assert_eq!(out.status.code(), Some(0), "{sub:?}");
        let help = text(&out.stdout);
        let example = help
            .split_once("Example")
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("no example in `hnsim {}`:\n{help}", sub.join(" ")));
        assert!(
            example.contains(&format!("hnsim {}", sub[0])),
            "the example of `hnsim {}` does not use it:\n{help}",
            sub.join(" ")
        );
    }
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef hnsim"),
        ("fish", "complete -c hnsim"),
    ] {
        let out = hnsim(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        for sub in ["run", "check", "trace", "matrix", "bench", "completions"] {
            assert!(script.contains(sub), "{shell}: no `{sub}`");
        }
    }
    let out = hnsim(&["completions", "powershell-7"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn trace_with_unknown_names_exits_2_naming_the_option() {
    let out = hnsim(&[
        "trace",
        "scenarios/nat-tour.ron",
        "--from",
        "lapotp",
        "--to",
        "10.0.0.300",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "");
    insta::assert_snapshot!(text(&out.stderr), @r"
    hnsim: --from: there is no container, container host or fabric node named `lapotp` to probe from (containers count when a docker line gives them a `--name`)
      = help: did you mean `laptop`?
    hnsim: --to: `10.0.0.300` is not an IPv4 address (four numbers from 0 to 255); it would be looked up as a DNS name
    ");
}

#[test]
fn bench_with_no_hosts_is_bad_input() {
    let out = hnsim(&["bench", "bridge-echo", "--hosts", "0", "--packets", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--hosts"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn matrix_works_from_any_directory_and_fits_120_columns() {
    let elsewhere = std::env::temp_dir();
    for os in ["windows-server-2022", "linux"] {
        let here = hnsim(&["matrix", "--os", os]);
        let there = hnsim_in(&elsewhere, &["matrix", "--os", os]);
        assert_eq!(there.status.code(), Some(0), "{}", text(&there.stderr));
        assert_eq!(text(&here.stdout), text(&there.stdout));
        // The built-in tables are the files in scenarios/ (a file added there but not built
        // in, or changed, shows here).
        let dir = if os == "linux" {
            "scenarios/matrix/linux"
        } else {
            "scenarios/matrix"
        };
        let from_dir = hnsim(&["matrix", "--os", os, "--dir", dir]);
        assert_eq!(text(&here.stdout), text(&from_dir.stdout), "{os}");
        let stdout = text(&here.stdout);
        let table: Vec<&str> = stdout
            .lines()
            .filter(|l| l.starts_with('|') || l.starts_with('+'))
            .collect();
        assert!(table.len() > 5, "{os}: no table");
        for line in table {
            assert!(
                line.chars().count() <= 120,
                "{os}: {} columns: {line}",
                line.chars().count()
            );
        }
    }
}

/// Each problem `check` must find before a run trips on it, with the text its message holds.
const TRIPS: &[(&str, &str, &str)] = &[
    (
        r#"Probe(from: "wbe", to: "10.0.0.11")"#,
        r#""wbe""#,
        "there is no container, container host or fabric node named `wbe`",
    ),
    (
        r#"Probe(from: "laptop", to: "webb")"#,
        r#""webb""#,
        "nothing in the scenario is named `webb`",
    ),
    (
        r#"Probe(from: "laptop", to: "10.0.0.300")"#,
        r#""10.0.0.300""#,
        "`10.0.0.300` is not an IPv4 address",
    ),
    (
        r#"Probe(from: "laptop", to: "web", proto: Tcp(8080), expect: Some(Delivered))"#,
        "Tcp(8080)",
        "listens on `tcp/80` only and no `Listen` step opens it",
    ),
    (
        r#"Docker(host: "host1", cmd: "docker run -d --name db mcr.microsoft.com/windows/servercore/isi")"#,
        r#""docker run -d --name db"#,
        "image `mcr.microsoft.com/windows/servercore/isi` is not listed in `images`",
    ),
];

const BASE: &str = r#"(
    title: "check finds it",
    images: [(name: "mcr.microsoft.com/windows/servercore/iis", services: [Tcp(80)])],
    fabric: (
        switches: [(name: "lan"), (name: "hv", kind: HyperV)],
        externals: [(name: "laptop", interfaces: [(name: "eth0", address: "10.0.0.50/24")])],
        hosts: [(name: "host1", nics: [(name: "Ethernet", address: "10.0.0.11/24")])],
        links: [(a: "host1.Ethernet", b: "lan"), (a: "laptop.eth0", b: "lan"), (a: "hv", b: "lan", mac_spoofing: true)],
    ),
    steps: [
        Docker(host: "host1", cmd: "docker run -d --name web mcr.microsoft.com/windows/servercore/iis"),
        STEP
    ],
)
"#;

fn check_text(file: &str, contents: &str) -> (Option<i32>, String) {
    let path = std::env::temp_dir().join(format!("hnsim-cli-help-{}-{file}", std::process::id()));
    std::fs::write(&path, contents).expect("write a temp file");
    let out = hnsim(&["check", path.to_str().expect("a UTF-8 path")]);
    let _ = std::fs::remove_file(&path);
    let stderr = text(&out.stderr).replace(path.to_str().unwrap_or_default(), file);
    (out.status.code(), stderr)
}

#[test]
fn check_finds_what_a_run_would_trip_on() {
    // The base scenario is good (a plain `true` for an optional field included).
    let (code, stderr) = check_text("base.ron", &BASE.replace("STEP", r#"Note("ok")"#));
    assert_eq!(code, Some(0), "{stderr}");
    for (i, (step, at, message)) in TRIPS.iter().enumerate() {
        let contents = BASE.replace("STEP", step);
        let (code, stderr) = check_text(&format!("trip{i}.ron"), &contents);
        assert_eq!(code, Some(2), "{step}: {stderr}");
        let line = contents
            .lines()
            .position(|l| l.contains(step))
            .expect("the step is in the file")
            + 1;
        let col = contents.lines().nth(line - 1).unwrap().find(at).unwrap() + 1;
        let head = format!("trip{i}.ron:{line}:{col}: error: ");
        assert!(
            stderr.starts_with(&head) && stderr.lines().next().unwrap().contains(message),
            "{step}: expected `{head}...{message}`, got:\n{stderr}"
        );
    }
}

/// The silently accepted inputs of issue 12: all found at once, each at file:line:column.
const FABRIC_TRIPS: &str = r#"(
    title: "every fabric mistake at once",
    fabric: (
        switches: [(name: "lan")],
        routers: [(name: "r1", interfaces: [(name: "a", address: "10.0.0.1/24"), (name: "b", address: "10.0.0.129/25")])],
        externals: [
            (name: "dhcp", interfaces: [(name: "eth0", address: "10.0.0.2/24")],
             dhcp_server: (pool_start: "10.0.0.200", pool_end: "10.0.0.100")),
            (name: "dhcp2", interfaces: [(name: "eth0", address: "10.0.1.2/24")],
             dhcp_server: (pool_start: "10.0.0.100", pool_end: "10.0.0.110")),
        ],
        hosts: [
            (name: "host1", nics: [(name: "eth0", address: "10.0.0.11/0")]),
            (name: "host2", nics: [(name: "eth0", address: "10.0.0.2/24"), (name: "eth1", address: "10.0.5.2/24")]),
        ],
        links: [
            (a: "r1.a", b: "lan"), (a: "r1.b", b: "lan"), (a: "dhcp.eth0", b: "lan"),
            (a: "dhcp2.eth0", b: "lan"), (a: "host1.eth0", b: "lan", mac_spoofing: true),
            (a: "host2.eth0", b: "lan"),
        ],
    ),
)
"#;

#[test]
fn check_finds_every_fabric_mistake_at_once() {
    let (code, stderr) = check_text("fabric.ron", FABRIC_TRIPS);
    assert_eq!(code, Some(2));
    let heads: Vec<&str> = stderr.lines().filter(|l| l.contains(": error: ")).collect();
    insta::assert_snapshot!(heads.join("\n"), @r"
    fabric.ron:5:103: error: router `r1`: subnet 10.0.0.128/25 of this interface overlaps 10.0.0.0/24 of its interface `a` at line 5:45; a router's interfaces are on distinct subnets
    fabric.ron:8:64: error: the DHCP pool ends at 10.0.0.100, before its start 10.0.0.200
    fabric.ron:10:40: error: the DHCP pool 10.0.0.100 to 10.0.0.110 is not inside the subnet of one interface of this host (`10.0.1.0/24`)
    fabric.ron:13:60: error: address `10.0.0.11/0` has a /0 prefix: every address would be on this link; give the prefix of its subnet, e.g. `10.0.0.11/24`
    fabric.ron:14:60: error: address 10.0.0.2 is already given to the interface at line 7:41; two interfaces cannot hold the same address
    fabric.ron:14:83: error: NIC `host2.eth1` has no cable: add a link to `fabric.links` with an end `host2.eth1`
    fabric.ron:18:84: error: mac_spoofing applies to a VM's port on a `HyperV` switch; `lan` is a physical switch
    ");
}
