//! A hostile capture file all the way down: what the capture reader yields
//! (timestamps included, clamped at that boundary) goes through the
//! analyzer, every detector at its lowest thresholds, the clock-driven flow
//! expiry the gateway uses, and the report. No step may panic or overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_analyze::{Analyzer, Options};
use warden_detect::{Engine, Record, Thresholds};

fuzz_target!(|data: &[u8]| {
    let Ok(mut src) = warden_capture::open_reader(std::io::Cursor::new(data.to_vec())) else {
        return;
    };
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
    let opts = warden_detect::Options {
        thresholds: t,
        record: Record::All,
        ..Default::default()
    };
    let mut a = Analyzer::with_sink(Options::default(), Engine::new(opts));
    let mut last = 0i64;
    while let Ok(Some(p)) = src.next_packet() {
        assert!((0..=warden_capture::MAX_TS_NS).contains(&p.ts_nanos));
        last = p.ts_nanos;
        a.observe(&p);
    }
    a.tick(last);
    a.tick(warden_capture::MAX_TS_NS);
    let (report, _engine) = a.finish_with_sink();
    let _ = serde_json::to_string(&report);
});
