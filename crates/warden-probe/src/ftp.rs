//! An FTP login (RFC 959): `USER`, then `PASS` when asked; 230 is a
//! session, 530 a refusal.

use crate::creds::{Attempt, Credential};
use crate::io::{plain, read_until};
use crate::scope::Scope;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The code of the last complete reply in `b` ("230 ok\r\n", or the last
/// line of a "230-...\r\n230 ok\r\n" multi-line reply).
pub fn reply_code(b: &[u8]) -> Option<u16> {
    let t = String::from_utf8_lossy(b);
    if !t.ends_with('\n') {
        return None;
    }
    t.lines().rev().find_map(|l| {
        let code = l.get(..3)?.parse::<u16>().ok()?;
        (l.as_bytes().get(3) == Some(&b' ') || l.len() == 3).then_some(code)
    })
}

fn command(s: &mut TcpStream, line: &str, timeout: Duration) -> Option<u16> {
    s.write_all(format!("{line}\r\n").as_bytes()).ok()?;
    reply(s, timeout)
}

fn reply(s: &mut TcpStream, timeout: Duration) -> Option<u16> {
    let mut buf = Vec::new();
    // A refusal may come after a delay.
    let deadline = Instant::now() + timeout * 2 + Duration::from_secs(3);
    read_until(s, &mut buf, deadline, 16 << 10, &mut plain, &|b| {
        reply_code(b).is_some()
    });
    reply_code(&buf)
}

pub fn attempt(scope: &Scope, addr: SocketAddr, c: &Credential, timeout: Duration) -> Attempt {
    let mut s = match scope.open(addr, timeout) {
        Ok(s) => s,
        Err(e) => return Attempt::Error(e),
    };
    let _ = s.set_write_timeout(Some(timeout));
    match reply(&mut s, timeout) {
        Some(220) => {}
        Some(c) => return Attempt::Error(format!("greeting {c}, not 220")),
        None => return Attempt::Error("no FTP greeting".into()),
    }
    let r = match command(&mut s, &format!("USER {}", c.user), timeout) {
        Some(331) | Some(332) => command(&mut s, &format!("PASS {}", c.password), timeout),
        other => other,
    };
    let _ = s.write_all(b"QUIT\r\n");
    match r {
        Some(230) => Attempt::Accepted,
        Some(530) | Some(331) | Some(332) | Some(430) => Attempt::Rejected,
        Some(421) => Attempt::Error("421: service closing".into()),
        Some(c) => Attempt::Error(format!("unexpected reply {c}")),
        None => Attempt::Error("no reply".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_codes_of_single_and_multi_line_replies() {
        assert_eq!(reply_code(b"220 ready\r\n"), Some(220));
        assert_eq!(reply_code(b"230-Welcome\r\n"), None);
        assert_eq!(reply_code(b"230-Welcome\r\n more\r\n230 ok\r\n"), Some(230));
        assert_eq!(reply_code(b"530 Login incorrect."), None);
        assert_eq!(reply_code(b"hello\r\n"), None);
    }
}
