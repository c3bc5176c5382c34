//! Windows Server releases, every name each one goes by, and the behaviours that differ
//! between them (reference: windows-drivers.md section 8).
//!
//! `WindowsVersion` is the one list of releases. Each variant carries its three names: the
//! scenario file's (serde: `os: WindowsServer2022`), the command line's (clap:
//! `hnsim matrix --os windows-server-2022`) and the report's (`Display`: `Windows Server
//! 2022`). A new release is one new variant here, with its names and its build number.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

// No doc comments on the variants: clap would print them as help for each `--os` value.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ValueEnum,
    strum::Display,
    strum::IntoStaticStr,
)]
pub enum WindowsVersion {
    #[serde(rename = "WindowsServer2016")]
    #[value(name = "windows-server-2016", alias = "2016")]
    #[strum(to_string = "Windows Server 2016")]
    Server2016,
    #[serde(rename = "WindowsServer2019")]
    #[value(name = "windows-server-2019", alias = "2019")]
    #[strum(to_string = "Windows Server 2019")]
    Server2019,
    // The release a host runs when its scenario names none, and `hnsim matrix`'s default.
    #[default]
    #[serde(rename = "WindowsServer2022")]
    #[value(name = "windows-server-2022", alias = "2022")]
    #[strum(to_string = "Windows Server 2022")]
    Server2022,
    #[serde(rename = "WindowsServer2025")]
    #[value(name = "windows-server-2025", alias = "2025")]
    #[strum(to_string = "Windows Server 2025")]
    Server2025,
}

impl WindowsVersion {
    /// Every release, oldest first.
    pub fn all() -> &'static [WindowsVersion] {
        Self::value_variants()
    }

    /// The name on the command line, e.g. `windows-server-2022`.
    pub fn cli_name(self) -> String {
        self.to_possible_value()
            .expect("no release is skipped on the command line")
            .get_name()
            .to_string()
    }

    pub fn build(self) -> u32 {
        match self {
            WindowsVersion::Server2016 => 14393,
            WindowsVersion::Server2019 => 17763,
            WindowsVersion::Server2022 => 20348,
            WindowsVersion::Server2025 => 26100,
        }
    }

    /// The name in reports, e.g. `Windows Server 2022` (the same as `Display`).
    pub fn display_name(self) -> &'static str {
        self.into()
    }

    /// HNS networks survive a reboot only before Server 2019 (flag EnableNonPersistent since).
    pub fn hns_networks_persist(self) -> bool {
        self == WindowsVersion::Server2016
    }

    /// From 1709 on, unsolicited inbound TCP/UDP/ICMP/IGMP is allowed into containers by
    /// default; before, the default inbound action was block.
    pub fn inbound_unsolicited_allowed(self) -> bool {
        self.build() > 16236
    }

    /// The host reaches its own published nat ports (localhost:8080) from 1803 on, not on 2016.
    pub fn host_reaches_published_ports(self) -> bool {
        self != WindowsVersion::Server2016
    }

    /// On Server 2016 every nat network must sit inside the one WinNAT internal prefix.
    pub fn single_winnat_prefix(self) -> bool {
        self == WindowsVersion::Server2016
    }

    /// Overlay endpoints reach the outside through the VFP OutboundNAT rule from 1709 (build
    /// 16236) on; before, libnetwork gave them a second endpoint on `nat` (reference 2.8).
    pub fn overlay_uses_vfp_outbound_nat(self) -> bool {
        self.build() > 16236
    }

    /// The `enable_outboundnat` network option is refused on builds up to 16236.
    pub fn outbound_nat_option_supported(self) -> bool {
        self.build() > 16236
    }

    /// l2bridge traffic between hosts across subnets is routed through the management vNIC
    /// from 1809 (Server 2019) on.
    pub fn l2bridge_routes_across_hosts(self) -> bool {
        self.build() >= 17763
    }

    /// HNS refuses a call in Win32 from 1809 (Server 2019) on, so hcsshim says
    /// `failed during hnsCallRawResponse: hnsCall failed in Win32: <message> (0x<code>)`;
    /// Server 2016's HNS answered with an error in its reply (`HNS failed with error :
    /// <message>`). Field reports of a published port in use show the two forms (reference
    /// 4.2 and 9: docker/for-win#2213 and #1755 on 2016-era hosts, Dynatrace/superdump#231
    /// and the Azure IoT Edge troubleshooting page on later ones).
    pub fn hns_refuses_in_win32(self) -> bool {
        self.build() >= 17763
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each release's three names, as scenario files, `hnsim matrix --os` and reports use them.
    #[test]
    fn every_release_has_its_three_names() {
        let names: Vec<(String, String, String)> = WindowsVersion::all()
            .iter()
            .map(|v| {
                let ron = ron::to_string(v).expect("a unit variant serializes");
                (ron, v.cli_name(), v.to_string())
            })
            .collect();
        let expected: Vec<(String, String, String)> = [2016, 2019, 2022, 2025]
            .iter()
            .map(|y| {
                (
                    format!("WindowsServer{y}"),
                    format!("windows-server-{y}"),
                    format!("Windows Server {y}"),
                )
            })
            .collect();
        assert_eq!(names, expected);
        for &v in WindowsVersion::all() {
            assert_eq!(v.display_name(), v.to_string());
            assert_eq!(
                ron::from_str::<WindowsVersion>(&ron::to_string(&v).unwrap()),
                Ok(v)
            );
            assert_eq!(WindowsVersion::from_str(&v.cli_name(), false), Ok(v));
        }
        assert_eq!(WindowsVersion::default(), WindowsVersion::Server2022);
    }
}
