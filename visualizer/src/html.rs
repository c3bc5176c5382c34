//! The lesson page: one HTML file that works offline, with everything inline.
//!
//! Owns putting the page together: the template (`page/page.html`), its style
//! (`page/page.css`) and script (`page/page.js`), the topology drawing (`svg`) and the lesson
//! as JSON in a `<script type="application/json">` element, which the script reads. Nothing
//! is loaded from anywhere else. The JSON is escaped so that no `<`, `>` or `&` appears in
//! it raw (a name cannot close the script element).

use crate::layout::layout;
use crate::model::Lesson;
use crate::svg::{esc, svg};

const TEMPLATE: &str = include_str!("page/page.html");
const CSS: &str = include_str!("page/page.css");
const JS: &str = include_str!("page/page.js");
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The lesson as JSON that is safe inside a `<script>` element.
pub fn script_json(lesson: &Lesson) -> String {
    let json = serde_json::to_string(lesson).expect("the lesson serializes: every key is a string");
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Replaces each `{{name}}` of `template` with its value. Only the template is searched, so a
/// value that contains `{{...}}` stays as it is.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out =
        String::with_capacity(template.len() + values.iter().map(|v| v.1.len()).sum::<usize>());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let key = &rest[start + 2..start + len];
        out.push_str(&rest[..start]);
        match values.iter().find(|(k, _)| *k == key) {
            Some((_, v)) => out.push_str(v),
            None => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// The page for a lesson.
pub fn page(lesson: &Lesson) -> String {
    let drawing = svg(lesson, &layout(lesson));
    let hops: usize = lesson.probes.iter().map(|p| p.hops.len()).sum();
    let summary = format!(
        "{} probe(s), {} hop(s), {} failed expectation(s)",
        lesson.probes.len(),
        hops,
        lesson.failures.len()
    );
    fill(
        TEMPLATE,
        &[
            ("version", VERSION),
            ("title", &esc(&lesson.title)),
            ("description", &esc(&lesson.description)),
            ("file", &esc(&lesson.file)),
            ("seed", &lesson.seed.to_string()),
            ("summary", &summary),
            ("css", CSS),
            ("svg", &drawing),
            ("data", &script_json(lesson)),
            ("js", JS),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_known_keys_and_never_looks_inside_values() {
        let t = "a {{x}} b {{y}} c {{unknown}}";
        assert_eq!(
            fill(t, &[("x", "{{y}}"), ("y", "2")]),
            "a {{y}} b 2 c {{unknown}}"
        );
    }

    #[test]
    fn the_template_names_only_values_the_page_fills() {
        let keys: Vec<&str> = TEMPLATE
            .split("{{")
            .skip(1)
            .filter_map(|s| s.split_once("}}").map(|(k, _)| k))
            .collect();
        for k in &keys {
            assert!(
                [
                    "version",
                    "title",
                    "description",
                    "file",
                    "seed",
                    "summary",
                    "css",
                    "svg",
                    "data",
                    "js"
                ]
                .contains(k),
                "{k}"
            );
        }
        assert!(keys.contains(&"data") && keys.contains(&"js") && keys.contains(&"svg"));
    }

    #[test]
    fn no_part_of_the_page_is_loaded_from_elsewhere() {
        for part in [TEMPLATE, CSS, JS] {
            // The SVG namespace is a name, not something loaded.
            let part = part.replace("http://www.w3.org/2000/svg", "");
            for bad in [
                "http://",
                "https://",
                "src=",
                "url(",
                "@import",
                "fetch(",
                "XMLHttpRequest",
            ] {
                assert!(!part.contains(bad), "{bad}");
            }
        }
    }
}
