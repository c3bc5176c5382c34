//! `curl --unix-socket /var/run/docker.sock [-s] [-S] [-f] [-X METHOD] [-H HEADER]… [-d
//! DATA] [-w FORMAT] URL` typed on a Linux container host: one HTTP request to the
//! daemon's Engine API (`docker::api`), and what curl 7.88 prints of the answer: the body,
//! then the `-w` format (with `\n` and `%{http_code}` expanded), exit status 0 whatever the
//! HTTP status unless `-f` is given (then 22). curl over TCP is not modelled.

use crate::control::HostOs;
use crate::docker::api::Request;
use crate::shell::ShellOutput;
use crate::sim::world::World;

/// The socket paths dockerd listens on (`/var/run` is a link to `/run`).
const SOCKETS: [&str; 2] = ["/var/run/docker.sock", "/run/docker.sock"];

/// The options of one curl command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Options {
    silent: bool,
    show_error: bool,
    fail: bool,
    method: Option<String>,
    headers: Vec<(String, String)>,
    data: Option<String>,
    write_out: Option<String>,
    unix_socket: Option<String>,
    url: Option<String>,
}

/// Reads curl's options; `Err` is the output of a line hnsim does not model or curl refuses.
fn parse(argv: &[String]) -> Result<Options, ShellOutput> {
    let mut o = Options::default();
    let mut i = 1;
    let value = |i: usize, opt: &str| -> Result<String, ShellOutput> {
        argv.get(i + 1).cloned().ok_or_else(|| {
            ShellOutput::fail(
                2,
                format!("curl: option {opt}: requires parameter\ncurl: try 'curl --help' or 'curl --manual' for more information\n"),
            )
        })
    };
    while i < argv.len() {
        let a = argv[i].as_str();
        let takes = |o: &mut Options, opt: &str, v: String| -> Result<(), ShellOutput> {
            match opt {
                "-X" | "--request" => o.method = Some(v),
                "-H" | "--header" => {
                    if let Some((k, val)) = v.split_once(':') {
                        o.headers
                            .push((k.trim().to_string(), val.trim().to_string()));
                    }
                }
                "-d" | "--data" | "--data-raw" | "--data-binary" => {
                    if v.starts_with('@') && opt != "--data-raw" {
                        return Err(ShellOutput::not_modelled("curl -d @file"));
                    }
                    // Several -d are joined with '&', as curl does.
                    o.data = Some(match o.data.take() {
                        Some(prev) => format!("{prev}&{v}"),
                        None => v,
                    });
                }
                "-w" | "--write-out" => o.write_out = Some(v),
                "--unix-socket" => o.unix_socket = Some(v),
                _ => {}
            }
            Ok(())
        };
        match a {
            "-X" | "--request" | "-H" | "--header" | "-d" | "--data" | "--data-raw"
            | "--data-binary" | "-w" | "--write-out" | "--unix-socket" => {
                let v = value(i, a)?;
                takes(&mut o, a, v)?;
                i += 2;
                continue;
            }
            "--silent" => o.silent = true,
            "--show-error" => o.show_error = true,
            "--fail" => o.fail = true,
            s if s.starts_with("--") => {
                return Err(ShellOutput::not_modelled(&format!("curl {s}")));
            }
            s if s.starts_with('-') && s.len() > 1 => {
                // Bundled short options (`-sS`, `-fsSX POST`): a value-taking one ends the
                // bundle, with the rest of the word or the next word as its value.
                let chars: Vec<char> = s[1..].chars().collect();
                let mut k = 0;
                while k < chars.len() {
                    match chars[k] {
                        's' => o.silent = true,
                        'S' => o.show_error = true,
                        'f' => o.fail = true,
                        c @ ('X' | 'H' | 'd' | 'w') => {
                            let opt = format!("-{c}");
                            let rest: String = chars[k + 1..].iter().collect();
                            if rest.is_empty() {
                                let v = value(i, &opt)?;
                                takes(&mut o, &opt, v)?;
                                i += 1;
                            } else {
                                takes(&mut o, &opt, rest)?;
                            }
                            break;
                        }
                        c => return Err(ShellOutput::not_modelled(&format!("curl -{c}"))),
                    }
                    k += 1;
                }
            }
            url => o.url = Some(url.to_string()),
        }
        i += 1;
    }
    Ok(o)
}

/// The path (and query) of an `http://host[:port]/path` URL.
fn url_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    Some(match rest.find('/') {
        Some(p) => rest[p..].to_string(),
        None => "/".to_string(),
    })
}

/// curl's `-w` format: backslash escapes and the `%{…}` variables hnsim knows.
fn write_out(format: &str, status: u16, exit: i32) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '%' if chars.peek() == Some(&'%') => {
                chars.next();
                out.push('%');
            }
            '%' if chars.peek() == Some(&'{') => {
                chars.next();
                let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                match name.as_str() {
                    "http_code" | "response_code" => out.push_str(&format!("{status:03}")),
                    "exitcode" => out.push_str(&exit.to_string()),
                    "method" => {}
                    _ => {}
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `curl` typed on `on`.
pub fn run(world: &mut World, on: &str, argv: &[String]) -> ShellOutput {
    let o = match parse(argv) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let linux = world
        .hosts
        .iter()
        .find(|h| h.name == on)
        .is_some_and(|h| matches!(h.os, HostOs::Linux { .. }));
    let Some(socket) = o.unix_socket.as_deref().filter(|_| linux) else {
        return ShellOutput::not_modelled("curl (only --unix-socket to a Linux host's dockerd)");
    };
    let Some(url) = o.url.as_deref() else {
        return ShellOutput::fail(
            2,
            "curl: no URL specified\ncurl: try 'curl --help' or 'curl --manual' for more information\n",
        );
    };
    let Some(path) = url_path(url) else {
        return ShellOutput::not_modelled(&format!("curl {url} (only http:// URLs)"));
    };
    let fail = |code: i32, why: &str| {
        let mut out = ShellOutput::fail(code, String::new());
        if !o.silent || o.show_error {
            out.stderr = format!("curl: ({code}) {why}\n");
        }
        if let Some(f) = &o.write_out {
            out.stdout = write_out(f, 0, code);
        }
        out
    };
    let content_type = o
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone())
        .or_else(|| {
            o.data
                .as_ref()
                .map(|_| "application/x-www-form-urlencoded".to_string())
        });
    let req = Request {
        method: o
            .method
            .clone()
            .unwrap_or_else(|| if o.data.is_some() { "POST" } else { "GET" }.to_string()),
        path,
        content_type,
        body: o.data.clone(),
    };
    let response = if SOCKETS.contains(&socket) {
        world.engine_api(on, &req)
    } else {
        None
    };
    let Some(response) = response else {
        return fail(7, "Couldn't connect to server");
    };
    if o.fail && response.status >= 400 {
        let mut out = fail(
            22,
            &format!("The requested URL returned error: {}", response.status),
        );
        if let Some(f) = &o.write_out {
            out.stdout = write_out(f, response.status, 22);
        }
        return out;
    }
    let mut stdout = if req.method.eq_ignore_ascii_case("HEAD") {
        String::new()
    } else {
        response.body
    };
    if let Some(f) = &o.write_out {
        stdout.push_str(&write_out(f, response.status, 0));
    }
    ShellOutput::ok(stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn options_as_the_oracle_types_them() {
        let o = parse(&argv(&[
            "curl",
            "-s",
            "-w",
            "\\n%{http_code}\\n",
            "--unix-socket",
            "/var/run/docker.sock",
            "-H",
            "Content-Type: application/json",
            "-d",
            "{\"Name\":\"n1\"}",
            "http://localhost/v1.41/networks/create",
        ]))
        .expect("parses");
        assert!(o.silent);
        assert_eq!(o.write_out.as_deref(), Some("\\n%{http_code}\\n"));
        assert_eq!(o.unix_socket.as_deref(), Some("/var/run/docker.sock"));
        assert_eq!(
            o.headers,
            [("Content-Type".to_string(), "application/json".to_string())]
        );
        assert_eq!(o.data.as_deref(), Some("{\"Name\":\"n1\"}"));
        let b = parse(&argv(&[
            "curl",
            "-fsSXDELETE",
            "http://localhost/networks/n1",
        ]))
        .expect("bundled");
        assert!(b.fail && b.silent && b.show_error);
        assert_eq!(b.method.as_deref(), Some("DELETE"));
        assert_eq!(url_path("http://localhost").as_deref(), Some("/"));
    }

    #[test]
    fn the_write_out_format() {
        assert_eq!(write_out("\\n%{http_code}\\n", 201, 0), "\n201\n");
        assert_eq!(write_out("%%%{exitcode}", 0, 7), "%7");
    }
}
