//! One probe of one device: the scan, then every check its open ports
//! call for, each service on its own thread.

use crate::bruteforce::{self, BruteForceResult};
use crate::creds::{check_service, Attempt, Credential, CredentialCheck};
use crate::http::{self, OpenAdminPage};
use crate::scan::{scan_tcp, PortResult, PortState, ScanOptions};
use crate::scope::{ProbeError, Scope};
use crate::tls::{self, TlsResult};
use crate::udp::{self, ResolverAnswer, SsdpExposure};
use crate::{ftp, ssh, telnet};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub scan: ScanOptions,
    pub ports: Vec<u16>,
    /// Tried on Telnet, SSH, FTP and HTTP logins; empty: no credential checks.
    pub credentials: Vec<Credential>,
    /// Login attempts in flight at once, per service.
    pub login_parallel: usize,
    /// Per step of a login dialogue.
    pub login_timeout: Duration,
    /// Wrong passwords for the brute-force-protection check (0: off).
    pub brute_force_attempts: usize,
    pub tls: bool,
    pub udp: bool,
    /// The time that judges certificate validity (seconds since 1970).
    pub now_unix: i64,
    /// Makes calibration and wrong passwords unguessable; any number.
    pub nonce: u64,
}

impl ProbeOptions {
    pub fn new(ports: Vec<u16>, now_unix: i64, nonce: u64) -> ProbeOptions {
        ProbeOptions {
            scan: ScanOptions::default(),
            ports,
            credentials: crate::creds::default_list(),
            login_parallel: 4,
            login_timeout: Duration::from_secs(2),
            brute_force_attempts: 8,
            tls: true,
            udp: true,
            now_unix,
            nonce,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub target: IpAddr,
    pub allowed: Vec<String>,
    pub ports_scanned: usize,
    pub seconds: f64,
    pub open: Vec<PortResult>,
    pub credentials: Vec<CredentialCheck>,
    pub tls: Vec<TlsResult>,
    pub open_admin_pages: Vec<OpenAdminPage>,
    pub ssdp: Option<SsdpExposure>,
    pub dns_resolver: Option<ResolverAnswer>,
    pub brute_force: Option<BruteForceResult>,
    /// What could not be checked, and why.
    pub notes: Vec<String>,
}

type LoginFn<'a> = Box<dyn Fn(&Credential) -> Attempt + Sync + 'a>;

/// A login service found open, with its attempt function.
struct Login<'a> {
    service: String,
    port: u16,
    attempt: LoginFn<'a>,
}

pub fn probe(scope: &Scope, ip: IpAddr, o: &ProbeOptions) -> Result<ProbeReport, ProbeError> {
    let t0 = Instant::now();
    let ports = scan_tcp(scope, ip, &o.ports, &o.scan)?;
    let open: Vec<PortResult> = ports
        .into_iter()
        .filter(|p| p.state == PortState::Open)
        .collect();
    let notes = Mutex::new(Vec::<String>::new());
    let note = |s: String| {
        if let Ok(mut n) = notes.lock() {
            n.push(s);
        }
    };
    let t = o.login_timeout;
    let mut logins: Vec<Login> = Vec::new();
    let mut admin = Vec::new();
    let mut tls_ports = Vec::new();
    for p in &open {
        let addr = SocketAddr::new(ip, p.port);
        match p.service {
            Some("telnet") => logins.push(Login {
                service: "telnet".into(),
                port: p.port,
                attempt: Box::new(move |c| telnet::attempt(scope, addr, c, t)),
            }),
            Some("ftp") => logins.push(Login {
                service: "ftp".into(),
                port: p.port,
                attempt: Box::new(move |c| ftp::attempt(scope, addr, c, t)),
            }),
            Some("ssh") => match ssh::offers_password(scope, addr, t) {
                Ok(true) => logins.push(Login {
                    service: "ssh".into(),
                    port: p.port,
                    attempt: Box::new(move |c| ssh::attempt(scope, addr, c, t)),
                }),
                Ok(false) => note(format!(
                    "ssh/{}: password logins are not offered (keys only): no credentials to try",
                    p.port
                )),
                Err(e) => note(format!("ssh/{}: not testable: {e}", p.port)),
            },
            Some("http") => {
                let client = http::Client {
                    scope,
                    addr,
                    timeout: t,
                };
                match client.get("/", &[]) {
                    Ok(r) if http::wants_basic(&r) => logins.push(Login {
                        service: "http-basic".into(),
                        port: p.port,
                        attempt: Box::new(move |c| http::basic_attempt(&client, "/", c)),
                    }),
                    Ok(r) if http::find_login_form(&r.body).is_some() => {
                        match http::form_calibrate(&client, "/", o.nonce) {
                            Ok(true) => logins.push(Login {
                                service: "http-form".into(),
                                port: p.port,
                                attempt: Box::new(move |c| {
                                    match http::form_attempt(&client, "/", c) {
                                        Ok(true) => Attempt::Accepted,
                                        Ok(false) => Attempt::Rejected,
                                        Err(e) => Attempt::Error(e),
                                    }
                                }),
                            }),
                            Ok(false) => note(format!(
                                "http/{}: the login form answers a random password as it would a right one: cannot tell, not tested",
                                p.port
                            )),
                            Err(e) => note(format!("http/{}: login form not testable: {e}", p.port)),
                        }
                    }
                    Ok(_) => {}
                    Err(e) => note(format!("http/{}: {e}", p.port)),
                }
                for path in http::ADMIN_PATHS {
                    if let Ok(r) = client.get(path, &[]) {
                        if let Some(a) = http::open_admin_page(p.port, path, &r) {
                            admin.push(a);
                            break;
                        }
                    }
                }
            }
            Some("tls") | None if o.tls => tls_ports.push(p.port),
            _ => {}
        }
    }
    let credentials = Mutex::new(Vec::new());
    let tls = Mutex::new(Vec::new());
    let mut ssdp = None;
    let mut dns = None;
    std::thread::scope(|s| {
        if !o.credentials.is_empty() {
            for l in &logins {
                let credentials = &credentials;
                s.spawn(move || {
                    let r = check_service(
                        &l.service,
                        l.port,
                        &o.credentials,
                        o.login_parallel,
                        &l.attempt,
                    );
                    if let Ok(mut v) = credentials.lock() {
                        v.push(r);
                    }
                });
            }
        }
        for &port in &tls_ports {
            let tls = &tls;
            s.spawn(move || {
                let r = tls::check(scope, SocketAddr::new(ip, port), t, o.now_unix);
                if let Ok(mut v) = tls.lock() {
                    v.push(r);
                }
            });
        }
        if o.udp {
            match udp::ssdp(scope, ip, Duration::from_millis(1500)) {
                Ok(x) => ssdp = x,
                Err(e) => note(format!("ssdp: not testable: {e}")),
            }
            // A name under a reserved domain (RFC 2606): no one's real name.
            match udp::open_resolver(
                scope,
                ip,
                "example.com",
                (o.nonce & 0xffff) as u16,
                Duration::from_millis(1500),
            ) {
                Ok(x) => dns = x,
                Err(e) => note(format!("dns: not testable: {e}")),
            }
        }
    });
    let mut credentials = credentials.into_inner().unwrap_or_default();
    credentials.sort_by(|a, b| (a.port, &a.service).cmp(&(b.port, &b.service)));
    let mut tls: Vec<TlsResult> = tls.into_inner().unwrap_or_default();
    tls.retain(|r| {
        r.speaks_tls()
            || open
                .iter()
                .any(|p| p.port == r.port && p.service == Some("tls"))
    });
    tls.sort_by_key(|r| r.port);
    // Brute-force protection, after the credential checks (so their
    // failures do not count against it): the first login service that
    // answered passwords.
    let brute_force = (o.brute_force_attempts > 0)
        .then(|| {
            let order = ["ssh", "telnet", "ftp", "http-basic", "http-form"];
            let mut ls: Vec<&Login> = logins
                .iter()
                .filter(|l| {
                    credentials
                        .iter()
                        .any(|c| c.service == l.service && c.port == l.port && c.tried > 0)
                        || o.credentials.is_empty()
                })
                .collect();
            ls.sort_by_key(|l| order.iter().position(|x| *x == l.service));
            let l = ls.first()?;
            let user = credentials
                .iter()
                .find(|c| c.service == l.service && c.port == l.port)
                .and_then(|c| c.accepted.as_ref())
                .map(|a| a.user.clone())
                .unwrap_or_else(|| "admin".into());
            Some(bruteforce::run(
                &l.service,
                l.port,
                &user,
                o.brute_force_attempts,
                o.nonce,
                &l.attempt,
            ))
        })
        .flatten();
    Ok(ProbeReport {
        target: ip,
        allowed: scope.ranges(),
        ports_scanned: o.ports.len(),
        seconds: t0.elapsed().as_secs_f64(),
        open,
        credentials,
        tls,
        open_admin_pages: admin,
        ssdp,
        dns_resolver: dns,
        brute_force,
        notes: notes.into_inner().unwrap_or_default(),
    })
}
