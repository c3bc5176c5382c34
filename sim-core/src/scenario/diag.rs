//! Diagnostics: what the user sees when a scenario file is wrong.
//!
//! Lines and columns are 1-based and count characters (not bytes), exactly as `ron` counts
//! them, so a position from the splitter and a position from `ron` agree.
//!
//! Rendering is `annotate-snippets`' plain renderer (never ANSI colours, so the text is the same
//! on a terminal, in a pipe and in a snapshot). A diagnostic reads:
//!
//! ```text
//! t.ron:4:5: error: unknown field `sede` in `ScenarioSpec`, expected one of ...
//!   |
//! 4 |     sede: 7,
//!   |     ^^^^
//!   |
//!   = help: did you mean `seed`?
//! ```
//!
//! The first line keeps the `file:line:column: error: message` form that `grep`, CI and editors
//! look for: the position stands before the level, where gcc and rustc's short format put it.
//! A diagnostic holds a position, not a span, so the underline covers the token that starts
//! there: a string literal, a constructor such as `Some(..)` or a step, a word or a number, or
//! else one character.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::ops::{Deref, Range};
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// One problem in a scenario file, positioned at `file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// An optional hint, rendered as a `help:` footer.
    pub help: Option<String>,
    /// The text of line `line` (without its line ending) when the source was at hand: it is
    /// shown under the message with the position underlined.
    pub source_line: Option<SourceLine>,
}

/// The text of a line that diagnostics point into. Every diagnostic on one line shares it, and
/// whether it is plain (see [`is_plain`]) is worked out once: a one-line file with thousands of
/// problems copied and scanned the whole line for each of them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceLine {
    text: Arc<str>,
    plain: bool,
}

impl SourceLine {
    pub fn new(text: &str) -> SourceLine {
        SourceLine {
            plain: is_plain(text),
            text: Arc::from(text),
        }
    }

    /// Whether every character of the line is printable ASCII: a column is then a byte.
    pub fn is_plain(&self) -> bool {
        self.plain
    }
}

impl Deref for SourceLine {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl Diagnostic {
    pub fn new(file: &str, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_string(),
            line: pos.line,
            column: pos.col,
            message: message.into(),
            help: None,
            source_line: None,
        }
    }

    pub fn with_help(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }
}

/// Gives each diagnostic the text of its line in `text`, the file it points into; the
/// diagnostics on one line share it.
pub fn attach_source(diags: &mut [Diagnostic], text: &str) {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut shared: Vec<Option<SourceLine>> = vec![None; lines.len()];
    for d in diags {
        d.source_line = d.line.checked_sub(1).and_then(|i| {
            let line = lines.get(i)?;
            let slot = &mut shared[i];
            Some(
                slot.get_or_insert_with(|| {
                    SourceLine::new(line.strip_suffix('\r').unwrap_or(line))
                })
                .clone(),
            )
        });
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.write_plain(f) {
            Some(written) => written,
            None => self.write_annotated(f),
        }
    }
}

/// annotate-snippets' terminal width (`DEFAULT_TERM_WIDTH`): a longer line is cut around its
/// underline.
const TERM_WIDTH: usize = 140;

/// The part of a plain `line` that annotate-snippets shows when it underlines `span` with a
/// line number of `number_len` digits in the gutter: the first column shown, and the text
/// (with `...` where it was cut). This is annotate-snippets' `Margin` (itself rustc's) for a
/// single one-line annotation without a label, where a column is a byte. `None` when the
/// window would be too narrow to lay out this simply.
fn window<'a>(
    line: &'a str,
    span: &Range<usize>,
    number_len: usize,
) -> Option<(usize, Cow<'a, str>)> {
    // Room for `...`, and how much indentation is trimmed (annotate-snippets' constants).
    const ELLIPSIS_PASSING: usize = 6;
    const LONG_WHITESPACE: usize = 20;
    const LONG_WHITESPACE_PADDING: usize = 4;
    const ELLIPSIS: &str = "...";
    let len = line.len();
    let width = TERM_WIDTH.saturating_sub(3 + number_len);
    let indent = match line.trim_start_matches(' ') {
        "" => 0,
        rest => len - rest.len(),
    };
    let (start, end) = (span.start, span.end.max(span.start + 1));
    let whitespace_left = indent.min(start).saturating_sub(ELLIPSIS_PASSING);
    let span_left = start.saturating_sub(ELLIPSIS_PASSING);
    let span_right = end + ELLIPSIS_PASSING;
    let mut cut_left = if whitespace_left > LONG_WHITESPACE {
        whitespace_left - (LONG_WHITESPACE - LONG_WHITESPACE_PADDING)
    } else {
        0
    };
    let mut cut_right = len.max(cut_left);
    if cut_right - cut_left > width {
        if span_right.saturating_sub(whitespace_left) <= width && span_right >= whitespace_left {
            cut_left = whitespace_left;
        } else if span_right - span_left <= width {
            cut_left = span_left.saturating_sub((width - (span_right - span_left)) / 2);
        } else {
            return None;
        }
        cut_right = cut_left + width;
    }
    let left = cut_left.min(len);
    let right = match len.saturating_sub(cut_left) <= width {
        true => len,
        false => len.min(cut_right),
    };
    if start < left || right < left + 2 * ELLIPSIS.len() {
        return None;
    }
    if cut_left == 0 && right == len {
        return Some((0, Cow::Borrowed(line)));
    }
    let mut shown = line[left..right].to_string();
    if cut_left > 0 {
        shown.replace_range(..ELLIPSIS.len(), ELLIPSIS);
    }
    if len > right {
        shown.replace_range(shown.len() - ELLIPSIS.len().., ELLIPSIS);
    }
    Some((left, Cow::Owned(shown)))
}

/// Text that every terminal shows one column per byte, as annotate-snippets passes it through:
/// printable ASCII, no tab, no control character.
fn is_plain(s: &str) -> bool {
    s.bytes().all(|b| (b' '..=b'~').contains(&b))
}

impl Diagnostic {
    /// Writes the diagnostic exactly as annotate-snippets lays it out when every text in it is
    /// plain (see [`is_plain`]), cutting a long line as it does (see [`window`]); `None` (having
    /// written nothing) otherwise. annotate-snippets lays a diagnostic out on a grid of styled
    /// characters, which costs more than loading a small file, and a fuzzed file has dozens of
    /// diagnostics. The test `the_plain_layout_is_annotate_snippets_layout` checks the two agree.
    fn write_plain(&self, out: &mut impl fmt::Write) -> Option<fmt::Result> {
        let help_plain = self
            .help
            .as_deref()
            .is_none_or(|h| !h.is_empty() && is_plain(h));
        if self.message.is_empty()
            || !is_plain(&self.file)
            || !is_plain(&self.message)
            || !help_plain
        {
            return None;
        }
        let (file, line_no, column, message) = (&self.file, self.line, self.column, &self.message);
        let Some(line) = &self.source_line else {
            return self
                .help
                .is_none()
                .then(|| write!(out, "{file}:{line_no}:{column}: error: {message}"));
        };
        if line.is_empty() || !line.is_plain() {
            return None;
        }
        let span = plain_underline(line, column);
        let number = line_no.to_string();
        let (left, shown) = window(line, &span, number.len())?;
        let pad = " ".repeat(number.len());
        let under = " ".repeat(span.start - left);
        let carets = "^".repeat(span.len().max(1));
        let mut write = || {
            write!(
                out,
                "{file}:{line_no}:{column}: error: {message}\n{pad} |\n"
            )?;
            write!(out, "{number} | {shown}\n{pad} | {under}{carets}")?;
            match &self.help {
                Some(help) => write!(out, "\n{pad} |\n{pad} = help: {help}"),
                None => Ok(()),
            }
        };
        Some(write())
    }

    /// Writes the diagnostic through annotate-snippets' plain renderer.
    fn write_annotated(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = format!("{}:{}:{}: error", self.file, self.line, self.column);
        let title = Level::ERROR
            .with_name(name.as_str())
            .primary_title(self.message.as_str());
        let mut group = Group::with_title(title);
        if let Some(line) = &self.source_line {
            let (shown, span) = underline(line, self.column);
            group = group.element(
                Snippet::source(shown)
                    .line_start(self.line)
                    .annotation(AnnotationKind::Primary.span(span)),
            );
        }
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        f.write_str(&Renderer::plain().render(&[group]))
    }
}

/// Renders diagnostics one after the other, a blank line between two.
pub fn render(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{d}");
    }
    out
}

/// How U+FEFF (a byte-order mark, or a zero-width no-break space) is shown: it is invisible, and
/// ron rejects it, so a position at it must point at something.
const FEFF_SHOWN: &str = "<U+FEFF>";

/// [`underline`] on a plain line, where a column is a byte and nothing is shown differently:
/// without counting the characters before the column.
fn plain_underline(line: &str, column: usize) -> Range<usize> {
    debug_assert!(is_plain(line));
    let start = column.saturating_sub(1).min(line.len());
    start..start + token_len(&line[start..])
}

/// The line as shown and the byte range to underline in it: the token that starts at the
/// 1-based character `column`, clamped to the line (a position past its end underlines the end
/// of the line). Always on character boundaries, never out of range: `annotate-snippets`
/// panics on a range past the end of its source.
fn underline(line: &str, column: usize) -> (Cow<'_, str>, Range<usize>) {
    let shown_len = |c: char| match c {
        '\u{feff}' => FEFF_SHOWN.len(),
        c => c.len_utf8(),
    };
    let shown = match line.contains('\u{feff}') {
        true => Cow::Owned(line.replace('\u{feff}', FEFF_SHOWN)),
        false => Cow::Borrowed(line),
    };
    let before = column.saturating_sub(1);
    let start: usize = line.chars().take(before).map(shown_len).sum();
    let len = match line.chars().nth(before) {
        Some(c @ '\u{feff}') => shown_len(c),
        _ => token_len(&shown[start..]),
    };
    (shown, start..start + len)
}

/// The length in bytes of the token at the start of `rest`: a string literal up to its closing
/// quote (or the end of the line); a constructor (`Some(..)`, a step `Probe(..)`) through its
/// closing parenthesis when that is on the line; a word or a number (with its sign); or else
/// one character.
fn token_len(rest: &str) -> usize {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    let Some(first) = rest.chars().next() else {
        return 0;
    };
    if first == '"' {
        return string_len(rest).unwrap_or(rest.len());
    }
    let after_first = &rest[first.len_utf8()..];
    let signed = matches!(first, '-' | '+') && after_first.starts_with(is_word);
    if !is_word(first) && !signed {
        return first.len_utf8();
    }
    let word = rest.len() - after_first.len()
        + after_first
            .find(|c: char| !is_word(c))
            .unwrap_or(after_first.len());
    if rest[word..].starts_with('(') {
        if let Some(group) = group_len(&rest[word..]) {
            return word + group;
        }
    }
    word
}

/// The length in bytes of the string literal at the start of `rest`, if it closes on the line.
fn string_len(rest: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The length in bytes of the bracketed group at the start of `rest`, if it closes on the line.
fn group_len(rest: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(c) = rest[i..].chars().next() {
        match c {
            '"' => {
                i += string_len(&rest[i..])?;
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += c.len_utf8();
    }
    None
}

/// A 1-based line and column (in characters), as `ron` counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Default for Pos {
    fn default() -> Pos {
        Pos::START
    }
}

impl Pos {
    pub const START: Pos = Pos { line: 1, col: 1 };

    /// Maps a position reported by `ron` inside a slice that starts at `base` in the file.
    pub fn offset_by(self, base: Pos) -> Pos {
        if self.line <= 1 {
            Pos {
                line: base.line,
                col: base.col + self.col.saturating_sub(1),
            }
        } else {
            Pos {
                line: base.line + self.line - 1,
                col: self.col,
            }
        }
    }
}

/// Turns byte offsets of a text into line:column positions in O(log n) each: the starts of the
/// lines and the places of the multi-byte characters are indexed once, so that a position on a
/// very long line (a whole scenario written on one line) is not found by counting its characters.
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    /// For each character of more than one byte, in order: its byte offset and the bytes beyond
    /// one per character up to and including it (a running sum).
    wide_chars: Vec<(usize, usize)>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut extra = 0;
        // An ASCII text (most are) has none: `is_ascii` reads it a word at a time.
        let wide_chars = match text.is_ascii() {
            true => Vec::new(),
            false => text
                .char_indices()
                .filter(|(_, c)| c.len_utf8() > 1)
                .map(|(i, c)| {
                    extra += c.len_utf8() - 1;
                    (i, extra)
                })
                .collect(),
        };
        LineIndex {
            text,
            line_starts,
            wide_chars,
        }
    }

    /// The bytes beyond one per character in the characters that start before `offset`.
    fn extra_before(&self, offset: usize) -> usize {
        match self.wide_chars.partition_point(|&(i, _)| i < offset) {
            0 => 0,
            n => self.wide_chars[n - 1].1,
        }
    }

    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let chars = (offset - start) - (self.extra_before(offset) - self.extra_before(start));
        Pos {
            line,
            col: 1 + chars,
        }
    }
}

/// The line:column of one byte offset of `text`, as [`LineIndex::pos`] gives it, without indexing
/// the whole text (for the one or two positions a caller needs).
pub fn pos_in(text: &str, offset: usize) -> Pos {
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return LineIndex::new(text).pos(offset);
    }
    let before = &text[..offset];
    let (line, start) = match before.rfind('\n') {
        Some(nl) => (2 + before[..nl].matches('\n').count(), nl + 1),
        None => (1, 0),
    };
    Pos {
        line,
        col: 1 + before[start..].chars().count(),
    }
}

/// Edit distance between two strings (in characters).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Edit distance where swapping two neighbouring characters counts as one edit (optimal
/// string alignment): `wbe` is one edit from `web`, as a typist would see it.
pub fn typo_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j - 1] + cost)
                .min(d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// "did you mean `x`?" for the nearest candidate within 2 edits (a swap of two neighbouring
/// characters is one edit); on a tie, the first by name.
pub fn did_you_mean(found: &str, candidates: &[&str]) -> Option<String> {
    let best = candidates
        .iter()
        .map(|c| (typo_distance(found, c), *c))
        .filter(|(d, _)| *d <= 2)
        .min()?;
    Some(format!("did you mean `{}`?", best.1))
}

/// "`a`, `b`, `c`" for messages.
pub fn one_of(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn at(line: &str, column: usize) -> Diagnostic {
        let mut d = Diagnostic::new(
            "f.ron",
            Pos {
                line: 3,
                col: column,
            },
            "bad",
        );
        d.source_line = Some(SourceLine::new(line));
        d
    }

    /// The underlined text of `line` at `column`.
    fn underlined(line: &str, column: usize) -> String {
        let (shown, span) = underline(line, column);
        shown[span].to_string()
    }

    #[test]
    fn the_underline_covers_the_token_at_the_position() {
        let line = r#"    (a: "h2.eth0", b: "r1.lan", latency: 20, ms: -1.5),"#;
        assert_eq!(underlined(line, 5), "(");
        assert_eq!(underlined(line, 6), "a");
        assert_eq!(underlined(line, 9), r#""h2.eth0""#);
        assert_eq!(underlined(line, 33), "latency");
        assert_eq!(underlined(line, 42), "20");
        assert_eq!(underlined(line, 50), "-1.5");
        assert_eq!(underlined(r#"x: "a \"b\" c", y"#, 4), r#""a \"b\" c""#);
        assert_eq!(underlined(r#"x: "unterminated"#, 4), r#""unterminated"#);
    }

    #[test]
    fn a_constructor_is_underlined_through_its_parenthesis_on_the_same_line() {
        let line = r#"gateway: Some("1.2.3.4"), do: At(ms: 1, do: Reboot(host: ")")))"#;
        assert_eq!(underlined(line, 10), r#"Some("1.2.3.4")"#);
        assert_eq!(underlined(line, 31), r#"At(ms: 1, do: Reboot(host: ")"))"#);
        assert_eq!(underlined("    At(", 5), "At");
        assert_eq!(underlined(r#"Some("x)"#, 1), "Some");
    }

    #[test]
    fn positions_off_the_line_underline_its_end() {
        assert_eq!(underline("abc", 4), ("abc".into(), 3..3));
        assert_eq!(underline("abc", 99), ("abc".into(), 3..3));
        assert_eq!(underline("", 1), ("".into(), 0..0));
        assert_eq!(underline("abc", 0), ("abc".into(), 0..3));
    }

    #[test]
    fn columns_count_characters_and_a_byte_order_mark_is_shown() {
        assert_eq!(underlined("é: \"ü\"", 4), "\"ü\"");
        assert_eq!(underlined("\u{feff}(a: 1)", 1), "<U+FEFF>");
        assert_eq!(underlined("\u{feff}(a: 1)", 3), "a");
        assert_eq!(underlined("x\u{feff}\u{feff}", 3), "<U+FEFF>");
        assert_eq!(underline("\u{feff}", 2).1, 8..8);
    }

    #[test]
    fn a_diagnostic_shows_its_line_the_underline_and_the_help() {
        let d = at("    sede: 7,", 5).with_help(Some("did you mean `seed`?".into()));
        assert_eq!(
            d.to_string(),
            "f.ron:3:5: error: bad\n  |\n3 |     sede: 7,\n  |     ^^^^\n  |\n  = help: did you mean `seed`?"
        );
    }

    #[test]
    fn without_its_source_a_diagnostic_is_one_line() {
        let d = Diagnostic::new("f.ron", Pos::START, "cannot read");
        assert_eq!(d.to_string(), "f.ron:1:1: error: cannot read");
        assert_eq!(
            render(&[d.clone(), d]),
            "f.ron:1:1: error: cannot read\n\nf.ron:1:1: error: cannot read\n"
        );
    }

    #[test]
    fn tabs_and_control_characters_keep_the_underline_aligned_and_plain() {
        let d = at("\tname:\t\"x\u{1b}[31m\"", 8);
        let shown = d.to_string();
        assert!(!shown.contains('\u{1b}'), "{shown}");
        let lines: Vec<&str> = shown.lines().collect();
        let caret = lines[3].find('^').unwrap();
        assert_eq!(&lines[2][caret..caret + 1], "\"", "{shown}");
    }

    #[test]
    fn a_file_with_a_byte_order_mark_loads_as_without_it() {
        // Editors on Windows write one; ron alone would reject it.
        let with = super::super::load_str("b.ron", "\u{feff}(title: \"t\", fabric: ())")
            .unwrap_or_else(|d| panic!("{}", render(&d)));
        let without = super::super::load_str("b.ron", "(title: \"t\", fabric: ())")
            .unwrap_or_else(|d| panic!("{}", render(&d)));
        assert_eq!(with.spec, without.spec);
    }

    #[test]
    fn line_index_counts_characters_not_bytes() {
        let text = "ab\né€x\n\u{1F600}y";
        let index = LineIndex::new(text);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let line = text[..offset].matches('\n').count() + 1;
            let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let col = text[start..offset].chars().count() + 1;
            assert_eq!(index.pos(offset), Pos { line, col }, "offset {offset}");
            assert_eq!(pos_in(text, offset), Pos { line, col }, "offset {offset}");
        }
    }

    #[test]
    fn attach_source_takes_the_line_without_its_ending() {
        let mut d = vec![
            Diagnostic::new("f", Pos { line: 2, col: 1 }, "m"),
            Diagnostic::new("f", Pos { line: 4, col: 1 }, "past the end"),
        ];
        attach_source(&mut d, "a\r\nb\r\nc");
        assert_eq!(d[0].source_line.as_deref(), Some("b"));
        assert_eq!(d[1].source_line, None);
        // The diagnostics on one line share its text.
        let mut two = [
            Diagnostic::new("f.ron", Pos { line: 1, col: 1 }, "x"),
            Diagnostic::new("f.ron", Pos { line: 1, col: 3 }, "y"),
        ];
        attach_source(&mut two, "a b\n");
        let (a, b) = (two[0].source_line.as_ref(), two[1].source_line.as_ref());
        assert!(Arc::ptr_eq(&a.unwrap().text, &b.unwrap().text));
    }

    /// The diagnostic as [`Diagnostic::write_plain`] lays it out, and as annotate-snippets does.
    fn both_layouts(d: &Diagnostic) -> Option<(String, String)> {
        struct Annotated<'a>(&'a Diagnostic);
        impl fmt::Display for Annotated<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write_annotated(f)
            }
        }
        let mut plain = String::new();
        d.write_plain(&mut plain)?.unwrap();
        Some((plain, Annotated(d).to_string()))
    }

    #[test]
    fn the_plain_layout_covers_the_usual_diagnostics() {
        let d = at("    sede: 7,", 5).with_help(Some("did you mean `seed`?".into()));
        let (plain, annotated) = both_layouts(&d).expect("plain");
        assert_eq!(plain, annotated);
        let d = Diagnostic::new("f.ron", Pos::START, "cannot read");
        let (plain, annotated) = both_layouts(&d).expect("plain");
        assert_eq!(plain, annotated);
        assert!(both_layouts(&at("\tname: 1", 2)).is_none());
        // A long line is cut around its underline; an underline wider than the terminal is
        // left to annotate-snippets.
        let long = format!("{}(a: {}),", " ".repeat(40), "x".repeat(300));
        for column in [1, 41, 44, 346, 400] {
            let (plain, annotated) = both_layouts(&at(&long, column)).expect("plain");
            assert_eq!(plain, annotated);
        }
        assert!(both_layouts(&at(&long, 45)).is_none());
    }

    proptest! {
        #[test]
        fn the_plain_layout_is_annotate_snippets_layout(
            indent in " {0,30}",
            line in "[ -~]{0,150}",
            column in 0usize..170,
            number in prop_oneof![1usize..1000, 1usize..2_000_000_000],
            message in "[ -~]{0,50}",
            help in proptest::option::of("[ -~]{0,50}"),
            source in any::<bool>(),
        ) {
            let mut d = Diagnostic::new("p.ron", Pos { line: number, col: column }, message);
            d.help = help;
            d.source_line = source.then(|| SourceLine::new(&format!("{indent}{line}")));
            if let Some((plain, annotated)) = both_layouts(&d) {
                prop_assert_eq!(plain, annotated);
            }
        }

        #[test]
        fn on_a_plain_line_the_underline_is_found_without_counting_characters(
            line in "[ -~]{0,80}",
            column in 0usize..100,
        ) {
            let (shown, span) = underline(&line, column);
            prop_assert_eq!(&*shown, line.as_str());
            prop_assert_eq!(plain_underline(&line, column), span);
        }

        #[test]
        fn rendering_never_panics(line in "\\PC{0,300}", column in 0usize..320) {
            let d = at(&line, column).with_help(Some(line.clone()));
            prop_assert!(d.to_string().starts_with("f.ron:3:"));
        }

        #[test]
        fn rendering_what_the_loader_reports_never_panics(text in "\u{feff}?[()\\[\\]{},:\"'/*#rb\\\\ \\t\\r\\né\u{3000}a-z0-9_.]{0,80}") {
            if let Err(diags) = super::super::load_str("p.ron", &text) {
                let shown = render(&diags);
                // The first line of each diagnostic, and only that line, starts with the file name.
                let firsts = shown.lines().filter(|l| l.starts_with("p.ron:")).count();
                prop_assert_eq!(firsts, diags.len(), "{}", shown);
            }
        }
    }
}
