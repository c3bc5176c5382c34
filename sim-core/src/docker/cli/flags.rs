//! The pflag/cobra emulation: flag tables (`Flag`), leaf commands (`Cmd`)
//! and commands with subcommands (`Group`). It parses flags the way
//! spf13/pflag does (long and shorthand forms, inline values, `--`,
//! interspersed or not), checks argument counts as `cli/required.go` does,
//! and produces the CLI's error texts, exit codes and help/usage.

use super::go::{go_quote, go_quote_byte, parse_go_bool, parse_go_int};
use super::CliError;
use std::fmt;

/// What a flag takes, which decides how pflag parses and checks its value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Bool,
    Value,
    Int,
}

/// One entry of a command's flag table.
#[derive(Debug)]
pub(super) struct Flag {
    pub(super) long: &'static str,
    short: Option<u8>,
    kind: Kind,
}

/// A boolean flag (`--rm`, `-d=false`).
pub(super) const fn fb(long: &'static str, short: Option<u8>) -> Flag {
    Flag {
        long,
        short,
        kind: Kind::Bool,
    }
}
/// A flag that takes a string value.
pub(super) const fn fv(long: &'static str, short: Option<u8>) -> Flag {
    Flag {
        long,
        short,
        kind: Kind::Value,
    }
}
/// A flag whose value must parse as a Go `int64`.
pub(super) const fn fi(long: &'static str, short: Option<u8>) -> Flag {
    Flag {
        long,
        short,
        kind: Kind::Int,
    }
}

impl Flag {
    /// How pflag names a flag in `invalid argument` errors.
    fn display(&self) -> String {
        match self.short {
            Some(s) => format!("-{}, --{}", s as char, self.long),
            None => format!("--{}", self.long),
        }
    }
}

/// pflag's string-slice parsing (one CSV record).
pub(super) fn csv_fields(value: &str) -> Result<Vec<String>, String> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = value.chars().peekable();
    let mut col = 0usize;
    let mut at_field_start = true;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        col += c.len_utf8();
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    col += 1;
                    cur.push('"');
                } else {
                    quoted = false;
                    match chars.peek() {
                        None | Some(',') => {}
                        Some(_) => {
                            return Err(format!(
                                "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
                                col + 1
                            ))
                        }
                    }
                }
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut cur));
                at_field_start = true;
                continue;
            }
            '"' if at_field_start => quoted = true,
            '"' => {
                return Err(format!(
                    "parse error on line 1, column {col}: bare \" in non-quoted-field"
                ))
            }
            c => cur.push(c),
        }
        at_field_start = false;
    }
    if quoted {
        return Err(format!(
            "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
            col + 1
        ));
    }
    fields.push(cur);
    Ok(fields)
}

/// A leaf command as cobra sees it.
pub(super) struct Cmd {
    /// `cmd.CommandPath()`, e.g. `docker network create`.
    pub(super) path: String,
    /// The part of `Use` after the name, e.g. `[OPTIONS] NETWORK`.
    pub(super) usage: &'static str,
    pub(super) short: &'static str,
    pub(super) flags: &'static [Flag],
    pub(super) exclude: &'static [&'static str],
    pub(super) interspersed: bool,
    /// Whether the command defines `-h` itself (`run`/`create`: hostname);
    /// otherwise `-h` and `--help` ask for help.
    pub(super) own_h: bool,
}

impl Cmd {
    pub(super) fn new(
        path: &str,
        usage: &'static str,
        short: &'static str,
        flags: &'static [Flag],
    ) -> Self {
        Cmd {
            path: path.to_string(),
            usage,
            short,
            flags,
            exclude: &[],
            interspersed: true,
            own_h: false,
        }
    }

    pub(super) fn use_line(&self) -> String {
        format!("{} {}", self.path, self.usage)
    }

    fn flags(&self) -> impl Iterator<Item = &'static Flag> + '_ {
        self.flags
            .iter()
            .filter(move |f| !self.exclude.contains(&f.long))
    }

    fn long(&self, name: &str) -> Option<&'static Flag> {
        self.flags().find(|f| f.long == name)
    }

    fn short(&self, c: u8) -> Option<&'static Flag> {
        self.flags().find(|f| f.short == Some(c))
    }

    /// cobra's FlagErrorFunc as set up by the docker CLI.
    fn flag_error(&self, msg: impl fmt::Display) -> CliError {
        CliError::new(format!("{msg}\nSee '{} --help'.", self.path), 125)
    }

    /// The tail shared by the `cli/required.go` argument errors.
    fn args_error(&self, what: String) -> CliError {
        CliError::new(
            format!(
                "\"{}\" {what}.\nSee '{} --help'.\n\nUsage:  {}\n\n{}",
                self.path,
                self.path,
                self.use_line(),
                self.short
            ),
            1,
        )
    }

    pub(super) fn exact_args(&self, n: usize, args: &[String]) -> Result<(), CliError> {
        if args.len() == n {
            return Ok(());
        }
        Err(self.args_error(format!("requires exactly {n} {}", plural(n))))
    }

    pub(super) fn min_args(&self, n: usize, args: &[String]) -> Result<(), CliError> {
        if args.len() >= n {
            return Ok(());
        }
        Err(self.args_error(format!("requires at least {n} {}", plural(n))))
    }

    /// `cli.RequiresRangeArgs(min, max)`.
    pub(super) fn range_args(
        &self,
        min: usize,
        max: usize,
        args: &[String],
    ) -> Result<(), CliError> {
        if (min..=max).contains(&args.len()) {
            return Ok(());
        }
        Err(self.args_error(format!(
            "requires at least {min} and at most {max} {}",
            plural(max)
        )))
    }

    pub(super) fn no_args(&self, args: &[String]) -> Result<(), CliError> {
        if args.is_empty() {
            return Ok(());
        }
        Err(self.args_error("accepts no arguments".to_string()))
    }

    /// What `--help` prints (on stdout, exit 0), shortened to usage and
    /// description.
    pub(super) fn help(&self) -> CliError {
        CliError::new(
            format!("\nUsage:  {}\n\n{}", self.use_line(), self.short),
            0,
        )
    }

    /// `docker run`-style `reportError`: `docker: <msg>.` plus the hint.
    pub(super) fn report_error(name: &str, msg: &str) -> CliError {
        let msg = msg.strip_suffix('.').unwrap_or(msg);
        CliError::new(format!("docker: {msg}.\nSee 'docker {name} --help'."), 125)
    }

    /// Runs pflag over `args`, handing each flag and its value, in order, to
    /// `apply`, which may reject the value (pflag's `invalid argument` error).
    /// Returns the positional arguments.
    pub(super) fn parse(
        &self,
        args: &[String],
        apply: &mut dyn FnMut(&'static Flag, &str) -> Result<(), String>,
    ) -> Result<Vec<String>, CliError> {
        let mut positional = Vec::new();
        let mut help = false;
        let mut set = |flag: &'static Flag, value: &str, help: &mut bool| -> Result<(), CliError> {
            let checked = match flag.kind {
                Kind::Bool => parse_go_bool(value).map(|b| {
                    if flag.long == "help" && b {
                        *help = true;
                    }
                }),
                Kind::Int => parse_go_int(value).map(|_| ()),
                Kind::Value => Ok(()),
            };
            checked.and_then(|_| apply(flag, value)).map_err(|e| {
                self.flag_error(format!(
                    "invalid argument {} for {} flag: {e}",
                    go_quote(value),
                    go_quote(&flag.display())
                ))
            })
        };
        let mut i = 0;
        while i < args.len() {
            let s = &args[i];
            i += 1;
            if s.len() < 2 || !s.starts_with('-') {
                positional.push(s.clone());
                if !self.interspersed {
                    positional.extend(args[i..].iter().cloned());
                    break;
                }
                continue;
            }
            if s == "--" {
                positional.extend(args[i..].iter().cloned());
                break;
            }
            if let Some(name) = s.strip_prefix("--") {
                if name.starts_with('-') || name.starts_with('=') {
                    return Err(self.flag_error(format!("bad flag syntax: {s}")));
                }
                let (name, inline) = match name.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (name, None),
                };
                let Some(flag) = self.long(name) else {
                    if name == "help" {
                        return Err(self.help());
                    }
                    return Err(self.flag_error(format!("unknown flag: --{name}")));
                };
                let value = match inline {
                    Some(v) => v.to_string(),
                    None if flag.kind == Kind::Bool => "true".to_string(),
                    None if i < args.len() => {
                        i += 1;
                        args[i - 1].clone()
                    }
                    None => return Err(self.flag_error(format!("flag needs an argument: {s}"))),
                };
                set(flag, &value, &mut help)?;
                continue;
            }
            // A run of shorthands, e.g. -dit, -p80:80, -d=false.
            let mut rest = &s[1..];
            while !rest.is_empty() {
                let c = rest.as_bytes()[0];
                let char_len = rest.chars().next().map_or(1, char::len_utf8);
                let Some(flag) = self.short(c) else {
                    if c == b'h' && !self.own_h {
                        return Err(self.help());
                    }
                    return Err(self.flag_error(format!(
                        "unknown shorthand flag: {} in -{rest}",
                        go_quote_byte(c)
                    )));
                };
                let value;
                if rest.len() > 2 && rest.as_bytes()[1] == b'=' {
                    value = rest[2..].to_string();
                    rest = "";
                } else if flag.kind == Kind::Bool {
                    value = "true".to_string();
                    rest = &rest[char_len..];
                } else if rest.len() > 1 {
                    value = rest[1..].to_string();
                    rest = "";
                } else if i < args.len() {
                    value = args[i].clone();
                    i += 1;
                    rest = "";
                } else {
                    return Err(self.flag_error(format!(
                        "flag needs an argument: {} in -{rest}",
                        go_quote_byte(c)
                    )));
                }
                set(flag, &value, &mut help)?;
            }
        }
        if help {
            return Err(self.help());
        }
        Ok(positional)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "argument"
    } else {
        "arguments"
    }
}

/// A command with subcommands (`docker network`, ...) as cobra sees it.
pub(super) struct Group {
    pub(super) path: &'static str,
    pub(super) short: &'static str,
    pub(super) subcommands: &'static [(&'static str, &'static str)],
}

impl Group {
    /// cobra's usage text for a command with subcommands.
    fn usage(&self) -> String {
        let pad = self
            .subcommands
            .iter()
            .map(|(n, _)| n.len())
            .max()
            .unwrap_or(0)
            .max(11);
        let mut s = format!(
            "Usage:  {} COMMAND\n\n{}\n\nCommands:",
            self.path, self.short
        );
        for (name, short) in self.subcommands {
            s.push_str(&format!("\n  {name:<pad$} {short}"));
        }
        s.push_str(&format!(
            "\n\nRun '{} COMMAND --help' for more information on a command.",
            self.path
        ));
        s
    }

    /// `docker network` alone prints its help (on stderr) and exits 0.
    fn help(&self) -> CliError {
        CliError::new(format!("\n{}", self.usage()), 0)
    }

    /// `cli.NoArgs` on a command with subcommands: the usage, exit 1.
    pub(super) fn unknown(&self) -> CliError {
        CliError::new(format!("\n{}", self.usage()), 1)
    }

    /// Flags given to the group itself (it has none but help).
    fn flag(&self, arg: &str) -> CliError {
        if arg == "--help" || arg == "-h" || arg.starts_with("--help=") {
            return self.help();
        }
        let msg = if let Some(name) = arg.strip_prefix("--") {
            let name = name.split('=').next().unwrap_or("");
            if name.starts_with('-') || arg.starts_with("--=") {
                format!("bad flag syntax: {arg}")
            } else {
                format!("unknown flag: --{name}")
            }
        } else {
            let c = arg.as_bytes()[1];
            if c == b'h' {
                return self.help();
            }
            format!("unknown shorthand flag: {} in {arg}", go_quote_byte(c))
        };
        CliError::new(
            format!("{msg}\nSee '{} --help'.\n\n{}", self.path, self.usage()),
            125,
        )
    }

    /// Picks the subcommand word: `Ok(Some(word, rest))`, or the error cobra
    /// gives when there is none.
    pub(super) fn split<'a>(
        &self,
        args: &'a [String],
    ) -> Result<(&'a str, &'a [String]), CliError> {
        match args.first() {
            None => Err(self.help()),
            Some(a) if a.len() > 1 && a.starts_with('-') && a != "--" => Err(self.flag(a)),
            Some(a) if a == "--" => match args.get(1) {
                None => Err(self.help()),
                Some(_) => Err(self.unknown()),
            },
            Some(a) => Ok((a.as_str(), &args[1..])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn csv_fields_like_pflag() {
        assert_eq!(
            csv_fields(r#"a,"b,c",d"#).unwrap(),
            strs(&["a", "b,c", "d"])
        );
        assert!(csv_fields(r#"a"b"#).is_err());
    }

    #[test]
    fn flag_forms() {
        let r =
            run("docker run --name=x -p80:80 -p 81:81 --publish=82:82 --publish 83:83 -dit img");
        assert_eq!(r.name.as_deref(), Some("x"));
        assert_eq!(r.publish.len(), 4);
        assert!(r.detach && r.interactive && r.tty);
        let r = run("docker run -d=false --rm=true --tty=0 -i=T img");
        assert!(!r.detach && r.rm && !r.tty && r.interactive);
        let r = run("docker run -dp 8080:80 img");
        assert!(r.detach);
        assert_eq!(r.publish[0].host_port, Some((8080, 8080)));
        // `-h` is --hostname for run; --net, --net-alias and -P work too.
        let r = run("docker run -h host1 --net n1 --net-alias a --network-alias b -P img");
        assert_eq!(r.hostname.as_deref(), Some("host1"));
        assert_eq!(r.network.as_deref(), Some("n1"));
        assert_eq!(r.network_aliases, strs(&["a", "b"]));
        assert!(r.publish_all);
        // A string flag takes the next word even if it looks like a flag.
        assert_eq!(run("docker run --name -d img").name.as_deref(), Some("-d"));
    }

    #[test]
    fn pflag_errors() {
        assert_err(
            "docker run --foo img",
            "unknown flag: --foo\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --foo=bar img",
            "unknown flag: --foo\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -z img",
            "unknown shorthand flag: 'z' in -z\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -dz img",
            "unknown shorthand flag: 'z' in -z\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --name",
            "flag needs an argument: --name\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -p",
            "flag needs an argument: 'p' in -p\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -dp",
            "flag needs an argument: 'p' in -p\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run -d=x img",
            "invalid argument \"x\" for \"-d, --detach\" flag: strconv.ParseBool: parsing \"x\": invalid syntax\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --rm=yes img",
            "invalid argument \"yes\" for \"--rm\" flag: strconv.ParseBool: parsing \"yes\": invalid syntax\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run --cpu-count x img",
            "invalid argument \"x\" for \"--cpu-count\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker run ---x img",
            "bad flag syntax: ---x\nSee 'docker run --help'.",
            125,
        );
        assert_err(
            "docker container run --foo img",
            "unknown flag: --foo\nSee 'docker container run --help'.",
            125,
        );
        assert_err(
            "docker network create --foo x",
            "unknown flag: --foo\nSee 'docker network create --help'.",
            125,
        );
        assert_err(
            "docker network create -o",
            "flag needs an argument: 'o' in -o\nSee 'docker network create --help'.",
            125,
        );
        // Non-ASCII shorthand: pflag quotes the first byte.
        assert_err(
            "docker run -é img",
            "unknown shorthand flag: 'Ã' in -é\nSee 'docker run --help'.",
            125,
        );
    }

    #[test]
    fn arg_count_errors() {
        assert_err(
            "docker network create",
            "\"docker network create\" requires exactly 1 argument.\nSee 'docker network create --help'.\n\nUsage:  docker network create [OPTIONS] NETWORK\n\nCreate a network",
            1,
        );
        assert_err(
            "docker network create a b",
            "\"docker network create\" requires exactly 1 argument.\nSee 'docker network create --help'.\n\nUsage:  docker network create [OPTIONS] NETWORK\n\nCreate a network",
            1,
        );
        assert_err(
            "docker run",
            "\"docker run\" requires at least 1 argument.\nSee 'docker run --help'.\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image",
            1,
        );
        assert_err(
            "docker exec web",
            "\"docker exec\" requires at least 2 arguments.\nSee 'docker exec --help'.\n\nUsage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nExecute a command in a running container",
            1,
        );
        assert_err(
            "docker network ls x",
            "\"docker network ls\" accepts no arguments.\nSee 'docker network ls --help'.\n\nUsage:  docker network ls [OPTIONS]\n\nList networks",
            1,
        );
        assert_err(
            "docker network connect n",
            "\"docker network connect\" requires exactly 2 arguments.\nSee 'docker network connect --help'.\n\nUsage:  docker network connect [OPTIONS] NETWORK CONTAINER\n\nConnect a container to a network",
            1,
        );
        assert_err(
            "docker swarm join",
            "\"docker swarm join\" requires exactly 1 argument.\nSee 'docker swarm join --help'.\n\nUsage:  docker swarm join [OPTIONS] HOST:PORT\n\nJoin a swarm as a node and/or manager",
            1,
        );
        assert_err(
            "docker network list x",
            "\"docker network ls\" accepts no arguments.\nSee 'docker network ls --help'.\n\nUsage:  docker network ls [OPTIONS]\n\nList networks",
            1,
        );
    }
}
