//! Every threshold a detector uses, with its default. Load your own from a
//! TOML file (`warden analyze --thresholds FILE`); missing keys keep their
//! defaults, unknown keys are errors.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Thresholds {
    /// The window of scans, brute force and DNS detectors, seconds.
    pub window_s: u32,
    /// Horizontal scan: distinct hosts probed (TCP SYN) on one port.
    pub scan_hosts: u32,
    /// Vertical scan: distinct ports probed (TCP SYN) on one host.
    pub scan_ports: u32,
    /// ARP sweep: distinct addresses asked for by one MAC.
    pub arp_sweep_hosts: u32,
    /// ICMP sweep: distinct hosts sent an echo request.
    pub icmp_sweep_hosts: u32,
    /// Brute force: connections to one login service (SSH, Telnet, FTP)
    /// of one host within the window.
    pub bruteforce_attempts: u32,
    /// Brute force: failed logins seen (FTP 530, Telnet "Login incorrect",
    /// HTTP 401) from one server to one client within the window.
    pub bruteforce_failures: u32,
    /// The window of flood detectors, seconds.
    pub flood_window_s: u32,
    /// Flood: packets of one kind (SYN, ACK, UDP, ICMP echo) to one host.
    pub flood_packets: u32,
    /// Flood: at most this many packets back per hundred sent (asymmetry).
    pub flood_reply_percent: u32,
    /// UDP flood below 5 x `flood_packets`: distinct destination ports needed
    /// (random-port floods), so that a steady media stream is not a flood.
    pub udp_flood_ports: u32,
    /// GRE/IP-in-IP packets from one device (an IoT device has no tunnels).
    pub tunnel_packets: u32,
    /// HTTP requests from one device to one host (Mirai's http flood).
    pub http_requests: u32,
    /// Reflection victim: unsolicited SYN-ACKs or amplifier answers received.
    pub reflection_packets: u32,
    /// Reflector: answers from an amplifier port (SSDP, SNMP, NTP, DNS, ...)
    /// sent to the internet.
    pub reflector_packets: u32,
    /// Water torture: distinct subdomains of one domain queried.
    pub dns_subdomains: u32,
    /// DNS tunnel: queries with a label at least `dns_tunnel_label` long
    /// and a name at least `dns_tunnel_name` long.
    pub dns_tunnel_queries: u32,
    pub dns_tunnel_label: u32,
    pub dns_tunnel_name: u32,
    /// Beaconing: connections to one remote service needed to judge.
    pub beacon_connections: u32,
    /// Beaconing: median absolute deviation of the intervals, in percent of
    /// the median interval, at most.
    pub beacon_jitter_percent: u32,
    /// Beaconing: shortest median interval considered, seconds.
    pub beacon_min_interval_s: u32,
    /// Alerts of one device, kind and role within this many seconds of each
    /// other are one alert.
    pub dedup_window_s: u32,
    /// The shortest time a DNS answer binds a name to an address, seconds
    /// (the gateway keeps set elements at least this long).
    pub dns_min_ttl_s: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            window_s: 60,
            scan_hosts: 32,
            scan_ports: 32,
            arp_sweep_hosts: 32,
            icmp_sweep_hosts: 16,
            bruteforce_attempts: 8,
            bruteforce_failures: 5,
            flood_window_s: 10,
            flood_packets: 2000,
            flood_reply_percent: 10,
            udp_flood_ports: 16,
            tunnel_packets: 1000,
            http_requests: 500,
            reflection_packets: 1000,
            reflector_packets: 500,
            dns_subdomains: 40,
            dns_tunnel_queries: 10,
            dns_tunnel_label: 32,
            dns_tunnel_name: 50,
            beacon_connections: 10,
            beacon_jitter_percent: 10,
            beacon_min_interval_s: 1,
            dedup_window_s: 600,
            dns_min_ttl_s: 300,
        }
    }
}

impl Thresholds {
    pub fn from_toml(s: &str) -> Result<Thresholds, String> {
        toml::from_str(s).map_err(|e| e.to_string())
    }
}
