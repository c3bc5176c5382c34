//! Command lines as a person types them in a shell: on a container host, on a fabric node
//! (an outside host), or inside a container through `docker exec`. Each line gives what the
//! real tool would: its exit status, its stdout and its stderr, separately.
//!
//! This module owns the dispatch and the shape of the answer. The tools themselves live
//! beside it: `docker` goes to the host's daemon (`World::docker`); host tools and the
//! busybox applets of containers read the devices' configuration and state, never change a
//! frame.

pub mod busybox;
pub mod host;

use crate::docker::cli::split_words;
use crate::docker::daemon::CommandOutput;

/// What one command line printed and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShellOutput {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl ShellOutput {
    pub fn ok(stdout: impl Into<String>) -> Self {
        ShellOutput {
            exit_code: 0,
            stdout: stdout.into(),
            stderr: String::new(),
        }
    }

    pub fn fail(exit_code: i32, stderr: impl Into<String>) -> Self {
        ShellOutput {
            exit_code,
            stdout: String::new(),
            stderr: stderr.into(),
        }
    }

    /// A tool hnsim does not model where the line ran: what a shell says of an unknown
    /// command, with hnsim's name in front so that nobody mistakes it for the host's answer.
    pub fn not_modelled(tool: &str) -> Self {
        Self::fail(
            127,
            format!("hnsim: {tool}: command not found (not modelled here)\n"),
        )
    }

    /// What the docker CLI printed: stdout, then on stderr each warning and the error, each
    /// ending with a newline as the CLI writes them.
    pub fn from_docker(out: &CommandOutput) -> Self {
        let mut stderr = String::new();
        for w in &out.warnings {
            stderr.push_str("WARNING: ");
            stderr.push_str(w);
            stderr.push('\n');
        }
        if let Some(e) = &out.error {
            stderr.push_str(e);
            if !e.ends_with('\n') {
                stderr.push('\n');
            }
        }
        let exit_code = match (&out.error, out.exit_code) {
            (_, Some(code)) => code,
            (Some(_), None) => 1,
            (None, None) => 0,
        };
        ShellOutput {
            exit_code,
            stdout: out.stdout.clone(),
            stderr,
        }
    }
}

/// `sudo CMD …` without options: the rest of the line, which runs as typed. Every shell hnsim
/// models is already root's (the oracle's recorder ran as root too), so `sudo` changes
/// nothing; seed 004 writes it in front of host tools (`sudo iptables -P FORWARD ACCEPT`).
/// `sudo -u …` and other options are not modelled (the line goes on to say so).
pub fn without_sudo(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("sudo")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_start();
    (!rest.is_empty() && !rest.starts_with('-')).then_some(rest)
}

/// Splits a line into words as a POSIX shell would (quotes group words; no expansion, no
/// pipes). A quoting error is the shell's own, with its status 2.
pub fn words(line: &str) -> Result<Vec<String>, ShellOutput> {
    split_words(line).map_err(|e| ShellOutput::fail(e.exit_code, format!("{}\n", e.message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sudo_without_options_is_the_command_itself() {
        assert_eq!(
            without_sudo("sudo iptables -P FORWARD ACCEPT"),
            Some("iptables -P FORWARD ACCEPT")
        );
        assert_eq!(
            without_sudo("  sudo   ip link del dev x"),
            Some("ip link del dev x")
        );
        assert_eq!(without_sudo("sudo"), None);
        assert_eq!(without_sudo("sudo -u bob id"), None);
        assert_eq!(without_sudo("sudoedit x"), None);
        assert_eq!(without_sudo("iptables -L"), None);
    }

    #[test]
    fn docker_errors_end_with_a_newline_and_status_one_unless_told() {
        let out = CommandOutput::plain_error("Error response from daemon: boom");
        let sh = ShellOutput::from_docker(&out);
        assert_eq!(sh.exit_code, 1);
        assert_eq!(sh.stderr, "Error response from daemon: boom\n");
        let mut run = CommandOutput::plain_error("docker: nope.\nSee 'docker run --help'.");
        run.exit_code = Some(125);
        assert_eq!(ShellOutput::from_docker(&run).exit_code, 125);
    }

    #[test]
    fn warnings_come_first_on_stderr() {
        let out = CommandOutput {
            stdout: "abc\n".into(),
            warnings: vec!["Published ports are discarded when using host network mode".into()],
            ..Default::default()
        };
        let sh = ShellOutput::from_docker(&out);
        assert_eq!(sh.exit_code, 0);
        assert_eq!(
            sh.stderr,
            "WARNING: Published ports are discarded when using host network mode\n"
        );
    }

    #[test]
    fn quoting_errors_are_the_shells() {
        let e = words("docker run 'oops").unwrap_err();
        assert_eq!(e.exit_code, 2);
    }
}
