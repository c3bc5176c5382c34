//! The Go `text/template` subset that `docker inspect -f` users type, evaluated over the
//! inspect JSON the way the docker CLI's fallback does it (the object decoded into
//! `map[string]interface{}`, `missingkey=error`).
//!
//! Supported: text, `{{.A.B}}` field paths, `.`, `$` and `$name` variables, `(...)`
//! sub-pipelines followed by fields, `|` pipes, string/number/bool/nil literals,
//! `{{range [$k[, $v] :=] X}}`, `{{if X}}` with `{{else}}`/`{{else if}}`, `{{end}}`,
//! `{{- ` / ` -}}` trimming, `{{/* comments */}}`, and the functions docker and Go give
//! templates that people use: `json`, `index`, `len`, `join`, `split`, `lower`, `upper`,
//! `title`, `pad`, `truncate`, `print`, `println`, `printf` (`%s %v %d %q %%`), `eq`, `ne`,
//! `not`, `and`, `or`. A Go construct outside the subset (`with`, `define`, `template`,
//! `block`, `break`, `continue`, other verbs) is refused with a message that says so; an
//! unknown function or a malformed action gives Go's parse error. Nothing here panics on
//! user input.
//!
//! Errors carry Go's words and positions (`template: :1:2: executing "" at <.Foo>: map has
//! no entry for key "Foo"`); the caller puts docker's `template parsing error: ` in front.
//! `parse` turns the text into nodes, `exec` runs them; this module holds the nodes, the
//! errors and the entry points.

mod exec;
mod parse;

use serde_json::Value;

/// A field docker's JSON leaves out when it is empty (Go's `omitempty`) but a template still
/// reads, as the CLI runs templates on its typed object first: `{{.Gateway}}` of an IPAM
/// config without a gateway prints nothing, while `{{json .IPAM.Config}}` and the plain
/// JSON leave the key out. Objects hold this string for such a field; `strip_omitted`
/// takes those entries away before anything is printed as JSON.
pub const OMITTED_EMPTY: &str = "\u{1}omitempty";

/// `v` without the entries that hold `OMITTED_EMPTY`, as Go's encoder writes it.
pub fn strip_omitted(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| x.as_str() != Some(OMITTED_EMPTY))
                .map(|(k, x)| (k.clone(), strip_omitted(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_omitted).collect()),
        other => other.clone(),
    }
}

/// Why a template could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    /// The template does not parse (docker exits 64).
    Parse(String),
    /// The template failed on an object (docker exits 1).
    Exec(String),
}

impl TemplateError {
    pub fn message(&self) -> &str {
        match self {
            TemplateError::Parse(m) | TemplateError::Exec(m) => m,
        }
    }
}

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    src: String,
    nodes: Vec<Node>,
}

/// Functions a template may call, as docker's template package and Go define them.
const FUNCTIONS: &[&str] = &[
    "json", "index", "len", "join", "split", "lower", "upper", "title", "pad", "truncate", "print",
    "println", "printf", "eq", "ne", "not", "and", "or",
];
/// Go functions and actions hnsim does not evaluate.
const NOT_MODELLED: &[&str] = &[
    "with", "define", "template", "block", "break", "continue", "call", "html", "js", "urlquery",
    "slice", "lt", "le", "gt", "ge",
];

#[derive(Debug)]
enum Node {
    Text(String),
    Action(Pipeline),
    If {
        branches: Vec<(Pipeline, Vec<Node>)>,
        otherwise: Vec<Node>,
    },
    Range {
        key: Option<String>,
        value: Option<String>,
        pipe: Pipeline,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

#[derive(Debug, Clone)]
struct Pipeline {
    /// `$x := ...` in a plain action.
    decl: Option<String>,
    commands: Vec<Command>,
}

#[derive(Debug, Clone)]
struct Command {
    operands: Vec<Operand>,
    /// Where the command starts, and its text, for error messages.
    pos: usize,
    text: String,
}

#[derive(Debug, Clone)]
enum Term {
    Dot,
    Var(String),
    Str(String),
    Num(f64, String),
    Bool(bool),
    Nil,
    Func(String),
    Sub(Pipeline),
}

#[derive(Debug, Clone)]
struct Operand {
    term: Term,
    fields: Vec<String>,
    pos: usize,
    text: String,
}

impl Template {
    /// Parses `src` as Go's text/template would, within the supported subset.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        Ok(Template {
            src: src.to_string(),
            nodes: parse::parse(src)?,
        })
    }

    /// Runs the template over `root`.
    pub fn execute(&self, root: &Value) -> Result<String, TemplateError> {
        exec::execute(&self.src, &self.nodes, root)
    }
}

fn line_of(src: &str, pos: usize) -> usize {
    1 + src[..pos.min(src.len())].matches('\n').count()
}

/// Go's parse error: `template: :LINE: what`.
fn parse_error(src: &str, pos: usize, what: &str) -> TemplateError {
    TemplateError::Parse(format!("template: :{}: {what}", line_of(src, pos)))
}

fn not_modelled(what: &str) -> TemplateError {
    TemplateError::Parse(format!(
        "hnsim: the template action or function {what:?} is not modelled; hnsim evaluates field paths, $variables, range, if/else and the functions {}",
        FUNCTIONS.join(", ")
    ))
}

/// Go's execution error at a node: `template: :LINE:COL: executing "" at <NODE>: what`.
fn exec_error(src: &str, pos: usize, node: &str, what: &str) -> TemplateError {
    let before = &src[..pos.min(src.len())];
    let col = match before.rfind('\n') {
        None => pos,
        Some(nl) => pos - (nl + 1),
    };
    TemplateError::Exec(format!(
        "template: :{}:{col}: executing \"\" at <{node}>: {what}",
        line_of(src, pos)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn run(t: &str, v: &Value) -> Result<String, TemplateError> {
        Template::parse(t)?.execute(v)
    }

    fn ctr() -> Value {
        json!({
            "Id": "abc",
            "Name": "/web",
            "State": {"Status": "running", "Running": true, "ExitCode": 0},
            "NetworkSettings": {
                "IPAddress": "",
                "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]},
                "Networks": {
                    "nat": {"IPAddress": "172.20.0.5", "IPPrefixLen": 16, "Aliases": null},
                    "lan": {"IPAddress": "10.0.0.9", "IPPrefixLen": 8, "Aliases": ["a", "b"]}
                }
            }
        })
    }

    #[test]
    fn what_users_type() {
        let c = ctr();
        assert_eq!(run("{{.NetworkSettings.IPAddress}}", &c).unwrap(), "");
        assert_eq!(
            run(
                "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                &c
            )
            .unwrap(),
            "10.0.0.9172.20.0.5",
            "a map ranges in key order"
        );
        assert_eq!(
            run(
                "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}",
                &c
            )
            .unwrap(),
            "lan=10.0.0.9 nat=172.20.0.5 "
        );
        assert_eq!(
            run("{{.NetworkSettings.Networks.nat.IPAddress}}", &c).unwrap(),
            "172.20.0.5"
        );
        assert_eq!(
            run(
                "{{(index .NetworkSettings.Networks \"nat\").IPPrefixLen}}",
                &c
            )
            .unwrap(),
            "16"
        );
        assert_eq!(
            run("{{json .NetworkSettings.Ports}}", &c).unwrap(),
            r#"{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}"#
        );
        assert_eq!(run("{{.Name | upper}}", &c).unwrap(), "/WEB");
        assert_eq!(
            run(
                "{{if eq .State.Status \"running\"}}up{{else}}down{{end}}",
                &c
            )
            .unwrap(),
            "up"
        );
        assert_eq!(
            run(
                "{{if .State.ExitCode}}x{{else if .State.Running}}r{{end}}",
                &c
            )
            .unwrap(),
            "r"
        );
        assert_eq!(
            run(
                "{{range .NetworkSettings.Networks.lan.Aliases}}[{{.}}]{{end}}",
                &c
            )
            .unwrap(),
            "[a][b]"
        );
        assert_eq!(
            run(
                "{{range .NetworkSettings.Networks.nat.Aliases}}x{{else}}none{{end}}",
                &c
            )
            .unwrap(),
            "none"
        );
        assert_eq!(run("{{- .Id -}}  \n", &c).unwrap(), "abc");
        assert_eq!(run("a {{/* note */}}b", &c).unwrap(), "a b");
        assert_eq!(run("{{len .NetworkSettings.Networks}}", &c).unwrap(), "2");
        assert_eq!(run("{{printf \"%s:%d\" .Id 5}}", &c).unwrap(), "abc:5");
        assert_eq!(run("{{$n := .Name}}{{$n}}", &c).unwrap(), "/web");
        assert_eq!(
            run("{{.State}}", &c).unwrap(),
            "map[ExitCode:0 Running:true Status:running]"
        );
    }

    #[test]
    fn errors_are_gos_and_never_panics() {
        let c = ctr();
        assert_eq!(
            run("{{.Foo}}", &c),
            Err(TemplateError::Exec(
                "template: :1:2: executing \"\" at <.Foo>: map has no entry for key \"Foo\"".into()
            ))
        );
        assert_eq!(
            run("x\n {{.NetworkSettings.Networks.none.IPAddress}}", &c)
                .unwrap_err()
                .message(),
            "template: :2:3: executing \"\" at <.NetworkSettings.Networks.none.IPAddress>: map has no entry for key \"none\""
        );
        assert_eq!(
            run("{{foo .Id}}", &c),
            Err(TemplateError::Parse(
                "template: :1: function \"foo\" not defined".into()
            ))
        );
        assert_eq!(
            run("{{.Id", &c),
            Err(TemplateError::Parse("template: :1: unclosed action".into()))
        );
        assert_eq!(
            run("{{range .Id}}", &c),
            Err(TemplateError::Parse("template: :1: unexpected EOF".into()))
        );
        assert!(run("{{with .State}}{{.Status}}{{end}}", &c)
            .unwrap_err()
            .message()
            .contains("\"with\" is not modelled"));
        assert!(run("{{end}}", &c).is_err());
        assert!(run("{{range .Id}}{{end}}", &c)
            .unwrap_err()
            .message()
            .contains("range can't iterate over abc"));
        assert!(run("{{.Id.X}}", &c)
            .unwrap_err()
            .message()
            .contains("can't evaluate field X in type string"));
        for t in [
            "{{",
            "}}",
            "{{(}}",
            "{{)}}",
            "{{|}}",
            "{{\"x}}",
            "{{index}}",
            "{{$x}}",
            "{{else}}",
            "{{if}}{{end}}",
            "{{range $a, := .}}{{end}}",
            "{{-}}",
            "{{ - }}",
            "{{printf \"%x\" 1}}",
            "{{`x}}",
            "{{1.2.3}}",
            "{{index .Id 9}}",
            "{{.Name 1}}",
        ] {
            let _ = run(t, &c);
        }
        let deep = format!("{}.{}", "(".repeat(500), ")".repeat(500));
        assert!(run(&format!("{{{{{deep}}}}}"), &c)
            .unwrap_err()
            .message()
            .contains("nests more than 100 levels"));
        let ranges = "{{range .}}".repeat(500);
        assert!(run(&ranges, &c).is_err());
    }

    proptest! {
        #[test]
        fn templates_never_panic(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("{{".to_string()), Just("}}".to_string()), Just("{{- ".to_string()),
                    Just(" -}}".to_string()), Just(".".to_string()), Just("$".to_string()),
                    Just("(".to_string()), Just(")".to_string()), Just("|".to_string()),
                    Just("\"".to_string()), Just("range".to_string()), Just("if".to_string()),
                    Just("else".to_string()), Just("end".to_string()), Just("index".to_string()),
                    Just("json".to_string()), Just(":=".to_string()), Just(",".to_string()),
                    Just(".NetworkSettings.Networks".to_string()), Just("printf".to_string()),
                    "[ a-zA-Z0-9_.$\"`(){}|:=,é-]{0,8}",
                ],
                0..16,
            )
        ) {
            let t = parts.join("");
            let _ = run(&t, &ctr());
        }
    }
}
