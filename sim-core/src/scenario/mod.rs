//! Scenario files: the schema, and the loader that turns a `.ron` file into a validated
//! [`ScenarioSpec`] or into every problem in it, each at `file:line:column`.
//!
//! Loading runs in three stages:
//! 1. [`split`] finds the boundaries of the top-level fields, the fabric fields and the list
//!    elements (it understands strings, comments and brackets, nothing else);
//! 2. [`parse`] hands every piece to `ron` separately, so one bad host does not hide a bad step;
//! 3. [`validate`] checks what ron cannot: names, addresses, link ends, references.
//!
//! Nothing the user wrote is changed: the spec is exactly what `ron::from_str` would produce.

pub mod diag;
pub mod loops;
pub mod names;
pub mod parse;
pub mod schema;
pub mod split;
pub mod validate;

#[cfg(test)]
mod tests;

pub use diag::{render, Diagnostic, Pos};
pub use parse::{Partial, Spans};
pub use schema::*;

/// A scenario that parsed and validated, plus where each step sits in the file (for reports).
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub spec: ScenarioSpec,
    pub file: String,
    /// Line and column of each step, in the order of `spec.steps`.
    pub step_positions: Vec<(usize, usize)>,
    /// What the file allows but probably did not mean (a loop between switches): shown by
    /// `check` and `run`, they do not stop the run.
    pub warnings: Vec<Diagnostic>,
}

/// Parses and validates a scenario text. `file_name` is used in the diagnostics only.
/// Errors: every problem found, sorted by position, without duplicates, each with its source
/// line for the snippet.
pub fn load_str(file_name: &str, text: &str) -> Result<LoadedScenario, Vec<Diagnostic>> {
    // A byte-order mark (as some Windows editors write) is not part of the text.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    load_text(file_name, text, MAX_QUOTE_REPAIRS).map_err(|mut diags| {
        diags.sort();
        diags.dedup();
        diag::attach_source(&mut diags, text);
        diags
    })
}

/// How many missing closing quotes one load reports (each costs a read of the file by ron).
const MAX_QUOTE_REPAIRS: usize = 8;

/// Loads `text`; when it does not load and a string lacks its closing quote, reports that
/// quote on the string's own line, and the problems of the rest of the file as if the quote
/// were there (what follows a missing quote is otherwise read inside out).
fn load_text(
    file_name: &str,
    text: &str,
    repairs_left: usize,
) -> Result<LoadedScenario, Vec<Diagnostic>> {
    if repairs_left == 0 {
        return load_unrepaired(file_name, text);
    }
    let Some(u) = split::unclosed_string(text) else {
        return load_unrepaired(file_name, text);
    };
    // A text that loads is one ron reads whole (`load_unrepaired` ends with that read), so when
    // ron stops early the full load would fail and its problems be replaced by the repair's:
    // the repair is taken without that load (each load costs a parse of every piece).
    if parse::ron_options().from_str::<ScenarioSpec>(text).is_ok() {
        let result = load_unrepaired(file_name, text);
        if result.is_ok() {
            return result;
        }
    }
    let (open, close_at) = (diag::pos_in(text, u.open), diag::pos_in(text, u.close_at));
    let runs_on = match u.ends_at {
        Some(end) => {
            let p = diag::pos_in(text, end);
            format!(
                "as written, it runs on to the `\"` at line {}:{}",
                p.line, p.col
            )
        }
        None => "as written, it runs on to the end of the file".to_string(),
    };
    let shown = text[u.open..u.close_at].to_string();
    let mut diags = vec![Diagnostic::new(
        file_name,
        open,
        format!("this string is not closed on its line: the closing `\"` is missing ({runs_on})"),
    )
    .with_help(Some(format!("close it on line {}: `{shown}\"`", open.line)))];
    let repaired = format!("{}\"{}", &text[..u.close_at], &text[u.close_at..]);
    if let Err(rest) = load_text(file_name, &repaired, repairs_left - 1) {
        // The inserted quote moved what follows it on its line one column right.
        diags.extend(rest.into_iter().map(|mut d| {
            if d.line == close_at.line && d.column > close_at.col {
                d.column -= 1;
            }
            d
        }));
    }
    Err(diags)
}

/// Parses and validates `text` as it is.
fn load_unrepaired(file_name: &str, text: &str) -> Result<LoadedScenario, Vec<Diagnostic>> {
    parse::parse(file_name, text).and_then(|parsed| {
        if !parsed.diags.is_empty() {
            // Also validate what did parse: every problem at once, not syntax first.
            let mut diags = parsed.diags;
            diags.extend(validate::validate(
                file_name,
                &parsed.spec,
                &parsed.spans,
                parsed.partial,
            ));
            diags.extend(loops::self_cables(file_name, &parsed.spec, &parsed.spans));
            return Err(diags);
        }
        // Safety net: the piecewise parse must agree with ron on the whole file. If it ever does
        // not, ron is the reference (for the value and for the error).
        let spec = match parse::ron_options().from_str::<ScenarioSpec>(text) {
            Ok(spec) => spec,
            Err(e) => return Err(vec![parse::ron_diag(file_name, &e, Pos::START)]),
        };
        let mut diags = validate::validate(file_name, &spec, &parsed.spans, parsed.partial);
        diags.extend(loops::self_cables(file_name, &spec, &parsed.spans));
        if !diags.is_empty() {
            return Err(diags);
        }
        let step_positions = (0..spec.steps.len())
            .map(|i| {
                let p = parsed.spans.at(&format!("steps[{i}]"));
                (p.line, p.col)
            })
            .collect();
        let warnings = loops::loop_warnings(file_name, &spec, &parsed.spans);
        Ok(LoadedScenario {
            spec,
            file: file_name.to_string(),
            step_positions,
            warnings,
        })
    })
}

/// Reads and loads a scenario file. An unreadable file gives one diagnostic at 1:1.
pub fn load_path(path: &std::path::Path) -> Result<LoadedScenario, Vec<Diagnostic>> {
    let file_name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => load_str(&file_name, &text),
        Err(e) => Err(vec![Diagnostic::new(
            &file_name,
            Pos::START,
            format!("cannot read the scenario file: {e}"),
        )]),
    }
}
