//! Shell-like word splitting of the pasted line: what a POSIX shell does
//! before `docker` sees its arguments, with the shell's quoting errors (exit
//! code 2).

use super::CliError;

/// Splits a line into words the way a POSIX shell would (without expansions):
/// blanks separate words, single quotes are literal, double quotes honour
/// `\"`, `\\`, `` \` ``, `\$` and backslash-newline, a backslash outside quotes
/// escapes the next character, adjacent parts join into one word, and an
/// unquoted `#` at the start of a word begins a comment.
pub fn split_words(line: &str) -> Result<Vec<String>, CliError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err(unterminated('\'')),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => cur.push(e),
                            Some('\n') => {}
                            Some(other) => {
                                cur.push('\\');
                                cur.push(other);
                            }
                            None => return Err(unterminated('"')),
                        },
                        Some(ch) => cur.push(ch),
                        None => return Err(unterminated('"')),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(ch) => {
                    in_word = true;
                    cur.push(ch);
                }
                None => {
                    return Err(CliError::new(
                        "syntax error: unexpected end of line after '\\'",
                        2,
                    ))
                }
            },
            other => {
                in_word = true;
                cur.push(other);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

fn unterminated(quote: char) -> CliError {
    CliError::new(
        format!("unexpected EOF while looking for matching `{quote}'"),
        2,
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::strs;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words() {
        let w = |s: &str| split_words(s).unwrap();
        assert_eq!(w("  a  b\tc "), strs(&["a", "b", "c"]));
        assert_eq!(w(r#"-o a="b c""#), strs(&["-o", "a=b c"]));
        assert_eq!(w(r#"'a "b' "c 'd""#), strs(&["a \"b", "c 'd"]));
        assert_eq!(w(r#""a\"b\\c\d""#), strs(&[r#"a"b\c\d"#]));
        assert_eq!(w(r"a\ b \'c"), strs(&["a b", "'c"]));
        assert_eq!(w(r#"x"y"'z'w"#), strs(&["xyzw"]));
        assert_eq!(w(r#""" ''"#), strs(&["", ""]));
        assert_eq!(w("a \\\nb"), strs(&["a", "b"]));
        assert_eq!(w("a # comment"), strs(&["a"]));
        assert_eq!(w("a#b"), strs(&["a#b"]));
        assert_eq!(w(""), Vec::<String>::new());
        assert_eq!(w("héllo 'wörld'"), strs(&["héllo", "wörld"]));
        for bad in ["'abc", "\"abc", "a\"b", "\"a\\\"", "a\\"] {
            let e = split_words(bad).unwrap_err();
            assert_eq!(e.exit_code, 2, "{bad}");
        }
        assert_eq!(
            split_words("'abc").unwrap_err().message,
            "unexpected EOF while looking for matching `''"
        );
        assert_eq!(
            split_words("\"abc").unwrap_err().message,
            "unexpected EOF while looking for matching `\"'"
        );
    }

    proptest! {
        #[test]
        fn split_words_never_panics(s in "\\PC*") {
            let _ = split_words(&s);
        }

        #[test]
        fn quoted_words_round_trip(words in proptest::collection::vec("[^'\\x00]{0,8}", 1..5)) {
            let line = words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" ");
            prop_assert_eq!(split_words(&line).unwrap(), words);
        }
    }
}
