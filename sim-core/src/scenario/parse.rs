//! Piecewise deserialization: split the file with [`split`](super::split), hand every scalar
//! field and every list element to `ron` on its own, and collect every error with its position
//! in the file.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;

use ron::extensions::Extensions;
use rustc_hash::FxHashMap;
use serde::de::DeserializeOwned;

use super::diag::{did_you_mean, one_of, pos_in, Diagnostic, LineIndex, Pos};
use super::schema::*;
use super::split::{Item, ScanError, Shape, TokKind, Tree};

const TOP_FIELDS: &[&str] = &[
    "title",
    "description",
    "seed",
    "limits",
    "fabric",
    "images",
    "steps",
];
const FABRIC_FIELDS: &[&str] = &["switches", "routers", "externals", "hosts", "links"];

/// Field names of the struct variants of [`StepSpec`]; `StepSpec` does not deny unknown fields
/// itself, so the splitter does.
const STEP_VARIANT_FIELDS: &[(&str, &[&str])] = &[
    ("Docker", &["host", "cmd", "expect"]),
    ("Shell", &["on", "cmd", "expect"]),
    ("Probe", &["from", "to", "proto", "expect", "cell", "name"]),
    ("Listen", &["host", "container", "services"]),
    ("HostEndpoint", &["host", "network", "ip"]),
    ("Reboot", &["host"]),
    ("LinkDown", &["link"]),
    ("LinkUp", &["link"]),
    ("NicDown", &["host", "nic"]),
    ("NicUp", &["host", "nic"]),
    (
        "Impair",
        &[
            "link",
            "loss",
            "latency_ms",
            "jitter_ms",
            "duplicate",
            "reorder",
        ],
    ),
    ("Partition", &["name", "links", "nodes"]),
    ("Heal", &["name"]),
    ("HostDown", &["host"]),
    ("HostUp", &["host"]),
    ("RestartService", &["host", "service"]),
    ("Wait", &["ms"]),
    ("At", &["ms", "do"]),
];

/// The ron options every scenario text is read with: `implicit_some` is always on, so an
/// optional field takes a plain value (`gateway: "10.0.0.1"`) as well as `Some("10.0.0.1")`.
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// How deep [`Spans`] records positions (deeper values are positioned at their ancestor).
const MAX_SPAN_DEPTH: usize = 32;

/// Where things sit in the file: the position of each value, by path
/// (`fabric.hosts[1].nics[0].address`, `steps[3]`, `steps[3].host`, ...).
#[derive(Debug, Clone, Default)]
pub struct Spans {
    /// Position of the top-level struct (its name, or its `(`).
    pub root: Pos,
    positions: FxHashMap<String, Pos>,
}

impl Spans {
    /// The position of the value at `path`, or of its nearest recorded ancestor.
    pub fn at(&self, path: &str) -> Pos {
        let mut p = path;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return self.root,
            }
        }
    }

    /// The position of `path` only if it was written in the file.
    pub fn get(&self, path: &str) -> Option<Pos> {
        self.positions.get(path).copied()
    }
}

/// What could not be parsed, so that validation does not report references to it as missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Partial {
    /// Some switch, router, external or host (or the whole fabric) did not parse.
    pub nodes: bool,
    /// Some link (or the whole fabric) did not parse.
    pub links: bool,
}

/// The result of the piecewise parse. If `diags` is not empty, `spec` holds only the pieces
/// that parsed (defaults elsewhere): good enough to validate, never to run.
pub struct Parsed {
    pub spec: ScenarioSpec,
    /// Positions by path; list indices are indices into `spec`'s lists.
    pub spans: Spans,
    pub partial: Partial,
    pub diags: Vec<Diagnostic>,
}

struct Ctx<'a> {
    file: &'a str,
    tree: Tree<'a>,
    index: LineIndex<'a>,
    options: ron::Options,
    explicit_names: bool,
    diags: Vec<Diagnostic>,
    spans: Spans,
    partial: Partial,
}

/// Parses `text` piece by piece. Errors: every problem found, each positioned.
pub fn parse(file: &str, text: &str) -> Result<Parsed, Vec<Diagnostic>> {
    let tree = match Tree::new(text) {
        Ok(t) => t,
        Err(e) => return fallback(file, text, Some(e)),
    };
    let mut cx = Ctx {
        file,
        tree,
        index: LineIndex::new(text),
        options: ron_options(),
        explicit_names: false,
        diags: Vec::new(),
        spans: Spans::default(),
        partial: Partial::default(),
    };
    let n = cx.tree.toks.len();

    // Leading `#![enable(...)]` attributes: ron applies them to the whole file, we to each piece.
    let mut i = 0;
    let mut ext = Extensions::IMPLICIT_SOME;
    while i + 1 < n
        && cx.tree.tok_text(i) == "#!"
        && cx.tree.toks[i + 1].kind == TokKind::Open(b'[')
    {
        match attribute_extensions(&cx.tree, i + 1) {
            Some(e) => ext |= e,
            None => return fallback(file, text, None),
        }
        i = cx.tree.close_of(i + 1) + 1;
    }
    cx.options = cx.options.with_default_extension(ext);
    cx.explicit_names = ext.contains(Extensions::EXPLICIT_STRUCT_NAMES);

    // The top-level struct, possibly followed by trailing garbage.
    let (name, open) = if i < n && cx.tree.toks[i].kind == TokKind::Open(b'(') {
        (None, i)
    } else if i + 1 < n
        && cx.tree.toks[i].kind == TokKind::Ident
        && cx.tree.toks[i + 1].kind == TokKind::Open(b'(')
    {
        (Some(i), i + 1)
    } else {
        return fallback(file, text, None);
    };
    let close = cx.tree.close_of(open);
    if close + 1 < n {
        let at = cx.tok_pos(close + 1);
        cx.error(
            at,
            "unexpected text after the end of the scenario (the top-level `)` is closed above)",
        );
    }
    let root_pos = cx.tok_pos(i);
    cx.check_struct_name(name, open, "ScenarioSpec");

    cx.spans.root = root_pos;

    let fields = cx.fields(
        open,
        root_pos,
        TOP_FIELDS,
        &["title", "fabric"],
        "ScenarioSpec",
    );

    let title = cx.de_field::<String>(&fields, "title");
    let description = cx.de_field::<String>(&fields, "description");
    let seed = cx.de_field::<u64>(&fields, "seed");
    let limits = cx.de_field::<LimitsSpec>(&fields, "limits");
    let fabric = match fields.get("fabric") {
        Some(r) => cx.de_fabric(r),
        None => {
            cx.partial.nodes = true;
            cx.partial.links = true;
            FabricSpec::default()
        }
    };
    let images = cx.de_list_field::<ImageSpec>(&fields, "images", "images", |_, _| {});
    let (steps, _) =
        cx.de_list_field::<StepSpec>(&fields, "steps", "steps", Ctx::check_step_fields);

    Ok(Parsed {
        spec: ScenarioSpec {
            title: title.flatten().unwrap_or_default(),
            description: description.flatten().unwrap_or_default(),
            seed: seed.flatten().unwrap_or_else(default_seed),
            limits: limits.flatten().unwrap_or_default(),
            fabric,
            images: images.0,
            steps,
        },
        spans: cx.spans,
        partial: cx.partial,
        diags: cx.diags,
    })
}

/// Extensions named by one `#![enable(a, b)]` attribute (`open` is the `[`), or `None` if the
/// attribute is not of that simple form (then ron on the whole file explains what is wrong).
fn attribute_extensions(tree: &Tree, open: usize) -> Option<Extensions> {
    let items = tree.items(open);
    let [item] = items.as_slice() else {
        return None;
    };
    let Shape::Struct {
        name: Some(name),
        open: inner,
    } = tree.shape(&item.all)
    else {
        return None;
    };
    if item.key.is_some() || tree.tok_text(name) != "enable" {
        return None;
    }
    let mut ext = Extensions::empty();
    for it in tree.items(inner) {
        if it.all.len() != 1 || tree.toks[it.all.start].kind != TokKind::Ident {
            return None;
        }
        ext |= Extensions::from_ident(tree.tok_text(it.all.start))?;
    }
    Some(ext)
}

/// The scanner could not split the text: let ron explain the first problem.
fn fallback(file: &str, text: &str, scan: Option<ScanError>) -> Result<Parsed, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    if let Some(e) = &scan {
        diags.push(Diagnostic::new(file, pos_in(text, e.offset), &e.message));
    }
    match ron_options().from_str::<ScenarioSpec>(text) {
        Ok(spec) if scan.is_none() => Ok(Parsed {
            spec,
            spans: Spans::default(),
            partial: Partial::default(),
            diags: Vec::new(),
        }),
        Ok(_) => Err(diags),
        Err(e) => {
            // Ron stops at the same bracket or comment with vaguer words ("Expected identifier"),
            // or later still; only a problem it finds before the scanner's is news.
            let d = ron_diag(file, &e, Pos::START);
            let scanned = scan.map(|e| pos_in(text, e.offset));
            if scanned.is_none_or(|at| {
                Pos {
                    line: d.line,
                    col: d.column,
                } < at
            }) {
                diags.push(d);
            }
            Err(diags)
        }
    }
}

/// A diagnostic from a ron error in a slice that starts at `base`.
pub fn ron_diag(file: &str, e: &ron::error::SpannedError, base: Pos) -> Diagnostic {
    let pos = Pos {
        line: e.span.start.line,
        col: e.span.start.col,
    }
    .offset_by(base);
    let in_outer = |outer: &Option<String>| match outer {
        Some(o) => format!(" in `{o}`"),
        None => String::new(),
    };
    // Ron's wording for the common cases, made consistent with the splitter's.
    let (message, help) = match &e.code {
        ron::Error::NoSuchStructField {
            expected,
            found,
            outer,
        } => (
            format!(
                "unknown field `{found}`{}, expected one of {}",
                in_outer(outer),
                one_of(expected)
            ),
            did_you_mean(found, expected),
        ),
        ron::Error::NoSuchEnumVariant {
            expected,
            found,
            outer,
        } => (
            format!(
                "unknown variant `{found}`{}, expected one of {}",
                in_outer(outer),
                one_of(expected)
            ),
            did_you_mean(found, expected),
        ),
        ron::Error::MissingStructField { field, outer } => {
            (format!("missing field `{field}`{}", in_outer(outer)), None)
        }
        ron::Error::DuplicateStructField { field, outer } => (
            format!("duplicate field `{field}`{}", in_outer(outer)),
            None,
        ),
        code if code.to_string().contains("untagged enum HostOs") => (
            format!("unknown `os`, expected one of {HOST_OS_NAMES}"),
            None,
        ),
        code => (code.to_string(), None),
    };
    Diagnostic::new(file, pos, message).with_help(help)
}

/// What a host's `os` takes, in words (ron can only say that no variant of it matched).
const HOST_OS_NAMES: &str = "`WindowsServer2016`, `WindowsServer2019`, `WindowsServer2022`, \
    `WindowsServer2025`, `Linux(engine: V20_10)`, `Linux(engine: V27)`, `Linux(engine: V28)`, \
    `Linux(engine: V29)`";

/// Whether ron's message says what it wanted without naming the value it wanted it for
/// ("Expected string", "Integer is out of bounds").
fn names_no_field(e: &ron::Error) -> bool {
    use ron::Error as E;
    matches!(
        e,
        E::ExpectedBoolean
            | E::ExpectedInteger
            | E::ExpectedFloat
            | E::ExpectedString
            | E::ExpectedStringEnd
            | E::ExpectedChar
            | E::ExpectedArray
            | E::ExpectedOption
            | E::ExpectedUnit
            | E::ExpectedMap
            | E::IntegerOutOfBounds
            | E::InvalidEscape(_)
            | E::InvalidValueForType { .. }
    ) || matches!(e, E::ExpectedStructLike | E::ExpectedNamedStructLike(_))
}

/// "0 to N" when `T` is an unsigned integer type (the scalar fields of a scenario).
fn unsigned_range<T>() -> Option<String> {
    let max = match std::any::type_name::<T>() {
        "u8" => u64::from(u8::MAX),
        "u16" => u64::from(u16::MAX),
        "u32" => u64::from(u32::MAX),
        "u64" => u64::MAX,
        _ => return None,
    };
    Some(format!("0 to {max}"))
}

/// Records the position of every value under `r` (token range) by path. `path` is the path of
/// `r`; it is extended for what `r` holds and given back as it came.
fn record_spans(
    tree: &Tree,
    index: &LineIndex,
    r: &Range<usize>,
    path: &mut String,
    depth: usize,
    out: &mut FxHashMap<String, Pos>,
) {
    if r.is_empty() || depth > MAX_SPAN_DEPTH {
        return;
    }
    if !out.contains_key(path.as_str()) {
        out.insert(path.clone(), index.pos(tree.toks[r.start].start));
    }
    let open = match tree.shape(r) {
        // `Some(x)` is the optional field's value `x`: what `x` holds keeps the field's path.
        Shape::Struct {
            name: Some(name),
            open,
        } if tree.ident_name(name) == "Some" => {
            if let [item] = tree.items(open).as_slice() {
                if item.key.is_none() {
                    let inner = &item.all;
                    if matches!(tree.shape(inner), Shape::Struct { name: None, .. }) {
                        record_spans(tree, index, inner, path, depth + 1, out);
                        return;
                    }
                }
            }
            open
        }
        Shape::Struct { open, .. } | Shape::List { open } => open,
        Shape::Other => return,
    };
    let parent_len = path.len();
    for (k, item) in tree.items(open).iter().enumerate() {
        match item.key {
            Some(key) if tree.toks[open].kind == TokKind::Open(b'(') => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(tree.ident_name(key));
                record_spans(tree, index, &item.value, path, depth + 1, out);
            }
            _ => {
                let _ = write!(path, "[{k}]");
                record_spans(tree, index, &item.all, path, depth + 1, out);
            }
        }
        path.truncate(parent_len);
    }
}

impl<'a> Ctx<'a> {
    fn tok_pos(&self, i: usize) -> Pos {
        self.index.pos(self.tree.toks[i].start)
    }

    /// What the value at `pos` is for, in words: "the field `seed`" when a `seed:` stands
    /// before it, "`Tcp(..)`" inside a `Tcp(`.
    fn value_named_at(&self, pos: Pos) -> Option<String> {
        let toks = &self.tree.toks;
        // The token that holds `pos` (ron may point inside it, after a sign), and the one before.
        let holding = toks.partition_point(|t| self.index.pos(t.start) <= pos);
        let before = holding.checked_sub(2)?;
        let name = before
            .checked_sub(1)
            .map(|n| (toks[n].kind, self.tree.ident_name(n)));
        match (toks[before].kind, name) {
            (TokKind::Colon, Some((TokKind::Ident, n))) => Some(format!("the field `{n}`")),
            (TokKind::Open(b'('), Some((TokKind::Ident, n))) => Some(format!("`{n}(..)`")),
            _ => None,
        }
    }

    fn error(&mut self, pos: Pos, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(self.file, pos, msg));
    }

    fn check_struct_name(&mut self, name: Option<usize>, open: usize, expected: &str) {
        match name {
            Some(n) if self.tree.tok_text(n) != expected => {
                let found = self.tree.tok_text(n).to_string();
                let pos = self.tok_pos(n);
                self.error(
                    pos,
                    format!("expected struct `{expected}`, found `{found}`"),
                );
            }
            None if self.explicit_names => {
                let pos = self.tok_pos(open);
                self.error(
                    pos,
                    format!("expected the struct name `{expected}` before `(` (explicit_struct_names is enabled)"),
                );
            }
            _ => {}
        }
    }

    /// Splits the struct opened at token `open` into `field: value` pieces, reporting unknown,
    /// duplicate, malformed and missing fields. Returns the value token range of each field.
    fn fields(
        &mut self,
        open: usize,
        struct_pos: Pos,
        known: &[&'static str],
        required: &[&str],
        struct_name: &str,
    ) -> HashMap<&'static str, Range<usize>> {
        let mut out: HashMap<&'static str, Range<usize>> = HashMap::new();
        for item in self.tree.items(open) {
            let Some(f) = self.field_item(&item, known, struct_name) else {
                continue;
            };
            if out.contains_key(f) {
                let pos = self.tok_pos(item.all.start);
                self.error(pos, format!("duplicate field `{f}`"));
                continue;
            }
            out.insert(f, item.value.clone());
        }
        for r in required {
            if !out.contains_key(r) {
                self.error(
                    struct_pos,
                    format!("missing field `{r}` in `{struct_name}`"),
                );
            }
        }
        out
    }

    /// Checks one `key: value` item; returns the known field name if it is well formed.
    fn field_item(
        &mut self,
        item: &Item,
        known: &[&'static str],
        struct_name: &str,
    ) -> Option<&'static str> {
        let start = item.all.start;
        if item.missing_comma_before {
            let prev = self.index.pos(self.tree.toks[start - 1].end);
            let name = self.tree.tok_text(start).to_string();
            self.error(prev, format!("expected `,` before the field `{name}`"));
        }
        let Some(key) = item.key else {
            let pos = self.tok_pos(start);
            if item.all.is_empty() {
                self.error(
                    pos,
                    format!("expected a field of `{struct_name}`, found `,`"),
                );
            } else if self.tree.toks[start].kind == TokKind::Ident {
                let name = self.tree.tok_text(start).to_string();
                let pos = if item.all.len() > 1 {
                    self.tok_pos(start + 1)
                } else {
                    self.index.pos(self.tree.toks[start].end)
                };
                self.error(pos, format!("expected `:` after the field name `{name}`"));
            } else {
                let found = self.tree.tok_text(start).to_string();
                self.error(
                    pos,
                    format!("expected a field name (`name: value`), found `{found}`"),
                );
            }
            return None;
        };
        let name = self.tree.ident_name(key);
        let Some(f) = known.iter().copied().find(|k| *k == name) else {
            let pos = self.tok_pos(key);
            let d = Diagnostic::new(
                self.file,
                pos,
                format!(
                    "unknown field `{name}` in `{struct_name}`, expected one of {}",
                    one_of(known)
                ),
            )
            .with_help(did_you_mean(name, known));
            self.diags.push(d);
            return None;
        };
        if item.value.is_empty() {
            let pos = self.index.pos(self.tree.toks[key + 1].end);
            self.error(pos, format!("expected a value for the field `{f}`"));
            return None;
        }
        Some(f)
    }

    /// Deserializes the tokens `r` as a `T` with ron; on success records the positions of
    /// what it holds under `path`.
    fn de<T: DeserializeOwned>(&mut self, r: &Range<usize>, path: &str) -> Option<T> {
        let span = self.tree.span(r, 0);
        let base = self.index.pos(span.start);
        match self.options.from_str::<T>(&self.tree.text[span]) {
            Ok(v) => {
                record_spans(
                    &self.tree,
                    &self.index,
                    r,
                    &mut path.to_string(),
                    0,
                    &mut self.spans.positions,
                );
                Some(v)
            }
            Err(e) => {
                let mut d = ron_diag(self.file, &e, base);
                if names_no_field(&e.code) {
                    if let Some(what) = self.value_named_at(Pos {
                        line: d.line,
                        col: d.column,
                    }) {
                        d.message = format!("{} for {what}", d.message);
                    }
                }
                if let Some(range) = unsigned_range::<T>() {
                    // ron reads `1.5` as `1` followed by stray text; say what the field takes.
                    if r.len() == 1 && self.tree.toks[r.start].kind == TokKind::Word {
                        let found = self.tree.tok_text(r.start);
                        d = Diagnostic::new(
                            self.file,
                            base,
                            format!("`{path}` takes a whole number from {range}, found `{found}`"),
                        );
                    }
                }
                self.diags.push(d);
                None
            }
        }
    }

    /// `None`: field absent (use the default). `Some(None)`: present but erroneous.
    fn de_field<T: DeserializeOwned>(
        &mut self,
        fields: &HashMap<&'static str, Range<usize>>,
        name: &str,
    ) -> Option<Option<T>> {
        fields.get(name).map(|r| self.de::<T>(r, name))
    }

    /// Deserializes a list element by element; returns the elements that parsed and whether
    /// all did. `check` sees each element's tokens.
    fn de_list<T: DeserializeOwned>(
        &mut self,
        r: &Range<usize>,
        path: &str,
        check: fn(&mut Ctx<'a>, &Range<usize>),
    ) -> (Vec<T>, bool) {
        let Shape::List { open } = self.tree.shape(r) else {
            return match self.de::<Vec<T>>(r, path) {
                Some(v) => (v, true),
                None => (Vec::new(), false),
            };
        };
        self.record(r, path);
        let mut out = Vec::new();
        let mut ok = true;
        for item in self.tree.items(open) {
            if item.all.is_empty() {
                let pos = self.tok_pos(item.all.start);
                self.error(pos, "expected a list element, found `,`");
                ok = false;
                continue;
            }
            check(self, &item.all);
            match self.de::<T>(&item.all, &format!("{path}[{}]", out.len())) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        (out, ok)
    }

    fn de_list_field<T: DeserializeOwned>(
        &mut self,
        fields: &HashMap<&'static str, Range<usize>>,
        name: &str,
        path: &str,
        check: fn(&mut Ctx<'a>, &Range<usize>),
    ) -> (Vec<T>, bool) {
        match fields.get(name) {
            None => (Vec::new(), true),
            Some(r) => self.de_list::<T>(r, path, check),
        }
    }

    /// Records the position of the value `r` itself (not of what it holds) at `path`.
    fn record(&mut self, r: &Range<usize>, path: &str) {
        if !r.is_empty() {
            let pos = self.tok_pos(r.start);
            self.spans.positions.entry(path.to_string()).or_insert(pos);
        }
    }

    fn de_fabric(&mut self, r: &Range<usize>) -> FabricSpec {
        let Shape::Struct { name, open } = self.tree.shape(r) else {
            return self.de::<FabricSpec>(r, "fabric").unwrap_or_else(|| {
                self.partial.nodes = true;
                self.partial.links = true;
                FabricSpec::default()
            });
        };
        self.record(r, "fabric");
        self.check_struct_name(name, open, "FabricSpec");
        let pos = self.tok_pos(r.start);
        let before = self.diags.len();
        let f = self.fields(open, pos, FABRIC_FIELDS, &[], "FabricSpec");
        // A fabric field that is unknown or malformed may be a list that is now missing.
        let fabric_errors = self.diags.len() > before;
        let none = |_: &mut Ctx<'a>, _: &Range<usize>| {};
        let switches = self.de_list_field::<SwitchSpec>(&f, "switches", "fabric.switches", none);
        let routers = self.de_list_field::<RouterSpec>(&f, "routers", "fabric.routers", none);
        let externals =
            self.de_list_field::<ExternalSpec>(&f, "externals", "fabric.externals", none);
        let hosts = self.de_list_field::<HostSpec>(&f, "hosts", "fabric.hosts", none);
        let links = self.de_list_field::<LinkSpec>(&f, "links", "fabric.links", none);
        self.partial.nodes |= !(switches.1 && routers.1 && externals.1 && hosts.1) || fabric_errors;
        self.partial.links |= !links.1 || fabric_errors;
        FabricSpec {
            switches: switches.0,
            routers: routers.0,
            externals: externals.0,
            hosts: hosts.0,
            links: links.0,
        }
    }

    /// `StepSpec` struct variants ignore unknown fields in serde; report them here, in the
    /// step an `At` schedules too.
    fn check_step_fields(&mut self, r: &Range<usize>) {
        self.check_step_fields_at_depth(r, 0);
    }

    fn check_step_fields_at_depth(&mut self, r: &Range<usize>, depth: usize) {
        if depth > MAX_SPAN_DEPTH {
            return;
        }
        let Shape::Struct {
            name: Some(name),
            open,
        } = self.tree.shape(r)
        else {
            return;
        };
        let variant = self.tree.ident_name(name);
        let Some((_, known)) = STEP_VARIANT_FIELDS.iter().find(|(v, _)| *v == variant) else {
            return;
        };
        for item in self.tree.items(open) {
            let Some(key) = item.key else { continue };
            let field = self.tree.ident_name(key);
            if variant == "At" && field == "do" {
                self.check_step_fields_at_depth(&item.value, depth + 1);
            }
            if !known.contains(&field) {
                let pos = self.tok_pos(key);
                let d = Diagnostic::new(
                    self.file,
                    pos,
                    format!(
                        "unknown field `{field}` in step `{variant}`, expected one of {}",
                        one_of(known)
                    ),
                )
                .with_help(did_you_mean(field, known));
                self.diags.push(d);
            }
        }
    }
}
