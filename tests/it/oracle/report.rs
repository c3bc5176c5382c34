//! `tests/oracle/AGREEMENT.md`: the comparison's totals, a table per group, and every
//! disagreeing step with a short diff. Deterministic: cases in fixture order, no times.

use super::compare::{CaseResult, Difference};
use std::collections::BTreeMap;
use std::fmt::Write;

/// How many changed lines a diff shows, and how many end-state differences a case lists.
const DIFF_LINES: usize = 6;
const STATE_DIFFERENCES: usize = 8;

/// The cases of one fixture file, compared.
pub struct GroupResult {
    pub group: String,
    pub cases: Vec<CaseResult>,
}

/// Agreeing count out of a total.
#[derive(Clone, Copy, Default)]
struct Tally {
    agree: usize,
    of: usize,
}

impl Tally {
    fn add(&mut self, agree: usize, of: usize) {
        self.agree += agree;
        self.of += of;
    }

    fn ratio(self) -> String {
        format!("{}/{}", self.agree, self.of)
    }

    fn rate(self) -> String {
        if self.of == 0 {
            return "-".to_string();
        }
        format!("{:.1}%", 100.0 * self.agree as f64 / self.of as f64)
    }
}

#[derive(Clone, Copy, Default)]
struct Tallies {
    cases: Tally,
    steps: Tally,
    fields: Tally,
    state: Tally,
}

fn tallies<'a>(cases: impl IntoIterator<Item = &'a CaseResult>) -> Tallies {
    let mut t = Tallies::default();
    for c in cases {
        t.cases.add(usize::from(c.agrees()), 1);
        let agreeing_steps = c.steps.iter().filter(|s| s.differences.is_empty()).count();
        t.steps.add(agreeing_steps, c.steps.len());
        t.fields.add(c.fields_agreeing(), c.fields());
        t.state
            .add(c.state_fields - c.state_differences.len(), c.state_fields);
    }
    t
}

/// The changed lines between two texts (`-` recorded, `+` hnsim), from a longest common
/// subsequence of lines; at most `DIFF_LINES` of them, then how many more.
pub fn short_diff(recorded: &str, simulated: &str) -> Vec<String> {
    let a: Vec<&str> = recorded.lines().collect();
    let b: Vec<&str> = simulated.lines().collect();
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..]
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("-{}", a[i]));
            i += 1;
        } else {
            out.push(format!("+{}", b[j]));
            j += 1;
        }
    }
    if out.is_empty() {
        // the texts differ only in a final newline
        out.push(format!(
            "(final newline: recorded {}, hnsim {})",
            recorded.ends_with('\n'),
            simulated.ends_with('\n')
        ));
    }
    let more = out.len().saturating_sub(DIFF_LINES);
    out.truncate(DIFF_LINES);
    if more > 0 {
        out.push(format!("… {more} more changed lines"));
    }
    out
}

/// A value as inline code on one line, cut at 120 characters.
fn inline(value: &str) -> String {
    let one_line = value.trim_end_matches('\n').replace('\n', "⏎");
    let cut: String = one_line.chars().take(120).collect();
    let cut = if cut.len() < one_line.len() {
        format!("{cut}…")
    } else {
        cut
    };
    if cut.is_empty() {
        "(empty)".to_string()
    } else if cut.contains('`') {
        format!("`` {cut} ``")
    } else {
        format!("`{cut}`")
    }
}

fn write_difference(out: &mut String, d: &Difference, indent: &str) {
    match d.field.as_str() {
        "stdout" | "stderr" => {
            let _ = writeln!(out, "{indent}- {} (`-` recorded, `+` hnsim):", d.field);
            let _ = writeln!(out, "{indent}  ```diff");
            for line in short_diff(&d.recorded, &d.simulated) {
                let _ = writeln!(out, "{indent}  {line}");
            }
            let _ = writeln!(out, "{indent}  ```");
        }
        "template" => {
            let _ = writeln!(out, "{indent}- {}", inline(&d.simulated));
        }
        field => {
            let _ = writeln!(
                out,
                "{indent}- {field}: recorded {}, hnsim {}",
                inline(&d.recorded),
                inline(&d.simulated)
            );
        }
    }
}

/// The tool hnsim named in its "not modelled" answer.
fn unmodelled_tool(stderr_diff: &Difference) -> Option<String> {
    let line = stderr_diff.simulated.lines().next()?;
    let rest = line.strip_prefix("hnsim: ")?;
    let (tool, tail) = rest.split_once(": ")?;
    tail.starts_with("command not found")
        .then(|| tool.to_string())
}

/// The whole report.
pub fn render(groups: &[GroupResult], guard_installed: bool) -> String {
    let mut out = String::new();
    let all = || groups.iter().flat_map(|g| &g.cases);
    let total = tallies(all());
    let _ = writeln!(out, "# hnsim against the Docker 20.10 oracle\n");
    let _ = writeln!(
        out,
        "Generated by `HNSIM_ORACLE_WRITE=1 cargo test --test it oracle` from `fixtures/`; do not \
         edit by hand. Each recorded case is replayed in a fresh hnsim world (`engine: V20_10`) \
         and compared after the masks of `README.md` (\"The comparison test\")."
    );
    let guard = if guard_installed {
        "Each world starts with the oracle's egress guard in DOCKER-USER (installed with \
         `iptables -I`), so its lines compare too."
    } else {
        "hnsim cannot install the oracle's egress guard yet (`iptables -I DOCKER-USER …` is not \
         modelled), so the lines naming `docker-oracle-egress-guard` are dropped on both sides \
         (mask rule 8)."
    };
    let _ = writeln!(out, "\n{guard}\n");
    let _ = writeln!(out, "## Totals\n");
    let _ = writeln!(out, "| | agree | rate |");
    let _ = writeln!(out, "|---|---:|---:|");
    for (what, t) in [
        ("cases (every step and end-state field)", total.cases),
        ("steps (exit code, stdout and stderr)", total.steps),
        (
            "fields (three per step, plus the end-state fields)",
            total.fields,
        ),
        ("end-state fields", total.state),
    ] {
        let _ = writeln!(out, "| {what} | {} | {} |", t.ratio(), t.rate());
    }
    let _ = writeln!(
        out,
        "\nEvery case's end state includes the three predefined networks (five fields each), so \
         the end-state rate is high by construction; the step rate is the sharper measure."
    );
    let mut unmodelled: BTreeMap<String, usize> = BTreeMap::new();
    let mut unmodelled_steps = 0;
    for s in all().flat_map(|c| &c.steps).filter(|s| s.not_modelled) {
        unmodelled_steps += 1;
        let tool = s
            .differences
            .iter()
            .find(|d| d.field == "stderr")
            .and_then(unmodelled_tool)
            .unwrap_or_else(|| "(other)".to_string());
        *unmodelled.entry(tool).or_default() += 1;
    }
    let tools: Vec<String> = unmodelled
        .iter()
        .map(|(t, n)| format!("`{t}` {n}"))
        .collect();
    let _ = writeln!(
        out,
        "\nSteps that ended with status 127 in hnsim (a tool it does not model; each is a \
         disagreement): {unmodelled_steps}{}{}.",
        if tools.is_empty() { "" } else { "; by tool: " },
        tools.join(", ")
    );
    let _ = writeln!(out, "\n## Per group\n");
    let _ = writeln!(out, "| group | cases | steps | fields |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    for g in groups {
        let t = tallies(&g.cases);
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            g.group,
            t.cases.ratio(),
            t.steps.ratio(),
            t.fields.ratio()
        );
    }
    let _ = writeln!(out, "\n## Disagreements");
    for g in groups {
        if g.cases.iter().all(CaseResult::agrees) {
            continue;
        }
        let _ = writeln!(out, "\n### {}", g.group);
        for c in g.cases.iter().filter(|c| !c.agrees()) {
            let _ = writeln!(out, "\n#### `{}`\n", c.id);
            write_case(&mut out, c);
        }
    }
    out
}

/// Every disagreement of one case, as a list.
pub fn write_case(out: &mut String, c: &CaseResult) {
    for (i, s) in c.steps.iter().enumerate() {
        if s.differences.is_empty() {
            continue;
        }
        let _ = writeln!(out, "- step {}: {}", i + 1, inline(&s.line));
        for d in &s.differences {
            write_difference(out, d, "  ");
        }
    }
    if !c.state_differences.is_empty() {
        let _ = writeln!(
            out,
            "- end state: {} of {} fields differ",
            c.state_differences.len(),
            c.state_fields
        );
        for d in c.state_differences.iter().take(STATE_DIFFERENCES) {
            write_difference(out, d, "  ");
        }
        if c.state_differences.len() > STATE_DIFFERENCES {
            let _ = writeln!(
                out,
                "  - … {} more",
                c.state_differences.len() - STATE_DIFFERENCES
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::short_diff;

    #[test]
    fn a_diff_shows_only_the_changed_lines() {
        assert_eq!(
            short_diff("a\nb\nc\n", "a\nx\nc\n"),
            vec!["-b".to_string(), "+x".to_string()]
        );
        assert_eq!(
            short_diff("a\n", "a"),
            vec!["(final newline: recorded true, hnsim false)".to_string()]
        );
        let long = short_diff("", "1\n2\n3\n4\n5\n6\n7\n8\n");
        assert_eq!(long.len(), 7);
        assert_eq!(long[6], "… 2 more changed lines");
    }
}
