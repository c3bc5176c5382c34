//! Docker Engine releases on a Linux host, every name each one goes by, and the behaviours
//! that differ between them (reference: linux-drivers.md section 10).
//!
//! `DockerEngine` is the one list of engine releases hnsim models, as `WindowsVersion` is of
//! Windows Server releases. Each variant stands for a column of the reference's table: the
//! scenario file's name (serde: `Linux(engine: V28)`), the command line's (clap: `v28`) and
//! the report's (`Docker Engine 28`). A behaviour that differs between releases is a method
//! here, named after what it decides, never a comparison of versions elsewhere.

use crate::control::libnetwork::pools::PoolOrder;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

// No doc comments on the variants: clap would print them as help for each value.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ValueEnum,
    strum::Display,
    strum::IntoStaticStr,
)]
pub enum DockerEngine {
    // Debian 12's docker.io, the real daemon hnsim's Linux fixtures were recorded with; it
    // stands for the reference's "≤ v24" column.
    #[value(name = "v20.10", alias = "20.10")]
    #[strum(to_string = "Docker Engine 20.10")]
    V20_10,
    #[value(name = "v27", alias = "27")]
    #[strum(to_string = "Docker Engine 27")]
    V27,
    // v28.1 to v28.5: the DOCKER-FORWARD chains, no isolation change yet.
    #[value(name = "v28", alias = "28")]
    #[strum(to_string = "Docker Engine 28")]
    V28,
    // The newest release, and the default.
    #[default]
    #[value(name = "v29", alias = "29")]
    #[strum(to_string = "Docker Engine 29")]
    V29,
}

impl DockerEngine {
    /// Every release, oldest first.
    pub fn all() -> &'static [DockerEngine] {
        Self::value_variants()
    }

    /// The name on the command line, e.g. `v28`.
    pub fn cli_name(self) -> String {
        self.to_possible_value()
            .expect("no release is skipped on the command line")
            .get_name()
            .to_string()
    }

    /// The name in reports, e.g. `Docker Engine 28` (the same as `Display`).
    pub fn display_name(self) -> &'static str {
        self.into()
    }

    /// How the default IPAM picks a subnet: rotating up to v26, lowest free from v27.
    pub fn pool_order(self) -> PoolOrder {
        if self >= DockerEngine::V27 {
            PoolOrder::LowestFree
        } else {
            PoolOrder::Rotating
        }
    }

    /// Bridge (and macvlan) endpoints get `02:42:` and the IPv4 address as MAC up to v27,
    /// a random locally administered one from v28.
    pub fn mac_from_ip(self) -> bool {
        self < DockerEngine::V28
    }

    /// From v28, whose MACs are random, a container's interface announces its address when
    /// it is configured (unsolicited ARP, the bridge driver's `advertise_addr_nmsgs`): a
    /// neighbour that cached the MAC of the endpoint the address had before updates it.
    pub fn advertises_endpoint_addresses(self) -> bool {
        !self.mac_from_ip()
    }

    /// `DOCKER-ISOLATION-STAGE-1/2` separate bridge networks up to v28; v29 drops them.
    pub fn isolation_chains(self) -> bool {
        self < DockerEngine::V29
    }

    /// `DOCKER-FORWARD`, `DOCKER-CT` and `DOCKER-BRIDGE` hold the bridge rules from v28.1.
    pub fn forward_chains(self) -> bool {
        self >= DockerEngine::V28
    }

    /// Unpublished ports are dropped (`DOCKER ! -i br -o br -j DROP`) and direct routing to
    /// container addresses is blocked in the raw table from v28.
    pub fn drops_direct_access(self) -> bool {
        self >= DockerEngine::V28
    }

    /// Containers started without `--name` are found by their generated name from v25.
    pub fn resolves_generated_names(self) -> bool {
        self > DockerEngine::V20_10
    }

    /// The embedded DNS forwards unknown names from a container whose networks are all
    /// internal: recorded on 20.10 (oracle contradiction #2); from v25 it answers SERVFAIL
    /// (moby `sandbox.go` `hasExternalAccess`, reference section 7).
    pub fn forwards_dns_from_internal_networks(self) -> bool {
        self == DockerEngine::V20_10
    }

    /// `invalid network config:` validation of IPAM settings, from v25.
    pub fn validates_ipam_config(self) -> bool {
        self > DockerEngine::V20_10
    }

    /// The "failed to set up container networking:" prefix on start errors, from v28.1.
    pub fn networking_error_prefix(self) -> bool {
        self >= DockerEngine::V28
    }

    /// The active-endpoints error names the containers (`(name:"c" id:"…")`) from v28.1.
    pub fn names_active_endpoints(self) -> bool {
        self >= DockerEngine::V28
    }

    /// The docker CLI shipped with the engine is 20.10's, whose words differ from today's
    /// (`docker::cli::CliRelease`).
    pub fn ships_cli_20_10(self) -> bool {
        self == DockerEngine::V20_10
    }

    /// Up to v24 an endpoint on an internal network has the bridge's gateway (and the
    /// container a default route through it when no other network gives one): contradiction
    /// #1 of tests/oracle/README.md. Later releases give internal networks no gateway.
    pub fn internal_networks_have_gateway(self) -> bool {
        self == DockerEngine::V20_10
    }

    /// `docker run --network a --network b` joins both from v25 (API 1.44); the 20.10
    /// daemon refuses more than one network at create.
    pub fn several_networks_at_create(self) -> bool {
        self > DockerEngine::V20_10
    }

    /// 20.10 lets `-o com.docker.network.bridge.name=docker0` take the default bridge's
    /// device over (contradiction #10); later releases are taken to refuse it as a bridge
    /// name conflict, as the reference says.
    pub fn user_network_takes_docker0(self) -> bool {
        self == DockerEngine::V20_10
    }

    /// Bridge networks' `network inspect` shows `EnableIPv4` from v28.0 (API 1.48).
    pub fn shows_enable_ipv4(self) -> bool {
        self >= DockerEngine::V28
    }

    /// Up to v24 the daemon adds the container's short ID to its aliases on user-defined
    /// networks; from v25 the short ID is in `DNSNames` instead.
    pub fn short_id_alias(self) -> bool {
        self == DockerEngine::V20_10
    }

    /// `--ip` is allowed on a user network without a configured subnet from v29.1.
    pub fn ip_without_configured_subnet(self) -> bool {
        self >= DockerEngine::V29
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each release's three names, as scenario files, the command line and reports use them.
    #[test]
    fn every_release_has_its_three_names() {
        let names: Vec<(String, String, String)> = DockerEngine::all()
            .iter()
            .map(|v| {
                let ron = ron::to_string(v).expect("a unit variant serializes");
                (ron, v.cli_name(), v.to_string())
            })
            .collect();
        let expected: Vec<(String, String, String)> = [
            ("V20_10", "v20.10", "Docker Engine 20.10"),
            ("V27", "v27", "Docker Engine 27"),
            ("V28", "v28", "Docker Engine 28"),
            ("V29", "v29", "Docker Engine 29"),
        ]
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
        assert_eq!(names, expected);
        for &v in DockerEngine::all() {
            assert_eq!(
                ron::from_str::<DockerEngine>(&ron::to_string(&v).unwrap()),
                Ok(v)
            );
            assert_eq!(DockerEngine::from_str(&v.cli_name(), false), Ok(v));
        }
        assert_eq!(DockerEngine::default(), DockerEngine::V29);
    }

    /// The reference's version table, row by row (section 10).
    #[test]
    fn behaviours_follow_the_reference_table() {
        use DockerEngine::*;
        let row = |f: fn(DockerEngine) -> bool| -> Vec<bool> {
            DockerEngine::all().iter().map(|v| f(*v)).collect()
        };
        assert_eq!(row(DockerEngine::mac_from_ip), [true, true, false, false]);
        assert_eq!(
            row(DockerEngine::isolation_chains),
            [true, true, true, false]
        );
        assert_eq!(
            row(DockerEngine::forward_chains),
            [false, false, true, true]
        );
        assert_eq!(
            row(DockerEngine::drops_direct_access),
            [false, false, true, true]
        );
        assert_eq!(
            row(DockerEngine::resolves_generated_names),
            [false, true, true, true]
        );
        assert_eq!(
            row(DockerEngine::internal_networks_have_gateway),
            [true, false, false, false]
        );
        assert_eq!(
            row(DockerEngine::several_networks_at_create),
            [false, true, true, true]
        );
        assert_eq!(
            row(DockerEngine::shows_enable_ipv4),
            [false, false, true, true]
        );
        assert_eq!(
            row(DockerEngine::short_id_alias),
            [true, false, false, false]
        );
        assert_eq!(V20_10.pool_order(), PoolOrder::Rotating);
        assert_eq!(V27.pool_order(), PoolOrder::LowestFree);
    }
}
