//! What HNS's policies compile into: rules and connection-tracking profiles for the generic
//! rule engine.
//!
//! Owns the Windows side of the data plane as data: the host's forwarding policy between
//! its interfaces, WinNAT (a NAT table with static mappings and dynamic source NAT per
//! internal prefix, and its `Get-NetNat` behaviour as a conntrack profile), the Windows
//! Firewall of a container compartment (its version's default, with Windows Filtering
//! Platform precedence compiled into rule order), the container host's own Windows Defender
//! Firewall (Windows Server's defaults and the rules HNS adds to it), and VFP's NAT layers
//! (OutboundNAT with its exceptions and its missing ICMP rule, port maps) on an external
//! vSwitch, or in the host stack where the host routes (overlay, l2bridge host endpoints).
//! Every rule carries the owner (network or endpoint) whose removal takes it away.

use crate::control::plan::{Place, Planner};
use crate::control::version::WindowsVersion;
use crate::control::HostNodes;
use crate::device::conntrack::{Filtering, PortPolicy, PortScope, Profile, Timeouts};
use crate::device::rules::{
    Balance, CtStates, CtStatus, Hook, Match, NatTo, Policy, RuleSpec, Ruleset, TableKind, Target,
    Test,
};
use crate::id::{NodeId, PortId};
use crate::time::SimDuration;
use crate::wire::{IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};
use ipnetwork::Ipv4Network;
use std::net::{Ipv4Addr, SocketAddrV4};

/// The host's forwarding table and its chains.
pub const FORWARDING: &str = "forwarding";
/// Interface pairs HNS lets the host route between.
const ALLOW: &str = "HNS-ALLOW";
/// Interface pairs HNS refuses, with why.
const REFUSE: &str = "HNS-REFUSE";
/// WinNAT's table on the host.
pub const WINNAT: &str = "WinNAT";
/// VFP's OutboundNAT rules (on a host stack for overlay, on an external vSwitch otherwise).
pub const VFP_OUTBOUND_NAT: &str = "VFP OutboundNAT";
/// Labels readers (the matrix) use to tell translations apart.
pub const TAG_WINNAT: &str = "winnat";
pub const TAG_VFP_NAT: &str = "vfp-nat";
/// The interface of libnetwork's second (`gateway_`) endpoint of a Server 2016 overlay
/// container.
pub const TAG_SECOND_ENDPOINT: &str = "second-endpoint";

const WINNAT_FORWARDING_REFUSAL: &str = "Windows forwards between a nat network's vNIC and the physical NICs only what WinNAT translates; separate nat networks cannot reach each other (\"only one NAT internal prefix\")";

/// WinNAT's session behaviour, from `Get-NetNat` defaults (reference 1.1): ICMP queries 30 s,
/// TCP 120 s until established and 1800 s after, UDP 120 s; address-dependent filtering for
/// TCP and UDP; the inside port kept when free, and an outside port serves one session.
pub fn winnat_profile() -> Profile {
    let s = SimDuration::from_secs;
    Profile {
        filtering: Filtering::AddressDependent,
        timeouts: Timeouts {
            icmp: s(30),
            udp_unreplied: s(120),
            udp_replied: s(120),
            tcp_unreplied: s(120),
            tcp_replied: s(1800),
            other: s(120),
        },
        ports: PortPolicy {
            range: (1024, 65535),
            preserve: true,
            scope: PortScope::PerOutsideAddress,
        },
        max_entries: 65_536,
    }
}

/// VFP's NAT layer keeps its flows like WinNAT does (the reference gives no other figures).
pub fn vfp_profile() -> Profile {
    winnat_profile()
}

/// A rule edit on a ruleset this module built itself cannot fail; a failure is a bug here.
fn ok<T>(r: Result<T, crate::device::rules::RulesError>) -> T {
    r.unwrap_or_else(|e| panic!("HNS compiled an inconsistent ruleset: {e}"))
}

pub fn proto_name(p: u8) -> &'static str {
    match p {
        IPPROTO_TCP => "tcp",
        IPPROTO_UDP => "udp",
        _ => "ip",
    }
}

// ----- the host's forwarding -----

/// A Windows host before any network exists: it routes nothing between its interfaces until
/// HNS allows a pair.
pub fn init_host(rules: &mut Ruleset) {
    rules.ensure_table(FORWARDING, TableKind::Filter);
    let refusal = Policy::Drop(WINNAT_FORWARDING_REFUSAL.to_string());
    ok(rules.ensure_base_chain(FORWARDING, "FORWARD", Hook::Forward, refusal));
    ok(rules.ensure_chain(FORWARDING, ALLOW, None));
    ok(rules.ensure_chain(FORWARDING, REFUSE, None));
    for chain in [ALLOW, REFUSE] {
        let jump = RuleSpec::new(vec![], Target::Jump(chain.to_string()));
        ok(rules.append(FORWARDING, "FORWARD", jump));
    }
}

fn pair(from: PortId, to: PortId) -> Vec<Match> {
    vec![
        Match::is(Test::InPort(vec![from])),
        Match::is(Test::OutPort(vec![to])),
    ]
}

fn forwarding(chain: &str) -> Place {
    Place {
        table: FORWARDING.to_string(),
        kind: TableKind::Filter,
        tag: None,
        chain: chain.to_string(),
        hook: None,
    }
}

/// The host `host` routes from `from` to `to`.
pub fn allow(p: &mut Planner, host: NodeId, from: PortId, to: PortId) {
    let r = RuleSpec::new(pair(from, to), Target::Accept);
    p.rule(host, &forwarding(ALLOW), r);
}

/// The host routes between `a` and `b`, both ways.
pub fn allow_both(p: &mut Planner, host: NodeId, a: PortId, b: PortId) {
    allow(p, host, a, b);
    allow(p, host, b, a);
}

/// The host routes from `from` to `to` only what a NAT table translated on the way in
/// (replies to translated connections, published ports).
pub fn allow_translated(p: &mut Planner, host: NodeId, from: PortId, to: PortId) {
    let mut m = pair(from, to);
    m.push(Match::is(Test::CtStatus(
        CtStatus::SNAT.union(CtStatus::DNAT),
    )));
    p.rule(host, &forwarding(ALLOW), RuleSpec::new(m, Target::Accept));
}

/// The host refuses to route between `a` and `b`, both ways, saying `why`.
pub fn refuse_both(p: &mut Planner, host: NodeId, a: PortId, b: PortId, why: &str) {
    for (from, to) in [(a, b), (b, a)] {
        let r = RuleSpec::new(pair(from, to), Target::Drop).comment(why);
        p.rule(host, &forwarding(REFUSE), r);
    }
}

// ----- NAT on the host stack (WinNAT, and VFP's OutboundNAT for overlay) -----

fn nat(table: &str, tag: &str, chain: &str, hook: Hook) -> Place {
    Place {
        table: table.to_string(),
        kind: TableKind::Nat,
        tag: Some(tag.to_string()),
        chain: chain.to_string(),
        hook: Some((hook, Policy::Accept)),
    }
}

/// Dynamic source NAT for `inside` leaving the host `host` by one of `outside` (a WinNAT
/// instance, or with `vfp` a VFP OutboundNAT rule, which has no rule for ICMP: reference 3.3
/// and 6).
pub fn source_nat(
    p: &mut Planner,
    host: NodeId,
    inside: Ipv4Network,
    outside: &[PortId],
    instance: &str,
    vfp: bool,
) {
    let place = if vfp {
        nat(
            VFP_OUTBOUND_NAT,
            TAG_VFP_NAT,
            "POSTROUTING",
            Hook::Postrouting,
        )
    } else {
        nat(WINNAT, TAG_WINNAT, "POSTROUTING", Hook::Postrouting)
    };
    let matches = vec![
        Match::is(Test::Src(vec![inside])),
        Match::is(Test::OutPort(outside.to_vec())),
        Match::not(Test::InPort(outside.to_vec())),
    ];
    if vfp {
        let mut icmp = matches.clone();
        icmp.push(Match::is(Test::Proto(vec![IPPROTO_ICMP])));
        let r = RuleSpec::new(icmp, Target::Drop).comment(no_icmp_rule(instance));
        p.rule(host, &place, r);
    }
    let r = RuleSpec::new(matches, Target::Masquerade { ports: None })
        .comment(format!("dynamic source NAT for {inside} ({instance})"));
    p.rule(host, &place, r);
}

/// An l2bridge network's OutboundNAT for what the host routes from its host endpoint `from`
/// out of the management vNIC `to`: VFP translates the endpoints' traffic wherever it
/// leaves the host, so a packet routed through the host endpoint leaves with the host's
/// address too, except towards `exceptions` (the network's own subnet among them); ICMP has
/// no rule and is dropped, as on the direct way out.
pub fn routed_outbound_nat(
    p: &mut Planner,
    host: NodeId,
    from: PortId,
    to: PortId,
    subnet: Ipv4Network,
    exceptions: &[Ipv4Network],
    instance: &str,
) {
    let place = nat(
        VFP_OUTBOUND_NAT,
        TAG_VFP_NAT,
        "POSTROUTING",
        Hook::Postrouting,
    );
    let mut matches = vec![
        Match::is(Test::InPort(vec![from])),
        Match::is(Test::OutPort(vec![to])),
        Match::is(Test::Src(vec![subnet])),
    ];
    if !exceptions.is_empty() {
        matches.push(Match::not(Test::Dst(exceptions.to_vec())));
    }
    let mut icmp = matches.clone();
    icmp.push(Match::is(Test::Proto(vec![IPPROTO_ICMP])));
    let r = RuleSpec::new(icmp, Target::Drop).comment(no_icmp_rule(instance));
    p.rule(host, &place, r);
    let r = RuleSpec::new(matches, Target::Masquerade { ports: None })
        .comment(format!("dynamic source NAT for {subnet} ({instance})"));
    p.rule(host, &place, r);
}

/// Why VFP's OutboundNAT drops ICMP.
fn no_icmp_rule(instance: &str) -> String {
    format!("{instance} has no rule for ICMP: Windows programs outbound NAT for TCP and UDP only")
}

/// The host's own connections to its published ports (1803 and later): the container sees
/// the host vNIC `vnic` as the source.
pub fn hairpin(p: &mut Planner, host: NodeId, vnic: PortId) {
    let r = RuleSpec::new(
        vec![
            Match::is(Test::OutPort(vec![vnic])),
            Match::is(Test::SrcLocal),
            Match::is(Test::CtStatus(CtStatus::DNAT)),
        ],
        Target::Masquerade { ports: None },
    )
    .comment("the host's own connection to a published port: the container sees the host vNIC");
    let place = nat(WINNAT, TAG_WINNAT, "POSTROUTING", Hook::Postrouting);
    p.rule(host, &place, r);
}

fn dnat_to(inside: SocketAddrV4) -> Target {
    Target::Dnat {
        to: vec![NatTo {
            addr: *inside.ip(),
            ports: Some((inside.port(), inside.port())),
        }],
        balance: Balance::RoundRobin,
    }
}

/// A published port: a static mapping of `outside_port` on the host's addresses (arriving by
/// one of `outside`, and with `local_hairpin` also from the host itself) to `inside`.
#[allow(clippy::too_many_arguments)]
pub fn static_mapping(
    p: &mut Planner,
    host: NodeId,
    proto: u8,
    outside_port: u16,
    inside: SocketAddrV4,
    endpoint: &str,
    outside: &[PortId],
    local_hairpin: bool,
) {
    let comment = mapping_name(proto, outside_port, inside, endpoint);
    let service = [
        Match::is(Test::Proto(vec![proto])),
        Match::is(Test::DstPort(outside_port, outside_port)),
    ];
    let mut inbound = vec![
        Match::is(Test::InPort(outside.to_vec())),
        Match::is(Test::DstLocal { in_port_only: true }),
    ];
    inbound.extend(service.iter().cloned());
    let r = RuleSpec::new(inbound, dnat_to(inside)).comment(comment.clone());
    p.rule(
        host,
        &nat(WINNAT, TAG_WINNAT, "PREROUTING", Hook::Prerouting),
        r,
    );
    if local_hairpin {
        let mut own = vec![Match::is(Test::DstLocal {
            in_port_only: false,
        })];
        own.extend(service);
        let r = RuleSpec::new(own, dnat_to(inside)).comment(comment);
        p.rule(host, &nat(WINNAT, TAG_WINNAT, "OUTPUT", Hook::Output), r);
    }
}

/// How traces name a static mapping: "static mapping 8080/tcp -> 172.20.0.5:80 (web)".
fn mapping_name(proto: u8, outside_port: u16, inside: SocketAddrV4, endpoint: &str) -> String {
    format!(
        "static mapping {outside_port}/{} -> {inside} ({endpoint})",
        proto_name(proto)
    )
}

// ----- VFP's NAT layers on an external vSwitch -----

/// An endpoint's OutboundNAT policy on the vSwitch `switch` (named `switch_name`): its
/// packets to destinations outside `exceptions` leave by the uplink with the host's address;
/// ICMP has no rule and is dropped.
#[allow(clippy::too_many_arguments)]
pub fn vfp_outbound_nat(
    p: &mut Planner,
    switch: NodeId,
    endpoint: &str,
    ip: Ipv4Addr,
    uplink: PortId,
    host_ip: Ipv4Addr,
    exceptions: &[Ipv4Network],
) {
    let place = nat(
        VFP_OUTBOUND_NAT,
        TAG_VFP_NAT,
        "POSTROUTING",
        Hook::Postrouting,
    );
    let me = Ipv4Network::new(ip, 32).expect("a /32 is a valid prefix");
    let instance = format!("OutBoundNAT ({endpoint})");
    let mut matches = vec![
        Match::is(Test::Src(vec![me])),
        Match::is(Test::OutPort(vec![uplink])),
    ];
    if !exceptions.is_empty() {
        matches.push(Match::not(Test::Dst(exceptions.to_vec())));
    }
    let mut icmp = matches.clone();
    icmp.push(Match::is(Test::Proto(vec![IPPROTO_ICMP])));
    let r = RuleSpec::new(icmp, Target::Drop).comment(no_icmp_rule(&instance));
    p.rule(switch, &place, r);
    let to = NatTo {
        addr: host_ip,
        ports: None,
    };
    let r = RuleSpec::new(matches, Target::Snat { to })
        .comment(format!("dynamic source NAT for {me} ({instance})"));
    p.rule(switch, &place, r);
}

/// An endpoint's port map on `switch` (VFP's NAT layer of the vSwitch named `switch_name`,
/// or of an overlay in the host stack): `outside_port` on the host's address, arriving by
/// the uplink (the management NIC), goes to `inside`.
#[allow(clippy::too_many_arguments)]
pub fn vfp_port_map(
    p: &mut Planner,
    switch: NodeId,
    switch_name: &str,
    proto: u8,
    outside_port: u16,
    inside: SocketAddrV4,
    endpoint: &str,
    uplink: PortId,
    host_ip: Ipv4Addr,
) {
    let host = Ipv4Network::new(host_ip, 32).expect("a /32 is a valid prefix");
    let r = RuleSpec::new(
        vec![
            Match::is(Test::InPort(vec![uplink])),
            Match::is(Test::Dst(vec![host])),
            Match::is(Test::Proto(vec![proto])),
            Match::is(Test::DstPort(outside_port, outside_port)),
        ],
        dnat_to(inside),
    )
    .comment(mapping_name(proto, outside_port, inside, endpoint));
    let table = format!("VFP ({switch_name}) NAT");
    let place = nat(&table, TAG_VFP_NAT, "PREROUTING", Hook::Prerouting);
    p.rule(switch, &place, r);
}

// ----- the Windows Firewall of a container compartment -----

/// The label of a compartment's firewall table (one per compartment, whoever shares it).
const TAG_FIREWALL: &str = "compartment-firewall";

/// The firewall of a container compartment, by Windows version and isolation (reference
/// section 6): inbound by the version's default, outbound allowing all. Windows Filtering Platform: a block rule beats an allow rule, so
/// allow rules come after the default's decision for the protocols it admits; replies to
/// the compartment's own connections are let in by connection state. Returns the table's
/// name: the compartment's existing firewall if it has one (a container on several networks,
/// or the second endpoint of a Server 2016 overlay container), else a new one named after
/// `container`.
pub fn compartment_firewall(
    rules: &mut Ruleset,
    container: &str,
    version: WindowsVersion,
    hyperv: bool,
) -> String {
    if let Some(t) = rules.table_tagged(TAG_FIREWALL) {
        return t.name.clone();
    }
    let table = format!("Windows Firewall (compartment of {container})");
    let (allowed, default): (Option<Vec<u8>>, String) = match (hyperv, version.inbound_unsolicited_allowed()) {
        (true, _) => (
            None,
            "default inbound: allow all (Hyper-V isolation: the utility VM's own firewall)".into(),
        ),
        (false, true) => (
            Some(vec![IPPROTO_ICMP, 2, IPPROTO_TCP, IPPROTO_UDP]),
            "default inbound: allow unsolicited TCP, UDP, ICMP and IGMP, block all else (Windows Server 1709 and later)".into(),
        ),
        (false, false) => (
            Some(Vec::new()),
            format!("default inbound: block all ({})", version.display_name()),
        ),
    };
    rules.ensure_table(&table, TableKind::Filter);
    ok(rules.set_tag(&table, TAG_FIREWALL));
    ok(rules.ensure_base_chain(&table, "INPUT", Hook::Input, Policy::Drop(default)));
    // Outbound the default is to allow everything, in the compartment and in a utility VM
    // (reference section 6). Written as a rule so that a listing says so.
    ok(rules.ensure_base_chain(&table, "OUTPUT", Hook::Output, Policy::Accept));
    let allow_out = RuleSpec::new(vec![], Target::Accept).comment("default outbound: allow all");
    ok(rules.append(&table, "OUTPUT", allow_out));
    let Some(allowed) = allowed else {
        ok(rules.append(&table, "INPUT", RuleSpec::new(vec![], Target::Accept)));
        return table;
    };
    // Packets of connections already let in or opened from inside (WFP authorizes a flow
    // once), and ICMP errors about them, for the protocols the default blocks.
    let established = CtStates::ESTABLISHED.union(CtStates::RELATED);
    let mut reply = vec![Match::is(Test::CtState(established))];
    if !allowed.is_empty() {
        reply.insert(0, Match::not(Test::Proto(allowed.clone())));
    }
    ok(rules.append(&table, "INPUT", RuleSpec::new(reply, Target::Accept)));
    if !allowed.is_empty() {
        let default = RuleSpec::new(vec![Match::is(Test::Proto(allowed))], Target::Accept);
        ok(rules.append(&table, "INPUT", default));
    }
    table
}

/// A named allow rule in the firewall `table` of compartment `node`, shown in traces.
#[allow(clippy::too_many_arguments)]
pub fn firewall_allow(
    p: &mut Planner,
    node: NodeId,
    table: &str,
    name: &str,
    proto: Option<u8>,
    local_port: Option<u16>,
    remote: Option<Ipv4Network>,
) {
    let mut m = Vec::new();
    if let Some(proto) = proto {
        m.push(Match::is(Test::Proto(vec![proto])));
    }
    if let Some(port) = local_port {
        m.push(Match::is(Test::DstPort(port, port)));
    }
    if let Some(net) = remote {
        m.push(Match::is(Test::Src(vec![net])));
    }
    let r = RuleSpec::new(m, Target::Accept)
        .comment(format!("rule \"{name}\""))
        .shown();
    let place = Place {
        table: table.to_string(),
        kind: TableKind::Filter,
        tag: None,
        chain: "INPUT".to_string(),
        hook: None,
    };
    p.rule(node, &place, r);
}

// ----- the container host's own Windows Defender Firewall -----

/// The label of a host's firewall table.
const TAG_HOST_FIREWALL: &str = "host-firewall";

/// One inbound allow rule of a host's firewall: its name as `Get-NetFirewallRule` shows it,
/// the protocol and the local port it admits (`None`: every port, or ICMP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostAllow {
    pub name: String,
    pub proto: u8,
    pub port: Option<u16>,
}

/// A container host's own Windows Defender Firewall, with Windows Server's defaults: every
/// profile blocks inbound connections that no rule allows and allows all outbound ones
/// (Microsoft, "Best practices for configuring Windows Defender Firewall": keep the default
/// Block for inbound, Allow for outbound); echo requests are not allowed until the
/// "File and Printer Sharing (Echo Request - ICMPv4-In)" rule is enabled. A blocked packet is
/// dropped without an answer (no RST, no ICMP unreachable). Answers to the host's own
/// connections, and ICMP errors about them, come in by connection state (WFP authorizes a
/// flow once); the host's traffic to itself is not filtered. `allow` are the rules the
/// host's services and its administrator added; they are shown in traces.
pub fn host_firewall(rules: &mut Ruleset, host: &str, allow: &[HostAllow]) {
    let table = host_firewall_name(host);
    rules.ensure_table(&table, TableKind::Filter);
    ok(rules.set_tag(&table, TAG_HOST_FIREWALL));
    let block = Policy::Drop(
        "default inbound: block (Windows Defender Firewall, every profile: no rule allows it)"
            .into(),
    );
    ok(rules.ensure_base_chain(&table, "INPUT", Hook::Input, block));
    let established = CtStates::ESTABLISHED.union(CtStates::RELATED);
    let replies = RuleSpec::new(vec![Match::is(Test::CtState(established))], Target::Accept)
        .comment("answers to the host's own connections");
    ok(rules.append(&table, "INPUT", replies));
    let own = RuleSpec::new(vec![Match::is(Test::SrcLocal)], Target::Accept)
        .comment("the host's own traffic to itself is not filtered");
    ok(rules.append(&table, "INPUT", own));
    for a in allow {
        let mut m = vec![Match::is(Test::Proto(vec![a.proto]))];
        if let Some(port) = a.port {
            m.push(Match::is(Test::DstPort(port, port)));
        }
        let r = RuleSpec::new(m, Target::Accept)
            .comment(format!("rule \"{}\"", a.name))
            .shown();
        ok(rules.append(&table, "INPUT", r));
    }
    ok(rules.ensure_base_chain(&table, "OUTPUT", Hook::Output, Policy::Accept));
    let out = RuleSpec::new(vec![], Target::Accept).comment("default outbound: allow");
    ok(rules.append(&table, "OUTPUT", out));
}

/// The name of host `host`'s firewall table.
fn host_firewall_name(host: &str) -> String {
    format!("Windows Defender Firewall (host {host})")
}

/// The rules of a host service: what its installer adds, e.g. "TCP 80 in (the host's
/// service)".
pub fn host_service_allow(proto: u8, port: u16) -> HostAllow {
    HostAllow {
        name: format!(
            "{} {port} in (the host's service)",
            proto_name(proto).to_ascii_uppercase()
        ),
        proto,
        port: Some(port),
    }
}

/// The built-in rule that lets `ping` in, enabled.
pub fn echo_request_allow() -> HostAllow {
    HostAllow {
        name: "File and Printer Sharing (Echo Request - ICMPv4-In)".into(),
        proto: IPPROTO_ICMP,
        port: None,
    }
}

/// A rule an administrator added for `proto` `port`.
pub fn admin_allow(proto: u8, port: u16) -> HostAllow {
    HostAllow {
        name: format!("Allow {} {port} in", proto_name(proto).to_ascii_uppercase()),
        proto,
        port: Some(port),
    }
}

/// Whether the host `rules` belong to has its firewall on (HNS then adds its own rules).
pub fn host_has_firewall(rules: &Ruleset) -> bool {
    rules.table_tagged(TAG_HOST_FIREWALL).is_some()
}

fn host_firewall_place(host: &str) -> Place {
    Place {
        table: host_firewall_name(host),
        kind: TableKind::Filter,
        tag: None,
        chain: "INPUT".to_string(),
        hook: None,
    }
}

/// The host firewall rules HNS adds for a network whose host-side interfaces are `ifaces`:
/// DNS (docker's embedded resolver at the gateway) and DHCP from its endpoints, as HNS and
/// ICS do for their internal switches (docker/for-win#12517, reference section 6).
pub fn host_firewall_network(p: &mut Planner, host: &HostNodes, ifaces: &[PortId], net: &str) {
    if ifaces.is_empty() {
        return;
    }
    let place = host_firewall_place(&host.host);
    for (proto, port, what) in [
        (IPPROTO_UDP, 53, "DNS"),
        (IPPROTO_TCP, 53, "DNS"),
        (IPPROTO_UDP, 67, "DHCP"),
    ] {
        let r = RuleSpec::new(
            vec![
                Match::is(Test::InPort(ifaces.to_vec())),
                Match::is(Test::Proto(vec![proto])),
                Match::is(Test::DstPort(port, port)),
            ],
            Target::Accept,
        )
        .comment(format!("HNS: {what} for the endpoints of {net}"));
        p.rule(host.stack, &place, r);
    }
}

/// VFP takes an overlay's VXLAN (UDP 4789) off the wire in the vSwitch, before the host's
/// firewall sees it; here the host stack decapsulates, so its firewall lets it by on `nic`.
pub fn host_firewall_vxlan(p: &mut Planner, host: &HostNodes, nic: PortId, net: &str) {
    let r = RuleSpec::new(
        vec![
            Match::is(Test::InPort(vec![nic])),
            Match::is(Test::Proto(vec![IPPROTO_UDP])),
            Match::is(Test::DstPort(
                crate::wire::VXLAN_PORT,
                crate::wire::VXLAN_PORT,
            )),
        ],
        Target::Accept,
    )
    .comment(format!(
        "VFP: VXLAN of {net} (decapsulated in the vSwitch, before the host's firewall)"
    ));
    p.rule(host.stack, &host_firewall_place(&host.host), r);
}
