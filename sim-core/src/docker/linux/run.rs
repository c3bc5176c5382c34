//! `docker run` on Linux: what the daemon refuses (in the words of the host's Docker Engine
//! release) and what it makes of the flags before the container starts (reference
//! linux-drivers.md section 2.3).

use super::Linux;
use crate::docker::backend::RunSettings;
use crate::docker::cli::RunArgs;
use crate::docker::store::Isolation;

/// What the Linux daemon refuses in `docker run`, and what it makes of the rest.
pub(super) fn check_run(l: &Linux, args: &RunArgs, net_key: &str) -> Result<RunSettings, String> {
    let engine = l.ln.engine;
    let prefix = |msg: &str| {
        if engine.validates_ipam_config() {
            format!("invalid endpoint settings:\n{msg}")
        } else {
            msg.to_string()
        }
    };
    if let Some(i) = args.isolation.as_deref().filter(|i| *i != "default") {
        return Err(format!(
            "Invalid isolation: {i:?} - linux only supports 'default'"
        ));
    }
    let mut warnings = Vec::new();
    let predefined = ["bridge", "host", "none", "default"].contains(&net_key);
    if net_key == "host" && (!args.publish.is_empty() || args.publish_all) {
        warnings.push("Published ports are discarded when using host network mode".into());
    }
    if net_key == "host" && !args.links.is_empty() {
        return Err("conflicting options: host type networking can't be used with links. This would result in undefined behavior".into());
    }
    if args.ip.is_some() && predefined {
        return Err(prefix(
            "user specified IP address is supported on user defined networks only",
        ));
    }
    if !args.network_aliases.is_empty() && predefined {
        return Err(if engine >= crate::control::engine::DockerEngine::V29 {
            "network-scoped aliases are only supported for user-defined networks".into()
        } else {
            "network-scoped alias is supported only for containers in user defined networks".into()
        });
    }
    Ok(RunSettings {
        isolation: Isolation::Process,
        notes: Vec::new(),
        warnings,
    })
}
