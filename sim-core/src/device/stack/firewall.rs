//! The inbound firewall at run time: a rule walk plus the connection state that lets replies
//! to this stack's own traffic back in.

use super::config::FirewallConfig;
use crate::fastmap::FastMap;
use crate::wire::FlowKey;

/// Flows this stack started, remembered so their replies count as solicited.
const MAX_TRACKED: usize = 65_536;

#[derive(Debug, Default)]
pub struct FlowState {
    replies_expected: FastMap<FlowKey, ()>,
}

pub fn reverse(k: FlowKey) -> FlowKey {
    FlowKey {
        proto: k.proto,
        src: k.dst,
        sport: k.dport,
        dst: k.src,
        dport: k.sport,
    }
}

/// Whether replies of this protocol need connection state: only when the default would not
/// let them in, or a block rule could catch them.
pub fn needs_state(cfg: &FirewallConfig, proto: u8) -> bool {
    !cfg.default_inbound_allow.contains(&proto) || cfg.rules.iter().any(|r| !r.allow)
}

/// The verdict on an inbound packet.
pub enum Verdict {
    /// Allowed by the default or as a reply; nothing worth a trace line.
    Pass,
    /// Allowed by a named rule.
    AllowedBy(String),
    /// Blocked by a named rule or by the default.
    BlockedBy(String),
}

impl FlowState {
    /// Remembers an outbound flow so its replies are solicited.
    pub fn outbound(&mut self, flow: FlowKey) {
        if self.replies_expected.len() >= MAX_TRACKED {
            self.replies_expected.clear();
        }
        self.replies_expected.insert(reverse(flow), ());
    }

    pub fn clear(&mut self) {
        self.replies_expected.clear();
    }

    pub fn check(&self, cfg: &FirewallConfig, flow: FlowKey) -> Verdict {
        // Fast path: nothing can block it and the default lets it in.
        if !needs_state(cfg, flow.proto) {
            return Verdict::Pass;
        }
        if self.replies_expected.contains_key(&flow) {
            return Verdict::Pass;
        }
        let matches = |r: &&super::config::FirewallRule| {
            r.proto.is_none_or(|p| p == flow.proto)
                && r.local_port.is_none_or(|p| p == flow.dport)
                && r.remote.is_none_or(|n| n.contains(flow.src))
        };
        // Windows Firewall: a matching block rule wins over any allow rule.
        if let Some(r) = cfg.rules.iter().filter(|r| !r.allow).find(matches) {
            return Verdict::BlockedBy(format!("rule \"{}\"", r.name));
        }
        if cfg.default_inbound_allow.contains(&flow.proto) {
            return Verdict::Pass;
        }
        if let Some(r) = cfg.rules.iter().filter(|r| r.allow).find(matches) {
            return Verdict::AllowedBy(format!("rule \"{}\"", r.name));
        }
        Verdict::BlockedBy(cfg.default_inbound_name.clone())
    }
}
