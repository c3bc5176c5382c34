//! Compares one recorded case with hnsim's replay of it, after masking both sides: per step
//! the exit code, stdout and stderr; per case the end-state fields hnsim's docker can show
//! (per container and network: address, prefix, gateway and MAC; per network: driver,
//! internal, IPAM config and bridge device). A field hnsim cannot produce disagrees.

use super::fixture::{Case, IdRecord, Where};
use super::mask::{mask_common, mask_stream, sorted_json, CaseMasks};
use super::replay::SimCase;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One compared field that differs: what it is, and both sides' (masked) values.
#[derive(Clone, Debug)]
pub struct Difference {
    /// `exit_code`, `stdout`, `stderr`, `template`, or an end-state path.
    pub field: String,
    pub recorded: String,
    pub simulated: String,
}

/// A step's outcome on one side, after the masks.
#[derive(Clone, Debug, Default)]
pub struct Masked {
    pub exit_code: String,
    pub stdout: String,
    pub stderr: String,
}

/// One step's comparison.
#[derive(Clone, Debug)]
pub struct StepResult {
    pub line: String,
    /// Both sides as compared (`simulated` is empty when a template could not expand).
    pub recorded: Masked,
    pub simulated: Masked,
    pub differences: Vec<Difference>,
    /// hnsim said it does not model the tool (status 127).
    pub not_modelled: bool,
    /// How many of the step's `STEP_FIELDS` agree (none when a template could not expand).
    pub fields_agreeing: usize,
}

/// The three fields of every step.
pub const STEP_FIELDS: usize = 3;

/// One case's comparison.
#[derive(Clone, Debug)]
pub struct CaseResult {
    pub id: String,
    pub steps: Vec<StepResult>,
    pub state_fields: usize,
    pub state_differences: Vec<Difference>,
}

impl CaseResult {
    pub fn agrees(&self) -> bool {
        self.steps.iter().all(|s| s.differences.is_empty()) && self.state_differences.is_empty()
    }

    pub fn fields(&self) -> usize {
        self.steps.len() * STEP_FIELDS + self.state_fields
    }

    pub fn fields_agreeing(&self) -> usize {
        let step_fields: usize = self.steps.iter().map(|s| s.fields_agreeing).sum();
        step_fields + self.state_fields - self.state_differences.len()
    }
}

/// The MACs of the containers' endpoints in an end state (kept by the masks: not random).
fn container_macs(state: &Value) -> BTreeSet<String> {
    state["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["networks"].as_object())
        .flat_map(|nets| nets.values())
        .filter_map(|ep| ep["mac"].as_str())
        .filter(|m| !m.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn masks_of(
    ids: &[IdRecord],
    case: &Case,
    veths: &BTreeMap<String, String>,
    state: &Value,
) -> CaseMasks {
    let lines: Vec<String> = case.steps.iter().map(|s| s.line.clone()).collect();
    CaseMasks::new(ids, &lines, veths, &container_macs(state))
}

/// A JSON value of the end state as compared text: masked like the outputs.
fn masked_value(v: Option<&Value>, masks: &CaseMasks) -> String {
    match v {
        None => "(absent)".to_string(),
        Some(Value::String(s)) => mask_common(&masks.apply(s)),
        Some(other) => mask_common(&masks.apply(&sorted_json(other).to_string())),
    }
}

/// The compared end-state fields of one side: path -> masked value. Containers and networks
/// are keyed by their masked names (generated names compare as `<generated-name-N>`; two
/// networks of one name, possible through the API, as `name#2`).
fn state_fields(state: &Value, masks: &CaseMasks) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for c in state["containers"].as_array().into_iter().flatten() {
        // A `--rm` container the daemon was deleting when the recorder read the state
        // (dockerd removes it asynchronously after it stops): it is gone, as in hnsim,
        // which removes it as it stops.
        if c["status"].as_str() == Some("removing") {
            continue;
        }
        let name = masks.apply(c["name"].as_str().unwrap_or(""));
        out.insert(format!("container {name}"), "present".to_string());
        for (net, ep) in c["networks"].as_object().into_iter().flatten() {
            let net = masks.apply(net);
            for key in ["ip", "prefix_len", "gateway", "mac"] {
                out.insert(
                    format!("container {name} on {net}: {key}"),
                    masked_value(ep.get(key), masks),
                );
            }
        }
    }
    // two networks can share a name (created through the API): order them as mask.py does
    let mut networks: Vec<&Value> = state["networks"].as_array().into_iter().flatten().collect();
    networks.sort_by_key(|n| (n["name"].as_str().unwrap_or(""), n["ipam"].to_string()));
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for n in networks {
        let name = masks.apply(n["name"].as_str().unwrap_or(""));
        let count = seen.entry(name.clone()).or_default();
        *count += 1;
        let key = if *count == 1 {
            name
        } else {
            format!("{name}#{count}")
        };
        out.insert(format!("network {key}"), "present".to_string());
        for field in ["driver", "internal", "ipam", "bridge_device"] {
            out.insert(
                format!("network {key}: {field}"),
                masked_value(n.get(field), masks),
            );
        }
    }
    out
}

/// Counts and lists the end-state fields that differ. Every field the recording has counts;
/// a field only hnsim has (a container or network the daemon did not have) counts too.
fn compare_state(
    recorded: &BTreeMap<String, String>,
    simulated: Result<&BTreeMap<String, String>, &String>,
) -> (usize, Vec<Difference>) {
    let simulated = match simulated {
        Ok(s) => s,
        Err(why) => {
            let diffs = recorded
                .iter()
                .map(|(field, value)| Difference {
                    field: field.clone(),
                    recorded: value.clone(),
                    simulated: format!("(hnsim cannot tell: {why})"),
                })
                .collect();
            return (recorded.len(), diffs);
        }
    };
    let fields: BTreeSet<&String> = recorded.keys().chain(simulated.keys()).collect();
    let absent = "(absent)".to_string();
    let diffs = fields
        .iter()
        .filter_map(|f| {
            let r = recorded.get(*f).unwrap_or(&absent);
            let s = simulated.get(*f).unwrap_or(&absent);
            (r != s).then(|| Difference {
                field: (*f).clone(),
                recorded: r.clone(),
                simulated: s.clone(),
            })
        })
        .collect();
    (fields.len(), diffs)
}

/// Compares a recorded case with hnsim's replay.
pub fn compare(case: &Case, sim: &SimCase) -> CaseResult {
    let recorded_masks = masks_of(&case.ids, case, &case.veths(), &case.state);
    let sim_state = sim.state.as_ref().unwrap_or(&Value::Null);
    let sim_masks = masks_of(&sim.ids, case, &sim.veths, sim_state);
    // Rule 8: compare the guard's lines only when hnsim has the rule too.
    let drop_guard = !sim.guard_installed;
    let steps = case
        .steps
        .iter()
        .zip(&sim.steps)
        .map(|(rec, got)| {
            let mut differences = Vec::new();
            let mut fields_agreeing = 0;
            let recorded = Masked {
                exit_code: rec
                    .exit_code
                    .map_or("(killed)".to_string(), |c| c.to_string()),
                stdout: mask_stream(&rec.stdout, &recorded_masks, true, drop_guard),
                stderr: mask_stream(&rec.stderr, &recorded_masks, false, drop_guard),
            };
            let mut simulated = Masked::default();
            if let Err(why) = &got.expanded {
                differences.push(Difference {
                    field: "template".to_string(),
                    recorded: String::new(),
                    simulated: why.clone(),
                });
            } else {
                simulated = Masked {
                    exit_code: got.out.exit_code.to_string(),
                    stdout: mask_stream(&got.out.stdout, &sim_masks, true, drop_guard),
                    stderr: mask_stream(&got.out.stderr, &sim_masks, false, drop_guard),
                };
                for (field, r, s) in [
                    ("exit_code", &recorded.exit_code, &simulated.exit_code),
                    ("stdout", &recorded.stdout, &simulated.stdout),
                    ("stderr", &recorded.stderr, &simulated.stderr),
                ] {
                    if r != s {
                        differences.push(Difference {
                            field: field.to_string(),
                            recorded: r.clone(),
                            simulated: s.clone(),
                        });
                    }
                }
                fields_agreeing = STEP_FIELDS - differences.len();
            }
            StepResult {
                // as the case file writes it
                line: match rec.place {
                    Where::Host => rec.line.clone(),
                    Where::Outside => format!("@outside {}", rec.line),
                },
                recorded,
                simulated,
                differences,
                not_modelled: got.out.exit_code == 127,
                fields_agreeing,
            }
        })
        .collect();
    let recorded_state = state_fields(&case.state, &recorded_masks);
    let sim_state = sim.state.as_ref().map(|s| state_fields(s, &sim_masks));
    let (state_fields, state_differences) =
        compare_state(&recorded_state, sim_state.as_ref().map_err(|e| *e));
    CaseResult {
        id: case.id.clone(),
        steps,
        state_fields,
        state_differences,
    }
}
