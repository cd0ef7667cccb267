//! A Telnet login, as Mirai does it: wait for the login prompt, send a
//! username and a password, and tell a shell from a refusal. Option
//! negotiation is answered with "no" to everything except echo and
//! suppress-go-ahead (RFC 854/857/858), and stripped from the text.

use crate::creds::{Attempt, Credential};
use crate::io::{contains_any, read_until};
use crate::scope::Scope;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const IAC: u8 = 255;
const WILL: u8 = 251;
const WONT: u8 = 252;
const DO: u8 = 253;
const DONT: u8 = 254;
const SB: u8 = 250;
const SE: u8 = 240;

/// Strips Telnet commands from a stream, answering option requests.
#[derive(Default)]
pub struct Negotiator {
    state: State,
}

#[derive(Default, Clone, Copy, PartialEq)]
enum State {
    #[default]
    Data,
    Iac,
    Opt(u8),
    Sub,
    SubIac,
}

impl Negotiator {
    /// Appends the text of `data` to `text`; the answers to send go to `reply`.
    pub fn feed(&mut self, data: &[u8], text: &mut Vec<u8>, reply: &mut Vec<u8>) {
        for &b in data {
            self.state = match (self.state, b) {
                (State::Data, IAC) => State::Iac,
                (State::Data, _) => {
                    text.push(b);
                    State::Data
                }
                (State::Iac, IAC) => {
                    text.push(IAC);
                    State::Data
                }
                (State::Iac, WILL | WONT | DO | DONT) => State::Opt(b),
                (State::Iac, SB) => State::Sub,
                (State::Iac, _) => State::Data,
                (State::Opt(cmd), opt) => {
                    match cmd {
                        // Echo (1) and suppress-go-ahead (3) from the server are fine.
                        WILL if opt == 1 || opt == 3 => reply.extend([IAC, DO, opt]),
                        WILL => reply.extend([IAC, DONT, opt]),
                        DO => reply.extend([IAC, WONT, opt]),
                        _ => {}
                    }
                    State::Data
                }
                (State::Sub, IAC) => State::SubIac,
                (State::Sub, _) => State::Sub,
                (State::SubIac, SE) => State::Data,
                (State::SubIac, _) => State::Sub,
            };
        }
    }
}

const USER_PROMPTS: [&str; 4] = ["login:", "username:", "user name:", "user:"];
const FAILURES: [&str; 7] = [
    "incorrect",
    "invalid",
    "failed",
    "denied",
    "wrong",
    "bad password",
    "login:",
];

fn ends_like_prompt(text: &[u8]) -> bool {
    let t = String::from_utf8_lossy(text);
    let t = t.trim_end();
    t.ends_with('#') || t.ends_with('$') || t.ends_with('>') || t.ends_with('%')
}

/// One login attempt on its own connection.
pub fn attempt(scope: &Scope, addr: SocketAddr, c: &Credential, timeout: Duration) -> Attempt {
    let mut s = match scope.open(addr, timeout) {
        Ok(s) => s,
        Err(e) => return Attempt::Error(e),
    };
    let _ = s.set_write_timeout(Some(timeout));
    let mut neg = Negotiator::default();
    let mut filter = |s: &mut TcpStream, d: &[u8], buf: &mut Vec<u8>| {
        let mut reply = Vec::new();
        neg.feed(d, buf, &mut reply);
        if !reply.is_empty() {
            let _ = s.write_all(&reply);
        }
    };
    let mut text = Vec::new();
    let deadline = Instant::now() + timeout * 4;
    let prompted = read_until(&mut s, &mut text, deadline, 16 << 10, &mut filter, &|b| {
        contains_any(b, &USER_PROMPTS) || contains_any(b, &["password:"])
    });
    if !prompted {
        return Attempt::Error("no login prompt".into());
    }
    if !contains_any(&text, &["password:"]) {
        if s.write_all(format!("{}\r\n", c.user).as_bytes()).is_err() {
            return Attempt::Error("closed after the login prompt".into());
        }
        text.clear();
        let deadline = Instant::now() + timeout * 4;
        read_until(&mut s, &mut text, deadline, 16 << 10, &mut filter, &|b| {
            contains_any(b, &["password:"]) || ends_like_prompt(b)
        });
        if !contains_any(&text, &["password:"]) {
            if contains_any(&text, &FAILURES) {
                return Attempt::Rejected;
            }
            if ends_like_prompt(&text) {
                // No password asked at all.
                return confirm(&mut s, &mut filter, timeout);
            }
            return Attempt::Error("no password prompt after the username".into());
        }
    }
    if s.write_all(format!("{}\r\n", c.password).as_bytes())
        .is_err()
    {
        return Attempt::Error("closed at the password prompt".into());
    }
    text.clear();
    // A refusal often comes only after a delay (busybox: 3 s).
    let deadline = Instant::now() + timeout * 4 + Duration::from_secs(3);
    read_until(&mut s, &mut text, deadline, 64 << 10, &mut filter, &|b| {
        contains_any(b, &FAILURES) || ends_like_prompt(b)
    });
    if contains_any(&text, &FAILURES) {
        return Attempt::Rejected;
    }
    // A prompt, or silence: ask the shell.
    confirm(&mut s, &mut filter, timeout)
}

/// Asks the shell to compute something: only a shell that runs the command
/// prints the result (an echo of our input would print the expression).
fn confirm(s: &mut TcpStream, filter: &mut crate::io::Filter, timeout: Duration) -> Attempt {
    if s.write_all(b"echo warden-probe-$((6*7))\r\n").is_err() {
        return Attempt::Rejected;
    }
    let mut text = Vec::new();
    let deadline = Instant::now() + timeout * 4;
    let ok = read_until(s, &mut text, deadline, 64 << 10, filter, &|b| {
        contains_any(b, &["warden-probe-42"]) || contains_any(b, &FAILURES)
    });
    let _ = s.write_all(b"exit\r\n");
    if ok && contains_any(&text, &["warden-probe-42"]) {
        Attempt::Accepted
    } else if ends_like_prompt(&text) && !contains_any(&text, &FAILURES) {
        // A restricted CLI (no arithmetic) that still gave a prompt.
        Attempt::Accepted
    } else {
        Attempt::Rejected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_is_answered_and_stripped() {
        let mut n = Negotiator::default();
        let (mut text, mut reply) = (Vec::new(), Vec::new());
        // WILL ECHO, DO NAWS, SB TTYPE ... SE, "lo", IAC IAC, "gin: "
        let data = [
            &[IAC, WILL, 1, IAC, DO, 31, IAC, SB, 24, 1, IAC, SE][..],
            b"lo",
            &[IAC, IAC],
            b"gin: ",
        ]
        .concat();
        // Fed byte by byte: commands may be split across reads.
        for b in &data {
            n.feed(std::slice::from_ref(b), &mut text, &mut reply);
        }
        assert_eq!(text, [&b"lo"[..], &[IAC], b"gin: "].concat());
        assert_eq!(reply, vec![IAC, DO, 1, IAC, WONT, 31]);
    }

    #[test]
    fn prompts_are_recognised() {
        assert!(ends_like_prompt(b"~ # "));
        assert!(ends_like_prompt(b"user@cam:~$ "));
        assert!(!ends_like_prompt(b"Login incorrect\r\n"));
    }
}
