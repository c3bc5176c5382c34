//! The recorded fixtures of `tests/oracle/fixtures/<group>.json`, read into plain structs
//! (the fields the comparison uses; the format is described in `tests/oracle/README.md`).

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Where a step ran: on the container host, or in the outside namespace (`@outside`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Where {
    Host,
    Outside,
}

/// One recorded command and what the real tools did.
#[derive(Clone, Debug)]
pub struct Step {
    /// The line as written in the case, templates unexpanded.
    pub line: String,
    pub place: Where,
    /// `None` only when the recorder killed the command (never in the committed recording).
    pub exit_code: Option<i64>,
    pub stdout: String,
    pub stderr: String,
}

/// What kind of object an ID names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IdKind {
    Container,
    Network,
    Endpoint,
}

impl IdKind {
    /// The tag a masked ID gets: `<ctr:c1>`, `<net:n1>`, `<ep:c1@n1>`.
    pub fn tag(self) -> &'static str {
        match self {
            IdKind::Container => "ctr",
            IdKind::Network => "net",
            IdKind::Endpoint => "ep",
        }
    }
}

/// An ID the daemon handed out during a case, with the name it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct IdRecord {
    pub id: String,
    pub kind: IdKind,
    pub name: String,
}

/// One recorded case.
#[derive(Clone, Debug)]
pub struct Case {
    /// `<group>/<name>`.
    pub id: String,
    pub steps: Vec<Step>,
    pub ids: Vec<IdRecord>,
    /// The end-of-case state as recorded (`containers`, `networks`, `veths`).
    pub state: Value,
}

impl Case {
    /// Host-side veth name -> `<container>/<interface>`, from the end state.
    pub fn veths(&self) -> BTreeMap<String, String> {
        self.state
            .get("veths")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One fixture file: a group of cases.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub group: String,
    pub cases: Vec<Case>,
}

fn text(v: &Value, key: &str, what: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => panic!("{what}: {key} is not a string: {other}"),
    }
}

fn step_of(v: &Value, case: &str) -> Step {
    let place = match v.get("where").and_then(Value::as_str) {
        Some("outside") => Where::Outside,
        Some("host") | None => Where::Host,
        Some(other) => panic!("{case}: unknown `where` {other:?}"),
    };
    Step {
        line: text(v, "line", case),
        place,
        exit_code: v.get("exit_code").and_then(Value::as_i64),
        stdout: text(v, "stdout", case),
        stderr: text(v, "stderr", case),
    }
}

fn id_of(v: &Value, case: &str) -> IdRecord {
    let kind = match v.get("kind").and_then(Value::as_str) {
        Some("container") => IdKind::Container,
        Some("network") => IdKind::Network,
        Some("endpoint") => IdKind::Endpoint,
        other => panic!("{case}: unknown id kind {other:?}"),
    };
    IdRecord {
        id: text(v, "id", case),
        kind,
        name: text(v, "name", case),
    }
}

fn case_of(v: &Value) -> Case {
    let id = text(v, "id", "a case");
    let list = |key: &str| v.get(key).and_then(Value::as_array).cloned();
    Case {
        steps: list("steps")
            .unwrap_or_default()
            .iter()
            .map(|s| step_of(s, &id))
            .collect(),
        ids: list("ids")
            .unwrap_or_default()
            .iter()
            .map(|r| id_of(r, &id))
            .collect(),
        state: v.get("state").cloned().unwrap_or(Value::Null),
        id,
    }
}

/// Every fixture under `dir`, by file name.
pub fn load_all(dir: &Path) -> Vec<Fixture> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let raw = std::fs::read_to_string(p)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
            let v: Value = serde_json::from_str(&raw)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", p.display()));
            Fixture {
                group: text(&v, "group", &p.display().to_string()),
                cases: v
                    .get("cases")
                    .and_then(Value::as_array)
                    .map(|cs| cs.iter().map(case_of).collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}
