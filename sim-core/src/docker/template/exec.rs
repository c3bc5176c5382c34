//! Running a parsed template over a JSON value: pipelines, fields, variables, `range` and
//! `if`, the functions, and how Go prints what comes out.

use super::{exec_error, Command, Node, Operand, Pipeline, TemplateError, Term};
use serde_json::Value;
use std::collections::BTreeMap;

/// Runs `nodes` (parsed from `src`) over `root`.
pub(super) fn execute(src: &str, nodes: &[Node], root: &Value) -> Result<String, TemplateError> {
    let mut out = String::new();
    let mut ex = Exec {
        src,
        root,
        vars: vec![("$".to_string(), root.clone())],
    };
    ex.nodes(nodes, root, &mut out)?;
    Ok(out)
}

struct Exec<'a> {
    src: &'a str,
    root: &'a Value,
    vars: Vec<(String, Value)>,
}

impl Exec<'_> {
    fn nodes(
        &mut self,
        nodes: &[Node],
        dot: &Value,
        out: &mut String,
    ) -> Result<(), TemplateError> {
        for n in nodes {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Action(p) => {
                    let v = self.pipeline(p, dot)?;
                    if let Some(name) = &p.decl {
                        self.vars.push((name.clone(), v));
                    } else {
                        out.push_str(&print(&v));
                    }
                }
                Node::If {
                    branches,
                    otherwise,
                } => {
                    let mut done = false;
                    for (cond, body) in branches {
                        if truth(&self.pipeline(cond, dot)?) {
                            self.scoped(body, dot, out)?;
                            done = true;
                            break;
                        }
                    }
                    if !done {
                        self.scoped(otherwise, dot, out)?;
                    }
                }
                Node::Range {
                    key,
                    value,
                    pipe,
                    body,
                    otherwise,
                } => {
                    let over = self.pipeline(pipe, dot)?;
                    let items: Vec<(Value, Value)> = match &over {
                        Value::Array(a) => a
                            .iter()
                            .enumerate()
                            .map(|(i, v)| (Value::from(i), v.clone()))
                            .collect(),
                        // Go ranges over a map in key order.
                        Value::Object(m) => m
                            .iter()
                            .collect::<BTreeMap<_, _>>()
                            .into_iter()
                            .map(|(k, v)| (Value::String(k.clone()), v.clone()))
                            .collect(),
                        Value::Null => Vec::new(),
                        other => {
                            let c = &pipe.commands[0];
                            return Err(exec_error(
                                self.src,
                                c.pos,
                                &c.text,
                                &format!("range can't iterate over {}", print(other)),
                            ));
                        }
                    };
                    if items.is_empty() {
                        self.scoped(otherwise, dot, out)?;
                    }
                    for (k, v) in items {
                        let mark = self.vars.len();
                        if let Some(name) = key {
                            self.vars.push((name.clone(), k));
                        }
                        if let Some(name) = value {
                            self.vars.push((name.clone(), v.clone()));
                        }
                        self.nodes(body, &v, out)?;
                        self.vars.truncate(mark);
                    }
                }
            }
        }
        Ok(())
    }

    /// A block whose variables end with it.
    fn scoped(
        &mut self,
        nodes: &[Node],
        dot: &Value,
        out: &mut String,
    ) -> Result<(), TemplateError> {
        let mark = self.vars.len();
        let r = self.nodes(nodes, dot, out);
        self.vars.truncate(mark);
        r
    }

    fn pipeline(&mut self, p: &Pipeline, dot: &Value) -> Result<Value, TemplateError> {
        let mut last: Option<Value> = None;
        for c in &p.commands {
            last = Some(self.command(c, dot, last)?);
        }
        Ok(last.unwrap_or(Value::Null))
    }

    fn command(
        &mut self,
        c: &Command,
        dot: &Value,
        piped: Option<Value>,
    ) -> Result<Value, TemplateError> {
        let first = &c.operands[0];
        if let Term::Func(name) = &first.term {
            let mut args = Vec::new();
            for o in &c.operands[1..] {
                args.push(self.operand(o, dot)?);
            }
            if let Some(v) = piped {
                args.push(v);
            }
            return call(name, &args).map_err(|e| {
                exec_error(
                    self.src,
                    c.pos,
                    &c.text,
                    &format!("error calling {name}: {e}"),
                )
            });
        }
        if c.operands.len() > 1 || piped.is_some() {
            return Err(exec_error(
                self.src,
                first.pos,
                &first.text,
                &format!("can't give argument to non-function {}", first.text),
            ));
        }
        self.operand(first, dot)
    }

    fn operand(&mut self, o: &Operand, dot: &Value) -> Result<Value, TemplateError> {
        let base = match &o.term {
            Term::Dot => dot.clone(),
            Term::Var(name) => match self.vars.iter().rev().find(|(n, _)| n == name) {
                Some((_, v)) => v.clone(),
                None if name == "$" => self.root.clone(),
                None => {
                    return Err(exec_error(
                        self.src,
                        o.pos,
                        &o.text,
                        &format!("undefined variable: {name}"),
                    ))
                }
            },
            Term::Str(s) => Value::String(s.clone()),
            Term::Num(n, text) => number(*n, text),
            Term::Bool(b) => Value::Bool(*b),
            Term::Nil => Value::Null,
            Term::Func(name) => call(name, &[]).map_err(|e| {
                exec_error(
                    self.src,
                    o.pos,
                    &o.text,
                    &format!("error calling {name}: {e}"),
                )
            })?,
            Term::Sub(p) => self.pipeline(p, dot)?,
        };
        let mut v = base;
        for f in &o.fields {
            v = match v {
                Value::Object(m) => match m.get(f) {
                    Some(x) => x.clone(),
                    None => {
                        return Err(exec_error(
                            self.src,
                            o.pos,
                            &o.text,
                            &format!("map has no entry for key {f:?}"),
                        ))
                    }
                },
                Value::Null => {
                    return Err(exec_error(
                        self.src,
                        o.pos,
                        &o.text,
                        &format!("nil pointer evaluating interface {{}}.{f}"),
                    ))
                }
                other => {
                    return Err(exec_error(
                        self.src,
                        o.pos,
                        &o.text,
                        &format!("can't evaluate field {f} in type {}", go_type(&other)),
                    ))
                }
            };
        }
        Ok(v)
    }
}

fn number(n: f64, text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::from(i);
    }
    serde_json::Number::from_f64(n)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The Go type a decoded JSON value has (`json.Decoder` with `UseNumber`).
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "json.Number",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Go's truth: false, 0, nil and empty strings, slices and maps are false.
fn truth(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// How text/template prints a value (`fmt.Print` of the decoded JSON).
fn print(v: &Value) -> String {
    match v {
        Value::Null => "<no value>".into(),
        _ => print_inner(v),
    }
}

fn print_inner(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s == super::OMITTED_EMPTY => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(print_inner).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(m) => {
            let sorted: BTreeMap<&String, &Value> = m.iter().collect();
            format!(
                "map[{}]",
                sorted
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", print_inner(v)))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
    }
}

fn arity(name: &str, args: &[Value], n: usize) -> Result<(), String> {
    if args.len() != n {
        return Err(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        ));
    }
    Ok(())
}

fn as_str<'v>(v: &'v Value, name: &str) -> Result<std::borrow::Cow<'v, str>, String> {
    match v {
        Value::String(s) => Ok(std::borrow::Cow::Borrowed(s)),
        other => Err(format!(
            "wrong type for value; expected string; got {} in {name}",
            go_type(other)
        )),
    }
}

fn as_int(v: &Value) -> Result<i64, String> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .ok_or_else(|| format!("cannot index with {}", go_type(v)))
}

fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    match name {
        "json" => {
            arity(name, args, 1)?;
            serde_json::to_string(&super::strip_omitted(&args[0]))
                .map(Value::String)
                .map_err(|e| e.to_string())
        }
        "index" => {
            let Some((first, keys)) = args.split_first() else {
                return Err("wrong number of args for index: want at least 1 got 0".into());
            };
            let mut v = first.clone();
            for k in keys {
                v = match &v {
                    Value::Object(m) => {
                        let key = as_str(k, name)?;
                        m.get(key.as_ref()).cloned().unwrap_or(Value::Null)
                    }
                    Value::Array(a) => {
                        let i = as_int(k)?;
                        usize::try_from(i)
                            .ok()
                            .and_then(|i| a.get(i))
                            .cloned()
                            .ok_or_else(|| format!("index out of range: {i}"))?
                    }
                    Value::Null => return Err("index of untyped nil".into()),
                    other => return Err(format!("can't index item of type {}", go_type(other))),
                };
            }
            Ok(v)
        }
        "len" => {
            arity(name, args, 1)?;
            match &args[0] {
                Value::String(s) => Ok(Value::from(s.len())),
                Value::Array(a) => Ok(Value::from(a.len())),
                Value::Object(m) => Ok(Value::from(m.len())),
                other => Err(format!("len of type {}", go_type(other))),
            }
        }
        "join" => {
            arity(name, args, 2)?;
            let sep = as_str(&args[1], name)?;
            match &args[0] {
                Value::Array(a) => Ok(Value::String(
                    a.iter().map(print_inner).collect::<Vec<_>>().join(&sep),
                )),
                other => Err(format!(
                    "wrong type for value; expected []string; got {}",
                    go_type(other)
                )),
            }
        }
        "split" => {
            arity(name, args, 2)?;
            let (s, sep) = (as_str(&args[0], name)?, as_str(&args[1], name)?);
            Ok(Value::Array(
                s.split(sep.as_ref())
                    .map(|p| Value::String(p.to_string()))
                    .collect(),
            ))
        }
        "lower" | "upper" | "title" => {
            arity(name, args, 1)?;
            let s = as_str(&args[0], name)?;
            Ok(Value::String(match name {
                "lower" => s.to_lowercase(),
                "upper" => s.to_uppercase(),
                _ => s
                    .split(' ')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next()
                            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            }))
        }
        "pad" => {
            arity(name, args, 3)?;
            let s = as_str(&args[0], name)?;
            let (pre, post) = (as_int(&args[1])?.max(0), as_int(&args[2])?.max(0));
            Ok(Value::String(format!(
                "{}{s}{}",
                " ".repeat(pre as usize),
                " ".repeat(post as usize)
            )))
        }
        "truncate" => {
            arity(name, args, 2)?;
            let s = as_str(&args[0], name)?;
            let n = as_int(&args[1])?.max(0) as usize;
            Ok(Value::String(s.chars().take(n).collect()))
        }
        "print" | "println" => {
            let parts: Vec<String> = args.iter().map(print_inner).collect();
            let mut s = if name == "println" {
                parts.join(" ")
            } else {
                // fmt.Sprint adds a space between operands when neither is a string.
                let mut out = String::new();
                for (i, (p, v)) in parts.iter().zip(args).enumerate() {
                    if i > 0 && !v.is_string() && !args[i - 1].is_string() {
                        out.push(' ');
                    }
                    out.push_str(p);
                }
                out
            };
            if name == "println" {
                s.push('\n');
            }
            Ok(Value::String(s))
        }
        "printf" => {
            let Some((fmt, rest)) = args.split_first() else {
                return Err("wrong number of args for printf: want at least 1 got 0".into());
            };
            printf(&as_str(fmt, name)?, rest).map(Value::String)
        }
        "eq" | "ne" => {
            if args.len() < 2 {
                return Err("missing argument for comparison".into());
            }
            let equal = args[1..].iter().any(|b| same(&args[0], b));
            Ok(Value::Bool(if name == "eq" { equal } else { !equal }))
        }
        "not" => {
            arity(name, args, 1)?;
            Ok(Value::Bool(!truth(&args[0])))
        }
        "and" | "or" => {
            let Some(first) = args.first() else {
                return Err(format!(
                    "wrong number of args for {name}: want at least 1 got 0"
                ));
            };
            let stop = |v: &Value| if name == "and" { !truth(v) } else { truth(v) };
            Ok(args
                .iter()
                .find(|v| stop(v))
                .unwrap_or_else(|| args.last().unwrap_or(first))
                .clone())
        }
        other => Err(format!("function {other:?} not defined")),
    }
}

/// Whether two basic values are equal for `eq` (numbers by value).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// `printf` with the verbs people use in templates.
fn printf(fmt: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut it = args.iter();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(verb @ ('s' | 'v' | 'd' | 'q')) => match it.next() {
                Some(v) => match verb {
                    'q' => out.push_str(&format!("{:?}", print_inner(v))),
                    _ => out.push_str(&print_inner(v)),
                },
                None => out.push_str(&format!("%!{verb}(MISSING)")),
            },
            Some(other) => {
                return Err(format!(
                    "hnsim evaluates printf's %s, %v, %d, %q and %% only, not %{other}"
                ))
            }
            None => out.push_str("%!(NOVERB)"),
        }
    }
    Ok(out)
}
