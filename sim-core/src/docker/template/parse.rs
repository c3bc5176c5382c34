//! Parsing a template: splitting the text from the actions (with `{{- -}}` trimming), the
//! words of each action, and the nesting of `if`, `range` and `else`/`end`.

use super::{
    not_modelled, parse_error, Command, Node, Operand, Pipeline, TemplateError, Term, FUNCTIONS,
    NOT_MODELLED,
};

/// The nodes of `src`.
pub(super) fn parse(src: &str) -> Result<Vec<Node>, TemplateError> {
    let mut items = Vec::new();
    let mut rest = 0;
    loop {
        let Some(open) = src[rest..].find("{{").map(|i| i + rest) else {
            items.push(Item::Text(src[rest..].to_string()));
            break;
        };
        items.push(Item::Text(src[rest..open].to_string()));
        let Some(close) = src[open + 2..].find("}}").map(|i| i + open + 2) else {
            return Err(parse_error(src, open, "unclosed action"));
        };
        let mut inner_start = open + 2;
        let mut inner_end = close;
        let trim_left = src[inner_start..].starts_with("- ")
            || src[inner_start..].starts_with("-\t")
            || src[inner_start..].starts_with("-\n");
        if trim_left {
            inner_start += 1;
        }
        let trim_right = inner_end > inner_start
            && src[..inner_end].ends_with('-')
            && src[..inner_end - 1].ends_with([' ', '\t', '\n']);
        if trim_right {
            inner_end -= 1;
        }
        if trim_left {
            if let Some(Item::Text(t)) = items.last_mut() {
                *t = t.trim_end().to_string();
            }
        }
        items.push(Item::Action(Span { start: inner_start }, inner_end));
        rest = close + 2;
        if trim_right {
            let skipped = src[rest..].len() - src[rest..].trim_start().len();
            rest += skipped;
        }
    }
    let mut p = Parser {
        src,
        items,
        at: 0,
        pending_else_if: None,
        depth: 0,
    };
    let (nodes, stop) = p.block()?;
    if let Some((word, pos)) = stop {
        return Err(parse_error(src, pos, &format!("unexpected {{{{{word}}}}}")));
    }
    Ok(nodes)
}

/// Where a piece of an action sits in the template.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
}

enum Item {
    Text(String),
    /// An action's inside: where it starts, and where it ends.
    Action(Span, usize),
}

struct Parser<'a> {
    src: &'a str,
    items: Vec<Item>,
    at: usize,
    /// How many blocks are open.
    depth: usize,
    /// The condition of an `else if`, read while closing the branch before it.
    pending_else_if: Option<Pipeline>,
}

/// How a block ended: `else`, `else if ...` or `end`, with where it was.
type Stop = Option<(String, usize)>;

/// How deep `if`, `range` and parentheses may nest: far beyond what anyone types, and a
/// bound on the recursion a hostile template could ask for.
const MAX_DEPTH: usize = 100;

fn too_deep(src: &str, pos: usize) -> TemplateError {
    parse_error(
        src,
        pos,
        &format!("hnsim: the template nests more than {MAX_DEPTH} levels deep"),
    )
}

impl Parser<'_> {
    /// Nodes up to an `else`/`end` (returned) or the end of the template.
    fn block(&mut self) -> Result<(Vec<Node>, Stop), TemplateError> {
        if self.depth >= MAX_DEPTH {
            return Err(too_deep(self.src, self.src.len()));
        }
        self.depth += 1;
        let r = self.block_inner();
        self.depth -= 1;
        r
    }

    fn block_inner(&mut self) -> Result<(Vec<Node>, Stop), TemplateError> {
        let mut nodes = Vec::new();
        while self.at < self.items.len() {
            let (start, end) = match &self.items[self.at] {
                Item::Text(t) => {
                    if !t.is_empty() {
                        nodes.push(Node::Text(t.clone()));
                    }
                    self.at += 1;
                    continue;
                }
                Item::Action(span, end) => (span.start, *end),
            };
            self.at += 1;
            let inner = &self.src[start..end];
            let trimmed = inner.trim();
            if trimmed.starts_with("/*") {
                if !trimmed.ends_with("*/") {
                    return Err(parse_error(self.src, start, "unclosed comment"));
                }
                continue;
            }
            let mut lx = Lexer::new(self.src, start, end);
            let first = lx.peek_word();
            match first.as_deref() {
                Some("end") => {
                    lx.word();
                    lx.expect_end("end")?;
                    return Ok((nodes, Some(("end".into(), start))));
                }
                Some("else") => {
                    lx.word();
                    let after = lx.peek_word();
                    if after.as_deref() == Some("if") {
                        lx.word();
                        let pipe = lx.pipeline(false)?;
                        // Re-enter as an `if` branch of the caller.
                        self.pending_else_if = Some(pipe);
                        return Ok((nodes, Some(("else if".into(), start))));
                    }
                    lx.expect_end("else")?;
                    return Ok((nodes, Some(("else".into(), start))));
                }
                Some("if") => {
                    lx.word();
                    let pipe = lx.pipeline(false)?;
                    nodes.push(self.if_node(pipe, start)?);
                }
                Some("range") => {
                    lx.word();
                    let (key, value) = lx.range_decl()?;
                    let pipe = lx.pipeline(false)?;
                    let (body, stop) = self.block()?;
                    let otherwise = match stop.as_ref().map(|s| s.0.as_str()) {
                        Some("end") => Vec::new(),
                        Some("else") => {
                            let (o, stop) = self.block()?;
                            self.require_end(stop, start)?;
                            o
                        }
                        Some(other) => {
                            return Err(parse_error(
                                self.src,
                                stop.as_ref().map_or(start, |s| s.1),
                                &format!("unexpected {{{{{other}}}}} in range"),
                            ))
                        }
                        None => return Err(parse_error(self.src, end, "unexpected EOF")),
                    };
                    nodes.push(Node::Range {
                        key,
                        value,
                        pipe,
                        body,
                        otherwise,
                    });
                }
                Some(w) if NOT_MODELLED.contains(&w) => {
                    return Err(not_modelled(w));
                }
                _ => nodes.push(Node::Action(lx.pipeline(true)?)),
            }
        }
        Ok((nodes, None))
    }

    fn require_end(&self, stop: Stop, start: usize) -> Result<(), TemplateError> {
        match stop {
            Some((w, _)) if w == "end" => Ok(()),
            Some((w, pos)) => Err(parse_error(
                self.src,
                pos,
                &format!("unexpected {{{{{w}}}}}"),
            )),
            None => Err(parse_error(self.src, start, "unexpected EOF")),
        }
    }

    fn if_node(&mut self, first: Pipeline, start: usize) -> Result<Node, TemplateError> {
        let mut branches = Vec::new();
        let mut cond = first;
        loop {
            let (body, stop) = self.block()?;
            branches.push((cond, body));
            match stop.as_ref().map(|s| s.0.as_str()) {
                Some("end") => {
                    return Ok(Node::If {
                        branches,
                        otherwise: Vec::new(),
                    })
                }
                Some("else") => {
                    let (otherwise, stop) = self.block()?;
                    self.require_end(stop, start)?;
                    return Ok(Node::If {
                        branches,
                        otherwise,
                    });
                }
                Some("else if") => {
                    cond = self
                        .pending_else_if
                        .take()
                        .expect("`else if` leaves its condition");
                }
                _ => return Err(parse_error(self.src, self.src.len(), "unexpected EOF")),
            }
        }
    }
}

/// The words and symbols inside one action.
struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    end: usize,
    /// How many parentheses are open.
    depth: usize,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str, pos: usize, end: usize) -> Self {
        Lexer {
            src,
            pos,
            end,
            depth: 0,
        }
    }

    fn skip_space(&mut self) {
        while self.pos < self.end && self.src.as_bytes()[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..self.end]
    }

    /// The next bare word (a keyword or function name), without taking it.
    fn peek_word(&mut self) -> Option<String> {
        self.skip_space();
        let w: String = self
            .rest()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        (!w.is_empty() && !w.starts_with(|c: char| c.is_ascii_digit())).then_some(w)
    }

    fn word(&mut self) -> String {
        let w = self.peek_word().unwrap_or_default();
        self.pos += w.len();
        w
    }

    fn expect_end(&mut self, what: &str) -> Result<(), TemplateError> {
        self.skip_space();
        if self.pos < self.end {
            return Err(parse_error(
                self.src,
                self.pos,
                &format!("unexpected {} in {what}", describe(self.rest())),
            ));
        }
        Ok(())
    }

    /// `$k, $v :=` or `$v :=` at the start of a range.
    fn range_decl(&mut self) -> Result<(Option<String>, Option<String>), TemplateError> {
        let save = self.pos;
        self.skip_space();
        let Some(first) = self.variable() else {
            self.pos = save;
            return Ok((None, None));
        };
        self.skip_space();
        if self.rest().starts_with(',') {
            self.pos += 1;
            self.skip_space();
            let Some(second) = self.variable() else {
                return Err(parse_error(
                    self.src,
                    self.pos,
                    "range can only initialize variables",
                ));
            };
            self.skip_space();
            if !self.rest().starts_with(":=") {
                return Err(parse_error(self.src, self.pos, "expected :="));
            }
            self.pos += 2;
            return Ok((Some(first), Some(second)));
        }
        if self.rest().starts_with(":=") {
            self.pos += 2;
            return Ok((None, Some(first)));
        }
        self.pos = save;
        Ok((None, None))
    }

    /// `$name` (or `$`), when the next thing is one.
    fn variable(&mut self) -> Option<String> {
        if !self.rest().starts_with('$') {
            return None;
        }
        let name: String = self.rest()[1..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        self.pos += 1 + name.len();
        Some(format!("${name}"))
    }

    /// A pipeline up to the end of the action (or a closing parenthesis when `nested`).
    fn pipeline(&mut self, allow_decl: bool) -> Result<Pipeline, TemplateError> {
        self.pipeline_until(allow_decl, false)
    }

    fn pipeline_until(
        &mut self,
        allow_decl: bool,
        nested: bool,
    ) -> Result<Pipeline, TemplateError> {
        self.skip_space();
        let mut decl = None;
        if allow_decl {
            let save = self.pos;
            if let Some(v) = self.variable() {
                self.skip_space();
                if self.rest().starts_with(":=") {
                    self.pos += 2;
                    decl = Some(v);
                } else {
                    self.pos = save;
                }
            }
        }
        let mut commands = Vec::new();
        loop {
            self.skip_space();
            let start = self.pos;
            let mut operands = Vec::new();
            loop {
                self.skip_space();
                if self.pos >= self.end {
                    break;
                }
                let c = self.rest().as_bytes()[0];
                if c == b'|' || c == b')' {
                    break;
                }
                operands.push(self.operand()?);
            }
            let text = self.src[start..self.pos].trim_end().to_string();
            if operands.is_empty() {
                let what = if self.pos >= self.end {
                    "missing value for command".to_string()
                } else {
                    format!("missing value for command before {}", describe(self.rest()))
                };
                return Err(parse_error(self.src, start, &what));
            }
            commands.push(Command {
                operands,
                pos: start,
                text,
            });
            self.skip_space();
            if self.rest().starts_with('|') {
                self.pos += 1;
                continue;
            }
            if self.rest().starts_with(')') {
                if nested {
                    break;
                }
                return Err(parse_error(self.src, self.pos, "unexpected right paren"));
            }
            if self.pos >= self.end {
                if nested {
                    return Err(parse_error(self.src, self.pos, "unclosed left paren"));
                }
                break;
            }
        }
        Ok(Pipeline { decl, commands })
    }

    fn operand(&mut self) -> Result<Operand, TemplateError> {
        let start = self.pos;
        let rest = self.rest();
        let c = rest.chars().next().unwrap_or(' ');
        let term = if c == '.' {
            let path = self.fields();
            if path.is_empty() {
                Term::Dot
            } else {
                return Ok(Operand {
                    term: Term::Dot,
                    fields: path,
                    pos: start,
                    text: self.src[start..self.pos].to_string(),
                });
            }
        } else if c == '$' {
            let v = self.variable().unwrap_or_default();
            Term::Var(v)
        } else if c == '"' || c == '`' {
            Term::Str(self.string()?)
        } else if c == '(' {
            if self.depth >= MAX_DEPTH {
                return Err(too_deep(self.src, start));
            }
            self.pos += 1;
            self.depth += 1;
            let inner = self.pipeline_until(false, true)?;
            self.depth -= 1;
            self.pos += 1; // ')'
            Term::Sub(inner)
        } else if c.is_ascii_digit() || ((c == '-' || c == '+') && rest.len() > 1) {
            let text: String = rest
                .chars()
                .enumerate()
                .take_while(|(i, ch)| {
                    ch.is_ascii_alphanumeric()
                        || *ch == '.'
                        || (*i == 0 && (*ch == '-' || *ch == '+'))
                })
                .map(|(_, ch)| ch)
                .collect();
            let n = text.parse::<f64>().map_err(|_| {
                parse_error(self.src, start, &format!("bad number syntax: {text:?}"))
            })?;
            self.pos += text.len();
            Term::Num(n, text)
        } else if c.is_alphabetic() || c == '_' {
            let w = self.word();
            match w.as_str() {
                "true" => Term::Bool(true),
                "false" => Term::Bool(false),
                "nil" => Term::Nil,
                w if FUNCTIONS.contains(&w) => Term::Func(w.to_string()),
                w if NOT_MODELLED.contains(&w) => return Err(not_modelled(w)),
                "if" | "range" | "else" | "end" => {
                    return Err(parse_error(
                        self.src,
                        start,
                        &format!("unexpected <{w}> in command"),
                    ))
                }
                w => {
                    return Err(parse_error(
                        self.src,
                        start,
                        &format!("function {w:?} not defined"),
                    ))
                }
            }
        } else {
            return Err(parse_error(
                self.src,
                start,
                &format!("unexpected {} in command", describe(rest)),
            ));
        };
        let fields = if matches!(term, Term::Var(_) | Term::Sub(_)) {
            self.fields()
        } else {
            Vec::new()
        };
        Ok(Operand {
            term,
            fields,
            pos: start,
            text: self.src[start..self.pos].to_string(),
        })
    }

    /// `.A.B.C` (possibly empty, or a lone `.`).
    fn fields(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while self.rest().starts_with('.') {
            let name: String = self.rest()[1..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            self.pos += 1 + name.len();
            if name.is_empty() {
                break;
            }
            out.push(name);
        }
        out
    }

    /// A Go string literal: "interpreted" (with the usual escapes) or `raw`.
    fn string(&mut self) -> Result<String, TemplateError> {
        let start = self.pos;
        let quote = self.rest().chars().next().unwrap_or('"');
        let body = &self.rest()[1..];
        if quote == '`' {
            let Some(close) = body.find('`') else {
                return Err(parse_error(
                    self.src,
                    start,
                    "unterminated raw quoted string",
                ));
            };
            self.pos += close + 2;
            return Ok(body[..close].to_string());
        }
        let mut out = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += 1 + i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next().map(|(_, e)| e) {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('\\') => out.push('\\'),
                    Some('"') => out.push('"'),
                    _ => return Err(parse_error(self.src, start, "invalid syntax")),
                },
                c => out.push(c),
            }
        }
        Err(parse_error(self.src, start, "unterminated quoted string"))
    }
}

/// Go's name for what it found where it did not expect it.
fn describe(rest: &str) -> String {
    match rest.chars().next() {
        Some(c) if c.is_ascii_punctuation() => format!("{c:?}").replace('\'', "\""),
        Some(_) => format!("<{}>", rest.split_whitespace().next().unwrap_or("")),
        None => "EOF".into(),
    }
}
