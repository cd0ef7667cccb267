//! Cleartext credentials on the LAN: a Telnet login (the server prompts for
//! a password, the client answers), FTP `PASS`, and HTTP
//! `Authorization: Basic`. Only the fact is kept:
//! never the user name or the password.
//!
//! The client that sends them is the source; a local server that accepts
//! them is the target (a Telnet login on the device is how Mirai gets in).

use super::{detection, sample, Pkt};
use crate::alert::{Detection, Kind, Role};
use crate::common::{contains_ci, DevKey};
use std::collections::HashSet;
use std::net::IpAddr;
use warden_wire::{Net, Transport};

type Conn = (IpAddr, u16, IpAddr, u16);

#[derive(Default)]
pub struct Creds {
    /// Telnet connections whose server asked for a password: (server, client).
    prompted: HashSet<Conn>,
    /// Connections already reported.
    seen: HashSet<Conn>,
}

const MAX: usize = 1 << 14;

impl Creds {
    pub fn packet(&mut self, p: &Pkt<'_>, out: &mut Vec<Detection>) {
        let d = p.ev.decoded;
        let Net::Ip(ip) = &d.net else { return };
        let Transport::Tcp(t) = ip.transport else {
            return;
        };
        let pl = t.payload;
        if pl.is_empty() {
            return;
        }
        let what = if matches!(t.src_port, 23 | 2323) {
            if contains_ci(pl, b"password:") && self.prompted.len() < MAX {
                self.prompted
                    .insert((ip.src, t.src_port, ip.dst, t.dst_port));
            }
            return;
        } else if matches!(t.dst_port, 23 | 2323) {
            if !self
                .prompted
                .contains(&(ip.dst, t.dst_port, ip.src, t.src_port))
            {
                return;
            }
            "a Telnet password"
        } else if t.dst_port == 21 && pl.len() > 5 && pl[..5].eq_ignore_ascii_case(b"PASS ") {
            "an FTP password"
        } else if is_request(pl) && has_basic_auth(pl) {
            "an HTTP Basic password"
        } else {
            return;
        };
        let conn = (ip.dst, t.dst_port, ip.src, t.src_port);
        if self.seen.len() >= MAX || !self.seen.insert(conn) {
            return;
        }
        let (client_local, server_local) = (p.ev.src_local, p.ev.dst_local);
        let ev = vec![sample(6, ip.src, t.src_port, ip.dst, t.dst_port, p.ts)];
        let text = format!(
            "{} sent {what} to {} port {} unencrypted; anyone on the network path can read it (warden keeps neither name nor password).",
            ip.src, ip.dst, t.dst_port
        );
        if client_local || !server_local {
            out.push(detection(
                Kind::CleartextCredentials,
                DevKey::src(d, ip.src),
                Role::Source,
                p.ts,
                p.ts,
                text.clone(),
                &[],
                ev.clone(),
            ));
        }
        if server_local {
            out.push(detection(
                Kind::CleartextCredentials,
                DevKey::dst(d, ip.dst),
                Role::Target,
                p.ts,
                p.ts,
                format!("{text} The device accepts logins in cleartext."),
                &[],
                ev,
            ));
        }
    }
}

/// An HTTP request line's method.
fn is_request(p: &[u8]) -> bool {
    const METHODS: [&[u8]; 7] = [
        b"GET ",
        b"POST ",
        b"PUT ",
        b"HEAD ",
        b"DELETE ",
        b"PATCH ",
        b"OPTIONS ",
    ];
    METHODS.iter().any(|m| p.starts_with(m))
}

/// An `Authorization: Basic` header among the request's header lines (the
/// head only, line by line: linear in the head's length).
fn has_basic_auth(p: &[u8]) -> bool {
    const H: &[u8] = b"authorization:";
    for line in p.split(|&b| b == b'\n').skip(1) {
        if line.is_empty() || line == b"\r" {
            return false; // the end of the head
        }
        if line.len() > H.len() && line[..H.len()].eq_ignore_ascii_case(H) {
            let v = line[H.len()..].trim_ascii_start();
            return v.len() >= 6 && v[..6].eq_ignore_ascii_case(b"basic ");
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_in_the_head_only() {
        assert!(has_basic_auth(
            b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n"
        ));
        assert!(has_basic_auth(
            b"GET / HTTP/1.1\r\nauthorization:basic YQ==\r\n\r\n"
        ));
        assert!(!has_basic_auth(
            b"GET / HTTP/1.1\r\nAuthorization: Bearer x\r\n\r\n"
        ));
        assert!(!has_basic_auth(
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\nAuthorization: Basic YQ==\r\n"
        ));
        assert!(is_request(b"POST /login HTTP/1.1\r\n"));
        assert!(!is_request(b"HTTP/1.1 200 OK\r\n"));
    }
}
