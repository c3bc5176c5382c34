//! The `hnsim` command line: reads files, prints to stdout/stderr, maps results to exit codes.
//! All simulation logic lives in sim-core; this file only measures wall time for `bench`.

use clap::{CommandFactory, Parser, Subcommand};
use sim_core::control::engine::DockerEngine;
use sim_core::control::version::WindowsVersion;
use sim_core::matrix;
use sim_core::scenario::{self, diag::render};
use sim_core::sim::diff as report_diff;
use sim_core::sim::report;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes: 0 all good, 1 an expectation failed, 2 bad input, 3 a run limit was hit, 4 the
/// output could not be written.
const EXIT_FAILED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;
const EXIT_LIMIT: u8 = 3;
/// Writing the output failed for another reason than its reader going away (a full disk).
const EXIT_OUTPUT: u8 = 4;

/// Output that never panics. A closed pipe (`hnsim run … | head`) ends the output quietly
/// and the run's own exit code stands; any other write error (a full disk) is reported
/// once on stderr and the exit code becomes `EXIT_OUTPUT`.
mod output {
    use std::io::{ErrorKind, Write};
    use std::sync::atomic::{AtomicU8, Ordering};

    /// 0: fine; 1: the reader went away; 2: a write failed otherwise.
    static STATE: AtomicU8 = AtomicU8::new(0);

    fn write(stream: &mut dyn Write, text: &str) {
        if STATE.load(Ordering::Relaxed) != 0 {
            return;
        }
        if let Err(e) = stream
            .write_all(text.as_bytes())
            .and_then(|_| stream.flush())
        {
            if e.kind() == ErrorKind::BrokenPipe {
                STATE.store(1, Ordering::Relaxed);
            } else {
                STATE.store(2, Ordering::Relaxed);
                let _ = writeln!(std::io::stderr(), "hnsim: cannot write the output: {e}");
            }
        }
    }

    pub fn stdout(text: &str) {
        write(&mut std::io::stdout().lock(), text);
    }

    pub fn stderr(text: &str) {
        // A closed stderr is not worth a word on itself.
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    /// Whether a write failed for another reason than a closed pipe.
    pub fn failed() -> bool {
        STATE.load(Ordering::Relaxed) == 2
    }
}

macro_rules! out {
    ($($arg:tt)*) => { output::stdout(&format!($($arg)*)) };
}
macro_rules! outln {
    ($($arg:tt)*) => { output::stdout(&format!("{}\n", format_args!($($arg)*))) };
}
macro_rules! err {
    ($($arg:tt)*) => { output::stderr(&format!($($arg)*)) };
}
macro_rules! errln {
    ($($arg:tt)*) => { output::stderr(&format!("{}\n", format_args!($($arg)*))) };
}

#[derive(Parser)]
#[command(
    name = "hnsim",
    version,
    about = "A deterministic simulator of container networking on Windows and Linux hosts"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its report.
    #[command(after_help = "Examples:\n  hnsim run scenarios/nat-tour.ron\n  \
        hnsim run scenarios/nat-tour.ron --config --pcap captures/\n\n\
        Exits 0 when every expectation held, 1 when one failed, 2 on a bad scenario, 3 when\n\
        the run hit a limit of its `limits` (max_events, max_sim_time_ms, max_memory_mb,\n\
        storm_copies), 4 when the output could not be written.")]
    Run {
        file: PathBuf,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Append the device configuration HNS compiled (vSwitches, vNICs, WinNAT, firewall).
        #[arg(long)]
        config: bool,
        /// Write one pcapng capture per link into this directory (created if missing), for
        /// Wireshark or tshark: every frame as it was on the wire, nanosecond timestamps.
        #[arg(long, value_name = "DIR")]
        pcap: Option<PathBuf>,
        /// `json`: print the report as versioned JSON for machines (docs/report.schema.json).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also write the expectations as JUnit XML, one test case each.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        #[command(flatten)]
        versions: Versions,
        #[command(flatten)]
        cut: Cut,
    },
    /// Run two designs and print only what changed, probe by probe: the outcome and the path
    /// (nodes, NAT, encapsulation, MAC rewrite, drops), never addresses or times.
    #[command(after_help = "Examples:\n  hnsim diff before.ron after.ron\n  \
        hnsim diff scenarios/overlay.ron --os 2016 --os 2022\n\n\
        Probes are matched by `name`, else by step and source, target and protocol.\n\
        Exits 0 when nothing changed, 1 when something did.")]
    Diff {
        /// One scenario (then give `--os` twice, or `--engine` twice) or two.
        #[arg(required = true, num_args = 1..=2)]
        files: Vec<PathBuf>,
        /// The Windows version of every Windows host, once per side.
        #[arg(long, value_enum, value_name = "VERSION")]
        os: Vec<WindowsVersion>,
        /// The Docker Engine release of every Linux host, once per side.
        #[arg(long, value_enum, value_name = "RELEASE")]
        engine: Vec<DockerEngine>,
    },
    /// Validate a scenario without running it: every problem at once, each at file:line:column.
    #[command(after_help = "Example:\n  hnsim check scenarios/nat-tour.ron\n\n\
        Besides the syntax, check finds what a run would trip on: unknown names in steps\n\
        and probes, cables, addresses, DHCP pools, images. Exits 0 when the scenario is\n\
        good, 2 when it is not.")]
    Check { file: PathBuf },
    /// Run a scenario's steps, then one more probe, and print that probe's trace.
    #[command(after_help = "Example:\n  \
        hnsim trace scenarios/nat-tour.ron --from laptop --to 10.0.0.11 --proto tcp/8080\n\n\
        --from names a container (`web` or `host1/web`), a container host or a fabric node;\n\
        --to also takes an IPv4 address or a DNS name. Exits 2 when one of them is unknown.")]
    Trace {
        file: PathBuf,
        /// Where the probe starts: a container, a container host or a fabric node.
        #[arg(long)]
        from: String,
        /// Where it goes: a name or an IPv4 address.
        #[arg(long)]
        to: String,
        /// icmp, tcp/PORT or udp/PORT
        #[arg(long, default_value = "icmp")]
        proto: String,
        /// Print the probe's run log as JSON (its end, its hops and its frames on links).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        cut: Cut,
    },
    /// Reproduce the docs' connectivity table (one row per driver, five cells) from the
    /// matrix scenarios, reading each cell's mechanisms from the probe traces.
    #[command(after_help = "Examples:\n  hnsim matrix --check\n  \
        hnsim matrix --os 2016 --format json\n  hnsim matrix --os linux --check\n\n\
        The documented tables and their scenarios are built in; --dir reads them from a\n\
        directory instead.")]
    Matrix {
        /// The OS every host runs: a Windows version, or `linux` (the bridge, host and none
        /// drivers of a Linux Docker host).
        #[arg(long, value_enum, default_value_t)]
        os: MatrixOs,
        /// With `--os linux`: the Docker Engine release every Linux host runs [default: v29]
        #[arg(long, value_enum)]
        engine: Option<DockerEngine>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Compare with the documented table (expected.ron); exit 1 if a cell differs.
        #[arg(long)]
        check: bool,
        /// Write the comparison with the documented table as JUnit XML, one test case per
        /// driver and cell (implies the comparison; exits 1 if a cell differs).
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// A directory with expected.ron and one <driver>.ron scenario per driver [default:
        /// the built-in copy of scenarios/matrix, or scenarios/matrix/linux with `--os linux`]
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Write a lesson page: one HTML file, which works offline, where a packet steps along
    /// each probe's hops on the topology, with each hop's headers decoded layer by layer.
    #[command(
        after_help = "Example:\n  hnsim viz scenarios/nat-tour.ron -o lesson.html\n\n\
        Open lesson.html in a browser: pick a probe on the left, then step with the buttons\n\
        or the arrow keys. Exits 1 if an expectation failed and 3 if the run hit a limit\n\
        (the page is written all the same)."
    )]
    Viz {
        file: PathBuf,
        /// Where to write the page [default: the scenario's name with .html, here]
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Draw the topology alone (hosts with their stacks, vSwitches and containers, and the
    /// fabric), as it stands after the scenario's steps ran.
    #[command(
        after_help = "Examples:\n  hnsim graph scenarios/nat-tour.ron --format svg -o nat-tour.svg\n  \
        hnsim graph scenarios/nat-tour.ron --format dot | dot -Tpng -o nat-tour.png"
    )]
    Graph {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Svg)]
        format: GraphFormat,
        /// Where to write the drawing [default: standard output]
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Run a built-in benchmark.
    #[command(after_help = "Example:\n  hnsim bench bridge-echo --hosts 64 --packets 20")]
    Bench {
        #[command(subcommand)]
        which: Bench,
    },
    /// Print a shell completion script.
    #[command(after_help = "Examples:\n  \
        hnsim completions bash > ~/.local/share/bash-completion/completions/hnsim\n  \
        hnsim completions zsh > ~/.zfunc/_hnsim\n  \
        hnsim completions fish > ~/.config/fish/completions/hnsim.fish")]
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
}

/// The shells `hnsim completions` writes a script for.
#[derive(Clone, Copy, clap::ValueEnum)]
enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

/// `--os` and `--engine` of `hnsim run`: every host's version, overriding the scenario's.
#[derive(clap::Args, Clone, Copy)]
struct Versions {
    /// Run every Windows host on this release (`2016`, `2019`, `2022`, `2025`).
    #[arg(long, value_enum, value_name = "VERSION")]
    os: Option<WindowsVersion>,
    /// Run every Linux host on this Docker Engine release (`20.10`, `27`, `28`, `29`).
    #[arg(long, value_enum, value_name = "RELEASE")]
    engine: Option<DockerEngine>,
}

impl Versions {
    fn apply(self, loaded: &mut scenario::LoadedScenario) {
        for h in &mut loaded.spec.fabric.hosts {
            h.os = h.os.overridden(self.os, self.engine);
        }
    }
}

/// `--no-arp` and `--first-packet`: which hops a trace shows.
#[derive(clap::Args, Clone, Copy)]
struct Cut {
    /// Leave address resolution (ARP) out of the traces.
    #[arg(long)]
    no_arp: bool,
    /// Show only the hops of each probe's first packet (not its DNS lookup or the answer).
    #[arg(long)]
    first_packet: bool,
}

impl From<Cut> for report::TraceCut {
    fn from(c: Cut) -> Self {
        report::TraceCut {
            no_arp: c.no_arp,
            first_packet: c.first_packet,
        }
    }
}

/// `hnsim matrix --os`: a Windows Server release (by its own names) or `linux`.
#[derive(Clone, Copy)]
enum MatrixOs {
    Windows(WindowsVersion),
    Linux,
}

impl Default for MatrixOs {
    fn default() -> Self {
        MatrixOs::Windows(WindowsVersion::default())
    }
}

impl MatrixOs {
    /// The platform the matrix runs on, or why `--engine` does not fit.
    fn platform(self, engine: Option<DockerEngine>) -> Result<matrix::Platform, String> {
        match (self, engine) {
            (MatrixOs::Linux, e) => Ok(matrix::Platform::Linux(e.unwrap_or_default())),
            (_, Some(_)) => Err("--engine applies to `--os linux` only".into()),
            (MatrixOs::Windows(v), None) => Ok(v.into()),
        }
    }
}

impl clap::ValueEnum for MatrixOs {
    fn value_variants<'a>() -> &'a [Self] {
        // The Windows releases in their own order, then linux.
        const ALL: [MatrixOs; 5] = [
            MatrixOs::Windows(WindowsVersion::Server2016),
            MatrixOs::Windows(WindowsVersion::Server2019),
            MatrixOs::Windows(WindowsVersion::Server2022),
            MatrixOs::Windows(WindowsVersion::Server2025),
            MatrixOs::Linux,
        ];
        &ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        match self {
            MatrixOs::Windows(v) => v.to_possible_value(),
            MatrixOs::Linux => Some(clap::builder::PossibleValue::new("linux")),
        }
    }
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum BenchOs {
    Windows,
    Linux,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum GraphFormat {
    /// Graphviz's DOT language.
    Dot,
    /// An SVG image, laid out by hnsim.
    Svg,
}

#[derive(Subcommand)]
enum Bench {
    /// N containers on one network (Windows: the nat network; Linux: one user-defined bridge);
    /// each sends K UDP echo requests, 100 us apart, to the next.
    #[command(
        after_help = "Examples:\n  hnsim bench bridge-echo --hosts 64 --packets 20\n  \
        hnsim bench bridge-echo --os linux --hosts 1000 --packets 1"
    )]
    BridgeEcho {
        /// How many containers (at least 2): the echo's hosts, spread over as many container
        /// hosts as `--per-host` requires.
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
        hosts: u32,
        #[arg(long, default_value_t = 100)]
        packets: u32,
        /// The most containers on one container host [default and most: what one network
        /// holds, 4093 on Windows (a nat network's /20 and MAC pool), 1023 on Linux (a
        /// bridge's ports)]. Each host's containers echo among themselves.
        #[arg(long, value_parser = clap::value_parser!(u32).range(2..))]
        per_host: Option<u32>,
        /// `windows` (a Windows Server 2022 host) or `linux`.
        #[arg(long, value_enum, default_value_t = BenchOs::Windows)]
        os: BenchOs,
        /// With `--os linux`: the Docker Engine release [default: v29]
        #[arg(long, value_enum)]
        engine: Option<DockerEngine>,
    },
    /// N containers on a Windows host's nat network; each sends K UDP echo requests, 100 us
    /// apart, to one server outside the host, through WinNAT.
    NatOut {
        #[arg(long, default_value_t = 256)]
        hosts: u32,
        #[arg(long, default_value_t = 100)]
        packets: u32,
    },
    /// N containers (N even) on a swarm overlay network, half on each of two Windows hosts;
    /// each sends K UDP echo requests, 100 us apart, to one on the other host, in VXLAN.
    OverlayEcho {
        #[arg(long, default_value_t = 256)]
        hosts: u32,
        #[arg(long, default_value_t = 100)]
        packets: u32,
    },
}

fn load(file: &std::path::Path) -> Result<scenario::LoadedScenario, ExitCode> {
    let loaded = scenario::load_path(file).map_err(|diags| {
        errln!("{}", render(&diags));
        errln!("{} problem(s) in {}", diags.len(), file.display());
        ExitCode::from(EXIT_BAD_INPUT)
    })?;
    for w in &loaded.warnings {
        errln!("{}", scenario::loops::render_warning(w));
    }
    Ok(loaded)
}

fn parse_proto(s: &str) -> Result<sim_core::scenario::ProtoSpec, String> {
    use sim_core::scenario::ProtoSpec;
    let port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("--proto {s:?}: the port must be a number from 1 to 65535"))
    };
    match s.split_once('/') {
        None if s == "icmp" => Ok(ProtoSpec::Icmp),
        Some(("tcp", p)) => Ok(ProtoSpec::Tcp(port(p)?)),
        Some(("udp", p)) => Ok(ProtoSpec::Udp(port(p)?)),
        _ => Err(format!(
            "--proto must be icmp, tcp/PORT or udp/PORT, not {s:?}"
        )),
    }
}

/// `hnsim trace`'s `--from` and `--to`: names the scenario knows (as `check` sees a `Probe`
/// step's), or exit 2 naming the option.
fn check_trace_names(
    loaded: &scenario::LoadedScenario,
    from: &str,
    to: &str,
) -> Result<(), ExitCode> {
    let names = scenario::names::KnownNames::of(&loaded.spec);
    let problems = [
        ("--from", names.source_problem(from)),
        ("--to", names.target_problem(to)),
    ];
    let mut bad = false;
    for (option, problem) in problems {
        if let Some((message, help)) = problem {
            errln!("hnsim: {option}: {message}");
            if let Some(help) = help {
                errln!("  = help: {help}");
            }
            bad = true;
        }
    }
    if bad {
        return Err(ExitCode::from(EXIT_BAD_INPUT));
    }
    Ok(())
}

/// `hnsim matrix`: prints the table (and with `check`, the differences from the docs).
fn matrix(
    m: Result<matrix::Matrix, matrix::MatrixError>,
    format: Format,
    check: bool,
    junit: Option<&std::path::Path>,
) -> ExitCode {
    let m = match m {
        Ok(m) => m,
        Err(e) => {
            errln!("{e}");
            errln!("hnsim: cannot build the matrix");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let checked = (check || junit.is_some()).then(|| matrix::render::check(&m));
    if let (Some(path), Some(c)) = (junit, &checked) {
        if let Err(code) = write_file(path, &matrix::render::junit(&m, c)) {
            return code;
        }
    }
    match format {
        Format::Text => {
            out!("{}", matrix::render::text(&m));
            if let Some(c) = checked.as_ref().filter(|_| check) {
                out!("\n{}", c.render());
            }
        }
        Format::Json => {
            let shown = checked.as_ref().filter(|_| check);
            out!("{}", matrix::render::json_checked(&m, shown));
            if let Some(c) = shown {
                err!("{}", c.render());
            }
        }
    }
    if let Some(d) = m.drivers.iter().find(|d| d.limit_hit.is_some()) {
        errln!(
            "hnsim: the {} run hit its {} limit",
            d.driver,
            d.limit_hit.as_deref().unwrap_or_default()
        );
        return ExitCode::from(EXIT_LIMIT);
    }
    if checked.is_some_and(|c| c.failed()) {
        return ExitCode::from(EXIT_FAILED);
    }
    ExitCode::SUCCESS
}

/// Writes `text` to `path`, or says why it could not.
fn write_file(path: &std::path::Path, text: &str) -> Result<(), ExitCode> {
    std::fs::write(path, text).map_err(|e| {
        errln!("hnsim: cannot write {}: {e}", path.display());
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

/// `hnsim viz`: runs the scenario and writes its lesson page.
fn viz(file: &std::path::Path, output: Option<PathBuf>) -> ExitCode {
    let loaded = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let output = output.unwrap_or_else(|| {
        let stem = file.file_stem().unwrap_or(file.as_os_str());
        PathBuf::from(format!("{}.html", stem.to_string_lossy()))
    });
    let lesson = visualizer::record(&loaded);
    let page = visualizer::page(&lesson);
    if let Err(code) = write_file(&output, &page) {
        return code;
    }
    let hops: usize = lesson.probes.iter().map(|p| p.hops.len()).sum();
    errln!(
        "hnsim: wrote {} ({} probes, {} hops, {} KiB)",
        output.display(),
        lesson.probes.len(),
        hops,
        page.len().div_ceil(1024)
    );
    for f in &lesson.failures {
        errln!("expectation failed: {f}");
    }
    if lesson
        .failures
        .iter()
        .any(|f| f.starts_with("the run hit its"))
    {
        return ExitCode::from(EXIT_LIMIT);
    }
    if !lesson.failures.is_empty() {
        return ExitCode::from(EXIT_FAILED);
    }
    ExitCode::SUCCESS
}

/// `hnsim graph`: runs the scenario and draws its topology.
fn graph(file: &std::path::Path, format: GraphFormat, output: Option<PathBuf>) -> ExitCode {
    let loaded = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let lesson = visualizer::record(&loaded);
    let text = match format {
        GraphFormat::Dot => visualizer::graph_dot(&lesson),
        GraphFormat::Svg => visualizer::graph_svg(&lesson),
    };
    match output {
        Some(path) => match write_file(&path, &text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(code) => code,
        },
        None => {
            out!("{text}");
            ExitCode::SUCCESS
        }
    }
}

/// `hnsim diff`: runs two designs (two files, or one file on two versions) and prints what
/// changed, probe by probe.
fn diff(files: &[PathBuf], os: &[WindowsVersion], engine: &[DockerEngine]) -> ExitCode {
    let side = |k: usize| Versions {
        os: os.get(k).or(os.first()).copied(),
        engine: engine.get(k).or(engine.first()).copied(),
    };
    let sides = match (files.len(), os.len().max(engine.len())) {
        (2, 0 | 1) => [(0, side(0)), (1, side(0))],
        (1, 2) => [(0, side(0)), (0, side(1))],
        (1, _) => {
            errln!("hnsim: diff takes two files, or one file with `--os` (or `--engine`) twice");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
        _ => {
            errln!("hnsim: with two files, give `--os` and `--engine` at most once each");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let mut runs = Vec::new();
    for (file, versions) in sides {
        let mut loaded = match load(&files[file]) {
            Ok(s) => s,
            Err(code) => return code,
        };
        versions.apply(&mut loaded);
        let opts = report::RunOptions {
            machine: true,
            ..report::RunOptions::default()
        };
        let rep = report::run_world(&loaded, opts, &mut |_| {}).0;
        let mut label = files[file].display().to_string();
        if let Some(v) = versions.os.filter(|_| !os.is_empty()) {
            label.push_str(&format!(" on {v}"));
        }
        if let Some(e) = versions.engine.filter(|_| !engine.is_empty()) {
            label.push_str(&format!(" with Docker Engine {}", e.cli_name()));
        }
        if let Some(limit) = &rep.limit_hit {
            errln!("hnsim: the run of {label} hit its {limit} limit");
            return ExitCode::from(EXIT_LIMIT);
        }
        runs.push((label, rep.machine.unwrap_or_default()));
    }
    let changes = report_diff::compare(&runs[0].1, &runs[1].1);
    out!("{}", report_diff::render(&changes, &runs[0].0, &runs[1].0));
    if changes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

/// Runs a scenario recording every frame, and writes one pcapng file per link into `dir`.
/// A directory or file that cannot be written is reported with its path (exit code 4).
fn run_capturing(
    loaded: &scenario::LoadedScenario,
    opts: report::RunOptions,
    dir: &std::path::Path,
) -> Result<report::Report, ExitCode> {
    let mut names = std::collections::BTreeMap::new();
    let opts = report::RunOptions {
        record_frames: true,
        ..opts
    };
    let (rep, world) = report::run_world(loaded, opts, &mut |step| {
        let r = step.result;
        let named = step.name.map(|n| format!(" {n:?}")).unwrap_or_default();
        names.insert(
            r.id,
            format!(
                "probe #{}{named} {} -> {} {}",
                r.id.0, r.from, r.to, r.proto
            ),
        );
    });
    let Some(world) = world else {
        return Ok(rep);
    };
    let caps = sim_core::pcapng::captures(&world.engine, &names, &loaded.file);
    let written = std::fs::create_dir_all(dir).and_then(|()| {
        caps.iter()
            .try_for_each(|c| std::fs::write(dir.join(&c.file_name), &c.bytes))
    });
    if let Err(e) = written {
        errln!(
            "hnsim: cannot write the captures into {}: {e}",
            dir.display()
        );
        return Err(ExitCode::from(EXIT_OUTPUT));
    }
    Ok(rep)
}

fn main() -> ExitCode {
    let code = run(Cli::parse());
    if output::failed() {
        return ExitCode::from(EXIT_OUTPUT);
    }
    code
}

fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check { file } => match load(&file) {
            Ok(s) => {
                outln!("{}: ok ({} steps)", file.display(), s.spec.steps.len());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Run {
            file,
            seed,
            config,
            pcap,
            format,
            junit,
            versions,
            cut,
        } => {
            let mut loaded = match load(&file) {
                Ok(s) => s,
                Err(code) => return code,
            };
            if let Some(seed) = seed {
                loaded.spec.seed = seed;
            }
            versions.apply(&mut loaded);
            let opts = report::RunOptions {
                show_config: config,
                machine: matches!(format, Format::Json) || junit.is_some(),
                cut: cut.into(),
                ..report::RunOptions::default()
            };
            let rep = match &pcap {
                None => report::run_world(&loaded, opts, &mut |_| {}).0,
                Some(dir) => match run_capturing(&loaded, opts, dir) {
                    Ok(rep) => rep,
                    Err(code) => return code,
                },
            };
            let machine = rep.machine.as_ref();
            if let (Some(path), Some(m)) = (&junit, machine) {
                if let Err(code) = write_file(path, &m.to_junit()) {
                    return code;
                }
            }
            match (format, machine) {
                (Format::Json, Some(m)) => out!("{}", m.to_json()),
                _ => out!("{}", rep.text),
            }
            if let Some(limit) = &rep.limit_hit {
                match &rep.finding {
                    Some(finding) => errln!("hnsim: the run hit its {limit} limit: {finding}"),
                    None => errln!("hnsim: the run hit its {limit} limit"),
                }
                return ExitCode::from(EXIT_LIMIT);
            }
            if !rep.failures.is_empty() {
                for f in &rep.failures {
                    errln!("expectation failed: {f}");
                }
                return ExitCode::from(EXIT_FAILED);
            }
            ExitCode::SUCCESS
        }
        Command::Trace {
            file,
            from,
            to,
            proto,
            json,
            cut,
        } => {
            let loaded = match load(&file) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let proto = match parse_proto(&proto) {
                Ok(p) => p,
                Err(e) => {
                    errln!("hnsim: {e}");
                    return ExitCode::from(EXIT_BAD_INPUT);
                }
            };
            if let Err(code) = check_trace_names(&loaded, &from, &to) {
                return code;
            }
            let format = if json {
                report::TraceFormat::Json
            } else {
                report::TraceFormat::Text
            };
            let t = report::trace(loaded, &from, &to, proto, format, cut.into());
            if let Some(shown) = &t.shown {
                out!("{shown}");
            }
            if !t.report.failures.is_empty() {
                for f in &t.report.failures {
                    errln!("{f}");
                }
                return ExitCode::from(EXIT_FAILED);
            }
            if t.shown.is_none() {
                let limit = t.report.limit_hit.as_deref().unwrap_or_default();
                errln!("hnsim: the run hit its {limit} limit before the probe could run");
                return ExitCode::from(EXIT_LIMIT);
            }
            ExitCode::SUCCESS
        }
        Command::Matrix {
            os,
            engine,
            format,
            check,
            junit,
            dir,
        } => match os.platform(engine) {
            Ok(os) => {
                let m = match &dir {
                    Some(dir) => matrix::run(&dir.to_string_lossy(), os),
                    None => matrix::run_builtin(os),
                };
                matrix(m, format, check, junit.as_deref())
            }
            Err(e) => {
                errln!("hnsim: {e}");
                ExitCode::from(EXIT_BAD_INPUT)
            }
        },
        Command::Viz { file, output } => viz(&file, output),
        Command::Diff { files, os, engine } => diff(&files, &os, &engine),
        Command::Completions { shell } => {
            let shell = match shell {
                CompletionShell::Bash => clap_complete::Shell::Bash,
                CompletionShell::Zsh => clap_complete::Shell::Zsh,
                CompletionShell::Fish => clap_complete::Shell::Fish,
            };
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "hnsim", &mut script);
            out!("{}", String::from_utf8_lossy(&script));
            ExitCode::SUCCESS
        }
        Command::Graph {
            file,
            format,
            output,
        } => graph(&file, format, output),
        Command::Bench { which } => {
            // A progress bar for long set-ups, drawn only when stderr is a terminal
            // (indicatif's stderr target hides itself otherwise).
            let bar = |hosts: u32| {
                let bar = indicatif::ProgressBar::new(u64::from(hosts));
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "setting up {pos}/{len} containers {wide_bar} {elapsed}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            };
            let setup_start = std::time::Instant::now();
            let (hosts, setup) = match which {
                Bench::BridgeEcho {
                    hosts,
                    packets,
                    per_host,
                    os,
                    engine,
                } => {
                    let linux = match (os, engine) {
                        (BenchOs::Windows, None) => None,
                        (BenchOs::Linux, e) => Some(e.unwrap_or_default()),
                        (BenchOs::Windows, Some(_)) => {
                            errln!("hnsim: --engine applies to `--os linux` only");
                            return ExitCode::from(EXIT_BAD_INPUT);
                        }
                    };
                    let most = match linux {
                        None => sim_core::sim::bench::WINDOWS_PER_HOST,
                        Some(_) => sim_core::sim::bench::LINUX_PER_HOST,
                    };
                    let per_host = per_host.unwrap_or(most);
                    if per_host > most {
                        errln!(
                            "hnsim: --per-host {per_host}: one network holds at most {most} \
                             containers here"
                        );
                        return ExitCode::from(EXIT_BAD_INPUT);
                    }
                    let layout = match sim_core::sim::bench::Layout::spread(hosts, per_host) {
                        Ok(l) => l,
                        Err(e) => {
                            errln!("hnsim: {e}");
                            return ExitCode::from(EXIT_BAD_INPUT);
                        }
                    };
                    // One host is what the bench always ran; more are said.
                    if layout.per_host.len() > 1 {
                        errln!("layout: {}", layout.describe(linux.is_some()));
                    }
                    let bar = bar(hosts);
                    let setup = sim_core::sim::bench::setup_with_progress(
                        &layout,
                        packets,
                        linux,
                        &mut |i| {
                            if i % 256 == 0 {
                                bar.set_position(u64::from(i));
                            }
                        },
                    );
                    bar.finish_and_clear();
                    (hosts, setup)
                }
                Bench::NatOut { hosts, packets } => {
                    (hosts, sim_core::sim::bench::setup_nat_out(hosts, packets))
                }
                Bench::OverlayEcho { hosts, packets } => (
                    hosts,
                    sim_core::sim::bench::setup_overlay_echo(hosts, packets),
                ),
            };
            let mut workload = match setup {
                Ok(w) => w,
                Err(e) => {
                    errln!("hnsim: {e}");
                    return ExitCode::from(EXIT_FAILED);
                }
            };
            // The simulation is timed apart from building the N containers (`setup_s`).
            let setup_s = setup_start.elapsed().as_secs_f64();
            let start = std::time::Instant::now();
            let r = workload.run();
            let wall = start.elapsed().as_secs_f64().max(1e-9);
            {
                {
                    outln!(
                        "hosts={} echo_requests={} events={} wall_s={:.3} events_per_s={:.0} echoes_per_s={:.0} setup_s={:.3}",
                        hosts,
                        r.echo_requests,
                        r.events,
                        wall,
                        r.events as f64 / wall,
                        r.echo_replies as f64 / wall,
                        setup_s
                    );
                    if r.echo_replies != r.echo_requests {
                        errln!(
                            "hnsim: only {} of {} echoes came back",
                            r.echo_replies,
                            r.echo_requests
                        );
                        return ExitCode::from(EXIT_FAILED);
                    }
                    ExitCode::SUCCESS
                }
            }
        }
    }
}
