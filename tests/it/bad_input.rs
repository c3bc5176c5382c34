//! The catalogue of bad inputs: scenario files under `testdata/bad/` and the command lines of
//! [`COMMAND_LINES`], each run through the real `hnsim` binary. Every case states the exit code
//! it must end with; what it prints is pinned in one snapshot, a readable report of every case.
//!
//! A file of the catalogue starts with three comment lines: what is wrong with it, the command
//! that reads it (`// $ hnsim check FILE`), and its exit code (`// exit 2`). Every message must
//! name its place: `file:line:column` for a scenario file, the option for a command line.
//! Nothing may panic (exit 101), and a file that `check` refuses, `run` refuses with the same
//! words before running anything.

use crate::common::{hnsim, repo_root};

const DIR: &str = "tests/it/testdata/bad";

/// A command line, its exit code, and the option (or word) its message must name.
struct CommandLine {
    args: &'static [&'static str],
    exit: i32,
    names: &'static str,
}

const fn cl(args: &'static [&'static str], exit: i32, names: &'static str) -> CommandLine {
    CommandLine { args, exit, names }
}

/// Bad command lines: unknown subcommands and flags, values out of range, names the scenario
/// does not know. All are bad input (exit 2) unless said otherwise.
const COMMAND_LINES: &[CommandLine] = &[
    cl(&["nosuch"], 2, "nosuch"),
    cl(&["run"], 2, "<FILE>"),
    cl(&["run", "--bogus", "scenarios/nat-tour.ron"], 2, "--bogus"),
    cl(&["run", "no/such/file.ron"], 2, "no/such/file.ron"),
    cl(&["run", "scenarios"], 2, "scenarios"),
    cl(
        &["run", "scenarios/nat-tour.ron", "--os", "2012"],
        2,
        "--os",
    ),
    cl(
        &["run", "scenarios/nat-tour.ron", "--engine", "v1"],
        2,
        "--engine",
    ),
    cl(
        &["run", "scenarios/nat-tour.ron", "--format", "xml"],
        2,
        "--format",
    ),
    cl(&["check"], 2, "<FILE>"),
    cl(&["check", "a.ron", "b.ron"], 2, "b.ron"),
    cl(&["bench", "bridge-echo", "--hosts", "0"], 2, "--hosts"),
    cl(&["bench", "bridge-echo", "--hosts", "-3"], 2, "-3"),
    cl(&["bench", "bridge-echo", "--hosts", "many"], 2, "--hosts"),
    cl(&["bench", "bridge-echo", "--packets", "x"], 2, "--packets"),
    cl(&["bench", "bridge-echo", "--os", "macos"], 2, "--os"),
    cl(&["bench", "nosuch-workload"], 2, "nosuch-workload"),
    cl(
        &[
            "trace",
            "scenarios/nat-tour.ron",
            "--from",
            "nosuch",
            "--to",
            "web",
        ],
        2,
        "--from",
    ),
    cl(
        &[
            "trace",
            "scenarios/nat-tour.ron",
            "--from",
            "laptop",
            "--to",
            "nosuch",
        ],
        2,
        "--to",
    ),
    cl(
        &[
            "trace",
            "scenarios/nat-tour.ron",
            "--from",
            "laptop",
            "--to",
            "web",
            "--proto",
            "tcp/0",
        ],
        2,
        "--proto",
    ),
    cl(
        &[
            "trace",
            "scenarios/nat-tour.ron",
            "--from",
            "laptop",
            "--to",
            "web",
            "--proto",
            "sctp/80",
        ],
        2,
        "--proto",
    ),
    cl(
        &[
            "trace",
            "scenarios/nat-tour.ron",
            "--from",
            "laptop",
            "--to",
            "web",
            "--proto",
            "tcp/99999",
        ],
        2,
        "--proto",
    ),
    cl(
        &["trace", "scenarios/nat-tour.ron", "--to", "web"],
        2,
        "--from",
    ),
    cl(&["diff", "scenarios/nat-tour.ron"], 2, "diff"),
    cl(
        &["diff", "scenarios/nat-tour.ron", "--os", "2016"],
        2,
        "--os",
    ),
    cl(&["matrix", "--os", "windows-server-2099"], 2, "--os"),
    cl(&["matrix", "--format", "yaml"], 2, "--format"),
    cl(&["matrix", "--engine", "v1"], 2, "--engine"),
    cl(
        &["graph", "scenarios/nat-tour.ron", "--format", "png"],
        2,
        "--format",
    ),
    cl(&["viz"], 2, "<FILE>"),
    cl(&["completions", "powershell"], 2, "powershell"),
    cl(
        &["check", "--quiet", "scenarios/nat-tour.ron"],
        2,
        "--quiet",
    ),
    cl(&["run", "scenarios/nat-tour.ron", "--pcap"], 2, "--pcap"),
];

/// One case of the catalogue as the report shows it.
struct Case {
    name: String,
    what: String,
    args: Vec<String>,
    exit: i32,
}

/// Reads the three header lines of a catalogue file.
fn file_case(file: &str) -> Case {
    let path = format!("{DIR}/{file}");
    let text = std::fs::read_to_string(repo_root().join(&path)).expect("a catalogue file");
    let mut lines = text.lines();
    let mut header = |prefix: &str| {
        let line = lines.next().unwrap_or_default();
        line.strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{path}: a header line must start with {prefix:?}: {line:?}"))
            .to_string()
    };
    let what = header("// ");
    let command = header("// $ hnsim ");
    let exit = header("// exit ").parse().expect("an exit code");
    let mut args: Vec<String> = command.split_whitespace().map(String::from).collect();
    assert_eq!(
        args.pop().as_deref(),
        Some("FILE"),
        "{path}: the command ends with FILE"
    );
    args.push(path);
    Case {
        name: file.trim_end_matches(".ron").to_string(),
        what,
        args,
        exit,
    }
}

/// The report of one case: its name, what is wrong, the command, its exit code and what it
/// printed on stderr. Checks what every case must hold on the way.
fn run_case(case: &Case, places: &dyn Fn(&str) -> bool) -> String {
    let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
    let out = hnsim(&args);
    let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
    let code = out.status.code();
    assert_ne!(code, Some(101), "{}: hnsim panicked:\n{stderr}", case.name);
    assert_eq!(code, Some(case.exit), "{}: exit code\n{stderr}", case.name);
    assert!(
        places(&stderr),
        "{}: the message does not name its place:\n{stderr}",
        case.name
    );
    format!(
        "== {}: {}\n$ hnsim {}\nexit {}\n{}",
        case.name,
        case.what,
        case.args.join(" "),
        case.exit,
        stderr.trim_end()
    )
}

/// Every first line of a problem in `stderr` names `file:line:column` (for `check` and `run`'s
/// refusals), or the failed expectation names the step's place, or the run names the limit it hit.
fn names_file_places(file: &str, stderr: &str) -> bool {
    let place = |l: &str| {
        let Some(rest) = l.strip_prefix(file).and_then(|r| r.strip_prefix(':')) else {
            return false;
        };
        let mut parts = rest.splitn(3, ':');
        let number = |p: Option<&str>| p.is_some_and(|p| p.parse::<usize>().is_ok_and(|n| n > 0));
        number(parts.next()) && number(parts.next())
    };
    let problems: Vec<&str> = stderr.lines().filter(|l| l.contains(" error: ")).collect();
    let failures: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("expectation failed: "))
        .collect();
    let limit = stderr.contains("hnsim: the run hit its max_");
    (!problems.is_empty() || !failures.is_empty() || limit)
        && problems.iter().chain(&failures).all(|l| place(l))
}

#[test]
fn every_bad_input_is_explained_with_its_place_and_exit_code() {
    let mut files: Vec<String> = std::fs::read_dir(repo_root().join(DIR))
        .expect("the catalogue directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".ron"))
        .collect();
    files.sort();
    let mut report = Vec::new();
    for file in &files {
        let case = file_case(file);
        let path = case.args.last().cloned().unwrap_or_default();
        let shown = run_case(&case, &|e| names_file_places(&path, e));
        if case.args[0] == "check" {
            // What `check` refuses, `run` refuses the same way, before anything runs.
            let run = hnsim(&["run", &path]);
            assert_eq!(
                run.status.code(),
                Some(case.exit),
                "{}: run's exit code",
                case.name
            );
            assert!(run.stdout.is_empty(), "{}: run printed a report", case.name);
            let check = hnsim(&["check", &path]);
            assert_eq!(
                run.stderr, check.stderr,
                "{}: run and check differ",
                case.name
            );
        }
        report.push(shown);
    }
    for (i, c) in COMMAND_LINES.iter().enumerate() {
        let case = Case {
            name: format!("cli-{:02}", i + 1),
            what: format!("the message names `{}`", c.names),
            args: c.args.iter().map(|a| a.to_string()).collect(),
            exit: c.exit,
        };
        report.push(run_case(&case, &|e| e.contains(c.names)));
    }
    assert!(report.len() >= 150, "only {} cases", report.len());
    insta::assert_snapshot!("bad_inputs", report.join("\n\n"));
}
