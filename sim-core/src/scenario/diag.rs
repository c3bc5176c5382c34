//! Diagnostics: what the user sees when a scenario file is wrong.
//!
//! Lines and columns are 1-based and count characters (not bytes), exactly as `ron` counts
//! them, so a position from the splitter and a position from `ron` agree.

use std::fmt;

/// One problem in a scenario file, positioned at `file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// An optional hint printed on a second line as `help: ...`.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(file: &str, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_string(),
            line: pos.line,
            column: pos.col,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: error: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Renders diagnostics one after the other, one per line (plus their help lines).
pub fn render(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    out
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

/// Turns byte offsets of a text into line:column positions.
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, line_starts }
    }

    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let col = 1 + self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        Pos { line, col }
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

/// "did you mean `x`?" when exactly one best candidate is within edit distance 2.
pub fn did_you_mean(found: &str, candidates: &[&str]) -> Option<String> {
    let best = candidates
        .iter()
        .map(|c| (levenshtein(found, c), *c))
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
