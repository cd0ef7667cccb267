//! Brute force on login services: many connections from one client to one
//! SSH, Telnet or FTP service within the window (SSH is also recognised by
//! its `SSH-` banner on any port), or many failed logins the server reports
//! in cleartext (FTP `530`, Telnet "Login incorrect", HTTP `401`).
//!
//! A local client makes the device the source (it attacks others, as Mirai
//! bots do on Telnet); a local server makes it the target.

use super::{detection, sample, Pkt};
use crate::alert::{Detection, Kind, Role};
use crate::common::{contains_ci, DevKey, NS};
use crate::Thresholds;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use warden_wire::{Net, TcpSegment, Transport};

/// Event times of one key: a true sliding window holding at most
/// `threshold` times. The first time is kept inline, so that keys seen
/// once (a scanner's probe of one host) cost no allocation.
struct Rate {
    first: Option<i64>,
    times: VecDeque<i64>,
    fired_until: i64,
}

type Key = (IpAddr, IpAddr, u16);

pub struct Brute {
    window_ns: i64,
    attempts: usize,
    failures: usize,
    conns: HashMap<Key, Rate, ahash::RandomState>,
    fails: HashMap<Key, Rate, ahash::RandomState>,
    /// Server endpoints that sent an SSH banner.
    ssh_servers: HashSet<(IpAddr, u16), ahash::RandomState>,
    swept: [i64; 2],
    pub dropped: u64,
}

const MAX_KEYS: usize = 1 << 16;

fn service(port: u16, ssh: bool) -> Option<&'static str> {
    match port {
        _ if ssh => Some("SSH"),
        22 | 2222 => Some("SSH"),
        23 | 2323 => Some("Telnet"),
        21 => Some("FTP"),
        _ => None,
    }
}

/// Records an event; true when the last `n` events fit in the window (once
/// per burst).
fn hit(
    map: &mut HashMap<Key, Rate, ahash::RandomState>,
    key: Key,
    ts: i64,
    n: usize,
    w: i64,
    dropped: &mut u64,
    swept: &mut i64,
) -> Option<(i64, u64)> {
    if map.len() >= MAX_KEYS && !map.contains_key(&key) {
        // At most one sweep per eighth of a window: O(1) per new key.
        if ts.saturating_sub(*swept) > w / 8 {
            *swept = ts;
            map.retain(|_, r| {
                r.times
                    .back()
                    .or(r.first.as_ref())
                    .is_some_and(|&t| ts - t <= w)
            });
        }
        if map.len() >= MAX_KEYS {
            *dropped += 1;
            return None;
        }
    }
    let r = map.entry(key).or_insert_with(|| Rate {
        first: None,
        times: VecDeque::new(),
        fired_until: i64::MIN,
    });
    if r.times.is_empty() && n > 1 {
        match r.first.take() {
            None => {
                r.first = Some(ts);
                return None;
            }
            Some(f) => r.times.push_back(f),
        }
    }
    r.times.push_back(ts);
    while r.times.len() > n {
        r.times.pop_front();
    }
    let first = *r.times.front()?;
    if r.times.len() >= n && ts - first <= w && ts > r.fired_until {
        r.fired_until = ts + w;
        return Some((first, r.times.len() as u64));
    }
    if r.times.len() >= n && ts <= r.fired_until {
        r.fired_until = ts + w; // the burst goes on: one detection for it
    }
    None
}

impl Brute {
    pub fn new(t: &Thresholds) -> Brute {
        Brute {
            window_ns: t.window_s as i64 * NS,
            attempts: t.bruteforce_attempts.max(2) as usize,
            failures: t.bruteforce_failures.max(1) as usize,
            conns: HashMap::default(),
            fails: HashMap::default(),
            ssh_servers: HashSet::default(),
            swept: [i64::MIN; 2],
            dropped: 0,
        }
    }

    pub fn packet(&mut self, p: &Pkt<'_>, out: &mut Vec<Detection>) {
        let d = p.ev.decoded;
        let Net::Ip(ip) = &d.net else { return };
        let Transport::Tcp(t) = ip.transport else {
            return;
        };
        if t.payload.starts_with(b"SSH-") && self.ssh_servers.len() < MAX_KEYS {
            // Only the server speaks first; a client's banner follows it.
            if t.flags & TcpSegment::SYN == 0 && t.src_port < t.dst_port {
                self.ssh_servers.insert((ip.src, t.src_port));
            }
        }
        let (client_local, server_local) = (p.ev.src_local, p.ev.dst_local);
        if t.flags & (TcpSegment::SYN | TcpSegment::ACK) == TcpSegment::SYN {
            let ssh = self.ssh_servers.contains(&(ip.dst, t.dst_port));
            let Some(svc) = service(t.dst_port, ssh) else {
                return;
            };
            let key = (ip.src, ip.dst, t.dst_port);
            if let Some((first, n)) = hit(
                &mut self.conns,
                key,
                p.ts,
                self.attempts,
                self.window_ns,
                &mut self.dropped,
                &mut self.swept[0],
            ) {
                let (role, dev) = if server_local && !client_local {
                    (Role::Target, DevKey::dst(d, ip.dst))
                } else {
                    (Role::Source, DevKey::src(d, ip.src))
                };
                out.push(detection(
                    Kind::BruteForce,
                    dev,
                    role,
                    first,
                    p.ts,
                    format!(
                        "{} opened {n} {svc} connections to {} port {} within {} s: password guessing.",
                        ip.src,
                        ip.dst,
                        t.dst_port,
                        (p.ts - first) / NS + 1
                    ),
                    &[("connections", n)],
                    vec![sample(6, ip.src, t.src_port, ip.dst, t.dst_port, p.ts)],
                ));
            }
            return;
        }
        if t.payload.is_empty() {
            return;
        }
        // A failed login, reported by the server (the packet's source).
        let pl = t.payload;
        let failed = (pl.starts_with(b"530") && (t.src_port == 21 || pl.len() < 512))
            || (matches!(t.src_port, 23 | 2323) && contains_ci(pl, b"login incorrect"))
            || (pl.starts_with(b"HTTP/1.") && pl.get(9..12) == Some(b"401"));
        if !failed {
            return;
        }
        let key = (ip.dst, ip.src, t.src_port);
        if let Some((first, n)) = hit(
            &mut self.fails,
            key,
            p.ts,
            self.failures,
            self.window_ns,
            &mut self.dropped,
            &mut self.swept[1],
        ) {
            let svc = if pl.starts_with(b"530") {
                "FTP"
            } else if pl.starts_with(b"HTTP") {
                "HTTP"
            } else {
                "Telnet"
            };
            // This packet goes server -> client.
            let (server_local, client_local) = (p.ev.src_local, p.ev.dst_local);
            let (role, dev) = if server_local && !client_local {
                (Role::Target, DevKey::src(d, ip.src))
            } else {
                (Role::Source, DevKey::dst(d, ip.dst))
            };
            out.push(detection(
                Kind::BruteForce,
                dev,
                role,
                first,
                p.ts,
                format!(
                    "{} refused {n} {svc} logins from {} within {} s: password guessing.",
                    ip.src,
                    ip.dst,
                    (p.ts - first) / NS + 1
                ),
                &[("failed logins", n)],
                vec![sample(6, ip.dst, t.dst_port, ip.src, t.src_port, p.ts)],
            ));
        }
    }
}
