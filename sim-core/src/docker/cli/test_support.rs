//! Helpers shared by the parser's unit tests.

use super::{parse, CliError, DockerCommand, NetworkCreate, RunArgs};

pub(super) fn ok(line: &str) -> DockerCommand {
    parse(line).unwrap_or_else(|e| panic!("{line}: {e:?}"))
}

pub(super) fn err(line: &str) -> CliError {
    match parse(line) {
        Ok(c) => panic!("{line}: parsed as {c:?}"),
        Err(e) => e,
    }
}

pub(super) fn run(line: &str) -> RunArgs {
    match ok(line) {
        DockerCommand::Run(r) => r,
        other => panic!("{line}: {other:?}"),
    }
}

pub(super) fn net_create(line: &str) -> NetworkCreate {
    match ok(line) {
        DockerCommand::NetworkCreate(n) => n,
        other => panic!("{line}: {other:?}"),
    }
}

pub(super) fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub(super) fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

pub(super) fn assert_err(line: &str, message: &str, exit_code: i32) {
    let e = err(line);
    assert_eq!(e.message, message, "message for {line}");
    assert_eq!(e.exit_code, exit_code, "exit code for {line}");
}
