//! The oracle comparison (issue 10): every case recorded against a real Docker 20.10 daemon
//! (`tests/oracle/fixtures/`) is replayed in hnsim with `engine: V20_10` and compared, from
//! the fixtures alone. `fixture` reads them, `env` builds the oracle's host as a scenario,
//! `replay` runs a case, `mask` applies the README's masks to both sides, `compare` counts
//! agreeing fields, `report` writes `tests/oracle/AGREEMENT.md`.
//!
//! The test is a ratchet: `tests/oracle/agreeing.txt` lists the cases that agree fully, and
//! the test fails when one of them no longer does. More agreeing cases than listed is a note,
//! not a failure; `HNSIM_ORACLE_WRITE=1 cargo test --test it oracle` rewrites both files.
//! `HNSIM_ORACLE_SHOW=<part of a case id>` prints those cases side by side, as compared.

mod compare;
mod env;
mod fixture;
mod mask;
mod replay;
mod report;

use crate::common::repo_root;
use compare::CaseResult;
use report::GroupResult;
use std::collections::BTreeSet;

fn oracle_dir() -> std::path::PathBuf {
    repo_root().join("tests/oracle")
}

/// Every group, replayed and compared; and whether the guard rule could be installed.
fn run_all() -> (Vec<GroupResult>, bool) {
    let fixtures = fixture::load_all(&oracle_dir().join("fixtures"));
    assert!(!fixtures.is_empty(), "no fixtures in tests/oracle/fixtures");
    let env = env::Environment::new();
    let mut guard_installed = true;
    let groups = fixtures
        .iter()
        .map(|f| GroupResult {
            group: f.group.clone(),
            cases: f
                .cases
                .iter()
                .map(|case| {
                    let sim = replay::replay(&env, case);
                    guard_installed &= sim.guard_installed;
                    compare::compare(case, &sim)
                })
                .collect(),
        })
        .collect();
    (groups, guard_installed)
}

fn read_agreeing_list(path: &std::path::Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

const AGREEING_HEADER: &str = "# The oracle cases hnsim agrees with fully (every step and every \
end-state field), one id a line, sorted.\n# The comparison test fails when one of them stops \
agreeing. Regenerate: HNSIM_ORACLE_WRITE=1 cargo test --test it oracle\n";

/// Both sides of every step of the cases whose id contains `filter`, after the masks.
fn show(cases: &[&CaseResult], filter: &str) {
    for c in cases.iter().filter(|c| c.id.contains(filter)) {
        let verdict = if c.agrees() { "agrees" } else { "differs" };
        eprintln!("=== {} ({verdict})", c.id);
        for s in &c.steps {
            let mark = if s.differences.is_empty() { ' ' } else { '*' };
            eprintln!("{mark}$ {}", s.line);
            for (side, m) in [("recorded", &s.recorded), ("hnsim", &s.simulated)] {
                eprintln!("  [{side}: exit {}]", m.exit_code);
                for l in m.stdout.lines() {
                    eprintln!("  | {l}");
                }
                for l in m.stderr.lines() {
                    eprintln!("  ! {l}");
                }
            }
        }
        for d in &c.state_differences {
            eprintln!(
                "* state {}: recorded {}, hnsim {}",
                d.field, d.recorded, d.simulated
            );
        }
    }
}

#[test]
fn replays_of_the_recorded_docker_cases_keep_agreeing() {
    let (groups, guard_installed) = run_all();
    let cases: Vec<&CaseResult> = groups.iter().flat_map(|g| &g.cases).collect();
    let agreeing: BTreeSet<String> = cases
        .iter()
        .filter(|c| c.agrees())
        .map(|c| c.id.clone())
        .collect();
    if let Ok(filter) = std::env::var("HNSIM_ORACLE_SHOW") {
        show(&cases, &filter);
    }
    let dir = oracle_dir();
    let list_path = dir.join("agreeing.txt");
    if std::env::var("HNSIM_ORACLE_WRITE").is_ok_and(|v| v == "1") {
        let report = report::render(&groups, guard_installed);
        std::fs::write(dir.join("AGREEMENT.md"), report).expect("AGREEMENT.md is written");
        let list: String = agreeing.iter().map(|id| format!("{id}\n")).collect();
        std::fs::write(&list_path, format!("{AGREEING_HEADER}{list}"))
            .expect("agreeing.txt is written");
        eprintln!(
            "oracle: wrote AGREEMENT.md and agreeing.txt ({} of {} cases agree)",
            agreeing.len(),
            cases.len()
        );
        return;
    }
    let listed = read_agreeing_list(&list_path);
    let known: BTreeSet<&String> = cases.iter().map(|c| &c.id).collect();
    let unknown: Vec<&String> = listed.iter().filter(|id| !known.contains(id)).collect();
    assert!(
        unknown.is_empty(),
        "agreeing.txt lists cases that no fixture has: {unknown:?}"
    );
    let mut failures = String::new();
    for c in cases
        .iter()
        .filter(|c| listed.contains(&c.id) && !c.agrees())
    {
        failures.push_str(&format!("\n{}\n", c.id));
        report::write_case(&mut failures, c);
    }
    assert!(
        failures.is_empty(),
        "oracle cases listed in tests/oracle/agreeing.txt no longer agree with the recording \
         (`-` recorded, `+` hnsim):\n{failures}"
    );
    let newly: Vec<&String> = agreeing.difference(&listed).collect();
    if !newly.is_empty() {
        eprintln!(
            "oracle: {} more cases agree than tests/oracle/agreeing.txt lists ({newly:?}); \
             run HNSIM_ORACLE_WRITE=1 cargo test --test it oracle to record them",
            newly.len()
        );
    }
}

/// The recording itself, dressed as a replay: what a perfect hnsim would give.
fn perfect_replay(case: &fixture::Case) -> replay::SimCase {
    use sim_core::shell::ShellOutput;
    replay::SimCase {
        steps: case
            .steps
            .iter()
            .map(|s| replay::SimStep {
                expanded: Ok(s.line.clone()),
                out: ShellOutput {
                    exit_code: s.exit_code.map_or(-1, |c| c as i32),
                    stdout: s.stdout.clone(),
                    stderr: s.stderr.clone(),
                },
            })
            .collect(),
        ids: case.ids.clone(),
        state: Ok(case.state.clone()),
        veths: case.veths(),
        guard_installed: true,
    }
}

#[test]
fn the_comparison_accepts_the_recording_itself_and_nothing_else() {
    let fixtures = fixture::load_all(&oracle_dir().join("fixtures"));
    let cases: Vec<&fixture::Case> = fixtures.iter().flat_map(|f| &f.cases).collect();
    assert_eq!(cases.len(), 308, "the committed recording has 308 cases");
    for case in &cases {
        let result = compare::compare(case, &perfect_replay(case));
        assert!(result.agrees(), "{} does not agree with itself", case.id);
        assert_eq!(result.fields_agreeing(), result.fields());
    }
    // One changed byte, one changed exit code, or one changed address is a disagreement.
    let case = cases
        .iter()
        .find(|c| c.id == "dns/resolv-conf-on-user-network")
        .expect("the case exists");
    let mut changed = perfect_replay(case);
    changed.steps[2].out.stdout = changed.steps[2].out.stdout.replace("ndots:0", "ndots:1");
    changed.steps[1].out.exit_code = 125;
    let result = compare::compare(case, &changed);
    assert!(!result.agrees());
    assert_eq!(result.fields() - result.fields_agreeing(), 2);
    let mut moved = perfect_replay(case);
    let text = moved.state.as_ref().expect("a state").to_string();
    moved.state = Ok(serde_json::from_str(&text.replace("172.18.0.2", "172.18.0.3")).unwrap());
    let result = compare::compare(case, &moved);
    assert_eq!(
        result
            .state_differences
            .iter()
            .map(|d| d.field.as_str())
            .collect::<Vec<_>>(),
        ["container c1 on n1: ip"]
    );
}

/// The HTTP status a `curl -w '\n%{http_code}\n'` step printed: its last line.
fn http_status(stdout: &str) -> Option<&str> {
    stdout
        .lines()
        .last()
        .filter(|l| l.len() == 3 && l.bytes().all(|b| b.is_ascii_digit()))
}

/// Every status the real 20.10.24 answered on its socket is the one hnsim's refusal kind
/// maps to, case by case: unlike the ratchet above, no rewrite of `agreeing.txt` lets a
/// wrong kind through.
#[test]
fn every_recorded_api_status_is_the_refusals_kind() {
    let fixtures = fixture::load_all(&oracle_dir().join("fixtures"));
    let env = env::Environment::new();
    let mut checked = 0;
    for case in fixtures.iter().flat_map(|f| &f.cases) {
        let is_api = |line: &str| line.starts_with("curl ") && line.contains("docker.sock");
        if !case.steps.iter().any(|s| is_api(&s.line)) {
            continue;
        }
        let sim = replay::replay(&env, case);
        for (recorded, replayed) in case.steps.iter().zip(&sim.steps) {
            if !is_api(&recorded.line) {
                continue;
            }
            let want = http_status(&recorded.stdout);
            assert!(want.is_some(), "{}: no status recorded", case.id);
            assert_eq!(
                http_status(&replayed.out.stdout),
                want,
                "{}: `{}` answered {:?}",
                case.id,
                recorded.line,
                replayed.out.stdout
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 12, "the recording has 12 Engine API requests");
}
