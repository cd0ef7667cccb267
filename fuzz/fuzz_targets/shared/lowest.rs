//! Detector options shared by the fuzz targets that run every detector:
//! thresholds at their lowest, so that every detector's firing path runs,
//! and every flow recorded.

use warden_detect::{Record, Thresholds};

pub fn options() -> warden_detect::Options {
    let t = Thresholds {
        scan_hosts: 2,
        scan_ports: 2,
        arp_sweep_hosts: 2,
        icmp_sweep_hosts: 2,
        bruteforce_attempts: 2,
        bruteforce_failures: 1,
        flood_packets: 2,
        udp_flood_ports: 1,
        tunnel_packets: 1,
        http_requests: 1,
        reflection_packets: 1,
        reflector_packets: 1,
        dns_subdomains: 2,
        dns_tunnel_queries: 1,
        dns_tunnel_label: 1,
        dns_tunnel_name: 1,
        beacon_connections: 3,
        ..Thresholds::default()
    };
    warden_detect::Options {
        thresholds: t,
        record: Record::All,
        ..Default::default()
    }
}
