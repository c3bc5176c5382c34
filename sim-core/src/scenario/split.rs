//! A small scanner that finds the boundaries in a RON text, so that each field and each list
//! element can be handed to `ron` separately (ron stops at its first error; we want them all).
//!
//! It understands only what it needs to find boundaries: strings (with escapes), raw strings,
//! byte strings, char literals, comments (`//`, nested `/* */`), bracket nesting and the
//! `,` / `:` separators. It never interprets a value; `ron` does that.

use std::ops::Range;

/// What the scanner could not make sense of (the caller falls back to `ron` on the whole text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub offset: usize,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    /// An identifier (a raw identifier `r#x` included).
    Ident,
    /// A string, raw string, byte string, char or byte literal.
    Str,
    /// Anything else that is not a separator: numbers, signs, `#!`, ...
    Word,
    Open(u8),
    Close(u8),
    Comma,
    Colon,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tok {
    pub kind: TokKind,
    pub start: usize,
    pub end: usize,
}

fn is_special(c: char) -> bool {
    matches!(
        c,
        '(' | ')' | '[' | ']' | '{' | '}' | ',' | ':' | '"' | '\''
    )
}

/// Whitespace exactly as ron counts it (anything else, e.g. a no-break space, is not).
fn is_whitespace(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\n'
            | '\r'
            | '\x0B'
            | '\x0C'
            | '\u{85}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits `text` into tokens, skipping whitespace and comments.
pub fn tokenize(text: &str) -> Result<Vec<Tok>, ScanError> {
    let b = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let err = |offset: usize, message: &str| ScanError {
        offset,
        message: message.to_string(),
    };
    while i < b.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        let start = i;
        if is_whitespace(c) {
            i += c.len_utf8();
            continue;
        }
        if b[i..].starts_with(b"//") {
            i = text[i..].find('\n').map_or(b.len(), |n| i + n + 1);
            continue;
        }
        if b[i..].starts_with(b"/*") {
            let mut depth = 0usize;
            loop {
                if i >= b.len() {
                    return Err(err(start, "unterminated block comment"));
                }
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            continue;
        }
        let single = |kind| Tok {
            kind,
            start: i,
            end: i + 1,
        };
        match c {
            '(' | '[' | '{' => {
                toks.push(single(TokKind::Open(c as u8)));
                i += 1;
                continue;
            }
            ')' | ']' | '}' => {
                toks.push(single(TokKind::Close(c as u8)));
                i += 1;
                continue;
            }
            ',' => {
                toks.push(single(TokKind::Comma));
                i += 1;
                continue;
            }
            ':' => {
                toks.push(single(TokKind::Colon));
                i += 1;
                continue;
            }
            _ => {}
        }
        // String-like literals, with an optional `b` / `r` / `br` prefix.
        let (prefix_b, rest) = if c == 'b' {
            (1, &text[i + 1..])
        } else {
            (0, &text[i..])
        };
        if rest.starts_with('"') {
            i = scan_quoted(text, i + prefix_b, b'"')
                .ok_or_else(|| err(start, "unterminated string"))?;
            toks.push(Tok {
                kind: TokKind::Str,
                start,
                end: i,
            });
            continue;
        }
        if rest.starts_with('\'') {
            i = scan_quoted(text, i + prefix_b, b'\'')
                .ok_or_else(|| err(start, "unterminated character literal"))?;
            toks.push(Tok {
                kind: TokKind::Str,
                start,
                end: i,
            });
            continue;
        }
        if let Some(after_r) = rest.strip_prefix('r') {
            let hashes = after_r.bytes().take_while(|&x| x == b'#').count();
            if after_r[hashes..].starts_with('"') {
                let body = i + prefix_b + 1 + hashes + 1;
                let closing = format!("\"{}", "#".repeat(hashes));
                let end = text[body..]
                    .find(&closing)
                    .ok_or_else(|| err(start, "unterminated raw string"))?;
                i = body + end + closing.len();
                toks.push(Tok {
                    kind: TokKind::Str,
                    start,
                    end: i,
                });
                continue;
            }
            if prefix_b == 0
                && hashes == 1
                && after_r[1..].chars().next().is_some_and(is_ident_char)
            {
                i += 2;
                while let Some(ch) = text[i..].chars().next().filter(|&ch| is_ident_char(ch)) {
                    i += ch.len_utf8();
                }
                toks.push(Tok {
                    kind: TokKind::Ident,
                    start,
                    end: i,
                });
                continue;
            }
        }
        // A word: up to whitespace, a separator, a quote or a comment.
        while let Some(ch) = text[i..].chars().next() {
            if is_whitespace(ch)
                || is_special(ch)
                || text[i..].starts_with("//")
                || text[i..].starts_with("/*")
            {
                break;
            }
            i += ch.len_utf8();
        }
        if i == start {
            // Cannot happen (every char is consumed above), but never loop forever.
            i += c.len_utf8();
        }
        let word = &text[start..i];
        let kind =
            if word.chars().next().is_some_and(is_ident_start) && word.chars().all(is_ident_char) {
                TokKind::Ident
            } else {
                TokKind::Word
            };
        toks.push(Tok {
            kind,
            start,
            end: i,
        });
    }
    Ok(toks)
}

/// Scans a `"..."` or `'...'` literal starting at `start` (the quote); returns the offset after it.
fn scan_quoted(text: &str, start: usize, quote: u8) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            x if x == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// A string literal that most likely lacks its closing quote: it runs past the end of the line
/// it starts on, and either never ends or "ends" at a quote that is followed by a letter or a
/// digit (the opening quote of the next string, as in `title: "a,` + newline + `name: "lan"`).
/// RON allows a line break in a string, so only that pairing marks the mistake; the scanner
/// itself would report it where the quotes stop pairing, lines later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnclosedString {
    /// Byte offset of the opening quote.
    pub open: usize,
    /// Byte offset where the closing quote most likely belongs: the end of the first line, before
    /// any trailing `,`, `)`, `]` and spaces.
    pub close_at: usize,
    /// Byte offset of the quote that ends the literal as written, if any.
    pub ends_at: Option<usize>,
}

/// The first string literal of `text` that lacks its closing quote (see [`UnclosedString`]).
pub fn unclosed_string(text: &str) -> Option<UnclosedString> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            i = text[i..].find('\n').map_or(b.len(), |n| i + n + 1);
        } else if rest.starts_with(b"/*") {
            i = text[i..].find("*/").map_or(b.len(), |n| i + n + 2);
        } else if rest.starts_with(b"r\"") || rest.starts_with(b"r#") {
            let hashes = rest[1..].iter().take_while(|&&x| x == b'#').count();
            if rest.get(1 + hashes) != Some(&b'"') {
                i += 1;
                continue;
            }
            let closing = format!("\"{}", "#".repeat(hashes));
            let body = i + 2 + hashes;
            i = text[body..]
                .find(&closing)
                .map_or(b.len(), |n| body + n + closing.len());
        } else if b[i] == b'\'' {
            // A char literal (it may hold a `"`); an apostrophe that is not one is skipped.
            i = match scan_quoted(text, i, b'\'') {
                Some(end) if end - i <= 12 && !text[i..end].contains('\n') => end,
                _ => i + 1,
            };
        } else if b[i] == b'"' {
            let end = scan_quoted(text, i, b'"');
            // Only the literal's own bytes are searched: a long line stays linear.
            let spans_lines = end.is_none_or(|e| text[i..e].contains('\n'));
            let next_is_word = end
                .and_then(|e| text[e..].chars().next())
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            if spans_lines && (end.is_none() || next_is_word) {
                let le = text[i..].find('\n').map_or(b.len(), |n| i + n);
                let line = text[i + 1..le].trim_end_matches(['\r', ' ', '\t']);
                let content = line.trim_end_matches([',', ')', ']', ' ', '\t']);
                let close_at = i
                    + 1
                    + if content.is_empty() {
                        line.len()
                    } else {
                        content.len()
                    };
                return Some(UnclosedString {
                    open: i,
                    close_at,
                    ends_at: end.map(|e| e - 1),
                });
            }
            i = end.unwrap_or(b.len());
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    None
}

/// The tokens of a text with their bracket structure.
pub struct Tree<'a> {
    pub text: &'a str,
    pub toks: Vec<Tok>,
    /// For each opening bracket token, the index of its closing token.
    close_of: Vec<usize>,
}

/// One comma-separated item of a group: token indices `toks`, and the `key:` if it has one.
#[derive(Debug, Clone)]
pub struct Item {
    /// Token index of the key identifier, if the item is `key: value`.
    pub key: Option<usize>,
    /// Token indices of the value (empty if nothing follows the colon).
    pub value: Range<usize>,
    /// Token indices of the whole item.
    pub all: Range<usize>,
    /// The item is a `key: value` that follows the previous one without a comma.
    pub missing_comma_before: bool,
}

/// The shape of a value, as far as the splitter cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `Name(...)` or `(...)`: the optional name token and the open-paren token.
    Struct {
        name: Option<usize>,
        open: usize,
    },
    /// `[...]`: the open-bracket token.
    List {
        open: usize,
    },
    Other,
}

impl<'a> Tree<'a> {
    /// Tokenizes and matches brackets.
    pub fn new(text: &'a str) -> Result<Tree<'a>, ScanError> {
        let toks = tokenize(text)?;
        let mut close_of = vec![usize::MAX; toks.len()];
        let mut stack: Vec<usize> = Vec::new();
        for (i, t) in toks.iter().enumerate() {
            match t.kind {
                TokKind::Open(_) => stack.push(i),
                TokKind::Close(c) => {
                    let Some(o) = stack.pop() else {
                        return Err(ScanError {
                            offset: t.start,
                            message: format!(
                                "unexpected `{}` without a matching opening bracket",
                                c as char
                            ),
                        });
                    };
                    let TokKind::Open(oc) = toks[o].kind else {
                        unreachable!()
                    };
                    let want = match oc {
                        b'(' => b')',
                        b'[' => b']',
                        _ => b'}',
                    };
                    if c != want {
                        return Err(ScanError {
                            offset: t.start,
                            message: format!(
                                "expected `{}` to close the `{}` opened earlier, found `{}`",
                                want as char, oc as char, c as char
                            ),
                        });
                    }
                    close_of[o] = i;
                }
                _ => {}
            }
        }
        if let Some(&o) = stack.last() {
            let TokKind::Open(oc) = toks[o].kind else {
                unreachable!()
            };
            return Err(ScanError {
                offset: toks[o].start,
                message: format!("this `{}` is never closed", oc as char),
            });
        }
        Ok(Tree {
            text,
            toks,
            close_of,
        })
    }

    pub fn close_of(&self, open: usize) -> usize {
        self.close_of[open]
    }

    pub fn tok_text(&self, i: usize) -> &'a str {
        let t = self.toks[i];
        &self.text[t.start..t.end]
    }

    /// An identifier's name, without the raw `r#` prefix.
    pub fn ident_name(&self, i: usize) -> &'a str {
        let s = self.tok_text(i);
        s.strip_prefix("r#").unwrap_or(s)
    }

    /// Byte span of a token range (empty range: an empty span at `fallback`).
    pub fn span(&self, r: &Range<usize>, fallback: usize) -> Range<usize> {
        if r.is_empty() {
            fallback..fallback
        } else {
            self.toks[r.start].start..self.toks[r.end - 1].end
        }
    }

    /// The comma-separated items inside the group opened at token `open`.
    /// A trailing comma is allowed; an empty item anywhere else is returned (empty `all`).
    pub fn items(&self, open: usize) -> Vec<Item> {
        let close = self.close_of[open];
        let paren = self.toks[open].kind == TokKind::Open(b'(');
        let mut missing_comma = Vec::new();
        let mut items = Vec::new();
        let mut start = open + 1;
        let mut i = open + 1;
        while i <= close {
            let kind = self.toks[i].kind;
            if i == close || kind == TokKind::Comma {
                // Skip only the empty tail: after a trailing comma, or of an empty group.
                if !(i == close && start == i) {
                    items.push(self.item(start..i));
                }
                start = i + 1;
                i += 1;
                continue;
            }
            // In a struct, `ident:` after the start of an item is the next field: a comma is
            // missing. Split there (and say so), so the rest of the struct is still read.
            if paren
                && i > start + 1
                && kind == TokKind::Ident
                && self.toks[i + 1].kind == TokKind::Colon
            {
                items.push(self.item(start..i));
                start = i;
                missing_comma.push(i);
            }
            if let TokKind::Open(_) = kind {
                i = self.close_of[i] + 1;
            } else {
                i += 1;
            }
        }
        for item in &mut items {
            item.missing_comma_before = missing_comma.contains(&item.all.start);
        }
        items
    }

    fn item(&self, all: Range<usize>) -> Item {
        if all.len() >= 2
            && self.toks[all.start].kind == TokKind::Ident
            && self.toks[all.start + 1].kind == TokKind::Colon
        {
            Item {
                key: Some(all.start),
                value: all.start + 2..all.end,
                all,
                missing_comma_before: false,
            }
        } else {
            Item {
                key: None,
                value: all.clone(),
                all,
                missing_comma_before: false,
            }
        }
    }

    /// The shape of the value made of tokens `r`.
    pub fn shape(&self, r: &Range<usize>) -> Shape {
        let n = r.len();
        let open_at = |i: usize, c: u8| {
            self.toks[i].kind == TokKind::Open(c) && self.close_of[i] == r.end - 1
        };
        if n >= 1 && open_at(r.start, b'[') {
            return Shape::List { open: r.start };
        }
        if n >= 1 && open_at(r.start, b'(') {
            return Shape::Struct {
                name: None,
                open: r.start,
            };
        }
        if n >= 2 && self.toks[r.start].kind == TokKind::Ident && open_at(r.start + 1, b'(') {
            return Shape::Struct {
                name: Some(r.start),
                open: r.start + 1,
            };
        }
        Shape::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokKind, String)> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, text[t.start..t.end].to_string()))
            .collect()
    }

    #[test]
    fn strings_comments_and_raw_strings_are_single_tokens() {
        let k = kinds(
            r###"( a: "x,)\"" /* ( /* ) */ */ , b: r#"q")"# , c: 'x', d: '\'' // ) (
        e: r#type, f: b"(", g: -1.5e3 )"###,
        );
        let texts: Vec<&str> = k.iter().map(|(_, s)| s.as_str()).collect();
        let want = [
            "(",
            "a",
            ":",
            "\"x,)\\\"\"",
            ",",
            "b",
            ":",
            "r#\"q\")\"#",
            ",",
            "c",
            ":",
            "'x'",
            ",",
            "d",
            ":",
            "'\\''",
            "e",
            ":",
            "r#type",
            ",",
            "f",
            ":",
            "b\"(\"",
            ",",
            "g",
            ":",
            "-1.5e3",
            ")",
        ];
        assert_eq!(texts, want);
        assert_eq!(k[18].0, TokKind::Ident);
    }

    #[test]
    fn a_string_without_its_closing_quote_is_found_on_its_own_line() {
        let text = "(\n  title: \"base,\n  seed: 7,\n  f: [(name: \"lan\")],\n)";
        let u = unclosed_string(text).expect("found");
        assert_eq!(&text[u.open..u.close_at], "\"base");
        assert_eq!(u.ends_at, text.find("\"lan"));
        // A string that ends at the end of the file, and one closed on its line, are not it.
        let u = unclosed_string("(a: \"x\", b: \"y)\n)").expect("found");
        assert_eq!((u.open, u.close_at, u.ends_at), (12, 14, None));
        assert_eq!(
            unclosed_string("(a: \"two\nlines\", b: 'x', c: \"\")"),
            None
        );
        assert_eq!(unclosed_string("(a: r#\"x\ny\"#, // \"\n b: \"z\")"), None);
    }
}
