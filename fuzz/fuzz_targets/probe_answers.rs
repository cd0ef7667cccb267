//! What a hostile device says back to the probe: Telnet negotiation, FTP
//! replies, HTTP answers and pages (login forms, admin pages), DNS answer
//! headers, and credential lists. None may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_probe::{creds, ftp, http, telnet, udp};

fuzz_target!(|data: &[u8]| {
    let mut text = Vec::new();
    let mut reply = Vec::new();
    let mut n = telnet::Negotiator::default();
    n.feed(data, &mut text, &mut reply);
    assert!(text.len() <= data.len());
    let _ = ftp::reply_code(data);
    let _ = udp::dns_answer_header(u16::from_be_bytes([0, 1]), data);
    if let Some(r) = http::parse_response(data) {
        let _ = http::wants_basic(&r);
        let _ = http::open_admin_page(80, "/", &r);
        if let Some(f) = http::find_login_form(&r.body) {
            let t: std::net::SocketAddr = "192.0.2.1:80".parse().unwrap();
            if let Some(p) = http::resolve_action("/", &f.action, &t) {
                assert!(p.starts_with('/'));
            }
        }
    }
    let s = String::from_utf8_lossy(data);
    let _ = http::find_login_form(&s);
    let _ = http::has_password_field(&s);
    let _ = creds::parse_csv(&s, "fuzz");
});
