//! Windows Server releases and the behaviours that differ between them
//! (reference: windows-drivers.md section 8).

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum WindowsVersion {
    Server2016,
    Server2019,
    Server2022,
    Server2025,
}

impl WindowsVersion {
    pub fn build(self) -> u32 {
        match self {
            WindowsVersion::Server2016 => 14393,
            WindowsVersion::Server2019 => 17763,
            WindowsVersion::Server2022 => 20348,
            WindowsVersion::Server2025 => 26100,
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            WindowsVersion::Server2016 => "Windows Server 2016",
            WindowsVersion::Server2019 => "Windows Server 2019",
            WindowsVersion::Server2022 => "Windows Server 2022",
            WindowsVersion::Server2025 => "Windows Server 2025",
        }
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
}
