//! The README's example output is real output: each fenced block that follows a comment
//! `<!-- output: hnsim ARGS [| head -N | sed -n 'A,Bp'] -->` must be exactly what that command
//! prints, run from the repository root. `HNSIM_UPDATE_README=1` rewrites the blocks instead.

use crate::common::repo_root;
use std::process::Command;

const MARK: &str = "<!-- output: ";

/// Runs `hnsim ARGS` and applies the `head`/`sed -n` filters after it.
fn output_of(command: &str) -> String {
    let mut stages = command.split('|').map(str::trim);
    let first = stages.next().unwrap_or_default();
    let args: Vec<&str> = first
        .strip_prefix("hnsim ")
        .unwrap_or_else(|| panic!("an output block's command starts with `hnsim `: {command}"))
        .split_whitespace()
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_hnsim"))
        .args(&args)
        .current_dir(repo_root())
        .output()
        .expect("the hnsim binary runs");
    let mut lines: Vec<String> = String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(str::to_string)
        .collect();
    for stage in stages {
        let words: Vec<&str> = stage.split_whitespace().collect();
        lines = match words.as_slice() {
            ["head", n] => {
                let n: usize = n.trim_start_matches('-').parse().expect("head -N");
                lines.into_iter().take(n).collect()
            }
            ["sed", "-n", range] => {
                let range = range.trim_matches('\'').trim_end_matches('p');
                let (a, b) = range.split_once(',').expect("sed -n 'A,Bp'");
                let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
                lines.into_iter().skip(a - 1).take(b + 1 - a).collect()
            }
            _ => panic!("unsupported filter `{stage}` in {command}"),
        };
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Each output block: (command, byte range of its body in the README, the body).
fn blocks(readme: &str) -> Vec<(String, std::ops::Range<usize>, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = readme[from..].find(MARK) {
        let start = from + at + MARK.len();
        let end = start + readme[start..].find("-->").expect("the comment is closed");
        let command = readme[start..end].trim().to_string();
        let fence = end + readme[end..].find("```").expect("a fenced block follows");
        let body_start = fence + readme[fence..].find('\n').expect("a fence line") + 1;
        let body_end = body_start + readme[body_start..].find("```").expect("the block ends");
        found.push((
            command,
            body_start..body_end,
            readme[body_start..body_end].to_string(),
        ));
        from = body_end;
    }
    found
}

#[test]
fn the_readme_shows_real_output() {
    let path = repo_root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let blocks = blocks(&readme);
    assert!(
        blocks.len() >= 2,
        "README.md has fewer output blocks than expected"
    );
    if std::env::var_os("HNSIM_UPDATE_README").is_some() {
        let mut updated = readme.clone();
        for (command, range, _) in blocks.iter().rev() {
            updated.replace_range(range.clone(), &output_of(command));
        }
        std::fs::write(&path, updated).expect("write README.md");
        return;
    }
    for (command, _, body) in &blocks {
        assert_eq!(
            body,
            &output_of(command),
            "README.md's output of `{command}` is not what it prints now \
             (HNSIM_UPDATE_README=1 cargo test --test it readme rewrites it)"
        );
    }
}
