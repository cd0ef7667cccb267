//! What the gateway reads from outside: its configuration file (TOML), and
//! DNS messages from the LAN as the trust guard judges them (a question,
//! then the same bytes as an answer from the trusted resolver). None may
//! panic; bindings name only the question and stay within their cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_gateway::config::Config;
use warden_gateway::trust::{chain_bindings, Datagram, DnsGuard, Trust, MAX_BINDINGS};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(c) = Config::parse(s) {
            for kind in warden_detect::Kind::ALL {
                let _ = c
                    .quarantine
                    .quarantines(kind, warden_detect::Severity::High);
            }
            let _ = c.dns.clamp(u32::MAX);
        }
    }
    if let Ok(m) = warden_wire::dns::parse(data) {
        if let Some((q, _)) = m.questions.first() {
            let b = chain_bindings(q, &m);
            assert!(b.len() <= MAX_BINDINGS);
            let asked = q.trim_end_matches('.').to_ascii_lowercase();
            assert!(b.iter().all(|(n, _, _)| *n == asked));
        }
        let gw = [2, 0, 0, 0, 0, 1];
        let trust = Trust {
            gateway_macs: [gw].into_iter().collect(),
            resolvers: vec!["10.0.0.1".parse().unwrap()],
            dhcp_servers: vec![],
        };
        let ask = Datagram {
            src_mac: Some([2, 0, 0, 0, 0, 9]),
            src: "10.0.0.9".parse().unwrap(),
            src_port: 4000,
            dst: "10.0.0.1".parse().unwrap(),
            dst_port: 53,
        };
        let reply = Datagram {
            src_mac: Some(gw),
            src: ask.dst,
            src_port: 53,
            dst: ask.src,
            dst_port: 4000,
        };
        let mut g = DnsGuard::default();
        let mut q = m.clone();
        q.response = false;
        g.query(&trust, &ask, &q, 0);
        let _ = g.answer(&trust, &reply, &m, 1);
        g.expire(i64::MAX);
        assert_eq!(g.waiting(), 0);
    }
});
